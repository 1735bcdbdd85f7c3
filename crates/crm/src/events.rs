//! The event bus: what happened in an organization, for the browsers that may see it.
//! On SQLite (one node) events go straight to a local broadcast; on PostgreSQL every event is
//! NOTIFYed and each node (this one too) re-broadcasts what it hears, so all nodes see all.

use crate::{Crm, CrmError, OrgId, Role, User, UserId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::Store;
use tokio::sync::broadcast;

/// Who in the organization may receive an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", content = "id", rename_all = "lowercase")]
pub enum Audience {
    /// Everyone logged in to the organization.
    Organization,
    User(UserId),
    /// Users with this role or a higher one (manager also reaches admins).
    Role(Role),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub org_id: OrgId,
    pub audience: Audience,
    /// What happened, e.g. "call.ringing"; the SSE event name.
    pub kind: String,
    pub data: serde_json::Value,
}

impl Event {
    pub fn visible_to(&self, u: &User) -> bool {
        if self.org_id != u.org_id {
            return false;
        }
        match &self.audience {
            Audience::Organization => true,
            Audience::User(id) => *id == u.id,
            Audience::Role(Role::Agent) => true,
            Audience::Role(Role::Manager) => u.is_manager(),
            Audience::Role(Role::Admin) => u.is_admin(),
        }
    }
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    /// Set when the database carries events between nodes (NOTIFY): they travel through it.
    pg: Option<Store>,
}

impl EventBus {
    pub async fn start(store: Store) -> Result<EventBus, CrmError> {
        let (tx, _) = broadcast::channel(1024);
        // One node (no channel between nodes): events stay in this process.
        let Some(stream) = store.listen().await? else { return Ok(EventBus { tx, pg: None }) };
        let mut stream = Box::pin(stream);
        let local = tx.clone();
        tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some(payload) = stream.next().await {
                match serde_json::from_str::<Event>(&payload) {
                    Ok(ev) => {
                        let _ = local.send(Arc::new(ev));
                    }
                    Err(e) => tracing::warn!("ignoring a malformed event from another node: {e}"),
                }
            }
            tracing::error!("the event listener stopped");
        });
        Ok(EventBus { tx, pg: Some(store) })
    }

    /// Whether events travel between nodes (PostgreSQL), not only within this process.
    pub fn crosses_nodes(&self) -> bool {
        self.pg.is_some()
    }

    pub async fn publish(&self, ev: Event) -> Result<(), CrmError> {
        match &self.pg {
            Some(store) => {
                let payload = serde_json::to_string(&ev).expect("events serialize");
                if payload.len() > store::notify::MAX_PAYLOAD {
                    return Err(CrmError::invalid("data", "err-event-too-large"));
                }
                store.notify(&payload).await?;
            }
            None => {
                let _ = self.tx.send(Arc::new(ev));
            }
        }
        Ok(())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

impl Crm {
    pub async fn publish(&self, ev: Event) -> Result<(), CrmError> {
        self.bus.publish(ev).await
    }

    /// Publishes an event from outside (an integration, over the API), checked like any input:
    /// a kind of its own (never one Switchboard sends: a forged screen pop or call), a size
    /// every node can carry, and no link that runs script or reads files.
    pub async fn publish_from_outside(&self, ev: Event) -> Result<(), CrmError> {
        check_outside(&ev)?;
        self.publish(ev).await
    }
}

/// Event kinds Switchboard sends itself (a page acts on them: screen pops, call bars, badges).
const OWN_KINDS: [&str; 5] = ["call.", "agent.", "board.", "missed.", "supervision"];

/// Link schemes a page must never follow or open.
const BAD_SCHEMES: [&str; 5] = ["javascript", "vbscript", "data", "file", "blob"];

fn check_outside(ev: &Event) -> Result<(), CrmError> {
    let kind_ok = (1..=64).contains(&ev.kind.len())
        && ev.kind.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'));
    if !kind_ok {
        return Err(CrmError::invalid("kind", "err-invalid"));
    }
    if OWN_KINDS.iter().any(|k| ev.kind.starts_with(k)) {
        return Err(CrmError::invalid("kind", "err-event-kind-own"));
    }
    if serde_json::to_string(&ev.data).map(|s| s.len()).unwrap_or(usize::MAX) > store::notify::MAX_PAYLOAD - 200 {
        return Err(CrmError::invalid("data", "err-event-too-large"));
    }
    if strings(&ev.data).any(bad_link) {
        return Err(CrmError::invalid("data", "err-event-link"));
    }
    Ok(())
}

/// Every string in a JSON value, keys included.
fn strings(v: &serde_json::Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match v {
        serde_json::Value::String(s) => Box::new(std::iter::once(s.as_str())),
        serde_json::Value::Array(a) => Box::new(a.iter().flat_map(strings)),
        serde_json::Value::Object(o) => {
            Box::new(o.iter().flat_map(|(k, v)| std::iter::once(k.as_str()).chain(strings(v))))
        }
        _ => Box::new(std::iter::empty()),
    }
}

/// Whether `s` is a link with a scheme that runs script or reads local data, however spaced
/// or cased (`  JaVa\tScript:` included).
fn bad_link(s: &str) -> bool {
    let squeezed: String = s.chars().filter(|c| !c.is_whitespace() && !c.is_control()).take(32).collect();
    let lower = squeezed.to_ascii_lowercase();
    BAD_SCHEMES.iter().any(|scheme| lower.strip_prefix(scheme).is_some_and(|rest| rest.starts_with(':')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, data: serde_json::Value) -> Event {
        Event { org_id: OrgId(1), audience: Audience::Organization, kind: kind.into(), data }
    }

    #[test]
    fn outside_events_cannot_pose_as_ours_carry_script_or_grow_without_end() {
        assert!(check_outside(&ev("notice", serde_json::json!({"text": "Lunch at 12"}))).is_ok());
        assert!(check_outside(&ev("crm.ticket", serde_json::json!({"url": "https://crm.example/t/1"}))).is_ok());
        for kind in ["call.ringing", "missed.changed", "agent.status", "board.changed", "supervision"] {
            assert_eq!(
                check_outside(&ev(kind, serde_json::json!({}))).unwrap_err().code(),
                "err-event-kind-own",
                "{kind}"
            );
        }
        for link in
            ["javascript:alert(1)", " JaVa\tScript:alert(1)", "data:text/html,<b>", "vbscript:x", "file:///etc/passwd"]
        {
            let e = ev("notice", serde_json::json!({"text": "x", "url": link}));
            assert_eq!(check_outside(&e).unwrap_err().code(), "err-event-link", "{link}");
        }
        let nested = ev("notice", serde_json::json!({"a": [{"b": "javascript:void(0)"}]}));
        assert_eq!(check_outside(&nested).unwrap_err().code(), "err-event-link");
        let big = ev("notice", serde_json::json!({"text": "x".repeat(10_000)}));
        assert_eq!(check_outside(&big).unwrap_err().code(), "err-event-too-large");
        assert_eq!(check_outside(&ev("no spaces", serde_json::json!({}))).unwrap_err().code(), "err-invalid");
    }
}
