//! From engine events to metrics rows, and from a market's state to a series snapshot.
//!
//! The engine reports a liquidation after the fills it made (`Trade` events whose taker is the
//! liquidated account) and after the ADL reductions it caused; the row of each liquidation step
//! gathers those to give the price it was actually closed at and the fee paid. Rows hold exact
//! decimals made from the engine's integers (`Decimal::new(raw, places)`: no rounding).

use cascade_engine::book::Side;
use cascade_engine::instrument::InstrumentId;
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{CASH_DECIMALS, Cash, Price, Qty, RATE_DECIMALS, Round};
use cascade_engine::position::MarginMode as EngineMode;
use cascade_engine::venue::{LiquidationKind as EngineKind, VenueEvent};
use rust_decimal::Decimal;

use cascade_engine::book::Book;

use super::{Market, Notice, NoticeKind, SETTLE, VenueSlot, World};
use crate::error::SimError;
use crate::metrics::{
    AdlRow, Exact, LiquidationKind, LiquidationRow, MarginMode, MarketSnapshot, PositionSide,
};

/// A fill whose taker may turn out to be a liquidated account.
#[derive(Debug, Clone, Copy)]
struct Fill {
    taker: AccountId,
    instrument: InstrumentId,
    value: Cash,
    qty: Qty,
    fee: Cash,
    shortfall: Cash,
}

/// An ADL reduction against a bankrupt account, waiting for its liquidation report.
#[derive(Debug, Clone, Copy)]
struct AdlFill {
    bankrupt: AccountId,
    instrument: InstrumentId,
    value: Cash,
    qty: Qty,
}

/// Reused buffers of event absorption.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    fills: Vec<Fill>,
    adl: Vec<AdlFill>,
}

/// A raw engine integer as an exact decimal with `places` decimals.
#[inline]
#[must_use]
pub fn dec(raw: i64, places: u32) -> Decimal {
    Decimal::new(raw, places)
}

fn cash(c: Cash) -> Decimal {
    dec(c.0, CASH_DECIMALS)
}

