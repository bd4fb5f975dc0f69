#!/usr/bin/env python3
"""Writes tests/vectors/shelf/{sensor,scenarios}.json: System 10 (untidy returns judged by weight).

An independent model written from the spec (core/src/shelf/mod.rs, matching.rs, sensor.rs
rustdoc), in plain Python integers (no floats in any decision):
- the sensor: window + two-sided CUSUM + drift tracking + settle, sample by sample;
- the matching: every combination of at most itemsMax units enumerated by brute force (no
  pruning), best hypothesis per reading, ranked by exact z^2 (Fractions). The documented
  depth-first walk is simulated only to count `combinationsTried` and to find where the
  `combinationsMax` limit stops it; when it is not hit, its result is checked against the
  brute force here, so the two readings of the spec agree before a vector is written.
Run: python3 tests/vectors/shelf/generate.py (deterministic: same files every run)."""
import json, os, re
from fractions import Fraction

OUT = os.path.dirname(os.path.abspath(__file__))

WEIGHT_MG_MAX = 100_000_000
SIGMA_MG_MAX = 1_000_000
BASKET_LOTS_MAX, BASKET_ITEMS_MAX = 200, 500
LANE_ENTRIES_MAX, TASKS_MAX, SHOPPERS_MAX = 32, 1024, 1024
HYPOTHESES_MAX, LEARN_OBSERVATIONS_MAX, LANE_COUNT_MAX = 5, 1024, 10_000
IDEMPOTENCY_KEYS_MAX, EXCURSION_MG_MAX = 1024, 400_000_000


def isqrt(v):
    """floor(sqrt(v)) for v >= 0, by bisection (independent of the Rust Newton iteration)."""
    lo, hi = 0, 1
    while hi * hi <= v:
        hi *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid * mid <= v:
            lo = mid
        else:
            hi = mid
    return lo


def csqrt(v):
    r = isqrt(v)
    return r if r * r == v else r + 1


def round_half_away(num, den):
    q = Fraction(num, den)
    a = abs(q)
    r = int(a) + (1 if a - int(a) >= Fraction(1, 2) else 0)
    return r if q >= 0 else -r


# ---------------------------------------------------------------- sensor

