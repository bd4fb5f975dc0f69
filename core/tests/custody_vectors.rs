//! Runs the System 8 (custody) back-office vectors in `tests/vectors/custody/`: `keys.json`
//! (BIP-32 transfer wallets and their EIP-55 addresses), `signatures.json` (withdrawal and
//! transaction digests, secp256k1 RFC 6979 low-S signatures: exact bytes) and `flows.json`
//! (scenarios through the book, every outcome and the final balances). Expectations come from
//! `generate.py`, an independent Python model; the files' `description` fields say the format.
//! (The proof-of-liabilities vectors, `liabilities*`, have their own test.)

use std::collections::BTreeMap;
use std::path::PathBuf;

use countersign_core::crypto::{ed25519, secp256k1};
use countersign_core::custody::{
    keys, transaction_digest, withdrawal_digest, Approver, Book, BookConfig, Event, APPROVAL_TYPE,
    APPROVAL_VERSION,
};
use countersign_core::envelope::{self, Alg, SealParams};
use serde_json::{json, Value};

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/custody").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn address20(text: &str) -> [u8; 20] {
    keys::parse_address(text, "address").unwrap()
}

#[test]
fn key_vectors() {
    let doc = load("keys.json");
    let wallets = doc["wallets"].as_array().unwrap();
    assert!(wallets.len() >= 18);
    for w in wallets {
        let seed = bytes(&w["seed"]);
        let index = u32::try_from(w["index"].as_u64().unwrap()).unwrap();
        let got = keys::transfer_wallet(&seed, index).unwrap();
        assert_eq!(got.path, w["path"].as_str().unwrap());
        assert_eq!(hex::encode(&got.secret_key[..]), w["secretKey"].as_str().unwrap(), "{}", got.path);
        assert_eq!(hex::encode(&got.public_key), w["publicKey"].as_str().unwrap(), "{}", got.path);
        assert_eq!(got.address, w["address"].as_str().unwrap(), "{}", got.path);
    }
}

#[test]
fn signature_vectors() {
    let doc = load("signatures.json");
    let omnibus_key = bytes(&doc["omnibusSecretKey"]);
    let omnibus = address20(&keys::address_of_public_key(&secp256k1::public_key(&omnibus_key, true).unwrap()).unwrap());
    let seed: Vec<u8> = (0u8..32).collect();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let wid = c["withdrawalId"].as_str().unwrap();
        let asset = c["asset"].as_str().unwrap();
        let amount: i128 = c["amountMinorUnits"].as_str().unwrap().parse().unwrap();
        let fee: i128 = c["networkFeeMinorUnits"].as_str().unwrap().parse().unwrap();
        let dest = address20(c["destination"].as_str().unwrap());
        let digest = withdrawal_digest(wid, c["clientId"].as_str().unwrap(), asset, amount, fee, &dest);
        assert_eq!(hex::encode(digest), c["withdrawalDigest"].as_str().unwrap(), "{wid}");
        let wallet = keys::transfer_wallet(&seed, u32::try_from(c["clientIndex"].as_u64().unwrap()).unwrap()).unwrap();
        let wallet_addr = address20(&wallet.address);
        let legs = [
            transaction_digest(wid, 1, &omnibus, &wallet_addr, asset, amount),
            transaction_digest(wid, 2, &wallet_addr, &dest, asset, amount),
        ];
        let keys_: [&[u8]; 2] = [&omnibus_key, &wallet.secret_key[..]];
        for (i, (leg, key)) in legs.iter().zip(keys_).enumerate() {
            assert_eq!(hex::encode(leg), c["digests"][i].as_str().unwrap(), "{wid} leg {i}");
            let signature = secp256k1::sign_digest(key, leg).unwrap();
            assert_eq!(hex::encode(signature), c["signatures"][i].as_str().unwrap(), "{wid} leg {i}");
        }
    }
}

fn approver_secret(i: u64) -> [u8; 32] {
    [0x40 + u8::try_from(i).unwrap(); 32]
}

fn book_config(doc: &Value) -> BookConfig {
    let mut cfg = doc["config"].clone();
    let n = cfg["approvers"].as_u64().unwrap();
    let approvers: Vec<Approver> = (0..n)
        .map(|i| Approver {
            approver_id: format!("approver-{i}"),
            public_key: ed25519::public_key(&approver_secret(i)).unwrap().to_vec(),
        })
        .collect();
    cfg["approvers"] = json!([]);
    let mut config: BookConfig = serde_json::from_value(cfg).unwrap();
    config.approvers = approvers;
    config
}

