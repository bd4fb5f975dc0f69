// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.
import type { PublicKey } from "./card.js";
import type { HoldView, LedgerCode } from "./ledger.js";

/**
 * What the server does when the wallet's available balance is below the order's maximum.
 * JSON: `"decline"`, `"hold-available"`, `"lower-maximum"`.
 */
export type BelowMaximumPolicy = "decline" | "hold-available" | "lower-maximum";

/**
 * Net, tax and total of a delivery, in the tariff's currency (canonical amount strings).
 */
export type CostBreakdown = {
  /**
   * The cost before tax.
   */
  readonly net: string,
  /**
   * The tax (zero without a tax rule).
   */
  readonly tax: string,
  /**
   * What the customer pays: net + tax.
   */
  readonly total: string, };

/**
 * The dispenser or charger limit a hold pays for.
 */
export type DispenseLimit = {
  /**
   * `LIMIT_SET`, `HOLD_TOO_SMALL` or `QUANTITY_CAPPED`.
   */
  readonly code: EnergyCode,
  /**
   * The largest quantity to deliver, at the resolution (`"26.89"`).
   */
  readonly maxQuantity: string,
  /**
   * The unit.
   */
  readonly unit: EnergyUnit,
  /**
   * The resolution used (`"0.01"`).
   */
  readonly resolution: string,
  /**
   * The cost of `maxQuantity`: its total never exceeds the hold.
   */
  readonly cost: CostBreakdown,
  /**
   * The hold, canonical.
   */
  readonly hold: string,
  /**
   * The currency code.
   */
  readonly currency: string, };

/**
 * Input of `dispense_limit`.
 */
export type DispenseLimitRequest = {
  /**
   * The tariff.
   */
  readonly tariff: EnergyTariff,
  /**
   * The amount held, in the tariff's currency, `>= 0` (strict grammar, no rounding).
   */
  readonly hold: string, };

/**
 * The server's answer to an order, a tariff change or an extend: the payload of
 * `energy.authorisation`. It states the whole hold as the server sees it.
 */
export type EnergyAuthorisation = {
  /**
   * The order.
   */
  readonly orderId: string,
  /**
   * SHA-256 of the request envelope this answers (hex in JSON).
   */
  readonly inReplyTo: string,
  /**
   * The outcome.
   */
  readonly code: EnergyCode,
  /**
   * The ledger's code when `code` is `LEDGER_REFUSED`.
   */
  readonly ledgerCode: LedgerCode | null,
  /**
   * The wallet.
   */
  readonly walletId: string,
  /**
   * The station.
   */
  readonly stationId: string,
  /**
   * The currency.
   */
  readonly currency: string,
  /**
   * The order's maximum.
   */
  readonly maximum: string,
  /**
   * The ledger hold (absent when nothing is held).
   */
  readonly holdId: string | null,
  /**
   * Everything held: the first hold plus increments (`"0"` when declined).
   */
  readonly held: string,
  /**
   * The hold's deadline, Unix seconds.
   */
  readonly expiresAt: number | null,
  /**
   * The tariffs in force, from the order's on.
   */
  readonly segments: ReadonlyArray<TariffSegment>,
  /**
   * The increments added to the hold, in order.
   */
  readonly increments: ReadonlyArray<string>, };

/**
 * Outcome of an energy operation. A decision or a refusal is a normal result with exactly
 * one of these codes; an `Error` means the call itself was malformed.
 */
export type EnergyCode = "LIMIT_SET" | "HOLD_TOO_SMALL" | "QUANTITY_CAPPED" | "COST_COMPUTED" | "WITHIN_HOLD" | "EXCEEDS_HOLD" | "HELD" | "HELD_AVAILABLE" | "MAXIMUM_LOWERED" | "BALANCE_BELOW_MAXIMUM" | "BELOW_MINIMUM" | "UNKNOWN_WALLET" | "ORDER_INVALID" | "ORDER_ID_CONFLICT" | "SESSIONS_FULL" | "LEDGER_REFUSED" | "TARIFF_CHANGED" | "INCREMENT_DECLINED" | "EXTENDED" | "DEADLINE_INVALID" | "HOLD_EXPIRED" | "TARIFF_CHANGE_OUT_OF_ORDER" | "TARIFF_INVALID" | "SESSION_MESSAGES_FULL" | "SESSION_CLOSED" | "UNKNOWN_ORDER" | "WRONG_STATION" | "WRONG_TERMINAL" | "COMPLETED" | "COMPLETED_CAPPED" | "COMPLETED_NOTHING_DELIVERED" | "LATE_COMPLETION_REJECTED" | "LATE_CHARGED" | "LATE_CHARGE_DECLINED" | "READINGS_INVALID" | "ORDER_SENT" | "REQUEST_SENT" | "READING_ACCEPTED" | "LIMIT_REACHED" | "READING_ABOVE_LIMIT" | "READING_NOT_MONOTONIC" | "READING_MALFORMED" | "READINGS_FULL" | "NOT_AUTHORISED" | "REQUEST_PENDING" | "TERMINAL_SESSIONS_FULL" | "ANSWER_MISMATCH" | "RECEIPT_ACCEPTED" | "MALFORMED" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "WRONG_TYPE" | "NOT_YET_VALID" | "EXPIRED" | "REPLAYED" | "VERSION_UNSUPPORTED" | "PAYLOAD_MALFORMED";

