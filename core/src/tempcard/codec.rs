//! Temporary-account service snapshots: the shared authenticated format ([`crate::snapshot`]),
//! type `"countersign.tempcard.snapshot"`, version 1. The body is deterministic CBOR (arrays in
//! field order, absent options as null):
//!
//! ```text
//! state      = [config, [account], ledger: bstr]      ledger = a ledger snapshot (same key)
//! config     = [currency, [binLow, binHigh, panLength], settlementAccountId]
//! account    = [id, parent, credentials, approvedLimit, limitFraction / null, limitCap / null,
//!               temporaryLimit, maxUses / null, merchantLock / null, lockToFirstMerchant,
//!               uses, spent, refunded, closure / null, [authorisation], [refund]]
//! credentials= [pan, expiry, expiresAt, [displayFrom, displayUntil], [usableFrom, usableUntil]]
//! closure    = [reason (0 activation, 1 window end), at, released]
//! authorisation = [id, amount, currency, merchantId, code, availableAfter, usesAfter,
//!                  captured, refunded]
//! refund     = [id, authorisationId, amount, currency, code, afterClosure]
//! ```
//!
//! Amounts of the service's currency are minor units (unsigned); amounts as presented (possibly in
//! another currency) are canonical decimal strings. The ledger is embedded as its own
//! authenticated snapshot under the same key, so the ledger's own consistency checks run on
//! restore; then the service checks its accounts against it. No CVV and no CVV key is in a
//! snapshot.

use minicbor::Decoder;

use super::account::{
    AuthRecord, Closure, ClosureReason, PanOwner, RefundRecord, ServiceConfig, TempAccount,
    TempCardService,
    ACCOUNT_ID_BYTES_MAX, AUTHORISATIONS_PER_ACCOUNT_MAX, REFUNDS_PER_ACCOUNT_MAX,
    TEMP_ACCOUNTS_MAX,
};
use super::codes::TempCardCode;
use super::credentials::{BinRange, Credentials, Window};
use crate::error::Result;
use crate::ledger::{id_ok, AccountKind, Ledger};
use crate::limits::cbor::{self, Cbor, Enc};
use crate::limits::keyed::KeyedVec;
use crate::money::Currency;
use crate::snapshot::{self, invalid, SnapshotKind};

/// The snapshot format version written by this build.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
/// The largest snapshot accepted, in bytes: the ledger's maximum (16 MiB) plus 1024 accounts
/// with 256 authorisations and 256 refunds of at most ~400 bytes each (~200 MiB would be the
/// theoretical worst; the practical state is far smaller, so the bound is 64 MiB).
pub const SNAPSHOT_BYTES_MAX: usize = 64 * 1024 * 1024;

const KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.tempcard.snapshot",
    version: SNAPSHOT_FORMAT_VERSION,
    bytes_max: SNAPSHOT_BYTES_MAX,
};

impl Cbor for TempCardCode {
    fn encode(&self, e: &mut Enc) {
        e.str(self.as_str());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        TempCardCode::from_name(d.str().ok()?)
    }
}

impl Cbor for Window {
    fn encode(&self, e: &mut Enc) {
        e.array(2).i64(self.from).i64(self.until);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let (from, until) = <(i64, i64)>::decode(d)?;
        Some(Window { from, until })
    }
}

impl Cbor for Credentials {
    fn encode(&self, e: &mut Enc) {
        e.array(5)
            .str(&self.pan)
            .str(&self.expiry)
            .i64(self.expires_at);
        self.display_window.encode(e);
        self.usable_window.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(Credentials {
            pan: cbor::string(d)?,
            expiry: cbor::string(d)?,
            expires_at: cbor::i64(d)?,
            display_window: Window::decode(d)?,
            usable_window: Window::decode(d)?,
        })
    }
}

impl Cbor for Closure {
    fn encode(&self, e: &mut Enc) {
        let reason = match self.reason {
            ClosureReason::Activation => 0,
            ClosureReason::WindowEnd => 1,
        };
        e.array(3).u64(reason).i64(self.at).u128(self.released);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        let reason = match cbor::u64(d)? {
            0 => ClosureReason::Activation,
            1 => ClosureReason::WindowEnd,
            _ => return None,
        };
        Some(Closure {
            reason,
            at: cbor::i64(d)?,
            released: cbor::u128(d)?,
        })
    }
}

