//! Deterministic CBOR of the ledger's operations, results and state (the crate's strict codec:
//! definite lengths, shortest forms, one accepted encoding — decoders re-encode and compare).
//!
//! ```text
//! op        = [kind, idempotencyKey tstr, now int, ...fields]      (fields by kind, below)
//!   0 openAccount     accountId, currency, kind (0 unrestricted | 1 nonNegative | 2 creditLine), creditLimit tstr / null
//!   1 transfer        debitAccountId, creditAccountId, currency, amount tstr
//!   2 hold            holdId, debitAccountId, creditAccountId, currency, amount tstr, expiresAt int
//!   3 increment       holdId, currency, amount tstr
//!   4 extend          holdId, expiresAt int
//!   5 post            holdId, currency / null, amount tstr / null, final bool
//!   6 void            holdId
//!   7 expireDue       —
//!   8 setCreditLimit  accountId, currency, creditLimit tstr
//!   9 closeAccount    accountId
//!  10 setKeyRetention keysKeptBy (0 ledger | 1 store)
//! fingerprint = SHA-256(op without its `now` item)
//! amounts     = canonical decimal strings at the currency's scale ("12.30", "-1.00", "5")
//! result    = [code tstr, hold / null, expired [holdId tstr]]
//! hold      = [id, debitAccountId, creditAccountId, currency, state (0 pending | 1 posted |
//!              2 voided | 3 expired), pending uint, posted uint, released uint, expiresAt int,
//!              resolvedSeq uint / null]                            (amounts in minor units)
//! account   = [id, currency, kind, creditLimit uint, closed bool, debitsPosted uint,
//!              creditsPosted uint, debitsPending uint, creditsPending uint]
//! key       = [idempotencyKey, fingerprint bstr(32), seq uint, time int, result]
//! state     = [clock int, headSeq uint, headHash bstr(32), [account] by id, [hold] by id,
//!              [key] by seq, (keysKeptBy 1)]   (keysKeptBy only when "store": a ledger that
//!                                               never set it encodes as before)
//! ```

use std::sync::Arc;

use minicbor::Decoder;

use super::engine;
use super::{
    Account, AccountKind, Action, BatchOperation, CloseAccountRequest, ExpireDueRequest, ExtendRequest, Hold,
    HoldRequest, HoldState, IncrementRequest, JournalHead, KeyRecord, KeysKeptBy, Ledger, LedgerCode, Op,
    OpenAccountRequest, Operation, PostRequest, SetCapacityRequest, SetCreditLimitRequest, SetKeyRetentionRequest,
    TransferRequest, Verdict, VoidRequest, ACCOUNTS_CAPACITY_MAX, ACCOUNTS_MAX, BATCH_OPERATIONS_MAX, EXPIRE_BATCH_MAX,
    HOLDS_CAPACITY_MAX, HOLDS_MAX, HOLDS_PER_ACCOUNT_MAX,
    HOLDS_RESOLVED_RETAINED_MAX, IDEMPOTENCY_KEYS_MAX,
};
use crate::crypto::sha256_parts;
#[cfg(test)]
use crate::crypto::sha256;
use crate::limits::cbor::{self, Cbor, Enc};
use crate::limits::CurrencyCode;
use crate::money::Amount;

/// The most hold ids one result lists (an account's overdue holds, or a batch, plus one).
pub(super) const EXPIRED_PER_RESULT_MAX: usize = if EXPIRE_BATCH_MAX > HOLDS_PER_ACCOUNT_MAX {
    EXPIRE_BATCH_MAX + 1
} else {
    HOLDS_PER_ACCOUNT_MAX + 1
};

fn kind_code(kind: AccountKind) -> u64 {
    match kind {
        AccountKind::Unrestricted => 0,
        AccountKind::NonNegative => 1,
        AccountKind::CreditLine => 2,
    }
}

fn kind_of(code: u8) -> Option<AccountKind> {
    Some(match code {
        0 => AccountKind::Unrestricted,
        1 => AccountKind::NonNegative,
        2 => AccountKind::CreditLine,
        _ => return None,
    })
}

fn amount(e: &mut Enc, amount: &Amount) {
    e.str(amount.currency().code()).str(amount.text().as_str());
}

