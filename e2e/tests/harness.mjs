// Starts the real switchboard binary on a free port with a fresh SQLite database,
// and headless Debian chromium through playwright-core.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createSocket } from "node:dgram";
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
export const screenshots = join(here, "..", "screenshots");
const bin = process.env.SWITCHBOARD_BIN;
if (!bin) throw new Error("set SWITCHBOARD_BIN to the switchboard binary (scripts/test.sh does)");

// Adds a user with the binary's CLI; returns the user's SIP password.
export function addUser(dir, org, name, ext, role, password, fullName, language = "en", phone = "sip") {
  const r = spawnSync(bin, ["user", "add", "--org", org, "--name", name, "--extension", ext, "--role", role,
    "--full-name", fullName, "--language", language, "--phone", phone, "--password-stdin"],
    { cwd: dir, input: password + "\n", env: cleanEnv(), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`user add failed: ${r.stderr}`);
  return (r.stdout.match(/SIP password: (\S+)/) || [])[1];
}

function cleanEnv() {
  // The server's RTP ports (chosen at random in their range) stay clear of the tests' sipp media
  // ports (13000-30000) and of the kernel's ephemeral ports (32768-60999).
  const env = { ...process.env, SWITCHBOARD_LOG: "warn", SWITCHBOARD_HTTP_ADDR: "127.0.0.1:0", SWITCHBOARD_SIP_ADDR: "127.0.0.1:0",
    SWITCHBOARD_RTP_PORTS: "61000-64998",
    // The carriers here are sipp on 127.0.0.2/127.0.0.3: loopback trunks are allowed for tests only.
    SWITCHBOARD_LOOPBACK_TRUNKS: "true" };
  delete env.SWITCHBOARD_DATABASE_URL;
  delete env.SWITCHBOARD_DATA_DIR;
  return env;
}

export async function startServer(setup, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-e2e-"));
  setup?.(dir);
  const child = spawn(bin, ["serve"], { cwd: dir, env: { ...cleanEnv(), ...env }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start: " + out)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  const sip = (out.match(/SIP \(UDP and TCP\) on (\S+)/) || [])[1];
  return { base, sip, dir, pid: child.pid, stop() { child.kill("SIGTERM"); rmSync(dir, { recursive: true, force: true }); } };
}

// A command of the binary in the server's directory (trunks, numbers, …).
export function cli(dir, args) {
  const r = spawnSync(bin, args, { cwd: dir, env: cleanEnv(), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
}

const sippDir = join(here, "..", "..", "crates", "telephony", "tests", "sipp");
let toneFile = null;

// A scenario of crates/telephony/tests/sipp with [tone] set to a sox-made tone (sipp does not
// expand keywords in rtp_stream), and each [key] of `fill` set to its value (nor in regexps).
function scenario(name, fill = {}) {
  if (!toneFile) {
    const d = mkdtempSync(join(tmpdir(), "switchboard-sipp-"));
    toneFile = join(d, "tone.wav");
    const r = spawnSync("sox", ["-n", "-r", "8000", "-c", "1", "-e", "u-law", toneFile, "synth", "30", "sine", "600"]);
    if (r.status !== 0) throw new Error("sox failed");
  }
  // `fill.tone`: another tone (a WAV made with toneWav) instead of the 600 Hz one.
  const { tone, ...rest } = fill;
  fill = rest;
  const keys = Object.keys(fill);
  const tag = [...(tone ? [basename(tone, ".wav")] : []), ...keys.map((k) => fill[k])];
  const out = join(dirname(toneFile), tag.length ? `${tag.join("-")}-${name}` : name);
  let text = readFileSync(join(sippDir, name), "utf8").replaceAll("[tone]", tone || toneFile);
  for (const k of keys) text = text.replaceAll(`[${k}]`, fill[k]);
  writeFileSync(out, text);
  return out;
}

export function freeUdpPort(ip) {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.bind(0, ip, () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// sipp (Debian's sip-tester) from ip:port running `name`; `target` is whom to call (none: wait
// for calls). Resolves with its exit code and output.
export function sipp(name, ip, port, args, target, fill = {}) {
  const argv = [...(target ? [target] : []), "-sf", scenario(name, fill), "-m", "1", "-i", ip, "-p", String(port), "-nostdin",
    "-timeout", "30s", "-timeout_error", ...args];
  const p = spawn("sipp", argv, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d) => { out += d; });
  p.stderr.on("data", (d) => { out += d; });
  const done = new Promise((resolve) => p.on("exit", (code) => resolve({ code, out })));
  return { process: p, done };
}

// One call from a carrier's address; resolves with sipp's exit code.
export async function sippCall(sip, fromIp, name, number, caller, mediaPort, extra = []) {
  const port = await freeUdpPort(fromIp);
  const r = await sipp(name, fromIp, port, ["-s", number, "-key", "caller", caller, "-mp", String(mediaPort), ...extra], sip).done;
  return r.code;
}

// A μ-law WAV of a sine at `hz` for a sipp phone (`fill.tone`).
export function toneWav(hz) {
  const wav = join(mkdtempSync(join(tmpdir(), "switchboard-tone-")), `tone-${hz}.wav`);
  const r = spawnSync("sox", ["-n", "-r", "8000", "-c", "1", "-e", "u-law", wav, "synth", "60", "sine", String(hz)]);
  if (r.status !== 0) throw new Error("sox failed");
  return wav;
}

// A phone of `ext` on 127.0.0.1: registers, then runs `name` waiting for calls.
export async function phone(sip, ext, password, name, mediaPort, fill = {}) {
  const port = await freeUdpPort("127.0.0.1");
  const reg = await sipp("register.xml", "127.0.0.1", port, ["-s", ext, "-au", ext, "-ap", password, "-key", "domain", "127.0.0.1"], sip).done;
  if (reg.code !== 0) throw new Error(`register ${ext}: ${reg.out}`);
  return sipp(name, "127.0.0.1", port, ["-mp", String(mediaPort)], undefined, fill);
}

// Chromium for a test file. Every page it opens is watched for JavaScript errors (uncaught
// exceptions and rejections): the file fails when any page had one (its process ends with an
// error naming the page and the error; the file's clean-up runs all the same).
export async function launch(extra = []) {
  mkdirSync(screenshots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", ...extra],
  });
  const errors = [];
  const watch = (page) => page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.stack || e.message}`));
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const ctx = await newContext(...args);
    ctx.on("page", watch);
    return ctx;
  };
  // (browser.newPage goes through newContext.)
  process.on("exit", () => {
    if (errors.length) {
      console.error(`JavaScript errors on the pages:\n${errors.join("\n")}`);
      process.exitCode = 1;
    }
  });
  browser.pageErrors = errors;
  return browser;
}

// Chromium whose microphone plays `wav` (looped) and whose pages may play sound at once.
export function launchWithMicrophone(wav) {
  return launch(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}`, "--autoplay-policy=no-user-gesture-required"]);
}

// A new browser context logged in as `who` in `language`, on `path`.
export async function openAs(browser, server, who, password, language, path, height = 900) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height } });
  const page = await ctx.newPage();
  await login(page, server.base, who, password, language);
  await page.goto(`${server.base}${path}`);
  return { ctx, page };
}

// Logs in through the form in `language` (the ?lang= link selects it, as a user's choice in
// the picker does: touching the picker would reload the page under the submit).
export async function login(page, base, identifier, password, language) {
  await page.goto(`${base}/login?lang=${language}`);
  assert.equal(await page.inputValue("#language"), language);
  await page.fill("#identifier", identifier);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("#login-form button[type=submit]")]);
}
