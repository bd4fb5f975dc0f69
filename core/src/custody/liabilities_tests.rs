//! Tests of the proof of liabilities: every client's proof against trees of every small size, a
//! reference model built the naive way (whole levels, recursion), and each known attack caught.

use super::*;
use crate::crypto::ed25519;
use crate::envelope::Alg;
use proptest::prelude::*;

const SECRET: [u8; 32] = [0x42; 32];
const PLATFORM_KEY: [u8; 32] = [7; 32];
const NOW: i64 = 1_800_000_000;

fn setup(asset: &str, round: u64, n: u32) -> TreeSetup {
    TreeSetup { asset: asset.into(), round, scale: 8, client_count: n }
}

fn client(i: u32, balance: u128) -> ClientBalance {
    ClientBalance { client_id: format!("client-{i:06}"), balance: balance.to_string() }
}

fn build(asset: &str, round: u64, balances: &[u128]) -> LiabilitiesTree {
    let mut tree = LiabilitiesTree::new(&setup(asset, round, balances.len() as u32), &SECRET).unwrap();
    let clients: Vec<_> = balances.iter().enumerate().map(|(i, b)| client(i as u32, *b)).collect();
    for chunk in clients.chunks(7) {
        tree.add(chunk).unwrap();
    }
    tree.finish().unwrap();
    tree
}

fn signer() -> Signer<'static> {
    Signer { alg: Alg::EdDSA, key_id: "platform-1", secret_key: &PLATFORM_KEY }
}

fn public_key() -> [u8; 32] {
    ed25519::public_key(&PLATFORM_KEY).unwrap()
}

fn check<'a>(keys: &'a [TrustedKey<'a>], client_id: &'a str) -> ClientCheck<'a> {
    ClientCheck { trusted_keys: keys, now: NOW, max_clock_skew_s: 60, last_round: None, client_id, expected_balance: None }
}

fn verify(proof: &[u8], root: &[u8], client_id: &str) -> InclusionOutcome {
    let pk = public_key();
    let keys = [TrustedKey { key_id: "platform-1", alg: Alg::EdDSA, public_key: &pk }];
    verify_inclusion(proof, root, &check(&keys, client_id)).unwrap()
}

fn published(tree: &LiabilitiesTree) -> Vec<u8> {
    tree.publish(&signer(), NOW - 10, NOW + 3600).unwrap()
}

/// The reference model: every level of the padded tree, built level by level with `combine`.
fn model_levels(asset: &str, round: u64, leaves: &[Node], combine: fn(&Node, &Node) -> Node) -> Vec<Vec<Node>> {
    let depth = {
        let mut d = 1;
        while (1usize << d) < leaves.len() {
            d += 1;
        }
        d
    };
    let mut level: Vec<Node> = leaves.to_vec();
    level.resize(1 << depth, empty_leaf(asset, round));
    let mut levels = vec![level];
    for _ in 0..depth {
        let below = levels.last().unwrap();
        levels.push(below.chunks(2).map(|pair| combine(&pair[0], &pair[1])).collect());
    }
    levels
}

fn honest(l: &Node, r: &Node) -> Node {
    node_of(l, r).unwrap()
}

fn model_leaves(asset: &str, round: u64, balances: &[u128]) -> Vec<Node> {
    balances
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let id = format!("client-{i:06}");
            let salt = derive_salt(&SECRET, asset, round, &id).unwrap();
            Node { hash: leaf_hash(asset, round, &id, &salt, *b), sum: *b }
        })
        .collect()
}

/// A proof taken from model levels (what a cheating platform hands out).
fn model_proof(asset: &str, round: u64, levels: &[Vec<Node>], index: u32, client_id: &str, balance: u128) -> Vec<u8> {
    let depth = levels.len() - 1;
    let siblings = (0..depth).map(|k| levels[k][((index >> k) ^ 1) as usize]).collect();
    encode_proof(&Proof {
        asset: asset.into(),
        round,
        root_hash: levels[depth][0].hash,
        client_id: client_id.into(),
        salt: derive_salt(&SECRET, asset, round, client_id).unwrap(),
        balance,
        index,
        siblings,
    })
}

