//! Managers supervising calls in progress (listen, whisper, barge, with one button) and the
//! log of every supervision: who, which call, when, how long, in which mode. The rules live
//! here: only managers, only a call of their organization whose two sides talk, one supervisor
//! at a time, never one's own call, and only with a phone to hear it on.

use crate::{Audience, Crm, CrmError, Event, OrgId, Role, User};
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::entities::supervision_log::{self as sl, SupervisionMode};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use telephony::events::{ActiveCall, CallCommand, CallEvent, CallEventKind, CallState, EndCause, SuperviseMode};

/// One supervision stretch, as the wallboard's log shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SupervisionRow {
    pub call_id: String,
    pub supervisor: String,
    pub agent_extension: String,
    /// The agent's name (their extension's user now).
    pub agent: Option<String>,
    pub mode: SupervisionMode,
    pub started_at: DateTime<Utc>,
    pub seconds: i64,
    pub open: bool,
    /// The call: the other party's number, their contact (id and name) when known, and the
    /// queue it came through (its "Why?" page is the call's).
    pub customer: Option<String>,
    pub contact: Option<(i64, String)>,
    pub queue: Option<String>,
}

fn stored(m: SuperviseMode) -> SupervisionMode {
    match m {
        SuperviseMode::Listen => SupervisionMode::Listen,
        SuperviseMode::Whisper => SupervisionMode::Whisper,
        SuperviseMode::Barge => SupervisionMode::Barge,
    }
}

