//! What a venue does when an account runs out of margin: the venues' liquidation rule sets,
//! ADL rankings, and the index that finds liquidatable accounts without scanning them all.
//! Pure data and functions; the venue façade (`venue/liquidation.rs`) executes them.

pub mod adl;
pub mod adl_members;
pub mod index;
pub mod rules;
