//! One small sort for the core's few sorts of distinct keys.
//!
//! The standard library's `sort_unstable_by` compiles to ~6 KB of wasm per element type and
//! comparison (quicksort, small-sort networks, heapsort fallback: measured with
//! `scripts/wasm-size-origins.mjs`), and every module carries the one `Amount::split` needs. A
//! heapsort is a few hundred bytes, O(n log n) in the worst case and allocates nothing. It is not
//! stable: callers sort keys that are all distinct, for which every correct sort gives the same
//! order.

use core::cmp::Ordering;

/// Sorts `v` in ascending `order` (a total order; the keys distinct, see the module docs).
pub(crate) fn heap_sort_by<T>(v: &mut [T], mut order: impl FnMut(&T, &T) -> Ordering) {
    let len = v.len();
    // Build a max-heap bottom-up, then move its top behind the shrinking heap `len - 1` times.
    for node in (0..len / 2).rev() {
        sift_down(v, node, len, &mut order);
    }
    for end in (1..len).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &mut order);
    }
}

/// Moves `v[node]` down the max-heap `v[..end]` until neither child orders after it.
fn sift_down<T>(v: &mut [T], mut node: usize, end: usize, order: &mut impl FnMut(&T, &T) -> Ordering) {
    // Each step at least doubles `node`, so this ends within log2(end) + 1 steps.
    loop {
        let Some(left) = node.checked_mul(2).and_then(|n| n.checked_add(1)).filter(|&c| c < end) else {
            return;
        };
        let right = left + 1;
        let child = if right < end && after(v, right, left, order) { right } else { left };
        if !after(v, child, node, order) {
            return;
        }
        v.swap(node, child);
        node = child;
    }
}

/// Whether `v[a]` orders after `v[b]` (both are in bounds: the callers' indexes are below `end`).
fn after<T>(v: &[T], a: usize, b: usize, order: &mut impl FnMut(&T, &T) -> Ordering) -> bool {
    match (v.get(a), v.get(b)) {
        (Some(x), Some(y)) => order(x, y) == Ordering::Greater,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::heap_sort_by;

    /// Every length up to 40 and a long one, in several input orders: the result is the standard
    /// library's sort.
    #[test]
    fn sorts_like_the_standard_sort() {
        let mut lengths: Vec<usize> = (0..=40).collect();
        lengths.push(1000);
        for len in lengths {
            let inputs: [Vec<u64>; 4] = [
                (0..len as u64).collect(),
                (0..len as u64).rev().collect(),
                (0..len as u64).map(|i| i.wrapping_mul(2_654_435_761) % 1_000_003).collect(),
                (0..len as u64).map(|i| (i * 7919) % (len as u64 + 1)).collect(),
            ];
            for input in inputs {
                let mut ours = input.clone();
                heap_sort_by(&mut ours, |a, b| a.cmp(b));
                let mut expected = input;
                expected.sort();
                assert_eq!(ours, expected, "length {len}");
            }
        }
    }

    #[test]
    fn follows_the_given_order() {
        let mut pairs = vec![(3u128, 0usize), (9, 1), (3, 2), (1, 3), (9, 4)];
        // Largest first, then index: the order `Amount::split` gives its remainders.
        heap_sort_by(&mut pairs, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        assert_eq!(pairs, vec![(9, 1), (9, 4), (3, 0), (3, 2), (1, 3)]);
    }
}
