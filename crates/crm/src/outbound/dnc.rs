//! The organization's do-not-call list as managers keep it: numbers pasted at once (one per line
//! or separated by commas or semicolons, read with the organization's country; any line that is
//! no number refuses the paste, naming the lines, and nothing is added), a count and a search,
//! and a number taken off (a person who asks to be called again). The pick never hands out a
//! number on it (`lease.rs`).

use super::{add_dnc, managers};
use crate::{Crm, CrmError, OrgId, User};
use store::entities::dnc_number;
use store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

pub use dnc_number::Model as DncNumber;

/// Numbers one paste may hold.
pub const MAX_PASTE: usize = 10_000;

/// A paste refused: the lines (1-based) that are no number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLines(pub Vec<usize>);

impl Crm {
    /// Managers paste numbers onto the do-not-call list; how many were new. Refused whole
    /// (`Err(Ok(lines))`) when a line is no number.
    pub async fn add_dnc_numbers(&self, by: &User, text: &str) -> Result<Result<usize, BadLines>, CrmError> {
        managers(by)?;
        let country = self.org(by.org_id).await?.default_country;
        let items: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .flat_map(|(i, l)| l.split([',', ';']).map(move |p| (i + 1, p.trim())))
            .filter(|(_, p)| !p.is_empty())
            .collect();
        if items.is_empty() {
            return Err(CrmError::invalid("numbers", "err-dnc-empty"));
        }
        if items.len() > MAX_PASTE {
            return Err(CrmError::invalid("numbers", "err-dnc-too-many"));
        }
        let mut numbers = vec![];
        let mut bad = vec![];
        for (line, typed) in items {
            match crate::contacts::phone::normalize(typed, &country) {
                Some(n) => numbers.push(n),
                None if !bad.contains(&line) => bad.push(line),
                None => {}
            }
        }
        if !bad.is_empty() {
            return Ok(Err(BadLines(bad)));
        }
        numbers.sort();
        numbers.dedup();
        let before = self.dnc_count(by.org_id).await?;
        let txn = self.store.write().await?;
        let now = self.now();
        for n in &numbers {
            add_dnc(&txn, by.org_id, n, Some(by.id.0), "manager", now).await?;
        }
        txn.commit().await?;
        Ok(Ok((self.dnc_count(by.org_id).await? - before) as usize))
    }

    /// How many numbers the organization never calls.
    pub async fn dnc_count(&self, org: OrgId) -> Result<u64, CrmError> {
        Ok(dnc_number::Entity::find().filter(dnc_number::Column::OrgId.eq(org.0)).count(self.db()).await?)
    }

    /// The do-not-call numbers whose digits contain `query`'s (all when it has none), newest
    /// first, at most `limit` (managers).
    pub async fn dnc_numbers(&self, by: &User, query: &str, limit: u64) -> Result<Vec<DncNumber>, CrmError> {
        managers(by)?;
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        let mut q = dnc_number::Entity::find().filter(dnc_number::Column::OrgId.eq(by.org_id.0));
        if !digits.is_empty() {
            q = q.filter(dnc_number::Column::Number.contains(&digits));
        }
        Ok(q.order_by_desc(dnc_number::Column::Id).limit(limit).all(self.db()).await?)
    }

    /// Managers take a number off the do-not-call list.
    pub async fn remove_dnc_number(&self, by: &User, id: i64) -> Result<(), CrmError> {
        managers(by)?;
        let r = dnc_number::Entity::delete_many()
            .filter(dnc_number::Column::OrgId.eq(by.org_id.0))
            .filter(dnc_number::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if r.rows_affected == 0 { Err(CrmError::NotFound) } else { Ok(()) }
    }
}
