//! Multi-asset collateral at the venues (`[[venues.collateral]]`, `[policy.collateral]`): the
//! engine's `CollateralRule` of each accepted asset, kept valued from its source at every price
//! step, and what happened to it, for the run summary.
//!
//! Why: on 10 Oct 2025 Binance valued USDe, wBETH and BNSOL margin from its own thin spot books
//! (venue-mechanics §8; coindesk, 12 Oct 2025). A liquidation sells the holder's collateral into
//! that book (the engine's collateral conversion), the book's price falls, and the next
//! re-valuation cuts every other holder's margin: the spiral is endogenous, nothing imposes the
//! depeg. Under `external_index` the asset is valued at its fair value (the peg, or the followed
//! asset's index × ratio), which the venue's book cannot move.
//!
//! **Re-valuation.** At every price step, before the marks: for `internal_book`, when the book's
//! mid (its last trade while a side is empty) has moved by `reprice_step` or more from the price
//! in force, the engine's `refresh_collateral` re-values, re-indexes the holders and runs the
//! liquidation pass; for `external_index`, when the fair value has, `set_collateral` re-values
//! and the marks' passes that follow liquidate. The step bounds the cost: each re-valuation
//! scans the venue's accounts.

use cascade_engine::instrument::AssetId;
use cascade_engine::num::{Cash, Rate};
use cascade_engine::venue::{CollateralRule, CollateralSource};
use serde::{Deserialize, Serialize};

use super::{Market, SETTLE, World};
use crate::error::SimError;
use crate::scenario::{CollateralSourceCfg, Dec, Policy, Scenario, applies};

/// How far below its external reference the book must be (a fraction) to count as depegged in
/// the summary's window (`depeg_from_ms`, `depeg_to_ms`).
pub const DEPEG_THRESHOLD: f64 = 0.02;

/// One collateral asset accepted at one venue.
#[derive(Debug, Clone)]
pub struct CollateralState {
    /// Venue index.
    pub venue: usize,
    /// Scenario asset index.
    pub asset: usize,
    /// Its ledger asset at the venue.
    pub ledger: AssetId,
    /// The venue's spot book of it (index into `World::spots`).
    pub spot: usize,
    /// What values it (after `[policy.collateral]`).
    pub source: CollateralSourceCfg,
    /// Haircut in force (after `[policy.collateral]`).
    pub haircut: Rate,
    /// Relative move that re-values.
    step: f64,
    /// Price per whole unit the engine values it at now.
    pub applied: Cash,
    /// What happened, for the summary.
    pub tally: CollateralSummary,
    /// Accounts whose units a liquidation converted.
    converted: std::collections::BTreeSet<cascade_engine::ledger::AccountId>,
}

/// What happened to one collateral asset at one venue over a run (`summary.json` →
/// `collateral`). Prices are in the settle asset per whole unit; times ms since the start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollateralSummary {
    /// Venue name.
    pub venue: String,
    /// Asset name.
    pub asset: String,
    /// `internal_book` or `external_index`.
    pub source: String,
    /// Haircut, a fraction.
    pub haircut: f64,
    /// The external reference (fair value) at the start.
    pub reference_start: f64,
    /// Lowest price of the venue's book seen at a price step (mid, else last trade).
    pub book_low: Option<f64>,
    /// When the book was at that low.
    pub book_low_ms: Option<u64>,
    /// Largest drop of the book below the external reference at the same step, percent.
    pub depeg_max_pct: f64,
    /// First price step with the book more than 2 % below the reference.
    pub depeg_from_ms: Option<u64>,
    /// Last such price step.
    pub depeg_to_ms: Option<u64>,
    /// Population traders holding it at the start.
    pub holders: u64,
    /// Value of their holdings at the start, at the reference (settle asset).
    pub holdings_value: f64,
    /// Accounts (not the venue's backstop) whose units a liquidation converted.
    pub holders_liquidated: u64,
    /// Units liquidations and the backstop sold into the venue's book.
    pub units_sold_on_book: f64,
    /// What those sales raised (settle asset).
    pub proceeds_on_book: f64,
    /// Units the backstop bought from liquidated accounts at price less haircut.
    pub units_to_backstop: f64,
    /// Units seized from accounts that left bad debt.
    pub units_seized: f64,
    /// Re-valuations applied to the engine.
    pub repricings: u64,
}

