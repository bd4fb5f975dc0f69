//! The payloads of the card's signed messages, and the helpers that build them.
//!
//! Each payload is deterministic CBOR (RFC 8949 §4.2.1: definite lengths, shortest integers, map
//! keys in ascending order) carried in a COSE_Sign1 [envelope](crate::envelope) of type
//! [`CONFIG_TYPE`], [`COMMAND_TYPE`] or [`ONLINE_RESULT_TYPE`], schema version
//! [`PAYLOAD_VERSION`]. The card accepts exactly one encoding of each message: it decodes the
//! payload, re-encodes it and requires the same bytes (no unknown or duplicate fields, no explicit
//! nulls, no non-shortest integers). Quantities are decimal strings, like everywhere else.
//!
//! ```text
//! config  = { 0: cardId tstr, 1: currency tstr, 2: [* limit], 3: counting,
//!             ? 4: consecutiveOffline, 5: [* key], 6: clockSkewS uint,
//!             7: [* merchantCategory tstr] }
//! limit   = { 0: id, 1: measure (0 count | 1 amount), ? 2: currency, 3: window, 4: hard,
//!             ? 5: soft, ? 6: ceiling, 7: resettable bool }
//! window  = [0] perTransaction | [1] lifetime | [2, seconds] trailing | [3, zone] day
//!         | [4, weekday (1 Mon..7 Sun), zone] week | [5, anchorDay, zone] month | [6, zone] year
//! counting = [countOn (0 approval | 1 capture), [count bool, amount bool] reversalRestores,
//!             [count bool, amount bool] refundRestores]
//! consecutiveOffline = [soft uint, hard uint]
//! key     = [keyId tstr, alg (-8 EdDSA | -47 ES256K), publicKey bstr]
//! command = { 0: cardId tstr, 1: action }
//! action  = [0, limitId, value] set | [1, limitId, delta] change | [2, limitId] reset
//!         | [3] block | [4] unblock
//! online-result = { 0: cardId tstr, ? 1: transactionId tstr, 2: approve bool,
//!                   3: resetConsecutiveOffline bool }
//! ```

use serde::{Deserialize, Serialize};

use crate::crypto::{ed25519, secp256k1};
use crate::envelope::{Alg, CLOCK_SKEW_S_MAX, KEY_ID_BYTES_MAX};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::cbor::{self, Cbor};
use crate::limits::{self, CountingPolicy, LimitSpec, Measure};
use crate::money::{parse_decimal, Currency};

use super::{APP_KEYS_MAX, CARD_ID_BYTES_MAX, CONSECUTIVE_OFFLINE_MAX, MERCHANT_CATEGORIES_MAX};

/// Envelope type of an issuer configuration.
pub const CONFIG_TYPE: &str = "card.config";
/// Envelope type of a companion-app command.
pub const COMMAND_TYPE: &str = "card.command";
/// Envelope type of an issuer's online result.
pub const ONLINE_RESULT_TYPE: &str = "card.online-result";
/// Schema version of the three payloads.
pub const PAYLOAD_VERSION: u32 = 1;

/// A public key the card trusts: the issuer's, or a companion app's. JSON:
/// `{"keyId": "app-1", "alg": "EdDSA", "publicKey": "<hex>"}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicKey {
    /// Key id as it appears in envelopes (1..=64 UTF-8 bytes, no control characters).
    pub key_id: String,
    /// `"EdDSA"` or `"ES256K"`.
    #[cfg_attr(feature = "ts", ts(type = "\"EdDSA\" | \"ES256K\""))]
    #[serde(with = "alg_serde")]
    pub alg: Alg,
    /// Ed25519: 32 bytes; ES256K: SEC1 compressed (33) or uncompressed (65). Hex in JSON.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "hex_serde")]
    pub public_key: Vec<u8>,
}