/**
 * The end of delivery: the payload of `energy.completion`.
 */
export type EnergyCompletion = {
  /**
   * The order.
   */
  readonly orderId: string,
  /**
   * The meter readings, in order; the last one is the quantity delivered (none: nothing).
   */
  readonly readings: ReadonlyArray<MeterReading>, };

/**
 * A request for a later deadline: the payload of `energy.extend`.
 */
export type EnergyExtension = {
  /**
   * The order.
   */
  readonly orderId: string,
  /**
   * The new deadline, Unix seconds.
   */
  readonly expiresAt: number, };

/**
 * An order to fill a vehicle: the payload of `energy.order`.
 */
export type EnergyOrder = {
  /**
   * The order id, unique per server (1..=48 UTF-8 bytes, no control characters).
   */
  readonly orderId: string,
  /**
   * The customer's e-money wallet.
   */
  readonly walletId: string,
  /**
   * The station (its settlement account is credited); must be the sending terminal's.
   */
  readonly stationId: string,
  /**
   * The predetermined maximum amount, in the tariff's currency, greater than zero.
   */
  readonly maximum: string,
  /**
   * What to do when the balance is below the maximum.
   */
  readonly belowMaximum: BelowMaximumPolicy,
  /**
   * The least amount worth holding (default: one resolution step's cost); at most `maximum`.
   */
  readonly minimum?: string,
  /**
   * The rounding step of `lower-maximum` (required with it, absent otherwise), > 0.
   */
  readonly step?: string,
  /**
   * The tariff at the start of delivery.
   */
  readonly tariff: EnergyTariff, };

/**
 * The server's signed receipt: the payload of `energy.receipt`.
 */
export type EnergyReceipt = {
  /**
   * The order.
   */
  readonly orderId: string,
  /**
   * SHA-256 of the completion envelope this answers (hex in JSON).
   */
  readonly inReplyTo: string,
  /**
   * `COMPLETED`, `COMPLETED_CAPPED`, `COMPLETED_NOTHING_DELIVERED`, `LATE_COMPLETION_REJECTED`,
   * `LATE_CHARGED` or `LATE_CHARGE_DECLINED`.
   */
  readonly code: EnergyCode,
  /**
   * The ledger's code of the capture, release or late transfer.
   */
  readonly ledgerCode: LedgerCode | null,
  /**
   * The wallet.
   */
  readonly walletId: string,
  /**
   * The station.
   */
  readonly stationId: string,
  /**
   * The currency.
   */
  readonly currency: string,
  /**
   * The ledger hold.
   */
  readonly holdId: string,
  /**
   * Everything held: the first hold plus increments.
   */
  readonly held: string,
  /**
   * The increments, in order.
   */
  readonly increments: ReadonlyArray<string>,
  /**
   * The hold's last deadline.
   */
  readonly expiresAt: number,
  /**
   * When the server completed the session (its effective time).
   */
  readonly completedAt: number,
  /**
   * Whether the completion arrived after the hold expired.
   */
  readonly late: boolean,
  /**
   * The meter readings of the completion.
   */
  readonly readings: ReadonlyArray<MeterReading>,
  /**
   * The quantity delivered (the last reading).
   */
  readonly quantity: string,
  /**
   * The unit.
   */
  readonly unit: EnergyUnit,
  /**
   * The cost per tariff segment.
   */
  readonly segments: ReadonlyArray<SegmentCost>,
  /**
   * The metered cost: the sum of the segments.
   */
  readonly cost: CostBreakdown,
  /**
   * What was charged: captured from the hold, or transferred by a late charge.
   */
  readonly captured: string,
  /**
   * What the hold released (by the final capture, or by expiry).
   */
  readonly released: string,
  /**
   * The cost not collected: `cost.total − captured`.
   */
  readonly uncollected: string, };

/**
 * The server's configuration.
 */
