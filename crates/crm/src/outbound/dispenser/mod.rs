//! The call lists' desk: each organization's "next number" asks, outcomes and the dialer's
//! takes queue to one task of this process, which serves everything waiting at once together
//! — outcomes first (one transaction for all of them), then the asks (one read per phase and
//! group of alike askers, one UPDATE that takes every number found). A batch costs a few
//! statements whatever the number of agents, so 200 agents asking at once wait for a few
//! batches, not for 200 turns of the database's write lock and a dozen reads each.
//!
//! Other processes over the same database are kept off by the UPDATE itself (a number is taken
//! only if nobody holds it; on PostgreSQL only rows no other transaction has locked): a number
//! another process took is asked for again.

mod outcome;
mod pick;

pub(crate) use pick::Want;

use super::ListNumber;
use super::access::{DEFAULT_SECTIONS, Section};
use crate::{Crm, CrmError, FieldError, OrgId, User};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use store::StoreError;
use store::entities::{list_agent_category, list_agent_section, list_number};
use store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::{mpsc, oneshot};

/// Most jobs served in one batch.
const BATCH: usize = 256;
/// A task with nothing to serve for this long ends (the next job starts another).
const IDLE: std::time::Duration = std::time::Duration::from_secs(10);

/// An outcome an agent gives for a number they hold.
#[derive(Debug, Clone)]
pub(crate) struct Given {
    pub user: User,
    pub number_id: i64,
    pub outcome_id: i64,
    pub callback_at: Option<DateTime<Utc>>,
    pub note: String,
    pub call_id: Option<String>,
}

/// Where the numbers taken for wants go.
type Picked = oneshot::Sender<Result<Vec<Option<ListNumber>>, CrmError>>;

/// The dialer's takes of one moment.
type Takes = Vec<(Vec<Want>, Picked)>;

/// One job for the desk.
enum Job {
    /// An agent's "next number".
    Next { user: User, reply: oneshot::Sender<Result<Option<ListNumber>, CrmError>> },
    /// Numbers for wants already checked (the dialer's, a progressive agent's), at `now`.
    Take { wants: Vec<Want>, now: DateTime<Utc>, reply: Picked },
    /// An outcome.
    Outcome { given: Given, reply: oneshot::Sender<Result<ListNumber, CrmError>> },
}

/// Each organization's queue of jobs, while its task runs.
#[derive(Default)]
pub struct Dispensers(Mutex<HashMap<i64, mpsc::UnboundedSender<Job>>>);

/// What an organization's task remembers between batches.
#[derive(Default)]
struct Desk {
    /// Numbers held over the end of a day went back to the pool; none can be until then.
    released_until: Option<DateTime<Utc>>,
}

/// The error of a whole batch, for each of its jobs (the first gets the error itself).
struct Failed {
    first: Option<CrmError>,
    text: String,
}

impl Failed {
    fn new(e: CrmError) -> Failed {
        tracing::warn!(error = %e, "the call lists' desk could not serve a batch");
        Failed { text: e.to_string(), first: Some(e) }
    }

    fn next(&mut self) -> CrmError {
        self.first.take().unwrap_or_else(|| CrmError::Store(StoreError::Io(self.text.clone())))
    }
}

