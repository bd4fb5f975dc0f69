//! The transfer instruction and the format adapters: one [`Instruction`] in, one message in
//! provider B's format out, with the list of what did not survive ([`Loss`]); and the way back
//! ([`parse`]), so a round trip gives the instruction again, or exactly the reported losses.
//!
//! # The instruction
//!
//! | field | rule (checked by [`check_instruction`], which also normalises) |
//! |---|---|
//! | `messageId`, `endToEndId` | 1..=35 of `[A-Za-z0-9.-]`, not starting with `.` or `-` (ids are machine data: refused, never rewritten) |
//! | `createdAt` | `YYYY-MM-DDThh:mm:ssZ`, a real UTC date and time |
//! | `executionDate` | `YYYY-MM-DD`, a real date |
//! | `amount`, `currency` | a positive amount in the currency (`money`'s strict grammar), written in its canonical form (`"10.5"` EUR becomes `"10.50"`); the currency has at most 4 minor units and the amount at most 18 digits (what every format here carries) |
//! | `initiator` | who initiated the transfer: 1..=140 characters, no control characters |
//! | `debtor`, `creditor` | a [`Party`]: `name` 1..=140 characters (no control characters); `account` 1..=128 printable characters without spaces, an IBAN read in its electronic form, a phone number in E.164, an e-mail with its domain lower-cased; `bic` an ISO 9362 BIC (upper-cased); `provider` a provider id (1..=32 of `[A-Za-z0-9._-]`) |
//! | `remittance` | optional, 1..=512 characters, no control characters |
//!
//! # Formats and what each drops or changes
//!
//! | format | names | remittance | initiator | `provider` | `bic` | account |
//! |---|---|---|---|---|---|---|
//! | `pain.001.001.09` (SEPA customer credit transfer initiation) | SEPA Latin set, 70 | SEPA Latin set, 140 (`Ustrd`) | `InitgPty/Nm`, SEPA Latin set, 70 | dropped (ISO 20022 names an agent by BIC) | `BICFI` (absent: `Othr/Id` `NOTPROVIDED`) | `IBAN`, else `Othr/Id` (SEPA Latin set, 34) |
//! | `pacs.008.001.08` (FI to FI customer credit transfer) | any XML character, 140 | 140 | `InitgPty/Nm`, 140 | dropped | as pain.001 | `IBAN`, else `Othr/Id` (34) |
//! | `fspiop-quote` (Mojaloop `POST /quotes` body) | `PartyName` set, 128 | `note`, 128 | extension `initiator`, 128 | `fspId` | extensions `payerBic`, `payeeBic` | `IBAN`, `MSISDN` (digits), `EMAIL`, else `ACCOUNT_ID` |
//! | `plain-json` (this system's own JSON) | lossless | lossless | lossless | lossless | lossless | lossless |
//!
//! Ids, dates and the amount go through every format unchanged (the FSPIOP body writes the
//! amount without trailing zeros, `"10.5"`, and the ids in extensions; its `quoteId` and
//! `transactionId` are UUIDs derived from the ids: the first 16 bytes of
//! SHA-256(`countersign.transfer.quote:` + messageId) and of (`…transaction:` + endToEndId), with
//! the version nibble 8 and the RFC 9562 variant bits).
//!
//! # Parsing
//!
//! [`parse`] reads exactly the subset [`generate`] writes: an element, key or extension outside
//! the mapping, a duplicate, a missing field, a wrong namespace, more than one transaction or an
//! id that does not match its derived UUID is the error `INVALID_ARGUMENT` about `text`, naming
//! what. A message is at most [`MESSAGE_BYTES_MAX`] bytes, XML at most [`XML_DEPTH_MAX`] deep
//! with at most [`XML_ELEMENTS_MAX`] elements.

use serde::{Deserialize, Serialize};

use super::charset::{dropped, fit, Charset, Loss};
use super::json::{obj, s as js, Fields, Json};
use super::validate::{check_bic, check_iban, e164, email, IbanCode};
use crate::error::{Error, ErrorCode, Result};
use crate::money::{Amount, Currency};

