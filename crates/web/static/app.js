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
        const caller = d.missed.caller.length > 6 ? "+" + d.missed.caller : d.missed.caller;
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
