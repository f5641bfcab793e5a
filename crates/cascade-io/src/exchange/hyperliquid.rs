//! Hyperliquid `node_fills` files (the node's fill output, also published in S3 as
//! `node_fills_YYYYMMDD_HH`), streamed: one JSON block per line, flattened to one row per fill,
//! with liquidation and ADL fills flagged ([`FillKind`]).
//!
//! Layout (checked on the real sample in `../shared/data/real/hyperliquid_format_sample/`):
//! `{"local_time", "block_time": "YYYY-MM-DDTHH:MM:SS.fffffffff", "block_number",
//! "events": [[user, fill], …]}`, each fill with `coin, px, sz, side ("B" buy / "A" sell), time
//! (ms), startPosition, dir, closedPnl, hash, oid, crossed (taker), fee, tid, feeToken` and, on
//! the fills of a liquidation, `liquidation: {liquidatedUser, markPx, method: market|backstop}`
//! (on both sides of it). ADL fills have a `dir` containing `Auto-Deleveraging`; extractions of
//! 10 Oct 2025 label the liquidated side's fills `Liquidated Isolated Long` /
//! `Liquidated Cross Long`. Prices, sizes and amounts are decimal strings, read exactly. Fields
//! the node adds over time (`cloid`, `twapId`, builder fees…) are not read; a missing or
//! mistyped field above is refused.
//!
//! Errors name the file, the block (row = the line's 1-based count of non-blank lines), the
//! line and the field (`events[3].px`); malformed JSON gives serde_json's column.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::error::IoError;
use crate::exchange::binance::agg_trades::TakerTally;
use crate::exchange::cells::{parse_datetime_ms, parse_decimal, unix_ms};
use crate::exchange::source::DataFile;
use crate::exchange::summary::{Normalized, Tally, add, show};

#[derive(Deserialize)]
struct RawBlock {
    block_time: String,
    block_number: u64,
    events: Vec<(String, RawFill)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFill {
    coin: String,
    px: String,
    sz: String,
    side: String,
    time: i64,
    start_position: String,
    dir: String,
    closed_pnl: String,
    hash: String,
    oid: u64,
    crossed: bool,
    fee: String,
    tid: u64,
    fee_token: String,
    liquidation: Option<RawLiquidation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLiquidation {
    liquidated_user: String,
    mark_px: String,
    method: String,
}

/// What a fill was part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillKind {
    /// An ordinary trade.
    Trade,
    /// A liquidation: the fill has a `liquidation` object or a `Liquidated …` direction.
    Liquidation,
    /// Auto-deleveraging: the direction contains `Auto-Deleveraging`.
    Adl,
}

impl FillKind {
    /// `trade`, `liquidation` or `adl`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FillKind::Trade => "trade",
            FillKind::Liquidation => "liquidation",
            FillKind::Adl => "adl",
        }
    }
}

/// How a liquidation was executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liquidation {
    /// The account liquidated.
    pub liquidated_user: String,
    /// Mark price that triggered it.
    pub mark_px: Decimal,
    /// `market` (sent to the book) or `backstop` (taken by the liquidator vault).
    pub method: String,
}

/// One fill of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// Block number.
    pub block_number: u64,
    /// Block time, Unix ms UTC.
    pub block_time: i64,
    /// The account filled.
    pub user: String,
    /// Market (`BTC`; spot pairs as `@107`).
    pub coin: String,
    /// Price.
    pub px: Decimal,
    /// Size (> 0).
    pub sz: Decimal,
    /// Whether this account bought (`side = "B"`).
    pub buy: bool,
    /// Fill time, Unix ms UTC.
    pub time: i64,
    /// Signed position before the fill.
    pub start_position: Decimal,
    /// Direction, e.g. `Open Long`, `Close Short`, `Auto-Deleveraging`.
    pub dir: String,
    /// Realised PnL of the fill.
    pub closed_pnl: Decimal,
    /// Transaction hash.
    pub hash: String,
    /// Order id.
    pub oid: u64,
    /// Whether this side was the taker.
    pub crossed: bool,
    /// Fee paid (negative = rebate).
    pub fee: Decimal,
    /// Trade id, shared by both sides.
    pub tid: u64,
    /// Fee asset.
    pub fee_token: String,
    /// Liquidation details, when the fill is part of one.
    pub liquidation: Option<Liquidation>,
    /// Trade, liquidation or ADL.
    pub kind: FillKind,
}

