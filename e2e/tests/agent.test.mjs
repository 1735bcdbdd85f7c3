// The agent workspace driving a real call: a carrier (sipp) calls in; within a second the
// agent's page shows it ringing with the contact's name; the agent answers from the page (her
// sipp phone answers by itself), holds, resumes, blind-transfers to a colleague (a second sipp
// phone answers), and the call log then shows the call. Screenshots in English and Hebrew.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { addUser, cli, launch, openAs, phone, screenshots, sipp, freeUdpPort, startServer } from "./harness.mjs";

let server, browser;
const PW = "e2e-password-1";
const sipPw = {};

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "admin", "100", "admin", PW, "Ada Admin");
    sipPw.anna = addUser(dir, "acme", "anna", "101", "agent", PW, "Anna Nowak");
    sipPw.bea = addUser(dir, "acme", "bea", "102", "agent", PW, "Bea Lis");
    sipPw.yael = addUser(dir, "acme", "yael", "103", "agent", PW, "יעל כהן", "he");
    cli(dir, ["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2", "--inbound", "127.0.0.2"]);
    cli(dir, ["trunk", "number", "--org", "acme", "--number", "48221234567", "--extension", "101"]);
    cli(dir, ["trunk", "number", "--org", "acme", "--number", "48221234568", "--extension", "103"]);
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const open = (who, language, path) => openAs(browser, server, who, PW, language, path);

test("a call rings with the contact's name, is answered, held, resumed and transferred from the page", async () => {
  const { ctx, page } = await open("101", "en", "/contacts/new");
  await page.fill("#first_name", "Jan");
  await page.fill("#last_name", "Kowalski");
  await page.fill("#phone1", "600 111 222");
  await Promise.all([page.waitForNavigation(), page.click("#contact-form button[type=submit]")]);
  assert.match(await page.textContent("#contact-name"), /Jan Kowalski/);

  await page.goto(`${server.base}/agent`);
  await page.click("#set-available");
  await page.waitForFunction(() => document.querySelector("#status-label").dataset.state === "available");

  const anna = await phone(server.sip, "101", sipPw.anna, "uas_ring_autoanswer.xml", 21000);
  const bea = await phone(server.sip, "102", sipPw.bea, "uas_answer.xml", 21200);
  const port = await freeUdpPort("127.0.0.2");
  const started = Date.now();
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", "48600111222", "-mp", "21400", "-d", "6000"], server.sip);
  await page.waitForSelector(".call[data-state=ringing]", { timeout: 5000 });
  const ringingAfter = Date.now() - started;
  assert.ok(ringingAfter < 1000, `the page showed the call ringing after ${ringingAfter} ms`);
  assert.equal(await page.textContent(".call .name"), "Jan Kowalski");
  assert.equal(await page.textContent(".call .number"), "600 111 222");
  assert.ok(await page.isVisible(".call .pop a[href^='/contacts/']"), "the contact card is offered");

  await page.click(".call [data-cmd=answer]");
  await page.waitForSelector(".call[data-state=talking]", { timeout: 5000 });
  await page.waitForTimeout(1500);
  assert.notEqual(await page.textContent(".call .timer"), "0:00:00", "time in call runs");
  await page.screenshot({ path: join(screenshots, "agent-en.png"), fullPage: true });
  await page.click(".call [data-cmd=hold]");
  await page.waitForSelector(".call[data-state=held]", { timeout: 5000 });
  // A page reloaded on hold shows the call held (the server says so), its time in call going on.
  await page.reload();
  await page.waitForSelector(".call[data-state=held]", { timeout: 5000 });
  await page.waitForTimeout(700);
  assert.notEqual(await page.textContent(".call .timer"), "0:00:00", "the time in call survives a reload");
  await page.click(".call [data-cmd=resume]");
  await page.waitForSelector(".call[data-state=talking]", { timeout: 5000 });
  // A page reloaded mid-call shows the call again.
  await page.reload();
  await page.waitForSelector(".call[data-state=talking]", { timeout: 5000 });
  assert.equal(await page.textContent(".call .number"), "600 111 222");

  // Blind transfer: the number comes from the dial line.
  await page.click(".call [data-cmd=blind_transfer]");
  assert.match(await page.textContent("#dial-error"), /dial line/, "a transfer needs a number");
  await page.fill("#dial-number", "102");
  await page.click(".call [data-cmd=blind_transfer]");
  await page.waitForSelector(".call", { state: "detached", timeout: 10000 });
  const [a, b, c] = await Promise.all([anna.done, bea.done, caller.done]);
  assert.equal(a.code, 0, `anna's phone answered and was released: ${a.out.slice(-800)}`);
  assert.equal(b.code, 0, `bea's phone took the transferred call: ${b.out.slice(-800)}`);
  assert.equal(c.code, 0, `the caller talked to the end: ${c.out.slice(-800)}`);

  await page.goto(`${server.base}/agent/calls`);
  const row = page.locator("#call-log tbody tr").first();
  assert.match(await row.textContent(), /Incoming/);
  assert.match(await row.textContent(), /Jan Kowalski/);
  assert.match(await row.textContent(), /600 111 222/);
  assert.match(await row.textContent(), /0:00:0[1-9]/, "the time anna talked");
  await page.screenshot({ path: join(screenshots, "agent-calls-en.png"), fullPage: true });
  // The contact card shows the call: anna's part and, after the transfer, bea's.
  await page.click("#call-log a[href^='/contacts/']");
  const parts = await page.textContent("#contact-calls");
  assert.equal(await page.locator("#contact-calls tr").count(), 2);
  assert.match(parts, /Anna Nowak/);
  assert.match(parts, /Bea Lis/);
  await ctx.close();
});

