//! The phone: seals tokens within its offline allowance, settles them from receipts.

use minicbor::Decoder;
use serde::{Deserialize, Serialize};

use super::codes::RelayCode;
use super::messages::{
    check_id, ReceiptPayload, TokenPayload, NONCE_BYTES_MAX, NONCE_BYTES_MIN, PAYLOAD_VERSION,
    RECEIPT_TYPE, TOKEN_TTL_S_MAX, TOKEN_TYPE,
};
use crate::crypto::sha256;
use crate::envelope::{self, OpenParams, SealParams, Signer, TrustedKey};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::cbor::{self, Cbor, Enc};
use crate::limits::{self, CheckMode, LimitSpec, Limits, TimeZones, Usage};
use crate::money::{Amount, Currency};
use crate::snapshot::{self, SnapshotKind};

/// The most tokens a phone keeps unanswered (half the allowance's retained records, so a
/// reservation is forgotten only in the case the module docs describe).
pub const OUTSTANDING_TOKENS_MAX: usize = 32;
/// The most settled tokens a phone remembers, to answer a receipt delivered twice with
/// `ALREADY_SETTLED` (older ones are `UNKNOWN_TOKEN`: nothing changes either way).
pub const SETTLED_KEPT_MAX: usize = 32;
/// The largest device counter: 2^53 − 1, exact as a JavaScript number.
pub const COUNTER_MAX: u64 = (1 << 53) - 1;
/// The largest phone snapshot, bytes.
pub const PHONE_SNAPSHOT_BYTES_MAX: usize = 256 * 1024;
/// The clock skew the phone allows a receipt's `iat`, seconds (the receipt's `iat` is the
/// token's, from the phone's own clock, so only a phone clock set back matters).
const RECEIPT_CLOCK_SKEW_S: u32 = 86_400;

const PHONE_SNAPSHOT: SnapshotKind = SnapshotKind {
    type_name: "countersign.relay.phone",
    version: 1,
    bytes_max: PHONE_SNAPSHOT_BYTES_MAX,
};

/// A phone's configuration.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "relay.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PhoneConfig {
    /// The device id: the key id of its tokens, 1..=32 bytes of `[A-Za-z0-9._-]`.
    pub device_id: String,
    /// The offline allowance, e.g. a per-token cap (`perTransaction`), a cumulative amount and
    /// a count of outstanding tokens (`lifetime`). Calendar windows in `UTC` only (the phone
    /// takes no time-zone data).
    pub allowance: Vec<LimitSpec>,
}

/// What to pay: the input of [`PaymentPhone::seal`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "relay.ts", rename = "SealRequestWire"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SealRequest {
    /// Who is paid.
    pub payee: String,
    /// Decimal string, > 0, e.g. `"4.50"`.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// 8..=16 random bytes, hex (the SDK draws them).
    pub nonce: String,
    /// Unix seconds (the token's `iat`).
    pub now: i64,
    /// How long the token is valid, 1..=TOKEN_TTL_S_MAX seconds.
    pub ttl_s: i64,
}

/// The answer of [`PaymentPhone::seal`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "relay.ts", rename = "SealOutcomeWire"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SealOutcome {
    /// `SEALED`, `OUTSTANDING_FULL`, `COUNTER_EXHAUSTED` or `ALLOWANCE_EXCEEDED`.
    pub code: RelayCode,
    /// The token's counter (when sealed).
    pub counter: Option<u64>,
    /// SHA-256 of the token, hex (when sealed).
    pub token_hash: Option<String>,
    /// The allowance's verdict (when checked).
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::limits::Code>"))]
    pub limits_code: Option<limits::Code>,
    /// The limit that decided a refusal.
    pub limit_id: Option<String>,
    /// The token envelope (the adapter passes it as bytes).
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub token: Option<Vec<u8>>,
}

/// Where a token stands, in plain language.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "relay.ts", rename = "TokenStateKind"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenState {
    /// Sealed; no answer delivered yet ("answer not yet delivered").
    Awaiting,
    /// The server refused it with `code` (reported by the relay, or a not-final receipt); still
    /// outstanding.
    Refused,
    /// A receipt settled it: `code` is `APPROVED` or the decline.
    Settled,
}

