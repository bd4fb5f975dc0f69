//! Cryptographic primitives: SHA-256, constant-time comparison, Ed25519 and secp256k1 ECDSA.
//!
//! Signature policy (the README repeats it):
//! - **Ed25519** ([`ed25519`]): RFC 8032 signing; verification has `verify_strict` semantics —
//!   small-order public keys and `R` points are rejected, as are non-canonical encodings of the
//!   public key, of `R` and of `S` (`S ≥ ℓ`). All 151 Wycheproof cases pass.
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

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Length of a SHA-256 digest in bytes.
pub const SHA256_LEN: usize = 32;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; SHA256_LEN] {
    Sha256::digest(data).into()
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

    #[test]
    fn ct_eq_compares_contents_and_lengths() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(!ct_eq(b"", b"a"));
    }
}
