//! What it takes to survive a scenario, solved by re-running it (same scenario, same seed).
//!
//! * **Extra margin**: the least settle asset added to an account's wallet at time zero for
//!   which none of its legs is liquidated, by bisection between 0 (liquidated) and an amount
//!   that survives (first tried: the account's entry notional; doubled up to three times). The
//!   bisection assumes survival is monotone in the margin, which holds for the account itself
//!   (more equity, same path) but not exactly for the market, which its own liquidation orders
//!   move; the answer is checked by the last surviving run, so it is always an amount that
//!   survived. It stops when the bracket is narrower than [`tolerance`]: the answer is at most
//!   that much above the least amount that survives.
//! * **Transfer timing**: for every route into the account, the latest time to send the solved
//!   amount so that it arrives before the liquidation it prevents (the liquidation time of the
//!   run without it, less the route's delay, less two price steps), checked by a run that sends
//!   it then; a route slower than the time to liquidation cannot save the account.
//!
//! * **Isolated accounts**: the wallet does not back the positions, so the solve is per position:
//!   for each leg the base run liquidates, in portfolio order, the least isolated margin added to
//!   that position at time zero (the legs solved before it keep theirs) for which it is not
//!   liquidated, by the same bisection (from the leg's entry notional, tolerance 0.1% of it). The
//!   account's answer is the sum, checked by a last run with every leg's top-up. A transfer
//!   lands in the wallet, not in a position, so no transfer timing is given.
//!
//! ADL is not prevented by margin (it cuts profitable positions), so it is not solved for.

use cascade_engine::num::{CASH_DECIMALS, Cash};
use cascade_sim::SimError;
use cascade_sim::scenario::AccountMode;
use cascade_sim::scheduler::SimTime;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::run::{Outcome, Plan, Rescue, run};

/// Largest number of bisection runs per account.
pub const MAX_BISECTIONS: u32 = 24;

/// The bracket width at which the bisection stops: 0.1% of the account's entry notional, at
/// least one settle-asset unit.
#[must_use]
pub fn tolerance(notional: Cash) -> Cash {
    Cash((notional.0 / 1_000).max(100_000_000))
}

/// The margin solve of one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginSolve {
    /// Extra settle asset at time zero that survived (0 when the account survives as is);
    /// `None` when none was found (see `note`).
    pub extra_margin: Option<Decimal>,
    /// The bisection's tolerance (the answer is at most this above the least that survives).
    pub tolerance: Decimal,
    /// Runs made.
    pub runs: u32,
    /// Why there is no answer, or what limits it.
    pub note: Option<String>,
    /// Per route into the account: when the solved amount must be sent.
    pub transfers: Vec<TransferTiming>,
    /// Isolated accounts: the isolated margin added to each position (portfolio order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub legs: Vec<LegMargin>,
}

/// The isolated margin one position needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegMargin {
    /// Instrument symbol.
    pub symbol: String,
    /// Isolated margin added at time zero (0 when the leg survives as is); `None` when none
    /// was found.
    pub extra_margin: Option<Decimal>,
    /// Runs made for this leg.
    pub runs: u32,
}

/// When a transfer along one route must leave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferTiming {
    /// Source account.
    pub from: String,
    /// Route delay, seconds.
    pub delay_s: u64,
    /// Latest send time, seconds from the start; `None` when the route is slower than the time
    /// to liquidation (it would have to leave before the scenario starts).
    pub latest_send_s: Option<u64>,
    /// The check run sent it then and the account survived.
    pub verified: Option<bool>,
    /// What the check run saw (source short of free margin, …).
    pub note: Option<String>,
}

fn dec(c: Cash) -> Decimal {
    Decimal::new(c.0, CASH_DECIMALS)
}

/// Entry notional of account `i` (Σ |size| × entry of its legs, settle asset).
fn notional(base: &Outcome, i: usize) -> Cash {
    let raw: Decimal = base.accounts[i].legs.iter().map(|l| l.size * l.entry_price).sum();
    let mut r = raw;
    r.rescale(CASH_DECIMALS);
    Cash(i64::try_from(r.mantissa()).unwrap_or(i64::MAX))
}

