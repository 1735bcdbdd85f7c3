// The agent workspace: the live call panel (fed by the page's event stream), every call
// control, the dialer and click-to-call links, availability, workspace settings and the call
// handling windows. Everything goes through the page's JSON endpoints with the CSRF header.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("agent");
  if (!root) return;
  const csrf = root.dataset.csrf;
  let T = {};
  try { T = JSON.parse(document.getElementById("agent-i18n")?.textContent || "{}"); } catch (_) { T = {}; }
  const t = (k) => T[k] || k;
  const shown = window.switchboard?.shown || ((n) => n || "");
  // Times as the organization's clocks show them (its time zone is on the page's body).
  const zone = document.body.dataset.tz || "UTC";
  const inZone = (date, opts) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, hourCycle: "h23", ...opts })
    .formatToParts(date).reduce((o, p) => ({ ...o, [p.type]: p.value }), {});
  const orgTime = (date, withDate) => {
    const v = inZone(date, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    if (!withDate) return `${v.hour}:${v.minute}:${v.second}`;
    // A day written as the server writes it in the page's language (pages/mod.rs date_format).
    const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const day = document.documentElement.lang === "en"
      ? `${Number(v.day)} ${months[Number(v.month) - 1]} ${v.year}` : `${v.day}.${v.month}.${v.year}`;
    return `${day} ${v.hour}:${v.minute}`;
  };

  async function post(url, body) {
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await r.json(); } catch (_) { data = null; }
    // A field's own message says most (e.g. which rule refused the number).
    const field = data && data.errors && data.errors[0] && data.errors[0].message;
    if (!r.ok) throw new Error(field || (data && (data.detail || data.title)) || r.statusText);
    return data;
  }

  function showError(e) {
    // Pages without the dialer say it in the page's notice.
    const el = document.getElementById("dial-error") || document.getElementById("live-notice") || document.body.appendChild(
      Object.assign(document.createElement("div"), { id: "live-notice", className: "notice", role: "status" }));
    el.textContent = e.message || String(e);
    el.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(() => { el.hidden = true; }, 8000);
  }

  // Click-to-call wherever a number is shown.
  const dialLine = document.getElementById("dial-number");
  async function dial(number, cid = document.getElementById("dial-caller-id")?.value || null) {
    try { await post("/agent/dial", { number, caller_id: cid }); } catch (e) { showError(e); }
  }
  // A clicked number is dialled at once when the user chose so; else the dialer opens with it
  // (on this page the dial line, elsewhere a small dialog with the caller-ID choice).
  const dialing = fetch("/agent/dialing").then((r) => (r.ok ? r.json() : null)).catch(() => null);
  async function clicked(digits) {
    // Numbers are kept as E.164 digits: an outside one is dialled with its +.
    const number = /^\d{8,}$/.test(digits) ? `+${digits}` : digits;
    const d = (await dialing) || { dial_at_once: false, caller_ids: [], texts: {} };
    if (d.dial_at_once) return dial(number);
    if (dialLine) {
      dialLine.value = number;
      document.getElementById("dialer")?.classList.remove("collapsed");
      dialLine.focus();
      return;
    }
    dialDialog(number, d);
  }
  function dialDialog(number, d) {
    let dlg = document.getElementById("dial-dialog");
    if (!dlg) {
      dlg = document.createElement("dialog");
      dlg.id = "dial-dialog";
      const form = Object.assign(document.createElement("form"), { method: "dialog", className: "form" });
      const h = Object.assign(document.createElement("h2"), { textContent: d.texts.title || "" });
      const input = Object.assign(document.createElement("input"), { id: "dial-dialog-number", inputMode: "tel", dir: "ltr" });
      input.setAttribute("aria-label", d.texts.number || "");
      const sel = Object.assign(document.createElement("select"), { id: "dial-dialog-caller-id" });
      sel.setAttribute("aria-label", d.texts.caller_id || "");
      sel.append(new Option(d.texts.default_caller_id || "", ""));
      for (const c of d.caller_ids) sel.append(new Option(c.shown, c.number));
      sel.hidden = d.caller_ids.length === 0;
      const err = Object.assign(document.createElement("p"), { className: "error", id: "dial-dialog-error", hidden: true });
      const row = Object.assign(document.createElement("div"), { className: "row" });
      const go = Object.assign(document.createElement("button"), { type: "submit", value: "dial", className: "primary", id: "dial-dialog-dial", textContent: d.texts.dial || "" });
      const cancel = Object.assign(document.createElement("button"), { type: "submit", value: "cancel", textContent: d.texts.cancel || "" });
      row.append(go, cancel);
      form.append(h, input, sel, err, row);
      dlg.append(form);
      document.body.append(dlg);
      form.addEventListener("submit", async (ev) => {
        if (ev.submitter && ev.submitter.value === "cancel") return;
        ev.preventDefault();
        try {
          await post("/agent/dial", { number: input.value.trim(), caller_id: sel.value || null });
          dlg.close();
        } catch (e) {
          err.textContent = e.message || String(e);
          err.hidden = false;
        }
      });
    }
    dlg.querySelector("#dial-dialog-number").value = number;
    dlg.querySelector("#dial-dialog-error").hidden = true;
    dlg.showModal();
  }
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest("[data-dial]");
    if (!a) return;
    ev.preventDefault();
    clicked(a.dataset.dial);
  });
  document.getElementById("dial-form")?.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const n = dialLine.value.trim();
    if (n) dial(n);
  });
  for (const b of document.querySelectorAll(".pad [data-key]")) {
    b.addEventListener("click", () => {
      const live = [...calls.values()].find((c) => c.state === "talking");
      if (live && !dialLine.value) {
        post(`/agent/calls/${encodeURIComponent(live.id)}/command`, { command: "dtmf", digits: b.dataset.key }).catch(showError);
      } else {
        dialLine.value += b.dataset.key;
        dialLine.focus();
      }
    });
  }

  // The agent's one state (available, ringing, in a call, after-call work, unavailable,
  // logged out): drawn from what the server answers and from its `agent.status` events.
  const statusLabel = document.getElementById("status-label");
  const ready = document.getElementById("ready");
  const wrapLeft = document.getElementById("wrap-left");
  // Availability is on the workspace page only (the other pages that load this script have the
  // call panel and click-to-call, not the status card).
  function drawStatus(s) {
    if (!statusLabel || !ready || !wrapLeft) return;
    statusLabel.textContent = t(`agent-state-${s.state}`) + (s.reason ? ` — ${s.reason}` : "");
    statusLabel.className = `pill agent-state ${s.state}`;
    statusLabel.dataset.state = s.state;
    const wrapping = s.state === "wrap_up" && s.wrap_until;
    ready.hidden = !wrapping;
    wrapLeft.hidden = !wrapping;
    if (wrapping) wrapLeft.dataset.until = s.wrap_until; else delete wrapLeft.dataset.until;
  }
  if (wrapLeft) setInterval(() => {
    const until = wrapLeft.dataset.until && Date.parse(wrapLeft.dataset.until);
    if (until) wrapLeft.textContent = hms(Math.max(0, Math.round((until - Date.now()) / 1000)));
  }, 500);
  window.switchboard?.source?.addEventListener("agent.status", (e) => {
    try { drawStatus(JSON.parse(e.data)); } catch (_) { /* not ours */ }
  });
  const setStatus = (url, body) => post(url, body).then(drawStatus).catch(showError);
  for (const b of document.querySelectorAll("#status [data-available], #status [data-reason]")) {
    b.addEventListener("click", () => setStatus("/agent/status",
      b.dataset.reason ? { available: false, reason_id: Number(b.dataset.reason) } : { available: true }));
  }
  ready?.addEventListener("click", () => setStatus("/agent/status/ready", {}));
  document.getElementById("log-out-queues")?.addEventListener("click", () => setStatus("/agent/status/log-out", {}));

  // Workspace settings (and showing or hiding the dialer).
  const wsForm = document.getElementById("workspace-form");
  async function saveWorkspace() {
    const f = new FormData(wsForm);
    const body = {
      silent_ring: f.has("silent_ring"), suppress_popups: f.has("suppress_popups"),
      auto_handling: f.has("auto_handling"), show_dialer: f.get("show_dialer") === "true",
      auto_answer: f.has("auto_answer"), dial_at_once: f.has("dial_at_once"),
    };
    try {
      await post("/agent/workspace", body);
      root.dataset.silent = String(body.silent_ring);
      root.dataset.suppress = String(body.suppress_popups);
    } catch (e) { showError(e); }
  }
  wsForm?.addEventListener("change", saveWorkspace);
  document.getElementById("toggle-dialer")?.addEventListener("click", (ev) => {
    const card = document.getElementById("dialer");
    const show = card.classList.contains("collapsed");
    card.classList.toggle("collapsed", !show);
    ev.target.setAttribute("aria-expanded", String(show));
    wsForm.elements.show_dialer.value = String(show);
    saveWorkspace();
  });

  // The clock.
  const clock = document.getElementById("clock");
  const hms = window.switchboard?.hms || String;
  setInterval(() => {
    if (clock) clock.textContent = orgTime(new Date(), false);
    for (const c of calls.values()) {
      if (c.since) c.el.querySelector(".timer").textContent = hms(Math.floor((Date.now() - c.since) / 1000));
    }
  }, 500);

  // Ringing, audibly unless the user chose silent ring (on while any call rings here).
  let audio = null, ringTimer = null;
  function ring(on) {
    if (on && ringTimer) return;
    clearInterval(ringTimer);
    ringTimer = null;
    if (!on || root.dataset.silent === "true") return;
    try {
      audio ||= new (window.AudioContext || window.webkitAudioContext)();
      const beep = () => {
        const o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 440; g.gain.value = 0.1;
        o.connect(g).connect(audio.destination);
        o.start(); o.stop(audio.currentTime + 1);
      };
      beep();
      ringTimer = setInterval(beep, 3000);
    } catch (_) { /* no audio here */ }
  }

  // The call panel. The server sends each call as this user sees it (`call.state`: ringing,
  // dialing, talking, held, consulting, conference, wrap_up, gone); the panel draws that.
  const calls = new Map();
  const box = document.getElementById("calls");
  const tpl = document.getElementById("call-template");
  const label = { ringing: "call-ringing", dialing: "call-ringing", talking: "call-talking", held: "call-held",
    consulting: "call-consulting", conference: "call-conference" };
  function render(c) {
    const st = c.el.querySelector(".state");
    st.textContent = t(label[c.state] || "call-ringing");
    st.className = `state pill ${c.state}`;
    c.el.dataset.state = c.state;
    // What the user may do comes with the call from the server (`actions`).
    const allowed = new Set(c.actions || []);
    for (const b of c.el.querySelectorAll("button[data-cmd]")) b.hidden = !allowed.has(b.dataset.cmd);
    const none = document.getElementById("no-call");
    if (none) none.hidden = calls.size > 0;
  }
  function cardOf(view) {
    let c = calls.get(view.call_id);
    if (c) return c;
    const el = tpl.content.firstElementChild.cloneNode(true);
    el.dataset.call = view.call_id;
    el.querySelector(".number").textContent = view.shown || shown(view.number);
    box.appendChild(el);
    c = { id: view.call_id, el, state: view.state, number: view.number, since: null, muted: false };
    calls.set(view.call_id, c);
    el.addEventListener("click", (e) => {
      const b = e.target.closest("[data-cmd]");
      if (!b) return;
      e.preventDefault();
      command(c, b.dataset.cmd);
    });
    return c;
  }
  function drop(id) {
    const c = calls.get(id);
    if (!c) return;
    c.el.remove();
    calls.delete(id);
    const none = document.getElementById("no-call");
    if (none) none.hidden = calls.size > 0;
  }
  // One call as the server says this user sees it (on the workspace page; elsewhere the call
  // bar shows calls).
  function show(view) {
    if (!box || !tpl) return;
    if (view.state === "gone" || view.state === "wrap_up") drop(view.call_id);
    else {
      const c = cardOf(view);
      c.state = view.state;
      c.muted = view.muted;
      c.actions = view.actions;
      c.since = view.answered_at ? Date.parse(view.answered_at) : null;
      if (view.pop) pop(c, view.pop);
      render(c);
      if (view.handling) openWindow(c.id);
    }
    ring([...calls.values()].some((x) => x.state === "ringing"));
  }
  function pop(c, p) {
    const where = c.el.querySelector(".pop");
    where.textContent = "";
    const name = c.el.querySelector(".name");
    if (p.contacts.length === 1) name.textContent = p.contacts[0].name;
    const link = (href, text, blank) => Object.assign(document.createElement("a"), { href, textContent: text, ...(blank ? { target: "_blank", rel: "noopener" } : {}) });
    if (p.url) {
      where.append(link(p.url, t("call-open-crm"), true));
      if (root.dataset.suppress !== "true") window.open(p.url, "_blank", "noopener");
      return;
    }
    if (root.dataset.suppress === "true") return;
    if (p.contacts.length === 0) {
      if (p.e164) where.append(link(`/contacts/new?phone=%2B${p.e164}`, t("call-new-contact"), true));
    } else if (p.contacts.length === 1) {
      where.append(link(`/contacts/${p.contacts[0].id}`, t("call-open-card"), true));
    } else {
      where.append(document.createTextNode(t("call-choose-contact") + " "));
      for (const k of p.contacts) where.append(link(`/contacts/${k.id}`, k.name + (k.company ? ` (${k.company})` : ""), true), " ");
    }
  }
  // A call only the browser phone knows (the echo test the user dialled, *43): the panel shows
  // it from the phone, to be hung up there.
  document.addEventListener("switchboard:phone", (e) => {
    const ph = window.switchboardPhone;
    const talking = e.detail === "talking" && ![...calls.keys()].some((id) => id !== "phone");
    if (talking && !calls.has("phone")) {
      const number = ph?.incoming || "*43";
      show({ call_id: "phone", state: "talking", number, shown: ph?.incomingShown || number, muted: false, actions: ["hangup"] });
    } else if (!talking && calls.has("phone")) {
      drop("phone");
    }
  });
  async function command(c, cmd) {
    if (c.id === "phone") { window.switchboardPhone?.hangup(); return; }
    const consulting = c.state === "consulting";
    const needsNumber = ["blind_transfer", "conference", "attended"].includes(cmd) && !consulting;
    const to = dialLine?.value.trim() || "";
    if (needsNumber && !to) { showError(new Error(t("call-need-number"))); dialLine?.focus(); return; }
    let body;
    if (cmd === "handling") { openWindow(c.id); return; }
    if (cmd === "case") {
      // One click on the caller's number: a case for them, opened beside the panel.
      try {
        const k = await post("/agent/case", { number: c.number, call_id: c.id });
        window.open(`/cases/${k.id}`, "_blank", "noopener");
      } catch (e) { showError(e); }
      return;
    }
    if (cmd === "conference") body = consulting ? { command: "conference_merge" } : { command: "consult", to };
    else if (cmd === "attended") body = consulting ? { command: "consult_complete" } : { command: "consult", to };
    else if (cmd === "blind_transfer") body = { command: "blind_transfer", to };
    else if (cmd === "dtmf") body = { command: "dtmf", digits: to };
    else body = { command: cmd };
    try {
      await post(`/agent/calls/${encodeURIComponent(c.id)}/command`, body);
      if (needsNumber) dialLine.value = "";
    } catch (e) { showError(e); }
  }

  // Every call event names the call as this user sees it.
  window.switchboard?.onCall(show);

  // A page (re)loaded mid-call shows the calls in progress as they stand.
  try {
    for (const view of JSON.parse(document.getElementById("agent-live")?.textContent || "[]")) show(view);
  } catch (_) { /* nothing to restore */ }

  // Call handling windows.
  const windows = document.getElementById("windows");
  const wtpl = document.getElementById("window-template");
  const tagNames = (windows?.dataset.tags || "").split("\n").filter(Boolean);
  async function openWindow(callId) {
    if (!windows) return;
    if (windows.querySelector(`form.window[data-call="${CSS.escape(callId)}"]`)) return;
    let data;
    try { data = await post("/agent/handling", { call_id: callId }); } catch (e) { showError(e); return; }
    if (windows.querySelector(`form.window[data-call="${CSS.escape(callId)}"]`)) return;
    const f = wtpl.content.firstElementChild.cloneNode(true);
    f.dataset.call = callId;
    f.querySelector(".w-number").textContent = data.shown || shown(data.window.number);
    if (data.contact) {
      f.querySelector(".w-contact").append(Object.assign(document.createElement("a"),
        { href: `/contacts/${data.contact.id}`, textContent: data.contact.name, target: "_blank", rel: "noopener" }));
    }
    const tags = f.querySelector(".w-tags");
    for (const name of tagNames) {
      const l = document.createElement("label");
      l.className = "check";
      const i = Object.assign(document.createElement("input"), { type: "checkbox", name: "tag", value: name, checked: data.window.tags.includes(name) });
      l.append(i, " ", name);
      tags.append(l);
    }
    f.elements.notes.value = data.window.notes || "";
    const earlier = f.querySelector(".w-earlier");
    for (const n of data.earlier || []) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = `${n.saved_at ? orgTime(new Date(n.saved_at), true) : ""} ${n.tags.join(", ")} — ${n.notes}`;
      earlier.append(p);
    }
    const save = async (finish) => {
      const body = { call_id: callId, notes: f.elements.notes.value, finish,
        tags: [...f.querySelectorAll("input[name=tag]:checked")].map((i) => i.value) };
      try {
        await post("/agent/handling/save", body);
        if (finish) f.remove();
        document.getElementById("no-window").hidden = !!windows.querySelector("form.window");
      } catch (e) { showError(e); }
    };
    f.querySelector(".w-save").addEventListener("click", () => save(false));
    f.addEventListener("submit", (e) => { e.preventDefault(); save(true); });
    windows.append(f);
    document.getElementById("no-window").hidden = true;
  }
  for (const seed of document.querySelectorAll(".window-seed")) {
    openWindow(seed.dataset.call);
    seed.remove();
  }
});
