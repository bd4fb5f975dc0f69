//! Money as text: the one writer of a canonical decimal string from integer minor units.
//!
//! Every amount a result carries is written here (`Amount`'s `Display`, the ledger's balances and
//! holds), so a ledger operation writes three to six of them. `format!` with a `u128` argument
//! went through the formatting machinery and a 128-bit division per digit (a library call in
//! wasm, where there is no 128-bit arithmetic): 10–15 % of a native ledger operation's
//! instructions. Here digits are written from the right into a stack buffer with 64-bit
//! division once the magnitude fits in 64 bits (every amount of a real currency does), and the
//! text stays on the stack ([`MinorUnitsText`]) unless a `String` is asked for.

/// Digits of the largest `u128` (340282366920938463463374607431768211455).
const U128_DIGITS_MAX: usize = 39;
/// Most digits written after the point with leading zeros (`0.000…01`): above every currency's
/// minor units and rust_decimal's 28; a larger scale is written by the slow path.
const SCALE_FAST_MAX: u32 = 38;

/// Longest text of the fast path: a sign, 39 digits (or `0.` and 38 fraction digits), a point.
const TEXT_BYTES_MAX: usize = 1 + U128_DIGITS_MAX + 1;

/// A canonical amount text on the stack (see [`minor_units_text`]): for writing it into an
/// encoding or a formatter without a heap allocation.
pub struct MinorUnitsText {
    /// The text is `bytes[start..]`, written from the right.
    bytes: [u8; TEXT_BYTES_MAX],
    start: usize,
    /// A scale above [`SCALE_FAST_MAX`] (no currency has one): the text is on the heap.
    slow: Option<String>,
}

impl MinorUnitsText {
    /// `units` minor units with `scale` digits after the point; see [`minor_units_text`].
    ///
    /// The digits are written once, from the right, straight into the text, the point among
    /// them (a first version wrote them into a second buffer, then copied them byte by byte
    /// with the padding worked out per byte: ~250 instructions for `50.00`, written four times
    /// in every hold's outcome and again in its journal entry).
    pub fn new(units: i128, scale: u32) -> MinorUnitsText {
        let mut text = MinorUnitsText { bytes: [0; TEXT_BYTES_MAX], start: TEXT_BYTES_MAX, slow: None };
        if scale > SCALE_FAST_MAX {
            text.slow = Some(minor_units_text_slow(units, scale));
            return text;
        }
        let scale = scale as usize;
        let mut written = 0;
        let mut rest = units.unsigned_abs();
        // 128-bit division only for the digits above 2^64 (at most 20 of them, never for a real
        // amount): once per digit of a 39-digit number at most.
        while rest > u128::from(u64::MAX) {
            text.digit((rest % 10) as u8, &mut written, scale);
            rest /= 10;
        }
        let mut small = rest as u64;
        // Until no digit is left and there is one before the point (`0.05` for 5 at scale 2):
        // at most max(20, scale + 1) ≤ 39 loops (SCALE_FAST_MAX).
        loop {
            text.digit((small % 10) as u8, &mut written, scale);
            small /= 10;
            if small == 0 && written > scale {
                break;
            }
        }
        if units < 0 {
            text.push_front(b'-');
        }
        text
    }

    /// Writes the next digit to the left (the point first when `scale` digits are written).
    fn digit(&mut self, digit: u8, written: &mut usize, scale: usize) {
        if *written == scale && scale > 0 {
            self.push_front(b'.');
        }
        self.push_front(b'0' + digit);
        *written += 1;
    }

    fn push_front(&mut self, byte: u8) {
        if let Some(at) = self.start.checked_sub(1) {
            if let Some(slot) = self.bytes.get_mut(at) {
                *slot = byte;
                self.start = at;
            }
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.slow {
            Some(text) => text,
            // Only ASCII digits, a point and a sign were written.
            None => core::str::from_utf8(self.bytes.get(self.start..).unwrap_or_default()).unwrap_or_default(),
        }
    }
}

/// `units` minor units with `scale` digits after the point, canonical: exactly `scale` fraction
/// digits (none and no point when `scale` is 0), at least one integer digit, `-` only for a
/// nonzero negative. `(-1230, 2)` → `"-12.30"`, `(5, 0)` → `"5"`, `(0, 3)` → `"0.000"`.
pub fn minor_units_text(units: i128, scale: u32) -> String {
    MinorUnitsText::new(units, scale).as_str().to_owned()
}

/// The same text through `format!`, for scales no currency has.
#[cold]
fn minor_units_text_slow(units: i128, scale: u32) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let width = scale as usize + 1;
    let digits = format!("{:0>width$}", units.unsigned_abs());
    let point = digits.len() - scale as usize;
    let (integer, fraction) = digits.split_at_checked(point).unwrap_or((&digits, ""));
    format!("{sign}{integer}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The formatter this one replaced (`format!`), as the oracle.
    fn oracle(units: i128, scale: u32) -> String {
        let sign = if units < 0 { "-" } else { "" };
        let magnitude = units.unsigned_abs();
        if scale == 0 {
            return format!("{sign}{magnitude}");
        }
        let divisor = 10u128.pow(scale);
        format!("{sign}{}.{:0width$}", magnitude / divisor, magnitude % divisor, width = scale as usize)
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(minor_units_text(0, 2), "0.00");
        assert_eq!(minor_units_text(-1230, 2), "-12.30");
        assert_eq!(minor_units_text(5, 0), "5");
        assert_eq!(minor_units_text(-5, 0), "-5");
        assert_eq!(minor_units_text(0, 0), "0");
        assert_eq!(minor_units_text(0, 3), "0.000");
        assert_eq!(minor_units_text(5, 2), "0.05");
        assert_eq!(minor_units_text(-1, 8), "-0.00000001");
        assert_eq!(minor_units_text(1, 18), "0.000000000000000001");
        assert_eq!(minor_units_text(i128::MIN, 2), "-1701411834604692317316873037158841057.28");
        assert_eq!(minor_units_text(i128::MAX, 0), "170141183460469231731687303715884105727");
        assert_eq!(minor_units_text(i128::MIN, 38), "-1.70141183460469231731687303715884105728");
        assert_eq!(minor_units_text(7, 40), "0.0000000000000000000000000000000000000007");
    }

    #[test]
    fn around_the_64_bit_boundary() {
        for units in [u64::MAX as i128 - 1, u64::MAX as i128, u64::MAX as i128 + 1, -(u64::MAX as i128) - 1] {
            for scale in [0, 2, 8, 19, 20, 21] {
                assert_eq!(minor_units_text(units, scale), oracle(units, scale), "{units} at {scale}");
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_with_format(units in any::<i128>(), scale in 0u32..=38) {
            prop_assert_eq!(minor_units_text(units, scale), oracle(units, scale));
        }

        #[test]
        fn agrees_with_format_for_amounts(units in -(1i128 << 70)..(1i128 << 70), scale in 0u32..=18) {
            prop_assert_eq!(minor_units_text(units, scale), oracle(units, scale));
        }
    }
}
