package io.stratus.control.adapters.dns;

/** The record types the control plane manages. */
public enum RecordType {
  A,
  AAAA,
  CNAME,
  /** One character string per value (ACME dns-01 challenges, verification tokens). */
  TXT
}
