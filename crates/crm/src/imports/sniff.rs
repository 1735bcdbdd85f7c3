//! Guessing how a CSV file is written: its encoding (UTF-8, Windows-1250, Windows-1255,
//! ISO-8859-2), its separator (comma, semicolon, tab, pipe) and whether its first row is a
//! header — from the first 64 KiB. The user may change every guess.

use encoding_rs::Encoding;

pub const ENCODINGS: [&str; 4] = ["utf-8", "windows-1250", "windows-1255", "iso-8859-2"];
pub const SEPARATORS: [(&str, u8); 4] = [(",", b','), (";", b';'), ("tab", b'\t'), ("|", b'|')];

pub fn encoding(name: &str) -> Option<&'static Encoding> {
    ENCODINGS.contains(&name).then(|| Encoding::for_label(name.as_bytes())).flatten()
}

pub fn separator(name: &str) -> Option<u8> {
    SEPARATORS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// The most likely of `ENCODINGS` for `sample`.
pub fn guess_encoding(sample: &[u8]) -> &'static str {
    let sample = sample.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(sample);
    // Valid UTF-8 (a character cut at the end of the sample does not count against it).
    match std::str::from_utf8(sample) {
        Ok(_) => return "utf-8",
        Err(e) if e.error_len().is_none() => return "utf-8",
        Err(_) => {}
    }
    let score = |name: &str| -> i64 {
        let Some(enc) = encoding(name) else { return i64::MIN };
        let (text, _, _) = enc.decode(sample);
        let mut s = 0i64;
        for c in text.chars() {
            match c {
                'ą' | 'ć' | 'ę' | 'ł' | 'ń' | 'ó' | 'ś' | 'ź' | 'ż' | 'Ą' | 'Ć' | 'Ę' | 'Ł' | 'Ń' | 'Ó' | 'Ś' | 'Ź'
                | 'Ż' => s += 3,
                '\u{05D0}'..='\u{05EA}' => s += 2,
                '\u{0080}'..='\u{009F}' | '\u{FFFD}' => s -= 5,
                c if !c.is_ascii() && !c.is_alphabetic() => s -= 1,
                _ => {}
            }
        }
        s
    };
    ENCODINGS[1..].iter().copied().max_by_key(|n| score(n)).unwrap_or("windows-1250")
}

/// The separator that splits the first lines into the same number of columns most often.
pub fn guess_separator(text: &str) -> &'static str {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(30).collect();
    let mut best = (",", 0usize, 0usize);
    for (name, b) in SEPARATORS {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, b as char)).collect();
        let mut freq = std::collections::HashMap::new();
        for c in counts.iter().filter(|c| **c > 0) {
            *freq.entry(*c).or_insert(0usize) += 1;
        }
        let Some((mode, agree)) = freq.into_iter().max_by_key(|(c, n)| (*n, *c)) else { continue };
        if (agree, mode) > (best.1, best.2) {
            best = (name, agree, mode);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, sep: char) -> usize {
    let mut quoted = false;
    line.chars()
        .filter(|c| {
            if *c == '"' {
                quoted = !quoted;
            }
            !quoted && *c == sep
        })
        .count()
}

/// The contact field a header cell names, if any (English, Polish, Hebrew).
pub fn field_of_header(cell: &str) -> Option<&'static str> {
    let h = cell.trim().to_lowercase().replace(['_', '-', ' ', '.'], "");
    let f = match h.as_str() {
        "firstname" | "first" | "name" | "imię" | "imie" | "שםפרטי" | "שם" => "first_name",
        "lastname" | "last" | "surname" | "nazwisko" | "שםמשפחה" => "last_name",
        "company" | "firma" | "organization" | "organisation" | "חברה" => "company",
        "phone" | "phone1" | "telephone" | "tel" | "telefon" | "telefon1" | "mobile" | "komórka" | "טלפון" | "נייד" => {
            "phone1"
        }
        "phone2" | "telefon2" | "tel2" | "טלפון2" => "phone2",
        "email" | "mail" | "emailaddress" | "adresemail" | "דואל" | "אימייל" => "email",
        "notes" | "note" | "uwagi" | "notatki" | "הערות" => "notes",
        _ => return None,
    };
    Some(f)
}

/// The field of a call list's number a header cell names, if any (English, Polish, Hebrew).
pub fn number_field_of_header(cell: &str) -> Option<&'static str> {
    let h = cell.trim().to_lowercase().replace(['_', '-', ' ', '.'], "");
    let f = match h.as_str() {
        "number" | "phone" | "phonenumber" | "telephone" | "tel" | "mobile" | "numer" | "numertelefonu" | "telefon"
        | "komórka" | "מספר" | "טלפון" | "נייד" => "number",
        "name" | "fullname" | "customer" | "nazwa" | "imię" | "imie" | "imięinazwisko" | "klient" | "שם" | "לקוח" => {
            "name"
        }
        "category" | "kategoria" | "grupa" | "group" | "קטגוריה" => "category",
        "agent" | "konsultant" | "extension" | "ext" | "wewnętrzny" | "kontosip" | "נציג" | "שלוחה" => {
            "agent"
        }
        "consent" | "zgoda" | "הסכמה" => "consent",
        _ => return None,
    };
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_and_separators_are_recognized() {
        let pl = "Imię;Nazwisko\nŁucja;Żółć\nZbigniew;Gęślą\n";
        assert_eq!(guess_encoding(pl.as_bytes()), "utf-8");
        let (cp1250, _, _) = encoding_rs::WINDOWS_1250.encode(pl);
        assert_eq!(guess_encoding(&cp1250), "windows-1250");
        let (latin2, _, _) = encoding("iso-8859-2").unwrap().encode("Imię;Nazwisko\nŚwiątek;Źdźbło\nŁąka;Ąś\n");
        assert_eq!(guess_encoding(&latin2), "iso-8859-2");
        let (he, _, _) = encoding_rs::WINDOWS_1255.encode("שם,טלפון\nיעל כהן,0521234567\n");
        assert_eq!(guess_encoding(&he), "windows-1255");
        assert_eq!(guess_separator(pl), ";");
        assert_eq!(guess_separator("a,b,c\n1,2,3\n\"x,y\",2,3\n"), ",");
        assert_eq!(guess_separator("a\tb\n1\t2\n"), "tab");
        assert_eq!(guess_separator("a|b|c\n1|2|3\n"), "|");
        assert_eq!(field_of_header("E-mail"), Some("email"));
        assert_eq!(field_of_header("Nazwisko"), Some("last_name"));
        assert_eq!(number_field_of_header("Numer telefonu"), Some("number"));
        assert_eq!(number_field_of_header("Kategoria"), Some("category"));
        assert_eq!(number_field_of_header("Konto SIP"), Some("agent"));
    }
}
