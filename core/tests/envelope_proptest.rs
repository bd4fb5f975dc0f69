//! Property tests of the envelope parser: `open` never panics, and no change to a valid envelope
//! is ever accepted.
//!
//! Case counts are high on purpose (the parser is the attack surface); `PROPTEST_CASES` overrides
//! them for a quicker local run.

use countersign_core::crypto::{ed25519, secp256k1};
use countersign_core::envelope::{open, seal, Alg, OpenParams, Rejection, SealParams, TrustedKey};
use proptest::prelude::*;

const ED_SK: [u8; 32] = [0x5a; 32];
const K1_SK: [u8; 32] = [0x6b; 32];
const NOW: i64 = 1_750_000_000;
const TYPE: &str = "relay.token";

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn sealed(alg: Alg, payload: &[u8], seq: u64) -> Vec<u8> {
    let secret_key: &[u8] = match alg {
        Alg::EdDSA => &ED_SK,
        Alg::ES256K => &K1_SK,
    };
    seal(&SealParams {
        alg,
        secret_key,
        key_id: "k1",
        msg_type: TYPE,
        version: 3,
        seq,
        issued_at: NOW - 5,
        expires_at: NOW + 60,
        payload,
    })
    .unwrap()
}

fn open_it(bytes: &[u8]) -> Result<countersign_core::envelope::Opened, Rejection> {
    let ed = ed25519::public_key(&ED_SK).unwrap();
    let k1 = secp256k1::public_key(&K1_SK, true).unwrap();
    let keys = [
        TrustedKey {
            key_id: "k1",
            alg: Alg::EdDSA,
            public_key: &ed,
        },
        TrustedKey {
            key_id: "k1",
            alg: Alg::ES256K,
            public_key: &k1,
        },
    ];
    open(
        bytes,
        &OpenParams {
            trusted_keys: &keys,
            now: NOW,
            expected_type: TYPE,
            last_seq: Some(1),
            max_clock_skew_s: 30,
        },
    )
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        value: u8,
    },
    Insert {
        at: usize,
        value: u8,
    },
    Delete {
        at: usize,
    },
    Truncate {
        len: usize,
    },
    Append {
        bytes: Vec<u8>,
    },
    /// Overwrite a run of bytes (e.g. a whole length or integer head).
    Splice {
        at: usize,
        bytes: Vec<u8>,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Insert { at, value }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        proptest::collection::vec(any::<u8>(), 1..8).prop_map(|bytes| Mutation::Append { bytes }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..10)
        )
            .prop_map(|(at, bytes)| Mutation::Splice { at, bytes }),
    ]
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut v = bytes.to_vec();
    let n = v.len();
    match m {
        Mutation::FlipBit { at, bit } => v[at % n] ^= 1 << bit,
        Mutation::SetByte { at, value } => v[at % n] = *value,
        Mutation::Insert { at, value } => v.insert(at % (n + 1), *value),
        Mutation::Delete { at } => {
            v.remove(at % n);
        }
        Mutation::Truncate { len } => v.truncate(len % n),
        Mutation::Append { bytes } => v.extend_from_slice(bytes),
        Mutation::Splice { at, bytes } => {
            let start = at % n;
            for (i, b) in bytes.iter().enumerate() {
                if let Some(slot) = v.get_mut(start + i) {
                    *slot = *b;
                }
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(20_000), failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes: never a panic, never accepted.
    #[test]
    fn open_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(open_it(&bytes).is_err());
    }

    /// Arbitrary bytes behind a valid-looking prefix (tag 18, array of 4, a bstr header): reaches
    /// deeper into the parser than uniform noise.
    #[test]
    fn open_never_panics_on_prefixed_noise(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = vec![0xd2, 0x84, 0x58];
        bytes.extend_from_slice(&tail);
        prop_assert!(open_it(&bytes).is_err());
    }

    /// One to three random edits of a valid envelope: rejected unless the bytes are unchanged.
    #[test]
    fn mutated_envelope_is_rejected(
        ed in any::<bool>(),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        seq in 2u64..u64::MAX,
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let alg = if ed { Alg::EdDSA } else { Alg::ES256K };
        let original = sealed(alg, &payload, seq);
        prop_assert!(open_it(&original).is_ok());
        let mut mutated = original.clone();
        for m in &mutations {
            if mutated.is_empty() {
                break;
            }
            mutated = apply(&mutated, m);
        }
        let result = open_it(&mutated);
        if mutated == original {
            prop_assert!(result.is_ok());
        } else {
            prop_assert!(result.is_err(), "mutation accepted: {:?}", mutations);
        }
    }
}
