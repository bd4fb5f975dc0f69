//! secp256k1 ECDSA over SHA-256: RFC 6979 deterministic signing, low-S always.
//!
//! Policy:
//! - Signing hashes the message with SHA-256 ([`sign`]) or takes a 32-byte digest
//!   ([`sign_digest`]), derives the nonce deterministically (RFC 6979 with HMAC-SHA-256, as
//!   `k256` implements it) and always returns the low-`S` form (`S ≤ n/2`, BIP-62).
//! - Verification accepts only:
//!   - public keys in SEC1 compressed (33 bytes, `02`/`03`) or uncompressed (65 bytes, `04`)
//!     form, with coordinates `< p` and on the curve. The identity (`00`), the hybrid forms
//!     (`06`/`07`) and the non-standard "compact" form (`05`) that `k256` would otherwise accept
//!     are rejected;
//!   - signatures in strict ASN.1 DER (`SEQUENCE { INTEGER r, INTEGER s }`, minimal lengths and
//!     minimal positive integers, nothing trailing: `der` 0.7 is a DER, not BER, reader) or the
//!     fixed 64-byte `r‖s` form; `r` and `s` must be in `[1, n)`;
//!   - low-`S` signatures, unless the caller passes `allow_high_s` (interoperating with signers
//!     that do not normalise). Bitcoin (BIP-146) and our envelope use the low-S-only rule.
//!
//! `k256`'s own verifier rejects high-`S`; with `allow_high_s` the signature is normalised to
//! `(r, n - s)` first, which verifies exactly when `(r, s)` does.

use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use k256::elliptic_curve::scalar::IsHigh;
use zeroize::Zeroizing;

use super::sha256;
use crate::error::{Error, ErrorCode, Result};

/// Length of a secp256k1 secret key in bytes.
pub const SECRET_KEY_LEN: usize = 32;
/// Length of a compressed SEC1 public key in bytes.
pub const PUBLIC_KEY_COMPRESSED_LEN: usize = 33;
/// Length of an uncompressed SEC1 public key in bytes.
pub const PUBLIC_KEY_UNCOMPRESSED_LEN: usize = 65;
/// Length of a compact (`r‖s`, IEEE P1363 / COSE) signature in bytes.
pub const SIGNATURE_COMPACT_LEN: usize = 64;
/// Maximum length of a DER signature on secp256k1 (2 + 2 × (2 + 33)).
pub const SIGNATURE_DER_LEN_MAX: usize = 72;
/// Length of the digest taken by [`sign_digest`] and [`verify_digest`].
pub const DIGEST_LEN: usize = 32;

/// Encoding of an ECDSA signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureFormat {
    /// ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }` (Bitcoin, X.509, Wycheproof "EcdsaVerify").
    Der,
    /// Fixed 64 bytes `r‖s`, big endian (IEEE P1363, JOSE/COSE `ES256K`).
    Compact,
}

impl SignatureFormat {
    /// Every format, in declaration order.
    pub const ALL: &'static [SignatureFormat] = &[SignatureFormat::Der, SignatureFormat::Compact];

    /// Parses the SDK's name of a format: `"der"` or `"compact"` (exact, lowercase).
    ///
    /// Errors: `ALGORITHM_UNSUPPORTED` (param `format`) for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "der" => Ok(SignatureFormat::Der),
            "compact" => Ok(SignatureFormat::Compact),
            _ => Err(Error::new(
                ErrorCode::AlgorithmUnsupported,
                "format",
                "must be \"der\" or \"compact\"",
            )),
        }
    }

    /// The name accepted by [`SignatureFormat::from_name`].
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureFormat::Der => "der",
            SignatureFormat::Compact => "compact",
        }
    }
}

