// The managers' wallboard against real peers: a carrier's caller (sipp, 600 Hz) reaches a queue
// whose one member, Zofia, has a desk phone (sipp, 800 Hz). Her manager Ola, whose phone is the
// browser (a fake microphone playing 1000 Hz), makes her available from the wallboard, sees
// the caller's call there, listens (her page hears the call; nobody hears her), whispers (Zofia
// hears her, the caller still does not: measured on the RTP captured on both phones), and
// stops; the supervision log shows both stretches and the queue's figures count the call. The
// board in English, Polish and Hebrew at 1366×768 and 390 px, and the wall screen, are
// screenshotted; nothing overflows sideways.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addUser, cli, freeUdpPort, launch, launchWithMicrophone, login, phone, screenshots, sipp, startServer, toneWav }
  from "./harness.mjs";
import { capture, heardInPage, pcmuSamples, toneShare } from "./audio.mjs";

let server, browser, micBrowser;
const PW = "e2e-password-1";
const sipPw = {};
const CARRIER_RTP = 25600;
const AGENT_RTP = 25800;
const DID = "48221234599";
const who = { en: "ada", pl: "ola", he: "yael" };

before(async () => {
  server = await startServer((dir) => {
    addUser(dir, "acme", "ada", "100", "admin", PW, "Ada Admin", "en");
    addUser(dir, "acme", "ola", "101", "manager", PW, "Ola Żółć", "pl", "browser");
    addUser(dir, "acme", "yael", "102", "manager", PW, "יעל כהן", "he");
    sipPw.zofia = addUser(dir, "acme", "zofia", "103", "agent", PW, "Zofia Kowalska", "pl");
    cli(dir, ["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2", "--inbound", "127.0.0.2"]);
  });
  const wav = join(mkdtempSync(join(tmpdir(), "switchboard-mic-")), "mic-1000.wav");
  const r = spawnSync("sox", ["-n", "-r", "48000", "-b", "16", "-c", "1", wav, "synth", "90", "sine", "1000", "vol", "0.5"]);
  assert.equal(r.status, 0, "sox made the microphone's tone");
  micBrowser = await launchWithMicrophone(wav);
  browser = await launch();
});

after(async () => {
  await micBrowser?.close();
  await browser?.close();
  server?.stop();
});

const now = () => Date.now() / 1000;
const share = (datagrams, port, t0, t1, hz) =>
  toneShare(pcmuSamples(datagrams.filter((d) => d.dstPort === port && d.at >= t0 && d.at < t1)), hz);
// The mean power at `hz` of what reached `port` (the tone's share of the mean energy).
const power = (datagrams, port, t0, t1, hz) => {
  const s = pcmuSamples(datagrams.filter((d) => d.dstPort === port && d.at >= t0 && d.at < t1));
  return toneShare(s, hz) * s.reduce((a, x) => a + x * x, 0) / Math.max(1, s.length);
};