impl Cbor for AuthRecord {
    fn encode(&self, e: &mut Enc) {
        e.array(9)
            .str(&self.id)
            .str(&self.amount)
            .str(&self.currency)
            .str(&self.merchant_id);
        self.code.encode(e);
        e.u128(self.available_after)
            .u64(u64::from(self.uses_after))
            .u128(self.captured)
            .u128(self.refunded);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 9)?;
        Some(AuthRecord {
            id: cbor::string(d)?,
            amount: cbor::string(d)?,
            currency: cbor::string(d)?,
            merchant_id: cbor::string(d)?,
            code: TempCardCode::decode(d)?,
            available_after: cbor::u128(d)?,
            uses_after: cbor::u32(d)?,
            captured: cbor::u128(d)?,
            refunded: cbor::u128(d)?,
        })
    }
}

impl Cbor for RefundRecord {
    fn encode(&self, e: &mut Enc) {
        e.array(6)
            .str(&self.id)
            .str(&self.authorisation_id)
            .str(&self.amount)
            .str(&self.currency);
        self.code.encode(e);
        e.bool(self.after_closure);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 6)?;
        Some(RefundRecord {
            id: cbor::string(d)?,
            authorisation_id: cbor::string(d)?,
            amount: cbor::string(d)?,
            currency: cbor::string(d)?,
            code: TempCardCode::decode(d)?,
            after_closure: cbor::bool(d)?,
        })
    }
}

impl Cbor for TempAccount {
    fn encode(&self, e: &mut Enc) {
        e.array(16).str(&self.id).str(&self.parent);
        self.credentials.encode(e);
        e.u128(self.approved_limit)
            .opt(self.limit_fraction.as_ref())
            .opt(self.limit_cap.as_ref())
            .u128(self.temporary_limit)
            .opt(self.max_uses.map(u64::from).as_ref())
            .opt(self.merchant_lock.as_ref())
            .bool(self.lock_to_first_merchant)
            .u64(u64::from(self.uses))
            .u128(self.spent)
            .u128(self.refunded)
            .opt(self.closure.as_ref())
            .list(&self.authorisations)
            .list(&self.refunds);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 16)?;
        Some(TempAccount {
            id: cbor::string(d)?,
            parent: cbor::string(d)?,
            credentials: Credentials::decode(d)?,
            approved_limit: cbor::u128(d)?,
            limit_fraction: cbor::opt(d)?,
            limit_cap: cbor::opt(d)?,
            temporary_limit: cbor::u128(d)?,
            max_uses: match cbor::opt::<u64>(d)? {
                Some(uses) => Some(u32::try_from(uses).ok()?),
                None => None,
            },
            merchant_lock: cbor::opt(d)?,
            lock_to_first_merchant: cbor::bool(d)?,
            uses: cbor::u32(d)?,
            spent: cbor::u128(d)?,
            refunded: cbor::u128(d)?,
            closure: cbor::opt(d)?,
            authorisations: cbor::list(d, AUTHORISATIONS_PER_ACCOUNT_MAX)?,
            refunds: cbor::list(d, REFUNDS_PER_ACCOUNT_MAX)?,
        })
    }
}

/// The body without the ledger: `[config, accounts]` then the ledger bytes are appended by
/// [`seal`]; decoding reads the three items.
struct Body {
    config: ServiceConfig,
    accounts: Vec<TempAccount>,
    ledger: Vec<u8>,
}

impl Cbor for Body {
    fn encode(&self, e: &mut Enc) {
        let range = &self.config.bin_range;
        e.array(3)
            .array(3)
            .str(&self.config.currency)
            .array(3)
            .str(&range.low)
            .str(&range.high)
            .u64(u64::from(range.pan_length))
            .str(&self.config.settlement_account_id)
            .list(&self.accounts)
            .bytes(&self.ledger);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        cbor::array(d, 3)?;
        let currency = cbor::string(d)?;
        cbor::array(d, 3)?;
        let bin_range = BinRange {
            low: cbor::string(d)?,
            high: cbor::string(d)?,
            pan_length: cbor::u8(d)?,
        };
        let settlement_account_id = cbor::string(d)?;
        Some(Body {
            config: ServiceConfig {
                currency,
                bin_range,
                settlement_account_id,
            },
            accounts: cbor::list(d, TEMP_ACCOUNTS_MAX)?,
            ledger: cbor::bytes(d)?,
        })
    }
}

