// The browser phone against real peers: Debian's chromium with a fake microphone playing a
// 1000 Hz tone, logged in as an agent whose phone is the browser, takes a call from a sipp
// carrier (streaming 600 Hz) from the call bar on the Contacts page. Each side hears the
// other (the carrier's tone measured in the page, the page's tone measured in the RTP captured
// on the carrier's side); on hold the carrier hears music instead; a navigation and a reload
// mid-call bring the audio back. A blind transfer from the agent panel hands the caller to a
// second browser agent (Hebrew, a 1500 Hz microphone in another chromium), who answers from
// the call bar. An agent whose page does not come back: the caller hears music on hold, then
// the call ends and the call log says why. The test call of the account page rings the
// browser phone and echoes its microphone back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addUser, cli, launchWithMicrophone, login, screenshots, sipp, freeUdpPort, startServer } from "./harness.mjs";
import { capture, heardInPage, pcmuSamples, toneShare, ulawOf } from "./audio.mjs";

let server, browser, browser2;
const PW = "e2e-password-1";
const CARRIER_RTP = 21600;
// How long a browser phone waits for its page during a call (navigations take far less).
const GRACE = 5;

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "admin", "100", "admin", PW, "Ada Admin");
    addUser(dir, "acme", "anna", "101", "agent", PW, "Anna Nowak", "pl", "browser");
    addUser(dir, "acme", "bea", "102", "agent", PW, "בת-אל לוי", "he", "browser");
    cli(dir, ["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2", "--inbound", "127.0.0.2"]);
    cli(dir, ["trunk", "number", "--org", "acme", "--number", "48221234567", "--extension", "101"]);
    // Another organization's administrator names 127.0.0.1 — where the browser phones' calls
    // come from — as a carrier address (allowed here only because tests allow loopback
    // trunks), with a number of its own.
    addUser(dir, "globex", "gil", "100", "admin", PW, "Gil Globex");
    cli(dir, ["trunk", "add", "--org", "globex", "--name", "evil", "--host", "127.0.0.1", "--inbound", "127.0.0.1"]);
    cli(dir, ["trunk", "number", "--org", "globex", "--number", "48600111999", "--extension", "100"]);
  }, { SWITCHBOARD_BROWSER_PHONE_GRACE_SECONDS: String(GRACE) });
  browser = await launchWithMicrophone(tone(1000));
  browser2 = await launchWithMicrophone(tone(1500));
});

// A WAV of a sine at `hz` for a fake microphone.
function tone(hz) {
  const wav = join(mkdtempSync(join(tmpdir(), "switchboard-mic-")), `mic-${hz}.wav`);
  const r = spawnSync("sox", ["-n", "-r", "48000", "-b", "16", "-c", "1", wav, "synth", "60", "sine", String(hz), "vol", "0.5"]);
  assert.equal(r.status, 0, "sox made the microphone's tone");
  return wav;
}

after(async () => {
  await browser?.close();
  await browser2?.close();
  server?.stop();
});

// The share of `hz` (a page's microphone, 1000 Hz by default) in what reached the carrier
// between t0 and t1.
function pageToneAtCarrier(datagrams, t0, t1, hz = 1000, port = CARRIER_RTP) {
  return toneShare(pcmuSamples(datagrams.filter((d) => d.at >= t0 && d.at < t1 && d.dstPort === port)), hz);
}

const now = () => Date.now() / 1000;

async function hearsCarrier(page, what) {
  let heard;
  for (let i = 0; i < 6; i++) {
    heard = await heardInPage(page);
    if (process.env.DEBUG_AUDIO) console.log(what, heard);
    if (Math.abs(heard.hz - 600) < 30) return;
  }
  assert.fail(`${what}: the page should hear the carrier's 600 Hz, heard ${JSON.stringify(heard)}`);
}

