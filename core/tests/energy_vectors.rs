//! Runs the energy metering vectors (`tests/vectors/energy/pricing.json`), the same file the SDK
//! will run. The format is in the file's `description`; the expectations are written by
//! `tests/vectors/energy/generate.py`, an independent implementation with exact fractions.

use std::collections::BTreeMap;

use countersign_core::energy::{
    dispense_limit, metered_cost, DispenseLimitRequest, MeteredCostRequest,
};
use countersign_core::Result;
use serde_json::Value;

const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/energy/pricing.json"
);

/// Every op the format defines; each must appear at least once.
const OPS: &[&str] = &["limit", "cost"];

/// The request: the case without its `op`, `note`, `expect` and `error` fields.
fn request<T: serde::de::DeserializeOwned>(case: &Value) -> T {
    let mut fields = case.as_object().expect("case object").clone();
    for key in ["op", "note", "expect", "error"] {
        fields.remove(key);
    }
    serde_json::from_value(Value::Object(fields)).unwrap_or_else(|e| panic!("{e}: {case}"))
}

fn run(case: &Value) -> Result<Value> {
    Ok(match case["op"].as_str().expect("op") {
        "limit" => {
            serde_json::to_value(dispense_limit(&request::<DispenseLimitRequest>(case))?).unwrap()
        }
        "cost" => {
            serde_json::to_value(metered_cost(&request::<MeteredCostRequest>(case))?).unwrap()
        }
        other => panic!("unknown op {other:?}"),
    })
}

#[test]
fn energy_pricing_vectors() {
    let text = std::fs::read_to_string(VECTORS_PATH).expect("read vectors");
    let doc: Value = serde_json::from_str(&text).expect("parse vectors");
    assert!(
        doc["description"].as_str().is_some_and(|d| d.len() > 200),
        "the file documents its format"
    );
    let cases = doc["cases"].as_array().expect("cases");
    let mut per_op: BTreeMap<String, usize> = BTreeMap::new();
    let (mut expects, mut errors) = (0usize, 0usize);
    for (index, case) in cases.iter().enumerate() {
        let op = case["op"].as_str().expect("op");
        *per_op.entry(op.to_owned()).or_default() += 1;
        let got = run(case);
        match (case.get("expect"), case.get("error")) {
            (Some(expected), None) => {
                expects += 1;
                match got {
                    Ok(value) => assert_eq!(&value, expected, "case {index} ({op}): {case}"),
                    Err(e) => panic!("case {index} ({op}): unexpected error {e}: {case}"),
                }
            }
            (None, Some(code)) => {
                errors += 1;
                match got {
                    Ok(value) => {
                        panic!("case {index} ({op}): expected {code}, got {value}: {case}")
                    }
                    Err(e) => assert_eq!(e.code().as_str(), code, "case {index} ({op}): {e}"),
                }
            }
            _ => panic!("case {index}: exactly one of expect/error"),
        }
    }
    for op in OPS {
        assert!(per_op.contains_key(*op), "no case for op {op}");
    }
    println!(
        "energy pricing vectors: {} cases ({expects} results, {errors} errors): {per_op:?}",
        cases.len()
    );
}

// ------------------------------------------------------------------------------------------
// Sessions: the terminal and the e-money server step by step (tests/vectors/energy/sessions.json)

use countersign_core::card::PublicKey;
use countersign_core::crypto::ed25519;
use countersign_core::energy::{
    EnergyServer, EnergyTerminal, Order, ServerConfig, Signer, Tariff, TerminalConfig, TerminalKey,
};
use countersign_core::envelope::Alg;
use serde_json::{json, Map};

const SESSIONS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/energy/sessions.json"
);

/// Every session op the format defines; each must appear at least once.
const SESSION_OPS: &[&str] = &[
    "order",
    "meter",
    "tariffChange",
    "extend",
    "expire",
    "complete",
    "resend",
];

const SERVER_SECRET: [u8; 32] = [0x51; 32];
const TERMINAL_SECRET: [u8; 32] = [0x7e; 32];

fn signer(secret: &'static [u8; 32], key_id: &'static str) -> Signer<'static> {
    Signer {
        alg: Alg::EdDSA,
        key_id,
        secret_key: secret,
    }
}

fn public(secret: &[u8; 32], key_id: &str) -> PublicKey {
    PublicKey {
        key_id: key_id.to_owned(),
        alg: Alg::EdDSA,
        public_key: ed25519::public_key(secret).unwrap().to_vec(),
    }
}

/// The last request that got a signed answer: its op, envelope and answer.
struct Sent {
    op: String,
    envelope: Vec<u8>,
    answer: Vec<u8>,
}

struct Run {
    server: EnergyServer,
    terminal: EnergyTerminal,
    fresh: EnergyTerminal,
    last: Option<Sent>,
}

