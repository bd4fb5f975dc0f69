//! Accounts, holds and idempotency keys kept in a slab (a `Vec` of records addressed by a `u32`
//! handle) with one id → handle index per kind.
//!
//! Why: the derived indexes (deadlines, an account's pending holds, the resolution order, the
//! key queue) then hold integers, not copies of ids, so keeping them allocates nothing and a
//! lookup compares integers; and the ledger's derived indexes share one `BTreeSet<(u64, u32)>`
//! type and its id indexes one hash table type, instead of a `BTreeMap`/`BTreeSet` per key and
//! value type (each type is a copy of its insert, remove, clone and drop code in the wasm
//! module).
//!
//! The id index is a hash table from a 64-bit hash of the id ([`id_hash`]) to the handle, not
//! a tree of the ids' text: a lookup reads one group of the table and the found record's id
//! to confirm it, ~2 cache lines, where a `BTreeMap<String, _>` descends ~4 nodes and follows
//! a pointer to each id it compares — ~15 of them per lookup among 4,096. Each is a cache miss
//! when the ledger is one of 1,024 that share a process: issue 10's million wallets spent most
//! of their time there (HACKING.md, *Id indexes as hash tables*). Nothing observable depends on the
//! table's order: the id order the canonical encoding needs is made when it is needed
//! ([`Table::iter`]: a sort of the live ids).
//!
//! Two ids with one hash (never seen: SipHash-1-3) are both kept: the second in `collided`,
//! searched when the table's record has another id, so a collision costs a comparison, never a
//! wrong record. A fixed hash key lets anyone compute the hashes; what a caller choosing ids
//! for one table bucket gains is a longer probe over 16-byte entries in one array (bounded by
//! the table's records), not a walk over strings.

use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hasher};

/// The hash an id is filed under: SipHash-1-3 with std's fixed keys (`DefaultHasher::new`),
/// the same on every platform and run. Never encoded, journaled or shown: only where the hash
/// table keeps an entry depends on it, so a change of the algorithm in a later Rust changes
/// nothing observable.
pub(super) fn id_hash(id: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(id.as_bytes());
    let hash = hasher.finish();
    #[cfg(test)]
    let hash = tests::FEW_HASHES.with(|few| match few.get() {
        0 => hash,
        buckets => hash % buckets,
    });
    hash
}

/// The id index's hasher: its keys are [`id_hash`] values already, passed through.
#[derive(Default)]
pub(super) struct IdHashPassThrough(u64);

impl Hasher for IdHashPassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed (`write_u64`); any other input still mixes in.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }
    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// An id index: [`id_hash`] of the id → the record's handle.
type IdIndex = HashMap<u64, u32, BuildHasherDefault<IdHashPassThrough>>;

/// A record a [`Table`] files under its id.
pub(super) trait Record {
    fn id(&self) -> &str;
}

/// The records of one kind: a slab and its id index. Live records are bounded by the ledger's
/// limits (accounts by its capacity, holds by its pending-hold capacity + `HOLDS_RESOLVED_RETAINED_MAX` plus the
/// one hold an operation places before the oldest resolved one is forgotten, keys by the key
/// window plus the one an operation records before the oldest is forgotten); a removed
/// record's slot goes on the free list and is reused first, so the slab never grows past the
/// most records live at once.
#[derive(Debug, Clone)]
pub(super) struct Table<T> {
    slots: Vec<Option<T>>,
    /// Empty slots, reused last-freed first.
    free: Vec<u32>,
    /// Every live record's handle by the hash of its id ([`id_hash`]), but those in `collided`.
    ids: IdIndex,
    /// (hash, handle) of the live records whose id hashes as another's in `ids` (in practice
    /// none; at most every live record).
    collided: Vec<(u64, u32)>,
}

