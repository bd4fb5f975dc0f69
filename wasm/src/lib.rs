//! countersign-wasm: the wasm-bindgen adapter over `countersign-core`.
//!
//! This crate holds no business logic. Each export converts JavaScript values into core types,
//! calls exactly one core function, and converts the result back; core errors become real JS
//! `Error` objects with a stable `code` (see [`to_js_error`]). Direct scalar and byte arguments
//! have already been checked by the TypeScript SDK (wasm-bindgen would mangle them silently);
//! object arguments are checked here, by `de.rs`, which is the one place that refuses an unknown
//! field or a wrong type and names its path.
// No unsafe code, but for the global allocator (alloc.rs, the one module that allows it).
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

use countersign_core::crypto::{self, ed25519, secp256k1};
use countersign_core::envelope::{self, Alg, OpenParams, SealParams, TrustedKey};
use countersign_core::error::{Error, ErrorCode, ErrorKind};
use countersign_core::money::{Amount, Currency, CurrencyKind, RoundingMode};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

pub(crate) type JsResult<T> = Result<T, JsValue>;

// One Rust module per system (and per primitive with its own Cargo feature, the ledger), each
// compiled only when its feature is on; this file keeps the primitives every module carries
// (money, crypto, envelope) and the shared conversion helpers. The list of systems and their
// features is systems.json (tests/manifest.test.mjs checks wasm/Cargo.toml against it).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod alloc;
#[cfg(feature = "card")]
mod card;
#[cfg(feature = "custody-book")]
mod custody_book;
#[cfg(feature = "custody-keys")]
mod custody_keys;
#[cfg(feature = "custody-liabilities")]
mod custody_liabilities;
#[cfg(feature = "any-system")]
mod de;
#[cfg(feature = "dose-device")]
mod dose;
#[cfg(feature = "dose-escalation")]
mod dose_escalation;
#[cfg(feature = "energy")]
mod energy;
#[cfg(feature = "ledger")]
mod ledger;
#[cfg(feature = "relay")]
mod relay;
#[cfg(feature = "pos")]
mod pos;
#[cfg(feature = "any-system")]
// The key holder's adapter (custody-keys) builds its one object with `set`: the writer is unused
// in that module. Allowed only in builds holding that part; every other system module's clippy
// (card, ledger, …, none with custody-keys) still denies dead code here.
#[cfg_attr(feature = "custody-keys", allow(dead_code))]
mod ser;
#[cfg(feature = "shelf")]
mod shelf;
#[cfg(feature = "ecash")]
mod ecash;
#[cfg(feature = "tempcard")]
mod tempcard;
#[cfg(feature = "transfer-resolve")]
mod transfer;
#[cfg(feature = "transfer-lifecycle")]
mod transfer_lifecycle;

/// Bytes the Rust heap has handed out and not taken back: a diagnostic (the leak test watches
/// it; the memory's own size grows in steps of a MiB or more, see alloc.rs).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[wasm_bindgen(js_name = heapBytesInUse)]
pub fn heap_bytes_in_use() -> f64 {
    alloc::bytes_in_use() as f64
}

/// Converts a core error into a JS `Error` with `name`, `code`, `param` and `kind`.
/// The SDK re-wraps it in its own classes; a raw caller still sees a real `Error`, never a string.
pub(crate) fn to_js_error(err: Error) -> JsValue {
    // The one place a message is composed: "countersign: <path>: <why>". The core built the path
    // where the error was raised (Error::at) and its message does not repeat it.
    let message = if err.param().is_empty() {
        format!("countersign: {}", err.message())
    } else {
        format!("countersign: {}: {}", err.param(), err.message())
    };
    let js_err = js_sys::Error::new(&message);
    js_err.set_name("CountersignError");
    let obj: &JsValue = js_err.as_ref();
    // Reflect::set only fails on frozen or proxied objects, which a fresh Error is not.
    let _ = Reflect::set(obj, &"code".into(), &err.code().as_str().into());
    let _ = Reflect::set(obj, &"param".into(), &err.param().into());
    let _ = Reflect::set(obj, &"kind".into(), &kind_name(err.code().kind()).into());
    js_err.into()
}

pub(crate) fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Range => "range",
        ErrorKind::Type => "type",
        ErrorKind::Internal => "internal",
    }
}

pub(crate) fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &key.into(), value);
}

pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// A signer from `{ algorithm, keyId, secretKey: Uint8Array }` (owned for the call), for the
/// systems that seal messages (energy, dose). Under `any-system` like the other shared
/// conversions; a module without a sealing system does not use it (LTO drops it).
#[cfg(feature = "any-system")]
#[allow(dead_code)]
pub(crate) struct OwnedSigner {
    alg: Alg,
    key_id: String,
    secret_key: Vec<u8>,
}

#[cfg(feature = "any-system")]
#[allow(dead_code)]
impl OwnedSigner {
    pub(crate) fn from_js(value: &JsValue) -> JsResult<OwnedSigner> {
        let key_id = get(value, "keyId").as_string().ok_or_else(|| type_error("signer", "signer.keyId must be a string"))?;
        let alg_name = get(value, "algorithm").as_string().ok_or_else(|| type_error("signer", "signer.algorithm must be a string"))?;
        let secret_key = get(value, "secretKey")
            .dyn_into::<Uint8Array>()
            .map_err(|_| type_error("signer", "signer.secretKey must be a Uint8Array"))?
            .to_vec();
        let alg = Alg::from_name(&alg_name).map_err(to_js_error)?;
        Ok(OwnedSigner { alg, key_id, secret_key })
    }

    pub(crate) fn signer(&self) -> envelope::Signer<'_> {
        envelope::Signer { alg: self.alg, key_id: &self.key_id, secret_key: &self.secret_key }
    }
}

#[cfg(feature = "any-system")]
impl Drop for OwnedSigner {
    fn drop(&mut self) {
        // The secret key came from JS for this call only: do not leave it in wasm memory.
        self.secret_key.iter_mut().for_each(|b| *b = 0);
    }
}

pub(crate) fn type_error(param: &'static str, what: &str) -> JsValue {
    to_js_error(Error::new(ErrorCode::InvalidType, param, what))
}

// ---------------------------------------------------------------------------------------------
// errors

