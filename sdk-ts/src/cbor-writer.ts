/**
 * The SDK's one CBOR writer: a growing byte buffer of items with shortest heads and definite
 * lengths, the encoding the core's decoders accept (`core/src/limits/cbor.rs`). Used by the
 * ledger's batch wire (`ledger-wire.ts`, which reuses one writer across calls) and the custody
 * book's configuration (`custody-config.ts`).
 * @internal
 */

const TWO_POW_32 = 0x1_0000_0000;
/** CBOR's major types (the high three bits of an item's first byte) and one-byte items. */
export const MAJOR_UNSIGNED = 0;
export const MAJOR_NEGATIVE = 1;
export const MAJOR_BYTES = 2;
export const MAJOR_TEXT = 3;
export const MAJOR_ARRAY = 4;
export const MAJOR_MAP = 5;
export const CBOR_FALSE = 0xf4;
export const CBOR_TRUE = 0xf5;
export const CBOR_NULL = 0xf6;

const encoder = new TextEncoder();

export class CborWriter {
  bytes: Uint8Array;
  length = 0;

  /** `initialBytes`: the buffer's first size (it doubles as needed). */
  constructor(initialBytes = 1024) {
    this.bytes = new Uint8Array(initialBytes);
  }

  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** A major type's header with argument `n` (a non-negative safe integer), shortest form. */
  head(major: number, n: number): this {
    this.reserve(9);
    const b = this.bytes;
    const m = major << 5;
    if (n < 24) {
      b[this.length++] = m | n;
    } else if (n < 0x100) {
      b[this.length++] = m | 24;
      b[this.length++] = n;
    } else if (n < 0x1_0000) {
      b[this.length++] = m | 25;
      b[this.length++] = n >>> 8;
      b[this.length++] = n & 0xff;
    } else if (n < TWO_POW_32) {
      b[this.length++] = m | 26;
      this.u32(n);
    } else {
      b[this.length++] = m | 27;
      this.u32(Math.floor(n / TWO_POW_32));
      this.u32(n >>> 0);
    }
    return this;
  }

  private u32(n: number): void {
    const b = this.bytes;
    b[this.length++] = n >>> 24;
    b[this.length++] = (n >>> 16) & 0xff;
    b[this.length++] = (n >>> 8) & 0xff;
    b[this.length++] = n & 0xff;
  }

  /** A non-negative safe integer. */
  uint(n: number): this {
    return this.head(MAJOR_UNSIGNED, n);
  }

  /** A safe integer (`-0` is 0). */
  integer(n: number): this {
    return n < 0 ? this.head(MAJOR_NEGATIVE, -1 - n) : this.head(MAJOR_UNSIGNED, n);
  }

  /** A well-formed string (the boundary refused lone surrogates) as a CBOR text string. */
  text(s: string): this {
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.head(MAJOR_TEXT, n);
      this.reserve(n);
      const b = this.bytes;
      let at = this.length;
      for (let i = 0; i < n; i++) b[at++] = s.charCodeAt(i);
      this.length = at;
      return this;
    }
    return this.raw(MAJOR_TEXT, encoder.encode(s));
  }

  byteString(value: Uint8Array): this {
    return this.raw(MAJOR_BYTES, value);
  }

  bool(value: boolean): this {
    return this.simple(value ? CBOR_TRUE : CBOR_FALSE);
  }

  /** A one-byte item (false, true, null). */
  simple(byte: number): this {
    this.reserve(1);
    this.bytes[this.length++] = byte;
    return this;
  }

  array(n: number): this {
    return this.head(MAJOR_ARRAY, n);
  }

  map(n: number): this {
    return this.head(MAJOR_MAP, n);
  }

  private raw(major: number, payload: Uint8Array): this {
    this.head(major, payload.length);
    this.reserve(payload.length);
    this.bytes.set(payload, this.length);
    this.length += payload.length;
    return this;
  }

  /** A copy of what was written. */
  done(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}
