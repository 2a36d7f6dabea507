package com.nrsgirls.streaming.rtmp;

import static org.junit.jupiter.api.Assertions.*;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.flv.FlvFileReader;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publishing client against a real RTMP server of another make: ffmpeg listening ({@code
 * -listen 1}) and writing what it receives to an FLV file, which ffprobe then reads.
 */
class RtmpPublishSessionTest {

  @Test
  void publishesAClipThatFfmpegReceivesWhole(@TempDir Path dir) throws Exception {
    List<MediaPacket> clip = FlvFileReader.read(TestClips.flv(4, 320, 240));
    int port = freePort();
    Path received = dir.resolve("received.flv");
    String key = "secret-key-123";
    CompletableFuture<Processes.Result> server =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return Processes.run(
                    List.of(
                        "ffmpeg",
                        "-v",
                        "error",
                        "-listen",
                        "1",
                        "-timeout",
                        "20",
                        "-i",
                        "rtmp://127.0.0.1:" + port + "/live/" + key,
                        "-c",
                        "copy",
                        "-y",
                        received.toString()),
                    Duration.ofSeconds(60));
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });

    try (Socket socket = connectWhenListening(port, server)) {
      RtmpPublishSession session =
          new RtmpPublishSession(
              RtmpUrl.parse("rtmp://127.0.0.1:" + port + "/live"),
              key,
              4096,
              1 << 20,
              new Random(1));
      Driver driver = new Driver(socket, session);
      driver.until(session::isPublishing);
      session.sendMetadata(Map.of("width", 320.0, "height", 240.0, "videocodecid", 7.0));
      for (MediaPacket p : clip) {
        session.sendMedia(p, p.dts());
      }
      session.close();
      driver.flush();
      assertTrue(session.bytesSent() > clip.stream().mapToLong(MediaPacket::length).sum());
    }

    Processes.Result ffmpeg = server.get(60, TimeUnit.SECONDS);
    assertEquals(0, ffmpeg.exitCode(), ffmpeg.stderr());
    Processes.Result probe =
        Ffprobe.run(
            received.toString(),
            "-show_entries",
            "stream=codec_name,width,height:format=duration",
            "-of",
            "default=nw=1");
    assertEquals(0, probe.exitCode(), probe.stderr());
    assertTrue(probe.stdout().contains("codec_name=h264"), probe.stdout());
    assertTrue(probe.stdout().contains("codec_name=aac"), probe.stdout());
    assertTrue(probe.stdout().contains("width=320"), probe.stdout());
    double duration =
        Double.parseDouble(probe.stdout().replaceAll("(?s).*duration=([0-9.]+).*", "$1"));
    assertEquals(4.0, duration, 0.5, probe.stdout());
    Processes.Result decoded = Ffmpeg.decode(received.toString());
    assertEquals("", decoded.stderr().strip(), "what ffmpeg received decodes without errors");
  }

  @Test
  void aRefusedPublishEndsWithTheServersCodeAndNeverTheKey() throws Exception {
    RtmpPublishSession session =
        new RtmpPublishSession(
            RtmpUrl.parse("rtmp://example.com/live2/"), "k3y-s3cret", 4096, 1 << 20, new Random(2));
    ServerReplies server = new ServerReplies();
    server.handshake(session);
    assertEquals(RtmpPublishSession.State.CONNECTING, session.state());
    server.answer(session, CommandMessage.of("_result", 1, Map.of("fmsVer", "FMS/3,0,1,123")));
    assertEquals(RtmpPublishSession.State.CREATING_STREAM, session.state());
    assertEquals("FMS/3,0,1,123", session.serverVersion());
    server.answer(session, CommandMessage.of("_error", 2, null, Map.of("code", "NetStream.X")));
    server.answer(session, CommandMessage.of("_result", 4, null, 5.0));
    assertEquals(RtmpPublishSession.State.PUBLISH_REQUESTED, session.state());
    RtmpProtocolException refused =
        assertThrows(
            RtmpProtocolException.class,
            () ->
                server.answer(
                    session,
                    CommandMessage.of(
                        "onStatus",
                        0,
                        null,
                        Map.of(
                            "level", "error",
                            "code", "NetStream.Publish.BadName",
                            "description", "k3y-s3cret is already publishing"))));
    assertEquals("publish-refused", refused.reason());
    assertTrue(refused.getMessage().contains("NetStream.Publish.BadName"), refused.getMessage());
    assertFalse(refused.getMessage().contains("k3y-s3cret"), refused.getMessage());
  }

  @Test
  void serverUrlsAsPlatformsGiveThem() {
    RtmpUrl youtube = RtmpUrl.parse("rtmp://a.rtmp.youtube.com/live2/");
    assertEquals("a.rtmp.youtube.com", youtube.host());
    assertEquals(1935, youtube.port());
    assertEquals("live2", youtube.app());
    assertEquals("rtmp://a.rtmp.youtube.com/live2", youtube.tcUrl());
    RtmpUrl facebook = RtmpUrl.parse("rtmps://live-api-s.facebook.com:443/rtmp/");
    assertTrue(facebook.tls());
    assertEquals(443, facebook.port());
    assertEquals("rtmps://live-api-s.facebook.com/rtmp", facebook.tcUrl());
    assertEquals(8443, RtmpUrl.parse("rtmps://h:8443/app/inst").port());
    assertEquals("app/inst", RtmpUrl.parse("rtmp://h/app/inst").app());
    for (String bad :
        List.of("http://h/app", "rtmp://h", "rtmp:///app", "rtmp://u:p@h/app", "rtmp://h/a?k=1")) {
      assertThrows(IllegalArgumentException.class, () -> RtmpUrl.parse(bad), bad);
    }
  }

  /** Plays the server's side of the conversation from bytes, the way a real one would answer. */
  private static final class ServerReplies {
    private final ChunkEncoder encoder = new ChunkEncoder();
    private final ChunkDecoder fromClient = new ChunkDecoder(1 << 20, 1 << 20, 16);

    void handshake(RtmpPublishSession session) throws RtmpProtocolException {
      byte[] c0c1 = session.takeOutput();
      assertEquals(1 + Handshake.PACKET_SIZE, c0c1.length);
      byte[] c1 = java.util.Arrays.copyOfRange(c0c1, 1, c0c1.length);
      byte[] reply = Handshake.serverReply(c1, new Random(3));
      session.process(ByteBuffer.wrap(reply));
      byte[] c2 = session.takeOutput();
      assertArrayEquals(
          java.util.Arrays.copyOfRange(reply, 1, 1 + Handshake.PACKET_SIZE), c2, "C2 echoes S1");
      drain(session);
    }

    void answer(RtmpPublishSession session, CommandMessage command) throws RtmpProtocolException {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      encoder.write(out, 3, MessageType.COMMAND_AMF0, 0, 0, command.encode());
      session.process(ByteBuffer.wrap(out.toByteArray()));
      drain(session);
    }

    /** Reads what the client sent, so its chunk size is followed. */
    private void drain(RtmpPublishSession session) throws RtmpProtocolException {
      byte[] b;
      while ((b = session.takeOutput()) != null) {
        ByteBuffer in = ByteBuffer.wrap(b);
        while (fromClient.next(in) != null) {
          // the decoder applies Set Chunk Size itself
        }
      }
    }
  }

  /** Blocking socket I/O for the session, as the Pekko stage does it without blocking. */
  private static final class Driver {
    private final Socket socket;
    private final RtmpPublishSession session;
    private final OutputStream out;
    private final InputStream in;
    private final byte[] buffer = new byte[16384];

    Driver(Socket socket, RtmpPublishSession session) throws IOException {
      this.socket = socket;
      this.session = session;
      this.out = socket.getOutputStream();
      this.in = socket.getInputStream();
      socket.setSoTimeout(100);
    }

    void flush() throws IOException {
      byte[] b;
      while ((b = session.takeOutput()) != null) {
        out.write(b);
      }
      out.flush();
    }

    void until(java.util.function.BooleanSupplier done) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!done.getAsBoolean()) {
        assertTrue(System.nanoTime() < deadline, "no answer: " + session.state());
        flush();
        try {
          int n = in.read(buffer);
          assertTrue(n >= 0, "the server closed the connection in " + session.state());
          session.process(ByteBuffer.wrap(buffer, 0, n));
        } catch (SocketTimeoutException e) {
          // nothing yet: send what is queued and read again
        }
      }
      flush();
    }
  }

  private static Socket connectWhenListening(int port, CompletableFuture<?> server)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      assertFalse(server.isDone(), "ffmpeg ended before listening: " + server.getNow(null));
      Socket socket = new Socket();
      try {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return socket;
      } catch (ConnectException e) {
        socket.close();
        assertTrue(System.nanoTime() < deadline, "ffmpeg never listened on " + port);
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
