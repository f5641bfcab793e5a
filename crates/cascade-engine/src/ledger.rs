//! The ledger: every unit of money in a venue, and the only code that moves it.
//!
//! Money lives in named places ([`Party`]): traders' wallets, isolated position margins, funds
//! held for resting spot orders, the fee pool, the insurance fund, the clearing account and bad
//! debt. Every movement is a
//! [`Ledger::transfer`] between two of them, so nothing is created or lost and the conservation
//! invariant can be checked at any moment ([`Ledger::check_conservation`]):
//!
//! `Σ wallets + Σ isolated margins + Σ held + fee pool + insurance fund + clearing − bad debt
//!    = deposits − withdrawals` (per asset).
//!
//! The *clearing* account is the venue's side of every open position: realized PnL is paid out
//! of it and losses into it, so it holds minus the open positions' claims (see `position`). It
//! may be negative; trader wallets, margins, fees and the fund never are. When a trader cannot
//! pay a loss in full, [`Ledger::settle`] takes the shortfall from the insurance fund and then
//! records it as bad debt, so the payee is always paid in full.

use std::collections::{BTreeMap, BTreeSet};

use smallvec::SmallVec;

use crate::instrument::{AssetId, InstrumentId};
use crate::num::{Cash, Overflow};
use crate::position::{MarginMode, Position};

pub use crate::book::AccountId;

/// A place money can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// A trader's wallet (cross collateral) in some asset.
    Wallet(AccountId),
    /// The collateral of a trader's isolated position.
    Isolated(AccountId, InstrumentId),
    /// A trader's funds reserved by resting spot orders (in any asset). Kept out of the wallet
    /// so that withdrawals, losses and margin can never spend what a later fill must pay.
    Held(AccountId),
    /// Trading fees collected (less maker rebates paid).
    FeePool,
    /// An insurance fund (a venue may keep one shared fund per asset or one per instrument).
    InsuranceFund(FundId),
    /// The venue's side of open positions; may be negative.
    Clearing,
    /// Losses nobody paid. Paying *from* bad debt increases it.
    BadDebt,
}

/// Index of an insurance fund within a ledger. Each fund holds one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FundId(pub u16);

/// One insurance fund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fund {
    /// The asset it holds.
    pub asset: AssetId,
    /// Its balance.
    pub balance: Cash,
}

/// Errors from moving money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The account id does not exist.
    #[error("unknown account {0}")]
    UnknownAccount(u32),
    /// The account has no position in that instrument to hold isolated margin.
    #[error("account {account} has no position in instrument {instrument}")]
    NoPosition {
        /// Account.
        account: u32,
        /// Instrument.
        instrument: u16,
    },
    /// The source holds less than the amount.
    #[error("insufficient funds: {available} available, {requested} requested")]
    Insufficient {
        /// What the source holds.
        available: Cash,
        /// What was asked.
        requested: Cash,
    },
    /// No such insurance fund, or it holds another asset.
    #[error("insurance fund {fund} does not exist or does not hold asset {asset}")]
    UnknownFund {
        /// Fund.
        fund: u16,
        /// Asset asked for.
        asset: u16,
    },
    /// Isolated margin is held only in the instrument's settle asset.
    #[error("instrument {instrument} does not settle in asset {asset}")]
    WrongAsset {
        /// Instrument.
        instrument: u16,
        /// Asset asked for.
        asset: u16,
    },
    /// Amounts are moved as positive values.
    #[error("amount must be > 0 (got {0})")]
    NonPositiveAmount(Cash),
    /// A balance would overflow.
    #[error("balance overflow")]
    Overflow,
    /// The conservation invariant failed: a bug, reported with the figures.
    #[error("conservation violated for asset {asset}: holdings {holdings} != net deposits {net_deposits}")]
    ConservationViolated {
        /// Asset.
        asset: u16,
        /// Σ of all places.
        holdings: i128,
        /// Deposits − withdrawals.
        net_deposits: i128,
    },
}

impl From<Overflow> for LedgerError {
    fn from(_: Overflow) -> Self {
        Self::Overflow
    }
}

/// One trader: collateral balances by asset and positions by instrument.
///
/// Small inline vectors keep an account with one asset and one position in one allocation-free
/// block (checked by the memory benchmark).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    balances: SmallVec<[(AssetId, Cash); 1]>,
    positions: SmallVec<[Position; 1]>,
}

