//! Runs the System 6 (ecash) vectors in `tests/vectors/ecash/`, written by `generate.py`, an
//! independent Python model (Ed25519 from the `cryptography` package, COSE encoded by hand):
//! `records.json` (anti-replay factors and a log chain, byte for byte), `security.json`
//! (security information and instruction envelopes, byte for byte, and the card accepting them)
//! and `scenarios.json` (every abnormal rule with and without its attack: payments, copies of a
//! card, tampered / replayed sync requests and deposits; each step's record, request bytes,
//! outcome, findings with their evidence, envelope bytes, and the final balances).

use std::collections::BTreeMap;
use std::path::PathBuf;

use countersign_core::ecash::*;
use countersign_core::envelope::{self, Alg, SealParams, Signer};
use serde_json::{json, Value};

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/ecash").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn h(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}
fn h32(v: &Value) -> [u8; 32] {
    h(v).try_into().unwrap()
}

const ISSUER_SK: [u8; 32] = [7; 32];

fn issuer() -> IssuerKey {
    IssuerKey { key_id: "issuer-1".into(), public_key: countersign_core::crypto::ed25519::public_key(&ISSUER_SK).unwrap() }
}
fn signer() -> Signer<'static> {
    Signer { alg: Alg::EdDSA, key_id: "issuer-1", secret_key: &ISSUER_SK }
}
/// `card-i` has the secret key `[i+1; 32]` (a twin shares its card's key).
fn sk_of(card: &str) -> [u8; 32] {
    let i: u8 = card.trim_start_matches("card-").parse().unwrap();
    [i + 1; 32]
}

#[test]
fn record_vectors() {
    let doc = load("records.json");
    assert_eq!(hex::encode(genesis_hash("card-0")), doc["genesis"]["hash"].as_str().unwrap());
    let mut prev = genesis_hash("card-0");
    for c in doc["cases"].as_array().unwrap() {
        let kind = if c["kind"] == "send" { RecordKind::Send } else { RecordKind::Receive };
        assert_eq!(hex::encode(prev), c["prev"].as_str().unwrap(), "the chain links");
        let r = Record::sign(
            &h(&c["secretKey"]), kind, c["card"].as_str().unwrap(), c["counter"].as_u64().unwrap(), c["amount"].as_u64().unwrap(),
            c["party"].as_str().unwrap(), c["time"].as_i64().unwrap(), h32(&c["prev"]), h32(&c["payment"]),
        ).unwrap();
        assert_eq!(hex::encode(r.body()), c["body"].as_str().unwrap());
        assert_eq!(hex::encode(r.signature), c["signature"].as_str().unwrap());
        assert_eq!(hex::encode(r.hash()), c["hash"].as_str().unwrap());
        assert_eq!(Record::decode(&r.encode()).unwrap(), r);
        prev = r.hash();
    }
    println!("ecash record vectors: {}", doc["cases"].as_array().unwrap().len());
}

