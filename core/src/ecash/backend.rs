//! The back-end: abnormal-transaction rules over a card's log, deposits, security information.
//!
//! # Rules (data: [`Rules`] maps each code to an action)
//!
//! | code | byte | default action | fires when | evidence |
//! |---|---:|---|---|---|
//! | `BAD_SIGNATURE` | 1 | reject | a record of the log (or a payer's record inside a receive) does not verify, or its payer is unknown | the counter |
//! | `COUNTER_GAP` | 2 | block | the log does not run `base+1, base+2, …, counter`, or starts after the last synced counter | expected and found counter |
//! | `CHAIN_BROKEN` | 3 | block | a record's `prev` is not the hash of the record before it | the counter |
//! | `REPLAYED_COUNTER` | 4 | reject | a sync request not newer than the last one checked (a relayed copy), or a deposit of a payment already claimed | both times, or the record's hash |
//! | `ROLLBACK` | 5 | block | the card holds a state older than the sync before the last one (its log starts, or its security version is, below it) | what the card holds and what the back-end has |
//! | `CLONED_CARD` | 6 | block | the card's log differs from the records already accepted at the same counter: two logs diverge | both records |
//! | `DOUBLE_SPEND` | 7 | block | two different signed send records of one card and counter (from its log, a deposit or a receiver's log) | a [`DoubleSpendProof`] |
//! | `BALANCE_MISMATCH` | 8 | block | the card's available or pending amount is not the settled balance minus its sends and plus its receipts | expected and reported |
//! | `OFFLINE_LIMIT_EXCEEDED` | 9 | block | the log's sends break the limits the back-end last signed | the counter and which limit |
//! | `VELOCITY` | 10 | restrict | more than `countMax` sends or more than `amountMax` within `windowS` seconds (record times) | window start, count, amount |
//! | `WRONG_PAYEE` | 11 | reject | a deposit of a payment to someone else (a relayed record) | the record's hash |
//!
//! # Check order of [`Backend::sync`]
//!
//! 1. A card already blocked gets its block instruction again (no new findings).
//! 2. The log's *form*, stopping at the first failure: `BAD_SIGNATURE` (the request's own
//!    signature, then `REPLAYED_COUNTER` for a request not newer than the last, then all records' signatures at once
//!    with batch verification, [`crate::crypto::ed25519::verify_batch`]), `COUNTER_GAP`,
//!    `CHAIN_BROKEN`. A log that fails here is not read further.
//! 3. Its *content*, every rule: `ROLLBACK`, `CLONED_CARD`, `DOUBLE_SPEND` (this card's sends and
//!    the payers' records inside its receives), `BALANCE_MISMATCH` (only when neither rollback
//!    nor clone: otherwise the balances compare different histories), `OFFLINE_LIMIT_EXCEEDED`,
//!    `VELOCITY`.
//! 4. The strongest action among the card's findings decides: *reject* → [`SyncOutcome::Refused`]
//!    and nothing changes; *restrict* / *block* → [`SyncOutcome::Abnormal`] with a signed
//!    instruction (the records are still indexed, for proofs); none → [`SyncOutcome::Clean`]:
//!    the log is settled (sends debited, receipts credited) and new security information signed.
//!    Findings about other cards (a payer's double spend) flag those cards.
//!
//! A card restored to its state before the last sync is indistinguishable from one that lost the
//! back-end's answer: if its log agrees with what was accepted, it is answered again (nothing is
//! at risk); if it spent again, its log diverges: `CLONED_CARD` and `DOUBLE_SPEND`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::crypto::ed25519;
use crate::ecash::card::{LogEntry, SyncRequest};
use crate::ecash::record::*;
use crate::envelope::{self, SealParams, Signer};
use crate::error::{Error, ErrorCode, Result};

/// Most entries in one sync request or deposit.
pub const SYNC_RECORDS_MAX: usize = 16_384;
/// Most findings one check reports (the rest are counted in `findingsDropped`).
pub const FINDINGS_MAX: usize = 64;
/// Most cards registered at one back-end.
pub const CARDS_MAX: usize = 1_000_000;
/// Most records the back-end indexes for proofs.
pub const SEEN_RECORDS_MAX: usize = 10_000_000;
/// Most findings kept per card.
pub const CARD_FINDINGS_KEPT_MAX: usize = 16;

/// An abnormal-transaction rule.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleCode {
    /// See the table.
    BadSignature,
    /// See the table.
    CounterGap,
    /// See the table.
    ChainBroken,
    /// See the table.
    ReplayedCounter,
    /// See the table.
    Rollback,
    /// See the table.
    ClonedCard,
    /// See the table.
    DoubleSpend,
    /// See the table.
    BalanceMismatch,
    /// See the table.
    OfflineLimitExceeded,
    /// See the table.
    Velocity,
    /// See the table.
    WrongPayee,
}