/// Builds the signing key from exactly 32 secret bytes in `[1, n)`.
fn signing_key(secret_key: &[u8]) -> Result<SigningKey> {
    // `SigningKey::from_slice` would left-pad 24..31-byte inputs: insist on exactly 32 bytes so a
    // truncated key is an error, not a different key.
    let bytes: Zeroizing<[u8; SECRET_KEY_LEN]> =
        Zeroizing::new(secret_key.try_into().map_err(|_| {
            Error::new(
                ErrorCode::KeyInvalid,
                "secretKey",
                format!(
                    "must be {SECRET_KEY_LEN} bytes for secp256k1, got {}",
                    secret_key.len()
                ),
            )
        })?);
    SigningKey::from_slice(bytes.as_slice()).map_err(|_| {
        Error::new(
            ErrorCode::KeyInvalid,
            "secretKey",
            "must be a big-endian integer in [1, n) for secp256k1 (zero or ≥ the group order)",
        )
    })
}

/// The SEC1 public key of a 32-byte secret key: 33 bytes if `compressed`, else 65.
///
/// Errors: `KEY_INVALID` (param `secretKey`) for a wrong length, zero, or a value ≥ n.
pub fn public_key(secret_key: &[u8], compressed: bool) -> Result<Vec<u8>> {
    let key = signing_key(secret_key)?;
    Ok(key
        .verifying_key()
        .to_encoded_point(compressed)
        .as_bytes()
        .to_vec())
}

/// Signs a 32-byte digest: RFC 6979 deterministic nonce, low-`S`, compact `r‖s`.
///
/// Errors: `KEY_INVALID` (param `secretKey`); `INTERNAL` if the signer fails (it cannot for a
/// valid key and a 32-byte digest).
pub fn sign_digest(
    secret_key: &[u8],
    digest: &[u8; DIGEST_LEN],
) -> Result<[u8; SIGNATURE_COMPACT_LEN]> {
    let key = signing_key(secret_key)?;
    let signature: Signature = key
        .sign_prehash(digest)
        .map_err(|_| Error::new(ErrorCode::Internal, "", "secp256k1 signing failed"))?;
    // k256 already normalises; doing it again costs nothing and makes the guarantee local.
    let signature = signature.normalize_s().unwrap_or(signature);
    Ok(signature.to_bytes().into())
}

/// Signs SHA-256(`message`): RFC 6979 deterministic nonce, low-`S`, in the requested format.
///
/// Errors: `KEY_INVALID` (param `secretKey`).
pub fn sign(secret_key: &[u8], message: &[u8], format: SignatureFormat) -> Result<Vec<u8>> {
    let compact = sign_digest(secret_key, &sha256(message))?;
    match format {
        SignatureFormat::Compact => Ok(compact.to_vec()),
        SignatureFormat::Der => {
            let signature = Signature::from_slice(&compact).map_err(|_| {
                Error::new(
                    ErrorCode::Internal,
                    "",
                    "secp256k1 signature re-encoding failed",
                )
            })?;
            Ok(signature.to_der().as_bytes().to_vec())
        }
    }
}

/// Parses a SEC1 public key, accepting only the 33-byte compressed and 65-byte uncompressed forms
/// of a point on the curve other than the identity.
pub(crate) fn parse_public_key(public_key: &[u8]) -> Option<VerifyingKey> {
    let well_formed = matches!(
        (public_key.len(), public_key.first()),
        (PUBLIC_KEY_COMPRESSED_LEN, Some(0x02 | 0x03)) | (PUBLIC_KEY_UNCOMPRESSED_LEN, Some(0x04))
    );
    if !well_formed {
        return None;
    }
    // from_sec1_bytes checks coordinates < p, the curve equation (or decompresses) and rejects
    // the identity.
    VerifyingKey::from_sec1_bytes(public_key).ok()
}

/// Parses a signature in `format`; `r` and `s` in `[1, n)`. High-`S` is returned as is.
fn parse_signature(signature: &[u8], format: SignatureFormat) -> Option<Signature> {
    match format {
        SignatureFormat::Compact => Signature::from_slice(signature).ok(),
        SignatureFormat::Der => {
            if signature.len() > SIGNATURE_DER_LEN_MAX {
                return None;
            }
            Signature::from_der(signature).ok()
        }
    }
}

