// A WHIP publisher and a WHEP viewer as a browser runs them, for the tests: loaded into a page of
// the node's origin by Chromium#evaluate, then called as window.nrs.play(...), nrs.stats(), etc.
window.nrs = {
  // WHEP: a recvonly offer for video and audio, POSTed to url; plays what comes in muted <video>
  // and <audio> elements. Returns the HTTP status, the Location and the answer.
  async play(url) {
    window.nrsAsked = performance.now();
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.addTransceiver('audio', {direction: 'recvonly'});
    const media = new MediaStream();
    pc.ontrack = e => media.addTrack(e.track);
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch(url, {
      method: 'POST',
      headers: {'Content-Type': 'application/sdp'},
      body: pc.localDescription.sdp,
    });
    const body = await r.text();
    if (r.status !== 201) {
      pc.close();
      return {status: r.status, body};
    }
    await pc.setRemoteDescription({type: 'answer', sdp: body});
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = media;
    document.body.appendChild(video);
    video.play().catch(() => {});
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.srcObject = media;
    document.body.appendChild(audio);
    audio.play().catch(() => {});
    const location = r.headers.get('Location');
    window.nrsPeer = {pc, location};
    return {status: r.status, location, answer: body};
  },

  // WHIP: the fake camera (a test pattern, 640x360 at 30 fps) and microphone (a beep), H.264 only,
  // POSTed to url with the stream key as the Bearer token.
  async publish(url, key) {
    const media = await navigator.mediaDevices.getUserMedia({
      video: {width: 640, height: 360, frameRate: 30},
      audio: true,
    });
    return nrs.publishMedia(url, key, media);
  },

  // WHIP of a 640x360 canvas at 30 fps with the wall clock drawn into it (32 bits of Date.now(),
  // black and white blocks 20 px wide across its top 40 px) and a moving square, plus the fake
  // microphone: what nrs.measureClock reads back from a viewer's frames.
  async publishClock(url, key) {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const ctx = canvas.getContext('2d');
    let frame = 0;
    const draw = () => {
      const v = Date.now() % 4294967296;
      ctx.fillStyle = '#335';
      ctx.fillRect(0, 0, 640, 360);
      ctx.fillStyle = '#fc3';
      ctx.fillRect((frame * 7) % 600, 120 + (frame % 60), 40, 40);
      frame++;
      for (let k = 0; k < 32; k++) {
        ctx.fillStyle = Math.floor(v / 2 ** (31 - k)) % 2 ? '#fff' : '#000';
        ctx.fillRect(k * 20, 0, 20, 40);
      }
    };
    draw();
    window.nrsClock = setInterval(draw, 1000 / 30);
    const media = canvas.captureStream(30);
    const audio = await navigator.mediaDevices.getUserMedia({audio: true});
    media.addTrack(audio.getAudioTracks()[0]);
    return nrs.publishMedia(url, key, media);
  },

  async publishMedia(url, key, media) {
    const pc = new RTCPeerConnection();
    const video = pc.addTransceiver(media.getVideoTracks()[0], {direction: 'sendonly'});
    pc.addTransceiver(media.getAudioTracks()[0], {direction: 'sendonly'});
    const h264 = RTCRtpSender.getCapabilities('video').codecs
        .filter(c => c.mimeType.toLowerCase() === 'video/h264');
    if (h264.length === 0) {
      return {status: 0, body: 'this Chromium has no H.264 encoder for WebRTC'};
    }
    video.setCodecPreferences(h264);
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch(url, {
      method: 'POST',
      headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + key},
      body: pc.localDescription.sdp,
    });
    const body = await r.text();
    if (r.status !== 201) {
      pc.close();
      return {status: r.status, body};
    }
    await pc.setRemoteDescription({type: 'answer', sdp: body});
    const location = r.headers.get('Location');
    window.nrsPeer = {pc, location};
    return {status: r.status, location, answer: body};
  },

  // Milliseconds from the WHEP request to the first frame shown (resolves when it is).
  firstFrame() {
    const video = document.querySelector('video');
    return new Promise(resolve =>
        video.requestVideoFrameCallback((now, meta) =>
            resolve(meta.expectedDisplayTime - window.nrsAsked)));
  },

  // For `seconds`, every frame the viewer shows: how long ago (ms) the publisher drew the clock
  // it carries (nrs.publishClock), from the time the frame is to be displayed. Frames whose clock
  // cannot be read (more than 10 s off) are left out and counted.
  measureClock(seconds) {
    const video = document.querySelector('video');
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 40;
    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    const latencies = [];
    let unreadable = 0;
    const until = performance.now() + seconds * 1000;
    return new Promise(resolve => {
      const step = (now, meta) => {
        ctx.drawImage(video, 0, 0, video.videoWidth, video.videoHeight * 40 / 360, 0, 0, 640, 40);
        const d = ctx.getImageData(0, 0, 640, 40).data;
        let v = 0;
        for (let k = 0; k < 32; k++) {
          const i = (20 * 640 + k * 20 + 10) * 4;
          v = v * 2 + (d[i] > 128 ? 1 : 0);
        }
        const shown = (performance.timeOrigin + meta.expectedDisplayTime) % 4294967296;
        let latency = shown - v;
        if (latency < -2147483648) latency += 4294967296;
        if (latency >= 0 && latency < 10000) {
          latencies.push(latency);
        } else {
          unreadable++;
        }
        if (performance.now() < until) {
          video.requestVideoFrameCallback(step);
        } else {
          resolve({latencies, unreadable});
        }
      };
      video.requestVideoFrameCallback(step);
    });
  },

  // The peer's state and its RTP streams' statistics, by kind.
  async stats() {
    const peer = window.nrsPeer;
    const out = {state: peer.pc.connectionState};
    (await peer.pc.getStats()).forEach(r => {
      if (r.type === 'inbound-rtp' || r.type === 'outbound-rtp') {
        out[r.type + '-' + r.kind] = r;
      }
    });
    return out;
  },

  // Ends the session as a player or publisher does: DELETE on its Location, then close.
  async stop() {
    const peer = window.nrsPeer;
    const r = await fetch(peer.location, {method: 'DELETE'});
    peer.pc.close();
    return r.status;
  },
};
'loaded';
