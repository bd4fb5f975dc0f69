//! The card and the merchant: offline payments, the journal, accepting security information.
//!
//! # A payment, step by step (crash atomicity)
//!
//! | step | who | what is written | after a crash here |
//! |---|---|---|---|
//! | 1 `pay` | payer | the signed send record into the journal (`reserved`); the amount leaves `available` | [`Card::reserved_payment`] gives the same bytes again: deliver them (the payee's `receive` is idempotent) |
//! | 2 `receive` | payee | a signed receive record into its log; the amount becomes `pending` | nothing to do: the ack is the payment's hash, which the payer can compute itself |
//! | 3 `confirm` | payer | the journal's record moves to the log | — |
//!
//! Value is never created or lost: at every step, `available + reserved` of the payer plus
//! `pending + available` of the payee plus the value of signed records nobody received yet (it
//! is claimable: the back-end settles it when the payer's log arrives) is constant. A record the
//! card signed is never taken back: a reservation that was never confirmed goes to the back-end
//! in the next [`SyncRequest`] as a send like any other.
//!
//! # Refusals of an offline payment, in check order
//!
//! Payer ([`Card::pay`]): `CARD_BLOCKED`, `SEND_IN_PROGRESS`, `SECURITY_EXPIRED` (now ≥
//! `validUntil`), `OVER_SINGLE_LIMIT`, `OVER_COUNT_LIMIT`, `OVER_CUMULATIVE_LIMIT`,
//! `COUNTER_WINDOW` (the next counter is above `counterMax`), `LOG_FULL`, `INSUFFICIENT_FUNDS`.
//!
//! Payee ([`Card::receive`], [`Merchant::receive`]): `PAYER_SECURITY_INVALID` (the payer's
//! security information does not open under the payee's issuer keys, is of another card, or has
//! expired), `PAYER_BLOCKED` (in the payee's blocklist), `BAD_SIGNATURE`, `WRONG_PAYEE` (not a
//! send to this payee), `OVER_PAYER_LIMIT` (amount above the payer's single limit, counter above
//! its window, time at or after its validity), `DOUBLE_SPEND` (this payee already holds a
//! different record of the same payer and counter); then for a card: `CARD_BLOCKED`,
//! `COUNTER_WINDOW`, `LOG_FULL`. A payment received before is accepted again with the same ack.

use serde::{Deserialize, Serialize};

use crate::crypto::ed25519;
use crate::ecash::record::*;
use crate::envelope::{self, Alg, OpenParams, Rejection, TrustedKey};
use crate::error::{Error, ErrorCode, Result};

/// Most records in a card's offline log before it must come online.
pub const OFFLINE_RECORDS_MAX: usize = 16_384;
/// Most payments a merchant holds before it must deposit.
pub const MERCHANT_RECORDS_MAX: usize = 65_536;

/// Why an offline payment was refused (an outcome, not an error).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Refusal {
    /// The card accepted a block instruction.
    CardBlocked,
    /// A payment is reserved and not yet confirmed.
    SendInProgress,
    /// `now` is at or after the security information's `validUntil`.
    SecurityExpired,
    /// Above the single-payment limit.
    OverSingleLimit,
    /// As many offline payments as `countMax` already.
    OverCountLimit,
    /// The sum of offline payments would pass `cumulativeMax`.
    OverCumulativeLimit,
    /// The next counter is above the counter window.
    CounterWindow,
    /// The offline log is full.
    LogFull,
    /// Not enough available balance.
    InsufficientFunds,
    /// The payer's security information is invalid, of another card, or expired.
    PayerSecurityInvalid,
    /// The payer is on the payee's blocklist.
    PayerBlocked,
    /// The payer's signature does not verify.
    BadSignature,
    /// Not a send record to this payee.
    WrongPayee,
    /// Above the payer's limits.
    OverPayerLimit,
    /// A different record of the same payer and counter was received before.
    DoubleSpend,
}

