//! The e-money server: wallets on a [`Ledger`], holds for energy orders, capture of the metered
//! cost, release of the rest, expiry, and signed answers.
//!
//! # Accounts
//!
//! | ledger account | kind | role |
//! |---|---|---|
//! | `issuer` | unrestricted | e-money enters through it (top-ups debit it) |
//! | `w/<walletId>` | nonNegative | a customer's wallet: holds and charges never take it below zero |
//! | `s/<stationId>` | nonNegative | a station's settlement account: captures credit it |
//!
//! # Messages
//!
//! Each entry point takes a request envelope from a trusted terminal and answers. Checks, in
//! order (one code each):
//!
//! 1. **the same envelope again** (SHA-256 of its bytes) → the stored answer, byte for byte,
//!    `repeated: true` — nothing is done twice, whatever has happened since;
//! 2. holds due at `now` are expired (ledger `expireDue`), so no overdue hold blocks funds;
//! 3. the envelope: `MALFORMED`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `WRONG_TYPE`, `NOT_YET_VALID`,
//!    `EXPIRED`; `VERSION_UNSUPPORTED`, `PAYLOAD_MALFORMED`;
//! 4. the session: an order's id must be new (`ORDER_ID_CONFLICT`) and its station the terminal's
//!    (`WRONG_STATION`); later messages need the session (`UNKNOWN_ORDER`), the terminal that
//!    placed the order (`WRONG_TERMINAL`: sequence numbers are per terminal), a sequence number
//!    above the session's last accepted one (`REPLAYED`), an open session
//!    (`SESSION_CLOSED`; `HOLD_EXPIRED` for a tariff change or extend after expiry) and room
//!    for one more answer (`SESSION_MESSAGES_FULL`);
//! 5. the message's own rules (below).
//!
//! A refusal in steps 3–5 changes nothing and is answered by a code only (no signed answer, not
//! stored: the same message gets the same code again while nothing else changes). Every
//! decision that creates or changes a session — an order held or declined, a tariff change, an
//! extension, a completion — is answered by a signed envelope, stored with the session and
//! returned again for the same request.
//!
//! ## Order (`energy.order` → `energy.authorisation`)
//!
//! Invalid order → `ORDER_INVALID`; unknown or closed wallet → `UNKNOWN_WALLET`. If the wallet's
//! available balance covers the maximum, the maximum is held (`HELD`). Otherwise the order's
//! policy decides: `decline` → `BALANCE_BELOW_MAXIMUM`; `hold-available` → the available
//! balance (`HELD_AVAILABLE`); `lower-maximum` → the available balance rounded down to a multiple
//! of the order's step (`MAXIMUM_LOWERED`). An amount below the order's minimum →
//! `BELOW_MINIMUM`; one that does not pay for one resolution step → `HOLD_TOO_SMALL`. The hold
//! (ledger id = order id) runs for the server's `holdDurationS`. A ledger refusal →
//! `LEDGER_REFUSED` with the ledger's code. Declines are signed and stored too (the order id is
//! then used).
//!
//! ## Tariff change (`energy.tariff-change` → `energy.authorisation`)
//!
//! `changeNo` must be the next (`TARIFF_CHANGE_OUT_OF_ORDER`); the tariff must keep the currency,
//! unit and resolution, and the increment be > 0 (`TARIFF_INVALID`); `quantityAt` must be at the
//! resolution, not below the last segment's start, and paid for by the hold (`READINGS_INVALID`).
//! The new segment is recorded; the increment, if any, is added to the hold (`TARIFF_CHANGED`)
//! or, when the wallet cannot fund it, not (`INCREMENT_DECLINED`: the tariff is recorded all
//! the same — the price did change — and the terminal derives a smaller limit).
//!
//! ## Extend (`energy.extend` → `energy.authorisation`)
//!
//! The ledger's extend: `EXTENDED`, or `DEADLINE_INVALID` (not later, or more than the ledger's
//! maximum duration away).
//!
//! ## Completion (`energy.completion` → `energy.receipt`)
//!
//! Readings must be at most [`READINGS_MAX`], at the resolution, non-decreasing in quantity and
//! time, and end at or above the last tariff change (`READINGS_INVALID`). The cost is the sum
//! of the segments' costs ([`super::session`]). On a live hold: capture `min(cost, held)` with a
//! final post, which releases the rest (`COMPLETED`; `COMPLETED_CAPPED` when the cost exceeds
//! the hold; `COMPLETED_NOTHING_DELIVERED` voids the hold when the cost is zero). After the
//! hold expired, the server's **late-completion policy**:
//!
//! * `reject` — nothing is charged (`LATE_COMPLETION_REJECTED`);
//! * `charge-if-funds` — `min(cost, held)` is charged by a new transfer from the wallet if its
//!   available balance allows (`LATE_CHARGED`), else nothing (`LATE_CHARGE_DECLINED`).
//!
//! Either way the session is closed and a signed receipt lists the hold, increments, meter
//! readings, the cost per segment, what was captured, released and left uncollected.
//!
//! # Atomicity
//!
//! Every check that can refuse runs before the one ledger operation of a message; the signer's
//! key is checked first, so sealing the answer cannot fail after the ledger changed. A ledger
//! refusal leaves the session as it was.
//!
//! # Limits
//!
//! [`SESSIONS_MAX`] sessions (the oldest closed or declined one, or expired for more than
//! [`LATE_COMPLETION_WINDOW_S`], is forgotten to make room; if none, `SESSIONS_FULL`), [`SESSION_MESSAGES_MAX`] answers per session, [`TERMINALS_MAX`]
//! trusted terminals, [`EXPIRE_ROUNDS_MAX`] ledger expiry batches per call.

use serde::{Deserialize, Serialize};

use super::codes::EnergyCode;
use super::messages::{
    energy_id_ok, from_payload, to_payload, Authorisation, BelowMaximum, Completion, Extension,
    Order, Receipt, Signer, TariffChange, TariffSegment, AUTHORISATION_TYPE, COMPLETION_TYPE,
    EXTEND_TYPE, ORDER_TYPE, PAYLOAD_VERSION, READINGS_MAX, RECEIPT_TYPE, TARIFF_CHANGES_MAX,
    TARIFF_CHANGE_TYPE,
};
use super::pricing::{dispense_limit, DispenseLimitRequest, Pricing};
use super::session::{self, validate_order, ValidOrder};
use crate::card::PublicKey;
use crate::crypto::sha256;
use crate::envelope::{self, OpenParams, Opened, TrustedKey, CLOCK_SKEW_S_MAX};
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{
    AccountKind, ExpireDueRequest, ExtendRequest, HoldRequest, HoldView, IncrementRequest,
    JournalEntry, Ledger, LedgerCode, OpenAccountRequest, Outcome, PostRequest, TransferRequest,
    VoidRequest, HOLD_DURATION_S_MAX,
};
use crate::limits::cbor::Cbor;
use crate::limits::check_time;
use crate::limits::keyed::{Keyed, KeyedVec};
use crate::money::{Amount, Currency};

