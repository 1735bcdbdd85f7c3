// Telephony set-up on the admin page, as a new administrator would do it: a trunk, a number to
// an extension and a dial rule, in Polish and Hebrew (right to left), with screenshots at
// 1366×768 and on a narrow phone screen; a wrong value is refused in the user's language. Then
// the standard dial rules for Poland, and the first outside call from a browser phone: the
// carrier (sipp) answers and the agent hears it; a premium number is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { addUser, freeUdpPort, launch, launchWithMicrophone, login, screenshots, sipp, startServer } from "./harness.mjs";
import { heardInPage } from "./audio.mjs";

let server, browser;
const PW = "e2e-password-1";

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "admin", "100", "admin", PW, "Anna Kowalska", "pl");
    addUser(dir, "acme", "zofia", "101", "agent", PW, "Zofia Żółćkiewicz", "pl", "browser");
    addUser(dir, "globex", "yael", "200", "admin", PW, "יעל כהן", "he");
    addUser(dir, "initech", "ed", "300", "admin", PW, "Ed Smith", "en");
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

// A typo in a trunk's address is corrected on the page, then the trunk is removed after a
// question that says what that means; in each language, with screenshots of both.
for (const [who, language, name, removed] of [
  ["ed", "en", "Typo carrier", /Removed/],
  ["admin", "pl", "Literówka", /Usunięto/],
  ["yael", "he", "ספק עם טעות", /הוסר/],
]) {
  test(`${language}: a trunk is changed, then removed after a question`, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await ctx.newPage();
    await login(page, server.base, who, PW, language);
    await page.goto(`${server.base}/admin/telephony`);
    await page.fill("#trunk-name", name);
    await page.fill("#trunk-host", "192.0.2.1");
    await Promise.all([page.waitForNavigation(), page.click("#trunk-form button[type=submit]")]);
    const row = page.locator("#tel-trunks tbody tr", { hasText: name });
    assert.match(await row.textContent(), /192\.0\.2\.1:5060/);
    // Change: the form holds the trunk (never its password), the fix is saved.
    await Promise.all([page.waitForNavigation(), row.locator("a[href*='edit=trunk']").click()]);
    assert.equal(await page.inputValue("#trunk-name"), name);
    assert.equal(await page.inputValue("#trunk-host"), "192.0.2.1");
    assert.equal(await page.inputValue("#trunk-password"), "");
    await page.fill("#trunk-host", "zły host");
    await page.click("#trunk-form button[type=submit]");
    await page.waitForSelector("#trunk-form .field-error");
    assert.match(await page.getAttribute("#trunk-form", "action"), /\/admin\/telephony\/trunks\/\d+$/, "still a change");
    await page.screenshot({ path: join(screenshots, `telephony-change-${language}.png`), fullPage: true });
    await page.fill("#trunk-host", "192.0.2.2");
    await page.fill("#trunk-inbound", "");
    await Promise.all([page.waitForNavigation(), page.click("#trunk-form button[type=submit]")]);
    assert.match(await row.textContent(), /192\.0\.2\.2:5060/);
    assert.equal(await page.locator("#tel-trunks tbody tr", { hasText: "192.0.2.1" }).count(), 0);
    // Remove: a question first; Cancel keeps it, Remove takes it away.
    await Promise.all([page.waitForNavigation(), row.locator("a[href*='remove?what=trunk']").click()]);
    assert.ok((await page.textContent("#confirm-remove h1")).includes(name), "the question names the trunk");
    await page.screenshot({ path: join(screenshots, `telephony-remove-${language}.png`), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click("#confirm-form a")]);
    assert.equal(await row.count(), 1, "cancel keeps it");
    await Promise.all([page.waitForNavigation(), row.locator("a[href*='remove?what=trunk']").click()]);
    await Promise.all([page.waitForNavigation(), page.click("#confirm-form button[type=submit]")]);
    assert.match(await page.textContent(".flash"), removed);
    assert.equal(await row.count(), 0, "the trunk is gone");
    await ctx.close();
  });
}

test("English: an agent is not offered the telephony page", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "101", PW, "en");
  assert.equal(await page.locator("#nav a[href='/admin/telephony']").count(), 0);
  const r = await page.goto(`${server.base}/admin/telephony`);
  assert.equal(r.status(), 403);
  await ctx.close();
});

