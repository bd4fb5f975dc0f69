//! Deterministic CBOR of the card's payloads (layout in `payload.rs`) and of its state (inside
//! snapshots; arrays in field order, absent options as null).

use minicbor::Decoder;

use super::payload::{
    CardConfig, Command, CommandAction, ConsecutiveOffline, OnlineResult, PublicKey,
};
use super::{
    ActiveConfig, Card, CardCode, CardStatus, Decision, DecisionRecord, APP_KEYS_MAX,
    DECISIONS_RETAINED_MAX, MERCHANT_CATEGORIES_MAX,
};
use crate::envelope::Alg;
use crate::limits::cbor::{self, Cbor, Enc, MapReader};
use crate::limits::{CountingPolicy, CurrencyCode, LimitSpec, Limits, LIMITS_PER_SET_MAX};

/// `[keyId, alg (COSE label: -8 EdDSA, -47 ES256K), publicKey bstr]`.
impl Cbor for PublicKey {
    fn encode(&self, e: &mut Enc) {
        e.array(3)
            .str(&self.key_id)
            .i64(self.alg.cose_label())
            .bytes(&self.public_key);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        Some(PublicKey {
            key_id: cbor::string(d)?,
            alg: Alg::from_cose_label(cbor::i64(d)?)?,
            public_key: cbor::bytes(d)?,
        })
    }
}

/// `[soft, hard]`.
impl Cbor for ConsecutiveOffline {
    fn encode(&self, e: &mut Enc) {
        e.array(2)
            .u64(u64::from(self.soft))
            .u64(u64::from(self.hard));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(ConsecutiveOffline {
            soft: cbor::u32(d)?,
            hard: cbor::u32(d)?,
        })
    }
}

impl Cbor for CardConfig {
    fn encode(&self, e: &mut Enc) {
        let present = 7 + u64::from(self.consecutive_offline.is_some());
        e.map(present)
            .u64(0)
            .str(&self.card_id)
            .u64(1)
            .str(&self.currency);
        e.u64(2).list(&self.limits).u64(3);
        self.counting.encode(e);
        e.field(4, self.consecutive_offline.as_ref());
        e.u64(5).list(&self.app_keys);
        e.u64(6).u64(u64::from(self.clock_skew_s));
        e.u64(7).list(&self.blocked_merchant_categories);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let mut map = MapReader::begin(d)?;
        map.want(d, 0)?;
        let card_id = cbor::string(d)?;
        map.want(d, 1)?;
        let currency = cbor::string(d)?;
        map.want(d, 2)?;
        let limits: Vec<LimitSpec> = cbor::list(d, LIMITS_PER_SET_MAX)?;
        map.want(d, 3)?;
        let counting = CountingPolicy::decode(d)?;
        let consecutive_offline = if map.has(d, 4)? {
            Some(ConsecutiveOffline::decode(d)?)
        } else {
            None
        };
        map.want(d, 5)?;
        let app_keys = cbor::list(d, APP_KEYS_MAX)?;
        map.want(d, 6)?;
        let clock_skew_s = cbor::u32(d)?;
        map.want(d, 7)?;
        let blocked_merchant_categories = cbor::list(d, MERCHANT_CATEGORIES_MAX)?;
        map.end()?;
        Some(CardConfig {
            card_id,
            currency,
            limits,
            counting,
            consecutive_offline,
            app_keys,
            clock_skew_s,
            blocked_merchant_categories,
        })
    }
}

/// `[0, limitId, value]` set | `[1, limitId, delta]` change | `[2, limitId]` reset | `[3]` block
/// | `[4]` unblock.
impl Cbor for CommandAction {
    fn encode(&self, e: &mut Enc) {
        match self {
            CommandAction::Set { limit_id, value } => e.array(3).u64(0).str(limit_id).str(value),
            CommandAction::Change { limit_id, delta } => e.array(3).u64(1).str(limit_id).str(delta),
            CommandAction::Reset { limit_id } => e.array(2).u64(2).str(limit_id),
            CommandAction::Block => e.array(1).u64(3),
            CommandAction::Unblock => e.array(1).u64(4),
        };
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let len = cbor::array_len(d)?;
        Some(match (cbor::u8(d)?, len) {
            (0, 3) => CommandAction::Set {
                limit_id: cbor::string(d)?,
                value: cbor::string(d)?,
            },
            (1, 3) => CommandAction::Change {
                limit_id: cbor::string(d)?,
                delta: cbor::string(d)?,
            },
            (2, 2) => CommandAction::Reset {
                limit_id: cbor::string(d)?,
            },
            (3, 1) => CommandAction::Block,
            (4, 1) => CommandAction::Unblock,
            _ => return None,
        })
    }
}

impl Cbor for Command {
    fn encode(&self, e: &mut Enc) {
        e.map(2).u64(0).str(&self.card_id).u64(1);
        self.action.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let mut map = MapReader::begin(d)?;
        map.want(d, 0)?;
        let card_id = cbor::string(d)?;
        map.want(d, 1)?;
        let action = CommandAction::decode(d)?;
        map.end()?;
        Some(Command { card_id, action })
    }
}

