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
//! asset     = [counters, expected uint, observed uint / null, discrepancySince uint / null]
//! counters  = a limit set's counters without its definitions (`Limits::encode_counters`,
//!             `limits/codec.rs`): the definitions are the configuration's specifications
//! ledger    = the ledger's state (`ledger/codec.rs`), its idempotency keys included
//! client    = [clientId, index uint, address bstr(20), [[destination bstr(20), usableFrom int]],
//!              [counters] (its client limits, one set per asset)]
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
//! threshold, the address → client index, the time zones, and every limit set, built from the
//! configuration's specifications as [`Book::new`] and a registration build them, then given
//! its counters (a counter set that does not fit its limits is refused).
//!
//! [`Book::restore`] checks, in order: the frame ([`crate::snapshot::open`]: key, size, canonical
//! frame, version, MAC), the body's shape with every list bounded by the book's `*_MAX`
//! constants, the canonical encoding (re-encoding gives the body back: one state, one byte
//! string), the configuration (as [`Book::new`] checks it), then every cross-reference (each
//! deposit's, withdrawal's and wallet check's client exists; client indexes are 0..n; addresses
//! unique; withdrawal digests recomputed; approvals by configured approvers; one set of client
//! limits per asset; discrepancy markers as reconciliation leaves them) and [`Book::check_invariants`].
//! Any failure is `SNAPSHOT_INVALID`, and no book is returned.

use std::collections::BTreeMap;

use minicbor::Decoder;

