use super::*;
use crate::error::ErrorCode;
use proptest::prelude::*;

fn party(name: &str, account: &str, bic: Option<&str>, provider: Option<&str>) -> Party {
    Party { name: name.into(), account: account.into(), bic: bic.map(Into::into), provider: provider.map(Into::into) }
}

fn instruction() -> Instruction {
    Instruction {
        message_id: "MSG-0001".into(),
        end_to_end_id: "E2E-0001".into(),
        created_at: "2026-12-06T10:00:00Z".into(),
        execution_date: "2026-12-07".into(),
        amount: "10.5".into(),
        currency: "EUR".into(),
        initiator: "Alice Example".into(),
        debtor: party("Alice Example", "DE89 3704 0044 0532 0130 00", Some("cobadeffxxx"), Some("bank-a")),
        creditor: party("François Müller & Søn", "FR1420041010050500013M02606", None, Some("bank-b")),
        remittance: Some("Invoice 42".into()),
    }
}

fn rules() -> Rules {
    let p = |id: &str, f: Format| Provider { id: id.into(), endpoint: format!("http://127.0.0.1:9000/{id}"), format: f };
    let rule = |id: &str, kind: RuleKind, provider: &str| Rule {
        id: id.into(),
        kind,
        provider: provider.into(),
        country: None,
        bank_code: None,
        bic: None,
        bin_from: None,
        bin_to: None,
        network: None,
        issuer: None,
        routing: None,
        prefix: None,
    };
    Rules {
        providers: vec![p("bank-a", Format::Pain001), p("bank-b", Format::Pacs008), p("mm", Format::FspiopQuote), p("wallet", Format::PlainJson)],
        rules: vec![
            Rule { country: Some("DE".into()), ..rule("de", RuleKind::Iban, "bank-a") },
            Rule { country: Some("DE".into()), bank_code: Some("37040044".into()), bic: Some("COBADEFFXXX".into()), ..rule("de-coba", RuleKind::Iban, "bank-b") },
            Rule { country: Some("FR".into()), ..rule("fr-1", RuleKind::Iban, "bank-a") },
            Rule { country: Some("FR".into()), ..rule("fr-2", RuleKind::Iban, "bank-b") },
            Rule { bin_from: Some("400000".into()), bin_to: Some("499999".into()), network: Some("visa".into()), ..rule("visa", RuleKind::Card, "bank-a") },
            Rule { bin_from: Some("45".into()), bin_to: Some("45".into()), network: Some("visa".into()), issuer: Some("B".into()), ..rule("visa45", RuleKind::Card, "bank-b") },
            Rule { routing: Some("021000021".into()), ..rule("chase", RuleKind::Aba, "bank-a") },
            Rule { prefix: Some("g.us".into()), ..rule("ilp-us", RuleKind::Ilp, "bank-a") },
            Rule { prefix: Some("g.us.mm".into()), ..rule("ilp-mm", RuleKind::Ilp, "mm") },
            Rule { prefix: Some("https://wallet.example/".into()), ..rule("ptr", RuleKind::Pointer, "wallet") },
        ],
    }
}

#[test]
fn iban_checks_in_order() {
    assert_eq!(check_iban("DE89 3704 0044 0532 0130 00").code, IbanCode::Valid);
    assert_eq!(check_iban("de89370400440532013000").electronic.as_deref(), Some("DE89370400440532013000"));
    assert_eq!(check_iban("DE89370400440532013001").code, IbanCode::Checksum);
    assert_eq!(check_iban("XX89370400440532013000").code, IbanCode::Checksum);
    assert_eq!(check_iban("DE8937040044053201300").code, IbanCode::Checksum);
    assert_eq!(check_iban("D E").code, IbanCode::Format);
    let c = check_iban("DE89370400440532013000");
    assert_eq!((c.country.as_deref(), c.bank_code.as_deref(), c.national_check), (Some("DE"), Some("37040044"), NationalCheck::NotDefined));
    // Registry examples with national check digits.
    for iban in ["BE68539007547034", "FR1420041010050500013M02606", "ES9121000418450200051332", "IT60X0542811101000000123456", "NO9386011117947", "MC5811222000010123456789030", "SM86U0322509800000000270100"] {
        let c = check_iban(iban);
        assert_eq!((c.code, c.national_check), (IbanCode::Valid, NationalCheck::Valid), "{iban}");
    }
}

