//! The resolver chain: which provider B holds an account, at which endpoint, in which message
//! format — from rules the host supplies as data, with the rule that matched and a trace that
//! explains the answer.
//!
//! # Classification (first that applies)
//!
//! | the identifier | kind | validated by |
//! |---|---|---|
//! | starts with `$` | `pointer` (Open Payments payment pointer) | [`payment_pointer_url`]: read as its `https://` URL |
//! | contains `@` | `email` | [`email`] (domain lower-cased) |
//! | starts with `+` | `phone` | [`e164`] |
//! | starts with an ILP scheme and a `.` (`g.`, `test.` …) | `ilp` | [`ilp_address`] |
//! | two letters then two digits (spaces removed) | `iban` | [`check_iban`] |
//! | 9 digits (spaces, hyphens removed) | `aba` (US routing number) | [`check_aba`] |
//! | 12..=19 digits (spaces, hyphens removed) | `card` | Luhn ([`luhn`]) |
//! | anything else | — | outcome `unrecognised` |
//!
//! # Rules and their specificity
//!
//! | rule `kind` | matches when | specificity (higher wins) |
//! |---|---|---|
//! | `iban` | the IBAN's `country`, and its registry bank code equals `bankCode` if the rule has one | 2 with a bank code, 1 without |
//! | `card` | the first `binFrom.length` digits are within `binFrom..=binTo` (both the same length, 1..=11 digits) | the narrower share of card numbers: `(binTo − binFrom + 1) · 10^(11 − length)` smaller wins (`45`–`45` beats `400000`–`499999`) |
//! | `aba` | the routing number equals `routing` | 1 |
//! | `ilp` | the address equals `prefix` or starts with `prefix` + `.` (longest-prefix routing) | the prefix length |
//! | `pointer` | the pointer's URL equals `prefix`, starts with it where it ends in `/`, or starts with `prefix` + `/` | the prefix length |
//!
//! Of the rules that match, those of the highest specificity decide: one provider among them →
//! `resolved` (the first of them in table order is the rule reported); several providers →
//! `ambiguous` (the candidates are listed, nothing is chosen); no rule → `unknown`. A phone
//! number or e-mail is an alias: the core answers `needs-lookup` with the alias to look up in
//! the host's directory (Mojaloop's oracles; the SDK's `TransferResolver` does it, async, with
//! a timeout and a cache) and takes the answer back through [`Resolver::resolve_alias`]:
//! `resolved` when the directory names a provider of the table, `not-found` when it names none,
//! `unknown` when it names a provider the table does not have.
//!
//! # Outcomes
//!
//! | code | meaning |
//! |---|---|
//! | `resolved` | one provider: its id, endpoint and format, the rule, and what the rule adds (BIC, card network and issuer) |
//! | `needs-lookup` | an alias: look it up in the directory and call back |
//! | `not-found` | the directory does not know the alias |
//! | `unknown` | no rule matches (or the directory named a provider not in the table) |
//! | `ambiguous` | rules of equal specificity name different providers |
//! | `invalid` | the identifier is of a known kind but fails its check (`invalid` holds the check's code) |
//! | `unrecognised` | not any kind of identifier this resolver reads |
//! | `directory-unavailable` | the SDK's: the host's directory failed or timed out (nothing cached) |
//!
//! # Limits
//!
//! | name | value | unit |
//! |---|---:|---|
//! | [`RULES_MAX`] | 4,096 | rules in a table |
//! | [`PROVIDERS_MAX`] | 1,024 | providers in a table |
//! | [`ID_CHARS_MAX`] | 32 | characters of a rule or provider id (`[A-Za-z0-9._-]`, as Mojaloop's `FspId`) |
//! | [`ENDPOINT_CHARS_MAX`] | 256 | characters of an endpoint URL (`http://` or `https://`) |
//! | [`IDENTIFIER_CHARS_MAX`] | 256 | characters of an identifier |

use serde::{Deserialize, Serialize};

use super::format::Format;
use super::validate::{check_aba, check_bic, check_iban, e164, email, ilp_address, luhn, payment_pointer_url, AbaCode, IbanCode, IDENTIFIER_CHARS_MAX, ILP_SCHEMES};
use crate::error::{Error, ErrorCode, Result};

