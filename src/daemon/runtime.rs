//! The tokio runtime `run` and `demo` drive the pipeline on: one worker and a small
//! blocking pool, sized for the memory and CPU budget (docs/performance.md).

/// Blocking-pool threads besides the worker: see [`runtime`]. Three, so that the kinds
/// of blocking work that overlap — a dedup commit, the pipeline's dedup lookup or sink
/// write (a file batch, a webhook spool append), and the stand-in worker of a stdout
/// write through `block_in_place` — each find a thread: with one worker, a stand-in that
/// waited for a thread would leave every task waiting with it.
const BLOCKING_THREADS: usize = 3;

/// The runtime `run` and `demo` drive the pipeline on.
///
/// One worker thread: at steady rates every message is a batch of its own, and with two
/// workers each hand-off between the driver, the pipeline and the committer could wake
/// the other worker — about two context switches per message, a third of the CPU at
/// 2,000 msg/s. One worker halves them at the same drain rate (docs/performance.md); the
/// parallelism a drain uses comes from the blocking pool (dedup commits, file writes)
/// and the broker. The runtime stays multi-threaded so that a blocking write can hand
/// the worker's tasks to a stand-in thread (`block_in_place`).
///
/// The blocking pool (dedup commits, spool and file writes, those stand-ins) is capped
/// at [`BLOCKING_THREADS`]: tokio's default of up to 512 let a backlog drain grow to ~8
/// threads, each with its own glibc malloc arena, and that cost 10–15 MiB of peak RSS
/// (docs/performance.md) for no gain in rate; with the worker, the process has at most
/// four threads besides `main`, as many as it had with two workers and a pool of two. No
/// blocking task here waits on another task, so a small pool queues work, it cannot
/// deadlock.
///
/// A drain with a webhook sink is ~15 % faster on two workers (the HTTP client runs
/// beside the pipeline); `TOKIO_WORKER_THREADS` in the environment chooses that.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let workers = worker_threads(std::env::var("TOKIO_WORKER_THREADS").ok().as_deref())?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
}

/// The worker count: 1, or what `TOKIO_WORKER_THREADS` says. tokio would read the
/// variable itself, but panic on a bad value; this names it instead.
fn worker_threads(env: Option<&str>) -> std::io::Result<usize> {
    match env.map(|v| (v, v.trim().parse::<usize>())) {
        None => Ok(1),
        Some((_, Ok(n))) if n > 0 => Ok(n),
        Some((v, _)) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("TOKIO_WORKER_THREADS must be a number of threads (1 or more), not {v:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// One worker unless `TOKIO_WORKER_THREADS` says otherwise; a bad value is an error
    /// that names the variable, not tokio's panic.
    #[test]
    fn the_runtime_has_one_worker_unless_the_environment_says_otherwise() {
        use super::worker_threads;
        assert_eq!(worker_threads(None).unwrap(), 1);
        assert_eq!(worker_threads(Some("2")).unwrap(), 2);
        assert_eq!(worker_threads(Some(" 3 ")).unwrap(), 3);
        for bad in ["0", "", "two", "-1"] {
            let e = worker_threads(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("TOKIO_WORKER_THREADS") && e.contains(bad), "{e}");
        }
        let rt = super::runtime().unwrap();
        let expected = worker_threads(std::env::var("TOKIO_WORKER_THREADS").ok().as_deref());
        assert_eq!(rt.metrics().num_workers(), expected.unwrap());
    }

    /// Blocking tasks beyond the cap wait for a thread instead of getting one of their
    /// own. Each task waits (up to a deadline) for one more to run beside it, so without
    /// the cap all of them would run at once.
    #[test]
    fn the_runtime_caps_its_blocking_tasks() {
        let rt = super::runtime().unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let tasks: Vec<_> = (0..super::BLOCKING_THREADS + 2)
                .map(|_| {
                    let (running, most) = (running.clone(), most.clone());
                    tokio::task::spawn_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        let deadline = Instant::now() + Duration::from_millis(300);
                        while running.load(Ordering::SeqCst) <= super::BLOCKING_THREADS
                            && Instant::now() < deadline
                        {
                            std::thread::yield_now();
                        }
                        most.fetch_max(running.load(Ordering::SeqCst), Ordering::SeqCst);
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), super::BLOCKING_THREADS);
    }
}
