//! Request validation (errors), the decision of each operation on a scratch copy (codes), and
//! the commit that applies a checked decision.

use std::sync::Arc;

use super::codec;
use super::table::{Record, Seen, Table};
use super::journal::JournalEntry;
use super::{
    id_ok, Account, AccountKind, Action, CloseAccountRequest, ExpireDueRequest, ExtendRequest,
    Hold, HoldRequest, HoldState, IncrementRequest, KeyRecord, Ledger, LedgerCode, Op,
    KeysKeptBy, OpenAccountRequest, Operation, Outcome, PostRequest, SetCreditLimitRequest,
    SetCapacityRequest, SetKeyRetentionRequest, TransferRequest,
    Verdict, VoidRequest, deadline_key, insert_in_order, ACCOUNTS_CAPACITY_MAX, ACCOUNTS_MAX, EXPIRE_BATCH_MAX,
    HOLDS_CAPACITY_MAX, HOLDS_MAX, HOLDS_PER_ACCOUNT_MAX,
    HOLDS_RESOLVED_RETAINED_MAX, HOLD_DURATION_S_MAX, IDEMPOTENCY_KEYS_MAX, IDEMPOTENCY_KEY_WINDOW_MIN, IDEMPOTENCY_OUTCOMES_MAX,
    IDEMPOTENCY_KEY_RETENTION_S, ID_BYTES_MAX, JOURNAL_ENTRIES_RETAINED_MAX, SEQ_MAX, UNITS_MAX,
};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{check_time, CurrencyCode};
use crate::money::{Amount, Currency};

// ------------------------------------------------------------------------------------------
// Validation: errors depend on the request only
// ------------------------------------------------------------------------------------------

fn check_id(id: &str, param: &'static str) -> Result<String> {
    if id_ok(id) {
        Ok(id.to_owned())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            param,
            format!("must be 1..={ID_BYTES_MAX} UTF-8 bytes without control characters"),
        ))
    }
}

fn currency(code: &str) -> Result<&'static Currency> {
    Currency::from_code(code)
}

/// Parses an amount (any sign: a non-positive amount is an outcome, not an error).
fn amount(s: &str, currency: &'static Currency, param: &'static str) -> Result<Amount> {
    Amount::parse(s, currency, None).map_err(|e| Error::new(e.code(), param, e.message()))
}

fn common(key: &str, now: i64) -> Result<String> {
    let key = check_id(key, "idempotencyKey")?;
    check_time(now, "now")?;
    Ok(key)
}

pub(super) fn validate(operation: &Operation) -> Result<Op> {
    match operation {
        Operation::OpenAccount(r) => validate_open_account(r),
        Operation::Transfer(r) => validate_transfer(r),
        Operation::Hold(r) => validate_hold(r),
        Operation::Increment(r) => validate_increment(r),
        Operation::Extend(r) => validate_extend(r),
        Operation::Post(r) => validate_post(r),
        Operation::Void(r) => validate_void(r),
        Operation::ExpireDue(r) => validate_expire_due(r),
        Operation::SetCreditLimit(r) => validate_set_credit_limit(r),
        Operation::CloseAccount(r) => validate_close_account(r),
        Operation::SetKeyRetention(r) => validate_set_key_retention(r),
        Operation::SetCapacity(r) => validate_set_capacity(r),
    }
}

pub(super) fn validate_open_account(r: &OpenAccountRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let account = check_id(&r.account_id, "accountId")?;
    let currency = currency(&r.currency)?;
    let credit_limit = match (r.kind, &r.credit_limit) {
        (AccountKind::CreditLine, Some(limit)) => {
            let limit = amount(limit, currency, "creditLimit")?;
            non_negative(&limit)?;
            Some(limit)
        }
        (AccountKind::CreditLine, None) => {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "creditLimit",
                "a creditLine account needs a creditLimit",
            ))
        }
        (_, Some(_)) => {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "creditLimit",
                "only a creditLine account has a creditLimit",
            ))
        }
        (_, None) => None,
    };
    Ok(Op {
        key,
        now: r.now,
        action: Action::OpenAccount {
            account,
            currency: CurrencyCode(currency),
            kind: r.kind,
            credit_limit,
        },
    })
}

fn non_negative(limit: &Amount) -> Result<()> {
    if limit.is_negative() {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            "creditLimit",
            format!("must not be negative, got {limit}"),
        ))
    } else {
        Ok(())
    }
}

pub(super) fn validate_transfer(r: &TransferRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let debit = check_id(&r.debit_account_id, "debitAccountId")?;
    let credit = check_id(&r.credit_account_id, "creditAccountId")?;
    let amount = amount(&r.amount, currency(&r.currency)?, "amount")?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::Transfer {
            debit,
            credit,
            amount,
        },
    })
}

pub(super) fn validate_hold(r: &HoldRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let hold = check_id(&r.hold_id, "holdId")?;
    let debit = check_id(&r.debit_account_id, "debitAccountId")?;
    let credit = check_id(&r.credit_account_id, "creditAccountId")?;
    let amount = amount(&r.amount, currency(&r.currency)?, "amount")?;
    check_time(r.expires_at, "expiresAt")?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::Hold {
            hold,
            debit,
            credit,
            amount,
            expires_at: r.expires_at,
        },
    })
}

pub(super) fn validate_increment(r: &IncrementRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let hold = check_id(&r.hold_id, "holdId")?;
    let amount = amount(&r.amount, currency(&r.currency)?, "amount")?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::Increment { hold, amount },
    })
}

pub(super) fn validate_extend(r: &ExtendRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let hold = check_id(&r.hold_id, "holdId")?;
    check_time(r.expires_at, "expiresAt")?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::Extend {
            hold,
            expires_at: r.expires_at,
        },
    })
}

pub(super) fn validate_post(r: &PostRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let hold = check_id(&r.hold_id, "holdId")?;
    let amount = match (&r.amount, &r.currency) {
        (Some(value), Some(code)) => Some(amount(value, currency(code)?, "amount")?),
        (None, None) => None,
        (Some(_), None) => {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "currency",
                "an amount to post needs its currency",
            ))
        }
        (None, Some(_)) => {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "amount",
                "a currency was given without an amount (omit both to post everything held)",
            ))
        }
    };
    Ok(Op {
        key,
        now: r.now,
        action: Action::Post {
            hold,
            amount,
            is_final: r.is_final,
        },
    })
}

pub(super) fn validate_void(r: &VoidRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let hold = check_id(&r.hold_id, "holdId")?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::Void { hold },
    })
}

pub(super) fn validate_expire_due(r: &ExpireDueRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::ExpireDue,
    })
}

