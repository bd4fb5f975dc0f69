//! Custody (System 8): a client sub-ledger over one omnibus trading wallet, one segregated
//! transfer wallet per client, continuous reconciliation, a withdrawal policy and the signing of
//! withdrawals; and the proof of liabilities each client checks in the browser
//! ([`liabilities`]: a Merkle-sum tree per asset over [`Book::client_balances`]).
//!
//! Anchors: Coinbase Prime (a pooled trading balance plus segregated vaults, idempotency keys,
//! consensus approvals), Fireblocks (sweep to the omnibus), Ripple Custody (virtual accounts,
//! deposit wallets, sweep thresholds), BitGo.
//!
//! # Roles
//!
//! | role | holds | does |
//! |---|---|---|
//! | the back-office book ([`Book`]) | the sub-ledger (a core [`Ledger`](crate::ledger::Ledger)), clients, deposits, allow-lists, withdrawals and their approvals, each asset's limits, the last observed omnibus balances | applies [`Event`]s, reconciles after every one, signs withdrawals once approved |
//! | an approver | an Ed25519 key | signs an approval envelope (`typ` [`APPROVAL_TYPE`]) over a withdrawal's digest |
//! | the chain observer | — | reports deposits with their confirmations, the omnibus's balances, withdrawals seen on chain |
//! | the key holder | the master seed, the omnibus key | derives each client's transfer wallet ([`keys`]), passes the two secret keys to [`Book::sign_withdrawal`] for one call |
//!
//! # The sub-ledger
//!
//! Per asset `A` the ledger holds (every amount in `A`'s minor units, `A`'s scale from the money
//! primitive: BTC 8, ETH 18, USDC 6, USDT 6):
//!
//! | account | kind | is |
//! |---|---|---|
//! | `world:A` | unrestricted | the chain outside the platform: value enters and leaves only through it |
//! | `wallet:<client>:A` | non-negative | confirmed deposits at the client's transfer wallet, not yet swept |
//! | `client:<client>:A` | non-negative | the client's trading balance (in the omnibus) |
//! | `fees:A` | non-negative | trading fees the platform earned (in the omnibus) |
//! | `outgoing:A` | non-negative | withdrawals debited from clients and not yet seen leaving the omnibus |
//! | `quarantine:A` | non-negative | deposits that reached the omnibus with no client to attribute them to |
//! | `networkfees:A` | non-negative | network fees paid (gone to the chain) |
//!
//! **Range.** Every balance and total is at most 2^96 − 1 minor units (the ledger's bound): for
//! BTC 7.9 × 10^20 BTC, for USDC 7.9 × 10^22 USDC, for ETH (18 decimals, in wei) about 79.2
//! billion ETH — every amount of every asset in circulation, exactly; an event whose total would
//! pass it is refused by the ledger (`LEDGER_REFUSED`, `ledgerCode: BALANCE_OVERFLOW`).
//!
//! **Observed inputs.** The omnibus's on-chain balance per asset (`observeOmnibus`), each
//! transfer wallet's confirmed balance (`observeWallet`) and its deposits with their
//! confirmations (`observeDeposit`).
//!
//! # Flows
//!
//! 1. **Deposit**: `observeDeposit` at a client's transfer-wallet address is *pending* until it
//!    has the asset's `confirmations`; then `world → wallet:<client>` (`DEPOSIT_CONFIRMED`, not
//!    tradable yet). At the omnibus's own address there is no client to attribute it to:
//!    `world → quarantine` (`DEPOSIT_QUARANTINED`), until `releaseQuarantine` moves it to a
//!    client's trading balance. Any other address: `UNKNOWN_ADDRESS`.
//! 2. **Sweep**: the whole confirmed transfer-wallet balance, if ≥ the asset's
//!    `sweepThreshold`, moves to the omnibus as **one linked batch**: `wallet → client` (amount −
//!    network fee) and `wallet → networkfees` (the fee, paid by the client). Both or neither.
//! 3. **Trades and transfers** between clients are off-chain: `client → client` (a trade: the
//!    base leg, the quote leg and the buyer's fee to `fees`, one linked batch).
//! 4. **Withdrawal**: `requestWithdrawal` (the policy below) moves amount + network fee
//!    `client → outgoing`; once approved, [`Book::sign_withdrawal`] signs leg 1 (omnibus → the
//!    client's transfer wallet) and leg 2 (the transfer wallet → the destination);
//!    `confirmWithdrawal` (seen on chain) moves `outgoing → world` (amount) and `outgoing →
//!    networkfees` (fee). `cancelWithdrawal` before signing gives it back.
//!
//! # Continuous reconciliation
//!
//! After **every** event, per asset: `expected = Σ client trading balances + fees + outgoing +
//! quarantine` (what the omnibus must hold; kept in O(1) per event, recomputed from the ledger by
//! [`Book::check_invariants`]) is compared with the last observed on-chain balance. Every asset
//! that differs is reported in the outcome's `discrepancies` ([`Discrepancy`]: asset, `clientId`
//! null, expected, observed, `difference = observed − expected`, `sinceEvent`: the first event
//! since which it has differed). An asset is reconciled from its first observation on.
//!
//! Each client's **transfer wallet** is reconciled the same way from its first `observeWallet`
//! on: its confirmed on-chain balance against `wallet:<client>:A` (confirmed deposits not yet
//! swept), reported with its `clientId`. What the book expects of a wallet is refreshed by the
//! events that touch it (a deposit there, its sweep, its observation), so the check costs O(1)
//! per event whatever the number of clients.
//!
//! # Withdrawal policy (all checked before anything is signed)
//!
//! - **Limits** over windows (the limits primitive): each asset's `clientLimits` per client and
//!   `assetLimits` over all clients, counting the amount (the fee is the chain's); counted when
//!   the withdrawal is requested, reversed when it is cancelled.
//! - **Allow-list**: the destination must be on the client's list ([`ALLOW_LIST_MAX`] entries)
//!   and past its cooling-off period (`coolingOffS` after it was added) — at request and again at
//!   signing.
//! - **Quorum**: `k` (`quorum`) of the `n` approvers, each an Ed25519 envelope of `typ`
//!   [`APPROVAL_TYPE`] whose payload is the withdrawal's 32-byte digest
//!   ([`withdrawal_digest`]). Each approver counts at most once; an expired approval does not
//!   count at signing (an approver may renew it); sequence numbers only grow per approver.
//! - **Signing**: secp256k1 over each leg's digest ([`transaction_digest`]), RFC 6979, low-S:
//!   the same bytes natively and in wasm (the vectors compare them).
//!
//! # Events and codes
//!
//! Every event is checked in the order listed; the first failing check gives the code. Errors
//! (malformed fields: ids of 1..=[`ID_BYTES_MAX`] `[A-Za-z0-9._-]`, amounts not strict decimals
//! in their asset, addresses not EIP-55, `now` out of range) come first and change nothing.
//!
//! | event | codes, in check order | success |
//! |---|---|---|
//! | `registerClient` | `CLIENT_EXISTS`, `ADDRESS_IN_USE`, `CLIENTS_FULL` | `CLIENT_REGISTERED` (+ `clientIndex`) |
//! | `observeDeposit` | `UNKNOWN_ASSET`, `UNKNOWN_ADDRESS`, `DEPOSIT_CONFLICT`, `DEPOSIT_ALREADY_CONFIRMED` (repeated), `DEPOSITS_FULL`, `LEDGER_REFUSED` | `DEPOSIT_PENDING`, `DEPOSIT_CONFIRMED`, `DEPOSIT_QUARANTINED` |
//! | `releaseQuarantine` | `NOT_QUARANTINED`, `UNKNOWN_CLIENT`, `LEDGER_REFUSED` | `QUARANTINE_RELEASED` |
//! | `sweep` | `UNKNOWN_ASSET`, `UNKNOWN_CLIENT`, `BELOW_SWEEP_THRESHOLD`, `FEE_EXCEEDS_AMOUNT`, `ID_REUSED`, `LEDGER_REFUSED` | `SWEPT` |
//! | `transfer` | `UNKNOWN_ASSET`, `UNKNOWN_CLIENT`, `SAME_CLIENT`, `INSUFFICIENT_FUNDS`, `ID_REUSED`, `LEDGER_REFUSED` | `TRANSFERRED` |
//! | `trade` | `UNKNOWN_ASSET`, `UNKNOWN_CLIENT`, `SAME_CLIENT` (or the same asset), `INSUFFICIENT_FUNDS`, `ID_REUSED`, `LEDGER_REFUSED` | `TRADED` |
//! | `observeOmnibus` | `UNKNOWN_ASSET` | `BALANCE_OBSERVED` |
//! | `observeWallet` | `UNKNOWN_ASSET`, `UNKNOWN_CLIENT` | `BALANCE_OBSERVED` |
//! | `addDestination` | `UNKNOWN_CLIENT`, `DESTINATION_EXISTS`, `ALLOW_LIST_FULL` | `DESTINATION_ADDED` |
//! | `requestWithdrawal` | `UNKNOWN_ASSET`, `UNKNOWN_CLIENT`, `WITHDRAWAL_EXISTS`, `WITHDRAWALS_FULL`, `DESTINATION_NOT_ALLOWED`, `DESTINATION_COOLING_OFF`, `LIMIT_REACHED` (client limits, then asset limits; `limitId`), `INSUFFICIENT_FUNDS`, `LEDGER_REFUSED` | `WITHDRAWAL_REQUESTED` |
//! | `approve` | `UNKNOWN_WITHDRAWAL`, `WITHDRAWAL_NOT_PENDING`, the envelope's `MALFORMED`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `WRONG_TYPE`, `NOT_YET_VALID`, `EXPIRED`, then `REPLAYED` (per approver), `APPROVAL_MISMATCH`, `APPROVER_ALREADY_COUNTED` | `APPROVAL_COUNTED` (+ `approvals`) |
//! | sign ([`Book::sign_withdrawal`]) | `UNKNOWN_WITHDRAWAL`, `WITHDRAWAL_NOT_PENDING`, `DESTINATION_NOT_ALLOWED`, `QUORUM_NOT_REACHED` | `WITHDRAWAL_SIGNED` |
//! | `confirmWithdrawal` | `UNKNOWN_WITHDRAWAL`, `WITHDRAWAL_NOT_PENDING` (not signed), `LEDGER_REFUSED` | `WITHDRAWAL_CONFIRMED` |
//! | `cancelWithdrawal` | `UNKNOWN_WITHDRAWAL`, `WITHDRAWAL_NOT_PENDING` (signed, confirmed or cancelled), `LEDGER_REFUSED` | `WITHDRAWAL_CANCELLED` |
//!
//! Every decided event gets the next event number; a refusal changes nothing but that number.
//! An event retried with the same id is answered by the ledger's idempotency (`repeated: true`,
//! nothing booked twice).
//!
//! # Decide, then commit
//!
//! Each event runs its pure checks first (limits' `check` gives a plan), then **one** ledger
//! batch (a linked chain: all or nothing), and only when that succeeded commits the limit plans
//! (which cannot fail on a fresh plan) and its own maps. So a refused event leaves nothing
//! half-applied.
//!
//! # Limits
//!
//! | name | value | unit |
//! |---|---|---|
//! | [`ASSETS_MAX`] | 4 | assets per book |
//! | [`CLIENTS_MAX`] | 50,000 | clients per book (its ledger's capacity: [`LEDGER_ACCOUNTS_MAX`] = 400,020 accounts) |
//! | [`DEPOSITS_MAX`] | 65,536 | deposits remembered |
//! | [`WITHDRAWALS_MAX`] | 65,536 | withdrawals remembered |
//! | [`ALLOW_LIST_MAX`] | 32 | destinations per client |
//! | [`APPROVERS_MAX`] | 16 | approvers |
//! | [`ID_BYTES_MAX`] | 40 | bytes of an id |
//! | [`CONFIRMATIONS_MAX`] | 10,000 | confirmations an asset may require |
//! | [`COOLING_OFF_S_MAX`] | 2,592,000 | seconds (30 days) |
//! | [`APPROVAL_CLOCK_SKEW_S`] | 300 | seconds an approval's issue time may be ahead |
//! | [`keys::SEED_BYTES_MIN`]..=[`keys::SEED_BYTES_MAX`] | 16..=64 | bytes of the master seed |