#[test]
fn flow_vectors() {
    let doc = load("flows.json");
    let seed = bytes(&doc["seed"]);
    let omnibus_key = bytes(&load("signatures.json")["omnibusSecretKey"]);
    let scenarios = doc["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 5);
    let mut steps_run = 0;
    for scenario in scenarios {
        let name = scenario["name"].as_str().unwrap();
        let mut book = Book::new(book_config(&doc)).unwrap();
        let mut index_of: BTreeMap<String, u32> = BTreeMap::new();
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let e = &step["event"];
            let outcome = match e["kind"].as_str().unwrap() {
                "approve" => {
                    let approver = e["approver"].as_u64().unwrap();
                    let wid = e["withdrawalId"].as_str().unwrap();
                    // The digest of the book's withdrawal (any 32 bytes when it does not exist).
                    let digest = book.withdrawal(wid).map_or_else(|| vec![0; 32], |w| hex::decode(w.digest).unwrap());
                    let payload = if e.get("otherTerms").is_some() { vec![0xee; 32] } else { digest };
                    let envelope = envelope::seal(&SealParams {
                        alg: Alg::EdDSA,
                        secret_key: &approver_secret(approver),
                        key_id: &format!("approver-{approver}"),
                        msg_type: APPROVAL_TYPE,
                        version: APPROVAL_VERSION,
                        seq: e["seq"].as_u64().unwrap(),
                        issued_at: e["issuedAt"].as_i64().unwrap(),
                        expires_at: e["expiresAt"].as_i64().unwrap(),
                        payload: &payload,
                    })
                    .unwrap();
                    book.apply(&Event::Approve { withdrawal_id: wid.into(), envelope, now: e["now"].as_i64().unwrap() }).unwrap()
                }
                "sign" => {
                    let wid = e["withdrawalId"].as_str().unwrap();
                    let client_index = book.withdrawal(wid).map_or(0, |w| index_of[&w.client_id]);
                    let wallet = keys::transfer_wallet(&seed, client_index).unwrap();
                    let signed = book.sign_withdrawal(wid, e["now"].as_i64().unwrap(), &omnibus_key, &wallet.secret_key[..]).unwrap();
                    assert_eq!(signed.signatures.len(), if signed.outcome.code.is_success() { 2 } else { 0 });
                    signed.outcome
                }
                _ => {
                    let event: Event = serde_json::from_value(e.clone()).unwrap_or_else(|err| panic!("{name} step {i}: {err}"));
                    book.apply(&event).unwrap_or_else(|err| panic!("{name} step {i}: {err:?}"))
                }
            };
            book.check_invariants().unwrap();
            if let Some(index) = outcome.client_index {
                index_of.insert(e["clientId"].as_str().unwrap().to_owned(), index);
            }
            let x = &step["expect"];
            let want = json!({
                "code": x["code"],
                "repeated": x.get("repeated").cloned().unwrap_or(json!(false)),
                "ledgerCode": x.get("ledgerCode").cloned().unwrap_or(Value::Null),
                "limitId": x.get("limitId").cloned().unwrap_or(Value::Null),
                "clientIndex": x.get("clientIndex").cloned().unwrap_or(Value::Null),
                "approvals": x.get("approvals").cloned().unwrap_or(Value::Null),
                "discrepancies": x["discrepancies"],
            });
            let mut got = serde_json::to_value(&outcome).unwrap();
            got.as_object_mut().unwrap().remove("event");
            assert_eq!(got, want, "{name} step {i}: {e}");
            steps_run += 1;
        }
        for (client, assets) in scenario["balances"].as_object().unwrap() {
            for (asset, b) in assets.as_object().unwrap() {
                assert_eq!(book.trading_balance(client, asset).unwrap(), b["trading"].as_str().unwrap(), "{name} {client} {asset}");
                assert_eq!(book.wallet_balance(client, asset).unwrap(), b["wallet"].as_str().unwrap(), "{name} {client} {asset}");
            }
        }
        for (asset, expected) in scenario["expectedOmnibus"].as_object().unwrap() {
            assert_eq!(book.expected_omnibus(asset).unwrap(), expected.as_str().unwrap(), "{name} {asset}");
        }
    }
    println!("custody flow vectors: {} scenarios, {steps_run} steps", scenarios.len());
}