impl RuleCode {
    /// Every rule, in byte order.
    pub const ALL: &'static [RuleCode] = &[
        RuleCode::BadSignature,
        RuleCode::CounterGap,
        RuleCode::ChainBroken,
        RuleCode::ReplayedCounter,
        RuleCode::Rollback,
        RuleCode::ClonedCard,
        RuleCode::DoubleSpend,
        RuleCode::BalanceMismatch,
        RuleCode::OfflineLimitExceeded,
        RuleCode::Velocity,
        RuleCode::WrongPayee,
    ];
    /// The byte in an instruction.
    pub fn byte(self) -> u8 {
        // ALL lists every variant, so the position is always found.
        RuleCode::ALL.iter().position(|c| *c == self).map_or(0, |i| (i + 1) as u8)
    }
    /// The rule with this byte.
    pub fn from_byte(byte: u8) -> Option<RuleCode> {
        RuleCode::ALL.get(usize::from(byte).checked_sub(1)?).copied()
    }
    /// The stable code.
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleCode::BadSignature => "BAD_SIGNATURE",
            RuleCode::CounterGap => "COUNTER_GAP",
            RuleCode::ChainBroken => "CHAIN_BROKEN",
            RuleCode::ReplayedCounter => "REPLAYED_COUNTER",
            RuleCode::Rollback => "ROLLBACK",
            RuleCode::ClonedCard => "CLONED_CARD",
            RuleCode::DoubleSpend => "DOUBLE_SPEND",
            RuleCode::BalanceMismatch => "BALANCE_MISMATCH",
            RuleCode::OfflineLimitExceeded => "OFFLINE_LIMIT_EXCEEDED",
            RuleCode::Velocity => "VELOCITY",
            RuleCode::WrongPayee => "WRONG_PAYEE",
        }
    }
    /// The action when no rule table says otherwise.
    pub const fn default_action(self) -> Action {
        match self {
            RuleCode::BadSignature | RuleCode::ReplayedCounter | RuleCode::WrongPayee => Action::Reject,
            RuleCode::Velocity => Action::Restrict,
            _ => Action::Block,
        }
    }
}

/// The velocity rule's parameters.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Velocity {
    /// Window length, seconds (≥ 1).
    pub window_s: i64,
    /// Most sends within a window.
    pub count_max: u32,
    /// Largest sum within a window, minor units.
    pub amount_max: u64,
}

/// The rules as data: an action per code (codes not listed take their default) and the velocity
/// parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Overrides of the default actions.
    pub actions: BTreeMap<RuleCode, Action>,
    /// Velocity parameters.
    pub velocity: Velocity,
}

impl Rules {
    /// Default actions with the given velocity.
    pub fn with_velocity(velocity: Velocity) -> Rules {
        Rules { actions: BTreeMap::new(), velocity }
    }
    /// The action for a code.
    pub fn action(&self, code: RuleCode) -> Action {
        self.actions.get(&code).copied().unwrap_or(code.default_action())
    }
}

/// Which offline limit a log broke.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LimitName {
    /// `singleMax`.
    Single,
    /// `cumulativeMax`.
    Cumulative,
    /// `countMax`.
    Count,
    /// `validUntil`.
    ValidUntil,
    /// `counterMax`.
    CounterWindow,
}

/// What a finding rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// The counter of the offending record.
    Counter(u64),
    /// Expected and found counter.
    Gap {
        /// Expected.
        expected: u64,
        /// Found.
        found: u64,
    },
    /// What the card holds against what the back-end has (counter and security version).
    Rollback {
        /// The card's base counter.
        card_base: u64,
        /// The card's security version.
        card_seq: u64,
        /// The back-end's last synced counter.
        synced: u64,
        /// The back-end's last issued security version.
        seq: u64,
    },
    /// Two records of one card at one counter.
    Diverged {
        /// The record the back-end accepted before.
        accepted: Box<Record>,
        /// The record now submitted.
        submitted: Box<Record>,
    },
    /// The double-spend proof.
    DoubleSpend(Box<DoubleSpendProof>),
    /// Expected against reported amounts (available, pending).
    Balance {
        /// Expected available.
        expected_available: u64,
        /// Reported available.
        reported_available: u64,
        /// Expected pending.
        expected_pending: u64,
        /// Reported pending.
        reported_pending: u64,
    },
    /// A limit broken at a counter.
    Limit {
        /// The counter.
        counter: u64,
        /// Which limit.
        limit: LimitName,
    },
    /// A velocity window.
    Window {
        /// Start of the window, Unix seconds.
        start: i64,
        /// Sends in it.
        count: u32,
        /// Their sum, minor units.
        amount: u64,
    },
    /// A record's hash.
    Record(Hash),
    /// A sync request's time against the last one checked.
    Replayed {
        /// The request's time.
        time: i64,
        /// The last checked request's time.
        last_time: i64,
    },
}

