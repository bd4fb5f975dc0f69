//! Shelf snapshots: the whole shelf in the shared authenticated snapshot format
//! ([`crate::snapshot`]), type `"countersign.shelf.snapshot"`, version 2 (version 1, before the
//! idempotency keys and the tasks' shoppers and variance, is not read: `SNAPSHOT_VERSION_UNSUPPORTED`). The body is the shelf
//! in deterministic CBOR, every struct an array of its fields in declaration order, enums as
//! small integers; on restore the body must be exactly the canonical encoding of a consistent
//! shelf (`SNAPSHOT_INVALID` otherwise), so one state has one byte string.

use minicbor::Decoder;

use super::sensor::LaneSensor;
use super::{
    Answer, Evidence, FoundItems, Hypothesis, HypothesisPart, ItemLot, ItemType, KeyRecord, Keyed, Lane, Learned, PartSource,
    ResolveCode, ResolveTask, Resolution, Shelf, ShelfConfig, Shopper, Task, TaskKind, TypeState, Verdict, VerdictCode,
    WeightChange, BASKET_LOTS_MAX, HYPOTHESES_MAX, IDEMPOTENCY_KEYS_MAX, ITEM_TYPES_MAX, LANES_MAX, LANE_ENTRIES_MAX,
    RETURN_ITEMS_MAX, SHOPPERS_MAX, SHOPPERS_PER_EVENT_MAX, TASKS_MAX,
};
use crate::error::Result;
use crate::limits::cbor::{self, Cbor, Enc};
use crate::snapshot::{self, invalid, SnapshotKind};

/// The snapshot format version written by this build.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 2;
/// The largest snapshot accepted, bytes: a full shelf (1,024 item types, 256 lanes with 32
/// entries, 1,024 shoppers with 200 records, 1,024 tasks) is about 40 MB; 64 MB leaves room.
pub const SNAPSHOT_BYTES_MAX: usize = 64 << 20;

const KIND: SnapshotKind =
    SnapshotKind { type_name: "countersign.shelf.snapshot", version: SNAPSHOT_FORMAT_VERSION, bytes_max: SNAPSHOT_BYTES_MAX };

pub(super) fn seal(shelf: &Shelf, key: &[u8]) -> Result<Vec<u8>> {
    snapshot::seal(&KIND, &cbor::to_vec(shelf), key)
}

pub(super) fn open(bytes: &[u8], key: &[u8]) -> Result<Shelf> {
    let body = snapshot::open(&KIND, bytes, key)?;
    let shelf: Shelf = cbor::from_slice(body).ok_or_else(|| invalid("the snapshot body is not a canonically encoded shelf"))?;
    if !shelf.is_consistent() {
        return Err(invalid("the snapshot holds an inconsistent shelf state"));
    }
    Ok(shelf)
}

fn u32_of(d: &mut Decoder<'_>) -> Option<u32> {
    cbor::u32(d)
}

impl Cbor for ShelfConfig {
    fn encode(&self, e: &mut Enc) {
        e.array(6)
            .i64(self.k_centi)
            .i64(self.margin_z_centi)
            .i64(self.learn_shift_permille_max)
            .u64(u64::from(self.learn_picks_min))
            .u64(u64::from(self.items_max))
            .u64(u64::from(self.combinations_max));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 6)?;
        Some(ShelfConfig {
            k_centi: cbor::i64(d)?,
            margin_z_centi: cbor::i64(d)?,
            learn_shift_permille_max: cbor::i64(d)?,
            learn_picks_min: u32_of(d)?,
            items_max: u32_of(d)?,
            combinations_max: u32_of(d)?,
        })
    }
}

impl Cbor for TypeState {
    fn encode(&self, e: &mut Enc) {
        let (item, l) = (&self.item, &self.learned);
        e.array(9)
            .str(&item.id)
            .i64(item.nominal_mg)
            .i64(item.sigma_mg)
            .u64(item.value_minor)
            .bool(item.perishable)
            .u64(u64::from(l.n))
            .i64(l.sum_mg)
            .i64(l.sum_sq)
            .i64(l.sum_var);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 9)?;
        Some(TypeState {
            item: ItemType {
                id: cbor::string(d)?,
                nominal_mg: cbor::i64(d)?,
                sigma_mg: cbor::i64(d)?,
                value_minor: cbor::u64(d)?,
                perishable: cbor::bool(d)?,
            },
            learned: Learned { n: u32_of(d)?, sum_mg: cbor::i64(d)?, sum_sq: cbor::i64(d)?, sum_var: cbor::i64(d)? },
        })
    }
}

