//! `care-offices`: the national care open data (介護サービス情報公表システム),
//! one CSV per service code (`jigyosho_<code>.csv`), 24 columns (DOMAIN.md §8).
//!
//! The parser is pure (bytes in, rows and rejects out) so that it can be
//! fuzzed and tested without a database. One bad row never stops a file.

use std::collections::HashMap;

use renkei_domain::text::nfkc;

use super::decode::{decode, SourceEncoding};
use super::Reject;

/// One office as read from one row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CareOfficeRow {
    /// 事業所番号: 10 digits, the first two the prefecture.
    pub office_number: String,
    pub service_code: String,
    pub name: String,
    pub kana: String,
    /// 6-digit local government code when the file gives one.
    pub municipality_code: String,
    pub prefecture_name: String,
    pub municipality_name: String,
    pub address: String,
    pub building: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub phone: String,
    pub fax: String,
    pub url: String,
    pub email: String,
    pub corporate_number: String,
    pub corporate_name: String,
    pub open_days: String,
    pub open_days_note: String,
    /// 定員; 0 in the file means "not entered" and becomes `None`.
    pub capacity: Option<i64>,
    pub remarks: String,
    /// The file line the row started on (1 = header).
    pub line: u64,
}

/// What one file gave.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub encoding: Option<SourceEncoding>,
    pub service_code: String,
    pub rows: Vec<CareOfficeRow>,
    pub rejects: Vec<Reject>,
    /// Accepted rows with something worth knowing (coordinates dropped, …).
    pub warnings: Vec<Reject>,
}

const COLUMNS: &[(&str, &[&str])] = &[
    (
        "code",
        &[
            "都道府県コード又は市町村コード",
            "都道府県コード又は市区町村コード",
        ],
    ),
    ("prefecture", &["都道府県名"]),
    ("municipality", &["市区町村名"]),
    ("name", &["事業所名"]),
    ("kana", &["事業所名カナ"]),
    ("service", &["サービスの種類"]),
    ("address", &["住所"]),
    ("building", &["方書（ビル名等）", "方書(ビル名等)", "方書"]),
    ("lat", &["緯度"]),
    ("lon", &["経度"]),
    ("phone", &["電話番号"]),
    ("fax", &["FAX番号"]),
    ("corporate_number", &["法人番号"]),
    ("corporate_name", &["法人の名称"]),
    ("office_number", &["事業所番号"]),
    ("open_days", &["利用可能曜日"]),
    ("open_days_note", &["利用可能曜日特記事項"]),
    ("capacity", &["定員"]),
    ("url", &["URL"]),
    ("remarks", &["備考"]),
];

/// The service code from a file name such as `jigyosho_130.csv`.
pub fn service_code_from_name(file_name: &str) -> Option<String> {
    let stem = file_name.rsplit('/').next().unwrap_or(file_name);
    let digits: String = stem
        .strip_prefix("jigyosho_")?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (digits.len() == 3).then_some(digits)
}

fn clean(s: &str) -> String {
    s.trim().trim_matches('\u{feff}').trim().to_string()
}

