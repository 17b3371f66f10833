//! The disaster list as CSV for the fire service and the municipality
//! (UTF-8 with a BOM, so spreadsheet programs open it as Japanese). Every
//! cell is made formula-safe: a name or note that a spreadsheet would
//! take for a formula is written as text.

use renkei_domain::text::csv_safe;
use renkei_domain::Timestamp;

use crate::model::DisasterList;

pub const DISASTER_HEADER: &[&str] = &[
    "市区町村コード",
    "地区",
    "氏名",
    "ふりがな",
    "生年月日",
    "住所",
    "電話",
    "医療機器",
    "独居",
    "かかりつけ医",
    "緊急連絡先",
    "担当者",
    "安否",
    "安否の記録",
    "安否の記録日時",
];

/// The list's lines as CSV bytes.
pub fn disaster_csv(list: &DisasterList) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(DISASTER_HEADER)?;
    for l in &list.lines {
        let devices = l
            .devices
            .iter()
            .map(|d| d.label_ja())
            .collect::<Vec<_>>()
            .join("・");
        let at = l
            .status_at
            .map(|at| Timestamp(at).to_jst_display())
            .unwrap_or_default();
        let cells = [
            l.municipality_code.as_str(),
            &l.area,
            &l.name,
            &l.kana,
            &l.birth_date,
            &l.address,
            &l.phone,
            &devices,
            if l.lives_alone { "独居" } else { "" },
            &l.family_doctor,
            &l.contacts.replace('\n', " / "),
            &l.keeper_name,
            l.status.label_ja(),
            &l.status_note,
            &at,
        ];
        w.write_record(cells.iter().map(|c| csv_safe(c).into_owned()))?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(bytes);
    Ok(out)
}
