//! The one task that owns the PostgreSQL connection: it connects (and creates or checks
//! the schema), writes the batches handed to it, and when the connection is lost, or a
//! write fails, drops it and connects again after a jittered backoff (1 s doubling to
//! 60 s, as for providers). While it has no connection every batch is answered with the
//! reason at once: the pipeline retries it, holding its acks (backpressure, not loss).

use super::schema::{self, SchemaError};
use super::url::Target;
use super::write::{WriteError, Writer};
use crate::mqtt::backoff::Backoff;
use crate::record::Record;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{info, warn};

/// A batch handed to the task, answered once committed (or not).
pub struct Request {
    pub records: Vec<Arc<Record>>,
    pub done: oneshot::Sender<Result<(), String>>,
}

/// How the first connection attempt went, for `build`.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Waiting,
    Connected,
    /// The schema differs from SPEC.md §6: the user must act, starting would not help.
    Mismatch(String),
    Failed(String),
}

/// What the task tells the sink: readiness and the first verdict.
pub struct Status {
    problem: Mutex<Option<String>>,
    pub verdict: watch::Sender<Verdict>,
    /// Batches on their way: counted up by `accept` before it sends one, down by this
    /// task when it takes one (see [`gather`]). Counting down on the sending side would
    /// race: the task could see its own batch as still coming, and linger for it.
    pub arriving: AtomicUsize,
}

impl Status {
    pub fn new() -> Status {
        Status {
            problem: Mutex::new(Some("not connected to PostgreSQL yet".into())),
            verdict: watch::channel(Verdict::Waiting).0,
            arriving: AtomicUsize::new(0),
        }
    }

    pub fn problem(&self) -> Option<String> {
        self.problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set(&self, problem: Option<String>) {
        *self.problem.lock().unwrap_or_else(|p| p.into_inner()) = problem;
    }

    fn first(&self, v: Verdict) {
        self.verdict.send_if_modified(|old| {
            let first = *old == Verdict::Waiting;
            if first {
                *old = v;
            }
            first
        });
    }
}

/// The task's fixed settings.
pub struct Settings {
    pub name: String,
    pub target: Target,
    pub schema: String,
    pub max_rows: usize,
    pub linger: Duration,
}

/// Start the task; it ends when every sender of `rx` is gone.
pub fn spawn(s: Settings, rx: mpsc::Receiver<Request>, status: Arc<Status>) -> JoinHandle<()> {
    tokio::spawn(run(s, rx, status))
}

async fn run(s: Settings, mut rx: mpsc::Receiver<Request>, status: Arc<Status>) {
    let mut backoff = Backoff::standard();
    let place = s.target.describe();
    let mut was_down = false;
    let mut warned: Option<String> = None;
    loop {
        let problem = match connect(&s).await {
            Ok((mut writer, mut connection, created)) => {
                backoff.reset();
                warned = None;
                status.set(None);
                status.first(Verdict::Connected);
                if !created.is_empty() {
                    info!(sink = %s.name, schema = %s.schema, tables = ?created,
                        "created the PostgreSQL tables");
                }
                info!(sink = %s.name, server = %place, reconnected = was_down,
                    "connected to PostgreSQL");
                match serve(&s, &mut writer, &mut connection, &mut rx, &status).await {
                    None => return,
                    Some(why) => why,
                }
            }
            Err(SchemaError::Mismatch(m)) => {
                status.first(Verdict::Mismatch(m.clone()));
                m
            }
            Err(SchemaError::Server(e)) => {
                let m = format!("cannot connect to PostgreSQL at {place}: {}", describe(&e));
                status.first(Verdict::Failed(m.clone()));
                m
            }
        };
        if warned.as_deref() != Some(&problem) {
            warn!(sink = %s.name, problem = %problem, "PostgreSQL sink not ready; batches wait");
            warned = Some(problem.clone());
        }
        was_down = true;
        status.set(Some(problem.clone()));
        let until = Instant::now() + backoff.next_random();
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break,
                req = take(&mut rx, &status) => match req {
                    Some(r) => { let _ = r.done.send(Err(problem.clone())); }
                    None => return,
                },
            }
        }
    }
}

type Connection = JoinHandle<Result<(), tokio_postgres::Error>>;

