//! wasm-bindgen adapter for System 8's back-office book (the sub-ledger, the withdrawal policy,
//! signing) and the address of a public key (the book's configuration names the omnibus by
//! address; signing already turns keys into addresses): conversions only (see lib.rs). One export per event kind,
//! taking its request's fields as arguments in the order of its flat request type
//! (`custody::Sweep`, …; strings, `now` as a number, an envelope as bytes) and building that type:
//! the SDK has already read and checked every field (sdk-ts/src/custody.ts `REQUESTS`), so the
//! adapter's object reader (`de.rs`: a property read and a string read per field, then the own
//! keys counted) was a second walk of the same request: some 2.3 µs of CPU of the 13.8 an event
//! cost through the SDK (docs/custody.md, *Speed of an event*). serde's reader for the internally tagged `custody::Event`
//! buffers every field into its generic `Content` first and measured 77 KB of wasm on its own.
//! Kept apart from the proof of liabilities' adapter (`custody_liabilities.rs`) so that it can
//! become a module of its own.

use countersign_core::custody::{
    self, keys, AddDestination, Approve, Book, CancelWithdrawal, ClientTransfer, ConfirmWithdrawal,
    CustodyCode, Event, ObserveDeposit, ObserveOmnibus, ObserveWallet, RegisterClient, ReleaseQuarantine,
    RequestWithdrawal, Sweep, Trade,
};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, set, to_js, to_js_error, JsResult};

#[wasm_bindgen(js_name = custodyCodes)]
pub fn custody_codes() -> Array {
    codes_to_js(CustodyCode::ALL, CustodyCode::as_str, CustodyCode::description)
}

/// The back-office book (its sub-ledger inside) in wasm memory.
#[wasm_bindgen]
pub struct CustodyBookHandle {
    book: Book,
}

impl CustodyBookHandle {
    /// Applies one event and writes its outcome.
    fn decide(&mut self, event: Event) -> JsResult<JsValue> {
        to_js(&self.book.apply(&event).map_err(to_js_error)?)
    }
}

/// Unix seconds as the SDK checked them (a safe integer; the core checks its own range).
fn time(now: f64) -> i64 {
    now as i64
}

#[wasm_bindgen]
impl CustodyBookHandle {
    /// A new book from its `BookConfig` as CBOR (`Book::from_config_cbor`): the SDK has checked
    /// each field's type and written it (sdk-ts/src/custody-config.ts). Not an object read
    /// with serde here: that reader was 11 KB gzip of this module, and the snapshot's decoder of
    /// the configuration is in it anyway (HACKING.md, "custody-book over 200 KB").
    #[wasm_bindgen(constructor)]
    pub fn new(config: &[u8]) -> JsResult<CustodyBookHandle> {
        Ok(CustodyBookHandle { book: Book::from_config_cbor(config).map_err(to_js_error)? })
    }

    /// The configuration (what a persisted book is opened with again) as CBOR
    /// (`Book::config_cbor`), which the SDK reads back into the object (sdk-ts/src/custody-config.ts).
    #[wasm_bindgen(js_name = configCbor)]
    pub fn config_cbor(&self) -> Vec<u8> {
        self.book.config_cbor()
    }

    /// The number of the last event decided, a number (an error past 2^53 − 1).
    #[wasm_bindgen(js_name = eventCount)]
    pub fn event_count(&self) -> JsResult<JsValue> {
        to_js(&self.book.event_count())
    }

    #[wasm_bindgen(js_name = registerClient)]
    pub fn register_client(&mut self, client_id: String, address: String, now: f64) -> JsResult<JsValue> {
        self.decide(RegisterClient { client_id, address, now: time(now) }.into())
    }

    #[wasm_bindgen(js_name = observeDeposit)]
    pub fn observe_deposit(&mut self, deposit_id: String, address: String, asset: String, amount: String, confirmations: u32, now: f64) -> JsResult<JsValue> {
        self.decide(ObserveDeposit { deposit_id, address, asset, amount, confirmations, now: time(now) }.into())
    }

