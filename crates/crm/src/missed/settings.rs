//! How an organization handles missed calls: retention, the minimum answered callback, who may
//! hide and restore, and whether users may ask for e-mail notifications. Managers change them.

use crate::{Crm, CrmError, OrgId, Role, User};
use serde::{Deserialize, Serialize};
use store::entities::missed_setting as ms;
use store::sea_orm::EntityTrait;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedSettings {
    /// Rows whose latest miss is older are removed (1–3650 days).
    pub retention_days: i32,
    /// A callback from the row answered for at least this long removes the row (0–3600 s).
    pub min_callback_seconds: i32,
    /// The least role that may hide and restore rows.
    pub hide_role: Role,
    /// Whether users may ask for an e-mail on every new missed call.
    pub email_offered: bool,
}

impl Default for MissedSettings {
    fn default() -> Self {
        MissedSettings { retention_days: 30, min_callback_seconds: 10, hide_role: Role::Manager, email_offered: true }
    }
}

impl Crm {
    pub async fn missed_settings(&self, org: OrgId) -> Result<MissedSettings, CrmError> {
        Ok(match ms::Entity::find_by_id(org.0).one(self.db()).await? {
            None => MissedSettings { retention_days: self.missed_retention_days, ..Default::default() },
            Some(m) => MissedSettings {
                retention_days: m.retention_days,
                min_callback_seconds: m.min_callback_seconds,
                hide_role: Role::parse(&m.hide_role).unwrap_or(Role::Manager),
                email_offered: m.email_offered,
            },
        })
    }

    /// Changes the organization's settings (managers and admins).
    pub async fn set_missed_settings(&self, by: &User, s: MissedSettings) -> Result<MissedSettings, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let mut checks = crate::error::Checks::default();
        if !(1..=3650).contains(&s.retention_days) {
            checks.push("retention_days", "err-retention-days");
        }
        if !(0..=3600).contains(&s.min_callback_seconds) {
            checks.push("min_callback_seconds", "err-min-callback");
        }
        checks.finish()?;
        let row = ms::Model {
            org_id: by.org_id.0,
            retention_days: s.retention_days,
            min_callback_seconds: s.min_callback_seconds,
            hide_role: s.hide_role.as_str().into(),
            email_offered: s.email_offered,
        };
        let exists = ms::Entity::find_by_id(by.org_id.0).one(self.db()).await?.is_some();
        store::put_row::<ms::Entity, _>(self.db(), exists, row).await?;
        Ok(s)
    }
}
