#!/usr/bin/env python3
"""Independent check of countersign envelopes with standard Python COSE tooling.

countersign envelopes are COSE_Sign1 (RFC 9052) in deterministic CBOR. This script proves that a
back-end in another language, using off-the-shelf libraries, can verify them and can produce
envelopes countersign accepts:

  verify IN.json   Check every envelope of IN.json. Accepts
                   - the seal-vector format (tests/vectors/envelope/seal.json: cases with
                     secretKey, publicKey, fields, envelope; cases with "error" are skipped), and
                   - the open format (tests/vectors/envelope/open.json, or the output of `make`:
                     cases with trustedKeys and expect; only "VALID" cases are checked).
                   For each envelope:
                   * EdDSA: decode and verify with pycose (Sign1Message.decode + OKPKey);
                   * ES256K: decode with cbor2, rebuild the Sig_structure, verify with
                     `cryptography` (ECDSA secp256k1 / SHA-256, r||s converted to DER), and check
                     the signature is low-S;
                   * check the header decodes to exactly the sealed fields (alg, kid, CWT claims
                     exp/iat, typ, private labels version/seq) and the payload;
                   * check the protected header and the whole message are in deterministic CBOR
                     (cbor2 canonical re-encoding is byte-identical);
                   * with a secret key (seal format): check the public key derivation and re-seal
                     independently (pycose for EdDSA; python-ecdsa RFC 6979 + low-S for ES256K):
                     the bytes must be identical, since sealing is deterministic.
                   Prints "N passed, M failed (K skipped)" and exits 1 on any failure.

  make OUT.json    Write envelopes made here (pycose for EdDSA, `cryptography` for ES256K) in the
                   open format, with trusted keys, verifier context and expected outcome, for the
                   countersign side to open (core/tests/envelope_vectors.rs reads
                   tests/interop/python_envelopes.json or $COUNTERSIGN_INTEROP_FILE).

Requirements: tests/interop/requirements.txt (pycose, cbor2, cryptography, ecdsa).
"""

import hashlib
import json
import sys
from importlib import metadata

import cbor2
import ecdsa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pycose.algorithms import EdDSA
from pycose.headers import Algorithm
from pycose.keys.curves import Ed25519
from pycose.keys.keyparam import KpKty, OKPKpCurve, OKPKpD, OKPKpX
from pycose.keys.keytype import KtyOKP
from pycose.keys.okp import OKPKey
from pycose.messages.sign1message import Sign1Message

# Envelope layout (see core/src/envelope/mod.rs).
COSE_SIGN1_TAG = 18
LABEL_ALG, LABEL_KID, LABEL_CWT, LABEL_TYP = 1, 4, 15, 16
LABEL_VERSION, LABEL_SEQ = -65537, -65538
CLAIM_EXP, CLAIM_IAT = 4, 6
ALGS = {"EdDSA": -8, "ES256K": -47}
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class Mismatch(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Mismatch(what)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def protected_header(alg, key_id, msg_type, version, seq, issued_at, expires_at) -> bytes:
    """The protected header in deterministic CBOR. For our labels, RFC 8949 bytewise order and the
    older length-first canonical order coincide (1, 4, 15, 16 encode in one byte; -65537 and
    -65538 in five), so cbor2's canonical mode gives the exact bytes countersign requires."""
    return cbor2.dumps(
        {
            LABEL_ALG: ALGS[alg],
            LABEL_KID: key_id.encode("utf-8"),
            LABEL_CWT: {CLAIM_EXP: expires_at, CLAIM_IAT: issued_at},
            LABEL_TYP: msg_type,
            LABEL_VERSION: version,
            LABEL_SEQ: seq,
        },
        canonical=True,
    )


def okp_key(public_key: bytes, secret_key: bytes = None) -> OKPKey:
    attrs = {KpKty: KtyOKP, OKPKpCurve: Ed25519, OKPKpX: public_key}
    if secret_key is not None:
        attrs[OKPKpD] = secret_key
    return OKPKey.from_dict(attrs)


def k1_public(public_key: bytes) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), public_key)


