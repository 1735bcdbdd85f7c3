//! Phone numbers as typed, normalized to E.164 (digits, without the +) with the organization's
//! default country: `+48 600 111 222`, `0048600111222`, `600-111-222` (in PL) and
//! `0600111222` (a national trunk prefix) all become `48600111222`.

/// Calling codes and national number lengths of the countries we know; others keep what was
/// typed when it is already international.
const COUNTRIES: &[(&str, &str, &[usize])] = &[
    ("PL", "48", &[9]),
    ("IL", "972", &[8, 9]),
    ("US", "1", &[10]),
    ("CA", "1", &[10]),
    ("GB", "44", &[9, 10]),
    ("DE", "49", &[6, 7, 8, 9, 10, 11]),
    ("FR", "33", &[9]),
    ("CZ", "420", &[9]),
    ("SK", "421", &[9]),
    ("UA", "380", &[9]),
    ("LT", "370", &[8]),
    ("NL", "31", &[9]),
    ("ES", "34", &[9]),
    ("IT", "39", &[6, 7, 8, 9, 10, 11]),
];

/// The ISO 3166 codes of the countries we know.
pub fn countries() -> impl Iterator<Item = &'static str> {
    COUNTRIES.iter().map(|(c, _, _)| *c)
}

/// The calling code of an ISO 3166 country we know.
pub fn calling_code(country: &str) -> Option<&'static str> {
    COUNTRIES.iter().find(|(c, _, _)| c.eq_ignore_ascii_case(country)).map(|(_, code, _)| *code)
}

/// E.164 digits of a typed number, or None when it is no phone number (letters, too short or
/// too long). Spaces, dashes, dots, slashes and brackets are ignored.
pub fn normalize(typed: &str, country: &str) -> Option<String> {
    let t = typed.trim();
    if t.is_empty() || t.len() > 40 {
        return None;
    }
    let mut plus = false;
    let mut digits = String::with_capacity(t.len());
    for (i, c) in t.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    let e164 = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else {
        let Some((_, code, lens)) = COUNTRIES.iter().find(|(c, _, _)| c.eq_ignore_ascii_case(country)) else {
            return (8..=15).contains(&digits.len()).then_some(digits);
        };
        let national = digits.strip_prefix('0').filter(|n| lens.contains(&n.len())).unwrap_or(&digits);
        if lens.contains(&national.len()) {
            format!("{code}{national}")
        } else if digits.starts_with(code) && lens.contains(&(digits.len() - code.len())) {
            digits
        } else {
            return None;
        }
    };
    (8..=15).contains(&e164.len()).then_some(e164)
}

/// A number as people of an organization in `country` read it: a number of that country in
/// its national format (`22 987 65 43`, `052-123-4567`), another country's in the international
/// one (`+44 20 7946 0958`), an extension or a code (`101`, `*43`) as it is. Digits are read as
/// international (with or without the +) or as a national number of `country`, whichever is
/// valid (national first when they start with 0); one that is neither is shown as it came (`phonenumber`, Google's libphonenumber data).
pub fn display(number: &str, country: &str) -> String {
    use phonenumber::{Mode, country::Id};
    let n = number.trim();
    let digits = n.strip_prefix('+').unwrap_or(n);
    if digits.len() <= 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return n.to_string();
    }
    let home: Option<Id> = country.trim().to_ascii_uppercase().parse().ok();
    let shown = |p: &phonenumber::PhoneNumber| {
        let mode = if home.is_some() && p.country().id() == home { Mode::National } else { Mode::International };
        p.format().mode(mode).to_string()
    };
    let national = (!n.starts_with('+')).then(|| home.and_then(|h| phonenumber::parse(Some(h), digits).ok())).flatten();
    let international = phonenumber::parse(None, format!("+{digits}")).ok();
    // A valid number first, then one of the right length for its country (libphonenumber's
    // ranges lag behind the carriers' here and there). Digits from a carrier are E.164 without
    // the +: read internationally first, unless they start with a trunk prefix (0).
    let order = if digits.starts_with('0') { [&national, &international] } else { [&international, &national] };
    if let Some(p) = order.into_iter().flatten().find(|p| phonenumber::is_valid(p)) {
        return shown(p);
    }
    match (national, international) {
        (Some(p), _) if p.country().id() == home => shown(&p),
        (_, Some(p)) if p.country().id().is_some() => shown(&p),
        _ => n.to_string(),
    }
}

/// The country (ISO 3166) of an E.164 number, as libphonenumber's data places it ("" when no
/// country has it: the number cannot be placed in a time zone).
pub fn region(e164: &str) -> String {
    phonenumber::parse(None, format!("+{e164}"))
        .ok()
        .and_then(|p| p.country().id())
        .map(|id| id.as_ref().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn a_number_is_placed_in_its_country() {
        assert_eq!(super::region("48600100200"), "PL");
        assert_eq!(super::region("972521234567"), "IL");
        assert_eq!(super::region("12125550100"), "US");
        assert_eq!(super::region("14165550100"), "CA");
    }

    #[test]
    fn numbers_are_shown_as_the_organizations_people_read_them() {
        use super::display;
        for (n, country, shown) in [
            ("229876543", "PL", "22 987 65 43"),
            ("48229876543", "PL", "22 987 65 43"),
            ("+48600111222", "PL", "600 111 222"),
            ("442079460958", "PL", "+44 20 7946 0958"),
            ("972501234567", "IL", "050-123-4567"),
            ("48600111222", "IL", "+48 600 111 222"),
            ("101", "PL", "101"),
            ("*43", "PL", "*43"),
        ] {
            assert_eq!(display(n, country), shown, "{n} in {country}");
        }
    }

    #[test]
    fn typed_numbers_become_e164() {
        for typed in ["+48 600 111 222", "0048600111222", "600-111-222", "(600) 111 222", "48600111222"] {
            assert_eq!(normalize(typed, "PL").as_deref(), Some("48600111222"), "{typed}");
        }
        assert_eq!(normalize("052-123-4567", "IL").as_deref(), Some("972521234567"));
        assert_eq!(normalize("+972 52 123 4567", "PL").as_deref(), Some("972521234567"));
        assert_eq!(normalize("(212) 555-0100", "US").as_deref(), Some("12125550100"));
        for bad in ["", "call me", "12", "+1234567890123456", "600 111 22x"] {
            assert_eq!(normalize(bad, "PL"), None, "{bad}");
        }
    }
}