test("a manager sees a queue call on the wallboard, listens and whispers from it; the caller never hears her", async () => {
  // Ola sets up the queue with Zofia, and the admin points the number at it.
  const octx = await micBrowser.newContext({ viewport: { width: 1366, height: 768 } });
  const ola = await octx.newPage();
  await login(ola, server.base, "ola", PW, "pl");
  await ola.goto(`${server.base}/queues`);
  await ola.fill("#q-name", "Sprzedaż");
  await ola.check("#q-members tr:has-text('Zofia') input[type=checkbox]");
  await ola.click("#queue-form button[type=submit]");
  await ola.waitForURL(/\/queues\/\d+/);
  const queueId = ola.url().match(/\/queues\/(\d+)/)[1];
  const actx = await browser.newContext();
  const admin = await actx.newPage();
  await login(admin, server.base, "ada", PW, "en");
  await admin.goto(`${server.base}/admin/telephony`);
  await admin.fill("#number", "+" + DID);
  await admin.selectOption("#number-target", `queue:${queueId}`);
  await admin.click("#number-form button[type=submit]");
  await admin.waitForSelector(`#tel-numbers td:has-text('+${DID}')`);
  await actx.close();

  // The wallboard: Zofia is logged out; Ola makes her available from it.
  await ola.goto(`${server.base}/wallboard`);
  await ola.waitForSelector("#phone-state[data-state=ready]", { timeout: 10000 });
  const zofiaRow = "#wall-agents tr:has-text('Zofia')";
  assert.equal(await ola.getAttribute(`${zofiaRow} .agent-state`, "data-state"), "logged_out");
  await ola.selectOption(`${zofiaRow} select[data-agent-status]`, "available");
  await ola.waitForSelector(`${zofiaRow} .agent-state[data-state=available]`, { timeout: 5000 });

  const agent = await phone(server.sip, "103", sipPw.zofia, "uas_answer.xml", AGENT_RTP, { tone: toneWav(800) });
  const cap = await capture(`udp and (dst port ${CARRIER_RTP} or dst port ${AGENT_RTP})`);
  const port = await freeUdpPort("127.0.0.2");
  const caller = sipp("trunk_uac.xml", "127.0.0.2", port,
    ["-s", DID, "-key", "caller", "48600111222", "-mp", String(CARRIER_RTP), "-d", "60000"], server.sip);
  try {
    // The call shows on the board by itself (no reload), Zofia in a call.
    const callRow = "#wall-calls tr[data-call]";
    await ola.waitForSelector(`${callRow}:has-text('48600111222')`, { timeout: 10000 });
    await ola.waitForSelector(`${zofiaRow} .agent-state[data-state=in_call]`, { timeout: 5000 });
    assert.equal((await ola.textContent(`[data-queue='${queueId}'] [data-fig=answered]`)).trim(), "1");

    // Listen: Ola's browser phone rings and answers by itself; her page hears the call.
    await ola.click(`${callRow} button[data-supervise=listen]`);
    await ola.waitForSelector("#phone-state[data-state=talking]", { timeout: 10000 });
    await ola.waitForSelector(`${callRow} .supervised[data-mode=listen]`, { timeout: 5000 });
    const listening = now() + 0.5;
    let heard;
    for (let i = 0; i < 6; i++) {
      heard = await heardInPage(ola);
      if (Math.abs(heard.hz - 600) < 30 || Math.abs(heard.hz - 800) < 30) break;
    }
    assert.ok(Math.abs(heard.hz - 600) < 30 || Math.abs(heard.hz - 800) < 30,
      `listening, the manager hears the call (600 or 800 Hz), heard ${JSON.stringify(heard)}`);
    await ola.screenshot({ path: join(screenshots, "wallboard-listen-pl.png"), fullPage: true });
    await ola.waitForTimeout(1500);
    const whispering = now() + 0.5;
    await ola.click(`${callRow} button[data-supervise=whisper]`);
    await ola.waitForSelector(`${callRow} .supervised[data-mode=whisper]`, { timeout: 5000 });
    await ola.waitForTimeout(2500);
    const stopped = now();
    await ola.click(`${callRow} button[data-supervise-end]`);
    await ola.waitForSelector(`${callRow} .supervised`, { state: "detached", timeout: 5000 });
    await ola.waitForSelector("#wall-supervision tbody tr:nth-child(2)", { timeout: 5000 });
    const log = await ola.textContent("#wall-supervision");
    assert.ok(log.includes("Podsłuch") && log.includes("Podpowiadanie") && log.includes("Ola Żółć"), log);
    assert.ok(log.includes("Sprzedaż"), `the supervision log names the call's queue: ${log}`);

    const all = await cap.peek();
    // The page's microphone (1000 Hz) as each phone received it: while listening, then
    // whispering. WebRTC's audio processing makes it quieter than the phones' tones, so what
    // counts is its power against the silence of the listening stretch.
    const f = {
      callerListen: power(all, CARRIER_RTP, listening, whispering - 0.5, 1000),
      agentListen: power(all, AGENT_RTP, listening, whispering - 0.5, 1000),
      callerWhisper: power(all, CARRIER_RTP, whispering, stopped, 1000),
      agentWhisper: power(all, AGENT_RTP, whispering, stopped, 1000),
      agentHearsCaller: share(all, AGENT_RTP, whispering, stopped, 600),
      callerHearsAgent: share(all, CARRIER_RTP, whispering, stopped, 800),
    };
    const says = JSON.stringify(f);
    if (process.env.DEBUG_AUDIO) {
      console.log(f);
    }
    assert.ok(f.agentWhisper > 1000, `the agent hears the whisper: ${says}`);
    assert.ok(f.agentWhisper > 100 * Math.max(1, f.agentListen), `the agent did not hear the listening manager: ${says}`);
    assert.ok(f.agentWhisper > 1000 * Math.max(1, f.callerWhisper, f.callerListen), `the caller never hears her: ${says}`);
    assert.ok(f.agentHearsCaller > 0.5 && f.callerHearsAgent > 0.5, `the two sides talk on: ${says}`);

    // The board in three languages, wide and narrow, with the call on it; and the wall screen.
    for (const language of ["en", "pl", "he"]) {
      for (const [width, height, tag] of [[1366, 768, ""], [390, 844, "-phone"]]) {
        const ctx = await browser.newContext({ viewport: { width, height } });
        const page = await ctx.newPage();
        await login(page, server.base, who[language], PW, language);
        await page.goto(`${server.base}/wallboard`);
        await page.waitForSelector(`${callRow}:has-text('48600111222')`);
        const m = await page.evaluate(() => ({
          dir: document.documentElement.getAttribute("dir"),
          overflow: document.documentElement.scrollWidth - window.innerWidth,
        }));
        assert.equal(m.dir, language === "he" ? "rtl" : "ltr");
        assert.ok(m.overflow <= 1, `wallboard ${language}${tag}: ${m.overflow} px wider than the window`);
        await page.screenshot({ path: join(screenshots, `wallboard-${language}${tag}.png`), fullPage: true });
        // Why the call went to Zofia: the offer with its strategy and the members it weighed.
        await Promise.all([page.waitForNavigation(), page.click(`${callRow} a.why-link`)]);
        assert.equal(await page.locator("#journey li[data-kind=offer] tr.chosen:has-text('Zofia')").count(), 1, `${language}: chosen`);
        assert.equal(await page.locator("#journey li[data-kind=connect]:has-text('Zofia')").count(), 1);
        const w = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(w <= 1, `why ${language}${tag}: ${w} px wider than the window`);
        await page.screenshot({ path: join(screenshots, `why-${language}${tag}.png`), fullPage: true });
        if (!tag) {
          await page.goto(`${server.base}/wallboard?wall=1`);
          assert.equal(await page.locator("button[data-supervise]").count(), 0, "the wall screen has no controls");
          await page.screenshot({ path: join(screenshots, `wallboard-wall-${language}.png`) });
        }
        await ctx.close();
      }
    }
  } finally {
    caller.process.kill("SIGINT");
    agent.process.kill("SIGINT");
    await cap.stop();
    await octx.close();
  }
});

