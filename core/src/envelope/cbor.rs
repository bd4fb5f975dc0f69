//! The CBOR layer of the envelope: encoding and strict decoding of COSE_Sign1, its protected
//! header and the Sig_structure.
//!
//! Encoding uses `minicbor`'s `Encoder`, which always writes the shortest form of integers and
//! lengths and definite lengths; the map labels are written in the deterministic order of
//! RFC 8949 §4.2.1 (bytewise order of their encodings) by construction, so every value encodes
//! canonically.
//!
//! Decoding reads exactly the expected items in exactly the expected order (no generic map
//! walking: an unknown or duplicate label is simply not the next expected label). The decoders do
//! not check the shortest form; the caller re-encodes what was decoded and compares the bytes,
//! which rejects every non-canonical encoding in one place.

use core::convert::Infallible;

use minicbor::data::Tag;
use minicbor::{Decoder, Encoder};

use super::Alg;

/// CBOR tag of COSE_Sign1 (RFC 9052 §2).
pub(crate) const COSE_SIGN1_TAG: u64 = 18;
/// Context string of the Sig_structure for COSE_Sign1 (RFC 9052 §4.4).
const SIGNATURE1_CONTEXT: &str = "Signature1";

/// Protected header label: algorithm (RFC 9052 §3.1).
pub(crate) const LABEL_ALG: i64 = 1;
/// Protected header label: key identifier, a bstr (RFC 9052 §3.1).
pub(crate) const LABEL_KID: i64 = 4;
/// Protected header label: CWT Claims (RFC 9597).
pub(crate) const LABEL_CWT_CLAIMS: i64 = 15;
/// Protected header label: content type of the whole message, "typ" (RFC 9596).
pub(crate) const LABEL_TYP: i64 = 16;
/// Private-use label (< -65536, RFC 9052 §16.3): schema version of the message type.
pub(crate) const LABEL_VERSION: i64 = -65537;
/// Private-use label: sequence number (anti-replay).
pub(crate) const LABEL_SEQ: i64 = -65538;
/// CWT claim key: expiration time, NumericDate (RFC 8392 §3.1.4).
pub(crate) const CLAIM_EXP: i64 = 4;
/// CWT claim key: issued at, NumericDate (RFC 8392 §3.1.6).
pub(crate) const CLAIM_IAT: i64 = 6;

/// Number of entries in the protected header map.
const PROTECTED_ENTRIES: u64 = 6;
/// Number of entries in the CWT Claims map.
const CLAIMS_ENTRIES: u64 = 2;
/// Number of items in COSE_Sign1 and in Sig_structure.
const SIGN1_ITEMS: u64 = 4;

/// Encoding into a `Vec` cannot fail (its writer error is `Infallible`), but the API says
/// `Result`: callers map this to an internal error (seal) or a rejection (open) without panicking.
pub(crate) type EncodeError = minicbor::encode::Error<Infallible>;

/// The decoded fields of the protected header, borrowing its strings from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub alg: Alg,
    pub kid: &'a str,
    pub typ: &'a str,
    pub version: u32,
    pub seq: u64,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// The three byte strings of a decoded COSE_Sign1 (the unprotected map was checked empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sign1<'a> {
    pub protected: &'a [u8],
    pub payload: &'a [u8],
    pub signature: &'a [u8],
}

/// Encodes the protected header map, labels in deterministic order:
/// `1, 4, 15, 16, -65537, -65538` (encodings `01`, `04`, `0f`, `10`, `3a00010000`, `3a00010001`).
pub(crate) fn encode_protected(h: &Header<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut e = Encoder::new(Vec::with_capacity(256));
    e.map(PROTECTED_ENTRIES)?;
    e.i64(LABEL_ALG)?.i64(h.alg.cose_label())?;
    e.i64(LABEL_KID)?.bytes(h.kid.as_bytes())?;
    // Claims map keys 4 (`04`) then 6 (`06`).
    e.i64(LABEL_CWT_CLAIMS)?.map(CLAIMS_ENTRIES)?;
    e.i64(CLAIM_EXP)?.i64(h.expires_at)?;
    e.i64(CLAIM_IAT)?.i64(h.issued_at)?;
    e.i64(LABEL_TYP)?.str(h.typ)?;
    e.i64(LABEL_VERSION)?.u32(h.version)?;
    e.i64(LABEL_SEQ)?.u64(h.seq)?;
    Ok(e.into_writer())
}

