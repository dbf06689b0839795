package io.stratus.cell.frontend;

/** Input limits enforced at the frontend (Temporal's defaults, ENGINE.md §2.0). */
public final class Limits {
  /** Longest workflow id, activity id, signal name, task queue name, request id... */
  static final int MAX_ID_LENGTH = 1000;
  /** A single payload blob (input, result, signal input). */
  static final int MAX_BLOB_BYTES = 2 * 1024 * 1024;
  static final int MAX_MEMO_BYTES = 2 * 1024 * 1024;
  /**
   * A whole request; larger ones get the message the SDKs recognise as "too large". The HTTP API
   * caps a JSON body at the same number of bytes.
   */
  public static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;

  private Limits() {}
}
