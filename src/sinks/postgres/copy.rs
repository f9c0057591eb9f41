//! The rows of the direct path (see `write.rs`), prepared on the client: the signal rows
//! of the records that are new, as one binary COPY payload, and the newest of them per
//! vehicle and path for `latest`.
//!
//! One payload per batch, not tokio-postgres's `BinaryCopyInWriter`: that one hands the
//! connection task a 4 KiB chunk at a time through a channel of one, each hand-over a
//! task switch (~170 per 512-record batch). The 6x gap to `psql \copy` first measured
//! was mostly the linger race fixed in `link.rs`, not this; see docs/performance.md.

use super::rows::{self, Cell, SignalRow};
use crate::record::Record;
use bytes::{BufMut, BytesMut};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio_postgres::types::{IsNull, ToSql, Type};

/// The column types of [`rows::SIGNAL_COLUMNS`].
pub const SIGNAL_TYPES: [Type; 12] = [
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

/// `f` of the row's values in [`rows::SIGNAL_COLUMNS`] order.
pub fn with_values<R>(row: &SignalRow<'_>, f: impl FnOnce(&[&(dyn ToSql + Sync); 12]) -> R) -> R {
    let (num, txt, bool, json) = match &row.value {
        Cell::Null => (None, None, None, None),
        Cell::Num(n) => (Some(*n), None, None, None),
        Cell::Txt(s) => (None, Some(&**s), None, None),
        Cell::Bool(b) => (None, None, Some(*b), None),
        Cell::Json(v) => (None, None, None, Some(&**v)),
    };
    let (unit, failure) = (row.unit.as_deref(), row.failure.as_deref());
    f(&[
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
    ])
}

/// The signal rows of `records` whose (sanitized) id is in `new`, each (record_id, path,
/// origin) once (the first, as `ON CONFLICT DO NOTHING` keeps), each record once.
pub fn new_rows<'a>(records: &'a [Arc<Record>], new: &HashSet<String>) -> Vec<SignalRow<'a>> {
    let mut done: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for r in records {
        if !done.insert(&r.id) || !new.contains(&*rows::text(&r.id)) {
            continue;
        }
        // A repeated (path, origin) in one record is rare and records are small: a scan
        // of the ones before costs less than hashing every row.
        for (i, row) in rows::signal_rows(r).enumerate() {
            let this = &r.signals[i];
            if !r.signals[..i]
                .iter()
                .any(|s| s.path == this.path && s.origin == this.origin)
            {
                out.push(row);
            }
        }
    }
    out
}

/// Per (vin, path), the row with the greatest (ts, record_id): what `latest` may take.
pub fn newest<'r, 'a>(rows: &'r [SignalRow<'a>]) -> Vec<&'r SignalRow<'a>> {
    let mut best: HashMap<(&str, &str), &SignalRow> = HashMap::new();
    for row in rows {
        let e = best.entry((&row.vin, &row.path)).or_insert(row);
        if (row.ts, &row.record_id) > (e.ts, &e.record_id) {
            *e = row;
        }
    }
    best.into_values().collect()
}

/// The binary COPY payload of `rows`: header, one tuple each, trailer.
pub fn payload(rows: &[SignalRow<'_>]) -> Result<BytesMut, String> {
    let mut buf = BytesMut::with_capacity(64 + rows.len() * 160);
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0); // flags
    buf.put_i32(0); // header extension
    for row in rows {
        with_values(row, |values| -> Result<(), String> {
            buf.put_i16(values.len() as i16);
            for (value, ty) in values.iter().zip(&SIGNAL_TYPES) {
                let at = buf.len();
                buf.put_i32(0);
                let len = match value
                    .to_sql_checked(ty, &mut buf)
                    .map_err(|e| format!("encoding a {ty} value: {e}"))?
                {
                    IsNull::Yes => -1,
                    IsNull::No => i32::try_from(buf.len() - at - 4)
                        .map_err(|_| "a value larger than 2 GiB".to_string())?,
                };
                buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
            }
            Ok(())
        })?;
    }
    buf.put_i16(-1);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{ProviderKind, Signal};
    use serde_json::json;
    use std::borrow::Cow;

    fn record(id: &str, vin: &str, signals: &[(&'static str, &str, &str)]) -> Arc<Record> {
        Arc::new(Record {
            id: id.into(),
            vin: vin.into(),
            provider: ProviderKind::BmwCardata,
            source: "bmw".into(),
            message_id: id.into(),
            received_at: "2026-11-21T10:00:00Z".parse().unwrap(),
            signals: signals
                .iter()
                .map(|(path, origin, ts)| Signal {
                    path: Cow::Borrowed(path),
                    value: json!(1),
                    unit: None,
                    timestamp: Some(Arc::from(*ts)),
                    origin: Arc::from(*origin),
                    failure: None,
                })
                .collect(),
        })
    }

    #[test]
    fn only_new_records_each_row_once_and_the_newest_per_path() {
        let t1 = "2026-11-21T10:00:00Z";
        let t2 = "2026-11-21T11:00:00Z";
        let a = record("a", "V", &[("P", "o", t1), ("P", "o", t2), ("Q", "o", t1)]);
        let b = record("b", "V", &[("P", "o", t2)]);
        let old = record("old", "V", &[("P", "o", t2)]);
        let records = vec![a.clone(), b, old, a];
        let new: HashSet<String> = ["a".to_string(), "b".to_string()].into();
        let rows = new_rows(&records, &new);
        let keys: Vec<(&str, &str)> = rows.iter().map(|r| (&*r.record_id, &*r.path)).collect();
        assert_eq!(keys, [("a", "P"), ("a", "Q"), ("b", "P")]);
        let mut latest: Vec<(&str, &str)> = newest(&rows)
            .iter()
            .map(|r| (&*r.path, &*r.record_id))
            .collect();
        latest.sort();
        assert_eq!(
            latest,
            [("P", "b"), ("Q", "a")],
            "P: b at t2 beats a at t1 (a's t2 row is a repeat)"
        );
        let p = payload(&rows).unwrap();
        assert!(p.starts_with(b"PGCOPY\n\xff\r\n\0"));
        assert!(p.ends_with(&[0xff, 0xff]));
    }
}
