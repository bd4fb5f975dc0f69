//! System 10: untidy item returns judged by weight.
//!
//! A shelf has lanes, each assigned to one item type and standing on a load cell. A shopper takes
//! items from a lane (its weight drops) and may put items back, into their own lane (*tidy*) or
//! another one (*untidy*). The engine turns raw load-cell samples into weight-change events
//! ([`sensor`]), keeps per-shopper take records, explains every change by the most likely
//! combination of items ([`matching`]), says so only when the evidence separates it from the
//! alternatives, and keeps each lane's contents — including foreign items — so that a later pick
//! of a misplaced item is explained correctly (no cascade). Store staff get a clean-up list.
//!
//! # Units: weights are integer milligrams
//!
//! Every weight, Δ and σ is an integer number of **milligrams** (`…Mg`), every variance an
//! integer number of mg² (`…Mg2`); they cross the boundary as JavaScript numbers, all within
//! 2^53 (the bounds below keep them there). The decisions use only exact integer arithmetic
//! (i128 for squares and cross-products; square roots by integer Newton iteration), so the same
//! inputs give the same verdict on every platform, and no floating point is used at all. Weights
//! are measurements, not money: milligrams are far below a load cell's resolution (grams), so
//! rounding to them loses nothing.
//!
//! # Limits
//!
//! | name | value | unit | what |
//! |---|---:|---|---|
//! | [`WEIGHT_MG_MAX`] | 100,000,000 | mg | an item's nominal weight, a Δ, a lot's total |
//! | [`SIGMA_MG_MAX`] | 1,000,000 | mg | an item type's spread, an event's σ |
//! | [`ID_BYTES_MAX`] | 64 | bytes | a lane, item type or shopper id |
//! | [`ITEM_TYPES_MAX`] | 1,024 | item types | in the catalogue |
//! | [`LANES_MAX`] | 256 | lanes | on one shelf |
//! | [`SHOPPERS_MAX`] | 1,024 | shoppers | with take records at once (`checkout` frees one) |
//! | [`BASKET_LOTS_MAX`] | 200 | lots | take records of one shopper (one per pick and item type) |
//! | [`BASKET_ITEMS_MAX`] | 500 | items | held by one shopper |
//! | [`LANE_ENTRIES_MAX`] | 32 | entries | foreign or unidentified items in one lane |
//! | [`TASKS_MAX`] | 1,024 | tasks | open clean-up tasks |
//! | [`RETURN_ITEMS_MAX`] | 6 | items | in one hypothesis (the multiplicity bound; `itemsMax` may lower it) |
//! | [`COMBINATIONS_TRIED_MAX`] | 200,000 | combinations | tried for one event (`combinationsMax` may lower it) |
//! | [`HYPOTHESES_MAX`] | 5 | hypotheses | reported as evidence |
//! | [`SHOPPERS_PER_EVENT_MAX`] | 4 | shoppers | candidates for one event |
//! | [`LEARN_OBSERVATIONS_MAX`] | 1,024 | picks | remembered per item type (then halved: old picks fade) |
//! | [`IDEMPOTENCY_KEYS_MAX`] | 1,024 | keys | remembered with their request and answer (the oldest forgotten first) |
//! | [`EXCURSION_MG_MAX`] | 400,000,000 | mg | a weight change's `excursionMg` |
//!
//! # Tolerance, ranking and the verdict
//!
//! For a weight change Δ with uncertainty σ_Δ (from the [`sensor`]), a hypothesis of `n_i`
//! items of kind `i` predicts `W = Σ w_i` with variance `V = σ_Δ² + Σ n_i·σ_i²` (a returned
//! lot whose total was measured when it was picked brings that measurement's variance instead:
//! the weight of *that* item is known better than its type's spread; [`matching`] has the
//! table). The tolerance is `k·sqrt(V)`, `k = kCenti/100` (default 3). Hypotheses are ranked by
//! `z² = (Δ − W)²/V` — the Gaussian log-likelihood is `−z²/2` up to its normalising term, which
//! the engine leaves out (so the ranking is by Mahalanobis distance; reported as `z2Milli`,
//! `floor(1000·z²)`). Only the best hypothesis of each *reading* is kept: a reading is which
//! shopper and how many items of which type (two hypotheses that differ only in which of two
//! identical yoghurts came back mean the same thing).
//!
//! | verdict | when (first that applies) | what changes |
//! |---|---|---|
//! | `unattributable` | the request's `excursionMg` is above the lane sensor's `mixedExcursionMg` (`2·stableRangeMg`): the touch was not a single step — a pick and a return inside one settling window. No search is made (`hypotheses` empty) | no take record and no lane count changes; an `unattributable` task opens with the net Δ (signed), σ_Δ² and the candidate shoppers; a net gain (Δ > 0) is also an unidentified entry of the lane (so a later pick of that weight is explained), a net loss (or Δ 0: a swap) leaves no entry. `deltaMg` 0 is accepted only here |
//! | `search-limit` | the search tried `combinationsMax` combinations before finishing | as `unexplained` |
//! | `unexplained` | no hypothesis within tolerance | the lane gets an *unidentified* entry (Δ, σ_Δ) and an `identify` task; no take record changes |
//! | `ambiguous` | the second-best reading is also within tolerance and `z²₂ − z²₁ < (marginZCenti/100)²` (default margin 2: the best is less than e² ≈ 7.4 times as likely) — 540 g against 538 g at σ 10 g is always this | as `unexplained`, and the evidence names both readings |
//! | `picked` | a weight decrease explained | the lane's stock or entries lose the items; the shopper's take records gain them (one lot per item kind, its measured weight) |
//! | `tidy` | an increase explained by items all of the lane's type | the shopper's records lose them; the lane's count gains them |
//! | `untidy` | an increase explained with at least one item of another type | as tidy for the lane's own type; every other item becomes a foreign entry in the lane with a `misplaced` task |
//!
//! Every verdict carries its evidence: Δ, σ_Δ, k, the margin, the ranked hypotheses (predicted
//! weight, variance, tolerance, z², within or not) and the combinations tried.
//!
//! # Picks, lane contents and the cascade
//!
//! A decrease is matched against what the lane holds: its own stock (`count` items of its type,
//! at the type's learned weight and spread) and its entries (foreign items left by untidy
//! returns, unidentified weights). A pick of a foreign item removes that entry and closes its
//! task, so the shopper's record holds the foreign item's type — the misplaced return does not
//! make the innocent next pick look wrong (the cascade AiFi's entrants met).
//!
//! # Learning item weights
//!
//! An unambiguous pick of exactly one item of a lane's own stock is an observation of that
//! type's weight (with the event's σ_Δ²). After `learnPicksMin` observations the type's weight
//! is their mean, clamped to within `learnShiftPermilleMax` ‰ of the catalogue nominal weight;
//! its spread is `sqrt(sample variance − mean σ_Δ²)`, clamped to [σ/2, 2σ] of the catalogue
//! spread (the named bound on what learning may do to a catalogue value).
//!
//! # Several shoppers, simultaneous events
//!
//! A weight change names its candidate shoppers (1..=[`SHOPPERS_PER_EVENT_MAX`]: who was at the
//! shelf, from the store's tracking). A return is matched against each candidate's records; the
//! reading names the shopper, so two shoppers who could each explain Δ give `ambiguous`. A pick
//! with more than one candidate is decided on the lane's side (what left the lane), but is
//! `attributed: false`: nobody's take record gains it (the outcome lists the candidates; the
//! store must settle it). A pick and a return that overlap within one settling window reach
//! the engine as one net Δ, but the sensor sees that the weight went outside the band between
//! its two rest values ([`sensor`]: `excursionMg`, `mixed`): passed on with the weight change,
//! it makes the verdict `unattributable` — the engine says it cannot attribute the net change
//! (evidence: the excursion, its bound, the net Δ, who was at the shelf) and guesses nothing.
//! Staff resolve the task with what they found ([`Shelf::resolve_task`]): the returned item
//! comes off its holder's record; the part that was a pick stays unattributed (as a pick with
//! several candidates). Two shoppers at one shelf, end to end: a return only one of them can
//! explain is theirs (`tidy`/`untidy`, `shopperId`); one both can explain is `ambiguous` (an
//! `identify` task naming both; staff resolve it, naming the shopper when both hold the item);
//! a pick is `picked` with `attributed: false`; a mixed touch is `unattributable`.
//!
//! # Idempotency
//!
//! A weight change, a resolution or a checkout may carry an `idempotencyKey` (1..=64 bytes). The shelf
//! remembers the request (without its key and its `now`: a retry sent later is the same request)
//! and the answer; the same key with the same request answers the remembered answer and changes
//! nothing; with any other request (another kind included) it is the error
//! `IDEMPOTENCY_CONFLICT` about `request.idempotencyKey`, and nothing changes. Only applied
//! requests are remembered (a refused resolution or an error changes nothing, its key
//! included). At most [`IDEMPOTENCY_KEYS_MAX`] keys are kept, the oldest forgotten first (like
//! the ledger's key window): a retry later than that many newer keys is a new request. The keys
//! are part of the snapshot. The request is kept whole rather than as a hash: it is small
//! (≤ ~400 bytes) and the comparison is then exact.
//!
//! # Clean-up tasks
//!
//! One task per misplaced lot, unidentified weight or unattributable touch, listed by
//! [`Shelf::tasks`] in priority order: perishable first, then higher value (`valueMinor ·
//! count`, minor units of the store's currency, only for ordering), then older (`createdAt`),
//! then lower id. A task closes when staff complete it ([`Shelf::complete_task`]: the entry
//! leaves the lane), when staff resolve it with what they found ([`Shelf::resolve_task`], for
//! `identify` and `unattributable` tasks: the table there says what changes), or when a shopper
//! picks the item.
//!
//! # Errors
//!
//! Malformed input is an [`Error`] naming the parameter (`INVALID_ARGUMENT`:
//! ranges, unknown lane or item type, duplicate ids; `LIMIT_EXCEEDED`: a named limit above),
//! and nothing changes. A full table (`BASKET_LOTS_MAX`, `LANE_ENTRIES_MAX`, `TASKS_MAX`,
//! `SHOPPERS_MAX`) is checked before anything changes, so a refused call leaves the shelf as it was.

