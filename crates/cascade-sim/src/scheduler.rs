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
//! # Cost: a heap for irregular events, FIFO lanes for fixed steps
//! Irregular events (noise traders' random waits, transfers, one-off shocks) go into a 4-ary
//! heap: push and pop are O(log n) in the pending events. Fixed-step wake-ups (the price step,
//! samples, makers' requotes, periodic policies) go through [`Scheduler::schedule_step`] into a
//! FIFO lane per step length, a calendar queue with one bucket per step: since the clock never
//! goes back, `now + step` never decreases for a given step, and sequence numbers only grow, so
//! appending keeps each lane in (time, sequence) order and push and pop are O(1). Pop takes the
//! smallest (time, sequence) among the heap's top and the lanes' fronts (at most
//! [`MAX_LANES`] of them; further step lengths share the heap), so the order events come out in
//! is exactly the heap-only order: which structure holds an event never changes when it runs.
//!
//! Cancelling is left to the owner of an event: an agent that reschedules keeps a token (e.g. the
//! [`EventId`] of its latest wake-up) and ignores wake-ups that no longer match it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;

/// Step lengths that get their own FIFO lane; wake-ups with any further step length go to the
/// heap (still in exact order). Pop scans the lanes' fronts, so this stays small.
pub const MAX_LANES: usize = 8;

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

/// A pending event with its (time, sequence) rank, packed into one `u128` (time in the high
/// half) so that comparing two ranks is one wide comparison the compiler can make branch-free.
#[derive(Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn new(time: SimTime, seq: u64, event: E) -> Self {
        Self { key: (u128::from(time.0) << 64) | u128::from(seq), event }
    }

    #[inline]
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }

    #[inline]
    fn seq(&self) -> u64 {
        self.key as u64
    }
}

/// A 4-ary min-heap of entries by (time, sequence). Half the depth of a binary heap, and the
/// smallest of four children is chosen without branches, which the CPU could not predict (with
/// the ~1,000 pending noise traders of RMSC04 the binary heap's pop was 11% of a run). Ranks
/// are unique, so the pop order is the one any correct priority queue gives.
///
/// Keys and payloads live apart, and the keys in cache-line blocks of four laid out so that
/// the four children of a node are exactly one block: a level of the descent reads one cache
/// line (with keys and payloads together, four children spanned two or three lines, and the
/// pop waited on memory at every level). Slots past the end hold `u128::MAX`, so a node's
/// block can always be read whole and a missing child never wins.
///
/// A pop hands out a copy of the root and leaves its slot in place ("held"); the next push
/// drops its entry into that slot and sinks it, so the common pop-then-reschedule costs one
/// descent instead of a descent and a climb. Which entries remain, and so the pop order, is
/// exactly that of a plain pop followed by a push.
#[derive(Debug)]
struct QuadHeap<E> {
    /// Key of entry `n` at block `(n + 3) / 4`, lane `(n + 3) % 4`: the root is lane 3 of
    /// block 0 and the children of entry `i` (`4i + 1 ..= 4i + 4`) fill block `i + 1`.
    keys: Vec<KeyBlock>,
    /// Payload of entry `n`.
    events: Vec<E>,
    /// Whether the root was handed out by the last pop (see [`QuadHeap::pop`]).
    held: bool,
}

/// Four keys on one cache line.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct KeyBlock([u128; 4]);

/// Where entry `n`'s key is: (block, lane).
#[inline]
fn slot(n: usize) -> (usize, usize) {
    ((n + 3) >> 2, (n + 3) & 3)
}

impl<E> QuadHeap<E> {
    fn new() -> Self {
        Self { keys: Vec::new(), events: Vec::new(), held: false }
    }

    /// Entries not yet handed out.
    fn len(&self) -> usize {
        self.events.len() - usize::from(self.held)
    }

    #[inline]
    fn key(&self, n: usize) -> u128 {
        let (b, l) = slot(n);
        self.keys[b].0[l]
    }

    #[inline]
    fn set_key(&mut self, n: usize, k: u128) {
        let (b, l) = slot(n);
        self.keys[b].0[l] = k;
    }