/// The most sessions the server keeps.
pub const SESSIONS_MAX: usize = 1024;
/// The most answers (signed envelopes) stored per session: the order, up to eight tariff
/// changes, extensions and the completion.
pub const SESSION_MESSAGES_MAX: usize = 16;
/// The most trusted terminals.
pub const TERMINALS_MAX: usize = 64;
/// The most ledger `expireDue` batches one call runs (64 holds each).
pub const EXPIRE_ROUNDS_MAX: usize = 64;
/// How long an expired session is kept for its late completion when the server needs room,
/// seconds after the hold's deadline (30 days); until then it is never forgotten.
pub const LATE_COMPLETION_WINDOW_S: i64 = 30 * 86_400;
/// The least a hold may run, seconds.
pub const HOLD_DURATION_S_MIN: i64 = 60;

/// The ledger account e-money is issued from.
pub const ISSUER_ACCOUNT: &str = "issuer";

/// What the server does with a completion that arrives after the hold expired. JSON:
/// `"reject"`, `"charge-if-funds"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "LateCompletionPolicy"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LateCompletion {
    /// Charge nothing: the station bears the loss of a completion it sent too late.
    Reject,
    /// Charge `min(cost, held)` as a new transfer if the wallet can pay it now; else nothing.
    ChargeIfFunds,
}

/// The server's configuration.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyServerConfig"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerConfig {
    /// The e-money currency (wallets, orders and tariffs).
    pub currency: String,
    /// How long a new hold runs, seconds (60 ..= 366 days).
    pub hold_duration_s: i64,
    /// The late-completion policy.
    pub late_completion: LateCompletion,
    /// Clock skew tolerated on the terminals' envelopes' issue time, seconds (≤ one day).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>", optional))]
    #[serde(default)]
    pub clock_skew_s: u32,
}

/// A terminal the server trusts, and the station it belongs to.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalKey {
    /// The station (its settlement account is `s/<stationId>`).
    pub station_id: String,
    /// The terminal's public key.
    pub key: PublicKey,
}

/// The state of a session. JSON: `"declined"`, `"held"`, `"expired"`, `"closed"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "ServerSessionState"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionState {
    /// The order was declined: nothing held.
    Declined,
    /// The hold is live.
    Held,
    /// The hold expired before a completion: the late-completion policy applies.
    Expired,
    /// Completed (or a late completion handled).
    Closed,
}

/// A session as the server sees it (amounts from the ledger).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "ServerSession"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerSessionView {
    /// The order.
    pub order: Order,
    /// The state.
    pub state: SessionState,
    /// The code of the last decision.
    pub code: EnergyCode,
    /// The ledger hold, when one was placed.
    pub hold: Option<HoldView>,
    /// The tariff segments.
    pub segments: Vec<TariffSegment>,
    /// The increments, in order.
    pub increments: Vec<String>,
    /// The receipt, once completed.
    pub receipt: Option<Receipt>,
}

/// The server's answer to a message.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerReply {
    /// The outcome.
    pub code: EnergyCode,
    /// The ledger's code, when a ledger operation refused.
    // A ledger code's string, typed as the ledger's code union in TypeScript.
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::ledger::LedgerCode>"))]
    pub ledger_code: Option<String>,
    /// True when this answers the same envelope again (the stored answer).
    pub repeated: bool,
    /// The order id, when the message was authentic and decodable.
    pub order_id: Option<String>,
    /// The signed answer (`energy.authorisation` or `energy.receipt`) for a decision; absent for
    /// a refusal that changed nothing.
    #[serde(skip)]
    pub envelope: Option<Vec<u8>>,
}

impl ServerReply {
    fn refused(code: EnergyCode, order_id: Option<&str>) -> ServerReply {
        ServerReply {
            code,
            ledger_code: None,
            repeated: false,
            order_id: order_id.map(str::to_owned),
            envelope: None,
        }
    }
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Answer {
    pub(super) request: [u8; 32],
    pub(super) code: EnergyCode,
    pub(super) ledger_code: Option<String>,
    pub(super) envelope: Vec<u8>,
}

/// One session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Session {
    pub(super) order: Order,
    pub(super) created: u64,
    pub(super) state: SessionState,
    pub(super) code: EnergyCode,
    pub(super) held: bool,
    /// The hold's deadline while held (the ledger's, kept here so that the expiry check before
    /// every message needs no walk over the ledger's holds); 0 when nothing was held.
    pub(super) deadline: i64,
    /// The key id of the terminal that placed the order: only it may continue the session (its
    /// sequence numbers are the ones `last_seq` counts).
    pub(super) terminal_key_id: String,
    pub(super) last_seq: u64,
    pub(super) segments: Vec<TariffSegment>,
    pub(super) increments: Vec<String>,
    pub(super) answers: Vec<Answer>,
    pub(super) receipt: Option<Receipt>,
}

impl Keyed for Session {
    fn key(&self) -> &str {
        &self.order.order_id
    }
}

/// How many buckets [`AnswerIndex`] spreads the request hashes over (by their first byte).
const ANSWER_BUCKETS: usize = 256;

/// Request hash → order id, for every stored answer (at most [`SESSIONS_MAX`] ×
/// [`SESSION_MESSAGES_MAX`] entries): sorted lists in 256 buckets chosen by the hash's first byte.
///
/// Why not a `BTreeMap<[u8; 32], String>`: its own copy of the B-tree code measured ~10 KB of
/// wasm; and not one sorted list: at 16,384 entries an insert would shift ~700 KB. SHA-256 spreads
/// the hashes evenly, so a bucket holds ~64 entries when the server is full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AnswerIndex {
    buckets: [Vec<([u8; 32], String)>; ANSWER_BUCKETS],
}

impl Default for AnswerIndex {
    fn default() -> Self {
        AnswerIndex {
            buckets: core::array::from_fn(|_| Vec::new()),
        }
    }
}

impl AnswerIndex {
    // A hash's bucket is its first byte, always below ANSWER_BUCKETS (256): `get` never misses.
    fn bucket(&self, hash: &[u8; 32]) -> Option<&Vec<([u8; 32], String)>> {
        self.buckets.get(usize::from(hash[0]))
    }

    fn bucket_mut(&mut self, hash: &[u8; 32]) -> Option<&mut Vec<([u8; 32], String)>> {
        self.buckets.get_mut(usize::from(hash[0]))
    }

