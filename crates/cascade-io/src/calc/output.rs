//! What `calc` returns: every figure as exact decimal text, serialised as the `cascade calc`
//! JSON output. Public so that other front ends read the same fields.

use serde::Serialize;

/// One position's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // The fields are the documented JSON keys of the output.
pub struct PositionOut {
    pub symbol: String,
    pub side: &'static str,
    pub contract: &'static str,
    pub size: String,
    pub entry_price: String,
    pub mark_price: String,
    pub notional: String,
    pub unrealized_pnl: String,
    pub margin: Option<String>,
    pub mmr: String,
    pub maintenance_amount: String,
    pub maintenance_margin: String,
    pub initial_margin: Option<String>,
    pub liquidation_price: Option<String>,
    pub bankruptcy_price: Option<String>,
    /// `taker_fee × notional` at the mark, only when a `taker_fee` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_to_close: Option<String>,
}

/// The account's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // The fields are the documented JSON keys of the output.
pub struct AccountOut {
    pub wallet_balance: String,
    pub equity: String,
    pub maintenance_margin: String,
    pub initial_margin: Option<String>,
    pub margin_ratio: Option<String>,
    pub margin_ratio_kind: &'static str,
    pub liquidatable: bool,
}

/// The whole output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // The fields are the documented JSON keys of the output.
pub struct Output {
    pub venue: &'static str,
    pub mode: &'static str,
    pub maintenance_basis: &'static str,
    pub positions: Vec<PositionOut>,
    pub account: AccountOut,
}

/// A whole calc document's result: one account, or several (`{"accounts": [...]}`), each with
/// its venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Document {
    /// A single account, printed as [`Output`].
    One(Output),
    /// Several accounts, printed as `{"accounts": [Output, ...]}`.
    Many {
        /// In input order.
        accounts: Vec<Output>,
    },
}
