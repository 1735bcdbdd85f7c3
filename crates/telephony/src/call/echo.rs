//! The echo test: a known prompt (three rising tones, 440, 660 and 880 Hz), then what the phone
//! sends comes back to it, so a user hears that the speaker and the microphone work. A phone
//! dials it as `*43` (as on Asterisk); "test call" on the account page rings the user's phones
//! with it. It lasts a minute at most, runs once per user and five times per organization at a
//! time (`Slot`), and sends back only to its caller's own address (`media::peer`). Each one is
//! told to the CRM as an internal call with the echo's number, which its call log keeps as a
//! test call, so an administrator sees who tested when.

use super::*;
use rsipstack::dialog::dialog::DialogState;
use std::time::Duration;

/// What a phone dials for the echo test.
pub const ECHO_EXTENSION: &str = "*43";

/// How long an echo test lasts at most.
const LIMIT: Duration = Duration::from_secs(60);

/// Echo tests of one organization at the same time, at most (one per user).
pub const PER_ORGANIZATION: usize = 5;

/// An echo test running for one extension: at most one per extension and
/// [`PER_ORGANIZATION`] per organization, so nobody can turn the echo into a load or a
/// reflector. Let go when dropped.
pub(crate) struct Slot {
    srv: Arc<Shared>,
    tenant: i64,
    extension: String,
}

