// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.

/**
 * What a verdict rests on.
 */
export type Evidence = {
  /**
   * Δ, mg.
   */
  readonly deltaMg: number,
  /**
   * σ_Δ, mg.
   */
  readonly sigmaMg: number,
  /**
   * k, hundredths.
   */
  readonly kCenti: number,
  /**
   * The ambiguity margin, hundredths of z.
   */
  readonly marginZCenti: number,
  /**
   * The best readings within twice their tolerance, ranked (at most `HYPOTHESES_MAX`).
   */
  readonly hypotheses: ReadonlyArray<Hypothesis>,
  /**
   * Combinations tried.
   */
  readonly combinationsTried: number,
  /**
   * The touch's excursion outside the band between its baselines, mg (0 when not given).
   */
  readonly excursionMg: number,
  /**
   * The lane sensor's `mixedExcursionMg`: above it the touch was not a single step.
   */
  readonly mixedExcursionMg: number,
  /**
   * The candidate shoppers (who was at the shelf).
   */
  readonly shopperIds: ReadonlyArray<string>, };

/**
 * Items staff found in a lane.
 */
export type FoundItems = {
  /**
   * The item type (from the catalogue).
   */
  readonly itemType: string,
  /**
   * Items, 1..=`BASKET_ITEMS_MAX`.
   */
  readonly count: number, };

/**
 * One ranked hypothesis.
 */
export type Hypothesis = {
  /**
   * The shopper whose records it uses (returns), none for picks.
   */
  readonly shopperId: string | null,
  /**
   * The items.
   */
  readonly parts: ReadonlyArray<HypothesisPart>,
  /**
   * W, mg.
   */
  readonly predictedMg: number,
  /**
   * V, mg².
   */
  readonly varianceMg2: number,
  /**
   * `floor(k·sqrt(V))`, mg.
   */
  readonly toleranceMg: number,
  /**
   * `floor(1000·(Δ − W)²/V)`.
   */
  readonly z2Milli: number,
  /**
   * Within tolerance.
   */
  readonly withinTolerance: boolean, };

/**
 * Which items a hypothesis uses.
 */
export type HypothesisPart = {
  /**
   * Where the items are.
   */
  readonly source: PartSource,
  /**
   * Index of the record or entry (0 for stock).
   */
  readonly index: number,
  /**
   * The item type (none: unidentified).
   */
  readonly itemType: string | null,
  /**
   * Items.
   */
  readonly count: number, };

/**
 * Items of one kind held somewhere with their measured total: a shopper's take record, or a
 * foreign / unidentified entry in a lane.
 */
export type ItemLot = {
  /**
   * The item type, or none for an unidentified weight.
   */
  readonly itemType: string | null,
  /**
   * Items (≥ 1).
   */
  readonly count: number,
  /**
   * Their measured (or, in a several-kind pick, predicted) total, mg.
   */
  readonly totalMg: number,
  /**
   * The variance of `totalMg`, mg².
   */
  readonly varianceMg2: number,
  /**
   * The lane it came from (take records) or the task it belongs to (lane entries).
   */
  readonly origin: string, };

/**
 * An item type in the catalogue.
 */
export type ItemType = {
  /**
   * Id (1..=64 bytes).
   */
  readonly id: string,
  /**
   * Catalogue weight of one item, mg, 1..=`WEIGHT_MG_MAX`.
   */
  readonly nominalMg: number,
  /**
   * Catalogue spread (σ) of one item's weight, mg, 0..=`SIGMA_MG_MAX`.
   */
  readonly sigmaMg: number,
  /**
   * Value of one item in minor units of the store's currency (orders clean-up tasks only),
   * 0..=2^53 − 1.
   */
  readonly valueMinor: number,
  /**
   * Perishable (chilled, frozen): its clean-up comes first.
   */
  readonly perishable: boolean, };

/**
 * An item type's catalogue and learned weights.
 */
export type ItemTypeView = {
  /**
   * The catalogue entry.
   */
  readonly item: ItemType,
  /**
   * The weight used for matching, mg.
   */
  readonly weightMg: number,
  /**
   * The spread used for matching, mg (`floor(sqrt(variance))`).
   */
  readonly spreadMg: number,
  /**
   * Observations learned from.
   */
  readonly observations: number, };

/**
 * A lane at set-up.
 */
export type LaneSpec = {
  /**
   * Id.
   */
  readonly id: string,
  /**
   * The item type the lane is assigned to.
   */
  readonly itemType: string,
  /**
   * Items of that type in the lane, 0..=`LANE_COUNT_MAX`.
   */
  readonly count: number,
  /**
   * Its load cell.
   */
  readonly sensor: SensorConfig, };

/**
 * A lane seen from outside.
 */