fn units(c: Cash) -> f64 {
    Market::cash_f64(c)
}

/// The source and haircut of venue `venue`'s collateral `given` under `policy`.
fn effective(policy: &Policy, venue: &str, given: (CollateralSourceCfg, Dec)) -> (CollateralSourceCfg, Dec) {
    match policy.collateral.as_ref().filter(|p| applies(&p.venues, venue)) {
        Some(p) => (p.source.unwrap_or(given.0), p.haircut.unwrap_or(given.1)),
        None => given,
    }
}

impl World {
    /// Sets the engine's rule of every `[[venues.collateral]]` entry at its time-zero price
    /// (the asset's start price), after the spot books exist and before any account does.
    ///
    /// # Errors
    /// [`SimError::Scenario`] naming the field the engine refuses (validation catches these).
    pub(super) fn install_collateral(&mut self, scenario: &Scenario) -> Result<(), SimError> {
        let start_ms = scenario.run.start_unix_ms();
        for (vi, ven) in scenario.venues.iter().enumerate() {
            for (j, c) in ven.collateral.iter().enumerate() {
                let p = format!("venues[{vi}].collateral[{j}]");
                let asset = scenario.assets.iter().position(|a| a.name == c.asset).ok_or_else(|| {
                    SimError::scenario(format!("{p}.asset"), format!("unknown asset `{}`", c.asset))
                })?;
                let spot = self
                    .spots
                    .iter()
                    .position(|s| s.market.venue == vi && s.market.asset == asset)
                    .ok_or_else(|| {
                        SimError::scenario(format!("{p}.asset"), "no spot book of the asset on this venue")
                    })?;
                let price_dec = scenario.assets[asset].start_price(start_ms).ok_or_else(|| {
                    SimError::scenario(
                        format!("assets[{asset}].index_price"),
                        "the collateral needs a start price",
                    )
                })?;
                let price = super::build::cash(&format!("assets[{asset}].index_price"), price_dec)?;
                let (source, haircut) = effective(&scenario.policy, &ven.name, (c.source, c.haircut));
                let haircut_rate = super::build::rate(&format!("{p}.haircut"), haircut)?;
                let ledger = super::base_asset(asset);
                let rule = CollateralRule {
                    pool: SETTLE,
                    price,
                    haircut: haircut_rate,
                    source: match source {
                        CollateralSourceCfg::InternalBook => {
                            CollateralSource::Book(self.spots[spot].market.id)
                        }
                        CollateralSourceCfg::ExternalIndex => CollateralSource::External,
                    },
                };
                self.venues[vi]
                    .engine
                    .set_collateral(ledger, rule)
                    .map_err(|e| SimError::scenario(p.clone(), e.to_string()))?;
                let tally = CollateralSummary {
                    venue: ven.name.clone(),
                    asset: c.asset.clone(),
                    source: source.as_str().to_string(),
                    haircut: haircut.to_f64(),
                    reference_start: price_dec.to_f64(),
                    ..CollateralSummary::default()
                };
                self.collateral.push(CollateralState {
                    venue: vi,
                    asset,
                    ledger,
                    spot,
                    source,
                    haircut: haircut_rate,
                    step: c.reprice_step.to_f64(),
                    applied: price,
                    tally,
                    converted: std::collections::BTreeSet::new(),
                });
            }
        }
        Ok(())
    }

    /// The collateral entry of ledger asset `asset` at venue `v`, if it is one.
    #[must_use]
    pub fn collateral_at(&self, v: usize, asset: AssetId) -> Option<usize> {
        self.collateral.iter().position(|c| c.venue == v && c.ledger == asset)
    }

