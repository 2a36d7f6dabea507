/**
 * HLS output (RFC 8216): media and master playlists, the segment store they and the MPEG-TS
 * segments are written through, and the segmenter that cuts a stream's packets into segments.
 *
 * <p>Data flow: {@link com.nrsgirls.streaming.pipeline.hls.HlsSegmenter} takes a rendition's media
 * packets, muxes them with {@link com.nrsgirls.streaming.pipeline.ts.TsMuxer} straight into a
 * {@link com.nrsgirls.streaming.pipeline.hls.SegmentOutput}, commits the segment, then replaces the
 * rendition's {@link com.nrsgirls.streaming.pipeline.hls.MediaPlaylist} in the {@link
 * com.nrsgirls.streaming.pipeline.hls.SegmentStore}. A {@link
 * com.nrsgirls.streaming.pipeline.hls.QueuedSegmentStore} in front of the store lets the segmenter
 * run on a stream's own thread: it performs the writes, in order, on a blocking executor. Plain
 * Java, no Pekko.
 */
package com.nrsgirls.streaming.pipeline.hls;
