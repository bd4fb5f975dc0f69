//! Ed25519 (RFC 8032) with strict encodings and the cofactored verification equation.
//!
//! A signature `R‖S` of `M` under the public key `A` is valid when:
//! - `S` is canonical (`S < ℓ`), so a signature cannot be re-encoded (malleability);
//! - `R` is canonically encoded (its y coordinate below p) and not of small order;
//! - the public key `A` is canonically encoded (re-compressing the decoded point gives the same
//!   32 bytes) and not of small order, so that one key has exactly one accepted encoding;
//! - `[8]([S]B − R − [k]A)` is the identity, with `k = SHA-512(R‖A‖M) mod ℓ`.
//!
//! The equation is the *cofactored* one (RFC 8032 §5.1.7 allows either; ZIP-215 and
//! `@noble/curves` use it too) so that [`verify_batch`] decides exactly as [`verify`] does: with
//! the cofactorless equation of ed25519-dalek's `verify_strict`, a batch can accept a crafted
//! signature whose `R` carries a torsion component that the single check refuses (HACKING.md,
//! "Ed25519 batch verification"). The two equations differ only on such crafted points, which no
//! honest signer produces: every signature `verify_strict` or OpenSSL accepts with these encodings
//! is accepted here, and all 151 Wycheproof cases give their expected result on both paths.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use std::sync::OnceLock;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsBasepointTable, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{BasepointTable, IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

/// Length of an Ed25519 secret key (the RFC 8032 seed) in bytes.
pub const SECRET_KEY_LEN: usize = 32;
/// Length of an Ed25519 public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature (`R‖S`) in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// The basepoint's radix-16 multiples (32 × 8 points, ~30 KB of memory), built on the first
/// signature or public key instead of shipped in the module: curve25519-dalek's precomputed
/// constant is 30 KB of data gzip cannot shrink, in every module; without any table, a
/// fixed-base multiplication is a variable-base one, about 3× slower. Building it costs about
/// one scalar multiplication, once per instance. The table holds public points only.
fn basepoint_table() -> &'static EdwardsBasepointTable {
    static TABLE: OnceLock<EdwardsBasepointTable> = OnceLock::new();
    TABLE.get_or_init(|| EdwardsBasepointTable::create(&ED25519_BASEPOINT_POINT))
}

/// The RFC 8032 §5.1.5 expansion of a seed: the secret scalar `s` (the clamped first half of
/// SHA-512(seed), reduced mod ℓ, which changes no product with B) and the nonce prefix (the
/// second half). Every 32-byte string is a valid seed, so only its length is checked. The hash
/// and everything derived from it are zeroised on drop.
struct ExpandedSecret {
    scalar: Zeroizing<Scalar>,
    prefix: Zeroizing<[u8; 32]>,
    public_key: [u8; PUBLIC_KEY_LEN],
}

impl ExpandedSecret {
    fn of(secret_key: &[u8]) -> Result<ExpandedSecret> {
        let seed: &[u8; SECRET_KEY_LEN] = secret_key.try_into().map_err(|_| {
            Error::new(
                ErrorCode::KeyInvalid,
                "secretKey",
                format!("must be {SECRET_KEY_LEN} bytes for Ed25519, got {}", secret_key.len()),
            )
        })?;
        let hash: Zeroizing<[u8; 64]> = Zeroizing::new(sha512(&[seed]));
        let (low, high) = hash.split_at(32);
        let mut clamped: Zeroizing<[u8; 32]> = Zeroizing::new([0; 32]);
        clamped.copy_from_slice(low);
        if let Some(first) = clamped.first_mut() {
            *first &= 248;
        }
        if let Some(last) = clamped.last_mut() {
            *last = (*last & 127) | 64;
        }
        let scalar = Zeroizing::new(Scalar::from_bytes_mod_order(*clamped));
        let mut prefix: Zeroizing<[u8; 32]> = Zeroizing::new([0; 32]);
        prefix.copy_from_slice(high);
        let public_key = (basepoint_table() * &*scalar).compress().to_bytes();
        Ok(ExpandedSecret { scalar, prefix, public_key })
    }
}

/// SHA-512 of the parts, concatenated. One out-of-line function for every hash here: each
/// inlined `finalize` is a copy of the padding and block code in every module.
#[inline(never)]
fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut hash = Sha512::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

