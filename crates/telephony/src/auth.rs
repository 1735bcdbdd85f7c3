//! Digest authentication of a request from a phone (REGISTER, INVITE): challenge, check, and
//! feed the scanner guard. Answers the request itself whenever it does not let it through.

use crate::digest::{self, Verdict};
use crate::directory::Tenant;
use crate::shared::{Shared, source_of};
use rsipstack::sip::headers::untyped::WwwAuthenticate;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::transaction::Transaction;

/// The authenticated extension, or `None` when the request was answered (401 or 403).
pub(crate) async fn authenticate(
    srv: &Shared,
    tx: &mut Transaction,
    tenant: &Tenant,
    expected: Option<&str>,
) -> Option<String> {
    let req = tx.original.clone();
    let method = req.method.to_string();
    let Some(auth) = req.authorization_header().map(|h| h.value().to_string()) else {
        challenge(srv, tx, &tenant.realm, false).await;
        return None;
    };
    let creds = digest::parse_authorization(&auth);
    let user = creds.as_ref().map(|c| c.username.clone()).unwrap_or_default();
    let allowed = expected.is_none_or(|e| e == user);
    let secret = match &creds {
        Some(_) if allowed => srv.directory.extension_secret(tenant, &user).await,
        _ => None,
    };
    let verdict = match (&creds, &secret) {
        (Some(c), Some(s)) => digest::verify(c, &method, &tenant.realm, s, &srv.nonces),
        _ => Verdict::Wrong,
    };
    match verdict {
        Verdict::Ok => Some(user),
        Verdict::Stale => {
            challenge(srv, tx, &tenant.realm, true).await;
            None
        }
        Verdict::Wrong => {
            if let Some(src) = source_of(tx) {
                srv.guard.record_failure(src.ip());
                tracing::info!(%src, %user, realm = %tenant.realm, %method, "SIP: authentication refused");
            }
            let _ = tx.reply(StatusCode::Forbidden).await;
            None
        }
    }
}

async fn challenge(srv: &Shared, tx: &mut Transaction, realm: &str, stale: bool) {
    let headers = digest::challenges(&srv.nonces, realm, stale)
        .into_iter()
        .map(|v| Header::WwwAuthenticate(WwwAuthenticate::new(v)))
        .collect();
    let _ = tx.reply_with(StatusCode::Unauthorized, headers, None).await;
}
