// See banner.sh. A carrier from 127.0.0.2 rings number 48221234567 → extension 101, whose
// agent has the Contacts page open; the INVITE's send time and the banner's time are compared.
import { createSocket } from "node:dgram";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { addUser, cli, launch, login, startServer } = await import(join(here, "..", "e2e", "tests", "harness.mjs"));
const calls = Number(process.argv[2] || 200);
const PW = "bench-password-1";

let sipPassword;
const server = await startServer((dir) => {
  sipPassword = addUser(dir, "acme", "anna", "101", "agent", PW, "Anna Nowak", "en", "sip");
  cli(dir, ["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2", "--inbound", "127.0.0.2"]);
  cli(dir, ["trunk", "number", "--org", "acme", "--number", "48221234567", "--extension", "101"]);
});
const [sipHost, sipPort] = server.sip.split(":");
const browser = await launch();
const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
await login(page, server.base, "101", PW, "en");
// A phone of 101 that rings (180) and never answers: sipp-free, a UDP socket of ours.
const phone = createSocket("udp4");
await new Promise((r) => phone.bind(0, "127.0.0.1", r));
await register(phone);
await page.goto(`${server.base}/contacts`);
await page.evaluate(() => {
  const bar = document.getElementById("call-bar");
  window.banners = [];
  new MutationObserver(() => {
    if (bar.dataset.state === "ringing" && !bar.hidden && bar.dataset.call !== window.lastCall) {
      window.lastCall = bar.dataset.call;
      window.banners.push({ call: bar.dataset.call, at: Date.now() });
    }
  }).observe(bar, { attributes: true });
});

const carrier = createSocket("udp4");
await new Promise((r) => carrier.bind(0, "127.0.0.2", r));
const localPort = carrier.address().port;
const replies = new Map();
carrier.on("message", (m) => {
  const text = m.toString();
  const id = (text.match(/^Call-ID:\s*(.+)$/im) || [])[1]?.trim();
  const code = Number(text.split(" ")[1]);
  if (id) (replies.get(id) || replies.set(id, []).get(id)).push({ code, text });
});
const times = [];
for (let i = 0; i < calls; i++) {
  const id = `banner-${i}-${Date.now()}@bench`;
  const branch = `z9hG4bK-banner-${i}-${Date.now()}`;
  const sdp = "v=0\r\no=bench 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
  const head = (method) => `${method} sip:48221234567@${server.sip} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:${localPort};branch=${branch}\r\n` +
    `From: <sip:48600000${String(i).padStart(3, "0")}@127.0.0.2>;tag=t${i}\r\nTo: <sip:48221234567@${server.sip}>\r\nCall-ID: ${id}\r\n` +
    `CSeq: 1 ${method}\r\nMax-Forwards: 70\r\n`;
  const invite = head("INVITE") + `Contact: <sip:bench@127.0.0.2:${localPort}>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const sent = Date.now();
  carrier.send(invite, Number(sipPort), sipHost);
  const seen = await page.waitForFunction((n) => window.banners.length > n && window.banners[n].at, i, { timeout: 10000 });
  times.push((await seen.jsonValue()) - sent);
  carrier.send(head("CANCEL") + "Content-Length: 0\r\n\r\n", Number(sipPort), sipHost);
  const deadline = Date.now() + 3000;
  let final;
  while (!(final = (replies.get(id) || []).find((r) => r.code >= 300)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (final) {
    const to = (final.text.match(/^To:\s*(.+)$/im) || [])[1].trim();
    carrier.send(head("ACK").replace(/^To: .*$/m, `To: ${to}`) + "Content-Length: 0\r\n\r\n", Number(sipPort), sipHost);
  }
  await page.waitForFunction(() => document.getElementById("call-bar").hidden, null, { timeout: 10000 });
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(`INVITE to the call bar's banner on /contacts, ${times.length} calls: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${times.at(-1)} ms`);
await browser.close();
phone.close();
carrier.close();
server.stop();

// REGISTER 101 from `sock` (digest MD5), then answer every INVITE with 180 and nothing more.
async function register(sock) {
  const { createHash } = await import("node:crypto");
  const md5 = (s) => createHash("md5").update(s).digest("hex");
  const pw = sipPassword;
  const { port } = sock.address();
  const send = (auth) => sock.send(`REGISTER sip:acme.switchboard SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-r${Date.now()}\r\n` +
    `From: <sip:101@acme.switchboard>;tag=r1\r\nTo: <sip:101@acme.switchboard>\r\nCall-ID: reg-101@bench\r\nCSeq: ${auth ? 2 : 1} REGISTER\r\n` +
    `Contact: <sip:101@127.0.0.1:${port}>\r\nExpires: 600\r\n${auth || ""}Content-Length: 0\r\n\r\n`, Number(sipPort), sipHost);
  const answer = () => new Promise((r) => sock.once("message", (m) => r(m.toString())));
  send();
  const challenge = await answer();
  const realm = challenge.match(/realm="([^"]+)"/)[1], nonce = challenge.match(/nonce="([^"]+)"/)[1];
  const resp = md5(`${md5(`101:${realm}:${pw}`)}:${nonce}:${md5("REGISTER:sip:acme.switchboard")}`);
  send(`Authorization: Digest username="101", realm="${realm}", nonce="${nonce}", uri="sip:acme.switchboard", response="${resp}", algorithm=MD5\r\n`);
  const ok = await answer();
  if (!ok.startsWith("SIP/2.0 200")) throw new Error("register: " + ok.split("\r\n")[0]);
  sock.on("message", (m) => {
    const t = m.toString();
    if (!t.startsWith("INVITE") && !t.startsWith("CANCEL")) return;
    const hdr = (n) => (t.match(new RegExp(`^${n}:\\s*(.+)$`, "im")) || [])[1];
    const reply = (code, cseq = hdr("CSeq")) => sock.send(`SIP/2.0 ${code}\r\nVia: ${hdr("Via")}\r\nFrom: ${hdr("From")}\r\nTo: ${hdr("To")};tag=p1\r\nCall-ID: ${hdr("Call-ID")}\r\nCSeq: ${cseq}\r\nContent-Length: 0\r\n\r\n`, Number(sipPort), sipHost);
    if (t.startsWith("INVITE")) reply("180 Ringing");
    else {
      reply("200 OK");
      reply("487 Request Terminated", hdr("CSeq").replace("CANCEL", "INVITE"));
    }
  });
}
