//! wasm-bindgen adapter for System 1, the card usage counter: conversions only (see lib.rs).

use countersign_core::card::{
    AuthorisationRequest, Card, CardCode, CardConfig, Command, OnlineResult, PublicKey, ReversalRequest,
    SettlementRequest,
};
use countersign_core::limits::TimeZones;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, from_js, to_js, to_js_error, JsResult};

/// Every card outcome code with its description.
#[wasm_bindgen(js_name = cardCodes)]
pub fn card_codes() -> Array {
    codes_to_js(CardCode::ALL, CardCode::as_str, CardCode::description)
}

/// The deterministic CBOR payload of an issuer configuration (to be sealed as `card.config`).
#[wasm_bindgen(js_name = cardConfigPayload)]
pub fn card_config_payload(config: JsValue) -> JsResult<Vec<u8>> {
    from_js::<CardConfig>(config, "config")?.to_payload().map_err(to_js_error)
}

/// The deterministic CBOR payload of an app command (to be sealed as `card.command`).
#[wasm_bindgen(js_name = cardCommandPayload)]
pub fn card_command_payload(command: JsValue) -> JsResult<Vec<u8>> {
    from_js::<Command>(command, "command")?.to_payload().map_err(to_js_error)
}

/// The deterministic CBOR payload of an issuer online result (to be sealed as `card.online-result`).
#[wasm_bindgen(js_name = cardOnlineResultPayload)]
pub fn card_online_result_payload(result: JsValue) -> JsResult<Vec<u8>> {
    from_js::<OnlineResult>(result, "result")?.to_payload().map_err(to_js_error)
}

/// Time-zone names a configuration envelope's limits use, read WITHOUT verifying it: only so the
/// SDK can fetch their data before the card verifies and applies the envelope.
#[wasm_bindgen(js_name = cardConfigTimeZones)]
pub fn card_config_time_zones(envelope: &[u8]) -> Vec<String> {
    countersign_core::card::config_time_zones(envelope)
}

/// A card in wasm memory, with the time-zone data its calendar windows use.
#[wasm_bindgen]
pub struct CardHandle {
    card: Card,
    zones: TimeZones,
}

#[wasm_bindgen]
impl CardHandle {
    /// A new, unprovisioned card trusting `issuerKey` (`{ keyId, alg, publicKey: hex }`).
    #[wasm_bindgen(constructor)]
    pub fn new(card_id: &str, issuer_key: JsValue) -> JsResult<CardHandle> {
        let issuer: PublicKey = from_js(issuer_key, "issuerKey")?;
        let card = Card::new(card_id, issuer).map_err(to_js_error)?;
        Ok(CardHandle { card, zones: TimeZones::new() })
    }

    /// Restores a card from an authenticated snapshot.
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<CardHandle> {
        let card = Card::restore(snapshot, snapshot_key).map_err(to_js_error)?;
        Ok(CardHandle { card, zones: TimeZones::new() })
    }

    /// An independent copy (same state and time-zone data).
    #[wasm_bindgen(js_name = copy)]
    pub fn copy(&self) -> CardHandle {
        CardHandle { card: self.card.clone(), zones: self.zones.clone() }
    }

    /// Adds the TZif data of one IANA zone.
    #[wasm_bindgen(js_name = addTimeZone)]
    pub fn add_time_zone(&mut self, name: &str, tzif: &[u8]) -> JsResult<()> {
        self.zones.add(name, tzif).map_err(to_js_error)
    }

    /// Zone names whose data this card has.
    #[wasm_bindgen(js_name = timeZoneNames)]
    pub fn time_zone_names(&self) -> Vec<String> {
        self.zones.names().map(str::to_owned).collect()
    }

    /// Zone names the card's current limits use.
    #[wasm_bindgen(js_name = usedTimeZones)]
    pub fn used_time_zones(&self) -> Vec<String> {
        self.card.time_zones_used()
    }

    #[wasm_bindgen(js_name = applyConfig)]
    pub fn apply_config(&mut self, envelope: &[u8], now: i64) -> JsResult<JsValue> {
        let outcome = self.card.apply_config(envelope, now, &self.zones).map_err(to_js_error)?;
        to_js(&outcome)
    }

    #[wasm_bindgen(js_name = applyCommand)]
    pub fn apply_command(&mut self, envelope: &[u8], now: i64) -> JsResult<JsValue> {
        let outcome = self.card.apply_command(envelope, now, &self.zones).map_err(to_js_error)?;
        to_js(&outcome)
    }

    #[wasm_bindgen(js_name = applyOnlineResult)]
    pub fn apply_online_result(&mut self, envelope: &[u8], now: i64) -> JsResult<JsValue> {
        let outcome = self.card.apply_online_result(envelope, now, &self.zones).map_err(to_js_error)?;
        to_js(&outcome)
    }

    pub fn authorise(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: AuthorisationRequest = from_js(request, "request")?;
        to_js(&self.card.authorise(&request, &self.zones).map_err(to_js_error)?)
    }

    pub fn preview(&self, request: JsValue) -> JsResult<JsValue> {
        let request: AuthorisationRequest = from_js(request, "request")?;
        to_js(&self.card.preview(&request, &self.zones).map_err(to_js_error)?)
    }

    pub fn reverse(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: ReversalRequest = from_js(request, "request")?;
        to_js(&self.card.reverse(&request, &self.zones).map_err(to_js_error)?)
    }

    pub fn capture(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: SettlementRequest = from_js(request, "request")?;
        to_js(&self.card.capture(&request, &self.zones).map_err(to_js_error)?)
    }

    pub fn refund(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: SettlementRequest = from_js(request, "request")?;
        to_js(&self.card.refund(&request, &self.zones).map_err(to_js_error)?)
    }

    pub fn view(&self, now: i64) -> JsResult<JsValue> {
        to_js(&self.card.view(now, &self.zones).map_err(to_js_error)?)
    }

    pub fn freshness(&self) -> JsResult<JsValue> {
        to_js(&self.card.freshness())
    }

    /// Whether this card's state is older than `seen` (a `freshness()` value): a rollback.
    #[wasm_bindgen(js_name = isOlderThan)]
    pub fn is_older_than(&self, seen: JsValue) -> JsResult<bool> {
        let seen: countersign_core::card::Freshness = from_js(seen, "seen")?;
        Ok(self.card.is_older_than(&seen))
    }

    #[wasm_bindgen(js_name = cardId)]
    pub fn card_id(&self) -> String {
        self.card.card_id().to_owned()
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.card.snapshot(snapshot_key).map_err(to_js_error)
    }
}