#[test]
fn security_vectors() {
    let doc = load("security.json");
    for c in doc["cases"].as_array().unwrap() {
        let s = &c["security"];
        let security = Security {
            card: s["card"].as_str().unwrap().into(),
            card_key: h32(&s["cardKey"]),
            synced_counter: s["synced"].as_u64().unwrap(),
            balance: s["balance"].as_u64().unwrap(),
            counter_max: s["counterMax"].as_u64().unwrap(),
            limits: OfflineLimits {
                single_max: s["singleMax"].as_u64().unwrap(),
                cumulative_max: s["cumulativeMax"].as_u64().unwrap(),
                count_max: s["countMax"].as_u64().unwrap() as u32,
                valid_until: s["validUntil"].as_i64().unwrap(),
            },
            key_roll: s["keyRoll"].as_object().map(|k| KeyRoll { key_id: k["keyId"].as_str().unwrap().into(), public_key: h32(&k["publicKey"]) }),
            blocklist: s["blocklist"].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_owned()).collect(),
        };
        let payload = security.encode();
        assert_eq!(hex::encode(&payload), c["payload"].as_str().unwrap(), "{}", c["name"]);
        assert_eq!(Security::decode(&payload).unwrap(), security);
        let env = envelope::seal(&SealParams {
            alg: Alg::EdDSA, secret_key: &ISSUER_SK, key_id: "issuer-1", msg_type: SECURITY_TYPE, version: SCHEMA_VERSION,
            seq: c["seq"].as_u64().unwrap(), issued_at: c["issuedAt"].as_i64().unwrap(), expires_at: security.limits.valid_until, payload: &payload,
        }).unwrap();
        assert_eq!(hex::encode(env), c["envelope"].as_str().unwrap(), "{}", c["name"]);
    }
    let i = &doc["instruction"];
    let codes: Vec<RuleCode> = i["codes"].as_array().unwrap().iter().map(|c| *RuleCode::ALL.iter().find(|r| r.as_str() == c).unwrap()).collect();
    let instruction = Instruction { card: "card-0".into(), action: Action::Block, codes };
    let env = envelope::seal(&SealParams {
        alg: Alg::EdDSA, secret_key: &ISSUER_SK, key_id: "issuer-1", msg_type: INSTRUCTION_TYPE, version: SCHEMA_VERSION,
        seq: i["seq"].as_u64().unwrap(), issued_at: i["issuedAt"].as_i64().unwrap(), expires_at: i["expiresAt"].as_i64().unwrap(), payload: &instruction.encode(),
    }).unwrap();
    assert_eq!(hex::encode(env), i["envelope"].as_str().unwrap());
}

fn action_str(a: Action) -> &'static str {
    match a {
        Action::Reject => "reject",
        Action::Restrict => "restrict",
        Action::Block => "block",
    }
}

fn evidence_json(e: &Evidence) -> Value {
    match e {
        Evidence::Counter(c) => json!({"counter": c}),
        Evidence::Gap { expected, found } => json!({"expected": expected, "found": found}),
        Evidence::Rollback { card_base, card_seq, synced, seq } => json!({"cardBase": card_base, "cardSeq": card_seq, "synced": synced, "seq": seq}),
        Evidence::Diverged { accepted, submitted } => json!({"accepted": hex::encode(accepted.encode()), "submitted": hex::encode(submitted.encode())}),
        Evidence::DoubleSpend(proof) => json!({"proof": hex::encode(proof.encode())}),
        Evidence::Balance { expected_available, reported_available, expected_pending, reported_pending } => json!({
            "expectedAvailable": expected_available, "reportedAvailable": reported_available,
            "expectedPending": expected_pending, "reportedPending": reported_pending}),
        Evidence::Limit { counter, limit } => json!({"counter": counter, "limit": serde_json::to_value(limit).unwrap()}),
        Evidence::Window { start, count, amount } => json!({"start": start, "count": count, "amount": amount}),
        Evidence::Record(hash) => json!({"record": hex::encode(hash)}),
        Evidence::Replayed { time, last_time } => json!({"time": time, "lastTime": last_time}),
    }
}

fn findings_json(findings: &[Finding]) -> Value {
    Value::Array(findings.iter().map(|f| json!({"code": f.code.as_str(), "subject": f.subject, "action": action_str(f.action), "evidence": evidence_json(&f.evidence)})).collect())
}

fn accepted_str(a: &Accepted) -> String {
    match a {
        Accepted::Security => "security".into(),
        Accepted::Blocked => "blocked".into(),
        Accepted::Restricted => "restricted".into(),
        Accepted::Rejected(r) => r.as_str().into(),
        Accepted::Unfit(code) => (*code).into(),
    }
}

