//! Byte formats: records, security information, instructions, double-spend proofs.

use serde::{Deserialize, Serialize};

use crate::crypto::{ed25519, sha256, SHA256_LEN};
use crate::error::{Error, ErrorCode, Result};

/// Largest amount, balance or limit, minor units (10^15: ten trillion in a two-decimal currency,
/// below 2^53 so a JavaScript number could still hold it, though the SDK passes strings).
pub const AMOUNT_MINOR_MAX: u64 = 1_000_000_000_000_000;
/// Longest card or merchant id, bytes.
pub const ID_BYTES_MAX: usize = 32;
/// Most card ids in one security information's blocklist.
pub const BLOCKLIST_MAX: usize = 1_024;
/// Domain tag that starts every record body.
pub const RECORD_TAG: &[u8; 28] = b"countersign.ecash.record.v1\0";
/// Domain tag of a card's genesis hash.
pub const GENESIS_TAG: &[u8; 26] = b"countersign.ecash.genesis\0";
/// Envelope type of security information.
pub const SECURITY_TYPE: &str = "ecash.security";
/// Envelope type of a block or restrict instruction.
pub const INSTRUCTION_TYPE: &str = "ecash.instruction";
/// Schema version of both envelope types.
pub const SCHEMA_VERSION: u32 = 1;
/// Length of a signature.
pub const SIGNATURE_LEN: usize = 64;
/// A record hash.
pub type Hash = [u8; SHA256_LEN];

/// Whether a record spends (send) or takes in (receive) value.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordKind {
    /// The card paid `party`.
    Send,
    /// The card was paid by `party`.
    Receive,
}

impl RecordKind {
    /// The byte in the record body.
    pub const fn byte(self) -> u8 {
        match self {
            RecordKind::Send => 1,
            RecordKind::Receive => 2,
        }
    }
}

/// One signed entry of a card's log (the anti-replay factor is its signature).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Send or receive.
    pub kind: RecordKind,
    /// The signing card's id.
    pub card: String,
    /// The card's transaction counter, from 1.
    pub counter: u64,
    /// Minor units, 1..=[`AMOUNT_MINOR_MAX`].
    pub amount: u64,
    /// Payee (send) or payer (receive).
    pub party: String,
    /// Unix seconds the terminal gave.
    pub time: i64,
    /// Hash of the card's previous record, or its genesis hash.
    pub prev: Hash,
    /// Receive: hash of the payer's send record; send: zeros.
    pub payment: Hash,
    /// Ed25519 signature over [`Record::body`].
    pub signature: [u8; SIGNATURE_LEN],
}

/// The error for a malformed byte string.
pub(crate) fn malformed(param: &'static str, what: &str) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, format!("malformed: {what}"))
}

/// Checks an id: 1..=[`ID_BYTES_MAX`] bytes of `[a-z0-9-]` (ids end up in logs and instructions;
/// a narrow alphabet keeps them printable and unambiguous).
pub fn check_id(param: &'static str, id: &str) -> Result<()> {
    if (1..=ID_BYTES_MAX).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            param,
            format!("must be 1..={ID_BYTES_MAX} bytes of [a-z0-9-]"),
        ))
    }
}

/// Checks an amount: 1..=[`AMOUNT_MINOR_MAX`] minor units.
pub fn check_amount(param: &'static str, amount: u64) -> Result<()> {
    if (1..=AMOUNT_MINOR_MAX).contains(&amount) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            param,
            format!("must be 1..={AMOUNT_MINOR_MAX} minor units"),
        ))
    }
}

/// The hash a card's first record points back to.
pub fn genesis_hash(card: &str) -> Hash {
    let mut bytes = Vec::with_capacity(GENESIS_TAG.len() + card.len());
    bytes.extend_from_slice(GENESIS_TAG);
    bytes.extend_from_slice(card.as_bytes());
    sha256(&bytes)
}

fn put_id(out: &mut Vec<u8>, id: &str) {
    // Ids are checked to be at most 32 bytes before they get here.
    out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(id.as_bytes());
}

