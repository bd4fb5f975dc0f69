//! Property tests of System 10 (shelf).
//!
//! 1. The pruned hypothesis search (`shelf::matching::search`) against a brute-force model on
//!    small baskets: the model enumerates *every* combination of at most `itemsMax` units,
//!    keeps those within twice their tolerance, the best of each reading, ranks them by exact
//!    z² (rationals compared by cross-multiplication), fewer units, then parts; the search must
//!    give exactly the same list (parts, W, V, within) — so its pruning never loses an answer.
//! 2. Random sequences of picks, returns (to the right lane, to another, several items, near
//!    twins, several candidate shoppers), task completions and checkouts on a shelf: nothing
//!    panics, valid calls never give an error other than a full table, the shelf stays
//!    consistent after every call, a refused call changes nothing, and the total number of
//!    items (lanes' stock + lane entries of known type + shoppers' typed records + items taken
//!    away by staff or at checkout) is conserved by every decided change.
//!
//! Cases: `PROPTEST_CASES` (default 256 searches, 64 sequences).

use countersign_core::shelf::matching::{search, Lot, Params};
use countersign_core::shelf::sensor::SensorConfig;
use countersign_core::shelf::{FoundItems, ResolveCode, ResolveTask, Verdict, 
    ItemType, LaneSpec, Shelf, ShelfConfig, ShelfSetup, VerdictCode, WeightChange,
};
use countersign_core::ErrorCode;
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn arb_lot() -> impl Strategy<Value = Lot> {
    (1u32..4, 1i64..2_000, 0i128..400, proptest::option::of((1i64..6_000, 0i128..900))).prop_map(
        |(count, unit, var, measured)| Lot { count, unit_mg: unit, unit_var: var, measured },
    )
}

/// All hypotheses by brute force: every assignment of 0..=count units to each lot.
fn brute(lots: &[Lot], kinds: &[u32], p: &Params) -> Vec<(Vec<(usize, u32)>, i64, i128, bool, Vec<(u32, u32)>)> {
    let mut all = Vec::new();
    let mut m = vec![0u32; lots.len()];
    loop {
        let units: u32 = m.iter().sum();
        if units >= 1 && units <= p.items_max {
            let (mut w, mut v) = (0i64, p.delta_var);
            let mut parts = Vec::new();
            let mut reading: Vec<(u32, u32)> = Vec::new();
            for (j, &mj) in m.iter().enumerate() {
                if mj > 0 {
                    let (wj, vj) = lots[j].take(mj);
                    w += wj;
                    v += vj;
                    parts.push((j, mj));
                    match reading.iter_mut().find(|e| e.0 == kinds[j]) {
                        Some(e) => e.1 += mj,
                        None => reading.push((kinds[j], mj)),
                    }
                }
            }
            reading.sort();
            let d = i128::from(p.delta_mg - w);
            let k = i128::from(p.k_centi);
            if d * d * 10_000 <= 4 * k * k * v {
                // Parts in the search's order: lots by (lightest addition, j).
                parts.sort_by_key(|&(j, _)| (lots[j].lightest(), j));
                all.push((parts, w, v, d * d * 10_000 <= k * k * v, reading));
            }
        }
        // Next assignment (odometer).
        let mut i = 0;
        loop {
            if i == m.len() {
                return all;
            }
            if m[i] < lots[i].count {
                m[i] += 1;
                break;
            }
            m[i] = 0;
            i += 1;
        }
    }
}

