//! An import of contacts: the duplicate check against the organization's phones and e-mail
//! addresses and each other, the row checks, the bulk write, and whether an import is unused.

use super::{FIELDS, KeySet, Settings, Summary, key, note};
use crate::{Crm, CrmError, OrgId};
use store::contact_load::ContactRow;
use store::entities::{call_log, contact, import};
use store::sea_orm::sea_query::{Expr, ExprTrait};
use store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

impl Crm {
    /// Reads the file of a contacts import: counts, problems, and (with `write`) the new rows.
    pub(super) async fn scan_contacts(
        &self,
        org: OrgId,
        m: &import::Model,
        s: &Settings,
        write: bool,
    ) -> Result<Summary, CrmError> {
        let country = self.org(org).await?.default_country;
        // What the organization has already (not counting this import's own rows), as hashes.
        let mut seen = KeySet::default();
        let mut pages = contact::Entity::find()
            .select_only()
            .columns([contact::Column::Phone1E164, contact::Column::Phone2E164, contact::Column::Email])
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::DeletedAt.is_null())
            .filter(
                store::sea_orm::Condition::any()
                    .add(contact::Column::ImportId.is_null())
                    .add(contact::Column::ImportId.ne(m.id)),
            )
            .into_tuple::<(String, String, String)>()
            .paginate(self.db(), 50_000);
        while let Some(page) = pages.fetch_and_next().await? {
            for (p1, p2, e) in page {
                for k in [p1, p2.clone()].iter().filter(|k| !k.is_empty()) {
                    seen.insert(key(k));
                }
                if !e.is_empty() {
                    seen.insert(key(&e.to_lowercase()));
                }
            }
        }
        let cols: Vec<Option<usize>> = FIELDS.iter().map(|f| s.mapping.iter().position(|m| m == f)).collect();
        // A run that was killed wrote whole batches in line order: go on after its last line.
        let done_up_to: u64 = if write {
            contact::Entity::find()
                .select_only()
                .column_as(Expr::col(contact::Column::ImportLine).max(), "m")
                .filter(contact::Column::OrgId.eq(org.0))
                .filter(contact::Column::ImportId.eq(m.id))
                .into_tuple::<Option<i64>>()
                .one(self.db())
                .await?
                .flatten()
                .unwrap_or(0) as u64
        } else {
            0
        };
        let each = move |line: u64, record: &csv::StringRecord, sum: &mut Summary| {
            let get = |i: usize| cols[i].and_then(|c| record.get(c)).map(str::trim).unwrap_or("");
            let row = match validate(line, [get(0), get(1), get(2), get(3), get(4), get(5), get(6)], &country) {
                Err(reason) => {
                    sum.invalid += 1;
                    note(sum, line, reason);
                    return None;
                }
                Ok(row) => row,
            };
            let email = (!row.email.is_empty()).then(|| key(&row.email.to_lowercase()));
            let keys: Vec<(u64, bool)> = [&row.phone1_e164, &row.phone2_e164]
                .into_iter()
                .filter(|k| !k.is_empty())
                .map(|k| (key(k), false))
                .chain(email.map(|e| (e, true)))
                .collect();
            if let Some((_, is_email)) = keys.iter().find(|(k, _)| seen.contains(k)) {
                sum.duplicates += 1;
                note(sum, line, if *is_email { "dup-email" } else { "dup-phone" });
                return None;
            }
            seen.extend(keys.into_iter().map(|(k, _)| k));
            sum.new += 1;
            (write && row.line > done_up_to).then_some(row)
        };
        let import_id = m.id;
        self.stream(org, m, s, each, |rows| async move {
            Ok(self.store.insert_contacts(org.0, import_id, self.now(), rows).await?)
        })
        .await
    }

    /// Whether the import's contacts are still unused (no calls, not changed since).
    pub(super) async fn contacts_unused(&self, org: OrgId, id: i64) -> Result<bool, CrmError> {
        let ids: Vec<i64> = contact::Entity::find()
            .select_only()
            .column(contact::Column::Id)
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::ImportId.eq(id))
            .into_tuple()
            .all(self.db())
            .await?;
        let changed = contact::Entity::find()
            .filter(contact::Column::OrgId.eq(org.0))
            .filter(contact::Column::ImportId.eq(id))
            .filter(Expr::col(contact::Column::UpdatedAt).ne(Expr::col(contact::Column::CreatedAt)))
            .count(self.db())
            .await?;
        if changed > 0 {
            return Ok(false);
        }
        for chunk in ids.chunks(10_000) {
            let used = call_log::Entity::find()
                .filter(call_log::Column::OrgId.eq(org.0))
                .filter(call_log::Column::ContactId.is_in(chunk.iter().copied()))
                .count(self.db())
                .await?;
            if used > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A row's fields in `FIELDS` order, checked and normalized.
fn validate(line: u64, f: [&str; 7], country: &str) -> Result<ContactRow, &'static str> {
    let [first_name, last_name, company, phone1, phone2, email, notes] = f;
    if first_name.is_empty() && last_name.is_empty() && company.is_empty() {
        return Err("err-contact-name");
    }
    let too_long = |s: &str, n: usize| s.len() > n && s.chars().count() > n;
    if too_long(first_name, 100) || too_long(last_name, 100) || too_long(company, 200) || too_long(notes, 10_000) {
        return Err("err-too-long");
    }
    let phone = |p: &str| -> Result<String, &'static str> {
        if p.is_empty() { Ok(String::new()) } else { crate::contacts::phone::normalize(p, country).ok_or("err-phone") }
    };
    let phone1_e164 = phone(phone1)?;
    let phone2_e164 = phone(phone2)?;
    if !email.is_empty() && !crate::identity::preferences::valid_email(email) {
        return Err("err-email");
    }
    Ok(ContactRow {
        line,
        first_name: first_name.into(),
        last_name: last_name.into(),
        company: company.into(),
        phone1: phone1.into(),
        phone1_e164,
        phone2: phone2.into(),
        phone2_e164,
        email: email.into(),
        notes: notes.into(),
    })
}
