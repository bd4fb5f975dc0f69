//! A small ordered collection of records that carry their own string key (an energy session's
//! order id, a temporary account's id): a sorted `Vec` of boxed records, found by binary search.
//!
//! Why not `BTreeMap<String, T>`: each key/value pair of types instantiates its own copy of the
//! B-tree's insert, remove, rebalancing, clone and drop code (~10 KB of wasm per map, measured on
//! the energy module: HACKING.md "Wasm size budget"), and the systems' maps are small (at most a
//! few thousand records) and bounded by their own limits. Here the per-type code is a binary
//! search and a `Vec` shift; the records are boxed so a shift moves one pointer per record, not
//! the record, and the key is not stored twice. Iteration is in key order, as a `BTreeMap`'s.

/// A record that names its own key.
pub(crate) trait Keyed {
    /// The key the collection is ordered by; it must not change while the record is stored.
    fn key(&self) -> &str;
}

/// Records ordered by their strictly ascending keys (each key at most once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyedVec<T> {
    items: Vec<Box<T>>,
}

impl<T> Default for KeyedVec<T> {
    fn default() -> Self {
        KeyedVec { items: Vec::new() }
    }
}

impl<T: Keyed> KeyedVec<T> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Where `key` is (`Ok`) or would go (`Err`).
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.items.binary_search_by(|item| item.key().cmp(key))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&T> {
        self.find(key).ok().and_then(|index| self.items.get(index)).map(|item| &**item)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        match self.find(key) {
            Ok(index) => self.items.get_mut(index).map(|item| &mut **item),
            Err(_) => None,
        }
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Stores `item`, replacing the record with the same key if there is one.
    pub(crate) fn insert(&mut self, item: T) {
        match self.find(item.key()) {
            Ok(index) => {
                if let Some(slot) = self.items.get_mut(index) {
                    **slot = item;
                }
            }
            Err(index) => self.items.insert(index, Box::new(item)),
        }
    }

    /// Removes and returns the record with `key`.
    pub(crate) fn remove(&mut self, key: &str) -> Option<T> {
        let index = self.find(key).ok()?;
        Some(*self.items.remove(index))
    }

    /// Appends `item` if its key is above every stored key (a restore from records written in
    /// key order); false, and nothing stored, otherwise.
    pub(crate) fn push_ascending(&mut self, item: T) -> bool {
        if self.items.last().is_some_and(|last| last.key() >= item.key()) {
            return false;
        }
        self.items.push(Box::new(item));
        true
    }

    /// The records in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.items.iter().map(|item| &**item)
    }

    /// The keys in order.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.iter().map(|item| item.key().to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Keyed, KeyedVec};

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Record {
        id: String,
        value: u32,
    }

    impl Keyed for Record {
        fn key(&self) -> &str {
            &self.id
        }
    }

    fn record(id: &str, value: u32) -> Record {
        Record { id: id.to_owned(), value }
    }

    #[test]
    fn keeps_records_in_key_order_and_finds_them() {
        let mut map = KeyedVec::new();
        for (id, value) in [("m", 1), ("c", 2), ("x", 3), ("a", 4), ("n", 5)] {
            map.insert(record(id, value));
        }
        assert_eq!(map.keys(), ["a", "c", "m", "n", "x"]);
        assert_eq!(map.len(), 5);
        assert_eq!(map.get("x").map(|r| r.value), Some(3));
        assert_eq!(map.get("b"), None);
        assert!(map.contains_key("a") && !map.contains_key("z"));
        if let Some(r) = map.get_mut("c") {
            r.value = 20;
        }
        assert_eq!(map.get("c").map(|r| r.value), Some(20));
    }

    #[test]
    fn insert_replaces_and_remove_returns_the_record() {
        let mut map = KeyedVec::new();
        map.insert(record("a", 1));
        map.insert(record("b", 2));
        map.insert(record("a", 3));
        assert_eq!(map.len(), 2);
        assert_eq!(map.get("a").map(|r| r.value), Some(3));
        assert_eq!(map.remove("a"), Some(record("a", 3)));
        assert_eq!(map.remove("a"), None);
        assert_eq!(map.keys(), ["b"]);
    }

    #[test]
    fn push_ascending_refuses_a_key_not_above_the_last() {
        let mut map = KeyedVec::new();
        assert!(map.push_ascending(record("a", 1)));
        assert!(map.push_ascending(record("b", 2)));
        assert!(!map.push_ascending(record("b", 3)), "a duplicate key");
        assert!(!map.push_ascending(record("a", 4)), "a key below the last");
        assert_eq!(map.iter().map(|r| r.value).collect::<Vec<_>>(), [1, 2]);
    }
}
