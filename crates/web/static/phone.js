// The browser phone: the user's calls ring in the page and are spoken with its microphone and
// speakers over WebRTC. Signalling goes over this session's WebSocket (/phone); the server
// answers the page's offers (ICE-lite, DTLS-SRTP) and bridges the audio to the call. A page
// that reloads or navigates during a call gets it back (the server keeps it meanwhile and the
// customer hears music on hold).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const badge = document.getElementById("phone-state");
  if (!badge || !window.RTCPeerConnection || !window.WebSocket) return;
  const label = badge.querySelector(".label");
  const useHere = document.getElementById("phone-use-here");
  const audio = Object.assign(document.createElement("audio"), { id: "phone-audio", autoplay: true });
  audio.hidden = true;
  document.body.appendChild(audio);
  let ws = null, pc = null, mic = null, retry = 0, ringer = null, elsewhere = false;
  const phone = window.switchboardPhone = {
    state: "offline", incoming: null, remote: null, last: null,
    answer, hangup, dial, dtmf: (digits) => send({ type: "dtmf", digits }),
    diagnostics,
  };
  let statsWaiting = null;
  // The media path of the call, both ends: the server's counts and the browser's own.
  async function diagnostics() {
    const server = await new Promise((resolve) => {
      statsWaiting = resolve;
      send({ type: "stats" });
      setTimeout(() => resolve(null), 1500);
    });
    const browser = { sent: 0, received: 0, lost: 0, jitter: 0, rtt: null };
    if (pc) {
      (await pc.getStats()).forEach((r) => {
        if (r.type === "outbound-rtp" && r.kind === "audio") browser.sent = r.packetsSent || 0;
        if (r.type === "inbound-rtp" && r.kind === "audio") {
          browser.received = r.packetsReceived || 0;
          browser.lost = Math.max(0, r.packetsLost || 0);
          browser.jitter = Math.round((r.jitter || 0) * 1000);
        }
        if (r.type === "candidate-pair" && r.nominated && r.currentRoundTripTime != null) browser.rtt = Math.round(r.currentRoundTripTime * 1000);
      });
    }
    return { server, browser };
  }
  function set(state) {
    phone.state = state;
    badge.dataset.state = state;
    const key = { ready: "ready", talking: "talking", ringing: "ready", offline: "offline", elsewhere: "elsewhere", "no-mic": "noMic" }[state];
    label.textContent = badge.dataset[key] || state;
    if (useHere) useHere.hidden = state !== "elsewhere";
    document.dispatchEvent(new CustomEvent("switchboard:phone", { detail: state }));
  }
  function send(msg) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); }
  function connect() {
    elsewhere = false;
    ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/phone`);
    ws.onopen = () => { retry = 0; };
    ws.onmessage = (e) => { let m; try { m = JSON.parse(e.data); } catch (_) { return; } on(m); };
    ws.onclose = () => {
      closeMedia();
      if (elsewhere) return set("elsewhere");
      set("offline");
      setTimeout(connect, Math.min(5000, 300 * 2 ** retry++));
    };
  }
  function on(m) {
    phone.last = m;
    switch (m.type) {
      case "ready": if (phone.state !== "talking") set("ready"); break;
      case "replaced": elsewhere = true; break;
      case "incoming":
        phone.incoming = m.from;
        phone.incomingShown = m.shown || m.from;
        set("ringing");
        if (m.auto) answer(); else ring(true);
        break;
      case "resume": answer(); break;
      case "sdp": if (pc) pc.setRemoteDescription({ type: "answer", sdp: m.sdp }).catch(() => {}); break;
      case "connected": set("talking"); break;
      case "stats": if (statsWaiting) { statsWaiting(m.stats); statsWaiting = null; } break;
      case "ended": phone.incoming = null; ring(false); closeMedia(); set("ready"); break;
      default: break;
    }
  }
  // The page's offer: its microphone, and the far side's audio to the speakers.
  async function offer() {
    closeMedia();
    try {
      mic ||= await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (_) {
      set("no-mic");
      return null;
    }
    pc = new RTCPeerConnection();
    for (const t of mic.getAudioTracks()) pc.addTrack(t, mic);
    pc.ontrack = (e) => {
      phone.remote = e.streams[0] || new MediaStream([e.track]);
      audio.srcObject = phone.remote;
      audio.play().catch(() => {});
    };
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return pc.localDescription.sdp;
  }
  async function answer() {
    ring(false);
    const sdp = await offer();
    if (sdp) send({ type: "answer", sdp });
  }
  async function dial(number) {
    const sdp = await offer();
    if (sdp) send({ type: "dial", number, sdp });
  }
  function hangup() { ring(false); send({ type: "hangup" }); }
  function closeMedia() {
    if (pc) { try { pc.close(); } catch (_) { /* closed */ } }
    pc = null;
  }
  // A ring in the speakers while a call rings here (where the browser lets a page play sound).
  function ring(on) {
    if (ringer) { ringer.close().catch(() => {}); ringer = null; }
    if (!on || !window.AudioContext) return;
    try {
      ringer = new AudioContext();
      const gain = ringer.createGain();
      gain.gain.value = 0;
      for (const f of [440, 480]) {
        const o = ringer.createOscillator();
        o.frequency.value = f;
        o.connect(gain);
        o.start();
      }
      gain.connect(ringer.destination);
      const t0 = ringer.currentTime;
      for (let i = 0; i < 20; i++) {
        gain.gain.setValueAtTime(0.08, t0 + i * 6);
        gain.gain.setValueAtTime(0, t0 + i * 6 + 2);
      }
    } catch (_) { ringer = null; }
  }
  if (useHere) useHere.addEventListener("click", connect);
  connect();
});
