//! The program package, the settings envelope and its confirmation; the terminal and
//! controller roles.
//!
//! Every message is a COSE_Sign1 envelope ([`crate::envelope`]) of its own type, schema version
//! [`SCHEMA_VERSION`], whose payload is deterministic CBOR (arrays in field order; the receiver
//! decodes, re-encodes and requires the same bytes):
//!
//! | type | from → to | envelope `seq` | payload |
//! |---|---|---|---|
//! | `dose.program` | management server → terminal, controller | the program version | `[programId, controllerModel, decodingTablesVersion, [16 × default], [16 × [min, max]], [* role]]` |
//! | `dose.settings` | terminal → controller | the terminal's settings sequence | `[programVersion, [16 × value]]` (fields in [`FIELDS`](super::settings::FIELDS) order) |
//! | `dose.settings-ack` | controller → terminal | the controller's answer sequence | `[settingsSeq, inReplyTo bstr(32) = SHA-256 of the settings envelope, code tstr]` |
//!
//! # Installing a program package ([`Terminal::install`], [`Controller::install`])
//!
//! Check order, one code: the envelope's (`ENVELOPE_MALFORMED`, `UNKNOWN_SIGNER`,
//! `BAD_SIGNATURE`, `WRONG_TYPE`, `NOT_YET_VALID`, `EXPIRED`: signer and type checked by the
//! envelope primitive before anything else); `SCHEMA_UNSUPPORTED` (schema version ≠ 1);
//! `ENVELOPE_MALFORMED` (payload not this type's canonical CBOR, or over a named limit);
//! `PACKAGE_INVALID` (a permitted range outside the absolute one, or the defaults refused under
//! the package's own bounds, or a decoding table version this build does not have);
//! `CONTROLLER_INCOMPATIBLE` (another controller model than the paired one); `DOWNGRADE`
//! (older than the installed version); `ALREADY_INSTALLED` (the same version). Then the package
//! is installed: if the patient's settings (the confirmed ones, or the draft before any
//! confirmation) are all valid under the new bounds, `INSTALLED` and they are kept; otherwise
//! `INSTALLED_SETTINGS_REVIEW` with the refusals listed, and the **draft** becomes the settings
//! with each refused field replaced by the package's default (if that mix is still refused, the
//! package's defaults): the patient reviews and sends it. The controller keeps its confirmed
//! settings until it confirms new ones; a program update that refuses some of them makes the
//! controller replace those fields the same way (it must run settings its program permits).
//!
//! # Settings ([`Terminal::propose`], [`Controller::receive_settings`], [`Terminal::take_ack`])
//!
//! The terminal validates (refused: `SETTINGS_REFUSED` with every finding, nothing sealed), then
//! seals `dose.settings` with the next sequence number and holds it **pending**
//! (`SETTINGS_PENDING`); a newer proposal replaces a pending one. The controller opens it with
//! the terminal's key, expected type and its last accepted settings sequence (`REPLAYED` for an
//! old or repeated one), checks `SCHEMA_UNSUPPORTED`, decodes (`ENVELOPE_MALFORMED`), then
//! answers with a signed `dose.settings-ack` whose code is `PROGRAM_MISMATCH` (another program
//! version than its own), `SETTINGS_REFUSED` (the controller validates too), or
//! `SETTINGS_CONFIRMED` (the new settings are in force from now on). Envelope refusals get no
//! answer (nothing authentic to answer). The terminal opens the acknowledgement with the
//! controller's key and its last acknowledgement sequence, requires `inReplyTo` to be the
//! pending envelope's hash (`NOT_PENDING`), and then moves the pending settings to confirmed
//! (`SETTINGS_CONFIRMED`) or drops them (`SETTINGS_REJECTED`, the previous ones stay).

use minicbor::Decoder;
use serde::{Deserialize, Serialize};

use super::evaluate::{evaluate, evaluate_bytes, Signal};
use super::frame::{Accepted, Frame, Stream, DECODING_TABLES_VERSION};
use super::settings::{absolute_bounds, check_bounds, validate, AlarmSettings, Bounds, Finding, Validation, FIELDS_COUNT};
use super::DoseCode;
use crate::card::PublicKey;
use crate::crypto::sha256;
use crate::envelope::{self, OpenParams, Opened, SealParams, TrustedKey};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::cbor::{self, Enc};