export type EnergyServerConfig = {
  /**
   * The e-money currency (wallets, orders and tariffs).
   */
  readonly currency: string,
  /**
   * How long a new hold runs, seconds (60 ..= 366 days).
   */
  readonly holdDurationS: number,
  /**
   * The late-completion policy.
   */
  readonly lateCompletion: LateCompletionPolicy,
  /**
   * Clock skew tolerated on the terminals' envelopes' issue time, seconds (≤ one day).
   */
  readonly clockSkewS?: number, };

/**
 * What a unit of energy costs and how it is measured.
 */
export type EnergyTariff = {
  /**
   * ISO 4217 currency code (or a registered asset).
   */
  readonly currency: string,
  /**
   * The unit the dispenser measures.
   */
  readonly unit: EnergyUnit,
  /**
   * The dispenser's resolution, a power of ten from `"1"` to `"0.000001"`; default: the
   * unit's (`"0.01"` L, `"0.001"` kWh, `"0.01"` kg).
   */
  readonly resolution?: string,
  /**
   * Price of one unit, e.g. `"1.859"`: greater than 0, at most `UNIT_PRICE_MAX`, at most
   * `UNIT_PRICE_DECIMALS_MAX` fraction digits.
   */
  readonly unitPrice: string,
  /**
   * How `quantity × unitPrice` is rounded to minor units.
   */
  readonly costRounding: string,
  /**
   * The tax rule, if any.
   */
  readonly tax?: TaxRule, };

/**
 * The terminal's configuration.
 */
export type EnergyTerminalConfig = {
  /**
   * The station this terminal belongs to (every order names it).
   */
  readonly stationId: string,
  /**
   * The e-money server's key: answers must be signed by it.
   */
  readonly serverKey: PublicKey,
  /**
   * Clock skew tolerated on the server's envelopes' issue time, seconds (≤ one day).
   */
  readonly clockSkewS?: number, };

/**
 * A unit of delivered energy. JSON: `"litre"`, `"kWh"`, `"kg"`.
 */
export type EnergyUnit = "litre" | "kWh" | "kg";

/**
 * What the server does with a completion that arrives after the hold expired. JSON:
 * `"reject"`, `"charge-if-funds"`.
 */
export type LateCompletionPolicy = "reject" | "charge-if-funds";

/**
 * A meter reading: the quantity delivered so far (at the dispenser's resolution) and when.
 */
export type MeterReading = {
  /**
   * Quantity delivered since the start of the session, e.g. `"12.34"`.
   */
  readonly quantity: string,
  /**
   * Unix seconds.
   */
  readonly at: number, };

/**
 * The cost of a metered delivery.
 */
export type MeteredCost = {
  /**
   * `COST_COMPUTED` (no hold), `WITHIN_HOLD` or `EXCEEDS_HOLD`.
   */
  readonly code: EnergyCode,
  /**
   * The quantity, at the resolution (`"26.890"` → `"26.89"` for 0.01 L).
   */
  readonly quantity: string,
  /**
   * The unit.
   */
  readonly unit: EnergyUnit,
  /**
   * Net, tax and total.
   */
  readonly cost: CostBreakdown,
  /**
   * The currency code.
   */
  readonly currency: string, };

/**
 * Input of `metered_cost`.
 */
export type MeteredCostRequest = {
  /**
   * The tariff.
   */
  readonly tariff: EnergyTariff,
  /**
   * The metered quantity, `>= 0`, a whole number of resolution steps, at most `QUANTITY_MAX`.
   */
  readonly quantity: string,
  /**
   * The unit the meter reports (must be the tariff's).
   */
  readonly unit: EnergyUnit,
  /**
   * The hold to compare the cost with, if any (`>= 0`, the tariff's currency).
   */
  readonly hold?: string, };

/**
 * The kind of a request waiting for its answer. JSON: camelCase names.
 */
export type RequestKind = "order" | "tariffChange" | "extend" | "completion";

/**
 * The cost of one tariff segment of a delivery.
 */
export type SegmentCost = {
  /**
   * Where the segment starts.
   */
  readonly fromQuantity: string,
  /**
   * Where it ends (the next tariff's start, or the final reading).
   */
  readonly toQuantity: string,
  /**
   * `to − from`.
   */
  readonly quantity: string,
  /**
   * Its tariff.
   */
  readonly tariff: EnergyTariff,
  /**
   * The cost of `quantity` under `tariff` (rounded once per segment).
   */
  readonly cost: CostBreakdown, };

/**
 * The server's answer to a message.
 */
