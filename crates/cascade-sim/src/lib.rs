//! # cascade-sim
//!
//! Seeded simulation that drives Cascade engines. Randomness lives here, never in the engine:
//! every agent has its own ChaCha8 stream derived from the master seed and its index, so the same
//! seed reproduces a run exactly and adding an agent leaves the others' draws unchanged.
//!
//! This crate does no I/O: scenarios come in as text, results go out as row structs; the
//! cascade-io crate reads and writes files.
//!
//! The entry point is [`run`]: a scenario and a seed in, a [`metrics::Recording`] out (with the
//! counterfactual run without forced liquidations that gives the cascade amplification).

pub mod agents;
pub mod compare;
pub mod error;
pub mod fit;
pub mod metrics;
pub mod rng;
pub mod scenario;
pub mod scheduler;
pub mod sim;
pub mod world;

pub use error::SimError;
pub use sim::{InvariantChecks, Phase, Progress, RunOptions, Simulation, run};