impl TempCardService {
    /// The whole state (accounts and the embedded ledger, not the ledger's retained journal
    /// entries) as authenticated bytes; format in `codec.rs`.
    ///
    /// Errors: `KEY_INVALID` about `snapshotKey` (must be 32 bytes).
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        let body = Body {
            config: self.config.clone(),
            accounts: self.accounts.iter().cloned().collect(),
            ledger: self.ledger.snapshot(snapshot_key)?,
        };
        snapshot::seal(&KIND, &cbor::to_vec(&body), snapshot_key)
    }

    /// A service from [`TempCardService::snapshot`] bytes.
    ///
    /// Errors: `KEY_INVALID` about `snapshotKey`; `SNAPSHOT_VERSION_UNSUPPORTED` and
    /// `SNAPSHOT_INVALID` (truncated, tampered, wrong key, not canonical, inconsistent) about
    /// `snapshot`.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<TempCardService> {
        let body = snapshot::open(&KIND, bytes, snapshot_key)?;
        let body: Body = cbor::from_slice(body)
            .ok_or_else(|| invalid("the snapshot body is not a canonically encoded service"))?;
        let ledger = Ledger::restore(&body.ledger, snapshot_key)?;
        let currency = Currency::from_code(&body.config.currency)
            .map_err(|_| invalid("the snapshot names an unknown currency"))?;
        let mut accounts = KeyedVec::new();
        let mut pans = KeyedVec::new();
        let mut previous: Option<String> = None;
        for account in body.accounts {
            // Ascending ids: one encoding per state.
            if previous.as_ref().is_some_and(|p| *p >= account.id) {
                return Err(invalid(
                    "the snapshot's accounts are not in ascending order",
                ));
            }
            previous = Some(account.id.clone());
            if !consistent(&account, &ledger, currency.code()) {
                return Err(invalid(
                    "the snapshot holds an inconsistent temporary account",
                ));
            }
            if pans.contains_key(&account.credentials.pan) {
                return Err(invalid(
                    "two temporary accounts of the snapshot share a PAN",
                ));
            }
            pans.insert(PanOwner {
                pan: account.credentials.pan.clone(),
                account_id: account.id.clone(),
            });
            // Above every id so far (checked above): appended.
            accounts.insert(account);
        }
        let settlement_ok = ledger
            .account(&body.config.settlement_account_id)
            .is_some_and(|a| a.kind == AccountKind::Unrestricted && a.currency == currency.code());
        if !settlement_ok {
            return Err(invalid("the snapshot's settlement account is missing"));
        }
        Ok(TempCardService {
            config: body.config,
            currency,
            ledger,
            accounts,
            pans,
        })
    }
}

/// The rules every stored temporary account keeps.
fn consistent(account: &TempAccount, ledger: &Ledger, currency: &str) -> bool {
    let parent_ok = ledger
        .account(&account.parent)
        .is_some_and(|p| p.kind == AccountKind::CreditLine && p.currency == currency);
    let ids_ok = id_ok(&account.id) && account.id.len() <= ACCOUNT_ID_BYTES_MAX;
    let approved_uses = account
        .authorisations
        .iter()
        .filter(|a| a.code == TempCardCode::Approved)
        .count();
    let captured = account
        .authorisations
        .iter()
        .fold(0u128, |sum, a| sum.saturating_add(a.captured));
    parent_ok
        && ids_ok
        && account.credentials.validate().is_ok()
        && account.temporary_limit > 0
        && account.temporary_limit <= account.approved_limit
        && account.spent <= account.temporary_limit
        && captured == account.spent
        && account.refunded <= account.spent
        && usize::try_from(account.uses).is_ok_and(|uses| uses == approved_uses)
        && account.max_uses.map_or(true, |max| account.uses <= max)
}

/// `bytes` (a service snapshot) with its accounts edited and sealed again under `snapshot_key`:
/// for tests of what a restore refuses in a body that is authentic but inconsistent.
#[cfg(test)]
pub(super) fn resealed(bytes: &[u8], snapshot_key: &[u8], edit: impl FnOnce(&mut Vec<TempAccount>)) -> Vec<u8> {
    let body = snapshot::open(&KIND, bytes, snapshot_key).expect("an authentic service snapshot");
    let mut body: Body = cbor::from_slice(body).expect("a canonical service body");
    edit(&mut body.accounts);
    snapshot::seal(&KIND, &cbor::to_vec(&body), snapshot_key).expect("a 32-byte key")
}
