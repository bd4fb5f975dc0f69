//! The lifecycle's rules, one test per rule of the module docs; every request is followed by the
//! invariants check.
use super::*;
use crate::crypto::sha256;

const KEY: [u8; 32] = [7; 32];
const T0: i64 = 1_800_000_000;

fn book() -> TransferBook {
    let mut b = TransferBook::new(&BookConfig { book_id: "A".into(), currency: "EUR".into(), now: T0 }).unwrap();
    run(&mut b, open("r-o1", "alice"));
    run(&mut b, open("r-o2", "providerB"));
    run(&mut b, LifecycleRequest::Fund(Fund { request_id: "r-f1".into(), now: T0, account_id: "alice".into(), amount: "100.00".into() }));
    b
}

fn run(b: &mut TransferBook, r: LifecycleRequest) -> LifecycleOutcome {
    let out = b.execute(&r).unwrap();
    b.check_invariants().unwrap();
    out
}

fn open(id: &str, account: &str) -> LifecycleRequest {
    LifecycleRequest::OpenAccount(OpenAccount { request_id: id.into(), now: T0, account_id: account.into() })
}

fn quote(id: &str, quote_id: &str, amount: &str, fee: &str, now: i64, expires_at: i64) -> LifecycleRequest {
    LifecycleRequest::Quote(Quote {
        request_id: id.into(),
        now,
        quote_id: quote_id.into(),
        payer_account_id: "alice".into(),
        payee_account_id: "providerB".into(),
        amount: amount.into(),
        fee: fee.into(),
        expires_at,
    })
}

fn secret(n: u8) -> [u8; 32] {
    [n; 32]
}

fn reserve(id: &str, transfer_id: &str, quote_id: &str, now: i64, n: u8) -> LifecycleRequest {
    LifecycleRequest::Reserve(Reserve {
        request_id: id.into(),
        now,
        transfer_id: transfer_id.into(),
        quote_id: quote_id.into(),
        condition: to_hex(&sha256(&secret(n))),
    })
}

fn commit(id: &str, transfer_id: &str, now: i64, n: u8) -> LifecycleRequest {
    LifecycleRequest::Commit(Commit { request_id: id.into(), now, transfer_id: transfer_id.into(), fulfilment: to_hex(&secret(n)) })
}

fn abort(id: &str, transfer_id: &str, now: i64) -> LifecycleRequest {
    LifecycleRequest::Abort(Abort { request_id: id.into(), now, transfer_id: transfer_id.into(), reason: "payee declined".into() })
}

fn available(b: &TransferBook, account: &str) -> String {
    b.account(account).unwrap().available.unwrap()
}

#[test]
fn quote_reserve_commit_moves_amount_and_fee_together() {
    let mut b = book();
    assert_eq!(run(&mut b, quote("q1", "Q1", "40.00", "0.50", T0, T0 + 60)).code, LifecycleCode::Quoted);
    let out = run(&mut b, reserve("r1", "T1", "Q1", T0 + 1, 1));
    assert_eq!(out.code, LifecycleCode::Reserved);
    assert_eq!(out.transfer.as_ref().unwrap().expires_at, T0 + 60, "the quote's deadline is carried onward");
    assert_eq!(available(&b, "alice"), "59.50");
    assert_eq!(b.ledger.hold_view("a:T1").unwrap().expires_at, T0 + 60);
    assert_eq!(b.ledger.hold_view("f:T1").unwrap().expires_at, T0 + 60);
    let out = run(&mut b, commit("c1", "T1", T0 + 2, 1));
    assert_eq!(out.code, LifecycleCode::Committed);
    assert_eq!(b.account("alice").unwrap().balance, "59.50");
    assert_eq!(b.account("providerB").unwrap().balance, "40.00");
    assert_eq!(b.account(FEES_ACCOUNT).unwrap().balance, "0.50");
    assert_eq!(out.transfer.unwrap().fulfilment.unwrap(), to_hex(&secret(1)));
}

#[test]
fn amount_and_fee_are_held_together_or_not_at_all() {
    let mut b = book();
    // 99.80 + 0.50 > 100: the amount alone would fit, the chain must not leave it held.
    run(&mut b, quote("q1", "Q1", "99.80", "0.50", T0, T0 + 60));
    let out = run(&mut b, reserve("r1", "T1", "Q1", T0, 1));
    assert_eq!(out.code, LifecycleCode::InsufficientFunds);
    assert_eq!(out.ledger_code, Some(LedgerCode::InsufficientFunds));
    assert_eq!(available(&b, "alice"), "100.00");
    assert!(b.ledger.hold_view("a:T1").is_none());
    assert!(b.transfer("T1").is_none());
    assert_eq!(b.quote("Q1").unwrap().used_by, None, "a refused reserve does not use the quote");
}

