//! Unit tests of the temporary-account service: each would fail if its rule were wrong.

use super::*;
use crate::crypto::sha256;
use crate::error::ErrorCode;

const KEY: [u8; 32] = [7; 32];
const SNAP: [u8; 32] = [9; 32];
/// 2026-12-10T09:30:00Z.
const NOW: i64 = 1_796_895_000;
const HOUR: i64 = 3600;

fn randomness(label: &str) -> Vec<u8> {
    (0u8..4)
        .flat_map(|i| sha256(format!("{label}/{i}").as_bytes()))
        .collect()
}

fn service() -> TempCardService {
    TempCardService::new(
        &ServiceConfig {
            currency: "EUR".into(),
            bin_range: BinRange {
                low: "45717360".into(),
                high: "45717369".into(),
                pan_length: 16,
            },
            settlement_account_id: "settlement".into(),
        },
        NOW - 60,
    )
    .unwrap()
}

fn approval(id: &str, fraction: Option<&str>, cap: Option<&str>) -> ApprovalRequest {
    ApprovalRequest {
        account_id: id.into(),
        parent_account_id: format!("parent-{id}"),
        approved_limit: "1000.01".into(),
        limit_fraction: fraction.map(Into::into),
        limit_cap: cap.map(Into::into),
        display_window: Window {
            from: NOW,
            until: NOW + 600,
        },
        usable_window: Window {
            from: NOW,
            until: NOW + HOUR,
        },
        max_uses: None,
        merchant_lock: None,
        lock_to_first_merchant: false,
        issued_pans: Vec::new(),
        now: NOW,
    }
}

fn open(s: &mut TempCardService, request: &ApprovalRequest) -> TempAccountView {
    let result = s
        .approve(request, &randomness(&request.account_id))
        .unwrap();
    assert_eq!(
        result.code,
        TempCardCode::TemporaryAccountOpened,
        "{result:?}"
    );
    result.account.unwrap()
}

/// PAN, expiry and CVV as the holder sees them.
fn shown(s: &TempCardService, id: &str) -> (String, String, String) {
    let r = s.reveal(id, &KEY, NOW).unwrap();
    assert_eq!(r.code, TempCardCode::DisplayAllowed);
    (
        r.pan.clone().unwrap(),
        r.expiry.clone().unwrap(),
        r.cvv.clone().unwrap(),
    )
}

fn buy(
    s: &mut TempCardService,
    id: &str,
    auth: &str,
    amount: &str,
    merchant: &str,
    now: i64,
) -> AuthorisationResult {
    let (pan, expiry, cvv) = shown(s, id);
    s.authorise(
        &AuthorisationRequest {
            authorisation_id: auth.into(),
            pan,
            expiry,
            cvv,
            amount: amount.into(),
            currency: "EUR".into(),
            merchant_id: merchant.into(),
            now,
        },
        &KEY,
    )
    .unwrap()
}

fn parent_available(s: &TempCardService, id: &str) -> String {
    s.account(id, NOW)
        .unwrap()
        .unwrap()
        .parent
        .available
        .unwrap()
}

#[test]
fn reduced_limit_is_rounded_down_and_capped() {
    let mut s = service();
    // 1000.01 × 0.3 = 300.003 → 300.00 (down, never up).
    let view = open(&mut s, &approval("a", Some("0.3"), None));
    assert_eq!(view.temporary_limit, "300.00");
    assert_eq!(view.available, "300.00");
    // The hold is on the parent: its available credit is the approved limit minus the hold.
    assert_eq!(view.parent.available.as_deref(), Some("700.01"));
    assert_eq!(view.parent.debits_pending, "300.00");
    // 1000.01 × 0.999 = 999.00999 → 999.00; the cap 250 is lower.
    let view = open(&mut s, &approval("b", Some("0.999"), Some("250")));
    assert_eq!(view.temporary_limit, "250.00");
    // A cap above the approved limit gives the approved limit, never more.
    let view = open(&mut s, &approval("c", None, Some("5000")));
    assert_eq!(view.temporary_limit, "1000.01");
    // 0.01 × 0.5 = 0.005 → 0.00: refused, nothing changed.
    let mut tiny = approval("d", Some("0.5"), None);
    tiny.approved_limit = "0.01".into();
    let before = s.clone();
    let r = s.approve(&tiny, &randomness("d")).unwrap();
    assert_eq!(r.code, TempCardCode::TemporaryLimitZero);
    assert_eq!(s, before);
}

