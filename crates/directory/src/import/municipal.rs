//! `municipal-standard`: the municipal standard datasets (自治体標準オープン
//! データセット) 医療機関一覧 and 介護サービス事業所一覧. Which of the two a
//! file is, is read from its header.
//!
//! 医療機関一覧 rows are keyed by 医療機関コード; 介護サービス事業所一覧
//! rows by 事業所番号, the same code the national care open data uses, so a
//! town's own list and the national files update the same entries.

use std::collections::BTreeSet;

use renkei_domain::text::nfkc;

use super::care_offices::care_service_code_by_name;
use super::decode::SourceEncoding;
use super::table::{
    digits_only, local_government_code, place_url, position, positive_count, reject, Column, Row,
    Table,
};
use super::{ParsedEntries, Reject};
use crate::store::EntryFields;

/// Which municipal standard dataset a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// 医療機関一覧
    Medical,
    /// 介護サービス事業所一覧
    Care,
}

const COLUMNS: &[Column] = &[
    (
        "code",
        &[
            "都道府県コード又は市区町村コード",
            "都道府県コード又は市町村コード",
        ],
    ),
    ("municipality", &["市区町村名"]),
    ("medical_name", &["名称"]),
    ("medical_kana", &["名称_カナ"]),
    ("medical_kind", &["医療機関の種類"]),
    ("care_name", &["介護サービス事業所名称"]),
    ("care_kana", &["介護サービス事業所名称_カナ"]),
    ("care_services", &["実施サービス"]),
    ("address", &["住所"]),
    ("building", &["方書"]),
    ("lat", &["緯度"]),
    ("lon", &["経度"]),
    ("phone", &["電話番号"]),
    ("extension", &["内線番号"]),
    ("fax", &["FAX番号"]),
    ("corporate_number", &["法人番号"]),
    ("corporate_name", &["法人の名称"]),
    ("medical_code", &["医療機関コード"]),
    ("office_number", &["事業所番号"]),
    ("days", &["診療曜日", "利用可能曜日"]),
    ("start", &["診療開始時間", "開始時間"]),
    ("end", &["診療終了時間", "終了時間"]),
    ("days_note", &["診療日時特記事項", "利用可能日時特記事項"]),
    ("after_hours", &["時間外における対応"]),
    ("departments", &["診療科目"]),
    ("beds", &["病床数"]),
    ("capacity", &["定員"]),
    ("url", &["URL"]),
    ("remarks", &["備考"]),
];

/// The source name entries of each dataset are stored under.
pub fn source_of(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::Medical => MEDICAL_CODE_SOURCE,
        Dataset::Care => super::CARE_SOURCE,
    }
}

/// Entries keyed by 医療機関コード (10 digits).
pub const MEDICAL_CODE_SOURCE: &str = "medical_institution_code";

fn medical_kind(text: &str) -> &'static str {
    let t = nfkc(text);
    if t.contains("歯科") {
        "dental_clinic"
    } else if t.contains("薬局") {
        "pharmacy"
    } else if t.contains("病院") {
        "hospital"
    } else if t.contains("訪問看護") {
        "visiting_nursing"
    } else {
        "clinic"
    }
}

fn common_fields(r: &Row<'_>, file_name: &str, warnings: &mut dyn FnMut(Reject)) -> EntryFields {
    let line = r.line;
    let (lat, lon) = position(&r.get("lat"), &r.get("lon"), |w| {
        warnings(reject(file_name, line, "緯度/経度", w))
    });
    let municipality_code = local_government_code(&r.get("code"));
    let mut phone = nfkc(&r.get("phone"));
    let extension = nfkc(&r.get("extension"));
    if !extension.is_empty() {
        phone = format!("{phone} 内線{extension}");
    }
    let hours = match (r.get("start"), r.get("end")) {
        (s, e) if s.is_empty() && e.is_empty() => String::new(),
        (s, e) => format!("{}〜{}", nfkc(&s), nfkc(&e)),
    };
    let mut remarks = r.get("remarks");
    let after_hours = r.get("after_hours");
    if !after_hours.is_empty() {
        remarks = format!("時間外: {after_hours} {remarks}")
            .trim()
            .to_string();
    }
    EntryFields {
        prefecture_code: municipality_code.chars().take(2).collect(),
        municipality_code,
        municipality_name: r.get("municipality"),
        address: r.get("address"),
        building: r.get("building"),
        lat,
        lon,
        phone,
        fax: nfkc(&r.get("fax")),
        corporate_number: digits_only(&r.get("corporate_number")),
        corporate_name: r.get("corporate_name"),
        open_days: r.get("days"),
        open_days_note: r.get("days_note"),
        hours,
        departments: r.get("departments"),
        remarks,
        ..EntryFields::default()
    }
}

