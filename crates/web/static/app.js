// Switchboard pages: language switch on the log-in page, and the live event feed.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const sel of document.querySelectorAll("[data-lang-switch]")) {
    sel.addEventListener("change", () => {
      const u = new URL(location.href);
      u.searchParams.set("lang", sel.value);
      location.href = u.toString();
    });
  }
  // On a narrow screen the navigation is a menu to open (CSS shows the button there only).
  const nav = document.getElementById("nav");
  const toggle = nav?.querySelector(".nav-toggle");
  if (nav && toggle) {
    nav.classList.add("collapsible");
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  // Settings that re-read the page when changed (the import wizard's encoding, separator…).
  for (const el of document.querySelectorAll("[data-autosubmit]")) {
    el.addEventListener("change", () => el.form.submit());
  }
  // Logged-in pages listen for events; later features hook in through `switchboard.on`.
  if (document.getElementById("user-panel") && window.EventSource) {
    const handlers = {};
    window.switchboard = { on(kind, fn) { (handlers[kind] ||= []).push(fn); } };
    const es = new EventSource("/events");
    es.addEventListener("notice", (e) => {
      const box = document.getElementById("live-notice") || document.body.appendChild(
        Object.assign(document.createElement("div"), { id: "live-notice", className: "notice", role: "status" }));
      try { box.textContent = JSON.parse(e.data).text || ""; } catch (_) { box.textContent = ""; }
    });
    es.onmessage = (e) => (handlers.message || []).forEach((fn) => fn(e));
    window.switchboard.source = es;
    // Every call event carries the call as this user sees it (`CallView`): `onCall` hands it on.
    // The server names the kinds (body[data-call-kinds]): a kind added there reaches the page.
    const callKinds = (document.body.dataset.callKinds || "").split(" ").filter(Boolean);
    window.switchboard.onCall = (fn) => {
      for (const kind of callKinds) {
        es.addEventListener(`call.${kind}`, (e) => {
          let msg;
          try { msg = JSON.parse(e.data); } catch (_) { return; }
          if (msg.call) fn(msg.call);
        });
      }
    };
    // A number when the server did not say how it reads (calls carry `shown`), a time in call
    // as h:mm:ss.
    window.switchboard.shown = (n) => (n && n.length > 6 && !n.startsWith("+") ? "+" + n : n || "");
    window.switchboard.hms = (s) =>
      `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
    // Missed calls: the badge in the navigation, and a notification for each new miss.
    es.addEventListener("missed.changed", (e) => {
      let d = {};
      try { d = JSON.parse(e.data); } catch (_) { return; }
      const badge = document.getElementById("missed-badge");
      if (badge && typeof d.visible === "number") {
        badge.textContent = String(d.visible);
        badge.hidden = d.visible === 0;
      }
      if (d.missed) {
        const panel = document.getElementById("user-panel");
        const caller = d.missed.shown || d.missed.caller;
        const text = (panel.dataset.missedNotice || "{caller}").replace("{caller}", caller);
        const box = document.getElementById("live-notice") || document.body.appendChild(
          Object.assign(document.createElement("div"), { id: "live-notice", className: "notice", role: "status" }));
        box.textContent = text;
        if (window.Notification && Notification.permission === "granted") {
          try { new Notification(text, { tag: "missed-" + d.missed.id }); } catch (_) { /* not allowed here */ }
        }
      }
      (handlers["missed.changed"] || []).forEach((fn) => fn(d));
    });
    // Asking for desktop notifications needs a click.
    document.addEventListener("click", () => {
      if (window.Notification && Notification.permission === "default") Notification.requestPermission();
    }, { once: true });
  }
});

// The call bar on every page but the agent panel: the server sends each call as this user
// sees it (`call.state`); the bar shows the first that rings or is in progress, with Answer,
// hold, resume and hang-up, the time in call, the page title and a desktop notification.
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("call-bar");
  const sb = window.switchboard;
  if (!bar || !sb) return;
  const { shown, hms } = sb;
  const calls = new Map();
  const title = document.title;
  const notified = new Set();
  // The browser phone rings a call the server shows nobody (a call transferred to this user):
  // the bar shows it from the phone itself.
  const phone = () => window.switchboardPhone;
  // The connection's figures on request, refreshed each second while shown.
  const diag = bar.querySelector(".diag");
  let diagTimer = null;
  async function showDiagnostics() {
    const ph = phone();
    if (!ph || !diag || diag.hidden) return;
    const d = await ph.diagnostics();
    const s = d.server, b = d.browser, t = (k) => diag.dataset[k] || k;
    const lines = [
      [t("ice"), s ? `${["connected", "completed"].includes(s.ice) ? t("iceOk") : s.ice || "?"}${s.dtls ? " · " + t("secure") : ""}` : "—"],
      [t("sent"), `${b.sent}`],
      [t("received"), `${b.received} · ${t("lost")} ${b.lost} · ${t("jitter")} ${b.jitter} ms${b.rtt != null ? ` · ${t("rtt")} ${b.rtt} ms` : ""}`],
      [t("server"), s ? `${s.from_browser} ⇄ ${s.to_relay} · ${s.from_relay} ⇄ ${s.to_browser} · ${s.codec}` : "—"],
    ];
    diag.replaceChildren(...lines.map(([k, v]) => {
      const row = document.createElement("div");
      const dt = Object.assign(document.createElement("span"), { className: "k", textContent: k });
      const dd = Object.assign(document.createElement("span"), { className: "v", textContent: v });
      dd.dir = "ltr";
      row.append(dt, " ", dd);
      return row;
    }));
  }
  // The contact's short card: the company and a link to the card; a choice when several
  // contacts have the number; a new contact with it when none does.
  function shortCard(el, pop) {
    el.replaceChildren();
    if (!pop) return;
    const link = (href, text) => Object.assign(document.createElement("a"), { href, textContent: text, target: "_blank", rel: "noopener" });
    if (pop.contacts.length === 1) {
      const k = pop.contacts[0];
      if (k.company) el.append(Object.assign(document.createElement("bdi"), { textContent: k.company }), " · ");
      el.append(link(`/contacts/${k.id}`, el.dataset.openCard));
    } else if (pop.contacts.length > 1) {
      el.append(el.dataset.choose + " ");
      for (const k of pop.contacts) el.append(link(`/contacts/${k.id}`, k.name + (k.company ? ` (${k.company})` : "")), " ");
    } else if (pop.e164) {
      el.append(link(`/contacts/new?phone=%2B${pop.e164}`, el.dataset.newContact));
    }
  }
  function render() {
    let c = [...calls.values()].find((x) => x.state === "ringing") || [...calls.values()][0];
    const ph = phone();
    if (!c && ph && (ph.state === "ringing" || ph.state === "talking")) c = { call_id: "phone", state: ph.state, number: ph.incoming, shown: ph.incomingShown };
    bar.hidden = !c;
    const number = c ? c.shown || shown(c.number) : "";
    document.title = c && c.state === "ringing" ? `☎ ${number} · ${title}` : title;
    if (!c) return;
    bar.dataset.state = c.state;
    bar.dataset.call = c.call_id;
    const st = bar.querySelector(".state");
    st.textContent = c.state === "ringing" ? bar.dataset.incoming : (bar.dataset[c.state] || bar.dataset.ringing);
    st.className = `pill state ${c.state}`;
    const contact = c.pop && c.pop.contacts.length === 1 ? c.pop.contacts[0].name
      : c.number === "*43" ? bar.dataset.testCall : "";
    bar.querySelector(".name").textContent = contact;
    bar.querySelector(".number").textContent = number;
    shortCard(bar.querySelector(".card-short"), c.pop);
    // A ringing call is refused; one in progress hung up.
    const h = bar.querySelector("button[data-cmd=hangup]");
    h.textContent = c.state === "ringing" ? h.dataset.reject : h.dataset.hangup;
    // A call only the browser phone knows: answered and hung up there, nothing else.
    // What the user may do comes with the call from the server (`actions`); the bar has buttons
    // for some of them.
    const phoneOnly = { ringing: ["answer", "hangup"], talking: ["hangup"] };
    const on = new Set(c.call_id === "phone" ? phoneOnly[c.state] || [] : c.actions || []);
    // The browser phone's connection can be looked at during its call.
    if (ph && ph.state === "talking") on.add("diagnostics");
    for (const b of bar.querySelectorAll("button[data-cmd]")) b.hidden = !on.has(b.dataset.cmd);
    if (!on.has("diagnostics") && diag) { diag.hidden = true; clearInterval(diagTimer); }
    if (c.state === "ringing" && !notified.has(c.call_id)) {
      notified.add(c.call_id);
      if (window.Notification && Notification.permission === "granted") {
        try { new Notification(`${bar.dataset.incoming}: ${contact || number}`, { tag: "call-" + c.call_id }); } catch (_) { /* not here */ }
      }
    }
  }
  setInterval(() => {
    const c = calls.get(bar.dataset.call);
    bar.querySelector(".timer").textContent = c && c.answered_at ? hms(Math.max(0, Math.floor((Date.now() - Date.parse(c.answered_at)) / 1000))) : "";
  }, 500);
  function show(view) {
    if (view.state === "gone" || view.state === "wrap_up") calls.delete(view.call_id);
    else calls.set(view.call_id, { ...(calls.get(view.call_id) || {}), ...view, pop: view.pop || calls.get(view.call_id)?.pop });
    render();
  }
  sb.onCall(show);
  document.addEventListener("switchboard:phone", render);
  bar.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-cmd]");
    if (!b || !bar.dataset.call) return;
    // A call ringing the browser phone is answered or refused by the phone itself.
    const ph = phone();
    const phoneOnly = bar.dataset.call === "phone";
    if (b.dataset.cmd === "diagnostics") {
      diag.hidden = !diag.hidden;
      clearInterval(diagTimer);
      if (!diag.hidden) { showDiagnostics(); diagTimer = setInterval(showDiagnostics, 1000); }
      return;
    }
    if (ph && (ph.state === "ringing" || phoneOnly) && (b.dataset.cmd === "answer" || b.dataset.cmd === "hangup")) {
      if (b.dataset.cmd === "answer") ph.answer(); else ph.hangup();
      return;
    }
    await fetch(`/agent/calls/${encodeURIComponent(bar.dataset.call)}/command`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": bar.dataset.csrf },
      body: JSON.stringify({ command: b.dataset.cmd }),
    });
  });
  // A page opened during a call shows it.
  fetch("/agent/calls/live").then((r) => (r.ok ? r.json() : [])).then((views) => views.forEach(show)).catch(() => {});
});
