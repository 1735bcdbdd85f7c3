//! Outbound call lists (seed 003's "miniCRM"): lists of numbers to call with their categories,
//! the outcomes managers define, the organization's do-not-call list and the settings of agents'
//! work (`mod.rs`); who may open which sections and categories (`access.rs`); the compliance
//! profiles numbers are picked under (`compliance.rs`, with each country's zones in `zones.rs`);
//! "next number", which hands each agent a number within their limits and the rules, never the
//! same one to two agents, and the outcome that gives it back (`lease.rs`); the automatic
//! dialer's numbers and calls (`dialer.rs`), how many calls it places (`pacer.rs`), and an
//! agent's progressive dialing on the telephony (`dialing.rs`).

pub mod access;
pub mod base;
pub mod compliance;
pub mod dialer;
pub mod dialing;
pub mod dispenser;
pub mod dnc;
pub mod lease;
pub mod message;
pub mod pacer;
pub mod predictive;
pub mod simulation;
pub mod stats;
mod zones;

use crate::{Crm, CrmError, FieldError, OrgId, User, UserId};
use serde::Serialize;
use std::collections::HashMap;
use store::entities::list_outcome::OutcomeKind;
use store::entities::{
    call_list, dnc_number, list_agent_category, list_category, list_number, list_outcome, list_setting,
};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

pub use call_list::Model as CallList;
pub use list_category::Model as Category;
pub use list_number::Model as ListNumber;
pub use list_outcome::{Model as Outcome, OutcomeKind as Kind};
pub use list_setting::Model as ListSettings;

/// A number to add to a list, as a file or a form gives it.
#[derive(Debug, Clone, Default)]
pub struct NewNumber {
    pub typed: String,
    pub name: String,
    pub category_id: Option<i64>,
    /// The callee agreed to be called.
    pub consent: bool,
}

/// A list's numbers counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ListCounts {
    pub total: u64,
    pub open: u64,
    pub held: u64,
}

/// What adding numbers to a list did: how many went in, how many were already there (the same
/// number twice in a list is one), and the rows that are no phone number (by their place, from 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Added {
    pub added: u32,
    pub duplicates: u32,
    pub invalid: Vec<usize>,
}

fn check_name(field: &'static str, name: &str) -> Result<String, CrmError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CrmError::invalid(field, "err-name"));
    }
    Ok(name.to_string())
}

pub(crate) fn managers(by: &User) -> Result<(), CrmError> {
    if by.is_manager() { Ok(()) } else { Err(CrmError::Forbidden) }
}

impl Crm {
    /// Managers start a list.
    pub async fn create_call_list(&self, by: &User, name: &str, description: &str) -> Result<CallList, CrmError> {
        managers(by)?;
        let name = check_name("name", name)?;
        Ok(call_list::ActiveModel {
            org_id: Set(by.org_id.0),
            name: Set(name),
            description: Set(description.trim().to_string()),
            active: Set(true),
            created_at: Set(self.now()),
            dial_mode: Set(call_list::DialMode::Preview),
            ..Default::default()
        }
        .insert(self.db())
        .await?)
    }

    pub async fn call_lists(&self, org: OrgId) -> Result<Vec<CallList>, CrmError> {
        Ok(call_list::Entity::find()
            .filter(call_list::Column::OrgId.eq(org.0))
            .order_by_asc(call_list::Column::Name)
            .all(self.db())
            .await?)
    }

