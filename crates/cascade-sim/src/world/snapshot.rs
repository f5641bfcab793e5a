//! A snapshot of the leveraged population's open positions at the current simulated time, as a
//! liquidation map needs them: venue rule set, symbol, side, size, entry price and the
//! liquidation price the venue's own index holds. No I/O: the caller draws or writes it.

use cascade_engine::margin::tables::Venue as RuleSet;
use cascade_engine::num::Price;
use rust_decimal::Decimal;

use super::{Owner, World};
use crate::error::SimError;

/// One open position of a population trader or copy-trading follower.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionSnapshot {
    /// The venue's rule set (its tier tables price the position).
    pub rules: RuleSet,
    /// The venue's name in the scenario.
    pub venue: String,
    /// Instrument symbol.
    pub symbol: String,
    /// Long (`true`) or short.
    pub long: bool,
    /// Size in base units (quantity × contract size).
    pub size: Decimal,
    /// Average entry price.
    pub entry_price: Decimal,
    /// The liquidation price in the venue's liquidation index (`None`: never liquidated at a
    /// positive price).
    pub liquidation_price: Option<Decimal>,
}

impl World {
    /// Open positions of the leveraged population (traders and followers; not makers, hedgers,
    /// seeders or the backstop), with the liquidation prices the venues index.
    ///
    /// # Errors
    /// [`SimError::Venue`] if a venue cannot refresh its liquidation index.
    pub fn population_positions(&mut self) -> Result<Vec<PositionSnapshot>, SimError> {
        let now = self.now;
        let mut out = Vec::new();
        for slot in &mut self.venues {
            slot.engine.refresh_index().map_err(|source| SimError::Venue {
                venue: slot.name.clone(),
                time: now,
                source,
            })?;
            let rules = slot.engine.rules().venue;
            for (id, account) in slot.engine.ledger().accounts() {
                let owner = slot.owners.get(id.0 as usize).copied().unwrap_or_default();
                if !matches!(owner, Owner::Trader(_) | Owner::Follower(_)) {
                    continue;
                }
                for p in account.positions().iter().filter(|p| !p.size.is_zero()) {
                    let Ok(ins) = slot.engine.instrument(p.instrument) else { continue };
                    let spec = ins.spec();
                    let Ok(entry) = ins.price_for_value(p.cost, p.size, cascade_engine::num::Round::Floor)
                    else {
                        continue;
                    };
                    // The index keeps `LP + 1` for a long and `LP − 1` for a short (see
                    // cascade-engine venue/margin.rs); undo that one-unit buffer.
                    let lp = match p.trigger {
                        0 => None,
                        t if t > 0 => Some(Price(t - 1)),
                        t => Some(Price(-t + 1)),
                    };
                    let dec = |raw: i64, scale: u32| Decimal::new(raw, scale);
                    out.push(PositionSnapshot {
                        rules,
                        venue: slot.name.clone(),
                        symbol: spec.symbol.clone(),
                        long: p.size.is_positive(),
                        size: dec(p.size.0.abs(), spec.qty_decimals) * spec.contract_size,
                        entry_price: dec(entry.0, spec.price_decimals),
                        liquidation_price: lp.map(|l| dec(l.0, spec.price_decimals)),
                    });
                }
            }
        }
        Ok(out)
    }
}
