//! How many calls one organization and one extension may have up at once. Each call takes
//! two RTP ports and a few tasks from what every organization shares: without a cap, one
//! extension ringing 300 calls (or 300 calls to its number) took the whole RTP range and the
//! next organization's call got 503. A call over its organization's or its extension's share
//! is refused at once (486 for an extension, 503 for an organization) and holds nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The shares, from `SipSettings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Calls up at once in one organization.
    pub per_organization: usize,
    /// Calls up at once that one extension places or that ring it.
    pub per_extension: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { per_organization: 200, per_extension: 8 }
    }
}

/// Why a call was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    Organization,
    Extension,
}

#[derive(Default)]
struct Counts {
    orgs: HashMap<i64, usize>,
    extensions: HashMap<(i64, String), usize>,
}

/// The calls up, counted per organization and extension.
#[derive(Default, Clone)]
pub struct Admission {
    limits: Limits,
    counts: Arc<Mutex<Counts>>,
}

/// A call's place; given back when dropped (whichever way the call ends).
pub struct Admitted {
    counts: Arc<Mutex<Counts>>,
    tenant: i64,
    extensions: Vec<String>,
}

impl Admission {
    pub fn new(limits: Limits) -> Admission {
        Admission { limits, counts: Arc::default() }
    }

    /// Takes a place for a call of `tenant` that `extensions` place or that rings them.
    pub fn admit(&self, tenant: i64, extensions: &[&str]) -> Result<Admitted, Full> {
        let mut c = self.counts.lock().expect("admission lock");
        if c.orgs.get(&tenant).copied().unwrap_or(0) >= self.limits.per_organization {
            return Err(Full::Organization);
        }
        let mut exts: Vec<String> = extensions.iter().map(|e| e.to_string()).collect();
        exts.sort();
        exts.dedup();
        if exts
            .iter()
            .any(|e| c.extensions.get(&(tenant, e.clone())).copied().unwrap_or(0) >= self.limits.per_extension)
        {
            return Err(Full::Extension);
        }
        *c.orgs.entry(tenant).or_default() += 1;
        for e in &exts {
            *c.extensions.entry((tenant, e.clone())).or_default() += 1;
        }
        Ok(Admitted { counts: self.counts.clone(), tenant, extensions: exts })
    }

    /// Calls counted now (for tests and `/metrics`: 0 when no call is up).
    pub fn calls(&self) -> usize {
        self.counts.lock().expect("admission lock").orgs.values().sum()
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut c = self.counts.lock().expect("admission lock");
        if let Some(n) = c.orgs.get_mut(&self.tenant) {
            *n -= 1;
            if *n == 0 {
                c.orgs.remove(&self.tenant);
            }
        }
        for e in &self.extensions {
            let key = (self.tenant, e.clone());
            if let Some(n) = c.extensions.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    c.extensions.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_organization_and_extension_keeps_to_its_share_and_gets_it_back() {
        let a = Admission::new(Limits { per_organization: 3, per_extension: 2 });
        let one = a.admit(1, &["100"]).unwrap();
        let two = a.admit(1, &["100", "101"]).unwrap();
        assert_eq!(a.admit(1, &["100"]).err(), Some(Full::Extension), "100 has two calls up");
        let three = a.admit(1, &["101"]).unwrap();
        assert_eq!(a.admit(1, &["102"]).err(), Some(Full::Organization), "the organization has three");
        assert!(a.admit(2, &["100"]).is_ok(), "another organization has its own share");
        drop(one);
        assert!(a.admit(1, &["100"]).is_ok(), "a call ended gives its place back");
        drop((two, three));
        assert_eq!(a.calls(), 0);
    }
}
