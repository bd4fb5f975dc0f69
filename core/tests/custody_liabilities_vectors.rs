//! Runs System 8's proof-of-liabilities vectors (`tests/vectors/custody/liabilities.json`,
//! written by `generate_liabilities.py`, an independent Python model of the spec in
//! core/src/custody/liabilities.rs): each tree is built in the file's chunks and must give the
//! model's root statement, signed payload, salts and every client's proof byte for byte; each
//! verification (honest proofs and the known attacks) signs the model's root payload and must
//! give the model's outcome code; each refused build must give the model's error code and path.

use std::path::PathBuf;

use countersign_core::custody::liabilities::{
    derive_salt, verify_inclusion, ClientBalance, ClientCheck, LiabilitiesTree, TreeSetup, ROOT_TYPE,
};
use countersign_core::crypto::ed25519;
use countersign_core::envelope::{self, Alg, OpenParams, SealParams, Signer, TrustedKey};
use serde_json::{json, Value};

const PLATFORM_KEY: [u8; 32] = [7; 32];
const NOW: i64 = 1_800_000_000;

fn load() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/custody/liabilities.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn seal_root(payload: &[u8], round: u64) -> Vec<u8> {
    envelope::seal(&SealParams {
        alg: Alg::EdDSA,
        secret_key: &PLATFORM_KEY,
        key_id: "platform-1",
        msg_type: ROOT_TYPE,
        version: 1,
        seq: round,
        issued_at: NOW - 60,
        expires_at: NOW + 3600,
        payload,
    })
    .unwrap()
}

fn build(doc: &Value, case: &Value) -> Result<LiabilitiesTree, countersign_core::Error> {
    let secret = hex::decode(doc["saltSecret"].as_str().unwrap()).unwrap();
    let setup: TreeSetup = serde_json::from_value(case["setup"].clone()).unwrap();
    let mut tree = LiabilitiesTree::new(&setup, &secret)?;
    for chunk in case["chunks"].as_array().unwrap() {
        let clients: Vec<ClientBalance> = serde_json::from_value(chunk.clone()).unwrap();
        tree.add(&clients)?;
    }
    Ok(tree)
}

#[test]
fn trees_give_the_models_roots_salts_and_proofs() {
    let doc = load();
    let secret = hex::decode(doc["saltSecret"].as_str().unwrap()).unwrap();
    let pk = ed25519::public_key(&PLATFORM_KEY).unwrap();
    let keys = [TrustedKey { key_id: "platform-1", alg: Alg::EdDSA, public_key: &pk }];
    let trees = doc["trees"].as_array().unwrap();
    assert!(trees.len() >= 6);
    for case in trees {
        let name = case["name"].as_str().unwrap();
        let expect = &case["expect"];
        let mut tree = build(&doc, case).unwrap();
        let root = tree.finish().unwrap();
        assert_eq!(serde_json::to_value(&root).unwrap(), expect["publishedRoot"], "{name}");
        let signed = tree.publish(&Signer { alg: Alg::EdDSA, key_id: "platform-1", secret_key: &PLATFORM_KEY }, NOW - 60, NOW + 3600).unwrap();
        let params = OpenParams { trusted_keys: &keys, now: NOW, expected_type: ROOT_TYPE, last_seq: None, max_clock_skew_s: 0 };
        let opened = envelope::open(&signed, &params).unwrap();
        assert_eq!(hex::encode(&opened.payload), expect["rootPayload"].as_str().unwrap(), "{name}: payload");
        assert_eq!(opened.seq, root.round, "{name}: seq is the round");
        let clients: Vec<ClientBalance> =
            case["chunks"].as_array().unwrap().iter().flat_map(|c| serde_json::from_value::<Vec<ClientBalance>>(c.clone()).unwrap()).collect();
        for (i, client) in clients.iter().enumerate() {
            let salt = derive_salt(&secret, &root.asset, root.round, &client.client_id).unwrap();
            assert_eq!(hex::encode(salt), expect["salts"][i].as_str().unwrap(), "{name}: salt {i}");
            let proof = tree.proof(i as u32, &client.client_id).unwrap();
            assert_eq!(hex::encode(&proof), expect["proofs"][i].as_str().unwrap(), "{name}: proof {i}");
            let check = ClientCheck {
                trusted_keys: &keys,
                now: NOW,
                max_clock_skew_s: 0,
                last_round: None,
                client_id: &client.client_id,
                expected_balance: Some(client.balance.parse().unwrap()),
            };
            let out = verify_inclusion(&proof, &signed, &check).unwrap();
            assert_eq!(out.code.as_str(), "INCLUDED", "{name}: client {i}");
            assert_eq!(out.path.first().unwrap().hash, expect["leaves"][i].as_str().unwrap(), "{name}: leaf {i}");
        }
    }
}

#[test]
fn verifications_give_the_models_codes() {
    let doc = load();
    let pk = ed25519::public_key(&PLATFORM_KEY).unwrap();
    let keys = [TrustedKey { key_id: "platform-1", alg: Alg::EdDSA, public_key: &pk }];
    let cases = doc["verifications"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut codes = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let root = seal_root(&hex::decode(case["rootPayload"].as_str().unwrap()).unwrap(), case["rootRound"].as_u64().unwrap());
        let proof = hex::decode(case["proof"].as_str().unwrap()).unwrap();
        let check = ClientCheck {
            trusted_keys: &keys,
            now: NOW,
            max_clock_skew_s: 0,
            last_round: None,
            client_id: case["clientId"].as_str().unwrap(),
            expected_balance: case.get("expectedBalance").map(|b| b.as_str().unwrap().parse().unwrap()),
        };
        let out = verify_inclusion(&proof, &root, &check).unwrap();
        assert_eq!(out.code.as_str(), case["expect"].as_str().unwrap(), "{name}");
        codes.insert(out.code.as_str());
    }
    // Every outcome but ROOT_REJECTED (envelope checks: the core's own tests) and ROOT_MALFORMED appears.
    assert!(codes.len() >= 13, "{codes:?}");
}

#[test]
fn refused_builds_give_the_models_errors() {
    let doc = load();
    for case in doc["errors"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let err = build(&doc, case).unwrap_err();
        assert_eq!(json!({"error": {"code": err.code().as_str(), "param": err.param()}}), case["expect"], "{name}");
    }
}
