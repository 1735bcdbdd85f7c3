//! Contacts: the people the organization deals with. Phone numbers are kept as typed and as
//! E.164 (with the organization's default country), which is what calls are matched on (screen
//! pop, call log). Deleting keeps the row (restorable). The CRM issue builds the full screens
//! on this.

pub mod phone;
pub mod search;

use crate::{ContactId, Crm, CrmError, OrgId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::entities::contact;
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub code: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub phone1: String,
    pub phone1_e164: String,
    pub phone2: String,
    pub phone2_e164: String,
    pub email: String,
    pub notes: String,
    pub created_at: DateTime<Utc>,
}

impl Contact {
    /// "First Last", else the company, else the code.
    pub fn name(&self) -> String {
        let n = format!("{} {}", self.first_name, self.last_name).trim().to_string();
        if !n.is_empty() {
            n
        } else if !self.company.is_empty() {
            self.company.clone()
        } else {
            self.code.clone()
        }
    }
}

impl From<contact::Model> for Contact {
    fn from(m: contact::Model) -> Self {
        Contact {
            id: ContactId(m.id),
            code: m.code,
            first_name: m.first_name,
            last_name: m.last_name,
            company: m.company,
            phone1: m.phone1,
            phone1_e164: m.phone1_e164,
            phone2: m.phone2,
            phone2_e164: m.phone2_e164,
            email: m.email,
            notes: m.notes,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewContact {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub phone1: String,
    #[serde(default)]
    pub phone2: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub notes: String,
}

fn clip(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    (s.chars().count() <= max).then(|| s.to_string())
}

impl Crm {
    /// The fields of a contact as typed, checked and with phones normalized.
    async fn checked(&self, org: OrgId, n: &NewContact) -> Result<contact::ActiveModel, CrmError> {
        let country = self.org(org).await?.default_country;
        let mut checks = crate::error::Checks::default();
        let mut field = |name: &'static str, v: &str, max: usize| {
            clip(v, max).unwrap_or_else(|| {
                checks.push(name, "err-too-long");
                String::new()
            })
        };
        let first_name = field("first_name", &n.first_name, 100);
        let last_name = field("last_name", &n.last_name, 100);
        let company = field("company", &n.company, 200);
        let email = field("email", &n.email, 254);
        let notes = field("notes", &n.notes, 10_000);
        let phone = |name: &'static str, typed: &str, checks: &mut crate::error::Checks| {
            let typed = typed.trim();
            if typed.is_empty() {
                return (String::new(), String::new());
            }
            match crate::contacts::phone::normalize(typed, &country) {
                Some(e) => (typed.to_string(), e),
                None => {
                    checks.push(name, "err-phone");
                    (String::new(), String::new())
                }
            }
        };
        let (phone1, phone1_e164) = phone("phone1", &n.phone1, &mut checks);
        let (phone2, phone2_e164) = phone("phone2", &n.phone2, &mut checks);
        if first_name.is_empty() && last_name.is_empty() && company.is_empty() {
            checks.push("last_name", "err-contact-name");
        }
        if !email.is_empty() && !crate::identity::preferences::valid_email(&email) {
            checks.push("email", "err-email");
        }
        checks.finish()?;
        Ok(contact::ActiveModel {
            first_name: Set(first_name),
            last_name: Set(last_name),
            company: Set(company),
            phone1: Set(phone1),
            phone1_e164: Set(phone1_e164),
            phone2: Set(phone2),
            phone2_e164: Set(phone2_e164),
            email: Set(email),
            notes: Set(notes),
            ..Default::default()
        })
    }

    /// Adds a contact; its code is `C` and its number in the organization.
    pub async fn create_contact(&self, org: OrgId, n: NewContact) -> Result<Contact, CrmError> {
        let mut am = self.checked(org, &n).await?;
        let now = self.now();
        am.org_id = Set(org.0);
        am.code = Set(format!("new-{:016x}", rand::random::<u64>()));
        am.created_at = Set(now);
        am.updated_at = Set(now);
        am.deleted_at = Set(None);
        am.import_id = Set(None);
        am.import_line = Set(None);
        let m = am.insert(self.db()).await?;
        let id = m.id;
        let mut am: contact::ActiveModel = m.into();
        am.code = Set(format!("C{id:06}"));
        Ok(am.update(self.db()).await?.into())
    }

    /// Changes a contact's fields.
    pub async fn update_contact(&self, org: OrgId, id: ContactId, n: NewContact) -> Result<Contact, CrmError> {
        let m = self.contact_row(org, id).await?;
        let mut am = self.checked(org, &n).await?;
        am.id = Set(m.id);
        am.updated_at = Set(self.now());
        Ok(am.update(self.db()).await?.into())
    }

    async fn contact_row(&self, org: OrgId, id: ContactId) -> Result<contact::Model, CrmError> {
        contact::Entity::find_by_id(id)
            .filter(contact::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    /// Deletes a contact softly: it leaves the lists and can be restored.
    pub async fn delete_contact(&self, org: OrgId, id: ContactId) -> Result<(), CrmError> {
        let m = self.contact_row(org, id).await?;
        let mut am: contact::ActiveModel = m.into();
        am.deleted_at = Set(Some(self.now()));
        am.update(self.db()).await?;
        Ok(())
    }

    pub async fn restore_contact(&self, org: OrgId, id: ContactId) -> Result<Contact, CrmError> {
        let m = self.contact_row(org, id).await?;
        let mut am: contact::ActiveModel = m.into();
        am.deleted_at = Set(None);
        Ok(am.update(self.db()).await?.into())
    }

    /// Deleted contacts (latest first), to restore.
    pub async fn deleted_contacts(&self, org: OrgId) -> Result<Vec<Contact>, CrmError> {
        Ok(contact::Entity::find()
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::DeletedAt.is_not_null())
            .order_by_desc(contact::Column::DeletedAt)
            .limit(200)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Other contacts with one of this one's phone numbers or its e-mail address.
    pub async fn duplicates_of(&self, org: OrgId, c: &Contact) -> Result<Vec<Contact>, CrmError> {
        let mut out: Vec<Contact> = vec![];
        for p in [&c.phone1_e164, &c.phone2_e164].into_iter().filter(|p| !p.is_empty()) {
            out.extend(self.contacts_by_phone(org, p).await?);
        }
        if !c.email.is_empty() {
            out.extend(
                contact::Entity::find()
                    .filter(contact::Column::OrgId.eq(org.0))
                    .filter(contact::Column::Email.eq(c.email.as_str()))
                    .filter(contact::Column::DeletedAt.is_null())
                    .limit(10)
                    .all(self.db())
                    .await?
                    .into_iter()
                    .map(Into::into),
            );
        }
        out.retain(|o| o.id != c.id);
        out.sort_by_key(|o| o.id);
        out.dedup_by_key(|o| o.id);
        Ok(out)
    }

    /// Merges `other` into `keep`: its cases, calls and notes move over, `keep`'s empty fields
    /// take `other`'s, and `other` is deleted (softly).
    pub async fn merge_contacts(&self, org: OrgId, keep: ContactId, other: ContactId) -> Result<Contact, CrmError> {
        if keep == other {
            return Err(CrmError::invalid("other", "err-merge-self"));
        }
        let k = self.contact_row(org, keep).await?;
        let o = self.contact_row(org, other).await?;
        use store::sea_orm::sea_query::Expr;
        let txn = self.store.write().await?;
        store::entities::case::Entity::update_many()
            .col_expr(store::entities::case::Column::ContactId, Expr::value(keep))
            .filter(store::entities::case::Column::OrgId.eq(org.0))
            .filter(store::entities::case::Column::ContactId.eq(other))
            .exec(&txn)
            .await?;
        store::entities::call_log::Entity::update_many()
            .col_expr(store::entities::call_log::Column::ContactId, Expr::value(keep))
            .filter(store::entities::call_log::Column::OrgId.eq(org.0))
            .filter(store::entities::call_log::Column::ContactId.eq(other))
            .exec(&txn)
            .await?;
        store::entities::call_note::Entity::update_many()
            .col_expr(store::entities::call_note::Column::ContactId, Expr::value(keep))
            .filter(store::entities::call_note::Column::OrgId.eq(org.0))
            .filter(store::entities::call_note::Column::ContactId.eq(other))
            .exec(&txn)
            .await?;
        let fill = |a: &String, b: &String| if a.is_empty() { b.clone() } else { a.clone() };
        let mut am: contact::ActiveModel = k.clone().into();
        am.first_name = Set(fill(&k.first_name, &o.first_name));
        am.last_name = Set(fill(&k.last_name, &o.last_name));
        am.company = Set(fill(&k.company, &o.company));
        am.email = Set(fill(&k.email, &o.email));
        if k.phone1.is_empty() {
            am.phone1 = Set(o.phone1.clone());
            am.phone1_e164 = Set(o.phone1_e164.clone());
        } else if k.phone2.is_empty() && o.phone1_e164 != k.phone1_e164 {
            am.phone2 = Set(o.phone1.clone());
            am.phone2_e164 = Set(o.phone1_e164.clone());
        }
        am.notes = Set([k.notes.as_str(), o.notes.as_str()]
            .iter()
            .filter(|n| !n.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("\n"));
        am.updated_at = Set(self.now());
        let merged = am.update(&txn).await?;
        let mut gone: contact::ActiveModel = o.into();
        gone.deleted_at = Set(Some(self.now()));
        gone.update(&txn).await?;
        txn.commit().await?;
        Ok(merged.into())
    }

    /// A contact of the organization (not deleted).
    pub async fn contact(&self, org: OrgId, id: ContactId) -> Result<Contact, CrmError> {
        contact::Entity::find_by_id(id)
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::DeletedAt.is_null())
            .one(self.db())
            .await?
            .map(Into::into)
            .ok_or(CrmError::NotFound)
    }

    /// The contacts with this E.164 number as phone 1 or 2 (at most 10).
    pub async fn contacts_by_phone(&self, org: OrgId, e164: &str) -> Result<Vec<Contact>, CrmError> {
        contacts_by_phone_on(self.db(), org, e164).await
    }

    /// The contacts with a number, as `contacts_for_number` finds them, read through `db`: a
    /// transaction reads through its own connection (one from the pool could wait for the
    /// write lock the transaction holds).
    pub(crate) async fn contacts_for_number_on(
        &self,
        db: &impl ConnectionTrait,
        org: OrgId,
        country: &str,
        number: &str,
    ) -> Result<(Option<String>, Vec<Contact>), CrmError> {
        if crate::sip::trunks::digits(number).len() <= 6 {
            return Ok((None, vec![]));
        }
        let Some(e164) = crate::contacts::phone::normalize(number, country) else { return Ok((None, vec![])) };
        let found = contacts_by_phone_on(db, org, &e164).await?;
        Ok((Some(e164), found))
    }

    /// The E.164 of a number on a call and the contacts that have it (an extension or other
    /// short number has neither).
    pub async fn contacts_for_number(
        &self,
        org: OrgId,
        country: &str,
        number: &str,
    ) -> Result<(Option<String>, Vec<Contact>), CrmError> {
        self.contacts_for_number_on(self.db(), org, country, number).await
    }

    /// Contacts whose name, company or number contains `q` (the phonebook's search).
    pub async fn find_contacts(&self, org: OrgId, q: &str, limit: u64) -> Result<Vec<Contact>, CrmError> {
        crate::search::check_text("q", q)?;
        let q = q.trim();
        let mut sel = contact::Entity::find()
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::DeletedAt.is_null());
        if !q.is_empty() {
            let digits: String = q.chars().filter(char::is_ascii_digit).collect();
            let mut any = Condition::any()
                .add(contact::Column::FirstName.contains(q))
                .add(contact::Column::LastName.contains(q))
                .add(contact::Column::Company.contains(q));
            if digits.len() >= 3 {
                any = any
                    .add(contact::Column::Phone1E164.contains(&digits))
                    .add(contact::Column::Phone2E164.contains(&digits));
            }
            sel = sel.filter(any);
        }
        Ok(sel
            .order_by_asc(contact::Column::LastName)
            .order_by_asc(contact::Column::FirstName)
            .limit(limit.min(500))
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// The contacts of `org` with the number `e164` (first or second), at most 10, read through `db`.
async fn contacts_by_phone_on(db: &impl ConnectionTrait, org: OrgId, e164: &str) -> Result<Vec<Contact>, CrmError> {
    if e164.is_empty() {
        return Ok(vec![]);
    }
    // One indexed lookup per column (an OR would scan the table).
    let mut out: Vec<Contact> = vec![];
    for col in [contact::Column::Phone1E164, contact::Column::Phone2E164] {
        let found = contact::Entity::find()
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(col.eq(e164))
            .filter(contact::Column::DeletedAt.is_null())
            .order_by_asc(contact::Column::Id)
            .limit(10)
            .all(db)
            .await?;
        for c in found {
            if !out.iter().any(|o| o.id.0 == c.id) {
                out.push(c.into());
            }
        }
    }
    out.sort_by_key(|c| c.id);
    out.truncate(10);
    Ok(out)
}
