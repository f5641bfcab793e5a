//! The state machine: events in, outputs out, one symbol's state per `BTreeMap` entry.
//!
//! # Time, order and missing data
//! - **Time** is the events' own (see [`StreamEvent::time_ms`]). The newest second seen across
//!   the stream is the watcher's clock: when an event falls in a later second, every symbol's
//!   indicators are emitted for the second that just ended (once, even when the stream jumps
//!   several seconds), then the event is applied. [`Watcher::finish`] emits the last second.
//! - **Out of order**: an event older than the newest second but within the history kept
//!   (17 minutes) goes into its own second, so the sums it belongs to are right from the next
//!   emission on (seconds already emitted are not emitted again). Older ones are dropped and
//!   counted as late.
//! - **Duplicates**: an event with the same symbol, kind, time and identifying fields
//!   (aggregate trade id; liquidation side, prices and quantities; mark price) as one already
//!   taken is dropped and counted.
//! - **Gaps**: mark-price updates further apart than the configured gap and jumps of aggregate
//!   trade ids are reported as warnings; the indicators carry on over them, a price change
//!   using the latest price at or before its look-back time.

use std::collections::BTreeMap;

use crate::clusters::Clusters;
use crate::config::{ConfigError, WatchConfig};
use crate::dedupe::Dedupe;
use crate::event::{Side, StreamEvent};
use crate::indicators::{Indicators, compute};
use crate::level::RiskLevel;
use crate::output::{Alert, AlertKind, Counts, Output, Warning, WarningKind};
use crate::window::{HORIZON_S, Window};

/// One symbol's state.
#[derive(Debug, Clone)]
struct SymbolState {
    coin: String,
    window: Window,
    dedupe: Dedupe,
    last_mark_ms: Option<u64>,
    last_trade_id: Option<u64>,
    /// The level last alerted, while an alert is on.
    alerted: Option<RiskLevel>,
    /// Second since which the level has been below the alert level, while an alert is on.
    below_since: Option<u64>,
    latest: Option<Indicators>,
}

/// The watcher. See the [module documentation](self) for its handling of time and data.
#[derive(Debug, Clone)]
pub struct Watcher {
    config: WatchConfig,
    clusters: Clusters,
    coin_of: fn(&str) -> String,
    symbols: BTreeMap<String, SymbolState>,
    newest_sec: Option<u64>,
    counts: Counts,
}