/// A signed root statement for arbitrary facts (what a cheating platform publishes).
fn sign_root(asset: &str, round: u64, leaf_count: u32, root: Node) -> Vec<u8> {
    let facts = RootFacts { round, scale: 8, leaf_count, depth: depth_for(leaf_count), root };
    let payload = encode_root(asset, &facts);
    envelope::seal(&SealParams {
        alg: Alg::EdDSA,
        secret_key: &PLATFORM_KEY,
        key_id: "platform-1",
        msg_type: ROOT_TYPE,
        version: 1,
        seq: round,
        issued_at: NOW - 10,
        expires_at: NOW + 3600,
        payload: &payload,
    })
    .unwrap()
}

#[test]
fn every_client_of_every_small_tree_is_included_and_the_root_matches_the_model() {
    for n in 1..=70u32 {
        let balances: Vec<u128> = (0..n).map(|i| u128::from(i * 1_000 + 1) * 3 % 10_007).collect();
        let tree = build("BTC", 3, &balances);
        let root = tree.published_root().unwrap();
        let levels = model_levels("BTC", 3, &model_leaves("BTC", 3, &balances), honest);
        let top = levels.last().unwrap()[0];
        assert_eq!(root.root_hash, hex(&top.hash), "n={n}");
        assert_eq!(root.total, balances.iter().sum::<u128>().to_string(), "n={n}");
        assert_eq!(usize::from(root.depth), levels.len() - 1, "n={n}");
        let envelope = published(&tree);
        for i in 0..n {
            let id = format!("client-{i:06}");
            let proof = tree.proof(i, &id).unwrap();
            assert_eq!(proof, model_proof("BTC", 3, &levels, i, &id, balances[i as usize]), "n={n} i={i}");
            let out = verify(&proof, &envelope, &id);
            assert_eq!(out.code, InclusionCode::Included, "n={n} i={i}");
            assert_eq!(out.path.len(), usize::from(root.depth));
            assert_eq!(out.computed_total.as_deref(), Some(root.total.as_str()));
        }
    }
}

