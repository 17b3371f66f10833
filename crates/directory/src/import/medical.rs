//! `medical`: the national medical open data (医療情報ネット), one facility
//! file per kind of facility: `01-1_hospital_facility_info_YYYYMMDD.csv`,
//! `02-1_clinic_…`, `03-1_dental_…`, `05_pharmacy_…`. The 13-digit ID is
//! the official code and is kept as a string (leading zeros matter).
//!
//! Columns are found by name, so the specialities-and-hours files
//! (`0N-2_…`) are refused by name rather than misread.

use std::collections::BTreeSet;

use renkei_domain::text::nfkc;

use super::table::{
    digits_only, local_government_code, place_url, position, positive_count, read_table, reject,
    Column,
};
use super::ParsedEntries;
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

pub fn parse(file_name: &str, bytes: &[u8]) -> ParsedEntries {
    let mut out = ParsedEntries::default();
    let Some(kind) = kind_from_name(file_name) else {
        out.rejects.push(reject(
            file_name,
            0,
            "",
            "not a facility file: expected 01-1_hospital_…, 02-1_clinic_…, 03-1_dental_… or 05_pharmacy_… (.csv)".into(),
        ));
        return out;
    };
    out.scope = kind.to_string();
    let mut rows = Vec::new();
    let mut rejects = Vec::new();
    let mut warnings = Vec::new();
    let table = read_table(file_name, bytes, COLUMNS, &["id", "name"], |r| {
        let line = r.line;
        if let Some(column) = r.missing_from() {
            rejects.push(reject(
                file_name,
                line,
                column,
                format!("the row ends before {column} (truncated line)"),
            ));
            return;
        }
        let id = digits_only(&r.get("id"));
        if id.len() != 13 {
            rejects.push(reject(
                file_name,
                line,
                "ID",
                format!("ID must be 13 digits, got {:?}", r.get("id")),
            ));
            return;
        }
        let name = r.get("name");
        if name.is_empty() {
            rejects.push(reject(
                file_name,
                line,
                "正式名称",
                "正式名称 is empty".into(),
            ));
            return;
        }
        let mut prefecture_code = digits_only(&r.get("prefecture_code"));
        if prefecture_code.len() != 2 {
            prefecture_code = id[..2].to_string();
        }
        let (lat, lon) = position(&r.get("lat"), &r.get("lon"), |w| {
            warnings.push(reject(file_name, line, "所在地座標", w))
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
            warnings.push(reject(file_name, line, "案内用ホームページアドレス", w));
        }
        rows.push((fields, BTreeSet::new()));
    });
    out.finish(table, rows, rejects, warnings);
    out
}