def verify_envelope(envelope: bytes, alg: str, public_key: bytes, fields: dict) -> None:
    """Raise Mismatch unless `envelope` is a valid countersign envelope with exactly `fields`."""
    outer = cbor2.loads(envelope)
    check(isinstance(outer, cbor2.CBORTag) and outer.tag == COSE_SIGN1_TAG, "not tagged COSE_Sign1 (18)")
    check(isinstance(outer.value, (list, tuple)) and len(outer.value) == 4, "COSE_Sign1 is not an array of 4")
    protected, unprotected, payload, signature = outer.value
    check(unprotected == {}, f"unprotected header is not empty: {unprotected!r}")
    check(isinstance(payload, bytes), "payload is not a bstr")
    check(isinstance(signature, bytes) and len(signature) == 64, "signature is not 64 bytes")

    header = cbor2.loads(protected)
    expected_header = {
        LABEL_ALG: ALGS[alg],
        LABEL_KID: fields["keyId"].encode("utf-8"),
        LABEL_CWT: {CLAIM_EXP: int(fields["expiresAt"]), CLAIM_IAT: int(fields["issuedAt"])},
        LABEL_TYP: fields["type"],
        LABEL_VERSION: int(fields["version"]),
        LABEL_SEQ: int(fields["seq"]),
    }
    check(header == expected_header, f"protected header {header!r} != expected {expected_header!r}")
    check(payload == bytes.fromhex(fields["payload"]), "payload differs")
    check(cbor2.dumps(header, canonical=True) == protected, "protected header is not deterministic CBOR")
    check(
        cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]), canonical=True) == envelope,
        "envelope is not deterministic CBOR",
    )

    if alg == "EdDSA":
        msg = Sign1Message.decode(envelope)
        check(msg.get_attr(Algorithm) == EdDSA, "pycose does not see alg EdDSA")
        check(msg.payload == payload, "pycose payload differs")
        msg.key = okp_key(public_key)
        check(msg.verify_signature(), "pycose: EdDSA signature does not verify")
    else:
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        check(0 < r < SECP256K1_N and 0 < s < SECP256K1_N, "r or s out of range")
        check(s <= SECP256K1_N // 2, "ES256K signature is not low-S")
        try:
            k1_public(public_key).verify(
                encode_dss_signature(r, s), sig_structure(protected, payload), ec.ECDSA(hashes.SHA256())
            )
        except InvalidSignature:
            raise Mismatch("cryptography: ES256K signature does not verify") from None


def reseal(case: dict) -> bytes:
    """Seal the case independently (deterministic for both algorithms)."""
    sk = bytes.fromhex(case["secretKey"])
    payload = bytes.fromhex(case["payload"])
    protected = protected_header(
        case["alg"], case["keyId"], case["type"], int(case["version"]), int(case["seq"]),
        int(case["issuedAt"]), int(case["expiresAt"]),
    )
    if case["alg"] == "EdDSA":
        pk = bytes.fromhex(case["publicKey"])
        msg = Sign1Message(phdr_encoded=protected, uhdr={}, payload=payload)
        msg.key = okp_key(pk, sk)
        return msg.encode()
    # ES256K: python-ecdsa's RFC 6979 implementation, then low-S.
    signing_key = ecdsa.SigningKey.from_string(sk, curve=ecdsa.SECP256k1, hashfunc=hashlib.sha256)
    sig = signing_key.sign_deterministic(
        sig_structure(protected, payload), hashfunc=hashlib.sha256, sigencode=ecdsa.util.sigencode_strings_canonize
    )
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, b"".join(sig)]))


def derive_public_key(alg: str, sk: bytes) -> bytes:
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    return ec.derive_private_key(int.from_bytes(sk, "big"), ec.SECP256K1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )


def check_case(case: dict) -> str:
    """Returns "passed" or "skipped"; raises Mismatch on failure."""
    if "trustedKeys" in case:  # open format
        if case["expect"] != "VALID":
            return "skipped"
        fields = case["opened"]
        alg = fields["alg"]
        keys = [k for k in case["trustedKeys"] if k["keyId"] == fields["keyId"] and k["alg"] == alg]
        check(len(keys) == 1, "no unique trusted key for (keyId, alg)")
        verify_envelope(bytes.fromhex(case["envelope"]), alg, bytes.fromhex(keys[0]["publicKey"]), fields)
        return "passed"
    if "error" in case:  # seal format, error case: nothing sealed
        return "skipped"
    if "payloadZeros" in case:
        case = dict(case, payload="00" * case["payloadZeros"])
    sk = bytes.fromhex(case["secretKey"])
    pk = bytes.fromhex(case["publicKey"])
    check(derive_public_key(case["alg"], sk) == pk, "publicKey is not derived from secretKey")
    envelope = bytes.fromhex(case["envelope"])
    verify_envelope(envelope, case["alg"], pk, case)
    resealed = reseal(case)
    check(resealed == envelope, f"independent re-seal differs:\n  ours   {envelope.hex()}\n  python {resealed.hex()}")
    return "passed"


