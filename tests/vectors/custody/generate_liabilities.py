#!/usr/bin/env python3
"""Vectors for System 8's proof of liabilities (core/src/custody/liabilities.rs), from an
independent model written from the spec in that module's rustdoc: whole levels of the padded
Merkle-sum tree built with hashlib/hmac (no chunking, no stored levels, no recomputation), the
published-root payload, every client's inclusion proof, and the known attacks as proofs and
signed-root payloads with the outcome code a client must get.

Run: python3 tests/vectors/custody/generate_liabilities.py  (writes liabilities.json beside it).
The Rust test (core/tests/custody_liabilities_vectors.rs) and the SDK test
(sdk-ts/test/custody-liabilities-vectors.test.mjs) sign each `rootPayload` themselves (Ed25519,
envelope type custody.liabilities.root, seq = round): the envelope primitive has its own vectors.
"""
import hashlib, hmac, json, os

LEAF_BALANCE_MAX = (1 << 96) - 1
SECRET = bytes([0x42] * 32)
ROOT_TYPE = "custody.liabilities.root"


def u8(n): return n.to_bytes(1, "big")
def u32(n): return n.to_bytes(4, "big")
def u64(n): return n.to_bytes(8, "big")
def u128(n): return (n % (1 << 128)).to_bytes(16, "big")


def asset_round(asset, rnd):
    return u8(len(asset)) + asset.encode() + u64(rnd)


def salt(asset, rnd, cid):
    c = cid.encode()
    return hmac.new(SECRET, b"countersign/pol/salt" + asset_round(asset, rnd) + u8(len(c)) + c, hashlib.sha256).digest()


def leaf(asset, rnd, cid, s, bal):
    c = cid.encode()
    return hashlib.sha256(b"countersign/pol/leaf" + asset_round(asset, rnd) + u8(len(c)) + c + s + u128(bal)).digest()


def empty(asset, rnd):
    return (hashlib.sha256(b"countersign/pol/empty" + asset_round(asset, rnd)).digest(), 0)


def node(l, r, combine=lambda a, b: a + b):
    h = hashlib.sha256(b"countersign/pol/node" + l[0] + u128(l[1]) + r[0] + u128(r[1])).digest()
    return (h, combine(l[1], r[1]))


def depth_for(n):
    d = 1
    while (1 << d) < n:
        d += 1
    return d


def levels_of(asset, rnd, leaves, combine=lambda a, b: a + b):
    d = depth_for(len(leaves))
    lvl = list(leaves) + [empty(asset, rnd)] * ((1 << d) - len(leaves))
    out = [lvl]
    for _ in range(d):
        lvl = [node(lvl[i], lvl[i + 1], combine) for i in range(0, len(lvl), 2)]
        out.append(lvl)
    return out


def root_payload(asset, rnd, scale, n, top):
    return u8(1) + u8(len(asset)) + asset.encode() + u64(rnd) + u8(scale) + u32(n) + u8(depth_for(n)) + top[0] + u128(top[1])


def proof_bytes(asset, rnd, root_hash, cid, s, bal, index, siblings):
    c = cid.encode()
    out = u8(1) + u8(len(asset)) + asset.encode() + u64(rnd) + root_hash + u8(len(c)) + c + s + u128(bal) + u32(index) + u8(len(siblings))
    for h, sm in siblings:
        out += h + u128(sm)
    return out


def proof_from(asset, rnd, levels, index, cid, bal, s=None):
    d = len(levels) - 1
    sib = [levels[k][(index >> k) ^ 1] for k in range(d)]
    return proof_bytes(asset, rnd, levels[d][0][0], cid, salt(asset, rnd, cid) if s is None else s, bal, index, sib)


def tree(name, asset, rnd, scale, clients, chunk):
    leaves = []
    for cid, bal in clients:
        s = salt(asset, rnd, cid)
        leaves.append((leaf(asset, rnd, cid, s, bal), bal))
    levels = levels_of(asset, rnd, leaves)
    top = levels[-1][0]
    n = len(clients)
    return {
        "name": name,
        "setup": {"asset": asset, "round": rnd, "scale": scale, "clientCount": n},
        "chunks": [[{"clientId": c, "balance": str(b)} for c, b in clients[i:i + chunk]] for i in range(0, n, chunk)],
        "expect": {
            "publishedRoot": {"asset": asset, "round": rnd, "scale": scale, "leafCount": n, "depth": depth_for(n),
                              "rootHash": top[0].hex(), "total": str(top[1])},
            "rootPayload": root_payload(asset, rnd, scale, n, top).hex(),
            "salts": [salt(asset, rnd, c).hex() for c, _ in clients],
            "leaves": [h.hex() for h, _ in leaves],
            "proofs": [proof_from(asset, rnd, levels, i, c, b).hex() for i, (c, b) in enumerate(clients)],
        },
    }, levels


