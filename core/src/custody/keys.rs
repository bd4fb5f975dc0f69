//! Transfer-wallet keys: BIP-32 derivation from one master seed, Ethereum addresses with the
//! EIP-55 checksum.
//!
//! | item | rule |
//! |---|---|
//! | master seed | 16..=64 bytes ([`SEED_BYTES_MIN`], [`SEED_BYTES_MAX`]: BIP-32's 128..=512 bits) |
//! | derivation | the `bip32` crate (RustCrypto, on the same `k256` as the crypto primitive) |
//! | a client's wallet | `m/44'/60'/0'/0/i` (BIP-44, coin type 60 = Ethereum), `i` the client's index, `0..`[`CLIENT_INDEX_MAX`] (non-hardened: a watch-only back-office can derive the addresses from the account's extended public key) |
//! | path text | `m` then up to [`PATH_DEPTH_MAX`] `/n` or `/n'` components, `n < 2^31` |
//! | address | `0x` + EIP-55 mixed case of the last 20 bytes of Keccak-256(uncompressed public key without its `04` prefix) |
//!
//! The seed and the secret keys are never stored by the core: the caller passes the seed,
//! receives the 32-byte secret key of one wallet (wiped on drop) and signs with it.

use bip32::{ChildNumber, Prefix, XPrv};
use sha3::{Digest, Keccak256};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

/// Shortest master seed, bytes (BIP-32: 128 bits).
pub const SEED_BYTES_MIN: usize = 16;
/// Longest master seed, bytes (BIP-32: 512 bits).
pub const SEED_BYTES_MAX: usize = 64;
/// Most components in a derivation path (BIP-32 serialises depth in one byte; 10 covers every
/// standard scheme with room to spare and bounds the work of one call).
pub const PATH_DEPTH_MAX: usize = 10;
/// The first client index that is not allowed: non-hardened indices are below 2^31.
pub const CLIENT_INDEX_MAX: u32 = 1 << 31;
/// Bytes of an Ethereum address.
pub const ADDRESS_BYTES: usize = 20;
/// The account-level path under which every client's wallet is derived.
pub const WALLET_ACCOUNT_PATH: &str = "m/44'/60'/0'/0";

/// One client's transfer wallet, derived from the master seed.
#[derive(Debug, Clone)]
pub struct TransferWallet {
    /// The derivation path, e.g. `m/44'/60'/0'/0/7`.
    pub path: String,
    /// 32-byte secp256k1 secret key (wiped when dropped).
    pub secret_key: Zeroizing<[u8; 32]>,
    /// SEC1 compressed public key (33 bytes).
    pub public_key: Vec<u8>,
    /// EIP-55 checksummed Ethereum address, `0x` + 40 hex digits.
    pub address: String,
}

fn seed_checked(seed: &[u8]) -> Result<()> {
    if (SEED_BYTES_MIN..=SEED_BYTES_MAX).contains(&seed.len()) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            "seed",
            format!("must be {SEED_BYTES_MIN}..={SEED_BYTES_MAX} bytes"),
        ))
    }
}

/// Parses `m/44'/60'/0'/0/7` into child numbers (at most [`PATH_DEPTH_MAX`]).
///
/// Errors: `INVALID_ARGUMENT` about `"path"`.
pub fn parse_path(path: &str) -> Result<Vec<ChildNumber>> {
    let bad = |why: &str| Error::new(ErrorCode::InvalidArgument, "path", why.to_owned());
    let mut parts = path.split('/');
    if parts.next() != Some("m") {
        return Err(bad("must start with \"m\""));
    }
    let mut out = Vec::new();
    for part in parts {
        if out.len() == PATH_DEPTH_MAX {
            return Err(bad("has more than PATH_DEPTH_MAX components"));
        }
        let (digits, hardened) = match part.strip_suffix('\'') {
            Some(d) => (d, true),
            None => (part, false),
        };
        // Digits only (no sign, no spaces, no leading zeros but "0"), so one path has one text.
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || (digits.len() > 1 && digits.starts_with('0'))
        {
            return Err(bad("components are decimal numbers, optionally followed by '"));
        }
        let index: u32 = digits
            .parse()
            .ok()
            .filter(|i| *i < CLIENT_INDEX_MAX)
            .ok_or_else(|| bad("a component is below 2^31"))?;
        out.push(ChildNumber::new(index, hardened).map_err(|_| bad("invalid component"))?);
    }
    Ok(out)
}

fn derive(seed: &[u8], path: &str) -> Result<XPrv> {
    seed_checked(seed)?;
    let children = parse_path(path)?;
    // BIP-32: a master key or child outside the curve order is "invalid, proceed with the next
    // index"; the chance is below 2^-127, so it is reported rather than skipped silently.
    let mut key = XPrv::new(seed)
        .map_err(|_| Error::new(ErrorCode::KeyInvalid, "seed", "gives an invalid master key"))?;
    for child in children {
        key = key.derive_child(child).map_err(|_| {
            Error::new(ErrorCode::KeyInvalid, "path", "a derived key is invalid (use another index)")
        })?;
    }
    Ok(key)
}

