//! Contacts: the people the organization deals with. Phone numbers are kept as typed and as
//! E.164 (with the organization's default country), which is what calls are matched on (screen
//! pop, call log). Deleting keeps the row (restorable). The CRM issue builds the full screens
//! on this.

use crate::{Crm, CrmError, OrgId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::entities::contact;
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: i64,
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
            id: m.id,
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
    /// Adds a contact; its code is `C` and its number in the organization.
    pub async fn create_contact(&self, org: OrgId, n: NewContact) -> Result<Contact, CrmError> {
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
            match crate::phone::normalize(typed, &country) {
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
        if !email.is_empty() && !crate::preferences::valid_email(&email) {
            checks.push("email", "err-email");
        }
        checks.finish()?;
        let now = self.now();
        let temp = format!("new-{:016x}", rand::random::<u64>());
        let m = contact::ActiveModel {
            org_id: Set(org.0),
            code: Set(temp),
            first_name: Set(first_name),
            last_name: Set(last_name),
            company: Set(company),
            phone1: Set(phone1),
            phone1_e164: Set(phone1_e164),
            phone2: Set(phone2),
            phone2_e164: Set(phone2_e164),
            email: Set(email),
            notes: Set(notes),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            import_id: Set(None),
            import_line: Set(None),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        let id = m.id;
        let mut am: contact::ActiveModel = m.into();
        am.code = Set(format!("C{id:06}"));
        Ok(am.update(self.db()).await?.into())
    }

    /// A contact of the organization (not deleted).
    pub async fn contact(&self, org: OrgId, id: i64) -> Result<Contact, CrmError> {
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
                .all(self.db())
                .await?;
            for c in found {
                if !out.iter().any(|o| o.id == c.id) {
                    out.push(c.into());
                }
            }
        }
        out.sort_by_key(|c| c.id);
        out.truncate(10);
        Ok(out)
    }

    /// Contacts whose name, company or number contains `q` (the phonebook's search).
    pub async fn find_contacts(&self, org: OrgId, q: &str, limit: u64) -> Result<Vec<Contact>, CrmError> {
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
