//! The layout of each output table: column names, types and how to read each from a row.
//!
//! One list per row type drives both the CSV and the Parquet writer, so the two files always
//! have the same columns in the same order; names match the row structs' fields (and so their
//! documentation in `cascade_sim::metrics`, which gives every unit).
//!
//! | cell | CSV | Parquet |
//! | --- | --- | --- |
//! | integer | decimal digits | `UInt64` / `UInt32` |
//! | text | as is | `Utf8` |
//! | exact decimal | exact, trailing zeros removed (`101516.5`) | `Float64`, nearest to the decimal |
//! | float (statistics) | shortest text that reads back as the same `f64` | `Float64` |
//! | absent (`None`) | empty field | null |
//!
//! CSV keeps every figure exact; Parquet uses `Float64` because that is what analysis tools
//! (pandas, polars, DuckDB) compute with; the decimal → `f64` step parses the exact decimal text,
//! so it is correctly rounded and the same on every machine.

use cascade_sim::metrics::{AdlRow, LiquidationRow, SeriesRow};
use rust_decimal::Decimal;

/// One value of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// An unsigned integer.
    U64(u64),
    /// An optional small unsigned integer.
    OptU32(Option<u32>),
    /// Text.
    Str(&'a str),
    /// An exact decimal.
    Dec(Decimal),
    /// An optional exact decimal.
    OptDec(Option<Decimal>),
    /// An optional float (statistics: means, quantiles, differences).
    OptF64(Option<f64>),
}

/// The type of a column; fixes the cell variant its getter returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// [`Cell::U64`].
    U64,
    /// [`Cell::OptU32`].
    OptU32,
    /// [`Cell::Str`].
    Str,
    /// [`Cell::Dec`].
    Dec,
    /// [`Cell::OptDec`].
    OptDec,
    /// [`Cell::OptF64`].
    OptF64,
}

/// A column of table `R`.
pub struct Column<R> {
    /// Name, as in the CSV header and the Parquet schema.
    pub name: &'static str,
    /// Type.
    pub ty: ColumnType,
    /// Reads the cell from a row.
    pub get: for<'a> fn(&'a R) -> Cell<'a>,
}

/// A row type with a fixed column layout.
pub trait Table: Sized + 'static {
    /// The table's name, used for file names (`series`, `liquidations`, `adl`).
    const NAME: &'static str;
    /// Columns, in file order.
    fn columns() -> &'static [Column<Self>];
}

macro_rules! col {
    ($name:ident, U64) => {
        Column { name: stringify!($name), ty: ColumnType::U64, get: |r| Cell::U64(r.$name) }
    };
    ($name:ident, U32AsU64) => {
        Column { name: stringify!($name), ty: ColumnType::U64, get: |r| Cell::U64(u64::from(r.$name)) }
    };
    ($name:ident, OptU32) => {
        Column { name: stringify!($name), ty: ColumnType::OptU32, get: |r| Cell::OptU32(r.$name) }
    };
    ($name:ident, Str) => {
        Column { name: stringify!($name), ty: ColumnType::Str, get: |r| Cell::Str(&r.$name) }
    };
    ($name:ident, Label) => {
        Column { name: stringify!($name), ty: ColumnType::Str, get: |r| Cell::Str(r.$name.as_str()) }
    };
    ($name:ident, Dec) => {
        Column { name: stringify!($name), ty: ColumnType::Dec, get: |r| Cell::Dec(r.$name) }
    };
    ($name:ident, OptDec) => {
        Column { name: stringify!($name), ty: ColumnType::OptDec, get: |r| Cell::OptDec(r.$name) }
    };
    ($name:ident, OptF64) => {
        Column { name: stringify!($name), ty: ColumnType::OptF64, get: |r| Cell::OptF64(r.$name) }
    };
}

pub(crate) use col;

static SERIES: [Column<SeriesRow>; 28] = [
    col!(time_ms, U64),
    col!(venue, Str),
    col!(instrument, Str),
    col!(last, OptDec),
    col!(mark, OptDec),
    col!(index, OptDec),
    col!(best_bid, OptDec),
    col!(best_ask, OptDec),
    col!(bid_depth_1pct, Dec),
    col!(ask_depth_1pct, Dec),
    col!(bid_depth_5pct, Dec),
    col!(ask_depth_5pct, Dec),
    col!(volume, Dec),
    col!(volume_notional, Dec),
    col!(trades, U64),
    col!(liq_long_count, U64),
    col!(liq_long_notional, Dec),
    col!(liq_short_count, U64),
    col!(liq_short_notional, Dec),
    col!(open_interest, Dec),
    col!(open_interest_notional, Dec),
    col!(insurance_fund, Dec),
    col!(adl_count, U64),
    col!(adl_notional, Dec),
    col!(bad_debt, Dec),
    col!(funding_rate, OptDec),
    col!(backstop_position, Dec),
    col!(backstop_pnl, Dec),
];

impl Table for SeriesRow {
    const NAME: &'static str = "series";
    fn columns() -> &'static [Column<Self>] {
        &SERIES
    }
}

static LIQUIDATIONS: [Column<LiquidationRow>; 15] = [
    col!(time_ms, U64),
    col!(venue, Str),
    col!(instrument, Str),
    col!(account, U32AsU64),
    col!(side, Label),
    col!(margin_mode, Label),
    col!(kind, Label),
    col!(qty, Dec),
    col!(price, Dec),
    col!(notional, Dec),
    col!(mark_price, Dec),
    col!(bankruptcy_price, OptDec),
    col!(fee, Dec),
    col!(insurance_fund_change, Dec),
    col!(bad_debt, Dec),
];

impl Table for LiquidationRow {
    const NAME: &'static str = "liquidations";
    fn columns() -> &'static [Column<Self>] {
        &LIQUIDATIONS
    }
}

static ADL: [Column<AdlRow>; 12] = [
    col!(time_ms, U64),
    col!(venue, Str),
    col!(instrument, Str),
    col!(account, U32AsU64),
    col!(side, Label),
    col!(qty, Dec),
    col!(price, Dec),
    col!(notional, Dec),
    col!(realized_pnl, Dec),
    col!(rank, OptU32),
    col!(leverage, OptDec),
    col!(liquidated_account, OptU32),
];

impl Table for AdlRow {
    const NAME: &'static str = "adl";
    fn columns() -> &'static [Column<Self>] {
        &ADL
    }
}
