//! Unit tests of the envelope: round trips, every rejection code, the check order, canonical
//! form and seal's input errors.

use super::*;
use minicbor::Encoder;

const ED_SK: [u8; 32] = [0x11; 32];
const K1_SK: [u8; 32] = [0x22; 32];
const NOW: i64 = 1_750_000_000;

fn ed_pk() -> Vec<u8> {
    ed25519::public_key(&ED_SK).unwrap().to_vec()
}

fn k1_pk() -> Vec<u8> {
    secp256k1::public_key(&K1_SK, true).unwrap()
}

fn secret(alg: Alg) -> &'static [u8] {
    match alg {
        Alg::EdDSA => &ED_SK,
        Alg::ES256K => &K1_SK,
    }
}

fn params(alg: Alg) -> SealParams<'static> {
    SealParams {
        alg,
        secret_key: secret(alg),
        key_id: "app-key-1",
        msg_type: "card.limits.set",
        version: 1,
        seq: 42,
        issued_at: NOW - 10,
        expires_at: NOW + 300,
        payload: b"{\"limit\":\"25.00\"}",
    }
}

/// Opens with both test keys trusted under "app-key-1" (each for its own algorithm).
fn open_with(
    bytes: &[u8],
    now: i64,
    expected_type: &str,
    last_seq: Option<u64>,
    skew: u32,
) -> core::result::Result<Opened, Rejection> {
    let (ed, k1) = (ed_pk(), k1_pk());
    let keys = [
        TrustedKey {
            key_id: "app-key-1",
            alg: Alg::EdDSA,
            public_key: &ed,
        },
        TrustedKey {
            key_id: "app-key-1",
            alg: Alg::ES256K,
            public_key: &k1,
        },
    ];
    open(
        bytes,
        &OpenParams {
            trusted_keys: &keys,
            now,
            expected_type,
            last_seq,
            max_clock_skew_s: skew,
        },
    )
}

fn open_default(bytes: &[u8]) -> core::result::Result<Opened, Rejection> {
    open_with(bytes, NOW, "card.limits.set", Some(41), 60)
}

fn sealed(alg: Alg) -> Vec<u8> {
    seal(&params(alg)).unwrap()
}

/// CBOR head + bytes of a bstr (shortest form).
fn bstr(b: &[u8]) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    e.bytes(b).unwrap();
    e.into_writer()
}

/// Assembles `18([protected, <unprotected_raw>, payload, sig])` with a *valid* signature over the
/// given protected bytes, so that a rejection can only come from the structure checks.
fn signed_raw(alg: Alg, protected: &[u8], unprotected_raw: &[u8], payload: &[u8]) -> Vec<u8> {
    let tbs = cbor::sig_structure(protected, payload).unwrap();
    let sig = sign_sig_structure(alg, secret(alg), &tbs).unwrap();
    let mut out = vec![0xd2, 0x84];
    out.extend(bstr(protected));
    out.extend_from_slice(unprotected_raw);
    out.extend(bstr(payload));
    out.extend(bstr(&sig));
    out
}

fn header(alg: Alg) -> Header<'static> {
    let p = params(alg);
    Header {
        alg,
        kid: p.key_id,
        typ: p.msg_type,
        version: p.version,
        seq: p.seq,
        issued_at: p.issued_at,
        expires_at: p.expires_at,
    }
}

#[test]
fn seal_open_round_trip_both_algorithms() {
    for &alg in Alg::ALL {
        let bytes = sealed(alg);
        let opened = open_default(&bytes).unwrap();
        assert_eq!(
            opened,
            Opened {
                alg,
                key_id: "app-key-1".into(),
                msg_type: "card.limits.set".into(),
                version: 1,
                seq: 42,
                issued_at: NOW - 10,
                expires_at: NOW + 300,
                payload: b"{\"limit\":\"25.00\"}".to_vec(),
            }
        );
        // No last sequence number yet: accepted too.
        assert!(open_with(&bytes, NOW, "card.limits.set", None, 0).is_ok());
        // Deterministic.
        assert_eq!(bytes, sealed(alg));
        // Starts with tag 18 and an array of 4.
        assert_eq!(&bytes[..2], &[0xd2, 0x84]);
    }
}

#[test]
fn uncompressed_es256k_trusted_key_works() {
    let bytes = sealed(Alg::ES256K);
    let pk = secp256k1::public_key(&K1_SK, false).unwrap();
    let keys = [TrustedKey {
        key_id: "app-key-1",
        alg: Alg::ES256K,
        public_key: &pk,
    }];
    let p = OpenParams {
        trusted_keys: &keys,
        now: NOW,
        expected_type: "card.limits.set",
        last_seq: None,
        max_clock_skew_s: 0,
    };
    assert!(open(&bytes, &p).is_ok());
}

