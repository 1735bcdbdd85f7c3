//! The call log: one row per call and user (extension) that took part, written from the call
//! events — who rang, who answered, for how long, the recording — with the contact matched by
//! number. Each user sees their own log; it feeds the shift statistics.

use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::entities::call_log as cl;
pub use store::entities::call_log::{CallKind, EndReason};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use telephony::events::{CallEvent, CallEventKind, Direction, EndCause};

#[derive(Debug, Clone, Serialize)]
pub struct LoggedCall {
    pub id: i64,
    pub call_id: String,
    pub kind: CallKind,
    /// The user's extension on the call; empty for a call that rang nobody (a caller who left a
    /// queue, or was refused by it, before any agent was rung).
    pub extension: String,
    pub number: String,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub talk_seconds: i32,
    pub recording: bool,
    /// How the user's part ended (none while it goes on).
    pub end: Option<EndReason>,
}

#[derive(Debug, Clone, Default)]
pub struct CallLogFilter {
    pub kind: Option<CallKind>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u64,
    /// Every call of the organization, not only the user's (managers).
    pub everyone: bool,
}

impl Crm {
    /// Records what a call event says in the log of each user on the call.
    pub(crate) async fn log_call_event(&self, db: &impl ConnectionTrait, ev: &CallEvent) -> Result<(), CrmError> {
        let org = OrgId(ev.call.tenant);
        match &ev.kind {
            CallEventKind::Ringing => {
                for (ext, kind, number) in self.parties(ev).await? {
                    self.log_row(db, org, ev, &ext, kind, &number).await?;
                }
            }
            CallEventKind::Answered => {
                for (ext, kind, number) in self.parties(ev).await? {
                    let row = self.log_row(db, org, ev, &ext, kind, &number).await?;
                    let answering = ev.call.extension.as_deref() == Some(ext.as_str()) || kind == CallKind::Outgoing;
                    if answering && row.answered_at.is_none() {
                        let mut am: cl::ActiveModel = row.into();
                        am.answered_at = Set(Some(ev.at));
                        am.update(db).await?;
                    }
                }
            }
            CallEventKind::Transferred { .. } => {
                // The call goes on with another extension: the others' part ends here.
                for row in open_rows_of(db, org, &ev.call.call_id).await? {
                    if Some(row.extension.as_str()) != ev.call.extension.as_deref() && row.answered_at.is_some() {
                        close(db, row, ev.at, EndReason::Transferred, &ev.call.from).await?;
                    }
                }
                if let Some(ext) = &ev.call.extension {
                    let number = if ev.call.direction == Direction::Outbound { &ev.call.to } else { &ev.call.from };
                    let kind =
                        if ev.call.direction == Direction::Internal { CallKind::Internal } else { CallKind::Incoming };
                    let row = self.log_row(db, org, ev, ext, kind, number).await?;
                    if row.answered_at.is_none() {
                        let mut am: cl::ActiveModel = row.into();
                        am.answered_at = Set(Some(ev.at));
                        am.update(db).await?;
                    }
                }
            }
            CallEventKind::RecordingStopped { path } => {
                for row in open_rows_of(db, org, &ev.call.call_id).await? {
                    let mut am: cl::ActiveModel = row.into();
                    am.recording = Set(Some(path.clone()));
                    am.update(db).await?;
                }
            }
            CallEventKind::Ended { cause } => {
                let mut rows = open_rows_of(db, org, &ev.call.call_id).await?;
                if rows.is_empty() {
                    // A call that never rang (refused at once) still belongs in the log.
                    for (ext, kind, number) in self.parties(ev).await? {
                        self.log_row(db, org, ev, &ext, kind, &number).await?;
                    }
                    rows = open_rows_of(db, org, &ev.call.call_id).await?;
                }
                if rows.is_empty() && ev.call.direction == Direction::Inbound {
                    // A customer's call that rang nobody (left a queue, refused by it, or asked to
                    // be called back before any agent was rung) is the organization's: logged
                    // without a user, for managers, the contact's card and the reports.
                    self.log_row(db, org, ev, "", CallKind::Incoming, &ev.call.from).await?;
                    rows = open_rows_of(db, org, &ev.call.call_id).await?;
                }
                let anyone = rows.iter().any(|r| r.answered_at.is_some());
                for row in rows {
                    if anyone && row.answered_at.is_none() && row.kind != CallKind::Outgoing {
                        // Rung but answered by someone else: not this user's call.
                        cl::Entity::delete_by_id(row.id).exec(db).await?;
                        continue;
                    }
                    let cause = match cause {
                        EndCause::Answered => EndReason::Answered,
                        EndCause::Busy => EndReason::Busy,
                        EndCause::NoAnswer => EndReason::NoAnswer,
                        EndCause::Cancelled => EndReason::Cancelled,
                        EndCause::Failed => EndReason::Failed,
                        EndCause::AgentGone => EndReason::AgentGone,
                        EndCause::Interrupted => EndReason::Interrupted,
                        EndCause::CallbackRequested => EndReason::CallbackRequested,
                    };
                    close(db, row, ev.at, cause, &ev.call.from).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The organization's extensions on the call, with what the call is for each and the other
    /// party's number.
    async fn parties(&self, ev: &CallEvent) -> Result<Vec<(String, CallKind, String)>, CrmError> {
        let routing = self.routing().await?;
        let is_ext = |n: &str| routing.extensions.contains_key(&(ev.call.tenant, n.to_string()));
        let mut ringing = ev.call.ringing.clone();
        if let Some(e) = &ev.call.extension {
            ringing.push(e.clone());
        }
        ringing.sort();
        ringing.dedup();
        let mut out = vec![];
        // An echo test: the user's test call, whichever way it was placed.
        let echo = telephony::ECHO_EXTENSION;
        if ev.call.direction == Direction::Internal && (ev.call.from == echo || ev.call.to == echo) {
            let user = if ev.call.from == echo { ringing.into_iter().next() } else { Some(ev.call.from.clone()) };
            out.extend(user.filter(|u| is_ext(u)).map(|u| (u, CallKind::Test, echo.to_string())));
            return Ok(out);
        }
        match ev.call.direction {
            Direction::Inbound => {
                out.extend(ringing.into_iter().map(|e| (e, CallKind::Incoming, ev.call.from.clone())))
            }
            Direction::Outbound => {
                let caller = ev.call.extension.clone().unwrap_or_else(|| ev.call.from.clone());
                if is_ext(&caller) {
                    out.push((caller, CallKind::Outgoing, ev.call.to.clone()));
                }
            }
            Direction::Internal => {
                if is_ext(&ev.call.from) {
                    out.push((ev.call.from.clone(), CallKind::Internal, ev.call.to.clone()));
                }
                for e in ringing.into_iter().filter(|e| *e != ev.call.from) {
                    out.push((e, CallKind::Internal, ev.call.from.clone()));
                }
            }
        }
        Ok(out)
    }

    /// The user's row of the call, made when missing.
    async fn log_row(
        &self,
        db: &impl ConnectionTrait,
        org: OrgId,
        ev: &CallEvent,
        ext: &str,
        kind: CallKind,
        number: &str,
    ) -> Result<cl::Model, CrmError> {
        let found = cl::Entity::find()
            .filter(cl::Column::OrgId.eq(org.0))
            .filter(cl::Column::CallId.eq(ev.call.call_id.as_str()))
            .filter(cl::Column::Extension.eq(ext))
            .one(db)
            .await?;
        if let Some(r) = found {
            return Ok(r);
        }
        let routing = self.routing().await?;
        let user_id = routing.extensions.get(&(org.0, ext.to_string())).copied();
        // A test call keeps the echo's number as dialled (*43); others are numbers.
        let number = if kind == CallKind::Test { number.to_string() } else { crate::sip::trunks::digits(number) };
        let country = match routing.countries.get(&org.0) {
            Some(c) => c.clone(),
            None => self.org(org).await?.default_country,
        };
        let contact = self.contacts_for_number(org, &country, &number).await?.1.into_iter().next();
        let row = cl::ActiveModel {
            org_id: Set(org.0),
            call_id: Set(ev.call.call_id.clone()),
            user_id: Set(user_id),
            extension: Set(ext.into()),
            kind: Set(kind),
            number: Set(number),
            contact_id: Set(contact.map(|c| c.id.0)),
            // A queue call starts when its caller entered the queue: the wait is part of it.
            started_at: Set(ev.call.queued_at.filter(|q| *q < ev.at).unwrap_or(ev.at)),
            answered_at: Set(None),
            ended_at: Set(None),
            talk_seconds: Set(0),
            end_cause: Set(None),
            recording: Set(None),
            ..Default::default()
        };
        // One node writes a call's events, in order, one transaction each: nobody else
        // writes this row.
        Ok(row.insert(db).await?)
    }

    /// The user's calls, latest first (a manager's `everyone`: the organization's).
    pub async fn call_log(&self, user: &User, f: &CallLogFilter) -> Result<Vec<LoggedCall>, CrmError> {
        let mut q = cl::Entity::find().filter(cl::Column::OrgId.eq(user.org_id.0));
        if !(f.everyone && user.is_manager()) {
            q = q.filter(cl::Column::UserId.eq(user.id.0));
        }
        if let Some(k) = f.kind {
            q = q.filter(cl::Column::Kind.eq(k.as_str()));
        }
        if let Some(from) = f.from {
            q = q.filter(cl::Column::StartedAt.gte(from));
        }
        if let Some(to) = f.to {
            q = q.filter(cl::Column::StartedAt.lt(to));
        }
        let rows = q.order_by_desc(cl::Column::StartedAt).limit(f.limit.clamp(1, 1000)).all(self.db()).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut names: std::collections::HashMap<i64, String> = Default::default();
        for r in rows {
            let contact_name = match r.contact_id {
                Some(id) => match names.get(&id) {
                    Some(n) => Some(n.clone()),
                    None => {
                        let n = self.contact(user.org_id, crate::ContactId(id)).await.ok().map(|c| c.name());
                        if let Some(n) = &n {
                            names.insert(id, n.clone());
                        }
                        n
                    }
                },
                None => None,
            };
            out.push(LoggedCall {
                id: r.id,
                call_id: r.call_id,
                kind: r.kind,
                extension: r.extension,
                number: r.number,
                contact_id: r.contact_id,
                contact_name,
                started_at: r.started_at,
                answered_at: r.answered_at,
                ended_at: r.ended_at,
                talk_seconds: r.talk_seconds,
                recording: r.recording.is_some(),
                end: r.end_cause,
            });
        }
        Ok(out)
    }

    /// The calls of a contact, every user's (latest first): the contact card's history.
    pub async fn contact_calls(
        &self,
        org: OrgId,
        contact_id: crate::ContactId,
        limit: u64,
    ) -> Result<Vec<(cl::Model, Option<String>)>, CrmError> {
        let rows = cl::Entity::find()
            .filter(cl::Column::OrgId.eq(org.0))
            .filter(cl::Column::ContactId.eq(contact_id))
            .order_by_desc(cl::Column::StartedAt)
            .limit(limit)
            .all(self.db())
            .await?;
        let users = self.users(org).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let who = users.iter().find(|u| Some(u.id.0) == r.user_id).map(|u| u.full_name.clone());
                (r, who)
            })
            .collect())
    }

    /// The file of a recording in the user's log (managers: any of the organization's).
    pub async fn call_recording(&self, user: &User, id: i64) -> Result<std::path::PathBuf, CrmError> {
        let r = cl::Entity::find_by_id(id)
            .filter(cl::Column::OrgId.eq(user.org_id.0))
            .one(self.db())
            .await?
            .filter(|r| user.is_manager() || r.user_id == Some(user.id.0))
            .ok_or(CrmError::NotFound)?;
        r.recording.map(Into::into).ok_or(CrmError::NotFound)
    }

    /// The rows of the user's calls that started in [from, to) (for statistics).
    pub(crate) async fn call_rows(
        &self,
        user: &User,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<cl::Model>, CrmError> {
        Ok(cl::Entity::find()
            .filter(cl::Column::OrgId.eq(user.org_id.0))
            .filter(cl::Column::UserId.eq(user.id.0))
            .filter(cl::Column::StartedAt.gte(from))
            .filter(cl::Column::StartedAt.lt(to))
            .all(self.db())
            .await?)
    }
}

async fn open_rows_of(db: &impl ConnectionTrait, org: OrgId, call_id: &str) -> Result<Vec<cl::Model>, CrmError> {
    Ok(cl::Entity::find()
        .filter(cl::Column::OrgId.eq(org.0))
        .filter(cl::Column::CallId.eq(call_id))
        .filter(cl::Column::EndedAt.is_null())
        .all(db)
        .await?)
}

/// Ends a row; a call rung at the user (not placed by them) and never answered is missed.
async fn close(
    db: &impl ConnectionTrait,
    row: cl::Model,
    at: DateTime<Utc>,
    cause: EndReason,
    caller: &str,
) -> Result<(), CrmError> {
    let talk = row.answered_at.map(|a| (at - a).num_seconds().max(0)).unwrap_or(0);
    let missed = row.answered_at.is_none()
        && matches!(row.kind, CallKind::Incoming | CallKind::Internal)
        && row.extension != caller;
    let mut am: cl::ActiveModel = row.into();
    am.ended_at = Set(Some(at));
    am.talk_seconds = Set(i32::try_from(talk).unwrap_or(i32::MAX));
    am.end_cause = Set(Some(cause));
    if missed {
        am.kind = Set(CallKind::Missed);
    }
    am.update(db).await?;
    Ok(())
}
