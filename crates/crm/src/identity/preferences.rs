//! Each user's own choices: the address for notifications and which notifications to get, and
//! how the agent workspace behaves (silent ring, no pop-ups, the dialer, the handling window).

use crate::{Crm, CrmError, User};
use serde::{Deserialize, Serialize};
use store::entities::user_preference as up;
use store::sea_orm::EntityTrait;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// Where notifications go (may be empty).
    #[serde(default)]
    pub email: String,
    /// An e-mail for every new missed call (when the organization offers it).
    #[serde(default)]
    pub missed_email: bool,
    /// Incoming calls ring only visibly.
    #[serde(default)]
    pub silent_ring: bool,
    /// No screen pop on incoming calls.
    #[serde(default)]
    pub suppress_popups: bool,
    /// The call handling window opens by itself for every call.
    #[serde(default)]
    pub auto_handling: bool,
    #[serde(default = "yes")]
    pub show_dialer: bool,
    /// Calls to the browser phone are answered at once.
    #[serde(default)]
    pub auto_answer: bool,
    /// A clicked number is dialled at once (else the dialer opens with it).
    #[serde(default)]
    pub dial_at_once: bool,
}

fn yes() -> bool {
    true
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            email: String::new(),
            missed_email: false,
            silent_ring: false,
            suppress_popups: false,
            auto_handling: false,
            show_dialer: true,
            auto_answer: false,
            dial_at_once: false,
        }
    }
}

/// How the workspace behaves (the part of the preferences the agent page changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Workspace {
    pub silent_ring: bool,
    pub suppress_popups: bool,
    pub auto_handling: bool,
    pub show_dialer: bool,
    #[serde(default)]
    pub auto_answer: bool,
    #[serde(default)]
    pub dial_at_once: bool,
}

impl Crm {
    pub async fn preferences(&self, user: &User) -> Result<Preferences, CrmError> {
        Ok(up::Entity::find_by_id(user.id.0)
            .one(self.db())
            .await?
            .filter(|p| p.org_id == user.org_id.0)
            .map(|p| Preferences {
                email: p.email,
                missed_email: p.missed_email,
                silent_ring: p.silent_ring,
                suppress_popups: p.suppress_popups,
                auto_handling: p.auto_handling,
                show_dialer: p.show_dialer,
                auto_answer: p.auto_answer,
                dial_at_once: p.dial_at_once,
            })
            .unwrap_or_default())
    }

    /// The notification address and e-mails.
    pub async fn set_preferences(&self, user: &User, p: Preferences) -> Result<Preferences, CrmError> {
        let email = p.email.trim().to_string();
        if !email.is_empty() && !valid_email(&email) {
            return Err(CrmError::invalid("email", "err-email"));
        }
        if p.missed_email && email.is_empty() {
            return Err(CrmError::invalid("email", "err-email-needed"));
        }
        let cur = self.preferences(user).await?;
        self.save_preferences(user, Preferences { email, missed_email: p.missed_email, ..cur }).await
    }

    /// How the workspace behaves.
    pub async fn set_workspace(&self, user: &User, w: Workspace) -> Result<Preferences, CrmError> {
        let cur = self.preferences(user).await?;
        let p = Preferences {
            silent_ring: w.silent_ring,
            suppress_popups: w.suppress_popups,
            auto_handling: w.auto_handling,
            show_dialer: w.show_dialer,
            auto_answer: w.auto_answer,
            dial_at_once: w.dial_at_once,
            ..cur
        };
        self.save_preferences(user, p).await
    }

    async fn save_preferences(&self, user: &User, p: Preferences) -> Result<Preferences, CrmError> {
        let row = up::Model {
            user_id: user.id.0,
            org_id: user.org_id.0,
            email: p.email.clone(),
            missed_email: p.missed_email,
            silent_ring: p.silent_ring,
            suppress_popups: p.suppress_popups,
            auto_handling: p.auto_handling,
            show_dialer: p.show_dialer,
            auto_answer: p.auto_answer,
            dial_at_once: p.dial_at_once,
        };
        let exists = up::Entity::find_by_id(user.id.0).one(self.db()).await?.is_some();
        store::put_row::<up::Entity, _>(self.db(), exists, row).await?;
        Ok(p)
    }
}

/// A bare address (`name@domain`), as typed into a form.
pub fn valid_email(s: &str) -> bool {
    s.len() <= 254 && !s.contains('<') && s.contains('@') && channels::mail::valid_address(s)
}