impl Fill {
    /// Whether this account is the one being liquidated (not its counterparty).
    #[must_use]
    pub fn is_liquidated_side(&self) -> bool {
        self.liquidation.as_ref().is_some_and(|l| l.liquidated_user == self.user)
            || self.dir.starts_with("Liquidated")
    }
}

/// An iterator of the fills of a node_fills file (see the module doc). Stops after the first
/// error.
pub struct Fills<'a> {
    name: PathBuf,
    reader: BufReader<Box<dyn Read + 'a>>,
    text: String,
    line: u64,
    row: u64,
    pending: std::vec::IntoIter<Fill>,
    done: bool,
}

impl<'a> Fills<'a> {
    /// Fills of `file`.
    ///
    /// # Errors
    /// As [`DataFile::reader`].
    pub fn new(file: &'a mut DataFile) -> Result<Self, IoError> {
        let name = file.name().to_path_buf();
        let reader = BufReader::with_capacity(1 << 16, file.reader()?);
        Ok(Self {
            name,
            reader,
            text: String::new(),
            line: 0,
            row: 0,
            pending: Vec::new().into_iter(),
            done: false,
        })
    }

    /// The name errors show.
    #[must_use]
    pub fn name(&self) -> &Path {
        &self.name
    }

    fn bad(&self, field: String, message: String) -> IoError {
        IoError::Cell { path: self.name.clone(), row: self.row, line: self.line, field, message }
    }

    /// Reads the next non-blank line's block into `pending`; false at the end.
    fn next_block(&mut self) -> Result<bool, IoError> {
        loop {
            self.text.clear();
            let n = self.reader.read_line(&mut self.text).map_err(|e| IoError::Cell {
                path: self.name.clone(),
                row: self.row + 1,
                line: self.line + 1,
                field: "-".into(),
                message: format!("the data stops short or is not UTF-8: {e}"),
            })?;
            if n == 0 {
                return Ok(false);
            }
            self.line += 1;
            if !self.text.trim().is_empty() {
                break;
            }
        }
        self.row += 1;
        let block: RawBlock = serde_json::from_str(self.text.trim_end())
            .map_err(|e| self.bad("-".into(), format!("not a node_fills block: {e}")))?;
        let block_time = parse_datetime_ms(&block.block_time).ok_or_else(|| {
            self.bad(
                "block_time".into(),
                format!("`{}` is not a `YYYY-MM-DDTHH:MM:SS.f` UTC time", block.block_time),
            )
        })?;
        let mut fills = Vec::with_capacity(block.events.len());
        for (i, (user, f)) in block.events.into_iter().enumerate() {
            let field = |name: &str| format!("events[{i}].{name}");
            let dec = |name: &str, t: &str| {
                parse_decimal(t)
                    .ok_or_else(|| self.bad(field(name), format!("`{t}` is not a decimal number")))
            };
            let px = dec("px", &f.px)?;
            if px <= Decimal::ZERO {
                return Err(self.bad(field("px"), format!("price {px} is not > 0")));
            }
            let sz = dec("sz", &f.sz)?;
            if sz <= Decimal::ZERO {
                return Err(self.bad(field("sz"), format!("size {sz} is not > 0")));
            }
            let buy = match f.side.as_str() {
                "B" => true,
                "A" => false,
                other => return Err(self.bad(field("side"), format!("`{other}` is not B or A"))),
            };
            let time = unix_ms(f.time)
                .ok_or_else(|| self.bad(field("time"), format!("{} is not a Unix time in ms", f.time)))?;
            let liquidation = match f.liquidation {
                None => None,
                Some(l) => {
                    if l.method != "market" && l.method != "backstop" {
                        return Err(self.bad(
                            field("liquidation.method"),
                            format!("`{}` is not market or backstop", l.method),
                        ));
                    }
                    Some(Liquidation {
                        mark_px: dec("liquidation.markPx", &l.mark_px)?,
                        liquidated_user: l.liquidated_user,
                        method: l.method,
                    })
                }
            };
            let kind = if f.dir.contains("Auto-Deleveraging") {
                FillKind::Adl
            } else if liquidation.is_some() || f.dir.starts_with("Liquidated") {
                FillKind::Liquidation
            } else {
                FillKind::Trade
            };
            fills.push(Fill {
                block_number: block.block_number,
                block_time,
                user,
                coin: f.coin,
                px,
                sz,
                buy,
                time,
                start_position: dec("startPosition", &f.start_position)?,
                closed_pnl: dec("closedPnl", &f.closed_pnl)?,
                fee: dec("fee", &f.fee)?,
                dir: f.dir,
                hash: f.hash,
                oid: f.oid,
                crossed: f.crossed,
                tid: f.tid,
                fee_token: f.fee_token,
                liquidation,
                kind,
            });
        }
        self.pending = fills.into_iter();
        Ok(true)
    }
}

