//! The pending holds of each account (debit side): one doubly linked list per account, threaded
//! through two arrays indexed by handle.
//!
//! Why not the ordered set the other two hold indexes use: every hold an operation places or
//! increments first reads its debit account's pending holds (to expire the overdue ones and to
//! count them against [`super::HOLDS_PER_ACCOUNT_MAX`]). In a `BTreeSet<(account, hold)>` of
//! 100,000 pending holds that is a descent of four or five nodes at a random place, each node
//! a cache miss once the ledger holds a million wallets (issue 10: the set's `range` was ~1.2 µs
//! of the ~5.7 µs a random-wallet pair cost over a 10-account ledger's, through the SDK). Here it
//! is one read of the account's list head (`first`, 4 bytes per account), and most wallets have
//! no pending hold at all; placing and resolving a hold touches the hold's own link and its
//! neighbours', never a search.
//!
//! The order of a list is the order holds were linked (newest first), which depends on the
//! history; nothing observable depends on it: the engine counts an account's holds or sorts
//! the overdue ones by id before expiring them, and equality and the invariants compare the
//! lists as sets ([`DebitIndex::entries`]).

use std::collections::BTreeSet;

/// No hold (a list's end, or an account's empty list).
const NONE: u32 = u32::MAX;

/// A hold's place in its debit account's list, while it is pending and listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Link {
    account: u32,
    prev: u32,
    next: u32,
}

/// A hold handle not in any list.
const UNLINKED: Link = Link {
    account: NONE,
    prev: NONE,
    next: NONE,
};

/// Per account handle, the first pending hold debiting it; per hold handle, its link. Both
/// arrays grow to the largest handle listed (bounded by the ledger's account and hold slabs,
/// whose lengths the invariants bound).
#[derive(Debug, Clone, Default)]
pub(super) struct DebitIndex {
    first: Vec<u32>,
    links: Vec<Link>,
    /// Holds listed.
    len: usize,
}

/// Grows `v` with `fill` so that `at` is an index of it.
fn reach<T: Copy>(v: &mut Vec<T>, at: u32, fill: T) -> Option<&mut T> {
    let at = at as usize;
    if v.len() <= at {
        v.resize(at.saturating_add(1), fill);
    }
    v.get_mut(at)
}

impl DebitIndex {
    /// Lists `hold` under `account` (at its front). A hold already listed is left where it is.
    pub(super) fn insert(&mut self, account: u32, hold: u32) {
        if account == NONE || hold == NONE || self.links.get(hold as usize).is_some_and(|l| l.account != NONE) {
            return;
        }
        let Some(head) = reach(&mut self.first, account, NONE) else {
            return;
        };
        let next = core::mem::replace(head, hold);
        if let Some(link) = reach(&mut self.links, hold, UNLINKED) {
            *link = Link { account, prev: NONE, next };
        }
        if let Some(link) = self.links.get_mut(next as usize) {
            link.prev = hold;
        }
        self.len = self.len.saturating_add(1);
    }

    /// Takes `hold` out of `account`'s list (nothing when it is not listed there).
    pub(super) fn remove(&mut self, account: u32, hold: u32) {
        let Some(&Link { account: listed, prev, next }) = self.links.get(hold as usize) else {
            return;
        };
        if listed != account || listed == NONE {
            return;
        }
        match self.links.get_mut(prev as usize) {
            Some(link) => link.next = next,
            None => {
                if let Some(head) = self.first.get_mut(account as usize) {
                    *head = next;
                }
            }
        }
        if let Some(link) = self.links.get_mut(next as usize) {
            link.prev = prev;
        }
        if let Some(link) = self.links.get_mut(hold as usize) {
            *link = UNLINKED;
        }
        self.len = self.len.saturating_sub(1);
    }

    /// The holds listed under `account`, newest first. Bounded by the holds listed (a list
    /// cannot be longer; the bound also ends a walk in a corrupted index).
    pub(super) fn of(&self, account: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.first.get(account as usize).copied().unwrap_or(NONE);
        (0..self.len).map_while(move |_| {
            let hold = at;
            at = self.links.get(hold as usize)?.next;
            Some(hold)
        })
    }

    /// Every (account, hold) listed, as a set, when the lists are well formed (each link's
    /// neighbours point back at it, each listed hold is reached from its account's head, under
    /// that account, once); `None` when not. What equality and the invariants compare.
    pub(super) fn entries(&self) -> Option<BTreeSet<(u64, u32)>> {
        let mut entries = BTreeSet::new();
        for (account, _) in self.first.iter().enumerate() {
            let account = u32::try_from(account).ok()?;
            let mut prev = NONE;
            for hold in self.of(account) {
                let link = self.links.get(hold as usize)?;
                if link.account != account || link.prev != prev || !entries.insert((u64::from(account), hold)) {
                    return None;
                }
                prev = hold;
            }
        }
        let linked = self.links.iter().filter(|l| l.account != NONE).count();
        (entries.len() == self.len && linked == self.len).then_some(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Random inserts and removals against a set model: the lists hold what the model
        /// holds, per account and in all, and stay well formed.
        #[test]
        fn the_lists_agree_with_a_set_model(steps in proptest::collection::vec((any::<bool>(), 0u32..6, 0u32..24), 0..200)) {
            let mut index = DebitIndex::default();
            let mut model: BTreeSet<(u64, u32)> = BTreeSet::new();
            for (add, account, hold) in steps {
                let listed_under = model.iter().find(|(_, h)| *h == hold).map(|(a, _)| *a);
                if add {
                    index.insert(account, hold);
                    if listed_under.is_none() {
                        model.insert((u64::from(account), hold));
                    }
                } else {
                    index.remove(account, hold);
                    model.remove(&(u64::from(account), hold));
                }
                prop_assert_eq!(index.entries(), Some(model.clone()));
                for a in 0..6u32 {
                    let mut listed: Vec<u32> = index.of(a).collect();
                    listed.sort_unstable();
                    let expected: Vec<u32> = model.iter().filter(|(m, _)| *m == u64::from(a)).map(|(_, h)| *h).collect();
                    prop_assert_eq!(listed, expected);
                }
            }
        }
    }

    #[test]
    fn a_broken_link_is_seen() {
        let mut index = DebitIndex::default();
        index.insert(0, 1);
        index.insert(0, 2);
        index.insert(1, 3);
        assert!(index.entries().is_some());
        let mut broken = index.clone();
        if let Some(link) = broken.links.get_mut(1) {
            link.prev = 3;
        }
        assert_eq!(broken.entries(), None);
        let mut broken = index.clone();
        broken.len += 1;
        assert_eq!(broken.entries(), None);
        let mut broken = index;
        if let Some(link) = broken.links.get_mut(3) {
            link.account = 0;
        }
        assert_eq!(broken.entries(), None);
    }
}
