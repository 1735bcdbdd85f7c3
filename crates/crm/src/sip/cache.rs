//! What call routing reads on every call (trunks, numbers, ring groups, dial rules, SIP
//! domains, who has which extension and its SIP password; also each organization's time zone,
//! which every page reads), held in memory: loaded in one go, by one task at a time. A change on
//! this node (or told by another) makes the next reader load it again before answering; a
//! snapshot older than a few seconds is refreshed in the background (changes made by another
//! process on the same SQLite file) while callers go on with the one they have. A failed load
//! keeps the last snapshot: calls are routed as they were rather than refused. Every call used
//! to cost several database round trips on the hot path, and a burst of calls all reloaded
//! the snapshot at once; now a call costs none.

use crate::{Crm, CrmError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::entities::{dial_rule, organization, phone_number, ring_group, trunk, user};
use store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// How long a snapshot is trusted before it is read again.
pub const REFRESH: Duration = Duration::from_secs(5);

/// The event kind that tells every node to read the routing again.
const ROUTING_CHANGED: &str = "routing.changed";

fn routing_changed_event() -> crate::Event {
    crate::Event {
        org_id: crate::OrgId(0),
        audience: crate::Audience::Role(crate::Role::Admin),
        kind: ROUTING_CHANGED.into(),
        data: serde_json::Value::Null,
    }
}

#[derive(Default)]
pub struct Snapshot {
    /// Organization id → SIP domain (realm).
    pub realms: HashMap<i64, String>,
    /// SIP domain → organization id.
    pub domains: HashMap<String, i64>,
    /// Organization id → its time zone (pages show times in it).
    pub time_zones: HashMap<i64, chrono_tz::Tz>,
    /// Organization id → its default country for phone numbers.
    pub countries: HashMap<i64, String>,
    pub org_count: usize,
    /// In id order; the first of an organization carries its outbound calls.
    pub trunks: Vec<trunk::Model>,
    /// (organization, digits) → number.
    pub numbers: HashMap<(i64, String), phone_number::Model>,
    pub numbers_by_org: HashMap<i64, Vec<phone_number::Model>>,
    pub groups: HashMap<i64, ring_group::Model>,
    pub rules: HashMap<i64, Vec<(String, bool)>>,
    /// (organization, extension) → active user id.
    pub extensions: HashMap<(i64, String), i64>,
    /// (organization, extension) → the SIP password of its active user.
    pub secrets: HashMap<(i64, String), String>,
    /// Organization id → whether its calls are recorded.
    pub recording: HashMap<i64, store::entities::organization::RecordingPolicy>,
}

#[derive(Default)]
pub struct SipCache {
    /// The snapshot, when it was read, and the generation it was read at.
    current: Mutex<Option<(Instant, Arc<Snapshot>, u64)>>,
    /// Bumped by every change: a snapshot of an older generation is read again before use.
    generation: AtomicU64,
    /// One load at a time.
    loading: tokio::sync::Mutex<()>,
    /// A background refresh is under way.
    refreshing: AtomicBool,
}

impl SipCache {
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The snapshot if it is of the current generation, and whether it is due for a refresh.
    fn current(&self) -> Option<(Arc<Snapshot>, bool)> {
        let cur = self.current.lock().expect("cache lock");
        let (at, snap, generation) = cur.as_ref()?;
        (*generation == self.generation.load(Ordering::SeqCst)).then(|| (snap.clone(), at.elapsed() >= REFRESH))
    }

    fn last(&self) -> Option<Arc<Snapshot>> {
        self.current.lock().expect("cache lock").as_ref().map(|(_, s, _)| s.clone())
    }
}

impl Crm {
    /// The routing snapshot (see the module's notes).
    pub async fn routing(&self) -> Result<Arc<Snapshot>, CrmError> {
        if let Some((snap, due)) = self.sip_cache.current() {
            if due && !self.sip_cache.refreshing.swap(true, Ordering::SeqCst) {
                let crm = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = crm.load_routing().await {
                        tracing::warn!("refreshing the routing snapshot: {e}");
                    }
                    crm.sip_cache.refreshing.store(false, Ordering::SeqCst);
                });
            }
            return Ok(snap);
        }
        match self.load_routing().await {
            Ok(snap) => Ok(snap),
            Err(e) => match self.sip_cache.last() {
                Some(old) => {
                    tracing::warn!("the routing could not be read again ({e}): the last snapshot stays in force");
                    Ok(old)
                }
                None => Err(e),
            },
        }
    }

    /// Reads the snapshot, one load at a time (a caller that waited finds it loaded).
    async fn load_routing(&self) -> Result<Arc<Snapshot>, CrmError> {
        let _one = self.sip_cache.loading.lock().await;
        let generation = self.sip_cache.generation.load(Ordering::SeqCst);
        if let Some((snap, false)) = self.sip_cache.current() {
            return Ok(snap);
        }
        let db = self.db();
        let mut s = Snapshot::default();
        for o in organization::Entity::find().all(db).await? {
            s.domains.insert(o.sip_domain.clone(), o.id);
            s.time_zones.insert(o.id, o.time_zone.parse().unwrap_or(chrono_tz::UTC));
            s.countries.insert(o.id, o.default_country.clone());
            s.recording.insert(o.id, o.recording_policy);
            s.realms.insert(o.id, o.sip_domain);
        }
        s.org_count = s.realms.len();
        s.trunks = trunk::Entity::find().order_by_asc(trunk::Column::Id).all(db).await?;
        for n in phone_number::Entity::find().order_by_asc(phone_number::Column::Id).all(db).await? {
            s.numbers_by_org.entry(n.org_id).or_default().push(n.clone());
            s.numbers.insert((n.org_id, n.number.clone()), n);
        }
        s.groups = ring_group::Entity::find().all(db).await?.into_iter().map(|g| (g.id, g)).collect();
        for r in dial_rule::Entity::find().all(db).await? {
            s.rules.entry(r.org_id).or_default().push((r.prefix, r.allow));
        }
        for u in user::Entity::find().filter(user::Column::Active.eq(true)).all(db).await? {
            s.secrets.insert((u.org_id, u.extension.clone()), u.sip_password);
            s.extensions.insert((u.org_id, u.extension), u.id);
        }
        let snap = Arc::new(s);
        *self.sip_cache.current.lock().expect("cache lock") = Some((Instant::now(), snap.clone(), generation));
        Ok(snap)
    }

    /// The organization's time zone, from the snapshot (no database round trip on most pages).
    pub async fn org_tz(&self, org: crate::OrgId) -> Result<chrono_tz::Tz, CrmError> {
        Ok(self.routing().await?.time_zones.get(&org.0).copied().unwrap_or(chrono_tz::UTC))
    }

    /// The organization's default country (ISO 3166), from the snapshot.
    pub async fn org_country(&self, org: crate::OrgId) -> Result<String, CrmError> {
        Ok(self.routing().await?.countries.get(&org.0).cloned().unwrap_or_default())
    }

    /// Call after any change to what the snapshot holds.
    /// Routing changed here: this node reads it again at once, and so does every other node
    /// (told through the event bus; an event of no organization, which no browser sees).
    pub(crate) fn routing_changed(&self) {
        self.sip_cache.invalidate();
        if self.bus().crosses_nodes() {
            let bus = self.bus().clone();
            tokio::spawn(async move {
                if let Err(e) = bus.publish(routing_changed_event()).await {
                    tracing::warn!("telling the other nodes that routing changed: {e}");
                }
            });
        }
    }

    /// Follows the other nodes' routing changes (see `routing_changed`).
    pub(crate) fn follow_routing_changes(&self) {
        if !self.bus().crosses_nodes() {
            return; // one node: `routing_changed` invalidated it already
        }
        let mut rx = self.bus().subscribe();
        let cache = self.sip_cache.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(ev) if ev.kind == ROUTING_CHANGED && ev.org_id.0 == 0 => cache.invalidate(),
                    Ok(_) => {}
                    // Events were missed: one of them may have been a change.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => cache.invalidate(),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }
}