/// Envelope type of a program package.
pub const PROGRAM_TYPE: &str = "dose.program";
/// Envelope type of the alarm settings sent to the controller.
pub const SETTINGS_TYPE: &str = "dose.settings";
/// Envelope type of the controller's answer to settings.
pub const SETTINGS_ACK_TYPE: &str = "dose.settings-ack";
/// The payloads' schema version.
pub const SCHEMA_VERSION: u32 = 1;
/// Routing roles in a package.
pub const ROLES_MAX: usize = 8;
/// A program id, controller model or role, UTF-8 bytes (1..=).
pub const ID_BYTES_MAX: usize = 64;
/// Clock skew tolerated on `issuedAt`, seconds (5 minutes: phone and pump clocks drift).
pub const CLOCK_SKEW_S: u32 = 300;
/// Management-server keys a role trusts (key rotation keeps an old and a new one).
pub const SERVER_KEYS_MAX: usize = 4;

fn trusted(keys: &[PublicKey]) -> Vec<TrustedKey<'_>> {
    keys.iter().map(|k| TrustedKey { key_id: &k.key_id, alg: k.alg, public_key: &k.public_key }).collect()
}

fn check_keys(server_keys: &[PublicKey], peer: &PublicKey, peer_param: &'static str) -> Result<()> {
    if server_keys.is_empty() || server_keys.len() > SERVER_KEYS_MAX {
        return Err(Error::new(ErrorCode::InvalidArgument, "config.serverKeys", format!("must hold 1..={SERVER_KEYS_MAX} keys")));
    }
    for k in server_keys {
        k.validate("config.serverKeys")?;
    }
    peer.validate(peer_param)
}

/// What a terminal is paired with and whom it trusts.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "DoseTerminalCoreConfig"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalConfig {
    /// The paired controller's model.
    pub controller_model: String,
    /// The management server's keys (program packages), 1..=[`SERVER_KEYS_MAX`].
    pub server_keys: Vec<PublicKey>,
    /// The controller's key (settings confirmations).
    pub controller_key: PublicKey,
}

/// What a controller is and whom it trusts.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "DoseControllerCoreConfig"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControllerConfig {
    /// Its model.
    pub model: String,
    /// The management server's keys (program packages), 1..=[`SERVER_KEYS_MAX`].
    pub server_keys: Vec<PublicKey>,
    /// The paired terminal's key (settings).
    pub terminal_key: PublicKey,
}

/// A program package's content.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProgramPackage {
    /// The program's id.
    pub program_id: String,
    /// The controller model it is for.
    pub controller_model: String,
    /// The frame decoding tables' version it expects.
    pub decoding_tables_version: u32,
    /// Default settings.
    pub defaults: AlarmSettings,
    /// Permitted range of every field, in `FIELDS` order.
    pub permitted: Bounds,
    /// Routing roles, in escalation order (`patient`, `caregiver`, `doctor`, `risk-centre` …).
    pub roles: Vec<String>,
}

fn id_ok(s: &str) -> bool {
    (1..=ID_BYTES_MAX).contains(&s.len()) && !s.chars().any(char::is_control)
}

impl ProgramPackage {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut e = Enc::new();
        e.array(6).str(&self.program_id).str(&self.controller_model).u64(u64::from(self.decoding_tables_version));
        e.array(FIELDS_COUNT as u64);
        for v in self.defaults.values() {
            e.u64(u64::from(v));
        }
        e.array(FIELDS_COUNT as u64);
        for (min, max) in self.permitted {
            e.array(2).u64(u64::from(min)).u64(u64::from(max));
        }
        e.array(self.roles.len() as u64);
        for r in &self.roles {
            e.str(r);
        }
        e.into_bytes()
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let d = &mut Decoder::new(bytes);
        cbor::array(d, 6)?;
        let program_id = cbor::string(d)?;
        let controller_model = cbor::string(d)?;
        let decoding_tables_version = cbor::u32(d)?;
        cbor::array(d, FIELDS_COUNT as u64)?;
        let mut defaults = [0u32; FIELDS_COUNT];
        for v in &mut defaults {
            *v = cbor::u32(d)?;
        }
        cbor::array(d, FIELDS_COUNT as u64)?;
        let mut permitted = [(0u32, 0u32); FIELDS_COUNT];
        for b in &mut permitted {
            cbor::array(d, 2)?;
            *b = (cbor::u32(d)?, cbor::u32(d)?);
        }
        let n = usize::try_from(cbor::array_len(d)?).ok()?;
        if n > ROLES_MAX {
            return None;
        }
        let mut roles = Vec::with_capacity(n);
        for _ in 0..n {
            roles.push(cbor::string(d)?);
        }
        let p = ProgramPackage { program_id, controller_model, decoding_tables_version, defaults: AlarmSettings::from_values(defaults), permitted, roles };
        let ids_ok = id_ok(&p.program_id) && id_ok(&p.controller_model) && p.roles.iter().all(|r| id_ok(r));
        (ids_ok && d.position() == bytes.len() && p.encode() == bytes).then_some(p)
    }
}

