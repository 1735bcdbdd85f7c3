//! Queue events counted per queue and kind, kept as each event is written (one transaction for
//! the event and its counts) so a report over millions of events reads thousands of rows: per
//! quarter hour of UTC in `queue_stats` (what reports by hour read, in any time zone: every
//! zone's offset is a whole number of quarter hours) and per day of the organization's time
//! zone in `queue_stats_daily` (what reports by day and month read). Each count carries what the
//! figures need: the sum of waits (of talk times, for completed calls), how many waited at most
//! the queue's service-level threshold (the threshold set when the event was written), how many
//! waited less than `SHORT_MS`. `rebuild_queue_stats` counts everything again from the events
//! (with today's thresholds and time zone). Offers and unanswered offers are counted but not
//! read by the reports (`FIGURE_KINDS`).

use crate::dialect::Sql;
use crate::entities::queue_event;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr};

/// Quarter hours: the finest grouping of the reports.
pub const BUCKET_SECS: i64 = 900;
/// Callers who hang up within this many milliseconds "abandoned in the first seconds".
pub const SHORT_MS: i64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueBucket {
    pub queue_id: i64,
    /// The bucket's start, in seconds since the epoch (UTC).
    pub start: i64,
    pub kind: String,
    pub count: i64,
    pub wait_ms: i64,
    /// Waited at most the queue's service-level threshold.
    pub in_time: i64,
    /// Waited less than `SHORT_MS`.
    pub short: i64,
}

/// The kinds the figures are made of.
const FIGURE_KINDS: &str = "('enter', 'connect', 'abandon', 'timeout', 'refused', 'complete')";

fn epoch(pg: bool, col: &str) -> String {
    if pg {
        format!("CAST(EXTRACT(EPOCH FROM {col}) AS BIGINT)")
    } else {
        format!("CAST(strftime('%s', {col}) AS INTEGER)")
    }
}

/// Counts the events again (of one organization, or all) into `queue_stats`.
pub(crate) async fn rebuild_sql(db: &impl ConnectionTrait, org: Option<i64>) -> Result<(), DbErr> {
    let pg = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let mut del = Sql::new(pg);
    del.push("DELETE FROM queue_stats");
    if let Some(o) = org {
        del.push(" WHERE org_id = ").bind(o);
    }
    db.execute_raw(del.statement()).await?;
    let mut q = Sql::new(pg);
    q.push(&format!(
        "INSERT INTO queue_stats (org_id, queue_id, bucket, kind, events, wait_ms, in_time, short_waits) \
         SELECT e.org_id, e.queue_id, ({} / {BUCKET_SECS}) * {BUCKET_SECS}, e.kind, COUNT(*), \
         CAST(COALESCE(SUM(e.wait_ms), 0) AS BIGINT), \
         SUM(CASE WHEN COALESCE(e.wait_ms, 0) <= q.service_level_seconds * 1000 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN COALESCE(e.wait_ms, 0) < {SHORT_MS} THEN 1 ELSE 0 END) \
         FROM queue_events e JOIN queues q ON q.id = e.queue_id",
        epoch(pg, "e.at")
    ));
    if let Some(o) = org {
        q.push(" WHERE e.org_id = ").bind(o);
    }
    q.push(&format!(" GROUP BY e.org_id, e.queue_id, ({} / {BUCKET_SECS}) * {BUCKET_SECS}, e.kind", epoch(pg, "e.at")));
    db.execute_raw(q.statement()).await?;
    Ok(())
}