#[test]
fn stored_levels_are_used_beyond_the_recomputed_ones() {
    // 300 clients: depth 9, levels 5..=9 stored; every proof still equals the model's.
    let balances: Vec<u128> = (0..300).map(|i| i as u128 * 17).collect();
    let tree = build("ETH", 1, &balances);
    let levels = model_levels("ETH", 1, &model_leaves("ETH", 1, &balances), honest);
    for i in [0u32, 31, 32, 150, 255, 256, 299] {
        let id = format!("client-{i:06}");
        assert_eq!(tree.proof(i, &id).unwrap(), model_proof("ETH", 1, &levels, i, &id, balances[i as usize]));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn tree_equals_the_reference_model(balances in proptest::collection::vec(0u128..=LEAF_BALANCE_MAX, 1..130), chunk in 1usize..40, pick in any::<u32>()) {
        let n = balances.len() as u32;
        let mut tree = LiabilitiesTree::new(&setup("USDC", 9, n), &SECRET).unwrap();
        let clients: Vec<_> = balances.iter().enumerate().map(|(i, b)| client(i as u32, *b)).collect();
        for c in clients.chunks(chunk) {
            tree.add(c).unwrap();
        }
        let root = tree.finish().unwrap();
        let levels = model_levels("USDC", 9, &model_leaves("USDC", 9, &balances), honest);
        prop_assert_eq!(root.root_hash, hex(&levels.last().unwrap()[0].hash));
        prop_assert_eq!(root.total, balances.iter().sum::<u128>().to_string());
        let i = pick % n;
        let id = format!("client-{i:06}");
        let proof = tree.proof(i, &id).unwrap();
        prop_assert_eq!(&proof, &model_proof("USDC", 9, &levels, i, &id, balances[i as usize]));
        prop_assert_eq!(verify(&proof, &published(&tree), &id).code, InclusionCode::Included);
    }

    #[test]
    fn decoding_arbitrary_or_mutated_proofs_never_panics_and_a_mutation_is_never_included(
        bytes in proptest::collection::vec(any::<u8>(), 0..400), at in any::<usize>(), bit in 0u8..8,
    ) {
        let _ = decode_proof(&bytes);
        let tree = build("BTC", 2, &[5, 6, 7]);
        let root = published(&tree);
        let mut proof = tree.proof(1, "client-000001").unwrap();
        let i = at % proof.len();
        proof[i] ^= 1 << bit;
        let out = verify(&proof, &root, "client-000001");
        prop_assert_ne!(out.code, InclusionCode::Included);
    }
}

#[test]
fn a_negative_balance_hidden_in_a_leaf_is_caught() {
    // The platform adds a fake leaf of "−3 BTC" as 2^128 − 3·10^8 and lets sums wrap: the total
    // drops by 3 BTC.
    let mut leaves = model_leaves("BTC", 1, &[500_000_000, 200_000_000, 100_000_000]);
    let fake = 0u128.wrapping_sub(300_000_000);
    leaves.push(Node { hash: leaf_hash("BTC", 1, "zz-fake", &[0; 32], fake), sum: fake });
    let wrapping: fn(&Node, &Node) -> Node = |l, r| {
        let mut h = Sha256::new();
        h.update(NODE_TAG);
        h.update(l.hash);
        h.update(l.sum.to_be_bytes());
        h.update(r.hash);
        h.update(r.sum.to_be_bytes());
        Node { hash: h.finalize().into(), sum: l.sum.wrapping_add(r.sum) }
    };
    let levels = model_levels("BTC", 1, &leaves, wrapping);
    let top = levels.last().unwrap()[0];
    assert_eq!(top.sum, 500_000_000, "the wrapped total hides 3 BTC");
    let root = sign_root("BTC", 1, 4, top);
    // The client next to the fake leaf sees a sibling sum no honest leaf can have.
    let proof = model_proof("BTC", 1, &levels, 2, "client-000002", 100_000_000);
    assert_eq!(verify(&proof, &root, "client-000002").code, InclusionCode::SiblingSumOutOfRange);
    // A proof whose own balance is the wrapped value is refused before any hashing.
    let mut p = decode_proof(&proof).unwrap();
    p.balance = fake;
    assert_eq!(verify(&encode_proof(&p), &root, "client-000002").code, InclusionCode::BalanceOutOfRange);
    // And the honest builder refuses a negative balance outright.
    let mut tree = LiabilitiesTree::new(&setup("BTC", 1, 1), &SECRET).unwrap();
    let err = tree.add(&[ClientBalance { client_id: "a".into(), balance: "-300000000".into() }]).unwrap_err();
    assert_eq!((err.code(), err.param()), (ErrorCode::InvalidArgument, "clients[0].balance"));
}

#[test]
fn a_parent_taking_the_max_instead_of_the_sum_is_caught() {
    let balances = [400u128, 300, 200, 100];
    let leaves = model_leaves("BTC", 1, &balances);
    let max: fn(&Node, &Node) -> Node = |l, r| {
        let mut h = Sha256::new();
        h.update(NODE_TAG);
        h.update(l.hash);
        h.update(l.sum.to_be_bytes());
        h.update(r.hash);
        h.update(r.sum.to_be_bytes());
        Node { hash: h.finalize().into(), sum: l.sum.max(r.sum) }
    };
    let levels = model_levels("BTC", 1, &leaves, max);
    let top = levels.last().unwrap()[0];
    assert_eq!(top.sum, 400, "the max-tree claims 400 of the 1000 owed");
    let root = sign_root("BTC", 1, 4, top);
    for i in 0..4u32 {
        let id = format!("client-{i:06}");
        let out = verify(&model_proof("BTC", 1, &levels, i, &id, balances[i as usize]), &root, &id);
        assert_eq!(out.code, InclusionCode::RootMismatch, "client {i}");
        // The client's recomputation adds what its path shows (its siblings were maxed below):
        // never the 400 the max-tree claims.
        let total: u128 = out.computed_total.unwrap().parse().unwrap();
        assert!(total > 400 && total <= 1000, "client {i}: {total}");
    }
}

#[test]
fn salts_are_per_client_asset_and_round_and_a_shared_leaf_is_caught() {
    let a = derive_salt(&SECRET, "BTC", 1, "alice").unwrap();
    assert_ne!(a, derive_salt(&SECRET, "BTC", 1, "bob").unwrap());
    assert_ne!(a, derive_salt(&SECRET, "BTC", 2, "alice").unwrap());
    assert_ne!(a, derive_salt(&SECRET, "ETH", 1, "alice").unwrap());
    assert_ne!(a, derive_salt(&[0x43; 32], "BTC", 1, "alice").unwrap());
    assert_eq!(a, derive_salt(&SECRET, "BTC", 1, "alice").unwrap());
    // Alice and Bob hold the same balance; the platform puts only Alice's leaf in the tree and
    // hands Bob Alice's proof (the shared-salt attack: one leaf answering for two clients).
    let mut tree = LiabilitiesTree::new(&setup("BTC", 1, 2), &SECRET).unwrap();
    tree.add(&[
        ClientBalance { client_id: "alice".into(), balance: "700".into() },
        ClientBalance { client_id: "carol".into(), balance: "5".into() },
    ])
    .unwrap();
    tree.finish().unwrap();
    let root = published(&tree);
    let alices = tree.proof(0, "alice").unwrap();
    assert_eq!(verify(&alices, &root, "alice").code, InclusionCode::Included);
    assert_eq!(verify(&alices, &root, "bob").code, InclusionCode::ClientMismatch);
    // With Bob's id written into Alice's proof (and even Alice's salt), the leaf Bob recomputes is
    // his own, not Alice's.
    let mut p = decode_proof(&alices).unwrap();
    p.client_id = "bob".into();
    assert_eq!(verify(&encode_proof(&p), &root, "bob").code, InclusionCode::RootMismatch);
}

#[test]
fn a_proof_against_a_root_shown_only_to_that_client_is_caught() {
    // Publicly: the honest tree of three clients. Privately, to client 1 only: a tree that leaves
    // client 2 out, with its own signed root.
    let public = build("BTC", 5, &[10, 20, 30]);
    let public_root = published(&public);
    let private = build("BTC", 5, &[10, 20]);
    let private_root = published(&private);
    let proof = private.proof(1, "client-000001").unwrap();
    // Against the root shown to them the proof looks fine …
    assert_eq!(verify(&proof, &private_root, "client-000001").code, InclusionCode::Included);
    // … against the published root it is not.
    assert_eq!(verify(&proof, &public_root, "client-000001").code, InclusionCode::RootNotPublished);
    // Rewriting the proof's root to the published one does not help either.
    let mut p = decode_proof(&proof).unwrap();
    p.root_hash = decode_proof(&public.proof(0, "client-000000").unwrap()).unwrap().root_hash;
    assert_eq!(verify(&encode_proof(&p), &public_root, "client-000001").code, InclusionCode::PathLengthMismatch);
}

#[test]
fn tampered_siblings_positions_assets_and_rounds_are_caught() {
    let balances: Vec<u128> = (1..=9).map(|i| i * 100).collect();
    let tree = build("BTC", 4, &balances);
    let root = published(&tree);
    let id = "client-000003";
    let proof = tree.proof(3, id).unwrap();
    let base = decode_proof(&proof).unwrap();
    let code_of = |p: &Proof| verify(&encode_proof(p), &root, id).code;

    let mut p = base.clone();
    p.siblings[1].sum += 1; // a tampered sibling sum
    assert_eq!(code_of(&p), InclusionCode::RootMismatch);
    let mut p = base.clone();
    p.siblings[2].hash[0] ^= 1; // a tampered sibling hash
    assert_eq!(code_of(&p), InclusionCode::RootMismatch);
    let mut p = base.clone();
    p.index = 2; // the wrong position (left instead of right at level 0)
    assert_eq!(code_of(&p), InclusionCode::RootMismatch);
    let mut p = base.clone();
    p.index = 12; // a padding position
    assert_eq!(code_of(&p), InclusionCode::IndexOutOfRange);
    let mut p = base.clone();
    p.siblings.pop();
    assert_eq!(code_of(&p), InclusionCode::PathLengthMismatch);
    let mut p = base.clone();
    p.balance = 401;
    assert_eq!(code_of(&p), InclusionCode::RootMismatch);
    let mut p = base.clone();
    p.siblings[3].sum = LEAF_BALANCE_MAX << 3 | 1;
    assert_eq!(code_of(&p), InclusionCode::SiblingSumOutOfRange);

    // A proof for another asset or another round, each genuinely built and signed.
    let eth = build("ETH", 4, &balances);
    assert_eq!(verify(&eth.proof(3, id).unwrap(), &root, id).code, InclusionCode::AssetMismatch);
    let next = build("BTC", 5, &balances);
    assert_eq!(verify(&next.proof(3, id).unwrap(), &root, id).code, InclusionCode::RoundMismatch);

    // The expected balance, and another client checking.
    let pk = public_key();
    let keys = [TrustedKey { key_id: "platform-1", alg: Alg::EdDSA, public_key: &pk }];
    let mut c = check(&keys, id);
    c.expected_balance = Some(400);
    assert_eq!(verify_inclusion(&proof, &root, &c).unwrap().code, InclusionCode::Included);
    c.expected_balance = Some(401);
    assert_eq!(verify_inclusion(&proof, &root, &c).unwrap().code, InclusionCode::BalanceMismatch);
    assert_eq!(verify(&proof, &root, "client-000004").code, InclusionCode::ClientMismatch);
}

#[test]
fn the_published_root_is_checked_as_an_envelope() {
    let tree = build("BTC", 7, &[1, 2, 3]);
    let proof = tree.proof(0, "client-000000").unwrap();
    let root = published(&tree);
    let pk = public_key();
    let keys = [TrustedKey { key_id: "platform-1", alg: Alg::EdDSA, public_key: &pk }];
    let rejection = |root: &[u8], c: &ClientCheck<'_>| {
        let out = verify_inclusion(&proof, root, c).unwrap();
        assert_eq!(out.code, InclusionCode::RootRejected);
        out.root_rejection.unwrap()
    };
    let mut forged = root.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(rejection(&forged, &check(&keys, "client-000000")), "BAD_SIGNATURE");
    let mut late = check(&keys, "client-000000");
    late.now = NOW + 3600;
    assert_eq!(rejection(&root, &late), "EXPIRED");
    let mut seen = check(&keys, "client-000000");
    seen.last_round = Some(7);
    assert_eq!(rejection(&root, &seen), "REPLAYED");
    seen.last_round = Some(6);
    assert_eq!(verify_inclusion(&proof, &root, &seen).unwrap().code, InclusionCode::Included);
    let other_key = ed25519::public_key(&[8; 32]).unwrap();
    let wrong = [TrustedKey { key_id: "platform-1", alg: Alg::EdDSA, public_key: &other_key }];
    assert_eq!(rejection(&root, &check(&wrong, "client-000000")), "BAD_SIGNATURE");
    // Another type signed by the same key.
    let other_type = envelope::seal(&SealParams {
        alg: Alg::EdDSA,
        secret_key: &PLATFORM_KEY,
        key_id: "platform-1",
        msg_type: "custody.liabilities.other",
        version: 1,
        seq: 7,
        issued_at: NOW - 10,
        expires_at: NOW + 60,
        payload: &[],
    })
    .unwrap();
    assert_eq!(rejection(&other_type, &check(&keys, "client-000000")), "WRONG_TYPE");
    // A signed payload that is not a root statement.
    let junk = envelope::seal(&SealParams {
        alg: Alg::EdDSA,
        secret_key: &PLATFORM_KEY,
        key_id: "platform-1",
        msg_type: ROOT_TYPE,
        version: 1,
        seq: 7,
        issued_at: NOW - 10,
        expires_at: NOW + 60,
        payload: &[1, 2, 3],
    })
    .unwrap();
    assert_eq!(verify_inclusion(&proof, &junk, &check(&keys, "client-000000")).unwrap().code, InclusionCode::RootMalformed);
    // A malformed proof is named first.
    assert_eq!(verify_inclusion(&proof[..10], &forged, &check(&keys, "client-000000")).unwrap().code, InclusionCode::ProofMalformed);
    // The total must match even when the hash does.
    let facts = tree.facts().unwrap();
    let inflated = sign_root("BTC", 7, 3, Node { hash: facts.root.hash, sum: facts.root.sum + 1 });
    assert_eq!(verify(&proof, &inflated, "client-000000").code, InclusionCode::TotalMismatch);
}