impl Refusal {
    /// The stable code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::CardBlocked => "CARD_BLOCKED",
            Refusal::SendInProgress => "SEND_IN_PROGRESS",
            Refusal::SecurityExpired => "SECURITY_EXPIRED",
            Refusal::OverSingleLimit => "OVER_SINGLE_LIMIT",
            Refusal::OverCountLimit => "OVER_COUNT_LIMIT",
            Refusal::OverCumulativeLimit => "OVER_CUMULATIVE_LIMIT",
            Refusal::CounterWindow => "COUNTER_WINDOW",
            Refusal::LogFull => "LOG_FULL",
            Refusal::InsufficientFunds => "INSUFFICIENT_FUNDS",
            Refusal::PayerSecurityInvalid => "PAYER_SECURITY_INVALID",
            Refusal::PayerBlocked => "PAYER_BLOCKED",
            Refusal::BadSignature => "BAD_SIGNATURE",
            Refusal::WrongPayee => "WRONG_PAYEE",
            Refusal::OverPayerLimit => "OVER_PAYER_LIMIT",
            Refusal::DoubleSpend => "DOUBLE_SPEND",
        }
    }
}

/// What a payer hands to the payee: its signed send record and its security information (which
/// vouches for the payer's key and limits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The payer's signed send record.
    pub record: Record,
    /// The payer's current security information envelope.
    pub security: Vec<u8>,
}

impl Payment {
    /// Wire form: `u32 length ‖ security envelope ‖ record`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.security.len() + 256);
        out.extend_from_slice(&u32::try_from(self.security.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&self.security);
        out.extend_from_slice(&self.record.encode());
        out
    }

    /// Errors: `INVALID_ARGUMENT` about `payment`.
    pub fn decode(bytes: &[u8]) -> Result<Payment> {
        let mut r = Reader::new(bytes, "payment");
        let n = usize::try_from(r.u32()?).map_err(|_| malformed("payment", "length"))?;
        if n > envelope::ENVELOPE_BYTES_MAX {
            return Err(malformed("payment", "security envelope too long"));
        }
        let security = r.take(n)?.to_vec();
        let record = Record::read(&mut r)?;
        if !r.is_empty() {
            return Err(malformed("payment", "trailing bytes"));
        }
        Ok(Payment { record, security })
    }
}

/// An entry of a card's offline log: its own signed record and, for a receive, the payer's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The card's signed record.
    pub record: Record,
    /// Receive: the payer's signed send record.
    pub payment: Option<Record>,
}

/// The issuer key a card or merchant trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerKey {
    /// The envelope `kid`.
    pub key_id: String,
    /// Ed25519 public key.
    pub public_key: [u8; 32],
}

/// What [`Card::accept`] did with an envelope from the back-end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// New security information is in force.
    Security,
    /// The card is restricted (offline limits zero) until the next clean check.
    Restricted,
    /// The card is blocked for good.
    Blocked,
    /// Refused by the envelope checks.
    Rejected(Rejection),
    /// An authentic envelope that does not fit this card: `WRONG_CARD` or `COUNTER_BEHIND`.
    Unfit(&'static str),
}

/// Opens security information with the given issuer keys; `None` if it does not verify or parse.
fn open_security(keys: &[IssuerKey], bytes: &[u8], now: i64, last_seq: Option<u64>, typ: &str) -> core::result::Result<(envelope::Opened, Vec<u8>), Rejection> {
    let trusted: Vec<TrustedKey<'_>> = keys
        .iter()
        .map(|k| TrustedKey { key_id: &k.key_id, alg: Alg::EdDSA, public_key: &k.public_key })
        .collect();
    let opened = envelope::open(
        bytes,
        &OpenParams { trusted_keys: &trusted, now, expected_type: typ, last_seq, max_clock_skew_s: 0 },
    )?;
    let payload = opened.payload.clone();
    Ok((opened, payload))
}

/// The payee-side checks shared by cards and merchants (first five refusals of the table).
fn check_payment(
    issuer: &[IssuerKey],
    blocklist: &[String],
    payee: &str,
    payment: &Payment,
    now: i64,
) -> core::result::Result<Security, Refusal> {
    let (_, payload) = open_security(issuer, &payment.security, now, None, SECURITY_TYPE)
        .map_err(|_| Refusal::PayerSecurityInvalid)?;
    let payer = Security::decode(&payload).map_err(|_| Refusal::PayerSecurityInvalid)?;
    let record = &payment.record;
    if payer.card != record.card {
        return Err(Refusal::PayerSecurityInvalid);
    }
    if blocklist.contains(&record.card) {
        return Err(Refusal::PayerBlocked);
    }
    if !record.verify(&payer.card_key) {
        return Err(Refusal::BadSignature);
    }
    if record.kind != RecordKind::Send || record.party != payee {
        return Err(Refusal::WrongPayee);
    }
    if record.amount > payer.limits.single_max
        || record.counter > payer.counter_max
        || record.time >= payer.limits.valid_until
    {
        return Err(Refusal::OverPayerLimit);
    }
    Ok(payer)
}

