//! The schema of SPEC.md §6: created when missing, checked when present. A table that
//! exists with a missing or differently typed column, or without the unique key that
//! makes a redelivery add no row, is refused with the column named, rather than written
//! into wrongly. Extra columns are the user's business (they must be nullable or have
//! a default, since vinstream does not fill them).
//!
//! Two daemons starting together on one database take turns (an advisory lock), since
//! `CREATE ... IF NOT EXISTS` races with itself.

use tokio_postgres::Client;

/// Column name and `information_schema.columns.data_type`.
type Columns = &'static [(&'static str, &'static str)];

const TEXT: &str = "text";
const TSTZ: &str = "timestamp with time zone";
const NUM: &str = "double precision";
const BOOL: &str = "boolean";
const JSONB: &str = "jsonb";

pub const RECORDS: Columns = &[
    ("record_id", TEXT),
    ("vin", TEXT),
    ("provider", TEXT),
    ("source", TEXT),
    ("message_id", TEXT),
    ("received_at", TSTZ),
];

pub const SIGNALS: Columns = &[
    ("record_id", TEXT),
    ("vin", TEXT),
    ("path", TEXT),
    ("origin", TEXT),
    ("ts", TSTZ),
    ("received_at", TSTZ),
    ("num", NUM),
    ("txt", TEXT),
    ("bool", BOOL),
    ("json", JSONB),
    ("unit", TEXT),
    ("failure", JSONB),
];

pub const LATEST: Columns = &[
    ("vin", TEXT),
    ("path", TEXT),
    ("ts", TSTZ),
    ("record_id", TEXT),
    ("num", NUM),
    ("txt", TEXT),
    ("bool", BOOL),
    ("json", JSONB),
    ("unit", TEXT),
    ("failure", JSONB),
];

/// One table: its columns, the SQL creating it, and the unique keys that may carry its
/// idempotency (any one of them, as sorted column lists).
struct Table {
    name: &'static str,
    columns: Columns,
    create: fn(&str, bool) -> String,
    keys: &'static [&'static [&'static str]],
}

const TABLES: [Table; 3] = [
    Table {
        name: "records",
        columns: RECORDS,
        create: create_records,
        keys: &[&["record_id"]],
    },
    Table {
        name: "signals",
        columns: SIGNALS,
        create: create_signals,
        // A TimescaleDB hypertable's unique keys must hold its time column: `ts` is a
        // function of the record, so (record_id, path, origin, ts) is as idempotent.
        keys: &[
            &["origin", "path", "record_id"],
            &["origin", "path", "record_id", "ts"],
        ],
    },
    Table {
        name: "latest",
        columns: LATEST,
        create: create_latest,
        keys: &[&["path", "vin"]],
    },
];

/// `"name"` with quotes doubled: any schema name the user picked is safe in SQL.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What `schema` may be, checked without connecting.
pub fn check_name(schema: &str) -> Result<(), String> {
    if schema.is_empty() || schema.len() > 63 || schema.contains('\0') {
        return Err("schema: must be 1 to 63 bytes long".into());
    }
    Ok(())
}

fn create_records(s: &str, _: bool) -> String {
    format!(
        "CREATE TABLE {s}.records (record_id text PRIMARY KEY, vin text NOT NULL, \
         provider text NOT NULL, source text NOT NULL, message_id text NOT NULL, \
         received_at timestamptz NOT NULL);\n\
         CREATE INDEX ON {s}.records (vin, received_at);"
    )
}

fn create_signals(s: &str, timescale: bool) -> String {
    let key = if timescale {
        "record_id, path, origin, ts"
    } else {
        "record_id, path, origin"
    };
    let mut sql = format!(
        "CREATE TABLE {s}.signals (record_id text NOT NULL, vin text NOT NULL, \
         path text NOT NULL, origin text NOT NULL, ts timestamptz NOT NULL, \
         received_at timestamptz NOT NULL, num double precision, txt text, bool boolean, \
         json jsonb, unit text, failure jsonb, UNIQUE ({key}));\n\
         CREATE INDEX ON {s}.signals (vin, path, ts);"
    );
    if timescale {
        sql.push_str(&format!(
            "\nSELECT create_hypertable('{}.signals', 'ts');",
            s.replace('\'', "''")
        ));
    }
    sql
}

/// Every batch rewrites many `latest` rows: room on their pages lets PostgreSQL update
/// in place (HOT), without touching the primary key index.
fn create_latest(s: &str, _: bool) -> String {
    format!(
        "CREATE TABLE {s}.latest (vin text NOT NULL, path text NOT NULL, \
         ts timestamptz NOT NULL, record_id text NOT NULL, num double precision, txt text, \
         bool boolean, json jsonb, unit text, failure jsonb, PRIMARY KEY (vin, path)) \
         WITH (fillfactor = 50);"
    )
}

/// Why the schema cannot be used: a mismatch (the user must act) or the server failing.
#[derive(Debug)]
pub enum SchemaError {
    Mismatch(String),
    Server(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for SchemaError {
    fn from(e: tokio_postgres::Error) -> SchemaError {
        SchemaError::Server(e)
    }
}

/// Create what is missing and check what is there, in one transaction under a lock.
/// Returns the tables it created.
pub async fn ensure(client: &mut Client, schema: &str) -> Result<Vec<&'static str>, SchemaError> {
    let s = ident(schema);
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('vinstream schema ' || $1))",
        &[&schema],
    )
    .await?;
    // Only when missing: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even
    // when the schema exists, which a least-privilege role lacks.
    let exists = tx
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await?
        .is_some();
    if !exists {
        tx.batch_execute(&format!("CREATE SCHEMA {s}")).await?;
    }
    let timescale = tx
        .query_opt(
            "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'",
            &[],
        )
        .await?
        .is_some();
    let mut created = Vec::new();
    for table in &TABLES {
        let rows = tx
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = $1 AND table_name = $2",
                &[&schema, &table.name],
            )
            .await?;
        if rows.is_empty() {
            tx.batch_execute(&(table.create)(&s, timescale)).await?;
            created.push(table.name);
            continue;
        }
        let found: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        compare(schema, table.name, table.columns, &found).map_err(SchemaError::Mismatch)?;
        let keys = tx
            .query(
                "SELECT array_agg(a.attname::text ORDER BY a.attname::text) \
                 FROM pg_index i JOIN pg_attribute a \
                   ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                 WHERE i.indrelid = $1::text::regclass AND i.indisunique \
                 GROUP BY i.indexrelid",
                &[&format!("{s}.{}", ident(table.name))],
            )
            .await?;
        let keys: Vec<Vec<String>> = keys.iter().map(|r| r.get(0)).collect();
        if !table.keys.iter().any(|want| {
            keys.iter()
                .any(|k| k.iter().map(String::as_str).eq(want.iter().copied()))
        }) {
            return Err(SchemaError::Mismatch(format!(
                "table {schema}.{} has no unique key on ({}): without it a redelivered \
                 record would add rows",
                table.name,
                table.keys[0].join(", ")
            )));
        }
    }
    tx.commit().await?;
    Ok(created)
}

