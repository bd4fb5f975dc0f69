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
//! The id index is a hash table from a hash of the id ([`id_hash`]) to the handle, not a tree
//! of the ids' text: a lookup reads the index's entries from the hash's home (usually one
//! cache line) and the found record's id to confirm it, where a `BTreeMap<String, _>` descends
//! ~4 nodes and follows a pointer to each id it compares — ~15 of them per lookup among 4,096.
//! Each is a cache miss when the ledger is large or one of 1,024 that share a process: issue
//! 10's million wallets spent most of their time there (HACKING.md, *Id indexes as hash
//! tables*). Nothing observable depends on the index's order: the id order the canonical
//! encoding needs is made when it is needed ([`Table::iter`]: a sort of the live ids).
//! [`IdIndex`] says how it is laid out and what a collision costs.

use std::cell::Cell;
use std::hash::{DefaultHasher, Hasher};

/// The hash an id is filed under: SipHash-1-3 with std's fixed keys (`DefaultHasher::new`),
/// the same on every platform and run. Never encoded, journaled or shown: only where the index
/// keeps an entry depends on it, so a change of the algorithm in a later Rust changes nothing
/// observable.
pub(super) fn id_hash(id: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(id);
    let hash = hasher.finish();
    #[cfg(test)]
    let hash = tests::FEW_HASHES.with(|few| match few.get() {
        0 => hash,
        buckets => hash % buckets,
    });
    hash
}

/// The 32 bits of an id's hash its index entry keeps: they pick the entry's home and tell
/// entries apart before an id is compared.
fn tag_of(id: &[u8]) -> u32 {
    let hash = id_hash(id);
    (hash ^ (hash >> 32)) as u32
}

/// An empty index entry. A full entry never equals it: its low half is a handle, and no handle
/// is `u32::MAX` (the limits keep records far below 2^32).
const EMPTY: u64 = u64::MAX;
/// An index grows when more than 3/4 of its entries would be full (short probes).
const LOAD_NUMERATOR: usize = 3;
const LOAD_DENOMINATOR: usize = 4;
/// The least number of entries of an index that has any.
const ENTRIES_MIN: usize = 16;

/// An id index: open addressing with linear probing over one array of 8-byte entries, each
/// `(tag << 32) | handle` ([`tag_of`] the id). A lookup reads the entries from the tag's home
/// on, usually one cache line, and compares the id of each record whose tag matches.
///
/// Why not `HashMap<u64, u32>`: hashbrown keeps its control bytes and its 16-byte buckets in two
/// places, so a lookup among a million accounts was two cache misses (and two TLB misses) before
/// the record's, in ~34 MiB; this is one, in 16 MiB (issue 10, HACKING.md *Id indexes as hash
/// tables*). The home is the tag's (`tag & mask`), so growing and deleting move entries without
/// reading an id, and a deletion shifts the entries after it back (no tombstones: probes stay as
/// short as the load makes them). Ids whose tags are equal are both kept, told apart by the
/// id compare: a collision costs a compare, never a wrong record. The hash keys are public, so a
/// caller can choose ids with one home; what that gains is a longer probe over 8-byte entries of
/// one array (bounded by the index's length), not a walk over strings.
#[derive(Debug, Clone, Default)]
struct IdIndex {
    entries: Vec<u64>,
    /// Full entries.
    len: usize,
}

fn entry_tag(entry: u64) -> u32 {
    (entry >> 32) as u32
}

fn entry_handle(entry: u64) -> u32 {
    entry as u32
}

impl IdIndex {
    fn mask(&self) -> usize {
        self.entries.len().wrapping_sub(1)
    }

    fn home(&self, tag: u32) -> usize {
        tag as usize & self.mask()
    }

