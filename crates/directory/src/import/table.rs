//! Reading a government CSV as a table of named columns.
//!
//! Every national and municipal format is a header row followed by data
//! rows. Columns are found by name (with the spelling variants seen in the
//! wild), so reordered or extra columns do not matter. Rows are handed to
//! the caller with the line they start on, as an editor shows it.

use std::collections::HashMap;

use renkei_domain::text::nfkc;

use super::decode::{decode, SourceEncoding};
use super::Reject;

/// A column the reader looks for: a key and the header spellings.
pub type Column = (&'static str, &'static [&'static str]);

/// One data row with its columns looked up by key.
pub struct Row<'a> {
    record: &'a csv::StringRecord,
    index: &'a HashMap<&'static str, usize>,
    header: &'a [String],
    pub line: u64,
}

impl Row<'_> {
    /// The trimmed text of a column, empty when the file has no such column.
    pub fn get(&self, key: &str) -> String {
        self.index
            .get(key)
            .and_then(|i| self.record.get(*i))
            .map(clean)
            .unwrap_or_default()
    }

    /// Whether the row reaches this column (a truncated last line does not).
    pub fn present(&self, key: &str) -> bool {
        self.index.get(key).is_some_and(|i| *i < self.record.len())
    }

    /// The first header column the row does not reach, when it is shorter
    /// than the header (a truncated line).
    pub fn missing_from(&self) -> Option<&str> {
        self.header.get(self.record.len()).map(String::as_str)
    }

    /// Whether the file has the column at all.
    pub fn has_column(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }
}

/// What reading a file gave besides its rows.
#[derive(Debug, Default)]
pub struct TableOutcome {
    pub encoding: Option<SourceEncoding>,
    /// Rows the reader itself could not use (unreadable, missing header).
    pub rejects: Vec<Reject>,
    /// Data rows handed to the caller.
    pub rows: usize,
    /// Whether the header was usable (all required columns present).
    pub header_ok: bool,
}

pub fn reject(file: &str, line: u64, column: &str, reason: String) -> Reject {
    Reject {
        file: file.to_string(),
        line,
        column: column.to_string(),
        reason,
    }
}

