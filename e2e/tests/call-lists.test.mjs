// Call lists as their users meet them: a manager starts a list with a category and outcomes and
// pastes numbers (one refused by its line); an agent takes the next number, is asked for the
// outcome before the next one, puts a callback tomorrow at 10:00, takes the next, finishes it,
// and is told when nothing is left — in English, Polish and Hebrew, wide and narrow, screenshotted;
// nothing overflows sideways and Hebrew reads right to left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { addUser, launch, login, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";
const people = {
  en: { manager: "ada", agent: "tom", list: "Autumn", list2: "Winter", outcome: ["Finished", "Call back later"] },
  pl: { manager: "ola", agent: "zofia", list: "Jesień", list2: "Zima", outcome: ["Zakończone", "Oddzwonić"] },
  he: { manager: "yael", agent: "dana", list: "סתיו", list2: "חורף", outcome: ["הסתיים", "לחזור"] },
};
// A file of numbers as each language's spreadsheet saves it: the header names the columns, a
// category the list has (in another case) and one it has not, the agent by extension, a number
// twice and one that is no number.
const files = {
  en: { encoding: "utf-8", head: "Number,Name,Category,Agent", sep: ",", names: ["Mary Jones", "Bob Smith"], cat: "Returning" },
  pl: { encoding: "windows-1250", head: "Numer;Nazwa;Kategoria;Konsultant", sep: ";", names: ["Łucja Żak", "Świętosław Gęśla"], cat: "Powracający" },
  he: { encoding: "windows-1255", head: "מספר,שם,קטגוריה,נציג", sep: ",", names: ["מרים לוי", "אבי כהן"], cat: "חוזרים" },
};

/** Encodes `text` in a one-byte code page (every character the text has is in it). */
function codePage(text, encoding) {
  if (encoding === "utf-8") return Buffer.from(text, "utf-8");
  const table = new Map();
  const decoder = new TextDecoder(encoding);
  for (let b = 0; b < 256; b++) table.set(decoder.decode(Uint8Array.of(b)), b);
  return Buffer.from([...text].map((c) => {
    if (!table.has(c)) throw new Error(`${c} is not in ${encoding}`);
    return table.get(c);
  }));
}

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "en-org", "ada", "100", "admin", PW, "Ada Admin", "en");
    addUser(dir, "en-org", "tom", "101", "agent", PW, "Tom Agent", "en");
    addUser(dir, "pl-org", "ola", "100", "admin", PW, "Ola Żółć", "pl");
    addUser(dir, "pl-org", "zofia", "101", "agent", PW, "Zofia Kowalska", "pl");
    addUser(dir, "he-org", "yael", "100", "admin", PW, "יעל כהן", "he");
    addUser(dir, "he-org", "dana", "101", "agent", PW, "דנה לוי", "he");
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function fits(page, language, what) {
  const m = await page.evaluate(() => ({
    dir: document.documentElement.getAttribute("dir"),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  }));
  assert.equal(m.dir, language === "he" ? "rtl" : "ltr", `${what}: direction`);
  assert.ok(m.overflow <= 1, `${what}: ${m.overflow} px wider than the window`);
}