/// Makes an IBAN whose mod-97 holds around a given BBAN.
fn with_check(country: &str, bban: &str) -> String {
    format!("{country}{:02}{bban}", validate::iban_check_digits(country, bban).unwrap())
}

#[test]
fn national_check_digits_are_checked() {
    // Belgian BBAN with a wrong national check (the last two digits), mod-97 repaired.
    assert_eq!(check_iban(&with_check("BE", "539007547035")).code, IbanCode::NationalCheck);
    assert_eq!(check_iban(&with_check("FR", "20041010050500013M02607")).code, IbanCode::NationalCheck);
    assert_eq!(check_iban(&with_check("ES", "21000418460200051332")).code, IbanCode::NationalCheck);
    assert_eq!(check_iban(&with_check("IT", "Y0542811101000000123456")).code, IbanCode::NationalCheck);
    assert_eq!(check_iban(&with_check("NO", "86011117948")).code, IbanCode::NationalCheck);
    // A German BBAN changed anywhere is still "valid" (no national check), said so.
    let c = check_iban(&with_check("DE", "370400440532013001"));
    assert_eq!((c.code, c.national_check), (IbanCode::Valid, NationalCheck::NotDefined));
}

#[test]
fn other_identifiers() {
    assert_eq!(check_bic("cobadeffxxx").bic.as_deref(), Some("COBADEFFXXX"));
    assert!(check_bic("COBADEFF").primary_office);
    assert!(check_bic("COBADE20").test);
    assert_eq!(check_bic("COBA1EFF").code, BicCode::Format);
    assert_eq!(check_bic("COBADEFFXX").code, BicCode::Format);
    assert_eq!(check_aba("021000021"), AbaCode::Valid);
    assert_eq!(check_aba("021000022"), AbaCode::Checksum);
    assert_eq!(check_aba("991000021"), AbaCode::Prefix);
    assert!(luhn("4111111111111111"));
    assert!(!luhn("4111111111111112"));
    assert_eq!(validate::e164("+44 20 7946 0958").as_deref(), Some("+442079460958"));
    assert_eq!(validate::e164("+0123"), None);
    assert_eq!(validate::email("a.b@Example.COM").as_deref(), Some("a.b@example.com"));
    assert_eq!(validate::email("a..b@example.com"), None);
    assert_eq!(validate::payment_pointer_url("$wallet.example/alice").as_deref(), Some("https://wallet.example/alice"));
    assert_eq!(validate::payment_pointer_url("$wallet.example").as_deref(), Some("https://wallet.example/.well-known/pay"));
    assert!(validate::ilp_address("g.us.mm.alice"));
    assert!(!validate::ilp_address("g..x"));
}

