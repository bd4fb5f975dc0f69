//! System 1 — the card usage counter set by a companion app.
//!
//! A payment card (or its edge device) whose allowed number of transactions and amounts are
//! limited by its issuer and adjusted by the cardholder's companion app with signed commands,
//! and which decides POS authorisations itself, offline if need be, with EMV-style
//! consecutive-offline limits that the issuer resets online.
//!
//! # Roles and messages
//!
//! | who | message (envelope type) | signed by | card entry point |
//! |---|---|---|---|
//! | issuer | configuration (`card.config`) | the issuer key given to [`Card::new`] | [`Card::apply_config`] |
//! | companion app | command (`card.command`): set, change, reset, block, unblock | an app key listed in the configuration | [`Card::apply_command`] |
//! | issuer | online result (`card.online-result`) | the issuer key | [`Card::apply_online_result`] |
//! | POS terminal | authorisation, reversal, capture, refund | — (the terminal talks to the card) | [`Card::authorise`], [`Card::reverse`], [`Card::capture`], [`Card::refund`] |
//!
//! The payloads and the helpers that build them are in [`CardConfig`], [`Command`] and
//! [`OnlineResult`] (`to_payload`), sealed with [`crate::envelope::seal`].
//!
//! # Sequence numbers
//!
//! Each stream has its own anti-rollback sequence (the envelope's `seq`): configurations, app
//! commands and online results. **App commands share one sequence per card**, whichever app key
//! signed them: a command is refused unless its `seq` is above the last *accepted* command's.
//! Why per card, not per key: a key removed and later re-added by the issuer cannot replay its old
//! commands, and the card sees one total order of commands. Several devices of one holder must
//! therefore draw sequence numbers from one increasing source (e.g. milliseconds, or a server
//! counter). A refused message (any code but `*_APPLIED`) changes nothing, its sequence number
//! included.
//!
//! # Authorisation
//!
//! Checks, first decisive one wins (the code names the reason, the decision the action):
//!
//! 1. the same transaction id again → the **stored** decision, code and transaction counter
//!    (`repeated: true`, nothing counted twice); the same id with another amount or currency →
//!    decline `TRANSACTION_ID_CONFLICT` (nothing recorded);
//! 2. not provisioned → decline `NOT_PROVISIONED`; counter exhausted → decline
//!    `TRANSACTION_COUNTER_EXHAUSTED`;
//! 3. from here the attempt reaches the decision: the **transaction counter** (like EMV's ATC)
//!    is incremented and the decision is retained (last [`DECISIONS_RETAINED_MAX`]);
//! 4. blocked → decline `CARD_BLOCKED`; currency ≠ the card's → decline `CURRENCY_MISMATCH`;
//!    blocked merchant category → decline `MERCHANT_CATEGORY_BLOCKED`;
//! 5. limits: a per-transaction cap → decline `TRANSACTION_LIMIT_EXCEEDED`; a hard limit →
//!    decline `HARD_LIMIT_REACHED`; a full trailing window → decline `TRAILING_WINDOW_FULL`;
//! 6. consecutive offline approvals ≥ `hard` (UCOL) → go online if the terminal is online, else
//!    decline (`CONSECUTIVE_OFFLINE_HARD_LIMIT`);
//! 7. a soft threshold → go online if the terminal is online, else approve offline
//!    (`SOFT_LIMIT_REACHED`);
//! 8. consecutive offline approvals ≥ `soft` (LCOL) → go online / approve offline
//!    (`CONSECUTIVE_OFFLINE_SOFT_LIMIT`);
//! 9. approve (`APPROVED`).
//!
//! Every approval by the card is an *offline* approval (the card decided alone): it counts toward
//! the limits and increments the consecutive-offline counter. A go-online decision consumes no
//! capacity; the issuer's signed online result then approves (the usage is recorded, whatever the
//! local thresholds: the issuer decided) or declines it, and may reset the consecutive-offline
//! counter. A reversal does not decrement the consecutive-offline counter.
//!
//! [`Card::preview`] runs exactly the same code as [`Card::authorise`] and returns the result
//! without committing it ("would this transaction be approved, and why?").
//!
//! # Purity and atomicity
//!
//! Every method is a function of the state and its arguments (time and time-zone data are
//! arguments), so a card is replayed by restoring a snapshot and applying the same inputs. The
//! `&mut self` methods compute the whole new state first and change `self` only when they return
//! an applied/decided outcome: on an `Err`, or on any refusal, the card is unchanged.
//!
//! # Time zones
//!
//! Calendar windows name IANA zones; the caller passes their TZif data ([`TimeZones`]) to every
//! call that evaluates limits (a missing zone is the error `TIME_ZONE_MISSING`, the card is then
//! unchanged). [`Card::time_zones_used`] lists the zones of a card, [`config_time_zones`] those of
//! a configuration envelope before it is applied, so the SDK loads only the data it needs.
//!
//! # Snapshot
//!
//! [`Card::snapshot`] / [`Card::restore`]: versioned, HMAC-SHA256-authenticated bytes (format in
//! `snapshot.rs`). [`Card::freshness`] exposes the monotonic counters inside so a caller can tell
//! an older snapshot from the last one it saw ([`Freshness::is_older_than`]).

mod codec;
mod codes;
mod payload;
mod snapshot;

#[cfg(test)]
mod tests;

pub use codes::CardCode;
pub use payload::{
    CardConfig, Command, CommandAction, ConsecutiveOffline, OnlineResult, PublicKey, COMMAND_TYPE,
    CONFIG_TYPE, ONLINE_RESULT_TYPE, PAYLOAD_VERSION,
};
pub use snapshot::{SNAPSHOT_BYTES_MAX, SNAPSHOT_FORMAT_VERSION, SNAPSHOT_KEY_LEN};