use super::*;
use crate::limits::cbor::{self, Cbor, Enc};
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

    /// A new book from its configuration in the snapshot's `config` encoding (module docs;
    /// `LimitSpec` as `limits/codec.rs` writes it): what the SDK sends, having checked every
    /// field's type and named it (sdk-ts/src/custody-config.ts). The wasm module has no reader
    /// of the configuration as a JS object (serde's, 11 KB gzip of the `custody-book` module):
    /// the snapshot's decoder reads it instead. Any order of map keys or integer width the
    /// decoder accepts is read; the values are then checked by [`Book::new`].
    ///
    /// Errors: `INVALID_ARGUMENT` about `config` when `bytes` are not one configuration (at most
    /// [`CONFIG_LIST_ITEMS_MAX`] items per list); then [`Book::new`]'s.
    pub fn from_config_cbor(bytes: &[u8]) -> Result<Book> {
        let d = &mut Decoder::new(bytes);
        match decode_config(d) {
            Some(config) if d.position() == bytes.len() => Book::new(config),
            _ => Err(Error::new(ErrorCode::InvalidArgument, "config", "is not a book configuration's encoding".to_owned())),
        }
    }

    /// The configuration in the encoding [`Book::from_config_cbor`] reads: what the SDK's
    /// `CustodyBook#config` decodes (serde's writer of the configuration as an object was 2 KB
    /// gzip of the `custody-book` module; this encoder is the snapshot's).
    pub fn config_cbor(&self) -> Vec<u8> {
        let mut e = Enc::new();
        encode_config(&mut e, &self.config);
        e.into_bytes()
    }

    /// The state's canonical bytes (a snapshot's body).
    pub(crate) fn state_bytes(&self) -> Vec<u8> {
        let mut e = Enc::new();
        e.array(9);
        encode_config(&mut e, &self.config);
        e.u64(self.event).array(self.assets.len() as u64);
        for a in &self.assets {
            e.array(4);
            a.asset_limits.encode_counters(&mut e);
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
            e.array(c.limits.len() as u64);
            for limits in &c.limits {
                limits.encode_counters(&mut e);
            }
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
        for (id, c) in &self.clients {
            check_id(id, "clientId")?;
            // Built from the configuration's specifications when decoded (their counters set
            // and checked against them): one set per asset.
            if c.limits.len() != assets {
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
        for a in &self.assets {
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

/// A list of at most `max` items, each read by `item`; how many. One loop, not generic, for
/// every list of the snapshot: a generic reader collecting into a `Vec` was a loop, a `Vec` and
/// its drop per element type, and the decoded pairs were then inserted into their maps again
/// (HACKING.md, "custody-book over 200 KB"). Each item goes straight into the book.
#[inline(never)]
fn each(d: &mut Decoder<'_>, max: usize, item: &mut dyn FnMut(&mut Decoder<'_>) -> Option<()>) -> Option<usize> {
    let len = usize::try_from(cbor::array_len(d)?).ok()?;
    if len > max {
        return None;
    }
    for _ in 0..len {
        item(d)?;
    }
    Some(len)
}

/// A list of at most `max` items, each read by `item`, collected (the configuration's lists).
fn list<T>(d: &mut Decoder<'_>, max: usize, mut item: impl FnMut(&mut Decoder<'_>) -> Option<T>) -> Option<Vec<T>> {
    let mut out = Vec::new();
    each(d, max, &mut |d| {
        out.push(item(d)?);
        Some(())
    })?;
    Some(out)
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

/// Whether the next item is null (consumed if so).
#[inline(never)]
fn null(d: &mut Decoder<'_>) -> Option<bool> {
    if d.datatype().ok()? == minicbor::data::Type::Null {
        d.null().ok()?;
        return Some(true);
    }
    Some(false)
}

/// Minor units or null.
fn minor_or_null(d: &mut Decoder<'_>) -> Option<Option<i128>> {
    if null(d)? {
        return Some(None);
    }
    minor(d).map(Some)
}

/// An event number or null.
fn event_or_null(d: &mut Decoder<'_>) -> Option<Option<u64>> {
    if null(d)? {
        return Some(None);
    }
    cbor::u64(d).map(Some)
}

/// The most items a list of a configuration's encoding may hold (assets, approvers, an asset's
/// limit specifications): a bound on what decoding allocates, above the book's own maxima, so
/// that [`Book::new`] refuses a longer list with its own error (which names the list).
pub const CONFIG_LIST_ITEMS_MAX: usize = 256;

fn decode_config(d: &mut Decoder<'_>) -> Option<BookConfig> {
    cbor::array(d, 5)?;
    let assets = list(d, CONFIG_LIST_ITEMS_MAX, |d| {
        cbor::array(d, 5)?;
        Some(AssetConfig {
            asset: cbor::string(d)?,
            confirmations: cbor::u32(d)?,
            sweep_threshold: cbor::string(d)?,
            client_limits: cbor::list(d, CONFIG_LIST_ITEMS_MAX)?,
            asset_limits: cbor::list(d, CONFIG_LIST_ITEMS_MAX)?,
        })
    })?;
    let omnibus_address = cbor::string(d)?;
    let approvers = list(d, CONFIG_LIST_ITEMS_MAX, |d| {
        cbor::array(d, 2)?;
        Some(Approver { approver_id: cbor::string(d)?, public_key: cbor::bytes(d)? })
    })?;
    Some(BookConfig { assets, omnibus_address, approvers, quorum: cbor::u32(d)?, cooling_off_s: cbor::u32(d)? })
}

/// The book in `body`: None when a shape or bound does not hold; an error when the
/// configuration is refused by [`Book::new`] (made `SNAPSHOT_INVALID`). Decoded items are
/// inserted as they come: a repeated or misordered key re-encodes differently and is refused by
/// the caller's comparison.
fn decode_book(body: &[u8]) -> Option<Result<Book>> {
    let d = &mut Decoder::new(body);
    cbor::array(d, 9)?;
    let config = decode_config(d)?;
    let mut book = match Book::new(config) {
        Ok(book) => book,
        Err(e) => return Some(Err(invalid(&format!("the snapshot's configuration is refused: {}", e.message())))),
    };
    book.event = cbor::u64(d)?;
    let mut assets = book.assets.iter_mut();
    let states = each(d, ASSETS_MAX, &mut |d| {
        cbor::array(d, 4)?;
        let asset = assets.next()?;
        // Built by Book::new from the configuration: only the counters are read.
        asset.asset_limits.decode_counters(d)?;
        asset.expected = minor(d)?;
        asset.observed = minor_or_null(d)?;
        asset.discrepancy_since = event_or_null(d)?;
        Some(())
    })?;
    if states != book.assets.len() {
        return None;
    }
    book.ledger = crate::ledger::Ledger::decode(d)?;
    let (clients, addresses, specs, zones) = (&mut book.clients, &mut book.addresses, &book.assets, &book.zones);
    each(d, CLIENTS_MAX, &mut |d| {
        cbor::array(d, 5)?;
        let id = cbor::string(d)?;
        let index = cbor::u32(d)?;
        let address = addr(d)?;
        let mut allow_list = BTreeMap::new();
        each(d, ALLOW_LIST_MAX, &mut |d| {
            cbor::array(d, 2)?;
            allow_list.insert(addr(d)?, cbor::i64(d)?);
            Some(())
        })?;
        // Each asset's client limits as registration builds them, then their counters.
        let mut limits = Vec::with_capacity(specs.len());
        let mut asset = specs.iter();
        each(d, ASSETS_MAX, &mut |d| {
            let mut set = Limits::new(&asset.next()?.client_specs, CountingPolicy::default(), zones).ok()?;
            set.decode_counters(d)?;
            limits.push(set);
            Some(())
        })?;
        addresses.insert(address, id.clone());
        clients.insert(id, Client { index, address, allow_list, limits });
        Some(())
    })?;
    let deposits = &mut book.deposits;
    each(d, DEPOSITS_MAX, &mut |d| {
        cbor::array(d, 6)?;
        let id = cbor::string(d)?;
        let (address, asset, amount) = (addr(d)?, asset_index(d)?, minor(d)?);
        let client = if null(d)? { None } else { Some(cbor::string(d)?) };
        let state = match cbor::u8(d)? {
            0 => DepositState::Pending,
            1 => DepositState::Confirmed,
            2 => DepositState::Quarantined,
            3 => DepositState::Released,
            _ => return None,
        };
        deposits.insert(id, Deposit { address, asset, amount, client, state });
        Some(())
    })?;
    let withdrawals = &mut book.withdrawals;
    each(d, WITHDRAWALS_MAX, &mut |d| {
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
        let mut approvals = BTreeMap::new();
        each(d, APPROVERS_MAX, &mut |d| {
            cbor::array(d, 2)?;
            approvals.insert(cbor::string(d)?, cbor::i64(d)?);
            Some(())
        })?;
        withdrawals.insert(id, Withdrawal { client, asset, amount, fee, destination, state, digest, approvals });
        Some(())
    })?;
    let (observed, differing) = (&mut book.wallets_observed, &mut book.wallets_differing);
    each(d, CLIENTS_MAX.saturating_mul(ASSETS_MAX), &mut |d| {
        cbor::array(d, 5)?;
        let key = (cbor::string(d)?, asset_index(d)?);
        let check = WalletCheck { observed: minor(d)?, expected: minor(d)?, since: event_or_null(d)? };
        // The index of differing wallets is derived (decoded in key order, so it stays sorted);
        // check_invariants compares it with the map.
        if check.since.is_some() {
            differing.push(key.clone());
        }
        observed.insert(key, check);
        Some(())
    })?;
    let seqs = &mut book.approver_seqs;
    each(d, APPROVERS_MAX, &mut |d| {
        cbor::array(d, 2)?;
        seqs.insert(cbor::string(d)?, cbor::u64(d)?);
        Some(())
    })?;
    (d.position() == body.len()).then_some(Ok(book))
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