mod codec;
pub use codec::{SNAPSHOT_BYTES_MAX, SNAPSHOT_FORMAT_VERSION};
pub mod matching;
pub mod sensor;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use matching::{insertion_sort_by, search, tolerance_mg, z2_milli, Lot, Params};
use sensor::{check_range, floor_sqrt, LaneSensor, SensorConfig, SensorView, WeightEvent};

/// The largest weight (item, Δ, lot total), mg (100 kg).
pub const WEIGHT_MG_MAX: i64 = 100_000_000;
/// The largest σ (item spread, event σ), mg (1 kg).
pub const SIGMA_MG_MAX: i64 = 1_000_000;
/// The longest id, UTF-8 bytes.
pub const ID_BYTES_MAX: usize = 64;
/// Item types in the catalogue.
pub const ITEM_TYPES_MAX: usize = 1_024;
/// Lanes on one shelf.
pub const LANES_MAX: usize = 256;
/// Shoppers with take records at once.
pub const SHOPPERS_MAX: usize = 1_024;
/// Take records (lots) of one shopper.
pub const BASKET_LOTS_MAX: usize = 200;
/// Items held by one shopper.
pub const BASKET_ITEMS_MAX: u32 = 500;
/// Foreign or unidentified entries in one lane.
pub const LANE_ENTRIES_MAX: usize = 32;
/// Open clean-up tasks.
pub const TASKS_MAX: usize = 1_024;
/// Items in one hypothesis.
pub const RETURN_ITEMS_MAX: u32 = 6;
/// Combinations tried for one event.
pub const COMBINATIONS_TRIED_MAX: u32 = 200_000;
/// Hypotheses reported as evidence.
pub const HYPOTHESES_MAX: usize = 5;
/// Candidate shoppers of one event.
pub const SHOPPERS_PER_EVENT_MAX: usize = 4;
/// Observations remembered per item type.
pub const LEARN_OBSERVATIONS_MAX: u32 = 1_024;
/// Items in one lane's own stock.
pub const LANE_COUNT_MAX: u32 = 10_000;
/// The latest `now`, Unix seconds (9999-12-31T23:59:59Z).
pub const TIME_S_MAX: i64 = 253_402_300_799;
/// Idempotency keys remembered (with their request and answer); the oldest is forgotten first.
pub const IDEMPOTENCY_KEYS_MAX: usize = 1_024;
/// The largest `excursionMg` of a weight change, mg (two samples at ±[`sensor::SAMPLE_MG_ABS_MAX`]).
pub const EXCURSION_MG_MAX: i64 = 2 * sensor::SAMPLE_MG_ABS_MAX;

/// An item type in the catalogue.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemType {
    /// Id (1..=64 bytes).
    pub id: String,
    /// Catalogue weight of one item, mg, 1..=[`WEIGHT_MG_MAX`].
    pub nominal_mg: i64,
    /// Catalogue spread (σ) of one item's weight, mg, 0..=[`SIGMA_MG_MAX`].
    pub sigma_mg: i64,
    /// Value of one item in minor units of the store's currency (orders clean-up tasks only),
    /// 0..=2^53 − 1.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub value_minor: u64,
    /// Perishable (chilled, frozen): its clean-up comes first.
    pub perishable: bool,
}

/// A lane at set-up.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LaneSpec {
    /// Id.
    pub id: String,
    /// The item type the lane is assigned to.
    pub item_type: String,
    /// Items of that type in the lane, 0..=[`LANE_COUNT_MAX`].
    pub count: u32,
    /// Its load cell.
    pub sensor: SensorConfig,
}

/// The engine's parameters.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShelfConfig {
    /// k in hundredths, 100..=1000 (default 300).
    pub k_centi: i64,
    /// The ambiguity margin in z, hundredths, 0..=1000 (default 200).
    pub margin_z_centi: i64,
    /// How far learning may move a type's weight from its nominal, ‰, 0..=500 (default 50).
    pub learn_shift_permille_max: i64,
    /// Observations before learning applies, 2..=1024 (default 5).
    pub learn_picks_min: u32,
    /// Items in one hypothesis, 1..=[`RETURN_ITEMS_MAX`] (default 6).
    pub items_max: u32,
    /// Combinations tried per event, 1..=[`COMBINATIONS_TRIED_MAX`] (default the maximum).
    pub combinations_max: u32,
}

impl Default for ShelfConfig {
    fn default() -> Self {
        ShelfConfig {
            k_centi: 300,
            margin_z_centi: 200,
            learn_shift_permille_max: 50,
            learn_picks_min: 5,
            items_max: RETURN_ITEMS_MAX,
            combinations_max: COMBINATIONS_TRIED_MAX,
        }
    }
}

impl ShelfConfig {
    fn check(&self) -> Result<()> {
        check_range(self.k_centi, 100, 1000, "kCenti")?;
        check_range(self.margin_z_centi, 0, 1000, "marginZCenti")?;
        check_range(self.learn_shift_permille_max, 0, 500, "learnShiftPermilleMax")?;
        check_range(i64::from(self.learn_picks_min), 2, i64::from(LEARN_OBSERVATIONS_MAX), "learnPicksMin")?;
        check_range(i64::from(self.items_max), 1, i64::from(RETURN_ITEMS_MAX), "itemsMax")?;
        check_range(i64::from(self.combinations_max), 1, i64::from(COMBINATIONS_TRIED_MAX), "combinationsMax")
    }
}

/// Everything a new shelf needs.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShelfSetup {
    /// The shelf's id (1..=64 bytes): the key a store keeps it under.
    pub shelf_id: String,
    /// The engine's parameters.
    pub config: ShelfConfig,
    /// The catalogue (ids unique).
    pub item_types: Vec<ItemType>,
    /// The lanes (ids unique, item types from the catalogue).
    pub lanes: Vec<LaneSpec>,
}

/// What an item type has learned from picks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Learned {
    /// Observations (≤ LEARN_OBSERVATIONS_MAX).
    n: u32,
    /// Σ x, mg.
    sum_mg: i64,
    /// Σ x², mg² (as a decimal string is not needed: ≤ 1024 · 10^16 < 2^63).
    sum_sq: i64,
    /// Σ σ_Δ², mg².
    sum_var: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TypeState {
    item: ItemType,
    learned: Learned,
}

/// Items of one kind held somewhere with their measured total: a shopper's take record, or a
/// foreign / unidentified entry in a lane.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemLot {
    /// The item type, or none for an unidentified weight.
    pub item_type: Option<String>,
    /// Items (≥ 1).
    pub count: u32,
    /// Their measured (or, in a several-kind pick, predicted) total, mg.
    pub total_mg: i64,
    /// The variance of `totalMg`, mg².
    pub variance_mg2: i64,
    /// The lane it came from (take records) or the task it belongs to (lane entries).
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Lane {
    id: String,
    item_type: usize,
    count: u32,
    /// Foreign and unidentified items (each with its task id in `origin`).
    entries: Vec<ItemLot>,
    sensor: LaneSensor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Shopper {
    id: String,
    lots: Vec<ItemLot>,
}

/// Why a clean-up task exists.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskKind {
    /// Items of another type were returned to the lane: take them to their own lane.
    Misplaced,
    /// A weight nobody could explain (or explain unambiguously): look at the lane.
    Identify,
    /// A pick and a return in one settling window: look at the lane and at who was there.
    Unattributable,
}

/// A clean-up task for store staff.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Task {
    /// Id (`"t<n>"`).
    pub id: String,
    /// Kind.
    pub kind: TaskKind,
    /// The lane to visit.
    pub lane_id: String,
    /// The misplaced item type (none for `identify`).
    pub item_type: Option<String>,
    /// Items.
    pub count: u32,
    /// The weight involved, mg (an `unattributable` task: the net change, negative when the
    /// lane lost weight).
    pub total_mg: i64,
    /// The variance of `totalMg`, mg².
    pub variance_mg2: i64,
    /// The shoppers involved: the returning shopper (`misplaced`), the candidates (the others).
    pub shopper_ids: Vec<String>,
    /// When it was opened, Unix seconds.
    pub created_at: i64,
    /// Perishable item type.
    pub perishable: bool,
    /// `valueMinor · count` of the item type (0 when unknown).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub value_minor: u64,
}

/// A weight change to decide: an event from a lane's sensor, with who may have caused it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeightChange {
    /// The lane.
    pub lane_id: String,
    /// Δ, mg: negative a pick, positive a return; 1..=[`WEIGHT_MG_MAX`] in magnitude.
    pub delta_mg: i64,
    /// σ_Δ, mg, 1..=[`SIGMA_MG_MAX`].
    pub sigma_mg: i64,
    /// Candidate shoppers, 1..=[`SHOPPERS_PER_EVENT_MAX`], unique.
    pub shopper_ids: Vec<String>,
    /// Now, Unix seconds, 0..=[`TIME_S_MAX`].
    pub now: i64,
    /// The event's `excursionMg` (how far the touch went outside the band between its two
    /// baselines), mg, 0..=[`EXCURSION_MG_MAX`]; absent is 0 (a single step). Above the lane
    /// sensor's `mixedExcursionMg` the change is `unattributable`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub excursion_mg: Option<i64>,
    /// An idempotency key (1..=64 bytes): the same key with the same request answers the stored
    /// verdict and changes nothing; with another request it is `IDEMPOTENCY_CONFLICT`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub idempotency_key: Option<String>,
}