/// The largest message [`parse`] reads, bytes.
pub const MESSAGE_BYTES_MAX: usize = 65_536;
/// The deepest XML element nesting [`parse`] reads.
pub const XML_DEPTH_MAX: usize = 16;
/// The most XML elements [`parse`] reads.
pub const XML_ELEMENTS_MAX: usize = 256;
/// Characters of a party's account identifier.
pub const ACCOUNT_CHARS_MAX: usize = 128;
/// Characters of a name or the initiator.
pub const NAME_CHARS_MAX: usize = 140;
/// Characters of the remittance information.
pub const REMITTANCE_CHARS_MAX: usize = 512;

crate::limits::outcome_codes! {
    /// A message format provider B reads.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferFormat"))]
    pub enum Format {
        /// ISO 20022 pain.001.001.09, with the SEPA character set and lengths.
        Pain001 = "pain.001.001.09",
        /// ISO 20022 pacs.008.001.08.
        Pacs008 = "pacs.008.001.08",
        /// A Mojaloop FSPIOP quote request (`POST /quotes`) body.
        FspiopQuote = "fspiop-quote",
        /// This system's own JSON: the instruction as it is.
        PlainJson = "plain-json",
    }
}

/// A party to the transfer.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferParty"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Party {
    /// The account holder's name.
    pub name: String,
    /// The account identifier (IBAN, phone, e-mail, card or other account number).
    pub account: String,
    /// The account's bank (BIC), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
    /// The provider holding the account (the resolver's answer), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// A transfer from the debtor's account at provider A to the creditor's at provider B.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferInstruction"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Instruction {
    /// The message's id.
    pub message_id: String,
    /// The end-to-end id (travels unchanged to the creditor).
    pub end_to_end_id: String,
    /// When the instruction was made, UTC (`YYYY-MM-DDThh:mm:ssZ`; the host's clock).
    pub created_at: String,
    /// The requested execution (settlement) date.
    pub execution_date: String,
    /// The amount, a decimal string.
    pub amount: String,
    /// Its currency (ISO 4217).
    pub currency: String,
    /// Who initiated it.
    pub initiator: String,
    /// The payer.
    pub debtor: Party,
    /// The payee.
    pub creditor: Party,
    /// Unstructured remittance information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remittance: Option<String>,
}

/// A generated message.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferMessage"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Its format.
    pub format: Format,
    /// The message text (XML or JSON).
    pub text: String,
    /// What did not survive, in field order (empty: lossless).
    pub losses: Vec<Loss>,
}

fn bad(field: &str, message: impl Into<String>) -> Error {
    Error::at_path(ErrorCode::InvalidArgument, format!("instruction.{field}"), message)
}

fn id_ok(s: &str) -> bool {
    (1..=35).contains(&s.len())
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        && !s.starts_with(['.', '-'])
}

