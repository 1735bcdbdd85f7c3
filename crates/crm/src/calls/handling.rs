//! The call handling window: while a call runs and after it, until "Save and finish", the
//! agent puts tags (from the list managers keep) and notes on it; the window shows the notes of
//! earlier calls with the same number; saved, they are on the call in the contact's history.

use super::view::CallView;
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::entities::{call_log, call_note as cn, call_tag as ct, live_call};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use telephony::ActiveCall;
use telephony::events::Direction;

#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallNote {
    pub id: i64,
    pub call_id: String,
    pub user_id: i64,
    pub number: String,
    pub contact_id: Option<i64>,
    pub tags: Vec<String>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub saved_at: Option<DateTime<Utc>>,
}

impl From<cn::Model> for CallNote {
    fn from(m: cn::Model) -> Self {
        CallNote {
            id: m.id,
            call_id: m.call_id,
            user_id: m.user_id,
            number: m.number,
            contact_id: m.contact_id,
            tags: m.tags.lines().filter(|l| !l.is_empty()).map(str::to_string).collect(),
            notes: m.notes,
            created_at: m.created_at,
            saved_at: m.saved_at,
        }
    }
}

impl Crm {
    pub async fn call_tags(&self, org: OrgId) -> Result<Vec<Tag>, CrmError> {
        Ok(ct::Entity::find()
            .filter(ct::Column::OrgId.eq(org.0))
            .order_by_asc(ct::Column::Name)
            .all(self.db())
            .await?
            .into_iter()
            .map(|t| Tag { id: t.id, name: t.name, active: t.active })
            .collect())
    }

    pub async fn add_call_tag(&self, by: &User, name: &str) -> Result<Tag, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 40 || name.contains('\n') {
            return Err(CrmError::invalid("name", "err-tag-name"));
        }
        if self.call_tags(by.org_id).await?.iter().any(|t| t.active && t.name.eq_ignore_ascii_case(name)) {
            return Err(CrmError::Conflict(crate::FieldError { field: "name", code: "err-tag-taken" }));
        }
        let t = ct::ActiveModel {
            org_id: Set(by.org_id.0),
            name: Set(name.into()),
            active: Set(true),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(Tag { id: t.id, name: t.name, active: t.active })
    }

    /// Opens (or returns) the user's window for their call `call_id`: one they are on or were
    /// on (in progress on any node, or in the call log as theirs). The number is the call's
    /// other party; any other call is not found.
    pub async fn open_handling(&self, user: &User, call_id: &str) -> Result<CallNote, CrmError> {
        let call_id = call_id.trim();
        if call_id.is_empty() || call_id.len() > 200 {
            return Err(CrmError::invalid("call_id", "err-call-command"));
        }
        if let Some(n) = self.note_row(user, call_id).await? {
            return Ok(n.into());
        }
        let number = self.own_call_number(user, call_id).await?.ok_or(CrmError::NotFound)?;
        self.open_window(user, call_id, &number).await
    }

    /// The other party's number of `call_id` when `user` is or was on it.
    async fn own_call_number(&self, user: &User, call_id: &str) -> Result<Option<String>, CrmError> {
        let ext = user.extension.as_str();
        let on = |c: &ActiveCall| {
            c.extension.as_deref() == Some(ext)
                || (c.direction != Direction::Inbound && c.from == ext)
                || (c.direction == Direction::Internal && c.to == ext)
        };
        let number = |c: &ActiveCall| CallView::of(c, None, ext).number;
        if let Ok(sip) = self.sip()
            && let Some(c) = sip.calls(user.org_id.0).iter().find(|c| c.call_id == call_id && on(c))
        {
            return Ok(Some(number(c)));
        }
        // In progress on another node: its last event as recorded.
        let live = live_call::Entity::find()
            .filter(live_call::Column::OrgId.eq(user.org_id.0))
            .filter(live_call::Column::CallId.eq(call_id))
            .one(self.db())
            .await?;
        if let Some(c) = live.and_then(|row| serde_json::from_str::<ActiveCall>(&row.call).ok()).filter(|c| on(c)) {
            return Ok(Some(number(&c)));
        }
        let logged = call_log::Entity::find()
            .filter(call_log::Column::OrgId.eq(user.org_id.0))
            .filter(call_log::Column::CallId.eq(call_id))
            .filter(
                Condition::any().add(call_log::Column::UserId.eq(user.id.0)).add(call_log::Column::Extension.eq(ext)),
            )
            .one(self.db())
            .await?;
        Ok(logged.map(|row| row.number))
    }