impl Cbor for ItemLot {
    fn encode(&self, e: &mut Enc) {
        e.array(5)
            .opt(self.item_type.as_ref())
            .u64(u64::from(self.count))
            .i64(self.total_mg)
            .i64(self.variance_mg2)
            .str(&self.origin);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(ItemLot {
            item_type: cbor::opt(d)?,
            count: u32_of(d)?,
            total_mg: cbor::i64(d)?,
            variance_mg2: cbor::i64(d)?,
            origin: cbor::string(d)?,
        })
    }
}

impl Cbor for Lane {
    fn encode(&self, e: &mut Enc) {
        e.array(5).str(&self.id).u64(self.item_type as u64).u64(u64::from(self.count)).list(&self.entries);
        self.sensor.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(Lane {
            id: cbor::string(d)?,
            item_type: usize::try_from(cbor::u64(d)?).ok()?,
            count: u32_of(d)?,
            entries: cbor::list(d, LANE_ENTRIES_MAX)?,
            sensor: LaneSensor::decode(d)?,
        })
    }
}

impl Cbor for Shopper {
    fn encode(&self, e: &mut Enc) {
        e.array(2).str(&self.id).list(&self.lots);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(Shopper { id: cbor::string(d)?, lots: cbor::list(d, BASKET_LOTS_MAX)? })
    }
}

impl Cbor for Task {
    fn encode(&self, e: &mut Enc) {
        e.array(11)
            .str(&self.id)
            .u64(match self.kind {
                TaskKind::Misplaced => 0,
                TaskKind::Identify => 1,
                TaskKind::Unattributable => 2,
            })
            .str(&self.lane_id)
            .opt(self.item_type.as_ref())
            .u64(u64::from(self.count))
            .i64(self.total_mg)
            .i64(self.variance_mg2)
            .list(&self.shopper_ids)
            .i64(self.created_at)
            .bool(self.perishable)
            .u64(self.value_minor);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 11)?;
        Some(Task {
            id: cbor::string(d)?,
            kind: match cbor::u8(d)? {
                0 => TaskKind::Misplaced,
                1 => TaskKind::Identify,
                2 => TaskKind::Unattributable,
                _ => return None,
            },
            lane_id: cbor::string(d)?,
            item_type: cbor::opt(d)?,
            count: u32_of(d)?,
            total_mg: cbor::i64(d)?,
            variance_mg2: cbor::i64(d)?,
            shopper_ids: cbor::list(d, SHOPPERS_PER_EVENT_MAX)?,
            created_at: cbor::i64(d)?,
            perishable: cbor::bool(d)?,
            value_minor: cbor::u64(d)?,
        })
    }
}

impl Cbor for Shelf {
    fn encode(&self, e: &mut Enc) {
        e.array(9).str(&self.shelf_id);
        self.config.encode(e);
        e.list(&self.types).list(&self.lanes).list(&self.shoppers).list(&self.tasks).u64(self.next_task);
        e.array(self.keys.len() as u64);
        for k in &self.keys {
            k.encode(e);
        }
        e.u64(self.revision);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 9)?;
        Some(Shelf {
            shelf_id: cbor::string(d)?,
            config: ShelfConfig::decode(d)?,
            types: cbor::list(d, ITEM_TYPES_MAX)?,
            lanes: cbor::list(d, LANES_MAX)?,
            shoppers: cbor::list(d, SHOPPERS_MAX)?,
            tasks: cbor::list(d, TASKS_MAX)?,
            next_task: cbor::u64(d)?,
            keys: cbor::list::<KeyRecord>(d, IDEMPOTENCY_KEYS_MAX)?.into(),
            revision: cbor::u64(d)?,
        })
    }
}

