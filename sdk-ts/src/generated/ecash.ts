// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.

/**
 * What an instruction tells the card to do.
 */
export type Action = "reject" | "restrict" | "block";

/**
 * One injected attack.
 */
export type Attack = {
  /**
   * What.
   */
  readonly kind: AttackKind,
  /**
   * The card index it works on.
   */
  readonly card: number,
  /**
   * The step it starts at.
   */
  readonly step: number, };

/**
 * An attack the simulator injects.
 */
export type AttackKind = "clone" | "replay" | "rollback" | "double-spend" | "relay";

/**
 * What became of one attack.
 */
export type AttackResult = {
  /**
   * The attack.
   */
  readonly attack: Attack,
  /**
   * Whether a finding named it.
   */
  readonly detected: boolean,
  /**
   * The first finding's code.
   */
  readonly code: RuleCode | null,
  /**
   * Seconds from the first fraudulent act to detection.
   */
  readonly secondsToDetection: number | null,
  /**
   * Value obtained beyond the attacker's own, minor units.
   */
  readonly valueAtRisk: number, };

/**
 * Which offline limit a log broke.
 */
export type LimitName = "single" | "cumulative" | "count" | "validUntil" | "counterWindow";

/**
 * The offline limits a card enforces until its next clean check.
 */
export type OfflineLimits = {
  /**
   * Largest single offline payment, minor units.
   */
  readonly singleMax: number,
  /**
   * Largest sum of offline payments since the last check, minor units.
   */
  readonly cumulativeMax: number,
  /**
   * Most offline payments since the last check.
   */
  readonly countMax: number,
  /**
   * No offline payment at or after this time, Unix seconds.
   */
  readonly validUntil: number, };

/**
 * Whether a record spends (send) or takes in (receive) value.
 */
export type RecordKind = "send" | "receive";

/**
 * Why an offline payment was refused (an outcome, not an error).
 */
export type Refusal = "CARD_BLOCKED" | "SEND_IN_PROGRESS" | "SECURITY_EXPIRED" | "OVER_SINGLE_LIMIT" | "OVER_COUNT_LIMIT" | "OVER_CUMULATIVE_LIMIT" | "COUNTER_WINDOW" | "LOG_FULL" | "INSUFFICIENT_FUNDS" | "PAYER_SECURITY_INVALID" | "PAYER_BLOCKED" | "BAD_SIGNATURE" | "WRONG_PAYEE" | "OVER_PAYER_LIMIT" | "DOUBLE_SPEND";

/**
 * An abnormal-transaction rule.
 */
export type RuleCode = "BAD_SIGNATURE" | "COUNTER_GAP" | "CHAIN_BROKEN" | "REPLAYED_COUNTER" | "ROLLBACK" | "CLONED_CARD" | "DOUBLE_SPEND" | "BALANCE_MISMATCH" | "OFFLINE_LIMIT_EXCEEDED" | "VELOCITY" | "WRONG_PAYEE";

/**
 * A simulation.
 */
export type SimConfig = {
  /**
   * The seed of every random choice.
   */
  readonly seed: number,
  /**
   * Cards, 2..=`SIM_CARDS_MAX`.
   */
  readonly cards: number,
  /**
   * Merchants, 2..=`SIM_MERCHANTS_MAX`.
   */
  readonly merchants: number,
  /**
   * Steps, 1..=`SIM_STEPS_MAX`.
   */
  readonly steps: number,
  /**
   * Seconds per step, ≥ 1.
   */
  readonly stepS: number,
  /**
   * A card comes online every this many steps, ≥ 1.
   */
  readonly offlineSteps: number,
  /**
   * Chance that a card pays in a step, per cent (0..=100).
   */
  readonly payPercent: number,
  /**
   * Opening balance of each card, minor units.
   */
  readonly openingBalance: number,
  /**
   * The offline limits under test (`validUntil` is set from `validityS`).
   */
  readonly limits: OfflineLimits,
  /**
   * Validity of security information, seconds.
   */
  readonly validityS: number,
  /**
   * The attacks.
   */
  readonly attacks: ReadonlyArray<Attack>, };

/**
 * The report of a run.
 */
export type SimReport = {
  /**
   * Per attack.
   */
  readonly attacks: ReadonlyArray<AttackResult>,
  /**
   * Detected attacks per thousand attacks (1000 when there are none).
   */
  readonly detectionPerMille: number,
  /**
   * Honest cards that any finding named (should be empty).
   */
  readonly honestFlagged: ReadonlyArray<string>,
  /**
   * Offline payments made.
   */
  readonly payments: number,
  /**
   * Value at risk (obtained by undetected-yet attacks, cumulative) at the end of each step.
   */
  readonly valueAtRiskByStep: ReadonlyArray<number>,
  /**
   * The largest value at risk the limits allow per attacking card and offline period:
   * `min(cumulativeMax, countMax × singleMax)`.
   */
  readonly valueAtRiskBound: number, };

/**
 * The velocity rule's parameters.
 */
export type Velocity = {
  /**
   * Window length, seconds (≥ 1).
   */
  readonly windowS: number,
  /**
   * Most sends within a window.
   */
  readonly countMax: number,
  /**
   * Largest sum within a window, minor units.
   */
  readonly amountMax: number, };