impl Crm {
    fn supervised_call(&self, by: &User, call_id: &str) -> Result<ActiveCall, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        // No telephony on this node: no call is in progress here.
        let Ok(sip) = self.sip() else { return Err(CrmError::NotFound) };
        sip.calls(by.org_id.0).into_iter().find(|c| c.call_id == call_id).ok_or(CrmError::NotFound)
    }

    /// Manager `by` supervises the call in `mode`: their phones ring (answering by themselves
    /// where they can, as the browser phone does) and, answered, join the call. Asked again by
    /// the same manager, it switches the mode.
    pub fn supervise(&self, by: &User, call_id: &str, mode: SuperviseMode) -> Result<(), CrmError> {
        let call = self.supervised_call(by, call_id)?;
        let me = by.extension.as_str();
        let cmd = match &call.supervisor {
            Some(s) if s.extension == me => CallCommand::SupervisionMode { mode },
            Some(_) => return Err(CrmError::invalid("call", "err-supervised-already")),
            None if call.extension.as_deref() == Some(me) => {
                return Err(CrmError::invalid("call", "err-supervise-own"));
            }
            None if call.state != CallState::Talking => {
                return Err(CrmError::invalid("call", "err-supervise-not-talking"));
            }
            None if self.sip()?.location.lookup(by.org_id.0, me).is_empty() => {
                return Err(CrmError::invalid("call", "err-supervise-no-phone"));
            }
            None => CallCommand::Supervise { extension: me.to_string(), mode },
        };
        self.sip()?.command(by.org_id.0, call_id, cmd).map_err(super::refused)
    }

    /// The supervisor leaves the call (their phone is hung up).
    pub fn supervision_end(&self, by: &User, call_id: &str) -> Result<(), CrmError> {
        let call = self.supervised_call(by, call_id)?;
        if call.supervisor.as_ref().is_none_or(|s| s.extension != by.extension.as_str()) {
            return Err(CrmError::NotFound);
        }
        self.sip()?.command(by.org_id.0, call_id, CallCommand::SupervisionEnd).map_err(super::refused)
    }

    /// The log learns of a supervisor joining, switching or leaving (and of the call's end,
    /// which closes a stretch left open); managers' pages hear of it.
    pub(crate) async fn log_supervision_event(
        &self,
        db: &impl ConnectionTrait,
        ev: &CallEvent,
    ) -> Result<bool, CrmError> {
        let (org, call) = (OrgId(ev.call.tenant), &ev.call);
        let opens = match &ev.kind {
            CallEventKind::Supervised { supervisor, mode } => Some((supervisor, *mode)),
            CallEventKind::SupervisionEnded { .. } => None,
            // A call ends after its supervision did; only a call still naming a supervisor
            // (its task stopped short) has a stretch to close.
            CallEventKind::Ended { .. } if call.supervisor.is_some() => None,
            // A call closed after a crash: whatever stretch it left open.
            CallEventKind::Ended { cause: EndCause::Interrupted } => None,
            _ => return Ok(false),
        };
        let open = sl::Entity::find()
            .filter(sl::Column::OrgId.eq(org.0))
            .filter(sl::Column::CallId.eq(call.call_id.as_str()))
            .filter(sl::Column::EndedAt.is_null())
            .all(db)
            .await?;
        let closed_some = !open.is_empty();
        for row in open {
            let mut am: sl::ActiveModel = row.into();
            am.ended_at = Set(Some(ev.at));
            am.update(db).await?;
        }
        if let Some((ext, mode)) = opens {
            let routing = self.routing().await?;
            sl::ActiveModel {
                org_id: Set(org.0),
                call_id: Set(call.call_id.clone()),
                supervisor_id: Set(routing.extensions.get(&(org.0, ext.clone())).copied()),
                supervisor_extension: Set(ext.clone()),
                agent_extension: Set(call.extension.clone().unwrap_or_default()),
                mode: Set(stored(mode)),
                started_at: Set(ev.at),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        Ok(opens.is_some() || closed_some)
    }

    /// Managers' pages hear that a call's supervision changed.
    pub(crate) async fn supervision_changed(&self, call: &ActiveCall) -> Result<(), CrmError> {
        let data = serde_json::json!({ "call_id": call.call_id, "supervisor": call.supervisor });
        self.publish(Event {
            org_id: OrgId(call.tenant),
            audience: Audience::Role(Role::Manager),
            kind: "supervision".into(),
            data,
        })
        .await
    }

    /// The supervision stretches that started between `from` and `to`, newest first (managers).
    pub async fn supervision_log(
        &self,
        by: &User,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SupervisionRow>, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let users = self.users(by.org_id).await?;
        let names: std::collections::HashMap<i64, &str> =
            users.iter().map(|u| (u.id.0, u.full_name.as_str())).collect();
        let by_ext: std::collections::HashMap<&str, &str> =
            users.iter().map(|u| (u.extension.as_str(), u.full_name.as_str())).collect();
        let now = self.now();
        let rows = sl::Entity::find()
            .filter(sl::Column::OrgId.eq(by.org_id.0))
            .filter(sl::Column::StartedAt.gte(from))
            .filter(sl::Column::StartedAt.lt(to))
            .order_by_desc(sl::Column::StartedAt)
            .all(self.db())
            .await?;
        // Which call each was: the agent's row in the call log, the queue it was answered from.
        let ids: Vec<String> = rows.iter().map(|r| r.call_id.clone()).collect();
        let logged = store::entities::call_log::Entity::find()
            .filter(store::entities::call_log::Column::OrgId.eq(by.org_id.0))
            .filter(store::entities::call_log::Column::CallId.is_in(ids.clone()))
            .all(self.db())
            .await?;
        let connects = store::entities::queue_event::Entity::find()
            .filter(store::entities::queue_event::Column::OrgId.eq(by.org_id.0))
            .filter(store::entities::queue_event::Column::CallId.is_in(ids))
            .filter(
                store::entities::queue_event::Column::Kind.eq(store::entities::queue_event::QueueEventKind::Connect),
            )
            .all(self.db())
            .await?;
        let queues: std::collections::HashMap<i64, String> =
            self.queue_confs(by.org_id).await?.into_iter().map(|c| (c.queue.id, c.queue.name)).collect();
        let mut contacts: std::collections::HashMap<i64, String> = Default::default();
        for id in logged.iter().filter_map(|l| l.contact_id) {
            if let std::collections::hash_map::Entry::Vacant(e) = contacts.entry(id)
                && let Ok(c) = self.contact(by.org_id, crate::ContactId(id)).await
            {
                e.insert(c.name());
            }
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let row = logged.iter().find(|l| l.call_id == r.call_id && l.extension == r.agent_extension);
                let contact = row.and_then(|l| l.contact_id).and_then(|id| contacts.get(&id).map(|n| (id, n.clone())));
                let queue =
                    connects.iter().find(|e| e.call_id == r.call_id).and_then(|e| queues.get(&e.queue_id).cloned());
                (r, row.map(|l| l.number.clone()), contact, queue)
            })
            .map(|(r, customer, contact, queue)| SupervisionRow {
                customer,
                contact,
                queue,
                supervisor: r
                    .supervisor_id
                    .and_then(|id| names.get(&id).map(|n| n.to_string()))
                    .unwrap_or(r.supervisor_extension),
                agent: by_ext.get(r.agent_extension.as_str()).map(|n| n.to_string()),
                seconds: (r.ended_at.unwrap_or(now) - r.started_at).num_seconds().max(0),
                open: r.ended_at.is_none(),
                call_id: r.call_id,
                agent_extension: r.agent_extension,
                mode: r.mode,
                started_at: r.started_at,
            })
            .collect())
    }
}