#[test]
fn approval_errors_name_the_parameter() {
    let mut s = service();
    let cases: Vec<(ApprovalRequest, &str)> = vec![
        (approval("a", None, None), "limitFraction"),
        (approval("a", Some("1.5"), None), "limitFraction"),
        (approval("a", Some("0"), None), "limitFraction"),
        (approval("a", None, Some("0")), "limitCap"),
        (approval(&"x".repeat(33), Some("0.5"), None), "accountId"),
        (
            ApprovalRequest {
                approved_limit: "-1".into(),
                ..approval("a", Some("0.5"), None)
            },
            "approvedLimit",
        ),
        (
            ApprovalRequest {
                max_uses: Some(0),
                ..approval("a", Some("0.5"), None)
            },
            "maxUses",
        ),
    ];
    for (request, param) in cases {
        let e = s.approve(&request, &randomness("a")).unwrap_err();
        assert_eq!(e.param(), param, "{e}");
    }
    let e = s
        .approve(&approval("a", Some("0.5"), None), &[0; 3])
        .unwrap_err();
    assert_eq!(e.param(), "randomness");
}

#[test]
fn purchases_consume_the_hold_until_the_limit() {
    let mut s = service();
    open(&mut s, &approval("a", None, Some("250")));
    let r = buy(&mut s, "a", "t1", "100", "shop", NOW + 10);
    assert_eq!(
        (r.code, r.available.as_deref()),
        (TempCardCode::Approved, Some("150.00"))
    );
    // The parent's available credit does not move on a purchase: it was reserved at approval.
    assert_eq!(parent_available(&s, "a"), "750.01");
    let view = s.account("a", NOW).unwrap().unwrap();
    assert_eq!(view.parent.balance, "-100.00");
    assert_eq!(view.spent, "100.00");
    let r = buy(&mut s, "a", "t2", "150.01", "shop", NOW + 20);
    assert_eq!(r.code, TempCardCode::InsufficientTemporaryCredit);
    assert!(!r.approved);
    let r = buy(&mut s, "a", "t3", "150", "shop", NOW + 30);
    assert_eq!(
        (r.code, r.available.as_deref()),
        (TempCardCode::Approved, Some("0.00"))
    );
    let r = buy(&mut s, "a", "t4", "0.01", "shop", NOW + 40);
    assert_eq!(r.code, TempCardCode::InsufficientTemporaryCredit);
    let settlement = s.ledger().account("settlement").unwrap();
    assert_eq!(settlement.balance, "250.00");
    assert_eq!(parent_available(&s, "a"), "750.01");
    s.ledger().check_invariants().unwrap();
}

#[test]
fn each_decline_has_its_code_in_the_documented_order() {
    let mut s = service();
    let mut request = approval("a", Some("0.5"), None);
    request.usable_window.from = NOW + 60;
    request.merchant_lock = Some("shop".into());
    open(&mut s, &request);
    let (pan, expiry, cvv) = shown(&s, "a");
    let wrong_cvv = if cvv == "000" { "001" } else { "000" };
    let mut run = |auth: &str,
                   pan: &str,
                   expiry: &str,
                   cvv: &str,
                   amount: &str,
                   currency: &str,
                   merchant: &str,
                   now: i64| {
        s.authorise(
            &AuthorisationRequest {
                authorisation_id: auth.into(),
                pan: pan.into(),
                expiry: expiry.into(),
                cvv: cvv.into(),
                amount: amount.into(),
                currency: currency.into(),
                merchant_id: merchant.into(),
                now,
            },
            &KEY,
        )
        .unwrap()
        .code
    };
    let later = NOW + 120;
    // Credentials first: a wrong CVV before the window opens is still CVV_INVALID.
    assert_eq!(
        run(
            "1",
            "4571736000000000",
            &expiry,
            &cvv,
            "1",
            "EUR",
            "shop",
            later
        ),
        TempCardCode::UnknownPan
    );
    assert_eq!(
        run("2", &pan, "01/30", &cvv, "1", "EUR", "shop", later),
        TempCardCode::ExpiryMismatch
    );
    assert_eq!(
        run("3", &pan, &expiry, "12", "1", "EUR", "shop", later),
        TempCardCode::CvvMalformed
    );
    assert_eq!(
        run("4", &pan, &expiry, wrong_cvv, "1", "EUR", "shop", NOW),
        TempCardCode::CvvInvalid
    );
    assert_eq!(
        run("5", &pan, &expiry, &cvv, "1", "EUR", "shop", NOW),
        TempCardCode::NotYetUsable
    );
    assert_eq!(
        run("6", &pan, &expiry, &cvv, "1", "USD", "shop", later),
        TempCardCode::CurrencyMismatch
    );
    assert_eq!(
        run("7", &pan, &expiry, &cvv, "0", "EUR", "shop", later),
        TempCardCode::AmountNotPositive
    );
    assert_eq!(
        run("8", &pan, &expiry, &cvv, "1", "EUR", "other", later),
        TempCardCode::MerchantLocked
    );
    assert_eq!(
        run("9", &pan, &expiry, &cvv, "500.01", "EUR", "shop", later),
        TempCardCode::InsufficientTemporaryCredit
    );
    assert_eq!(
        run("10", &pan, &expiry, &cvv, "500", "EUR", "shop", later),
        TempCardCode::Approved
    );
    // Every decided attempt was recorded (UNKNOWN_PAN has no account to record on).
    assert_eq!(s.account("a", later).unwrap().unwrap().authorisations, 9);
}

