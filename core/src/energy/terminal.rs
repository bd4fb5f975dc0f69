//! The terminal (pump or charger controller): builds signed orders and requests, verifies the
//! server's signed answers, derives the dispenser limit from the hold, accepts meter readings up
//! to that limit, and verifies the receipt.
//!
//! # Session states
//!
//! ```text
//! order ──▶ ordered ──authorisation──▶ authorised ◀──authorisation── paused (tariff change sent)
//!              │ (declined)                │  meter readings, extend
//!              ▼                           ├──deadline passes──▶ expired
//!          declined                        ▼                       │
//!                               completing (completion sent) ◀─────┘
//!                                          │ receipt
//!                                          ▼
//!                                        closed
//! ```
//!
//! One request per session waits for its answer at a time (`REQUEST_PENDING` otherwise); its
//! envelope is kept so it can be sent again unchanged ([`EnergyTerminal::pending_request`]) —
//! the server answers the same envelope with the same answer. An answer is accepted only from
//! the trusted server key, of the right type, with a sequence number above the session's last
//! (`REPLAYED`), and naming the SHA-256 of the waiting request (`ANSWER_MISMATCH`).
//!
//! # Meter readings
//!
//! `meter(quantity, at)`: only while authorised (`NOT_AUTHORISED`) and before the hold's
//! deadline (`HOLD_EXPIRED`, the session becomes expired: stop and complete — late);
//! the quantity must be at the resolution (`READING_MALFORMED`), not below the previous
//! reading nor earlier in time (`READING_NOT_MONOTONIC`), not above the limit
//! (`READING_ABOVE_LIMIT`); at most [`READINGS_MAX`] (`READINGS_FULL`). A reading equal to the
//! limit is `LIMIT_REACHED`: the dispenser must stop.
//!
//! # Tariff change
//!
//! The terminal pauses delivery, and asks the server to record the new tariff from the quantity
//! delivered so far, with the increment that keeps the current limit deliverable:
//! `cost so far + cost of (limit − delivered) at the new tariff − held`, when positive. The
//! server's answer states the hold and the tariff segments; the terminal derives the new limit
//! from them ([`super::session`]), whether or not the increment was granted.


use serde::{Deserialize, Serialize};

use super::codes::EnergyCode;
use super::messages::{
    from_payload, to_payload, Authorisation, Completion, Extension, MeterReading, Order, Receipt,
    Signer, TariffChange, TariffSegment, AUTHORISATION_TYPE, COMPLETION_TYPE, EXTEND_TYPE,
    ORDER_TYPE, PAYLOAD_VERSION, READINGS_MAX, RECEIPT_TYPE, TARIFF_CHANGES_MAX,
    TARIFF_CHANGE_TYPE,
};
use super::pricing::{CostBreakdown, Pricing, Tariff, Unit};
use super::session::{self, validate_order};
use crate::card::PublicKey;
use crate::crypto::sha256;
use crate::envelope::{self, OpenParams, Opened, TrustedKey, CLOCK_SKEW_S_MAX};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::check_time;
use crate::limits::keyed::{Keyed, KeyedVec};
use crate::money::Amount;

/// The most sessions a terminal keeps (the oldest closed or declined is forgotten first).
pub const TERMINAL_SESSIONS_MAX: usize = 64;

/// The terminal's configuration.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyTerminalConfig"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalConfig {
    /// The station this terminal belongs to (every order names it).
    pub station_id: String,
    /// The e-money server's key: answers must be signed by it.
    pub server_key: PublicKey,
    /// Clock skew tolerated on the server's envelopes' issue time, seconds (≤ one day).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>", optional))]
    #[serde(default)]
    pub clock_skew_s: u32,
}

