// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.
import type { LedgerCode } from "./ledger.js";
import type { LimitSpec } from "./limits.js";

/**
 * `addDestination`: an address on a client's allow-list (usable after the cooling-off).
 */
export type AddDestination = { readonly clientId: string, readonly address: string, readonly now: number, };

/**
 * `approve`: an approver's envelope over the withdrawal's digest.
 */
export type Approve = { readonly withdrawalId: string, readonly envelope: Uint8Array, readonly now: number, };

/**
 * An approver: an id (the envelope's `kid`) and an Ed25519 public key.
 */
export type Approver = {
  /**
   * Key id, 1..=64 bytes.
   */
  readonly approverId: string,
  /**
   * 32-byte Ed25519 public key.
   */
  readonly publicKey: Uint8Array, };

/**
 * One asset of the book.
 */
export type AssetConfig = {
  /**
   * A registered asset or ISO 4217 code (`"BTC"`, `"ETH"`, `"USDC"`): its scale is the money
   * primitive's.
   */
  readonly asset: string,
  /**
   * Confirmations a deposit needs before it is credited, 1..=CONFIRMATIONS_MAX.
   */
  readonly confirmations: number,
  /**
   * The smallest confirmed transfer-wallet balance worth a sweep (decimal string, > 0).
   */
  readonly sweepThreshold: string,
  /**
   * Limits on each client's withdrawals of this asset (amount limits in this asset, count
   * limits; ids unique in the list).
   */
  readonly clientLimits: ReadonlyArray<LimitSpec>,
  /**
   * Limits on all clients' withdrawals of this asset together.
   */
  readonly assetLimits: ReadonlyArray<LimitSpec>, };

/**
 * The book's configuration, fixed for its life.
 */
export type BookConfig = {
  /**
   * 1..=ASSETS_MAX distinct assets.
   */
  readonly assets: ReadonlyArray<AssetConfig>,
  /**
   * The omnibus wallet's EIP-55 address.
   */
  readonly omnibusAddress: string,
  /**
   * 1..=APPROVERS_MAX approvers with distinct ids.
   */
  readonly approvers: ReadonlyArray<Approver>,
  /**
   * Live approvals needed to sign a withdrawal, 1..=approvers.
   */
  readonly quorum: number,
  /**
   * Seconds before a new allow-list entry may be used, 0..=COOLING_OFF_S_MAX.
   */
  readonly coolingOffS: number, };

/**
 * `cancelWithdrawal`: cancel a withdrawal not signed yet.
 */
export type CancelWithdrawal = { readonly withdrawalId: string, readonly now: number, };

/**
 * One client's balance of one asset, in minor units: what the proof of liabilities takes.
 */
export type ClientBalance = {
  /**
   * Client id.
   */
  readonly clientId: string,
  /**
   * Asset code.
   */
  readonly asset: string,
  /**
   * Trading balance in minor units (decimal integer string; never negative).
   */
  readonly balanceMinorUnits: string, };

/**
 * `transfer`: between two clients' trading balances.
 */
export type ClientTransfer = { readonly transferId: string, readonly fromClientId: string, readonly toClientId: string, readonly asset: string, readonly amount: string, readonly now: number, };

/**
 * `confirmWithdrawal`: the signed withdrawal was seen on chain.
 */
export type ConfirmWithdrawal = { readonly withdrawalId: string, readonly now: number, };

/**
 * Outcome of a custody event. A decision or a refusal is a normal result with exactly one of
 * these codes; an `Error` means the call itself was malformed.
 */