    /// The handle filed under `tag` for which `is_it` holds. Bounded by the entries.
    fn find(&self, tag: u32, is_it: impl Fn(u32) -> bool) -> Option<u32> {
        let mut at = self.home(tag);
        for _ in 0..self.entries.len() {
            let entry = *self.entries.get(at)?;
            if entry == EMPTY {
                return None;
            }
            if entry_tag(entry) == tag && is_it(entry_handle(entry)) {
                return Some(entry_handle(entry));
            }
            at = (at + 1) & self.mask();
        }
        None
    }

    /// Files `handle` under `tag` (the caller knows its id is not filed).
    fn insert(&mut self, tag: u32, handle: u32) {
        if self.len.saturating_add(1).saturating_mul(LOAD_DENOMINATOR) > self.entries.len().saturating_mul(LOAD_NUMERATOR) {
            self.grow();
        }
        self.place((u64::from(tag) << 32) | u64::from(handle));
        self.len = self.len.saturating_add(1);
    }

    /// Writes `entry` in the first empty entry from its home (one exists: the load is below 1).
    fn place(&mut self, entry: u64) {
        let mut at = self.home(entry_tag(entry));
        for _ in 0..self.entries.len() {
            match self.entries.get_mut(at) {
                Some(slot) if *slot == EMPTY => {
                    *slot = entry;
                    return;
                }
                _ => at = (at + 1) & self.mask(),
            }
        }
    }

    /// Twice the entries (at least [`ENTRIES_MIN`]), every full entry placed again.
    fn grow(&mut self) {
        let size = self.entries.len().saturating_mul(2).max(ENTRIES_MIN);
        let old = core::mem::replace(&mut self.entries, vec![EMPTY; size]);
        for entry in old.into_iter().filter(|entry| *entry != EMPTY) {
            self.place(entry);
        }
    }

    /// Takes out the entry of `handle` under `tag`, shifting back the entries of its probe run
    /// that may move closer to their homes. Whether it was there.
    fn remove(&mut self, tag: u32, handle: u32) -> bool {
        let wanted = (u64::from(tag) << 32) | u64::from(handle);
        let mask = self.mask();
        let mut hole = self.home(tag);
        let mut found = false;
        for _ in 0..self.entries.len() {
            match self.entries.get(hole) {
                Some(&entry) if entry == wanted => {
                    found = true;
                    break;
                }
                Some(&entry) if entry != EMPTY => hole = (hole + 1) & mask,
                _ => break,
            }
        }
        if !found {
            return false;
        }
        let mut next = hole;
        for _ in 0..self.entries.len() {
            next = (next + 1) & mask;
            let Some(&entry) = self.entries.get(next) else {
                break;
            };
            if entry == EMPTY {
                break;
            }
            // The entry can fill the hole when the hole is on its probe path (from its home to
            // where it is).
            let from_home = next.wrapping_sub(self.home(entry_tag(entry))) & mask;
            let from_hole = next.wrapping_sub(hole) & mask;
            if from_home >= from_hole {
                if let Some(slot) = self.entries.get_mut(hole) {
                    *slot = entry;
                }
                hole = next;
            }
        }
        if let Some(slot) = self.entries.get_mut(hole) {
            *slot = EMPTY;
        }
        self.len = self.len.saturating_sub(1);
        true
    }

    /// The full entries as (tag, handle), in the index's order.
    fn filed(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.entries.iter().filter(|entry| **entry != EMPTY).map(|&entry| (entry_tag(entry), entry_handle(entry)))
    }
}

/// A record a [`Table`] files under its id.
pub(super) trait Record {
    fn id(&self) -> &str;
    /// The id's bytes: what the index hashes, a lookup compares and [`Table::iter`] sorts (the
    /// same order as the text's), without a UTF-8 check of a text kept as bytes.
    fn id_bytes(&self) -> &[u8] {
        self.id().as_bytes()
    }
    /// Whether the record's id is `id` (what a lookup confirms a match with).
    fn is(&self, id: &str) -> bool {
        self.id_bytes() == id.as_bytes()
    }
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
    /// Every live record's handle under its id's tag.
    ids: IdIndex,
}