/// Verifies a parsed signature over a 32-byte digest with the `S` policy applied.
fn verify_parsed(
    key: &VerifyingKey,
    digest: &[u8; DIGEST_LEN],
    signature: Signature,
    allow_high_s: bool,
) -> bool {
    let signature = if bool::from(signature.s().is_high()) {
        if !allow_high_s {
            return false;
        }
        // (r, n - s) verifies exactly when (r, s) does; k256 only accepts the low form.
        signature.normalize_s().unwrap_or(signature)
    } else {
        signature
    };
    key.verify_prehash(digest, &signature).is_ok()
}

/// Whether `signature` (in `format`) is a valid ECDSA signature of SHA-256(`message`) under
/// `public_key` (SEC1, 33 or 65 bytes). High-`S` is rejected unless `allow_high_s`.
/// Malformed input gives `false`.
pub fn verify(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
    format: SignatureFormat,
    allow_high_s: bool,
) -> bool {
    let Some(key) = parse_public_key(public_key) else {
        return false;
    };
    let Some(signature) = parse_signature(signature, format) else {
        return false;
    };
    verify_parsed(&key, &sha256(message), signature, allow_high_s)
}

/// Whether the compact `r‖s` `signature_compact` is a valid ECDSA signature of the 32-byte
/// `digest` under `public_key`. High-`S` is rejected unless `allow_high_s`. Malformed input gives
/// `false`.
pub fn verify_digest(
    public_key: &[u8],
    digest: &[u8; DIGEST_LEN],
    signature_compact: &[u8],
    allow_high_s: bool,
) -> bool {
    let Some(key) = parse_public_key(public_key) else {
        return false;
    };
    let Some(signature) = parse_signature(signature_compact, SignatureFormat::Compact) else {
        return false;
    };
    verify_parsed(&key, digest, signature, allow_high_s)
}