use serde::{Deserialize, Serialize};

use crate::envelope::{self, OpenParams, Opened, TrustedKey};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{
    self, check_time, CheckMode, CurrencyCode, LimitStatus, Limits, TimeZones, Usage,
};
use crate::money::{Amount, Currency};

/// The longest card id, in UTF-8 bytes (at least 1, no control characters).
pub const CARD_ID_BYTES_MAX: usize = 64;
/// The most companion-app keys in a configuration.
pub const APP_KEYS_MAX: usize = 8;
/// The most authorisation decisions retained for idempotency and online results.
pub const DECISIONS_RETAINED_MAX: usize = 64;
/// The most blocked merchant categories in a configuration.
pub const MERCHANT_CATEGORIES_MAX: usize = 32;
/// The largest consecutive-offline hard limit.
pub const CONSECUTIVE_OFFLINE_MAX: u32 = 65_535;
/// The largest transaction counter: 2^53 − 1 (exact as a JavaScript number). A card whose
/// counter reaches it declines every new authorisation (`TRANSACTION_COUNTER_EXHAUSTED`).
pub const TRANSACTION_COUNTER_MAX: u64 = (1 << 53) - 1;

/// Lifecycle state of a card.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CardStatus {
    /// No configuration accepted yet.
    Unprovisioned,
    /// Configured and usable.
    Active,
    /// Blocked by the companion app: every authorisation is declined.
    Blocked,
}

/// What the card decided. JSON: `"approve"`, `"decline"`, `"go-online"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Approved (offline by the card, or online by the issuer).
    Approve,
    /// Declined.
    Decline,
    /// Ask the issuer online; no capacity is used until its signed result arrives.
    GoOnline,
}

/// A POS authorisation request. The amount is a decimal string in `currency` (strict grammar).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorisationRequest {
    /// The terminal's transaction id (1..=64 UTF-8 bytes, no control characters).
    pub transaction_id: String,
    /// Amount, e.g. `"12.30"`, strictly positive.
    pub amount: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When, Unix seconds.
    pub time: i64,
    /// Whether the terminal can go online now.
    pub terminal_online: bool,
    /// ISO 18245 merchant category code (4 digits), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_category: Option<String>,
}

impl AuthorisationRequest {
    /// A request for `amount` (its currency included).
    pub fn new(transaction_id: &str, amount: &Amount, time: i64, terminal_online: bool) -> Self {
        AuthorisationRequest {
            transaction_id: transaction_id.to_owned(),
            amount: amount.to_string(),
            currency: amount.currency().code().to_owned(),
            time,
            terminal_online,
            merchant_category: None,
        }
    }
}

/// The card's answer to an authorisation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorisationResult {
    /// The transaction id.
    pub transaction_id: String,
    /// Approve, decline or go online.
    pub decision: Decision,
    /// Why (one code per reason).
    pub code: CardCode,
    /// The limit behind the code, for limit codes.
    pub limit_id: Option<String>,
    /// The transaction counter after this authorisation (for a repeat: the one it was decided with).
    pub transaction_counter: u64,
    /// Consecutive offline approvals after this authorisation.
    pub consecutive_offline: u32,
    /// True when this is a repeated transaction id answered from the retained decision.
    pub repeated: bool,
    /// Every limit after the decision (approved: including this transaction).
    pub limits: Vec<LimitStatus>,
}

/// A reversal request from the terminal.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReversalRequest {
    /// The transaction to reverse.
    pub transaction_id: String,
    /// When, Unix seconds (for the limit statuses returned).
    pub time: i64,
}

/// A capture or refund request from the terminal.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettlementRequest {
    /// The transaction.
    pub transaction_id: String,
    /// Amount captured or refunded, decimal string, strictly positive.
    pub amount: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When, Unix seconds (for the limit statuses returned).
    pub time: i64,
}

/// The result of a reversal, capture or refund.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionOutcome {
    /// The transaction id.
    pub transaction_id: String,
    /// The code.
    pub code: CardCode,
    /// True when it repeats an operation already applied (nothing changed).
    pub repeated: bool,
    /// Every limit afterwards.
    pub limits: Vec<LimitStatus>,
}

/// The result of a configuration, command or online result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOutcome {
    /// The code: `CONFIG_APPLIED` / `COMMAND_APPLIED` / `ONLINE_RESULT_APPLIED`, or why not.
    pub code: CardCode,
    /// Whether the message was applied.
    pub accepted: bool,
    /// The card's status afterwards.
    pub status: CardStatus,
    /// Consecutive offline approvals afterwards.
    pub consecutive_offline: u32,
    /// For an applied online result about a transaction: its final decision.
    pub decision: Option<Decision>,
    /// Every limit afterwards (empty when not provisioned).
    pub limits: Vec<LimitStatus>,
}

/// The monotonic counters of a card: a snapshot whose counters are lower than ones already seen
/// is older (a rollback). Sequence numbers are decimal strings in JSON.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Freshness {
    /// Incremented by every change of the card.
    pub revision: u64,
    /// Last accepted configuration sequence.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    #[serde(with = "payload::opt_u64_string")]
    pub config_seq: Option<u64>,
    /// Last accepted command sequence.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    #[serde(with = "payload::opt_u64_string")]
    pub command_seq: Option<u64>,
    /// Last accepted online-result sequence.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    #[serde(with = "payload::opt_u64_string")]
    pub online_seq: Option<u64>,
    /// Transaction counter.
    pub transaction_counter: u64,
}

impl Freshness {
    /// Whether `self` is older than `seen`: any counter is lower (all of them only ever grow).
    pub fn is_older_than(&self, seen: &Freshness) -> bool {
        self.revision < seen.revision
            || self.config_seq < seen.config_seq
            || self.command_seq < seen.command_seq
            || self.online_seq < seen.online_seq
            || self.transaction_counter < seen.transaction_counter
    }
}

