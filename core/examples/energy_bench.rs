//! Native benchmark of the energy system: whole sessions per second in the core, no wasm, no JS.
//!
//! ```sh
//! cargo run -p countersign-core --release --example energy_bench
//! ```
//!
//! One session is the whole flow between a terminal and the e-money server: the terminal's
//! order, the server's hold and signed authorisation, the terminal accepting it, one meter
//! reading, the completion, the server's capture and signed receipt, the terminal accepting the
//! receipt; then the completion envelope is sent again and answered from the stored answers.
//! Before anything is timed the server is filled to `SESSIONS_MAX` closed sessions (and the
//! terminal to its own limit), so every new order makes room by forgetting the oldest: the
//! session lookups, inserts, removals and the request-hash index run at their largest. Each
//! session is checked (`HELD`, `COMPLETED`, the repeat `repeated`) as it runs. A benchmark,
//! never a test: nothing asserts a speed.
//!
//! The last line is machine-readable: `energy_bench sessions_per_s=NNN`.

use std::time::{Duration, Instant};

use countersign_core::card::PublicKey;
use countersign_core::crypto::ed25519;
use countersign_core::energy::{
    BelowMaximum, EnergyCode, EnergyServer, EnergyTerminal, LateCompletion, Order, ServerConfig,
    Signer, Tariff, TerminalConfig, TerminalKey, Unit, SESSIONS_MAX,
};
use countersign_core::envelope::Alg;

/// Upper bound on timed sessions.
const SESSIONS_TIMED_MAX: u64 = 1_000_000;
/// Time box of the measurement.
const TIME_BOX: Duration = Duration::from_secs(3);
const T0: i64 = 1_767_225_600;
const SERVER_SECRET: [u8; 32] = [7; 32];
const TERMINAL_SECRET: [u8; 32] = [9; 32];

fn public(secret: &[u8; 32], key_id: &str) -> PublicKey {
    PublicKey {
        key_id: key_id.to_owned(),
        alg: Alg::EdDSA,
        public_key: ed25519::public_key(secret).expect("a 32-byte secret").to_vec(),
    }
}

fn order(id: &str) -> Order {
    Order {
        order_id: id.to_owned(),
        wallet_id: "alice".to_owned(),
        station_id: "station-1".to_owned(),
        maximum: "50.00".to_owned(),
        below_maximum: BelowMaximum::Decline,
        minimum: None,
        step: None,
        tariff: Tariff {
            currency: "EUR".to_owned(),
            unit: Unit::Litre,
            resolution: None,
            unit_price: "1.859".to_owned(),
            cost_rounding: "half-even".to_owned(),
            tax: None,
        },
    }
}

/// One whole session `n` at time `now`.
fn session(server: &mut EnergyServer, terminal: &mut EnergyTerminal, n: u64, now: i64) {
    let server_signer = Signer { alg: Alg::EdDSA, key_id: "server", secret_key: &SERVER_SECRET };
    let terminal_signer = Signer { alg: Alg::EdDSA, key_id: "pump-1", secret_key: &TERMINAL_SECRET };
    let id = format!("o-{n}");
    let sent = terminal.order(order(&id), now, &terminal_signer).expect("order");
    let reply = server.authorise(&sent.envelope.expect("order envelope"), now, &server_signer).expect("authorise");
    assert_eq!(reply.code, EnergyCode::Held, "session {n}");
    terminal.accept_authorisation(&reply.envelope.expect("authorisation"), now).expect("accept");
    terminal.meter(&id, "12.34", now + 60).expect("meter");
    let sent = terminal.complete(&id, now + 60, &terminal_signer).expect("complete");
    let completion = sent.envelope.expect("completion envelope");
    let reply = server.complete(&completion, now + 60, &server_signer).expect("server complete");
    assert_eq!(reply.code, EnergyCode::Completed, "session {n}");
    terminal.accept_receipt(&reply.envelope.expect("receipt"), now + 60).expect("receipt");
    let again = server.complete(&completion, now + 60, &server_signer).expect("repeat");
    assert!(again.repeated, "session {n}: the repeat is answered from the stored answers");
}

fn main() {
    let mut server = EnergyServer::new(
        ServerConfig {
            currency: "EUR".to_owned(),
            hold_duration_s: 900,
            late_completion: LateCompletion::Reject,
            clock_skew_s: 0,
        },
        T0,
    )
    .expect("server");
    server
        .add_terminal(TerminalKey { station_id: "station-1".to_owned(), key: public(&TERMINAL_SECRET, "pump-1") }, T0)
        .expect("terminal key");
    server.open_wallet("alice", T0).expect("wallet");
    assert!(server.top_up("alice", "1000000000.00", T0).expect("top up").is_success());
    let mut terminal = EnergyTerminal::new(TerminalConfig {
        station_id: "station-1".to_owned(),
        server_key: public(&SERVER_SECRET, "server"),
        clock_skew_s: 0,
    })
    .expect("terminal");

    // Fill the server (every session closed) so each timed order forgets the oldest one.
    let mut n = 0u64;
    let fill = SESSIONS_MAX as u64 + 16;
    while n < fill {
        session(&mut server, &mut terminal, n, T0 + n as i64);
        n += 1;
        if server.journal().len() >= 1024 {
            let head = server.revision().1;
            server.truncate_journal(head).expect("truncate");
        }
    }
    assert_eq!(server.session_ids().len(), SESSIONS_MAX);

    let start = Instant::now();
    let mut timed = 0u64;
    while timed < SESSIONS_TIMED_MAX && start.elapsed() < TIME_BOX {
        session(&mut server, &mut terminal, n, T0 + n as i64);
        n += 1;
        timed += 1;
        if server.journal().len() >= 1024 {
            let head = server.revision().1;
            server.truncate_journal(head).expect("truncate");
        }
    }
    let per_s = timed as f64 / start.elapsed().as_secs_f64();
    println!("energy_bench sessions_per_s={per_s:.0}");
}
