use super::*;
use crate::error::ErrorCode;

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const KEY: [u8; 32] = [9; 32];

/// Fault injection for the atomicity test: corrupts the scratch copy before it is verified.
pub(super) mod fault {
    use std::cell::Cell;

    use super::super::engine::Tx;

    thread_local! {
        static ARMED: Cell<bool> = const { Cell::new(false) };
        /// Decisions to let through before the fault strikes (a fault in the middle of a chain).
        static SPARED: Cell<u32> = const { Cell::new(0) };
    }

    pub(crate) fn arm(on: bool) {
        ARMED.with(|armed| armed.set(on));
    }

    /// Arms the fault for the decision after the next `spared` ones.
    pub(crate) fn arm_after(spared: u32) {
        SPARED.with(|s| s.set(spared));
        arm(true);
    }

    /// Credits one more minor unit to the first touched account (breaks conservation).
    pub(crate) fn inject(tx: &mut Tx<'_>) {
        if ARMED.with(Cell::get) {
            let spared = SPARED.with(Cell::get);
            if spared > 0 {
                SPARED.with(|s| s.set(spared - 1));
                return;
            }
            if let Some(account) = tx.accounts.values_mut().next() {
                account.credits_posted += 1;
            }
        }
    }
}

use LedgerCode as C;

/// A ledger with helpers: unique idempotency keys, EUR by default, invariants checked after every
/// operation.
struct H {
    l: Ledger,
    now: i64,
    n: u64,
}

impl H {
    fn new() -> H {
        H {
            l: Ledger::new(),
            now: T0,
            n: 0,
        }
    }

    fn key(&mut self) -> String {
        self.n += 1;
        format!("key-{}", self.n)
    }

    fn exec(&mut self, op: Operation) -> Outcome {
        let out = self.l.execute(&op).unwrap();
        self.l.check_invariants().unwrap();
        out
    }

    fn open_in(
        &mut self,
        id: &str,
        currency: &str,
        kind: AccountKind,
        limit: Option<&str>,
    ) -> Outcome {
        let op = Operation::OpenAccount(OpenAccountRequest {
            idempotency_key: self.key(),
            now: self.now,
            account_id: id.into(),
            currency: currency.into(),
            kind,
            credit_limit: limit.map(Into::into),
        });
        self.exec(op)
    }

    fn open(&mut self, id: &str, kind: AccountKind, limit: Option<&str>) -> Outcome {
        self.open_in(id, "EUR", kind, limit)
    }

    fn transfer_in(&mut self, debit: &str, credit: &str, amount: &str, currency: &str) -> Outcome {
        let op = Operation::Transfer(TransferRequest {
            idempotency_key: self.key(),
            now: self.now,
            debit_account_id: debit.into(),
            credit_account_id: credit.into(),
            amount: amount.into(),
            currency: currency.into(),
        });
        self.exec(op)
    }

    fn transfer(&mut self, debit: &str, credit: &str, amount: &str) -> Outcome {
        self.transfer_in(debit, credit, amount, "EUR")
    }

    fn hold_req(
        &mut self,
        id: &str,
        debit: &str,
        credit: &str,
        amount: &str,
        expires_at: i64,
    ) -> HoldRequest {
        HoldRequest {
            idempotency_key: self.key(),
            now: self.now,
            hold_id: id.into(),
            debit_account_id: debit.into(),
            credit_account_id: credit.into(),
            amount: amount.into(),
            currency: "EUR".into(),
            expires_at,
        }
    }

    fn hold(&mut self, id: &str, debit: &str, credit: &str, amount: &str, ttl: i64) -> Outcome {
        let req = self.hold_req(id, debit, credit, amount, self.now + ttl);
        self.exec(Operation::Hold(req))
    }

    fn increment(&mut self, id: &str, amount: &str) -> Outcome {
        let op = Operation::Increment(IncrementRequest {
            idempotency_key: self.key(),
            now: self.now,
            hold_id: id.into(),
            amount: amount.into(),
            currency: "EUR".into(),
        });
        self.exec(op)
    }

    fn extend(&mut self, id: &str, expires_at: i64) -> Outcome {
        let op = Operation::Extend(ExtendRequest {
            idempotency_key: self.key(),
            now: self.now,
            hold_id: id.into(),
            expires_at,
        });
        self.exec(op)
    }

    fn post(&mut self, id: &str, amount: Option<&str>, is_final: bool) -> Outcome {
        let op = Operation::Post(PostRequest {
            idempotency_key: self.key(),
            now: self.now,
            hold_id: id.into(),
            amount: amount.map(Into::into),
            currency: amount.map(|_| "EUR".into()),
            is_final,
        });
        self.exec(op)
    }

    fn void(&mut self, id: &str) -> Outcome {
        let op = Operation::Void(VoidRequest {
            idempotency_key: self.key(),
            now: self.now,
            hold_id: id.into(),
        });
        self.exec(op)
    }

    fn expire_due(&mut self) -> Outcome {
        let op = Operation::ExpireDue(ExpireDueRequest {
            idempotency_key: self.key(),
            now: self.now,
        });
        self.exec(op)
    }

    fn set_limit(&mut self, id: &str, limit: &str) -> Outcome {
        let op = Operation::SetCreditLimit(SetCreditLimitRequest {
            idempotency_key: self.key(),
            now: self.now,
            account_id: id.into(),
            credit_limit: limit.into(),
            currency: "EUR".into(),
        });
        self.exec(op)
    }

    fn close(&mut self, id: &str) -> Outcome {
        let op = Operation::CloseAccount(CloseAccountRequest {
            idempotency_key: self.key(),
            now: self.now,
            account_id: id.into(),
        });
        self.exec(op)
    }

    fn acct(&self, id: &str) -> AccountView {
        self.l.account(id).unwrap()
    }

    fn balance(&self, id: &str) -> String {
        self.acct(id).balance
    }

    fn available(&self, id: &str) -> Option<String> {
        self.acct(id).available
    }

    fn held(&self, id: &str) -> HoldView {
        self.l.hold_view(id).unwrap()
    }

    /// Funded wallet `w` (100.00 EUR from the unrestricted `bank`) and a merchant `m`.
    fn funded() -> H {
        let mut h = H::new();
        assert_eq!(
            h.open("bank", AccountKind::Unrestricted, None).code,
            C::AccountOpened
        );
        assert_eq!(
            h.open("w", AccountKind::NonNegative, None).code,
            C::AccountOpened
        );
        assert_eq!(
            h.open("m", AccountKind::NonNegative, None).code,
            C::AccountOpened
        );
        assert_eq!(h.transfer("bank", "w", "100.00").code, C::Transferred);
        h
    }

    /// Replay and snapshot round trips give the same state.
    fn round_trips(&self) {
        let replayed = Ledger::replay(self.l.journal()).unwrap();
        assert_eq!(replayed.state_digest(), self.l.state_digest());
        let restored = Ledger::restore(&self.l.snapshot(&KEY).unwrap(), &KEY).unwrap();
        assert_eq!(restored.state_digest(), self.l.state_digest());
        assert_eq!(
            restored.snapshot(&KEY).unwrap(),
            self.l.snapshot(&KEY).unwrap()
        );
    }
}

fn err_of(result: Result<Outcome>) -> (ErrorCode, &'static str) {
    let e = result.unwrap_err();
    // Leaked so the pair compares with `(code, "literal")`; a test's few bytes.
    (e.code(), Box::leak(e.param().to_owned().into_boxed_str()))
}

// ---------------------------------------------------------------------------------------------
// Codes and types
// ---------------------------------------------------------------------------------------------

#[test]
fn codes_are_unique_screaming_snake_described_and_round_trip() {
    let mut seen = std::collections::HashSet::new();
    for code in LedgerCode::ALL {
        let s = code.as_str();
        assert!(seen.insert(s), "duplicate {s}");
        assert!(
            s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
            "{s}"
        );
        assert!(!code.description().is_empty());
        assert_eq!(LedgerCode::from_name(s), Some(*code));
        assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{s}\""));
    }
    // The module docs' table names every code.
    let docs = include_str!("mod.rs");
    for code in LedgerCode::ALL {
        assert!(
            docs.contains(&format!("`{}`", code.as_str())),
            "mod.rs docs lack {code}"
        );
    }
    assert!(C::Posted.is_success() && !C::InsufficientFunds.is_success());
    assert!(!C::IdempotencyKeyReused.is_journaled() && C::InsufficientFunds.is_journaled());
}

#[test]
fn operation_json_is_tagged_camel_case() {
    let op = Operation::Post(PostRequest {
        idempotency_key: "k".into(),
        now: 5,
        hold_id: "h".into(),
        amount: Some("1.00".into()),
        currency: Some("EUR".into()),
        is_final: true,
    });
    let json = serde_json::to_value(&op).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"op": "post", "request": {"idempotencyKey": "k", "now": 5, "holdId": "h", "amount": "1.00", "currency": "EUR", "final": true}})
    );
    assert_eq!(serde_json::from_value::<Operation>(json).unwrap(), op);
    let bad = serde_json::json!({"op": "void", "request": {"idempotencyKey": "k", "now": 5, "holdId": "h", "extra": 1}});
    assert!(serde_json::from_value::<Operation>(bad).is_err());
    let open = serde_json::json!({"op": "openAccount", "request": {"idempotencyKey": "k", "now": 5, "accountId": "a", "currency": "EUR", "kind": "creditLine", "creditLimit": "10.00"}});
    assert!(
        matches!(serde_json::from_value::<Operation>(open).unwrap(), Operation::OpenAccount(r) if r.kind == AccountKind::CreditLine)
    );
}

#[test]
fn outcome_and_views_serialise_in_camel_case() {
    let mut h = H::funded();
    let out = h.hold("h1", "w", "m", "10.00", 60);
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["code"], "HELD");
    assert_eq!(json["hold"]["holdId"], "h1");
    assert_eq!(json["hold"]["debitAccountId"], "w");
    assert_eq!(json["hold"]["expiresAt"], T0 + 60);
    assert_eq!(json["hold"]["state"], "pending");
    assert_eq!(json["expired"], serde_json::json!([]));
    let account = serde_json::to_value(h.acct("w")).unwrap();
    assert_eq!(account["debitsPending"], "10.00");
    assert_eq!(account["kind"], "nonNegative");
    assert_eq!(account["pendingHolds"], 1);
    let head = serde_json::to_value(h.l.head()).unwrap();
    assert_eq!(head["seq"], 5);
    assert_eq!(head["hash"].as_str().unwrap().len(), 64);
    assert_eq!(
        serde_json::from_value::<JournalHead>(head).unwrap(),
        h.l.head()
    );
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

#[test]
fn open_account_and_its_codes() {
    let mut h = H::new();
    let out = h.open("a", AccountKind::NonNegative, None);
    assert_eq!(out.code, C::AccountOpened);
    assert_eq!(out.seq, 1);
    assert!(!out.repeated && out.hold.is_none());
    assert_eq!(
        h.open("a", AccountKind::Unrestricted, None).code,
        C::AccountExists
    );
    assert_eq!(
        h.open("c", AccountKind::CreditLine, Some("500.00")).code,
        C::AccountOpened
    );
    let view = h.acct("c");
    assert_eq!(view.credit_limit.as_deref(), Some("500.00"));
    assert_eq!(view.available.as_deref(), Some("500.00"));
    assert_eq!(view.balance, "0.00");
    assert_eq!(h.acct("a").credit_limit, None);
    assert_eq!(
        h.open("u", AccountKind::Unrestricted, None).code,
        C::AccountOpened
    );
    assert_eq!(h.acct("u").available, None);
    assert_eq!(h.l.accounts().len(), 3);
    assert!(h.l.account("zz").is_none());
}

#[test]
fn open_account_errors_name_the_parameter() {
    let mut l = Ledger::new();
    let base = OpenAccountRequest {
        idempotency_key: "k".into(),
        now: T0,
        account_id: "a".into(),
        currency: "EUR".into(),
        kind: AccountKind::CreditLine,
        credit_limit: Some("10.00".into()),
    };
    let with = |f: &dyn Fn(&mut OpenAccountRequest)| {
        let mut r = base.clone();
        f(&mut r);
        r
    };
    let cases: Vec<(OpenAccountRequest, ErrorCode, &str)> = vec![
        (
            with(&|r| r.idempotency_key = String::new()),
            ErrorCode::InvalidArgument,
            "idempotencyKey",
        ),
        (
            with(&|r| r.idempotency_key = "x".repeat(65)),
            ErrorCode::InvalidArgument,
            "idempotencyKey",
        ),
        (with(&|r| r.now = -1), ErrorCode::InvalidArgument, "now"),
        (
            with(&|r| r.now = TIME_S_MAX + 1),
            ErrorCode::InvalidArgument,
            "now",
        ),
        (
            with(&|r| r.account_id = "a\u{0}b".into()),
            ErrorCode::InvalidArgument,
            "accountId",
        ),
        (
            with(&|r| r.currency = "eur".into()),
            ErrorCode::CurrencyUnknown,
            "currency",
        ),
        (
            with(&|r| r.credit_limit = None),
            ErrorCode::InvalidArgument,
            "creditLimit",
        ),
        (
            with(&|r| r.credit_limit = Some("-1.00".into())),
            ErrorCode::InvalidArgument,
            "creditLimit",
        ),
        (
            with(&|r| r.credit_limit = Some("1e3".into())),
            ErrorCode::AmountSyntax,
            "creditLimit",
        ),
        (
            with(&|r| r.credit_limit = Some("1.001".into())),
            ErrorCode::AmountPrecision,
            "creditLimit",
        ),
        (
            with(&|r| {
                r.kind = AccountKind::NonNegative;
            }),
            ErrorCode::InvalidArgument,
            "creditLimit",
        ),
    ];
    for (request, code, param) in cases {
        assert_eq!(
            err_of(l.open_account(&request)),
            (code, param),
            "{request:?}"
        );
    }
    // Nothing was recorded or journaled.
    assert_eq!(l.head().seq, 0);
    assert_eq!(l.counts().idempotency_keys, 0);
    // 64 bytes is the limit; a zero credit limit is fine.
    let ok = with(&|r| {
        r.account_id = "é".repeat(32);
        r.credit_limit = Some("0".into());
    });
    assert_eq!(l.open_account(&ok).unwrap().code, C::AccountOpened);
}

#[test]
fn accounts_full_at_accounts_max() {
    let mut h = H::new();
    for i in 0..ACCOUNTS_MAX {
        let op = Operation::OpenAccount(OpenAccountRequest {
            idempotency_key: format!("k{i}"),
            now: T0,
            account_id: format!("a{i}"),
            currency: "EUR".into(),
            kind: AccountKind::NonNegative,
            credit_limit: None,
        });
        assert_eq!(h.l.execute(&op).unwrap().code, C::AccountOpened);
        if h.l.journal().len() == JOURNAL_ENTRIES_RETAINED_MAX {
            h.l.truncate_journal(h.l.head().seq).unwrap();
        }
    }
    h.n = 1_000_000;
    assert_eq!(
        h.open("one-more", AccountKind::NonNegative, None).code,
        C::AccountsFull
    );
    assert_eq!(
        h.open("a7", AccountKind::NonNegative, None).code,
        C::AccountExists
    );
    assert_eq!(h.l.counts().accounts, ACCOUNTS_MAX);
}

