//! The token server: device keys, counter windows, server-side limits, the ledger, receipts.

use minicbor::Decoder;
use serde::Serialize;

use super::codes::RelayCode;
use super::messages::{
    check_id, peek, ReceiptPayload, TokenPayload, PAYLOAD_VERSION, RECEIPT_TTL_S, RECEIPT_TYPE,
    TOKEN_TYPE,
};
use super::phone::hex;
use crate::crypto::sha256;
use crate::envelope::{self, Alg, OpenParams, Rejection, SealParams, Signer, TrustedKey};
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{
    AccountKind, JournalEntry, Ledger, LedgerCode, OpenAccountRequest, Outcome, TransferRequest,
};
use crate::limits::cbor::{self, Cbor, Enc};
use crate::limits::{self, CheckMode, LimitSpec, Limits, TimeZones, Usage};
use crate::money::{Amount, Currency};
use crate::snapshot::{self, SnapshotKind};

/// The most registered devices.
pub const DEVICES_MAX: usize = 64;
/// The most payees.
pub const PAYEES_MAX: usize = 64;
/// How many counters below a device's highest the server still answers from memory: a token
/// queued on a relay may arrive after up to this many later tokens of the same phone.
pub const COUNTER_WINDOW: u64 = 32;
/// The clock skew allowed on a token's `iat`, seconds (a phone's clock running ahead).
pub const SERVER_CLOCK_SKEW_S: u32 = 300;
/// The ledger account money comes from when a device's wallet is funded.
pub const ISSUER_ACCOUNT: &str = "issuer";
/// The largest server snapshot, bytes (64 devices × 32 receipts of ~260 bytes, the ledger's).
pub const SERVER_SNAPSHOT_BYTES_MAX: usize = 16 * 1024 * 1024;

const SERVER_SNAPSHOT: SnapshotKind = SnapshotKind {
    type_name: "countersign.relay.server",
    version: 1,
    bytes_max: SERVER_SNAPSHOT_BYTES_MAX,
};

/// The server's answer to a token.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "relay.ts", rename = "ServerReplyWire"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerReply {
    /// The decision or refusal (module docs, check order).
    pub code: RelayCode,
    /// True when this is a stored answer given again (the same receipt bytes).
    pub replayed: bool,
    /// The device (when the token was authentic).
    pub device_id: Option<String>,
    /// The token's counter (when authentic).
    pub counter: Option<u64>,
    /// SHA-256 of the token bytes, hex.
    pub token_hash: String,
    /// The ledger's code when the ledger refused.
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::ledger::LedgerCode>"))]
    pub ledger_code: Option<String>,
    /// The limits code when the device's server-side limits refused.
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::limits::Code>"))]
    pub limits_code: Option<limits::Code>,
    /// The limit that refused.
    pub limit_id: Option<String>,
    /// The signed receipt (none for an unauthenticated refusal; the adapter passes bytes).
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub receipt: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    counter: u64,
    token_hash: [u8; 32],
    code: RelayCode,
    receipt: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Device {
    device_id: String,
    alg: Alg,
    public_key: Vec<u8>,
    limits: Limits,
    highest: u64,
    /// Answers of counters in `(highest − COUNTER_WINDOW, highest]`, ascending.
    answers: Vec<Answer>,
}

/// The token server (see the module docs).
#[derive(Debug, Clone)]
pub struct TokenServer {
    currency: &'static Currency,
    devices: Vec<Device>,
    payees: Vec<String>,
    ledger: Ledger,
    /// Changes so far (device, payee, funding, stored answer): only grows, so a store can refuse
    /// an older snapshot (a rolled-back server would answer a counter twice).
    revision: u64,
}

fn wallet_account(device_id: &str) -> String {
    format!("d/{device_id}")
}

fn payee_account(payee: &str) -> String {
    format!("p/{payee}")
}

/// What the decision step adds to a receipt-bearing answer.
struct Decision {
    code: RelayCode,
    ledger_code: Option<String>,
    limits_code: Option<limits::Code>,
    limit_id: Option<String>,
}

impl Decision {
    fn plain(code: RelayCode) -> Decision {
        Decision { code, ledger_code: None, limits_code: None, limit_id: None }
    }
}

