//! wasm-bindgen adapter for System 9's routing and escalation of risk alarms: conversions only
//! (see lib.rs). Times and delivery ids cross as `i64` (a BigInt the SDK made from a checked safe
//! integer); the core refuses a negative or too-late time by its own checks after the cast to u64
//! is refused here for a negative value.

use countersign_core::dose::escalation::{verify_audit, AuditEntry, Direction, AlarmSignal, Role, Router, RouterSetup};
use countersign_core::error::{Error, ErrorCode};
use wasm_bindgen::prelude::*;

use crate::{from_js, to_js, to_js_error, JsResult};

/// An i64 from the SDK as the core's u64, `INVALID_ARGUMENT` naming `param` when negative.
fn unsigned(value: i64, param: &'static str) -> JsResult<u64> {
    u64::try_from(value).map_err(|_| to_js_error(Error::new(ErrorCode::InvalidArgument, param, "must not be negative")))
}

/// A terminal's alarm router in wasm memory: policies, open alarms, snoozes, the audit chain.
#[wasm_bindgen]
pub struct AlarmRouterHandle {
    router: Router,
}

#[wasm_bindgen]
impl AlarmRouterHandle {
    /// A new router from an `AlarmRouterSetup`.
    #[wasm_bindgen(constructor)]
    pub fn new(setup: JsValue) -> JsResult<AlarmRouterHandle> {
        let setup: RouterSetup = from_js(setup, "setup")?;
        Ok(AlarmRouterHandle { router: Router::new(&setup).map_err(to_js_error)? })
    }

    /// A router from authenticated snapshot bytes.
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<AlarmRouterHandle> {
        Ok(AlarmRouterHandle { router: Router::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }

    /// The router as authenticated snapshot bytes.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.router.snapshot(snapshot_key).map_err(to_js_error)
    }

    #[wasm_bindgen(js_name = routerId)]
    pub fn router_id(&self) -> String {
        self.router.router_id().to_owned()
    }

    /// The role of a recipient (`undefined`: not one of this router's).
    #[wasm_bindgen(js_name = roleOf)]
    pub fn role_of(&self, recipient_id: &str) -> Option<String> {
        self.router.role_of(recipient_id).map(|role| {
            match role {
                Role::Patient => "patient",
                Role::Caregiver => "caregiver",
                Role::Doctor => "doctor",
                Role::Centre => "centre",
            }
            .to_owned()
        })
    }

    /// `{ auditSeq, nowMs }`, numbers: the store's rollback guard.
    pub fn freshness(&self) -> JsResult<JsValue> {
        to_js(&(self.router.audit_seq(), self.router.now_ms()))
    }

    /// A risk signal (a `AlarmSignal`) arrived at `now_ms`.
    pub fn issue(&mut self, signal: JsValue, now_ms: i64) -> JsResult<JsValue> {
        let signal: AlarmSignal = from_js(signal, "signal")?;
        let now = unsigned(now_ms, "nowMs")?;
        to_js(&self.router.issue(&signal, now).map_err(to_js_error)?)
    }

    pub fn resolve(&mut self, alarm_id: &str, now_ms: i64) -> JsResult<JsValue> {
        let now = unsigned(now_ms, "nowMs")?;
        to_js(&self.router.resolve(alarm_id, now).map_err(to_js_error)?)
    }

    pub fn acknowledge(&mut self, alarm_id: &str, recipient_id: &str, now_ms: i64) -> JsResult<JsValue> {
        let now = unsigned(now_ms, "nowMs")?;
        to_js(&self.router.acknowledge(alarm_id, recipient_id, now).map_err(to_js_error)?)
    }

    /// `direction` is `"low" | "high" | "none"` (read by the adapter's deserialiser).
    pub fn snooze(&mut self, kind: &str, direction: JsValue, duration_ms: i64, recipient_id: &str, now_ms: i64) -> JsResult<JsValue> {
        let direction: Direction = from_js(direction, "direction")?;
        let duration = unsigned(duration_ms, "durationMs")?;
        let now = unsigned(now_ms, "nowMs")?;
        to_js(&self.router.snooze(kind, direction, duration, recipient_id, now).map_err(to_js_error)?)
    }

    pub fn receipt(&mut self, delivery_id: i64, now_ms: i64) -> JsResult<JsValue> {
        let id = unsigned(delivery_id, "deliveryId")?;
        let now = unsigned(now_ms, "nowMs")?;
        to_js(&self.router.receipt(id, now).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = deliveryFailed)]
    pub fn delivery_failed(&mut self, delivery_id: i64, now_ms: i64) -> JsResult<JsValue> {
        let id = unsigned(delivery_id, "deliveryId")?;
        let now = unsigned(now_ms, "nowMs")?;
        to_js(&self.router.delivery_failed(id, now).map_err(to_js_error)?)
    }

    pub fn tick(&mut self, now_ms: i64) -> JsResult<JsValue> {
        let now = unsigned(now_ms, "nowMs")?;
        to_js(&self.router.tick(now).map_err(to_js_error)?)
    }

    #[wasm_bindgen(js_name = openAlarms)]
    pub fn open_alarms(&self) -> JsResult<JsValue> {
        to_js(&self.router.open_alarms())
    }

    /// Deliveries still waiting for their receipt, as made (a restarted server sends them again).
    #[wasm_bindgen(js_name = pendingDeliveries)]
    pub fn pending_deliveries(&self) -> JsResult<JsValue> {
        to_js(&self.router.pending_deliveries())
    }

    pub fn snoozes(&self) -> JsResult<JsValue> {
        to_js(&self.router.snoozes())
    }

    pub fn audit(&self) -> JsResult<JsValue> {
        to_js(&self.router.audit())
    }

    #[wasm_bindgen(js_name = auditHead)]
    pub fn audit_head(&self) -> String {
        self.router.audit_head()
    }

    #[wasm_bindgen(js_name = auditUnsaved)]
    pub fn audit_unsaved(&self) -> JsResult<JsValue> {
        to_js(&self.router.audit_unsaved())
    }

    #[wasm_bindgen(js_name = markAuditSaved)]
    pub fn mark_audit_saved(&mut self, through_seq: i64) -> JsResult<()> {
        let through = unsigned(through_seq, "throughSeq")?;
        self.router.mark_audit_saved(through).map_err(to_js_error)
    }
}

/// Checks a run of audit entries (`AlarmAuditEntry[]`) chained to `prev_hash` (absent: the
/// first of a log); the head hash.
#[wasm_bindgen(js_name = verifyAlarmAudit)]
pub fn verify_alarm_audit(entries: JsValue, prev_hash: Option<String>) -> JsResult<String> {
    let entries: Vec<AuditEntry> = from_js(entries, "entries")?;
    verify_audit(&entries, prev_hash.as_deref()).map_err(to_js_error)
}
