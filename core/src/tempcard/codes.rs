//! The temporary card's outcome codes: one per reason, for every operation of the module.

use crate::limits::outcome_codes;

outcome_codes! {
    /// Outcome of a temporary-card operation. A refusal is a normal result with exactly one of
    /// these codes; an `Error` means the call itself was malformed.
    pub enum TempCardCode {
        // Issuance.
        /// Credentials were issued: a Luhn-valid PAN from the BIN range, unique among the PANs the caller listed for the parent account.
        Issued = "ISSUED",
        /// The PAN drawn from this randomness is already issued for the parent account: call again with fresh randomness.
        PanCollision = "PAN_COLLISION",
        /// Every draw from the supplied randomness was rejected by the uniform sampler (probability below 2^-60): call again with fresh randomness.
        RandomnessExhausted = "RANDOMNESS_EXHAUSTED",
        // Display window.
        /// The credentials may be shown now: within the display window.
        DisplayAllowed = "DISPLAY_ALLOWED",
        /// The display window has not opened yet: the credentials may not be shown.
        DisplayNotYetOpen = "DISPLAY_NOT_YET_OPEN",
        /// The display window has closed: the credentials may no longer be shown.
        DisplayClosed = "DISPLAY_CLOSED",
        // Usable window.
        /// The credentials authorise now: within the usable window and before expiry.
        Usable = "USABLE",
        /// The usable window has not opened yet: the credentials do not authorise.
        NotYetUsable = "NOT_YET_USABLE",
        /// The usable window has closed (the card has not reached its expiry): the credentials no longer authorise.
        UsableWindowClosed = "USABLE_WINDOW_CLOSED",
        /// The card has expired: the end of its MM/YY month (UTC) has passed.
        Expired = "EXPIRED",
        // Security code and presented credentials.
        /// The presented CVV matches the one derived for this PAN and expiry.
        CvvValid = "CVV_VALID",
        /// The presented CVV does not match.
        CvvInvalid = "CVV_INVALID",
        /// The presented CVV is not exactly three ASCII digits.
        CvvMalformed = "CVV_MALFORMED",
        /// The presented PAN is not the temporary card's PAN.
        PanMismatch = "PAN_MISMATCH",
        /// The presented expiry (MM/YY) is not the temporary card's expiry.
        ExpiryMismatch = "EXPIRY_MISMATCH",
        /// PAN, expiry and CVV match and the credentials are usable now.
        CredentialsValid = "CREDENTIALS_VALID",
    }
}