impl Store {
    /// Writes a queue event and counts it, in one transaction; `sl_secs` is its queue's
    /// service-level threshold now, `day` its day in the organization's time zone
    /// (`NaiveDate::num_days_from_ce`).
    pub async fn add_queue_event(&self, e: queue_event::ActiveModel, sl_secs: i64, day: i32) -> Result<(), StoreError> {
        let pg = self.is_postgres();
        let txn = self.write().await?;
        let e = e.insert(&txn).await?;
        let wait = e.wait_ms.unwrap_or(0);
        let b = QueueBucket {
            queue_id: e.queue_id,
            start: e.at.timestamp().div_euclid(BUCKET_SECS) * BUCKET_SECS,
            kind: e.kind.as_str().to_string(),
            count: 1,
            wait_ms: wait,
            in_time: i64::from(wait <= sl_secs * 1000),
            short: i64::from(wait < SHORT_MS),
        };
        txn.execute_raw(upsert(pg, "queue_stats", "bucket", e.org_id, std::slice::from_ref(&b)).statement()).await?;
        let d = QueueBucket { start: i64::from(day), ..b };
        txn.execute_raw(upsert(pg, "queue_stats_daily", "day", e.org_id, &[d]).statement()).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Counts the organization's queue events again from the event log; `day_of` gives the
    /// organization's day (`num_days_from_ce`) of a moment (seconds since the epoch).
    pub async fn rebuild_queue_stats(&self, org: i64, day_of: impl Fn(i64) -> i32) -> Result<(), StoreError> {
        let txn = self.write().await?;
        rebuild_sql(&txn, Some(org)).await?;
        txn.commit().await?;
        self.rebuild_queue_days(org, day_of).await
    }

    /// Counts the organization's days again from its quarter hours (after a change of time zone,
    /// or when the days were never counted).
    pub async fn rebuild_queue_days(&self, org: i64, day_of: impl Fn(i64) -> i32) -> Result<(), StoreError> {
        let pg = self.is_postgres();
        let quarters = self.read_buckets(org, "queue_stats", "bucket", None).await?;
        let mut days: std::collections::HashMap<(i32, i64, String), QueueBucket> = Default::default();
        for b in quarters {
            let day = day_of(b.start);
            let d = days.entry((day, b.queue_id, b.kind.clone())).or_insert_with(|| QueueBucket {
                start: i64::from(day),
                count: 0,
                wait_ms: 0,
                in_time: 0,
                short: 0,
                ..b.clone()
            });
            d.count += b.count;
            d.wait_ms += b.wait_ms;
            d.in_time += b.in_time;
            d.short += b.short;
        }
        let txn = self.write().await?;
        let mut del = Sql::new(pg);
        del.push("DELETE FROM queue_stats_daily WHERE org_id = ").bind(org);
        txn.execute_raw(del.statement()).await?;
        let rows: Vec<QueueBucket> = days.into_values().collect();
        for chunk in rows.chunks(500) {
            txn.execute_raw(upsert(pg, "queue_stats_daily", "day", org, chunk).statement()).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Whether the organization has quarter hours counted but no days (a store migrated before
    /// the CRM counted them).
    pub async fn queue_days_missing(&self, org: i64) -> Result<bool, StoreError> {
        let pg = self.is_postgres();
        let one = |table: &str| {
            let mut q = Sql::new(pg);
            q.push(&format!("SELECT 1 FROM {table} WHERE org_id = ")).bind(org).push(" LIMIT 1");
            q
        };
        let quarters = self.conn().query_one_raw(one("queue_stats").statement()).await?.is_some();
        let days = self.conn().query_one_raw(one("queue_stats_daily").statement()).await?.is_some();
        Ok(quarters && !days)
    }

    /// The organization's counts per quarter hour that starts between `from` and `to`, per queue
    /// and kind of the figures.
    pub async fn queue_buckets(
        &self,
        org: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<QueueBucket>, StoreError> {
        self.read_buckets(org, "queue_stats", "bucket", Some((from.timestamp(), to.timestamp()))).await
    }

    /// The organization's counts per day (`num_days_from_ce` in its time zone) from `from` to
    /// `to` inclusive, per queue and kind of the figures.
    pub async fn queue_days(&self, org: i64, from: i32, to: i32) -> Result<Vec<QueueBucket>, StoreError> {
        self.read_buckets(org, "queue_stats_daily", "day", Some((i64::from(from), i64::from(to) + 1))).await
    }

    /// Counts of `table` keyed by `key`, within `range` (and of the figures' kinds) if given.
    async fn read_buckets(
        &self,
        org: i64,
        table: &str,
        key: &str,
        range: Option<(i64, i64)>,
    ) -> Result<Vec<QueueBucket>, StoreError> {
        let mut q = Sql::new(self.is_postgres());
        q.push(&format!(
            "SELECT queue_id, {key}, kind, events, wait_ms, in_time, short_waits FROM {table} WHERE org_id = "
        ))
        .bind(org);
        if let Some((from, to)) = range {
            q.push(&format!(" AND {key} >= ")).bind(from).push(&format!(" AND {key} < ")).bind(to);
            q.push(&format!(" AND kind IN {FIGURE_KINDS}"));
        }
        let rows = self.conn().query_all_raw(q.statement()).await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let start = r.try_get_by_index::<i64>(1).or_else(|_| r.try_get_by_index::<i32>(1).map(i64::from));
                Some(QueueBucket {
                    queue_id: r.try_get_by_index(0).ok()?,
                    start: start.ok()?,
                    kind: r.try_get_by_index(2).ok()?,
                    count: r.try_get_by_index(3).ok()?,
                    wait_ms: r.try_get_by_index(4).ok()?,
                    in_time: r.try_get_by_index(5).ok()?,
                    short: r.try_get_by_index(6).ok()?,
                })
            })
            .collect())
    }
}

/// INSERT of counts into `table` (keyed by `key`), adding to the counts already there.
fn upsert(pg: bool, table: &str, key: &str, org: i64, rows: &[QueueBucket]) -> Sql {
    let mut q = Sql::new(pg);
    q.push(&format!(
        "INSERT INTO {table} (org_id, queue_id, {key}, kind, events, wait_ms, in_time, short_waits) VALUES "
    ));
    for (i, b) in rows.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push("(").bind(org).push(", ").bind(b.queue_id).push(", ");
        if key == "day" {
            q.bind(b.start as i32);
        } else {
            q.bind(b.start);
        }
        q.push(", ").bind(b.kind.clone()).push(", ").bind(b.count).push(", ").bind(b.wait_ms);
        q.push(", ").bind(b.in_time).push(", ").bind(b.short).push(")");
    }
    q.push(&format!(
        " ON CONFLICT (org_id, {key}, queue_id, kind) DO UPDATE SET \
         events = {table}.events + excluded.events, wait_ms = {table}.wait_ms + excluded.wait_ms, \
         in_time = {table}.in_time + excluded.in_time, short_waits = {table}.short_waits + excluded.short_waits"
    ));
    q
}