    pub(super) fn get(&self, hash: &[u8; 32]) -> Option<&String> {
        let bucket = self.bucket(hash)?;
        let index = bucket.binary_search_by(|(h, _)| h.cmp(hash)).ok()?;
        bucket.get(index).map(|(_, order_id)| order_id)
    }

    /// Maps `hash` to `order_id`, replacing an earlier mapping of the same hash.
    pub(super) fn insert(&mut self, hash: [u8; 32], order_id: String) {
        let Some(bucket) = self.bucket_mut(&hash) else {
            return;
        };
        match bucket.binary_search_by(|(h, _)| h.cmp(&hash)) {
            Ok(index) => {
                if let Some(slot) = bucket.get_mut(index) {
                    slot.1 = order_id;
                }
            }
            Err(index) => bucket.insert(index, (hash, order_id)),
        }
    }

    pub(super) fn remove(&mut self, hash: &[u8; 32]) {
        let Some(bucket) = self.bucket_mut(hash) else {
            return;
        };
        if let Ok(index) = bucket.binary_search_by(|(h, _)| h.cmp(hash)) {
            bucket.remove(index);
        }
    }
}

/// The e-money server. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnergyServer {
    pub(super) config: ServerConfig,
    pub(super) currency: &'static Currency,
    pub(super) terminals: Vec<TerminalKey>,
    pub(super) ledger: Ledger,
    /// By order id.
    pub(super) sessions: KeyedVec<Session>,
    /// Request hash → order id (derived from the sessions' answers).
    pub(super) answers: AnswerIndex,
    /// The last sequence number of the server's envelopes.
    pub(super) seq: u64,
    /// Sessions created so far (their creation order).
    pub(super) created: u64,
}

fn invalid(param: &'static str, message: String) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

fn wallet_account(wallet_id: &str) -> String {
    format!("w/{wallet_id}")
}

fn station_account(station_id: &str) -> String {
    format!("s/{station_id}")
}

fn check_config(config: &ServerConfig) -> Result<&'static Currency> {
    let currency = Currency::from_code(&config.currency)?;
    if !(HOLD_DURATION_S_MIN..=HOLD_DURATION_S_MAX).contains(&config.hold_duration_s) {
        return Err(invalid(
            "holdDurationS",
            format!("holdDurationS must be {HOLD_DURATION_S_MIN}..={HOLD_DURATION_S_MAX} seconds"),
        ));
    }
    if config.clock_skew_s > CLOCK_SKEW_S_MAX {
        return Err(invalid(
            "clockSkewS",
            format!("clockSkewS must be at most {CLOCK_SKEW_S_MAX}"),
        ));
    }
    Ok(currency)
}

/// What a message's own rules decided: a code, the ledger's code, and whether the session
/// changed (a decision, signed and stored) or not (a refusal).
struct Decided {
    code: EnergyCode,
    ledger_code: Option<LedgerCode>,
    changed: bool,
}

fn refusal(code: EnergyCode) -> Decided {
    Decided {
        code,
        ledger_code: None,
        changed: false,
    }
}

/// A request past the common checks (see `EnergyServer::receive`).
struct Received<P> {
    /// SHA-256 of the envelope: the answer names it.
    hash: [u8; 32],
    opened: Opened,
    /// The station of the terminal that signed it.
    station: String,
    payload: P,
}

