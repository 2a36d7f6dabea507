package com.nrsgirls.streaming.core.serialization;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Compact binary form of a {@link MediaPacket} for StreamRefs across nodes: a 17-byte header and
 * the payload. Never Jackson: a packet is sent 50 to 100 times a second per stream. Artery uses the
 * {@link ByteBufferSerializer} side: the payload is copied once on each side, from the packet's
 * array into Artery's send buffer, and from its receive buffer into the new packet's array.
 *
 * <pre>
 * u8 version | u8 codec | u8 flags | s64 dts | s32 composition offset | s16 reserved | payload
 * </pre>
 */
public final class MediaPacketSerializer extends SerializerWithStringManifest
    implements ByteBufferSerializer {
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
    MediaPacket p = packet(o);
    byte[] out = new byte[HEADER + p.length()];
    toBinary(p, ByteBuffer.wrap(out));
    return out;
  }

  @Override
  public void toBinary(Object o, ByteBuffer buf) {
    MediaPacket p = packet(o);
    buf.put(VERSION)
        .put((byte) p.codec().ordinal())
        .put((byte) p.flags())
        .putLong(p.dts())
        .putInt(p.compositionOffset())
        .putShort((short) 0);
    buf.put(p.array(), p.offset(), p.length());
  }

  private static MediaPacket packet(Object o) {
    if (!(o instanceof MediaPacket p)) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
    }
    return p;
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    return decode(ByteBuffer.wrap(bytes), manifest, true); // the array is the packet's alone
  }

  @Override
  public Object fromBinary(ByteBuffer buf, String manifest) throws NotSerializableException {
    return decode(buf, manifest, false); // Artery reuses its buffer: copy the payload out
  }

  private static MediaPacket decode(ByteBuffer buf, String manifest, boolean ownArray)
      throws NotSerializableException {
    if (!MANIFEST.equals(manifest)
        || buf.remaining() < HEADER
        || buf.get(buf.position()) != VERSION) {
      throw new NotSerializableException("not a media packet (manifest " + manifest + ")");
    }
    buf.get();
    int codec = buf.get() & 0xFF;
    if (codec >= CODECS.length) {
      throw new NotSerializableException("unknown codec " + codec);
    }
    int flags = buf.get() & 0xFF;
    long dts = buf.getLong();
    int cts = buf.getInt();
    buf.getShort();
    if (ownArray) {
      int start = buf.arrayOffset() + buf.position();
      int length = buf.remaining();
      buf.position(buf.limit());
      return new MediaPacket(CODECS[codec], dts, cts, flags, buf.array(), start, length);
    }
    byte[] payload = new byte[buf.remaining()];
    buf.get(payload);
    return new MediaPacket(CODECS[codec], dts, cts, flags, payload, 0, payload.length);
  }
}
