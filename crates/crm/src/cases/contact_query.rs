//! How a search over contacts runs quickly on a million rows.
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

use super::search::{Cond, Found};
use crate::contacts::Contact;
use crate::{Crm, CrmError, OrgId};
use store::entities::contact;
use store::sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value};

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

/// SQL text with its bound values (written with `?`; numbered for PostgreSQL at the end: no
/// other `?` is ever written into the text).
struct Sql {
    text: String,
    values: Vec<Value>,
    pg: bool,
}

impl Sql {
    fn new(pg: bool) -> Sql {
        Sql { text: String::new(), values: vec![], pg }
    }

    fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, v: impl Into<Value>) -> &mut Sql {
        self.values.push(v.into());
        self.text.push('?');
        self
    }

    /// `col LIKE pattern`, ignoring case (PostgreSQL: every letter; SQLite: ASCII ones).
    fn like(&mut self, col: &str, pattern: &str) -> &mut Sql {
        if self.pg {
            self.push(&format!("lower({col}) LIKE ")).bind(pattern.to_lowercase())
        } else {
            self.push(&format!("{col} LIKE ")).bind(pattern.to_string())
        }
        .push(" ESCAPE '!'")
    }

    /// `col` holds `digits` somewhere.
    fn digits_in(&mut self, col: &str, digits: &str) -> &mut Sql {
        let f = if self.pg { "strpos" } else { "instr" };
        self.push(&format!("{f}({col}, ")).bind(digits.to_string()).push(") > 0")
    }

    fn append(&mut self, other: &Sql) {
        self.text.push_str(&other.text);
        self.values.extend(other.values.iter().cloned());
    }

    fn statement(&self) -> Statement {
        if !self.pg {
            return Statement::from_sql_and_values(DbBackend::Sqlite, self.text.clone(), self.values.clone());
        }
        let mut text = String::with_capacity(self.text.len() + 8);
        let mut n = 0;
        for ch in self.text.chars() {
            if ch == '?' {
                n += 1;
                text.push_str(&format!("${n}"));
            } else {
                text.push(ch);
            }
        }
        Statement::from_sql_and_values(DbBackend::Postgres, text, self.values.clone())
    }
}

/// `LIKE` text with its wildcards escaped (the escape character is `!`).
pub(super) fn like_escaped(v: &str) -> String {
    v.replace('!', "!!").replace('%', "!%").replace('_', "!_")
}

/// The full-text query that finds every row holding all the trigrams of `v` (none when `v` is
/// shorter than three characters).
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

fn text_part(pg: bool, col: &str, op: &str, value: &str, name: bool) -> Part {
    let mut sql = Sql::new(pg);
    let mut indexed = false;
    let mut any = String::new();
    match op {
        "equals" if name => {
            sql.like(col, &like_escaped(value));
            indexed = true;
        }
        "equals" => {
            sql.push(&format!("{col} = ")).bind(value.to_string());
            indexed = matches!(col, "email" | "code");
        }
        "contains" => {
            sql.like(col, &format!("%{}%", like_escaped(value)));
            any = value.to_string();
        }
        "starts" => {
            sql.like(col, &format!("{}%", like_escaped(value)));
            indexed = name;
            any = value.to_string();
        }
        "before" => {
            sql.push(&format!("{col} < ")).bind(value.to_string());
        }
        "after" => {
            sql.push(&format!("{col} > ")).bind(value.to_string());
        }
        _ => {
            sql.push(&format!("({col} = '' OR {col} IS NULL)"));
        }
    }
    Part { sql, indexed, any }
}

/// A number typed for "starts with", as the beginning of E.164 digits: international when
/// typed with + or 00, else national (the organization's calling code, no trunk 0).
fn phone_prefix(typed: &str, digits: &str, country: &str) -> String {
    let t = typed.trim();
    if t.starts_with('+') {
        digits.to_string()
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else {
        format!("{}{}", crate::phone::calling_code(country).unwrap_or(""), digits.trim_start_matches('0'))
    }
}

fn phone_part(pg: bool, op: &str, typed: &str, country: &str) -> Part {
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
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
        "equals" => {
            let v = crate::phone::normalize(typed, country).unwrap_or(digits);
            both(&mut sql, &|s, c| {
                s.push(&format!("{c} = ")).bind(v.clone());
            });
            indexed = true;
        }
        "starts" => {
            // A range of the phone index: every string of digits that begins with the prefix.
            let p = phone_prefix(typed, &digits, country);
            both(&mut sql, &|s, c| {
                s.push(&format!("({c} >= "))
                    .bind(p.clone())
                    .push(&format!(" AND {c} < "))
                    .bind(format!("{p}:"))
                    .push(")");
            });
            indexed = true;
        }
        "contains" => {
            both(&mut sql, &|s, c| {
                s.digits_in(c, &digits);
            });
            any = digits.clone();
        }
        "before" | "after" => {
            let o = if op == "before" { "<" } else { ">" };
            both(&mut sql, &|s, c| {
                s.push(&format!("{c} {o} ")).bind(digits.clone());
            });
        }
        _ => {
            sql.push("phone1_e164 = '' AND phone2_e164 = ''");
        }
    }
    Part { sql, indexed, any }
}

