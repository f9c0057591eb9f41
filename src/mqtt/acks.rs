//! The ack sequencer: pure bookkeeping that decides which PUBACKs may go out.
//!
//! MQTT requires PUBACKs in receive order ([MQTT-4.6.0-2]) and rumqttc leaves ordering
//! to us. Worse, an ack from a dead connection sent on a new one can acknowledge a
//! different message that reuses the packet id. So every delivery gets a slot
//! `(epoch, seq)`; only the completed prefix of the *current* epoch is released, and
//! starting a new epoch forgets everything older (the broker redelivers it).

use std::collections::VecDeque;

/// Identifies one delivery: the connection it came on and its receive position there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    pub epoch: u64,
    pub seq: u64,
}

#[derive(Debug)]
struct Entry<P> {
    done: bool,
    /// `None` for deliveries that need no ack (QoS 0) but still hold their place.
    ack: Option<P>,
}

/// Generic over the ack handle `P` (the received publish) so it can be model-tested.
#[derive(Debug)]
pub struct AckSequencer<P> {
    epoch: u64,
    /// seq of `queue[0]`.
    head: u64,
    queue: VecDeque<Entry<P>>,
}

impl<P> Default for AckSequencer<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> AckSequencer<P> {
    pub fn new() -> Self {
        AckSequencer {
            epoch: 0,
            head: 0,
            queue: VecDeque::new(),
        }
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// A connection ended or began: whatever is outstanding belongs to a dead epoch and
    /// will never be acked. Returns the new epoch.
    pub fn new_epoch(&mut self) -> u64 {
        self.epoch += 1;
        self.head = 0;
        self.queue.clear();
        self.epoch
    }

    /// Register a received delivery in the current epoch.
    pub fn receive(&mut self, ack: Option<P>) -> Slot {
        let seq = self.head + self.queue.len() as u64;
        self.queue.push_back(Entry { done: false, ack });
        Slot {
            epoch: self.epoch,
            seq,
        }
    }

    /// Every sink accepted the delivery in `slot`. Returns the acks that may be sent now,
    /// in receive order; nothing for a stale epoch or an unknown/duplicate completion.
    pub fn complete(&mut self, slot: Slot) -> Vec<P> {
        if slot.epoch != self.epoch || slot.seq < self.head {
            return Vec::new();
        }
        let idx = (slot.seq - self.head) as usize;
        match self.queue.get_mut(idx) {
            Some(e) => e.done = true,
            None => return Vec::new(),
        }
        let mut release = Vec::new();
        while self.queue.front().is_some_and(|e| e.done) {
            let e = self.queue.pop_front().expect("front exists");
            self.head += 1;
            release.extend(e.ack);
        }
        release
    }

    /// Deliveries of the current epoch not yet acked (or released).
    pub fn outstanding(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_only_the_completed_prefix_in_order() {
        let mut s = AckSequencer::new();
        s.new_epoch();
        let a = s.receive(Some(1));
        let b = s.receive(Some(2));
        let c = s.receive(Some(3));
        assert!(s.complete(c).is_empty());
        assert!(s.complete(b).is_empty());
        assert_eq!(s.complete(a), vec![1, 2, 3]);
        assert_eq!(s.outstanding(), 0);
    }

    #[test]
    fn a_new_epoch_forgets_stale_slots() {
        let mut s = AckSequencer::new();
        s.new_epoch();
        let old = s.receive(Some(1));
        s.new_epoch();
        let new = s.receive(Some(1));
        assert!(
            s.complete(old).is_empty(),
            "stale ack must never be released"
        );
        assert_eq!(s.complete(new), vec![1]);
    }

    #[test]
    fn qos0_slots_keep_order_without_acks() {
        let mut s = AckSequencer::new();
        let a = s.receive(None);
        let b = s.receive(Some("b"));
        assert!(s.complete(b).is_empty());
        assert_eq!(s.complete(a), vec!["b"]);
    }

    #[test]
    fn duplicate_completion_is_harmless() {
        let mut s = AckSequencer::new();
        let a = s.receive(Some(1));
        assert_eq!(s.complete(a), vec![1]);
        assert!(s.complete(a).is_empty());
    }
}

/// Model test: for any interleaving of receive / accept / reconnect events, acks go out
/// in receive order, never for a stale epoch, never before acceptance, and nothing
/// accepted in the current epoch is held back once its predecessors are accepted.
#[cfg(test)]
mod model {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Event {
        Receive {
            qos0: bool,
        },
        /// Accept the n-th (mod len) delivery ever received that is not accepted yet.
        Accept(usize),
        Reconnect,
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            5 => Just(Event::Receive { qos0: false }),
            1 => Just(Event::Receive { qos0: true }),
            6 => any::<usize>().prop_map(Event::Accept),
            1 => Just(Event::Reconnect),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn acks_are_ordered_current_and_after_acceptance(events in proptest::collection::vec(event(), 1..300)) {
            let mut s: AckSequencer<(u64, u64)> = AckSequencer::new();
            s.new_epoch();
            // every delivery: (slot, needs ack, accepted?)
            let mut deliveries: Vec<(Slot, bool, bool)> = Vec::new();
            let mut released: Vec<(u64, u64)> = Vec::new();
            for e in events {
                match e {
                    Event::Receive { qos0 } => {
                        let epoch = s.epoch();
                        let next = deliveries.iter().filter(|d| d.0.epoch == epoch).count() as u64;
                        let slot = s.receive((!qos0).then_some((epoch, next)));
                        prop_assert_eq!(slot, Slot { epoch, seq: next });
                        deliveries.push((slot, !qos0, false));
                    }
                    Event::Accept(n) => {
                        let open: Vec<usize> = (0..deliveries.len()).filter(|&i| !deliveries[i].2).collect();
                        if open.is_empty() { continue; }
                        let i = open[n % open.len()];
                        deliveries[i].2 = true;
                        let out = s.complete(deliveries[i].0);
                        for (epoch, seq) in out {
                            // never for a stale epoch
                            prop_assert_eq!(epoch, s.epoch());
                            // never before acceptance
                            let d = deliveries.iter().find(|d| d.0 == Slot { epoch, seq }).unwrap();
                            prop_assert!(d.2, "released before acceptance");
                            // in receive order: every earlier slot of the epoch is accepted
                            prop_assert!(deliveries.iter().filter(|d| d.0.epoch == epoch && d.0.seq < seq).all(|d| d.2));
                            if let Some(&(le, ls)) = released.last() {
                                if le == epoch { prop_assert!(seq > ls, "out of order"); }
                            }
                            released.push((epoch, seq));
                        }
                    }
                    Event::Reconnect => { s.new_epoch(); }
                }
                // nothing is held back: the accepted prefix of the current epoch is released
                let epoch = s.epoch();
                let prefix_acks = deliveries.iter()
                    .filter(|d| d.0.epoch == epoch)
                    .take_while(|d| d.2)
                    .filter(|d| d.1)
                    .count();
                let released_now = released.iter().filter(|r| r.0 == epoch).count();
                prop_assert_eq!(prefix_acks, released_now);
            }
        }
    }
}
