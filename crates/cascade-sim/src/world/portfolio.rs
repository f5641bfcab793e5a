//! Putting a given book into the world (`cascade stress`): each portfolio account becomes an
//! account at its venue, tagged [`Owner::Portfolio`], funded with its wallet (plus any extra the
//! caller adds, e.g. a margin solve) and collateral, its positions opened at their entry prices
//! the way the population's are (`seed.rs`: against the market's seeding account, on an empty
//! book, before any agent quotes), and its stops resting in the engine. From then on the engine
//! treats it like any other account: it is liquidated, ADL'd and funded by the same rules.
//!
//! Every name is checked against the scenario here, where it is known: an unknown venue, symbol
//! or collateral asset, a price off the tick grid or a position the venue refuses is a
//! [`SimError::Scenario`] naming the portfolio field. Nothing here reads files.

use cascade_engine::book::{Side, Trigger};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::venue::{OrderKind, OrderRequest};

use super::{Owner, World, base_asset};
use crate::error::SimError;
use crate::scenario::{AccountMode, Dec, Portfolio, PositionSide};

/// A portfolio account as it sits in the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedAccount {
    /// The portfolio's name for it.
    pub name: String,
    /// Venue index.
    pub venue: usize,
    /// Engine account.
    pub account: AccountId,
    /// Its positions, in portfolio order.
    pub legs: Vec<TaggedLeg>,
}

/// One position of a portfolio account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedLeg {
    /// Market index.
    pub market: usize,
    /// Whether it is long.
    pub long: bool,
    /// Size opened (positive).
    pub qty: Qty,
    /// Entry price.
    pub entry: Price,
}

fn scaled(field: &str, d: Dec, places: u32, what: &str) -> Result<i64, SimError> {
    d.to_scaled(places).ok_or_else(|| {
        SimError::scenario(field, format!("{d} is not a {what} this market can hold ({places} decimals)"))
    })
}

