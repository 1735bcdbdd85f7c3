//! Pricing a call from a trunk's rate table: the row of the longest prefix the number starts
//! with; an answered call costs the connection fee and the price per minute of the seconds
//! billed (the first increment at least, then whole steps of the next); an unanswered call
//! costs nothing. Amounts are whole ten-thousandths of the currency, rounded half up.

use crate::CrmError;
pub use store::entities::trunk_rate::{Model as Rate, RateDirection};

/// Ten-thousandths in one unit of currency.
pub const UNIT: i64 = 10_000;

/// What a call costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub billed_seconds: i64,
    pub cost: i64,
}

/// The rate of `digits` among `rates` (of one trunk and direction): the longest prefix.
pub fn rate_for<'a>(rates: &'a [Rate], digits: &str) -> Option<&'a Rate> {
    rates.iter().filter(|r| digits.starts_with(r.prefix.as_str())).max_by_key(|r| r.prefix.len())
}

/// The price of `seconds` talked at `rate` (None: no row covers the number).
pub fn price(rate: Option<&Rate>, seconds: i64) -> Option<Priced> {
    let r = rate?;
    if seconds <= 0 {
        return Some(Priced { billed_seconds: 0, cost: 0 });
    }
    let first = i64::from(r.first_seconds.max(1));
    let step = i64::from(r.increment_seconds.max(1));
    let billed = if seconds <= first { first } else { first + (seconds - first + step - 1) / step * step };
    let minutes = (r.per_minute * billed * 2 + 60) / 120;
    Some(Priced { billed_seconds: billed, cost: r.connect_fee + minutes })
}

/// An amount typed by a manager ("0.12", "0,12", "1") in ten-thousandths; at most four
/// decimals, never negative.
pub fn parse_amount(typed: &str, field: &'static str) -> Result<i64, CrmError> {
    let t = typed.trim().replace(',', ".");
    let bad = || CrmError::invalid(field, "err-amount");
    if t.is_empty() {
        return Ok(0);
    }
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty()
        || whole.len() > 9
        || frac.len() > 4
        || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let frac: i64 = format!("{frac:0<4}").parse().map_err(|_| bad())?;
    Ok(whole * UNIT + frac)
}

/// An amount in ten-thousandths as text with `decimals` decimals (2 for money, 4 for rates).
pub fn show_amount(amount: i64, decimals: usize) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let a = amount.unsigned_abs();
    let scale = 10u64.pow(4 - decimals as u32);
    let rounded = (a + scale / 2) / scale;
    let unit = 10u64.pow(decimals as u32);
    if decimals == 0 {
        return format!("{sign}{rounded}");
    }
    format!("{sign}{}.{:0width$}", rounded / unit, rounded % unit, width = decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(prefix: &str, per_minute: i64, first: i32, step: i32, fee: i64) -> Rate {
        Rate {
            id: 0,
            org_id: 1,
            trunk_id: 1,
            direction: RateDirection::Outbound,
            prefix: prefix.into(),
            per_minute,
            first_seconds: first,
            increment_seconds: step,
            connect_fee: fee,
        }
    }

    #[test]
    fn the_longest_prefix_prices_the_call() {
        let rates = [rate("", 5000, 60, 60, 0), rate("48", 1000, 1, 1, 0), rate("48600", 2500, 30, 6, 500)];
        assert_eq!(rate_for(&rates, "48221234567").unwrap().prefix, "48");
        assert_eq!(rate_for(&rates, "48600100001").unwrap().prefix, "48600");
        assert_eq!(rate_for(&rates, "4412345").unwrap().prefix, "");
        assert!(rate_for(&rates[1..], "4412345").is_none(), "no row for the number");
        // 0.25 a minute, 30/6, fee 0.05: 31 s bill 36 s = 0.15 + 0.05.
        let p = price(rate_for(&rates, "48600100001"), 31).unwrap();
        assert_eq!(p, Priced { billed_seconds: 36, cost: 1500 + 500 });
        // 60/60: 61 s bill two minutes.
        assert_eq!(price(rate_for(&rates, "4412345"), 61).unwrap(), Priced { billed_seconds: 120, cost: 10000 });
        // Per second: 0.10 a minute, 7 s = 0.011666… → 0.0117.
        assert_eq!(price(rate_for(&rates, "48221234567"), 7).unwrap().cost, 117);
        // Unanswered: nothing, not even the fee.
        assert_eq!(price(rate_for(&rates, "48600100001"), 0).unwrap().cost, 0);
    }

    #[test]
    fn amounts_are_read_and_shown_in_ten_thousandths() {
        assert_eq!(parse_amount("0.12", "x").unwrap(), 1200);
        assert_eq!(parse_amount("0,1234", "x").unwrap(), 1234);
        assert_eq!(parse_amount("3", "x").unwrap(), 30000);
        assert_eq!(parse_amount(".5", "x").unwrap(), 5000);
        assert_eq!(parse_amount("", "x").unwrap(), 0);
        for bad in ["-1", "0.12345", "abc", "1.2.3", "."] {
            assert!(parse_amount(bad, "x").is_err(), "{bad}");
        }
        assert_eq!(show_amount(1234, 4), "0.1234");
        assert_eq!(show_amount(1250, 2), "0.13");
        assert_eq!(show_amount(2_000_000, 2), "200.00");
    }
}
