//! Contact search: the conditions of a search (`crate::search`) checked and turned into the
//! store's (numbers normalized with the organization's country, days into instants); the store
//! runs them (`store::contact_search`, which knows how to on a million rows).

use super::Contact;
use crate::search::{Cond, Found, Target, check, day_range};
use crate::{Crm, CrmError, OrgId};
use store::contact_search::{Compare, ContactCond, Day, TextField};

pub use store::contact_search::COUNT_CAP;

/// A number typed for "starts with", as the beginning of E.164 digits: international when
/// typed with + or 00, else national (the organization's calling code, no trunk 0).
fn phone_prefix(typed: &str, digits: &str, country: &str) -> String {
    let t = typed.trim();
    if t.starts_with('+') {
        digits.to_string()
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else {
        format!("{}{}", super::phone::calling_code(country).unwrap_or(""), digits.trim_start_matches('0'))
    }
}

fn compare(op: &str) -> Result<Compare, CrmError> {
    Ok(match op {
        "equals" => Compare::Equals,
        "contains" => Compare::Contains,
        "starts" => Compare::Starts,
        "before" => Compare::Before,
        "after" => Compare::After,
        "empty" => Compare::Empty,
        _ => return Err(CrmError::invalid("op", "err-search-op")),
    })
}

/// One checked condition as the store takes it.
fn condition(c: &Cond, country: &str) -> Result<ContactCond, CrmError> {
    let v = c.value.trim();
    let op = compare(&c.op)?;
    let digits = || v.chars().filter(char::is_ascii_digit).collect::<String>();
    Ok(match c.field.as_str() {
        "any" => {
            let d = digits();
            let number = d.len() >= 3 && v.chars().all(|c| c.is_ascii_digit() || " +-./()".contains(c));
            ContactCond::Any { text: v.to_string(), digits: number.then_some(d) }
        }
        "created_at" => ContactCond::Created(match op {
            Compare::Empty => Day::Empty,
            Compare::Before => Day::Before(day_range(v)?.0),
            Compare::After => Day::After(day_range(v)?.1),
            Compare::Equals => {
                let (start, end) = day_range(v)?;
                Day::Within(start, end)
            }
            _ => return Err(CrmError::invalid("op", "err-search-op")),
        }),
        "phone" => ContactCond::Phone(
            op,
            match op {
                Compare::Equals => super::phone::normalize(v, country).unwrap_or_else(digits),
                Compare::Starts => phone_prefix(v, &digits(), country),
                _ => digits(),
            },
        ),
        f => {
            let field = match f {
                "code" => TextField::Code,
                "first_name" => TextField::FirstName,
                "last_name" => TextField::LastName,
                "company" => TextField::Company,
                "email" => TextField::Email,
                _ => TextField::Notes,
            };
            ContactCond::Text(field, op, v.to_string())
        }
    })
}

impl Crm {
    /// Contacts (not deleted) matching every condition, by last name then first name; counted
    /// up to `COUNT_CAP` ("more" beyond).
    pub async fn search_contacts(
        &self,
        org: OrgId,
        conds: &[Cond],
        page: u64,
        per_page: u64,
    ) -> Result<Found<Contact>, CrmError> {
        check(Target::Contacts, conds)?;
        let country = self.org(org).await?.default_country;
        let conds = conds.iter().map(|c| condition(c, &country)).collect::<Result<Vec<_>, _>>()?;
        let per_page = per_page.clamp(1, 200);
        let page = crate::search::check_page(page)?;
        let hits = self.store.search_contacts(org.0, &conds, page, per_page).await?;
        let items = hits.rows.into_iter().map(Into::into).collect();
        Ok(Found { total: hits.total, more: hits.more, page, per_page, items })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn phone_prefixes() {
        assert_eq!(super::phone_prefix("+48 500", "48500", "PL"), "48500");
        assert_eq!(super::phone_prefix("0048 500", "0048500", "PL"), "48500");
        assert_eq!(super::phone_prefix("500 1", "5001", "PL"), "485001");
    }
}
