#!/usr/bin/env python3
"""Writes tests/vectors/transfer/lifecycle.json: System 7's transfer lifecycle timelines.

An independent model written from the spec (the rustdoc of core/src/transfer/lifecycle.rs), in
plain Python integers of minor units: quote -> reserve -> commit / abort, the amount and the fee
held and moved together, SHA-256 condition and fulfilment, idempotency by request id + body
(amounts compared canonically, `now` left out), the deadline re-checked on every retry, one
quote per transfer, late fulfilment refused and released, expireDue earliest first. It keeps no
ledger: balances are sums of what committed. Hand-written timelines name the rules they show;
seeded random timelines (retries, clock steps, wrong fulfilments) cover their mixtures.
Run: python3 tests/vectors/transfer/generate_lifecycle.py (deterministic: same file every run)."""
import hashlib, json, os, random, re

OUT = os.path.dirname(os.path.abspath(__file__))
T0 = 1_800_000_000
CURRENCY, MINOR = "EUR", 2
QUOTE_TTL_S_MAX, EXPIRE_PER_CALL_MAX, REASON_BYTES_MAX = 86_400, 64, 140
ID_BYTES_MAX, TRANSFER_ID_BYTES_MAX = 64, 62
TIME_S_MIN, TIME_S_MAX = 0, 253_402_300_799
ISSUER, FEES = "issuer", "fees"


class ModelError(Exception):
    def __init__(self, code, param):
        self.code, self.param = code, param