pub(super) fn validate_set_credit_limit(r: &SetCreditLimitRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let account = check_id(&r.account_id, "accountId")?;
    let credit_limit = amount(&r.credit_limit, currency(&r.currency)?, "creditLimit")?;
    non_negative(&credit_limit)?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::SetCreditLimit {
            account,
            credit_limit,
        },
    })
}

pub(super) fn validate_close_account(r: &CloseAccountRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let account = check_id(&r.account_id, "accountId")?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::CloseAccount { account },
    })
}

pub(super) fn validate_set_key_retention(r: &SetKeyRetentionRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    Ok(Op {
        key,
        now: r.now,
        action: Action::SetKeyRetention {
            keys_kept_by: r.keys_kept_by,
            key_window: key_window(r.key_window)?,
        },
    })
}

pub(super) fn validate_set_capacity(r: &SetCapacityRequest) -> Result<Op> {
    let key = common(&r.idempotency_key, r.now)?;
    let within = |value: u32, least: usize, most: usize, param: &'static str| {
        if (least..=most).contains(&(value as usize)) {
            Ok(value)
        } else {
            Err(Error::new(ErrorCode::InvalidArgument, param, format!("must be {least}..={most}, got {value}")))
        }
    };
    Ok(Op {
        key,
        now: r.now,
        action: Action::SetCapacity {
            accounts_max: within(r.accounts_max, ACCOUNTS_MAX, ACCOUNTS_CAPACITY_MAX, "accountsMax")?,
            holds_max: within(r.holds_max, HOLDS_MAX, HOLDS_CAPACITY_MAX, "holdsMax")?,
        },
    })
}

/// A requested key window: `None` for the default (so that it is never written), or the size.
fn key_window(requested: Option<u32>) -> Result<Option<u32>> {
    match requested {
        None => Ok(None),
        Some(window) if window as usize == IDEMPOTENCY_KEYS_MAX => Ok(None),
        Some(window) if (IDEMPOTENCY_KEY_WINDOW_MIN..IDEMPOTENCY_KEYS_MAX).contains(&(window as usize)) => Ok(Some(window)),
        Some(window) => Err(Error::new(
            ErrorCode::InvalidArgument,
            "keyWindow",
            format!("must be {IDEMPOTENCY_KEY_WINDOW_MIN}..={IDEMPOTENCY_KEYS_MAX} keys, got {window}"),
        )),
    }
}

