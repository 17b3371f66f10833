//! Reading a government CSV as a table of named columns, as a stream.
//!
//! Every national and municipal format is a header row followed by data
//! rows. Columns are found by name (with the spelling variants seen in the
//! wild), so reordered or extra columns do not matter. Rows are handed out
//! one at a time with the line they start on, as an editor shows it.
//!
//! Memory is bounded whatever the input: a row keeps at most one column
//! more than the header, every kept field at most [`MAX_FIELD_CHARS`]
//! characters (longer ones are counted, not stored), and the header at most
//! [`MAX_COLUMNS`] columns. A row whose column count differs from the
//! header's, or with a field longer than its column allows, is rejected.

use std::collections::HashMap;
use std::io::Read;

use renkei_domain::text::nfkc;

use super::decode::{Decoder, SourceEncoding};
use super::Reject;

/// A column the reader looks for: a key and the header spellings.
pub type Column = (&'static str, &'static [&'static str]);

/// The most columns a header may have.
pub const MAX_COLUMNS: usize = 1_000;
/// The longest field any column accepts, in characters.
pub const MAX_FIELD_CHARS: usize = 4_096;
/// Header cells longer than this are no column name anyone looks for.
const MAX_HEADER_CELL_CHARS: usize = 256;

/// The longest value a column accepts, in characters. Names and contact
/// fields are short in every published file; free text gets
/// [`MAX_FIELD_CHARS`].
pub fn max_chars(key: &str) -> usize {
    match key {
        "code" | "office_number" | "id" | "medical_code" | "prefecture_code"
        | "municipality_code" | "corporate_number" | "lat" | "lon" | "capacity" | "beds"
        | "phone" | "fax" | "extension" | "start" | "end" => 64,
        "name" | "kana" | "medical_name" | "medical_kana" | "care_name" | "care_kana"
        | "corporate_name" | "prefecture" | "municipality" | "service" | "medical_kind" => 200,
        "address" | "building" => 500,
        "url" | "email" => 2_048,
        _ => MAX_FIELD_CHARS,
    }
}

/// One record as read, within the bounds the reader was given.
#[derive(Debug, Default)]
pub struct Record {
    fields: Vec<String>,
    /// Characters of each kept field, counted past the cap.
    chars: Vec<usize>,
    /// Kept fields in use.
    used: usize,
    /// All fields of the record, kept or not.
    count: usize,
    /// Whether any field holds more than white space.
    content: bool,
    keep: usize,
    cap: usize,
}

impl Record {
    fn start(&mut self, keep: usize, cap: usize) {
        self.used = 0;
        self.count = 0;
        self.content = false;
        self.keep = keep;
        self.cap = cap;
    }

    fn begin_field(&mut self) {
        self.count += 1;
        if self.used < self.keep {
            if self.used == self.fields.len() {
                self.fields.push(String::new());
                self.chars.push(0);
            }
            self.fields[self.used].clear();
            self.chars[self.used] = 0;
            self.used += 1;
        }
    }

    fn push(&mut self, c: char) {
        if !c.is_whitespace() && c != '\u{feff}' {
            self.content = true;
        }
        if self.count > self.used {
            return; // a field past the kept ones: counted only
        }
        let i = self.used - 1;
        if self.chars[i] < self.cap {
            self.fields[i].push(c);
        }
        self.chars[i] += 1;
    }

    /// The number of fields in the record.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// A kept field (at most the reader's cap of characters).
    pub fn get(&self, i: usize) -> Option<&str> {
        (i < self.used).then(|| self.fields[i].as_str())
    }

    /// The full length of a kept field in characters.
    pub fn chars(&self, i: usize) -> usize {
        if i < self.used {
            self.chars[i]
        } else {
            0
        }
    }

    /// Whether every field is empty or white space.
    pub fn is_blank(&self) -> bool {
        !self.content
    }
}

/// RFC 4180 records from a text stream: fields separated by commas, quoted
/// with double quotes (a doubled quote is a quote), records ended by CR LF,
/// LF or CR; blank lines are skipped. A quote inside an unquoted field is
/// text, text after a closing quote is appended, and a quote left open at
/// the end of the input ends the record, as the `csv` crate reads them.
pub struct CsvReader<R> {
    decoder: Decoder<R>,
    chunk: String,
    pos: usize,
    pushback: Option<char>,
    /// The line the next character is on (1 = the first).
    line: u64,
    prev_cr: bool,
}

impl<R: Read> CsvReader<R> {
    pub fn new(input: R, encoding: SourceEncoding) -> Self {
        CsvReader {
            decoder: Decoder::new(input, encoding),
            chunk: String::new(),
            pos: 0,
            pushback: None,
            line: 1,
            prev_cr: false,
        }
    }

    fn next_char(&mut self) -> std::io::Result<Option<char>> {
        if let Some(c) = self.pushback.take() {
            return Ok(Some(c));
        }
        loop {
            if let Some(c) = self.chunk.get(self.pos..).and_then(|s| s.chars().next()) {
                self.pos += c.len_utf8();
                // A line ends at LF, CR LF or a lone CR.
                match c {
                    '\r' => self.line += 1,
                    '\n' if !self.prev_cr => self.line += 1,
                    _ => {}
                }
                self.prev_cr = c == '\r';
                return Ok(Some(c));
            }
            // `next_chunk` replaces the chunk, also when it ends the input.
            self.pos = 0;
            if !self.decoder.next_chunk(&mut self.chunk)? {
                return Ok(None);
            }
        }
    }

    /// Reads the next record into `record`, keeping at most `keep` fields
    /// of at most `cap` characters. Returns the line the record starts on,
    /// or `None` at the end.
    pub fn read_record(
        &mut self,
        record: &mut Record,
        keep: usize,
        cap: usize,
    ) -> std::io::Result<Option<u64>> {
        record.start(keep, cap);
        let first = loop {
            match self.next_char()? {
                None => return Ok(None),
                Some('\r' | '\n') => continue,
                Some(c) => break c,
            }
        };
        let line = self.line;
        let mut c = Some(first);
        loop {
            record.begin_field();
            if c == Some('"') {
                loop {
                    match self.next_char()? {
                        None => return Ok(Some(line)),
                        Some('"') => match self.next_char()? {
                            Some('"') => record.push('"'),
                            other => {
                                c = other;
                                break;
                            }
                        },
                        Some(ch) => record.push(ch),
                    }
                }
            }
            loop {
                match c {
                    None | Some('\r' | '\n') => return Ok(Some(line)),
                    Some(',') => {
                        c = self.next_char()?;
                        break;
                    }
                    Some(ch) => {
                        record.push(ch);
                        c = self.next_char()?;
                    }
                }
            }
        }
    }
}

/// One data row with its columns looked up by key.
pub struct Row<'a> {
    record: &'a Record,
    index: &'a HashMap<&'static str, usize>,
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

    /// Whether the file has the column at all.
    pub fn has_column(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }
}

pub fn reject(file: &str, line: u64, column: &str, reason: String) -> Reject {
    Reject {
        file: file.to_string(),
        line,
        column: column.to_string(),
        reason,
    }
}

/// A file being read: its header understood, its rows to come.
pub struct Table<R> {
    reader: CsvReader<R>,
    record: Record,
    file: String,
    index: HashMap<&'static str, usize>,
    /// Header names after NFKC.
    names: Vec<String>,
    /// The key each header column was found for.
    keys: Vec<Option<&'static str>>,
    required: Vec<usize>,
    pub encoding: SourceEncoding,
    /// Data rows read so far (valid or not, blank lines not counted).
    pub rows: usize,
}

impl<R: Read> Table<R> {
    /// Reads the header. A file without one, or without a column in
    /// `required`, is refused whole.
    pub fn open(
        file_name: &str,
        input: R,
        encoding: SourceEncoding,
        columns: &[Column],
        required: &[&str],
    ) -> Result<Self, Reject> {
        let mut reader = CsvReader::new(input, encoding);
        let mut record = Record::default();
        let unreadable =
            |e: std::io::Error| reject(file_name, 0, "", format!("cannot read the file: {e}"));
        loop {
            match reader
                .read_record(&mut record, MAX_COLUMNS + 1, MAX_HEADER_CELL_CHARS)
                .map_err(unreadable)?
            {
                None => return Err(reject(file_name, 1, "", "the file is empty".into())),
                Some(_) if record.is_blank() => continue,
                Some(line) if record.len() > MAX_COLUMNS => {
                    return Err(reject(
                        file_name,
                        line,
                        "",
                        format!(
                            "the header has {} columns, more than any known format ({MAX_COLUMNS}); not a CSV of this kind",
                            record.len()
                        ),
                    ))
                }
                Some(_) => break,
            }
        }
        let names: Vec<String> = (0..record.len())
            .map(|i| nfkc(&clean(record.get(i).unwrap_or_default())))
            .collect();
        let mut index: HashMap<&'static str, usize> = HashMap::new();
        let mut keys = vec![None; names.len()];
        for (key, aliases) in columns {
            if let Some(i) = names
                .iter()
                .position(|n| aliases.iter().any(|a| nfkc(a) == *n))
            {
                index.insert(key, i);
                keys[i] = Some(*key);
            }
        }
        let mut required_at = Vec::new();
        for required in required {
            match index.get(required) {
                Some(i) => required_at.push(*i),
                None => {
                    let label = columns
                        .iter()
                        .find(|(k, _)| k == required)
                        .map(|(_, a)| a[0])
                        .unwrap_or(required);
                    return Err(reject(
                        file_name,
                        1,
                        label,
                        format!("required column {label} is missing from the header"),
                    ));
                }
            }
        }
        required_at.sort_unstable();
        Ok(Table {
            reader,
            record,
            file: file_name.to_string(),
            index,
            names,
            keys,
            required: required_at,
            encoding,
            rows: 0,
        })
    }

    /// Whether the header has the column.
    pub fn has_column(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// The header name of a column key.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.index.get(key).map(|i| self.names[*i].as_str())
    }

    /// Reads every remaining row of a file held in memory (the in-memory
    /// parsers of each format, for tests, fuzzing and the synthetic check):
    /// valid rows go through `parse` into `rows`, everything else into
    /// `rejects` and `warnings`. The importer streams with [`Table::next_row`].
    pub fn read_all<T>(
        &mut self,
        rows: &mut Vec<T>,
        rejects: &mut Vec<Reject>,
        warnings: &mut Vec<Reject>,
        mut parse: impl FnMut(&Row<'_>, &mut dyn FnMut(Reject)) -> Result<T, Reject>,
    ) {
        let file = self.file.clone();
        loop {
            match self.next_row() {
                Ok(None) => break,
                Err(e) => {
                    rejects.push(reject(&file, 0, "", format!("cannot read the file: {e}")));
                    break;
                }
                Ok(Some(Err(r))) => rejects.push(r),
                Ok(Some(Ok(row))) => match parse(&row, &mut |w| warnings.push(w)) {
                    Ok(v) => rows.push(v),
                    Err(r) => rejects.push(r),
                },
            }
        }
    }

    /// The next non-blank data row, or why it was rejected; `None` at the
    /// end of the file.
    pub fn next_row(&mut self) -> std::io::Result<Option<Result<Row<'_>, Reject>>> {
        let width = self.names.len();
        let line = loop {
            match self
                .reader
                .read_record(&mut self.record, width + 1, MAX_FIELD_CHARS)?
            {
                None => return Ok(None),
                Some(_) if self.record.is_blank() => continue,
                Some(line) => break line,
            }
        };
        self.rows += 1;
        let count = self.record.len();
        if count < width {
            // Name the first required column the row does not reach, else
            // the first missing one.
            let missing = self
                .required
                .iter()
                .copied()
                .find(|i| *i >= count)
                .unwrap_or(count);
            let column = &self.names[missing];
            return Ok(Some(Err(reject(
                &self.file,
                line,
                column,
                format!(
                    "the row ends before {column}: {count} of {width} columns (truncated line)"
                ),
            ))));
        }
        if count > width {
            return Ok(Some(Err(reject(
                &self.file,
                line,
                &format!("column {}", width + 1),
                format!("the row has {count} columns, the header {width}"),
            ))));
        }
        for i in 0..width {
            let limit = self.keys[i].map(max_chars).unwrap_or(MAX_FIELD_CHARS);
            let chars = self.record.chars(i);
            if chars > limit {
                return Ok(Some(Err(reject(
                    &self.file,
                    line,
                    &self.names[i],
                    format!("{chars} characters, at most {limit} allowed"),
                ))));
            }
        }
        Ok(Some(Ok(Row {
            record: &self.record,
            index: &self.index,
            line,
        })))
    }
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
