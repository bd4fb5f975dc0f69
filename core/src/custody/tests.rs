//! Tests of the custody book: flows, reconciliation, the withdrawal policy, signing, keys, and a
//! property test against a small reference model.

use super::*;
use crate::crypto::{ed25519, secp256k1};
use crate::envelope::{self, Alg, SealParams};
use crate::error::ErrorCode;
use crate::limits::{LimitSpec, Measure, Window};
use proptest::prelude::*;

const SEED: [u8; 32] = [7u8; 32];
const OMNIBUS_KEY: [u8; 32] = [0x11; 32];
const T0: i64 = 1_800_000_000;

fn approver_secret(i: u8) -> [u8; 32] {
    [0x40 + i; 32]
}

fn omnibus_address() -> String {
    keys::address_of_public_key(&secp256k1::public_key(&OMNIBUS_KEY, true).unwrap()).unwrap()
}

fn amount_limit(id: &str, asset: &str, window: Window, hard: &str) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure: Measure::Amount,
        currency: Some(asset.into()),
        window,
        hard: hard.into(),
        soft: None,
        ceiling: None,
        resettable: false,
    }
}

fn config() -> BookConfig {
    BookConfig {
        assets: vec![
            AssetConfig {
                asset: "BTC".into(),
                confirmations: 2,
                sweep_threshold: "0.001".into(),
                client_limits: vec![amount_limit("btc-day", "BTC", Window::Trailing { seconds: 86_400 }, "1")],
                asset_limits: vec![amount_limit("btc-all", "BTC", Window::Lifetime, "1.5")],
            },
            AssetConfig {
                asset: "USDC".into(),
                confirmations: 1,
                sweep_threshold: "10".into(),
                client_limits: vec![],
                asset_limits: vec![],
            },
            AssetConfig {
                asset: "ETH".into(),
                confirmations: 12,
                sweep_threshold: "0.01".into(),
                client_limits: vec![],
                asset_limits: vec![],
            },
        ],
        omnibus_address: omnibus_address(),
        approvers: (0..3)
            .map(|i| Approver {
                approver_id: format!("approver-{i}"),
                public_key: ed25519::public_key(&approver_secret(i)).unwrap().to_vec(),
            })
            .collect(),
        quorum: 2,
        cooling_off_s: 3600,
    }
}

fn wallet(index: u32) -> keys::TransferWallet {
    keys::transfer_wallet(&SEED, index).unwrap()
}

fn ok(book: &mut Book, event: Event) -> Outcome {
    let outcome = book.apply(&event).unwrap();
    book.check_invariants().unwrap();
    outcome
}

fn code(book: &mut Book, event: Event) -> CustodyCode {
    ok(book, event).code
}

/// A book with clients alice (index 0) and bob (1), each with 1 BTC and 1000 USDC swept.
fn funded() -> Book {
    let mut book = Book::new(config()).unwrap();
    for (i, name) in ["alice", "bob"].iter().enumerate() {
        let w = wallet(u32::try_from(i).unwrap());
        assert_eq!(code(&mut book, Event::RegisterClient { client_id: (*name).into(), address: w.address.clone(), now: T0 }), CustodyCode::ClientRegistered);
        for (asset, amount, conf) in [("BTC", "1.0001", 2), ("USDC", "1000.5", 1)] {
            let dep = format!("{name}-{asset}");
            assert_eq!(code(&mut book, Event::ObserveDeposit { deposit_id: dep, address: w.address.clone(), asset: asset.into(), amount: amount.into(), confirmations: conf, now: T0 }), CustodyCode::DepositConfirmed);
            let fee = if asset == "BTC" { "0.0001" } else { "0.5" };
            assert_eq!(code(&mut book, Event::Sweep { sweep_id: format!("s-{name}-{asset}"), client_id: (*name).into(), asset: asset.into(), network_fee: fee.into(), now: T0 }), CustodyCode::Swept);
        }
    }
    book
}

fn approval(i: u8, seq: u64, digest_hex: &str, issued: i64, expires: i64) -> Vec<u8> {
    let digest = hex::decode(digest_hex).unwrap();
    envelope::seal(&SealParams {
        alg: Alg::EdDSA,
        secret_key: &approver_secret(i),
        key_id: &format!("approver-{i}"),
        msg_type: APPROVAL_TYPE,
        version: APPROVAL_VERSION,
        seq,
        issued_at: issued,
        expires_at: expires,
        payload: &digest,
    })
    .unwrap()
}

#[test]
fn deposit_waits_for_confirmations_then_sweeps_as_one_batch() {
    let mut book = Book::new(config()).unwrap();
    let w = wallet(0);
    let reg = ok(&mut book, Event::RegisterClient { client_id: "alice".into(), address: w.address.clone(), now: T0 });
    assert_eq!(reg.client_index, Some(0));
    let deposit = |confirmations| Event::ObserveDeposit { deposit_id: "d1".into(), address: w.address.clone(), asset: "BTC".into(), amount: "0.5".into(), confirmations, now: T0 };
    assert_eq!(code(&mut book, deposit(1)), CustodyCode::DepositPending);
    assert_eq!(book.wallet_balance("alice", "BTC").unwrap(), "0.00000000");
    assert_eq!(code(&mut book, deposit(2)), CustodyCode::DepositConfirmed);
    assert_eq!(book.wallet_balance("alice", "BTC").unwrap(), "0.50000000");
    let again = ok(&mut book, deposit(3));
    assert_eq!((again.code, again.repeated), (CustodyCode::DepositAlreadyConfirmed, true));
    assert_eq!(book.wallet_balance("alice", "BTC").unwrap(), "0.50000000", "credited once");
    // Same id, other amount.
    let conflict = Event::ObserveDeposit { deposit_id: "d1".into(), address: w.address.clone(), asset: "BTC".into(), amount: "0.6".into(), confirmations: 3, now: T0 };
    assert_eq!(code(&mut book, conflict), CustodyCode::DepositConflict);
    // Not yet tradable, not in the omnibus.
    assert_eq!(book.trading_balance("alice", "BTC").unwrap(), "0.00000000");
    assert_eq!(book.expected_omnibus("BTC").unwrap(), "0.00000000");
    // A fee as large as the amount is refused, nothing moves.
    let sweep = |id: &str, fee: &str| Event::Sweep { sweep_id: id.into(), client_id: "alice".into(), asset: "BTC".into(), network_fee: fee.into(), now: T0 };
    assert_eq!(code(&mut book, sweep("s0", "0.5")), CustodyCode::FeeExceedsAmount);
    assert_eq!(code(&mut book, sweep("s1", "0.0002")), CustodyCode::Swept);
    assert_eq!(book.trading_balance("alice", "BTC").unwrap(), "0.49980000");
    assert_eq!(book.wallet_balance("alice", "BTC").unwrap(), "0.00000000");
    assert_eq!(book.expected_omnibus("BTC").unwrap(), "0.49980000");
    // Nothing left to sweep.
    assert_eq!(code(&mut book, sweep("s2", "0")), CustodyCode::BelowSweepThreshold);
}