class Sensor:
    def __init__(self, c):
        self.c = c
        self.phase = "starting"
        self.window = []
        self.baseline = 0
        self.up = self.down = 0
        self.samples = 0
        self.touch_sample = 0
        self.touch_baseline = 0
        self.absorbed = 0
        self.touch_hi = self.touch_lo = 0

    def delta_sigma(self):
        s, n = self.c["noiseSigmaMg"], self.c["windowSamples"]
        return csqrt(-(-2 * s * s // n))  # ceil(2 s^2 / n), then ceil(sqrt)

    def push(self, xs):
        events = []
        n = self.c["windowSamples"]
        for x in xs:
            index = self.samples
            self.samples += 1
            self.window = (self.window + [x])[-n:]
            settled = None
            if len(self.window) == n and max(self.window) - min(self.window) <= self.c["stableRangeMg"]:
                settled = round_half_away(sum(self.window), n)
            if self.phase == "starting":
                if settled is not None:
                    self.baseline, self.phase = settled, "stable"
            elif self.phase == "stable":
                k = self.c["eventThresholdMg"] // 2
                e = x - self.baseline
                self.up = max(0, self.up + e - k)
                self.down = max(0, self.down - e - k)
                h = self.c["cusumHMg"]
                if self.up > h or self.down > h:
                    self.phase, self.touch_sample, self.touch_baseline = "moving", index, self.baseline
                    self.touch_hi, self.touch_lo = max(self.window), min(self.window)
                    self.up = self.down = 0
                elif settled is not None:
                    d = self.c["driftMgPerSampleMax"]
                    self.baseline += max(-d, min(d, settled - self.baseline))
            else:
                self.touch_hi, self.touch_lo = max(self.touch_hi, x), min(self.touch_lo, x)
                if settled is None or index - self.touch_sample + 1 < n:
                    continue
                self.baseline, self.phase = settled, "stable"
                delta = settled - self.touch_baseline
                lo, hi = sorted((settled, self.touch_baseline))
                excursion = max(0, self.touch_hi - hi, lo - self.touch_lo)
                mixed = excursion > 2 * self.c["stableRangeMg"]
                if abs(delta) >= self.c["eventThresholdMg"] or mixed:
                    events.append({"deltaMg": delta, "sigmaMg": self.delta_sigma(), "startSample": self.touch_sample,
                                   "settledSample": index, "baselineMg": settled, "excursionMg": excursion, "mixed": mixed})
                else:
                    self.absorbed += 1
        return events

    def view(self):
        return {"phase": self.phase, "baselineMg": self.baseline, "samples": self.samples, "absorbed": self.absorbed}


class Rng:
    """xorshift64* with Irwin-Hall Gaussians (sum of 12 uniforms - 6), in integers."""
    def __init__(self, seed):
        self.s = seed

    def u(self):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & (2**64 - 1)
        s ^= s >> 27
        self.s = s
        return ((s * 0x2545F4914F6CDD1D) & (2**64 - 1)) >> 11  # 53 bits

    def gauss(self, sigma):
        total = sum(self.u() for _ in range(12)) - 6 * 2**53
        return round_half_away(total * sigma, 2**53)


def for_noise(sigma):
    return {"noiseSigmaMg": sigma, "eventThresholdMg": sigma, "windowSamples": 10, "cusumHMg": 10 * sigma,
            "stableRangeMg": 6 * sigma, "driftMgPerSampleMax": sigma // 20}


def level(rng, mg, n, sigma):
    return [mg + rng.gauss(sigma) for _ in range(n)]


def swing(mg, amp, n):
    return [mg + (amp // (i + 1) if i % 2 == 0 else -amp // (i + 1)) for i in range(n)]


SENSOR_DESCRIPTION = (
    "countersign shelf sensor vectors (System 10): raw load-cell samples (integer mg) fed to a LaneSensor "
    "(config: SensorConfig) in `chunks` (one push per chunk); expect.events is every WeightEvent "
    "{deltaMg, sigmaMg, startSample, settledSample, baselineMg, excursionMg, mixed} in order, expect.view the SensorView "
    "{phase, baselineMg, samples, absorbed} after the last chunk; expect.error {code, param} on a chunk "
    "means that push fails and changes nothing. Written by generate.py (an independent model of the "
    "rustdoc algorithm; noise from xorshift64* + Irwin-Hall).")


def sensor_cases():
    cases = []

    def case(name, config, chunks):
        s = Sensor(config)
        events = []
        for c in chunks:
            events += s.push(c)
        cases.append({"name": name, "config": config, "chunks": chunks, "expect": {"events": events, "view": s.view()}})

    r = Rng(0x5EED)
    c10 = for_noise(10_000)
    case("tare, a 540 g placement with the shelf swinging, a pick (10 samples/s, sigma 10 g)", c10,
         [level(r, 2_000_000, 40, 10_000), swing(2_540_000, 80_000, 6) + level(r, 2_540_000, 40, 10_000),
          swing(2_000_000, 50_000, 4) + level(r, 2_000_000, 30, 10_000)])
    r = Rng(99)
    case("slow drift of 1 g per minute over 5 minutes: no event, the baseline follows", c10,
         [[1_000_000 + i * 1000 // 600 + r.gauss(10_000) for i in range(k, k + 1000)] for k in range(0, 3000, 1000)])
    r = Rng(3)
    case("a 4 g change at sigma 1 g readings: absorbed or never raised, no event (threshold 10 g)", c10,
         [level(r, 500_000, 30, 1_000), level(r, 504_000, 60, 1_000)])
    r = Rng(4)
    case("a 12 g item (just above the threshold) at sigma 2 g", for_noise(2_000) | {"eventThresholdMg": 10_000},
         [level(r, 0, 30, 2_000), level(r, 12_000, 40, 2_000), level(r, 0, 40, 2_000)])
    r = Rng(5)
    c80 = for_noise(10_000) | {"windowSamples": 40, "stableRangeMg": 70_000}
    case("80 samples/s, window 40 (0.5 s): two items put down one after the other", c80,
         [level(r, 0, 80, 10_000), swing(300_000, 60_000, 10) + level(r, 300_000, 80, 10_000),
          swing(1_330_000, 60_000, 10) + level(r, 1_330_000, 80, 10_000)])
    r = Rng(7)
    case("a pick and a return in one settling window: soup out (-540 g), jam in 0.4 s later; net -240 g, mixed", c10,
         [level(r, 3_000_000, 40, 10_000), level(r, 2_460_000, 4, 10_000) + level(r, 2_760_000, 40, 10_000)])
    r = Rng(8)
    case("a swap of near twins in one window (soup out, beans in: net -2 g) is a mixed event", c10,
         [level(r, 3_000_000, 40, 10_000), level(r, 2_460_000, 5, 10_000) + level(r, 2_998_000, 40, 10_000)])
    r = Rng(9)
    case("one pick with the shelf swinging +-40 g: a single step, not mixed", c10,
         [level(r, 3_000_000, 40, 10_000), swing(2_460_000, 40_000, 5) + level(r, 2_460_000, 40, 10_000)])
    r = Rng(6)
    case("never settles (someone leaning on the shelf): no event while moving", c10,
         [level(r, 0, 20, 10_000), [200_000 + ((i * 37_000) % 150_000) for i in range(60)]])
    # Errors.
    cases.append({"name": "a sample beyond +-200 kg is refused, naming it", "config": c10,
                  "chunks": [[0, 1, 200_000_001]], "expect": {"error": {"code": "INVALID_ARGUMENT", "param": "samples[2]"}}})
    return cases


# ---------------------------------------------------------------- shelf model

class Model:
    def __init__(self, setup):
        self.cfg = setup["config"]
        self.types = [dict(t) for t in setup["itemTypes"]]
        self.learned = [[0, 0, 0, 0] for _ in self.types]  # n, sum, sumsq, sumvar
        self.lanes = [{"id": l["id"], "type": self.tix(l["itemType"]), "count": l["count"], "entries": [],
                       "sensor": Sensor(l["sensor"])} for l in setup["lanes"]]
        self.shoppers = []  # [{"id", "lots": [lot]}]
        self.tasks = []
        self.next_task = 1
        self.keys = []  # [(key, request without key and now, answer)], oldest first

    def tix(self, tid):
        for i, t in enumerate(self.types):
            if t["id"] == tid:
                return i
        return None

    def type_weight(self, t):
        nominal, sigma = self.types[t]["nominalMg"], self.types[t]["sigmaMg"]
        n, s, sq, sv = self.learned[t]
        if n < self.cfg["learnPicksMin"]:
            return nominal, sigma * sigma
        shift = nominal * self.cfg["learnShiftPermilleMax"] // 1000
        mean = max(1, min(nominal + shift, max(nominal - shift, (2 * s + n) // (2 * n))))
        item_var = (n * sq - s * s) // (n * (n - 1)) - sv // n
        cat = sigma * sigma
        return mean, max(cat // 4, min(cat * 4, item_var))

    def learn(self, t, x, sigma):
        l = self.learned[t]
        if l[0] >= LEARN_OBSERVATIONS_MAX:
            l[:] = [v // 2 for v in l]
        l[0] += 1
        l[1] += x
        l[2] += x * x
        l[3] += sigma * sigma

    # A lot for matching: (count, unit, unitVar, measured (total, var) or None)
    def lot_of(self, lot):
        t = self.tix(lot["itemType"]) if lot["itemType"] is not None else None
        if t is not None:
            unit, uvar = self.type_weight(t)
        else:
            c = lot["count"]
            unit, uvar = (lot["totalMg"] + c // 2) // c, lot["varianceMg2"]
        return (lot["count"], max(1, unit), uvar, (lot["totalMg"], lot["varianceMg2"]))

    @staticmethod
    def take(lot, m):
        count, unit, uvar, measured = lot
        if measured is not None and m == count:
            return measured
        return unit * m, uvar * m


def z2(delta, h):
    return Fraction((delta - h["w"]) ** 2, h["v"])


def brute(lots, kinds, delta, dvar, k, items_max):
    """Every hypothesis within 2 tolerances; best per reading; ranked; top 5."""
    order = sorted(range(len(lots)), key=lambda j: (min(Model.take(lots[j], 1)[0], Model.take(lots[j], lots[j][0])[0]), j))
    pos = {j: p for p, j in enumerate(order)}
    out = []

    def rec(i, parts, units):
        if i == len(lots):
            if units == 0:
                return
            w = sum(Model.take(lots[j], m)[0] for j, m in parts)
            v = dvar + sum(Model.take(lots[j], m)[1] for j, m in parts)
            if (delta - w) ** 2 * 10_000 <= 4 * k * k * v:
                reading = {}
                for j, m in parts:
                    reading[kinds[j]] = reading.get(kinds[j], 0) + m
                out.append({"parts": sorted(parts, key=lambda p: pos[p[0]]), "w": w, "v": v,
                            "within": (delta - w) ** 2 * 10_000 <= k * k * v, "reading": sorted(reading.items())})
            return
        for m in range(0, min(lots[i][0], items_max - units) + 1):
            rec(i + 1, parts + ([(i, m)] if m else []), units + m)

    rec(0, [], 0)
    out.sort(key=lambda h: (z2(delta, h), sum(m for _, m in h["parts"]), h["parts"]))
    best, seen = [], set()
    for h in out:
        key = tuple(h["reading"])
        if key not in seen:
            seen.add(key)
            best.append(h)
    return best[:HYPOTHESES_MAX]


def walk(lots, kinds, delta, dvar, k, items_max, budget):
    """The documented depth-first walk: (tried, limit_reached, ranked readings seen)."""
    order = sorted(range(len(lots)), key=lambda j: (min(Model.take(lots[j], 1)[0], Model.take(lots[j], lots[j][0])[0]), j))
    var_max = max([max(l[2], l[3][1] if l[3] else 0) for l in lots], default=0)
    band = isqrt(4 * k * k * (dvar + var_max * items_max)) // 100 + 1
    ceiling = delta + band
    st = {"tried": 0, "limit": False, "seen": []}

    def rec(start, w, v, units, parts):
        for p in range(start, len(order)):
            j = order[p]
            lot = lots[j]
            if w + min(Model.take(lot, 1)[0], Model.take(lot, lot[0])[0]) > ceiling:
                return
            for m in range(1, min(lot[0], items_max - units) + 1):
                if st["tried"] >= budget:
                    st["limit"] = True
                    return
                st["tried"] += 1
                wm, vm = Model.take(lot, m)
                w2, v2 = w + wm, v + vm
                if w2 > ceiling:
                    continue
                parts2 = parts + [(j, m)]
                if (delta - w2) ** 2 * 10_000 <= 4 * k * k * v2:
                    reading = {}
                    for jj, mm in parts2:
                        reading[kinds[jj]] = reading.get(kinds[jj], 0) + mm
                    st["seen"].append({"parts": parts2, "w": w2, "v": v2,
                                       "within": (delta - w2) ** 2 * 10_000 <= k * k * v2,
                                       "reading": sorted(reading.items())})
                rec(p + 1, w2, v2, units + m, parts2)
                if st["limit"]:
                    return

    rec(0, 0, dvar, 0, [])
    seen = sorted(st["seen"], key=lambda h: (z2(delta, h), sum(m for _, m in h["parts"]), h["parts"]))
    best, keys = [], set()
    for h in seen:
        key = tuple(h["reading"])
        if key not in keys:
            keys.add(key)
            best.append(h)
    return st["tried"], st["limit"], best[:HYPOTHESES_MAX]


class ShelfError(Exception):
    def __init__(self, code, param):
        self.code, self.param = code, param


def decide(M, req):
    lane_i = next((i for i, l in enumerate(M.lanes) if l["id"] == req["laneId"]), None)
    if lane_i is None:
        raise ShelfError("INVALID_ARGUMENT", "laneId")
    d = req["deltaMg"]
    if not 1 <= req["sigmaMg"] <= SIGMA_MG_MAX:
        raise ShelfError("INVALID_ARGUMENT", "sigmaMg")
    if not 1 <= len(req["shopperIds"]) <= 4:
        raise ShelfError("INVALID_ARGUMENT", "shopperIds")
    for i, sid in enumerate(req["shopperIds"]):
        if not sid or sid in req["shopperIds"][:i]:
            raise ShelfError("INVALID_ARGUMENT", f"shopperIds[{i}]")
    lane = M.lanes[lane_i]
    excursion = req.get("excursionMg") or 0
    if not 0 <= excursion <= EXCURSION_MG_MAX:
        raise ShelfError("INVALID_ARGUMENT", "excursionMg")
    mixed_at = 2 * lane["sensor"].c["stableRangeMg"]
    mixed = excursion > mixed_at
    if (d == 0 and not mixed) or abs(d) > WEIGHT_MG_MAX:
        raise ShelfError("INVALID_ARGUMENT", "deltaMg")
    delta, dvar, k = abs(d), req["sigmaMg"] ** 2, M.cfg["kCenti"]
    items_max, cmax = M.cfg["itemsMax"], M.cfg["combinationsMax"]
    is_pick = d < 0
    readings, tried, limit = [], 0, False

    def srctype(src):
        kind, a, b = src
        if kind == "stock":
            return lane["type"]
        lot = M.shoppers[a]["lots"][b] if kind == "record" else lane["entries"][a]
        return M.tix(lot["itemType"]) if lot["itemType"] is not None else None

    def run(lots, sources, shopper, budget):
        kinds = []
        for j, src in enumerate(sources):
            t = srctype(src)
            kinds.append(t if t is not None else len(M.types) + j)
        t_, lim, found = walk(lots, kinds, delta, dvar, k, items_max, budget)
        if not lim:
            assert found == brute(lots, kinds, delta, dvar, k, items_max), "walk != brute force"
        return t_, lim, [dict(h, shopper=shopper, src=[(sources[j], m) for j, m in h["parts"]]) for h in found]

    if mixed:
        pass  # not a single step: no reading of the net change is sought
    elif is_pick:
        lots, sources = [], []
        if lane["count"] > 0:
            unit, uvar = M.type_weight(lane["type"])
            lots.append((lane["count"], unit, uvar, None))
            sources.append(("stock", 0, 0))
        for e, entry in enumerate(lane["entries"]):
            lots.append(M.lot_of(entry))
            sources.append(("entry", e, 0))
        tried, limit, readings = run(lots, sources, None, cmax)
    else:
        for sid in req["shopperIds"]:
            s = next((i for i, x in enumerate(M.shoppers) if x["id"] == sid), None)
            if s is None:
                continue
            if cmax - tried == 0:
                limit = True
                break
            lots = [M.lot_of(l) for l in M.shoppers[s]["lots"]]
            sources = [("record", s, j) for j in range(len(lots))]
            t_, lim, found = run(lots, sources, s, cmax - tried)
            tried += t_
            limit = limit or lim
            readings += found
            if limit:
                break
        # Stable sort across shoppers: z^2, units, shopper position.
        readings.sort(key=lambda h: (z2(delta, h), sum(m for _, m in h["parts"]), h["shopper"]))
        readings = readings[:HYPOTHESES_MAX]

    def separated(a, b):
        m = Fraction(M.cfg["marginZCenti"], 100)
        return z2(delta, b) - z2(delta, a) >= m * m

    if mixed:
        code = "unattributable"
    elif limit:
        code = "search-limit"
    elif readings and readings[0]["within"]:
        best = readings[0]
        if len(readings) > 1 and readings[1]["within"] and not separated(best, readings[1]):
            code = "ambiguous"
        elif is_pick:
            code = "picked"
        elif all(srctype(s) is not None and srctype(s) == lane["type"] for s, _ in best["src"]):
            code = "tidy"
        else:
            code = "untidy"
    else:
        code = "unexplained"

    def tname(t):
        return None if t is None else M.types[t]["id"]

    hyps = []
    for h in readings:
        hyps.append({
            "shopperId": None if h["shopper"] is None else M.shoppers[h["shopper"]]["id"],
            "parts": [{"source": s[0], "index": (s[2] if s[0] == "record" else s[1]), "itemType": tname(srctype(s)), "count": m}
                      for s, m in h["src"]],
            "predictedMg": h["w"], "varianceMg2": h["v"], "toleranceMg": isqrt(k * k * h["v"]) // 100,
            "z2Milli": (delta - h["w"]) ** 2 * 1000 // h["v"], "withinTolerance": h["within"]})
    verdict = {"code": code, "shopperId": None, "attributed": False,
               "evidence": {"deltaMg": d, "sigmaMg": req["sigmaMg"], "kCenti": k, "marginZCenti": M.cfg["marginZCenti"],
                            "hypotheses": hyps, "combinationsTried": tried, "excursionMg": excursion,
                            "mixedExcursionMg": mixed_at, "shopperIds": list(req["shopperIds"])},
               "tasksOpened": [], "tasksClosed": [], "laneCount": 0}

    def part_weight(src, m, nparts):
        if nparts == 1:
            return delta, dvar
        if src[0] == "stock":
            unit, uvar = M.type_weight(lane["type"])
            return unit * m, uvar * m
        lot = lane["entries"][src[1]] if src[0] == "entry" else M.shoppers[src[1]]["lots"][src[2]]
        return Model.take(M.lot_of(lot), m)

    def open_task(kind, t, count, w, v, shoppers):
        tid = f"t{M.next_task}"
        M.next_task += 1
        item = M.types[t] if t is not None else None
        M.tasks.append({"id": tid, "kind": kind, "laneId": lane["id"], "itemType": tname(t), "count": count,
                        "totalMg": w, "varianceMg2": v, "shopperIds": list(shoppers), "createdAt": req["now"],
                        "perishable": bool(item and item["perishable"]), "valueMinor": item["valueMinor"] * count if item else 0})
        if w > 0:  # an unattributable net loss leaves nothing in the lane
            lane["entries"].append({"itemType": tname(t), "count": count, "totalMg": max(1, min(WEIGHT_MG_MAX, w)),
                                    "varianceMg2": v, "origin": tid})
        return tid

    def shopper_slot(sid):
        s = next((i for i, x in enumerate(M.shoppers) if x["id"] == sid), None)
        if s is None and len(M.shoppers) >= SHOPPERS_MAX:
            raise ShelfError("LIMIT_EXCEEDED", "shopperIds")
        return s

    if code == "picked":
        best = readings[0]
        n = len(best["src"])
        new = [{"itemType": tname(srctype(s)), "count": m, "totalMg": max(1, min(WEIGHT_MG_MAX, part_weight(s, m, n)[0])),
                "varianceMg2": part_weight(s, m, n)[1], "origin": lane["id"]} for s, m in best["src"]]
        attributed = len(req["shopperIds"]) == 1
        slot = None
        if attributed:
            slot = shopper_slot(req["shopperIds"][0])
            lots = M.shoppers[slot]["lots"] if slot is not None else []
            if len(lots) + len(new) > BASKET_LOTS_MAX or sum(l["count"] for l in lots + new) > BASKET_ITEMS_MAX:
                raise ShelfError("LIMIT_EXCEEDED", "shopperIds")
        if n == 1 and best["src"][0][0][0] == "stock" and best["src"][0][1] == 1:
            M.learn(lane["type"], delta, req["sigmaMg"])
        ents = []
        for s, m in best["src"]:
            if s[0] == "stock":
                lane["count"] -= m
            else:
                ents.append((s[1], m) + Model.take(M.lot_of(lane["entries"][s[1]]), m))
        closed = []
        for e, m, w, v in sorted(ents, reverse=True):
            entry = lane["entries"][e]
            if m >= entry["count"]:
                closed.append(lane["entries"].pop(e)["origin"])
            else:
                entry["count"] -= m
                entry["totalMg"] = max(1, entry["totalMg"] - w)
                entry["varianceMg2"] += v
        M.tasks = [t for t in M.tasks if t["id"] not in closed]
        verdict["tasksClosed"] = closed
        if attributed:
            sid = req["shopperIds"][0]
            if slot is None:
                M.shoppers.append({"id": sid, "lots": []})
                slot = len(M.shoppers) - 1
            M.shoppers[slot]["lots"] += new
            verdict["shopperId"], verdict["attributed"] = sid, True
    elif code in ("tidy", "untidy"):
        best = readings[0]
        n = len(best["src"])
        placed = []
        for s, m in best["src"]:
            t = srctype(s)
            w, v = part_weight(s, m, n)
            wp, vp = Model.take(M.lot_of(M.shoppers[s[1]]["lots"][s[2]]), m)
            placed.append((s, m, t, w, v, wp, vp, t is not None and t == lane["type"]))
        foreign = sum(1 for p in placed if not p[7])
        if len(lane["entries"]) + foreign > LANE_ENTRIES_MAX or len(M.tasks) + foreign > TASKS_MAX:
            raise ShelfError("LIMIT_EXCEEDED", "laneId")
        if lane["count"] + sum(p[1] for p in placed if p[7]) > LANE_COUNT_MAX:
            raise ShelfError("LIMIT_EXCEEDED", "laneId")
        for s, m, t, w, v, wp, vp, tidy in sorted(placed, key=lambda p: -p[0][2]):
            lots = M.shoppers[s[1]]["lots"]
            lot = lots[s[2]]
            if m >= lot["count"]:
                lots.pop(s[2])
            else:
                lot["count"] -= m
                lot["totalMg"] = max(1, lot["totalMg"] - wp)
                lot["varianceMg2"] += vp
            if tidy:
                lane["count"] += m
            else:
                verdict["tasksOpened"].append(open_task("misplaced", t, m, w, v, [M.shoppers[best["shopper"]]["id"]]))
        verdict["tasksOpened"].sort()
        verdict["shopperId"], verdict["attributed"] = M.shoppers[best["shopper"]]["id"], True
    elif code == "unattributable":
        if len(lane["entries"]) + 1 > LANE_ENTRIES_MAX or len(M.tasks) + 1 > TASKS_MAX:
            raise ShelfError("LIMIT_EXCEEDED", "laneId")
        verdict["tasksOpened"].append(open_task("unattributable", None, 1, d, dvar, req["shopperIds"]))
    else:
        if is_pick:
            if len(req["shopperIds"]) == 1:
                sid = req["shopperIds"][0]
                s = shopper_slot(sid)
                lots = M.shoppers[s]["lots"] if s is not None else []
                if len(lots) >= BASKET_LOTS_MAX or sum(l["count"] for l in lots) >= BASKET_ITEMS_MAX:
                    raise ShelfError("LIMIT_EXCEEDED", "shopperIds")
                lot = {"itemType": None, "count": 1, "totalMg": delta, "varianceMg2": dvar, "origin": lane["id"]}
                if s is None:
                    M.shoppers.append({"id": sid, "lots": [lot]})
                else:
                    M.shoppers[s]["lots"].append(lot)
        else:
            if len(lane["entries"]) + 1 > LANE_ENTRIES_MAX or len(M.tasks) + 1 > TASKS_MAX:
                raise ShelfError("LIMIT_EXCEEDED", "laneId")
            verdict["tasksOpened"].append(open_task("identify", None, 1, d, dvar, req["shopperIds"]))
    verdict["laneCount"] = lane["count"]
    return verdict


def resolve(M, req):
    """Staff resolve an identify or unattributable task (the table in Shelf::resolve_task's rustdoc)."""
    tid = req["taskId"]
    if not tid or len(tid.encode()) > 64:
        raise ShelfError("INVALID_ARGUMENT", "taskId")
    f = req.get("found")
    t = None
    if f is not None:
        if not 1 <= f["count"] <= BASKET_ITEMS_MAX:
            raise ShelfError("INVALID_ARGUMENT", "found.count")
        t = M.tix(f["itemType"])
        if t is None:
            raise ShelfError("INVALID_ARGUMENT", "found.itemType")
    sid = req.get("shopperId")
    if sid is not None and (not sid or len(sid.encode()) > 64):
        raise ShelfError("INVALID_ARGUMENT", "shopperId")
    out = {"code": "resolved", "taskId": tid, "found": f, "shopperId": None, "taskMg": 0, "predictedMg": 0,
           "toleranceMg": 0, "toStock": 0, "laneCount": 0}
    task = next((x for x in M.tasks if x["id"] == tid), None)
    if task is None:
        issued = re.fullmatch(r"t[1-9][0-9]*", tid) is not None and int(tid[1:]) < M.next_task
        return dict(out, code="task-closed" if issued else "task-unknown")
    lane = next(l for l in M.lanes if l["id"] == task["laneId"])
    out["taskMg"], out["laneCount"] = task["totalMg"], lane["count"]
    if task["kind"] == "misplaced":
        return dict(out, code="not-resolvable")
    holder = None
    if f is not None:
        c = f["count"]
        unit, uvar = M.type_weight(t)
        P, V, k = unit * c, task["varianceMg2"] + uvar * c, M.cfg["kCenti"]
        out["predictedMg"], out["toleranceMg"] = P, isqrt(k * k * V) // 100
        W = task["totalMg"]
        within = (W - P) ** 2 * 10_000 <= k * k * V
        if not (within or (task["kind"] == "unattributable" and W <= P)):
            return dict(out, code="contradicts-weight")

        def holds(shopper_id):
            sh = next((x for x in M.shoppers if x["id"] == shopper_id), None)
            return sh is not None and sum(l["count"] for l in sh["lots"] if l["itemType"] == f["itemType"]) >= c
        if sid is not None:
            if sid not in task["shopperIds"]:
                return dict(out, code="shopper-not-candidate")
            if not holds(sid):
                return dict(out, code="contradicts-records")
            holder = sid
        else:
            holders = [x for x in task["shopperIds"] if holds(x)]
            if not holders:
                return dict(out, code="contradicts-records")
            if len(holders) > 1:
                return dict(out, code="shopper-required")
            holder = holders[0]
        if lane["type"] == t and lane["count"] + c > LANE_COUNT_MAX:
            raise ShelfError("LIMIT_EXCEEDED", "found.count")
        lots = next(x for x in M.shoppers if x["id"] == holder)["lots"]
        left = c
        for j in range(len(lots) - 1, -1, -1):
            if left == 0:
                break
            if lots[j]["itemType"] == f["itemType"]:
                m = min(left, lots[j]["count"])
                w, v = Model.take(M.lot_of(lots[j]), m)
                if m >= lots[j]["count"]:
                    lots.pop(j)
                else:
                    lots[j]["count"] -= m
                    lots[j]["totalMg"] = max(1, lots[j]["totalMg"] - w)
                    lots[j]["varianceMg2"] += v
                left -= m
        out["shopperId"] = holder
        if lane["type"] == t:
            lane["count"] += c
            out["toStock"] = c
    lane["entries"] = [e for e in lane["entries"] if e["origin"] != tid]
    M.tasks = [x for x in M.tasks if x["id"] != tid]
    out["laneCount"] = lane["count"]
    return out


def keyed(M, kind, req, run):
    """The idempotency window around a mutating request: (answer) or raises ShelfError."""
    key = req.get("idempotencyKey")
    canon = {x: y for x, y in req.items() if x not in ("idempotencyKey", "now")}
    if key is not None:
        if not key or len(key.encode()) > 64:
            raise ShelfError("INVALID_ARGUMENT", "idempotencyKey")
        for k_, kind_, canon_, answer in M.keys:
            if k_ == key:
                if kind_ == kind and canon_ == canon:
                    return answer
                raise ShelfError("IDEMPOTENCY_CONFLICT", "idempotencyKey")
    answer = run()
    # Only applied requests are remembered: every weight change and checkout, a resolution that resolved.
    remember = key is not None and (kind != "resolve" or answer["code"] == "resolved")
    if remember:
        if len(M.keys) >= IDEMPOTENCY_KEYS_MAX:
            M.keys.pop(0)
        M.keys.append((key, kind, canon, answer))
    return answer


def tasks_view(M):
    def num(t):
        return int(t["id"][1:])
    return sorted(M.tasks, key=lambda t: (not t["perishable"], -t["valueMinor"], t["createdAt"], num(t)))


def lanes_view(M):
    return [{"id": l["id"], "itemType": M.types[l["type"]]["id"], "count": l["count"],
             "entries": [dict(e) for e in l["entries"]], "sensor": l["sensor"].view()} for l in M.lanes]


def item_types_view(M):
    out = []
    for t, item in enumerate(M.types):
        w, v = M.type_weight(t)
        out.append({"item": item, "weightMg": w, "spreadMg": isqrt(v), "observations": M.learned[t][0]})
    return out


# ---------------------------------------------------------------- scenarios

def item(tid, grams, sigma_g, value, perishable=False):
    return {"id": tid, "nominalMg": grams * 1000, "sigmaMg": sigma_g * 1000, "valueMinor": value, "perishable": perishable}


CONFIG = {"kCenti": 300, "marginZCenti": 200, "learnShiftPermilleMax": 50, "learnPicksMin": 5, "itemsMax": 6,
          "combinationsMax": 200_000}
CATALOGUE = [item("soup", 540, 3, 250), item("beans", 538, 3, 120), item("jam", 300, 4, 400),
             item("milk", 1030, 8, 150, True), item("gum", 20, 1, 90)]
LANES = [{"id": f"L{i + 1}", "itemType": t["id"], "count": 10, "sensor": for_noise(10_000)} for i, t in enumerate(CATALOGUE)]
SIGMA = 4473  # ceil(sqrt(2 * 10000^2 / 10)): the sensor's sigma of an event at sigma 10 g, window 10
T0 = 1_800_000_000


class Scenario:
    def __init__(self, name, config=None, catalogue=None, lanes=None):
        self.setup = {"shelfId": "aisle-4", "config": dict(CONFIG, **(config or {})), "itemTypes": catalogue or CATALOGUE, "lanes": lanes or LANES}
        self.M = Model(self.setup)
        self.name = name
        self.steps = []
        self.now = T0

    def change(self, lane, grams_or_mg, shoppers, comment, mg=False, sigma=SIGMA, excursion=None, key=None):
        self.now += 5
        req = {"laneId": lane, "deltaMg": grams_or_mg if mg else grams_or_mg * 1000, "sigmaMg": sigma,
               "shopperIds": shoppers, "now": self.now}
        if excursion is not None:
            req["excursionMg"] = excursion * 1000
        if key is not None:
            req["idempotencyKey"] = key
        step = {"step": "change", "comment": comment, "request": req}
        try:
            step["expect"] = keyed(self.M, "change", req, lambda: decide(self.M, req))
        except ShelfError as e:
            step["expect"] = {"error": {"code": e.code, "param": "request." + e.param}}
        self.steps.append(step)
        return step["expect"]

    def view(self, what, arg=None, comment=""):
        if what == "tasks":
            expect = tasks_view(self.M)
        elif what == "lanes":
            expect = lanes_view(self.M)
        elif what == "itemTypes":
            expect = item_types_view(self.M)
        else:
            s = next((x for x in self.M.shoppers if x["id"] == arg), None)
            expect = {"id": arg, "lots": [dict(l) for l in s["lots"]] if s else []}
        step = {"step": what, "comment": comment, "expect": expect}
        if arg is not None:
            step["shopperId"] = arg
        self.steps.append(step)

    def resolve(self, task_id, found, comment, shopper=None, key=None):
        req = {"taskId": task_id, "found": None if found is None else {"itemType": found[0], "count": found[1]}}
        if shopper is not None:
            req["shopperId"] = shopper
        if key is not None:
            req["idempotencyKey"] = key
        step = {"step": "resolveTask", "comment": comment, "request": req}
        try:
            step["expect"] = keyed(self.M, "resolve", req, lambda: resolve(self.M, req))
        except ShelfError as e:
            step["expect"] = {"error": {"code": e.code, "param": "request." + e.param}}
        self.steps.append(step)
        return step["expect"]

    def complete(self, task_id, comment):
        t = next((t for t in self.M.tasks if t["id"] == task_id), None)
        if t is None:
            self.steps.append({"step": "completeTask", "taskId": task_id, "comment": comment,
                               "expect": {"error": {"code": "INVALID_ARGUMENT", "param": "taskId"}}})
            return
        lane = next(l for l in self.M.lanes if l["id"] == t["laneId"])
        e = next((i for i, x in enumerate(lane["entries"]) if x["origin"] == task_id), None)
        if e is None:  # an unattributable net loss: its net change is what staff dismiss
            lot = {"itemType": None, "count": 1, "totalMg": t["totalMg"], "varianceMg2": t["varianceMg2"], "origin": t["id"]}
        else:
            lot = lane["entries"].pop(e)
        self.M.tasks.remove(t)
        self.steps.append({"step": "completeTask", "taskId": task_id, "comment": comment, "expect": lot})

    def checkout(self, sid, comment, key=None):
        def run():
            s = next((i for i, x in enumerate(self.M.shoppers) if x["id"] == sid), None)
            return self.M.shoppers.pop(s)["lots"] if s is not None else []
        step = {"step": "checkout", "shopperId": sid, "comment": comment}
        req = {"shopperId": sid}
        if key is not None:
            step["idempotencyKey"] = req["idempotencyKey"] = key
        try:
            step["expect"] = keyed(self.M, "checkout", req, run)
        except ShelfError as e:
            step["expect"] = {"error": {"code": e.code, "param": e.param}}
        self.steps.append(step)
        return step["expect"]

    def doc(self):
        return {"name": self.name, "setup": self.setup, "steps": self.steps}


def scenarios():
    out = []

    s = Scenario("a pick and a tidy return restore the lane's count; the measured weight is the record")
    assert s.change("L3", -301, ["ann"], "ann takes a jam (measured 301 g)")["code"] == "picked"
    s.view("shopper", "ann", "one jam, 301 g measured")
    assert s.change("L3", 299, ["ann"], "and puts it back where it belongs")["code"] == "tidy"
    s.view("lanes", comment="L3 back at 10")
    out.append(s.doc())

    s = Scenario("an untidy return becomes a foreign entry; a later pick of it is explained (no cascade)")
    s.change("L3", -300, ["ann"], "ann takes a jam")
    assert s.change("L4", 302, ["ann"], "and leaves it among the milk")["code"] == "untidy"
    s.view("tasks", comment="a misplaced jam in L4")
    v = s.change("L4", -299, ["bob"], "bob takes the jam from the milk lane: the entry, not a 300 g 'milk'")
    assert v["code"] == "picked" and v["tasksClosed"] == ["t1"], v
    s.view("shopper", "bob", "bob holds a jam")
    assert s.change("L3", 300, ["bob"], "bob puts the jam in its own lane")["code"] == "tidy"
    assert s.change("L4", -1031, ["bob"], "a milk pick from L4 is a milk")["code"] == "picked"
    s.view("lanes")
    out.append(s.doc())

    s = Scenario("near twins: 540 g soup and 538 g beans at sigma 10 g are ambiguous, never a silent pick")
    s.change("L1", -540, ["ann"], "soup")
    s.change("L2", -538, ["ann"], "beans")
    assert s.change("L3", 539, ["ann"], "one of them comes back into the jam lane")["code"] == "ambiguous"
    s.view("shopper", "ann", "records unchanged: nobody knows which")
    s.view("tasks", comment="an identify task at L3")
    v = s.change("L3", -539, ["cy"], "cy takes the unidentified 539 g from the jam lane: explained by the entry, its task closes")
    assert v["code"] == "picked" and v["tasksClosed"] == ["t1"], v
    s.view("shopper", "cy", "cy holds an unidentified weight")
    assert s.change("L1", 1000, ["ann"], "1000 g: neither, nor both (1078 g)")["code"] == "unexplained"
    out.append(s.doc())

    s = Scenario("several items at once, several of a kind, partial lots")
    s.change("L3", -300, ["ann"], "jam")
    s.change("L4", -1031, ["ann"], "milk")
    s.change("L5", -61, ["ann"], "three gum in one pick (one record of 3)")
    assert s.change("L3", 1331, ["ann"], "jam and milk back together, into the jam lane")["code"] == "untidy"
    s.view("shopper", "ann", "the gum record is left")
    assert s.change("L5", 20, ["ann"], "one gum back: a partial lot")["code"] == "tidy"
    s.view("shopper", "ann", "two gum left: the record's total less one gum's weight")
    assert s.change("L1", 41, ["ann"], "the two gum into the soup lane: the rest of the lot")["code"] == "untidy"
    s.view("tasks")
    s.view("lanes")
    out.append(s.doc())

    s = Scenario("unexplained weights and what they leave behind")
    s.change("L3", -300, ["ann"], "jam")
    assert s.change("L3", 420, ["ann"], "420 g: no combination of what ann holds")["code"] == "unexplained"
    assert s.change("L2", 540, ["zoe"], "zoe holds nothing")["code"] == "unexplained"
    assert s.change("L4", -250, ["bob"], "250 g leaves the milk lane: no milk, no entry")["code"] == "unexplained"
    s.view("shopper", "bob", "bob holds an unidentified 250 g")
    assert s.change("L2", 250, ["bob"], "and it comes back: explained by that record (untyped, so untidy)")["code"] == "untidy"
    s.view("tasks")
    out.append(s.doc())

    s = Scenario("the limits: combinationsMax reached, itemsMax bounds the multiplicity", config={"combinationsMax": 10, "itemsMax": 2})
    for _ in range(4):
        s.change("L5", -20, ["ann"], "one gum (a record each)")
    assert s.change("L5", 40, ["ann"], "two gum: within the limit")["code"] == "tidy"
    for _ in range(4):
        s.change("L5", -20, ["ann"], "one more gum")
    assert s.change("L5", 80, ["ann"], "four gum: itemsMax 2 cannot explain it, and the search stops at 10 combinations")["code"] == "search-limit"
    s.view("shopper", "ann", "nothing taken off the records")
    out.append(s.doc())

    s = Scenario("two shoppers at one shelf")
    s.change("L3", -300, ["ann"], "ann: jam")
    s.change("L3", -300, ["bob"], "bob: jam")
    s.change("L4", -1030, ["bob"], "bob: milk")
    assert s.change("L3", 300, ["ann", "bob"], "a jam comes back, both present: whose?")["code"] == "ambiguous"
    v = s.change("L4", 1029, ["ann", "bob"], "a milk comes back, both present: only bob holds one")
    assert v["code"] == "tidy" and v["shopperId"] == "bob", v
    v = s.change("L1", -540, ["ann", "bob"], "a soup leaves with both present: the lane knows, the records do not")
    assert v["code"] == "picked" and not v["attributed"], v
    s.view("lanes")
    out.append(s.doc())

    s = Scenario("learning an item's weight within its bound", config={"learnShiftPermilleMax": 20})
    for i in range(6):
        s.change("L3", -312, [f"s{i}"], "a 312 g jam (catalogue 300 g)")
        s.view("itemTypes", comment="after 5 picks the learned weight (capped at 306 g) applies")
    out.append(s.doc())

    s = Scenario("the clean-up list: perishable, value, age; staff complete tasks; checkout")
    s.change("L1", -540, ["ann"], "soup")
    s.change("L4", -1030, ["ann"], "milk")
    s.change("L3", -300, ["ann"], "jam")
    s.change("L2", 300, ["ann"], "jam into beans")
    s.change("L2", 540, ["ann"], "soup into beans")
    s.change("L3", 1030, ["ann"], "milk into jam")
    s.view("tasks", comment="milk (perishable) first, then jam (400) before soup (250)")
    s.complete("t3", "staff take the milk away")
    s.complete("t3", "twice: no such task")
    s.view("lanes")
    s.change("L5", -20, ["ann"], "gum")
    s.checkout("ann", "ann pays for the gum")
    s.view("shopper", "ann")
    out.append(s.doc())

    s = Scenario("two shoppers at one shelf, a pick and a return in one settling window: unattributable, never guessed")
    s.change("L3", -300, ["ann"], "ann: jam")
    s.change("L4", -1030, ["bob"], "bob: milk")
    v = s.change("L1", -240, ["ann", "bob"], "at the soup lane a soup leaves and a jam comes back in one window: net -240 g, "
                 "excursion 300 g (above 2 x stableRangeMg = 120 g)", excursion=300)
    assert v["code"] == "unattributable" and not v["attributed"] and v["evidence"]["hypotheses"] == [], v
    s.view("shopper", "ann", "ann's jam is still on her record: nobody knows yet")
    s.view("tasks", comment="an unattributable task naming both shoppers, with the net change")
    v = s.resolve("t1", ("jam", 1), "staff find ann's jam among the soups: only ann holds a jam, so it is hers; staff carry it away")
    assert v["code"] == "resolved" and v["shopperId"] == "ann" and v["toStock"] == 0, v
    s.view("shopper", "ann", "the jam is off ann's record")
    s.view("lanes", comment="L1's count is unchanged: the soup that left is not attributed (the store settles it)")
    v = s.change("L2", 250, ["bob"], "a net gain of 250 g in a mixed touch: an unidentified entry, so a later pick of it is explained", excursion=400)
    assert v["code"] == "unattributable", v
    v = s.resolve("t2", ("milk", 1), "a milk (1030 g) is heavier than the net gain: fits an unattributable task; bob holds one")
    assert v["code"] == "resolved" and v["shopperId"] == "bob", v
    v = s.change("L1", 0, ["ann"], "a swap of near twins (soup out, beans in): net 0, but mixed: an event", excursion=500)
    assert v["code"] == "unattributable", v
    s.complete("t3", "staff look and dismiss it: the net change is what they close")
    assert s.change("L3", 300, ["ann"], "an excursion at the bound is a single step: an ordinary verdict", excursion=120)["code"] == "unexplained"
    s.change("L3", 0, ["ann"], "net 0 without a mixed excursion: refused", excursion=100)
    s.change("L3", 300, ["ann"], "a negative excursion: refused", excursion=-1)
    s.view("tasks")
    out.append(s.doc())

    s = Scenario("staff resolve ambiguous and unexplained tasks with the real item")
    s.change("L1", -540, ["ann"], "soup")
    s.change("L2", -538, ["ann"], "beans")
    assert s.change("L3", 539, ["ann"], "one of them comes back into the jam lane")["code"] == "ambiguous"
    assert s.resolve("t9", None, "no such task")["code"] == "task-unknown"
    assert s.resolve("t0", None, "t0 was never issued")["code"] == "task-unknown"
    assert s.resolve("t1", ("soup", 2), "two soups (1080 g) do not fit 539 g")["code"] == "contradicts-weight"
    assert s.resolve("t1", ("soup", 1), "bob was not there", shopper="bob")["code"] == "shopper-not-candidate"
    assert s.resolve("t1", ("jam", 1), "a jam (300 g) does not fit either")["code"] == "contradicts-weight"
    v = s.resolve("t1", ("beans", 1), "staff find the beans: ann's beans record goes, staff carry the can away")
    assert v["code"] == "resolved" and v["shopperId"] == "ann", v
    s.view("shopper", "ann", "the soup is left")
    assert s.resolve("t1", None, "again: closed")["code"] == "task-closed"
    s.change("L3", -300, ["bob"], "bob: jam")
    s.change("L3", -300, ["cy"], "cy: jam")
    assert s.change("L3", 300, ["bob", "cy"], "a jam back, both present")["code"] == "ambiguous"
    assert s.resolve("t2", ("jam", 1), "both hold a jam: whose?")["code"] == "shopper-required"
    v = s.resolve("t2", ("jam", 1), "cy's: the jam joins the lane's stock", shopper="cy")
    assert v["code"] == "resolved" and v["toStock"] == 1, v
    s.view("lanes", comment="L3 back to 9 (two picked, one back); no entry")
    assert s.change("L4", 538, ["ann"], "ann's soup into the milk lane: untidy (soup 540 g, within tolerance)")["code"] == "untidy"
    assert s.resolve("t3", None, "a misplaced task is completed, not resolved")["code"] == "not-resolvable"
    assert s.change("L2", 540, ["zoe"], "zoe holds nothing: unexplained")["code"] == "unexplained"
    assert s.resolve("t4", ("soup", 1), "zoe holds no soup")["code"] == "contradicts-records"
    assert s.resolve("t4", None, "staff find nothing there: the entry goes")["code"] == "resolved"
    s.resolve("t3", ("caviar", 1), "not in the catalogue: an error")
    s.resolve("t3", ("soup", 0), "zero items: an error")
    s.resolve("", None, "an empty task id: an error")
    s.view("tasks")
    s.view("lanes")
    out.append(s.doc())

    s = Scenario("idempotency keys: a retry answers the stored verdict, another request under the key is refused")
    v = s.change("L3", -301, ["ann"], "ann takes a jam (key evt-1)", key="evt-1")
    assert s.change("L3", -301, ["ann"], "the gateway retries it 5 s later: the same verdict, nothing changes", key="evt-1") == v
    s.view("shopper", "ann", "one jam, not two")
    s.change("L3", -302, ["ann"], "evt-1 again with another weight: a conflict", key="evt-1")
    s.change("L3", -300, ["ann"], "an empty key: an error", key="")
    assert s.change("L2", 700, ["zoe"], "an unexplained return (key evt-2)", key="evt-2")["code"] == "unexplained"
    s.resolve("t1", None, "a resolution under a weight change's key: a conflict", key="evt-1")
    r = s.resolve("t1", None, "staff find nothing (key res-1)", key="res-1")
    assert s.resolve("t1", None, "the tablet retries it: the same answer, not task-closed", key="res-1") == r
    assert s.resolve("t1", None, "without its key: closed")["code"] == "task-closed"
    s.view("tasks")
    lots = s.checkout("ann", "ann pays (key pay-1): her jam", key="pay-1")
    assert len(lots) == 1
    assert s.checkout("ann", "the till retries: the same jam, not an empty list", key="pay-1") == lots
    assert s.checkout("ann", "without the key: nothing (her slot is gone)") == []
    s.checkout("bob", "pay-1 for another shopper: a conflict", key="pay-1")
    s.checkout("bob", "bob has nothing to pay (key pay-2)", key="pay-2")
    s.change("L3", -300, ["bob"], "then bob takes a jam")
    assert s.checkout("bob", "pay-2 retried: still nothing; the new jam is not checked out by a retry", key="pay-2") == []
    s.view("shopper", "bob", "bob still holds the jam")
    out.append(s.doc())

    s = Scenario("bad input is an error naming the parameter, and changes nothing")
    s.change("L3", -300, ["ann"], "jam")
    s.change("L9", 300, ["ann"], "no such lane")
    s.change("L3", 0, ["ann"], "a zero change")
    s.change("L3", 300, [], "nobody")
    s.change("L3", 300, ["ann", "ann"], "twice the same shopper")
    s.change("L3", 300, ["ann"], "sigma 0", sigma=0)
    s.view("shopper", "ann", "unchanged")
    out.append(s.doc())
    return out


SCENARIO_DESCRIPTION = (
    "countersign shelf scenarios (System 10: untidy returns judged by weight). Each scenario: `setup` (a ShelfSetup: "
    "shelfId, config, itemTypes, lanes with their sensor configs) and `steps` in order on one shelf. Step kinds: "
    "'change' (request: a WeightChange {laneId, deltaMg, sigmaMg, shopperIds, now}) -> expect: the whole Verdict "
    "{code, shopperId, attributed, evidence {deltaMg, sigmaMg, kCenti, marginZCenti, hypotheses [{shopperId, parts "
    "[{source, index, itemType, count}], predictedMg, varianceMg2, toleranceMg, z2Milli, withinTolerance}], "
    "combinationsTried, excursionMg, mixedExcursionMg, shopperIds}, tasksOpened, tasksClosed, laneCount}, or expect.error {code, param} (param: the path under the request, request.laneId ...; the shelf unchanged); "
    "The request may carry excursionMg (a mixed touch above the lane's 2 x stableRangeMg is 'unattributable') and "
    "idempotencyKey (the same key and request answer the stored result; another request is IDEMPOTENCY_CONFLICT). "
    "'resolveTask' (request: a ResolveTask {taskId, found: {itemType, count} or null, shopperId?, idempotencyKey?}) -> "
    "the whole Resolution {code, taskId, found, shopperId, taskMg, predictedMg, toleranceMg, toStock, laneCount}, or expect.error; "
    "'completeTask' (taskId) -> the ItemLot staff took away, or expect.error; 'checkout' (shopperId, "
    "idempotencyKey?) -> the shopper's records, or expect.error (param idempotencyKey); views with the whole expected value: 'tasks' (priority order), 'lanes', 'itemTypes', "
    "'shopper' (shopperId). Weights in integer mg, variances in mg^2. Written by generate.py: an independent "
    "model (brute-force matching over every combination, exact Fractions; the documented walk simulated only for "
    "combinationsTried and the limit). A runner may also persist and reload the shelf after every step.")


def main():
    with open(os.path.join(OUT, "sensor.json"), "w") as f:
        json.dump({"description": SENSOR_DESCRIPTION, "cases": sensor_cases()}, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "scenarios.json"), "w") as f:
        json.dump({"description": SCENARIO_DESCRIPTION, "scenarios": scenarios()}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
