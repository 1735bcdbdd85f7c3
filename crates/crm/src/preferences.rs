//! Each user's own choices: the address for notifications and which notifications to get.

use crate::{Crm, CrmError, User};
use serde::{Deserialize, Serialize};
use store::entities::user_preference as up;
use store::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Preferences {
    /// Where notifications go (may be empty).
    #[serde(default)]
    pub email: String,
    /// An e-mail for every new missed call (when the organization offers it).
    #[serde(default)]
    pub missed_email: bool,
}

impl Crm {
    pub async fn preferences(&self, user: &User) -> Result<Preferences, CrmError> {
        Ok(up::Entity::find_by_id(user.id.0)
            .one(self.db())
            .await?
            .filter(|p| p.org_id == user.org_id.0)
            .map(|p| Preferences { email: p.email, missed_email: p.missed_email })
            .unwrap_or_default())
    }

    pub async fn set_preferences(&self, user: &User, p: Preferences) -> Result<Preferences, CrmError> {
        let email = p.email.trim().to_string();
        if !email.is_empty() && !valid_email(&email) {
            return Err(CrmError::invalid("email", "err-email"));
        }
        if p.missed_email && email.is_empty() {
            return Err(CrmError::invalid("email", "err-email-needed"));
        }
        let row = up::Model { user_id: user.id.0, org_id: user.org_id.0, email, missed_email: p.missed_email };
        match up::Entity::find_by_id(user.id.0).one(self.db()).await? {
            None => {
                up::Entity::insert(row.clone().into_active_model()).exec(self.db()).await?;
            }
            Some(old) => {
                let mut am = old.into_active_model();
                am.email = Set(row.email.clone());
                am.missed_email = Set(row.missed_email);
                am.update(self.db()).await?;
            }
        }
        Ok(Preferences { email: row.email, missed_email: row.missed_email })
    }
}

/// A bare address (`name@domain`), as typed into a form.
pub fn valid_email(s: &str) -> bool {
    s.len() <= 254 && !s.contains('<') && s.contains('@') && channels::mail::valid_address(s)
}