#[test]
fn single_use_n_use_and_first_merchant_lock() {
    let mut s = service();
    let mut single = approval("one", Some("0.5"), None);
    single.max_uses = Some(1);
    open(&mut s, &single);
    assert_eq!(
        buy(&mut s, "one", "a", "1", "m", NOW).code,
        TempCardCode::Approved
    );
    assert_eq!(
        buy(&mut s, "one", "b", "1", "m", NOW).code,
        TempCardCode::SingleUseSpent
    );
    let mut three = approval("three", Some("0.5"), None);
    three.max_uses = Some(3);
    three.lock_to_first_merchant = true;
    open(&mut s, &three);
    assert_eq!(
        buy(&mut s, "three", "a", "1", "m1", NOW).code,
        TempCardCode::Approved
    );
    assert_eq!(
        buy(&mut s, "three", "b", "1", "m2", NOW).code,
        TempCardCode::MerchantLocked
    );
    assert_eq!(
        buy(&mut s, "three", "c", "1", "m1", NOW).code,
        TempCardCode::Approved
    );
    assert_eq!(
        buy(&mut s, "three", "d", "1", "m1", NOW).code,
        TempCardCode::Approved
    );
    assert_eq!(
        buy(&mut s, "three", "e", "1", "m1", NOW).code,
        TempCardCode::UsesExhausted
    );
    let view = s.account("three", NOW).unwrap().unwrap();
    assert_eq!((view.uses, view.merchant_lock.as_deref()), (3, Some("m1")));
}

#[test]
fn same_authorisation_id_is_answered_once() {
    let mut s = service();
    open(&mut s, &approval("a", None, Some("100")));
    let first = buy(&mut s, "a", "t1", "60", "m", NOW);
    let again = buy(&mut s, "a", "t1", "60.00", "m", NOW + 5);
    assert!(again.repeated);
    assert_eq!(
        (again.code, again.available.clone()),
        (first.code, first.available.clone())
    );
    assert_eq!(s.account("a", NOW).unwrap().unwrap().spent, "60.00");
    // The same id with another amount: a conflict, nothing recorded.
    let conflict = buy(&mut s, "a", "t1", "61", "m", NOW);
    assert_eq!(conflict.code, TempCardCode::AuthorisationIdConflict);
    // A decline is answered again too (a new attempt needs a new id).
    let declined = buy(&mut s, "a", "t2", "41", "m", NOW);
    assert_eq!(declined.code, TempCardCode::InsufficientTemporaryCredit);
    assert_eq!(
        buy(&mut s, "a", "t2", "41", "m", NOW).code,
        TempCardCode::InsufficientTemporaryCredit
    );
}

#[test]
fn activation_closes_and_releases_the_rest() {
    let mut s = service();
    open(&mut s, &approval("a", None, Some("300")));
    buy(&mut s, "a", "t1", "120", "m", NOW);
    let (pan, expiry, cvv) = shown(&s, "a");
    let r = s.activate_physical_card("a", NOW + 100).unwrap();
    assert_eq!(r.code, TempCardCode::ClosedOnActivation);
    let closure = r.closure.unwrap();
    assert_eq!(
        (closure.reason, closure.released.as_str()),
        (ClosureReason::Activation, "180.00")
    );
    // The parent has its full credit back but for the purchase.
    assert_eq!(parent_available(&s, "a"), "880.01");
    let again = s.activate_physical_card("a", NOW + 200).unwrap();
    assert_eq!(again.code, TempCardCode::AlreadyClosed);
    let declined = s
        .authorise(
            &AuthorisationRequest {
                authorisation_id: "t2".into(),
                pan: pan.clone(),
                expiry: expiry.clone(),
                cvv: cvv.clone(),
                amount: "1".into(),
                currency: "EUR".into(),
                merchant_id: "m".into(),
                now: NOW + 300,
            },
            &KEY,
        )
        .unwrap();
    assert_eq!(declined.code, TempCardCode::AccountClosed);
    assert_eq!(
        s.reveal("a", &KEY, NOW + 300).unwrap().code,
        TempCardCode::AccountClosed
    );
    assert_eq!(
        s.activate_physical_card("zz", NOW).unwrap().code,
        TempCardCode::UnknownAccount
    );
}

