// The screens this round changed, in English, Polish and Hebrew, at 1366×768 and on a narrow
// phone screen: the call bar while a call rings a group of three agents (one per language), the
// phone set-up card of the account page, the telephony page, and an error page with its
// request id. Each is screenshotted; nothing may overflow sideways, Hebrew reads right to left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, cli, freeUdpPort, launch, login, phone, screenshots, sipp, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";
const sipPw = {};
const agents = [["ada", "101", "en"], ["zofia", "102", "pl"], ["yael", "103", "he"]];

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "root", "100", "admin", PW, "Root Admin");
    sipPw.ada = addUser(dir, "acme", "ada", "101", "agent", PW, "Ada Lovelace", "en");
    sipPw.zofia = addUser(dir, "acme", "zofia", "102", "agent", PW, "Zofia Żółćkiewicz", "pl");
    sipPw.yael = addUser(dir, "acme", "yael", "103", "agent", PW, "יעל כהן", "he");
    cli(dir, ["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2", "--inbound", "127.0.0.2"]);
    cli(dir, ["trunk", "group", "--org", "acme", "--name", "All", "--members", "101,102,103"]);
    cli(dir, ["trunk", "number", "--org", "acme", "--number", "48221234567", "--group", "1"]);
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function open(who, language, path, width = 1366, height = 768) {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  await login(page, server.base, who, PW, language);
  await page.goto(`${server.base}${path}`);
  return { ctx, page };
}

// The page fits its width, and reads in the direction of its language.
async function fits(page, language, what) {
  const m = await page.evaluate(() => ({
    dir: document.documentElement.getAttribute("dir"),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  }));
  assert.equal(m.dir, language === "he" ? "rtl" : "ltr", `${what}: direction`);
  assert.ok(m.overflow <= 1, `${what}: ${m.overflow} px wider than the window`);
}

test("the call bar rings in English, Polish and Hebrew on any page, and fits a phone screen", async () => {
  const pages = [];
  for (const [name, , language] of agents) pages.push({ language, ...(await open(name, language, "/contacts")) });
  const narrow = await open("yael", "he", "/cases", 390, 844);
  const phones = [];
  let mp = 26000;
  for (const [name, ext] of agents) phones.push(await phone(server.sip, ext, sipPw[name], "uas_ring.xml", (mp += 200)));
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac_cancel.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", "48600555666", "-mp", "27000"], server.sip);
  await Promise.all([...pages, narrow].map(({ page }) => page.waitForSelector("#call-bar[data-state=ringing]", { timeout: 5000 })));
  await Promise.all(pages.map(({ page, language }) =>
    page.screenshot({ path: join(screenshots, `call-bar-ringing-${language}.png`) })));
  await narrow.page.screenshot({ path: join(screenshots, "call-bar-ringing-he-phone.png") });
  for (const { page, language } of pages) {
    assert.equal(await page.textContent("#call-bar .number"), "600 555 666");
    await fits(page, language, `call bar ${language}`);
  }
  await fits(narrow.page, "he", "call bar on a phone");
  const label = await pages[2].page.textContent("#call-bar .state");
  assert.equal(label, "שיחה נכנסת", "the bar speaks Hebrew");
  await Promise.all([caller.done, ...phones.map((p) => p.done)]);
  for (const p of [...pages, narrow]) await p.ctx.close();
});

test("the phone set-up card, the telephony page and an error page in three languages", async () => {
  for (const [name, , language] of [["root", "", "en"], ...agents]) {
    const { ctx, page } = await open(name, language, "/account");
    await page.click("#phone-form button[value=show]");
    await page.waitForSelector("#phone-password");
    assert.match(await page.textContent("#phone-username"), /^10[0-3]$/);
    await fits(page, language, `account ${language}`);
    await page.screenshot({ path: join(screenshots, `phone-setup-${name}-${language}.png`), fullPage: true });
    const r = await page.goto(`${server.base}/no/such/page`);
    assert.equal(r.status(), 404);
    assert.ok((await page.textContent("main")).includes(r.headers()["x-request-id"]), "the request id is shown");
    await fits(page, language, `error page ${language}`);
    await page.screenshot({ path: join(screenshots, `error-${language}.png`) });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.base}/account`);
    await fits(page, language, `account ${language} on a phone`);
    await ctx.close();
  }
  const { ctx, page } = await open("root", "en", "/admin/telephony");
  await fits(page, "en", "telephony en");
  await page.screenshot({ path: join(screenshots, "telephony-en.png"), fullPage: true });
  await ctx.close();
});
