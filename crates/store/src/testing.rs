//! Fresh databases for tests: SQLite always, PostgreSQL too when the test command started one
//! and put its admin URL in `SWITCHBOARD_TEST_PG_URL` (see scripts/test.sh).

use crate::Store;
use std::sync::atomic::{AtomicU32, Ordering};

/// The admin URL of the test PostgreSQL server, when there is one.
pub fn pg_admin_url() -> Option<String> {
    std::env::var("SWITCHBOARD_TEST_PG_URL").ok().filter(|s| !s.is_empty())
}

/// Creates an empty PostgreSQL database with a unique name and returns its URL.
pub async fn fresh_pg_url(admin_url: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "sb_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    );
    let admin = Store::connect(admin_url).await.expect("connect to test PostgreSQL");
    use sea_orm::ConnectionTrait;
    admin.conn().execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    admin.conn().clone().close().await.ok();
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
    format!("{base}/{name}")
}

/// A fresh SQLite database URL inside `dir`.
pub fn fresh_sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite:{}", dir.join("switchboard.db").display())
}

/// One migrated store per available backend, labelled "sqlite" or "postgres".
/// The SQLite files live in `dir`, which the caller keeps alive.
pub async fn backends(dir: &std::path::Path) -> Vec<(&'static str, Store)> {
    let mut out = Vec::new();
    let s = Store::connect(&fresh_sqlite_url(dir)).await.expect("sqlite");
    s.migrate().await.expect("migrate sqlite");
    out.push(("sqlite", s));
    if let Some(admin) = pg_admin_url() {
        let p = Store::connect(&fresh_pg_url(&admin).await).await.expect("postgres");
        p.migrate().await.expect("migrate postgres");
        out.push(("postgres", p));
    }
    out
}
