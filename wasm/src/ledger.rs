//! wasm-bindgen adapter for the ledger primitive: conversions only (see lib.rs). The rules are
//! in `countersign_core::ledger`.

use countersign_core::error::{Error, ErrorCode};
use countersign_core::ledger::{
    BatchError, BatchOperation, CloseAccountRequest, ExpireDueRequest, ExtendRequest, HoldRequest, HoldState, IncrementRequest, Ledger,
    KeysKeptBy, LedgerCode, OpenAccountRequest, Operation, Outcome, PostRequest, SetCapacityRequest, SetCreditLimitRequest, SetKeyRetentionRequest,
    TransferRequest, VoidRequest,
    BATCH_OPERATIONS_MAX, REPLAY_ENTRIES_MAX,
};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::de::{read, unknown_field_message, with_field_key};
use crate::{codes_to_js, to_js, to_js_error, type_error, JsResult};

/// Every ledger outcome code with its description.
#[wasm_bindgen(js_name = ledgerCodes)]
pub fn ledger_codes() -> Array {
    codes_to_js(LedgerCode::ALL, LedgerCode::as_str, LedgerCode::description)
}

/// The shard of an account among `shard_count` ledgers (`ledger::shard_of`, the sharded
/// ledger's routing rule). The SDK checked both arguments.
#[wasm_bindgen(js_name = ledgerShardOf)]
pub fn ledger_shard_of(account_id: &str, shard_count: u32) -> JsResult<u32> {
    countersign_core::ledger::shard_of(account_id, shard_count).map_err(to_js_error)
}

/// The fields of an operation object given to `execute`.
const OPERATION_FIELDS: &[&str] = &["op", "request"];
/// The fields of a batch element: an operation and its `linked` flag.
const BATCH_OPERATION_FIELDS: &[&str] = &["op", "request", "linked"];

/// Whether `value` has `key` as its own property; the key's JS string is made once per program
/// (`with_field_key`), not per call: a batch reads these names on each of its elements.
fn has_own(value: &JsValue, key: &'static str) -> bool {
    with_field_key(key, |key| Object::has_own(value.unchecked_ref::<Object>(), key))
}

/// `value[key]` (`undefined` when absent), with the key's JS string made once per program.
fn get_named(value: &JsValue, key: &'static str) -> JsValue {
    with_field_key(key, |key| Reflect::get(value, key).unwrap_or(JsValue::UNDEFINED))
}

/// An operation object's own key that is not one of `allowed`, as an error naming it (a misspelt
/// `linked` would otherwise run a chain unlinked, and a `linked` given to `execute` would link
/// nothing): what `de.rs` does for every request type, for the two objects around a request.
/// As there, the keys are counted first and read as strings (each a copy into wasm memory) only
/// when there are more than the allowed ones present: reading them on every element made a batch
/// slower per operation than single calls.
fn refuse_unknown_keys(value: &JsValue, allowed: &'static [&'static str]) -> Result<(), Error> {
    let keys = Object::keys(value.unchecked_ref::<Object>());
    let present = allowed.iter().filter(|key| has_own(value, key)).count();
    if keys.length() as usize <= present {
        return Ok(());
    }
    match keys.iter().filter_map(|key| key.as_string()).find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => {
            let message = unknown_field_message(&key, allowed);
            Err(Error::at_path(ErrorCode::InvalidType, key, message))
        }
        None => Ok(()),
    }
}

/// An `{op, request}` object as an [`Operation`]; errors name their path inside it
/// (`request.amount`, `op`). The caller puts the path under the argument's name only when there
/// is an error: a batch of well-formed operations builds no path string.
fn operation_of(value: &JsValue, allowed: &'static [&'static str]) -> Result<Operation, Error> {
    if !value.is_object() {
        return Err(Error::new(ErrorCode::InvalidType, "", "must be an object {op, request}"));
    }
    refuse_unknown_keys(value, allowed)?;
    let op = get_named(value, "op").as_string().unwrap_or_default();
    match request_of(&op, get_named(value, "request")) {
        Some(operation) => operation.map_err(|e| e.at("request")),
        None => Err(Error::at_path(ErrorCode::InvalidType, "op".to_owned(), format!("must name a ledger operation, got {op:?}"))),
    }
}

