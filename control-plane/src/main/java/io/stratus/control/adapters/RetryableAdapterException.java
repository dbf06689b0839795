package io.stratus.control.adapters;

/**
 * Transient trouble: the remote side was unreachable, busy, throttling, or the operation has not
 * finished yet. Calling again with the same input is safe (every adapter call is idempotent).
 */
public final class RetryableAdapterException extends AdapterException {

  public RetryableAdapterException(String message) {
    super(message, null);
  }

  public RetryableAdapterException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