impl<T: Record> Table<T> {
    pub(super) fn new() -> Self {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            ids: IdIndex::default(),
            collided: Vec::new(),
        }
    }

    /// Live records.
    pub(super) fn len(&self) -> usize {
        self.ids.len().saturating_add(self.collided.len())
    }

    /// The slab's length (live and free slots): what the records' memory is bounded by.
    pub(super) fn slots(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn handle(&self, id: &str) -> Option<u32> {
        let hash = id_hash(id);
        let is_it = |at: u32| self.at(at).is_some_and(|record| record.id() == id);
        match self.ids.get(&hash) {
            Some(&at) if is_it(at) => Some(at),
            Some(_) => self.collided.iter().find(|&&(other, at)| other == hash && is_it(at)).map(|&(_, at)| at),
            None => None,
        }
    }

    pub(super) fn contains_key(&self, id: &str) -> bool {
        self.handle(id).is_some()
    }

    pub(super) fn get(&self, id: &str) -> Option<&T> {
        self.handle(id).and_then(|at| self.at(at))
    }

    /// The record at `handle` (`None` for a free or unknown slot).
    pub(super) fn at(&self, handle: u32) -> Option<&T> {
        self.slots.get(handle as usize).and_then(Option::as_ref)
    }

    /// The record at `handle`, to change in place (its id must stay: the index files it).
    pub(super) fn at_mut(&mut self, handle: u32) -> Option<&mut T> {
        self.slots.get_mut(handle as usize).and_then(Option::as_mut)
    }

    #[cfg(test)]
    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        let at = self.handle(id)?;
        self.at_mut(at)
    }

    /// Files `record` under its id: replaces the record there in its slot, or takes a slot.
    /// Returns the handle and the record it replaced.
    pub(super) fn put(&mut self, record: T) -> (u32, Option<T>) {
        match self.handle(record.id()) {
            Some(at) => (at, self.replace_at(at, record)),
            None => (self.insert_new(record), None),
        }
    }

    /// Puts `record` in the live slot `at`, which holds the record with its id (the caller read
    /// the handle from this table); returns the record it replaced. No id is looked up.
    pub(super) fn replace_at(&mut self, at: u32, record: T) -> Option<T> {
        self.slots.get_mut(at as usize).and_then(|slot| slot.replace(record))
    }

    /// Files `record`, whose id the table does not have (the caller looked), in a slot; returns
    /// its handle.
    pub(super) fn insert_new(&mut self, record: T) -> u32 {
        let hash = id_hash(record.id());
        let at = match self.free.pop() {
            Some(at) => {
                if let Some(slot) = self.slots.get_mut(at as usize) {
                    *slot = Some(record);
                }
                at
            }
            None => {
                // The limits keep live records far below 2^32 (see the type's docs), and a slot
                // is taken only when none is free.
                let at = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Some(record));
                at
            }
        };
        match self.ids.entry(hash) {
            Entry::Occupied(_) => self.collided.push((hash, at)),
            Entry::Vacant(vacant) => {
                vacant.insert(at);
            }
        }
        at
    }

    /// Removes the record at `handle` and frees its slot.
    pub(super) fn remove_at(&mut self, handle: u32) -> Option<T> {
        let record = self.slots.get_mut(handle as usize)?.take()?;
        let hash = id_hash(record.id());
        if self.ids.get(&hash) == Some(&handle) {
            self.ids.remove(&hash);
            // A record that collided with this one takes its place in the table.
            if let Some(at) = self.collided.iter().position(|&(other, _)| other == hash) {
                let (_, moved) = self.collided.swap_remove(at);
                self.ids.insert(hash, moved);
            }
        } else if let Some(at) = self.collided.iter().position(|&entry| entry == (hash, handle)) {
            self.collided.swap_remove(at);
        }
        self.free.push(handle);
        Some(record)
    }

    /// The live records by id, with their handles (sorted here: the index is in hash order).
    /// For the canonical encoding and the full invariant check, not for an operation's path.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        let mut by_id: Vec<(&str, u32)> = self
            .ids
            .values()
            .chain(self.collided.iter().map(|(_, at)| at))
            .filter_map(|&at| self.at(at).map(|record| (record.id(), at)))
            .collect();
        sort_by_id(&mut by_id);
        by_id.into_iter().filter_map(|(_, at)| self.at(at).map(|record| (at, record)))
    }

    /// The live records by id.
    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.iter().map(|(_, record)| record)
    }

    /// The live records in slot order, with their handles: for whole-state checks whose result
    /// does not depend on the order (no sort: [`Table::iter`] sorts every live id, which was a
    /// tenth of a journal replay's final check over 32,768 keys).
    pub(super) fn iter_unordered(&self) -> impl Iterator<Item = (u32, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(at, slot)| Some((u32::try_from(at).ok()?, slot.as_ref()?)))
    }

    /// Whether the index and the slab agree: every indexed id names a live record with that id,
    /// each live record is indexed once under its id, no other slot is live, and the free list
    /// has one entry per empty slot, each naming an empty slot.
    ///
    /// Without sorting the ids: entries of `ids` have distinct hashes and each names a record
    /// with its hash, so they name distinct records with distinct ids; an entry of `collided`
    /// (none in practice) is compared with every entry filed under its hash. Distinct entries
    /// as many as the live slots then cover every live slot.
    pub(super) fn consistent(&self) -> bool {
        let id_at = |at: u32| self.at(at).map(Record::id);
        // Bounded by the slab's length.
        let live = self.slots.iter().filter(|slot| slot.is_some()).count();
        let free_empty = self
            .free
            .iter()
            .all(|at| self.slots.get(*at as usize).is_some_and(Option::is_none));
        index_agrees(&self.ids, &self.collided, &id_at)
            && live == self.len()
            && live.saturating_add(self.free.len()) == self.slots.len()
            && free_empty
    }

    /// Logical equality: the same records under the same ids, wherever their slots are.
    pub(super) fn same_records(&self, other: &Self) -> bool
    where
        T: PartialEq,
    {
        self.len() == other.len() && self.values().eq(other.values())
    }
}