#[test]
fn protected_header_layout_is_the_documented_one() {
    let protected = cbor::encode_protected(&header(Alg::EdDSA)).unwrap();
    let mut expected = vec![0xa6, 0x01, 0x27, 0x04, 0x49];
    expected.extend_from_slice(b"app-key-1");
    expected.extend_from_slice(&[0x0f, 0xa2, 0x04, 0x1a]);
    expected.extend_from_slice(&((NOW + 300) as u32).to_be_bytes());
    expected.extend_from_slice(&[0x06, 0x1a]);
    expected.extend_from_slice(&((NOW - 10) as u32).to_be_bytes());
    expected.extend_from_slice(&[0x10, 0x6f]);
    expected.extend_from_slice(b"card.limits.set");
    expected.extend_from_slice(&[0x3a, 0x00, 0x01, 0x00, 0x00, 0x01]);
    expected.extend_from_slice(&[0x3a, 0x00, 0x01, 0x00, 0x01, 0x18, 0x2a]);
    assert_eq!(hex::encode(&protected), hex::encode(&expected));
    // ES256K: alg -47 = 0x38 0x2e.
    let protected = cbor::encode_protected(&header(Alg::ES256K)).unwrap();
    assert_eq!(&protected[..4], &[0xa6, 0x01, 0x38, 0x2e]);
}

#[test]
fn largest_envelope_fits_the_limit_and_extreme_values_round_trip() {
    let payload = vec![0xab; PAYLOAD_BYTES_MAX];
    let kid = "k".repeat(KEY_ID_BYTES_MAX);
    let typ = "t".repeat(TYPE_CHARS_MAX);
    for &alg in Alg::ALL {
        let p = SealParams {
            alg,
            secret_key: secret(alg),
            key_id: &kid,
            msg_type: &typ,
            version: u32::MAX,
            seq: u64::MAX,
            issued_at: -TIME_S_MAX,
            expires_at: TIME_S_MAX,
            payload: &payload,
        };
        let bytes = seal(&p).unwrap();
        assert!(
            bytes.len() <= ENVELOPE_BYTES_MAX,
            "{} > {ENVELOPE_BYTES_MAX}",
            bytes.len()
        );
        let (ed, k1) = (ed_pk(), k1_pk());
        let keys = [
            TrustedKey {
                key_id: &kid,
                alg: Alg::EdDSA,
                public_key: &ed,
            },
            TrustedKey {
                key_id: &kid,
                alg: Alg::ES256K,
                public_key: &k1,
            },
        ];
        let o = OpenParams {
            trusted_keys: &keys,
            now: NOW,
            expected_type: &typ,
            last_seq: Some(u64::MAX - 1),
            max_clock_skew_s: CLOCK_SKEW_S_MAX,
        };
        let opened = open(&bytes, &o).unwrap();
        assert_eq!(
            (
                opened.version,
                opened.seq,
                opened.issued_at,
                opened.expires_at
            ),
            (u32::MAX, u64::MAX, -TIME_S_MAX, TIME_S_MAX)
        );
        assert_eq!(opened.payload.len(), PAYLOAD_BYTES_MAX);
        // now = i64::MAX: the skew addition saturates instead of overflowing; expired.
        let o = OpenParams { now: i64::MAX, ..o };
        assert_eq!(open(&bytes, &o), Err(Rejection::Expired));
    }
}

#[test]
fn empty_payload_is_allowed() {
    let p = SealParams {
        payload: b"",
        ..params(Alg::EdDSA)
    };
    let bytes = seal(&p).unwrap();
    assert_eq!(open_default(&bytes).unwrap().payload, b"");
}

// ---- BAD_SIGNATURE ----

#[test]
fn tampered_payload_byte_is_bad_signature() {
    for &alg in Alg::ALL {
        let bytes = sealed(alg);
        let payload = params(alg).payload;
        let at = bytes
            .windows(payload.len())
            .position(|w| w == payload)
            .unwrap();
        for i in 0..payload.len() {
            let mut t = bytes.clone();
            t[at + i] ^= 0x01;
            assert_eq!(
                open_default(&t),
                Err(Rejection::BadSignature),
                "{alg:?} payload byte {i}"
            );
        }
    }
}

#[test]
fn tampered_header_is_bad_signature() {
    for &alg in Alg::ALL {
        let bytes = sealed(alg);
        // seq 42 is encoded `18 2a` at the end of the protected header: make it 43.
        let at = bytes
            .windows(7)
            .position(|w| w == [0x3a, 0x00, 0x01, 0x00, 0x01, 0x18, 0x2a])
            .unwrap();
        let mut t = bytes.clone();
        t[at + 6] = 0x2b;
        assert_eq!(open_default(&t), Err(Rejection::BadSignature));
        // A type of the same length, still canonical: bad signature (checked before the type).
        let at = bytes
            .windows(15)
            .position(|w| w == b"card.limits.set")
            .unwrap();
        let mut t = bytes.clone();
        t[at..at + 15].copy_from_slice(b"card.limits.get");
        assert_eq!(open_default(&t), Err(Rejection::BadSignature));
    }
}