// ---------------------------------------------------------------------------------------------
// Transfers
// ---------------------------------------------------------------------------------------------

#[test]
fn transfer_moves_money_and_conserves_it() {
    let mut h = H::funded();
    assert_eq!(h.balance("bank"), "-100.00");
    assert_eq!(h.balance("w"), "100.00");
    assert_eq!(h.transfer("w", "m", "30.25").code, C::Transferred);
    assert_eq!(h.balance("w"), "69.75");
    assert_eq!(h.balance("m"), "30.25");
    let w = h.acct("w");
    assert_eq!(
        (w.debits_posted.as_str(), w.credits_posted.as_str()),
        ("30.25", "100.00")
    );
    // Exactly the available funds, then one cent more.
    assert_eq!(h.transfer("w", "m", "69.75").code, C::Transferred);
    assert_eq!(h.transfer("w", "m", "0.01").code, C::InsufficientFunds);
    assert_eq!(h.balance("w"), "0.00");
    h.round_trips();
}

#[test]
fn transfer_rejections() {
    let mut h = H::funded();
    h.open_in("usd", "USD", AccountKind::NonNegative, None);
    assert_eq!(h.transfer("w", "m", "0").code, C::AmountNotPositive);
    assert_eq!(h.transfer("w", "m", "-1.00").code, C::AmountNotPositive);
    assert_eq!(h.transfer("w", "w", "1.00").code, C::SameAccount);
    assert_eq!(h.transfer("w", "nobody", "1.00").code, C::UnknownAccount);
    assert_eq!(h.transfer("nobody", "w", "1.00").code, C::UnknownAccount);
    assert_eq!(h.transfer("w", "usd", "1.00").code, C::CurrencyMismatch);
    assert_eq!(
        h.transfer_in("w", "m", "1.00", "USD").code,
        C::CurrencyMismatch
    );
    assert_eq!(h.transfer("w", "m", "100.01").code, C::InsufficientFunds);
    // Every rejection was journaled, nothing moved.
    assert_eq!(h.l.head().seq, 13);
    assert_eq!(h.balance("w"), "100.00");
    // Malformed amounts are errors (about "amount"), not outcomes.
    let req = TransferRequest {
        idempotency_key: "x".into(),
        now: T0,
        debit_account_id: "w".into(),
        credit_account_id: "m".into(),
        amount: "1.005".into(),
        currency: "EUR".into(),
    };
    assert_eq!(
        err_of(h.l.transfer(&req)),
        (ErrorCode::AmountPrecision, "amount")
    );
    let req = TransferRequest {
        amount: "01.00".into(),
        ..req
    };
    assert_eq!(
        err_of(h.l.transfer(&req)),
        (ErrorCode::AmountSyntax, "amount")
    );
    let req = TransferRequest {
        amount: "1".into(),
        debit_account_id: String::new(),
        ..req
    };
    assert_eq!(
        err_of(h.l.transfer(&req)),
        (ErrorCode::InvalidArgument, "debitAccountId")
    );
    let req = TransferRequest {
        debit_account_id: "w".into(),
        credit_account_id: "\n".into(),
        ..req
    };
    assert_eq!(
        err_of(h.l.transfer(&req)),
        (ErrorCode::InvalidArgument, "creditAccountId")
    );
    let req = TransferRequest {
        credit_account_id: "m".into(),
        currency: "XAU".into(),
        ..req
    };
    assert_eq!(
        err_of(h.l.transfer(&req)),
        (ErrorCode::CurrencyUnknown, "currency")
    );
    assert_eq!(h.l.head().seq, 13);
    h.round_trips();
}

#[test]
fn credit_line_goes_down_to_minus_its_limit() {
    let mut h = H::funded();
    h.open("cl", AccountKind::CreditLine, Some("50.00"));
    assert_eq!(h.transfer("cl", "m", "50.00").code, C::Transferred);
    assert_eq!(h.balance("cl"), "-50.00");
    assert_eq!(h.available("cl").as_deref(), Some("0.00"));
    assert_eq!(h.transfer("cl", "m", "0.01").code, C::InsufficientFunds);
    // Repaying restores availability.
    assert_eq!(h.transfer("w", "cl", "20.00").code, C::Transferred);
    assert_eq!(h.available("cl").as_deref(), Some("20.00"));
    // The unrestricted bank has no floor.
    assert_eq!(h.transfer("bank", "m", "1000000.00").code, C::Transferred);
    assert_eq!(h.balance("bank"), "-1000100.00");
    h.round_trips();
}

#[test]
fn balance_overflow_is_an_outcome() {
    let mut h = H::new();
    let max = "79228162514264337593543950335"; // 2^96 − 1 yen
    h.open_in("bank", "JPY", AccountKind::Unrestricted, None);
    h.open_in("w", "JPY", AccountKind::NonNegative, None);
    h.open_in("v", "JPY", AccountKind::NonNegative, None);
    assert_eq!(h.transfer_in("bank", "w", max, "JPY").code, C::Transferred);
    assert_eq!(
        h.transfer_in("bank", "v", "1", "JPY").code,
        C::BalanceOverflow
    );
    assert_eq!(h.transfer_in("w", "v", max, "JPY").code, C::Transferred);
    assert_eq!(h.acct("v").balance, max);
    assert_eq!(h.acct("bank").balance, format!("-{max}"));
    h.round_trips();
}

// ---------------------------------------------------------------------------------------------
// Holds
// ---------------------------------------------------------------------------------------------

#[test]
fn hold_reserves_funds_and_post_captures_them() {
    let mut h = H::funded();
    let out = h.hold("h1", "w", "m", "40.00", 600);
    assert_eq!(out.code, C::Held);
    let view = out.hold.unwrap();
    assert_eq!(
        (view.state, view.pending.as_str(), view.amount.as_str()),
        (HoldState::Pending, "40.00", "40.00")
    );
    let w = h.acct("w");
    assert_eq!(
        (
            w.balance.as_str(),
            w.available.as_deref(),
            w.debits_pending.as_str()
        ),
        ("100.00", Some("60.00"), "40.00")
    );
    assert_eq!(h.acct("m").credits_pending, "40.00");
    assert_eq!(
        h.acct("m").available.as_deref(),
        Some("0.00"),
        "pending credits are not available"
    );
    // Funds held are not available to a transfer.
    assert_eq!(h.transfer("w", "m", "60.01").code, C::InsufficientFunds);
    let out = h.post("h1", None, false);
    assert_eq!(out.code, C::Posted);
    let view = out.hold.unwrap();
    assert_eq!(
        (
            view.state,
            view.posted.as_str(),
            view.released.as_str(),
            view.pending.as_str()
        ),
        (HoldState::Posted, "40.00", "0.00", "0.00")
    );
    assert_eq!(h.balance("w"), "60.00");
    assert_eq!(h.balance("m"), "40.00");
    assert_eq!(h.acct("w").debits_pending, "0.00");
    assert_eq!(h.post("h1", None, false).code, C::HoldAlreadyPosted);
    assert_eq!(h.void("h1").code, C::HoldAlreadyPosted);
    assert_eq!(h.increment("h1", "1.00").code, C::HoldAlreadyPosted);
    assert_eq!(h.extend("h1", T0 + 1000).code, C::HoldAlreadyPosted);
    h.round_trips();
}

#[test]
fn partial_non_final_post_keeps_the_rest_held() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "50.00", 600);
    let out = h.post("h", Some("20.00"), false);
    assert_eq!(out.code, C::Posted);
    let view = out.hold.unwrap();
    assert_eq!(
        (view.state, view.pending.as_str(), view.posted.as_str()),
        (HoldState::Pending, "30.00", "20.00")
    );
    assert_eq!(h.acct("w").available.as_deref(), Some("50.00"));
    assert_eq!(h.balance("w"), "80.00");
    assert_eq!(h.post("h", Some("30.01"), false).code, C::ExceedsHold);
    // A non-final post of exactly what remains resolves the hold.
    let view = h.post("h", Some("30.00"), false).hold.unwrap();
    assert_eq!(
        (view.state, view.posted.as_str(), view.released.as_str()),
        (HoldState::Posted, "50.00", "0.00")
    );
    assert_eq!(h.balance("w"), "50.00");
    h.round_trips();
}

#[test]
fn final_post_releases_the_rest() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "50.00", 600);
    h.post("h", Some("10.00"), false);
    let view = h.post("h", Some("15.50"), true).hold.unwrap();
    assert_eq!(
        (
            view.state,
            view.posted.as_str(),
            view.released.as_str(),
            view.pending.as_str(),
            view.amount.as_str()
        ),
        (HoldState::Posted, "25.50", "24.50", "0.00", "50.00")
    );
    assert_eq!(h.balance("w"), "74.50");
    assert_eq!(h.available("w").as_deref(), Some("74.50"));
    assert_eq!(h.acct("m").credits_pending, "0.00");
    h.round_trips();
}

#[test]
fn post_rejections_and_errors() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "50.00", 600);
    assert_eq!(h.post("h", Some("0.00"), false).code, C::AmountNotPositive);
    assert_eq!(h.post("nope", None, false).code, C::UnknownHold);
    let req = PostRequest {
        idempotency_key: "p".into(),
        now: T0,
        hold_id: "h".into(),
        amount: Some("1".into()),
        currency: Some("USD".into()),
        is_final: false,
    };
    assert_eq!(h.l.post(&req).unwrap().code, C::CurrencyMismatch);
    let req = PostRequest {
        idempotency_key: "p2".into(),
        currency: None,
        ..req
    };
    assert_eq!(
        err_of(h.l.post(&req)),
        (ErrorCode::InvalidArgument, "currency")
    );
    let req = PostRequest {
        amount: None,
        currency: Some("EUR".into()),
        ..req
    };
    assert_eq!(
        err_of(h.l.post(&req)),
        (ErrorCode::InvalidArgument, "amount")
    );
    assert_eq!(h.held("h").pending, "50.00");
}

#[test]
fn void_releases_what_is_still_held() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "50.00", 600);
    h.post("h", Some("5.00"), false);
    let out = h.void("h");
    assert_eq!(out.code, C::Voided);
    let view = out.hold.unwrap();
    assert_eq!(
        (view.state, view.posted.as_str(), view.released.as_str()),
        (HoldState::Voided, "5.00", "45.00")
    );
    assert_eq!(h.balance("w"), "95.00");
    assert_eq!(h.available("w").as_deref(), Some("95.00"));
    assert_eq!(h.void("h").code, C::HoldAlreadyVoided);
    assert_eq!(h.post("h", None, true).code, C::HoldAlreadyVoided);
    assert_eq!(h.void("nope").code, C::UnknownHold);
    h.round_trips();
}

#[test]
fn hold_rejections_in_order() {
    let mut h = H::funded();
    h.open_in("usd", "USD", AccountKind::NonNegative, None);
    assert_eq!(h.hold("h", "w", "m", "0.00", 60).code, C::AmountNotPositive);
    assert_eq!(h.hold("h", "w", "w", "1.00", 60).code, C::SameAccount);
    assert_eq!(h.hold("h", "w", "m", "1.00", 0).code, C::DeadlineInvalid);
    assert_eq!(h.hold("h", "w", "m", "1.00", -5).code, C::DeadlineInvalid);
    assert_eq!(
        h.hold("h", "w", "m", "1.00", HOLD_DURATION_S_MAX + 1).code,
        C::DeadlineInvalid
    );
    assert_eq!(
        h.hold("h", "w", "m", "1.00", HOLD_DURATION_S_MAX).code,
        C::Held
    );
    assert_eq!(h.hold("h", "w", "m", "1.00", 60).code, C::HoldExists);
    assert_eq!(h.hold("h2", "w", "x", "1.00", 60).code, C::UnknownAccount);
    assert_eq!(
        h.hold("h2", "w", "usd", "1.00", 60).code,
        C::CurrencyMismatch
    );
    assert_eq!(
        h.hold("h2", "w", "m", "99.01", 60).code,
        C::InsufficientFunds
    );
    assert_eq!(h.hold("h2", "w", "m", "99.00", 60).code, C::Held);
    assert_eq!(h.available("w").as_deref(), Some("0.00"));
    // Rejections carry no hold view.
    assert!(h.hold("h3", "w", "m", "0.01", 60).hold.is_none());
    let req = h.hold_req("h4", "w", "m", "1.00", TIME_S_MAX + 1);
    assert_eq!(
        err_of(h.l.hold(&req)),
        (ErrorCode::InvalidArgument, "expiresAt")
    );
    let req = HoldRequest {
        expires_at: T0 + 5,
        hold_id: String::new(),
        ..req
    };
    assert_eq!(
        err_of(h.l.hold(&req)),
        (ErrorCode::InvalidArgument, "holdId")
    );
    h.round_trips();
}

#[test]
fn account_holds_full_and_holds_full() {
    let mut h = H::funded();
    for i in 0..HOLDS_PER_ACCOUNT_MAX {
        assert_eq!(
            h.hold(&format!("h{i}"), "w", "m", "0.01", 600).code,
            C::Held
        );
    }
    assert_eq!(
        h.hold("over", "w", "m", "0.01", 600).code,
        C::AccountHoldsFull
    );
    assert_eq!(h.acct("w").pending_holds as usize, HOLDS_PER_ACCOUNT_MAX);
    // Resolving one makes room.
    h.void("h0");
    assert_eq!(h.hold("over", "w", "m", "0.01", 600).code, C::Held);

    // HOLDS_MAX over many debit accounts.
    let mut g = H::new();
    g.open("bank", AccountKind::Unrestricted, None);
    g.open("m", AccountKind::NonNegative, None);
    let mut made = 0;
    'outer: for a in 0.. {
        let account = format!("a{a}");
        g.open(&account, AccountKind::Unrestricted, None);
        for i in 0..HOLDS_PER_ACCOUNT_MAX {
            if made == HOLDS_MAX {
                break 'outer;
            }
            let req = g.hold_req(&format!("{account}-{i}"), &account, "m", "1.00", T0 + 600);
            assert_eq!(g.l.hold(&req).unwrap().code, C::Held);
            made += 1;
            if g.l.journal().len() == JOURNAL_ENTRIES_RETAINED_MAX {
                g.l.truncate_journal(g.l.head().seq).unwrap();
            }
        }
    }
    g.l.check_invariants().unwrap();
    assert_eq!(
        g.hold("one-more", "bank", "m", "1.00", 600).code,
        C::HoldsFull
    );
    assert_eq!(g.l.counts().holds_pending, HOLDS_MAX);
    assert_eq!(g.l.pending_holds().len(), HOLDS_MAX);
}

