//! Log-in throttling against password guessing, kept in the database so a guesser spreading
//! tries over several nodes is counted once. Three counts, each of failures within a minute:
//! one account from one address (5 lock that pair), one address whatever the account (10), and
//! one account from any address (20, a distributed guess). The real user, from another address,
//! is locked out only by the last. An account is the user, however named: user name or
//! extension, with or without `@organization`.
//!
//! A try is counted before its password is checked, and checked only when the tries counted
//! before it leave room: forty tries sent at once get five password checks, not forty.

use crate::{Crm, CrmError};
use chrono::Duration;
use store::entities::login_failure as lf;
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// Failures within [`WINDOW`] that lock one account from one address.
pub const MAX_FAILURES: usize = 5;
/// … one address, whatever the accounts.
pub const MAX_ADDRESS_FAILURES: usize = 10;
/// … one account, from any addresses.
pub const MAX_ACCOUNT_FAILURES: usize = 20;
pub const WINDOW: Duration = Duration::seconds(60);
pub const LOCKOUT: Duration = Duration::minutes(5);

/// The key of an account: the user when the name is one (`user:ORG:ID`), else what was typed.
pub fn account_key(identifier: &str) -> String {
    format!("acct:{}", identifier.trim().to_lowercase())
}

pub fn user_key(org: i64, id: i64) -> String {
    format!("user:{org}:{id}")
}

pub fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

/// The key of an account tried from one address.
pub fn pair_key(account: &str, address: &str) -> String {
    format!("{account}|{address}")
}

/// A try counted before its password is checked: its rows, by key.
pub struct Reserved(Vec<(String, i64)>);

impl Crm {
    /// Whether the key had `max` failures within a minute (among those before the row `before`,
    /// when given), the last of them less than the lock-out ago. Refused tries are not
    /// recorded, so a lock-out ends by itself.
    pub async fn is_locked(&self, key: &str) -> Result<bool, CrmError> {
        self.locked_before(key, MAX_FAILURES, None).await
    }

    async fn locked_before(&self, key: &str, max: usize, before: Option<i64>) -> Result<bool, CrmError> {
        let now = self.now();
        let mut q =
            lf::Entity::find().filter(lf::Column::Key.eq(key)).filter(lf::Column::At.gt(now - LOCKOUT - WINDOW));
        if let Some(id) = before {
            q = q.filter(lf::Column::Id.lt(id));
        }
        let times: Vec<_> = q.order_by_asc(lf::Column::At).all(self.db()).await?.into_iter().map(|m| m.at).collect();
        Ok(times.windows(max).any(|w| w[max - 1] - w[0] <= WINDOW && w[max - 1] > now - LOCKOUT))
    }

    /// Counts a try of `account` from `address` before its password is checked; `Err(LoginLocked)`
    /// (and nothing counted) when the tries before it already lock the account, the address or
    /// the pair.
    pub(crate) async fn reserve_try(&self, account: &str, address: &str) -> Result<Reserved, CrmError> {
        let keys = [
            (pair_key(account, address), MAX_FAILURES),
            (address.to_string(), MAX_ADDRESS_FAILURES),
            (account.to_string(), MAX_ACCOUNT_FAILURES),
        ];
        let mut rows = Vec::with_capacity(keys.len());
        for (key, _) in &keys {
            let m = lf::ActiveModel { key: Set(key.clone()), at: Set(self.now()), ..Default::default() }
                .insert(self.db())
                .await?;
            rows.push((key.clone(), m.id));
        }
        for ((key, max), (_, id)) in keys.iter().zip(&rows) {
            if self.locked_before(key, *max, Some(*id)).await? {
                self.release(Reserved(rows)).await?;
                return Err(CrmError::LoginLocked);
            }
        }
        Ok(Reserved(rows))
    }

    /// Takes a counted try back (it was refused, or it succeeded).
    pub(crate) async fn release(&self, r: Reserved) -> Result<(), CrmError> {
        let ids: Vec<i64> = r.0.into_iter().map(|(_, id)| id).collect();
        lf::Entity::delete_many().filter(lf::Column::Id.is_in(ids)).exec(self.db()).await?;
        Ok(())
    }

    pub async fn record_failure(&self, key: &str) -> Result<(), CrmError> {
        let now = self.now();
        lf::ActiveModel { key: Set(key.to_string()), at: Set(now), ..Default::default() }.insert(self.db()).await?;
        // Old failures mean nothing any more; a cheap indexed delete keeps the table small.
        lf::Entity::delete_many()
            .filter(lf::Column::Key.eq(key))
            .filter(lf::Column::At.lt(now - Duration::days(1)))
            .exec(self.db())
            .await?;
        Ok(())
    }

    pub async fn clear_failures(&self, key: &str) -> Result<(), CrmError> {
        lf::Entity::delete_many().filter(lf::Column::Key.eq(key)).exec(self.db()).await?;
        Ok(())
    }
}