#[test]
fn deposit_below_the_sweep_threshold_stays_in_the_transfer_wallet() {
    let mut book = Book::new(config()).unwrap();
    let w = wallet(0);
    ok(&mut book, Event::RegisterClient { client_id: "alice".into(), address: w.address.clone(), now: T0 });
    ok(&mut book, Event::ObserveDeposit { deposit_id: "d".into(), address: w.address, asset: "USDC".into(), amount: "9.999999".into(), confirmations: 1, now: T0 });
    let sweep = Event::Sweep { sweep_id: "s".into(), client_id: "alice".into(), asset: "USDC".into(), network_fee: "0".into(), now: T0 };
    assert_eq!(code(&mut book, sweep), CustodyCode::BelowSweepThreshold);
    assert_eq!(book.wallet_balance("alice", "USDC").unwrap(), "9.999999");
}

#[test]
fn eth_amounts_are_exact_in_wei() {
    let mut book = Book::new(config()).unwrap();
    let w = wallet(0);
    ok(&mut book, Event::RegisterClient { client_id: "alice".into(), address: w.address.clone(), now: T0 });
    // 1 wei above 1 ETH, and the largest total the ledger holds is far above any supply.
    ok(&mut book, Event::ObserveDeposit { deposit_id: "d".into(), address: w.address, asset: "ETH".into(), amount: "1.000000000000000001".into(), confirmations: 12, now: T0 });
    ok(&mut book, Event::Sweep { sweep_id: "s".into(), client_id: "alice".into(), asset: "ETH".into(), network_fee: "0.000000000000000001".into(), now: T0 });
    assert_eq!(book.trading_balance("alice", "ETH").unwrap(), "1.000000000000000000");
    let leaves = book.client_balances("ETH");
    assert_eq!(leaves[0].balance_minor_units, "1000000000000000000");
    // A nineteenth decimal is a precision error naming the field.
    let e = book.apply(&Event::Transfer { transfer_id: "t".into(), from_client_id: "alice".into(), to_client_id: "alice".into(), asset: "ETH".into(), amount: "0.0000000000000000001".into(), now: T0 }).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::AmountPrecision, "amount"));
}

#[test]
fn unattributed_deposit_at_the_omnibus_is_quarantined_then_released() {
    let mut book = Book::new(config()).unwrap();
    let w = wallet(0);
    ok(&mut book, Event::RegisterClient { client_id: "alice".into(), address: w.address, now: T0 });
    let d = Event::ObserveDeposit { deposit_id: "q1".into(), address: omnibus_address(), asset: "USDC".into(), amount: "25".into(), confirmations: 1, now: T0 };
    assert_eq!(code(&mut book, d), CustodyCode::DepositQuarantined);
    assert_eq!(book.expected_omnibus("USDC").unwrap(), "25.000000");
    assert_eq!(book.trading_balance("alice", "USDC").unwrap(), "0.000000");
    // An address nobody owns is not ours to book.
    let stranger = keys::eip55(&[9u8; 20]);
    let d = Event::ObserveDeposit { deposit_id: "x".into(), address: stranger, asset: "USDC".into(), amount: "25".into(), confirmations: 1, now: T0 };
    assert_eq!(code(&mut book, d), CustodyCode::UnknownAddress);
    assert_eq!(code(&mut book, Event::ReleaseQuarantine { deposit_id: "q1".into(), client_id: "bob".into(), now: T0 }), CustodyCode::UnknownClient);
    assert_eq!(code(&mut book, Event::ReleaseQuarantine { deposit_id: "q1".into(), client_id: "alice".into(), now: T0 }), CustodyCode::QuarantineReleased);
    assert_eq!(book.trading_balance("alice", "USDC").unwrap(), "25.000000");
    assert_eq!(code(&mut book, Event::ReleaseQuarantine { deposit_id: "q1".into(), client_id: "alice".into(), now: T0 }), CustodyCode::NotQuarantined);
    assert_eq!(book.expected_omnibus("USDC").unwrap(), "25.000000", "release moves value inside the omnibus");
}

#[test]
fn reconciliation_reports_the_asset_the_difference_and_since_which_event() {
    let mut book = funded();
    // Each client swept 1.0001 − 0.0001 BTC.
    assert_eq!(book.expected_omnibus("BTC").unwrap(), "2.00000000");
    let fine = ok(&mut book, Event::ObserveOmnibus { asset: "BTC".into(), balance: "2".into(), now: T0 });
    assert!(fine.discrepancies.is_empty());
    // The chain shows 0.1 BTC less than the clients are owed.
    let short = ok(&mut book, Event::ObserveOmnibus { asset: "BTC".into(), balance: "1.9".into(), now: T0 });
    assert_eq!(short.discrepancies, vec![Discrepancy { asset: "BTC".into(), client_id: None, expected: "2.00000000".into(), observed: "1.90000000".into(), difference: "-0.10000000".into(), since_event: short.event }]);
    // Any later event still reports it, since the same event.
    let later = ok(&mut book, Event::Transfer { transfer_id: "t1".into(), from_client_id: "alice".into(), to_client_id: "bob".into(), asset: "USDC".into(), amount: "1".into(), now: T0 });
    assert_eq!(later.discrepancies.len(), 1);
    assert_eq!(later.discrepancies[0].since_event, short.event);
    assert_eq!(book.discrepancies(), later.discrepancies);
    // USDC observed right: only BTC is out.
    let usdc = ok(&mut book, Event::ObserveOmnibus { asset: "USDC".into(), balance: "2000".into(), now: T0 });
    assert_eq!(usdc.discrepancies.iter().map(|d| d.asset.as_str()).collect::<Vec<_>>(), ["BTC"]);
    // Back in balance: the report is empty and the next difference starts a new "since".
    assert!(ok(&mut book, Event::ObserveOmnibus { asset: "BTC".into(), balance: "2".into(), now: T0 }).discrepancies.is_empty());
    let over = ok(&mut book, Event::ObserveOmnibus { asset: "BTC".into(), balance: "2.00000001".into(), now: T0 });
    assert_eq!(over.discrepancies[0].difference, "0.00000001");
    assert_eq!(over.discrepancies[0].since_event, over.event);
}