#[test]
fn window_end_closes_by_expiring_the_hold() {
    let mut s = service();
    open(&mut s, &approval("a", None, Some("300")));
    open(&mut s, &approval("b", None, Some("200")));
    buy(&mut s, "a", "t1", "50", "m", NOW);
    let (pan, expiry, cvv) = shown(&s, "b");
    // Before the end nothing is due.
    let r = s.close_due(NOW + HOUR - 1).unwrap();
    assert_eq!(
        (r.code, r.closed.len()),
        (TempCardCode::DueAccountsClosed, 0)
    );
    // An authorisation after the window declines and closes its account.
    let late = s
        .authorise(
            &AuthorisationRequest {
                authorisation_id: "late".into(),
                pan,
                expiry,
                cvv,
                amount: "1".into(),
                currency: "EUR".into(),
                merchant_id: "m".into(),
                now: NOW + HOUR,
            },
            &KEY,
        )
        .unwrap();
    assert_eq!(late.code, TempCardCode::UsableWindowClosed);
    let b = s.account("b", NOW + HOUR).unwrap().unwrap();
    assert_eq!(b.closure.unwrap().reason, ClosureReason::WindowEnd);
    let r = s.close_due(NOW + HOUR).unwrap();
    assert_eq!(r.closed, vec!["a".to_owned()]);
    let a = s.account("a", NOW + HOUR).unwrap().unwrap();
    assert_eq!(a.closure.unwrap().released, "250.00");
    assert_eq!(a.parent.available.as_deref(), Some("950.01"));
    let hold = s.ledger().hold_view("tempcard/a").unwrap();
    assert_eq!(hold.state, crate::ledger::HoldState::Expired);
}

#[test]
fn refunds_go_to_the_parent_before_and_after_closure() {
    let mut s = service();
    open(&mut s, &approval("a", None, Some("300")));
    buy(&mut s, "a", "t1", "100", "m", NOW);
    let (pan, _, _) = shown(&s, "a");
    let refund = |s: &mut TempCardService, id: &str, auth: &str, amount: &str, now: i64| {
        s.refund(&RefundRequest {
            refund_id: id.into(),
            pan: pan.clone(),
            authorisation_id: auth.into(),
            amount: amount.into(),
            currency: "EUR".into(),
            now,
        })
        .unwrap()
    };
    let r = refund(&mut s, "r1", "t1", "30", NOW + 1);
    assert_eq!(r.code, TempCardCode::RefundedToParent);
    assert!(!r.after_closure);
    // Not the temporary credit: the parent's debt.
    let view = s.account("a", NOW).unwrap().unwrap();
    assert_eq!(
        (view.available.as_str(), view.parent.balance.as_str()),
        ("200.00", "-70.00")
    );
    assert_eq!(view.parent.available.as_deref(), Some("730.01"));
    assert!(refund(&mut s, "r1", "t1", "30", NOW + 2).repeated);
    assert_eq!(
        refund(&mut s, "r1", "t1", "31", NOW + 2).code,
        TempCardCode::RefundIdConflict
    );
    assert_eq!(
        refund(&mut s, "r2", "t1", "70.01", NOW + 2).code,
        TempCardCode::RefundExceedsPurchase
    );
    assert_eq!(
        refund(&mut s, "r3", "nope", "1", NOW + 2).code,
        TempCardCode::UnknownAuthorisation
    );
    s.activate_physical_card("a", NOW + 10).unwrap();
    let r = refund(&mut s, "r4", "t1", "70", NOW + 20);
    assert_eq!(
        (r.code, r.after_closure),
        (TempCardCode::RefundedToParent, true)
    );
    assert_eq!(r.credited_account_id.as_deref(), Some("parent-a"));
    assert_eq!(parent_available(&s, "a"), "1000.01");
    s.ledger().check_invariants().unwrap();
}

