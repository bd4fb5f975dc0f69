//! The adversarial simulator: an issuer's tool to choose offline limits.
//!
//! Pure and deterministic: the same [`SimConfig`] (its `seed` included) gives the same
//! [`SimReport`] on every platform. Time runs in steps of `stepS` seconds. Each step every
//! card pays, with probability `payPercent`, a random merchant or card a random amount up to its
//! single limit; merchants deposit every step; card `i` comes online every `offlineSteps` steps
//! (offset by `i`), sends its log and accepts the answer.
//!
//! Attackers ([`AttackKind`]), each on one card from a start step:
//!
//! | attack | what the attacker does | what should catch it |
//! |---|---|---|
//! | `clone` | copies the card; the twin spends the same counters at other merchants and comes online | `DOUBLE_SPEND` (deposits), `CLONED_CARD` (the twin's log) |
//! | `replay` | a relay captures the card's sync request and sends it again later | `REPLAYED_COUNTER` (refused; the card is not flagged) |
//! | `rollback` | snapshots the card, lets it sync, restores the snapshot and spends again | `CLONED_CARD` / `DOUBLE_SPEND` / `ROLLBACK` |
//! | `double-spend` | a card whose firmware signs the same counter twice, to two merchants | `DOUBLE_SPEND` |
//! | `relay` | a colluding merchant deposits a payment captured on its way to another merchant | `WRONG_PAYEE` |
//!
//! *Time to detection* is the number of seconds from the attack's first fraudulent act to the
//! first finding that names it. *Value at risk* is the value the attacker obtained beyond what
//! it had (paid out twice); the report gives it per attack and as a step-by-step series.

use serde::{Deserialize, Serialize};

use crate::ecash::backend::*;
use crate::ecash::card::*;
use crate::ecash::record::*;
use crate::envelope::{Alg, Signer};
use crate::error::{Error, ErrorCode, Result};

/// Most cards in one run.
pub const SIM_CARDS_MAX: u32 = 10_000;
/// Most merchants in one run.
pub const SIM_MERCHANTS_MAX: u32 = 1_000;
/// Most steps in one run.
pub const SIM_STEPS_MAX: u32 = 10_000;
/// Most attacks in one run.
pub const SIM_ATTACKS_MAX: usize = 64;

/// An attack the simulator injects.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttackKind {
    /// A cloned card.
    Clone,
    /// A replayed sync request.
    Replay,
    /// A restored old snapshot.
    Rollback,
    /// The same counter signed twice.
    DoubleSpend,
    /// A captured payment deposited by another merchant.
    Relay,
}

/// One injected attack.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attack {
    /// What.
    pub kind: AttackKind,
    /// The card index it works on.
    pub card: u32,
    /// The step it starts at.
    pub step: u32,
}

/// A simulation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimConfig {
    /// The seed of every random choice.
    pub seed: u64,
    /// Cards, 2..=[`SIM_CARDS_MAX`].
    pub cards: u32,
    /// Merchants, 2..=[`SIM_MERCHANTS_MAX`].
    pub merchants: u32,
    /// Steps, 1..=[`SIM_STEPS_MAX`].
    pub steps: u32,
    /// Seconds per step, ≥ 1.
    pub step_s: i64,
    /// A card comes online every this many steps, ≥ 1.
    pub offline_steps: u32,
    /// Chance that a card pays in a step, per cent (0..=100).
    pub pay_percent: u32,
    /// Opening balance of each card, minor units.
    pub opening_balance: u64,
    /// The offline limits under test (`validUntil` is set from `validityS`).
    pub limits: OfflineLimits,
    /// Validity of security information, seconds.
    pub validity_s: i64,
    /// The attacks.
    pub attacks: Vec<Attack>,
}

