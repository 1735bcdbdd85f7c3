//! "Why did agent X get this call": a call's path through the queues, read back from its queue
//! events — when it entered, every offer with the strategy, the free members weighed (penalty,
//! idle time, calls today) and who was chosen or passed over, who let it ring, and how it ended.

use super::exit::{Leaving, QueueExit, Refusal};
use crate::{Crm, CrmError, User};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use store::entities::call_log as cl;
use store::entities::queue::ExitKind;
use store::entities::queue_event::QueueEventKind;
use store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A free member weighed for an offer.
#[derive(Debug, Clone, Serialize)]
pub struct Weighed {
    pub name: String,
    pub penalty: i64,
    pub idle_secs: i64,
    pub calls_today: i64,
    pub chosen: bool,
}

/// Why an offer went where it did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Why {
    /// The strategy (its stored name), none when a manager chose.
    pub strategy: Option<String>,
    pub handed_by: Option<String>,
    pub queue_priority: Option<i64>,
    /// Members who had let the caller ring out this round.
    pub passed_over: Vec<String>,
    pub weighed: Vec<Weighed>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub kind: QueueEventKind,
    pub queue: String,
    pub agent: Option<String>,
    pub waited_secs: Option<i64>,
    /// For an offer.
    pub why: Option<Why>,
    /// For a caller the queue refused at the door: why.
    pub refusal: Option<Refusal>,
    /// For a caller who left unanswered: where they went, and to what (an extension, a queue's
    /// name).
    pub exit: Option<(ExitKind, String)>,
    /// A callback in queue: the number to call back (when asked), and how it went — `called_back`
    /// (answered), `unanswered`, `busy`, `not_placed`, `expired`.
    pub callback_number: Option<String>,
    pub callback: Option<String>,
}

impl Crm {
    /// The queue path of a call of the manager's organization, in order, with the caller's
    /// number when the call log has it.
    pub async fn call_journey(&self, by: &User, call_id: &str) -> Result<(Option<String>, Vec<Step>), CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let events = self.queue_decisions(by.org_id, call_id).await?;
        if events.is_empty() {
            return Err(CrmError::NotFound);
        }
        let names: HashMap<i64, String> =
            self.users(by.org_id).await?.into_iter().map(|u| (u.id.0, u.full_name)).collect();
        let queues: HashMap<i64, String> =
            self.queue_confs(by.org_id).await?.into_iter().map(|c| (c.queue.id, c.queue.name)).collect();
        let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
        let caller = cl::Entity::find()
            .filter(cl::Column::OrgId.eq(by.org_id.0))
            .filter(cl::Column::CallId.eq(call_id))
            .one(self.db())
            .await?
            .map(|r| r.number);
        let steps = events
            .into_iter()
            .map(|e| {
                let detail: serde_json::Value =
                    e.detail.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
                let why = (e.kind == QueueEventKind::Offer).then(|| {
                    let chosen: Vec<i64> = detail["chosen"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
                        .unwrap_or_default();
                    let ids = |k: &str| -> Vec<String> {
                        detail[k]
                            .as_array()
                            .map(|a| a.iter().filter_map(|v| v.as_i64()).map(name).collect())
                            .unwrap_or_default()
                    };
                    Why {
                        strategy: detail["strategy"].as_str().map(str::to_string),
                        handed_by: detail["handed_by"].as_i64().map(name),
                        queue_priority: detail["queue_priority"].as_i64(),
                        passed_over: ids("passed_over"),
                        weighed: detail["candidates"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .map(|c| Weighed {
                                        name: c["name"].as_str().unwrap_or_default().to_string(),
                                        penalty: c["penalty"].as_i64().unwrap_or(0),
                                        idle_secs: c["idle_secs"].as_i64().unwrap_or(0),
                                        calls_today: c["calls_today"].as_i64().unwrap_or(0),
                                        chosen: c["user"].as_i64().is_some_and(|u| chosen.contains(&u)),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }
                });
                let leaving = matches!(e.kind, QueueEventKind::Timeout | QueueEventKind::Refused)
                    .then(|| e.detail.as_deref().map(Leaving::read))
                    .flatten();
                let refusal = leaving.as_ref().and_then(|l| l.refusal);
                let exit = leaving.and_then(|l| l.exit).map(|x| {
                    let target = match &x {
                        QueueExit::HangUp => String::new(),
                        QueueExit::Extension(e) => e.clone(),
                        QueueExit::Queue(q) => queues.get(q).cloned().unwrap_or_else(|| format!("#{q}")),
                    };
                    (super::exit::columns(&x).0, target)
                });
                Step {
                    at: e.at,
                    kind: e.kind,
                    queue: queues.get(&e.queue_id).cloned().unwrap_or_default(),
                    agent: e.user_id.map(name),
                    waited_secs: e.wait_ms.map(|w| w / 1000),
                    why,
                    refusal,
                    exit,
                    callback_number: (e.kind == QueueEventKind::Callback)
                        .then(|| detail["number"].as_str().map(str::to_string))
                        .flatten(),
                    callback: match e.kind {
                        QueueEventKind::CallbackMissed => detail["why"].as_str().map(str::to_string),
                        QueueEventKind::Connect if detail.get("callback").is_some() => Some("called_back".into()),
                        _ => None,
                    },
                }
            })
            .collect();
        Ok((caller, steps))
    }
}
