//! How a search over contacts runs quickly on a million rows; the conditions come checked and
//! parsed from `crm` (numbers normalized, days turned into instants).
//!
//! - Names: equals and starts with ignore case and use the name indexes (SQLite: NOCASE, so its
//!   `LIKE` uses them; PostgreSQL: lowercased). Phone equals and starts with, e-mail and code
//!   equals use theirs.
//! - contains / starts with on SQLite: the trigram full-text index gives the candidates
//!   (every trigram of the value, in any column: a superset), the condition itself then decides.
//!   When another condition has an index, the smaller side drives: the full-text candidates
//!   are counted (up to `FTS_PROBE_INDEXED` or `FTS_PROBE`) first.
//! - One pass finds up to `COUNT_CAP` + 1 matches, counts them and picks the page among them in
//!   order; beyond that the count is shown as "more than" and the page comes from the name index
//!   in order.

use crate::dialect::{Sql, like_escaped};
use crate::entities::contact;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Matches counted exactly; more show as "more than this".
pub const COUNT_CAP: u64 = 10_000;
/// Full-text candidates counted before choosing how to search: fewer when another condition
/// has an index (it drives the search beyond that), more when none has (reading all the
/// candidates still beats reading the table, and ordering a page needs every match).
const FTS_PROBE_INDEXED: u64 = 50_000;
const FTS_PROBE: u64 = 200_000;
/// Below this many full-text candidates they drive the search even when another condition
/// has an index.
const FTS_DRIVES: u64 = 5_000;

/// A text column of contacts a condition may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Code,
    FirstName,
    LastName,
    Company,
    Email,
    Notes,
}

impl TextField {
    const ALL: [TextField; 6] = [
        TextField::Code,
        TextField::FirstName,
        TextField::LastName,
        TextField::Company,
        TextField::Email,
        TextField::Notes,
    ];

    fn column(self) -> &'static str {
        match self {
            TextField::Code => "code",
            TextField::FirstName => "first_name",
            TextField::LastName => "last_name",
            TextField::Company => "company",
            TextField::Email => "email",
            TextField::Notes => "notes",
        }
    }

    /// Names ignore case even for equals, and have an index for starts with.
    fn is_name(self) -> bool {
        matches!(self, TextField::FirstName | TextField::LastName)
    }
}

/// How a field is compared with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Equals,
    Contains,
    Starts,
    Before,
    After,
    Empty,
}

/// A condition on the day a contact was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    /// Created before this instant.
    Before(DateTime<Utc>),
    /// Created at or after this instant.
    After(DateTime<Utc>),
    /// Created in [start, end).
    Within(DateTime<Utc>, DateTime<Utc>),
    Empty,
}

/// One condition of a contact search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactCond {
    Text(TextField, Compare, String),
    /// The phones (either of them), as E.164 digits: equals a number, starts with a prefix,
    /// contains digits, before / after, or has none.
    Phone(Compare, String),
    Created(Day),
    /// Any text field holds the text, or (when `digits` is given: a number was typed) either
    /// phone holds the digits.
    Any {
        text: String,
        digits: Option<String>,
    },
}

/// A page of a contact search.
#[derive(Debug, Clone)]
pub struct ContactHits {
    /// How many match; with `more`, at least this many (`COUNT_CAP`).
    pub total: u64,
    pub more: bool,
    /// The page's contacts, in order.
    pub rows: Vec<contact::Model>,
}

/// The trigrams of `v` (none when it is shorter than three characters).
fn trigrams(v: &str) -> Vec<String> {
    let chars: Vec<char> = v.chars().collect();
    let mut out: Vec<String> = chars.windows(3).map(|w| w.iter().collect::<String>()).collect();
    out.sort();
    out.dedup();
    out
}

/// One condition as SQL: the exact test, and whether an index serves it.
struct Part {
    sql: Sql,
    indexed: bool,
    /// Text that every matching row holds somewhere (contains / starts with; else empty): its
    /// trigrams find the candidates.
    any: String,
}