fn date_part(pg: bool, op: &str, value: &str) -> Result<Part, CrmError> {
    let mut sql = Sql::new(pg);
    if op == "empty" {
        sql.push("created_at IS NULL");
    } else {
        let (start, end) = super::search::day_range(value)?;
        match op {
            "before" => sql.push("created_at < ").bind(start),
            "after" => sql.push("created_at >= ").bind(end),
            "equals" => sql.push("created_at >= ").bind(start).push(" AND created_at < ").bind(end),
            _ => return Err(CrmError::invalid("op", "err-search-op")),
        };
    }
    Ok(Part { sql, indexed: false, any: String::new() })
}

/// Any of the text fields contains the value, or (a number typed) any of the phones.
fn any_part(pg: bool, value: &str) -> Part {
    let mut sql = Sql::new(pg);
    let pattern = format!("%{}%", like_escaped(value));
    sql.push("(");
    for (i, col) in ["code", "first_name", "last_name", "company", "email", "notes"].iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.like(col, &pattern);
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let number = digits.len() >= 3 && value.chars().all(|c| c.is_ascii_digit() || " +-./()".contains(c));
    if number {
        for col in ["phone1_e164", "phone2_e164"] {
            sql.push(" OR ").digits_in(col, &digits);
        }
    }
    sql.push(")");
    // Every match holds the value as typed, or its digits (a number).
    let any = if number && digits != value { String::new() } else { value.to_string() };
    Part { sql, indexed: false, any }
}

fn part(pg: bool, c: &Cond, country: &str) -> Result<Part, CrmError> {
    let v = c.value.trim();
    Ok(match c.field.as_str() {
        "any" => any_part(pg, v),
        "created_at" => date_part(pg, &c.op, v)?,
        "phone" => phone_part(pg, &c.op, v, country),
        "first_name" | "last_name" => text_part(pg, &c.field, &c.op, v, true),
        f @ ("code" | "company" | "email") => text_part(pg, f, &c.op, v, false),
        _ => text_part(pg, "notes", &c.op, v, false),
    })
}

impl Crm {
    /// Contacts (not deleted) matching every condition, by last name then first name.
    pub(super) async fn run_contact_search(
        &self,
        org: OrgId,
        conds: &[Cond],
        page: u64,
        per_page: u64,
        country: &str,
    ) -> Result<Found<Contact>, CrmError> {
        let pg = self.store.is_postgres();
        let parts = conds.iter().map(|c| part(pg, c, country)).collect::<Result<Vec<_>, _>>()?;
        let mut trigrams: Vec<String> = parts.iter().flat_map(|p| trigrams(&p.any)).collect();
        trigrams.sort();
        trigrams.dedup();
        let fts_query = (!trigrams.is_empty() && self.store.contacts_fts_ready().await?).then(|| {
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
            sql.push("org_id = ").bind(org.0).push(" AND deleted_at IS NULL");
            if let Some((q, id)) = &fts {
                sql.push(&format!(" AND {id} IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH "))
                    .bind(q.clone())
                    .push(")");
            }
            for p in &parts {
                sql.push(" AND ").append(&p.sql);
            }
        };
        let order = if pg {
            "lower(last_name), lower(first_name), id"
        } else {
            "last_name COLLATE NOCASE, first_name COLLATE NOCASE, id"
        };
        let per_page = per_page.clamp(1, 200);
        let page = Ord::max(page, 1);
        let offset = (page - 1) * per_page;
        // One pass: up to COUNT_CAP + 1 matches, their number, the page among them.
        let mut q = Sql::new(pg);
        q.push("SELECT id, COUNT(*) OVER () AS total FROM (SELECT id, last_name, first_name FROM contacts WHERE ");
        condition(&mut q);
        q.push(&format!(" LIMIT {}) AS m ORDER BY {order} LIMIT {per_page} OFFSET {offset}", COUNT_CAP + 1));
        let rows = self.db().query_all_raw(q.statement()).await?;
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
                .db()
                .query_all_raw(q.statement())
                .await?
                .iter()
                .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
                .collect();
        }
        let mut found = contact::Entity::find()
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::Id.is_in(ids.clone()))
            .all(self.db())
            .await?;
        found.sort_by_key(|m| ids.iter().position(|i| *i == m.id));
        Ok(Found { total, more, page, per_page, items: found.into_iter().map(Into::into).collect() })
    }

    async fn count(&self, q: &Sql) -> Result<u64, CrmError> {
        let row = self.db().query_one_raw(q.statement()).await?;
        Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trigrams_of_a_value() {
        assert_eq!(super::trigrams("Woź"), vec!["Woź"]);
        assert_eq!(super::trigrams("anna"), vec!["ann", "nna"]);
        assert!(super::trigrams("ab").is_empty());
    }

    #[test]
    fn phone_prefixes() {
        assert_eq!(super::phone_prefix("+48 500", "48500", "PL"), "48500");
        assert_eq!(super::phone_prefix("0048 500", "0048500", "PL"), "48500");
        assert_eq!(super::phone_prefix("500 1", "5001", "PL"), "485001");
    }

    #[test]
    fn names_ignore_case_and_escape_wildcards() {
        let p = super::text_part(false, "first_name", "equals", "An_na", true);
        assert_eq!(p.sql.text, "first_name LIKE ? ESCAPE '!'");
        assert_eq!(format!("{:?}", p.sql.values), r#"[String(Some("An!_na"))]"#);
        assert!(p.indexed);
        let p = super::text_part(true, "email", "contains", "Żak%", false);
        assert_eq!(p.sql.statement().sql, "lower(email) LIKE $1 ESCAPE '!'");
        assert_eq!(format!("{:?}", p.sql.values), r#"[String(Some("%żak!%%"))]"#);
    }
}
