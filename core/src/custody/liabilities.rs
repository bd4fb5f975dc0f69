//! System 8's proof of liabilities: a Merkle-sum tree per asset over the clients' balances, the
//! root the platform publishes (signed), and the inclusion proof each client checks.
//!
//! # Why this shape
//!
//! A custodian proves what it *owes*: every client can check that their balance is counted in
//! the published total, and nobody learns another client's balance. The known ways to cheat
//! (summa's Merkle-sum tree, BitMEX's and OKX's published proofs, and the attacks on Maxwell's
//! original scheme) each fix one rule here:
//!
//! | attack | what stops it |
//! |---|---|
//! | a negative balance hidden in a leaf (wrapping the sum down) | balances are unsigned and at most [`LEAF_BALANCE_MAX`]; a sibling sum above what its subtree can hold is `SIBLING_SUM_OUT_OF_RANGE` (sums never wrap: [`LEAF_BALANCE_MAX`] × [`LEAVES_MAX`] < 2^128) |
//! | a parent that takes the max of its children instead of the sum | the node hash covers **both** children's hashes **and both** sums, and the verifier computes every parent's sum itself: a max-tree's root is `ROOT_MISMATCH` |
//! | salts shared between users (two clients with one balance given one leaf) | the leaf commits to the client id; the salt is derived per client, asset and round from a platform secret; a client recomputes their leaf from *their* id: `CLIENT_MISMATCH` / `ROOT_MISMATCH` |
//! | a root shown only to one client | the client checks their proof against the root the platform *published* (a signed envelope everyone fetches from the same place), not against a root that came with the proof: `ROOT_NOT_PUBLISHED` |
//!
//! # Formats (byte by byte)
//!
//! Integers are big-endian. `asset` is 1..=[`ASSET_CHARS_MAX`] characters of `[A-Z0-9]`,
//! `clientId` 1..=[`CLIENT_ID_BYTES_MAX`] UTF-8 bytes without control characters. Sums and
//! balances are `u128` in the asset's minor units (16 bytes). Hashes are SHA-256, each input
//! starting with its own domain tag (ASCII, no terminator; no tag is a prefix of another):
//!
//! ```text
//! salt  = HMAC-SHA256(saltSecret, "countersign/pol/salt" ‖ len(asset):u8 ‖ asset ‖ round:u64 ‖ len(clientId):u8 ‖ clientId)
//! leaf  = SHA-256("countersign/pol/leaf" ‖ len(asset):u8 ‖ asset ‖ round:u64 ‖ len(clientId):u8 ‖ clientId ‖ salt:32 ‖ balance:u128)
//! empty = SHA-256("countersign/pol/empty" ‖ len(asset):u8 ‖ asset ‖ round:u64)                  (sum 0)
//! node  = SHA-256("countersign/pol/node" ‖ left.hash:32 ‖ left.sum:u128 ‖ right.hash:32 ‖ right.sum:u128)
//!         with sum = left.sum + right.sum
//! ```
//!
//! The node input is 20 + 96 = 116 bytes: two SHA-256 blocks. The tree has `depth =
//! max(1, ⌈log2 leafCount⌉)` levels above the leaves; leaf `i` is the `i`-th client in strictly
//! ascending byte order of client id (which also proves no client id twice); the positions past the
//! last client hold `empty` (level 0) and `emptyₖ₊₁ = node(emptyₖ, emptyₖ)` above it.
//!
//! **Published root** (the payload of an envelope of type [`ROOT_TYPE`], version 1, `seq` = round):
//!
//! ```text
//! version:u8 = 1 ‖ len(asset):u8 ‖ asset ‖ round:u64 ‖ scale:u8 ‖ leafCount:u32 ‖ depth:u8 ‖ root:32 ‖ total:u128
//! ```
//!
//! **Inclusion proof** (what the platform gives one client; nothing else is needed but the
//! published root):
//!
//! ```text
//! version:u8 = 1 ‖ len(asset):u8 ‖ asset ‖ round:u64 ‖ root:32 ‖ len(clientId):u8 ‖ clientId ‖ salt:32
//!   ‖ balance:u128 ‖ index:u32 ‖ depth:u8 ‖ depth × (sibling.hash:32 ‖ sibling.sum:u128)
//! ```
//!
//! Sibling `k` is the node beside the path at level `k` (0 = the leaf's neighbour); bit `k` of
//! `index` says whether the path's node is the right child (1) or the left (0). Both decoders
//! accept exactly one encoding: lengths exact, no trailing bytes.
//!
//! # Check order of [`verify_inclusion`] (one [`InclusionCode`] per outcome, the first that applies)
//!
//! 1. `PROOF_MALFORMED` — the proof bytes do not decode (above).
//! 2. `ROOT_REJECTED` — the published root's envelope does not open (`rootRejection` says why:
//!    the envelope's own check order: malformed, unknown key, bad signature, wrong type,
//!    not yet valid, expired, replayed = a round not after `lastRound`).
//! 3. `ROOT_MALFORMED` — the signed payload does not decode, or its `seq` is not its round.
//! 4. `CLIENT_MISMATCH` — the proof is for another client id than the one checking.
//! 5. `ASSET_MISMATCH`, 6. `ROUND_MISMATCH` — the proof is for another asset or round than the root.
//! 7. `ROOT_NOT_PUBLISHED` — the proof was made against a root other than the published one
//!    (the root "shown only to this client").
//! 8. `BALANCE_MISMATCH` — the client said what balance they expect and the proof holds another.
//! 9. `BALANCE_OUT_OF_RANGE` — the proof's balance is above [`LEAF_BALANCE_MAX`].
//! 10. `PATH_LENGTH_MISMATCH` — the path has not `depth` siblings.
//! 11. `INDEX_OUT_OF_RANGE` — the index is not below `leafCount` (a padding position).
//! 12. `SIBLING_SUM_OUT_OF_RANGE` — a sibling at level `k` claims more than `2^k × LEAF_BALANCE_MAX`
//!     (what a subtree of honest leaves can hold: a wrapped, "negative" leaf).
//! 13. `ROOT_MISMATCH` — the recomputed root hash is not the published one (tampered sibling,
//!     wrong position, another client's leaf, a max-parent tree …).
//! 14. `TOTAL_MISMATCH` — the hash matches but the recomputed total is not the published total.
//! 15. `INCLUDED`.
//!
//! Why this order: nothing is computed before the inputs are authentic and about this client,
//! asset and round (steps 1–8 are comparisons); the range checks come before hashing so that a
//! wrapped sum is named for what it is rather than as a hash mismatch.
//!
//! # Building
//!
//! [`LiabilitiesTree::new`] takes the asset, round, scale, the exact number of clients and the salt
//! secret; [`LiabilitiesTree::add`] takes clients in chunks of at most [`CHUNK_CLIENTS_MAX`] (the
//! SDK calls it in slices and reports progress: the core has no clock) and combines complete pairs
//! as they form, so [`LiabilitiesTree::finish`] only pads the last partial subtrees (O(depth)).
//! A chunk is checked whole before any of it is added: a refused chunk changes nothing.
//!
//! Memory: the leaves (hash + sum, 48 bytes each) and the levels from [`STORED_LEVEL_MIN`] up
//! (about 3 bytes per leaf) are kept; levels 1..[`STORED_LEVEL_MIN`] are recomputed for a proof
//! from the leaves (at most 26 node hashes). About 51 bytes per client: 51 MB for a million.
//! The salt secret stays inside the tree as HMAC key state for as long as the tree lives.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::envelope::{self, OpenParams, SealParams, Signer, TrustedKey};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::outcome_codes;

