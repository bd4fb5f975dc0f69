//! Unit and property tests of the temporary-card credentials.

use proptest::prelude::*;

use super::credentials::decimalise;
use super::*;
use crate::crypto::sha256;
use crate::error::ErrorCode;
use crate::limits::{TIME_S_MAX, TIME_S_MIN};

const KEY: [u8; 32] = [7; 32];
/// 2026-12-10T09:30:00Z.
const APPROVED: i64 = 1_796_895_000;

fn cases(default: u32) -> u32 {
    crate::money::proptest_cases(default)
}

/// Deterministic "randomness" for tests: SHA-256 in counter mode over a label.
fn randomness(label: &str) -> Vec<u8> {
    (0u8..4)
        .flat_map(|i| sha256(format!("{label}/{i}").as_bytes()))
        .collect()
}

fn bin(low: &str, high: &str, pan_length: u8) -> BinRange {
    BinRange {
        low: low.to_owned(),
        high: high.to_owned(),
        pan_length,
    }
}

fn request(bin_range: BinRange) -> IssueRequest {
    IssueRequest {
        bin_range,
        display_window: Window {
            from: APPROVED,
            until: APPROVED + 600,
        },
        usable_window: Window {
            from: APPROVED,
            until: APPROVED + 30 * 86_400,
        },
        issued_pans: Vec::new(),
    }
}

fn issued(request: &IssueRequest, label: &str) -> Credentials {
    let result = issue(request, &randomness(label)).unwrap();
    assert_eq!(result.code, TempCardCode::Issued);
    result.credentials.unwrap()
}

fn credentials() -> Credentials {
    issued(&request(bin("457173", "457173", 16)), "credentials")
}

// ---------------------------------------------------------------------------------- Luhn

#[test]
fn known_luhn_valid_pans() {
    for pan in [
        "4111111111111111",    // Visa test card
        "4012888888881881",    // Visa
        "4222222222222",       // Visa, 13 digits
        "5555555555554444",    // Mastercard
        "2223003122003222",    // Mastercard 2-series
        "378282246310005",     // American Express, 15 digits
        "6011111111111117",    // Discover
        "3530111333300000",    // JCB
        "6759649826438453",    // Maestro
        "79927398713",         // the ISO/IEC 7812 textbook example
        "4000056655665556",    // Visa debit
        "6062826786276634",    // Hipercard
        "8171999927660000",    // UnionPay 16
        "6212345678900000003", // UnionPay 19
    ] {
        assert!(luhn_valid(pan), "{pan}");
        let (payload, check) = pan.split_at(pan.len() - 1);
        assert_eq!(
            luhn_check_digit(payload).unwrap().to_string(),
            check,
            "{pan}"
        );
    }
}

#[test]
fn luhn_rejects_every_single_digit_error_and_malformed_input() {
    let pan = "4111111111111111";
    for position in 0..pan.len() {
        for digit in b'0'..=b'9' {
            let mut bytes = pan.as_bytes().to_vec();
            if bytes[position] == digit {
                continue;
            }
            bytes[position] = digit;
            let changed = String::from_utf8(bytes).unwrap();
            assert!(!luhn_valid(&changed), "{changed}");
        }
    }
    for bad in [
        "",
        "0",
        "4111 1111 1111 1111",
        "411111111111111a",
        "４１",
        "-4111111111111111",
    ] {
        assert!(!luhn_valid(bad), "{bad:?}");
    }
    assert!(!luhn_valid(&"0".repeat(20)), "longer than PAN_DIGITS_MAX");
    assert_eq!(luhn_check_digit(""), None);
    assert_eq!(luhn_check_digit("12a"), None);
    assert_eq!(luhn_check_digit(&"1".repeat(20)), None);
    assert_eq!(luhn_check_digit("7992739871"), Some(3));
}

// -------------------------------------------------------------------------------- expiry