test("Hebrew: the panel reads right to left while a call rings", async () => {
  const { ctx, page } = await open("103", "he", "/agent");
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  const yael = await phone(server.sip, "103", sipPw.yael, "uas_ring.xml", 22000);
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac_cancel.xml", "127.0.0.2", port,
    ["-s", "48221234568", "-key", "caller", "48600999888", "-mp", "22200"], server.sip);
  await page.waitForSelector(".call[data-state=ringing]", { timeout: 5000 });
  assert.match(await page.textContent(".call .pop"), /איש קשר חדש/, "an unknown number offers a new contact");
  await page.screenshot({ path: join(screenshots, "agent-he.png"), fullPage: true });
  await Promise.all([yael.done, caller.done]);
  await ctx.close();
});

// A carrier call to Anna (101) answered from her panel, then a consultation of Bea (102) started
// with `cmd` (attended or conference); each test gives its own media ports (`base`, +200, +400).
async function consultingBea(cmd, base, callerNumber, seconds) {
  const { ctx, page } = await open("101", "en", "/agent");
  const anna = await phone(server.sip, "101", sipPw.anna, "uas_ring_autoanswer.xml", base);
  const bea = await phone(server.sip, "102", sipPw.bea, "uas_answer.xml", base + 200);
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", callerNumber, "-mp", String(base + 400), "-d", String(seconds * 1000)],
    server.sip);
  await page.waitForSelector(".call[data-state=ringing]", { timeout: 5000 });
  await page.click(".call [data-cmd=answer]");
  await page.waitForSelector(".call[data-state=talking]", { timeout: 5000 });
  await page.fill("#dial-number", "102");
  await page.click(`.call [data-cmd=${cmd}]`);
  await page.waitForSelector(".call[data-state=consulting]", { timeout: 5000 });
  return { ctx, page, anna, bea, caller };
}

// The same, merged into a conference of three.
async function conferenceWithBea(base, callerNumber, seconds) {
  const parties = await consultingBea("conference", base, callerNumber, seconds);
  await parties.page.waitForTimeout(1000);
  await parties.page.click(".call [data-cmd=conference]");
  await parties.page.waitForSelector(".call[data-state=conference]", { timeout: 5000 });
  return parties;
}

test("an attended transfer from the panel: consult a colleague, then hand the caller over", async () => {
  const { ctx, page, anna, bea, caller } = await consultingBea("attended", 23000, "48600222333", 6);
  assert.ok(await page.isVisible(".call [data-cmd=consult_cancel]"), "the way back to the caller is offered");
  // A page reloaded during the consultation shows it as one, with the same ways on.
  await page.reload();
  await page.waitForSelector(".call[data-state=consulting]", { timeout: 5000 });
  assert.ok(await page.isVisible(".call [data-cmd=attended]"), "the hand-over is offered after a reload");
  await page.waitForTimeout(1000);
  await page.click(".call [data-cmd=attended]");
  await page.waitForSelector(".call", { state: "detached", timeout: 10000 });
  const [a, b, c] = await Promise.all([anna.done, bea.done, caller.done]);
  assert.equal(a.code, 0, `anna's phone was released: ${a.out.slice(-600)}`);
  assert.equal(b.code, 0, `bea took the caller: ${b.out.slice(-600)}`);
  assert.equal(c.code, 0, `the caller talked to the end: ${c.out.slice(-600)}`);
  await ctx.close();
});

