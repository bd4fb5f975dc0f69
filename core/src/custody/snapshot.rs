//! The book's state snapshot: its whole state as versioned, authenticated, deterministic CBOR, so
//! that restoring a book costs O(state), not O(history) (the persisted log it replaces grew with
//! every event the book ever applied).
//!
//! ```text
//! snapshot  = [ "countersign.custody.book.snapshot", version: uint (1), body: bstr, mac: bstr (32) ]
//! body      = [config, event uint, [asset], ledger, [client], [deposit], [withdrawal],
//!              [walletCheck], [approverSeq]]                  (every list by its key, ascending)
//! config    = [[assetConfig], omnibusAddress tstr, [[approverId tstr, publicKey bstr]],
//!              quorum uint, coolingOffS uint]
//! assetConfig = [asset tstr, confirmations uint, sweepThreshold tstr, [limitSpec], [limitSpec]]
//! asset     = [assetLimits, expected uint, observed uint / null, discrepancySince uint / null]
//! ledger    = the ledger's state (`ledger/codec.rs`), its idempotency keys included
//! client    = [clientId, index uint, address bstr(20), [[destination bstr(20), usableFrom int]],
//!              [limits] (one per asset)]
//! deposit   = [depositId, address bstr(20), asset uint, amount uint, clientId / null,
//!              state (0 pending | 1 confirmed | 2 quarantined | 3 released)]
//! withdrawal = [withdrawalId, clientId, asset uint, amount uint, fee uint, destination bstr(20),
//!              state (0 awaitingApproval | 1 signed | 2 confirmed | 3 cancelled), digest bstr(32),
//!              [[approverId, expiresAt int]]]
//! walletCheck = [clientId, asset uint, observed uint, expected uint, since uint / null]
//! approverSeq = [approverId, seq uint]
//! ```
//!
//! The configuration travels inside (authenticated with the state, so a state cannot be opened
//! under another policy). Amounts are minor units (never negative in a consistent book). The
//! derived parts are rebuilt, not stored: the omnibus address, each asset's currency and sweep
//! threshold, the address → client index, the time zones.
//!
//! [`Book::restore`] checks, in order: the frame ([`crate::snapshot::open`]: key, size, canonical
//! frame, version, MAC), the body's shape with every list bounded by the book's `*_MAX`
//! constants, the canonical encoding (re-encoding gives the body back: one state, one byte
//! string), the configuration (as [`Book::new`] checks it), then every cross-reference (each
//! deposit's, withdrawal's and wallet check's client exists; client indexes are 0..n; addresses
//! unique; withdrawal digests recomputed; approvals by configured approvers; limits as
//! configured; discrepancy markers as reconciliation leaves them) and [`Book::check_invariants`].
//! Any failure is `SNAPSHOT_INVALID`, and no book is returned.

use std::collections::BTreeMap;

use minicbor::Decoder;

use super::*;
use crate::limits::cbor::{self, Cbor, Enc};
use crate::limits::{LimitSpec, LIMITS_PER_SET_MAX};
use crate::snapshot::{invalid, SnapshotKind};

/// The format version written and read by this build.
pub const BOOK_SNAPSHOT_VERSION: u32 = 1;
/// The largest book snapshot accepted, bytes: the storage adapters' value limit (64 MiB). A book
/// at every limit (65,536 deposits and withdrawals, a full ledger) is about 30 MB.
pub const BOOK_SNAPSHOT_BYTES_MAX: usize = 64 * 1024 * 1024;

const KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.custody.book.snapshot",
    version: BOOK_SNAPSHOT_VERSION,
    bytes_max: BOOK_SNAPSHOT_BYTES_MAX,
};

type Address = [u8; keys::ADDRESS_BYTES];

