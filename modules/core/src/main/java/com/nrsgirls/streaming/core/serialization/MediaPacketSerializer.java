package com.nrsgirls.streaming.core.serialization;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Compact binary form of a {@link MediaPacket} for StreamRefs across nodes: a 17-byte header and
 * the payload. Never Jackson: a packet is sent 50 to 100 times a second per stream.
 *
 * <pre>
 * u8 version | u8 codec | u8 flags | s64 dts | s32 composition offset | s16 reserved | payload
 * </pre>
 */
public final class MediaPacketSerializer extends SerializerWithStringManifest {
  private static final String MANIFEST = "P";
  private static final byte VERSION = 1;
  private static final int HEADER = 1 + 1 + 1 + 8 + 4 + 2;
  private static final Codec[] CODECS = Codec.values();

  public MediaPacketSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return 730_001;
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    if (!(o instanceof MediaPacket p)) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
    }
    byte[] out = new byte[HEADER + p.length()];
    ByteBuffer buf = ByteBuffer.wrap(out);
    buf.put(VERSION)
        .put((byte) p.codec().ordinal())
        .put((byte) p.flags())
        .putLong(p.dts())
        .putInt(p.compositionOffset())
        .putShort((short) 0);
    buf.put(p.array(), p.offset(), p.length());
    return out;
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest) || bytes.length < HEADER || bytes[0] != VERSION) {
      throw new NotSerializableException("not a media packet (manifest " + manifest + ")");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    buf.get();
    int codec = buf.get() & 0xFF;
    if (codec >= CODECS.length) {
      throw new NotSerializableException("unknown codec " + codec);
    }
    int flags = buf.get() & 0xFF;
    long dts = buf.getLong();
    int cts = buf.getInt();
    return new MediaPacket(CODECS[codec], dts, cts, flags, bytes, HEADER, bytes.length - HEADER);
  }
}
