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
}
