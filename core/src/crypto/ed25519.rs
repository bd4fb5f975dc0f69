//! Ed25519 (RFC 8032) with strict verification.
//!
//! Verification follows `ed25519-dalek`'s `verify_strict` and adds one check of our own:
//! - `S` must be canonical (`S < ℓ`), so a signature cannot be re-encoded (malleability);
//! - `R` must be canonically encoded and not of small order;
//! - the public key `A` must be canonically encoded (re-compressing the decoded point gives the
//!   same 32 bytes) and not of small order. `verify_strict` hashes the key bytes as given and
//!   only rejects small-order points, so it would accept one of the few non-canonical encodings
//!   of a large-order point; we reject them so that one key has exactly one accepted encoding.
//!
//! This is the "strict" profile (as opposed to ZIP-215's batch-compatible rules, which accept
//! non-canonical and small-order points); every Wycheproof Ed25519 case passes with it.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

/// Length of an Ed25519 secret key (the RFC 8032 seed) in bytes.
pub const SECRET_KEY_LEN: usize = 32;
/// Length of an Ed25519 public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature (`R‖S`) in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// Builds the signing key from the caller's 32 secret bytes.
///
/// The copy of the secret made to get a fixed-size array is zeroised when it goes out of scope;
/// `SigningKey` zeroises itself on drop (crate feature `zeroize`).
fn signing_key(secret_key: &[u8]) -> Result<SigningKey> {
    let seed: Zeroizing<[u8; SECRET_KEY_LEN]> =
        Zeroizing::new(secret_key.try_into().map_err(|_| {
            Error::new(
                ErrorCode::KeyInvalid,
                "secretKey",
                format!(
                    "must be {SECRET_KEY_LEN} bytes for Ed25519, got {}",
                    secret_key.len()
                ),
            )
        })?);
    // Every 32-byte string is a valid Ed25519 seed (it is hashed and clamped), so no other check.
    Ok(SigningKey::from_bytes(&seed))
}

/// The public key of a 32-byte secret key (seed).
///
/// Errors: `KEY_INVALID` (param `secretKey`) if `secret_key` is not 32 bytes.
pub fn public_key(secret_key: &[u8]) -> Result<[u8; PUBLIC_KEY_LEN]> {
    Ok(signing_key(secret_key)?.verifying_key().to_bytes())
}

/// Signs `message` (pure Ed25519, no pre-hash, no context). Deterministic by construction.
///
/// Errors: `KEY_INVALID` (param `secretKey`) if `secret_key` is not 32 bytes.
pub fn sign(secret_key: &[u8], message: &[u8]) -> Result<[u8; SIGNATURE_LEN]> {
    Ok(signing_key(secret_key)?.sign(message).to_bytes())
}

/// Parses a public key, accepting only canonical encodings of points that are not of small order.
///
/// Used by the envelope to validate trusted keys up front.
pub(crate) fn parse_public_key(public_key: &[u8]) -> Option<VerifyingKey> {
    let bytes: &[u8; PUBLIC_KEY_LEN] = public_key.try_into().ok()?;
    let key = VerifyingKey::from_bytes(bytes).ok()?;
    // `from_bytes` accepts a y coordinate ≥ p (reduced silently) and the "negative zero" x; the
    // canonical encoding of the decoded point must be exactly the input.
    if key.to_edwards().compress().to_bytes() != *bytes {
        return None;
    }
    if key.is_weak() {
        return None;
    }
    Some(key)
}

/// Whether `signature` is a valid strict Ed25519 signature of `message` under `public_key`.
///
/// Any malformed input (wrong lengths, non-canonical or small-order points, `S ≥ ℓ`) gives
/// `false`, never an error.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Some(key) = parse_public_key(public_key) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    // verify_strict: S canonical, R not small order, R canonical (the recomputed R is compared
    // with the given bytes), A not small order.
    key.verify_strict(message, &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 8032 §7.1, TEST 1..3: (secret key, public key, message, signature).
    const RFC8032: [(&str, &str, &str, &str); 3] = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ];

    #[test]
    fn rfc8032_vectors_sign_and_verify() {
        for (sk, pk, msg, sig) in RFC8032 {
            let (sk, pk, msg, sig) = (h(sk), h(pk), h(msg), h(sig));
            assert_eq!(public_key(&sk).unwrap().to_vec(), pk);
            assert_eq!(sign(&sk, &msg).unwrap().to_vec(), sig);
            assert!(verify(&pk, &msg, &sig));
            let mut bad = sig.clone();
            bad[0] ^= 1;
            assert!(!verify(&pk, &msg, &bad));
            assert!(!verify(&pk, b"other", &sig));
        }
    }

    #[test]
    fn wrong_secret_key_length_is_key_invalid() {
        for len in [0usize, 31, 33, 64] {
            let e = public_key(&vec![7u8; len]).unwrap_err();
            assert_eq!(e.code(), ErrorCode::KeyInvalid);
            assert_eq!(e.param(), "secretKey");
            assert_eq!(
                sign(&vec![7u8; len], b"m").unwrap_err().code(),
                ErrorCode::KeyInvalid
            );
        }
    }

    #[test]
    fn malformed_inputs_verify_false() {
        let (sk, pk) = (h(RFC8032[0].0), h(RFC8032[0].1));
        let sig = sign(&sk, b"m").unwrap();
        assert!(verify(&pk, b"m", &sig));
        assert!(!verify(&pk[..31], b"m", &sig));
        assert!(!verify(&pk, b"m", &sig[..63]));
        assert!(!verify(&[], b"m", &[]));
        // Identity point as public key (small order).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(!verify(&identity, b"m", &sig));
    }

    #[test]
    fn non_canonical_public_key_is_rejected() {
        // y = p + 1 ≡ 1 (the identity, also small order) and y = 2^255 - 1 (non-canonical).
        let mut y_p_plus_1 = [0xffu8; 32];
        y_p_plus_1[0] = 0xee;
        y_p_plus_1[31] = 0x7f;
        assert!(parse_public_key(&y_p_plus_1).is_none());
        // "Negative zero": x = 0 with the sign bit set (the point (0, 1) is the identity anyway).
        let mut neg_zero = [0u8; 32];
        neg_zero[0] = 1;
        neg_zero[31] = 0x80;
        assert!(parse_public_key(&neg_zero).is_none());
    }

    #[test]
    fn s_not_reduced_is_rejected() {
        let (sk, pk) = (h(RFC8032[0].0), h(RFC8032[0].1));
        let mut sig = sign(&sk, b"m").unwrap();
        // S + ℓ (still < 2^256 for this signature if no carry out): the classic malleation.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
            sig[32 + i] = v as u8;
            carry = v >> 8;
        }
        assert_eq!(carry, 0);
        assert!(!verify(&pk, b"m", &sig));
    }
}
