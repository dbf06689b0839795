package io.stratus.control.adapters;

/**
 * A failure of an adapter call (certificate authority, DNS, ingress). Retryability is part of the
 * type: workflows retry {@link RetryableAdapterException} with their activity retry policy and give
 * up at once on {@link NonRetryableAdapterException} (list its class name in the retry options'
 * {@code doNotRetry}).
 */
public abstract sealed class AdapterException extends RuntimeException
    permits RetryableAdapterException, NonRetryableAdapterException {

  protected AdapterException(String message, Throwable cause) {
    super(message, cause);
  }

  /** True when the same call may succeed later (network trouble, throttling, server busy). */
  public abstract boolean isRetryable();
}