impl Book {
    /// The whole state, HMAC-SHA256-authenticated under `snapshot_key` (32 bytes): see the
    /// module docs of `custody::snapshot` for the layout. Deterministic: the same book gives the
    /// same bytes.
    ///
    /// Errors: `KEY_INVALID` about `snapshotKey`; `SNAPSHOT_INVALID` when the state is larger
    /// than [`BOOK_SNAPSHOT_BYTES_MAX`].
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        let body = self.state_bytes();
        if body.len() > BOOK_SNAPSHOT_BYTES_MAX.saturating_sub(256) {
            return Err(invalid("the book is larger than a snapshot's maximum size"));
        }
        crate::snapshot::seal(&KIND, &body, snapshot_key)
    }

    /// A book from [`Book::snapshot`] bytes, checked as the module docs say: it goes on exactly
    /// as the book that was snapshotted would have.
    ///
    /// Errors: `KEY_INVALID` about `snapshotKey`; `SNAPSHOT_VERSION_UNSUPPORTED`;
    /// `SNAPSHOT_INVALID` (tampered, another key, not a book snapshot, out of bounds, parts that
    /// disagree).
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<Book> {
        let body = crate::snapshot::open(&KIND, bytes, snapshot_key)?;
        let book = decode_book(body).ok_or_else(|| invalid("the snapshot body is not a book within its bounds"))??;
        if book.state_bytes() != body {
            return Err(invalid("the snapshot body is not canonically encoded"));
        }
        book.check_references()
            .and_then(|()| book.check_invariants())
            .map_err(|e| invalid(&format!("the snapshot holds an inconsistent book: {}", e.message())))?;
        Ok(book)
    }

    /// The state's canonical bytes (a snapshot's body).
    pub(crate) fn state_bytes(&self) -> Vec<u8> {
        let mut e = Enc::new();
        e.array(9);
        encode_config(&mut e, &self.config);
        e.u64(self.event).array(self.assets.len() as u64);
        for a in &self.assets {
            e.array(4);
            a.asset_limits.encode(&mut e);
            e.u128(a.expected.unsigned_abs());
            opt_units(&mut e, a.observed);
            opt_u64(&mut e, a.discrepancy_since);
        }
        self.ledger.encode(&mut e);
        e.array(self.clients.len() as u64);
        for (id, c) in &self.clients {
            e.array(5).str(id).u64(u64::from(c.index)).bytes(&c.address).array(c.allow_list.len() as u64);
            for (destination, from) in &c.allow_list {
                e.array(2).bytes(destination).i64(*from);
            }
            e.list(&c.limits);
        }
        e.array(self.deposits.len() as u64);
        for (id, d) in &self.deposits {
            e.array(6).str(id).bytes(&d.address).u64(d.asset as u64).u128(d.amount.unsigned_abs());
            match &d.client {
                Some(c) => e.str(c),
                None => e.null(),
            };
            e.u64(d.state as u64);
        }
        e.array(self.withdrawals.len() as u64);
        for (id, w) in &self.withdrawals {
            e.array(9)
                .str(id)
                .str(&w.client)
                .u64(w.asset as u64)
                .u128(w.amount.unsigned_abs())
                .u128(w.fee.unsigned_abs())
                .bytes(&w.destination)
                .u64(w.state as u64)
                .bytes(&w.digest)
                .array(w.approvals.len() as u64);
            for (approver, expires) in &w.approvals {
                e.array(2).str(approver).i64(*expires);
            }
        }
        e.array(self.wallets_observed.len() as u64);
        for ((client, ai), check) in &self.wallets_observed {
            e.array(5).str(client).u64(*ai as u64).u128(check.observed.unsigned_abs()).u128(check.expected.unsigned_abs());
            opt_u64(&mut e, check.since);
        }
        e.array(self.approver_seqs.len() as u64);
        for (approver, seq) in &self.approver_seqs {
            e.array(2).str(approver).u64(*seq);
        }
        e.into_bytes()
    }

    /// The cross-references of a decoded book (what decoding alone cannot see). `INTERNAL`
    /// naming the first that fails (the caller makes it `SNAPSHOT_INVALID`).
    fn check_references(&self) -> Result<()> {
        let broken = |what: &str| Err(Error::new(ErrorCode::Internal, "", what.to_owned()));
        let assets = self.assets.len();
        let approver = |id: &str| self.config.approvers.iter().any(|a| a.approver_id == id);
        // Indexes are handed out as 0, 1, 2, … (the next is the number of clients): each once.
        // (Marks, not a sort: a sort's code is kilobytes of wasm per element type.)
        let mut seen = vec![false; self.clients.len()];
        for c in self.clients.values() {
            match seen.get_mut(c.index as usize) {
                Some(mark) if !*mark => *mark = true,
                _ => return broken("client indexes are not 0..clients"),
            }
        }
        if self.addresses.len() != self.clients.len() || self.addresses.contains_key(&self.omnibus) {
            return broken("two clients, or a client and the omnibus, share an address");
        }
        let fresh_client_limits: Vec<Vec<LimitSpec>> = self.assets.iter().map(|a| a.client_specs.clone()).collect();
        for (id, c) in &self.clients {
            check_id(id, "clientId")?;
            let specs_ok = c.limits.iter().zip(&fresh_client_limits).all(|(l, s)| same_limits(l, s, &self.zones));
            if c.limits.len() != assets || !specs_ok {
                return broken("a client's limits are not the configured ones");
            }
            for a in &self.assets {
                let code = a.currency.code();
                if self.ledger.account(&client_account(id, code)).is_none() || self.ledger.account(&wallet_account(id, code)).is_none() {
                    return broken("a client's ledger account is missing");
                }
            }
        }
        // Five book accounts per asset, two per client and asset: no other account exists.
        if self.ledger.counts().accounts != assets * (5 + 2 * self.clients.len()) {
            return broken("the ledger holds accounts the book did not open");
        }
        for (ai, a) in self.assets.iter().enumerate() {
            let specs = self.config.assets.get(ai).map(|c| c.asset_limits.as_slice()).unwrap_or_default();
            if !same_limits(&a.asset_limits, specs, &self.zones) {
                return broken("an asset's limits are not the configured ones");
            }
            let differs = a.observed.is_some_and(|o| o != a.expected);
            if differs != a.discrepancy_since.is_some() || a.discrepancy_since.is_some_and(|s| s > self.event) {
                return broken("an asset's discrepancy marker disagrees with its balances");
            }
        }
        for (id, d) in &self.deposits {
            check_id(id, "depositId")?;
            let at_client = d.client.as_ref().and_then(|c| self.clients.get(c)).map(|c| c.address);
            let placed = match (d.state, &d.client) {
                (DepositState::Released, Some(_)) => at_client.is_some() && d.address == self.omnibus,
                (DepositState::Released, None) => false,
                (_, Some(_)) => at_client == Some(d.address),
                (_, None) => d.address == self.omnibus,
            };
            if d.asset >= assets || d.amount <= 0 || !placed {
                return broken("a deposit names an unknown client, asset or address");
            }
        }
        for (id, w) in &self.withdrawals {
            check_id(id, "withdrawalId")?;
            let code = self.assets.get(w.asset).map(|a| a.currency.code());
            let digest_ok = code.is_some_and(|code| w.digest == withdrawal_digest(id, &w.client, code, w.amount, w.fee, &w.destination));
            if !self.clients.contains_key(&w.client) || w.amount <= 0 || w.fee < 0 || !digest_ok {
                return broken("a withdrawal names an unknown client or asset, or its digest differs");
            }
            if w.approvals.len() > APPROVERS_MAX || !w.approvals.keys().all(|a| approver(a)) {
                return broken("a withdrawal counts an approver not configured");
            }
        }
        for ((client, ai), check) in &self.wallets_observed {
            let Some(a) = self.assets.get(*ai) else { return broken("a wallet check names an unknown asset") };
            if !self.clients.contains_key(client) || check.expected != self.balance(&wallet_account(client, a.currency.code()), a.currency) {
                return broken("a wallet check names an unknown client or differs from its wallet");
            }
            if (check.observed != check.expected) != check.since.is_some() || check.since.is_some_and(|s| s > self.event) {
                return broken("a wallet check's discrepancy marker disagrees with its balances");
            }
        }
        if !self.approver_seqs.keys().all(|a| approver(a)) {
            return broken("an approver sequence names an approver not configured");
        }
        Ok(())
    }
}