def cmd_verify(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    passed = failed = skipped = 0
    for case in doc["cases"]:
        try:
            outcome = check_case(case)
        except (Mismatch, Exception) as e:  # any library error is a failure of that case
            failed += 1
            print(f"FAIL {case.get('name')}: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        if outcome == "passed":
            passed += 1
        else:
            skipped += 1
    print(f"{path}: {passed} passed, {failed} failed ({skipped} skipped: error or non-VALID cases)")
    if failed or passed == 0:
        if passed == 0:
            print("no envelope was checked", file=sys.stderr)
        return 1
    return 0


# ---- make ----

NOW = 1_750_000_000
ED_SK = hashlib.sha256(b"countersign python interop ed25519").digest()
K1_SK = hashlib.sha256(b"countersign python interop secp256k1").digest()


def ed_public(sk: bytes) -> bytes:
    return derive_public_key("EdDSA", sk)


def k1_public_compressed(sk: bytes) -> bytes:
    return derive_public_key("ES256K", sk)


def make_eddsa_pycose(fields: dict, phdr_encoded: bytes) -> bytes:
    msg = Sign1Message(phdr_encoded=phdr_encoded, uhdr={}, payload=bytes.fromhex(fields["payload"]))
    msg.key = okp_key(ed_public(ED_SK), ED_SK)
    return msg.encode()


def make_es256k(fields: dict, high_s: bool = False) -> bytes:
    protected = protected_header(
        "ES256K", fields["keyId"], fields["type"], fields["version"], int(fields["seq"]),
        int(fields["issuedAt"]), int(fields["expiresAt"]),
    )
    payload = bytes.fromhex(fields["payload"])
    key = ec.derive_private_key(int.from_bytes(K1_SK, "big"), ec.SECP256K1())
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    der = key.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    s = min(s, SECP256K1_N - s)  # low-S (BIP-62), as countersign requires
    if high_s:
        s = SECP256K1_N - s
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, sig]))


def cmd_make(path: str) -> int:
    trusted = [
        {"keyId": "py-ed-1", "alg": "EdDSA", "publicKey": ed_public(ED_SK).hex()},
        {"keyId": "py-k1-1", "alg": "ES256K", "publicKey": k1_public_compressed(K1_SK).hex()},
    ]

    def fields(alg, key_id, **kw):
        f = {
            "keyId": key_id, "alg": alg, "type": "relay.receipt", "version": 2, "seq": "7",
            "issuedAt": str(NOW), "expiresAt": str(NOW + 600),
            "payload": b'{"requestHash":"ab12","status":"accepted"}'.hex(),
        }
        f.update(kw)
        return f

    def case(name, envelope, f, expect="VALID"):
        c = {
            "name": name, "envelope": envelope.hex(), "trustedKeys": trusted, "now": str(NOW + 1),
            "expectedType": f["type"], "lastSeq": "6", "maxClockSkewS": 30, "expect": expect,
        }
        if expect == "VALID":
            c["opened"] = f
        return c

    def phdr(f):
        return protected_header(
            f["alg"], f["keyId"], f["type"], f["version"], int(f["seq"]), int(f["issuedAt"]), int(f["expiresAt"])
        )

    cases = []
    f = fields("EdDSA", "py-ed-1")
    cases.append(case("python-pycose-eddsa", make_eddsa_pycose(f, phdr(f)), f))
    f = fields("EdDSA", "py-ed-1", payload="", seq="18446744073709551615", version=4294967295)
    cases.append(case("python-pycose-eddsa-empty-payload-max-seq", make_eddsa_pycose(f, phdr(f)), f))
    f = fields("ES256K", "py-k1-1")
    cases.append(case("python-cryptography-es256k", make_es256k(f), f))
    f = fields("ES256K", "py-k1-1", payload=bytes(range(256)).hex() * 4)
    cases.append(case("python-cryptography-es256k-1k-payload", make_es256k(f), f))
    # What a careless encoder produces: pycose encoding the header from a dict in insertion order
    # (not deterministic) — countersign refuses it.
    f = fields("EdDSA", "py-ed-1")
    unsorted = cbor2.dumps({
        LABEL_TYP: f["type"], LABEL_ALG: ALGS["EdDSA"], LABEL_KID: f["keyId"].encode(),
        LABEL_CWT: {CLAIM_EXP: NOW + 600, CLAIM_IAT: NOW}, LABEL_VERSION: 2, LABEL_SEQ: 7,
    })
    cases.append(case("python-pycose-eddsa-header-not-deterministic", make_eddsa_pycose(f, unsorted), f, "MALFORMED"))
    # A high-S ES256K signature (valid ECDSA, refused: countersign is low-S only).
    f = fields("ES256K", "py-k1-1")
    cases.append(case("python-cryptography-es256k-high-s", make_es256k(f, high_s=True), f, "BAD_SIGNATURE"))

    versions = {p: metadata.version(p) for p in ("pycose", "cbor2", "cryptography", "ecdsa")}
    doc = {
        "description": (
            "Envelopes made by tests/interop/cose_check.py make (Python "
            + ", ".join(f"{k} {v}" for k, v in versions.items())
            + "), in the format of tests/vectors/envelope/open.json. EdDSA envelopes are signed by pycose over a "
            "protected header encoded with cbor2 canonical=True; ES256K by cryptography (OpenSSL, RFC 6979) over "
            "the Sig_structure, low-S normalised. Countersign must open each with the expected outcome."
        ),
        "cases": cases,
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(doc, out, indent=2, ensure_ascii=False)
        out.write("\n")
    print(f"{path}: wrote {len(cases)} envelopes")
    return 0


def main(argv) -> int:
    if len(argv) != 3 or argv[1] not in ("verify", "make"):
        print(__doc__, file=sys.stderr)
        print("usage: cose_check.py verify IN.json | make OUT.json", file=sys.stderr)
        return 2
    return cmd_verify(argv[2]) if argv[1] == "verify" else cmd_make(argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