def parse_amount(text, param):
    m = re.fullmatch(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?", text)
    if not m or len(text) > 64:
        raise ModelError("AMOUNT_SYNTAX", param)
    sign, whole, frac = m.group(1), m.group(2), m.group(3) or ""
    if frac[MINOR:].strip("0"):
        raise ModelError("AMOUNT_PRECISION", param)
    v = int(whole) * 10 ** MINOR + int((frac[:MINOR] + "0" * MINOR)[:MINOR])
    if v >= 2 ** 96:
        raise ModelError("AMOUNT_OUT_OF_RANGE", param)
    return -v if sign and v else v


def render(v):
    sign = "-" if v < 0 else ""
    v = abs(v)
    return f"{sign}{v // 10 ** MINOR}.{v % 10 ** MINOR:0{MINOR}d}"


def check_id(value, param, limit=ID_BYTES_MAX):
    b = value.encode()
    if not (1 <= len(b) <= limit) or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        raise ModelError("INVALID_ARGUMENT", param)


def check_time(t, param):
    if not (TIME_S_MIN <= t <= TIME_S_MAX):
        raise ModelError("INVALID_ARGUMENT", param)


def check_hex32(value, param):
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ModelError("INVALID_ARGUMENT", param)
    return bytes.fromhex(value)


def sha(b):
    return hashlib.sha256(b).hexdigest()


class Book:
    def __init__(self, now):
        self.clock = now
        self.accounts = {ISSUER: 0, FEES: 0}  # account -> posted balance (minor units)
        self.debits = {}                     # account -> posted debits
        self.quotes, self.transfers, self.requests = {}, {}, {}

    # -- views
    def quote_view(self, qid):
        q = self.quotes[qid]
        return {"quoteId": qid, "payerAccountId": q["payer"], "payeeAccountId": q["payee"], "amount": render(q["amount"]),
                "fee": render(q["fee"]), "currency": CURRENCY, "expiresAt": q["expiresAt"], "usedBy": q["usedBy"]}

    def transfer_view(self, tid):
        t = self.transfers[tid]
        q = self.quotes[t["quoteId"]]
        return {"transferId": tid, "quoteId": t["quoteId"], "payerAccountId": q["payer"], "payeeAccountId": q["payee"],
                "amount": render(q["amount"]), "fee": render(q["fee"]), "currency": CURRENCY, "expiresAt": q["expiresAt"],
                "condition": t["condition"], "state": t["state"], "fulfilment": t["fulfilment"], "reason": t["reason"]}

    def answer(self, code, subject, repeated=False, ledger_code=None, expired=()):
        quote = transfer = None
        if subject and subject[0] == "quote":
            quote = self.quote_view(subject[1])
        elif subject and subject[0] == "transfer":
            transfer = self.transfer_view(subject[1])
            quote = self.quote_view(self.transfers[subject[1]]["quoteId"])
        return {"code": code, "repeated": repeated, "ledgerCode": ledger_code, "quote": quote, "transfer": transfer,
                "expired": list(expired)}

    # -- money
    def live_reserved(self, account, now):
        """What the payer's holds still hold at `now` (the ledger expires overdue holds before a funds check)."""
        total = 0
        for t in self.transfers.values():
            q = self.quotes[t["quoteId"]]
            if t["state"] == "reserved" and q["payer"] == account and now < q["expiresAt"]:
                total += q["amount"] + q["fee"]
        return total

    def post(self, debit, credit, amount):
        self.accounts[debit] -= amount
        self.accounts[credit] += amount
        self.debits[debit] = self.debits.get(debit, 0) + amount

    def expire_if_due(self, tid, now):
        t = self.transfers[tid]
        if t["state"] == "reserved" and now >= self.quotes[t["quoteId"]]["expiresAt"]:
            t["state"] = "expired"
            return True
        return False

    # -- requests
    def body(self, op, r):
        """The request without `now`, amounts canonical: what idempotency compares."""
        b = {k: v for k, v in r.items() if k != "now"}
        for k in ("amount", "fee"):
            if k in b:
                b[k] = render(parse_amount(b[k], k))
        return (op, tuple(sorted(b.items())))

    def validate(self, op, r):
        check_id(r["requestId"], "requestId")
        check_time(r["now"], "now")
        if op in ("openAccount", "fund"):
            check_id(r["accountId"], "accountId")
            if op == "fund":
                parse_amount(r["amount"], "amount")
        elif op == "quote":
            check_id(r["quoteId"], "quoteId")
            check_id(r["payerAccountId"], "payerAccountId")
            check_id(r["payeeAccountId"], "payeeAccountId")
            parse_amount(r["amount"], "amount")
            parse_amount(r["fee"], "fee")
            check_time(r["expiresAt"], "expiresAt")
        elif op == "reserve":
            check_id(r["transferId"], "transferId", TRANSFER_ID_BYTES_MAX)
            check_id(r["quoteId"], "quoteId")
            check_hex32(r["condition"], "condition")
        elif op == "commit":
            check_id(r["transferId"], "transferId", TRANSFER_ID_BYTES_MAX)
            check_hex32(r["fulfilment"], "fulfilment")
        elif op == "abort":
            check_id(r["transferId"], "transferId", TRANSFER_ID_BYTES_MAX)
            if len(r["reason"].encode()) > REASON_BYTES_MAX or any(ord(c) < 0x20 for c in r["reason"]):
                raise ModelError("INVALID_ARGUMENT", "reason")

    def execute(self, op, r):
        try:
            self.validate(op, r)
        except ModelError as e:
            return {"error": {"code": e.code, "param": e.param}}
        now = max(r["now"], self.clock)
        body = self.body(op, r)
        rid = r["requestId"]
        if rid in self.requests and self.requests[rid]["body"] != body:
            return self.answer("REQUEST_ID_REUSED", None)
        self.clock = now  # decided or answered again: the book's clock moves
        if rid in self.requests:
            rec = self.requests[rid]
            code, subject, expired = rec["code"], rec["subject"], []
            if code == "QUOTED" and now >= self.quotes[subject[1]]["expiresAt"]:
                code = "QUOTE_EXPIRED"
            elif code == "RESERVED":
                if self.expire_if_due(subject[1], now):
                    expired.append(subject[1])
                if self.transfers[subject[1]]["state"] == "expired":
                    code = "TRANSFER_EXPIRED"
            return self.answer(code, subject, True, rec["ledgerCode"], expired)
        code, subject, ledger_code, expired = getattr(self, "op_" + op)(r, now)
        self.requests[rid] = {"body": body, "code": code, "subject": subject, "ledgerCode": ledger_code}
        return self.answer(code, subject, False, ledger_code, expired)

    def op_openAccount(self, r, now):
        if r["accountId"] in self.accounts:
            return "ACCOUNT_EXISTS", None, None, []
        self.accounts[r["accountId"]] = 0
        return "ACCOUNT_OPENED", None, None, []

    def op_fund(self, r, now):
        amount = parse_amount(r["amount"], "amount")
        if amount <= 0:
            return "AMOUNT_NOT_POSITIVE", None, None, []
        if r["accountId"] == ISSUER or r["accountId"] not in self.accounts:
            return "UNKNOWN_ACCOUNT", None, None, []
        self.post(ISSUER, r["accountId"], amount)
        return "FUNDED", None, None, []

    def op_quote(self, r, now):
        amount, fee = parse_amount(r["amount"], "amount"), parse_amount(r["fee"], "fee")
        if r["quoteId"] in self.quotes:
            return "QUOTE_EXISTS", ("quote", r["quoteId"]), None, []
        if amount <= 0:
            return "AMOUNT_NOT_POSITIVE", None, None, []
        if fee < 0:
            return "FEE_NEGATIVE", None, None, []
        if r["expiresAt"] <= now or r["expiresAt"] - now > QUOTE_TTL_S_MAX:
            return "EXPIRY_INVALID", None, None, []
        if r["payerAccountId"] == r["payeeAccountId"]:
            return "SAME_ACCOUNT", None, None, []
        for a in (r["payerAccountId"], r["payeeAccountId"]):
            if a in (ISSUER, FEES) or a not in self.accounts:
                return "UNKNOWN_ACCOUNT", None, None, []
        self.quotes[r["quoteId"]] = {"payer": r["payerAccountId"], "payee": r["payeeAccountId"], "amount": amount,
                                     "fee": fee, "expiresAt": r["expiresAt"], "usedBy": None}
        return "QUOTED", ("quote", r["quoteId"]), None, []

    def op_reserve(self, r, now):
        tid, qid = r["transferId"], r["quoteId"]
        if tid in self.transfers:
            return "TRANSFER_EXISTS", ("transfer", tid), None, []
        if qid not in self.quotes:
            return "UNKNOWN_QUOTE", None, None, []
        q = self.quotes[qid]
        if q["usedBy"] is not None:
            return "QUOTE_USED", ("quote", qid), None, []
        if now >= q["expiresAt"]:
            return "QUOTE_EXPIRED", ("quote", qid), None, []
        available = self.accounts[q["payer"]] - self.live_reserved(q["payer"], now)
        if available < q["amount"] + q["fee"]:
            # The amount and the fee are one chain: neither is held.
            return "INSUFFICIENT_FUNDS", ("quote", qid), "INSUFFICIENT_FUNDS", []
        q["usedBy"] = tid
        self.transfers[tid] = {"quoteId": qid, "condition": r["condition"], "state": "reserved", "fulfilment": None,
                               "reason": None}
        return "RESERVED", ("transfer", tid), None, []

    def live(self, tid, now):
        if tid not in self.transfers:
            return ("UNKNOWN_TRANSFER", None, None, [])
        state = self.transfers[tid]["state"]
        if state != "reserved":
            return ({"committed": "ALREADY_COMMITTED", "aborted": "ALREADY_ABORTED", "expired": "TRANSFER_EXPIRED"}[state],
                    ("transfer", tid), None, [])
        if self.expire_if_due(tid, now):
            return ("TRANSFER_EXPIRED", ("transfer", tid), None, [tid])
        return None

    def op_commit(self, r, now):
        tid = r["transferId"]
        refused = self.live(tid, now)
        if refused:
            if refused[0] == "TRANSFER_EXPIRED" and refused[3]:
                return ("LATE_FULFILMENT",) + refused[1:]
            return refused
        t = self.transfers[tid]
        if sha(bytes.fromhex(r["fulfilment"])) != t["condition"]:
            return "FULFILMENT_MISMATCH", ("transfer", tid), None, []
        q = self.quotes[t["quoteId"]]
        self.post(q["payer"], q["payee"], q["amount"])
        if q["fee"]:
            self.post(q["payer"], FEES, q["fee"])
        t["state"], t["fulfilment"] = "committed", r["fulfilment"]
        return "COMMITTED", ("transfer", tid), None, []

    def op_abort(self, r, now):
        tid = r["transferId"]
        refused = self.live(tid, now)
        if refused:
            return refused
        t = self.transfers[tid]
        t["state"], t["reason"] = "aborted", r["reason"]
        return "ABORTED", ("transfer", tid), None, []

    def op_expireDue(self, r, now):
        due = sorted((self.quotes[t["quoteId"]]["expiresAt"], tid) for tid, t in self.transfers.items()
                     if t["state"] == "reserved" and self.quotes[t["quoteId"]]["expiresAt"] <= now)
        expired = [tid for _, tid in due[:EXPIRE_PER_CALL_MAX]]
        for tid in expired:
            self.transfers[tid]["state"] = "expired"
        return ("MORE_DUE" if len(due) > EXPIRE_PER_CALL_MAX else "DUE_EXPIRED"), None, None, expired

    def balances(self):
        return {a: {"balance": render(v), "debitsPosted": render(self.debits.get(a, 0))}
                for a, v in sorted(self.accounts.items()) if a != ISSUER}


def secret(n):
    return bytes([n]) * 32


def cond(n):
    return sha(secret(n))


def ful(n):
    return secret(n).hex()


class Timeline:
    def __init__(self, name, description):
        self.name, self.description = name, description
        self.book = Book(T0)
        self.steps = []
        self.n = 0
        self.op("openAccount", accountId="alice", now=T0)
        self.op("openAccount", accountId="bee", now=T0)
        self.op("fund", accountId="alice", amount="100", now=T0)

    def op(self, op, now, request_id=None, **fields):
        self.n += 1
        r = {"requestId": request_id or f"r{self.n}", "now": now, **fields}
        expect = self.book.execute(op, r)
        self.steps.append({"request": {"op": op, "request": r}, "expect": expect, "balances": self.book.balances()})
        return expect

    def quote(self, now, qid, amount, fee, ttl, rid=None, payer="alice", payee="bee"):
        return self.op("quote", now, rid, quoteId=qid, payerAccountId=payer, payeeAccountId=payee, amount=amount, fee=fee,
                       expiresAt=now + ttl)

    def reserve(self, now, tid, qid, n, rid=None):
        return self.op("reserve", now, rid, transferId=tid, quoteId=qid, condition=cond(n))

    def commit(self, now, tid, n, rid=None):
        return self.op("commit", now, rid, transferId=tid, fulfilment=ful(n))

    def abort(self, now, tid, rid=None, reason="payee declined"):
        return self.op("abort", now, rid, transferId=tid, reason=reason)

    def doc(self):
        return {"name": self.name, "description": self.description, "config": {"bookId": "A", "currency": CURRENCY, "now": T0},
                "steps": self.steps}


def hand_written():
    out = []
    t = Timeline("happy-path", "quote, reserve (amount and fee held), commit with the preimage: amount to the payee, fee to fees")
    t.quote(T0, "Q1", "40", "0.50", 60)
    t.reserve(T0 + 1, "T1", "Q1", 1)
    t.commit(T0 + 2, "T1", 1)
    out.append(t)

    t = Timeline("zero-fee", "a quote without a fee holds and moves the amount alone")
    t.quote(T0, "Q1", "25.10", "0", 60)
    t.reserve(T0, "T1", "Q1", 1)
    t.commit(T0 + 1, "T1", 1)
    out.append(t)

    t = Timeline("linked-amount-and-fee", "funds cover the amount but not amount + fee: nothing is held; a smaller quote then fits")
    t.quote(T0, "Q1", "99.80", "0.50", 60)
    t.reserve(T0, "T1", "Q1", 1)
    t.quote(T0, "Q2", "99.50", "0.50", 60)
    t.reserve(T0, "T2", "Q2", 2)
    t.quote(T0, "Q3", "0.01", "0", 60)
    t.reserve(T0, "T3", "Q3", 3)
    out.append(t)

    t = Timeline("idempotent-retries", "same id + same body answers again (amounts canonical, now ignored); same id + another body is refused")
    t.quote(T0, "Q1", "10", "1", 60, rid="q")
    t.quote(T0 + 1, "Q1", "10.00", "1.0", 59, rid="q")
    t.quote(T0 + 1, "Q1", "10.00", "2", 59, rid="q")
    t.reserve(T0 + 2, "T1", "Q1", 1, rid="res")
    t.reserve(T0 + 3, "T1", "Q1", 1, rid="res")
    t.reserve(T0 + 3, "T1", "Q1", 9, rid="res")
    t.commit(T0 + 4, "T1", 1, rid="com")
    t.commit(T0 + 500, "T1", 1, rid="com")
    t.commit(T0 + 500, "T1", 1, rid="com2")
    out.append(t)

    t = Timeline("quote-retry-after-expiry", "a retried quote is answered QUOTE_EXPIRED once its deadline passed; a reserve then too")
    t.quote(T0, "Q1", "10", "1", 60, rid="q")
    t.quote(T0 + 59, "Q1", "10", "1", 60 - 59, rid="q")
    t.quote(T0 + 60, "Q1", "10", "1", 0, rid="q")
    t.reserve(T0 + 60, "T1", "Q1", 1)
    out.append(t)

    t = Timeline("reserve-retry-after-expiry", "a retried reserve past the deadline releases the reservation and answers TRANSFER_EXPIRED")
    t.quote(T0, "Q1", "10", "1", 60)
    t.reserve(T0, "T1", "Q1", 1, rid="res")
    t.reserve(T0 + 59, "T1", "Q1", 1, rid="res")
    t.reserve(T0 + 61, "T1", "Q1", 1, rid="res")
    t.reserve(T0 + 62, "T1", "Q1", 1, rid="res")
    t.commit(T0 + 62, "T1", 1)
    out.append(t)

    t = Timeline("late-fulfilment", "a fulfilment at the deadline is refused and the reservation released; later ones find it expired")
    t.quote(T0, "Q1", "10", "1", 60)
    t.reserve(T0, "T1", "Q1", 1)
    t.commit(T0 + 60, "T1", 1)
    t.commit(T0 + 61, "T1", 1)
    t.abort(T0 + 61, "T1")
    out.append(t)

    t = Timeline("clock-never-runs-backwards", "a commit stamped before the book's clock is judged at the clock: late")
    t.quote(T0, "Q1", "10", "1", 60)
    t.reserve(T0, "T1", "Q1", 1)
    t.quote(T0 + 100, "Q2", "1", "0", 60)
    t.commit(T0 + 10, "T1", 1)
    out.append(t)

    t = Timeline("wrong-fulfilment", "a fulfilment that does not hash to the condition is refused and the reservation stays")
    t.quote(T0, "Q1", "10", "1", 60)
    t.reserve(T0, "T1", "Q1", 1)
    t.commit(T0 + 1, "T1", 2)
    t.commit(T0 + 2, "T1", 1)
    out.append(t)

    t = Timeline("abort-is-final", "an abort releases amount and fee; commit and abort afterwards are refused")
    t.quote(T0, "Q1", "10", "1", 60)
    t.reserve(T0, "T1", "Q1", 1)
    t.abort(T0 + 1, "T1")
    t.commit(T0 + 2, "T1", 1)
    t.abort(T0 + 2, "T1")
    out.append(t)

    t = Timeline("one-quote-per-transfer", "a used quote is refused to a second transfer, even after the first was aborted")
    t.quote(T0, "Q1", "10", "1", 60)
    t.reserve(T0, "T1", "Q1", 1)
    t.reserve(T0, "T2", "Q1", 2)
    t.abort(T0 + 1, "T1")
    t.reserve(T0 + 1, "T3", "Q1", 3)
    t.reserve(T0 + 1, "T1", "Q1", 3)
    out.append(t)

    t = Timeline("quote-checks", "quote refusals in check order, and the unknowns")
    t.quote(T0, "Q0", "0", "-1", 60)
    t.quote(T0, "Q1", "1", "-1", 60)
    t.quote(T0, "Q2", "1", "0", 0)
    t.quote(T0, "Q3", "1", "0", QUOTE_TTL_S_MAX + 1)
    t.quote(T0, "Q4", "1", "0", 60, payee="alice")
    t.quote(T0, "Q5", "1", "0", 60, payee="fees")
    t.quote(T0, "Q6", "1", "0", 60, payee="nobody")
    t.quote(T0, "Q7", "1", "0", QUOTE_TTL_S_MAX)
    t.quote(T0, "Q7", "2", "0", 60)
    t.reserve(T0, "T1", "nope", 1)
    t.commit(T0, "nope", 1)
    t.abort(T0, "nope")
    t.op("fund", T0, accountId="nobody", amount="1")
    t.op("fund", T0, accountId="issuer", amount="1")
    t.op("fund", T0, accountId="bee", amount="0")
    t.op("openAccount", T0, accountId="bee")
    out.append(t)

    t = Timeline("expire-due", "expireDue releases reservations past their deadline, earliest first")
    for i in range(5):
        t.quote(T0, f"Q{i}", "1", "0.10", 100 - 10 * i)
        t.reserve(T0, f"T{i}", f"Q{i}", i)
    t.commit(T0 + 1, "T4", 4)
    t.op("expireDue", T0 + 75)
    t.op("expireDue", T0 + 1000)
    out.append(t)

    t = Timeline("malformed", "errors name the field and record nothing")
    t.quote(T0, "Q1", "1.001", "0", 60)
    t.quote(T0, "Q1", "1", "x", 60)
    t.quote(T0, "Q1", "1", "0", TIME_S_MAX + 1 - T0)
    t.op("reserve", T0, transferId="T1", quoteId="Q1", condition=cond(1).upper())
    t.op("reserve", T0, transferId="t" * (TRANSFER_ID_BYTES_MAX + 1), quoteId="Q1", condition=cond(1))
    t.op("commit", T0, transferId="T1", fulfilment="00")
    t.op("abort", T0, transferId="T1", reason="x" * (REASON_BYTES_MAX + 1))
    t.op("openAccount", T0, accountId="")
    t.op("openAccount", -1, accountId="x")
    t.quote(T0, "Q1", "1", "0", 60, rid="after-errors")
    out.append(t)
    return out


def random_timelines(count, seed):
    rng = random.Random(seed)
    out = []
    for k in range(count):
        t = Timeline(f"random-{k}", f"seeded random timeline {k}: quotes, reserves, commits (some wrong), aborts, retries, clock steps")
        now = T0
        history = []
        for _ in range(32):
            roll = rng.random()
            if roll < 0.15:
                now += rng.choice([0, 1, 5, 20, 30, 59, 60])
                continue
            if roll < 0.35 and history:
                op, r = rng.choice(history)
                r = dict(r, now=now)
                if rng.random() < 0.3:
                    key = {"quote": "quoteId", "reserve": "quoteId", "commit": "transferId", "abort": "reason",
                           "expireDue": None}[op]
                    if key:
                        r[key] = r[key] + "x"
                exp = t.op(op, now, r["requestId"], **{k: v for k, v in r.items() if k not in ("requestId", "now")})
                continue
            choice = rng.random()
            i = rng.randrange(4)
            if choice < 0.3:
                amount = rng.choice(["1", "12.34", "30", "45.5", "0.01", "70"])
                fee = rng.choice(["0", "0.25", "1", "2.50"])
                t.quote(now, f"Q{i}", amount, fee, rng.choice([10, 30, 60, 120]))
            elif choice < 0.6:
                t.reserve(now, f"T{i}", f"Q{rng.randrange(4)}", i)
            elif choice < 0.85:
                t.commit(now, f"T{i}", i if rng.random() < 0.85 else i + 50)
            elif choice < 0.95:
                t.abort(now, f"T{i}")
            else:
                t.op("expireDue", now)
            last = t.steps[-1]["request"]
            if "error" not in t.steps[-1]["expect"]:
                history.append((last["op"], last["request"]))
        out.append(t)
    return out


def main():
    timelines = hand_written() + random_timelines(12, 7)
    doc = {
        "description": (
            "System 7 transfer lifecycle timelines (core/src/transfer/lifecycle.rs). Each timeline starts a book "
            "(config), opens alice and bee and funds alice with 100.00 EUR, then runs its steps in order: request is "
            "a LifecycleRequest ({op, request}); expect is the whole LifecycleOutcome as JSON, or {error: {code, param}} "
            "for a malformed request (nothing recorded); balances are every account but the issuer after the step "
            "(balance and posted debits). Generated by generate_lifecycle.py, an independent Python model."),
        "timelines": [t.doc() for t in timelines],
    }
    # One step per line: diffs stay readable, the file small.
    lines = ['{"description": ' + json.dumps(doc["description"]) + ',', ' "timelines": [']
    for ti, t in enumerate(doc["timelines"]):
        head = {k: v for k, v in t.items() if k != "steps"}
        lines.append('  ' + json.dumps(head)[:-1] + ', "steps": [')
        for si, s in enumerate(t["steps"]):
            lines.append('   ' + json.dumps(s, separators=(",", ":")) + ("," if si + 1 < len(t["steps"]) else ""))
        lines.append('  ]}' + ("," if ti + 1 < len(doc["timelines"]) else ""))
    lines.append(' ]}')
    with open(os.path.join(OUT, "lifecycle.json"), "w") as f:
        f.write("\n".join(lines) + "\n")
    codes = {}
    for t in timelines:
        for s in t.steps:
            c = s["expect"].get("code") or s["expect"]["error"]["code"]
            codes[c] = codes.get(c, 0) + 1
    print(f"lifecycle.json: {len(timelines)} timelines, {sum(len(t.steps) for t in timelines)} steps; codes: {codes}")


if __name__ == "__main__":
    main()
