//! The sender task: drain the spool in order, one batch at a time, until it is delivered
//! or rejected, then move the spool's cursor past it. It never drops a batch on its own.

use super::http::{Backoff, Outcome};
use super::shared::{open_spool, Shared, HANDOVER_WAIT};
use super::spool::{Batch, OpenError, Span};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

/// A batch's records stop growing past this many bytes (at least one record is taken).
const MAX_BATCH_BYTES: usize = 8 << 20;
/// Pause before trying a failed spool read or write again.
const IO_RETRY: Duration = Duration::from_secs(1);
/// How often a new instance checks whether the old one released the spool.
const HANDOVER_POLL: Duration = Duration::from_millis(20);

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(io::Error::other)?
}

/// Sleep, unless the sink goes away first (then false).
async fn pause(d: Duration, stop: &mut watch::Receiver<()>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = stop.changed() => false,
    }
}

/// The endpoint's health, logged when it changes (not on every retry).
struct Health {
    failing: Option<(Instant, u32)>,
    backoff: Backoff,
}

impl Health {
    fn failed(&mut self, shared: &Shared, reason: &str) {
        match &mut self.failing {
            None => {
                warn!(sink = %shared.name, endpoint = %shared.endpoint.shown, error = %reason,
                    "webhook endpoint failing; records wait in the spool and are retried");
                self.failing = Some((Instant::now(), 1));
            }
            Some((_, n)) => {
                *n += 1;
                debug!(sink = %shared.name, error = %reason, attempts = *n, "webhook retry failed");
            }
        }
        shared.set_last_error(Some(reason.to_string()));
    }

    fn answered(&mut self, shared: &Shared) {
        if let Some((since, attempts)) = self.failing.take() {
            info!(sink = %shared.name, after = ?since.elapsed(), attempts,
                "webhook endpoint recovered");
        }
        self.backoff.reset();
        shared.set_last_error(None);
        shared.set_attention(None);
    }
}

/// Wait until the previous instance of this sink (a reload) has released the spool, and
/// open it. None when the sink goes away first.
async fn take_over(shared: &Shared, stop: &mut watch::Receiver<()>) -> Option<()> {
    let started = Instant::now();
    let mut warned = false;
    loop {
        match open_spool(&shared.dir, shared.limit).await {
            Ok(spool) => {
                info!(sink = %shared.name, spooled_bytes = spool.size(), waited = ?started.elapsed(),
                    "webhook spool taken over from the previous instance");
                let _ = shared.spool.set(Arc::new(spool));
                shared.opened.send_replace(true);
                return Some(());
            }
            Err(OpenError::HeldHere) => {
                if !warned && started.elapsed() > HANDOVER_WAIT {
                    warned = true;
                    warn!(sink = %shared.name, spool = %shared.dir.display(),
                        "the previous webhook sink instance still holds the spool; records wait");
                }
                if !pause(HANDOVER_POLL, stop).await {
                    return None;
                }
            }
            Err(e) => {
                error!(sink = %shared.name, spool = %shared.dir.display(), error = %e,
                    "cannot open the webhook spool; retrying");
                if !pause(IO_RETRY, stop).await {
                    return None;
                }
            }
        }
    }
}

pub(super) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<()>) {
    if shared.spool.get().is_none() && take_over(&shared, &mut stop).await.is_none() {
        return;
    }
    let mut health = Health {
        failing: None,
        backoff: Backoff::default(),
    };
    loop {
        let Some(batch) = next_batch(&shared, &mut stop).await else {
            return;
        };
        let id = format!(
            "{}-{}-{}",
            shared.spool().id(),
            batch.span.start.seq,
            batch.span.start.offset
        );
        if !deliver(&shared, &mut health, &id, &batch, &mut stop).await {
            return;
        }
        loop {
            let spool = shared.spool().clone();
            let span = batch.span;
            match blocking(move || spool.ack(span)).await {
                Ok(()) => break,
                Err(e) => {
                    error!(sink = %shared.name, error = %e, "cannot move the spool cursor");
                    if !pause(IO_RETRY, &mut stop).await {
                        return;
                    }
                }
            }
        }
    }
}