test("a browser phone takes a carrier's call from the call bar, both sides hear each other, hold plays music, navigation and reload keep the call", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "101", PW, "pl");
  await page.goto(`${server.base}/contacts`);
  await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });

  const cap = await capture(`udp and dst host 127.0.0.2 and dst port ${CARRIER_RTP}`);
  let stopped = false;
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", "48600111222", "-mp", String(CARRIER_RTP), "-d", "60000"], server.sip);
  try {
    await page.waitForSelector("#call-bar[data-state=ringing]", { timeout: 5000 });
    await page.screenshot({ path: join(screenshots, "browser-phone-ringing-pl.png") });
    await page.click("#call-bar [data-cmd=answer]");
    await page.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await page.waitForSelector("#call-bar[data-state=talking]", { timeout: 5000 });
    const talking = now();
    await hearsCarrier(page, "answered");
    await page.waitForTimeout(1000);
    const beforeHold = now();
    assert.ok(pageToneAtCarrier(await cap.peek(), talking, beforeHold) > 0.5, "the carrier hears the page's 1000 Hz");

    // Hold: the carrier hears music, not the page.
    await page.click("#call-bar [data-cmd=hold]");
    await page.waitForSelector("#call-bar[data-state=held]", { timeout: 5000 });
    const held = now();
    await page.waitForTimeout(2000);
    await page.click("#call-bar [data-cmd=resume]");
    await page.waitForSelector("#call-bar[data-state=talking]", { timeout: 5000 });
    const resumed = now();

    // A navigation mid-call: the new page takes the call back.
    await page.click("a[href='/cases']");
    await page.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await hearsCarrier(page, "after a navigation");
    // A reload too.
    await page.reload();
    await page.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await hearsCarrier(page, "after a reload");
    const back = now();
    await page.waitForTimeout(1200);
    // The connection's figures, on request: encrypted, packets flowing both ways.
    await page.click("#call-bar [data-cmd=diagnostics]");
    await page.waitForFunction(() => /szyfrowane/.test(document.querySelector("#call-bar .diag").textContent), null, { timeout: 5000 });
    const diag = await page.textContent("#call-bar .diag");
    const received = Number((diag.match(/Odebrane pakiety dźwięku\s*(\d+)/) || [])[1]);
    assert.ok(received > 20, `the page counts audio received: ${diag}`);
    await page.screenshot({ path: join(screenshots, "browser-phone-talking-pl.png") });
    await page.click("#call-bar [data-cmd=hangup]");
    await page.waitForSelector("#call-bar", { state: "hidden", timeout: 5000 });
    const all = await cap.stop();
    stopped = true;
    const heldShare = pageToneAtCarrier(all, held + 0.3, held + 2);
    const heldSamples = pcmuSamples(all.filter((d) => d.at >= held + 0.3 && d.at < held + 2 && d.dstPort === CARRIER_RTP));
    const heldEnergy = heldSamples.reduce((a, x) => a + x * x, 0) / Math.max(1, heldSamples.length);
    if (process.env.DEBUG_AUDIO) console.log({ heldShare, heldEnergy, resumedShare: pageToneAtCarrier(all, resumed + 0.5, resumed + 1.5), backShare: pageToneAtCarrier(all, back + 0.2, back + 1.2), packets: all.length });
    assert.ok(heldShare < 0.2, `on hold the carrier does not hear the page (1000 Hz share ${heldShare})`);
    assert.ok(heldEnergy > 1e5, `on hold the carrier hears music (mean energy ${heldEnergy})`);
    assert.ok(pageToneAtCarrier(all, resumed + 0.5, resumed + 1.5) > 0.5, "after resume the carrier hears the page again");
    assert.ok(pageToneAtCarrier(all, back + 0.2, back + 1.2) > 0.5, "after the reload the carrier hears the page again");
  } finally {
    if (!stopped) await cap.stop();
    caller.process.kill("SIGKILL");
    await ctx.close();
  }
});

// The UDP ports of the server's RTP range it holds now (the relay's and the bridge's of a call).
function serverRtpPorts() {
  const out = spawnSync("ss", ["-uanp"], { encoding: "utf8" }).stdout || "";
  return [...new Set(out.split("\n").filter((l) => l.includes(`pid=${server.pid},`))
    .map((l) => Number((l.trim().split(/\s+/)[3] || "").split(":").pop()))
    .filter((p) => p >= 61000 && p <= 64998))];
}