#[test]
fn tampered_signature_and_wrong_key_are_bad_signature() {
    for &alg in Alg::ALL {
        let bytes = sealed(alg);
        let n = bytes.len();
        for i in [n - 64, n - 33, n - 1] {
            let mut t = bytes.clone();
            t[i] ^= 0x80;
            assert_eq!(
                open_default(&t),
                Err(Rejection::BadSignature),
                "{alg:?} byte {i}"
            );
        }
    }
    // Signed by another key under the same kid.
    let other = SealParams {
        secret_key: &[0x33; 32],
        ..params(Alg::EdDSA)
    };
    assert_eq!(
        open_default(&seal(&other).unwrap()),
        Err(Rejection::BadSignature)
    );
    let other = SealParams {
        secret_key: &[0x33; 32],
        ..params(Alg::ES256K)
    };
    assert_eq!(
        open_default(&seal(&other).unwrap()),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn high_s_es256k_is_bad_signature() {
    let bytes = sealed(Alg::ES256K);
    let n = bytes.len();
    let sig = &bytes[n - 64..];
    // s' = n - s: a valid high-S signature of the same message, refused (low-S only).
    let order =
        hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").unwrap();
    let mut s = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut v = i16::from(order[i]) - i16::from(sig[32 + i]) - borrow;
        borrow = i16::from(v < 0);
        if v < 0 {
            v += 256;
        }
        s[i] = v as u8;
    }
    let mut t = bytes.clone();
    t[n - 32..].copy_from_slice(&s);
    assert_eq!(open_default(&t), Err(Rejection::BadSignature));
    // Sanity: the crafted signature is valid when high-S is allowed.
    let tbs = cbor::sig_structure(
        cbor::decode_sign1(&t).unwrap().protected,
        params(Alg::ES256K).payload,
    )
    .unwrap();
    assert!(secp256k1::verify_digest(
        &k1_pk(),
        &sha256(&tbs),
        &t[n - 64..],
        true
    ));
}

// ---- UNKNOWN_KEY ----

#[test]
fn wrong_kid_is_unknown_key() {
    for &alg in Alg::ALL {
        let p = SealParams {
            key_id: "app-key-2",
            ..params(alg)
        };
        assert_eq!(open_default(&seal(&p).unwrap()), Err(Rejection::UnknownKey));
    }
}

#[test]
fn alg_mismatch_with_trusted_key_is_unknown_key() {
    // Only an EdDSA key is trusted under the kid; an ES256K envelope with that kid is unknown.
    let ed = ed_pk();
    let keys = [TrustedKey {
        key_id: "app-key-1",
        alg: Alg::EdDSA,
        public_key: &ed,
    }];
    let p = OpenParams {
        trusted_keys: &keys,
        now: NOW,
        expected_type: "card.limits.set",
        last_seq: None,
        max_clock_skew_s: 0,
    };
    assert_eq!(open(&sealed(Alg::ES256K), &p), Err(Rejection::UnknownKey));
    assert!(open(&sealed(Alg::EdDSA), &p).is_ok());
    // No trusted keys at all.
    let p = OpenParams {
        trusted_keys: &[],
        ..p
    };
    assert_eq!(open(&sealed(Alg::EdDSA), &p), Err(Rejection::UnknownKey));
}

#[test]
fn keys_beyond_the_limit_are_not_consulted() {
    let ed = ed_pk();
    let mut keys: Vec<TrustedKey<'_>> = (0..TRUSTED_KEYS_MAX)
        .map(|_| TrustedKey {
            key_id: "other",
            alg: Alg::EdDSA,
            public_key: &ed,
        })
        .collect();
    keys.push(TrustedKey {
        key_id: "app-key-1",
        alg: Alg::EdDSA,
        public_key: &ed,
    });
    let p = OpenParams {
        trusted_keys: &keys,
        now: NOW,
        expected_type: "card.limits.set",
        last_seq: None,
        max_clock_skew_s: 0,
    };
    assert_eq!(open(&sealed(Alg::EdDSA), &p), Err(Rejection::UnknownKey));
    assert_eq!(
        open_checked(&sealed(Alg::EdDSA), &p).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
}

// ---- WRONG_TYPE, NOT_YET_VALID, EXPIRED, REPLAYED ----

#[test]
fn wrong_type() {
    for &alg in Alg::ALL {
        assert_eq!(
            open_with(&sealed(alg), NOW, "card.limits.reset", Some(41), 60),
            Err(Rejection::WrongType)
        );
    }
}

#[test]
fn expired_exactly_at_exp() {
    for &alg in Alg::ALL {
        let bytes = sealed(alg);
        let exp = params(alg).expires_at;
        assert!(open_with(&bytes, exp - 1, "card.limits.set", None, 0).is_ok());
        assert_eq!(
            open_with(&bytes, exp, "card.limits.set", None, 0),
            Err(Rejection::Expired)
        );
        // The skew does not extend the expiry.
        assert_eq!(
            open_with(&bytes, exp, "card.limits.set", None, CLOCK_SKEW_S_MAX),
            Err(Rejection::Expired)
        );
    }
}

#[test]
fn not_yet_valid_beyond_skew() {
    for &alg in Alg::ALL {
        let bytes = sealed(alg);
        let iat = params(alg).issued_at;
        // iat = now + skew: accepted; iat = now + skew + 1: not yet valid.
        assert!(open_with(&bytes, iat - 60, "card.limits.set", None, 60).is_ok());
        assert_eq!(
            open_with(&bytes, iat - 61, "card.limits.set", None, 60),
            Err(Rejection::NotYetValid)
        );
        assert!(open_with(&bytes, iat, "card.limits.set", None, 0).is_ok());
        assert_eq!(
            open_with(&bytes, iat - 1, "card.limits.set", None, 0),
            Err(Rejection::NotYetValid)
        );
    }
}

#[test]
fn replay_equal_and_lower_seq() {
    for &alg in Alg::ALL {
        let bytes = sealed(alg);
        assert_eq!(
            open_with(&bytes, NOW, "card.limits.set", Some(42), 0),
            Err(Rejection::Replayed)
        );
        assert_eq!(
            open_with(&bytes, NOW, "card.limits.set", Some(1000), 0),
            Err(Rejection::Replayed)
        );
        assert_eq!(
            open_with(&bytes, NOW, "card.limits.set", Some(u64::MAX), 0),
            Err(Rejection::Replayed)
        );
        assert!(open_with(&bytes, NOW, "card.limits.set", Some(41), 0).is_ok());
        assert!(open_with(&bytes, NOW, "card.limits.set", Some(0), 0).is_ok());
    }
}

#[test]
fn check_order_gives_exactly_one_code() {
    let bytes = sealed(Alg::EdDSA);
    let exp = params(Alg::EdDSA).expires_at;
    // Wrong type + expired + replayed => WRONG_TYPE.
    assert_eq!(
        open_with(&bytes, exp, "other", Some(42), 0),
        Err(Rejection::WrongType)
    );
    // Expired + replayed => EXPIRED.
    assert_eq!(
        open_with(&bytes, exp, "card.limits.set", Some(42), 0),
        Err(Rejection::Expired)
    );
    // Not yet valid + replayed => NOT_YET_VALID.
    assert_eq!(
        open_with(&bytes, NOW - 1000, "card.limits.set", Some(42), 0),
        Err(Rejection::NotYetValid)
    );
    // Bad signature + wrong type + expired => BAD_SIGNATURE.
    let mut t = bytes.clone();
    let n = t.len();
    t[n - 1] ^= 1;
    assert_eq!(
        open_with(&t, exp, "other", Some(42), 0),
        Err(Rejection::BadSignature)
    );
    // Unknown key + bad signature => UNKNOWN_KEY.
    let other = seal(&SealParams {
        key_id: "nobody",
        secret_key: &[0x44; 32],
        ..params(Alg::EdDSA)
    })
    .unwrap();
    assert_eq!(open_default(&other), Err(Rejection::UnknownKey));
    // Malformed + everything => MALFORMED.
    t.push(0);
    assert_eq!(
        open_with(&t, exp, "other", Some(42), 0),
        Err(Rejection::Malformed)
    );
}

// ---- MALFORMED ----

#[test]
fn truncated_is_malformed() {
    for &alg in Alg::ALL {
        let bytes = sealed(alg);
        for len in 0..bytes.len() {
            assert_eq!(
                open_default(&bytes[..len]),
                Err(Rejection::Malformed),
                "{alg:?} prefix {len}"
            );
        }
    }
}

#[test]
fn trailing_byte_is_malformed() {
    for &alg in Alg::ALL {
        for extra in [&[0x00][..], &[0xff], &[0xf6], &[0x40]] {
            let mut t = sealed(alg);
            t.extend_from_slice(extra);
            assert_eq!(open_default(&t), Err(Rejection::Malformed));
        }
    }
}

#[test]
fn oversized_input_is_malformed() {
    let mut t = sealed(Alg::EdDSA);
    t.resize(ENVELOPE_BYTES_MAX + 1, 0);
    assert_eq!(open_default(&t), Err(Rejection::Malformed));
}

/// Protected header with the seq value encoded non-canonically (`1b 00..2a` instead of `18 2a`),
/// correctly signed: only the canonical-form check can refuse it.
#[test]
fn non_canonical_int_in_header_is_malformed() {
    for &alg in Alg::ALL {
        let canonical = cbor::encode_protected(&header(alg)).unwrap();
        let n = canonical.len();
        assert_eq!(&canonical[n - 2..], &[0x18, 0x2a]);
        let mut variants = Vec::new();
        // seq as 8-byte integer.
        let mut v = canonical[..n - 2].to_vec();
        v.extend_from_slice(&[0x1b, 0, 0, 0, 0, 0, 0, 0, 0x2a]);
        variants.push(v);
        // seq as 2-byte integer.
        let mut v = canonical[..n - 2].to_vec();
        v.extend_from_slice(&[0x19, 0x00, 0x2a]);
        variants.push(v);
        // alg label 1 as `18 01`.
        let mut v = vec![0xa6, 0x18, 0x01];
        v.extend_from_slice(&canonical[2..]);
        variants.push(v);
        // map head with a 1-byte length `b8 06`.
        let mut v = vec![0xb8, 0x06];
        v.extend_from_slice(&canonical[1..]);
        variants.push(v);
        // Indefinite-length map `bf ... ff`.
        let mut v = vec![0xbf];
        v.extend_from_slice(&canonical[1..]);
        v.push(0xff);
        variants.push(v);
        for (i, protected) in variants.iter().enumerate() {
            let bytes = signed_raw(alg, protected, &[0xa0], params(alg).payload);
            assert_eq!(
                open_default(&bytes),
                Err(Rejection::Malformed),
                "{alg:?} variant {i}"
            );
        }
        // Control: the canonical header assembled the same way opens.
        let bytes = signed_raw(alg, &canonical, &[0xa0], params(alg).payload);
        assert_eq!(bytes, sealed(alg));
        assert!(open_default(&bytes).is_ok());
    }
}

/// Non-shortest lengths in the *outer* structure keep the signature valid (the Sig_structure
/// re-encodes the byte strings), so only the canonical check refuses them.
#[test]
fn non_canonical_outer_structure_is_malformed() {
    let bytes = sealed(Alg::EdDSA);
    let s = cbor::decode_sign1(&bytes).unwrap();
    let sig = s.signature;
    let long_bstr = |b: &[u8]| {
        let mut v = vec![0x59];
        v.extend_from_slice(&(b.len() as u16).to_be_bytes());
        v.extend_from_slice(b);
        v
    };
    let build = |head: &[u8], protected: Vec<u8>, payload: Vec<u8>, signature: Vec<u8>| {
        let mut v = head.to_vec();
        v.extend(protected);
        v.push(0xa0);
        v.extend(payload);
        v.extend(signature);
        v
    };
    let cases = [
        build(
            &[0xd2, 0x84],
            long_bstr(s.protected),
            bstr(s.payload),
            bstr(sig),
        ),
        build(
            &[0xd2, 0x84],
            bstr(s.protected),
            long_bstr(s.payload),
            bstr(sig),
        ),
        build(
            &[0xd2, 0x84],
            bstr(s.protected),
            bstr(s.payload),
            long_bstr(sig),
        ),
        build(
            &[0xd8, 0x12, 0x84],
            bstr(s.protected),
            bstr(s.payload),
            bstr(sig),
        ),
        build(
            &[0xd2, 0x98, 0x04],
            bstr(s.protected),
            bstr(s.payload),
            bstr(sig),
        ),
    ];
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(open_default(c), Err(Rejection::Malformed), "case {i}");
    }
    // Untagged.
    assert_eq!(open_default(&bytes[1..]), Err(Rejection::Malformed));
    // Indefinite-length array.
    let mut v = vec![0xd2, 0x9f];
    v.extend_from_slice(&bytes[2..]);
    v.push(0xff);
    assert_eq!(open_default(&v), Err(Rejection::Malformed));
    // Other tag (COSE_Sign = 98).
    let mut v = vec![0xd8, 0x62];
    v.extend_from_slice(&bytes[1..]);
    assert_eq!(open_default(&v), Err(Rejection::Malformed));
}

#[test]
fn non_empty_unprotected_header_is_malformed() {
    for &alg in Alg::ALL {
        let protected = cbor::encode_protected(&header(alg)).unwrap();
        let payload = params(alg).payload;
        // {4: h'6b6964'} (a kid in the unprotected header), {} as `b8 00`, indefinite {}.
        for unprotected in [
            &[0xa1, 0x04, 0x43, 0x6b, 0x69, 0x64][..],
            &[0xb8, 0x00],
            &[0xbf, 0xff],
            &[0xf6],
            &[0x40],
        ] {
            let bytes = signed_raw(alg, &protected, unprotected, payload);
            assert_eq!(
                open_default(&bytes),
                Err(Rejection::Malformed),
                "{}",
                hex::encode(unprotected)
            );
        }
    }
}

/// Re-encodes a protected header from a list of raw `(label, value)` CBOR items.
fn raw_map(entries: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut v = Vec::new();
    let mut e = Encoder::new(&mut v);
    e.map(entries.len() as u64).unwrap();
    for (k, val) in entries {
        v.extend_from_slice(k);
        v.extend_from_slice(val);
    }
    v
}

#[test]
fn header_label_set_and_values_are_strict() {
    let alg = Alg::EdDSA;
    let enc = |f: &dyn Fn(&mut Encoder<&mut Vec<u8>>)| {
        let mut v = Vec::new();
        f(&mut Encoder::new(&mut v));
        v
    };
    let alg_v = enc(&|e| {
        e.i64(-8).unwrap();
    });
    let kid_v = bstr(b"app-key-1");
    let claims_v = enc(&|e| {
        e.map(2)
            .unwrap()
            .u8(4)
            .unwrap()
            .i64(NOW + 300)
            .unwrap()
            .u8(6)
            .unwrap()
            .i64(NOW - 10)
            .unwrap();
    });
    let typ_v = enc(&|e| {
        e.str("card.limits.set").unwrap();
    });
    let ver_v = vec![0x01];
    let seq_v = vec![0x18, 0x2a];
    let (l1, l4, l15, l16, lv, ls) = (
        &[0x01][..],
        &[0x04][..],
        &[0x0f][..],
        &[0x10][..],
        &[0x3a, 0, 1, 0, 0][..],
        &[0x3a, 0, 1, 0, 1][..],
    );
    let good: Vec<(&[u8], &[u8])> = vec![
        (l1, &alg_v),
        (l4, &kid_v),
        (l15, &claims_v),
        (l16, &typ_v),
        (lv, &ver_v),
        (ls, &seq_v),
    ];
    // Control.
    let bytes = signed_raw(alg, &raw_map(&good), &[0xa0], params(alg).payload);
    assert!(open_default(&bytes).is_ok());

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // Swapped order (4 before 1).
    let mut m = good.clone();
    m.swap(0, 1);
    cases.push(("order", raw_map(&m)));
    // Duplicate label (kid twice, replacing typ).
    let mut m = good.clone();
    m[3] = (l4, &kid_v);
    cases.push(("duplicate", raw_map(&m)));
    // Extra unknown label 3 (content type) => 7 entries.
    let ct: Vec<u8> = vec![0x03];
    let ct_v = enc(&|e| {
        e.str("application/json").unwrap();
    });
    let mut m = good.clone();
    m.insert(2, (&ct, &ct_v));
    cases.push(("extra label", raw_map(&m)));
    // Missing seq.
    cases.push(("missing", raw_map(&good[..5])));
    // Unsupported alg (-7 ES256).
    let es256 = vec![0x26];
    let mut m = good.clone();
    m[0] = (l1, &es256);
    cases.push(("alg -7", raw_map(&m)));
    // kid as tstr instead of bstr.
    let kid_t = enc(&|e| {
        e.str("app-key-1").unwrap();
    });
    let mut m = good.clone();
    m[1] = (l4, &kid_t);
    cases.push(("kid tstr", raw_map(&m)));
    // kid not UTF-8 / empty / control char / too long.
    let kid_bad = bstr(&[0xff, 0xfe]);
    let kid_empty = bstr(b"");
    let kid_ctrl = bstr(b"key\n1");
    let kid_long = bstr(&[b'k'; KEY_ID_BYTES_MAX + 1]);
    for (name, k) in [
        ("kid utf8", &kid_bad),
        ("kid empty", &kid_empty),
        ("kid control", &kid_ctrl),
        ("kid long", &kid_long),
    ] {
        let mut m = good.clone();
        m[1] = (l4, k);
        cases.push((name, raw_map(&m)));
    }
    // typ with uppercase / as uint (RFC 9596 allows a CoAP content format; we do not).
    let typ_upper = enc(&|e| {
        e.str("Card").unwrap();
    });
    let typ_uint = vec![0x18, 0x32];
    for (name, t) in [("typ upper", &typ_upper), ("typ uint", &typ_uint)] {
        let mut m = good.clone();
        m[3] = (l16, t);
        cases.push((name, raw_map(&m)));
    }
    // Claims: exp == iat; iat first; extra claim; float exp.
    let same = enc(&|e| {
        e.map(2)
            .unwrap()
            .u8(4)
            .unwrap()
            .i64(NOW)
            .unwrap()
            .u8(6)
            .unwrap()
            .i64(NOW)
            .unwrap();
    });
    let swapped = enc(&|e| {
        e.map(2)
            .unwrap()
            .u8(6)
            .unwrap()
            .i64(NOW - 10)
            .unwrap()
            .u8(4)
            .unwrap()
            .i64(NOW + 300)
            .unwrap();
    });
    let extra = enc(&|e| {
        e.map(3)
            .unwrap()
            .u8(4)
            .unwrap()
            .i64(NOW + 300)
            .unwrap()
            .u8(5)
            .unwrap()
            .i64(NOW)
            .unwrap()
            .u8(6)
            .unwrap()
            .i64(NOW - 10)
            .unwrap();
    });
    let float = enc(&|e| {
        e.map(2)
            .unwrap()
            .u8(4)
            .unwrap()
            .f64((NOW + 300) as f64)
            .unwrap()
            .u8(6)
            .unwrap()
            .i64(NOW - 10)
            .unwrap();
    });
    for (name, c) in [
        ("exp == iat", &same),
        ("claims order", &swapped),
        ("extra claim", &extra),
        ("float exp", &float),
    ] {
        let mut m = good.clone();
        m[2] = (l15, c);
        cases.push((name, raw_map(&m)));
    }
    // version > u32::MAX; negative seq.
    let big_ver = vec![0x1b, 0, 0, 0, 1, 0, 0, 0, 0];
    let mut m = good.clone();
    m[4] = (lv, &big_ver);
    cases.push(("version > u32", raw_map(&m)));
    let neg_seq = vec![0x20];
    let mut m = good.clone();
    m[5] = (ls, &neg_seq);
    cases.push(("negative seq", raw_map(&m)));
    // Empty protected header (`h''` and `h'a0'`).
    cases.push(("empty bstr", vec![]));
    cases.push(("empty map", vec![0xa0]));

    for (name, protected) in cases {
        let bytes = signed_raw(alg, &protected, &[0xa0], params(alg).payload);
        assert_eq!(open_default(&bytes), Err(Rejection::Malformed), "{name}");
    }
}

#[test]
fn wrong_signature_length_or_oversized_payload_is_malformed() {
    let bytes = sealed(Alg::EdDSA);
    let s = cbor::decode_sign1(&bytes).unwrap();
    let v = cbor::encode_sign1(s.protected, s.payload, &s.signature[..63]).unwrap();
    assert_eq!(open_default(&v), Err(Rejection::Malformed));
    let mut long = s.signature.to_vec();
    long.push(0);
    let v = cbor::encode_sign1(s.protected, s.payload, &long).unwrap();
    assert_eq!(open_default(&v), Err(Rejection::Malformed));
    let big = vec![0u8; PAYLOAD_BYTES_MAX + 1];
    let v = signed_raw(Alg::EdDSA, s.protected, &[0xa0], &big);
    assert_eq!(open_default(&v), Err(Rejection::Malformed));
    // Nil payload (detached) is not accepted.
    let mut v = vec![0xd2, 0x84];
    v.extend(bstr(s.protected));
    v.push(0xa0);
    v.push(0xf6);
    v.extend(bstr(s.signature));
    assert_eq!(open_default(&v), Err(Rejection::Malformed));
}

// ---- seal input errors ----

#[test]
fn seal_field_errors_name_the_field() {
    let long_kid = "k".repeat(KEY_ID_BYTES_MAX + 1);
    let long_type = "t".repeat(TYPE_CHARS_MAX + 1);
    let big = vec![0u8; PAYLOAD_BYTES_MAX + 1];
    let base = params(Alg::EdDSA);
    let cases: Vec<(SealParams<'_>, ErrorCode, &str)> = vec![
        (
            SealParams { key_id: "", ..base },
            ErrorCode::EnvelopeFieldInvalid,
            "keyId",
        ),
        (
            SealParams {
                key_id: &long_kid,
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "keyId",
        ),
        (
            SealParams {
                key_id: "a\u{7}b",
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "keyId",
        ),
        (
            SealParams {
                msg_type: "",
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "type",
        ),
        (
            SealParams {
                msg_type: &long_type,
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "type",
        ),
        (
            SealParams {
                msg_type: "Card",
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "type",
        ),
        (
            SealParams {
                msg_type: "card limits",
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "type",
        ),
        (
            SealParams {
                msg_type: "carté",
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "type",
        ),
        (
            SealParams {
                expires_at: base.issued_at,
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "expiresAt",
        ),
        (
            SealParams {
                expires_at: base.issued_at - 1,
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "expiresAt",
        ),
        (
            SealParams {
                payload: &big,
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "payload",
        ),
        (
            SealParams {
                secret_key: &[1; 31],
                ..base
            },
            ErrorCode::KeyInvalid,
            "secretKey",
        ),
        (
            SealParams {
                alg: Alg::ES256K,
                secret_key: &[0; 32],
                ..base
            },
            ErrorCode::KeyInvalid,
            "secretKey",
        ),
        (
            SealParams {
                alg: Alg::ES256K,
                secret_key: &[0xff; 32],
                ..base
            },
            ErrorCode::KeyInvalid,
            "secretKey",
        ),
    ];
    for (p, code, param) in cases {
        let e = seal(&p).unwrap_err();
        assert_eq!((e.code(), e.param()), (code, param), "{e}");
    }
    // Accepted edge values.
    assert!(seal(&SealParams {
        msg_type: "a0.-/+z",
        key_id: "clé-1 ✓",
        ..base
    })
    .is_ok());
}

#[test]
fn validate_open_params_errors() {
    let ed = ed_pk();
    let k1 = k1_pk();
    let ok_keys = [
        TrustedKey {
            key_id: "a",
            alg: Alg::EdDSA,
            public_key: &ed,
        },
        TrustedKey {
            key_id: "a",
            alg: Alg::ES256K,
            public_key: &k1,
        },
    ];
    let base = OpenParams {
        trusted_keys: &ok_keys,
        now: NOW,
        expected_type: "card.limits.set",
        last_seq: None,
        max_clock_skew_s: 60,
    };
    assert!(validate_open_params(&base).is_ok());
    let dup = [ok_keys[0], ok_keys[0]];
    let bad_ed = [TrustedKey {
        key_id: "a",
        alg: Alg::EdDSA,
        public_key: &k1,
    }];
    let bad_k1 = [TrustedKey {
        key_id: "a",
        alg: Alg::ES256K,
        public_key: &ed,
    }];
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak_ed = [TrustedKey {
        key_id: "a",
        alg: Alg::EdDSA,
        public_key: &identity,
    }];
    let bad_kid = [TrustedKey {
        key_id: "",
        alg: Alg::EdDSA,
        public_key: &ed,
    }];
    let cases: Vec<(OpenParams<'_>, ErrorCode, &str)> = vec![
        (
            OpenParams {
                trusted_keys: &dup,
                ..base
            },
            ErrorCode::InvalidArgument,
            "trustedKeys",
        ),
        (
            OpenParams {
                trusted_keys: &bad_ed,
                ..base
            },
            ErrorCode::KeyInvalid,
            "trustedKeys",
        ),
        (
            OpenParams {
                trusted_keys: &bad_k1,
                ..base
            },
            ErrorCode::KeyInvalid,
            "trustedKeys",
        ),
        (
            OpenParams {
                trusted_keys: &weak_ed,
                ..base
            },
            ErrorCode::KeyInvalid,
            "trustedKeys",
        ),
        (
            OpenParams {
                trusted_keys: &bad_kid,
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "trustedKeys",
        ),
        (
            OpenParams {
                expected_type: "",
                ..base
            },
            ErrorCode::EnvelopeFieldInvalid,
            "expectedType",
        ),
        (
            OpenParams {
                max_clock_skew_s: CLOCK_SKEW_S_MAX + 1,
                ..base
            },
            ErrorCode::InvalidArgument,
            "maxClockSkewS",
        ),
    ];
    for (p, code, param) in cases {
        let e = open_checked(&sealed(Alg::EdDSA), &p).unwrap_err();
        assert_eq!((e.code(), e.param()), (code, param), "{e}");
    }
    // open_checked passes rejections through.
    let ok = open_checked(
        &sealed(Alg::EdDSA),
        &OpenParams {
            trusted_keys: &ok_keys[..1],
            ..base
        },
    )
    .unwrap();
    assert_eq!(ok, Err(Rejection::UnknownKey));
}

#[test]
fn names_and_codes() {
    for &alg in Alg::ALL {
        assert_eq!(Alg::from_name(alg.as_str()).unwrap(), alg);
        assert_eq!(Alg::from_cose_label(alg.cose_label()), Some(alg));
    }
    let e = Alg::from_name("ES256").unwrap_err();
    assert_eq!(
        (e.code(), e.param()),
        (ErrorCode::AlgorithmUnsupported, "algorithm")
    );
    assert!(Alg::from_name("eddsa").is_err());
    let mut seen = std::collections::HashSet::new();
    for r in Rejection::ALL {
        assert!(seen.insert(r.as_str()));
        assert!(r
            .as_str()
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_'));
        assert!(!r.description().is_empty());
        assert_eq!(r.to_string(), r.as_str());
    }
    assert_eq!(seen.len(), 7);
}

#[test]
fn times_outside_the_js_safe_range_are_refused() {
    for (issued_at, expires_at, field) in [
        (-TIME_S_MAX - 1, 0, "issuedAt"),
        (0, TIME_S_MAX + 1, "expiresAt"),
        (i64::MIN, i64::MAX, "issuedAt"),
    ] {
        let p = SealParams {
            alg: Alg::EdDSA,
            secret_key: secret(Alg::EdDSA),
            key_id: "k",
            msg_type: "t",
            version: 1,
            seq: 1,
            issued_at,
            expires_at,
            payload: b"",
        };
        let err = seal(&p).unwrap_err();
        assert_eq!((err.code(), err.param()), (crate::ErrorCode::EnvelopeFieldInvalid, field));
    }
}