/// Rules in one table.
pub const RULES_MAX: usize = 4_096;
/// Providers in one table.
pub const PROVIDERS_MAX: usize = 1_024;
/// Characters of a rule or provider id.
pub const ID_CHARS_MAX: usize = 32;
/// Characters of an endpoint URL.
pub const ENDPOINT_CHARS_MAX: usize = 256;
/// Digits of a BIN range bound.
pub const BIN_DIGITS_MAX: usize = 11;

/// A provider B: where its messages go and which format it reads.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferProvider"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provider {
    /// Id (1..=32 of `[A-Za-z0-9._-]`).
    pub id: String,
    /// Its endpoint, an `http://` or `https://` URL.
    pub endpoint: String,
    /// The message format it reads.
    pub format: Format,
}

crate::limits::outcome_codes! {
    /// What a rule matches on.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferRuleKind"))]
    pub enum RuleKind {
        /// An IBAN's country and bank code.
        Iban = "iban",
        /// A card number's BIN range.
        Card = "card",
        /// A US routing number.
        Aba = "aba",
        /// An Interledger address prefix.
        Ilp = "ilp",
        /// A payment pointer's URL prefix.
        Pointer = "pointer",
    }
}

/// One rule of the table. Each kind reads its own fields and refuses the others.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferRule"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Id (1..=32 of `[A-Za-z0-9._-]`), unique in the table.
    pub id: String,
    /// What it matches on.
    pub kind: RuleKind,
    /// The provider it names (an id of the table's providers).
    pub provider: String,
    /// `iban`: the country (two letters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `iban`: the registry bank code (absent: the whole country).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    /// `iban`: the BIC the provider's messages carry for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
    /// `card`: the range's low bound (1..=11 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_from: Option<String>,
    /// `card`: the range's high bound (as many digits as `binFrom`, not below it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_to: Option<String>,
    /// `card`: the network (`visa`, `mastercard` …; 1..=32 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// `card`: the issuer (1..=64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// `aba`: the routing number (valid by [`check_aba`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<String>,
    /// `ilp`: an address prefix (a valid ILP address); `pointer`: an `https://` URL prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// The host's table.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferRules"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rules {
    /// The providers (0..=[`PROVIDERS_MAX`]).
    pub providers: Vec<Provider>,
    /// The rules (0..=[`RULES_MAX`]), in table order.
    pub rules: Vec<Rule>,
}

crate::limits::outcome_codes! {
    /// The kind of an identifier (see the classification table).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferIdentifierKind"))]
    pub enum IdentifierKind {
        /// An IBAN.
        Iban = "iban",
        /// A card number.
        Card = "card",
        /// A US ABA routing number.
        Aba = "aba",
        /// An E.164 phone number (an alias).
        Phone = "phone",
        /// An e-mail address (an alias).
        Email = "email",
        /// An Open Payments payment pointer.
        Pointer = "pointer",
        /// An Interledger address.
        Ilp = "ilp",
    }
}

crate::limits::outcome_codes! {
    /// The outcome of a resolution (see the module's table).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferResolveCode"))]
    pub enum ResolveCode {
        /// One provider.
        Resolved = "resolved",
        /// An alias to look up in the host's directory.
        NeedsLookup = "needs-lookup",
        /// The directory does not know the alias.
        NotFound = "not-found",
        /// No rule matches.
        Unknown = "unknown",
        /// Rules of equal specificity name different providers.
        Ambiguous = "ambiguous",
        /// The identifier fails its kind's check.
        Invalid = "invalid",
        /// Not an identifier this resolver reads.
        Unrecognised = "unrecognised",
        /// The host's directory failed or did not answer in time (made by the SDK's
        /// `TransferResolver` from a `needs-lookup` answer; the core never returns it).
        DirectoryUnavailable = "directory-unavailable",
    }
}

/// An alias the host's directory must answer.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferLookup"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lookup {
    /// `phone` or `email`.
    pub kind: IdentifierKind,
    /// The normalised alias (`+` and digits; an e-mail with its domain lower-cased).
    pub alias: String,
}

/// The directory's answer to a [`Lookup`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferDirectoryAnswer"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectoryAnswer {
    /// The alias asked about (must equal the lookup's).
    pub alias: String,
    /// The provider holding it, or `null` when the directory does not know it.
    pub provider: Option<String>,
}

