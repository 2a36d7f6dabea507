package com.nrsgirls.streaming.rtmp;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Builds what an RTMP publisher sends, the way ffmpeg and OBS send it, for tests that play the
 * client: the handshake, then messages chunked by a {@link ChunkEncoder}.
 */
public final class RtmpClientBytes {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ChunkEncoder encoder = new ChunkEncoder();
  private final Random random;

  public RtmpClientBytes(long seed) {
    this.random = new Random(seed);
  }

  /** C0, C1 and, since a test client does not wait for S1 before sending it, C2. */
  public RtmpClientBytes handshake() {
    out.write(Handshake.VERSION);
    byte[] c1 = new byte[Handshake.PACKET_SIZE];
    random.nextBytes(c1);
    Arrays.fill(c1, 0, 8, (byte) 0);
    out.write(c1, 0, c1.length);
    byte[] c2 = new byte[Handshake.PACKET_SIZE];
    random.nextBytes(c2);
    out.write(c2, 0, c2.length);
    return this;
  }

  public RtmpClientBytes message(int csid, int type, int msid, long timestamp, byte[] payload) {
    encoder.write(out, csid, type, msid, timestamp, payload);
    return this;
  }

  /** Set Chunk Size, then use it. */
  public RtmpClientBytes chunkSize(int size) {
    message(
        ProtocolControl.CHUNK_STREAM_ID,
        MessageType.SET_CHUNK_SIZE,
        0,
        0,
        ProtocolControl.setChunkSize(size));
    encoder.setChunkSize(size);
    return this;
  }

  public RtmpClientBytes command(int csid, int msid, CommandMessage command) {
    return message(csid, MessageType.COMMAND_AMF0, msid, 0, command.encode());
  }

  public RtmpClientBytes connect(String app) {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("app", app);
    properties.put("type", "nonprivate");
    properties.put("flashVer", "FMLE/3.0 (compatible; FMSc/1.0)");
    properties.put("tcUrl", "rtmp://127.0.0.1:1935/" + app);
    return command(3, 0, CommandMessage.of("connect", 1, properties));
  }

  /** releaseStream, FCPublish, createStream, publish: what ffmpeg sends after connect. */
  public RtmpClientBytes publish(String streamName) {
    command(3, 0, CommandMessage.of("releaseStream", 2, null, streamName));
    command(3, 0, CommandMessage.of("FCPublish", 3, null, streamName));
    command(3, 0, CommandMessage.of("createStream", 4, null));
    return command(4, 1, CommandMessage.of("publish", 5, null, streamName, "live"));
  }

  /** An AVC sequence header carrying a real 640x360 High profile SPS and PPS. */
  public RtmpClientBytes avcSequenceHeader(long timestamp) {
    return message(6, MessageType.VIDEO, 1, timestamp, avcSequenceHeaderTag());
  }

  /** An AVC keyframe (one fake IDR NAL unit) with a composition time offset. */
  public RtmpClientBytes avcFrame(
      long timestamp, boolean key, int compositionOffset, int nalBytes) {
    byte[] tag = new byte[5 + 4 + nalBytes];
    tag[0] = (byte) (key ? 0x17 : 0x27);
    tag[1] = 1;
    tag[2] = (byte) (compositionOffset >> 16);
    tag[3] = (byte) (compositionOffset >> 8);
    tag[4] = (byte) compositionOffset;
    ProtocolControl.writeInt(tag, 5, nalBytes);
    for (int i = 9; i < tag.length; i++) {
      tag[i] = (byte) random.nextInt();
    }
    tag[9] = (byte) (key ? 0x65 : 0x41);
    return message(6, MessageType.VIDEO, 1, timestamp, tag);
  }

  /** AAC-LC 48 kHz stereo sequence header. */
  public RtmpClientBytes aacSequenceHeader(long timestamp) {
    return message(
        4, MessageType.AUDIO, 1, timestamp, new byte[] {(byte) 0xAF, 0, 0x11, (byte) 0x90});
  }

  public RtmpClientBytes aacFrame(long timestamp, int bytes) {
    byte[] tag = new byte[2 + bytes];
    tag[0] = (byte) 0xAF;
    tag[1] = 1;
    for (int i = 2; i < tag.length; i++) {
      tag[i] = (byte) random.nextInt();
    }
    return message(4, MessageType.AUDIO, 1, timestamp, tag);
  }

  public RtmpClientBytes raw(byte... bytes) {
    out.write(bytes, 0, bytes.length);
    return this;
  }

  public byte[] bytes() {
    return out.toByteArray();
  }

  /** Forgets what was built so far; the chunk size stays. */
  public byte[] take() {
    byte[] b = out.toByteArray();
    out.reset();
    return b;
  }

  /** FLV VIDEODATA of an AVC sequence header: ffmpeg's libx264 640x360 High profile SPS/PPS. */
  public static byte[] avcSequenceHeaderTag() {
    byte[] sps = {
      0x67,
      0x64,
      0x00,
      0x1e,
      (byte) 0xac,
      (byte) 0xd9,
      0x40,
      (byte) 0xa0,
      0x2f,
      (byte) 0xf9,
      0x70,
      0x11,
      0x00,
      0x00,
      0x03,
      0x00,
      0x01,
      0x00,
      0x00,
      0x03,
      0x00,
      0x3c,
      0x0f,
      0x16,
      0x2d,
      (byte) 0x96
    };
    byte[] pps = {0x68, (byte) 0xeb, (byte) 0xe3, (byte) 0xcb, 0x22, (byte) 0xc0};
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x17);
    b.write(0); // AVC sequence header
    b.write(0);
    b.write(0);
    b.write(0);
    b.write(1); // configurationVersion
    b.write(sps[1]);
    b.write(sps[2]);
    b.write(sps[3]);
    b.write(0xFF); // 4-byte NAL lengths
    b.write(0xE1); // one SPS
    b.write(sps.length >> 8);
    b.write(sps.length);
    b.write(sps, 0, sps.length);
    b.write(1); // one PPS
    b.write(pps.length >> 8);
    b.write(pps.length);
    b.write(pps, 0, pps.length);
    return b.toByteArray();
  }
}