/// The index half of [`Table::consistent`], written once for every kind of record (`id_at`
/// reads the id in a slot): every entry names a live record with its hash, each `collided`
/// entry's hash is in `ids`, and no two entries name one slot or one id.
fn index_agrees<'a>(ids: &IdIndex, collided: &[(u64, u32)], id_at: &dyn Fn(u32) -> Option<&'a str>) -> bool {
    let filed = |hash: u64, at: u32| id_at(at).is_some_and(|id| id_hash(id) == hash);
    let indexed = ids.iter().all(|(&hash, &at)| filed(hash, at))
        && collided.iter().all(|&(hash, at)| filed(hash, at) && ids.contains_key(&hash));
    // Bounded by `collided`'s length squared: at most every live record, none in practice.
    indexed
        && collided.iter().enumerate().all(|(i, &(hash, at))| {
            let earlier_same_hash = collided.iter().take(i).filter(|&&(other, _)| other == hash);
            ids.get(&hash)
                .copied()
                .into_iter()
                .chain(earlier_same_hash.map(|&(_, other_at)| other_at))
                .all(|other_at| other_at != at && id_at(other_at) != id_at(at))
        })
}

/// Sorts `(id, handle)` pairs by id: one function for every kind of record (a sort is ~3 KB of
/// wasm per element type and comparison).
fn sort_by_id(by_id: &mut [(&str, u32)]) {
    by_id.sort_unstable();
}

/// The handles of the last two records an operation looked up in one [`Table`], so that reading
/// the same hold or account again (an operation reads its hold and its two accounts several
/// times) compares one id instead of hashing it and searching the index.
/// Valid while the table does not change: one per operation, over the unchanged ledger.
#[derive(Debug, Default)]
pub(super) struct Seen(Cell<[Option<u32>; 2]>);