/// What became of one attack.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttackResult {
    /// The attack.
    pub attack: Attack,
    /// Whether a finding named it.
    pub detected: bool,
    /// The first finding's code.
    pub code: Option<RuleCode>,
    /// Seconds from the first fraudulent act to detection.
    pub seconds_to_detection: Option<i64>,
    /// Value obtained beyond the attacker's own, minor units.
    pub value_at_risk: u64,
}

/// The report of a run.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ecash.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimReport {
    /// Per attack.
    pub attacks: Vec<AttackResult>,
    /// Detected attacks per thousand attacks (1000 when there are none).
    pub detection_per_mille: u32,
    /// Honest cards that any finding named (should be empty).
    pub honest_flagged: Vec<String>,
    /// Offline payments made.
    pub payments: u64,
    /// Value at risk (obtained by undetected-yet attacks, cumulative) at the end of each step.
    pub value_at_risk_by_step: Vec<u64>,
    /// The largest value at risk the limits allow per attacking card and offline period:
    /// `min(cumulativeMax, countMax × singleMax)`.
    pub value_at_risk_bound: u64,
}

/// SplitMix64: a tiny, well-mixed, portable generator (the simulator needs reproducibility, not
/// cryptographic quality).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// A card key derived from the seed and the card's index (deterministic, distinct).
fn key_of(seed: u64, tag: u8, index: u32) -> [u8; 32] {
    let mut bytes = Vec::with_capacity(13);
    bytes.extend_from_slice(&seed.to_be_bytes());
    bytes.push(tag);
    bytes.extend_from_slice(&index.to_be_bytes());
    crate::crypto::sha256(&bytes)
}

fn invalid(param: &'static str, message: &str) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message.to_owned())
}

impl SimConfig {
    /// Errors: `INVALID_ARGUMENT` naming the field.
    pub fn check(&self) -> Result<()> {
        if !(2..=SIM_CARDS_MAX).contains(&self.cards) {
            return Err(invalid("cards", "must be 2..=10000"));
        }
        if !(2..=SIM_MERCHANTS_MAX).contains(&self.merchants) {
            return Err(invalid("merchants", "must be 2..=1000"));
        }
        if !(1..=SIM_STEPS_MAX).contains(&self.steps) {
            return Err(invalid("steps", "must be 1..=10000"));
        }
        if self.step_s < 1 || self.step_s > 86_400 {
            return Err(invalid("stepS", "must be 1..=86400"));
        }
        if self.offline_steps < 1 {
            return Err(invalid("offlineSteps", "must be ≥ 1"));
        }
        if self.pay_percent > 100 {
            return Err(invalid("payPercent", "must be 0..=100"));
        }
        if self.opening_balance > AMOUNT_MINOR_MAX {
            return Err(invalid("openingBalance", "above AMOUNT_MINOR_MAX"));
        }
        self.limits.check()?;
        if self.validity_s < 1 {
            return Err(invalid("validityS", "must be ≥ 1"));
        }
        if self.attacks.len() > SIM_ATTACKS_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "attacks", "more than SIM_ATTACKS_MAX"));
        }
        for a in &self.attacks {
            if a.card >= self.cards {
                return Err(invalid("attacks.card", "no such card"));
            }
            if a.step >= self.steps {
                return Err(invalid("attacks.step", "after the last step"));
            }
        }
        let mut cards: Vec<u32> = self.attacks.iter().map(|a| a.card).collect();
        cards.sort_unstable();
        if cards.windows(2).any(|w| w.first() == w.get(1)) {
            return Err(invalid("attacks.card", "one attack per card"));
        }
        Ok(())
    }
}

const ISSUER_KEY_ID: &str = "issuer-sim";

fn card_id(i: u32) -> String {
    format!("card-{i}")
}
fn merchant_id(i: u32) -> String {
    format!("shop-{i}")
}

/// The state of an attacker between steps.
struct Attacker {
    attack: Attack,
    /// Clone's twin, or rollback's snapshot.
    other: Option<Card>,
    /// A captured sync request (replay) or payment (relay).
    captured_sync: Option<SyncRequest>,
    captured_payment: Option<Record>,
    first_act: Option<i64>,
    detected_at: Option<(i64, RuleCode)>,
    value: u64,
}