fn text_part(pg: bool, field: TextField, op: Compare, value: &str) -> Part {
    let (col, name) = (field.column(), field.is_name());
    let mut sql = Sql::new(pg);
    let mut indexed = false;
    let mut any = String::new();
    match op {
        Compare::Equals if name => {
            sql.like(col, &like_escaped(value));
            indexed = true;
        }
        Compare::Equals => {
            sql.push(&format!("{col} = ")).bind(value.to_string());
            indexed = matches!(field, TextField::Email | TextField::Code);
        }
        Compare::Contains => {
            sql.like(col, &format!("%{}%", like_escaped(value)));
            any = value.to_string();
        }
        Compare::Starts => {
            sql.like(col, &format!("{}%", like_escaped(value)));
            indexed = name;
            any = value.to_string();
        }
        Compare::Before => {
            sql.push(&format!("{col} < ")).bind(value.to_string());
        }
        Compare::After => {
            sql.push(&format!("{col} > ")).bind(value.to_string());
        }
        Compare::Empty => {
            sql.push(&format!("({col} = '' OR {col} IS NULL)"));
        }
    }
    Part { sql, indexed, any }
}

fn phone_part(pg: bool, op: Compare, v: &str) -> Part {
    let mut sql = Sql::new(pg);
    let mut indexed = false;
    let mut any = String::new();
    let both = |sql: &mut Sql, f: &dyn Fn(&mut Sql, &str)| {
        sql.push("(");
        f(sql, "phone1_e164");
        sql.push(" OR ");
        f(sql, "phone2_e164");
        sql.push(")");
    };
    match op {
        Compare::Equals => {
            both(&mut sql, &|s, c| {
                s.push(&format!("{c} = ")).bind(v.to_string());
            });
            indexed = true;
        }
        Compare::Starts => {
            // A range of the phone index: every string of digits that begins with the prefix.
            both(&mut sql, &|s, c| {
                s.push(&format!("({c} >= "))
                    .bind(v.to_string())
                    .push(&format!(" AND {c} < "))
                    .bind(format!("{v}:"))
                    .push(")");
            });
            indexed = true;
        }
        Compare::Contains => {
            both(&mut sql, &|s, c| {
                s.digits_in(c, v);
            });
            any = v.to_string();
        }
        Compare::Before | Compare::After => {
            let o = if op == Compare::Before { "<" } else { ">" };
            both(&mut sql, &|s, c| {
                s.push(&format!("{c} {o} ")).bind(v.to_string());
            });
        }
        Compare::Empty => {
            sql.push("phone1_e164 = '' AND phone2_e164 = ''");
        }
    }
    Part { sql, indexed, any }
}

fn day_part(pg: bool, day: Day) -> Part {
    let mut sql = Sql::new(pg);
    match day {
        Day::Empty => sql.push("created_at IS NULL"),
        Day::Before(t) => sql.push("created_at < ").bind(t),
        Day::After(t) => sql.push("created_at >= ").bind(t),
        Day::Within(a, b) => sql.push("created_at >= ").bind(a).push(" AND created_at < ").bind(b),
    };
    Part { sql, indexed: false, any: String::new() }
}

fn any_part(pg: bool, text: &str, digits: Option<&str>) -> Part {
    let mut sql = Sql::new(pg);
    let pattern = format!("%{}%", like_escaped(text));
    sql.push("(");
    for (i, f) in TextField::ALL.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.like(f.column(), &pattern);
    }
    if let Some(d) = digits {
        for col in ["phone1_e164", "phone2_e164"] {
            sql.push(" OR ").digits_in(col, d);
        }
    }
    sql.push(")");
    // Every match holds the value as typed, or its digits (a number).
    let any = if digits.is_some_and(|d| d != text) { String::new() } else { text.to_string() };
    Part { sql, indexed: false, any }
}

fn part(pg: bool, c: &ContactCond) -> Part {
    match c {
        ContactCond::Text(f, op, v) => text_part(pg, *f, *op, v),
        ContactCond::Phone(op, v) => phone_part(pg, *op, v),
        ContactCond::Created(day) => day_part(pg, *day),
        ContactCond::Any { text, digits } => any_part(pg, text, digits.as_deref()),
    }
}

