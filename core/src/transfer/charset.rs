//! Fitting free text (names, remittance information, the initiator) into a format's character
//! set and length, with every change reported ([`Loss`]), never silent.
//!
//! | set | characters | what happens to others |
//! |---|---|---|
//! | `sepa-latin` (pain.001, the EPC's SEPA guidelines) | `a-z A-Z 0-9 / - ? : ( ) . , ' +` and space | a Latin letter with a diacritic becomes its base letter (é→e, Å→A); ß→ss, æ→ae, Æ→AE, œ→oe, Œ→OE, ø→o, Ø→O, ł→l, Ł→L, đ/ð→d, Đ/Ð→D, þ→th, Þ→TH (*transliterated*); `&`→`+`; anything else becomes `.` (*replaced*) |
//! | `iso-xml` (pacs.008's `Max140Text`) | every character XML 1.0 allows | control characters other than tab, line feed and carriage return become `.` (*replaced*) |
//! | `fspiop-name` (Mojaloop's `PartyName`, `Note` takes any text) | letters (Unicode alphabetic), ASCII digits, space and `. , ' -` | anything else becomes `.` (*replaced*) |
//!
//! Then the text is cut to the field's maximum length in characters (*truncated*). One [`Loss`]
//! per field lists what happened, in that order, with the original and the delivered value.

use serde::{Deserialize, Serialize};

crate::limits::outcome_codes! {
    /// What happened to a field on its way into a format.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferLossKind"))]
    pub enum LossKind {
        /// Characters outside the format's set were replaced by their Latin transliteration.
        Transliterated = "transliterated",
        /// Characters with no transliteration in the format's set were replaced by `.`.
        Replaced = "replaced",
        /// The value was cut to the format's maximum length.
        Truncated = "truncated",
        /// The format has no place for the field: it is not in the message.
        Dropped = "dropped",
    }
}

/// One field that did not survive a mapping unchanged.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts", rename = "TransferLoss"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Loss {
    /// The instruction's field, as a path (`creditor.name`, `remittance`).
    pub field: String,
    /// What happened, in the order it happened.
    pub kinds: Vec<LossKind>,
    /// Why, in words (the format's rule).
    pub reason: String,
    /// The value in the instruction.
    pub original: String,
    /// The value in the message (`None` when dropped).
    pub delivered: Option<String>,
}

/// A format's character set for free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// The SEPA Latin set (pain.001).
    SepaLatin,
    /// Any character XML 1.0 allows (pacs.008).
    IsoXml,
    /// Mojaloop's `PartyName` set.
    FspiopName,
}

impl Charset {
    fn name(self) -> &'static str {
        match self {
            Charset::SepaLatin => "the SEPA Latin character set",
            Charset::IsoXml => "the characters XML 1.0 allows",
            Charset::FspiopName => "the FSPIOP name character set",
        }
    }

    fn allows(self, c: char) -> bool {
        match self {
            Charset::SepaLatin => c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c),
            Charset::IsoXml => !c.is_control() || matches!(c, '\t' | '\n' | '\r'),
            Charset::FspiopName => c.is_alphabetic() || c.is_ascii_digit() || " .,'-".contains(c),
        }
    }
}

/// Groups of letters sharing one base letter: each letter of the string maps to the base.
const BASE_LETTERS: &[(&str, char)] = &[
    ("ÀÁÂÃÄÅĀĂĄ", 'A'), ("àáâãäåāăą", 'a'), ("ÇĆĈĊČ", 'C'), ("çćĉċč", 'c'), ("ĎĐÐ", 'D'), ("ďđð", 'd'),
    ("ÈÉÊËĒĔĖĘĚ", 'E'), ("èéêëēĕėęě", 'e'), ("ĜĞĠĢ", 'G'), ("ĝğġģ", 'g'), ("ĤĦ", 'H'), ("ĥħ", 'h'),
    ("ÌÍÎÏĨĪĬĮİ", 'I'), ("ìíîïĩīĭįı", 'i'), ("Ĵ", 'J'), ("ĵ", 'j'), ("Ķ", 'K'), ("ķ", 'k'),
    ("ĹĻĽĿŁ", 'L'), ("ĺļľŀł", 'l'), ("ÑŃŅŇ", 'N'), ("ñńņň", 'n'), ("ÒÓÔÕÖŌŎŐØ", 'O'),
    ("òóôõöōŏőø", 'o'), ("ŔŖŘ", 'R'), ("ŕŗř", 'r'), ("ŚŜŞŠ", 'S'), ("śŝşš", 's'), ("ŢŤŦ", 'T'),
    ("ţťŧ", 't'), ("ÙÚÛÜŨŪŬŮŰŲ", 'U'), ("ùúûüũūŭůűų", 'u'), ("Ŵ", 'W'), ("ŵ", 'w'), ("ÝŸŶ", 'Y'),
    ("ýÿŷ", 'y'), ("ŹŻŽ", 'Z'), ("źżž", 'z'),
];

/// Letters that become two letters.
const DIGRAPHS: &[(char, &str)] = &[('ß', "ss"), ('Æ', "AE"), ('æ', "ae"), ('Œ', "OE"), ('œ', "oe"), ('Þ', "TH"), ('þ', "th"), ('&', "+")];

fn transliterate(c: char) -> Option<&'static str> {
    // One static string per base letter would need a table of 52; the base letters' text is
    // taken from this list of single-letter strings instead.
    const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    if let Some((_, to)) = DIGRAPHS.iter().find(|(from, _)| *from == c) {
        return Some(to);
    }
    let base = BASE_LETTERS.iter().find(|(group, _)| group.contains(c))?.1;
    let i = LETTERS.find(base)?;
    LETTERS.get(i..i + 1)
}

/// Fits `value` into `charset` and `chars_max` characters; a [`Loss`] for `field` is pushed
/// onto `losses` when anything changed. Returns the delivered text.
pub fn fit(value: &str, field: &str, charset: Charset, chars_max: usize, losses: &mut Vec<Loss>) -> String {
    let mut out = String::with_capacity(value.len());
    let (mut transliterated, mut replaced) = (false, false);
    for c in value.chars() {
        if charset.allows(c) {
            out.push(c);
        } else if let Some(t) = (charset == Charset::SepaLatin).then(|| transliterate(c)).flatten() {
            out.push_str(t);
            transliterated = true;
        } else {
            out.push('.');
            replaced = true;
        }
    }
    let truncated = out.chars().count() > chars_max;
    if truncated {
        out = out.chars().take(chars_max).collect();
    }
    let mut kinds = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    if transliterated {
        kinds.push(LossKind::Transliterated);
        reasons.push(format!("letters outside {} were transliterated", charset.name()));
    }
    if replaced {
        kinds.push(LossKind::Replaced);
        reasons.push(format!("characters outside {} were replaced by '.'", charset.name()));
    }
    if truncated {
        kinds.push(LossKind::Truncated);
        reasons.push(format!("cut to the format's {chars_max} characters"));
    }
    if !kinds.is_empty() {
        losses.push(Loss { field: field.to_owned(), kinds, reason: reasons.join("; "), original: value.to_owned(), delivered: Some(out.clone()) });
    }
    out
}

/// Records that `field` has no place in the format.
pub fn dropped(value: &str, field: &str, reason: &str, losses: &mut Vec<Loss>) {
    losses.push(Loss { field: field.to_owned(), kinds: vec![LossKind::Dropped], reason: reason.to_owned(), original: value.to_owned(), delivered: None });
}