#[test]
fn expiry_is_the_end_of_the_utc_month() {
    // 2026-12-15T12:00:00Z is in 12/26, which ends at 2027-01-01T00:00:00Z.
    let expiry = Expiry::containing(1_797_336_000, "t").unwrap();
    assert_eq!((expiry.year(), expiry.month()), (2026, 12));
    assert_eq!(expiry.mm_yy(), "12/26");
    assert_eq!(expiry.expires_at(), 1_798_761_600);
    assert_eq!(Expiry::from_expires_at(1_798_761_600, "t").unwrap(), expiry);
    // The last second of the month is still in it; the next one is not.
    assert_eq!(Expiry::containing(1_798_761_599, "t").unwrap(), expiry);
    assert_eq!(
        Expiry::containing(1_798_761_600, "t").unwrap().mm_yy(),
        "01/27"
    );
    // A leap February: 02/28 ends at 2028-03-01.
    let february = Expiry::from_expires_at(1_835_481_600, "t").unwrap();
    assert_eq!(february.mm_yy(), "02/28");
    // The first and last months of the accepted range.
    assert_eq!(
        Expiry::containing(TIME_S_MIN, "t").unwrap().mm_yy(),
        "01/70"
    );
    let last = Expiry::containing(TIME_S_MAX - 1, "t").unwrap();
    assert_eq!(
        (last.year(), last.month(), last.expires_at()),
        (2999, 12, TIME_S_MAX)
    );
    // Not a month start, or out of range.
    for bad in [
        1_798_761_601,
        1_798_761_599,
        0,
        -1,
        TIME_S_MAX + 1,
        i64::MIN,
        i64::MAX,
    ] {
        let err = Expiry::from_expires_at(bad, "expiresAt").unwrap_err();
        assert_eq!(
            (err.code(), err.param()),
            (ErrorCode::InvalidArgument, "expiresAt"),
            "{bad}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2_000)))]

    /// Our calendar arithmetic agrees with jiff's on every second of the accepted range.
    #[test]
    fn expiry_month_agrees_with_jiff(time in TIME_S_MIN..TIME_S_MAX) {
        let expiry = Expiry::containing(time, "t").unwrap();
        let utc = jiff::tz::TimeZone::UTC;
        let civil = utc.to_datetime(jiff::Timestamp::from_second(time).unwrap());
        prop_assert_eq!((expiry.year(), expiry.month()), (i64::from(civil.year()), u8::try_from(civil.month()).unwrap()));
        let next = civil.date().first_of_month().checked_add(jiff::Span::new().months(1)).unwrap();
        let next = utc.to_timestamp(next.to_datetime(jiff::civil::Time::midnight())).unwrap();
        prop_assert_eq!(expiry.expires_at(), next.as_second());
        prop_assert!(time < expiry.expires_at());
        prop_assert_eq!(Expiry::from_expires_at(expiry.expires_at(), "t").unwrap(), expiry);
    }
}

// ----------------------------------------------------------------------------- issuance

#[test]
fn issued_credentials_follow_the_request() {
    let req = request(bin("45717360", "45717369", 19));
    let creds = issued(&req, "a");
    assert_eq!(creds.pan.len(), 19);
    assert!(creds.pan.starts_with("4571736"));
    assert!(luhn_valid(&creds.pan));
    // Usable until 2027-01-09T09:30Z: expires at the end of 01/27.
    assert_eq!(creds.expiry, "01/27");
    assert_eq!(creds.expires_at, 1_801_440_000);
    assert_eq!(creds.display_window, req.display_window);
    assert_eq!(creds.usable_window, req.usable_window);
    creds.validate().unwrap();
    // Deterministic: the same randomness gives the same credentials.
    assert_eq!(issued(&req, "a"), creds);
    assert_ne!(issued(&req, "b").pan, creds.pan);
}

#[test]
fn a_pan_already_issued_for_the_parent_is_a_collision() {
    let mut req = request(bin("457173", "457173", 16));
    let first = issued(&req, "a");
    req.issued_pans = vec!["4111111111111111".to_owned(), first.pan.clone()];
    let again = issue(&req, &randomness("a")).unwrap();
    assert_eq!(
        (again.code, again.credentials),
        (TempCardCode::PanCollision, None)
    );
    let other = issued(&req, "b");
    assert!(!req.issued_pans.contains(&other.pan));
}

#[test]
fn rejected_draws_are_skipped_and_exhaustion_is_an_outcome() {
    let req = request(bin("457173", "457173", 16));
    let all_rejected = vec![0xFF; PAN_RANDOMNESS_BYTES];
    let result = issue(&req, &all_rejected).unwrap();
    assert_eq!(
        (result.code, result.credentials),
        (TempCardCode::RandomnessExhausted, None)
    );
    // The first 15 draws rejected, the last one zero: the lowest PAN of the range.
    let mut last_accepted = vec![0xFF; PAN_RANDOMNESS_BYTES];
    last_accepted[PAN_RANDOMNESS_BYTES - PAN_DRAW_BYTES..].fill(0);
    let creds = issue(&req, &last_accepted).unwrap().credentials.unwrap();
    assert_eq!(&creds.pan[..15], "457173000000000");
    // n = 10^9 PANs: the largest multiple of n not above 2^64 is rejected, the one below accepted.
    let n: u128 = 1_000_000_000;
    let accept_below = ((1u128 << 64) / n) * n;
    let mut edge = randomness("edge");
    edge[..8].copy_from_slice(&u64::try_from(accept_below).unwrap().to_be_bytes());
    edge[8..16].copy_from_slice(&u64::try_from(accept_below - 1).unwrap().to_be_bytes());
    let creds = issue(&req, &edge).unwrap().credentials.unwrap();
    assert_eq!(&creds.pan[..15], "457173999999999", "draw 1 is index n − 1");
}

#[test]
fn pans_are_spread_uniformly_over_a_bin_range() {
    // 10 prefixes × 10^4 accounts; 4000 draws: each prefix expects 400 (sd ≈ 19).
    let req = request(bin("22223330", "22223339", 13));
    let mut per_prefix = [0u32; 10];
    let mut per_last_account_digit = [0u32; 10];
    for i in 0..4000 {
        let creds = issued(&req, &format!("spread/{i}"));
        let prefix_digit = usize::from(creds.pan.as_bytes()[7] - b'0');
        per_prefix[prefix_digit] += 1;
        per_last_account_digit[usize::from(creds.pan.as_bytes()[11] - b'0')] += 1;
    }
    for counts in [per_prefix, per_last_account_digit] {
        for count in counts {
            assert!((300..=500).contains(&count), "{counts:?}");
        }
    }
}

#[test]
fn malformed_issue_requests_are_errors_naming_the_parameter() {
    let ok = request(bin("457173", "457173", 16));
    let check = |req: &IssueRequest, bytes: &[u8], code: ErrorCode, param: &str| {
        let err = issue(req, bytes).unwrap_err();
        assert_eq!((err.code(), err.param()), (code, param), "{err}");
    };
    let good = randomness("a");
    check(
        &ok,
        &good[..PAN_RANDOMNESS_BYTES - 1],
        ErrorCode::InvalidArgument,
        "randomness",
    );
    check(
        &ok,
        &[good.clone(), vec![0]].concat(),
        ErrorCode::InvalidArgument,
        "randomness",
    );
    for (low, high, length) in [
        ("45717", "45717", 16),
        ("457173601", "457173601", 16),
        ("057173", "057173", 16),
        ("457174", "457173", 16),
        ("457173", "4571730", 16),
        ("45717a", "45717a", 16),
        ("+45717", "+45717", 16),
        ("457173", "457173", 12),
        ("457173", "457173", 20),
        ("45717360", "45717360", 13 - 1),
    ] {
        let mut req = ok.clone();
        req.bin_range = bin(low, high, length);
        check(&req, &good, ErrorCode::InvalidArgument, "binRange");
    }
    let mut req = ok.clone();
    req.display_window.until = req.display_window.from;
    check(&req, &good, ErrorCode::InvalidArgument, "displayWindow");
    let mut req = ok.clone();
    req.usable_window.until = req.usable_window.from + WINDOW_SECONDS_MAX + 1;
    check(&req, &good, ErrorCode::InvalidArgument, "usableWindow");
    let mut req = ok.clone();
    req.usable_window.from = -1;
    check(&req, &good, ErrorCode::InvalidArgument, "usableWindow");
    let mut req = ok.clone();
    req.display_window.until = req.usable_window.until + 1;
    check(&req, &good, ErrorCode::InvalidArgument, "displayWindow");
    let mut req = ok.clone();
    req.issued_pans = vec!["4111111111111111".to_owned(); ISSUED_PANS_MAX + 1];
    check(&req, &good, ErrorCode::LimitExceeded, "issuedPans");
    req.issued_pans = vec!["411111111111".to_owned()];
    check(&req, &good, ErrorCode::InvalidArgument, "issuedPans");
    // The limit itself is accepted.
    req.issued_pans = vec!["4111111111111111".to_owned(); ISSUED_PANS_MAX];
    assert_eq!(issue(&req, &good).unwrap().code, TempCardCode::Issued);
}

// ---------------------------------------------------------------------------------- CVV

#[test]
fn cvv_decimalisation_takes_the_first_chunk_below_65000() {
    let mut mac = [0xFF; 32];
    // All chunks rejected: the last one, 65535 mod 1000.
    assert_eq!(decimalise(&mac), 535);
    // Chunk 3 is the first accepted (64999 → 999); chunk 5 (1234) is ignored.
    mac[6..8].copy_from_slice(&64_999u16.to_be_bytes());
    mac[10..12].copy_from_slice(&1234u16.to_be_bytes());
    assert_eq!(decimalise(&mac), 999);
    // 65000 itself is rejected.
    mac[6..8].copy_from_slice(&65_000u16.to_be_bytes());
    assert_eq!(decimalise(&mac), 234);
    assert_eq!(decimalise(&[0; 32]), 0);
    // 1 000 → 0, 42 → 42.
    let mut mac = [0u8; 32];
    mac[..2].copy_from_slice(&1000u16.to_be_bytes());
    assert_eq!(decimalise(&mac), 0);
    mac[..2].copy_from_slice(&42u16.to_be_bytes());
    assert_eq!(decimalise(&mac), 42);
}

#[test]
fn cvv_is_deterministic_and_bound_to_key_pan_and_expiry() {
    let creds = credentials();
    let cvv = derive_cvv(&KEY, &creds.pan, creds.expires_at).unwrap();
    assert_eq!(cvv.as_str().len(), CVV_DIGITS);
    assert!(cvv.as_str().bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(derive_cvv(&KEY, &creds.pan, creds.expires_at).unwrap(), cvv);
    assert_eq!(format!("{cvv:?}"), "Cvv(***)", "never printed");
    // Each input changes it for most keys/PANs/expiries: count over 200 variations each.
    let mut same = [0u32; 3];
    for i in 0..200u8 {
        let mut key = KEY;
        key[0] = i.wrapping_add(1);
        same[0] += u32::from(derive_cvv(&key, &creds.pan, creds.expires_at).unwrap() == cvv);
        let payload = format!("457173{:09}", u32::from(i) + 1);
        let pan = format!("{payload}{}", luhn_check_digit(&payload).unwrap());
        let base = derive_cvv(&KEY, &pan, creds.expires_at).unwrap();
        same[1] += u32::from(base == cvv);
        let later = Expiry::containing(creds.expires_at + i64::from(i) * 31 * 86_400, "t").unwrap();
        same[2] += u32::from(derive_cvv(&KEY, &pan, later.expires_at()).unwrap() == base && i > 0);
    }
    assert!(
        same.iter().all(|&n| n <= 5),
        "{same:?}: about 1 in 1000 expected"
    );
}

#[test]
fn cvv_values_are_spread_uniformly() {
    // 20 000 PANs: each CVV's leading digit expects 2 000 (sd ≈ 42).
    let mut leading = [0u32; 10];
    let mut trailing = [0u32; 10];
    for i in 0..20_000u32 {
        let payload = format!("457173{i:09}");
        let pan = format!("{payload}{}", luhn_check_digit(&payload).unwrap());
        let cvv = derive_cvv(&KEY, &pan, 1_798_761_600).unwrap();
        let digits = cvv.as_str().as_bytes();
        leading[usize::from(digits[0] - b'0')] += 1;
        trailing[usize::from(digits[2] - b'0')] += 1;
    }
    for counts in [leading, trailing] {
        for count in counts {
            assert!((1_800..=2_200).contains(&count), "{counts:?}");
        }
    }
}

#[test]
fn verify_cvv_accepts_only_the_derived_value() {
    let creds = credentials();
    let cvv = derive_cvv(&KEY, &creds.pan, creds.expires_at).unwrap();
    let verify =
        |presented: &str| verify_cvv(&KEY, &creds.pan, creds.expires_at, presented).unwrap();
    // Exhaustive: exactly one of the 1000 values is valid.
    let valid: Vec<u16> = (0..1000u16)
        .filter(|v| verify(&format!("{v:03}")) == TempCardCode::CvvValid)
        .collect();
    assert_eq!(valid.len(), 1);
    assert_eq!(format!("{:03}", valid[0]), cvv.as_str());
    for malformed in ["", "1", "12", "1234", "12a", " 12", "１２３", "-12", "0x1"] {
        assert_eq!(
            verify(malformed),
            TempCardCode::CvvMalformed,
            "{malformed:?}"
        );
    }
    // Another key does not verify (except by a 1-in-1000 coincidence, not the case here).
    assert_eq!(
        verify_cvv(&[8; 32], &creds.pan, creds.expires_at, cvv.as_str()).unwrap(),
        TempCardCode::CvvInvalid
    );
}

#[test]
fn cvv_errors_name_the_parameter() {
    let creds = credentials();
    let err = derive_cvv(&KEY[..31], &creds.pan, creds.expires_at).unwrap_err();
    assert_eq!((err.code(), err.param()), (ErrorCode::KeyInvalid, "cvvKey"));
    let err = derive_cvv(&[0; 33], &creds.pan, creds.expires_at).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyInvalid);
    for pan in [
        "4111111111111112",
        "411111111111",
        "41111111111111111111",
        "411111111111111a",
        "",
    ] {
        let err = derive_cvv(&KEY, pan, creds.expires_at).unwrap_err();
        assert_eq!(
            (err.code(), err.param()),
            (ErrorCode::InvalidArgument, "pan"),
            "{pan}"
        );
    }
    let err = verify_cvv(&KEY, &creds.pan, creds.expires_at + 1, "123").unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::InvalidArgument, "expiresAt")
    );
}