impl Cbor for OnlineResult {
    fn encode(&self, e: &mut Enc) {
        let present = 3 + u64::from(self.transaction_id.is_some());
        e.map(present)
            .u64(0)
            .str(&self.card_id)
            .field(1, self.transaction_id.as_ref());
        e.u64(2)
            .bool(self.approve)
            .u64(3)
            .bool(self.reset_consecutive_offline);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let mut map = MapReader::begin(d)?;
        map.want(d, 0)?;
        let card_id = cbor::string(d)?;
        let transaction_id = if map.has(d, 1)? {
            Some(cbor::string(d)?)
        } else {
            None
        };
        map.want(d, 2)?;
        let approve = cbor::bool(d)?;
        map.want(d, 3)?;
        let reset_consecutive_offline = cbor::bool(d)?;
        map.end()?;
        Some(OnlineResult {
            card_id,
            transaction_id,
            approve,
            reset_consecutive_offline,
        })
    }
}

impl Cbor for CardStatus {
    fn encode(&self, e: &mut Enc) {
        e.u64(match self {
            CardStatus::Unprovisioned => 0,
            CardStatus::Active => 1,
            CardStatus::Blocked => 2,
        });
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(match cbor::u8(d)? {
            0 => CardStatus::Unprovisioned,
            1 => CardStatus::Active,
            2 => CardStatus::Blocked,
            _ => return None,
        })
    }
}

impl Cbor for Decision {
    fn encode(&self, e: &mut Enc) {
        e.u64(match self {
            Decision::Approve => 0,
            Decision::Decline => 1,
            Decision::GoOnline => 2,
        });
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(match cbor::u8(d)? {
            0 => Decision::Approve,
            1 => Decision::Decline,
            2 => Decision::GoOnline,
            _ => return None,
        })
    }
}

/// Stored by its string, so that reordering the list never changes a snapshot's meaning.
impl Cbor for CardCode {
    fn encode(&self, e: &mut Enc) {
        e.str(self.as_str());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        CardCode::from_name(d.str().ok()?)
    }
}

impl Cbor for ActiveConfig {
    fn encode(&self, e: &mut Enc) {
        e.array(5);
        self.currency.encode(e);
        e.list(&self.app_keys).opt(self.offline.as_ref());
        e.u64(u64::from(self.clock_skew_s))
            .list(&self.blocked_categories);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(ActiveConfig {
            currency: CurrencyCode::decode(d)?,
            app_keys: cbor::list(d, APP_KEYS_MAX)?,
            offline: cbor::opt(d)?,
            clock_skew_s: cbor::u32(d)?,
            blocked_categories: cbor::list(d, MERCHANT_CATEGORIES_MAX)?,
        })
    }
}

impl Cbor for DecisionRecord {
    fn encode(&self, e: &mut Enc) {
        e.array(8).str(&self.id);
        self.currency.encode(e);
        e.u128(self.amount).i64(self.time);
        self.decision.encode(e);
        self.code.encode(e);
        e.opt(self.limit_id.as_ref()).u64(self.transaction_counter);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 8)?;
        Some(DecisionRecord {
            id: cbor::string(d)?,
            currency: CurrencyCode::decode(d)?,
            amount: cbor::u128(d)?,
            time: cbor::i64(d)?,
            decision: Decision::decode(d)?,
            code: CardCode::decode(d)?,
            limit_id: cbor::opt(d)?,
            transaction_counter: cbor::u64(d)?,
        })
    }
}

/// `[cardId, issuer, status, config / null, limits, configSeq / null, commandSeq / null,
/// onlineSeq / null, transactionCounter, consecutiveOffline, decisions, revision]`.
impl Cbor for Card {
    fn encode(&self, e: &mut Enc) {
        e.array(12).str(&self.card_id);
        self.issuer.encode(e);
        self.status.encode(e);
        e.opt(self.config.as_ref());
        self.limits.encode(e);
        e.opt(self.config_seq.as_ref())
            .opt(self.command_seq.as_ref())
            .opt(self.online_seq.as_ref())
            .u64(self.transaction_counter)
            .u64(u64::from(self.consecutive_offline))
            .list(&self.decisions)
            .u64(self.revision);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 12)?;
        Some(Card {
            card_id: cbor::string(d)?,
            issuer: PublicKey::decode(d)?,
            status: CardStatus::decode(d)?,
            config: cbor::opt(d)?,
            limits: Limits::decode(d)?,
            config_seq: cbor::opt(d)?,
            command_seq: cbor::opt(d)?,
            online_seq: cbor::opt(d)?,
            transaction_counter: cbor::u64(d)?,
            consecutive_offline: cbor::u32(d)?,
            decisions: cbor::list(d, DECISIONS_RETAINED_MAX)?,
            revision: cbor::u64(d)?,
        })
    }
}