/// Most clients (leaves) in one tree: 2^24 = 16,777,216.
pub const LEAVES_MAX: u32 = 1 << 24;
/// Most levels above the leaves (⌈log2 [`LEAVES_MAX`]⌉).
pub const DEPTH_MAX: u8 = 24;
/// Most clients in one [`LiabilitiesTree::add`] call.
pub const CHUNK_CLIENTS_MAX: usize = 65_536;
/// Longest client id, UTF-8 bytes.
pub const CLIENT_ID_BYTES_MAX: usize = 64;
/// Longest asset code, characters of `[A-Z0-9]`.
pub const ASSET_CHARS_MAX: usize = 16;
/// Largest scale (minor-unit digits) of an asset: a u128 holds 38 decimal digits.
pub const SCALE_MAX: u8 = 38;
/// Largest balance of one client, minor units: 2^96 − 1 (the money primitive's mantissa range;
/// 79 billion ETH in wei). With at most [`LEAVES_MAX`] leaves no sum exceeds 2^120, so an honest
/// tree's sums never overflow a u128, and a sum beyond its subtree's bound is a wrapped leaf.
pub const LEAF_BALANCE_MAX: u128 = (1 << 96) - 1;
/// Length of the salt secret, bytes.
pub const SALT_SECRET_LEN: usize = 32;
/// Levels 1..STORED_LEVEL_MIN are not kept but recomputed from the leaves for a proof (at most
/// 2^(STORED_LEVEL_MIN-1) − 1 + … = 26 node hashes); keeping them would double the memory.
pub const STORED_LEVEL_MIN: usize = 5;
/// Envelope type of a published root.
pub const ROOT_TYPE: &str = "custody.liabilities.root";
/// Schema version of the published root's envelope and of the proof format.
pub const FORMAT_VERSION: u8 = 1;
/// Longest proof, bytes (the decoder refuses anything longer before reading it).
pub const PROOF_BYTES_MAX: usize =
    1 + 1 + ASSET_CHARS_MAX + 8 + 32 + 1 + CLIENT_ID_BYTES_MAX + 32 + 16 + 4 + 1 + DEPTH_MAX as usize * 48;

const SALT_TAG: &[u8] = b"countersign/pol/salt";
const LEAF_TAG: &[u8] = b"countersign/pol/leaf";
const EMPTY_TAG: &[u8] = b"countersign/pol/empty";
const NODE_TAG: &[u8] = b"countersign/pol/node";

outcome_codes! {
    /// Outcome of checking an inclusion proof ([`verify_inclusion`]), in check order.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
    pub enum InclusionCode {
        /// The client's balance is counted in the published root and total.
        Included = "INCLUDED",
        /// The proof bytes do not decode (wrong version, lengths, trailing bytes, a bad asset or client id).
        ProofMalformed = "PROOF_MALFORMED",
        /// The published root's envelope was refused (rootRejection says why: signature, key, type, time, an old round).
        RootRejected = "ROOT_REJECTED",
        /// The published root's signed payload does not decode, or its sequence number is not its round.
        RootMalformed = "ROOT_MALFORMED",
        /// The proof is for another client id than the one checking it.
        ClientMismatch = "CLIENT_MISMATCH",
        /// The proof is for another asset than the published root.
        AssetMismatch = "ASSET_MISMATCH",
        /// The proof is for another round than the published root.
        RoundMismatch = "ROUND_MISMATCH",
        /// The proof was made against a root other than the published one (a root shown only to this client).
        RootNotPublished = "ROOT_NOT_PUBLISHED",
        /// The proof's balance is not the balance the client expects.
        BalanceMismatch = "BALANCE_MISMATCH",
        /// The proof's balance is above LEAF_BALANCE_MAX (a wrapped, negative balance).
        BalanceOutOfRange = "BALANCE_OUT_OF_RANGE",
        /// The proof's path does not have one sibling per level of the published tree.
        PathLengthMismatch = "PATH_LENGTH_MISMATCH",
        /// The proof's index is not a client position of the published tree.
        IndexOutOfRange = "INDEX_OUT_OF_RANGE",
        /// A sibling's sum is more than its subtree can hold (a negative balance hidden below it).
        SiblingSumOutOfRange = "SIBLING_SUM_OUT_OF_RANGE",
        /// The root recomputed from the leaf and the path is not the published root.
        RootMismatch = "ROOT_MISMATCH",
        /// The recomputed total is not the published total.
        TotalMismatch = "TOTAL_MISMATCH",
    }
}

/// A node of the tree: its hash and the sum of the balances below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// SHA-256 as defined in the module documentation.
    pub hash: [u8; 32],
    /// Sum of the leaves below, minor units.
    pub sum: u128,
}

