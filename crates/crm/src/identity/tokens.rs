//! API tokens: bearer secrets for integrations, each acting as the user who made it.
//! The secret is shown once; only its SHA-256 is stored.

use crate::identity::password::{random_token, sha256_hex};
use crate::{Crm, CrmError, OrgId, TokenId, User, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use store::entities::api_token as tok;
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

pub const PREFIX: &str = "sbt_";

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

impl From<tok::Model> for ApiToken {
    fn from(m: tok::Model) -> Self {
        ApiToken {
            id: TokenId(m.id),
            user_id: UserId(m.user_id),
            name: m.name,
            prefix: m.prefix,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            revoked: m.revoked_at.is_some(),
        }
    }
}

impl Crm {
    /// A new token for `user`; returns the secret (shown once) and the token.
    pub async fn create_token(&self, user: &User, name: &str) -> Result<(String, ApiToken), CrmError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(CrmError::invalid("name", "err-token-name"));
        }
        let secret = format!("{PREFIX}{}", random_token());
        let m = tok::ActiveModel {
            org_id: Set(user.org_id.0),
            user_id: Set(user.id.0),
            name: Set(name.into()),
            token_hash: Set(sha256_hex(&secret)),
            prefix: Set(secret[..PREFIX.len() + 6].into()),
            created_at: Set(self.now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok((secret, m.into()))
    }

    pub async fn tokens(&self, org: OrgId, user: UserId) -> Result<Vec<ApiToken>, CrmError> {
        Ok(tok::Entity::find()
            .filter(tok::Column::OrgId.eq(org.0))
            .filter(tok::Column::UserId.eq(user.0))
            .order_by_desc(tok::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Revokes one of the user's own tokens (admins: any token of their organization).
    pub async fn revoke_token(&self, by: &User, id: TokenId) -> Result<ApiToken, CrmError> {
        let mut q = tok::Entity::find_by_id(id.0).filter(tok::Column::OrgId.eq(by.org_id.0));
        if !by.is_admin() {
            q = q.filter(tok::Column::UserId.eq(by.id.0));
        }
        let m = q.one(self.db()).await?.ok_or(CrmError::NotFound)?;
        if m.revoked_at.is_some() {
            return Ok(m.into());
        }
        let mut am: tok::ActiveModel = m.into();
        am.revoked_at = Set(Some(self.now()));
        Ok(am.update(self.db()).await?.into())
    }

    /// The active user a bearer secret stands for.
    pub async fn authenticate_token(&self, secret: &str) -> Result<Option<User>, CrmError> {
        if !secret.starts_with(PREFIX) {
            return Ok(None);
        }
        let Some(m) = tok::Entity::find()
            .filter(tok::Column::TokenHash.eq(sha256_hex(secret)))
            .filter(tok::Column::RevokedAt.is_null())
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let user = match self.user(OrgId(m.org_id), UserId(m.user_id)).await {
            Ok(u) if u.active => u,
            Ok(_) | Err(CrmError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let now = self.now();
        if m.last_used_at.is_none_or(|t| now - t > Duration::minutes(1)) {
            let mut am: tok::ActiveModel = m.into();
            am.last_used_at = Set(Some(now));
            am.update(self.db()).await?;
        }
        Ok(Some(user))
    }
}
