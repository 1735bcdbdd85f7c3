// The wallboard: re-reads its board when the server says something changed (`board.changed`,
// coalesced there), counts the seconds of the times shown in between, and sends the
// supervision buttons and the agents' state choices.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const board = document.getElementById("board");
  if (!board) return;
  const csrf = board.dataset.csrf;
  const wall = board.dataset.wall === "1";
  const error = document.getElementById("wall-error");
  const mmss = (s) => {
    s = Math.max(0, Math.floor(s));
    const mm = String(Math.floor(s / 60) % 60).padStart(2, "0"), ss = String(s % 60).padStart(2, "0");
    return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
  };
  // The server's clock against ours, from the board's own time.
  let skew = 0;
  const tick = () => {
    const now = Date.now() / 1000 + skew;
    for (const el of board.querySelectorAll("[data-since]")) el.textContent = mmss(now - Number(el.dataset.since));
  };
  const settle = () => {
    const inner = document.getElementById("board-inner");
    if (inner) skew = Number(inner.dataset.at) - Date.now() / 1000;
  };
  settle();
  setInterval(tick, 1000);

  let loading = false, again = false;
  const reload = async () => {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const r = await fetch("/wallboard/board" + (wall ? "?wall=1" : ""), { headers: { accept: "text/html" } });
      if (r.ok) {
        // Keep a state choice the manager is making.
        if (!board.contains(document.activeElement) || document.activeElement.tagName !== "SELECT") {
          board.innerHTML = await r.text();
          settle();
          tick();
        } else again = true;
      }
    } catch (_) { /* the next change or the periodic read brings it */ }
    loading = false;
    if (again) { again = false; setTimeout(reload, 300); }
  };
  window.switchboard?.source?.addEventListener("board.changed", reload);
  window.switchboard?.source?.addEventListener("supervision", reload);
  // A safety net for a missed event (a reconnect): a full read every 30 s.
  setInterval(reload, 30000);

  const post = async (url, body) => {
    error.hidden = true;
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    if (!r.ok) {
      let text = r.statusText;
      try { text = (await r.json()).detail || text; } catch (_) { /* not JSON */ }
      error.textContent = text;
      error.hidden = false;
    }
    reload();
  };
  board.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    const row = b?.closest("[data-call]");
    if (!b || !row) return;
    const call = encodeURIComponent(row.dataset.call);
    if (b.dataset.supervise) post(`/wallboard/calls/${call}/supervise`, { mode: b.dataset.supervise });
    else if (b.hasAttribute("data-supervise-end")) post(`/wallboard/calls/${call}/supervise/end`, {});
  });
  board.addEventListener("change", (e) => {
    const give = e.target.closest("select[data-give]");
    const waiting = give?.closest("[data-waiting]");
    if (give && waiting && give.value) {
      const user = Number(give.value);
      give.value = "";
      give.blur();
      post(`/wallboard/waiting/${encodeURIComponent(waiting.dataset.waiting)}/give`, { user_id: user });
      return;
    }
    const sel = e.target.closest("select[data-agent-status]");
    const row = sel?.closest("[data-user]");
    if (!sel || !row || !sel.value) return;
    const set = sel.value;
    sel.value = "";
    sel.blur();
    post(`/wallboard/agents/${row.dataset.user}/status`, { set });
  });
});