/// A smart card holding offline cash. Cloning it is taking a snapshot (the crash tests and the
/// simulator's rollback attacker do exactly that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    id: String,
    secret_key: Vec<u8>,
    public_key: [u8; 32],
    issuer: IssuerKey,
    /// The last accepted security information: decoded, and the envelope to show payees.
    security: Security,
    security_envelope: Vec<u8>,
    security_seq: u64,
    counter: u64,
    head: Hash,
    available: u64,
    pending: u64,
    /// The journal: a signed send not yet confirmed.
    reserved: Option<Record>,
    log: Vec<LogEntry>,
    /// Offline sends since the synced counter (count and sum), for the limits.
    sends: u32,
    spent: u64,
    blocked: bool,
    restricted: bool,
}

impl Card {
    /// A new card with its provisioning security information (synced counter 0).
    ///
    /// Errors: `INVALID_ARGUMENT` about `id`, `issuerKeyId` or `security` (does not open, or is
    /// for another card or key, or its synced counter is not 0); `KEY_INVALID` about `secretKey`.
    pub fn new(id: &str, secret_key: &[u8], issuer: IssuerKey, security: &[u8], now: i64) -> Result<Card> {
        check_id("id", id)?;
        let public_key = ed25519::public_key(secret_key)?;
        if issuer.key_id.is_empty() || issuer.key_id.len() > envelope::KEY_ID_BYTES_MAX {
            return Err(Error::new(ErrorCode::InvalidArgument, "issuerKeyId", "must be 1..=64 bytes"));
        }
        let mut card = Card {
            id: id.to_owned(),
            secret_key: secret_key.to_vec(),
            public_key,
            issuer,
            security: Security {
                card: id.to_owned(),
                card_key: public_key,
                synced_counter: 0,
                balance: 0,
                counter_max: 0,
                limits: OfflineLimits::NONE,
                key_roll: None,
                blocklist: Vec::new(),
            },
            security_envelope: Vec::new(),
            security_seq: 0,
            counter: 0,
            head: genesis_hash(id),
            available: 0,
            pending: 0,
            reserved: None,
            log: Vec::new(),
            sends: 0,
            spent: 0,
            blocked: false,
            restricted: false,
        };
        match card.accept(security, now) {
            Accepted::Security => Ok(card),
            other => Err(Error::new(
                ErrorCode::InvalidArgument,
                "security",
                format!("the provisioning security information was not accepted: {other:?}"),
            )),
        }
    }

    /// The card's id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The card's public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }
    /// Spendable balance, minor units.
    pub fn available(&self) -> u64 {
        self.available
    }
    /// Received and not yet settled, minor units.
    pub fn pending(&self) -> u64 {
        self.pending
    }
    /// Reserved by an unconfirmed send, minor units.
    pub fn reserved(&self) -> u64 {
        self.reserved.as_ref().map_or(0, |r| r.amount)
    }
    /// The transaction counter.
    pub fn counter(&self) -> u64 {
        self.counter
    }
    /// The security version last accepted.
    pub fn security_seq(&self) -> u64 {
        self.security_seq
    }
    /// The security information in force.
    pub fn security(&self) -> &Security {
        &self.security
    }
    /// Whether a block instruction was accepted.
    pub fn is_blocked(&self) -> bool {
        self.blocked
    }
    /// Whether a restrict instruction is in force.
    pub fn is_restricted(&self) -> bool {
        self.restricted
    }
    /// The offline log since the synced counter.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    /// Step 1 of a payment: checks the limits, signs the send record and reserves its amount in
    /// the journal. Deliver the returned payment, then [`Card::confirm`].
    ///
    /// Errors: `INVALID_ARGUMENT` about `payee` (malformed or the card itself) or `amount`.
    pub fn pay(&mut self, payee: &str, amount: u64, now: i64) -> Result<core::result::Result<Payment, Refusal>> {
        check_id("payee", payee)?;
        check_amount("amount", amount)?;
        if payee == self.id {
            return Err(Error::new(ErrorCode::InvalidArgument, "payee", "a card cannot pay itself"));
        }
        let limits = self.security.limits;
        let refusal = if self.blocked {
            Some(Refusal::CardBlocked)
        } else if self.reserved.is_some() {
            Some(Refusal::SendInProgress)
        } else if now >= limits.valid_until {
            Some(Refusal::SecurityExpired)
        } else if amount > limits.single_max {
            Some(Refusal::OverSingleLimit)
        } else if self.sends >= limits.count_max {
            Some(Refusal::OverCountLimit)
        } else if self.spent.saturating_add(amount) > limits.cumulative_max {
            Some(Refusal::OverCumulativeLimit)
        } else if self.counter >= self.security.counter_max {
            Some(Refusal::CounterWindow)
        } else if self.log.len() >= OFFLINE_RECORDS_MAX {
            Some(Refusal::LogFull)
        } else if amount > self.available {
            Some(Refusal::InsufficientFunds)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return Ok(Err(refusal));
        }
        // Decide on a scratch record first: signing can fail only on the key, checked at `new`,
        // and nothing of the card has changed until it succeeded.
        let record = Record::sign(
            &self.secret_key,
            RecordKind::Send,
            &self.id,
            self.counter + 1,
            amount,
            payee,
            now,
            self.head,
            [0; 32],
        )?;
        self.counter += 1;
        self.head = record.hash();
        self.available -= amount;
        self.sends += 1;
        self.spent += amount;
        self.reserved = Some(record.clone());
        Ok(Ok(Payment { record, security: self.security_envelope.clone() }))
    }

