//! The ledger's invariants: checked on each change before it is applied (O(touched)), and over
//! the whole state on restore, replay and demand (O(state)).

use std::collections::BTreeSet;

use super::engine::{internal, Tx};
use super::{
    deadline_key, id_ok, Account, AccountKind, Hold, HoldState, Ledger, hold_slots_max, ACCOUNTS_CAPACITY_MAX, ACCOUNTS_MAX, HOLDS_CAPACITY_MAX, HOLDS_MAX,
    KEY_SLOTS_MAX,
    HOLDS_PER_ACCOUNT_MAX, HOLDS_RESOLVED_RETAINED_MAX, IDEMPOTENCY_KEYS_MAX, IDEMPOTENCY_KEY_WINDOW_MIN, IDEMPOTENCY_OUTCOMES_MAX,
    JOURNAL_ENTRIES_RETAINED_MAX, SEQ_MAX, TIME_S_MAX, TIME_S_MIN, UNITS_MAX,
};
use crate::error::{Error, Result};

fn broken(what: &str) -> Error {
    internal(&format!("invariant broken: {what}"))
}

fn ensure(ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(broken(what))
    }
}

/// One account on its own: bounds, its kind's rule, a closed account is empty.
fn account_ok(a: &Account) -> Result<()> {
    ensure(id_ok(&a.id), "an account id is invalid")?;
    ensure(
        [
            a.debits_posted,
            a.credits_posted,
            a.debits_pending,
            a.credits_pending,
            a.credit_limit,
        ]
        .iter()
        .all(|units| *units <= UNITS_MAX),
        "an account total is out of range",
    )?;
    ensure(
        a.kind == AccountKind::CreditLine || a.credit_limit == 0,
        "an account that is not a credit line has a credit limit",
    )?;
    ensure(
        a.available().map_or(true, |available| available >= 0),
        "an account is below its floor (negative, or past its credit limit)",
    )?;
    ensure(!a.closed || a.is_empty(), "a closed account is not empty")
}

/// One hold on its own, with its accounts.
fn hold_ok<'a>(h: &Hold, account: impl Fn(&str) -> Option<&'a Account>) -> Result<()> {
    ensure(
        id_ok(&h.id) && id_ok(&h.debit) && id_ok(&h.credit),
        "a hold id is invalid",
    )?;
    ensure(h.debit != h.credit, "a hold debits and credits one account")?;
    ensure(h.total().is_some(), "a hold's total is out of range")?;
    ensure(
        (TIME_S_MIN..=TIME_S_MAX).contains(&h.expires_at),
        "a hold's deadline is out of range",
    )?;
    let pending = h.state == HoldState::Pending;
    ensure(
        pending == (h.pending > 0) && pending == h.resolved_seq.is_none(),
        "a hold's state disagrees with its pending amount or resolution",
    )?;
    for id in [&h.debit, &h.credit] {
        let a = account(id).ok_or_else(|| broken("a hold names an unknown account"))?;
        ensure(
            a.currency == h.currency,
            "a hold's currency differs from an account's",
        )?;
        ensure(
            !(pending && a.closed),
            "a pending hold involves a closed account",
        )?;
    }
    Ok(())
}

type Pair = (i128, i128);

/// Changes of (debit, credit) totals per key (an account id, a currency code) within one
/// operation, keyed by borrowed strings. One operation touches at most two accounts and the holds
/// it resolves or expires (at most `EXPIRE_BATCH_MAX` = 64 of an account's, each with two
/// accounts), so a list searched from the front is cheaper than a map: no key copied, one
/// allocation — this check runs on every operation.
#[derive(Default)]
struct Deltas<'a>(Vec<(&'a str, Pair)>);

impl<'a> Deltas<'a> {
    fn add(&mut self, key: &'a str, delta: Pair) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, total)) => {
                total.0 += delta.0;
                total.1 += delta.1;
            }
            None => self.0.push((key, delta)),
        }
    }

    fn get(&self, key: &str) -> Pair {
        self.0.iter().find(|(k, _)| *k == key).map_or((0, 0), |(_, total)| *total)
    }

    fn iter(&self) -> impl Iterator<Item = &(&'a str, Pair)> {
        self.0.iter()
    }
}

