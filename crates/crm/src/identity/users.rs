//! Users of an organization: role, extension, log-in and SIP passwords, language, active flag.

use crate::error::Checks;
use crate::identity::password;
use crate::types::{check_password, check_sip_password, parse_full_name};
use crate::{Crm, CrmError, Extension, FieldError, Language, OrgId, Role, UserId, Username};
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::entities::user::PhoneType;
use store::entities::{session, user};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub username: String,
    pub full_name: String,
    pub extension: Extension,
    pub role: Role,
    pub language: Language,
    pub active: bool,
    pub must_change_password: bool,
    pub phone_type: PhoneType,
    #[serde(skip)]
    pub sip_password: String,
    #[serde(skip)]
    pub(crate) password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Managers and admins see and change what agents cannot.
    pub fn is_manager(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Manager)
    }
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        User {
            id: UserId(m.id),
            org_id: OrgId(m.org_id),
            username: m.username,
            full_name: m.full_name,
            extension: Extension::stored(m.extension),
            // Rows are written only through this module, so these parse; fall back to the
            // least privilege rather than fail a whole page on a hand-edited row.
            role: Role::parse(&m.role).unwrap_or(Role::Agent),
            language: Language::parse(&m.language).unwrap_or_default(),
            active: m.active,
            must_change_password: m.must_change_password,
            phone_type: m.phone_type,
            sip_password: m.sip_password,
            password_hash: m.password_hash,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// What a form or the API sends to create a user; every field still unparsed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewUser {
    pub username: String,
    pub full_name: String,
    pub extension: String,
    pub role: String,
    #[serde(default)]
    pub language: String,
    pub password: String,
    /// Generated when empty.
    #[serde(default)]
    pub sip_password: String,
    /// The password is a one-time password the user must change at first log-in.
    #[serde(default)]
    pub must_change_password: bool,
    /// browser, sip or both; the browser phone when empty (seed 004 gives every new agent
    /// "Telefon w przeglądarce").
    #[serde(default)]
    pub phone_type: String,
}

/// A change to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UserUpdate {
    pub full_name: Option<String>,
    pub extension: Option<String>,
    pub role: Option<String>,
    pub language: Option<String>,
    pub password: Option<String>,
    pub sip_password: Option<String>,
    pub active: Option<bool>,
    pub phone_type: Option<String>,
    /// With a new password: the session (its id hash) that stays; every other one of the user
    /// ends (a password changed because it leaked must shut the guesser out).
    pub keep_session: Option<String>,
    /// With a new password: the user's API tokens are revoked too (when asked).
    pub revoke_tokens: bool,
}

fn parse_phone_type(s: &str) -> Result<PhoneType, FieldError> {
    match s.trim() {
        "" => Ok(PhoneType::Browser),
        s => PhoneType::parse(s).ok_or(FieldError { field: "phone_type", code: "err-invalid" }),
    }
}

/// Every field error of a new user, without touching the database (forms show them all).
pub fn check_new_user(new: &NewUser) -> Vec<FieldError> {
    match validate_new(new) {
        Ok(_) => vec![],
        Err(CrmError::Invalid(v)) => v,
        Err(_) => vec![],
    }
}

type Parsed = (Username, String, Extension, Role, Language, String, PhoneType);

fn validate_new(new: &NewUser) -> Result<Parsed, CrmError> {
    let mut c = Checks::default();
    let username = c.check(Username::parse(&new.username));
    let full_name = c.check(parse_full_name(&new.full_name));
    let extension = c.check(Extension::parse(&new.extension));
    let role = c.check(Role::parse(&new.role));
    let language =
        if new.language.trim().is_empty() { Some(Language::En) } else { c.check(Language::parse(&new.language)) };
    c.check(check_password("password", &new.password));
    let sip_password = if new.sip_password.is_empty() { password::random_secret(16) } else { new.sip_password.clone() };
    c.check(check_sip_password(&sip_password));
    let phone_type = c.check(parse_phone_type(&new.phone_type));
    c.finish()?;
    let (u, f, e, r, l, p) = (
        username.unwrap(),
        full_name.unwrap(),
        extension.unwrap(),
        role.unwrap(),
        language.unwrap(),
        phone_type.unwrap(),
    );
    Ok((u, f, e, r, l, sip_password, p))
}

