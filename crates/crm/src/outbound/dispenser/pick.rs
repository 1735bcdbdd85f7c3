//! Picking numbers for many wants at once: per phase (an agent's own due callbacks, numbers
//! due again, new numbers) one read finds, in order, as many numbers as a group of alike
//! wants needs, and one UPDATE takes them all, each only if nobody holds it.

use super::super::dialer::DIALER;
use super::super::lease::Rules;
use crate::outbound::ListNumber;
use crate::{Crm, CrmError, OrgId};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use store::entities::list_number;
use store::sea_orm::sea_query::{CaseStatement, Expr, LockBehavior, LockType};
use store::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

/// Rounds of one phase for asks whose number was taken by another process in between.
const ROUNDS: usize = 8;

/// Who wants a number, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Want {
    /// An agent's id, or `DIALER`.
    pub holder: i64,
    /// Only these categories (none: any).
    pub cats: Vec<i64>,
    /// Only these lists (none: any).
    pub lists: Option<Vec<i64>>,
}

/// What makes wants alike (read together): their categories, their lists, whether the dialer.
type Alike<'a> = (&'a [i64], Option<&'a Vec<i64>>, bool);

/// The phases of a pick, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// An agent's own callbacks (and retries) that are due.
    Mine,
    /// Numbers due again, longest waiting first.
    Due,
    /// Numbers never called, in the order they were added.
    New,
}

impl Crm {
    /// A number for each of `wants` at `now`: phase after phase, each want still waiting is
    /// given the next number of its phase; a number another process took in between, or whose
    /// calls its profile has used up, is asked for again.
    pub(super) async fn pick_many(
        &self,
        org: OrgId,
        rules: &Rules,
        wants: &[Want],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<ListNumber>>, CrmError> {
        let allowed = rules.allowed(now);
        let mut got: Vec<Option<ListNumber>> = vec![None; wants.len()];
        // Nothing due again (early in a campaign, or all outcomes final): only new numbers.
        // One cheap probe of the open numbers' index instead of two reads that find nothing.
        let any_due = list_number::Entity::find()
            .select_only()
            .column(list_number::Column::Id)
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::Done.eq(false))
            .filter(list_number::Column::LeasedBy.is_null())
            .filter(list_number::Column::NextCallAt.lte(now))
            .into_tuple::<i64>()
            .one(self.db())
            .await?
            .is_some();
        let phases: &[Phase] = if any_due { &[Phase::Mine, Phase::Due, Phase::New] } else { &[Phase::New] };
        for &phase in phases {
            // The wants of this phase still waiting, and not yet found to have nothing in it.
            let mut open: Vec<usize> =
                (0..wants.len()).filter(|&i| !(phase == Phase::Mine && wants[i].holder == DIALER)).collect();
            for _ in 0..ROUNDS {
                open.retain(|&i| got[i].is_none());
                if open.is_empty() {
                    break;
                }
                let (plan, emptied) = self.plan(org, &allowed, phase, wants, &open, now).await?;
                open.retain(|i| !emptied.contains(i));
                if plan.is_empty() {
                    continue;
                }
                for (i, n) in self.take(wants, plan, now).await? {
                    match rules.of_list.get(&n.list_id) {
                        Some(p) => match self.attempts_used_until(org, p, &n.number, now).await? {
                            // Its calls are used up: back, waiting until one falls out of the window.
                            Some(until) => self.give_back(org, n.id, until).await?,
                            None => got[i] = Some(n),
                        },
                        None => got[i] = Some(n),
                    }
                }
            }
        }
        Ok(got)
    }

