#!/usr/bin/env python3
"""Writes credentials.json: the temporary-card credential vectors.

An independent implementation of the rules in core/src/tempcard/credentials.rs (Python's hmac,
hashlib and calendar, no Rust code), so the expectations are not the core's own output. Run from
anywhere: `python3 tests/vectors/tempcard/generate.py`.
"""
import calendar
import hashlib
import hmac
import json
import os
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ATTEMPTS = 16
CVV_DOMAIN = b"countersign.tempcard.cvv.v1"


def luhn_check_digit(payload):
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number):
    return number.isdigit() and 2 <= len(number) <= 19 and luhn_check_digit(number[:-1]) == int(number[-1])


def ts(y, mo, d=1, h=0, mi=0, s=0):
    return calendar.timegm((y, mo, d, h, mi, s))


def expiry_of(until):
    last = datetime.fromtimestamp(until - 1, tz=timezone.utc)
    y, m = last.year, last.month
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return y, m, ts(ny, nm)


def draw_pan(bin_low, bin_high, pan_length, randomness, issued):
    k = pan_length - len(bin_low) - 1
    n = (int(bin_high) - int(bin_low) + 1) * 10 ** k
    accept_below = (2 ** 64 // n) * n
    for i in range(ATTEMPTS):
        v = int.from_bytes(randomness[8 * i: 8 * i + 8], "big")
        if v < accept_below:
            x = v % n
            prefix = int(bin_low) + x // 10 ** k
            payload = str(prefix).zfill(len(bin_low)) + str(x % 10 ** k).zfill(k)
            pan = payload + str(luhn_check_digit(payload))
            if pan in issued:
                return "PAN_COLLISION", None, i
            return "ISSUED", pan, i
    return "RANDOMNESS_EXHAUSTED", None, None


def cvv(key, pan, expires_at):
    last = datetime.fromtimestamp(expires_at - 1, tz=timezone.utc)
    msg = CVV_DOMAIN + b"\x00" + pan.encode() + b"\x00" + f"{last.year:04d}{last.month:02d}".encode()
    mac = hmac.new(key, msg, hashlib.sha256).digest()
    chunks = [int.from_bytes(mac[i:i + 2], "big") for i in range(0, 32, 2)]
    for c in chunks:
        if c < 65000:
            return f"{c % 1000:03d}"
    return f"{chunks[-1] % 1000:03d}"


def rand(label):
    out = b""
    counter = 0
    while len(out) < 8 * ATTEMPTS:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[: 8 * ATTEMPTS]


KEY_A = bytes(range(32))
KEY_B = bytes([0xA5] * 32)

APPROVED = ts(2026, 12, 10, 9, 30)
DISPLAY = {"from": APPROVED, "until": APPROVED + 600}
USABLE = {"from": APPROVED, "until": APPROVED + 30 * 86400}


def issue_case(note, bin_range, randomness, issued=(), display=DISPLAY, usable=USABLE):
    code, pan, attempt = draw_pan(bin_range["low"], bin_range["high"], bin_range["panLength"], randomness, set(issued))
    case = {
        "op": "issue",
        "note": note,
        "request": {"binRange": bin_range, "displayWindow": display, "usableWindow": usable, "issuedPans": list(issued)},
        "randomness": randomness.hex(),
    }
    if code == "ISSUED":
        y, m, expires_at = expiry_of(usable["until"])
        assert luhn_valid(pan) and len(pan) == bin_range["panLength"]
        case["expect"] = {
            "code": code,
            "credentials": {"pan": pan, "expiry": f"{m:02d}/{y % 100:02d}", "expiresAt": expires_at, "displayWindow": display, "usableWindow": usable},
        }
        case["note"] += f" (draw {attempt} accepted)"
    else:
        case["expect"] = {"code": code, "credentials": None}
    return case, pan


def main():
    cases = []
    # Luhn.
    for number, valid in [
        ("4111111111111111", True), ("5555555555554444", True), ("378282246310005", True),
        ("6011111111111117", True), ("4012888888881881", True), ("3530111333300000", True),
        ("4222222222222", True), ("79927398713", True), ("6759649826438453", True),
        ("4111111111111112", False), ("79927398710", False), ("4111 1111 1111 1111", False),
        ("", False), ("0", False), ("00", True), ("12345678901234567890", False),
    ]:
        assert luhn_valid(number) == valid or number == "12345678901234567890", number
        cases.append({"op": "luhnValid", "number": number, "expect": valid})
    for payload in ["7992739871", "411111111111111", "457173601234567", "0", "9"]:
        cases.append({"op": "luhnCheckDigit", "payload": payload, "expect": luhn_check_digit(payload)})
    for payload in ["", "12a4", "12345678901234567890"]:
        cases.append({"op": "luhnCheckDigit", "payload": payload, "expect": None})

    # Issuance.
    bin16 = {"low": "457173", "high": "457173", "panLength": 16}
    c, pan_a = issue_case("single 6-digit BIN, 16-digit PAN", bin16, rand("a"))
    cases.append(c)
    cases.append(issue_case("the same randomness gives the same PAN", bin16, rand("a"))[0])
    cases.append(issue_case("a PAN already issued for the parent: collision", bin16, rand("a"), issued=["4111111111111111", pan_a])[0])
    cases.append(issue_case("other randomness, same parent list: issued", bin16, rand("b"), issued=["4111111111111111", pan_a])[0])
    cases.append(issue_case("8-digit BIN range, 19-digit PAN", {"low": "45717360", "high": "45717369", "panLength": 19}, rand("c"))[0])
    cases.append(issue_case("8-digit BIN, 13-digit PAN (4 account digits)", {"low": "22223333", "high": "22223333", "panLength": 13}, rand("d"))[0])
    cases.append(issue_case("6-digit BIN range, 19-digit PAN (the largest PAN space)", {"low": "100000", "high": "999999", "panLength": 19}, rand("e"))[0])
    first_rejected = bytes([0xFF] * 16) + rand("f")[16:]
    cases.append(issue_case("the first two draws are rejected (above the largest multiple of the PAN count)", bin16, first_rejected)[0])
    big = {"low": "100000", "high": "999999", "panLength": 19}
    edge = (20 * 9 * 10 ** 17).to_bytes(8, "big") + (20 * 9 * 10 ** 17 - 1).to_bytes(8, "big") + rand("i")[16:]
    cases.append(issue_case("n = 9e17: draw 0 = 20n is rejected (a plain mod would map it to index 0), draw 1 = 20n - 1 is the last PAN", big, edge)[0])
    cases.append(issue_case("every draw rejected", bin16, bytes([0xFF] * 128))[0])
    cases.append(issue_case("all-zero randomness: the lowest PAN of the range", {"low": "510000", "high": "519999", "panLength": 16}, bytes(128))[0])
    year_end = {"from": ts(2026, 12, 31, 12), "until": ts(2027, 1, 1)}
    cases.append(issue_case("usable until exactly a month start: expires at that month start (12/26)", bin16, rand("g"), display={"from": year_end["from"], "until": year_end["from"] + 60}, usable=year_end)[0])
    one_more = {"from": ts(2026, 12, 31, 12), "until": ts(2027, 1, 1) + 1}
    cases.append(issue_case("usable one second into January: expires 01/27", bin16, rand("g"), display={"from": one_more["from"], "until": one_more["from"] + 60}, usable=one_more)[0])
    early = {"from": APPROVED - 3600, "until": APPROVED}
    cases.append(issue_case("display window before the usable window opens", bin16, rand("h"), display=early)[0])

    def issue_error(note, error, **over):
        request = {"binRange": bin16, "displayWindow": DISPLAY, "usableWindow": USABLE, "issuedPans": []}
        randomness = over.pop("randomness", rand("a"))
        request.update(over)
        cases.append({"op": "issue", "note": note, "request": request, "randomness": randomness.hex(), "error": error})

    issue_error("127 bytes of randomness", "INVALID_ARGUMENT", randomness=rand("a")[:127])
    issue_error("5-digit BIN", "INVALID_ARGUMENT", binRange={"low": "45717", "high": "45717", "panLength": 16})
    issue_error("9-digit BIN", "INVALID_ARGUMENT", binRange={"low": "457173601", "high": "457173601", "panLength": 16})
    issue_error("BIN starting with 0", "INVALID_ARGUMENT", binRange={"low": "057173", "high": "057173", "panLength": 16})
    issue_error("low above high", "INVALID_ARGUMENT", binRange={"low": "457174", "high": "457173", "panLength": 16})
    issue_error("low and high of different lengths", "INVALID_ARGUMENT", binRange={"low": "457173", "high": "4571730", "panLength": 16})
    issue_error("non-digit BIN", "INVALID_ARGUMENT", binRange={"low": "45717a", "high": "45717a", "panLength": 16})
    issue_error("PAN length 12", "INVALID_ARGUMENT", binRange={"low": "457173", "high": "457173", "panLength": 12})
    issue_error("PAN length 20", "INVALID_ARGUMENT", binRange={"low": "457173", "high": "457173", "panLength": 20})
    issue_error("empty display window", "INVALID_ARGUMENT", displayWindow={"from": APPROVED, "until": APPROVED})
    issue_error("usable window longer than 366 days", "INVALID_ARGUMENT", usableWindow={"from": APPROVED, "until": APPROVED + 366 * 86400 + 1})
    issue_error("display window ending after the usable window", "INVALID_ARGUMENT", displayWindow={"from": APPROVED, "until": USABLE["until"] + 1})
    issue_error("negative time", "INVALID_ARGUMENT", usableWindow={"from": -1, "until": APPROVED})
    issue_error("an issued PAN with a letter", "INVALID_ARGUMENT", issuedPans=["411111111111111x"])
    issue_error("1025 issued PANs", "LIMIT_EXCEEDED", issuedPans=["4111111111111111"] * 1025)

    # CVV.
    issued = next(x for x in cases if x["op"] == "issue" and x.get("expect", {}).get("code") == "ISSUED")["expect"]["credentials"]
    pan, expires_at = issued["pan"], issued["expiresAt"]
    for key, p, e in [(KEY_A, pan, expires_at), (KEY_B, pan, expires_at), (KEY_A, "4111111111111111", expires_at),
                      (KEY_A, pan, ts(2027, 2, 1)), (KEY_A, "4222222222222", ts(2030, 1, 1)), (KEY_A, "6759649826438453", ts(2999, 12, 1))]:
        cases.append({"op": "deriveCvv", "key": key.hex(), "pan": p, "expiresAt": e, "expect": cvv(key, p, e)})
    good = cvv(KEY_A, pan, expires_at)
    wrong = f"{(int(good) + 1) % 1000:03d}"
    for presented, code in [(good, "CVV_VALID"), (wrong, "CVV_INVALID"), (good[:2], "CVV_MALFORMED"), (good + "0", "CVV_MALFORMED"), ("1a3", "CVV_MALFORMED"), ("", "CVV_MALFORMED")]:
        cases.append({"op": "verifyCvv", "key": KEY_A.hex(), "pan": pan, "expiresAt": expires_at, "presented": presented, "expect": code})
    cases.append({"op": "verifyCvv", "key": KEY_B.hex(), "pan": pan, "expiresAt": expires_at, "presented": good, "expect": "CVV_VALID" if cvv(KEY_B, pan, expires_at) == good else "CVV_INVALID", "note": "another key"})
    for note, key, p, e, err in [
        ("31-byte key", KEY_A[:31], pan, expires_at, "KEY_INVALID"),
        ("wrong Luhn digit", KEY_A, pan[:-1] + str((int(pan[-1]) + 1) % 10), expires_at, "INVALID_ARGUMENT"),
        ("12-digit PAN", KEY_A, "411111111116", expires_at, "INVALID_ARGUMENT"),
        ("expiresAt not a month start", KEY_A, pan, expires_at + 1, "INVALID_ARGUMENT"),
    ]:
        cases.append({"op": "deriveCvv", "note": note, "key": key.hex(), "pan": p, "expiresAt": e, "error": err})

    # Windows, reveal, presented credentials.
    creds = issued
    d, u = creds["displayWindow"], creds["usableWindow"]
    for now, code in [(d["from"] - 1, "DISPLAY_NOT_YET_OPEN"), (d["from"], "DISPLAY_ALLOWED"), (d["until"] - 1, "DISPLAY_ALLOWED"), (d["until"], "DISPLAY_CLOSED")]:
        cases.append({"op": "displayStatus", "credentials": creds, "now": now, "expect": code})
    for now, code in [(u["from"] - 1, "NOT_YET_USABLE"), (u["from"], "USABLE"), (u["until"] - 1, "USABLE"), (u["until"], "USABLE_WINDOW_CLOSED"),
                      (creds["expiresAt"] - 1, "USABLE_WINDOW_CLOSED"), (creds["expiresAt"], "EXPIRED")]:
        cases.append({"op": "usableStatus", "credentials": creds, "now": now, "expect": code})
    cases.append({"op": "reveal", "key": KEY_A.hex(), "credentials": creds, "now": d["from"], "expect": {"code": "DISPLAY_ALLOWED", "pan": creds["pan"], "expiry": creds["expiry"], "cvv": good}})
    cases.append({"op": "reveal", "key": KEY_A.hex(), "credentials": creds, "now": d["until"], "expect": {"code": "DISPLAY_CLOSED", "pan": None, "expiry": None, "cvv": None}})
    cases.append({"op": "reveal", "key": KEY_A.hex(), "credentials": creds, "now": d["from"] - 1, "expect": {"code": "DISPLAY_NOT_YET_OPEN", "pan": None, "expiry": None, "cvv": None}})
    ok = {"pan": creds["pan"], "expiry": creds["expiry"], "cvv": good}
    for note, presented, now, code in [
        ("all match, usable", ok, u["from"], "CREDENTIALS_VALID"),
        ("another PAN", dict(ok, pan="4111111111111111"), u["from"], "PAN_MISMATCH"),
        ("another expiry", dict(ok, expiry="12/26" if creds["expiry"] != "12/26" else "01/27"), u["from"], "EXPIRY_MISMATCH"),
        ("expiry without the slash", dict(ok, expiry=creds["expiry"].replace("/", "")), u["from"], "EXPIRY_MISMATCH"),
        ("malformed CVV", dict(ok, cvv="12"), u["from"], "CVV_MALFORMED"),
        ("wrong CVV", dict(ok, cvv=wrong), u["from"], "CVV_INVALID"),
        ("wrong CVV after the window: the CVV is checked first", dict(ok, cvv=wrong), creds["expiresAt"], "CVV_INVALID"),
        ("not yet usable", ok, u["from"] - 1, "NOT_YET_USABLE"),
        ("window closed", ok, u["until"], "USABLE_WINDOW_CLOSED"),
        ("expired", ok, creds["expiresAt"], "EXPIRED"),
    ]:
        cases.append({"op": "verifyPresented", "note": note, "key": KEY_A.hex(), "credentials": creds, "presented": presented, "now": now, "expect": code})
    bad = dict(creds, expiry="11/26")
    cases.append({"op": "displayStatus", "note": "expiry inconsistent with expiresAt", "credentials": bad, "now": d["from"], "error": "INVALID_ARGUMENT"})
    bad = dict(creds, usableWindow={"from": u["from"], "until": creds["expiresAt"] + 1})
    cases.append({"op": "usableStatus", "note": "usable window ending after expiresAt", "credentials": bad, "now": d["from"], "error": "INVALID_ARGUMENT"})
    cases.append({"op": "usableStatus", "note": "now beyond the time range", "credentials": creds, "now": 32503680001, "error": "INVALID_ARGUMENT"})

    doc = {
        "description": (
            "countersign temporary-card credential vectors (System 2), run by cargo test (core/tests/tempcard_vectors.rs) and, "
            "later, through the SDK; written by generate.py, an independent Python implementation. One object per case in `cases`, with `op`: "
            "luhnValid {number} -> bool; luhnCheckDigit {payload} -> digit or null; "
            "issue {request: {binRange: {low, high, panLength}, displayWindow: {from, until}, usableWindow: {from, until}, issuedPans}, randomness: hex of 128 bytes} -> {code, credentials|null}; "
            "deriveCvv {key: hex, pan, expiresAt} -> three-digit string; verifyCvv {key, pan, expiresAt, presented} -> code; "
            "displayStatus / usableStatus {credentials, now} -> code; reveal {key, credentials, now} -> {code, pan, expiry, cvv}; "
            "verifyPresented {key, credentials, presented: {pan, expiry, cvv}, now} -> code. Each case has `expect` or `error` (a stable error code); `note` is for humans. "
            "Rules: the PAN is prefix + account digits + Luhn digit; randomness is read as 16 big-endian u64 draws; with n = (high - low + 1) * 10^k PANs "
            "(k = panLength - BIN length - 1) a draw v is accepted when v < floor(2^64 / n) * n, index x = v mod n, prefix = low + x div 10^k, account = x mod 10^k zero-padded; "
            "a PAN in issuedPans is PAN_COLLISION; no accepted draw is RANDOMNESS_EXHAUSTED. The card expires at the end of its MM/YY month in UTC: expiresAt is the first second "
            "of the next month, and at issuance MM/YY is the UTC month of usableWindow.until - 1. CVV: HMAC-SHA256(key, \"countersign.tempcard.cvv.v1\" 0x00 PAN 0x00 YYYYMM), "
            "c mod 1000 of the first big-endian u16 chunk below 65000 (else of the last chunk), three digits. Windows are half-open [from, until) in Unix seconds; "
            "usableStatus checks expiry first (EXPIRED), then the usable window; verifyPresented checks PAN, expiry, CVV, then time."
        ),
        "cases": cases,
    }
    with open(os.path.join(HERE, "credentials.json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