#[test]
fn proofs_and_roots_have_one_encoding() {
    let tree = build("BTC", 1, &[1, 2, 3, 4, 5]);
    let proof = tree.proof(4, "client-000004").unwrap();
    let decoded = decode_proof(&proof).unwrap();
    assert_eq!(encode_proof(&decoded), proof);
    let mut longer = proof.clone();
    longer.push(0);
    assert!(decode_proof(&longer).is_none());
    for cut in 0..proof.len() {
        assert!(decode_proof(&proof[..cut]).is_none(), "cut at {cut}");
    }
    let mut bad_version = proof.clone();
    bad_version[0] = 2;
    assert!(decode_proof(&bad_version).is_none());
    let mut lower_asset = proof.clone();
    lower_asset[2] = b'b';
    assert!(decode_proof(&lower_asset).is_none());
    let facts = tree.facts().unwrap();
    let root = encode_root("BTC", &facts);
    assert_eq!(decode_root(&root), Some(("BTC".into(), facts)));
    let mut wrong_depth = root.clone();
    let depth_at = 2 + 3 + 8 + 1 + 4;
    wrong_depth[depth_at] += 1;
    assert!(decode_root(&wrong_depth).is_none());
}

#[test]
fn building_refuses_bad_input_and_a_refused_chunk_changes_nothing() {
    let bad = |s: TreeSetup, secret: &[u8]| {
        let e = LiabilitiesTree::new(&s, secret).unwrap_err();
        (e.code(), e.param().to_owned())
    };
    assert_eq!(bad(setup("btc", 1, 1), &SECRET), (ErrorCode::InvalidArgument, "setup.asset".into()));
    assert_eq!(bad(setup("BTC", 1, 0), &SECRET), (ErrorCode::InvalidArgument, "setup.clientCount".into()));
    assert_eq!(bad(setup("BTC", 1, LEAVES_MAX + 1), &SECRET), (ErrorCode::InvalidArgument, "setup.clientCount".into()));
    assert_eq!(bad(setup("BTC", 1 << 53, 1), &SECRET), (ErrorCode::InvalidArgument, "setup.round".into()));
    assert_eq!(bad(TreeSetup { scale: 39, ..setup("BTC", 1, 1) }, &SECRET), (ErrorCode::InvalidArgument, "setup.scale".into()));
    assert_eq!(bad(setup("BTC", 1, 1), &SECRET[..31]), (ErrorCode::InvalidArgument, "saltSecret".into()));

    let mut tree = LiabilitiesTree::new(&setup("BTC", 1, 5), &SECRET).unwrap();
    tree.add(&[client(1, 5)]).unwrap();
    let before = (tree.leaves.clone(), tree.pending, tree.counts, tree.last_client.clone());
    let add_err = |tree: &mut LiabilitiesTree, clients: &[ClientBalance]| {
        let e = tree.add(clients).unwrap_err();
        (e.code(), e.param().to_owned())
    };
    assert_eq!(add_err(&mut tree, &[client(2, 1), client(2, 1)]), (ErrorCode::InvalidArgument, "clients[1].clientId".into()));
    assert_eq!(add_err(&mut tree, &[client(0, 1)]), (ErrorCode::InvalidArgument, "clients[0].clientId".into()));
    assert_eq!(add_err(&mut tree, &[client(2, 1), client(3, LEAF_BALANCE_MAX + 1)]), (ErrorCode::AmountOutOfRange, "clients[1].balance".into()));
    let syntax = ClientBalance { client_id: "client-000009".into(), balance: "01".into() };
    assert_eq!(add_err(&mut tree, &[syntax]), (ErrorCode::AmountSyntax, "clients[0].balance".into()));
    let control = ClientBalance { client_id: "client\n".into(), balance: "1".into() };
    assert_eq!(add_err(&mut tree, &[control]), (ErrorCode::InvalidArgument, "clients[0].clientId".into()));
    let five: Vec<_> = (2..7).map(|i| client(i, 1)).collect();
    assert_eq!(add_err(&mut tree, &five), (ErrorCode::LimitExceeded, "clients".into()));
    assert_eq!(before, (tree.leaves.clone(), tree.pending, tree.counts, tree.last_client.clone()), "refused chunks changed the tree");
    assert_eq!(tree.finish().unwrap_err().param(), "tree");
    assert_eq!(tree.proof(0, "client-000001").unwrap_err().param(), "tree");
    tree.add(&(2..6).map(|i| client(i, 1)).collect::<Vec<_>>()).unwrap();
    assert_eq!(tree.progress(), BuildProgress { added: 5, total: 5 });
    tree.finish().unwrap();
    assert_eq!(tree.add(&[]).unwrap_err().param(), "tree");
    assert_eq!(tree.proof(5, "client-000001").unwrap_err().param(), "index");
    assert_eq!(tree.proof(0, "client-000002").unwrap_err().param(), "clientId");
    assert_eq!(parse_balance(&LEAF_BALANCE_MAX.to_string(), "b"), Ok(LEAF_BALANCE_MAX));
    assert_eq!(parse_balance("", "b").unwrap_err().code(), ErrorCode::AmountSyntax);
    assert_eq!(parse_balance("1".repeat(40).as_str(), "b").unwrap_err().code(), ErrorCode::AmountOutOfRange);
}