    /// The reserved payment, to deliver again after a crash (same bytes).
    pub fn reserved_payment(&self) -> Option<Payment> {
        self.reserved.as_ref().map(|record| Payment { record: record.clone(), security: self.security_envelope.clone() })
    }

    /// Step 3: moves the reserved record to the log once the payee has it (`ack` is the record's
    /// hash). Returns whether a reservation with this hash was confirmed.
    pub fn confirm(&mut self, ack: &Hash) -> bool {
        match self.reserved.take() {
            Some(record) if record.hash() == *ack => {
                self.log.push(LogEntry { record, payment: None });
                true
            }
            other => {
                self.reserved = other;
                false
            }
        }
    }

    /// Receives a payment from another card: it is pending until the back-end settles it. The
    /// answer is the ack (the payment record's hash) for the payer's [`Card::confirm`].
    ///
    /// Errors: `INTERNAL` only if signing fails (the key was checked at `new`).
    pub fn receive(&mut self, payment: &Payment, now: i64) -> Result<core::result::Result<Hash, Refusal>> {
        let ack = payment.record.hash();
        if self.log.iter().any(|e| e.payment.as_ref().is_some_and(|p| p.hash() == ack)) {
            return Ok(Ok(ack));
        }
        if let Err(refusal) = check_payment(core::slice::from_ref(&self.issuer), &self.security.blocklist, &self.id, payment, now) {
            return Ok(Err(refusal));
        }
        let seen_conflict = self.log.iter().any(|e| {
            e.payment.as_ref().is_some_and(|p| p.card == payment.record.card && p.counter == payment.record.counter)
        });
        let refusal = if seen_conflict {
            Some(Refusal::DoubleSpend)
        } else if self.blocked {
            Some(Refusal::CardBlocked)
        } else if self.counter >= self.security.counter_max {
            Some(Refusal::CounterWindow)
        } else if self.log.len() >= OFFLINE_RECORDS_MAX {
            Some(Refusal::LogFull)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return Ok(Err(refusal));
        }
        let record = Record::sign(
            &self.secret_key,
            RecordKind::Receive,
            &self.id,
            self.counter + 1,
            payment.record.amount,
            &payment.record.card,
            now,
            self.head,
            ack,
        )?;
        self.counter += 1;
        self.head = record.hash();
        self.pending = self.pending.saturating_add(payment.record.amount);
        self.log.push(LogEntry { record, payment: Some(payment.record.clone()) });
        Ok(Ok(ack))
    }

