//! wasm-bindgen adapter for System 9, the patient terminal after an automatic drug injection
//! (frames, settings, program package, evaluation): conversions only (see lib.rs). The routing
//! and escalation part has its own adapter file.

use countersign_core::dose::evaluate::{evaluate, evaluate_bytes, Signal};
use countersign_core::dose::frame::{self, Frame};
use countersign_core::dose::package::{seal_program, Controller, ControllerConfig, ProgramPackage, Terminal, TerminalConfig};
use countersign_core::dose::settings::{absolute_bounds, validate, AlarmSettings, Bounds, FIELDS};
use countersign_core::dose::DoseCode;
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, from_js, set, to_js, to_js_error, JsResult, OwnedSigner};

#[wasm_bindgen(js_name = doseCodes)]
pub fn dose_codes() -> Array {
    codes_to_js(DoseCode::ALL, DoseCode::as_str, DoseCode::description)
}

/// The settings fields: name, unit, absolute and recommended ranges, default (the core's table).
#[wasm_bindgen(js_name = doseSettingsFields)]
pub fn dose_settings_fields() -> Array {
    FIELDS
        .iter()
        .map(|f| {
            let o = Object::new();
            set(&o, "name", &f.name.into());
            set(&o, "unit", &f.unit.into());
            set(&o, "absolute", &Array::of2(&f.absolute.0.into(), &f.absolute.1.into()));
            set(&o, "recommended", &Array::of2(&f.recommended.0.into(), &f.recommended.1.into()));
            set(&o, "default", &f.default.into());
            JsValue::from(o)
        })
        .collect()
}

#[wasm_bindgen(js_name = doseDecodeFrame)]
pub fn dose_decode_frame(bytes: &[u8]) -> JsResult<JsValue> {
    match frame::decode(bytes) {
        Ok(f) => to_js(&f),
        Err(code) => Ok(JsValue::from(code.as_str())),
    }
}

#[wasm_bindgen(js_name = doseEncodeFrame)]
pub fn dose_encode_frame(frame: JsValue) -> JsResult<Vec<u8>> {
    let frame: Frame = from_js(frame, "frame")?;
    frame::encode(&frame).map_err(to_js_error)
}

/// Validates settings against `permitted` (16 `[min, max]`; undefined: the absolute bounds).
#[wasm_bindgen(js_name = doseValidateSettings)]
pub fn dose_validate_settings(settings: JsValue, permitted: JsValue) -> JsResult<JsValue> {
    let settings: AlarmSettings = from_js(settings, "settings")?;
    let bounds: Bounds = if permitted.is_undefined() { absolute_bounds() } else { from_js(permitted, "permitted")? };
    to_js(&validate(&settings, &bounds))
}

#[wasm_bindgen(js_name = doseEvaluate)]
pub fn dose_evaluate(settings: JsValue, history: JsValue, until_ms: u64) -> JsResult<JsValue> {
    let settings: AlarmSettings = from_js(settings, "settings")?;
    let history: Vec<Frame> = from_js(history, "history")?;
    signals_to_js(evaluate(&settings, &history, until_ms))
}

/// The history as the frames' bytes, each behind its length byte (one crossing for the whole history).
#[wasm_bindgen(js_name = doseEvaluateBytes)]
pub fn dose_evaluate_bytes(settings: JsValue, history: &[u8], until_ms: u64) -> JsResult<JsValue> {
    let settings: AlarmSettings = from_js(settings, "settings")?;
    signals_to_js(evaluate_bytes(&settings, history, until_ms))
}

fn signals_to_js(signals: countersign_core::Result<Vec<Signal>>) -> JsResult<JsValue> {
    to_js(&signals.map_err(to_js_error)?)
}

#[wasm_bindgen(js_name = doseSealProgram)]
pub fn dose_seal_program(package: JsValue, version: u64, signer: JsValue, issued_at: i64, expires_at: i64) -> JsResult<Vec<u8>> {
    let package: ProgramPackage = from_js(package, "package")?;
    let signer = OwnedSigner::from_js(&signer)?;
    seal_program(&package, version, signer.signer(), issued_at, expires_at).map_err(to_js_error)
}

/// Adds `bytes` (or null) under `key` to a converted result object.
fn with_bytes(value: JsValue, key: &str, bytes: Option<Vec<u8>>) -> JsValue {
    if let Some(object) = value.dyn_ref::<Object>() {
        let v = bytes.map_or(JsValue::NULL, |b| Uint8Array::from(b.as_slice()).into());
        set(object, key, &v);
    }
    value
}

