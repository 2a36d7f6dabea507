package com.nrsgirls.streaming.webrtc.dtls;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Locale;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The node's DTLS identity: a self-signed ECDSA P-256 certificate, made at start and never stored.
 * WebRTC authenticates it by its fingerprint in the SDP answer (RFC 8122), not by a CA, so a new
 * one per node start costs nothing. ECDSA because WebRTC peers expect it (Chromium's own are) and
 * because it keeps the handshake's flights small enough for one datagram each.
 */
public final class DtlsCertificate {
  private static final Duration VALIDITY = Duration.ofDays(30);

  private final byte[] der;
  private final AsymmetricKeyParameter privateKey;
  private final String fingerprintSha256;

  private DtlsCertificate(byte[] der, AsymmetricKeyParameter privateKey) {
    this.der = der;
    this.privateKey = privateKey;
    this.fingerprintSha256 = fingerprint("sha-256", der);
  }

  /** A new key pair and a certificate for it, valid from a day ago for 30 days. */
  public static DtlsCertificate generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair pair = generator.generateKeyPair();
      X500Name name = new X500Name("CN=nrs-streaming");
      Instant now = Instant.now();
      X509CertificateHolder holder =
          new JcaX509v3CertificateBuilder(
                  name,
                  new BigInteger(63, new SecureRandom()),
                  Date.from(now.minus(Duration.ofDays(1))),
                  Date.from(now.plus(VALIDITY)),
                  name,
                  pair.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
      return new DtlsCertificate(
          holder.getEncoded(), PrivateKeyFactory.createKey(pair.getPrivate().getEncoded()));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot make a DTLS certificate: " + e.getMessage(), e);
    }
  }

  /** The certificate, DER-encoded. */
  public byte[] der() {
    return der.clone();
  }

  AsymmetricKeyParameter privateKey() {
    return privateKey;
  }

  /** Its SHA-256 fingerprint as an SDP {@code a=fingerprint:sha-256} value ("AB:CD:..."). */
  public String fingerprintSha256() {
    return fingerprintSha256;
  }

  /**
   * The fingerprint of {@code der} under {@code algorithm} as SDP writes it: upper-case hex pairs
   * separated by colons (RFC 8122 §5).
   *
   * @param algorithm an SDP hash name: sha-1, sha-224, sha-256, sha-384 or sha-512
   * @throws IllegalArgumentException for another name
   */
  public static String fingerprint(String algorithm, byte[] der) {
    String jca =
        switch (algorithm.toLowerCase(Locale.ROOT)) {
          case "sha-1" -> "SHA-1";
          case "sha-224" -> "SHA-224";
          case "sha-256" -> "SHA-256";
          case "sha-384" -> "SHA-384";
          case "sha-512" -> "SHA-512";
          default -> throw new IllegalArgumentException("unknown fingerprint hash " + algorithm);
        };
    try {
      byte[] digest = MessageDigest.getInstance(jca).digest(der);
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(jca + " is missing from this JVM", e);
    }
  }

  /**
   * Whether {@code der} is the certificate an SDP {@code a=fingerprint} value ({@code "sha-256
   * AB:..."}) names. A malformed value or an unknown hash matches nothing.
   */
  public static boolean matches(String sdpFingerprint, byte[] der) {
    if (sdpFingerprint == null) {
      return false;
    }
    String[] parts = sdpFingerprint.strip().split("\\s+");
    if (parts.length != 2) {
      return false;
    }
    try {
      byte[] expected =
          fingerprint(parts[0], der).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] given =
          parts[1].toUpperCase(Locale.ROOT).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      return MessageDigest.isEqual(expected, given);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