#[test]
fn wrong_fulfilment_is_refused_and_the_reservation_stays() {
    let mut b = book();
    run(&mut b, quote("q1", "Q1", "10", "0", T0, T0 + 60));
    run(&mut b, reserve("r1", "T1", "Q1", T0, 1));
    let out = run(&mut b, commit("c1", "T1", T0 + 1, 2));
    assert_eq!(out.code, LifecycleCode::FulfilmentMismatch);
    assert_eq!(out.transfer.unwrap().state, TransferState::Reserved);
    assert_eq!(available(&b, "alice"), "90.00");
    assert_eq!(run(&mut b, commit("c2", "T1", T0 + 2, 1)).code, LifecycleCode::Committed);
}

#[test]
fn late_fulfilment_is_refused_and_releases_the_reservation() {
    let mut b = book();
    run(&mut b, quote("q1", "Q1", "10", "1", T0, T0 + 60));
    run(&mut b, reserve("r1", "T1", "Q1", T0, 1));
    let out = run(&mut b, commit("c1", "T1", T0 + 60, 1));
    assert_eq!(out.code, LifecycleCode::LateFulfilment);
    assert_eq!(out.expired, vec!["T1".to_owned()]);
    assert_eq!(out.transfer.unwrap().state, TransferState::Expired);
    assert_eq!(available(&b, "alice"), "100.00");
    assert_eq!(b.ledger.hold_view("a:T1").unwrap().state, HoldState::Expired);
    assert_eq!(b.ledger.hold_view("f:T1").unwrap().state, HoldState::Expired);
    assert_eq!(run(&mut b, commit("c2", "T1", T0 + 61, 1)).code, LifecycleCode::TransferExpired);
    assert_eq!(run(&mut b, abort("a1", "T1", T0 + 61)).code, LifecycleCode::TransferExpired);
}

#[test]
fn abort_releases_both_holds_and_is_final() {
    let mut b = book();
    run(&mut b, quote("q1", "Q1", "10", "1", T0, T0 + 60));
    run(&mut b, reserve("r1", "T1", "Q1", T0, 1));
    let out = run(&mut b, abort("a1", "T1", T0 + 1));
    assert_eq!(out.code, LifecycleCode::Aborted);
    assert_eq!(out.transfer.unwrap().reason.as_deref(), Some("payee declined"));
    assert_eq!(available(&b, "alice"), "100.00");
    assert_eq!(run(&mut b, commit("c1", "T1", T0 + 2, 1)).code, LifecycleCode::AlreadyAborted);
    assert_eq!(run(&mut b, abort("a2", "T1", T0 + 2)).code, LifecycleCode::AlreadyAborted);
}

#[test]
fn one_quote_per_transfer() {
    let mut b = book();
    run(&mut b, quote("q1", "Q1", "10", "1", T0, T0 + 60));
    run(&mut b, reserve("r1", "T1", "Q1", T0, 1));
    let out = run(&mut b, reserve("r2", "T2", "Q1", T0, 2));
    assert_eq!(out.code, LifecycleCode::QuoteUsed);
    assert_eq!(out.quote.unwrap().used_by.as_deref(), Some("T1"));
    run(&mut b, abort("a1", "T1", T0 + 1));
    assert_eq!(run(&mut b, reserve("r3", "T3", "Q1", T0 + 1, 3)).code, LifecycleCode::QuoteUsed, "even after an abort");
    assert_eq!(run(&mut b, reserve("r4", "T1", "Q1", T0 + 1, 3)).code, LifecycleCode::TransferExists);
}

#[test]
fn same_request_id_same_body_answers_again_another_body_is_refused() {
    let mut b = book();
    run(&mut b, quote("q1", "Q1", "10", "1", T0, T0 + 60));
    let first = run(&mut b, reserve("r1", "T1", "Q1", T0, 1));
    let again = run(&mut b, reserve("r1", "T1", "Q1", T0 + 5, 1));
    assert!(again.repeated);
    assert_eq!(again.code, first.code);
    assert_eq!(available(&b, "alice"), "89.00", "held once");
    let other = run(&mut b, reserve("r1", "T1", "Q1", T0 + 5, 2));
    assert_eq!(other.code, LifecycleCode::RequestIdReused);
    assert!(!other.repeated);
    // Canonical amounts: "10" and "10.00" are one body.
    let q = run(&mut b, quote("q1", "Q1", "10.00", "1.0", T0 + 6, T0 + 60));
    assert_eq!((q.code, q.repeated), (LifecycleCode::Quoted, true));
    // A committed transfer answers a retried commit as committed, nothing moves twice.
    run(&mut b, commit("c1", "T1", T0 + 7, 1));
    let balance = b.account("providerB").unwrap().balance;
    let c = run(&mut b, commit("c1", "T1", T0 + 500, 1));
    assert_eq!((c.code, c.repeated), (LifecycleCode::Committed, true));
    assert_eq!(b.account("providerB").unwrap().balance, balance);
}