test("Polish: the standard dial rules, then the first outside call from the browser phone; a premium number is refused", async () => {
  const admin = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await admin.newPage();
  await login(page, server.base, "admin", PW, "pl");
  await page.goto(`${server.base}/admin/telephony`);
  await Promise.all([page.waitForNavigation(), page.click("#rule-preset-form button[type=submit]")]);
  const rules = await page.textContent("#tel-rules");
  assert.match(rules, /70…\s*zabronione/, "premium-rate 70x refused");
  assert.match(rules, /00…\s*zabronione/, "abroad refused");
  await page.screenshot({ path: join(screenshots, "telephony-preset-pl.png"), fullPage: true });
  // Every call recorded, then back to on demand.
  await page.selectOption("#recording_policy", "always");
  await Promise.all([page.waitForNavigation(), page.click("#recording-form button[type=submit]")]);
  assert.equal(await page.inputValue("#recording_policy"), "always");
  await page.selectOption("#recording_policy", "on_demand");
  await Promise.all([page.waitForNavigation(), page.click("#recording-form button[type=submit]")]);
  await admin.close();

  const wav = join(mkdtempSync(join(tmpdir(), "switchboard-mic-")), "mic.wav");
  assert.equal(spawnSync("sox", ["-n", "-r", "48000", "-b", "16", "-c", "1", wav, "synth", "60", "sine", "1000", "vol", "0.5"]).status, 0);
  const withMic = await launchWithMicrophone(wav);
  const carrier = sipp("carrier_answer.xml", "127.0.0.2", 5060, ["-mp", String(await freeUdpPort("127.0.0.2"))], undefined,
    { callerid: "48221234567" });
  try {
    const ctx = await withMic.newContext({ viewport: { width: 1366, height: 768 } });
    const agent = await ctx.newPage();
    await login(agent, server.base, "101", PW, "pl");
    await agent.goto(`${server.base}/agent`);
    await agent.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
    await agent.fill("#dial-number", "700123456");
    await agent.click("#dial-button");
    await agent.waitForSelector("#dial-error:not([hidden])", { timeout: 5000 });
    assert.match(await agent.textContent("#dial-error"), /Reguły wybierania/, "the refusal names the dial rules, in Polish");
    await agent.fill("#dial-number", "221234567");
    await agent.click("#dial-button");
    await agent.waitForSelector(".call[data-state=talking]", { timeout: 10000 });
    let heard;
    for (let i = 0; i < 6; i++) {
      heard = await heardInPage(agent);
      if (Math.abs(heard.hz - 600) < 30) break;
    }
    assert.ok(Math.abs(heard.hz - 600) < 30, `the agent hears the carrier: ${JSON.stringify(heard)}`);
    await agent.screenshot({ path: join(screenshots, "first-outside-call-pl.png") });
    await agent.click(".call [data-cmd=hangup]");
    const r = await carrier.done;
    assert.equal(r.code, 0, `the carrier took the call with the organization's number: ${r.out.slice(-3000)}`);
    await ctx.close();
  } finally {
    carrier.process.kill("SIGKILL");
    await withMic.close();
  }
});

test("the first-run checklist ticks what is done, in Polish and Hebrew", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await login(page, server.base, "admin", PW, "pl");
  // With steps still to take, the administrator's log-in opens Getting started.
  assert.match(page.url(), /\/admin\/start$/);
  await page.waitForSelector("#start-steps");
  const done = async (step) => page.getAttribute(`#start-steps li[data-step=${step}]`, "data-done");
  assert.equal(await done("start-trunk"), "true", "the trunk added on the telephony page");
  assert.equal(await done("start-number"), "true");
  assert.equal(await done("start-team"), "true", "an agent besides the admin");
  assert.equal(await done("start-first-call"), "true", "the first outside call was answered");
  assert.equal(await done("start-campaign"), "false", "no campaign has agents yet");
  assert.equal(await done("start-phone"), "false", "the admin's phone answered no test call");
  assert.equal(await done("start-rules"), "true", "the dial rules set on the telephony page");
  assert.match(await page.textContent("#start-progress"), /5 \/ 8/);
  await page.screenshot({ path: join(screenshots, "start-pl.png"), fullPage: true });
  // The numbers an agent may present, on the agent's page.
  await page.goto(`${server.base}/admin/users`);
  await Promise.all([page.waitForNavigation(), page.click("tr:has-text('Zofia') a[href^='/admin/users/']")]);
  assert.match(await page.textContent("#caller-ids"), /Nic nie zaznaczono/);
  await page.check("#caller-ids-form input[value='48221234567']");
  await Promise.all([page.waitForNavigation(), page.click("#caller-ids-form button[type=submit]")]);
  assert.ok(await page.isChecked("#caller-ids-form input[value='48221234567']"), "saved");
  assert.match(await page.textContent("#caller-ids"), /tylko zaznaczone/);
  await page.screenshot({ path: join(screenshots, "user-caller-ids-pl.png"), fullPage: true });
  await ctx.close();
  const he = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const p2 = await he.newPage();
  await login(p2, server.base, "yael", PW, "he");
  await p2.goto(`${server.base}/admin/start`);
  assert.equal(await p2.getAttribute("html", "dir"), "rtl");
  const overflow = await p2.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(overflow, false, "the checklist fits a phone screen");
  await p2.screenshot({ path: join(screenshots, "start-he-phone.png"), fullPage: true });
  await he.close();
});
