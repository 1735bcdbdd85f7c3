//! Digest authentication of a request from a phone (REGISTER, INVITE): challenge, check, and
//! feed the scanner guard. Answers the request itself whenever it does not let it through.

use crate::digest::{self, Verdict};
use crate::directory::Tenant;
use crate::shared::{Shared, source_of};
use rsipstack::sip::headers::untyped::WwwAuthenticate;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use std::net::IpAddr;

/// The authenticated extension, or `None` when the request was answered (401 or 403).
pub(crate) async fn authenticate(
    srv: &Shared,
    tx: &mut Transaction,
    tenant: &Tenant,
    expected: Option<&str>,
) -> Option<String> {
    let req = tx.original.clone();
    let method = req.method.to_string();
    if srv.internal.vouches(&req) {
        // A browser phone of this process: the web session said who the user is; the
        // extension (the registration's, or the caller's From) must be an active one.
        let user = match expected {
            Some(e) => Some(e.to_string()),
            None => req.from_header().ok().and_then(|f| f.typed().ok()).and_then(|f| f.uri.auth.map(|a| a.user)),
        };
        if let Some(user) = user
            && srv.directory.extension_secret(tenant, &user).await.is_some()
        {
            return Some(user);
        }
        let _ = tx.reply(StatusCode::Forbidden).await;
        return None;
    }
    let from = source_of(tx).map(|a| a.ip()).unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let Some(auth) = req.authorization_header().map(|h| h.value().to_string()) else {
        challenge(srv, tx, &tenant.realm, from, false).await;
        return None;
    };
    let Some(creds) = digest::parse_authorization(&auth) else {
        challenge(srv, tx, &tenant.realm, from, false).await;
        return None;
    };
    let user = creds.username.clone();
    // Only the extension itself may register it, and a call says who places it in its From:
    // the credentials must be that user's.
    let claimed = match expected {
        Some(e) => Some(e.to_string()),
        None => req.from_header().ok().and_then(|f| f.typed().ok()).and_then(|f| f.uri.auth.map(|a| a.user)),
    };
    if claimed.as_deref() != Some(user.as_str()) {
        tracing::info!(%from, %user, claimed = ?claimed, %method, "SIP: credentials of another user refused");
        let _ = tx.reply(StatusCode::Forbidden).await;
        return None;
    }
    // An account guessed at from many addresses takes guesses only from where its phones are.
    if srv.guard.account_locked(tenant.id, &user) && !registered_from(srv, tenant, &user, from) {
        tracing::info!(%from, %user, realm = %tenant.realm, "SIP: account locked against guessing, refused");
        let _ = tx.reply(StatusCode::Forbidden).await;
        return None;
    }
    let uri = req.uri.to_string();
    let request = digest::Request { method: &method, uri: &uri, from };
    let verdict = match srv.directory.extension_secret(tenant, &user).await {
        Some(secret) => digest::verify(&creds, &request, &tenant.realm, &secret, &srv.nonces),
        // An unknown user answering our challenge: a wrong guess like a wrong password.
        None if srv.nonces.check(&creds.nonce, &tenant.realm, from).is_some() => Verdict::Wrong,
        None => Verdict::Unproven,
    };
    match verdict {
        Verdict::Ok => Some(user),
        Verdict::Stale => {
            challenge(srv, tx, &tenant.realm, from, true).await;
            None
        }
        Verdict::Unproven => {
            // Not an answer to our challenge to this address (forged, replayed, or made for
            // another request): challenge again, hold nothing against the address.
            challenge(srv, tx, &tenant.realm, from, false).await;
            None
        }
        Verdict::Wrong => {
            // A real try: the challenge went to this address and came back with a wrong
            // password. Counted against the account, and against the address unless it is a
            // carrier's or a registered phone's (whose calls must never stop).
            srv.guard.record_account_failure(tenant.id, &user);
            let protected = srv.location.has_source(from) || !srv.directory.trunks_for_source(from).await.is_empty();
            if !protected {
                srv.guard.record_failure(from);
            }
            tracing::info!(%from, %user, realm = %tenant.realm, %method, "SIP: authentication refused");
            let _ = tx.reply(StatusCode::Forbidden).await;
            None
        }
    }
}

/// Whether a phone of `user` is registered from `ip` now.
fn registered_from(srv: &Shared, tenant: &Tenant, user: &str, ip: IpAddr) -> bool {
    srv.location.lookup(tenant.id, user).iter().any(|b| b.source.ip() == ip)
}

async fn challenge(srv: &Shared, tx: &mut Transaction, realm: &str, to: IpAddr, stale: bool) {
    let headers = digest::challenges(&srv.nonces, realm, to, stale)
        .into_iter()
        .map(|v| Header::WwwAuthenticate(WwwAuthenticate::new(v)))
        .collect();
    let _ = tx.reply_with(StatusCode::Unauthorized, headers, None).await;
}