#[test]
fn transfer_wallets_are_reconciled_with_their_observed_balance() {
    let mut book = Book::new(config()).unwrap();
    let w = wallet(0);
    ok(&mut book, Event::RegisterClient { client_id: "alice".into(), address: w.address.clone(), now: T0 });
    assert_eq!(code(&mut book, Event::ObserveWallet { client_id: "bob".into(), asset: "BTC".into(), balance: "0".into(), now: T0 }), CustodyCode::UnknownClient);
    // The chain shows 0.3 BTC at alice's wallet before the deposit is confirmed here.
    let seen = ok(&mut book, Event::ObserveWallet { client_id: "alice".into(), asset: "BTC".into(), balance: "0.3".into(), now: T0 });
    assert_eq!(seen.discrepancies, vec![Discrepancy { asset: "BTC".into(), client_id: Some("alice".into()), expected: "0.00000000".into(), observed: "0.30000000".into(), difference: "0.30000000".into(), since_event: seen.event }]);
    let deposit = |confirmations| Event::ObserveDeposit { deposit_id: "d".into(), address: w.address.clone(), asset: "BTC".into(), amount: "0.3".into(), confirmations, now: T0 };
    let pending = ok(&mut book, deposit(1));
    assert_eq!(pending.discrepancies[0].since_event, seen.event, "still out since the observation");
    assert!(ok(&mut book, deposit(2)).discrepancies.is_empty(), "the confirmation explains it");
    // The sweep empties the wallet in the book; until the observer sees it, the wallet differs.
    let swept = ok(&mut book, Event::Sweep { sweep_id: "s".into(), client_id: "alice".into(), asset: "BTC".into(), network_fee: "0.0001".into(), now: T0 });
    assert_eq!(swept.discrepancies.len(), 1);
    assert_eq!((swept.discrepancies[0].client_id.as_deref(), swept.discrepancies[0].difference.as_str()), (Some("alice"), "0.30000000"));
    assert!(ok(&mut book, Event::ObserveWallet { client_id: "alice".into(), asset: "BTC".into(), balance: "0".into(), now: T0 }).discrepancies.is_empty());
    // The omnibus comes first in a report.
    ok(&mut book, Event::ObserveWallet { client_id: "alice".into(), asset: "BTC".into(), balance: "1".into(), now: T0 });
    let both = ok(&mut book, Event::ObserveOmnibus { asset: "BTC".into(), balance: "0".into(), now: T0 });
    assert_eq!(both.discrepancies.iter().map(|d| d.client_id.clone()).collect::<Vec<_>>(), [None, Some("alice".to_owned())]);
}

#[test]
fn trades_are_one_linked_batch_and_fail_whole() {
    let mut book = funded();
    let trade = |id: &str, base: &str, quote: &str, fee: &str| Event::Trade {
        trade_id: id.into(), buyer_id: "alice".into(), seller_id: "bob".into(),
        base_asset: "BTC".into(), base_amount: base.into(), quote_asset: "USDC".into(), quote_amount: quote.into(), fee: fee.into(), now: T0,
    };
    assert_eq!(code(&mut book, trade("t1", "0.1", "600", "1.5")), CustodyCode::Traded);
    assert_eq!(book.trading_balance("alice", "BTC").unwrap(), "1.10000000");
    assert_eq!(book.trading_balance("bob", "BTC").unwrap(), "0.90000000");
    assert_eq!(book.trading_balance("alice", "USDC").unwrap(), "398.500000");
    assert_eq!(book.trading_balance("bob", "USDC").unwrap(), "1600.000000");
    // The buyer can pay the price but not the fee: no leg stands.
    let out = ok(&mut book, trade("t2", "0.1", "398", "1"));
    assert_eq!(out.code, CustodyCode::InsufficientFunds);
    assert_eq!(out.ledger_code, Some(crate::ledger::LedgerCode::InsufficientFunds));
    assert_eq!(book.trading_balance("alice", "BTC").unwrap(), "1.10000000");
    assert_eq!(book.trading_balance("bob", "USDC").unwrap(), "1600.000000");
    // The same trade again is answered, not booked twice.
    let again = ok(&mut book, trade("t1", "0.1", "600", "1.5"));
    assert_eq!((again.code, again.repeated), (CustodyCode::Traded, true));
    assert_eq!(book.trading_balance("alice", "BTC").unwrap(), "1.10000000");
    // The same id for other terms.
    assert_eq!(code(&mut book, trade("t1", "0.2", "600", "1.5")), CustodyCode::IdReused);
    assert_eq!(code(&mut book, Event::Trade { trade_id: "t3".into(), buyer_id: "alice".into(), seller_id: "alice".into(), base_asset: "BTC".into(), base_amount: "1".into(), quote_asset: "USDC".into(), quote_amount: "1".into(), fee: "0".into(), now: T0 }), CustodyCode::SameClient);
}

struct Withdrawing {
    book: Book,
    digest: String,
}

/// alice asks to withdraw 0.4 BTC (+0.0001 fee) to an allow-listed address past its cooling-off.
fn requested() -> Withdrawing {
    let mut book = funded();
    let dest = keys::eip55(&[0xab; 20]);
    ok(&mut book, Event::AddDestination { client_id: "alice".into(), address: dest.clone(), now: T0 });
    let r = ok(&mut book, Event::RequestWithdrawal { withdrawal_id: "w1".into(), client_id: "alice".into(), asset: "BTC".into(), amount: "0.4".into(), network_fee: "0.0001".into(), destination: dest, now: T0 + 3600 });
    assert_eq!(r.code, CustodyCode::WithdrawalRequested);
    let digest = book.withdrawal("w1").unwrap().digest;
    Withdrawing { book, digest }
}

