// What really crossed the wire and what the page heard: tcpdump on loopback read back as RTP,
// G.711 μ-law decoded and its tone measured; the page's received audio measured in the page.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Starts tcpdump with a BPF filter; resolves once it listens.
export async function capture(filter) {
  const file = join(mkdtempSync(join(tmpdir(), "switchboard-cap-")), "cap.pcap");
  const p = spawn("tcpdump", ["-i", "lo", "-U", "-n", "-s", "0", "-w", file, filter], { stdio: ["ignore", "ignore", "pipe"] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("tcpdump did not start")), 10000);
    p.stderr.on("data", (d) => { if (String(d).includes("listening on")) { clearTimeout(timer); resolve(); } });
  });
  return {
    // What it has captured so far (-U: each packet is written at once).
    async peek() {
      await new Promise((r) => setTimeout(r, 200));
      return parsePcap(readFileSync(file));
    },
    async stop() {
      await new Promise((r) => setTimeout(r, 300));
      p.kill("SIGINT");
      await new Promise((r) => p.on("exit", r));
      return parsePcap(readFileSync(file));
    },
  };
}

// UDP payloads of a pcap of loopback (Ethernet framing), with their times in seconds.
function parsePcap(buf) {
  const out = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = buf.readUInt32LE(off), usec = buf.readUInt32LE(off + 4), len = buf.readUInt32LE(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    if (pkt.length < 14 + 20 + 8 || pkt.readUInt16BE(12) !== 0x0800) continue;
    const ip = pkt.subarray(14);
    if (ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0] & 0x0f) * 4);
    out.push({ at: sec + usec / 1e6, dstPort: udp.readUInt16BE(2), payload: udp.subarray(8) });
  }
  return out;
}

function ulaw(b) {
  b = ~b & 0xff;
  const t = (((b & 0x0f) << 3) + 0x84) << ((b & 0x70) >> 4);
  return b & 0x80 ? 0x84 - t : t - 0x84;
}

// G.711 µ-law of a 16-bit sample.
export function ulawOf(sample) {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(sample), 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

// The audio samples of the G.711 μ-law RTP packets among `datagrams`.
export function pcmuSamples(datagrams) {
  const s = [];
  for (const d of datagrams) {
    const p = d.payload;
    if (p.length < 12 || p[0] >> 6 !== 2 || (p[1] & 0x7f) !== 0) continue;
    for (let i = 12 + 4 * (p[0] & 0x0f); i < p.length; i++) s.push(ulaw(p[i]));
  }
  return s;
}

// The share of the signal's energy at `hz` (Goertzel over 8 kHz samples), 0..1.
export function toneShare(samples, hz, rate = 8000) {
  if (samples.length < 800) return 0;
  const n = samples.length, k = Math.round((n * hz) / rate), w = (2 * Math.PI * k) / n, c = 2 * Math.cos(w);
  let s1 = 0, s2 = 0, energy = 0;
  for (const x of samples) { const s0 = x + c * s1 - s2; s2 = s1; s1 = s0; energy += x * x; }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return energy ? (2 * power) / (n * energy) : 0;
}

// The loudest frequency of what the page's phone receives, over `ms` (run in the page).
export async function heardInPage(page, ms = 1200) {
  return page.evaluate(async (ms) => {
    const s = window.switchboardPhone && window.switchboardPhone.remote;
    if (!s) return { hz: 0, level: -Infinity };
    const ctx = new AudioContext();
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    ctx.createMediaStreamSource(s).connect(an);
    await new Promise((r) => setTimeout(r, ms));
    const d = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(d);
    let best = 1;
    for (let i = 2; i < d.length; i++) if (d[i] > d[best]) best = i;
    const out = { hz: (best * ctx.sampleRate) / an.fftSize, level: d[best] };
    await ctx.close();
    return out;
  }, ms);
}