/// Records the events of one call at venue `v`, in order, and leaves notices for agents.
pub(super) fn absorb(w: &mut World, v: usize, events: &[VenueEvent]) -> Result<(), SimError> {
    w.scratch.fills.clear();
    w.scratch.adl.clear();
    let time_ms = w.now.as_millis();
    for e in events {
        match *e {
            // A spot book's trade (spot books are listed after a venue's perpetuals): it moves
            // the index, no row records it.
            VenueEvent::Trade(t) if usize::from(t.instrument.0) >= w.venues[v].markets.len() => {}
            VenueEvent::Trade(t) => {
                let m = market_of(w, v, t.instrument)?;
                let mk = &w.markets[m];
                let spec = mk.instrument.spec();
                let (pd, qd) = (spec.price_decimals, spec.qty_decimals);
                // Fills while building (the population's and hedgers' seeding fills, the
                // only trades with the seeding accounts) stand for positions opened before
                // the run, not flow in it: they move neither the index nor the market's
                // open/high/low/drop and volume.
                if w.running {
                    w.recorder.on_trade_exact(
                        mk.key,
                        Exact::new(t.price.0, pd),
                        Exact::new(t.qty.0, qd),
                        Exact::new(t.value.0, CASH_DECIMALS),
                    );
                    if w.traded.len() <= m {
                        w.traded.resize(w.markets.len(), false);
                    }
                    w.traded[m] = true;
                    let usd = Market::cash_f64(t.value) * t.taker_side.sign() as f64;
                    let asset = mk.asset;
                    w.assets[asset].perp_trade(usd);
                }
                w.scratch.fills.push(Fill {
                    taker: t.taker,
                    instrument: t.instrument,
                    value: t.value,
                    qty: t.qty,
                    fee: t.taker_fee,
                    shortfall: t.shortfall,
                });
            }
            VenueEvent::Liquidation(r) => {
                let m = market_of(w, v, r.instrument)?;
                let (mut value, mut qty, mut fee, mut shortfall) = (0_i128, 0_i64, 0_i64, 0_i64);
                let source: &mut Vec<_> = &mut w.scratch.fills;
                if r.kind == EngineKind::Book {
                    source.retain(|f| {
                        let mine = f.taker == r.account && f.instrument == r.instrument;
                        if mine {
                            value += i128::from(f.value.0);
                            qty += f.qty.0;
                            fee = fee.saturating_add(f.fee.0);
                            shortfall = shortfall.saturating_add(f.shortfall.0);
                        }
                        !mine
                    });
                } else if r.kind == EngineKind::Adl {
                    w.scratch.adl.retain(|a| {
                        let mine = a.bankrupt == r.account && a.instrument == r.instrument;
                        if mine {
                            value += i128::from(a.value.0);
                            qty += a.qty.0;
                        }
                        !mine
                    });
                }
                let mk = &w.markets[m];
                let spec = mk.instrument.spec();
                let (pd, qd) = (spec.price_decimals, spec.qty_decimals);
                let price = if qty > 0 {
                    let v = Cash(i64::try_from(value).unwrap_or(i64::MAX));
                    mk.instrument.price_for_value(v, Qty(qty), Round::Floor).unwrap_or(r.bankruptcy_price)
                } else {
                    r.bankruptcy_price
                };
                let engine = &w.venues[v].engine;
                let pos =
                    engine.ledger().account(r.account).ok().and_then(|a| a.position(r.instrument).copied());
                let isolated = pos.is_some_and(|p| p.mode == EngineMode::Isolated);
                let left = pos.is_some_and(|p| !p.size.is_zero());
                let kind = match r.kind {
                    EngineKind::Book if left => LiquidationKind::Partial,
                    EngineKind::Book => LiquidationKind::Full,
                    EngineKind::Backstop
                    | EngineKind::Vault
                    | EngineKind::Liquidator
                    | EngineKind::Residual => LiquidationKind::Backstop,
                    EngineKind::Adl => LiquidationKind::Adl,
                };
                let row = LiquidationRow {
                    time_ms,
                    venue: w.venues[v].name.clone(),
                    instrument: mk.symbol.clone(),
                    account: r.account.0,
                    side: if r.long { PositionSide::Long } else { PositionSide::Short },
                    margin_mode: if isolated { MarginMode::Isolated } else { MarginMode::Cross },
                    kind,
                    qty: dec(r.qty.0, qd),
                    price: dec(price.0, pd),
                    notional: cash(r.notional),
                    mark_price: dec(r.mark.0, pd),
                    bankruptcy_price: Some(dec(r.bankruptcy_price.0, pd)),
                    fee: cash(Cash(fee)),
                    insurance_fund_change: cash(Cash(fee.saturating_sub(shortfall))),
                    bad_debt: Decimal::ZERO,
                };
                let key = mk.key;
                w.recorder.on_liquidation(key, row);
                notify(w, v, r.account, m, NoticeKind::Liquidated(r.mark));
            }
            VenueEvent::Adl {
                instrument,
                liquidated,
                counterparty,
                qty,
                price,
                counterparty_realized,
                rank,
                counterparty_notional,
                counterparty_equity,
            } => {
                let m = market_of(w, v, instrument)?;
                let mk = &w.markets[m];
                let spec = mk.instrument.spec();
                let value = mk.value(price, qty);
                // The counterparty held the side opposite the bankrupt one; after the reduction
                // it may be flat, so its side is read from the bankrupt's report side: the
                // bankrupt's close trades on `Side::Sell` for a long.
                let side = counterparty_side(w, v, counterparty, instrument, liquidated);
                let row = AdlRow {
                    time_ms,
                    venue: w.venues[v].name.clone(),
                    instrument: mk.symbol.clone(),
                    account: counterparty.0,
                    side,
                    qty: dec(qty.0, spec.qty_decimals),
                    price: dec(price.0, spec.price_decimals),
                    notional: cash(value),
                    realized_pnl: cash(counterparty_realized),
                    rank: Some(rank),
                    leverage: counterparty_equity
                        .is_positive()
                        .then(|| (cash(counterparty_notional) / cash(counterparty_equity)).round_dp(4)),
                    liquidated_account: Some(liquidated.0),
                };
                let key = mk.key;
                w.recorder.on_adl(key, row);
                w.scratch.adl.push(AdlFill { bankrupt: liquidated, instrument, value, qty });
                notify(w, v, counterparty, m, NoticeKind::Adl(qty));
            }
            VenueEvent::Cancelled { .. }
            | VenueEvent::StopTriggered { .. }
            | VenueEvent::Funding(_)
            | VenueEvent::SocializedLoss { .. } => {}
            VenueEvent::CollateralSale { .. } | VenueEvent::CollateralSeized { .. } => {
                super::collateral::on_event(w, v, e);
            }
            VenueEvent::Halted { instrument, .. }
                if usize::from(instrument.0) < w.venues[v].markets.len() =>
            {
                let m = market_of(w, v, instrument)?;
                w.recorder.on_halt(w.markets[m].key);
            }
            VenueEvent::Halted { .. } => {}
            // Money from outside the world (a policy's external backstop) entered a fund.
            VenueEvent::FundBackstop { amount, .. } => w.transfers.external += i128::from(amount.0),
        }
    }
    Ok(())
}