#[test]
fn withdrawal_policy_checks_allow_list_cooling_off_limits_and_funds_in_order() {
    let mut book = funded();
    let dest = keys::eip55(&[0xab; 20]);
    let req = |id: &str, amount: &str, now: i64| Event::RequestWithdrawal { withdrawal_id: id.into(), client_id: "alice".into(), asset: "BTC".into(), amount: amount.into(), network_fee: "0.0001".into(), destination: dest.clone(), now };
    assert_eq!(code(&mut book, req("w1", "0.1", T0)), CustodyCode::DestinationNotAllowed);
    ok(&mut book, Event::AddDestination { client_id: "alice".into(), address: dest.clone(), now: T0 });
    assert_eq!(code(&mut book, Event::AddDestination { client_id: "alice".into(), address: dest.clone(), now: T0 }), CustodyCode::DestinationExists);
    assert_eq!(code(&mut book, req("w1", "0.1", T0 + 3599)), CustodyCode::DestinationCoolingOff);
    // The per-client trailing day allows 1 BTC.
    let out = ok(&mut book, req("w1", "1.00000001", T0 + 3600));
    assert_eq!((out.code, out.limit_id.as_deref()), (CustodyCode::LimitReached, Some("btc-day")));
    assert_eq!(code(&mut book, req("w1", "0.6", T0 + 3600)), CustodyCode::WithdrawalRequested);
    assert_eq!(book.trading_balance("alice", "BTC").unwrap(), "0.39990000");
    // Funds: 0.4 + fee is more than alice has left (limit would allow 0.4).
    let out = ok(&mut book, req("w2", "0.4", T0 + 3600));
    assert_eq!(out.code, CustodyCode::InsufficientFunds);
    // Nothing half-applied: the refused request counted no limit usage (0.39 still fits).
    assert_eq!(code(&mut book, req("w3", "0.39", T0 + 3600)), CustodyCode::WithdrawalRequested);
    // The asset-wide lifetime limit (1.5 BTC over all clients) refuses bob's 0.6.
    ok(&mut book, Event::AddDestination { client_id: "bob".into(), address: dest.clone(), now: T0 });
    let bob = Event::RequestWithdrawal { withdrawal_id: "w4".into(), client_id: "bob".into(), asset: "BTC".into(), amount: "0.6".into(), network_fee: "0".into(), destination: dest.clone(), now: T0 + 3600 };
    let out = ok(&mut book, bob);
    assert_eq!((out.code, out.limit_id.as_deref()), (CustodyCode::LimitReached, Some("btc-all")));
    // Cancelling gives the money and the limits back.
    assert_eq!(code(&mut book, Event::CancelWithdrawal { withdrawal_id: "w1".into(), now: T0 + 3600 }), CustodyCode::WithdrawalCancelled);
    // 1 − (0.6 + 0.0001) − (0.39 + 0.0001) + (0.6 + 0.0001)
    assert_eq!(book.trading_balance("alice", "BTC").unwrap(), "0.60990000");
    let bob = Event::RequestWithdrawal { withdrawal_id: "w5".into(), client_id: "bob".into(), asset: "BTC".into(), amount: "0.6".into(), network_fee: "0".into(), destination: dest, now: T0 + 3600 };
    assert_eq!(code(&mut book, bob), CustodyCode::WithdrawalRequested);
    assert_eq!(code(&mut book, Event::CancelWithdrawal { withdrawal_id: "w1".into(), now: T0 + 3600 }), CustodyCode::WithdrawalNotPending);
}

#[test]
fn approvals_count_each_approver_once_and_only_for_this_withdrawal() {
    let Withdrawing { mut book, digest } = requested();
    let now = T0 + 3700;
    let approve = |envelope: Vec<u8>| Event::Approve { withdrawal_id: "w1".into(), envelope, now };
    let first = ok(&mut book, approve(approval(0, 1, &digest, now, now + 600)));
    assert_eq!((first.code, first.approvals), (CustodyCode::ApprovalCounted, Some(1)));
    // The same approver again (a fresh envelope): counted once.
    let twice = ok(&mut book, approve(approval(0, 2, &digest, now, now + 600)));
    assert_eq!((twice.code, twice.approvals), (CustodyCode::ApproverAlreadyCounted, Some(1)));
    // Replaying approver 0's first envelope.
    assert_eq!(code(&mut book, approve(approval(0, 1, &digest, now, now + 600))), CustodyCode::Replayed);
    // An approval of other terms.
    let other = "00".repeat(32);
    assert_eq!(code(&mut book, approve(approval(1, 1, &other, now, now + 600))), CustodyCode::ApprovalMismatch);
    // Expired, wrong type, unknown key, tampered.
    assert_eq!(code(&mut book, approve(approval(1, 2, &digest, now - 700, now - 100))), CustodyCode::Expired);
    let wrong_type = envelope::seal(&SealParams { alg: Alg::EdDSA, secret_key: &approver_secret(1), key_id: "approver-1", msg_type: "countersign.other", version: 1, seq: 3, issued_at: now, expires_at: now + 60, payload: &hex::decode(&digest).unwrap() }).unwrap();
    assert_eq!(code(&mut book, approve(wrong_type)), CustodyCode::WrongType);
    let stranger = envelope::seal(&SealParams { alg: Alg::EdDSA, secret_key: &[0x77; 32], key_id: "approver-9", msg_type: APPROVAL_TYPE, version: 1, seq: 1, issued_at: now, expires_at: now + 60, payload: &hex::decode(&digest).unwrap() }).unwrap();
    assert_eq!(code(&mut book, approve(stranger)), CustodyCode::UnknownKey);
    let mut tampered = approval(1, 4, &digest, now, now + 600);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(code(&mut book, approve(tampered)), CustodyCode::BadSignature);
    assert_eq!(code(&mut book, approve(vec![1, 2, 3])), CustodyCode::Malformed);
    // Approver 1's good one makes the quorum.
    let second = ok(&mut book, approve(approval(1, 5, &digest, now, now + 600)));
    assert_eq!((second.code, second.approvals), (CustodyCode::ApprovalCounted, Some(2)));
    assert_eq!(code(&mut book, Event::Approve { withdrawal_id: "nope".into(), envelope: vec![], now }), CustodyCode::UnknownWithdrawal);
}

