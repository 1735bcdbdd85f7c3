//! The first-run checklist of a new organization's administrator (seed 004: set the
//! organization up, build the team, give agents a campaign, connect a phone, bring a carrier's
//! trunk and a number in, make a first call), each step ticked from what exists, never from a
//! flag someone must remember to set.

use crate::{Crm, CrmError, User};
use serde::Serialize;
use store::entities::{call_log, campaign_agent, dial_rule, phone_number, trunk, user};
use store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// One step: its name (a message id), where it is done, and whether it is.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Step {
    pub key: &'static str,
    pub href: &'static str,
    pub done: bool,
}

impl Crm {
    /// Whether `user` is an administrator with steps still to take (their log-in opens
    /// Getting started).
    pub async fn has_first_steps(&self, user: &User) -> Result<bool, CrmError> {
        if !user.is_admin() {
            return Ok(false);
        }
        Ok(self.first_run(user).await?.iter().any(|s| !s.done))
    }

    /// The steps for `admin`'s organization, in the order to take them.
    pub async fn first_run(&self, admin: &User) -> Result<Vec<Step>, CrmError> {
        if !admin.is_admin() {
            return Err(CrmError::Forbidden);
        }
        let org = self.org(admin.org_id).await?;
        let db = self.db();
        let o = admin.org_id.0;
        let users = user::Entity::find().filter(user::Column::OrgId.eq(o)).count(db).await?;
        let staffed = campaign_agent::Entity::find().filter(campaign_agent::Column::OrgId.eq(o)).count(db).await? > 0;
        // A phone of the administrator answered a test call (*43): registered is not enough, it
        // must be heard.
        let phone = call_log::Entity::find()
            .filter(call_log::Column::OrgId.eq(o))
            .filter(call_log::Column::UserId.eq(admin.id.0))
            .filter(call_log::Column::Kind.eq(call_log::CallKind::Test))
            .filter(call_log::Column::AnsweredAt.is_not_null())
            .count(db)
            .await?
            > 0;
        let rules = dial_rule::Entity::find().filter(dial_rule::Column::OrgId.eq(o)).count(db).await?;
        let trunks = trunk::Entity::find().filter(trunk::Column::OrgId.eq(o)).count(db).await?;
        let numbers = phone_number::Entity::find().filter(phone_number::Column::OrgId.eq(o)).count(db).await?;
        let calls = call_log::Entity::find()
            .filter(call_log::Column::OrgId.eq(o))
            .filter(call_log::Column::AnsweredAt.is_not_null())
            .count(db)
            .await?;
        let named = org.name != org.slug && org.name != crate::identity::auth::FIRST_ORG_NAME;
        Ok(vec![
            Step { key: "start-organization", href: "/admin/organization", done: named },
            Step { key: "start-team", href: "/admin/users/new", done: users > 1 },
            Step { key: "start-campaign", href: "/campaigns", done: staffed },
            Step { key: "start-phone", href: "/account#phone-setup", done: phone },
            Step { key: "start-trunk", href: "/admin/telephony#tel-trunks", done: trunks > 0 },
            Step { key: "start-number", href: "/admin/telephony#tel-numbers", done: numbers > 0 },
            Step { key: "start-rules", href: "/admin/telephony#tel-rules", done: rules > 0 },
            Step { key: "start-first-call", href: "/agent", done: calls > 0 },
        ])
    }
}