impl EnergyServer {
    /// A server with an empty ledger holding the issuer account.
    ///
    /// Errors: `CURRENCY_UNKNOWN` about `"currency"`; `INVALID_ARGUMENT` about
    /// `"holdDurationS"`, `"clockSkewS"`; `INVALID_ARGUMENT` about `"now"`.
    pub fn new(config: ServerConfig, now: i64) -> Result<EnergyServer> {
        let currency = check_config(&config)?;
        check_time(now, "now")?;
        let mut ledger = Ledger::new();
        ledger.open_account(&OpenAccountRequest {
            idempotency_key: "e1".to_owned(),
            now,
            account_id: ISSUER_ACCOUNT.to_owned(),
            currency: currency.code().to_owned(),
            kind: AccountKind::Unrestricted,
            credit_limit: None,
        })?;
        Ok(EnergyServer {
            config,
            currency,
            terminals: Vec::new(),
            ledger,
            sessions: KeyedVec::new(),
            answers: AnswerIndex::default(),
            seq: 0,
            created: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The ledger (read-only: every change goes through the server).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The trusted terminals.
    pub fn terminals(&self) -> &[TerminalKey] {
        &self.terminals
    }

    /// A new idempotency key for the next ledger operation (the server's own idempotency is per
    /// message, so each ledger operation is new).
    fn ledger_key(&self) -> String {
        format!("e{}", self.ledger.head().seq.saturating_add(1))
    }

    fn open_account(&mut self, account_id: String, now: i64) -> Result<LedgerCode> {
        let outcome = self.ledger.open_account(&OpenAccountRequest {
            idempotency_key: self.ledger_key(),
            now,
            account_id,
            currency: self.currency.code().to_owned(),
            kind: AccountKind::NonNegative,
            credit_limit: None,
        })?;
        Ok(outcome.code)
    }

    /// Trusts a terminal of `stationId` (opening the station's settlement account if new).
    /// Adding a key id already trusted replaces it.
    ///
    /// Returns the ledger code of opening the station account (`ACCOUNT_OPENED`, or
    /// `ACCOUNT_EXISTS` for a known station).
    /// Errors: `INVALID_ARGUMENT` about `"stationId"`; `INVALID_ARGUMENT` / `KEY_INVALID` about
    /// `"terminalKey"`; `LIMIT_EXCEEDED` about `"terminals"`; `INVALID_ARGUMENT` about `"now"`.
    pub fn add_terminal(&mut self, terminal: TerminalKey, now: i64) -> Result<LedgerCode> {
        check_time(now, "now")?;
        if !energy_id_ok(&terminal.station_id) {
            return Err(invalid(
                "stationId",
                "stationId must be 1..=48 UTF-8 bytes without control characters".to_owned(),
            ));
        }
        terminal.key.validate("terminalKey")?;
        let existing = self
            .terminals
            .iter()
            .position(|t| t.key.key_id == terminal.key.key_id);
        if existing.is_none() && self.terminals.len() >= TERMINALS_MAX {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                "terminals",
                format!("at most {TERMINALS_MAX} terminals"),
            ));
        }
        let code = self.open_account(station_account(&terminal.station_id), now)?;
        match existing.and_then(|index| self.terminals.get_mut(index)) {
            Some(slot) => *slot = terminal,
            None => self.terminals.push(terminal),
        }
        Ok(code)
    }

    /// Opens a wallet (a nonNegative ledger account `w/<walletId>`).
    ///
    /// Returns the ledger code: `ACCOUNT_OPENED`, `ACCOUNT_EXISTS`, `ACCOUNTS_FULL`.
    /// Errors: `INVALID_ARGUMENT` about `"walletId"` or `"now"`.
    pub fn open_wallet(&mut self, wallet_id: &str, now: i64) -> Result<LedgerCode> {
        check_time(now, "now")?;
        if !energy_id_ok(wallet_id) {
            return Err(invalid(
                "walletId",
                "walletId must be 1..=48 UTF-8 bytes without control characters".to_owned(),
            ));
        }
        self.open_account(wallet_account(wallet_id), now)
    }

    /// Tops a wallet up from the issuer account.
    ///
    /// Returns the ledger outcome (`TRANSFERRED`, `UNKNOWN_ACCOUNT`, `AMOUNT_NOT_POSITIVE` ...).
    /// Errors: `INVALID_ARGUMENT` about `"walletId"` or `"now"`; `AMOUNT_*` about `"amount"`.
    pub fn top_up(&mut self, wallet_id: &str, amount: &str, now: i64) -> Result<Outcome> {
        check_time(now, "now")?;
        if !energy_id_ok(wallet_id) {
            return Err(invalid(
                "walletId",
                "walletId must be 1..=48 UTF-8 bytes without control characters".to_owned(),
            ));
        }
        let outcome = self.ledger.transfer(&TransferRequest {
            idempotency_key: self.ledger_key(),
            now,
            debit_account_id: ISSUER_ACCOUNT.to_owned(),
            credit_account_id: wallet_account(wallet_id),
            amount: amount.to_owned(),
            currency: self.currency.code().to_owned(),
        })?;
        // Every ledger outcome goes through `note`, so no session misses its hold's expiry.
        self.note(&outcome);
        Ok(outcome)
    }

    /// The ledger's journal entries not yet handed to storage (hash-chained, oldest first; see
    /// [`crate::ledger`]). The caller appends them to its log and then calls
    /// [`EnergyServer::truncate_journal`]: the ledger keeps at most
    /// [`JOURNAL_ENTRIES_RETAINED_MAX`](crate::ledger::JOURNAL_ENTRIES_RETAINED_MAX) and refuses
    /// further operations when full (`LEDGER_REFUSED` / `JOURNAL_FULL`). Snapshots do not
    /// include them.
    pub fn journal(&self) -> &[JournalEntry] {
        self.ledger.journal()
    }

    /// Forgets the retained journal entries up to and including `through_seq` (after the caller
    /// persisted them).
    ///
    /// Errors: `INVALID_ARGUMENT` about `"throughSeq"` when above the journal head.
    pub fn truncate_journal(&mut self, through_seq: u64) -> Result<()> {
        self.ledger.truncate_journal(through_seq)
    }

    /// A wallet's ledger account.
    pub fn wallet(&self, wallet_id: &str) -> Option<crate::ledger::AccountView> {
        self.ledger.account(&wallet_account(wallet_id))
    }

    /// A station's settlement account.
    pub fn station(&self, station_id: &str) -> Option<crate::ledger::AccountView> {
        self.ledger.account(&station_account(station_id))
    }

    /// A session.
    pub fn session(&self, order_id: &str) -> Option<ServerSessionView> {
        self.sessions.get(order_id).map(|s| ServerSessionView {
            order: s.order.clone(),
            state: s.state,
            code: s.code,
            hold: s
                .held
                .then(|| self.ledger.hold_view(&s.order.order_id))
                .flatten(),
            segments: s.segments.clone(),
            increments: s.increments.clone(),
            receipt: s.receipt.clone(),
        })
    }

    /// The order ids of every session, by id.
    pub fn session_ids(&self) -> Vec<String> {
        self.sessions.keys()
    }

    /// Expires every hold due at `now` (in batches, at most [`EXPIRE_ROUNDS_MAX`]) and marks
    /// their sessions expired. Returns the order ids whose holds expired.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"now"`; the ledger's `INTERNAL` / `LIMIT_EXCEEDED`.
    pub fn expire_due(&mut self, now: i64) -> Result<Vec<String>> {
        check_time(now, "now")?;
        let effective = now.max(self.ledger.clock());
        let mut expired = Vec::new();
        for _ in 0..EXPIRE_ROUNDS_MAX {
            // Only ask the ledger when a hold is due: an expiry pass is journaled. Every hold
            // of the ledger belongs to a session, so the held sessions' deadlines are its holds'.
            let due = self
                .sessions
                .iter()
                .any(|s| s.state == SessionState::Held && s.deadline <= effective);
            if !due {
                break;
            }
            let outcome = self.ledger.expire_due(&ExpireDueRequest {
                idempotency_key: self.ledger_key(),
                now,
            })?;
            self.note_expired(&outcome.expired);
            expired.extend(outcome.expired.iter().cloned());
            if outcome.code != LedgerCode::MoreHoldsDue {
                break;
            }
        }
        Ok(expired)
    }

    /// Marks the sessions of holds the ledger expired.
    fn note_expired(&mut self, holds: &[String]) {
        for hold_id in holds {
            if let Some(session) = self.sessions.get_mut(hold_id) {
                if session.state == SessionState::Held {
                    session.state = SessionState::Expired;
                    session.code = EnergyCode::HoldExpired;
                }
            }
        }
    }

    fn note(&mut self, outcome: &Outcome) {
        self.note_expired(&outcome.expired);
    }

    /// Opens a terminal's envelope of `msg_type`.
    fn open_request(
        &self,
        bytes: &[u8],
        now: i64,
        msg_type: &str,
    ) -> core::result::Result<(Opened, String), EnergyCode> {
        let trusted: Vec<TrustedKey<'_>> = self
            .terminals
            .iter()
            .map(|t| TrustedKey {
                key_id: &t.key.key_id,
                alg: t.key.alg,
                public_key: &t.key.public_key,
            })
            .collect();
        let params = OpenParams {
            trusted_keys: &trusted,
            now,
            expected_type: msg_type,
            last_seq: None,
            max_clock_skew_s: self.config.clock_skew_s,
        };
        let opened = envelope::open(bytes, &params).map_err(EnergyCode::from_rejection)?;
        if opened.version != PAYLOAD_VERSION {
            return Err(EnergyCode::VersionUnsupported);
        }
        let station = self
            .terminals
            .iter()
            .find(|t| t.key.key_id == opened.key_id && t.key.alg == opened.alg)
            .map(|t| t.station_id.clone())
            .ok_or(EnergyCode::UnknownKey)?;
        Ok((opened, station))
    }

    /// Steps 1–2 of every message: a repeated envelope, then the expiry pass.
    fn begin(
        &mut self,
        bytes: &[u8],
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<core::result::Result<[u8; 32], ServerReply>> {
        check_time(now, "now")?;
        signer.check()?;
        let hash = sha256(bytes);
        if let Some(order_id) = self.answers.get(&hash) {
            let stored = self
                .sessions
                .get(order_id)
                .and_then(|s| s.answers.iter().find(|a| a.request == hash));
            if let Some(answer) = stored {
                return Ok(Err(ServerReply {
                    code: answer.code,
                    ledger_code: answer.ledger_code.clone(),
                    repeated: true,
                    order_id: Some(order_id.clone()),
                    envelope: Some(answer.envelope.clone()),
                }));
            }
        }
        self.expire_due(now)?;
        Ok(Ok(hash))
    }

    /// The preamble every handler shares: a repeat answers its stored reply (`Err`), an envelope
    /// that does not open as `msg_type` from a known terminal, or whose payload is not a `P`, is
    /// refused with its code (`Err`); otherwise the request's hash, the opened envelope, its
    /// station and payload.
    fn receive<P: Cbor>(
        &mut self,
        bytes: &[u8],
        now: i64,
        signer: &Signer<'_>,
        msg_type: &str,
    ) -> Result<core::result::Result<Received<P>, ServerReply>> {
        let hash = match self.begin(bytes, now, signer)? {
            Ok(hash) => hash,
            Err(repeated) => return Ok(Err(repeated)),
        };
        let (opened, station) = match self.open_request(bytes, now, msg_type) {
            Ok(opened) => opened,
            Err(code) => return Ok(Err(ServerReply::refused(code, None))),
        };
        let Some(payload) = from_payload::<P>(&opened.payload) else {
            return Ok(Err(ServerReply::refused(EnergyCode::PayloadMalformed, None)));
        };
        Ok(Ok(Received {
            hash,
            opened,
            station,
            payload,
        }))
    }

    /// Step 4 for messages about an existing session.
    fn check_session(
        &self,
        order_id: &str,
        opened: &Opened,
    ) -> core::result::Result<(), EnergyCode> {
        let session = self
            .sessions
            .get(order_id)
            .ok_or(EnergyCode::UnknownOrder)?;
        if session.terminal_key_id != opened.key_id {
            return Err(EnergyCode::WrongTerminal);
        }
        let seq = opened.seq;
        if seq <= session.last_seq {
            return Err(EnergyCode::Replayed);
        }
        if session.answers.len() >= SESSION_MESSAGES_MAX {
            return Err(EnergyCode::SessionMessagesFull);
        }
        match session.state {
            SessionState::Declined | SessionState::Closed => Err(EnergyCode::SessionClosed),
            SessionState::Held | SessionState::Expired => Ok(()),
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq = self.seq.saturating_add(1);
        self.seq
    }

    /// Signs and stores the answer of a decision about `order_id`.
    fn answer(
        &mut self,
        order_id: &str,
        request: [u8; 32],
        decided: &Decided,
        (msg_type, payload): (&str, &[u8]),
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<ServerReply> {
        let seq = self.next_seq();
        let envelope = signer.seal(msg_type, seq, now, payload)?;
        let ledger_code = decided.ledger_code.map(|c| c.as_str().to_owned());
        if let Some(session) = self.sessions.get_mut(order_id) {
            session.code = decided.code;
            session.answers.push(Answer {
                request,
                code: decided.code,
                ledger_code: ledger_code.clone(),
                envelope: envelope.clone(),
            });
        }
        self.answers.insert(request, order_id.to_owned());
        Ok(ServerReply {
            code: decided.code,
            ledger_code,
            repeated: false,
            order_id: Some(order_id.to_owned()),
            envelope: Some(envelope),
        })
    }

    fn authorisation(&self, order_id: &str, request: [u8; 32], decided: &Decided) -> Vec<u8> {
        let session = self.sessions.get(order_id);
        let hold = session
            .filter(|s| s.held)
            .and_then(|_| self.ledger.hold_view(order_id));
        let order = session.map(|s| &s.order);
        let text = |f: fn(&Order) -> &String| order.map(f).cloned().unwrap_or_default();
        to_payload(&Authorisation {
            order_id: order_id.to_owned(),
            in_reply_to: request.to_vec(),
            code: decided.code,
            ledger_code: decided.ledger_code.map(|c| c.as_str().to_owned()),
            wallet_id: text(|o| &o.wallet_id),
            station_id: text(|o| &o.station_id),
            currency: self.currency.code().to_owned(),
            maximum: text(|o| &o.maximum),
            hold_id: hold.as_ref().map(|h| h.hold_id.clone()),
            held: hold.as_ref().map_or_else(
                || Amount::zero(self.currency).to_string(),
                |h| h.amount.clone(),
            ),
            expires_at: hold.as_ref().map(|h| h.expires_at),
            segments: session.map(|s| s.segments.clone()).unwrap_or_default(),
            increments: session.map(|s| s.increments.clone()).unwrap_or_default(),
        })
    }

    /// Makes room for one more session: forgets the oldest declined or closed one when full.
    /// An expired session waits for its late completion, but not for ever: once its hold expired
    /// more than [`LATE_COMPLETION_WINDOW_S`] ago it may be forgotten too (a completion after
    /// that gets `UNKNOWN_ORDER`), so terminals that never complete cannot fill the server.
    fn make_room(&mut self, now: i64) -> bool {
        if self.sessions.len() < SESSIONS_MAX {
            return true;
        }
        // The effective time: the ledger's clock only moves when an operation runs.
        let clock = now.max(self.ledger.clock());
        let ledger = &self.ledger;
        let forgettable = |s: &Session| match s.state {
            SessionState::Declined | SessionState::Closed => true,
            SessionState::Held => false,
            SessionState::Expired => ledger.hold_view(&s.order.order_id).map_or(true, |hold| {
                hold.expires_at.saturating_add(LATE_COMPLETION_WINDOW_S) <= clock
            }),
        };
        let oldest = self
            .sessions
            .iter()
            .filter(|s| forgettable(s))
            .min_by_key(|s| s.created)
            .map(|s| s.order.order_id.clone());
        let Some(id) = oldest else {
            return false;
        };
        if let Some(session) = self.sessions.remove(&id) {
            for answer in &session.answers {
                self.answers.remove(&answer.request);
            }
        }
        true
    }

    /// Handles an `energy.order` envelope: holds the maximum (or what the policy allows) and
    /// answers with a signed `energy.authorisation`. See the module docs for the codes.
    ///
    /// Errors (nothing changed): `INVALID_ARGUMENT` about `"now"`; `KEY_INVALID` /
    /// `INVALID_ARGUMENT` about the signer (`"secretKey"`, `"keyId"`); the ledger's `INTERNAL`.
    pub fn authorise(
        &mut self,
        bytes: &[u8],
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<ServerReply> {
        let Received {
            hash,
            opened,
            station,
            payload: order,
        } = match self.receive::<Order>(bytes, now, signer, ORDER_TYPE)? {
            Ok(received) => received,
            Err(reply) => return Ok(reply),
        };
        let order_id = order.order_id.clone();
        if self.sessions.contains_key(&order_id) {
            return Ok(ServerReply::refused(
                EnergyCode::OrderIdConflict,
                Some(&order_id),
            ));
        }
        if order.station_id != station {
            return Ok(ServerReply::refused(
                EnergyCode::WrongStation,
                Some(&order_id),
            ));
        }
        // An order id is also a ledger hold id: within the ledger's id rules.
        if !energy_id_ok(&order_id) {
            return Ok(ServerReply::refused(
                EnergyCode::OrderInvalid,
                Some(&order_id),
            ));
        }
        if !self.make_room(now) {
            return Ok(ServerReply::refused(
                EnergyCode::SessionsFull,
                Some(&order_id),
            ));
        }
        let decided = self.decide_order(&order, now)?;
        let segments = match validate_order(&order)
            .and_then(|valid| session::first_segment(&order, &valid.pricing))
        {
            Ok(first) => vec![first],
            Err(_) => Vec::new(),
        };
        self.created = self.created.saturating_add(1);
        self.sessions.insert(Session {
                order,
                created: self.created,
                state: if decided.changed {
                    SessionState::Held
                } else {
                    SessionState::Declined
                },
                code: decided.code,
                held: decided.changed,
                deadline: if decided.changed {
                    self.ledger.hold_view(&order_id).map_or(0, |h| h.expires_at)
                } else {
                    0
                },
                terminal_key_id: opened.key_id.clone(),
                last_seq: opened.seq,
                segments,
                increments: Vec::new(),
                answers: Vec::new(),
                receipt: None,
            });
        let payload = self.authorisation(&order_id, hash, &decided);
        self.answer(
            &order_id,
            hash,
            &decided,
            (AUTHORISATION_TYPE, &payload),
            now,
            signer,
        )
    }

    /// The order's decision; places the hold when it is one (`changed` = held).
    fn decide_order(&mut self, order: &Order, now: i64) -> Result<Decided> {
        let Ok(valid) = validate_order(order) else {
            return Ok(refusal(EnergyCode::OrderInvalid));
        };
        if valid.pricing.currency().code() != self.currency.code() {
            return Ok(refusal(EnergyCode::OrderInvalid));
        }
        let wallet = wallet_account(&order.wallet_id);
        let Some(account) = self.ledger.account(&wallet).filter(|a| !a.closed) else {
            return Ok(refusal(EnergyCode::UnknownWallet));
        };
        let available = Amount::parse(
            account.available.as_deref().unwrap_or("0"),
            self.currency,
            None,
        )?;
        let (amount, code) = match self.policy_amount(order, &valid, &available)? {
            Ok(decision) => decision,
            Err(code) => return Ok(refusal(code)),
        };
        if let Some(minimum) = &valid.minimum {
            if amount.cmp_amount(minimum)?.is_lt() {
                return Ok(refusal(EnergyCode::BelowMinimum));
            }
        }
        let limit = dispense_limit(&DispenseLimitRequest {
            tariff: order.tariff.clone(),
            hold: amount.to_string(),
        })?;
        // A zero amount is no authorisation, even when the tariff's rounding makes the first
        // steps free (0.01 L at 0.399 costs 0.00399 → 0.00).
        if limit.code == EnergyCode::HoldTooSmall || amount.is_zero() {
            return Ok(refusal(EnergyCode::HoldTooSmall));
        }
        let effective = now.max(self.ledger.clock());
        let outcome = self.ledger.hold(&HoldRequest {
            idempotency_key: self.ledger_key(),
            now,
            hold_id: order.order_id.clone(),
            debit_account_id: wallet,
            credit_account_id: station_account(&order.station_id),
            amount: amount.to_string(),
            currency: self.currency.code().to_owned(),
            expires_at: effective.saturating_add(self.config.hold_duration_s),
        })?;
        self.note(&outcome);
        Ok(match outcome.code {
            LedgerCode::Held => Decided {
                code,
                ledger_code: None,
                changed: true,
            },
            LedgerCode::HoldExists => refusal(EnergyCode::OrderIdConflict),
            other => Decided {
                code: EnergyCode::LedgerRefused,
                ledger_code: Some(other),
                changed: false,
            },
        })
    }

    /// The amount the order's policy holds, or the code declining it.
    fn policy_amount(
        &self,
        order: &Order,
        valid: &ValidOrder,
        available: &Amount,
    ) -> Result<core::result::Result<(Amount, EnergyCode), EnergyCode>> {
        if available.cmp_amount(&valid.maximum)?.is_ge() {
            return Ok(Ok((valid.maximum, EnergyCode::Held)));
        }
        Ok(match order.below_maximum {
            BelowMaximum::Decline => Err(EnergyCode::BalanceBelowMaximum),
            BelowMaximum::HoldAvailable => Ok((*available, EnergyCode::HeldAvailable)),
            BelowMaximum::LowerMaximum => {
                let step = valid
                    .step
                    .map(|s| s.to_minor_units())
                    .filter(|s| *s > 0)
                    .unwrap_or(1);
                let units = available.to_minor_units().max(0);
                let lowered = units
                    .checked_div(step)
                    .and_then(|n| n.checked_mul(step))
                    .unwrap_or(0);
                Ok((
                    Amount::from_minor_units(lowered, self.currency)?,
                    EnergyCode::MaximumLowered,
                ))
            }
        })
    }

    /// Handles an `energy.tariff-change` envelope (answer: a signed `energy.authorisation`).
    ///
    /// Errors: as [`EnergyServer::authorise`].
    pub fn change_tariff(
        &mut self,
        bytes: &[u8],
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<ServerReply> {
        let Received {
            hash,
            opened,
            station: _,
            payload: change,
        } = match self.receive::<TariffChange>(bytes, now, signer, TARIFF_CHANGE_TYPE)? {
            Ok(received) => received,
            Err(reply) => return Ok(reply),
        };
        let order_id = change.order_id.clone();
        if let Err(code) = self.check_session(&order_id, &opened) {
            return Ok(ServerReply::refused(code, Some(&order_id)));
        }
        let decided = self.decide_tariff_change(&change, now)?;
        if !decided.changed {
            return Ok(ServerReply {
                ledger_code: decided.ledger_code.map(|c| c.as_str().to_owned()),
                ..ServerReply::refused(decided.code, Some(&order_id))
            });
        }
        if let Some(session) = self.sessions.get_mut(&order_id) {
            session.last_seq = opened.seq;
        }
        let payload = self.authorisation(&order_id, hash, &decided);
        self.answer(
            &order_id,
            hash,
            &decided,
            (AUTHORISATION_TYPE, &payload),
            now,
            signer,
        )
    }

    fn decide_tariff_change(&mut self, change: &TariffChange, now: i64) -> Result<Decided> {
        let Some(session) = self.sessions.get(&change.order_id) else {
            return Ok(refusal(EnergyCode::UnknownOrder));
        };
        if session.state == SessionState::Expired {
            return Ok(refusal(EnergyCode::HoldExpired));
        }
        if usize::try_from(change.change_no).ok() != Some(session.segments.len())
            || session.segments.len() > TARIFF_CHANGES_MAX
        {
            return Ok(refusal(EnergyCode::TariffChangeOutOfOrder));
        }
        let Ok(base) = Pricing::from_tariff(&session.order.tariff) else {
            return Ok(refusal(EnergyCode::OrderInvalid));
        };
        if session::check_tariff(&base, &change.tariff).is_err() {
            return Ok(refusal(EnergyCode::TariffInvalid));
        }
        let increment = match change.increment.as_deref() {
            None => None,
            Some(text) => match Amount::parse(text, self.currency, None) {
                Ok(amount) if amount.to_minor_units() > 0 => Some(amount),
                _ => return Ok(refusal(EnergyCode::TariffInvalid)),
            },
        };
        // quantityAt: at the resolution, not below the last start, paid for by the hold.
        let Some(hold) = self.ledger.hold_view(&change.order_id) else {
            return Ok(refusal(EnergyCode::UnknownOrder));
        };
        let held = Amount::parse(&hold.amount, self.currency, None)?;
        let at_ok = base.steps_of(&change.quantity_at).is_ok_and(|steps| {
            session::limit_steps(&session.segments, &base, &held).is_ok_and(|limit| steps <= limit)
                && session::cost_segments(&session.segments, &base, steps).is_ok()
        });
        if !at_ok {
            return Ok(refusal(EnergyCode::ReadingsInvalid));
        }
        let from_quantity = base
            .steps_of(&change.quantity_at)
            .and_then(|steps| session::quantity_string(&base, steps))?;
        let (code, ledger_code) = match increment {
            None => (EnergyCode::TariffChanged, None),
            Some(amount) => {
                let outcome = self.ledger.increment(&IncrementRequest {
                    idempotency_key: self.ledger_key(),
                    now,
                    hold_id: change.order_id.clone(),
                    amount: amount.to_string(),
                    currency: self.currency.code().to_owned(),
                })?;
                self.note(&outcome);
                match outcome.code {
                    LedgerCode::Incremented => (EnergyCode::TariffChanged, None),
                    LedgerCode::InsufficientFunds => (
                        EnergyCode::IncrementDeclined,
                        Some(LedgerCode::InsufficientFunds),
                    ),
                    LedgerCode::HoldExpired => return Ok(refusal(EnergyCode::HoldExpired)),
                    other => {
                        return Ok(Decided {
                            code: EnergyCode::LedgerRefused,
                            ledger_code: Some(other),
                            changed: false,
                        })
                    }
                }
            }
        };
        if let Some(session) = self.sessions.get_mut(&change.order_id) {
            session.segments.push(TariffSegment {
                from_quantity,
                tariff: change.tariff.clone(),
            });
            if code == EnergyCode::TariffChanged {
                if let Some(amount) = increment {
                    session.increments.push(amount.to_string());
                }
            }
        }
        Ok(Decided {
            code,
            ledger_code,
            changed: true,
        })
    }

    /// Handles an `energy.extend` envelope (answer: a signed `energy.authorisation`).
    ///
    /// Errors: as [`EnergyServer::authorise`].
    pub fn extend(&mut self, bytes: &[u8], now: i64, signer: &Signer<'_>) -> Result<ServerReply> {
        let Received {
            hash,
            opened,
            station: _,
            payload: extension,
        } = match self.receive::<Extension>(bytes, now, signer, EXTEND_TYPE)? {
            Ok(received) => received,
            Err(reply) => return Ok(reply),
        };
        let order_id = extension.order_id.clone();
        if let Err(code) = self.check_session(&order_id, &opened) {
            return Ok(ServerReply::refused(code, Some(&order_id)));
        }
        if self.sessions.get(&order_id).map(|s| s.state) == Some(SessionState::Expired) {
            return Ok(ServerReply::refused(
                EnergyCode::HoldExpired,
                Some(&order_id),
            ));
        }
        if check_time(extension.expires_at, "expiresAt").is_err() {
            return Ok(ServerReply::refused(
                EnergyCode::DeadlineInvalid,
                Some(&order_id),
            ));
        }
        let outcome = self.ledger.extend(&ExtendRequest {
            idempotency_key: self.ledger_key(),
            now,
            hold_id: order_id.clone(),
            expires_at: extension.expires_at,
        })?;
        self.note(&outcome);
        let code = match outcome.code {
            LedgerCode::Extended => EnergyCode::Extended,
            LedgerCode::DeadlineInvalid => EnergyCode::DeadlineInvalid,
            LedgerCode::HoldExpired => EnergyCode::HoldExpired,
            other => {
                return Ok(ServerReply {
                    ledger_code: Some(other.as_str().to_owned()),
                    ..ServerReply::refused(EnergyCode::LedgerRefused, Some(&order_id))
                })
            }
        };
        if code != EnergyCode::Extended {
            return Ok(ServerReply::refused(code, Some(&order_id)));
        }
        if let Some(session) = self.sessions.get_mut(&order_id) {
            session.last_seq = opened.seq;
            session.deadline = extension.expires_at;
        }
        let decided = Decided {
            code,
            ledger_code: None,
            changed: true,
        };
        let payload = self.authorisation(&order_id, hash, &decided);
        self.answer(
            &order_id,
            hash,
            &decided,
            (AUTHORISATION_TYPE, &payload),
            now,
            signer,
        )
    }

    /// Handles an `energy.completion` envelope: captures the metered cost and releases the rest
    /// (or applies the late-completion policy), closes the session, and answers with a signed
    /// `energy.receipt`.
    ///
    /// Errors: as [`EnergyServer::authorise`].
    pub fn complete(&mut self, bytes: &[u8], now: i64, signer: &Signer<'_>) -> Result<ServerReply> {
        let Received {
            hash,
            opened,
            station: _,
            payload: completion,
        } = match self.receive::<Completion>(bytes, now, signer, COMPLETION_TYPE)? {
            Ok(received) => received,
            Err(reply) => return Ok(reply),
        };
        let order_id = completion.order_id.clone();
        if let Err(code) = self.check_session(&order_id, &opened) {
            return Ok(ServerReply::refused(code, Some(&order_id)));
        }
        let (decided, receipt) = match self.decide_completion(&completion, hash, now)? {
            Ok(done) => done,
            Err(refused) => {
                return Ok(ServerReply {
                    ledger_code: refused.ledger_code.map(|c| c.as_str().to_owned()),
                    ..ServerReply::refused(refused.code, Some(&order_id))
                })
            }
        };
        let payload = to_payload(&receipt);
        if let Some(session) = self.sessions.get_mut(&order_id) {
            session.last_seq = opened.seq;
            session.state = SessionState::Closed;
            session.receipt = Some(receipt);
        }
        self.answer(
            &order_id,
            hash,
            &decided,
            (RECEIPT_TYPE, &payload),
            now,
            signer,
        )
    }

    fn decide_completion(
        &mut self,
        completion: &Completion,
        request: [u8; 32],
        now: i64,
    ) -> Result<core::result::Result<(Decided, Receipt), Decided>> {
        let Some(session) = self.sessions.get(&completion.order_id) else {
            return Ok(Err(refusal(EnergyCode::UnknownOrder)));
        };
        let Ok(base) = Pricing::from_tariff(&session.order.tariff) else {
            return Ok(Err(refusal(EnergyCode::OrderInvalid)));
        };
        // Readings: bounded, at the resolution, non-decreasing in quantity and time.
        let mut previous: Option<(u128, i64)> = None;
        for reading in completion.readings.iter().take(READINGS_MAX) {
            let Ok(steps) = base.steps_of(&reading.quantity) else {
                return Ok(Err(refusal(EnergyCode::ReadingsInvalid)));
            };
            if check_time(reading.at, "at").is_err()
                || previous.is_some_and(|(q, t)| steps < q || reading.at < t)
            {
                return Ok(Err(refusal(EnergyCode::ReadingsInvalid)));
            }
            previous = Some((steps, reading.at));
        }
        if completion.readings.len() > READINGS_MAX {
            return Ok(Err(refusal(EnergyCode::ReadingsInvalid)));
        }
        let final_steps = previous.map_or(0, |(q, _)| q);
        let Ok((segment_costs, cost)) =
            session::cost_segments(&session.segments, &base, final_steps)
        else {
            return Ok(Err(refusal(EnergyCode::ReadingsInvalid)));
        };
        let Some(hold) = self.ledger.hold_view(&completion.order_id) else {
            return Ok(Err(refusal(EnergyCode::UnknownOrder)));
        };
        let order = session.order.clone();
        let increments = session.increments.clone();
        let mut late = session.state == SessionState::Expired;
        let zero = Amount::zero(self.currency);
        let mut captured = zero;
        let mut ledger_code = None;
        let mut code = EnergyCode::Completed;
        if !late {
            let pending = Amount::parse(&hold.pending, self.currency, None)?;
            let capture = if cost.total.cmp_amount(&pending)?.is_gt() {
                code = EnergyCode::CompletedCapped;
                pending
            } else {
                cost.total
            };
            let outcome = if capture.is_zero() {
                code = EnergyCode::CompletedNothingDelivered;
                self.ledger.void(&VoidRequest {
                    idempotency_key: self.ledger_key(),
                    now,
                    hold_id: order.order_id.clone(),
                })?
            } else {
                self.ledger.post(&PostRequest {
                    idempotency_key: self.ledger_key(),
                    now,
                    hold_id: order.order_id.clone(),
                    amount: Some(capture.to_string()),
                    currency: Some(self.currency.code().to_owned()),
                    is_final: true,
                })?
            };
            self.note(&outcome);
            match outcome.code {
                LedgerCode::Posted | LedgerCode::Voided => {
                    captured = capture;
                    ledger_code = Some(outcome.code);
                }
                // Expired lazily by this very operation: the late path.
                LedgerCode::HoldExpired => late = true,
                other => {
                    return Ok(Err(Decided {
                        code: EnergyCode::LedgerRefused,
                        ledger_code: Some(other),
                        changed: false,
                    }))
                }
            }
        }
        if late {
            let held = Amount::parse(&hold.amount, self.currency, None)?;
            let charge = if cost.total.cmp_amount(&held)?.is_gt() {
                held
            } else {
                cost.total
            };
            code = match self.config.late_completion {
                LateCompletion::Reject => EnergyCode::LateCompletionRejected,
                LateCompletion::ChargeIfFunds if charge.is_zero() => {
                    EnergyCode::CompletedNothingDelivered
                }
                LateCompletion::ChargeIfFunds => {
                    let outcome = self.ledger.transfer(&TransferRequest {
                        idempotency_key: self.ledger_key(),
                        now,
                        debit_account_id: wallet_account(&order.wallet_id),
                        credit_account_id: station_account(&order.station_id),
                        amount: charge.to_string(),
                        currency: self.currency.code().to_owned(),
                    })?;
                    self.note(&outcome);
                    ledger_code = Some(outcome.code);
                    match outcome.code {
                        LedgerCode::Transferred => {
                            captured = charge;
                            EnergyCode::LateCharged
                        }
                        LedgerCode::InsufficientFunds => EnergyCode::LateChargeDeclined,
                        other => {
                            return Ok(Err(Decided {
                                code: EnergyCode::LedgerRefused,
                                ledger_code: Some(other),
                                changed: false,
                            }))
                        }
                    }
                }
            };
        }
        let after = self
            .ledger
            .hold_view(&order.order_id)
            .unwrap_or_else(|| hold.clone());
        let receipt = Receipt {
            order_id: order.order_id.clone(),
            in_reply_to: request.to_vec(),
            code,
            ledger_code: ledger_code.map(|c| c.as_str().to_owned()),
            wallet_id: order.wallet_id.clone(),
            station_id: order.station_id.clone(),
            currency: self.currency.code().to_owned(),
            hold_id: after.hold_id.clone(),
            held: after.amount.clone(),
            increments,
            expires_at: after.expires_at,
            completed_at: now.max(self.ledger.clock()),
            late,
            readings: completion.readings.clone(),
            quantity: session::quantity_string(&base, final_steps)?,
            unit: base.unit(),
            segments: segment_costs,
            cost: cost.breakdown(),
            captured: captured.to_string(),
            released: after.released.clone(),
            uncollected: cost.total.checked_sub(&captured)?.to_string(),
        };
        Ok(Ok((
            Decided {
                code,
                ledger_code,
                changed: true,
            },
            receipt,
        )))
    }
}