/// Who signs (the envelope primitive's, shared with the other systems that seal).
pub use crate::envelope::Signer;

/// Seals a program package (the management server's side). Errors: `INVALID_ARGUMENT` naming
/// `package.<field>` (ids, roles, bounds, defaults); the envelope's errors.
pub fn seal_program(package: &ProgramPackage, version: u64, signer: Signer<'_>, issued_at: i64, expires_at: i64) -> Result<Vec<u8>> {
    let bad = |p: &'static str, m: &str| Error::new(ErrorCode::InvalidArgument, p, m.to_owned());
    if !id_ok(&package.program_id) {
        return Err(bad("package.programId", "must be 1..=64 bytes without control characters"));
    }
    if !id_ok(&package.controller_model) {
        return Err(bad("package.controllerModel", "must be 1..=64 bytes without control characters"));
    }
    if package.roles.len() > ROLES_MAX || !package.roles.iter().all(|r| id_ok(r)) {
        return Err(bad("package.roles", "at most 8 roles of 1..=64 bytes without control characters"));
    }
    if let Err(field) = check_bounds(&package.permitted) {
        return Err(Error::at_path(ErrorCode::InvalidArgument, format!("package.permitted.{field}"), "must be min <= max inside the absolute range"));
    }
    if let Some(r) = validate(&package.defaults, &package.permitted).refusals.first() {
        return Err(Error::at_path(ErrorCode::InvalidArgument, format!("package.defaults.{}", r.field), r.message.clone()));
    }
    envelope::seal(&SealParams {
        alg: signer.alg,
        secret_key: signer.secret_key,
        key_id: signer.key_id,
        msg_type: PROGRAM_TYPE,
        version: SCHEMA_VERSION,
        seq: version,
        issued_at,
        expires_at,
        payload: &package.encode(),
    })
}

fn open(bytes: &[u8], keys: &[TrustedKey<'_>], now_s: i64, msg_type: &str, last_seq: Option<u64>) -> Result<core::result::Result<Opened, DoseCode>> {
    let params = OpenParams { trusted_keys: keys, now: now_s, expected_type: msg_type, last_seq, max_clock_skew_s: CLOCK_SKEW_S };
    Ok(match envelope::open_checked(bytes, &params)? {
        Err(r) => Err(DoseCode::from_rejection(r)),
        Ok(o) if o.version != SCHEMA_VERSION => Err(DoseCode::SchemaUnsupported),
        Ok(o) => Ok(o),
    })
}

/// An installed program.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "InstalledProgram"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// Its version (the envelope's `seq`).
    pub version: u64,
    /// Its content.
    pub package: ProgramPackage,
}

/// What an installation decided.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallOutcome {
    /// `INSTALLED`, `INSTALLED_SETTINGS_REVIEW` or the refusal.
    pub code: DoseCode,
    /// The package's version, when the envelope opened.
    pub version: Option<u64>,
    /// The patient's settings the new package refuses (`INSTALLED_SETTINGS_REVIEW`).
    pub invalid: Vec<Finding>,
}