/// Reads the next item as an integer label and checks it is `expected`.
fn expect_label(d: &mut Decoder<'_>, expected: i64) -> Option<()> {
    (d.i64().ok()? == expected).then_some(())
}

/// Decodes the protected header strictly: a definite map of exactly the six expected labels in
/// order with values of the expected types, and nothing after it. The shortest-form check is
/// left to the caller (re-encode and compare).
pub(crate) fn decode_protected(bytes: &[u8]) -> Option<Header<'_>> {
    let mut d = Decoder::new(bytes);
    if d.map().ok()? != Some(PROTECTED_ENTRIES) {
        return None;
    }
    expect_label(&mut d, LABEL_ALG)?;
    let alg = Alg::from_cose_label(d.i64().ok()?)?;
    expect_label(&mut d, LABEL_KID)?;
    let kid = core::str::from_utf8(d.bytes().ok()?).ok()?;
    expect_label(&mut d, LABEL_CWT_CLAIMS)?;
    if d.map().ok()? != Some(CLAIMS_ENTRIES) {
        return None;
    }
    expect_label(&mut d, CLAIM_EXP)?;
    let expires_at = d.i64().ok()?;
    expect_label(&mut d, CLAIM_IAT)?;
    let issued_at = d.i64().ok()?;
    expect_label(&mut d, LABEL_TYP)?;
    let typ = d.str().ok()?;
    expect_label(&mut d, LABEL_VERSION)?;
    let version = d.u32().ok()?;
    expect_label(&mut d, LABEL_SEQ)?;
    let seq = d.u64().ok()?;
    if d.position() != bytes.len() {
        return None;
    }
    Some(Header {
        alg,
        kid,
        typ,
        version,
        seq,
        issued_at,
        expires_at,
    })
}

/// Encodes the tagged COSE_Sign1 `18([protected, {}, payload, signature])`.
pub(crate) fn encode_sign1(
    protected: &[u8],
    payload: &[u8],
    signature: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    let capacity = protected
        .len()
        .saturating_add(payload.len())
        .saturating_add(signature.len())
        .saturating_add(32);
    let mut e = Encoder::new(Vec::with_capacity(capacity));
    e.tag(Tag::new(COSE_SIGN1_TAG))?.array(SIGN1_ITEMS)?;
    e.bytes(protected)?
        .map(0)?
        .bytes(payload)?
        .bytes(signature)?;
    Ok(e.into_writer())
}

/// Decodes a tagged COSE_Sign1 strictly: tag 18, a definite array of 4, a bstr, an *empty*
/// definite map, a bstr payload (never nil: detached payloads are not used), a bstr signature,
/// and nothing after. The shortest-form check is left to the caller.
pub(crate) fn decode_sign1(bytes: &[u8]) -> Option<Sign1<'_>> {
    let mut d = Decoder::new(bytes);
    if d.tag().ok()?.as_u64() != COSE_SIGN1_TAG {
        return None;
    }
    if d.array().ok()? != Some(SIGN1_ITEMS) {
        return None;
    }
    let protected = d.bytes().ok()?;
    if d.map().ok()? != Some(0) {
        return None;
    }
    let payload = d.bytes().ok()?;
    let signature = d.bytes().ok()?;
    if d.position() != bytes.len() {
        return None;
    }
    Some(Sign1 {
        protected,
        payload,
        signature,
    })
}

/// Encodes `Sig_structure = ["Signature1", protected, external_aad = h'', payload]`
/// (RFC 9052 §4.4), the bytes that are signed.
pub(crate) fn sig_structure(protected: &[u8], payload: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let capacity = protected
        .len()
        .saturating_add(payload.len())
        .saturating_add(32);
    let mut e = Encoder::new(Vec::with_capacity(capacity));
    e.array(SIGN1_ITEMS)?
        .str(SIGNATURE1_CONTEXT)?
        .bytes(protected)?
        .bytes(&[])?
        .bytes(payload)?;
    Ok(e.into_writer())
}
