//! The back-office book: the client sub-ledger over the omnibus wallet, its flows, continuous
//! reconciliation and the withdrawal policy. The module docs ([`super`]) are the specification.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::codes::CustodyCode;

// The state snapshot reads the book's private state: a child of this module, in its own file.
#[path = "snapshot.rs"]
mod snapshot;
pub use snapshot::{BOOK_SNAPSHOT_BYTES_MAX, BOOK_SNAPSHOT_VERSION, CONFIG_LIST_ITEMS_MAX};
use super::keys;
use crate::crypto::{ct_eq, secp256k1, sha256};
use crate::envelope::{self, Alg, OpenParams, TrustedKey};
use crate::error::{Error, ErrorCode, Result};
use crate::layers::FromEnvelope;
use crate::ledger::{
    self as ledger, AccountKind, BatchOperation, Ledger, LedgerCode, OpenAccountRequest, Operation, SetCapacityRequest,
    TransferRequest,
};
use crate::limits::{self, CheckMode, CountingPolicy, LimitSpec, Limits, TimeZones, Usage};
use crate::money::{minor_units_text, Amount, Currency};

/// Most assets in one book.
pub const ASSETS_MAX: usize = 4;
/// Most clients in one book: two ledger accounts per client and asset, five per asset for the
/// book itself, in one ledger created with that capacity ([`LEDGER_ACCOUNTS_MAX`], ~400,000
/// accounts, within `ledger::ACCOUNTS_CAPACITY_MAX`). The bound is the persisted state: at ~100
/// bytes per ledger account with 40-byte client ids, the ledger's part of a full book is ~40 MB
/// of the storage adapters' 64 MiB value limit. A larger platform runs one book per shard of
/// clients.
pub const CLIENTS_MAX: usize = 50_000;
/// The capacity in accounts of the book's ledger: two per client and asset, five per asset for
/// the book itself.
pub const LEDGER_ACCOUNTS_MAX: usize = CLIENTS_MAX * 2 * ASSETS_MAX + 5 * ASSETS_MAX;
/// Most deposits remembered (pending, confirmed or quarantined).
pub const DEPOSITS_MAX: usize = 65_536;
/// Most withdrawals remembered, whatever their state.
pub const WITHDRAWALS_MAX: usize = 65_536;
/// Most destinations on one client's allow-list.
pub const ALLOW_LIST_MAX: usize = 32;
/// Most approvers (the quorum `k` is 1..=n).
pub const APPROVERS_MAX: usize = 16;
/// Bytes of a client, deposit, sweep, transfer, trade or withdrawal id: `[A-Za-z0-9._-]`, so
/// that the ledger ids built from it (`client:<id>:<asset>`) stay within `ledger::ID_BYTES_MAX`.
pub const ID_BYTES_MAX: usize = 40;
/// Most confirmations an asset may require.
pub const CONFIRMATIONS_MAX: u32 = 10_000;
/// Longest cooling-off period for a new allow-list entry: 30 days, in seconds.
pub const COOLING_OFF_S_MAX: u32 = 30 * 86_400;
/// Tolerated clock skew of an approver's issue time, seconds.
pub const APPROVAL_CLOCK_SKEW_S: u32 = 300;
/// The `typ` of an approval envelope.
pub const APPROVAL_TYPE: &str = "countersign.custody.approval";
/// The schema version of an approval's payload (the 32-byte withdrawal digest).
pub const APPROVAL_VERSION: u32 = 1;
/// Domain separation of a withdrawal's digest (what approvers sign).
const WITHDRAWAL_DOMAIN: &[u8] = b"countersign.custody.withdrawal.v1";
/// Domain separation of a transaction's digest (what the wallets sign).
const TRANSACTION_DOMAIN: &[u8] = b"countersign.custody.transaction.v1";

// ------------------------------------------------------------------------------------------
// Configuration
// ------------------------------------------------------------------------------------------

/// One asset of the book.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssetConfig {
    /// A registered asset or ISO 4217 code (`"BTC"`, `"ETH"`, `"USDC"`): its scale is the money
    /// primitive's.
    pub asset: String,
    /// Confirmations a deposit needs before it is credited, 1..=CONFIRMATIONS_MAX.
    pub confirmations: u32,
    /// The smallest confirmed transfer-wallet balance worth a sweep (decimal string, > 0).
    pub sweep_threshold: String,
    /// Limits on each client's withdrawals of this asset (amount limits in this asset, count
    /// limits; ids unique in the list).
    pub client_limits: Vec<LimitSpec>,
    /// Limits on all clients' withdrawals of this asset together.
    pub asset_limits: Vec<LimitSpec>,
}

/// An approver: an id (the envelope's `kid`) and an Ed25519 public key.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approver {
    /// Key id, 1..=64 bytes.
    pub approver_id: String,
    /// 32-byte Ed25519 public key.
    #[cfg_attr(feature = "ts", ts(type = "Uint8Array"))]
    #[serde(with = "bytes")]
    pub public_key: Vec<u8>,
}

/// The book's configuration, fixed for its life.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookConfig {
    /// 1..=ASSETS_MAX distinct assets.
    pub assets: Vec<AssetConfig>,
    /// The omnibus wallet's EIP-55 address.
    pub omnibus_address: String,
    /// 1..=APPROVERS_MAX approvers with distinct ids.
    pub approvers: Vec<Approver>,
    /// Live approvals needed to sign a withdrawal, 1..=approvers.
    pub quorum: u32,
    /// Seconds before a new allow-list entry may be used, 0..=COOLING_OFF_S_MAX.
    pub cooling_off_s: u32,
}

// ------------------------------------------------------------------------------------------
// Events and outcomes
// ------------------------------------------------------------------------------------------

/// An event of the book. JSON: `{"kind": "sweep", ...}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts", rename = "CustodyEvent"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum Event {
    /// Open a client's accounts; `address` is its transfer wallet (from `keys::transfer_wallet`).
    RegisterClient { client_id: String, address: String, now: i64 },
    /// A deposit seen on chain at `address` with `confirmations`.
    ObserveDeposit { deposit_id: String, address: String, asset: String, amount: String, confirmations: u32, now: i64 },
    /// Attribute a quarantined deposit to a client.
    ReleaseQuarantine { deposit_id: String, client_id: String, now: i64 },
    /// Sweep the client's confirmed transfer-wallet balance to the omnibus.
    Sweep { sweep_id: String, client_id: String, asset: String, network_fee: String, now: i64 },
    /// Move an amount between two clients' trading balances.
    Transfer { transfer_id: String, from_client_id: String, to_client_id: String, asset: String, amount: String, now: i64 },
    /// The buyer pays `quoteAmount` + `fee` of the quote asset, the seller delivers `baseAmount`.
    Trade { trade_id: String, buyer_id: String, seller_id: String, base_asset: String, base_amount: String, quote_asset: String, quote_amount: String, fee: String, now: i64 },
    /// The omnibus wallet's on-chain balance of an asset.
    ObserveOmnibus { asset: String, balance: String, now: i64 },
    /// A client's transfer wallet's confirmed on-chain balance of an asset.
    ObserveWallet { client_id: String, asset: String, balance: String, now: i64 },
    /// Add an address to a client's allow-list.
    AddDestination { client_id: String, address: String, now: i64 },
    /// Ask to withdraw `amount` (+ `networkFee`, paid by the client) to `destination`.
    RequestWithdrawal { withdrawal_id: String, client_id: String, asset: String, amount: String, network_fee: String, destination: String, now: i64 },
    /// An approver's envelope over the withdrawal's digest.
    Approve {
        withdrawal_id: String,
        #[cfg_attr(feature = "ts", ts(type = "Uint8Array"))]
        #[serde(with = "bytes")]
        envelope: Vec<u8>,
        now: i64,
    },
    /// The signed withdrawal was seen on chain.
    ConfirmWithdrawal { withdrawal_id: String, now: i64 },
    /// Cancel a withdrawal that is not signed yet.
    CancelWithdrawal { withdrawal_id: String, now: i64 },
}