#[test]
fn expiry_is_rechecked_on_every_retry() {
    let mut b = book();
    let q = run(&mut b, quote("q1", "Q1", "10", "1", T0, T0 + 60));
    assert_eq!(q.code, LifecycleCode::Quoted);
    let q = run(&mut b, quote("q1", "Q1", "10", "1", T0 + 60, T0 + 60));
    assert_eq!((q.code, q.repeated), (LifecycleCode::QuoteExpired, true), "a retried quote past its deadline");
    let mut b = book();
    run(&mut b, quote("q1", "Q1", "10", "1", T0, T0 + 60));
    run(&mut b, reserve("r1", "T1", "Q1", T0, 1));
    let again = run(&mut b, reserve("r1", "T1", "Q1", T0 + 59, 1));
    assert_eq!((again.code, again.repeated), (LifecycleCode::Reserved, true));
    let late = run(&mut b, reserve("r1", "T1", "Q1", T0 + 60, 1));
    assert_eq!((late.code, late.repeated), (LifecycleCode::TransferExpired, true));
    assert_eq!(late.expired, vec!["T1".to_owned()]);
    assert_eq!(available(&b, "alice"), "100.00", "the retry released the reservation");
    assert_eq!(run(&mut b, reserve("r2", "T2", "Q1", T0 + 61, 1)).code, LifecycleCode::QuoteUsed);
}

#[test]
fn quote_checks_in_order() {
    let mut b = book();
    assert_eq!(run(&mut b, quote("q0", "Q0", "0", "-1", T0, T0)).code, LifecycleCode::AmountNotPositive);
    assert_eq!(run(&mut b, quote("q1", "Q1", "1", "-1", T0, T0)).code, LifecycleCode::FeeNegative);
    assert_eq!(run(&mut b, quote("q2", "Q2", "1", "0", T0, T0)).code, LifecycleCode::ExpiryInvalid);
    assert_eq!(run(&mut b, quote("q3", "Q3", "1", "0", T0, T0 + QUOTE_TTL_S_MAX + 1)).code, LifecycleCode::ExpiryInvalid);
    let mut q = quote("q4", "Q4", "1", "0", T0, T0 + 1);
    if let LifecycleRequest::Quote(r) = &mut q {
        r.payee_account_id = "alice".into();
    }
    assert_eq!(run(&mut b, q).code, LifecycleCode::SameAccount);
    let mut q = quote("q5", "Q5", "1", "0", T0, T0 + 1);
    if let LifecycleRequest::Quote(r) = &mut q {
        r.payee_account_id = FEES_ACCOUNT.into();
    }
    assert_eq!(run(&mut b, q).code, LifecycleCode::UnknownAccount);
    assert_eq!(run(&mut b, quote("q6", "Q6", "1", "0", T0, T0 + 1)).code, LifecycleCode::Quoted);
    assert_eq!(run(&mut b, quote("q7", "Q6", "1", "0", T0, T0 + 1)).code, LifecycleCode::QuoteExists);
    assert_eq!(run(&mut b, reserve("r1", "T1", "nope", T0, 1)).code, LifecycleCode::UnknownQuote);
    assert_eq!(run(&mut b, reserve("r2", "T1", "Q6", T0 + 1, 1)).code, LifecycleCode::QuoteExpired);
    assert_eq!(run(&mut b, commit("c1", "nope", T0, 1)).code, LifecycleCode::UnknownTransfer);
}

#[test]
fn malformed_requests_are_errors_naming_the_field() {
    let mut b = book();
    let bad = |b: &mut TransferBook, r: LifecycleRequest| b.execute(&r).unwrap_err();
    let e = bad(&mut b, quote("q1", "Q1", "1.001", "0", T0, T0 + 1));
    assert_eq!((e.code(), e.param()), (ErrorCode::AmountPrecision, "amount"));
    let e = bad(&mut b, quote("q1", "Q1", "1", "x", T0, T0 + 1));
    assert_eq!((e.code(), e.param()), (ErrorCode::AmountSyntax, "fee"));
    let mut r = reserve("r1", "T1", "Q1", T0, 1);
    if let LifecycleRequest::Reserve(x) = &mut r {
        x.condition = x.condition.to_uppercase();
    }
    let e = bad(&mut b, r);
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, "condition"));
    let e = bad(&mut b, reserve("r1", &"t".repeat(TRANSFER_ID_BYTES_MAX + 1), "Q1", T0, 1));
    assert_eq!(e.param(), "transferId");
    let e = bad(&mut b, reserve("", "T1", "Q1", T0, 1));
    assert_eq!(e.param(), "requestId");
    let e = bad(&mut b, reserve("r1", "T1", "Q1", TIME_S_MAX + 1, 1));
    assert_eq!(e.param(), "now");
    let mut a = abort("a1", "T1", T0);
    if let LifecycleRequest::Abort(x) = &mut a {
        x.reason = "x".repeat(REASON_BYTES_MAX + 1);
    }
    assert_eq!(bad(&mut b, a).param(), "reason");
    assert_eq!(b.revision(), 3, "no error was recorded");
}

