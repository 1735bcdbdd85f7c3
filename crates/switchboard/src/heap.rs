//! Giving memory back. glibc's allocator keeps what a burst of calls freed in its per-thread
//! arenas: after 20,000 calls every call object was freed, yet the process stayed at ~700 MB
//! until `malloc_trim` (then 43 MB). Every few seconds the keeper asks the allocator how much
//! it holds free and, above a threshold, returns the free pages to the system. Nothing live is
//! touched: this only hands back memory nobody holds.

use std::time::Duration;

/// How often the allocator is asked.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
const EVERY: Duration = Duration::from_secs(5);
/// After a trim, the next one no later than this while more than [`KEEP`] is held.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
const AGAIN: Duration = Duration::from_secs(20);
/// Free memory the allocator may keep for the next burst.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
const KEEP: usize = 8 << 20;

/// Starts the keeper (Linux with glibc; elsewhere the allocator returns memory by itself or
/// there is nothing to ask). It trims when the process holds more than [`KEEP`] of anonymous
/// memory beyond what is in use; after a trim, it tries again at once only where the memory
/// held free has grown by half as much since, else not before [`AGAIN`] (a trim during a fall
/// leaves what was freed after it; fragments no trim can return are not walked every few
/// seconds). An idle or steady server never pays for it.
pub fn keep_returning_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tokio::spawn(async {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // What was held free just after the last trim, and when that was.
        let mut last: Option<(usize, std::time::Instant)> = None;
        loop {
            tick.tick().await;
            // Both calls walk the allocator's arenas: off the async workers.
            let Ok(trimmed) = tokio::task::spawn_blocking(move || {
                let held = held_free();
                let due = match last {
                    None => true,
                    Some((floor, at)) => held > floor + KEEP / 2 || at.elapsed() >= AGAIN,
                };
                if held <= KEEP || !due {
                    return None;
                }
                // SAFETY: malloc_trim only returns free pages of glibc's arenas to the system.
                unsafe { libc::malloc_trim(0) };
                let after = held_free();
                tracing::debug!(held, after, "free memory returned to the system");
                Some(after)
            })
            .await
            else {
                continue;
            };
            if let Some(after) = trimmed {
                last = Some((after, std::time::Instant::now()));
            }
        }
    });
}

/// Anonymous memory resident beyond what the allocator has handed out: freed memory it keeps.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn held_free() -> usize {
    let anon = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("RssAnon:").map(|v| v.trim().trim_end_matches(" kB").to_string()))
        })
        .and_then(|kb| kb.trim().parse::<usize>().ok())
        .unwrap_or(0)
        * 1024;
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    anon.saturating_sub(info.uordblks + info.hblkhd)
}
