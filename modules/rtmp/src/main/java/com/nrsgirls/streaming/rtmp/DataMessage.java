package com.nrsgirls.streaming.rtmp;

import com.nrsgirls.streaming.rtmp.amf.Amf0Writer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An RTMP data message (Adobe RTMP spec §7.1.2), such as {@code @setDataFrame onMetaData {...}}: a
 * name and AMF0 values. Type 15 (AMF3) data messages are read like type 17 commands.
 */
public record DataMessage(String name, List<Object> values) {

  public DataMessage {
    values = Collections.unmodifiableList(new ArrayList<>(values));
  }

  public static DataMessage parse(RtmpMessage message, int maxDepth, int maxValues)
      throws RtmpProtocolException {
    List<Object> values = CommandMessage.readValues(message, maxDepth, maxValues);
    if (values.isEmpty() || !(values.get(0) instanceof String name)) {
      throw new RtmpProtocolException("malformed-amf", "data message without a name");
    }
    return new DataMessage(name, values.subList(1, values.size()));
  }

  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    Amf0Writer.write(out, name);
    for (Object value : values) {
      Amf0Writer.write(out, value);
    }
    return out.toByteArray();
  }
}
