//! Accounts and holds kept in a slab (a `Vec` of records addressed by a `u32` handle) with one
//! id → handle index per kind.
//!
//! Why: the derived indexes (deadlines, an account's pending holds, the resolution order) then
//! hold integers, not copies of ids, so keeping them allocates nothing and a lookup compares
//! integers; and every kind shares one `BTreeMap<String, u32>` and one `BTreeSet<(u64, u32)>`,
//! instead of a `BTreeMap`/`BTreeSet` per key and value type (each type is a copy of the
//! B-tree's insert, remove, clone and drop code in the wasm module). An id is stored in its
//! record (for views, snapshots and the journal) and once as the index key, which also gives
//! the id order the canonical encoding iterates in.

use std::cell::Cell;
use std::collections::BTreeMap;

/// A record a [`Table`] files under its id.
pub(super) trait Record {
    fn id(&self) -> &str;
}

/// The records of one kind: a slab and its id index. Live records are bounded by the ledger's
/// limits (accounts by `ACCOUNTS_MAX`, holds by `HOLDS_MAX + HOLDS_RESOLVED_RETAINED_MAX` plus the
/// one hold an operation places before the oldest resolved one is forgotten); a removed
/// record's slot goes on the free list and is reused first, so the slab never grows past the
/// most records live at once.
#[derive(Debug, Clone)]
pub(super) struct Table<T> {
    slots: Vec<Option<T>>,
    /// Empty slots, reused last-freed first.
    free: Vec<u32>,
    /// Every live record's handle, by id.
    ids: BTreeMap<String, u32>,
}

impl<T: Record> Table<T> {
    pub(super) fn new() -> Self {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            ids: BTreeMap::new(),
        }
    }

    /// Live records.
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The slab's length (live and free slots): what the records' memory is bounded by.
    pub(super) fn slots(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn handle(&self, id: &str) -> Option<u32> {
        self.ids.get(id).copied()
    }

    pub(super) fn contains_key(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    pub(super) fn get(&self, id: &str) -> Option<&T> {
        self.handle(id).and_then(|at| self.at(at))
    }

    /// The record at `handle` (`None` for a free or unknown slot).
    pub(super) fn at(&self, handle: u32) -> Option<&T> {
        self.slots.get(handle as usize).and_then(Option::as_ref)
    }

    #[cfg(test)]
    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        let at = self.handle(id)?;
        self.slots.get_mut(at as usize).and_then(Option::as_mut)
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
        let id = record.id().to_owned();
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
        self.ids.insert(id, at);
        at
    }

    /// Removes the record at `handle` and frees its slot.
    pub(super) fn remove_at(&mut self, handle: u32) -> Option<T> {
        let record = self.slots.get_mut(handle as usize)?.take()?;
        self.ids.remove(record.id());
        self.free.push(handle);
        Some(record)
    }

    /// The live records by id, with their handles.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.ids.values().filter_map(|at| self.at(*at).map(|record| (*at, record)))
    }

    /// The live records by id.
    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.iter().map(|(_, record)| record)
    }

    /// Whether the index and the slab agree: every indexed id names a live record with that id,
    /// no other slot is live, and the free list has one entry per empty slot, each naming an
    /// empty slot.
    pub(super) fn consistent(&self) -> bool {
        let indexed = self
            .ids
            .iter()
            .all(|(id, at)| self.at(*at).is_some_and(|record| record.id() == id));
        // Bounded by the slab's length.
        let live = self.slots.iter().filter(|slot| slot.is_some()).count();
        let free_empty = self
            .free
            .iter()
            .all(|at| self.slots.get(*at as usize).is_some_and(Option::is_none));
        indexed && live == self.ids.len() && live.saturating_add(self.free.len()) == self.slots.len() && free_empty
    }

    /// Logical equality: the same records under the same ids, wherever their slots are.
    pub(super) fn same_records(&self, other: &Self) -> bool
    where
        T: PartialEq,
    {
        self.len() == other.len() && self.values().eq(other.values())
    }
}

/// The handles of the last two records an operation looked up in one [`Table`], so that reading
/// the same hold or account again (an operation reads its hold and its two accounts several
/// times) compares one id instead of searching the index (~12 string compares among 4,096).
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
