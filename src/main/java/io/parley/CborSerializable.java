package io.parley;

/**
 * Marker for every message that crosses the cluster or lands in the journal: bound to jackson-cbor in reference.conf.
 */
public interface CborSerializable {}
