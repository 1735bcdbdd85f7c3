//! Queue events counted per queue, kind and quarter of an hour (UTC) in `queue_stats`, kept as
//! each event is written (one transaction for both) so a report over millions of events reads
//! thousands of rows; the reports group them into the hours, days and months of an
//! organization's time zone (every zone's offset is a whole number of quarter hours). Each
//! count carries what the figures need: the sum of waits (of talk times, for completed calls),
//! how many waited at most the queue's service-level threshold (the threshold set when the
//! event was written), how many waited less than `SHORT_MS`. `rebuild` counts everything again
//! from the events (with today's thresholds).

use crate::dialect::Sql;
use crate::entities::queue_event;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, TransactionTrait};

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
    /// service-level threshold now.
    pub async fn add_queue_event(&self, e: queue_event::ActiveModel, sl_secs: i64) -> Result<(), StoreError> {
        let pg = self.is_postgres();
        let txn = self.conn().begin().await?;
        let e = e.insert(&txn).await?;
        let wait = e.wait_ms.unwrap_or(0);
        let bucket = e.at.timestamp().div_euclid(BUCKET_SECS) * BUCKET_SECS;
        let mut q = Sql::new(pg);
        q.push(
            "INSERT INTO queue_stats (org_id, queue_id, bucket, kind, events, wait_ms, in_time, short_waits) VALUES (",
        )
        .bind(e.org_id)
        .push(", ")
        .bind(e.queue_id)
        .push(", ")
        .bind(bucket)
        .push(", ")
        .bind(e.kind.as_str())
        .push(", 1, ")
        .bind(wait)
        .push(", ")
        .bind(i64::from(wait <= sl_secs * 1000))
        .push(", ")
        .bind(i64::from(wait < SHORT_MS))
        .push(
            ") ON CONFLICT (org_id, bucket, queue_id, kind) DO UPDATE SET \
                 events = queue_stats.events + excluded.events, wait_ms = queue_stats.wait_ms + excluded.wait_ms, \
                 in_time = queue_stats.in_time + excluded.in_time, \
                 short_waits = queue_stats.short_waits + excluded.short_waits",
        );
        txn.execute_raw(q.statement()).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Counts the organization's queue events again from the event log.
    pub async fn rebuild_queue_stats(&self, org: i64) -> Result<(), StoreError> {
        let txn = self.conn().begin().await?;
        rebuild_sql(&txn, Some(org)).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The organization's counts of queue events between `from` and `to` (quarter hours that
    /// start in that span), per queue, kind and quarter hour.
    pub async fn queue_buckets(
        &self,
        org: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<QueueBucket>, StoreError> {
        let mut q = Sql::new(self.is_postgres());
        q.push("SELECT queue_id, bucket, kind, events, wait_ms, in_time, short_waits FROM queue_stats WHERE org_id = ")
            .bind(org)
            .push(" AND bucket >= ")
            .bind(from.timestamp())
            .push(" AND bucket < ")
            .bind(to.timestamp());
        let rows = self.conn().query_all_raw(q.statement()).await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(QueueBucket {
                    queue_id: r.try_get_by_index(0).ok()?,
                    start: r.try_get_by_index(1).ok()?,
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