impl PublicKey {
    /// Checks the key id and that the key is valid for its algorithm.
    ///
    /// Errors, about `param`: `INVALID_ARGUMENT` (key id), `KEY_INVALID` (key).
    pub fn validate(&self, param: &'static str) -> Result<()> {
        if !key_id_ok(&self.key_id) {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                param,
                format!(
                    "keyId must be 1..={KEY_ID_BYTES_MAX} UTF-8 bytes without control characters"
                ),
            ));
        }
        let valid = match self.alg {
            Alg::EdDSA => ed25519::parse_public_key(&self.public_key).is_some(),
            Alg::ES256K => secp256k1::parse_public_key(&self.public_key).is_some(),
        };
        if !valid {
            return Err(Error::new(
                ErrorCode::KeyInvalid,
                param,
                format!(
                    "key {:?} is not a valid {} public key",
                    self.key_id,
                    self.alg.as_str()
                ),
            ));
        }
        Ok(())
    }
}

fn key_id_ok(key_id: &str) -> bool {
    (1..=KEY_ID_BYTES_MAX).contains(&key_id.len()) && !key_id.chars().any(char::is_control)
}

/// Whether `id` is a valid card id: 1..=64 UTF-8 bytes without control characters.
pub(crate) fn card_id_ok(id: &str) -> bool {
    (1..=CARD_ID_BYTES_MAX).contains(&id.len()) && !id.chars().any(char::is_control)
}

pub(crate) fn check_card_id(id: &str) -> Result<()> {
    if card_id_ok(id) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            "cardId",
            format!(
                "must be 1..={CARD_ID_BYTES_MAX} UTF-8 bytes without control characters"
            ),
        ))
    }
}

/// Whether `mcc` is an ISO 18245 merchant category code: exactly four ASCII digits.
pub(crate) fn merchant_category_ok(mcc: &str) -> bool {
    mcc.len() == 4 && mcc.bytes().all(|b| b.is_ascii_digit())
}

/// EMV-style consecutive-offline limits: after `soft` (LCOL) consecutive offline approvals the
/// card asks to go online when it can; after `hard` (UCOL) it refuses offline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsecutiveOffline {
    /// Lower consecutive offline limit.
    pub soft: u32,
    /// Upper consecutive offline limit (≥ `soft`, ≤ 65 535).
    pub hard: u32,
}

/// The issuer's configuration of a card: the payload of a `card.config` envelope.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CardConfig {
    /// The card this configuration is for.
    pub card_id: String,
    /// The card's currency: authorisations in another currency are declined.
    pub currency: String,
    /// The limits (amount limits in the card's currency), at most
    /// [`LIMITS_PER_SET_MAX`](crate::limits::LIMITS_PER_SET_MAX).
    pub limits: Vec<LimitSpec>,
    /// The counting policy (default: approvals count, reversals restore, refunds do not).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<CountingPolicy>", optional))]
    #[serde(default)]
    pub counting: CountingPolicy,
    /// Consecutive-offline limits (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_offline: Option<ConsecutiveOffline>,
    /// The companion-app keys allowed to sign commands (at most [`APP_KEYS_MAX`]).
    pub app_keys: Vec<PublicKey>,
    /// Clock skew tolerated on envelopes' issue time, seconds (≤ one day).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>", optional))]
    #[serde(default)]
    pub clock_skew_s: u32,
    /// Merchant category codes (4 digits) declined by the card (at most [`MERCHANT_CATEGORIES_MAX`]).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    #[serde(default)]
    pub blocked_merchant_categories: Vec<String>,
}

