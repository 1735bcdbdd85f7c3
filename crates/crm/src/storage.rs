//! The files an organization keeps (case attachments, contact import files) and its quota: an
//! upload that would take it past the quota is refused before anything is stored, so one
//! organization cannot fill the disk the others share.

use crate::{Crm, CrmError, OrgId};
use store::entities::{case_attachment as att, import};
use store::sea_orm::sea_query::Expr;
use store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

/// What an organization keeps and may keep, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Storage {
    pub used: u64,
    pub quota: u64,
}

impl Crm {
    /// The bytes of files the organization keeps, and its quota.
    pub async fn storage(&self, org: OrgId) -> Result<Storage, CrmError> {
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back to read it as an i64 on both.
        let total = |sql: &'static str| Expr::cust(sql);
        let attachments: Option<i64> = att::Entity::find()
            .select_only()
            .column_as(total("CAST(COALESCE(SUM(size), 0) AS BIGINT)"), "total")
            .filter(att::Column::OrgId.eq(org.0))
            .into_tuple()
            .one(self.db())
            .await?;
        let imports: Option<i64> = import::Entity::find()
            .select_only()
            .column_as(total("CAST(COALESCE(SUM(file_size), 0) AS BIGINT)"), "total")
            .filter(import::Column::OrgId.eq(org.0))
            .into_tuple()
            .one(self.db())
            .await?;
        let used = [attachments, imports].into_iter().flatten().map(|n| u64::try_from(n).unwrap_or(0)).sum();
        Ok(Storage { used, quota: self.storage_quota })
    }

    /// Refuses a file of `size` bytes that would take the organization past its quota.
    pub(crate) async fn make_room(&self, org: OrgId, size: u64) -> Result<(), CrmError> {
        let s = self.storage(org).await?;
        if s.used.saturating_add(size) > s.quota {
            return Err(CrmError::invalid("file", "err-storage-full"));
        }
        Ok(())
    }
}
