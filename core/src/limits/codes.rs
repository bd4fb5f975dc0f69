//! The outcome-code macro shared by the systems (limits, card, ...), and the limits' own codes.
//!
//! An outcome code is a normal result, not an error (TigerBeetle's result codes): one stable
//! SCREAMING_SNAKE string per reason, documented by a one-line description that the table in docs/card.md
//! is generated from, listed in `ALL` so the SDK's union can be checked against it.

/// Declares an outcome-code enum with `ALL`, `as_str`, `description`, `from_name`, `Display` and
/// serde (as its string).
macro_rules! outcome_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            // The TypeScript union's members are the serde strings (each invocation passes the
            // `ts` derive and its file in `$meta`).
            $( $(#[doc = $doc])* #[cfg_attr(feature = "ts", ts(rename = $code))] $variant, )*
        }

        impl $name {
            /// Every code, in declaration order (docs and the SDK's union are checked against it).
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The stable SCREAMING_SNAKE string of this code.
            pub const fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $code, )* }
            }

            /// One-line description, used by the table in docs/card.md and `describe()` in the SDK.
            pub const fn description(self) -> &'static str {
                match self { $( $name::$variant => concat!($($doc),*), )* }
            }

            /// The code with this string, if any. A search of `ALL` rather than a `match` on
            /// the strings: the match compiled to ~2.7 KB of wasm per enum (a comparison tree over
            /// every string), the search to a loop over `as_str`'s table; names are decoded only
            /// from messages and snapshots, never per authorisation.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|code| code.as_str() == name)
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                let name = <::std::string::String as serde::Deserialize>::deserialize(d)?;
                $name::from_name(&name).ok_or_else(|| {
                    <D::Error as serde::de::Error>::custom(format!(
                        "unknown {} {:?}", stringify!($name), name
                    ))
                })
            }
        }
    };
}

pub(crate) use outcome_codes;

outcome_codes! {
    /// Outcome of a limits operation ([`super::Limits`]). One code per reason.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts", rename = "LimitsCode"))]
    pub enum Code {
        /// The usage fits every limit, below every soft threshold.
        WithinLimits = "WITHIN_LIMITS",
        /// The usage fits every hard limit but passes a soft threshold (go online / ask the holder).
        SoftLimitReached = "SOFT_LIMIT_REACHED",
        /// The usage would pass the hard limit of a lifetime, trailing or calendar window.
        HardLimitReached = "HARD_LIMIT_REACHED",
        /// The amount is above a per-transaction hard limit.
        TransactionLimitExceeded = "TRANSACTION_LIMIT_EXCEEDED",
        /// A trailing window already holds TRAILING_ENTRIES_MAX live entries, so it cannot count one more exactly.
        TrailingWindowFull = "TRAILING_WINDOW_FULL",
        /// The amount's currency differs from the currency of an amount limit.
        CurrencyMismatch = "CURRENCY_MISMATCH",
        /// This transaction id was already recorded with the same amount: nothing counted twice.
        AlreadyRecorded = "ALREADY_RECORDED",
        /// This transaction id was already recorded with a different amount or currency.
        TransactionIdConflict = "TRANSACTION_ID_CONFLICT",
        /// No retained transaction has this id.
        UnknownTransaction = "UNKNOWN_TRANSACTION",
        /// The transaction was reversed: its reserved capacity released, its counted usage restored per the counting policy.
        Reversed = "REVERSED",
        /// The refund was applied: usage restored per the counting policy.
        Refunded = "REFUNDED",
        /// The capture was applied (capture counting: the captured amount counts, the rest of the reservation is released).
        Captured = "CAPTURED",
        /// The transaction was already reversed, so it cannot be captured or refunded.
        TransactionReversed = "TRANSACTION_REVERSED",
        /// The transaction was already refunded, so it cannot be reversed or captured.
        TransactionRefunded = "TRANSACTION_REFUNDED",
        /// Counting on captures, a refund needs the transaction to be captured first.
        TransactionNotCaptured = "TRANSACTION_NOT_CAPTURED",
        /// The transaction was already refunded with a different amount (one refund per transaction).
        RefundConflict = "REFUND_CONFLICT",
        /// The refund is larger than the transaction's (captured) amount.
        RefundExceedsAmount = "REFUND_EXCEEDS_AMOUNT",
        /// The transaction was already captured with a different amount (one capture per transaction).
        CaptureConflict = "CAPTURE_CONFLICT",
        /// The capture is larger than the authorised amount.
        CaptureExceedsAuthorisation = "CAPTURE_EXCEEDS_AUTHORISATION",
        /// The limit's value was changed or its usage reset.
        LimitAdjusted = "LIMIT_ADJUSTED",
        /// No limit has this id.
        UnknownLimit = "UNKNOWN_LIMIT",
        /// The value is not a valid quantity for the limit (syntax, precision of its currency, sign, range).
        ValueInvalid = "VALUE_INVALID",
        /// The new value is above the limit's ceiling set by the issuer.
        AboveCeiling = "ABOVE_CEILING",
        /// Lowering the limit by this much would make it negative.
        NegativeResult = "NEGATIVE_RESULT",
        /// The issuer did not allow this limit's usage to be reset.
        NotResettable = "NOT_RESETTABLE",
    }
}