#[test]
fn reveal_only_inside_the_display_window() {
    let mut s = service();
    let mut request = approval("a", Some("0.5"), None);
    request.display_window = Window {
        from: NOW + 10,
        until: NOW + 20,
    };
    open(&mut s, &request);
    let before = s.reveal("a", &KEY, NOW + 9).unwrap();
    assert_eq!(
        (before.code, before.cvv.is_none()),
        (TempCardCode::DisplayNotYetOpen, true)
    );
    let inside = s.reveal("a", &KEY, NOW + 10).unwrap();
    assert_eq!(inside.code, TempCardCode::DisplayAllowed);
    let account = s.accounts.get("a").unwrap();
    let expected = derive_cvv(
        &KEY,
        &account.credentials.pan,
        account.credentials.expires_at,
    )
    .unwrap();
    assert_eq!(inside.cvv.as_deref(), Some(expected.as_str()));
    assert_eq!(
        s.reveal("a", &KEY, NOW + 20).unwrap().code,
        TempCardCode::DisplayClosed
    );
    assert_eq!(
        s.reveal("a", &[1; 31], NOW).unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
    // Another key derives another CVV: the purchase with the shown CVV fails under it.
    let (pan, expiry, cvv) = (
        inside.pan.clone().unwrap(),
        inside.expiry.clone().unwrap(),
        inside.cvv.clone().unwrap(),
    );
    let r = s
        .authorise(
            &AuthorisationRequest {
                authorisation_id: "x".into(),
                pan,
                expiry,
                cvv,
                amount: "1".into(),
                currency: "EUR".into(),
                merchant_id: "m".into(),
                now: NOW + 30,
            },
            &[8; 32],
        )
        .unwrap();
    assert_eq!(r.code, TempCardCode::CvvInvalid);
}

#[test]
fn approval_is_atomic_and_checks_the_parent() {
    let mut s = service();
    open(&mut s, &approval("a", Some("0.9"), None));
    // The same parent again while the first is open.
    let mut second = approval("b", Some("0.5"), None);
    second.parent_account_id = "parent-a".into();
    assert_eq!(
        s.approve(&second, &randomness("b")).unwrap().code,
        TempCardCode::ParentHasOpenTemporary
    );
    // After activation: only 100.01 left on the parent, 500.00 does not fit — nothing changes.
    s.activate_physical_card("a", NOW).unwrap();
    buy_nothing(&s);
    let before = s.clone();
    let mut big = approval("b", Some("0.5"), None);
    big.parent_account_id = "parent-a".into();
    // Spend most of the parent's credit first through a third account... (keep it simple: a
    // different approved limit is a mismatch).
    big.approved_limit = "2000".into();
    assert_eq!(
        s.approve(&big, &randomness("b")).unwrap().code,
        TempCardCode::ParentMismatch
    );
    assert_eq!(s, before);
    assert_eq!(
        s.approve(&approval("a", Some("0.5"), None), &randomness("a"))
            .unwrap()
            .code,
        TempCardCode::AccountExists
    );
    // A reused parent gets a PAN unlike its earlier temporary one.
    let mut again = approval("c", Some("0.5"), None);
    again.parent_account_id = "parent-a".into();
    let first_pan = s.accounts.get("a").unwrap().credentials.pan.clone();
    let c = open(&mut s, &again);
    assert_ne!(s.accounts.get("c").unwrap().credentials.pan, first_pan);
    assert_eq!(c.parent.available.as_deref(), Some("500.01"));
}

fn buy_nothing(s: &TempCardService) {
    assert_eq!(parent_available(s, "a"), "1000.01");
}

#[test]
fn insufficient_parent_credit_changes_nothing() {
    let mut s = service();
    open(&mut s, &approval("a", None, Some("900")));
    buy(&mut s, "a", "t", "900", "m", NOW);
    s.activate_physical_card("a", NOW).unwrap();
    let before = s.clone();
    let mut next = approval("b", None, Some("200"));
    next.parent_account_id = "parent-a".into();
    let r = s.approve(&next, &randomness("b")).unwrap();
    assert_eq!(r.code, TempCardCode::ParentCreditInsufficient);
    assert_eq!(s, before);
}

#[test]
fn snapshot_round_trips_and_rejects_tampering() {
    let mut s = service();
    open(&mut s, &approval("a", Some("0.5"), Some("300")));
    open(&mut s, &approval("b", None, Some("10")));
    buy(&mut s, "a", "t1", "12.34", "m", NOW);
    s.activate_physical_card("b", NOW).unwrap();
    let bytes = s.snapshot(&SNAP).unwrap();
    let mut restored = TempCardService::restore(&bytes, &SNAP).unwrap();
    // The restored service has an empty retained journal; compare everything else.
    assert_eq!(restored.accounts, s.accounts);
    assert_eq!(restored.pans, s.pans);
    assert_eq!(restored.ledger.state_digest(), s.ledger.state_digest());
    assert_eq!(restored.snapshot(&SNAP).unwrap(), bytes);
    // It continues identically.
    let a = buy(&mut s, "a", "t2", "1", "m", NOW + 1);
    let b = buy(&mut restored, "a", "t2", "1", "m", NOW + 1);
    assert_eq!(a, b);
    let mut tampered = bytes.clone();
    if let Some(byte) = tampered.get_mut(100) {
        *byte ^= 1;
    }
    assert_eq!(
        TempCardService::restore(&tampered, &SNAP)
            .unwrap_err()
            .code(),
        ErrorCode::SnapshotInvalid
    );
    assert_eq!(
        TempCardService::restore(&bytes, &[1; 32])
            .unwrap_err()
            .code(),
        ErrorCode::SnapshotInvalid
    );
    // The CVV never appears in a snapshot.
    let cvv = shown(&s, "a").2;
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&format!("cvv{cvv}")));
}

#[test]
fn time_never_runs_backwards() {
    let mut s = service();
    open(&mut s, &approval("a", None, Some("100")));
    buy(&mut s, "a", "t1", "1", "m", NOW + HOUR + 5);
    // A later call with an earlier clock is still past the window.
    let r = buy_at_without_reveal(&mut s, NOW + 10);
    assert_eq!(r, TempCardCode::UsableWindowClosed);
}