impl CardConfig {
    /// Checks every rule that does not need time-zone data (zone *names* are checked).
    ///
    /// Errors: `INVALID_ARGUMENT` about `"cardId"`; `CURRENCY_UNKNOWN` about `"currency"`;
    /// as [`limits::validate_specs`] about `"limits"`, plus `INVALID_ARGUMENT` for an amount
    /// limit in another currency; `LIMIT_EXCEEDED` / `INVALID_ARGUMENT` / `KEY_INVALID` about
    /// `"appKeys"` (too many, bad or duplicate key id, invalid key); `INVALID_ARGUMENT` about
    /// `"consecutiveOffline"` (soft > hard, hard > 65 535), `"clockSkewS"` (> 86 400) or
    /// `"blockedMerchantCategories"` (not 4 digits, duplicate; `LIMIT_EXCEEDED` beyond the max).
    pub fn validate(&self) -> Result<()> {
        check_card_id(&self.card_id)?;
        let currency = Currency::from_code(&self.currency)?;
        limits::validate_specs(&self.limits)?;
        for spec in &self.limits {
            if spec.measure == Measure::Amount && spec.currency.as_deref() != Some(currency.code())
            {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "limits",
                    format!(
                        "limit {:?} counts another currency than the card's {}",
                        spec.id,
                        currency.code()
                    ),
                ));
            }
        }
        if self.app_keys.len() > APP_KEYS_MAX {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                "appKeys",
                format!(
                    "{} app keys, more than the maximum of {APP_KEYS_MAX}",
                    self.app_keys.len()
                ),
            ));
        }
        for (index, key) in self.app_keys.iter().enumerate() {
            key.validate("appKeys")?;
            let duplicate = self
                .app_keys
                .iter()
                .take(index)
                .any(|other| other.key_id == key.key_id && other.alg == key.alg);
            if duplicate {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "appKeys",
                    format!("appKeys[{index}] repeats key id {:?}", key.key_id),
                ));
            }
        }
        if let Some(offline) = self.consecutive_offline {
            if offline.soft > offline.hard || offline.hard > CONSECUTIVE_OFFLINE_MAX {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "consecutiveOffline",
                    format!("needs soft ≤ hard ≤ {CONSECUTIVE_OFFLINE_MAX}"),
                ));
            }
        }
        if self.clock_skew_s > CLOCK_SKEW_S_MAX {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "clockSkewS",
                format!("must be at most {CLOCK_SKEW_S_MAX} seconds"),
            ));
        }
        if self.blocked_merchant_categories.len() > MERCHANT_CATEGORIES_MAX {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                "blockedMerchantCategories",
                format!("at most {MERCHANT_CATEGORIES_MAX} merchant categories"),
            ));
        }
        for (index, mcc) in self.blocked_merchant_categories.iter().enumerate() {
            let duplicate = self
                .blocked_merchant_categories
                .iter()
                .take(index)
                .any(|other| other == mcc);
            if !merchant_category_ok(mcc) || duplicate {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "blockedMerchantCategories",
                    format!("blockedMerchantCategories[{index}] must be a distinct 4-digit merchant category code"),
                ));
            }
        }
        Ok(())
    }

    /// The IANA zones its calendar windows use, each once, in order (`"UTC"` included when
    /// used: it needs no data).
    pub fn time_zones(&self) -> Vec<String> {
        limits::zones_of(self.limits.iter().map(|spec| &spec.window))
    }

    /// Validates, then encodes the payload to seal as a [`CONFIG_TYPE`] envelope.
    ///
    /// Errors: as [`CardConfig::validate`].
    pub fn to_payload(&self) -> Result<Vec<u8>> {
        self.validate()?;
        Ok(encode(self))
    }

    /// Encodes the payload **without** checking the rules: for tests of a card's refusals (a
    /// card answers such a message with `CONFIG_INVALID` or the command's refusal code).
    pub fn to_payload_unvalidated(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes a payload (canonical encoding only; not validated). `None` when malformed.
    pub fn from_payload(bytes: &[u8]) -> Option<CardConfig> {
        decode_canonical(bytes)
    }
}