/// One abnormal finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub code: RuleCode,
    /// Who it is about: a card id or a merchant id.
    pub subject: String,
    /// The action the rules give it.
    pub action: Action,
    /// What it rests on.
    pub evidence: Evidence,
}

/// The answer to a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// No finding: the log is settled and this security information signed.
    Clean {
        /// The envelope for the card.
        security: Vec<u8>,
        /// Receipts credited, minor units.
        credited: u64,
        /// Sends debited, minor units.
        debited: u64,
    },
    /// The card is restricted or blocked by this signed instruction.
    Abnormal {
        /// The envelope for the card.
        instruction: Vec<u8>,
        /// What was found.
        findings: Vec<Finding>,
    },
    /// Refused: nothing changed.
    Refused {
        /// What was found.
        findings: Vec<Finding>,
    },
}

/// The issuer's settings for new security information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Offline limits (their `validUntil` is replaced by `now + validityS`).
    pub limits: OfflineLimits,
    /// How long security information is valid, seconds (≥ 1).
    pub validity_s: i64,
    /// How many counters the card may use before it must come online.
    pub counter_window: u64,
    /// The rules.
    pub rules: Rules,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) public_key: [u8; 32],
    pub(crate) synced: u64,
    pub(crate) head: Hash,
    pub(crate) balance: u64,
    pub(crate) seq: u64,
    /// The sync point before the last one: (synced counter, security version, balance).
    pub(crate) previous: Option<(u64, u64, u64, Hash)>,
    /// The limits last signed.
    pub(crate) limits: OfflineLimits,
    pub(crate) counter_max: u64,
    pub(crate) status: Action,
    pub(crate) findings: Vec<RuleCode>,
    /// The time of the last sync request checked past its form.
    pub(crate) last_sync_time: Option<i64>,
}

/// The back-end's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub(crate) policy: Policy,
    pub(crate) cards: BTreeMap<String, Account>,
    pub(crate) merchants: BTreeMap<String, u64>,
    /// Records accepted from each card's own log, by (card, counter).
    pub(crate) own: BTreeMap<(String, u64), Record>,
    /// Every send record seen, from any source, by (payer, counter).
    pub(crate) spends: BTreeMap<(String, u64), Record>,
    /// Payment records already credited to their payee, by hash.
    pub(crate) claimed: BTreeSet<Hash>,
    /// Value paid out twice by double spends, minor units (what the limits put at risk).
    pub(crate) absorbed: u64,
}

fn finding(rules: &Rules, code: RuleCode, subject: &str, evidence: Evidence) -> Finding {
    Finding { code, subject: subject.to_owned(), action: rules.action(code), evidence }
}

