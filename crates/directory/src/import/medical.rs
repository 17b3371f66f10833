//! `medical`: the national medical open data (医療情報ネット), one facility
//! file per kind of facility: `01-1_hospital_facility_info_YYYYMMDD.csv`,
//! `02-1_clinic_…`, `03-1_dental_…`, `05_pharmacy_…`. The 13-digit ID is
//! the official code and is kept as a string (leading zeros matter).
//!
//! Columns are found by name, so the specialities-and-hours files
//! (`0N-2_…`) are refused by name rather than misread.

use std::collections::BTreeSet;

use renkei_domain::text::nfkc;

use super::decode::SourceEncoding;
use super::table::{
    digits_only, local_government_code, place_url, position, positive_count, reject, Column, Row,
    Table,
};
use super::{ParsedEntries, Reject};
use crate::store::EntryFields;

const COLUMNS: &[Column] = &[
    ("id", &["ID"]),
    ("name", &["正式名称", "名称"]),
    (
        "kana",
        &[
            "正式名称（フリガナ）",
            "正式名称(フリガナ)",
            "名称（フリガナ）",
            "名称_カナ",
        ],
    ),
    ("prefecture_code", &["都道府県コード"]),
    ("municipality_code", &["市区町村コード"]),
    ("address", &["所在地", "住所"]),
    ("lat", &["所在地座標（緯度）", "所在地座標(緯度)", "緯度"]),
    ("lon", &["所在地座標（経度）", "所在地座標(経度)", "経度"]),
    ("phone", &["案内用電話番号", "電話番号"]),
    ("fax", &["案内用ファクシミリ番号", "FAX番号"]),
    (
        "url",
        &["案内用ホームページアドレス", "ホームページアドレス"],
    ),
    ("email", &["案内用電子メールアドレス"]),
    ("beds", &["病床数", "許可病床数"]),
    ("hours", &["診療時間"]),
    ("departments", &["診療科目"]),
];

/// The entry kind of a facility file, from its name's leading number.
pub fn kind_from_name(file_name: &str) -> Option<&'static str> {
    let stem = file_name.rsplit('/').next().unwrap_or(file_name);
    if stem.starts_with("05_pharmacy") || stem.starts_with("05-1_pharmacy") {
        return Some("pharmacy");
    }
    match stem.get(..4)? {
        "01-1" => Some("hospital"),
        "02-1" => Some("clinic"),
        "03-1" => Some("dental_clinic"),
        _ => None,
    }
}

/// The columns every facility file must have.
pub const REQUIRED: &[&str] = &["id", "name"];

/// Why a file name is not a facility file's.
pub fn not_a_facility_file(file_name: &str) -> Reject {
    reject(
        file_name,
        0,
        "",
        "not a facility file: expected 01-1_hospital_…, 02-1_clinic_…, 03-1_dental_… or 05_pharmacy_… (.csv)".into(),
    )
}

/// Opens a facility file's table (header checked).
pub fn open<R: std::io::Read>(
    file_name: &str,
    input: R,
    encoding: SourceEncoding,
) -> Result<Table<R>, Reject> {
    Table::open(file_name, input, encoding, COLUMNS, REQUIRED)
}

/// Reads one row of a facility file of `kind`.
pub fn parse_row(
    file_name: &str,
    kind: &str,
    r: &Row<'_>,
    warnings: &mut dyn FnMut(Reject),
) -> Result<EntryFields, Reject> {
    let line = r.line;
    let id = digits_only(&r.get("id"));
    if id.len() != 13 {
        return Err(reject(
            file_name,
            line,
            "ID",
            format!("ID must be 13 digits, got {:?}", r.get("id")),
        ));
    }
    let name = r.get("name");
    if name.is_empty() {
        return Err(reject(
            file_name,
            line,
            "正式名称",
            "正式名称 is empty".into(),
        ));
    }
    let mut prefecture_code = digits_only(&r.get("prefecture_code"));
    if prefecture_code.len() != 2 {
        prefecture_code = id[..2].to_string();
    }
    let (lat, lon) = position(&r.get("lat"), &r.get("lon"), |w| {
        warnings(reject(file_name, line, "所在地座標", w))
    });
    let mut fields = EntryFields {
        official_code: id,
        kind: kind.to_string(),
        name,
        kana: r.get("kana"),
        prefecture_code,
        municipality_code: local_government_code(&r.get("municipality_code")),
        address: r.get("address"),
        lat,
        lon,
        phone: nfkc(&r.get("phone")),
        fax: nfkc(&r.get("fax")),
        email: nfkc(&r.get("email")),
        capacity: positive_count(&r.get("beds")),
        hours: r.get("hours"),
        departments: r.get("departments"),
        ..EntryFields::default()
    };
    if let Some(w) = place_url(
        &r.get("url"),
        &mut fields.url,
        &mut fields.email,
        &mut fields.phone,
    ) {
        warnings(reject(file_name, line, "案内用ホームページアドレス", w));
    }
    Ok(fields)
}

/// Parses one file held in memory (tests, fuzzing, the synthetic data
/// check); the importer streams files through [`open`] and [`parse_row`].
pub fn parse(file_name: &str, bytes: &[u8]) -> ParsedEntries {
    let mut out = ParsedEntries::default();
    let Some(kind) = kind_from_name(file_name) else {
        out.rejects.push(not_a_facility_file(file_name));
        return out;
    };
    out.scope = kind.to_string();
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
    table.read_all(
        &mut out.rows,
        &mut out.rejects,
        &mut warnings,
        |row, warn| parse_row(file_name, kind, row, warn).map(|fields| (fields, BTreeSet::new())),
    );
    out.warnings = warnings;
    out
}