/// The package checks shared by both roles (after the envelope).
fn check_package(bytes: &[u8], keys: &[TrustedKey<'_>], now_s: i64, model: &str, installed: Option<&Installed>) -> Result<core::result::Result<Installed, (DoseCode, Option<u64>)>> {
    let opened = match open(bytes, keys, now_s, PROGRAM_TYPE, None)? {
        Ok(o) => o,
        Err(code) => return Ok(Err((code, None))),
    };
    let version = Some(opened.seq);
    let Some(package) = ProgramPackage::decode(&opened.payload) else {
        return Ok(Err((DoseCode::EnvelopeMalformed, version)));
    };
    if check_bounds(&package.permitted).is_err() || !validate(&package.defaults, &package.permitted).ok() || package.decoding_tables_version != DECODING_TABLES_VERSION {
        return Ok(Err((DoseCode::PackageInvalid, version)));
    }
    if package.controller_model != model {
        return Ok(Err((DoseCode::ControllerIncompatible, version)));
    }
    if let Some(i) = installed {
        if opened.seq < i.version {
            return Ok(Err((DoseCode::Downgrade, version)));
        }
        if opened.seq == i.version {
            return Ok(Err((DoseCode::AlreadyInstalled, version)));
        }
    }
    Ok(Ok(Installed { version: opened.seq, package }))
}

/// `current` under a new package: kept whole when valid; else each refused field replaced by the
/// package's default (the refusals listed), or the package's defaults whole when that mix is
/// still refused (an ordering rule across a kept and a replaced field).
fn keep_valid(current: &AlarmSettings, package: &ProgramPackage) -> (AlarmSettings, Vec<Finding>) {
    let invalid = validate(current, &package.permitted).refusals;
    if invalid.is_empty() {
        return (*current, invalid);
    }
    let mut mixed = current.values();
    for ((slot, default), spec) in mixed.iter_mut().zip(package.defaults.values()).zip(super::settings::FIELDS.iter()) {
        if invalid.iter().any(|f| f.field == spec.name) {
            *slot = default;
        }
    }
    let mixed = AlarmSettings::from_values(mixed);
    (if validate(&mixed, &package.permitted).ok() { mixed } else { package.defaults }, invalid)
}

/// Settings sealed and waiting for the controller's confirmation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "PendingSettings"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    /// The settings.
    pub settings: AlarmSettings,
    /// The envelope's sequence number.
    pub seq: u64,
    /// SHA-256 of the envelope (the acknowledgement names it).
    pub hash: [u8; 32],
}

/// What a proposal decided.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposeOutcome {
    /// `SETTINGS_PENDING`, `SETTINGS_REFUSED` or `NO_PACKAGE`.
    pub code: DoseCode,
    /// Refusals and warnings.
    pub validation: Validation,
    /// The `dose.settings` envelope to send (`SETTINGS_PENDING`); a `Uint8Array` in JavaScript.
    #[cfg_attr(feature = "ts", ts(type = "Uint8Array | null"))]
    pub envelope: Option<Vec<u8>>,
}

/// The patient terminal's state (plain data: persisted whole).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "PatientTerminalState"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Terminal {
    /// Pairing and trust.
    pub config: TerminalConfig,
    /// Changes so far (the store's rollback guard; +1 per change).
    pub revision: u64,
    /// The installed program.
    pub program: Option<Installed>,
    /// The settings the controller confirmed.
    pub confirmed: Option<AlarmSettings>,
    /// Settings sent and not yet confirmed.
    pub pending: Option<Pending>,
    /// What the settings form shows.
    pub draft: AlarmSettings,
    /// The last settings sequence number used.
    pub settings_seq: u64,
    /// The last acknowledgement sequence number accepted.
    pub last_ack_seq: Option<u64>,
    /// The controller's frame stream.
    pub stream: Stream,
}

impl Terminal {
    /// A terminal paired with a controller, no program yet. Errors: `INVALID_ARGUMENT` /
    /// `KEY_INVALID` naming `config.controllerModel`, `config.serverKeys`, `config.controllerKey`.
    pub fn new(config: TerminalConfig) -> Result<Self> {
        if !id_ok(&config.controller_model) {
            return Err(Error::new(ErrorCode::InvalidArgument, "config.controllerModel", "must be 1..=64 bytes without control characters"));
        }
        check_keys(&config.server_keys, &config.controller_key, "config.controllerKey")?;
        Ok(Terminal {
            config,
            revision: 0,
            program: None,
            confirmed: None,
            pending: None,
            draft: AlarmSettings::default(),
            settings_seq: 0,
            last_ack_seq: None,
            stream: Stream::default(),
        })
    }

