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
    let mut heard = Box::pin(b.listen().await.unwrap());
    a.notify("{\"hello\":\"świat\"}").await.unwrap();
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), heard.next()).await.unwrap().unwrap();
    assert_eq!(got, "{\"hello\":\"świat\"}");
}

#[tokio::test]
async fn unsupported_urls_are_refused_clearly() {
    let e = store::Store::connect("mysql://x").await.unwrap_err();
    assert!(e.to_string().contains("sqlite: or postgres:"), "{e}");
}