    /// The number each of the `open` wants is to take in `phase` (want, number), read in order
    /// for groups of wants alike; and the wants found to have nothing left in it.
    async fn plan(
        &self,
        org: OrgId,
        allowed: &Condition,
        phase: Phase,
        wants: &[Want],
        open: &[usize],
        now: DateTime<Utc>,
    ) -> Result<(Vec<(usize, ListNumber)>, Vec<usize>), CrmError> {
        // Wants alike read together: in the Mine phase every agent's own rows in one read.
        let mut groups: Vec<(Option<Alike>, Vec<usize>)> = vec![];
        for &i in open {
            let w = &wants[i];
            let key = (phase != Phase::Mine).then_some((w.cats.as_slice(), w.lists.as_ref(), w.holder == DIALER));
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(i),
                None => groups.push((key, vec![i])),
            }
        }
        let mut plan = vec![];
        let mut emptied = vec![];
        for (key, members) in groups {
            let holders: Vec<i64> = members.iter().map(|&i| wants[i].holder).collect();
            let mut q = self.open_numbers(org, now).filter(allowed.clone());
            let limit = match key {
                None => {
                    q = q.filter(list_number::Column::AgentId.is_in(holders.clone()));
                    members.len() * 2
                }
                Some((cats, lists, dialer)) => {
                    if let Some(l) = lists {
                        q = q.filter(list_number::Column::ListId.is_in(l.clone()));
                    }
                    if !cats.is_empty() {
                        q = q.filter(list_number::Column::CategoryId.is_in(cats.to_vec()));
                    }
                    let mut whose = Condition::any()
                        .add(list_number::Column::AgentId.is_null())
                        .add(list_number::Column::OwnedUntil.lte(now));
                    if !dialer {
                        whose = whose.add(list_number::Column::AgentId.is_in(holders.clone()));
                    }
                    q = q.filter(whose);
                    // Rows owned by one of the askers may come first: those left waiting then
                    // read again (the rows are full).
                    members.len()
                }
            };
            q = match phase {
                Phase::Mine | Phase::Due => q.filter(list_number::Column::NextCallAt.lte(now)),
                Phase::New => q.filter(list_number::Column::NextCallAt.is_null()),
            };
            // In the order of the open numbers' index (organization, done, holder, next call,
            // id): PostgreSQL does not count `IS NULL` as fixing a column, and ordered by `id`
            // alone it sorted every open number for each read (128 ms over 100,000).
            q = q.order_by_asc(list_number::Column::LeasedBy).order_by_asc(list_number::Column::NextCallAt);
            // Whole rows (they are what the askers get): the fewer rows a statement returns
            // the better, as SQLite's driver passes them one by one between threads.
            let rows: Vec<ListNumber> =
                q.order_by_asc(list_number::Column::Id).limit(limit as u64).all(self.db()).await?;
            let full = rows.len() == limit;
            let mut waiting: Vec<usize> = members.clone();
            for n in rows {
                let owner = n.agent_id.filter(|_| n.owned_until.is_none_or(|t| t > now));
                let cat = n.category_id;
                let who = waiting.iter().position(|&i| {
                    let w = &wants[i];
                    match owner {
                        Some(a) => w.holder == a && (w.cats.is_empty() || cat.is_some_and(|c| w.cats.contains(&c))),
                        None => phase != Phase::Mine,
                    }
                });
                if let Some(p) = who {
                    plan.push((waiting.remove(p), n));
                }
                if waiting.is_empty() {
                    break;
                }
            }
            // Fewer rows than read: nothing more of this phase for those left waiting.
            if !full {
                emptied.extend(waiting);
            }
        }
        Ok((plan, emptied))
    }

    /// Takes the planned numbers for their wants' holders, each only if nobody holds it: the
    /// numbers taken, with their wants. One UPDATE (on PostgreSQL of the rows no other
    /// transaction has locked: `FOR UPDATE SKIP LOCKED`), which returns nothing when it took
    /// them all, as it nearly always does; else who holds each is read back.
    async fn take(
        &self,
        wants: &[Want],
        plan: Vec<(usize, ListNumber)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(usize, ListNumber)>, CrmError> {
        let ids: Vec<i64> = plan.iter().map(|(_, n)| n.id).collect();
        let holder_of = |i: usize| wants[i].holder;
        // One holder (the dialer): a value; agents: one branch per number.
        let first = holder_of(plan[0].0);
        let holder: Expr = if plan.iter().all(|(i, _)| holder_of(*i) == first) {
            Expr::value(first)
        } else {
            plan.iter()
                .fold(CaseStatement::new(), |c, (i, n)| {
                    c.case(list_number::Column::Id.eq(n.id), Expr::value(holder_of(*i)))
                })
                .into()
        };
        let mut update = list_number::Entity::update_many()
            .col_expr(list_number::Column::LeasedBy, holder)
            .col_expr(list_number::Column::LeasedAt, Expr::value(now))
            .filter(list_number::Column::LeasedBy.is_null());
        if self.store.is_postgres() {
            let mut free = list_number::Entity::find()
                .select_only()
                .column(list_number::Column::Id)
                .filter(list_number::Column::Id.is_in(ids.clone()))
                .filter(list_number::Column::LeasedBy.is_null())
                .into_query();
            free.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
            update = update.filter(list_number::Column::Id.in_subquery(free));
        } else {
            // The ids are the organization's (found by `plan`): by id alone, as `org_id = ?`
            // beside a list of ids makes SQLite (which has no statistics) walk the
            // organization's index.
            update = update.filter(list_number::Column::Id.is_in(ids.clone()));
        }
        let gate = self.list_gate().await;
        let done = update.exec(self.db()).await?;
        drop(gate);
        let mut taken = plan;
        if done.rows_affected < taken.len() as u64 {
            // Another process took some in between: keep those now held by their asker.
            let holders: HashMap<i64, Option<i64>> = list_number::Entity::find()
                .select_only()
                .column(list_number::Column::Id)
                .column(list_number::Column::LeasedBy)
                .filter(list_number::Column::Id.is_in(ids))
                .into_tuple::<(i64, Option<i64>)>()
                .all(self.db())
                .await?
                .into_iter()
                .collect();
            taken.retain(|(i, n)| holders.get(&n.id).copied().flatten() == Some(holder_of(*i)));
        }
        for (i, n) in &mut taken {
            n.leased_by = Some(holder_of(*i));
            n.leased_at = Some(now);
        }
        Ok(taken)
    }
}