    /// The permitted bounds in force (the program's, or the absolute ones).
    pub fn permitted(&self) -> Bounds {
        self.program.as_ref().map_or_else(absolute_bounds, |p| p.package.permitted)
    }

    /// Installs a program package (check order in the module documentation).
    pub fn install(&mut self, bytes: &[u8], now_s: i64) -> Result<InstallOutcome> {
        let keys = trusted(&self.config.server_keys);
        let installed = match check_package(bytes, &keys, now_s, &self.config.controller_model, self.program.as_ref())? {
            Ok(i) => i,
            Err((code, version)) => return Ok(InstallOutcome { code, version, invalid: Vec::new() }),
        };
        let version = Some(installed.version);
        let (kept, invalid) = keep_valid(&self.confirmed.unwrap_or(self.draft), &installed.package);
        self.program = Some(installed);
        self.revision += 1;
        self.draft = kept;
        let code = if invalid.is_empty() { DoseCode::Installed } else { DoseCode::InstalledSettingsReview };
        Ok(InstallOutcome { code, version, invalid })
    }

    /// Validates `settings` and, when valid, seals them as pending (see the module
    /// documentation). `ttl_s` is how long the envelope is valid (1..=86,400 s).
    pub fn propose(&mut self, settings: &AlarmSettings, signer: Signer<'_>, now_s: i64, ttl_s: i64) -> Result<ProposeOutcome> {
        if !(1..=86_400).contains(&ttl_s) {
            return Err(Error::new(ErrorCode::InvalidArgument, "ttlS", "must be 1..=86400 seconds"));
        }
        let Some(program) = self.program.as_ref() else {
            return Ok(ProposeOutcome { code: DoseCode::NoPackage, validation: Validation::default(), envelope: None });
        };
        let validation = validate(settings, &program.package.permitted);
        if !validation.ok() {
            return Ok(ProposeOutcome { code: DoseCode::SettingsRefused, validation, envelope: None });
        }
        let seq = self.settings_seq.checked_add(1).ok_or_else(|| Error::new(ErrorCode::LimitExceeded, "settingsSeq", "exhausted"))?;
        let mut e = Enc::new();
        e.array(2).u64(program.version).array(FIELDS_COUNT as u64);
        for v in settings.values() {
            e.u64(u64::from(v));
        }
        let bytes = envelope::seal(&SealParams {
            alg: signer.alg,
            secret_key: signer.secret_key,
            key_id: signer.key_id,
            msg_type: SETTINGS_TYPE,
            version: SCHEMA_VERSION,
            seq,
            issued_at: now_s,
            expires_at: now_s.saturating_add(ttl_s),
            payload: &e.into_bytes(),
        })?;
        self.settings_seq = seq;
        self.revision += 1;
        self.draft = *settings;
        self.pending = Some(Pending { settings: *settings, seq, hash: sha256(&bytes) });
        Ok(ProposeOutcome { code: DoseCode::SettingsPending, validation, envelope: Some(bytes) })
    }

    /// Takes the controller's `dose.settings-ack` (see the module documentation).
    pub fn take_ack(&mut self, bytes: &[u8], now_s: i64) -> Result<DoseCode> {
        let keys = trusted(core::slice::from_ref(&self.config.controller_key));
        let opened = match open(bytes, &keys, now_s, SETTINGS_ACK_TYPE, self.last_ack_seq)? {
            Ok(o) => o,
            Err(code) => return Ok(code),
        };
        let Some((settings_seq, in_reply_to, code)) = decode_ack(&opened.payload) else {
            return Ok(DoseCode::EnvelopeMalformed);
        };
        let Some(pending) = self.pending.as_ref().filter(|p| p.seq == settings_seq && p.hash == in_reply_to) else {
            return Ok(DoseCode::NotPending);
        };
        let settings = pending.settings;
        self.last_ack_seq = Some(opened.seq);
        self.pending = None;
        self.revision += 1;
        if code == DoseCode::SettingsConfirmed {
            self.confirmed = Some(settings);
            Ok(DoseCode::SettingsConfirmed)
        } else {
            Ok(DoseCode::SettingsRejected)
        }
    }

    /// Decodes a frame from the controller into the stream (see [`Stream::accept`]).
    pub fn accept_frame(&mut self, bytes: &[u8]) -> Accepted {
        let out = self.stream.accept(bytes);
        if matches!(out.code, DoseCode::Accepted | DoseCode::AcceptedAfterGap) {
            self.revision += 1;
        }
        out
    }