/// Everything the app or terminal shows about a card.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardView {
    /// Card id.
    pub card_id: String,
    /// Status.
    pub status: CardStatus,
    /// The card's currency, once provisioned.
    pub currency: Option<String>,
    /// Transaction counter.
    pub transaction_counter: u64,
    /// Consecutive offline approvals.
    pub consecutive_offline: u32,
    /// The consecutive-offline limits, if configured.
    pub consecutive_offline_limits: Option<ConsecutiveOffline>,
    /// Key ids of the companion apps allowed to send commands.
    pub app_key_ids: Vec<String>,
    /// Every limit at the time asked.
    pub limits: Vec<LimitStatus>,
    /// The monotonic counters.
    pub freshness: Freshness,
}

/// The accepted configuration, minus the limits (which live in [`Limits`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ActiveConfig {
    currency: CurrencyCode,
    app_keys: Vec<PublicKey>,
    offline: Option<ConsecutiveOffline>,
    clock_skew_s: u32,
    blocked_categories: Vec<String>,
}

/// A retained authorisation decision.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DecisionRecord {
    id: String,
    currency: CurrencyCode,
    amount: u128,
    time: i64,
    decision: Decision,
    code: CardCode,
    limit_id: Option<String>,
    transaction_counter: u64,
}

/// The card: identity, trust anchors, configuration, counters and retained decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    card_id: String,
    issuer: PublicKey,
    status: CardStatus,
    config: Option<ActiveConfig>,
    limits: Limits,
    config_seq: Option<u64>,
    command_seq: Option<u64>,
    online_seq: Option<u64>,
    transaction_counter: u64,
    consecutive_offline: u32,
    decisions: Vec<DecisionRecord>,
    revision: u64,
}

/// What an authorisation will change, computed by [`Card::decide`] and applied by
/// [`Card::apply_plan`].
struct Plan {
    check: Option<limits::Check>,
    record: DecisionRecord,
    consecutive_offline: u32,
}

/// A parsed and validated authorisation request.
struct Parsed<'a> {
    id: &'a str,
    amount: Amount,
    minor: u128,
}

fn parse_amount(amount: &str, currency: &str) -> Result<(Amount, u128)> {
    let currency = Currency::from_code(currency)?;
    let amount = Amount::parse(amount, currency, None)?;
    let minor = amount.to_minor_units();
    if minor <= 0 {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            "amount",
            format!("must be greater than zero, got {amount}"),
        ));
    }
    Ok((amount, minor.unsigned_abs()))
}

/// The IANA zones used by the configuration inside a `card.config` envelope, read **without
/// verifying** the envelope: only so that a caller can load their TZif data before
/// [`Card::apply_config`] verifies and applies it (which needs that data). Nothing is decided
/// from it; anything that is not a COSE_Sign1 carrying a decodable configuration gives no zones.
pub fn config_time_zones(envelope: &[u8]) -> Vec<String> {
    unverified_payload(envelope)
        .and_then(CardConfig::from_payload)
        .map(|config| config.time_zones())
        .unwrap_or_default()
}

/// The payload of a COSE_Sign1 structure (`18([protected, unprotected, payload, signature])`),
/// unverified. Bounded by the envelope size limit.
fn unverified_payload(envelope: &[u8]) -> Option<&[u8]> {
    if envelope.len() > envelope::ENVELOPE_BYTES_MAX {
        return None;
    }
    let mut d = minicbor::Decoder::new(envelope);
    if d.tag().ok()? != minicbor::data::Tag::new(18) || d.array().ok()? != Some(4) {
        return None;
    }
    d.bytes().ok()?;
    d.skip().ok()?;
    d.bytes().ok()
}

/// An envelope that passed every check of its stream, or the card code refusing it.
type Verified<T> = core::result::Result<(Opened, T), CardCode>;

/// A payload the card receives in an envelope.
trait SignedPayload: Sized {
    const TYPE: &'static str;
    fn decode(bytes: &[u8]) -> Option<Self>;
    fn card_id(&self) -> &str;
}

impl SignedPayload for CardConfig {
    const TYPE: &'static str = CONFIG_TYPE;
    fn decode(bytes: &[u8]) -> Option<Self> {
        CardConfig::from_payload(bytes)
    }
    fn card_id(&self) -> &str {
        &self.card_id
    }
}

impl SignedPayload for Command {
    const TYPE: &'static str = COMMAND_TYPE;
    fn decode(bytes: &[u8]) -> Option<Self> {
        Command::from_payload(bytes)
    }
    fn card_id(&self) -> &str {
        &self.card_id
    }
}

impl SignedPayload for OnlineResult {
    const TYPE: &'static str = ONLINE_RESULT_TYPE;
    fn decode(bytes: &[u8]) -> Option<Self> {
        OnlineResult::from_payload(bytes)
    }
    fn card_id(&self) -> &str {
        &self.card_id
    }
}

impl Card {
    /// A new, unprovisioned card that trusts `issuer` for its configuration and online results.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"cardId"`; `INVALID_ARGUMENT` / `KEY_INVALID` about
    /// `"issuerKey"`.
    pub fn new(card_id: &str, issuer: PublicKey) -> Result<Card> {
        payload::check_card_id(card_id)?;
        issuer.validate("issuerKey")?;
        Ok(Card {
            card_id: card_id.to_owned(),
            issuer,
            status: CardStatus::Unprovisioned,
            config: None,
            limits: Limits::empty(),
            config_seq: None,
            command_seq: None,
            online_seq: None,
            transaction_counter: 0,
            consecutive_offline: 0,
            decisions: Vec::new(),
            revision: 0,
        })
    }