#[test]
fn signing_needs_a_live_quorum_and_signs_deterministically_with_low_s() {
    let Withdrawing { mut book, digest } = requested();
    let now = T0 + 3700;
    let w0 = wallet(0);
    ok(&mut book, Event::Approve { withdrawal_id: "w1".into(), envelope: approval(0, 1, &digest, now, now + 100), now });
    let early = book.sign_withdrawal("w1", now, &OMNIBUS_KEY, &w0.secret_key[..]).unwrap();
    assert_eq!((early.outcome.code, early.outcome.approvals), (CustodyCode::QuorumNotReached, Some(1)));
    assert!(early.signatures.is_empty());
    ok(&mut book, Event::Approve { withdrawal_id: "w1".into(), envelope: approval(2, 1, &digest, now, now + 600), now });
    // Approver 0's approval has expired by now + 100: one live approval is not a quorum.
    let late = book.sign_withdrawal("w1", now + 100, &OMNIBUS_KEY, &w0.secret_key[..]).unwrap();
    assert_eq!((late.outcome.code, late.outcome.approvals), (CustodyCode::QuorumNotReached, Some(1)));
    // Renewed by the same approver: counted once again.
    ok(&mut book, Event::Approve { withdrawal_id: "w1".into(), envelope: approval(0, 2, &digest, now + 100, now + 600), now: now + 100 });
    // A wrong wallet key is an error naming it, and nothing changes.
    let e = book.sign_withdrawal("w1", now + 100, &OMNIBUS_KEY, &wallet(1).secret_key[..]).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::KeyInvalid, "walletKey"));
    let e = book.sign_withdrawal("w1", now + 100, &[0x12; 32], &w0.secret_key[..]).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::KeyInvalid, "omnibusKey"));
    let mut twin = book.clone();
    let mut replayed = book.clone();
    let signed = book.sign_withdrawal("w1", now + 100, &OMNIBUS_KEY, &w0.secret_key[..]).unwrap();
    assert_eq!(signed.outcome.code, CustodyCode::WithdrawalSigned);
    let keys = [secp256k1::public_key(&OMNIBUS_KEY, true).unwrap(), w0.public_key.clone()];
    for ((d, s), k) in signed.digests.iter().zip(&signed.signatures).zip(&keys) {
        let d: [u8; 32] = d.as_slice().try_into().unwrap();
        assert!(secp256k1::verify_digest(k, &d, s, false), "verifies, low-S only");
    }
    // RFC 6979: the same withdrawal signs to the same bytes.
    let again = twin.sign_withdrawal("w1", now + 100, &OMNIBUS_KEY, &w0.secret_key[..]).unwrap();
    assert_eq!(again.signatures, signed.signatures);
    // A replay of the signing (from a persisted log) reaches the same state without keys.
    let marked = replayed.mark_signed("w1", now + 100).unwrap();
    assert_eq!((marked.code, marked.event), (signed.outcome.code, signed.outcome.event));
    assert_eq!(replayed.withdrawal("w1"), book.withdrawal("w1"));
    // Signed once; cancelling is too late; confirming moves it out of the omnibus.
    assert_eq!(book.sign_withdrawal("w1", now + 100, &OMNIBUS_KEY, &w0.secret_key[..]).unwrap().outcome.code, CustodyCode::WithdrawalNotPending);
    assert_eq!(code(&mut book, Event::CancelWithdrawal { withdrawal_id: "w1".into(), now }), CustodyCode::WithdrawalNotPending);
    assert_eq!(book.expected_omnibus("BTC").unwrap(), "2.00000000");
    assert_eq!(code(&mut book, Event::ConfirmWithdrawal { withdrawal_id: "w1".into(), now }), CustodyCode::WithdrawalConfirmed);
    assert_eq!(book.expected_omnibus("BTC").unwrap(), "1.59990000");
    assert_eq!(book.withdrawal("w1").unwrap().state, WithdrawalState::Confirmed);
    assert_eq!(code(&mut book, Event::ConfirmWithdrawal { withdrawal_id: "w1".into(), now }), CustodyCode::WithdrawalNotPending);
}

#[test]
fn malformed_events_are_errors_naming_the_field_and_change_nothing() {
    let mut book = funded();
    let before = book.event_count();
    let cases: Vec<(Event, &str)> = vec![
        (Event::RegisterClient { client_id: "".into(), address: wallet(5).address, now: T0 }, "clientId"),
        (Event::RegisterClient { client_id: "a b".into(), address: wallet(5).address, now: T0 }, "clientId"),
        (Event::RegisterClient { client_id: "c".into(), address: wallet(5).address.to_lowercase(), now: T0 }, "address"),
        (Event::RegisterClient { client_id: "c".into(), address: wallet(5).address, now: -1 }, "now"),
        (Event::Sweep { sweep_id: "s".into(), client_id: "alice".into(), asset: "BTC".into(), network_fee: "-1".into(), now: T0 }, "networkFee"),
        (Event::Sweep { sweep_id: "s".into(), client_id: "alice".into(), asset: "XYZ".into(), network_fee: "0".into(), now: T0 }, "asset"),
        (Event::Transfer { transfer_id: "t".into(), from_client_id: "alice".into(), to_client_id: "bob".into(), asset: "BTC".into(), amount: "0".into(), now: T0 }, "amount"),
        (Event::Transfer { transfer_id: "t".into(), from_client_id: "alice".into(), to_client_id: "bob".into(), asset: "BTC".into(), amount: "1e3".into(), now: T0 }, "amount"),
        (Event::Trade { trade_id: "t".into(), buyer_id: "alice".into(), seller_id: "bob".into(), base_asset: "BTC".into(), base_amount: "1".into(), quote_asset: "USDC".into(), quote_amount: "1.0000001".into(), fee: "0".into(), now: T0 }, "quoteAmount"),
        (Event::ObserveOmnibus { asset: "BTC".into(), balance: "-0.1".into(), now: T0 }, "balance"),
        (Event::RequestWithdrawal { withdrawal_id: "w".into(), client_id: "alice".into(), asset: "BTC".into(), amount: "1".into(), network_fee: "0".into(), destination: "0x12".into(), now: T0 }, "destination"),
    ];
    for (event, param) in cases {
        let e = book.apply(&event).unwrap_err();
        assert_eq!(e.param(), param, "{event:?}: {e:?}");
    }
    assert_eq!(book.event_count(), before, "no event number used");
    book.check_invariants().unwrap();
}

#[test]
fn configuration_errors_name_the_field() {
    let mut c = config();
    c.quorum = 4;
    assert_eq!(Book::new(c).unwrap_err().param(), "quorum");
    let mut c = config();
    c.assets[1].asset = "BTC".into();
    assert_eq!(Book::new(c).unwrap_err().param(), "assets[1].asset");
    let mut c = config();
    c.assets[0].sweep_threshold = "0".into();
    assert_eq!(Book::new(c).unwrap_err().param(), "assets[0].sweepThreshold");
    let mut c = config();
    c.approvers[1].approver_id = "approver-0".into();
    assert_eq!(Book::new(c).unwrap_err().param(), "approvers[1].approverId");
    let mut c = config();
    c.approvers[2].public_key = vec![1; 31];
    assert_eq!(Book::new(c).unwrap_err().param(), "approvers[2].publicKey");
    let mut c = config();
    c.omnibus_address = c.omnibus_address.to_lowercase();
    assert_eq!(Book::new(c).unwrap_err().param(), "omnibusAddress");
}

// ------------------------------------------------------------------------------------------
// Keys: BIP-32 test vectors 1–3 and EIP-55's examples
// ------------------------------------------------------------------------------------------

