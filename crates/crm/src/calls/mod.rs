//! Calls as the CRM sees them: click-to-call for a user, commands on calls in progress (an
//! agent commands only their own calls, managers any of the organization's), and call events
//! turned into browser events for the user whose extension is on the call (`feed`, `view`).

pub mod feed;
pub mod handling;
pub mod log;
pub mod phonebook;
pub mod recovery;
pub(crate) mod spool;
pub mod supervision;
pub mod view;

use crate::{Crm, CrmError, OrgId, User};
use telephony::events::CallCommand;
use telephony::{ActiveCall, CallError, Originate, Tenant};
use view::{CallView, PopContact, ScreenPop};

impl Crm {
    pub(crate) fn sip(&self) -> Result<&telephony::SipServer, CrmError> {
        self.telephony.get().map(|s| &**s).ok_or(CrmError::CallRefused("telephony is not running on this node".into()))
    }

    /// What this node's SIP server holds now (calls, dialogs, transactions, relays, RTP ports),
    /// when one is attached.
    pub fn telephony_live(&self) -> Option<telephony::Live> {
        self.telephony.get().map(|s| s.live())
    }

    /// Each SIP dialog and running transaction this node holds, one line each (empty without
    /// telephony).
    pub fn telephony_live_detail(&self) -> Vec<String> {
        self.telephony.get().map(|s| s.live_detail()).unwrap_or_default()
    }

    /// Where this node's SIP server listens (what phones and carriers are pointed at).
    pub fn sip_address(&self) -> Option<std::net::SocketAddr> {
        self.telephony.get().map(|s| s.local_addr())
    }

    /// Rings the user's phones, then `number` (an extension or an outside number), presenting
    /// `caller_id` (one of the organization's numbers) or the route's default.
    pub async fn click_to_call(&self, user: &User, number: &str, caller_id: Option<&str>) -> Result<String, CrmError> {
        self.click_to_call_as(user, number, caller_id, None).await
    }

    /// `click_to_call` giving the call the id `call_id` (from `telephony::new_call_id`), for
    /// callers that record it before anything rings.
    pub(crate) async fn click_to_call_as(
        &self,
        user: &User,
        number: &str,
        caller_id: Option<&str>,
        call_id: Option<String>,
    ) -> Result<String, CrmError> {
        let number: String = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if number == telephony::ECHO_EXTENSION {
            // The echo test, dialled from the page as from a desk phone: it rings the user's own
            // phones (an echo call has no call of the desk to return).
            self.echo_test(user, true).await?;
            return Ok(String::new());
        }
        let ok = !number.is_empty()
            && number.len() <= 32
            && number.trim_start_matches('+').chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(CrmError::invalid("number", "err-dial-number"));
        }
        let (allowed, own_list) = self.caller_id_choice(user).await?;
        let caller_id = match caller_id.filter(|c| !c.trim().is_empty()) {
            // The route's default, unless the user may present only some numbers: their first.
            None if !own_list => None,
            None => allowed.into_iter().next(),
            Some(c) => {
                let d = crate::sip::trunks::digits(c);
                if !allowed.contains(&d) {
                    return Err(CrmError::invalid("caller_id", "err-caller-id"));
                }
                Some(d)
            }
        };
        let org = self.org(user.org_id).await?;
        let sip = self.sip()?;
        // An outside number the dial rules refuse is said so plainly, before anything rings.
        let r = self.routing().await?;
        if !r.extensions.contains_key(&(org.id.0, number.clone())) {
            let rules = r.rules.get(&org.id.0).map(Vec::as_slice).unwrap_or(&[]);
            if !crate::sip::trunks::dial_allowed(rules, &number) {
                return Err(CrmError::invalid("number", "err-dial-refused"));
            }
        }
        let o = Originate {
            tenant: Tenant { id: org.id.0, realm: org.sip_domain },
            extension: user.extension.to_string(),
            number,
            caller_id,
            call_id,
            auto_answer: true,
            ring: None,
            queue: None,
        };
        sip.originate(o).await.map_err(refused)
    }

    /// Rings the user's own phones with the echo test (a known prompt, then their own voice).
    pub async fn test_call(&self, user: &User) -> Result<(), CrmError> {
        self.echo_test(user, false).await
    }

    /// The echo test; `dialled`: the user dialled *43 themselves, their phones answer it.
    async fn echo_test(&self, user: &User, dialled: bool) -> Result<(), CrmError> {
        let org = self.org(user.org_id).await?;
        let tenant = Tenant { id: org.id.0, realm: org.sip_domain };
        self.sip()?.test_call(tenant, user.extension.as_str(), dialled).await.map_err(refused)
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
                    || c.ringing.iter().any(|e| user.extension == *e)
            })
            .collect()
    }

    pub fn command_call(&self, user: &User, call_id: &str, cmd: CallCommand) -> Result<(), CrmError> {
        if !self.calls_of(user).iter().any(|c| c.call_id == call_id) {
            return Err(CrmError::NotFound);
        }
        self.sip()?.command(user.org_id.0, call_id, cmd).map_err(refused)
    }

    /// What opens on an incoming call from `caller`: the matching contacts (by E.164), the
    /// number to fill in a new contact with, and the organization's URL template filled in.
    pub async fn screen_pop(&self, org: OrgId, caller: &str) -> Result<ScreenPop, CrmError> {
        let o = self.org(org).await?;
        let (e164, contacts) = self.contacts_for_number(org, &o.default_country, caller).await?;
        let url = (!o.screen_pop_url.is_empty() && e164.is_some())
            .then(|| o.screen_pop_url.replace("{caller}", e164.as_deref().unwrap_or_default()));
        let contacts =
            contacts.iter().map(|c| PopContact { id: c.id, name: c.name(), company: c.company.clone() }).collect();
        Ok(ScreenPop { e164, contacts, url })
    }

    /// The user's own calls in progress as their panel and call bar show them (a page loaded
    /// mid-call); a manager's colleagues' calls are on the wallboard, not in their call bar.
    /// `country` is the organization's (numbers are shown as its people read them).
    pub fn call_views(&self, user: &User, country: &str) -> Vec<CallView> {
        let me = user.extension.as_str();
        self.calls_of(user)
            .iter()
            .filter(|c| {
                c.extension.as_deref() == Some(me)
                    || c.ringing.iter().any(|e| e == me)
                    || (c.direction == telephony::events::Direction::Internal && c.from == me)
            })
            .map(|c| CallView::of(c, None, me).shown_in(country))
            .collect()
    }
}

fn refused(e: CallError) -> CrmError {
    match e {
        CallError::NoSuchCall => CrmError::NotFound,
        CallError::Refused(why) => CrmError::CallRefused(why),
        e @ CallError::NoPhone => CrmError::CallRefused(e.to_string().trim_start_matches("refused: ").into()),
    }
}