    #[wasm_bindgen(js_name = releaseQuarantine)]
    pub fn release_quarantine(&mut self, deposit_id: String, client_id: String, now: f64) -> JsResult<JsValue> {
        self.decide(ReleaseQuarantine { deposit_id, client_id, now: time(now) }.into())
    }

    pub fn sweep(&mut self, sweep_id: String, client_id: String, asset: String, network_fee: String, now: f64) -> JsResult<JsValue> {
        self.decide(Sweep { sweep_id, client_id, asset, network_fee, now: time(now) }.into())
    }

    pub fn transfer(&mut self, transfer_id: String, from_client_id: String, to_client_id: String, asset: String, amount: String, now: f64) -> JsResult<JsValue> {
        self.decide(ClientTransfer { transfer_id, from_client_id, to_client_id, asset, amount, now: time(now) }.into())
    }

    // One argument per field of the request (see the module comment).
    #[allow(clippy::too_many_arguments)]
    pub fn trade(&mut self, trade_id: String, buyer_id: String, seller_id: String, base_asset: String, base_amount: String, quote_asset: String, quote_amount: String, fee: String, now: f64) -> JsResult<JsValue> {
        self.decide(Trade { trade_id, buyer_id, seller_id, base_asset, base_amount, quote_asset, quote_amount, fee, now: time(now) }.into())
    }

    #[wasm_bindgen(js_name = observeOmnibus)]
    pub fn observe_omnibus(&mut self, asset: String, balance: String, now: f64) -> JsResult<JsValue> {
        self.decide(ObserveOmnibus { asset, balance, now: time(now) }.into())
    }

    #[wasm_bindgen(js_name = observeWallet)]
    pub fn observe_wallet(&mut self, client_id: String, asset: String, balance: String, now: f64) -> JsResult<JsValue> {
        self.decide(ObserveWallet { client_id, asset, balance, now: time(now) }.into())
    }

    #[wasm_bindgen(js_name = addDestination)]
    pub fn add_destination(&mut self, client_id: String, address: String, now: f64) -> JsResult<JsValue> {
        self.decide(AddDestination { client_id, address, now: time(now) }.into())
    }

    #[wasm_bindgen(js_name = requestWithdrawal)]
    // One argument per field of the request (see the module comment).
    #[allow(clippy::too_many_arguments)]
    pub fn request_withdrawal(&mut self, withdrawal_id: String, client_id: String, asset: String, amount: String, network_fee: String, destination: String, now: f64) -> JsResult<JsValue> {
        self.decide(RequestWithdrawal { withdrawal_id, client_id, asset, amount, network_fee, destination, now: time(now) }.into())
    }

    pub fn approve(&mut self, withdrawal_id: String, envelope: Vec<u8>, now: f64) -> JsResult<JsValue> {
        self.decide(Approve { withdrawal_id, envelope, now: time(now) }.into())
    }

    #[wasm_bindgen(js_name = confirmWithdrawal)]
    pub fn confirm_withdrawal(&mut self, withdrawal_id: String, now: f64) -> JsResult<JsValue> {
        self.decide(ConfirmWithdrawal { withdrawal_id, now: time(now) }.into())
    }

    #[wasm_bindgen(js_name = cancelWithdrawal)]
    pub fn cancel_withdrawal(&mut self, withdrawal_id: String, now: f64) -> JsResult<JsValue> {
        self.decide(CancelWithdrawal { withdrawal_id, now: time(now) }.into())
    }