/// The verdict on a weight change.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictCode {
    /// A decrease explained by what the lane holds.
    Picked,
    /// An increase explained by items of the lane's own type.
    Tidy,
    /// An increase explained with at least one item of another type.
    Untidy,
    /// Two readings fit and the evidence cannot separate them.
    Ambiguous,
    /// Nothing fits within tolerance.
    Unexplained,
    /// The search hit `combinationsMax` before finishing.
    SearchLimit,
    /// The touch was not a single step (a pick and a return in one settling window): the net
    /// change is not attributed to anyone or anything.
    Unattributable,
}

/// Where a hypothesis part's items are.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartSource {
    /// A shopper's take record (returns).
    Record,
    /// The lane's own stock (picks).
    Stock,
    /// A foreign or unidentified entry of the lane (picks).
    Entry,
}

/// Which items a hypothesis uses.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HypothesisPart {
    /// Where the items are.
    pub source: PartSource,
    /// Index of the record or entry (0 for stock).
    pub index: u32,
    /// The item type (none: unidentified).
    pub item_type: Option<String>,
    /// Items.
    pub count: u32,
}

/// One ranked hypothesis.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hypothesis {
    /// The shopper whose records it uses (returns), none for picks.
    pub shopper_id: Option<String>,
    /// The items.
    pub parts: Vec<HypothesisPart>,
    /// W, mg.
    pub predicted_mg: i64,
    /// V, mg².
    pub variance_mg2: i64,
    /// `floor(k·sqrt(V))`, mg.
    pub tolerance_mg: i64,
    /// `floor(1000·(Δ − W)²/V)`.
    pub z2_milli: i64,
    /// Within tolerance.
    pub within_tolerance: bool,
}

/// What a verdict rests on.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// Δ, mg.
    pub delta_mg: i64,
    /// σ_Δ, mg.
    pub sigma_mg: i64,
    /// k, hundredths.
    pub k_centi: i64,
    /// The ambiguity margin, hundredths of z.
    pub margin_z_centi: i64,
    /// The best readings within twice their tolerance, ranked (at most [`HYPOTHESES_MAX`]).
    pub hypotheses: Vec<Hypothesis>,
    /// Combinations tried.
    pub combinations_tried: u32,
    /// The touch's excursion outside the band between its baselines, mg (0 when not given).
    pub excursion_mg: i64,
    /// The lane sensor's `mixedExcursionMg`: above it the touch was not a single step.
    pub mixed_excursion_mg: i64,
    /// The candidate shoppers (who was at the shelf).
    pub shopper_ids: Vec<String>,
}

/// The answer to a weight change.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The verdict.
    pub code: VerdictCode,
    /// The shopper it is attributed to (none: not attributed).
    pub shopper_id: Option<String>,
    /// Whether the verdict names one shopper.
    pub attributed: bool,
    /// The evidence.
    pub evidence: Evidence,
    /// Tasks opened by this change.
    pub tasks_opened: Vec<String>,
    /// Tasks closed by this change (a misplaced item picked).
    pub tasks_closed: Vec<String>,
    /// The lane's own-stock count after the change.
    pub lane_count: u32,
}

/// A lane seen from outside.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaneView {
    /// Id.
    pub id: String,
    /// Assigned item type.
    pub item_type: String,
    /// Own-stock count.
    pub count: u32,
    /// Foreign and unidentified entries.
    pub entries: Vec<ItemLot>,
    /// The sensor.
    pub sensor: SensorView,
}

/// An item type's catalogue and learned weights.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemTypeView {
    /// The catalogue entry.
    pub item: ItemType,
    /// The weight used for matching, mg.
    pub weight_mg: i64,
    /// The spread used for matching, mg (`floor(sqrt(variance))`).
    pub spread_mg: i64,
    /// Observations learned from.
    pub observations: u32,
}

/// A shopper's take records.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopperView {
    /// Id.
    pub id: String,
    /// Take records, oldest first.
    pub lots: Vec<ItemLot>,
}

/// Items staff found in a lane.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FoundItems {
    /// The item type (from the catalogue).
    pub item_type: String,
    /// Items, 1..=[`BASKET_ITEMS_MAX`].
    pub count: u32,
}

/// Staff resolve an `identify` or `unattributable` task with what they found in the lane.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolveTask {
    /// The task.
    pub task_id: String,
    /// What was there: the returned items, or `null` for nothing.
    pub found: Option<FoundItems>,
    /// Whose items they were, when several candidates hold them (one of the task's shoppers).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub shopper_id: Option<String>,
    /// An idempotency key, as for a weight change.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub idempotency_key: Option<String>,
}

/// The outcome of resolving a task.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolveCode {
    /// Recorded: the lane, the records and the task changed as the spec says.
    Resolved,
    /// No such task was ever opened.
    TaskUnknown,
    /// The task was closed already (resolved, completed, or its item picked).
    TaskClosed,
    /// A `misplaced` task: its item is known; staff complete it instead.
    NotResolvable,
    /// `shopperId` is not one of the task's shoppers.
    ShopperNotCandidate,
    /// Several of the task's shoppers hold such items: say whose with `shopperId`.
    ShopperRequired,
    /// None of the task's shoppers (or not the one named) holds that many items of that type.
    ContradictsRecords,
    /// The items do not fit the weight the lane measured (outside the tolerance).
    ContradictsWeight,
}

/// The answer to [`Shelf::resolve_task`]. Anything but `resolved` changed nothing.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// The outcome.
    pub code: ResolveCode,
    /// The task.
    pub task_id: String,
    /// What staff found (as given).
    pub found: Option<FoundItems>,
    /// Whose take records lost the items (none: nothing found, or refused).
    pub shopper_id: Option<String>,
    /// The task's weight, mg (its `totalMg`).
    pub task_mg: i64,
    /// The found items' weight as matching uses it, mg (0 for nothing).
    pub predicted_mg: i64,
    /// The tolerance of the weight test, `floor(k·sqrt(V))`, mg (0 for nothing).
    pub tolerance_mg: i64,
    /// Items put into the lane's own stock (found items of the lane's type).
    pub to_stock: u32,
    /// The lane's own-stock count after.
    pub lane_count: u32,
}

/// A request remembered under its idempotency key (without the key, `now` set to 0: a retry
/// sent later carries a later clock and is still the same request).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Keyed {
    Change(WeightChange),
    Resolve(ResolveTask),
    /// A checkout: the shopper's id.
    Checkout(String),
}

/// The answer given the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Verdict(Verdict),
    Resolution(Resolution),
    /// What a checkout returned (what the shopper pays for).
    Lots(Vec<ItemLot>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyRecord {
    key: String,
    request: Keyed,
    answer: Answer,
}

/// The shelf: catalogue, lanes with their sensors and contents, shoppers' take records, tasks.
/// Persisted whole as an authenticated snapshot ([`Shelf::snapshot`], `codec.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shelf {
    shelf_id: String,
    config: ShelfConfig,
    types: Vec<TypeState>,
    lanes: Vec<Lane>,
    shoppers: Vec<Shopper>,
    tasks: Vec<Task>,
    next_task: u64,
    /// Idempotency keys, oldest first (at most [`IDEMPOTENCY_KEYS_MAX`]).
    keys: VecDeque<KeyRecord>,
    /// Changes so far (every call that changed the state): the snapshot's freshness, so a store
    /// can refuse to load an older one (rollback).
    revision: u64,
}

fn conflict() -> Error {
    Error::new(ErrorCode::IdempotencyConflict, "idempotencyKey", "was used before for a different request: nothing was done")
}

fn invalid(param: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

fn limit(param: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::LimitExceeded, param, message)
}

fn check_id(id: &str, param: &'static str) -> Result<()> {
    if id.is_empty() || id.len() > ID_BYTES_MAX || id.chars().any(char::is_control) {
        return Err(invalid(param, format!("must be 1..={ID_BYTES_MAX} UTF-8 bytes without control characters")));
    }
    Ok(())
}

fn var_of(sigma: i64) -> i128 {
    i128::from(sigma) * i128::from(sigma)
}

fn to_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Where a search lot comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// A shopper's record: (shopper index, lot index).
    Record(usize, usize),
    /// The lane's own stock.
    Stock,
    /// A lane entry.
    Entry(usize),
}

/// One reading found by the search, with what it refers to.
#[derive(Debug, Clone)]
struct Reading {
    shopper: Option<usize>,
    parts: Vec<(Source, u32)>,
    predicted_mg: i64,
    variance: i128,
    within: bool,
}

impl Shelf {
    /// A new shelf. Errors name the field under `setup` (`setup.itemTypes[2].nominalMg`,
    /// `setup.lanes[0].itemType` …).
    pub fn new(setup: &ShelfSetup) -> Result<Shelf> {
        Shelf::build(setup).map_err(|e| e.at("setup"))
    }

