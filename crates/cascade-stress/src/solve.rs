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

/// Solves the extra margin of account `i` and the transfer timing along each route into it.
/// `base` is the outcome of `plan` as given.
///
/// # Errors
/// A simulation failure.
pub fn solve(plan: &Plan<'_>, base: &Outcome, i: usize) -> Result<MarginSolve, SimError> {
    let notional = notional(base, i);
    let tol = tolerance(notional);
    let mut out =
        MarginSolve { extra_margin: None, tolerance: dec(tol), runs: 0, note: None, transfers: Vec::new() };
    let Some(liquidated_at) = base.accounts[i].first_liquidation_s else {
        out.extra_margin = Some(Decimal::ZERO);
        return Ok(out);
    };
    if plan.portfolio.accounts[i].mode == AccountMode::Isolated {
        out.note = Some(
            "isolated account: its wallet does not back its positions, so extra wallet margin cannot \
             prevent the liquidation (add isolated margin per position instead; not solved)"
                .into(),
        );
        return Ok(out);
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
    let mut hi = Cash(notional.0.max(tol.0));
    let mut found = false;
    for _ in 0..4 {
        if survives(hi, &mut runs)? {
            found = true;
            break;
        }
        hi = Cash(hi.0.saturating_mul(2));
    }
    if !found {
        out.runs = runs;
        out.note = Some(format!(
            "still liquidated with {} extra (8× the entry notional): a margin top-up does not save it",
            dec(Cash(hi.0 / 2))
        ));
        return Ok(out);
    }
    let mut lo = Cash::ZERO;
    while hi.0 - lo.0 > tol.0 && runs < MAX_BISECTIONS {
        let mid = Cash(lo.0 + (hi.0 - lo.0) / 2);
        if survives(mid, &mut runs)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
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
