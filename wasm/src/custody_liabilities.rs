//! wasm-bindgen adapter for System 8's proof of liabilities: conversions only (see lib.rs).

use countersign_core::custody::liabilities::{
    compare_roots, open_root, parse_balance, proof_view, verify_inclusion, verify_inclusion_against, ClientBalance, ClientCheck,
    InclusionCode, LiabilitiesTree, RootComparisonCode, OpenedRoot, TreeSetup,
};
use countersign_core::envelope::TrustedKey;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::{codes_to_js, from_js, to_js, to_js_error, trusted_keys_of, JsResult, OwnedSigner, OwnedTrustedKey};

#[wasm_bindgen(js_name = custodyInclusionCodes)]
pub fn custody_inclusion_codes() -> Array {
    codes_to_js(InclusionCode::ALL, InclusionCode::as_str, InclusionCode::description)
}

/// The platform's tree for one asset and round, in wasm memory (~51 bytes per client).
#[wasm_bindgen]
pub struct LiabilitiesTreeHandle {
    tree: LiabilitiesTree,
}

#[wasm_bindgen]
impl LiabilitiesTreeHandle {
    /// A new tree from a `TreeSetup` and the 32-byte salt secret.
    #[wasm_bindgen(constructor)]
    pub fn new(setup: JsValue, salt_secret: &[u8]) -> JsResult<LiabilitiesTreeHandle> {
        let setup: TreeSetup = from_js(setup, "setup")?;
        Ok(LiabilitiesTreeHandle { tree: LiabilitiesTree::new(&setup, salt_secret).map_err(to_js_error)? })
    }

    /// Adds a chunk of `ClientBalance`s (the SDK bounded its length); the progress after it.
    pub fn add(&mut self, clients: JsValue) -> JsResult<JsValue> {
        let clients: Vec<ClientBalance> = from_js(clients, "clients")?;
        to_js(&self.tree.add(&clients).map_err(to_js_error)?)
    }

    pub fn progress(&self) -> JsResult<JsValue> {
        to_js(&self.tree.progress())
    }

    /// Heap bytes of the tree (a number: far below 2^53).
    #[wasm_bindgen(js_name = heapBytes)]
    pub fn heap_bytes(&self) -> f64 {
        self.tree.heap_bytes() as f64
    }

    /// Pads and fixes the root; the published root statement.
    pub fn finish(&mut self) -> JsResult<JsValue> {
        to_js(&self.tree.finish().map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = publishedRoot)]
    pub fn published_root(&self) -> JsResult<JsValue> {
        to_js(&self.tree.published_root().map_err(to_js_error)?)
    }

    /// The signed root envelope (`signer`: `{ keyId, algorithm, secretKey }`).
    pub fn publish(&self, signer: JsValue, issued_at: i64, expires_at: i64) -> JsResult<Vec<u8>> {
        let signer = OwnedSigner::from_js(&signer)?;
        self.tree.publish(&signer.signer(), issued_at, expires_at).map_err(to_js_error)
    }

    pub fn proof(&self, index: u32, client_id: &str) -> JsResult<Vec<u8>> {
        self.tree.proof(index, client_id).map_err(to_js_error)
    }
}

fn keys_of(owned: &[OwnedTrustedKey]) -> Vec<TrustedKey<'_>> {
    owned.iter().map(|k| TrustedKey { key_id: &k.key_id, alg: k.alg, public_key: &k.public_key }).collect()
}

fn expected_of(expected_balance: Option<String>) -> JsResult<Option<u128>> {
    expected_balance.map(|b| parse_balance(&b, "expectedBalance")).transpose().map_err(to_js_error)
}

/// The whole check: a proof against the published root envelope, for the client `client_id`.
#[wasm_bindgen(js_name = custodyVerifyInclusion)]
#[allow(clippy::too_many_arguments)] // one flat call: the SDK checked each argument
pub fn custody_verify_inclusion(
    proof: &[u8],
    published_root: &[u8],
    trusted_keys: &Array,
    now: i64,
    max_clock_skew_s: u32,
    last_round: Option<u64>,
    client_id: &str,
    expected_balance: Option<String>,
) -> JsResult<JsValue> {
    let owned = trusted_keys_of(trusted_keys)?;
    let keys = keys_of(&owned);
    let check = ClientCheck { trusted_keys: &keys, now, max_clock_skew_s, last_round, client_id, expected_balance: expected_of(expected_balance)? };
    to_js(&verify_inclusion(proof, published_root, &check).map_err(to_js_error)?)
}

/// A published root opened once (its envelope checked), to check many proofs against.
#[wasm_bindgen]
pub struct LiabilitiesRootHandle {
    root: OpenedRoot,
}

#[wasm_bindgen]
impl LiabilitiesRootHandle {
    /// Opens a published root: `{ root: handle }`, or `{ refused: outcome }` when the envelope or its payload is refused.
    pub fn open(published_root: &[u8], trusted_keys: &Array, now: i64, max_clock_skew_s: u32, last_round: Option<u64>) -> JsResult<JsValue> {
        let owned = trusted_keys_of(trusted_keys)?;
        let keys = keys_of(&owned);
        // The client id is not used by the opening (steps 2–3); a placeholder satisfies the type.
        let check = ClientCheck { trusted_keys: &keys, now, max_clock_skew_s, last_round, client_id: "-", expected_balance: None };
        let result = js_sys::Object::new();
        match open_root(published_root, &check).map_err(to_js_error)? {
            Ok(root) => crate::set(&result, "root", &LiabilitiesRootHandle { root }.into()),
            Err(outcome) => crate::set(&result, "refused", &to_js(&outcome)?),
        }
        Ok(result.into())
    }

    pub fn view(&self) -> JsResult<JsValue> {
        to_js(&self.root.view())
    }

    /// Steps 1 and 4–15 of the check order against this root.
    pub fn verify(&self, proof: &[u8], client_id: &str, expected_balance: Option<String>) -> JsResult<JsValue> {
        to_js(&verify_inclusion_against(proof, &self.root, client_id, expected_of(expected_balance)?).map_err(to_js_error)?)
    }
}

#[wasm_bindgen(js_name = custodyRootComparisonCodes)]
pub fn custody_root_comparison_codes() -> Array {
    codes_to_js(RootComparisonCode::ALL, RootComparisonCode::as_str, RootComparisonCode::description)
}

/// Two published roots compared (each opened under the same keys and clock).
#[wasm_bindgen(js_name = custodyCompareRoots)]
pub fn custody_compare_roots(first: &[u8], second: &[u8], trusted_keys: &Array, now: i64, max_clock_skew_s: u32) -> JsResult<JsValue> {
    let owned = trusted_keys_of(trusted_keys)?;
    let keys = keys_of(&owned);
    let check = ClientCheck { trusted_keys: &keys, now, max_clock_skew_s, last_round: None, client_id: "-", expected_balance: None };
    to_js(&compare_roots(first, second, &check).map_err(to_js_error)?)
}

/// A proof decoded for display (`INVALID_ARGUMENT` about `proof` when it does not decode).
#[wasm_bindgen(js_name = custodyDecodeInclusionProof)]
pub fn custody_decode_inclusion_proof(proof: &[u8]) -> JsResult<JsValue> {
    to_js(&proof_view(proof).map_err(to_js_error)?)
}
