//! Reconnect backoff: jittered exponential, 1 s doubling to 60 s (SPEC.md §5).
//! rumqttc redials immediately on the next poll, so without this a refused client
//! hammers the broker (and BMW throttles accounts that do).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    floor: Duration,
    attempt: u32,
}

impl Backoff {
    /// `floor` is a lower bound on every delay (10 s for BMW), jitter included.
    pub fn new(base: Duration, max: Duration, floor: Duration) -> Backoff {
        Backoff {
            base,
            max,
            floor,
            attempt: 0,
        }
    }

    pub fn standard() -> Backoff {
        Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(60),
            Duration::ZERO,
        )
    }

    /// The next delay: the exponential step `d` jittered uniformly into `[d/2, d]`, so
    /// replicas that lost the broker together do not return together.
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16));
        let d = exp.min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let jittered = d.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        jittered.max(self.floor)
    }

    pub fn next_random(&mut self) -> Duration {
        self.next_delay(fastrand::f64())
    }

    /// A connection succeeded: start again from the base delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_jitter_in_the_upper_half() {
        let mut b = Backoff::standard();
        let full: Vec<u64> = (0..9).map(|_| b.next_delay(1.0).as_secs()).collect();
        assert_eq!(full, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
        b.reset();
        assert_eq!(b.next_delay(0.0), Duration::from_millis(500));
        assert_eq!(b.next_delay(0.0), Duration::from_secs(1));
    }

    #[test]
    fn floor_applies_to_every_delay() {
        let mut b = Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(60),
            Duration::from_secs(10),
        );
        assert_eq!(b.next_delay(0.0), Duration::from_secs(10));
        for _ in 0..10 {
            assert!(b.next_random() >= Duration::from_secs(10));
        }
    }
}