export type ServerReply = {
  /**
   * The outcome.
   */
  readonly code: EnergyCode,
  /**
   * The ledger's code, when a ledger operation refused.
   */
  readonly ledgerCode: LedgerCode | null,
  /**
   * True when this answers the same envelope again (the stored answer).
   */
  readonly repeated: boolean,
  /**
   * The order id, when the message was authentic and decodable.
   */
  readonly orderId: string | null, };

/**
 * A session as the server sees it (amounts from the ledger).
 */
export type ServerSession = {
  /**
   * The order.
   */
  readonly order: EnergyOrder,
  /**
   * The state.
   */
  readonly state: ServerSessionState,
  /**
   * The code of the last decision.
   */
  readonly code: EnergyCode,
  /**
   * The ledger hold, when one was placed.
   */
  readonly hold: HoldView | null,
  /**
   * The tariff segments.
   */
  readonly segments: ReadonlyArray<TariffSegment>,
  /**
   * The increments, in order.
   */
  readonly increments: ReadonlyArray<string>,
  /**
   * The receipt, once completed.
   */
  readonly receipt: EnergyReceipt | null, };

/**
 * The state of a session. JSON: `"declined"`, `"held"`, `"expired"`, `"closed"`.
 */
export type ServerSessionState = "declined" | "held" | "expired" | "closed";

/**
 * A tariff change during a session: the payload of `energy.tariff-change`.
 */
export type TariffChange = {
  /**
   * The order.
   */
  readonly orderId: string,
  /**
   * 1 for the first change of the session, 2 for the next ...
   */
  readonly changeNo: number,
  /**
   * The quantity delivered when the new tariff takes effect.
   */
  readonly quantityAt: string,
  /**
   * The new tariff (same currency, unit and resolution).
   */
  readonly tariff: EnergyTariff,
  /**
   * The amount to add to the hold, if any (> 0).
   */
  readonly increment?: string, };

/**
 * A tariff in force from a quantity on.
 */
export type TariffSegment = {
  /**
   * The quantity delivered when this tariff took effect (`"0"` for the order's tariff).
   */
  readonly fromQuantity: string,
  /**
   * The tariff.
   */
  readonly tariff: EnergyTariff, };

/**
 * A tax rule of a tariff.
 */
export type TaxRule = {
  /**
   * The rate as a fraction of the net cost, `"0.19"` for 19 %: 0 to 1, at most
   * `TAX_RATE_DECIMALS_MAX` fraction digits.
   */
  readonly rate: string,
  /**
   * Whether the unit price already includes the tax.
   */
  readonly priceIncludesTax: boolean,
  /**
   * How the tax amount is rounded to minor units (`"half-even"`, `"half-up"` …).
   */
  readonly rounding: string, };

/**
 * The terminal's answer to a call.
 */
export type TerminalOutcome = {
  /**
   * The outcome (for an accepted answer: the server's code).
   */
  readonly code: EnergyCode,
  /**
   * Whether the call changed the session (a request built, an answer or reading accepted).
   */
  readonly accepted: boolean,
  /**
   * The session afterwards (absent for an unknown order).
   */
  readonly session: TerminalSession | null,
  /**
   * The increment a tariff-change request asks for (absent when none is needed).
   */
  readonly increment: string | null, };

/**
 * A session as the terminal shows it.
 */
export type TerminalSession = {
  /**
   * The order.
   */
  readonly order: EnergyOrder,
  /**
   * The state.
   */
  readonly state: TerminalState,
  /**
   * The last code.
   */
  readonly code: EnergyCode,
  /**
   * The request waiting for its answer.
   */
  readonly pending: RequestKind | null,
  /**
   * The ledger hold.
   */
  readonly holdId: string | null,
  /**
   * Everything held (the server's figure).
   */
  readonly held: string,
  /**
   * The hold's deadline.
   */
  readonly expiresAt: number | null,
  /**
   * The dispenser or charger limit: the largest quantity the hold pays for.
   */
  readonly maxQuantity: string,
  /**
   * The quantity delivered so far (the last reading).
   */
  readonly delivered: string,
  /**
   * The unit.
   */
  readonly unit: EnergyUnit,
  /**
   * The cost of what was delivered so far.
   */
  readonly cost: CostBreakdown,
  /**
   * The tariff segments.
   */
  readonly segments: ReadonlyArray<TariffSegment>,
  /**
   * The increments granted.
   */
  readonly increments: ReadonlyArray<string>,
  /**
   * The meter readings.
   */
  readonly readings: ReadonlyArray<MeterReading>,
  /**
   * The verified receipt, once closed.
   */
  readonly receipt: EnergyReceipt | null, };

/**
 * The state of a terminal session. JSON: camelCase names.
 */
export type TerminalState = "ordered" | "declined" | "authorised" | "paused" | "expired" | "completing" | "closed";
