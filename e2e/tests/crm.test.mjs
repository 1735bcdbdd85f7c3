// The CRM core in the browser: a manager creates a process and a campaign with an agent; the
// agent finds a contact with two conditions, opens a case from the contact's card, moves it to
// a closing status with a note, and the case shows in its timeline; screenshots in en, pl, he.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, launch, openAs, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "admin", "100", "admin", PW, "Ada Admin");
    addUser(dir, "acme", "zofia", "101", "agent", PW, "Zofia Żółćkiewicz", "pl");
    addUser(dir, "acme", "yael", "102", "manager", PW, "יעל כהן", "he");
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const open = (who, language, path) => openAs(browser, server, who, PW, language, path);

test("a process, a campaign, a search with two conditions and a case from a contact", async () => {
  const { ctx, page } = await open("100", "en", "/campaigns");
  // The process: three statuses, the first initial, the last closing.
  await Promise.all([page.waitForNavigation(), page.click("#new-process")]);
  await page.fill("#process-name", "Sales");
  await page.fill("input[name=s0_name]", "New");
  await page.fill("input[name=s1_name]", "Offer sent");
  await page.fill("input[name=s2_name]", "Won");
  await page.check("input[name=initial][value='0']");
  await page.check("input[name=s2_closing]");
  await Promise.all([page.waitForNavigation(), page.click("#process-form button[type=submit]")]);
  assert.match(await page.textContent("#processes"), /New.*Offer sent.*Won/s);
  // The campaign, with zofia as its agent.
  await Promise.all([page.waitForNavigation(), page.click("#new-campaign")]);
  await page.fill("#campaign-name", "Wiosna 2026");
  await page.selectOption("#campaign-kind", "outbound");
  await page.check("fieldset.agents label:has-text('Zofia') input");
  await Promise.all([page.waitForNavigation(), page.click("#campaign-form button[type=submit]")]);
  assert.match(await page.textContent("#campaigns"), /Wiosna 2026/);
  await page.screenshot({ path: join(screenshots, "campaigns-en.png"), fullPage: true });
  // Two contacts named Anna; one at systell.
  for (const [first, last, email, phone] of [["Anna", "Kowalska", "anna@systell.pl", "600 111 222"], ["Anna", "Nowak", "anna@example.pl", "600 333 444"], ["Jan", "Systellski", "jan@systell.pl", ""]]) {
    await page.goto(`${server.base}/contacts/new`);
    await page.fill("#first_name", first);
    await page.fill("#last_name", last);
    await page.fill("#email", email);
    await page.fill("#phone1", phone);
    await Promise.all([page.waitForNavigation(), page.click("#contact-form button[type=submit]")]);
  }
  await ctx.close();

  // The agent searches with two conditions and opens a case from the card.
  const z = await open("101", "pl", "/contacts");
  const p = z.page;
  await p.selectOption("select[name=f0]", "email");
  await p.selectOption("select[name=o0]", "contains");
  await p.fill("input[name=v0]", "systell");
  await Promise.all([p.waitForNavigation(), p.click("#search-form button[type=submit]")]);
  assert.equal(await p.textContent("#found-total"), "2");
  await p.selectOption("select[name=f1]", "first_name");
  await p.selectOption("select[name=o1]", "equals");
  await p.fill("input[name=v1]", "Anna");
  await Promise.all([p.waitForNavigation(), p.click("#search-form button[type=submit]")]);
  assert.equal(await p.textContent("#found-total"), "1");
  assert.match(await p.textContent("#contacts"), /Anna Kowalska/);
  await p.fill("#save-search input[name=name]", "Anny z Systell");
  await Promise.all([p.waitForNavigation(), p.click("#save-search button")]);
  assert.match(await p.textContent("#saved-searches"), /Anny z Systell/);
  await p.screenshot({ path: join(screenshots, "contacts-search-pl.png"), fullPage: true });
  await Promise.all([p.waitForNavigation(), p.click("#contacts a:has-text('Anna Kowalska')")]);
  await Promise.all([p.waitForNavigation(), p.click("#new-case button")]);
  assert.match(await p.textContent("#case-title"), /#1\s+Anna Kowalska – Wiosna 2026/);
  await p.selectOption("#case-status", { label: "Won ✓" });
  await p.fill("#case-note", "Umowa podpisana");
  await Promise.all([p.waitForNavigation(), p.click("#case-form button[type=submit]")]);
  const timeline = await p.textContent("#timeline");
  assert.match(timeline, /Won/);
  assert.match(timeline, /Umowa podpisana/);
  await p.screenshot({ path: join(screenshots, "case-pl.png"), fullPage: true });
  await z.ctx.close();

  // The manager's view in Hebrew: the campaign counts zofia's success.
  const y = await open("102", "he", "/campaigns");
  assert.equal(await y.page.getAttribute("html", "dir"), "rtl");
  await Promise.all([y.page.waitForNavigation(), y.page.click("#campaigns a")]);
  assert.match(await y.page.textContent("#successes"), /Zofia Żółćkiewicz\s*1/);
  await y.page.screenshot({ path: join(screenshots, "campaign-he.png"), fullPage: true });
  await y.page.goto(`${server.base}/cases`);
  await y.page.screenshot({ path: join(screenshots, "cases-he.png"), fullPage: true });
  await y.ctx.close();
});
