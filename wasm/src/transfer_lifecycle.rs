//! wasm-bindgen adapter for System 7's transfer lifecycle (provider A's book on the ledger):
//! conversions only (see lib.rs). Each request type has its own export, so the adapter reads
//! exactly that type (serde's derive for the core's adjacently tagged `LifecycleRequest`
//! would buffer every field generically first, as `wasm/src/ledger.rs` explains).

use countersign_core::transfer::lifecycle::{
    Abort, BookConfig, Commit, ExpireDue, Fund, LifecycleCode, LifecycleRequest, OpenAccount, Quote, Reserve,
    TransferBook,
};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, from_js, to_js, to_js_error, JsResult};

#[wasm_bindgen(js_name = transferLifecycleCodes)]
pub fn transfer_lifecycle_codes() -> Array {
    codes_to_js(LifecycleCode::ALL, LifecycleCode::as_str, LifecycleCode::description)
}

/// Provider A's transfer book (its ledger inside) in wasm memory.
#[wasm_bindgen]
pub struct TransferBookHandle {
    book: TransferBook,
}

impl TransferBookHandle {
    fn run(&mut self, request: LifecycleRequest) -> JsResult<JsValue> {
        to_js(&self.book.execute(&request).map_err(to_js_error)?)
    }
}

#[wasm_bindgen]
impl TransferBookHandle {
    /// A new book from a `BookConfig`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<TransferBookHandle> {
        let config: BookConfig = from_js(config, "config")?;
        Ok(TransferBookHandle { book: TransferBook::new(&config).map_err(to_js_error)? })
    }

    /// A book from authenticated snapshot bytes.
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<TransferBookHandle> {
        Ok(TransferBookHandle { book: TransferBook::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.book.snapshot(snapshot_key).map_err(to_js_error)
    }

    #[wasm_bindgen(js_name = bookId)]
    pub fn book_id(&self) -> String {
        self.book.book_id().to_owned()
    }

    pub fn currency(&self) -> String {
        self.book.currency().to_owned()
    }

    /// Decided requests so far, a number (an error past 2^53 − 1).
    pub fn revision(&self) -> JsResult<JsValue> {
        to_js(&self.book.revision())
    }

    #[wasm_bindgen(js_name = openAccount)]
    pub fn open_account(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: OpenAccount = from_js(request, "request")?;
        self.run(LifecycleRequest::OpenAccount(request))
    }

    pub fn fund(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: Fund = from_js(request, "request")?;
        self.run(LifecycleRequest::Fund(request))
    }

    pub fn quote(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: Quote = from_js(request, "request")?;
        self.run(LifecycleRequest::Quote(request))
    }

    pub fn reserve(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: Reserve = from_js(request, "request")?;
        self.run(LifecycleRequest::Reserve(request))
    }

    pub fn commit(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: Commit = from_js(request, "request")?;
        self.run(LifecycleRequest::Commit(request))
    }

    pub fn abort(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: Abort = from_js(request, "request")?;
        self.run(LifecycleRequest::Abort(request))
    }

    #[wasm_bindgen(js_name = expireDue)]
    pub fn expire_due(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: ExpireDue = from_js(request, "request")?;
        self.run(LifecycleRequest::ExpireDue(request))
    }

    pub fn account(&self, account_id: &str) -> JsResult<JsValue> {
        to_js(&self.book.account(account_id))
    }

    #[wasm_bindgen(js_name = quoteView)]
    pub fn quote_view(&self, quote_id: &str) -> JsResult<JsValue> {
        to_js(&self.book.quote(quote_id))
    }

    #[wasm_bindgen(js_name = transferView)]
    pub fn transfer_view(&self, transfer_id: &str) -> JsResult<JsValue> {
        to_js(&self.book.transfer(transfer_id))
    }

    #[wasm_bindgen(js_name = transferIds)]
    pub fn transfer_ids(&self) -> Vec<String> {
        self.book.transfer_ids()
    }

    #[wasm_bindgen(js_name = checkInvariants)]
    pub fn check_invariants(&self) -> JsResult<()> {
        self.book.check_invariants().map_err(to_js_error)
    }
}