/// A cursor over bytes whose every read fails cleanly at the end (never panics).
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    param: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], param: &'static str) -> Self {
        Reader { bytes, param }
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(malformed(self.param, "ends early"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    pub(crate) fn id(&mut self) -> Result<String> {
        let n = usize::from(self.u8()?);
        let raw = self.take(n)?;
        let id = core::str::from_utf8(raw).map_err(|_| malformed(self.param, "id is not UTF-8"))?;
        check_id(self.param, id)?;
        Ok(id.to_owned())
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl Record {
    /// The signed bytes (the layout in the module docs).
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECORD_TAG.len() + 1 + 2 * (1 + ID_BYTES_MAX) + 24 + 64);
        out.extend_from_slice(RECORD_TAG);
        out.push(self.kind.byte());
        put_id(&mut out, &self.card);
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(&self.amount.to_be_bytes());
        put_id(&mut out, &self.party);
        out.extend_from_slice(&self.time.to_be_bytes());
        out.extend_from_slice(&self.prev);
        out.extend_from_slice(&self.payment);
        out
    }

    /// Body then signature: the record's wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.body();
        out.extend_from_slice(&self.signature);
        out
    }

    /// `SHA-256(body ‖ signature)`.
    pub fn hash(&self) -> Hash {
        sha256(&self.encode())
    }

    /// Builds and signs a record.
    ///
    /// Errors: `INVALID_ARGUMENT` about `card`, `party` or `amount`; `KEY_INVALID` about
    /// `secretKey`.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        secret_key: &[u8],
        kind: RecordKind,
        card: &str,
        counter: u64,
        amount: u64,
        party: &str,
        time: i64,
        prev: Hash,
        payment: Hash,
    ) -> Result<Record> {
        check_id("card", card)?;
        check_id("party", party)?;
        check_amount("amount", amount)?;
        let mut record = Record {
            kind,
            card: card.to_owned(),
            counter,
            amount,
            party: party.to_owned(),
            time,
            prev,
            payment,
            signature: [0; SIGNATURE_LEN],
        };
        record.signature = ed25519::sign(secret_key, &record.body())?;
        Ok(record)
    }

    /// Whether the signature verifies under `public_key`.
    pub fn verify(&self, public_key: &[u8]) -> bool {
        ed25519::verify(public_key, &self.body(), &self.signature)
    }

    /// Reads one record from the front of `reader`.
    pub(crate) fn read(reader: &mut Reader<'_>) -> Result<Record> {
        let tag = reader.take(RECORD_TAG.len())?;
        if tag != RECORD_TAG.as_slice() {
            return Err(malformed(reader.param, "not a record (tag)"));
        }
        let kind = match reader.u8()? {
            1 => RecordKind::Send,
            2 => RecordKind::Receive,
            _ => return Err(malformed(reader.param, "record kind")),
        };
        let card = reader.id()?;
        let counter = reader.u64()?;
        let amount = reader.u64()?;
        check_amount(reader.param, amount)?;
        let party = reader.id()?;
        let time = reader.i64()?;
        let prev = reader.array()?;
        let payment = reader.array()?;
        let signature = reader.array()?;
        if kind == RecordKind::Send && payment != [0; 32] {
            return Err(malformed(reader.param, "a send record's payment field must be zeros"));
        }
        Ok(Record { kind, card, counter, amount, party, time, prev, payment, signature })
    }

    /// Parses exactly one record (no trailing bytes).
    ///
    /// Errors: `INVALID_ARGUMENT` about `record`.
    pub fn decode(bytes: &[u8]) -> Result<Record> {
        let mut reader = Reader::new(bytes, "record");
        let record = Record::read(&mut reader)?;
        if !reader.is_empty() {
            return Err(malformed("record", "trailing bytes"));
        }
        Ok(record)
    }
}

/// A compact, portable proof that a card spent the same counter twice: its two signed send
/// records. Anyone with the card's public key can check it; nothing of the back-end is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoubleSpendProof {
    /// One signed send record.
    pub first: Record,
    /// Another signed send record of the same card and counter.
    pub second: Record,
}