#[test]
fn the_largest_sums_do_not_overflow() {
    // 2^24 leaves of LEAF_BALANCE_MAX would sum below 2^120; the verifier's bound per level is the
    // same, so an honest sibling is never out of range.
    assert!(LEAF_BALANCE_MAX.checked_mul(u128::from(LEAVES_MAX)).is_some());
    let tree = build("BTC", 1, &[LEAF_BALANCE_MAX; 5]);
    let root = published(&tree);
    for i in 0..5u32 {
        let id = format!("client-{i:06}");
        assert_eq!(verify(&tree.proof(i, &id).unwrap(), &root, &id).code, InclusionCode::Included);
    }
    assert_eq!(tree.published_root().unwrap().total, (LEAF_BALANCE_MAX * 5).to_string());
}

#[test]
fn a_tree_holds_about_51_bytes_per_client() {
    for n in [1_000u32, 100_000] {
        let mut tree = LiabilitiesTree::new(&setup("BTC", 1, n), &SECRET).unwrap();
        let reserved = tree.heap_bytes();
        let clients: Vec<_> = (0..n).map(|i| client(i, 1)).collect();
        for chunk in clients.chunks(CHUNK_CLIENTS_MAX) {
            tree.add(chunk).unwrap();
        }
        tree.finish().unwrap();
        assert_eq!(tree.heap_bytes(), reserved, "n={n}: the memory is reserved once, never grown");
        let per_client = tree.heap_bytes() as f64 / f64::from(n);
        assert!(per_client <= 52.0, "n={n}: {per_client} bytes per client");
        println!("{n} clients: {} bytes, {per_client:.2} per client", tree.heap_bytes());
    }
}

