package com.nrsgirls.streaming.api;

/**
 * The URLs a node hands out: where OBS publishes and where viewers play. Taken from config when the
 * node sits behind a load balancer or CDN, else derived from the bound addresses.
 */
record PublicUrls(String httpBase, String rtmpBase) {

  String ingestUrl() {
    return rtmpBase + "/live";
  }

  String playbackUrl(String streamId) {
    return httpBase + "/live/" + streamId + "/index.m3u8";
  }

  /** A recording's VOD playlist, served by the node from the object store. */
  String recordingUrl(String streamId, String recordingId) {
    return httpBase + "/recordings/" + streamId + "/" + recordingId + "/index.m3u8";
  }
}
