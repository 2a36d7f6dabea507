package com.nrsgirls.streaming.core.media;

/**
 * An MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), the payload of an FLV/RTMP AAC sequence
 * header. Explicitly signalled SBR/PS (HE-AAC) is unwrapped to its core object type, which is what
 * an ADTS header carries.
 *
 * @param signalledObjectType the object type as signalled, for the HLS codec string (2 = LC, 5 =
 *     HE-AAC, 29 = HE-AAC v2)
 * @param coreObjectType the underlying object type that ADTS headers carry (1 to 4)
 * @param samplingFrequencyIndex index into the standard sample rate table (0 to 12)
 * @param sampleRate core sample rate in Hz
 * @param channelConfiguration channel configuration (1 = mono, 2 = stereo, ...)
 */
public record AacConfig(
    int signalledObjectType,
    int coreObjectType,
    int samplingFrequencyIndex,
    int sampleRate,
    int channelConfiguration) {

  private static final int[] SAMPLE_RATES = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350
  };

  public static AacConfig parse(byte[] data, int offset, int length) throws MediaFormatException {
    if (length < 2) {
      throw new MediaFormatException("AudioSpecificConfig too short: " + length);
    }
    BitReader r = new BitReader(data, offset, length);
    int signalled = readObjectType(r);
    int sfi = readSamplingFrequencyIndex(r);
    int channels = r.readBitsInt(4);
    int core = signalled;
    if (signalled == 5 || signalled == 29) {
      readSamplingFrequencyIndex(r); // extension (SBR) sampling frequency
      core = readObjectType(r);
    }
    if (sfi >= SAMPLE_RATES.length) {
      throw new MediaFormatException("sampling frequency index " + sfi + " is not supported");
    }
    if (channels == 0 || channels > 7) {
      throw new MediaFormatException("channel configuration " + channels + " is not supported");
    }
    return new AacConfig(signalled, core, sfi, SAMPLE_RATES[sfi], channels);
  }

  private static int readObjectType(BitReader r) throws MediaFormatException {
    int type = r.readBitsInt(5);
    return type == 31 ? 32 + r.readBitsInt(6) : type;
  }

  private static int readSamplingFrequencyIndex(BitReader r) throws MediaFormatException {
    int index = r.readBitsInt(4);
    if (index == 15) {
      r.skipBits(24);
    }
    return index;
  }

  /** Channel count; configuration 7 is 7.1, eight channels. */
  public int channels() {
    return channelConfiguration == 7 ? 8 : channelConfiguration;
  }

  /** Whether an ADTS header can describe this stream (object types 1 to 4). */
  public boolean fitsAdts() {
    return coreObjectType >= 1 && coreObjectType <= 4;
  }

  /** RFC 6381 codec string for HLS {@code CODECS}, e.g. {@code mp4a.40.2}. */
  public String codecsString() {
    return "mp4a.40." + signalledObjectType;
  }
}
