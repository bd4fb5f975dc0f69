//! The hash-chained journal: entries, the head, truncation and replay.
//!
//! ```text
//! entry = { 0: seq uint, 1: op, 2: result, 3: prevHash bstr(32) }   (deterministic CBOR map)
//! hash  = SHA-256(entry bytes)
//! ```
//!
//! The first entry has seq 1 and prevHash [`GENESIS_HASH`] (32 zero bytes); each next entry has
//! the next seq and the previous entry's hash. `op` and `result` are in `codec.rs`.

use minicbor::Decoder;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::codec::{hash32, OpBytes};
use super::engine::{internal, Decided};
use super::{Ledger, LedgerCode, Op, Operation, Outcome, Verdict, REPLAY_ENTRIES_MAX};
use crate::crypto::sha256;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::cbor::{self, Cbor, Enc, MapReader};

/// The prevHash of the first entry (and the hash of an empty journal's head): 32 zero bytes.
pub const GENESIS_HASH: [u8; 32] = [0; 32];
/// The largest journal entry accepted, in bytes (the largest possible is about 5 KB: an
/// operation with 64-byte ids and a result listing 65 expired holds).
pub const JOURNAL_ENTRY_BYTES_MAX: usize = 16_384;

/// The last entry of a journal: its seq and hash. JSON: `{"seq": 12, "hash": "<64 hex digits>"}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(as = "HeadJson", export_to = "ledger.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JournalHead {
    /// The last entry's seq (0: no entry yet).
    pub seq: u64,
    /// The last entry's hash ([`GENESIS_HASH`] when none).
    pub hash: [u8; 32],
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            if let Some(digit) = DIGITS.get(usize::from(nibble)) {
                out.push(char::from(*digit));
            }
        }
    }
    out
}

fn from_hex32(s: &str) -> Option<[u8; 32]> {
    let digits = s.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let value = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = (value(*high)? << 4) | value(*low)?;
    }
    Some(out)
}

/// The last entry of a journal: its seq and its SHA-256 hash (64 lowercase hex digits).
// The JSON shape of `JournalHead`, exported to TypeScript under that name.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts", rename = "JournalHead"))]
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadJson {
    seq: u64,
    hash: String,
}

impl Serialize for JournalHead {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        HeadJson {
            seq: self.seq,
            hash: to_hex(&self.hash),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for JournalHead {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let json = HeadJson::deserialize(d)?;
        let hash = from_hex32(&json.hash).ok_or_else(|| {
            <D::Error as serde::de::Error>::custom("hash must be 64 lowercase hex digits")
        })?;
        Ok(JournalHead {
            seq: json.seq,
            hash,
        })
    }
}

/// One journal entry: an operation, its result, its place in the chain, and its bytes.
///
/// It keeps its bytes, not the decoded operation and verdict: a live operation would otherwise
/// copy both (a dozen allocations, ~10 % of an operation), and nothing on a hot path reads them;
/// [`JournalEntry::operation`] and [`JournalEntry::outcome`] decode them from the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    seq: u64,
    prev_hash: [u8; 32],
    code: LedgerCode,
    bytes: Vec<u8>,
    hash: [u8; 32],
}

/// A journal entry's usual size: an operation with its ids, amounts, verdict and hold view, and the
/// previous hash (a hold and its post measure 250–350 bytes); larger ones grow the buffer once.
const ENTRY_BYTES_USUAL: usize = 384;

/// `op`: the operation's canonical CBOR ([`OpBytes`], encoded once per operation).
fn encode_entry(seq: u64, op: &[u8], verdict: &Verdict, prev_hash: &[u8; 32]) -> Vec<u8> {
    let mut e = Enc::with_capacity(ENTRY_BYTES_USUAL);
    e.map(4).u64(0).u64(seq).u64(1).encoded(op);
    e.u64(2);
    verdict.encode(&mut e);
    e.u64(3).bytes(prev_hash);
    e.into_bytes()
}

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::JournalInvalid, "entries", message)
}

