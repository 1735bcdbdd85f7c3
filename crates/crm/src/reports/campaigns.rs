//! Per campaign over a period (seed 004): the cases opened and closed, those still open now,
//! and each agent's successes — their cases closed in the period (a closing status reached, as
//! the campaign page counts them).

use super::Period;
use crate::{Crm, CrmError, User};
use serde::Serialize;
use std::collections::HashMap;
use store::entities::case;
use store::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CampaignRow {
    pub campaign_id: i64,
    pub name: String,
    pub active: bool,
    pub opened: u32,
    pub closed: u32,
    /// Open now (whenever opened).
    pub open_now: u32,
    /// Successes per agent by name, most first.
    pub successes: Vec<(String, u32)>,
}

impl Crm {
    /// Every campaign with cases opened or closed in the period, or open now (managers).
    pub async fn report_campaigns(&self, by: &User, period: Period) -> Result<Vec<CampaignRow>, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        period.check()?;
        let org = by.org_id;
        let (from, to) = self.period_span(org, period).await?;
        let in_period = |c: case::Column| Condition::all().add(c.gte(from)).add(c.lt(to));
        let cases = case::Entity::find()
            .filter(case::Column::OrgId.eq(org.0))
            .filter(
                Condition::any()
                    .add(in_period(case::Column::CreatedAt))
                    .add(in_period(case::Column::ClosedAt))
                    .add(case::Column::ClosedAt.is_null()),
            )
            .all(self.db())
            .await?;
        let names: HashMap<i64, String> = self.users(org).await?.into_iter().map(|u| (u.id.0, u.full_name)).collect();
        let mut rows: Vec<CampaignRow> = Vec::new();
        for c in self.campaigns(org).await? {
            let mine: Vec<&case::Model> = cases.iter().filter(|k| k.campaign_id == c.id).collect();
            let within = |t: chrono::DateTime<chrono::Utc>| t >= from && t < to;
            let mut successes: HashMap<String, u32> = HashMap::new();
            let mut row = CampaignRow { campaign_id: c.id, name: c.name, active: c.active, ..Default::default() };
            for k in &mine {
                row.opened += u32::from(within(k.created_at));
                row.open_now += u32::from(k.closed_at.is_none());
                if k.closed_at.is_some_and(within) {
                    row.closed += 1;
                    if let Some(a) = k.assignee_id {
                        let name = names.get(&a).cloned().unwrap_or_else(|| format!("#{a}"));
                        *successes.entry(name).or_default() += 1;
                    }
                }
            }
            if row.opened + row.closed + row.open_now == 0 {
                continue;
            }
            let mut s: Vec<(String, u32)> = successes.into_iter().collect();
            s.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.to_lowercase().cmp(&b.0.to_lowercase())));
            row.successes = s;
            rows.push(row);
        }
        rows.sort_by_key(|r| r.name.to_lowercase());
        Ok(rows)
    }
}