    /// What the card sends the back-end when it comes online: its state and its offline log
    /// (an unconfirmed reservation included, as a send), signed by the card with `now` so that
    /// a relayed copy of an old request is recognised (`REPLAYED_COUNTER`).
    ///
    /// Errors: `KEY_INVALID` only if the card's key were bad (checked at `new`).
    pub fn sync_request(&self, now: i64) -> Result<SyncRequest> {
        let mut entries = self.log.clone();
        if let Some(record) = &self.reserved {
            // The reserved record is the newest: its counter is the card's counter.
            entries.push(LogEntry { record: record.clone(), payment: None });
        }
        entries.sort_by_key(|e| e.record.counter);
        let mut request = SyncRequest {
            card: self.id.clone(),
            base_counter: self.security.synced_counter,
            counter: self.counter,
            available: self.available,
            pending: self.pending,
            security_seq: self.security_seq,
            time: now,
            entries,
            signature: [0; SIGNATURE_LEN],
        };
        request.signature = ed25519::sign(&self.secret_key, &request.signed_bytes())?;
        Ok(request)
    }

    /// Accepts security information or an instruction from the back-end, after the envelope
    /// checks (issuer key, type, expiry, version newer than the last) and the card's own.
    pub fn accept(&mut self, bytes: &[u8], now: i64) -> Accepted {
        let last = if self.security_seq == 0 { None } else { Some(self.security_seq) };
        let keys = core::slice::from_ref(&self.issuer);
        match open_security(keys, bytes, now, last, SECURITY_TYPE) {
            Ok((opened, payload)) => self.accept_security(bytes, opened.seq, &payload),
            Err(Rejection::WrongType) => match open_security(keys, bytes, now, last, INSTRUCTION_TYPE) {
                Ok((opened, payload)) => self.accept_instruction(opened.seq, &payload),
                Err(rejection) => Accepted::Rejected(rejection),
            },
            Err(rejection) => Accepted::Rejected(rejection),
        }
    }

    fn accept_security(&mut self, bytes: &[u8], seq: u64, payload: &[u8]) -> Accepted {
        let Ok(security) = Security::decode(payload) else {
            return Accepted::Rejected(Rejection::Malformed);
        };
        if security.card != self.id || security.card_key != self.public_key {
            return Accepted::Unfit("WRONG_CARD");
        }
        if security.synced_counter > self.counter || security.synced_counter < self.security.synced_counter {
            return Accepted::Unfit("COUNTER_BEHIND");
        }
        if self.blocked {
            // A blocked card stays blocked: only a newer version number is recorded.
            self.security_seq = seq;
            return Accepted::Blocked;
        }
        let synced = security.synced_counter;
        self.log.retain(|e| e.record.counter > synced);
        if self.reserved.as_ref().is_some_and(|r| r.counter <= synced) {
            // The back-end settled the reserved send: it is spent, the journal entry is done.
            self.reserved = None;
        }
        let sends = self.log.iter().filter(|e| e.record.kind == RecordKind::Send).map(|e| &e.record).chain(self.reserved.iter());
        let (mut count, mut spent) = (0u32, 0u64);
        for record in sends {
            count = count.saturating_add(1);
            spent = spent.saturating_add(record.amount);
        }
        self.pending = self
            .log
            .iter()
            .filter(|e| e.record.kind == RecordKind::Receive)
            .fold(0u64, |sum, e| sum.saturating_add(e.record.amount));
        self.available = security.balance.saturating_sub(spent);
        self.sends = count;
        self.spent = spent;
        if let Some(roll) = &security.key_roll {
            self.issuer = IssuerKey { key_id: roll.key_id.clone(), public_key: roll.public_key };
        }
        self.security = security;
        self.security_envelope = bytes.to_vec();
        self.security_seq = seq;
        self.restricted = false;
        Accepted::Security
    }

    fn accept_instruction(&mut self, seq: u64, payload: &[u8]) -> Accepted {
        let Ok(instruction) = Instruction::decode(payload) else {
            return Accepted::Rejected(Rejection::Malformed);
        };
        if instruction.card != self.id {
            return Accepted::Unfit("WRONG_CARD");
        }
        self.security_seq = seq;
        if instruction.action == Action::Block {
            self.blocked = true;
            Accepted::Blocked
        } else {
            self.restricted = true;
            self.security.limits = OfflineLimits::NONE;
            Accepted::Restricted
        }
    }

