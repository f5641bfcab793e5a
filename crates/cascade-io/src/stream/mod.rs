//! Binance USD-M futures websocket events as JSON lines: `forceOrder`, `aggTrade` and
//! `markPriceUpdate`, read ([`parse`], [`reader`]) and written ([`format`], [`emit`]: a
//! simulated run as the same events, so `cascade watch` can be tried on a simulated cascade).
//!
//! Accepted per line: one event object; the combined-stream wrapper
//! `{"stream":"…","data":{…}}`; or an array of events (as `!markPrice@arr` sends). Prices and
//! quantities are read from Binance's decimal strings exactly (`Decimal`, never `f64`). Fields
//! the watcher does not use are ignored, since Binance adds fields to its messages; a missing
//! or ill-typed field the watcher needs, a bad number, invalid JSON, or an event type other
//! than the three is an error naming the line, the column and the field, and the reader skips
//! that line (or array element), counts it and carries on.

pub mod emit;
pub mod format;
pub mod parse;
pub mod reader;

pub use emit::{recording_events, stream_symbols, write_stream};
pub use format::format_event;
pub use parse::{LineError, parse_line};
pub use reader::{Polled, ReadStats, StreamReader};