/// The public key of a 32-byte secret key (seed).
///
/// Errors: `KEY_INVALID` (param `secretKey`) if `secret_key` is not 32 bytes.
pub fn public_key(secret_key: &[u8]) -> Result<[u8; PUBLIC_KEY_LEN]> {
    Ok(ExpandedSecret::of(secret_key)?.public_key)
}

/// Signs `message` (pure Ed25519, RFC 8032 §5.1.6: no pre-hash, no context). Deterministic by
/// construction; constant-time in the secret (the table lookups and scalar arithmetic are).
///
/// Errors: `KEY_INVALID` (param `secretKey`) if `secret_key` is not 32 bytes.
pub fn sign(secret_key: &[u8], message: &[u8]) -> Result<[u8; SIGNATURE_LEN]> {
    let secret = ExpandedSecret::of(secret_key)?;
    let nonce_hash: Zeroizing<[u8; 64]> =
        Zeroizing::new(sha512(&[&secret.prefix[..], message]));
    let nonce = Zeroizing::new(Scalar::from_bytes_mod_order_wide(&nonce_hash));
    let r = (basepoint_table() * &*nonce).compress().to_bytes();
    let k_hash = sha512(&[&r, &secret.public_key, message]);
    // By reference: a by-value operand would leave a copy of the secret scalar (or the nonce)
    // on the stack that no Zeroizing wrapper clears.
    #[allow(clippy::op_ref)]
    let s = Scalar::from_bytes_mod_order_wide(&k_hash) * &*secret.scalar + &*nonce;
    let mut signature = [0u8; SIGNATURE_LEN];
    let (r_half, s_half) = signature.split_at_mut(32);
    r_half.copy_from_slice(&r);
    s_half.copy_from_slice(s.as_bytes());
    Ok(signature)
}

/// Parses a public key, accepting only canonical encodings of points that are not of small order.
///
/// Used by the envelope to validate trusted keys up front.
pub(crate) fn parse_public_key(public_key: &[u8]) -> Option<VerifyingKey> {
    let bytes: &[u8; PUBLIC_KEY_LEN] = public_key.try_into().ok()?;
    // `from_bytes` accepts a y coordinate ≥ p (reduced silently) and the "negative zero" x; the
    // first is refused on the bytes, the second decodes to a small-order point (y = ±1), refused
    // below. Checking the bytes instead of re-compressing the point saves a field inversion.
    if !y_below_p(bytes) {
        return None;
    }
    let key = VerifyingKey::from_bytes(bytes).ok()?;
    if key.is_weak() {
        return None;
    }
    Some(key)
}

/// The most signatures one [`verify_batch`] call checks (the SDK refuses longer lists): a bound
/// on the call's memory and time, far above what batching needs to pay off (64).
pub const BATCH_SIGNATURES_MAX: usize = 1024;

/// Whether `signature` is a valid Ed25519 signature of `message` under `public_key` (the rules
/// in the module docs).
///
/// Any malformed input (wrong lengths, non-canonical or small-order points, `S ≥ ℓ`) gives
/// `false`, never an error.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Some(key) = parse_public_key(public_key) else {
        return false;
    };
    match Parsed::of(public_key, message, signature) {
        Some(parsed) => parsed.holds_with(&-key.to_edwards()),
        None => false,
    }
}

/// One signature whose encodings passed the checks, ready for the equation.
struct Parsed {
    r: EdwardsPoint,
    s: Scalar,
    /// `k = SHA-512(R‖A‖M) mod ℓ`.
    k: Scalar,
    /// The 64-byte hash `k` was reduced from, which the batch weights are derived from.
    k_hash: [u8; 64],
}

impl Parsed {
    /// `None` when the signature is malformed (the key is checked by the caller, once per key).
    fn of(public_key: &[u8], message: &[u8], signature: &[u8]) -> Option<Parsed> {
        let signature: &[u8; 64] = signature.try_into().ok()?;
        let (r_bytes, s_bytes) = signature.split_at(32);
        let r_bytes: [u8; 32] = r_bytes.try_into().ok()?;
        if !y_below_p(&r_bytes) {
            return None;
        }
        // Below p, the only encodings decompress() takes that compress() would not give back are
        // the two with x = 0 and the sign bit set: both are small-order points, refused here.
        let r = CompressedEdwardsY(r_bytes).decompress()?;
        if r.is_small_order() {
            return None;
        }
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes.try_into().ok()?))?;
        let k_hash = sha512(&[&r_bytes, public_key, message]);
        Some(Parsed { r, s, k: Scalar::from_bytes_mod_order_wide(&k_hash), k_hash })
    }

    /// `[8]([S]B − [k]A − R) = O`, given `−A`.
    fn holds_with(&self, negated_key: &EdwardsPoint) -> bool {
        // Not `vartime_double_scalar_mul_basepoint`: with the `precomputed-tables` feature (for
        // `EdwardsBasepointTable`) it reads a 7.7 KB static table of B's multiples; the
        // multi-scalar multiplication builds B's small table at run time, like the batch.
        (EdwardsPoint::vartime_multiscalar_mul([self.k, self.s], [*negated_key, ED25519_BASEPOINT_POINT]) - self.r)
            .mul_by_cofactor()
            .is_identity()
    }
}

