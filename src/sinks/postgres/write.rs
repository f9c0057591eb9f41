//! One batch, one transaction, committed together:
//!
//! 1. `INSERT INTO records ... ON CONFLICT DO NOTHING RETURNING record_id` (the batch as
//!    arrays): the records this transaction is the first to store. A record row and its
//!    signal rows commit together, so a record already there has its signals there too
//!    (a redelivery adds no row), and a replica writing the same record at the same time
//!    waits on that key and then finds it stored.
//! 2. Binary COPY of the new records' signal rows straight into `signals`. Should one
//!    exist anyway (someone deleted `records` rows but kept their signals), the unique
//!    key refuses the COPY; the batch then goes again through a temporary staging table
//!    and `INSERT ... SELECT ... ON CONFLICT DO NOTHING`, the slower path that never
//!    conflicts. The direct path is what keeps the sink near `psql \copy` (bench/postgres).
//! 3. The `latest` upsert of the newest new row per vehicle and path, which changes a row
//!    only for a newer `(ts, record_id)`: arrival order does not matter.

use super::copy;
use super::rows::{self, SIGNAL_COLUMNS};
use super::schema::ident;
use crate::record::Record;
use chrono::{DateTime, Utc};
use futures_util::SinkExt;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::pin::pin;
use std::sync::Arc;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Statement};

/// A connection ready to write: its staging table exists and its statements are prepared.
pub struct Writer {
    pub client: Client,
    insert_records: Statement,
    copy_signals: Statement,
    copy_staged: Statement,
    insert_staged: Statement,
    upsert_latest: Statement,
}

/// Why a write failed: the server (with its SQL state) or the rows themselves.
#[derive(Debug)]
pub enum WriteError {
    Db(tokio_postgres::Error),
    Encode(String),
}

impl From<tokio_postgres::Error> for WriteError {
    fn from(e: tokio_postgres::Error) -> WriteError {
        WriteError::Db(e)
    }
}

const LATEST_COLUMNS: &str = "vin, path, ts, record_id, num, txt, bool, json, unit, failure";

impl Writer {
    /// Create this session's staging table (emptied at every commit) and prepare.
    pub async fn prepare(client: Client, schema: &str) -> Result<Writer, tokio_postgres::Error> {
        client
            .batch_execute(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS vinstream_stage_signals \
                 (LIKE {}.signals INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                ident(schema)
            ))
            .await?;
        let s = ident(schema);
        let insert_records = client
            .prepare(&format!(
                "INSERT INTO {s}.records ({}) SELECT * FROM unnest($1::text[], $2::text[], \
                 $3::text[], $4::text[], $5::text[], $6::timestamptz[]) \
                 ON CONFLICT DO NOTHING RETURNING record_id",
                rows::RECORD_COLUMNS
            ))
            .await?;
        let copy_signals = client
            .prepare(&format!(
                "COPY {s}.signals ({SIGNAL_COLUMNS}) FROM STDIN (FORMAT binary)"
            ))
            .await?;
        let copy_staged = client
            .prepare(&format!(
                "COPY vinstream_stage_signals ({SIGNAL_COLUMNS}) FROM STDIN (FORMAT binary)"
            ))
            .await?;
        let insert_staged = client
            .prepare(&format!(
                "INSERT INTO {s}.signals ({SIGNAL_COLUMNS}) \
                 SELECT {SIGNAL_COLUMNS} FROM vinstream_stage_signals ON CONFLICT DO NOTHING"
            ))
            .await?;
        let upsert_latest = client
            .prepare(&format!(
                "INSERT INTO {s}.latest AS l ({LATEST_COLUMNS}) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], \
                 $5::float8[], $6::text[], $7::bool[], $8::jsonb[], $9::text[], $10::jsonb[]) \
                 ON CONFLICT (vin, path) DO UPDATE SET ts = EXCLUDED.ts, \
                 record_id = EXCLUDED.record_id, num = EXCLUDED.num, txt = EXCLUDED.txt, \
                 bool = EXCLUDED.bool, json = EXCLUDED.json, unit = EXCLUDED.unit, \
                 failure = EXCLUDED.failure \
                 WHERE (l.ts, l.record_id) < (EXCLUDED.ts, EXCLUDED.record_id)"
            ))
            .await?;
        Ok(Writer {
            client,
            insert_records,
            copy_signals,
            copy_staged,
            insert_staged,
            upsert_latest,
        })
    }