/// The state of a terminal session. JSON: camelCase names.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TerminalState {
    /// The order was sent; waiting for the authorisation.
    Ordered,
    /// The server declined the order (or it was abandoned).
    Declined,
    /// A hold is in place: delivery up to the limit.
    Authorised,
    /// A tariff change was sent: delivery paused until the answer.
    Paused,
    /// The hold's deadline passed: delivery stopped; complete (late).
    Expired,
    /// The completion was sent; waiting for the receipt.
    Completing,
    /// The receipt was accepted.
    Closed,
}

/// The kind of a request waiting for its answer. JSON: camelCase names.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestKind {
    /// `energy.order`.
    Order,
    /// `energy.tariff-change`.
    TariffChange,
    /// `energy.extend`.
    Extend,
    /// `energy.completion`.
    Completion,
}

/// A request waiting for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pending {
    pub(super) kind: RequestKind,
    pub(super) previous: TerminalState,
    pub(super) envelope: Vec<u8>,
}

/// One session at the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TerminalSession {
    pub(super) order: Order,
    pub(super) created: u64,
    pub(super) state: TerminalState,
    pub(super) code: EnergyCode,
    pub(super) pending: Option<Pending>,
    pub(super) last_server_seq: Option<u64>,
    pub(super) hold_id: Option<String>,
    pub(super) held: String,
    pub(super) expires_at: Option<i64>,
    pub(super) segments: Vec<TariffSegment>,
    pub(super) increments: Vec<String>,
    pub(super) readings: Vec<MeterReading>,
    pub(super) limit: String,
    pub(super) receipt: Option<Receipt>,
}

/// A session as the terminal shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "TerminalSession"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalSessionView {
    /// The order.
    pub order: Order,
    /// The state.
    pub state: TerminalState,
    /// The last code.
    pub code: EnergyCode,
    /// The request waiting for its answer.
    pub pending: Option<RequestKind>,
    /// The ledger hold.
    pub hold_id: Option<String>,
    /// Everything held (the server's figure).
    pub held: String,
    /// The hold's deadline.
    pub expires_at: Option<i64>,
    /// The dispenser or charger limit: the largest quantity the hold pays for.
    pub max_quantity: String,
    /// The quantity delivered so far (the last reading).
    pub delivered: String,
    /// The unit.
    pub unit: Unit,
    /// The cost of what was delivered so far.
    pub cost: CostBreakdown,
    /// The tariff segments.
    pub segments: Vec<TariffSegment>,
    /// The increments granted.
    pub increments: Vec<String>,
    /// The meter readings.
    pub readings: Vec<MeterReading>,
    /// The verified receipt, once closed.
    pub receipt: Option<Receipt>,
}

/// The terminal's answer to a call.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalOutcome {
    /// The outcome (for an accepted answer: the server's code).
    pub code: EnergyCode,
    /// Whether the call changed the session (a request built, an answer or reading accepted).
    pub accepted: bool,
    /// The session afterwards (absent for an unknown order).
    pub session: Option<TerminalSessionView>,
    /// The increment a tariff-change request asks for (absent when none is needed).
    pub increment: Option<String>,
    /// The request envelope to send to the server, when one was built.
    #[serde(skip)]
    pub envelope: Option<Vec<u8>>,
}

/// The terminal. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnergyTerminal {
    pub(super) config: TerminalConfig,
    /// The last sequence number of the terminal's envelopes.
    pub(super) seq: u64,
    /// By order id.
    pub(super) sessions: KeyedVec<TerminalSession>,
    pub(super) created: u64,
}

fn invalid(param: &'static str, message: &str) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message.to_owned())
}

impl Keyed for TerminalSession {
    fn key(&self) -> &str {
        &self.order.order_id
    }
}

impl TerminalSession {
    fn pricing(&self) -> Result<Pricing> {
        Pricing::from_tariff(&self.order.tariff)
    }

    fn delivered_steps(&self, base: &Pricing) -> Result<u128> {
        self.readings
            .last()
            .map_or(Ok(0), |r| base.steps_of(&r.quantity))
    }

