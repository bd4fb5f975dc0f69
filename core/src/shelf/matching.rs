//! The hypothesis search: which combination of lots explains a weight change Δ.
//!
//! A *lot* is units of one kind the search may draw from (what a shopper took in one pick, a
//! lane's own stock, a foreign item left in a lane). Taking `m` units of lot `j` (1 ≤ m ≤ its
//! count) predicts a weight `w(j, m)` and a variance `v(j, m)`:
//!
//! | units taken | `w(j, m)` | `v(j, m)` |
//! |---|---|---|
//! | the whole lot, and its total was measured | the measured total | the measurement's variance |
//! | otherwise | `m · unit` | `m · unitVar` |
//!
//! A hypothesis `h` is a set of (lot, m) with `Σ m ≤ itemsMax`; `W = Σ w`, `V = σ_Δ² + Σ v`; its
//! tolerance is `k · sqrt(V)` and it is *within tolerance* when `(Δ − W)² · 100² ≤ kCenti² · V`
//! (exact integers: `k = kCenti / 100`). Hypotheses within twice the tolerance are kept as
//! evidence; ranked by `z² = (Δ − W)² / V` ascending (compared exactly by cross-multiplying),
//! then fewer units, then the lot/unit list in search order. Each lot has a *kind* (its item
//! type; an unidentified lot a kind of its own): of hypotheses with the same *reading* — the
//! same units of each kind — only the best ranked is kept, so the runner-up is always a
//! different reading (two identical yoghurts from two picks are one reading, not an ambiguity).
//!
//! Search order (exact: the number of combinations tried depends on it, and a limit case's
//! outcome on that number): lots sorted by their lightest addition `min(w(j, 1), w(j, count))`
//! ascending (ties: original order); a
//! depth-first walk adds (j, m) for j after the last lot used and m = 1..=min(count, units
//! left), each addition is one *combination tried*; when the combinations tried would exceed
//! `combinationsMax` the search stops (`limitReached`). A combination heavier than
//! `Δ + band` (band = `2·kCenti/100 · sqrt(Vbound)`, `Vbound` = `σ_Δ² + itemsMax · max_j
//! max(unitVar_j, measVar_j)`, an upper bound of every `V`) is not extended (everything
//! added makes it heavier); when even the next lot's lightest addition makes it so, no later
//! lot is tried (they are sorted). The pruning only skips hypotheses outside the evidence band, so
//! it never changes the answer.

use super::sensor::floor_sqrt;

/// Sorts `v` stably by `order` with an insertion sort. Every list the shelf sorts is short (≤ 200
/// lots, ≤ 1,024 tasks, most ≤ 20): the standard library's stable sort costs ~15 KB of wasm per
/// element type and comparison (58 monomorphs, 100 KB raw, measured with
/// `scripts/wasm-size-origins.mjs`), this one a few hundred bytes; O(n²) moves are nothing at
/// these sizes.
pub(crate) fn insertion_sort_by<T>(v: &mut [T], mut order: impl FnMut(&T, &T) -> core::cmp::Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        // Move v[i] left past every element it orders strictly before (stable: never past an equal).
        while j > 0 {
            let (Some(a), Some(b)) = (v.get(j - 1), v.get(j)) else { break };
            if order(b, a).is_lt() {
                v.swap(j - 1, j);
                j -= 1;
            } else {
                break;
            }
        }
    }
}

/// One lot the search may draw from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    /// Units in the lot (≥ 1).
    pub count: u32,
    /// Predicted weight of one unit, mg (≥ 1).
    pub unit_mg: i64,
    /// Variance of one unit's weight, mg².
    pub unit_var: i128,
    /// The measured total of the whole lot, mg, with its variance, when it was measured.
    pub measured: Option<(i64, i128)>,
}

impl Lot {
    /// The lightest weight the lot can add: `min(w(j, 1), w(j, count))` (a measured total may
    /// be below one unit's predicted weight; every `w(j, m)` is at least this).
    pub fn lightest(&self) -> i64 {
        self.take(1).0.min(self.take(self.count).0)
    }

