//! The event queue of the discrete-event simulation: events ordered by (time, sequence).
//!
//! Time is an integer count of microseconds since the start of the run ([`SimTime`]); there is no
//! wall clock anywhere in the simulator. Events due at the same microsecond come out in the order
//! they were scheduled (FIFO), because each push takes the next value of a global sequence
//! number: the order of a run depends only on what was scheduled, never on memory addresses or
//! hashing, so the same scenario and seed replay exactly.
//!
//! This module must never look at what an event means: it orders opaque payloads.
//!
//! # Cost, and why a binary heap
//! Push and pop are O(log n) in the number of pending events. ARCHITECTURE.md keeps `n` small on
//! purpose (passive leveraged positions are not in the queue; they wait in the engine's
//! liquidation index), and with a thousand pending events a heap push+pop costs ~45 ns here. A
//! calendar queue / timing wheel would make fixed-step wake-ups O(1), but it only pays once
//! thousands of agents wake on the same grid; the heap is kept until a profile shows the queue
//! matters, and the API (schedule / pop / peek) leaves room to swap the structure underneath.
//!
//! Cancelling is left to the owner of an event: an agent that reschedules keeps a token (e.g. the
//! [`EventId`] of its latest wake-up) and ignores wake-ups that no longer match it.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

/// Simulated time: microseconds since the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of the run.
    pub const ZERO: Self = Self(0);
    /// Microseconds per millisecond.
    pub const MICROS_PER_MILLI: u64 = 1_000;
    /// Microseconds per second.
    pub const MICROS_PER_SEC: u64 = 1_000_000;

    /// `ms` milliseconds (saturating at the largest time).
    #[must_use]
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms.saturating_mul(Self::MICROS_PER_MILLI))
    }

    /// `s` seconds (saturating at the largest time).
    #[must_use]
    pub const fn from_secs(s: u64) -> Self {
        Self(s.saturating_mul(Self::MICROS_PER_SEC))
    }

    /// Microseconds since the start.
    #[must_use]
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Whole milliseconds since the start (rounded down).
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0 / Self::MICROS_PER_MILLI
    }

    /// This time plus `d`, saturating at the largest time (which no run reaches: 584,000 years).
    #[must_use]
    pub const fn saturating_add(self, d: SimTime) -> Self {
        Self(self.0.saturating_add(d.0))
    }
}

impl fmt::Display for SimTime {
    /// Seconds with six decimals, e.g. `12.000500s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / Self::MICROS_PER_SEC, self.0 % Self::MICROS_PER_SEC)
    }
}

/// Identity of a scheduled event: its sequence number, unique within one [`Scheduler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u64);

/// An event that came due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due<E> {
    /// When it is due.
    pub time: SimTime,
    /// Its identity; also its rank among events due at the same time.
    pub id: EventId,
    /// What the owner scheduled.
    pub event: E,
}

/// Why an event could not be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The event would happen before the current time: causality would break.
    #[error("event scheduled at {at} but the simulation is already at {now}")]
    InThePast {
        /// The requested time.
        at: SimTime,
        /// The current time.
        now: SimTime,
    },
}

/// A heap entry; ordered so that the max-heap pops the smallest (time, seq) first.
#[derive(Debug)]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) on top.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A deterministic (time, sequence) priority queue with a clock.
///
/// The clock is the time of the last popped event; nothing may be scheduled before it.
#[derive(Debug)]
pub struct Scheduler<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: SimTime,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Scheduler<E> {
    /// An empty queue at time zero.
    #[must_use]
    pub fn new() -> Self {
        Self { heap: BinaryHeap::new(), next_seq: 0, now: SimTime::ZERO }
    }

