//! Outbound registration of trunks whose carrier wants it: one task per trunk REGISTERs with
//! the trunk's credentials, refreshes before expiry, and backs off after failures. The list of
//! trunks is read from the directory every 30 s, so new and removed trunks are followed.

use crate::directory::{SipDirectory, Trunk};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::registration::{Registration, backoff_interval, refresh_interval};
use rsipstack::sip::{StatusCodeKind, Uri};
use rsipstack::transaction::endpoint::EndpointInnerRef;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a registration asks to last.
pub const EXPIRES: u32 = 300;

/// Whether each trunk's registration currently stands (trunk id → registered).
pub type Status = Arc<Mutex<HashMap<i64, bool>>>;

pub(crate) fn start(
    endpoint: EndpointInnerRef,
    directory: Arc<dyn SipDirectory>,
    status: Status,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let mut running: HashMap<i64, (Trunk, JoinHandle<()>)> = HashMap::new();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = cancel.cancelled() => break,
            }
            let wanted: HashMap<i64, Trunk> =
                directory.trunks_to_register().await.into_iter().map(|t| (t.id, t)).collect();
            running.retain(|id, (t, task)| {
                let keep = wanted.get(id) == Some(t);
                if !keep {
                    task.abort();
                    status.lock().expect("status lock").remove(id);
                }
                keep
            });
            for (id, t) in wanted {
                running.entry(id).or_insert_with(|| {
                    let task = tokio::spawn(keep_registered(endpoint.clone(), t.clone(), status.clone()));
                    (t, task)
                });
            }
        }
        for (_, (_, task)) in running {
            task.abort();
        }
    });
}

async fn keep_registered(endpoint: EndpointInnerRef, trunk: Trunk, status: Status) {
    let credential = Credential {
        username: trunk.username.clone().unwrap_or_default(),
        password: trunk.password.clone().unwrap_or_default(),
        realm: None,
        ..Default::default()
    };
    let transport = if trunk.tcp { ";transport=tcp" } else { "" };
    let Ok(server) = Uri::try_from(format!("sip:{}:{}{transport}", trunk.host, trunk.port).as_str()) else {
        tracing::warn!(trunk = trunk.id, "SIP: the trunk's address is not a SIP URI");
        return;
    };
    let mut reg = Registration::new(endpoint, Some(credential));
    let mut failures = 0u32;
    loop {
        let ok = match reg.register(server.clone(), Some(EXPIRES)).await {
            Ok(resp) if resp.status_code.kind() == StatusCodeKind::Successful => true,
            Ok(resp) => {
                tracing::warn!(trunk = trunk.id, status = %resp.status_code, "SIP: the carrier refused the trunk's registration");
                false
            }
            Err(e) => {
                tracing::warn!(trunk = trunk.id, "SIP: registering the trunk: {e}");
                false
            }
        };
        status.lock().expect("status lock").insert(trunk.id, ok);
        let wait = if ok {
            failures = 0;
            refresh_interval(reg.expires().max(60))
        } else {
            failures += 1;
            backoff_interval(failures)
        };
        tokio::time::sleep(wait).await;
    }
}