/// Encodes `op`, with or without its `now` (the fingerprint leaves it out); returns where the
/// `now` item is in `e`'s bytes (an empty range without it).
fn encode_op(e: &mut Enc, op: &Op, with_now: bool) -> core::ops::Range<usize> {
    let (kind, fields): (u64, u64) = match &op.action {
        Action::OpenAccount { .. } => (0, 4),
        Action::Transfer { .. } => (1, 4),
        Action::Hold { .. } => (2, 6),
        Action::Increment { .. } => (3, 3),
        Action::Extend { .. } => (4, 2),
        Action::Post { .. } => (5, 4),
        Action::Void { .. } => (6, 1),
        Action::ExpireDue => (7, 0),
        Action::SetCreditLimit { .. } => (8, 3),
        Action::CloseAccount { .. } => (9, 1),
        Action::SetKeyRetention { key_window, .. } => (10, 1 + u64::from(key_window.is_some())),
        Action::SetCapacity { .. } => (11, 2),
    };
    e.array(2 + u64::from(with_now) + fields)
        .u64(kind)
        .str(&op.key);
    let now_start = e.written();
    if with_now {
        e.i64(op.now);
    }
    let now = now_start..e.written();
    match &op.action {
        Action::OpenAccount {
            account,
            currency,
            kind,
            credit_limit,
        } => {
            e.str(account).str(currency.0.code()).u64(kind_code(*kind));
            match credit_limit {
                Some(limit) => e.str(&limit.to_string()),
                None => e.null(),
            };
        }
        Action::Transfer {
            debit,
            credit,
            amount: a,
        } => {
            e.str(debit).str(credit);
            amount(e, a);
        }
        Action::Hold {
            hold,
            debit,
            credit,
            amount: a,
            expires_at,
        } => {
            e.str(hold).str(debit).str(credit);
            amount(e, a);
            e.i64(*expires_at);
        }
        Action::Increment { hold, amount: a } => {
            e.str(hold);
            amount(e, a);
        }
        Action::Extend { hold, expires_at } => {
            e.str(hold).i64(*expires_at);
        }
        Action::Post {
            hold,
            amount: a,
            is_final,
        } => {
            e.str(hold);
            match a {
                Some(a) => amount(e, a),
                None => {
                    e.null().null();
                }
            }
            e.bool(*is_final);
        }
        Action::Void { hold } => {
            e.str(hold);
        }
        Action::ExpireDue => {}
        Action::SetCreditLimit {
            account,
            credit_limit,
        } => {
            e.str(account);
            amount(e, credit_limit);
        }
        Action::CloseAccount { account } => {
            e.str(account);
        }
        Action::SetKeyRetention { keys_kept_by, key_window } => {
            e.u64(keys_kept_by_code(*keys_kept_by));
            // Written only when not the default, so entries from before the window existed
            // encode (and hash) as they did.
            if let Some(window) = key_window {
                e.u64(u64::from(*window));
            }
        }
        Action::SetCapacity { accounts_max, holds_max } => {
            e.u64(u64::from(*accounts_max)).u64(u64::from(*holds_max));
        }
    }
    now
}

fn keys_kept_by_code(keys_kept_by: KeysKeptBy) -> u64 {
    match keys_kept_by {
        KeysKeptBy::Ledger => 0,
        KeysKeptBy::Store => 1,
    }
}

fn keys_kept_by_of(code: u8) -> Option<KeysKeptBy> {
    Some(match code {
        0 => KeysKeptBy::Ledger,
        1 => KeysKeptBy::Store,
        _ => return None,
    })
}

/// An operation's usual encoded size without its key and time (ids, amounts, currency).
const OP_BYTES_USUAL: usize = 192;

/// SHA-256 of the operation encoded without its `now`: the definition of "the same request",
/// which [`OpBytes::fingerprint`] must equal (a test checks every kind).
#[cfg(test)]
pub(super) fn fingerprint(op: &Op) -> [u8; 32] {
    let mut e = Enc::with_capacity(OP_BYTES_USUAL);
    encode_op(&mut e, op, false);
    sha256(&e.into_bytes())
}

/// An operation encoded once, with its `now`: copied into its journal entry, and hashed without
/// the `now` item for its fingerprint, instead of encoding it a second time (ids, amount text)
/// for the fingerprint alone.
pub(super) struct OpBytes {
    bytes: Vec<u8>,
    /// Where the `now` item is in `bytes`.
    now: core::ops::Range<usize>,
}

impl OpBytes {
    pub(super) fn new(op: &Op) -> OpBytes {
        let mut e = Enc::with_capacity(OP_BYTES_USUAL);
        let now = encode_op(&mut e, op, true);
        OpBytes { bytes: e.into_bytes(), now }
    }

