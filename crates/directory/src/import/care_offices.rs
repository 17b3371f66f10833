//! `care-offices`: the national care open data (介護サービス情報公表システム),
//! one CSV per service code (`jigyosho_<code>.csv`), 24 columns (DOMAIN.md §8).
//!
//! The parser is pure (a stream in, rows and rejects out) so that it can be
//! fuzzed and tested without a database. One bad row never stops a file.

use renkei_domain::text::nfkc;

use super::decode::SourceEncoding;
use super::table::{
    digits_only, local_government_code, place_url, position, positive_count, reject, Column, Row,
    Table,
};
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

const COLUMNS: &[Column] = &[
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

/// The columns every care file must have.
pub const REQUIRED: &[&str] = &["office_number", "name"];

/// Opens a care file's table (header checked).
pub fn open<R: std::io::Read>(
    file_name: &str,
    input: R,
    encoding: SourceEncoding,
) -> Result<Table<R>, Reject> {
    Table::open(file_name, input, encoding, COLUMNS, REQUIRED)
}

/// Reads one row. `service_code` is the file's (from its name), empty when
/// the name gives none and the row's サービスの種類 is used.
pub fn parse_row(
    file_name: &str,
    service_code: &str,
    r: &Row<'_>,
    warnings: &mut dyn FnMut(Reject),
) -> Result<CareOfficeRow, Reject> {
    let line = r.line;
    let office_number = digits_only(&r.get("office_number"));
    if office_number.len() != 10 {
        return Err(reject(
            file_name,
            line,
            "事業所番号",
            format!(
                "事業所番号 must be 10 digits, got {:?}",
                r.get("office_number")
            ),
        ));
    }
    let name = r.get("name");
    if name.is_empty() {
        return Err(reject(
            file_name,
            line,
            "事業所名",
            "事業所名 is empty".into(),
        ));
    }
    let mut row = CareOfficeRow {
        office_number,
        service_code: service_code.to_string(),
        name,
        kana: r.get("kana"),
        prefecture_name: r.get("prefecture"),
        municipality_name: r.get("municipality"),
        municipality_code: local_government_code(&r.get("code")),
        address: r.get("address"),
        building: r.get("building"),
        phone: nfkc(&r.get("phone")),
        fax: nfkc(&r.get("fax")),
        corporate_number: digits_only(&r.get("corporate_number")),
        corporate_name: r.get("corporate_name"),
        open_days: r.get("open_days"),
        open_days_note: r.get("open_days_note"),
        remarks: r.get("remarks"),
        // 定員 0 means "not entered".
        capacity: positive_count(&r.get("capacity")),
        line,
        ..CareOfficeRow::default()
    };
    if row.service_code.is_empty() {
        // No code in the file name: take the one the text names.
        row.service_code = care_service_code_by_name(&r.get("service")).unwrap_or_default();
    }
    (row.lat, row.lon) = position(&r.get("lat"), &r.get("lon"), |w| {
        warnings(reject(file_name, line, "緯度/経度", w))
    });
    if let Some(w) = place_url(&r.get("url"), &mut row.url, &mut row.email, &mut row.phone) {
        warnings(reject(file_name, line, "URL", w));
    }
    Ok(row)
}

/// Parses one file held in memory (tests, fuzzing, the synthetic data
/// check). `file_name` is used in reports and for the service code. The
/// importer itself streams files through [`open`] and [`parse_row`].
pub fn parse(file_name: &str, bytes: &[u8]) -> ParsedFile {
    let mut out = ParsedFile {
        service_code: service_code_from_name(file_name).unwrap_or_default(),
        ..ParsedFile::default()
    };
    let encoding = super::decode::detect(bytes).unwrap_or(SourceEncoding::ShiftJis);
    out.encoding = Some(encoding);
    let mut table = match open(file_name, bytes, encoding) {
        Ok(t) => t,
        Err(r) => {
            out.rejects.push(r);
            return out;
        }
    };
    let mut warnings = Vec::new();
    let code = out.service_code.clone();
    table.read_all(
        &mut out.rows,
        &mut out.rejects,
        &mut warnings,
        |row, warn| parse_row(file_name, &code, row, warn),
    );
    out.warnings = warnings;
    out
}

/// The care service code whose published name is `name`.
pub fn care_service_code_by_name(name: &str) -> Option<String> {
    let name = nfkc(name.trim());
    renkei_domain::directory::CARE_SERVICES
        .iter()
        .find(|(_, n)| nfkc(n) == name)
        .map(|(c, _)| c.to_string())
}
