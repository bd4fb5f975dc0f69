//! The envelope: the one signed-message format of countersign.
//!
//! An envelope is a **COSE_Sign1** message (RFC 9052) in **deterministic CBOR** (RFC 8949
//! §4.2.1), so any back-end with a COSE library can verify it. Layout:
//!
//! ```text
//! 18(                                   ; CBOR tag: COSE_Sign1
//!   [
//!     protected:   bstr .cbor {         ; deterministic map, exactly these labels in this order
//!         1:  alg,                      ;   -8 EdDSA (Ed25519) | -47 ES256K (secp256k1, SHA-256)
//!         4:  kid,                      ;   bstr: UTF-8 key id, 1..=64 bytes, no control chars
//!        15:  { 4: exp, 6: iat },       ;   CWT Claims (RFC 9597): int Unix seconds, exp > iat
//!        16:  typ,                      ;   tstr (RFC 9596): 1..=64 chars of [a-z0-9.\-/+]
//!    -65537:  version,                  ;   uint ≤ u32::MAX: schema version of `typ`
//!    -65538:  seq,                      ;   uint ≤ u64::MAX: sequence number (anti-replay)
//!     },
//!     unprotected: {},                  ; always empty
//!     payload:     bstr,                ; attached, 0..=65 536 bytes
//!     signature:   bstr,                ; 64 bytes
//!   ]
//! )
//! ```
//!
//! The signature covers `Sig_structure = ["Signature1", protected, h'', payload]` (empty external
//! AAD). Ed25519 signs those bytes; ES256K signs SHA-256 of them with an RFC 6979 nonce and is
//! `r‖s` (32 + 32 bytes, COSE's fixed-length form), **low-S** (verification rejects high-S).
//!
//! Everything is in the protected header so that every field is signed; the unprotected header
//! is kept empty so that nothing unsigned can travel with a message.
//!
//! # Check order of [`open`]
//!
//! Exactly one [`Rejection`] per envelope, from the first failing check:
//!
//! 1. `MALFORMED` — size ≤ [`ENVELOPE_BYTES_MAX`], strict structure (tag 18, 4 items, empty
//!    unprotected map, exactly the six protected labels with valid values, signature 64 bytes,
//!    payload ≤ [`PAYLOAD_BYTES_MAX`], exp > iat), and **canonical form**: the parsed header and
//!    the whole message are re-encoded deterministically and must equal the input bytes, so
//!    there is exactly one accepted encoding of every message (no malleability, no trailing bytes,
//!    no non-shortest integers, no indefinite lengths, no duplicate or unknown labels).
//! 2. `UNKNOWN_KEY` — no trusted key has this `(kid, alg)`; a key with the right kid but a
//!    different algorithm does not match (no algorithm confusion).
//! 3. `BAD_SIGNATURE` — the signature does not verify under that key.
//! 4. `WRONG_TYPE` — `typ` differs from the expected type.
//! 5. `NOT_YET_VALID` — `iat > now + maxClockSkewS`.
//! 6. `EXPIRED` — `now ≥ exp`.
//! 7. `REPLAYED` — `seq ≤ lastSeq`.
//!
//! Why this order: everything before the signature check depends only on the message bytes and
//! the public list of trusted key ids, so an unauthenticated sender learns nothing from the code
//! it gets back except "your bytes are malformed / for an unknown key / not signed". The checks
//! that depend on the verifier's *state* (its clock, its last sequence number, what type it
//! expects) run only on authentic messages, so a forger cannot probe that state, and a
//! rejection code after step 3 always describes a message the key holder really signed. Type
//! comes first among those because a message of another type is not addressed to this check at
//! all (its times and sequence number belong to another stream); time comes before replay because
//! an expired or future message is refused whatever its sequence number. The clock skew only
//! widens `iat` (a signer clock running ahead); expiry is strict on the verifier's clock.

mod cbor;

use crate::crypto::{ed25519, secp256k1, sha256};
use crate::error::{Error, ErrorCode, Result};

use cbor::Header;

