package com.nrsgirls.streaming.pipeline.ts;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.MediaFormatException;

/**
 * The 7-byte ADTS header without CRC that turns a raw AAC frame into an ADTS frame (ISO/IEC 13818-7
 * §6.2, adts_fixed_header and adts_variable_header), as MPEG-TS stream type 0x0F carries it.
 */
final class AdtsHeader {
  static final int LENGTH = 7;

  /** aac_frame_length is 13 bits and counts the header. */
  static final int MAX_FRAME_LENGTH = 0x1FFF;

  private AdtsHeader() {}

  /** Writes the header for a raw frame of {@code rawLength} bytes at {@code offset}. */
  static void write(byte[] b, int offset, AacConfig config, int rawLength)
      throws MediaFormatException {
    int frameLength = LENGTH + rawLength;
    if (frameLength > MAX_FRAME_LENGTH) {
      throw new MediaFormatException(
          "AAC frame of " + rawLength + " bytes does not fit an ADTS header");
    }
    int profile = config.coreObjectType() - 1; // profile_ObjectType
    int sfi = config.samplingFrequencyIndex();
    int channels = config.channelConfiguration();
    b[offset] = (byte) 0xFF; // syncword 0xFFF
    // syncword, ID 0 (MPEG-4), layer '00', protection_absent 1
    b[offset + 1] = (byte) 0xF1;
    // profile (2), sampling_frequency_index (4), private_bit 0, channel_configuration high bit
    b[offset + 2] = (byte) ((profile << 6) | (sfi << 2) | ((channels >> 2) & 0x1));
    // channel_configuration low bits, original_copy 0, home 0, copyright bits 0, frame length
    b[offset + 3] = (byte) (((channels & 0x3) << 6) | (frameLength >> 11));
    b[offset + 4] = (byte) (frameLength >> 3);
    // frame length low bits, adts_buffer_fullness 0x7FF (variable rate)
    b[offset + 5] = (byte) (((frameLength & 0x7) << 5) | 0x1F);
    b[offset + 6] = (byte) 0xFC; // buffer fullness low bits, number_of_raw_data_blocks 0
  }
}
