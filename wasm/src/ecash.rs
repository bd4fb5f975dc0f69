//! wasm-bindgen adapter for System 6, offline e-cash: conversions only (see lib.rs). Messages
//! cross as bytes (their formats are the core's, docs/ecash.md); amounts as decimal strings of
//! minor units; times as safe-integer Unix seconds (the SDK checked them).

use countersign_core::ecash::sim::{self, SimConfig};
use countersign_core::ecash::*;
use countersign_core::{Error, ErrorCode};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::{from_js, set, to_js, to_js_error, JsResult, OwnedSigner};

fn minor(value: &str, param: &'static str) -> JsResult<u64> {
    value.parse::<u64>().map_err(|_| to_js_error(Error::new(ErrorCode::InvalidArgument, param, "must be a decimal string of minor units")))
}
fn time(value: f64) -> i64 {
    // The SDK passes only safe integers.
    value as i64
}
fn bytes32(b: &[u8], param: &'static str) -> JsResult<[u8; 32]> {
    b.try_into().map_err(|_| to_js_error(Error::new(ErrorCode::KeyInvalid, param, format!("must be 32 bytes, got {}", b.len()))))
}
fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        set(&o, k, v);
    }
    o.into()
}
fn u8a(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}
fn s(v: u64) -> JsValue {
    JsValue::from_str(&v.to_string())
}
fn action_str(a: Action) -> &'static str {
    match a {
        Action::Reject => "reject",
        Action::Restrict => "restrict",
        Action::Block => "block",
    }
}
fn evidence_js(e: &Evidence) -> JsValue {
    match e {
        Evidence::Counter(c) => obj(&[("kind", "counter".into()), ("counter", s(*c))]),
        Evidence::Gap { expected, found } => obj(&[("kind", "gap".into()), ("expected", s(*expected)), ("found", s(*found))]),
        Evidence::Rollback { card_base, card_seq, synced, seq } => obj(&[
            ("kind", "rollback".into()), ("cardBase", s(*card_base)), ("cardSeq", s(*card_seq)), ("synced", s(*synced)), ("seq", s(*seq)),
        ]),
        Evidence::Diverged { accepted, submitted } => obj(&[("kind", "diverged".into()), ("accepted", u8a(&accepted.encode())), ("submitted", u8a(&submitted.encode()))]),
        Evidence::DoubleSpend(proof) => obj(&[("kind", "double-spend".into()), ("proof", u8a(&proof.encode()))]),
        Evidence::Balance { expected_available, reported_available, expected_pending, reported_pending } => obj(&[
            ("kind", "balance".into()), ("expectedAvailable", s(*expected_available)), ("reportedAvailable", s(*reported_available)),
            ("expectedPending", s(*expected_pending)), ("reportedPending", s(*reported_pending)),
        ]),
        Evidence::Limit { counter, limit } => obj(&[("kind", "limit".into()), ("counter", s(*counter)), ("limit", to_js(limit).unwrap_or(JsValue::NULL))]),
        Evidence::Window { start, count, amount } => obj(&[("kind", "window".into()), ("start", JsValue::from_f64(*start as f64)), ("count", (*count).into()), ("amount", s(*amount))]),
        Evidence::Record(h) => obj(&[("kind", "record".into()), ("record", u8a(h))]),
        Evidence::Replayed { time, last_time } => obj(&[("kind", "replayed".into()), ("time", JsValue::from_f64(*time as f64)), ("lastTime", JsValue::from_f64(*last_time as f64))]),
    }
}
fn findings_js(findings: &[Finding]) -> JsValue {
    findings
        .iter()
        .map(|f| obj(&[("code", f.code.as_str().into()), ("subject", f.subject.as_str().into()), ("action", action_str(f.action).into()), ("evidence", evidence_js(&f.evidence))]))
        .collect::<Array>()
        .into()
}
fn refusal_js(r: Refusal) -> JsValue {
    obj(&[("ok", false.into()), ("refusal", r.as_str().into())])
}

/// A smart card's offline cash.
#[wasm_bindgen]
pub struct EcashCardHandle {
    card: Card,
}

