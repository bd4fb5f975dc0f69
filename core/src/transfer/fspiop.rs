//! The Mojaloop FSPIOP quote request (`POST /quotes` body): parties by `partyIdInfo`, the
//! amount without trailing zeros, what FSPIOP has no field for in its `extensionList`.

use super::charset::{Charset, Loss};
use super::format::{fit_text, Instruction, Party};
use super::json::{obj, s as js, Fields, Json};
use super::validate::{check_iban, e164, email, IbanCode};
use crate::crypto::sha256;
use crate::error::{Error, ErrorCode, Result};


/// FSPIOP's `Name`, `Note` and `ExtensionValue` are at most 128 characters.
const FSPIOP_TEXT_CHARS_MAX: usize = 128;

/// A UUID (version nibble 8, RFC 9562 variant) from the first 16 bytes of SHA-256(`label` + `id`).
pub fn derived_uuid(label: &str, id: &str) -> String {
    let h = sha256(format!("countersign.transfer.{label}:{id}").as_bytes());
    let mut out = String::with_capacity(36);
    for (i, byte) in h.iter().take(16).enumerate() {
        let b = match i {
            6 => (byte & 0x0f) | 0x80,
            8 => (byte & 0x3f) | 0x80,
            _ => *byte,
        };
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The amount without trailing fraction zeros (FSPIOP's `Amount` pattern).
fn fspiop_amount(a: &str) -> String {
    match a.split_once('.') {
        Some((int, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}") }
        }
        None => a.to_owned(),
    }
}

fn party(p: &Party, at: &str, losses: &mut Vec<Loss>) -> Json {
    let (party_id_type, party_identifier) = if check_iban(&p.account).code == IbanCode::Valid {
        ("IBAN", p.account.clone())
    } else if let Some(n) = e164(&p.account) {
        ("MSISDN", n.trim_start_matches('+').to_owned())
    } else if email(&p.account).is_some() {
        ("EMAIL", p.account.clone())
    } else {
        ("ACCOUNT_ID", p.account.clone())
    };
    let name = fit_text(&p.name, &format!("{at}.name"), Charset::FspiopName, FSPIOP_TEXT_CHARS_MAX, losses);
    let mut id_info = vec![("partyIdType", js(party_id_type)), ("partyIdentifier", Json::Str(party_identifier))];
    if let Some(f) = &p.provider {
        id_info.push(("fspId", js(f)));
    }
    obj(vec![("partyIdInfo", obj(id_info)), ("name", Json::Str(name))])
}

/// The quote request for an instruction (checked and normalised by the caller).
pub(super) fn quote(i: &Instruction, losses: &mut Vec<Loss>) -> String {
    // Losses in the instruction's field order: debtor, creditor, initiator, remittance.
    let payer = party(&i.debtor, "debtor", losses);
    let payee = party(&i.creditor, "creditor", losses);
    let ext = |k: &str, v: &str| obj(vec![("key", js(k)), ("value", js(v))]);
    let mut extension = vec![
        ext("messageId", &i.message_id),
        ext("endToEndId", &i.end_to_end_id),
        ext("createdAt", &i.created_at),
        ext("executionDate", &i.execution_date),
    ];
    // FSPIOP's initiator is PAYER or PAYEE: who initiated goes in an extension, any text.
    let initiator = fit_text(&i.initiator, "initiator", Charset::IsoXml, FSPIOP_TEXT_CHARS_MAX, losses);
    extension.push(ext("initiator", &initiator));
    if let Some(b) = &i.debtor.bic {
        extension.push(ext("payerBic", b));
    }
    if let Some(b) = &i.creditor.bic {
        extension.push(ext("payeeBic", b));
    }
    let mut fields = vec![
        ("quoteId", Json::Str(derived_uuid("quote", &i.message_id))),
        ("transactionId", Json::Str(derived_uuid("transaction", &i.end_to_end_id))),
        ("payee", payee),
        ("payer", payer),
        ("amountType", js("SEND")),
        ("amount", obj(vec![("currency", js(&i.currency)), ("amount", Json::Str(fspiop_amount(&i.amount)))])),
        ("transactionType", obj(vec![("scenario", js("TRANSFER")), ("initiator", js("PAYER")), ("initiatorType", js("CONSUMER"))])),
    ];
    if let Some(r) = &i.remittance {
        fields.push(("note", Json::Str(fit_text(r, "remittance", Charset::IsoXml, FSPIOP_TEXT_CHARS_MAX, losses))));
    }
    fields.push(("extensionList", obj(vec![("extension", Json::Arr(extension))])));
    obj(fields).to_pretty()
}

fn bad_text(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, "text", message)
}

fn read_party(mut p: Fields) -> Result<Party> {
    let mut info = p.object("partyIdInfo")?;
    let kind = info.string("partyIdType")?;
    let identifier = info.string("partyIdentifier")?;
    let provider = info.opt_string("fspId")?;
    info.done()?;
    let account = match kind.as_str() {
        "MSISDN" => format!("+{identifier}"),
        "IBAN" | "EMAIL" | "ACCOUNT_ID" => identifier,
        other => return Err(bad_text(format!("partyIdType {other:?} is not read"))),
    };
    let name = p.string("name")?;
    p.done()?;
    Ok(Party { name, account, bic: None, provider })
}

/// Reads a quote request written by [`quote`].
pub(super) fn parse(text: &str) -> Result<Instruction> {
    let mut q = Fields::of(Json::parse(text)?, "")?;
    let quote_id = q.string("quoteId")?;
    let transaction_id = q.string("transactionId")?;
    let mut debtor = read_party(q.object("payer")?)?;
    let mut creditor = read_party(q.object("payee")?)?;
    let amount_type = q.string("amountType")?;
    let mut money = q.object("amount")?;
    let (currency, amount) = (money.string("currency")?, money.string("amount")?);
    money.done()?;
    let mut tt = q.object("transactionType")?;
    let types = [amount_type, tt.string("scenario")?, tt.string("initiator")?, tt.string("initiatorType")?];
    tt.done()?;
    if types != ["SEND", "TRANSFER", "PAYER", "CONSUMER"] {
        return Err(bad_text("amountType, transactionType must be SEND, TRANSFER, PAYER, CONSUMER"));
    }
    let remittance = q.opt_string("note")?;
    let mut list = q.object("extensionList")?;
    let Some(Json::Arr(extension)) = list.take("extension") else {
        return Err(bad_text("extensionList.extension must be an array"));
    };
    list.done()?;
    q.done()?;
    let mut fields: [Option<String>; 5] = Default::default();
    const KEYS: [&str; 5] = ["messageId", "endToEndId", "createdAt", "executionDate", "initiator"];
    for e in extension {
        let mut e = Fields::of(e, "extensionList.extension[]")?;
        let (key, value) = (e.string("key")?, e.string("value")?);
        e.done()?;
        let slot = match key.as_str() {
            "payerBic" => &mut debtor.bic,
            "payeeBic" => &mut creditor.bic,
            k => match KEYS.iter().position(|x| *x == k).and_then(|i| fields.get_mut(i)) {
                Some(slot) => slot,
                None => return Err(bad_text(format!("extension {k:?} is not read"))),
            },
        };
        if slot.replace(value).is_some() {
            return Err(bad_text(format!("extension {key:?} appears twice")));
        }
    }
    let [message_id, end_to_end_id, created_at, execution_date, initiator] = fields;
    let need = |v: Option<String>, k: &str| v.ok_or_else(|| bad_text(format!("extension {k:?} is missing")));
    let message_id = need(message_id, "messageId")?;
    let end_to_end_id = need(end_to_end_id, "endToEndId")?;
    if quote_id != derived_uuid("quote", &message_id) {
        return Err(bad_text("quoteId is not the one derived from the messageId extension"));
    }
    if transaction_id != derived_uuid("transaction", &end_to_end_id) {
        return Err(bad_text("transactionId is not the one derived from the endToEndId extension"));
    }
    Ok(Instruction {
        message_id,
        end_to_end_id,
        created_at: need(created_at, "createdAt")?,
        execution_date: need(execution_date, "executionDate")?,
        amount,
        currency,
        initiator: need(initiator, "initiator")?,
        debtor,
        creditor,
        remittance,
    })
}
