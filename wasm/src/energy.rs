//! wasm-bindgen adapter for the energy system (System 3): conversions only (see lib.rs). Every
//! export parses its JS arguments, calls one core function, and converts the result.

use countersign_core::card::PublicKey;
use countersign_core::energy::{
    dispense_limit, metered_cost, DispenseLimitRequest, EnergyCode, EnergyServer, EnergyTerminal,
    MeteredCostRequest, Order, ServerConfig, ServerReply, Tariff, TerminalConfig,
    TerminalKey, TerminalOutcome,
};
use countersign_core::error::{Error, ErrorCode};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, from_js, set, to_js, to_js_error, JsResult, OwnedSigner};

#[wasm_bindgen(js_name = energyCodes)]
pub fn energy_codes() -> Array {
    codes_to_js(EnergyCode::ALL, EnergyCode::as_str, EnergyCode::description)
}

#[wasm_bindgen(js_name = energyDispenseLimit)]
pub fn energy_dispense_limit(request: JsValue) -> JsResult<JsValue> {
    let request: DispenseLimitRequest = from_js(request, "request")?;
    to_js(&dispense_limit(&request).map_err(to_js_error)?)
}

#[wasm_bindgen(js_name = energyMeteredCost)]
pub fn energy_metered_cost(request: JsValue) -> JsResult<JsValue> {
    let request: MeteredCostRequest = from_js(request, "request")?;
    to_js(&metered_cost(&request).map_err(to_js_error)?)
}

fn with_envelope(value: JsValue, envelope: Option<Vec<u8>>) -> JsValue {
    if let Some(object) = value.dyn_ref::<Object>() {
        let bytes = envelope.map_or(JsValue::NULL, |e| Uint8Array::from(e.as_slice()).into());
        set(object, "envelope", &bytes);
    }
    value
}

fn reply_to_js(reply: Result<ServerReply, Error>) -> JsResult<JsValue> {
    let reply = reply.map_err(to_js_error)?;
    Ok(with_envelope(to_js(&reply)?, reply.envelope))
}

fn outcome_to_js(outcome: Result<TerminalOutcome, Error>) -> JsResult<JsValue> {
    let outcome = outcome.map_err(to_js_error)?;
    Ok(with_envelope(to_js(&outcome)?, outcome.envelope))
}

/// The e-money server in wasm memory (its ledger included).
#[wasm_bindgen]
pub struct EnergyServerHandle {
    server: EnergyServer,
}

#[wasm_bindgen]
impl EnergyServerHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, now: i64) -> JsResult<EnergyServerHandle> {
        let config: ServerConfig = from_js(config, "config")?;
        Ok(EnergyServerHandle { server: EnergyServer::new(config, now).map_err(to_js_error)? })
    }

    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<EnergyServerHandle> {
        Ok(EnergyServerHandle { server: EnergyServer::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    pub fn config(&self) -> JsResult<JsValue> {
        to_js(self.server.config())
    }

    #[wasm_bindgen(js_name = addTerminal)]
    pub fn add_terminal(&mut self, station_id: &str, key: JsValue, now: i64) -> JsResult<String> {
        let key: PublicKey = from_js(key, "terminalKey")?;
        let terminal = TerminalKey { station_id: station_id.to_owned(), key };
        Ok(self.server.add_terminal(terminal, now).map_err(to_js_error)?.as_str().to_owned())
    }

    #[wasm_bindgen(js_name = openWallet)]
    pub fn open_wallet(&mut self, wallet_id: &str, now: i64) -> JsResult<String> {
        Ok(self.server.open_wallet(wallet_id, now).map_err(to_js_error)?.as_str().to_owned())
    }

    #[wasm_bindgen(js_name = topUp)]
    pub fn top_up(&mut self, wallet_id: &str, amount: &str, now: i64) -> JsResult<JsValue> {
        to_js(&self.server.top_up(wallet_id, amount, now).map_err(to_js_error)?)
    }

    pub fn wallet(&self, wallet_id: &str) -> JsResult<JsValue> {
        to_js(&self.server.wallet(wallet_id))
    }

    pub fn station(&self, station_id: &str) -> JsResult<JsValue> {
        to_js(&self.server.station(station_id))
    }

    pub fn session(&self, order_id: &str) -> JsResult<JsValue> {
        to_js(&self.server.session(order_id))
    }

    #[wasm_bindgen(js_name = sessionIds)]
    pub fn session_ids(&self) -> Vec<String> {
        self.server.session_ids()
    }

    #[wasm_bindgen(js_name = expireDue)]
    pub fn expire_due(&mut self, now: i64) -> JsResult<Vec<String>> {
        self.server.expire_due(now).map_err(to_js_error)
    }

    pub fn authorise(&mut self, envelope: &[u8], now: i64, signer: JsValue) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        reply_to_js(self.server.authorise(envelope, now, &signer.signer()))
    }

    #[wasm_bindgen(js_name = changeTariff)]
    pub fn change_tariff(&mut self, envelope: &[u8], now: i64, signer: JsValue) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        reply_to_js(self.server.change_tariff(envelope, now, &signer.signer()))
    }

    pub fn extend(&mut self, envelope: &[u8], now: i64, signer: JsValue) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        reply_to_js(self.server.extend(envelope, now, &signer.signer()))
    }

    pub fn complete(&mut self, envelope: &[u8], now: i64, signer: JsValue) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        reply_to_js(self.server.complete(envelope, now, &signer.signer()))
    }

    /// The ledger's journal entries not yet handed to storage, oldest first (entry bytes).
    pub fn journal(&self) -> Array {
        self.server.journal().iter().map(|entry| JsValue::from(Uint8Array::from(entry.bytes()))).collect()
    }

    #[wasm_bindgen(js_name = truncateJournal)]
    pub fn truncate_journal(&mut self, through_seq: u64) -> JsResult<()> {
        self.server.truncate_journal(through_seq).map_err(to_js_error)
    }

    /// `[envelope seq, ledger journal seq]` as decimal strings (both only grow).
    pub fn revision(&self) -> Vec<String> {
        let (seq, journal) = self.server.revision();
        vec![seq.to_string(), journal.to_string()]
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.server.snapshot(snapshot_key).map_err(to_js_error)
    }
}