/// The parent of two nodes: its hash covers both hashes and both sums. `None` when the sum
/// overflows (never within the limits, see [`LEAF_BALANCE_MAX`]).
pub fn node_of(left: &Node, right: &Node) -> Option<Node> {
    let sum = left.sum.checked_add(right.sum)?;
    let mut h = Sha256::new();
    h.update(NODE_TAG);
    h.update(left.hash);
    h.update(left.sum.to_be_bytes());
    h.update(right.hash);
    h.update(right.sum.to_be_bytes());
    Some(Node { hash: h.finalize().into(), sum })
}

/// The leaf hash of a client (module documentation).
pub fn leaf_hash(asset: &str, round: u64, client_id: &str, salt: &[u8; 32], balance: u128) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LEAF_TAG);
    update_asset_round(&mut h, asset, round);
    h.update([client_id.len() as u8]);
    h.update(client_id.as_bytes());
    h.update(salt);
    h.update(balance.to_be_bytes());
    h.finalize().into()
}

/// The hash of a padding leaf (sum 0) for this asset and round.
pub fn empty_leaf(asset: &str, round: u64) -> Node {
    let mut h = Sha256::new();
    h.update(EMPTY_TAG);
    update_asset_round(&mut h, asset, round);
    Node { hash: h.finalize().into(), sum: 0 }
}

fn update_asset_round(h: &mut Sha256, asset: &str, round: u64) {
    // Lengths fit a u8: checked by `check_asset` / `check_client_id` before any hashing.
    h.update([asset.len() as u8]);
    h.update(asset.as_bytes());
    h.update(round.to_be_bytes());
}

/// The keyed salt derivation of one tree (HMAC state after the key block, cloned per client).
#[derive(Clone)]
struct Salts(Hmac<Sha256>);

impl Salts {
    fn new(secret: &[u8]) -> Result<Self> {
        if secret.len() != SALT_SECRET_LEN {
            return Err(Error::new(ErrorCode::InvalidArgument, "saltSecret", format!("must be {SALT_SECRET_LEN} bytes")));
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .map_err(|_| Error::new(ErrorCode::Internal, "saltSecret", "HMAC refused a 32-byte key"))?;
        Ok(Salts(mac))
    }

    fn salt(&self, asset: &str, round: u64, client_id: &str) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(SALT_TAG);
        mac.update(&[asset.len() as u8]);
        mac.update(asset.as_bytes());
        mac.update(&round.to_be_bytes());
        mac.update(&[client_id.len() as u8]);
        mac.update(client_id.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// The salt of `client_id` in this asset and round, under `salt_secret` (what the platform hands
/// the client with their proof; exposed for tests and the vector generator's cross-check).
pub fn derive_salt(salt_secret: &[u8], asset: &str, round: u64, client_id: &str) -> Result<[u8; 32]> {
    check_asset(asset)?;
    check_client_id(client_id, "clientId")?;
    Ok(Salts::new(salt_secret)?.salt(asset, round, client_id))
}

fn check_asset(asset: &str) -> Result<()> {
    if asset.is_empty() || asset.len() > ASSET_CHARS_MAX || !asset.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return Err(Error::new(ErrorCode::InvalidArgument, "asset", format!("must be 1..={ASSET_CHARS_MAX} characters of [A-Z0-9]")));
    }
    Ok(())
}

fn client_id_ok(client_id: &str) -> bool {
    (1..=CLIENT_ID_BYTES_MAX).contains(&client_id.len()) && !client_id.chars().any(char::is_control)
}

fn check_client_id(client_id: &str, param: &'static str) -> Result<()> {
    if client_id_ok(client_id) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            param,
            format!("must be 1..={CLIENT_ID_BYTES_MAX} UTF-8 bytes without control characters"),
        ))
    }
}

/// Parses a balance in minor units: `0` or `[1-9][0-9]*`, at most [`LEAF_BALANCE_MAX`].
/// Errors name `param`: `AMOUNT_SYNTAX`, `INVALID_ARGUMENT` for a negative balance (no negative
/// leaves), `AMOUNT_OUT_OF_RANGE` above the maximum.
pub fn parse_balance(text: &str, param: &str) -> Result<u128> {
    if text.starts_with('-') && text.len() > 1 && text.bytes().skip(1).all(|b| b.is_ascii_digit()) {
        return Err(Error::at_path(ErrorCode::InvalidArgument, param.to_owned(), "must not be negative: a liability tree has no negative leaves"));
    }
    let digits_ok = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'));
    if !digits_ok {
        return Err(Error::at_path(ErrorCode::AmountSyntax, param.to_owned(), "must be minor units: 0 or [1-9][0-9]*"));
    }
    // At most 29 digits can be ≤ 2^96 − 1 (29 digits); longer is out of range without parsing.
    let value = if text.len() > 29 { None } else { text.parse::<u128>().ok() };
    match value {
        Some(v) if v <= LEAF_BALANCE_MAX => Ok(v),
        _ => Err(Error::at_path(ErrorCode::AmountOutOfRange, param.to_owned(), format!("must be at most {LEAF_BALANCE_MAX} minor units"))),
    }
}

/// What a tree is for: sent by the platform to [`LiabilitiesTree::new`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TreeSetup {
    /// Asset code, 1..=16 of `[A-Z0-9]` (`BTC`, `ETH`, `USDC`).
    pub asset: String,
    /// Round number (the published root's envelope sequence number), ≤ 2^53 − 1.
    pub round: u64,
    /// Minor-unit digits of the asset (BTC 8, ETH 18, USDC 6), ≤ 38: carried in the published root for display.
    pub scale: u8,
    /// Exactly how many clients will be added (1..=2^24): the memory is reserved once, and `finish` refuses fewer.
    pub client_count: u32,
}

/// One client's balance, as the platform adds it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientBalance {
    /// The client's id, 1..=64 UTF-8 bytes without control characters; strictly ascending within a tree.
    pub client_id: String,
    /// Balance in minor units, a decimal string `0` or `[1-9][0-9]*`, at most 2^96 − 1.
    pub balance: String,
}

/// How far a build is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildProgress {
    /// Clients added so far.
    pub added: u32,
    /// Clients the tree was set up for.
    pub total: u32,
}

/// The statement the platform publishes for one asset and round (decoded from the signed payload).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedRoot {
    /// Asset code.
    pub asset: String,
    /// Round number.
    pub round: u64,
    /// Minor-unit digits of the asset.
    pub scale: u8,
    /// Number of clients in the tree.
    pub leaf_count: u32,
    /// Levels above the leaves.
    pub depth: u8,
    /// Root hash, 64 lowercase hex digits.
    pub root_hash: String,
    /// Total liabilities, minor units, a decimal string.
    pub total: String,
}