#[test]
fn expire_due_releases_earliest_first_bounded() {
    let mut b = book();
    // Two payers: the ledger allows ACCOUNT_HOLDS_MAX pending holds per debit account.
    run(&mut b, open("r-o3", "bob"));
    run(&mut b, LifecycleRequest::Fund(Fund { request_id: "r-f2".into(), now: T0, account_id: "bob".into(), amount: "100".into() }));
    for i in 0..(EXPIRE_PER_CALL_MAX + 2) {
        let mut q = quote(&format!("q{i}"), &format!("Q{i}"), "0.01", "0", T0, T0 + 10 + i as i64);
        if let (LifecycleRequest::Quote(r), true) = (&mut q, i % 2 == 1) {
            r.payer_account_id = "bob".into();
        }
        run(&mut b, q);
        run(&mut b, reserve(&format!("r{i}"), &format!("T{i}"), &format!("Q{i}"), T0, 1));
    }
    let out = run(&mut b, LifecycleRequest::ExpireDue(ExpireDue { request_id: "x1".into(), now: T0 + 1000 }));
    assert_eq!((out.code, out.expired.len(), b.transfers.len()), (LifecycleCode::MoreDue, EXPIRE_PER_CALL_MAX, EXPIRE_PER_CALL_MAX + 2));
    assert_eq!(out.expired.len(), EXPIRE_PER_CALL_MAX);
    assert_eq!(out.expired.first().map(String::as_str), Some("T0"));
    let out = run(&mut b, LifecycleRequest::ExpireDue(ExpireDue { request_id: "x2".into(), now: T0 + 1000 }));
    assert_eq!(out.code, LifecycleCode::DueExpired);
    assert_eq!(out.expired.len(), 2);
    assert_eq!(available(&b, "alice"), "100.00");
}

#[test]
fn requests_full_is_refused_without_recording() {
    let mut b = book();
    let used = b.requests.len();
    for i in 0..(REQUESTS_MAX - used) {
        b.requests.insert(format!("filler{i}"), RequestRecord { body_hash: [0; 32], code: LifecycleCode::Funded, ledger_code: None, subject: Subject::None });
    }
    let out = b.execute(&quote("qx", "QX", "1", "0", T0, T0 + 1)).unwrap();
    assert_eq!(out.code, LifecycleCode::RequestsFull);
    assert!(b.quote("QX").is_none());
}

#[test]
fn snapshot_round_trip_and_tamper() {
    let mut b = book();
    run(&mut b, quote("q1", "Q1", "10", "1", T0, T0 + 60));
    run(&mut b, reserve("r1", "T1", "Q1", T0, 1));
    run(&mut b, quote("q2", "Q2", "5", "0", T0, T0 + 60));
    run(&mut b, reserve("r2", "T2", "Q2", T0, 2));
    run(&mut b, commit("c2", "T2", T0 + 1, 2));
    let bytes = b.snapshot(&KEY).unwrap();
    let mut restored = TransferBook::restore(&bytes, &KEY).unwrap();
    assert_eq!(restored.snapshot(&KEY).unwrap(), bytes);
    assert_eq!(restored.transfer("T1"), b.transfer("T1"));
    // The restored book answers a repeat as the original would, and goes on.
    let again = run(&mut restored, reserve("r1", "T1", "Q1", T0 + 2, 1));
    assert!(again.repeated);
    assert_eq!(run(&mut restored, commit("c1", "T1", T0 + 3, 1)).code, LifecycleCode::Committed);
    let mut tampered = bytes.clone();
    let last = tampered.len() - 40;
    tampered[last] ^= 1;
    assert_eq!(TransferBook::restore(&tampered, &KEY).unwrap_err().code(), ErrorCode::SnapshotInvalid);
    assert_eq!(TransferBook::restore(&bytes, &[8; 32]).unwrap_err().code(), ErrorCode::SnapshotInvalid);
}