#[test]
fn resolver_explains_each_outcome() {
    let r = Resolver::new(rules()).unwrap();
    let a = r.resolve("DE89 3704 0044 0532 0130 00");
    assert_eq!((a.code, a.rule.as_deref(), a.provider.as_deref(), a.bic.as_deref()), (ResolveCode::Resolved, Some("de-coba"), Some("bank-b"), Some("COBADEFFXXX")));
    assert_eq!(a.trace[0], "classify: iban");
    assert_eq!(a.trace[2], "rules: 2 of 4 iban rules match (de, de-coba)");
    let a = r.resolve("FR1420041010050500013M02606");
    assert_eq!((a.code, a.candidates.clone()), (ResolveCode::Ambiguous, vec!["fr-1".to_owned(), "fr-2".to_owned()]));
    assert_eq!(r.resolve("BE68539007547034").code, ResolveCode::Unknown);
    let a = r.resolve("DE89370400440532013001");
    assert_eq!((a.code, a.invalid.as_deref()), (ResolveCode::Invalid, Some("iban-checksum")));
    let a = r.resolve("4500 0000 0000 0007");
    assert_eq!((a.code, a.rule.as_deref(), a.issuer.as_deref()), (ResolveCode::Resolved, Some("visa45"), Some("B")));
    assert_eq!(r.resolve("4111111111111111").rule.as_deref(), Some("visa"));
    assert_eq!(r.resolve("4111111111111112").invalid.as_deref(), Some("luhn"));
    assert_eq!(r.resolve("021000021").rule.as_deref(), Some("chase"));
    assert_eq!(r.resolve("g.us.mm.alice").rule.as_deref(), Some("ilp-mm"));
    assert_eq!(r.resolve("g.us.mmx").rule.as_deref(), Some("ilp-us"));
    assert_eq!(r.resolve("$wallet.example/alice").rule.as_deref(), Some("ptr"));
    assert_eq!(r.resolve("hello").code, ResolveCode::Unrecognised);
    let a = r.resolve("+44 20 7946 0958");
    assert_eq!(a.code, ResolveCode::NeedsLookup);
    let answer = DirectoryAnswer { alias: "+442079460958".into(), provider: Some("mm".into()) };
    let b = r.resolve_alias("+44 20 7946 0958", &answer).unwrap();
    assert_eq!((b.code, b.rule.as_deref(), b.format), (ResolveCode::Resolved, Some("directory"), Some(Format::FspiopQuote)));
    let none = DirectoryAnswer { alias: "+442079460958".into(), provider: None };
    assert_eq!(r.resolve_alias("+442079460958", &none).unwrap().code, ResolveCode::NotFound);
    let other = DirectoryAnswer { alias: "+1".into(), provider: None };
    assert_eq!(r.resolve_alias("+442079460958", &other).unwrap_err().param(), "answer.alias");
    assert_eq!(r.resolve_alias("DE89370400440532013000", &none).unwrap_err().param(), "identifier");
}

#[test]
fn rules_table_errors_name_the_path() {
    let mut t = rules();
    t.rules[4].bin_to = Some("3".into());
    assert_eq!(Resolver::new(t).unwrap_err().param(), "rules.rules[4].binTo");
    let mut t = rules();
    t.rules[0].routing = Some("021000021".into());
    assert_eq!(Resolver::new(t).unwrap_err().param(), "rules.rules[0].routing");
    let mut t = rules();
    t.rules[1].provider = "nobody".into();
    assert_eq!(Resolver::new(t).unwrap_err().param(), "rules.rules[1].provider");
    let mut t = rules();
    t.providers[1].endpoint = "ftp://x".into();
    assert_eq!(Resolver::new(t).unwrap_err().param(), "rules.providers[1].endpoint");
}

#[test]
fn every_format_round_trips_to_the_instruction_with_its_losses() {
    let i = instruction();
    let canonical = check_instruction(&i).unwrap();
    assert_eq!(canonical.amount, "10.50");
    assert_eq!(canonical.debtor.account, "DE89370400440532013000");
    assert_eq!(canonical.debtor.bic.as_deref(), Some("COBADEFFXXX"));
    for f in Format::ALL {
        let m = generate(*f, &i).unwrap();
        let back = parse(*f, &m.text).unwrap();
        assert_eq!(back, with_losses(&canonical, &m.losses), "{f}");
    }
    let m = generate(Format::PlainJson, &i).unwrap();
    assert!(m.losses.is_empty());
    let m = generate(Format::Pain001, &i).unwrap();
    let fields: Vec<&str> = m.losses.iter().map(|l| l.field.as_str()).collect();
    assert_eq!(fields, ["debtor.provider", "creditor.name", "creditor.provider"]);
    assert_eq!(m.losses[1].delivered.as_deref(), Some("Francois Muller + Son"));
    assert_eq!(m.losses[1].kinds, [LossKind::Transliterated]);
    let m = generate(Format::Pacs008, &i).unwrap();
    assert_eq!(m.losses.len(), 2, "pacs.008 keeps the name as it is: {:?}", m.losses);
    let m = generate(Format::FspiopQuote, &i).unwrap();
    assert_eq!(m.losses.iter().map(|l| l.field.as_str()).collect::<Vec<_>>(), ["creditor.name"]);
    assert_eq!(m.losses[0].delivered.as_deref(), Some("François Müller . Søn"));
    assert!(m.text.contains("\"amount\": \"10.5\""));
}

