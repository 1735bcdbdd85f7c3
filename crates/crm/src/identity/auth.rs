//! Log-in: who is it (user name or extension, optionally `@organization`), is the password
//! right, may they try at all (throttle), is there a free licence; then a new session.

use crate::identity::password;
use crate::identity::sessions::Session;
use crate::identity::throttle::{account_key, address_key, pair_key, user_key};
use crate::{Crm, CrmError, Language, OrgSlug, User};
use store::entities::{organization, user};
use store::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

pub struct LoginRequest<'a> {
    /// User name or extension, optionally followed by `@organization`.
    pub identifier: &'a str,
    pub password: &'a str,
    /// The client's address, for throttling.
    pub address: &'a str,
    pub language: Language,
    /// The anonymous session the form came from; it is ended, never upgraded.
    pub previous: Option<&'a Session>,
}

pub struct LoggedIn {
    /// The new session's cookie value.
    pub token: String,
    pub session: Session,
    pub user: User,
}

/// The name of the organization a fresh install makes (until its administrator names it).
pub const FIRST_ORG_NAME: &str = "My organization";

impl Crm {
    pub async fn login(&self, req: LoginRequest<'_>) -> Result<LoggedIn, CrmError> {
        // Who it is first (cheap), so every way of naming a user counts as the same account.
        let found = self.resolve_login(req.identifier).await?;
        let acct = match &found {
            Some(u) => user_key(u.org_id.0, u.id.0),
            None => account_key(req.identifier),
        };
        let addr = address_key(req.address);
        // Counted before the password is checked: tries sent at once cannot all be checked.
        let reserved = self.reserve_try(&acct, &addr).await?;
        let user = match found {
            Some(u) if u.active && password::verify(&u.password_hash, req.password) => u,
            found => {
                if found.is_none() {
                    password::verify_dummy(req.password);
                }
                // The counted try stays: it is the failure.
                return Err(CrmError::InvalidCredentials);
            }
        };
        self.release(reserved).await?;
        let org = self.org(user.org_id).await?;
        if self.users_logged_in(org.id, user.id).await? >= org.seats.max(0) as usize {
            return Err(CrmError::NoFreeLicences);
        }
        self.clear_failures(&acct).await?;
        self.clear_failures(&pair_key(&acct, &addr)).await?;
        if let Some(prev) = req.previous {
            self.end_session(prev).await?;
        }
        let user = if user.language != req.language {
            self.update_user(
                user.org_id,
                user.id,
                crate::identity::users::UserUpdate {
                    language: Some(req.language.as_str().into()),
                    ..Default::default()
                },
            )
            .await?
        } else {
            user
        };
        let (token, session) = self.new_session(Some((user.org_id, user.id)), req.language).await?;
        Ok(LoggedIn { token, session, user })
    }

    /// The user a log-in name means. Without `@organization`, a name found in several
    /// organizations is ambiguous rather than guessed.
    async fn resolve_login(&self, identifier: &str) -> Result<Option<User>, CrmError> {
        let identifier = identifier.trim();
        let (name, org) = match identifier.rsplit_once('@') {
            Some((n, o)) => match OrgSlug::parse(o) {
                Ok(slug) => match self.find_org_by_slug(&slug).await? {
                    Some(org) => (n, Some(org.id)),
                    None => return Ok(None),
                },
                Err(_) => return Ok(None),
            },
            None => (identifier, None),
        };
        if name.is_empty() {
            return Ok(None);
        }
        if let Some(org) = org {
            return self.find_user_by_login(org, name).await;
        }
        let n = name.to_lowercase();
        let found = user::Entity::find()
            .filter(Condition::any().add(user::Column::Username.eq(n.clone())).add(user::Column::Extension.eq(n)))
            .all(self.db())
            .await?;
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.into_iter().next().map(Into::into)),
            _ => Err(CrmError::AmbiguousOrganization),
        }
    }

    /// The user behind a session, if it is logged in and the user is still active.
    pub async fn session_user(&self, s: &Session) -> Result<Option<User>, CrmError> {
        let (Some(org), Some(id)) = (s.org_id, s.user_id) else { return Ok(None) };
        match self.user(org, id).await {
            Ok(u) if u.active => Ok(Some(u)),
            Ok(_) | Err(CrmError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// On a new install: the first organization and its administrator, with a one-time
    /// password to print. Does nothing (None) when any organization exists.
    pub async fn bootstrap(&self) -> Result<Option<(crate::Organization, User, String)>, CrmError> {
        if organization::Entity::find().one(self.db()).await?.is_some() {
            return Ok(None);
        }
        let org = self.create_org(&OrgSlug::parse("default").expect("valid slug"), FIRST_ORG_NAME).await?;
        // A fresh install calls out within its country at once (once a trunk is added), never
        // to premium numbers or abroad until an administrator says so.
        self.apply_dial_rule_preset(org.id).await?;
        let pw = password::random_secret(12);
        let user = self
            .create_user(
                org.id,
                crate::identity::users::NewUser {
                    username: "admin".into(),
                    full_name: "Administrator".into(),
                    extension: "100".into(),
                    role: "admin".into(),
                    language: "en".into(),
                    password: pw.clone(),
                    sip_password: String::new(),
                    must_change_password: true,
                    phone_type: String::new(),
                },
            )
            .await?;
        Ok(Some((org, user, pw)))
    }
}