impl Run {
    fn new(scenario: &Value, start: i64) -> Run {
        let config: ServerConfig = serde_json::from_value(scenario["server"].clone()).unwrap();
        let mut server = EnergyServer::new(config, start).unwrap();
        server
            .add_terminal(
                TerminalKey {
                    station_id: "station-1".to_owned(),
                    key: public(&TERMINAL_SECRET, "pump-1"),
                },
                start,
            )
            .unwrap();
        for (wallet, amount) in scenario["wallets"].as_object().unwrap() {
            server.open_wallet(wallet, start).unwrap();
            let outcome = server
                .top_up(wallet, amount.as_str().unwrap(), start)
                .unwrap();
            assert!(outcome.is_success(), "top-up {wallet}");
        }
        let terminal = || {
            EnergyTerminal::new(TerminalConfig {
                station_id: "station-1".to_owned(),
                server_key: public(&SERVER_SECRET, "server"),
                clock_skew_s: 0,
            })
            .unwrap()
        };
        Run {
            server,
            terminal: terminal(),
            fresh: terminal(),
            last: None,
        }
    }

    /// Sends a request envelope to the server method of `op`.
    fn send(
        &mut self,
        op: &str,
        envelope: &[u8],
        now: i64,
    ) -> countersign_core::energy::ServerReply {
        let s = signer(&SERVER_SECRET, "server");
        match op {
            "order" => self.server.authorise(envelope, now, &s),
            "tariffChange" => self.server.change_tariff(envelope, now, &s),
            "extend" => self.server.extend(envelope, now, &s),
            "complete" => self.server.complete(envelope, now, &s),
            other => panic!("no server op {other}"),
        }
        .unwrap()
    }

    fn session_fields(
        &self,
        terminal: &EnergyTerminal,
        order_id: &str,
        got: &mut Map<String, Value>,
    ) {
        if let Some(view) = terminal.session(order_id).unwrap() {
            got.insert("held".into(), json!(view.held));
            got.insert("maxQuantity".into(), json!(view.max_quantity));
            got.insert("increments".into(), json!(view.increments));
            got.insert("delivered".into(), json!(view.delivered));
            if let Some(at) = view.expires_at {
                got.insert("expiresAt".into(), json!(at));
            }
        }
    }