/// Whether y (the encoding without its sign bit) is below p = 2^255 − 19.
fn y_below_p(encoding: &[u8; 32]) -> bool {
    let top = encoding[31] & 0x7f;
    !(top == 0x7f && encoding[1..31].iter().all(|&b| b == 0xff) && encoding[0] >= 0xed)
}

/// [`verify`] for many signatures at once: `results[i]` is exactly `verify(items[i])`.
///
/// The well-formed signatures are checked [`BATCH_CHUNK_SIGNATURES`] at a time with one random
/// linear combination of their equations, `[8](Σ zᵢ([Sᵢ]B − Rᵢ − [kᵢ]Aᵢ)) = O`: one multi-scalar
/// multiplication instead of one double multiplication each, and terms of the same key merged.
/// The 128-bit weights `zᵢ` are derived from SHA-512 of every signature's `kᵢ` hash (which binds
/// `R`, `A` and `M`) and `S` (the core draws no randomness; ed25519-dalek and ZIP-215 do the
/// same), so a forged chunk passes with probability about 2^-128. When a chunk's combination
/// fails, each of its signatures is checked alone to say which ones are bad.
///
/// Errors: `LIMIT_EXCEEDED` (param `items`) for more than [`BATCH_SIGNATURES_MAX`] items.
pub fn verify_batch(items: &[(&[u8], &[u8], &[u8])]) -> Result<Vec<bool>> {
    if items.len() > BATCH_SIGNATURES_MAX {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            "items",
            format!("at most {BATCH_SIGNATURES_MAX} signatures per batch, got {}", items.len()),
        ));
    }
    let mut results = Vec::with_capacity(items.len());
    for chunk in items.chunks(BATCH_CHUNK_SIGNATURES) {
        verify_chunk(chunk, &mut results);
    }
    Ok(results)
}

/// Signatures combined into one equation. 64 keeps the multi-scalar multiplication at most
/// 129 points (B, each R, each distinct key), where curve25519-dalek uses Straus's method; a
/// larger combination gains little (the doublings are already shared by 64), and a failed chunk
/// costs at most 64 single checks.
pub const BATCH_CHUNK_SIGNATURES: usize = 64;