    /// The terminal as authenticated snapshot bytes (see [`super::codec`]).
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        super::codec::seal(self, snapshot_key)
    }

    /// A terminal from [`Terminal::snapshot`] bytes. Errors: `SNAPSHOT_INVALID` (tampered, not
    /// canonical, or an inconsistent state), `SNAPSHOT_VERSION_UNSUPPORTED`, `KEY_INVALID`.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<Self> {
        super::codec::open(bytes, snapshot_key)
    }

    /// Whether the state keeps the rules a terminal built by these methods keeps: valid config,
    /// the program's bounds and defaults valid, the confirmed and pending settings within the
    /// absolute bounds, the pending one the last sealed.
    pub fn is_consistent(&self) -> bool {
        let config_ok = id_ok(&self.config.controller_model) && check_keys(&self.config.server_keys, &self.config.controller_key, "config").is_ok();
        let program_ok = self.program.as_ref().map_or(true, |p| {
            p.package.controller_model == self.config.controller_model
                && check_bounds(&p.package.permitted).is_ok()
                && validate(&p.package.defaults, &p.package.permitted).ok()
        });
        // Confirmed and pending settings were valid under the program of their time; a later
        // program may refuse them (INSTALLED_SETTINGS_REVIEW keeps them until the patient sends
        // new ones), so only the absolute bounds hold for them here.
        let absolute = absolute_bounds();
        let settings_ok = self.confirmed.map_or(true, |c| validate(&c, &absolute).ok())
            && self.pending.as_ref().map_or(true, |p| p.seq == self.settings_seq && self.program.is_some() && validate(&p.settings, &absolute).ok());
        config_ok && program_ok && settings_ok
    }
}

fn decode_ack(payload: &[u8]) -> Option<(u64, [u8; 32], DoseCode)> {
    let d = &mut Decoder::new(payload);
    cbor::array(d, 3)?;
    let seq = cbor::u64(d)?;
    let hash: [u8; 32] = cbor::bytes(d)?.try_into().ok()?;
    let code = DoseCode::from_name(&cbor::string(d)?)?;
    if !matches!(code, DoseCode::SettingsConfirmed | DoseCode::SettingsRefused | DoseCode::ProgramMismatch) {
        return None;
    }
    let mut e = Enc::new();
    e.array(3).u64(seq).bytes(&hash).str(code.as_str());
    (d.position() == payload.len() && e.into_bytes() == payload).then_some((seq, hash, code))
}

/// What the controller did with a settings envelope.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsAnswer {
    /// `SETTINGS_CONFIRMED`, a refusal it answers (`SETTINGS_REFUSED`, `PROGRAM_MISMATCH`), or an
    /// envelope refusal it does not answer.
    pub code: DoseCode,
    /// The signed `dose.settings-ack` (absent for envelope refusals); a `Uint8Array` in JavaScript.
    #[cfg_attr(feature = "ts", ts(type = "Uint8Array | null"))]
    pub ack: Option<Vec<u8>>,
}

/// The (simulated) controller's state.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "DoseControllerState"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Controller {
    /// What it is and whom it trusts.
    pub config: ControllerConfig,
    /// The installed program.
    pub program: Option<Installed>,
    /// The settings in force (the program's defaults until the terminal's are confirmed; the
    /// core's defaults before any program).
    pub confirmed: AlarmSettings,
    /// The last settings sequence accepted.
    pub last_settings_seq: Option<u64>,
    /// The last acknowledgement sequence used.
    pub ack_seq: u64,
}

impl Controller {
    /// A controller. Errors: `INVALID_ARGUMENT` / `KEY_INVALID` naming `config.model`,
    /// `config.serverKeys`, `config.terminalKey`.
    pub fn new(config: ControllerConfig) -> Result<Self> {
        if !id_ok(&config.model) {
            return Err(Error::new(ErrorCode::InvalidArgument, "config.model", "must be 1..=64 bytes without control characters"));
        }
        check_keys(&config.server_keys, &config.terminal_key, "config.terminalKey")?;
        Ok(Controller { config, program: None, confirmed: AlarmSettings::default(), last_settings_seq: None, ack_seq: 0 })
    }

