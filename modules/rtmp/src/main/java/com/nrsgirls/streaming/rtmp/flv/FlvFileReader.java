package com.nrsgirls.streaming.rtmp.flv;

import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an FLV file into media packets (Adobe FLV spec v10.1, E.2 and E.3). For tests and tools
 * that need real encoder output without an RTMP connection; it reads the whole file into memory.
 */
public final class FlvFileReader {
  private static final int FILE_HEADER_MIN = 9;
  private static final int TAG_HEADER = 11;

  private FlvFileReader() {}

  public static List<MediaPacket> read(Path file) throws IOException, MediaFormatException {
    byte[] data = Files.readAllBytes(file);
    if (data.length < FILE_HEADER_MIN || data[0] != 'F' || data[1] != 'L' || data[2] != 'V') {
      throw new MediaFormatException("not an FLV file: " + file);
    }
    int headerSize = readInt(data, 5, 4);
    int p = headerSize + 4; // the header, then PreviousTagSize0
    long extension = 0;
    long last = -1;
    List<MediaPacket> packets = new ArrayList<>();
    while (p + TAG_HEADER <= data.length) {
      int type = data[p] & 0x1F;
      int size = readInt(data, p + 1, 3);
      long ts = readInt(data, p + 4, 3) | ((long) (data[p + 7] & 0xFF) << 24);
      int body = p + TAG_HEADER;
      if (body + size > data.length) {
        break; // a truncated last tag, as a killed recorder leaves it
      }
      if (last >= 0 && ts + extension < last - (1L << 31)) {
        extension += 1L << 32;
      }
      long dts = ts + extension;
      last = dts;
      MediaPacket packet =
          switch (type) {
            case FlvTag.TYPE_VIDEO -> FlvTag.video(dts, data, body, size);
            case FlvTag.TYPE_AUDIO -> FlvTag.audio(dts, data, body, size);
            default -> null;
          };
      if (packet != null) {
        packets.add(packet);
      }
      p = body + size + 4;
    }
    return packets;
  }

  private static int readInt(byte[] data, int offset, int bytes) {
    int v = 0;
    for (int i = 0; i < bytes; i++) {
      v = (v << 8) | (data[offset + i] & 0xFF);
    }
    return v;
  }
}