    /// The canonical CBOR of the operation (with `now`).
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of the operation without its `now`: what "the same request" means. The same
    /// bytes as encoding it without `now`: the array's header counts one item less — a one-byte
    /// header (`0x80 | count`, as every operation has at most 9 items: 2 + now + 6 fields) — and
    /// the `now` item is skipped.
    pub(super) fn fingerprint(&self) -> [u8; 32] {
        let (header, rest) = self.bytes.split_first().map_or((0, &[][..]), |(h, rest)| (*h, rest));
        let before_now = rest.get(..self.now.start.saturating_sub(1)).unwrap_or_default();
        let after_now = self.bytes.get(self.now.end..).unwrap_or_default();
        sha256_parts(&[&[header.wrapping_sub(1)], before_now, after_now])
    }
}

/// A text string or null.
fn opt_string(d: &mut Decoder<'_>) -> Option<Option<String>> {
    cbor::opt::<String>(d)
}

impl Cbor for Op {
    fn encode(&self, e: &mut Enc) {
        encode_op(e, self, true);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        // The same validation as a caller's request.
        engine::validate(&operation_of_cbor(d)?).ok()
    }
}

/// A batch in the operations' encoding, `[linked bool, op, linked bool, op, ...]` (at most
/// [`BATCH_OPERATIONS_MAX`] operations), as the [`BatchOperation`]s a caller would have given:
/// not validated here — [`Ledger::execute_batch`] validates them as it validates any batch, with
/// the same errors. `None`: not such an encoding. The SDK writes it for a batch of well-formed
/// plain operations (`sdk-ts/src/ledger-wire.ts`) instead of handing the adapter one JS object
/// per operation, whose fields it would read with one boundary crossing or more each.
pub fn batch_from_cbor(bytes: &[u8]) -> Option<Vec<BatchOperation>> {
    let mut d = Decoder::new(bytes);
    let items = usize::try_from(cbor::array_len(&mut d)?).ok()?;
    if items % 2 != 0 || items / 2 > BATCH_OPERATIONS_MAX {
        return None;
    }
    let mut batch = Vec::with_capacity(items / 2);
    for _ in 0..items / 2 {
        let linked = cbor::bool(&mut d)?;
        batch.push(BatchOperation { operation: operation_of_cbor(&mut d)?, linked });
    }
    (d.position() == bytes.len()).then_some(batch)
}

/// An operation's encoding (`op` in the module docs) as the request it was made from, not yet
/// validated.
fn operation_of_cbor(d: &mut Decoder<'_>) -> Option<Operation> {
    let len = cbor::array_len(d)?;
    let kind = cbor::u8(d)?;
    let idempotency_key = cbor::string(d)?;
    let now = cbor::i64(d)?;
    let s = cbor::string;
    let operation = match (kind, len) {
        (0, 7) => Operation::OpenAccount(OpenAccountRequest {
            idempotency_key,
            now,
            account_id: s(d)?,
            currency: s(d)?,
            kind: kind_of(cbor::u8(d)?)?,
            credit_limit: opt_string(d)?,
        }),
        (1, 7) => Operation::Transfer(TransferRequest {
            idempotency_key,
            now,
            debit_account_id: s(d)?,
            credit_account_id: s(d)?,
            currency: s(d)?,
            amount: s(d)?,
        }),
        (2, 9) => Operation::Hold(HoldRequest {
            idempotency_key,
            now,
            hold_id: s(d)?,
            debit_account_id: s(d)?,
            credit_account_id: s(d)?,
            currency: s(d)?,
            amount: s(d)?,
            expires_at: cbor::i64(d)?,
        }),
        (3, 6) => Operation::Increment(IncrementRequest {
            idempotency_key,
            now,
            hold_id: s(d)?,
            currency: s(d)?,
            amount: s(d)?,
        }),
        (4, 5) => Operation::Extend(ExtendRequest {
            idempotency_key,
            now,
            hold_id: s(d)?,
            expires_at: cbor::i64(d)?,
        }),
        (5, 7) => Operation::Post(PostRequest {
            idempotency_key,
            now,
            hold_id: s(d)?,
            currency: opt_string(d)?,
            amount: opt_string(d)?,
            is_final: cbor::bool(d)?,
        }),
        (6, 4) => Operation::Void(VoidRequest {
            idempotency_key,
            now,
            hold_id: s(d)?,
        }),
        (7, 3) => Operation::ExpireDue(ExpireDueRequest {
            idempotency_key,
            now,
        }),
        (8, 6) => Operation::SetCreditLimit(SetCreditLimitRequest {
            idempotency_key,
            now,
            account_id: s(d)?,
            currency: s(d)?,
            credit_limit: s(d)?,
        }),
        (9, 4) => Operation::CloseAccount(CloseAccountRequest {
            idempotency_key,
            now,
            account_id: s(d)?,
        }),
        (10, 4) => Operation::SetKeyRetention(SetKeyRetentionRequest {
            idempotency_key,
            now,
            keys_kept_by: keys_kept_by_of(cbor::u8(d)?)?,
            key_window: None,
        }),
        (10, 5) => Operation::SetKeyRetention(SetKeyRetentionRequest {
            idempotency_key,
            now,
            keys_kept_by: keys_kept_by_of(cbor::u8(d)?)?,
            key_window: Some(u32::try_from(cbor::u64(d)?).ok()?),
        }),
        (11, 5) => Operation::SetCapacity(SetCapacityRequest {
            idempotency_key,
            now,
            accounts_max: u32::try_from(cbor::u64(d)?).ok()?,
            holds_max: u32::try_from(cbor::u64(d)?).ok()?,
        }),
        _ => return None,
    };
Some(operation)
}

