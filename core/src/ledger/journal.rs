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
        let mut map = MapReader::begin(&mut d)?;
        map.want(&mut d, 0)?;
        let seq = cbor::u64(&mut d)?;
        map.want(&mut d, 1)?;
        let op = Op::decode(&mut d)?;
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
        let (seq, op, verdict, prev_hash) = parse_entry(bytes)?;
        if encode_entry(seq, OpBytes::new(&op).bytes(), &verdict, &prev_hash) != bytes {
            return Err(invalid("the entry is not canonically encoded".into()));
        }
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
    let (seq, op, verdict, prev_hash) = parse_entry(bytes)?;
    if encode_entry(seq, OpBytes::new(&op).bytes(), &verdict, &prev_hash) != bytes {
        return Err(invalid("the entry is not canonically encoded".into()));
    }
    Ok((seq, op, verdict.code))
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
        let at = |e: Error| Error::new(e.code(), "entries", format!("entries[{index}]: {}", e.message()));
        // Parsed, not decoded: re-executing the operation below re-encodes the entry and compares
        // it with these bytes, which checks the encoding is canonical (and the hash follows) at no
        // extra cost; a mismatch is told apart from a non-canonical entry only then.
        let (seq, op, _, prev_hash) = parse_entry(bytes).map_err(at)?;
        if seq != work.head.seq.saturating_add(1) || prev_hash != work.head.hash {
            return Err(invalid(format!(
                "entries[{index}] (seq {seq}) does not chain to the head (seq {}): wrong seq or prevHash",
                work.head.seq
            )));
        }
        match work.decide(&op, false)? {
            Decided::Apply(plan) if plan.entry.bytes == bytes => {
                work.apply_plan(plan, false, None);
            }
            _ => {
                JournalEntry::decode(bytes).map_err(at)?;
                return Err(Error::new(
                    ErrorCode::JournalMismatch,
                    "entries",
                    format!(
                        "entries[{index}] (seq {seq}): re-executing its operation does not give its recorded result"
                    ),
                ));
            }
        }
    }
    work.check_invariants()?;
    *ledger = work;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
