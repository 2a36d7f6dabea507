package com.nrsgirls.streaming.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The standard clip is what the tests that publish or read it expect, checked with ffprobe. */
class TestClipsTest {

  @Test
  void aClipIsMadeOnceWithH264BFramesAKeyframeEveryTwoSecondsAndStereoAac() throws Exception {
    Path clip = TestClips.flv(4, 320, 240);
    assertSame(clip, TestClips.flv(4, 320, 240), "made once");
    assertTrue(Files.size(clip) > 0);

    Processes.Result streams =
        Ffprobe.run(
            clip.toString(),
            "-show_entries",
            "stream=codec_name,width,height,pix_fmt,r_frame_rate,channels,sample_rate",
            "-of",
            "csv=p=0");
    assertEquals(0, streams.exitCode(), streams.stderr());
    assertEquals(
        List.of("h264,320,240,yuv420p,30/1", "aac,48000,2,0/0"), streams.stdout().lines().toList());

    Processes.Result video =
        Ffprobe.run(
            clip.toString(),
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts_time,dts_time,flags",
            "-of",
            "csv=p=0");
    assertEquals(0, video.exitCode(), video.stderr());
    List<String[]> packets = video.stdout().lines().map(l -> l.split(",")).toList();
    assertEquals(120, packets.size(), "4 s at 30 fps");
    List<Double> keyframes =
        packets.stream()
            .filter(p -> p[2].startsWith("K"))
            .map(p -> Double.parseDouble(p[0]))
            .toList();
    assertEquals(2, keyframes.size(), keyframes.toString());
    assertEquals(2.0, keyframes.get(1) - keyframes.get(0), 0.001, "a keyframe every 2 s");
    assertTrue(packets.stream().anyMatch(p -> !p[0].equals(p[1])), "B-frames: PTS is not DTS");

    Processes.Result decode = Ffmpeg.decode(clip.toString());
    assertEquals(0, decode.exitCode());
    assertEquals("", decode.stderr(), "decodes without errors");
  }
}