impl Op {
    /// The public request this operation was validated from (amounts in canonical form).
    pub(super) fn to_operation(&self) -> Operation {
        let idempotency_key = self.key.clone();
        let now = self.now;
        match &self.action {
            Action::OpenAccount {
                account,
                currency,
                kind,
                credit_limit,
            } => Operation::OpenAccount(OpenAccountRequest {
                idempotency_key,
                now,
                account_id: account.clone(),
                currency: currency.0.code().to_owned(),
                kind: *kind,
                credit_limit: credit_limit.map(|l| l.to_string()),
            }),
            Action::Transfer {
                debit,
                credit,
                amount,
            } => Operation::Transfer(TransferRequest {
                idempotency_key,
                now,
                debit_account_id: debit.clone(),
                credit_account_id: credit.clone(),
                amount: amount.to_string(),
                currency: amount.currency().code().to_owned(),
            }),
            Action::Hold {
                hold,
                debit,
                credit,
                amount,
                expires_at,
            } => Operation::Hold(HoldRequest {
                idempotency_key,
                now,
                hold_id: hold.clone(),
                debit_account_id: debit.clone(),
                credit_account_id: credit.clone(),
                amount: amount.to_string(),
                currency: amount.currency().code().to_owned(),
                expires_at: *expires_at,
            }),
            Action::Increment { hold, amount } => Operation::Increment(IncrementRequest {
                idempotency_key,
                now,
                hold_id: hold.clone(),
                amount: amount.to_string(),
                currency: amount.currency().code().to_owned(),
            }),
            Action::Extend { hold, expires_at } => Operation::Extend(ExtendRequest {
                idempotency_key,
                now,
                hold_id: hold.clone(),
                expires_at: *expires_at,
            }),
            Action::Post {
                hold,
                amount,
                is_final,
            } => Operation::Post(PostRequest {
                idempotency_key,
                now,
                hold_id: hold.clone(),
                amount: amount.map(|a| a.to_string()),
                currency: amount.map(|a| a.currency().code().to_owned()),
                is_final: *is_final,
            }),
            Action::Void { hold } => Operation::Void(VoidRequest {
                idempotency_key,
                now,
                hold_id: hold.clone(),
            }),
            Action::ExpireDue => Operation::ExpireDue(ExpireDueRequest {
                idempotency_key,
                now,
            }),
            Action::SetCreditLimit {
                account,
                credit_limit,
            } => Operation::SetCreditLimit(SetCreditLimitRequest {
                idempotency_key,
                now,
                account_id: account.clone(),
                credit_limit: credit_limit.to_string(),
                currency: credit_limit.currency().code().to_owned(),
            }),
            Action::CloseAccount { account } => Operation::CloseAccount(CloseAccountRequest {
                idempotency_key,
                now,
                account_id: account.clone(),
            }),
            Action::SetKeyRetention { keys_kept_by, key_window } => Operation::SetKeyRetention(SetKeyRetentionRequest {
                idempotency_key,
                now,
                keys_kept_by: *keys_kept_by,
                key_window: *key_window,
            }),
            Action::SetCapacity { accounts_max, holds_max } => Operation::SetCapacity(SetCapacityRequest {
                idempotency_key,
                now,
                accounts_max: *accounts_max,
                holds_max: *holds_max,
            }),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Decision and commit
// ------------------------------------------------------------------------------------------

pub(super) fn internal(what: &str) -> Error {
    Error::new(
        ErrorCode::Internal,
        "",
        format!("ledger: {what} (nothing was changed)"),
    )
}

/// A decided operation, checked and ready to apply.
pub(super) struct Plan {
    accounts: Overlay<Account>,
    holds: Overlay<Hold>,
    /// Whether the oldest retained key is forgotten to make room for this one.
    evict_oldest_key: bool,
    /// Who keeps the keys and the key window from now on, when the operation sets them.
    key_retention: Option<(KeysKeptBy, usize)>,
    /// The capacity (accounts, pending holds) from now on, when the operation sets it.
    capacity: Option<(usize, usize)>,
    record: KeyRecord,
    pub(super) entry: JournalEntry,
    now: i64,
}

/// One change a commit made, as the undo log of a linked chain records it: enough to take it
/// back exactly. One log per chain (its length is bounded by what the chain's members touch).
pub(super) enum Change {
    /// An account's previous state (a chain opens none: nothing to remove).
    Account(Account),
    /// A hold's id and previous state (`None`: placed by the commit; a resolved hold forgotten
    /// by the retention bound is its own previous state).
    Hold(String, Option<Hold>),
    /// A key record as it was: the oldest key, evicted to make room, or one whose outcome left
    /// the whole-outcome window (compacted). (The keys the chain recorded are those with a seq
    /// above the head before it.)
    Key(KeyRecord),
    /// Who kept the keys, and the key window, before the commit set them.
    KeyRetention(KeysKeptBy, usize),
    /// The capacity (accounts, pending holds) before the commit set it.
    Capacity(usize, usize),
}

// A transient return value, moved once: boxing either variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(super) enum Decided {
    /// Answered without changing anything (a repeat, or a refusal that is not journaled).
    Answer(Outcome),
    /// To be applied.
    Apply(Plan),
}

fn refusal(code: LedgerCode) -> Decided {
    Decided::Answer(super::unjournaled_outcome(code))
}

impl Ledger {
    pub(super) fn run(&mut self, op: Op) -> Result<Outcome> {
        match self.decide(&op, true)? {
            Decided::Answer(outcome) => Ok(outcome),
            Decided::Apply(plan) => Ok(self.commit(plan, true, None)),
        }
    }

    /// Decides `op` without changing anything. `live`: a caller's operation (the retained
    /// journal's limit applies), else a replayed one (its entry is already persisted).
    pub(super) fn decide(&self, op: &Op, live: bool) -> Result<Decided> {
        // Encoded once: hashed (without `now`) for the fingerprint, copied into the entry.
        let op_bytes = codec::OpBytes::new(op);
        let fingerprint = op_bytes.fingerprint();
        if let Some(record) = self.keys.get(op.key.as_str()) {
            return Ok(if record.fingerprint == fingerprint {
                Decided::Answer(record.verdict.outcome(record.seq, true))
            } else {
                refusal(LedgerCode::IdempotencyKeyReused)
            });
        }
        if live && self.journal.len() >= JOURNAL_ENTRIES_RETAINED_MAX {
            return Ok(refusal(LedgerCode::JournalFull));
        }
        let now = op.now.max(self.clock);
        let evict_oldest_key = if self.keys.len() >= self.key_window {
            let &(_, oldest) = self
                .key_order
                .front()
                .ok_or_else(|| internal("the key order index is empty"))?;
            let record = self
                .keys
                .at(oldest)
                .ok_or_else(|| internal("the key order index names an unknown key"))?;
            // When the store keeps the long tail, the window only bounds the state: the oldest
            // key goes whatever its age (the store answers its repeats).
            if self.keys_kept_by == KeysKeptBy::Ledger && record.time.saturating_add(IDEMPOTENCY_KEY_RETENTION_S) > now {
                return Ok(refusal(LedgerCode::IdempotencyKeysFull));
            }
            true
        } else {
            false
        };
        let seq = self
            .head
            .seq
            .checked_add(1)
            .filter(|seq| *seq <= SEQ_MAX)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::LimitExceeded,
                    "",
                    "the journal sequence reached its maximum (2^53 - 1)",
                )
            })?;
        let mut tx = Tx::new(self, now, seq);
        let (code, target) = tx.apply(&op.action)?;
        #[cfg(test)]
        super::tests::fault::inject(&mut tx);
        tx.verify()?;
        let verdict = Verdict {
            code,
            hold: target.and_then(|id| tx.hold(id).cloned().map(Box::new)),
            expired: core::mem::take(&mut tx.expired),
        };
        let entry = JournalEntry::build(seq, &op_bytes, &verdict, self.head.hash)?;
        Ok(Decided::Apply(Plan {
            accounts: tx.accounts,
            holds: tx.holds,
            evict_oldest_key,
            key_retention: tx.key_retention,
            capacity: tx.capacity,
            record: KeyRecord {
                key: Arc::from(op.key.as_str()),
                fingerprint,
                seq,
                time: now,
                verdict,
            },
            entry,
            now,
        }))
    }

    /// Applies a checked plan (cannot fail). With `undo`, also logs each change there, so that
    /// [`Ledger::rollback`] can take it back (a member of a linked chain, which never opens an
    /// account: see `execute_batch`).
    pub(super) fn commit(&mut self, plan: Plan, retain: bool, undo: Option<&mut Vec<Change>>) -> Outcome {
        let outcome = plan.record.verdict.outcome(plan.record.seq, false);
        self.apply_plan(plan, retain, undo);
        outcome
    }

    /// [`Ledger::commit`] without building the outcome: replay applies an entry whose outcome is
    /// in its bytes already (the hold view's amount texts were ~5 % of a replayed operation).
    pub(super) fn apply_plan(&mut self, plan: Plan, retain: bool, mut undo: Option<&mut Vec<Change>>) {
        let Plan {
            accounts,
            holds,
            evict_oldest_key,
            key_retention,
            capacity,
            record,
            entry,
            now,
        } = plan;
        for (at, account) in accounts {
            let old = match at {
                Some(at) => self.replace_account_at(at, account),
                None => {
                    self.accounts.insert_new(account);
                    None
                }
            };
            if let (Some(undo), Some(old)) = (undo.as_deref_mut(), old) {
                undo.push(Change::Account(old));
            }
        }
        for (at, hold) in holds {
            let undo_id = undo.is_some().then(|| hold.id.clone());
            let old = match at {
                Some(at) => self.put_hold_at(at, Some(hold)),
                None => {
                    let at = self.holds.insert_new(hold);
                    self.index(at);
                    None
                }
            };
            if let (Some(undo), Some(id)) = (undo.as_deref_mut(), undo_id) {
                undo.push(Change::Hold(id, old));
            }
        }
        // At most the holds this operation resolved go (each loop removes one).
        while self.resolved.len() > HOLDS_RESOLVED_RETAINED_MAX {
            let Some(at) = self.earliest_resolved() else {
                break;
            };
            let forgotten = self.put_hold_at(at, None);
            if let (Some(undo), Some(hold)) = (undo.as_deref_mut(), forgotten) {
                undo.push(Change::Hold(hold.id.clone(), Some(hold)));
            }
        }
        if evict_oldest_key {
            let evicted = self.forget_oldest_key();
            if let (Some(undo), Some(record)) = (undo.as_deref_mut(), evicted) {
                undo.push(Change::Key(record));
            }
        }
        if let Some((keys_kept_by, key_window)) = key_retention {
            let old = (
                core::mem::replace(&mut self.keys_kept_by, keys_kept_by),
                core::mem::replace(&mut self.key_window, key_window),
            );
            if let Some(undo) = undo.as_deref_mut() {
                undo.push(Change::KeyRetention(old.0, old.1));
            }
        }
        if let Some(capacity) = capacity {
            if let Some(undo) = undo.as_deref_mut() {
                undo.push(Change::Capacity(self.accounts_max, self.holds_max));
            }
            (self.accounts_max, self.holds_max) = capacity;
        }
        let seq = record.seq;
        let at = self.keys.insert_new(record);
        self.key_order.push_back((seq, at));
        // One in: the key IDEMPOTENCY_OUTCOMES_MAX places before it leaves the whole-outcome
        // window (the window is the newest of the queue).
        if let Some(leaving) = self.key_order.len().checked_sub(IDEMPOTENCY_OUTCOMES_MAX + 1) {
            let older = self
                .key_order
                .get(leaving)
                .and_then(|&(_, at)| self.keys.at_mut(at));
            if let Some(older) = older {
                let verdict = older.verdict.compact();
                if let Some(undo) = undo {
                    undo.push(Change::Key(KeyRecord { key: older.key.clone(), verdict, ..*older }));
                }
            }
        }
        self.clock = now;
        self.head = entry.head();
        if retain {
            self.journal.push(entry);
        }
    }

    /// Puts `hold` (or nothing) under `id`, keeping the indexes; returns what was there.
    pub(super) fn put_hold(&mut self, id: &str, hold: Option<Hold>) -> Option<Hold> {
        match (self.holds.handle(id), hold) {
            (Some(at), hold) => self.put_hold_at(at, hold),
            (None, Some(hold)) => {
                let at = self.holds.insert_new(hold);
                self.index(at);
                None
            }
            (None, None) => None,
        }
    }

    /// Puts `hold` (or nothing) in the slot of the hold at `at` (with the same id), keeping the
    /// indexes; returns what was there.
    fn put_hold_at(&mut self, at: u32, hold: Option<Hold>) -> Option<Hold> {
        self.unindex(at);
        let old = match hold {
            Some(hold) => self.holds.replace_at(at, hold),
            None => self.holds.remove_at(at),
        };
        self.index(at);
        old
    }

    /// The resolved hold forgotten first: the earliest resolution seq, then the least hold id
    /// (the order of the journaled state; handles are in no such order). Scans the holds
    /// resolved at that one seq (at most the holds one operation resolves).
    fn earliest_resolved(&self) -> Option<u32> {
        let &(seq, _) = self.resolved.first()?;
        self.resolved
            .range((seq, 0)..=(seq, u32::MAX))
            .filter_map(|&(_, at)| self.holds.at(at).map(|hold| (hold.id.as_str(), at)))
            .min()
            .map(|(_, at)| at)
    }

    /// Puts back a key record as it was (a chain's undo): in place of its compacted self, or
    /// in the queue where its seq belongs (an evicted key: at the front).
    fn restore_key(&mut self, record: KeyRecord) {
        let seq = record.seq;
        let at = match self.keys.handle(&record.key) {
            Some(at) => {
                self.keys.replace_at(at, record);
                at
            }
            None => self.keys.insert_new(record),
        };
        if let Err(position) = self.key_order.binary_search_by_key(&seq, |(seq, _)| *seq) {
            self.key_order.insert(position, (seq, at));
        }
    }

    /// Forgets the oldest retained key; returns it.
    fn forget_oldest_key(&mut self) -> Option<KeyRecord> {
        let (_, at) = self.key_order.pop_front()?;
        self.keys.remove_at(at)
    }

    /// Takes back the commits logged in `undo` since the ledger had `clock`, `head` and
    /// `journal_len` retained entries: each change's exact inverse, newest first (cannot fail).
    /// The ledger ends equal to what it was then, indexes and journal included.
    pub(super) fn rollback(&mut self, mut undo: Vec<Change>, clock: i64, head: super::JournalHead, journal_len: usize) {
        self.clock = clock;
        self.head = head;
        self.journal.truncate(journal_len);
        // Bounded by the log's length.
        while let Some(change) = undo.pop() {
            match change {
                Change::Account(account) => match self.accounts.handle(&account.id) {
                    Some(at) => {
                        self.replace_account_at(at, account);
                    }
                    None => {
                        self.accounts.insert_new(account);
                    }
                },
                Change::Hold(id, old) => {
                    self.put_hold(&id, old);
                }
                Change::Key(record) => self.restore_key(record),
                Change::KeyRetention(keys_kept_by, key_window) => {
                    self.keys_kept_by = keys_kept_by;
                    self.key_window = key_window;
                }
                Change::Capacity(accounts_max, holds_max) => (self.accounts_max, self.holds_max) = (accounts_max, holds_max),
            }
        }
        // The keys the chain recorded: their seqs follow the head's (at most one per member).
        while self.key_order.back().is_some_and(|(seq, _)| *seq > head.seq) {
            if let Some((_, at)) = self.key_order.pop_back() {
                self.keys.remove_at(at);
            }
        }
    }

    /// The derived index entries of the hold at `at` (none for a free slot): its deadline and
    /// debit account while pending, its resolution seq after.
    fn index_keys(&self, at: u32) -> Option<(bool, u64, u32)> {
        let hold = self.holds.at(at)?;
        // An unknown debit account (only in a state the invariants then refuse) is listed under
        // none.
        Some(match hold.state {
            HoldState::Pending => (true, deadline_key(hold.expires_at), self.accounts.handle(&hold.debit).unwrap_or(u32::MAX)),
            _ => (false, hold.resolved_seq.unwrap_or(0), 0),
        })
    }

    /// Files the hold at `at` in the derived indexes.
    pub(super) fn index(&mut self, at: u32) {
        match self.index_keys(at) {
            Some((true, deadline, debit)) => {
                self.deadlines.insert((deadline, at));
                if let Some(account) = self.accounts.at_mut(debit) {
                    self.debit_holds.insert(&mut account.debit_holds, debit, at);
                }
            }
            Some((false, seq, _)) => {
                self.resolved.insert((seq, at));
            }
            None => {}
        }
    }

    /// Takes the hold at `at` out of the derived indexes.
    fn unindex(&mut self, at: u32) {
        match self.index_keys(at) {
            Some((true, deadline, debit)) => {
                self.deadlines.remove(&(deadline, at));
                if let Some(account) = self.accounts.at_mut(debit) {
                    self.debit_holds.remove(&mut account.debit_holds, debit, at);
                }
            }
            Some((false, seq, _)) => {
                self.resolved.remove(&(seq, at));
            }
            None => {}
        }
    }

    /// The handles of the pending holds debiting the account `id` (newest listed first:
    /// callers count them or put them in id order); `None` when it has none (or does not
    /// exist). An account with nothing pending on its debit side has no pending hold debiting
    /// it (a pending hold holds a positive amount: the invariants check both), so its list is
    /// not walked.
    pub(super) fn debit_holds_of(&self, id: &str) -> Option<impl Iterator<Item = u32> + '_> {
        let account = self.accounts.get(id)?;
        (account.debits_pending != 0).then(|| self.debit_holds.of(account.debit_holds))
    }

    /// Each account's handle and debit list head: the lists [`debit_index::DebitIndex::entries`]
    /// checks.
    pub(super) fn debit_list_heads(&self) -> impl Iterator<Item = (u32, super::debit_index::ListHead)> + '_ {
        self.accounts.iter_unordered().map(|(at, account)| (at, account.debit_holds))
    }

    /// Puts `account` in the live slot `at` (the record with its id), keeping the list head
    /// there: the record it replaces may have had holds linked or unlinked since `account` was
    /// copied from it (a commit links after it writes the accounts; a chain's undo restores
    /// accounts after it unlinks). Returns the record it replaced.
    pub(super) fn replace_account_at(&mut self, at: u32, mut account: Account) -> Option<Account> {
        if let Some(current) = self.accounts.at(at) {
            account.debit_holds = current.debit_holds;
        }
        self.accounts.replace_at(at, account)
    }
}

