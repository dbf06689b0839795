package io.stratus.cell.persistence;

/**
 * A conditional write lost: the execution's version, the current-run pointer or the shard's range
 * id was not what the writer expected. The caller drops its cached state and reloads; when the
 * range id moved ({@link #shardOwnershipLost()}) the shard belongs to someone else now.
 */
public final class ConditionFailedException extends RuntimeException {
  private final boolean shardOwnershipLost;

  public ConditionFailedException(String message, boolean shardOwnershipLost) {
    super(message, null, false, false);
    this.shardOwnershipLost = shardOwnershipLost;
  }

  public boolean shardOwnershipLost() {
    return shardOwnershipLost;
  }
}
