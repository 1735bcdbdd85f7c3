use crate::{PW, TestApp, location};
use reqwest::StatusCode;

#[tokio::test]
async fn login_page_speaks_three_languages_and_hebrew_is_rtl() {
    let app = TestApp::spawn().await;
    let c = TestApp::browser();
    let en = app.get(&c, "/login?lang=en").await.text().await.unwrap();
    assert!(en.contains(r#"dir="ltr""#) && en.contains("User name or extension"));
    let pl = app.get(&c, "/login?lang=pl").await.text().await.unwrap();
    assert!(pl.contains("Nazwa użytkownika lub numer wewnętrzny") && pl.contains(r#"lang="pl""#));
    let he = app.get(&c, "/login?lang=he").await.text().await.unwrap();
    assert!(he.contains(r#"dir="rtl""#) && he.contains("שם משתמש או מספר שלוחה"));
}

#[tokio::test]
async fn wrong_password_says_so_in_the_chosen_language_and_logs_nobody_in() {
    let app = TestApp::spawn().await;
    let c = TestApp::browser();
    let r = app.login(&c, "alice", "not-the-password", "en").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("Wrong user name or password."));
    let r = app.login(&c, "alice", "not-the-password", "pl").await;
    assert!(r.text().await.unwrap().contains("Nieprawidłowa nazwa użytkownika lub hasło."));
    assert_eq!(location(&app.get(&c, "/agent").await), "/login");
}

async fn sessions_stored(app: &TestApp) -> u64 {
    use store::sea_orm::{EntityTrait, PaginatorTrait};
    store::entities::session::Entity::find().count(app.crm.store().conn()).await.unwrap()
}

#[tokio::test]
async fn login_rotates_the_session_and_sets_safe_cookies() {
    let app = TestApp::spawn().await;
    let c = TestApp::browser();
    // A browser that already holds a session (planted, or from before) gets a new one at log-in.
    let planted = c.post(app.url("/login")).form(&[("identifier", "100"), ("password", PW)]).send().await.unwrap();
    assert_eq!(planted.status(), StatusCode::FORBIDDEN, "a log-in without the form's token");
    let (old_token, _) = app.crm.anonymous_session(crm::Language::En).await.unwrap();
    let old = format!("sb_session={old_token}");
    let r = c.get(app.url("/login")).header("cookie", &old).send().await.unwrap();
    let form_cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(form_cookie.starts_with("sb_login=") && form_cookie.contains("HttpOnly"), "{form_cookie}");
    let body = r.text().await.unwrap();
    let token = crate::csrf_in(&body).unwrap();
    assert_eq!(Some(token.as_str()), form_cookie.split(';').next().unwrap().strip_prefix("sb_login="));
    let r = c
        .post(app.url("/login"))
        .header("cookie", format!("{old}; {}", form_cookie.split(';').next().unwrap()))
        .form(&[("csrf", token.as_str()), ("identifier", "100"), ("password", PW), ("language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> =
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let after = cookies.iter().find(|c| c.starts_with("sb_session=")).expect("a new session cookie");
    assert_ne!(after.split(';').next(), Some(old.as_str()), "a new session id at log-in");
    assert!(after.contains("HttpOnly") && after.contains("SameSite=Lax"), "{after}");
    // The session the browser held before no longer works.
    let stale = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = stale.get(app.url("/agent")).header("cookie", old).send().await.unwrap();
    assert_eq!(location(&r), "/login");
    // The logged-in browser sees the shell with the user panel.
    let page = app.get(&c, "/agent").await.text().await.unwrap();
    assert!(page.contains("alice Nowak") && page.contains(">100<"), "user panel shows name and extension");
}

/// The attack: a script fetching the log-in page a million times once wrote a million session
/// rows. Now showing the page stores nothing, and a post needs the token of the browser's own
/// cookie (another browser's token, or none, is refused).
#[tokio::test]
async fn the_login_page_stores_nothing_and_its_form_needs_its_own_token() {
    let app = TestApp::spawn().await;
    let before = sessions_stored(&app).await;
    for lang in ["en", "pl", "he", "en"] {
        let r = app.get(&TestApp::browser(), &format!("/login?lang={lang}")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get_all("set-cookie").iter().all(|v| !v.to_str().unwrap().starts_with("sb_session=")));
    }
    assert_eq!(sessions_stored(&app).await, before, "no session row for a page view");
    // A wrong password stores none either, and the page it shows still carries the token.
    let c = TestApp::browser();
    let r = app.login(&c, "alice", "not-the-password", "en").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(crate::csrf_in(&r.text().await.unwrap()).is_some_and(|t| t.len() == 64));
    assert_eq!(sessions_stored(&app).await, before);
    // Another browser's token is refused.
    let other = TestApp::browser();
    let token = crate::csrf_in(&app.get(&other, "/login").await.text().await.unwrap()).unwrap();
    let fresh = TestApp::browser();
    app.get(&fresh, "/login").await;
    let r = fresh
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("identifier", "100"), ("password", PW), ("language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A post from another site is refused even with the right token.
    let own = crate::csrf_in(&app.get(&fresh, "/login").await.text().await.unwrap()).unwrap();
    let r = fresh
        .post(app.url("/login"))
        .header("origin", "http://evil.example")
        .form(&[("csrf", own.as_str()), ("identifier", "100"), ("password", PW), ("language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(sessions_stored(&app).await, before);
    let r = app.login(&fresh, "100", PW, "en").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the right token logs in");
    assert_eq!(sessions_stored(&app).await, before + 1);
}

#[tokio::test]
async fn the_next_login_remembers_the_extension() {
    let app = TestApp::spawn().await;
    let c = app.browser_as("101").await;
    let r = app.post_form(&c, "/agent", "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get(&c, "/login").await.text().await.unwrap();
    assert!(page.contains(r#"name="identifier" value="101""#), "{page}");
    assert_eq!(location(&app.get(&c, "/agent").await), "/login", "logged out");
}

#[tokio::test]
async fn five_failures_lock_further_tries_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let c = TestApp::browser();
    for _ in 0..5 {
        assert_eq!(app.login(&c, "alice", "bad-password", "en").await.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app.login(&c, "alice", PW, "en").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many failed log-ins"));
    app.crm.clock().advance(chrono::Duration::minutes(6));
    assert_eq!(app.login(&c, "alice", PW, "en").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn no_free_licence_refuses_login_in_the_users_language() {
    let app = TestApp::spawn().await;
    app.crm.set_seats(app.acme_admin.org_id, 1).await.unwrap();
    let alice = app.browser_as("alice").await;
    let c = TestApp::browser();
    let r = app.login(&c, "bob", PW, "en").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("No free licences in the system."));
    let r = app.login(&c, "bob", PW, "he").await;
    assert!(r.text().await.unwrap().contains("לא קיימים רישיונות פנויים במערכת"));
    let r = app.login(&c, "bob", PW, "pl").await;
    assert!(r.text().await.unwrap().contains("Brak wolnych licencji w systemie."));
    app.post_form(&alice, "/agent", "/logout", &[]).await;
    assert_eq!(app.login(&c, "bob", PW, "en").await.status(), StatusCode::SEE_OTHER, "the seat is free again");
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_site_are_refused() {
    let app = TestApp::spawn().await;
    let c = app.browser_as("alice").await;
    let fields = [
        ("username", "eve"),
        ("full_name", "Eve"),
        ("extension", "150"),
        ("role", "admin"),
        ("language", "en"),
        ("password", "eve-password-1"),
        ("password_repeat", "eve-password-1"),
    ];
    let r = c.post(app.url("/admin/users")).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("The form had expired or came from another site"));
    let token = app.csrf(&c, "/admin/users/new").await;
    let mut with = vec![("csrf", token.as_str())];
    with.extend_from_slice(&fields);
    let r = c.post(app.url("/admin/users")).header("origin", "https://evil.example").form(&with).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The same host over https is another site for a plain-http server.
    let https = app.base.replace("http://", "https://");
    let r = c.post(app.url("/admin/users")).header("origin", https.as_str()).form(&with).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "an https Origin on a plain-http server");
    let wrong = vec![("csrf", "0000"), ("username", "eve")];
    let r = c.post(app.url("/admin/users")).form(&wrong).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.crm.users(app.acme_admin.org_id).await.unwrap().iter().all(|u| u.username != "eve"), "nothing created");
    // The login form is protected too.
    let fresh = TestApp::browser();
    let r = fresh.post(app.url("/login")).form(&[("identifier", "alice"), ("password", PW)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // With the server's own Origin the form goes through.
    let r = c.post(app.url("/admin/users")).header("origin", app.base.as_str()).form(&with).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the server's own Origin");
}

#[tokio::test]
async fn a_one_time_password_must_be_changed_first() {
    let app = TestApp::spawn().await;
    let o = app.crm.org(app.acme_admin.org_id).await.unwrap();
    let _ = o;
    let new = crm::identity::users::NewUser {
        username: "olga".into(),
        full_name: "Olga".into(),
        extension: "130".into(),
        role: "agent".into(),
        password: "one-time-pass".into(),
        must_change_password: true,
        ..Default::default()
    };
    app.crm.create_user(app.acme_admin.org_id, new).await.unwrap();
    let c = TestApp::browser();
    let r = app.login(&c, "olga", "one-time-pass", "en").await;
    assert_eq!(location(&r), "/account/password");
    assert_eq!(location(&app.get(&c, "/agent").await), "/account/password");
    let r = app
        .post_form(
            &c,
            "/account/password",
            "/account/password",
            &[
                ("current_password", "one-time-pass"),
                ("password", "olgas-own-pass"),
                ("password_repeat", "olgas-own-pass"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/agent?ok=password-changed");
    assert_eq!(app.get(&c, "/agent").await.status(), StatusCode::OK);
}

/// A request that came over HTTPS (the proxy says so) gets Secure cookies, whatever the setting;
/// a plain-http one does not.
#[tokio::test]
async fn cookies_are_secure_whenever_the_request_came_over_https() {
    let app = TestApp::spawn().await;
    let c = reqwest::Client::new();
    let set_cookies = |r: &reqwest::Response| -> Vec<String> {
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
    };
    let r = c.get(app.url("/login")).header("x-forwarded-proto", "https").send().await.unwrap();
    let cookies = set_cookies(&r);
    assert!(cookies.iter().any(|k| k.starts_with("sb_login=") && k.contains("Secure")), "{cookies:?}");
    let r = c.get(app.url("/login")).send().await.unwrap();
    let cookies = set_cookies(&r);
    assert!(!cookies.is_empty() && cookies.iter().all(|k| !k.contains("Secure")), "{cookies:?}");
}