    /// Write `records` in one transaction; Ok once it committed. Returns the signal rows
    /// that were new (none for a redelivered record). After an error the connection may
    /// be inside a failed transaction: the link drops it.
    pub async fn write(&mut self, records: &[Arc<Record>]) -> Result<u64, WriteError> {
        match self.attempt(records, false).await {
            Err(WriteError::Db(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                tracing::debug!(error = %e, "signal rows of new records exist: staging the batch");
                self.client.batch_execute("ROLLBACK").await?;
                self.attempt(records, true).await
            }
            other => other,
        }
    }

    /// Four round trips: BEGIN with the records, COPY's start, its data and end, the
    /// `latest` upsert with COMMIT. Requests sent together are pipelined by tokio-postgres
    /// and run in order; a COMMIT after a failed statement only rolls back.
    async fn attempt(&mut self, records: &[Arc<Record>], staged: bool) -> Result<u64, WriteError> {
        let c = &self.client;
        let (_, new) = tokio::try_join!(
            c.batch_execute("BEGIN"),
            insert_records(c, &self.insert_records, records)
        )?;
        let rows = copy::new_rows(records, &new);
        if rows.is_empty() {
            c.batch_execute("COMMIT").await?;
            return Ok(0);
        }
        let payload = copy::payload(&rows).map_err(WriteError::Encode)?;
        let copy = if staged {
            &self.copy_staged
        } else {
            &self.copy_signals
        };
        let mut sink = pin!(c.copy_in(copy).await?);
        sink.send(payload.freeze()).await?;
        sink.as_mut().finish().await?;
        if staged {
            c.execute(&self.insert_staged, &[]).await?;
        }
        let newest = copy::newest(&rows);
        tokio::try_join!(
            upsert_latest(c, &self.upsert_latest, &newest),
            c.batch_execute("COMMIT")
        )?;
        Ok(rows.len() as u64)
    }
}

/// The `records` rows as arrays; the ids this transaction stored.
async fn insert_records(
    tx: &Client,
    statement: &Statement,
    records: &[Arc<Record>],
) -> Result<HashSet<String>, tokio_postgres::Error> {
    let n = records.len();
    let mut texts: [Vec<Cow<'_, str>>; 5] = Default::default();
    let mut at: Vec<DateTime<Utc>> = Vec::with_capacity(n);
    for r in records {
        for (column, value) in texts.iter_mut().zip(rows::record_texts(r)) {
            column.push(value);
        }
        at.push(rows::received_at(r));
    }
    let [id, vin, provider, source, message_id] = texts.map(|c| c.into_iter().collect::<Vec<_>>());
    let stored = tx
        .query(
            statement,
            &[
                &refs(&id),
                &refs(&vin),
                &refs(&provider),
                &refs(&source),
                &refs(&message_id),
                &at,
            ],
        )
        .await?;
    Ok(stored.iter().map(|row| row.get(0)).collect())
}

fn refs<'a>(column: &'a [Cow<'_, str>]) -> Vec<&'a str> {
    column.iter().map(|s| &**s).collect()
}

/// The newest new value per vehicle and path, as arrays.
async fn upsert_latest(
    tx: &Client,
    statement: &Statement,
    newest: &[&rows::SignalRow<'_>],
) -> Result<u64, tokio_postgres::Error> {
    let txt: Vec<Option<&str>> = newest.iter().map(|r| r.txt()).collect();
    let unit: Vec<Option<&str>> = newest.iter().map(|r| r.unit.as_deref()).collect();
    let vin: Vec<&str> = newest.iter().map(|r| &*r.vin).collect();
    let path: Vec<&str> = newest.iter().map(|r| &*r.path).collect();
    let record_id: Vec<&str> = newest.iter().map(|r| &*r.record_id).collect();
    let ts: Vec<DateTime<Utc>> = newest.iter().map(|r| r.ts).collect();
    let num: Vec<Option<f64>> = newest.iter().map(|r| r.num()).collect();
    let bool: Vec<Option<bool>> = newest.iter().map(|r| r.bool()).collect();
    let json: Vec<Option<&Value>> = newest.iter().map(|r| r.json()).collect();
    let failure: Vec<Option<&Value>> = newest.iter().map(|r| r.failure.as_deref()).collect();
    tx.execute(
        statement,
        &[
            &vin, &path, &ts, &record_id, &num, &txt, &bool, &json, &unit, &failure,
        ],
    )
    .await
}
