//! The two signed messages (token, receipt), their payloads, and the QR capacity table.

use minicbor::Decoder;
use super::codes::RelayCode;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::cbor::{self, Cbor, Enc};

/// Envelope type of a payment token (phone → relay → server).
pub const TOKEN_TYPE: &str = "relay.token";
/// Envelope type of the server's receipt (server → relay → phone).
pub const RECEIPT_TYPE: &str = "relay.receipt";
/// Schema version of both payloads.
pub const PAYLOAD_VERSION: u32 = 1;
/// How long a receipt is valid after its `iat`, seconds (30 days: a phone may come back to the
/// relay weeks later and must still be able to verify its answer offline).
pub const RECEIPT_TTL_S: i64 = 30 * 86_400;
/// The longest a token may be valid, seconds (one day: a token is a promise the phone cannot
/// take back, so it is short-lived like an offline payment code).
pub const TOKEN_TTL_S_MAX: i64 = 86_400;
/// The longest device id or payee id, UTF-8 bytes (short: it travels in every token's QR code).
pub const RELAY_ID_BYTES_MAX: usize = 32;
/// The shortest nonce, bytes.
pub const NONCE_BYTES_MIN: usize = 8;
/// The longest nonce, bytes.
pub const NONCE_BYTES_MAX: usize = 16;
/// The longest amount string in a payload, characters (the money primitive's own limit is
/// larger; a token's amount is a purchase).
const AMOUNT_CHARS_MAX: usize = 40;

/// Byte-mode capacities of QR code versions 1..=15 at error-correction level M (ISO/IEC 18004
/// table 7, "8-bit byte" column): version `i + 1` holds `QR_BYTES_M[i]` bytes.
pub const QR_BYTES_M: [usize; 15] = [
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412,
];

/// The smallest QR version (1..=15) whose byte mode at level M holds `bytes`, or `None` when
/// more than version 15 holds (a token is far smaller).
pub fn qr_version_m(bytes: usize) -> Option<u8> {
    let index = QR_BYTES_M.iter().position(|&capacity| capacity >= bytes)?;
    u8::try_from(index.checked_add(1)?).ok()
}

/// A device or payee id: 1..=[`RELAY_ID_BYTES_MAX`] bytes of `[A-Za-z0-9._-]` (also a valid
/// envelope key id and part of a ledger account id).
pub fn id_ok(id: &str) -> bool {
    (1..=RELAY_ID_BYTES_MAX).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// `INVALID_ARGUMENT` about an id parameter.
pub(crate) fn check_id(id: &str, param: &'static str) -> Result<()> {
    if id_ok(id) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            param,
            format!("{param} must be 1..={RELAY_ID_BYTES_MAX} bytes of [A-Za-z0-9._-]"),
        ))
    }
}

/// The payload of `relay.token`: `[payee, amount, currency, nonce]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPayload {
    /// Who is paid.
    pub payee: String,
    /// Decimal string in `currency`, > 0.
    pub amount: String,
    /// ISO 4217 code (or registered asset).
    pub currency: String,
    /// 8..=16 random bytes.
    pub nonce: Vec<u8>,
}

impl Cbor for TokenPayload {
    fn encode(&self, e: &mut Enc) {
        e.array(4)
            .str(&self.payee)
            .str(&self.amount)
            .str(&self.currency)
            .bytes(&self.nonce);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        let payload = TokenPayload {
            payee: cbor::string(d)?,
            amount: cbor::string(d)?,
            currency: cbor::string(d)?,
            nonce: cbor::bytes(d)?,
        };
        let valid = id_ok(&payload.payee)
            && (1..=AMOUNT_CHARS_MAX).contains(&payload.amount.len())
            && (1..=8).contains(&payload.currency.len())
            && (NONCE_BYTES_MIN..=NONCE_BYTES_MAX).contains(&payload.nonce.len());
        valid.then_some(payload)
    }
}

/// The payload of `relay.receipt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptPayload {
    /// SHA-256 of the token envelope.
    pub token_hash: [u8; 32],
    /// The device that signed the token.
    pub device_id: String,
    /// The token's device counter.
    pub counter: u64,
    /// The server's answer: `APPROVED`, a decline, or a counter-window refusal.
    pub code: RelayCode,
    /// The ledger's code when the ledger refused the transfer.
    pub ledger_code: Option<String>,
    /// The token's payee.
    pub payee: String,
    /// The token's amount.
    pub amount: String,
    /// The token's currency.
    pub currency: String,
}

impl Cbor for ReceiptPayload {
    fn encode(&self, e: &mut Enc) {
        e.array(8)
            .bytes(&self.token_hash)
            .str(&self.device_id)
            .u64(self.counter)
            .str(self.code.as_str());
        match &self.ledger_code {
            Some(code) => e.str(code),
            None => e.null(),
        };
        e.str(&self.payee).str(&self.amount).str(&self.currency);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 8)?;
        let token_hash: [u8; 32] = cbor::bytes(d)?.try_into().ok()?;
        let device_id = cbor::string(d)?;
        let counter = cbor::u64(d)?;
        let code = RelayCode::from_name(&cbor::string(d)?).filter(|c| c.has_receipt())?;
        let ledger_code = cbor::opt::<String>(d)?;
        let payload = ReceiptPayload {
            token_hash,
            device_id,
            counter,
            code,
            ledger_code,
            payee: cbor::string(d)?,
            amount: cbor::string(d)?,
            currency: cbor::string(d)?,
        };
        let valid = id_ok(&payload.device_id)
            && id_ok(&payload.payee)
            && payload.amount.len() <= AMOUNT_CHARS_MAX
            && payload.currency.len() <= 8
            && payload.ledger_code.as_ref().map_or(true, |c| c.len() <= 64);
        valid.then_some(payload)
    }
}