/// A built tree's root in binary form (what is signed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RootFacts {
    round: u64,
    scale: u8,
    leaf_count: u32,
    depth: u8,
    root: Node,
}

/// The platform's tree for one asset and round: built in chunks, then finished, then asked for
/// the root statement, its signed envelope and each client's proof.
#[derive(Clone)]
pub struct LiabilitiesTree {
    asset: String,
    round: u64,
    scale: u8,
    client_count: u32,
    depth: u8,
    salts: Salts,
    /// Every client's leaf, in order (48 bytes each).
    leaves: Vec<Node>,
    /// `stored[k - STORED_LEVEL_MIN]` holds level k's nodes made so far (k ≥ STORED_LEVEL_MIN).
    stored: Vec<Vec<Node>>,
    /// The left child waiting for its right sibling at each level (at most one per level).
    pending: [Option<Node>; DEPTH_MAX as usize + 1],
    /// Nodes made so far at each level (counting padding combined in at `finish`).
    counts: [u32; DEPTH_MAX as usize + 1],
    /// `empty[k]`: the node of an all-padding subtree of height k.
    empty: [Node; DEPTH_MAX as usize + 1],
    /// The last client id added (strictly ascending order).
    last_client: Option<String>,
    root: Option<Node>,
}

impl core::fmt::Debug for LiabilitiesTree {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the salt secret's key state.
        f.debug_struct("LiabilitiesTree")
            .field("asset", &self.asset)
            .field("round", &self.round)
            .field("added", &self.leaves.len())
            .field("clientCount", &self.client_count)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// `max(1, ⌈log2 n⌉)` for 1 ≤ n ≤ 2^24.
fn depth_for(n: u32) -> u8 {
    let mut depth = 1u8;
    while (1u64 << depth) < u64::from(n) {
        depth += 1;
    }
    depth
}

fn internal(what: &str) -> Error {
    Error::new(ErrorCode::Internal, "tree", what.to_owned())
}

impl LiabilitiesTree {
    /// A new, empty tree. Errors: `INVALID_ARGUMENT` naming `setup.asset`, `setup.round`
    /// (> 2^53 − 1), `setup.scale` (> 38), `setup.clientCount` (0 or > 2^24), or `saltSecret`
    /// (not 32 bytes).
    pub fn new(setup: &TreeSetup, salt_secret: &[u8]) -> Result<Self> {
        check_asset(&setup.asset).map_err(|e| e.at("setup"))?;
        if setup.round > envelope::TIME_S_MAX as u64 {
            return Err(Error::new(ErrorCode::InvalidArgument, "setup.round", "must be at most 2^53 - 1"));
        }
        if setup.scale > SCALE_MAX {
            return Err(Error::new(ErrorCode::InvalidArgument, "setup.scale", format!("must be at most {SCALE_MAX}")));
        }
        if setup.client_count == 0 || setup.client_count > LEAVES_MAX {
            return Err(Error::new(ErrorCode::InvalidArgument, "setup.clientCount", format!("must be 1..={LEAVES_MAX}")));
        }
        let salts = Salts::new(salt_secret)?;
        let depth = depth_for(setup.client_count);
        let mut empty = [empty_leaf(&setup.asset, setup.round); DEPTH_MAX as usize + 1];
        for k in 1..empty.len() {
            let below = *empty.get(k - 1).ok_or_else(|| internal("empty level"))?;
            let node = node_of(&below, &below).ok_or_else(|| internal("empty sum"))?;
            if let Some(slot) = empty.get_mut(k) {
                *slot = node;
            }
        }
        let n = setup.client_count as usize;
        let stored = (STORED_LEVEL_MIN..=usize::from(depth)).map(|k| Vec::with_capacity(n.div_ceil(1 << k))).collect();
        Ok(LiabilitiesTree {
            asset: setup.asset.clone(),
            round: setup.round,
            scale: setup.scale,
            client_count: setup.client_count,
            depth,
            salts,
            leaves: Vec::with_capacity(n),
            stored,
            pending: [None; DEPTH_MAX as usize + 1],
            counts: [0; DEPTH_MAX as usize + 1],
            empty,
            last_client: None,
            root: None,
        })
    }