/// Maximum size of a whole envelope in bytes (largest valid envelope: payload 65 536 bytes plus
/// at most ~300 bytes of structure; anything larger is rejected before parsing).
pub const ENVELOPE_BYTES_MAX: usize = 70_000;
/// Maximum payload size in bytes.
pub const PAYLOAD_BYTES_MAX: usize = 65_536;
/// Maximum key id length in UTF-8 bytes (minimum 1).
pub const KEY_ID_BYTES_MAX: usize = 64;
/// Maximum message type length in characters (minimum 1; the characters are ASCII).
pub const TYPE_CHARS_MAX: usize = 64;
/// Maximum number of trusted keys consulted by [`open`].
pub const TRUSTED_KEYS_MAX: usize = 64;
/// Maximum accepted clock skew in seconds (one day), checked by [`validate_open_params`].
pub const CLOCK_SKEW_S_MAX: u32 = 86_400;
/// Signature length in bytes for both algorithms (Ed25519 `R‖S`, ES256K `r‖s`).
pub const SIGNATURE_LEN: usize = 64;
/// Largest magnitude of `issuedAt` / `expiresAt`, Unix seconds: 2^53 − 1, the largest integer a
/// JavaScript number holds exactly (about 285 million years). The format fixes this range so that
/// every platform — Rust, the SDK's `number`s, any back-end — reads the same times; a time outside
/// it is `ENVELOPE_FIELD_INVALID` when sealing and `MALFORMED` when opening.
pub const TIME_S_MAX: i64 = (1 << 53) - 1;

/// Signature algorithm of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// Ed25519 (COSE "EdDSA", -8), strict verification.
    EdDSA,
    /// ECDSA secp256k1 with SHA-256 (COSE "ES256K", -47, RFC 8812), low-S only.
    ES256K,
}

impl Alg {
    /// Every algorithm, in declaration order.
    pub const ALL: &'static [Alg] = &[Alg::EdDSA, Alg::ES256K];

    /// Parses the COSE name: `"EdDSA"` or `"ES256K"` (exact case).
    ///
    /// Errors: `ALGORITHM_UNSUPPORTED` (param `algorithm`) for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "EdDSA" => Ok(Alg::EdDSA),
            "ES256K" => Ok(Alg::ES256K),
            _ => Err(Error::new(
                ErrorCode::AlgorithmUnsupported,
                "algorithm",
                "must be \"EdDSA\" or \"ES256K\"",
            )),
        }
    }

    /// The COSE name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Alg::EdDSA => "EdDSA",
            Alg::ES256K => "ES256K",
        }
    }

    /// The COSE algorithm identifier (IANA "COSE Algorithms" registry).
    pub const fn cose_label(self) -> i64 {
        match self {
            Alg::EdDSA => -8,
            Alg::ES256K => -47,
        }
    }

    /// The algorithm with this COSE identifier, if supported.
    pub const fn from_cose_label(label: i64) -> Option<Self> {
        match label {
            -8 => Some(Alg::EdDSA),
            -47 => Some(Alg::ES256K),
            _ => None,
        }
    }
}

/// Who signs: an algorithm, a key id and a 32-byte secret key (never stored by the core). The
/// systems that seal messages (energy, dose) take one; each adds its own sealing on top.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    /// Signature algorithm.
    pub alg: Alg,
    /// Key id the receiver knows the public key by.
    pub key_id: &'a str,
    /// 32-byte secret key.
    pub secret_key: &'a [u8],
}

impl Signer<'_> {
    /// Checks the key so that sealing after a state change cannot fail on it.
    ///
    /// Errors: `KEY_INVALID` about `"secretKey"`; `INVALID_ARGUMENT` about `"keyId"`.
    pub fn check(&self) -> Result<()> {
        if self.key_id.is_empty()
            || self.key_id.len() > KEY_ID_BYTES_MAX
            || self.key_id.chars().any(char::is_control)
        {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "keyId",
                "must be 1..=64 UTF-8 bytes without control characters",
            ));
        }
        let valid = match self.alg {
            Alg::EdDSA => ed25519::public_key(self.secret_key).is_ok(),
            Alg::ES256K => secp256k1::public_key(self.secret_key, true).is_ok(),
        };
        if valid {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::KeyInvalid,
                "secretKey",
                format!("is not a valid {} secret key", self.alg.as_str()),
            ))
        }
    }
}