/// A token as the phone sees it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "relay.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// The device counter.
    pub counter: u64,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// The state.
    pub state: TokenState,
    /// The refusal or the settling answer.
    pub code: Option<RelayCode>,
    /// Payee (outstanding tokens only; empty for settled ones, which keep only their answer).
    pub payee: String,
    /// Amount (outstanding tokens only).
    pub amount: String,
    /// Currency (outstanding tokens only).
    pub currency: String,
    /// Expiry, Unix seconds (outstanding tokens only; 0 for settled ones).
    pub expires_at: i64,
}

/// The answer of [`PaymentPhone::accept_receipt`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "relay.ts", rename = "ReceiptOutcome"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptOutcome {
    /// `SETTLED`, `ANSWER_NOT_FINAL`, `ALREADY_SETTLED`, `UNKNOWN_TOKEN`, `RECEIPT_MISMATCH`,
    /// or an envelope / payload refusal.
    pub code: RelayCode,
    /// The server's answer in the receipt (when authentic).
    pub decision: Option<RelayCode>,
    /// The token's counter (when the receipt names one of this phone's tokens).
    pub counter: Option<u64>,
    /// The ledger code in the receipt.
    pub ledger_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outstanding {
    counter: u64,
    hash: [u8; 32],
    payee: String,
    amount: String,
    currency: String,
    expires_at: i64,
    refusal: Option<RelayCode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SettledToken {
    counter: u64,
    hash: [u8; 32],
    code: RelayCode,
}

/// The phone (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPhone {
    device_id: String,
    next_counter: u64,
    allowance: Limits,
    outstanding: Vec<Outstanding>,
    settled: Vec<SettledToken>,
    /// Changes so far (seal, settle, refusal noted): only grows, so a store can refuse an older
    /// snapshot (a rolled-back phone would sign a counter again).
    revision: u64,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            out.push(char::from(*DIGITS.get(usize::from(nibble)).unwrap_or(&b'0')));
        }
    }
    out
}

fn unhex(text: &str, param: &'static str) -> Result<Vec<u8>> {
    let bad = || Error::new(ErrorCode::InvalidArgument, param, format!("{param} must be lowercase hex"));
    if text.len() % 2 != 0 {
        return Err(bad());
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some((digit(*hi)? << 4) | digit(*lo)?),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)
}

