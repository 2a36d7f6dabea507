package com.nrsgirls.streaming.pipeline.store;

import com.typesafe.config.Config;

/**
 * Where an S3-compatible bucket is and how to sign for it ({@code nrs.streaming.store.s3}).
 *
 * @param bucket the bucket, which must exist
 * @param prefix put before every key (e.g. {@code nrs/}); empty for none
 * @param endpoint the server's URL ({@code http://127.0.0.1:9000}); empty for AWS itself
 * @param region the signing region
 * @param pathStyle whether the bucket goes in the path rather than the host name (most
 *     S3-compatible servers want this)
 * @param accessKey access key id; empty to take the AWS default chain (environment, profile,
 *     instance role)
 * @param secretKey its secret; never logged
 * @param partSize files larger than this go up as a multipart upload in parts of this size (S3
 *     takes parts of 5 MiB and more)
 * @param callTimeout a call not done by then fails (and is cancelled): a server that does not
 *     answer (or a port nothing listens on, which pekko-connectors-s3 1.0 keeps retrying) must not
 *     hold an upload forever; a multipart upload gets this per part
 */
public record S3StoreSettings(
    String bucket,
    String prefix,
    String endpoint,
    String region,
    boolean pathStyle,
    String accessKey,
    String secretKey,
    long partSize,
    java.time.Duration callTimeout) {
  public S3StoreSettings {
    if (bucket == null || bucket.isBlank()) {
      throw new IllegalArgumentException("nrs.streaming.store.s3.bucket (NRS_S3_BUCKET) is empty");
    }
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix = prefix + "/";
    }
    if (partSize < 5L * 1024 * 1024) {
      throw new IllegalArgumentException("nrs.streaming.store.s3.part-size must be 5 MiB or more");
    }
  }

  public static S3StoreSettings from(Config c) {
    return new S3StoreSettings(
        c.getString("bucket"),
        c.getString("prefix"),
        c.getString("endpoint"),
        c.getString("region"),
        c.getBoolean("path-style"),
        c.getString("access-key"),
        c.getString("secret-key"),
        c.getBytes("part-size"),
        c.getDuration("call-timeout"));
  }

  @Override
  public String toString() {
    return "S3StoreSettings[bucket="
        + bucket
        + ", prefix="
        + prefix
        + ", endpoint="
        + endpoint
        + ", region="
        + region
        + ", pathStyle="
        + pathStyle
        + ", accessKey="
        + (accessKey.isEmpty() ? "(default chain)" : "(set)")
        + "]";
  }
}
