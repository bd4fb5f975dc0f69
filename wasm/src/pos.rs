//! wasm-bindgen adapter for System 4, a point of sale with an intermittent network: conversions only (see lib.rs).

use countersign_core::pos::{ForwardResult, Mode, Observation, PaymentRequest, PosCode, Terminal, TerminalConfig};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, from_js, to_js, to_js_error, JsResult};

/// Every System 4 outcome code with its description.
#[wasm_bindgen(js_name = posCodes)]
pub fn pos_codes() -> Array {
    codes_to_js(PosCode::ALL, PosCode::as_str, PosCode::description)
}

/// A terminal in wasm memory: network state, offline limits, outbox.
#[wasm_bindgen]
pub struct PosTerminalHandle {
    terminal: Terminal,
}

#[wasm_bindgen]
impl PosTerminalHandle {
    /// A new terminal from a `TerminalConfig`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<PosTerminalHandle> {
        let config: TerminalConfig = from_js(config, "config")?;
        Ok(PosTerminalHandle { terminal: Terminal::new(&config).map_err(to_js_error)? })
    }

    /// A terminal from snapshot bytes (version 2, or 1 migrated).
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<PosTerminalHandle> {
        Ok(PosTerminalHandle { terminal: Terminal::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.terminal.snapshot(snapshot_key).map_err(to_js_error)
    }

    #[wasm_bindgen(js_name = terminalId)]
    pub fn terminal_id(&self) -> String {
        self.terminal.config().terminal_id.clone()
    }

    /// Changes so far, a number (an error past 2^53 − 1).
    pub fn revision(&self) -> JsResult<JsValue> {
        to_js(&self.terminal.revision())
    }

    pub fn config(&self) -> JsResult<JsValue> {
        to_js(self.terminal.config())
    }

    /// Feeds an `Observation`; the `Transition` it caused, or null.
    pub fn observe(&mut self, observation: JsValue) -> JsResult<JsValue> {
        let observation: Observation = from_js(observation, "observation")?;
        to_js(&self.terminal.observe(&observation).map_err(to_js_error)?)
    }

    /// The route of a payment in `mode` (a `PosMode` string).
    pub fn route(&self, mode: JsValue) -> JsResult<JsValue> {
        let mode: Mode = from_js(mode, "mode")?;
        to_js(&self.terminal.route(mode))
    }

    /// Stores a `PaymentRequest` at `now_ms` (the SDK checked it is a safe integer).
    pub fn store(&mut self, request: JsValue, now_ms: f64) -> JsResult<JsValue> {
        let request: PaymentRequest = from_js(request, "request")?;
        to_js(&self.terminal.store(&request, now_ms as u64).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = beginForward)]
    pub fn begin_forward(&mut self, now_ms: f64, flush: bool) -> JsResult<JsValue> {
        to_js(&self.terminal.begin_forward(now_ms as u64, flush).map_err(to_js_error)?)
    }

    /// Applies a `ForwardResult` for `key`; `jitter` a u32 the SDK drew.
    #[wasm_bindgen(js_name = forwardResult)]
    pub fn forward_result(&mut self, key: &str, result: JsValue, now_ms: f64, jitter: u32) -> JsResult<JsValue> {
        let result: ForwardResult = from_js(result, "result")?;
        to_js(&self.terminal.forward_result(key, &result, now_ms as u64, jitter).map_err(to_js_error)?)
    }

    pub fn tick(&mut self, now_ms: f64) -> JsResult<JsValue> {
        to_js(&self.terminal.tick(now_ms as u64).map_err(to_js_error)?)
    }

    pub fn status(&self) -> JsResult<JsValue> {
        to_js(&self.terminal.status())
    }

    #[wasm_bindgen(js_name = exportQueue)]
    pub fn export_queue(&self) -> JsResult<JsValue> {
        to_js(&self.terminal.export_queue())
    }

    #[wasm_bindgen(js_name = checkDrop)]
    pub fn check_drop(&self) -> String {
        self.terminal.check_drop().as_str().to_owned()
    }

    #[wasm_bindgen(js_name = verifyChain)]
    pub fn verify_chain(&self) -> bool {
        self.terminal.verify_chain()
    }
}
