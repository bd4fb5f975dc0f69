//! wasm-bindgen adapter for the relay system (System 5): conversions only (see lib.rs). Every
//! export parses its JS arguments, calls one core function, and converts the result.

use countersign_core::card::PublicKey;
use countersign_core::envelope::TrustedKey;
use countersign_core::error::{Error, ErrorCode};
use countersign_core::limits::LimitSpec;
use countersign_core::relay::{
    qr_version_m, token_claims, PaymentPhone, PhoneConfig, RelayCode, SealRequest, TokenServer,
};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, from_js, set, to_js, to_js_error, JsResult, OwnedSigner};

#[wasm_bindgen(js_name = relayCodes)]
pub fn relay_codes() -> Array {
    codes_to_js(RelayCode::ALL, RelayCode::as_str, RelayCode::description)
}

/// The smallest QR version (level M, byte mode) holding `bytes`, or undefined past version 15.
#[wasm_bindgen(js_name = relayQrVersion)]
pub fn relay_qr_version(bytes: u32) -> Option<u8> {
    qr_version_m(bytes as usize)
}

/// A token's claims read without verifying it (the relay's outbox accounting): `{deviceId,
/// counter, payee, amount, currency}`, or undefined when the bytes are not a token.
#[wasm_bindgen(js_name = relayTokenClaims)]
pub fn relay_token_claims(token: &[u8]) -> JsValue {
    let Some(claims) = token_claims(token) else {
        return JsValue::UNDEFINED;
    };
    let object = Object::new();
    set(&object, "deviceId", &claims.device_id.into());
    // At most COUNTER_MAX (2^53 - 1): exact as a number.
    set(&object, "counter", &JsValue::from_f64(claims.counter as f64));
    set(&object, "payee", &claims.payee.into());
    set(&object, "amount", &claims.amount.into());
    set(&object, "currency", &claims.currency.into());
    object.into()
}

/// `value` with `bytes` (or null) set under `field`.
fn with_bytes(value: JsValue, field: &str, bytes: Option<&[u8]>) -> JsValue {
    if let Some(object) = value.dyn_ref::<Object>() {
        let bytes = bytes.map_or(JsValue::NULL, |b| Uint8Array::from(b).into());
        set(object, field, &bytes);
    }
    value
}

fn code_of(name: &str) -> JsResult<RelayCode> {
    RelayCode::from_name(name)
        .ok_or_else(|| to_js_error(Error::new(ErrorCode::InvalidArgument, "code", "code must be a relay code")))
}

/// The phone in wasm memory.
#[wasm_bindgen]
pub struct RelayPhoneHandle {
    phone: PaymentPhone,
}

