//! The automatic dialer's side of the call lists: each list's dialing mode; numbers taken for
//! the dialer by the same pick as "next number" (the list's rules at that moment, the
//! do-not-call list, blocks, attempts) — held by the dialer, not by an agent, while they ring;
//! what became of each call (no answer and busy go back for a later try, an answered call taken
//! by an agent is theirs to give the outcome, an answered call no agent took within the drop
//! time is abandoned: the information message is its evidence and the number is blocked for the
//! profile's hours); and the abandonment rate over the profile's window, which the pacer keeps
//! under its cap.

use super::compliance::Profile;
use super::dispenser::Want;
use super::{ListNumber, managers};
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use store::entities::{call_list, dialer_call, list_number};
use store::sea_orm::sea_query::{Expr, ExprTrait};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

pub use call_list::DialMode;
pub use dialer_call::{DialResult, Model as DialerCall};

/// The holder of a number the dialer is calling (no user has this id).
pub const DIALER: i64 = 0;
/// A number that rang out or was busy is tried again after this long.
pub const RETRY_AFTER: Duration = Duration::minutes(60);
/// Unanswered calls ring at least this long (the law's minimum in the US and the UK).
pub const MIN_RING: std::time::Duration = std::time::Duration::from_secs(15);
/// An answered call no agent takes within this long is abandoned (TSR, Ofcom: 2 s).
pub const DROP_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// Abandoned calls over a list's window, against its cap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Abandonment {
    pub answered: u64,
    pub abandoned: u64,
    /// Abandoned ÷ answered (0 with nothing answered).
    pub rate: f64,
    /// The profile's cap (3% without a profile) and window.
    pub cap: f64,
    pub window_hours: i64,
}

/// What the dialer's call became, as the telephony reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    NoAnswer,
    Busy,
    Failed,
}

impl Crm {
    /// Managers choose how a list is dialled.
    pub async fn set_dial_mode(&self, by: &User, list: i64, mode: DialMode) -> Result<(), CrmError> {
        managers(by)?;
        let l = self.call_list(by.org_id, list).await?;
        let mut am: call_list::ActiveModel = l.into();
        am.dial_mode = Set(mode);
        am.update(self.db()).await?;
        Ok(())
    }

    /// Takes up to `n` numbers of `list` for the dialer to call now: the same pick as "next
    /// number" among numbers assigned to nobody (in `cats` when some: the categories the free
    /// agents may take); each gets its dialer call, placed now.
    pub async fn dialer_take(
        &self,
        org: OrgId,
        list: i64,
        n: u32,
        cats: &[i64],
    ) -> Result<Vec<(DialerCall, ListNumber)>, CrmError> {
        let l = self.call_list(org, list).await?;
        let now = self.now();
        let want = Want { holder: DIALER, cats: cats.to_vec(), lists: Some(vec![l.id]) };
        let mut out = vec![];
        for number in self.dispense(org, vec![want; n as usize], now).await?.into_iter().flatten() {
            let call = dialer_call::ActiveModel {
                org_id: Set(org.0),
                list_id: Set(l.id),
                number_id: Set(number.id),
                number: Set(number.number.clone()),
                placed_at: Set(now),
                result: Set(DialResult::Dialing),
                ..Default::default()
            }
            .insert(self.db())
            .await?;
            out.push((call, number));
        }
        Ok(out)
    }

