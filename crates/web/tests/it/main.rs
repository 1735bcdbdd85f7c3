//! Web tests: the real app on a loopback port with a fresh database, driven over HTTP.

mod agent;
mod api;
mod billing;
mod call_lists;
mod isolation;
mod login;
mod missed;
mod ops;
mod org;
mod sse;
mod telephony_setup;
mod users;

use crm::identity::users::NewUser;
use crm::{Crm, OrgSlug, User};
use reqwest::{Client, Response, StatusCode};

pub struct TestApp {
    pub base: String,
    pub crm: Crm,
    pub acme_admin: User,
    pub acme_agent: User,
    pub globex_admin: User,
    _dir: tempfile::TempDir,
}

pub const PW: &str = "correct-horse-1";

/// An event of a call from `from` to the organization's number 48221234567.
pub fn inbound(
    org: crm::OrgId,
    call_id: &str,
    from: &str,
    extension: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
    kind: telephony::events::CallEventKind,
) -> telephony::events::CallEvent {
    use telephony::events::Direction;
    let call = telephony::ActiveCall::new(
        call_id.into(),
        org.0,
        Direction::Inbound,
        from.into(),
        "48221234567".into(),
        extension.map(str::to_string),
    );
    telephony::events::CallEvent { call, at, kind }
}

impl TestApp {
    /// On SQLite.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// On SQLite, with the app's settings changed by `tweak`.
    pub async fn spawn_with(tweak: impl FnOnce(&mut web::AppState)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = store::Store::connect(&store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        Self::spawn_on(store, dir, tweak).await
    }

    /// On every available backend.
    pub async fn spawn_all() -> Vec<(&'static str, TestApp)> {
        let mut out = vec![("sqlite", Self::spawn().await)];
        if let Some(admin) = store::testing::pg_admin_url() {
            let store = store::Store::connect(&store::testing::fresh_pg_url(&admin).await).await.unwrap();
            out.push(("postgres", Self::spawn_on(store, tempfile::tempdir().unwrap(), |_| {}).await));
        }
        out
    }

    async fn spawn_on(store: store::Store, dir: tempfile::TempDir, tweak: impl FnOnce(&mut web::AppState)) -> TestApp {
        store.migrate().await.unwrap();
        let settings = crm::CrmSettings { files: dir.path().join("files"), ..Default::default() };
        let crm = Crm::start_with(store, settings).await.unwrap();
        let acme = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let globex = crm.create_org(&OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        let mk = |name: &str, ext: &str, role: &str| NewUser {
            username: name.into(),
            full_name: format!("{name} Nowak"),
            extension: ext.into(),
            role: role.into(),
            language: "en".into(),
            password: PW.into(),
            ..Default::default()
        };
        let acme_admin = crm.create_user(acme.id, mk("alice", "100", "admin")).await.unwrap();
        let acme_agent = crm.create_user(acme.id, mk("bob", "101", "agent")).await.unwrap();
        let globex_admin = crm.create_user(globex.id, mk("gina", "200", "admin")).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut state = web::AppState {
            session_check: std::time::Duration::from_millis(100),
            ..web::AppState::new(crm.clone(), false)
        };
        tweak(&mut state);
        tokio::spawn(web::serve(listener, state, std::future::pending()));
        TestApp { base, crm, acme_admin, acme_agent, globex_admin, _dir: dir }
    }

    /// Gives the app a call event the way the SIP server does (`Crm::follow`, which
    /// `Crm::attach` uses), and waits until it is recorded.
    pub async fn call_event(&self, ev: telephony::events::CallEvent) {
        let (tx, _) = tokio::sync::broadcast::channel(4);
        let mut following = self.crm.follow(tx.subscribe());
        tx.send(ev).unwrap();
        following.recorded(1).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser: keeps cookies, does not follow redirects (tests look at them).
    pub fn browser() -> Client {
        Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    pub async fn get(&self, c: &Client, path: &str) -> Response {
        c.get(self.url(path)).send().await.unwrap()
    }

    /// The CSRF token of the form on `path`.
    pub async fn csrf(&self, c: &Client, path: &str) -> String {
        let body = self.get(c, path).await.text().await.unwrap();
        csrf_in(&body).unwrap_or_else(|| panic!("no csrf field on {path}: {body}"))
    }

    /// Posts a form the way the page would, with its CSRF token.
    pub async fn post_form(&self, c: &Client, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf(c, form_page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", &token)];
        all.extend_from_slice(fields);
        c.post(self.url(action)).form(&all).send().await.unwrap()
    }

    pub async fn login(&self, c: &Client, ident: &str, pw: &str, lang: &str) -> Response {
        self.post_form(
            c,
            &format!("/login?lang={lang}"),
            "/login",
            &[("identifier", ident), ("password", pw), ("language", lang)],
        )
        .await
    }

    /// A logged-in browser.
    pub async fn browser_as(&self, ident: &str) -> Client {
        let c = Self::browser();
        let r = self.login(&c, ident, PW, "en").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "log-in of {ident}: {}", r.text().await.unwrap());
        c
    }

    pub async fn token_for(&self, u: &User) -> String {
        self.crm.create_token(u, "test").await.unwrap().0
    }
}

pub fn csrf_in(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(body[at..].split('"').next()?.to_string())
}

pub fn location(r: &Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}