#[test]
fn two_clients_comparing_their_roots_catch_a_second_tree() {
    let pk = public_key();
    let keys = [TrustedKey { key_id: "platform-1", alg: Alg::EdDSA, public_key: &pk }];
    let c = check(&keys, "-");
    let public = build("BTC", 5, &[10, 20, 30]);
    let private = build("BTC", 5, &[10, 20]);
    let root = published(&public);
    let resigned = public.publish(&signer(), NOW - 100, NOW + 60).unwrap();
    assert_ne!(root, resigned);
    assert_eq!(compare_roots(&root, &resigned, &c).unwrap().code, RootComparisonCode::Consistent);
    let out = compare_roots(&root, &published(&private), &c).unwrap();
    assert_eq!(out.code, RootComparisonCode::Equivocation);
    assert_eq!(out.first.unwrap().total, "60");
    assert_eq!(out.second.unwrap().total, "30");
    assert_eq!(compare_roots(&root, &published(&build("BTC", 6, &[1])), &c).unwrap().code, RootComparisonCode::NotComparable);
    assert_eq!(compare_roots(&root, &published(&build("ETH", 5, &[1])), &c).unwrap().code, RootComparisonCode::NotComparable);
    let mut forged = root.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let out = compare_roots(&root, &forged, &c).unwrap();
    assert_eq!((out.code, out.which, out.root_rejection.as_deref()), (RootComparisonCode::RootRefused, Some(2), Some("BAD_SIGNATURE")));
}
