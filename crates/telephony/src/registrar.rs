//! REGISTER: digest-authenticated against the organization's extensions, then the contacts
//! are added, refreshed or removed in the location service.

use crate::location::Change;
use crate::shared::{Shared, source_of};
use rsipstack::sip::headers::untyped::{Contact, MinExpires};
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use std::time::Duration;

pub const MIN_EXPIRES: u64 = 60;
pub const MAX_EXPIRES: u64 = 3600;
pub const DEFAULT_EXPIRES: u64 = 3600;

pub(crate) async fn handle(srv: &Shared, tx: &mut Transaction) -> rsipstack::Result<()> {
    let req = tx.original.clone();
    let Some(source) = source_of(tx) else { return tx.reply(StatusCode::BadRequest).await };
    let domain = req.uri.host_with_port.host.to_string();
    let Some(tenant) = srv.directory.tenant_for_domain(&domain).await else {
        return tx.reply(StatusCode::NotFound).await;
    };
    let Some(extension) = to_user(&req) else { return tx.reply(StatusCode::BadRequest).await };

    // Who is asking, and do they know the password? Only the extension itself may register it.
    if crate::auth::authenticate(srv, tx, &tenant, Some(&extension)).await.is_none() {
        return Ok(());
    }

    let default_expires =
        req.expires_header().and_then(|e| e.value().trim().parse::<u64>().ok()).unwrap_or(DEFAULT_EXPIRES);
    let mut changes = Vec::new();
    for value in
        req.headers.iter().filter_map(|h| if let Header::Contact(c) = h { Some(c.value().to_string()) } else { None })
    {
        for part in split_contacts(&value) {
            if part.trim() == "*" {
                if default_expires != 0 {
                    return tx.reply(StatusCode::BadRequest).await;
                }
                changes.push(Change::RemoveAll);
                continue;
            }
            let Ok(c) = rsipstack::sip::typed::Contact::parse(part) else {
                return tx.reply(StatusCode::BadRequest).await;
            };
            let expires = contact_expires(part).unwrap_or(default_expires);
            let contact = c.uri.to_string();
            if expires == 0 {
                changes.push(Change::Remove { contact });
            } else if expires < MIN_EXPIRES {
                let h = Header::MinExpires(MinExpires::new(MIN_EXPIRES.to_string()));
                return tx.reply_with(StatusCode::IntervalTooBrief, vec![h], None).await;
            } else {
                changes.push(Change::Set { contact, expires: Duration::from_secs(expires.min(MAX_EXPIRES)) });
            }
        }
    }
    let call_id = req.call_id_header().map(|c| c.value().to_string()).unwrap_or_default();
    let cseq = req.cseq_header().ok().and_then(|c| c.seq().ok()).unwrap_or(0);
    let transport = tx.connection.as_ref().map(|c| c.transport().to_string()).unwrap_or_else(|| "UDP".into());
    let bindings = srv.location.apply(tenant.id, &extension, source, &transport, &call_id, cseq, changes);
    tracing::debug!(%source, %extension, realm = %tenant.realm, contacts = bindings.len(), "SIP: registered");
    let now = std::time::Instant::now();
    let headers = bindings
        .iter()
        .map(|b| Header::Contact(Contact::new(format!("<{}>;expires={}", b.contact, b.remaining(now).as_secs()))))
        .collect();
    tx.reply_with(StatusCode::OK, headers, None).await
}

/// The user part of the To URI: the extension being registered.
fn to_user(req: &rsipstack::sip::Request) -> Option<String> {
    let to = req.to_header().ok()?.typed().ok()?;
    let user = to.uri.auth?.user;
    (!user.is_empty()).then_some(user)
}

/// Splits a Contact header value on the commas between contacts (not those inside <> or quotes).
pub(crate) fn split_contacts(v: &str) -> Vec<&str> {
    let (mut out, mut start, mut angle, mut quote) = (Vec::new(), 0, false, false);
    for (i, ch) in v.char_indices() {
        match ch {
            '"' if !angle => quote = !quote,
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            ',' if !angle && !quote => {
                out.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&v[start..]);
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// The `expires` parameter of one contact (after its URI), if any.
pub(crate) fn contact_expires(part: &str) -> Option<u64> {
    let params = match part.rfind('>') {
        Some(i) => &part[i + 1..],
        None => part.split_once(';').map(|(_, p)| p).unwrap_or(""),
    };
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("expires").then(|| v.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_split_and_expire() {
        let v = r#""A, B" <sip:1001@10.0.0.1:5060;transport=tcp>;expires=60, <sip:1001@10.0.0.2>"#;
        let parts = split_contacts(v);
        assert_eq!(parts.len(), 2);
        assert_eq!(contact_expires(parts[0]), Some(60));
        assert_eq!(contact_expires(parts[1]), None);
        assert_eq!(contact_expires("sip:1001@h;expires=0"), Some(0));
    }
}