    fn build(setup: &ShelfSetup) -> Result<Shelf> {
        check_id(&setup.shelf_id, "shelfId")?;
        setup.config.check().map_err(|e| e.at("config"))?;
        if setup.item_types.len() > ITEM_TYPES_MAX {
            return Err(limit("itemTypes", format!("at most {ITEM_TYPES_MAX} item types")));
        }
        if setup.lanes.len() > LANES_MAX {
            return Err(limit("lanes", format!("at most {LANES_MAX} lanes")));
        }
        let mut types: Vec<TypeState> = Vec::with_capacity(setup.item_types.len());
        for (i, item) in setup.item_types.iter().enumerate() {
            let at = |e: Error| e.at(&format!("[{i}]")).at("itemTypes");
            check_id(&item.id, "id").map_err(at)?;
            check_range(item.nominal_mg, 1, WEIGHT_MG_MAX, "nominalMg").map_err(at)?;
            check_range(item.sigma_mg, 0, SIGMA_MG_MAX, "sigmaMg").map_err(at)?;
            if item.value_minor > (1 << 53) - 1 {
                return Err(at(invalid("valueMinor", "must be 0..=2^53 - 1")));
            }
            if types.iter().any(|t| t.item.id == item.id) {
                return Err(at(invalid("id", format!("duplicate item type {:?}", item.id))));
            }
            types.push(TypeState { item: item.clone(), learned: Learned { n: 0, sum_mg: 0, sum_sq: 0, sum_var: 0 } });
        }
        let mut lanes: Vec<Lane> = Vec::with_capacity(setup.lanes.len());
        for (i, spec) in setup.lanes.iter().enumerate() {
            let at = |e: Error| e.at(&format!("[{i}]")).at("lanes");
            check_id(&spec.id, "id").map_err(at)?;
            if lanes.iter().any(|l| l.id == spec.id) {
                return Err(at(invalid("id", format!("duplicate lane {:?}", spec.id))));
            }
            let item_type = types
                .iter()
                .position(|t| t.item.id == spec.item_type)
                .ok_or_else(|| at(invalid("itemType", format!("{:?} is not in the catalogue", spec.item_type))))?;
            check_range(i64::from(spec.count), 0, i64::from(LANE_COUNT_MAX), "count").map_err(at)?;
            let sensor = LaneSensor::new(spec.sensor).map_err(at)?;
            lanes.push(Lane { id: spec.id.clone(), item_type, count: spec.count, entries: Vec::new(), sensor });
        }
        Ok(Shelf { shelf_id: setup.shelf_id.clone(), config: setup.config, types, lanes, shoppers: Vec::new(), tasks: Vec::new(), next_task: 1, keys: VecDeque::new(), revision: 0 })
    }