/// Whether decoded limits are consistent and are `specs` with the book's counting policy.
fn same_limits(limits: &Limits, specs: &[LimitSpec], zones: &TimeZones) -> bool {
    limits.is_consistent()
        && limits.policy() == CountingPolicy::default()
        && Limits::new(specs, CountingPolicy::default(), zones).is_ok_and(|fresh| fresh.specs() == limits.specs())
}

fn opt_units(e: &mut Enc, value: Option<i128>) {
    match value {
        Some(v) => e.u128(v.unsigned_abs()),
        None => e.null(),
    };
}

fn opt_u64(e: &mut Enc, value: Option<u64>) {
    match value {
        Some(v) => e.u64(v),
        None => e.null(),
    };
}

fn encode_config(e: &mut Enc, config: &BookConfig) {
    e.array(5).array(config.assets.len() as u64);
    for a in &config.assets {
        e.array(5).str(&a.asset).u64(u64::from(a.confirmations)).str(&a.sweep_threshold).list(&a.client_limits).list(&a.asset_limits);
    }
    e.str(&config.omnibus_address).array(config.approvers.len() as u64);
    for a in &config.approvers {
        e.array(2).str(&a.approver_id).bytes(&a.public_key);
    }
    e.u64(u64::from(config.quorum)).u64(u64::from(config.cooling_off_s));
}