fn text_ok(s: &str, max: usize) -> bool {
    let n = s.chars().count();
    (1..=max).contains(&n) && !s.chars().any(char::is_control)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn number(s: &str, r: core::ops::Range<usize>) -> Option<u32> {
    let part = s.get(r)?;
    part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
}

/// `YYYY-MM-DD`, a real date (years 1000..=9999).
pub fn date_ok(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    match (number(s, 0..4), number(s, 5..7), number(s, 8..10)) {
        (Some(y), Some(m), Some(d)) => y >= 1000 && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m),
        _ => false,
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`, a real UTC date and time (no leap second).
pub fn date_time_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && date_ok(s.get(0..10).unwrap_or(""))
        && b.get(10) == Some(&b'T')
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':')
        && b.get(19) == Some(&b'Z')
        && number(s, 11..13).is_some_and(|h| h < 24)
        && number(s, 14..16).is_some_and(|m| m < 60)
        && number(s, 17..19).is_some_and(|x| x < 60)
}

/// An account identifier in its normal form (see the instruction table).
fn normal_account(s: &str) -> String {
    let iban = check_iban(s);
    if iban.code == IbanCode::Valid {
        return iban.electronic.unwrap_or_default();
    }
    e164(s).or_else(|| email(s)).unwrap_or_else(|| s.to_owned())
}

fn check_party(p: &Party, at: &str) -> Result<Party> {
    if !text_ok(&p.name, NAME_CHARS_MAX) {
        return Err(bad(&format!("{at}.name"), format!("must be 1..={NAME_CHARS_MAX} characters without control characters")));
    }
    // Normalised first: an IBAN's print form and a phone number's spaces are not refused.
    let account = normal_account(&p.account);
    let n = account.chars().count();
    if !(1..=ACCOUNT_CHARS_MAX).contains(&n) || account.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad(&format!("{at}.account"), format!("must be 1..={ACCOUNT_CHARS_MAX} printable characters without spaces")));
    }
    let bic = match &p.bic {
        None => None,
        Some(b) => Some(check_bic(b).bic.ok_or_else(|| bad(&format!("{at}.bic"), "must be an ISO 9362 BIC (8 or 11 letters and digits)"))?),
    };
    if let Some(pr) = &p.provider {
        if !(1..=32).contains(&pr.len()) || !pr.bytes().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c)) {
            return Err(bad(&format!("{at}.provider"), "must be 1..=32 of [A-Za-z0-9._-]"));
        }
    }
    Ok(Party { name: p.name.clone(), account, bic, provider: p.provider.clone() })
}

/// Checks an instruction by the table above and returns it normalised. Errors
/// (`INVALID_ARGUMENT`, `AMOUNT_*`, `CURRENCY_UNKNOWN`) name the field (`instruction.debtor.bic`).
pub fn check_instruction(i: &Instruction) -> Result<Instruction> {
    if !id_ok(&i.message_id) {
        return Err(bad("messageId", "must be 1..=35 of [A-Za-z0-9.-], not starting with '.' or '-'"));
    }
    if !id_ok(&i.end_to_end_id) {
        return Err(bad("endToEndId", "must be 1..=35 of [A-Za-z0-9.-], not starting with '.' or '-'"));
    }
    if !date_time_ok(&i.created_at) {
        return Err(bad("createdAt", "must be a UTC date and time YYYY-MM-DDThh:mm:ssZ"));
    }
    if !date_ok(&i.execution_date) {
        return Err(bad("executionDate", "must be a date YYYY-MM-DD"));
    }
    let currency = Currency::from_code(&i.currency).map_err(|e| e.at("instruction"))?;
    if currency.minor_units() > 4 {
        return Err(bad("currency", "has more than 4 minor units, which the formats do not carry"));
    }
    let amount = Amount::parse(&i.amount, currency, None).map_err(|e| e.at("instruction"))?;
    if amount.is_zero() || amount.is_negative() {
        return Err(bad("amount", "must be positive"));
    }
    let text = amount.to_string();
    if text.bytes().filter(u8::is_ascii_digit).count() > 18 {
        return Err(bad("amount", "has more than 18 digits, which ISO 20022 does not carry"));
    }
    if !text_ok(&i.initiator, NAME_CHARS_MAX) {
        return Err(bad("initiator", format!("must be 1..={NAME_CHARS_MAX} characters without control characters")));
    }
    let debtor = check_party(&i.debtor, "debtor")?;
    let creditor = check_party(&i.creditor, "creditor")?;
    if let Some(r) = &i.remittance {
        if !text_ok(r, REMITTANCE_CHARS_MAX) {
            return Err(bad("remittance", format!("must be 1..={REMITTANCE_CHARS_MAX} characters without control characters")));
        }
    }
    Ok(Instruction {
        message_id: i.message_id.clone(),
        end_to_end_id: i.end_to_end_id.clone(),
        created_at: i.created_at.clone(),
        execution_date: i.execution_date.clone(),
        amount: text,
        currency: currency.code().to_owned(),
        initiator: i.initiator.clone(),
        debtor,
        creditor,
        remittance: i.remittance.clone(),
    })
}

/// Generates the message for `format` from `instruction` (checked and normalised first by
/// [`check_instruction`]), with its losses.
pub fn generate(format: Format, instruction: &Instruction) -> Result<Message> {
    let i = check_instruction(instruction)?;
    let mut losses = Vec::new();
    let text = match format {
        Format::Pain001 => super::iso20022::pain001(&i, &mut losses),
        Format::Pacs008 => super::iso20022::pacs008(&i, &mut losses),
        Format::FspiopQuote => super::fspiop::quote(&i, &mut losses),
        Format::PlainJson => plain_json(&i).to_pretty(),
    };
    Ok(Message { format, text, losses })
}

/// Reads a message of `format` back into an instruction (see *Parsing*).
pub fn parse(format: Format, text: &str) -> Result<Instruction> {
    if text.len() > MESSAGE_BYTES_MAX {
        return Err(Error::new(ErrorCode::LimitExceeded, "text", format!("a message is at most {MESSAGE_BYTES_MAX} bytes")));
    }
    let i = match format {
        Format::Pain001 | Format::Pacs008 => super::iso20022::parse(format, text)?,
        Format::FspiopQuote => super::fspiop::parse(text)?,
        Format::PlainJson => read_plain_json(text)?,
    };
    // A message says what it says; an instruction the checks refuse is refused about `text`.
    check_instruction(&i).map_err(|e| Error::new(e.code(), "text", format!("{}: {}", e.param(), e.message())))
}

fn plain_party(p: &Party) -> Json {
    let mut f = vec![("name", js(&p.name)), ("account", js(&p.account))];
    if let Some(b) = &p.bic {
        f.push(("bic", js(b)));
    }
    if let Some(pr) = &p.provider {
        f.push(("provider", js(pr)));
    }
    obj(f)
}

/// The instruction as JSON, fields in declaration order, absent options left out.
fn plain_json(i: &Instruction) -> Json {
    let mut f = vec![
        ("messageId", js(&i.message_id)),
        ("endToEndId", js(&i.end_to_end_id)),
        ("createdAt", js(&i.created_at)),
        ("executionDate", js(&i.execution_date)),
        ("amount", js(&i.amount)),
        ("currency", js(&i.currency)),
        ("initiator", js(&i.initiator)),
        ("debtor", plain_party(&i.debtor)),
        ("creditor", plain_party(&i.creditor)),
    ];
    if let Some(r) = &i.remittance {
        f.push(("remittance", js(r)));
    }
    obj(f)
}

fn read_plain_party(mut p: Fields) -> Result<Party> {
    let party = Party { name: p.string("name")?, account: p.string("account")?, bic: p.opt_string("bic")?, provider: p.opt_string("provider")? };
    p.done()?;
    Ok(party)
}

fn read_plain_json(text: &str) -> Result<Instruction> {
    let mut f = Fields::of(Json::parse(text)?, "")?;
    let i = Instruction {
        message_id: f.string("messageId")?,
        end_to_end_id: f.string("endToEndId")?,
        created_at: f.string("createdAt")?,
        execution_date: f.string("executionDate")?,
        amount: f.string("amount")?,
        currency: f.string("currency")?,
        initiator: f.string("initiator")?,
        debtor: read_plain_party(f.object("debtor")?)?,
        creditor: read_plain_party(f.object("creditor")?)?,
        remittance: f.opt_string("remittance")?,
    };
    f.done()?;
    Ok(i)
}

/// The instruction a message of a format carries once its losses are applied: each loss's field
/// takes its delivered value (`None` when dropped). What a round trip must give back.
pub fn with_losses(instruction: &Instruction, losses: &[Loss]) -> Instruction {
    let mut i = instruction.clone();
    for l in losses {
        let v = l.delivered.clone();
        match l.field.as_str() {
            "initiator" => i.initiator = v.unwrap_or_default(),
            "remittance" => i.remittance = v,
            "debtor.name" => i.debtor.name = v.unwrap_or_default(),
            "creditor.name" => i.creditor.name = v.unwrap_or_default(),
            "debtor.account" => i.debtor.account = v.unwrap_or_default(),
            "creditor.account" => i.creditor.account = v.unwrap_or_default(),
            "debtor.provider" => i.debtor.provider = v,
            "creditor.provider" => i.creditor.provider = v,
            "debtor.bic" => i.debtor.bic = v,
            "creditor.bic" => i.creditor.bic = v,
            _ => {}
        }
    }
    i
}

/// Fits a free-text field (see [`super::charset`]).
pub(super) fn fit_text(value: &str, field: &str, charset: Charset, max: usize, losses: &mut Vec<Loss>) -> String {
    fit(value, field, charset, max, losses)
}

/// Records a field the format has no place for.
pub(super) fn drop_field(value: &str, field: &str, reason: &str, losses: &mut Vec<Loss>) {
    dropped(value, field, reason, losses);
}
