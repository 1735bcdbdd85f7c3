// Starts the real switchboard binary on a free port with a fresh SQLite database,
// and headless Debian chromium through playwright-core.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
export const screenshots = join(here, "..", "screenshots");
const bin = process.env.SWITCHBOARD_BIN;
if (!bin) throw new Error("set SWITCHBOARD_BIN to the switchboard binary (scripts/test.sh does)");

export function addUser(dir, org, name, ext, role, password, fullName, language = "en") {
  const r = spawnSync(bin, ["user", "add", "--org", org, "--name", name, "--extension", ext, "--role", role,
    "--full-name", fullName, "--language", language, "--password-stdin"],
    { cwd: dir, input: password + "\n", env: cleanEnv(), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`user add failed: ${r.stderr}`);
}

function cleanEnv() {
  const env = { ...process.env, SWITCHBOARD_LOG: "warn", SWITCHBOARD_HTTP_ADDR: "127.0.0.1:0", SWITCHBOARD_SIP_ADDR: "127.0.0.1:0" };
  delete env.SWITCHBOARD_DATABASE_URL;
  delete env.SWITCHBOARD_DATA_DIR;
  return env;
}

export async function startServer(setup) {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-e2e-"));
  setup?.(dir);
  const child = spawn(bin, ["serve"], { cwd: dir, env: cleanEnv(), stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not start: " + out)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return { base, dir, stop() { child.kill("SIGTERM"); rmSync(dir, { recursive: true, force: true }); } };
}

export async function launch() {
  mkdirSync(screenshots, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
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
