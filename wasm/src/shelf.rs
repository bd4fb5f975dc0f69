//! wasm-bindgen adapter for System 10, untidy returns judged by weight: conversions only (see lib.rs).

use countersign_core::shelf::{ResolveTask, Shelf, ShelfSetup, WeightChange};
use wasm_bindgen::prelude::*;

use crate::{from_js, to_js, to_js_error, JsResult};

/// A shelf in wasm memory: catalogue, lanes with their sensors and contents, take records, tasks.
#[wasm_bindgen]
pub struct ShelfHandle {
    shelf: Shelf,
}

#[wasm_bindgen]
impl ShelfHandle {
    /// A new shelf from a `ShelfSetup`.
    #[wasm_bindgen(constructor)]
    pub fn new(setup: JsValue) -> JsResult<ShelfHandle> {
        let setup: ShelfSetup = from_js(setup, "setup")?;
        Ok(ShelfHandle { shelf: Shelf::new(&setup).map_err(to_js_error)? })
    }

    /// A shelf from authenticated snapshot bytes.
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<ShelfHandle> {
        Ok(ShelfHandle { shelf: Shelf::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    /// The shelf as authenticated snapshot bytes.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.shelf.snapshot(snapshot_key).map_err(to_js_error)
    }

    #[wasm_bindgen(js_name = shelfId)]
    pub fn shelf_id(&self) -> String {
        self.shelf.shelf_id().to_owned()
    }

    /// Changes so far (the snapshot's freshness), a number (an error past 2^53 − 1).
    pub fn revision(&self) -> JsResult<JsValue> {
        to_js(&self.shelf.revision())
    }

    /// Feeds a lane's samples (integer mg; the SDK checked each is an integer within range
    /// before making the Int32Array); the weight-change events they complete.
    pub fn samples(&mut self, lane_id: &str, samples: &[i32]) -> JsResult<JsValue> {
        let samples: Vec<i64> = samples.iter().map(|&x| i64::from(x)).collect();
        to_js(&self.shelf.samples(lane_id, &samples).map_err(to_js_error)?)
    }

    /// Decides and applies a weight change (a `WeightChange`).
    #[wasm_bindgen(js_name = weightChange)]
    pub fn weight_change(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: WeightChange = from_js(request, "request")?;
        to_js(&self.shelf.weight_change(&request).map_err(to_js_error)?)
    }

    /// Staff resolve an identify or unattributable task with what they found (a `ResolveTask`).
    #[wasm_bindgen(js_name = resolveTask)]
    pub fn resolve_task(&mut self, request: JsValue) -> JsResult<JsValue> {
        let request: ResolveTask = from_js(request, "request")?;
        to_js(&self.shelf.resolve_task(&request).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = completeTask)]
    pub fn complete_task(&mut self, task_id: &str) -> JsResult<JsValue> {
        to_js(&self.shelf.complete_task(task_id).map_err(to_js_error)?)
    }

    /// The shopper's take records; `idempotency_key` (the SDK checked it is a string) answers a retry.
    pub fn checkout(&mut self, shopper_id: &str, idempotency_key: Option<String>) -> JsResult<JsValue> {
        to_js(&self.shelf.checkout(shopper_id, idempotency_key.as_deref()).map_err(to_js_error)?)
    }

    pub fn tasks(&self) -> JsResult<JsValue> {
        to_js(&self.shelf.tasks())
    }

    pub fn lanes(&self) -> JsResult<JsValue> {
        to_js(&self.shelf.lanes())
    }

    pub fn shopper(&self, shopper_id: &str) -> JsResult<JsValue> {
        to_js(&self.shelf.shopper(shopper_id).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = itemTypes)]
    pub fn item_types(&self) -> JsResult<JsValue> {
        to_js(&self.shelf.item_types())
    }
}
