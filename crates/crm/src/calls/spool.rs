//! The durable place for call events the store could not take: when recording an event still
//! fails after its retries (the database is locked, read-only or unreachable for longer), the
//! event is appended here (one JSON line, synced to disk), and every later event queues behind
//! it so a call's events are recorded in order. The recorder drains it as soon as the store
//! answers again, and at the next start if the process stopped first. An event the store
//! refuses for good (not a passing failure) is moved to `failed.jsonl` with the error, never
//! dropped.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use telephony::events::CallEvent;

const PENDING: &str = "call-events.jsonl";
const FAILED: &str = "call-events.failed.jsonl";

pub(crate) struct Spool {
    dir: PathBuf,
    pending: VecDeque<CallEvent>,
    /// How many events wait, readable without the spool's lock (`/metrics`).
    waiting: Arc<AtomicU64>,
}

impl Spool {
    /// Opens the spool in `dir` (made when missing), with what an earlier run left in it. A
    /// line cut short by a crash while it was written is skipped.
    pub(crate) fn open(dir: &Path) -> std::io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let mut pending = VecDeque::new();
        match std::fs::read_to_string(dir.join(PENDING)) {
            Ok(text) => {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    match serde_json::from_str::<CallEvent>(line) {
                        Ok(ev) => pending.push_back(ev),
                        Err(e) => tracing::error!("a spooled call event cannot be read back ({e}): {line}"),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let waiting = Arc::new(AtomicU64::new(pending.len() as u64));
        Ok(Spool { dir: dir.to_path_buf(), pending, waiting })
    }

    /// The count of waiting events, kept up to date by the spool.
    pub(crate) fn waiting(&self) -> Arc<AtomicU64> {
        self.waiting.clone()
    }

    fn counted(&self) {
        self.waiting.store(self.pending.len() as u64, Ordering::Relaxed);
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    pub(crate) fn front(&self) -> Option<&CallEvent> {
        self.pending.front()
    }

    /// Appends an event (on disk before this returns; kept in memory when the disk fails too).
    pub(crate) fn push(&mut self, ev: CallEvent) {
        if let Err(e) = append(&self.dir.join(PENDING), &ev, None) {
            tracing::error!("the call-event spool cannot be written ({e}): the event is kept in memory only");
        }
        self.pending.push_back(ev);
        self.counted();
    }

    /// The first event was recorded: it leaves the spool.
    pub(crate) fn pop_front(&mut self) {
        self.pending.pop_front();
        self.counted();
        if let Err(e) = self.rewrite() {
            tracing::error!("the call-event spool cannot be rewritten ({e}); the event may be recorded again");
        }
    }

    /// The first event was refused for good: it moves to the failed file with the error.
    pub(crate) fn give_up_front(&mut self, error: &str) {
        if let Some(ev) = self.pending.pop_front() {
            give_up(&self.dir, &ev, error);
        }
        self.counted();
        if let Err(e) = self.rewrite() {
            tracing::error!("the call-event spool cannot be rewritten ({e})");
        }
    }

    fn rewrite(&self) -> std::io::Result<()> {
        let path = self.dir.join(PENDING);
        if self.pending.is_empty() {
            return match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        let tmp = self.dir.join(format!("{PENDING}.tmp"));
        {
            let mut f = std::fs::File::create(&tmp)?;
            for ev in &self.pending {
                serde_json::to_writer(&mut f, ev)?;
                f.write_all(b"\n")?;
            }
            f.sync_data()?;
        }
        std::fs::rename(tmp, path)
    }
}

/// Keeps an event the store refused for good in the failed file of `dir`, with the error.
pub(crate) fn give_up(dir: &Path, ev: &CallEvent, error: &str) {
    tracing::error!(call_id = %ev.call.call_id, "a call event was refused by the store ({error}): kept in {}", dir.join(FAILED).display());
    if let Err(e) = append(&dir.join(FAILED), ev, Some(error)) {
        tracing::error!("the failed call events file cannot be written ({e}): {ev:?}");
    }
}

fn append(path: &Path, ev: &CallEvent, error: Option<&str>) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let mut line = serde_json::to_value(ev)?;
    if let Some(e) = error {
        line["error"] = serde_json::Value::String(e.to_string());
    }
    serde_json::to_writer(&mut f, &line)?;
    f.write_all(b"\n")?;
    f.sync_data()
}
