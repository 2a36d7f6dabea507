package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;

/**
 * What a session's video track is, as read from its codec configuration record.
 *
 * @param codec codec name as the API shows it, e.g. {@code h264}
 * @param codecs RFC 6381 codec string for HLS, e.g. {@code avc1.64002a}
 */
public record VideoInfo(String codec, String codecs, int width, int height)
    implements CborSerializable {}