#[test]
fn increment_raises_a_hold_subject_to_funds() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "60.00", 600);
    let out = h.increment("h", "30.00");
    assert_eq!(out.code, C::Incremented);
    let view = out.hold.unwrap();
    assert_eq!(
        (view.pending.as_str(), view.amount.as_str()),
        ("90.00", "90.00")
    );
    assert_eq!(h.available("w").as_deref(), Some("10.00"));
    assert_eq!(h.increment("h", "10.01").code, C::InsufficientFunds);
    assert_eq!(h.increment("h", "0").code, C::AmountNotPositive);
    assert_eq!(h.increment("nope", "1.00").code, C::UnknownHold);
    let req = IncrementRequest {
        idempotency_key: "i".into(),
        now: T0,
        hold_id: "h".into(),
        amount: "1".into(),
        currency: "USD".into(),
    };
    assert_eq!(h.l.increment(&req).unwrap().code, C::CurrencyMismatch);
    // After a partial capture, an increment adds to what remains.
    h.post("h", Some("50.00"), false);
    assert_eq!(h.increment("h", "10.00").code, C::Incremented);
    let view = h.held("h");
    assert_eq!(
        (
            view.pending.as_str(),
            view.posted.as_str(),
            view.amount.as_str()
        ),
        ("50.00", "50.00", "100.00")
    );
    h.round_trips();
}

#[test]
fn extend_moves_the_deadline_later_only() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "10.00", 60);
    assert_eq!(h.extend("h", T0 + 60).code, C::DeadlineInvalid);
    assert_eq!(h.extend("h", T0 + 30).code, C::DeadlineInvalid);
    assert_eq!(
        h.extend("h", T0 + HOLD_DURATION_S_MAX + 1).code,
        C::DeadlineInvalid
    );
    let out = h.extend("h", T0 + 120);
    assert_eq!(out.code, C::Extended);
    assert_eq!(out.hold.unwrap().expires_at, T0 + 120);
    h.now = T0 + 100;
    assert_eq!(
        h.post("h", None, false).code,
        C::Posted,
        "live thanks to the extension"
    );
    assert_eq!(h.extend("nope", T0 + 500).code, C::UnknownHold);
    h.round_trips();
}

// ---------------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------------

#[test]
fn a_hold_is_live_until_its_deadline_then_lazily_expired() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "10.00", 60);
    h.now = T0 + 59;
    assert_eq!(h.post("h", Some("1.00"), false).code, C::Posted);
    h.now = T0 + 60;
    let out = h.post("h", Some("1.00"), false);
    assert_eq!(out.code, C::HoldExpired);
    assert_eq!(out.expired, vec!["h".to_string()]);
    let view = out.hold.unwrap();
    assert_eq!(
        (view.state, view.posted.as_str(), view.released.as_str()),
        (HoldState::Expired, "1.00", "9.00")
    );
    assert_eq!(h.balance("w"), "99.00");
    assert_eq!(h.available("w").as_deref(), Some("99.00"));
    // Already expired: nothing more is expired.
    let out = h.void("h");
    assert_eq!((out.code, out.expired.len()), (C::HoldExpired, 0));
    h.round_trips();
}

#[test]
fn every_touch_after_the_deadline_expires_the_hold() {
    for touch in 0..4 {
        let mut h = H::funded();
        h.hold("h", "w", "m", "10.00", 60);
        h.now = T0 + 61;
        let out = match touch {
            0 => h.void("h"),
            1 => h.increment("h", "1.00"),
            2 => h.extend("h", T0 + 600),
            _ => h.post("h", None, true),
        };
        assert_eq!(out.code, C::HoldExpired, "touch {touch}");
        assert_eq!(out.expired, vec!["h".to_string()]);
        assert_eq!(h.held("h").state, HoldState::Expired);
        assert_eq!(h.acct("w").debits_pending, "0.00");
    }
}

#[test]
fn a_funds_check_first_expires_the_debit_accounts_overdue_holds() {
    let mut h = H::funded();
    h.hold("a", "w", "m", "70.00", 60);
    h.hold("b", "w", "m", "20.00", 600);
    assert_eq!(h.transfer("w", "m", "50.00").code, C::InsufficientFunds);
    h.now = T0 + 60;
    // Until applied, the overdue hold still counts in the stored state.
    assert_eq!(h.available("w").as_deref(), Some("10.00"));
    let out = h.transfer("w", "m", "50.00");
    assert_eq!(out.code, C::Transferred);
    assert_eq!(out.expired, vec!["a".to_string()]);
    assert_eq!(h.held("a").state, HoldState::Expired);
    assert_eq!(h.held("b").state, HoldState::Pending);
    assert_eq!(h.available("w").as_deref(), Some("30.00"));
    // Even a rejected funds check applies the expiry (journaled with it).
    h.hold("c", "w", "m", "30.00", 10);
    h.now = T0 + 70;
    let out = h.hold("d", "w", "m", "60.00", 60);
    assert_eq!(
        (out.code, out.expired.clone()),
        (C::InsufficientFunds, vec!["c".to_string()])
    );
    assert_eq!(h.held("c").state, HoldState::Expired);
    h.round_trips();
}

#[test]
fn expire_due_expires_in_deadline_order_in_batches() {
    let mut h = H::funded();
    h.open("w2", AccountKind::Unrestricted, None);
    // 70 holds over two accounts, deadlines T0+10 .. T0+79 (in reverse id order).
    for i in 0..70 {
        let debit = if i % 2 == 0 { "w" } else { "w2" };
        assert_eq!(
            h.hold(&format!("h{i:02}"), debit, "m", "0.10", 79 - i).code,
            C::Held
        );
    }
    h.hold("late", "w", "m", "0.10", 1000);
    h.now = T0 + 79;
    let out = h.expire_due();
    assert_eq!(out.code, C::MoreHoldsDue);
    assert_eq!(out.expired.len(), EXPIRE_BATCH_MAX);
    assert_eq!(out.expired.first().map(String::as_str), Some("h69")); // deadline T0+10
    assert_eq!(out.expired.last().map(String::as_str), Some("h06"));
    let out = h.expire_due();
    assert_eq!(out.code, C::DueHoldsExpired);
    assert_eq!(
        out.expired,
        ["h05", "h04", "h03", "h02", "h01", "h00"]
            .map(String::from)
            .to_vec()
    );
    let out = h.expire_due();
    assert_eq!((out.code, out.expired.len()), (C::DueHoldsExpired, 0));
    assert_eq!(h.l.counts().holds_pending, 1);
    assert_eq!(h.available("w").as_deref(), Some("99.90"));
    h.round_trips();
}

/// The deadline index files holds by handle (placement order): ties must still go by hold id,
/// as when the index held ids (the journal and state digests depend on that order).
#[test]
fn equal_deadlines_expire_by_hold_id_whatever_the_placement_order() {
    let mut h = H::funded();
    h.open("w2", AccountKind::Unrestricted, None);
    // 70 holds with one deadline, placed from the greatest id down (handle order is the reverse
    // of id order), over two accounts (at most 64 each).
    for i in (0..70).rev() {
        let debit = if i % 2 == 0 { "w" } else { "w2" };
        assert_eq!(h.hold(&format!("t{i:02}"), debit, "m", "0.10", 50).code, C::Held);
    }
    let listed: Vec<String> = h.l.pending_holds().into_iter().map(|v| v.hold_id).collect();
    let by_id: Vec<String> = (0..70).map(|i| format!("t{i:02}")).collect();
    assert_eq!(listed, by_id, "pending holds by deadline, then id");
    h.now = T0 + 50;
    let out = h.expire_due();
    assert_eq!((out.code, out.expired.as_slice()), (C::MoreHoldsDue, &by_id[..EXPIRE_BATCH_MAX]));
    let out = h.expire_due();
    assert_eq!((out.code, out.expired.as_slice()), (C::DueHoldsExpired, &by_id[EXPIRE_BATCH_MAX..]));
    h.round_trips();
}

/// An account's overdue holds expire before a funds check in hold-id order (the per-account
/// index lists them by handle).
#[test]
fn an_accounts_overdue_holds_expire_by_hold_id() {
    let mut h = H::funded();
    for (id, ttl) in [("c", 20), ("b", 10), ("a", 30), ("d", 500)] {
        assert_eq!(h.hold(id, "w", "m", "1.00", ttl).code, C::Held);
    }
    h.now = T0 + 100;
    let out = h.transfer("w", "m", "1.00");
    assert_eq!(out.code, C::Transferred);
    assert_eq!(out.expired, ["a", "b", "c"].map(String::from).to_vec());
    assert_eq!(h.held("d").state, HoldState::Pending);
    h.round_trips();
}

/// Holds resolved by one operation share a seq: the one forgotten first is the least hold id
/// (placement order reversed here), and a forgotten hold's slot is reused, so the slab does not
/// grow with churn.
#[test]
fn resolved_holds_with_one_seq_are_forgotten_by_hold_id_and_free_their_slots() {
    let mut h = H::funded();
    for id in ["x2", "x1", "x0"] {
        assert_eq!(h.hold(id, "w", "m", "0.01", 10).code, C::Held);
    }
    h.now = T0 + 10;
    assert_eq!(h.expire_due().expired, ["x0", "x1", "x2"].map(String::from).to_vec());
    // Fill the retained resolved holds to one past the limit: exactly one of the x's goes.
    let pairs = HOLDS_RESOLVED_RETAINED_MAX - 3 + 1;
    let mut slots_when_full = 0;
    for i in 0..pairs + 10 {
        h.now = T0 + 11 + i as i64;
        hold_then_void(&mut h, i);
        if i + 1 == pairs {
            h.l.check_invariants().unwrap();
            assert!(h.l.hold_view("x0").is_none(), "the least id of the earliest seq went first");
            assert!(h.l.hold_view("x1").is_some() && h.l.hold_view("x2").is_some());
            slots_when_full = h.l.holds.slots();
        }
    }
    h.l.check_invariants().unwrap();
    assert!(h.l.hold_view("x2").is_none() && h.l.hold_view("x1").is_none());
    assert_eq!(h.l.counts().holds_resolved, HOLDS_RESOLVED_RETAINED_MAX);
    // One hold placed while the retained ones are full: one slot more than them, then reused.
    assert_eq!(slots_when_full, HOLDS_RESOLVED_RETAINED_MAX + 1);
    assert_eq!(h.l.holds.slots(), slots_when_full, "freed slots are reused");
    // Restored, the holds sit in other slots (in id order): still the same ledger.
    h.l.truncate_journal(h.l.head().seq).unwrap();
    let restored = Ledger::restore(&h.l.snapshot(&KEY).unwrap(), &KEY).unwrap();
    let newest = format!("h{}", pairs + 9);
    assert!(restored.holds.handle(&newest).is_some());
    assert_ne!(restored.holds.handle(&newest), h.l.holds.handle(&newest));
    assert_eq!(restored, h.l);
    assert_eq!(restored.snapshot(&KEY).unwrap(), h.l.snapshot(&KEY).unwrap());
}

#[test]
fn time_never_runs_backwards() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "10.00", 60);
    h.now = T0 + 100;
    h.expire_due();
    assert_eq!(h.l.clock(), T0 + 100);
    // A late terminal whose clock says T0+30 cannot revive or create holds in the past.
    h.now = T0 + 30;
    assert_eq!(h.post("h", None, false).code, C::HoldExpired);
    assert_eq!(h.hold("h2", "w", "m", "1.00", 40).code, C::DeadlineInvalid);
    assert_eq!(h.l.clock(), T0 + 100);
}

// ---------------------------------------------------------------------------------------------
// Credit limits and closing
// ---------------------------------------------------------------------------------------------

#[test]
fn set_credit_limit_and_its_codes() {
    let mut h = H::funded();
    h.open("cl", AccountKind::CreditLine, Some("100.00"));
    h.transfer("cl", "m", "30.00");
    h.hold("h", "cl", "m", "20.00", 60);
    assert_eq!(h.set_limit("cl", "49.99").code, C::CreditLimitBelowUsage);
    assert_eq!(h.set_limit("cl", "50.00").code, C::CreditLimitSet);
    assert_eq!(h.available("cl").as_deref(), Some("0.00"));
    assert_eq!(h.set_limit("cl", "500.00").code, C::CreditLimitSet);
    assert_eq!(h.acct("cl").credit_limit.as_deref(), Some("500.00"));
    assert_eq!(h.set_limit("w", "10.00").code, C::NotACreditLine);
    assert_eq!(h.set_limit("nope", "10.00").code, C::UnknownAccount);
    let req = SetCreditLimitRequest {
        idempotency_key: "s".into(),
        now: T0,
        account_id: "cl".into(),
        credit_limit: "10".into(),
        currency: "USD".into(),
    };
    assert_eq!(
        h.l.set_credit_limit(&req).unwrap().code,
        C::CurrencyMismatch
    );
    let req = SetCreditLimitRequest {
        currency: "EUR".into(),
        credit_limit: "-1".into(),
        ..req
    };
    assert_eq!(
        err_of(h.l.set_credit_limit(&req)),
        (ErrorCode::InvalidArgument, "creditLimit")
    );
    // An overdue hold is expired before the usage check.
    h.now = T0 + 60;
    let out = h.set_limit("cl", "30.00");
    assert_eq!(
        (out.code, out.expired),
        (C::CreditLimitSet, vec!["h".to_string()])
    );
    h.round_trips();
}

#[test]
fn close_account_and_its_codes() {
    let mut h = H::funded();
    h.open("e", AccountKind::NonNegative, None);
    assert_eq!(h.close("w").code, C::AccountNotEmpty);
    h.hold("h", "bank", "e", "1.00", 60);
    assert_eq!(h.close("e").code, C::AccountNotEmpty, "a pending credit");
    h.void("h");
    assert_eq!(h.close("e").code, C::AccountClosed);
    assert!(h.acct("e").closed);
    assert_eq!(h.close("e").code, C::AccountAlreadyClosed);
    assert_eq!(h.transfer("w", "e", "1.00").code, C::AccountAlreadyClosed);
    assert_eq!(h.transfer("e", "w", "1.00").code, C::AccountAlreadyClosed);
    assert_eq!(
        h.hold("h2", "w", "e", "1.00", 60).code,
        C::AccountAlreadyClosed
    );
    assert_eq!(
        h.open("e", AccountKind::NonNegative, None).code,
        C::AccountExists
    );
    assert_eq!(h.close("nope").code, C::UnknownAccount);
    // An account emptied back to zero can close.
    h.transfer("w", "bank", "100.00");
    assert_eq!(h.close("w").code, C::AccountClosed);
    h.open("cl", AccountKind::CreditLine, Some("5.00"));
    h.close("cl");
    assert_eq!(h.set_limit("cl", "1.00").code, C::AccountAlreadyClosed);
    h.round_trips();
}

// ---------------------------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------------------------

#[test]
fn same_key_same_request_gives_the_same_outcome_again() {
    let mut h = H::funded();
    let req = h.hold_req("h", "w", "m", "10.5", T0 + 60);
    let first = h.l.hold(&req).unwrap();
    let head = h.l.head();
    let digest = h.l.state_digest();
    // Later, with the amount written differently: the same request.
    let retry = HoldRequest {
        now: T0 + 30,
        amount: "10.50".into(),
        ..req.clone()
    };
    let again = h.l.hold(&retry).unwrap();
    assert!(again.repeated);
    assert_eq!(
        Outcome {
            repeated: false,
            ..again
        },
        first
    );
    assert_eq!(h.l.head(), head, "a repeat is not journaled");
    assert_eq!(h.l.state_digest(), digest, "a repeat changes nothing");
    // The same key for something else.
    let other = HoldRequest {
        amount: "10.51".into(),
        ..req.clone()
    };
    let out = h.l.hold(&other).unwrap();
    assert_eq!(
        (out.code, out.seq, out.repeated),
        (C::IdempotencyKeyReused, 0, false)
    );
    let out =
        h.l.void(&VoidRequest {
            idempotency_key: req.idempotency_key.clone(),
            now: T0,
            hold_id: "h".into(),
        })
        .unwrap();
    assert_eq!(out.code, C::IdempotencyKeyReused);
    assert_eq!(h.l.head(), head);
    assert_eq!(h.l.state_digest(), digest);
}