/// A batch element `{op, request, linked?}` as a [`BatchOperation`]; errors name their path
/// inside it (a field besides these three too).
fn batch_operation_of(value: &JsValue) -> Result<BatchOperation, Error> {
    let operation = operation_of(value, BATCH_OPERATION_FIELDS)?;
    // `undefined` is absent, as for the requests' fields (one JS call for an unlinked element);
    // a value counts only as an own property: a `linked` put on `Object.prototype` must not
    // link every element.
    let linked = Some(get_named(value, "linked"))
        .filter(|linked| !linked.is_undefined() && has_own(value, "linked"))
        .map_or(Some(false), |linked| linked.as_bool())
        .ok_or_else(|| Error::at_path(ErrorCode::InvalidType, "linked".to_owned(), "must be a boolean"))?;
    Ok(BatchOperation { operation, linked })
}

/// The request of operation `op` as an [`Operation`] (`None`: no such operation); errors name
/// the field (`amount`). Reads only that request type: serde's derive for the adjacently tagged
/// enum buffers every field into its generic `Content` first, which measured ~60 KB of wasm on
/// its own and is slower.
fn request_of(op: &str, request: JsValue) -> Option<Result<Operation, Error>> {
    Some(match op {
        "openAccount" => read::<OpenAccountRequest>(request, "").map(Operation::OpenAccount),
        "transfer" => read::<TransferRequest>(request, "").map(Operation::Transfer),
        "hold" => read::<HoldRequest>(request, "").map(Operation::Hold),
        "increment" => read::<IncrementRequest>(request, "").map(Operation::Increment),
        "extend" => read::<ExtendRequest>(request, "").map(Operation::Extend),
        "post" => read::<PostRequest>(request, "").map(Operation::Post),
        "void" => read::<VoidRequest>(request, "").map(Operation::Void),
        "expireDue" => read::<ExpireDueRequest>(request, "").map(Operation::ExpireDue),
        "setCreditLimit" => read::<SetCreditLimitRequest>(request, "").map(Operation::SetCreditLimit),
        "closeAccount" => read::<CloseAccountRequest>(request, "").map(Operation::CloseAccount),
        "setKeyRetention" => read::<SetKeyRetentionRequest>(request, "").map(Operation::SetKeyRetention),
        "setCapacity" => read::<SetCapacityRequest>(request, "").map(Operation::SetCapacity),
        _ => return None,
    })
}

/// Byte strings from a JS array of `Uint8Array`s (journal entries), at most `max`.
fn byte_strings(entries: &Array, param: &'static str, max: usize) -> JsResult<Vec<Vec<u8>>> {
    let len = entries.length() as usize;
    if len > max {
        return Err(to_js_error(Error::new(
            ErrorCode::LimitExceeded,
            param,
            format!("at most {max} entries per call, got {len}"),
        )));
    }
    let mut out = Vec::with_capacity(len);
    for value in entries.iter() {
        let bytes: Uint8Array = value
            .dyn_into()
            .map_err(|_| type_error(param, "every entry must be a Uint8Array"))?;
        out.push(bytes.to_vec());
    }
    Ok(out)
}

/// A batch error as a JS `Error`: the core raised it with its full path
/// (`operations[3].request.amount`); `index` is added for callers that want the number.
fn batch_error_to_js(err: BatchError) -> JsValue {
    let js = to_js_error(err.error);
    let _ = Reflect::set(&js, &"index".into(), &(err.index as f64).into());
    js
}

/// Distinct strings of a batch's outcomes, each written once: a batch repeats its account ids,
/// currency and amounts, and the SDK makes one JS string per entry. Only the last
/// `RECENT_STRINGS` distinct strings are searched (a repeat further back is written again: the
/// search stays a few short comparisons per string).
struct StringTable<'a> {
    strings: Vec<&'a str>,
}

/// Distinct strings searched for a repeat (see [`StringTable`]).
const RECENT_STRINGS: usize = 16;

impl<'a> StringTable<'a> {
    /// The index of `s` in the table, added if not among the recent ones.
    fn index(&mut self, s: &'a str) -> u32 {
        let recent = self.strings.len().saturating_sub(RECENT_STRINGS);
        let found = self.strings.iter().skip(recent).position(|t| *t == s).map(|i| i + recent);
        let index = found.unwrap_or_else(|| {
            self.strings.push(s);
            self.strings.len() - 1
        });
        // At most ~10 strings per outcome (and the expired ids) of at most BATCH_OPERATIONS_MAX
        // outcomes: far below u32::MAX.
        u32::try_from(index).unwrap_or(u32::MAX)
    }
}