#[test]
fn bip32_test_vectors_1_to_3() {
    // (seed, [(path, xprv, xpub)]) from BIP-32's "Test Vectors".
    let vectors: &[(&str, &[(&str, &str, &str)])] = &[
        ("000102030405060708090a0b0c0d0e0f", &[
            ("m", "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi", "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"),
            ("m/0'", "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7", "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"),
            ("m/0'/1", "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs", "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ"),
            ("m/0'/1/2'", "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM", "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5"),
            ("m/0'/1/2'/2", "xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334", "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV"),
            ("m/0'/1/2'/2/1000000000", "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76", "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy"),
        ]),
        ("fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542", &[
            ("m", "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U", "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB"),
            ("m/0", "xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt", "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH"),
            ("m/0/2147483647'", "xprv9wSp6B7kry3Vj9m1zSnLvN3xH8RdsPP1Mh7fAaR7aRLcQMKTR2vidYEeEg2mUCTAwCd6vnxVrcjfy2kRgVsFawNzmjuHc2YmYRmagcEPdU9", "xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaDMBU4Zn9h8LZNnBC5y4a"),
            ("m/0/2147483647'/1", "xprv9zFnWC6h2cLgpmSA46vutJzBcfJ8yaJGg8cX1e5StJh45BBciYTRXSd25UEPVuesF9yog62tGAQtHjXajPPdbRCHuWS6T8XA2ECKADdw4Ef", "xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537wTfunKau47EL2dhHKon"),
            ("m/0/2147483647'/1/2147483646'", "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc", "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL"),
            ("m/0/2147483647'/1/2147483646'/2", "xprvA2nrNbFZABcdryreWet9Ea4LvTJcGsqrMzxHx98MMrotbir7yrKCEXw7nadnHM8Dq38EGfSh6dqA9QWTyefMLEcBYJUuekgW4BYPJcr9E7j", "xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9rXpVGyy3bdW6EEgAtqt"),
        ]),
        ("4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4acba45d239319ac14f863b8d5ab5a0d0c64d2e8a1e7d1457df2e5a3c51c73235be", &[
            ("m", "xprv9s21ZrQH143K25QhxbucbDDuQ4naNntJRi4KUfWT7xo4EKsHt2QJDu7KXp1A3u7Bi1j8ph3EGsZ9Xvz9dGuVrtHHs7pXeTzjuxBrCmmhgC6", "xpub661MyMwAqRbcEZVB4dScxMAdx6d4nFc9nvyvH3v4gJL378CSRZiYmhRoP7mBy6gSPSCYk6SzXPTf3ND1cZAceL7SfJ1Z3GC8vBgp2epUt13"),
            ("m/0'", "xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L", "xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y"),
        ]),
    ];
    for (seed, nodes) in vectors {
        let seed = hex::decode(seed).unwrap();
        for (path, xprv, xpub) in *nodes {
            let (got_prv, got_pub) = keys::extended_keys(&seed, path).unwrap();
            assert_eq!((got_prv.as_str(), got_pub.as_str()), (*xprv, *xpub), "{path}");
        }
    }
}

#[test]
fn eip55_examples_and_a_known_key() {
    // EIP-55's examples: all caps, all lower, normal.
    for text in [
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ] {
        let raw = keys::parse_address(text, "address").unwrap();
        assert_eq!(keys::eip55(&raw), text);
    }
    // One flipped case breaks the checksum.
    let e = keys::parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "destination").unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, "destination"));
    // The secret key 1 is the generator: its well-known address.
    let mut one = [0u8; 32];
    one[31] = 1;
    let public = secp256k1::public_key(&one, false).unwrap();
    assert_eq!(keys::address_of_public_key(&public).unwrap(), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}

#[test]
fn transfer_wallets_are_deterministic_per_client_and_distinct() {
    let a = keys::transfer_wallet(&SEED, 0).unwrap();
    let b = keys::transfer_wallet(&SEED, 0).unwrap();
    let c = keys::transfer_wallet(&SEED, 1).unwrap();
    assert_eq!(a.address, b.address);
    assert_eq!(a.path, "m/44'/60'/0'/0/0");
    assert_ne!(a.address, c.address);
    assert_eq!(keys::address_of_public_key(&secp256k1::public_key(&a.secret_key[..], true).unwrap()).unwrap(), a.address);
    assert_eq!(keys::transfer_wallet(&[1; 15], 0).unwrap_err().param(), "seed");
    assert_eq!(keys::transfer_wallet(&[1; 65], 0).unwrap_err().param(), "seed");
    assert_eq!(keys::transfer_wallet(&SEED, 1 << 31).unwrap_err().param(), "clientIndex");
    for bad in ["", "m/", "x/0", "m/01", "m/-1", "m/2147483648", "m/0''", "m/0/0/0/0/0/0/0/0/0/0/0"] {
        assert_eq!(keys::parse_path(bad).unwrap_err().param(), "path", "{bad:?}");
    }
}

// ------------------------------------------------------------------------------------------
// Property test against a reference model
// ------------------------------------------------------------------------------------------

/// The model: per (client, asset) wallet and trading balances and the omnibus expectation, in
/// plain integers, with the flows' rules written directly.
#[derive(Default, Debug)]
struct Model {
    wallet: std::collections::BTreeMap<(usize, usize), i128>,
    trading: std::collections::BTreeMap<(usize, usize), i128>,
    omnibus: [i128; 2],
    outgoing: std::collections::BTreeMap<usize, (usize, usize, i128, bool)>,
}

const ASSETS: [&str; 2] = ["BTC", "USDC"];
const SCALES: [u32; 2] = [8, 6];
const THRESHOLDS: [i128; 2] = [100_000, 10_000_000];

#[derive(Debug, Clone)]
enum Step {
    Deposit { client: usize, asset: usize, units: i128 },
    Sweep { client: usize, asset: usize, fee: i128 },
    Transfer { from: usize, to: usize, asset: usize, units: i128 },
    Withdraw { client: usize, asset: usize, units: i128 },
    Cancel { index: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize, 0..2usize, 1..50_000_000i128).prop_map(|(client, asset, units)| Step::Deposit { client, asset, units }),
        (0..3usize, 0..2usize, 0..200_000i128).prop_map(|(client, asset, fee)| Step::Sweep { client, asset, fee }),
        (0..3usize, 0..3usize, 0..2usize, 1..30_000_000i128).prop_map(|(from, to, asset, units)| Step::Transfer { from, to, asset, units }),
        (0..3usize, 0..2usize, 1..30_000_000i128).prop_map(|(client, asset, units)| Step::Withdraw { client, asset, units }),
        (0..8usize).prop_map(|index| Step::Cancel { index }),
    ]
}