    /// The current time: that of the last event popped (zero before the first).
    #[must_use]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Pending events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at `time`. Among events at the same time it comes after those already
    /// scheduled.
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] if `time` is before [`Scheduler::now`]; nothing is scheduled.
    pub fn schedule(&mut self, time: SimTime, event: E) -> Result<EventId, ScheduleError> {
        if time < self.now {
            return Err(ScheduleError::InThePast { at: time, now: self.now });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
        Ok(EventId(seq))
    }

    /// Schedules `event` `delay` after the current time (saturating).
    pub fn schedule_in(&mut self, delay: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time: self.now.saturating_add(delay), seq, event });
        EventId(seq)
    }

    /// When the next event is due, without removing it.
    #[must_use]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Removes the earliest event (ties: the first scheduled) and advances the clock to it.
    pub fn pop(&mut self) -> Option<Due<E>> {
        let Entry { time, seq, event } = self.heap.pop()?;
        self.now = time;
        Some(Due { time, id: EventId(seq), event })
    }

    /// Pops the earliest event only if it is due at or before `until`; otherwise leaves the queue
    /// alone and moves the clock to `until` (if that is later than now), so a run can stop at
    /// its end time with later wake-ups still pending.
    pub fn pop_until(&mut self, until: SimTime) -> Option<Due<E>> {
        match self.peek_time() {
            Some(t) if t <= until => self.pop(),
            _ => {
                self.now = self.now.max(until);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn earliest_first_and_fifo_among_equal_times() {
        let mut q = Scheduler::new();
        q.schedule(SimTime(30), "c").unwrap();
        q.schedule(SimTime(10), "a1").unwrap();
        q.schedule(SimTime(20), "b").unwrap();
        q.schedule(SimTime(10), "a2").unwrap();
        q.schedule(SimTime(10), "a3").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|d| d.event).collect();
        assert_eq!(order, ["a1", "a2", "a3", "b", "c"]);
        assert_eq!(q.now(), SimTime(30));
    }

    #[test]
    fn the_past_is_refused_and_the_clock_follows_pops() {
        let mut q = Scheduler::new();
        q.schedule(SimTime::from_millis(5), 1).unwrap();
        assert_eq!(q.pop().unwrap().time, SimTime(5_000));
        assert_eq!(
            q.schedule(SimTime(4_999), 2),
            Err(ScheduleError::InThePast { at: SimTime(4_999), now: SimTime(5_000) })
        );
        assert!(q.is_empty());
        // Now is allowed: an event may schedule another at the same instant, which runs after.
        q.schedule(SimTime(5_000), 3).unwrap();
        let id = q.schedule_in(SimTime::from_secs(1), 4);
        assert_eq!(q.peek_time(), Some(SimTime(5_000)));
        assert_eq!(q.pop().unwrap().event, 3);
        let d = q.pop().unwrap();
        assert_eq!((d.time, d.id, d.event), (SimTime(1_005_000), id, 4));
    }

    #[test]
    fn pop_until_stops_at_the_horizon() {
        let mut q = Scheduler::new();
        q.schedule(SimTime(10), 'a').unwrap();
        q.schedule(SimTime(50), 'b').unwrap();
        assert_eq!(q.pop_until(SimTime(20)).unwrap().event, 'a');
        assert!(q.pop_until(SimTime(20)).is_none());
        assert_eq!((q.now(), q.len()), (SimTime(20), 1));
    }

    #[test]
    fn time_displays_in_seconds() {
        assert_eq!(SimTime(12_000_500).to_string(), "12.000500s");
        assert_eq!(SimTime::from_secs(3).as_millis(), 3_000);
    }

    proptest! {
        /// Whatever the interleaving of pushes and pops, events come out in (time, seq) order
        /// among those pending, never before the clock, and each exactly once.
        #[test]
        fn pops_come_out_in_time_then_sequence_order(
            ops in proptest::collection::vec((any::<bool>(), 0_u64..50), 1..400)
        ) {
            let mut q = Scheduler::new();
            let mut model: Vec<(SimTime, u64)> = Vec::new();
            let mut last: Option<(SimTime, u64)> = None;
            let mut popped = 0_usize;
            let mut pushed = 0_usize;
            for (push, dt) in ops {
                if push {
                    let t = SimTime(q.now().0 + dt);
                    let id = q.schedule(t, pushed).unwrap();
                    model.push((t, id.0));
                    pushed += 1;
                } else if let Some(d) = q.pop() {
                    model.sort();
                    let expected = model.remove(0);
                    prop_assert_eq!((d.time, d.id.0), expected);
                    // Strictly increasing across pops, even with pushes in between: a push never
                    // lands before the clock, and one at the clock gets a larger sequence.
                    if let Some(prev) = last {
                        prop_assert!(prev < (d.time, d.id.0));
                    }
                    last = Some((d.time, d.id.0));
                    popped += 1;
                }
            }
            while let Some(d) = q.pop() {
                model.sort();
                prop_assert_eq!((d.time, d.id.0), model.remove(0));
                popped += 1;
            }
            prop_assert_eq!(popped, pushed);
        }
    }
}