/// Outcomes as the SDK reads them (`decodeOutcomes` in `sdk-ts/src/ledger-wire.ts`), little-endian:
///
/// ```text
/// u32 strings, then each: u16 byte length, UTF-8 (ids, amounts and currencies are short)
/// u32 outcomes, then each: u8 code (its index in LedgerCode::ALL), u8 flags (1 repeated,
///   2 hold), f64 seq, u32 expired, expired × u32 string,
///   [hold: u32 holdId, debit, credit, currency, u8 state, u32 amount, pending, posted,
///   released, f64 expiresAt]
/// ```
///
/// Seqs and times are within ±(2^53 − 1) (`SEQ_MAX`, `TIME_S_MIN..=TIME_S_MAX`): exact as f64.
fn outcomes_bytes(outcomes: &[Outcome]) -> Vec<u8> {
    let mut table = StringTable { strings: Vec::with_capacity(outcomes.len() + RECENT_STRINGS) };
    let mut records = Vec::with_capacity(outcomes.len() * 64);
    let u32_le = |out: &mut Vec<u8>, n: u32| out.extend_from_slice(&n.to_le_bytes());
    for outcome in outcomes {
        records.push(outcome.code as u8);
        records.push(u8::from(outcome.repeated) | if outcome.hold.is_some() { 2 } else { 0 });
        records.extend_from_slice(&(outcome.seq as f64).to_le_bytes());
        u32_le(&mut records, u32::try_from(outcome.expired.len()).unwrap_or(u32::MAX));
        for id in &outcome.expired {
            u32_le(&mut records, table.index(id));
        }
        if let Some(hold) = &outcome.hold {
            for s in [&hold.hold_id, &hold.debit_account_id, &hold.credit_account_id, &hold.currency] {
                u32_le(&mut records, table.index(s));
            }
            records.push(match hold.state {
                HoldState::Pending => 0,
                HoldState::Posted => 1,
                HoldState::Voided => 2,
                HoldState::Expired => 3,
            });
            for s in [&hold.amount, &hold.pending, &hold.posted, &hold.released] {
                u32_le(&mut records, table.index(s));
            }
            records.extend_from_slice(&(hold.expires_at as f64).to_le_bytes());
        }
    }
    let text_bytes: usize = table.strings.iter().map(|s| s.len() + 2).sum();
    let mut out = Vec::with_capacity(8 + text_bytes + records.len());
    u32_le(&mut out, u32::try_from(table.strings.len()).unwrap_or(u32::MAX));
    for s in &table.strings {
        // Ids are at most ID_BYTES_MAX (64) bytes, amounts and currencies shorter.
        out.extend_from_slice(&u16::try_from(s.len()).unwrap_or(u16::MAX).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    u32_le(&mut out, u32::try_from(outcomes.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(&records);
    out
}

/// A ledger in wasm memory.
#[wasm_bindgen]
pub struct LedgerHandle {
    ledger: Ledger,
}

#[wasm_bindgen]
impl LedgerHandle {
    /// An empty ledger.
    #[wasm_bindgen(constructor)]
    pub fn new() -> LedgerHandle {
        LedgerHandle { ledger: Ledger::new() }
    }

    /// A ledger from an authenticated snapshot.
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<LedgerHandle> {
        Ok(LedgerHandle { ledger: Ledger::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    /// A ledger rebuilt from a whole journal (entries from seq 1).
    pub fn replay(entries: &Array) -> JsResult<LedgerHandle> {
        let entries = byte_strings(entries, "entries", REPLAY_ENTRIES_MAX)?;
        Ok(LedgerHandle { ledger: Ledger::replay(&entries).map_err(to_js_error)? })
    }

    /// `{op, request}` → outcome. Errors name their path under `operation`.
    pub fn execute(&mut self, operation: JsValue) -> JsResult<JsValue> {
        let operation = operation_of(&operation, OPERATION_FIELDS).map_err(|e| to_js_error(e.at("operation")))?;
        let outcome = self.ledger.execute(&operation).map_err(|e| to_js_error(e.at("request").at("operation")))?;
        to_js(&outcome)
    }

    /// Operation `op` with its `request` → outcome: `ledger.transfer(request)` and its siblings,
    /// whose errors name their path under `request`.
    pub fn run(&mut self, op: &str, request: JsValue) -> JsResult<JsValue> {
        let operation = match request_of(op, request) {
            Some(operation) => operation.map_err(|e| to_js_error(e.at("request")))?,
            None => return Err(type_error("op", "must name a ledger operation")),
        };
        let outcome = self.ledger.execute(&operation).map_err(|e| to_js_error(e.at("request")))?;
        to_js(&outcome)
    }

    /// `[{op, request, linked?}, ...]` → `[outcome, ...]` (see `Ledger::execute_batch`).
    #[wasm_bindgen(js_name = executeBatch)]
    pub fn execute_batch(&mut self, operations: &Array) -> JsResult<JsValue> {
        if operations.length() as usize > BATCH_OPERATIONS_MAX {
            // Also checked by the core; checked here first so an over-long array is not converted.
            return Err(batch_error_to_js(BatchError {
                index: BATCH_OPERATIONS_MAX,
                error: Error::new(ErrorCode::LimitExceeded, "operations", format!("at most {BATCH_OPERATIONS_MAX} operations per batch")),
            }));
        }
        let mut ops = Vec::with_capacity(operations.length() as usize);
        for (index, value) in operations.iter().enumerate() {
            ops.push(batch_operation_of(&value).map_err(|e| to_js_error(e.at(&format!("[{index}]")).at("operations")))?);
        }
        to_js(&self.ledger.execute_batch(&ops).map_err(batch_error_to_js)?)
    }

    /// The same batch as [`LedgerHandle::execute_batch`], in its compact form: the operations in
    /// the core's encoding (`ledger::batch_from_cbor`, written by the SDK for a batch of
    /// well-formed plain operations: `sdk-ts/src/ledger-wire.ts`), the outcomes as
    /// [`outcomes_bytes`]. Errors are those of `execute_batch` (the core's, naming
    /// `operations[i].request.<field>`); bytes that are not such an encoding name `operations`.
    #[wasm_bindgen(js_name = executeBatchEncoded)]
    pub fn execute_batch_encoded(&mut self, operations: &[u8]) -> JsResult<Vec<u8>> {
        let ops = countersign_core::ledger::batch_from_cbor(operations).ok_or_else(|| {
            to_js_error(Error::new(ErrorCode::InvalidArgument, "operations", "is not an encoded batch of ledger operations"))
        })?;
        Ok(outcomes_bytes(&self.ledger.execute_batch(&ops).map_err(batch_error_to_js)?))
    }

    /// `{op, request}` and a stored journal entry → the outcome of a repeat answered from the
    /// entry, or `undefined` when the ledger retains the key itself (`Ledger::answer_from_entry`).
    /// Errors name their path under `operation`, or `entry`.
    #[wasm_bindgen(js_name = answerFromEntry)]
    pub fn answer_from_entry(&self, operation: JsValue, entry: &[u8]) -> JsResult<JsValue> {
        let operation = operation_of(&operation, OPERATION_FIELDS).map_err(|e| to_js_error(e.at("operation")))?;
        match self.ledger.answer_from_entry(&operation, entry) {
            Ok(Some(outcome)) => to_js(&outcome),
            Ok(None) => Ok(JsValue::UNDEFINED),
            Err(e) if e.param() == "entry" => Err(to_js_error(e)),
            Err(e) => Err(to_js_error(e.at("request").at("operation"))),
        }
    }

    /// The seq, idempotency key and effective time of each retained entry with seq > `after_seq`,
    /// as one flat array `[seq, key, time, seq, key, time, ...]` (the SDK names them).
    #[wasm_bindgen(js_name = journalKeysAfter)]
    pub fn journal_keys_after(&self, after_seq: f64) -> JsResult<Array> {
        let seq = seq_of(after_seq, "afterSeq")?;
        let out = Array::new();
        for key in self.ledger.journal_keys(seq).map_err(to_js_error)? {
            // Seqs stay within 2^53 − 1 (SEQ_MAX) and times within TIME_S_MIN..=TIME_S_MAX: exact.
            out.push(&JsValue::from_f64(key.seq as f64));
            out.push(&JsValue::from_str(&key.idempotency_key));
            out.push(&JsValue::from_f64(key.time as f64));
        }
        Ok(out)
    }

    /// `"ledger"` or `"store"`: who keeps the keys the window no longer holds.
    #[wasm_bindgen(js_name = keysKeptBy)]
    pub fn keys_kept_by(&self) -> String {
        match self.ledger.keys_kept_by() {
            KeysKeptBy::Ledger => "ledger".to_owned(),
            KeysKeptBy::Store => "store".to_owned(),
        }
    }

    /// Most idempotency keys the ledger retains (its key window).
    #[wasm_bindgen(js_name = keyWindow)]
    pub fn key_window(&self) -> u32 {
        // At most IDEMPOTENCY_KEYS_MAX (the invariants).
        u32::try_from(self.ledger.key_window()).unwrap_or(u32::MAX)
    }

    /// The ledger's capacity: [most accounts, most pending holds] (set by `setCapacity`).
    pub fn capacity(&self) -> Vec<u32> {
        // At most ACCOUNTS_CAPACITY_MAX and HOLDS_CAPACITY_MAX (the invariants).
        [self.ledger.accounts_max(), self.ledger.holds_max()].map(|n| u32::try_from(n).unwrap_or(u32::MAX)).to_vec()
    }

    /// The account's view, or `undefined`.
    pub fn account(&self, account_id: &str) -> JsResult<JsValue> {
        match self.ledger.account(account_id) {
            Some(view) => to_js(&view),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Every account's view, in id order.
    pub fn accounts(&self) -> JsResult<JsValue> {
        to_js(&self.ledger.accounts())
    }

    /// The hold's view (pending or retained resolved), or `undefined`.
    #[wasm_bindgen(js_name = holdView)]
    pub fn hold_view(&self, hold_id: &str) -> JsResult<JsValue> {
        match self.ledger.hold_view(hold_id) {
            Some(view) => to_js(&view),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Every pending hold, in id order.
    #[wasm_bindgen(js_name = pendingHolds)]
    pub fn pending_holds(&self) -> JsResult<JsValue> {
        to_js(&self.ledger.pending_holds())
    }

    /// The latest effective time seen (Unix seconds).
    pub fn clock(&self) -> f64 {
        // Within ±(2^53 − 1) by construction (TIME_S_MIN..=TIME_S_MAX), so exact as a number.
        self.ledger.clock() as f64
    }

    /// `{seq, hash}` of the journal's last entry.
    pub fn head(&self) -> JsResult<JsValue> {
        to_js(&self.ledger.head())
    }

    pub fn counts(&self) -> JsResult<JsValue> {
        to_js(&self.ledger.counts())
    }

    /// The retained (not yet truncated) journal entries, oldest first.
    pub fn journal(&self) -> Array {
        self.ledger.journal().iter().map(|entry| JsValue::from(Uint8Array::from(entry.bytes()))).collect()
    }

    /// Retained entries with seq > `after_seq`, oldest first.
    #[wasm_bindgen(js_name = journalAfter)]
    pub fn journal_after(&self, after_seq: f64) -> Array {
        self.ledger
            .journal()
            .iter()
            .filter(|entry| (entry.seq() as f64) > after_seq)
            .map(|entry| JsValue::from(Uint8Array::from(entry.bytes())))
            .collect()
    }

    /// Forgets retained entries up to `through_seq` (a safe integer; checked by the SDK).
    #[wasm_bindgen(js_name = truncateJournal)]
    pub fn truncate_journal(&mut self, through_seq: f64) -> JsResult<()> {
        let seq = seq_of(through_seq, "throughSeq")?;
        self.ledger.truncate_journal(seq).map_err(to_js_error)
    }

    /// Applies entries continuing this ledger's head, all or nothing.
    #[wasm_bindgen(js_name = applyJournal)]
    pub fn apply_journal(&mut self, entries: &Array) -> JsResult<()> {
        let entries = byte_strings(entries, "entries", REPLAY_ENTRIES_MAX)?;
        self.ledger.apply_journal(&entries).map_err(to_js_error)
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.ledger.snapshot(snapshot_key).map_err(to_js_error)
    }

    #[wasm_bindgen(js_name = stateDigest)]
    pub fn state_digest(&self) -> Vec<u8> {
        self.ledger.state_digest().to_vec()
    }

    #[wasm_bindgen(js_name = checkInvariants)]
    pub fn check_invariants(&self) -> JsResult<()> {
        self.ledger.check_invariants().map_err(to_js_error)
    }

    /// An independent copy.
    pub fn copy(&self) -> LedgerHandle {
        LedgerHandle { ledger: self.ledger.clone() }
    }
}

impl Default for LedgerHandle {
    fn default() -> Self {
        LedgerHandle::new()
    }
}

/// A JS number that must be a non-negative safe integer.
fn seq_of(value: f64, param: &'static str) -> JsResult<u64> {
    const SAFE_MAX: f64 = 9_007_199_254_740_991.0;
    if value.is_finite() && value.fract() == 0.0 && (0.0..=SAFE_MAX).contains(&value) {
        Ok(value as u64)
    } else {
        Err(to_js_error(Error::new(ErrorCode::InvalidArgument, param, "must be a non-negative safe integer")))
    }
}