// ------------------------------------------------------------------------------------------
// Decoding: shapes and bounds (None: not a book); the configuration checked by Book::new

/// A list of at most `max` items, each read by `item`.
fn list<T>(d: &mut Decoder<'_>, max: usize, mut item: impl FnMut(&mut Decoder<'_>) -> Option<T>) -> Option<Vec<T>> {
    let len = usize::try_from(cbor::array_len(d)?).ok()?;
    if len > max {
        return None;
    }
    // A loop, not `map(..).collect()`: the iterator adapters cost kilobytes of wasm per closure.
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        out.push(item(d)?);
    }
    Some(out)
}

/// A map of decoded pairs, inserted one by one (`collect` would sort them first: kilobytes of
/// wasm per pair type; a repeated or misordered key re-encodes differently and is refused).
fn map_of<K: Ord, V>(pairs: Vec<(K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        map.insert(k, v);
    }
    map
}

/// Minor units that fit the book's `i128`.
fn minor(d: &mut Decoder<'_>) -> Option<i128> {
    i128::try_from(cbor::u128(d)?).ok()
}

fn addr(d: &mut Decoder<'_>) -> Option<Address> {
    d.bytes().ok()?.try_into().ok()
}

fn asset_index(d: &mut Decoder<'_>) -> Option<usize> {
    usize::try_from(cbor::u64(d)?).ok().filter(|i| *i < ASSETS_MAX)
}

/// A value or null, read by `item`.
fn nullable<T>(d: &mut Decoder<'_>, item: impl FnOnce(&mut Decoder<'_>) -> Option<T>) -> Option<Option<T>> {
    if d.datatype().ok()? == minicbor::data::Type::Null {
        d.null().ok()?;
        return Some(None);
    }
    item(d).map(Some)
}

fn decode_config(d: &mut Decoder<'_>) -> Option<BookConfig> {
    cbor::array(d, 5)?;
    let assets = list(d, ASSETS_MAX, |d| {
        cbor::array(d, 5)?;
        Some(AssetConfig {
            asset: cbor::string(d)?,
            confirmations: cbor::u32(d)?,
            sweep_threshold: cbor::string(d)?,
            client_limits: cbor::list(d, LIMITS_PER_SET_MAX)?,
            asset_limits: cbor::list(d, LIMITS_PER_SET_MAX)?,
        })
    })?;
    let omnibus_address = cbor::string(d)?;
    let approvers = list(d, APPROVERS_MAX, |d| {
        cbor::array(d, 2)?;
        Some(Approver { approver_id: cbor::string(d)?, public_key: cbor::bytes(d)? })
    })?;
    Some(BookConfig { assets, omnibus_address, approvers, quorum: cbor::u32(d)?, cooling_off_s: cbor::u32(d)? })
}