    /// The card id.
    pub fn card_id(&self) -> &str {
        &self.card_id
    }

    /// The status.
    pub fn status(&self) -> CardStatus {
        self.status
    }

    /// The issuer's key.
    pub fn issuer_key(&self) -> &PublicKey {
        &self.issuer
    }

    /// The transaction counter.
    pub fn transaction_counter(&self) -> u64 {
        self.transaction_counter
    }

    /// Consecutive offline approvals since the last issuer reset.
    pub fn consecutive_offline(&self) -> u32 {
        self.consecutive_offline
    }

    /// The IANA zones the card's calendar windows use: the TZif data every call must supply
    /// (`"UTC"` included when used: it needs no data).
    pub fn time_zones_used(&self) -> Vec<String> {
        self.limits.time_zones()
    }

    /// The limits (read-only).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The monotonic counters (see [`Freshness`]).
    pub fn freshness(&self) -> Freshness {
        Freshness {
            revision: self.revision,
            config_seq: self.config_seq,
            command_seq: self.command_seq,
            online_seq: self.online_seq,
            transaction_counter: self.transaction_counter,
        }
    }

    /// Whether this card's state is older than one already seen.
    pub fn is_older_than(&self, seen: &Freshness) -> bool {
        self.freshness().is_older_than(seen)
    }

    /// The configuration in force, with the limits' current values (holder changes included).
    pub fn config(&self) -> Option<CardConfig> {
        let config = self.config.as_ref()?;
        Some(CardConfig {
            card_id: self.card_id.clone(),
            currency: config.currency.0.code().to_owned(),
            limits: self.limits.specs(),
            counting: self.limits.policy(),
            consecutive_offline: config.offline,
            app_keys: config.app_keys.clone(),
            clock_skew_s: config.clock_skew_s,
            blocked_merchant_categories: config.blocked_categories.clone(),
        })
    }

    /// The card's state at `now`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"now"`; `TIME_ZONE_MISSING`.
    pub fn view(&self, now: i64, zones: &TimeZones) -> Result<CardView> {
        Ok(CardView {
            card_id: self.card_id.clone(),
            status: self.status,
            currency: self.config.as_ref().map(|c| c.currency.0.code().to_owned()),
            transaction_counter: self.transaction_counter,
            consecutive_offline: self.consecutive_offline,
            consecutive_offline_limits: self.config.as_ref().and_then(|c| c.offline),
            app_key_ids: self
                .config
                .as_ref()
                .map(|c| c.app_keys.iter().map(|k| k.key_id.clone()).collect())
                .unwrap_or_default(),
            limits: self.limits.status(now, zones)?,
            freshness: self.freshness(),
        })
    }

    fn skew(&self) -> u32 {
        self.config.as_ref().map_or(0, |c| c.clock_skew_s)
    }

    /// Opens an envelope of `T`'s type from `keys` after `last_seq`, then decodes its payload
    /// and checks its card id.
    fn verify<T: SignedPayload>(
        &self,
        bytes: &[u8],
        now: i64,
        keys: &[PublicKey],
        last_seq: Option<u64>,
    ) -> Verified<T> {
        let trusted: Vec<TrustedKey<'_>> = keys
            .iter()
            .map(|k| TrustedKey {
                key_id: &k.key_id,
                alg: k.alg,
                public_key: &k.public_key,
            })
            .collect();
        let params = OpenParams {
            trusted_keys: &trusted,
            now,
            expected_type: T::TYPE,
            last_seq,
            max_clock_skew_s: self.skew(),
        };
        let opened = envelope::open(bytes, &params).map_err(CardCode::from_rejection)?;
        if opened.version != PAYLOAD_VERSION {
            return Err(CardCode::VersionUnsupported);
        }
        let message = T::decode(&opened.payload).ok_or(CardCode::PayloadMalformed)?;
        if message.card_id() != self.card_id {
            return Err(CardCode::WrongCard);
        }
        Ok((opened, message))
    }

    fn update_outcome(
        &self,
        code: CardCode,
        accepted: bool,
        decision: Option<Decision>,
        now: i64,
        zones: &TimeZones,
    ) -> Result<UpdateOutcome> {
        Ok(UpdateOutcome {
            code,
            accepted,
            status: self.status,
            consecutive_offline: self.consecutive_offline,
            decision,
            limits: self.limits.status(now, zones)?,
        })
    }

    fn refused(&self, code: CardCode, now: i64, zones: &TimeZones) -> Result<UpdateOutcome> {
        self.update_outcome(code, false, None, now, zones)
    }

