//! The Mojaloop FSPIOP quote request (`POST /quotes` body): parties by `partyIdInfo`, the
//! amount without trailing zeros, what FSPIOP has no field for in its `extensionList`.

use serde::{Deserialize, Serialize};

use super::charset::{Charset, Loss};
use super::format::{fit_text, Instruction, Party};
use super::validate::{check_iban, e164, email, IbanCode};
use crate::crypto::sha256;
use crate::error::{Error, ErrorCode, Result};

/// FSPIOP's `Name`, `Note` and `ExtensionValue` are at most 128 characters.
const FSPIOP_TEXT_CHARS_MAX: usize = 128;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct QuoteRequest {
    quote_id: String,
    transaction_id: String,
    payee: FParty,
    payer: FParty,
    amount_type: String,
    amount: Money,
    transaction_type: TransactionType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    extension_list: ExtensionList,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FParty {
    party_id_info: PartyIdInfo,
    name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PartyIdInfo {
    party_id_type: String,
    party_identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fsp_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Money {
    currency: String,
    amount: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransactionType {
    scenario: String,
    initiator: String,
    initiator_type: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExtensionList {
    extension: Vec<Extension>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Extension {
    key: String,
    value: String,
}

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

fn party(p: &Party, at: &str, losses: &mut Vec<Loss>) -> FParty {
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
    FParty { party_id_info: PartyIdInfo { party_id_type: party_id_type.into(), party_identifier, fsp_id: p.provider.clone() }, name }
}

/// The quote request for an instruction (checked and normalised by the caller).
pub(super) fn quote(i: &Instruction, losses: &mut Vec<Loss>) -> Result<String> {
    let payer = party(&i.debtor, "debtor", losses);
    let payee = party(&i.creditor, "creditor", losses);
    let mut extension = vec![
        Extension { key: "messageId".into(), value: i.message_id.clone() },
        Extension { key: "endToEndId".into(), value: i.end_to_end_id.clone() },
        Extension { key: "createdAt".into(), value: i.created_at.clone() },
        Extension { key: "executionDate".into(), value: i.execution_date.clone() },
    ];
    // FSPIOP's initiator is PAYER or PAYEE: who initiated goes in an extension, any text.
    let initiator = fit_text(&i.initiator, "initiator", Charset::IsoXml, FSPIOP_TEXT_CHARS_MAX, losses);
    extension.push(Extension { key: "initiator".into(), value: initiator });
    if let Some(b) = &i.debtor.bic {
        extension.push(Extension { key: "payerBic".into(), value: b.clone() });
    }
    if let Some(b) = &i.creditor.bic {
        extension.push(Extension { key: "payeeBic".into(), value: b.clone() });
    }
    let note = i.remittance.as_ref().map(|r| fit_text(r, "remittance", Charset::IsoXml, FSPIOP_TEXT_CHARS_MAX, losses));
    // The losses of the payer come before the payee's in the body, but are listed in the
    // instruction's field order: debtor, creditor, initiator, remittance (as generated).
    let q = QuoteRequest {
        quote_id: derived_uuid("quote", &i.message_id),
        transaction_id: derived_uuid("transaction", &i.end_to_end_id),
        payee,
        payer,
        amount_type: "SEND".into(),
        amount: Money { currency: i.currency.clone(), amount: fspiop_amount(&i.amount) },
        transaction_type: TransactionType { scenario: "TRANSFER".into(), initiator: "PAYER".into(), initiator_type: "CONSUMER".into() },
        note,
        extension_list: ExtensionList { extension },
    };
    serde_json::to_string_pretty(&q).map_err(|_| Error::new(ErrorCode::Internal, "", "the quote request did not serialise"))
}

fn bad_text(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, "text", message)
}

fn read_party(p: FParty, at: &str) -> Result<Party> {
    let account = match p.party_id_info.party_id_type.as_str() {
        "MSISDN" => format!("+{}", p.party_id_info.party_identifier),
        "IBAN" | "EMAIL" | "ACCOUNT_ID" => p.party_id_info.party_identifier,
        other => return Err(bad_text(format!("{at}.partyIdInfo.partyIdType {other:?} is not read"))),
    };
    Ok(Party { name: p.name, account, bic: None, provider: p.party_id_info.fsp_id })
}

/// Reads a quote request written by [`quote`].
pub(super) fn parse(text: &str) -> Result<Instruction> {
    let q: QuoteRequest = serde_json::from_str(text).map_err(|e| bad_text(format!("not an FSPIOP quote request of this mapping: {e}")))?;
    if q.amount_type != "SEND" || q.transaction_type.scenario != "TRANSFER" || q.transaction_type.initiator != "PAYER" || q.transaction_type.initiator_type != "CONSUMER" {
        return Err(bad_text("amountType, transactionType must be SEND, TRANSFER, PAYER, CONSUMER"));
    }
    let mut debtor = read_party(q.payer, "payer")?;
    let mut creditor = read_party(q.payee, "payee")?;
    let mut fields: [Option<String>; 5] = Default::default();
    const KEYS: [&str; 5] = ["messageId", "endToEndId", "createdAt", "executionDate", "initiator"];
    for e in q.extension_list.extension {
        let slot = match e.key.as_str() {
            "payerBic" => &mut debtor.bic,
            "payeeBic" => &mut creditor.bic,
            k => match KEYS.iter().position(|x| *x == k).and_then(|i| fields.get_mut(i)) {
                Some(slot) => slot,
                None => return Err(bad_text(format!("extension {k:?} is not read"))),
            },
        };
        if slot.replace(e.value).is_some() {
            return Err(bad_text(format!("extension {:?} appears twice", e.key)));
        }
    }
    let [message_id, end_to_end_id, created_at, execution_date, initiator] = fields;
    let need = |v: Option<String>, k: &str| v.ok_or_else(|| bad_text(format!("extension {k:?} is missing")));
    let message_id = need(message_id, "messageId")?;
    let end_to_end_id = need(end_to_end_id, "endToEndId")?;
    if q.quote_id != derived_uuid("quote", &message_id) {
        return Err(bad_text("quoteId is not the one derived from the messageId extension"));
    }
    if q.transaction_id != derived_uuid("transaction", &end_to_end_id) {
        return Err(bad_text("transactionId is not the one derived from the endToEndId extension"));
    }
    Ok(Instruction {
        message_id,
        end_to_end_id,
        created_at: need(created_at, "createdAt")?,
        execution_date: need(execution_date, "executionDate")?,
        amount: q.amount.amount,
        currency: q.amount.currency,
        initiator: need(initiator, "initiator")?,
        debtor,
        creditor,
        remittance: q.note,
    })
}
