//! Which database errors may go away by themselves (a busy or locked database, a lost
//! connection, a full or read-only disk for a moment, a serialization failure) and are worth
//! retrying, as opposed to errors that will fail again the same way (a constraint, a bug).

use sea_orm::{DbErr, RuntimeErr};

/// Whether `e` may succeed when tried again later.
pub fn is_transient(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(r) | DbErr::Exec(r) | DbErr::Query(r) => runtime_is_transient(r),
        _ => false,
    }
}

fn runtime_is_transient(r: &RuntimeErr) -> bool {
    use sea_orm::sqlx::Error;
    let RuntimeErr::SqlxError(e) = r else { return false };
    match e.as_ref() {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed | Error::Tls(_) => true,
        Error::Protocol(_) => true,
        Error::Database(d) => d.code().is_some_and(|c| code_is_transient(&c)),
        _ => false,
    }
}

/// SQLite result codes (primary or extended, as numbers) and PostgreSQL SQLSTATEs.
fn code_is_transient(code: &str) -> bool {
    // A SQLSTATE has five characters; SQLite's codes (up to 4 digits) are numbers.
    if code.len() < 5
        && let Ok(n) = code.parse::<i32>()
    {
        // SQLite: BUSY (and BUSY_SNAPSHOT…), LOCKED, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL.
        return matches!(n & 0xff, 5 | 6 | 8 | 10 | 13 | 14 | 15);
    }
    // PostgreSQL: connection exceptions, serialization failure and deadlock, insufficient
    // resources, operator intervention (shutdown), a read-only transaction (a standby).
    code.starts_with("08")
        || code == "40001"
        || code == "40P01"
        || code.starts_with("53")
        || code.starts_with("57P")
        || code == "25006"
}

#[cfg(test)]
mod tests {
    use super::code_is_transient;

    #[test]
    fn codes() {
        assert!(code_is_transient("517"), "SQLITE_BUSY_SNAPSHOT");
        assert!(code_is_transient("5"));
        assert!(code_is_transient("1032"), "SQLITE_READONLY_DBMOVED");
        assert!(!code_is_transient("2067"), "a unique constraint is not transient");
        assert!(!code_is_transient("1"));
        assert!(code_is_transient("40001"));
        assert!(code_is_transient("57P01"));
        assert!(!code_is_transient("23505"));
    }
}