/// Everything needed to seal (build and sign) an envelope.
#[derive(Debug, Clone, Copy)]
pub struct SealParams<'a> {
    /// Signature algorithm.
    pub alg: Alg,
    /// 32-byte secret key for `alg`.
    pub secret_key: &'a [u8],
    /// Key id the verifier looks the public key up by: 1..=64 UTF-8 bytes, no control characters.
    pub key_id: &'a str,
    /// Message type: 1..=64 characters of `[a-z0-9.\-/+]`, e.g. `"card.limits.set"`.
    pub msg_type: &'a str,
    /// Schema version of the message type.
    pub version: u32,
    /// Sequence number: the verifier rejects a sequence number ≤ the last it accepted.
    pub seq: u64,
    /// Issue time, Unix seconds.
    pub issued_at: i64,
    /// Expiry time, Unix seconds, strictly after `issued_at`; valid while `now < expires_at`.
    pub expires_at: i64,
    /// Payload bytes (0..=[`PAYLOAD_BYTES_MAX`]); its schema is given by `(msg_type, version)`.
    pub payload: &'a [u8],
}

/// A public key the verifier trusts for envelopes with this `(key_id, alg)`.
#[derive(Debug, Clone, Copy)]
pub struct TrustedKey<'a> {
    /// Key id as it appears in the envelope's `kid`.
    pub key_id: &'a str,
    /// The only algorithm this key is accepted with.
    pub alg: Alg,
    /// Ed25519: 32 bytes; ES256K: SEC1 compressed (33) or uncompressed (65) bytes.
    pub public_key: &'a [u8],
}

/// The verifier's context for [`open`].
#[derive(Debug, Clone, Copy)]
pub struct OpenParams<'a> {
    /// Keys to accept signatures from (at most [`TRUSTED_KEYS_MAX`]).
    pub trusted_keys: &'a [TrustedKey<'a>],
    /// The verifier's current time, Unix seconds.
    pub now: i64,
    /// The message type this verifier expects.
    pub expected_type: &'a str,
    /// The last sequence number accepted on this stream, if any.
    pub last_seq: Option<u64>,
    /// Tolerated clock skew for `issued_at` in the future, seconds (≤ [`CLOCK_SKEW_S_MAX`]).
    pub max_clock_skew_s: u32,
}

/// Why an envelope was refused. A rejection is an outcome, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// The signature does not verify under the trusted key for `(kid, alg)`.
    BadSignature,
    /// No trusted key has the envelope's `(kid, alg)`.
    UnknownKey,
    /// `now ≥ expiresAt`.
    Expired,
    /// `issuedAt > now + maxClockSkewS`.
    NotYetValid,
    /// `seq ≤ lastSeq`.
    Replayed,
    /// The message type is not the expected one.
    WrongType,
    /// Not a well-formed, canonically encoded envelope of this format (or larger than the limits).
    Malformed,
}

impl Rejection {
    /// Every rejection, in declaration order (the SDK's union is checked against this list).
    pub const ALL: &'static [Rejection] = &[
        Rejection::BadSignature,
        Rejection::UnknownKey,
        Rejection::Expired,
        Rejection::NotYetValid,
        Rejection::Replayed,
        Rejection::WrongType,
        Rejection::Malformed,
    ];

    /// The stable SCREAMING_SNAKE code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rejection::BadSignature => "BAD_SIGNATURE",
            Rejection::UnknownKey => "UNKNOWN_KEY",
            Rejection::Expired => "EXPIRED",
            Rejection::NotYetValid => "NOT_YET_VALID",
            Rejection::Replayed => "REPLAYED",
            Rejection::WrongType => "WRONG_TYPE",
            Rejection::Malformed => "MALFORMED",
        }
    }

    /// One-line description for docs and `describe()`.
    pub const fn description(self) -> &'static str {
        match self {
            Rejection::BadSignature => "The signature does not verify under the trusted key for the envelope's key id and algorithm.",
            Rejection::UnknownKey => "No trusted key has the envelope's key id with the envelope's algorithm.",
            Rejection::Expired => "The envelope has expired: now >= expiresAt.",
            Rejection::NotYetValid => "The envelope was issued in the future: issuedAt > now + maxClockSkewS.",
            Rejection::Replayed => "The sequence number is not greater than the last one accepted.",
            Rejection::WrongType => "The envelope's message type is not the expected one.",
            Rejection::Malformed => "Not a well-formed, canonically encoded countersign envelope within the size limits.",
        }
    }
}

