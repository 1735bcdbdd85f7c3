//! Campaigns: a name, a kind (inbound, outbound, mixed), a process, whether it is active, shown,
//! and whether its agents may add cases; the agents assigned and each one's successes (their
//! cases that reached a closing status).

use crate::{Crm, CrmError, OrgId, User, UserId};
use serde::{Deserialize, Serialize};
use store::entities::{campaign, campaign_agent as ca, case, process_status as ps};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

pub use store::entities::campaign::CampaignKind;

#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub kind: CampaignKind,
    pub process_id: i64,
    pub active: bool,
    pub agents_may_add: bool,
    pub shown: bool,
    pub agents: Vec<i64>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct CampaignIn {
    pub name: String,
    pub kind: String,
    pub process_id: i64,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub agents_may_add: bool,
    #[serde(default)]
    pub shown: bool,
    #[serde(default)]
    pub agents: Vec<i64>,
}

impl Crm {
    pub async fn campaigns(&self, org: OrgId) -> Result<Vec<Campaign>, CrmError> {
        let agents = ca::Entity::find().filter(ca::Column::OrgId.eq(org.0)).all(self.db()).await?;
        Ok(campaign::Entity::find()
            .filter(campaign::Column::OrgId.eq(org.0))
            .order_by_asc(campaign::Column::Name)
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| Campaign {
                agents: agents.iter().filter(|a| a.campaign_id == c.id).map(|a| a.user_id).collect(),
                id: c.id,
                name: c.name,
                kind: c.kind,
                process_id: c.process_id,
                active: c.active,
                agents_may_add: c.agents_may_add,
                shown: c.shown,
            })
            .collect())
    }

    pub async fn campaign(&self, org: OrgId, id: i64) -> Result<Campaign, CrmError> {
        self.campaigns(org).await?.into_iter().find(|c| c.id == id).ok_or(CrmError::NotFound)
    }

    /// Creates or changes a campaign (managers).
    pub async fn save_campaign(&self, by: &User, id: Option<i64>, c: CampaignIn) -> Result<Campaign, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let org = by.org_id;
        if let Some(id) = id {
            self.campaign(org, id).await?;
        }
        let mut checks = crate::error::Checks::default();
        let name = c.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            checks.push("name", "err-campaign-name");
        }
        let kind = CampaignKind::parse(&c.kind);
        if kind.is_none() {
            checks.push("kind", "err-campaign-kind");
        }
        if self.process(org, c.process_id).await.is_err() {
            checks.push("process_id", "err-campaign-process");
        }
        let users = self.users(org).await?;
        if c.agents.iter().any(|a| !users.iter().any(|u| u.id.0 == *a)) {
            checks.push("agents", "err-campaign-agents");
        }
        checks.finish()?;
        let Some(kind) = kind else { return Err(CrmError::invalid("kind", "err-campaign-kind")) };
        let txn = self.store.write().await?;
        let row = campaign::ActiveModel {
            org_id: Set(org.0),
            name: Set(name.into()),
            kind: Set(kind),
            process_id: Set(c.process_id),
            active: Set(c.active),
            agents_may_add: Set(c.agents_may_add),
            shown: Set(c.shown),
            created_at: Set(self.now()),
            ..Default::default()
        };
        let cid = match id {
            None => row.insert(&txn).await?.id,
            Some(id) => {
                let mut am = row;
                am.id = Set(id);
                am.created_at = store::sea_orm::ActiveValue::NotSet;
                am.update(&txn).await?;
                id
            }
        };
        ca::Entity::delete_many().filter(ca::Column::CampaignId.eq(cid)).exec(&txn).await?;
        let mut agents = c.agents.clone();
        agents.sort();
        agents.dedup();
        for a in agents {
            ca::ActiveModel { campaign_id: Set(cid), user_id: Set(a), org_id: Set(org.0) }.insert(&txn).await?;
        }
        txn.commit().await?;
        self.campaign(org, cid).await
    }

    /// Each assigned agent's successes: their cases in the campaign that reached a closing status.
    pub async fn campaign_successes(&self, org: OrgId, id: i64) -> Result<Vec<(UserId, u64)>, CrmError> {
        let c = self.campaign(org, id).await?;
        let closing: Vec<i64> = ps::Entity::find()
            .filter(ps::Column::OrgId.eq(org.0))
            .filter(ps::Column::ProcessId.eq(c.process_id))
            .filter(ps::Column::Closing.eq(true))
            .all(self.db())
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        let mut out = vec![];
        for a in c.agents {
            let n = case::Entity::find()
                .filter(case::Column::OrgId.eq(org.0))
                .filter(case::Column::CampaignId.eq(id))
                .filter(case::Column::AssigneeId.eq(a))
                .filter(case::Column::StatusId.is_in(closing.clone()))
                .count(self.db())
                .await?;
            out.push((UserId(a), n));
        }
        Ok(out)
    }

    /// Whether `user` may create cases in the campaign: managers always; agents when assigned,
    /// and the campaign is active and lets its agents add.
    pub(crate) fn may_add_cases(user: &User, c: &Campaign) -> bool {
        user.is_manager() || (c.active && c.agents_may_add && c.agents.contains(&user.id.0))
    }
}
