package com.nrsgirls.streaming.pipeline.restream;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How the node pushes streams on to their restream targets, read once from {@code
 * nrs.streaming.pipeline.restream}.
 *
 * @param chunkSize the chunk size we send with
 * @param connectTimeout how long a TCP (and TLS) connect may take
 * @param publishTimeout how long from connected to the server accepting the publish
 * @param queuePackets packets a target may fall behind before it drops to the next keyframe
 * @param maxMessageLength the longest message accepted from a target's server
 * @param tlsContext what RTMPS connections trust: the JVM's CAs plus {@code trusted-certificates};
 *     null for the JVM's default
 */
public record RestreamSettings(
    int chunkSize,
    Duration connectTimeout,
    Duration publishTimeout,
    int queuePackets,
    int maxMessageLength,
    SSLContext tlsContext) {

  public static RestreamSettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline.restream");
    String extra = c.getString("trusted-certificates");
    return new RestreamSettings(
        c.getInt("chunk-size"),
        c.getDuration("connect-timeout"),
        c.getDuration("publish-timeout"),
        c.getInt("queue-packets"),
        (int) c.getMemorySize("max-message-length").toBytes(),
        extra.isBlank() ? null : trusting(Path.of(extra)));
  }

  /** A TLS context that trusts the JVM's CAs and the PEM certificates in {@code pem}. */
  static SSLContext trusting(Path pem) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
      if (Files.exists(cacerts)) {
        try (InputStream in = Files.newInputStream(cacerts)) {
          store.load(in, null);
        }
      } else {
        store.load(null, null);
      }
      int i = 0;
      try (InputStream in = Files.newInputStream(pem)) {
        for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          store.setCertificateEntry("nrs-trusted-" + i++, cert);
        }
      }
      if (i == 0) {
        throw new IllegalArgumentException("no certificate in " + pem);
      }
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "nrs.streaming.pipeline.restream.trusted-certificates: " + e.getMessage(), e);
    }
  }
}
