#!/usr/bin/env python3
"""Writes tests/vectors/custody/{keys,signatures,flows}.json: System 8 (custody), the back-office
book's part (the proof-of-liabilities vectors, tests/vectors/custody/liabilities*, are another
generator's).

An independent model written from the spec (the rustdoc of core/src/custody/), in plain Python
integers and the standard library only:
- keys: secp256k1 point arithmetic, BIP-32 CKDpriv with HMAC-SHA512, Base58Check, Keccak-f[1600]
  written out from FIPS 202 (with Keccak's original 0x01 padding), EIP-55; the model is first
  checked against BIP-32's published test vectors 1-3 and EIP-55's examples;
- signatures: the withdrawal and transaction digests (length-prefixed fields, SHA-256) and
  ECDSA with RFC 6979 nonces (HMAC-SHA256 DRBG, section 3.2) and low-S;
- flows: a scripted day and random scenarios through a model of the book (balances per client and
  asset, the omnibus expectation, limits as lists of (time, amount) entries, allow-lists,
  approvals as (approver, expiry) pairs), with the code, the limit that refused and the
  discrepancy report after every step.
Run: python3 tests/vectors/custody/generate.py (deterministic: same files every run)."""
import hashlib, hmac, json, os

OUT = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- secp256k1

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def mul(k, point=G):
    out = None
    while k:
        if k & 1:
            out = add(out, point)
        point = add(point, point)
        k >>= 1
    return out


def compressed(point):
    return bytes([2 + (point[1] & 1)]) + point[0].to_bytes(32, 'big')


def uncompressed(point):
    return b'\x04' + point[0].to_bytes(32, 'big') + point[1].to_bytes(32, 'big')


# ---------------------------------------------------------------- Keccak-256 (FIPS 202 permutation)

RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
      0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
      0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
      0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
      0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
      0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56],
       [27, 20, 39, 8, 14]]
M64 = 2**64 - 1


def rol(v, n):
    return ((v << n) | (v >> (64 - n))) & M64 if n else v


def keccak_f(a):
    for rc in RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = rol(a[x][y], ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data):
    rate = 136
    msg = bytearray(data) + b'\x01' + b'\x00' * ((rate - (len(data) + 1) % rate) % rate)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], 'little')
        a = keccak_f(a)
    out = b''
    for i in range(4):
        out += a[i % 5][i // 5].to_bytes(8, 'little')
    return out


assert keccak256(b'').hex() == 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'


def eip55(raw):
    low = raw.hex()
    h = keccak256(low.encode()).hex()
    return '0x' + ''.join(c.upper() if c.isalpha() and int(h[i], 16) >= 8 else c for i, c in enumerate(low))


def address(point):
    return eip55(keccak256(uncompressed(point)[1:])[12:])


for example in ['0x52908400098527886E0F7030069857D2E4169EE7', '0xde709f2102306220921060314715629080e2fb77',
                '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb']:
    assert eip55(bytes.fromhex(example[2:])) == example, example
assert address(mul(1)) == '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf'

# ---------------------------------------------------------------- BIP-32

B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'


def b58check(payload):
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, 'big')
    out = ''
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return '1' * (len(data) - len(data.lstrip(b'\x00'))) + out


def hash160(b):
    return hashlib.new('ripemd160', hashlib.sha256(b).digest()).digest()


def master(seed):
    i = hmac.new(b'Bitcoin seed', seed, hashlib.sha512).digest()
    return int.from_bytes(i[:32], 'big'), i[32:]


def child(k, c, index):
    if index >= 2**31:
        data = b'\x00' + k.to_bytes(32, 'big') + index.to_bytes(4, 'big')
    else:
        data = compressed(mul(k)) + index.to_bytes(4, 'big')
    i = hmac.new(c, data, hashlib.sha512).digest()
    return (int.from_bytes(i[:32], 'big') + k) % N, i[32:]


def parse_path(path):
    out = []
    for part in path.split('/')[1:]:
        out.append(int(part[:-1]) + 2**31 if part.endswith("'") else int(part))
    return out


def derive(seed, path):
    k, c = master(seed)
    depth, parent_fp, number = 0, b'\x00' * 4, 0
    for index in parse_path(path):
        parent_fp = hash160(compressed(mul(k)))[:4]
        k, c = child(k, c, index)
        depth, number = depth + 1, index
    head = lambda version: version + bytes([depth]) + parent_fp + number.to_bytes(4, 'big') + c
    xprv = b58check(head(bytes.fromhex('0488ade4')) + b'\x00' + k.to_bytes(32, 'big'))
    xpub = b58check(head(bytes.fromhex('0488b21e')) + compressed(mul(k)))
    return k, xprv, xpub


# hashlib's ripemd160 may be missing (OpenSSL 3 without the legacy provider): then the model
# cannot check the fingerprints of the published vectors, and says so instead of guessing.
try:
    hash160(b'')
    HAVE_RIPEMD = True
except ValueError:
    HAVE_RIPEMD = False