    /// Records that `value` of collateral entry `k`'s reference was deposited with a holder.
    pub fn note_holder(&mut self, k: usize, value: f64) {
        let t = &mut self.collateral[k].tally;
        t.holders += 1;
        t.holdings_value += value;
    }

    /// At a price step, before the marks: records each collateral book against its reference
    /// and re-values the assets whose source moved by their `reprice_step` (see the module doc).
    ///
    /// # Errors
    /// An engine failure while re-valuing or liquidating (a bug).
    pub fn step_collateral(&mut self) -> Result<(), SimError> {
        let now_ms = self.now.as_millis();
        for k in 0..self.collateral.len() {
            let c = &self.collateral[k];
            let (v, ledger, asset, spot) = (c.venue, c.ledger, c.asset, c.spot);
            let reference = self.assets[asset].fair;
            let book = self.spot_price(spot).map(|p| self.spots[spot].market.to_f64(p));
            if let Some(b) = book {
                let t = &mut self.collateral[k].tally;
                if t.book_low.is_none_or(|low| b < low) {
                    t.book_low = Some(b);
                    t.book_low_ms = Some(now_ms);
                }
                let depeg = if reference > 0.0 { 1.0 - b / reference } else { 0.0 };
                t.depeg_max_pct = t.depeg_max_pct.max(depeg * 100.0);
                if depeg > DEPEG_THRESHOLD {
                    t.depeg_from_ms.get_or_insert(now_ms);
                    t.depeg_to_ms = Some(now_ms);
                }
            }
            let c = &self.collateral[k];
            let (source, haircut, step, applied) = (c.source, c.haircut, c.step, units(c.applied));
            let target = match source {
                CollateralSourceCfg::InternalBook => book,
                CollateralSourceCfg::ExternalIndex => Some(reference),
            };
            let Some(target) = target.filter(|x| *x > 0.0) else { continue };
            if applied > 0.0 && (target / applied - 1.0).abs() < step {
                continue;
            }
            self.counters.engine_calls += 1;
            self.events.clear();
            let r = match source {
                CollateralSourceCfg::InternalBook => {
                    self.venues[v].engine.refresh_collateral(ledger, &mut self.events)
                }
                CollateralSourceCfg::ExternalIndex => {
                    let rule = CollateralRule {
                        pool: SETTLE,
                        price: Market::cash(target),
                        haircut,
                        source: CollateralSource::External,
                    };
                    let price = rule.price;
                    self.venues[v].engine.set_collateral(ledger, rule).map(|()| price)
                }
            };
            self.absorb(v)?;
            let price = r.map_err(|e| self.venue_err(v, e))?;
            let c = &mut self.collateral[k];
            if price != c.applied {
                c.applied = price;
                c.tally.repricings += 1;
            }
        }
        Ok(())
    }

    /// The summaries of every collateral entry, in scenario order.
    #[must_use]
    pub fn collateral_summaries(&self) -> Vec<CollateralSummary> {
        self.collateral
            .iter()
            .map(|c| CollateralSummary { holders_liquidated: c.converted.len() as u64, ..c.tally.clone() })
            .collect()
    }
}

/// Tallies a collateral event of venue `v` (called while absorbing engine events).
pub(super) fn on_event(w: &mut World, v: usize, e: &cascade_engine::venue::VenueEvent) {
    use cascade_engine::venue::VenueEvent;
    match *e {
        VenueEvent::CollateralSale { account, asset, units: u, proceeds, book } => {
            let Some(k) = w.collateral_at(v, asset) else { return };
            let backstop = w.venues[v].engine.backstop();
            let c = &mut w.collateral[k];
            if Some(account) != backstop {
                c.converted.insert(account);
            }
            if book.is_some() {
                c.tally.units_sold_on_book += units(u);
                c.tally.proceeds_on_book += units(proceeds);
            } else {
                c.tally.units_to_backstop += units(u);
            }
        }
        VenueEvent::CollateralSeized { asset, units: u, .. } => {
            let Some(k) = w.collateral_at(v, asset) else { return };
            w.collateral[k].tally.units_seized += units(u);
        }
        _ => {}
    }
}