export type LaneView = {
  /**
   * Id.
   */
  readonly id: string,
  /**
   * Assigned item type.
   */
  readonly itemType: string,
  /**
   * Own-stock count.
   */
  readonly count: number,
  /**
   * Foreign and unidentified entries.
   */
  readonly entries: ReadonlyArray<ItemLot>,
  /**
   * The sensor.
   */
  readonly sensor: SensorView, };

/**
 * Where a hypothesis part's items are.
 */
export type PartSource = "record" | "stock" | "entry";

/**
 * The answer to `Shelf::resolve_task`. Anything but `resolved` changed nothing.
 */
export type Resolution = {
  /**
   * The outcome.
   */
  readonly code: ResolveCode,
  /**
   * The task.
   */
  readonly taskId: string,
  /**
   * What staff found (as given).
   */
  readonly found: FoundItems | null,
  /**
   * Whose take records lost the items (none: nothing found, or refused).
   */
  readonly shopperId: string | null,
  /**
   * The task's weight, mg (its `totalMg`).
   */
  readonly taskMg: number,
  /**
   * The found items' weight as matching uses it, mg (0 for nothing).
   */
  readonly predictedMg: number,
  /**
   * The tolerance of the weight test, `floor(k·sqrt(V))`, mg (0 for nothing).
   */
  readonly toleranceMg: number,
  /**
   * Items put into the lane's own stock (found items of the lane's type).
   */
  readonly toStock: number,
  /**
   * The lane's own-stock count after.
   */
  readonly laneCount: number, };

/**
 * The outcome of resolving a task.
 */
export type ResolveCode = "resolved" | "task-unknown" | "task-closed" | "not-resolvable" | "shopper-not-candidate" | "shopper-required" | "contradicts-records" | "contradicts-weight";

/**
 * Staff resolve an `identify` or `unattributable` task with what they found in the lane.
 */
export type ResolveTask = {
  /**
   * The task.
   */
  readonly taskId: string,
  /**
   * What was there: the returned items, or `null` for nothing.
   */
  readonly found: FoundItems | null,
  /**
   * Whose items they were, when several candidates hold them (one of the task's shoppers).
   */
  readonly shopperId?: string,
  /**
   * An idempotency key, as for a weight change.
   */
  readonly idempotencyKey?: string, };

/**
 * How a lane's load cell behaves and what counts as a change.
 */
export type SensorConfig = {
  /**
   * σ of one sample's Gaussian noise, mg, 1..=`NOISE_SIGMA_MG_MAX`.
   */
  readonly noiseSigmaMg: number,
  /**
   * The smallest |Δ| reported as an event, mg, 1..=`THRESHOLD_MG_MAX`.
   */
  readonly eventThresholdMg: number,
  /**
   * `N`, the window length, `WINDOW_SAMPLES_MIN`..=`WINDOW_SAMPLES_MAX` samples.
   */
  readonly windowSamples: number,
  /**
   * The CUSUM decision interval `h`, mg, 1..=`THRESHOLD_MG_MAX`.
   */
  readonly cusumHMg: number,
  /**
   * The largest max − min of a window that counts as settled, mg, 1..=`THRESHOLD_MG_MAX`.
   */
  readonly stableRangeMg: number,
  /**
   * How fast the baseline may follow drift, mg per sample, 0..=`THRESHOLD_MG_MAX`.
   */
  readonly driftMgPerSampleMax: number, };

/**
 * Where the sensor is.
 */
export type SensorPhase = "starting" | "stable" | "moving";

/**
 * What a sensor's state looks like from outside.
 */
export type SensorView = {
  /**
   * The phase.
   */
  readonly phase: SensorPhase,
  /**
   * The current baseline, mg (0 while starting).
   */
  readonly baselineMg: number,
  /**
   * Samples seen.
   */
  readonly samples: number,
  /**
   * Touches absorbed (settled below the event threshold).
   */
  readonly absorbed: number, };

/**
 * The engine's parameters.
 */
export type ShelfConfig = {
  /**
   * k in hundredths, 100..=1000 (default 300).
   */
  readonly kCenti: number,
  /**
   * The ambiguity margin in z, hundredths, 0..=1000 (default 200).
   */
  readonly marginZCenti: number,
  /**
   * How far learning may move a type's weight from its nominal, ‰, 0..=500 (default 50).
   */
  readonly learnShiftPermilleMax: number,
  /**
   * Observations before learning applies, 2..=1024 (default 5).
   */
  readonly learnPicksMin: number,
  /**
   * Items in one hypothesis, 1..=`RETURN_ITEMS_MAX` (default 6).
   */
  readonly itemsMax: number,
  /**
   * Combinations tried per event, 1..=`COMBINATIONS_TRIED_MAX` (default the maximum).
   */
  readonly combinationsMax: number, };

/**
 * Everything a new shelf needs.
 */
export type ShelfSetup = {
  /**
   * The shelf's id (1..=64 bytes): the key a store keeps it under.
   */
  readonly shelfId: string,
  /**
   * The engine's parameters.
   */
  readonly config: ShelfConfig,
  /**
   * The catalogue (ids unique).
   */
  readonly itemTypes: ReadonlyArray<ItemType>,
  /**
   * The lanes (ids unique, item types from the catalogue).
   */
  readonly lanes: ReadonlyArray<LaneSpec>, };