/// An entry's parts, if `bytes` is a well-formed entry whose operation is a valid request (not
/// yet known to be canonical).
fn parse_entry(bytes: &[u8]) -> Result<(u64, Op, Verdict, [u8; 32])> {
    if bytes.len() > JOURNAL_ENTRY_BYTES_MAX {
        return Err(invalid(format!(
            "an entry of {} bytes is larger than JOURNAL_ENTRY_BYTES_MAX ({JOURNAL_ENTRY_BYTES_MAX})",
            bytes.len()
        )));
    }
    let parse = || -> Option<(u64, Op, Verdict, [u8; 32])> {
        let mut d = Decoder::new(bytes);
        let (mut map, seq, op) = parse_front(&mut d)?;
        map.want(&mut d, 2)?;
        let verdict = Verdict::decode(&mut d)?;
        map.want(&mut d, 3)?;
        let prev_hash = hash32(&mut d)?;
        map.end()?;
        (d.position() == bytes.len()).then_some((seq, op, verdict, prev_hash))
    };
    parse().ok_or_else(|| invalid("not a well-formed ledger journal entry (or its operation is invalid)".into()))
}

impl JournalEntry {
    pub(super) fn build(seq: u64, op: &OpBytes, verdict: &Verdict, prev_hash: [u8; 32]) -> Result<Self> {
        let bytes = encode_entry(seq, op.bytes(), verdict, &prev_hash);
        if bytes.len() > JOURNAL_ENTRY_BYTES_MAX {
            return Err(internal(
                "a journal entry is larger than JOURNAL_ENTRY_BYTES_MAX",
            ));
        }
        Ok(JournalEntry {
            seq,
            prev_hash,
            code: verdict.code,
            hash: sha256(&bytes),
            bytes,
        })
    }

    /// Decodes one entry (its canonical encoding only; the operation must be a valid request).
    ///
    /// Errors: `JOURNAL_INVALID` about `"entries"`.
    pub fn decode(bytes: &[u8]) -> Result<JournalEntry> {
        let (seq, _, verdict, prev_hash) = canonical_parts(bytes)?;
        Ok(JournalEntry {
            seq,
            prev_hash,
            code: verdict.code,
            bytes: bytes.to_vec(),
            hash: sha256(bytes),
        })
    }

    /// Its sequence number (1 for the first entry).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The previous entry's hash ([`GENESIS_HASH`] for the first).
    pub fn prev_hash(&self) -> [u8; 32] {
        self.prev_hash
    }

    /// SHA-256 of its bytes.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// The head of a journal ending with this entry.
    pub fn head(&self) -> JournalHead {
        JournalHead {
            seq: self.seq,
            hash: self.hash,
        }
    }

    /// Its canonical bytes (what to persist).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The operation (amounts in canonical form), decoded from the entry's bytes.
    ///
    /// Errors: none for an entry this ledger made or decoded (its bytes were checked);
    /// `JOURNAL_INVALID` otherwise.
    pub fn operation(&self) -> Result<Operation> {
        parse_entry(&self.bytes).map(|(_, op, _, _)| op.to_operation())
    }

    /// The outcome it gave (`repeated` false), decoded from the entry's bytes. Errors: as
    /// [`JournalEntry::operation`].
    pub fn outcome(&self) -> Result<Outcome> {
        parse_entry(&self.bytes).map(|(seq, _, verdict, _)| verdict.outcome(seq, false))
    }

    /// Its code.
    pub fn code(&self) -> LedgerCode {
        self.code
    }

    /// Its operation and verdict, for tests that forge entries.
    #[cfg(test)]
    pub(super) fn parts(&self) -> (Op, Verdict) {
        let (_, op, verdict, _) = parse_entry(&self.bytes).unwrap();
        (op, verdict)
    }
}

/// The seq, operation and code of a canonically encoded entry (for answering a repeat from a
/// stored entry, `Ledger::answer_from_entry`).
///
/// Errors: `JOURNAL_INVALID` about `"entries"`.
pub(super) fn entry_parts(bytes: &[u8]) -> Result<(u64, Op, LedgerCode)> {
    canonical_parts(bytes).map(|(seq, op, verdict, _)| (seq, op, verdict.code))
}

/// The parts of a canonically encoded entry (one copy of the check for [`JournalEntry::decode`]
/// and [`entry_parts`]).
///
/// Errors: `JOURNAL_INVALID` about `"entries"`.
fn canonical_parts(bytes: &[u8]) -> Result<(u64, Op, Verdict, [u8; 32])> {
    let (seq, op, verdict, prev_hash) = parse_entry(bytes)?;
    if encode_entry(seq, OpBytes::new(&op).bytes(), &verdict, &prev_hash) != bytes {
        return Err(invalid("the entry is not canonically encoded".into()));
    }
    Ok((seq, op, verdict, prev_hash))
}

