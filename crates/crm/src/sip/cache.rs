//! What call routing reads on every call (trunks, numbers, ring groups, dial rules, SIP
//! domains, who has which extension; also each organization's time zone, which every page
//! reads), held in memory: loaded in one go, refreshed after a few
//! seconds, and dropped at once when this node changes any of it (other nodes see changes
//! within the refresh time). Every call through a trunk used to cost several SQLite round
//! trips on the hot path; now it costs none.

use crate::{Crm, CrmError};
use std::collections::HashMap;
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
    /// Organization id → whether its calls are recorded.
    pub recording: HashMap<i64, store::entities::organization::RecordingPolicy>,
}

#[derive(Default)]
pub struct SipCache {
    current: Mutex<Option<(Instant, Arc<Snapshot>)>>,
}

impl SipCache {
    pub fn invalidate(&self) {
        *self.current.lock().expect("cache lock") = None;
    }
}

impl Crm {
    /// The routing snapshot, read again when older than `REFRESH`.
    pub async fn routing(&self) -> Result<Arc<Snapshot>, CrmError> {
        if let Some((at, snap)) = self.sip_cache.current.lock().expect("cache lock").as_ref()
            && at.elapsed() < REFRESH
        {
            return Ok(snap.clone());
        }
        let db = self.db();
        let mut s = Snapshot::default();
        for o in organization::Entity::find().all(db).await? {
            s.domains.insert(o.sip_domain.clone(), o.id);
            s.time_zones.insert(o.id, o.time_zone.parse().unwrap_or(chrono_tz::UTC));
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
            s.extensions.insert((u.org_id, u.extension), u.id);
        }
        let snap = Arc::new(s);
        *self.sip_cache.current.lock().expect("cache lock") = Some((Instant::now(), snap.clone()));
        Ok(snap)
    }

    /// The organization's time zone, from the snapshot (no database round trip on most pages).
    pub async fn org_tz(&self, org: crate::OrgId) -> Result<chrono_tz::Tz, CrmError> {
        Ok(self.routing().await?.time_zones.get(&org.0).copied().unwrap_or(chrono_tz::UTC))
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