/// Sends each job of a batch its result, or the batch's error to every one.
fn answer<T>(replies: Vec<oneshot::Sender<Result<T, CrmError>>>, results: Result<Vec<Result<T, CrmError>>, CrmError>) {
    match results {
        Ok(results) => {
            for (r, reply) in results.into_iter().zip(replies) {
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            let mut failed = Failed::new(e);
            for reply in replies {
                let _ = reply.send(Err(failed.next()));
            }
        }
    }
}

fn ended() -> CrmError {
    CrmError::Store(StoreError::Io("the call lists' desk stopped".into()))
}

impl Crm {
    /// Hands `user` the next number to call, or None when nothing is left for them (see
    /// `lease.rs` for the order and the rules).
    pub(crate) async fn desk_next(&self, user: &User) -> Result<Option<ListNumber>, CrmError> {
        let (reply, answer) = oneshot::channel();
        self.to_desk(user.org_id, Job::Next { user: user.clone(), reply });
        answer.await.map_err(|_| ended())?
    }

    /// A number for each of `wants` at `now` (None where nothing is left for it).
    pub(crate) async fn dispense(
        &self,
        org: OrgId,
        wants: Vec<Want>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<ListNumber>>, CrmError> {
        let (reply, answer) = oneshot::channel();
        self.to_desk(org, Job::Take { wants, now, reply });
        answer.await.map_err(|_| ended())?
    }

    /// Writes an outcome (see `give_outcome`).
    pub(crate) async fn desk_outcome(&self, given: Given) -> Result<ListNumber, CrmError> {
        let (reply, answer) = oneshot::channel();
        self.to_desk(given.user.org_id, Job::Outcome { given, reply });
        answer.await.map_err(|_| ended())?
    }

    fn to_desk(&self, org: OrgId, mut job: Job) {
        loop {
            let queue = {
                let mut queues = self.dispensers.0.lock().expect("dispensers lock");
                queues
                    .entry(org.0)
                    .or_insert_with(|| {
                        let (tx, rx) = mpsc::unbounded_channel();
                        tokio::spawn(self.clone().serve(org, rx));
                        tx
                    })
                    .clone()
            };
            match queue.send(job) {
                Ok(()) => return,
                // Its task ended just now: start another.
                Err(mpsc::error::SendError(back)) => {
                    let mut queues = self.dispensers.0.lock().expect("dispensers lock");
                    if queues.get(&org.0).is_some_and(|q| q.same_channel(&queue)) {
                        queues.remove(&org.0);
                    }
                    job = back;
                }
            }
        }
    }

    /// The organization's task: serves everything waiting at once, until idle.
    async fn serve(self, org: OrgId, mut rx: mpsc::UnboundedReceiver<Job>) {
        let mut state = Desk::default();
        loop {
            let first = match tokio::time::timeout(IDLE, rx.recv()).await {
                Ok(Some(j)) => j,
                Ok(None) => return,
                Err(_) => {
                    // Idle: leave, then serve what came in meanwhile (new jobs start a new task).
                    self.dispensers.0.lock().expect("dispensers lock").remove(&org.0);
                    rx.close();
                    let mut rest = vec![];
                    while let Ok(j) = rx.try_recv() {
                        rest.push(j);
                    }
                    if !rest.is_empty() {
                        self.serve_batch(org, &mut state, rest).await;
                    }
                    return;
                }
            };
            // Whoever is ready to ask runs first (a yield puts this task behind them): agents
            // woken at the same moment come in one batch rather than one, then the rest.
            // Two yields in a row bringing nothing end the gathering (asks on the runtime's
            // other thread may come a moment later).
            let mut batch = vec![first];
            let mut quiet = 0;
            while quiet < 2 && batch.len() < BATCH {
                tokio::task::yield_now().await;
                let before = batch.len();
                while batch.len() < BATCH {
                    let Ok(j) = rx.try_recv() else { break };
                    batch.push(j);
                }
                quiet = if batch.len() == before { quiet + 1 } else { 0 };
            }
            self.serve_batch(org, &mut state, batch).await;
        }
    }

    /// Serves `jobs` together: outcomes first, then asks.
    async fn serve_batch(&self, org: OrgId, state: &mut Desk, jobs: Vec<Job>) {
        let (mut outcomes, mut nexts, mut takes) = (vec![], vec![], vec![]);
        for j in jobs {
            match j {
                Job::Outcome { given, reply } => outcomes.push((given, reply)),
                Job::Next { user, reply } => nexts.push((user, reply)),
                Job::Take { wants, now, reply } => takes.push((wants, now, reply)),
            }
        }
        if !outcomes.is_empty() {
            let (givens, replies): (Vec<Given>, Vec<_>) = outcomes.into_iter().unzip();
            answer(replies, self.write_outcomes(org, &givens).await);
        }
        if !nexts.is_empty() {
            let now = self.now();
            let (users, replies): (Vec<User>, Vec<_>) = nexts.into_iter().unzip();
            answer(replies, self.serve_nexts(org, state, &users, now).await);
        }
        let mut by_now: Vec<(DateTime<Utc>, Takes)> = vec![];
        for (wants, now, reply) in takes {
            match by_now.iter_mut().find(|(t, _)| *t == now) {
                Some((_, v)) => v.push((wants, reply)),
                None => by_now.push((now, vec![(wants, reply)])),
            }
        }
        for (now, asks) in by_now {
            let wants: Vec<Want> = asks.iter().flat_map(|(w, _)| w.iter().cloned()).collect();
            let picked = match self.rules(org).await {
                Ok(rules) => self.pick_many(org, &rules, &wants, now).await,
                Err(e) => Err(e),
            };
            match picked {
                Ok(got) => {
                    let mut got = got.into_iter();
                    for (w, reply) in asks {
                        let _ = reply.send(Ok(got.by_ref().take(w.len()).collect()));
                    }
                }
                Err(e) => {
                    let mut failed = Failed::new(e);
                    for (_, reply) in asks {
                        let _ = reply.send(Err(failed.next()));
                    }
                }
            }
        }
    }

    /// "Next number" for each of `users` at once: each may open the dialer and holds fewer
    /// numbers than the settings allow, or gets its error; the others get a number in their
    /// categories (or None).
    async fn serve_nexts(
        &self,
        org: OrgId,
        state: &mut Desk,
        users: &[User],
        now: DateTime<Utc>,
    ) -> Result<Vec<Result<Option<ListNumber>, CrmError>>, CrmError> {
        // The reads are independent: at once, each on a connection of the pool.
        let ids: Vec<i64> = users.iter().map(|u| u.id.0).collect();
        let held = async {
            let rows = list_number::Entity::find()
                .select_only()
                .column(list_number::Column::LeasedBy)
                .column_as(list_number::Column::Id.count(), "n")
                .filter(list_number::Column::OrgId.eq(org.0))
                .filter(list_number::Column::LeasedBy.is_in(ids.clone()))
                .group_by(list_number::Column::LeasedBy)
                .into_tuple::<(i64, i64)>()
                .all(self.db())
                .await?;
            Ok::<HashMap<i64, i64>, CrmError>(rows.into_iter().collect())
        };
        let cats = async {
            let mut cats: HashMap<i64, Vec<i64>> = HashMap::new();
            for r in list_agent_category::Entity::find()
                .filter(list_agent_category::Column::OrgId.eq(org.0))
                .filter(list_agent_category::Column::UserId.is_in(ids.clone()))
                .all(self.db())
                .await?
            {
                cats.entry(r.user_id).or_default().push(r.category_id);
            }
            Ok::<_, CrmError>(cats)
        };
        let (settings, may, held, cats, rules) =
            tokio::try_join!(self.list_settings(org), self.may_dial(org, users), held, cats, self.rules(org))?;
        // Once per day of the organization: until its end no number can be one of a past day.
        if settings.release_at_day_end && state.released_until.is_none_or(|end| now >= end) {
            state.released_until = Some(self.release_numbers_of_past_days(org).await?);
        }
        let mut out: Vec<Result<Option<ListNumber>, CrmError>> = Vec::with_capacity(users.len());
        let mut wants = vec![];
        let mut asking = vec![];
        // Two asks of one agent in one batch count against their limit together.
        let mut asked: HashMap<i64, i64> = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            let n = asked.entry(u.id.0).or_insert(0);
            *n += 1;
            if !may[i] {
                out.push(Err(CrmError::Forbidden));
            } else if held.get(&u.id.0).copied().unwrap_or(0) + *n > i64::from(settings.max_held.max(1)) {
                out.push(Err(CrmError::Conflict(FieldError { field: "number", code: "err-lease-limit" })));
            } else {
                out.push(Ok(None));
                asking.push(i);
                wants.push(Want { holder: u.id.0, cats: cats.get(&u.id.0).cloned().unwrap_or_default(), lists: None });
            }
        }
        for (i, got) in asking.into_iter().zip(self.pick_many(org, &rules, &wants, now).await?) {
            out[i] = Ok(got);
        }
        Ok(out)
    }

    /// Whether each of `users` may open the dialer (managers always; an agent as their
    /// sections say, or by default).
    async fn may_dial(&self, org: OrgId, users: &[User]) -> Result<Vec<bool>, CrmError> {
        let agents: Vec<i64> = users.iter().filter(|u| !u.is_manager()).map(|u| u.id.0).collect();
        let sections: HashMap<i64, String> = if agents.is_empty() {
            HashMap::new()
        } else {
            list_agent_section::Entity::find()
                .filter(list_agent_section::Column::OrgId.eq(org.0))
                .filter(list_agent_section::Column::UserId.is_in(agents))
                .all(self.db())
                .await?
                .into_iter()
                .map(|r| (r.user_id, r.sections))
                .collect()
        };
        Ok(users
            .iter()
            .map(|u| {
                u.is_manager()
                    || sections.get(&u.id.0).map_or(DEFAULT_SECTIONS.contains(&Section::Dialer), |s| {
                        s.split(',').any(|x| x == Section::Dialer.as_str())
                    })
            })
            .collect())
    }
}