PUBLISHED = [  # BIP-32 "Test Vectors" 1-3: (seed, path, xprv) — the model must reproduce them.
    ('000102030405060708090a0b0c0d0e0f', 'm', 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi'),
    ('000102030405060708090a0b0c0d0e0f', "m/0'/1/2'/2/1000000000", 'xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76'),
    ('fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542', "m/0/2147483647'/1/2147483646'/2", 'xprvA2nrNbFZABcdryreWet9Ea4LvTJcGsqrMzxHx98MMrotbir7yrKCEXw7nadnHM8Dq38EGfSh6dqA9QWTyefMLEcBYJUuekgW4BYPJcr9E7j'),
    ('4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4acba45d239319ac14f863b8d5ab5a0d0c64d2e8a1e7d1457df2e5a3c51c73235be', "m/0'", 'xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L'),
]
if HAVE_RIPEMD:
    for seed, path, xprv in PUBLISHED:
        assert derive(bytes.fromhex(seed), path)[1] == xprv, path


def wallet(seed, index):
    k, _, _ = derive(seed, "m/44'/60'/0'/0/%d" % index)
    return k, mul(k)


# ---------------------------------------------------------------- RFC 6979 ECDSA, low-S

def sign(secret, digest):
    x = secret.to_bytes(32, 'big')
    h = int.from_bytes(digest, 'big') % N
    hb = h.to_bytes(32, 'big')
    v, k = b'\x01' * 32, b'\x00' * 32
    k = hmac.new(k, v + b'\x00' + x + hb, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b'\x01' + x + hb, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        nonce = int.from_bytes(v, 'big')
        if 1 <= nonce < N:
            r = mul(nonce)[0] % N
            s = pow(nonce, N - 2, N) * (int.from_bytes(digest, 'big') + r * secret) % N
            if r and s:
                return r.to_bytes(32, 'big') + min(s, N - s).to_bytes(32, 'big')
        k = hmac.new(k, v + b'\x00', hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def field(b):
    return len(b).to_bytes(4, 'big') + b


def i128(v):
    return v.to_bytes(16, 'big', signed=True)


def withdrawal_digest(wid, client, asset, amount, fee, dest):
    return hashlib.sha256(b''.join(field(x) for x in [b'countersign.custody.withdrawal.v1', wid.encode(),
                          client.encode(), asset.encode(), i128(amount), i128(fee), dest])).digest()


def transaction_digest(wid, leg, frm, to, asset, amount):
    return hashlib.sha256(b''.join(field(x) for x in [b'countersign.custody.transaction.v1', wid.encode(),
                          bytes([leg]), frm, to, asset.encode(), i128(amount)])).digest()


# ---------------------------------------------------------------- the book model

SCALE = {'BTC': 8, 'ETH': 18, 'USDC': 6}


def text(units, asset):
    s = SCALE[asset]
    sign_, units = ('-' if units < 0 else ''), abs(units)
    whole, frac = divmod(units, 10**s)
    return sign_ + str(whole) + ('.' + str(frac).rjust(s, '0') if s else '')


def units_of(txt, asset):
    neg = txt.startswith('-')
    whole, _, frac = txt.lstrip('-').partition('.')
    v = int(whole) * 10**SCALE[asset] + int((frac + '0' * SCALE[asset])[:SCALE[asset]] or '0')
    return -v if neg else v


class Lcg:
    def __init__(self, seed):
        self.s = seed

    def next(self, n):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) % 2**64
        return (self.s >> 33) % n


SEED = bytes(range(32))
OMNIBUS_SECRET = int.from_bytes(hashlib.sha256(b'countersign custody vectors: omnibus').digest(), 'big') % N
APPROVERS = 3
QUORUM = 2
COOLING = 3600
T0 = 1_800_000_000


def config():
    return {
        'assets': [
            {'asset': 'BTC', 'confirmations': 3, 'sweepThreshold': '0.001',
             'clientLimits': [{'id': 'btc-day', 'measure': 'amount', 'currency': 'BTC',
                               'window': {'kind': 'trailing', 'seconds': 86400}, 'hard': '0.5'}],
             'assetLimits': [{'id': 'btc-all', 'measure': 'amount', 'currency': 'BTC',
                              'window': {'kind': 'lifetime'}, 'hard': '2'}]},
            {'asset': 'USDC', 'confirmations': 1, 'sweepThreshold': '50', 'clientLimits': [], 'assetLimits': []},
            {'asset': 'ETH', 'confirmations': 12, 'sweepThreshold': '0.01', 'clientLimits': [], 'assetLimits': []},
        ],
        'omnibusAddress': address(mul(OMNIBUS_SECRET)),
        # Approver keys are made by the Rust test (Ed25519 from [0x40 + i; 32]); the model only
        # needs who approved and until when.
        'approvers': APPROVERS,
        'quorum': QUORUM,
        'coolingOffS': COOLING,
    }


class Book:
    def __init__(self, cfg):
        self.cfg = cfg
        self.assets = {a['asset']: a for a in cfg['assets']}
        self.omnibus = cfg['omnibusAddress']
        self.clients = {}          # id -> address
        self.by_address = {}
        self.trading, self.wallet = {}, {}
        self.expected = {a: 0 for a in self.assets}
        self.observed, self.since = {}, {}
        self.wallet_obs = {}       # (client, asset) -> [observed, expected, since]
        self.deposits, self.withdrawals = {}, {}
        self.allow = {}            # (client, address) -> usable from
        self.usage = []            # (withdrawal id, client, asset, time, amount, live)
        self.seqs = {}             # approver -> last seq
        self.keys = {}             # ledger idempotency: key -> terms
        self.event = 0

    def limit_refusal(self, client, asset, amount, now):
        def used(entries, window):
            if window['kind'] == 'trailing':
                return sum(e[4] for e in entries if e[3] > now - window['seconds'])
            return sum(e[4] for e in entries)
        live = [e for e in self.usage if e[5] and e[2] == asset]
        for scope, entries in (('clientLimits', [e for e in live if e[1] == client]), ('assetLimits', live)):
            for spec in self.assets[asset][scope]:
                if used(entries, spec['window']) + amount > units_of(spec['hard'], asset):
                    return spec['id']
        return None

    def key(self, k, terms):
        """The ledger's idempotency: the same key with the same terms is a repeat; other terms
        are ID_REUSED."""
        if k in self.keys:
            return 'repeat' if self.keys[k] == terms else 'reused'
        self.keys[k] = terms
        return 'new'

    def step(self, e):
        kind = e['kind']
        out = {}
        code = getattr(self, 'do_' + kind)(e, out)
        # What the book expects of an observed transfer wallet is refreshed by the events that
        # touch it: a deposit at its address, its sweep, its observation.
        touched = None
        if kind == 'observeDeposit' and e['address'] in self.by_address:
            touched = (self.by_address[e['address']], e['asset'])
        elif kind in ('sweep', 'observeWallet'):
            touched = (e['clientId'], e['asset'])
        if touched in self.wallet_obs:
            self.wallet_obs[touched][1] = self.wallet[touched]
        self.event += 1
        out['code'] = code
        out['discrepancies'] = self.reconcile()
        return out

    def reconcile(self):
        report = []
        for a in self.assets:
            if a not in self.observed:
                continue
            if self.observed[a] == self.expected[a]:
                self.since.pop(a, None)
                continue
            since = self.since.setdefault(a, self.event)
            report.append({'asset': a, 'clientId': None, 'expected': text(self.expected[a], a), 'observed': text(self.observed[a], a),
                           'difference': text(self.observed[a] - self.expected[a], a), 'sinceEvent': since})
        order = list(self.assets)
        for (c, a) in sorted(self.wallet_obs, key=lambda k: (k[0], order.index(k[1]))):
            w = self.wallet_obs[(c, a)]
            if w[0] == w[1]:
                w[2] = None
                continue
            if w[2] is None:
                w[2] = self.event
            report.append({'asset': a, 'clientId': c, 'expected': text(w[1], a), 'observed': text(w[0], a),
                           'difference': text(w[0] - w[1], a), 'sinceEvent': w[2]})
        return report

    def do_registerClient(self, e, out):
        if e['clientId'] in self.clients:
            return 'CLIENT_EXISTS'
        if e['address'] == self.omnibus or e['address'] in self.by_address:
            return 'ADDRESS_IN_USE'
        out['clientIndex'] = len(self.clients)
        self.clients[e['clientId']] = e['address']
        self.by_address[e['address']] = e['clientId']
        for a in self.assets:
            self.trading[(e['clientId'], a)] = 0
            self.wallet[(e['clientId'], a)] = 0
        return 'CLIENT_REGISTERED'

    def do_observeDeposit(self, e, out):
        a = e['asset']
        amount = units_of(e['amount'], a)
        if e['address'] == self.omnibus:
            client = None
        elif e['address'] in self.by_address:
            client = self.by_address[e['address']]
        else:
            return 'UNKNOWN_ADDRESS'
        known = self.deposits.get(e['depositId'])
        if known:
            if known[:3] != (e['address'], a, amount):
                return 'DEPOSIT_CONFLICT'
            if known[4] != 'pending':
                out['repeated'] = True
                return 'DEPOSIT_ALREADY_CONFIRMED'
        if e['confirmations'] < self.assets[a]['confirmations']:
            self.deposits[e['depositId']] = (e['address'], a, amount, client, 'pending')
            return 'DEPOSIT_PENDING'
        if client is None:
            self.expected[a] += amount
            self.deposits[e['depositId']] = (e['address'], a, amount, None, 'quarantined')
            return 'DEPOSIT_QUARANTINED'
        self.wallet[(client, a)] += amount
        self.deposits[e['depositId']] = (e['address'], a, amount, client, 'confirmed')
        return 'DEPOSIT_CONFIRMED'

    def do_releaseQuarantine(self, e, out):
        d = self.deposits.get(e['depositId'])
        if not d or d[4] != 'quarantined':
            return 'NOT_QUARANTINED'
        if e['clientId'] not in self.clients:
            return 'UNKNOWN_CLIENT'
        self.trading[(e['clientId'], d[1])] += d[2]
        self.deposits[e['depositId']] = d[:3] + (e['clientId'], 'released')
        return 'QUARANTINE_RELEASED'

    def do_sweep(self, e, out):
        a, c = e['asset'], e['clientId']
        if c not in self.clients:
            return 'UNKNOWN_CLIENT'
        fee = units_of(e['networkFee'], a)
        amount = self.wallet[(c, a)]
        if amount < units_of(self.assets[a]['sweepThreshold'], a):
            return 'BELOW_SWEEP_THRESHOLD'
        if fee >= amount:
            return 'FEE_EXCEEDS_AMOUNT'
        k = self.key('sweep:' + e['sweepId'], (c, a, amount, fee))
        if k == 'reused':
            out['ledgerCode'] = 'IDEMPOTENCY_KEY_REUSED'
            return 'ID_REUSED'
        if k == 'repeat':
            out['repeated'] = True
            return 'SWEPT'
        self.wallet[(c, a)] = 0
        self.trading[(c, a)] += amount - fee
        self.expected[a] += amount - fee
        return 'SWEPT'

    def do_transfer(self, e, out):
        a, f, t = e['asset'], e['fromClientId'], e['toClientId']
        if f not in self.clients or t not in self.clients:
            return 'UNKNOWN_CLIENT'
        if f == t:
            return 'SAME_CLIENT'
        amount = units_of(e['amount'], a)
        terms = (f, t, a, amount)
        if self.keys.get('transfer:' + e['transferId']) == terms:
            out['repeated'] = True
            return 'TRANSFERRED'
        if self.keys.get('transfer:' + e['transferId']) == ('rejected',) + terms:
            # The ledger answers its stored rejection again.
            out['ledgerCode'] = 'INSUFFICIENT_FUNDS'
            return 'INSUFFICIENT_FUNDS'
        if 'transfer:' + e['transferId'] in self.keys:
            out['ledgerCode'] = 'IDEMPOTENCY_KEY_REUSED'
            return 'ID_REUSED'
        # The ledger records the key of a rejection too.
        self.keys['transfer:' + e['transferId']] = terms
        if self.trading[(f, a)] < amount:
            self.keys['transfer:' + e['transferId']] = ('rejected',) + terms
            out['ledgerCode'] = 'INSUFFICIENT_FUNDS'
            return 'INSUFFICIENT_FUNDS'
        self.trading[(f, a)] -= amount
        self.trading[(t, a)] += amount
        return 'TRANSFERRED'

    def do_trade(self, e, out):
        b, s, ba, qa = e['buyerId'], e['sellerId'], e['baseAsset'], e['quoteAsset']
        if b not in self.clients or s not in self.clients:
            return 'UNKNOWN_CLIENT'
        if b == s or ba == qa:
            return 'SAME_CLIENT'
        base, quote, fee = units_of(e['baseAmount'], ba), units_of(e['quoteAmount'], qa), units_of(e['fee'], qa)
        # A failed chain records no key: only successes are remembered here.
        if self.trading[(s, ba)] < base:
            out['ledgerCode'] = 'INSUFFICIENT_FUNDS'
            return 'INSUFFICIENT_FUNDS'
        if self.trading[(b, qa)] < quote + fee:
            out['ledgerCode'] = 'INSUFFICIENT_FUNDS'
            return 'INSUFFICIENT_FUNDS'
        self.trading[(s, ba)] -= base
        self.trading[(b, ba)] += base
        self.trading[(b, qa)] -= quote + fee
        self.trading[(s, qa)] += quote
        self.fees = getattr(self, 'fees', {})
        self.fees[qa] = self.fees.get(qa, 0) + fee
        return 'TRADED'

    def do_observeOmnibus(self, e, out):
        self.observed[e['asset']] = units_of(e['balance'], e['asset'])
        return 'BALANCE_OBSERVED'

    def do_observeWallet(self, e, out):
        if e['clientId'] not in self.clients:
            return 'UNKNOWN_CLIENT'
        k = (e['clientId'], e['asset'])
        self.wallet_obs[k] = [units_of(e['balance'], e['asset']), self.wallet[k], None]
        return 'BALANCE_OBSERVED'

    def do_addDestination(self, e, out):
        c = e['clientId']
        if c not in self.clients:
            return 'UNKNOWN_CLIENT'
        if (c, e['address']) in self.allow:
            return 'DESTINATION_EXISTS'
        self.allow[(c, e['address'])] = e['now'] + COOLING
        return 'DESTINATION_ADDED'

    def do_requestWithdrawal(self, e, out):
        a, c, w = e['asset'], e['clientId'], e['withdrawalId']
        if c not in self.clients:
            return 'UNKNOWN_CLIENT'
        if w in self.withdrawals:
            return 'WITHDRAWAL_EXISTS'
        usable = self.allow.get((c, e['destination']))
        if usable is None:
            return 'DESTINATION_NOT_ALLOWED'
        if e['now'] < usable:
            return 'DESTINATION_COOLING_OFF'
        amount, fee = units_of(e['amount'], a), units_of(e['networkFee'], a)
        refused = self.limit_refusal(c, a, amount, e['now'])
        if refused:
            out['limitId'] = refused
            return 'LIMIT_REACHED'
        if self.trading[(c, a)] < amount + fee:
            return 'INSUFFICIENT_FUNDS'
        self.trading[(c, a)] -= amount + fee
        self.usage.append([w, c, a, e['now'], amount, True])
        self.withdrawals[w] = {'client': c, 'asset': a, 'amount': amount, 'fee': fee,
                               'destination': e['destination'], 'state': 'awaitingApproval', 'approvals': {}}
        return 'WITHDRAWAL_REQUESTED'

    def do_approve(self, e, out):
        w = self.withdrawals.get(e['withdrawalId'])
        if not w:
            return 'UNKNOWN_WITHDRAWAL'
        if w['state'] != 'awaitingApproval':
            return 'WITHDRAWAL_NOT_PENDING'
        now, who = e['now'], e['approver']
        if e['issuedAt'] > now + 300:
            return 'NOT_YET_VALID'
        if now >= e['expiresAt']:
            return 'EXPIRED'
        if who in self.seqs and e['seq'] <= self.seqs[who]:
            return 'REPLAYED'
        if e.get('otherTerms'):
            return 'APPROVAL_MISMATCH'
        live = lambda: sum(1 for exp in w['approvals'].values() if now < exp)
        if w['approvals'].get(who, 0) > now:
            out['approvals'] = live()
            return 'APPROVER_ALREADY_COUNTED'
        self.seqs[who] = e['seq']
        w['approvals'][who] = e['expiresAt']
        out['approvals'] = live()
        return 'APPROVAL_COUNTED'

    def do_sign(self, e, out):
        w = self.withdrawals.get(e['withdrawalId'])
        if not w:
            return 'UNKNOWN_WITHDRAWAL'
        if w['state'] != 'awaitingApproval':
            return 'WITHDRAWAL_NOT_PENDING'
        usable = self.allow.get((w['client'], w['destination']))
        if usable is None or e['now'] < usable:
            return 'DESTINATION_NOT_ALLOWED'
        live = sum(1 for exp in w['approvals'].values() if e['now'] < exp)
        out['approvals'] = live
        if live < QUORUM:
            return 'QUORUM_NOT_REACHED'
        w['state'] = 'signed'
        return 'WITHDRAWAL_SIGNED'

    def do_confirmWithdrawal(self, e, out):
        w = self.withdrawals.get(e['withdrawalId'])
        if not w:
            return 'UNKNOWN_WITHDRAWAL'
        if w['state'] != 'signed':
            return 'WITHDRAWAL_NOT_PENDING'
        w['state'] = 'confirmed'
        self.expected[w['asset']] -= w['amount'] + w['fee']
        return 'WITHDRAWAL_CONFIRMED'

    def do_cancelWithdrawal(self, e, out):
        w = self.withdrawals.get(e['withdrawalId'])
        if not w:
            return 'UNKNOWN_WITHDRAWAL'
        if w['state'] != 'awaitingApproval':
            return 'WITHDRAWAL_NOT_PENDING'
        w['state'] = 'cancelled'
        self.trading[(w['client'], w['asset'])] += w['amount'] + w['fee']
        for u in self.usage:
            if u[0] == e['withdrawalId']:
                u[5] = False
        return 'WITHDRAWAL_CANCELLED'

    def balances(self):
        return {c: {a: {'trading': text(self.trading[(c, a)], a), 'wallet': text(self.wallet[(c, a)], a)}
                    for a in self.assets} for c in self.clients}


# ---------------------------------------------------------------- scenarios

CLIENTS = ['alice', 'bob', 'carol']
ADDR = {c: address(wallet(SEED, i)[1]) for i, c in enumerate(CLIENTS)}
STRANGER = eip55(bytes([0x5a] * 20))
DEST = [eip55(hashlib.sha256(b'destination %d' % i).digest()[:20]) for i in range(2)]


def run(name, events):
    book = Book(config())
    steps = []
    for e in events:
        out = book.step(e)
        steps.append({'event': e, 'expect': out})
    return {'name': name, 'steps': steps, 'balances': book.balances(),
            'expectedOmnibus': {a: text(book.expected[a], a) for a in book.assets}}


def day():
    t = T0
    ev = []
    for c in CLIENTS:
        ev.append({'kind': 'registerClient', 'clientId': c, 'address': ADDR[c], 'now': t})
    ev.append({'kind': 'registerClient', 'clientId': 'alice', 'address': STRANGER, 'now': t})
    ev.append({'kind': 'registerClient', 'clientId': 'dave', 'address': ADDR['bob'], 'now': t})
    ev.append({'kind': 'observeWallet', 'clientId': 'alice', 'asset': 'BTC', 'balance': '1.2', 'now': t})
    ev.append({'kind': 'observeWallet', 'clientId': 'dave', 'asset': 'BTC', 'balance': '0', 'now': t})
    for conf in (1, 2, 3, 4):
        ev.append({'kind': 'observeDeposit', 'depositId': 'a-btc', 'address': ADDR['alice'], 'asset': 'BTC', 'amount': '1.2', 'confirmations': conf, 'now': t})
    ev.append({'kind': 'observeDeposit', 'depositId': 'a-btc', 'address': ADDR['alice'], 'asset': 'BTC', 'amount': '1.3', 'confirmations': 5, 'now': t})
    ev.append({'kind': 'observeDeposit', 'depositId': 'b-usdc', 'address': ADDR['bob'], 'asset': 'USDC', 'amount': '30000', 'confirmations': 1, 'now': t})
    ev.append({'kind': 'observeDeposit', 'depositId': 'c-eth', 'address': ADDR['carol'], 'asset': 'ETH', 'amount': '2.000000000000000001', 'confirmations': 12, 'now': t})
    ev.append({'kind': 'observeDeposit', 'depositId': 'q-1', 'address': config()['omnibusAddress'], 'asset': 'USDC', 'amount': '75.5', 'confirmations': 1, 'now': t})
    ev.append({'kind': 'observeDeposit', 'depositId': 'x-1', 'address': STRANGER, 'asset': 'USDC', 'amount': '1', 'confirmations': 1, 'now': t})
    ev.append({'kind': 'sweep', 'sweepId': 's1', 'clientId': 'alice', 'asset': 'BTC', 'networkFee': '1.2', 'now': t})
    ev.append({'kind': 'sweep', 'sweepId': 's2', 'clientId': 'alice', 'asset': 'BTC', 'networkFee': '0.00012', 'now': t})
    ev.append({'kind': 'sweep', 'sweepId': 's2', 'clientId': 'alice', 'asset': 'BTC', 'networkFee': '0.00012', 'now': t})
    ev.append({'kind': 'sweep', 'sweepId': 's3', 'clientId': 'bob', 'asset': 'USDC', 'networkFee': '2.5', 'now': t})
    ev.append({'kind': 'sweep', 'sweepId': 's4', 'clientId': 'carol', 'asset': 'ETH', 'networkFee': '0.000021', 'now': t})
    ev.append({'kind': 'sweep', 'sweepId': 's5', 'clientId': 'carol', 'asset': 'USDC', 'networkFee': '0', 'now': t})
    ev.append({'kind': 'observeWallet', 'clientId': 'alice', 'asset': 'BTC', 'balance': '0', 'now': t})
    ev.append({'kind': 'observeWallet', 'clientId': 'carol', 'asset': 'ETH', 'balance': '0.5', 'now': t})
    ev.append({'kind': 'observeOmnibus', 'asset': 'BTC', 'balance': '1.19988', 'now': t})
    ev.append({'kind': 'observeOmnibus', 'asset': 'USDC', 'balance': '30073', 'now': t})
    ev.append({'kind': 'releaseQuarantine', 'depositId': 'q-1', 'clientId': 'carol', 'now': t})
    ev.append({'kind': 'releaseQuarantine', 'depositId': 'q-1', 'clientId': 'carol', 'now': t})
    ev.append({'kind': 'trade', 'tradeId': 'tr1', 'buyerId': 'bob', 'sellerId': 'alice', 'baseAsset': 'BTC', 'baseAmount': '0.5', 'quoteAsset': 'USDC', 'quoteAmount': '29000', 'fee': '29', 'now': t})
    ev.append({'kind': 'trade', 'tradeId': 'tr2', 'buyerId': 'bob', 'sellerId': 'alice', 'baseAsset': 'BTC', 'baseAmount': '0.1', 'quoteAsset': 'USDC', 'quoteAmount': '5800', 'fee': '5.8', 'now': t})
    ev.append({'kind': 'transfer', 'transferId': 'tf1', 'fromClientId': 'bob', 'toClientId': 'carol', 'asset': 'BTC', 'amount': '0.2', 'now': t})
    ev.append({'kind': 'transfer', 'transferId': 'tf1', 'fromClientId': 'bob', 'toClientId': 'carol', 'asset': 'BTC', 'amount': '0.2', 'now': t})
    ev.append({'kind': 'transfer', 'transferId': 'tf1', 'fromClientId': 'bob', 'toClientId': 'carol', 'asset': 'BTC', 'amount': '0.3', 'now': t})
    ev.append({'kind': 'observeOmnibus', 'asset': 'USDC', 'balance': '30073', 'now': t})
    # Withdrawals: allow-list, cooling-off, limits, approvals, signing, confirmation.
    ev.append({'kind': 'requestWithdrawal', 'withdrawalId': 'w1', 'clientId': 'alice', 'asset': 'BTC', 'amount': '0.3', 'networkFee': '0.0002', 'destination': DEST[0], 'now': t})
    ev.append({'kind': 'addDestination', 'clientId': 'alice', 'address': DEST[0], 'now': t})
    ev.append({'kind': 'addDestination', 'clientId': 'carol', 'address': DEST[1], 'now': t})
    ev.append({'kind': 'requestWithdrawal', 'withdrawalId': 'w1', 'clientId': 'alice', 'asset': 'BTC', 'amount': '0.3', 'networkFee': '0.0002', 'destination': DEST[0], 'now': t + 3599})
    ev.append({'kind': 'requestWithdrawal', 'withdrawalId': 'w1', 'clientId': 'alice', 'asset': 'BTC', 'amount': '0.50000001', 'networkFee': '0.0002', 'destination': DEST[0], 'now': t + 3600})
    ev.append({'kind': 'requestWithdrawal', 'withdrawalId': 'w1', 'clientId': 'alice', 'asset': 'BTC', 'amount': '0.3', 'networkFee': '0.0002', 'destination': DEST[0], 'now': t + 3600})
    ev.append({'kind': 'requestWithdrawal', 'withdrawalId': 'w2', 'clientId': 'alice', 'asset': 'BTC', 'amount': '0.25', 'networkFee': '0.0002', 'destination': DEST[0], 'now': t + 3600})
    ev.append({'kind': 'requestWithdrawal', 'withdrawalId': 'w3', 'clientId': 'carol', 'asset': 'ETH', 'amount': '1.5', 'networkFee': '0.000042', 'destination': DEST[1], 'now': t + 3600})
    ev.append({'kind': 'approve', 'withdrawalId': 'w1', 'approver': 0, 'seq': 1, 'issuedAt': t + 3600, 'expiresAt': t + 3700, 'now': t + 3600})
    ev.append({'kind': 'approve', 'withdrawalId': 'w1', 'approver': 0, 'seq': 2, 'issuedAt': t + 3600, 'expiresAt': t + 4000, 'now': t + 3600})
    ev.append({'kind': 'approve', 'withdrawalId': 'w1', 'approver': 1, 'seq': 1, 'issuedAt': t + 3600, 'expiresAt': t + 4000, 'now': t + 3600, 'otherTerms': True})
    ev.append({'kind': 'approve', 'withdrawalId': 'w1', 'approver': 1, 'seq': 2, 'issuedAt': t + 3000, 'expiresAt': t + 3500, 'now': t + 3600})
    ev.append({'kind': 'sign', 'withdrawalId': 'w1', 'now': t + 3650})
    ev.append({'kind': 'approve', 'withdrawalId': 'w1', 'approver': 2, 'seq': 1, 'issuedAt': t + 3600, 'expiresAt': t + 4000, 'now': t + 3650})
    ev.append({'kind': 'approve', 'withdrawalId': 'w1', 'approver': 2, 'seq': 1, 'issuedAt': t + 3600, 'expiresAt': t + 4000, 'now': t + 3650})
    ev.append({'kind': 'sign', 'withdrawalId': 'w1', 'now': t + 3700})
    ev.append({'kind': 'approve', 'withdrawalId': 'w1', 'approver': 0, 'seq': 3, 'issuedAt': t + 3700, 'expiresAt': t + 4000, 'now': t + 3700})
    ev.append({'kind': 'sign', 'withdrawalId': 'w1', 'now': t + 3700})
    ev.append({'kind': 'sign', 'withdrawalId': 'w1', 'now': t + 3700})
    ev.append({'kind': 'cancelWithdrawal', 'withdrawalId': 'w1', 'now': t + 3700})
    ev.append({'kind': 'confirmWithdrawal', 'withdrawalId': 'w3', 'now': t + 3700})
    ev.append({'kind': 'confirmWithdrawal', 'withdrawalId': 'w1', 'now': t + 3800})
    ev.append({'kind': 'cancelWithdrawal', 'withdrawalId': 'w3', 'now': t + 3800})
    ev.append({'kind': 'observeOmnibus', 'asset': 'BTC', 'balance': '0.89968', 'now': t + 3800})
    ev.append({'kind': 'observeOmnibus', 'asset': 'ETH', 'balance': '2', 'now': t + 3800})
    return ev


def random_scenario(seed, count):
    r = Lcg(seed)
    t = T0
    ev = [{'kind': 'registerClient', 'clientId': c, 'address': ADDR[c], 'now': t} for c in CLIENTS]
    ev += [{'kind': 'addDestination', 'clientId': c, 'address': DEST[i % 2], 'now': t} for i, c in enumerate(CLIENTS)]
    ev += [{'kind': 'addDestination', 'clientId': c, 'address': DEST[1], 'now': t} for c in CLIENTS[:2]]
    assets = ['BTC', 'USDC']
    wids = []
    for n in range(count):
        t += r.next(900)
        a = assets[r.next(2)]
        c = CLIENTS[r.next(3)]
        # Up to 0.5 BTC or 100 USDC: USDC deposits add up to its sweep threshold of 50 too.
        small = lambda: text(1 + r.next(5 * 10**7 if a == 'BTC' else 100 * 10**6), a)
        pick = r.next(100)
        if pick < 25:
            ev.append({'kind': 'observeDeposit', 'depositId': 'd%d' % r.next(40), 'address': ADDR[c], 'asset': a, 'amount': small(), 'confirmations': r.next(5), 'now': t})
        elif pick < 40:
            ev.append({'kind': 'sweep', 'sweepId': 's%d' % n, 'clientId': c, 'asset': a, 'networkFee': text(r.next(20000), a), 'now': t})
        elif pick < 55:
            ev.append({'kind': 'transfer', 'transferId': 't%d' % r.next(200), 'fromClientId': c, 'toClientId': CLIENTS[r.next(3)], 'asset': a, 'amount': small(), 'now': t})
        elif pick < 65:
            ev.append({'kind': 'trade', 'tradeId': 'x%d' % n, 'buyerId': c, 'sellerId': CLIENTS[r.next(3)], 'baseAsset': 'BTC', 'baseAmount': text(1 + r.next(10**7), 'BTC'), 'quoteAsset': 'USDC', 'quoteAmount': text(1 + r.next(10**8), 'USDC'), 'fee': text(r.next(10**6), 'USDC'), 'now': t})
        elif pick < 75:
            w = 'w%d' % n
            wids.append(w)
            ev.append({'kind': 'requestWithdrawal', 'withdrawalId': w, 'clientId': c, 'asset': a, 'amount': small(), 'networkFee': text(r.next(1000), a), 'destination': DEST[r.next(2)], 'now': t + COOLING})
        elif pick < 85 and wids:
            ev.append({'kind': 'approve', 'withdrawalId': wids[r.next(len(wids))], 'approver': r.next(APPROVERS), 'seq': n, 'issuedAt': t + COOLING, 'expiresAt': t + COOLING + 1 + r.next(1800), 'now': t + COOLING})
        elif pick < 90 and wids:
            ev.append({'kind': 'sign', 'withdrawalId': wids[r.next(len(wids))], 'now': t + COOLING})
        elif pick < 94 and wids:
            ev.append({'kind': ['confirmWithdrawal', 'cancelWithdrawal'][r.next(2)], 'withdrawalId': wids[r.next(len(wids))], 'now': t + COOLING})
        elif pick < 97:
            ev.append({'kind': 'observeOmnibus', 'asset': a, 'balance': text(r.next(10**(SCALE[a] + 1)), a), 'now': t})
        else:
            ev.append({'kind': 'observeWallet', 'clientId': c, 'asset': a, 'balance': text(r.next(3) * 10**(SCALE[a] - 1), a), 'now': t})
    return ev


def main():
    cfg = config()
    keys = {
        'description': 'Transfer wallets m/44\'/60\'/0\'/0/i from each seed: the secret key, the compressed public key and the EIP-55 address (the model reproduces BIP-32 test vectors 1-3 when hashlib has RIPEMD-160)',
        'wallets': [],
    }
    for seed in [SEED, bytes.fromhex('000102030405060708090a0b0c0d0e0f'), hashlib.sha512(b'custody').digest()]:
        for index in [0, 1, 2, 7, 1000, 2**31 - 1]:
            k, point = wallet(seed, index)
            keys['wallets'].append({'seed': seed.hex(), 'index': index, 'path': "m/44'/60'/0'/0/%d" % index,
                                    'secretKey': k.to_bytes(32, 'big').hex(), 'publicKey': compressed(point).hex(),
                                    'address': address(point)})
    signatures = {'description': 'Withdrawal digests (what approvers sign) and both legs\' transaction digests with their secp256k1 RFC 6979 low-S signatures (omnibus key for leg 1, the client\'s transfer-wallet key for leg 2)',
                  'omnibusSecretKey': OMNIBUS_SECRET.to_bytes(32, 'big').hex(), 'cases': []}
    r = Lcg(8)
    for i in range(24):
        client = CLIENTS[i % 3]
        asset = ['BTC', 'USDC', 'ETH'][r.next(3)]
        amount = 1 + r.next(10**(SCALE[asset] + 2)) * (10**6 if asset == 'ETH' else 1)
        fee = r.next(10**(SCALE[asset] - 2))
        dest = bytes.fromhex(DEST[i % 2][2:])
        wid = 'w-%d' % i
        k, point = wallet(SEED, i % 3)
        wallet_addr = bytes.fromhex(address(point)[2:])
        omni = bytes.fromhex(cfg['omnibusAddress'][2:])
        d1 = transaction_digest(wid, 1, omni, wallet_addr, asset, amount)
        d2 = transaction_digest(wid, 2, wallet_addr, dest, asset, amount)
        signatures['cases'].append({
            'withdrawalId': wid, 'clientId': client, 'clientIndex': i % 3, 'asset': asset, 'amountMinorUnits': str(amount),
            'networkFeeMinorUnits': str(fee), 'destination': DEST[i % 2],
            'withdrawalDigest': withdrawal_digest(wid, client, asset, amount, fee, dest).hex(),
            'digests': [d1.hex(), d2.hex()],
            'signatures': [sign(OMNIBUS_SECRET, d1).hex(), sign(k, d2).hex()],
        })
    flows = {'description': 'Scenarios through the book: each step an event (as Book.apply takes it; the pseudo-events "approve" (approver i seals an Ed25519 approval with seq, issuedAt, expiresAt; otherTerms: over another digest) and "sign" (Book.signWithdrawal with the omnibus and wallet keys) are made by the test), the expected code, limitId, clientIndex, approvals, repeated, ledgerCode and discrepancies; the balances and omnibus expectation at the end',
             'seed': SEED.hex(), 'config': cfg,
             'scenarios': [run('a day', day())] + [run('random %d' % s, random_scenario(s, 120)) for s in range(1, 9)]}
    for name, doc in [('keys.json', keys), ('signatures.json', signatures), ('flows.json', flows)]:
        with open(os.path.join(OUT, name), 'w') as f:
            json.dump(doc, f, indent=1)
            f.write('\n')
    print('custody vectors:', len(keys['wallets']), 'wallets,', len(signatures['cases']), 'signatures,',
          sum(len(s['steps']) for s in flows['scenarios']), 'flow steps; BIP-32 vectors checked:', HAVE_RIPEMD)


main()
