//! Processes: a name and ordered statuses, exactly one of them initial, closing ones flagged.
//! A process in use can be changed without breaking its cases: statuses are renamed,
//! reordered, added, and retired rather than deleted while a case has them.

use crate::{Crm, CrmError, OrgId, User};
use serde::{Deserialize, Serialize};
use store::entities::{case, process, process_status as ps};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

#[derive(Debug, Clone, Serialize)]
pub struct Process {
    pub id: i64,
    pub name: String,
    pub statuses: Vec<Status>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Status {
    pub id: i64,
    pub name: String,
    pub position: i32,
    pub initial: bool,
    pub closing: bool,
    pub active: bool,
}

/// A status as a form gives it: an existing one (`id`) or a new one.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct StatusIn {
    #[serde(default)]
    pub id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub initial: bool,
    #[serde(default)]
    pub closing: bool,
    /// Unset: the status is retired (or, when unused, removed).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl From<ps::Model> for Status {
    fn from(m: ps::Model) -> Self {
        Status {
            id: m.id,
            name: m.name,
            position: m.position,
            initial: m.initial,
            closing: m.closing,
            active: m.active,
        }
    }
}

impl Crm {
    /// An organization's first manager or administrator finds a process ready (new, in
    /// progress, won, lost — in their language), so a first campaign can be saved at once; they
    /// change it or add others as they like.
    pub(crate) async fn ensure_first_process(&self, by: &User) -> Result<(), CrmError> {
        if !by.is_manager() || !self.processes(by.org_id).await?.is_empty() {
            return Ok(());
        }
        let (name, statuses) = match by.language {
            crate::Language::Pl => ("Sprzedaż", ["Nowa", "W toku", "Wygrana", "Przegrana"]),
            crate::Language::He => ("מכירות", ["חדשה", "בטיפול", "נסגרה בהצלחה", "נסגרה ללא הצלחה"]),
            _ => ("Sales", ["New", "In progress", "Won", "Lost"]),
        };
        let statuses: Vec<StatusIn> = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| StatusIn { id: None, name: (*s).into(), initial: i == 0, closing: i >= 2, active: true })
            .collect();
        self.save_process(by, None, name, &statuses).await?;
        Ok(())
    }

    pub async fn processes(&self, org: OrgId) -> Result<Vec<Process>, CrmError> {
        let all = process::Entity::find()
            .filter(process::Column::OrgId.eq(org.0))
            .order_by_asc(process::Column::Name)
            .all(self.db())
            .await?;
        let statuses = ps::Entity::find()
            .filter(ps::Column::OrgId.eq(org.0))
            .order_by_asc(ps::Column::Position)
            .all(self.db())
            .await?;
        Ok(all
            .into_iter()
            .map(|p| Process {
                id: p.id,
                name: p.name,
                statuses: statuses.iter().filter(|s| s.process_id == p.id).cloned().map(Into::into).collect(),
            })
            .collect())
    }

    pub async fn process(&self, org: OrgId, id: i64) -> Result<Process, CrmError> {
        self.processes(org).await?.into_iter().find(|p| p.id == id).ok_or(CrmError::NotFound)
    }

    /// Creates (`id` None) or changes a process (managers). The statuses come in their order.
    pub async fn save_process(
        &self,
        by: &User,
        id: Option<i64>,
        name: &str,
        statuses: &[StatusIn],
    ) -> Result<Process, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let org = by.org_id;
        let old = match id {
            Some(id) => Some(self.process(org, id).await?),
            None => None,
        };
        let name = name.trim();
        let mut checks = crate::error::Checks::default();
        if name.is_empty() || name.chars().count() > 100 {
            checks.push("name", "err-process-name");
        }
        let live: Vec<&StatusIn> = statuses.iter().filter(|s| s.active && !s.name.trim().is_empty()).collect();
        if live.is_empty() {
            checks.push("statuses", "err-process-statuses");
        } else if live.iter().filter(|s| s.initial).count() != 1 {
            checks.push("statuses", "err-process-initial");
        }
        let mut names: Vec<String> = live.iter().map(|s| s.name.trim().to_lowercase()).collect();
        names.sort();
        if names.windows(2).any(|w| w[0] == w[1]) || live.iter().any(|s| s.name.trim().chars().count() > 60) {
            checks.push("statuses", "err-process-status-names");
        }
        if let Some(o) = &old
            && statuses.iter().filter_map(|s| s.id).any(|i| !o.statuses.iter().any(|x| x.id == i))
        {
            return Err(CrmError::NotFound);
        }
        checks.finish()?;
        let txn = self.store.write().await?;
        let pid = match &old {
            None => {
                process::ActiveModel {
                    org_id: Set(org.0),
                    name: Set(name.into()),
                    created_at: Set(self.now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id
            }
            Some(o) => {
                let m = process::Entity::find_by_id(o.id).one(&txn).await?.ok_or(CrmError::NotFound)?;
                let mut am: process::ActiveModel = m.into();
                am.name = Set(name.into());
                am.update(&txn).await?;
                o.id
            }
        };
        let mut kept = vec![];
        for (i, s) in statuses.iter().filter(|s| !s.name.trim().is_empty() || s.id.is_some()).enumerate() {
            let row = ps::ActiveModel {
                org_id: Set(org.0),
                process_id: Set(pid),
                name: Set(s.name.trim().into()),
                position: Set(i as i32),
                initial: Set(s.active && s.initial),
                closing: Set(s.closing),
                active: Set(s.active),
                ..Default::default()
            };
            match s.id {
                None => {
                    if s.active {
                        kept.push(row.insert(&txn).await?.id);
                    }
                }
                Some(sid) => {
                    let used = case::Entity::find()
                        .filter(case::Column::OrgId.eq(org.0))
                        .filter(case::Column::StatusId.eq(sid))
                        .count(&txn)
                        .await?
                        > 0;
                    if !s.active && !used {
                        ps::Entity::delete_by_id(sid).exec(&txn).await?;
                        continue;
                    }
                    let mut am = row;
                    am.id = Set(sid);
                    if s.name.trim().is_empty() {
                        am.name = store::sea_orm::ActiveValue::NotSet;
                    }
                    am.update(&txn).await?;
                    kept.push(sid);
                }
            }
        }
        txn.commit().await?;
        let _ = kept;
        self.process(org, pid).await
    }

    /// The status new cases of a process start in.
    pub(crate) async fn initial_status(&self, org: OrgId, process_id: i64) -> Result<Status, CrmError> {
        self.process(org, process_id)
            .await?
            .statuses
            .into_iter()
            .find(|s| s.initial && s.active)
            .ok_or(CrmError::invalid("statuses", "err-process-initial"))
    }
}
