package io.stratus.control.workflows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One change to a data cell, submitted to its entity workflow ({@link CellWorkflow}).
 *
 * @param changeId the idempotency key: a change whose id the entity has seen is ignored
 * @param kind {@link #REGISTER}, {@link #DRAIN}, {@link #ACTIVATE} or {@link #SET_CAPACITY}
 * @param cellId the cell's id (also its name in the admin API's GetCellHealth)
 * @param regionId register only
 * @param ring register only: rollout ring, 0 first
 * @param frontendAddress register only: host:port of the cell's TLS frontend
 * @param adminAddress register only: host:port of the cell's admin API
 * @param capacity register and setCapacity: how many namespaces the cell may hold
 * @param httpAddress register only: host:port of the cell's HTTP API; empty: none
 */
public record CellChange(
    String changeId, String kind, String cellId, String regionId, int ring, String frontendAddress, String adminAddress, int capacity,
    String httpAddress) {
  public CellChange {
    httpAddress = httpAddress == null ? "" : httpAddress; // changes recorded before the field existed
  }

  /** Record or refresh the cell's row, check it answers, then mark it active (a draining cell stays draining). */
  public static final String REGISTER = "register";
  /** Placement skips the cell from now on; the namespaces on it stay. */
  public static final String DRAIN = "drain";
  /** Check the cell answers, then make it a placement target again (the undo of drain). */
  public static final String ACTIVATE = "activate";
  public static final String SET_CAPACITY = "setCapacity";

  /** A registration whose id is derived from everything it records: the same cell at the same place is one change. */
  public static CellChange register(
      String cellId, String regionId, int ring, String frontendAddress, String adminAddress, int capacity, String httpAddress) {
    String fields = String.join("|", cellId, regionId, Integer.toString(ring), frontendAddress, adminAddress, Integer.toString(capacity))
        + (httpAddress.isEmpty() ? "" : "|" + httpAddress);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(fields.getBytes(StandardCharsets.UTF_8));
      String id = REGISTER + "/" + cellId + "/" + HexFormat.of().formatHex(digest, 0, 12);
      return new CellChange(id, REGISTER, cellId, regionId, ring, frontendAddress, adminAddress, capacity, httpAddress);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static CellChange drain(String changeId, String cellId) {
    return new CellChange(changeId, DRAIN, cellId, "", 0, "", "", 0, "");
  }

  public static CellChange activate(String changeId, String cellId) {
    return new CellChange(changeId, ACTIVATE, cellId, "", 0, "", "", 0, "");
  }

  public static CellChange setCapacity(String changeId, String cellId, int capacity) {
    return new CellChange(changeId, SET_CAPACITY, cellId, "", 0, "", "", capacity, "");
  }
}