impl AsRef<[u8]> for JournalEntry {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

pub(super) fn truncate(ledger: &mut Ledger, through_seq: u64) -> Result<()> {
    if through_seq > ledger.head.seq {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            "throughSeq",
            format!(
                "{through_seq} is above the journal head's seq {}",
                ledger.head.seq
            ),
        ));
    }
    ledger.journal.retain(|entry| entry.seq > through_seq);
    Ok(())
}

/// Entry `bytes` re-executed on `work`, reading only its operation (`None` when that does not
/// parse): replay's usual case. Equality of the entry the re-execution builds (seq after
/// `work`'s head, prevHash its hash, the result it gives, canonical CBOR) with `bytes` proves all
/// that was not read; decoding the recorded result (its hold view's ids and amounts) was ~6 % of
/// a replayed entry in the wasm build, only to be thrown away. (An entry over
/// [`JOURNAL_ENTRY_BYTES_MAX`] never equals a built one, which is within it: `apply` refuses it.)
fn re_execute(work: &Ledger, bytes: &[u8]) -> Option<Result<Decided>> {
    let (_, _, op) = parse_front(&mut Decoder::new(bytes))?;
    Some(work.decide(&op, false))
}

/// An entry's seq and operation, the first two of its four items (the map left open for the
/// rest): one reader for [`parse_entry`] and [`re_execute`].
fn parse_front(d: &mut Decoder<'_>) -> Option<(MapReader, u64, Op)> {
    let mut map = MapReader::begin(d)?;
    map.want(d, 0)?;
    let seq = cbor::u64(d)?;
    map.want(d, 1)?;
    Some((map, seq, Op::decode(d)?))
}

