package com.nrsgirls.streaming.pipeline.restream;

import com.nrsgirls.streaming.core.media.MediaPacket;

/**
 * A packet on its way to a restream target, with the publish session it came from: a target's
 * connection outlives sessions (a publisher's reconnect, a takeover), and where one session's
 * packets end and the next one's begin is where its timeline is stitched.
 */
record SessionPacket(String sessionId, MediaPacket packet) {}