    /// The shelf as authenticated snapshot bytes (`KEY_INVALID` about `snapshotKey` unless 32 bytes).
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        codec::seal(self, snapshot_key)
    }

    /// A shelf from [`Shelf::snapshot`] bytes: `KEY_INVALID` about `snapshotKey`;
    /// `SNAPSHOT_VERSION_UNSUPPORTED` and `SNAPSHOT_INVALID` (truncated, tampered, wrong key,
    /// not canonical, inconsistent) about `snapshot`.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<Shelf> {
        codec::open(bytes, snapshot_key)
    }

    /// The shelf's id.
    pub fn shelf_id(&self) -> &str {
        &self.shelf_id
    }

    /// Changes so far (the snapshot's freshness: never goes down).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    fn changed(&mut self) {
        self.revision = self.revision.saturating_add(1);
    }

    /// Every invariant of a shelf (the property test checks it after every operation).
    pub fn is_consistent(&self) -> bool {
        let lot_ok = |l: &ItemLot| {
            l.count >= 1
                && (1..=WEIGHT_MG_MAX).contains(&l.total_mg)
                && l.variance_mg2 >= 0
                && l.item_type.as_ref().map_or(true, |t| self.types.iter().any(|s| &s.item.id == t))
        };
        let ids_unique = |ids: Vec<&String>| ids.iter().enumerate().all(|(i, a)| ids.iter().take(i).all(|b| b != a));
        check_id(&self.shelf_id, "shelfId").is_ok()
            && self.config.check().is_ok()
            && self.types.iter().all(|t| {
                check_id(&t.item.id, "id").is_ok()
                    && (1..=WEIGHT_MG_MAX).contains(&t.item.nominal_mg)
                    && (0..=SIGMA_MG_MAX).contains(&t.item.sigma_mg)
                    && t.item.value_minor < 1 << 53
            })
            && ids_unique(self.types.iter().map(|t| &t.item.id).collect())
            && ids_unique(self.lanes.iter().map(|l| &l.id).collect())
            && ids_unique(self.shoppers.iter().map(|s| &s.id).collect())
            && ids_unique(self.tasks.iter().map(|t| &t.id).collect())
            && self.tasks.iter().all(|t| task_number(&t.id) < self.next_task)
            && self.types.len() <= ITEM_TYPES_MAX
            && self.lanes.len() <= LANES_MAX
            && self.shoppers.len() <= SHOPPERS_MAX
            && self.tasks.len() <= TASKS_MAX
            && self.types.iter().all(|t| t.learned.n <= LEARN_OBSERVATIONS_MAX)
            && self.lanes.iter().all(|l| {
                l.item_type < self.types.len()
                    && l.count <= LANE_COUNT_MAX
                    && l.entries.len() <= LANE_ENTRIES_MAX
                    && l.entries.iter().all(|e| lot_ok(e) && self.tasks.iter().any(|t| t.id == e.origin && t.lane_id == l.id))
                    && l.sensor.is_consistent()
            })
            && self.shoppers.iter().all(|s| {
                s.lots.len() <= BASKET_LOTS_MAX
                    && s.lots.iter().map(|l| l.count).sum::<u32>() <= BASKET_ITEMS_MAX
                    && s.lots.iter().all(lot_ok)
            })
            // Every task has exactly one lane entry (its items are in the lane until closed), but an
            // unattributable net loss, which has none.
            && self.tasks.iter().all(|t| {
                let entries = self.lanes.iter().map(|l| l.entries.iter().filter(|e| e.origin == t.id).count()).sum::<usize>();
                let weight_ok = match t.kind {
                    TaskKind::Unattributable => t.total_mg.abs() <= WEIGHT_MG_MAX,
                    _ => (1..=WEIGHT_MG_MAX).contains(&t.total_mg),
                };
                weight_ok && t.variance_mg2 >= 0 && t.shopper_ids.len() <= SHOPPERS_PER_EVENT_MAX && entries == usize::from(t.total_mg > 0)
            })
            && self.keys.len() <= IDEMPOTENCY_KEYS_MAX
            && ids_unique(self.keys.iter().map(|k| &k.key).collect())
    }

    fn lane_index(&self, lane_id: &str, param: &'static str) -> Result<usize> {
        self.lanes.iter().position(|l| l.id == lane_id).ok_or_else(|| invalid(param, format!("no lane {lane_id:?}")))
    }

    /// The weight (mg) and variance (mg²) matching uses for an item type: the catalogue's until
    /// `learnPicksMin` observations, then the learned ones within their bounds.
    fn type_weight(&self, t: usize) -> (i64, i128) {
        let Some(ts) = self.types.get(t) else { return (1, 0) };
        let (nominal, sigma) = (ts.item.nominal_mg, ts.item.sigma_mg);
        let l = &ts.learned;
        if l.n < self.config.learn_picks_min {
            return (nominal, var_of(sigma));
        }
        let n = i128::from(l.n);
        let (sum, sum_sq, sum_var) = (i128::from(l.sum_mg), i128::from(l.sum_sq), i128::from(l.sum_var));
        let shift = i128::from(nominal) * i128::from(self.config.learn_shift_permille_max) / 1000;
        let mean = ((2 * sum + n) / (2 * n)).clamp(i128::from(nominal) - shift, i128::from(nominal) + shift).max(1);
        // Sample variance (n − 1 denominator) minus the mean measurement variance.
        let sample_var = (n * sum_sq - sum * sum) / (n * (n - 1));
        let item_var = sample_var - sum_var / n;
        let cat = var_of(sigma);
        let var = item_var.clamp(cat / 4, cat * 4);
        (to_i64(mean), var)
    }

    fn learn(&mut self, t: usize, x_mg: i64, sigma_mg: i64) {
        let Some(ts) = self.types.get_mut(t) else { return };
        let l = &mut ts.learned;
        if l.n >= LEARN_OBSERVATIONS_MAX {
            // Fade: halve everything, so recent picks weigh as much as all the old ones.
            l.n /= 2;
            l.sum_mg /= 2;
            l.sum_sq /= 2;
            l.sum_var /= 2;
        }
        l.n += 1;
        l.sum_mg += x_mg;
        l.sum_sq += x_mg * x_mg;
        l.sum_var += sigma_mg * sigma_mg;
    }

    /// Feeds a lane's load-cell samples (mg); returns the weight-change events they complete.
    pub fn samples(&mut self, lane_id: &str, samples_mg: &[i64]) -> Result<Vec<WeightEvent>> {
        let i = self.lane_index(lane_id, "laneId")?;
        let lane = self.lanes.get_mut(i).ok_or_else(|| invalid("laneId", "no such lane"))?;
        let events = lane.sensor.push(samples_mg)?;
        self.changed();
        Ok(events)
    }

    fn lot_of(&self, l: &ItemLot) -> Lot {
        let typed = l.item_type.as_ref().and_then(|t| self.types.iter().position(|s| &s.item.id == t));
        let (unit_mg, unit_var) = match typed {
            Some(t) => self.type_weight(t),
            None => {
                let c = i64::from(l.count.max(1));
                ((l.total_mg + c / 2) / c, i128::from(l.variance_mg2))
            }
        };
        Lot { count: l.count, unit_mg: unit_mg.max(1), unit_var, measured: Some((l.total_mg, i128::from(l.variance_mg2))) }
    }

    /// Decides a weight change (a pick when Δ < 0, a return when Δ > 0) and applies it. Errors
    /// name the field under `request` (`request.deltaMg`, `request.shopperIds[1]` …).
    pub fn weight_change(&mut self, req: &WeightChange) -> Result<Verdict> {
        let keyed = Keyed::Change(WeightChange { now: 0, idempotency_key: None, ..req.clone() });
        match self.replay(req.idempotency_key.as_deref(), &keyed).map_err(|e| e.at("request"))? {
            Some(Answer::Verdict(v)) => return Ok(v),
            Some(_) => return Err(conflict().at("request")),
            None => {}
        }
        let verdict = self.decide(req).map_err(|e| e.at("request"))?;
        self.remember(req.idempotency_key.as_deref(), keyed, Answer::Verdict(verdict.clone()));
        Ok(verdict)
    }

    /// The stored answer for `key` when it was used for this very request; `None` for a new key
    /// (or no key); `IDEMPOTENCY_CONFLICT` about `idempotencyKey` when it was used for another.
    fn replay(&self, key: Option<&str>, request: &Keyed) -> Result<Option<Answer>> {
        let Some(key) = key else { return Ok(None) };
        check_id(key, "idempotencyKey")?;
        match self.keys.iter().find(|k| k.key == key) {
            Some(k) if &k.request == request => Ok(Some(k.answer.clone())),
            Some(_) => Err(conflict()),
            None => Ok(None),
        }
    }

    /// Remembers a decided request under its key; beyond [`IDEMPOTENCY_KEYS_MAX`] the oldest is
    /// forgotten (a retry that late is a new request).
    fn remember(&mut self, key: Option<&str>, request: Keyed, answer: Answer) {
        let Some(key) = key else { return };
        if self.keys.len() >= IDEMPOTENCY_KEYS_MAX {
            self.keys.pop_front();
        }
        self.keys.push_back(KeyRecord { key: key.to_owned(), request, answer });
    }

    /// Staff resolve an `identify` or `unattributable` task with what they found in the lane
    /// (`found`: the returned items, or `null` for nothing). Malformed input is an error naming
    /// the field under `request`; a refusal is an outcome code and changes nothing:
    ///
    /// | code | when (first that applies) |
    /// |---|---|
    /// | `task-unknown` | no task with that id was ever opened |
    /// | `task-closed` | it was closed already (resolved, completed, its entry picked) |
    /// | `not-resolvable` | a `misplaced` task (its item is known: complete it) |
    /// | `contradicts-weight` | `identify`: `(W − P)² > k²·V` with `W` the task's weight, `P = count · w` (the type's weight for matching), `V` = the task's variance + `count · σ²`; `unattributable`: the items are lighter than the net gain, `W − P > k·sqrt(V)` (what was put back weighs at least what the lane gained) |
    /// | `shopper-not-candidate` | `shopperId` given and not one of the task's shoppers |
    /// | `contradicts-records` | the named shopper, or else every candidate, holds fewer than `count` items of the type |
    /// | `shopper-required` | no `shopperId` and several candidates hold them |
    /// | `resolved` | the task closes and its lane entry (if any) leaves the lane. Nothing found: no record changes. Items found: the shopper's take records lose them (newest record of the type first, a partial record keeps its total less the items' weight); items of the lane's own type join its stock (`toStock`), others are carried away by staff |
    ///
    /// An `unattributable` task records only what came back: the part of the touch that was a
    /// pick (`P − W` when positive) stays unattributed, as a pick with several candidates does —
    /// the store settles it; the lane's count is not changed for it.
    pub fn resolve_task(&mut self, req: &ResolveTask) -> Result<Resolution> {
        let keyed = Keyed::Resolve(ResolveTask { idempotency_key: None, ..req.clone() });
        match self.replay(req.idempotency_key.as_deref(), &keyed).map_err(|e| e.at("request"))? {
            Some(Answer::Resolution(r)) => return Ok(r),
            Some(_) => return Err(conflict().at("request")),
            None => {}
        }
        let resolution = self.resolve(req).map_err(|e| e.at("request"))?;
        // A refusal changes nothing, its key included: the same request again is refused again
        // by the same rules (or, if another resolution closed the task meanwhile, `task-closed`).
        if resolution.code == ResolveCode::Resolved {
            self.remember(req.idempotency_key.as_deref(), keyed, Answer::Resolution(resolution.clone()));
        }
        Ok(resolution)
    }

    fn resolve(&mut self, req: &ResolveTask) -> Result<Resolution> {
        check_id(&req.task_id, "taskId")?;
        let found_type = match &req.found {
            Some(f) => {
                check_range(i64::from(f.count), 1, i64::from(BASKET_ITEMS_MAX), "count").map_err(|e| e.at("found"))?;
                let t = self.types.iter().position(|t| t.item.id == f.item_type);
                Some(t.ok_or_else(|| invalid("itemType", format!("{:?} is not in the catalogue", f.item_type)).at("found"))?)
            }
            None => None,
        };
        if let Some(id) = &req.shopper_id {
            check_id(id, "shopperId")?;
        }
        let mut out = Resolution {
            code: ResolveCode::Resolved,
            task_id: req.task_id.clone(),
            found: req.found.clone(),
            shopper_id: None,
            task_mg: 0,
            predicted_mg: 0,
            tolerance_mg: 0,
            to_stock: 0,
            lane_count: 0,
        };
        let refuse = |mut out: Resolution, code| {
            out.code = code;
            Ok(out)
        };
        let Some(ti) = self.tasks.iter().position(|t| t.id == req.task_id) else {
            let n = task_number(&req.task_id);
            let issued = (1..self.next_task).contains(&n) && format!("t{n}") == req.task_id;
            return refuse(out, if issued { ResolveCode::TaskClosed } else { ResolveCode::TaskUnknown });
        };
        let task = self.tasks.get(ti).cloned().ok_or_else(|| invalid("taskId", "no such task"))?;
        let lane = self.lane_index(&task.lane_id, "taskId")?;
        out.task_mg = task.total_mg;
        out.lane_count = self.lanes.get(lane).map_or(0, |l| l.count);
        if task.kind == TaskKind::Misplaced {
            return refuse(out, ResolveCode::NotResolvable);
        }
        let mut taken: Option<(usize, usize, u32)> = None; // (shopper, type, count)
        if let (Some(t), Some(f)) = (found_type, &req.found) {
            let (unit, unit_var) = self.type_weight(t);
            let predicted = unit.saturating_mul(i64::from(f.count));
            let variance = i128::from(task.variance_mg2) + unit_var * i128::from(f.count);
            out.predicted_mg = predicted;
            out.tolerance_mg = tolerance_mg(variance, self.config.k_centi);
            let d = i128::from(task.total_mg) - i128::from(predicted);
            let k = i128::from(self.config.k_centi);
            let outside = (d * d).saturating_mul(10_000) > (k * k).saturating_mul(variance);
            let fits = match task.kind {
                TaskKind::Unattributable => d <= 0 || !outside,
                _ => !outside,
            };
            if !fits {
                return refuse(out, ResolveCode::ContradictsWeight);
            }
            let holds = |s: &Shopper| s.lots.iter().filter(|l| self.type_of(l) == Some(t)).map(|l| l.count).sum::<u32>() >= f.count;
            let slot = |id: &String| self.shoppers.iter().position(|s| &s.id == id);
            let shopper = match &req.shopper_id {
                Some(id) if !task.shopper_ids.contains(id) => return refuse(out, ResolveCode::ShopperNotCandidate),
                Some(id) => match slot(id) {
                    Some(s) if self.shoppers.get(s).is_some_and(holds) => s,
                    _ => return refuse(out, ResolveCode::ContradictsRecords),
                },
                None => {
                    let holders: Vec<usize> =
                        task.shopper_ids.iter().filter_map(slot).filter(|&s| self.shoppers.get(s).is_some_and(holds)).collect();
                    match holders.as_slice() {
                        [] => return refuse(out, ResolveCode::ContradictsRecords),
                        [s] => *s,
                        _ => return refuse(out, ResolveCode::ShopperRequired),
                    }
                }
            };
            let own = self.lanes.get(lane).is_some_and(|l| l.item_type == t);
            if own && out.lane_count + f.count > LANE_COUNT_MAX {
                return Err(limit("found", format!("the lane would hold more than {LANE_COUNT_MAX} items")).at("count"));
            }
            taken = Some((shopper, t, f.count));
        }
        // Everything that can refuse was checked: apply.
        if let Some((s, t, count)) = taken {
            let lots: Vec<(usize, u32, i64, i128)> = {
                let shopper = self.shoppers.get(s).ok_or_else(|| invalid("shopperId", "no such shopper"))?;
                let mut left = count;
                let mut out = Vec::new();
                for (j, l) in shopper.lots.iter().enumerate().rev() {
                    if left == 0 {
                        break;
                    }
                    if self.type_of(l) == Some(t) {
                        let m = left.min(l.count);
                        let (w, v) = self.lot_of(l).take(m);
                        out.push((j, m, w, v));
                        left -= m;
                    }
                }
                out
            };
            if let Some(shopper) = self.shoppers.get_mut(s) {
                // Highest index first (as collected), so the indices hold.
                for (j, m, w, v) in lots {
                    let Some(lot) = shopper.lots.get_mut(j) else { continue };
                    if m >= lot.count {
                        shopper.lots.remove(j);
                    } else {
                        lot.count -= m;
                        lot.total_mg = (lot.total_mg - w).max(1);
                        lot.variance_mg2 = to_i64(i128::from(lot.variance_mg2).saturating_add(v));
                    }
                }
                out.shopper_id = Some(shopper.id.clone());
            }
            if let Some(l) = self.lanes.get_mut(lane).filter(|l| l.item_type == t) {
                l.count += count;
                out.to_stock = count;
            }
        }
        if let Some(l) = self.lanes.get_mut(lane) {
            l.entries.retain(|e| e.origin != task.id);
            out.lane_count = l.count;
        }
        self.tasks.retain(|t| t.id != task.id);
        self.changed();
        Ok(out)
    }

    fn decide(&mut self, req: &WeightChange) -> Result<Verdict> {
        let lane = self.lane_index(&req.lane_id, "laneId")?;
        let excursion = req.excursion_mg.unwrap_or(0);
        check_range(excursion, 0, EXCURSION_MG_MAX, "excursionMg")?;
        let mixed_at = self.lanes.get(lane).map_or(i64::MAX, |l| l.sensor.config().mixed_excursion_mg());
        let mixed = excursion > mixed_at;
        // A mixed touch may settle where it began (a swap of near twins): Δ 0 is then an event.
        if (req.delta_mg == 0 && !mixed) || req.delta_mg.abs() > WEIGHT_MG_MAX {
            return Err(invalid("deltaMg", format!("must be within ±{WEIGHT_MG_MAX}, and non-zero unless the touch was mixed")));
        }
        check_range(req.sigma_mg, 1, SIGMA_MG_MAX, "sigmaMg")?;
        check_range(req.now, 0, TIME_S_MAX, "now")?;
        if req.shopper_ids.is_empty() || req.shopper_ids.len() > SHOPPERS_PER_EVENT_MAX {
            return Err(invalid("shopperIds", format!("must list 1..={SHOPPERS_PER_EVENT_MAX} shoppers")));
        }
        for (i, id) in req.shopper_ids.iter().enumerate() {
            check_id(id, "shopperIds").map_err(|e| Error::at_path(e.code(), format!("shopperIds[{i}]"), e.message()))?;
            if req.shopper_ids.iter().take(i).any(|o| o == id) {
                return Err(Error::at_path(ErrorCode::InvalidArgument, format!("shopperIds[{i}]"), "duplicate shopper"));
            }
        }
        let delta = req.delta_mg.abs();
        let params = Params {
            delta_mg: delta,
            delta_var: var_of(req.sigma_mg),
            k_centi: self.config.k_centi,
            items_max: self.config.items_max,
            combinations_max: self.config.combinations_max,
            keep: HYPOTHESES_MAX,
        };
        // Gather the readings: a pick from the lane's contents, a return from each candidate's records.
        let mut readings: Vec<Reading> = Vec::new();
        let mut tried = 0u32;
        let mut limit_reached = false;
        let is_pick = req.delta_mg < 0;
        if mixed {
            // Not a single step: no reading of the net Δ would mean anything, so none is sought.
        } else if is_pick {
            let l = self.lanes.get(lane).ok_or_else(|| invalid("laneId", "no such lane"))?;
            let (unit_mg, unit_var) = self.type_weight(l.item_type);
            let mut lots = Vec::with_capacity(l.entries.len() + 1);
            let mut sources = Vec::with_capacity(l.entries.len() + 1);
            if l.count > 0 {
                lots.push(Lot { count: l.count, unit_mg, unit_var, measured: None });
                sources.push(Source::Stock);
            }
            for (e, entry) in l.entries.iter().enumerate() {
                lots.push(self.lot_of(entry));
                sources.push(Source::Entry(e));
            }
            let kinds = self.kinds(&lots, &sources, None, lane);
            let found = search(&lots, &kinds, &params);
            tried = found.tried;
            limit_reached = found.limit_reached;
            readings.extend(found.found.into_iter().map(|f| Reading {
                shopper: None,
                parts: f.parts.iter().filter_map(|&(j, m)| sources.get(j).map(|&s| (s, m))).collect(),
                predicted_mg: f.predicted_mg,
                variance: f.variance,
                within: f.within,
            }));
        } else {
            for id in &req.shopper_ids {
                let Some(s) = self.shoppers.iter().position(|s| &s.id == id) else { continue };
                let shopper = self.shoppers.get(s).ok_or_else(|| invalid("shopperIds", "no such shopper"))?;
                let lots: Vec<Lot> = shopper.lots.iter().map(|l| self.lot_of(l)).collect();
                let sources: Vec<Source> = (0..lots.len()).map(|j| Source::Record(s, j)).collect();
                let kinds = self.kinds(&lots, &sources, Some(s), lane);
                let budget = Params { combinations_max: params.combinations_max.saturating_sub(tried), ..params };
                if budget.combinations_max == 0 {
                    limit_reached = true;
                    break;
                }
                let found = search(&lots, &kinds, &budget);
                tried += found.tried;
                limit_reached |= found.limit_reached;
                readings.extend(found.found.into_iter().map(|f| Reading {
                    shopper: Some(s),
                    parts: f.parts.iter().filter_map(|&(j, m)| sources.get(j).map(|&s| (s, m))).collect(),
                    predicted_mg: f.predicted_mg,
                    variance: f.variance,
                    within: f.within,
                }));
                if limit_reached {
                    break;
                }
            }
            insertion_sort_by(&mut readings, |a, b| rank(delta, a, b));
            readings.truncate(HYPOTHESES_MAX);
        }
        let best_two = (readings.first(), readings.get(1));
        let code = if mixed {
            VerdictCode::Unattributable
        } else if limit_reached {
            VerdictCode::SearchLimit
        } else {
            match best_two {
                (Some(best), second) if best.within => {
                    if second.is_some_and(|s| s.within && !self.separated(delta, best, s)) {
                        VerdictCode::Ambiguous
                    } else if is_pick {
                        VerdictCode::Picked
                    } else if self.all_tidy(best, lane) {
                        VerdictCode::Tidy
                    } else {
                        VerdictCode::Untidy
                    }
                }
                _ => VerdictCode::Unexplained,
            }
        };
        let evidence = Evidence {
            delta_mg: req.delta_mg,
            sigma_mg: req.sigma_mg,
            k_centi: self.config.k_centi,
            margin_z_centi: self.config.margin_z_centi,
            hypotheses: readings.iter().map(|r| self.hypothesis(delta, r, lane)).collect(),
            combinations_tried: tried,
            excursion_mg: excursion,
            mixed_excursion_mg: mixed_at,
            shopper_ids: req.shopper_ids.clone(),
        };
        let decided = match code {
            VerdictCode::Picked | VerdictCode::Tidy | VerdictCode::Untidy => readings.into_iter().next(),
            _ => None,
        };
        let mut verdict = Verdict {
            code,
            shopper_id: None,
            attributed: false,
            evidence,
            tasks_opened: Vec::new(),
            tasks_closed: Vec::new(),
            lane_count: 0,
        };
        match decided {
            Some(reading) if is_pick => self.apply_pick(lane, req, &reading, &mut verdict)?,
            Some(reading) => self.apply_return(lane, req, &reading, &mut verdict)?,
            None if mixed => self.apply_unattributable(lane, req, &mut verdict)?,
            None => self.apply_unexplained(lane, req, &mut verdict)?,
        }
        verdict.lane_count = self.lanes.get(lane).map_or(0, |l| l.count);
        self.changed();
        Ok(verdict)
    }

    /// Kinds for the search's "one reading per meaning" rule: lots of one item type share a kind;
    /// untyped lots each have their own.
    fn kinds(&self, lots: &[Lot], sources: &[Source], shopper: Option<usize>, lane: usize) -> Vec<u32> {
        let n_types = self.types.len() as u32;
        (0..lots.len())
            .map(|j| {
                let typed = match sources.get(j) {
                    Some(Source::Stock) => self.lanes.get(lane).map(|l| l.item_type),
                    Some(Source::Entry(e)) => self.lanes.get(lane).and_then(|l| l.entries.get(*e)).and_then(|x| self.type_of(x)),
                    Some(Source::Record(_, r)) => shopper
                        .and_then(|s| self.shoppers.get(s))
                        .and_then(|s| s.lots.get(*r))
                        .and_then(|x| self.type_of(x)),
                    None => None,
                };
                typed.map_or(n_types + j as u32, |t| t as u32)
            })
            .collect()
    }

    fn type_of(&self, l: &ItemLot) -> Option<usize> {
        l.item_type.as_ref().and_then(|t| self.types.iter().position(|s| &s.item.id == t))
    }

    /// Whether `best` is separated from `second` by the margin: `z²₂ − z²₁ ≥ margin²`.
    fn separated(&self, delta: i64, best: &Reading, second: &Reading) -> bool {
        let d1 = i128::from(delta) - i128::from(best.predicted_mg);
        let d2 = i128::from(delta) - i128::from(second.predicted_mg);
        let (v1, v2) = (best.variance, second.variance);
        let m = i128::from(self.config.margin_z_centi);
        // 10⁴·(d2²·v1 − d1²·v2) ≥ m²·v1·v2
        let left = (d2 * d2).saturating_mul(v1).saturating_sub((d1 * d1).saturating_mul(v2)).saturating_mul(10_000);
        left >= (m * m).saturating_mul(v1).saturating_mul(v2)
    }

    fn all_tidy(&self, reading: &Reading, lane: usize) -> bool {
        let lane_type = self.lanes.get(lane).map(|l| l.item_type);
        reading.parts.iter().all(|&(src, _)| self.source_type(src, lane) == lane_type && lane_type.is_some())
    }

    fn source_lot(&self, src: Source, lane: usize) -> Option<&ItemLot> {
        match src {
            Source::Record(s, r) => self.shoppers.get(s).and_then(|s| s.lots.get(r)),
            Source::Entry(e) => self.lanes.get(lane).and_then(|l| l.entries.get(e)),
            Source::Stock => None,
        }
    }

    fn source_type(&self, src: Source, lane: usize) -> Option<usize> {
        match src {
            Source::Stock => self.lanes.get(lane).map(|l| l.item_type),
            _ => self.source_lot(src, lane).and_then(|l| self.type_of(l)),
        }
    }

    fn type_id(&self, t: Option<usize>) -> Option<String> {
        t.and_then(|t| self.types.get(t)).map(|t| t.item.id.clone())
    }

    fn hypothesis(&self, delta: i64, r: &Reading, lane: usize) -> Hypothesis {
        Hypothesis {
            shopper_id: r.shopper.and_then(|s| self.shoppers.get(s)).map(|s| s.id.clone()),
            parts: r
                .parts
                .iter()
                .map(|&(src, m)| {
                    let (source, index) = match src {
                        Source::Record(_, j) => (PartSource::Record, j),
                        Source::Stock => (PartSource::Stock, 0),
                        Source::Entry(e) => (PartSource::Entry, e),
                    };
                    HypothesisPart {
                        source,
                        index: index as u32,
                        item_type: self.type_id(self.source_type(src, lane)),
                        count: m,
                    }
                })
                .collect(),
            predicted_mg: r.predicted_mg,
            variance_mg2: to_i64(r.variance),
            tolerance_mg: tolerance_mg(r.variance, self.config.k_centi),
            z2_milli: z2_milli(delta, r.predicted_mg, r.variance),
            within_tolerance: r.within,
        }
    }

    /// The weight and variance a part of a reading stands for: the event's own Δ and σ_Δ² when
    /// the reading has one part (that is what was measured), else the part's prediction.
    fn part_weight(&self, src: Source, m: u32, lane: usize, req: &WeightChange, parts: usize) -> (i64, i128) {
        if parts == 1 {
            return (req.delta_mg.abs(), var_of(req.sigma_mg));
        }
        match src {
            Source::Stock => {
                let t = self.lanes.get(lane).map_or(0, |l| l.item_type);
                let (unit, var) = self.type_weight(t);
                (unit.saturating_mul(i64::from(m)), var.saturating_mul(i128::from(m)))
            }
            _ => self.source_lot(src, lane).map_or((1, 0), |l| self.lot_of(l).take(m)),
        }
    }

    fn shopper_slot(&self, id: &str) -> Result<Option<usize>> {
        match self.shoppers.iter().position(|s| s.id == id) {
            Some(s) => Ok(Some(s)),
            None if self.shoppers.len() >= SHOPPERS_MAX => {
                Err(limit("shopperIds", format!("at most {SHOPPERS_MAX} shoppers with take records")))
            }
            None => Ok(None),
        }
    }

    fn apply_pick(&mut self, lane: usize, req: &WeightChange, reading: &Reading, verdict: &mut Verdict) -> Result<()> {
        let attributed = req.shopper_ids.len() == 1;
        // Everything that can refuse is checked before anything changes.
        let mut new_lots = Vec::with_capacity(reading.parts.len());
        for &(src, m) in &reading.parts {
            let (w, v) = self.part_weight(src, m, lane, req, reading.parts.len());
            new_lots.push(ItemLot {
                item_type: self.type_id(self.source_type(src, lane)),
                count: m,
                total_mg: w.clamp(1, WEIGHT_MG_MAX),
                variance_mg2: to_i64(v),
                origin: req.lane_id.clone(),
            });
        }
        let shopper = match (attributed, req.shopper_ids.first()) {
            (true, Some(id)) => {
                let slot = self.shopper_slot(id)?;
                let (lots, items) = slot
                    .and_then(|s| self.shoppers.get(s))
                    .map_or((0, 0), |s| (s.lots.len(), s.lots.iter().map(|l| l.count).sum::<u32>()));
                if lots + new_lots.len() > BASKET_LOTS_MAX {
                    return Err(limit("shopperIds", format!("the shopper has {BASKET_LOTS_MAX} take records already")));
                }
                if items + new_lots.iter().map(|l| l.count).sum::<u32>() > BASKET_ITEMS_MAX {
                    return Err(limit("shopperIds", format!("the shopper would hold more than {BASKET_ITEMS_MAX} items")));
                }
                Some((id.clone(), slot))
            }
            _ => None,
        };
        // Learning: one item of the lane's own stock, unambiguously.
        if let [(Source::Stock, 1)] = reading.parts.as_slice() {
            let t = self.lanes.get(lane).map_or(0, |l| l.item_type);
            self.learn(t, req.delta_mg.abs(), req.sigma_mg);
        }
        // Take the items out of the lane (entries from the highest index down, so indices hold).
        // What an entry keeps after a partial pick: its total less the predicted weight of the
        // m items (its own estimate of them), its variance plus theirs — as a shopper's record
        // after a partial return.
        let mut entry_parts: Vec<(usize, u32, i64, i128)> = Vec::new();
        for &(src, m) in &reading.parts {
            match src {
                Source::Stock => {
                    if let Some(l) = self.lanes.get_mut(lane) {
                        l.count = l.count.saturating_sub(m);
                    }
                }
                Source::Entry(e) => {
                    let (w, v) = self.source_lot(src, lane).map_or((1, 0), |l| self.lot_of(l).take(m));
                    entry_parts.push((e, m, w, v));
                }
                Source::Record(..) => {}
            }
        }
        insertion_sort_by(&mut entry_parts, |a, b| b.0.cmp(&a.0));
        let mut closed = Vec::new();
        if let Some(l) = self.lanes.get_mut(lane) {
            for (e, m, w, v) in entry_parts {
                let Some(entry) = l.entries.get_mut(e) else { continue };
                if m >= entry.count {
                    closed.push(l.entries.remove(e).origin);
                } else {
                    entry.count -= m;
                    entry.total_mg = (entry.total_mg - w).max(1);
                    entry.variance_mg2 = to_i64(i128::from(entry.variance_mg2).saturating_add(v));
                }
            }
        }
        self.tasks.retain(|t| !closed.contains(&t.id));
        verdict.tasks_closed = closed;
        if let Some((id, slot)) = shopper {
            let s = match slot {
                Some(s) => s,
                None => {
                    self.shoppers.push(Shopper { id: id.clone(), lots: Vec::new() });
                    self.shoppers.len() - 1
                }
            };
            if let Some(shopper) = self.shoppers.get_mut(s) {
                shopper.lots.extend(new_lots);
            }
            verdict.shopper_id = Some(id);
            verdict.attributed = true;
        }
        Ok(())
    }

    /// Opens a task and puts its entry (`count` items of `item_type`, or an unidentified weight)
    /// in the lane. The caller checked there is room.
    fn open_task(&mut self, kind: TaskKind, lane: usize, items: (Option<usize>, u32), weight: (i64, i128), now: i64, shopper_ids: Vec<String>) -> String {
        let ((item_type, count), (total_mg, variance)) = (items, weight);
        let id = format!("t{}", self.next_task);
        self.next_task = self.next_task.saturating_add(1);
        let item = item_type.and_then(|t| self.types.get(t)).map(|t| t.item.clone());
        let lane_id = self.lanes.get(lane).map(|l| l.id.clone()).unwrap_or_default();
        self.tasks.push(Task {
            id: id.clone(),
            kind,
            lane_id,
            item_type: item.as_ref().map(|i| i.id.clone()),
            count,
            total_mg,
            variance_mg2: to_i64(variance),
            shopper_ids,
            created_at: now,
            perishable: item.as_ref().is_some_and(|i| i.perishable),
            value_minor: item.as_ref().map_or(0, |i| i.value_minor.saturating_mul(u64::from(count))),
        });
        // Every task's weight is in the lane but a net loss of an unattributable touch.
        let in_lane = total_mg > 0;
        if let (true, Some(l)) = (in_lane, self.lanes.get_mut(lane)) {
            l.entries.push(ItemLot {
                item_type: item.map(|i| i.id),
                count,
                total_mg: total_mg.clamp(1, WEIGHT_MG_MAX),
                variance_mg2: to_i64(variance),
                origin: id.clone(),
            });
        }
        id
    }

    fn room_for_tasks(&self, lane: usize, new: usize) -> Result<()> {
        let entries = self.lanes.get(lane).map_or(0, |l| l.entries.len());
        if entries + new > LANE_ENTRIES_MAX {
            return Err(limit("laneId", format!("the lane holds {LANE_ENTRIES_MAX} foreign or unidentified entries already")));
        }
        if self.tasks.len() + new > TASKS_MAX {
            return Err(limit("laneId", format!("{TASKS_MAX} clean-up tasks are open already")));
        }
        Ok(())
    }

    fn apply_return(&mut self, lane: usize, req: &WeightChange, reading: &Reading, verdict: &mut Verdict) -> Result<()> {
        let lane_type = self.lanes.get(lane).map(|l| l.item_type);
        let mut placed = Vec::with_capacity(reading.parts.len());
        let mut tidy_items = 0u32;
        let mut foreign = 0usize;
        for &(src, m) in &reading.parts {
            let t = self.source_type(src, lane);
            let (w, v) = self.part_weight(src, m, lane, req, reading.parts.len());
            // What the record keeps: its total less the predicted weight of the m items taken from it.
            let (wp, vp) = self.source_lot(src, lane).map_or((w, v), |l| self.lot_of(l).take(m));
            let tidy = t.is_some() && t == lane_type;
            if tidy {
                tidy_items += m;
            } else {
                foreign += 1;
            }
            placed.push((src, m, t, w, v, wp, vp, tidy));
        }
        self.room_for_tasks(lane, foreign)?;
        let count = self.lanes.get(lane).map_or(0, |l| l.count);
        if count + tidy_items > LANE_COUNT_MAX {
            return Err(limit("laneId", format!("the lane would hold more than {LANE_COUNT_MAX} items")));
        }
        // Records leave the shopper from the highest index down, so indices hold.
        let mut order: Vec<usize> = (0..placed.len()).collect();
        let record_of = |i: usize| placed.get(i).map_or(0, |p| if let Source::Record(_, j) = p.0 { j } else { 0 });
        insertion_sort_by(&mut order, |&a, &b| record_of(b).cmp(&record_of(a)));
        for i in order {
            let Some(&(src, m, t, w, v, wp, vp, tidy)) = placed.get(i) else { continue };
            if let Source::Record(s, j) = src {
                if let Some(shopper) = self.shoppers.get_mut(s) {
                    if let Some(lot) = shopper.lots.get_mut(j) {
                        if m >= lot.count {
                            shopper.lots.remove(j);
                        } else {
                            lot.count -= m;
                            lot.total_mg = (lot.total_mg - wp).max(1);
                            lot.variance_mg2 = to_i64(i128::from(lot.variance_mg2).saturating_add(vp));
                        }
                    }
                }
            }
            if tidy {
                if let Some(l) = self.lanes.get_mut(lane) {
                    l.count += m;
                }
            } else {
                let returning = reading.shopper.and_then(|s| self.shoppers.get(s)).map(|s| s.id.clone()).into_iter().collect();
                let id = self.open_task(TaskKind::Misplaced, lane, (t, m), (w, v), req.now, returning);
                verdict.tasks_opened.push(id);
            }
        }
        insertion_sort_by(&mut verdict.tasks_opened, |a, b| a.cmp(b));
        // A shopper stays listed (with no records) until checkout, so the index still holds.
        verdict.shopper_id = reading.shopper.and_then(|s| self.shoppers.get(s)).map(|s| s.id.clone());
        verdict.attributed = true;
        Ok(())
    }

    fn apply_unexplained(&mut self, lane: usize, req: &WeightChange, verdict: &mut Verdict) -> Result<()> {
        if req.delta_mg < 0 {
            // Something left the lane that nothing explains: the single candidate (if one) holds
            // an unidentified weight, so its return can be recognised; the lane is unchanged.
            if let [id] = req.shopper_ids.as_slice() {
                let slot = self.shopper_slot(id)?;
                let lots = slot.and_then(|s| self.shoppers.get(s)).map_or(0, |s| s.lots.len());
                let items = slot.and_then(|s| self.shoppers.get(s)).map_or(0, |s| s.lots.iter().map(|l| l.count).sum::<u32>());
                if lots >= BASKET_LOTS_MAX || items >= BASKET_ITEMS_MAX {
                    return Err(limit("shopperIds", "the shopper's take records are full"));
                }
                let lot = ItemLot {
                    item_type: None,
                    count: 1,
                    total_mg: req.delta_mg.abs(),
                    variance_mg2: to_i64(var_of(req.sigma_mg)),
                    origin: req.lane_id.clone(),
                };
                match slot.and_then(|s| self.shoppers.get_mut(s)) {
                    Some(s) => s.lots.push(lot),
                    None => self.shoppers.push(Shopper { id: id.clone(), lots: vec![lot] }),
                }
            }
            return Ok(());
        }
        self.room_for_tasks(lane, 1)?;
        let id = self.open_task(TaskKind::Identify, lane, (None, 1), (req.delta_mg, var_of(req.sigma_mg)), req.now, req.shopper_ids.clone());
        verdict.tasks_opened.push(id);
        Ok(())
    }

    /// A mixed touch: no take record and no lane count changes; an `unattributable` task opens
    /// with the net Δ and the candidates, and a net gain is an unidentified entry of the lane
    /// (so a later pick of that weight is explained).
    fn apply_unattributable(&mut self, lane: usize, req: &WeightChange, verdict: &mut Verdict) -> Result<()> {
        self.room_for_tasks(lane, 1)?;
        let id = self.open_task(TaskKind::Unattributable, lane, (None, 1), (req.delta_mg, var_of(req.sigma_mg)), req.now, req.shopper_ids.clone());
        verdict.tasks_opened.push(id);
        Ok(())
    }

    /// Staff completed a task: its items leave the lane. Returns what they took away.
    pub fn complete_task(&mut self, task_id: &str) -> Result<ItemLot> {
        check_id(task_id, "taskId")?;
        let t = self.tasks.iter().position(|t| t.id == task_id).ok_or_else(|| invalid("taskId", format!("no open task {task_id:?}")))?;
        let lane_id = self.tasks.get(t).map(|t| t.lane_id.clone()).unwrap_or_default();
        let lane = self.lane_index(&lane_id, "taskId")?;
        let l = self.lanes.get_mut(lane).ok_or_else(|| invalid("taskId", "no such lane"))?;
        let entry = match l.entries.iter().position(|e| e.origin == task_id) {
            Some(e) => l.entries.remove(e),
            // An unattributable net loss has no entry: what staff dismiss is its net Δ.
            None => {
                let task = self.tasks.get(t).ok_or_else(|| Error::new(ErrorCode::Internal, "", "a task vanished"))?;
                ItemLot { item_type: None, count: 1, total_mg: task.total_mg, variance_mg2: task.variance_mg2, origin: task.id.clone() }
            }
        };
        self.tasks.remove(t);
        self.changed();
        Ok(entry)
    }

    /// Open clean-up tasks in priority order (perishable, value, age, id).
    pub fn tasks(&self) -> Vec<Task> {
        let mut tasks = self.tasks.clone();
        insertion_sort_by(&mut tasks, |a, b| {
            b.perishable
                .cmp(&a.perishable)
                .then(b.value_minor.cmp(&a.value_minor))
                .then(a.created_at.cmp(&b.created_at))
                .then(task_number(&a.id).cmp(&task_number(&b.id)))
        });
        tasks
    }

    /// The shopper leaves: their take records (what they pay for), and their slot is freed.
    /// With an `idempotencyKey` a retried checkout answers the same records again (without one,
    /// a retry answers an empty list: the slot is gone); the key is remembered even when the
    /// shopper held nothing, so a retry never checks out records taken since.
    pub fn checkout(&mut self, shopper_id: &str, idempotency_key: Option<&str>) -> Result<Vec<ItemLot>> {
        check_id(shopper_id, "shopperId")?;
        let keyed = Keyed::Checkout(shopper_id.to_owned());
        match self.replay(idempotency_key, &keyed)? {
            Some(Answer::Lots(lots)) => return Ok(lots),
            Some(_) => return Err(conflict()),
            None => {}
        }
        let lots = match self.shoppers.iter().position(|s| s.id == shopper_id) {
            Some(s) => {
                self.changed();
                self.shoppers.remove(s).lots
            }
            None => Vec::new(),
        };
        if idempotency_key.is_some() {
            self.remember(idempotency_key, keyed, Answer::Lots(lots.clone()));
            self.changed();
        }
        Ok(lots)
    }

    /// The lanes.
    pub fn lanes(&self) -> Vec<LaneView> {
        self.lanes
            .iter()
            .map(|l| LaneView {
                id: l.id.clone(),
                item_type: self.type_id(Some(l.item_type)).unwrap_or_default(),
                count: l.count,
                entries: l.entries.clone(),
                sensor: l.sensor.view(),
            })
            .collect()
    }

    /// A shopper's take records (empty for an unknown shopper).
    pub fn shopper(&self, shopper_id: &str) -> Result<ShopperView> {
        check_id(shopper_id, "shopperId")?;
        let lots = self.shoppers.iter().find(|s| s.id == shopper_id).map(|s| s.lots.clone()).unwrap_or_default();
        Ok(ShopperView { id: shopper_id.to_owned(), lots })
    }

    /// The catalogue with the weights matching uses now.
    pub fn item_types(&self) -> Vec<ItemTypeView> {
        (0..self.types.len())
            .filter_map(|t| {
                let ts = self.types.get(t)?;
                let (weight_mg, var) = self.type_weight(t);
                Some(ItemTypeView {
                    item: ts.item.clone(),
                    weight_mg,
                    spread_mg: i64::try_from(floor_sqrt(var.unsigned_abs())).unwrap_or(i64::MAX),
                    observations: ts.learned.n,
                })
            })
            .collect()
    }
}

fn task_number(id: &str) -> u64 {
    id.strip_prefix('t').and_then(|n| n.parse().ok()).unwrap_or(u64::MAX)
}

/// Reading order across shoppers: z² ascending, then fewer items, then shopper order, then parts.
fn rank(delta: i64, a: &Reading, b: &Reading) -> core::cmp::Ordering {
    let da = i128::from(delta) - i128::from(a.predicted_mg);
    let db = i128::from(delta) - i128::from(b.predicted_mg);
    let left = da.saturating_mul(da).saturating_mul(b.variance);
    let right = db.saturating_mul(db).saturating_mul(a.variance);
    let units = |r: &Reading| r.parts.iter().map(|p| p.1).sum::<u32>();
    left.cmp(&right).then(units(a).cmp(&units(b))).then(a.shopper.cmp(&b.shopper))
}