// A browser call while an outsider (127.0.0.9) sends a loud 1700 Hz to every RTP port the server
// holds, the relay's and the bridge's: the outsider receives nothing, the page still hears the
// carrier's 600 Hz and not the 1700 Hz, and the carrier still hears the page's 1000 Hz.
test("an outsider spraying a browser call's RTP ports receives nothing and is not heard", async () => {
  const media = CARRIER_RTP + 800;
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "101", PW, "pl");
  await page.goto(`${server.base}/contacts`);
  await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
  const cap = await capture(`udp and dst host 127.0.0.2 and dst port ${media}`);
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", "48600111777", "-mp", String(media), "-d", "60000"], server.sip);
  const outsider = createSocket("udp4");
  let received = 0;
  outsider.on("message", () => { received += 1; });
  await new Promise((resolve) => outsider.bind(0, "127.0.0.9", resolve));
  const tone = Buffer.alloc(172);
  tone.writeUInt8(0x80, 0);
  for (let i = 0; i < 160; i++) {
    const s = Math.round(Math.sin((2 * Math.PI * 1700 * i) / 8000) * 16000);
    tone.writeUInt8(ulawOf(s), 12 + i);
  }
  let spraying = null;
  try {
    await page.waitForSelector("#call-bar[data-state=ringing]", { timeout: 5000 });
    await page.click("#call-bar [data-cmd=answer]");
    await page.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    const ports = serverRtpPorts();
    assert.ok(ports.length >= 3, `the call's RTP ports are found: ${ports}`);
    let seq = 0;
    spraying = setInterval(() => {
      tone.writeUInt16BE(seq++ & 0xffff, 2);
      for (const p of ports) outsider.send(tone, p, "127.0.0.1");
    }, 20);
    await page.waitForTimeout(1500);
    const t0 = now();
    await hearsCarrier(page, "while the RTP ports are sprayed");
    const heard = await heardInPage(page);
    assert.ok(Math.abs(heard.hz - 1700) > 100, `the page does not hear the outsider: ${JSON.stringify(heard)}`);
    await page.waitForTimeout(800);
    const all = await cap.peek();
    const atCarrier = pcmuSamples(all.filter((d) => d.at >= t0 && d.dstPort === media));
    assert.ok(toneShare(atCarrier, 1000) > 0.5, "the carrier still hears the page");
    assert.ok(toneShare(atCarrier, 1700) < 0.05, "the carrier does not hear the outsider");
    assert.equal(received, 0, "the outsider received none of the call's audio");
    await page.click("#call-bar [data-cmd=hangup]");
    await page.waitForSelector("#call-bar", { state: "hidden", timeout: 5000 });
  } finally {
    if (spraying) clearInterval(spraying);
    outsider.close();
    await cap.stop();
    caller.process.kill("SIGKILL");
    await ctx.close();
  }
});

test("a blind transfer from the agent panel hands the caller to a second browser agent, who answers from the call bar", async () => {
  const media = CARRIER_RTP + 200;
  const a = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const anna = await a.newPage();
  await login(anna, server.base, "101", PW, "pl");
  await anna.goto(`${server.base}/agent`);
  const b = await browser2.newContext({ viewport: { width: 1366, height: 768 } });
  const bea = await b.newPage();
  await login(bea, server.base, "102", PW, "he");
  await bea.goto(`${server.base}/contacts`);
  await anna.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
  await bea.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });

  const cap = await capture(`udp and dst host 127.0.0.2 and dst port ${media}`);
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", "48600111333", "-mp", String(media), "-d", "60000"], server.sip);
  try {
    await anna.waitForSelector(".call[data-state=ringing]", { timeout: 5000 });
    await anna.click(".call [data-cmd=answer]");
    await anna.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await hearsCarrier(anna, "anna answered");
    await anna.fill("#dial-number", "102");
    await anna.click(".call [data-cmd=blind_transfer]");
    await bea.waitForSelector("#call-bar[data-state=ringing]", { timeout: 8000 });
    assert.equal(await bea.textContent("#call-bar .number"), "600 111 333");
    await bea.screenshot({ path: join(screenshots, "browser-phone-transfer-ringing-he.png") });
    await bea.click("#call-bar [data-cmd=answer]");
    await bea.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await hearsCarrier(bea, "bea took the transferred call");
    const t = now();
    await bea.waitForTimeout(1200);
    const share = pageToneAtCarrier(await cap.peek(), t, now(), 1500, media);
    assert.ok(share > 0.5, `the caller hears bea's 1500 Hz after the transfer (share ${share})`);
    await anna.waitForSelector("#phone-state[data-state=ready]", { timeout: 5000 });
    await bea.click("#call-bar [data-cmd=hangup]");
    await bea.waitForSelector("#call-bar", { state: "hidden", timeout: 5000 });
  } finally {
    await cap.stop();
    caller.process.kill("SIGKILL");
    await a.close();
    await b.close();
  }
});