    /// `w(j, m)` and `v(j, m)`.
    pub fn take(&self, m: u32) -> (i64, i128) {
        match self.measured {
            Some((total, var)) if m == self.count => (total, var),
            _ => (self.unit_mg.saturating_mul(i64::from(m)), self.unit_var.saturating_mul(i128::from(m))),
        }
    }
}

/// A ranked hypothesis: which units of which lots (indices into the caller's lot list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// (lot index, units), in search order.
    pub parts: Vec<(usize, u32)>,
    /// Predicted weight W, mg.
    pub predicted_mg: i64,
    /// V, mg².
    pub variance: i128,
    /// Whether within tolerance (not only within the evidence band).
    pub within: bool,
    /// The reading: (kind, units) sorted by kind.
    pub reading: Vec<(u32, u32)>,
}

impl Found {
    fn units(&self) -> u32 {
        self.parts.iter().map(|p| p.1).sum()
    }
}

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// The best hypotheses in the evidence band, ranked, at most `keep`.
    pub found: Vec<Found>,
    /// Combinations tried.
    pub tried: u32,
    /// The search stopped at `combinationsMax`: `found` is what it saw before.
    pub limit_reached: bool,
}

/// The search's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Δ, mg (> 0: the search explains a magnitude).
    pub delta_mg: i64,
    /// σ_Δ², mg².
    pub delta_var: i128,
    /// k in hundredths.
    pub k_centi: i64,
    /// The most units in one hypothesis.
    pub items_max: u32,
    /// The most combinations tried.
    pub combinations_max: u32,
    /// The most hypotheses kept.
    pub keep: usize,
}

/// `(Δ − W)² · 100² ≤ kCenti² · V · scale²`: within `scale` times the tolerance.
fn within(delta: i64, w: i64, v: i128, k_centi: i64, scale: i128) -> bool {
    let d = i128::from(delta) - i128::from(w);
    let k = i128::from(k_centi) * scale;
    d.saturating_mul(d).saturating_mul(10_000) <= k.saturating_mul(k).saturating_mul(v)
}

/// Orders `a` before `b` (z² ascending, then fewer units, then parts in search order).
fn ranks_before(delta: i64, a: &Found, b: &Found) -> core::cmp::Ordering {
    let da = i128::from(delta) - i128::from(a.predicted_mg);
    let db = i128::from(delta) - i128::from(b.predicted_mg);
    // z²(a) < z²(b)  ⟺  da²·Vb < db²·Va (V > 0).
    let left = da.saturating_mul(da).saturating_mul(b.variance);
    let right = db.saturating_mul(db).saturating_mul(a.variance);
    left.cmp(&right).then(a.units().cmp(&b.units())).then_with(|| a.parts.cmp(&b.parts))
}

/// Runs the search over `lots`; `kinds[j]` is lot `j`'s kind.
pub fn search(lots: &[Lot], kinds: &[u32], p: &Params) -> Search {
    let mut order: Vec<usize> = (0..lots.len()).collect();
    let lightest: Vec<i64> = lots.iter().map(Lot::lightest).collect();
    insertion_sort_by(&mut order, |&a, &b| {
        (lightest.get(a).copied().unwrap_or(i64::MAX), a).cmp(&(lightest.get(b).copied().unwrap_or(i64::MAX), b))
    });
    let var_max = lots
        .iter()
        .map(|l| l.unit_var.max(l.measured.map_or(0, |m| m.1)))
        .max()
        .unwrap_or(0);
    let v_bound = p.delta_var.saturating_add(var_max.saturating_mul(i128::from(p.items_max)));
    // band = floor(2·k·sqrt(Vbound)) + 1 ≥ 2·k·sqrt(V) for every V ≤ Vbound.
    let band = i64::try_from(floor_sqrt((4 * i128::from(p.k_centi).pow(2)).saturating_mul(v_bound).unsigned_abs()) / 100 + 1)
        .unwrap_or(i64::MAX);
    let ceiling = p.delta_mg.saturating_add(band);
    let mut state = Walk { lots, kinds, order: &order, p, ceiling, found: Vec::new(), tried: 0, limit_reached: false, parts: Vec::new() };
    state.walk(0, 0, p.delta_var, 0);
    // `keep` kept the list ranked and at most `p.keep` long.
    Search { found: state.found, tried: state.tried, limit_reached: state.limit_reached }
}