    /// Opens the user's window for `call_id` with `number` (the caller knows the call is theirs).
    pub(crate) async fn open_window(&self, user: &User, call_id: &str, number: &str) -> Result<CallNote, CrmError> {
        if let Some(n) = self.note_row(user, call_id).await? {
            return Ok(n.into());
        }
        let number = crate::sip::trunks::digits(number);
        let country = self.org(user.org_id).await?.default_country;
        let contact = self.contacts_for_number(user.org_id, &country, &number).await?.1.into_iter().next();
        Ok(cn::ActiveModel {
            org_id: Set(user.org_id.0),
            call_id: Set(call_id.into()),
            user_id: Set(user.id.0),
            number: Set(number),
            contact_id: Set(contact.map(|c| c.id.0)),
            tags: Set(String::new()),
            notes: Set(String::new()),
            created_at: Set(self.now()),
            saved_at: Set(None),
            ..Default::default()
        }
        .insert(self.db())
        .await?
        .into())
    }

    async fn note_row(&self, user: &User, call_id: &str) -> Result<Option<cn::Model>, CrmError> {
        Ok(cn::Entity::find()
            .filter(cn::Column::OrgId.eq(user.org_id.0))
            .filter(cn::Column::UserId.eq(user.id.0))
            .filter(cn::Column::CallId.eq(call_id))
            .one(self.db())
            .await?)
    }

    /// Keeps the window's tags and notes; `finish` is "Save and finish" (the window closes).
    pub async fn save_handling(
        &self,
        user: &User,
        call_id: &str,
        tags: &[String],
        notes: &str,
        finish: bool,
    ) -> Result<CallNote, CrmError> {
        let row = self.note_row(user, call_id).await?.ok_or(CrmError::NotFound)?;
        let known = self.call_tags(user.org_id).await?;
        let mut chosen = vec![];
        for t in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            match known.iter().find(|k| k.active && k.name == t) {
                Some(k) => chosen.push(k.name.clone()),
                None => return Err(CrmError::invalid("tags", "err-tag-unknown")),
            }
        }
        chosen.dedup();
        if notes.chars().count() > 10_000 {
            return Err(CrmError::invalid("notes", "err-too-long"));
        }
        let mut am: cn::ActiveModel = row.into();
        am.tags = Set(chosen.join("\n"));
        am.notes = Set(notes.trim().into());
        if finish {
            am.saved_at = Set(Some(self.now()));
        }
        Ok(am.update(self.db()).await?.into())
    }

    /// The user's windows still open (calls not yet "saved and finished").
    pub async fn open_windows(&self, user: &User) -> Result<Vec<CallNote>, CrmError> {
        Ok(cn::Entity::find()
            .filter(cn::Column::OrgId.eq(user.org_id.0))
            .filter(cn::Column::UserId.eq(user.id.0))
            .filter(cn::Column::SavedAt.is_null())
            .order_by_asc(cn::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Whether the user's window of this call is still open (the call is in wrap-up).
    pub async fn handling_open(&self, org: OrgId, user: crate::UserId, call_id: &str) -> Result<bool, CrmError> {
        Ok(cn::Entity::find()
            .filter(cn::Column::OrgId.eq(org.0))
            .filter(cn::Column::UserId.eq(user.0))
            .filter(cn::Column::CallId.eq(call_id))
            .filter(cn::Column::SavedAt.is_null())
            .count(self.db())
            .await?
            > 0)
    }

    /// Saved notes of earlier calls with this number (latest first): the window and the
    /// contact's history show them.
    pub async fn notes_for_number(&self, org: OrgId, number: &str, limit: u64) -> Result<Vec<CallNote>, CrmError> {
        Ok(cn::Entity::find()
            .filter(cn::Column::OrgId.eq(org.0))
            .filter(cn::Column::Number.eq(crate::sip::trunks::digits(number)))
            .filter(cn::Column::SavedAt.is_not_null())
            .order_by_desc(cn::Column::SavedAt)
            .limit(limit)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