impl core::fmt::Display for Rejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated content of an envelope that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Algorithm it was signed with.
    pub alg: Alg,
    /// Key id of the signing key.
    pub key_id: String,
    /// Message type (equal to the expected type).
    pub msg_type: String,
    /// Schema version.
    pub version: u32,
    /// Sequence number (the caller stores it as the new `lastSeq`).
    pub seq: u64,
    /// Issue time, Unix seconds.
    pub issued_at: i64,
    /// Expiry time, Unix seconds.
    pub expires_at: i64,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

/// Whether `key_id` is 1..=64 UTF-8 bytes without control characters (it ends up in logs and
/// error messages; control characters there would allow log forging).
fn key_id_ok(key_id: &str) -> bool {
    (1..=KEY_ID_BYTES_MAX).contains(&key_id.len()) && !key_id.chars().any(char::is_control)
}

/// Whether `msg_type` is 1..=64 characters of `[a-z0-9.\-/+]`.
fn type_ok(msg_type: &str) -> bool {
    // All accepted characters are ASCII, so the byte length is the character count.
    (1..=TYPE_CHARS_MAX).contains(&msg_type.len())
        && msg_type.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'/' | b'+')
        })
}

fn field_error(param: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::EnvelopeFieldInvalid, param, message)
}

fn internal(message: &str) -> Error {
    Error::new(ErrorCode::Internal, "", message.to_owned())
}

/// Signs the Sig_structure bytes with `alg`.
fn sign_sig_structure(
    alg: Alg,
    secret_key: &[u8],
    to_be_signed: &[u8],
) -> Result<[u8; SIGNATURE_LEN]> {
    match alg {
        Alg::EdDSA => ed25519::sign(secret_key, to_be_signed),
        Alg::ES256K => secp256k1::sign_digest(secret_key, &sha256(to_be_signed)),
    }
}

/// Verifies the signature over the Sig_structure bytes with `alg` (ES256K: low-S only).
fn verify_sig_structure(
    alg: Alg,
    public_key: &[u8],
    to_be_signed: &[u8],
    signature: &[u8],
) -> bool {
    match alg {
        Alg::EdDSA => ed25519::verify(public_key, to_be_signed, signature),
        Alg::ES256K => {
            secp256k1::verify_digest(public_key, &sha256(to_be_signed), signature, false)
        }
    }
}

/// Builds and signs an envelope. Deterministic: the same parameters give the same bytes (both
/// algorithms sign deterministically).
///
/// Errors (checked in this order): `ENVELOPE_FIELD_INVALID` naming `keyId`, `type`, `expiresAt`
/// (must be > `issuedAt`) or `payload` (more than [`PAYLOAD_BYTES_MAX`] bytes); `KEY_INVALID`
/// (param `secretKey`) for a secret key that is not valid for `alg`.
pub fn seal(p: &SealParams<'_>) -> Result<Vec<u8>> {
    if !key_id_ok(p.key_id) {
        return Err(field_error(
            "keyId",
            format!("keyId must be 1..={KEY_ID_BYTES_MAX} UTF-8 bytes without control characters"),
        ));
    }
    if !type_ok(p.msg_type) {
        return Err(field_error(
            "type",
            format!("type must be 1..={TYPE_CHARS_MAX} characters of [a-z0-9.-/+]"),
        ));
    }
    for (name, time) in [("issuedAt", p.issued_at), ("expiresAt", p.expires_at)] {
        if !time_ok(time) {
            return Err(field_error(
                name,
                format!("{name} must be within ±{TIME_S_MAX} Unix seconds, got {time}"),
            ));
        }
    }
    if p.expires_at <= p.issued_at {
        return Err(field_error(
            "expiresAt",
            "expiresAt must be later than issuedAt",
        ));
    }
    if p.payload.len() > PAYLOAD_BYTES_MAX {
        return Err(field_error(
            "payload",
            format!(
                "payload is {} bytes, more than the maximum of {PAYLOAD_BYTES_MAX}",
                p.payload.len()
            ),
        ));
    }
    let header = Header {
        alg: p.alg,
        kid: p.key_id,
        typ: p.msg_type,
        version: p.version,
        seq: p.seq,
        issued_at: p.issued_at,
        expires_at: p.expires_at,
    };
    let protected = cbor::encode_protected(&header)
        .map_err(|_| internal("encoding the protected header failed"))?;
    let to_be_signed = cbor::sig_structure(&protected, p.payload)
        .map_err(|_| internal("encoding the Sig_structure failed"))?;
    let signature = sign_sig_structure(p.alg, p.secret_key, &to_be_signed)?;
    cbor::encode_sign1(&protected, p.payload, &signature)
        .map_err(|_| internal("encoding the envelope failed"))
}