#[test]
fn long_text_is_truncated_and_reported() {
    let mut i = instruction();
    i.remittance = Some("x".repeat(300));
    i.creditor.account = "ACC/".to_owned() + &"9".repeat(40);
    let m = generate(Format::Pain001, &i).unwrap();
    let r = m.losses.iter().find(|l| l.field == "remittance").unwrap();
    assert_eq!((r.kinds.as_slice(), r.delivered.as_ref().map(String::len)), ([LossKind::Truncated].as_slice(), Some(140)));
    let a = m.losses.iter().find(|l| l.field == "creditor.account").unwrap();
    assert_eq!(a.delivered.as_ref().map(String::len), Some(34));
    let back = parse(Format::Pain001, &m.text).unwrap();
    assert_eq!(back, with_losses(&check_instruction(&i).unwrap(), &m.losses));
}

#[test]
fn instruction_errors_name_the_field() {
    let mut i = instruction();
    i.debtor.bic = Some("NOPE".into());
    assert_eq!(generate(Format::Pain001, &i).unwrap_err().param(), "instruction.debtor.bic");
    let mut i = instruction();
    i.amount = "0".into();
    assert_eq!(generate(Format::Pain001, &i).unwrap_err().param(), "instruction.amount");
    let mut i = instruction();
    i.amount = "1.001".into();
    let e = generate(Format::Pain001, &i).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::AmountPrecision, "instruction.amount"));
    let mut i = instruction();
    i.created_at = "2026-02-30T10:00:00Z".into();
    assert_eq!(generate(Format::Pain001, &i).unwrap_err().param(), "instruction.createdAt");
    let mut i = instruction();
    i.message_id = "a b".into();
    assert_eq!(generate(Format::Pain001, &i).unwrap_err().param(), "instruction.messageId");
}