/// The smallest extra amount (within `tol`) with which `survives` holds: doubling from `start`
/// at most four times (up to 8× it), then bisecting between zero and the first amount that
/// survived, while `runs` (counted by `survives`) stays under [`MAX_BISECTIONS`]. `Ok((lo, hi))`
/// is the last bracket (`hi` survived); `Err(amount)` the largest amount tried when none did.
fn smallest_surviving(
    start: Cash,
    tol: Cash,
    runs: &mut u32,
    mut survives: impl FnMut(Cash, &mut u32) -> Result<bool, SimError>,
) -> Result<Result<(Cash, Cash), Cash>, SimError> {
    let mut hi = start;
    let mut found = false;
    for _ in 0..4 {
        if survives(hi, runs)? {
            found = true;
            break;
        }
        hi = Cash(hi.0.saturating_mul(2));
    }
    if !found {
        return Ok(Err(Cash(hi.0 / 2)));
    }
    let mut lo = Cash::ZERO;
    while hi.0 - lo.0 > tol.0 && *runs < MAX_BISECTIONS {
        let mid = Cash(lo.0 + (hi.0 - lo.0) / 2);
        if survives(mid, runs)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Ok((lo, hi)))
}

/// Solves the extra margin of account `i` and the transfer timing along each route into it.
/// `base` is the outcome of `plan` as given.
///
/// # Errors
/// A simulation failure.
pub fn solve(plan: &Plan<'_>, base: &Outcome, i: usize) -> Result<MarginSolve, SimError> {
    let notional = notional(base, i);
    let tol = tolerance(notional);
    let mut out = MarginSolve {
        extra_margin: None,
        tolerance: dec(tol),
        runs: 0,
        note: None,
        transfers: Vec::new(),
        legs: Vec::new(),
    };
    let Some(liquidated_at) = base.accounts[i].first_liquidation_s else {
        out.extra_margin = Some(Decimal::ZERO);
        return Ok(out);
    };
    if plan.portfolio.accounts[i].mode == AccountMode::Isolated {
        return solve_isolated(plan, base, i, out);
    }
    let survives = |extra: Cash, runs: &mut u32| -> Result<bool, SimError> {
        let mut p = plan.clone();
        if p.extra.len() <= i {
            p.extra.resize(i + 1, Cash::ZERO);
        }
        p.extra[i] = Cash(p.extra[i].0.saturating_add(extra.0));
        *runs += 1;
        Ok(!run(&p)?.liquidated(i))
    };
    let mut runs = 0;
    let (lo, hi) = match smallest_surviving(Cash(notional.0.max(tol.0)), tol, &mut runs, survives)? {
        Ok(bracket) => bracket,
        Err(tried) => {
            out.runs = runs;
            out.note = Some(format!(
                "still liquidated with {} extra (8× the entry notional): a margin top-up does not save it",
                dec(tried)
            ));
            return Ok(out);
        }
    };
    out.runs = runs;
    out.extra_margin = Some(dec(hi));
    if hi.0 - lo.0 > tol.0 {
        out.note =
            Some(format!("stopped after {MAX_BISECTIONS} runs with a bracket of {}", dec(Cash(hi.0 - lo.0))));
    }
    // Transfer timing along each route into the account.
    let step_s = plan.scenario.run.price_step_ms.max(1) as f64 / 1e3;
    let name = &plan.portfolio.accounts[i].name;
    for r in plan.portfolio.routes.iter().filter(|r| &r.to == name) {
        let Some(from) = plan.portfolio.account_index(&r.from) else { continue };
        let latest = liquidated_at - r.delay_s as f64 - 2.0 * step_s;
        let mut t = TransferTiming {
            from: r.from.clone(),
            delay_s: r.delay_s,
            latest_send_s: None,
            verified: None,
            note: None,
        };
        if latest < 0.0 {
            t.note = Some(format!(
                "the route takes {} s but the account is liquidated at {liquidated_at:.0} s: the money must \
                 already be there before the scenario starts",
                r.delay_s
            ));
            out.transfers.push(t);
            continue;
        }
        let at = latest.floor() as u64;
        t.latest_send_s = Some(at);
        let mut p = plan.clone();
        p.rescue = Some(Rescue {
            from: Some(from),
            to: i,
            amount: hi,
            at: SimTime::from_secs(at),
            delay: SimTime::from_secs(r.delay_s),
        });
        let o = run(&p)?;
        out.runs += 1;
        let sent = o.transfers.iter().rev().find(|x| x.to == *name && x.from == r.from).map(|x| x.sent);
        t.verified = Some(!o.liquidated(i));
        if sent.is_some_and(|s| s < dec(hi)) {
            t.note = Some(format!(
                "`{}` had only {} of free margin to send then",
                r.from,
                sent.unwrap_or_default()
            ));
        }
        if o.liquidated(from) && !base.liquidated(from) {
            let extra = t.note.take().map(|n| format!("{n}; ")).unwrap_or_default();
            t.note = Some(format!("{extra}sending it gets `{}` liquidated", r.from));
        }
        out.transfers.push(t);
    }
    Ok(out)
}