impl Backend {
    /// Errors: `INVALID_ARGUMENT` about `policy.*`.
    pub fn new(policy: Policy) -> Result<Backend> {
        policy.limits.check()?;
        if policy.validity_s < 1 {
            return Err(Error::new(ErrorCode::InvalidArgument, "policy.validityS", "must be ≥ 1"));
        }
        if policy.rules.velocity.window_s < 1 {
            return Err(Error::new(ErrorCode::InvalidArgument, "policy.rules.velocity.windowS", "must be ≥ 1"));
        }
        if policy.counter_window < 1 || policy.counter_window > OFFLINE_WINDOW_MAX {
            return Err(Error::new(ErrorCode::InvalidArgument, "policy.counterWindow", "must be 1..=16384"));
        }
        Ok(Backend {
            policy,
            cards: BTreeMap::new(),
            merchants: BTreeMap::new(),
            own: BTreeMap::new(),
            spends: BTreeMap::new(),
            claimed: BTreeSet::new(),
            absorbed: 0,
        })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    /// A card's settled balance, minor units.
    pub fn balance(&self, card: &str) -> Option<u64> {
        self.cards.get(card).map(|a| a.balance)
    }
    /// A card's status: `None` while in good standing.
    pub fn status(&self, card: &str) -> Option<Action> {
        self.cards.get(card).and_then(|a| if a.status == Action::Reject { None } else { Some(a.status) })
    }
    /// A merchant's deposited total, minor units.
    pub fn merchant_balance(&self, merchant: &str) -> u64 {
        self.merchants.get(merchant).copied().unwrap_or(0)
    }
    /// Value paid out twice by double spends, minor units.
    pub fn absorbed(&self) -> u64 {
        self.absorbed
    }
    /// Cards flagged block, in id order (at most [`BLOCKLIST_MAX`]).
    pub fn blocklist(&self) -> Vec<String> {
        self.cards.iter().filter(|(_, a)| a.status == Action::Block).map(|(id, _)| id.clone()).take(BLOCKLIST_MAX).collect()
    }
    /// A counter that grows with every change of the back-end's state (the store's rollback
    /// guard): the sum of the cards' security versions and the sizes of the record indexes and
    /// claimed set, each of which only grows, and at least one of which every change moves.
    pub fn revision(&self) -> u64 {
        let seqs = self.cards.values().fold(0u64, |sum, a| sum.saturating_add(a.seq));
        seqs.saturating_add((self.own.len() + self.spends.len() + self.claimed.len()) as u64)
    }

    /// Sum of all settled card balances and merchant deposits, minor units.
    pub fn total(&self) -> u128 {
        self.cards.values().map(|a| u128::from(a.balance)).sum::<u128>() + self.merchants.values().map(|&b| u128::from(b)).sum::<u128>()
    }

    /// Registers a card with an opening balance and signs its provisioning security information.
    ///
    /// Errors: `INVALID_ARGUMENT` about `card` (malformed or already registered), `cardKey` (not
    /// a valid Ed25519 key) or `balance`; `LIMIT_EXCEEDED` about `card` past [`CARDS_MAX`];
    /// `KEY_INVALID` / `INVALID_ARGUMENT` about the signer.
    pub fn register(&mut self, signer: &Signer<'_>, card: &str, card_key: [u8; 32], balance: u64, now: i64) -> Result<Vec<u8>> {
        check_id("card", card)?;
        signer.check()?;
        if balance > AMOUNT_MINOR_MAX {
            return Err(Error::new(ErrorCode::InvalidArgument, "balance", "above AMOUNT_MINOR_MAX"));
        }
        if ed25519::parse_public_key(&card_key).is_none() {
            return Err(Error::new(ErrorCode::InvalidArgument, "cardKey", "not a valid Ed25519 public key"));
        }
        if self.cards.contains_key(card) {
            return Err(Error::new(ErrorCode::InvalidArgument, "card", "already registered"));
        }
        if self.cards.len() >= CARDS_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "card", "CARDS_MAX cards registered"));
        }
        let mut account = Account {
            public_key: card_key,
            synced: 0,
            head: genesis_hash(card),
            balance,
            seq: 0,
            previous: None,
            limits: self.policy.limits,
            counter_max: 0,
            status: Action::Reject,
            findings: Vec::new(),
            last_sync_time: None,
        };
        let envelope = self.security_for(signer, card, &mut account, None, now)?;
        self.cards.insert(card.to_owned(), account);
        Ok(envelope)
    }

    /// Signs the next security information for `account` (its version, limits and window move on).
    fn security_for(&self, signer: &Signer<'_>, card: &str, account: &mut Account, key_roll: Option<KeyRoll>, now: i64) -> Result<Vec<u8>> {
        let mut limits = self.policy.limits;
        limits.valid_until = now.saturating_add(self.policy.validity_s);
        let security = Security {
            card: card.to_owned(),
            card_key: account.public_key,
            synced_counter: account.synced,
            balance: account.balance,
            counter_max: account.synced.saturating_add(self.policy.counter_window),
            limits,
            key_roll,
            blocklist: self.blocklist(),
        };
        let envelope = envelope::seal(&SealParams {
            alg: signer.alg,
            secret_key: signer.secret_key,
            key_id: signer.key_id,
            msg_type: SECURITY_TYPE,
            version: SCHEMA_VERSION,
            seq: account.seq + 1,
            issued_at: now,
            expires_at: limits.valid_until,
            payload: &security.encode(),
        })?;
        account.seq += 1;
        account.limits = limits;
        account.counter_max = security.counter_max;
        Ok(envelope)
    }

    fn instruction_for(&self, signer: &Signer<'_>, card: &str, account: &mut Account, now: i64) -> Result<Vec<u8>> {
        let instruction = Instruction { card: card.to_owned(), action: account.status, codes: account.findings.clone() };
        let envelope = envelope::seal(&SealParams {
            alg: signer.alg,
            secret_key: signer.secret_key,
            key_id: signer.key_id,
            msg_type: INSTRUCTION_TYPE,
            version: SCHEMA_VERSION,
            seq: account.seq + 1,
            issued_at: now,
            expires_at: now.saturating_add(self.policy.validity_s),
            payload: &instruction.encode(),
        })?;
        account.seq += 1;
        Ok(envelope)
    }

    fn flag(&mut self, card: &str, code: RuleCode, action: Action) {
        if let Some(account) = self.cards.get_mut(card) {
            account.status = account.status.max(action);
            if account.findings.len() < CARD_FINDINGS_KEPT_MAX && !account.findings.contains(&code) {
                account.findings.push(code);
            }
        }
    }

    /// Indexes a send record; a different record at its (payer, counter) is a double spend.
    fn index_spend(&mut self, record: &Record) -> Result<Option<DoubleSpendProof>> {
        let key = (record.card.clone(), record.counter);
        match self.spends.get(&key) {
            Some(existing) if existing != record => {
                Ok(Some(DoubleSpendProof { first: existing.clone(), second: record.clone() }))
            }
            Some(_) => Ok(None),
            None => {
                if self.spends.len() + self.own.len() >= SEEN_RECORDS_MAX {
                    return Err(Error::new(ErrorCode::LimitExceeded, "records", "SEEN_RECORDS_MAX records indexed"));
                }
                self.spends.insert(key, record.clone());
                Ok(None)
            }
        }
    }

    /// Checks a card's log and answers with security information, an instruction or a refusal
    /// (check order in the module docs). `key_roll` announces a new issuer key in the security
    /// information, if the check is clean.
    ///
    /// Errors: `INVALID_ARGUMENT` about `request.card` (not registered); `LIMIT_EXCEEDED` about
    /// `request` (too many entries) or `records` (the index is full); signer errors.
    pub fn sync(&mut self, signer: &Signer<'_>, request: &SyncRequest, key_roll: Option<KeyRoll>, now: i64) -> Result<SyncOutcome> {
        signer.check()?;
        if request.entries.len() > SYNC_RECORDS_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "request", "more entries than SYNC_RECORDS_MAX"));
        }
        let card = request.card.as_str();
        let mut account = self
            .cards
            .get(card)
            .cloned()
            .ok_or_else(|| Error::new(ErrorCode::InvalidArgument, "request.card", "not registered"))?;
        if account.status == Action::Block {
            let instruction = self.instruction_for(signer, card, &mut account, now)?;
            self.cards.insert(card.to_owned(), account);
            return Ok(SyncOutcome::Abnormal { instruction, findings: Vec::new() });
        }
        let rules = self.policy.rules.clone();
        if let Some(f) = self.check_form(&rules, &account, request)? {
            return self.refused_or_flagged(SyncOutcome::Refused { findings: vec![f] }, signer, card, now);
        }
        account.last_sync_time = Some(request.time);
        let mut findings = self.check_content(&rules, &account, request)?;
        findings.truncate(FINDINGS_MAX);
        let own_action = findings.iter().filter(|f| f.subject == card).map(|f| f.action).max();
        if own_action == Some(Action::Reject) {
            return Ok(SyncOutcome::Refused { findings });
        }
        // Findings about other cards (payers' double spends) flag them whatever this card's
        // outcome; the proofs' records are indexed for later checks.
        for f in &findings {
            if f.subject != card {
                self.flag(&f.subject.clone(), f.code, f.action);
            }
        }
        for entry in &request.entries {
            if entry.record.kind == RecordKind::Send {
                let _ = self.index_spend(&entry.record)?;
            }
            if let Some(p) = &entry.payment {
                let _ = self.index_spend(p)?;
            }
        }
        if let Some(action) = own_action {
            for f in findings.iter().filter(|f| f.subject == card) {
                if f.code == RuleCode::DoubleSpend {
                    if let Evidence::DoubleSpend(proof) = &f.evidence {
                        self.absorbed = self.absorbed.saturating_add(proof.second.amount);
                    }
                }
                account.status = account.status.max(action);
                if account.findings.len() < CARD_FINDINGS_KEPT_MAX && !account.findings.contains(&f.code) {
                    account.findings.push(f.code);
                }
            }
            account.status = action.max(account.status);
            let instruction = self.instruction_for(signer, card, &mut account, now)?;
            self.cards.insert(card.to_owned(), account);
            return Ok(SyncOutcome::Abnormal { instruction, findings });
        }
        // Clean: settle the new records.
        let (mut credited, mut debited) = (0u64, 0u64);
        let mut new_head = account.head;
        let mut new_synced = account.synced;
        for entry in request.entries.iter().filter(|e| e.record.counter > account.synced) {
            let r = &entry.record;
            match r.kind {
                RecordKind::Send => debited = debited.saturating_add(r.amount),
                RecordKind::Receive => {
                    if let Some(p) = &entry.payment {
                        if self.claimed.insert(p.hash()) {
                            credited = credited.saturating_add(r.amount);
                        }
                    }
                }
            }
            new_head = r.hash();
            new_synced = r.counter;
            self.own.insert((card.to_owned(), r.counter), r.clone());
        }
        account.previous = Some((account.synced, account.seq, account.balance, account.head));
        account.balance = account.balance.saturating_sub(debited).saturating_add(credited).min(AMOUNT_MINOR_MAX);
        account.synced = new_synced;
        account.head = new_head;
        account.status = Action::Reject;
        let security = self.security_for(signer, card, &mut account, key_roll, now)?;
        self.cards.insert(card.to_owned(), account);
        Ok(SyncOutcome::Clean { security, credited, debited })
    }

    fn refused_or_flagged(&mut self, outcome: SyncOutcome, signer: &Signer<'_>, card: &str, now: i64) -> Result<SyncOutcome> {
        // A form finding whose action is restrict or block flags the card and answers with an
        // instruction; a reject leaves everything as it was.
        let SyncOutcome::Refused { findings } = outcome else { return Ok(outcome) };
        let action = findings.iter().map(|f| f.action).max().unwrap_or(Action::Reject);
        if action == Action::Reject {
            return Ok(SyncOutcome::Refused { findings });
        }
        for f in &findings {
            self.flag(card, f.code, f.action);
        }
        let mut account = self.cards.get(card).cloned().ok_or_else(|| Error::new(ErrorCode::Internal, "", "account vanished"))?;
        let instruction = self.instruction_for(signer, card, &mut account, now)?;
        self.cards.insert(card.to_owned(), account);
        Ok(SyncOutcome::Abnormal { instruction, findings })
    }

    /// The hash of the accepted record at `counter` (the genesis hash at 0).
    fn accepted_hash(&self, card: &str, account: &Account, counter: u64) -> Option<Hash> {
        if counter == 0 {
            return Some(genesis_hash(card));
        }
        if counter == account.synced {
            return Some(account.head);
        }
        self.own.get(&(card.to_owned(), counter)).map(Record::hash)
    }

    fn check_form(&self, rules: &Rules, account: &Account, request: &SyncRequest) -> Result<Option<Finding>> {
        let card = request.card.as_str();
        // The request itself: signed by the card, and newer than the last one checked (a relay
        // replaying an old request gets nothing, and the card is not flagged for it).
        if !ed25519::verify(&account.public_key, &request.signed_bytes(), &request.signature) {
            return Ok(Some(finding(rules, RuleCode::BadSignature, card, Evidence::Counter(request.counter))));
        }
        if let Some(last) = account.last_sync_time {
            if request.time <= last {
                return Ok(Some(finding(rules, RuleCode::ReplayedCounter, card, Evidence::Replayed { time: request.time, last_time: last })));
            }
        }
        // The records' signatures, all at once.
        let mut payer_keys: Vec<Option<[u8; 32]>> = Vec::with_capacity(request.entries.len());
        for e in &request.entries {
            payer_keys.push(match &e.payment {
                Some(p) => self.cards.get(&p.card).map(|a| a.public_key),
                None => None,
            });
        }
        let bodies: Vec<(Vec<u8>, Option<Vec<u8>>)> =
            request.entries.iter().map(|e| (e.record.body(), e.payment.as_ref().map(Record::body))).collect();
        let mut items: Vec<(&[u8], &[u8], &[u8])> = Vec::with_capacity(request.entries.len() * 2);
        let mut owners: Vec<u64> = Vec::with_capacity(request.entries.len() * 2);
        for ((e, (body, pbody)), pkey) in request.entries.iter().zip(&bodies).zip(&payer_keys) {
            items.push((&account.public_key, body, &e.record.signature));
            owners.push(e.record.counter);
            if let (Some(p), Some(pbody)) = (&e.payment, pbody) {
                let Some(pkey) = pkey else {
                    return Ok(Some(finding(rules, RuleCode::BadSignature, card, Evidence::Counter(e.record.counter))));
                };
                items.push((pkey, pbody, &p.signature));
                owners.push(e.record.counter);
                if p.kind != RecordKind::Send || p.party != card || p.hash() != e.record.payment || p.amount != e.record.amount || p.card != e.record.party {
                    return Ok(Some(finding(rules, RuleCode::BadSignature, card, Evidence::Counter(e.record.counter))));
                }
            } else if e.record.kind == RecordKind::Receive {
                return Ok(Some(finding(rules, RuleCode::BadSignature, card, Evidence::Counter(e.record.counter))));
            }
        }
        for (chunk, chunk_owners) in items.chunks(ed25519::BATCH_SIGNATURES_MAX).zip(owners.chunks(ed25519::BATCH_SIGNATURES_MAX)) {
            let results = ed25519::verify_batch(chunk)?;
            if let Some(i) = results.iter().position(|ok| !ok) {
                let counter = chunk_owners.get(i).copied().unwrap_or(0);
                return Ok(Some(finding(rules, RuleCode::BadSignature, card, Evidence::Counter(counter))));
            }
        }
        // Counters.
        if request.base_counter > account.synced {
            return Ok(Some(finding(rules, RuleCode::CounterGap, card, Evidence::Gap { expected: account.synced, found: request.base_counter })));
        }
        let mut expected = request.base_counter;
        for e in &request.entries {
            expected += 1;
            if e.record.counter != expected {
                return Ok(Some(finding(rules, RuleCode::CounterGap, card, Evidence::Gap { expected, found: e.record.counter })));
            }
        }
        if request.counter != expected {
            return Ok(Some(finding(rules, RuleCode::CounterGap, card, Evidence::Gap { expected, found: request.counter })));
        }
        // Chain.
        let mut prev = self.accepted_hash(card, account, request.base_counter);
        for e in &request.entries {
            if prev != Some(e.record.prev) {
                return Ok(Some(finding(rules, RuleCode::ChainBroken, card, Evidence::Counter(e.record.counter))));
            }
            prev = Some(e.record.hash());
        }
        Ok(None)
    }

    fn check_content(&self, rules: &Rules, account: &Account, request: &SyncRequest) -> Result<Vec<Finding>> {
        let card = request.card.as_str();
        let mut findings = Vec::new();
        let (prev_synced, prev_seq, prev_balance) = account.previous.map_or((0, 0, 0), |p| (p.0, p.1, p.2));
        let resumed = request.base_counter < account.synced;
        if resumed && (request.base_counter < prev_synced || request.security_seq < prev_seq) {
            findings.push(finding(rules, RuleCode::Rollback, card, Evidence::Rollback {
                card_base: request.base_counter,
                card_seq: request.security_seq,
                synced: account.synced,
                seq: account.seq,
            }));
        }
        let mut diverged = false;
        for e in request.entries.iter().filter(|e| e.record.counter <= account.synced) {
            if let Some(accepted) = self.own.get(&(card.to_owned(), e.record.counter)) {
                if *accepted != e.record {
                    diverged = true;
                    findings.push(finding(rules, RuleCode::ClonedCard, card, Evidence::Diverged {
                        accepted: Box::new(accepted.clone()),
                        submitted: Box::new(e.record.clone()),
                    }));
                    break;
                }
            }
        }
        for e in &request.entries {
            let candidates = [(e.record.kind == RecordKind::Send).then_some(&e.record), e.payment.as_ref()];
            for r in candidates.into_iter().flatten() {
                if let Some(existing) = self.spends.get(&(r.card.clone(), r.counter)) {
                    if existing != r && findings.len() < FINDINGS_MAX {
                        findings.push(finding(rules, RuleCode::DoubleSpend, &r.card, Evidence::DoubleSpend(Box::new(DoubleSpendProof { first: existing.clone(), second: r.clone() }))));
                    }
                }
            }
        }
        let new: Vec<&LogEntry> = request.entries.iter().filter(|e| e.record.counter > account.synced).collect();
        let sends: Vec<&Record> = new.iter().map(|e| &e.record).filter(|r| r.kind == RecordKind::Send).collect();
        let findings_so_far_block = findings.iter().any(|f| f.subject == card && matches!(f.code, RuleCode::Rollback | RuleCode::ClonedCard));
        if !findings_so_far_block && !diverged {
            // A card answered again after a lost answer holds the previous sync's balance.
            let base_balance = if request.base_counter < account.synced { prev_balance } else { account.balance };
            let in_log: Vec<&LogEntry> = request.entries.iter().collect();
            let debits: u64 = in_log.iter().filter(|e| e.record.kind == RecordKind::Send).map(|e| e.record.amount).sum();
            let pending: u64 = in_log.iter().filter(|e| e.record.kind == RecordKind::Receive).map(|e| e.record.amount).sum();
            let expected_available = base_balance.saturating_sub(debits);
            if expected_available != request.available || pending != request.pending {
                findings.push(finding(rules, RuleCode::BalanceMismatch, card, Evidence::Balance {
                    expected_available,
                    reported_available: request.available,
                    expected_pending: pending,
                    reported_pending: request.pending,
                }));
            }
        }
        let limits = account.limits;
        let (mut count, mut sum) = (0u32, 0u64);
        for r in &sends {
            count = count.saturating_add(1);
            sum = sum.saturating_add(r.amount);
            let broken = if r.amount > limits.single_max {
                Some(LimitName::Single)
            } else if sum > limits.cumulative_max {
                Some(LimitName::Cumulative)
            } else if count > limits.count_max {
                Some(LimitName::Count)
            } else if r.time >= limits.valid_until {
                Some(LimitName::ValidUntil)
            } else if r.counter > account.counter_max {
                Some(LimitName::CounterWindow)
            } else {
                None
            };
            if let Some(limit) = broken {
                findings.push(finding(rules, RuleCode::OfflineLimitExceeded, card, Evidence::Limit { counter: r.counter, limit }));
                break;
            }
        }
        if let Some(f) = velocity(rules, card, &sends) {
            findings.push(f);
        }
        Ok(findings)
    }

    /// A merchant deposits the payments it holds. Each is credited to the merchant unless it is
    /// refused (`BAD_SIGNATURE`, `WRONG_PAYEE`, `REPLAYED_COUNTER`); a double spend is credited
    /// (the merchant was honest; the issuer absorbs it) and flags the payer.
    ///
    /// Errors: `INVALID_ARGUMENT` about `merchant`; `LIMIT_EXCEEDED` about `records`.
    pub fn deposit(&mut self, merchant: &str, records: &[Record]) -> Result<(u64, Vec<Finding>)> {
        check_id("merchant", merchant)?;
        if records.len() > SYNC_RECORDS_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "records", "more than SYNC_RECORDS_MAX"));
        }
        let rules = self.policy.rules.clone();
        let mut credited = 0u64;
        let mut findings = Vec::new();
        for r in records {
            let hash = r.hash();
            let key_ok = self.cards.get(&r.card).is_some_and(|a| r.verify(&a.public_key));
            let f = if !key_ok || r.kind != RecordKind::Send {
                Some(finding(&rules, RuleCode::BadSignature, merchant, Evidence::Record(hash)))
            } else if r.party != merchant {
                Some(finding(&rules, RuleCode::WrongPayee, merchant, Evidence::Record(hash)))
            } else if self.claimed.contains(&hash) {
                Some(finding(&rules, RuleCode::ReplayedCounter, merchant, Evidence::Record(hash)))
            } else {
                None
            };
            if let Some(f) = f {
                if findings.len() < FINDINGS_MAX {
                    findings.push(f);
                }
                continue;
            }
            if let Some(proof) = self.index_spend(r)? {
                let f = finding(&rules, RuleCode::DoubleSpend, &r.card, Evidence::DoubleSpend(Box::new(proof)));
                self.flag(&r.card, f.code, f.action);
                self.absorbed = self.absorbed.saturating_add(r.amount);
                if findings.len() < FINDINGS_MAX {
                    findings.push(f);
                }
            }
            self.claimed.insert(hash);
            credited = credited.saturating_add(r.amount);
        }
        let balance = self.merchants.entry(merchant.to_owned()).or_insert(0);
        *balance = balance.saturating_add(credited);
        Ok((credited, findings))
    }
}

/// Most counters one security information lets a card use offline.
pub const OFFLINE_WINDOW_MAX: u64 = crate::ecash::OFFLINE_RECORDS_MAX as u64;

/// The first velocity window that is over its limits, sliding over the sends in time order.
fn velocity(rules: &Rules, card: &str, sends: &[&Record]) -> Option<Finding> {
    let v = rules.velocity;
    let mut by_time: Vec<&Record> = sends.to_vec();
    by_time.sort_by_key(|r| r.time);
    let mut start = 0usize;
    let mut sum = 0u64;
    for (end, r) in by_time.iter().enumerate() {
        sum = sum.saturating_add(r.amount);
        while let Some(first) = by_time.get(start) {
            if r.time.saturating_sub(first.time) >= v.window_s {
                sum = sum.saturating_sub(first.amount);
                start += 1;
            } else {
                break;
            }
        }
        let count = u32::try_from(end + 1 - start).unwrap_or(u32::MAX);
        if count > v.count_max || sum > v.amount_max {
            let start_time = by_time.get(start).map_or(r.time, |f| f.time);
            return Some(finding(rules, RuleCode::Velocity, card, Evidence::Window { start: start_time, count, amount: sum }));
        }
    }
    None
}