async fn connect(s: &Settings) -> Result<(Writer, Connection, Vec<&'static str>), SchemaError> {
    let tls = s.target.rustls().map_err(SchemaError::Mismatch)?;
    let (mut client, connection) = match tls {
        None => {
            let (c, conn) = s.target.config.connect(tokio_postgres::NoTls).await?;
            (c, tokio::spawn(conn))
        }
        Some(config) => {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new((*config).clone());
            let (c, conn) = s.target.config.connect(tls).await?;
            (c, tokio::spawn(conn))
        }
    };
    let created = schema::ensure(&mut client, &s.schema).await?;
    let writer = Writer::prepare(client, &s.schema).await?;
    Ok((writer, connection, created))
}

/// Write batches until the connection ends or a write fails (the reason), or the sink
/// is gone (`None`).
async fn serve(
    s: &Settings,
    writer: &mut Writer,
    connection: &mut Connection,
    rx: &mut mpsc::Receiver<Request>,
    status: &Status,
) -> Option<String> {
    loop {
        let first = tokio::select! {
            end = &mut *connection => return Some(match end {
                Ok(Ok(())) => "the PostgreSQL server closed the connection".into(),
                Ok(Err(e)) => format!("lost the PostgreSQL connection: {}", describe(&e)),
                Err(e) => format!("the PostgreSQL connection task failed: {e}"),
            }),
            req = take(rx, status) => req?,
        };
        let requests = gather(first, rx, s, status).await;
        let records: Vec<Arc<Record>> = requests
            .iter()
            .flat_map(|r| r.records.iter().cloned())
            .collect();
        let mut failed = None;
        for chunk in chunks(&records, s.max_rows) {
            if let Err(e) = writer.write(chunk).await {
                let why = match e {
                    WriteError::Db(e) => describe(&e),
                    WriteError::Encode(m) => m,
                };
                failed = Some(format!("writing to PostgreSQL: {why}"));
                break;
            }
        }
        for r in requests {
            let _ = r.done.send(failed.clone().map_or(Ok(()), Err));
        }
        // Rolled back: reconnecting resets the session and re-checks the schema, which
        // recreates a table someone dropped.
        if let Some(why) = failed {
            return Some(why);
        }
    }
}

/// `first` and the batches queued behind it, up to `max_rows` signal rows. It waits (at
/// most `linger` since `first`) only while another `accept` is about to hand its batch
/// over: the pipeline hands over all it has and waits for the commit, so waiting for
/// batches that cannot come would only delay acks.
async fn gather(
    first: Request,
    rx: &mut mpsc::Receiver<Request>,
    s: &Settings,
    status: &Status,
) -> Vec<Request> {
    let deadline = Instant::now() + s.linger;
    let mut rows = row_count(&first.records);
    let mut out = vec![first];
    while rows < s.max_rows {
        let next = match rx.try_recv() {
            Ok(r) => {
                status.arriving.fetch_sub(1, Ordering::SeqCst);
                Some(r)
            }
            Err(_) if status.arriving.load(Ordering::SeqCst) > 0 => {
                tokio::time::timeout_at(deadline, take(rx, status))
                    .await
                    .ok()
                    .flatten()
            }
            Err(_) => None,
        };
        let Some(r) = next else { break };
        rows += row_count(&r.records);
        out.push(r);
    }
    out
}

/// The next batch, counted as arrived.
async fn take(rx: &mut mpsc::Receiver<Request>, status: &Status) -> Option<Request> {
    let r = rx.recv().await;
    if r.is_some() {
        status.arriving.fetch_sub(1, Ordering::SeqCst);
    }
    r
}

fn row_count(records: &[Arc<Record>]) -> usize {
    records.iter().map(|r| r.signals.len().max(1)).sum()
}

/// Consecutive runs of whole records of at most `max_rows` signal rows (a larger record
/// alone).
pub fn chunks(records: &[Arc<Record>], max_rows: usize) -> Vec<&[Arc<Record>]> {
    let mut out = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for (i, r) in records.iter().enumerate() {
        let n = r.signals.len().max(1);
        if i > start && rows + n > max_rows {
            out.push(&records[start..i]);
            (start, rows) = (i, 0);
        }
        rows += n;
    }
    if start < records.len() {
        out.push(&records[start..]);
    }
    out
}

/// A tokio-postgres error with the server's message (its `Display` says only "db
/// error"). No part of it holds the password.
pub fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut m = format!("{}: {}", db.code().code(), db.message());
        if let Some(d) = db.detail() {
            m.push_str(&format!(" ({d})"));
        }
        return m;
    }
    let mut m = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        m.push_str(&format!(": {s}"));
        source = s.source();
    }
    m
}
