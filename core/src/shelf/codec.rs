//! Shelf snapshots: the whole shelf in the shared authenticated snapshot format
//! ([`crate::snapshot`]), type `"countersign.shelf.snapshot"`, version 1. The body is the shelf
//! in deterministic CBOR, every struct an array of its fields in declaration order, enums as
//! small integers; on restore the body must be exactly the canonical encoding of a consistent
//! shelf (`SNAPSHOT_INVALID` otherwise), so one state has one byte string.

use minicbor::Decoder;

use super::sensor::LaneSensor;
use super::{
    ItemLot, ItemType, Lane, Learned, Shelf, ShelfConfig, Shopper, Task, TaskKind, TypeState, BASKET_LOTS_MAX,
    ITEM_TYPES_MAX, LANES_MAX, LANE_ENTRIES_MAX, SHOPPERS_MAX, TASKS_MAX,
};
use crate::error::Result;
use crate::limits::cbor::{self, Cbor, Enc};
use crate::snapshot::{self, invalid, SnapshotKind};

/// The snapshot format version written by this build.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
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
        e.array(9)
            .str(&self.id)
            .u64(match self.kind {
                TaskKind::Misplaced => 0,
                TaskKind::Identify => 1,
            })
            .str(&self.lane_id)
            .opt(self.item_type.as_ref())
            .u64(u64::from(self.count))
            .i64(self.total_mg)
            .i64(self.created_at)
            .bool(self.perishable)
            .u64(self.value_minor);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 9)?;
        Some(Task {
            id: cbor::string(d)?,
            kind: match cbor::u8(d)? {
                0 => TaskKind::Misplaced,
                1 => TaskKind::Identify,
                _ => return None,
            },
            lane_id: cbor::string(d)?,
            item_type: cbor::opt(d)?,
            count: u32_of(d)?,
            total_mg: cbor::i64(d)?,
            created_at: cbor::i64(d)?,
            perishable: cbor::bool(d)?,
            value_minor: cbor::u64(d)?,
        })
    }
}

impl Cbor for Shelf {
    fn encode(&self, e: &mut Enc) {
        e.array(8).str(&self.shelf_id);
        self.config.encode(e);
        e.list(&self.types).list(&self.lanes).list(&self.shoppers).list(&self.tasks).u64(self.next_task).u64(self.revision);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 8)?;
        Some(Shelf {
            shelf_id: cbor::string(d)?,
            config: ShelfConfig::decode(d)?,
            types: cbor::list(d, ITEM_TYPES_MAX)?,
            lanes: cbor::list(d, LANES_MAX)?,
            shoppers: cbor::list(d, SHOPPERS_MAX)?,
            tasks: cbor::list(d, TASKS_MAX)?,
            next_task: cbor::u64(d)?,
            revision: cbor::u64(d)?,
        })
    }
}