    /// Where the smallest entry not yet handed out is: the root, or, while the root is held,
    /// the smallest of its children.
    #[inline]
    fn top(&self) -> Option<usize> {
        if !self.held {
            return (!self.events.is_empty()).then_some(0);
        }
        let [k0, k1, k2, k3] = self.keys.get(1)?.0;
        let (a, ka) = if k1 < k0 { (1, k1) } else { (0, k0) };
        let (b, kb) = if k3 < k2 { (3, k3) } else { (2, k2) };
        let m = 1 + if kb < ka { b } else { a };
        (m < self.events.len()).then_some(m)
    }

    #[cfg(test)]
    fn peek(&self) -> Option<Entry<&E>> {
        self.top().map(|i| Entry { key: self.key(i), event: &self.events[i] })
    }

    #[inline]
    fn peek_key(&self) -> Option<u128> {
        self.top().map(|i| self.key(i))
    }

    fn push(&mut self, e: Entry<E>) {
        if self.held {
            // The held root's slot takes the new entry, which sinks: a pop and a push cost one
            // descent (a noise trader's wake-up and its next).
            self.held = false;
            self.events[0] = e.event;
            self.sift_down(0, e.key);
            return;
        }
        let mut i = self.events.len();
        if slot(i).0 >= self.keys.len() {
            self.keys.push(KeyBlock([u128::MAX; 4]));
        }
        self.events.push(e.event);
        let key = e.key;
        while i > 0 {
            let parent = (i - 1) / 4;
            let pk = self.key(parent);
            if key >= pk {
                break;
            }
            self.set_key(i, pk);
            self.events.swap(i, parent);
            i = parent;
        }
        self.set_key(i, key);
    }

    /// Hands out a copy of the smallest entry. Its slot stays, held, until the next push takes
    /// it or the next pop removes it.
    fn pop(&mut self) -> Option<Entry<E>>
    where
        E: Clone,
    {
        if self.held {
            self.held = false;
            self.remove_root();
        }
        let event = self.events.first()?.clone();
        self.held = true;
        Some(Entry { key: self.key(0), event })
    }

    /// Removes the root: the last entry moves there (its payload by `swap_remove`) and sinks.
    fn remove_root(&mut self) {
        let Some(last) = self.events.len().checked_sub(1) else { return };
        self.events.swap_remove(0);
        let key = self.key(last);
        self.set_key(last, u128::MAX);
        if last > 0 {
            self.sift_down(0, key);
        }
    }

    /// Sinks `key`, whose payload is at `i`, to its place below `i`.
    #[inline]
    fn sift_down(&mut self, mut i: usize, key: u128) {
        while let Some(kids) = self.keys.get(i + 1) {
            // A tournament of selects over one cache line, no data-dependent branch; missing
            // children are u128::MAX and lose.
            let [k0, k1, k2, k3] = kids.0;
            let (a, ka) = if k1 < k0 { (1, k1) } else { (0, k0) };
            let (b, kb) = if k3 < k2 { (3, k3) } else { (2, k2) };
            let (c, kc) = if kb < ka { (b, kb) } else { (a, ka) };
            if kc >= key {
                break;
            }
            let m = 4 * i + 1 + c;
            self.set_key(i, kc);
            self.events.swap(i, m);
            i = m;
        }
        self.set_key(i, key);
    }
}

/// The wake-ups of one step length, in (time, sequence) order by construction.
#[derive(Debug)]
struct Lane<E> {
    step: SimTime,
    queue: VecDeque<Entry<E>>,
}

/// Where the earliest pending event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Heap,
    Lane(usize),
}

/// A deterministic (time, sequence) priority queue with a clock.
///
/// The clock is the time of the last popped event; nothing may be scheduled before it.
#[derive(Debug)]
pub struct Scheduler<E> {
    heap: QuadHeap<E>,
    lanes: Vec<Lane<E>>,
    /// Events waiting in lanes.
    in_lanes: usize,
    /// The earliest lane front, (lane, key), once looked up (`None`: look again). Only a pop
    /// from a lane or a push into an empty one changes the fronts, so most pops (noise traders'
    /// wake-ups, from the heap) reuse it instead of scanning every lane.
    lane_front: Cell<Option<Option<(usize, u128)>>>,
    next_seq: u64,
    now: SimTime,
}