    /// Borrowed view of every field, for the snapshot codec.
    pub(crate) fn parts(&self) -> CardParts<'_> {
        CardParts {
            id: &self.id,
            secret_key: &self.secret_key,
            issuer: &self.issuer,
            security: &self.security,
            security_envelope: &self.security_envelope,
            security_seq: self.security_seq,
            counter: self.counter,
            head: &self.head,
            available: self.available,
            pending: self.pending,
            reserved: self.reserved.as_ref(),
            log: &self.log,
            sends: self.sends,
            spent: self.spent,
            blocked: self.blocked,
            restricted: self.restricted,
        }
    }

    /// A card from its fields (the snapshot codec checks consistency after).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        id: String,
        secret_key: &[u8],
        issuer: IssuerKey,
        security: Security,
        security_envelope: Vec<u8>,
        security_seq: u64,
        counter: u64,
        head: Hash,
        available: u64,
        pending: u64,
        reserved: Option<Record>,
        log: Vec<LogEntry>,
        sends: u32,
        spent: u64,
        blocked: bool,
        restricted: bool,
    ) -> Result<Card> {
        let public_key = ed25519::public_key(secret_key)?;
        Ok(Card {
            id,
            secret_key: secret_key.to_vec(),
            public_key,
            issuer,
            security,
            security_envelope,
            security_seq,
            counter,
            head,
            available,
            pending,
            reserved,
            log,
            sends,
            spent,
            blocked,
            restricted,
        })
    }

    /// Whether the card's state holds together: the head is the last record's hash, counters
    /// run consecutively from the synced counter, pending is the sum of receipts and the offline
    /// sends are within the limits' count and sum.
    pub fn is_consistent(&self) -> bool {
        let mut records: Vec<&Record> = self.log.iter().map(|e| &e.record).collect();
        records.extend(self.reserved.iter());
        records.sort_by_key(|r| r.counter);
        // Checked: a restored snapshot may carry any counter (the fuzzer found a synced counter
        // of u64::MAX) and any amounts; an overflow is an inconsistent state, never a panic.
        let mut expected = self.security.synced_counter;
        for r in &records {
            match expected.checked_add(1) {
                Some(next) if r.counter == next => expected = next,
                _ => return false,
            }
        }
        let head_ok = records.last().map_or(self.counter == self.security.synced_counter, |r| r.hash() == self.head && r.counter == self.counter);
        let pending = self
            .log
            .iter()
            .filter(|e| e.record.kind == RecordKind::Receive)
            .try_fold(0u64, |sum, e| sum.checked_add(e.record.amount));
        head_ok && pending == Some(self.pending) && self.security.synced_counter <= self.counter
    }
}

/// Every field of a card, borrowed (for the snapshot codec).
pub(crate) struct CardParts<'a> {
    pub id: &'a str,
    pub secret_key: &'a [u8],
    pub issuer: &'a IssuerKey,
    pub security: &'a Security,
    pub security_envelope: &'a [u8],
    pub security_seq: u64,
    pub counter: u64,
    pub head: &'a Hash,
    pub available: u64,
    pub pending: u64,
    pub reserved: Option<&'a Record>,
    pub log: &'a [LogEntry],
    pub sends: u32,
    pub spent: u64,
    pub blocked: bool,
    pub restricted: bool,
}

/// What a card sends the back-end when it comes online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    /// The card.
    pub card: String,
    /// The synced counter of the security information the card holds (its log starts after it).
    pub base_counter: u64,
    /// The card's counter now.
    pub counter: u64,
    /// The card's available balance, minor units.
    pub available: u64,
    /// The card's pending (received, unsettled) amount, minor units.
    pub pending: u64,
    /// The security version the card holds.
    pub security_seq: u64,
    /// When the card made the request, Unix seconds (later than its previous request's).
    pub time: i64,
    /// The offline log, oldest first.
    pub entries: Vec<LogEntry>,
    /// The card's Ed25519 signature over [`SYNC_TAG`] ‖ the wire form without this signature.
    pub signature: [u8; SIGNATURE_LEN],
}

/// Domain tag of a sync request's signed bytes.
pub const SYNC_TAG: &[u8; 26] = b"countersign.ecash.sync.v1\0";