// ---------------------------------------------------------------------------- windows

#[test]
fn display_and_usable_windows_are_half_open_and_separate() {
    let creds = credentials();
    let (display, usable) = (creds.display_window, creds.usable_window);
    let display_at = |now| creds.display_status(now).unwrap();
    assert_eq!(
        display_at(display.from - 1),
        TempCardCode::DisplayNotYetOpen
    );
    assert_eq!(display_at(display.from), TempCardCode::DisplayAllowed);
    assert_eq!(display_at(display.until - 1), TempCardCode::DisplayAllowed);
    assert_eq!(display_at(display.until), TempCardCode::DisplayClosed);
    let usable_at = |now| creds.usable_status(now).unwrap();
    assert_eq!(usable_at(usable.from - 1), TempCardCode::NotYetUsable);
    assert_eq!(usable_at(usable.from), TempCardCode::Usable);
    // No longer shown, still usable.
    assert_eq!(usable_at(display.until), TempCardCode::Usable);
    assert_eq!(usable_at(usable.until - 1), TempCardCode::Usable);
    assert_eq!(usable_at(usable.until), TempCardCode::UsableWindowClosed);
    assert_eq!(
        usable_at(creds.expires_at - 1),
        TempCardCode::UsableWindowClosed
    );
    assert_eq!(usable_at(creds.expires_at), TempCardCode::Expired);
    assert_eq!(usable_at(TIME_S_MAX), TempCardCode::Expired);
    for now in [-1, TIME_S_MAX + 1] {
        assert_eq!(creds.usable_status(now).unwrap_err().param(), "now");
        assert_eq!(creds.display_status(now).unwrap_err().param(), "now");
    }
}