    /// Adds a chunk of clients (at most [`CHUNK_CLIENTS_MAX`]) in strictly ascending client-id
    /// order, continuing from the last chunk. The whole chunk is checked first; a refused chunk
    /// adds nothing.
    ///
    /// Errors: `INVALID_ARGUMENT` about `tree` (already finished); `LIMIT_EXCEEDED` about
    /// `clients` (a chunk too long, or more clients than `clientCount`); about
    /// `clients[i].clientId` (`INVALID_ARGUMENT`: malformed, or not after the previous id) or
    /// `clients[i].balance` ([`parse_balance`]'s codes).
    pub fn add(&mut self, clients: &[ClientBalance]) -> Result<BuildProgress> {
        if self.root.is_some() {
            return Err(Error::new(ErrorCode::InvalidArgument, "tree", "is finished: no client can be added"));
        }
        if clients.len() > CHUNK_CLIENTS_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "clients", format!("at most {CHUNK_CLIENTS_MAX} clients per chunk")));
        }
        if self.leaves.len() + clients.len() > self.client_count as usize {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                "clients",
                format!("{} more clients than the tree's clientCount {}", self.leaves.len() + clients.len() - self.client_count as usize, self.client_count),
            ));
        }
        let mut balances = Vec::with_capacity(clients.len());
        let mut previous = self.last_client.as_deref();
        for (i, client) in clients.iter().enumerate() {
            let at = |e: Error| e.at(&format!("[{i}]")).at("clients");
            check_client_id(&client.client_id, "clientId").map_err(at)?;
            if previous.is_some_and(|p| p.as_bytes() >= client.client_id.as_bytes()) {
                return Err(at(Error::new(
                    ErrorCode::InvalidArgument,
                    "clientId",
                    "must come after the previous client id (strictly ascending byte order: no client twice)",
                )));
            }
            previous = Some(&client.client_id);
            balances.push(parse_balance(&client.balance, "balance").map_err(at)?);
        }
        for (client, balance) in clients.iter().zip(balances) {
            let salt = self.salts.salt(&self.asset, self.round, &client.client_id);
            let leaf = Node { hash: leaf_hash(&self.asset, self.round, &client.client_id, &salt, balance), sum: balance };
            self.leaves.push(leaf);
            self.push(0, leaf)?;
        }
        if let Some(last) = clients.last() {
            self.last_client = Some(last.client_id.clone());
        }
        Ok(self.progress())
    }

    /// Bytes the tree holds on the heap (leaves and stored levels, reserved once at `new`): the
    /// "~51 bytes per client" of the module documentation, measured.
    pub fn heap_bytes(&self) -> usize {
        let node = core::mem::size_of::<Node>();
        self.leaves.capacity() * node + self.stored.iter().map(|level| level.capacity() * node).sum::<usize>()
    }

    /// How many clients were added of how many.
    pub fn progress(&self) -> BuildProgress {
        BuildProgress { added: self.leaves.len() as u32, total: self.client_count }
    }

    /// Records a new node at `level` and combines it with its waiting left sibling, up the tree.
    fn push(&mut self, mut level: usize, mut node: Node) -> Result<()> {
        loop {
            let count = self.counts.get_mut(level).ok_or_else(|| internal("level beyond DEPTH_MAX"))?;
            let index = *count;
            *count += 1;
            if level >= STORED_LEVEL_MIN {
                self.stored.get_mut(level - STORED_LEVEL_MIN).ok_or_else(|| internal("stored level"))?.push(node);
            }
            let slot = self.pending.get_mut(level).ok_or_else(|| internal("pending level"))?;
            if index % 2 == 0 {
                *slot = Some(node);
                return Ok(());
            }
            let left = slot.take().ok_or_else(|| internal("right child without a left one"))?;
            // Cannot overflow: every leaf ≤ LEAF_BALANCE_MAX and at most LEAVES_MAX of them.
            node = node_of(&left, &node).ok_or_else(|| Error::new(ErrorCode::AmountOverflow, "clients", "the sum overflows"))?;
            level += 1;
        }
    }

    /// Pads the last partial subtrees with empty nodes and fixes the root. Errors:
    /// `INVALID_ARGUMENT` about `tree` when fewer clients were added than `clientCount` or the tree
    /// is already finished.
    pub fn finish(&mut self) -> Result<PublishedRoot> {
        if self.root.is_some() {
            return Err(Error::new(ErrorCode::InvalidArgument, "tree", "is already finished"));
        }
        if self.leaves.len() != self.client_count as usize {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "tree",
                format!("has {} of its {} clients: add them all before finishing", self.leaves.len(), self.client_count),
            ));
        }
        for level in 0..usize::from(self.depth) {
            let count = *self.counts.get(level).ok_or_else(|| internal("level"))?;
            if count % 2 == 1 {
                let left = self.pending.get_mut(level).and_then(Option::take).ok_or_else(|| internal("odd level without a waiting node"))?;
                let empty = *self.empty.get(level).ok_or_else(|| internal("empty level"))?;
                if let Some(c) = self.counts.get_mut(level) {
                    *c += 1;
                }
                let parent = node_of(&left, &empty).ok_or_else(|| internal("padding sum"))?;
                self.push(level + 1, parent)?;
            }
        }
        let root = self.pending.get(usize::from(self.depth)).copied().flatten().ok_or_else(|| internal("no root"))?;
        self.root = Some(root);
        self.published_root()
    }

    fn facts(&self) -> Result<RootFacts> {
        let root = self.root.ok_or_else(|| Error::new(ErrorCode::InvalidArgument, "tree", "is not finished"))?;
        Ok(RootFacts { round: self.round, scale: self.scale, leaf_count: self.client_count, depth: self.depth, root })
    }

    /// The root statement (errors: `INVALID_ARGUMENT` about `tree` before [`Self::finish`]).
    pub fn published_root(&self) -> Result<PublishedRoot> {
        Ok(view_of_root(&self.asset, &self.facts()?))
    }

    /// The signed root: an envelope of type [`ROOT_TYPE`], version 1, `seq` = round, whose payload
    /// is the published-root format. Errors: the envelope's sealing errors, `INVALID_ARGUMENT`
    /// about `tree` before [`Self::finish`].
    pub fn publish(&self, signer: &Signer<'_>, issued_at: i64, expires_at: i64) -> Result<Vec<u8>> {
        let payload = encode_root(&self.asset, &self.facts()?);
        envelope::seal(&SealParams {
            alg: signer.alg,
            secret_key: signer.secret_key,
            key_id: signer.key_id,
            msg_type: ROOT_TYPE,
            version: u32::from(FORMAT_VERSION),
            seq: self.round,
            issued_at,
            expires_at,
            payload: &payload,
        })
    }

    /// The node at `level`, position `index` (padding past the last client).
    fn node_at(&self, level: usize, index: u32) -> Result<Node> {
        let width = (u64::from(self.client_count) + (1u64 << level) - 1) >> level;
        if u64::from(index) >= width {
            return self.empty.get(level).copied().ok_or_else(|| internal("empty level"));
        }
        if level == 0 {
            return self.leaves.get(index as usize).copied().ok_or_else(|| internal("leaf"));
        }
        if level >= STORED_LEVEL_MIN {
            return self
                .stored
                .get(level - STORED_LEVEL_MIN)
                .and_then(|l| l.get(index as usize))
                .copied()
                .ok_or_else(|| internal("stored node"));
        }
        let left = self.node_at(level - 1, index * 2)?;
        let right = self.node_at(level - 1, index * 2 + 1)?;
        node_of(&left, &right).ok_or_else(|| internal("sum"))
    }

    /// The inclusion proof of the client at `index`, who must be `client_id` (the platform keeps
    /// each client's position; the tree keeps no ids, to stay at ~51 bytes per client).
    ///
    /// Errors: `INVALID_ARGUMENT` about `tree` (not finished), `index` (not below clientCount) or
    /// `clientId` (malformed, or not the client at that index).
    pub fn proof(&self, index: u32, client_id: &str) -> Result<Vec<u8>> {
        let facts = self.facts()?;
        if index >= self.client_count {
            return Err(Error::new(ErrorCode::InvalidArgument, "index", format!("must be below the tree's {} clients", self.client_count)));
        }
        check_client_id(client_id, "clientId")?;
        let leaf = self.node_at(0, index)?;
        let salt = self.salts.salt(&self.asset, self.round, client_id);
        if leaf_hash(&self.asset, self.round, client_id, &salt, leaf.sum) != leaf.hash {
            return Err(Error::new(ErrorCode::InvalidArgument, "clientId", format!("is not the client at index {index}")));
        }
        let mut siblings = Vec::with_capacity(usize::from(self.depth));
        for level in 0..usize::from(self.depth) {
            siblings.push(self.node_at(level, (index >> level) ^ 1)?);
        }
        Ok(encode_proof(&Proof {
            asset: self.asset.clone(),
            round: self.round,
            root_hash: facts.root.hash,
            client_id: client_id.to_owned(),
            salt,
            balance: leaf.sum,
            index,
            siblings,
        }))
    }
}