/// The patient terminal in wasm memory.
#[wasm_bindgen]
pub struct DoseTerminalHandle {
    terminal: Terminal,
}

#[wasm_bindgen]
impl DoseTerminalHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<DoseTerminalHandle> {
        let config: TerminalConfig = from_js(config, "config")?;
        Ok(DoseTerminalHandle { terminal: Terminal::new(config).map_err(to_js_error)? })
    }

    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<DoseTerminalHandle> {
        Ok(DoseTerminalHandle { terminal: Terminal::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.terminal.snapshot(snapshot_key).map_err(to_js_error)
    }

    pub fn revision(&self) -> JsResult<JsValue> {
        to_js(&self.terminal.revision)
    }

    pub fn install(&mut self, package: &[u8], now_s: i64) -> JsResult<JsValue> {
        to_js(&self.terminal.install(package, now_s).map_err(to_js_error)?)
    }

    pub fn propose(&mut self, settings: JsValue, signer: JsValue, now_s: i64, ttl_s: i64) -> JsResult<JsValue> {
        let settings: AlarmSettings = from_js(settings, "settings")?;
        let signer = OwnedSigner::from_js(&signer)?;
        let out = self.terminal.propose(&settings, signer.signer(), now_s, ttl_s).map_err(to_js_error)?;
        Ok(with_bytes(to_js(&out)?, "envelope", out.envelope))
    }

    #[wasm_bindgen(js_name = takeAck)]
    pub fn take_ack(&mut self, ack: &[u8], now_s: i64) -> JsResult<String> {
        Ok(self.terminal.take_ack(ack, now_s).map_err(to_js_error)?.as_str().to_owned())
    }

    #[wasm_bindgen(js_name = acceptFrame)]
    pub fn accept_frame(&mut self, bytes: &[u8]) -> JsResult<JsValue> {
        to_js(&self.terminal.accept_frame(bytes))
    }

    /// The whole state as plain data (config, program, confirmed, pending, draft, stream).
    pub fn state(&self) -> JsResult<JsValue> {
        to_js(&self.terminal)
    }

    /// The permitted bounds in force.
    pub fn permitted(&self) -> JsResult<JsValue> {
        to_js(&self.terminal.permitted())
    }
}

/// The (simulated) controller in wasm memory.
#[wasm_bindgen]
pub struct DoseControllerHandle {
    controller: Controller,
}

#[wasm_bindgen]
impl DoseControllerHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<DoseControllerHandle> {
        let config: ControllerConfig = from_js(config, "config")?;
        Ok(DoseControllerHandle { controller: Controller::new(config).map_err(to_js_error)? })
    }

    pub fn install(&mut self, package: &[u8], now_s: i64) -> JsResult<String> {
        Ok(self.controller.install(package, now_s).map_err(to_js_error)?.as_str().to_owned())
    }

    #[wasm_bindgen(js_name = receiveSettings)]
    pub fn receive_settings(&mut self, envelope: &[u8], now_s: i64, signer: JsValue) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        let out = self.controller.receive_settings(envelope, now_s, signer.signer()).map_err(to_js_error)?;
        Ok(with_bytes(to_js(&out)?, "ack", out.ack))
    }

    pub fn evaluate(&self, history: JsValue, until_ms: u64) -> JsResult<JsValue> {
        let history: Vec<Frame> = from_js(history, "history")?;
        signals_to_js(self.controller.evaluate(&history, until_ms))
    }

    #[wasm_bindgen(js_name = evaluateBytes)]
    pub fn evaluate_bytes(&self, history: &[u8], until_ms: u64) -> JsResult<JsValue> {
        signals_to_js(self.controller.evaluate_bytes(history, until_ms))
    }

    pub fn state(&self) -> JsResult<JsValue> {
        to_js(&self.controller)
    }
}

/// The alarm the router takes for a signal of the controller's evaluation (`RiskSignal` →
/// `AlarmSignal`, the core's `AlarmSignal::of`). In the device's part, not the routing's: the
/// device page hands its signals to a router elsewhere (a server) and loads this part alone.
#[wasm_bindgen(js_name = alarmSignalOf)]
pub fn alarm_signal_of(signal: JsValue) -> JsResult<JsValue> {
    let signal: Signal = from_js(signal, "signal")?;
    to_js(&countersign_core::dose::escalation::AlarmSignal::of(&signal))
}