/// Every expected column, present with its type; names the first that differs.
pub fn compare(
    schema: &str,
    table: &str,
    expected: Columns,
    found: &[(String, String)],
) -> Result<(), String> {
    for (name, ty) in expected {
        match found.iter().find(|(n, _)| n == name) {
            None => {
                return Err(format!(
                    "table {schema}.{table} has no column `{name}` ({ty}): add it, or use \
                     another schema"
                ))
            }
            Some((_, t)) if t != ty => {
                return Err(format!(
                    "column {schema}.{table}.{name} is {t}, expected {ty}"
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_column_that_differs() {
        let mut found: Vec<(String, String)> = SIGNALS
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        found.push(("extra".into(), "integer".into()));
        assert_eq!(compare("v", "signals", SIGNALS, &found), Ok(()));
        found[6].1 = "text".into();
        assert_eq!(
            compare("v", "signals", SIGNALS, &found).unwrap_err(),
            "column v.signals.num is text, expected double precision"
        );
        found.remove(6);
        assert!(compare("v", "signals", SIGNALS, &found)
            .unwrap_err()
            .contains("has no column `num`"));
    }

    #[test]
    fn with_timescaledb_signals_is_a_hypertable_whose_unique_key_holds_ts() {
        let plain = create_signals("\"v\"", false);
        assert!(plain.contains("UNIQUE (record_id, path, origin))"));
        assert!(!plain.contains("create_hypertable"));
        let ts = create_signals("\"v\"", true);
        assert!(ts.contains("UNIQUE (record_id, path, origin, ts))"), "{ts}");
        assert!(
            ts.contains("SELECT create_hypertable('\"v\".signals', 'ts');"),
            "{ts}"
        );
        // Both keys are accepted when the table is checked.
        assert_eq!(TABLES[1].keys.len(), 2);
    }

    #[test]
    fn quotes_any_schema_name() {
        assert_eq!(ident("vinstream"), "\"vinstream\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert!(check_name("").is_err());
        assert!(check_name(&"x".repeat(64)).is_err());
        assert!(check_name("fleet_1").is_ok());
    }
}