/// A decoded inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// Asset code.
    pub asset: String,
    /// Round.
    pub round: u64,
    /// The root this proof was made against.
    pub root_hash: [u8; 32],
    /// The client's id.
    pub client_id: String,
    /// The client's salt for this asset and round.
    pub salt: [u8; 32],
    /// The client's balance, minor units.
    pub balance: u128,
    /// The client's leaf position.
    pub index: u32,
    /// The siblings from the leaf's neighbour up to the root's children.
    pub siblings: Vec<Node>,
}

/// Encodes a proof in the format of the module documentation (the caller keeps the field
/// limits; [`LiabilitiesTree::proof`] always does).
pub fn encode_proof(p: &Proof) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 1 + p.asset.len() + 8 + 32 + 1 + p.client_id.len() + 32 + 16 + 4 + 1 + 48 * p.siblings.len());
    out.push(FORMAT_VERSION);
    out.push(p.asset.len() as u8);
    out.extend_from_slice(p.asset.as_bytes());
    out.extend_from_slice(&p.round.to_be_bytes());
    out.extend_from_slice(&p.root_hash);
    out.push(p.client_id.len() as u8);
    out.extend_from_slice(p.client_id.as_bytes());
    out.extend_from_slice(&p.salt);
    out.extend_from_slice(&p.balance.to_be_bytes());
    out.extend_from_slice(&p.index.to_be_bytes());
    out.push(p.siblings.len() as u8);
    for s in &p.siblings {
        out.extend_from_slice(&s.hash);
        out.extend_from_slice(&s.sum.to_be_bytes());
    }
    out
}

/// A byte reader that never reads past the end (every read is checked).
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn str(&mut self) -> Option<&'a str> {
        let len = usize::from(self.u8()?);
        core::str::from_utf8(self.take(len)?).ok()
    }
}

/// Decodes a proof; `None` when it is not exactly one well-formed proof (`PROOF_MALFORMED`).
pub fn decode_proof(bytes: &[u8]) -> Option<Proof> {
    if bytes.len() > PROOF_BYTES_MAX {
        return None;
    }
    let mut r = Reader { bytes };
    if r.u8()? != FORMAT_VERSION {
        return None;
    }
    let asset = r.str()?.to_owned();
    check_asset(&asset).ok()?;
    let round = u64::from_be_bytes(r.array()?);
    if round > envelope::TIME_S_MAX as u64 {
        return None;
    }
    let root_hash = r.array()?;
    let client_id = r.str()?.to_owned();
    if !client_id_ok(&client_id) {
        return None;
    }
    let salt = r.array()?;
    let balance = u128::from_be_bytes(r.array()?);
    let index = u32::from_be_bytes(r.array()?);
    let depth = r.u8()?;
    if depth > DEPTH_MAX {
        return None;
    }
    let mut siblings = Vec::with_capacity(usize::from(depth));
    for _ in 0..depth {
        let hash = r.array()?;
        let sum = u128::from_be_bytes(r.array()?);
        siblings.push(Node { hash, sum });
    }
    if !r.bytes.is_empty() {
        return None;
    }
    Some(Proof { asset, round, root_hash, client_id, salt, balance, index, siblings })
}

fn encode_root(asset: &str, f: &RootFacts) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + asset.len() + 8 + 1 + 4 + 1 + 32 + 16);
    out.push(FORMAT_VERSION);
    out.push(asset.len() as u8);
    out.extend_from_slice(asset.as_bytes());
    out.extend_from_slice(&f.round.to_be_bytes());
    out.push(f.scale);
    out.extend_from_slice(&f.leaf_count.to_be_bytes());
    out.push(f.depth);
    out.extend_from_slice(&f.root.hash);
    out.extend_from_slice(&f.root.sum.to_be_bytes());
    out
}

/// Decodes a published root's payload; `None` unless exactly one well-formed, consistent root
/// (depth = max(1, ⌈log2 leafCount⌉), total within what leafCount leaves can hold).
fn decode_root(bytes: &[u8]) -> Option<(String, RootFacts)> {
    let mut r = Reader { bytes };
    if r.u8()? != FORMAT_VERSION {
        return None;
    }
    let asset = r.str()?.to_owned();
    check_asset(&asset).ok()?;
    let round = u64::from_be_bytes(r.array()?);
    let scale = r.u8()?;
    let leaf_count = u32::from_be_bytes(r.array()?);
    let depth = r.u8()?;
    let hash = r.array()?;
    let sum = u128::from_be_bytes(r.array()?);
    let consistent = r.bytes.is_empty()
        && round <= envelope::TIME_S_MAX as u64
        && scale <= SCALE_MAX
        && (1..=LEAVES_MAX).contains(&leaf_count)
        && depth == depth_for(leaf_count)
        && sum <= LEAF_BALANCE_MAX.saturating_mul(u128::from(leaf_count));
    consistent.then_some((asset, RootFacts { round, scale, leaf_count, depth, root: Node { hash, sum } }))
}

fn view_of_root(asset: &str, f: &RootFacts) -> PublishedRoot {
    PublishedRoot {
        asset: asset.to_owned(),
        round: f.round,
        scale: f.scale,
        leaf_count: f.leaf_count,
        depth: f.depth,
        root_hash: hex(&f.root.hash),
        total: f.root.sum.to_string(),
    }
}