test("a conference from the panel: consult a colleague, merge; the caller hanging up ends it for all", async () => {
  const { ctx, page, anna, bea, caller } = await conferenceWithBea(23600, "48600222444", 8);
  assert.ok(await page.isVisible(".call [data-cmd=hangup]"), "the agent can hang up");
  assert.ok(!(await page.isVisible(".call [data-cmd=attended]")), "no transfer offered in a conference");
  assert.equal(await page.textContent(".call .number"), "600 222 444", "the same call, not a new one");
  await page.waitForTimeout(1100);
  assert.notEqual(await page.textContent(".call .timer"), "0:00:00", "its time in call goes on");
  await page.screenshot({ path: join(screenshots, "agent-conference-en.png"), fullPage: true });
  // The caller hangs up after its 8 s: the conference ends for the agent and the colleague too.
  await page.waitForSelector(".call", { state: "detached", timeout: 15000 });
  const [a, b, c] = await Promise.all([anna.done, bea.done, caller.done]);
  assert.equal(c.code, 0, `the caller talked to the end: ${c.out.slice(-600)}`);
  assert.equal(a.code, 0, `anna's phone was released: ${a.out.slice(-600)}`);
  assert.equal(b.code, 0, `bea's phone was released: ${b.out.slice(-600)}`);
  await ctx.close();
});

test("leaving a conference from the panel: the caller and the colleague talk on", async () => {
  const { ctx, page, anna, bea, caller } = await conferenceWithBea(24200, "48600222555", 7);
  const left = Date.now();
  await page.click(".call [data-cmd=conference_leave]");
  // Anna's panel lets the call go and her phone is hung up at once; the other two go on.
  await page.waitForSelector(".call", { state: "detached", timeout: 5000 });
  const a = await anna.done;
  assert.equal(a.code, 0, `anna's phone was released: ${a.out.slice(-600)}`);
  assert.ok(Date.now() - left < 2500, "at once, while the caller still talks");
  const [b, c] = await Promise.all([bea.done, caller.done]);
  assert.equal(c.code, 0, `the caller talked on to the end: ${c.out.slice(-600)}`);
  assert.equal(b.code, 0, `bea talked with the caller until the caller hung up: ${b.out.slice(-600)}`);
  await ctx.close();
});

test("on any page a call rings in the call bar, with the contact's name, and is answered there", async () => {
  const { ctx, page } = await open("101", "pl", "/contacts");
  const anna = await phone(server.sip, "101", sipPw.anna, "uas_ring_autoanswer.xml", 24800);
  const port = await freeUdpPort("127.0.0.2");
  const started = Date.now();
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", "48221234567", "-key", "caller", "48600111222", "-mp", "25000", "-d", "4000"], server.sip);
  await page.waitForSelector("#call-bar[data-state=ringing]", { timeout: 5000 });
  const after = Date.now() - started;
  assert.ok(after < 1000, `the bar showed the call after ${after} ms`);
  assert.match(await page.title(), /☎/, "the page title signals the call");
  assert.equal(await page.textContent("#call-bar .number"), "600 111 222");
  assert.equal(await page.textContent("#call-bar .name"), "Jan Kowalski");
  await page.click("#call-bar [data-cmd=answer]");
  await page.waitForSelector("#call-bar[data-state=talking]", { timeout: 5000 });
  assert.ok(await page.isVisible("#call-bar [data-cmd=hold]"), "hold is offered during the call");
  await page.screenshot({ path: join(screenshots, "call-bar-pl.png") });
  // The caller hangs up after its 4 s: the bar goes away.
  await page.waitForSelector("#call-bar", { state: "hidden", timeout: 10000 });
  const [a, c] = await Promise.all([anna.done, caller.done]);
  assert.equal(a.code, 0, `anna's phone answered: ${a.out.slice(-600)}`);
  assert.equal(c.code, 0, `the caller talked to the end: ${c.out.slice(-600)}`);
  await ctx.close();
});