/// The book in `body`: None when a shape or bound does not hold; an error when the
/// configuration is refused by [`Book::new`] (made `SNAPSHOT_INVALID`).
fn decode_book(body: &[u8]) -> Option<Result<Book>> {
    let d = &mut Decoder::new(body);
    cbor::array(d, 9)?;
    let config = decode_config(d)?;
    let mut book = match Book::new(config) {
        Ok(book) => book,
        Err(e) => return Some(Err(invalid(&format!("the snapshot's configuration is refused: {}", e.message())))),
    };
    book.event = cbor::u64(d)?;
    let states = list(d, ASSETS_MAX, |d| {
        cbor::array(d, 4)?;
        Some((Limits::decode(d)?, minor(d)?, nullable(d, minor)?, nullable(d, cbor::u64)?))
    })?;
    if states.len() != book.assets.len() {
        return None;
    }
    for (asset, (limits, expected, observed, since)) in book.assets.iter_mut().zip(states) {
        asset.asset_limits = limits;
        asset.expected = expected;
        asset.observed = observed;
        asset.discrepancy_since = since;
    }
    book.ledger = crate::ledger::Ledger::decode(d)?;
    for (id, client) in list(d, CLIENTS_MAX, |d| {
        cbor::array(d, 5)?;
        let id = cbor::string(d)?;
        let index = cbor::u32(d)?;
        let address = addr(d)?;
        let allow_list = list(d, ALLOW_LIST_MAX, |d| {
            cbor::array(d, 2)?;
            Some((addr(d)?, cbor::i64(d)?))
        })?;
        let limits = list(d, ASSETS_MAX, Limits::decode)?;
        Some((id, Client { index, address, allow_list: map_of(allow_list), limits }))
    })? {
        book.addresses.insert(client.address, id.clone());
        book.clients.insert(id, client);
    }
    for (id, deposit) in list(d, DEPOSITS_MAX, |d| {
        cbor::array(d, 6)?;
        let id = cbor::string(d)?;
        let (address, asset, amount) = (addr(d)?, asset_index(d)?, minor(d)?);
        let client = nullable(d, cbor::string)?;
        let state = match cbor::u8(d)? {
            0 => DepositState::Pending,
            1 => DepositState::Confirmed,
            2 => DepositState::Quarantined,
            3 => DepositState::Released,
            _ => return None,
        };
        Some((id, Deposit { address, asset, amount, client, state }))
    })? {
        book.deposits.insert(id, deposit);
    }
    for (id, withdrawal) in list(d, WITHDRAWALS_MAX, |d| {
        cbor::array(d, 9)?;
        let id = cbor::string(d)?;
        let client = cbor::string(d)?;
        let (asset, amount, fee, destination) = (asset_index(d)?, minor(d)?, minor(d)?, addr(d)?);
        let state = match cbor::u8(d)? {
            0 => WithdrawalState::AwaitingApproval,
            1 => WithdrawalState::Signed,
            2 => WithdrawalState::Confirmed,
            3 => WithdrawalState::Cancelled,
            _ => return None,
        };
        let digest = d.bytes().ok()?.try_into().ok()?;
        let approvals = map_of(list(d, APPROVERS_MAX, |d| {
            cbor::array(d, 2)?;
            Some((cbor::string(d)?, cbor::i64(d)?))
        })?);
        Some((id, Withdrawal { client, asset, amount, fee, destination, state, digest, approvals }))
    })? {
        book.withdrawals.insert(id, withdrawal);
    }
    for (key, check) in list(d, CLIENTS_MAX.saturating_mul(ASSETS_MAX), |d| {
        cbor::array(d, 5)?;
        let key = (cbor::string(d)?, asset_index(d)?);
        Some((key, WalletCheck { observed: minor(d)?, expected: minor(d)?, since: nullable(d, cbor::u64)? }))
    })? {
        // The index of differing wallets is derived (decoded in key order, so it stays sorted);
        // check_invariants compares it with the map.
        if check.since.is_some() {
            book.wallets_differing.push(key.clone());
        }
        book.wallets_observed.insert(key, check);
    }
    for (approver, seq) in list(d, APPROVERS_MAX, |d| {
        cbor::array(d, 2)?;
        Some((cbor::string(d)?, cbor::u64(d)?))
    })? {
        book.approver_seqs.insert(approver, seq);
    }
    (d.position() == body.len()).then_some(Ok(book))
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