    /// Installs a program package (same checks as the terminal's). The first program's defaults
    /// become the settings in force; a later program keeps them when still valid, else replaces
    /// each field it refuses by its default (the terminal's draft is made the same way, so the
    /// patient reviews exactly what the controller now runs).
    pub fn install(&mut self, bytes: &[u8], now_s: i64) -> Result<DoseCode> {
        let keys = trusted(&self.config.server_keys);
        let installed = match check_package(bytes, &keys, now_s, &self.config.model, self.program.as_ref())? {
            Ok(i) => i,
            Err((code, _)) => return Ok(code),
        };
        if self.program.is_none() {
            self.confirmed = installed.package.defaults;
            self.program = Some(installed);
            return Ok(DoseCode::InstalledSettingsReview);
        }
        let (kept, invalid) = keep_valid(&self.confirmed, &installed.package);
        self.confirmed = kept;
        self.program = Some(installed);
        Ok(if invalid.is_empty() { DoseCode::Installed } else { DoseCode::InstalledSettingsReview })
    }

    /// Opens a `dose.settings` envelope and answers it (see the module documentation).
    pub fn receive_settings(&mut self, bytes: &[u8], now_s: i64, signer: Signer<'_>) -> Result<SettingsAnswer> {
        let keys = trusted(core::slice::from_ref(&self.config.terminal_key));
        let opened = match open(bytes, &keys, now_s, SETTINGS_TYPE, self.last_settings_seq)? {
            Ok(o) => o,
            Err(code) => return Ok(SettingsAnswer { code, ack: None }),
        };
        let Some((program_version, settings)) = decode_settings(&opened.payload) else {
            return Ok(SettingsAnswer { code: DoseCode::EnvelopeMalformed, ack: None });
        };
        let code = match self.program.as_ref() {
            Some(p) if p.version == program_version => {
                if validate(&settings, &p.package.permitted).ok() {
                    DoseCode::SettingsConfirmed
                } else {
                    DoseCode::SettingsRefused
                }
            }
            _ => DoseCode::ProgramMismatch,
        };
        let ack_seq = self.ack_seq.checked_add(1).ok_or_else(|| Error::new(ErrorCode::LimitExceeded, "ackSeq", "exhausted"))?;
        let mut e = Enc::new();
        e.array(3).u64(opened.seq).bytes(&sha256(bytes)).str(code.as_str());
        let ack = envelope::seal(&SealParams {
            alg: signer.alg,
            secret_key: signer.secret_key,
            key_id: signer.key_id,
            msg_type: SETTINGS_ACK_TYPE,
            version: SCHEMA_VERSION,
            seq: ack_seq,
            issued_at: now_s,
            expires_at: now_s.saturating_add(3_600),
            payload: &e.into_bytes(),
        })?;
        self.ack_seq = ack_seq;
        self.last_settings_seq = Some(opened.seq);
        if code == DoseCode::SettingsConfirmed {
            self.confirmed = settings;
        }
        Ok(SettingsAnswer { code, ack: Some(ack) })
    }

    /// Evaluates `history` against the settings in force ([`evaluate`]).
    pub fn evaluate(&self, history: &[Frame], until_ms: u64) -> Result<Vec<Signal>> {
        evaluate(&self.confirmed, history, until_ms)
    }

    /// Evaluates a history given as the frames' bytes ([`evaluate_bytes`]).
    pub fn evaluate_bytes(&self, history: &[u8], until_ms: u64) -> Result<Vec<Signal>> {
        evaluate_bytes(&self.confirmed, history, until_ms)
    }
}

fn decode_settings(payload: &[u8]) -> Option<(u64, AlarmSettings)> {
    let d = &mut Decoder::new(payload);
    cbor::array(d, 2)?;
    let version = cbor::u64(d)?;
    cbor::array(d, FIELDS_COUNT as u64)?;
    let mut v = [0u32; FIELDS_COUNT];
    for slot in &mut v {
        *slot = cbor::u32(d)?;
    }
    let mut e = Enc::new();
    e.array(2).u64(version).array(FIELDS_COUNT as u64);
    for x in v {
        e.u64(u64::from(x));
    }
    (d.position() == payload.len() && e.into_bytes() == payload).then_some((version, AlarmSettings::from_values(v)))
}
