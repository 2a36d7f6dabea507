package com.nrsgirls.streaming.core;

/**
 * Marker for messages, events and state serialized with Jackson CBOR (bound in core's
 * reference.conf). Media never uses it: {@code MediaPacketSerializer} carries packets.
 */
public interface CborSerializable {}
