use crate::{TestApp, location};
use reqwest::StatusCode;

fn fields<'a>(name: &'a str, ext: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("username", name),
        ("full_name", "Zofia Żółć"),
        ("extension", ext),
        ("role", "agent"),
        ("language", "pl"),
        ("password", "zofia-pass-1"),
        ("password_repeat", "zofia-pass-1"),
        ("sip_password", ""),
    ]
}

#[tokio::test]
async fn an_admin_creates_edits_and_deactivates_a_user() {
    let app = TestApp::spawn().await;
    let c = app.browser_as("alice").await;
    let r = app.post_form(&c, "/admin/users/new", "/admin/users", &fields("zofia", "120")).await;
    assert_eq!(location(&r), "/admin/users?ok=user-created");
    let list = app.get(&c, "/admin/users?ok=user-created").await.text().await.unwrap();
    assert!(list.contains("Zofia Żółć") && list.contains("User created."));
    let org = app.acme_admin.org_id;
    let z = app.crm.users(org).await.unwrap().into_iter().find(|u| u.username == "zofia").unwrap();
    assert_eq!(z.sip_password.len(), 16, "a SIP password was generated");

    let edit = format!("/admin/users/{}", z.id);
    let mut f = fields("zofia", "121");
    f.retain(|(k, _)| !k.starts_with("password"));
    f.push(("password", ""));
    f.push(("password_repeat", ""));
    f.iter_mut().for_each(|(k, v)| {
        if *k == "role" {
            *v = "manager"
        }
    });
    let r = app.post_form(&c, &edit, &edit, &f).await;
    assert_eq!(location(&r), "/admin/users?ok=user-saved");
    let z2 = app.crm.user(org, z.id).await.unwrap();
    assert_eq!((z2.extension.as_str(), z2.role.as_str()), ("121", "manager"));
    let zc = TestApp::browser();
    let r = app.login(&zc, "zofia", "zofia-pass-1", "en").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "an empty password field keeps the password");
    let r = app.post_form(&c, "/admin/users", &format!("{edit}/deactivate"), &[]).await;
    assert_eq!(location(&r), "/admin/users?ok=user-deactivated");
    assert_eq!(location(&app.get(&zc, "/agent").await), "/login", "the deactivated user's session ended");
}

#[tokio::test]
async fn a_bad_user_form_explains_every_field_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let c = app.browser_as("alice").await;
    app.post_form(&c, "/account", "/account/language", &[("language", "he")]).await;
    let bad = vec![
        ("username", "a b"),
        ("full_name", ""),
        ("extension", "1x"),
        ("role", "agent"),
        ("language", "he"),
        ("password", "short"),
        ("password_repeat", "short"),
    ];
    let r = app.post_form(&c, "/admin/users/new", "/admin/users", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"dir="rtl""#));
    assert!(body.contains("שלוחה היא בת 2 עד 8 ספרות"), "extension error in Hebrew");
    assert!(body.contains("סיסמה היא בת 8 עד 200 תווים"), "password error in Hebrew");
    let r = app.post_form(&c, "/admin/users/new", "/admin/users", &fields("dup", "101")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("שלוחה זו כבר בשימוש"));
    let mismatch = vec![
        ("username", "mm"),
        ("full_name", "M"),
        ("extension", "140"),
        ("role", "agent"),
        ("language", "en"),
        ("password", "first-pass-1"),
        ("password_repeat", "other-pass-1"),
    ];
    assert_eq!(
        app.post_form(&c, "/admin/users/new", "/admin/users", &mismatch).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.crm.users(app.acme_admin.org_id).await.unwrap().len(), 2, "nothing was created");
}

#[tokio::test]
async fn agents_cannot_administer_users() {
    let app = TestApp::spawn().await;
    let c = app.browser_as("bob").await;
    assert_eq!(app.get(&c, "/admin/users").await.status(), StatusCode::FORBIDDEN);
    let r = app.post_form(&c, "/account", "/admin/users", &fields("x", "150")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = app.get(&c, "/agent").await.text().await.unwrap();
    assert!(!page.contains("/admin/users"), "no admin link for agents");
}

#[tokio::test]
async fn api_tokens_are_made_shown_once_and_revoked_from_the_account_page() {
    let app = TestApp::spawn().await;
    let c = app.browser_as("bob").await;
    let r = app.post_form(&c, "/account", "/account/tokens", &[("name", "my crm")]).await;
    let body = r.text().await.unwrap();
    let at = body.find("id=\"new-token\" dir=\"ltr\">").unwrap() + "id=\"new-token\" dir=\"ltr\">".len();
    let secret = body[at..].split('<').next().unwrap().to_string();
    let api = reqwest::Client::new();
    let me = api.get(app.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let again = app.get(&c, "/account").await.text().await.unwrap();
    assert!(!again.contains(&secret), "the secret is never shown again");
    let t = app.crm.tokens(app.acme_agent.org_id, app.acme_agent.id).await.unwrap().remove(0);
    app.post_form(&c, "/account", &format!("/account/tokens/{}/revoke", t.id), &[]).await;
    let me = api.get(app.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}
