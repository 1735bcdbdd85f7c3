//! Browser sessions, kept in the database so every node knows them. The cookie holds a random
//! token; the table holds its SHA-256. A log-in always starts a new session (new id).

use crate::identity::password::{random_token, sha256_hex};
use crate::{Crm, CrmError, Language, OrgId, UserId};
use chrono::{DateTime, Duration, Utc};
use store::entities::session;
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

/// A logged-in session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::hours(12);
/// An anonymous session (the log-in form's CSRF token and language) lives this long.
pub const ANONYMOUS_LIFETIME: Duration = Duration::hours(24);
/// Seen-at is written at most this often, not on every request.
const TOUCH_EVERY: Duration = Duration::seconds(60);

#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub org_id: Option<OrgId>,
    pub user_id: Option<UserId>,
    pub csrf_token: String,
    pub language: Language,
    pub expires_at: DateTime<Utc>,
}

impl From<session::Model> for Session {
    fn from(m: session::Model) -> Self {
        Session {
            id_hash: m.id,
            org_id: m.org_id.map(OrgId),
            user_id: m.user_id.map(UserId),
            csrf_token: m.csrf_token,
            language: Language::parse(&m.language).unwrap_or_default(),
            expires_at: m.expires_at,
        }
    }
}

impl Crm {
    /// A new session; returns the cookie value (shown once, never stored) and the session.
    pub(crate) async fn new_session(
        &self,
        user: Option<(OrgId, UserId)>,
        language: Language,
    ) -> Result<(String, Session), CrmError> {
        let token = random_token();
        let now = self.now();
        let life = if user.is_some() { IDLE_TIMEOUT } else { ANONYMOUS_LIFETIME };
        let m = session::ActiveModel {
            id: Set(sha256_hex(&token)),
            org_id: Set(user.map(|u| u.0.0)),
            user_id: Set(user.map(|u| u.1.0)),
            csrf_token: Set(random_token()),
            language: Set(language.as_str().into()),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(now + life),
        }
        .insert(self.db())
        .await?;
        Ok((token, m.into()))
    }

    pub async fn anonymous_session(&self, language: Language) -> Result<(String, Session), CrmError> {
        self.new_session(None, language).await
    }

    /// The live session behind a cookie value, sliding its expiry forward.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, CrmError> {
        self.session_by_hash(&sha256_hex(token)).await
    }

    /// The live session with this stored id (the SHA-256 of its cookie value).
    pub async fn session_by_hash(&self, id: &str) -> Result<Option<Session>, CrmError> {
        let id = id.to_string();
        let Some(m) = session::Entity::find_by_id(id).one(self.db()).await? else { return Ok(None) };
        let now = self.now();
        if m.expires_at <= now {
            session::Entity::delete_by_id(m.id).exec(self.db()).await?;
            return Ok(None);
        }
        if m.user_id.is_some() && now - m.last_seen_at >= TOUCH_EVERY {
            let mut am: session::ActiveModel = m.into();
            am.last_seen_at = Set(now);
            am.expires_at = Set(now + IDLE_TIMEOUT);
            return Ok(Some(am.update(self.db()).await?.into()));
        }
        Ok(Some(m.into()))
    }

    pub async fn set_session_language(&self, s: &Session, language: Language) -> Result<(), CrmError> {
        session::Entity::update_many()
            .col_expr(session::Column::Language, store::sea_orm::sea_query::Expr::value(language.as_str()))
            .filter(session::Column::Id.eq(s.id_hash.clone()))
            .exec(self.db())
            .await?;
        Ok(())
    }

    pub async fn end_session(&self, s: &Session) -> Result<(), CrmError> {
        session::Entity::delete_by_id(s.id_hash.clone()).exec(self.db()).await?;
        Ok(())
    }

    /// Users of the organization with a live session, leaving `except` out.
    pub(crate) async fn users_logged_in(&self, org: OrgId, except: UserId) -> Result<usize, CrmError> {
        let ids: Vec<Option<i64>> = session::Entity::find()
            .select_only()
            .column(session::Column::UserId)
            .distinct()
            .filter(session::Column::OrgId.eq(org.0))
            .filter(session::Column::UserId.is_not_null())
            .filter(session::Column::UserId.ne(except.0))
            .filter(session::Column::ExpiresAt.gt(self.now()))
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(ids.len())
    }

    /// Removes expired sessions; run now and then, not on a request path.
    pub async fn purge_sessions(&self) -> Result<u64, CrmError> {
        let r =
            session::Entity::delete_many().filter(session::Column::ExpiresAt.lte(self.now())).exec(self.db()).await?;
        Ok(r.rows_affected)
    }
}

impl Crm {
    /// How many of the organization's licences are taken by logged-in users.
    pub async fn seats_in_use(&self, org: OrgId) -> Result<usize, CrmError> {
        self.users_logged_in(org, UserId(0)).await
    }
}