// ------------------------------------------------------------------------------------------
// The scratch transaction
// ------------------------------------------------------------------------------------------

/// An operation in progress: copies of the accounts and holds it changed, over the ledger.
pub(super) struct Tx<'a> {
    pub(super) base: &'a Ledger,
    pub(super) now: i64,
    pub(super) seq: u64,
    pub(super) accounts: Overlay<Account>,
    pub(super) holds: Overlay<Hold>,
    pub(super) expired: Vec<String>,
    /// Who keeps the keys and the key window after this operation, when it sets them.
    pub(super) key_retention: Option<(KeysKeptBy, usize)>,
    /// The capacity (accounts, pending holds) after this operation, when it sets it.
    pub(super) capacity: Option<(usize, usize)>,
    /// The accounts and holds last found in the ledger.
    seen_accounts: Seen,
    seen_holds: Seen,
}
/// The accounts or holds one operation changed, as copies, each with the handle of the record it
/// copies (`None`: new), so that the commit and the checks reach the original without looking
/// its id up: a short list searched from the front. An operation touches two accounts and one
/// hold, plus the holds it expires (at most [`EXPIRE_BATCH_MAX`], or an account's
/// [`HOLDS_PER_ACCOUNT_MAX`]) and their accounts, so the list is that long at most: a
/// `BTreeMap` here allocated a node of eleven entries (~1.5 KB) for the first copy in every
/// operation, and its ordered iteration is not needed (the copies are applied to, and checked
/// against, the ledger's own tables; the order only decides which broken invariant is named
/// first).
#[derive(Debug)]
pub(super) struct Overlay<T>(Vec<(Option<u32>, T)>);