impl Slot {
    pub(crate) fn take(srv: &Arc<Shared>, tenant: i64, extension: &str) -> Result<Slot, CallError> {
        let mut all = srv.echoes.lock().expect("echoes lock");
        let running = all.entry(tenant).or_default();
        if running.contains(extension) {
            return Err(CallError::Refused("an echo test is already running for this extension".into()));
        }
        if running.len() >= PER_ORGANIZATION {
            return Err(CallError::Refused("too many echo tests in this organization at once".into()));
        }
        running.insert(extension.to_string());
        tracing::info!(tenant, extension, "SIP: echo test");
        Ok(Slot { srv: srv.clone(), tenant, extension: extension.to_string() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut all = self.srv.echoes.lock().expect("echoes lock");
        if let Some(running) = all.get_mut(&self.tenant) {
            running.remove(&self.extension);
            if running.is_empty() {
                all.remove(&self.tenant);
            }
        }
    }
}

/// The prompt's tones, each this long.
const TONES: [f32; 3] = [440.0, 660.0, 880.0];
const TONE_MS: usize = 400;

/// A phone dialled the echo test: answer it and echo.
pub(crate) async fn answer(srv: Arc<Shared>, mut tx: Transaction, offer: Media, slot: Slot) {
    let mut meta = ActiveCall::new(
        call_id_of(&tx.original),
        slot.tenant,
        Direction::Internal,
        slot.extension.clone(),
        ECHO_EXTENSION.into(),
        None,
    );
    let caller = media::peer::Peer::new(offer.addr, crate::shared::source_of(&tx).map(|a| a.ip()));
    let (state_tx, mut states) = mpsc::unbounded_channel();
    let dialog = match srv.dialogs.get_or_create_server_invite(&tx, state_tx, None, Some(srv.contact.clone())) {
        Ok(d) => d,
        Err(_) => {
            let _ = tx.reply(StatusCode::ServerInternalError).await;
            return;
        }
    };
    {
        let mut d = dialog.clone();
        tokio::spawn(async move {
            let _ = d.handle(&mut tx).await;
        });
    }
    let Ok(sock) = srv.ports.bind().await else {
        let _ = dialog.reject(Some(StatusCode::ServiceUnavailable), None);
        return;
    };
    let pt = offer.codecs[0];
    let local = SocketAddr::new(srv.media_ip, sock.local_addr().map(|a| a.port()).unwrap_or(0));
    let ours = sdp::build(local, &[pt], None, SdpDirection::SendRecv, rand::random::<u32>() as u64, 1);
    let headers = vec![Header::ContentType(ContentType::new("application/sdp"))];
    if dialog.accept(Some(headers), Some(ours.into_bytes())).is_err() {
        return;
    }
    let call_id = dialog.id().call_id.clone();
    meta.answered(&srv);
    echo(&sock, caller, pt, &mut states, &call_id).await;
    meta.end(&srv, EndCause::Answered);
    let _ = dialog.bye().await;
    srv.dialogs.remove_dialog(&dialog.id());
}

/// Rings the phones of `extension` with the echo test; returns once one answers or none
/// does (true when answered).
/// `answered`: the user dialled it themselves (from the page), so their phones answer it by
/// themselves, as a desk phone dialling *43 is in the test at once.
pub(crate) async fn test_call(
    srv: Arc<Shared>,
    tenant: Tenant,
    extension: String,
    answered: bool,
) -> Result<(), CallError> {
    let targets = phones(&srv, &tenant, &extension);
    if targets.is_empty() {
        return Err(CallError::Refused("the extension has no registered phone".into()));
    }
    let slot = Slot::take(&srv, tenant.id, &extension)?;
    tokio::spawn(async move {
        let _slot = slot;
        let host = srv.contact.host_with_port.to_string();
        let mut meta = ActiveCall::new(
            String::new(),
            tenant.id,
            Direction::Internal,
            ECHO_EXTENSION.into(),
            extension.clone(),
            None,
        );
        meta.ringing = vec![extension.clone()];
        let plan = Plan {
            meta,
            caller_uri: uri(&format!("sip:{ECHO_EXTENSION}@{host}")),
            stages: vec![],
            credential: None,
            headers: if answered { super::auto_answer_headers(&srv) } else { vec![] },
        };
        // The test call rang already as far as the CRM knows: no ringing event.
        let rung = ring_party(&srv, &plan, targets, None).await;
        if let Some(Rung {
            stage: Stage::Answered { dialog, response, mut states, signal, .. }, socket: sock, ..
        }) = rung
        {
            let answer = sdp::parse(&response.body);
            let pt = answer.as_ref().and_then(|a| a.codecs.first().copied()).unwrap_or(media::rtp::PT_PCMU);
            let call_id = dialog.id().call_id.clone();
            let caller = media::peer::Peer::new(answer.and_then(|a| a.addr), signal);
            let mut meta = plan.meta;
            meta.call_id = call_id.clone();
            meta.extension = Some(extension);
            meta.answered(&srv);
            echo(&sock, caller, pt, &mut states, &call_id).await;
            meta.end(&srv, EndCause::Answered);
            let _ = dialog.bye().await;
            srv.dialogs.remove_dialog(&dialog.id());
        }
    });
    Ok(())
}

/// The prompt, then each packet back to where it came from, until the phone hangs up or the
/// time is up.
async fn echo(
    sock: &tokio::net::UdpSocket,
    mut caller: media::peer::Peer,
    pt: u8,
    states: &mut DialogStateReceiver,
    call_id: &str,
) {
    let deadline = tokio::time::sleep(LIMIT);
    tokio::pin!(deadline);
    let mut prompt = prompt_packets(pt).into_iter();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut buf = vec![0u8; 2048];
    let mut prompting = true;
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            st = states.recv() => match st {
                Some(DialogState::Terminated(id, _)) if id.call_id == call_id => return,
                None => return,
                _ => {}
            },
            _ = tick.tick(), if prompting => match (prompt.next(), caller.target()) {
                (Some(p), Some(to)) => { let _ = sock.send_to(&p, to).await; }
                (Some(_), None) => {}
                (None, _) => prompting = false,
            },
            r = sock.recv_from(&mut buf) => {
                // Only the caller's own packets come back, and only to it: an outsider cannot
                // use the echo to send packets to a third party.
                let Ok((n, from)) = r else { continue };
                if caller.admit(from) && !prompting && media::rtp::Header::parse(&buf[..n]).is_some() {
                    let _ = sock.send_to(&buf[..n], from).await;
                }
            }
        }
    }
}

/// The prompt as RTP packets of 20 ms in `pt` (PCMU or PCMA).
fn prompt_packets(pt: u8) -> Vec<Vec<u8>> {
    let ssrc: u32 = rand::random();
    let samples: Vec<i16> = TONES
        .iter()
        .flat_map(|hz| {
            (0..TONE_MS * 8).map(move |i| {
                let t = i as f32 / 8000.0;
                (f32::sin(2.0 * std::f32::consts::PI * hz * t) * 8000.0) as i16
            })
        })
        .collect();
    samples
        .chunks(160)
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = Vec::with_capacity(172);
            media::rtp::Header {
                marker: i == 0,
                payload_type: pt,
                sequence: i as u16,
                timestamp: (i * 160) as u32,
                ssrc,
            }
            .write(&mut p);
            p.extend(chunk.iter().map(|s| {
                if pt == media::rtp::PT_PCMA {
                    media::g711::linear_to_alaw(*s)
                } else {
                    media::g711::linear_to_ulaw(*s)
                }
            }));
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_prompt_is_three_tones_of_20_ms_packets() {
        let p = super::prompt_packets(0);
        assert_eq!(p.len(), 3 * 400 / 20);
        assert!(p.iter().all(|x| x.len() == 12 + 160));
    }
}