#[test]
fn parse_refuses_what_is_outside_the_mapping() {
    let m = generate(Format::Pain001, &instruction()).unwrap();
    let extra = m.text.replace("<PmtMtd>TRF</PmtMtd>", "<PmtMtd>TRF</PmtMtd><BtchBookg>true</BtchBookg>");
    assert!(parse(Format::Pain001, &extra).unwrap_err().message().contains("BtchBookg"));
    let twice = m.text.replace("<EndToEndId>E2E-0001</EndToEndId>", "<EndToEndId>E2E-0001</EndToEndId><EndToEndId>x</EndToEndId>");
    assert!(parse(Format::Pain001, &twice).unwrap_err().message().contains("twice"));
    let ns = m.text.replace("pain.001.001.09", "pain.001.001.03");
    assert!(parse(Format::Pain001, &ns).is_err());
    assert!(parse(Format::Pacs008, &m.text).is_err());
    assert!(parse(Format::Pain001, "<Document").is_err());
    let doctype = format!("<!DOCTYPE x [<!ENTITY a \"b\">]>{}", m.text.replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", ""));
    assert!(parse(Format::Pain001, &doctype).is_err());
    let q = generate(Format::FspiopQuote, &instruction()).unwrap();
    let forged = q.text.replace("MSG-0001", "MSG-0002");
    assert!(parse(Format::FspiopQuote, &forged).unwrap_err().message().contains("quoteId"));
    let escaped = generate(Format::Pacs008, &Instruction { remittance: Some("<a & b>".into()), ..instruction() }).unwrap();
    assert!(escaped.text.contains("&lt;a &amp; b&gt;"));
    assert_eq!(parse(Format::Pacs008, &escaped.text).unwrap().remittance.as_deref(), Some("<a & b>"));
}

/// The model of longest-prefix routing: walk the address's prefixes from the longest down and
/// look each up in a map (the core scans the rules and keeps the most specific).
fn model_ilp(table: &[(String, String)], address: &str) -> Option<String> {
    let map: std::collections::HashMap<&str, &str> = table.iter().map(|(p, id)| (p.as_str(), id.as_str())).collect();
    let mut cut = address.len();
    loop {
        let prefix = &address[..cut];
        if let Some(id) = map.get(prefix) {
            return Some((*id).to_owned());
        }
        cut = prefix.rfind('.')?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Longest-prefix ILP routing agrees with the model on random tables (distinct prefixes).
    #[test]
    fn ilp_routing_matches_the_model(
        prefixes in proptest::collection::btree_set(proptest::collection::vec(0u8..3, 1..4), 0..12),
        address in proptest::collection::vec(0u8..3, 1..6),
    ) {
        let seg = |v: &[u8]| v.iter().map(|x| ["a", "b", "c"][*x as usize]).collect::<Vec<_>>().join(".");
        let table: Vec<(String, String)> = prefixes.iter().enumerate().map(|(i, p)| (format!("g.{}", seg(p)), format!("r{i}"))).collect();
        let mut rs = rules();
        rs.rules.retain(|r| r.kind != RuleKind::Ilp);
        for (p, id) in &table {
            rs.rules.push(Rule { id: id.clone(), kind: RuleKind::Ilp, provider: "mm".into(), country: None, bank_code: None, bic: None, bin_from: None, bin_to: None, network: None, issuer: None, routing: None, prefix: Some(p.clone()) });
        }
        let resolver = Resolver::new(rs).unwrap();
        let address = format!("g.{}", seg(&address));
        let got = resolver.resolve(&address);
        let want = model_ilp(&table, &address);
        prop_assert_eq!(got.rule.clone(), want.clone());
        prop_assert_eq!(got.code, if want.is_some() { ResolveCode::Resolved } else { ResolveCode::Unknown });
    }

    /// mod-97 catches every single-character substitution of a valid IBAN; the BBAN's
    /// registry shape and the check digits made by `iban_check_digits` give a valid one.
    #[test]
    fn iban_single_substitutions_are_caught(account in "[0-9]{10}", pos in 4usize..22, digit in 0u8..10) {
        let iban = with_check("DE", &format!("37040044{account}"));
        prop_assert_eq!(check_iban(&iban).code, IbanCode::Valid);
        let mut b = iban.clone().into_bytes();
        let new = b'0' + digit;
        prop_assume!(b[pos] != new);
        b[pos] = new;
        let changed = String::from_utf8(b).unwrap();
        prop_assert_eq!(check_iban(&changed).code, IbanCode::Checksum);
    }

    /// Any instruction of printable text round-trips through every format to itself with its
    /// reported losses, and nothing is lost without a report (plain JSON loses nothing).
    #[test]
    fn round_trip_with_reported_losses(name in "\\PC{1,160}", remittance in proptest::option::of("\\PC{1,600}"), initiator in "[a-zA-Zéß& ]{1,140}") {
        let mut i = instruction();
        i.creditor.name = name;
        i.remittance = remittance;
        i.initiator = initiator;
        let Ok(canonical) = check_instruction(&i) else { return Ok(()) };
        for f in Format::ALL {
            let m = generate(*f, &i).unwrap();
            let back = parse(*f, &m.text).unwrap();
            prop_assert_eq!(&back, &with_losses(&canonical, &m.losses), "{}", f);
            if *f == Format::PlainJson {
                prop_assert!(m.losses.is_empty());
            }
        }
    }
}

#[test]
fn json_reader_reads_the_subset_and_refuses_the_rest() {
    use super::json::Json;
    assert_eq!(Json::parse(r#" {"a": ["x\u00e9\ud83d\ude00\n", null], "b": {}} "#).unwrap(), Json::Obj(vec![
        ("a".into(), Json::Arr(vec![Json::Str("xé😀\n".into()), Json::Null])),
        ("b".into(), Json::Obj(vec![])),
    ]));
    for bad in [r#"{"a": 1}"#, r#"{"a": true}"#, r#"{"a": "x", "a": "y"}"#, r#"{"a": "\ud800"}"#, "\"a\u{1}\"", r#"{"a": "x"} x"#, r#"{"a" "x"}"#, "[", ""] {
        assert_eq!(Json::parse(bad).unwrap_err().param(), "text", "{bad:?}");
    }
    let deep = "[".repeat(20) + &"]".repeat(20);
    assert_eq!(Json::parse(&deep).unwrap_err().code(), ErrorCode::LimitExceeded);
    // A plain-JSON message with an unknown key is refused naming it.
    let m = generate(Format::PlainJson, &instruction()).unwrap();
    let extra = m.text.replacen("{\n", "{\n  \"extra\": \"x\",\n", 1);
    assert!(parse(Format::PlainJson, &extra).unwrap_err().message().contains("extra"));
}
