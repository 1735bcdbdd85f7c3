//! Calls as the CRM sees them: click-to-call for a user, commands on calls in progress (an
//! agent commands only their own calls, managers any of the organization's), and call events
//! turned into browser events for the user whose extension is on the call.

use crate::{Audience, Crm, CrmError, Event, OrgId, User};
use telephony::events::{CallCommand, CallEvent, CallEventKind};
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

    /// A call event: the missed-call list learns from it, and the browsers get it: the user of the extension on the call gets it (as
    /// `call.ringing`, `call.answered`, …), or the whole organization when no extension is known.
    pub async fn on_call_event(&self, ev: &CallEvent) -> Result<(), CrmError> {
        self.missed_on_call_event(ev).await?;
        let org = OrgId(ev.tenant);
        let routing = self.routing().await?;
        let audience = match ev.extension.as_ref().and_then(|ext| routing.extensions.get(&(ev.tenant, ext.clone()))) {
            Some(id) => Audience::User(crate::UserId(*id)),
            None => Audience::Organization,
        };
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
        let data = serde_json::to_value(ev).unwrap_or_default();
        self.publish(Event { org_id: org, audience, kind: format!("call.{kind}"), data }).await
    }
}

fn refused(e: CallError) -> CrmError {
    match e {
        CallError::NoSuchCall => CrmError::NotFound,
        CallError::Refused(why) => CrmError::CallRefused(why),
    }
}