#[wasm_bindgen]
impl EcashCardHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(id: &str, secret_key: &[u8], issuer_key_id: &str, issuer_public_key: &[u8], security: &[u8], now: f64) -> JsResult<EcashCardHandle> {
        let issuer = IssuerKey { key_id: issuer_key_id.to_owned(), public_key: bytes32(issuer_public_key, "issuerPublicKey")? };
        Ok(EcashCardHandle { card: Card::new(id, secret_key, issuer, security, time(now)).map_err(to_js_error)? })
    }
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<EcashCardHandle> {
        Ok(EcashCardHandle { card: Card::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }
    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.card.snapshot(snapshot_key).map_err(to_js_error)
    }
    /// `{ok: true, payment}` (the wire form) or `{ok: false, refusal}`.
    pub fn pay(&mut self, payee: &str, amount: &str, now: f64) -> JsResult<JsValue> {
        let amount = minor(amount, "amount")?;
        Ok(match self.card.pay(payee, amount, time(now)).map_err(to_js_error)? {
            Ok(p) => obj(&[("ok", true.into()), ("payment", u8a(&p.encode()))]),
            Err(r) => refusal_js(r),
        })
    }
    /// `{ok: true, ack}` or `{ok: false, refusal}`.
    pub fn receive(&mut self, payment: &[u8], now: f64) -> JsResult<JsValue> {
        let payment = Payment::decode(payment).map_err(to_js_error)?;
        Ok(match self.card.receive(&payment, time(now)).map_err(to_js_error)? {
            Ok(ack) => obj(&[("ok", true.into()), ("ack", u8a(&ack))]),
            Err(r) => refusal_js(r),
        })
    }
    pub fn confirm(&mut self, ack: &[u8]) -> JsResult<bool> {
        Ok(self.card.confirm(&bytes32(ack, "ack")?))
    }
    #[wasm_bindgen(js_name = reservedPayment)]
    pub fn reserved_payment(&self) -> Option<Vec<u8>> {
        self.card.reserved_payment().map(|p| p.encode())
    }
    #[wasm_bindgen(js_name = syncRequest)]
    pub fn sync_request(&self, now: f64) -> JsResult<Vec<u8>> {
        Ok(self.card.sync_request(time(now)).map_err(to_js_error)?.encode())
    }
    /// `"security"`, `"restricted"`, `"blocked"`, an envelope rejection code, `"WRONG_CARD"` or `"COUNTER_BEHIND"`.
    pub fn accept(&mut self, envelope: &[u8], now: f64) -> String {
        match self.card.accept(envelope, time(now)) {
            Accepted::Security => "security".into(),
            Accepted::Restricted => "restricted".into(),
            Accepted::Blocked => "blocked".into(),
            Accepted::Rejected(r) => r.as_str().into(),
            Accepted::Unfit(code) => code.into(),
        }
    }
    pub fn view(&self) -> JsValue {
        let c = &self.card;
        let l = c.security().limits;
        obj(&[
            ("id", c.id().into()),
            ("publicKey", u8a(&c.public_key())),
            ("available", s(c.available())),
            ("pending", s(c.pending())),
            ("reserved", s(c.reserved())),
            ("counter", s(c.counter())),
            ("securitySeq", s(c.security_seq())),
            ("syncedCounter", s(c.security().synced_counter)),
            ("counterMax", s(c.security().counter_max)),
            ("limits", obj(&[("singleMax", s(l.single_max)), ("cumulativeMax", s(l.cumulative_max)), ("countMax", l.count_max.into()), ("validUntil", JsValue::from_f64(l.valid_until as f64))])),
            ("logLength", (c.log().len() as u32).into()),
            ("blocked", c.is_blocked().into()),
            ("restricted", c.is_restricted().into()),
        ])
    }
}

/// A merchant terminal.
#[wasm_bindgen]
pub struct EcashMerchantHandle {
    merchant: Merchant,
}

#[wasm_bindgen]
impl EcashMerchantHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(id: &str, issuer_key_id: &str, issuer_public_key: &[u8]) -> JsResult<EcashMerchantHandle> {
        let issuer = IssuerKey { key_id: issuer_key_id.to_owned(), public_key: bytes32(issuer_public_key, "issuerPublicKey")? };
        Ok(EcashMerchantHandle { merchant: Merchant::new(id, issuer).map_err(to_js_error)? })
    }
    pub fn receive(&mut self, payment: &[u8], now: f64) -> JsResult<JsValue> {
        let payment = Payment::decode(payment).map_err(to_js_error)?;
        Ok(match self.merchant.receive(&payment, time(now)) {
            Ok(ack) => obj(&[("ok", true.into()), ("ack", u8a(&ack))]),
            Err(r) => refusal_js(r),
        })
    }
    /// The held payments' records, each in its wire form.
    #[wasm_bindgen(js_name = takeDeposit)]
    pub fn take_deposit(&mut self) -> Array {
        self.merchant.take_deposit().iter().map(|r| u8a(&r.encode())).collect()
    }
    #[wasm_bindgen(js_name = setBlocklist)]
    pub fn set_blocklist(&mut self, ids: Vec<String>) -> JsResult<()> {
        self.merchant.set_blocklist(ids).map_err(to_js_error)
    }
    pub fn held(&self) -> u32 {
        self.merchant.records().len() as u32
    }
}

/// The back-end: rules, deposits, security information.
#[wasm_bindgen]
pub struct EcashBackendHandle {
    backend: Backend,
}

