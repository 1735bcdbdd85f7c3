//! Cases: a contact's matter in a campaign, numbered per organization (#123), named "contact –
//! campaign" unless renamed, with a status of the campaign's process, an assignee, notes,
//! attachments (size-limited, kept under the data directory) and a timeline of calls, notes
//! and status changes. Made by hand or from a call in progress with one click.

pub mod campaigns;
pub mod processes;
pub mod search;

use crate::{CaseId, ContactId, Crm, CrmError, OrgId, User};
use chrono::{DateTime, Utc};
use serde::Serialize;
pub use store::entities::case_event::TimelineKind;
use store::entities::{case, case_attachment as att, case_event as ev, process_status as ps};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// The largest attachment accepted.
pub const MAX_ATTACHMENT: u64 = 10 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: CaseId,
    pub number: i64,
    pub name: String,
    pub contact_id: ContactId,
    pub campaign_id: i64,
    pub status_id: i64,
    pub assignee_id: Option<i64>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<case::Model> for Case {
    fn from(m: case::Model) -> Self {
        Case {
            id: CaseId(m.id),
            number: m.number,
            name: m.name,
            contact_id: ContactId(m.contact_id),
            campaign_id: m.campaign_id,
            status_id: m.status_id,
            assignee_id: m.assignee_id,
            notes: m.notes,
            created_at: m.created_at,
            updated_at: m.updated_at,
            closed_at: m.closed_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub kind: TimelineKind,
    pub detail: String,
    /// A call's log row with a recording (played from the call log's address).
    pub recording: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub at: DateTime<Utc>,
}

impl Crm {
    /// Opens a case for a contact in a campaign (its initial status; assigned to its maker).
    pub async fn create_case(
        &self,
        user: &User,
        contact_id: ContactId,
        campaign_id: i64,
        name: &str,
    ) -> Result<Case, CrmError> {
        let org = user.org_id;
        let contact = self.contact(org, contact_id).await?;
        let campaign = self.campaign(org, campaign_id).await?;
        if !Self::may_add_cases(user, &campaign) {
            return Err(CrmError::Conflict(crate::FieldError { field: "campaign_id", code: "err-case-not-assigned" }));
        }
        let name = name.trim();
        if name.chars().count() > 200 {
            return Err(CrmError::invalid("name", "err-too-long"));
        }
        let name = if name.is_empty() { format!("{} – {}", contact.name(), campaign.name) } else { name.to_string() };
        let status = self.initial_status(org, campaign.process_id).await?;
        for _ in 0..5 {
            let txn = self.store.write().await?;
            let last: Option<i64> = case::Entity::find()
                .select_only()
                .column(case::Column::Number)
                .filter(case::Column::OrgId.eq(org.0))
                .order_by_desc(case::Column::Number)
                .into_tuple()
                .one(&txn)
                .await?;
            let now = self.now();
            let made = case::ActiveModel {
                org_id: Set(org.0),
                number: Set(last.unwrap_or(0) + 1),
                name: Set(name.clone()),
                contact_id: Set(contact.id.0),
                campaign_id: Set(campaign.id),
                status_id: Set(status.id),
                assignee_id: Set(Some(user.id.0)),
                notes: Set(String::new()),
                created_by: Set(user.id.0),
                created_at: Set(now),
                updated_at: Set(now),
                closed_at: Set(status.closing.then_some(now)),
                ..Default::default()
            }
            .insert(&txn)
            .await;
            // Two cases made at once took the same number: take the next.
            let Ok(c) = made else { continue };
            event(&txn, org, CaseId(c.id), Some(user.id.0), TimelineKind::Created, &status.name, None).await?;
            txn.commit().await?;
            return Ok(c.into());
        }
        Err(CrmError::Conflict(crate::FieldError { field: "number", code: "err-case-number" }))
    }

    /// A case from a call in progress: the caller's contact (a new one with the number when
    /// none matches) in the user's first active campaign that lets them add cases; the call is
    /// in its timeline.
    pub async fn create_case_from_call(&self, user: &User, number: &str, call_id: &str) -> Result<Case, CrmError> {
        let org = user.org_id;
        let country = self.org(org).await?.default_country;
        let e164 =
            crate::contacts::phone::normalize(number, &country).ok_or(CrmError::invalid("number", "err-phone"))?;
        let contact = match self.contacts_by_phone(org, &e164).await?.into_iter().next() {
            Some(c) => c,
            None => {
                let n = crate::contacts::NewContact {
                    company: format!("+{e164}"),
                    phone1: format!("+{e164}"),
                    ..Default::default()
                };
                self.create_contact(org, n).await?
            }
        };
        let campaign = self
            .campaigns(org)
            .await?
            .into_iter()
            .find(|c| c.active && Self::may_add_cases(user, c))
            .ok_or(CrmError::Conflict(crate::FieldError { field: "campaign_id", code: "err-case-not-assigned" }))?;
        let c = self.create_case(user, contact.id, campaign.id, "").await?;
        event(self.db(), org, c.id, Some(user.id.0), TimelineKind::Call, &format!("+{e164}"), Some(call_id)).await?;
        Ok(c)
    }

    pub async fn case(&self, org: OrgId, id: CaseId) -> Result<Case, CrmError> {
        Ok(self.case_row(org, id).await?.into())
    }

    async fn case_row(&self, org: OrgId, id: CaseId) -> Result<case::Model, CrmError> {
        case::Entity::find_by_id(id)
            .filter(case::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    /// The cases of a contact, latest first.
    pub async fn contact_cases(&self, org: OrgId, contact_id: ContactId) -> Result<Vec<Case>, CrmError> {
        Ok(case::Entity::find()
            .filter(case::Column::OrgId.eq(org.0))
            .filter(case::Column::ContactId.eq(contact_id))
            .order_by_desc(case::Column::Number)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Changes what a case says: its name, status (one of its process's active ones), assignee
    /// (a user of the organization) and notes; each change goes into the timeline.
    pub async fn update_case(
        &self,
        user: &User,
        id: CaseId,
        name: Option<&str>,
        status_id: Option<i64>,
        assignee: Option<Option<i64>>,
        note: Option<&str>,
    ) -> Result<Case, CrmError> {
        let org = user.org_id;
        let m = self.case_row(org, id).await?;
        let campaign = self.campaign(org, m.campaign_id).await?;
        let process = self.process(org, campaign.process_id).await?;
        let txn = self.store.write().await?;
        let now = self.now();
        let mut am: case::ActiveModel = m.clone().into();
        if let Some(n) = name.map(str::trim).filter(|n| *n != m.name) {
            if n.is_empty() || n.chars().count() > 200 {
                return Err(CrmError::invalid("name", "err-case-name"));
            }
            am.name = Set(n.into());
            event(&txn, org, id, Some(user.id.0), TimelineKind::Renamed, n, None).await?;
        }
        if let Some(sid) = status_id.filter(|s| *s != m.status_id) {
            let st = process
                .statuses
                .iter()
                .find(|s| s.id == sid && s.active)
                .ok_or(CrmError::invalid("status_id", "err-case-status"))?;
            am.status_id = Set(sid);
            am.closed_at = Set(st.closing.then_some(now));
            event(&txn, org, id, Some(user.id.0), TimelineKind::Status, &st.name, None).await?;
        }
        if let Some(a) = assignee.filter(|a| *a != m.assignee_id) {
            let name = match a {
                Some(uid) => {
                    self.user(org, crate::UserId(uid))
                        .await
                        .map_err(|_| CrmError::invalid("assignee_id", "err-case-assignee"))?
                        .full_name
                }
                None => String::new(),
            };
            am.assignee_id = Set(a);
            event(&txn, org, id, Some(user.id.0), TimelineKind::Assigned, &name, None).await?;
        }
        if let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) {
            if n.chars().count() > 10_000 {
                return Err(CrmError::invalid("note", "err-too-long"));
            }
            event(&txn, org, id, Some(user.id.0), TimelineKind::Note, n, None).await?;
        }
        am.updated_at = Set(now);
        let c = am.update(&txn).await?;
        txn.commit().await?;
        Ok(c.into())
    }

    /// The timeline: the case's own entries and the calls with its contact's numbers, oldest first.
    pub async fn case_timeline(&self, org: OrgId, id: CaseId) -> Result<Vec<TimelineEntry>, CrmError> {
        let c = self.case_row(org, id).await?;
        let mut out: Vec<TimelineEntry> = ev::Entity::find()
            .filter(ev::Column::OrgId.eq(org.0))
            .filter(ev::Column::CaseId.eq(id))
            .order_by_asc(ev::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|e| TimelineEntry { at: e.at, user_id: e.user_id, kind: e.kind, detail: e.detail, recording: None })
            .collect();
        for (r, _) in self.contact_calls(org, ContactId(c.contact_id), 100).await? {
            if r.started_at >= c.created_at - chrono::Duration::days(1) {
                let detail =
                    format!("{} · {}", r.kind.as_str(), crate::agents::status::hms(&i64::from(r.talk_seconds)));
                let recording = r.recording.is_some().then_some(r.id);
                out.push(TimelineEntry {
                    at: r.started_at,
                    user_id: r.user_id,
                    kind: TimelineKind::Call,
                    detail,
                    recording,
                });
            }
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    /// Keeps a file (at most `MAX_ATTACHMENT`, already written to `tmp`) with a case.
    pub async fn attach_file(
        &self,
        user: &User,
        id: CaseId,
        file_name: &str,
        content_type: &str,
        tmp: &std::path::Path,
    ) -> Result<Attachment, CrmError> {
        let org = user.org_id;
        self.case_row(org, id).await?;
        let size = std::fs::metadata(tmp).map(|m| m.len()).unwrap_or(0);
        if size == 0 || size > MAX_ATTACHMENT {
            return Err(CrmError::invalid("file", "err-attachment-size"));
        }
        self.make_room(org, size).await?;
        let file_name: String =
            file_name.rsplit(['/', '\\']).next().unwrap_or("").chars().filter(|c| !c.is_control()).take(200).collect();
        let file_name = if file_name.is_empty() { "file".to_string() } else { file_name };
        let content_type = if content_type.len() <= 100 && content_type.contains('/') {
            content_type
        } else {
            "application/octet-stream"
        };
        let a = att::ActiveModel {
            org_id: Set(org.0),
            case_id: Set(id.0),
            file_name: Set(file_name.clone()),
            content_type: Set(content_type.into()),
            size: Set(size as i64),
            uploaded_by: Set(user.id.0),
            at: Set(self.now()),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        let path = self.attachment_file(org, a.id);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| CrmError::Store(store::StoreError::Io(e.to_string())))?;
        }
        if std::fs::rename(tmp, &path).is_err() {
            std::fs::copy(tmp, &path).map_err(|e| CrmError::Store(store::StoreError::Io(e.to_string())))?;
        }
        event(self.db(), org, id, Some(user.id.0), TimelineKind::Attachment, &file_name, None).await?;
        Ok(Attachment { id: a.id, file_name, content_type: a.content_type, size: a.size, at: a.at })
    }

    fn attachment_file(&self, org: OrgId, id: i64) -> std::path::PathBuf {
        self.files.join("attachments").join(org.0.to_string()).join(id.to_string())
    }

    pub async fn attachments(&self, org: OrgId, case_id: CaseId) -> Result<Vec<Attachment>, CrmError> {
        Ok(att::Entity::find()
            .filter(att::Column::OrgId.eq(org.0))
            .filter(att::Column::CaseId.eq(case_id))
            .order_by_asc(att::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|a| Attachment {
                id: a.id,
                file_name: a.file_name,
                content_type: a.content_type,
                size: a.size,
                at: a.at,
            })
            .collect())
    }

    /// An attachment's metadata and file.
    pub async fn attachment(&self, org: OrgId, id: i64) -> Result<(Attachment, std::path::PathBuf), CrmError> {
        let a = att::Entity::find_by_id(id)
            .filter(att::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        let path = self.attachment_file(org, a.id);
        Ok((
            Attachment { id: a.id, file_name: a.file_name, content_type: a.content_type, size: a.size, at: a.at },
            path,
        ))
    }

    /// The name of a status (for lists).
    pub async fn status_names(&self, org: OrgId) -> Result<std::collections::HashMap<i64, String>, CrmError> {
        Ok(ps::Entity::find()
            .filter(ps::Column::OrgId.eq(org.0))
            .all(self.db())
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect())
    }
}

async fn event(
    db: &impl store::sea_orm::ConnectionTrait,
    org: OrgId,
    case_id: CaseId,
    user: Option<i64>,
    kind: TimelineKind,
    detail: &str,
    call_id: Option<&str>,
) -> Result<(), CrmError> {
    ev::ActiveModel {
        org_id: Set(org.0),
        case_id: Set(case_id.0),
        at: Set(chrono::Utc::now()),
        user_id: Set(user),
        kind: Set(kind),
        detail: Set(detail.into()),
        call_id: Set(call_id.map(str::to_string)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