/// The extended private and public keys (`xprv…`, `xpub…`, Base58Check) at `path`: what the
/// BIP-32 test vectors publish.
///
/// Errors: `INVALID_ARGUMENT` about `"seed"` or `"path"`; `KEY_INVALID`.
pub fn extended_keys(seed: &[u8], path: &str) -> Result<(Zeroizing<String>, String)> {
    let key = derive(seed, path)?;
    Ok((key.to_string(Prefix::XPRV), key.public_key().to_string(Prefix::XPUB)))
}

/// The transfer wallet of the client with index `client_index`: `m/44'/60'/0'/0/<index>`.
///
/// Errors: `INVALID_ARGUMENT` about `"seed"` or `"clientIndex"` (≥ [`CLIENT_INDEX_MAX`]);
/// `KEY_INVALID`.
pub fn transfer_wallet(seed: &[u8], client_index: u32) -> Result<TransferWallet> {
    if client_index >= CLIENT_INDEX_MAX {
        return Err(Error::new(ErrorCode::InvalidArgument, "clientIndex", "must be below 2^31"));
    }
    let path = format!("{WALLET_ACCOUNT_PATH}/{client_index}");
    let key = derive(seed, &path)?;
    let mut secret_key = Zeroizing::new([0u8; 32]);
    secret_key.copy_from_slice(&key.private_key().to_bytes());
    let verifying = key.public_key();
    let public_key = verifying.public_key().to_encoded_point(true).as_bytes().to_vec();
    let address = address_of_public_key(&public_key)?;
    Ok(TransferWallet { path, secret_key, public_key, address })
}

/// The EIP-55 Ethereum address of a SEC1 secp256k1 public key (33 or 65 bytes).
///
/// Errors: `KEY_INVALID` about `"publicKey"`.
pub fn address_of_public_key(public_key: &[u8]) -> Result<String> {
    let key = k256::PublicKey::from_sec1_bytes(public_key)
        .map_err(|_| Error::new(ErrorCode::KeyInvalid, "publicKey", "is not a SEC1 secp256k1 key"))?;
    let point = k256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key, false);
    let hash = Keccak256::digest(point.as_bytes().get(1..).unwrap_or_default());
    let mut raw = [0u8; ADDRESS_BYTES];
    raw.copy_from_slice(hash.get(32 - ADDRESS_BYTES..).unwrap_or(&[0u8; ADDRESS_BYTES]));
    Ok(eip55(&raw))
}

/// Lower-case hex digit of a nibble.
fn hex_digit(nibble: u8) -> u8 {
    b"0123456789abcdef".get(usize::from(nibble & 15)).copied().unwrap_or(b'0')
}

/// `0x` + the EIP-55 checksummed hex of 20 address bytes: a hex letter is upper case when the
/// matching nibble of Keccak-256(lower-case hex) is ≥ 8.
pub fn eip55(address: &[u8; ADDRESS_BYTES]) -> String {
    let mut lower = [0u8; 2 * ADDRESS_BYTES];
    for (i, byte) in address.iter().enumerate() {
        if let Some(pair) = lower.get_mut(2 * i..2 * i + 2) {
            pair.copy_from_slice(&[hex_digit(byte >> 4), hex_digit(*byte)]);
        }
    }
    let hash = Keccak256::digest(lower);
    let mut out = String::with_capacity(2 + 2 * ADDRESS_BYTES);
    out.push_str("0x");
    for (i, c) in lower.iter().enumerate() {
        let nibble = hash.get(i / 2).map_or(0, |h| if i % 2 == 0 { h >> 4 } else { h & 15 });
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 {
            char::from(c.to_ascii_uppercase())
        } else {
            char::from(*c)
        });
    }
    out
}

/// The 20 bytes of an address written with a correct EIP-55 checksum (or all lower / all upper
/// case, which EIP-55 leaves unchecked: refused here, because a back-office must not send to an
/// address whose checksum it could not check).
///
/// Errors: `INVALID_ARGUMENT` about `param`.
pub fn parse_address(text: &str, param: &'static str) -> Result<[u8; ADDRESS_BYTES]> {
    let bad = |why: &str| Error::new(ErrorCode::InvalidArgument, param, why.to_owned());
    let hex = text.strip_prefix("0x").ok_or_else(|| bad("must start with 0x"))?;
    if hex.len() != 2 * ADDRESS_BYTES || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("must be 0x and 40 hex digits"));
    }
    let mut raw = [0u8; ADDRESS_BYTES];
    for (i, slot) in raw.iter_mut().enumerate() {
        let pair = hex.get(2 * i..2 * i + 2).ok_or_else(|| bad("must be 0x and 40 hex digits"))?;
        *slot = u8::from_str_radix(pair, 16).map_err(|_| bad("must be hex"))?;
    }
    if eip55(&raw) != text {
        return Err(bad("has a wrong EIP-55 checksum (mixed case is required)"));
    }
    Ok(raw)
}