/// Reads `bytes` and calls `on_row` for every non-blank data row.
pub fn read_table(
    file_name: &str,
    bytes: &[u8],
    columns: &[Column],
    required: &[&str],
    mut on_row: impl FnMut(&Row<'_>),
) -> TableOutcome {
    let mut out = TableOutcome::default();
    let (text, encoding) = decode(bytes);
    out.encoding = Some(encoding);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    // Line numbers as an editor shows them: a row starts at the first byte
    // after the previous row that is not a line break (csv's own positions
    // drift with CR LF endings and blank lines).
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let bytes_of_text = text.as_bytes();
    let line_at = |from: u64| -> u64 {
        let mut i = from as usize;
        while i < bytes_of_text.len() && (bytes_of_text[i] == b'\n' || bytes_of_text[i] == b'\r') {
            i += 1;
        }
        newlines.partition_point(|&n| n < i) as u64 + 1
    };
    let mut record = csv::StringRecord::new();
    let mut previous_end = 0u64;
    // The next record and the line it starts on; `None` at the end.
    let mut next_record = |record: &mut csv::StringRecord| -> Option<Result<u64, (u64, String)>> {
        let start = line_at(previous_end);
        let result = reader.read_record(record);
        previous_end = reader.position().byte();
        match result {
            Ok(false) => None,
            Ok(true) => Some(Ok(start)),
            Err(e) => Some(Err((start, e.to_string()))),
        }
    };
    let header = loop {
        match next_record(&mut record) {
            None => {
                out.rejects
                    .push(reject(file_name, 1, "", "the file is empty".into()));
                return out;
            }
            Some(Err((line, e))) => {
                out.rejects.push(reject(
                    file_name,
                    line,
                    "",
                    format!("unreadable header: {e}"),
                ));
                return out;
            }
            Some(Ok(_)) if record.iter().all(|f| clean(f).is_empty()) => continue,
            Some(Ok(_)) => break record.clone(),
        }
    };
    let names: Vec<String> = header.iter().map(|h| nfkc(&clean(h))).collect();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (key, aliases) in columns {
        if let Some(i) = names
            .iter()
            .position(|n| aliases.iter().any(|a| nfkc(a) == *n))
        {
            index.insert(key, i);
        }
    }
    for required in required {
        if !index.contains_key(required) {
            let label = columns
                .iter()
                .find(|(k, _)| k == required)
                .map(|(_, a)| a[0])
                .unwrap_or(required);
            out.rejects.push(reject(
                file_name,
                1,
                label,
                format!("required column {label} is missing from the header"),
            ));
            return out;
        }
    }
    out.header_ok = true;
    while let Some(next) = next_record(&mut record) {
        let line = match next {
            Ok(line) => line,
            Err((line, e)) => {
                out.rejects
                    .push(reject(file_name, line, "", format!("unreadable row: {e}")));
                continue;
            }
        };
        if record.iter().all(|f| clean(f).is_empty()) {
            continue; // blank line
        }
        out.rows += 1;
        on_row(&Row {
            record: &record,
            index: &index,
            header: &names,
            line,
        });
    }
    out
}

pub fn clean(s: &str) -> String {
    s.trim().trim_matches('\u{feff}').trim().to_string()
}

/// The ASCII digits of a field after NFKC (full-width digits count).
pub fn digits_only(s: &str) -> String {
    nfkc(s).chars().filter(|c| c.is_ascii_digit()).collect()
}

fn coordinate(s: &str, range: std::ops::RangeInclusive<f64>) -> Result<Option<f64>, ()> {
    let s = nfkc(s);
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if range.contains(&v) => Ok(Some(v)),
        _ => Err(()),
    }
}

/// A map position inside Japan, or `None` with a warning when the pair is
/// missing, half-missing or elsewhere.
pub fn position(lat: &str, lon: &str, warn: impl FnOnce(String)) -> (Option<f64>, Option<f64>) {
    match (coordinate(lat, 20.0..=46.0), coordinate(lon, 122.0..=154.0)) {
        (Ok(la), Ok(lo)) if la.is_some() == lo.is_some() => (la, lo),
        _ => {
            warn(format!(
                "coordinates ({lat:?}, {lon:?}) are not a point in Japan; kept without a map position"
            ));
            (None, None)
        }
    }
}

/// Where a "URL" column's value belongs: government files put e-mail
/// addresses and phone numbers there too. A web address fills `url`; an
/// e-mail address or a phone number fills `email` or `phone` when they are
/// still empty. Anything else comes back as a warning text.
pub fn place_url(
    raw: &str,
    url: &mut String,
    email: &mut String,
    phone: &mut String,
) -> Option<String> {
    let value = nfkc(raw);
    if value.is_empty() {
        return None;
    }
    let slot = if value.starts_with("http://") || value.starts_with("https://") {
        Some(url)
    } else if value.contains('@') {
        Some(email).filter(|e| e.is_empty())
    } else if value.chars().filter(|c| c.is_ascii_digit()).count() >= 9 {
        Some(phone).filter(|p| p.is_empty())
    } else {
        None
    };
    match slot {
        Some(slot) => {
            *slot = value.trim_start_matches("mailto:").to_string();
            None
        }
        None => Some(format!(
            "{value:?} is not a web address, or is an e-mail address or phone number the row already has; ignored"
        )),
    }
}

/// A 6-digit local government code from a 5- or 6-digit field.
pub fn local_government_code(raw: &str) -> String {
    let code = digits_only(raw);
    match code.len() {
        6 => code,
        5 => renkei_domain::LocalGovernmentCode::parse(&code)
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// A positive count; 0 in government files means "not entered".
pub fn positive_count(raw: &str) -> Option<i64> {
    digits_only(raw).parse::<i64>().ok().filter(|n| *n > 0)
}