impl Iterator for Fills<'_> {
    type Item = Result<Fill, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(f) = self.pending.next() {
                return Some(Ok(f));
            }
            if self.done {
                return None;
            }
            match self.next_block() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl Normalized for Fill {
    const COLUMNS: &'static [&'static str] = &[
        "block_number",
        "block_time_ms",
        "user",
        "coin",
        "px",
        "sz",
        "side",
        "time_ms",
        "start_position",
        "dir",
        "closed_pnl",
        "hash",
        "oid",
        "crossed",
        "fee",
        "tid",
        "fee_token",
        "kind",
        "liquidated_user",
        "liquidation_mark_px",
        "liquidation_method",
    ];

    fn cells(&self, out: &mut Vec<String>) {
        let l = self.liquidation.as_ref();
        out.extend([
            self.block_number.to_string(),
            self.block_time.to_string(),
            self.user.clone(),
            self.coin.clone(),
            self.px.to_string(),
            self.sz.to_string(),
            if self.buy { "B" } else { "A" }.to_string(),
            self.time.to_string(),
            self.start_position.to_string(),
            self.dir.clone(),
            self.closed_pnl.to_string(),
            self.hash.clone(),
            self.oid.to_string(),
            self.crossed.to_string(),
            self.fee.to_string(),
            self.tid.to_string(),
            self.fee_token.clone(),
            self.kind.as_str().to_string(),
            l.map(|l| l.liquidated_user.clone()).unwrap_or_default(),
            l.map(|l| l.mark_px.to_string()).unwrap_or_default(),
            l.map(|l| l.method.clone()).unwrap_or_default(),
        ]);
    }
}

/// Fills by kind, the liquidated side's notional, markets, taker flow.
#[derive(Debug, Clone, Default)]
pub struct FillTally {
    blocks: Vec<u64>,
    block_count: u64,
    liquidation_fills: u64,
    liquidated_side_fills: u64,
    liquidated_notional: Decimal,
    adl_fills: u64,
    adl_notional: Decimal,
    coins: std::collections::BTreeSet<String>,
    taker: TakerTally,
}

impl Tally<Fill> for FillTally {
    fn add(&mut self, f: &Fill) {
        if self.blocks.last() != Some(&f.block_number) {
            self.blocks.clear();
            self.blocks.push(f.block_number);
            self.block_count += 1;
        }
        let notional = f.px.checked_mul(f.sz).unwrap_or(Decimal::MAX);
        match f.kind {
            FillKind::Liquidation => {
                self.liquidation_fills += 1;
                if f.is_liquidated_side() {
                    self.liquidated_side_fills += 1;
                    self.liquidated_notional = add(self.liquidated_notional, notional);
                }
            }
            FillKind::Adl => {
                self.adl_fills += 1;
                self.adl_notional = add(self.adl_notional, notional);
            }
            FillKind::Trade => {}
        }
        if !self.coins.contains(&f.coin) {
            self.coins.insert(f.coin.clone());
        }
        if f.crossed {
            self.taker.trade(f.px, f.sz, !f.buy);
            self.taker.trades += 1;
        }
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("blocks with fills", self.block_count.to_string()),
            ("markets", self.coins.len().to_string()),
            ("taker fills", self.taker.trades.to_string()),
            ("taker notional (px × sz, all markets)", show(self.taker.notional)),
            ("liquidation fills (both sides)", self.liquidation_fills.to_string()),
            ("fills of liquidated accounts", self.liquidated_side_fills.to_string()),
            ("liquidated notional (px × sz)", show(self.liquidated_notional)),
            ("ADL fills", self.adl_fills.to_string()),
            ("ADL notional (px × sz)", show(self.adl_notional)),
        ]
    }
}