impl Tx<'_> {
    /// Checks the change against the ledger it applies to (see the module docs).
    pub(super) fn verify(&self) -> Result<()> {
        let mut posted = Deltas::default();
        let mut pending_by_account = Deltas::default();
        for (at, new) in self.accounts.iter() {
            let old = at.and_then(|at| self.base.accounts.at(at));
            ensure(old.map_or(!self.base.accounts.contains_key(&new.id), |old| old.id == new.id), "an account is filed under another id")?;
            account_ok(new)?;
            match old {
                Some(old) => {
                    ensure(
                        old.currency == new.currency && old.kind == new.kind,
                        "an account's currency or kind changed",
                    )?;
                    ensure(!old.closed || new.closed, "a closed account reopened")?;
                    ensure(
                        new.debits_posted >= old.debits_posted
                            && new.credits_posted >= old.credits_posted,
                        "an account's posted totals decreased",
                    )?;
                }
                None => ensure(
                    !new.closed
                        && new.debits_posted == 0
                        && new.credits_posted == 0
                        && new.debits_pending == 0
                        && new.credits_pending == 0,
                    "a new account is not empty",
                )?,
            }
            let before = |f: fn(&Account) -> u128| old.map_or(0, f) as i128;
            posted.add(
                new.currency.0.code(),
                (
                    new.debits_posted as i128 - before(|a| a.debits_posted),
                    new.credits_posted as i128 - before(|a| a.credits_posted),
                ),
            );
            pending_by_account.add(
                &new.id,
                (
                    new.debits_pending as i128 - before(|a| a.debits_pending),
                    new.credits_pending as i128 - before(|a| a.credits_pending),
                ),
            );
        }
        for (currency, (debits, credits)) in posted.iter() {
            // The message is formatted only on failure (an allocation on every operation else).
            if debits != credits {
                return Err(broken(&format!("posted debits and credits changed by different totals in {currency}")));
            }
        }

        // The currency list is done with: its allocation serves the holds' list (one fewer per
        // operation).
        let mut pending_by_holds = posted;
        pending_by_holds.0.clear();
        for (at, new) in self.holds.iter() {
            let old = at.and_then(|at| self.base.holds.at(at));
            ensure(old.map_or(!self.base.holds.contains_key(&new.id), |old| old.id == new.id), "a hold is filed under another id")?;
            hold_ok(new, |a| self.account(a))?;
            match old {
                Some(old) => {
                    ensure(
                        old.state == HoldState::Pending,
                        "a resolved hold changed (a hold resolves at most once)",
                    )?;
                    ensure(
                        old.debit == new.debit
                            && old.credit == new.credit
                            && old.currency == new.currency,
                        "a hold's accounts or currency changed",
                    )?;
                    ensure(
                        new.posted >= old.posted && new.released >= old.released,
                        "a hold's posted or released total decreased",
                    )?;
                    ensure(
                        new.state == HoldState::Pending || new.resolved_seq == Some(self.seq),
                        "a hold resolved without this operation's seq",
                    )?;
                }
                None => ensure(
                    new.state == HoldState::Pending && new.posted == 0 && new.released == 0,
                    "a new hold is not a fresh pending hold",
                )?,
            }
            let delta = new.pending as i128 - old.map_or(0, |h| h.pending) as i128;
            pending_by_holds.add(&new.debit, (delta, 0));
            pending_by_holds.add(&new.credit, (0, delta));
        }
        // Every account either list names: its accounts' pending change equals its holds'.
        for (id, _) in pending_by_account.iter().chain(pending_by_holds.iter()) {
            ensure(
                pending_by_account.get(id) == pending_by_holds.get(id),
                "an account's pending totals changed by other than its holds' changes",
            )?;
        }

        let new_accounts = self.accounts.iter().filter(|(at, _)| at.is_none()).count();
        ensure(
            self.base.accounts.len().saturating_add(new_accounts) <= self.base.accounts_max,
            "more accounts than the capacity",
        )?;
        ensure(
            self.pending_total() <= self.base.holds_max,
            "more pending holds than the capacity",
        )?;
        for hold in self.holds.values() {
            if hold.state == HoldState::Pending {
                ensure(
                    self.pending_debit_count(&hold.debit) <= HOLDS_PER_ACCOUNT_MAX,
                    "more than HOLDS_PER_ACCOUNT_MAX pending holds on an account",
                )?;
            }
        }
        Ok(())
    }
}