for (const language of ["en", "pl", "he"]) {
  test(`${language}: a manager sets up a list, an agent works it with a callback tomorrow at 10:00`, async () => {
    const w = people[language];
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const page = await ctx.newPage();
    await login(page, server.base, w.manager, PW, language);
    await page.goto(`${server.base}/call-lists`);
    await page.fill("#list-name", w.list);
    await Promise.all([page.waitForNavigation(), page.click("#new-list button[type=submit]")]);
    await page.fill("#category-name", "VIP");
    await Promise.all([page.waitForNavigation(), page.click("#new-category button[type=submit]")]);
    await page.fill("#outcome-name", w.outcome[0]);
    await page.selectOption("#outcome-kind", "final");
    await Promise.all([page.waitForNavigation(), page.click("#new-outcome button[type=submit]")]);
    await page.fill("#outcome-name", w.outcome[1]);
    await page.selectOption("#outcome-kind", "callback");
    await Promise.all([page.waitForNavigation(), page.click("#new-outcome button[type=submit]")]);
    // Three numbers, one twice, one that is no number: the valid ones go in, the bad line is named.
    const row = `#lists tr:has-text('${w.list}')`;
    await page.fill(`${row} textarea`, "600 100 001;Jan Nowak\n600 100 002\n+48 600 100 001\nnot a number");
    await Promise.all([page.waitForNavigation(), page.click(`${row} .paste-numbers button[type=submit]`)]);
    assert.match(await page.textContent(`${row} .error`), /4/, `${language}: line 4 named`);
    assert.equal((await page.textContent(`${row} [data-fig=total]`)).trim(), "2");
    await fits(page, language, `lists ${language}`);
    await page.screenshot({ path: join(screenshots, `call-lists-manager-${language}.png`), fullPage: true });

    const actx = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const agent = await actx.newPage();
    await login(agent, server.base, w.agent, PW, language);
    await agent.goto(`${server.base}/call-lists`);
    assert.equal(await agent.locator("#lists").count(), 0, "an agent sees no managers' forms");
    await Promise.all([agent.waitForNavigation(), agent.click("#next-form button")]);
    const held = agent.locator(".held-number").first();
    assert.match(await held.textContent(), /Jan Nowak/, `${language}: the first number, with its name`);
    assert.equal(await agent.locator("#next-form").count(), 0, "the outcome first");
    // Call back tomorrow at 10:00 — without the time it is refused, in the language.
    await held.locator("select[name=outcome_id]").selectOption({ label: w.outcome[1] });
    await Promise.all([agent.waitForNavigation(), held.locator("button[type=submit]").click()]);
    assert.ok(await agent.isVisible(".held-number .field-error"), `${language}: a callback needs its time`);
    const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
    const again = agent.locator(".held-number").first();
    await again.locator("select[name=outcome_id]").selectOption({ label: w.outcome[1] });
    await again.locator("input[name=callback_at]").fill(`${tomorrow}T10:00`);
    await again.locator("input[name=note]").fill("10:00");
    await Promise.all([agent.waitForNavigation(), again.locator("button[type=submit]").click()]);
    assert.ok(await agent.isVisible(".flash"), `${language}: saved`);
    await Promise.all([agent.waitForNavigation(), agent.click("#next-form button")]);
    const second = agent.locator(".held-number").first();
    assert.match(await second.textContent(), /600/, `${language}: the second number`);
    await fits(agent, language, `agent ${language}`);
    await agent.screenshot({ path: join(screenshots, `call-lists-agent-${language}.png`), fullPage: true });
    await second.locator("select[name=outcome_id]").selectOption({ label: w.outcome[0] });
    await Promise.all([agent.waitForNavigation(), second.locator("button[type=submit]").click()]);
    await Promise.all([agent.waitForNavigation(), agent.click("#next-form button")]);
    assert.ok(await agent.isVisible("#nothing-left"), `${language}: the callback waits for tomorrow; nothing else left`);
    // Narrow.
    await agent.setViewportSize({ width: 390, height: 844 });
    await agent.goto(`${server.base}/call-lists`);
    await fits(agent, language, `agent ${language} phone`);
    await agent.screenshot({ path: join(screenshots, `call-lists-agent-${language}-phone.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.base}/call-lists`);
    await fits(page, language, `lists ${language} phone`);
    await page.screenshot({ path: join(screenshots, `call-lists-manager-${language}-phone.png`), fullPage: true });
    // The manager sees the counts: one number done, one waiting for its callback.
    assert.equal((await page.textContent(`${row} [data-fig=open]`)).trim(), "1");
    // The number base: every number, an export of exactly the filtered rows in the encoding a
    // spreadsheet of that language reads, a bulk action on a ticked row.
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(`${server.base}/call-lists/numbers`);
    assert.equal((await page.textContent("#base-total span")).trim(), "2", `${language}: both numbers`);
    const encoding = { en: "utf-8", pl: "windows-1250", he: "windows-1255" }[language];
    await page.selectOption("#base-export select[name=encoding]", encoding);
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#base-export button")]);
    const text = new TextDecoder(encoding).decode((await import("node:fs")).readFileSync(await dl.path()));
    const lines = text.split("\n").filter((l) => l.trim());
    assert.ok(lines.length === 3 && text.includes("Jan Nowak"), `${language}: the header and the two rows: ${text}`);
    await page.check("#base tbody tr:first-child input[type=checkbox]");
    await page.selectOption("#bulk-action", "category");
    await page.selectOption("#category-to", { label: "VIP" });
    await Promise.all([page.waitForNavigation(), page.click("#bulk button[type=submit]")]);
    assert.ok(await page.isVisible(".flash"), `${language}: done`);
    await page.selectOption("#base-filter select[name=category]", { label: "VIP" });
    await Promise.all([page.waitForNavigation(), page.click("#base-filter button[type=submit]")]);
    assert.equal((await page.textContent("#base-total span")).trim(), "1", `${language}: one number in VIP`);
    const why = (await page.textContent("#base tbody tr:first-child td.why-not")).trim();
    assert.ok(why.length > 2, `${language}: the row says why it is not handed out now (${why})`);
    await fits(page, language, `number base ${language}`);
    await page.screenshot({ path: join(screenshots, `call-lists-base-${language}.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await fits(page, language, `number base ${language} phone`);
    await page.screenshot({ path: join(screenshots, `call-lists-base-${language}-phone.png`), fullPage: true });
    // The statistics: the agent's two outcomes of today, one of them a finished number.
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(`${server.base}/call-lists`);
    await Promise.all([page.waitForNavigation(), page.click("#to-stats")]);
    const worked = (await page.textContent("#stats-total td:nth-of-type(1)")).trim();
    assert.equal(worked, "2", `${language}: two numbers worked today`);
    await fits(page, language, `statistics ${language}`);
    await page.screenshot({ path: join(screenshots, `call-lists-stats-${language}.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await fits(page, language, `statistics ${language} phone`);
    await page.screenshot({ path: join(screenshots, `call-lists-stats-${language}-phone.png`), fullPage: true });
    // Billing: a trunk, then its rate for the country's mobiles; a price with five decimals is
    // refused in the manager's language, nothing saved.
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(`${server.base}/admin/telephony`);
    await page.fill("#trunk-name", "Carrier");
    await page.fill("#trunk-host", "192.0.2.7");
    await Promise.all([page.waitForNavigation(), page.click("#trunk-form button[type=submit]")]);
    await page.goto(`${server.base}/billing`);
    await page.fill("#rate-form input[name=prefix]", "48600");
    await page.fill("#rate-form input[name=per_minute]", "0.12345");
    await Promise.all([page.waitForNavigation(), page.click("#rate-form button[type=submit]")]);
    assert.ok(await page.isVisible("#rates .field-error"), `${language}: the price refused`);
    assert.equal(await page.locator("#rate-table").count(), 0, `${language}: nothing saved`);
    await page.fill("#rate-form input[name=prefix]", "48600");
    await page.fill("#rate-form input[name=per_minute]", language === "en" ? "0.12" : "0,12");
    await Promise.all([page.waitForNavigation(), page.click("#rate-form button[type=submit]")]);
    assert.match(await page.textContent("#rate-table"), /0\.1200/, `${language}: the rate listed`);
    await fits(page, language, `billing ${language}`);
    await page.screenshot({ path: join(screenshots, `billing-${language}.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await fits(page, language, `billing ${language} phone`);
    await page.screenshot({ path: join(screenshots, `billing-${language}-phone.png`), fullPage: true });
    await actx.close();
    await ctx.close();
  });
}

for (const language of ["en", "pl", "he"]) {
  test(`${language}: a manager imports a list with categories; an agent without the dialer is told so`, async () => {
    const w = people[language];
    const f = files[language];
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await ctx.newPage();
    await login(page, server.base, w.manager, PW, language);
    await page.goto(`${server.base}/call-lists`);
    await page.fill("#list-name", w.list2);
    await Promise.all([page.waitForNavigation(), page.click("#new-list button[type=submit]")]);
    const row = `#lists tr:has-text('${w.list2}')`;
    const rows = [
      f.head,
      ["600 300 001", f.names[0], "vip", "101"],
      ["600 300 002", f.names[1], f.cat, ""],
      ["600 300 001", f.names[1], "", ""],
      ["—", f.names[0], "", ""],
    ].map((r) => (Array.isArray(r) ? r.join(f.sep) : r));
    const file = join(mkdtempSync(join(tmpdir(), "sb-list-")), "list.csv");
    writeFileSync(file, codePage(rows.join("\r\n") + "\r\n", f.encoding));
    const listId = await page.getAttribute(row, "data-list");
    await Promise.all([page.waitForNavigation(), page.click(`${row} .import-link`)]);
    assert.equal(await page.inputValue("#imp-target"), listId, "the list is chosen");
    await page.fill("#imp-name", "CSV");
    await page.setInputFiles("#imp-file", file);
    await Promise.all([page.waitForNavigation(), page.click("#upload-form button[type=submit]")]);
    // The column order shown before the import, the encoding and separator chosen, the first records.
    assert.equal(await page.inputValue("select[name=encoding]"), f.encoding, `${language}: the encoding`);
    assert.equal(await page.inputValue("select[name=separator]"), f.sep);
    for (const [i, field] of ["number", "name", "category", "agent"].entries()) {
      assert.equal(await page.inputValue(`select[name=map${i}]`), field, `${language}: column ${i + 1}`);
    }
    assert.match(await page.textContent("#preview tbody"), new RegExp(f.names[0]), `${language}: the letters read well`);
    await fits(page, language, `import ${language}`);
    await Promise.all([page.waitForNavigation(), page.click("#check-button")]);
    assert.equal(await page.textContent("#sum-new"), "2", `${language}: two numbers`);
    assert.equal(await page.textContent("#sum-duplicates"), "1");
    assert.equal(await page.textContent("#sum-invalid"), "1");
    assert.match(await page.textContent("#new-categories"), new RegExp(f.cat), `${language}: the category it makes`);
    await page.screenshot({ path: join(screenshots, `call-lists-import-${language}.png`), fullPage: true });
    const look = await ctx.newPage();
    await look.goto(`${server.base}/call-lists`);
    assert.equal((await look.textContent(`${row} [data-fig=total]`)).trim(), "0", `${language}: nothing before the run`);
    await look.close();
    await Promise.all([page.waitForNavigation(), page.click("#run-form button")]);
    assert.ok(await page.isVisible(".flash"), `${language}: imported`);
    assert.equal((await page.textContent("#base-total span")).trim(), "2", `${language}: the list's two numbers`);
    assert.match(await page.textContent("#base tbody"), /VIP/, `${language}: vip is the VIP category`);
    // The agent loses the dialer: their page says so instead of handing out numbers.
    await page.goto(`${server.base}/call-lists`);
    const agentRow = `#agent-categories tr:has-text('101')`;
    await page.uncheck(`${agentRow} input[value=dialer]`);
    await Promise.all([page.waitForNavigation(), page.click("#agent-categories button[type=submit]")]);
    assert.equal(await page.isChecked(`${agentRow} input[value=dialer]`), false);
    await fits(page, language, `access ${language}`);
    await page.screenshot({ path: join(screenshots, `call-lists-access-${language}.png`), fullPage: true });
    const actx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const agent = await actx.newPage();
    await login(agent, server.base, w.agent, PW, language);
    await agent.goto(`${server.base}/call-lists`);
    assert.ok(await agent.isVisible("#no-dialer"), `${language}: told, in the language`);
    assert.equal(await agent.locator("#next-form").count(), 0);
    await actx.close();
    await ctx.close();
  });
}
