package com.nrsgirls.streaming.rtmp;

import java.io.ByteArrayOutputStream;

/**
 * Splits outgoing messages into chunks (Adobe RTMP spec §5.3). Each message starts with a type 0
 * header and continues with type 3 headers, which every receiver must accept; a type 3 header
 * repeats the extended timestamp when the message has one (§5.3.1.3), as Adobe's and ffmpeg's
 * servers do. Compressing headers with types 1 and 2 would save a few bytes per message and is not
 * worth it for the little a server sends.
 */
public final class ChunkEncoder {
  private int chunkSize = ChunkDecoder.DEFAULT_CHUNK_SIZE;

  /**
   * Uses {@code size} for the messages written from now on. Call it right after writing the Set
   * Chunk Size message that announces it: that message itself goes out with the old size.
   */
  public void setChunkSize(int size) {
    if (size <= 0) {
      throw new IllegalArgumentException("chunk size must be positive");
    }
    chunkSize = size;
  }

  public int chunkSize() {
    return chunkSize;
  }

  /** Writes one message as chunks to {@code out}. */
  public void write(
      ByteArrayOutputStream out,
      int chunkStreamId,
      int typeId,
      int messageStreamId,
      long timestamp,
      byte[] payload) {
    write(out, chunkStreamId, typeId, messageStreamId, timestamp, payload, 0, payload.length);
  }

  public void write(
      ByteArrayOutputStream out,
      int chunkStreamId,
      int typeId,
      int messageStreamId,
      long timestamp,
      byte[] payload,
      int offset,
      int length) {
    if (chunkStreamId < 2 || chunkStreamId > ChunkDecoder.MAX_CHUNK_STREAM_ID) {
      throw new IllegalArgumentException("chunk stream id out of range: " + chunkStreamId);
    }
    if (length > 0xFFFFFF) {
      throw new IllegalArgumentException("message too long for RTMP: " + length);
    }
    int ts = (int) timestamp; // §5.3.1.2.1: 32 bits, wrapping
    boolean extended = Integer.compareUnsigned(ts, ChunkDecoder.EXTENDED_TIMESTAMP) >= 0;
    writeBasicHeader(out, 0, chunkStreamId);
    write24(out, extended ? ChunkDecoder.EXTENDED_TIMESTAMP : ts);
    write24(out, length);
    out.write(typeId);
    out.write(messageStreamId);
    out.write(messageStreamId >>> 8);
    out.write(messageStreamId >>> 16);
    out.write(messageStreamId >>> 24);
    if (extended) {
      write32(out, ts);
    }
    int p = offset;
    int end = offset + length;
    while (true) {
      int n = Math.min(chunkSize, end - p);
      out.write(payload, p, n);
      p += n;
      if (p >= end) {
        break;
      }
      writeBasicHeader(out, 3, chunkStreamId);
      if (extended) {
        write32(out, ts);
      }
    }
  }

  /**
   * How many bytes {@link #write(byte[], int, int, int, int, long, byte[], int, byte[], int, int)}
   * writes for a message of {@code length} payload bytes.
   */
  public int encodedLength(int chunkStreamId, long timestamp, int length) {
    int basic = chunkStreamId < 64 ? 1 : chunkStreamId < 64 + 256 ? 2 : 3;
    boolean extended =
        Integer.compareUnsigned((int) timestamp, ChunkDecoder.EXTENDED_TIMESTAMP) >= 0;
    int chunks = Math.max(1, (length + chunkSize - 1) / chunkSize);
    return basic + 11 + (extended ? 4 : 0) + (chunks - 1) * (basic + (extended ? 4 : 0)) + length;
  }

