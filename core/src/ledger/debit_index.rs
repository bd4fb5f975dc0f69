//! The pending holds of each account (debit side): one doubly linked list per account, its head
//! in the account's record, its links in one array indexed by hold handle.
//!
//! Why not the ordered set the other two hold indexes use: every hold an operation places or
//! increments first reads its debit account's pending holds (to expire the overdue ones and to
//! count them against [`super::HOLDS_PER_ACCOUNT_MAX`]). In a `BTreeSet<(account, hold)>` of
//! 100,000 pending holds that is a descent of four or five nodes at a random place, each node
//! a cache miss once the ledger holds a million wallets (issue 10: the set's `range` was ~1.2 µs
//! of the ~5.7 µs a random-wallet pair cost over a 10-account ledger's, through the SDK). Here it
//! is the account's list head, read with its record ([`ListHead`]: an array of heads beside the
//! records was one more miss per hold placed), and most wallets have no pending hold at all;
//! placing and resolving a hold touches the hold's own link and its neighbours', never a search.
//!
//! The order of a list is the order holds were linked (newest first), which depends on the
//! history; nothing observable depends on it: the engine counts an account's holds or sorts
//! the overdue ones by id before expiring them, and equality and the invariants compare the
//! lists as sets ([`DebitIndex::entries`]).

use std::collections::BTreeSet;

/// No hold (a list's end, or an account's empty list).
const NONE: u32 = u32::MAX;

/// The first pending hold debiting an account, kept in the account's record. Derived state, as
/// the links are: never encoded, and any two heads are equal (records compare by what they
/// record; the lists compare as sets). Whoever replaces an account's record keeps the head that
/// is there ([`super::Ledger::replace_account_at`]): a record copied before a hold was linked
/// or unlinked carries a stale one.
#[derive(Debug, Clone, Copy)]
pub(super) struct ListHead(u32);

impl Default for ListHead {
    fn default() -> Self {
        ListHead(NONE)
    }
}

impl PartialEq for ListHead {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ListHead {}

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

/// Per hold handle, its link. The array grows to the largest hold handle listed (bounded by the
/// ledger's hold slab, whose length the invariants bound).
#[derive(Debug, Clone, Default)]
pub(super) struct DebitIndex {
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
    /// Lists `hold` under `account`, whose list head is `head` (at its front). A hold already
    /// listed is left where it is.
    pub(super) fn insert(&mut self, head: &mut ListHead, account: u32, hold: u32) {
        if account == NONE || hold == NONE || self.links.get(hold as usize).is_some_and(|l| l.account != NONE) {
            return;
        }
        let next = core::mem::replace(&mut head.0, hold);
        if let Some(link) = reach(&mut self.links, hold, UNLINKED) {
            *link = Link { account, prev: NONE, next };
        }
        if let Some(link) = self.links.get_mut(next as usize) {
            link.prev = hold;
        }
        self.len = self.len.saturating_add(1);
    }

    /// Takes `hold` out of `account`'s list, whose head is `head` (nothing when it is not
    /// listed there).
    pub(super) fn remove(&mut self, head: &mut ListHead, account: u32, hold: u32) {
        let Some(&Link { account: listed, prev, next }) = self.links.get(hold as usize) else {
            return;
        };
        if listed != account || listed == NONE {
            return;
        }
        match self.links.get_mut(prev as usize) {
            Some(link) => link.next = next,
            None => head.0 = next,
        }
        if let Some(link) = self.links.get_mut(next as usize) {
            link.prev = prev;
        }
        if let Some(link) = self.links.get_mut(hold as usize) {
            *link = UNLINKED;
        }
        self.len = self.len.saturating_sub(1);
    }

    /// The holds of the list that starts at `head`, newest first. Bounded by the holds listed
    /// (a list cannot be longer; the bound also ends a walk in a corrupted index).
    pub(super) fn of(&self, head: ListHead) -> impl Iterator<Item = u32> + '_ {
        let mut at = head.0;
        (0..self.len).map_while(move |_| {
            let hold = at;
            at = self.links.get(hold as usize)?.next;
            Some(hold)
        })
    }

    /// Every (account, hold) listed, as a set, when the lists of the accounts `heads` names
    /// (account handle, its head; each account once) are well formed (each link's neighbours
    /// point back at it, each listed hold is reached from its account's head, under that
    /// account, once, and no hold is listed beyond them); `None` when not. What equality and
    /// the invariants compare.
    pub(super) fn entries(&self, heads: impl Iterator<Item = (u32, ListHead)>) -> Option<BTreeSet<(u64, u32)>> {
        let mut entries = BTreeSet::new();
        for (account, head) in heads {
            let mut prev = NONE;
            for hold in self.of(head) {
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

    /// The heads of accounts 0, 1, …, as their records would keep them.
    fn heads_of(heads: &[ListHead]) -> impl Iterator<Item = (u32, ListHead)> + '_ {
        heads.iter().enumerate().map(|(a, head)| (a as u32, *head))
    }

    proptest! {
        /// Random inserts and removals against a set model: the lists hold what the model
        /// holds, per account and in all, and stay well formed.
        #[test]
        fn the_lists_agree_with_a_set_model(steps in proptest::collection::vec((any::<bool>(), 0u32..6, 0u32..24), 0..200)) {
            let mut index = DebitIndex::default();
            let mut heads = [ListHead::default(); 6];
            let mut model: BTreeSet<(u64, u32)> = BTreeSet::new();
            for (add, account, hold) in steps {
                let listed_under = model.iter().find(|(_, h)| *h == hold).map(|(a, _)| *a);
                let head = &mut heads[account as usize];
                if add {
                    index.insert(head, account, hold);
                    if listed_under.is_none() {
                        model.insert((u64::from(account), hold));
                    }
                } else {
                    index.remove(head, account, hold);
                    model.remove(&(u64::from(account), hold));
                }
                prop_assert_eq!(index.entries(heads_of(&heads)), Some(model.clone()));
                for a in 0..6u32 {
                    let mut listed: Vec<u32> = index.of(heads[a as usize]).collect();
                    listed.sort_unstable();
                    let expected: Vec<u32> = model.iter().filter(|(m, _)| *m == u64::from(a)).map(|(_, h)| *h).collect();
                    prop_assert_eq!(listed, expected);
                }
            }
        }
    }

    #[test]
    fn a_broken_link_or_head_is_seen() {
        let mut index = DebitIndex::default();
        let mut heads = [ListHead::default(); 2];
        index.insert(&mut heads[0], 0, 1);
        index.insert(&mut heads[0], 0, 2);
        index.insert(&mut heads[1], 1, 3);
        assert!(index.entries(heads_of(&heads)).is_some());
        let mut broken = index.clone();
        if let Some(link) = broken.links.get_mut(1) {
            link.prev = 3;
        }
        assert_eq!(broken.entries(heads_of(&heads)), None);
        let mut broken = index.clone();
        broken.len += 1;
        assert_eq!(broken.entries(heads_of(&heads)), None);
        let mut broken = index.clone();
        if let Some(link) = broken.links.get_mut(3) {
            link.account = 0;
        }
        assert_eq!(broken.entries(heads_of(&heads)), None);
        // A stale head (a record replaced without keeping it): the hold in front is unreachable.
        let stale = [ListHead(1), heads[1]];
        assert_eq!(index.entries(heads_of(&stale)), None);
        // A head pointing into another account's list.
        let crossed = [heads[0], ListHead(2)];
        assert_eq!(index.entries(heads_of(&crossed)), None);
    }
}