fn buy_at_without_reveal(s: &mut TempCardService, now: i64) -> TempCardCode {
    let account = s.accounts.get("a").unwrap();
    let pan = account.credentials.pan.clone();
    let expiry = account.credentials.expiry.clone();
    let cvv = derive_cvv(&KEY, &pan, account.credentials.expires_at).unwrap();
    s.authorise(
        &AuthorisationRequest {
            authorisation_id: "t2".into(),
            pan,
            expiry,
            cvv: cvv.as_str().to_owned(),
            amount: "1".into(),
            currency: "EUR".into(),
            merchant_id: "m".into(),
            now,
        },
        &KEY,
    )
    .unwrap()
    .code
}

// ------------------------------------------------------------------------------------------
// Property test: random sequences keep the money right.

use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Approve {
        parent: u8,
        cents: u32,
        fraction_pct: u8,
        cap: Option<u32>,
        max_uses: Option<u8>,
        hours: u8,
    },
    Buy {
        account: u8,
        cents: u32,
        good_cvv: bool,
        merchant: u8,
    },
    Repeat {
        back: u8,
    },
    Refund {
        back: u8,
        cents: u32,
    },
    Activate {
        account: u8,
    },
    CloseDue,
    Advance {
        minutes: u16,
    },
    SnapshotRestore,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            0u8..3,
            1u32..200_000,
            1u8..=100,
            proptest::option::of(1u32..100_000),
            proptest::option::of(1u8..4),
            1u8..4
        )
            .prop_map(|(parent, cents, fraction_pct, cap, max_uses, hours)| {
                Step::Approve {
                    parent,
                    cents,
                    fraction_pct,
                    cap,
                    max_uses,
                    hours,
                }
            }),
        (0u8..6, 0u32..50_000, proptest::bool::weighted(0.9), 0u8..3).prop_map(
            |(account, cents, good_cvv, merchant)| Step::Buy {
                account,
                cents,
                good_cvv,
                merchant
            }
        ),
        (0u8..8).prop_map(|back| Step::Repeat { back }),
        (0u8..8, 1u32..20_000).prop_map(|(back, cents)| Step::Refund { back, cents }),
        (0u8..6).prop_map(|account| Step::Activate { account }),
        Just(Step::CloseDue),
        (0u16..120).prop_map(|minutes| Step::Advance { minutes }),
        Just(Step::SnapshotRestore),
    ]
}