  /**
   * Writes one message whose payload is {@code prefix[0..prefixLength)} followed by {@code
   * payload[offset..offset+length)} as chunks into {@code out} at {@code pos}: the payload's bytes
   * are copied once, straight into the outgoing array (a media frame behind its FLV tag header).
   *
   * @return the position after the message; {@link #encodedLength} bytes after {@code pos}
   */
  public int write(
      byte[] out,
      int pos,
      int chunkStreamId,
      int typeId,
      int messageStreamId,
      long timestamp,
      byte[] prefix,
      int prefixLength,
      byte[] payload,
      int offset,
      int length) {
    if (chunkStreamId < 2 || chunkStreamId > ChunkDecoder.MAX_CHUNK_STREAM_ID) {
      throw new IllegalArgumentException("chunk stream id out of range: " + chunkStreamId);
    }
    int total = prefixLength + length;
    if (total > 0xFFFFFF) {
      throw new IllegalArgumentException("message too long for RTMP: " + total);
    }
    int ts = (int) timestamp;
    boolean extended = Integer.compareUnsigned(ts, ChunkDecoder.EXTENDED_TIMESTAMP) >= 0;
    pos = writeBasicHeader(out, pos, 0, chunkStreamId);
    pos = put24(out, pos, extended ? ChunkDecoder.EXTENDED_TIMESTAMP : ts);
    pos = put24(out, pos, total);
    out[pos++] = (byte) typeId;
    out[pos++] = (byte) messageStreamId;
    out[pos++] = (byte) (messageStreamId >>> 8);
    out[pos++] = (byte) (messageStreamId >>> 16);
    out[pos++] = (byte) (messageStreamId >>> 24);
    if (extended) {
      pos = put32(out, pos, ts);
    }
    int written = 0; // of the message's payload, prefix first
    while (true) {
      int room = Math.min(chunkSize, total - written);
      if (written < prefixLength) {
        int n = Math.min(room, prefixLength - written);
        System.arraycopy(prefix, written, out, pos, n);
        pos += n;
        written += n;
        room -= n;
      }
      if (room > 0) {
        System.arraycopy(payload, offset + written - prefixLength, out, pos, room);
        pos += room;
        written += room;
      }
      if (written >= total) {
        return pos;
      }
      pos = writeBasicHeader(out, pos, 3, chunkStreamId);
      if (extended) {
        pos = put32(out, pos, ts);
      }
    }
  }

  private static int writeBasicHeader(byte[] out, int pos, int fmt, int chunkStreamId) {
    if (chunkStreamId < 64) {
      out[pos++] = (byte) (fmt << 6 | chunkStreamId);
    } else if (chunkStreamId < 64 + 256) {
      out[pos++] = (byte) (fmt << 6);
      out[pos++] = (byte) (chunkStreamId - 64);
    } else {
      int id = chunkStreamId - 64;
      out[pos++] = (byte) (fmt << 6 | 1);
      out[pos++] = (byte) id;
      out[pos++] = (byte) (id >>> 8);
    }
    return pos;
  }

  private static int put24(byte[] out, int pos, int v) {
    out[pos] = (byte) (v >>> 16);
    out[pos + 1] = (byte) (v >>> 8);
    out[pos + 2] = (byte) v;
    return pos + 3;
  }

  private static int put32(byte[] out, int pos, int v) {
    out[pos] = (byte) (v >>> 24);
    out[pos + 1] = (byte) (v >>> 16);
    out[pos + 2] = (byte) (v >>> 8);
    out[pos + 3] = (byte) v;
    return pos + 4;
  }

  /** §5.3.1.1: one, two or three bytes depending on the chunk stream id. */
  static void writeBasicHeader(ByteArrayOutputStream out, int fmt, int chunkStreamId) {
    if (chunkStreamId < 64) {
      out.write(fmt << 6 | chunkStreamId);
    } else if (chunkStreamId < 64 + 256) {
      out.write(fmt << 6);
      out.write(chunkStreamId - 64);
    } else {
      int id = chunkStreamId - 64;
      out.write(fmt << 6 | 1);
      out.write(id & 0xFF);
      out.write(id >>> 8);
    }
  }

  private static void write24(ByteArrayOutputStream out, int v) {
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }

  private static void write32(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }
}
