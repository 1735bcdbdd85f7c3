// The CSV import wizard in the browser: a Windows-1250 file with Polish names is uploaded; the
// guessed encoding keeps the letters and a wrong one shows as such; the dry run lists each
// problem's line; the import writes the contacts with their letters intact. Screenshots in
// English, Polish and Hebrew.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addUser, launch, openAs, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";

// "Imię;Nazwisko;Telefon;E-mail" and rows, in Windows-1250.
const cp1250 = { "ą": 0xb9, "ć": 0xe6, "ę": 0xea, "ł": 0xb3, "ń": 0xf1, "ó": 0xf3, "ś": 0x9c, "ź": 0x9f, "ż": 0xbf,
  "Ą": 0xa5, "Ć": 0xc6, "Ę": 0xca, "Ł": 0xa3, "Ń": 0xd1, "Ó": 0xd3, "Ś": 0x8c, "Ź": 0x8f, "Ż": 0xaf };
const encode = (text) => Buffer.from([...text].map((c) => cp1250[c] ?? c.charCodeAt(0)));
const csv = [
  "Imię;Nazwisko;Telefon;E-mail",
  "Łucja;Żółkiewska;600 111 222;lucja@example.pl",
  "Świętosław;Źdźbło;600 111 333;",
  "Grzegorz;Brzęczyszczykiewicz;600 111 222;",
  "Ćma;Nowak;zadzwoń;",
  "",
].join("\r\n");

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

test("a Windows-1250 file keeps its Polish letters from preview to contacts", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "sb-import-")), "klienci.csv");
  writeFileSync(file, encode(csv));
  const { ctx, page } = await open("100", "en", "/contacts");
  await Promise.all([page.waitForNavigation(), page.click("#import-link")]);
  await page.fill("#imp-name", "Klienci z targów");
  await page.fill("#imp-description", "Poznań 2026");
  await page.setInputFiles("#imp-file", file);
  await Promise.all([page.waitForNavigation(), page.click("#upload-form button[type=submit]")]);
  assert.equal(await page.inputValue("select[name=encoding]"), "windows-1250", "the encoding is guessed");
  assert.equal(await page.inputValue("select[name=separator]"), ";");
  assert.ok(await page.isChecked("input[name=has_header]"));
  assert.match(await page.textContent("#preview tbody"), /Łucja.*Żółkiewska/s);
  assert.equal(await page.inputValue("select[name=map0]"), "first_name");
  assert.equal(await page.inputValue("select[name=map3]"), "email");
  await page.screenshot({ path: join(screenshots, "import-preview-en.png"), fullPage: true });
  // Read as UTF-8 the file shows it is not.
  await Promise.all([page.waitForNavigation(), page.selectOption("select[name=encoding]", "utf-8")]);
  assert.ok(await page.isVisible("#garbled"), "a wrong encoding is pointed out");
  assert.doesNotMatch(await page.textContent("#preview tbody"), /Łucja/);
  await Promise.all([page.waitForNavigation(), page.selectOption("select[name=encoding]", "windows-1250")]);
  assert.match(await page.textContent("#preview tbody"), /Łucja/);
  // The dry run: nothing written yet, each problem with its line.
  await Promise.all([page.waitForNavigation(), page.click("#check-button")]);
  assert.equal(await page.textContent("#sum-total"), "4");
  assert.equal(await page.textContent("#sum-new"), "2");
  assert.equal(await page.textContent("#sum-duplicates"), "1");
  assert.equal(await page.textContent("#sum-invalid"), "1");
  const problems = await page.textContent("#problems");
  assert.match(problems, /4\s*Duplicate: the phone number is already known\./);
  assert.match(problems, /5\s*This is not a phone number\./);
  await page.screenshot({ path: join(screenshots, "import-summary-en.png"), fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click("#run-form button")]);
  assert.match(await page.textContent(".flash"), /imported/);
  assert.match(await page.textContent("#imports"), /Klienci z targów/);
  await page.goto(`${server.base}/contacts`);
  const list = await page.textContent("#contacts");
  assert.match(list, /Łucja Żółkiewska/);
  assert.match(list, /Świętosław Źdźbło/);
  assert.doesNotMatch(list, /Brzęczyszczykiewicz/, "the duplicate was not imported");
  await ctx.close();
});

test("the wizard in Polish and Hebrew", async () => {
  const pl = await open("101", "pl", "/contacts/import");
  assert.match(await pl.page.textContent("h1"), /Import kontaktów/);
  assert.match(await pl.page.textContent("#imports"), /Klienci z targów/);
  await pl.page.click("#imports a");
  await pl.page.waitForSelector("#preview");
  await pl.page.screenshot({ path: join(screenshots, "import-pl.png"), fullPage: true });
  await pl.ctx.close();
  const he = await open("102", "he", "/contacts/import");
  assert.equal(await he.page.getAttribute("html", "dir"), "rtl");
  await he.page.screenshot({ path: join(screenshots, "import-he.png"), fullPage: true });
  await he.ctx.close();
});
