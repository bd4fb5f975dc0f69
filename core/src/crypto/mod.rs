//! Cryptographic primitives: SHA-256, HMAC-SHA256, constant-time comparison, Ed25519 and
//! secp256k1 ECDSA.
//!
//! Signature policy (docs/signatures.md repeats it):
//! - **Ed25519** ([`ed25519`]): RFC 8032 signing; verification refuses small-order public keys
//!   and `R` points, non-canonical encodings of the public key, of `R` and of `S` (`S ≥ ℓ`), and
//!   checks the cofactored equation, so that [`ed25519::verify_batch`] decides exactly as
//!   [`ed25519::verify`]. All 151 Wycheproof cases pass on both paths.
//! - **secp256k1 ECDSA** ([`secp256k1`]): ECDSA over SHA-256 of the message, deterministic nonces
//!   (RFC 6979), and signatures are always produced with a low `S` (BIP-62/146). Verification
//!   rejects high-`S` unless the caller opts in (`allow_high_s`), accepts only strict DER or the
//!   fixed 64-byte `r‖s` form, and only compressed (33-byte) or uncompressed (65-byte) SEC1 keys.
//!
//! Keys are inputs: the core never draws randomness. A secret key is 32 bytes the caller supplies
//! (the SDK takes them from `crypto.getRandomValues`). Copies of secret bytes made here are
//! wrapped in [`zeroize::Zeroizing`]; the signing-key types of `ed25519-dalek` and `k256` zeroise
//! themselves on drop.
//!
//! Verification functions return `bool` and never an error: a malformed key or signature is just
//! "not valid". Errors are reserved for inputs to *transformations* (signing, deriving a public key,
//! normalising a signature), where the caller must fix the call.

pub mod ed25519;
pub mod secp256k1;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Length of a SHA-256 digest in bytes.
pub const SHA256_LEN: usize = 32;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; SHA256_LEN] {
    Sha256::digest(data).into()
}

/// SHA-256 of the concatenation of `parts`, without copying them into one buffer (the ledger
/// hashes an operation's encoding minus one item this way).
pub(crate) fn sha256_parts(parts: &[&[u8]]) -> [u8; SHA256_LEN] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Block size of SHA-256 in bytes: the length of an HMAC-SHA256 key block.
const SHA256_BLOCK_LEN: usize = 64;

/// HMAC-SHA256 (RFC 2104, FIPS 198-1) of `message` under `key`.
///
/// Keys of any length are accepted, as RFC 2104 defines: a key longer than the 64-byte block is
/// hashed first, a shorter one is padded with zeros. The result is the full 32-byte tag; compare
/// tags with [`ct_eq`]. The key block copied here is zeroised on return.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; SHA256_LEN] {
    // Build the block-sized key ourselves (RFC 2104 §2, the same derivation as the `hmac`
    // crate's) so that the infallible `Mac::new` applies: `new_from_slice` returns a `Result`
    // that cannot be an error for HMAC, and the core has no unwrap.
    let mut block = Zeroizing::new([0u8; SHA256_BLOCK_LEN]);
    let hashed;
    let source: &[u8] = if key.len() > SHA256_BLOCK_LEN {
        hashed = Zeroizing::new(sha256(key));
        hashed.as_slice()
    } else {
        key
    };
    for (slot, byte) in block.iter_mut().zip(source) {
        *slot = *byte;
    }
    let mut key_block: hmac::digest::Key<Hmac<Sha256>> = (*block).into();
    let mut mac = <Hmac<Sha256> as Mac>::new(&key_block);
    zeroize::Zeroize::zeroize(&mut *key_block);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Constant-time equality of two byte strings.
///
/// The running time depends only on the lengths, never on the contents, so comparing a MAC or a
/// secret-derived value leaks nothing about where the first difference is. Inputs of different
/// lengths are unequal (lengths are not secret in any of our uses).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    // `subtle`'s slice comparison already returns 0 for different lengths; the explicit check
    // documents the contract rather than relying on it.
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answers() {
        // FIPS 180-2 examples.
        assert_eq!(
            hex::encode(sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// RFC 4231 §4: every HMAC-SHA-256 test case (case 5's output is truncated to 128 bits).
    #[test]
    fn hmac_sha256_rfc4231() {
        let cases: [(&[u8], &[u8], &str); 6] = [
            // Test case 1.
            (&[0x0b; 20], b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            // Test case 2: a key shorter than the output.
            (b"Jefe", b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            // Test case 3.
            (&[0xaa; 20], &[0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            // Test case 4.
            (
                &[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19],
                &[0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            // Test case 6: a 131-byte key (longer than the block: hashed first).
            (&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            // Test case 7.
            (
                &[0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (index, (key, message, expected)) in cases.iter().enumerate() {
            assert_eq!(
                hex::encode(hmac_sha256(key, message)),
                *expected,
                "case {index}"
            );
        }
        // Test case 5: output truncated to 128 bits.
        let tag = hmac_sha256(&[0x0c; 20], b"Test With Truncation");
        assert_eq!(hex::encode(&tag[..16]), "a3b6167473100ee06e0c796c2955552b");
    }

    /// Keys of exactly one block, one byte less and one byte more: the boundaries of the key
    /// derivation, checked against the `hmac` crate's own `new_from_slice`.
    #[test]
    fn hmac_sha256_block_boundaries_match_the_hmac_crate() {
        for len in [0usize, 1, 31, 32, 33, 63, 64, 65, 128, 200] {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
            reference.update(b"message");
            let expected: [u8; 32] = reference.finalize().into_bytes().into();
            assert_eq!(hmac_sha256(&key, b"message"), expected, "key length {len}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::money::proptest_cases(256)))]

        /// Any key and message: the same tag as the `hmac` crate's incremental interface.
        #[test]
        fn hmac_sha256_matches_the_hmac_crate(
            key in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..160),
            message in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
            reference.update(&message);
            let expected: [u8; 32] = reference.finalize().into_bytes().into();
            proptest::prop_assert_eq!(hmac_sha256(&key, &message), expected);
        }
    }

    #[test]
    fn ct_eq_compares_contents_and_lengths() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(!ct_eq(b"", b"a"));
    }
}
