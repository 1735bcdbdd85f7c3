//! Whom a queue offers a waiting caller to: the strategies, over the queue's free members, and
//! the explanation of each choice (what a manager reads under "why did agent X get this call").

use serde::Serialize;
pub use store::entities::queue::Strategy;

/// A free member of the queue, as the strategies weigh them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub user: i64,
    pub name: String,
    /// 0 is offered first; a higher penalty only when no lower one is free.
    pub penalty: i32,
    /// The place in the members' order.
    pub position: i32,
    /// Seconds since the agent's last call ended (or since they became available).
    pub idle_secs: i64,
    /// Calls of this queue the agent answered today.
    pub calls_today: u32,
}

/// A choice and why it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub users: Vec<i64>,
    pub strategy: Strategy,
    /// The free members considered (all of them, with what the strategy weighed).
    pub candidates: Vec<Candidate>,
    /// The lowest penalty among them: only members of this penalty were eligible (except for
    /// weighted random, which weighs every free member).
    pub penalty: i32,
}

/// Picks among `free` (not empty) by `strategy`. `last_position` is the round-robin memory (the
/// place of the member offered last); `roll` is a number in [0, 1) for weighted random.
pub fn pick(strategy: Strategy, free: &[Candidate], last_position: Option<i32>, roll: f64) -> Choice {
    let penalty = free.iter().map(|c| c.penalty).min().unwrap_or(0);
    let mut tier: Vec<&Candidate> = free.iter().filter(|c| c.penalty == penalty).collect();
    tier.sort_by_key(|c| (c.position, c.user));
    let one = |c: Option<&&Candidate>| c.map(|c| vec![c.user]).unwrap_or_default();
    let users = match strategy {
        Strategy::RingAll => tier.iter().map(|c| c.user).collect(),
        Strategy::LongestIdle => one(tier.iter().max_by_key(|c| (c.idle_secs, -c.position))),
        Strategy::FewestCalls => one(tier.iter().min_by_key(|c| (c.calls_today, -c.idle_secs, c.position))),
        Strategy::InOrder => one(tier.first()),
        Strategy::RoundRobin => {
            let after = last_position.unwrap_or(i32::MIN);
            one(tier.iter().find(|c| c.position > after).or(tier.first()))
        }
        Strategy::WeightedRandom => {
            let weight = |c: &Candidate| 1.0 / f64::from(1 + c.penalty.max(0));
            let total: f64 = free.iter().map(weight).sum();
            let mut at = roll.clamp(0.0, 0.999_999) * total;
            let mut all: Vec<&Candidate> = free.iter().collect();
            all.sort_by_key(|c| (c.position, c.user));
            let chosen = all.iter().find(|c| {
                at -= weight(c);
                at < 0.0
            });
            one(chosen.or(all.last()))
        }
    };
    Choice { users, strategy, candidates: free.to_vec(), penalty }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(user: i64, penalty: i32, position: i32, idle_secs: i64, calls_today: u32) -> Candidate {
        Candidate { user, name: format!("u{user}"), penalty, position, idle_secs, calls_today }
    }

    #[test]
    fn each_strategy_picks_as_it_says_among_the_lowest_penalty() {
        let free = [c(1, 0, 0, 10, 5), c(2, 0, 1, 90, 7), c(3, 0, 2, 30, 1), c(4, 1, 3, 999, 0)];
        let p = |s, last| pick(s, &free, last, 0.0).users;
        assert_eq!(p(Strategy::RingAll, None), vec![1, 2, 3], "penalty 1 waits while penalty 0 is free");
        assert_eq!(p(Strategy::LongestIdle, None), vec![2]);
        assert_eq!(p(Strategy::FewestCalls, None), vec![3]);
        assert_eq!(p(Strategy::InOrder, None), vec![1]);
        assert_eq!(p(Strategy::RoundRobin, None), vec![1]);
        assert_eq!(p(Strategy::RoundRobin, Some(0)), vec![2], "the one after the last offered");
        assert_eq!(p(Strategy::RoundRobin, Some(2)), vec![1], "round again");
        assert_eq!(pick(Strategy::InOrder, &free[3..], None, 0.0).users, vec![4], "penalty 1 when alone");
    }

    #[test]
    fn weighted_random_weighs_every_free_member_by_penalty() {
        let free = [c(1, 0, 0, 0, 0), c(2, 1, 1, 0, 0)];
        // Weights 1 and 1/2: the first two thirds of the roll pick user 1.
        assert_eq!(pick(Strategy::WeightedRandom, &free, None, 0.5).users, vec![1]);
        assert_eq!(pick(Strategy::WeightedRandom, &free, None, 0.7).users, vec![2]);
        let mut counts = [0u32; 2];
        for i in 0..3000 {
            let u = pick(Strategy::WeightedRandom, &free, None, f64::from(i) / 3000.0).users[0];
            counts[(u - 1) as usize] += 1;
        }
        assert_eq!(counts, [2000, 1000]);
    }
}
