//! An import of a call list's numbers (seed 003): each row's number (required, read with the
//! organization's country), a name, the category (matched by name whatever its case; a name the
//! list has not got yet is made into a category, and the dry run names those), the agent it is
//! assigned to (by extension or login; unknown, the row is refused) and the callee's consent
//! (yes, tak, כן, 1, x…). A number already in the list, or earlier in the file, is a duplicate.
//! The contact with that number is linked.

use super::{NUMBER_FIELDS, Settings, Summary, key, note};
use crate::{Crm, CrmError, OrgId};
use std::collections::{HashMap, HashSet};
use store::entities::{contact, import, list_category, list_number};
use store::list_load::NumberRow;
use store::sea_orm::sea_query::{Expr, ExprTrait};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};

/// New category names a summary lists (every one is made).
const MAX_NEW_CATEGORIES: usize = 50;

/// A number read from the file: its category still by name.
struct Read {
    row: NumberRow,
    category: Option<String>,
}

/// A cell that says yes (consent): 1, yes, y, true, x, tak, t, כן — in any case.
fn yes(cell: &str) -> bool {
    matches!(cell.trim().to_lowercase().as_str(), "1" | "yes" | "y" | "true" | "x" | "tak" | "t" | "כן")
}

impl Crm {
    /// Reads the file of a call list's import: counts, problems, and (with `write`) the new rows.
    pub(super) async fn scan_numbers(
        &self,
        org: OrgId,
        list: i64,
        m: &import::Model,
        s: &Settings,
        write: bool,
    ) -> Result<Summary, CrmError> {
        self.call_list(org, list).await?;
        let country = self.org(org).await?.default_country;
        let mut seen: HashSet<u64> = HashSet::new();
        let mut pages = list_number::Entity::find()
            .select_only()
            .column(list_number::Column::Number)
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::ListId.eq(list))
            .filter(
                store::sea_orm::Condition::any()
                    .add(list_number::Column::ImportId.is_null())
                    .add(list_number::Column::ImportId.ne(m.id)),
            )
            .into_tuple::<String>()
            .paginate(self.db(), 50_000);
        while let Some(page) = pages.fetch_and_next().await? {
            seen.extend(page.iter().map(|n| key(n)));
        }
        let mut contacts: HashMap<u64, i64> = HashMap::new();
        let mut pages = contact::Entity::find()
            .select_only()
            .columns([contact::Column::Id, contact::Column::Phone1E164, contact::Column::Phone2E164])
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::DeletedAt.is_null())
            .into_tuple::<(i64, String, String)>()
            .paginate(self.db(), 50_000);
        while let Some(page) = pages.fetch_and_next().await? {
            for (id, p1, p2) in page {
                for p in [p1, p2].iter().filter(|p| !p.is_empty()) {
                    contacts.entry(key(p)).or_insert(id);
                }
            }
        }
        let categories: HashMap<String, i64> = self
            .list_categories(org)
            .await?
            .into_iter()
            .filter(|c| c.active)
            .map(|c| (c.name.to_lowercase(), c.id))
            .collect();
        let mut agents: HashMap<String, i64> = HashMap::new();
        for u in self.users(org).await?.into_iter().filter(|u| u.active) {
            agents.insert(u.extension.as_str().to_string(), u.id.0);
            agents.insert(u.username.to_lowercase(), u.id.0);
        }
        let cols: Vec<Option<usize>> = NUMBER_FIELDS.iter().map(|f| s.mapping.iter().position(|m| m == f)).collect();
        let done_up_to: u64 = if write {
            list_number::Entity::find()
                .select_only()
                .column_as(Expr::col(list_number::Column::ImportLine).max(), "m")
                .filter(list_number::Column::OrgId.eq(org.0))
                .filter(list_number::Column::ImportId.eq(m.id))
                .into_tuple::<Option<i64>>()
                .one(self.db())
                .await?
                .flatten()
                .unwrap_or(0) as u64
        } else {
            0
        };
        let known = categories.clone();
        let mut new_categories: HashSet<String> = HashSet::new();
        let mut regions: HashMap<String, String> = HashMap::new();
        let each = move |line: u64, record: &csv::StringRecord, sum: &mut Summary| {
            let get = |i: usize| cols[i].and_then(|c| record.get(c)).map(str::trim).unwrap_or("");
            let (typed, name, category, agent) = (get(0), get(1), get(2), get(3));
            let consent = yes(get(4));
            let too_long = |s: &str, n: usize| s.len() > n && s.chars().count() > n;
            let checked = match crate::contacts::phone::normalize(typed, &country) {
                _ if too_long(typed, 100) || too_long(name, 200) || too_long(category, 100) => Err("err-too-long"),
                None => Err("err-phone"),
                Some(number) => match agent {
                    "" => Ok((number, None)),
                    a => agents.get(&a.to_lowercase()).map(|id| (number, Some(*id))).ok_or("err-list-agent"),
                },
            };
            let (number, agent_id) = match checked {
                Ok(ok) => ok,
                Err(reason) => {
                    sum.invalid += 1;
                    note(sum, line, reason);
                    return None;
                }
            };
            if !seen.insert(key(&number)) {
                sum.duplicates += 1;
                note(sum, line, "dup-phone");
                return None;
            }
            sum.new += 1;
            let folded = category.to_lowercase();
            if !category.is_empty()
                && !known.contains_key(&folded)
                && new_categories.insert(folded)
                && sum.new_categories.len() < MAX_NEW_CATEGORIES
            {
                sum.new_categories.push(category.to_string());
            }
            let contact_id = contacts.get(&key(&number)).copied();
            // The country by libphonenumber, remembered by the number's first six digits (its
            // calling code and area decide it: a NANP area code, a national range).
            let country = regions
                .entry(number.get(..6).unwrap_or(&number).to_string())
                .or_insert_with(|| crate::contacts::phone::region(&number))
                .clone();
            (write && line > done_up_to).then(|| Read {
                row: NumberRow {
                    line,
                    number,
                    typed: typed.to_string(),
                    name: name.to_string(),
                    contact_id,
                    category_id: None,
                    agent_id,
                    country,
                    consent,
                },
                category: (!category.is_empty()).then(|| category.to_string()),
            })
        };
        let made = tokio::sync::Mutex::new(categories);
        let import_id = m.id;
        self.stream(org, m, s, each, |rows: Vec<Read>| {
            let made = &made;
            async move {
                let mut made = made.lock().await;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let mut row = r.row;
                    if let Some(c) = r.category {
                        row.category_id = Some(match made.get(&c.to_lowercase()) {
                            Some(id) => *id,
                            None => {
                                let id = self.make_category(org, &c).await?;
                                made.insert(c.to_lowercase(), id);
                                id
                            }
                        });
                    }
                    out.push(row);
                }
                Ok(self.store.insert_list_numbers(org.0, list, import_id, self.now(), out).await?)
            }
        })
        .await
    }

    /// A category an import names, made as it is first met.
    async fn make_category(&self, org: OrgId, name: &str) -> Result<i64, CrmError> {
        Ok(list_category::ActiveModel {
            org_id: Set(org.0),
            name: Set(name.to_string()),
            active: Set(true),
            ..Default::default()
        }
        .insert(self.db())
        .await?
        .id)
    }

    /// Whether none of the import's numbers has been called (nor held, nor given an outcome).
    pub(super) async fn numbers_unused(&self, org: OrgId, id: i64) -> Result<bool, CrmError> {
        let used = list_number::Entity::find()
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::ImportId.eq(id))
            .filter(
                store::sea_orm::Condition::any()
                    .add(list_number::Column::Attempts.gt(0))
                    .add(list_number::Column::OutcomeId.is_not_null())
                    .add(list_number::Column::LeasedBy.is_not_null()),
            )
            .count(self.db())
            .await?;
        Ok(used == 0)
    }
}