const reportWords = {
  en: { received: "Received", order: "before its start" },
  pl: { received: "Przyjęte", order: "przed jego początkiem" },
  he: { received: "התקבלו", order: "לפני תחילתה" },
};

test("the reports count the queue's call and the agent's day, download as CSV and XLSX, and refuse a backwards period", async () => {
  for (const language of ["en", "pl", "he"]) {
    for (const [width, height, tag] of [[1366, 768, ""], [390, 844, "-phone"]]) {
      const ctx = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
      const page = await ctx.newPage();
      await login(page, server.base, who[language], PW, language);
      // All calls (the default view): the queue's call counts among them, answered.
      await page.goto(`${server.base}/reports`);
      const answered = Number((await page.textContent("#calls-total [data-fig=incoming-answered]")).trim());
      assert.ok(answered >= 1, `${language}: the queue's call among all calls (${answered} answered)`);
      assert.ok(await page.isVisible("#report-missed"), "the missed calls and callbacks");
      const mc = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(mc <= 1, `all calls ${language}${tag}: ${mc} px wider than the window`);
      await page.screenshot({ path: join(screenshots, `reports-calls-${language}${tag}.png`), fullPage: true });
      await page.goto(`${server.base}/reports?view=queues`);
      const row = "#report-totals tr:has-text('Sprzedaż')";
      assert.equal((await page.textContent(`${row} [data-fig=received]`)).trim(), "1", `${language}: one caller`);
      assert.equal((await page.textContent(`${row} [data-fig=answered]`)).trim(), "1");
      assert.ok(await page.isVisible("#report-chart svg.bars rect"), "the chart is drawn");
      const m = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(m <= 1, `reports ${language}${tag}: ${m} px wider than the window`);
      await page.screenshot({ path: join(screenshots, `reports-${language}${tag}.png`), fullPage: true });
      if (!tag) {
        // The CSV: headers in the language, the queue's row.
        const [csv] = await Promise.all([page.waitForEvent("download"), page.click("a[href*='format=csv']")]);
        const text = (await import("node:fs")).readFileSync(await csv.path(), "utf8");
        assert.ok(text.startsWith("\ufeff") && text.includes(reportWords[language].received) && text.includes("\"Sprzedaż\",1,1"),
          `${language}: the CSV ${text}`);
        const [xlsx] = await Promise.all([page.waitForEvent("download"), page.click("a[href*='format=xlsx']")]);
        const bytes = (await import("node:fs")).readFileSync(await xlsx.path());
        assert.equal(bytes.subarray(0, 2).toString(), "PK", "an XLSX file");
        // Agents: Zofia was in a call.
        await page.click("a[href*='view=agents']");
        await page.waitForSelector("#report-agents tr:has-text('Zofia')");
        const occ = (await page.textContent("#report-agents tr:has-text('Zofia') [data-fig=occupancy]")).trim();
        assert.match(occ, /^\d+%$/, `${language}: Zofia's occupancy ${occ}`);
        await page.screenshot({ path: join(screenshots, `reports-agents-${language}.png`), fullPage: true });
        // Campaigns: the page answers, whether or not a case was opened.
        await page.click("a[href*='view=campaigns']");
        await page.waitForSelector("#report-campaigns");
        await page.screenshot({ path: join(screenshots, `reports-campaigns-${language}.png`), fullPage: true });
        // A period that ends before it starts: said so, in the language.
        await page.goto(`${server.base}/reports?from=2026-12-05&to=2026-12-01&by=day`);
        assert.ok((await page.textContent("main")).includes(reportWords[language].order), `${language}: the error`);
      }
      await ctx.close();
    }
  }
  // An agent has no reports.
  const zctx = await browser.newContext();
  const zp = await zctx.newPage();
  await login(zp, server.base, "zofia", PW, "pl");
  assert.equal(await zp.locator("#nav a[href='/reports']").count(), 0, "no Reports in an agent's navigation");
  const r = await zp.goto(`${server.base}/reports`);
  assert.equal(r.status(), 403);
  await zctx.close();
});