test("a page that does not come back: the caller hears music, then the call ends as given up by the agent's browser", async () => {
  const media = CARRIER_RTP + 400;
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "101", PW, "en");
  await page.goto(`${server.base}/contacts`);
  await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
  const cap = await capture(`udp and dst host 127.0.0.2 and dst port ${media}`);
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", "48600111444", "-mp", String(media), "-d", "60000"], server.sip);
  let all = [];
  let left = 0;
  try {
    await page.waitForSelector("#call-bar[data-state=ringing]", { timeout: 5000 });
    await page.click("#call-bar [data-cmd=answer]");
    await page.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await hearsCarrier(page, "answered");
    left = now();
    await ctx.close(); // the agent's browser is gone
    const ended = await Promise.race([caller.done.then(() => now()), new Promise((r) => setTimeout(() => r(0), (GRACE + 6) * 1000))]);
    assert.ok(ended > 0, "the caller's call was ended");
    assert.ok(ended - left >= GRACE - 0.5 && ended - left < GRACE + 3, `ended ${(ended - left).toFixed(1)} s after the page left`);
  } finally {
    all = await cap.stop();
    caller.process.kill("SIGKILL");
  }
  const away = pcmuSamples(all.filter((d) => d.at >= left + 2.2 && d.at < left + GRACE - 0.5));
  const energy = away.reduce((a, x) => a + x * x, 0) / Math.max(1, away.length);
  assert.ok(energy > 1e5 && toneShare(away, 1000) < 0.2, `while the page is away the caller hears music (energy ${energy})`);

  const log = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const p2 = await log.newPage();
  await login(p2, server.base, "101", PW, "en");
  await p2.goto(`${server.base}/agent/calls`);
  const row = p2.locator("#call-log tbody tr").first();
  assert.match(await row.textContent(), /600 111 444/);
  assert.match(await row.textContent(), /browser was gone/);
  await p2.screenshot({ path: join(screenshots, "browser-phone-gone-log-en.png") });
  await log.close();
});

test("the account page's test call rings the browser phone; answered, it echoes the microphone", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "101", PW, "pl");
  await page.goto(`${server.base}/account`);
  await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
  await Promise.all([page.waitForNavigation(), page.click("#phone-test")]);
  assert.match(await page.textContent(".flash"), /dzwoni/);
  await page.waitForSelector("#call-bar[data-state=ringing]", { timeout: 5000 });
  await page.screenshot({ path: join(screenshots, "browser-phone-test-call-pl.png") });
  await page.click("#call-bar [data-cmd=answer]");
  await page.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
  let heard;
  for (let i = 0; i < 8; i++) {
    heard = await heardInPage(page, 800);
    if (Math.abs(heard.hz - 1000) < 30) break;
  }
  assert.ok(Math.abs(heard.hz - 1000) < 30, `the page hears its own 1000 Hz back: ${JSON.stringify(heard)}`);
  await page.click("#call-bar [data-cmd=hangup]");
  await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 5000 });
  await ctx.close();
});

test("*43 dialled from the agent page's dialer: the browser phone answers it and echoes the microphone", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "101", PW, "pl");
  await page.goto(`${server.base}/agent`);
  await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
  await page.fill("#dial-number", "*43");
  await page.press("#dial-number", "Enter");
  await page.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
  let heard;
  for (let i = 0; i < 8; i++) {
    heard = await heardInPage(page, 800);
    if (Math.abs(heard.hz - 1000) < 30) break;
  }
  assert.ok(Math.abs(heard.hz - 1000) < 30, `the page hears its own 1000 Hz back: ${JSON.stringify(heard)}`);
  assert.equal(await page.isVisible("#dial-error:not([hidden])"), false, "no error shown");
  // The panel shows the test call, to be hung up there.
  await page.click("#calls [data-call=phone] [data-cmd=hangup]");
  await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 5000 });
  assert.equal(await page.locator("#calls [data-call=phone]").count(), 0);
  await ctx.close();
});

test("a clicked number opens the dialer with it, or is dialled at once when the user chose so; auto-answer answers by itself", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "101", PW, "pl");
  await page.goto(`${server.base}/agent/calls`);
  await page.click("#call-log .dial-link >> nth=0");
  await page.waitForSelector("#dial-dialog[open]");
  assert.match(await page.inputValue("#dial-dialog-number"), /^\+48600111/);
  await page.screenshot({ path: join(screenshots, "dial-dialog-pl.png") });
  await page.click("#dial-dialog-dial");
  // The organization has no dial rules: the refusal is said in the dialog, in Polish.
  await page.waitForSelector("#dial-dialog-error:not([hidden])", { timeout: 5000 });
  assert.match(await page.textContent("#dial-dialog-error"), /Reguły wybierania/);
  await page.keyboard.press("Escape");
  await page.goto(`${server.base}/agent`);
  await page.check("#workspace-form input[name=dial_at_once]");
  await page.waitForTimeout(500);
  await page.goto(`${server.base}/agent/calls`);
  await page.click("#call-log .dial-link >> nth=0");
  await page.waitForSelector("#dial-error:not([hidden])", { timeout: 5000 });
  assert.match(await page.textContent("#dial-error"), /Reguły wybierania/, "dialled at once, refused by the rules");
  assert.equal(await page.locator("#dial-dialog[open]").count(), 0, "no dialog");

  // Auto-answer: the next call is answered by the browser phone by itself.
  await page.goto(`${server.base}/agent`);
  await page.check("#workspace-form input[name=auto_answer]");
  await page.waitForTimeout(500);
  await page.goto(`${server.base}/contacts`);
  await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", "48600111555", "-mp", String(CARRIER_RTP + 600), "-d", "3000"], server.sip);
  try {
    await page.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await hearsCarrier(page, "answered by itself");
    const r = await caller.done;
    assert.equal(r.code, 0, "the caller talked and hung up");
  } finally {
    caller.process.kill("SIGKILL");
    await ctx.close();
  }
});

