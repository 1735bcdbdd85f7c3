//! Log-in throttling against password guessing: five failures within a minute, for one account
//! or from one address, lock further tries out for a while. Kept in the database, so a guesser
//! spreading tries over several nodes is counted once.

use crate::{Crm, CrmError};
use chrono::Duration;
use store::entities::login_failure as lf;
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::seconds(60);
pub const LOCKOUT: Duration = Duration::minutes(5);

pub fn account_key(identifier: &str) -> String {
    format!("acct:{}", identifier.trim().to_lowercase())
}

pub fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

impl Crm {
    /// Whether the key had five failures within a minute, the last of them less than the
    /// lock-out ago. Refused tries are not recorded, so a lock-out ends by itself.
    pub async fn is_locked(&self, key: &str) -> Result<bool, CrmError> {
        let now = self.now();
        let times: Vec<_> = lf::Entity::find()
            .filter(lf::Column::Key.eq(key))
            .filter(lf::Column::At.gt(now - LOCKOUT - WINDOW))
            .order_by_asc(lf::Column::At)
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| m.at)
            .collect();
        Ok(times
            .windows(MAX_FAILURES)
            .any(|w| w[MAX_FAILURES - 1] - w[0] <= WINDOW && w[MAX_FAILURES - 1] > now - LOCKOUT))
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
