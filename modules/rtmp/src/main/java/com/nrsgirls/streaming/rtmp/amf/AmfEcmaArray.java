package com.nrsgirls.streaming.rtmp.amf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An AMF0 ECMA array (AMF0 spec §2.10): named properties like an object, but marked as an
 * associative array. Encoders send {@code onMetaData} as one.
 *
 * @param entries the properties in wire order
 */
public record AmfEcmaArray(Map<String, Object> entries) {
  public AmfEcmaArray {
    entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }
}
