//! Engine operation streams: an `arbitrary`-derived sequence of orders, cancels, amends,
//! marks (each runs the liquidation pass: liquidations, fund takeovers, backstop, ADL),
//! funding, deposits, withdrawals, leverage and margin-mode changes, on one linear perpetual
//! under one of the seven rule sets. After every operation the venue's full invariant scan
//! (money conserved across accounts, fund and fee pool; open interest balanced; books sound)
//! must pass and no book may be crossed. An operation may be refused (`Err`); a mark update
//! may not, as in the soak (`crates/cascade-engine/tests/soak.rs`).
#![no_main]

use arbitrary::Arbitrary;
use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, FeeSchedule, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::margin::tables::Venue as VenueName;
use cascade_engine::num::{Cash, Price, Qty, Rate};
use cascade_engine::position::MarginMode;
use cascade_engine::risk::rules::RuleSet;
use cascade_engine::venue::{OrderRequest, Venue, VenueConfig};
use libfuzzer_sys::fuzz_target;

const ACCOUNTS: u32 = 8;
const TICK: i64 = 5;
const CENTRE: i64 = 1_000_000;

#[derive(Arbitrary, Debug)]
enum Op {
    Limit { acct: u8, buy: bool, ticks: i8, qty: u16 },
    Market { acct: u8, buy: bool, qty: u16 },
    Cancel { acct: u8, pick: u8 },
    CancelAll { acct: u8 },
    Amend { acct: u8, pick: u8, ticks: Option<i8>, qty: u16 },
    Mark { step: i16 },
    Funding { bps: i8 },
    Deposit { acct: u8, units: u16 },
    Withdraw { acct: u8, units: u16 },
    Leverage { acct: u8, leverage: u8 },
    Isolated { acct: u8, isolated: bool },
    AddMargin { acct: u8, units: u16 },
    Time { seconds: u16 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    rules: u8,
    enforce_initial_margin: bool,
    /// Starting balance of each account in whole units (a small one trades at high leverage).
    balances: [u16; ACCOUNTS as usize],
    ops: Vec<Op>,
}

fn account(a: u8) -> AccountId {
    AccountId(u32::from(a) % ACCOUNTS)
}

fn check(v: &Venue, ins: cascade_engine::instrument::InstrumentId, after: &dyn std::fmt::Debug) {
    if let Err(e) = v.check_invariants() {
        panic!("invariant broken after {after:?}: {e}");
    }
    let book = v.book(ins).expect("the instrument exists");
    if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) {
        assert!(bid < ask, "crossed book after {after:?}: bid {bid:?} >= ask {ask:?}");
    }
}

fuzz_target!(|input: Input| {
    let rules = VenueName::ALL[usize::from(input.rules) % VenueName::ALL.len()];
    let mut v = Venue::new(VenueConfig {
        rules: RuleSet::of(rules),
        enforce_initial_margin: input.enforce_initial_margin,
        ..VenueConfig::default()
    });
    let fees = FeeSchedule { maker: Rate::from_bps(-1), taker: Rate::from_bps(5) };
    let spec =
        InstrumentSpec { tick: Price(TICK), fees, ..InstrumentSpec::linear("BTCUSDT", AssetId(0), 1, 3) };
    let ins = v.add_instrument(spec).expect("a valid instrument");
    if rules == VenueName::Hyperliquid {
        v.set_backstop_capital(AssetId(0), Cash::units(5_000).expect("small")).expect("backstop");
    }
    for b in input.balances {
        let a = v.open_account().expect("an account");
        v.deposit(a, AssetId(0), Cash::units(i64::from(b) + 1).expect("small")).expect("deposit");
    }
    v.seed_insurance_fund(AssetId(0), Cash::units(100).expect("small")).expect("fund");
    let mut events = Vec::new();
    let mut mark = CENTRE;
    let mut now_ms = 0_u64;
    v.set_mark_price(ins, Price(mark), &mut events).expect("the first mark");
    check(&v, ins, &"setup");
    for op in input.ops.iter().take(2_000) {
        events.clear();
        let near = |ticks: i8| Price(((mark / TICK) + i64::from(ticks)).max(1) * TICK);
        let pick = |v: &Venue, a: u8, k: u8| {
            let ids: Vec<_> = v.book(ins).ok()?.orders_of(account(a)).map(|o| o.id).collect();
            (!ids.is_empty()).then(|| ids[usize::from(k) % ids.len()])
        };
        let side = |buy: bool| if buy { Side::Buy } else { Side::Sell };
        match *op {
            Op::Limit { acct, buy, ticks, qty } => {
                let req = OrderRequest::limit(side(buy), near(ticks), Qty(i64::from(qty) + 1));
                let _ = v.place(account(acct), ins, req, &mut events);
            }
            Op::Market { acct, buy, qty } => {
                let req = OrderRequest::market(side(buy), Qty(i64::from(qty) + 1));
                let _ = v.place(account(acct), ins, req, &mut events);
            }
            Op::Cancel { acct, pick: k } => {
                if let Some(id) = pick(&v, acct, k) {
                    v.cancel(account(acct), ins, id, &mut events).expect("cancelling a resting order");
                }
            }
            Op::CancelAll { acct } => v.cancel_all(account(acct), ins, &mut events).expect("cancel all"),
            Op::Amend { acct, pick: k, ticks, qty } => {
                if let Some(id) = pick(&v, acct, k) {
                    let _ = v.amend(
                        account(acct),
                        ins,
                        id,
                        ticks.map(near),
                        Qty(i64::from(qty) + 1),
                        &mut events,
                    );
                }
            }
            Op::Mark { step } => {
                // ±0.8% steps at most, kept within a factor of four of the start.
                mark = (mark + i64::from(step) / 4).clamp(CENTRE / 4, CENTRE * 4) / TICK * TICK;
                if let Err(e) = v.set_mark_price(ins, Price(mark), &mut events) {
                    panic!("{rules:?}: the mark update to {mark} failed: {e}");
                }
            }
            Op::Funding { bps } => {
                let _ = v.settle_funding(ins, Rate::from_bps(i64::from(bps) / 4), &mut events);
            }
            Op::Deposit { acct, units } => {
                let _ = v.deposit(account(acct), AssetId(0), Cash::units(i64::from(units)).expect("small"));
            }
            Op::Withdraw { acct, units } => {
                let _ = v.withdraw(account(acct), AssetId(0), Cash::units(i64::from(units)).expect("small"));
            }
            Op::Leverage { acct, leverage } => {
                let _ = v.set_leverage(account(acct), ins, u16::from(leverage));
            }
            Op::Isolated { acct, isolated } => {
                let mode = if isolated { MarginMode::Isolated } else { MarginMode::Cross };
                let _ = v.set_margin_mode(account(acct), ins, mode);
            }
            Op::AddMargin { acct, units } => {
                let _ =
                    v.add_isolated_margin(account(acct), ins, Cash::units(i64::from(units)).expect("small"));
            }
            Op::Time { seconds } => {
                now_ms += u64::from(seconds) * 1_000;
                v.set_time(now_ms).expect("time moves forward");
            }
        }
        check(&v, ins, op);
    }
});