/// A wallet whose observed on-chain balance differs from what the book expects: the omnibus
/// (`clientId` null) or a client's transfer wallet.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discrepancy {
    /// The asset.
    pub asset: String,
    /// The client whose transfer wallet differs; null for the omnibus.
    pub client_id: Option<String>,
    /// The omnibus: Σ client balances + fees + pending withdrawals + quarantine; a transfer
    /// wallet: its confirmed deposits not yet swept (decimal string).
    pub expected: String,
    /// The last observed on-chain balance.
    pub observed: String,
    /// `observed − expected` (negative: the chain holds less than the clients are owed).
    pub difference: String,
    /// The first event (its `event` number) since which the two have differed.
    pub since_event: u64,
}

/// The result of an event.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts", rename = "CustodyOutcome"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// One code per reason.
    pub code: CustodyCode,
    /// The event's number in the book (1, 2, …): every decided event gets one.
    pub event: u64,
    /// True when the same request was answered before (nothing was done again).
    pub repeated: bool,
    /// The ledger's code when it decided the refusal (`INSUFFICIENT_FUNDS`, `LEDGER_REFUSED`).
    pub ledger_code: Option<LedgerCode>,
    /// The limit that refused a withdrawal (`LIMIT_REACHED`).
    pub limit_id: Option<String>,
    /// The client's derivation index (`CLIENT_REGISTERED`).
    pub client_index: Option<u32>,
    /// Live approvals of the withdrawal after the event (approve, sign).
    pub approvals: Option<u32>,
    /// Every asset out of balance after the event (empty: reconciled).
    pub discrepancies: Vec<Discrepancy>,
}

/// Where a withdrawal is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WithdrawalState {
    /// Debited from the client, waiting for the quorum.
    AwaitingApproval,
    /// Both transactions signed, waiting to be seen on chain.
    Signed,
    /// Seen on chain.
    Confirmed,
    /// Cancelled before signing.
    Cancelled,
}

/// One withdrawal as the book sees it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalView {
    /// Id.
    pub withdrawal_id: String,
    /// The client.
    pub client_id: String,
    /// The asset.
    pub asset: String,
    /// Amount (decimal string).
    pub amount: String,
    /// Network fee (decimal string).
    pub network_fee: String,
    /// External destination (EIP-55).
    pub destination: String,
    /// State.
    pub state: WithdrawalState,
    /// The digest approvers sign (hex).
    pub digest: String,
    /// Approver ids with a counted approval, and its expiry (Unix seconds).
    pub approvals: Vec<(String, i64)>,
}

/// The two signed transactions of a withdrawal: omnibus → the client's transfer wallet, then
/// the transfer wallet → the destination.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedWithdrawal {
    /// The outcome (`WITHDRAWAL_SIGNED` or the refusal).
    pub outcome: Outcome,
    /// The digests signed (32 bytes each; empty when refused).
    #[cfg_attr(feature = "ts", ts(type = "Array<Uint8Array>"))]
    pub digests: Vec<Vec<u8>>,
    /// secp256k1 signatures `r‖s` (64 bytes each, RFC 6979, low-S), one per digest.
    #[cfg_attr(feature = "ts", ts(type = "Array<Uint8Array>"))]
    pub signatures: Vec<Vec<u8>>,
}

/// One client's balance of one asset, in minor units: what the proof of liabilities takes.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "custody.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientBalance {
    /// Client id.
    pub client_id: String,
    /// Asset code.
    pub asset: String,
    /// Trading balance in minor units (decimal integer string; never negative).
    pub balance_minor_units: String,
}

