/**
 * The control plane's adapters to the outside world, each a small interface with a local default
 * and a production implementation: {@code certs} (certificate authority: internal BouncyCastle CA,
 * ACME), {@code dns} (embedded authoritative DNS server, Route 53), {@code ingress} (SNI route
 * table and edge router). Every call is idempotent and thread-safe, and fails with a {@link
 * io.stratus.control.adapters.RetryableAdapterException} or a {@link
 * io.stratus.control.adapters.NonRetryableAdapterException}, so Temporal activities can call them
 * directly. See docs/architecture/control-plane-adapters.md.
 */
package io.stratus.control.adapters;