impl Account {
    /// Wallet balance in `asset`.
    #[must_use]
    pub fn balance(&self, asset: AssetId) -> Cash {
        self.balances.iter().find(|(a, _)| *a == asset).map_or(Cash::ZERO, |(_, c)| *c)
    }

    fn balance_mut(&mut self, asset: AssetId) -> &mut Cash {
        let i = match self.balances.iter().position(|(a, _)| *a == asset) {
            Some(i) => i,
            None => {
                self.balances.push((asset, Cash::ZERO));
                self.balances.len() - 1
            }
        };
        &mut self.balances[i].1
    }

    /// Every balance the account holds, by asset (zero ones included).
    #[must_use]
    pub fn balances(&self) -> &[(AssetId, Cash)] {
        &self.balances
    }

    /// All non-flat positions and flat ones still holding isolated margin.
    #[must_use]
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// All positions, mutably (bookkeeping fields only; money moves through the ledger).
    pub fn positions_mut(&mut self) -> &mut [Position] {
        &mut self.positions
    }

    /// The position in `instrument`, if any.
    #[must_use]
    pub fn position(&self, instrument: InstrumentId) -> Option<&Position> {
        self.positions.iter().find(|p| p.instrument == instrument)
    }

    /// The position in `instrument`, created flat with `mode` if absent.
    pub fn position_mut(&mut self, instrument: InstrumentId, mode: MarginMode) -> &mut Position {
        let i = match self.positions.iter().position(|p| p.instrument == instrument) {
            Some(i) => i,
            None => {
                self.positions.push(Position::flat(instrument, mode));
                self.positions.len() - 1
            }
        };
        &mut self.positions[i]
    }

    /// Drops flat cross positions, keeping the vector short (an isolated slot is kept: it
    /// remembers the account's chosen margin mode for that instrument).
    pub fn prune_flat(&mut self) {
        self.positions
            .retain(|p| !p.size.is_zero() || !p.isolated_margin.is_zero() || p.mode == MarginMode::Isolated);
    }
}

/// Venue-owned balances and deposit totals for one asset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemBalances {
    /// Fees collected less rebates paid.
    pub fee_pool: Cash,
    /// Σ of the insurance funds holding this asset (filled in by [`Ledger::system`]).
    pub insurance_fund: Cash,
    /// The venue's side of open positions (may be negative).
    pub clearing: Cash,
    /// Unpaid losses, as a positive amount.
    pub bad_debt: Cash,
    /// All deposits ever made (including insurance-fund seeding).
    pub deposits: i128,
    /// All withdrawals ever made.
    pub withdrawals: i128,
}

/// How a loss was paid: by its owner, by the insurance fund, or not at all (bad debt).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settlement {
    /// Paid from the debtor's own balance.
    pub by_owner: Cash,
    /// Covered by the insurance fund.
    pub by_insurance: Cash,
    /// Recorded as bad debt.
    pub bad_debt: Cash,
}

/// All money of one venue.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    accounts: Vec<Account>,
    system: Vec<SystemBalances>,
    /// Settle asset of each instrument, for counting isolated margins.
    settle_assets: Vec<AssetId>,
    /// Insurance funds by id.
    funds: Vec<Fund>,
    /// The shared (default) fund of each asset, created on first use.
    default_funds: Vec<Option<FundId>>,
    /// Funds held for resting spot orders, by (account, asset); zero entries are removed.
    /// Kept here rather than in [`Account`] so accounts that never trade spot stay small.
    held: BTreeMap<(AccountId, AssetId), Cash>,
    /// Per asset, once [`Ledger::watch_holders`] asked for it: every account whose wallet has
    /// ever held that asset (a wallet entry, once made, is never removed), so a venue can find
    /// the holders of a collateral asset without scanning millions of accounts.
    holders: Vec<Option<BTreeSet<AccountId>>>,
}

impl Ledger {
    /// An empty ledger.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens a trader account with no money.
    ///
    /// # Errors
    /// [`LedgerError::Overflow`] past `u32::MAX` accounts.
    pub fn open_account(&mut self) -> Result<AccountId, LedgerError> {
        let id = u32::try_from(self.accounts.len()).map_err(|_| LedgerError::Overflow)?;
        self.accounts.push(Account::default());
        Ok(AccountId(id))
    }