mod book;
pub mod liabilities;
mod codes;
pub mod keys;
mod requests;
#[cfg(test)]
mod tests;

pub use book::{
    open_log, seal_log, transaction_digest, withdrawal_digest, Approver, AssetConfig, Book, BookConfig, ClientBalance,
    Discrepancy, Event, Outcome, SignedWithdrawal, WithdrawalState, WithdrawalView,
    ALLOW_LIST_MAX, APPROVAL_CLOCK_SKEW_S, APPROVAL_TYPE, APPROVAL_VERSION, APPROVERS_MAX,
    ASSETS_MAX, CLIENTS_MAX, LEDGER_ACCOUNTS_MAX, CONFIRMATIONS_MAX, COOLING_OFF_S_MAX, DEPOSITS_MAX, ID_BYTES_MAX,
    LOG_BYTES_MAX, WITHDRAWALS_MAX, BOOK_SNAPSHOT_BYTES_MAX, BOOK_SNAPSHOT_VERSION, CONFIG_LIST_ITEMS_MAX,
};
pub use requests::{
    AddDestination, Approve, CancelWithdrawal, ClientTransfer, ConfirmWithdrawal, ObserveDeposit, ObserveOmnibus,
    ObserveWallet, RegisterClient, ReleaseQuarantine, RequestWithdrawal, Sweep, Trade,
};
pub use codes::CustodyCode;
