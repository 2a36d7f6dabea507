package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;

/**
 * What a session's audio track is, as read from its codec configuration record.
 *
 * @param codec codec name as the API shows it, e.g. {@code aac}
 * @param codecs RFC 6381 codec string for HLS, e.g. {@code mp4a.40.2}
 */
public record AudioInfo(String codec, String codecs, int sampleRate, int channels)
    implements CborSerializable {}