#[test]
fn scenario_vectors() {
    let doc = load("scenarios.json");
    let p = &doc["policy"];
    let policy = Policy {
        limits: OfflineLimits {
            single_max: p["limits"]["singleMax"].as_u64().unwrap(),
            cumulative_max: p["limits"]["cumulativeMax"].as_u64().unwrap(),
            count_max: p["limits"]["countMax"].as_u64().unwrap() as u32,
            valid_until: 0,
        },
        validity_s: p["validityS"].as_i64().unwrap(),
        counter_window: p["counterWindow"].as_u64().unwrap(),
        rules: Rules::with_velocity(serde_json::from_value(p["velocity"].clone()).unwrap()),
    };
    let t0 = doc["t0"].as_i64().unwrap();
    let scenarios = doc["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 14);
    for s in scenarios {
        let name = s["name"].as_str().unwrap();
        let mut backend = Backend::new(policy.clone()).unwrap();
        let mut cards: BTreeMap<String, Card> = BTreeMap::new();
        for i in 0..s["cards"].as_u64().unwrap() {
            let id = format!("card-{i}");
            let sk = sk_of(&id);
            let pk = countersign_core::crypto::ed25519::public_key(&sk).unwrap();
            let security = backend.register(&signer(), &id, pk, doc["openingBalance"].as_u64().unwrap(), t0).unwrap();
            cards.insert(id.clone(), Card::new(&id, &sk, issuer(), &security, t0).unwrap());
        }
        let mut shops: BTreeMap<String, Merchant> =
            ["shop-a", "shop-b"].iter().map(|m| (m.to_string(), Merchant::new(m, issuer()).unwrap())).collect();
        let mut last_request: BTreeMap<String, SyncRequest> = BTreeMap::new();
        for (n, st) in s["steps"].as_array().unwrap().iter().enumerate() {
            let step = &st["step"];
            let expect = &st["expect"];
            let at = format!("{name} step {n}");
            let time = step["time"].as_i64().unwrap_or(0);
            let mut got = serde_json::Map::new();
            match step["op"].as_str().unwrap() {
                "pay" => {
                    let handle = step["card"].as_str().unwrap();
                    let payee = step["payee"].as_str().unwrap();
                    let card = cards.get_mut(handle).unwrap();
                    match card.pay(payee, step["amount"].as_u64().unwrap(), time).unwrap() {
                        Err(refusal) => {
                            got.insert("refusal".into(), json!(refusal.as_str()));
                        }
                        Ok(payment) => {
                            got.insert("record".into(), json!(hex::encode(payment.record.encode())));
                            let ack = match shops.get_mut(payee) {
                                Some(m) => m.receive(&payment, time),
                                None => cards.get_mut(payee).unwrap().receive(&payment, time).unwrap(),
                            };
                            match ack {
                                Ok(ack) => assert!(cards.get_mut(handle).unwrap().confirm(&ack)),
                                Err(refusal) => {
                                    got.insert("payeeRefusal".into(), json!(refusal.as_str()));
                                }
                            }
                        }
                    }
                }
                "copy" => {
                    let from = cards[step["from"].as_str().unwrap()].clone();
                    cards.insert(step["to"].as_str().unwrap().into(), from);
                }
                "sync" => {
                    let handle = step["card"].as_str().unwrap();
                    let card = cards.get_mut(handle).unwrap();
                    let sk = sk_of(card.id());
                    let request = if step["resend"] == true {
                        last_request[handle].clone()
                    } else {
                        let mut r = card.sync_request(time).unwrap();
                        let mut tampered = false;
                        if let Some(ea) = step["entryAmount"].as_array() {
                            r.entries[ea[0].as_u64().unwrap() as usize].record.amount = ea[1].as_u64().unwrap();
                            tampered = true;
                        }
                        if let Some(entries) = step["replaceEntries"].as_array() {
                            r.entries = entries.iter().map(|e| {
                                let prev = if e["prev"] == "genesis" { genesis_hash(card.id()) } else { h32(&e["prev"]) };
                                LogEntry { record: Record::sign(&sk, RecordKind::Send, card.id(), e["counter"].as_u64().unwrap(), e["amount"].as_u64().unwrap(),
                                    e["party"].as_str().unwrap(), e["time"].as_i64().unwrap(), prev, [0; 32]).unwrap(), payment: None }
                            }).collect();
                            tampered = true;
                        }
                        if let Some(c) = step["counter"].as_u64() {
                            r.counter = c;
                            tampered = true;
                        }
                        if let Some(a) = step["available"].as_u64() {
                            r.available = a;
                            tampered = true;
                        }
                        if let Some(a) = step["availableAdd"].as_u64() {
                            r.available += a;
                            tampered = true;
                        }
                        if tampered {
                            r.signature = countersign_core::crypto::ed25519::sign(&sk, &r.signed_bytes()).unwrap();
                        }
                        r
                    };
                    last_request.insert(handle.into(), request.clone());
                    let bytes = request.encode();
                    assert_eq!(SyncRequest::decode(&bytes).unwrap(), request);
                    got.insert("request".into(), json!(hex::encode(&bytes)));
                    let before = backend.clone();
                    match backend.sync(&signer(), &request, None, time).unwrap() {
                        SyncOutcome::Clean { security, credited, debited } => {
                            got.insert("outcome".into(), json!("clean"));
                            got.insert("findings".into(), json!([]));
                            got.insert("credited".into(), json!(credited));
                            got.insert("debited".into(), json!(debited));
                            got.insert("security".into(), json!(hex::encode(&security)));
                            got.insert("accepted".into(), json!(accepted_str(&card.accept(&security, time))));
                        }
                        SyncOutcome::Abnormal { instruction, findings } => {
                            got.insert("outcome".into(), json!("abnormal"));
                            got.insert("findings".into(), findings_json(&findings));
                            got.insert("instruction".into(), json!(hex::encode(&instruction)));
                            got.insert("accepted".into(), json!(accepted_str(&card.accept(&instruction, time))));
                        }
                        SyncOutcome::Refused { findings } => {
                            assert_eq!(backend, before, "{at}: a refused sync changed the back-end");
                            got.insert("outcome".into(), json!("refused"));
                            got.insert("findings".into(), findings_json(&findings));
                        }
                    }
                    assert!(card.is_consistent(), "{at}");
                }
                "deposit" => {
                    let merchant = step["merchant"].as_str().unwrap();
                    let from = step["from"].as_str().unwrap_or(merchant);
                    let records = if step["keep"] == true { shops[from].records().to_vec() } else { shops.get_mut(from).unwrap().take_deposit() };
                    let (credited, findings) = backend.deposit(merchant, &records).unwrap();
                    got.insert("credited".into(), json!(credited));
                    got.insert("findings".into(), findings_json(&findings));
                }
                other => panic!("{at}: unknown op {other}"),
            }
            assert_eq!(Value::Object(got), *expect, "{at}");
        }
        let f = &s["final"];
        for (handle, c) in f["cards"].as_object().unwrap() {
            let card = &cards[handle];
            assert_eq!(
                json!({"available": card.available(), "pending": card.pending(), "reserved": card.reserved(), "counter": card.counter(),
                       "blocked": card.is_blocked(), "restricted": card.is_restricted()}),
                *c, "{name}: card {handle}"
            );
        }
        for (id, b) in f["backend"].as_object().unwrap() {
            let status = backend.status(id).map(action_str);
            assert_eq!(json!({"balance": backend.balance(id), "status": status}), *b, "{name}: back-end {id}");
        }
        for (m, v) in f["merchants"].as_object().unwrap() {
            assert_eq!(backend.merchant_balance(m), v.as_u64().unwrap(), "{name}: merchant {m}");
        }
        assert_eq!(backend.absorbed(), f["absorbed"].as_u64().unwrap(), "{name}: absorbed");
    }
    println!("ecash scenario vectors: {}", scenarios.len());
}