fn invalid(param: &'static str, message: String) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

fn receipt_outcome(code: RelayCode) -> ReceiptOutcome {
    ReceiptOutcome {
        code,
        decision: None,
        counter: None,
        ledger_code: None,
    }
}

impl PaymentPhone {
    /// A phone with counter 1 next and an empty allowance usage.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"deviceId"`; the limits' errors about `"allowance"`.
    pub fn new(config: &PhoneConfig) -> Result<PaymentPhone> {
        check_id(&config.device_id, "deviceId")?;
        let allowance = Limits::new(&config.allowance, limits::CountingPolicy::default(), &TimeZones::new())
            .map_err(|e| e.at("allowance"))?;
        Ok(PaymentPhone {
            device_id: config.device_id.clone(),
            next_counter: 1,
            allowance,
            outstanding: Vec::new(),
            settled: Vec::new(),
            revision: 0,
        })
    }

    /// The device id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// How many changes this phone has made (only grows).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The counter the next token gets.
    pub fn next_counter(&self) -> u64 {
        self.next_counter
    }

    /// The allowance's limits at `now` (used and remaining).
    ///
    /// Errors: `INVALID_ARGUMENT` about `"now"`.
    pub fn allowance(&self, now: i64) -> Result<Vec<limits::LimitStatus>> {
        self.allowance.status(now, &TimeZones::new())
    }

    /// The request's fields, checked (errors name the field; the caller puts them under `request`).
    fn check_request(request: &SealRequest) -> Result<(&'static Currency, Amount, Vec<u8>)> {
        check_id(&request.payee, "payee")?;
        let currency = Currency::from_code(&request.currency)?;
        let amount = Amount::parse(&request.amount, currency, None)?;
        if amount.is_zero() || amount.is_negative() {
            return Err(Error::new(ErrorCode::AmountOutOfRange, "amount", "amount must be greater than zero"));
        }
        let nonce = unhex(&request.nonce, "nonce")?;
        if !(NONCE_BYTES_MIN..=NONCE_BYTES_MAX).contains(&nonce.len()) {
            return Err(invalid("nonce", format!("nonce must be {NONCE_BYTES_MIN}..={NONCE_BYTES_MAX} bytes")));
        }
        limits::check_time(request.now, "now")?;
        if !(1..=TOKEN_TTL_S_MAX).contains(&request.ttl_s) {
            return Err(invalid("ttlS", format!("ttlS must be 1..={TOKEN_TTL_S_MAX} seconds")));
        }
        Ok((currency, amount, nonce))
    }

    /// Seals a token (check order in the module docs). Nothing changes unless the code is
    /// `SEALED`.
    ///
    /// Errors (checked first, nothing changes): `INVALID_ARGUMENT` about `"request.payee"`,
    /// `"request.nonce"`, `"request.ttlS"`, `"request.now"`; `CURRENCY_UNKNOWN` about
    /// `"request.currency"`; `AMOUNT_*` about `"request.amount"`
    /// (also a zero or negative amount); the signer's errors; `INVALID_ARGUMENT` about `"keyId"`
    /// when the signer's key id is not the device id.
    pub fn seal(&mut self, request: &SealRequest, signer: &Signer<'_>) -> Result<SealOutcome> {
        let (currency, amount, nonce) = Self::check_request(request).map_err(|e| e.at("request"))?;
        signer.check()?;
        if signer.key_id != self.device_id {
            return Err(invalid("keyId", "the signer's keyId must be the device id".to_owned()));
        }
        let refused = |code| SealOutcome {
            code,
            counter: None,
            token_hash: None,
            limits_code: None,
            limit_id: None,
            token: None,
        };
        if self.outstanding.len() >= OUTSTANDING_TOKENS_MAX {
            return Ok(refused(RelayCode::OutstandingFull));
        }
        let counter = self.next_counter;
        if counter > COUNTER_MAX {
            return Ok(refused(RelayCode::CounterExhausted));
        }
        let usage_id = format!("t{counter}");
        let zones = TimeZones::new();
        let check = self.allowance.check(
            &Usage { id: &usage_id, amount: &amount, time: request.now },
            CheckMode::Enforce,
            &zones,
        )?;
        if !check.is_recordable() {
            return Ok(SealOutcome {
                limits_code: Some(check.code()),
                limit_id: check.limit_id().map(str::to_owned),
                ..refused(RelayCode::AllowanceExceeded)
            });
        }
        // Canonical amount text, so the server and the phone read the same string.
        let payload = TokenPayload {
            payee: request.payee.clone(),
            amount: amount.to_string(),
            currency: currency.code().to_owned(),
            nonce,
        };
        let expires_at = request.now.saturating_add(request.ttl_s);
        let token = envelope::seal(&SealParams {
            alg: signer.alg,
            secret_key: signer.secret_key,
            key_id: signer.key_id,
            msg_type: TOKEN_TYPE,
            version: PAYLOAD_VERSION,
            seq: counter,
            issued_at: request.now,
            expires_at,
            payload: &cbor::to_vec(&payload),
        })?;
        // Nothing can fail from here on: the token exists, so the allowance counts it.
        self.allowance.commit(&check)?;
        let hash = sha256(&token);
        self.outstanding.push(Outstanding {
            counter,
            hash,
            payee: payload.payee,
            amount: payload.amount,
            currency: payload.currency,
            expires_at,
            refusal: None,
        });
        self.next_counter = counter.saturating_add(1);
        self.revision = self.revision.saturating_add(1);
        Ok(SealOutcome {
            code: RelayCode::Sealed,
            counter: Some(counter),
            token_hash: Some(hex(&hash)),
            limits_code: Some(check.code()),
            limit_id: check.limit_id().map(str::to_owned),
            token: Some(token),
        })
    }

    /// Verifies a receipt offline and settles its token (check order in the module docs).
    /// Nothing changes unless the code is `SETTLED` or `ANSWER_NOT_FINAL`.
    ///
    /// Errors: `envelope::validate_open_params`' errors about the server key; `INVALID_ARGUMENT`
    /// about `"now"`.
    pub fn accept_receipt(
        &mut self,
        receipt: &[u8],
        server_key: &TrustedKey<'_>,
        now: i64,
    ) -> Result<ReceiptOutcome> {
        limits::check_time(now, "now")?;
        let opened = envelope::open_checked(
            receipt,
            &OpenParams {
                trusted_keys: core::slice::from_ref(server_key),
                now,
                expected_type: RECEIPT_TYPE,
                last_seq: None,
                max_clock_skew_s: RECEIPT_CLOCK_SKEW_S,
            },
        )?;
        let opened = match opened {
            Ok(opened) => opened,
            Err(rejection) => return Ok(receipt_outcome(RelayCode::from_rejection(rejection))),
        };
        if opened.version != PAYLOAD_VERSION {
            return Ok(receipt_outcome(RelayCode::VersionUnsupported));
        }
        let Some(payload) = cbor::from_slice::<ReceiptPayload>(&opened.payload) else {
            return Ok(receipt_outcome(RelayCode::PayloadMalformed));
        };
        let answered = ReceiptOutcome {
            code: RelayCode::Settled,
            decision: Some(payload.code),
            counter: Some(payload.counter),
            ledger_code: payload.ledger_code.clone(),
        };
        let Some(index) = self.outstanding.iter().position(|t| t.hash == payload.token_hash) else {
            let code = if self.settled.iter().any(|t| t.hash == payload.token_hash) {
                RelayCode::AlreadySettled
            } else {
                RelayCode::UnknownToken
            };
            return Ok(ReceiptOutcome { code, ..answered });
        };
        let Some(token) = self.outstanding.get_mut(index) else {
            return Ok(receipt_outcome(RelayCode::UnknownToken));
        };
        if payload.device_id != self.device_id
            || payload.counter != token.counter
            || opened.seq != token.counter
        {
            return Ok(ReceiptOutcome { code: RelayCode::ReceiptMismatch, ..answered });
        }
        if !payload.code.is_final() {
            token.refusal = Some(payload.code);
            self.revision = self.revision.saturating_add(1);
            return Ok(ReceiptOutcome { code: RelayCode::AnswerNotFinal, ..answered });
        }
        // Final: approved (the server holds the payment) or declined (nothing was paid); in
        // both cases the offline promise is over and its reservation goes back. A record the
        // allowance already forgot stays counted (conservative, module docs).
        let _ = self.allowance.reverse(&format!("t{}", token.counter))?;
        let settled = SettledToken {
            counter: token.counter,
            hash: token.hash,
            code: payload.code,
        };
        self.outstanding.remove(index);
        if self.settled.len() >= SETTLED_KEPT_MAX {
            self.settled.remove(0);
        }
        self.settled.push(settled);
        self.revision = self.revision.saturating_add(1);
        Ok(answered)
    }

    /// Records what the relay reported for a token the server refused without a receipt
    /// (`MALFORMED`, `UNKNOWN_KEY`, `BAD_SIGNATURE`, `WRONG_TYPE`, `VERSION_UNSUPPORTED`,
    /// `PAYLOAD_MALFORMED`): unsigned, so it only changes the token's plain-language state; the
    /// token stays outstanding. Returns whether a token has this hash.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"tokenHash"` (not 64 hex digits) or `"code"` (not one of
    /// those codes).
    pub fn note_refusal(&mut self, token_hash: &str, code: RelayCode) -> Result<bool> {
        let hash = unhex(token_hash, "tokenHash")?;
        if hash.len() != 32 {
            return Err(invalid("tokenHash", "tokenHash must be 32 bytes".to_owned()));
        }
        if code.has_receipt() || !matches!(
            code,
            RelayCode::Malformed
                | RelayCode::UnknownKey
                | RelayCode::BadSignature
                | RelayCode::WrongType
                | RelayCode::VersionUnsupported
                | RelayCode::PayloadMalformed
        ) {
            return Err(invalid("code", format!("{code} is not a refusal without a receipt")));
        }
        match self.outstanding.iter_mut().find(|t| t.hash.as_slice() == hash.as_slice()) {
            Some(token) => {
                token.refusal = Some(code);
                self.revision = self.revision.saturating_add(1);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Every outstanding token, then the settled ones the phone remembers (oldest first).
    pub fn tokens(&self) -> Vec<TokenView> {
        let open = self.outstanding.iter().map(|t| TokenView {
            counter: t.counter,
            token_hash: hex(&t.hash),
            state: if t.refusal.is_some() { TokenState::Refused } else { TokenState::Awaiting },
            code: t.refusal,
            payee: t.payee.clone(),
            amount: t.amount.clone(),
            currency: t.currency.clone(),
            expires_at: t.expires_at,
        });
        let done = self.settled.iter().map(|t| TokenView {
            counter: t.counter,
            token_hash: hex(&t.hash),
            state: TokenState::Settled,
            code: Some(t.code),
            payee: String::new(),
            amount: String::new(),
            currency: String::new(),
            expires_at: 0,
        });
        open.chain(done).collect()
    }

    /// The authenticated snapshot of the whole phone state.
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        snapshot::seal(&PHONE_SNAPSHOT, &cbor::to_vec(self), snapshot_key)
    }

    /// Restores a phone from [`PaymentPhone::snapshot`].
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`; `SNAPSHOT_INVALID`,
    /// `SNAPSHOT_VERSION_UNSUPPORTED` about `"snapshot"`.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<PaymentPhone> {
        let body = snapshot::open(&PHONE_SNAPSHOT, bytes, snapshot_key)?;
        cbor::from_slice::<PaymentPhone>(body)
            .filter(PaymentPhone::consistent)
            .ok_or_else(|| snapshot::invalid("not a canonical relay phone state"))
    }

    /// The invariants a restored state must keep.
    fn consistent(&self) -> bool {
        super::messages::id_ok(&self.device_id)
            && (1..=COUNTER_MAX.saturating_add(1)).contains(&self.next_counter)
            && self.outstanding.len() <= OUTSTANDING_TOKENS_MAX
            && self.settled.len() <= SETTLED_KEPT_MAX
            && self.outstanding.iter().all(|t| t.counter < self.next_counter)
            && self.outstanding.windows(2).all(|w| matches!(w, [a, b] if a.counter < b.counter))
    }
}

impl Cbor for Outstanding {
    fn encode(&self, e: &mut Enc) {
        e.array(7)
            .u64(self.counter)
            .bytes(&self.hash)
            .str(&self.payee)
            .str(&self.amount)
            .str(&self.currency)
            .i64(self.expires_at);
        match self.refusal {
            Some(code) => e.str(code.as_str()),
            None => e.null(),
        };
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 7)?;
        Some(Outstanding {
            counter: cbor::u64(d)?,
            hash: cbor::bytes(d)?.try_into().ok()?,
            payee: cbor::string(d)?,
            amount: cbor::string(d)?,
            currency: cbor::string(d)?,
            expires_at: cbor::i64(d)?,
            refusal: match cbor::opt::<String>(d)? {
                Some(name) => Some(RelayCode::from_name(&name)?),
                None => None,
            },
        })
    }
}

impl Cbor for SettledToken {
    fn encode(&self, e: &mut Enc) {
        e.array(3).u64(self.counter).bytes(&self.hash).str(self.code.as_str());
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        Some(SettledToken {
            counter: cbor::u64(d)?,
            hash: cbor::bytes(d)?.try_into().ok()?,
            code: RelayCode::from_name(&cbor::string(d)?)?,
        })
    }
}

/// `[deviceId, nextCounter, allowance, [* outstanding], [* settled], revision]`.
impl Cbor for PaymentPhone {
    fn encode(&self, e: &mut Enc) {
        e.array(6).str(&self.device_id).u64(self.next_counter);
        self.allowance.encode(e);
        e.list(&self.outstanding).list(&self.settled).u64(self.revision);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 6)?;
        Some(PaymentPhone {
            device_id: cbor::string(d)?,
            next_counter: cbor::u64(d)?,
            allowance: Limits::decode(d)?,
            outstanding: cbor::list(d, OUTSTANDING_TOKENS_MAX)?,
            settled: cbor::list(d, SETTLED_KEPT_MAX)?,
            revision: cbor::u64(d)?,
        })
    }
}