/// An optional i64 as `[present, value]`, the value 0 when absent (one encoding per value).
fn opt_i64(e: &mut Enc, v: Option<i64>) {
    e.array(2).bool(v.is_some()).i64(v.unwrap_or(0));
}

fn opt_i64_of(d: &mut Decoder<'_>) -> Option<Option<i64>> {
    cbor::array(d, 2)?;
    match (cbor::bool(d)?, cbor::i64(d)?) {
        (true, v) => Some(Some(v)),
        (false, 0) => Some(None),
        _ => None,
    }
}

/// `[key, 0, request, verdict]`, `[key, 1, request, resolution]` or `[key, 2, shopperId, lots]`.
impl Cbor for KeyRecord {
    fn encode(&self, e: &mut Enc) {
        e.array(4).str(&self.key);
        match &self.request {
            Keyed::Change(r) => e.u64(0).array(6).str(&r.lane_id).i64(r.delta_mg).i64(r.sigma_mg).list(&r.shopper_ids).i64(r.now),
            Keyed::Resolve(r) => e.u64(1).array(3).str(&r.task_id).opt(r.found.as_ref()).opt(r.shopper_id.as_ref()),
            Keyed::Checkout(id) => e.u64(2).str(id),
        };
        if let Keyed::Change(r) = &self.request {
            opt_i64(e, r.excursion_mg);
        }
        match &self.answer {
            Answer::Verdict(v) => v.encode(e),
            Answer::Resolution(r) => r.encode(e),
            Answer::Lots(lots) => {
                e.list(lots);
            }
        }
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        let key = cbor::string(d)?;
        let (request, answer) = match cbor::u8(d)? {
            0 => {
                cbor::array(d, 6)?;
                let request = WeightChange {
                    lane_id: cbor::string(d)?,
                    delta_mg: cbor::i64(d)?,
                    sigma_mg: cbor::i64(d)?,
                    shopper_ids: cbor::list(d, SHOPPERS_PER_EVENT_MAX)?,
                    now: cbor::i64(d)?,
                    excursion_mg: opt_i64_of(d)?,
                    idempotency_key: None,
                };
                (Keyed::Change(request), Answer::Verdict(Verdict::decode(d)?))
            }
            1 => {
                cbor::array(d, 3)?;
                let request =
                    ResolveTask { task_id: cbor::string(d)?, found: cbor::opt(d)?, shopper_id: cbor::opt(d)?, idempotency_key: None };
                (Keyed::Resolve(request), Answer::Resolution(Resolution::decode(d)?))
            }
            2 => (Keyed::Checkout(cbor::string(d)?), Answer::Lots(cbor::list(d, BASKET_LOTS_MAX)?)),
            _ => return None,
        };
        Some(KeyRecord { key, request, answer })
    }
}

impl Cbor for FoundItems {
    fn encode(&self, e: &mut Enc) {
        e.array(2).str(&self.item_type).u64(u64::from(self.count));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(FoundItems { item_type: cbor::string(d)?, count: u32_of(d)? })
    }
}

const VERDICT_CODES: [VerdictCode; 7] = [
    VerdictCode::Picked,
    VerdictCode::Tidy,
    VerdictCode::Untidy,
    VerdictCode::Ambiguous,
    VerdictCode::Unexplained,
    VerdictCode::SearchLimit,
    VerdictCode::Unattributable,
];

const RESOLVE_CODES: [ResolveCode; 8] = [
    ResolveCode::Resolved,
    ResolveCode::TaskUnknown,
    ResolveCode::TaskClosed,
    ResolveCode::NotResolvable,
    ResolveCode::ShopperNotCandidate,
    ResolveCode::ShopperRequired,
    ResolveCode::ContradictsRecords,
    ResolveCode::ContradictsWeight,
];

const PART_SOURCES: [PartSource; 3] = [PartSource::Record, PartSource::Stock, PartSource::Entry];

fn index_of<T: PartialEq>(all: &[T], v: &T) -> u64 {
    all.iter().position(|x| x == v).unwrap_or(0) as u64
}

