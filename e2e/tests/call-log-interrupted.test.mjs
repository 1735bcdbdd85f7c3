// A call the server was killed during is closed at the next start as "interrupted" (the Rust
// test kills the real server under sipp calls); here the call log shows such a call to its
// user in English, Polish and Hebrew at 1366×768 and 390 px: the mark and its explanation in
// the user's language, nothing wider than the window, Hebrew right to left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { addUser, launch, login, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";
const who = { en: "anna", pl: "ola", he: "yael" };
const mark = { en: "Interrupted", pl: "Przerwane", he: "נקטעה" };

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "anna", "101", "agent", PW, "Anna Nowak", "en");
    addUser(dir, "acme", "ola", "102", "agent", PW, "Ola Żółć", "pl");
    addUser(dir, "acme", "yael", "103", "agent", PW, "יעל כהן", "he");
    // Each one's answered call, closed as interrupted at the node's last sign of life.
    const sql = `INSERT INTO call_log (org_id, call_id, user_id, extension, kind, number, started_at,
      answered_at, ended_at, talk_seconds, end_cause)
      SELECT org_id, 'killed-' || extension, id, extension, 'incoming', '48600111222',
      '2026-12-06T10:00:00+00:00', '2026-12-06T10:00:05+00:00', '2026-12-06T10:01:05+00:00', 60,
      'interrupted' FROM users`;
    const r = spawnSync("python3", ["-c", `import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()`,
      join(dir, "data", "switchboard.db"), sql], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("an interrupted call reads as such in the call log, in three languages, wide and narrow", async () => {
  for (const language of ["en", "pl", "he"]) {
    for (const [width, height, tag] of [[1366, 768, ""], [390, 844, "-phone"]]) {
      const ctx = await browser.newContext({ viewport: { width, height } });
      const page = await ctx.newPage();
      await login(page, server.base, who[language], PW, language);
      await page.goto(`${server.base}/agent/calls`);
      const row = page.locator("#call-log tbody tr").first();
      assert.match(await row.textContent(), new RegExp(mark[language]), `${language}: the mark`);
      assert.ok((await row.locator(".pill.warn").getAttribute("title")).length > 20, `${language}: its explanation`);
      const m = await page.evaluate(() => ({
        dir: document.documentElement.getAttribute("dir"),
        overflow: document.documentElement.scrollWidth - window.innerWidth,
      }));
      assert.equal(m.dir, language === "he" ? "rtl" : "ltr");
      assert.ok(m.overflow <= 1, `${language}${tag}: ${m.overflow} px wider than the window`);
      await page.screenshot({ path: join(screenshots, `call-log-interrupted-${language}${tag}.png`), fullPage: true });
      await ctx.close();
    }
  }
});