#[test]
fn a_rejection_is_answered_again_for_its_key() {
    let mut h = H::funded();
    let req = TransferRequest {
        idempotency_key: "pay-1".into(),
        now: T0,
        debit_account_id: "w".into(),
        credit_account_id: "m".into(),
        amount: "150.00".into(),
        currency: "EUR".into(),
    };
    let first = h.l.transfer(&req).unwrap();
    assert_eq!(first.code, C::InsufficientFunds);
    h.transfer("bank", "w", "100.00");
    let again = h.l.transfer(&req).unwrap();
    assert_eq!(
        (again.code, again.seq, again.repeated),
        (C::InsufficientFunds, first.seq, true)
    );
    let fresh =
        h.l.transfer(&TransferRequest {
            idempotency_key: "pay-2".into(),
            ..req
        })
        .unwrap();
    assert_eq!(fresh.code, C::Transferred);
}

#[test]
fn idempotency_keys_full_then_the_oldest_is_forgotten_after_retention() {
    let mut h = H::new();
    for i in 0..IDEMPOTENCY_KEYS_MAX {
        let op = ExpireDueRequest {
            idempotency_key: format!("k{i}"),
            now: T0,
        };
        assert_eq!(h.l.expire_due(&op).unwrap().code, C::DueHoldsExpired);
        if h.l.journal().len() == JOURNAL_ENTRIES_RETAINED_MAX {
            h.l.truncate_journal(h.l.head().seq).unwrap();
        }
    }
    assert_eq!(h.l.counts().idempotency_keys, IDEMPOTENCY_KEYS_MAX);
    let head = h.l.head();
    let next = ExpireDueRequest {
        idempotency_key: "new".into(),
        now: T0 + IDEMPOTENCY_KEY_RETENTION_S - 1,
    };
    let out = h.l.expire_due(&next).unwrap();
    assert_eq!((out.code, out.seq), (C::IdempotencyKeysFull, 0));
    assert_eq!(h.l.head(), head);
    // A repeat is still answered when full.
    let old = ExpireDueRequest {
        idempotency_key: "k0".into(),
        now: T0 + 1,
    };
    assert!(h.l.expire_due(&old).unwrap().repeated);
    // Once the oldest is old enough it is forgotten to make room.
    let next = ExpireDueRequest {
        now: T0 + IDEMPOTENCY_KEY_RETENTION_S,
        ..next
    };
    assert_eq!(h.l.expire_due(&next).unwrap().code, C::DueHoldsExpired);
    assert_eq!(h.l.counts().idempotency_keys, IDEMPOTENCY_KEYS_MAX);
    let out = h.l.expire_due(&old).unwrap();
    assert!(
        !out.repeated,
        "k0 was forgotten: executed as a new operation"
    );
    h.l.check_invariants().unwrap();
    let restored = Ledger::restore(&h.l.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(restored.state_digest(), h.l.state_digest());
}

// ---------------------------------------------------------------------------------------------
// Journal
// ---------------------------------------------------------------------------------------------

fn busy() -> H {
    let mut h = H::funded();
    h.open("cl", AccountKind::CreditLine, Some("25.00"));
    h.hold("h1", "w", "m", "30.00", 60);
    h.post("h1", Some("10.00"), false);
    h.increment("h1", "5.00");
    h.hold("h2", "cl", "m", "25.00", 120);
    h.transfer("w", "m", "80.00"); // rejected
    h.now += 61;
    h.post("h1", None, true); // expired lazily
    h.extend("h2", T0 + 500);
    h.expire_due();
    h.post("h2", Some("5.00"), true);
    h
}

/// `busy()` plus the kinds it lacks (void, credit limit, open, close, capacity): a journal with
/// every kind of operation.
fn every_kind() -> H {
    let mut h = busy();
    h.hold("h3", "w", "m", "1.00", 60);
    h.void("h3");
    h.set_limit("cl", "30.00");
    h.open("empty", AccountKind::NonNegative, None);
    h.close("empty");
    h.exec(set_capacity("capacity", T0, ACCOUNTS_MAX + 1, HOLDS_MAX + 1));
    h
}

#[test]
fn an_operations_fingerprint_is_its_encoding_without_now() {
    // The fingerprint is hashed from the operation's one encoding (with `now`) minus the `now`
    // item and with a one-less array header; it must equal SHA-256 of the operation encoded
    // without `now` (the definition), for every kind of operation.
    let h = every_kind();
    let mut kinds = std::collections::HashSet::new();
    for entry in h.l.journal() {
        let (op, _) = entry.parts();
        kinds.insert(core::mem::discriminant(&op.action));
        let once = codec::OpBytes::new(&op);
        assert_eq!(once.fingerprint(), codec::fingerprint(&op), "{op:?}");
        // A different `now` leaves it unchanged (a retry is sent later).
        let later = Op { now: op.now + 1, ..op.clone() };
        assert_eq!(codec::OpBytes::new(&later).fingerprint(), once.fingerprint());
    }
    assert_eq!(kinds.len(), 11, "every kind of operation is covered");
}

#[test]
fn a_batch_in_the_operations_encoding_decodes_to_the_requests_it_was_made_from() {
    // The SDK's compact batch (`batch_from_cbor`): each operation in its journal encoding after
    // its `linked` flag. Every kind decodes to a request that validates to the same operation,
    // with its flag; anything else is refused whole.
    let h = every_kind();
    let ops: Vec<Op> = h.l.journal().iter().map(|entry| entry.parts().0).collect();
    let batch = |ops: &[Op], items: u64| {
        let mut e = crate::limits::cbor::Enc::new();
        e.array(items);
        for (i, op) in ops.iter().enumerate() {
            e.bool(i % 3 == 1).encoded(codec::OpBytes::new(op).bytes());
        }
        e.into_bytes()
    };
    let bytes = batch(&ops, 2 * ops.len() as u64);
    let decoded = batch_from_cbor(&bytes).expect("decodes");
    assert_eq!(decoded.len(), ops.len());
    for (i, (b, op)) in decoded.iter().zip(&ops).enumerate() {
        assert_eq!(b.linked, i % 3 == 1);
        assert_eq!(&engine::validate(&b.operation).unwrap(), op);
    }
    let kinds: std::collections::HashSet<_> = ops.iter().map(|op| core::mem::discriminant(&op.action)).collect();
    assert_eq!(kinds.len(), 11, "every kind of operation is covered");
    // An odd item count, a missing operation, trailing bytes, a truncation: refused.
    assert!(batch_from_cbor(&batch(&ops, 2 * ops.len() as u64 - 1)).is_none());
    assert!(batch_from_cbor(&batch(&ops, 2 * ops.len() as u64 + 2)).is_none());
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(batch_from_cbor(&trailing).is_none());
    assert!(batch_from_cbor(&bytes[..bytes.len() - 1]).is_none());
    assert!(batch_from_cbor(&[]).is_none());
    // At most BATCH_OPERATIONS_MAX operations.
    let many: Vec<Op> = (0..=BATCH_OPERATIONS_MAX).map(|i| ops[i % ops.len()].clone()).collect();
    assert!(batch_from_cbor(&batch(&many, 2 * many.len() as u64)).is_none());
    assert_eq!(batch_from_cbor(&batch(&many[1..], 2 * BATCH_OPERATIONS_MAX as u64)).map(|b| b.len()), Some(BATCH_OPERATIONS_MAX));
}

#[test]
fn journal_entries_chain_and_decode() {
    let h = busy();
    let journal = h.l.journal();
    assert_eq!(journal.len() as u64, h.l.head().seq);
    let mut prev = GENESIS_HASH;
    for (i, entry) in journal.iter().enumerate() {
        assert_eq!(entry.seq(), i as u64 + 1);
        assert_eq!(entry.prev_hash(), prev);
        assert_eq!(entry.hash(), crate::crypto::sha256(entry.bytes()));
        let decoded = JournalEntry::decode(entry.bytes()).unwrap();
        assert_eq!(&decoded, entry);
        // The operation round-trips through its public form: re-encoded, it is the entry's own.
        let operation = entry.operation().unwrap();
        let op = engine::validate(&operation).unwrap();
        assert_eq!(engine::validate(&op.to_operation()).unwrap(), op);
        assert_eq!(entry.outcome().unwrap().seq, entry.seq());
        assert_eq!(entry.outcome().unwrap().code, entry.code());
        prev = entry.hash();
    }
    assert_eq!(journal.last().unwrap().head(), h.l.head());
    let codes: Vec<&str> = journal.iter().map(|e| e.code().as_str()).collect();
    assert!(codes.contains(&"INSUFFICIENT_FUNDS") && codes.contains(&"HOLD_EXPIRED"));
}

#[test]
fn the_first_entry_is_pinned() {
    // Pins the entry format: change it only on purpose (the SDK and the vectors depend on it).
    let mut l = Ledger::new();
    l.open_account(&OpenAccountRequest {
        idempotency_key: "k1".into(),
        now: 1_767_225_600,
        account_id: "bank".into(),
        currency: "EUR".into(),
        kind: AccountKind::Unrestricted,
        credit_limit: None,
    })
    .unwrap();
    let entry = l.journal().first().unwrap();
    // {0: 1, 1: [0, "k1", 1767225600, "bank", "EUR", 0, null], 2: ["ACCOUNT_OPENED", null, []],
    //  3: h'00' * 32}
    let expected = "a40001018700626b311a6955b9006462616e6b6345555200f602836e4143434f554e545f\
                    4f50454e4544f68003582000000000000000000000000000000000000000000000000000000000\
                    00000000";
    assert_eq!(hex::encode(entry.bytes()), expected.replace(' ', ""));
}

#[test]
fn replay_rebuilds_the_same_state() {
    let h = busy();
    let entries: Vec<Vec<u8>> = h.l.journal().iter().map(|e| e.bytes().to_vec()).collect();
    let replayed = Ledger::replay(&entries).unwrap();
    assert_eq!(replayed.state_digest(), h.l.state_digest());
    assert_eq!(replayed.head(), h.l.head());
    assert!(
        replayed.journal().is_empty(),
        "replayed entries are already persisted"
    );
    // Replayed in two halves.
    let mut half = Ledger::replay(&entries[..5]).unwrap();
    half.apply_journal(&entries[5..]).unwrap();
    assert_eq!(half.state_digest(), h.l.state_digest());
    // An empty journal replays to an empty ledger.
    assert_eq!(Ledger::replay::<Vec<u8>>(&[]).unwrap(), Ledger::new());
}

#[test]
fn a_broken_chain_is_journal_invalid() {
    let h = busy();
    let entries: Vec<Vec<u8>> = h.l.journal().iter().map(|e| e.bytes().to_vec()).collect();
    let code = |entries: &[Vec<u8>]| Ledger::replay(entries).unwrap_err().code();
    // Dropped, reordered, duplicated entries.
    let mut dropped = entries.clone();
    dropped.remove(3);
    assert_eq!(code(&dropped), ErrorCode::JournalInvalid);
    let mut swapped = entries.clone();
    swapped.swap(2, 3);
    assert_eq!(code(&swapped), ErrorCode::JournalInvalid);
    let mut doubled = entries.clone();
    doubled.insert(4, entries[3].clone());
    assert_eq!(code(&doubled), ErrorCode::JournalInvalid);
    // Starting in the middle.
    assert_eq!(code(&entries[1..]), ErrorCode::JournalInvalid);
    // Every single-bit flip anywhere is refused (mostly as malformed or a broken chain).
    for index in 0..entries[6].len() {
        let mut tampered = entries.clone();
        tampered[6][index] ^= 0x01;
        let e = Ledger::replay(&tampered).unwrap_err();
        assert!(
            matches!(
                e.code(),
                ErrorCode::JournalInvalid | ErrorCode::JournalMismatch
            ),
            "byte {index}: {e}"
        );
    }
    // Trailing garbage, truncation.
    let mut long = entries.clone();
    long[0].push(0);
    assert_eq!(code(&long), ErrorCode::JournalInvalid);
    let mut short = entries.clone();
    short[0].pop();
    assert_eq!(code(&short), ErrorCode::JournalInvalid);
    let e = Ledger::replay(&entries[1..]).unwrap_err();
    assert_eq!(e.param(), "entries");
}

#[test]
fn a_forged_result_is_journal_mismatch_even_with_a_valid_chain() {
    let h = busy();
    // Rebuild the chain with the 10th entry's result changed (a rejection made a success) and
    // every later hash recomputed: the chain is valid, the history is not.
    let mut prev = GENESIS_HASH;
    let mut forged = Vec::new();
    for entry in h.l.journal() {
        let (op, mut verdict) = entry.parts();
        if entry.seq() == 10 {
            assert_eq!(verdict.code, C::InsufficientFunds);
            verdict.code = C::Transferred;
        }
        let rebuilt = JournalEntry::build(entry.seq(), &codec::OpBytes::new(&op), &verdict, prev).unwrap();
        prev = rebuilt.hash();
        forged.push(rebuilt.bytes().to_vec());
    }
    let e = Ledger::replay(&forged).unwrap_err();
    assert_eq!(
        (e.code(), e.param()),
        (ErrorCode::JournalMismatch, "entries")
    );
    assert!(e.message().contains("entries[9]"), "{e}");
    // A non-canonical encoding of a valid entry is refused too.
    let op_only = JournalEntry::decode(&[0xa0]).unwrap_err();
    assert_eq!(op_only.code(), ErrorCode::JournalInvalid);
}

#[test]
fn journal_full_until_truncated() {
    let mut h = H::new();
    for i in 0..JOURNAL_ENTRIES_RETAINED_MAX {
        let op = ExpireDueRequest {
            idempotency_key: format!("k{i}"),
            now: T0,
        };
        assert_eq!(h.l.expire_due(&op).unwrap().code, C::DueHoldsExpired);
    }
    let head = h.l.head();
    let out =
        h.l.expire_due(&ExpireDueRequest {
            idempotency_key: "more".into(),
            now: T0,
        })
        .unwrap();
    assert_eq!((out.code, out.seq), (C::JournalFull, 0));
    assert_eq!(h.l.head(), head);
    // A repeat needs no journal room.
    assert!(
        h.l.expire_due(&ExpireDueRequest {
            idempotency_key: "k1".into(),
            now: T0
        })
        .unwrap()
        .repeated
    );
    assert_eq!(
        err_of(h.l.truncate_journal(head.seq + 1).map(|()| unreachable!())),
        (ErrorCode::InvalidArgument, "throughSeq")
    );
    h.l.truncate_journal(100).unwrap();
    assert_eq!(h.l.journal().len(), JOURNAL_ENTRIES_RETAINED_MAX - 100);
    assert_eq!(h.l.journal()[0].seq(), 101);
    h.l.check_invariants().unwrap();
    let out =
        h.l.expire_due(&ExpireDueRequest {
            idempotency_key: "more".into(),
            now: T0,
        })
        .unwrap();
    assert_eq!(out.seq, head.seq + 1);
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

#[test]
fn snapshot_restore_and_continue_with_the_journal() {
    let mut h = busy();
    let snapshot = h.l.snapshot(&KEY).unwrap();
    let at = h.l.head();
    h.l.truncate_journal(at.seq).unwrap();
    h.hold("h3", "w", "m", "1.00", 600);
    h.post("h3", None, false);
    h.transfer("bank", "w", "3.00");
    let later: Vec<Vec<u8>> = h.l.journal().iter().map(|e| e.bytes().to_vec()).collect();
    let mut restored = Ledger::restore(&snapshot, &KEY).unwrap();
    assert_eq!(restored.head(), at);
    assert!(restored.journal().is_empty());
    restored.apply_journal(&later).unwrap();
    assert_eq!(restored.state_digest(), h.l.state_digest());
    assert_eq!(restored.head(), h.l.head());
    // Entries that do not start right after the snapshot's head do not apply.
    let mut restored = Ledger::restore(&snapshot, &KEY).unwrap();
    assert_eq!(
        restored.apply_journal(&later[1..]).unwrap_err().code(),
        ErrorCode::JournalInvalid
    );
    assert_eq!(restored.head(), at, "unchanged");
    // A ledger with its own retained entries refuses others.
    assert_eq!(
        h.l.apply_journal(&later).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn snapshot_refuses_tampering_wrong_keys_and_versions() {
    let h = busy();
    let bytes = h.l.snapshot(&KEY).unwrap();
    assert_eq!(
        Ledger::restore(&bytes, &[1; 32]).unwrap_err().code(),
        ErrorCode::SnapshotInvalid
    );
    assert_eq!(
        Ledger::restore(&bytes, &[1; 31]).unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
    assert_eq!(
        h.l.snapshot(&[1; 33]).unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
    for index in (0..bytes.len()).step_by(7) {
        let mut tampered = bytes.clone();
        tampered[index] ^= 0x20;
        let code = Ledger::restore(&tampered, &KEY).unwrap_err().code();
        assert!(
            matches!(
                code,
                ErrorCode::SnapshotInvalid | ErrorCode::SnapshotVersionUnsupported
            ),
            "byte {index}: {code:?}"
        );
    }
    assert_eq!(
        Ledger::restore(&bytes[..bytes.len() - 1], &KEY)
            .unwrap_err()
            .code(),
        ErrorCode::SnapshotInvalid
    );
    assert_eq!(
        Ledger::restore(&[], &KEY).unwrap_err().code(),
        ErrorCode::SnapshotInvalid
    );
    // A card snapshot is not a ledger snapshot.
    let card = crate::card::Card::new(
        "c",
        crate::card::PublicKey {
            key_id: "i".into(),
            alg: crate::envelope::Alg::EdDSA,
            public_key: crate::crypto::ed25519::public_key(&[3; 32])
                .unwrap()
                .to_vec(),
        },
    )
    .unwrap();
    let card_bytes = card.snapshot(&KEY).unwrap();
    assert_eq!(
        Ledger::restore(&card_bytes, &KEY).unwrap_err().code(),
        ErrorCode::SnapshotInvalid
    );
}

#[test]
fn a_consistently_signed_but_inconsistent_state_is_refused() {
    let h = busy();
    // Break conservation, re-sign with the right key: restore still refuses it.
    let mut broken = h.l.clone();
    if let Some(account) = broken.accounts.get_mut("m") {
        account.credits_posted += 1;
    }
    assert_eq!(
        broken.check_invariants().unwrap_err().code(),
        ErrorCode::Internal
    );
    let bytes = broken.snapshot(&KEY).unwrap();
    let e = Ledger::restore(&bytes, &KEY).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SnapshotInvalid);
    assert!(e.message().contains("sum to zero"), "{e}");
    // A pending total that disagrees with the holds.
    let mut h = h;
    h.hold("h9", "bank", "m", "1.00", 600);
    let mut broken = h.l.clone();
    if let Some(account) = broken.accounts.get_mut("bank") {
        account.debits_pending = 0;
    }
    assert!(broken.check_invariants().is_err());
    assert_eq!(
        Ledger::restore(&broken.snapshot(&KEY).unwrap(), &KEY)
            .unwrap_err()
            .code(),
        ErrorCode::SnapshotInvalid
    );
}

// ---------------------------------------------------------------------------------------------
// Atomicity and retention
// ---------------------------------------------------------------------------------------------

#[test]
fn an_invariant_failure_is_internal_and_changes_nothing() {
    let mut h = H::funded();
    h.hold("h", "w", "m", "10.00", 60);
    let before = h.l.clone();
    fault::arm(true);
    let result = h.l.transfer(&TransferRequest {
        idempotency_key: "t".into(),
        now: T0,
        debit_account_id: "w".into(),
        credit_account_id: "m".into(),
        amount: "1.00".into(),
        currency: "EUR".into(),
    });
    let post = h.l.post(&PostRequest {
        idempotency_key: "p".into(),
        now: T0,
        hold_id: "h".into(),
        amount: None,
        currency: None,
        is_final: false,
    });
    fault::arm(false);
    let e = result.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Internal);
    assert!(e.message().contains("invariant"), "{e}");
    assert_eq!(post.unwrap_err().code(), ErrorCode::Internal);
    assert_eq!(h.l, before, "unchanged: no key, no entry, no balance");
    // And the same operations then succeed.
    assert_eq!(h.transfer("w", "m", "1.00").code, C::Transferred);
}

#[test]
fn resolved_holds_are_forgotten_beyond_the_retention_limit() {
    let mut h = H::funded();
    // One second per pair, like a busy station: 8,194 keys over 68 minutes.
    for i in 0..=HOLDS_RESOLVED_RETAINED_MAX {
        h.now = T0 + i as i64;
        let hold = h.hold_req(&format!("h{i}"), "w", "m", "0.01", h.now + 60);
        assert_eq!(h.l.hold(&hold).unwrap().code, C::Held);
        let void = VoidRequest {
            idempotency_key: format!("v{i}"),
            now: h.now,
            hold_id: format!("h{i}"),
        };
        assert_eq!(h.l.void(&void).unwrap().code, C::Voided);
        if h.l.journal().len() >= JOURNAL_ENTRIES_RETAINED_MAX - 2 {
            h.l.truncate_journal(h.l.head().seq).unwrap();
        }
    }
    h.l.check_invariants().unwrap();
    assert_eq!(h.l.counts().holds_resolved, HOLDS_RESOLVED_RETAINED_MAX);
    assert!(
        h.l.hold_view("h0").is_none(),
        "the earliest resolved was forgotten"
    );
    assert_eq!(h.void("h0").code, C::UnknownHold);
    assert_eq!(h.void("h1").code, C::HoldAlreadyVoided);
    assert_eq!(
        h.hold("h0", "w", "m", "0.01", 60).code,
        C::Held,
        "a forgotten id may be used again"
    );
}

#[test]
fn multi_currency_ledgers_conserve_per_currency() {
    let mut h = H::new();
    for (cur, amount) in [
        ("EUR", "10.00"),
        ("JPY", "1000"),
        ("BTC", "0.00000001"),
        ("KWD", "1.234"),
    ] {
        h.open_in(&format!("bank-{cur}"), cur, AccountKind::Unrestricted, None);
        h.open_in(&format!("w-{cur}"), cur, AccountKind::NonNegative, None);
        assert_eq!(
            h.transfer_in(&format!("bank-{cur}"), &format!("w-{cur}"), amount, cur)
                .code,
            C::Transferred
        );
        assert_eq!(h.acct(&format!("w-{cur}")).balance, amount);
    }
    assert_eq!(
        h.transfer_in("w-EUR", "w-JPY", "1", "EUR").code,
        C::CurrencyMismatch
    );
    h.round_trips();
}

// ------------------------------------------------------------------------------------------
// execute_batch
// ------------------------------------------------------------------------------------------

fn batch_transfer(key: &str, amount: &str, now: i64) -> Operation {
    Operation::Transfer(TransferRequest {
        idempotency_key: key.into(),
        now,
        debit_account_id: "wallet".into(),
        credit_account_id: "shop".into(),
        amount: amount.into(),
        currency: "EUR".into(),
    })
}

#[test]
fn batch_answers_each_operation_like_execute_would() {
    let mut h = H::new();
    h.open("bank", AccountKind::Unrestricted, None);
    h.open("wallet", AccountKind::NonNegative, None);
    h.open("shop", AccountKind::NonNegative, None);
    h.transfer("bank", "wallet", "10.00");
    let ops = vec![
        batch_transfer("b1", "4.00", T0),
        batch_transfer("b2", "7.00", T0), // only 6.00 left
        batch_transfer("b3", "6.00", T0),
    ];
    let mut twin = h.l.clone();
    let outcomes = h.l.execute_batch(&ops).unwrap();
    let codes: Vec<_> = outcomes.iter().map(|o| o.code).collect();
    assert_eq!(codes, vec![C::Transferred, C::InsufficientFunds, C::Transferred]);
    for op in &ops {
        twin.execute(op).unwrap();
    }
    assert_eq!(twin.state_digest(), h.l.state_digest(), "a batch is the same as one call each");
    assert_eq!(h.l.account("wallet").unwrap().balance, "0.00");
    // The same batch again: every outcome is the stored one.
    let again = h.l.execute_batch(&ops).unwrap();
    assert!(again.iter().all(|o| o.repeated));
    assert_eq!(again.iter().map(|o| o.code).collect::<Vec<_>>(), codes);
    h.l.check_invariants().unwrap();
}

#[test]
fn batch_with_a_malformed_operation_runs_nothing_and_names_its_index() {
    let mut h = H::new();
    h.open("bank", AccountKind::Unrestricted, None);
    h.open("wallet", AccountKind::NonNegative, None);
    h.open("shop", AccountKind::NonNegative, None);
    h.transfer("bank", "wallet", "10.00");
    let before = h.l.state_digest();
    let ops = vec![batch_transfer("b1", "1.00", T0), batch_transfer("b2", "1.001", T0)];
    let err = h.l.execute_batch(&ops).unwrap_err();
    assert_eq!(err.index, 1);
    assert_eq!(err.error.code(), ErrorCode::AmountPrecision);
    // The full path, raised by the core; the message is the field's, unchanged.
    assert_eq!(err.error.param(), "operations[1].request.amount");
    assert!(!err.error.message().contains("operations"), "{}", err.error.message());
    assert_eq!(h.l.state_digest(), before, "nothing in the batch ran");
}

#[test]
fn batch_longer_than_its_limit_is_refused_whole() {
    let mut h = H::new();
    let ops: Vec<_> = (0..=BATCH_OPERATIONS_MAX)
        .map(|i| batch_transfer(&format!("k{i}"), "1.00", T0))
        .collect();
    let before = h.l.state_digest();
    let err = h.l.execute_batch(&ops).unwrap_err();
    assert_eq!((err.error.code(), err.error.param()), (ErrorCode::LimitExceeded, "operations"));
    assert_eq!(h.l.state_digest(), before);
    assert!(h.l.execute_batch(&ops[..BATCH_OPERATIONS_MAX]).is_ok());
}

#[test]
fn keys_beyond_the_whole_outcome_window_keep_code_and_seq_only() {
    let mut h = H::funded();
    let first = h.hold_req("h-first", "w", "m", "1.00", h.now + 3600);
    let first_out = h.l.hold(&first).unwrap();
    assert_eq!(first_out.code, C::Held);
    let first_seq = first_out.seq;
    for i in 0..IDEMPOTENCY_OUTCOMES_MAX {
        let op = ExpireDueRequest {
            idempotency_key: format!("tick-{i}"),
            now: h.now,
        };
        h.l.expire_due(&op).unwrap();
        if h.l.journal().len() >= JOURNAL_ENTRIES_RETAINED_MAX - 1 {
            h.l.truncate_journal(h.l.head().seq).unwrap();
        }
    }
    let recent = h.hold_req("h-recent", "w", "m", "2.00", h.now + 3600);
    assert_eq!(h.l.hold(&recent).unwrap().code, C::Held);
    h.l.check_invariants().unwrap();
    // The first hold's key left the window: same code and seq, no hold view, nothing done.
    let before = h.l.state_digest();
    let again = h.l.hold(&first).unwrap();
    assert_eq!((again.code, again.seq, again.repeated), (C::Held, first_seq, true));
    assert_eq!(again.hold, None);
    assert_eq!(h.l.state_digest(), before);
    assert_eq!(h.l.hold_view("h-first").unwrap().pending, "1.00", "held once");
    // A recent key keeps its whole outcome.
    let recent_again = h.l.hold(&recent).unwrap();
    assert!(recent_again.repeated);
    assert_eq!(recent_again.hold.unwrap().pending, "2.00");
    // A changed request under the old key is still recognised as a reuse.
    let changed = HoldRequest { amount: "1.01".into(), ..first.clone() };
    assert_eq!(h.l.hold(&changed).unwrap().code, C::IdempotencyKeyReused);
    // Restore rebuilds the window from the key order: same state, same answers.
    let restored = Ledger::restore(&h.l.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(restored.state_digest(), h.l.state_digest());
    let mut restored = restored;
    assert_eq!(restored.hold(&first).unwrap().hold, None);
    assert!(restored.hold(&recent).unwrap().hold.is_some());
}

// ------------------------------------------------------------------------------------------
// Linked chains in execute_batch
// ------------------------------------------------------------------------------------------

fn linked(operation: Operation) -> BatchOperation {
    BatchOperation { operation, linked: true }
}

fn unlinked(operation: Operation) -> BatchOperation {
    BatchOperation { operation, linked: false }
}

fn pay(key: &str, debit: &str, credit: &str, amount: &str, now: i64) -> Operation {
    Operation::Transfer(TransferRequest {
        idempotency_key: key.into(),
        now,
        debit_account_id: debit.into(),
        credit_account_id: credit.into(),
        amount: amount.into(),
        currency: "EUR".into(),
    })
}

fn codes(outcomes: &[Outcome]) -> Vec<LedgerCode> {
    outcomes.iter().map(|o| o.code).collect()
}

#[test]
fn a_failed_chain_leaves_the_ledger_exactly_as_it_was_and_its_keys_free() {
    let mut h = H::funded();
    // 100.00 in the wallet: the payment fits, the payment and its fee do not.
    let batch = vec![
        linked(pay("pay-1", "w", "m", "95.00", T0 + 5)),
        unlinked(pay("fee-1", "w", "bank", "6.00", T0 + 9)),
    ];
    let before = h.l.clone();
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(codes(&outcomes), vec![C::LinkedOperationFailed, C::InsufficientFunds]);
    for o in &outcomes {
        assert_eq!((o.seq, o.repeated, o.hold.is_none(), o.expired.len()), (0, false, true, 0));
    }
    assert_eq!(h.l, before, "nothing stands: balances, keys, clock, journal, indexes");
    assert_eq!(h.l.clock(), T0, "the clock is not moved by a failed chain");
    // The same keys are free: the chain retried with a smaller fee goes through as one.
    let retry = vec![
        linked(pay("pay-1", "w", "m", "95.00", T0 + 20)),
        unlinked(pay("fee-1", "w", "bank", "5.00", T0 + 21)),
    ];
    let outcomes = h.l.execute_batch(&retry).unwrap();
    assert_eq!(codes(&outcomes), vec![C::Transferred, C::Transferred]);
    let head = before.head().seq;
    assert_eq!((outcomes[0].seq, outcomes[1].seq), (head + 1, head + 2), "journaled together, in order");
    assert_eq!(h.balance("w"), "0.00");
    assert_eq!(h.l.clock(), T0 + 21);
    h.l.check_invariants().unwrap();
    // Sent again: every member is a repeat of a stored success, so the chain succeeds, doing
    // nothing.
    let digest = h.l.state_digest();
    let again = h.l.execute_batch(&retry).unwrap();
    assert!(again.iter().all(|o| o.repeated));
    assert_eq!(codes(&again), vec![C::Transferred, C::Transferred]);
    assert_eq!(h.l.state_digest(), digest);
    h.round_trips();
}

#[test]
fn account_ids_short_and_long_are_found_shown_and_snapshotted_alike() {
    // Ids up to 22 bytes are kept in the account's record, longer ones on the heap
    // (inline_id.rs): both are found, shown and encoded by their text, and differ by any byte.
    let mut h = H::funded();
    let ids = [
        "a".repeat(21),
        "a".repeat(22),
        "a".repeat(23),
        "é".repeat(11),
        "é".repeat(12),
        "x".repeat(64),
        "123e4567-e89b-12d3-a456-426614174000".to_owned(),
    ];
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(h.open(id, AccountKind::NonNegative, None).code, C::AccountOpened, "{id}");
        assert_eq!(h.open(id, AccountKind::NonNegative, None).code, C::AccountExists, "{id}");
        assert_eq!(h.transfer("bank", id, "3.00").code, C::Transferred, "{id}");
        assert_eq!(h.hold(&format!("h{n}"), id, "m", "1.00", 600).code, C::Held, "{id}");
    }
    for id in &ids {
        let view = h.l.account(id).unwrap();
        assert_eq!((view.account_id.as_str(), view.balance.as_str(), view.pending_holds), (id.as_str(), "3.00", 1));
    }
    assert!(h.l.account(&"a".repeat(20)).is_none());
    assert!(h.l.account(&"a".repeat(24)).is_none());
    assert_eq!(h.transfer(&"a".repeat(24), "m", "1.00").code, C::UnknownAccount);
    h.round_trips();
}

/// A post, as a chain member, of the hold `id`.
fn post_member(key: &str, id: &str) -> Operation {
    Operation::Post(PostRequest {
        idempotency_key: key.into(),
        now: T0,
        hold_id: id.into(),
        amount: None,
        currency: None,
        is_final: true,
    })
}

#[test]
fn a_failed_chain_that_resolved_holds_in_the_middle_of_an_account_s_list_leaves_the_lists_whole() {
    // The account's list head lives in its record (debit_index.rs): the chain's undo puts
    // records back after it relinks holds, and must keep the head it relinked (a stale head
    // leaves the hold in front unreachable, which the invariants and equality see).
    let mut h = H::funded();
    for id in ["h1", "h2", "h3", "h4"] {
        assert_eq!(h.hold(id, "w", "m", "10.00", 600).code, C::Held);
    }
    let before = h.l.clone();
    let batch = vec![
        linked(post_member("p2", "h2")),
        linked(Operation::Hold(h.hold_req("h5", "w", "m", "5.00", T0 + 600))),
        linked(post_member("p3", "h3")),
        linked(post_member("p5", "h5")),
        unlinked(pay("too-much", "w", "m", "1000.00", T0)),
    ];
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(codes(&outcomes).last(), Some(&C::InsufficientFunds));
    h.l.check_invariants().unwrap();
    assert_eq!(h.l, before);
    assert_eq!(h.l.account("w").unwrap().pending_holds, 4);
    // Every hold is still reachable: each posts, and the list empties.
    for id in ["h2", "h4", "h1", "h3"] {
        assert_eq!(h.post(id, None, true).code, C::Posted, "{id}");
    }
    assert_eq!(h.l.account("w").unwrap().pending_holds, 0);
    h.round_trips();
}

#[test]
fn chain_members_see_each_other_and_a_three_leg_chain_is_journaled_together() {
    let mut h = H::funded();
    h.open("prov-a", AccountKind::Unrestricted, None);
    h.open("prov-b", AccountKind::Unrestricted, None);
    h.open("r", AccountKind::NonNegative, None);
    let start = h.l.head().seq;
    let place = Operation::Hold(h.hold_req("x1", "w", "prov-a", "40.00", T0 + 600));
    let capture = Operation::Post(PostRequest {
        idempotency_key: "x1/post".into(),
        now: T0,
        hold_id: "x1".into(),
        amount: None,
        currency: None,
        is_final: true,
    });
    let batch = vec![
        linked(place),
        linked(capture),
        linked(pay("x1/settle", "prov-a", "prov-b", "40.00", T0)),
        unlinked(pay("x1/credit", "prov-b", "r", "40.00", T0)),
    ];
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(codes(&outcomes), vec![C::Held, C::Posted, C::Transferred, C::Transferred]);
    let seqs: Vec<u64> = outcomes.iter().map(|o| o.seq).collect();
    assert_eq!(seqs, vec![start + 1, start + 2, start + 3, start + 4]);
    assert_eq!(outcomes[1].hold.as_ref().unwrap().state, HoldState::Posted);
    assert_eq!((h.balance("w"), h.balance("r")), ("60.00".to_owned(), "40.00".to_owned()));
    h.l.check_invariants().unwrap();
    // Replay re-executes the members one by one: the journal needs nothing new.
    h.round_trips();
}

#[test]
fn an_open_chain_is_an_error_naming_the_last_operation_and_nothing_runs() {
    let mut h = H::funded();
    let before = h.l.clone();
    let batch = vec![
        unlinked(pay("a", "w", "m", "1.00", T0)),
        linked(pay("b", "w", "m", "1.00", T0)),
        linked(pay("c", "w", "m", "1.00", T0)),
    ];
    let err = h.l.execute_batch(&batch).unwrap_err();
    assert_eq!(err.index, 2);
    assert_eq!((err.error.code(), err.error.param()), (ErrorCode::InvalidArgument, "operations[2].linked"));
    assert!(err.error.message().contains("open"), "{}", err.error.message());
    assert_eq!(h.l, before);
    // A malformed request inside a chain is named as in an unlinked batch.
    let batch = vec![linked(pay("a", "w", "m", "1.00", T0)), unlinked(pay("b", "w", "m", "1.001", T0))];
    let err = h.l.execute_batch(&batch).unwrap_err();
    assert_eq!((err.index, err.error.param()), (1, "operations[1].request.amount"));
    assert_eq!(h.l, before);
}

#[test]
fn chains_and_unlinked_operations_are_independent() {
    let mut h = H::funded();
    let batch = vec![
        // Unlinked and failing: journaled on its own, as always.
        unlinked(pay("alone", "w", "m", "500.00", T0)),
        // A chain after it is not affected.
        linked(pay("c1", "w", "m", "10.00", T0)),
        unlinked(pay("c2", "w", "bank", "1.00", T0)),
        // A failing chain does not affect the unlinked operation after it.
        linked(pay("d1", "w", "m", "10.00", T0)),
        unlinked(pay("d2", "ghost", "m", "1.00", T0)),
        unlinked(pay("after", "w", "m", "2.00", T0)),
    ];
    let start = h.l.head().seq;
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(
        codes(&outcomes),
        vec![
            C::InsufficientFunds,
            C::Transferred,
            C::Transferred,
            C::LinkedOperationFailed,
            C::UnknownAccount,
            C::Transferred,
        ]
    );
    let seqs: Vec<u64> = outcomes.iter().map(|o| o.seq).collect();
    assert_eq!(seqs, vec![start + 1, start + 2, start + 3, 0, 0, start + 4]);
    assert_eq!(h.balance("w"), "87.00");
    assert!(h.l.account("ghost").is_none());
    h.round_trips();
}

#[test]
fn repeats_inside_a_chain_count_by_their_stored_outcome() {
    let mut h = H::funded();
    let ok = pay("done", "w", "m", "10.00", T0);
    let refused = pay("refused", "w", "m", "1000.00", T0);
    assert_eq!(h.exec(ok.clone()).code, C::Transferred);
    let refused_out = h.exec(refused.clone());
    assert_eq!(refused_out.code, C::InsufficientFunds);
    // A repeat of a stored success is a success: the chain goes through, done once.
    let outcomes = h.l.execute_batch(&[linked(ok.clone()), unlinked(pay("new", "w", "m", "1.00", T0))]).unwrap();
    assert_eq!(codes(&outcomes), vec![C::Transferred, C::Transferred]);
    assert!(outcomes[0].repeated && !outcomes[1].repeated);
    assert_eq!(h.balance("w"), "89.00");
    // A repeat of a stored rejection fails the chain with that stored outcome.
    let before = h.l.clone();
    let outcomes = h.l.execute_batch(&[linked(pay("n2", "w", "m", "1.00", T0)), unlinked(refused)]).unwrap();
    assert_eq!(codes(&outcomes), vec![C::LinkedOperationFailed, C::InsufficientFunds]);
    assert_eq!(outcomes[1], Outcome { repeated: true, ..refused_out });
    assert_eq!(h.l, before);
    // A key reused with another request fails the chain with IDEMPOTENCY_KEY_REUSED; so does
    // the same key twice in one chain for different requests.
    let outcomes = h.l.execute_batch(&[linked(pay("n3", "w", "m", "1.00", T0)), unlinked(pay("done", "w", "m", "2.00", T0))]).unwrap();
    assert_eq!(codes(&outcomes), vec![C::LinkedOperationFailed, C::IdempotencyKeyReused]);
    let outcomes = h.l.execute_batch(&[linked(pay("n4", "w", "m", "1.00", T0)), unlinked(pay("n4", "w", "m", "2.00", T0))]).unwrap();
    assert_eq!(codes(&outcomes), vec![C::LinkedOperationFailed, C::IdempotencyKeyReused]);
    assert_eq!(h.l, before);
}

#[test]
fn a_failed_chain_takes_back_the_expiries_it_caused() {
    let mut h = H::funded();
    assert_eq!(h.hold("old", "w", "m", "30.00", 60).code, C::Held);
    assert_eq!(h.hold("late", "w", "m", "5.00", 60).code, C::Held);
    let later = T0 + 120;
    let before = h.l.clone();
    // The transfer expires the wallet's overdue holds before its funds check; the post then
    // finds "late" expired: the chain fails, and neither expiry stands.
    let post = Operation::Post(PostRequest {
        idempotency_key: "p".into(),
        now: later,
        hold_id: "late".into(),
        amount: None,
        currency: None,
        is_final: false,
    });
    let expire = Operation::ExpireDue(ExpireDueRequest { idempotency_key: "e".into(), now: later });
    let outcomes = h
        .l
        .execute_batch(&[linked(expire), linked(pay("t", "w", "m", "1.00", later)), unlinked(post)])
        .unwrap();
    assert_eq!(codes(&outcomes), vec![C::LinkedOperationFailed, C::LinkedOperationFailed, C::HoldExpired]);
    assert!(outcomes.iter().all(|o| o.expired.is_empty() && o.hold.is_none()));
    assert_eq!(h.l, before);
    assert_eq!(h.held("old").state, HoldState::Pending, "still stored as pending until an expiry stands");
    // Alone, the same expiry stands (and is journaled).
    h.now = later;
    assert_eq!(h.expire_due().expired, vec!["late".to_owned(), "old".to_owned()]);
}

#[test]
fn an_internal_error_mid_chain_leaves_nothing_of_the_chain() {
    let mut h = H::funded();
    let batch = vec![
        unlinked(pay("before", "w", "m", "1.00", T0)),
        linked(pay("c1", "w", "m", "1.00", T0)),
        linked(pay("c2", "w", "m", "1.00", T0)),
        unlinked(pay("c3", "w", "m", "1.00", T0)),
    ];
    let mut expected = h.l.clone();
    assert_eq!(expected.execute(&batch[0].operation).unwrap().code, C::Transferred);
    // "before" and "c1" are decided cleanly, "c2" breaks conservation.
    fault::arm_after(2);
    let result = h.l.execute_batch(&batch);
    fault::arm(false);
    let err = result.unwrap_err();
    assert_eq!((err.index, err.error.code(), err.error.param()), (2, ErrorCode::Internal, "operations[2]"));
    assert_eq!(h.l, expected, "the operation before the chain stands, nothing of the chain");
    // Sent again: the first is a repeat, the chain runs.
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(codes(&outcomes), vec![C::Transferred; 4]);
    assert!(outcomes[0].repeated && !outcomes[1].repeated);
    h.round_trips();
}

#[test]
fn a_failed_chain_takes_back_evictions_of_keys_holds_and_whole_outcomes() {
    // Every retention window full: the next decided operation evicts the oldest key, forgets
    // the earliest resolved hold and compacts the oldest whole outcome. A chain whose first
    // members do all that and whose last member fails must leave the ledger exactly as it was.
    let mut h = H::funded();
    // Cheap operations first, then hold/void pairs: the whole-outcome window then holds only
    // outcomes with a hold view, so compacting its oldest changes it.
    let pairs = HOLDS_RESOLVED_RETAINED_MAX + 1;
    while h.l.counts().idempotency_keys < IDEMPOTENCY_KEYS_MAX - 2 * pairs {
        let key = h.key();
        h.l.expire_due(&ExpireDueRequest { idempotency_key: key, now: h.now }).unwrap();
        if h.l.journal().len() >= JOURNAL_ENTRIES_RETAINED_MAX - 2 {
            h.l.truncate_journal(h.l.head().seq).unwrap();
        }
    }
    for i in 0..pairs {
        hold_then_void(&mut h, i);
    }
    h.now += IDEMPOTENCY_KEY_RETENTION_S + 1;
    h.l.truncate_journal(h.l.head().seq).unwrap();
    let counts = h.l.counts();
    assert_eq!((counts.idempotency_keys, counts.holds_resolved), (IDEMPOTENCY_KEYS_MAX, HOLDS_RESOLVED_RETAINED_MAX));
    let before = h.l.clone();
    let place = Operation::Hold(h.hold_req("hx", "w", "m", "1.00", h.now + 60));
    let void = Operation::Void(VoidRequest { idempotency_key: "vx".into(), now: h.now, hold_id: "hx".into() });
    let batch = [linked(place), linked(void), unlinked(pay("tx", "w", "m", "1000.00", h.now))];
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(codes(&outcomes), vec![C::LinkedOperationFailed, C::LinkedOperationFailed, C::InsufficientFunds]);
    assert_eq!(h.l, before, "every eviction was taken back");
    h.l.check_invariants().unwrap();
    // Without the failing member the same chain stands, evicting as a single call would.
    let mut twin = h.l.clone();
    let outcomes = h.l.execute_batch(&batch[..2].iter().cloned().enumerate().map(|(i, mut b)| { b.linked = i == 0; b }).collect::<Vec<_>>()).unwrap();
    assert_eq!(codes(&outcomes), vec![C::Held, C::Voided]);
    twin.execute(&batch[0].operation).unwrap();
    twin.execute(&batch[1].operation).unwrap();
    assert_eq!(h.l, twin);
    h.l.check_invariants().unwrap();
}

#[test]
fn batch_operation_json_carries_linked_only_when_set() {
    let op = pay("k", "w", "m", "1.00", T0);
    let json = serde_json::to_value(linked(op.clone())).unwrap();
    assert_eq!(json["op"], "transfer");
    assert_eq!(json["linked"], true);
    assert_eq!(json["request"]["idempotencyKey"], "k");
    let plain = serde_json::to_value(unlinked(op.clone())).unwrap();
    assert!(plain.get("linked").is_none(), "{plain}");
    let back: BatchOperation = serde_json::from_value(json).unwrap();
    assert_eq!(back, linked(op));
}

#[test]
fn an_account_cannot_be_opened_in_a_chain() {
    let mut h = H::funded();
    let before = h.l.clone();
    let open = |key: &str| {
        Operation::OpenAccount(OpenAccountRequest {
            idempotency_key: key.into(),
            now: T0,
            account_id: "fresh".into(),
            currency: "EUR".into(),
            kind: AccountKind::NonNegative,
            credit_limit: None,
        })
    };
    // Linked to the next, or the last member of a chain: refused, naming it; nothing runs.
    for (batch, index) in [
        (vec![unlinked(pay("a", "w", "m", "1.00", T0)), linked(open("o")), unlinked(pay("b", "w", "fresh", "1.00", T0))], 1),
        (vec![linked(pay("b", "w", "m", "1.00", T0)), unlinked(open("o"))], 1),
    ] {
        let err = h.l.execute_batch(&batch).unwrap_err();
        assert_eq!((err.index, err.error.code(), err.error.param()), (index, ErrorCode::InvalidArgument, format!("operations[{index}].op").as_str()));
        assert_eq!(h.l, before);
    }
    // Unlinked, before the chain that uses it: fine.
    let batch = vec![unlinked(open("o")), linked(pay("b", "w", "fresh", "1.00", T0)), unlinked(pay("c", "w", "m", "1.00", T0))];
    assert_eq!(codes(&h.l.execute_batch(&batch).unwrap()), vec![C::AccountOpened, C::Transferred, C::Transferred]);
}

/// Places hold `h<i>` (0.01 from `w` to `m`) and voids it (key `v<i>`), persisting the journal as
/// a store would: one resolved hold more.
fn hold_then_void(h: &mut H, i: usize) {
    let hold = h.hold_req(&format!("h{i}"), "w", "m", "0.01", h.now + 60);
    assert_eq!(h.l.hold(&hold).unwrap().code, C::Held);
    let void = VoidRequest { idempotency_key: format!("v{i}"), now: h.now, hold_id: format!("h{i}") };
    assert_eq!(h.l.void(&void).unwrap().code, C::Voided);
    if h.l.journal().len() >= JOURNAL_ENTRIES_RETAINED_MAX - 2 {
        h.l.truncate_journal(h.l.head().seq).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Keys kept by the store (issue 10: day-long idempotency)
// ---------------------------------------------------------------------------------------------

fn set_retention(key: &str, now: i64, keys_kept_by: KeysKeptBy) -> Operation {
    Operation::SetKeyRetention(SetKeyRetentionRequest { idempotency_key: key.into(), now, keys_kept_by, key_window: None })
}

/// `count` expireDue operations at `now` (keys `prefix0`, `prefix1`, ...), truncating the journal
/// as a store would; the entries, in order.
fn fill_keys(l: &mut Ledger, prefix: &str, count: usize, now: i64) -> Vec<JournalEntry> {
    let mut entries = Vec::new();
    for i in 0..count {
        let out = l.expire_due(&ExpireDueRequest { idempotency_key: format!("{prefix}{i}"), now }).unwrap();
        assert_eq!(out.code, C::DueHoldsExpired);
        if l.journal().len() == JOURNAL_ENTRIES_RETAINED_MAX {
            entries.extend_from_slice(l.journal());
            l.truncate_journal(l.head().seq).unwrap();
        }
    }
    entries.extend_from_slice(l.journal());
    l.truncate_journal(l.head().seq).unwrap();
    entries
}

#[test]
fn in_store_mode_a_full_window_forgets_the_oldest_key_whatever_its_age() {
    let mut l = Ledger::new();
    assert_eq!(l.keys_kept_by(), KeysKeptBy::Ledger);
    let out = l.execute(&set_retention("mode", T0, KeysKeptBy::Store)).unwrap();
    assert_eq!((out.code, out.seq, out.repeated), (C::KeyRetentionSet, 1, false));
    assert_eq!(l.keys_kept_by(), KeysKeptBy::Store);
    let mut entries = vec![l.journal()[0].clone()];
    l.truncate_journal(1).unwrap();
    // All in the same second: in "ledger" mode the window would refuse IDEMPOTENCY_KEYS_FULL.
    entries.extend(fill_keys(&mut l, "k", IDEMPOTENCY_KEYS_MAX + 10, T0));
    assert_eq!(l.counts().idempotency_keys, IDEMPOTENCY_KEYS_MAX, "the window stays bounded");
    l.check_invariants().unwrap();
    // "mode" and k0..k10 were forgotten (11 keys), k11 is the oldest retained.
    let k0 = Operation::ExpireDue(ExpireDueRequest { idempotency_key: "k0".into(), now: T0 });
    let k11 = Operation::ExpireDue(ExpireDueRequest { idempotency_key: "k11".into(), now: T0 });
    assert!(l.clone().execute(&k11).unwrap().repeated);
    assert!(!l.clone().execute(&k0).unwrap().repeated, "forgotten: the ledger alone would execute it again");
    // Replay reproduces the mode and the evictions; restore keeps them.
    let replayed = Ledger::replay(&entries).unwrap();
    assert_eq!(replayed.state_digest(), l.state_digest());
    assert_eq!(replayed.keys_kept_by(), KeysKeptBy::Store);
    let restored = Ledger::restore(&l.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(restored, l);
    // The same fill in "ledger" mode is refused once the window is full.
    let mut plain = Ledger::new();
    fill_keys(&mut plain, "k", IDEMPOTENCY_KEYS_MAX, T0);
    let out = plain.execute(&Operation::ExpireDue(ExpireDueRequest { idempotency_key: "new".into(), now: T0 })).unwrap();
    assert_eq!(out.code, C::IdempotencyKeysFull);
}

#[test]
fn the_mode_is_state_encoded_only_when_set_and_back_to_ledger_restores_the_age_rule() {
    let mut l = Ledger::new();
    let plain_digest = l.state_digest();
    l.execute(&set_retention("s", T0, KeysKeptBy::Store)).unwrap();
    let store_bytes = codec::state_bytes(&l);
    l.execute(&set_retention("l", T0, KeysKeptBy::Ledger)).unwrap();
    let ledger_bytes = codec::state_bytes(&l);
    // A ledger in "ledger" mode encodes with the six items it always had; "store" adds one.
    assert_eq!(ledger_bytes.first(), Some(&0x86));
    assert_eq!(store_bytes.first(), Some(&0x87));
    assert_ne!(l.state_digest(), plain_digest, "the journal head moved");
    assert_eq!(Ledger::new().state_digest(), plain_digest);
    // A non-canonical state that writes the default explicitly is refused.
    let mut forged = ledger_bytes.clone();
    forged[0] = 0x87;
    forged.push(0x00);
    assert!(crate::limits::cbor::from_slice::<Ledger>(&forged).is_none());
    // Back in "ledger" mode the age rule applies again ("s" and "l" hold two places).
    fill_keys(&mut l, "k", IDEMPOTENCY_KEYS_MAX - 2, T0);
    let out = l.execute(&Operation::ExpireDue(ExpireDueRequest { idempotency_key: "new".into(), now: T0 })).unwrap();
    assert_eq!(out.code, C::IdempotencyKeysFull);
}

#[test]
fn set_key_retention_is_idempotent_and_taken_back_with_a_failed_chain() {
    let mut h = H::funded();
    let op = set_retention("mode", h.now, KeysKeptBy::Store);
    let first = h.exec(op.clone());
    let again = h.exec(op);
    assert_eq!((again.code, again.seq, again.repeated), (first.code, first.seq, true));
    let changed = h.exec(set_retention("mode", h.now, KeysKeptBy::Ledger));
    assert_eq!(changed.code, C::IdempotencyKeyReused);
    assert_eq!(h.l.keys_kept_by(), KeysKeptBy::Store);
    // In a chain whose last member fails, the mode change is taken back.
    let before = h.l.clone();
    let batch = [linked(set_retention("back", h.now, KeysKeptBy::Ledger)), unlinked(pay("big", "w", "m", "1000.00", h.now))];
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(codes(&outcomes), vec![C::LinkedOperationFailed, C::InsufficientFunds]);
    assert_eq!(h.l, before);
    // And it stands with the chain.
    let batch = [linked(set_retention("back", h.now, KeysKeptBy::Ledger)), unlinked(pay("small", "w", "m", "1.00", h.now))];
    assert_eq!(codes(&h.l.execute_batch(&batch).unwrap()), vec![C::KeyRetentionSet, C::Transferred]);
    assert_eq!(h.l.keys_kept_by(), KeysKeptBy::Ledger);
    h.round_trips();
}

#[test]
fn answer_from_entry_answers_a_forgotten_key_from_its_stored_entry() {
    let mut h = H::funded();
    h.exec(set_retention("mode", h.now, KeysKeptBy::Store));
    let pay_op = pay("p1", "w", "m", "10.00", h.now);
    let paid = h.exec(pay_op.clone());
    let refused_op = pay("p2", "w", "m", "1000.00", h.now);
    let refused = h.exec(refused_op.clone());
    assert_eq!(refused.code, C::InsufficientFunds);
    let entry_of = |l: &Ledger, seq: u64| l.journal().iter().find(|e| e.seq() == seq).unwrap().bytes().to_vec();
    let (paid_entry, refused_entry) = (entry_of(&h.l, paid.seq), entry_of(&h.l, refused.seq));
    // The ledger still retains both keys: it answers them itself.
    assert_eq!(h.l.answer_from_entry(&pay_op, &paid_entry).unwrap(), None);
    h.l.truncate_journal(h.l.head().seq).unwrap();
    fill_keys(&mut h.l, "k", IDEMPOTENCY_KEYS_MAX, h.now + 86_000);
    let before = h.l.clone();
    // A retry (later, sent again: `now` is not part of the request) gets the stored code and seq.
    let retry = pay("p1", "w", "m", "10.00", h.now + 86_000);
    let out = h.l.answer_from_entry(&retry, &paid_entry).unwrap().unwrap();
    assert_eq!(out, Outcome { code: C::Transferred, seq: paid.seq, repeated: true, hold: None, expired: vec![] });
    let out = h.l.answer_from_entry(&refused_op, &refused_entry).unwrap().unwrap();
    assert_eq!((out.code, out.seq, out.repeated), (C::InsufficientFunds, refused.seq, true));
    // "10.0" is the same amount in canonical form: the same request.
    let same = pay("p1", "w", "m", "10.0", h.now);
    assert!(h.l.answer_from_entry(&same, &paid_entry).unwrap().unwrap().repeated);
    // Another request under the key: IDEMPOTENCY_KEY_REUSED, seq 0.
    let other = pay("p1", "w", "m", "11.00", h.now);
    let out = h.l.answer_from_entry(&other, &paid_entry).unwrap().unwrap();
    assert_eq!((out.code, out.seq, out.repeated), (C::IdempotencyKeyReused, 0, false));
    assert_eq!(h.l, before, "answering changes nothing");
    // Errors: another key's entry, bytes that are no entry, a malformed operation.
    let e = h.l.answer_from_entry(&refused_op, &paid_entry).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::JournalInvalid, "entry"));
    let mut corrupt = paid_entry.clone();
    *corrupt.last_mut().unwrap() ^= 1;
    corrupt.truncate(corrupt.len() - 3);
    let e = h.l.answer_from_entry(&pay_op, &corrupt).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::JournalInvalid, "entry"));
    assert_eq!(h.l.answer_from_entry(&pay_op, &[]).unwrap_err().param(), "entry");
    let bad = pay("p1", "w", "m", "ten", h.now);
    assert_eq!(h.l.answer_from_entry(&bad, &paid_entry).unwrap_err().param(), "amount");
}

#[test]
fn journal_keys_name_each_retained_entry_with_its_effective_time() {
    let mut h = H::funded();
    h.l.truncate_journal(h.l.head().seq).unwrap();
    let head = h.l.head().seq;
    h.l.execute(&pay("a", "w", "m", "1.00", T0 + 10)).unwrap();
    // Sent with a clock behind the ledger's: its effective time is the ledger's.
    h.l.execute(&pay("b", "w", "m", "1.00", T0 + 5)).unwrap();
    h.l.execute(&pay("c", "w", "m", "1000.00", T0 + 20)).unwrap();
    let keys = h.l.journal_keys(head).unwrap();
    let seen: Vec<(u64, &str, i64)> = keys.iter().map(|k| (k.seq, k.idempotency_key.as_str(), k.time)).collect();
    assert_eq!(seen, vec![(head + 1, "a", T0 + 10), (head + 2, "b", T0 + 10), (head + 3, "c", T0 + 20)]);
    assert_eq!(h.l.journal_keys(head + 2).unwrap().len(), 1);
    assert!(h.l.journal_keys(head + 3).unwrap().is_empty());
    h.l.truncate_journal(head + 2).unwrap();
    assert_eq!(h.l.journal_keys(0).unwrap().len(), 1, "only retained entries");
}

// ---------------------------------------------------------------------------------------------
// The key window (issue 10: a million wallets, 1,024 ledgers in one memory)
// ---------------------------------------------------------------------------------------------

fn set_window(key: &str, now: i64, keys_kept_by: KeysKeptBy, window: u32) -> Operation {
    Operation::SetKeyRetention(SetKeyRetentionRequest { idempotency_key: key.into(), now, keys_kept_by, key_window: Some(window) })
}

#[test]
fn a_key_window_bounds_the_keys_and_is_journaled_replayed_and_restored() {
    let window = IDEMPOTENCY_KEY_WINDOW_MIN;
    let mut l = Ledger::new();
    let out = l.execute(&set_window("w", T0, KeysKeptBy::Store, window as u32)).unwrap();
    assert_eq!((out.code, out.seq), (C::KeyRetentionSet, 1));
    assert_eq!((l.key_window(), l.keys_kept_by()), (window, KeysKeptBy::Store));
    let mut entries = l.journal().to_vec();
    l.truncate_journal(1).unwrap();
    entries.extend(fill_keys(&mut l, "k", window + 100, T0));
    assert_eq!(l.counts().idempotency_keys, window, "the window, not IDEMPOTENCY_KEYS_MAX");
    l.check_invariants().unwrap();
    // "w" and k0..k99 were forgotten (101 keys); k100 is the oldest retained.
    let repeat = |l: &Ledger, key: &str| l.clone().execute(&Operation::ExpireDue(ExpireDueRequest { idempotency_key: key.into(), now: T0 })).unwrap().repeated;
    assert!(repeat(&l, "k100") && !repeat(&l, "k99"));
    // The state encodes mode and window (8 items); replay and restore reproduce both.
    assert_eq!(codec::state_bytes(&l).first(), Some(&0x88));
    let replayed = Ledger::replay(&entries).unwrap();
    assert_eq!(replayed.state_digest(), l.state_digest());
    assert_eq!((replayed.key_window(), replayed.keys_kept_by()), (window, KeysKeptBy::Store));
    let restored = Ledger::restore(&l.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(restored, l);
    // The default written explicitly is refused as non-canonical state.
    let mut plain = Ledger::new();
    plain.execute(&set_retention("s", T0, KeysKeptBy::Store)).unwrap();
    let mut forged = codec::state_bytes(&plain);
    assert_eq!(forged[0], 0x87);
    forged[0] = 0x88;
    forged.extend_from_slice(&[0x19, 0x80, 0x00]); // 32768
    assert!(crate::limits::cbor::from_slice::<Ledger>(&forged).is_none());
}

#[test]
fn with_the_keys_kept_by_the_ledger_a_small_window_keeps_the_age_rule() {
    let window = IDEMPOTENCY_KEY_WINDOW_MIN;
    let mut l = Ledger::new();
    l.execute(&set_window("w", T0, KeysKeptBy::Ledger, window as u32)).unwrap();
    assert_eq!(codec::state_bytes(&l).first(), Some(&0x88), "the window is written with the mode \"ledger\"");
    fill_keys(&mut l, "k", window - 1, T0);
    let next = |l: &mut Ledger, key: &str, now: i64| l.execute(&Operation::ExpireDue(ExpireDueRequest { idempotency_key: key.into(), now })).unwrap().code;
    assert_eq!(next(&mut l, "young", T0), C::IdempotencyKeysFull, "the oldest key is younger than the retention");
    assert_eq!(l.counts().idempotency_keys, window);
    assert_eq!(next(&mut l, "later", T0 + IDEMPOTENCY_KEY_RETENTION_S), C::DueHoldsExpired);
    assert_eq!(l.counts().idempotency_keys, window);
    l.check_invariants().unwrap();
}

#[test]
fn a_smaller_window_is_refused_while_the_ledger_retains_that_many_keys() {
    let mut l = Ledger::new();
    fill_keys(&mut l, "k", IDEMPOTENCY_KEY_WINDOW_MIN, T0);
    let keys_before = l.counts().idempotency_keys;
    let out = l.execute(&set_window("w", T0, KeysKeptBy::Store, IDEMPOTENCY_KEY_WINDOW_MIN as u32)).unwrap();
    // A rejection: journaled and answered again, nothing changed.
    assert_eq!(out.code, C::KeyWindowBelowKeys);
    assert!(out.seq > 0);
    assert_eq!((l.key_window(), l.keys_kept_by()), (IDEMPOTENCY_KEYS_MAX, KeysKeptBy::Ledger));
    assert_eq!(l.counts().idempotency_keys, keys_before + 1, "its own key is recorded");
    // One key fewer than the window asked for, plus its own key: accepted.
    let mut small = Ledger::new();
    fill_keys(&mut small, "k", IDEMPOTENCY_KEY_WINDOW_MIN - 1, T0);
    let out = small.execute(&set_window("w", T0, KeysKeptBy::Ledger, IDEMPOTENCY_KEY_WINDOW_MIN as u32)).unwrap();
    assert_eq!(out.code, C::KeyRetentionSet);
    assert_eq!(small.counts().idempotency_keys, IDEMPOTENCY_KEY_WINDOW_MIN);
    small.check_invariants().unwrap();
    // Growing the window back is always possible, even when full.
    let out = small.execute(&set_retention("grow", T0 + IDEMPOTENCY_KEY_RETENTION_S, KeysKeptBy::Ledger)).unwrap();
    assert_eq!(out.code, C::KeyRetentionSet);
    assert_eq!(small.key_window(), IDEMPOTENCY_KEYS_MAX);
    assert_eq!(codec::state_bytes(&small).first(), Some(&0x86), "back to the defaults: six items");
}

#[test]
fn a_key_window_out_of_range_is_an_error_about_key_window_and_the_default_is_not_written() {
    let mut l = Ledger::new();
    for window in [0, IDEMPOTENCY_KEY_WINDOW_MIN as u32 - 1, IDEMPOTENCY_KEYS_MAX as u32 + 1, u32::MAX] {
        let err = l.execute(&set_window("w", T0, KeysKeptBy::Store, window)).unwrap_err();
        assert_eq!((err.code(), err.param()), (ErrorCode::InvalidArgument, "keyWindow"), "{window}");
    }
    assert_eq!(l.head().seq, 0);
    // keyWindow 32,768 is the default: the same request as none (a repeat), and not journaled
    // with a window.
    let first = l.execute(&set_window("w", T0, KeysKeptBy::Store, IDEMPOTENCY_KEYS_MAX as u32)).unwrap();
    let again = l.execute(&set_retention("w", T0, KeysKeptBy::Store)).unwrap();
    assert_eq!((again.seq, again.repeated), (first.seq, true));
    assert_eq!(codec::state_bytes(&l).first(), Some(&0x87));
    // A journaled window round-trips through the entry's bytes.
    let mut w = Ledger::new();
    w.execute(&set_window("w", T0, KeysKeptBy::Store, 5000)).unwrap();
    let (op, _) = w.journal()[0].parts();
    assert_eq!(op.to_operation(), set_window("w", T0, KeysKeptBy::Store, 5000));
    assert_eq!(Ledger::replay(w.journal()).unwrap().key_window(), 5000);
}

#[test]
fn a_failed_chain_takes_back_a_window_change() {
    let mut h = H::funded();
    let before = h.l.clone();
    let batch = [linked(set_window("w", h.now, KeysKeptBy::Store, 5000)), unlinked(pay("big", "w", "m", "1000.00", h.now))];
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(codes(&outcomes), vec![C::LinkedOperationFailed, C::InsufficientFunds]);
    assert_eq!(h.l, before);
    assert_eq!(h.l.key_window(), IDEMPOTENCY_KEYS_MAX);
    let batch = [linked(set_window("w", h.now, KeysKeptBy::Store, 5000)), unlinked(pay("small", "w", "m", "1.00", h.now))];
    assert_eq!(codes(&h.l.execute_batch(&batch).unwrap()), vec![C::KeyRetentionSet, C::Transferred]);
    assert_eq!(h.l.key_window(), 5000);
    h.round_trips();
}

// ---------------------------------------------------------------------------------------------
// Capacity (issues 10 and 16: one ledger for a million wallets, a custody book for tens of
// thousands of clients)
// ---------------------------------------------------------------------------------------------

fn set_capacity(key: &str, now: i64, accounts_max: usize, holds_max: usize) -> Operation {
    Operation::SetCapacity(SetCapacityRequest {
        idempotency_key: key.into(),
        now,
        accounts_max: accounts_max as u32,
        holds_max: holds_max as u32,
    })
}

/// Runs `op` on `l`, persisting the journal into `entries` before it fills.
fn run_kept(l: &mut Ledger, entries: &mut Vec<JournalEntry>, op: &Operation) -> Outcome {
    let out = l.execute(op).unwrap();
    if l.journal().len() == JOURNAL_ENTRIES_RETAINED_MAX {
        entries.extend_from_slice(l.journal());
        l.truncate_journal(l.head().seq).unwrap();
    }
    out
}

#[test]
fn a_capacity_bounds_accounts_and_holds_and_is_journaled_replayed_and_restored() {
    let (accounts_max, holds_max) = (ACCOUNTS_MAX + 104, HOLDS_MAX + 4);
    let mut l = Ledger::new();
    let mut entries = Vec::new();
    let out = run_kept(&mut l, &mut entries, &set_capacity("cap", T0, accounts_max, holds_max));
    assert_eq!((out.code, out.seq), (C::CapacitySet, 1));
    assert_eq!((l.accounts_max(), l.holds_max()), (accounts_max, holds_max));
    let open = |i: usize| {
        Operation::OpenAccount(OpenAccountRequest {
            idempotency_key: format!("o{i}"),
            now: T0,
            account_id: format!("a{i}"),
            currency: "EUR".into(),
            kind: AccountKind::Unrestricted,
            credit_limit: None,
        })
    };
    for i in 0..accounts_max {
        assert_eq!(run_kept(&mut l, &mut entries, &open(i)).code, C::AccountOpened, "account {i}");
    }
    assert_eq!(run_kept(&mut l, &mut entries, &open(accounts_max)).code, C::AccountsFull);
    assert_eq!(l.counts().accounts, accounts_max, "more than the default ACCOUNTS_MAX");
    // Pending holds beyond the default HOLDS_MAX, 64 per debit account, up to the capacity.
    let hold = |i: usize| {
        Operation::Hold(HoldRequest {
            idempotency_key: format!("h{i}"),
            now: T0,
            hold_id: format!("h{i}"),
            debit_account_id: format!("a{}", i / HOLDS_PER_ACCOUNT_MAX),
            credit_account_id: format!("a{}", accounts_max - 1),
            amount: "1.00".into(),
            currency: "EUR".into(),
            expires_at: T0 + 3600,
        })
    };
    for i in 0..holds_max {
        assert_eq!(run_kept(&mut l, &mut entries, &hold(i)).code, C::Held, "hold {i}");
    }
    assert_eq!(run_kept(&mut l, &mut entries, &hold(holds_max)).code, C::HoldsFull);
    assert_eq!(l.counts().holds_pending, holds_max);
    // A capacity below what the ledger holds is refused (journaled, nothing changed).
    let out = run_kept(&mut l, &mut entries, &set_capacity("lower", T0, ACCOUNTS_MAX, HOLDS_CAPACITY_MAX));
    assert_eq!(out.code, C::CapacityBelowCounts);
    let out = run_kept(&mut l, &mut entries, &set_capacity("lower-holds", T0, ACCOUNTS_CAPACITY_MAX, HOLDS_MAX));
    assert_eq!(out.code, C::CapacityBelowCounts);
    assert_eq!((l.accounts_max(), l.holds_max()), (accounts_max, holds_max));
    l.check_invariants().unwrap();
    // The state writes the capacity (10 items); replay and restore reproduce it.
    assert_eq!(codec::state_bytes(&l).first(), Some(&0x8a));
    entries.extend_from_slice(l.journal());
    l.truncate_journal(l.head().seq).unwrap();
    let replayed = Ledger::replay(&entries).unwrap();
    assert_eq!(replayed.state_digest(), l.state_digest());
    assert_eq!((replayed.accounts_max(), replayed.holds_max()), (accounts_max, holds_max));
    let restored = Ledger::restore(&l.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert!(restored == l, "restored equals the original");
    let mut restored = restored;
    let one_more = |key: &str| {
        let Operation::OpenAccount(mut request) = open(accounts_max) else { unreachable!() };
        request.idempotency_key = key.into();
        request
    };
    let out = restored.open_account(&one_more("restored")).unwrap();
    assert_eq!((out.code, out.repeated), (C::AccountsFull, false), "the restored capacity bounds it too");
    // Raised again, the next account opens.
    assert_eq!(restored.execute(&set_capacity("raise", T0, accounts_max + 1, holds_max)).unwrap().code, C::CapacitySet);
    assert_eq!(restored.open_account(&one_more("raised")).unwrap().code, C::AccountOpened);
    restored.check_invariants().unwrap();
}

#[test]
fn the_default_capacity_is_never_written_and_a_bad_one_is_an_error_naming_it() {
    let mut l = Ledger::new();
    assert_eq!((l.accounts_max(), l.holds_max()), (ACCOUNTS_MAX, HOLDS_MAX));
    let before = codec::state_bytes(&l);
    for (accounts, holds, param) in [
        (ACCOUNTS_MAX - 1, HOLDS_MAX, "accountsMax"),
        (ACCOUNTS_CAPACITY_MAX + 1, HOLDS_MAX, "accountsMax"),
        (ACCOUNTS_MAX, HOLDS_MAX - 1, "holdsMax"),
        (ACCOUNTS_MAX, HOLDS_CAPACITY_MAX + 1, "holdsMax"),
    ] {
        let e = l.execute(&set_capacity("bad", T0, accounts, holds)).unwrap_err();
        assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, param), "{accounts} {holds}");
    }
    assert_eq!((l.head().seq, codec::state_bytes(&l)), (0, before), "nothing changed");
    // The default set explicitly: journaled, the state encodes as a new ledger's (6 items).
    assert_eq!(l.execute(&set_capacity("same", T0, ACCOUNTS_MAX, HOLDS_MAX)).unwrap().code, C::CapacitySet);
    assert_eq!(codec::state_bytes(&l).first(), Some(&0x86));
    // The largest capacity; the default written explicitly in 10 items is refused as
    // non-canonical state.
    l.execute(&set_capacity("most", T0, ACCOUNTS_CAPACITY_MAX, HOLDS_CAPACITY_MAX)).unwrap();
    let restored = Ledger::restore(&l.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(restored.state_digest(), l.state_digest());
    assert_eq!((restored.accounts_max(), restored.holds_max()), (ACCOUNTS_CAPACITY_MAX, HOLDS_CAPACITY_MAX));
    let mut forged = codec::state_bytes(&Ledger::new());
    forged[0] = 0x8a;
    forged.extend_from_slice(&[0x00, 0x19, 0x80, 0x00, 0x19, 0x10, 0x00, 0x19, 0x10, 0x00]);
    assert!(crate::limits::cbor::from_slice::<Ledger>(&forged).is_none());
}

#[test]
fn a_capacity_set_in_a_failed_linked_chain_is_taken_back() {
    let mut h = H::new();
    h.open("a", AccountKind::NonNegative, None);
    h.open("b", AccountKind::NonNegative, None);
    let before = h.l.clone();
    let transfer = Operation::Transfer(TransferRequest {
        idempotency_key: "t".into(),
        now: T0,
        debit_account_id: "a".into(),
        credit_account_id: "b".into(),
        amount: "1.00".into(),
        currency: "EUR".into(),
    });
    let batch = [
        BatchOperation { operation: set_capacity("cap", T0, ACCOUNTS_CAPACITY_MAX, HOLDS_CAPACITY_MAX), linked: true },
        BatchOperation { operation: transfer, linked: false },
    ];
    let outcomes = h.l.execute_batch(&batch).unwrap();
    assert_eq!(outcomes[0].code, C::LinkedOperationFailed);
    assert_eq!(outcomes[1].code, C::InsufficientFunds);
    assert_eq!(h.l, before);
    assert_eq!((h.l.accounts_max(), h.l.holds_max()), (ACCOUNTS_MAX, HOLDS_MAX));
    h.l.check_invariants().unwrap();
}
