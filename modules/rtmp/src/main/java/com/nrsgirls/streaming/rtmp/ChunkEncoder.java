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
