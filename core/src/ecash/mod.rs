//! System 6: offline electronic cash on a smart card, the back-end that detects abnormal
//! transactions and signs the card's security information, and an adversarial simulator.
//!
//! # Roles
//!
//! - **Card** ([`Card`]): holds an offline balance in minor units, a monotonic transaction
//!   counter, an Ed25519 key and a hash-chained offline log. It pays other cards and merchants
//!   while offline, within the limits of the last *security information* the back-end signed for
//!   it, and receives payments from other cards (those stay *pending* until the back-end settles
//!   them).
//! - **Merchant** ([`Merchant`]): accepts payments offline (checking the payer's security
//!   information and signature), keeps a hash-chained log of them and deposits them.
//! - **Back-end** ([`Backend`]): when a card comes online it receives the card's anti-replay
//!   factors and offline log ([`SyncRequest`]), runs the abnormal-transaction rules ([`Rules`],
//!   data: one code and one action each) and signs either new security information (clean) or a
//!   block / restrict instruction (abnormal). It also takes merchants' deposits, where double
//!   spends of cards that are still offline surface.
//! - **Simulator** ([`sim`]): N cards, M merchants, offline periods and attackers, deterministic
//!   from a seed; reports detection rate, time to detection and value at risk under given limits.
//!
//! The core has no clock and no randomness: every time is an input (Unix seconds, given by the
//! terminal or server), the simulator's randomness comes from its seed.
//!
//! # The anti-replay factor: a signed record
//!
//! Every entry of a card's log is a [`Record`] the card signs with its Ed25519 key. The signed
//! bytes (`Record::body`), all integers big-endian:
//!
//! ```text
//! tag      28 bytes  "countersign.ecash.record.v1\0"   (domain separation)
//! kind      1 byte   1 = send, 2 = receive
//! card      1 + n    length, then the signing card's id (1..=32 bytes of [a-z0-9-])
//! counter   8        u64, the card's transaction counter, 1 for the first record
//! amount    8        u64, minor units, 1..=AMOUNT_MINOR_MAX
//! party     1 + n    send: the payee's id; receive: the payer's id
//! time      8        i64, Unix seconds the terminal gave
//! prev     32        hash of the card's previous record (the first: genesis_hash(card))
//! payment  32        receive: hash of the payer's send record; send: 32 zero bytes
//! ```
//!
//! `signature = Ed25519(card key, body)` (64 bytes) and the record's hash is
//! `SHA-256(body ‖ signature)`, so the chain commits to the exact signed records;
//! `genesis_hash(card) = SHA-256("countersign.ecash.genesis\0" ‖ card)`. The anti-replay factor of
//! a transaction is its signature: it binds counter, amount, payee and the previous record.
//!
//! **Why a signature and not a MAC** (EMV's ARQC is a MAC under a key the issuer shares): with a
//! MAC only the issuer can check a record, so a double spend is the issuer's word against the
//! cardholder's. With the card's signature anyone holding the card's public key — a merchant, a
//! court, another issuer — can check that the card itself signed both records of a double spend
//! ([`DoubleSpendProof::verify`]), and a merchant can check a payment offline without any secret.
//!
//! # Security information (envelope `typ` "ecash.security", version 1)
//!
//! A [`crate::envelope`] (COSE_Sign1) from the issuer; its `seq` is the card's security version
//! (one stream per card for security information and instructions: each must be newer than the
//! last the card accepted), its `exp` the expiry. Payload ([`Security::encode`]):
//!
//! ```text
//! card            1 + n   the card's id
//! card key       32       the card's Ed25519 public key (merchants check payments with it)
//! synced counter  8       u64: the log was checked up to this counter
//! balance         8       u64: the settled, spendable balance at that counter
//! counter max     8       u64: the counter window — the card signs no record above it
//! single max      8       u64: largest single offline payment, minor units
//! cumulative max  8       u64: largest sum of offline payments since the synced counter
//! count max       4       u32: most offline payments since the synced counter
//! valid until     8       i64: no offline payment at or after this time (Unix seconds)
//! key roll        1 [+ 1 + n + 32]  0, or 1 then the new issuer key id and Ed25519 key
//! blocklist       2 + k × (1 + n)   u16 count (≤ BLOCKLIST_MAX), then card ids
//! ```
//!
//! An **instruction** (envelope `typ` "ecash.instruction", version 1) answers an abnormal check:
//! `card (1 + n) ‖ action (1: 1 = restrict, 2 = block) ‖ u16 count ‖ codes (1 byte each,
//! [`RuleCode::byte`])`. Restrict sets every offline limit to zero until the next clean check;
//! block stops the card for good.
//!
//! The card checks both (in [`Card::accept_security`]): `MALFORMED`, `UNKNOWN_KEY`,
//! `BAD_SIGNATURE`, `WRONG_TYPE`, `NOT_YET_VALID`, `EXPIRED`, `REPLAYED` (the envelope's order:
//! version not newer than the last accepted is `REPLAYED`), then `WRONG_CARD` (payload for another
//! card or key) and `COUNTER_BEHIND` (synced counter above the card's own counter).
//!
//! # Limits
//!
//! | name | value | unit | what |
//! |---|---:|---|---|
//! | [`AMOUNT_MINOR_MAX`] | 10^15 | minor units | one amount, a balance, a limit |
//! | [`ID_BYTES_MAX`] | 32 | bytes | a card or merchant id |
//! | [`OFFLINE_RECORDS_MAX`] | 16,384 | records | in a card's offline log (it must come online; a day of a busy transit card, and the 10,000-record log the bench checks) |
//! | [`SYNC_RECORDS_MAX`] | 16,384 | records | in one [`SyncRequest`] or deposit |
//! | [`BLOCKLIST_MAX`] | 1,024 | card ids | in one security information |
//! | [`FINDINGS_MAX`] | 64 | findings | reported by one check (the rest are counted) |
//! | [`CARDS_MAX`] | 1,000,000 | cards | registered at one back-end |
//! | [`SEEN_RECORDS_MAX`] | 10,000,000 | records | indexed by the back-end for double-spend proofs |

mod backend;
mod card;
mod codec;
mod record;
pub mod sim;

pub use backend::*;
pub use card::*;
pub use codec::{BACKEND_SNAPSHOT_BYTES_MAX, CARD_SNAPSHOT_BYTES_MAX, CARD_SNAPSHOT_TYPE, SNAPSHOT_FORMAT_VERSION};
pub use record::*;

#[cfg(test)]
mod tests;