fn digits_only(s: &str) -> String {
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

/// Parses one file. `file_name` is used in reports and for the service code.
pub fn parse(file_name: &str, bytes: &[u8]) -> ParsedFile {
    let mut out = ParsedFile::default();
    let (text, encoding) = decode(bytes);
    out.encoding = Some(encoding);
    let reject = |line: u64, column: &str, reason: String| Reject {
        file: file_name.to_string(),
        line,
        column: column.to_string(),
        reason,
    };
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
                out.rejects.push(reject(1, "", "the file is empty".into()));
                return out;
            }
            Some(Err((line, e))) => {
                out.rejects
                    .push(reject(line, "", format!("unreadable header: {e}")));
                return out;
            }
            Some(Ok(_)) if record.iter().all(|f| clean(f).is_empty()) => continue,
            Some(Ok(_)) => break record.clone(),
        }
    };
    let names: Vec<String> = header.iter().map(|h| nfkc(&clean(h))).collect();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (key, aliases) in COLUMNS {
        if let Some(i) = names
            .iter()
            .position(|n| aliases.iter().any(|a| nfkc(a) == *n))
        {
            index.insert(key, i);
        }
    }
    for required in ["office_number", "name"] {
        if !index.contains_key(required) {
            let label = COLUMNS
                .iter()
                .find(|(k, _)| *k == required)
                .map(|(_, a)| a[0])
                .unwrap_or(required);
            out.rejects.push(reject(
                1,
                label,
                format!("required column {label} is missing from the header"),
            ));
            return out;
        }
    }
    out.service_code = service_code_from_name(file_name).unwrap_or_default();

    while let Some(next) = next_record(&mut record) {
        let line = match next {
            Ok(line) => line,
            Err((line, e)) => {
                out.rejects
                    .push(reject(line, "", format!("unreadable row: {e}")));
                continue;
            }
        };
        if record.iter().all(|f| clean(f).is_empty()) {
            continue; // blank line
        }
        let get = |key: &str| -> String {
            index
                .get(key)
                .and_then(|i| record.get(*i))
                .map(clean)
                .unwrap_or_default()
        };
        let present = |key: &str| index.get(key).is_some_and(|i| *i < record.len());

        let office_number = digits_only(&get("office_number"));
        if !present("office_number") {
            out.rejects.push(reject(
                line,
                "事業所番号",
                "the row ends before 事業所番号 (truncated line)".into(),
            ));
            continue;
        }
        if office_number.len() != 10 {
            out.rejects.push(reject(
                line,
                "事業所番号",
                format!(
                    "事業所番号 must be 10 digits, got {:?}",
                    get("office_number")
                ),
            ));
            continue;
        }
        let name = get("name");
        if name.is_empty() {
            out.rejects
                .push(reject(line, "事業所名", "事業所名 is empty".into()));
            continue;
        }
        let mut row = CareOfficeRow {
            office_number,
            service_code: out.service_code.clone(),
            name,
            kana: get("kana"),
            prefecture_name: get("prefecture"),
            municipality_name: get("municipality"),
            address: get("address"),
            building: get("building"),
            phone: nfkc(&get("phone")),
            fax: nfkc(&get("fax")),
            corporate_number: digits_only(&get("corporate_number")),
            corporate_name: get("corporate_name"),
            open_days: get("open_days"),
            open_days_note: get("open_days_note"),
            remarks: get("remarks"),
            line,
            ..CareOfficeRow::default()
        };
        if row.service_code.is_empty() {
            // No code in the file name: take the one the text names.
            let service = get("service");
            row.service_code = renkei_domain::directory::CARE_SERVICES
                .iter()
                .find(|(_, n)| *n == service)
                .map(|(c, _)| c.to_string())
                .unwrap_or_default();
        }
        let code = digits_only(&get("code"));
        if code.len() == 6 {
            row.municipality_code = code;
        } else if code.len() == 5 {
            if let Ok(c) = renkei_domain::LocalGovernmentCode::parse(&code) {
                row.municipality_code = c.as_str().to_string();
            }
        }
        match (coordinate(&get("lat"), 20.0..=46.0), coordinate(&get("lon"), 122.0..=154.0)) {
            (Ok(lat), Ok(lon)) if lat.is_some() == lon.is_some() => {
                row.lat = lat;
                row.lon = lon;
            }
            _ => out.warnings.push(reject(line, "緯度/経度", format!(
                "coordinates ({:?}, {:?}) are not a point in Japan; the office is kept without a map position",
                get("lat"),
                get("lon")
            ))),
        }
        // 定員 0 means "not entered".
        row.capacity = digits_only(&get("capacity"))
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0);
        // The URL column also holds e-mail addresses and phone numbers.
        let url = nfkc(&get("url"));
        if url.contains('@') && !url.starts_with("http") {
            row.email = url.trim_start_matches("mailto:").to_string();
        } else if url.starts_with("http://") || url.starts_with("https://") {
            row.url = url;
        } else if url.chars().filter(|c| c.is_ascii_digit()).count() >= 9 && row.phone.is_empty() {
            row.phone = url;
        } else if !url.is_empty() {
            out.warnings.push(reject(
                line,
                "URL",
                format!("{url:?} is neither a web address nor an e-mail address; ignored"),
            ));
        }
        out.rows.push(row);
    }
    out
}
