package io.stratus.control.adapters.dns;

/** The record types the control plane manages. */
public enum RecordType {
  A,
  AAAA,
  CNAME
}
