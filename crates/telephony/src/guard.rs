//! The scanner guard: an address that keeps failing authentication is ignored for a while,
//! so SIP scanners and password guessers get no answers (and cost almost nothing); an account
//! guessed at from many addresses takes no more guesses for a while, except from the addresses
//! its phones are registered from.
//!
//! It cannot be aimed at a victim: only a failure that answered a challenge sent to that
//! address counts (a forged source never receives the challenge), and the caller never counts
//! failures against a carrier's address or one a phone is registered from (`auth.rs`).

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
    /// Failures per account (organization, user name), from any address.
    account_failures: HashMap<(i64, String), VecDeque<Instant>>,
    locked: HashMap<(i64, String), Instant>,
}

/// Failures of one account, from any addresses, within [`ACCOUNT_WINDOW`] that lock it.
pub const ACCOUNT_FAILURES: usize = 20;
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(600);
pub const ACCOUNT_LOCK: Duration = Duration::from_secs(600);

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

    /// Whether account `user` of organization `tenant` takes no guesses now.
    pub fn account_locked(&self, tenant: i64, user: &str) -> bool {
        let mut s = self.state.lock().expect("guard lock");
        let key = (tenant, user.to_string());
        match s.locked.get(&key) {
            Some(until) if *until > Instant::now() => true,
            Some(_) => {
                s.locked.remove(&key);
                false
            }
            None => false,
        }
    }

    /// Records a wrong password for an account; true when this failure locked it.
    pub fn record_account_failure(&self, tenant: i64, user: &str) -> bool {
        let now = Instant::now();
        let mut s = self.state.lock().expect("guard lock");
        let key = (tenant, user.to_string());
        let q = s.account_failures.entry(key.clone()).or_default();
        q.push_back(now);
        while q.front().is_some_and(|t| now.duration_since(*t) > ACCOUNT_WINDOW) {
            q.pop_front();
        }
        if q.len() >= ACCOUNT_FAILURES {
            s.account_failures.remove(&key);
            s.locked.insert(key, now + ACCOUNT_LOCK);
            tracing::warn!(
                tenant,
                user,
                "SIP: too many wrong passwords for this account, from any address: only its registered phones are heard for a while"
            );
            return true;
        }
        if s.account_failures.len() > 100_000 {
            s.account_failures.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= ACCOUNT_WINDOW));
        }
        false
    }
}