// ------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct AssetState {
    currency: &'static Currency,
    confirmations: u32,
    sweep_threshold: i128,
    asset_limits: Limits,
    client_specs: Vec<LimitSpec>,
    /// What the omnibus should hold (minor units), kept by every event that moves value in or
    /// out of it; `check_invariants` recomputes it from the ledger.
    expected: i128,
    observed: Option<i128>,
    discrepancy_since: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct WalletCheck {
    observed: i128,
    expected: i128,
    since: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Client {
    index: u32,
    address: [u8; keys::ADDRESS_BYTES],
    /// Destination → the first time it may be used.
    allow_list: BTreeMap<[u8; keys::ADDRESS_BYTES], i64>,
    /// Per asset (by position in the book's assets).
    limits: Vec<Limits>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DepositState {
    Pending,
    Confirmed,
    Quarantined,
    Released,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Deposit {
    address: [u8; keys::ADDRESS_BYTES],
    asset: usize,
    amount: i128,
    /// The client, or none for a deposit at the omnibus.
    client: Option<String>,
    state: DepositState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Withdrawal {
    client: String,
    asset: usize,
    amount: i128,
    fee: i128,
    destination: [u8; keys::ADDRESS_BYTES],
    state: WithdrawalState,
    digest: [u8; 32],
    /// Approver id → the approval's expiry.
    approvals: BTreeMap<String, i64>,
}

/// The custody back-office book (see the module docs).
#[derive(Debug, Clone)]
pub struct Book {
    config: BookConfig,
    omnibus: [u8; keys::ADDRESS_BYTES],
    assets: Vec<AssetState>,
    ledger: Ledger,
    clients: BTreeMap<String, Client>,
    addresses: BTreeMap<[u8; keys::ADDRESS_BYTES], String>,
    deposits: BTreeMap<String, Deposit>,
    withdrawals: BTreeMap<String, Withdrawal>,
    /// (client, asset index) → the last observed balance of that transfer wallet, what the book
    /// expected when last touched, and since which event they differ (at most one entry per
    /// client and asset: CLIENTS_MAX × ASSETS_MAX).
    wallets_observed: BTreeMap<(String, usize), WalletCheck>,
    /// The keys of `wallets_observed` whose check differs (`since` set), sorted, each once: what
    /// a report lists, so that an event costs O(log n) whatever the number of observed wallets
    /// (a sorted `Vec` rather than a `BTreeSet`: the set's code was ~6 KB of wasm).
    wallets_differing: Vec<(String, usize)>,
    /// Approver id → the last approval sequence number accepted (anti-replay across withdrawals).
    approver_seqs: BTreeMap<String, u64>,
    zones: TimeZones,
    event: u64,
}

/// Byte strings as serde bytes (a `Uint8Array` across the wasm boundary), read from bytes or
/// from a sequence of numbers (JSON vectors).
pub(super) mod bytes {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    /// The most bytes read: an envelope's limit (`envelope::ENVELOPE_BYTES_MAX`).
    const BYTES_MAX: usize = crate::envelope::ENVELOPE_BYTES_MAX;

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    struct Bytes;

    impl<'de> Visitor<'de> for Bytes {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "bytes (at most {BYTES_MAX})")
        }
        fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            if v.len() > BYTES_MAX {
                return Err(E::invalid_length(v.len(), &self));
            }
            Ok(v)
        }
        fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            self.visit_byte_buf(v.to_vec())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut out = Vec::new();
            while let Some(b) = seq.next_element::<u8>()? {
                if out.len() == BYTES_MAX {
                    return Err(A::Error::invalid_length(BYTES_MAX + 1, &self));
                }
                out.push(b);
            }
            Ok(out)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_byte_buf(Bytes)
    }
}

fn arg(param: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

/// Checks an id of the book (client, deposit, sweep, …).
fn check_id(id: &str, param: &'static str) -> Result<()> {
    if (1..=ID_BYTES_MAX).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        Ok(())
    } else {
        Err(arg(param, format!("must be 1..={ID_BYTES_MAX} characters of [A-Za-z0-9._-]")))
    }
}

fn check_now(now: i64) -> Result<()> {
    limits::check_time(now, "now")
}

/// A strict decimal amount of `currency` in minor units (may be zero or negative: the caller
/// decides what it allows).
fn units(text: &str, currency: &'static Currency, param: &'static str) -> Result<i128> {
    Amount::parse(text, currency, None)
        .map(|a| a.to_minor_units())
        // The money primitive names its own parameter `amount`; name the caller's field instead.
        .map_err(|e| Error::new(e.code(), param, e.message().to_owned()))
}

fn currency_of(asset: &str, param: &'static str) -> Result<&'static Currency> {
    Currency::from_code(asset).map_err(|e| Error::new(e.code(), param, e.message().to_owned()))
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Appends a length-prefixed field (so that no two field lists hash the same).
fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// SHA-256 of a withdrawal's terms: what each approver signs.
pub fn withdrawal_digest(
    withdrawal_id: &str,
    client_id: &str,
    asset: &str,
    amount_minor_units: i128,
    network_fee_minor_units: i128,
    destination: &[u8; keys::ADDRESS_BYTES],
) -> [u8; 32] {
    let mut buf = Vec::with_capacity(160);
    field(&mut buf, WITHDRAWAL_DOMAIN);
    field(&mut buf, withdrawal_id.as_bytes());
    field(&mut buf, client_id.as_bytes());
    field(&mut buf, asset.as_bytes());
    field(&mut buf, &amount_minor_units.to_be_bytes());
    field(&mut buf, &network_fee_minor_units.to_be_bytes());
    field(&mut buf, destination);
    sha256(&buf)
}

/// SHA-256 of one transaction leg: what its sending wallet signs with secp256k1.
pub fn transaction_digest(
    withdrawal_id: &str,
    leg: u8,
    from: &[u8; keys::ADDRESS_BYTES],
    to: &[u8; keys::ADDRESS_BYTES],
    asset: &str,
    amount_minor_units: i128,
) -> [u8; 32] {
    let mut buf = Vec::with_capacity(160);
    field(&mut buf, TRANSACTION_DOMAIN);
    field(&mut buf, withdrawal_id.as_bytes());
    field(&mut buf, &[leg]);
    field(&mut buf, from);
    field(&mut buf, to);
    field(&mut buf, asset.as_bytes());
    field(&mut buf, &amount_minor_units.to_be_bytes());
    sha256(&buf)
}

/// Ledger account ids.
fn client_account(client: &str, asset: &str) -> String {
    format!("client:{client}:{asset}")
}
fn wallet_account(client: &str, asset: &str) -> String {
    format!("wallet:{client}:{asset}")
}
fn book_account(role: &str, asset: &str) -> String {
    format!("{role}:{asset}")
}
/// The outside world (the chain): unrestricted, the only account that goes negative.
const WORLD: &str = "world";
/// Platform fees held in the omnibus.
const FEES: &str = "fees";
/// Withdrawals debited from clients and not yet seen leaving the omnibus.
const OUTGOING: &str = "outgoing";
/// Unattributed deposits at the omnibus.
const QUARANTINE: &str = "quarantine";
/// Network fees paid (gone to the chain's miners/validators).
const NETWORK_FEES: &str = "networkfees";

fn transfer_op(key: String, now: i64, from: String, to: String, amount: i128, currency: &'static Currency) -> Operation {
    Operation::Transfer(TransferRequest {
        idempotency_key: key,
        now,
        debit_account_id: from,
        credit_account_id: to,
        amount: minor_units_text(amount, currency.minor_units()),
        currency: currency.code().to_owned(),
    })
}

/// What a ledger call decided, in the book's terms.
enum Booked {
    Done { repeated: bool },
    Refused(CustodyCode, LedgerCode),
}

impl Book {
    /// A new book.
    ///
    /// Errors: `INVALID_ARGUMENT` about `assets`, `assets[i].*`, `omnibusAddress`, `approvers`,
    /// `approvers[i].*`, `quorum` or `coolingOffS`; the limits' own errors about
    /// `assets[i].clientLimits` / `assetLimits`.
    pub fn new(config: BookConfig) -> Result<Book> {
        if config.assets.is_empty() || config.assets.len() > ASSETS_MAX {
            return Err(arg("assets", format!("must list 1..={ASSETS_MAX} assets")));
        }
        let omnibus = keys::parse_address(&config.omnibus_address, "omnibusAddress")?;
        if config.approvers.is_empty() || config.approvers.len() > APPROVERS_MAX {
            return Err(arg("approvers", format!("must list 1..={APPROVERS_MAX} approvers")));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, approver) in config.approvers.iter().enumerate() {
            let id = &approver.approver_id;
            if id.is_empty() || id.len() > envelope::KEY_ID_BYTES_MAX || id.chars().any(char::is_control) {
                return Err(arg("approverId", "must be 1..=64 bytes without control characters").at(&format!("[{i}]")).at("approvers"));
            }
            if !seen.insert(id.clone()) {
                return Err(arg("approverId", "is listed twice").at(&format!("[{i}]")).at("approvers"));
            }
            // Length only: a 32-byte string that is not a point can never verify, so it approves nothing.
            if approver.public_key.len() != 32 {
                return Err(Error::new(ErrorCode::KeyInvalid, "publicKey", "must be a 32-byte Ed25519 key").at(&format!("[{i}]")).at("approvers"));
            }
        }
        let n = u32::try_from(config.approvers.len()).unwrap_or(u32::MAX);
        if config.quorum == 0 || config.quorum > n {
            return Err(arg("quorum", "must be 1..=the number of approvers"));
        }
        if config.cooling_off_s > COOLING_OFF_S_MAX {
            return Err(arg("coolingOffS", format!("must be at most {COOLING_OFF_S_MAX}")));
        }
        let zones = TimeZones::new();
        let mut assets = Vec::with_capacity(config.assets.len());
        for (i, a) in config.assets.iter().enumerate() {
            let at = |e: Error| e.at(&format!("[{i}]")).at("assets");
            let currency = currency_of(&a.asset, "asset").map_err(at)?;
            if config.assets.iter().take(i).any(|b| b.asset == a.asset) {
                return Err(at(arg("asset", "is listed twice")));
            }
            if a.confirmations == 0 || a.confirmations > CONFIRMATIONS_MAX {
                return Err(at(arg("confirmations", format!("must be 1..={CONFIRMATIONS_MAX}"))));
            }
            let sweep_threshold = units(&a.sweep_threshold, currency, "sweepThreshold").map_err(at)?;
            if sweep_threshold <= 0 {
                return Err(at(arg("sweepThreshold", "must be above zero")));
            }
            limits::validate_specs(&a.client_limits).map_err(|e| at(e.at("clientLimits")))?;
            let asset_limits = Limits::new(&a.asset_limits, CountingPolicy::default(), &zones)
                .map_err(|e| at(e.at("assetLimits")))?;
            assets.push(AssetState {
                currency,
                confirmations: a.confirmations,
                sweep_threshold,
                asset_limits,
                client_specs: a.client_limits.clone(),
                expected: 0,
                observed: None,
                discrepancy_since: None,
            });
        }
        let mut ledger = Ledger::new();
        // Journaled first, like every account the book opens (the book replays its events onto
        // a new book, so its ledger gets the same capacity again).
        let capacity = ledger.execute(&Operation::SetCapacity(SetCapacityRequest {
            idempotency_key: "capacity".into(),
            now: 0,
            accounts_max: LEDGER_ACCOUNTS_MAX as u32,
            holds_max: ledger::HOLDS_MAX as u32,
        }))?;
        if !capacity.is_success() {
            return Err(Error::new(ErrorCode::Internal, "", format!("the ledger refused its capacity: {}", capacity.code)));
        }
        for asset in &assets {
            for (role, kind) in [
                (WORLD, AccountKind::Unrestricted),
                (FEES, AccountKind::NonNegative),
                (OUTGOING, AccountKind::NonNegative),
                (QUARANTINE, AccountKind::NonNegative),
                (NETWORK_FEES, AccountKind::NonNegative),
            ] {
                let id = book_account(role, asset.currency.code());
                open(&mut ledger, id, asset.currency, kind, 0)?;
            }
        }
        Ok(Book {
            config,
            omnibus,
            assets,
            ledger,
            clients: BTreeMap::new(),
            addresses: BTreeMap::new(),
            deposits: BTreeMap::new(),
            withdrawals: BTreeMap::new(),
            wallets_observed: BTreeMap::new(),
            wallets_differing: Vec::new(),
            approver_seqs: BTreeMap::new(),
            zones,
            event: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BookConfig {
        &self.config
    }

    /// The number of the last event decided (0: none).
    pub fn event_count(&self) -> u64 {
        self.event
    }

    fn asset_index(&self, asset: &str) -> Option<usize> {
        self.assets.iter().position(|a| a.currency.code() == asset)
    }

    /// Applies one event (see the module docs for each event's checks, in order).
    ///
    /// Errors: malformed requests (`INVALID_ARGUMENT`, `AMOUNT_*`, `CURRENCY_UNKNOWN` naming the
    /// field); nothing changes and no event number is used.
    pub fn apply(&mut self, event: &Event) -> Result<Outcome> {
        let (code, decided) = self.decide(event)?;
        let touched = self.refresh_wallet_check(event);
        self.event = self.event.saturating_add(1);
        let mut outcome = decided;
        outcome.code = code;
        outcome.event = self.event;
        outcome.discrepancies = self.reconcile(touched);
        // The book persists itself (snapshots); the ledger's journal is not its record.
        let head = self.ledger.head().seq;
        self.ledger.truncate_journal(head)?;
        Ok(outcome)
    }

    /// Refreshes what the book expects of the transfer wallet an event touched (a deposit
    /// there, its sweep, its observation), if that wallet is observed: O(1) per event. Returns
    /// that wallet's key (the only check whose observed or expected balance an event changes).
    fn refresh_wallet_check(&mut self, event: &Event) -> Option<(String, usize)> {
        let touched = match event {
            Event::ObserveDeposit { address, asset, .. } => keys::parse_address(address, "address")
                .ok()
                .and_then(|a| self.addresses.get(&a).cloned())
                .map(|c| (c, asset)),
            Event::Sweep { client_id, asset, .. } | Event::ObserveWallet { client_id, asset, .. } => {
                Some((client_id.clone(), asset))
            }
            _ => None,
        };
        let (client, asset) = touched?;
        let ai = self.asset_index(asset)?;
        let currency = self.assets.get(ai).map(|a| a.currency)?;
        let expected = self.balance(&wallet_account(&client, asset), currency);
        let key = (client, ai);
        self.wallets_observed.get_mut(&key)?.expected = expected;
        Some(key)
    }

    /// Compares the omnibus per asset and the wallet the event touched (no other wallet's
    /// balances changed) with what the book expects, remembering since which event each
    /// difference has lasted; the report.
    fn reconcile(&mut self, touched: Option<(String, usize)>) -> Vec<Discrepancy> {
        let event = self.event;
        for asset in &mut self.assets {
            match asset.observed {
                Some(observed) if observed != asset.expected => {
                    asset.discrepancy_since.get_or_insert(event);
                }
                _ => asset.discrepancy_since = None,
            }
        }
        if let Some(key) = touched {
            if let Some(check) = self.wallets_observed.get_mut(&key) {
                let differs = check.observed != check.expected;
                if differs {
                    check.since.get_or_insert(event);
                } else {
                    check.since = None;
                }
                match self.wallets_differing.binary_search(&key) {
                    Ok(at) if !differs => {
                        self.wallets_differing.remove(at);
                    }
                    Err(at) if differs => self.wallets_differing.insert(at, key),
                    _ => {}
                }
            }
        }
        self.discrepancies()
    }

    /// The current discrepancies (as the last event reported them): the omnibus per asset in
    /// the configuration's order, then the transfer wallets by client id and asset.
    pub fn discrepancies(&self) -> Vec<Discrepancy> {
        let mut out = Vec::new();
        let report = |asset: &AssetState, client_id: Option<String>, expected: i128, observed: i128, since: u64| {
            let scale = asset.currency.minor_units();
            Discrepancy {
                asset: asset.currency.code().to_owned(),
                client_id,
                expected: minor_units_text(expected, scale),
                observed: minor_units_text(observed, scale),
                difference: minor_units_text(observed.saturating_sub(expected), scale),
                since_event: since,
            }
        };
        for asset in &self.assets {
            if let (Some(observed), Some(since)) = (asset.observed, asset.discrepancy_since) {
                out.push(report(asset, None, asset.expected, observed, since));
            }
        }
        for key in &self.wallets_differing {
            let (client, ai) = key;
            let Some(check) = self.wallets_observed.get(key) else { continue };
            if let (Some(asset), Some(since)) = (self.assets.get(*ai), check.since) {
                out.push(report(asset, Some(client.clone()), check.expected, check.observed, since));
            }
        }
        out
    }

    fn run(&mut self, ops: Vec<BatchOperation>) -> Result<Booked> {
        let outcomes = self.ledger.execute_batch(&ops).map_err(|e| e.error)?;
        match outcomes.iter().find(|o| !o.is_success()) {
            None => Ok(Booked::Done { repeated: outcomes.iter().all(|o| o.repeated) }),
            Some(_) => {
                // The failing member is the one whose code is not LINKED_OPERATION_FAILED.
                let code = outcomes
                    .iter()
                    .map(|o| o.code)
                    .find(|c| !c.is_success() && *c != LedgerCode::LinkedOperationFailed)
                    .unwrap_or(LedgerCode::LinkedOperationFailed);
                let mapped = match code {
                    LedgerCode::InsufficientFunds => CustodyCode::InsufficientFunds,
                    LedgerCode::IdempotencyKeyReused => CustodyCode::IdReused,
                    _ => CustodyCode::LedgerRefused,
                };
                Ok(Booked::Refused(mapped, code))
            }
        }
    }

    fn chain(ops: Vec<Operation>) -> Vec<BatchOperation> {
        let last = ops.len().saturating_sub(1);
        ops.into_iter()
            .enumerate()
            .map(|(i, operation)| BatchOperation { operation, linked: i < last })
            .collect()
    }

    fn balance(&self, account: &str, currency: &'static Currency) -> i128 {
        self.ledger
            .account(account)
            .and_then(|a| Amount::parse(&a.balance, currency, None).ok())
            .map_or(0, |a| a.to_minor_units())
    }

    fn decide(&mut self, event: &Event) -> Result<(CustodyCode, Outcome)> {
        let blank = Outcome {
            code: CustodyCode::BalanceObserved,
            event: 0,
            repeated: false,
            ledger_code: None,
            limit_id: None,
            client_index: None,
            approvals: None,
            discrepancies: Vec::new(),
        };
        let refused = |booked: Booked, success: CustodyCode, mut outcome: Outcome| -> (CustodyCode, Outcome) {
            match booked {
                Booked::Done { repeated } => {
                    outcome.repeated = repeated;
                    (success, outcome)
                }
                Booked::Refused(code, ledger_code) => {
                    outcome.ledger_code = Some(ledger_code);
                    (code, outcome)
                }
            }
        };
        match event {
            Event::RegisterClient { client_id, address, now } => {
                check_id(client_id, "clientId")?;
                let address = keys::parse_address(address, "address")?;
                check_now(*now)?;
                if self.clients.contains_key(client_id) {
                    return Ok((CustodyCode::ClientExists, blank));
                }
                if address == self.omnibus || self.addresses.contains_key(&address) {
                    return Ok((CustodyCode::AddressInUse, blank));
                }
                if self.clients.len() >= CLIENTS_MAX {
                    return Ok((CustodyCode::ClientsFull, blank));
                }
                let mut limits = Vec::with_capacity(self.assets.len());
                for (i, asset) in self.assets.iter().enumerate() {
                    let l = Limits::new(&asset.client_specs, CountingPolicy::default(), &self.zones)
                        .map_err(|e| e.at("clientLimits").at(&format!("[{i}]")).at("assets"))?;
                    limits.push(l);
                }
                // The client's accounts open all or none: `openAccount` cannot be linked, so the
                // keys they take are checked first (a burst of registrations fills the ledger's
                // key window: a typed refusal, nothing opened; retried once the keys aged).
                let keys = 2 * self.assets.len();
                if !self.ledger.keys_fit(keys, *now) {
                    return Ok((CustodyCode::LedgerRefused, Outcome { ledger_code: Some(LedgerCode::IdempotencyKeysFull), ..blank }));
                }
                for asset in &self.assets {
                    let code = asset.currency.code();
                    open(&mut self.ledger, client_account(client_id, code), asset.currency, AccountKind::NonNegative, *now)?;
                    open(&mut self.ledger, wallet_account(client_id, code), asset.currency, AccountKind::NonNegative, *now)?;
                }
                let index = u32::try_from(self.clients.len()).unwrap_or(u32::MAX);
                self.clients.insert(
                    client_id.clone(),
                    Client { index, address, allow_list: BTreeMap::new(), limits },
                );
                self.addresses.insert(address, client_id.clone());
                Ok((CustodyCode::ClientRegistered, Outcome { client_index: Some(index), ..blank }))
            }
            Event::ObserveDeposit { deposit_id, address, asset, amount, confirmations, now } => {
                check_id(deposit_id, "depositId")?;
                let address = keys::parse_address(address, "address")?;
                let currency = currency_of(asset, "asset")?;
                let amount = units(amount, currency, "amount")?;
                if amount <= 0 {
                    return Err(arg("amount", "must be above zero"));
                }
                check_now(*now)?;
                let Some(ai) = self.asset_index(asset) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                let client = if address == self.omnibus {
                    None
                } else if let Some(c) = self.addresses.get(&address) {
                    Some(c.clone())
                } else {
                    return Ok((CustodyCode::UnknownAddress, blank));
                };
                if let Some(known) = self.deposits.get(deposit_id) {
                    if known.address != address || known.asset != ai || known.amount != amount {
                        return Ok((CustodyCode::DepositConflict, blank));
                    }
                    if known.state != DepositState::Pending {
                        return Ok((CustodyCode::DepositAlreadyConfirmed, Outcome { repeated: true, ..blank }));
                    }
                } else if self.deposits.len() >= DEPOSITS_MAX {
                    return Ok((CustodyCode::DepositsFull, blank));
                }
                let required = self.assets.get(ai).map_or(u32::MAX, |a| a.confirmations);
                if *confirmations < required {
                    self.deposits.insert(
                        deposit_id.clone(),
                        Deposit { address, asset: ai, amount, client, state: DepositState::Pending },
                    );
                    return Ok((CustodyCode::DepositPending, blank));
                }
                let to = match &client {
                    Some(c) => wallet_account(c, asset),
                    None => book_account(QUARANTINE, asset),
                };
                let op = transfer_op(format!("deposit:{deposit_id}"), *now, book_account(WORLD, asset), to, amount, currency);
                match self.run(Self::chain(vec![op]))? {
                    Booked::Refused(code, ledger_code) => Ok((code, Outcome { ledger_code: Some(ledger_code), ..blank })),
                    Booked::Done { .. } => {
                        let (state, code) = if client.is_some() {
                            (DepositState::Confirmed, CustodyCode::DepositConfirmed)
                        } else {
                            if let Some(a) = self.assets.get_mut(ai) {
                                a.expected = a.expected.saturating_add(amount);
                            }
                            (DepositState::Quarantined, CustodyCode::DepositQuarantined)
                        };
                        self.deposits.insert(deposit_id.clone(), Deposit { address, asset: ai, amount, client, state });
                        Ok((code, blank))
                    }
                }
            }
            Event::ReleaseQuarantine { deposit_id, client_id, now } => {
                check_id(deposit_id, "depositId")?;
                check_id(client_id, "clientId")?;
                check_now(*now)?;
                let Some(deposit) = self.deposits.get(deposit_id).filter(|d| d.state == DepositState::Quarantined) else {
                    return Ok((CustodyCode::NotQuarantined, blank));
                };
                if !self.clients.contains_key(client_id) {
                    return Ok((CustodyCode::UnknownClient, blank));
                }
                let Some(asset) = self.assets.get(deposit.asset) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                let (currency, amount) = (asset.currency, deposit.amount);
                let op = transfer_op(
                    format!("release:{deposit_id}"),
                    *now,
                    book_account(QUARANTINE, currency.code()),
                    client_account(client_id, currency.code()),
                    amount,
                    currency,
                );
                let booked = self.run(Self::chain(vec![op]))?;
                if let Booked::Done { .. } = booked {
                    if let Some(d) = self.deposits.get_mut(deposit_id) {
                        d.state = DepositState::Released;
                        d.client = Some(client_id.clone());
                    }
                }
                Ok(refused(booked, CustodyCode::QuarantineReleased, blank))
            }
            Event::Sweep { sweep_id, client_id, asset, network_fee, now } => {
                check_id(sweep_id, "sweepId")?;
                check_id(client_id, "clientId")?;
                let currency = currency_of(asset, "asset")?;
                let fee = units(network_fee, currency, "networkFee")?;
                if fee < 0 {
                    return Err(arg("networkFee", "must not be negative"));
                }
                check_now(*now)?;
                let Some(ai) = self.asset_index(asset) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                if !self.clients.contains_key(client_id) {
                    return Ok((CustodyCode::UnknownClient, blank));
                }
                let amount = self.balance(&wallet_account(client_id, asset), currency);
                let threshold = self.assets.get(ai).map_or(i128::MAX, |a| a.sweep_threshold);
                if amount < threshold {
                    return Ok((CustodyCode::BelowSweepThreshold, blank));
                }
                if fee >= amount {
                    return Ok((CustodyCode::FeeExceedsAmount, blank));
                }
                let wallet = wallet_account(client_id, asset);
                let mut ops = vec![transfer_op(
                    format!("sweep:{sweep_id}:credit"),
                    *now,
                    wallet.clone(),
                    client_account(client_id, asset),
                    amount - fee,
                    currency,
                )];
                if fee > 0 {
                    ops.push(transfer_op(
                        format!("sweep:{sweep_id}:fee"),
                        *now,
                        wallet,
                        book_account(NETWORK_FEES, asset),
                        fee,
                        currency,
                    ));
                }
                let booked = self.run(Self::chain(ops))?;
                if let Booked::Done { repeated: false } = booked {
                    if let Some(a) = self.assets.get_mut(ai) {
                        a.expected = a.expected.saturating_add(amount - fee);
                    }
                }
                Ok(refused(booked, CustodyCode::Swept, blank))
            }
            Event::Transfer { transfer_id, from_client_id, to_client_id, asset, amount, now } => {
                check_id(transfer_id, "transferId")?;
                check_id(from_client_id, "fromClientId")?;
                check_id(to_client_id, "toClientId")?;
                let currency = currency_of(asset, "asset")?;
                let amount = units(amount, currency, "amount")?;
                if amount <= 0 {
                    return Err(arg("amount", "must be above zero"));
                }
                check_now(*now)?;
                if self.asset_index(asset).is_none() {
                    return Ok((CustodyCode::UnknownAsset, blank));
                }
                if !self.clients.contains_key(from_client_id) || !self.clients.contains_key(to_client_id) {
                    return Ok((CustodyCode::UnknownClient, blank));
                }
                if from_client_id == to_client_id {
                    return Ok((CustodyCode::SameClient, blank));
                }
                let op = transfer_op(
                    format!("transfer:{transfer_id}"),
                    *now,
                    client_account(from_client_id, asset),
                    client_account(to_client_id, asset),
                    amount,
                    currency,
                );
                let booked = self.run(Self::chain(vec![op]))?;
                Ok(refused(booked, CustodyCode::Transferred, blank))
            }
            Event::Trade { trade_id, buyer_id, seller_id, base_asset, base_amount, quote_asset, quote_amount, fee, now } => {
                check_id(trade_id, "tradeId")?;
                check_id(buyer_id, "buyerId")?;
                check_id(seller_id, "sellerId")?;
                let base = currency_of(base_asset, "baseAsset")?;
                let quote = currency_of(quote_asset, "quoteAsset")?;
                let base_units = units(base_amount, base, "baseAmount")?;
                let quote_units = units(quote_amount, quote, "quoteAmount")?;
                let fee_units = units(fee, quote, "fee")?;
                if base_units <= 0 {
                    return Err(arg("baseAmount", "must be above zero"));
                }
                if quote_units <= 0 {
                    return Err(arg("quoteAmount", "must be above zero"));
                }
                if fee_units < 0 {
                    return Err(arg("fee", "must not be negative"));
                }
                check_now(*now)?;
                if self.asset_index(base_asset).is_none() || self.asset_index(quote_asset).is_none() {
                    return Ok((CustodyCode::UnknownAsset, blank));
                }
                if !self.clients.contains_key(buyer_id) || !self.clients.contains_key(seller_id) {
                    return Ok((CustodyCode::UnknownClient, blank));
                }
                if buyer_id == seller_id || base_asset == quote_asset {
                    return Ok((CustodyCode::SameClient, blank));
                }
                let mut ops = vec![
                    transfer_op(format!("trade:{trade_id}:base"), *now, client_account(seller_id, base_asset), client_account(buyer_id, base_asset), base_units, base),
                    transfer_op(format!("trade:{trade_id}:quote"), *now, client_account(buyer_id, quote_asset), client_account(seller_id, quote_asset), quote_units, quote),
                ];
                if fee_units > 0 {
                    ops.push(transfer_op(format!("trade:{trade_id}:fee"), *now, client_account(buyer_id, quote_asset), book_account(FEES, quote_asset), fee_units, quote));
                }
                let booked = self.run(Self::chain(ops))?;
                Ok(refused(booked, CustodyCode::Traded, blank))
            }
            Event::ObserveOmnibus { asset, balance, now } => {
                let currency = currency_of(asset, "asset")?;
                let balance = units(balance, currency, "balance")?;
                if balance < 0 {
                    return Err(arg("balance", "must not be negative"));
                }
                check_now(*now)?;
                let Some(a) = self.asset_index(asset).and_then(|i| self.assets.get_mut(i)) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                a.observed = Some(balance);
                Ok((CustodyCode::BalanceObserved, blank))
            }
            Event::ObserveWallet { client_id, asset, balance, now } => {
                check_id(client_id, "clientId")?;
                let currency = currency_of(asset, "asset")?;
                let balance = units(balance, currency, "balance")?;
                if balance < 0 {
                    return Err(arg("balance", "must not be negative"));
                }
                check_now(*now)?;
                let Some(ai) = self.asset_index(asset) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                if !self.clients.contains_key(client_id) {
                    return Ok((CustodyCode::UnknownClient, blank));
                }
                let expected = self.balance(&wallet_account(client_id, asset), currency);
                self.wallets_observed.insert(
                    (client_id.clone(), ai),
                    WalletCheck { observed: balance, expected, since: None },
                );
                Ok((CustodyCode::BalanceObserved, blank))
            }
            Event::AddDestination { client_id, address, now } => {
                check_id(client_id, "clientId")?;
                let address = keys::parse_address(address, "address")?;
                check_now(*now)?;
                let cooling = i64::from(self.config.cooling_off_s);
                let Some(client) = self.clients.get_mut(client_id) else {
                    return Ok((CustodyCode::UnknownClient, blank));
                };
                if client.allow_list.contains_key(&address) {
                    return Ok((CustodyCode::DestinationExists, blank));
                }
                if client.allow_list.len() >= ALLOW_LIST_MAX {
                    return Ok((CustodyCode::AllowListFull, blank));
                }
                client.allow_list.insert(address, now.saturating_add(cooling));
                Ok((CustodyCode::DestinationAdded, blank))
            }
            Event::RequestWithdrawal { withdrawal_id, client_id, asset, amount, network_fee, destination, now } => {
                check_id(withdrawal_id, "withdrawalId")?;
                check_id(client_id, "clientId")?;
                let currency = currency_of(asset, "asset")?;
                let amount_units = units(amount, currency, "amount")?;
                let fee = units(network_fee, currency, "networkFee")?;
                if amount_units <= 0 {
                    return Err(arg("amount", "must be above zero"));
                }
                if fee < 0 {
                    return Err(arg("networkFee", "must not be negative"));
                }
                let destination = keys::parse_address(destination, "destination")?;
                check_now(*now)?;
                let Some(ai) = self.asset_index(asset) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                let Some(client) = self.clients.get(client_id) else {
                    return Ok((CustodyCode::UnknownClient, blank));
                };
                if self.withdrawals.contains_key(withdrawal_id) {
                    return Ok((CustodyCode::WithdrawalExists, blank));
                }
                if self.withdrawals.len() >= WITHDRAWALS_MAX {
                    return Ok((CustodyCode::WithdrawalsFull, blank));
                }
                match client.allow_list.get(&destination) {
                    None => return Ok((CustodyCode::DestinationNotAllowed, blank)),
                    Some(from) if *now < *from => return Ok((CustodyCode::DestinationCoolingOff, blank)),
                    Some(_) => {}
                }
                // Limits count the amount that leaves the platform (the fee is the chain's).
                let money = Amount::from_minor_units(amount_units, currency)?;
                let usage = Usage { id: withdrawal_id, amount: &money, time: *now };
                let (Some(client_limits), Some(asset_state)) = (client.limits.get(ai), self.assets.get(ai)) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                let client_check = client_limits.check(&usage, CheckMode::Enforce, &self.zones)?;
                if !client_check.is_recordable() {
                    let limit_id = client_check.limit_id().map(str::to_owned);
                    return Ok((CustodyCode::LimitReached, Outcome { limit_id, ..blank }));
                }
                let asset_check = asset_state.asset_limits.check(&usage, CheckMode::Enforce, &self.zones)?;
                if !asset_check.is_recordable() {
                    let limit_id = asset_check.limit_id().map(str::to_owned);
                    return Ok((CustodyCode::LimitReached, Outcome { limit_id, ..blank }));
                }
                let total = amount_units.checked_add(fee).ok_or_else(|| arg("networkFee", "amount + fee overflows"))?;
                // Funds are checked here, not left to the ledger: a ledger rejection would record
                // the withdrawal's key, and the id could then never be used for a new attempt.
                if self.balance(&client_account(client_id, asset), currency) < total {
                    return Ok((CustodyCode::InsufficientFunds, blank));
                }
                let op = transfer_op(
                    format!("withdraw:{withdrawal_id}"),
                    *now,
                    client_account(client_id, asset),
                    book_account(OUTGOING, asset),
                    total,
                    currency,
                );
                let booked = self.run(Self::chain(vec![op]))?;
                if let Booked::Done { .. } = booked {
                    // Decided: the plans are fresh (nothing changed the limits since the checks).
                    if let Some(c) = self.clients.get_mut(client_id).and_then(|c| c.limits.get_mut(ai)) {
                        c.commit(&client_check)?;
                    }
                    if let Some(a) = self.assets.get_mut(ai) {
                        a.asset_limits.commit(&asset_check)?;
                    }
                    let digest = withdrawal_digest(withdrawal_id, client_id, asset, amount_units, fee, &destination);
                    self.withdrawals.insert(
                        withdrawal_id.clone(),
                        Withdrawal {
                            client: client_id.clone(),
                            asset: ai,
                            amount: amount_units,
                            fee,
                            destination,
                            state: WithdrawalState::AwaitingApproval,
                            digest,
                            approvals: BTreeMap::new(),
                        },
                    );
                }
                Ok(refused(booked, CustodyCode::WithdrawalRequested, blank))
            }
            Event::Approve { withdrawal_id, envelope: bytes, now } => {
                check_id(withdrawal_id, "withdrawalId")?;
                check_now(*now)?;
                let Some(withdrawal) = self.withdrawals.get(withdrawal_id) else {
                    return Ok((CustodyCode::UnknownWithdrawal, blank));
                };
                if withdrawal.state != WithdrawalState::AwaitingApproval {
                    return Ok((CustodyCode::WithdrawalNotPending, blank));
                }
                let trusted: Vec<TrustedKey<'_>> = self
                    .config
                    .approvers
                    .iter()
                    .map(|a| TrustedKey { key_id: &a.approver_id, alg: Alg::EdDSA, public_key: &a.public_key })
                    .collect();
                let params = OpenParams {
                    trusted_keys: &trusted,
                    now: *now,
                    expected_type: APPROVAL_TYPE,
                    // Replay is checked per approver below, once the key id is authentic.
                    last_seq: None,
                    max_clock_skew_s: APPROVAL_CLOCK_SKEW_S,
                };
                let opened = match envelope::open(bytes, &params) {
                    Ok(o) => o,
                    Err(rejection) => return Ok((CustodyCode::from_rejection(rejection), blank)),
                };
                if self.approver_seqs.get(&opened.key_id).is_some_and(|last| opened.seq <= *last) {
                    return Ok((CustodyCode::Replayed, blank));
                }
                if opened.version != APPROVAL_VERSION || !ct_eq(&opened.payload, &withdrawal.digest) {
                    return Ok((CustodyCode::ApprovalMismatch, blank));
                }
                let live = |approvals: &BTreeMap<String, i64>| {
                    u32::try_from(approvals.values().filter(|exp| *now < **exp).count()).unwrap_or(u32::MAX)
                };
                if withdrawal.approvals.get(&opened.key_id).is_some_and(|exp| *now < *exp) {
                    let approvals = Some(live(&withdrawal.approvals));
                    return Ok((CustodyCode::ApproverAlreadyCounted, Outcome { approvals, ..blank }));
                }
                self.approver_seqs.insert(opened.key_id.clone(), opened.seq);
                let Some(w) = self.withdrawals.get_mut(withdrawal_id) else {
                    return Ok((CustodyCode::UnknownWithdrawal, blank));
                };
                // A new approval replaces the same approver's expired one: it still counts once.
                w.approvals.insert(opened.key_id, opened.expires_at);
                let approvals = Some(live(&w.approvals));
                Ok((CustodyCode::ApprovalCounted, Outcome { approvals, ..blank }))
            }
            Event::ConfirmWithdrawal { withdrawal_id, now } => {
                check_id(withdrawal_id, "withdrawalId")?;
                check_now(*now)?;
                let Some(w) = self.withdrawals.get(withdrawal_id) else {
                    return Ok((CustodyCode::UnknownWithdrawal, blank));
                };
                if w.state != WithdrawalState::Signed {
                    return Ok((CustodyCode::WithdrawalNotPending, blank));
                }
                let Some(asset) = self.assets.get(w.asset) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                let (currency, ai, amount, fee) = (asset.currency, w.asset, w.amount, w.fee);
                let code = currency.code();
                let mut ops = vec![transfer_op(format!("confirm:{withdrawal_id}"), *now, book_account(OUTGOING, code), book_account(WORLD, code), amount, currency)];
                if fee > 0 {
                    ops.push(transfer_op(format!("confirm:{withdrawal_id}:fee"), *now, book_account(OUTGOING, code), book_account(NETWORK_FEES, code), fee, currency));
                }
                let booked = self.run(Self::chain(ops))?;
                if let Booked::Done { .. } = booked {
                    if let Some(w) = self.withdrawals.get_mut(withdrawal_id) {
                        w.state = WithdrawalState::Confirmed;
                    }
                    if let Some(a) = self.assets.get_mut(ai) {
                        a.expected = a.expected.saturating_sub(amount + fee);
                    }
                }
                Ok(refused(booked, CustodyCode::WithdrawalConfirmed, blank))
            }
            Event::CancelWithdrawal { withdrawal_id, now } => {
                check_id(withdrawal_id, "withdrawalId")?;
                check_now(*now)?;
                let Some(w) = self.withdrawals.get(withdrawal_id) else {
                    return Ok((CustodyCode::UnknownWithdrawal, blank));
                };
                if w.state != WithdrawalState::AwaitingApproval {
                    return Ok((CustodyCode::WithdrawalNotPending, blank));
                }
                let Some(asset) = self.assets.get(w.asset) else {
                    return Ok((CustodyCode::UnknownAsset, blank));
                };
                let (currency, ai, total, client) = (asset.currency, w.asset, w.amount + w.fee, w.client.clone());
                let code = currency.code();
                let op = transfer_op(format!("cancel:{withdrawal_id}"), *now, book_account(OUTGOING, code), client_account(&client, code), total, currency);
                let booked = self.run(Self::chain(vec![op]))?;
                if let Booked::Done { .. } = booked {
                    if let Some(w) = self.withdrawals.get_mut(withdrawal_id) {
                        w.state = WithdrawalState::Cancelled;
                    }
                    // The withdrawal did not happen: give its usage back (the default policy
                    // restores count and amount on a reversal).
                    if let Some(l) = self.clients.get_mut(&client).and_then(|c| c.limits.get_mut(ai)) {
                        l.reverse(withdrawal_id)?;
                    }
                    if let Some(a) = self.assets.get_mut(ai) {
                        a.asset_limits.reverse(withdrawal_id)?;
                    }
                }
                Ok(refused(booked, CustodyCode::WithdrawalCancelled, blank))
            }
        }
    }

    /// Signs a withdrawal once a quorum of live approvals is counted: leg 1 omnibus → the
    /// client's transfer wallet (signed with `omnibus_key`), leg 2 the transfer wallet → the
    /// destination (signed with `wallet_key`), both for `amount` (the network fee is the
    /// omnibus's). secp256k1, RFC 6979, low-S. Keys are used for this call only.
    ///
    /// Check order: `UNKNOWN_WITHDRAWAL`, `WITHDRAWAL_NOT_PENDING`, `DESTINATION_NOT_ALLOWED`
    /// (the entry must still be on the allow-list and past its cooling-off), `QUORUM_NOT_REACHED`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `withdrawalId` or `now`; `KEY_INVALID` about
    /// `omnibusKey` / `walletKey` (not a secp256k1 key, or not the key of the omnibus / of this
    /// client's transfer wallet): nothing changes.
    pub fn sign_withdrawal(
        &mut self,
        withdrawal_id: &str,
        now: i64,
        omnibus_key: &[u8],
        wallet_key: &[u8],
    ) -> Result<SignedWithdrawal> {
        check_id(withdrawal_id, "withdrawalId")?;
        check_now(now)?;
        let omnibus_address = key_address(omnibus_key, "omnibusKey")?;
        let wallet_address = key_address(wallet_key, "walletKey")?;
        if omnibus_address != self.omnibus {
            return Err(Error::new(ErrorCode::KeyInvalid, "omnibusKey", "is not the omnibus wallet's key"));
        }
        let mut digests = Vec::new();
        let mut signatures = Vec::new();
        let (code, approvals) = self.signing_check(withdrawal_id, now);
        if code == CustodyCode::WithdrawalSigned {
            let Some(w) = self.withdrawals.get(withdrawal_id) else {
                return Err(Error::new(ErrorCode::Internal, "", "withdrawal vanished"));
            };
            let client = self.clients.get(&w.client).ok_or_else(|| Error::new(ErrorCode::Internal, "", "client vanished"))?;
            if wallet_address != client.address {
                return Err(Error::new(ErrorCode::KeyInvalid, "walletKey", "is not this client's transfer-wallet key"));
            }
            let asset = self.assets.get(w.asset).map_or("", |a| a.currency.code());
            let leg1 = transaction_digest(withdrawal_id, 1, &self.omnibus, &client.address, asset, w.amount);
            let leg2 = transaction_digest(withdrawal_id, 2, &client.address, &w.destination, asset, w.amount);
            let sig1 = secp256k1::sign_digest(omnibus_key, &leg1)?;
            let sig2 = secp256k1::sign_digest(wallet_key, &leg2)?;
            digests = vec![leg1.to_vec(), leg2.to_vec()];
            signatures = vec![sig1.to_vec(), sig2.to_vec()];
            if let Some(w) = self.withdrawals.get_mut(withdrawal_id) {
                w.state = WithdrawalState::Signed;
            }
        }
        self.event = self.event.saturating_add(1);
        let outcome = Outcome {
            code,
            event: self.event,
            repeated: false,
            ledger_code: None,
            limit_id: None,
            client_index: None,
            approvals,
            discrepancies: self.reconcile(None),
        };
        Ok(SignedWithdrawal { outcome, digests, signatures })
    }

    /// Replays a signing from a persisted log (no keys, no signatures): the same checks as
    /// [`Book::sign_withdrawal`], then the withdrawal is `signed`. The SDK's store keeps the
    /// book as its configuration and the log of events it applied; on load it applies them
    /// again, a signing through this.
    ///
    /// Errors: `INVALID_ARGUMENT` about `withdrawalId` or `now`.
    pub fn mark_signed(&mut self, withdrawal_id: &str, now: i64) -> Result<Outcome> {
        check_id(withdrawal_id, "withdrawalId")?;
        check_now(now)?;
        let (code, approvals) = self.signing_check(withdrawal_id, now);
        if code == CustodyCode::WithdrawalSigned {
            if let Some(w) = self.withdrawals.get_mut(withdrawal_id) {
                w.state = WithdrawalState::Signed;
            }
        }
        self.event = self.event.saturating_add(1);
        Ok(Outcome {
            code,
            event: self.event,
            repeated: false,
            ledger_code: None,
            limit_id: None,
            client_index: None,
            approvals,
            discrepancies: self.reconcile(None),
        })
    }

    fn signing_check(&self, withdrawal_id: &str, now: i64) -> (CustodyCode, Option<u32>) {
        let Some(w) = self.withdrawals.get(withdrawal_id) else {
            return (CustodyCode::UnknownWithdrawal, None);
        };
        if w.state != WithdrawalState::AwaitingApproval {
            return (CustodyCode::WithdrawalNotPending, None);
        }
        let allowed = self
            .clients
            .get(&w.client)
            .and_then(|c| c.allow_list.get(&w.destination))
            .is_some_and(|from| now >= *from);
        if !allowed {
            return (CustodyCode::DestinationNotAllowed, None);
        }
        let live = u32::try_from(w.approvals.values().filter(|exp| now < **exp).count()).unwrap_or(u32::MAX);
        if live < self.config.quorum {
            return (CustodyCode::QuorumNotReached, Some(live));
        }
        (CustodyCode::WithdrawalSigned, Some(live))
    }

    /// A withdrawal.
    pub fn withdrawal(&self, withdrawal_id: &str) -> Option<WithdrawalView> {
        let w = self.withdrawals.get(withdrawal_id)?;
        let asset = self.assets.get(w.asset)?;
        let scale = asset.currency.minor_units();
        Some(WithdrawalView {
            withdrawal_id: withdrawal_id.to_owned(),
            client_id: w.client.clone(),
            asset: asset.currency.code().to_owned(),
            amount: minor_units_text(w.amount, scale),
            network_fee: minor_units_text(w.fee, scale),
            destination: keys::eip55(&w.destination),
            state: w.state,
            digest: hex(&w.digest),
            approvals: w.approvals.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        })
    }

    /// The withdrawals waiting for their quorum, in id order, at most `max` (the views carry
    /// their counted approvals): what the back-office shows its approvers.
    pub fn withdrawals_awaiting_approval(&self, max: usize) -> Vec<WithdrawalView> {
        self.withdrawals
            .iter()
            .filter(|(_, w)| w.state == WithdrawalState::AwaitingApproval)
            .take(max)
            .filter_map(|(id, _)| self.withdrawal(id))
            .collect()
    }

    /// A client's derivation index (its transfer wallet is `keys::transfer_wallet(seed, index)`).
    pub fn client_index(&self, client_id: &str) -> Option<u32> {
        self.clients.get(client_id).map(|c| c.index)
    }

    /// A client's trading balance of an asset (decimal string), if both exist.
    pub fn trading_balance(&self, client_id: &str, asset: &str) -> Option<String> {
        let i = self.asset_index(asset)?;
        self.clients.get(client_id)?;
        let currency = self.assets.get(i)?.currency;
        Some(minor_units_text(self.balance(&client_account(client_id, asset), currency), currency.minor_units()))
    }

    /// A client's confirmed, not yet swept balance at its transfer wallet (decimal string).
    pub fn wallet_balance(&self, client_id: &str, asset: &str) -> Option<String> {
        let i = self.asset_index(asset)?;
        self.clients.get(client_id)?;
        let currency = self.assets.get(i)?.currency;
        Some(minor_units_text(self.balance(&wallet_account(client_id, asset), currency), currency.minor_units()))
    }

    /// What the omnibus should hold of an asset (decimal string).
    pub fn expected_omnibus(&self, asset: &str) -> Option<String> {
        let a = self.assets.get(self.asset_index(asset)?)?;
        Some(minor_units_text(a.expected, a.currency.minor_units()))
    }

    /// Every client's trading balance of `asset` in minor units, in client-id order: the leaves
    /// of the proof of liabilities.
    pub fn client_balances(&self, asset: &str) -> Vec<ClientBalance> {
        let Some(currency) = self.asset_index(asset).and_then(|i| self.assets.get(i)).map(|a| a.currency) else {
            return Vec::new();
        };
        self.clients
            .keys()
            .map(|id| ClientBalance {
                client_id: id.clone(),
                asset: asset.to_owned(),
                balance_minor_units: self.balance(&client_account(id, asset), currency).to_string(),
            })
            .collect()
    }

    /// Checks the book's invariants (tests run it after every event):
    /// 1. per asset, the kept `expected` equals Σ client trading balances + fees + outgoing +
    ///    quarantine recomputed from the ledger;
    /// 2. double entry: world + Σ wallets + network fees + expected = 0 (value comes in only
    ///    through the world account);
    /// 3. no client, wallet or book account other than the world is negative;
    /// 4. every withdrawal awaiting approval or signed is in `outgoing` exactly:
    ///    outgoing = Σ (amount + fee) of those withdrawals;
    /// 5. the ledger's own invariants.
    ///
    /// Errors: `INTERNAL` naming the broken invariant.
    pub fn check_invariants(&self) -> Result<()> {
        let broken = |what: String| Err(Error::new(ErrorCode::Internal, "", what));
        self.ledger.check_invariants()?;
        for (ai, asset) in self.assets.iter().enumerate() {
            let c = asset.currency;
            let code = c.code();
            let mut clients = 0i128;
            let mut wallets = 0i128;
            for id in self.clients.keys() {
                let t = self.balance(&client_account(id, code), c);
                let w = self.balance(&wallet_account(id, code), c);
                if t < 0 || w < 0 {
                    return broken(format!("{code}: client {id} negative"));
                }
                clients += t;
                wallets += w;
            }
            let fees = self.balance(&book_account(FEES, code), c);
            let outgoing = self.balance(&book_account(OUTGOING, code), c);
            let quarantine = self.balance(&book_account(QUARANTINE, code), c);
            let network = self.balance(&book_account(NETWORK_FEES, code), c);
            let world = self.balance(&book_account(WORLD, code), c);
            if clients + fees + outgoing + quarantine != asset.expected {
                return broken(format!("{code}: expected omnibus differs from the sub-ledger"));
            }
            if world + wallets + network + asset.expected != 0 {
                return broken(format!("{code}: double entry does not balance"));
            }
            let in_flight: i128 = self
                .withdrawals
                .values()
                .filter(|w| w.asset == ai && matches!(w.state, WithdrawalState::AwaitingApproval | WithdrawalState::Signed))
                .map(|w| w.amount + w.fee)
                .sum();
            if in_flight != outgoing {
                return broken(format!("{code}: outgoing differs from the withdrawals in flight"));
            }
        }
        let differing = self.wallets_observed.iter().filter(|(_, check)| check.since.is_some()).map(|(key, _)| key);
        if !differing.eq(self.wallets_differing.iter()) {
            return broken("the differing wallets' index is out of date".into());
        }
        Ok(())
    }
}

/// The address of a secp256k1 secret key.
fn key_address(secret_key: &[u8], param: &'static str) -> Result<[u8; keys::ADDRESS_BYTES]> {
    let secret = Zeroizing::new(secret_key.to_vec());
    let public = secp256k1::public_key(&secret, true).map_err(|e| e.at(param))?;
    let text = keys::address_of_public_key(&public)?;
    keys::parse_address(&text, param)
}

fn open(ledger: &mut Ledger, id: String, currency: &'static Currency, kind: AccountKind, now: i64) -> Result<()> {
    let outcome = ledger.execute(&Operation::OpenAccount(OpenAccountRequest {
        idempotency_key: format!("open:{id}"),
        now,
        account_id: id,
        currency: currency.code().to_owned(),
        kind,
        credit_limit: None,
    }))?;
    if outcome.is_success() {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::Internal, "", format!("the ledger refused an account: {}", outcome.code)))
    }
}

// ------------------------------------------------------------------------------------------
// Persistence: the configuration and the log of applied events, authenticated
// ------------------------------------------------------------------------------------------

/// The largest persisted log accepted, bytes (the storage adapters' value limit, 64 MiB).
pub const LOG_BYTES_MAX: usize = 64 * 1024 * 1024;

const LOG_KIND: crate::snapshot::SnapshotKind = crate::snapshot::SnapshotKind {
    type_name: "countersign.custody.book.log",
    version: 1,
    bytes_max: LOG_BYTES_MAX,
};

/// Authenticates a persisted book: `body` is its configuration and the log of the events it
/// applied (the SDK's encoding; a signing logged as its withdrawal id and time, replayed by
/// [`Book::mark_signed`]). The book is restored by applying the log again to a new book, so
/// every rule checks the restored state as it checked the original one.
///
/// Errors: `KEY_INVALID` about `snapshotKey` (not 32 bytes); `SNAPSHOT_INVALID` when `body` is
/// larger than [`LOG_BYTES_MAX`] allows.
pub fn seal_log(body: &[u8], snapshot_key: &[u8]) -> Result<Vec<u8>> {
    if body.len() > LOG_BYTES_MAX.saturating_sub(256) {
        return Err(crate::snapshot::invalid("the book's log is larger than its maximum size"));
    }
    crate::snapshot::seal(&LOG_KIND, body, snapshot_key)
}

/// The authenticated body of [`seal_log`]'s bytes.
///
/// Errors: `KEY_INVALID` about `snapshotKey`; `SNAPSHOT_INVALID` (tampered, another key, not a
/// custody log); `SNAPSHOT_VERSION_UNSUPPORTED`.
pub fn open_log(bytes: &[u8], snapshot_key: &[u8]) -> Result<Vec<u8>> {
    crate::snapshot::open(&LOG_KIND, bytes, snapshot_key).map(<[u8]>::to_vec)
}