impl<E: Clone> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Clone> Scheduler<E> {
    /// An empty queue at time zero.
    #[must_use]
    pub fn new() -> Self {
        Self {
            heap: QuadHeap::new(),
            lanes: Vec::new(),
            in_lanes: 0,
            lane_front: Cell::new(Some(None)),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The current time: that of the last event popped (zero before the first).
    #[must_use]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Pending events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.heap.len() + self.in_lanes
    }

    /// Whether nothing is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        self.heap.push(Entry::new(time, seq, event));
        Ok(EventId(seq))
    }

    /// Schedules `event` `delay` after the current time (saturating).
    pub fn schedule_in(&mut self, delay: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry::new(self.now.saturating_add(delay), seq, event));
        EventId(seq)
    }

    /// Schedules a fixed-step wake-up `step` after the current time (saturating): the same
    /// (time, sequence) rank as [`Scheduler::schedule_in`], but O(1) through the FIFO lane of
    /// that step length. Use it for streams that wake on a fixed period (price steps, samples,
    /// requotes); random waits belong in `schedule_in`.
    pub fn schedule_step(&mut self, step: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry::new(self.now.saturating_add(step), seq, event);
        let lane = match self.lanes.iter().position(|l| l.step == step) {
            Some(i) => Some(i),
            None if self.lanes.len() < MAX_LANES && !lanes_disabled() => {
                self.lanes.push(Lane { step, queue: VecDeque::new() });
                Some(self.lanes.len() - 1)
            }
            None => None,
        };
        match lane {
            // A time at or after the lane's back always holds (the clock never goes back and
            // saturation keeps order); the check keeps the order exact whatever happens.
            Some(i) if self.lanes[i].queue.back().is_none_or(|b| b.key <= entry.key) => {
                // A new front (the lane was empty) may be the earliest: compare it with the
                // known earliest front; otherwise the fronts did not change.
                if self.lanes[i].queue.is_empty()
                    && let Some(known) = self.lane_front.get()
                    && known.is_none_or(|(_, k)| entry.key < k)
                {
                    self.lane_front.set(Some(Some((i, entry.key))));
                }
                self.lanes[i].queue.push_back(entry);
                self.in_lanes += 1;
            }
            _ => self.heap.push(entry),
        }
        EventId(seq)
    }

    /// The absolute-time form of [`Scheduler::schedule_step`], for a periodic stream that
    /// computes its next wake-up itself (`now + period`): filed in the lane of `time − now`.
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] if `time` is before [`Scheduler::now`]; nothing is scheduled.
    pub fn schedule_step_at(&mut self, time: SimTime, event: E) -> Result<EventId, ScheduleError> {
        if time < self.now {
            return Err(ScheduleError::InThePast { at: time, now: self.now });
        }
        Ok(self.schedule_step(SimTime(time.0 - self.now.0), event))
    }

    /// Where the earliest pending event waits, if any.
    #[inline]
    fn earliest(&self) -> Option<(Source, SimTime)> {
        let mut best = self.heap.peek_key().map(|k| (Source::Heap, k));
        if self.in_lanes > 0
            && let Some((i, key)) = self.lane_front()
            && best.is_none_or(|(_, k)| key < k)
        {
            best = Some((Source::Lane(i), key));
        }
        best.map(|(src, k)| (src, SimTime((k >> 64) as u64)))
    }

    /// The earliest lane front, (lane, key), from the cache or by a scan of the lanes.
    #[inline]
    fn lane_front(&self) -> Option<(usize, u128)> {
        if let Some(known) = self.lane_front.get() {
            return known;
        }
        let mut best: Option<(usize, u128)> = None;
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(e) = lane.queue.front()
                && best.is_none_or(|(_, k)| e.key < k)
            {
                best = Some((i, e.key));
            }
        }
        self.lane_front.set(Some(best));
        best
    }

    /// When the next event is due, without removing it.
    #[must_use]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.earliest().map(|(_, t)| t)
    }

    /// Removes the earliest event (ties: the first scheduled) and advances the clock to it.
    pub fn pop(&mut self) -> Option<Due<E>> {
        let (src, _) = self.earliest()?;
        self.pop_from(src)
    }

    /// Removes the earliest event, which waits in `src`, and advances the clock to it.
    #[inline]
    fn pop_from(&mut self, src: Source) -> Option<Due<E>> {
        let entry = match src {
            Source::Heap => self.heap.pop()?,
            Source::Lane(i) => {
                self.in_lanes -= 1;
                self.lane_front.set(None);
                self.lanes[i].queue.pop_front()?
            }
        };
        let (time, seq, event) = (entry.time(), entry.seq(), entry.event);
        #[cfg(test)]
        trace::record(time, seq, src != Source::Heap);
        self.now = time;
        Some(Due { time, id: EventId(seq), event })
    }

    /// Pops the earliest event only if it is due at or before `until`; otherwise leaves the queue
    /// alone and moves the clock to `until` (if that is later than now), so a run can stop at
    /// its end time with later wake-ups still pending.
    pub fn pop_until(&mut self, until: SimTime) -> Option<Due<E>> {
        // One look for the earliest event serves both the test and the pop.
        match self.earliest() {
            Some((src, t)) if t <= until => self.pop_from(src),
            _ => {
                self.now = self.now.max(until);
                None
            }
        }
    }
}