impl World {
    /// Inserts `portfolio`'s accounts (see the module documentation), account `i` funded with
    /// `extra[i]` on top of its wallet (missing entries: none). Call after [`World::build`] and
    /// before any agent trades. Returns the accounts in portfolio order.
    ///
    /// # Errors
    /// [`SimError::Scenario`] naming the portfolio field (`accounts[i].positions[j].symbol`, …)
    /// that does not fit the scenario, or a position the venue refuses to open.
    pub fn insert_portfolio(
        &mut self,
        portfolio: &Portfolio,
        extra: &[Cash],
    ) -> Result<Vec<TaggedAccount>, SimError> {
        let mut out = Vec::with_capacity(portfolio.accounts.len());
        for (i, a) in portfolio.accounts.iter().enumerate() {
            let p = format!("accounts[{i}]");
            let v = self.venues.iter().position(|s| s.name == a.venue).ok_or_else(|| {
                SimError::scenario(format!("{p}.venue"), format!("the scenario has no venue `{}`", a.venue))
            })?;
            let account = self.open_account(v, Owner::Portfolio(u32::try_from(i).unwrap_or(u32::MAX)))?;
            let wallet = super::build::cash(&format!("{p}.wallet"), a.wallet)?;
            let add = extra.get(i).copied().unwrap_or(Cash::ZERO);
            let total = wallet.checked_add(add).map_err(|_| {
                SimError::scenario(format!("{p}.wallet"), "wallet plus the extra margin overflows")
            })?;
            self.deposit(v, account, total)?;
            for (j, c) in a.collateral.iter().enumerate() {
                let q = format!("{p}.collateral[{j}]");
                let k = self
                    .assets
                    .iter()
                    .position(|s| s.name == c.asset)
                    .and_then(|ai| self.collateral_at(v, base_asset(ai)))
                    .ok_or_else(|| {
                        SimError::scenario(
                            format!("{q}.asset"),
                            format!(
                                "venue `{}` does not accept `{}` as collateral in this scenario \
                                 ([[venues.collateral]])",
                                a.venue, c.asset
                            ),
                        )
                    })?;
                let units = super::build::cash(&format!("{q}.amount"), c.amount)?;
                let ledger = self.collateral[k].ledger;
                self.deposit_asset(v, account, ledger, units)?;
                let reference =
                    super::Market::cash_f64(units) * super::Market::cash_f64(self.collateral[k].applied);
                self.note_holder(k, reference);
            }
            let isolated = a.mode == AccountMode::Isolated;
            let mut legs = Vec::with_capacity(a.positions.len());
            for (j, x) in a.positions.iter().enumerate() {
                let q = format!("{p}.positions[{j}]");
                let m = self.find_market(&a.venue, &x.symbol).ok_or_else(|| {
                    SimError::scenario(
                        format!("{q}.symbol"),
                        format!("venue `{}` lists no `{}` in this scenario", a.venue, x.symbol),
                    )
                })?;
                let spec = self.markets[m].instrument.spec().clone();
                let qty = Qty(scaled(&format!("{q}.size"), x.size, spec.qty_decimals, "size")?);
                if qty.0 % spec.lot.0 != 0 {
                    return Err(SimError::scenario(
                        format!("{q}.size"),
                        format!("{} is not on the lot grid", x.size),
                    ));
                }
                let entry = match x.entry_price {
                    Some(e) => Price(scaled(&format!("{q}.entry_price"), e, spec.price_decimals, "price")?),
                    None => {
                        let at = self.spot_of(m);
                        self.markets[m].price_tick_near(at).ok_or_else(|| {
                            SimError::scenario(
                                format!("{q}.entry_price"),
                                "the market has no price at time zero",
                            )
                        })?
                    }
                };
                if entry.0 % spec.tick.0 != 0 {
                    return Err(SimError::scenario(
                        format!("{q}.entry_price"),
                        format!("{} is not on the tick grid", x.entry_price.unwrap_or_default()),
                    ));
                }
                let max = self.max_opening_leverage(m);
                if x.leverage > max {
                    return Err(SimError::scenario(
                        format!("{q}.leverage"),
                        format!("{} is above the market's maximum {max}", x.leverage),
                    ));
                }
                self.configure(m, account, isolated, x.leverage)?;
                let long = x.side == PositionSide::Long;
                if !self.seed_position(m, account, long, qty, entry)? {
                    return Err(SimError::scenario(
                        q,
                        format!(
                            "the venue refused to open it: the wallet ({}) does not cover its initial margin \
                             at leverage {} and the fee",
                            a.wallet, x.leverage
                        ),
                    ));
                }
                legs.push(TaggedLeg { market: m, long, qty, entry });
            }
            for (j, s) in a.stops.iter().enumerate() {
                let q = format!("{p}.stops[{j}]");
                let k =
                    a.positions.iter().position(|x| x.symbol == s.symbol).ok_or_else(|| {
                        SimError::scenario(format!("{q}.symbol"), "no position in this symbol")
                    })?;
                let leg = &legs[k];
                let spec = self.markets[leg.market].instrument.spec().clone();
                let trigger =
                    Price(scaled(&format!("{q}.trigger"), s.trigger, spec.price_decimals, "price")?);
                let wrong_side = if leg.long { trigger >= leg.entry } else { trigger <= leg.entry };
                if wrong_side {
                    return Err(SimError::scenario(
                        format!("{q}.trigger"),
                        format!(
                            "{} would not be a stop-loss: it must be {} the entry",
                            s.trigger,
                            if leg.long { "below" } else { "above" }
                        ),
                    ));
                }
                let qty = match s.size {
                    Some(d) => Qty(scaled(&format!("{q}.size"), d, spec.qty_decimals, "size")?).min(leg.qty),
                    None => leg.qty,
                };
                let side = if leg.long { Side::Sell } else { Side::Buy };
                let req = OrderRequest {
                    kind: OrderKind::StopMarket { trigger, source: Trigger::Mark },
                    reduce_only: true,
                    ..OrderRequest::market(side, qty)
                };
                if self.place(leg.market, account, req)?.is_none() {
                    return Err(SimError::scenario(q, "the venue refused the stop order"));
                }
            }
            out.push(TaggedAccount { name: a.name.clone(), venue: v, account, legs });
        }
        Ok(out)
    }
}
