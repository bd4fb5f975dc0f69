//! wasm-bindgen adapter for the tempcard system (System 2): conversions only (see lib.rs).
//!
//! The service (its ledger included) lives in wasm memory behind a [`TempCardServiceHandle`] and
//! is persisted by the SDK as authenticated snapshot bytes; each method parses its JS arguments,
//! calls one core method and converts the result.

use countersign_core::tempcard::{
    derive_cvv, issue, luhn_check_digit, luhn_valid, verify_cvv, ApprovalRequest,
    AuthorisationRequest, Credentials, IssueRequest, PresentedCredentials, RefundRequest,
    ServiceConfig, TempCardCode, TempCardService,
};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use countersign_core::error::Error;
use crate::{codes_to_js, from_js, set, to_js, to_js_error, JsResult};

/// Every tempcard outcome code with its description.
#[wasm_bindgen(js_name = tempcardCodes)]
pub fn tempcard_codes() -> Array {
    codes_to_js(TempCardCode::ALL, TempCardCode::as_str, TempCardCode::description)
}

/// Whether `number` is all ASCII digits with a valid Luhn check digit.
#[wasm_bindgen(js_name = tempcardLuhnValid)]
pub fn tempcard_luhn_valid(number: &str) -> bool {
    luhn_valid(number)
}

/// The Luhn check digit of `payload` (1–19 digits), or `undefined`.
#[wasm_bindgen(js_name = tempcardLuhnCheckDigit)]
pub fn tempcard_luhn_check_digit(payload: &str) -> Option<u8> {
    luhn_check_digit(payload)
}

/// Issues credentials (`{ binRange, displayWindow, usableWindow, issuedPans }`) from randomness.
#[wasm_bindgen(js_name = tempcardIssue)]
pub fn tempcard_issue(request: JsValue, randomness: &[u8]) -> JsResult<JsValue> {
    let request: IssueRequest = from_js(request, "request")?;
    to_js(&issue(&request, randomness).map_err(to_js_error)?)
}

#[wasm_bindgen(js_name = tempcardDeriveCvv)]
pub fn tempcard_derive_cvv(cvv_key: &[u8], pan: &str, expires_at: i64) -> JsResult<String> {
    Ok(derive_cvv(cvv_key, pan, expires_at).map_err(to_js_error)?.as_str().to_owned())
}

#[wasm_bindgen(js_name = tempcardVerifyCvv)]
pub fn tempcard_verify_cvv(cvv_key: &[u8], pan: &str, expires_at: i64, presented: &str) -> JsResult<String> {
    Ok(verify_cvv(cvv_key, pan, expires_at, presented).map_err(to_js_error)?.as_str().to_owned())
}

#[wasm_bindgen(js_name = tempcardDisplayStatus)]
pub fn tempcard_display_status(credentials: JsValue, now: i64) -> JsResult<String> {
    let credentials: Credentials = from_js(credentials, "credentials")?;
    Ok(credentials.display_status(now).map_err(to_js_error)?.as_str().to_owned())
}

#[wasm_bindgen(js_name = tempcardUsableStatus)]
pub fn tempcard_usable_status(credentials: JsValue, now: i64) -> JsResult<String> {
    let credentials: Credentials = from_js(credentials, "credentials")?;
    Ok(credentials.usable_status(now).map_err(to_js_error)?.as_str().to_owned())
}

#[wasm_bindgen(js_name = tempcardReveal)]
pub fn tempcard_reveal(credentials: JsValue, cvv_key: &[u8], now: i64) -> JsResult<JsValue> {
    let credentials: Credentials = from_js(credentials, "credentials")?;
    to_js(&credentials.reveal(cvv_key, now).map_err(to_js_error)?)
}

#[wasm_bindgen(js_name = tempcardVerifyPresented)]
pub fn tempcard_verify_presented(credentials: JsValue, cvv_key: &[u8], presented: JsValue, now: i64) -> JsResult<String> {
    let credentials: Credentials = from_js(credentials, "credentials")?;
    let presented: PresentedCredentials = from_js(presented, "presented")?;
    Ok(credentials.verify_presented(cvv_key, &presented, now).map_err(to_js_error)?.as_str().to_owned())
}

/// A temporary-account service in wasm memory.
#[wasm_bindgen]
pub struct TempCardServiceHandle {
    service: TempCardService,
}

