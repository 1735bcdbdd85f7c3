//! Progressive dialing on the telephony: an agent starts dialing, and while they hold no number
//! the next number of the lists set to progressive is taken for them and called — their phone
//! first (answering by itself where it can), then the callee through the dial rules, ringing as
//! long as the server's ring time (at least 15 s). The agent gives the outcome; that hands them
//! the next call at once. A session checks again every few seconds (a number coming due, a
//! list opened), and ends when the agent stops, has no phone, or loses the dialer section.
//! Sessions live in this node (the agent's browser talks to one node); numbers are claimed in
//! the database, so two nodes never call one number. Lists set to predictive are dialled for
//! the dialing agents by their organization's pacer (`predictive.rs`).

use super::ListNumber;
use super::access::Section;
use super::dialer::DialMode;
use crate::{Crm, CrmError, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// How often a session looks for a number when it found none.
const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The agents dialing now on this node, each with the bell that wakes their session; and each
/// organization's predictive pacer (`predictive.rs`).
#[derive(Default)]
pub struct Sessions {
    agents: Mutex<HashMap<i64, (Arc<Notify>, User)>>,
    pub(super) pacers: Mutex<HashMap<i64, super::predictive::Pacer>>,
}

impl Sessions {
    fn bell(&self, user: i64) -> Option<Arc<Notify>> {
        self.agents.lock().expect("sessions lock").get(&user).map(|(b, _)| b.clone())
    }

    /// The agents of `org` dialing now.
    pub(super) fn dialing_in(&self, org: i64) -> Vec<User> {
        let agents = self.agents.lock().expect("sessions lock");
        agents.values().filter(|(_, u)| u.org_id.0 == org).map(|(_, u)| u.clone()).collect()
    }
}

impl Crm {
    /// The agent starts progressive dialing (the dialer section needed); their first call is
    /// placed at once when a number is there.
    pub async fn start_dialing(&self, user: &User) -> Result<(), CrmError> {
        self.require_section(user, Section::Dialer).await?;
        let bell = {
            let mut agents = self.dialing.agents.lock().expect("sessions lock");
            if agents.contains_key(&user.id.0) {
                return Ok(());
            }
            let bell = Arc::new(Notify::new());
            agents.insert(user.id.0, (bell.clone(), user.clone()));
            bell
        };
        self.pace_predictive(user.org_id);
        let crm = self.clone();
        let user = user.clone();
        tokio::spawn(async move {
            loop {
                if crm.dialing.bell(user.id.0).is_none() {
                    break;
                }
                match crm.dial_next(&user).await {
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(user = user.id.0, error = %e, "progressive dialing stopped");
                        crm.stop_dialing(&user);
                        break;
                    }
                }
                let _ = tokio::time::timeout(CHECK_EVERY, bell.notified()).await;
            }
        });
        Ok(())
    }

    /// The agent stops dialing (a call in progress goes on).
    pub fn stop_dialing(&self, user: &User) {
        if let Some((bell, _)) = self.dialing.agents.lock().expect("sessions lock").remove(&user.id.0) {
            bell.notify_one();
        }
    }

    /// Whether the agent is dialing now (on this node).
    pub fn is_dialing(&self, user: &User) -> bool {
        self.dialing.bell(user.id.0).is_some()
    }

    /// Wakes the agent's session (they gave an outcome: the next call).
    pub(crate) fn ring_dialing(&self, user: i64) {
        if let Some(bell) = self.dialing.bell(user) {
            bell.notify_one();
        }
    }

    /// When the agent holds no number: the next one of the progressive lists, called.
    async fn dial_next(&self, user: &User) -> Result<Option<ListNumber>, CrmError> {
        if !self.held_numbers(user).await?.is_empty() {
            return Ok(None);
        }
        self.require_section(user, Section::Dialer).await?;
        let org = user.org_id;
        let lists: Vec<i64> = self
            .call_lists(org)
            .await?
            .into_iter()
            .filter(|l| l.active && l.dial_mode == DialMode::Progressive)
            .map(|l| l.id)
            .collect();
        if lists.is_empty() {
            return Ok(None);
        }
        let cats = self.agent_categories(org, user.id).await?;
        let Some(n) = self.pick_for(org, user.id.0, &cats, Some(&lists), self.now()).await? else {
            return Ok(None);
        };
        // E.164 digits, as carriers give and take them (the dial rules judge them so).
        match self.click_to_call(user, &n.number, None).await {
            Ok(_) => Ok(Some(n)),
            Err(e) => {
                // Not called: the number goes back as it was.
                self.give_back(org, n.id, self.now()).await?;
                Err(e)
            }
        }
    }
}