    /// Reserves room for `n` more accounts.
    pub fn reserve(&mut self, n: usize) {
        self.accounts.reserve(n);
    }

    /// Number of trader accounts.
    #[must_use]
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// A trader account.
    ///
    /// # Errors
    /// [`LedgerError::UnknownAccount`].
    pub fn account(&self, id: AccountId) -> Result<&Account, LedgerError> {
        self.accounts.get(id.0 as usize).ok_or(LedgerError::UnknownAccount(id.0))
    }

    /// A trader account, mutably. Only position bookkeeping goes through this; money moves by
    /// [`Ledger::transfer`].
    ///
    /// # Errors
    /// [`LedgerError::UnknownAccount`].
    pub fn account_mut(&mut self, id: AccountId) -> Result<&mut Account, LedgerError> {
        self.accounts.get_mut(id.0 as usize).ok_or(LedgerError::UnknownAccount(id.0))
    }

    /// `id`'s wallet slot for `asset`, made on first use; a new slot of a watched asset enters
    /// that asset's holder set.
    fn wallet_mut(&mut self, id: AccountId, asset: AssetId) -> Result<&mut Cash, LedgerError> {
        if let Some(Some(set)) = self.holders.get_mut(usize::from(asset.0)) {
            let a = self.accounts.get(id.0 as usize).ok_or(LedgerError::UnknownAccount(id.0))?;
            if !a.balances.iter().any(|(x, _)| *x == asset) {
                set.insert(id);
            }
        }
        Ok(self.account_mut(id)?.balance_mut(asset))
    }

    /// Starts keeping the set of accounts whose wallets hold or once held `asset` (one scan of
    /// every account, the first time), for [`Ledger::holders`].
    pub fn watch_holders(&mut self, asset: AssetId) {
        let i = usize::from(asset.0);
        if self.holders.len() <= i {
            self.holders.resize(i + 1, None);
        }
        if self.holders[i].is_none() {
            let set = self
                .accounts()
                .filter(|(_, a)| a.balances.iter().any(|(x, _)| *x == asset))
                .map(|(id, _)| id)
                .collect();
            self.holders[i] = Some(set);
        }
    }