impl SyncRequest {
    /// The bytes the card signs: [`SYNC_TAG`] then the wire form without the signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = SYNC_TAG.to_vec();
        out.extend_from_slice(&self.unsigned());
        out
    }

    /// Wire form: `card (1+n) ‖ base u64 ‖ counter u64 ‖ available u64 ‖ pending u64 ‖
    /// securitySeq u64 ‖ time i64 ‖ u32 count ‖ entries ‖ signature (64)`, each entry a record
    /// and, for a receive, the payer's record after it.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.unsigned();
        out.extend_from_slice(&self.signature);
        out
    }

    fn unsigned(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.entries.len() * 400);
        out.push(u8::try_from(self.card.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(self.card.as_bytes());
        for v in [self.base_counter, self.counter, self.available, self.pending, self.security_seq] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.time.to_be_bytes());
        out.extend_from_slice(&u32::try_from(self.entries.len()).unwrap_or(u32::MAX).to_be_bytes());
        for e in &self.entries {
            out.extend_from_slice(&e.record.encode());
            if let Some(p) = &e.payment {
                out.extend_from_slice(&p.encode());
            }
        }
        out
    }

    /// Parses the wire form. Errors: `INVALID_ARGUMENT` about `request` (malformed, or more than
    /// [`crate::ecash::SYNC_RECORDS_MAX`] entries, or an entry of another card).
    pub fn decode(bytes: &[u8]) -> Result<SyncRequest> {
        let mut r = Reader::new(bytes, "request");
        let card = r.id()?;
        let base_counter = r.u64()?;
        let counter = r.u64()?;
        let available = r.u64()?;
        let pending = r.u64()?;
        let security_seq = r.u64()?;
        let time = r.i64()?;
        let count = usize::try_from(r.u32()?).map_err(|_| malformed("request", "count"))?;
        if count > crate::ecash::SYNC_RECORDS_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "request", "more entries than SYNC_RECORDS_MAX"));
        }
        let mut entries = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let record = Record::read(&mut r)?;
            if record.card != card {
                return Err(malformed("request", "an entry of another card"));
            }
            let payment = if record.kind == RecordKind::Receive { Some(Record::read(&mut r)?) } else { None };
            entries.push(LogEntry { record, payment });
        }
        let signature = r.array()?;
        if !r.is_empty() {
            return Err(malformed("request", "trailing bytes"));
        }
        Ok(SyncRequest { card, base_counter, counter, available, pending, security_seq, time, entries, signature })
    }
}

/// A merchant terminal: accepts payments offline and keeps them, hash-chained, until it deposits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    id: String,
    issuer: IssuerKey,
    blocklist: Vec<String>,
    /// Received payments not yet deposited.
    records: Vec<Record>,
    /// `SHA-256(previous head ‖ record hash)` over every payment ever received.
    head: Hash,
}

impl Merchant {
    /// Errors: `INVALID_ARGUMENT` about `id`.
    pub fn new(id: &str, issuer: IssuerKey) -> Result<Merchant> {
        check_id("id", id)?;
        Ok(Merchant { id: id.to_owned(), issuer, blocklist: Vec::new(), records: Vec::new(), head: genesis_hash(id) })
    }
    /// The merchant's id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The head of the merchant's hash-chained log.
    pub fn head(&self) -> Hash {
        self.head
    }
    /// Payments held for deposit.
    pub fn records(&self) -> &[Record] {
        &self.records
    }
    /// Replaces the blocklist (from the issuer's latest security information). Errors:
    /// `LIMIT_EXCEEDED` about `blocklist`.
    pub fn set_blocklist(&mut self, blocklist: Vec<String>) -> Result<()> {
        if blocklist.len() > BLOCKLIST_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "blocklist", "more than BLOCKLIST_MAX ids"));
        }
        self.blocklist = blocklist;
        Ok(())
    }

    /// Checks and keeps a payment; the answer is the ack for the payer's `confirm`.
    pub fn receive(&mut self, payment: &Payment, now: i64) -> core::result::Result<Hash, Refusal> {
        let ack = payment.record.hash();
        if self.records.iter().any(|r| r.hash() == ack) {
            return Ok(ack);
        }
        check_payment(core::slice::from_ref(&self.issuer), &self.blocklist, &self.id, payment, now)?;
        if self.records.iter().any(|r| r.card == payment.record.card && r.counter == payment.record.counter) {
            return Err(Refusal::DoubleSpend);
        }
        if self.records.len() >= MERCHANT_RECORDS_MAX {
            return Err(Refusal::LogFull);
        }
        let mut chained = Vec::with_capacity(64);
        chained.extend_from_slice(&self.head);
        chained.extend_from_slice(&ack);
        self.head = crate::crypto::sha256(&chained);
        self.records.push(payment.record.clone());
        Ok(ack)
    }

    /// Hands over the held payments for a deposit (the merchant keeps its log head).
    pub fn take_deposit(&mut self) -> Vec<Record> {
        core::mem::take(&mut self.records)
    }
}