    /// Signs both legs once the policy passes: `{outcome, digests, signatures}` (the byte
    /// strings as `Uint8Array`s; empty when refused). The keys are the SDK's copies for this call.
    #[wasm_bindgen(js_name = signWithdrawal)]
    pub fn sign_withdrawal(&mut self, withdrawal_id: &str, now: i64, omnibus_key: &[u8], wallet_key: &[u8]) -> JsResult<JsValue> {
        let signed = self.book.sign_withdrawal(withdrawal_id, now, omnibus_key, wallet_key).map_err(to_js_error)?;
        let byte_strings = |list: &[Vec<u8>]| -> Array { list.iter().map(|b| JsValue::from(Uint8Array::from(b.as_slice()))).collect() };
        let result = Object::new();
        set(&result, "outcome", &to_js(&signed.outcome)?);
        set(&result, "digests", &byte_strings(&signed.digests));
        set(&result, "signatures", &byte_strings(&signed.signatures));
        Ok(result.into())
    }

    /// A logged signing applied again without keys (restoring a persisted book).
    #[wasm_bindgen(js_name = markSigned)]
    pub fn mark_signed(&mut self, withdrawal_id: &str, now: i64) -> JsResult<JsValue> {
        to_js(&self.book.mark_signed(withdrawal_id, now).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = clientIndex)]
    pub fn client_index(&self, client_id: &str) -> Option<u32> {
        self.book.client_index(client_id)
    }

    #[wasm_bindgen(js_name = tradingBalance)]
    pub fn trading_balance(&self, client_id: &str, asset: &str) -> Option<String> {
        self.book.trading_balance(client_id, asset)
    }

    #[wasm_bindgen(js_name = walletBalance)]
    pub fn wallet_balance(&self, client_id: &str, asset: &str) -> Option<String> {
        self.book.wallet_balance(client_id, asset)
    }

    #[wasm_bindgen(js_name = expectedOmnibus)]
    pub fn expected_omnibus(&self, asset: &str) -> Option<String> {
        self.book.expected_omnibus(asset)
    }

    #[wasm_bindgen(js_name = clientBalances)]
    pub fn client_balances(&self, asset: &str) -> JsResult<JsValue> {
        to_js(&self.book.client_balances(asset))
    }

    pub fn discrepancies(&self) -> JsResult<JsValue> {
        to_js(&self.book.discrepancies())
    }

    pub fn withdrawal(&self, withdrawal_id: &str) -> JsResult<JsValue> {
        to_js(&self.book.withdrawal(withdrawal_id))
    }

    #[wasm_bindgen(js_name = withdrawalsAwaitingApproval)]
    pub fn withdrawals_awaiting_approval(&self, max: u32) -> JsResult<JsValue> {
        to_js(&self.book.withdrawals_awaiting_approval(max as usize))
    }

    #[wasm_bindgen(js_name = checkInvariants)]
    pub fn check_invariants(&self) -> JsResult<()> {
        self.book.check_invariants().map_err(to_js_error)
    }

    /// The book's whole state, authenticated (`Book::snapshot`): what a store saves every N events.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.book.snapshot(snapshot_key).map_err(to_js_error)
    }

    /// A book from its state snapshot (`Book::restore`: authenticated, bounded, consistent).
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> JsResult<CustodyBookHandle> {
        Ok(CustodyBookHandle { book: Book::restore(bytes, snapshot_key).map_err(to_js_error)? })
    }
}

/// The EIP-55 address of a SEC1 secp256k1 public key.
#[wasm_bindgen(js_name = custodyAddressOf)]
pub fn custody_address_of(public_key: &[u8]) -> JsResult<String> {
    keys::address_of_public_key(public_key).map_err(to_js_error)
}

/// Authenticates a persisted book's body (configuration and event log).
#[wasm_bindgen(js_name = custodySealLog)]
pub fn custody_seal_log(body: &[u8], snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
    custody::seal_log(body, snapshot_key).map_err(to_js_error)
}

/// The authenticated body of a persisted book.
#[wasm_bindgen(js_name = custodyOpenLog)]
pub fn custody_open_log(bytes: &[u8], snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
    custody::open_log(bytes, snapshot_key).map_err(to_js_error)
}