impl Seen {
    /// The handle of `id` in `table`, from the last two found or by searching the index.
    pub(super) fn handle<T: Record>(&self, table: &Table<T>, id: &str) -> Option<u32> {
        let [newest, older] = self.0.get();
        for at in [newest, older].into_iter().flatten() {
            if table.at(at).is_some_and(|record| record.id() == id) {
                return Some(at);
            }
        }
        let found = table.handle(id);
        if found.is_some() {
            self.0.set([found, newest]);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    thread_local! {
        /// When not 0: `id_hash` returns only this many values, so ids collide (the tests of the
        /// collision path; SipHash-1-3 gives no collision to test with).
        pub(super) static FEW_HASHES: Cell<u64> = const { Cell::new(0) };
    }

    #[derive(Debug, Clone, PartialEq)]
    struct Named(String, u32);
    impl Record for Named {
        fn id(&self) -> &str {
            &self.0
        }
    }

    /// Random puts, replacements and removals against a `BTreeMap` model, with every id
    /// filed under one of `buckets` hashes: lookups, order, length and the consistency check
    /// agree with the model after each step.
    fn against_model(buckets: u64) {
        FEW_HASHES.with(|few| few.set(buckets));
        let mut table: Table<Named> = Table::new();
        let mut model: BTreeMap<String, u32> = BTreeMap::new();
        let mut x: u32 = 0x9e37_79b9;
        // 4,000 steps over 300 ids: each id is put, replaced and removed many times.
        for step in 0..4000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let id = format!("id-{}", x % 300);
            if x % 3 == 0 {
                let removed = table.handle(&id).and_then(|at| table.remove_at(at));
                assert_eq!(removed.map(|r| r.1), model.remove(&id), "remove {id}");
            } else {
                let (_, old) = table.put(Named(id.clone(), step));
                assert_eq!(old.map(|r| r.1), model.insert(id.clone(), step), "put {id}");
            }
            assert!(table.consistent(), "step {step}");
            assert_eq!(table.len(), model.len());
            assert!(table.slots() <= 300);
            for probe in ["id-0", "id-7", "id-150", "id-299", &id] {
                assert_eq!(table.get(probe).map(|r| r.1), model.get(probe).copied(), "get {probe}");
            }
        }
        let listed: Vec<(String, u32)> = table.values().map(|r| (r.0.clone(), r.1)).collect();
        let expected: Vec<(String, u32)> = model.into_iter().collect();
        assert_eq!(listed, expected, "iter is in id order");
        FEW_HASHES.with(|few| few.set(0));
    }

    #[test]
    fn the_id_index_agrees_with_a_model_with_real_hashes() {
        against_model(0);
    }

    #[test]
    fn the_id_index_agrees_with_a_model_when_ids_collide() {
        // 3 hashes for 300 ids: nearly every record is in `collided`.
        against_model(3);
    }

    #[test]
    fn a_colliding_record_takes_the_removed_ones_place() {
        FEW_HASHES.with(|few| few.set(1));
        let mut table: Table<Named> = Table::new();
        let a = table.insert_new(Named("a".into(), 1));
        let b = table.insert_new(Named("b".into(), 2));
        assert_eq!(table.collided.len(), 1);
        assert_eq!(table.remove_at(a), Some(Named("a".into(), 1)));
        assert_eq!(table.handle("b"), Some(b), "b moved into the table");
        assert!(table.collided.is_empty() && table.consistent());
        assert_eq!(table.handle("a"), None);
        FEW_HASHES.with(|few| few.set(0));
    }

    #[test]
    fn the_consistency_check_sees_an_index_entry_under_the_wrong_hash() {
        let mut table: Table<Named> = Table::new();
        let at = table.insert_new(Named("a".into(), 1));
        assert!(table.consistent());
        let hash = id_hash("a");
        table.ids.remove(&hash);
        table.ids.insert(hash ^ 1, at);
        assert!(!table.consistent());
    }

    #[test]
    fn the_consistency_check_sees_one_id_filed_twice_and_one_slot_indexed_twice() {
        // Two live records with one id: the second filed in `collided` under the same hash.
        let mut table: Table<Named> = Table::new();
        table.insert_new(Named("a".into(), 1));
        table.insert_new(Named("b".into(), 2));
        assert!(table.consistent());
        let mut twice = table.clone();
        twice.slots.push(Some(Named("a".into(), 3)));
        twice.collided.push((id_hash("a"), 2));
        assert_eq!(twice.len(), 3);
        assert!(!twice.consistent(), "the id a is filed twice");
        // One slot indexed twice: the counts agree, but the slot of b is not indexed.
        let mut same_slot = table.clone();
        let b = same_slot.ids.remove(&id_hash("b")).unwrap();
        same_slot.collided.push((id_hash("a"), same_slot.handle("a").unwrap()));
        assert_eq!((same_slot.len(), b), (2, 1));
        assert!(!same_slot.consistent(), "a's slot is indexed twice and b's not at all");
        // With colliding hashes, the same two cases among `collided` entries.
        FEW_HASHES.with(|few| few.set(1));
        let mut collided: Table<Named> = Table::new();
        for (i, id) in ["x", "y", "z"].into_iter().enumerate() {
            collided.insert_new(Named(id.into(), i as u32));
        }
        assert_eq!(collided.collided.len(), 2);
        assert!(collided.consistent());
        let mut renamed = collided.clone();
        if let Some(Some(record)) = renamed.slots.get_mut(2) {
            record.0 = "y".into();
        }
        assert!(!renamed.consistent(), "y filed twice among the collided");
        FEW_HASHES.with(|few| few.set(0));
    }

    #[test]
    fn unordered_iteration_visits_the_records_that_ordered_iteration_does() {
        let mut table: Table<Named> = Table::new();
        for i in 0..50u32 {
            table.put(Named(format!("id-{}", (i * 37) % 50), i));
        }
        for i in (0..50u32).step_by(3) {
            let at = table.handle(&format!("id-{i}")).unwrap();
            table.remove_at(at);
        }
        let mut unordered: Vec<(u32, String)> = table.iter_unordered().map(|(at, r)| (at, r.0.clone())).collect();
        let mut ordered: Vec<(u32, String)> = table.iter().map(|(at, r)| (at, r.0.clone())).collect();
        assert_eq!(unordered.len(), 33);
        unordered.sort();
        ordered.sort();
        assert_eq!(unordered, ordered);
    }
}