struct Walk<'a> {
    lots: &'a [Lot],
    kinds: &'a [u32],
    order: &'a [usize],
    p: &'a Params,
    ceiling: i64,
    found: Vec<Found>,
    tried: u32,
    limit_reached: bool,
    parts: Vec<(usize, u32)>,
}

impl Walk<'_> {
    /// Extends the current combination (weight `w`, variance `v`, `units` units) with lots from
    /// position `from` of the sorted order. Depth ≤ itemsMax (each level adds ≥ 1 unit).
    fn walk(&mut self, from: usize, w: i64, v: i128, units: u32) {
        for pos in from..self.order.len() {
            let Some(&j) = self.order.get(pos) else { return };
            let Some(lot) = self.lots.get(j) else { return };
            if w.saturating_add(lot.lightest()) > self.ceiling {
                return; // every later lot is at least as heavy
            }
            let m_max = lot.count.min(self.p.items_max.saturating_sub(units));
            for m in 1..=m_max {
                if self.tried >= self.p.combinations_max {
                    self.limit_reached = true;
                    return;
                }
                self.tried += 1;
                let (wm, vm) = lot.take(m);
                let (w2, v2) = (w.saturating_add(wm), v.saturating_add(vm));
                if w2 > self.ceiling {
                    continue; // heavier still with anything added; a larger m may be a measured lot's total
                }
                self.parts.push((j, m));
                if within(self.p.delta_mg, w2, v2, self.p.k_centi, 2) {
                    let within_tol = within(self.p.delta_mg, w2, v2, self.p.k_centi, 1);
                    let reading = self.reading();
                    self.keep(Found { parts: self.parts.clone(), predicted_mg: w2, variance: v2, within: within_tol, reading });
                }
                self.walk(pos + 1, w2, v2, units + m);
                self.parts.pop();
                if self.limit_reached {
                    return;
                }
            }
        }
    }

    /// The current combination's reading: units per kind, sorted by kind (≤ itemsMax entries).
    fn reading(&self) -> Vec<(u32, u32)> {
        let mut r: Vec<(u32, u32)> = Vec::with_capacity(self.parts.len());
        for &(j, m) in &self.parts {
            let kind = self.kinds.get(j).copied().unwrap_or(u32::MAX);
            match r.iter_mut().find(|e| e.0 == kind) {
                Some(e) => e.1 += m,
                None => r.push((kind, m)),
            }
        }
        insertion_sort_by(&mut r, |a, b| a.cmp(b));
        r
    }

    /// Keeps the best `keep` readings, best hypothesis of each (the list stays sorted and at
    /// most `keep` long).
    fn keep(&mut self, f: Found) {
        let delta = self.p.delta_mg;
        if let Some(same) = self.found.iter().position(|g| g.reading == f.reading) {
            let better = self.found.get(same).is_some_and(|g| ranks_before(delta, &f, g).is_lt());
            if !better {
                return;
            }
            self.found.remove(same);
        }
        let at = self.found.partition_point(|g| ranks_before(delta, g, &f).is_le());
        if at < self.p.keep {
            self.found.insert(at, f);
            self.found.truncate(self.p.keep);
        }
    }
}

/// `z²` in thousandths, floor: `floor(1000 · (Δ − W)² / V)`.
pub fn z2_milli(delta: i64, w: i64, v: i128) -> i64 {
    let d = i128::from(delta) - i128::from(w);
    if v <= 0 {
        return i64::MAX;
    }
    i64::try_from(d.saturating_mul(d).saturating_mul(1000) / v).unwrap_or(i64::MAX)
}

/// The tolerance `floor(kCenti/100 · sqrt(V))`, mg.
pub fn tolerance_mg(v: i128, k_centi: i64) -> i64 {
    i64::try_from(floor_sqrt(i128::from(k_centi).pow(2).saturating_mul(v).unsigned_abs()) / 100).unwrap_or(i64::MAX)
}