impl<T: Record> Overlay<T> {
    fn new() -> Self {
        Overlay(Vec::new())
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.0.iter().position(|(_, value)| value.is(id))
    }

    pub(super) fn get(&self, id: &str) -> Option<&T> {
        self.0.iter().find(|(_, value)| value.is(id)).map(|(_, value)| value)
    }

    /// The copy of the record at `handle` in the ledger, if any.
    pub(super) fn at(&self, handle: u32) -> Option<&T> {
        self.0.iter().find(|(at, _)| *at == Some(handle)).map(|(_, value)| value)
    }

    /// Adds a record the ledger does not have (the caller looked).
    fn insert_new(&mut self, value: T) {
        self.0.push((None, value));
    }

    /// The copies with the handles of their originals.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Option<u32>, &T)> {
        self.0.iter().map(|(at, value)| (*at, value))
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|(_, value)| value)
    }

    #[cfg(test)]
    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.0.iter_mut().map(|(_, value)| value)
    }
}

impl<T> IntoIterator for Overlay<T> {
    type Item = (Option<u32>, T);
    type IntoIter = std::vec::IntoIter<(Option<u32>, T)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// `a + b` within the unit range.
fn add_units(a: u128, b: u128) -> Option<u128> {
    a.checked_add(b).filter(|sum| *sum <= UNITS_MAX)
}

/// The amount in minor units when positive.
fn positive(amount: &Amount) -> Option<u128> {
    let minor = amount.to_minor_units();
    (minor > 0).then_some(minor.unsigned_abs())
}

fn has_funds(account: &Account, amount: u128) -> bool {
    account
        .available()
        .map_or(true, |available| available >= amount as i128)
}

impl<'a> Tx<'a> {
    pub(super) fn new(base: &'a Ledger, now: i64, seq: u64) -> Self {
        Tx {
            base,
            now,
            seq,
            accounts: Overlay::new(),
            holds: Overlay::new(),
            expired: Vec::new(),
            key_retention: None,
            capacity: None,
            seen_accounts: Seen::default(),
            seen_holds: Seen::default(),
        }
    }

    pub(super) fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.get(id).or_else(|| self.seen_accounts.handle(&self.base.accounts, id).and_then(|at| self.base.accounts.at(at)))
    }

    fn account_mut(&mut self, id: &str) -> Result<&mut Account> {
        copy_on_write(&mut self.accounts, &self.base.accounts, &self.seen_accounts, id, "an account")
    }

    pub(super) fn hold(&self, id: &str) -> Option<&Hold> {
        self.holds.get(id).or_else(|| self.seen_holds.handle(&self.base.holds, id).and_then(|at| self.base.holds.at(at)))
    }

    fn hold_mut(&mut self, id: &str) -> Result<&mut Hold> {
        copy_on_write(&mut self.holds, &self.base.holds, &self.seen_holds, id, "a hold")
    }

    /// Pending holds in the ledger after this transaction.
    pub(super) fn pending_total(&self) -> usize {
        let mut total = self.base.deadlines.len();
        for (at, hold) in self.holds.iter() {
            let was = at
                .and_then(|at| self.base.holds.at(at))
                .is_some_and(|h| h.state == HoldState::Pending);
            let is = hold.state == HoldState::Pending;
            if is && !was {
                total = total.saturating_add(1);
            } else if was && !is {
                total = total.saturating_sub(1);
            }
        }
        total
    }