fn time_ok(seconds: i64) -> bool {
    (-TIME_S_MAX..=TIME_S_MAX).contains(&seconds)
}

/// Decodes and checks the structure and canonical form of an envelope (check 1 of [`open`]).
fn parse(bytes: &[u8]) -> core::result::Result<(cbor::Sign1<'_>, Header<'_>), Rejection> {
    if bytes.len() > ENVELOPE_BYTES_MAX {
        return Err(Rejection::Malformed);
    }
    let sign1 = cbor::decode_sign1(bytes).ok_or(Rejection::Malformed)?;
    let header = cbor::decode_protected(sign1.protected).ok_or(Rejection::Malformed)?;
    let valid_fields = key_id_ok(header.kid)
        && type_ok(header.typ)
        && time_ok(header.issued_at)
        && time_ok(header.expires_at)
        && header.expires_at > header.issued_at
        && sign1.payload.len() <= PAYLOAD_BYTES_MAX
        && sign1.signature.len() == SIGNATURE_LEN;
    if !valid_fields {
        return Err(Rejection::Malformed);
    }
    // Canonical form: one accepted encoding per message. Re-encoding the header catches
    // non-shortest integers and lengths inside it; re-encoding the envelope catches them in the
    // outer structure (tag, array, bstr lengths). Trailing bytes were refused by the decoders.
    let protected = cbor::encode_protected(&header).map_err(|_| Rejection::Malformed)?;
    if protected != sign1.protected {
        return Err(Rejection::Malformed);
    }
    let whole = cbor::encode_sign1(sign1.protected, sign1.payload, sign1.signature)
        .map_err(|_| Rejection::Malformed)?;
    if whole != bytes {
        return Err(Rejection::Malformed);
    }
    Ok((sign1, header))
}

/// Checks an envelope and returns its authenticated content, or the one reason it is refused.
///
/// See the module documentation for the check order. `open` never fails with an [`Error`]:
/// invalid *parameters* (too many keys, a malformed trusted public key) cannot make it accept a
/// bad envelope — only the first [`TRUSTED_KEYS_MAX`] keys are consulted, and a malformed trusted
/// key verifies nothing — but they are caller bugs that [`open_checked`] reports as errors.
pub fn open(bytes: &[u8], p: &OpenParams<'_>) -> core::result::Result<Opened, Rejection> {
    let (sign1, header) = parse(bytes)?;

    let key = p
        .trusted_keys
        .iter()
        .take(TRUSTED_KEYS_MAX)
        .find(|k| k.alg == header.alg && k.key_id == header.kid)
        .ok_or(Rejection::UnknownKey)?;

    // Encoding into a Vec cannot fail; if it somehow did, nothing was verified, so refuse.
    let to_be_signed =
        cbor::sig_structure(sign1.protected, sign1.payload).map_err(|_| Rejection::Malformed)?;
    if !verify_sig_structure(header.alg, key.public_key, &to_be_signed, sign1.signature) {
        return Err(Rejection::BadSignature);
    }

    // Authentic from here on: the remaining checks compare signed fields with verifier state.
    if header.typ != p.expected_type {
        return Err(Rejection::WrongType);
    }
    if header.issued_at > p.now.saturating_add(i64::from(p.max_clock_skew_s)) {
        return Err(Rejection::NotYetValid);
    }
    if p.now >= header.expires_at {
        return Err(Rejection::Expired);
    }
    if p.last_seq.is_some_and(|last| header.seq <= last) {
        return Err(Rejection::Replayed);
    }

    Ok(Opened {
        alg: header.alg,
        key_id: header.kid.to_owned(),
        msg_type: header.typ.to_owned(),
        version: header.version,
        seq: header.seq,
        issued_at: header.issued_at,
        expires_at: header.expires_at,
        payload: sign1.payload.to_vec(),
    })
}

