// Telephony set-up on the admin page, as a new administrator would do it: a trunk, a number to
// an extension and a dial rule, in Polish and Hebrew (right to left), with screenshots at
// 1366×768 and on a narrow phone screen; a wrong value is refused in the user's language.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, launch, login, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "admin", "100", "admin", PW, "Anna Kowalska", "pl");
    addUser(dir, "acme", "zofia", "101", "agent", PW, "Zofia Żółćkiewicz", "pl");
    addUser(dir, "globex", "yael", "200", "admin", PW, "יעל כהן", "he");
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function setUp(who, language, number, shot) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, who, PW, language);
  await page.click("#nav a[href='/admin/telephony']");
  await page.waitForSelector("#trunk-form");
  await page.fill("#trunk-name", language === "he" ? "ספק" : "Operator");
  await page.fill("#trunk-host", "127.0.0.2");
  await Promise.all([page.waitForNavigation(), page.click("#trunk-form button[type=submit]")]);
  assert.ok(await page.isVisible(".flash"), "saved");
  await page.fill("#number", number);
  await page.selectOption("#number-target", `ext:${who === "admin" ? "101" : "200"}`);
  await Promise.all([page.waitForNavigation(), page.click("#number-form button[type=submit]")]);
  await page.fill("#prefix", "48");
  await Promise.all([page.waitForNavigation(), page.click("#rule-form button[type=submit]")]);
  const text = await page.textContent("#main");
  assert.match(text, /127\.0\.0\.2:5060 UDP/);
  assert.match(text, new RegExp(`\\+${number}`));
  await page.screenshot({ path: join(screenshots, `telephony-${language}.png`), fullPage: true });
  return { ctx, page };
}

test("Polish: a trunk, a number and a dial rule set up on the page; a wrong host is refused in Polish", async () => {
  const { ctx, page } = await setUp("admin", "pl", "48221234567");
  assert.equal(await page.getAttribute("html", "dir"), "ltr");
  await page.fill("#trunk-name", "Zły");
  await page.fill("#trunk-host", "zły host");
  await page.click("#trunk-form button[type=submit]");
  await page.waitForSelector("#trunk-form .field-error");
  assert.match(await page.textContent("#trunk-form"), /Wpisz nazwę lub adres serwera operatora/);
  assert.equal(await page.inputValue("#trunk-host"), "zły host", "what was typed stays");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(screenshots, "telephony-pl-phone.png"), fullPage: true });
  await ctx.close();
});

test("Hebrew: the telephony page reads right to left and keeps numbers left to right", async () => {
  const { ctx, page } = await setUp("yael", "he", "48221234568");
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  const dir = await page.evaluate(() => getComputedStyle(document.querySelector("#tel-numbers td[dir=ltr]")).direction);
  assert.equal(dir, "ltr", "numbers read left to right");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(screenshots, "telephony-he-phone.png"), fullPage: true });
  await ctx.close();
});

test("English: an agent is not offered the telephony page", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "101", PW, "en");
  assert.equal(await page.locator("#nav a[href='/admin/telephony']").count(), 0);
  const r = await page.goto(`${server.base}/admin/telephony`);
  assert.equal(r.status(), 403);
  await ctx.close();
});
