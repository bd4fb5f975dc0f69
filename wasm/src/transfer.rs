//! wasm-bindgen adapter for System 7's resolver chain, identifier checks and format adapters:
//! conversions only (see lib.rs).

use countersign_core::error::{Error, ErrorCode};
use countersign_core::transfer::{self, DirectoryAnswer, Format, Instruction, Loss, ResolveCode, Resolver, Rules};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, from_js, to_js, to_js_error, JsResult};

/// The resolver's outcome codes with their descriptions.
#[wasm_bindgen(js_name = transferResolveCodes)]
pub fn transfer_resolve_codes() -> Array {
    codes_to_js(ResolveCode::ALL, ResolveCode::as_str, ResolveCode::description)
}

fn format_of(name: &str) -> JsResult<Format> {
    Format::from_name(name).ok_or_else(|| to_js_error(Error::new(ErrorCode::InvalidArgument, "format", format!("unknown format {name:?}"))))
}

/// A checked rules table in wasm memory.
#[wasm_bindgen]
pub struct TransferResolverHandle {
    resolver: Resolver,
}

#[wasm_bindgen]
impl TransferResolverHandle {
    /// A resolver from a `TransferRules` table.
    #[wasm_bindgen(constructor)]
    pub fn new(rules: JsValue) -> JsResult<TransferResolverHandle> {
        let rules: Rules = from_js(rules, "rules")?;
        Ok(TransferResolverHandle { resolver: Resolver::new(rules).map_err(to_js_error)? })
    }

    /// A `Resolution` of an identifier (the SDK checked it is a string).
    pub fn resolve(&self, identifier: &str) -> JsResult<JsValue> {
        to_js(&self.resolver.resolve(identifier))
    }

    /// An alias's `Resolution` completed with the directory's `DirectoryAnswer`.
    #[wasm_bindgen(js_name = resolveAlias)]
    pub fn resolve_alias(&self, identifier: &str, answer: JsValue) -> JsResult<JsValue> {
        let answer: DirectoryAnswer = from_js(answer, "answer")?;
        to_js(&self.resolver.resolve_alias(identifier, &answer).map_err(to_js_error)?)
    }
}

/// The message of a format for an instruction, with its losses.
#[wasm_bindgen(js_name = transferGenerate)]
pub fn transfer_generate(format: &str, instruction: JsValue) -> JsResult<JsValue> {
    let format = format_of(format)?;
    let instruction: Instruction = from_js(instruction, "instruction")?;
    to_js(&transfer::generate(format, &instruction).map_err(to_js_error)?)
}

/// The instruction a message of a format carries.
#[wasm_bindgen(js_name = transferParse)]
pub fn transfer_parse(format: &str, text: &str) -> JsResult<JsValue> {
    let format = format_of(format)?;
    to_js(&transfer::parse(format, text).map_err(to_js_error)?)
}

/// The instruction normalised, or the error naming its field.
#[wasm_bindgen(js_name = transferCheckInstruction)]
pub fn transfer_check_instruction(instruction: JsValue) -> JsResult<JsValue> {
    let instruction: Instruction = from_js(instruction, "instruction")?;
    to_js(&transfer::check_instruction(&instruction).map_err(to_js_error)?)
}

/// The instruction with a message's losses applied: what the message carries.
#[wasm_bindgen(js_name = transferWithLosses)]
pub fn transfer_with_losses(instruction: JsValue, losses: JsValue) -> JsResult<JsValue> {
    let instruction: Instruction = from_js(instruction, "instruction")?;
    let losses: Vec<Loss> = from_js(losses, "losses")?;
    to_js(&transfer::with_losses(&instruction, &losses))
}

#[wasm_bindgen(js_name = transferCheckIban)]
pub fn transfer_check_iban(iban: &str) -> JsResult<JsValue> {
    to_js(&transfer::check_iban(iban))
}

#[wasm_bindgen(js_name = transferCheckBic)]
pub fn transfer_check_bic(bic: &str) -> JsResult<JsValue> {
    to_js(&transfer::check_bic(bic))
}

#[wasm_bindgen(js_name = transferCheckAba)]
pub fn transfer_check_aba(routing: &str) -> String {
    transfer::check_aba(routing).as_str().to_owned()
}

#[wasm_bindgen(js_name = transferLuhn)]
pub fn transfer_luhn(digits: &str) -> bool {
    transfer::luhn(digits)
}