impl<T: Record> Table<T> {
    pub(super) fn new() -> Self {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            ids: IdIndex::default(),
        }
    }

    /// Live records.
    pub(super) fn len(&self) -> usize {
        self.ids.len
    }

    /// The slab's length (live and free slots): what the records' memory is bounded by.
    pub(super) fn slots(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn handle(&self, id: &str) -> Option<u32> {
        self.handle_of(id.as_bytes())
    }

    /// [`Table::handle`] of an id's bytes.
    fn handle_of(&self, id: &[u8]) -> Option<u32> {
        self.ids.find(tag_of(id), |at| self.at(at).is_some_and(|record| record.id_bytes() == id))
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
        match self.handle_of(record.id_bytes()) {
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
        let tag = tag_of(record.id_bytes());
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
        self.ids.insert(tag, at);
        at
    }

    /// Removes the record at `handle` and frees its slot.
    pub(super) fn remove_at(&mut self, handle: u32) -> Option<T> {
        let record = self.slots.get_mut(handle as usize)?.take()?;
        self.ids.remove(tag_of(record.id_bytes()), handle);
        self.free.push(handle);
        Some(record)
    }

    /// The live records by id, with their handles (sorted here: the index is in hash order).
    /// For the canonical encoding and the full invariant check, not for an operation's path.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        let mut by_id: Vec<(&[u8], u32)> = self
            .ids
            .filed()
            .filter_map(|(_, at)| self.at(at).map(|record| (record.id_bytes(), at)))
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

    /// Whether the index and the slab agree: every index entry names a live record filed under
    /// its id's tag, every live record is found by its id at its own slot (so no two live
    /// records share an id, and no entry is out of its probe run), the index counts its full
    /// entries and they are as many as the live slots, and the free list has one entry per
    /// empty slot, each naming an empty slot.
    pub(super) fn consistent(&self) -> bool {
        // Bounded by the slab's length and the index's.
        let live = self.slots.iter().filter(|slot| slot.is_some()).count();
        let free_empty = self
            .free
            .iter()
            .all(|at| self.slots.get(*at as usize).is_some_and(Option::is_none));
        let filed = self.ids.filed().all(|(tag, at)| self.at(at).is_some_and(|record| tag_of(record.id_bytes()) == tag));
        let found = self.iter_unordered().all(|(at, record)| self.handle_of(record.id_bytes()) == Some(at));
        filed
            && found
            && self.ids.filed().count() == self.ids.len
            && live == self.ids.len
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

/// Sorts `(id, handle)` pairs by id (bytewise: a UTF-8 text's order): one function for every
/// kind of record (a sort is ~3 KB of wasm per element type and comparison).
fn sort_by_id(by_id: &mut [(&[u8], u32)]) {
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
            if table.at(at).is_some_and(|record| record.is(id)) {
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
        // 3 hashes for 300 ids: nearly every lookup compares ids of equal tags, and every
        // removal shifts a long run of entries back.
        against_model(3);
    }

    #[test]
    fn a_removal_keeps_the_entries_after_it_reachable() {
        // One hash for every id: one probe run, from one home, wrapping around the array.
        FEW_HASHES.with(|few| few.set(1));
        let mut table: Table<Named> = Table::new();
        let handles: Vec<u32> = (0..12u32).map(|i| table.insert_new(Named(format!("r{i}"), i))).collect();
        for gone in [0usize, 5, 11, 1] {
            assert_eq!(table.remove_at(handles[gone]).map(|r| r.1), Some(gone as u32));
            assert!(table.consistent());
            assert_eq!(table.handle(&format!("r{gone}")), None);
        }
        for (i, at) in handles.iter().enumerate().filter(|(i, _)| ![0, 5, 11, 1].contains(i)) {
            assert_eq!(table.handle(&format!("r{i}")), Some(*at), "r{i} still found");
        }
        FEW_HASHES.with(|few| few.set(0));
    }

    #[test]
    fn a_removal_near_the_end_of_the_array_shifts_entries_that_wrapped_around() {
        // Homes at the last entries of the array, so that their run wraps to the front, then
        // removals in the middle of the run.
        let mut table: Table<Named> = Table::new();
        let mut ids: Vec<String> = Vec::new();
        for n in 0..100_000u32 {
            let id = format!("w{n}");
            if (tag_of(id.as_bytes()) as usize & (ENTRIES_MIN - 1)) >= ENTRIES_MIN - 2 {
                ids.push(id);
            }
            if ids.len() == 8 {
                break;
            }
        }
        let handles: Vec<u32> = ids.iter().enumerate().map(|(i, id)| table.insert_new(Named(id.clone(), i as u32))).collect();
        assert_eq!(table.ids.entries.len(), ENTRIES_MIN);
        for gone in [1usize, 0, 4] {
            table.remove_at(handles[gone]);
            assert!(table.consistent());
            for (i, id) in ids.iter().enumerate() {
                let expected = (![1, 0, 4].iter().take_while(|g| **g != gone).chain([&gone]).any(|g| *g == i)).then_some(handles[i]);
                assert_eq!(table.handle(id), expected, "{id} after removing {gone}");
            }
        }
    }

    #[test]
    fn the_consistency_check_sees_an_index_entry_under_the_wrong_tag() {
        let mut table: Table<Named> = Table::new();
        table.insert_new(Named("a".into(), 1));
        assert!(table.consistent());
        let full = table.ids.entries.iter().position(|e| *e != EMPTY).unwrap();
        table.ids.entries[full] ^= 1 << 40;
        assert!(!table.consistent());
    }

    #[test]
    fn the_consistency_check_sees_one_id_filed_twice_and_one_slot_indexed_twice() {
        // Two live records with one id, both indexed.
        let mut table: Table<Named> = Table::new();
        table.insert_new(Named("a".into(), 1));
        table.insert_new(Named("b".into(), 2));
        assert!(table.consistent());
        let mut twice = table.clone();
        twice.slots.push(Some(Named("a".into(), 3)));
        twice.ids.insert(tag_of(b"a"), 2);
        assert_eq!(twice.len(), 3);
        assert!(!twice.consistent(), "the id a is filed twice");
        // One slot indexed twice: the counts agree, but the slot of b is not indexed.
        let mut same_slot = table.clone();
        let b = same_slot.handle("b").unwrap();
        assert!(same_slot.ids.remove(tag_of(b"b"), b));
        same_slot.ids.insert(tag_of(b"a"), same_slot.handle("a").unwrap());
        assert_eq!((same_slot.len(), b), (2, 1));
        assert!(!same_slot.consistent(), "a's slot is indexed twice and b's not at all");
        // An entry out of its probe run (an empty entry between its home and it): not found.
        let mut moved = table.clone();
        let at = moved.ids.entries.iter().position(|e| *e != EMPTY && entry_handle(*e) == 0).unwrap();
        let entry = moved.ids.entries[at];
        let home = moved.ids.home(entry_tag(entry));
        let away = (home + ENTRIES_MIN / 2) & moved.ids.mask();
        if moved.ids.entries[away] == EMPTY {
            moved.ids.entries[at] = EMPTY;
            moved.ids.entries[away] = entry;
            assert!(!moved.consistent(), "an entry no probe reaches");
        }
        // With one hash for all, the same id twice among entries of equal tags.
        FEW_HASHES.with(|few| few.set(1));
        let mut collided: Table<Named> = Table::new();
        for (i, id) in ["x", "y", "z"].into_iter().enumerate() {
            collided.insert_new(Named(id.into(), i as u32));
        }
        assert!(collided.consistent());
        let mut renamed = collided.clone();
        if let Some(Some(record)) = renamed.slots.get_mut(2) {
            record.0 = "y".into();
        }
        assert!(!renamed.consistent(), "y filed twice among equal tags");
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