    /// In id order, every account whose wallet holds or once held `asset` — a superset of those
    /// holding it now — if [`Ledger::watch_holders`] was called for it, else `None`.
    pub fn holders(&self, asset: AssetId) -> Option<impl Iterator<Item = AccountId> + '_> {
        self.holders.get(usize::from(asset.0)).and_then(Option::as_ref).map(|s| s.iter().copied())
    }

    /// Iterates over all accounts in id order.
    pub fn accounts(&self) -> impl Iterator<Item = (AccountId, &Account)> {
        self.accounts.iter().enumerate().map(|(i, a)| (AccountId(i as u32), a))
    }

    /// Venue balances for `asset` (the insurance figure sums every fund holding it).
    ///
    /// Each fund fits in `i64` but many together need not: the sum is taken in `i128` and,
    /// should it leave the [`Cash`] range, *saturates* at `i64::MIN`/`i64::MAX` rather than
    /// wrap — this figure feeds metrics and reports, which must not fail mid-run. Where an
    /// exact total matters, [`Ledger::try_system`] refuses instead.
    #[must_use]
    pub fn system(&self, asset: AssetId) -> SystemBalances {
        let mut s = self.system.get(usize::from(asset.0)).copied().unwrap_or_default();
        let total = self.insurance_total(asset);
        s.insurance_fund = Cash(i64::try_from(total).unwrap_or(if total < 0 { i64::MIN } else { i64::MAX }));
        s
    }

    /// [`Ledger::system`] with the insurance total exact or refused.
    ///
    /// # Errors
    /// [`LedgerError::Overflow`] when the funds holding `asset` sum outside the [`Cash`] range.
    pub fn try_system(&self, asset: AssetId) -> Result<SystemBalances, LedgerError> {
        let mut s = self.system.get(usize::from(asset.0)).copied().unwrap_or_default();
        s.insurance_fund =
            Cash(i64::try_from(self.insurance_total(asset)).map_err(|_| LedgerError::Overflow)?);
        Ok(s)
    }

    /// Σ of the funds holding `asset`, in `i128`: at most 65,536 funds of at most `i64::MAX`
    /// each, far inside `i128`, so this sum cannot overflow.
    fn insurance_total(&self, asset: AssetId) -> i128 {
        self.funds.iter().filter(|f| f.asset == asset).map(|f| i128::from(f.balance.0)).sum()
    }

    /// Creates a new, empty insurance fund holding `asset` (e.g. one per instrument).
    ///
    /// # Errors
    /// [`LedgerError::Overflow`] past `u16::MAX` funds.
    pub fn create_fund(&mut self, asset: AssetId) -> Result<FundId, LedgerError> {
        let id = FundId(u16::try_from(self.funds.len()).map_err(|_| LedgerError::Overflow)?);
        self.funds.push(Fund { asset, balance: Cash::ZERO });
        Ok(id)
    }

    /// The shared insurance fund of `asset`, created empty on first use.
    ///
    /// # Errors
    /// [`LedgerError::Overflow`] past `u16::MAX` funds.
    pub fn default_fund(&mut self, asset: AssetId) -> Result<FundId, LedgerError> {
        let i = usize::from(asset.0);
        if self.default_funds.len() <= i {
            self.default_funds.resize(i + 1, None);
        }
        if let Some(f) = self.default_funds[i] {
            return Ok(f);
        }
        let f = self.create_fund(asset)?;
        self.default_funds[i] = Some(f);
        Ok(f)
    }

    /// An insurance fund.
    ///
    /// # Errors
    /// [`LedgerError::UnknownFund`].
    pub fn fund(&self, id: FundId) -> Result<Fund, LedgerError> {
        self.funds
            .get(usize::from(id.0))
            .copied()
            .ok_or(LedgerError::UnknownFund { fund: id.0, asset: u16::MAX })
    }

    fn system_mut(&mut self, asset: AssetId) -> &mut SystemBalances {
        let i = usize::from(asset.0);
        if self.system.len() <= i {
            self.system.resize(i + 1, SystemBalances::default());
        }
        &mut self.system[i]
    }

    /// Money enters the venue into a wallet.
    ///
    /// # Errors
    /// Non-positive amount, unknown account or overflow.
    pub fn deposit(&mut self, id: AccountId, asset: AssetId, amount: Cash) -> Result<(), LedgerError> {
        positive(amount)?;
        let bal = self.wallet_mut(id, asset)?;
        *bal = bal.checked_add(amount)?;
        self.system_mut(asset).deposits += i128::from(amount.0);
        Ok(())
    }

    /// Money enters the venue straight into the shared insurance fund of `asset` (seed capital).
    ///
    /// # Errors
    /// Non-positive amount or overflow.
    pub fn seed_insurance_fund(&mut self, asset: AssetId, amount: Cash) -> Result<(), LedgerError> {
        let f = self.default_fund(asset)?;
        self.seed_fund(f, amount)
    }

    /// Money enters the venue straight into insurance fund `fund` (seed capital).
    ///
    /// # Errors
    /// Non-positive amount, unknown fund or overflow.
    pub fn seed_fund(&mut self, fund: FundId, amount: Cash) -> Result<(), LedgerError> {
        positive(amount)?;
        let asset = self.fund(fund)?.asset;
        let f = &mut self.funds[usize::from(fund.0)];
        f.balance = f.balance.checked_add(amount)?;
        self.system_mut(asset).deposits += i128::from(amount.0);
        Ok(())
    }

    /// Money leaves the venue from a wallet. Margin checks are the caller's.
    ///
    /// # Errors
    /// Non-positive amount, unknown account or insufficient balance.
    pub fn withdraw(&mut self, id: AccountId, asset: AssetId, amount: Cash) -> Result<(), LedgerError> {
        positive(amount)?;
        let bal = self.wallet_mut(id, asset)?;
        if *bal < amount {
            return Err(LedgerError::Insufficient { available: *bal, requested: amount });
        }
        *bal = bal.checked_sub(amount)?;
        self.system_mut(asset).withdrawals += i128::from(amount.0);
        Ok(())
    }

    /// What `account` holds in `asset` for its resting spot orders.
    #[must_use]
    pub fn held(&self, account: AccountId, asset: AssetId) -> Cash {
        self.held.get(&(account, asset)).copied().unwrap_or(Cash::ZERO)
    }

    /// Every non-zero held balance, by (account, asset), in order.
    pub fn holds(&self) -> impl Iterator<Item = ((AccountId, AssetId), Cash)> + '_ {
        self.held.iter().map(|(k, c)| (*k, *c))
    }

    /// What `party` holds in `asset` (bad debt as a positive amount owed).
    ///
    /// # Errors
    /// Unknown account or missing position.
    pub fn balance(&self, party: Party, asset: AssetId) -> Result<Cash, LedgerError> {
        let s = self.system(asset);
        Ok(match party {
            Party::Wallet(id) => self.account(id)?.balance(asset),
            Party::Isolated(id, ins) => self.isolated(id, ins, asset)?.isolated_margin,
            Party::Held(id) => {
                self.account(id)?;
                self.held(id, asset)
            }
            Party::FeePool => s.fee_pool,
            Party::InsuranceFund(f) => self.fund_checked(f, asset)?.balance,
            Party::Clearing => s.clearing,
            Party::BadDebt => s.bad_debt,
        })
    }

    fn fund_checked(&self, f: FundId, asset: AssetId) -> Result<Fund, LedgerError> {
        match self.funds.get(usize::from(f.0)) {
            Some(fund) if fund.asset == asset => Ok(*fund),
            _ => Err(LedgerError::UnknownFund { fund: f.0, asset: asset.0 }),
        }
    }

    fn isolated(&self, id: AccountId, ins: InstrumentId, asset: AssetId) -> Result<&Position, LedgerError> {
        let settle = self.settle_assets.get(usize::from(ins.0)).copied().unwrap_or_default();
        if settle != asset {
            return Err(LedgerError::WrongAsset { instrument: ins.0, asset: asset.0 });
        }
        self.account(id)?.position(ins).ok_or(LedgerError::NoPosition { account: id.0, instrument: ins.0 })
    }

    /// Adds `delta` to a party's holding. Private: only `transfer` and `settle` call it, in pairs.
    fn adjust(&mut self, party: Party, asset: AssetId, delta: Cash) -> Result<(), LedgerError> {
        let slot: &mut Cash = match party {
            Party::Wallet(id) => self.wallet_mut(id, asset)?,
            Party::Isolated(id, ins) => {
                &mut self
                    .account_mut(id)?
                    .positions
                    .iter_mut()
                    .find(|p| p.instrument == ins)
                    .ok_or(LedgerError::NoPosition { account: id.0, instrument: ins.0 })?
                    .isolated_margin
            }
            Party::Held(id) => {
                self.account(id)?;
                let slot = self.held.entry((id, asset)).or_insert(Cash::ZERO);
                *slot = slot.checked_add(delta)?;
                if slot.is_zero() {
                    self.held.remove(&(id, asset));
                }
                return Ok(());
            }
            Party::FeePool => &mut self.system_mut(asset).fee_pool,
            Party::InsuranceFund(f) => {
                self.fund_checked(f, asset)?;
                &mut self.funds[usize::from(f.0)].balance
            }
            Party::Clearing => &mut self.system_mut(asset).clearing,
            // Money paid *from* bad debt raises the debt.
            Party::BadDebt => {
                let s = self.system_mut(asset);
                s.bad_debt = s.bad_debt.checked_sub(delta)?;
                return Ok(());
            }
        };
        *slot = slot.checked_add(delta)?;
        Ok(())
    }

    /// Moves `amount` (> 0) of `asset` from one party to another. Wallets, isolated margins, held
    /// funds, the fee pool and the insurance fund cannot go below zero; clearing and bad debt can.
    ///
    /// # Errors
    /// [`LedgerError::Insufficient`] when a non-negative party lacks the amount (nothing moves).
    pub fn transfer(
        &mut self,
        from: Party,
        to: Party,
        asset: AssetId,
        amount: Cash,
    ) -> Result<(), LedgerError> {
        positive(amount)?;
        if !matches!(from, Party::Clearing | Party::BadDebt) {
            let available = self.balance(from, asset)?;
            if available < amount {
                return Err(LedgerError::Insufficient { available, requested: amount });
            }
        }
        // Check the destination exists before moving anything, so a failure moves nothing.
        self.balance(to, asset)?;
        self.adjust(from, asset, Cash(-amount.0))?;
        self.adjust(to, asset, amount)
    }

    /// Pays `amount` from `debtor` to `payee` as far as the debtor can; the shortfall comes from
    /// the insurance fund, then from bad debt. The payee always receives `amount` in full.
    ///
    /// # Errors
    /// Unknown account / position or overflow (nothing moves).
    pub fn settle(
        &mut self,
        debtor: Party,
        payee: Party,
        asset: AssetId,
        amount: Cash,
    ) -> Result<Settlement, LedgerError> {
        let fund = self.default_fund(asset)?;
        self.settle_from(debtor, payee, asset, amount, fund)
    }

    /// As [`Ledger::settle`], drawing a shortfall from insurance fund `fund`.
    ///
    /// # Errors
    /// Unknown account / position / fund or overflow (nothing moves).
    pub fn settle_from(
        &mut self,
        debtor: Party,
        payee: Party,
        asset: AssetId,
        amount: Cash,
        fund: FundId,
    ) -> Result<Settlement, LedgerError> {
        self.fund_checked(fund, asset)?;
        let mut out = Settlement::default();
        if amount.0 <= 0 {
            return Ok(out);
        }
        let own = self.balance(debtor, asset)?.min(amount).max(Cash::ZERO);
        if own.is_positive() {
            self.transfer(debtor, payee, asset, own)?;
        }
        out.by_owner = own;
        let rest = amount.checked_sub(own)?;
        let from_fund = self.funds[usize::from(fund.0)].balance.min(rest);
        if from_fund.is_positive() && debtor != Party::InsuranceFund(fund) {
            self.transfer(Party::InsuranceFund(fund), payee, asset, from_fund)?;
            out.by_insurance = from_fund;
        }
        let unpaid = rest.checked_sub(out.by_insurance)?;
        if unpaid.is_positive() {
            self.transfer(Party::BadDebt, payee, asset, unpaid)?;
            out.bad_debt = unpaid;
        }
        Ok(out)
    }

    /// Records the settle asset of an instrument, so isolated margins are counted in it.
    pub fn register_instrument(&mut self, ins: InstrumentId, settle: AssetId) {
        let i = usize::from(ins.0);
        if self.settle_assets.len() <= i {
            self.settle_assets.resize(i + 1, AssetId::default());
        }
        self.settle_assets[i] = settle;
    }

    /// Σ holdings of every party per asset (bad debt counted negative), by a full scan.
    #[must_use]
    pub fn holdings(&self) -> Vec<i128> {
        let mut h: Vec<i128> = self
            .system
            .iter()
            .map(|s| i128::from(s.fee_pool.0) + i128::from(s.clearing.0) - i128::from(s.bad_debt.0))
            .collect();
        let mut add = |asset: AssetId, c: Cash| {
            let i = usize::from(asset.0);
            if h.len() <= i {
                h.resize(i + 1, 0);
            }
            h[i] += i128::from(c.0);
        };
        for f in &self.funds {
            add(f.asset, f.balance);
        }
        for (&(_, asset), c) in &self.held {
            add(asset, *c);
        }
        for a in &self.accounts {
            for (asset, c) in &a.balances {
                add(*asset, *c);
            }
            for p in &a.positions {
                let asset = self.settle_assets.get(usize::from(p.instrument.0)).copied().unwrap_or_default();
                add(asset, p.isolated_margin);
            }
        }
        h
    }

    /// Checks `Σ holdings = deposits − withdrawals` for every asset, by a full scan.
    ///
    /// # Errors
    /// [`LedgerError::ConservationViolated`] with the figures.
    pub fn check_conservation(&self) -> Result<(), LedgerError> {
        let h = self.holdings();
        for i in 0..h.len().max(self.system.len()) {
            let s = self.system.get(i).copied().unwrap_or_default();
            let holdings = h.get(i).copied().unwrap_or(0);
            let net_deposits = s.deposits - s.withdrawals;
            if holdings != net_deposits {
                return Err(LedgerError::ConservationViolated { asset: i as u16, holdings, net_deposits });
            }
        }
        Ok(())
    }
}