fn rank_key(delta: i64, a: &(Vec<(usize, u32)>, i64, i128, bool, Vec<(u32, u32)>), b: &(Vec<(usize, u32)>, i64, i128, bool, Vec<(u32, u32)>)) -> std::cmp::Ordering {
    let da = i128::from(delta - a.1);
    let db = i128::from(delta - b.1);
    let ua: u32 = a.0.iter().map(|p| p.1).sum();
    let ub: u32 = b.0.iter().map(|p| p.1).sum();
    (da * da * b.2).cmp(&(db * db * a.2)).then(ua.cmp(&ub)).then(a.0.cmp(&b.0))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn search_equals_brute_force(
        lots in proptest::collection::vec(arb_lot(), 0..6),
        kind_of in proptest::collection::vec(0u32..3, 6),
        delta in 1i64..8_000,
        sigma in 1i64..60,
        k_centi in 100i64..600,
        items_max in 1u32..5,
    ) {
        let kinds: Vec<u32> = kind_of[..lots.len()].to_vec();
        let p = Params { delta_mg: delta, delta_var: i128::from(sigma * sigma), k_centi, items_max, combinations_max: 1_000_000, keep: 5 };
        let got = search(&lots, &kinds, &p);
        prop_assert!(!got.limit_reached);
        let mut all = brute(&lots, &kinds, &p);
        all.sort_by(|a, b| rank_key(delta, a, b));
        let mut best: Vec<_> = Vec::new();
        for h in all {
            if !best.iter().any(|b: &(Vec<(usize, u32)>, i64, i128, bool, Vec<(u32, u32)>)| b.4 == h.4) {
                best.push(h);
            }
        }
        best.truncate(5);
        let got_list: Vec<_> = got.found.iter().map(|f| (f.parts.clone(), f.predicted_mg, f.variance, f.within, f.reading.clone())).collect();
        prop_assert_eq!(got_list, best);
    }
}

const TYPES: [(&str, i64, i64); 5] = [("soup", 540_000, 3_000), ("beans", 538_000, 3_000), ("jam", 300_000, 4_000), ("milk", 1_030_000, 8_000), ("gum", 20_000, 500)];

fn shelf() -> Shelf {
    let sensor = SensorConfig::for_noise(10_000).unwrap();
    Shelf::new(&ShelfSetup {
        shelf_id: "shelf-1".into(),
        config: ShelfConfig { combinations_max: 5_000, ..ShelfConfig::default() },
        item_types: TYPES
            .iter()
            .map(|&(id, w, s)| ItemType { id: id.into(), nominal_mg: w, sigma_mg: s, value_minor: 100, perishable: id == "milk" })
            .collect(),
        lanes: TYPES
            .iter()
            .enumerate()
            .map(|(i, &(id, _, _))| LaneSpec { id: format!("L{i}"), item_type: id.into(), count: 6, sensor })
            .collect(),
    })
    .unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    /// Take `n` items of lane `lane`'s type (Δ from the true weights plus noise).
    Pick { lane: usize, shopper: usize, n: u32, noise: i64, crowd: bool },
    /// Return items of the shopper's records: record indices (mod len) into lane `lane`.
    Return { lane: usize, shopper: usize, records: Vec<usize>, noise: i64, crowd: bool },
    /// A weight nobody holds.
    Stray { lane: usize, grams: i64 },
    Complete { task: usize },
    Checkout { shopper: usize },
    /// A pick and a return in one settling window (the sensor's excursion above its bound).
    Mixed { lane: usize, grams: i64 },
    /// Staff resolve a task with `count` items of type `t` (or nothing), naming the shopper or not.
    Resolve { task: usize, found: Option<(usize, u32)>, shopper: Option<usize> },
    /// The last weight change again, with its idempotency key.
    Retry,
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..5, 0usize..3, 1u32..3, -6_000i64..6_000, any::<bool>()).prop_map(|(lane, shopper, n, noise, crowd)| Op::Pick { lane, shopper, n, noise, crowd: crowd && n == 1 }),
        4 => (0usize..5, 0usize..3, proptest::collection::vec(0usize..8, 1..3), -6_000i64..6_000, any::<bool>()).prop_map(|(lane, shopper, records, noise, crowd)| Op::Return { lane, shopper, records, noise, crowd }),
        1 => (0usize..5, 1i64..2_000).prop_map(|(lane, grams)| Op::Stray { lane, grams }),
        1 => (0usize..8).prop_map(|task| Op::Complete { task }),
        1 => (0usize..3).prop_map(|shopper| Op::Checkout { shopper }),
        1 => (0usize..5, -1_500i64..1_500).prop_map(|(lane, grams)| Op::Mixed { lane, grams }),
        2 => (0usize..8, proptest::option::of((0usize..5, 1u32..3)), proptest::option::of(0usize..3)).prop_map(|(task, found, shopper)| Op::Resolve { task, found, shopper }),
        1 => Just(Op::Retry),
    ]
}

