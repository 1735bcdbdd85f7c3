//! Acting on a row: calling the caller back and sending an SMS. Only these actions count in a
//! row's history (calls made some other way do not, as in the manual). A callback's result
//! comes from its call events; answered and at least as long as the organization's minimum,
//! it removes the row (`RemovalCause::CallbackAnswered`).

use super::{MissedCall, MissedStep, missed_row, remove_rows, step};
use crate::{Crm, CrmError, OrgId, User};
use store::entities::missed_call::{self as mc, LastAction, MissedState, RemovalCause};
use store::entities::missed_call_history::{self as mh, StepKind, StepResult};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use telephony::events::{CallEvent, CallEventKind, EndCause};

/// The longest SMS text accepted from a row.
const SMS_MAX: usize = 1000;

impl Crm {
    /// Calls the row's caller from the user's phone (click-to-call), presenting `caller_id` (one
    /// of the organization's numbers) or the route's default; the attempt goes into the history.
    pub async fn missed_callback(&self, user: &User, id: i64, caller_id: Option<&str>) -> Result<String, CrmError> {
        let row = self.missed_row(user.org_id, id).await?;
        if row.state == MissedState::Removed {
            return Err(CrmError::Conflict(crate::FieldError { field: "state", code: "err-missed-state" }));
        }
        // The attempt is in the history, with its call id, before anything rings: the call's
        // events find it however fast they come.
        let call_id = telephony::new_call_id();
        let txn = self.store.write().await?;
        let s = step(&txn, user.org_id, id, self.now(), StepKind::Callback, Some(user.id.0), &row.caller).await?;
        let step_id = s.id;
        let mut am: mh::ActiveModel = s.into();
        am.call_id = Set(Some(call_id.clone()));
        am.update(&txn).await?;
        txn.commit().await?;
        if let Err(e) = self.click_to_call_as(user, &row.caller, caller_id, Some(call_id.clone())).await {
            mh::Entity::delete_by_id(step_id).exec(self.db()).await?;
            return Err(e);
        }
        Ok(call_id)
    }

    /// Records an SMS to the row's caller. Until the SMS channel exists the message is only
    /// recorded (`StepResult::Recorded`); the attempt counts all the same.
    pub async fn missed_sms(&self, user: &User, id: i64, text: &str) -> Result<MissedStep, CrmError> {
        let row = self.missed_row(user.org_id, id).await?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > SMS_MAX {
            return Err(CrmError::invalid("text", "err-sms-text"));
        }
        if row.state == MissedState::Removed {
            return Err(CrmError::Conflict(crate::FieldError { field: "state", code: "err-missed-state" }));
        }
        let s = step(self.db(), user.org_id, id, self.now(), StepKind::Sms, Some(user.id.0), text).await?;
        let mut am: mh::ActiveModel = s.into();
        am.result = Set(Some(StepResult::Recorded));
        let s = am.update(self.db()).await?;
        set_last_action(self.db(), row, LastAction::Sms).await?;
        self.missed_changed(user.org_id, None).await?;
        Ok(s.into())
    }

    /// A callback's call was answered or ended: its step gets the result, its row the last
    /// action, and a long enough answered callback removes the row. Written with `db` (the
    /// event's transaction); whether the list changed is returned.
    pub(super) async fn callback_on_call_event(
        &self,
        db: &impl ConnectionTrait,
        ev: &CallEvent,
    ) -> Result<bool, CrmError> {
        // A callback is a call Switchboard placed: never an inbound one.
        if !matches!(ev.kind, CallEventKind::Answered | CallEventKind::Ended { .. })
            || ev.call.direction == telephony::events::Direction::Inbound
        {
            return Ok(false);
        }
        let Some(s) = mh::Entity::find()
            .filter(mh::Column::OrgId.eq(ev.call.tenant))
            .filter(mh::Column::CallId.eq(ev.call.call_id.as_str()))
            .one(db)
            .await?
        else {
            return Ok(false);
        };
        let org = OrgId(ev.call.tenant);
        let row_id = s.missed_call_id;
        let answered_at = s.answered_at;
        let mut am: mh::ActiveModel = s.into();
        let CallEventKind::Ended { cause } = ev.kind else {
            am.answered_at = Set(Some(ev.at));
            am.update(db).await?;
            return Ok(false);
        };
        let result = match cause {
            EndCause::Answered => StepResult::Answered,
            EndCause::Busy => StepResult::Busy,
            EndCause::NoAnswer => StepResult::NoAnswer,
            EndCause::Cancelled | EndCause::CallbackRequested => StepResult::Cancelled,
            EndCause::Failed | EndCause::AgentGone | EndCause::Interrupted => StepResult::Failed,
        };
        let talked = answered_at.map(|a| (ev.at - a).num_seconds()).unwrap_or(0);
        am.result = Set(Some(result));
        am.update(db).await?;
        let min = self.missed_settings(org).await?.min_callback_seconds;
        let success = cause == EndCause::Answered && talked >= i64::from(min);
        let row = missed_row(db, org, row_id).await?;
        let listed = row.state != MissedState::Removed;
        let row =
            set_last_action(db, row, if success { LastAction::CallbackOk } else { LastAction::CallbackFailed }).await?;
        if success && listed {
            let why = format!("a callback was answered and lasted {talked} s");
            remove_rows(db, org, vec![row], RemovalCause::CallbackAnswered, &why, ev.at).await?;
        }
        Ok(true)
    }
}

async fn set_last_action(db: &impl ConnectionTrait, row: mc::Model, action: LastAction) -> Result<mc::Model, CrmError> {
    let mut am: mc::ActiveModel = row.into();
    am.last_action = Set(action);
    Ok(am.update(db).await?)
}

impl MissedCall {
    /// Whether anything can still be done from the row (callback, SMS).
    pub fn actionable(&self) -> bool {
        self.state != MissedState::Removed
    }

    pub fn hidden(&self) -> bool {
        self.state == MissedState::Hidden
    }
}

impl MissedStep {
    /// A miss or a callback: the detail is a number.
    pub fn shows_number(&self) -> bool {
        matches!(self.kind, StepKind::Missed | StepKind::Callback)
    }

    /// A removal: why the row left the list.
    pub fn removal_cause(&self) -> Option<RemovalCause> {
        (self.kind == StepKind::Removed).then(|| RemovalCause::parse(&self.detail)).flatten()
    }
}
