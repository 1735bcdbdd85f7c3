// Managers set up a call queue on the Queues page and see each agent's one state; an agent
// sets their state on the agent page. English, Polish and Hebrew at 1366×768 and 390 px,
// screenshotted; nothing overflows sideways; a bad value gets its message in the language.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, launch, login, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";
const who = { en: "ada", pl: "ola", he: "yael" };
const tooShort = { en: "outside the allowed range", pl: "poza dozwolonym zakresem", he: "מחוץ לטווח" };

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "ada", "100", "admin", PW, "Ada Admin", "en");
    addUser(dir, "acme", "ola", "101", "manager", PW, "Ola Żółć", "pl");
    addUser(dir, "acme", "yael", "102", "manager", PW, "יעל כהן", "he");
    addUser(dir, "acme", "zofia", "103", "agent", PW, "Zofia Kowalska", "pl");
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("a manager sets up a queue, and the agent's state shows on both pages", async () => {
  // Zofia makes herself available on her agent page.
  const zctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const zp = await zctx.newPage();
  await login(zp, server.base, "zofia", PW, "pl");
  await zp.goto(`${server.base}/agent`);
  assert.equal(await zp.getAttribute("#status-label", "data-state"), "logged_out");
  await zp.click("#set-available");
  await zp.waitForSelector("#status-label[data-state='available']");
  assert.equal((await zp.textContent("#status-label")).trim(), "Dostępny");
  await zctx.close();

  for (const language of ["en", "pl", "he"]) {
    for (const [width, height, tag] of [[1366, 768, ""], [390, 844, "-phone"]]) {
      const ctx = await browser.newContext({ viewport: { width, height } });
      const page = await ctx.newPage();
      await login(page, server.base, who[language], PW, language);
      await page.goto(`${server.base}/queues`);
      // A value that is no number is refused with its message, and nothing is made.
      await page.fill("#q-name", `Sales ${language}${tag}`);
      await page.fill("#q-ring", "abc");
      await page.check("#q-members tr:has-text('Zofia') input[type=checkbox]");
      await page.click("#queue-form button[type=submit]");
      assert.ok((await page.textContent("#queue-form")).includes(tooShort[language]), `${language}: the error`);
      assert.equal(await page.locator("#queue-list td a", { hasText: `Sales ${language}${tag}` }).count(), 0);
      await page.fill("#q-ring", "20");
      await page.click("#queue-form button[type=submit]");
      await page.waitForURL(/\/queues\/\d+/);
      assert.ok(await page.isVisible(`#queue-list a:has-text('Sales ${language}${tag}')`), `${language}: listed`);
      assert.ok(await page.isChecked("#q-members tr:has-text('Zofia') input[type=checkbox]"), "Zofia is a member");
      assert.equal(await page.getAttribute("#agents-now tr:has-text('Zofia') .agent-state", "data-state"), "available");
      const m = await page.evaluate(() => ({
        dir: document.documentElement.getAttribute("dir"),
        overflow: document.documentElement.scrollWidth - window.innerWidth,
      }));
      assert.equal(m.dir, language === "he" ? "rtl" : "ltr");
      assert.ok(m.overflow <= 1, `queues ${language}${tag}: ${m.overflow} px wider than the window`);
      await page.screenshot({ path: join(screenshots, `queues-${language}${tag}.png`), fullPage: true });
      await page.goto(`${server.base}/agent`);
      await page.screenshot({ path: join(screenshots, `queues-agent-${language}${tag}.png`) });
      await ctx.close();
    }
  }
});
