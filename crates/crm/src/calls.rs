//! Calls as the CRM sees them: click-to-call for a user, commands on calls in progress (an
//! agent commands only their own calls, managers any of the organization's), and call events
//! turned into browser events for the user whose extension is on the call.

use crate::{Audience, Crm, CrmError, Event, OrgId, User};
use telephony::events::{CallCommand, CallEvent, CallEventKind, Direction};
use telephony::{ActiveCall, CallError, Originate, Tenant};

impl Crm {
    fn sip(&self) -> Result<&telephony::SipServer, CrmError> {
        self.telephony.as_deref().ok_or(CrmError::CallRefused("telephony is not running on this node".into()))
    }

    /// Rings the user's phones, then `number` (an extension or an outside number), presenting
    /// `caller_id` (one of the organization's numbers) or the route's default.
    pub async fn click_to_call(&self, user: &User, number: &str, caller_id: Option<&str>) -> Result<String, CrmError> {
        let number: String = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let ok = !number.is_empty()
            && number.len() <= 32
            && number.trim_start_matches('+').chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(CrmError::invalid("number", "err-dial-number"));
        }
        let caller_id = match caller_id.filter(|c| !c.trim().is_empty()) {
            None => None,
            Some(c) => {
                let d = crate::trunks::digits(c);
                if !self.numbers(user.org_id).await?.iter().any(|n| n.number == d) {
                    return Err(CrmError::invalid("caller_id", "err-caller-id"));
                }
                Some(d)
            }
        };
        let org = self.org(user.org_id).await?;
        let o = Originate {
            tenant: Tenant { id: org.id.0, realm: org.sip_domain },
            extension: user.extension.clone(),
            number,
            caller_id,
        };
        self.sip()?.originate(o).await.map_err(refused)
    }

    /// The calls in progress the user may see and command: their own, and those ringing them
    /// (managers: all of the organization's).
    pub fn calls_of(&self, user: &User) -> Vec<ActiveCall> {
        let Ok(sip) = self.sip() else { return vec![] };
        sip.calls(user.org_id.0)
            .into_iter()
            .filter(|c| {
                user.is_manager()
                    || c.extension.as_deref() == Some(user.extension.as_str())
                    || c.ringing.contains(&user.extension)
            })
            .collect()
    }

    pub fn command_call(&self, user: &User, call_id: &str, cmd: CallCommand) -> Result<(), CrmError> {
        if !self.calls_of(user).iter().any(|c| c.call_id == call_id) {
            return Err(CrmError::NotFound);
        }
        self.sip()?.command(user.org_id.0, call_id, cmd).map_err(refused)
    }

    /// A call event: the missed-call list and the call log learn from it, and the browsers of
    /// the users on the call get it (as `call.ringing`, `call.answered`, …; the whole
    /// organization when no extension is known). A ringing call carries the screen pop: the
    /// contacts matching the caller's number, or the organization's URL template filled in.
    pub async fn on_call_event(&self, ev: &CallEvent) -> Result<(), CrmError> {
        if ev.kind == CallEventKind::Ringing {
            self.publish_call_event(ev).await?;
        }
        self.record_call_event(ev).await
    }

    /// What `on_call_event` does besides the screen pop of a ringing call: the missed-call
    /// list, the call log, and the browsers for every other event. The node's event loop runs
    /// this in order, and publishes ringing calls at once beside it (an agent waits for those).
    pub async fn record_call_event(&self, ev: &CallEvent) -> Result<(), CrmError> {
        self.missed_on_call_event(ev).await?;
        self.log_call_event(ev).await?;
        if ev.kind != CallEventKind::Ringing {
            self.publish_call_event(ev).await?;
        }
        Ok(())
    }

    /// Sends a call event to the browsers of the users on the call (a ringing one with its
    /// screen pop).
    pub async fn publish_call_event(&self, ev: &CallEvent) -> Result<(), CrmError> {
        let org = OrgId(ev.tenant);
        let routing = self.routing().await?;
        let mut exts: Vec<String> = ev.extension.iter().cloned().collect();
        if matches!(ev.kind, CallEventKind::Ringing | CallEventKind::Ended { .. }) {
            if let Some(c) =
                self.sip().ok().and_then(|s| s.calls(ev.tenant).into_iter().find(|c| c.call_id == ev.call_id))
            {
                exts.extend(c.ringing);
            }
            if ev.direction == Direction::Internal {
                exts.push(ev.from.clone());
            }
        }
        if !matches!(ev.kind, CallEventKind::Ringing) {
            // Everyone who had the call hears how it goes on (a transfer, its end).
            exts.extend(self.call_extensions(org, &ev.call_id).await?);
        }
        exts.sort();
        exts.dedup();
        let users: Vec<crate::UserId> = exts
            .iter()
            .filter_map(|e| routing.extensions.get(&(ev.tenant, e.clone())))
            .map(|id| crate::UserId(*id))
            .collect();
        let kind = match &ev.kind {
            CallEventKind::Ringing => "ringing",
            CallEventKind::Answered => "answered",
            CallEventKind::Held => "held",
            CallEventKind::Resumed => "resumed",
            CallEventKind::Transferred { .. } => "transferred",
            CallEventKind::ConferenceJoined { .. } => "conference",
            CallEventKind::RecordingStarted { .. } => "recording_started",
            CallEventKind::RecordingStopped { .. } => "recording_stopped",
            CallEventKind::Dtmf { .. } => "dtmf",
            CallEventKind::Ended { .. } => "ended",
        };
        let mut data = serde_json::to_value(ev).unwrap_or_default();
        if ev.kind == CallEventKind::Ringing && ev.direction != Direction::Outbound {
            data["pop"] = self.screen_pop(org, &ev.from).await?;
        }
        if ev.kind == CallEventKind::Answered {
            self.auto_handling(org, ev, &routing).await?;
        }
        if users.is_empty() {
            return self
                .publish(Event { org_id: org, audience: Audience::Organization, kind: format!("call.{kind}"), data })
                .await;
        }
        for u in users {
            let ev =
                Event { org_id: org, audience: Audience::User(u), kind: format!("call.{kind}"), data: data.clone() };
            self.publish(ev).await?;
        }
        Ok(())
    }

    /// What opens on an incoming call from `caller`: the matching contacts (by E.164), the
    /// number to fill in a new contact with, and the organization's URL template filled in.
    pub async fn screen_pop(&self, org: OrgId, caller: &str) -> Result<serde_json::Value, CrmError> {
        let o = self.org(org).await?;
        let (e164, contacts) = self.contacts_for_number(org, &o.default_country, caller).await?;
        let url = (!o.screen_pop_url.is_empty() && e164.is_some())
            .then(|| o.screen_pop_url.replace("{caller}", e164.as_deref().unwrap_or_default()));
        Ok(serde_json::json!({
            "e164": e164,
            "contacts": contacts.iter().map(|c| serde_json::json!({"id": c.id, "name": c.name(), "company": c.company})).collect::<Vec<_>>(),
            "url": url,
        }))
    }

    /// The answering user's handling window opens by itself when they chose so.
    async fn auto_handling(
        &self,
        org: OrgId,
        ev: &CallEvent,
        routing: &crate::sip_cache::Snapshot,
    ) -> Result<(), CrmError> {
        let Some(ext) = &ev.extension else { return Ok(()) };
        let Some(id) = routing.extensions.get(&(ev.tenant, ext.clone())) else { return Ok(()) };
        let user = self.user(org, crate::UserId(*id)).await?;
        if self.preferences(&user).await?.auto_handling {
            let other = if ev.direction == Direction::Inbound || ev.from != *ext { &ev.from } else { &ev.to };
            self.open_handling(&user, &ev.call_id, other).await?;
        }
        Ok(())
    }
}

fn refused(e: CallError) -> CrmError {
    match e {
        CallError::NoSuchCall => CrmError::NotFound,
        CallError::Refused(why) => CrmError::CallRefused(why),
    }
}
