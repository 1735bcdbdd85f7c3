//! Server-rendered pages (askama templates under web/templates) and what every page shares:
//! the language and direction, the navigation, the logged-in user and the CSRF token.

pub mod account;
pub mod agent;
pub mod areas;
pub mod billing;
pub mod call_lists;
pub mod campaigns;
pub mod cases;
pub mod charts;
pub mod confirm;
pub mod contacts;
pub mod imports;
pub mod list_rules;
pub mod list_stats;
pub mod login;
pub mod mail;
pub mod missed;
pub mod organization;
pub mod queues;
pub mod reports;
pub mod search;
pub mod start;
pub mod telephony;
pub mod users;
pub mod wallboard;

use crate::ctx::{Ctx, url_pairs};
use crate::i18n::{tr, tr_has};
use crm::{Language, Role, User};

/// Managers (and administrators) only; anyone else gets 403.
pub fn manager_only(me: &User) -> Result<(), crate::error::PageError> {
    if me.is_manager() {
        Ok(())
    } else {
        Err(crate::error::PageError::new(axum::http::StatusCode::FORBIDDEN, "err-forbidden"))
    }
}

pub struct NavItem {
    pub key: &'static str,
    pub href: &'static str,
}

/// The areas of the product, in the order of the navigation.
pub const AREAS: [NavItem; 8] = [
    NavItem { key: "nav-agent", href: "/agent" },
    NavItem { key: "nav-contacts", href: "/contacts" },
    NavItem { key: "nav-cases", href: "/cases" },
    NavItem { key: "nav-campaigns", href: "/campaigns" },
    NavItem { key: "nav-missed", href: "/missed" },
    NavItem { key: "nav-call-lists", href: "/call-lists" },
    NavItem { key: "nav-activities", href: "/activities" },
    NavItem { key: "nav-reports", href: "/reports" },
];

pub struct Page {
    pub lang: Language,
    pub user: Option<User>,
    pub csrf: String,
    /// The navigation key of the current area.
    pub active: &'static str,
    pub flash: Option<String>,
    pub version: &'static str,
    pub tz: crm::Tz,
    pub country: String,
}

/// `t` in time zone `tz`, formatted.
pub fn local(tz: crm::Tz, t: &chrono::DateTime<chrono::Utc>, format: &str) -> String {
    t.with_timezone(&tz).format(format).to_string()
}

/// How a day is written in `lang`: `7 Dec 2026` in English (never a day and month that could
/// be read the other way round), `07.12.2026` in Polish and Hebrew.
pub fn date_format(lang: Language) -> &'static str {
    match lang {
        Language::En => "%-d %b %Y",
        Language::Pl | Language::He => "%d.%m.%Y",
    }
}

/// A moment as the organization's clocks show it, written the user's way: `7 Dec 2026 17:05`.
pub fn when_in(lang: Language, tz: crm::Tz, t: &chrono::DateTime<chrono::Utc>) -> String {
    local(tz, t, &format!("{} %H:%M", date_format(lang)))
}

impl Page {
    pub fn new(ctx: &Ctx, active: &'static str) -> Page {
        Page {
            lang: ctx.lang,
            user: ctx.user.clone(),
            csrf: ctx.csrf(),
            active,
            flash: None,
            version: crate::VERSION,
            tz: ctx.tz,
            country: ctx.country.clone(),
        }
    }

    /// A phone number as the organization's people read it (national format for its own
    /// country, international otherwise; extensions as they are).
    pub fn number(&self, n: &str) -> String {
        crm::contacts::phone::display(n, &self.country)
    }

