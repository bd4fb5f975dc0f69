//! Native benchmark of System 7's transfer lifecycle: whole lifecycles (quote, reserve with the
//! amount and the fee held as one linked chain, commit with the fulfilment) per second in the
//! core, no wasm, no JS, and the time of each step apart — the shape of `bench/transfer-lifecycle.mjs`
//! (a fresh book every 1,000 lifecycles: a book keeps at most 4,096 request ids).
//!
//! ```sh
//! cargo run -p countersign-core --release --example transfer_lifecycle_bench
//! ```
//!
//! The last line is machine-readable: `transfer_lifecycle_bench lifecycles_per_s=NNN
//! quote_us=N reserve_us=N commit_us=N`.

use std::time::{Duration, Instant};

use countersign_core::transfer::lifecycle::{
    BookConfig, Commit, Fund, LifecycleRequest, OpenAccount, Quote, Reserve, TransferBook,
};

const T0: i64 = 1_800_000_000;
/// Lifecycles per book (three request ids each, under the book's 4,096).
const PER_BOOK: u64 = 1_000;
/// Time box of one measurement.
const TIME_BOX: Duration = Duration::from_secs(2);
const FULFILMENT: &str = "0707070707070707070707070707070707070707070707070707070707070707";

fn fresh() -> TransferBook {
    let mut book = TransferBook::new(&BookConfig { book_id: "A".into(), currency: "EUR".into(), now: T0 }).expect("book");
    for (i, id) in ["alice", "bee"].iter().enumerate() {
        let r = LifecycleRequest::OpenAccount(OpenAccount { request_id: format!("o{i}"), now: T0, account_id: (*id).into() });
        book.execute(&r).expect("open");
    }
    let fund = LifecycleRequest::Fund(Fund { request_id: "f".into(), now: T0, account_id: "alice".into(), amount: "1000000".into() });
    book.execute(&fund).expect("fund");
    book
}

fn main() {
    let condition = {
        let bytes = [7u8; 32];
        countersign_core::crypto::sha256(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let mut spent = [Duration::ZERO; 3];
    let mut done = 0u64;
    let mut book = fresh();
    let started = Instant::now();
    while started.elapsed() < TIME_BOX {
        let n = done % PER_BOOK;
        if n == 0 && done > 0 {
            book = fresh();
        }
        let requests = [
            LifecycleRequest::Quote(Quote {
                request_id: format!("q{n}"), now: T0, quote_id: format!("Q{n}"), payer_account_id: "alice".into(),
                payee_account_id: "bee".into(), amount: "12.34".into(), fee: "0.50".into(), expires_at: T0 + 60,
            }),
            LifecycleRequest::Reserve(Reserve { request_id: format!("r{n}"), now: T0, transfer_id: format!("T{n}"), quote_id: format!("Q{n}"), condition: condition.clone() }),
            LifecycleRequest::Commit(Commit { request_id: format!("c{n}"), now: T0, transfer_id: format!("T{n}"), fulfilment: FULFILMENT.into() }),
        ];
        for (i, r) in requests.iter().enumerate() {
            let t = Instant::now();
            let outcome = book.execute(r).expect("step");
            spent[i] += t.elapsed();
            assert!(outcome.code.is_success(), "{:?}", outcome.code);
        }
        done += 1;
    }
    let total = started.elapsed().as_secs_f64();
    let us = |d: Duration| d.as_secs_f64() * 1e6 / done as f64;
    println!("{done} lifecycles in {total:.2} s (fresh book every {PER_BOOK})");
    println!(
        "transfer_lifecycle_bench lifecycles_per_s={:.0} quote_us={:.1} reserve_us={:.1} commit_us={:.1}",
        done as f64 / total,
        us(spent[0]),
        us(spent[1]),
        us(spent[2])
    );
}