def ids(n, prefix="client-"):
    return [f"{prefix}{i:06}" for i in range(n)]


def main():
    trees, verifications = [], []
    specs = [
        ("one client", "BTC", 1, 8, [("alice", 150_000_000)], 1),
        ("two clients", "BTC", 1, 8, [("alice", 150_000_000), ("bob", 2)], 1),
        ("five clients, padded to eight", "ETH", 3, 18, list(zip(ids(5), [10**18, 0, 5 * 10**17, 123456789, 7])), 2),
        ("thirty-three clients: levels beyond the recomputed ones", "USDC", 12, 6,
         list(zip(ids(33), [(i * 7919) % 1000003 for i in range(33)])), 10),
        ("the largest balances", "BTC", 2, 8, list(zip(ids(3), [LEAF_BALANCE_MAX] * 3)), 3),
        ("unicode client ids", "USDC", 1, 6, [("client-é", 1), ("client-ü", 2), ("клиент", 3)], 2),
    ]
    built = {}
    for spec in specs:
        t, levels = tree(*spec)
        trees.append(t)
        built[spec[0]] = (spec, levels)

    def verification(name, root_payload_hex, rnd, proof_hex, cid, code, expected=None):
        v = {"name": name, "rootPayload": root_payload_hex, "rootRound": rnd, "proof": proof_hex, "clientId": cid, "expect": code}
        if expected is not None:
            v["expectedBalance"] = str(expected)
        verifications.append(v)

    # Honest checks, and the known attacks, on the five-client ETH tree.
    spec, levels = built["five clients, padded to eight"]
    _, asset, rnd, scale, clients, _ = spec
    root_hex = trees[2]["expect"]["rootPayload"]
    p3 = proof_from(asset, rnd, levels, 3, clients[3][0], clients[3][1])
    verification("a client's own proof", root_hex, rnd, p3.hex(), clients[3][0], "INCLUDED")
    verification("with the expected balance", root_hex, rnd, p3.hex(), clients[3][0], "INCLUDED", clients[3][1])
    verification("another expected balance", root_hex, rnd, p3.hex(), clients[3][0], "BALANCE_MISMATCH", clients[3][1] + 1)
    verification("another client's proof", root_hex, rnd, p3.hex(), clients[2][0], "CLIENT_MISMATCH")
    verification("a truncated proof", root_hex, rnd, p3[:-1].hex(), clients[3][0], "PROOF_MALFORMED")
    verification("a trailing byte", root_hex, rnd, (p3 + b"\x00").hex(), clients[3][0], "PROOF_MALFORMED")
    d = len(levels) - 1

    def tampered(index=3, cid=None, bal=None, siblings=None, root_hash=None, s=None):
        cid = clients[3][0] if cid is None else cid
        bal = clients[3][1] if bal is None else bal
        sib = [levels[k][(3 >> k) ^ 1] for k in range(d)] if siblings is None else siblings
        rh = levels[d][0][0] if root_hash is None else root_hash
        return proof_bytes(asset, rnd, rh, cid, salt(asset, rnd, cid) if s is None else s, bal, index, sib).hex()

    sib = [levels[k][(3 >> k) ^ 1] for k in range(d)]
    verification("a tampered sibling sum", root_hex, rnd, tampered(siblings=[sib[0], (sib[1][0], sib[1][1] + 1), sib[2]]), clients[3][0], "ROOT_MISMATCH")
    verification("a tampered sibling hash", root_hex, rnd, tampered(siblings=[(bytes(32), sib[0][1]), sib[1], sib[2]]), clients[3][0], "ROOT_MISMATCH")
    verification("the wrong path position", root_hex, rnd, tampered(index=2), clients[3][0], "ROOT_MISMATCH")
    verification("a padding position", root_hex, rnd, tampered(index=6), clients[3][0], "INDEX_OUT_OF_RANGE")
    verification("a path one sibling short", root_hex, rnd, tampered(siblings=sib[:2]), clients[3][0], "PATH_LENGTH_MISMATCH")
    verification("a raised balance", root_hex, rnd, tampered(bal=clients[3][1] + 1), clients[3][0], "ROOT_MISMATCH")
    verification("a sibling sum beyond its subtree", root_hex, rnd,
                 tampered(siblings=[sib[0], sib[1], (sib[2][0], (LEAF_BALANCE_MAX << 2) + 1)]), clients[3][0], "SIBLING_SUM_OUT_OF_RANGE")

    # Another asset, another round: genuine proofs of other trees against this root.
    other_asset = [(h, b) for h, b in [(leaf("BTC", rnd, c, salt("BTC", rnd, c), b), b) for c, b in clients]]
    lv = levels_of("BTC", rnd, other_asset)
    verification("a proof for another asset", root_hex, rnd, proof_from("BTC", rnd, lv, 3, clients[3][0], clients[3][1]).hex(), clients[3][0], "ASSET_MISMATCH")
    other_round = [(leaf(asset, rnd + 1, c, salt(asset, rnd + 1, c), b), b) for c, b in clients]
    lv = levels_of(asset, rnd + 1, other_round)
    verification("a proof for another round", root_hex, rnd, proof_from(asset, rnd + 1, lv, 3, clients[3][0], clients[3][1]).hex(), clients[3][0], "ROUND_MISMATCH")

    # The max-parent attack: the platform's tree takes max(l, r); its root is signed and published.
    leaves = [(leaf(asset, rnd, c, salt(asset, rnd, c), b), b) for c, b in clients]
    lv = levels_of(asset, rnd, leaves, combine=max)
    top = lv[-1][0]
    max_root = root_payload(asset, rnd, scale, len(clients), top).hex()
    for i in (0, 3):
        verification(f"a max-parent tree, client {i}", max_root, rnd, proof_from(asset, rnd, lv, i, clients[i][0], clients[i][1]).hex(), clients[i][0], "ROOT_MISMATCH")
    # A published total above the tree's (hash right, total not).
    honest_top = levels[-1][0]
    verification("a total that is not the tree's", root_payload(asset, rnd, scale, len(clients), (honest_top[0], honest_top[1] + 1)).hex(), rnd, p3.hex(), clients[3][0], "TOTAL_MISMATCH")

    # A negative balance hidden in a leaf: "−1 ETH" as 2^128 − 10^18, sums wrapping mod 2^128.
    fake = (1 << 128) - 10**18
    neg = leaves[:4] + [(leaf(asset, rnd, "zz-fake", bytes(32), fake), fake)]
    lv = levels_of(asset, rnd, neg, combine=lambda a, b: (a + b) % (1 << 128))
    top = lv[-1][0]
    neg_root = root_payload(asset, rnd, scale, 5, top).hex()
    # Client 4's neighbour in the padded tree is padding; the fake leaf (index 4) sits under client 0..3's level-2 sibling.
    verification("a negative leaf wrapped into a sibling sum", neg_root, rnd, proof_from(asset, rnd, lv, 3, clients[3][0], clients[3][1]).hex(), clients[3][0], "SIBLING_SUM_OUT_OF_RANGE")
    verification("a proof whose own balance is a wrapped negative", neg_root, rnd,
                 proof_from(asset, rnd, lv, 4, "zz-fake", fake, s=bytes(32)).hex(), "zz-fake", "BALANCE_OUT_OF_RANGE")

    # Shared salts: two clients with one balance, one leaf answering for both.
    shared = [("alice", 700), ("bob", 700)]
    only_alice = [(leaf(asset, rnd, "alice", salt(asset, rnd, "alice"), 700), 700), (leaf(asset, rnd, "carol", salt(asset, rnd, "carol"), 5), 5)]
    lv = levels_of(asset, rnd, only_alice)
    sa_root = root_payload(asset, rnd, scale, 2, lv[-1][0]).hex()
    alice_proof = proof_from(asset, rnd, lv, 0, "alice", 700)
    verification("shared leaf: alice's own proof", sa_root, rnd, alice_proof.hex(), "alice", "INCLUDED")
    verification("shared leaf: bob handed alice's proof", sa_root, rnd, alice_proof.hex(), "bob", "CLIENT_MISMATCH")
    verification("shared leaf: bob's id on alice's leaf and salt", sa_root, rnd,
                 proof_from(asset, rnd, lv, 0, "bob", 700, s=salt(asset, rnd, "alice")).hex(), "bob", "ROOT_MISMATCH")
    del shared

    # A root shown only to one client: a private tree without client 4, its proof vs the public root.
    private_leaves = leaves[:4]
    lv = levels_of(asset, rnd, private_leaves)
    private_root = root_payload(asset, rnd, scale, 4, lv[-1][0]).hex()
    private_proof = proof_from(asset, rnd, lv, 1, clients[1][0], clients[1][1]).hex()
    verification("the private root, as shown to the client", private_root, rnd, private_proof, clients[1][0], "INCLUDED")
    verification("the private proof against the published root", root_hex, rnd, private_proof, clients[1][0], "ROOT_NOT_PUBLISHED")

    errors = [
        {"name": "a negative balance", "setup": {"asset": "BTC", "round": 1, "scale": 8, "clientCount": 2},
         "chunks": [[{"clientId": "a", "balance": "1"}, {"clientId": "b", "balance": "-5"}]],
         "expect": {"error": {"code": "INVALID_ARGUMENT", "param": "clients[1].balance"}}},
        {"name": "a client twice", "setup": {"asset": "BTC", "round": 1, "scale": 8, "clientCount": 3},
         "chunks": [[{"clientId": "a", "balance": "1"}], [{"clientId": "a", "balance": "1"}]],
         "expect": {"error": {"code": "INVALID_ARGUMENT", "param": "clients[0].clientId"}}},
        {"name": "ids out of order", "setup": {"asset": "BTC", "round": 1, "scale": 8, "clientCount": 3},
         "chunks": [[{"clientId": "b", "balance": "1"}, {"clientId": "a", "balance": "1"}]],
         "expect": {"error": {"code": "INVALID_ARGUMENT", "param": "clients[1].clientId"}}},
        {"name": "a balance above the maximum", "setup": {"asset": "BTC", "round": 1, "scale": 8, "clientCount": 1},
         "chunks": [[{"clientId": "a", "balance": str(LEAF_BALANCE_MAX + 1)}]],
         "expect": {"error": {"code": "AMOUNT_OUT_OF_RANGE", "param": "clients[0].balance"}}},
        {"name": "a balance with a fraction", "setup": {"asset": "BTC", "round": 1, "scale": 8, "clientCount": 1},
         "chunks": [[{"clientId": "a", "balance": "1.5"}]],
         "expect": {"error": {"code": "AMOUNT_SYNTAX", "param": "clients[0].balance"}}},
        {"name": "more clients than set up", "setup": {"asset": "BTC", "round": 1, "scale": 8, "clientCount": 1},
         "chunks": [[{"clientId": "a", "balance": "1"}, {"clientId": "b", "balance": "1"}]],
         "expect": {"error": {"code": "LIMIT_EXCEEDED", "param": "clients"}}},
        {"name": "a lowercase asset", "setup": {"asset": "btc", "round": 1, "scale": 8, "clientCount": 1},
         "chunks": [], "expect": {"error": {"code": "INVALID_ARGUMENT", "param": "setup.asset"}}},
    ]

    doc = {
        "description": "System 8 proof of liabilities (core/src/custody/liabilities.rs). saltSecret: the platform secret every tree here uses. trees: setup, the clients in chunks (strictly ascending ids), and expect: the published root, its signed payload (hex), each client's salt, leaf hash and inclusion proof (hex, in client order). verifications: a root payload to sign (Ed25519, type custody.liabilities.root, version 1, seq = rootRound), a proof, the client checking it (and the balance they expect, if any), and the outcome code; the attacks (max-parent, a wrapped negative leaf, a shared leaf, a root shown only to one client, tampered paths, other assets and rounds) are built by this model, never by the Rust. errors: builds refused with the error code and parameter path.",
        "generator": "tests/vectors/custody/generate_liabilities.py",
        "saltSecret": SECRET.hex(),
        "trees": trees,
        "verifications": verifications,
        "errors": errors,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "liabilities.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path}: {len(trees)} trees, {len(verifications)} verifications, {len(errors)} errors")


if __name__ == "__main__":
    main()
