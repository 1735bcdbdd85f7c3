//! Statistics of missed calls for a period (by the latest miss): each row's last status, and
//! how rows left the list.

use super::{MissedFilter, MissedView};
use crate::{Crm, CrmError, OrgId};
use serde::Serialize;
use store::entities::missed_call::{self as mc, LastAction, MissedState};
use store::sea_orm::QuerySelect;
use store::sea_orm::sea_query::{Expr, ExprTrait};

/// What was last done about a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LastStatus {
    /// A callback from the row was answered (long enough).
    CalledBack,
    SmsSent,
    /// Called back without success.
    Tried,
    NeverTried,
}

impl LastStatus {
    pub const ALL: [LastStatus; 4] =
        [LastStatus::CalledBack, LastStatus::SmsSent, LastStatus::Tried, LastStatus::NeverTried];

    /// The row's `last_action` for this status.
    pub fn action(self) -> LastAction {
        match self {
            LastStatus::CalledBack => LastAction::CallbackOk,
            LastStatus::SmsSent => LastAction::Sms,
            LastStatus::Tried => LastAction::CallbackFailed,
            LastStatus::NeverTried => LastAction::None,
        }
    }

    pub fn from_action(a: LastAction) -> LastStatus {
        LastStatus::ALL.into_iter().find(|s| s.action() == a).unwrap_or(LastStatus::NeverTried)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LastStatus::CalledBack => "called_back",
            LastStatus::SmsSent => "sms_sent",
            LastStatus::Tried => "tried",
            LastStatus::NeverTried => "never_tried",
        }
    }

    pub fn parse(s: &str) -> Option<LastStatus> {
        LastStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MissedStats {
    /// Rows by last status, in `LastStatus::ALL` order.
    pub by_status: Vec<(LastStatus, u64)>,
    /// Removed automatically (the caller got through, a callback was answered, retention).
    pub removed: u64,
    /// Hidden by hand.
    pub hidden: u64,
    /// Still listed.
    pub listed: u64,
}

impl Crm {
    /// Counts for the rows whose latest miss falls in the filter's period.
    pub async fn missed_stats(&self, org: OrgId, period: &MissedFilter) -> Result<MissedStats, CrmError> {
        let f = MissedFilter { view: MissedView::All, status: None, ..period.clone() };
        let group = |col: mc::Column| {
            Self::filtered(org, &f)
                .select_only()
                .column(col)
                .column_as(Expr::col(mc::Column::Id).count(), "n")
                .group_by(col)
                .into_tuple::<(String, i64)>()
        };
        let by_action = group(mc::Column::LastAction).all(self.db()).await?;
        let by_state = group(mc::Column::State).all(self.db()).await?;
        let count = |v: &[(String, i64)], k: &str| v.iter().filter(|(a, _)| a == k).map(|(_, n)| *n as u64).sum();
        Ok(MissedStats {
            by_status: LastStatus::ALL.into_iter().map(|s| (s, count(&by_action, s.action().as_str()))).collect(),
            removed: count(&by_state, MissedState::Removed.as_str()),
            hidden: count(&by_state, MissedState::Hidden.as_str()),
            listed: count(&by_state, MissedState::Visible.as_str()),
        })
    }
}