impl Cbor for LedgerCode {
    fn encode(&self, e: &mut Enc) {
        e.str(self.as_str());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        LedgerCode::from_name(d.str().ok()?)
    }
}

impl Cbor for HoldState {
    fn encode(&self, e: &mut Enc) {
        e.u64(match self {
            HoldState::Pending => 0,
            HoldState::Posted => 1,
            HoldState::Voided => 2,
            HoldState::Expired => 3,
        });
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(match cbor::u8(d)? {
            0 => HoldState::Pending,
            1 => HoldState::Posted,
            2 => HoldState::Voided,
            3 => HoldState::Expired,
            _ => return None,
        })
    }
}

impl Cbor for Hold {
    fn encode(&self, e: &mut Enc) {
        e.array(10).str(&self.id).str(&self.debit).str(&self.credit);
        self.currency.encode(e);
        self.state.encode(e);
        e.u128(self.pending)
            .u128(self.posted)
            .u128(self.released)
            .i64(self.expires_at)
            .opt(self.resolved_seq.as_ref());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 10)?;
        Some(Hold {
            id: cbor::string(d)?,
            debit: cbor::string(d)?,
            credit: cbor::string(d)?,
            currency: CurrencyCode::decode(d)?,
            state: HoldState::decode(d)?,
            pending: cbor::u128(d)?,
            posted: cbor::u128(d)?,
            released: cbor::u128(d)?,
            expires_at: cbor::i64(d)?,
            resolved_seq: cbor::opt(d)?,
        })
    }
}

impl Cbor for Verdict {
    fn encode(&self, e: &mut Enc) {
        e.array(3);
        self.code.encode(e);
        e.opt(self.hold.as_deref()).list(&self.expired);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        Some(Verdict {
            code: LedgerCode::decode(d)?,
            hold: cbor::opt::<Hold>(d)?.map(Box::new),
            expired: cbor::list(d, EXPIRED_PER_RESULT_MAX)?,
        })
    }
}

impl Cbor for Account {
    fn encode(&self, e: &mut Enc) {
        e.array(9).str(&self.id);
        self.currency.encode(e);
        e.u64(kind_code(self.kind))
            .u128(self.credit_limit)
            .bool(self.closed)
            .u128(self.debits_posted)
            .u128(self.credits_posted)
            .u128(self.debits_pending)
            .u128(self.credits_pending);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 9)?;
        Some(Account {
            id: super::inline_id::InlineId::new(d.str().ok()?),
            currency: CurrencyCode::decode(d)?,
            kind: kind_of(cbor::u8(d)?)?,
            credit_limit: cbor::u128(d)?,
            closed: cbor::bool(d)?,
            debits_posted: cbor::u128(d)?,
            credits_posted: cbor::u128(d)?,
            debits_pending: cbor::u128(d)?,
            credits_pending: cbor::u128(d)?,
            debit_holds: super::debit_index::ListHead::default(),
        })
    }
}

/// 32 bytes.
pub(super) fn hash32(d: &mut Decoder<'_>) -> Option<[u8; 32]> {
    d.bytes().ok()?.try_into().ok()
}