fn nth<T: Copy>(all: &[T], d: &mut Decoder<'_>) -> Option<T> {
    all.get(usize::from(cbor::u8(d)?)).copied()
}

impl Cbor for Verdict {
    fn encode(&self, e: &mut Enc) {
        e.array(7).u64(index_of(&VERDICT_CODES, &self.code)).opt(self.shopper_id.as_ref()).bool(self.attributed);
        self.evidence.encode(e);
        e.list(&self.tasks_opened).list(&self.tasks_closed).u64(u64::from(self.lane_count));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 7)?;
        Some(Verdict {
            code: nth(&VERDICT_CODES, d)?,
            shopper_id: cbor::opt(d)?,
            attributed: cbor::bool(d)?,
            evidence: Evidence::decode(d)?,
            tasks_opened: cbor::list(d, RETURN_ITEMS_MAX as usize)?,
            tasks_closed: cbor::list(d, RETURN_ITEMS_MAX as usize)?,
            lane_count: u32_of(d)?,
        })
    }
}

impl Cbor for Evidence {
    fn encode(&self, e: &mut Enc) {
        e.array(9).i64(self.delta_mg).i64(self.sigma_mg).i64(self.k_centi).i64(self.margin_z_centi).list(&self.hypotheses);
        e.u64(u64::from(self.combinations_tried)).i64(self.excursion_mg).i64(self.mixed_excursion_mg).list(&self.shopper_ids);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 9)?;
        Some(Evidence {
            delta_mg: cbor::i64(d)?,
            sigma_mg: cbor::i64(d)?,
            k_centi: cbor::i64(d)?,
            margin_z_centi: cbor::i64(d)?,
            hypotheses: cbor::list(d, HYPOTHESES_MAX)?,
            combinations_tried: u32_of(d)?,
            excursion_mg: cbor::i64(d)?,
            mixed_excursion_mg: cbor::i64(d)?,
            shopper_ids: cbor::list(d, SHOPPERS_PER_EVENT_MAX)?,
        })
    }
}

impl Cbor for Hypothesis {
    fn encode(&self, e: &mut Enc) {
        e.array(7).opt(self.shopper_id.as_ref()).list(&self.parts).i64(self.predicted_mg).i64(self.variance_mg2);
        e.i64(self.tolerance_mg).i64(self.z2_milli).bool(self.within_tolerance);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 7)?;
        Some(Hypothesis {
            shopper_id: cbor::opt(d)?,
            parts: cbor::list(d, RETURN_ITEMS_MAX as usize)?,
            predicted_mg: cbor::i64(d)?,
            variance_mg2: cbor::i64(d)?,
            tolerance_mg: cbor::i64(d)?,
            z2_milli: cbor::i64(d)?,
            within_tolerance: cbor::bool(d)?,
        })
    }
}

impl Cbor for HypothesisPart {
    fn encode(&self, e: &mut Enc) {
        e.array(4).u64(index_of(&PART_SOURCES, &self.source)).u64(u64::from(self.index)).opt(self.item_type.as_ref());
        e.u64(u64::from(self.count));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        Some(HypothesisPart { source: nth(&PART_SOURCES, d)?, index: u32_of(d)?, item_type: cbor::opt(d)?, count: u32_of(d)? })
    }
}

impl Cbor for Resolution {
    fn encode(&self, e: &mut Enc) {
        e.array(9).u64(index_of(&RESOLVE_CODES, &self.code)).str(&self.task_id).opt(self.found.as_ref());
        e.opt(self.shopper_id.as_ref()).i64(self.task_mg).i64(self.predicted_mg).i64(self.tolerance_mg);
        e.u64(u64::from(self.to_stock)).u64(u64::from(self.lane_count));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 9)?;
        Some(Resolution {
            code: nth(&RESOLVE_CODES, d)?,
            task_id: cbor::string(d)?,
            found: cbor::opt(d)?,
            shopper_id: cbor::opt(d)?,
            task_mg: cbor::i64(d)?,
            predicted_mg: cbor::i64(d)?,
            tolerance_mg: cbor::i64(d)?,
            to_stock: u32_of(d)?,
            lane_count: u32_of(d)?,
        })
    }
}