#[wasm_bindgen]
impl EcashBackendHandle {
    /// `limits` `{singleMax, cumulativeMax (strings), countMax}`, velocity `{windowS, countMax, amountMax (string)}`.
    #[wasm_bindgen(constructor)]
    // One scalar per policy field: reading them as one object would need its own conversion code.
    #[allow(clippy::too_many_arguments)]
    pub fn new(single_max: &str, cumulative_max: &str, count_max: u32, validity_s: f64, counter_window: f64, velocity_window_s: f64, velocity_count_max: u32, velocity_amount_max: &str, actions: JsValue) -> JsResult<EcashBackendHandle> {
        let actions: std::collections::BTreeMap<RuleCode, Action> = from_js(actions, "policy.actions")?;
        let policy = Policy {
            limits: OfflineLimits { single_max: minor(single_max, "policy.limits.singleMax")?, cumulative_max: minor(cumulative_max, "policy.limits.cumulativeMax")?, count_max, valid_until: 0 },
            validity_s: time(validity_s),
            counter_window: counter_window as u64,
            rules: Rules { actions, velocity: Velocity { window_s: time(velocity_window_s), count_max: velocity_count_max, amount_max: minor(velocity_amount_max, "policy.velocity.amountMax")? } },
        };
        Ok(EcashBackendHandle { backend: Backend::new(policy).map_err(to_js_error)? })
    }
    pub fn restore(snapshot: &[u8], snapshot_key: &[u8]) -> JsResult<EcashBackendHandle> {
        Ok(EcashBackendHandle { backend: Backend::restore(snapshot, snapshot_key).map_err(to_js_error)? })
    }
    pub fn snapshot(&self, snapshot_key: &[u8]) -> JsResult<Vec<u8>> {
        self.backend.snapshot(snapshot_key).map_err(to_js_error)
    }
    /// The provisioning security information envelope.
    pub fn register(&mut self, signer: JsValue, card: &str, card_key: &[u8], balance: &str, now: f64) -> JsResult<Vec<u8>> {
        let signer = OwnedSigner::from_js(&signer)?;
        let balance = minor(balance, "balance")?;
        self.backend.register(&signer.signer(), card, bytes32(card_key, "cardKey")?, balance, time(now)).map_err(to_js_error)
    }
    pub fn sync(&mut self, signer: JsValue, request: &[u8], now: f64) -> JsResult<JsValue> {
        let signer = OwnedSigner::from_js(&signer)?;
        let request = SyncRequest::decode(request).map_err(to_js_error)?;
        Ok(match self.backend.sync(&signer.signer(), &request, None, time(now)).map_err(to_js_error)? {
            SyncOutcome::Clean { security, credited, debited } => obj(&[("outcome", "clean".into()), ("security", u8a(&security)), ("credited", s(credited)), ("debited", s(debited)), ("findings", Array::new().into())]),
            SyncOutcome::Abnormal { instruction, findings } => obj(&[("outcome", "abnormal".into()), ("instruction", u8a(&instruction)), ("findings", findings_js(&findings))]),
            SyncOutcome::Refused { findings } => obj(&[("outcome", "refused".into()), ("findings", findings_js(&findings))]),
        })
    }
    /// `records`: each record's wire form.
    pub fn deposit(&mut self, merchant: &str, records: Vec<Uint8Array>) -> JsResult<JsValue> {
        let records = records.iter().map(|r| Record::decode(&r.to_vec())).collect::<countersign_core::Result<Vec<_>>>().map_err(to_js_error)?;
        let (credited, findings) = self.backend.deposit(merchant, &records).map_err(to_js_error)?;
        Ok(obj(&[("credited", s(credited)), ("findings", findings_js(&findings))]))
    }
    pub fn balance(&self, card: &str) -> Option<String> {
        self.backend.balance(card).map(|b| b.to_string())
    }
    pub fn status(&self, card: &str) -> Option<String> {
        self.backend.status(card).map(|a| action_str(a).to_owned())
    }
    #[wasm_bindgen(js_name = merchantBalance)]
    pub fn merchant_balance(&self, merchant: &str) -> String {
        self.backend.merchant_balance(merchant).to_string()
    }
    pub fn blocklist(&self) -> Vec<String> {
        self.backend.blocklist()
    }
    pub fn total(&self) -> String {
        self.backend.total().to_string()
    }
    pub fn absorbed(&self) -> String {
        self.backend.absorbed().to_string()
    }
    /// The state's change counter, a decimal string (the store's rollback guard).
    pub fn revision(&self) -> String {
        self.backend.revision().to_string()
    }
}

/// Whether `proof` (two records) proves a double spend by the card with `public_key`.
#[wasm_bindgen(js_name = ecashVerifyDoubleSpend)]
pub fn ecash_verify_double_spend(proof: &[u8], public_key: &[u8]) -> JsResult<bool> {
    Ok(DoubleSpendProof::decode(proof).map_err(to_js_error)?.verify(public_key))
}

/// Runs the adversarial simulator on a `SimConfig`.
#[wasm_bindgen(js_name = ecashSimulate)]
pub fn ecash_simulate(config: JsValue) -> JsResult<JsValue> {
    let config: SimConfig = from_js(config, "config")?;
    // Errors name the field under `config` (`config.cards`), the parameter the caller passed.
    to_js(&sim::run(&config).map_err(|e| to_js_error(e.at("config")))?)
}