export type CustodyCode = "CLIENT_REGISTERED" | "DEPOSIT_PENDING" | "DEPOSIT_CONFIRMED" | "DEPOSIT_QUARANTINED" | "QUARANTINE_RELEASED" | "SWEPT" | "TRANSFERRED" | "TRADED" | "BALANCE_OBSERVED" | "DESTINATION_ADDED" | "WITHDRAWAL_REQUESTED" | "APPROVAL_COUNTED" | "WITHDRAWAL_SIGNED" | "WITHDRAWAL_CONFIRMED" | "WITHDRAWAL_CANCELLED" | "CLIENT_EXISTS" | "ADDRESS_IN_USE" | "CLIENTS_FULL" | "UNKNOWN_CLIENT" | "UNKNOWN_ASSET" | "UNKNOWN_ADDRESS" | "DEPOSIT_CONFLICT" | "DEPOSIT_ALREADY_CONFIRMED" | "DEPOSITS_FULL" | "NOT_QUARANTINED" | "BELOW_SWEEP_THRESHOLD" | "FEE_EXCEEDS_AMOUNT" | "SAME_CLIENT" | "INSUFFICIENT_FUNDS" | "ID_REUSED" | "ALLOW_LIST_FULL" | "DESTINATION_EXISTS" | "DESTINATION_NOT_ALLOWED" | "DESTINATION_COOLING_OFF" | "LIMIT_REACHED" | "WITHDRAWAL_EXISTS" | "WITHDRAWALS_FULL" | "UNKNOWN_WITHDRAWAL" | "WITHDRAWAL_NOT_PENDING" | "APPROVAL_MISMATCH" | "APPROVER_ALREADY_COUNTED" | "QUORUM_NOT_REACHED" | "LEDGER_REFUSED" | "BAD_SIGNATURE" | "UNKNOWN_KEY" | "EXPIRED" | "NOT_YET_VALID" | "REPLAYED" | "WRONG_TYPE" | "MALFORMED";

/**
 * An event of the book. JSON: `{"kind": "sweep", ...}`.
 */
export type CustodyEvent = { readonly "kind": "registerClient", readonly clientId: string, readonly address: string, readonly now: number, } | { readonly "kind": "observeDeposit", readonly depositId: string, readonly address: string, readonly asset: string, readonly amount: string, readonly confirmations: number, readonly now: number, } | { readonly "kind": "releaseQuarantine", readonly depositId: string, readonly clientId: string, readonly now: number, } | { readonly "kind": "sweep", readonly sweepId: string, readonly clientId: string, readonly asset: string, readonly networkFee: string, readonly now: number, } | { readonly "kind": "transfer", readonly transferId: string, readonly fromClientId: string, readonly toClientId: string, readonly asset: string, readonly amount: string, readonly now: number, } | { readonly "kind": "trade", readonly tradeId: string, readonly buyerId: string, readonly sellerId: string, readonly baseAsset: string, readonly baseAmount: string, readonly quoteAsset: string, readonly quoteAmount: string, readonly fee: string, readonly now: number, } | { readonly "kind": "observeOmnibus", readonly asset: string, readonly balance: string, readonly now: number, } | { readonly "kind": "observeWallet", readonly clientId: string, readonly asset: string, readonly balance: string, readonly now: number, } | { readonly "kind": "addDestination", readonly clientId: string, readonly address: string, readonly now: number, } | { readonly "kind": "requestWithdrawal", readonly withdrawalId: string, readonly clientId: string, readonly asset: string, readonly amount: string, readonly networkFee: string, readonly destination: string, readonly now: number, } | { readonly "kind": "approve", readonly withdrawalId: string, readonly envelope: Uint8Array, readonly now: number, } | { readonly "kind": "confirmWithdrawal", readonly withdrawalId: string, readonly now: number, } | { readonly "kind": "cancelWithdrawal", readonly withdrawalId: string, readonly now: number, };

/**
 * The result of an event.
 */
export type CustodyOutcome = {
  /**
   * One code per reason.
   */
  readonly code: CustodyCode,
  /**
   * The event's number in the book (1, 2, …): every decided event gets one.
   */
  readonly event: number,
  /**
   * True when the same request was answered before (nothing was done again).
   */
  readonly repeated: boolean,
  /**
   * The ledger's code when it decided the refusal (`INSUFFICIENT_FUNDS`, `LEDGER_REFUSED`).
   */
  readonly ledgerCode: LedgerCode | null,
  /**
   * The limit that refused a withdrawal (`LIMIT_REACHED`).
   */
  readonly limitId: string | null,
  /**
   * The client's derivation index (`CLIENT_REGISTERED`).
   */
  readonly clientIndex: number | null,
  /**
   * Live approvals of the withdrawal after the event (approve, sign).
   */
  readonly approvals: number | null,
  /**
   * Every asset out of balance after the event (empty: reconciled).
   */
  readonly discrepancies: ReadonlyArray<Discrepancy>, };

/**
 * A wallet whose observed on-chain balance differs from what the book expects: the omnibus
 * (`clientId` null) or a client's transfer wallet.
 */
