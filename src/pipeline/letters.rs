//! Dead letters from the pipeline: payloads that did not parse, and parts of records a
//! sink refused for good. Both are acked only once their letter is on disk. The file
//! writes and fsyncs run on a blocking thread: on the async workers a slow disk would
//! stall every provider's keep-alive and acks, not just this batch.

use crate::deadletter::{DeadLetter, Letter};
use crate::sinks::Refusal;
use crate::telemetry;
use std::sync::Arc;
use std::time::Duration;

/// The letters for what `sink` refused, stamped now.
pub(super) fn refused_lines(sink: &str, refused: &[Refusal]) -> std::io::Result<Vec<u8>> {
    let now = chrono::Utc::now();
    let reasons: Vec<String> = refused
        .iter()
        .map(|r| format!("VIN {}: {}", r.vin, r.reason))
        .collect();
    let letters: Vec<Letter<'_>> = refused
        .iter()
        .enumerate()
        .map(|(i, r)| Letter {
            received_at: now,
            source: sink,
            topic: &r.topic,
            payload: r.payload.as_bytes(),
            reason: &reasons[i],
            sink: Some(sink),
        })
        .collect();
    for r in refused {
        telemetry::sink_refused(sink, &r.vin, &r.reason);
    }
    DeadLetter::encode(&letters)
}

/// Append `lines` to the dead letter, retrying with backoff until it is on disk: the acks
/// wait for it (a full disk holds them, it does not lose the payloads).
pub(super) async fn write(dead_letter: &DeadLetter, lines: Vec<u8>) {
    if lines.is_empty() {
        return;
    }
    let lines = Arc::new(lines);
    let mut delay = Duration::from_millis(100);
    loop {
        let (dl, buf) = (dead_letter.clone(), lines.clone());
        let written = tokio::task::spawn_blocking(move || dl.append(&buf))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        match written {
            Ok(()) => return telemetry::dead_letter_written(),
            Err(e) => {
                telemetry::dead_letter_failed(dead_letter.path(), &e, delay);
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}