impl DoubleSpendProof {
    /// Wire form: the two records back to back (each self-delimiting).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.first.encode();
        out.extend_from_slice(&self.second.encode());
        out
    }

    /// Parses the wire form. Errors: `INVALID_ARGUMENT` about `proof`.
    pub fn decode(bytes: &[u8]) -> Result<DoubleSpendProof> {
        let mut reader = Reader::new(bytes, "proof");
        let first = Record::read(&mut reader)?;
        let second = Record::read(&mut reader)?;
        if !reader.is_empty() {
            return Err(malformed("proof", "trailing bytes"));
        }
        Ok(DoubleSpendProof { first, second })
    }

    /// Whether this proves a double spend by the card with `public_key`: both are send records of
    /// the same card and counter, they differ, and the card signed both.
    pub fn verify(&self, public_key: &[u8]) -> bool {
        self.first.kind == RecordKind::Send
            && self.second.kind == RecordKind::Send
            && self.first.card == self.second.card
            && self.first.counter == self.second.counter
            && self.first != self.second
            && self.first.verify(public_key)
            && self.second.verify(public_key)
    }
}

/// The offline limits a card enforces until its next clean check.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfflineLimits {
    /// Largest single offline payment, minor units.
    pub single_max: u64,
    /// Largest sum of offline payments since the last check, minor units.
    pub cumulative_max: u64,
    /// Most offline payments since the last check.
    pub count_max: u32,
    /// No offline payment at or after this time, Unix seconds.
    pub valid_until: i64,
}

impl OfflineLimits {
    /// Limits that allow nothing (a restrict instruction's).
    pub const NONE: OfflineLimits =
        OfflineLimits { single_max: 0, cumulative_max: 0, count_max: 0, valid_until: i64::MIN };

    /// Errors: `INVALID_ARGUMENT` about `limits.singleMax` / `limits.cumulativeMax`.
    pub fn check(&self) -> Result<()> {
        if self.single_max > AMOUNT_MINOR_MAX {
            return Err(Error::new(ErrorCode::InvalidArgument, "limits.singleMax", "above AMOUNT_MINOR_MAX"));
        }
        if self.cumulative_max > AMOUNT_MINOR_MAX {
            return Err(Error::new(ErrorCode::InvalidArgument, "limits.cumulativeMax", "above AMOUNT_MINOR_MAX"));
        }
        Ok(())
    }
}

/// A new issuer key the card trusts from now on (the key roll).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRoll {
    /// The new key's id (the envelope's `kid`).
    pub key_id: String,
    /// The new Ed25519 public key.
    pub public_key: [u8; 32],
}

/// The payload of security information (layout in the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// The card it is for.
    pub card: String,
    /// The card's Ed25519 public key.
    pub card_key: [u8; 32],
    /// The log was checked up to this counter.
    pub synced_counter: u64,
    /// The settled balance at `synced_counter`, minor units.
    pub balance: u64,
    /// The card signs no record above this counter (the counter window).
    pub counter_max: u64,
    /// The offline limits.
    pub limits: OfflineLimits,
    /// A new issuer key, if the issuer rolls its key.
    pub key_roll: Option<KeyRoll>,
    /// Cards nobody should accept payments from.
    pub blocklist: Vec<String>,
}