impl Crm {
    pub async fn create_user(&self, org: OrgId, new: NewUser) -> Result<User, CrmError> {
        let (username, full_name, extension, role, language, sip_password, phone_type) = validate_new(&new)?;
        self.org(org).await?;
        self.check_unique(org, None, Some(&username), Some(&extension)).await?;
        let now = self.now();
        let m = user::ActiveModel {
            org_id: Set(org.0),
            username: Set(username.as_str().into()),
            full_name: Set(full_name),
            extension: Set(extension.as_str().into()),
            role: Set(role.as_str().into()),
            language: Set(language.as_str().into()),
            password_hash: Set(password::hash(&new.password)),
            sip_password: Set(sip_password),
            active: Set(true),
            must_change_password: Set(new.must_change_password),
            phone_type: Set(phone_type),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db())
        .await
        .map_err(unique_violation)?;
        self.routing_changed();
        let u: User = m.into();
        self.ensure_first_process(&u).await?;
        Ok(u)
    }

    /// A clear conflict before writing; the unique indexes still guard against races.
    async fn check_unique(
        &self,
        org: OrgId,
        except: Option<UserId>,
        username: Option<&Username>,
        extension: Option<&Extension>,
    ) -> Result<(), CrmError> {
        let mut q = user::Entity::find().filter(user::Column::OrgId.eq(org.0));
        if let Some(id) = except {
            q = q.filter(user::Column::Id.ne(id.0));
        }
        if let Some(e) = extension
            && q.clone().filter(user::Column::Extension.eq(e.as_str())).count(self.db()).await? > 0
        {
            return Err(CrmError::Conflict(FieldError { field: "extension", code: "err-extension-taken" }));
        }
        if let Some(u) = username
            && q.filter(user::Column::Username.eq(u.as_str())).count(self.db()).await? > 0
        {
            return Err(CrmError::Conflict(FieldError { field: "username", code: "err-username-taken" }));
        }
        Ok(())
    }