pub(super) fn apply<B: AsRef<[u8]>>(ledger: &mut Ledger, entries: &[B]) -> Result<()> {
    if entries.len() > REPLAY_ENTRIES_MAX {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            "entries",
            format!(
                "{} entries, more than REPLAY_ENTRIES_MAX ({REPLAY_ENTRIES_MAX}) in one call",
                entries.len()
            ),
        ));
    }
    if !ledger.journal.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            "entries",
            "the ledger retains journal entries of its own: truncate its journal before applying others",
        ));
    }
    let mut work = ledger.clone();
    for (index, bytes) in entries.iter().enumerate() {
        let bytes = bytes.as_ref();
        // The usual case first: an entry that re-executes to its own bytes (`re_execute`).
        let decided = match re_execute(&work, bytes) {
            Some(Ok(Decided::Apply(plan))) if plan.entry.bytes == bytes => {
                work.apply_plan(plan, false, None);
                continue;
            }
            other => other,
        };
        // Any other entry is refused, with the error it always had: the whole entry decoded
        // (malformed?), its chain (wrong seq or prevHash?), the re-execution's own error, then
        // a non-canonical entry told apart from one whose result differs.
        let at = |e: Error| Error::new(e.code(), "entries", format!("entries[{index}]: {}", e.message()));
        let (seq, _, _, prev_hash) = parse_entry(bytes).map_err(at)?;
        if seq != work.head.seq.saturating_add(1) || prev_hash != work.head.hash {
            return Err(invalid(format!(
                "entries[{index}] (seq {seq}) does not chain to the head (seq {}): wrong seq or prevHash",
                work.head.seq
            )));
        }
        decided.transpose()?;
        JournalEntry::decode(bytes).map_err(at)?;
        return Err(Error::new(
            ErrorCode::JournalMismatch,
            "entries",
            format!("entries[{index}] (seq {seq}): re-executing its operation does not give its recorded result"),
        ));
    }
    work.check_invariants()?;
    *ledger = work;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::engine::Plan;
    use crate::ledger::{AccountKind, HoldRequest, OpenAccountRequest, PostRequest, TransferRequest};

    /// How replay read entry `index` before it read entries by their operation only
    /// (`re_execute`): the whole entry decoded first, then its chain, the re-execution, and a
    /// non-canonical entry told apart from a different result.
    fn whole_entry_read(work: &Ledger, index: usize, bytes: &[u8]) -> Result<Plan> {
        let at = |e: Error| Error::new(e.code(), "entries", format!("entries[{index}]: {}", e.message()));
        let (seq, op, _, prev_hash) = parse_entry(bytes).map_err(at)?;
        if seq != work.head.seq.saturating_add(1) || prev_hash != work.head.hash {
            return Err(invalid(format!(
                "entries[{index}] (seq {seq}) does not chain to the head (seq {}): wrong seq or prevHash",
                work.head.seq
            )));
        }
        match work.decide(&op, false)? {
            Decided::Apply(plan) if plan.entry.bytes == bytes => Ok(plan),
            _ => {
                JournalEntry::decode(bytes).map_err(at)?;
                Err(Error::new(
                    ErrorCode::JournalMismatch,
                    "entries",
                    format!("entries[{index}] (seq {seq}): re-executing its operation does not give its recorded result"),
                ))
            }
        }
    }

    /// Replay as it was with [`whole_entry_read`]: the reference the new reading must equal.
    fn whole_entry_replay(entries: &[Vec<u8>]) -> Result<Ledger> {
        let mut work = Ledger::new();
        for (index, bytes) in entries.iter().enumerate() {
            let plan = whole_entry_read(&work, index, bytes)?;
            work.apply_plan(plan, false, None);
        }
        work.check_invariants()?;
        Ok(work)
    }

    #[test]
    fn replay_refuses_every_tampered_entry_as_reading_it_whole_did() {
        const T0: i64 = 1_767_225_600;
        let mut l = Ledger::new();
        for (id, kind) in [("w", AccountKind::Unrestricted), ("m", AccountKind::NonNegative)] {
            l.execute(&Operation::OpenAccount(OpenAccountRequest {
                idempotency_key: format!("open-{id}"),
                now: T0,
                account_id: id.into(),
                currency: "EUR".into(),
                kind,
                credit_limit: None,
            }))
            .unwrap();
        }
        let transfer = |key: &str, amount: &str| {
            Operation::Transfer(TransferRequest {
                idempotency_key: key.into(),
                now: T0,
                debit_account_id: "m".into(),
                credit_account_id: "w".into(),
                amount: amount.into(),
                currency: "EUR".into(),
            })
        };
        for operation in [
            Operation::Hold(HoldRequest {
                idempotency_key: "k-hold".into(),
                now: T0,
                hold_id: "h1".into(),
                debit_account_id: "w".into(),
                credit_account_id: "m".into(),
                amount: "50.00".into(),
                currency: "EUR".into(),
                expires_at: T0 + 600,
            }),
            Operation::Post(PostRequest {
                idempotency_key: "k-post".into(),
                now: T0,
                hold_id: "h1".into(),
                amount: Some("31.17".into()),
                currency: Some("EUR".into()),
                is_final: true,
            }),
            transfer("k-refused", "99.00"),
        ] {
            l.execute(&operation).unwrap();
        }
        let entries: Vec<Vec<u8>> = l.journal().iter().map(|e| e.bytes().to_vec()).collect();
        assert_eq!(Ledger::replay(&entries).unwrap().state_digest(), l.state_digest());
        // Every single-bit flip of the hold's, the post's (both with a hold view in their
        // result) and the refused transfer's entry, and every truncation of the post's.
        let mut cases: Vec<(usize, Vec<u8>)> = Vec::new();
        for index in [2, 3, 4] {
            for (byte, bit) in (0..entries[index].len()).flat_map(|byte| (0..8).map(move |bit| (byte, bit))) {
                let mut tampered = entries[index].clone();
                tampered[byte] ^= 1 << bit;
                cases.push((index, tampered));
            }
        }
        cases.extend((0..entries[3].len()).map(|len| (3, entries[3][..len].to_vec())));
        // A flip can make another valid entry (a `now` one second off re-executes to the flipped
        // bytes): the next entry's prevHash then refuses the journal, as it always did.
        let answer = |r: Result<Ledger>| r.map(|l| l.state_digest()).map_err(|e| (e.code(), e.param().to_owned(), e.message().to_owned()));
        for (index, tampered) in cases {
            let mut journal = entries.clone();
            journal[index] = tampered;
            assert_eq!(
                answer(Ledger::replay(&journal)),
                answer(whole_entry_replay(&journal)),
                "entry {index} as {:02x?}",
                journal[index]
            );
        }
    }

    #[test]
    fn hex_round_trip() {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i * 8 + 1) as u8);
        let text = to_hex(&bytes);
        assert_eq!(text.len(), 64);
        assert_eq!(from_hex32(&text), Some(bytes));
        assert_eq!(from_hex32(&text.to_uppercase()), None);
        assert_eq!(from_hex32("00"), None);
    }
}