/// A resolver's answer.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferResolution"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// The outcome.
    pub code: ResolveCode,
    /// The identifier's kind (`None`: unrecognised).
    pub kind: Option<IdentifierKind>,
    /// The identifier as read (normalised: an IBAN's electronic form, a pointer's URL …).
    pub identifier: String,
    /// `invalid`: the failed check's code (`iban-checksum`, `aba-prefix`, `luhn`, `format` …).
    pub invalid: Option<String>,
    /// The rule that decided (`directory` for an alias).
    pub rule: Option<String>,
    /// `ambiguous`: the rules of the highest specificity.
    pub candidates: Vec<String>,
    /// `resolved`: the provider.
    pub provider: Option<String>,
    /// `resolved`: its endpoint.
    pub endpoint: Option<String>,
    /// `resolved`: the format it reads.
    pub format: Option<Format>,
    /// An IBAN rule's BIC.
    pub bic: Option<String>,
    /// A card rule's network.
    pub network: Option<String>,
    /// A card rule's issuer.
    pub issuer: Option<String>,
    /// `needs-lookup`: what to look up.
    pub lookup: Option<Lookup>,
    /// How the answer was reached, one line per step.
    pub trace: Vec<String>,
}

/// A table checked once, ready to resolve.
#[derive(Debug, Clone)]
pub struct Resolver {
    rules: Rules,
}

fn invalid(path: String, message: impl Into<String>) -> Error {
    Error::at_path(ErrorCode::InvalidArgument, path, message)
}

fn id_ok(s: &str) -> bool {
    (1..=ID_CHARS_MAX).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c))
}

