//! Which of the organization's numbers each user may present when calling out (seed 002's
//! caller-ID choice). A user with none listed may present any of them; administrators list them.

use crate::{Crm, CrmError, User, UserId};
use store::entities::user_caller_id as uc;
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

impl Crm {
    /// The numbers listed for a user of `by`'s organization (empty: none listed, all allowed).
    pub async fn listed_caller_ids(&self, by: &User, whose: UserId) -> Result<Vec<String>, CrmError> {
        let u = self.user(by.org_id, whose).await?;
        self.listed_of(&u).await
    }

    async fn listed_of(&self, u: &User) -> Result<Vec<String>, CrmError> {
        Ok(uc::Entity::find()
            .filter(uc::Column::OrgId.eq(u.org_id.0))
            .filter(uc::Column::UserId.eq(u.id.0))
            .order_by_asc(uc::Column::Number)
            .all(self.db())
            .await?
            .into_iter()
            .map(|r| r.number)
            .collect())
    }

    /// The numbers `user` may present (those listed for them, or all of the organization's),
    /// and whether they are a list of their own.
    pub async fn caller_id_choice(&self, user: &User) -> Result<(Vec<String>, bool), CrmError> {
        let all: Vec<String> = self.numbers(user.org_id).await?.into_iter().map(|n| n.number).collect();
        let listed = self.listed_of(user).await?;
        Ok(if listed.is_empty() {
            (all, false)
        } else {
            (all.into_iter().filter(|n| listed.contains(n)).collect(), true)
        })
    }

    /// The numbers `user` may present.
    pub async fn caller_ids(&self, user: &User) -> Result<Vec<String>, CrmError> {
        Ok(self.caller_id_choice(user).await?.0)
    }

    /// Administrators list the numbers a user may present (each one of the organization's);
    /// an empty list allows them all.
    pub async fn set_caller_ids(&self, by: &User, whose: UserId, numbers: &[String]) -> Result<Vec<String>, CrmError> {
        if !by.is_admin() {
            return Err(CrmError::Forbidden);
        }
        let u = self.user(by.org_id, whose).await?;
        let ours: Vec<String> = self.numbers(u.org_id).await?.into_iter().map(|n| n.number).collect();
        let mut wanted: Vec<String> = numbers.iter().map(|n| super::trunks::digits(n)).collect();
        wanted.sort();
        wanted.dedup();
        if wanted.iter().any(|n| !ours.contains(n)) {
            return Err(CrmError::invalid("caller_ids", "err-caller-id"));
        }
        let txn = self.store.write().await?;
        uc::Entity::delete_many().filter(uc::Column::UserId.eq(u.id.0)).exec(&txn).await?;
        for n in &wanted {
            uc::ActiveModel {
                org_id: Set(u.org_id.0),
                user_id: Set(u.id.0),
                number: Set(n.clone()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(wanted)
    }
}
