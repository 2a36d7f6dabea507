package com.nrsgirls.streaming.rtmp.amf;

/**
 * An AMF0 date (AMF0 spec §2.13).
 *
 * @param millisSinceEpoch UTC milliseconds, as a double on the wire
 * @param timeZone the reserved 16-bit time zone field, which senders set to 0
 */
public record AmfDate(double millisSinceEpoch, int timeZone) {}