impl Watcher {
    /// A watcher with these thresholds and no clusters.
    ///
    /// # Errors
    /// The configuration's first bad value ([`WatchConfig::validate`]).
    pub fn new(config: WatchConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            config,
            clusters: Clusters::default(),
            coin_of: |s| s.to_string(),
            symbols: BTreeMap::new(),
            newest_sec: None,
            counts: Counts::default(),
        })
    }

    /// Adds liquidation clusters, keyed by coin; `coin_of` names a symbol's coin
    /// (`BTCUSDT` → `BTC`).
    #[must_use]
    pub fn with_clusters(mut self, clusters: Clusters, coin_of: fn(&str) -> String) -> Self {
        self.clusters = clusters;
        self.coin_of = coin_of;
        self
    }

    /// What has been read so far.
    #[must_use]
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The latest indicators of every symbol, by symbol.
    pub fn latest(&self) -> impl Iterator<Item = &Indicators> {
        self.symbols.values().filter_map(|s| s.latest.as_ref())
    }

    /// Takes one event; what it completes (indicators of the second that ended, alerts,
    /// warnings) is appended to `out`.
    pub fn push(&mut self, event: StreamEvent, out: &mut Vec<Output>) {
        let t = event.time_ms();
        let sec = t / 1000;
        match self.newest_sec {
            Some(n) if sec > n => {
                self.emit(n, out);
                self.newest_sec = Some(sec);
                let cut = sec.saturating_sub(HORIZON_S).saturating_mul(1000);
                for s in self.symbols.values_mut() {
                    s.dedupe.forget_before(cut);
                }
            }
            Some(n) if sec + HORIZON_S < n => {
                self.counts.late += 1;
                return;
            }
            Some(_) => {}
            None => self.newest_sec = Some(sec),
        }
        let coin_of = self.coin_of;
        let state = match self.symbols.get_mut(event.symbol()) {
            Some(s) => s,
            None => self.symbols.entry(event.symbol().to_string()).or_insert_with(|| SymbolState {
                coin: coin_of(event.symbol()),
                window: Window::new(),
                dedupe: Dedupe::default(),
                last_mark_ms: None,
                last_trade_id: None,
                alerted: None,
                below_since: None,
                latest: None,
            }),
        };
        if !state.dedupe.insert(&event) {
            self.counts.duplicates += 1;
            return;
        }
        self.counts.events += 1;
        if self.newest_sec.is_some_and(|n| sec < n) {
            self.counts.out_of_order += 1;
        }
        let warn = |kind, message: String| {
            Output::Warning(Warning { time_ms: t, symbol: event.symbol().to_string(), kind, message })
        };
        match &event {
            StreamEvent::ForceOrder(f) => {
                self.counts.force_orders += 1;
                let side = usize::from(f.side == Side::Buy);
                let b = state.window.bucket_mut(sec);
                b.liq[side] = b.liq[side].saturating_add(f.notional());
            }
            StreamEvent::AggTrade(a) => {
                self.counts.agg_trades += 1;
                if let Some(last) = state.last_trade_id {
                    if a.id > last.saturating_add(1) {
                        let missing = a.id - last - 1;
                        self.counts.missing_trades += missing;
                        out.push(warn(
                            WarningKind::TradeIdGap,
                            format!("aggregate trade ids jump from {last} to {}: {missing} missing", a.id),
                        ));
                    }
                }
                state.last_trade_id = Some(state.last_trade_id.map_or(a.id, |l| l.max(a.id)));
                let b = state.window.bucket_mut(sec);
                if b.trade.is_none_or(|(bt, _)| t >= bt) {
                    b.trade = Some((t, a.price));
                }
                b.traded = b.traded.saturating_add(a.price.checked_mul(a.qty).unwrap_or_default());
            }
            StreamEvent::MarkPrice(m) => {
                self.counts.mark_prices += 1;
                if let Some(last) = state.last_mark_ms {
                    if t > last.saturating_add(self.config.gap_ms) {
                        self.counts.mark_gaps += 1;
                        out.push(warn(
                            WarningKind::MarkGap,
                            format!(
                                "no mark price for {:.1} s (gap limit {} ms)",
                                (t - last) as f64 / 1000.0,
                                self.config.gap_ms
                            ),
                        ));
                    }
                }
                state.last_mark_ms = Some(state.last_mark_ms.map_or(t, |l| l.max(t)));
                state.window.has_mark = true;
                let b = state.window.bucket_mut(sec);
                if b.mark.is_none_or(|(bt, _)| t >= bt) {
                    b.mark = Some((t, m.mark));
                }
            }
        }
    }

    /// Emits the indicators of the newest second (the end of the input).
    pub fn finish(&mut self, out: &mut Vec<Output>) {
        if let Some(n) = self.newest_sec {
            self.emit(n, out);
        }
    }

    /// Indicators of every symbol at the end of second `sec`, and the alerts they raise.
    fn emit(&mut self, sec: u64, out: &mut Vec<Output>) {
        for (symbol, s) in &mut self.symbols {
            let ind = compute(&s.window, symbol, &s.coin, sec, &self.clusters, &self.config);
            let level = ind.level;
            let alert = |kind, previous| {
                Output::Alert(Alert {
                    time_ms: ind.time_ms,
                    symbol: symbol.clone(),
                    kind,
                    level,
                    previous,
                    price: ind.price,
                    reasons: ind.reasons.clone(),
                })
            };
            let mut raised = None;
            if level >= self.config.alert_level {
                s.below_since = None;
                if s.alerted.is_none_or(|a| level > a) {
                    raised = Some(alert(AlertKind::Raised, s.alerted));
                    s.alerted = Some(level);
                    self.counts.alerts += 1;
                }
            } else if let Some(a) = s.alerted {
                let since = *s.below_since.get_or_insert(sec);
                if sec.saturating_sub(since) >= self.config.clear_after_s {
                    raised = Some(alert(AlertKind::Cleared, Some(a)));
                    s.alerted = None;
                    s.below_since = None;
                }
            }
            out.push(Output::Indicators(Box::new(ind.clone())));
            out.extend(raised);
            s.latest = Some(ind);
        }
    }
}