/// Send until delivered or rejected (true), or until the sink goes away (false).
async fn deliver(
    shared: &Shared,
    health: &mut Health,
    id: &str,
    batch: &Batch,
    stop: &mut watch::Receiver<()>,
) -> bool {
    let prepared = shared.endpoint.prepare(&batch.records);
    loop {
        let outcome = tokio::select! {
            o = shared.endpoint.post(id, &prepared) => o,
            _ = stop.changed() => return false,
        };
        match outcome {
            Outcome::Delivered => {
                health.answered(shared);
                debug!(sink = %shared.name, batch = id, records = batch.records.len(), "webhook batch delivered");
                return true;
            }
            Outcome::Rejected { status, response } => {
                health.answered(shared);
                let n = shared.rejected_batches.fetch_add(1, Ordering::SeqCst) + 1;
                crate::telemetry::sink_rejected(&shared.name);
                warn!(sink = %shared.name, batch = id, status, records = batch.records.len(),
                    rejected_batches = n, "webhook endpoint rejected a batch; it is kept in rejected.jsonl");
                let max = shared.rejected_max_bytes;
                let mut line = rejected_line(&shared.name, id, status, &response, &batch.records);
                if line.len() as u64 > max / 2 {
                    warn!(sink = %shared.name, batch = id, bytes = line.len(), rejected_max_bytes = max,
                        "the rejected batch is larger than half of rejected_max_bytes; only its id and the answer are kept");
                    line = rejected_stub(&shared.name, id, status, &response, batch.records.len());
                    crate::telemetry::sink_rejected_dropped(&shared.name, 1);
                }
                let path = shared.dir.join("rejected.jsonl");
                loop {
                    let (p, l) = (path.clone(), line.clone());
                    match blocking(move || append_rejected(&p, &l, max)).await {
                        Ok(0) => return true,
                        Ok(dropped) => {
                            warn!(sink = %shared.name, path = %path.display(), dropped_batches = dropped,
                                rejected_max_bytes = max,
                                "rejected.jsonl is full: it became rejected.jsonl.1, and the batches of the previous rejected.jsonl.1 are dropped");
                            crate::telemetry::sink_rejected_dropped(&shared.name, dropped);
                            return true;
                        }
                        Err(e) => {
                            error!(sink = %shared.name, path = %path.display(), error = %e,
                                "cannot write the rejected batch; retrying");
                            if !pause(IO_RETRY, stop).await {
                                return false;
                            }
                        }
                    }
                }
            }
            Outcome::Retry {
                reason,
                after,
                attention,
            } => {
                health.failed(shared, &reason);
                if let Some(a) = attention {
                    shared.set_attention(Some(format!(
                        "webhook endpoint {} answers {a}; batches wait in the spool and are retried",
                        shared.endpoint.shown
                    )));
                }
                let delay = match after {
                    Some(a) => a.max(Duration::from_millis(100)),
                    None => health.backoff.next_delay(),
                };
                if !pause(delay, stop).await {
                    return false;
                }
            }
        }
    }
}

