// Missed calls in the browser: a carrier (sipp) calls and nobody answers; the open page's badge
// and notification update live; the row opens onto its history; an SMS from the row; a manager
// hides and restores; the statistics' slices open their lists. Screenshots in en, pl and he.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, cli, launch, openAs, screenshots, sippCall, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "admin", "100", "admin", PW, "Anna Kowalska");
    addUser(dir, "acme", "zofia", "101", "agent", PW, "Zofia Żółćkiewicz", "pl");
    addUser(dir, "acme", "yael", "102", "manager", PW, "יעל כהן", "he");
    cli(dir, ["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2", "--inbound", "127.0.0.2"]);
    cli(dir, ["trunk", "number", "--org", "acme", "--number", "48221234567", "--extension", "101"]);
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const open = (who, language, path) => openAs(browser, server, who, PW, language, path, 800);

test("missed calls arrive live, open onto their history, and are acted on", async () => {
  const { ctx, page } = await open("100", "en", "/missed");
  assert.equal(await page.textContent("h1 >> nth=0").then((t) => t.trim().startsWith("Missed calls")), true);
  assert.ok(await page.isVisible("#missed-empty"));
  // Three unanswered calls from two callers (101 has no phone: 480).
  for (const [caller, mp] of [["48600111222", 17000], ["48600111222", 17100], ["48600333444", 17200]]) {
    assert.equal(await sippCall(server.sip, "127.0.0.2", "trunk_uac_480.xml", "48221234567", caller, mp), 0);
  }
  await page.waitForFunction(() => document.querySelector("#missed-badge")?.textContent === "2", null, { timeout: 5000 });
  assert.match(await page.textContent("#live-notice"), /Missed call from 600 333 444/);
  await page.reload();
  const rows = page.locator("details.mrow");
  assert.equal(await rows.count(), 2, "one row per caller");
  const anna = page.locator("details.mrow[data-caller='48600111222']");
  assert.match(await anna.locator("summary").textContent(), /2×/);
  await anna.locator("summary").click();
  assert.equal(await anna.locator("tr.step-missed").count(), 2, "both misses in the history");
  await anna.locator("form.sms input[name=text]").fill("Oddzwonimy o 15:00");
  await Promise.all([page.waitForNavigation(), anna.locator("form.sms button").click()]);
  assert.match(await page.textContent(".flash"), /The SMS is recorded/);
  await page.locator("details.mrow[data-caller='48600111222'] summary").click();
  assert.match(await page.textContent("details.mrow[data-caller='48600111222']"), /Oddzwonimy o 15:00/);
  await page.screenshot({ path: join(screenshots, "missed-en.png"), fullPage: true });
  // Hide the other caller with a reason; it is on the hidden view, and comes back.
  const other = page.locator("details.mrow[data-caller='48600333444']");
  await other.locator("summary").click();
  await other.locator("form.hide input[name=reason]").fill("wrong number");
  await Promise.all([page.waitForNavigation(), other.locator("form.hide button").click()]);
  assert.equal(await page.locator("details.mrow").count(), 1);
  await page.waitForFunction(() => document.querySelector("#missed-badge")?.textContent === "1", null, { timeout: 5000 });
  await page.click("nav.tabs a:has-text('Hidden')");
  await page.locator("details.mrow[data-caller='48600333444'] summary").click();
  assert.match(await page.textContent("details.mrow[data-caller='48600333444']"), /wrong number/);
  await Promise.all([page.waitForNavigation(), page.click("details.mrow[data-caller='48600333444'] form.restore button")]);
  // Statistics: one SMS sent, one never tried; the SMS slice opens exactly that row.
  await page.goto(`${server.base}/missed/stats`);
  assert.equal(await page.locator("svg.pie").count(), 2);
  await page.screenshot({ path: join(screenshots, "missed-stats-en.png"), fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click("#chart-status .legend a:has-text('SMS sent')")]);
  assert.equal(await page.locator("details.mrow").count(), 1);
  assert.equal(await page.getAttribute("details.mrow", "data-caller"), "48600111222");
  await ctx.close();
});

test("Polish and Hebrew screens read well", async () => {
  const pl = await open("101", "pl", "/missed");
  assert.match(await pl.page.textContent("h1"), /Nieodebrane połączenia/);
  assert.equal(await pl.page.locator("form.hide").count(), 0, "an agent may not hide by default");
  await pl.page.locator("details.mrow").first().locator("summary").click();
  await pl.page.screenshot({ path: join(screenshots, "missed-pl.png"), fullPage: true });
  await pl.ctx.close();
  const he = await open("102", "he", "/missed");
  assert.equal(await he.page.getAttribute("html", "dir"), "rtl");
  await he.page.locator("details.mrow").first().locator("summary").click();
  await he.page.screenshot({ path: join(screenshots, "missed-he.png"), fullPage: true });
  await he.page.goto(`${server.base}/missed/stats`);
  await he.page.screenshot({ path: join(screenshots, "missed-stats-he.png"), fullPage: true });
  await he.page.goto(`${server.base}/missed/settings`);
  assert.equal(await he.page.locator("#missed-settings").count(), 1);
  await he.page.screenshot({ path: join(screenshots, "missed-settings-he.png"), fullPage: true });
  await he.ctx.close();
});
