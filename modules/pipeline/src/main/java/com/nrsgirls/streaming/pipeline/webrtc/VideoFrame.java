package com.nrsgirls.streaming.pipeline.webrtc;

import java.util.List;

/**
 * One H.264 access unit as RTP payloads, packetized once for every viewer of the stream.
 *
 * @param pts its presentation time on the feed's timeline, in milliseconds
 */
record VideoFrame(List<byte[]> payloads, long pts, boolean keyframe) {}