    /// A moment as the organization's clocks show it, in the user's way of writing a day:
    /// `1 Dec 2026 17:05`, `01.12.2026 17:05`.
    pub fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        when_in(self.lang, self.tz, t)
    }

    /// The same with seconds.
    pub fn when_s(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local(self.tz, t, &format!("{} %H:%M:%S", date_format(self.lang)))
    }

    /// The organization's day of a moment.
    pub fn day(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local(self.tz, t, date_format(self.lang))
    }

    /// The organization's time of day of a moment: `17:05`.
    pub fn hm(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local(self.tz, t, "%H:%M")
    }

    /// Shows the confirmation named by `?ok=KEY` (only keys that are messages).
    pub fn with_flash(mut self, query: Option<&str>) -> Page {
        let key = query.and_then(|q| url_pairs(q).into_iter().find(|(k, _)| k == "ok").map(|(_, v)| v));
        if let Some(k) = key.filter(|k| !k.starts_with("err-") && tr_has(self.lang, k)) {
            self.flash = Some(tr(self.lang, &k));
        }
        self
    }

    pub fn t(&self, key: &str) -> String {
        tr(self.lang, key)
    }

    /// The message `prefix` + `key` (e.g. a state's name).
    pub fn t2(&self, prefix: &str, key: &str) -> String {
        tr(self.lang, &format!("{prefix}{key}"))
    }

    /// The names of the call events (`call.{kind}`) the page's script listens to: the server's
    /// list, so a new kind reaches the page.
    pub fn call_kinds(&self) -> String {
        crm::calls::view::CallNews::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// The text of the missed-call notification, `{caller}` filled in by the page's script.
    pub fn missed_notice(&self) -> String {
        crate::i18n::tr_args(self.lang, "missed-notice", &[("caller", "{caller}".into())])
    }

    pub fn dir(&self) -> &'static str {
        if self.lang.is_rtl() { "rtl" } else { "ltr" }
    }

    pub fn nav(&self) -> Vec<&'static NavItem> {
        static ADMIN: [NavItem; 5] = [
            NavItem { key: "nav-start", href: "/admin/start" },
            NavItem { key: "nav-users", href: "/admin/users" },
            NavItem { key: "nav-telephony", href: "/admin/telephony" },
            NavItem { key: "nav-mail", href: "/admin/mail" },
            NavItem { key: "nav-organization", href: "/admin/organization" },
        ];
        static MANAGER: [NavItem; 2] =
            [NavItem { key: "nav-wallboard", href: "/wallboard" }, NavItem { key: "nav-queues", href: "/queues" }];
        let manager = self.user.as_ref().is_some_and(User::is_manager);
        // Reports are the managers'.
        let mut v: Vec<&'static NavItem> = AREAS.iter().filter(|a| manager || a.key != "nav-reports").collect();
        if manager {
            v.extend(MANAGER.iter());
        }
        if self.user.as_ref().is_some_and(User::is_admin) {
            v.extend(ADMIN.iter());
        }
        v
    }

    pub fn languages(&self) -> [Language; 3] {
        Language::ALL
    }

    pub fn roles(&self) -> [Role; 3] {
        Role::ALL
    }

    pub fn role_name(&self, r: &Role) -> String {
        self.t(&format!("role-{}", r.as_str()))
    }
}

/// Field errors of a form, in the user's language.
#[derive(Default)]
pub struct FormErrors {
    pub fields: Vec<(&'static str, String)>,
    pub general: Option<String>,
}

impl FormErrors {
    pub fn from_crm(e: &crm::CrmError, lang: Language) -> FormErrors {
        let fields: Vec<_> = match e {
            crm::CrmError::Invalid(v) => v.iter().map(|f| (f.field, tr(lang, f.code))).collect(),
            crm::CrmError::Conflict(f) => vec![(f.field, tr(lang, f.code))],
            _ => vec![],
        };
        let general = if fields.is_empty() { Some(tr(lang, e.code())) } else { Some(tr(lang, "err-invalid")) };
        FormErrors { fields, general }
    }

    pub fn field(&self, name: &str) -> String {
        self.fields.iter().filter(|(f, _)| *f == name).map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ")
    }
}