impl Dataset {
    /// The key column, its header name and the name column's key and header name.
    fn columns(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Dataset::Medical => ("medical_code", "医療機関コード", "medical_name", "名称"),
            Dataset::Care => (
                "office_number",
                "事業所番号",
                "care_name",
                "介護サービス事業所名称",
            ),
        }
    }
}

/// Opens a municipal standard file: which dataset it is comes from its
/// header, which must have that dataset's code and name columns.
pub fn open<R: std::io::Read>(
    file_name: &str,
    input: R,
    encoding: SourceEncoding,
) -> Result<(Dataset, Table<R>), Reject> {
    let table = Table::open(file_name, input, encoding, COLUMNS, &[])?;
    let dataset = if table.has_column("care_name") {
        Dataset::Care
    } else {
        Dataset::Medical
    };
    let (code_key, code_label, name_key, name_label) = dataset.columns();
    if !table.has_column(code_key) || !table.has_column(name_key) {
        return Err(reject(
            file_name,
            1,
            code_label,
            format!("required columns {code_label} and {name_label} are missing from the header"),
        ));
    }
    Ok((dataset, table))
}

/// Reads one row of a file of `ds`: the entry and its care services.
pub fn parse_row(
    file_name: &str,
    ds: Dataset,
    r: &Row<'_>,
    warnings: &mut dyn FnMut(Reject),
) -> Result<(EntryFields, BTreeSet<String>), Reject> {
    let line = r.line;
    let (code_key, code_label, name_key, name_label) = ds.columns();
    let digits = 10;
    let code = digits_only(&r.get(code_key));
    if code.len() != digits {
        return Err(reject(
            file_name,
            line,
            code_label,
            format!(
                "{code_label} must be {digits} digits, got {:?}",
                r.get(code_key)
            ),
        ));
    }
    let name = r.get(name_key);
    if name.is_empty() {
        return Err(reject(
            file_name,
            line,
            name_label,
            format!("{name_label} is empty"),
        ));
    }
    let mut fields = common_fields(r, file_name, warnings);
    if fields.prefecture_code.is_empty() {
        fields.prefecture_code = code[..2].to_string();
    }
    fields.official_code = code;
    fields.name = name;
    let mut services = BTreeSet::new();
    match ds {
        Dataset::Medical => {
            fields.kana = r.get("medical_kana");
            fields.kind = medical_kind(&r.get("medical_kind")).to_string();
            fields.capacity = positive_count(&r.get("beds"));
        }
        Dataset::Care => {
            fields.kana = r.get("care_kana");
            fields.capacity = positive_count(&r.get("capacity"));
            for name in r.get("care_services").split([';', '；', '、']) {
                let name = name.trim();
                if name.is_empty() {
                    continue;
                }
                match care_service_code_by_name(name) {
                    Some(code) => {
                        services.insert(code);
                    }
                    None => warnings(reject(
                        file_name,
                        line,
                        "実施サービス",
                        format!("unknown service {name:?}; the office is kept without it"),
                    )),
                }
            }
            fields.kind = super::care_kind(&services).to_string();
        }
    }
    if let Some(w) = place_url(
        &r.get("url"),
        &mut fields.url,
        &mut fields.email,
        &mut fields.phone,
    ) {
        warnings(reject(file_name, line, "URL", w));
    }
    Ok((fields, services))
}

/// Parses one file held in memory (tests and fuzzing); the importer
/// streams files through [`open`] and [`parse_row`].
pub fn parse(file_name: &str, bytes: &[u8]) -> (Option<Dataset>, ParsedEntries) {
    let mut out = ParsedEntries::default();
    let encoding = super::decode::detect(bytes).unwrap_or(SourceEncoding::ShiftJis);
    out.encoding = Some(encoding);
    let (ds, mut table) = match open(file_name, bytes, encoding) {
        Ok(t) => t,
        Err(r) => {
            out.rejects.push(r);
            return (None, out);
        }
    };
    let mut warnings = Vec::new();
    table.read_all(
        &mut out.rows,
        &mut out.rejects,
        &mut warnings,
        |row, warn| parse_row(file_name, ds, row, warn),
    );
    out.warnings = warnings;
    (Some(ds), out)
}