    /// Runs a step and returns what it gave, in the vector's vocabulary.
    fn step(&mut self, step: &Value, start: i64) -> Map<String, Value> {
        let now = start + step["t"].as_i64().unwrap();
        let op = step["op"].as_str().unwrap();
        let t = signer(&TERMINAL_SECRET, "pump-1");
        let mut got = Map::new();
        let order_id = step["orderId"]
            .as_str()
            .or_else(|| step["order"]["orderId"].as_str())
            .map(str::to_owned);
        let built = match op {
            "order" => {
                let order: Order = serde_json::from_value(step["order"].clone()).unwrap();
                let fresh = step["fresh"].as_bool() == Some(true);
                let terminal = if fresh {
                    &mut self.fresh
                } else {
                    &mut self.terminal
                };
                match terminal.order(order, now, &t) {
                    Err(e) => {
                        got.insert("error".into(), json!(e.code().as_str()));
                        None
                    }
                    Ok(out) => out.envelope,
                }
            }
            "meter" => {
                let id = order_id.as_deref().unwrap();
                let out = self
                    .terminal
                    .meter(id, step["quantity"].as_str().unwrap(), now)
                    .unwrap();
                got.insert("code".into(), json!(out.code.as_str()));
                None
            }
            "tariffChange" => {
                let tariff: Tariff = serde_json::from_value(step["tariff"].clone()).unwrap();
                let out = self
                    .terminal
                    .change_tariff(order_id.as_deref().unwrap(), tariff, now, &t)
                    .unwrap();
                if let Some(increment) = &out.increment {
                    got.insert("increment".into(), json!(increment));
                }
                got.insert("code".into(), json!(out.code.as_str()));
                out.envelope
            }
            "extend" => {
                let at = start + step["expiresAt"].as_i64().unwrap();
                let out = self
                    .terminal
                    .extend(order_id.as_deref().unwrap(), at, now, &t)
                    .unwrap();
                got.insert("code".into(), json!(out.code.as_str()));
                out.envelope
            }
            "complete" => {
                let out = self
                    .terminal
                    .complete(order_id.as_deref().unwrap(), now, &t)
                    .unwrap();
                got.insert("code".into(), json!(out.code.as_str()));
                out.envelope
            }
            "expire" => {
                got.insert(
                    "expired".into(),
                    json!(self.server.expire_due(now).unwrap()),
                );
                None
            }
            "resend" => {
                let last = self.last.take().expect("a signed answer to resend");
                let reply = self.send(&last.op, &last.envelope, now);
                assert_eq!(
                    reply.envelope.as_ref(),
                    Some(&last.answer),
                    "the stored answer, byte for byte"
                );
                got.insert("code".into(), json!(reply.code.as_str()));
                got.insert("repeated".into(), json!(reply.repeated));
                self.last = Some(last);
                None
            }
            other => panic!("unknown op {other:?}"),
        };
        if let Some(mut envelope) = built {
            let fresh = step["fresh"].as_bool() == Some(true);
            if step["tamper"].as_bool() == Some(true) {
                let last = envelope.len() - 1;
                envelope[last] ^= 1;
            }
            let reply = self.send(op, &envelope, now);
            got.insert("code".into(), json!(reply.code.as_str()));
            let id = order_id.as_deref().unwrap();
            let terminal = if fresh {
                &mut self.fresh
            } else {
                &mut self.terminal
            };
            match &reply.envelope {
                Some(answer) => {
                    let applied = if op == "complete" {
                        terminal.accept_receipt(answer, now).unwrap()
                    } else {
                        terminal.accept_authorisation(answer, now).unwrap()
                    };
                    assert!(
                        applied.accepted,
                        "the terminal accepts the answer: {applied:?}"
                    );
                    assert_eq!(applied.code, reply.code);
                    self.last = Some(Sent {
                        op: op.to_owned(),
                        envelope,
                        answer: answer.clone(),
                    });
                }
                None => {
                    terminal.abandon_request(id, reply.code).unwrap();
                }
            }
            let terminal = if fresh { &self.fresh } else { &self.terminal };
            if op == "complete" {
                if let Some(receipt) = terminal.session(id).unwrap().and_then(|v| v.receipt) {
                    let value = serde_json::to_value(&receipt).unwrap();
                    for key in [
                        "late",
                        "quantity",
                        "cost",
                        "held",
                        "captured",
                        "released",
                        "uncollected",
                    ] {
                        got.insert(key.into(), value[key].clone());
                    }
                    let segments: Vec<Value> = receipt
                        .segments
                        .iter()
                        .map(|s| {
                            json!({"fromQuantity": s.from_quantity, "toQuantity": s.to_quantity,
                                   "quantity": s.quantity, "cost": s.cost})
                        })
                        .collect();
                    got.insert("segments".into(), json!(segments));
                    got.insert("readings".into(), json!(receipt.readings.len()));
                }
            } else {
                self.session_fields(terminal, id, &mut got);
            }
        } else if op == "meter" {
            self.session_fields(&self.terminal, order_id.as_deref().unwrap(), &mut got);
        }
        let mut wallets = Map::new();
        for (wallet, account) in self.server.ledger().accounts().iter().filter_map(|a| {
            a.account_id
                .strip_prefix("w/")
                .map(|w| (w.to_owned(), a.clone()))
        }) {
            wallets.insert(
                wallet,
                json!({"balance": account.balance, "available": account.available}),
            );
        }
        got.insert("wallets".into(), Value::Object(wallets));
        got.insert(
            "station".into(),
            json!(self.server.station("station-1").unwrap().balance),
        );
        self.server.ledger().check_invariants().unwrap();
        got
    }
}

#[test]
fn energy_session_vectors() {
    let text = std::fs::read_to_string(SESSIONS_PATH).expect("read vectors");
    let doc: Value = serde_json::from_str(&text).expect("parse vectors");
    assert!(
        doc["description"].as_str().is_some_and(|d| d.len() > 500),
        "the file documents its format"
    );
    let start = doc["start"].as_i64().unwrap();
    let scenarios = doc["scenarios"].as_array().expect("scenarios");
    let mut per_op: BTreeMap<String, usize> = BTreeMap::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut steps = 0usize;
    for scenario in scenarios {
        let name = scenario["name"].as_str().unwrap();
        let mut run = Run::new(scenario, start);
        for (index, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            steps += 1;
            *per_op
                .entry(step["op"].as_str().unwrap().to_owned())
                .or_default() += 1;
            let got = run.step(step, start);
            let expect = step["expect"].as_object().expect("expect");
            for (key, value) in expect {
                assert_eq!(
                    got.get(key),
                    Some(value),
                    "{name}, step {index} ({}): {key}\n got: {got:?}",
                    step["op"]
                );
            }
            if let Some(code) = expect.get("code").and_then(Value::as_str) {
                *codes.entry(code.to_owned()).or_default() += 1;
            }
        }
        // Both roles restore from their snapshots to the same state.
        let key = [0x42u8; 32];
        let bytes = run.server.snapshot(&key).unwrap();
        let restored = EnergyServer::restore(&bytes, &key).unwrap();
        assert_eq!(
            restored.snapshot(&key).unwrap(),
            bytes,
            "{name}: server snapshot"
        );
        let bytes = run.terminal.snapshot(&key).unwrap();
        assert_eq!(
            EnergyTerminal::restore(&bytes, &key).unwrap(),
            run.terminal,
            "{name}"
        );
    }
    for op in SESSION_OPS {
        assert!(per_op.contains_key(*op), "no step for op {op}");
    }
    println!(
        "energy session vectors: {} scenarios, {steps} steps: {per_op:?}; {} distinct codes",
        scenarios.len(),
        codes.len()
    );
}