/// Lowercase hex. Digit by digit, not `write!("{:02x}")`: a checked proof's outcome holds ~2 hashes per
/// level, and the formatting machinery per byte was most of a check's time in wasm.
pub fn hex(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 });
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(digit(b >> 4));
        s.push(digit(b & 0x0f));
    }
    s
}

/// A published root the client has opened and decoded: what [`verify_inclusion_against`] checks
/// proofs against (open it once, check many proofs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedRoot {
    asset: String,
    facts: RootFacts,
}

impl OpenedRoot {
    /// The statement, for display.
    pub fn view(&self) -> PublishedRoot {
        view_of_root(&self.asset, &self.facts)
    }
}

/// What the client checking a proof knows: who trusts which platform key, when, and who they are.
#[derive(Debug, Clone, Copy)]
pub struct ClientCheck<'a> {
    /// The platform's keys the client trusts for published roots.
    pub trusted_keys: &'a [TrustedKey<'a>],
    /// The client's clock, Unix seconds.
    pub now: i64,
    /// Tolerated clock skew for the root's issue time, seconds.
    pub max_clock_skew_s: u32,
    /// The last round this client accepted: an older or equal round's root is refused (`REPLAYED`).
    pub last_round: Option<u64>,
    /// The client's own id.
    pub client_id: &'a str,
    /// The balance the client's statement shows, if they want it checked.
    pub expected_balance: Option<u128>,
}

/// One step of the path up the tree, for the picture: the path's node at this level and its sibling.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathStep {
    /// Level (0 = the client's leaf).
    pub level: u8,
    /// Whether the path's node is the right child of its parent.
    pub is_right: bool,
    /// The path's node hash, hex.
    pub hash: String,
    /// The path's node sum, minor units.
    pub sum: String,
    /// The sibling's hash, hex.
    pub sibling_hash: String,
    /// The sibling's sum, minor units.
    pub sibling_sum: String,
}

/// The result of checking an inclusion proof.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionOutcome {
    /// What the check found (one code, the first failing check).
    pub code: InclusionCode,
    /// For `ROOT_REJECTED`: the envelope's rejection (`BAD_SIGNATURE`, `EXPIRED`, …).
    pub root_rejection: Option<String>,
    /// The published root, once it opened and decoded.
    pub root: Option<PublishedRoot>,
    /// The proof's balance, minor units, once the proof decoded.
    pub balance: Option<String>,
    /// The proof's leaf index, once the proof decoded.
    pub index: Option<u32>,
    /// The recomputed path from the leaf up (empty unless the recomputation ran): level `depth - 1`'s
    /// parent is the recomputed root.
    pub path: Vec<PathStep>,
    /// The recomputed root hash, hex, when the recomputation ran.
    pub computed_root_hash: Option<String>,
    /// The recomputed total, minor units, when the recomputation ran.
    pub computed_total: Option<String>,
}

impl InclusionOutcome {
    fn refused(code: InclusionCode) -> Self {
        InclusionOutcome {
            code,
            root_rejection: None,
            root: None,
            balance: None,
            index: None,
            path: Vec::new(),
            computed_root_hash: None,
            computed_total: None,
        }
    }
}

/// Opens and decodes a published root (steps 2–3 of the check order). `Err` is a caller error
/// (bad trusted keys, clock skew); `Ok(Err(outcome))` a refused root.
pub fn open_root(envelope_bytes: &[u8], check: &ClientCheck<'_>) -> Result<core::result::Result<OpenedRoot, InclusionOutcome>> {
    let params = OpenParams {
        trusted_keys: check.trusted_keys,
        now: check.now,
        expected_type: ROOT_TYPE,
        last_seq: check.last_round,
        max_clock_skew_s: check.max_clock_skew_s,
    };
    let opened = match envelope::open_checked(envelope_bytes, &params)? {
        Ok(opened) => opened,
        Err(rejection) => {
            let mut out = InclusionOutcome::refused(InclusionCode::RootRejected);
            out.root_rejection = Some(rejection.as_str().to_owned());
            return Ok(Err(out));
        }
    };
    match decode_root(&opened.payload) {
        Some((asset, facts)) if facts.round == opened.seq && opened.version == u32::from(FORMAT_VERSION) => Ok(Ok(OpenedRoot { asset, facts })),
        _ => Ok(Err(InclusionOutcome::refused(InclusionCode::RootMalformed))),
    }
}

/// Checks a proof against the published root (the whole check order). `Err` only for a malformed
/// call: `check.clientId` malformed, or the envelope's parameter errors (trusted keys, skew).
pub fn verify_inclusion(proof: &[u8], published_root: &[u8], check: &ClientCheck<'_>) -> Result<InclusionOutcome> {
    check_client_id(check.client_id, "clientId")?;
    // Step 1 before the root: a malformed proof is named even when the root is also bad.
    if decode_proof(proof).is_none() {
        return Ok(InclusionOutcome::refused(InclusionCode::ProofMalformed));
    }
    match open_root(published_root, check)? {
        Ok(root) => verify_inclusion_against(proof, &root, check.client_id, check.expected_balance),
        Err(outcome) => Ok(outcome),
    }
}