/// The next batch: the one in flight before a restart if there was one, else up to
/// `batch_max` records, waiting up to `batch_timeout` for more once the first is there.
async fn next_batch(shared: &Shared, stop: &mut watch::Receiver<()>) -> Option<Batch> {
    if let Some(span) = shared.spool().inflight() {
        loop {
            let spool = shared.spool().clone();
            match blocking(move || spool.read_span(span)).await {
                Ok(b) if b.span == span => return Some(b),
                Ok(b) => {
                    warn!(sink = %shared.name, expected = ?span, found = ?b.span,
                        "the batch in flight before the restart is not whole in the spool; sending what is there");
                    break;
                }
                Err(e) => {
                    error!(sink = %shared.name, error = %e, "cannot read the spool");
                    if !pause(IO_RETRY, stop).await {
                        return None;
                    }
                }
            }
        }
    }
    let mut records: Vec<Vec<u8>> = Vec::new();
    let mut bytes = 0;
    let mut start = None;
    let mut end = shared.spool().cursor();
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let spool = shared.spool().clone();
        let (want, room) = (shared.batch_max - records.len(), MAX_BATCH_BYTES - bytes);
        match blocking(move || spool.read(end, want, room)).await {
            Ok(got) => {
                if !got.records.is_empty() {
                    start.get_or_insert(got.span.start);
                    bytes += got.records.iter().map(Vec::len).sum::<usize>();
                    records.extend(got.records);
                }
                end = got.span.end;
            }
            Err(e) => {
                error!(sink = %shared.name, error = %e, "cannot read the spool");
                if !pause(IO_RETRY, stop).await {
                    return None;
                }
                continue;
            }
        }
        if records.len() >= shared.batch_max || bytes >= MAX_BATCH_BYTES {
            break;
        }
        if records.is_empty() {
            tokio::select! {
                _ = shared.wake.notified() => {}
                _ = stop.changed() => return None,
            }
            continue;
        }
        if shared.closing.load(Ordering::SeqCst) {
            break;
        }
        let d = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + shared.batch_timeout);
        if tokio::time::Instant::now() >= d {
            break;
        }
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep_until(d) => {}
            _ = stop.changed() => return None,
        }
    }
    let span = Span {
        start: start.expect("a batch has a first record"),
        end,
    };
    loop {
        let spool = shared.spool().clone();
        match blocking(move || spool.set_inflight(span)).await {
            Ok(()) => return Some(Batch { span, records }),
            Err(e) => {
                error!(sink = %shared.name, error = %e, "cannot write the spool cursor");
                if !pause(IO_RETRY, stop).await {
                    return None;
                }
            }
        }
    }
}

/// One line of rejected.jsonl: when, which batch, the endpoint's answer and the records.
pub(super) fn rejected_line(
    sink: &str,
    batch_id: &str,
    status: u16,
    response: &str,
    records: &[Vec<u8>],
) -> Vec<u8> {
    let s = |v: &str| serde_json::to_string(v).expect("a string always serializes");
    let mut line = format!(
        r#"{{"rejected_at":{},"sink":{},"batch_id":{},"status":{status},"response":{},"records":"#,
        s(&crate::record::format_millis(&chrono::Utc::now())),
        s(sink),
        s(batch_id),
        s(response),
    )
    .into_bytes();
    line.extend_from_slice(&super::http::json_array(records));
    line.extend_from_slice(b"}\n");
    line
}

/// rejected.jsonl's line for a batch too large to keep whole: its id and the answer.
pub(super) fn rejected_stub(
    sink: &str,
    batch_id: &str,
    status: u16,
    response: &str,
    records: usize,
) -> Vec<u8> {
    let s = |v: &str| serde_json::to_string(v).expect("a string always serializes");
    format!(
        r#"{{"rejected_at":{},"sink":{},"batch_id":{},"status":{status},"response":{},"records_omitted":{records}}}"#,
        s(&crate::record::format_millis(&chrono::Utc::now())),
        s(sink),
        s(batch_id),
        s(response),
    )
    .into_bytes()
    .into_iter()
    .chain(*b"\n")
    .collect()
}

/// Append `line` to `path` (rejected.jsonl), keeping it and `{path}.1` together under
/// `max` bytes: when `path` would pass `max / 2`, it becomes `{path}.1` (the previous
/// `.1` is dropped) and a new `path` starts. Returns how many lines (batches) the
/// dropped `.1` held.
pub(super) fn append_rejected(path: &std::path::Path, line: &[u8], max: u64) -> io::Result<u64> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e),
    };
    let mut dropped = 0;
    if len > 0 && len + line.len() as u64 > max / 2 {
        let mut older = path.as_os_str().to_owned();
        older.push(".1");
        let older = std::path::PathBuf::from(older);
        match std::fs::read(&older) {
            Ok(bytes) => dropped = bytes.iter().filter(|&&b| b == b'\n').count() as u64,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::fs::rename(path, &older)?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
    }
    append_line(path, line)?;
    Ok(dropped)
}

fn append_line(path: &std::path::Path, line: &[u8]) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(line)?;
    f.sync_data()
}
