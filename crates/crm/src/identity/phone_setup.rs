//! What a desk phone or softphone needs to register as a user's extension: the SIP domain
//! (the realm, which also tells the server which organization the phone belongs to), the user
//! name (the extension) and the SIP password, shown only when asked for and regenerated on
//! request. The user sees their own; administrators any of the organization's users; managers
//! those who are not administrators.

use super::password;
use crate::{Crm, CrmError, User, UserId};

#[derive(Debug, Clone)]
pub struct PhoneSetup {
    /// Whose phone this is.
    pub user: User,
    /// The SIP domain to register to (the phone's "domain", "realm" or "registrar" field).
    pub domain: String,
    /// The authentication user name: the extension.
    pub username: String,
    /// The SIP password, when it was asked for.
    pub password: Option<String>,
}

impl Crm {
    /// Whose phone set-up `by` may see and change.
    async fn phone_owner(&self, by: &User, whose: UserId) -> Result<User, CrmError> {
        let u = self.user(by.org_id, whose).await?;
        let allowed = u.id == by.id || by.is_admin() || (by.is_manager() && !u.is_admin());
        if allowed { Ok(u) } else { Err(CrmError::Forbidden) }
    }

    /// The phone set-up of a user; the SIP password only `with_password`.
    pub async fn phone_setup(&self, by: &User, whose: UserId, with_password: bool) -> Result<PhoneSetup, CrmError> {
        let u = self.phone_owner(by, whose).await?;
        let domain = self.org(u.org_id).await?.sip_domain;
        let password = with_password.then(|| u.sip_password.clone());
        Ok(PhoneSetup { username: u.extension.to_string(), domain, password, user: u })
    }

    /// A new SIP password for a user's phones (each must be given it to register again); the
    /// set-up with it.
    pub async fn new_sip_password(&self, by: &User, whose: UserId) -> Result<PhoneSetup, CrmError> {
        let u = self.phone_owner(by, whose).await?;
        let upd = super::users::UserUpdate { sip_password: Some(password::random_secret(16)), ..Default::default() };
        self.update_user(u.org_id, u.id, upd).await?;
        self.phone_setup(by, whose, true).await
    }
}
