//! Phonebooks: the organization's directory (every extension and every shared contact) and
//! each user's personal phonebook, which nobody else sees.

use crate::{Crm, CrmError, User};
use serde::Serialize;
use store::entities::personal_contact as pc;
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub name: String,
    pub number: String,
    /// extension | contact | personal
    pub source: &'static str,
    /// The contact's or personal entry's id.
    pub id: Option<i64>,
}

impl Crm {
    /// The directory: extensions, then shared contacts, matching `q` (name or number).
    pub async fn directory(&self, user: &User, q: &str, limit: u64) -> Result<Vec<Entry>, CrmError> {
        let q = q.trim();
        let ql = q.to_lowercase();
        let mut out: Vec<Entry> = self
            .users(user.org_id)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .filter(|u| q.is_empty() || u.full_name.to_lowercase().contains(&ql) || u.extension.as_str().contains(q))
            .map(|u| Entry { name: u.full_name, number: u.extension.to_string(), source: "extension", id: None })
            .collect();
        for c in self.find_contacts(user.org_id, q, limit).await? {
            for n in [&c.phone1_e164, &c.phone2_e164].into_iter().filter(|n| !n.is_empty()) {
                out.push(Entry { name: c.name(), number: n.clone(), source: "contact", id: Some(c.id.0) });
            }
        }
        out.truncate(limit as usize);
        Ok(out)
    }

    /// The user's own phonebook, matching `q`.
    pub async fn personal_phonebook(&self, user: &User, q: &str) -> Result<Vec<Entry>, CrmError> {
        let q = q.trim();
        let mut sel =
            pc::Entity::find().filter(pc::Column::OrgId.eq(user.org_id.0)).filter(pc::Column::UserId.eq(user.id.0));
        if !q.is_empty() {
            sel = sel.filter(Condition::any().add(pc::Column::Name.contains(q)).add(pc::Column::Number.contains(q)));
        }
        Ok(sel
            .order_by_asc(pc::Column::Name)
            .limit(500)
            .all(self.db())
            .await?
            .into_iter()
            .map(|p| Entry { name: p.name, number: p.number, source: "personal", id: Some(p.id) })
            .collect())
    }

    pub async fn add_personal_entry(&self, user: &User, name: &str, number: &str) -> Result<Entry, CrmError> {
        let name = name.trim();
        let number: String = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let mut checks = crate::error::Checks::default();
        if name.is_empty() || name.chars().count() > 100 {
            checks.push("name", "err-entry-name");
        }
        let ok = !number.is_empty()
            && number.len() <= 32
            && number.trim_start_matches('+').chars().all(|c| c.is_ascii_digit());
        if !ok {
            checks.push("number", "err-dial-number");
        }
        checks.finish()?;
        let m = pc::ActiveModel {
            org_id: Set(user.org_id.0),
            user_id: Set(user.id.0),
            name: Set(name.into()),
            number: Set(number),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(Entry { name: m.name, number: m.number, source: "personal", id: Some(m.id) })
    }

    /// Removes an entry of the user's own phonebook (another user's is not found).
    pub async fn remove_personal_entry(&self, user: &User, id: i64) -> Result<(), CrmError> {
        let r = pc::Entity::delete_many()
            .filter(pc::Column::Id.eq(id))
            .filter(pc::Column::OrgId.eq(user.org_id.0))
            .filter(pc::Column::UserId.eq(user.id.0))
            .exec(self.db())
            .await?;
        if r.rows_affected == 0 { Err(CrmError::NotFound) } else { Ok(()) }
    }
}