impl Cbor for KeyRecord {
    fn encode(&self, e: &mut Enc) {
        e.array(5)
            .str(&self.key)
            .bytes(&self.fingerprint)
            .u64(self.seq)
            .i64(self.time);
        self.verdict.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(KeyRecord {
            key: Arc::from(cbor::string(d)?),
            fingerprint: hash32(d)?,
            seq: cbor::u64(d)?,
            time: cbor::i64(d)?,
            verdict: Verdict::decode(d)?,
        })
    }
}

/// The state (not the retained journal). Decoding rebuilds the indexes; a list out of order or
/// with duplicates re-encodes differently and is refused by `cbor::from_slice`.
impl Cbor for Ledger {
    fn encode(&self, e: &mut Enc) {
        // The defaults ("ledger", IDEMPOTENCY_KEYS_MAX, ACCOUNTS_MAX / HOLDS_MAX) are left out,
        // so a ledger that never set them encodes exactly as before they existed (snapshots,
        // state digests and vectors unchanged): 6 items; 7 with the mode "store"; 8 with a key
        // window (and the mode); 10 with a capacity (and the mode and window).
        let capacity = (self.accounts_max, self.holds_max) != (ACCOUNTS_MAX, HOLDS_MAX);
        let window = capacity || self.key_window != IDEMPOTENCY_KEYS_MAX;
        let store = self.keys_kept_by == KeysKeptBy::Store;
        e.array(if capacity { 10 } else if window { 8 } else { 6 + u64::from(store) })
            .i64(self.clock)
            .u64(self.head.seq)
            .bytes(&self.head.hash);
        e.array(self.accounts.len() as u64);
        for account in self.accounts.values() {
            account.encode(e);
        }
        e.array(self.holds.len() as u64);
        for hold in self.holds.values() {
            hold.encode(e);
        }
        e.array(self.key_order.len() as u64);
        for &(_, at) in &self.key_order {
            if let Some(record) = self.keys.at(at) {
                record.encode(e);
            }
        }
        if store || window {
            e.u64(keys_kept_by_code(self.keys_kept_by));
        }
        if window {
            e.u64(self.key_window as u64);
        }
        if capacity {
            e.u64(self.accounts_max as u64).u64(self.holds_max as u64);
        }
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let len = cbor::array_len(d)?;
        let mut ledger = Ledger::new();
        ledger.clock = cbor::i64(d)?;
        ledger.head = JournalHead {
            seq: cbor::u64(d)?,
            hash: hash32(d)?,
        };
        // Bounded by the largest capacity here; by the ledger's own (read after the lists) in
        // the invariants that every restore checks.
        for account in cbor::list::<Account>(d, ACCOUNTS_CAPACITY_MAX)? {
            ledger.accounts.put(account);
        }
        let holds = cbor::list::<Hold>(d, HOLDS_CAPACITY_MAX.saturating_add(HOLDS_RESOLVED_RETAINED_MAX))?;
        for hold in holds {
            // A repeated id replaces the hold before (and re-encodes differently: refused).
            let id = hold.id.clone();
            ledger.put_hold(&id, Some(hold));
        }
        // By ascending seq, each key once (the queue's order; the newest
        // IDEMPOTENCY_OUTCOMES_MAX keep their whole outcome: checked by the invariants).
        for record in cbor::list::<KeyRecord>(d, IDEMPOTENCY_KEYS_MAX)? {
            if ledger.key_order.back().is_some_and(|(seq, _)| *seq >= record.seq) {
                return None;
            }
            if ledger.keys.contains_key(&record.key) {
                return None;
            }
            let seq = record.seq;
            let at = ledger.keys.insert_new(record);
            ledger.key_order.push_back((seq, at));
        }
        // The defaults are left out (re-encoding refuses them written).
        (ledger.keys_kept_by, ledger.key_window) = match len {
            6 => (KeysKeptBy::Ledger, IDEMPOTENCY_KEYS_MAX),
            7 => (keys_kept_by_of(cbor::u8(d)?)?, IDEMPOTENCY_KEYS_MAX),
            8 | 10 => (keys_kept_by_of(cbor::u8(d)?)?, usize::try_from(cbor::u64(d)?).ok()?),
            _ => return None,
        };
        if len == 10 {
            ledger.accounts_max = usize::try_from(cbor::u64(d)?).ok()?;
            ledger.holds_max = usize::try_from(cbor::u64(d)?).ok()?;
        }
        Some(ledger)
    }
}

/// The state's canonical bytes (a snapshot's body).
pub(super) fn state_bytes(ledger: &Ledger) -> Vec<u8> {
    cbor::to_vec(ledger)
}
