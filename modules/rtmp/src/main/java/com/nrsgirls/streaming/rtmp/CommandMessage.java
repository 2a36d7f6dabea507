package com.nrsgirls.streaming.rtmp;

import com.nrsgirls.streaming.rtmp.amf.Amf0Reader;
import com.nrsgirls.streaming.rtmp.amf.Amf0Writer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * An RTMP command (Adobe RTMP spec §7.1.1, §7.2): name, transaction id, command object, then
 * arguments, all AMF0.
 *
 * <p>Type 17 (AMF3) commands as Flash clients send them start with one 0x00 byte and continue in
 * AMF0; that byte is skipped. A command whose values switch to AMF3 proper is refused as malformed.
 *
 * @param commandObject the third value, usually an object or null; null when absent
 * @param arguments the values after the command object
 */
public record CommandMessage(
    String name, double transactionId, Object commandObject, List<Object> arguments) {

  public CommandMessage {
    // AMF null arguments are Java nulls, which List.copyOf refuses
    arguments = Collections.unmodifiableList(new ArrayList<>(arguments));
  }

  public static CommandMessage parse(RtmpMessage message, int maxDepth, int maxValues)
      throws RtmpProtocolException {
    List<Object> values = readValues(message, maxDepth, maxValues);
    if (values.isEmpty() || !(values.get(0) instanceof String name)) {
      throw new RtmpProtocolException("malformed-amf", "command without a name");
    }
    double transactionId = 0;
    if (values.size() > 1) {
      if (!(values.get(1) instanceof Double id)) {
        throw new RtmpProtocolException(
            "malformed-amf", "command " + name + " without a numeric transaction id");
      }
      transactionId = id;
    }
    Object commandObject = values.size() > 2 ? values.get(2) : null;
    List<Object> arguments = values.size() > 3 ? values.subList(3, values.size()) : List.of();
    return new CommandMessage(name, transactionId, commandObject, arguments);
  }

  /**
   * The AMF0 values of a command or data message payload, after the leading 0x00 byte of the AMF3
   * message types (§7.1.1, §7.1.2).
   */
  static List<Object> readValues(RtmpMessage message, int maxDepth, int maxValues)
      throws RtmpProtocolException {
    byte[] p = message.payload();
    int offset = 0;
    boolean amf3Type =
        message.typeId() == MessageType.COMMAND_AMF3 || message.typeId() == MessageType.DATA_AMF3;
    if (amf3Type && p.length > 0 && p[0] == 0) {
      offset = 1;
    }
    return Amf0Reader.readAll(p, offset, p.length - offset, maxDepth, maxValues);
  }

  /** The AMF0 payload of this command, for a type 20 message. */
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    Amf0Writer.write(out, name);
    Amf0Writer.write(out, transactionId);
    Amf0Writer.write(out, commandObject);
    for (Object argument : arguments) {
      Amf0Writer.write(out, argument);
    }
    return out.toByteArray();
  }

  public static CommandMessage of(
      String name, double transactionId, Object commandObject, Object... arguments) {
    return new CommandMessage(name, transactionId, commandObject, Arrays.asList(arguments));
  }
}