/// The terminal in wasm memory.
#[wasm_bindgen]
pub struct EnergyTerminalHandle {
    terminal: EnergyTerminal,
}

#[wasm_bindgen]
impl EnergyTerminalHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<EnergyTerminalHandle> {
        let config: TerminalConfig = from_js(config, "config")?;
        Ok(EnergyTerminalHandle { terminal: EnergyTerminal::new(config).map_err(to_js_error)? })
    }

    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<EnergyTerminalHandle> {
        Ok(EnergyTerminalHandle { terminal: EnergyTerminal::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    #[wasm_bindgen(js_name = stationId)]
    pub fn station_id(&self) -> String {
        self.terminal.config().station_id.clone()
    }

    pub fn order(&mut self, order: JsValue, now: i64, signer: JsValue) -> JsResult<JsValue> {
        let order: Order = from_js(order, "order")?;
        let signer = OwnedSigner::from_js(&signer)?;
        outcome_to_js(self.terminal.order(order, now, &signer.signer()))
    }

    #[wasm_bindgen(js_name = acceptAuthorisation)]
    pub fn accept_authorisation(&mut self, envelope: &[u8], now: i64) -> JsResult<JsValue> {
        outcome_to_js(self.terminal.accept_authorisation(envelope, now))
    }

    pub fn meter(&mut self, order_id: &str, quantity: &str, at: i64) -> JsResult<JsValue> {
        outcome_to_js(self.terminal.meter(order_id, quantity, at))
    }

    #[wasm_bindgen(js_name = changeTariff)]
    pub fn change_tariff(&mut self, order_id: &str, tariff: JsValue, now: i64, signer: JsValue) -> JsResult<JsValue> {
        let tariff: Tariff = from_js(tariff, "tariff")?;
        let signer = OwnedSigner::from_js(&signer)?;
        outcome_to_js(self.terminal.change_tariff(order_id, tariff, now, &signer.signer()))
    }

    pub fn extend(&mut self, order_id: &str, expires_at: i64, now: i64, signer: JsValue) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        outcome_to_js(self.terminal.extend(order_id, expires_at, now, &signer.signer()))
    }

    pub fn complete(&mut self, order_id: &str, now: i64, signer: JsValue) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        outcome_to_js(self.terminal.complete(order_id, now, &signer.signer()))
    }

    #[wasm_bindgen(js_name = acceptReceipt)]
    pub fn accept_receipt(&mut self, envelope: &[u8], now: i64) -> JsResult<JsValue> {
        outcome_to_js(self.terminal.accept_receipt(envelope, now))
    }

    #[wasm_bindgen(js_name = abandonRequest)]
    pub fn abandon_request(&mut self, order_id: &str, code: &str) -> JsResult<JsValue> {
        let code = EnergyCode::from_name(code)
            .ok_or_else(|| to_js_error(Error::new(ErrorCode::InvalidArgument, "code", "code must be an energy code")))?;
        outcome_to_js(self.terminal.abandon_request(order_id, code))
    }

    #[wasm_bindgen(js_name = pendingRequest)]
    pub fn pending_request(&self, order_id: &str) -> Option<Vec<u8>> {
        self.terminal.pending_request(order_id)
    }

    pub fn session(&self, order_id: &str) -> JsResult<JsValue> {
        to_js(&self.terminal.session(order_id).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = sessionIds)]
    pub fn session_ids(&self) -> Vec<String> {
        self.terminal.session_ids()
    }

    /// The last envelope sequence number, as a decimal string (only grows).
    pub fn revision(&self) -> String {
        self.terminal.revision().to_string()
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.terminal.snapshot(snapshot_key).map_err(to_js_error)
    }
}
