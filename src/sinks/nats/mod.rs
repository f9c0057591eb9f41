//! The `nats` sink: every record is published to JetStream — subject from the `subject`
//! template, payload the record's JSON line (without the newline), header
//! `Nats-Msg-Id` = record id — and a batch counts as accepted only once JetStream acked
//! every record of it. JetStream's duplicate window drops a record published twice with
//! the same id: a retried batch, or a redelivery handled by another replica, lands once.
//! See docs/scale-out.md.

mod link;
mod subject;

pub use subject::{message_id, sanitize, SubjectTemplate};

pub mod config;
use super::sink::{Sink, SinkError};
use crate::config::Problems;
use crate::record::Record;
use async_nats::jetstream::context::{PublishAckFuture, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_trait::async_trait;
use config::NatsSinkConfig;
use link::{Link, StreamPlan};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tracing::debug;

/// How long `build` waits for the first connection and stream check before it lets the
/// daemon start anyway (NATS being down is not a reason to refuse to start).
const FIRST_VERDICT: Duration = Duration::from_secs(3);

pub struct NatsSink {
    name: String,
    stream: String,
    subject: SubjectTemplate,
    timeout: Duration,
    link: Link,
}

pub async fn build(
    name: &str,
    config: &NatsSinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    let _ = state_dir; // JetStream is the durable store: nothing is spooled locally.
    Ok(Arc::new(NatsSink::open(name, config).await?))
}

/// Checks the settings without connecting (for `vinstream check`): the subject template,
/// the stream name, `subjects`, the server list, `timeout`, and that the files exist.
pub fn check_config(config: &NatsSinkConfig) -> Result<(), String> {
    stream_plan(config)?;
    link::parse_servers(&config.url)?;
    if config.timeout.0.is_zero() {
        return Err("timeout: must be more than 0".into());
    }
    for (key, file) in [
        ("credentials_file", &config.credentials_file),
        ("ca_file", &config.ca_file),
    ] {
        if let Some(path) = file {
            std::fs::metadata(path).map_err(|e| format!("{key} {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Report what `build` would refuse (see the registry in `sinks/mod.rs`).
pub fn check(config: &NatsSinkConfig, p: &mut Problems) {
    if let Err(m) = check_config(config) {
        p.report(m);
    }
}

/// The stream to publish into and how to create it, from the config.
fn stream_plan(config: &NatsSinkConfig) -> Result<StreamPlan, String> {
    let subject = SubjectTemplate::parse(&config.subject)?;
    let name = &config.stream;
    if name.is_empty()
        || name.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '.' | '*' | '>' | '/' | '\\')
        })
    {
        return Err(format!(
            "stream: {name:?} is not a valid stream name (no spaces, `.`, `*`, `>`, `/` or `\\`)"
        ));
    }
    let subjects = match &config.subjects {
        Some(s) if s.is_empty() => return Err("subjects: must not be empty".into()),
        Some(s) => s.clone(),
        None => vec![subject.wildcard()],
    };
    Ok(StreamPlan {
        name: name.clone(),
        create: config.create_stream,
        subjects,
        max_age: config.max_age.map(|d| d.0),
        duplicate_window: config.duplicate_window.0,
    })
}

impl NatsSink {
    pub async fn open(name: &str, config: &NatsSinkConfig) -> Result<NatsSink, String> {
        check_config(config)?;
        let subject = SubjectTemplate::parse(&config.subject)?;
        let plan = stream_plan(config)?;
        let link = Link::open(name, config, plan).await?;
        link.first_verdict(FIRST_VERDICT.min(config.timeout.0))
            .await;
        if let Some(problem) = link.problem() {
            tracing::warn!(sink = %name, problem = %problem,
                "the NATS sink is not ready yet; batches wait until it is");
        }
        Ok(NatsSink {
            name: name.to_string(),
            stream: config.stream.clone(),
            subject,
            timeout: config.timeout.0,
            link,
        })
    }

    /// Publish every record, then wait for every ack: one round trip for the batch.
    async fn publish(&self, batch: &[Arc<Record>]) -> Result<(), String> {
        let mut pending: Vec<(&Record, String, PublishAckFuture)> = Vec::with_capacity(batch.len());
        for record in batch {
            let subject = self.subject.render(record);
            let message = PublishMessage::build()
                .payload(subject::payload(record).into())
                .message_id(message_id(&record.id))
                .expected_stream(&self.stream);
            let ack = self
                .link
                .js
                .send_publish(subject.clone(), message)
                .await
                .map_err(|e| self.explain(record, &subject, e.kind(), &e))?;
            pending.push((record, subject, ack));
        }
        let mut duplicates = 0usize;
        for (record, subject, ack) in pending {
            let ack = ack
                .await
                .map_err(|e| self.explain(record, &subject, e.kind(), &e))?;
            duplicates += usize::from(ack.duplicate);
        }
        debug!(sink = %self.name, records = batch.len(), duplicates, "batch stored in JetStream");
        Ok(())
    }

    fn explain(
        &self,
        record: &Record,
        subject: &str,
        kind: PublishErrorKind,
        error: &dyn std::fmt::Display,
    ) -> String {
        match kind {
            PublishErrorKind::StreamNotFound => {
                self.link.recheck();
                let why = self
                    .link
                    .status
                    .stream_problem()
                    .unwrap_or_else(|| format!("is stream {} listening on it?", self.stream));
                format!("no JetStream stream takes subject {subject}: {why}")
            }
            PublishErrorKind::MaxPayloadExceeded => format!(
                "record {} ({} bytes) is larger than the NATS server's max_payload ({} bytes): \
                 raise max_payload on the server",
                record.id,
                subject::payload(record).len(),
                self.link.client.server_info().max_payload
            ),
            _ => format!("publishing record {} to {subject}: {error}", record.id),
        }
    }
}

#[async_trait]
impl Sink for NatsSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        if !self.link.connected() {
            let why = self.link.problem();
            return Err(SinkError::Other(
                why.unwrap_or_else(|| "not connected to NATS".into()),
            ));
        }
        let result = match tokio::time::timeout(self.timeout, self.publish(batch)).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "JetStream did not ack the batch of {} records within {:?} (timeout)",
                batch.len(),
                self.timeout
            )),
        };
        self.link
            .status
            .set_batch_error(result.as_ref().err().cloned());
        result.map_err(SinkError::Other)
    }

    async fn close(&self) -> Result<(), SinkError> {
        // Every accepted record was acked already; this only flushes the socket.
        let flushed = tokio::time::timeout(Duration::from_secs(5), self.link.client.flush()).await;
        match flushed {
            Ok(Err(e)) if self.link.connected() => Err(SinkError::Other(format!("flush: {e}"))),
            _ => Ok(()),
        }
    }

    fn problem(&self) -> Option<String> {
        self.link.problem()
    }
}

#[cfg(test)]
mod tests;
