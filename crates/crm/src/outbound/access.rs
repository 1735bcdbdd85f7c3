//! What each agent may open of the call lists (seed 003's access settings): sections — calls,
//! inbound billing, outbound billing, dialer — and categories. Managers open everything. An
//! agent nobody set sections for has calls and the dialer; one with no categories set works
//! every category.

use super::managers;
use crate::{Crm, CrmError, OrgId, User, UserId};
use std::collections::HashMap;
use store::entities::{list_agent_category, list_agent_section};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

pub use list_agent_section::Section;

/// The sections of an agent nobody set them for.
pub const DEFAULT_SECTIONS: [Section; 2] = [Section::Calls, Section::Dialer];

fn parse(stored: &str) -> Vec<Section> {
    Section::ALL.iter().copied().filter(|s| stored.split(',').any(|x| x == s.as_str())).collect()
}

impl Crm {
    /// The sections `user` may open.
    pub async fn sections_of(&self, user: &User) -> Result<Vec<Section>, CrmError> {
        if user.is_manager() {
            return Ok(Section::ALL.to_vec());
        }
        Ok(list_agent_section::Entity::find_by_id(user.id.0)
            .filter(list_agent_section::Column::OrgId.eq(user.org_id.0))
            .one(self.db())
            .await?
            .map_or(DEFAULT_SECTIONS.to_vec(), |r| parse(&r.sections)))
    }

    /// Refused unless `user` may open `section`.
    pub async fn require_section(&self, user: &User, section: Section) -> Result<(), CrmError> {
        if self.sections_of(user).await?.contains(&section) { Ok(()) } else { Err(CrmError::Forbidden) }
    }

    /// Every agent's sections set by a manager (an agent missing has the defaults).
    pub async fn agents_sections(&self, org: OrgId) -> Result<HashMap<i64, Vec<Section>>, CrmError> {
        Ok(list_agent_section::Entity::find()
            .filter(list_agent_section::Column::OrgId.eq(org.0))
            .all(self.db())
            .await?
            .into_iter()
            .map(|r| (r.user_id, parse(&r.sections)))
            .collect())
    }

    /// Managers set the sections an agent may open.
    pub async fn set_agent_sections(&self, by: &User, agent: UserId, sections: &[Section]) -> Result<(), CrmError> {
        managers(by)?;
        self.user(by.org_id, agent).await?;
        let stored: Vec<&str> = Section::ALL.iter().filter(|s| sections.contains(s)).map(|s| s.as_str()).collect();
        let txn = self.store.write().await?;
        list_agent_section::Entity::delete_by_id(agent.0)
            .filter(list_agent_section::Column::OrgId.eq(by.org_id.0))
            .exec(&txn)
            .await?;
        list_agent_section::ActiveModel {
            user_id: Set(agent.0),
            org_id: Set(by.org_id.0),
            sections: Set(stored.join(",")),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Every agent's categories (an agent missing works every category), read at once.
    pub async fn agents_categories(&self, org: OrgId) -> Result<HashMap<i64, Vec<i64>>, CrmError> {
        let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
        for r in list_agent_category::Entity::find()
            .filter(list_agent_category::Column::OrgId.eq(org.0))
            .all(self.db())
            .await?
        {
            out.entry(r.user_id).or_default().push(r.category_id);
        }
        Ok(out)
    }
}