#[test]
fn inconsistent_credentials_are_errors() {
    let creds = credentials();
    let mut variants = Vec::new();
    let mut c = creds.clone();
    c.pan.pop();
    c.pan.push(if creds.pan.ends_with('0') { '1' } else { '0' });
    variants.push(c);
    let mut c = creds.clone();
    c.expiry = "12/26".to_owned();
    variants.push(c);
    let mut c = creds.clone();
    c.expires_at += 1;
    variants.push(c);
    let mut c = creds.clone();
    c.usable_window.until = c.expires_at + 1;
    c.expiry = Expiry::from_expires_at(c.expires_at, "t").unwrap().mm_yy();
    variants.push(c);
    let mut c = creds.clone();
    c.display_window.until = c.usable_window.until + 1;
    variants.push(c);
    for c in variants {
        assert!(c.validate().is_err(), "{c:?}");
        assert!(c.display_status(APPROVED).is_err());
        assert!(c.usable_status(APPROVED).is_err());
        assert!(c.reveal(&KEY, APPROVED).is_err());
    }
}

#[test]
fn reveal_shows_the_cvv_only_inside_the_display_window() {
    let creds = credentials();
    let cvv = derive_cvv(&KEY, &creds.pan, creds.expires_at).unwrap();
    let shown = creds.reveal(&KEY, creds.display_window.from).unwrap();
    assert_eq!(shown.code, TempCardCode::DisplayAllowed);
    assert_eq!(shown.pan.as_deref(), Some(creds.pan.as_str()));
    assert_eq!(shown.expiry.as_deref(), Some(creds.expiry.as_str()));
    assert_eq!(shown.cvv.as_deref(), Some(cvv.as_str()));
    assert!(!format!("{shown:?}").contains(cvv.as_str()) || creds.pan.contains(cvv.as_str()));
    for now in [creds.display_window.from - 1, creds.display_window.until] {
        let hidden = creds.reveal(&KEY, now).unwrap();
        assert_ne!(hidden.code, TempCardCode::DisplayAllowed);
        assert_eq!(
            (
                hidden.pan.clone(),
                hidden.expiry.clone(),
                hidden.cvv.clone()
            ),
            (None, None, None)
        );
    }
    assert_eq!(
        creds.reveal(&KEY[..16], APPROVED).unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
}

#[test]
fn presented_credentials_are_checked_in_order() {
    let creds = credentials();
    let cvv = derive_cvv(&KEY, &creds.pan, creds.expires_at).unwrap();
    let ok = PresentedCredentials {
        pan: creds.pan.clone(),
        expiry: creds.expiry.clone(),
        cvv: cvv.as_str().to_owned(),
    };
    let wrong_cvv = format!("{:03}", (cvv.as_str().parse::<u16>().unwrap() + 1) % 1000);
    let at = |p: &PresentedCredentials, now| creds.verify_presented(&KEY, p, now).unwrap();
    let now = creds.usable_window.from;
    assert_eq!(at(&ok, now), TempCardCode::CredentialsValid);
    let mut p = ok.clone();
    p.pan = "4111111111111111".to_owned();
    p.cvv = "x".to_owned();
    assert_eq!(at(&p, now), TempCardCode::PanMismatch, "the PAN first");
    let mut p = ok.clone();
    p.expiry = "12/99".to_owned();
    p.cvv = wrong_cvv.clone();
    assert_eq!(at(&p, now), TempCardCode::ExpiryMismatch, "then the expiry");
    let mut p = ok.clone();
    p.cvv = "12".to_owned();
    assert_eq!(at(&p, now), TempCardCode::CvvMalformed);
    p.cvv = wrong_cvv;
    assert_eq!(at(&p, now), TempCardCode::CvvInvalid);
    assert_eq!(
        at(&p, creds.expires_at),
        TempCardCode::CvvInvalid,
        "credentials before time"
    );
    assert_eq!(at(&ok, now - 1), TempCardCode::NotYetUsable);
    assert_eq!(
        at(&ok, creds.usable_window.until),
        TempCardCode::UsableWindowClosed
    );
    assert_eq!(at(&ok, creds.expires_at), TempCardCode::Expired);
    assert!(!format!("{ok:?}").contains(&format!("cvv: \"{}\"", cvv.as_str())));
}

#[test]
fn codes_are_unique_and_described() {
    let mut seen = std::collections::HashSet::new();
    for code in TempCardCode::ALL {
        assert!(seen.insert(code.as_str()), "{code}");
        assert!(!code.description().is_empty());
        assert_eq!(TempCardCode::from_name(code.as_str()), Some(*code));
        assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
    }
}

#[test]
fn request_and_result_types_are_camel_case_json() {
    let json = serde_json::json!({
        "binRange": {"low": "457173", "high": "457173", "panLength": 16},
        "displayWindow": {"from": APPROVED, "until": APPROVED + 600},
        "usableWindow": {"from": APPROVED, "until": APPROVED + 86_400},
    });
    let req: IssueRequest = serde_json::from_value(json).unwrap();
    assert!(req.issued_pans.is_empty());
    let result = issue(&req, &randomness("json")).unwrap();
    let out = serde_json::to_value(&result).unwrap();
    assert_eq!(out["code"], "ISSUED");
    assert!(out["credentials"]["expiresAt"].is_i64());
    assert!(out["credentials"]["usableWindow"]["until"].is_i64());
    let unknown = serde_json::json!({"low": "457173", "high": "457173", "panLength": 16, "x": 1});
    assert!(serde_json::from_value::<BinRange>(unknown).is_err());
}

// ------------------------------------------------------------------------ properties

fn digits(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9]{{{min},{max}}}")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1_000)))]

    /// Any BIN range and randomness: an issued PAN is in the range, of the right length and
    /// Luhn-valid; a draw that is not issued is an outcome, never a panic.
    #[test]
    fn issued_pans_are_valid_and_in_range(
        low in 100_000u64..=99_999_999,
        span in 0u64..1000,
        extra in 0u8..12,
        bytes in proptest::collection::vec(any::<u8>(), PAN_RANDOMNESS_BYTES),
    ) {
        let width = low.to_string().len();
        let high = (low + span).min(10u64.pow(u32::try_from(width).unwrap()) - 1);
        let pan_length = (u8::try_from(width).unwrap() + 5 + extra).clamp(13, 19);
        let req = request(bin(&low.to_string(), &high.to_string(), pan_length));
        let result = issue(&req, &bytes).unwrap();
        match result.code {
            TempCardCode::Issued => {
                let creds = result.credentials.unwrap();
                prop_assert_eq!(creds.pan.len(), usize::from(pan_length));
                prop_assert!(luhn_valid(&creds.pan));
                let prefix: u64 = creds.pan[..width].parse().unwrap();
                prop_assert!((low..=high).contains(&prefix));
                prop_assert!(creds.validate().is_ok());
            }
            other => prop_assert_eq!(other, TempCardCode::RandomnessExhausted),
        }
    }

    /// Arbitrary request fields never panic.
    #[test]
    fn issue_never_panics(
        low in ".{0,10}",
        high in ".{0,10}",
        pan_length in any::<u8>(),
        from in any::<i64>(),
        until in any::<i64>(),
        display_from in any::<i64>(),
        display_until in any::<i64>(),
        issued in proptest::collection::vec(".{0,20}", 0..4),
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let req = IssueRequest {
            bin_range: BinRange { low, high, pan_length },
            display_window: Window { from: display_from, until: display_until },
            usable_window: Window { from, until },
            issued_pans: issued,
        };
        let _ = issue(&req, &bytes);
    }

    /// Arbitrary PANs, expiries, CVVs, keys and times never panic, and a well-formed CVV other
    /// than the derived one never verifies.
    #[test]
    fn cvv_and_credential_checks_never_panic(
        pan in prop_oneof![digits(0, 21), ".{0,24}"],
        expires_at in prop_oneof![any::<i64>(), TIME_S_MIN..=TIME_S_MAX],
        presented in prop_oneof![digits(0, 4), ".{0,5}"],
        key_len in prop_oneof![Just(32usize), 0usize..64],
        now in any::<i64>(),
        expiry in ".{0,6}",
    ) {
        let key = vec![3u8; key_len];
        let derived = derive_cvv(&key, &pan, expires_at);
        let verified = verify_cvv(&key, &pan, expires_at, &presented);
        match (derived, verified) {
            (Ok(cvv), Ok(code)) => {
                prop_assert_eq!(code == TempCardCode::CvvValid, cvv.as_str() == presented);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.code(), b.code()),
            (a, b) => prop_assert!(false, "derive {:?} and verify {:?} disagree", a, b),
        }
        let creds = Credentials {
            pan: pan.clone(),
            expiry,
            expires_at,
            display_window: Window { from: now.saturating_sub(10), until: now },
            usable_window: Window { from: now.saturating_sub(10), until: expires_at },
        };
        let _ = creds.display_status(now);
        let _ = creds.usable_status(now);
        let _ = creds.reveal(&key, now);
        let p = PresentedCredentials { pan, expiry: creds.expiry.clone(), cvv: presented };
        let _ = creds.verify_presented(&key, &p, now);
    }

    /// Luhn functions never panic, and appending the check digit always gives a valid number.
    #[test]
    fn luhn_check_digit_makes_numbers_valid(payload in digits(1, 18), junk in ".{0,25}") {
        let check = luhn_check_digit(&payload).unwrap();
        let valid = format!("{payload}{check}");
        prop_assert!(luhn_valid(&valid));
        let wrong = format!("{payload}{}", (check + 1) % 10);
        prop_assert!(!luhn_valid(&wrong));
        let _ = luhn_valid(&junk);
        let _ = luhn_check_digit(&junk);
    }
}
