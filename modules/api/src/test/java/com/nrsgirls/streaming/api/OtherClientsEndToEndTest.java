package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RTMP publishers other than the ffmpeg CLI: GStreamer's {@code rtmpsink} is built on librtmp, the
 * library OBS Studio's RTMP output descends from, and {@code rtmp2sink} is GStreamer's own
 * implementation. Each publishes a live test pattern with AAC audio; the node's HLS output must
 * decode cleanly.
 */
@ExtendWith(TestNode.PerClass.class)
class OtherClientsEndToEndTest {
  @BeforeAll
  static void needsGstreamer() throws Exception {
    Processes.Result gst =
        Processes.run(List.of("gst-inspect-1.0", "rtmpsink"), Duration.ofSeconds(30));
    assertEquals(
        0,
        gst.exitCode(),
        "GStreamer with rtmpsink is needed (apt-get install gstreamer1.0-tools"
            + " gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good;"
            + " .ci/run installs them)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rtmpsink", "rtmp2sink"})
  void gstreamerPublishesAndTheOutputDecodes(String sink, TestNode node) throws Exception {
    JsonNode created = node.createStream(sink);
    String streamId = created.get("streamId").asText();
    String url = node.rtmpUrl(created.get("streamKey").asText());
    Processes.Result published =
        Processes.run(
            List.of(
                "gst-launch-1.0",
                "-e",
                "videotestsrc",
                "is-live=true",
                "num-buffers=150",
                "!",
                "video/x-raw,width=640,height=360,framerate=30/1",
                "!",
                "x264enc",
                "tune=zerolatency",
                "key-int-max=60",
                "bitrate=1000",
                "!",
                "h264parse",
                "!",
                "flvmux",
                "name=mux",
                "streamable=true",
                "!",
                sink,
                "location=" + url,
                "audiotestsrc",
                "is-live=true",
                "num-buffers=235",
                "samplesperbuffer=1024",
                "!",
                "audio/x-raw,rate=48000,channels=2",
                "!",
                "audioconvert",
                "!",
                "voaacenc",
                "!",
                "aacparse",
                "!",
                "mux."),
            Duration.ofSeconds(60));
    assertEquals(0, published.exitCode(), published.stdout() + published.stderr());

    node.awaitState(streamId, Duration.ofSeconds(15), s -> s.get("status").asText().equals("idle"));
    node.awaitFile(
        node.mediaPlaylist(streamId), Duration.ofSeconds(10), t -> t.contains("#EXT-X-ENDLIST"));
    JsonNode last = node.state(streamId).get("lastSession");
    assertEquals("publisher disconnected", last.get("endReason").asText());

    String playlist = node.httpUrl("/live/" + streamId + "/index.m3u8");
    Processes.Result decode = Ffmpeg.decode(playlist);
    assertEquals(0, decode.exitCode());
    assertEquals("", decode.stderr().strip(), sink + " output printed decode errors");
    Processes.Result probe =
        Ffprobe.run(playlist, "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0");
    assertTrue(probe.stdout().contains("h264,640,360"), probe.stdout());
    assertTrue(probe.stdout().contains("aac"), probe.stdout());
  }
}