/// Steps 1 and 4–15 against a root already opened with [`open_root`].
pub fn verify_inclusion_against(proof: &[u8], root: &OpenedRoot, client_id: &str, expected_balance: Option<u128>) -> Result<InclusionOutcome> {
    check_client_id(client_id, "clientId")?;
    let Some(p) = decode_proof(proof) else {
        return Ok(InclusionOutcome::refused(InclusionCode::ProofMalformed));
    };
    let facts = &root.facts;
    let mut out = InclusionOutcome::refused(InclusionCode::Included);
    out.root = Some(root.view());
    out.balance = Some(p.balance.to_string());
    out.index = Some(p.index);
    let refuse = |mut out: InclusionOutcome, code| {
        out.code = code;
        Ok(out)
    };
    if p.client_id != client_id {
        return refuse(out, InclusionCode::ClientMismatch);
    }
    if p.asset != root.asset {
        return refuse(out, InclusionCode::AssetMismatch);
    }
    if p.round != facts.round {
        return refuse(out, InclusionCode::RoundMismatch);
    }
    if p.root_hash != facts.root.hash {
        return refuse(out, InclusionCode::RootNotPublished);
    }
    if expected_balance.is_some_and(|b| b != p.balance) {
        return refuse(out, InclusionCode::BalanceMismatch);
    }
    if p.balance > LEAF_BALANCE_MAX {
        return refuse(out, InclusionCode::BalanceOutOfRange);
    }
    if p.siblings.len() != usize::from(facts.depth) {
        return refuse(out, InclusionCode::PathLengthMismatch);
    }
    if p.index >= facts.leaf_count {
        return refuse(out, InclusionCode::IndexOutOfRange);
    }
    for (level, s) in p.siblings.iter().enumerate() {
        // Level ≤ 23: the shift keeps the bound below 2^120.
        if s.sum > LEAF_BALANCE_MAX << level {
            return refuse(out, InclusionCode::SiblingSumOutOfRange);
        }
    }
    let mut node = Node { hash: leaf_hash(&p.asset, p.round, &p.client_id, &p.salt, p.balance), sum: p.balance };
    for (level, sibling) in p.siblings.iter().enumerate() {
        let is_right = (p.index >> level) & 1 == 1;
        out.path.push(PathStep {
            level: level as u8,
            is_right,
            hash: hex(&node.hash),
            sum: node.sum.to_string(),
            sibling_hash: hex(&sibling.hash),
            sibling_sum: sibling.sum.to_string(),
        });
        let parent = if is_right { node_of(sibling, &node) } else { node_of(&node, sibling) };
        // Cannot overflow after the range checks (all sums < 2^121); refuse rather than panic.
        node = match parent {
            Some(parent) => parent,
            None => return refuse(out, InclusionCode::SiblingSumOutOfRange),
        };
    }
    out.computed_root_hash = Some(hex(&node.hash));
    out.computed_total = Some(node.sum.to_string());
    if node.hash != facts.root.hash {
        return refuse(out, InclusionCode::RootMismatch);
    }
    if node.sum != facts.root.sum {
        return refuse(out, InclusionCode::TotalMismatch);
    }
    Ok(out)
}

outcome_codes! {
    /// Outcome of comparing two published roots two clients hold ([`compare_roots`]).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
    pub enum RootComparisonCode {
        /// Same asset and round, the same statement (root, total, clients): everyone was shown one tree.
        Consistent = "CONSISTENT",
        /// Another asset or round: nothing to compare.
        NotComparable = "NOT_COMPARABLE",
        /// Same asset and round, two different signed statements: the platform signed two trees (evidence of a root shown only to some clients).
        Equivocation = "EQUIVOCATION",
        /// One of the two did not open or decode (rootRejection says why, `which` says which).
        RootRefused = "ROOT_REFUSED",
    }
}

/// Two clients' published roots compared.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RootComparison {
    /// What the comparison found.
    pub code: RootComparisonCode,
    /// For `ROOT_REFUSED`: 1 or 2, the refused one (the first if both).
    pub which: Option<u8>,
    /// For `ROOT_REFUSED`: the envelope's rejection, or `MALFORMED_PAYLOAD` when its payload did not decode.
    pub root_rejection: Option<String>,
    /// The first statement, once it opened.
    pub first: Option<PublishedRoot>,
    /// The second statement, once it opened.
    pub second: Option<PublishedRoot>,
}

/// Compares two signed roots (each opened as [`open_root`] does, under the same keys and clock):
/// a platform that shows a private tree to one client must sign a second root for the same asset
/// and round, and two clients comparing theirs (gossip, a transparency log) catch it. `Err` only
/// for a malformed call (the envelope's parameter errors).
pub fn compare_roots(first: &[u8], second: &[u8], check: &ClientCheck<'_>) -> Result<RootComparison> {
    let mut out = RootComparison { code: RootComparisonCode::Consistent, which: None, root_rejection: None, first: None, second: None };
    let mut opened = Vec::with_capacity(2);
    for (which, bytes) in [(1u8, first), (2u8, second)] {
        match open_root(bytes, check)? {
            Ok(root) => opened.push(root),
            Err(refused) => {
                out.code = RootComparisonCode::RootRefused;
                out.which = Some(which);
                out.root_rejection = Some(refused.root_rejection.unwrap_or_else(|| "MALFORMED_PAYLOAD".to_owned()));
                return Ok(out);
            }
        }
    }
    let (Some(a), Some(b)) = (opened.first(), opened.get(1)) else {
        return Err(internal("two roots opened"));
    };
    out.first = Some(a.view());
    out.second = Some(b.view());
    out.code = if a.asset != b.asset || a.facts.round != b.facts.round {
        RootComparisonCode::NotComparable
    } else if a.facts == b.facts {
        RootComparisonCode::Consistent
    } else {
        RootComparisonCode::Equivocation
    };
    Ok(out)
}

/// A decoded proof for display (the SDK's `decodeInclusionProof`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody-liabilities.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofView {
    /// Asset code.
    pub asset: String,
    /// Round.
    pub round: u64,
    /// The root the proof was made against, hex.
    pub root_hash: String,
    /// The client's id.
    pub client_id: String,
    /// The client's salt, hex.
    pub salt: String,
    /// Balance, minor units.
    pub balance: String,
    /// Leaf position.
    pub index: u32,
    /// Sibling hashes (hex) from the leaf's neighbour up.
    pub sibling_hashes: Vec<String>,
    /// Sibling sums (minor units), in the same order.
    pub sibling_sums: Vec<String>,
}

/// [`decode_proof`] as a view; errors: `INVALID_ARGUMENT` about `proof` when it does not decode.
pub fn proof_view(bytes: &[u8]) -> Result<ProofView> {
    let p = decode_proof(bytes).ok_or_else(|| Error::new(ErrorCode::InvalidArgument, "proof", "is not a well-formed inclusion proof"))?;
    Ok(ProofView {
        asset: p.asset,
        round: p.round,
        root_hash: hex(&p.root_hash),
        client_id: p.client_id,
        salt: hex(&p.salt),
        balance: p.balance.to_string(),
        index: p.index,
        sibling_hashes: p.siblings.iter().map(|s| hex(&s.hash)).collect(),
        sibling_sums: p.siblings.iter().map(|s| s.sum.to_string()).collect(),
    })
}

#[cfg(test)]
#[path = "liabilities_tests.rs"]
mod tests;