/// Checks the verifier's parameters (not the envelope, which is untrusted input and only ever
/// gives a [`Rejection`]).
///
/// Errors: `LIMIT_EXCEEDED` (param `trustedKeys`) for more than [`TRUSTED_KEYS_MAX`] keys;
/// `ENVELOPE_FIELD_INVALID` (param `trustedKeys`) for an invalid key id;
/// `KEY_INVALID` (param `trustedKeys`) for a public key that is not valid for its algorithm;
/// `INVALID_ARGUMENT` (param `trustedKeys`) for two keys with the same `(keyId, alg)`;
/// `ENVELOPE_FIELD_INVALID` (param `expectedType`) for an invalid type;
/// `INVALID_ARGUMENT` (param `maxClockSkewS`) above [`CLOCK_SKEW_S_MAX`].
pub fn validate_open_params(p: &OpenParams<'_>) -> Result<()> {
    if p.trusted_keys.len() > TRUSTED_KEYS_MAX {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            "trustedKeys",
            format!(
                "has {} keys, more than the maximum of {TRUSTED_KEYS_MAX}",
                p.trusted_keys.len()
            ),
        ));
    }
    for (index, key) in p.trusted_keys.iter().enumerate() {
        if !key_id_ok(key.key_id) {
            return Err(field_error(
                "trustedKeys",
                format!("trustedKeys[{index}].keyId must be 1..={KEY_ID_BYTES_MAX} UTF-8 bytes without control characters"),
            ));
        }
        let key_ok = match key.alg {
            Alg::EdDSA => ed25519::parse_public_key(key.public_key).is_some(),
            Alg::ES256K => secp256k1::parse_public_key(key.public_key).is_some(),
        };
        if !key_ok {
            return Err(Error::new(
                ErrorCode::KeyInvalid,
                "trustedKeys",
                format!(
                    "trustedKeys[{index}].publicKey is not a valid {} public key",
                    key.alg.as_str()
                ),
            ));
        }
        // Quadratic, but bounded by TRUSTED_KEYS_MAX² = 4096 comparisons.
        let duplicate = p
            .trusted_keys
            .iter()
            .take(index)
            .any(|other| other.alg == key.alg && other.key_id == key.key_id);
        if duplicate {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "trustedKeys",
                format!(
                    "trustedKeys[{index}] repeats keyId {:?} with algorithm {}",
                    key.key_id,
                    key.alg.as_str()
                ),
            ));
        }
    }
    if !type_ok(p.expected_type) {
        return Err(field_error(
            "expectedType",
            format!("expectedType must be 1..={TYPE_CHARS_MAX} characters of [a-z0-9.-/+]"),
        ));
    }
    if p.max_clock_skew_s > CLOCK_SKEW_S_MAX {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            "maxClockSkewS",
            format!("must be at most {CLOCK_SKEW_S_MAX} seconds"),
        ));
    }
    Ok(())
}

/// [`validate_open_params`] then [`open`]: an `Err` is a caller bug (bad parameters), an
/// `Ok(Err(_))` is a refused envelope. This is the entry point the SDK uses.
pub fn open_checked(
    bytes: &[u8],
    p: &OpenParams<'_>,
) -> Result<core::result::Result<Opened, Rejection>> {
    validate_open_params(p)?;
    Ok(open(bytes, p))
}

#[cfg(test)]
mod tests;