    /// Applies an issuer configuration envelope (`card.config`, signed by the issuer key, with a
    /// sequence number above the last configuration's).
    ///
    /// Limits whose id, measure, currency and window are unchanged keep their usage; their values
    /// (hard, soft, ceiling) are the configuration's. Provisioning makes an unprovisioned card
    /// active; a blocked card stays blocked.
    ///
    /// Codes: `CONFIG_APPLIED`; `MALFORMED`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `WRONG_TYPE`,
    /// `NOT_YET_VALID`, `EXPIRED`, `REPLAYED`, `VERSION_UNSUPPORTED`, `PAYLOAD_MALFORMED`,
    /// `WRONG_CARD`, `CONFIG_INVALID`.
    /// Errors: `INVALID_ARGUMENT` about `"now"`; `TIME_ZONE_MISSING` when a calendar window's
    /// zone is not in `zones` (supply it and apply again).
    pub fn apply_config(
        &mut self,
        bytes: &[u8],
        now: i64,
        zones: &TimeZones,
    ) -> Result<UpdateOutcome> {
        check_time(now, "now")?;
        let issuer = core::slice::from_ref(&self.issuer);
        let (opened, config) = match self.verify::<CardConfig>(bytes, now, issuer, self.config_seq)
        {
            Ok(verified) => verified,
            Err(code) => return self.refused(code, now, zones),
        };
        if config.validate().is_err() {
            return self.refused(CardCode::ConfigInvalid, now, zones);
        }
        let Ok(currency) = Currency::from_code(&config.currency) else {
            return self.refused(CardCode::ConfigInvalid, now, zones);
        };
        // Only a missing zone can fail here (the specs were validated): that is the caller's to fix.
        let limits = self
            .limits
            .reconfigure(&config.limits, config.counting, zones)?;
        let limit_statuses = limits.status(now, zones)?;
        // Commit.
        self.limits = limits;
        self.config = Some(ActiveConfig {
            currency: CurrencyCode(currency),
            app_keys: config.app_keys,
            offline: config.consecutive_offline,
            clock_skew_s: config.clock_skew_s,
            blocked_categories: config.blocked_merchant_categories,
        });
        if self.status == CardStatus::Unprovisioned {
            self.status = CardStatus::Active;
        }
        self.config_seq = Some(opened.seq);
        self.revision = self.revision.saturating_add(1);
        Ok(UpdateOutcome {
            code: CardCode::ConfigApplied,
            accepted: true,
            status: self.status,
            consecutive_offline: self.consecutive_offline,
            decision: None,
            limits: limit_statuses,
        })
    }

    /// Applies a companion-app command envelope (`card.command`, signed by an app key of the
    /// configuration, with a sequence number above the last accepted command's).
    ///
    /// Codes: `COMMAND_APPLIED`; `NOT_PROVISIONED`; the envelope codes as for
    /// [`Card::apply_config`]; `VERSION_UNSUPPORTED`, `PAYLOAD_MALFORMED`, `WRONG_CARD`,
    /// `UNKNOWN_LIMIT`, `VALUE_INVALID`, `ABOVE_CEILING`, `NEGATIVE_RESULT`, `NOT_RESETTABLE`.
    /// Errors: `INVALID_ARGUMENT` about `"now"`; `TIME_ZONE_MISSING`.
    pub fn apply_command(
        &mut self,
        bytes: &[u8],
        now: i64,
        zones: &TimeZones,
    ) -> Result<UpdateOutcome> {
        check_time(now, "now")?;
        let Some(config) = &self.config else {
            return self.refused(CardCode::NotProvisioned, now, zones);
        };
        let (opened, command) =
            match self.verify::<Command>(bytes, now, &config.app_keys, self.command_seq) {
                Ok(verified) => verified,
                Err(code) => return self.refused(code, now, zones),
            };
        // Work on a copy of the limits so that nothing changes unless the command applies.
        let mut limits = self.limits.clone();
        let mut status = self.status;
        let code = match &command.action {
            CommandAction::Set { limit_id, value } => {
                CardCode::from_limits(limits.set_limit(limit_id, value))
            }
            CommandAction::Change { limit_id, delta } => {
                CardCode::from_limits(limits.change_limit(limit_id, delta))
            }
            CommandAction::Reset { limit_id } => {
                CardCode::from_limits(limits.reset_usage(limit_id))
            }
            CommandAction::Block => {
                status = CardStatus::Blocked;
                CardCode::CommandApplied
            }
            CommandAction::Unblock => {
                status = CardStatus::Active;
                CardCode::CommandApplied
            }
        };
        if code != CardCode::CommandApplied {
            return self.refused(code, now, zones);
        }
        let limit_statuses = limits.status(now, zones)?;
        self.limits = limits;
        self.status = status;
        self.command_seq = Some(opened.seq);
        self.revision = self.revision.saturating_add(1);
        Ok(UpdateOutcome {
            code,
            accepted: true,
            status: self.status,
            consecutive_offline: self.consecutive_offline,
            decision: None,
            limits: limit_statuses,
        })
    }

    /// Applies an issuer online result (`card.online-result`, signed by the issuer key, with a
    /// sequence number above the last online result's): approves or declines a transaction that
    /// went online, and/or resets the consecutive-offline counter.
    ///
    /// Codes: `ONLINE_RESULT_APPLIED`; `NOT_PROVISIONED`; the envelope codes;
    /// `VERSION_UNSUPPORTED`, `PAYLOAD_MALFORMED`, `WRONG_CARD`, `UNKNOWN_TRANSACTION`,
    /// `TRANSACTION_NOT_PENDING`. Errors: `INVALID_ARGUMENT` about `"now"`; `TIME_ZONE_MISSING`.
    pub fn apply_online_result(
        &mut self,
        bytes: &[u8],
        now: i64,
        zones: &TimeZones,
    ) -> Result<UpdateOutcome> {
        check_time(now, "now")?;
        if self.config.is_none() {
            return self.refused(CardCode::NotProvisioned, now, zones);
        }
        let issuer = core::slice::from_ref(&self.issuer);
        let (opened, result) =
            match self.verify::<OnlineResult>(bytes, now, issuer, self.online_seq) {
                Ok(verified) => verified,
                Err(code) => return self.refused(code, now, zones),
            };
        let mut limits = self.limits.clone();
        let mut resolved: Option<(usize, DecisionRecord)> = None;
        if let Some(id) = &result.transaction_id {
            let Some(index) = self.decisions.iter().position(|d| &d.id == id) else {
                return self.refused(CardCode::UnknownTransaction, now, zones);
            };
            let Some(record) = self.decisions.get(index) else {
                return self.refused(CardCode::UnknownTransaction, now, zones);
            };
            if record.decision != Decision::GoOnline {
                return self.refused(CardCode::TransactionNotPending, now, zones);
            }
            let mut record = record.clone();
            if result.approve {
                let amount = Amount::from_minor_units(
                    i128::try_from(record.amount).unwrap_or(i128::MAX),
                    record.currency.0,
                )?;
                let usage = Usage {
                    id,
                    amount: &amount,
                    time: record.time,
                };
                // The issuer decided: local thresholds do not apply (Force).
                let check = limits.check(&usage, CheckMode::Force, zones)?;
                if check.is_recordable() {
                    limits.commit(&check)?;
                }
                record.decision = Decision::Approve;
                record.code = CardCode::OnlineApproved;
            } else {
                record.decision = Decision::Decline;
                record.code = CardCode::OnlineDeclined;
            }
            record.limit_id = None;
            resolved = Some((index, record));
        }
        let limit_statuses = limits.status(now, zones)?;
        // Commit.
        self.limits = limits;
        let decision = resolved.as_ref().map(|(_, record)| record.decision);
        if let Some((index, record)) = resolved {
            if let Some(slot) = self.decisions.get_mut(index) {
                *slot = record;
            }
        }
        if result.reset_consecutive_offline {
            self.consecutive_offline = 0;
        }
        self.online_seq = Some(opened.seq);
        self.revision = self.revision.saturating_add(1);
        Ok(UpdateOutcome {
            code: CardCode::OnlineResultApplied,
            accepted: true,
            status: self.status,
            consecutive_offline: self.consecutive_offline,
            decision,
            limits: limit_statuses,
        })
    }

