//! One batch, one transaction: binary COPY of the rows into temporary staging tables,
//! then `INSERT ... ON CONFLICT DO NOTHING` into `records` and `signals` and the upsert
//! of `latest`, committed together. A redelivered record finds its rows there already
//! and adds none; a `latest` row changes only for a newer `(ts, record_id)`, so the
//! order batches arrive in (a retry, a redelivery after a crash) does not matter.

use super::rows::{self, Cell, SignalRow, RECORD_COLUMNS, SIGNAL_COLUMNS};
use super::schema::ident;
use crate::record::Record;
use std::pin::pin;
use std::sync::Arc;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Statement};

/// A connection ready to write: its staging tables exist and its statements are prepared.
pub struct Writer {
    pub client: Client,
    copy_records: Statement,
    copy_signals: Statement,
    insert_records: Statement,
    insert_signals: Statement,
    upsert_latest: Statement,
}

const SIGNAL_TYPES: [Type; 12] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::FLOAT8,
    Type::TEXT,
    Type::BOOL,
    Type::JSONB,
    Type::TEXT,
    Type::JSONB,
];

const RECORD_TYPES: [Type; 6] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
];

impl Writer {
    /// Create this session's staging tables (emptied at every commit) and prepare.
    pub async fn prepare(client: Client, schema: &str) -> Result<Writer, tokio_postgres::Error> {
        client
            .batch_execute(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS vinstream_stage_records ({RECORD_COLUMNS_TYPED}) \
                 ON COMMIT DELETE ROWS;\n\
                 CREATE TEMP TABLE IF NOT EXISTS vinstream_stage_signals ({SIGNAL_COLUMNS_TYPED}) \
                 ON COMMIT DELETE ROWS;"
            ))
            .await?;
        let s = ident(schema);
        let copy_records = client
            .prepare("COPY vinstream_stage_records FROM STDIN (FORMAT binary)")
            .await?;
        let copy_signals = client
            .prepare("COPY vinstream_stage_signals FROM STDIN (FORMAT binary)")
            .await?;
        let insert_records = client
            .prepare(&format!(
                "INSERT INTO {s}.records ({RECORD_COLUMNS}) \
                 SELECT {RECORD_COLUMNS} FROM vinstream_stage_records ON CONFLICT DO NOTHING"
            ))
            .await?;
        let insert_signals = client
            .prepare(&format!(
                "INSERT INTO {s}.signals ({SIGNAL_COLUMNS}) \
                 SELECT {SIGNAL_COLUMNS} FROM vinstream_stage_signals ON CONFLICT DO NOTHING"
            ))
            .await?;
        // DISTINCT ON: an upsert may touch a row once per statement, and a batch often
        // holds several values of one path of one vehicle.
        let upsert_latest = client
            .prepare(&format!(
                "INSERT INTO {s}.latest AS l ({LATEST_COLUMNS}) \
                 SELECT DISTINCT ON (vin, path) {LATEST_COLUMNS} FROM vinstream_stage_signals \
                 ORDER BY vin, path, ts DESC, record_id DESC \
                 ON CONFLICT (vin, path) DO UPDATE SET ts = EXCLUDED.ts, \
                 record_id = EXCLUDED.record_id, num = EXCLUDED.num, txt = EXCLUDED.txt, \
                 bool = EXCLUDED.bool, json = EXCLUDED.json, unit = EXCLUDED.unit, \
                 failure = EXCLUDED.failure \
                 WHERE (l.ts, l.record_id) < (EXCLUDED.ts, EXCLUDED.record_id)"
            ))
            .await?;
        Ok(Writer {
            client,
            copy_records,
            copy_signals,
            insert_records,
            insert_signals,
            upsert_latest,
        })
    }

    /// Write `records` in one transaction; Ok once it committed. Returns the signal
    /// rows that were new (the rest were there already: a redelivery).
    pub async fn write(&mut self, records: &[Arc<Record>]) -> Result<u64, tokio_postgres::Error> {
        let tx = self.client.transaction().await?;
        {
            let sink = tx.copy_in(&self.copy_records).await?;
            let mut w = pin!(BinaryCopyInWriter::new(sink, &RECORD_TYPES));
            for r in records {
                let [id, vin, provider, source, message_id] = rows::record_texts(r);
                let received_at = rows::received_at(r);
                w.as_mut()
                    .write(&[
                        &&*id,
                        &&*vin,
                        &&*provider,
                        &&*source,
                        &&*message_id,
                        &received_at,
                    ])
                    .await?;
            }
            w.finish().await?;
        }
        {
            let sink = tx.copy_in(&self.copy_signals).await?;
            let mut w = pin!(BinaryCopyInWriter::new(sink, &SIGNAL_TYPES));
            for r in records {
                for row in rows::signal_rows(r) {
                    write_signal(w.as_mut(), &row).await?;
                }
            }
            w.finish().await?;
        }
        tx.execute(&self.insert_records, &[]).await?;
        let new = tx.execute(&self.insert_signals, &[]).await?;
        tx.execute(&self.upsert_latest, &[]).await?;
        tx.commit().await?;
        Ok(new)
    }
}

async fn write_signal(
    w: std::pin::Pin<&mut BinaryCopyInWriter>,
    row: &SignalRow<'_>,
) -> Result<(), tokio_postgres::Error> {
    let (num, txt, bool, json) = match &row.value {
        Cell::Null => (None, None, None, None),
        Cell::Num(n) => (Some(*n), None, None, None),
        Cell::Txt(s) => (None, Some(&**s), None, None),
        Cell::Bool(b) => (None, None, Some(*b), None),
        Cell::Json(v) => (None, None, None, Some(&**v)),
    };
    let unit = row.unit.as_deref();
    let failure = row.failure.as_deref();
    let values: [&(dyn ToSql + Sync); 12] = [
        &&*row.record_id,
        &&*row.vin,
        &&*row.path,
        &&*row.origin,
        &row.ts,
        &row.received_at,
        &num,
        &txt,
        &bool,
        &json,
        &unit,
        &failure,
    ];
    w.write(&values).await
}

const RECORD_COLUMNS_TYPED: &str = "record_id text, vin text, provider text, source text, \
     message_id text, received_at timestamptz";
const SIGNAL_COLUMNS_TYPED: &str = "record_id text, vin text, path text, origin text, \
     ts timestamptz, received_at timestamptz, num double precision, txt text, bool boolean, \
     json jsonb, unit text, failure jsonb";
const LATEST_COLUMNS: &str = "vin, path, ts, record_id, num, txt, bool, json, unit, failure";