    pub async fn call_list(&self, org: OrgId, id: i64) -> Result<CallList, CrmError> {
        call_list::Entity::find_by_id(id)
            .filter(call_list::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    /// Managers open or close a list (a closed one hands out nothing).
    pub async fn set_call_list_active(&self, by: &User, id: i64, active: bool) -> Result<CallList, CrmError> {
        managers(by)?;
        let mut am: call_list::ActiveModel = self.call_list(by.org_id, id).await?.into();
        am.active = Set(active);
        Ok(am.update(self.db()).await?)
    }

    /// Managers add a category (any number of them; names unique, whatever their case).
    pub async fn add_list_category(&self, by: &User, name: &str) -> Result<Category, CrmError> {
        managers(by)?;
        let name = check_name("name", name)?;
        let taken = self
            .list_categories(by.org_id)
            .await?
            .iter()
            .any(|c| c.active && c.name.to_lowercase() == name.to_lowercase());
        if taken {
            return Err(CrmError::Conflict(FieldError { field: "name", code: "err-name-taken" }));
        }
        Ok(list_category::ActiveModel {
            org_id: Set(by.org_id.0),
            name: Set(name),
            active: Set(true),
            ..Default::default()
        }
        .insert(self.db())
        .await?)
    }

    pub async fn list_categories(&self, org: OrgId) -> Result<Vec<Category>, CrmError> {
        Ok(list_category::Entity::find()
            .filter(list_category::Column::OrgId.eq(org.0))
            .order_by_asc(list_category::Column::Name)
            .all(self.db())
            .await?)
    }

    /// Managers define an outcome; a retry says after how many minutes (1 to 10080).
    pub async fn add_list_outcome(
        &self,
        by: &User,
        name: &str,
        kind: OutcomeKind,
        retry_minutes: i32,
    ) -> Result<Outcome, CrmError> {
        managers(by)?;
        let name = check_name("name", name)?;
        let retry_minutes = match kind {
            OutcomeKind::Retry if !(1..=10_080).contains(&retry_minutes) => {
                return Err(CrmError::invalid("retry_minutes", "err-out-of-range"));
            }
            OutcomeKind::Retry => retry_minutes,
            _ => 0,
        };
        let all = self.list_outcomes(by.org_id).await?;
        if all.iter().any(|o| o.active && o.name.to_lowercase() == name.to_lowercase()) {
            return Err(CrmError::Conflict(FieldError { field: "name", code: "err-name-taken" }));
        }
        Ok(list_outcome::ActiveModel {
            org_id: Set(by.org_id.0),
            name: Set(name),
            kind: Set(kind),
            retry_minutes: Set(retry_minutes),
            position: Set(all.len() as i32),
            active: Set(true),
            success: Set(false),
            ..Default::default()
        }
        .insert(self.db())
        .await?)
    }

    /// Managers retire an outcome (a typo, one no longer used): it is offered no more; the
    /// numbers and attempts that have it keep its name.
    pub async fn retire_list_outcome(&self, by: &User, id: i64) -> Result<(), CrmError> {
        let mut am = self.outcome_to_change(by, id).await?;
        am.active = Set(false);
        am.update(self.db()).await?;
        Ok(())
    }

    /// Managers mark an outcome as a success (or not) for the statistics.
    pub async fn set_outcome_success(&self, by: &User, id: i64, success: bool) -> Result<(), CrmError> {
        let mut am = self.outcome_to_change(by, id).await?;
        am.success = Set(success);
        am.update(self.db()).await?;
        Ok(())
    }

    /// The organization's outcome `id`, for a manager to change.
    async fn outcome_to_change(&self, by: &User, id: i64) -> Result<list_outcome::ActiveModel, CrmError> {
        managers(by)?;
        let o = list_outcome::Entity::find_by_id(id)
            .filter(list_outcome::Column::OrgId.eq(by.org_id.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        Ok(o.into())
    }

    /// Managers retire a category: it is offered no more for new numbers and agents; the
    /// numbers that have it keep it.
    pub async fn retire_list_category(&self, by: &User, id: i64) -> Result<(), CrmError> {
        managers(by)?;
        let c = list_category::Entity::find_by_id(id)
            .filter(list_category::Column::OrgId.eq(by.org_id.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        let mut am: list_category::ActiveModel = c.into();
        am.active = Set(false);
        am.update(self.db()).await?;
        Ok(())
    }

    pub async fn list_outcomes(&self, org: OrgId) -> Result<Vec<Outcome>, CrmError> {
        Ok(list_outcome::Entity::find()
            .filter(list_outcome::Column::OrgId.eq(org.0))
            .order_by_asc(list_outcome::Column::Position)
            .order_by_asc(list_outcome::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Managers add numbers to a list: each read as the organization's people write it (E.164
    /// kept with the number as typed), matched to the contact with that number, and added once
    /// per list. Rows that are no phone number are named, not added.
    pub async fn add_list_numbers(&self, by: &User, list_id: i64, rows: &[NewNumber]) -> Result<Added, CrmError> {
        managers(by)?;
        let org = by.org_id;
        self.call_list(org, list_id).await?;
        let country = self.org(org).await?.default_country;
        let categories: Vec<i64> =
            self.list_categories(org).await?.into_iter().filter(|c| c.active).map(|c| c.id).collect();
        if rows.iter().any(|r| r.category_id.is_some_and(|c| !categories.contains(&c))) {
            return Err(CrmError::invalid("category", "err-category-unknown"));
        }
        let mut seen: std::collections::HashSet<String> = list_number::Entity::find()
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::ListId.eq(list_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|n| n.number)
            .collect();
        let mut out = Added::default();
        let now = self.now();
        let txn = self.store.write().await?;
        for (i, r) in rows.iter().enumerate() {
            let Some(e164) = crate::contacts::phone::normalize(&r.typed, &country) else {
                out.invalid.push(i + 1);
                continue;
            };
            if !seen.insert(e164.clone()) {
                out.duplicates += 1;
                continue;
            }
            let contact = self.contacts_for_number_on(&txn, org, &country, &e164).await?.1.into_iter().next();
            list_number::ActiveModel {
                country: Set(crate::contacts::phone::region(&e164)),
                consent: Set(r.consent),
                org_id: Set(org.0),
                list_id: Set(list_id),
                number: Set(e164),
                typed: Set(r.typed.trim().to_string()),
                name: Set(r.name.trim().to_string()),
                contact_id: Set(contact.map(|c| c.id.0)),
                category_id: Set(r.category_id),
                attempts: Set(0),
                done: Set(false),
                created_at: Set(now),
                modified_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            out.added += 1;
        }
        txn.commit().await?;
        Ok(out)
    }

    /// Each list's numbers: how many in all, still open (no final outcome), held by an agent now.
    pub async fn list_counts(&self, org: OrgId) -> Result<HashMap<i64, ListCounts>, CrmError> {
        use store::sea_orm::QuerySelect;
        let count = |q: store::sea_orm::Select<list_number::Entity>| {
            q.filter(list_number::Column::OrgId.eq(org.0))
                .select_only()
                .column(list_number::Column::ListId)
                .column_as(list_number::Column::Id.count(), "n")
                .group_by(list_number::Column::ListId)
                .into_tuple::<(i64, i64)>()
                .all(self.db())
        };
        let mut out: HashMap<i64, ListCounts> = HashMap::new();
        for (list, n) in count(list_number::Entity::find()).await? {
            out.entry(list).or_default().total = n as u64;
        }
        for (list, n) in count(list_number::Entity::find().filter(list_number::Column::Done.eq(false))).await? {
            out.entry(list).or_default().open = n as u64;
        }
        for (list, n) in count(list_number::Entity::find().filter(list_number::Column::LeasedBy.is_not_null())).await? {
            out.entry(list).or_default().held = n as u64;
        }
        Ok(out)
    }

    /// One number of the organization's lists.
    pub async fn list_number(&self, org: OrgId, id: i64) -> Result<ListNumber, CrmError> {
        list_number::Entity::find_by_id(id)
            .filter(list_number::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    /// How agents work the lists (the defaults until a manager sets them: one number at a time,
    /// released at the end of the day, a callback its agent's for an hour after its time).
    pub async fn list_settings(&self, org: OrgId) -> Result<ListSettings, CrmError> {
        Ok(list_setting::Entity::find_by_id(org.0).one(self.db()).await?.unwrap_or(ListSettings {
            org_id: org.0,
            max_held: 1,
            release_at_day_end: true,
            callback_owner_minutes: 60,
        }))
    }

    /// Managers set how agents work the lists.
    pub async fn set_list_settings(&self, by: &User, s: ListSettings) -> Result<ListSettings, CrmError> {
        managers(by)?;
        if !(1..=50).contains(&s.max_held) {
            return Err(CrmError::invalid("max_held", "err-out-of-range"));
        }
        if !(0..=10_080).contains(&s.callback_owner_minutes) {
            return Err(CrmError::invalid("callback_owner_minutes", "err-out-of-range"));
        }
        let org = by.org_id.0;
        let am = list_setting::ActiveModel {
            org_id: Set(org),
            max_held: Set(s.max_held),
            release_at_day_end: Set(s.release_at_day_end),
            callback_owner_minutes: Set(s.callback_owner_minutes),
        };
        let txn = self.store.write().await?;
        list_setting::Entity::delete_by_id(org).exec(&txn).await?;
        let saved = am.insert(&txn).await?;
        txn.commit().await?;
        Ok(saved)
    }

    /// Managers limit an agent to some categories (none: every category).
    pub async fn set_agent_categories(&self, by: &User, agent: UserId, categories: &[i64]) -> Result<(), CrmError> {
        managers(by)?;
        let org = by.org_id;
        self.user(org, agent).await?;
        let known: Vec<i64> = self.list_categories(org).await?.into_iter().map(|c| c.id).collect();
        if categories.iter().any(|c| !known.contains(c)) {
            return Err(CrmError::invalid("categories", "err-category-unknown"));
        }
        let txn = self.store.write().await?;
        list_agent_category::Entity::delete_many()
            .filter(list_agent_category::Column::OrgId.eq(org.0))
            .filter(list_agent_category::Column::UserId.eq(agent.0))
            .exec(&txn)
            .await?;
        let mut cats = categories.to_vec();
        cats.sort_unstable();
        cats.dedup();
        for c in cats {
            list_agent_category::ActiveModel { org_id: Set(org.0), user_id: Set(agent.0), category_id: Set(c) }
                .insert(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The categories an agent may work; none: every one.
    pub async fn agent_categories(&self, org: OrgId, agent: UserId) -> Result<Vec<i64>, CrmError> {
        Ok(list_agent_category::Entity::find()
            .filter(list_agent_category::Column::OrgId.eq(org.0))
            .filter(list_agent_category::Column::UserId.eq(agent.0))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| c.category_id)
            .collect())
    }

    /// Managers put a number (as typed, read with the organization's country) on the
    /// do-not-call list.
    pub async fn add_dnc_number(&self, by: &User, typed: &str) -> Result<String, CrmError> {
        managers(by)?;
        let country = self.org(by.org_id).await?.default_country;
        let e164 =
            crate::contacts::phone::normalize(typed, &country).ok_or(CrmError::invalid("number", "err-phone"))?;
        add_dnc(self.db(), by.org_id, &e164, Some(by.id.0), "manager", self.now()).await?;
        Ok(e164)
    }

    /// Whether the organization never calls `number` (E.164 digits).
    pub async fn is_dnc(&self, org: OrgId, number: &str) -> Result<bool, CrmError> {
        is_dnc(self.db(), org, number).await
    }
}

pub(crate) async fn is_dnc(db: &impl ConnectionTrait, org: OrgId, number: &str) -> Result<bool, CrmError> {
    Ok(dnc_number::Entity::find()
        .filter(dnc_number::Column::OrgId.eq(org.0))
        .filter(dnc_number::Column::Number.eq(number))
        .one(db)
        .await?
        .is_some())
}

/// Adds `number` to the organization's do-not-call list (once).
pub(crate) async fn add_dnc(
    db: &impl ConnectionTrait,
    org: OrgId,
    number: &str,
    by: Option<i64>,
    source: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), CrmError> {
    if is_dnc(db, org, number).await? {
        return Ok(());
    }
    dnc_number::ActiveModel {
        org_id: Set(org.0),
        number: Set(number.into()),
        added_at: Set(at),
        added_by: Set(by),
        source: Set(source.into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
