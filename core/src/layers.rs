//! Codes across layers: the one way a system's outcome carries what a layer below it decided.
//! (docs/architecture.md, "Codes across layers", says the same for the SDK user.)
//!
//! A system's outcome has exactly one `code`, always from the system's own list (outcome codes
//! are public API: a caller switches on one list per system). What a lower layer decided reaches
//! it in one of two ways, chosen by who gives the decision its meaning:
//!
//! 1. **The lower layer's code means the same thing to the system's caller** (an envelope
//!    rejection: `BAD_SIGNATURE`, `REPLAYED` …). The system's list holds that code under the
//!    *same name*, and an exhaustive `match` maps it ([`FromEnvelope::from_rejection`]): a new
//!    rejection in the envelope does not compile until every system that opens envelopes has
//!    it. Rule codes of a primitive the system applies as its own rules (`limits::Code` in the
//!    card) are mapped the same way, by a table with one arm per code.
//! 2. **The system cannot give it a meaning of its own** (the ledger refused for a capacity
//!    reason: journal or keys full, too many holds). The system answers its own code
//!    `LEDGER_REFUSED` ([`CarriesLedger::LEDGER_REFUSED`]) and puts the lower layer's code
//!    beside it, in the outcome's `ledgerCode` field: the cause, never the `code`. A ledger
//!    outcome the system's rules *do* interpret becomes a system code under rule 1 instead:
//!    `HOLD_EXPIRED` keeps its name, `INSUFFICIENT_FUNDS` becomes the system's decline
//!    (`PARENT_CREDIT_INSUFFICIENT`, `INCREMENT_DECLINED`), where `ledgerCode` may still say why.
//!
//! Errors (malformed calls) are not outcomes and keep their code through every layer; only their
//! path grows (`Error::at`).
//!
//! For the next system: implement [`FromEnvelope`] if it opens envelopes (list the seven
//! rejection codes in its `outcome_codes!`), [`CarriesLedger`] if it runs a ledger (add
//! `LEDGER_REFUSED` and an `Option<LedgerCode>` `ledger_code` field to each outcome that runs a
//! ledger operation), and add it to the tests below.

use crate::envelope::Rejection;

/// A system code list that holds every envelope rejection under its own name.
pub trait FromEnvelope: Copy {
    /// The system's code for an envelope rejection: the same string.
    fn from_rejection(rejection: Rejection) -> Self;
    /// The code's stable string.
    fn code_str(self) -> &'static str;
}

/// A system code list with the code for "the ledger refused; see `ledgerCode`".
pub trait CarriesLedger: Copy {
    /// `LEDGER_REFUSED`.
    const LEDGER_REFUSED: Self;
    /// The code's stable string.
    fn code_str(self) -> &'static str;
}

impl FromEnvelope for crate::card::CardCode {
    fn from_rejection(rejection: Rejection) -> Self {
        crate::card::CardCode::from_rejection(rejection)
    }
    fn code_str(self) -> &'static str {
        self.as_str()
    }
}

impl FromEnvelope for crate::energy::EnergyCode {
    fn from_rejection(rejection: Rejection) -> Self {
        crate::energy::EnergyCode::from_rejection(rejection)
    }
    fn code_str(self) -> &'static str {
        self.as_str()
    }
}

impl CarriesLedger for crate::energy::EnergyCode {
    const LEDGER_REFUSED: Self = crate::energy::EnergyCode::LedgerRefused;
    fn code_str(self) -> &'static str {
        self.as_str()
    }
}

impl FromEnvelope for crate::relay::RelayCode {
    fn from_rejection(rejection: Rejection) -> Self {
        crate::relay::RelayCode::from_rejection(rejection)
    }
    fn code_str(self) -> &'static str {
        self.as_str()
    }
}

impl CarriesLedger for crate::relay::RelayCode {
    const LEDGER_REFUSED: Self = crate::relay::RelayCode::LedgerRefused;
    fn code_str(self) -> &'static str {
        self.as_str()
    }
}

impl CarriesLedger for crate::tempcard::TempCardCode {
    const LEDGER_REFUSED: Self = crate::tempcard::TempCardCode::LedgerRefused;
    fn code_str(self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardCode;
    use crate::energy::EnergyCode;
    use crate::tempcard::TempCardCode;

    fn rejections_keep_their_names<C: FromEnvelope>(system: &str, all: &[C]) {
        for rejection in Rejection::ALL {
            let code = C::from_rejection(*rejection);
            assert_eq!(code.code_str(), rejection.as_str(), "{system}: {rejection:?}");
            assert!(all.iter().any(|c| c.code_str() == rejection.as_str()), "{system} lists {}", rejection.as_str());
        }
    }

    /// `shared`: the ledger code names the system also lists, each for the same event in the
    /// system's own terms (rule 1: `HELD`, `HOLD_EXPIRED` …). Pinned, so a new overlap is a
    /// decision made in review, not an accident of naming.
    fn ledger_refusal_is_one_code<C: CarriesLedger>(system: &str, all: &[C], shared: &[&str]) {
        assert_eq!(C::LEDGER_REFUSED.code_str(), "LEDGER_REFUSED", "{system}");
        assert!(all.iter().any(|c| c.code_str() == "LEDGER_REFUSED"), "{system}");
        assert!(crate::ledger::LedgerCode::ALL.iter().all(|l| l.as_str() != "LEDGER_REFUSED"), "not a ledger code itself");
        let mut overlap: Vec<&str> = crate::ledger::LedgerCode::ALL
            .iter()
            .map(|l| l.as_str())
            .filter(|name| all.iter().any(|c| c.code_str() == *name))
            .collect();
        overlap.sort_unstable();
        assert_eq!(overlap, shared, "{system}: ledger code names it also lists");
    }

    #[test]
    fn every_system_carries_lower_layer_codes_by_the_one_convention() {
        rejections_keep_their_names("card", CardCode::ALL);
        rejections_keep_their_names("energy", EnergyCode::ALL);
        rejections_keep_their_names("relay", crate::relay::RelayCode::ALL);
        ledger_refusal_is_one_code("relay", crate::relay::RelayCode::ALL, &["CURRENCY_MISMATCH", "INSUFFICIENT_FUNDS"]);
        ledger_refusal_is_one_code("energy", EnergyCode::ALL, &["DEADLINE_INVALID", "EXCEEDS_HOLD", "EXTENDED", "HELD", "HOLD_EXPIRED"]);
        ledger_refusal_is_one_code(
            "tempcard",
            TempCardCode::ALL,
            &["ACCOUNTS_FULL", "ACCOUNT_CLOSED", "ACCOUNT_EXISTS", "AMOUNT_NOT_POSITIVE", "CURRENCY_MISMATCH", "UNKNOWN_ACCOUNT"],
        );
    }
}
