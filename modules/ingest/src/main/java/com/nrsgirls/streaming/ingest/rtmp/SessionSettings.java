package com.nrsgirls.streaming.ingest.rtmp;

import com.nrsgirls.streaming.rtmp.ChunkDecoder;
import com.nrsgirls.streaming.rtmp.amf.Amf0Reader;

/**
 * Limits and announced values of one RTMP server session.
 *
 * @param application the RTMP application publishers connect to ({@code live} in {@code
 *     rtmp://host/live/KEY})
 * @param maxMessageLength longest message accepted from a peer that publishes, bytes
 * @param maxMessageLengthBeforePublish longest message accepted before a publish was accepted: a
 *     peer that has not shown a valid key may not make the server hold big buffers
 * @param maxChunkSize largest chunk size a peer may set
 * @param maxChunkStreams chunk streams (and message streams) a peer may use
 * @param amfMaxDepth how deep AMF0 containers may nest
 * @param amfMaxValues how many AMF0 values one command or data message may hold
 * @param chunkSize the chunk size we send with, announced after {@code connect}
 * @param windowAckSize the Window Acknowledgement Size we announce, and the window we acknowledge
 *     until the peer announces its own
 * @param peerBandwidth the Set Peer Bandwidth we announce
 */
public record SessionSettings(
    String application,
    int maxMessageLength,
    int maxMessageLengthBeforePublish,
    int maxChunkSize,
    int maxChunkStreams,
    int amfMaxDepth,
    int amfMaxValues,
    int chunkSize,
    int windowAckSize,
    int peerBandwidth) {

  public SessionSettings {
    if (maxMessageLength < 1 || maxMessageLength > 0xFFFFFF) {
      throw new IllegalArgumentException("max message length must be 1 byte to 16 MiB - 1");
    }
    if (maxMessageLengthBeforePublish < 1 || maxMessageLengthBeforePublish > maxMessageLength) {
      throw new IllegalArgumentException(
          "max message length before publish must be 1 byte to the max message length");
    }
    if (maxChunkSize < ChunkDecoder.DEFAULT_CHUNK_SIZE) {
      throw new IllegalArgumentException("max chunk size must be at least 128");
    }
    if (chunkSize < ChunkDecoder.DEFAULT_CHUNK_SIZE || chunkSize > 0xFFFFFF) {
      throw new IllegalArgumentException("chunk size must be 128 to 16777215");
    }
    if (maxChunkStreams < 1 || amfMaxDepth < 1 || amfMaxValues < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
    if (windowAckSize < 1 || peerBandwidth < 1) {
      throw new IllegalArgumentException("window sizes must be positive");
    }
  }

  /** The values of ingest's reference.conf. */
  public static SessionSettings defaults() {
    return new SessionSettings(
        "live",
        8 * 1024 * 1024,
        64 * 1024,
        1024 * 1024,
        64,
        Amf0Reader.DEFAULT_MAX_DEPTH,
        Amf0Reader.DEFAULT_MAX_VALUES,
        4096,
        2_500_000,
        2_500_000);
  }
}
