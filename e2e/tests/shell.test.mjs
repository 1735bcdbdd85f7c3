// The web shell in English, Polish and Hebrew: log in, open the users page, check direction
// and where the navigation sits, and save screenshots to e2e/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, launch, login, screenshots, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "admin", "100", "admin", PW, "Anna Kowalska");
    addUser(dir, "acme", "zofia", "101", "agent", PW, "Zofia Żółćkiewicz", "pl");
    addUser(dir, "acme", "yael", "102", "manager", PW, "יעל כהן", "he");
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function usersPage(language) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await ctx.newPage();
  await login(page, server.base, "100", PW, language);
  await page.goto(`${server.base}/admin/users`);
  return { ctx, page };
}

async function layout(page) {
  return page.evaluate(() => {
    const nav = document.querySelector("#nav").getBoundingClientRect();
    const main = document.querySelector("#main").getBoundingClientRect();
    return { dir: document.documentElement.getAttribute("dir"), lang: document.documentElement.lang,
      navLeft: nav.left, navRight: nav.right, mainLeft: main.left, width: window.innerWidth };
  });
}

test("English: left-to-right, navigation on the left, users listed", async () => {
  const { ctx, page } = await usersPage("en");
  const l = await layout(page);
  assert.equal(l.dir, "ltr");
  assert.ok(l.navRight <= l.mainLeft + 1, "navigation is left of the content");
  assert.equal(await page.textContent("h1"), "Users");
  assert.match(await page.textContent("#users"), /Zofia Żółćkiewicz/);
  assert.match(await page.textContent("#user-panel"), /100\s+Anna Kowalska/);
  await page.screenshot({ path: join(screenshots, "users-en.png"), fullPage: true });
  await ctx.close();
});

test("Hebrew: right-to-left, navigation on the right", async () => {
  const { ctx, page } = await usersPage("he");
  const l = await layout(page);
  assert.equal(l.dir, "rtl");
  assert.equal(l.lang, "he");
  assert.ok(l.navLeft >= l.width / 2, `navigation sits on the right (left edge ${l.navLeft} of ${l.width})`);
  assert.equal(await page.textContent("h1"), "משתמשים");
  assert.match(await page.textContent("#users"), /יעל כהן/);
  await page.screenshot({ path: join(screenshots, "users-he.png"), fullPage: true });
  await ctx.close();
});

test("Polish: labels and Polish letters", async () => {
  const { ctx, page } = await usersPage("pl");
  assert.equal(await page.textContent("h1"), "Użytkownicy");
  assert.match(await page.textContent("#nav"), /Nieodebrane połączenia/);
  await page.screenshot({ path: join(screenshots, "users-pl.png"), fullPage: true });
  await ctx.close();
});

test("log-in page and a refused log-in, in Hebrew", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await ctx.newPage();
  await login(page, server.base, "100", "wrong-password", "he");
  assert.match(await page.textContent("#login-error"), /שם משתמש או סיסמה שגויים/);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  assert.equal(await page.inputValue("#identifier"), "100", "the extension stays filled in");
  await page.screenshot({ path: join(screenshots, "login-he.png") });
  await page.goto(`${server.base}/login?lang=en`);
  await page.screenshot({ path: join(screenshots, "login-en.png") });
  await ctx.close();
});

test("the user form in Hebrew and the account page in Polish read well", async () => {
  const { ctx, page } = await usersPage("he");
  await page.click("#new-user");
  await page.waitForSelector("#user-form");
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  // A bad form comes back with the reasons in Hebrew.
  await page.fill("#username", "a b");
  await page.fill("#full_name", "בדיקה");
  await page.fill("#extension", "1x");
  await page.fill("#password", "short");
  await Promise.all([page.waitForNavigation(), page.click("#user-form button[type=submit]")]);
  assert.match(await page.textContent("#user-form"), /שלוחה היא בת 2 עד 8 ספרות/);
  await page.screenshot({ path: join(screenshots, "user-form-he.png"), fullPage: true });
  // An existing user's page has their phone set-up; the SIP password is shown on request.
  await page.goto(`${server.base}/admin/users`);
  await Promise.all([page.waitForNavigation(), page.click("table a[href^='/admin/users/'] >> nth=1")]);
  assert.equal(await page.locator("#phone-password").count(), 0, "the SIP password is not shown unasked");
  await Promise.all([page.waitForNavigation(), page.click("#phone-form button[value=show]")]);
  assert.match(await page.textContent("#phone-password"), /\S{8,}/);
  assert.match(await page.textContent("#phone-domain"), /\./);
  await page.screenshot({ path: join(screenshots, "user-phone-he.png"), fullPage: true });
  await ctx.close();
  const pl = await usersPage("pl");
  await pl.page.goto(`${server.base}/account`);
  assert.equal(await pl.page.textContent("h1"), "Moje konto");
  await pl.page.screenshot({ path: join(screenshots, "account-pl.png"), fullPage: true });
  await pl.ctx.close();
});

test("choosing a language in the picker shows the log-in page in it", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${server.base}/login?lang=en`);
  await Promise.all([page.waitForNavigation(), page.selectOption("#language", "he")]);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  assert.equal(await page.textContent("h1"), "התחברות");
  await ctx.close();
});

test("the organization's settings in three languages; the time shown follows its time zone", async () => {
  const shownIn = (page, zone) => page.$eval("#org-now", (t, zone) => {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(t.getAttribute("datetime")));
    const v = Object.fromEntries(parts.map((p) => [p.type, p.value]));
    // A day as the user's language writes it: 7 Dec 2026 in English, 07.12.2026 in Polish and Hebrew.
    const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const day = document.documentElement.lang === "en"
      ? `${Number(v.day)} ${months[Number(v.month) - 1]} ${v.year}` : `${v.day}.${v.month}.${v.year}`;
    return [t.textContent.trim(), `${day} ${v.hour}:${v.minute}`];
  }, zone);
  for (const language of ["en", "pl"]) {
    const { ctx, page } = await usersPage(language);
    await page.goto(`${server.base}/admin/organization`);
    assert.equal(await page.inputValue("#time_zone"), "Europe/Warsaw");
    const [shown, expected] = await shownIn(page, "Europe/Warsaw");
    assert.equal(shown, expected);
    await page.screenshot({ path: join(screenshots, `organization-${language}.png`), fullPage: true });
    await ctx.close();
  }
  const { ctx, page } = await usersPage("he");
  await page.goto(`${server.base}/admin/organization`);
  await page.selectOption("#time_zone", "Asia/Jerusalem");
  await page.selectOption("#default_country", "IL");
  await Promise.all([page.waitForNavigation(), page.click("#org-form button[type=submit]")]);
  assert.equal(await page.textContent(".flash"), "ההגדרות נשמרו.");
  assert.equal(await page.inputValue("#default_country"), "IL");
  const [shown, expected] = await shownIn(page, "Asia/Jerusalem");
  assert.equal(shown, expected);
  await page.screenshot({ path: join(screenshots, "organization-he.png"), fullPage: true });
  // Back as it was, for the other tests.
  await page.selectOption("#time_zone", "Europe/Warsaw");
  await page.selectOption("#default_country", "PL");
  await Promise.all([page.waitForNavigation(), page.click("#org-form button[type=submit]")]);
  await ctx.close();
});
