// Call lists as their users meet them: a manager starts a list with a category and outcomes and
// pastes numbers (one refused by its line); an agent takes the next number, is asked for the
// outcome before the next one, puts a callback tomorrow at 10:00, takes the next, finishes it,
// and is told when nothing is left — in English, Polish and Hebrew, wide and narrow, screenshotted;
// nothing overflows sideways and Hebrew reads right to left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, launch, login, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";
const people = {
  en: { manager: "ada", agent: "tom", list: "Autumn", outcome: ["Finished", "Call back later"] },
  pl: { manager: "ola", agent: "zofia", list: "Jesień", outcome: ["Zakończone", "Oddzwonić"] },
  he: { manager: "yael", agent: "dana", list: "סתיו", outcome: ["הסתיים", "לחזור"] },
};

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
    await Promise.all([page.waitForNavigation(), page.click(`${row} button[type=submit]`)]);
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
    await actx.close();
    await ctx.close();
  });
}