/// Checks the whole state.
pub(super) fn check_all(l: &Ledger) -> Result<()> {
    ensure(
        (TIME_S_MIN..=TIME_S_MAX).contains(&l.clock),
        "the clock is out of range",
    )?;
    ensure(l.head.seq <= SEQ_MAX, "the journal seq is out of range")?;

    // Capacity, accounts and conservation.
    ensure(
        (ACCOUNTS_MAX..=ACCOUNTS_CAPACITY_MAX).contains(&l.accounts_max)
            && (HOLDS_MAX..=HOLDS_CAPACITY_MAX).contains(&l.holds_max),
        "the capacity is out of range",
    )?;
    ensure(
        l.accounts.len() <= l.accounts_max && l.accounts.consistent(),
        "more accounts than the capacity, or the account index disagrees with the slab",
    )?;
    // Accounts are never removed: the slab has no free slot.
    ensure(l.accounts.slots() == l.accounts.len(), "the account slab has a free slot")?;
    // Per currency (a short list: one entry per currency used). At most 2^20 accounts of at
    // most 2^96 each: the sums stay far below 2^127.
    let mut posted = Deltas::default();
    for (_, a) in l.accounts.iter_unordered() {
        account_ok(a)?;
        posted.add(a.currency.0.code(), (a.debits_posted as i128, a.credits_posted as i128));
    }
    for (currency, (debits, credits)) in posted.iter() {
        if debits != credits {
            return Err(broken(&format!("the balances in {currency} do not sum to zero")));
        }
    }

    // Holds and pending totals, summed per account handle (the slab has no free slot, so every
    // handle is below its length).
    ensure(
        l.holds.consistent() && l.holds.slots() <= hold_slots_max(l.holds_max),
        "the hold index disagrees with the slab, or the slab outgrew its bound",
    )?;
    let mut pending: Vec<(u128, u128)> = vec![(0, 0); l.accounts.slots()];
    let mut per_account: Vec<usize> = vec![0; l.accounts.slots()];
    let mut deadlines = BTreeSet::new();
    let mut debit_holds = BTreeSet::new();
    let mut resolved = BTreeSet::new();
    for (at, h) in l.holds.iter_unordered() {
        hold_ok(h, |a| l.accounts.get(a))?;
        match h.resolved_seq {
            None => {
                let (Some(debit), Some(credit)) = (l.accounts.handle(&h.debit), l.accounts.handle(&h.credit)) else {
                    return Err(broken("a hold names an unknown account"));
                };
                if let Some(sums) = pending.get_mut(debit as usize) {
                    sums.0 = sums.0.saturating_add(h.pending);
                }
                if let Some(sums) = pending.get_mut(credit as usize) {
                    sums.1 = sums.1.saturating_add(h.pending);
                }
                if let Some(count) = per_account.get_mut(debit as usize) {
                    *count = count.saturating_add(1);
                }
                deadlines.insert((deadline_key(h.expires_at), at));
                debit_holds.insert((u64::from(debit), at));
            }
            Some(seq) => {
                ensure(
                    (1..=l.head.seq).contains(&seq),
                    "a hold resolved at a seq not in the journal",
                )?;
                resolved.insert((seq, at));
            }
        }
    }
    ensure(
        deadlines.len() <= l.holds_max,
        "more pending holds than the capacity",
    )?;
    ensure(
        resolved.len() <= HOLDS_RESOLVED_RETAINED_MAX,
        "more than HOLDS_RESOLVED_RETAINED_MAX resolved holds",
    )?;
    ensure(
        per_account.iter().all(|n| *n <= HOLDS_PER_ACCOUNT_MAX),
        "more than HOLDS_PER_ACCOUNT_MAX pending holds on an account",
    )?;
    for (at, a) in l.accounts.iter_unordered() {
        let (debits, credits) = pending.get(at as usize).copied().unwrap_or((0, 0));
        ensure(
            a.debits_pending == debits && a.credits_pending == credits,
            "an account's pending totals differ from its pending holds",
        )?;
    }
    ensure(
        deadlines == l.deadlines && l.debit_holds.entries(l.debit_list_heads()).is_some_and(|listed| listed == debit_holds) && resolved == l.resolved,
        "a hold index is out of date",
    )?;

    // Idempotency keys.
    ensure(
        (IDEMPOTENCY_KEY_WINDOW_MIN..=IDEMPOTENCY_KEYS_MAX).contains(&l.key_window),
        "the key window is out of range",
    )?;
    ensure(
        l.keys.len() <= l.key_window,
        "more keys than the key window",
    )?;
    ensure(
        l.key_order.len() == l.keys.len(),
        "the key order index is out of date",
    )?;
    // The queue ascends by seq; the newest IDEMPOTENCY_OUTCOMES_MAX keep their whole outcome.
    let whole_from = l.key_order.len().saturating_sub(IDEMPOTENCY_OUTCOMES_MAX);
    let mut previous_seq = 0;
    ensure(
        l.keys.consistent() && l.keys.slots() <= KEY_SLOTS_MAX,
        "the key index disagrees with the slab, or the slab outgrew its bound",
    )?;
    for (at, &(seq, handle)) in l.key_order.iter().enumerate() {
        let record = l
            .keys
            .at(handle)
            .ok_or_else(|| broken("the key order index names an unknown key"))?;
        ensure(
            id_ok(&record.key) && seq == record.seq && seq > previous_seq,
            "the key order index is out of date (or two keys share a seq)",
        )?;
        ensure(
            (1..=l.head.seq).contains(&record.seq) && record.time <= l.clock,
            "an idempotency key has a seq or time the ledger has not reached",
        )?;
        ensure(
            at >= whole_from || (record.verdict.hold.is_none() && record.verdict.expired.is_empty()),
            "an idempotency key older than the whole-outcome window keeps more than its code",
        )?;
        previous_seq = seq;
    }

    // The retained journal chains up to the head.
    ensure(
        l.journal.len() <= JOURNAL_ENTRIES_RETAINED_MAX,
        "more than JOURNAL_ENTRIES_RETAINED_MAX retained entries",
    )?;
    for pair in l.journal.windows(2) {
        if let [a, b] = pair {
            ensure(
                b.seq() == a.seq().saturating_add(1) && b.prev_hash() == a.hash(),
                "the retained journal does not chain",
            )?;
        }
    }
    if let Some(last) = l.journal.last() {
        ensure(
            last.head() == l.head,
            "the retained journal does not end at the head",
        )?;
    }
    Ok(())
}