fn positive(amount: Cash) -> Result<(), LedgerError> {
    if amount.is_positive() { Ok(()) } else { Err(LedgerError::NonPositiveAmount(amount)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const USDT: AssetId = AssetId(0);

    #[test]
    fn settle_uses_owner_then_fund_then_bad_debt() {
        let mut l = Ledger::new();
        let a = l.open_account().unwrap();
        l.deposit(a, USDT, Cash(100)).unwrap();
        l.seed_insurance_fund(USDT, Cash(30)).unwrap();
        let s = l.settle(Party::Wallet(a), Party::Clearing, USDT, Cash(150)).unwrap();
        assert_eq!(s, Settlement { by_owner: Cash(100), by_insurance: Cash(30), bad_debt: Cash(20) });
        assert_eq!(l.balance(Party::Clearing, USDT), Ok(Cash(150)));
        assert_eq!(l.balance(Party::BadDebt, USDT), Ok(Cash(20)));
        assert_eq!(l.balance(Party::Wallet(a), USDT), Ok(Cash(0)));
        l.check_conservation().unwrap();
    }

    #[test]
    fn insurance_total_saturates_or_refuses_instead_of_wrapping() {
        // Two funds of the same asset, each near the top of the Cash range: their sum,
        // 2 × (2^63 − 1) − 2, does not fit in i64 (it used to wrap to −4 in release builds
        // and panic in debug ones).
        let mut l = Ledger::new();
        let (f1, f2) = (l.create_fund(USDT).unwrap(), l.create_fund(USDT).unwrap());
        l.seed_fund(f1, Cash(i64::MAX - 1)).unwrap();
        l.seed_fund(f2, Cash(i64::MAX - 1)).unwrap();
        assert_eq!(l.system(USDT).insurance_fund, Cash(i64::MAX));
        assert_eq!(l.try_system(USDT), Err(LedgerError::Overflow));
        // A total that fits is exact either way: a third asset's lone fund.
        let other = AssetId(2);
        let f3 = l.create_fund(other).unwrap();
        l.seed_fund(f3, Cash(7)).unwrap();
        assert_eq!(l.system(other).insurance_fund, Cash(7));
        assert_eq!(l.try_system(other).unwrap().insurance_fund, Cash(7));
    }

    #[test]
    fn failed_transfers_move_nothing() {
        let mut l = Ledger::new();
        let a = l.open_account().unwrap();
        l.deposit(a, USDT, Cash(10)).unwrap();
        assert!(matches!(
            l.transfer(Party::Wallet(a), Party::FeePool, USDT, Cash(11)),
            Err(LedgerError::Insufficient { .. })
        ));
        assert!(l.transfer(Party::Wallet(a), Party::Wallet(AccountId(9)), USDT, Cash(1)).is_err());
        assert!(l.transfer(Party::Wallet(a), Party::Isolated(a, InstrumentId(0)), USDT, Cash(1)).is_err());
        assert!(matches!(l.deposit(a, USDT, Cash(0)), Err(LedgerError::NonPositiveAmount(_))));
        assert_eq!(l.balance(Party::Wallet(a), USDT), Ok(Cash(10)));
        assert!(l.withdraw(a, USDT, Cash(11)).is_err());
        l.check_conservation().unwrap();
    }

    #[test]
    fn isolated_margin_is_counted_in_its_settle_asset() {
        let mut l = Ledger::new();
        l.register_instrument(InstrumentId(0), AssetId(1));
        let a = l.open_account().unwrap();
        l.deposit(a, AssetId(1), Cash(500)).unwrap();
        l.account_mut(a).unwrap().position_mut(InstrumentId(0), MarginMode::Isolated);
        l.transfer(Party::Wallet(a), Party::Isolated(a, InstrumentId(0)), AssetId(1), Cash(200)).unwrap();
        assert!(l.transfer(Party::Wallet(a), Party::Isolated(a, InstrumentId(0)), USDT, Cash(1)).is_err());
        assert_eq!(l.balance(Party::Isolated(a, InstrumentId(0)), AssetId(1)), Ok(Cash(200)));
        l.check_conservation().unwrap();
    }

    #[derive(Debug, Clone)]
    enum Op {
        Deposit(u8, u8, i64),
        Withdraw(u8, u8, i64),
        Transfer(u8, u8, u8, i64),
        Settle(u8, u8, u8, i64),
    }

    fn party(i: u8) -> Party {
        match i % 10 {
            0..=3 => Party::Wallet(AccountId(u32::from(i % 4))),
            4 => Party::FeePool,
            5 => Party::InsuranceFund(FundId(0)),
            6 => Party::Clearing,
            7 => Party::BadDebt,
            _ => Party::Held(AccountId(u32::from(i % 2))),
        }
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..4, 0u8..2, 1i64..1_000_000).prop_map(|(a, s, x)| Op::Deposit(a, s, x)),
            (0u8..4, 0u8..2, 1i64..1_000_000).prop_map(|(a, s, x)| Op::Withdraw(a, s, x)),
            (any::<u8>(), any::<u8>(), 0u8..2, -10i64..1_000_000)
                .prop_map(|(f, t, s, x)| Op::Transfer(f, t, s, x)),
            (any::<u8>(), any::<u8>(), 0u8..2, -10i64..1_000_000)
                .prop_map(|(f, t, s, x)| Op::Settle(f, t, s, x)),
        ]
    }

    proptest! {
        /// Once watched (before, during or after the movements), an asset's holder set names
        /// every account holding it, in id order, and nobody whose wallet never touched it.
        #[test]
        fn the_holder_set_covers_every_holder(ops in prop::collection::vec(op(), 1..200), at in 0usize..200) {
            let mut l = Ledger::new();
            for _ in 0..4 { l.open_account().unwrap(); }
            let asset = AssetId(1);
            prop_assert!(l.holders(asset).is_none());
            for (i, o) in ops.into_iter().enumerate() {
                if i == at { l.watch_holders(asset); }
                let _ = match o {
                    Op::Deposit(a, s, x) => l.deposit(AccountId(u32::from(a)), AssetId(u16::from(s)), Cash(x)).map(|_| ()),
                    Op::Withdraw(a, s, x) => l.withdraw(AccountId(u32::from(a)), AssetId(u16::from(s)), Cash(x)).map(|_| ()),
                    Op::Transfer(f, t, s, x) => l.transfer(party(f), party(t), AssetId(u16::from(s)), Cash(x)),
                    Op::Settle(f, t, s, x) => l.settle(party(f), party(t), AssetId(u16::from(s)), Cash(x)).map(|_| ()),
                };
            }
            l.watch_holders(asset);
            let holders: Vec<AccountId> = l.holders(asset).unwrap().collect();
            prop_assert!(holders.windows(2).all(|w| w[0] < w[1]));
            for (id, a) in l.accounts() {
                let touched = a.balances.iter().any(|(x, _)| *x == asset);
                prop_assert_eq!(holders.contains(&id), touched);
                if a.balance(asset).is_positive() { prop_assert!(touched); }
            }
        }
    }

    proptest! {
        /// Any sequence of deposits, withdrawals, transfers and settlements, valid or not, keeps
        /// money conserved and never leaves a wallet, the fee pool or the fund negative.
        #[test]
        fn random_money_movements_conserve(ops in prop::collection::vec(op(), 1..400)) {
            let mut l = Ledger::new();
            for _ in 0..4 { l.open_account().unwrap(); }
            for o in ops {
                let _ = match o {
                    Op::Deposit(a, s, x) => l.deposit(AccountId(u32::from(a)), AssetId(u16::from(s)), Cash(x)).map(|_| ()),
                    Op::Withdraw(a, s, x) => l.withdraw(AccountId(u32::from(a)), AssetId(u16::from(s)), Cash(x)).map(|_| ()),
                    Op::Transfer(f, t, s, x) => l.transfer(party(f), party(t), AssetId(u16::from(s)), Cash(x)),
                    Op::Settle(f, t, s, x) => l.settle(party(f), party(t), AssetId(u16::from(s)), Cash(x)).map(|_| ()),
                };
                prop_assert!(l.check_conservation().is_ok());
                for s in 0..2u16 {
                    let sys = l.system(AssetId(s));
                    prop_assert!(sys.fee_pool.0 >= 0 && sys.insurance_fund.0 >= 0);
                    for (id, acc) in l.accounts() {
                        prop_assert!(acc.balance(AssetId(s)).0 >= 0);
                        prop_assert!(l.held(id, AssetId(s)).0 >= 0);
                    }
                }
            }
        }
    }
}