/// Returns the low-`S` form of `signature` in the same format: `(r, n - s)` if `s > n/2`, the
/// signature unchanged otherwise (a DER input is returned re-encoded, which for strict DER is the
/// same bytes).
///
/// Errors: `SIGNATURE_INVALID` (param `signature`) if the signature is not well formed for
/// `format` (wrong length, not strict DER, `r` or `s` zero or ≥ n).
pub fn normalize_s(signature: &[u8], format: SignatureFormat) -> Result<Vec<u8>> {
    let parsed = parse_signature(signature, format).ok_or_else(|| {
        Error::new(
            ErrorCode::SignatureInvalid,
            "signature",
            match format {
                SignatureFormat::Der => {
                    "signature is not a strict DER secp256k1 ECDSA signature with r, s in [1, n)"
                }
                SignatureFormat::Compact => {
                    "signature is not a 64-byte r||s secp256k1 ECDSA signature with r, s in [1, n)"
                }
            },
        )
    })?;
    let low = parsed.normalize_s().unwrap_or(parsed);
    Ok(match format {
        SignatureFormat::Compact => low.to_bytes().to_vec(),
        SignatureFormat::Der => low.to_der().as_bytes().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// n, the order of the secp256k1 group.
    const N: &str = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    /// A fixed test key (the secret key 1 is the generator; use something less special too).
    const SK: &str = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// s' = n - s over 32-byte big-endian integers (test helper, independent of k256).
    fn n_minus(s: &[u8]) -> Vec<u8> {
        let n = h(N);
        let mut out = vec![0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let mut v = i16::from(n[i]) - i16::from(s[i]) - borrow;
            borrow = 0;
            if v < 0 {
                v += 256;
                borrow = 1;
            }
            out[i] = v as u8;
        }
        assert_eq!(borrow, 0);
        out
    }

    fn is_low(s: &[u8]) -> bool {
        // n/2 = 7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0
        s <= h("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0").as_slice()
    }

    #[test]
    fn generator_public_key() {
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(
            hex::encode(public_key(&one, true).unwrap()),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        );
        assert_eq!(
            hex::encode(public_key(&one, false).unwrap()),
            "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\
             483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
        );
    }

    #[test]
    fn compressed_and_uncompressed_keys_agree() {
        let sk = h(SK);
        let c = public_key(&sk, true).unwrap();
        let u = public_key(&sk, false).unwrap();
        assert_eq!(c.len(), 33);
        assert_eq!(u.len(), 65);
        assert_eq!(c[1..], u[1..33]);
        assert_eq!(c[0], 0x02 | (u[64] & 1));
        let sig = sign(&sk, b"hello", SignatureFormat::Der).unwrap();
        assert!(verify(&c, b"hello", &sig, SignatureFormat::Der, false));
        assert!(verify(&u, b"hello", &sig, SignatureFormat::Der, false));
        // Hybrid encoding (06/07 + x + y) of the same point is rejected.
        let mut hybrid = u.clone();
        hybrid[0] = 0x06 | (u[64] & 1);
        assert!(!verify(
            &hybrid,
            b"hello",
            &sig,
            SignatureFormat::Der,
            false
        ));
        // Compact SEC1 "05 || x" is rejected.
        let mut compact_key = c.clone();
        compact_key[0] = 0x05;
        assert!(!verify(
            &compact_key,
            b"hello",
            &sig,
            SignatureFormat::Der,
            false
        ));
        // Identity and empty.
        assert!(!verify(
            &[0x00],
            b"hello",
            &sig,
            SignatureFormat::Der,
            false
        ));
        assert!(!verify(&[], b"hello", &sig, SignatureFormat::Der, false));
    }

    #[test]
    fn invalid_secret_keys_are_key_invalid() {
        let mut n_plus_1 = h(N);
        n_plus_1[31] += 1;
        let mut n_minus_1 = h(N);
        n_minus_1[31] -= 1;
        for bad in [
            vec![0u8; 32],
            h(N),
            n_plus_1,
            vec![0xff; 32],
            vec![1u8; 31],
            vec![1u8; 33],
            vec![],
            vec![1u8; 24],
        ] {
            let e = public_key(&bad, true).unwrap_err();
            assert_eq!(e.code(), ErrorCode::KeyInvalid, "{}", hex::encode(&bad));
            assert_eq!(e.param(), "secretKey");
            assert_eq!(
                sign(&bad, b"m", SignatureFormat::Compact)
                    .unwrap_err()
                    .code(),
                ErrorCode::KeyInvalid
            );
            assert_eq!(
                sign_digest(&bad, &[0u8; 32]).unwrap_err().code(),
                ErrorCode::KeyInvalid
            );
        }
        // n - 1 is the largest valid key.
        assert!(public_key(&n_minus_1, true).is_ok());
    }

    #[test]
    fn rfc6979_deterministic_low_s_and_der_round_trip() {
        let sk = h(SK);
        let pk = public_key(&sk, true).unwrap();
        for i in 0..64u32 {
            let msg = format!("message {i}");
            let a = sign(&sk, msg.as_bytes(), SignatureFormat::Compact).unwrap();
            let b = sign(&sk, msg.as_bytes(), SignatureFormat::Compact).unwrap();
            assert_eq!(a, b, "deterministic");
            assert!(is_low(&a[32..]), "low-S");
            let der = sign(&sk, msg.as_bytes(), SignatureFormat::Der).unwrap();
            // DER decodes to the same (r, s).
            let parsed = Signature::from_der(&der).unwrap();
            assert_eq!(parsed.to_bytes().to_vec(), a);
            assert_eq!(parsed.to_der().as_bytes(), der.as_slice());
            assert!(verify(
                &pk,
                msg.as_bytes(),
                &a,
                SignatureFormat::Compact,
                false
            ));
            assert!(verify(
                &pk,
                msg.as_bytes(),
                &der,
                SignatureFormat::Der,
                false
            ));
            assert!(!verify(&pk, b"other", &a, SignatureFormat::Compact, true));
            // Digest API agrees with the message API.
            let d = sign_digest(&sk, &sha256(msg.as_bytes())).unwrap();
            assert_eq!(d.to_vec(), a);
            assert!(verify_digest(&pk, &sha256(msg.as_bytes()), &d, false));
        }
    }

    #[test]
    fn rfc6979_known_answer() {
        // Known answer for secp256k1/SHA-256 with RFC 6979 nonces (as produced by libsecp256k1,
        // python-ecdsa `sign_deterministic` and @noble/secp256k1): key 1, message "Satoshi Nakamoto".
        // Source: the widely used test set from Trezor / bitcoinjs (`fixtures/ecdsa.json`).
        let mut one = [0u8; 32];
        one[31] = 1;
        let sig = sign(&one, b"Satoshi Nakamoto", SignatureFormat::Compact).unwrap();
        assert_eq!(
            hex::encode(sig),
            "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8\
             2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"
        );
    }

    #[test]
    fn normalize_s_flips_high_s_and_keeps_low_s() {
        let sk = h(SK);
        let pk = public_key(&sk, false).unwrap();
        let low = sign(&sk, b"pay 10", SignatureFormat::Compact).unwrap();
        let mut high = low[..32].to_vec();
        high.extend(n_minus(&low[32..]));
        assert!(!is_low(&high[32..]));
        // High-S verifies only when allowed.
        assert!(!verify(
            &pk,
            b"pay 10",
            &high,
            SignatureFormat::Compact,
            false
        ));
        assert!(verify(
            &pk,
            b"pay 10",
            &high,
            SignatureFormat::Compact,
            true
        ));
        assert_eq!(normalize_s(&high, SignatureFormat::Compact).unwrap(), low);
        assert_eq!(normalize_s(&low, SignatureFormat::Compact).unwrap(), low);
        // Same in DER.
        let high_der = Signature::from_slice(&high)
            .unwrap()
            .to_der()
            .as_bytes()
            .to_vec();
        let low_der = sign(&sk, b"pay 10", SignatureFormat::Der).unwrap();
        assert!(!verify(
            &pk,
            b"pay 10",
            &high_der,
            SignatureFormat::Der,
            false
        ));
        assert!(verify(
            &pk,
            b"pay 10",
            &high_der,
            SignatureFormat::Der,
            true
        ));
        assert_eq!(
            normalize_s(&high_der, SignatureFormat::Der).unwrap(),
            low_der
        );
        assert_eq!(
            normalize_s(&low_der, SignatureFormat::Der).unwrap(),
            low_der
        );
    }

    #[test]
    fn normalize_s_rejects_malformed() {
        for (bad, fmt) in [
            (vec![0u8; 64], SignatureFormat::Compact),
            (vec![1u8; 63], SignatureFormat::Compact),
            ([h(N), vec![1u8; 32]].concat(), SignatureFormat::Compact),
            (vec![0x30, 0x00], SignatureFormat::Der),
            (vec![], SignatureFormat::Der),
            (vec![0x30; 80], SignatureFormat::Der),
        ] {
            let e = normalize_s(&bad, fmt).unwrap_err();
            assert_eq!(e.code(), ErrorCode::SignatureInvalid);
            assert_eq!(e.param(), "signature");
        }
        // BER long-form length where DER requires short form.
        let sk = h(SK);
        let der = sign(&sk, b"x", SignatureFormat::Der).unwrap();
        let mut ber = vec![0x30, 0x81, der[1]];
        ber.extend_from_slice(&der[2..]);
        assert!(normalize_s(&ber, SignatureFormat::Der).is_err());
        // Trailing byte.
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(normalize_s(&trailing, SignatureFormat::Der).is_err());
    }

    #[test]
    fn format_names() {
        for f in SignatureFormat::ALL {
            assert_eq!(SignatureFormat::from_name(f.as_str()).unwrap(), *f);
        }
        let e = SignatureFormat::from_name("DER").unwrap_err();
        assert_eq!(e.code(), ErrorCode::AlgorithmUnsupported);
        assert_eq!(e.param(), "format");
    }
}