impl TokenServer {
    /// A server in `currency` with an empty ledger holding the issuer account.
    ///
    /// Errors: `CURRENCY_UNKNOWN` about `"currency"`; `INVALID_ARGUMENT` about `"now"`.
    pub fn new(currency: &str, now: i64) -> Result<TokenServer> {
        let currency = Currency::from_code(currency)?;
        limits::check_time(now, "now")?;
        let mut ledger = Ledger::new();
        ledger.open_account(&OpenAccountRequest {
            idempotency_key: "r1".to_owned(),
            now,
            account_id: ISSUER_ACCOUNT.to_owned(),
            currency: currency.code().to_owned(),
            kind: AccountKind::Unrestricted,
            credit_limit: None,
        })?;
        Ok(TokenServer { currency, devices: Vec::new(), payees: Vec::new(), ledger, revision: 0 })
    }

    /// The server's currency.
    pub fn currency(&self) -> &str {
        self.currency.code()
    }

    /// How many changes this server has made (only grows).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The ledger (read-only: every change goes through the server).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_key(&self) -> String {
        format!("r{}", self.ledger.head().seq.saturating_add(1))
    }

    fn open_account(&mut self, account_id: String, now: i64) -> Result<LedgerCode> {
        self.revision = self.revision.saturating_add(1);
        let outcome = self.ledger.open_account(&OpenAccountRequest {
            idempotency_key: self.ledger_key(),
            now,
            account_id,
            currency: self.currency.code().to_owned(),
            kind: AccountKind::NonNegative,
            credit_limit: None,
        })?;
        Ok(outcome.code)
    }

    /// Registers a device: its public key (Ed25519, 32 bytes) and its server-side limits, and
    /// opens its wallet (`d/<deviceId>`). Registering a known device again is an error (its
    /// counter window must not restart).
    ///
    /// Errors: `INVALID_ARGUMENT` about `"deviceId"` (syntax, or already registered);
    /// `KEY_INVALID` about `"publicKey"`; the limits' errors about `"limits"`; `LIMIT_EXCEEDED`
    /// about `"devices"`; `INVALID_ARGUMENT` about `"now"`.
    pub fn register_device(
        &mut self,
        device_id: &str,
        public_key: &[u8],
        limit_specs: &[LimitSpec],
        now: i64,
    ) -> Result<LedgerCode> {
        check_id(device_id, "deviceId")?;
        limits::check_time(now, "now")?;
        envelope::validate_open_params(&OpenParams {
            trusted_keys: &[TrustedKey { key_id: device_id, alg: Alg::EdDSA, public_key }],
            now,
            expected_type: TOKEN_TYPE,
            last_seq: None,
            max_clock_skew_s: SERVER_CLOCK_SKEW_S,
        })
        .map_err(|e| Error::new(e.code(), "publicKey", e.message().to_owned()))?;
        let limits = Limits::new(limit_specs, limits::CountingPolicy::default(), &TimeZones::new())
            .map_err(|e| e.at("limits"))?;
        if self.devices.iter().any(|d| d.device_id == device_id) {
            return Err(Error::new(ErrorCode::InvalidArgument, "deviceId", "the device is already registered"));
        }
        if self.devices.len() >= DEVICES_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "devices", format!("at most {DEVICES_MAX} devices")));
        }
        let code = self.open_account(wallet_account(device_id), now)?;
        if code != LedgerCode::AccountOpened {
            return Ok(code);
        }
        self.devices.push(Device {
            device_id: device_id.to_owned(),
            alg: Alg::EdDSA,
            public_key: public_key.to_vec(),
            limits,
            highest: 0,
            answers: Vec::new(),
        });
        Ok(code)
    }

    /// Adds a payee (opens `p/<payee>`); a known payee is `ACCOUNT_EXISTS`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"payee"` or `"now"`; `LIMIT_EXCEEDED` about `"payees"`.
    pub fn add_payee(&mut self, payee: &str, now: i64) -> Result<LedgerCode> {
        check_id(payee, "payee")?;
        limits::check_time(now, "now")?;
        if self.payees.iter().any(|p| p == payee) {
            return Ok(LedgerCode::AccountExists);
        }
        if self.payees.len() >= PAYEES_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "payees", format!("at most {PAYEES_MAX} payees")));
        }
        let code = self.open_account(payee_account(payee), now)?;
        if code == LedgerCode::AccountOpened {
            self.payees.push(payee.to_owned());
        }
        Ok(code)
    }

    /// Funds a device's wallet from the issuer account.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"deviceId"` (unknown) or `"now"`; `AMOUNT_*` about
    /// `"amount"`.
    pub fn fund(&mut self, device_id: &str, amount: &str, now: i64) -> Result<Outcome> {
        check_id(device_id, "deviceId")?;
        limits::check_time(now, "now")?;
        if !self.devices.iter().any(|d| d.device_id == device_id) {
            return Err(Error::new(ErrorCode::InvalidArgument, "deviceId", "no registered device has this id"));
        }
        Amount::parse(amount, self.currency, None)?;
        self.revision = self.revision.saturating_add(1);
        self.ledger.transfer(&TransferRequest {
            idempotency_key: self.ledger_key(),
            now,
            debit_account_id: ISSUER_ACCOUNT.to_owned(),
            credit_account_id: wallet_account(device_id),
            amount: amount.to_owned(),
            currency: self.currency.code().to_owned(),
        })
    }

    /// Balance of a device's wallet or a payee, as a decimal string (`None` when unknown).
    pub fn balance(&self, device_id: Option<&str>, payee: Option<&str>) -> Option<String> {
        let account = match (device_id, payee) {
            (Some(device), None) => wallet_account(device),
            (None, Some(payee)) => payee_account(payee),
            _ => return None,
        };
        self.ledger.account(&account).map(|a| a.balance)
    }

    /// Checks a token and answers it (check order in the module docs). Only a `code` with a
    /// stored answer changes state (the ledger transfer, the device's limits and window).
    ///
    /// Errors (before anything is read): the signer's errors; `INVALID_ARGUMENT` about `"now"`.
    pub fn process(&mut self, token: &[u8], signer: &Signer<'_>, now: i64) -> Result<ServerReply> {
        signer.check()?;
        limits::check_time(now, "now")?;
        let hash = sha256(token);
        let refused = |code| ServerReply {
            code,
            replayed: false,
            device_id: None,
            counter: None,
            token_hash: hex(&hash),
            ledger_code: None,
            limits_code: None,
            limit_id: None,
            receipt: None,
        };
        // 1. Replay: the bytes of a token already answered.
        for device in &self.devices {
            if let Some(answer) = device.answers.iter().find(|a| a.token_hash == hash) {
                return Ok(ServerReply {
                    replayed: true,
                    device_id: Some(device.device_id.clone()),
                    counter: Some(answer.counter),
                    receipt: Some(answer.receipt.clone()),
                    ..refused(answer.code)
                });
            }
        }
        // 2. Authenticity. The envelope checks time too; a time rejection comes after the
        // signature, so the bytes are authentic and the decision step answers it.
        let trusted: Vec<TrustedKey<'_>> = self
            .devices
            .iter()
            .map(|d| TrustedKey { key_id: &d.device_id, alg: d.alg, public_key: &d.public_key })
            .collect();
        let opened = envelope::open(
            token,
            &OpenParams {
                trusted_keys: &trusted,
                now,
                expected_type: TOKEN_TYPE,
                last_seq: None,
                max_clock_skew_s: SERVER_CLOCK_SKEW_S,
            },
        );
        let (kid, version, counter, issued_at, payload, time_code) = match opened {
            Ok(o) => (o.key_id, o.version, o.seq, o.issued_at, o.payload, None),
            Err(rejection @ (Rejection::Expired | Rejection::NotYetValid)) => match peek(token) {
                Some(p) => (p.kid, p.version, p.seq, p.issued_at, p.payload, Some(RelayCode::from_rejection(rejection))),
                None => return Ok(refused(RelayCode::Malformed)),
            },
            Err(rejection) => return Ok(refused(RelayCode::from_rejection(rejection))),
        };
        drop(trusted);
        if version != PAYLOAD_VERSION {
            return Ok(refused(RelayCode::VersionUnsupported));
        }
        let Some(payload) = cbor::from_slice::<TokenPayload>(&payload) else {
            return Ok(refused(RelayCode::PayloadMalformed));
        };
        let Some(index) = self.devices.iter().position(|d| d.device_id == kid) else {
            return Ok(refused(RelayCode::UnknownKey));
        };
        let currency_code = self.currency.code();
        let Some(device) = self.devices.get(index) else {
            return Ok(refused(RelayCode::UnknownKey));
        };
        let receipt_for = |decision: &Decision| -> Result<Vec<u8>> {
            let body = ReceiptPayload {
                token_hash: hash,
                device_id: kid.clone(),
                counter,
                code: decision.code,
                ledger_code: decision.ledger_code.clone(),
                payee: payload.payee.clone(),
                amount: payload.amount.clone(),
                currency: payload.currency.clone(),
            };
            let issued_at = issued_at.min(now);
            envelope::seal(&SealParams {
                alg: signer.alg,
                secret_key: signer.secret_key,
                key_id: signer.key_id,
                msg_type: RECEIPT_TYPE,
                version: PAYLOAD_VERSION,
                seq: counter,
                issued_at,
                expires_at: issued_at.saturating_add(RECEIPT_TTL_S),
                payload: &cbor::to_vec(&body),
            })
        };
        let reply = |decision: Decision, receipt: Vec<u8>| ServerReply {
            code: decision.code,
            replayed: false,
            device_id: Some(kid.clone()),
            counter: Some(counter),
            token_hash: hex(&hash),
            ledger_code: decision.ledger_code,
            limits_code: decision.limits_code,
            limit_id: decision.limit_id,
            receipt: Some(receipt),
        };
        // 3. Counter window.
        let window_code = if device.highest >= COUNTER_WINDOW && counter <= device.highest - COUNTER_WINDOW {
            Some(RelayCode::CounterBelowWindow)
        } else if device.answers.iter().any(|a| a.counter == counter) {
            Some(RelayCode::CounterReused)
        } else {
            None
        };
        if let Some(code) = window_code {
            let decision = Decision::plain(code);
            let receipt = receipt_for(&decision)?;
            return Ok(reply(decision, receipt));
        }
        // 4. Decision (stored).
        let usage_id = format!("t{counter}");
        let mut limits_check = None;
        let decision = if let Some(code) = time_code {
            Decision::plain(code)
        } else if !self.payees.contains(&payload.payee) {
            Decision::plain(RelayCode::UnknownPayee)
        } else if payload.currency != currency_code {
            Decision::plain(RelayCode::CurrencyMismatch)
        } else {
            match Amount::parse(&payload.amount, self.currency, None) {
                Ok(amount) if !amount.is_zero() && !amount.is_negative() && amount.to_string() == payload.amount => {
                    let check = device.limits.check(
                        &Usage { id: &usage_id, amount: &amount, time: now },
                        CheckMode::Enforce,
                        &TimeZones::new(),
                    )?;
                    if check.is_recordable() {
                        limits_check = Some(check);
                        Decision::plain(RelayCode::Approved)
                    } else {
                        Decision {
                            code: RelayCode::DeviceLimitExceeded,
                            ledger_code: None,
                            limits_code: Some(check.code()),
                            limit_id: check.limit_id().map(str::to_owned),
                        }
                    }
                }
                // A phone seals the canonical amount text; anything else is not a payment.
                _ => return Ok(refused(RelayCode::PayloadMalformed)),
            }
        };
        let ledger_key = format!("t/{kid}/{counter}");
        let decision = if decision.code == RelayCode::Approved {
            let outcome = self.ledger.transfer(&TransferRequest {
                idempotency_key: ledger_key,
                now,
                debit_account_id: wallet_account(&kid),
                credit_account_id: payee_account(&payload.payee),
                amount: payload.amount.clone(),
                currency: payload.currency.clone(),
            })?;
            match outcome.code {
                LedgerCode::Transferred => decision,
                LedgerCode::InsufficientFunds => Decision {
                    ledger_code: Some(outcome.code.as_str().to_owned()),
                    ..Decision::plain(RelayCode::InsufficientFunds)
                },
                other => Decision {
                    ledger_code: Some(other.as_str().to_owned()),
                    ..Decision::plain(RelayCode::LedgerRefused)
                },
            }
        } else {
            decision
        };
        // Sealing cannot fail here: the signer was checked first, and the receipt's times are
        // within range (its `iat` is at most `now`, a checked time, and at least the token's
        // envelope-checked `iat`).
        let receipt = receipt_for(&decision)?;
        let Some(device) = self.devices.get_mut(index) else {
            return Ok(refused(RelayCode::UnknownKey));
        };
        if decision.code == RelayCode::Approved {
            if let Some(check) = &limits_check {
                device.limits.commit(check)?;
            }
        }
        device.highest = device.highest.max(counter);
        let floor = device.highest.saturating_sub(COUNTER_WINDOW);
        device.answers.retain(|a| a.counter > floor);
        let at = device.answers.partition_point(|a| a.counter < counter);
        device.answers.insert(at, Answer { counter, token_hash: hash, code: decision.code, receipt: receipt.clone() });
        self.revision = self.revision.saturating_add(1);
        Ok(reply(decision, receipt))
    }

    /// The ledger's journal entries not yet handed to storage (see [`Ledger::journal`]).
    pub fn journal(&self) -> &[JournalEntry] {
        self.ledger.journal()
    }

    /// Drops journal entries up to `through_seq` once stored (see [`Ledger::truncate_journal`]).
    ///
    /// Errors: as [`Ledger::truncate_journal`].
    pub fn truncate_journal(&mut self, through_seq: u64) -> Result<()> {
        self.ledger.truncate_journal(through_seq)
    }

    /// The authenticated snapshot of the whole server state (the ledger's own snapshot inside).
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        let ledger = self.ledger.snapshot(snapshot_key)?;
        let mut e = Enc::new();
        e.array(5).u64(self.revision).str(self.currency.code()).list(&self.devices);
        e.array(self.payees.len() as u64);
        for payee in &self.payees {
            e.str(payee);
        }
        e.bytes(&ledger);
        snapshot::seal(&SERVER_SNAPSHOT, &e.into_bytes(), snapshot_key)
    }

    /// Restores a server from [`TokenServer::snapshot`].
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`; `SNAPSHOT_INVALID`,
    /// `SNAPSHOT_VERSION_UNSUPPORTED` about `"snapshot"`.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<TokenServer> {
        let body = snapshot::open(&SERVER_SNAPSHOT, bytes, snapshot_key)?;
        let bad = || snapshot::invalid("not a canonical relay server state");
        let mut d = Decoder::new(body);
        let (revision, currency, devices, payees, ledger) = (|| {
            cbor::array(&mut d, 5)?;
            let revision = cbor::u64(&mut d)?;
            let currency = cbor::string(&mut d)?;
            let devices: Vec<Device> = cbor::list(&mut d, DEVICES_MAX)?;
            let payees: Vec<String> = cbor::list(&mut d, PAYEES_MAX)?;
            let ledger = cbor::bytes(&mut d)?;
            Some((revision, currency, devices, payees, ledger))
        })()
        .ok_or_else(bad)?;
        if d.position() != body.len() {
            return Err(bad());
        }
        let currency = Currency::from_code(&currency).map_err(|_| bad())?;
        let ledger = Ledger::restore(&ledger, snapshot_key)?;
        let server = TokenServer { currency, devices, payees, ledger, revision };
        let consistent = server.devices.iter().all(|d| {
            d.answers.len() as u64 <= COUNTER_WINDOW
                && d.answers.windows(2).all(|w| matches!(w, [a, b] if a.counter < b.counter))
                && d.answers.iter().all(|a| a.counter <= d.highest && a.counter.saturating_add(COUNTER_WINDOW) > d.highest)
        });
        if !consistent || server.snapshot(snapshot_key)? != bytes {
            return Err(bad());
        }
        Ok(server)
    }
}

impl Cbor for Answer {
    fn encode(&self, e: &mut Enc) {
        e.array(4).u64(self.counter).bytes(&self.token_hash).str(self.code.as_str()).bytes(&self.receipt);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        Some(Answer {
            counter: cbor::u64(d)?,
            token_hash: cbor::bytes(d)?.try_into().ok()?,
            code: RelayCode::from_name(&cbor::string(d)?).filter(|c| c.is_final())?,
            receipt: cbor::bytes(d)?,
        })
    }
}

/// `[deviceId, publicKey, limits, highest, [* answer]]` (Ed25519 keys only).
impl Cbor for Device {
    fn encode(&self, e: &mut Enc) {
        e.array(5).str(&self.device_id).bytes(&self.public_key);
        self.limits.encode(e);
        e.u64(self.highest).list(&self.answers);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(Device {
            device_id: cbor::string(d)?,
            alg: Alg::EdDSA,
            public_key: cbor::bytes(d)?,
            limits: Limits::decode(d)?,
            highest: cbor::u64(d)?,
            answers: cbor::list(d, COUNTER_WINDOW as usize)?,
        })
    }
}