/// Appends one result per item of `chunk` (at most [`BATCH_CHUNK_SIGNATURES`]) to `results`.
fn verify_chunk(chunk: &[(&[u8], &[u8], &[u8])], results: &mut Vec<bool>) {
    let first = results.len();
    results.resize(first + chunk.len(), false);
    // The chunk's distinct keys: bytes, negated point, and the sum of their signatures'
    // weighted k (one term per key). At most one per item, so the searches are bounded by 64.
    let mut keys: Vec<(&[u8], EdwardsPoint, Scalar)> = Vec::with_capacity(chunk.len());
    // (result index, key index, parsed signature) of the well-formed ones.
    let mut parsed: Vec<(usize, usize, Parsed)> = Vec::with_capacity(chunk.len());
    const TRANSCRIPT_LABEL: &[u8] = b"countersign/ed25519-batch/v1";
    let mut transcript: Vec<u8> = Vec::with_capacity(TRANSCRIPT_LABEL.len() + 96 * chunk.len());
    transcript.extend_from_slice(TRANSCRIPT_LABEL);
    for (i, &(public_key, message, signature)) in chunk.iter().enumerate() {
        let key_at = match keys.iter().position(|(bytes, _, _)| *bytes == public_key) {
            Some(at) => at,
            None => match parse_public_key(public_key) {
                Some(key) => {
                    keys.push((public_key, -key.to_edwards(), Scalar::ZERO));
                    keys.len() - 1
                }
                None => continue,
            },
        };
        let Some(one) = Parsed::of(public_key, message, signature) else { continue };
        transcript.extend_from_slice(&one.k_hash);
        transcript.extend_from_slice(one.s.as_bytes());
        parsed.push((first + i, key_at, one));
    }
    if parsed.is_empty() {
        return;
    }
    let mut weights = BatchWeights { seed: sha512(&[&transcript]), block: [0; 64], next: 0 };
    // Σ zᵢSᵢ·B + Σ zᵢ·(−Rᵢ) + Σ_keys (Σ zᵢkᵢ)·(−A): positive scalars over negated points.
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars: Vec<Scalar> = Vec::with_capacity(1 + parsed.len() + keys.len());
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(1 + parsed.len() + keys.len());
    for (_, key_at, one) in &parsed {
        let z = weights.next();
        b_coefficient += z * one.s;
        scalars.push(z);
        points.push(-one.r);
        if let Some(key) = keys.get_mut(*key_at) {
            key.2 += z * one.k;
        }
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    for (_, negated_key, coefficient) in &keys {
        scalars.push(*coefficient);
        points.push(*negated_key);
    }
    let all_hold = EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity();
    for (at, key_at, one) in &parsed {
        let holds = all_hold || keys.get(*key_at).is_some_and(|(_, negated_key, _)| one.holds_with(negated_key));
        if let Some(result) = results.get_mut(*at) {
            *result = holds;
        }
    }
}

/// The batch's 128-bit weights: SHA-512(seed ‖ counter) cut into four 16-byte halves of a
/// scalar each, so one hash serves four signatures.
struct BatchWeights {
    seed: [u8; 64],
    block: [u8; 64],
    next: u64,
}

impl BatchWeights {
    fn next(&mut self) -> Scalar {
        let at = (self.next % 4) as usize * 16;
        if at == 0 {
            self.block = sha512(&[&self.seed, &(self.next / 4).to_le_bytes()]);
        }
        self.next += 1;
        let mut weight = [0u8; 32];
        if let (Some(low), Some(part)) = (weight.get_mut(..16), self.block.get(at..at + 16)) {
            low.copy_from_slice(part);
        }
        Scalar::from_bytes_mod_order(weight)
    }
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

    /// The byte-level canonical check plus the small-order refusal accepts exactly the encodings
    /// that re-compress to themselves and are not of small order: every encoding with y ≥ p (both
    /// sign bits), the negative zeros, the eight small-order points, and 4,000 pseudo-random ones.
    #[test]
    fn byte_check_accepts_exactly_the_recompressing_encodings() {
        let by_recompression = |bytes: &[u8; 32]| {
            CompressedEdwardsY(*bytes)
                .decompress()
                .is_some_and(|p| p.compress().to_bytes() == *bytes && !p.is_small_order())
        };
        let mut encodings: Vec<[u8; 32]> = Vec::new();
        for low in 0xedu8..=0xff {
            for sign in [0u8, 0x80] {
                let mut y = [0xffu8; 32];
                y[0] = low;
                y[31] = 0x7f | sign;
                encodings.push(y);
            }
        }
        for point in curve25519_dalek::constants::EIGHT_TORSION {
            let canonical = point.compress().to_bytes();
            encodings.push(canonical);
            let mut flipped = canonical;
            flipped[31] ^= 0x80;
            encodings.push(flipped);
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..4000 {
            let mut bytes = [0u8; 32];
            for b in &mut bytes {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                *b = (state >> 56) as u8;
            }
            encodings.push(bytes);
        }
        let mut accepted = 0;
        for bytes in &encodings {
            let want = by_recompression(bytes);
            assert_eq!(parse_public_key(bytes).is_some(), want, "key {}", hex::encode(bytes));
            let as_r = y_below_p(bytes)
                && CompressedEdwardsY(*bytes).decompress().is_some_and(|p| !p.is_small_order());
            assert_eq!(as_r, want, "R {}", hex::encode(bytes));
            accepted += usize::from(want);
        }
        assert!(accepted > 1000, "about half of random strings are points: {accepted}");
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
    /// A signature whose R carries an order-8 component: the cofactorless equation
    /// (ed25519-dalek's `verify_strict`) refuses it, the cofactored one accepts it, and the batch
    /// path decides exactly as the single one, alone and next to honest signatures.
    #[test]
    fn mixed_order_r_is_decided_alike_by_single_and_batch() {
        use curve25519_dalek::constants::EIGHT_TORSION;
        let seed = h(RFC8032[0].0);
        let expanded: [u8; 64] = Sha512::digest(&seed).into();
        let mut clamped = [0u8; 32];
        clamped.copy_from_slice(&expanded[..32]);
        if let Some(first) = clamped.first_mut() {
            *first &= 248;
        }
        if let Some(last) = clamped.last_mut() {
            *last = (*last & 127) | 64;
        }
        let a = Scalar::from_bytes_mod_order(clamped);
        let public = public_key(&seed).unwrap();
        assert_eq!((ED25519_BASEPOINT_POINT * a).compress().to_bytes(), public);
        let message = b"crafted";
        let r = Scalar::from_bytes_mod_order([9u8; 32]);
        let big_r = ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1];
        let r_bytes = big_r.compress().to_bytes();
        let k_hash: [u8; 64] = Sha512::new()
            .chain_update(r_bytes)
            .chain_update(public)
            .chain_update(message)
            .finalize()
            .into();
        let s = r + Scalar::from_bytes_mod_order_wide(&k_hash) * a;
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&r_bytes);
        signature[32..].copy_from_slice(s.as_bytes());
        let strict = VerifyingKey::from_bytes(&public)
            .unwrap()
            .verify_strict(message, &ed25519_dalek::Signature::from_bytes(&signature));
        assert!(strict.is_err(), "the cofactorless equation refuses the torsion component");
        assert!(verify(&public, message, &signature));
        let honest = sign(&seed, b"honest").unwrap();
        let batch = [
            (&public[..], &b"honest"[..], &honest[..]),
            (&public[..], &message[..], &signature[..]),
        ];
        assert_eq!(verify_batch(&batch).unwrap(), vec![true, true]);
        // The same torsion trick with a wrong S is refused by both paths.
        let mut wrong = signature;
        wrong[32] ^= 1;
        let batch = [(&public[..], &message[..], &wrong[..]), (&public[..], &b"honest"[..], &honest[..])];
        assert!(!verify(&public, message, &wrong));
        assert_eq!(verify_batch(&batch).unwrap(), vec![false, true]);
    }

    #[test]
    fn batch_names_each_bad_signature_and_keeps_the_good_ones() {
        let seeds: Vec<[u8; 32]> = (1..=5u8).map(|i| [i; 32]).collect();
        let keys: Vec<[u8; 32]> = seeds.iter().map(|seed| public_key(seed).unwrap()).collect();
        // 150 signatures: three chunks, the last one partial.
        let messages: Vec<Vec<u8>> = (0..150u8).map(|i| vec![i; usize::from(i)]).collect();
        let mut signatures: Vec<[u8; 64]> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| sign(&seeds[i % 5], m).unwrap())
            .collect();
        let items = |signatures: &[[u8; 64]]| -> Vec<bool> {
            let list: Vec<(&[u8], &[u8], &[u8])> = signatures
                .iter()
                .enumerate()
                .map(|(i, sig)| (&keys[i % 5][..], &messages[i][..], &sig[..]))
                .collect();
            verify_batch(&list).unwrap()
        };
        assert_eq!(items(&signatures), vec![true; 150]);
        signatures[3][5] ^= 1; // R changed
        signatures[70][40] ^= 1; // S changed, second chunk
        signatures[149][63] |= 0xf0; // S ≥ ℓ: malformed, left out of the combination
        let results = items(&signatures);
        for (i, ok) in results.iter().enumerate() {
            assert_eq!(*ok, ![3, 70, 149].contains(&i), "signature {i}");
        }
        assert_eq!(verify_batch(&[]).unwrap(), Vec::<bool>::new());
        let short = [(&keys[0][..31], &b""[..], &signatures[0][..])];
        assert_eq!(verify_batch(&short).unwrap(), vec![false]);
    }

    #[test]
    fn batch_over_the_limit_is_refused() {
        let item = (&[0u8; 32][..], &b""[..], &[0u8; 64][..]);
        let e = verify_batch(&vec![item; BATCH_SIGNATURES_MAX + 1]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::LimitExceeded);
        assert_eq!(e.param(), "items");
        assert_eq!(verify_batch(&vec![item; BATCH_SIGNATURES_MAX]).unwrap().len(), BATCH_SIGNATURES_MAX);
    }
}
