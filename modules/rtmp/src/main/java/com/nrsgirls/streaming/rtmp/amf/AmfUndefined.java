package com.nrsgirls.streaming.rtmp.amf;

/** The AMF0 undefined value (AMF0 spec §2.8), distinct from null. */
public enum AmfUndefined {
  INSTANCE
}
