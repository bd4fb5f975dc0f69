//! The network state: observations in, a state with hysteresis out, a reason on every change.
//!
//! The SDK reports what it sees ([`Observation`], each with `atMs`); the monitor keeps three
//! counters of consecutive answers — failures `f`, good answers `g` (latency ≤ `slowLatencyMs`),
//! slow answers `s` — and the time it entered its state (`sinceMs`). Times never run backwards:
//! an observation older than the last one counts at the last one's time.
//!
//! | observation | from | to | reason |
//! |---|---|---|---|
//! | `osOffline` | any but offline | offline | `OS_OFFLINE` |
//! | `captivePortal {detected: true}` | any but offline | offline | `CAPTIVE_PORTAL` |
//! | `osOnline` | offline | unknown | `OS_ONLINE` (the link is back; the service is not proven) |
//! | failure (`request`/`probe` with `ok: false`) | online, unknown, degraded | offline when `f ≥ failuresToOffline` | `FAILURES` |
//! | failure | online, unknown | degraded (when `f` is below `failuresToOffline`) | `FAILURE` |
//! | slow answer | online | degraded when `s ≥ slowToDegraded` | `SLOW` |
//! | slow answer | offline, unknown | degraded | `REACHABLE_SLOW` |
//! | good answer | unknown | online | `ANSWERED` |
//! | good answer | offline, degraded | online when `g ≥ successesToOnline` and `atMs − sinceMs ≥ recoverHoldMs` | `RECOVERED` |
//!
//! A failure resets `g` and `s`, a slow answer `f` and `g`, a good answer `f` and `s`; `osOffline`,
//! `osOnline` (when it changes the state) and a detected captive portal reset all three.
//! `captivePortal {detected: false}` proves the link, not the acquirer: it changes nothing. Every
//! state change resets `sinceMs` to the observation's time. The hysteresis: leaving `degraded`
//! or `offline` for `online` takes `successesToOnline` good answers in a row *and* at least
//! `recoverHoldMs` in the state, so one lucky answer on a flapping network does not flip the
//! terminal back.

use serde::{Deserialize, Serialize};

use super::{check_time, invalid};
use crate::error::Result;

/// The largest hysteresis count, observations.
pub const COUNT_MAX: u32 = 100;
/// The longest hysteresis duration or latency threshold, ms (1 hour).
pub const HOLD_MS_MAX: u64 = 3_600_000;

/// The network state.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NetworkState {
    /// Nothing proven yet (start-up, a restore, or the OS said the link is back).
    Unknown,
    /// The acquirer answers, fast.
    Online,
    /// The acquirer answers slowly, or some calls fail.
    Degraded,
    /// No link, a captive portal, or too many failures in a row.
    Offline,
}

/// Why the state changed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NetworkReason {
    /// The OS reported no link.
    OsOffline,
    /// The OS reported the link is back.
    OsOnline,
    /// A captive portal answered instead of the internet.
    CaptivePortal,
    /// failuresToOffline failures in a row.
    Failures,
    /// A failure while online or unknown.
    Failure,
    /// slowToDegraded slow answers in a row while online.
    Slow,
    /// A slow answer while offline or unknown: reachable, but slow.
    ReachableSlow,
    /// A good answer while unknown.
    Answered,
    /// successesToOnline good answers in a row after recoverHoldMs in the state.
    Recovered,
}

/// Hysteresis counts and durations.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkConfig {
    /// Failures in a row that make the network offline (1..=COUNT_MAX).
    pub failures_to_offline: u32,
    /// Good answers in a row needed to recover to online (1..=COUNT_MAX).
    pub successes_to_online: u32,
    /// Slow answers in a row that make an online network degraded (1..=COUNT_MAX).
    pub slow_to_degraded: u32,
    /// An answer slower than this is slow, ms (1..=HOLD_MS_MAX).
    pub slow_latency_ms: u64,
    /// The least time in degraded or offline before recovering, ms (0..=HOLD_MS_MAX).
    pub recover_hold_ms: u64,
}

impl Default for NetworkConfig {
    /// 3 failures → offline; 2 good answers and 10 s → online; 3 answers slower than 2 s → degraded.
    fn default() -> Self {
        NetworkConfig {
            failures_to_offline: 3,
            successes_to_online: 2,
            slow_to_degraded: 3,
            slow_latency_ms: 2_000,
            recover_hold_ms: 10_000,
        }
    }
}

impl NetworkConfig {
    /// Every count within 1..=COUNT_MAX, every duration within its bounds.
    pub fn validate(&self) -> Result<()> {
        for (value, param) in [
            (self.failures_to_offline, "config.network.failuresToOffline"),
            (self.successes_to_online, "config.network.successesToOnline"),
            (self.slow_to_degraded, "config.network.slowToDegraded"),
        ] {
            if value == 0 || value > COUNT_MAX {
                return Err(invalid(param, format!("must be 1 to {COUNT_MAX}, got {value}")));
            }
        }
        if self.slow_latency_ms == 0 || self.slow_latency_ms > HOLD_MS_MAX {
            return Err(invalid("config.network.slowLatencyMs", format!("must be 1 to {HOLD_MS_MAX} ms")));
        }
        if self.recover_hold_ms > HOLD_MS_MAX {
            return Err(invalid("config.network.recoverHoldMs", format!("must be at most {HOLD_MS_MAX} ms")));
        }
        Ok(())
    }
}

