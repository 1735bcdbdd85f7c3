//! Store tests: run on SQLite always, and on PostgreSQL when the test command started one.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use store::entities::{organization, user};
use store::testing::backends;

fn org(slug: &str) -> organization::ActiveModel {
    organization::ActiveModel {
        slug: Set(slug.into()),
        name: Set(slug.into()),
        seats: Set(5),
        sip_domain: Set(format!("{slug}.example")),
        default_country: Set("PL".into()),
        time_zone: Set("Europe/Warsaw".into()),
        screen_pop_url: Set(String::new()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
}

fn user(org_id: i64, name: &str, ext: &str) -> user::ActiveModel {
    let now = chrono::Utc::now();
    user::ActiveModel {
        org_id: Set(org_id),
        username: Set(name.into()),
        full_name: Set("Zażółć Gęślą Jaźń".into()),
        extension: Set(ext.into()),
        role: Set("agent".into()),
        language: Set("pl".into()),
        password_hash: Set("x".into()),
        sip_password: Set("y".into()),
        active: Set(true),
        must_change_password: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

#[tokio::test]
async fn migrations_apply_twice_and_rows_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for (name, s) in backends(dir.path()).await {
        s.migrate().await.unwrap_or_else(|e| panic!("{name}: second migrate: {e}"));
        let o = org("acme").insert(s.conn()).await.unwrap();
        let u = user(o.id, "anna", "1001").insert(s.conn()).await.unwrap();
        let back = user::Entity::find_by_id(u.id).one(s.conn()).await.unwrap().unwrap();
        assert_eq!(back.full_name, "Zażółć Gęślą Jaźń", "{name}: non-ASCII text survives");
        assert_eq!(back.created_at.timestamp_micros(), u.created_at.timestamp_micros(), "{name}: time survives");
        s.ping().await.unwrap();
    }
}

#[tokio::test]
async fn extension_is_unique_per_organization_only() {
    let dir = tempfile::tempdir().unwrap();
    for (name, s) in backends(dir.path()).await {
        let a = org("a").insert(s.conn()).await.unwrap();
        let b = org("b").insert(s.conn()).await.unwrap();
        user(a.id, "x", "1001").insert(s.conn()).await.unwrap();
        user(b.id, "x", "1001").insert(s.conn()).await.expect("the same extension in another organization");
        let dup = user(a.id, "y", "1001").insert(s.conn()).await;
        assert!(dup.is_err(), "{name}: a second 1001 in one organization is refused");
        let n = user::Entity::find().filter(user::Column::OrgId.eq(a.id)).all(s.conn()).await.unwrap().len();
        assert_eq!(n, 1, "{name}: the refused row left nothing behind");
    }
}

#[tokio::test]
async fn postgres_notify_reaches_listeners() {
    let Some(admin) = store::testing::pg_admin_url() else { return };
    let url = store::testing::fresh_pg_url(&admin).await;
    let a = store::Store::connect(&url).await.unwrap();
    let b = store::Store::connect(&url).await.unwrap();
    use futures_util::StreamExt;
    let mut heard = Box::pin(b.listen().await.unwrap().expect("PostgreSQL carries events between nodes"));
    a.notify("{\"hello\":\"świat\"}").await.unwrap();
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), heard.next()).await.unwrap().unwrap();
    assert_eq!(got, "{\"hello\":\"świat\"}");
}

#[tokio::test]
async fn unsupported_urls_are_refused_clearly() {
    let e = store::Store::connect("mysql://x").await.unwrap_err();
    assert!(e.to_string().contains("sqlite: or postgres:"), "{e}");
}

/// The definitions of the contact search indexes and triggers, as SQLite keeps them.
async fn search_schema(s: &store::Store) -> Vec<(String, String)> {
    use sea_orm::ConnectionTrait;
    let rows = s
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT name, sql FROM sqlite_master WHERE name LIKE 'ix_contacts_org_%' OR name LIKE 'contacts_fts_a%' \
             ORDER BY name",
        ))
        .await
        .unwrap();
    rows.iter().map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())).collect()
}

#[tokio::test]
async fn a_bulk_load_cut_short_gets_its_search_indexes_back_as_the_migration_made_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = store::testing::fresh_sqlite_url(dir.path());
    let s = store::Store::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    let made = search_schema(&s).await;
    assert_eq!(made.len(), 8, "{made:?}");
    // A bulk load that ends builds them again, the same.
    s.begin_bulk_contacts().await.unwrap().finish().await;
    s.contact_search_settled().await;
    assert_eq!(search_schema(&s).await, made);
    assert!(s.contacts_fts_ready().await.unwrap());
    // One cut short (the process killed: never finished): the next start builds them again.
    let cut = s.begin_bulk_contacts().await.unwrap();
    assert!(!s.contacts_fts_ready().await.unwrap());
    assert_eq!(search_schema(&s).await.len(), 3, "the name indexes and the triggers are gone");
    std::mem::forget(cut);
    let again = store::Store::connect(&url).await.unwrap();
    again.migrate().await.unwrap();
    assert_eq!(search_schema(&again).await, made);
    assert!(again.contacts_fts_ready().await.unwrap());
}

/// Transactions that read and then write, from many connections at once, on a SQLite file in
/// WAL mode: with a deferred BEGIN some fail with SQLITE_BUSY_SNAPSHOT (517, "database is
/// locked") when another connection committed in between; `Store::write` begins IMMEDIATE, so
/// every one of them commits and no increment is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_writers_that_read_first_never_fail_or_lose_updates() {
    let dir = tempfile::tempdir().unwrap();
    let (_, s) = backends(dir.path()).await.into_iter().next().unwrap();
    let o = org("busy").insert(s.conn()).await.unwrap();
    let (tasks, each) = (8, 40);
    let mut handles = vec![];
    for _ in 0..tasks {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..each {
                let txn = s.write().await.expect("begin");
                let row = organization::Entity::find_by_id(o.id).one(&txn).await.expect("read").unwrap();
                tokio::task::yield_now().await; // let the others commit meanwhile
                let seats = row.seats;
                let mut am: organization::ActiveModel = row.into();
                am.seats = Set(seats + 1);
                am.update(&txn).await.expect("write after read");
                txn.commit().await.expect("commit");
            }
        }));
    }
    for h in handles {
        h.await.expect("no writer failed");
    }
    let back = organization::Entity::find_by_id(o.id).one(s.conn()).await.unwrap().unwrap();
    assert_eq!(back.seats, 5 + tasks * each, "every increment is kept");
}
