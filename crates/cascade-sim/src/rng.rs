//! Per-agent random streams derived from the scenario's master seed.
//!
//! Every source of randomness in a run (each agent, the population draw, each asset's fair-value
//! path, each shock) owns one [`ChaCha8Rng`] stream, derived from `(master_seed, kind, index)`:
//!
//! 1. the 32-byte ChaCha key is `ChaCha8Rng::seed_from_u64(master_seed)` (rand's documented,
//!    portable expansion of a `u64` seed);
//! 2. the stream is selected with `set_stream(kind << 48 | index)`: ChaCha has 2^64 independent
//!    streams per key, so streams never overlap, and each agent's draws depend only on the master
//!    seed, its kind and its own index.
//!
//! Adding the 11th maker therefore leaves makers 0..10, every trader and every shock drawing
//! exactly what they drew before; only the new agent's stream is new. Nothing here depends on
//! the order in which streams are created, on threads or on hashing.
//!
//! ChaCha8 is one of rand's "named portable" generators: the same seed gives the same numbers on
//! every platform and across compatible rand releases (crates.md). The golden values in the tests
//! below catch a change of generator or derivation. Never use `StdRng`/`SmallRng` or an unseeded
//! generator in the simulator (with `default-features = false` the unseeded ones do not exist).
//!
//! The kind codes below are part of the reproducibility contract: never renumber them; add new
//! kinds with new codes.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

/// Who owns a stream. The discriminant is the stream's high 16 bits; never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum StreamKind {
    /// An asset's exogenous fair-value / spot-index path (index = asset).
    FairValue = 1,
    /// The draw of the leveraged trader population (index = population market).
    Population = 2,
    /// One leveraged trader's behaviour (index = trader).
    Trader = 3,
    /// A market maker (index = maker agent across all `[[makers]]` entries).
    Maker = 4,
    /// An arbitrageur.
    Arbitrageur = 5,
    /// A hedger.
    Hedger = 6,
    /// A noise trader.
    Noise = 7,
    /// A value trader.
    Value = 8,
    /// An exogenous shock's flow (index = shock).
    Shock = 9,
    /// A copy-trading herd (index = herd).
    Herd = 10,
    /// The pre-run look-back path that entry prices are drawn from (index = asset).
    LookBack = 11,
    /// Which cross-margin traders hold a collateral asset (index = `[[population.collateral]]`
    /// entry): drawn in trader order, so adding collateral leaves every other draw unchanged.
    Collateral = 12,
    /// Which cross-margin traders of a population market hold more than one market, and their
    /// extra positions (`[population.baskets]`; index = population market): a stream of its own,
    /// so the population's other draws are the same with or without the table.
    Basket = 13,
}

/// Bits of the stream number left for the index.
pub const INDEX_BITS: u32 = 48;
/// The largest index a stream can take (2^48 − 1).
pub const MAX_INDEX: u64 = (1 << INDEX_BITS) - 1;

/// The stream number of `(kind, index)`: `kind << 48 | index`.
///
/// # Panics
/// If `index` exceeds [`MAX_INDEX`] (2.8e14 agents of one kind: a bug, not a scenario).
#[must_use]
pub fn stream_id(kind: StreamKind, index: u64) -> u64 {
    assert!(index <= MAX_INDEX, "stream index {index} exceeds 2^48 - 1");
    (u64::from(kind as u16) << INDEX_BITS) | index
}

/// The random streams of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    master_seed: u64,
}

impl Streams {
    /// The streams of a run with this master seed.
    #[must_use]
    pub const fn new(master_seed: u64) -> Self {
        Self { master_seed }
    }

    /// The master seed.
    #[must_use]
    pub const fn master_seed(&self) -> u64 {
        self.master_seed
    }

    /// A fresh generator at the start of stream `(kind, index)`. Calling it twice gives two
    /// generators producing the same numbers: call once per agent and keep the generator.
    ///
    /// # Panics
    /// See [`stream_id`].
    #[must_use]
    pub fn stream(&self, kind: StreamKind, index: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.master_seed);
        rng.set_stream(stream_id(kind, index));
        rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn draws(rng: &mut ChaCha8Rng, n: usize) -> Vec<u64> {
        (0..n).map(|_| rng.next_u64()).collect()
    }

    /// Agents created in any order, with others added in between, draw the same numbers.
    #[test]
    fn adding_an_agent_does_not_change_another_agents_draws() {
        let s = Streams::new(42);
        // A run with two makers and one trader...
        let small: Vec<Vec<u64>> = [(StreamKind::Maker, 0), (StreamKind::Maker, 1), (StreamKind::Trader, 0)]
            .iter()
            .map(|&(k, i)| draws(&mut s.stream(k, i), 64))
            .collect();
        // ...and the same run with a third maker and a hedger added, created first.
        let mut streams: Vec<(StreamKind, u64, ChaCha8Rng)> = [
            (StreamKind::Hedger, 0),
            (StreamKind::Maker, 2),
            (StreamKind::Trader, 0),
            (StreamKind::Maker, 1),
            (StreamKind::Maker, 0),
        ]
        .iter()
        .map(|&(k, i)| (k, i, s.stream(k, i)))
        .collect();
        // Interleave the draws: the new agents draw between the old ones.
        let mut big: Vec<Vec<u64>> = vec![Vec::new(); streams.len()];
        for _ in 0..64 {
            for (j, (_, _, rng)) in streams.iter_mut().enumerate() {
                big[j].push(rng.next_u64());
            }
        }
        assert_eq!(small[0], big[4]);
        assert_eq!(small[1], big[3]);
        assert_eq!(small[2], big[2]);
    }

    #[test]
    fn streams_differ_by_kind_index_and_seed() {
        let a = Streams::new(42);
        let first = |s: &Streams, k, i| s.stream(k, i).next_u64();
        let x = first(&a, StreamKind::Maker, 0);
        assert_ne!(x, first(&a, StreamKind::Maker, 1));
        assert_ne!(x, first(&a, StreamKind::Trader, 0));
        assert_ne!(x, first(&Streams::new(43), StreamKind::Maker, 0));
        assert_eq!(x, first(&a, StreamKind::Maker, 0));
    }

    #[test]
    fn stream_ids_pack_kind_and_index() {
        assert_eq!(stream_id(StreamKind::Maker, 7), (4 << 48) | 7);
        assert_eq!(stream_id(StreamKind::FairValue, MAX_INDEX), (1 << 48) | MAX_INDEX);
    }

    #[test]
    #[should_panic(expected = "exceeds")]
    fn an_index_beyond_48_bits_is_a_bug() {
        let _ = stream_id(StreamKind::Trader, MAX_INDEX + 1);
    }

    /// Golden values: if this fails, the generator or the derivation changed and every seeded
    /// run's output changes with it. That must be a deliberate, announced change.
    #[test]
    fn golden_first_draws() {
        let s = Streams::new(42);
        let got = [
            s.stream(StreamKind::FairValue, 0).next_u64(),
            s.stream(StreamKind::Maker, 3).next_u64(),
            Streams::new(0).stream(StreamKind::Trader, 123_456).next_u64(),
        ];
        assert_eq!(got, GOLDEN);
    }

    const GOLDEN: [u64; 3] =
        [11_027_680_626_051_900_178, 13_360_706_449_723_570_441, 15_357_915_091_941_693_214];
}