    fn view(&self) -> Result<TerminalSessionView> {
        let base = self.pricing()?;
        let delivered = self.delivered_steps(&base)?;
        let cost = if self.segments.is_empty() {
            let zero = Amount::zero(base.currency()).to_string();
            CostBreakdown {
                net: zero.clone(),
                tax: zero.clone(),
                total: zero,
            }
        } else {
            session::cost_segments(&self.segments, &base, delivered)?
                .1
                .breakdown()
        };
        Ok(TerminalSessionView {
            order: self.order.clone(),
            state: self.state,
            code: self.code,
            pending: self.pending.as_ref().map(|p| p.kind),
            hold_id: self.hold_id.clone(),
            held: self.held.clone(),
            expires_at: self.expires_at,
            max_quantity: self.limit.clone(),
            delivered: session::quantity_string(&base, delivered)?,
            unit: base.unit(),
            cost,
            segments: self.segments.clone(),
            increments: self.increments.clone(),
            readings: self.readings.clone(),
            receipt: self.receipt.clone(),
        })
    }
}

impl EnergyTerminal {
    /// A terminal of `stationId` trusting `serverKey`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"stationId"`, `"clockSkewS"`; `INVALID_ARGUMENT` /
    /// `KEY_INVALID` about `"serverKey"`.
    pub fn new(config: TerminalConfig) -> Result<EnergyTerminal> {
        if !super::messages::energy_id_ok(&config.station_id) {
            return Err(invalid(
                "stationId",
                "stationId must be 1..=48 UTF-8 bytes without control characters",
            ));
        }
        if config.clock_skew_s > CLOCK_SKEW_S_MAX {
            return Err(invalid("clockSkewS", "clockSkewS must be at most 86400"));
        }
        config.server_key.validate("serverKey")?;
        Ok(EnergyTerminal {
            config,
            seq: 0,
            sessions: KeyedVec::new(),
            created: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TerminalConfig {
        &self.config
    }

    /// A session.
    pub fn session(&self, order_id: &str) -> Result<Option<TerminalSessionView>> {
        self.sessions
            .get(order_id)
            .map(TerminalSession::view)
            .transpose()
    }

    /// The order ids of every session, by id.
    pub fn session_ids(&self) -> Vec<String> {
        self.sessions.keys()
    }

    /// The envelope of the request a session waits an answer for (to send it again unchanged).
    pub fn pending_request(&self, order_id: &str) -> Option<Vec<u8>> {
        self.sessions
            .get(order_id)
            .and_then(|s| s.pending.as_ref())
            .map(|p| p.envelope.clone())
    }

    fn outcome(&self, order_id: &str, code: EnergyCode, accepted: bool) -> Result<TerminalOutcome> {
        Ok(TerminalOutcome {
            code,
            accepted,
            session: self.session(order_id)?,
            increment: None,
            envelope: None,
        })
    }

    fn next_seq(&mut self) -> u64 {
        self.seq = self.seq.saturating_add(1);
        self.seq
    }

    fn make_room(&mut self) -> bool {
        if self.sessions.len() < TERMINAL_SESSIONS_MAX {
            return true;
        }
        let oldest = self
            .sessions
            .iter()
            .filter(|s| matches!(s.state, TerminalState::Declined | TerminalState::Closed))
            .min_by_key(|s| s.created)
            .map(|s| s.order.order_id.clone());
        oldest.is_some_and(|id| self.sessions.remove(&id).is_some())
    }

    /// Builds a signed `energy.order` for the server (`ORDER_SENT`); refusals:
    /// `ORDER_ID_CONFLICT` (a session with this id exists), `TERMINAL_SESSIONS_FULL`.
    ///
    /// Errors: the order's (`INVALID_ARGUMENT` / `AMOUNT_*` naming `order.<field>`; the
    /// tariff's), `INVALID_ARGUMENT` about `"order.stationId"` (not this terminal's station) or
    /// `"now"`; the signer's.
    pub fn order(
        &mut self,
        order: Order,
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<TerminalOutcome> {
        check_time(now, "now")?;
        signer.check()?;
        validate_order(&order)?;
        if order.station_id != self.config.station_id {
            return Err(invalid(
                "order.stationId",
                "must be this terminal's station",
            ));
        }
        let order_id = order.order_id.clone();
        if self.sessions.contains_key(&order_id) {
            return self.outcome(&order_id, EnergyCode::OrderIdConflict, false);
        }
        if !self.make_room() {
            return Ok(TerminalOutcome {
                code: EnergyCode::TerminalSessionsFull,
                accepted: false,
                session: None,
                increment: None,
                envelope: None,
            });
        }
        let seq = self.next_seq();
        let envelope = signer.seal(ORDER_TYPE, seq, now, &to_payload(&order))?;
        let held = Amount::zero(validate_order(&order)?.pricing.currency()).to_string();
        self.created = self.created.saturating_add(1);
        self.sessions.insert(TerminalSession {
                order,
                created: self.created,
                state: TerminalState::Ordered,
                code: EnergyCode::OrderSent,
                pending: Some(Pending {
                    kind: RequestKind::Order,
                    previous: TerminalState::Declined,
                    envelope: envelope.clone(),
                }),
                last_server_seq: None,
                hold_id: None,
                held,
                expires_at: None,
                segments: Vec::new(),
                increments: Vec::new(),
                readings: Vec::new(),
                limit: "0".to_owned(),
                receipt: None,
            });
        let mut outcome = self.outcome(&order_id, EnergyCode::OrderSent, true)?;
        outcome.envelope = Some(envelope);
        Ok(outcome)
    }

    /// Opens a server envelope of `msg_type`.
    fn open_answer(
        &self,
        bytes: &[u8],
        now: i64,
        msg_type: &str,
    ) -> core::result::Result<Opened, EnergyCode> {
        let key = &self.config.server_key;
        let trusted = [TrustedKey {
            key_id: &key.key_id,
            alg: key.alg,
            public_key: &key.public_key,
        }];
        let params = OpenParams {
            trusted_keys: &trusted,
            now,
            expected_type: msg_type,
            last_seq: None,
            max_clock_skew_s: self.config.clock_skew_s,
        };
        let opened = envelope::open(bytes, &params).map_err(EnergyCode::from_rejection)?;
        if opened.version != PAYLOAD_VERSION {
            return Err(EnergyCode::VersionUnsupported);
        }
        Ok(opened)
    }

    /// Checks that an authentic answer belongs to the request `order_id` waits for.
    fn check_answer(
        &self,
        order_id: &str,
        seq: u64,
        in_reply_to: &[u8],
        kinds: &[RequestKind],
    ) -> core::result::Result<(), EnergyCode> {
        let session = self
            .sessions
            .get(order_id)
            .ok_or(EnergyCode::UnknownOrder)?;
        if session.last_server_seq.is_some_and(|last| seq <= last) {
            return Err(EnergyCode::Replayed);
        }
        let pending = session.pending.as_ref().ok_or(EnergyCode::AnswerMismatch)?;
        if !kinds.contains(&pending.kind) || sha256(&pending.envelope).as_slice() != in_reply_to {
            return Err(EnergyCode::AnswerMismatch);
        }
        Ok(())
    }

    /// Verifies and applies the server's `energy.authorisation` (answer to an order, tariff
    /// change or extend): on a hold code, the hold and the derived limit; otherwise the
    /// session is declined (an order) or resumes (a refused change). Refusals (nothing
    /// changed): the envelope codes, `VERSION_UNSUPPORTED`, `PAYLOAD_MALFORMED`,
    /// `UNKNOWN_ORDER`, `REPLAYED`, `ANSWER_MISMATCH`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"now"`.
    pub fn accept_authorisation(&mut self, bytes: &[u8], now: i64) -> Result<TerminalOutcome> {
        check_time(now, "now")?;
        let opened = match self.open_answer(bytes, now, AUTHORISATION_TYPE) {
            Ok(opened) => opened,
            Err(code) => return Ok(refused(code)),
        };
        let Some(answer) = from_payload::<Authorisation>(&opened.payload) else {
            return Ok(refused(EnergyCode::PayloadMalformed));
        };
        let order_id = answer.order_id.clone();
        let kinds = [
            RequestKind::Order,
            RequestKind::TariffChange,
            RequestKind::Extend,
        ];
        if let Err(code) = self.check_answer(&order_id, opened.seq, &answer.in_reply_to, &kinds) {
            return self.outcome(&order_id, code, false);
        }
        let Some(session) = self.sessions.get(&order_id) else {
            return Ok(refused(EnergyCode::UnknownOrder));
        };
        let base = session.pricing()?;
        let mut next = session.clone();
        next.last_server_seq = Some(opened.seq);
        next.pending = None;
        next.code = answer.code;
        if answer.code.is_hold() {
            // An authentic answer whose hold or segments do not fit the order is refused like a
            // malformed payload (nothing changes), not thrown: the caller's input was fine.
            let limit = Amount::parse(&answer.held, base.currency(), None)
                .and_then(|held| session::limit_steps(&answer.segments, &base, &held));
            let Ok(limit) = limit else {
                return self.outcome(&order_id, EnergyCode::PayloadMalformed, false);
            };
            next.state = TerminalState::Authorised;
            next.hold_id = answer.hold_id;
            next.held = answer.held;
            next.expires_at = answer.expires_at;
            next.segments = answer.segments;
            next.increments = answer.increments;
            next.limit = session::quantity_string(&base, limit)?;
        } else {
            next.state = TerminalState::Declined;
            next.limit = session::quantity_string(&base, 0)?;
        }
        self.sessions.insert(next);
        self.outcome(&order_id, answer.code, true)
    }

    /// Records a meter reading (see the module docs for the codes).
    ///
    /// Errors: `INVALID_ARGUMENT` about `"at"`.
    pub fn meter(&mut self, order_id: &str, quantity: &str, at: i64) -> Result<TerminalOutcome> {
        check_time(at, "at")?;
        let Some(session) = self.sessions.get(order_id) else {
            return Ok(refused(EnergyCode::UnknownOrder));
        };
        if session.state != TerminalState::Authorised {
            return self.outcome(order_id, EnergyCode::NotAuthorised, false);
        }
        if session.expires_at.is_some_and(|deadline| at >= deadline) {
            if let Some(session) = self.sessions.get_mut(order_id) {
                session.state = TerminalState::Expired;
                session.code = EnergyCode::HoldExpired;
            }
            return self.outcome(order_id, EnergyCode::HoldExpired, true);
        }
        if session.readings.len() >= READINGS_MAX {
            return self.outcome(order_id, EnergyCode::ReadingsFull, false);
        }
        let base = session.pricing()?;
        let Ok(steps) = base.steps_of(quantity) else {
            return self.outcome(order_id, EnergyCode::ReadingMalformed, false);
        };
        let previous = session.delivered_steps(&base)?;
        let earlier = session.readings.last().is_some_and(|r| at < r.at);
        if steps < previous || earlier {
            return self.outcome(order_id, EnergyCode::ReadingNotMonotonic, false);
        }
        let limit = base.steps_of(&session.limit)?;
        if steps > limit {
            return self.outcome(order_id, EnergyCode::ReadingAboveLimit, false);
        }
        let code = if steps == limit {
            EnergyCode::LimitReached
        } else {
            EnergyCode::ReadingAccepted
        };
        let reading = MeterReading {
            quantity: session::quantity_string(&base, steps)?,
            at,
        };
        if let Some(session) = self.sessions.get_mut(order_id) {
            session.readings.push(reading);
            session.code = code;
        }
        self.outcome(order_id, code, true)
    }

    /// Checks that a session may send a request now, from one of `states`.
    fn ready(
        &self,
        order_id: &str,
        states: &[TerminalState],
    ) -> core::result::Result<&TerminalSession, EnergyCode> {
        let session = self
            .sessions
            .get(order_id)
            .ok_or(EnergyCode::UnknownOrder)?;
        if session.pending.is_some() {
            return Err(EnergyCode::RequestPending);
        }
        if !states.contains(&session.state) {
            return Err(EnergyCode::NotAuthorised);
        }
        Ok(session)
    }

    /// Seals a request and makes it the session's pending one.
    fn send(
        &mut self,
        order_id: &str,
        kind: RequestKind,
        state: TerminalState,
        (msg_type, payload): (&str, &[u8]),
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<TerminalOutcome> {
        let seq = self.next_seq();
        let envelope = signer.seal(msg_type, seq, now, payload)?;
        if let Some(session) = self.sessions.get_mut(order_id) {
            session.pending = Some(Pending {
                kind,
                previous: session.state,
                envelope: envelope.clone(),
            });
            session.state = state;
            session.code = EnergyCode::RequestSent;
        }
        let mut outcome = self.outcome(order_id, EnergyCode::RequestSent, true)?;
        outcome.envelope = Some(envelope);
        Ok(outcome)
    }

    /// Pauses delivery and builds a signed `energy.tariff-change` from the quantity delivered so
    /// far, with the increment that keeps the current limit deliverable (`REQUEST_SENT`).
    /// Refusals: `UNKNOWN_ORDER`, `REQUEST_PENDING`, `NOT_AUTHORISED`,
    /// `TARIFF_CHANGE_OUT_OF_ORDER` (already TARIFF_CHANGES_MAX changes).
    ///
    /// Errors: the tariff's, `INVALID_ARGUMENT` about `"tariff"` (another currency, unit or
    /// resolution) or `"now"`; the signer's.
    pub fn change_tariff(
        &mut self,
        order_id: &str,
        tariff: Tariff,
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<TerminalOutcome> {
        check_time(now, "now")?;
        signer.check()?;
        let session = match self.ready(order_id, &[TerminalState::Authorised]) {
            Ok(session) => session,
            Err(code) => return self.outcome(order_id, code, false),
        };
        let base = session.pricing()?;
        let pricing = session::check_tariff(&base, &tariff)?;
        if session.segments.len() > TARIFF_CHANGES_MAX {
            return self.outcome(order_id, EnergyCode::TariffChangeOutOfOrder, false);
        }
        let delivered = session.delivered_steps(&base)?;
        let limit = base.steps_of(&session.limit)?;
        let (_, so_far) = session::cost_segments(&session.segments, &base, delivered)?;
        let rest = pricing.cost(limit.saturating_sub(delivered))?;
        let held = Amount::parse(&session.held, base.currency(), None)?;
        let needed = so_far.total.checked_add(&rest.total)?.checked_sub(&held)?;
        let change = TariffChange {
            order_id: order_id.to_owned(),
            change_no: u32::try_from(session.segments.len()).unwrap_or(u32::MAX),
            quantity_at: session::quantity_string(&base, delivered)?,
            tariff,
            increment: (needed.to_minor_units() > 0).then(|| needed.to_string()),
        };
        let increment = change.increment.clone();
        let payload = to_payload(&change);
        let mut outcome = self.send(
            order_id,
            RequestKind::TariffChange,
            TerminalState::Paused,
            (TARIFF_CHANGE_TYPE, &payload),
            now,
            signer,
        )?;
        outcome.increment = increment;
        Ok(outcome)
    }

    /// Builds a signed `energy.extend` asking for the deadline `expires_at` (`REQUEST_SENT`);
    /// delivery continues meanwhile. Refusals as [`EnergyTerminal::change_tariff`].
    ///
    /// Errors: `INVALID_ARGUMENT` about `"expiresAt"` or `"now"`; the signer's.
    pub fn extend(
        &mut self,
        order_id: &str,
        expires_at: i64,
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<TerminalOutcome> {
        check_time(now, "now")?;
        check_time(expires_at, "expiresAt")?;
        signer.check()?;
        if let Err(code) = self.ready(order_id, &[TerminalState::Authorised]) {
            return self.outcome(order_id, code, false);
        }
        let payload = to_payload(&Extension {
            order_id: order_id.to_owned(),
            expires_at,
        });
        self.send(
            order_id,
            RequestKind::Extend,
            TerminalState::Authorised,
            (EXTEND_TYPE, &payload),
            now,
            signer,
        )
    }

    /// Stops delivery and builds the signed `energy.completion` with every meter reading
    /// (`REQUEST_SENT`); from an authorised or an expired session (a late completion).
    /// Refusals as [`EnergyTerminal::change_tariff`].
    ///
    /// Errors: `INVALID_ARGUMENT` about `"now"`; the signer's.
    pub fn complete(
        &mut self,
        order_id: &str,
        now: i64,
        signer: &Signer<'_>,
    ) -> Result<TerminalOutcome> {
        check_time(now, "now")?;
        signer.check()?;
        let session = match self.ready(
            order_id,
            &[TerminalState::Authorised, TerminalState::Expired],
        ) {
            Ok(session) => session,
            Err(code) => return self.outcome(order_id, code, false),
        };
        let payload = to_payload(&Completion {
            order_id: order_id.to_owned(),
            readings: session.readings.clone(),
        });
        self.send(
            order_id,
            RequestKind::Completion,
            TerminalState::Completing,
            (COMPLETION_TYPE, &payload),
            now,
            signer,
        )
    }

    /// Verifies the server's `energy.receipt` for the completion this session sent, and closes
    /// the session (the outcome's code is the receipt's). Refusals as
    /// [`EnergyTerminal::accept_authorisation`].
    ///
    /// Errors: `INVALID_ARGUMENT` about `"now"`.
    pub fn accept_receipt(&mut self, bytes: &[u8], now: i64) -> Result<TerminalOutcome> {
        check_time(now, "now")?;
        let opened = match self.open_answer(bytes, now, RECEIPT_TYPE) {
            Ok(opened) => opened,
            Err(code) => return Ok(refused(code)),
        };
        let Some(receipt) = from_payload::<Receipt>(&opened.payload) else {
            return Ok(refused(EnergyCode::PayloadMalformed));
        };
        let order_id = receipt.order_id.clone();
        if let Err(code) = self.check_answer(
            &order_id,
            opened.seq,
            &receipt.in_reply_to,
            &[RequestKind::Completion],
        ) {
            return self.outcome(&order_id, code, false);
        }
        let code = receipt.code;
        if let Some(session) = self.sessions.get_mut(&order_id) {
            session.last_server_seq = Some(opened.seq);
            session.pending = None;
            session.state = TerminalState::Closed;
            session.code = code;
            session.held = receipt.held.clone();
            session.receipt = Some(receipt);
        }
        self.outcome(&order_id, code, true)
    }

    /// Gives up the waiting request after the server refused it without a signed answer (the
    /// server's code in `code`): an order becomes declined, a tariff change, extend or
    /// completion returns the session to its state before. `UNKNOWN_ORDER`; nothing pending:
    /// `ANSWER_MISMATCH`.
    pub fn abandon_request(&mut self, order_id: &str, code: EnergyCode) -> Result<TerminalOutcome> {
        let Some(session) = self.sessions.get_mut(order_id) else {
            return Ok(refused(EnergyCode::UnknownOrder));
        };
        let Some(pending) = session.pending.take() else {
            return self.outcome(order_id, EnergyCode::AnswerMismatch, false);
        };
        session.state = pending.previous;
        session.code = code;
        self.outcome(order_id, code, true)
    }
}

fn refused(code: EnergyCode) -> TerminalOutcome {
    TerminalOutcome {
        code,
        accepted: false,
        session: None,
        increment: None,
        envelope: None,
    }
}