impl Security {
    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.blocklist.len() * (1 + ID_BYTES_MAX));
        put_id(&mut out, &self.card);
        out.extend_from_slice(&self.card_key);
        out.extend_from_slice(&self.synced_counter.to_be_bytes());
        out.extend_from_slice(&self.balance.to_be_bytes());
        out.extend_from_slice(&self.counter_max.to_be_bytes());
        out.extend_from_slice(&self.limits.single_max.to_be_bytes());
        out.extend_from_slice(&self.limits.cumulative_max.to_be_bytes());
        out.extend_from_slice(&self.limits.count_max.to_be_bytes());
        out.extend_from_slice(&self.limits.valid_until.to_be_bytes());
        match &self.key_roll {
            None => out.push(0),
            Some(roll) => {
                out.push(1);
                // The key id is checked to fit an envelope kid (≤ 64 bytes) before it gets here.
                out.push(u8::try_from(roll.key_id.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(roll.key_id.as_bytes());
                out.extend_from_slice(&roll.public_key);
            }
        }
        out.extend_from_slice(&u16::try_from(self.blocklist.len()).unwrap_or(u16::MAX).to_be_bytes());
        for id in &self.blocklist {
            put_id(&mut out, id);
        }
        out
    }

    /// Parses a payload. Errors: `INVALID_ARGUMENT` about `security`.
    pub fn decode(bytes: &[u8]) -> Result<Security> {
        let mut r = Reader::new(bytes, "security");
        let card = r.id()?;
        let card_key = r.array()?;
        let synced_counter = r.u64()?;
        let balance = r.u64()?;
        let counter_max = r.u64()?;
        let limits = OfflineLimits {
            single_max: r.u64()?,
            cumulative_max: r.u64()?,
            count_max: r.u32()?,
            valid_until: r.i64()?,
        };
        if balance > AMOUNT_MINOR_MAX || limits.check().is_err() {
            return Err(malformed("security", "an amount above AMOUNT_MINOR_MAX"));
        }
        let key_roll = match r.u8()? {
            0 => None,
            1 => {
                let n = usize::from(r.u8()?);
                let raw = r.take(n)?;
                let key_id = core::str::from_utf8(raw)
                    .ok()
                    .filter(|k| !k.is_empty() && k.len() <= crate::envelope::KEY_ID_BYTES_MAX && !k.chars().any(char::is_control))
                    .ok_or_else(|| malformed("security", "key roll id"))?
                    .to_owned();
                Some(KeyRoll { key_id, public_key: r.array()? })
            }
            _ => return Err(malformed("security", "key roll flag")),
        };
        let count = usize::from(r.u16()?);
        if count > BLOCKLIST_MAX {
            return Err(malformed("security", "blocklist longer than BLOCKLIST_MAX"));
        }
        let mut blocklist = Vec::with_capacity(count);
        for _ in 0..count {
            blocklist.push(r.id()?);
        }
        if !r.is_empty() {
            return Err(malformed("security", "trailing bytes"));
        }
        Ok(Security { card, card_key, synced_counter, balance, counter_max, limits, key_roll, blocklist })
    }
}

/// What an instruction tells the card to do.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Refuse the request; nothing changes and nothing is signed (a replay, a damaged message).
    Reject,
    /// Offline limits to zero until the next clean check.
    Restrict,
    /// The card stops for good.
    Block,
}

/// The payload of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The card it is for.
    pub card: String,
    /// Restrict or block (never reject).
    pub action: Action,
    /// The codes of the findings behind it.
    pub codes: Vec<crate::ecash::RuleCode>,
}

impl Instruction {
    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + ID_BYTES_MAX + self.codes.len());
        put_id(&mut out, &self.card);
        out.push(if self.action == Action::Block { 2 } else { 1 });
        out.extend_from_slice(&u16::try_from(self.codes.len()).unwrap_or(u16::MAX).to_be_bytes());
        out.extend(self.codes.iter().map(|c| c.byte()));
        out
    }

    /// Parses a payload. Errors: `INVALID_ARGUMENT` about `instruction`.
    pub fn decode(bytes: &[u8]) -> Result<Instruction> {
        let mut r = Reader::new(bytes, "instruction");
        let card = r.id()?;
        let action = match r.u8()? {
            1 => Action::Restrict,
            2 => Action::Block,
            _ => return Err(malformed("instruction", "action")),
        };
        let count = usize::from(r.u16()?);
        let raw = r.take(count)?;
        let codes = raw
            .iter()
            .map(|&b| crate::ecash::RuleCode::from_byte(b).ok_or_else(|| malformed("instruction", "code")))
            .collect::<Result<Vec<_>>>()?;
        if !r.is_empty() {
            return Err(malformed("instruction", "trailing bytes"));
        }
        Ok(Instruction { card, action, codes })
    }
}