#[wasm_bindgen]
impl RelayPhoneHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<RelayPhoneHandle> {
        let config: PhoneConfig = from_js(config, "config")?;
        Ok(RelayPhoneHandle { phone: PaymentPhone::new(&config).map_err(to_js_error)? })
    }

    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<RelayPhoneHandle> {
        Ok(RelayPhoneHandle { phone: PaymentPhone::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    #[wasm_bindgen(js_name = deviceId)]
    pub fn device_id(&self) -> String {
        self.phone.device_id().to_owned()
    }

    #[wasm_bindgen(js_name = nextCounter)]
    pub fn next_counter(&self) -> f64 {
        // At most COUNTER_MAX + 1 = 2^53: exact as a number.
        self.phone.next_counter() as f64
    }

    pub fn seal(&mut self, request: JsValue, signer: JsValue) -> JsResult<JsValue> {
        let request: SealRequest = from_js(request, "request")?;
        let signer = OwnedSigner::from_js(&signer)?;
        let outcome = self.phone.seal(&request, &signer.signer()).map_err(to_js_error)?;
        Ok(with_bytes(to_js(&outcome)?, "token", outcome.token.as_deref()))
    }

    #[wasm_bindgen(js_name = acceptReceipt)]
    pub fn accept_receipt(&mut self, receipt: &[u8], server_key: JsValue, now: i64) -> JsResult<JsValue> {
        let key: PublicKey = from_js(server_key, "serverKey")?;
        let trusted = TrustedKey { key_id: &key.key_id, alg: key.alg, public_key: &key.public_key };
        to_js(&self.phone.accept_receipt(receipt, &trusted, now).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = noteRefusal)]
    pub fn note_refusal(&mut self, token_hash: &str, code: &str) -> JsResult<bool> {
        self.phone.note_refusal(token_hash, code_of(code)?).map_err(to_js_error)
    }

    /// The phone's revision, a decimal string (only grows).
    pub fn revision(&self) -> String {
        self.phone.revision().to_string()
    }

    pub fn tokens(&self) -> JsResult<JsValue> {
        to_js(&self.phone.tokens())
    }

    pub fn allowance(&self, now: i64) -> JsResult<JsValue> {
        to_js(&self.phone.allowance(now).map_err(to_js_error)?)
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.phone.snapshot(snapshot_key).map_err(to_js_error)
    }
}

/// The token server in wasm memory (its ledger included).
#[wasm_bindgen]
pub struct RelayServerHandle {
    server: TokenServer,
}

#[wasm_bindgen]
impl RelayServerHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(currency: &str, now: i64) -> JsResult<RelayServerHandle> {
        Ok(RelayServerHandle { server: TokenServer::new(currency, now).map_err(to_js_error)? })
    }

    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<RelayServerHandle> {
        Ok(RelayServerHandle { server: TokenServer::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    pub fn currency(&self) -> String {
        self.server.currency().to_owned()
    }

    #[wasm_bindgen(js_name = registerDevice)]
    pub fn register_device(&mut self, device_id: &str, public_key: &[u8], limits: JsValue, now: i64) -> JsResult<String> {
        let limits: Vec<LimitSpec> = from_js(limits, "limits")?;
        let code = self.server.register_device(device_id, public_key, &limits, now).map_err(to_js_error)?;
        Ok(code.as_str().to_owned())
    }

    #[wasm_bindgen(js_name = addPayee)]
    pub fn add_payee(&mut self, payee: &str, now: i64) -> JsResult<String> {
        Ok(self.server.add_payee(payee, now).map_err(to_js_error)?.as_str().to_owned())
    }

    pub fn fund(&mut self, device_id: &str, amount: &str, now: i64) -> JsResult<JsValue> {
        to_js(&self.server.fund(device_id, amount, now).map_err(to_js_error)?)
    }

    /// The balance of a device's wallet (`device` true) or a payee, or undefined when unknown.
    pub fn balance(&self, id: &str, device: bool) -> Option<String> {
        if device {
            self.server.balance(Some(id), None)
        } else {
            self.server.balance(None, Some(id))
        }
    }

    pub fn process(&mut self, token: &[u8], signer: JsValue, now: i64) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        let reply = self.server.process(token, &signer.signer(), now).map_err(to_js_error)?;
        Ok(with_bytes(to_js(&reply)?, "receipt", reply.receipt.as_deref()))
    }

    /// The ledger's journal entries not yet handed to storage, oldest first (entry bytes).
    pub fn journal(&self) -> Array {
        self.server.journal().iter().map(|entry| JsValue::from(Uint8Array::from(entry.bytes()))).collect()
    }

    #[wasm_bindgen(js_name = truncateJournal)]
    pub fn truncate_journal(&mut self, through_seq: u64) -> JsResult<()> {
        self.server.truncate_journal(through_seq).map_err(to_js_error)
    }

    /// `[server revision, ledger journal seq]` as decimal strings (both only grow).
    pub fn revision(&self) -> Vec<String> {
        vec![self.server.revision().to_string(), self.server.ledger().head().seq.to_string()]
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.server.snapshot(snapshot_key).map_err(to_js_error)
    }
}
