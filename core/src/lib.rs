//! countersign-core: the pure-Rust core of countersign.
//!
//! The core makes money and safety decisions and nothing else: it never reads a clock, never
//! draws randomness, never touches the network or storage. Time and randomness are inputs, so
//! every decision is a pure function that can be replayed bit for bit on any platform.
//!
//! Primitives (shared by all systems):
//! - [`money`]: exact decimal amounts in ISO 4217 currencies and registered assets.
//! - [`crypto`]: Ed25519 (strict), secp256k1 ECDSA (RFC 6979, low-S), SHA-256.
//! - [`envelope`]: the one signed-message format (COSE_Sign1 over deterministic CBOR).
//! - [`limits`]: counters over count and amount in per-transaction, lifetime, trailing and
//!   calendar windows (IANA time zones, TZif data supplied by the caller), soft and hard
//!   thresholds, a declarative counting policy, idempotent reservations.
//! - [`ledger`]: accounts, double-entry transfers and two-phase holds (post, void, expire,
//!   increment, extend, partial and final capture), idempotency keys, a hash-chained journal
//!   with replay, snapshots, invariants checked on every change.
//! - [`snapshot`]: the authenticated snapshot format every stateful system saves its state in.
//! - [`error`]: one error type with a stable code per failure.
//!
//! Systems (recipes built from the primitives):
//! - [`card`]: System 1, the card usage counter set by a companion app.
//! - [`tempcard`]: System 2, the limited-use temporary credit account: credentials, and the
//!   issuer's service holding the reduced limit on the parent credit line.
//! - [`energy`]: System 3, the pre-authorised energy purchase: the e-money server and the
//!   terminal, their signed messages and receipt, the metering math.
//! - [`custody`]: System 8, crypto custody; its proof of liabilities (Merkle-sum tree, inclusion
//!   proofs each client checks).
//! - [`transfer`]: System 7, value transfer between providers: the resolver chain that names
//!   provider B and explains why, account identifier validation, and the format adapters
//!   (ISO 20022 pain.001 and pacs.008, Mojaloop FSPIOP, plain JSON) with loss reports, and the
//!   lifecycle on the ledger (quote, reserve, commit or abort).
//! - [`pos`]: System 4, a point of sale with an intermittent network: network state with
//!   hysteresis, offline risk limits, a hash-chained outbox forwarded exactly once.
//! - [`shelf`]: System 10, untidy item returns judged by weight: load-cell events, take records,
//!   return matching with an honest "ambiguous", lane contents and clean-up tasks.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod card;
pub mod crypto;
pub mod custody;
pub mod dose;
pub mod ecash;
pub mod energy;
pub mod envelope;
pub mod error;
pub mod layers;
pub mod ledger;
pub mod limits;
pub mod money;
pub mod relay;
pub mod pos;
pub mod snapshot;
pub mod shelf;
pub mod tempcard;
pub mod transfer;

pub use error::{Error, ErrorCode, Result};