fn text(units: i128, asset: usize) -> String {
    crate::money::minor_units_text(units, SCALES[asset])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_book_matches_a_reference_model(steps in proptest::collection::vec(step(), 1..60)) {
        let mut c = config();
        c.assets.truncate(2);
        c.assets[0].client_limits.clear();
        c.assets[0].asset_limits.clear();
        c.cooling_off_s = 0;
        let mut book = Book::new(c).unwrap();
        let dest = keys::eip55(&[0xcd; 20]);
        for client in 0..3 {
            let w = wallet(u32::try_from(client).unwrap());
            book.apply(&Event::RegisterClient { client_id: format!("c{client}"), address: w.address, now: T0 }).unwrap();
            book.apply(&Event::AddDestination { client_id: format!("c{client}"), address: dest.clone(), now: T0 }).unwrap();
        }
        let mut model = Model::default();
        let mut withdrawals = 0usize;
        for (n, s) in steps.iter().enumerate() {
            let out = match s {
                Step::Deposit { client, asset, units } => {
                    let ev = Event::ObserveDeposit { deposit_id: format!("d{n}"), address: wallet(u32::try_from(*client).unwrap()).address, asset: ASSETS[*asset].into(), amount: text(*units, *asset), confirmations: 2, now: T0 };
                    *model.wallet.entry((*client, *asset)).or_default() += units;
                    book.apply(&ev).unwrap()
                }
                Step::Sweep { client, asset, fee } => {
                    let ev = Event::Sweep { sweep_id: format!("s{n}"), client_id: format!("c{client}"), asset: ASSETS[*asset].into(), network_fee: text(*fee, *asset), now: T0 };
                    let out = book.apply(&ev).unwrap();
                    let w = model.wallet.entry((*client, *asset)).or_default();
                    let want = if *w < THRESHOLDS[*asset] { CustodyCode::BelowSweepThreshold } else if *fee >= *w { CustodyCode::FeeExceedsAmount } else { CustodyCode::Swept };
                    prop_assert_eq!(out.code, want);
                    if want == CustodyCode::Swept {
                        *model.trading.entry((*client, *asset)).or_default() += *w - fee;
                        model.omnibus[*asset] += *w - fee;
                        *w = 0;
                    }
                    out
                }
                Step::Transfer { from, to, asset, units } => {
                    let ev = Event::Transfer { transfer_id: format!("t{n}"), from_client_id: format!("c{from}"), to_client_id: format!("c{to}"), asset: ASSETS[*asset].into(), amount: text(*units, *asset), now: T0 };
                    let out = book.apply(&ev).unwrap();
                    let have = model.trading.get(&(*from, *asset)).copied().unwrap_or(0);
                    let want = if from == to { CustodyCode::SameClient } else if have < *units { CustodyCode::InsufficientFunds } else { CustodyCode::Transferred };
                    prop_assert_eq!(out.code, want);
                    if want == CustodyCode::Transferred {
                        *model.trading.entry((*from, *asset)).or_default() -= units;
                        *model.trading.entry((*to, *asset)).or_default() += units;
                    }
                    out
                }
                Step::Withdraw { client, asset, units } => {
                    let ev = Event::RequestWithdrawal { withdrawal_id: format!("w{withdrawals}"), client_id: format!("c{client}"), asset: ASSETS[*asset].into(), amount: text(*units, *asset), network_fee: text(1, *asset), destination: dest.clone(), now: T0 };
                    let out = book.apply(&ev).unwrap();
                    let have = model.trading.get(&(*client, *asset)).copied().unwrap_or(0);
                    let want = if have < units + 1 { CustodyCode::InsufficientFunds } else { CustodyCode::WithdrawalRequested };
                    prop_assert_eq!(out.code, want);
                    if want == CustodyCode::WithdrawalRequested {
                        *model.trading.entry((*client, *asset)).or_default() -= units + 1;
                        model.outgoing.insert(withdrawals, (*client, *asset, units + 1, true));
                        withdrawals += 1;
                    }
                    out
                }
                Step::Cancel { index } => {
                    let out = book.apply(&Event::CancelWithdrawal { withdrawal_id: format!("w{index}"), now: T0 }).unwrap();
                    let want = match model.outgoing.get_mut(index) {
                        None => CustodyCode::UnknownWithdrawal,
                        Some((_, _, _, false)) => CustodyCode::WithdrawalNotPending,
                        Some((client, asset, total, open)) => {
                            *open = false;
                            *model.trading.entry((*client, *asset)).or_default() += *total;
                            CustodyCode::WithdrawalCancelled
                        }
                    };
                    prop_assert_eq!(out.code, want);
                    out
                }
            };
            book.check_invariants().unwrap();
            prop_assert!(out.discrepancies.is_empty() || book.discrepancies() == out.discrepancies);
            for client in 0..3 {
                for asset in 0..2 {
                    let id = format!("c{client}");
                    prop_assert_eq!(book.trading_balance(&id, ASSETS[asset]).unwrap(), text(model.trading.get(&(client, asset)).copied().unwrap_or(0), asset));
                    prop_assert_eq!(book.wallet_balance(&id, ASSETS[asset]).unwrap(), text(model.wallet.get(&(client, asset)).copied().unwrap_or(0), asset));
                }
            }
            for asset in 0..2 {
                prop_assert_eq!(book.expected_omnibus(ASSETS[asset]).unwrap(), text(model.omnibus[asset], asset));
            }
        }
        // The leaves for the proof of liabilities add up to the client part of the omnibus.
        for asset in 0..2 {
            let sum: i128 = book.client_balances(ASSETS[asset]).iter().map(|b| b.balance_minor_units.parse::<i128>().unwrap()).sum();
            let open: i128 = model.outgoing.values().filter(|o| o.1 == asset && o.3).map(|o| o.2).sum();
            prop_assert_eq!(sum + open, model.omnibus[asset]);
        }
    }
}

/// A distinct transfer-wallet address per client index (the book checks its format and that no
/// two clients share one; deriving 2,000 BIP-32 wallets would only slow the test).
fn address_of_index(i: usize) -> String {
    let mut bytes = [0x5a; 20];
    bytes[..8].copy_from_slice(&(i as u64).to_be_bytes());
    keys::eip55(&bytes)
}

/// Registers `clients` clients, advancing the clock past the ledger's key retention every few
/// thousand (each registration journals two ledger accounts per asset under its own key).
fn register_many(book: &mut Book, clients: usize) -> i64 {
    let mut now = T0;
    for i in 0..clients {
        if i % 4000 == 3999 {
            now += crate::ledger::IDEMPOTENCY_KEY_RETENTION_S + 1;
        }
        let out = book.apply(&Event::RegisterClient { client_id: format!("c{i}"), address: address_of_index(i), now }).unwrap();
        assert_eq!(out.code, CustodyCode::ClientRegistered, "client {i}");
    }
    now
}