/// Whether leg `j` of account `i` was liquidated (any kind but an ADL cut of it as the winner).
fn leg_liquidated(o: &Outcome, i: usize, j: usize) -> bool {
    o.accounts[i].legs.get(j).is_some_and(|l| l.events.iter().any(|e| e.kind != "adl_cut"))
}

/// The isolated-account solve (module doc): per liquidated leg, the least isolated margin that
/// keeps it, by bisection.
fn solve_isolated(
    plan: &Plan<'_>,
    base: &Outcome,
    i: usize,
    mut out: MarginSolve,
) -> Result<MarginSolve, SimError> {
    let legs = &base.accounts[i].legs;
    let mut added = vec![Cash::ZERO; legs.len()];
    let mut notes: Vec<String> = Vec::new();
    let with = |added: &[Cash]| {
        let mut p = plan.clone();
        if p.leg_extra.len() <= i {
            p.leg_extra.resize(i + 1, Vec::new());
        }
        p.leg_extra[i] = added.to_vec();
        p
    };
    let mut total = Cash::ZERO;
    let mut all_found = true;
    for (j, leg) in legs.iter().enumerate() {
        let mut runs = 0u32;
        if !leg_liquidated(base, i, j) {
            out.legs.push(LegMargin { symbol: leg.symbol.clone(), extra_margin: Some(Decimal::ZERO), runs });
            continue;
        }
        let raw = (leg.size * leg.entry_price).round_dp(CASH_DECIMALS);
        let notional =
            Cash(i64::try_from(raw.mantissa() * 10i128.pow(CASH_DECIMALS - raw.scale())).unwrap_or(i64::MAX));
        let tol = tolerance(notional);
        let survives = |extra: Cash, runs: &mut u32| -> Result<bool, SimError> {
            let mut a = added.clone();
            a[j] = extra;
            *runs += 1;
            Ok(!leg_liquidated(&run(&with(&a))?, i, j))
        };
        let hi = match smallest_surviving(Cash(notional.0.max(tol.0)), tol, &mut runs, survives)? {
            Ok((_, hi)) => hi,
            Err(tried) => {
                all_found = false;
                notes.push(format!(
                    "{}: still liquidated with {} of isolated margin added",
                    leg.symbol,
                    dec(tried)
                ));
                out.legs.push(LegMargin { symbol: leg.symbol.clone(), extra_margin: None, runs });
                out.runs += runs;
                continue;
            }
        };
        added[j] = hi;
        total = Cash(total.0.saturating_add(hi.0));
        out.runs += runs;
        out.legs.push(LegMargin { symbol: leg.symbol.clone(), extra_margin: Some(dec(hi)), runs });
    }
    if all_found {
        out.runs += 1;
        if run(&with(&added))?.liquidated(i) {
            notes.push(
                "with every leg's top-up together a leg is still liquidated (the legs move the market)"
                    .into(),
            );
        } else {
            out.extra_margin = Some(dec(total));
        }
    }
    let per_leg = out
        .legs
        .iter()
        .map(|l| {
            format!(
                "{} +{}",
                l.symbol,
                l.extra_margin.map_or_else(|| "?".to_string(), |d| d.normalize().to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    notes.insert(0, format!("isolated: added to each position's isolated margin ({per_leg}); a transfer into the wallet would not reach them"));
    out.note = Some(notes.join("; "));
    Ok(out)
}