/// What a token says about itself, read **without** checking its signature: what a relay (which
/// holds no device key) needs to account for the token in its outbox — the offline limits count
/// `amount` in `currency` — and to name it (`device_id`, `counter`). Nothing here is trusted: a
/// forged or altered token reads the same way and the server refuses it (`BAD_SIGNATURE`,
/// `UNKNOWN_KEY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// The envelope's key id: the device id.
    pub device_id: String,
    /// The envelope's `seq`: the device counter.
    pub counter: u64,
    /// The payload's payee.
    pub payee: String,
    /// The payload's amount, a decimal string as the phone wrote it.
    pub amount: String,
    /// The payload's currency.
    pub currency: String,
}

/// Reads a token's claims without verifying it (see [`TokenClaims`]); `None` for bytes that are
/// not an envelope in the canonical layout (any type) with a well-formed version-1 token payload. Bounded by the
/// input: one pass over at most the envelope's six header labels and a four-field payload.
pub fn token_claims(token: &[u8]) -> Option<TokenClaims> {
    if !whole_envelope(token) {
        return None;
    }
    let peeked = peek(token)?;
    // A counter past COUNTER_MAX no phone signs; keeping it out keeps the counter a safe JS integer.
    if peeked.version != PAYLOAD_VERSION || !id_ok(&peeked.kid) || peeked.seq > super::phone::COUNTER_MAX {
        return None;
    }
    let payload = cbor::from_slice::<TokenPayload>(&peeked.payload)?;
    Some(TokenClaims {
        device_id: peeked.kid,
        counter: peeked.seq,
        payee: payload.payee,
        amount: payload.amount,
        currency: payload.currency,
    })
}

/// Whether `bytes` is one whole COSE_Sign1 structure — tag 18, `[protected, {}, payload,
/// signature]` and nothing after it — so that a truncated token (its signature cut off) reads
/// as no token at all. Structure only: nothing is verified.
fn whole_envelope(bytes: &[u8]) -> bool {
    let mut d = Decoder::new(bytes);
    let shaped = (|| {
        if d.tag().ok()?.as_u64() != 18 || d.array().ok()? != Some(4) {
            return None;
        }
        d.bytes().ok()?;
        d.skip().ok()?;
        d.bytes().ok()?;
        d.bytes().ok()?;
        Some(())
    })();
    shaped.is_some() && d.position() == bytes.len()
}

/// The parts of an envelope the server needs when `open` refused it only for its times (the
/// bytes are then known to be canonical and authentic): key id, seq, iat, exp, payload.
pub(crate) struct Peeked {
    pub kid: String,
    pub version: u32,
    pub seq: u64,
    pub issued_at: i64,
    pub payload: Vec<u8>,
}

/// Reads the header fields of an envelope (layout in [`crate::envelope`]) without verifying it.
/// The server calls it after a time rejection, which comes after the structure and signature
/// checks (so a `None` there is unreachable in practice and treated as `MALFORMED`);
/// [`token_claims`] calls it on bytes nobody checked, so every read is fallible.
pub(crate) fn peek(bytes: &[u8]) -> Option<Peeked> {
    /// The protected header has exactly six labels.
    const HEADER_LABELS: u64 = 6;
    let mut d = Decoder::new(bytes);
    if d.tag().ok()?.as_u64() != 18 {
        return None;
    }
    cbor::array(&mut d, 4)?;
    let protected = d.bytes().ok()?;
    let mut h = Decoder::new(protected);
    let (mut kid, mut version, mut seq, mut times) = (None, None, None, None);
    if h.map().ok()? != Some(HEADER_LABELS) {
        return None;
    }
    for _ in 0..HEADER_LABELS {
        match h.i64().ok()? {
            4 => kid = Some(String::from_utf8(h.bytes().ok()?.to_vec()).ok()?),
            15 => {
                if h.map().ok()? != Some(2) || h.u8().ok()? != 4 {
                    return None;
                }
                let _exp = h.i64().ok()?;
                if h.u8().ok()? != 6 {
                    return None;
                }
                times = Some(h.i64().ok()?);
            }
            -65537 => version = Some(h.u32().ok()?),
            -65538 => seq = Some(h.u64().ok()?),
            _ => h.skip().ok()?,
        }
    }
    if d.map().ok()? != Some(0) {
        return None;
    }
    let payload = d.bytes().ok()?.to_vec();
    let issued_at = times?;
    Some(Peeked {
        kid: kid?,
        version: version?,
        seq: seq?,
        issued_at,
        payload,
    })
}
