//! The municipal standard datasets (自治体標準オープンデータセット):
//! 医療機関一覧 and 介護サービス事業所一覧, in UTF-8 with a BOM so that
//! spreadsheet programs open them correctly. The importer reads them back.
//!
//! Every cell goes through [`csv_safe`]: a cell that a spreadsheet would
//! take for a formula (`=`, `+`, `-`, `@`, tab or CR first) is written as
//! text with a leading apostrophe, so a name such as `=HYPERLINK(…)` in
//! imported open data cannot run in the reader's spreadsheet.

use renkei_domain::text::csv_safe;

use super::{is_medical, prefecture_name, Edition, ExportEntry};

/// Writes one record with every cell made formula-safe.
fn write_safe<W: std::io::Write>(w: &mut csv::Writer<W>, cells: &[&str]) -> csv::Result<()> {
    let safe: Vec<std::borrow::Cow<'_, str>> = cells.iter().map(|c| csv_safe(c)).collect();
    w.write_record(safe.iter().map(|c| c.as_bytes()))
}

/// Which dataset to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    Medical,
    Care,
}

pub const MEDICAL_HEADER: &[&str] = &[
    "都道府県コード又は市区町村コード",
    "NO",
    "都道府県名",
    "市区町村名",
    "名称",
    "名称_カナ",
    "医療機関の種類",
    "住所",
    "方書",
    "緯度",
    "経度",
    "電話番号",
    "内線番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    "医療機関コード",
    "診療曜日",
    "診療開始時間",
    "診療終了時間",
    "診療日時特記事項",
    "時間外における対応",
    "診療科目",
    "病床数",
    "URL",
    "備考",
];

pub const CARE_HEADER: &[&str] = &[
    "都道府県コード又は市区町村コード",
    "NO",
    "都道府県名",
    "市区町村名",
    "介護サービス事業所名称",
    "介護サービス事業所名称_カナ",
    "実施サービス",
    "住所",
    "方書",
    "緯度",
    "経度",
    "電話番号",
    "内線番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    "事業所番号",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "定員",
    "URL",
    "備考",
];

fn medical_kind_name(kind: &str) -> &'static str {
    match kind {
        "hospital" => "病院",
        "dental_clinic" => "歯科診療所",
        "pharmacy" => "薬局",
        _ => "診療所",
    }
}

/// Writes one dataset; returns the number of rows.
pub fn write(
    entries: &[ExportEntry],
    dataset: Dataset,
    edition: Edition,
    out: &mut impl std::io::Write,
) -> Result<usize, csv::Error> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::Writer::from_writer(out);
    write_safe(
        &mut w,
        match dataset {
            Dataset::Medical => MEDICAL_HEADER,
            Dataset::Care => CARE_HEADER,
        },
    )?;
    let mut n = 0;
    for x in entries
        .iter()
        .filter(|x| is_medical(&x.entry.kind) == (dataset == Dataset::Medical))
    {
        n += 1;
        let e = &x.entry;
        let m = &x.meta;
        let lat = e.lat.map(|v| format!("{v:.6}")).unwrap_or_default();
        let lon = e.lon.map(|v| format!("{v:.6}")).unwrap_or_default();
        let url = x.field(edition, "url", &e.url);
        let phone = x.field(edition, "phone", &e.phone);
        let fax = x.field(edition, "fax", &e.fax);
        let hours = x.field(edition, "hours", &e.hours);
        let capacity = m.capacity.map(|c| c.to_string()).unwrap_or_default();
        let no = n.to_string();
        let common_head = [
            e.municipality_code.as_str(),
            no.as_str(),
            prefecture_name(&m.prefecture_code),
            m.municipality_name.as_str(),
            e.name.as_str(),
            e.kana.as_str(),
        ];
        match dataset {
            Dataset::Medical => {
                let record: Vec<&str> = common_head
                    .iter()
                    .copied()
                    .chain([
                        medical_kind_name(&e.kind),
                        e.address.as_str(),
                        "",
                        lat.as_str(),
                        lon.as_str(),
                        phone,
                        "",
                        fax,
                        m.corporate_number.as_str(),
                        m.corporate_name.as_str(),
                        m.official_code.as_str(),
                        "",
                        "",
                        "",
                        hours,
                        "",
                        m.departments.as_str(),
                        capacity.as_str(),
                        url,
                        m.remarks.as_str(),
                    ])
                    .collect();
                write_safe(&mut w, &record)?;
            }
            Dataset::Care => {
                let services = x.services_text();
                let record: Vec<&str> = common_head
                    .iter()
                    .copied()
                    .chain([
                        services.as_str(),
                        e.address.as_str(),
                        "",
                        lat.as_str(),
                        lon.as_str(),
                        phone,
                        "",
                        fax,
                        m.corporate_number.as_str(),
                        m.corporate_name.as_str(),
                        m.official_code.as_str(),
                        "",
                        "",
                        "",
                        hours,
                        capacity.as_str(),
                        url,
                        m.remarks.as_str(),
                    ])
                    .collect();
                write_safe(&mut w, &record)?;
            }
        }
    }
    w.flush()?;
    Ok(n)
}