fn cents(c: u32) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn units(s: &str) -> i128 {
    let (int, frac) = s.split_once('.').unwrap_or((s, "00"));
    let sign = if int.starts_with('-') { -1 } else { 1 };
    sign * (int.trim_start_matches('-').parse::<i128>().unwrap() * 100
        + frac.parse::<i128>().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::money::proptest_cases(200)))]

    /// Whatever happens: the ledger's invariants hold; per parent, available = limit + balance −
    /// held; per account, spent ≤ temporary limit, refunded ≤ spent, uses ≤ maxUses; what the
    /// merchants received is what was spent minus what was refunded; a repeated authorisation id
    /// changes nothing; snapshot → restore gives the same service.
    #[test]
    fn random_sequences_keep_the_money_right(steps in proptest::collection::vec(step(), 1..60)) {
        let mut s = service();
        let mut now = NOW;
        let mut accounts: Vec<String> = Vec::new();
        let mut auths: Vec<(String, AuthorisationRequest, AuthorisationResult)> = Vec::new();
        let mut refunds = 0u32;
        for step in steps {
            match step {
                Step::Approve { parent, cents: c, fraction_pct, cap, max_uses, hours } => {
                    let id = format!("t{}", accounts.len());
                    let request = ApprovalRequest {
                        account_id: id.clone(),
                        parent_account_id: format!("p{parent}"),
                        approved_limit: cents(c),
                        limit_fraction: Some(format!("0.{fraction_pct:02}")).filter(|_| fraction_pct < 100),
                        limit_cap: cap.map(cents).or_else(|| (fraction_pct == 100).then(|| cents(c))),
                        display_window: Window { from: now, until: now + 300 },
                        usable_window: Window { from: now, until: now + i64::from(hours) * HOUR },
                        max_uses: max_uses.map(u32::from),
                        merchant_lock: None,
                        lock_to_first_merchant: false,
                        issued_pans: Vec::new(),
                        now,
                    };
                    let before = s.clone();
                    let r = s.approve(&request, &randomness(&format!("{id}/{now}"))).unwrap();
                    if r.code == TempCardCode::TemporaryAccountOpened {
                        accounts.push(id);
                    } else {
                        prop_assert_eq!(&s, &before, "a refused approval changes nothing");
                    }
                }
                Step::Buy { account, cents: c, good_cvv, merchant } => {
                    let Some(id) = accounts.get(usize::from(account) % accounts.len().max(1)) else { continue };
                    let a = s.accounts.get(id).unwrap().credentials.clone();
                    let cvv = derive_cvv(&KEY, &a.pan, a.expires_at).unwrap();
                    let mut cvv = cvv.as_str().to_owned();
                    if !good_cvv {
                        cvv = format!("{:03}", (cvv.parse::<u32>().unwrap() + 1) % 1000);
                    }
                    let request = AuthorisationRequest {
                        authorisation_id: format!("a{}", auths.len()),
                        pan: a.pan.clone(),
                        expiry: a.expiry.clone(),
                        cvv,
                        amount: cents(c),
                        currency: "EUR".into(),
                        merchant_id: format!("m{merchant}"),
                        now,
                    };
                    let r = s.authorise(&request, &KEY).unwrap();
                    prop_assert!(!r.repeated);
                    if !good_cvv {
                        prop_assert!(matches!(r.code, TempCardCode::CvvInvalid | TempCardCode::CvvTriesExceeded), "{:?}", r.code);
                    }
                    if r.code == TempCardCode::CvvTriesExceeded {
                        let view = s.account(id, now).unwrap().unwrap();
                        prop_assert!(view.cvv_failures as usize >= CVV_FAILURES_MAX);
                    }
                    auths.push((id.clone(), request, r));
                }
                Step::Repeat { back } => {
                    let Some((_, request, first)) = auths.len().checked_sub(1 + usize::from(back)).and_then(|i| auths.get(i)) else { continue };
                    let before = s.clone();
                    let mut again = request.clone();
                    again.now = now;
                    let r = s.authorise(&again, &KEY).unwrap();
                    if first.code != TempCardCode::LedgerRefused {
                        prop_assert!(r.repeated);
                        prop_assert_eq!((r.code, &r.available, r.uses), (first.code, &first.available, first.uses));
                        prop_assert_eq!(&s, &before, "a repeat changes nothing");
                    }
                }
                Step::Refund { back, cents: c } => {
                    let Some((_, request, _)) = auths.len().checked_sub(1 + usize::from(back)).and_then(|i| auths.get(i)) else { continue };
                    refunds += 1;
                    s.refund(&RefundRequest {
                        refund_id: format!("r{refunds}"),
                        pan: request.pan.clone(),
                        authorisation_id: request.authorisation_id.clone(),
                        amount: cents(c),
                        currency: "EUR".into(),
                        now,
                    }).unwrap();
                }
                Step::Activate { account } => {
                    if let Some(id) = accounts.get(usize::from(account) % accounts.len().max(1)) {
                        s.activate_physical_card(id, now).unwrap();
                    }
                }
                Step::CloseDue => { s.close_due(now).unwrap(); }
                Step::Advance { minutes } => now += i64::from(minutes) * 60,
                Step::SnapshotRestore => {
                    let bytes = s.snapshot(&SNAP).unwrap();
                    let restored = TempCardService::restore(&bytes, &SNAP).unwrap();
                    prop_assert_eq!(&restored.accounts, &s.accounts);
                    prop_assert_eq!(restored.ledger.state_digest(), s.ledger.state_digest());
                    s = restored;
                }
            }
            s.ledger().check_invariants().unwrap();
            let mut spent_total = 0i128;
            let mut refunded_total = 0i128;
            for id in &accounts {
                let view = s.account(id, now).unwrap().unwrap();
                let parent = &view.parent;
                prop_assert_eq!(
                    units(parent.available.as_deref().unwrap()),
                    units(parent.credit_limit.as_deref().unwrap()) + units(&parent.balance) - units(&parent.debits_pending)
                );
                prop_assert!(units(parent.available.as_deref().unwrap()) >= 0);
                prop_assert!(units(&view.spent) <= units(&view.temporary_limit));
                prop_assert!(units(&view.refunded) <= units(&view.spent));
                prop_assert!(units(&view.available) <= units(&view.temporary_limit) - units(&view.spent));
                prop_assert!(view.max_uses.map_or(true, |m| view.uses <= m));
                if view.status == "closed" {
                    prop_assert_eq!(units(&view.available), 0);
                }
                spent_total += units(&view.spent);
                refunded_total += units(&view.refunded);
            }
            let settlement = s.ledger().account("settlement").unwrap();
            prop_assert_eq!(units(&settlement.balance), spent_total - refunded_total);
        }
    }
}

#[test]
fn service_configuration_is_checked_at_creation() {
    let mut config = service().config().clone();
    config.bin_range.low = "12345".into();
    let e = TempCardService::new(&config, NOW).unwrap_err();
    assert_eq!(
        (e.code(), e.param()),
        (ErrorCode::InvalidArgument, "binRange")
    );
    let mut config = service().config().clone();
    config.currency = "XXQ".into();
    assert_eq!(
        TempCardService::new(&config, NOW).unwrap_err().code(),
        ErrorCode::CurrencyUnknown
    );
    let mut config = service().config().clone();
    config.settlement_account_id = String::new();
    assert_eq!(
        TempCardService::new(&config, NOW).unwrap_err().param(),
        "settlementAccountId"
    );
}