impl Store {
    /// The organization's contacts (not deleted) matching every condition, by last name then
    /// first name: one page, and how many match.
    pub async fn search_contacts(
        &self,
        org: i64,
        conds: &[ContactCond],
        page: u64,
        per_page: u64,
    ) -> Result<ContactHits, StoreError> {
        let pg = self.is_postgres();
        let parts: Vec<Part> = conds.iter().map(|c| part(pg, c)).collect();
        let mut trigrams: Vec<String> = parts.iter().flat_map(|p| trigrams(&p.any)).collect();
        trigrams.sort();
        trigrams.dedup();
        let fts_query = (!trigrams.is_empty() && self.contacts_fts_ready().await?).then(|| {
            trigrams.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" AND ")
        });
        // Whether the full-text candidates are few enough to use, and to drive the search.
        let fts = match fts_query {
            Some(q) => {
                let indexed = parts.iter().any(|p| p.indexed);
                let cap = if indexed { FTS_PROBE_INDEXED } else { FTS_PROBE };
                let mut probe = Sql::new(pg);
                probe
                    .push("SELECT count(*) FROM (SELECT 1 FROM contacts_fts WHERE contacts_fts MATCH ")
                    .bind(q.clone())
                    .push(&format!(" LIMIT {cap}) AS c"));
                let n = self.count(&probe).await?;
                if n >= cap {
                    None
                } else if !indexed || n < FTS_DRIVES {
                    Some((q, "id"))
                } else {
                    Some((q, "+id"))
                }
            }
            None => None,
        };
        let condition = |sql: &mut Sql| {
            sql.push("org_id = ").bind(org).push(" AND deleted_at IS NULL");
            if let Some((q, id)) = &fts {
                sql.push(&format!(" AND {id} IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH "))
                    .bind(q.clone())
                    .push(")");
            }
            for p in &parts {
                sql.push(" AND ").append(&p.sql);
            }
        };
        let order = Sql::name_order(pg);
        let offset = (page.max(1) - 1) * per_page;
        // One pass: up to COUNT_CAP + 1 matches, their number, the page among them.
        let mut q = Sql::new(pg);
        q.push("SELECT id, COUNT(*) OVER () AS total FROM (SELECT id, last_name, first_name FROM contacts WHERE ");
        condition(&mut q);
        q.push(&format!(" LIMIT {}) AS m ORDER BY {order} LIMIT {per_page} OFFSET {offset}", COUNT_CAP + 1));
        let rows = self.conn().query_all_raw(q.statement()).await?;
        let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).collect();
        let mut total = match rows.first() {
            Some(r) => r.try_get_by_index::<i64>(1).unwrap_or(0) as u64,
            None if offset == 0 => 0,
            None => {
                let mut c = Sql::new(pg);
                c.push("SELECT count(*) FROM (SELECT 1 FROM contacts WHERE ");
                condition(&mut c);
                c.push(&format!(" LIMIT {}) AS m", COUNT_CAP + 1));
                self.count(&c).await?
            }
        };
        let more = total > COUNT_CAP;
        if more {
            total = COUNT_CAP;
            let mut q = Sql::new(pg);
            q.push("SELECT id FROM contacts WHERE ");
            condition(&mut q);
            q.push(&format!(" ORDER BY {order} LIMIT {per_page} OFFSET {offset}"));
            ids = self
                .conn()
                .query_all_raw(q.statement())
                .await?
                .iter()
                .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
                .collect();
        }
        let mut found = contact::Entity::find()
            .filter(contact::Column::OrgId.eq(org))
            .filter(contact::Column::Id.is_in(ids.clone()))
            .all(self.conn())
            .await?;
        found.sort_by_key(|m| ids.iter().position(|i| *i == m.id));
        Ok(ContactHits { total, more, rows: found })
    }

    async fn count(&self, q: &Sql) -> Result<u64, StoreError> {
        let row = self.conn().query_one_raw(q.statement()).await?;
        Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_of_a_value() {
        assert_eq!(trigrams("Woź"), vec!["Woź"]);
        assert_eq!(trigrams("anna"), vec!["ann", "nna"]);
        assert!(trigrams("ab").is_empty());
    }

    #[test]
    fn names_ignore_case_and_escape_wildcards() {
        let p = text_part(false, TextField::FirstName, Compare::Equals, "An_na");
        assert_eq!(p.sql.text, "first_name LIKE ? ESCAPE '!'");
        assert_eq!(format!("{:?}", p.sql.values), r#"[String(Some("An!_na"))]"#);
        assert!(p.indexed);
        let p = text_part(true, TextField::Email, Compare::Contains, "Żak%");
        assert_eq!(p.sql.statement().sql, "lower(email) LIKE $1 ESCAPE '!'");
        assert_eq!(format!("{:?}", p.sql.values), r#"[String(Some("%żak!%%"))]"#);
    }
}