/// Runs a simulation. Errors: those of [`SimConfig::check`].
pub fn run(config: &SimConfig) -> Result<SimReport> {
    config.check()?;
    let mut rng = Rng(config.seed);
    let issuer_secret = key_of(config.seed, 0, 0);
    let signer = Signer { alg: Alg::EdDSA, key_id: ISSUER_KEY_ID, secret_key: &issuer_secret };
    let issuer = IssuerKey { key_id: ISSUER_KEY_ID.to_owned(), public_key: crate::crypto::ed25519::public_key(&issuer_secret)? };
    let velocity = Velocity {
        window_s: config.step_s.saturating_mul(i64::from(config.offline_steps)),
        count_max: config.limits.count_max.saturating_mul(2),
        amount_max: config.limits.cumulative_max.saturating_mul(2),
    };
    let mut backend = Backend::new(Policy {
        limits: config.limits,
        validity_s: config.validity_s,
        counter_window: OFFLINE_WINDOW_MAX,
        rules: Rules::with_velocity(velocity),
    })?;
    let t0: i64 = 1_700_000_000;
    let mut cards = Vec::with_capacity(config.cards as usize);
    for i in 0..config.cards {
        let secret = key_of(config.seed, 1, i);
        let public = crate::crypto::ed25519::public_key(&secret)?;
        let security = backend.register(&signer, &card_id(i), public, config.opening_balance, t0)?;
        cards.push(Card::new(&card_id(i), &secret, issuer.clone(), &security, t0)?);
    }
    let mut merchants = Vec::with_capacity(config.merchants as usize);
    for m in 0..config.merchants {
        merchants.push(Merchant::new(&merchant_id(m), issuer.clone())?);
    }
    let mut attackers: Vec<Attacker> = config
        .attacks
        .iter()
        .map(|&attack| Attacker { attack, other: None, captured_sync: None, captured_payment: None, first_act: None, detected_at: None, value: 0 })
        .collect();
    let attacked: Vec<String> = config.attacks.iter().map(|a| card_id(a.card)).collect();
    let mut honest_flagged: Vec<String> = Vec::new();
    let mut payments = 0u64;
    let mut by_step = Vec::with_capacity(config.steps as usize);

    for step in 0..config.steps {
        let now = t0 + i64::from(step + 1) * config.step_s;
        let mut findings: Vec<Finding> = Vec::new();
        // Honest payments.
        for i in 0..config.cards {
            if rng.below(100) >= u64::from(config.pay_percent) {
                continue;
            }
            let amount = 1 + rng.below(config.limits.single_max.max(1));
            let to_card = rng.below(4) == 0;
            let target = if to_card { rng.below(u64::from(config.cards)) as u32 } else { rng.below(u64::from(config.merchants)) as u32 };
            if to_card && target == i {
                continue;
            }
            let Some(card) = cards.get_mut(i as usize) else { continue };
            let payee = if to_card { card_id(target) } else { merchant_id(target) };
            let Ok(payment) = card.pay(&payee, amount, now)? else { continue };
            let ack = if to_card {
                cards.get_mut(target as usize).and_then(|c| c.receive(&payment, now).ok()?.ok())
            } else {
                merchants.get_mut(target as usize).and_then(|m| m.receive(&payment, now).ok())
            };
            if let Some(card) = cards.get_mut(i as usize) {
                // A refused payment stays reserved: it goes to the back-end as sent (the record
                // was signed) and the payee can no longer claim it; the value is then the
                // issuer's to refund, which this model does not.
                if let Some(ack) = ack {
                    card.confirm(&ack);
                }
            }
            payments += 1;
            for a in attackers.iter_mut() {
                if a.attack.kind == AttackKind::Relay && a.attack.card == i && a.attack.step <= step && a.captured_payment.is_none() && !to_card {
                    a.captured_payment = Some(payment.record.clone());
                }
            }
        }
        // Attacks.
        for a in attackers.iter_mut() {
            let index = a.attack.card as usize;
            if a.attack.step > step {
                continue;
            }
            let Some(card) = cards.get_mut(index) else { continue };
            match a.attack.kind {
                AttackKind::Clone => {
                    if a.other.is_none() {
                        a.other = Some(card.clone());
                    }
                    if let Some(twin) = a.other.as_mut() {
                        let shop = merchant_id(rng.below(u64::from(config.merchants)) as u32);
                        let amount = twin.security().limits.single_max.min(twin.available());
                        if amount > 0 {
                            if let Ok(Ok(payment)) = twin.pay(&shop, amount, now) {
                                if let Some(m) = merchants.iter_mut().find(|m| m.id() == shop) {
                                    if let Ok(ack) = m.receive(&payment, now) {
                                        twin.confirm(&ack);
                                        a.value = a.value.saturating_add(amount);
                                        a.first_act.get_or_insert(now);
                                    }
                                }
                            }
                        }
                    }
                }
                AttackKind::DoubleSpend => {
                    if a.first_act.is_none() && card.reserved() == 0 {
                        let amount = card.security().limits.single_max.min(card.available());
                        if amount > 0 {
                            // The firmware signs the next counter twice, to two merchants.
                            let before = card.clone();
                            let first = card.pay(&merchant_id(0), amount, now)?;
                            let mut forked = before;
                            let second = forked.pay(&merchant_id(1), amount, now)?;
                            if let (Ok(p1), Ok(p2)) = (first, second) {
                                let m0 = merchants.get_mut(0).map(|m| m.receive(&p1, now));
                                let m1 = merchants.get_mut(1).map(|m| m.receive(&p2, now));
                                if let Some(Ok(ack)) = m0 {
                                    card.confirm(&ack);
                                }
                                if matches!(m1, Some(Ok(_))) {
                                    a.value = a.value.saturating_add(amount);
                                    a.first_act = Some(now);
                                }
                            }
                        }
                    }
                }
                AttackKind::Rollback => {
                    if a.other.is_none() && a.first_act.is_none() {
                        a.other = Some(card.clone());
                    } else if a.first_act.is_none() && card.security().synced_counter > a.other.as_ref().map_or(0, |s| s.security().synced_counter) {
                        // The card synced since the snapshot: restore it and spend again.
                        if let Some(snapshot) = a.other.take() {
                            *card = snapshot;
                            let amount = card.security().limits.single_max.min(card.available());
                            let shop = merchant_id(rng.below(u64::from(config.merchants)) as u32);
                            if amount > 0 {
                                if let Ok(Ok(payment)) = card.pay(&shop, amount, now) {
                                    if let Some(m) = merchants.iter_mut().find(|m| m.id() == shop) {
                                        if let Ok(ack) = m.receive(&payment, now) {
                                            card.confirm(&ack);
                                            a.value = a.value.saturating_add(amount);
                                            a.first_act = Some(now);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                AttackKind::Replay => {
                    if a.first_act.is_none() {
                        if let Some(request) = a.captured_sync.take() {
                            let outcome = backend.sync(&signer, &request, None, now)?;
                            a.first_act = Some(now);
                            collect(&outcome, &mut findings);
                        }
                    }
                }
                AttackKind::Relay => {
                    if a.first_act.is_none() {
                        if let Some(record) = a.captured_payment.take() {
                            // A colluding merchant other than the payee deposits it.
                            let colluder = if record.party == merchant_id(0) { merchant_id(1) } else { merchant_id(0) };
                            let (_, f) = backend.deposit(&colluder, &[record])?;
                            a.first_act = Some(now);
                            findings.extend(f);
                        }
                    }
                }
            }
        }
        // Deposits.
        for m in merchants.iter_mut() {
            let records = m.take_deposit();
            if !records.is_empty() {
                let (_, f) = backend.deposit(m.id(), &records)?;
                findings.extend(f);
            }
            m.set_blocklist(backend.blocklist())?;
        }
        // Cards coming online.
        for i in 0..config.cards {
            if (step + i) % config.offline_steps != 0 {
                continue;
            }
            let Some(card) = cards.get_mut(i as usize) else { continue };
            let request = card.sync_request(now)?;
            for a in attackers.iter_mut() {
                if a.attack.kind == AttackKind::Replay && a.attack.card == i && a.attack.step <= step && a.captured_sync.is_none() && a.first_act.is_none() {
                    a.captured_sync = Some(request.clone());
                }
            }
            let outcome = backend.sync(&signer, &request, None, now)?;
            apply(card, &outcome, now);
            collect(&outcome, &mut findings);
            for a in attackers.iter_mut() {
                if a.attack.card == i {
                    if let Some(twin) = a.other.as_mut().filter(|_| a.attack.kind == AttackKind::Clone) {
                        let request = twin.sync_request(now + 1)?;
                        let outcome = backend.sync(&signer, &request, None, now + 1)?;
                        apply(twin, &outcome, now + 1);
                        collect(&outcome, &mut findings);
                    }
                }
            }
        }
        // Attribution.
        for f in &findings {
            let named_card = f.subject.clone();
            let mut attributed = false;
            for a in attackers.iter_mut() {
                let id = card_id(a.attack.card);
                let relevant = match a.attack.kind {
                    AttackKind::Relay => f.code == RuleCode::WrongPayee && matches!(&f.evidence, Evidence::Record(_)) && a.first_act.is_some(),
                    AttackKind::Replay => f.code == RuleCode::ReplayedCounter && named_card == id,
                    _ => named_card == id && a.first_act.is_some(),
                };
                if relevant {
                    attributed = true;
                    if a.detected_at.is_none() {
                        a.detected_at = Some((now, f.code));
                    }
                }
            }
            if !attributed && !attacked.contains(&named_card) && named_card.starts_with("card-") && !honest_flagged.contains(&named_card) {
                honest_flagged.push(named_card);
            }
        }
        by_step.push(attackers.iter().filter(|a| a.detected_at.is_none()).map(|a| a.value).sum());
    }
    let results: Vec<AttackResult> = attackers
        .iter()
        .map(|a| AttackResult {
            attack: a.attack,
            detected: a.detected_at.is_some(),
            code: a.detected_at.map(|d| d.1),
            seconds_to_detection: match (a.first_act, a.detected_at) {
                (Some(first), Some((at, _))) => Some(at.saturating_sub(first)),
                _ => None,
            },
            value_at_risk: a.value,
        })
        .collect();
    let detected = results.iter().filter(|r| r.detected).count();
    let detection_per_mille = if results.is_empty() { 1000 } else { u32::try_from(detected * 1000 / results.len()).unwrap_or(1000) };
    let bound = config.limits.cumulative_max.min(config.limits.single_max.saturating_mul(u64::from(config.limits.count_max)));
    Ok(SimReport { attacks: results, detection_per_mille, honest_flagged, payments, value_at_risk_by_step: by_step, value_at_risk_bound: bound })
}

fn apply(card: &mut Card, outcome: &SyncOutcome, now: i64) {
    match outcome {
        SyncOutcome::Clean { security, .. } => {
            card.accept(security, now);
        }
        SyncOutcome::Abnormal { instruction, .. } => {
            card.accept(instruction, now);
        }
        SyncOutcome::Refused { .. } => {}
    }
}

fn collect(outcome: &SyncOutcome, findings: &mut Vec<Finding>) {
    match outcome {
        SyncOutcome::Abnormal { findings: f, .. } | SyncOutcome::Refused { findings: f } => findings.extend(f.iter().cloned()),
        SyncOutcome::Clean { .. } => {}
    }
}