/**
 * A shopper's take records.
 */
export type ShopperView = {
  /**
   * Id.
   */
  readonly id: string,
  /**
   * Take records, oldest first.
   */
  readonly lots: ReadonlyArray<ItemLot>, };

/**
 * A clean-up task for store staff.
 */
export type Task = {
  /**
   * Id (`"t<n>"`).
   */
  readonly id: string,
  /**
   * Kind.
   */
  readonly kind: TaskKind,
  /**
   * The lane to visit.
   */
  readonly laneId: string,
  /**
   * The misplaced item type (none for `identify`).
   */
  readonly itemType: string | null,
  /**
   * Items.
   */
  readonly count: number,
  /**
   * The weight involved, mg (an `unattributable` task: the net change, negative when the
   * lane lost weight).
   */
  readonly totalMg: number,
  /**
   * The variance of `totalMg`, mg².
   */
  readonly varianceMg2: number,
  /**
   * The shoppers involved: the returning shopper (`misplaced`), the candidates (the others).
   */
  readonly shopperIds: ReadonlyArray<string>,
  /**
   * When it was opened, Unix seconds.
   */
  readonly createdAt: number,
  /**
   * Perishable item type.
   */
  readonly perishable: boolean,
  /**
   * `valueMinor · count` of the item type (0 when unknown).
   */
  readonly valueMinor: number, };

/**
 * Why a clean-up task exists.
 */
export type TaskKind = "misplaced" | "identify" | "unattributable";

/**
 * The answer to a weight change.
 */
export type Verdict = {
  /**
   * The verdict.
   */
  readonly code: VerdictCode,
  /**
   * The shopper it is attributed to (none: not attributed).
   */
  readonly shopperId: string | null,
  /**
   * Whether the verdict names one shopper.
   */
  readonly attributed: boolean,
  /**
   * The evidence.
   */
  readonly evidence: Evidence,
  /**
   * Tasks opened by this change.
   */
  readonly tasksOpened: ReadonlyArray<string>,
  /**
   * Tasks closed by this change (a misplaced item picked).
   */
  readonly tasksClosed: ReadonlyArray<string>,
  /**
   * The lane's own-stock count after the change.
   */
  readonly laneCount: number, };

/**
 * The verdict on a weight change.
 */
export type VerdictCode = "picked" | "tidy" | "untidy" | "ambiguous" | "unexplained" | "search-limit" | "unattributable";

/**
 * A weight change to decide: an event from a lane's sensor, with who may have caused it.
 */
export type WeightChange = {
  /**
   * The lane.
   */
  readonly laneId: string,
  /**
   * Δ, mg: negative a pick, positive a return; 1..=`WEIGHT_MG_MAX` in magnitude.
   */
  readonly deltaMg: number,
  /**
   * σ_Δ, mg, 1..=`SIGMA_MG_MAX`.
   */
  readonly sigmaMg: number,
  /**
   * Candidate shoppers, 1..=`SHOPPERS_PER_EVENT_MAX`, unique.
   */
  readonly shopperIds: ReadonlyArray<string>,
  /**
   * Now, Unix seconds, 0..=`TIME_S_MAX`.
   */
  readonly now: number,
  /**
   * The event's `excursionMg` (how far the touch went outside the band between its two
   * baselines), mg, 0..=`EXCURSION_MG_MAX`; absent is 0 (a single step). Above the lane
   * sensor's `mixedExcursionMg` the change is `unattributable`.
   */
  readonly excursionMg?: number,
  /**
   * An idempotency key (1..=64 bytes): the same key with the same request answers the stored
   * verdict and changes nothing; with another request it is `IDEMPOTENCY_CONFLICT`.
   */
  readonly idempotencyKey?: string, };

/**
 * One detected weight change at a lane.
 */
export type WeightEvent = {
  /**
   * New baseline − old baseline, mg: positive when something was put down.
   */
  readonly deltaMg: number,
  /**
   * The uncertainty (1 σ) of `deltaMg`, mg.
   */
  readonly sigmaMg: number,
  /**
   * The sample index at which the touch was detected (the CUSUM alarm).
   */
  readonly startSample: number,
  /**
   * The sample index at which the shelf had settled again (the last sample of the window).
   */
  readonly settledSample: number,
  /**
   * The baseline after the change, mg.
   */
  readonly baselineMg: number,
  /**
   * How far the touch went outside the band between the two baselines, mg (≥ 0).
   */
  readonly excursionMg: number,
  /**
   * `excursionMg > mixedExcursionMg`: not a single step (a pick and a return in one window);
   * pass `excursionMg` on with the weight change and the shelf will not attribute it.
   */
  readonly mixed: boolean, };