#[wasm_bindgen]
impl TempCardServiceHandle {
    /// A new service (`{ currency, binRange, settlementAccountId }`) at `now`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, now: i64) -> JsResult<TempCardServiceHandle> {
        let config: ServiceConfig = from_js(config, "config")?;
        let service = TempCardService::new(&config, now).map_err(to_js_error)?;
        Ok(TempCardServiceHandle { service })
    }

    /// Restores a service from an authenticated snapshot.
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<TempCardServiceHandle> {
        let service = TempCardService::restore(snapshot, snapshot_key).map_err(to_js_error)?;
        Ok(TempCardServiceHandle { service })
    }

    /// An independent copy.
    pub fn copy(&self) -> TempCardServiceHandle {
        TempCardServiceHandle { service: self.service.clone() }
    }

    pub fn config(&self) -> JsResult<JsValue> {
        to_js(self.service.config())
    }

    pub fn approve(&mut self, request: JsValue, randomness: &[u8]) -> JsResult<JsValue> {
        let request: ApprovalRequest = from_js(request, "request")?;
        to_js(&self.service.approve(&request, randomness).map_err(|e| under_request(e, "randomness"))?)
    }

    pub fn authorise(&mut self, request: JsValue, cvv_key: &[u8]) -> JsResult<JsValue> {
        let request: AuthorisationRequest = from_js(request, "request")?;
        to_js(&self.service.authorise(&request, cvv_key).map_err(|e| under_request(e, "cvvKey"))?)
    }

    pub fn refund(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: RefundRequest = from_js(request, "request")?;
        to_js(&self.service.refund(&request).map_err(|e| under_request(e, ""))?)
    }

    #[wasm_bindgen(js_name = activatePhysicalCard)]
    pub fn activate_physical_card(&mut self, account_id: &str, now: i64) -> JsResult<JsValue> {
        to_js(&self.service.activate_physical_card(account_id, now).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = closeDue)]
    pub fn close_due(&mut self, now: i64) -> JsResult<JsValue> {
        to_js(&self.service.close_due(now).map_err(to_js_error)?)
    }

    pub fn reveal(&self, account_id: &str, cvv_key: &[u8], now: i64) -> JsResult<JsValue> {
        to_js(&self.service.reveal(account_id, cvv_key, now).map_err(to_js_error)?)
    }

    /// The account view, or `null` when unknown.
    pub fn account(&self, account_id: &str, now: i64) -> JsResult<JsValue> {
        to_js(&self.service.account(account_id, now).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = accountIds)]
    pub fn account_ids(&self) -> Vec<String> {
        self.service.account_ids()
    }

    /// A ledger account (parent credit line, settlement), or `null`.
    #[wasm_bindgen(js_name = ledgerAccount)]
    pub fn ledger_account(&self, account_id: &str) -> JsResult<JsValue> {
        to_js(&self.service.ledger().account(account_id))
    }

    /// The ledger journal entries not yet truncated, oldest first, as bytes.
    pub fn journal(&self) -> Array {
        self.service
            .ledger()
            .journal()
            .iter()
            .map(|entry| JsValue::from(Uint8Array::from(entry.bytes())))
            .collect()
    }

    /// `{ seq, hash }` of the ledger journal's head (hash as hex).
    #[wasm_bindgen(js_name = journalHead)]
    pub fn journal_head(&self) -> JsValue {
        let head = self.service.ledger().head();
        let out = Object::new();
        // Exact as a Number: the ledger bounds seq to 2^53 − 1.
        set(&out, "seq", &JsValue::from(head.seq as f64));
        let hash: String = head.hash.iter().map(|b| format!("{b:02x}")).collect();
        set(&out, "hash", &hash.into());
        out.into()
    }

    #[wasm_bindgen(js_name = truncateJournal)]
    pub fn truncate_journal(&mut self, through_seq: u64) -> JsResult<()> {
        self.service.truncate_journal(through_seq).map_err(to_js_error)
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.service.snapshot(snapshot_key).map_err(to_js_error)
    }
}

/// A service error as a JS error named from the call's arguments. The core's request methods
/// name a request's field by itself (`"limitFraction"`, as the shared vectors say); the one other
/// argument of the call (`other`: `randomness`, `cvvKey`) keeps its name, and every other error is
/// about a field of the argument the SDK calls `request` (`request.limitFraction`).
fn under_request(err: Error, other: &str) -> JsValue {
    if err.param() == other || err.param().is_empty() {
        to_js_error(err)
    } else {
        to_js_error(err.at("request"))
    }
}