/// Whether new lanes are refused (test builds can force the heap-only order to compare with).
#[inline]
fn lanes_disabled() -> bool {
    #[cfg(test)]
    {
        trace::heap_only()
    }
    #[cfg(not(test))]
    {
        false
    }
}

/// Test-only instrumentation: the (time, sequence) of every pop on this thread, and a switch
/// that sends every fixed-step wake-up to the heap, i.e. the scheduler as it was before lanes.
#[cfg(test)]
pub(crate) mod trace {
    use std::cell::{Cell, RefCell};

    use super::SimTime;

    thread_local! {
        static HEAP_ONLY: Cell<bool> = const { Cell::new(false) };
        static POPS: RefCell<Option<Vec<(u64, u64, bool)>>> = const { RefCell::new(None) };
    }

    pub(crate) fn heap_only() -> bool {
        HEAP_ONLY.with(Cell::get)
    }

    pub(super) fn record(time: SimTime, seq: u64, from_lane: bool) {
        POPS.with(|p| {
            if let Some(v) = p.borrow_mut().as_mut() {
                v.push((time.0, seq, from_lane));
            }
        });
    }

    /// Runs `f` with lanes on or off and returns its result with the pops it made, as
    /// (time, sequence, served by a lane).
    pub(crate) fn traced<T>(heap_only: bool, f: impl FnOnce() -> T) -> (T, Vec<(u64, u64, bool)>) {
        HEAP_ONLY.with(|h| h.set(heap_only));
        POPS.with(|p| *p.borrow_mut() = Some(Vec::new()));
        let out = f();
        HEAP_ONLY.with(|h| h.set(false));
        let pops = POPS.with(|p| p.borrow_mut().take()).unwrap_or_default();
        (out, pops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The 4-ary heap pops exactly what a sorted reference holds, smallest (time, seq)
        /// first, through any interleaving of pushes and pops.
        #[test]
        fn quad_heap_pops_in_rank_order(ops in prop::collection::vec(prop::option::of(0u64..50), 0..400)) {
            let mut h = QuadHeap::new();
            let mut reference = std::collections::BTreeSet::new();
            for (seq, op) in ops.into_iter().enumerate() {
                let seq = seq as u64;
                match op {
                    Some(t) => {
                        h.push(Entry::new(SimTime(t), seq, ()));
                        reference.insert((t, seq));
                    }
                    None => {
                        let got = h.pop().map(|e| (e.time().0, e.seq()));
                        prop_assert_eq!(got, reference.pop_first());
                    }
                }
                prop_assert_eq!(h.len(), reference.len());
                prop_assert_eq!(h.peek().map(|e| (e.time().0, e.seq())), reference.first().copied());
            }
        }
    }

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
            ops in proptest::collection::vec((0_u8..3, 0_u64..50), 1..400)
        ) {
            let mut q = Scheduler::new();
            let mut model: Vec<(SimTime, u64)> = Vec::new();
            let mut last: Option<(SimTime, u64)> = None;
            let mut popped = 0_usize;
            let mut pushed = 0_usize;
            for (kind, dt) in ops {
                if kind == 0 {
                    let t = SimTime(q.now().0 + dt);
                    let id = q.schedule(t, pushed).unwrap();
                    model.push((t, id.0));
                    pushed += 1;
                } else if kind == 1 {
                    // Fixed steps: twelve step lengths, more than there are lanes, so some
                    // wake-ups share the heap with the irregular ones.
                    let step = SimTime(dt % 12 * 4);
                    let id = q.schedule_step(step, pushed);
                    model.push((SimTime(q.now().0 + step.0), id.0));
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
            prop_assert!(q.is_empty());
        }
    }

    #[test]
    fn fixed_steps_use_lanes_and_interleave_with_the_heap_by_time_then_sequence() {
        let mut q = Scheduler::new();
        let a = q.schedule_step(SimTime(10), "step10 a");
        q.schedule(SimTime(10), "heap 10").unwrap();
        q.schedule_step(SimTime(5), "step5");
        q.schedule_step(SimTime(10), "step10 b");
        q.schedule(SimTime(7), "heap 7").unwrap();
        assert_eq!((q.lanes.len(), q.in_lanes, q.heap.len(), q.len()), (2, 3, 2, 5));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|d| (d.time.0, d.event)).collect();
        assert_eq!(order, [(5, "step5"), (7, "heap 7"), (10, "step10 a"), (10, "heap 10"), (10, "step10 b")]);
        assert_eq!(a, EventId(0));
        // Lanes are capped; the ninth step length goes to the heap, still in order.
        let mut q = Scheduler::new();
        for k in 1..=(MAX_LANES as u64 + 1) {
            q.schedule_step(SimTime(100 - k), k);
        }
        assert_eq!((q.lanes.len(), q.heap.len()), (MAX_LANES, 1));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|d| d.event).collect();
        assert_eq!(order, (1..=(MAX_LANES as u64 + 1)).rev().collect::<Vec<_>>());
    }

    #[test]
    fn default_scenario_runs_in_the_heap_only_order() {
        // The whole default scenario (main run, then the counterfactual alone) with fixed-step
        // lanes, and again with every wake-up in the heap as before lanes: the same (time,
        // sequence) at every pop, and equal recordings. Each simulation runs on this thread
        // (`run` without its side-by-side counterfactual), where the trace is recorded.
        let scenario = crate::scenario::Scenario::builtin_default();
        for liquidations in [true, false] {
            let opts = crate::RunOptions {
                liquidations,
                counterfactual: false,
                invariants: crate::InvariantChecks::Never,
                ..crate::RunOptions::default()
            };
            let (with_lanes, lanes_order) =
                trace::traced(false, || crate::run(&scenario, 42, &opts).unwrap());
            let (heap_only, heap_order) = trace::traced(true, || crate::run(&scenario, 42, &opts).unwrap());
            let from_lanes = lanes_order.iter().filter(|p| p.2).count();
            assert!(from_lanes > 1_000, "only {from_lanes} of {} pops came from lanes", lanes_order.len());
            assert!(heap_order.iter().all(|p| !p.2));
            assert_eq!(lanes_order.len(), heap_order.len());
            let first_diff = lanes_order.iter().zip(&heap_order).position(|(a, b)| (a.0, a.1) != (b.0, b.1));
            assert_eq!(first_diff, None, "orders diverge (liquidations {liquidations})");
            assert!(with_lanes == heap_only, "recordings differ (liquidations {liquidations})");
        }
    }
}
