//! The scanner guard: an address that keeps failing authentication is ignored for a while,
//! so SIP scanners and password guessers get no answers (and cost almost nothing).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Guard {
    max_failures: usize,
    window: Duration,
    ban: Duration,
    state: Mutex<GuardState>,
}

#[derive(Default)]
struct GuardState {
    failures: HashMap<IpAddr, VecDeque<Instant>>,
    banned: HashMap<IpAddr, Instant>,
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new(10, Duration::from_secs(60), Duration::from_secs(600))
    }
}

impl Guard {
    pub fn new(max_failures: usize, window: Duration, ban: Duration) -> Guard {
        Guard { max_failures, window, ban, state: Mutex::default() }
    }

    pub fn is_banned(&self, ip: IpAddr) -> bool {
        let mut s = self.state.lock().expect("guard lock");
        match s.banned.get(&ip) {
            Some(until) if *until > Instant::now() => true,
            Some(_) => {
                s.banned.remove(&ip);
                false
            }
            None => false,
        }
    }

    /// Records a failed authentication; returns true when this failure banned the address.
    pub fn record_failure(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut s = self.state.lock().expect("guard lock");
        let q = s.failures.entry(ip).or_default();
        q.push_back(now);
        while q.front().is_some_and(|t| now.duration_since(*t) > self.window) {
            q.pop_front();
        }
        if q.len() >= self.max_failures {
            s.failures.remove(&ip);
            s.banned.insert(ip, now + self.ban);
            tracing::warn!(%ip, "SIP: too many failed authentications, ignoring this address for a while");
            return true;
        }
        // Bound memory under a spray of addresses.
        if s.failures.len() > 100_000 {
            s.failures.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= self.window));
        }
        false
    }
}