impl Resolver {
    /// Checks the table: limits, ids well-formed and unique, every rule's provider known, each
    /// kind's own fields present and valid and no other kind's fields. Errors name the path
    /// (`rules.rules[3].binTo`).
    pub fn new(rules: Rules) -> Result<Resolver> {
        if rules.providers.len() > PROVIDERS_MAX {
            return Err(Error::at_path(ErrorCode::LimitExceeded, "rules.providers".into(), format!("at most {PROVIDERS_MAX} providers")));
        }
        if rules.rules.len() > RULES_MAX {
            return Err(Error::at_path(ErrorCode::LimitExceeded, "rules.rules".into(), format!("at most {RULES_MAX} rules")));
        }
        let mut provider_ids: Vec<&str> = Vec::with_capacity(rules.providers.len());
        for (i, p) in rules.providers.iter().enumerate() {
            let at = |f: &str| format!("rules.providers[{i}].{f}");
            if !id_ok(&p.id) {
                return Err(invalid(at("id"), "must be 1..=32 of [A-Za-z0-9._-]"));
            }
            if provider_ids.contains(&p.id.as_str()) {
                return Err(invalid(at("id"), format!("duplicate provider {:?}", p.id)));
            }
            let scheme_ok = p.endpoint.strip_prefix("https://").or_else(|| p.endpoint.strip_prefix("http://")).is_some_and(|r| !r.is_empty());
            if p.endpoint.len() > ENDPOINT_CHARS_MAX || !scheme_ok || p.endpoint.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(invalid(at("endpoint"), "must be an http:// or https:// URL of at most 256 characters, without spaces"));
            }
            provider_ids.push(&p.id);
        }
        let mut rule_ids: Vec<&str> = Vec::with_capacity(rules.rules.len());
        for (i, r) in rules.rules.iter().enumerate() {
            let at = |f: &str| format!("rules.rules[{i}].{f}");
            if !id_ok(&r.id) || r.id == "directory" {
                return Err(invalid(at("id"), "must be 1..=32 of [A-Za-z0-9._-] and not \"directory\""));
            }
            if rule_ids.contains(&r.id.as_str()) {
                return Err(invalid(at("id"), format!("duplicate rule {:?}", r.id)));
            }
            rule_ids.push(&r.id);
            if !provider_ids.contains(&r.provider.as_str()) {
                return Err(invalid(at("provider"), format!("no provider {:?} in the table", r.provider)));
            }
            check_rule_fields(r, &at)?;
        }
        Ok(Resolver { rules })
    }

    /// The table.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    fn provider(&self, id: &str) -> Option<&Provider> {
        self.rules.providers.iter().find(|p| p.id == id)
    }

    /// Resolves an identifier (see the module's tables). Never an error: every answer is an
    /// outcome with its trace.
    pub fn resolve(&self, identifier: &str) -> Resolution {
        let mut r = Resolution {
            code: ResolveCode::Unrecognised,
            kind: None,
            identifier: identifier.to_owned(),
            invalid: None,
            rule: None,
            candidates: Vec::new(),
            provider: None,
            endpoint: None,
            format: None,
            bic: None,
            network: None,
            issuer: None,
            lookup: None,
            trace: Vec::new(),
        };
        if identifier.chars().count() > IDENTIFIER_CHARS_MAX {
            r.identifier = identifier.chars().take(IDENTIFIER_CHARS_MAX).collect();
            r.trace.push(format!("classify: longer than {IDENTIFIER_CHARS_MAX} characters, not read"));
            return r;
        }
        let Some(kind) = classify(identifier) else {
            r.trace.push("classify: not an IBAN, card, routing number, phone, e-mail, payment pointer or ILP address".into());
            return r;
        };
        r.kind = Some(kind);
        r.trace.push(format!("classify: {kind}"));
        let compact: String = identifier.chars().filter(|c| *c != ' ' && *c != '-').collect();
        // The identifier as read, and the matching rules with their specificity.
        let matched: Vec<(&Rule, (u32, u64))> = match kind {
            IdentifierKind::Iban => {
                let check = check_iban(identifier);
                if let Some(e) = &check.electronic {
                    r.identifier = e.clone();
                }
                if check.code != IbanCode::Valid {
                    return invalid_outcome(r, check.code.as_str());
                }
                let country = check.country.clone().unwrap_or_default();
                let bank = check.bank_code.clone();
                r.trace.push(format!(
                    "iban: valid, country {country}, bank code {}, national check digits {}",
                    bank.as_deref().unwrap_or("none"),
                    check.national_check
                ));
                self.matching(RuleKind::Iban, |rule| {
                    let country_ok = rule.country.as_deref() == Some(country.as_str());
                    match &rule.bank_code {
                        None => country_ok.then_some((1, 0)),
                        Some(b) => (country_ok && bank.as_deref() == Some(b.as_str())).then_some((2, 0)),
                    }
                })
            }
            IdentifierKind::Card => {
                r.identifier = compact.clone();
                if !luhn(&compact) {
                    return invalid_outcome(r, "luhn");
                }
                r.trace.push(format!("card: {} digits, Luhn check passes", compact.len()));
                self.matching(RuleKind::Card, |rule| {
                    let (from, to) = (rule.bin_from.as_deref()?, rule.bin_to.as_deref()?);
                    let head = compact.get(..from.len())?;
                    // The share of card numbers the range covers, as a count of 11-digit BINs:
                    // the narrower range is the more specific, whatever its length.
                    let width = to.parse::<u64>().ok()?.saturating_sub(from.parse::<u64>().ok()?).saturating_add(1);
                    let scale = 10u64.checked_pow(u32::try_from(BIN_DIGITS_MAX.saturating_sub(from.len())).ok()?)?;
                    (from <= head && head <= to).then_some((0, u64::MAX - width.saturating_mul(scale)))
                })
            }
            IdentifierKind::Aba => {
                r.identifier = compact.clone();
                let code = check_aba(&compact);
                if code != AbaCode::Valid {
                    return invalid_outcome(r, code.as_str());
                }
                r.trace.push("aba: valid routing number".into());
                self.matching(RuleKind::Aba, |rule| (rule.routing.as_deref() == Some(compact.as_str())).then_some((1, 0)))
            }
            IdentifierKind::Ilp => {
                if !ilp_address(identifier) {
                    return invalid_outcome(r, "ilp-format");
                }
                r.trace.push("ilp: valid address".into());
                self.matching(RuleKind::Ilp, |rule| {
                    let p = rule.prefix.as_deref()?;
                    let hit = identifier == p || identifier.strip_prefix(p).is_some_and(|rest| rest.starts_with('.'));
                    hit.then(|| (u32::try_from(p.len()).unwrap_or(0), 0))
                })
            }
            IdentifierKind::Pointer => {
                let Some(url) = payment_pointer_url(identifier) else {
                    return invalid_outcome(r, "pointer-format");
                };
                r.trace.push(format!("pointer: {url}"));
                r.identifier = url.clone();
                self.matching(RuleKind::Pointer, |rule| {
                    let p = rule.prefix.as_deref()?;
                    let hit = url == p || (p.ends_with('/') && url.starts_with(p)) || url.strip_prefix(p).is_some_and(|rest| rest.starts_with('/'));
                    hit.then(|| (u32::try_from(p.len()).unwrap_or(0), 0))
                })
            }
            IdentifierKind::Phone | IdentifierKind::Email => {
                let alias = if kind == IdentifierKind::Phone { e164(identifier) } else { email(identifier) };
                let Some(alias) = alias else {
                    return invalid_outcome(r, if kind == IdentifierKind::Phone { "e164-format" } else { "email-format" });
                };
                r.identifier = alias.clone();
                r.trace.push(format!("{kind}: an alias, to be looked up in the directory"));
                r.code = ResolveCode::NeedsLookup;
                r.lookup = Some(Lookup { kind, alias });
                return r;
            }
        };
        self.decide(r, kind, &matched)
    }

    /// The rules of `kind` that match, each with its specificity.
    fn matching(&self, kind: RuleKind, f: impl Fn(&Rule) -> Option<(u32, u64)>) -> Vec<(&Rule, (u32, u64))> {
        self.rules.rules.iter().filter(|rule| rule.kind == kind).filter_map(|rule| f(rule).map(|s| (rule, s))).collect()
    }

    fn decide(&self, mut r: Resolution, kind: IdentifierKind, matched: &[(&Rule, (u32, u64))]) -> Resolution {
        let of_kind = self.rules.rules.iter().filter(|rule| rule.kind.as_str() == kind.as_str()).count();
        let ids: Vec<&str> = matched.iter().map(|(rule, _)| rule.id.as_str()).collect();
        r.trace.push(format!("rules: {} of {of_kind} {kind} rules match ({})", matched.len(), ids.join(", ")));
        let Some(top) = matched.iter().map(|(_, s)| *s).max() else {
            r.code = ResolveCode::Unknown;
            r.trace.push("unknown: no rule matches".into());
            return r;
        };
        let best: Vec<&Rule> = matched.iter().filter(|(_, s)| *s == top).map(|(rule, _)| *rule).collect();
        let Some(first) = best.first() else { return r };
        if best.iter().any(|rule| rule.provider != first.provider) {
            r.code = ResolveCode::Ambiguous;
            r.candidates = best.iter().map(|rule| rule.id.clone()).collect();
            r.trace.push(format!("ambiguous: {} name different providers at the same specificity", r.candidates.join(", ")));
            return r;
        }
        r.trace.push(format!("rule {}: the most specific match", first.id));
        r.rule = Some(first.id.clone());
        r.bic = first.bic.clone();
        r.network = first.network.clone();
        r.issuer = first.issuer.clone();
        self.resolved(r, &first.provider)
    }

    fn resolved(&self, mut r: Resolution, provider: &str) -> Resolution {
        match self.provider(provider) {
            Some(p) => {
                r.code = ResolveCode::Resolved;
                r.provider = Some(p.id.clone());
                r.endpoint = Some(p.endpoint.clone());
                r.format = Some(p.format);
                r.trace.push(format!("provider {} at {} reads {}", p.id, p.endpoint, p.format));
            }
            None => {
                r.code = ResolveCode::Unknown;
                r.trace.push(format!("unknown: provider {provider} is not in the table"));
            }
        }
        r
    }

    /// Completes an alias's resolution with the directory's answer. Errors (`INVALID_ARGUMENT`)
    /// when the identifier is not an alias or the answer is about another alias.
    pub fn resolve_alias(&self, identifier: &str, answer: &DirectoryAnswer) -> Result<Resolution> {
        let mut r = self.resolve(identifier);
        let Some(lookup) = r.lookup.clone() else {
            return Err(Error::new(ErrorCode::InvalidArgument, "identifier", "is not an alias (a phone number or e-mail) that needs a lookup"));
        };
        if answer.alias != lookup.alias {
            return Err(Error::at_path(ErrorCode::InvalidArgument, "answer.alias".into(), format!("the answer is about {:?}, the lookup about {:?}", answer.alias, lookup.alias)));
        }
        r.lookup = None;
        match &answer.provider {
            None => {
                r.code = ResolveCode::NotFound;
                r.trace.push("directory: the alias is not known".into());
                Ok(r)
            }
            Some(p) => {
                r.trace.push(format!("directory: the alias is held by {p}"));
                r.rule = Some("directory".into());
                Ok(self.resolved(r, p))
            }
        }
    }
}