/// What a companion-app command does.
/// JSON: `{"op": "set", "limitId": "daily", "value": "10"}`, `{"op": "block"}`, ...
// Deserialised through a flat struct (see `limits::Window` for why).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts", rename = "CardCommand"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "op",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    try_from = "CommandActionJson"
)]
pub enum CommandAction {
    /// Set the limit's hard value (`"10"`, `"250.00"`), at most its ceiling.
    Set {
        /// The limit.
        limit_id: String,
        /// The new hard value.
        value: String,
    },
    /// Raise (`"5"`) or lower (`"-5"`) the limit's hard value, staying within 0..=ceiling.
    Change {
        /// The limit.
        limit_id: String,
        /// The signed change.
        delta: String,
    },
    /// Reset the limit's usage to zero (if the issuer made it resettable).
    Reset {
        /// The limit.
        limit_id: String,
    },
    /// Block the card: every authorisation is declined until unblocked.
    Block,
    /// Unblock the card.
    Unblock,
}

/// The JSON shape of a [`CommandAction`] (all fields optional, checked by `TryFrom`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CommandActionJson {
    op: String,
    limit_id: Option<String>,
    value: Option<String>,
    delta: Option<String>,
}

impl TryFrom<CommandActionJson> for CommandAction {
    type Error = String;

    fn try_from(json: CommandActionJson) -> core::result::Result<Self, String> {
        let CommandActionJson {
            op,
            limit_id,
            value,
            delta,
        } = json;
        let action = match (op.as_str(), limit_id, value, delta) {
            ("set", Some(limit_id), Some(value), None) => CommandAction::Set { limit_id, value },
            ("change", Some(limit_id), None, Some(delta)) => CommandAction::Change { limit_id, delta },
            ("reset", Some(limit_id), None, None) => CommandAction::Reset { limit_id },
            ("block", None, None, None) => CommandAction::Block,
            ("unblock", None, None, None) => CommandAction::Unblock,
            _ => {
                return Err(format!(
                    "action {op:?}: set {{limitId, value}} | change {{limitId, delta}} | reset {{limitId}} \
                     | block | unblock, with exactly these fields"
                ))
            }
        };
        Ok(action)
    }
}

/// A companion-app command: the payload of a `card.command` envelope.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts", rename = "CardCommandPayload"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Command {
    /// The card this command is for.
    pub card_id: String,
    /// What to do.
    pub action: CommandAction,
}