    /// Pending holds debiting `account` after this transaction.
    pub(super) fn pending_debit_count(&self, account: &str) -> usize {
        // The ledger's pending holds of the account (its copy if this operation changed one).
        let kept = self
            .base
            .debit_holds_of(account)
            .into_iter()
            .flatten()
            .filter(|at| self.holds.at(*at).or_else(|| self.base.holds.at(*at)).is_some_and(|h| h.state == HoldState::Pending))
            .count();
        let added = self
            .holds
            .iter()
            .filter(|(at, h)| at.is_none() && h.debit == account && h.state == HoldState::Pending)
            .count();
        kept.saturating_add(added)
    }

    /// Resolves a pending hold: releases what it still holds.
    fn release(&mut self, id: &str, state: HoldState) -> Result<()> {
        let seq = self.seq;
        // The hold's copy and the accounts' copies are borrowed side by side (two fields), so its
        // account ids are read in place rather than cloned.
        let hold = copy_on_write(&mut self.holds, &self.base.holds, &self.seen_holds, id, "a hold")?;
        if hold.state != HoldState::Pending {
            return Err(internal("releasing a hold that is not pending"));
        }
        let amount = hold.pending;
        hold.released = add_units(hold.released, amount)
            .ok_or_else(|| internal("a hold's released total overflows"))?;
        hold.pending = 0;
        hold.state = state;
        hold.resolved_seq = Some(seq);
        let account = copy_on_write(&mut self.accounts, &self.base.accounts, &self.seen_accounts, &hold.debit, "an account")?;
        account.debits_pending = account
            .debits_pending
            .checked_sub(amount)
            .ok_or_else(|| internal("debits pending below a hold"))?;
        let account = copy_on_write(&mut self.accounts, &self.base.accounts, &self.seen_accounts, &hold.credit, "an account")?;
        account.credits_pending = account
            .credits_pending
            .checked_sub(amount)
            .ok_or_else(|| internal("credits pending below a hold"))?;
        Ok(())
    }

    fn expire(&mut self, id: &str) -> Result<()> {
        self.release(id, HoldState::Expired)?;
        self.expired.push(id.to_owned());
        Ok(())
    }

    /// Expires the pending holds of `account` (debit side) whose deadline has passed.
    fn expire_overdue_of(&mut self, account: &str) -> Result<()> {
        let now = self.now;
        let Some(listed) = self.base.debit_holds_of(account) else {
            return Ok(());
        };
        // At most HOLDS_PER_ACCOUNT_MAX; the index lists them by handle, so they are put in id
        // order (the order they expire in, and are listed in the outcome).
        let mut due: Vec<(u64, &str)> = Vec::new();
        for at in listed {
            if let Some(h) = self.holds.at(at).or_else(|| self.base.holds.at(at)) {
                if h.state == HoldState::Pending && h.expires_at <= now {
                    insert_in_order(&mut due, (0, &h.id), usize::MAX);
                }
            }
        }
        if due.is_empty() {
            return Ok(());
        }
        let due: Vec<String> = due.iter().map(|(_, id)| (*id).to_owned()).collect();
        for id in due {
            self.expire(&id)?;
        }
        Ok(())
    }

    /// `None` when the hold is pending and live; else the code that refuses it (expiring it
    /// first when it is past its deadline).
    fn refuse_unless_live(&mut self, id: &str) -> Result<Option<LedgerCode>> {
        let Some(hold) = self.hold(id) else {
            return Ok(Some(LedgerCode::UnknownHold));
        };
        Ok(match hold.state {
            HoldState::Posted => Some(LedgerCode::HoldAlreadyPosted),
            HoldState::Voided => Some(LedgerCode::HoldAlreadyVoided),
            HoldState::Expired => Some(LedgerCode::HoldExpired),
            HoldState::Pending if hold.expires_at <= self.now => {
                self.expire(id)?;
                Some(LedgerCode::HoldExpired)
            }
            HoldState::Pending => None,
        })
    }

    fn deadline_ok(&self, expires_at: i64) -> bool {
        expires_at > self.now && expires_at.saturating_sub(self.now) <= HOLD_DURATION_S_MAX
    }

