//! Queue events counted by queue, kind and quarter of an hour (UTC), in the database: what the
//! reports group into the hours, days and months of an organization's time zone (every zone's
//! offset is a whole number of quarter hours). Each count carries what the figures need: the
//! sum of waits (or of talk times, for completed calls), how many were answered within the
//! queue's service-level threshold, how many waited less than `short_ms`.

use crate::dialect::Sql;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

/// Quarter hours: the finest grouping of the reports.
pub const BUCKET_SECS: i64 = 900;

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
    /// Waited less than `short_ms`.
    pub short: i64,
}

impl Store {
    /// The organization's queue events between `from` and `to`, counted per queue, kind and
    /// quarter hour.
    pub async fn queue_buckets(
        &self,
        org: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        short_ms: i64,
    ) -> Result<Vec<QueueBucket>, StoreError> {
        let pg = self.is_postgres();
        let epoch =
            if pg { "CAST(EXTRACT(EPOCH FROM e.at) AS BIGINT)" } else { "CAST(strftime('%s', e.at) AS INTEGER)" };
        let mut q = Sql::new(pg);
        q.push(&format!(
            "SELECT e.queue_id, ({epoch} / {BUCKET_SECS}) * {BUCKET_SECS} AS b, e.kind, COUNT(*), \
             CAST(COALESCE(SUM(e.wait_ms), 0) AS BIGINT), \
             SUM(CASE WHEN COALESCE(e.wait_ms, 0) <= q.service_level_seconds * 1000 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN COALESCE(e.wait_ms, 0) < "
        ))
        .bind(short_ms)
        .push(" THEN 1 ELSE 0 END) FROM queue_events e JOIN queues q ON q.id = e.queue_id WHERE e.org_id = ")
        .bind(org)
        .push(" AND e.at >= ")
        .bind(from)
        .push(" AND e.at < ")
        .bind(to)
        .push(" GROUP BY e.queue_id, b, e.kind");
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
