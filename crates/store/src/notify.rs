//! The cross-node message channel: PostgreSQL LISTEN/NOTIFY. On SQLite there is one node,
//! so there is nothing to carry: `listen` says so, and nobody calls `notify`.

use crate::{Store, StoreError};
use futures_util::{Stream, StreamExt};
use sea_orm::sqlx::postgres::PgListener;

/// The PostgreSQL channel every node listens on.
pub const CHANNEL: &str = "switchboard_events";

/// NOTIFY payloads are limited to 8000 bytes by PostgreSQL.
pub const MAX_PAYLOAD: usize = 7900;

impl Store {
    /// Sends `payload` to every node listening (this one too). PostgreSQL only.
    pub async fn notify(&self, payload: &str) -> Result<(), StoreError> {
        let pool = self.conn().get_postgres_connection_pool();
        sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(pool)
            .await
            .map_err(|e| StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
        Ok(())
    }

    /// The payloads NOTIFYed on the channel, from now on; `None` when this database serves one
    /// node only (SQLite). The listener reconnects by itself after a lost connection (messages
    /// sent meanwhile are lost, as LISTEN/NOTIFY does).
    pub async fn listen(&self) -> Result<Option<impl Stream<Item = String> + Send + 'static>, StoreError> {
        if !self.is_postgres() {
            return Ok(None);
        }
        let pool = self.conn().get_postgres_connection_pool().clone();
        let mut listener =
            PgListener::connect_with(&pool).await.map_err(|e| StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
        listener.listen(CHANNEL).await.map_err(|e| StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
        Ok(Some(listener.into_stream().filter_map(|m| async move {
            match m {
                Ok(n) => Some(n.payload().to_string()),
                Err(e) => {
                    tracing::warn!("LISTEN connection: {e}");
                    None
                }
            }
        })))
    }
}