    pub async fn user(&self, org: OrgId, id: UserId) -> Result<User, CrmError> {
        user::Entity::find_by_id(id.0)
            .filter(user::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .map(Into::into)
            .ok_or(CrmError::NotFound)
    }

    pub async fn users(&self, org: OrgId) -> Result<Vec<User>, CrmError> {
        Ok(user::Entity::find()
            .filter(user::Column::OrgId.eq(org.0))
            .order_by_asc(user::Column::Extension)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn find_user_by_login(&self, org: OrgId, name_or_extension: &str) -> Result<Option<User>, CrmError> {
        let n = name_or_extension.trim().to_lowercase();
        Ok(user::Entity::find()
            .filter(user::Column::OrgId.eq(org.0))
            .filter(Condition::any().add(user::Column::Username.eq(n.clone())).add(user::Column::Extension.eq(n)))
            .one(self.db())
            .await?
            .map(Into::into))
    }

    /// Applies a change, all of it or (on any invalid field) none of it. A deactivated user's
    /// sessions end at once. The last active admin can be neither demoted nor deactivated.
    pub async fn update_user(&self, org: OrgId, id: UserId, upd: UserUpdate) -> Result<User, CrmError> {
        let current = user::Entity::find_by_id(id.0)
            .filter(user::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        let mut c = Checks::default();
        let full_name = upd.full_name.as_deref().and_then(|s| c.check(parse_full_name(s)));
        let extension = upd.extension.as_deref().and_then(|s| c.check(Extension::parse(s)));
        let role = upd.role.as_deref().and_then(|s| c.check(Role::parse(s)));
        let language = upd.language.as_deref().and_then(|s| c.check(Language::parse(s)));
        let phone_type = upd.phone_type.as_deref().and_then(|s| c.check(parse_phone_type(s)));
        if let Some(p) = &upd.password {
            c.check(check_password("password", p));
        }
        if let Some(p) = &upd.sip_password {
            c.check(check_sip_password(p));
        }
        c.finish()?;
        let extension = extension.filter(|e| *e != current.extension);
        self.check_unique(org, Some(id), None, extension.as_ref()).await?;

        let was_admin = current.role == Role::Admin.as_str() && current.active;
        let stays_admin = role.map(|r| r == Role::Admin).unwrap_or(current.role == Role::Admin.as_str())
            && upd.active.unwrap_or(current.active);
        let txn = self.store.write().await?;
        if was_admin && !stays_admin {
            let admins = user::Entity::find()
                .filter(user::Column::OrgId.eq(org.0))
                .filter(user::Column::Role.eq(Role::Admin.as_str()))
                .filter(user::Column::Active.eq(true))
                .count(&txn)
                .await?;
            if admins <= 1 {
                return Err(CrmError::Conflict(FieldError { field: "role", code: "err-last-admin" }));
            }
        }
        let mut am: user::ActiveModel = current.into();
        if let Some(v) = full_name {
            am.full_name = Set(v);
        }
        if let Some(v) = extension {
            am.extension = Set(v.as_str().into());
        }
        if let Some(v) = role {
            am.role = Set(v.as_str().into());
        }
        if let Some(v) = language {
            am.language = Set(v.as_str().into());
        }
        if let Some(p) = &upd.password {
            am.password_hash = Set(password::hash(p));
            am.must_change_password = Set(false);
            let mut others = session::Entity::delete_many()
                .filter(session::Column::OrgId.eq(org.0))
                .filter(session::Column::UserId.eq(id.0));
            if let Some(keep) = &upd.keep_session {
                others = others.filter(session::Column::Id.ne(keep.clone()));
            }
            others.exec(&txn).await?;
            if upd.revoke_tokens {
                use store::entities::api_token as tok;
                tok::Entity::update_many()
                    .col_expr(tok::Column::RevokedAt, store::sea_orm::sea_query::Expr::value(self.now()))
                    .filter(tok::Column::OrgId.eq(org.0))
                    .filter(tok::Column::UserId.eq(id.0))
                    .filter(tok::Column::RevokedAt.is_null())
                    .exec(&txn)
                    .await?;
            }
        }
        if let Some(p) = upd.sip_password {
            am.sip_password = Set(p);
        }
        if let Some(p) = phone_type {
            am.phone_type = Set(p);
        }
        if let Some(a) = upd.active {
            am.active = Set(a);
            if !a {
                session::Entity::delete_many()
                    .filter(session::Column::OrgId.eq(org.0))
                    .filter(session::Column::UserId.eq(id.0))
                    .exec(&txn)
                    .await?;
            }
        }
        am.updated_at = Set(self.now());
        let m = am.update(&txn).await.map_err(unique_violation)?;
        txn.commit().await?;
        self.routing_changed();
        Ok(m.into())
    }

    /// A user changes their own password, proving the current one; their other sessions end,
    /// `keep` (the one they changed it from) stays; their API tokens are revoked when
    /// `revoke_tokens`.
    pub async fn change_own_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        keep: Option<&crate::identity::sessions::Session>,
        revoke_tokens: bool,
    ) -> Result<User, CrmError> {
        if !password::verify(&user.password_hash, current) {
            return Err(CrmError::invalid("current_password", "err-current-password"));
        }
        check_password("password", new).map_err(|e| CrmError::Invalid(vec![e]))?;
        if new == current {
            return Err(CrmError::invalid("password", "err-password-same"));
        }
        let upd = UserUpdate {
            password: Some(new.into()),
            keep_session: keep.map(|s| s.id_hash.clone()),
            revoke_tokens,
            ..Default::default()
        };
        self.update_user(user.org_id, user.id, upd).await
    }
}

/// A unique index that fired after the check (two writers at once) is still a clear conflict.
fn unique_violation(e: store::DbErr) -> CrmError {
    let msg = e.to_string().to_lowercase();
    if msg.contains("unique") || msg.contains("duplicate") {
        let field = if msg.contains("username") { "username" } else { "extension" };
        let code = if field == "username" { "err-username-taken" } else { "err-extension-taken" };
        CrmError::Conflict(FieldError { field, code })
    } else {
        e.into()
    }
}