/// Every error code with its kind and description, in the core's declaration order.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Array {
    ErrorCode::ALL
        .iter()
        .map(|code| {
            let entry = Object::new();
            set(&entry, "code", &code.as_str().into());
            set(&entry, "kind", &kind_name(code.kind()).into());
            set(&entry, "description", &code.description().into());
            JsValue::from(entry)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// money

fn currency_to_js(currency: &Currency) -> JsValue {
    let info = Object::new();
    set(&info, "code", &currency.code().into());
    set(&info, "minorUnits", &currency.minor_units().into());
    let numeric = currency.numeric().map_or(JsValue::NULL, JsValue::from);
    set(&info, "numeric", &numeric);
    let kind = match currency.kind() {
        CurrencyKind::Iso4217 => "iso4217",
        CurrencyKind::Asset => "asset",
    };
    set(&info, "kind", &kind.into());
    info.into()
}

pub(crate) fn currency_of(code: &str) -> JsResult<&'static Currency> {
    Currency::from_code(code).map_err(to_js_error)
}

pub(crate) fn amount_of(value: &str, currency: &str) -> JsResult<Amount> {
    Amount::parse(value, currency_of(currency)?, None).map_err(to_js_error)
}

fn rounding_of(name: &str) -> JsResult<RoundingMode> {
    RoundingMode::from_name(name).map_err(to_js_error)
}

#[wasm_bindgen(js_name = currencyInfo)]
pub fn currency_info(code: &str) -> JsResult<JsValue> {
    Ok(currency_to_js(currency_of(code)?))
}

#[wasm_bindgen(js_name = currencyList)]
pub fn currency_list() -> Array {
    Currency::all().iter().map(currency_to_js).collect()
}

/// Parses `value` strictly in `currency`; `rounding` (a mode name) allows excess fraction digits.
#[wasm_bindgen(js_name = amountParse)]
pub fn amount_parse(value: &str, currency: &str, rounding: Option<String>) -> JsResult<String> {
    let mode = rounding.as_deref().map(rounding_of).transpose()?;
    let amount = Amount::parse(value, currency_of(currency)?, mode).map_err(to_js_error)?;
    Ok(amount.to_string())
}

/// The largest number of minor units an amount holds in magnitude (2^96 - 1) as a decimal
/// string: the SDK keeps amounts as `bigint` minor units and checks this range itself, against
/// the core's number rather than a copy of it.
#[wasm_bindgen(js_name = amountMinorUnitsMax)]
pub fn amount_minor_units_max() -> String {
    countersign_core::money::MINOR_UNITS_MAX.to_string()
}

#[wasm_bindgen(js_name = amountFromMinor)]
pub fn amount_from_minor(minor: &str, currency: &str) -> JsResult<String> {
    let amount = Amount::from_minor_str(minor, currency_of(currency)?).map_err(to_js_error)?;
    Ok(amount.to_string())
}

#[wasm_bindgen(js_name = amountToMinor)]
pub fn amount_to_minor(value: &str, currency: &str) -> JsResult<String> {
    Ok(amount_of(value, currency)?.to_minor_units().to_string())
}

#[wasm_bindgen(js_name = amountAdd)]
pub fn amount_add(a: &str, a_currency: &str, b: &str, b_currency: &str) -> JsResult<String> {
    let sum = amount_of(a, a_currency)?.checked_add(&amount_of(b, b_currency)?).map_err(to_js_error)?;
    Ok(sum.to_string())
}

#[wasm_bindgen(js_name = amountSub)]
pub fn amount_sub(a: &str, a_currency: &str, b: &str, b_currency: &str) -> JsResult<String> {
    let diff = amount_of(a, a_currency)?.checked_sub(&amount_of(b, b_currency)?).map_err(to_js_error)?;
    Ok(diff.to_string())
}

#[wasm_bindgen(js_name = amountMul)]
pub fn amount_mul(a: &str, currency: &str, factor: &str, rounding: &str) -> JsResult<String> {
    let factor = countersign_core::money::parse_decimal(factor, "factor").map_err(to_js_error)?;
    let product = amount_of(a, currency)?.checked_mul(factor, rounding_of(rounding)?).map_err(to_js_error)?;
    Ok(product.to_string())
}

/// -1, 0 or 1.
#[wasm_bindgen(js_name = amountCompare)]
pub fn amount_compare(a: &str, a_currency: &str, b: &str, b_currency: &str) -> JsResult<i32> {
    let ordering = amount_of(a, a_currency)?.cmp_amount(&amount_of(b, b_currency)?).map_err(to_js_error)?;
    Ok(ordering as i32)
}

#[wasm_bindgen(js_name = amountSplit)]
pub fn amount_split(a: &str, currency: &str, ratios: &[u64]) -> JsResult<Vec<String>> {
    let parts = amount_of(a, currency)?.split(ratios).map_err(to_js_error)?;
    Ok(parts.iter().map(ToString::to_string).collect())
}

// ---------------------------------------------------------------------------------------------
// crypto

#[wasm_bindgen]
pub fn sha256(data: &[u8]) -> Vec<u8> {
    crypto::sha256(data).to_vec()
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key` (any length).
#[wasm_bindgen(js_name = hmacSha256)]
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    crypto::hmac_sha256(key, message).to_vec()
}

#[wasm_bindgen(js_name = constantTimeEqual)]
pub fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    crypto::ct_eq(a, b)
}

#[wasm_bindgen(js_name = ed25519PublicKey)]
pub fn ed25519_public_key(secret_key: &[u8]) -> JsResult<Vec<u8>> {
    Ok(ed25519::public_key(secret_key).map_err(to_js_error)?.to_vec())
}

#[wasm_bindgen(js_name = ed25519Sign)]
pub fn ed25519_sign(secret_key: &[u8], message: &[u8]) -> JsResult<Vec<u8>> {
    Ok(ed25519::sign(secret_key, message).map_err(to_js_error)?.to_vec())
}

#[wasm_bindgen(js_name = ed25519Verify)]
pub fn ed25519_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    ed25519::verify(public_key, message, signature)
}

/// `ed25519::verify_batch` over the SDK's packing: `data` holds each item's public key, message
/// and signature back to back, `lengths` their byte lengths (three per item). One 0/1 byte per
/// item comes back. Two arrays instead of one JS array of objects: one copy each way.
#[wasm_bindgen(js_name = ed25519VerifyBatch)]
pub fn ed25519_verify_batch(data: &[u8], lengths: &[u32]) -> JsResult<Vec<u8>> {
    let packing = |what: &str| to_js_error(Error::new(ErrorCode::InvalidArgument, "items", what));
    if lengths.len() % 3 != 0 {
        return Err(packing("the lengths are not three per item"));
    }
    let mut items: Vec<(&[u8], &[u8], &[u8])> = Vec::with_capacity(lengths.len() / 3);
    let mut rest = data;
    let mut take = |len: u32| -> JsResult<&[u8]> {
        let len = usize::try_from(len).map_err(|_| packing("a length does not fit"))?;
        if len > rest.len() {
            return Err(packing("the lengths exceed the data"));
        }
        let (head, tail) = rest.split_at(len);
        rest = tail;
        Ok(head)
    };
    for triple in lengths.chunks_exact(3) {
        if let &[key, message, signature] = triple {
            items.push((take(key)?, take(message)?, take(signature)?));
        }
    }
    if !rest.is_empty() {
        return Err(packing("the data is longer than the lengths"));
    }
    let results = ed25519::verify_batch(&items).map_err(to_js_error)?;
    Ok(results.into_iter().map(u8::from).collect())
}

fn signature_format_of(name: &str) -> JsResult<secp256k1::SignatureFormat> {
    secp256k1::SignatureFormat::from_name(name).map_err(to_js_error)
}

#[wasm_bindgen(js_name = secp256k1PublicKey)]
pub fn secp256k1_public_key(secret_key: &[u8], compressed: bool) -> JsResult<Vec<u8>> {
    secp256k1::public_key(secret_key, compressed).map_err(to_js_error)
}

#[wasm_bindgen(js_name = secp256k1Sign)]
pub fn secp256k1_sign(secret_key: &[u8], message: &[u8], format: &str) -> JsResult<Vec<u8>> {
    secp256k1::sign(secret_key, message, signature_format_of(format)?).map_err(to_js_error)
}

#[wasm_bindgen(js_name = secp256k1Verify)]
pub fn secp256k1_verify(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
    format: &str,
    allow_high_s: bool,
) -> JsResult<bool> {
    let format = signature_format_of(format)?;
    Ok(secp256k1::verify(public_key, message, signature, format, allow_high_s))
}

#[wasm_bindgen(js_name = secp256k1NormalizeS)]
pub fn secp256k1_normalize_s(signature: &[u8], format: &str) -> JsResult<Vec<u8>> {
    secp256k1::normalize_s(signature, signature_format_of(format)?).map_err(to_js_error)
}

// ---------------------------------------------------------------------------------------------
// envelope

fn alg_of(name: &str) -> JsResult<Alg> {
    Alg::from_name(name).map_err(to_js_error)
}

#[wasm_bindgen(js_name = envelopeSeal)]
#[allow(clippy::too_many_arguments)] // one flat call is cheaper across the boundary than an object
pub fn envelope_seal(
    algorithm: &str,
    secret_key: &[u8],
    key_id: &str,
    msg_type: &str,
    version: u32,
    seq: u64,
    issued_at: i64,
    expires_at: i64,
    payload: &[u8],
) -> JsResult<Vec<u8>> {
    let params = SealParams {
        alg: alg_of(algorithm)?,
        secret_key,
        key_id,
        msg_type,
        version,
        seq,
        issued_at,
        expires_at,
        payload,
    };
    envelope::seal(&params).map_err(to_js_error)
}

/// Owned copy of one trusted key read from a JS object `{ keyId, algorithm, publicKey }`.
pub(crate) struct OwnedTrustedKey {
    pub(crate) key_id: String,
    pub(crate) alg: Alg,
    pub(crate) public_key: Vec<u8>,
}

pub(crate) fn trusted_keys_of(keys: &Array) -> JsResult<Vec<OwnedTrustedKey>> {
    if keys.length() as usize > envelope::TRUSTED_KEYS_MAX {
        return Err(to_js_error(Error::new(
            ErrorCode::LimitExceeded,
            "trustedKeys",
            format!("at most {} trusted keys", envelope::TRUSTED_KEYS_MAX),
        )));
    }
    let mut owned = Vec::with_capacity(keys.length() as usize);
    for entry in keys.iter() {
        let key_id = get(&entry, "keyId").as_string().ok_or_else(|| type_error("trustedKeys", "keyId must be a string"))?;
        let alg_name = get(&entry, "algorithm").as_string().ok_or_else(|| type_error("trustedKeys", "algorithm must be a string"))?;
        let public_key = get(&entry, "publicKey")
            .dyn_into::<Uint8Array>()
            .map_err(|_| type_error("trustedKeys", "publicKey must be a Uint8Array"))?
            .to_vec();
        owned.push(OwnedTrustedKey { key_id, alg: alg_of(&alg_name)?, public_key });
    }
    Ok(owned)
}

/// Opens an envelope. Returns `{ ok: true, code: "VALID", ...fields }` or `{ ok: false, code }`:
/// rejections are outcomes, not exceptions.
#[wasm_bindgen(js_name = envelopeOpen)]
pub fn envelope_open(
    bytes: &[u8],
    trusted_keys: &Array,
    now: i64,
    expected_type: &str,
    last_seq: Option<u64>,
    max_clock_skew_s: u32,
) -> JsResult<JsValue> {
    let owned = trusted_keys_of(trusted_keys)?;
    let keys: Vec<TrustedKey> = owned
        .iter()
        .map(|k| TrustedKey { key_id: &k.key_id, alg: k.alg, public_key: &k.public_key })
        .collect();
    let params = OpenParams { trusted_keys: &keys, now, expected_type, last_seq, max_clock_skew_s };
    let result = Object::new();
    // open_checked: a malformed *call* (bad trusted key, duplicate key, bad expected type)
    // throws; a malformed *envelope* is an outcome.
    match envelope::open_checked(bytes, &params).map_err(to_js_error)? {
        Ok(opened) => {
            set(&result, "ok", &JsValue::TRUE);
            set(&result, "code", &"VALID".into());
            set(&result, "type", &opened.msg_type.into());
            set(&result, "version", &opened.version.into());
            set(&result, "keyId", &opened.key_id.into());
            set(&result, "seq", &js_sys::BigInt::from(opened.seq).into());
            // Exact as Numbers: the envelope format bounds times to ±(2^53 − 1) (TIME_S_MAX).
            set(&result, "issuedAt", &JsValue::from(opened.issued_at as f64));
            set(&result, "expiresAt", &JsValue::from(opened.expires_at as f64));
            set(&result, "algorithm", &opened.alg.as_str().into());
            set(&result, "payload", &Uint8Array::from(opened.payload.as_slice()).into());
        }
        Err(rejection) => {
            set(&result, "ok", &JsValue::FALSE);
            set(&result, "code", &rejection.as_str().into());
        }
    }
    Ok(result.into())
}

/// Traps the instance on purpose (`unreachable`), for the SDK's recovery tests: the only way to
/// reach the "after a trap" path without a bug. It harms nothing but its own instance, which the
/// SDK then stops using until `init()` starts a fresh one.
#[wasm_bindgen(js_name = __trapForTests)]
pub fn trap_for_tests() {
    std::process::abort()
}

// ---------------------------------------------------------------------------------------------
// structured values (serde <-> JS objects)

// The three helpers below serve every system adapter and no primitive: they are compiled when at
// least one system is. `any-system` is the feature every system's feature enables (Cargo.toml),
// which says exactly that; listing systems here instead (it was `any(card, ledger)`, true only
// because tempcard and energy enable the ledger) would break the build of a module holding a
// system that is not on the ledger (the helpers missing) or holding no system (dead code
// denied by clippy).

/// Serialises a core value as a plain JS object (maps as objects, `None` as `null`; `ser.rs`).
#[cfg_attr(feature = "custody-keys", allow(dead_code))] // unused in the custody-keys module: see `mod ser`
#[cfg(feature = "any-system")]
pub(crate) fn to_js<T: serde::Serialize>(value: &T) -> JsResult<JsValue> {
    value
        .serialize(ser::JsSer)
        .map_err(|e| to_js_error(Error::new(ErrorCode::Internal, "", format!("serialising a result failed: {e}"))))
}

/// Reads a JS object into a core input type: the one place that refuses what the core's types
/// do not accept (an unknown field, a missing one, a wrong type), naming where in the value the
/// problem is under `param` (`order.tariff.unitPrice`, `operations[3].request.finale`). See `de.rs`.
#[cfg(feature = "any-system")]
#[allow(dead_code)] // unused in the ledger-only module: the ledger reads with `de::read` and adds the path only on error
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, param: &str) -> JsResult<T> {
    de::read(value, param).map_err(to_js_error)
}

#[cfg(feature = "any-system")]
#[allow(dead_code)] // unused in the shelf-only module: the shelf's verdicts are a short union the SDK lists
pub(crate) fn codes_to_js<C: Copy>(all: &[C], as_str: fn(C) -> &'static str, describe: fn(C) -> &'static str) -> Array {
    all.iter()
        .map(|&code| {
            let entry = Object::new();
            set(&entry, "code", &as_str(code).into());
            set(&entry, "description", &describe(code).into());
            JsValue::from(entry)
        })
        .collect()
}