    async fn dialer_call(&self, org: OrgId, id: i64) -> Result<DialerCall, CrmError> {
        dialer_call::Entity::find_by_id(id)
            .filter(dialer_call::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    /// The telephony's call id of a dialer's call, once placed.
    pub async fn dialer_placed(&self, org: OrgId, id: i64, call_id: &str) -> Result<(), CrmError> {
        let mut am: dialer_call::ActiveModel = self.dialer_call(org, id).await?.into();
        am.call_id = Set(Some(call_id.to_string()));
        am.update(self.db()).await?;
        Ok(())
    }

    /// The callee answered.
    pub async fn dialer_answered(&self, org: OrgId, id: i64) -> Result<(), CrmError> {
        let mut am: dialer_call::ActiveModel = self.dialer_call(org, id).await?.into();
        am.answered_at = Set(Some(self.now()));
        am.update(self.db()).await?;
        Ok(())
    }

    /// An agent took the answered call: the number (its id returned) is theirs now, to give its
    /// outcome.
    pub async fn dialer_connected(&self, org: OrgId, id: i64, agent: &User) -> Result<i64, CrmError> {
        let call = self.dialer_call(org, id).await?;
        let now = self.now();
        let txn = self.store.write().await?;
        list_number::Entity::update_many()
            .col_expr(list_number::Column::LeasedBy, Expr::value(agent.id.0))
            .col_expr(list_number::Column::LeasedAt, Expr::value(now))
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::Id.eq(call.number_id))
            .exec(&txn)
            .await?;
        let number = call.number_id;
        let mut am: dialer_call::ActiveModel = call.into();
        am.connected_at = Set(Some(now));
        am.agent_id = Set(Some(agent.id.0));
        am.result = Set(DialResult::Connected);
        am.update(&txn).await?;
        txn.commit().await?;
        Ok(number)
    }

    /// An answered call no agent took within the drop time: the information message began at
    /// `message_at`; the number is given back blocked for its profile's hours (at least until
    /// tomorrow's try), and the call counts as abandoned. `offered`: the agent it was given to,
    /// whose phone did not take it in time (kept as evidence).
    pub async fn dialer_abandoned(
        &self,
        org: OrgId,
        id: i64,
        message_at: DateTime<Utc>,
        offered: Option<&User>,
    ) -> Result<(), CrmError> {
        let call = self.dialer_call(org, id).await?;
        let now = self.now();
        let hours = self.profile_of(org, call.list_id).await?.map_or(0, |p| p.block_after_abandon_hours);
        self.give_back_from_dialer(org, &call, now + RETRY_AFTER).await?;
        if hours > 0 {
            self.block_number(org, &call.number, now + Duration::hours(i64::from(hours))).await?;
        }
        let mut am: dialer_call::ActiveModel = call.into();
        am.message_at = Set(Some(message_at));
        am.ended_at = Set(Some(now));
        am.result = Set(DialResult::Abandoned);
        am.agent_id = Set(offered.map(|u| u.id.0));
        am.update(self.db()).await?;
        Ok(())
    }

    /// The call ended unanswered (no answer, busy, failed): the number goes back for a later try.
    pub async fn dialer_unanswered(&self, org: OrgId, id: i64, how: Settled) -> Result<(), CrmError> {
        let call = self.dialer_call(org, id).await?;
        let now = self.now();
        self.give_back_from_dialer(org, &call, now + RETRY_AFTER).await?;
        let mut am: dialer_call::ActiveModel = call.into();
        am.ended_at = Set(Some(now));
        am.result = Set(match how {
            Settled::NoAnswer => DialResult::NoAnswer,
            Settled::Busy => DialResult::Busy,
            Settled::Failed => DialResult::Failed,
        });
        am.update(self.db()).await?;
        Ok(())
    }

    /// A connected call ended.
    pub async fn dialer_ended(&self, org: OrgId, id: i64) -> Result<(), CrmError> {
        let mut am: dialer_call::ActiveModel = self.dialer_call(org, id).await?.into();
        am.ended_at = Set(Some(self.now()));
        am.update(self.db()).await?;
        Ok(())
    }

    /// The number of a dialer's call back from the dialer, one attempt more, not before `at`.
    async fn give_back_from_dialer(&self, org: OrgId, call: &DialerCall, at: DateTime<Utc>) -> Result<(), CrmError> {
        list_number::Entity::update_many()
            .col_expr(list_number::Column::LeasedBy, Expr::value(Option::<i64>::None))
            .col_expr(list_number::Column::LeasedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(list_number::Column::NextCallAt, Expr::value(at))
            .col_expr(list_number::Column::Attempts, Expr::col(list_number::Column::Attempts).add(1))
            .col_expr(list_number::Column::ModifiedAt, Expr::value(self.now()))
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::Id.eq(call.number_id))
            .filter(list_number::Column::LeasedBy.eq(DIALER))
            .exec(self.db())
            .await?;
        Ok(())
    }

    async fn profile_of(&self, org: OrgId, list: i64) -> Result<Option<Profile>, CrmError> {
        let l = self.call_list(org, list).await?;
        Ok(match l.profile_id {
            Some(p) => self.compliance_profiles(org).await?.into_iter().find(|x| x.id == p),
            None => None,
        })
    }

    /// Abandoned and answered calls of `list` over its profile's window (30 days without one).
    pub async fn abandonment(&self, org: OrgId, list: i64) -> Result<Abandonment, CrmError> {
        let profile = self.profile_of(org, list).await?;
        let (cap, window_hours) = profile
            .as_ref()
            .map_or((0.03, 720), |p| (f64::from(p.abandon_cap_permille) / 1000.0, i64::from(p.abandon_window_hours)));
        let since = self.now() - Duration::hours(window_hours);
        let base = || {
            dialer_call::Entity::find()
                .filter(dialer_call::Column::OrgId.eq(org.0))
                .filter(dialer_call::Column::ListId.eq(list))
                .filter(dialer_call::Column::PlacedAt.gte(since))
        };
        let answered = base().filter(dialer_call::Column::AnsweredAt.is_not_null()).count(self.db()).await?;
        let abandoned = base().filter(dialer_call::Column::Result.eq(DialResult::Abandoned)).count(self.db()).await?;
        let rate = if answered == 0 { 0.0 } else { abandoned as f64 / answered as f64 };
        Ok(Abandonment { answered, abandoned, rate, cap, window_hours })
    }

    /// The dialer's calls of `list` placed since `since`, oldest first (the pacer's history and
    /// the evidence of abandoned calls).
    pub async fn dialer_calls(&self, org: OrgId, list: i64, since: DateTime<Utc>) -> Result<Vec<DialerCall>, CrmError> {
        Ok(dialer_call::Entity::find()
            .filter(dialer_call::Column::OrgId.eq(org.0))
            .filter(dialer_call::Column::ListId.eq(list))
            .filter(dialer_call::Column::PlacedAt.gte(since))
            .order_by_asc(dialer_call::Column::Id)
            .all(self.db())
            .await?)
    }
}
