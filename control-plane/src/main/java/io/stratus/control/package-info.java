/**
 * The Stratus control plane: the Cloud Ops API and the workflows behind it, run on a control cell
 * of our own engine. Sub-packages: {@code adapters} (certificates, DNS, ingress: small interfaces
 * with a local default and a production implementation each).
 */
package io.stratus.control;