fn invalid_outcome(mut r: Resolution, code: &str) -> Resolution {
    r.code = ResolveCode::Invalid;
    r.invalid = Some(code.to_owned());
    r.trace.push(format!("invalid: {code}"));
    r
}

/// The identifier's kind by the classification table (the first that applies).
pub fn classify(s: &str) -> Option<IdentifierKind> {
    if s.starts_with('$') {
        return Some(IdentifierKind::Pointer);
    }
    if s.contains('@') {
        return Some(IdentifierKind::Email);
    }
    if s.starts_with('+') {
        return Some(IdentifierKind::Phone);
    }
    if s.split_once('.').is_some_and(|(scheme, _)| ILP_SCHEMES.contains(&scheme)) {
        return Some(IdentifierKind::Ilp);
    }
    let b: Vec<u8> = s.bytes().filter(|c| *c != b' ').collect();
    if b.len() >= 4 && b.iter().take(2).all(u8::is_ascii_alphabetic) && b.iter().skip(2).take(2).all(u8::is_ascii_digit) {
        return Some(IdentifierKind::Iban);
    }
    let digits: Vec<u8> = s.bytes().filter(|c| *c != b' ' && *c != b'-').collect();
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match digits.len() {
        9 => Some(IdentifierKind::Aba),
        12..=19 => Some(IdentifierKind::Card),
        _ => None,
    }
}