#[test]
fn too_many_wrong_cvvs_lock_the_account() {
    let mut s = service();
    open(&mut s, &approval("a", Some("0.5"), None));
    let (_, _, cvv) = shown(&s, "a");
    let wrong = format!("{:03}", (cvv.parse::<u32>().unwrap() + 1) % 1000);
    let attempt = |s: &mut TempCardService, id: &str, cvv: &str| {
        let (pan, expiry, _) = shown(s, "a");
        s.authorise(
            &AuthorisationRequest {
                authorisation_id: id.into(),
                pan,
                expiry,
                cvv: cvv.into(),
                amount: "1".into(),
                currency: "EUR".into(),
                merchant_id: "m".into(),
                now: NOW,
            },
            &KEY,
        )
        .unwrap()
        .code
    };
    for i in 0..CVV_FAILURES_MAX - 1 {
        assert_eq!(attempt(&mut s, &format!("w{i}"), &wrong), TempCardCode::CvvInvalid);
    }
    // A malformed CVV is not a guess: it does not count.
    assert_eq!(attempt(&mut s, "x", "12"), TempCardCode::CvvMalformed);
    assert_eq!(attempt(&mut s, "ok", &cvv), TempCardCode::Approved);
    assert_eq!(attempt(&mut s, "w-last", &wrong), TempCardCode::CvvInvalid);
    assert_eq!(s.account("a", NOW).unwrap().unwrap().cvv_failures, 5);
    // Locked: the right CVV is declined like a wrong one.
    assert_eq!(attempt(&mut s, "right", &cvv), TempCardCode::CvvTriesExceeded);
    assert_eq!(attempt(&mut s, "wrong", &wrong), TempCardCode::CvvTriesExceeded);
}

#[test]
fn a_restore_refuses_accounts_out_of_order_or_sharing_a_pan() {
    let mut s = service();
    open(&mut s, &approval("a", Some("0.5"), Some("300")));
    open(&mut s, &approval("b", None, Some("10")));
    let bytes = s.snapshot(&SNAP).unwrap();
    let refused = |edit: fn(&mut Vec<account::TempAccount>)| {
        let err = TempCardService::restore(&codec::resealed(&bytes, &SNAP, edit), &SNAP).unwrap_err();
        assert_eq!(err.code(), ErrorCode::SnapshotInvalid);
        err.message().to_owned()
    };
    assert_eq!(refused(|a| a.reverse()), "the snapshot's accounts are not in ascending order");
    assert_eq!(
        refused(|a| a[1].credentials.pan = a[0].credentials.pan.clone()),
        "two temporary accounts of the snapshot share a PAN"
    );
    // Unchanged, it restores with both accounts found by id and by PAN.
    let restored = TempCardService::restore(&bytes, &SNAP).unwrap();
    assert_eq!(restored.accounts, s.accounts);
    for account in s.accounts.iter() {
        let owner = restored.pans.get(&account.credentials.pan).map(|p| p.account_id.as_str());
        assert_eq!(owner, Some(account.id.as_str()));
    }
}

/// `close_due` picks its batch by scanning instead of sorting: more due accounts than one batch,
/// with ties in the window's end, close in (end, id) order, CLOSE_BATCH_MAX at a time.
#[test]
fn close_due_closes_the_earliest_ends_first_by_batches() {
    const ACCOUNTS: usize = CLOSE_BATCH_MAX + 6;
    let mut s = service();
    let mut expected: Vec<(i64, String)> = Vec::new();
    // Ids listed out of their end order, with every end shared by several accounts.
    for i in 0..ACCOUNTS {
        let id = format!("acc-{i:02}");
        let end = NOW + HOUR + i64::try_from((i * 37) % 10).unwrap();
        let mut request = approval(&id, None, Some("10"));
        request.usable_window.until = end;
        open(&mut s, &request);
        expected.push((end, id));
    }
    expected.sort();
    let ids = |from: usize, to: usize| expected[from..to].iter().map(|(_, id)| id.clone()).collect::<Vec<_>>();
    let first = s.close_due(NOW + HOUR + 10).unwrap();
    assert_eq!(first.code, TempCardCode::MoreAccountsDue);
    assert_eq!(first.closed, ids(0, CLOSE_BATCH_MAX));
    let second = s.close_due(NOW + HOUR + 10).unwrap();
    assert_eq!(second.code, TempCardCode::DueAccountsClosed);
    assert_eq!(second.closed, ids(CLOSE_BATCH_MAX, ACCOUNTS));
}