    fn parse_request<'a>(request: &'a AuthorisationRequest) -> Result<Parsed<'a>> {
        limits::check_transaction_id(&request.transaction_id, "transactionId")?;
        let (amount, minor) = parse_amount(&request.amount, &request.currency)?;
        check_time(request.time, "time")?;
        if let Some(mcc) = &request.merchant_category {
            if !payload::merchant_category_ok(mcc) {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "merchantCategory",
                    "must be a 4-digit ISO 18245 code",
                ));
            }
        }
        Ok(Parsed {
            id: &request.transaction_id,
            amount,
            minor,
        })
    }

    /// Decides an authorisation without changing anything: the result, and what to commit.
    fn decide(
        &self,
        request: &AuthorisationRequest,
        zones: &TimeZones,
    ) -> Result<(AuthorisationResult, Option<Plan>)> {
        // Errors about the request name its field under `request` (`request.amount`).
        let parsed = Self::parse_request(request).map_err(|e| e.at("request"))?;
        let time = request.time;
        let currency = parsed.amount.currency();
        let result =
            |decision, code, limit_id: Option<String>, counter, offline, repeated, limits| {
                AuthorisationResult {
                    transaction_id: parsed.id.to_owned(),
                    decision,
                    code,
                    limit_id,
                    transaction_counter: counter,
                    consecutive_offline: offline,
                    repeated,
                    limits,
                }
            };

        // 1. A transaction id already decided.
        if let Some(record) = self.decisions.iter().find(|d| d.id == parsed.id) {
            let statuses = self.limits.status(time, zones)?;
            if record.currency.0 == currency && record.amount == parsed.minor {
                let answer = result(
                    record.decision,
                    record.code,
                    record.limit_id.clone(),
                    record.transaction_counter,
                    self.consecutive_offline,
                    true,
                    statuses,
                );
                return Ok((answer, None));
            }
            let answer = result(
                Decision::Decline,
                CardCode::TransactionIdConflict,
                None,
                self.transaction_counter,
                self.consecutive_offline,
                false,
                statuses,
            );
            return Ok((answer, None));
        }

        // 2. Not provisioned, or no transaction counter left: nothing is recorded.
        let Some(config) = &self.config else {
            let answer = result(
                Decision::Decline,
                CardCode::NotProvisioned,
                None,
                self.transaction_counter,
                self.consecutive_offline,
                false,
                Vec::new(),
            );
            return Ok((answer, None));
        };
        if self.transaction_counter >= TRANSACTION_COUNTER_MAX {
            let answer = result(
                Decision::Decline,
                CardCode::TransactionCounterExhausted,
                None,
                self.transaction_counter,
                self.consecutive_offline,
                false,
                self.limits.status(time, zones)?,
            );
            return Ok((answer, None));
        }

        // 3. The attempt reaches the decision from here on.
        let counter = self.transaction_counter.saturating_add(1);
        let online = request.terminal_online;
        let precheck = if self.status == CardStatus::Blocked {
            Some(CardCode::CardBlocked)
        } else if currency != config.currency.0 {
            Some(CardCode::CurrencyMismatch)
        } else if request
            .merchant_category
            .as_ref()
            .is_some_and(|mcc| config.blocked_categories.contains(mcc))
        {
            Some(CardCode::MerchantCategoryBlocked)
        } else {
            None
        };

        let (decision, code, limit_id, check) = if let Some(code) = precheck {
            (Decision::Decline, code, None, None)
        } else {
            let usage = Usage {
                id: parsed.id,
                amount: &parsed.amount,
                time,
            };
            let check = self.limits.check(&usage, CheckMode::Enforce, zones)?;
            let limit_id = check.limit_id().map(str::to_owned);
            let offline_hard = config
                .offline
                .is_some_and(|o| self.consecutive_offline >= o.hard);
            let offline_soft = config
                .offline
                .is_some_and(|o| self.consecutive_offline >= o.soft);
            let on_or = |otherwise| {
                if online {
                    Decision::GoOnline
                } else {
                    otherwise
                }
            };
            match check.code() {
                limits::Code::AlreadyRecorded => {
                    // The decision was forgotten but the usage is still retained: it was approved.
                    let answer = result(
                        Decision::Approve,
                        CardCode::Approved,
                        None,
                        self.transaction_counter,
                        self.consecutive_offline,
                        true,
                        self.limits.status(time, zones)?,
                    );
                    return Ok((answer, None));
                }
                limits::Code::TransactionIdConflict => {
                    let answer = result(
                        Decision::Decline,
                        CardCode::TransactionIdConflict,
                        None,
                        self.transaction_counter,
                        self.consecutive_offline,
                        false,
                        self.limits.status(time, zones)?,
                    );
                    return Ok((answer, None));
                }
                limits::Code::SoftLimitReached | limits::Code::WithinLimits if offline_hard => (
                    on_or(Decision::Decline),
                    CardCode::ConsecutiveOfflineHardLimit,
                    None,
                    Some(check),
                ),
                limits::Code::SoftLimitReached => (
                    on_or(Decision::Approve),
                    CardCode::SoftLimitReached,
                    limit_id,
                    Some(check),
                ),
                limits::Code::WithinLimits if offline_soft => (
                    on_or(Decision::Approve),
                    CardCode::ConsecutiveOfflineSoftLimit,
                    None,
                    Some(check),
                ),
                limits::Code::WithinLimits => {
                    (Decision::Approve, CardCode::Approved, None, Some(check))
                }
                other => (
                    Decision::Decline,
                    CardCode::from_limits(other),
                    limit_id,
                    Some(check),
                ),
            }
        };

        let approved = decision == Decision::Approve;
        let statuses = match &check {
            Some(check) => self.limits.statuses_for(check, approved)?,
            None => self.limits.status(time, zones)?,
        };
        let consecutive_offline = if approved {
            self.consecutive_offline.saturating_add(1)
        } else {
            self.consecutive_offline
        };
        let record = DecisionRecord {
            id: parsed.id.to_owned(),
            currency: CurrencyCode(currency),
            amount: parsed.minor,
            time,
            decision,
            code,
            limit_id: limit_id.clone(),
            transaction_counter: counter,
        };
        let answer = result(
            decision,
            code,
            limit_id,
            counter,
            consecutive_offline,
            false,
            statuses,
        );
        let plan = Plan {
            check: check.filter(|_| approved),
            record,
            consecutive_offline,
        };
        Ok((answer, Some(plan)))
    }

    /// Applies a plan from [`Card::decide`] on the state it was computed from.
    fn apply_plan(&mut self, plan: Plan) -> Result<()> {
        // The only fallible step comes first, so a failure leaves the card unchanged.
        if let Some(check) = &plan.check {
            self.limits.commit(check)?;
        }
        self.transaction_counter = plan.record.transaction_counter;
        self.consecutive_offline = plan.consecutive_offline;
        if self.decisions.len() >= DECISIONS_RETAINED_MAX {
            self.decisions.remove(0);
        }
        self.decisions.push(plan.record);
        self.revision = self.revision.saturating_add(1);
        Ok(())
    }

    /// Decides a POS authorisation and records the decision (see the module docs for the rules).
    ///
    /// Errors (the card is unchanged): `INVALID_ARGUMENT` about `"request.transactionId"`,
    /// `"request.amount"` (not > 0), `"request.time"` or `"request.merchantCategory"`;
    /// `CURRENCY_UNKNOWN` about `"request.currency"`; `AMOUNT_SYNTAX` / `AMOUNT_PRECISION` /
    /// `AMOUNT_OUT_OF_RANGE` about `"request.amount"`;
    /// `TIME_ZONE_MISSING`.
    pub fn authorise(
        &mut self,
        request: &AuthorisationRequest,
        zones: &TimeZones,
    ) -> Result<AuthorisationResult> {
        let (answer, plan) = self.decide(request, zones)?;
        if let Some(plan) = plan {
            self.apply_plan(plan)?;
        }
        Ok(answer)
    }

    /// What [`Card::authorise`] would answer, without changing anything (the same code path).
    ///
    /// Errors: as [`Card::authorise`].
    pub fn preview(
        &self,
        request: &AuthorisationRequest,
        zones: &TimeZones,
    ) -> Result<AuthorisationResult> {
        self.decide(request, zones).map(|(answer, _)| answer)
    }

    /// The retained decision of `id`, if the card approved it: `Ok(())`, else the refusal code.
    fn approved(&self, id: &str) -> core::result::Result<(), CardCode> {
        if self.config.is_none() {
            return Err(CardCode::NotProvisioned);
        }
        match self.decisions.iter().find(|d| d.id == id) {
            Some(record) if record.decision != Decision::Approve => {
                Err(CardCode::TransactionNotApproved)
            }
            // Approved, or forgotten here (the usage records decide).
            _ => Ok(()),
        }
    }

    fn transaction_outcome(
        &self,
        id: &str,
        outcome: core::result::Result<limits::Outcome, CardCode>,
        time: i64,
        zones: &TimeZones,
    ) -> Result<TransactionOutcome> {
        let (code, repeated) = match outcome {
            Ok(outcome) => (CardCode::from_limits(outcome.code), outcome.repeated),
            Err(code) => (code, false),
        };
        Ok(TransactionOutcome {
            transaction_id: id.to_owned(),
            code,
            repeated,
            limits: self.limits.status(time, zones)?,
        })
    }

    /// Runs a limits operation on a copy and keeps it only when it applied.
    fn settle(
        &mut self,
        id: &str,
        time: i64,
        zones: &TimeZones,
        applied: limits::Code,
        operation: impl FnOnce(&mut Limits) -> Result<limits::Outcome>,
    ) -> Result<TransactionOutcome> {
        if let Err(code) = self.approved(id) {
            return self.transaction_outcome(id, Err(code), time, zones);
        }
        let mut limits = self.limits.clone();
        let outcome = operation(&mut limits)?;
        let statuses = limits.status(time, zones)?;
        if outcome.code == applied && !outcome.repeated {
            self.limits = limits;
            self.revision = self.revision.saturating_add(1);
        }
        Ok(TransactionOutcome {
            transaction_id: id.to_owned(),
            code: CardCode::from_limits(outcome.code),
            repeated: outcome.repeated,
            limits: if outcome.code == applied {
                statuses
            } else {
                self.limits.status(time, zones)?
            },
        })
    }

    /// Reverses an approved transaction per the counting policy (idempotent).
    ///
    /// Codes: `REVERSED` (`repeated` the second time), `NOT_PROVISIONED`, `UNKNOWN_TRANSACTION`,
    /// `TRANSACTION_NOT_APPROVED`, `TRANSACTION_REFUNDED`. Errors: `INVALID_ARGUMENT` about
    /// `"transactionId"` or `"time"`; `TIME_ZONE_MISSING`.
    pub fn reverse(
        &mut self,
        request: &ReversalRequest,
        zones: &TimeZones,
    ) -> Result<TransactionOutcome> {
        limits::check_transaction_id(&request.transaction_id, "transactionId").map_err(|e| e.at("request"))?;
        check_time(request.time, "time").map_err(|e| e.at("request"))?;
        let id = request.transaction_id.as_str();
        self.settle(id, request.time, zones, limits::Code::Reversed, |limits| {
            limits.reverse(id)
        })
    }

    /// Captures an approved transaction (counting on captures: the captured amount counts and
    /// the rest is released).
    ///
    /// Codes: `CAPTURED` (`repeated` for the same amount again), `NOT_PROVISIONED`,
    /// `UNKNOWN_TRANSACTION`, `TRANSACTION_NOT_APPROVED`, `CURRENCY_MISMATCH`,
    /// `TRANSACTION_REVERSED`, `TRANSACTION_REFUNDED`, `CAPTURE_CONFLICT`,
    /// `CAPTURE_EXCEEDS_AUTHORISATION`. Errors: as [`Card::refund`].
    pub fn capture(
        &mut self,
        request: &SettlementRequest,
        zones: &TimeZones,
    ) -> Result<TransactionOutcome> {
        let (id, amount) = Self::parse_settlement(request)?;
        self.settle(id, request.time, zones, limits::Code::Captured, |limits| {
            limits.capture(id, &amount)
        })
    }

    /// Refunds an approved transaction per the counting policy (one refund per transaction).
    ///
    /// Codes: `REFUNDED` (`repeated` for the same amount again), `NOT_PROVISIONED`,
    /// `UNKNOWN_TRANSACTION`, `TRANSACTION_NOT_APPROVED`, `CURRENCY_MISMATCH`,
    /// `TRANSACTION_REVERSED`, `TRANSACTION_NOT_CAPTURED`, `REFUND_CONFLICT`,
    /// `REFUND_EXCEEDS_AMOUNT`. Errors: `INVALID_ARGUMENT` about `"transactionId"`, `"amount"`
    /// (not > 0) or `"time"`; `CURRENCY_UNKNOWN` about `"currency"`; `AMOUNT_*` about
    /// `"amount"`; `TIME_ZONE_MISSING`.
    pub fn refund(
        &mut self,
        request: &SettlementRequest,
        zones: &TimeZones,
    ) -> Result<TransactionOutcome> {
        let (id, amount) = Self::parse_settlement(request)?;
        self.settle(id, request.time, zones, limits::Code::Refunded, |limits| {
            limits.refund(id, &amount)
        })
    }

    /// The id and amount of a settlement request; errors name the field under `request`.
    fn parse_settlement(request: &SettlementRequest) -> Result<(&str, Amount)> {
        let parse = || {
            limits::check_transaction_id(&request.transaction_id, "transactionId")?;
            let (amount, _) = parse_amount(&request.amount, &request.currency)?;
            check_time(request.time, "time")?;
            Ok((request.transaction_id.as_str(), amount))
        };
        parse().map_err(|e: Error| e.at("request"))
    }

    /// The card's state as authenticated bytes (see `snapshot.rs` for the format).
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"` (must be 32 bytes).
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        snapshot::seal(self, snapshot_key)
    }

    /// A card from [`Card::snapshot`] bytes.
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`; `SNAPSHOT_VERSION_UNSUPPORTED` and
    /// `SNAPSHOT_INVALID` (truncated, tampered, wrong key, inconsistent) about `"snapshot"`.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<Card> {
        snapshot::open(bytes, snapshot_key)
    }

    /// Whether a decoded state respects every bound and invariant.
    fn is_consistent(&self) -> bool {
        let config_ok = match (&self.config, self.status) {
            (None, CardStatus::Unprovisioned) => self.limits.is_empty(),
            (Some(config), CardStatus::Active | CardStatus::Blocked) => {
                config.app_keys.len() <= APP_KEYS_MAX
                    && config
                        .app_keys
                        .iter()
                        .all(|k| k.validate("appKeys").is_ok())
                    && config.offline.map_or(true, |o| {
                        o.soft <= o.hard && o.hard <= CONSECUTIVE_OFFLINE_MAX
                    })
                    && config.clock_skew_s <= envelope::CLOCK_SKEW_S_MAX
                    && config.blocked_categories.len() <= MERCHANT_CATEGORIES_MAX
                    && config
                        .blocked_categories
                        .iter()
                        .all(|m| payload::merchant_category_ok(m))
            }
            _ => false,
        };
        payload::card_id_ok(&self.card_id)
            && self.issuer.validate("issuerKey").is_ok()
            && config_ok
            && self.limits.is_consistent()
            && self.transaction_counter <= TRANSACTION_COUNTER_MAX
            && self.decisions.len() <= DECISIONS_RETAINED_MAX
            && self.decisions.iter().all(|d| {
                limits::transaction_id_ok(&d.id)
                    && d.transaction_counter <= self.transaction_counter
            })
    }
}
