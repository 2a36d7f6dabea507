/**
 * MPEG-TS muxing (ISO/IEC 13818-1) of H.264 and AAC for HLS segments, in plain Java.
 *
 * <p>{@link com.nrsgirls.streaming.pipeline.ts.TsMuxer} is the entry point; the other classes each
 * write one wire structure (PAT, PMT, PES header, ADTS header) or hold the scratch state the muxer
 * reuses from frame to frame.
 */
package com.nrsgirls.streaming.pipeline.ts;