const SHOPPERS: [&str; 3] = ["ann", "bob", "cy"];

/// Items of a known type anywhere (lanes' stock, typed lane entries, typed records).
fn typed_items(s: &Shelf) -> u32 {
    let lanes: u32 = s.lanes().iter().map(|l| l.count + l.entries.iter().filter(|e| e.item_type.is_some()).map(|e| e.count).sum::<u32>()).sum();
    let records: u32 = SHOPPERS.iter().map(|id| s.shopper(id).unwrap().lots.iter().filter(|l| l.item_type.is_some()).map(|l| l.count).sum::<u32>()).sum();
    lanes + records
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    #[test]
    fn shelf_sequences_keep_their_invariants(ops in proptest::collection::vec(arb_op(), 1..60)) {
        let mut s = shelf();
        let mut gone = 0u32; // typed items taken away by staff or at checkout
        let mut now = 1_800_000_000i64;
        let mut last: Option<(WeightChange, Verdict)> = None;
        for op in ops {
            now += 1;
            let key = Some(format!("k{now}"));
            let before = s.clone();
            let items_before = typed_items(&s) + gone;
            let req = match &op {
                Op::Pick { lane, shopper, n, noise, crowd } => {
                    let w = TYPES[*lane].1 * i64::from(*n) + noise;
                    let mut ids = vec![SHOPPERS[*shopper].to_string()];
                    if *crowd { ids.push(SHOPPERS[(shopper + 1) % 3].to_string()); }
                    Some(WeightChange { lane_id: format!("L{lane}"), delta_mg: -w, sigma_mg: 4_473, shopper_ids: ids, now, excursion_mg: None, idempotency_key: key })
                }
                Op::Return { lane, shopper, records, noise, crowd } => {
                    let lots = s.shopper(SHOPPERS[*shopper]).unwrap().lots;
                    if lots.is_empty() { None } else {
                        let mut picked: Vec<usize> = records.iter().map(|r| r % lots.len()).collect();
                        picked.sort();
                        picked.dedup();
                        let w: i64 = picked.iter().map(|&r| lots[r].total_mg).sum::<i64>() + noise;
                        let mut ids = vec![SHOPPERS[*shopper].to_string()];
                        if *crowd { ids.push(SHOPPERS[(shopper + 1) % 3].to_string()); }
                        Some(WeightChange { lane_id: format!("L{lane}"), delta_mg: w.max(1), sigma_mg: 4_473, shopper_ids: ids, now, excursion_mg: None, idempotency_key: key.clone() })
                    }
                }
                Op::Stray { lane, grams } => Some(WeightChange { lane_id: format!("L{lane}"), delta_mg: grams * 1000, sigma_mg: 4_473, shopper_ids: vec!["ann".into()], now, excursion_mg: None, idempotency_key: key.clone() }),
                Op::Complete { task } => {
                    let tasks = s.tasks();
                    if let Some(t) = tasks.get(*task) {
                        let lot = s.complete_task(&t.id).unwrap();
                        if lot.item_type.is_some() { gone += lot.count; }
                    }
                    None
                }
                Op::Checkout { shopper } => {
                    let lots = s.checkout(SHOPPERS[*shopper], key.as_deref()).unwrap();
                    // A retry answers the same records and changes nothing.
                    let after = s.clone();
                    prop_assert_eq!(&s.checkout(SHOPPERS[*shopper], key.as_deref()).unwrap(), &lots);
                    prop_assert_eq!(&s, &after);
                    gone += lots.iter().filter(|l| l.item_type.is_some()).map(|l| l.count).sum::<u32>();
                    None
                }
                Op::Mixed { lane, grams } => Some(WeightChange {
                    lane_id: format!("L{lane}"),
                    delta_mg: grams * 1000,
                    sigma_mg: 4_473,
                    shopper_ids: vec!["ann".into(), "bob".into()],
                    now,
                    excursion_mg: Some(300_000),
                    idempotency_key: key,
                }),
                Op::Resolve { task, found, shopper } => {
                    let tasks = s.tasks();
                    if let Some(t) = tasks.get(*task) {
                        let req = ResolveTask {
                            task_id: t.id.clone(),
                            found: found.map(|(ty, count)| FoundItems { item_type: TYPES[ty].0.to_string(), count }),
                            shopper_id: shopper.map(|i| SHOPPERS[i].to_string()),
                            idempotency_key: key,
                        };
                        let r = s.resolve_task(&req).unwrap();
                        if r.code == ResolveCode::Resolved {
                            prop_assert!(s.tasks().iter().all(|x| x.id != t.id));
                            // Found items left the records: into the lane's stock, or carried away by staff.
                            if let Some(f) = &req.found {
                                prop_assert!(r.shopper_id.is_some());
                                gone += f.count - r.to_stock;
                            }
                        } else {
                            prop_assert_eq!(&s, &before, "a refused resolution changed the shelf");
                        }
                        // The same key and request again: the same answer, nothing changes.
                        let after = s.clone();
                        prop_assert_eq!(s.resolve_task(&req).unwrap(), r);
                        prop_assert_eq!(&s, &after);
                    }
                    None
                }
                Op::Retry => {
                    if let Some((req, v)) = &last {
                        let after = s.clone();
                        prop_assert_eq!(&s.weight_change(req).unwrap(), v);
                        prop_assert_eq!(&s, &after, "a retry changed the shelf");
                    }
                    None
                }
            };
            if let Some(req) = req {
                match s.weight_change(&req) {
                    Ok(v) => {
                        if req.excursion_mg.is_some() {
                            prop_assert_eq!(v.code, VerdictCode::Unattributable);
                            prop_assert_eq!(&s.lanes().iter().map(|l| (l.count, s.shopper("ann").unwrap(), s.shopper("bob").unwrap())).collect::<Vec<_>>(),
                                &before.lanes().iter().map(|l| (l.count, before.shopper("ann").unwrap(), before.shopper("bob").unwrap())).collect::<Vec<_>>(),
                                "an unattributable change moved no count and no record");
                        }
                        last = Some((req.clone(), v.clone()));
                        // A pick with several candidates leaves the lane for nobody's record.
                        if v.code == VerdictCode::Picked && !v.attributed {
                            let taken: u32 = v.evidence.hypotheses[0].parts.iter().filter(|p| p.item_type.is_some()).map(|p| p.count).sum();
                            gone += taken;
                        }
                        // Within tolerance means |Δ − W| ≤ k·sqrt(V) (tolerance_mg is its floor).
                        for h in &v.evidence.hypotheses {
                            if h.within_tolerance {
                                prop_assert!((req.delta_mg.abs() - h.predicted_mg).abs() <= h.tolerance_mg + 1, "{:?}", h);
                            }
                        }
                    }
                    Err(e) => {
                        prop_assert_eq!(e.code(), ErrorCode::LimitExceeded, "{:?}", e);
                        prop_assert_eq!(&s, &before);
                    }
                }
            }
            prop_assert!(s.is_consistent(), "{:?}\n{:?}", op, s);
            prop_assert_eq!(typed_items(&s) + gone, items_before, "items are conserved: {:?}", op);
        }
    }
}
