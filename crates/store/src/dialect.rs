//! What SQLite and PostgreSQL write differently, in one place: a LIKE that ignores case, a
//! substring test, the order of names, and numbered parameters. Nothing outside `store` needs
//! to know which backend it talks to.

use crate::Store;
use sea_orm::sea_query::{ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{DbBackend, Statement, Value};

/// `LIKE` text with its wildcards escaped (the escape character is `!`).
pub fn like_escaped(v: &str) -> String {
    v.replace('!', "!!").replace('%', "!%").replace('_', "!_")
}

impl Store {
    /// `col LIKE pattern` (escaped with `!`), ignoring case: PostgreSQL compares lowercased text
    /// (every letter); SQLite's LIKE ignores the case of ASCII letters only.
    pub fn like_any_case(&self, col: SimpleExpr, pattern: String) -> SimpleExpr {
        like_any_case(self.is_postgres(), col, pattern)
    }
}

fn like_any_case(pg: bool, col: SimpleExpr, pattern: String) -> SimpleExpr {
    if pg {
        SimpleExpr::from(Func::lower(col)).like(LikeExpr::new(pattern.to_lowercase()).escape('!'))
    } else {
        col.like(LikeExpr::new(pattern).escape('!'))
    }
}

/// SQL text with its bound values (written with `?`; numbered for PostgreSQL at the end: no
/// other `?` is ever written into the text).
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) values: Vec<Value>,
    pg: bool,
}

impl Sql {
    pub(crate) fn new(pg: bool) -> Sql {
        Sql { text: String::new(), values: vec![], pg }
    }

    pub(crate) fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    pub(crate) fn bind(&mut self, v: impl Into<Value>) -> &mut Sql {
        self.values.push(v.into());
        self.text.push('?');
        self
    }

    /// `col LIKE pattern`, ignoring case (PostgreSQL: every letter; SQLite: ASCII ones).
    pub(crate) fn like(&mut self, col: &str, pattern: &str) -> &mut Sql {
        if self.pg {
            self.push(&format!("lower({col}) LIKE ")).bind(pattern.to_lowercase())
        } else {
            self.push(&format!("{col} LIKE ")).bind(pattern.to_string())
        }
        .push(" ESCAPE '!'")
    }

    /// `col` holds `digits` somewhere.
    pub(crate) fn digits_in(&mut self, col: &str, digits: &str) -> &mut Sql {
        let f = if self.pg { "strpos" } else { "instr" };
        self.push(&format!("{f}({col}, ")).bind(digits.to_string()).push(") > 0")
    }

    /// Contacts by last name, then first name, ignoring case (the name index's order).
    pub(crate) fn name_order(pg: bool) -> &'static str {
        if pg {
            "lower(last_name), lower(first_name), id"
        } else {
            "last_name COLLATE NOCASE, first_name COLLATE NOCASE, id"
        }
    }

    pub(crate) fn append(&mut self, other: &Sql) {
        self.text.push_str(&other.text);
        self.values.extend(other.values.iter().cloned());
    }

    pub(crate) fn statement(&self) -> Statement {
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Expr, PostgresQueryBuilder, Query, SqliteQueryBuilder};

    #[test]
    fn likes_escape_wildcards_and_ignore_case() {
        let pattern = format!("%{}%", like_escaped("Ż50%_!"));
        let q = Query::select().expr(like_any_case(false, Expr::col("a"), pattern)).to_owned();
        let (sql, values) = q.build(SqliteQueryBuilder);
        assert_eq!(sql, r#"SELECT "a" LIKE ? ESCAPE '!'"#);
        assert_eq!(format!("{values:?}"), r#"Values([String(Some("%Ż50!%!_!!%"))])"#);
        let q = Query::select().expr(like_any_case(true, Expr::col("a"), "Żak%".into())).to_owned();
        let (sql, values) = q.build(PostgresQueryBuilder);
        assert_eq!(sql, r#"SELECT LOWER("a") LIKE $1 ESCAPE '!'"#);
        assert_eq!(format!("{values:?}"), r#"Values([String(Some("żak%"))])"#);
    }
}