/// Each kind's own fields, present and valid; the others absent.
fn check_rule_fields(r: &Rule, at: &dyn Fn(&str) -> String) -> Result<()> {
    let present = [
        ("country", r.country.is_some()),
        ("bankCode", r.bank_code.is_some()),
        ("bic", r.bic.is_some()),
        ("binFrom", r.bin_from.is_some()),
        ("binTo", r.bin_to.is_some()),
        ("network", r.network.is_some()),
        ("issuer", r.issuer.is_some()),
        ("routing", r.routing.is_some()),
        ("prefix", r.prefix.is_some()),
    ];
    let (required, optional): (&[&str], &[&str]) = match r.kind {
        RuleKind::Iban => (&["country"], &["bankCode", "bic"]),
        RuleKind::Card => (&["binFrom", "binTo"], &["network", "issuer"]),
        RuleKind::Aba => (&["routing"], &[]),
        RuleKind::Ilp | RuleKind::Pointer => (&["prefix"], &[]),
    };
    for (name, is) in present {
        if required.contains(&name) && !is {
            return Err(invalid(at(name), format!("a {} rule needs {name}", r.kind)));
        }
        if is && !required.contains(&name) && !optional.contains(&name) {
            return Err(invalid(at(name), format!("a {} rule has no {name}", r.kind)));
        }
    }
    let text_ok = |s: &str, max: usize| (1..=max).contains(&s.chars().count()) && !s.chars().any(char::is_control);
    if let Some(c) = &r.country {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(at("country"), "must be two upper-case letters"));
        }
    }
    if let Some(b) = &r.bank_code {
        if !(1..=12).contains(&b.len()) || !b.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
            return Err(invalid(at("bankCode"), "must be 1..=12 upper-case letters or digits"));
        }
    }
    if let Some(b) = &r.bic {
        if check_bic(b).bic.as_deref() != Some(b.as_str()) {
            return Err(invalid(at("bic"), "must be an upper-case ISO 9362 BIC of 8 or 11 characters"));
        }
    }
    if let (Some(from), Some(to)) = (&r.bin_from, &r.bin_to) {
        let digits = |s: &str| (1..=BIN_DIGITS_MAX).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit());
        if !digits(from) {
            return Err(invalid(at("binFrom"), format!("must be 1..={BIN_DIGITS_MAX} digits")));
        }
        if !digits(to) || to.len() != from.len() || to < from {
            return Err(invalid(at("binTo"), "must be as many digits as binFrom and not below it"));
        }
    }
    if r.network.as_deref().is_some_and(|s| !text_ok(s, 32)) {
        return Err(invalid(at("network"), "must be 1..=32 characters, no control characters"));
    }
    if r.issuer.as_deref().is_some_and(|s| !text_ok(s, 64)) {
        return Err(invalid(at("issuer"), "must be 1..=64 characters, no control characters"));
    }
    if let Some(rt) = &r.routing {
        if rt.len() != 9 || check_aba(rt) != AbaCode::Valid {
            return Err(invalid(at("routing"), "must be a valid nine-digit ABA routing number"));
        }
    }
    if let Some(p) = &r.prefix {
        let ok = match r.kind {
            RuleKind::Ilp => p.len() <= IDENTIFIER_CHARS_MAX && (ilp_address(p) || ILP_SCHEMES.contains(&p.as_str())),
            _ => p.len() <= IDENTIFIER_CHARS_MAX && p.strip_prefix("https://").is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace)),
        };
        if !ok {
            return Err(invalid(at("prefix"), "must be an ILP address (ilp) or an https:// URL (pointer)"));
        }
    }
    Ok(())
}
