//! # cascade-sim
//!
//! Seeded simulation that drives Cascade engines. Randomness lives here, never in the engine:
//! every agent has its own ChaCha8 stream derived from the master seed and its index, so the same
//! seed reproduces a run exactly and adding an agent leaves the others' draws unchanged.

pub mod session;