// Organization globex has a trunk on 127.0.0.1: anna's browser phone dialling
// 102 still rings her colleague bea (acme's extension 102), never globex; internal legs are
// known by the server's own key, not by their address.
test("another organization's trunk on 127.0.0.1 cannot take the browser phones' calls", async () => {
  const a = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const anna = await a.newPage();
  await login(anna, server.base, "101", PW, "pl");
  await anna.goto(`${server.base}/contacts`);
  const b = await browser2.newContext({ viewport: { width: 1366, height: 768 } });
  const bea = await b.newPage();
  await login(bea, server.base, "102", PW, "he");
  await bea.goto(`${server.base}/contacts`);
  try {
    await anna.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
    await bea.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
    await anna.evaluate(() => window.switchboardPhone.dial("102"));
    await bea.waitForSelector("#call-bar[data-state=ringing]", { timeout: 8000 });
    await bea.click("#call-bar [data-cmd=answer]");
    await bea.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await anna.waitForSelector("#phone-state[data-state=talking]", { timeout: 8000 });
    await bea.click("#call-bar [data-cmd=hangup]");
    await anna.waitForSelector("#phone-state[data-state=ready]", { timeout: 8000 });
  } finally {
    await a.close();
    await b.close();
  }
});

// Logged out elsewhere (another tab, a form post with the same cookie): the page's phone socket
// closes at once, not at the session's next check 15 s later.
test("logging out closes the phone's socket at once", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  try {
    await login(page, server.base, "101", PW, "pl");
    await page.goto(`${server.base}/contacts`);
    await page.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
    const csrf = await page.getAttribute("form[action='/logout'] input[name=csrf]", "value");
    const t0 = Date.now();
    const r = await ctx.request.post(`${server.base}/logout`, {
      form: { csrf }, headers: { origin: server.base }, maxRedirects: 0,
    });
    assert.equal(r.status(), 303, "logged out");
    await page.waitForSelector("#phone-state[data-state=offline]", { timeout: 3000 });
    const took = Date.now() - t0;
    assert.ok(took < 2000, `the phone's socket closed ${took} ms after the log-out`);
  } finally {
    await ctx.close();
  }
});

// After every browser-phone call above (answered, held, transferred, abandoned by its page,
// echoed, auto-answered), nothing of them stays in the server: the call, SIP, media and bridge
// gauges of /metrics are back at 0 within T1 × 64 (32 s) and a margin.
test("the browser phones' calls leave every gauge at 0", async () => {
  const perCall = ["calls", "sip_dialogs", "sip_transactions", "sip_waiting_ack", "call_legs", "relays",
    "rtp_ports_in_use", "browser_phone_bridges", "browser_phone_sip_dialogs", "browser_phone_sip_transactions",
    "browser_phone_rtp_ports_in_use"];
  const gauges = async () => {
    const text = await (await fetch(`${server.base}/metrics`)).text();
    const g = {};
    for (const line of text.split("\n")) {
      const m = /^switchboard_(\w+) ([0-9.e+-]+)$/.exec(line);
      if (m) g[m[1]] = Number(m[2]);
    }
    return g;
  };
  const started = Date.now();
  let g = await gauges();
  const left = () => perCall.filter((k) => (g[k] ?? 0) !== 0);
  while (left().length && Date.now() - started < 40000) {
    await new Promise((r) => setTimeout(r, 1000));
    g = await gauges();
  }
  assert.deepEqual(left().map((k) => `${k}=${g[k]}`), [], "every per-call gauge is back at 0");
  assert.ok("browser_phone_bridges" in g, "the browser phones' gauges are on /metrics");
});