impl Command {
    /// Checks the command's shape (the card checks the values against its limits).
    ///
    /// Errors: `INVALID_ARGUMENT` about `"cardId"` or `"limitId"`; `AMOUNT_SYNTAX` about
    /// `"value"` / `"delta"` (strict decimal grammar).
    pub fn validate(&self) -> Result<()> {
        check_card_id(&self.card_id)?;
        let limit_id = match &self.action {
            CommandAction::Set { limit_id, value } => {
                parse_decimal(value, "value")?;
                Some(limit_id)
            }
            CommandAction::Change { limit_id, delta } => {
                parse_decimal(delta, "delta")?;
                Some(limit_id)
            }
            CommandAction::Reset { limit_id } => Some(limit_id),
            CommandAction::Block | CommandAction::Unblock => None,
        };
        if let Some(id) = limit_id {
            let ok = (1..=limits::LIMIT_ID_CHARS_MAX).contains(&id.len())
                && id.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                });
            if !ok {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "limitId",
                    format!(
                        "must be 1..={} characters of [a-z0-9._-]",
                        limits::LIMIT_ID_CHARS_MAX
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Validates, then encodes the payload to seal as a [`COMMAND_TYPE`] envelope.
    ///
    /// Errors: as [`Command::validate`].
    pub fn to_payload(&self) -> Result<Vec<u8>> {
        self.validate()?;
        Ok(encode(self))
    }

    /// Encodes the payload **without** checking the rules: for tests of a card's refusals (a
    /// card answers such a message with `CONFIG_INVALID` or the command's refusal code).
    pub fn to_payload_unvalidated(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes a payload (canonical encoding only). `None` when malformed.
    pub fn from_payload(bytes: &[u8]) -> Option<Command> {
        decode_canonical(bytes)
    }
}

/// The issuer's answer to a go-online decision, and/or an issuer update resetting the
/// consecutive-offline counter: the payload of a `card.online-result` envelope.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OnlineResult {
    /// The card this result is for.
    pub card_id: String,
    /// The transaction that went online (absent: a counter reset only, `approve` is ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Whether the issuer approved it.
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    #[serde(default)]
    pub approve: bool,
    /// Reset the consecutive-offline counter (EMV issuer update).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    #[serde(default)]
    pub reset_consecutive_offline: bool,
}

impl OnlineResult {
    /// Checks the ids.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"cardId"` or `"transactionId"`.
    pub fn validate(&self) -> Result<()> {
        check_card_id(&self.card_id)?;
        if let Some(id) = &self.transaction_id {
            limits::check_transaction_id(id, "transactionId")?;
        }
        Ok(())
    }

    /// Validates, then encodes the payload to seal as an [`ONLINE_RESULT_TYPE`] envelope.
    ///
    /// Errors: as [`OnlineResult::validate`].
    pub fn to_payload(&self) -> Result<Vec<u8>> {
        self.validate()?;
        Ok(encode(self))
    }

    /// Encodes the payload **without** checking the rules: for tests of a card's refusals (a
    /// card answers such a message with `CONFIG_INVALID` or the command's refusal code).
    pub fn to_payload_unvalidated(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes a payload (canonical encoding only). `None` when malformed.
    pub fn from_payload(bytes: &[u8]) -> Option<OnlineResult> {
        decode_canonical(bytes)
    }
}

fn encode<T: Cbor>(value: &T) -> Vec<u8> {
    cbor::to_vec(value)
}

/// Decodes `bytes` and accepts them only if they are the deterministic encoding of the value.
pub(crate) fn decode_canonical<T: Cbor>(bytes: &[u8]) -> Option<T> {
    cbor::from_slice(bytes)
}

/// `Alg` in JSON: its COSE name.
pub(crate) mod alg_serde {
    use crate::envelope::Alg;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(alg: &Alg, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(alg.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Alg, D::Error> {
        let name = String::deserialize(d)?;
        Alg::from_name(&name)
            .map_err(|_| serde::de::Error::custom("alg must be \"EdDSA\" or \"ES256K\""))
    }
}

/// Bytes in JSON: lowercase hex.
pub(crate) mod hex_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    const DIGITS: &[u8; 16] = b"0123456789abcdef";

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(bytes.len().saturating_mul(2));
        for b in bytes {
            for nibble in [b >> 4, b & 0x0f] {
                if let Some(&digit) = DIGITS.get(usize::from(nibble)) {
                    out.push(char::from(digit));
                }
            }
        }
        s.serialize_str(&out)
    }

    fn value(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            b'A'..=b'F' => Some(digit - b'A' + 10),
            _ => None,
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() % 2 != 0 || text.len() > 1024 {
            return Err(serde::de::Error::custom(
                "expected an even number of hex digits (at most 1024)",
            ));
        }
        text.as_bytes()
            .chunks(2)
            .map(|pair| match pair {
                [hi, lo] => Some(value(*hi)? << 4 | value(*lo)?),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| serde::de::Error::custom("expected hex digits"))
    }
}

/// Optional `u64` in JSON: a decimal string (sequence numbers exceed JavaScript's exact range).
pub(crate) mod opt_u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_str(&v.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| {
            let canonical = !t.is_empty()
                && (t == "0" || !t.starts_with('0'))
                && t.bytes().all(|b| b.is_ascii_digit());
            if canonical {
                t.parse::<u64>()
                    .map_err(|_| serde::de::Error::custom("out of range for u64"))
            } else {
                Err(serde::de::Error::custom("expected a decimal string"))
            }
        })
        .transpose()
    }
}
