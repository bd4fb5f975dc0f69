//! wasm-bindgen adapter for System 8's key holder: a client's transfer wallet derived from the
//! master seed (BIP-32 on secp256k1). An API part of its own (`custody.keys`) because the
//! back-office book only stores addresses: BIP-32's extended-key code would be bytes of the
//! book's module that a back-office page never calls. Conversions only (see lib.rs).

use countersign_core::custody::keys;
use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::{set, to_js_error, JsResult};

/// A client's transfer wallet from the master seed: `{path, secretKey, publicKey, address}`.
#[wasm_bindgen(js_name = custodyTransferWallet)]
pub fn custody_transfer_wallet(seed: &[u8], client_index: u32) -> JsResult<JsValue> {
    let wallet = keys::transfer_wallet(seed, client_index).map_err(to_js_error)?;
    let result = Object::new();
    set(&result, "path", &wallet.path.as_str().into());
    set(&result, "secretKey", &Uint8Array::from(&wallet.secret_key[..]).into());
    set(&result, "publicKey", &Uint8Array::from(wallet.public_key.as_slice()).into());
    set(&result, "address", &wallet.address.as_str().into());
    Ok(result.into())
}
