// The screens this work added or changed, as each language's user sees them: getting started,
// telephony (dial rule preset, recording), a user's page (phone type, phone set-up, caller-ID
// numbers), the account (test call), the agent panel (dial at once, auto-answer) and the
// browser phone badge — in English, Polish and Hebrew at 1366×768 and 390 px, screenshotted;
// nothing overflows sideways and Hebrew reads right to left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, cli, launch, login, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";
const who = { en: "ada", pl: "ola", he: "yael" };

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "ada", "100", "admin", PW, "Ada Admin", "en", "browser");
    addUser(dir, "acme", "ola", "101", "admin", PW, "Ola Żółć", "pl", "both");
    addUser(dir, "acme", "yael", "102", "admin", PW, "יעל כהן", "he", "browser");
    addUser(dir, "acme", "zofia", "103", "agent", PW, "Zofia Kowalska", "pl");
    cli(dir, ["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2"]);
    cli(dir, ["trunk", "number", "--org", "acme", "--number", "48221234567", "--extension", "103"]);
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the first hour's screens in three languages, wide and narrow", async () => {
  for (const language of ["en", "pl", "he"]) {
    for (const [width, height, tag] of [[1366, 768, ""], [390, 844, "-phone"]]) {
      const ctx = await browser.newContext({ viewport: { width, height } });
      const page = await ctx.newPage();
      await login(page, server.base, who[language], PW, language);
      await page.goto(`${server.base}/admin/users`);
      const zofia = await page.getAttribute("tr:has-text('Zofia') a[href^='/admin/users/']", "href");
      for (const [path, name] of [["/admin/start", "start"], ["/admin/telephony", "telephony"], [zofia, "user"],
        ["/account", "account"], ["/agent", "agent"]]) {
        await page.goto(`${server.base}${path}`);
        const m = await page.evaluate(() => ({
          dir: document.documentElement.getAttribute("dir"),
          overflow: document.documentElement.scrollWidth - window.innerWidth,
        }));
        assert.equal(m.dir, language === "he" ? "rtl" : "ltr", `${name} ${language}: direction`);
        assert.ok(m.overflow <= 1, `${name} ${language}${tag}: ${m.overflow} px wider than the window`);
        assert.ok(await page.isVisible("#phone-state"), `${name} ${language}: the browser phone's badge`);
        await page.screenshot({ path: join(screenshots, `hour-${name}-${language}${tag}.png`), fullPage: true });
      }
      await ctx.close();
    }
  }
});