/// The side of an ADL counterparty's position: the opposite of the bankrupt's, which is still
/// known from the bankrupt's remaining position or, failing that, from the counterparty's own.
fn counterparty_side(
    w: &World,
    v: usize,
    counterparty: AccountId,
    ins: InstrumentId,
    bankrupt: AccountId,
) -> PositionSide {
    let ledger = w.venues[v].engine.ledger();
    let size =
        |a: AccountId| ledger.account(a).ok().and_then(|x| x.position(ins).map(|p| p.size.0)).unwrap_or(0);
    let own = size(counterparty);
    let theirs = size(bankrupt);
    let long = if own != 0 { own > 0 } else { theirs < 0 };
    if long { PositionSide::Long } else { PositionSide::Short }
}

fn notify(w: &mut World, v: usize, account: AccountId, market: usize, what: NoticeKind) {
    let owner = w.venues[v].owners.get(account.0 as usize).copied().unwrap_or_default();
    if owner != super::Owner::Nobody {
        w.notices.push(Notice { owner, market, what });
    }
}

/// The world's market index of instrument `ins` at venue `v`.
fn market_of(w: &World, v: usize, ins: InstrumentId) -> Result<usize, SimError> {
    w.venues[v].markets.get(usize::from(ins.0)).copied().ok_or_else(|| SimError::Venue {
        venue: w.venues[v].name.clone(),
        time: w.now,
        source: cascade_engine::venue::VenueError::UnknownInstrument(ins.0),
    })
}

/// Settle-asset value resting on `side` within `rate` (a fraction) of `center`.
fn depth_value(mk: &Market, book: &Book, side: Side, center: Price, rate: f64) -> Cash {
    let c = center.0 as f64;
    let mut total = 0_i64;
    for level in book.level_infos(side) {
        let p = level.price.0 as f64;
        let inside = match side {
            Side::Buy => p >= c * (1.0 - rate),
            Side::Sell => p <= c * (1.0 + rate),
        };
        if !inside {
            break;
        }
        total = total.saturating_add(mk.value(level.price, level.qty).0);
    }
    Cash(total)
}

/// The state of market `m` now, for a series row.
pub(super) fn snapshot(venues: &[VenueSlot], markets: &[Market], m: usize) -> MarketSnapshot {
    let mk = &markets[m];
    let spec = mk.instrument.spec();
    let pd = spec.price_decimals;
    let engine = &venues[mk.venue].engine;
    let Ok(book) = engine.book(mk.id) else { return MarketSnapshot::default() };
    let price = |p: Option<Price>| p.map(|p| dec(p.0, pd));
    let center = book.mid().or(mk.mark).or(mk.index);
    let depth = |side, rate| center.map_or(Decimal::ZERO, |c| cash(depth_value(mk, book, side, c, rate)));
    let oi = engine.open_interest(mk.id).unwrap_or(Qty::ZERO);
    let sys = engine.ledger().system(SETTLE);
    MarketSnapshot {
        last: price(engine.last_price(mk.id).ok().flatten()),
        mark: price(mk.mark),
        index: price(mk.index),
        best_bid: price(book.best_bid()),
        best_ask: price(book.best_ask()),
        bid_depth_1pct: depth(Side::Buy, 0.01),
        ask_depth_1pct: depth(Side::Sell, 0.01),
        bid_depth_5pct: depth(Side::Buy, 0.05),
        ask_depth_5pct: depth(Side::Sell, 0.05),
        open_interest: dec(oi.0, spec.qty_decimals),
        open_interest_notional: mk.mark.map_or(Decimal::ZERO, |p| cash(mk.value(p, oi))),
        insurance_fund: cash(sys.insurance_fund),
        bad_debt: cash(sys.bad_debt),
        funding_rate: Some(dec(mk.shown_rate().0, RATE_DECIMALS)),
        backstop_position: engine
            .backstop()
            .and_then(|b| engine.ledger().account(b).ok()?.position(mk.id).copied())
            .map_or(Decimal::ZERO, |p| dec(p.size.0, spec.qty_decimals)),
        backstop_pnl: engine.backstop_state().ok().flatten().map_or(Decimal::ZERO, |b| {
            cash(Cash(b.inventory.iter().fold(b.realized_pnl.0, |acc, (_, _, u)| acc.saturating_add(u.0))))
        }),
    }
}
