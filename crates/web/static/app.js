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
  }
});
