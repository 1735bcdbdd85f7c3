//! A report as a table to download: CSV (UTF-8 with a byte-order mark, so spreadsheet programs
//! read Polish and Hebrew right) or XLSX (numbers stay numbers). A text cell that a spreadsheet
//! would run as a formula (starting with = + - @, or a tab or carriage return) is written with
//! a leading apostrophe, and every text cell of a CSV is quoted: a spreadsheet that splits on
//! `;` or a tab (as Polish and Hebrew settings do) still sees `Ann;=1+1` as one cell.

use crate::CrmError;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Cell {
        Cell::Number(f64::from(n))
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Number(n as f64)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}

/// Text as it is safe to put in a spreadsheet cell.
pub fn neutralised(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn to_csv(&self) -> Result<Vec<u8>, CrmError> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::NonNumeric).from_writer(&mut out);
            w.write_record(self.headers.iter().map(|h| neutralised(h))).map_err(|e| CrmError::Export(e.to_string()))?;
            for r in &self.rows {
                let cells = r.iter().map(|c| match c {
                    Cell::Text(s) => neutralised(s),
                    Cell::Number(n) => n.to_string(),
                    Cell::Empty => String::new(),
                });
                w.write_record(cells).map_err(|e| CrmError::Export(e.to_string()))?;
            }
            w.flush().map_err(|e| CrmError::Export(e.to_string()))?;
        }
        Ok(out)
    }

    /// The CSV in `encoding` (UTF-8 with its byte-order mark; another, e.g. windows-1250 for
    /// Polish or windows-1255 for Hebrew spreadsheets, without one; a character that encoding
    /// lacks is written as a numeric reference).
    pub fn to_csv_in(&self, encoding: &'static encoding_rs::Encoding) -> Result<Vec<u8>, CrmError> {
        let utf8 = self.to_csv()?;
        if encoding == encoding_rs::UTF_8 {
            return Ok(utf8);
        }
        let text = String::from_utf8_lossy(&utf8[3..]).into_owned();
        Ok(encoding.encode(&text).0.into_owned())
    }

    /// The CSV in the encoding named (`utf-8`, `windows-1250`, `iso-8859-2`, `windows-1255`,
    /// `iso-8859-8`; UTF-8 for any other), and the encoding's name for the Content-Type.
    pub fn to_csv_named(&self, label: &str) -> Result<(Vec<u8>, &'static str), CrmError> {
        const OFFERED: [&str; 5] = ["utf-8", "windows-1250", "iso-8859-2", "windows-1255", "iso-8859-8"];
        let encoding = OFFERED
            .iter()
            .find(|o| o.eq_ignore_ascii_case(label.trim()))
            .and_then(|o| encoding_rs::Encoding::for_label(o.as_bytes()))
            .unwrap_or(encoding_rs::UTF_8);
        Ok((self.to_csv_in(encoding)?, encoding.name()))
    }

    pub fn to_xlsx(&self) -> Result<Vec<u8>, CrmError> {
        let bad = |e: rust_xlsxwriter::XlsxError| CrmError::Export(e.to_string());
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let name: String = self.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        if !name.is_empty() {
            sheet.set_name(name).map_err(bad)?;
        }
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, h) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, neutralised(h), &bold).map_err(bad)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, neutralised(s)).map(|_| ()),
                    Cell::Number(n) => sheet.write_number(r, c, *n).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(bad)?;
            }
        }
        book.save_to_buffer().map_err(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        let t = Table {
            title: "Kolejki".into(),
            headers: vec!["Kolejka".into(), "Odebrane".into()],
            rows: vec![vec!["=HYPERLINK(\"x\")".into(), 3u32.into()], vec!["Sprzedaż".into(), Cell::Empty]],
        };
        let csv = String::from_utf8(t.to_csv().unwrap()).unwrap();
        assert_eq!(csv, "\u{feff}\"Kolejka\",\"Odebrane\"\n\"'=HYPERLINK(\"\"x\"\")\",3\n\"Sprzedaż\",\"\"\n");
        let x = t.to_xlsx().unwrap();
        assert_eq!(&x[..2], b"PK", "an XLSX is a zip");
    }

    /// A name that hides a formula behind a separator other than the comma: read back with
    /// `;`, `,` or a tab as the separator, no cell starts a formula.
    #[test]
    fn a_formula_after_any_separator_stays_inside_its_cell() {
        let t = Table {
            title: "x".into(),
            headers: vec!["Name".into(), "Calls".into()],
            rows: vec![vec!["Ann;=1+1".into(), 2u32.into()], vec!["Bob\t=2+2,@SUM(A1)".into(), 1u32.into()]],
        };
        let csv = t.to_csv().unwrap();
        for sep in [b';', b',', b'\t'] {
            let mut r =
                csv::ReaderBuilder::new().delimiter(sep).flexible(true).has_headers(false).from_reader(&csv[3..]);
            for rec in r.records() {
                for cell in rec.unwrap().iter() {
                    assert!(
                        !cell.starts_with(['=', '+', '-', '@']),
                        "{:?} splits into a formula: {cell:?}",
                        sep as char
                    );
                }
            }
        }
        let text = String::from_utf8(csv).unwrap();
        assert!(text.contains("\"Ann;=1+1\",2"), "{text}");
    }
}
