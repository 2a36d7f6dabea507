package com.nrsgirls.streaming.pipeline.restream.platform;

import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * A streaming platform's web API, as far as a restream needs it: before going live, make the
 * platform ready to receive the broadcast and learn where to push it; after, end it. One
 * implementation per platform (YouTube Data API v3, Twitch Helix, Facebook Graph API), each on the
 * creator's OAuth access token. Calls never block the caller; failures complete the stage with a
 * {@link PlatformException} whose message never holds a token or a stream key.
 */
public interface PlatformClient {
  /** {@code youtube}, {@code twitch} or {@code facebook}: the restream target's platform. */
  String platform();

  /**
   * Makes the platform ready for a broadcast (creates it where the platform wants one created) and
   * answers where to push it.
   */
  CompletionStage<Ingest> prepare(String accessToken, Broadcast broadcast);

  /** The broadcast is over: the platform ends it (where it does not notice by itself). */
  CompletionStage<Void> end(String accessToken, Ingest ingest);

  /** What the platform shows of a broadcast. */
  record Broadcast(String title, String description, Instant scheduledStart) {}

  /**
   * Where to push, as the platform gave it.
   *
   * @param url the server, {@code rtmp[s]://host[:port]/app}
   * @param streamKey the key to publish with: a secret
   * @param broadcastId the platform's id of the broadcast (to end it), or null where there is none
   */
  record Ingest(String url, String streamKey, String broadcastId) {
    @Override
    public String toString() {
      return "Ingest[" + url + " broadcast=" + broadcastId + "]"; // never the key
    }
  }
}