#[test]
fn a_book_holds_thousands_of_clients_beyond_the_old_500() {
    // 2,000 clients over three assets: 12,015 ledger accounts, three times a default ledger's.
    const CLIENTS: usize = 2000;
    let mut book = Book::new(config()).unwrap();
    let mut now = register_many(&mut book, CLIENTS);
    now += crate::ledger::IDEMPOTENCY_KEY_RETENTION_S + 1;
    for i in 0..CLIENTS {
        let (deposit, sweep) = (format!("d{i}"), format!("s{i}"));
        let out = book.apply(&Event::ObserveDeposit { deposit_id: deposit, address: address_of_index(i), asset: "USDC".into(), amount: "100".into(), confirmations: 1, now }).unwrap();
        assert_eq!(out.code, CustodyCode::DepositConfirmed, "deposit {i}");
        let out = book.apply(&Event::Sweep { sweep_id: sweep, client_id: format!("c{i}"), asset: "USDC".into(), network_fee: "0.5".into(), now }).unwrap();
        assert_eq!(out.code, CustodyCode::Swept, "sweep {i}");
        // The reconciliation runs on every event; nothing is out.
        assert!(out.discrepancies.is_empty());
    }
    // Every transfer wallet observed (empty after its sweep), then one out by 1 USDC: the
    // report names that one, on every later event, whatever the number of observed wallets.
    for i in 0..CLIENTS {
        let out = book.apply(&Event::ObserveWallet { client_id: format!("c{i}"), asset: "USDC".into(), balance: "0".into(), now }).unwrap();
        assert!(out.discrepancies.is_empty(), "wallet {i}");
    }
    let off = book.apply(&Event::ObserveWallet { client_id: "c7".into(), asset: "USDC".into(), balance: "1".into(), now }).unwrap();
    assert_eq!(off.discrepancies.iter().map(|d| (d.client_id.as_deref(), d.since_event)).collect::<Vec<_>>(), [(Some("c7"), off.event)]);
    book.check_invariants().unwrap();
    let last = format!("c{}", CLIENTS - 1);
    assert_eq!(code(&mut book, Event::ObserveDeposit { deposit_id: "btc".into(), address: address_of_index(CLIENTS - 1), asset: "BTC".into(), amount: "1.0001".into(), confirmations: 2, now }), CustodyCode::DepositConfirmed);
    assert_eq!(code(&mut book, Event::Sweep { sweep_id: "s-btc".into(), client_id: last.clone(), asset: "BTC".into(), network_fee: "0.0001".into(), now }), CustodyCode::Swept);
    // A trade between the first and the last client registered.
    let trade = Event::Trade {
        trade_id: "t".into(), buyer_id: "c0".into(), seller_id: last.clone(),
        base_asset: "BTC".into(), base_amount: "0.1".into(), quote_asset: "USDC".into(), quote_amount: "50".into(), fee: "0.25".into(), now,
    };
    let traded = ok(&mut book, trade);
    assert_eq!(traded.code, CustodyCode::Traded);
    assert_eq!(traded.discrepancies.len(), 1, "still reported, since the observation");
    assert_eq!(traded.discrepancies[0].since_event, off.event);
    assert_eq!(book.trading_balance("c0", "BTC").unwrap(), "0.10000000");
    assert_eq!(book.trading_balance(&last, "USDC").unwrap(), "149.500000");
    // A withdrawal by a client in the middle, past its destination's cooling-off.
    let dest = keys::eip55(&[0xab; 20]);
    assert_eq!(code(&mut book, Event::AddDestination { client_id: "c1000".into(), address: dest.clone(), now }), CustodyCode::DestinationAdded);
    let request = Event::RequestWithdrawal { withdrawal_id: "w".into(), client_id: "c1000".into(), asset: "USDC".into(), amount: "20".into(), network_fee: "0.5".into(), destination: dest, now: now + 3600 };
    assert_eq!(code(&mut book, request), CustodyCode::WithdrawalRequested);
    assert_eq!(book.trading_balance("c1000", "USDC").unwrap(), "79.000000");
    // Σ clients + fees + outgoing = the omnibus the book expects: 2,000 × 99.5 USDC swept.
    assert_eq!(book.expected_omnibus("USDC").unwrap(), "199000.000000");
    assert_eq!(book.client_balances("USDC").len(), CLIENTS);
    book.check_invariants().unwrap();
}

#[test]
#[ignore = "bounded larger run: CLIENTS_MAX clients, 300,000 ledger accounts (~7 s in a debug build); cargo test -p countersign-core --lib custody::tests::a_book_fills_to_clients_max -- --ignored"]
fn a_book_fills_to_clients_max_and_refuses_one_more() {
    let mut book = Book::new(config()).unwrap();
    let now = register_many(&mut book, CLIENTS_MAX);
    let one_more = Event::RegisterClient { client_id: "one-more".into(), address: address_of_index(CLIENTS_MAX), now };
    assert_eq!(book.apply(&one_more).unwrap().code, CustodyCode::ClientsFull);
    let out = book.apply(&Event::ObserveDeposit { deposit_id: "d".into(), address: address_of_index(CLIENTS_MAX - 1), asset: "USDC".into(), amount: "100".into(), confirmations: 1, now }).unwrap();
    assert_eq!(out.code, CustodyCode::DepositConfirmed);
    book.check_invariants().unwrap();
}

#[test]
fn a_burst_of_registrations_past_the_key_window_is_refused_whole_and_retried_later() {
    // Three assets: 6 keys per registration, so the 32,768-key window fills at the 5,462nd
    // registration within one retention period. The refused one opens none of its accounts
    // (one linked chain), is a typed refusal (not INTERNAL), and goes through once the keys aged.
    let mut book = Book::new(config()).unwrap();
    let mut refused_at = None;
    for i in 0..6000 {
        let out = book.apply(&Event::RegisterClient { client_id: format!("c{i}"), address: address_of_index(i), now: T0 }).unwrap();
        if out.code != CustodyCode::ClientRegistered {
            assert_eq!(out.code, CustodyCode::LedgerRefused, "client {i}");
            assert_eq!(out.ledger_code, Some(crate::ledger::LedgerCode::IdempotencyKeysFull));
            refused_at = Some(i);
            break;
        }
    }
    let i = refused_at.expect("the key window refuses a burst");
    let id = format!("c{i}");
    assert!(book.client_index(&id).is_none());
    assert!(book.trading_balance(&id, "USDC").is_none() && book.wallet_balance(&id, "USDC").is_none());
    for asset in ["BTC", "USDC"] {
        assert!(book.trading_balance(&id, asset).is_none() && book.wallet_balance(&id, asset).is_none(), "no account of the chain is open");
    }
    book.check_invariants().unwrap();
    let later = T0 + crate::ledger::IDEMPOTENCY_KEY_RETENTION_S + 1;
    let out = book.apply(&Event::RegisterClient { client_id: id.clone(), address: address_of_index(i), now: later }).unwrap();
    assert_eq!(out.code, CustodyCode::ClientRegistered);
    assert_eq!(book.trading_balance(&id, "USDC").as_deref(), Some("0.000000"));
    book.check_invariants().unwrap();
}
