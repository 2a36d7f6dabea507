// The tests' HLS player: hls.js (loaded before this) in low-latency mode, with what a test asks
// of it. nrsHls.play(url) starts playing a master playlist muted; nrsHls.stats() says where it is.
window.nrsHls = (() => {
  const state = {
    stalls: 0, waits: 0, errors: [], fatal: null, startedAt: null, requestedAt: null,
    parts: 0, segments: 0, levelSwitches: 0, stalledAt: [],
  };
  let hls = null;
  let video = null;

  const logs = [];
  const keep = (level) => (...args) => {
    // the first lines: how it started (a stall at the start is what a test wants to read)
    if (logs.length < 3000) {
      logs.push(Math.round(performance.now()) + ' ' + level + ' ' + args.join(' '));
    }
  };

  function play(url, options = {}) {
    if (!Hls.isSupported()) {
      throw new Error('hls.js: MediaSource is not supported here');
    }
    video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.appendChild(video);
    const config = { lowLatencyMode: true };
    if (options.log) {
      // hls.js's own log, kept in the page for a test to read (nrsHls.logs())
      config.debug = {
        trace: () => {}, debug: () => {}, log: keep('log'), info: keep('info'),
        warn: keep('warn'), error: keep('error'),
      };
    }
    hls = new Hls(config);
    hls.on(Hls.Events.ERROR, (event, data) => {
      const what = data.reason || (data.error && data.error.message) || '';
      const where = (data.part && data.part.url) || (data.frag && data.frag.url) || '';
      state.errors.push(data.details + (data.fatal ? ' (fatal)' : '')
          + (what ? ': ' + what : '') + (where ? ' at ' + where.replace(/^.*\//, '') : ''));
      if (data.details === Hls.ErrorDetails.BUFFER_STALLED_ERROR) {
        state.stalls++;
        state.stalledAt.push(Math.round(video.currentTime * 10) / 10);
      }
      if (data.fatal) {
        state.fatal = data.details;
      }
    });
    hls.on(Hls.Events.FRAG_LOADED, (event, data) => {
      if (data.part) {
        state.parts++;
      } else {
        state.segments++;
      }
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, () => state.levelSwitches++);
    video.addEventListener('playing', () => {
      if (state.startedAt === null) {
        state.startedAt = performance.now();
      }
    });
    video.addEventListener('waiting', () => {
      if (state.startedAt !== null) {
        state.waits++;
      }
    });
    state.requestedAt = performance.now();
    hls.loadSource(url);
    hls.attachMedia(video);
    video.play().catch(() => {});
    return true;
  }

  function stats() {
    const quality = video.getVideoPlaybackQuality();
    return {
      currentTime: video.currentTime,
      latency: hls.latency,
      targetLatency: hls.targetLatency,
      lowLatencyMode: hls.lowLatencyMode,
      stalls: state.stalls,
      stalledAt: state.stalledAt,
      buffered: video.buffered.length ? video.buffered.end(video.buffered.length - 1) - video.currentTime : 0,
      waits: state.waits,
      errors: state.errors.slice(-10),
      fatal: state.fatal,
      startupMillis: state.startedAt === null ? null : state.startedAt - state.requestedAt,
      parts: state.parts,
      segments: state.segments,
      decodedFrames: quality.totalVideoFrames,
      droppedFrames: quality.droppedVideoFrames,
      paused: video.paused,
      readyState: video.readyState,
      width: video.videoWidth,
    };
  }

  return { play, stats, logs: () => logs.slice() };
})();
