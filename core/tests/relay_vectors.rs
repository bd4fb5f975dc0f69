//! Runs the relay vectors (`tests/vectors/relay/scenarios.json`), the same file the SDK runs.
//! The format is in the file's `description`; the expectations (token and receipt bytes
//! included) are written by `tests/vectors/relay/generate.py`, an independent model.

use std::collections::BTreeMap;

use countersign_core::crypto::ed25519;
use countersign_core::envelope::{Alg, Signer, TrustedKey};
use countersign_core::limits::{LimitSpec, Measure, Window};
use countersign_core::relay::{PaymentPhone, PhoneConfig, SealRequest, TokenServer};
use serde_json::{json, Value};

const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/relay/scenarios.json");
const SNAPSHOT_KEY: [u8; 32] = [0x5a; 32];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).expect("hex")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

#[test]
fn relay_vectors() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(VECTORS_PATH).unwrap()).unwrap();
    let keys: BTreeMap<String, Vec<u8>> = doc["keys"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), unhex(v.as_str().unwrap())))
        .collect();
    let server_secret = keys["srv"].clone();
    let server_public = ed25519::public_key(&server_secret).unwrap();
    let server_signer = Signer { alg: Alg::EdDSA, key_id: "srv", secret_key: &server_secret };
    let server_key = TrustedKey { key_id: "srv", alg: Alg::EdDSA, public_key: &server_public };
    let mut ops_seen = std::collections::BTreeSet::new();
    let mut codes_seen = std::collections::BTreeSet::new();
    let t0 = 1_800_000_000;
    for scenario in doc["scenarios"].as_array().unwrap() {
        let name = str_of(scenario, "name");
        let cfg = &scenario["server"];
        let mut server = TokenServer::new(str_of(cfg, "currency"), t0).unwrap();
        for payee in cfg["payees"].as_array().unwrap() {
            server.add_payee(payee.as_str().unwrap(), t0).unwrap();
        }
        for device in cfg["devices"].as_array().unwrap() {
            let id = str_of(device, "deviceId");
            let limit = LimitSpec {
                id: "lifetime".into(),
                measure: Measure::Amount,
                currency: Some(str_of(cfg, "currency").into()),
                window: Window::Lifetime,
                hard: str_of(device, "lifetimeLimit").into(),
                soft: None,
                ceiling: None,
                resettable: false,
            };
            server.register_device(id, &ed25519::public_key(&keys[id]).unwrap(), &[limit], t0).unwrap();
            server.fund(id, str_of(device, "fund"), t0).unwrap();
        }
        let mut phones: BTreeMap<String, PaymentPhone> = scenario["phones"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), PaymentPhone::new(&serde_json::from_value::<PhoneConfig>(v.clone()).unwrap()).unwrap()))
            .collect();
        let mut tokens: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        let mut receipts: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let op = str_of(step, "op");
            ops_seen.insert(op.to_owned());
            let at = format!("{name} step {i} ({op})");
            let got = match op {
                "seal" => {
                    let phone = phones.get_mut(str_of(step, "phone")).unwrap();
                    let secret = keys[phone.device_id()].clone();
                    let signer = Signer { alg: Alg::EdDSA, key_id: "", secret_key: &secret };
                    let device_id = phone.device_id().to_owned();
                    let signer = Signer { key_id: &device_id, ..signer };
                    let out = phone
                        .seal(
                            &SealRequest {
                                payee: str_of(step, "payee").into(),
                                amount: str_of(step, "amount").into(),
                                currency: str_of(step, "currency").into(),
                                nonce: str_of(step, "nonce").into(),
                                now: step["now"].as_i64().unwrap(),
                                ttl_s: step["ttlS"].as_i64().unwrap(),
                            },
                            &signer,
                        )
                        .unwrap();
                    let mut got = json!({"code": out.code.as_str()});
                    if let Some(token) = &out.token {
                        got["counter"] = json!(out.counter);
                        got["token"] = json!(hex(token));
                        tokens.insert(i, token.clone());
                    } else {
                        got["limitsCode"] = json!(out.limits_code.map(|c| c.as_str()));
                        got["limitId"] = json!(out.limit_id);
                    }
                    got
                }
                "process" => {
                    let mut token = tokens[&(step["token"].as_u64().unwrap() as usize)].clone();
                    if step.get("tamper").and_then(Value::as_str) == Some("lastByte") {
                        let last = token.len() - 1;
                        token[last] ^= 1;
                    }
                    let reply = server.process(&token, &server_signer, step["now"].as_i64().unwrap()).unwrap();
                    let mut got = json!({
                        "code": reply.code.as_str(),
                        "replayed": reply.replayed,
                        "receipt": reply.receipt.as_deref().map(hex),
                    });
                    if let Some(code) = reply.limits_code {
                        got["limitsCode"] = json!(code.as_str());
                        got["limitId"] = json!(reply.limit_id);
                    }
                    if let Some(receipt) = reply.receipt {
                        receipts.insert(i, receipt);
                    }
                    let balances: serde_json::Map<String, Value> = server
                        .ledger()
                        .accounts()
                        .into_iter()
                        .filter(|a| a.account_id != "issuer")
                        .map(|a| (a.account_id.clone(), json!(a.balance)))
                        .collect();
                    got["balances"] = Value::Object(balances);
                    got
                }
                "receipt" => {
                    let phone = phones.get_mut(str_of(step, "phone")).unwrap();
                    let receipt = &receipts[&(step["receipt"].as_u64().unwrap() as usize)];
                    let out = phone.accept_receipt(receipt, &server_key, step["now"].as_i64().unwrap()).unwrap();
                    json!({"code": out.code.as_str(), "decision": out.decision.map(|c| c.as_str())})
                }
                "restart" => {
                    server = TokenServer::restore(&server.snapshot(&SNAPSHOT_KEY).unwrap(), &SNAPSHOT_KEY).unwrap();
                    for phone in phones.values_mut() {
                        *phone = PaymentPhone::restore(&phone.snapshot(&SNAPSHOT_KEY).unwrap(), &SNAPSHOT_KEY).unwrap();
                    }
                    Value::Null
                }
                other => panic!("{at}: unknown op {other}"),
            };
            let expect = step.get("expect").cloned().unwrap_or(Value::Null);
            assert_eq!(got, expect, "{at}");
            if let Some(code) = expect.get("code").and_then(Value::as_str) {
                codes_seen.insert(code.to_owned());
            }
            server.ledger().check_invariants().unwrap();
        }
    }
    assert_eq!(ops_seen.into_iter().collect::<Vec<_>>(), ["process", "receipt", "restart", "seal"]);
    // Every server decision and phone outcome the vectors are meant to pin appears.
    for code in [
        "SEALED", "ALLOWANCE_EXCEEDED", "APPROVED", "BAD_SIGNATURE", "UNKNOWN_PAYEE", "EXPIRED", "NOT_YET_VALID",
        "INSUFFICIENT_FUNDS", "DEVICE_LIMIT_EXCEEDED", "COUNTER_BELOW_WINDOW", "COUNTER_REUSED", "SETTLED",
        "ALREADY_SETTLED", "ANSWER_NOT_FINAL",
    ] {
        assert!(codes_seen.contains(code), "no vector expects {code}");
    }
}
