package com.nrsgirls.streaming.rtmp;

/**
 * One reassembled RTMP message (Adobe RTMP spec §6.1).
 *
 * @param chunkStreamId the chunk stream it arrived on
 * @param typeId see {@link MessageType}
 * @param messageStreamId 0 for the connection, the id from {@code createStream} for a stream
 * @param timestamp milliseconds, extended past RTMP's 32-bit wrap per message stream
 * @param payload the whole payload, in an array of its own that nobody else writes to
 */
public record RtmpMessage(
    int chunkStreamId, int typeId, int messageStreamId, long timestamp, byte[] payload) {

  @Override
  public String toString() {
    return "RtmpMessage[csid="
        + chunkStreamId
        + " type="
        + typeId
        + " stream="
        + messageStreamId
        + " ts="
        + timestamp
        + " bytes="
        + payload.length
        + "]";
  }
}
