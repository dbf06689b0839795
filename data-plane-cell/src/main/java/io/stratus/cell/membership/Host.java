package io.stratus.cell.membership;

import java.util.Objects;

/**
 * One history/matching/frontend host of a cell.
 *
 * @param address host:port where its frontend (and the internal peer service) listens
 */
public record Host(String id, String address) {
  public Host {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(address, "address");
  }
}
