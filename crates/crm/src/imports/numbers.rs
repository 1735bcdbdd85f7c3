//! An import of a call list's numbers (seed 003): each row's number (required, read with the
//! organization's country), a name, the category (matched by name whatever its case; a name the
//! list has not got yet is made into a category, and the dry run names those), the agent it is
//! assigned to (by extension or login; unknown, the row is refused) and the callee's consent
//! (yes, tak, כן, 1, x…). A number already in the list, or earlier in the file, is a duplicate.
//! The contact with that number is linked.

use super::{KeyMap, KeySet, NUMBER_FIELDS, Settings, Summary, key, note};
use crate::{Crm, CrmError, OrgId};
use std::collections::{HashMap, HashSet};
use store::entities::{contact, import, list_category, list_number};
use store::list_load::NumberRow;
use store::sea_orm::sea_query::{Expr, ExprTrait};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

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
        let mut seen = KeySet::default();
        seen.reserve(usize::try_from(m.rows_total).unwrap_or(0));
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
        let mut contacts: KeyMap<i64> = KeyMap::default();
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
            // The import's last row written is its highest id (the ids go in the file's order).
            list_number::Entity::find()
                .select_only()
                .column(list_number::Column::ImportLine)
                .filter(list_number::Column::Id.gt(m.after_id.unwrap_or(0)))
                .filter(list_number::Column::ImportId.eq(m.id))
                .order_by_desc(list_number::Column::Id)
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
        // Category names as spelled in the file, once each looked at (most rows repeat one).
        let mut spellings: HashSet<String> = HashSet::new();
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
            if !category.is_empty() && !spellings.contains(category) {
                spellings.insert(category.to_string());
                let folded = category.to_lowercase();
                if !known.contains_key(&folded)
                    && new_categories.insert(folded)
                    && sum.new_categories.len() < MAX_NEW_CATEGORIES
                {
                    sum.new_categories.push(category.to_string());
                }
            }
            let contact_id = contacts.get(&key(&number)).copied();
            // The country by libphonenumber, remembered by the number's first six digits (its
            // calling code and area decide it: a NANP area code, a national range).
            let prefix = number.get(..6).unwrap_or(&number);
            let country = match regions.get(prefix) {
                Some(c) => c.clone(),
                None => {
                    let c = crate::contacts::phone::region(&number);
                    regions.insert(prefix.to_string(), c.clone());
                    c
                }
            };
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
        // Categories by name folded, and as last spelled (most rows repeat one: no folding).
        let made = tokio::sync::Mutex::new((categories, HashMap::<String, i64>::new()));
        let import_id = m.id;
        self.stream(org, m, s, each, |rows: Vec<Read>| {
            let made = &made;
            async move {
                let mut made = made.lock().await;
                let (folded, spelled) = &mut *made;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let mut row = r.row;
                    if let Some(c) = r.category {
                        row.category_id = Some(match spelled.get(&c) {
                            Some(id) => *id,
                            None => {
                                let id = match folded.get(&c.to_lowercase()) {
                                    Some(id) => *id,
                                    None => {
                                        let id = self.make_category(org, &c).await?;
                                        folded.insert(c.to_lowercase(), id);
                                        id
                                    }
                                };
                                spelled.insert(c, id);
                                id
                            }
                        });
                    }
                    out.push(row);
                }
                // To the second: a number's times are shown so, and a shorter time is written
                // faster (twice per number: created and modified).
                let at = chrono::SubsecRound::trunc_subsecs(self.now(), 0);
                Ok(self.store.insert_list_numbers(org.0, list, import_id, at, out).await?)
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

    /// Before its first run, the import notes the highest number id: every row it writes has
    /// a higher one, so its rows are found without an index of their own. Kept on later runs.
    pub(super) async fn note_numbers_floor(&self, m: import::Model) -> Result<import::Model, CrmError> {
        if m.call_list_id.is_none() || m.after_id.is_some() {
            return Ok(m);
        }
        let top = list_number::Entity::find()
            .select_only()
            .column_as(Expr::col(list_number::Column::Id).max(), "m")
            .into_tuple::<Option<i64>>()
            .one(self.db())
            .await?
            .flatten()
            .unwrap_or(0);
        let mut am: import::ActiveModel = m.into();
        am.after_id = Set(Some(top));
        Ok(am.update(self.db()).await?)
    }

    /// The numbers an import wrote: a range of ids read from its floor (an import's id is
    /// its organization's alone; with the organization named, SQLite would walk the
    /// organization's index instead).
    pub(super) fn numbers_of_import(m: &import::Model) -> store::sea_orm::Condition {
        store::sea_orm::Condition::all()
            .add(list_number::Column::Id.gt(m.after_id.unwrap_or(0)))
            .add(list_number::Column::ImportId.eq(m.id))
    }

    /// Whether none of the import's numbers has been called (nor held, nor given an outcome).
    pub(super) async fn numbers_unused(&self, m: &import::Model) -> Result<bool, CrmError> {
        let used = list_number::Entity::find()
            .filter(Self::numbers_of_import(m))
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