    /// Decides the action: its code, and the hold it acted on (its id borrowed from the action:
    /// the verdict copies the hold itself, so a copy of the id was one allocation per operation).
    pub(super) fn apply<'b>(&mut self, action: &'b Action) -> Result<(LedgerCode, Option<&'b str>)> {
        Ok(match action {
            Action::OpenAccount {
                account,
                currency,
                kind,
                credit_limit,
            } => (
                self.open_account(account, *currency, *kind, credit_limit.as_ref())?,
                None,
            ),
            Action::Transfer {
                debit,
                credit,
                amount,
            } => (self.transfer(debit, credit, amount)?, None),
            Action::Hold {
                hold,
                debit,
                credit,
                amount,
                expires_at,
            } => {
                let code = self.place_hold(hold, debit, credit, amount, *expires_at)?;
                let target = (code == LedgerCode::Held).then_some(hold.as_str());
                (code, target)
            }
            Action::Increment { hold, amount } => {
                (self.increment(hold, amount)?, Some(hold.as_str()))
            }
            Action::Extend { hold, expires_at } => {
                (self.extend(hold, *expires_at)?, Some(hold.as_str()))
            }
            Action::Post {
                hold,
                amount,
                is_final,
            } => (
                self.post(hold, amount.as_ref(), *is_final)?,
                Some(hold.as_str()),
            ),
            Action::Void { hold } => (self.void(hold)?, Some(hold.as_str())),
            Action::ExpireDue => (self.expire_due()?, None),
            Action::SetCreditLimit {
                account,
                credit_limit,
            } => (self.set_credit_limit(account, credit_limit)?, None),
            Action::CloseAccount { account } => (self.close_account(account)?, None),
            Action::SetKeyRetention { keys_kept_by, key_window } => {
                let key_window = key_window.map_or(IDEMPOTENCY_KEYS_MAX, |window| window as usize);
                // A smaller window must hold what is retained plus this operation's own key (a
                // window as large or larger makes room as always: the oldest key goes).
                if key_window < self.base.key_window && self.base.keys.len() >= key_window {
                    (LedgerCode::KeyWindowBelowKeys, None)
                } else {
                    self.key_retention = Some((*keys_kept_by, key_window));
                    (LedgerCode::KeyRetentionSet, None)
                }
            }
            Action::SetCapacity { accounts_max, holds_max } => {
                let capacity = (*accounts_max as usize, *holds_max as usize);
                if capacity.0 < self.base.accounts.len() || capacity.1 < self.pending_total() {
                    (LedgerCode::CapacityBelowCounts, None)
                } else {
                    self.capacity = Some(capacity);
                    (LedgerCode::CapacitySet, None)
                }
            }
        })
    }

    fn open_account(
        &mut self,
        id: &str,
        currency: CurrencyCode,
        kind: AccountKind,
        credit_limit: Option<&Amount>,
    ) -> Result<LedgerCode> {
        if self.account(id).is_some() {
            return Ok(LedgerCode::AccountExists);
        }
        if self.base.accounts.len() >= self.base.accounts_max {
            return Ok(LedgerCode::AccountsFull);
        }
        let credit_limit = credit_limit.map_or(0, |l| l.to_minor_units().unsigned_abs());
        self.accounts.insert_new(
            Account {
                id: super::inline_id::InlineId::new(id),
                currency,
                kind,
                credit_limit,
                closed: false,
                debits_posted: 0,
                credits_posted: 0,
                debits_pending: 0,
                credits_pending: 0,
                debit_holds: super::debit_index::ListHead::default(),
            },
        );
        Ok(LedgerCode::AccountOpened)
    }

    /// The two accounts of a transfer or hold: `Err(code)` when one is unknown, in another
    /// currency or closed.
    fn pair(&self, debit: &str, credit: &str, amount: &Amount) -> Option<LedgerCode> {
        let (Some(d), Some(c)) = (self.account(debit), self.account(credit)) else {
            return Some(LedgerCode::UnknownAccount);
        };
        if d.currency.0 != amount.currency() || c.currency.0 != amount.currency() {
            return Some(LedgerCode::CurrencyMismatch);
        }
        if d.closed || c.closed {
            return Some(LedgerCode::AccountAlreadyClosed);
        }
        None
    }

    fn transfer(&mut self, debit: &str, credit: &str, amount: &Amount) -> Result<LedgerCode> {
        let Some(units) = positive(amount) else {
            return Ok(LedgerCode::AmountNotPositive);
        };
        if debit == credit {
            return Ok(LedgerCode::SameAccount);
        }
        if let Some(code) = self.pair(debit, credit, amount) {
            return Ok(code);
        }
        self.expire_overdue_of(debit)?;
        let (Some(d), Some(c)) = (self.account(debit), self.account(credit)) else {
            return Err(internal("a checked account vanished"));
        };
        if !has_funds(d, units) {
            return Ok(LedgerCode::InsufficientFunds);
        }
        let (Some(debits), Some(credits)) = (
            add_units(d.debits_posted, units),
            add_units(c.credits_posted, units),
        ) else {
            return Ok(LedgerCode::BalanceOverflow);
        };
        self.account_mut(debit)?.debits_posted = debits;
        self.account_mut(credit)?.credits_posted = credits;
        Ok(LedgerCode::Transferred)
    }

    fn place_hold(
        &mut self,
        id: &str,
        debit: &str,
        credit: &str,
        amount: &Amount,
        expires_at: i64,
    ) -> Result<LedgerCode> {
        let Some(units) = positive(amount) else {
            return Ok(LedgerCode::AmountNotPositive);
        };
        if debit == credit {
            return Ok(LedgerCode::SameAccount);
        }
        if !self.deadline_ok(expires_at) {
            return Ok(LedgerCode::DeadlineInvalid);
        }
        if self.hold(id).is_some() {
            return Ok(LedgerCode::HoldExists);
        }
        if let Some(code) = self.pair(debit, credit, amount) {
            return Ok(code);
        }
        self.expire_overdue_of(debit)?;
        if self.pending_total() >= self.base.holds_max {
            return Ok(LedgerCode::HoldsFull);
        }
        if self.pending_debit_count(debit) >= HOLDS_PER_ACCOUNT_MAX {
            return Ok(LedgerCode::AccountHoldsFull);
        }
        let (Some(d), Some(c)) = (self.account(debit), self.account(credit)) else {
            return Err(internal("a checked account vanished"));
        };
        if !has_funds(d, units) {
            return Ok(LedgerCode::InsufficientFunds);
        }
        let (Some(debits), Some(credits)) = (
            add_units(d.debits_pending, units),
            add_units(c.credits_pending, units),
        ) else {
            return Ok(LedgerCode::BalanceOverflow);
        };
        self.account_mut(debit)?.debits_pending = debits;
        self.account_mut(credit)?.credits_pending = credits;
        self.holds.insert_new(
            Hold {
                id: id.to_owned(),
                debit: debit.to_owned(),
                credit: credit.to_owned(),
                currency: CurrencyCode(amount.currency()),
                state: HoldState::Pending,
                pending: units,
                posted: 0,
                released: 0,
                expires_at,
                resolved_seq: None,
            },
        );
        Ok(LedgerCode::Held)
    }

    fn increment(&mut self, id: &str, amount: &Amount) -> Result<LedgerCode> {
        let Some(units) = positive(amount) else {
            return Ok(LedgerCode::AmountNotPositive);
        };
        if let Some(code) = self.refuse_unless_live(id)? {
            return Ok(code);
        }
        let hold = self
            .hold(id)
            .ok_or_else(|| internal("a checked hold vanished"))?
            .clone();
        if hold.currency.0 != amount.currency() {
            return Ok(LedgerCode::CurrencyMismatch);
        }
        self.expire_overdue_of(&hold.debit)?;
        let (Some(d), Some(c)) = (self.account(&hold.debit), self.account(&hold.credit)) else {
            return Err(internal("a hold's account does not exist"));
        };
        if !has_funds(d, units) {
            return Ok(LedgerCode::InsufficientFunds);
        }
        let (Some(debits), Some(credits), Some(_), Some(pending)) = (
            add_units(d.debits_pending, units),
            add_units(c.credits_pending, units),
            hold.total().and_then(|total| add_units(total, units)),
            add_units(hold.pending, units),
        ) else {
            return Ok(LedgerCode::BalanceOverflow);
        };
        self.account_mut(&hold.debit)?.debits_pending = debits;
        self.account_mut(&hold.credit)?.credits_pending = credits;
        self.hold_mut(id)?.pending = pending;
        Ok(LedgerCode::Incremented)
    }

    fn extend(&mut self, id: &str, expires_at: i64) -> Result<LedgerCode> {
        if let Some(code) = self.refuse_unless_live(id)? {
            return Ok(code);
        }
        let current = self
            .hold(id)
            .ok_or_else(|| internal("a checked hold vanished"))?
            .expires_at;
        if expires_at <= current || !self.deadline_ok(expires_at) {
            return Ok(LedgerCode::DeadlineInvalid);
        }
        self.hold_mut(id)?.expires_at = expires_at;
        Ok(LedgerCode::Extended)
    }

    fn post(&mut self, id: &str, amount: Option<&Amount>, is_final: bool) -> Result<LedgerCode> {
        let requested = match amount {
            Some(amount) => match positive(amount) {
                Some(units) => Some(units),
                None => return Ok(LedgerCode::AmountNotPositive),
            },
            None => None,
        };
        if let Some(code) = self.refuse_unless_live(id)? {
            return Ok(code);
        }
        // Checked through shared borrows, then changed through the hold's copy with the accounts'
        // copies beside it (two fields, as in `release`): a clone of the hold to read it was
        // three allocations per post.
        let hold = self.hold(id).ok_or_else(|| internal("a checked hold vanished"))?;
        if amount.is_some_and(|a| a.currency() != hold.currency.0) {
            return Ok(LedgerCode::CurrencyMismatch);
        }
        let units = requested.unwrap_or(hold.pending);
        if units > hold.pending {
            return Ok(LedgerCode::ExceedsHold);
        }
        let (Some(d), Some(c)) = (self.account(&hold.debit), self.account(&hold.credit)) else {
            return Err(internal("a hold's account does not exist"));
        };
        let (Some(debits), Some(credits)) = (
            add_units(d.debits_posted, units),
            add_units(c.credits_posted, units),
        ) else {
            return Ok(LedgerCode::BalanceOverflow);
        };
        let posted = add_units(hold.posted, units)
            .ok_or_else(|| internal("a hold's posted total overflows"))?;
        let h = copy_on_write(&mut self.holds, &self.base.holds, &self.seen_holds, id, "a hold")?;
        let d = copy_on_write(&mut self.accounts, &self.base.accounts, &self.seen_accounts, &h.debit, "an account")?;
        d.debits_posted = debits;
        d.debits_pending = d
            .debits_pending
            .checked_sub(units)
            .ok_or_else(|| internal("debits pending below a hold"))?;
        let c = copy_on_write(&mut self.accounts, &self.base.accounts, &self.seen_accounts, &h.credit, "an account")?;
        c.credits_posted = credits;
        c.credits_pending = c
            .credits_pending
            .checked_sub(units)
            .ok_or_else(|| internal("credits pending below a hold"))?;
        h.posted = posted;
        h.pending = h
            .pending
            .checked_sub(units)
            .ok_or_else(|| internal("posting more than a hold holds"))?;
        if is_final || h.pending == 0 {
            self.release(id, HoldState::Posted)?;
        }
        Ok(LedgerCode::Posted)
    }

    fn void(&mut self, id: &str) -> Result<LedgerCode> {
        if let Some(code) = self.refuse_unless_live(id)? {
            return Ok(code);
        }
        self.release(id, HoldState::Voided)?;
        Ok(LedgerCode::Voided)
    }

    fn expire_due(&mut self) -> Result<LedgerCode> {
        let now = deadline_key(self.now);
        // Earliest deadline first, ties by hold id. The index orders ties by handle, so the first
        // batch and one (to know whether more are due) are kept in (deadline, id) order while
        // the index is read to the end of the last deadline they reach (at most the pending-hold capacity).
        let keep = EXPIRE_BATCH_MAX.saturating_add(1);
        let mut due: Vec<(u64, &str)> = Vec::with_capacity(keep);
        for &(deadline, at) in self.base.deadlines.iter() {
            let batch_done = due.len() >= keep && due.last().is_some_and(|(last, _)| *last < deadline);
            if deadline > now || batch_done {
                break;
            }
            if let Some(hold) = self.base.holds.at(at) {
                insert_in_order(&mut due, (deadline, hold.id.as_str()), keep);
            }
        }
        let more = due.len() > EXPIRE_BATCH_MAX;
        let due: Vec<String> = due.iter().take(EXPIRE_BATCH_MAX).map(|(_, id)| (*id).to_owned()).collect();
        for id in due.iter() {
            self.expire(id)?;
        }
        Ok(if more {
            LedgerCode::MoreHoldsDue
        } else {
            LedgerCode::DueHoldsExpired
        })
    }

    fn set_credit_limit(&mut self, id: &str, limit: &Amount) -> Result<LedgerCode> {
        let Some(account) = self.account(id) else {
            return Ok(LedgerCode::UnknownAccount);
        };
        if account.currency.0 != limit.currency() {
            return Ok(LedgerCode::CurrencyMismatch);
        }
        if account.closed {
            return Ok(LedgerCode::AccountAlreadyClosed);
        }
        if account.kind != AccountKind::CreditLine {
            return Ok(LedgerCode::NotACreditLine);
        }
        self.expire_overdue_of(id)?;
        let account = self.account_mut(id)?;
        let units = limit.to_minor_units().unsigned_abs();
        // Usage: debt plus pending holds, i.e. credit_limit − available.
        let base = account.balance() - account.debits_pending as i128;
        if base + (units as i128) < 0 {
            // The unchanged copy of the account is harmless.
            return Ok(LedgerCode::CreditLimitBelowUsage);
        }
        account.credit_limit = units;
        Ok(LedgerCode::CreditLimitSet)
    }

    fn close_account(&mut self, id: &str) -> Result<LedgerCode> {
        let Some(account) = self.account(id) else {
            return Ok(LedgerCode::UnknownAccount);
        };
        if account.closed {
            return Ok(LedgerCode::AccountAlreadyClosed);
        }
        if !account.is_empty() {
            return Ok(LedgerCode::AccountNotEmpty);
        }
        self.account_mut(id)?.closed = true;
        Ok(LedgerCode::AccountClosed)
    }
}

/// The entry `id` of a transaction's overlay, copied from the base state on first change, so the
/// base stays untouched until the whole operation is checked (atomicity).
fn copy_on_write<'a, T: Clone + Record>(
    overlay: &'a mut Overlay<T>,
    base: &Table<T>,
    seen: &Seen,
    id: &str,
    what: &str,
) -> Result<&'a mut T> {
    let at = match overlay.position(id) {
        Some(at) => at,
        None => {
            let handle = seen.handle(base, id);
            let original = handle
                .and_then(|handle| base.at(handle))
                .ok_or_else(|| internal(&format!("{what} to change does not exist")))?
                .clone();
            overlay.0.push((handle, original));
            overlay.0.len().saturating_sub(1)
        }
    };
    overlay
        .0
        .get_mut(at)
        .map(|(_, value)| value)
        .ok_or_else(|| internal(&format!("{what} copy is missing")))
}