export type Discrepancy = {
  /**
   * The asset.
   */
  readonly asset: string,
  /**
   * The client whose transfer wallet differs; null for the omnibus.
   */
  readonly clientId: string | null,
  /**
   * The omnibus: Σ client balances + fees + pending withdrawals + quarantine; a transfer
   * wallet: its confirmed deposits not yet swept (decimal string).
   */
  readonly expected: string,
  /**
   * The last observed on-chain balance.
   */
  readonly observed: string,
  /**
   * `observed − expected` (negative: the chain holds less than the clients are owed).
   */
  readonly difference: string,
  /**
   * The first event (its `event` number) since which the two have differed.
   */
  readonly sinceEvent: number, };

/**
 * `observeDeposit`: a deposit seen on chain with its confirmations.
 */
export type ObserveDeposit = { readonly depositId: string, readonly address: string, readonly asset: string, readonly amount: string, readonly confirmations: number, readonly now: number, };

/**
 * `observeOmnibus`: the omnibus wallet's on-chain balance of an asset.
 */
export type ObserveOmnibus = { readonly asset: string, readonly balance: string, readonly now: number, };

/**
 * `observeWallet`: a transfer wallet's confirmed on-chain balance of an asset.
 */
export type ObserveWallet = { readonly clientId: string, readonly asset: string, readonly balance: string, readonly now: number, };

/**
 * `registerClient`: open a client's accounts at its transfer-wallet address.
 */
export type RegisterClient = { readonly clientId: string, readonly address: string, readonly now: number, };

/**
 * `releaseQuarantine`: attribute a quarantined deposit to a client.
 */
export type ReleaseQuarantine = { readonly depositId: string, readonly clientId: string, readonly now: number, };

/**
 * `requestWithdrawal`: `amount` (+ `networkFee`) to an allow-listed `destination`.
 */
export type RequestWithdrawal = { readonly withdrawalId: string, readonly clientId: string, readonly asset: string, readonly amount: string, readonly networkFee: string, readonly destination: string, readonly now: number, };

/**
 * The two signed transactions of a withdrawal: omnibus → the client's transfer wallet, then
 * the transfer wallet → the destination.
 */
export type SignedWithdrawal = {
  /**
   * The outcome (`WITHDRAWAL_SIGNED` or the refusal).
   */
  readonly outcome: CustodyOutcome,
  /**
   * The digests signed (32 bytes each; empty when refused).
   */
  readonly digests: ReadonlyArray<Uint8Array>,
  /**
   * secp256k1 signatures `r‖s` (64 bytes each, RFC 6979, low-S), one per digest.
   */
  readonly signatures: ReadonlyArray<Uint8Array>, };

/**
 * `sweep`: the client's confirmed transfer-wallet balance to the omnibus.
 */
export type Sweep = { readonly sweepId: string, readonly clientId: string, readonly asset: string, readonly networkFee: string, readonly now: number, };

/**
 * `trade`: the buyer pays `quoteAmount` + `fee`, the seller delivers `baseAmount`.
 */
export type Trade = { readonly tradeId: string, readonly buyerId: string, readonly sellerId: string, readonly baseAsset: string, readonly baseAmount: string, readonly quoteAsset: string, readonly quoteAmount: string, readonly fee: string, readonly now: number, };

/**
 * Where a withdrawal is.
 */
export type WithdrawalState = "awaitingApproval" | "signed" | "confirmed" | "cancelled";

/**
 * One withdrawal as the book sees it.
 */
export type WithdrawalView = {
  /**
   * Id.
   */
  readonly withdrawalId: string,
  /**
   * The client.
   */
  readonly clientId: string,
  /**
   * The asset.
   */
  readonly asset: string,
  /**
   * Amount (decimal string).
   */
  readonly amount: string,
  /**
   * Network fee (decimal string).
   */
  readonly networkFee: string,
  /**
   * External destination (EIP-55).
   */
  readonly destination: string,
  /**
   * State.
   */
  readonly state: WithdrawalState,
  /**
   * The digest approvers sign (hex).
   */
  readonly digest: string,
  /**
   * Approver ids with a counted approval, and its expiry (Unix seconds).
   */
  readonly approvals: ReadonlyArray<[string, number]>, };
