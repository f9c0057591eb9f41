//! Deadline-bounded polling helpers. Never use bare sleeps for synchronisation: poll a
//! condition with one of these instead.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

/// Poll interval used by [`until`] and [`until_async`].
pub const POLL: Duration = Duration::from_millis(20);

/// Calls `f` every 20 ms until it returns `Some`, and returns that value.
/// Panics with `what` if `timeout` elapses first. `f` is always called at least once,
/// and once more at the deadline.
pub fn until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        let now = Instant::now();
        if now >= deadline {
            // One last try so a condition that became true during the final sleep counts.
            if let Some(v) = f() {
                return v;
            }
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        std::thread::sleep(POLL.min(deadline - now));
    }
}

/// Like [`until`], but returns `None` on deadline instead of panicking.
pub fn try_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return f();
        }
        std::thread::sleep(POLL.min(deadline - now));
    }
}

/// Async variant of [`until`]: awaits `f()` every 20 ms (tokio timer) until it yields `Some`.
/// Use this inside `#[tokio::test]` so the runtime keeps driving other tasks (MQTT event
/// loops) while waiting.
pub async fn until_async<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        let now = Instant::now();
        if now >= deadline {
            if let Some(v) = f().await {
                return v;
            }
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(POLL.min(deadline - now)).await;
    }
}

/// Async variant for synchronous conditions (no future per poll).
pub async fn until_async_sync<T>(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    until_async(what, timeout, || std::future::ready(f())).await
}

/// Async variant of [`try_until`] for synchronous conditions: `None` on deadline.
pub async fn try_until_async<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return f();
        }
        tokio::time::sleep(POLL.min(deadline - now)).await;
    }
}
