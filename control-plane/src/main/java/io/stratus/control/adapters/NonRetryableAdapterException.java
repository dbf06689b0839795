package io.stratus.control.adapters;

/**
 * A permanent failure: the input is invalid, or the remote side rejected it for a reason that a
 * retry cannot change (unknown zone, name outside the zone, CA refused the identifier).
 */
public final class NonRetryableAdapterException extends AdapterException {

  public NonRetryableAdapterException(String message) {
    super(message, null);
  }

  public NonRetryableAdapterException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