/// What the SDK observed (`kind` tags it).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum Observation {
    /// The OS's `online` event.
    OsOnline {
        /// ms since the epoch.
        at_ms: u64,
    },
    /// The OS's `offline` event.
    OsOffline {
        /// ms since the epoch.
        at_ms: u64,
    },
    /// A request to the acquirer: answered (`ok`) or failed, with its latency.
    Request {
        /// ms since the epoch.
        at_ms: u64,
        /// Whether it answered (any HTTP answer from the acquirer counts).
        ok: bool,
        /// How long it took, ms.
        latency_ms: u64,
    },
    /// A health probe: the same as a request, sent only to learn the state.
    Probe {
        /// ms since the epoch.
        at_ms: u64,
        /// Whether it answered.
        ok: bool,
        /// How long it took, ms.
        latency_ms: u64,
    },
    /// A captive-portal check's answer.
    CaptivePortal {
        /// ms since the epoch.
        at_ms: u64,
        /// Whether a portal answered instead of the expected page.
        detected: bool,
    },
}

impl Observation {
    /// When it was observed.
    pub fn at_ms(&self) -> u64 {
        match *self {
            Observation::OsOnline { at_ms }
            | Observation::OsOffline { at_ms }
            | Observation::Request { at_ms, .. }
            | Observation::Probe { at_ms, .. }
            | Observation::CaptivePortal { at_ms, .. } => at_ms,
        }
    }
}

/// A state change.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// The state before.
    pub from: NetworkState,
    /// The state after.
    pub to: NetworkState,
    /// Why.
    pub reason: NetworkReason,
    /// When (the effective time of the observation), ms.
    pub at_ms: u64,
}

/// The state and its counters.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkStatus {
    /// The state.
    pub state: NetworkState,
    /// The reason of the last change (none since start-up).
    pub reason: Option<NetworkReason>,
    /// When the state was entered, ms (0 at start-up).
    pub since_ms: u64,
    /// Failures in a row.
    pub failures: u32,
    /// Good answers in a row.
    pub successes: u32,
    /// Slow answers in a row.
    pub slow: u32,
}

/// The network state machine (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkMonitor {
    config: NetworkConfig,
    status: NetworkStatus,
    last_ms: u64,
}

impl NetworkMonitor {
    /// A monitor in state `unknown`.
    pub fn new(config: NetworkConfig) -> Result<NetworkMonitor> {
        config.validate()?;
        Ok(NetworkMonitor {
            config,
            status: NetworkStatus { state: NetworkState::Unknown, reason: None, since_ms: 0, failures: 0, successes: 0, slow: 0 },
            last_ms: 0,
        })
    }

    /// Its configuration.
    pub fn config(&self) -> NetworkConfig {
        self.config
    }

    /// The state and counters.
    pub fn status(&self) -> NetworkStatus {
        self.status
    }

    /// Feeds one observation; the state change it caused, if any.
    ///
    /// Errors: `INVALID_ARGUMENT` about `observation.atMs` / `observation.latencyMs` past
    /// TIME_MS_MAX (nothing changes).
    pub fn observe(&mut self, observation: &Observation) -> Result<Option<Transition>> {
        check_time(observation.at_ms(), "observation.atMs")?;
        if let Observation::Request { latency_ms, .. } | Observation::Probe { latency_ms, .. } = *observation {
            check_time(latency_ms, "observation.latencyMs")?;
        }
        let t = observation.at_ms().max(self.last_ms);
        self.last_ms = t;
        let c = self.config;
        let s = &mut self.status;
        use NetworkReason as R;
        use NetworkState as S;
        let change = match *observation {
            Observation::OsOffline { .. } => {
                s.failures = 0;
                s.successes = 0;
                s.slow = 0;
                (s.state != S::Offline).then_some((S::Offline, R::OsOffline))
            }
            Observation::CaptivePortal { detected: true, .. } => {
                s.failures = 0;
                s.successes = 0;
                s.slow = 0;
                (s.state != S::Offline).then_some((S::Offline, R::CaptivePortal))
            }
            Observation::CaptivePortal { detected: false, .. } => None,
            Observation::OsOnline { .. } => {
                if s.state == S::Offline {
                    s.failures = 0;
                    s.successes = 0;
                    s.slow = 0;
                    Some((S::Unknown, R::OsOnline))
                } else {
                    None
                }
            }
            Observation::Request { ok: false, .. } | Observation::Probe { ok: false, .. } => {
                s.failures = s.failures.saturating_add(1).min(COUNT_MAX);
                s.successes = 0;
                s.slow = 0;
                if s.state != S::Offline && s.failures >= c.failures_to_offline {
                    Some((S::Offline, R::Failures))
                } else if matches!(s.state, S::Online | S::Unknown) {
                    Some((S::Degraded, R::Failure))
                } else {
                    None
                }
            }
            Observation::Request { latency_ms, .. } | Observation::Probe { latency_ms, .. } if latency_ms > c.slow_latency_ms => {
                s.slow = s.slow.saturating_add(1).min(COUNT_MAX);
                s.failures = 0;
                s.successes = 0;
                match s.state {
                    S::Online if s.slow >= c.slow_to_degraded => Some((S::Degraded, R::Slow)),
                    S::Offline | S::Unknown => Some((S::Degraded, R::ReachableSlow)),
                    _ => None,
                }
            }
            Observation::Request { .. } | Observation::Probe { .. } => {
                s.successes = s.successes.saturating_add(1).min(COUNT_MAX);
                s.failures = 0;
                s.slow = 0;
                match s.state {
                    S::Unknown => Some((S::Online, R::Answered)),
                    S::Offline | S::Degraded
                        if s.successes >= c.successes_to_online && t.saturating_sub(s.since_ms) >= c.recover_hold_ms =>
                    {
                        Some((S::Online, R::Recovered))
                    }
                    _ => None,
                }
            }
        };
        Ok(change.map(|(to, reason)| {
            let from = s.state;
            s.state = to;
            s.reason = Some(reason);
            s.since_ms = t;
            Transition { from, to, reason, at_ms: t }
        }))
    }
}
