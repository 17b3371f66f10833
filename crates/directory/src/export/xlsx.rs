//! The directory as an xlsx workbook: one sheet per category with frozen
//! headers and sensible column widths, for towns that keep working in a
//! spreadsheet.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{Edition, ExportEntry};

/// Writes the workbook to `path`; returns the number of rows.
pub fn write(
    entries: &[ExportEntry],
    edition: Edition,
    procedures: &[(String, String)],
    path: &std::path::Path,
) -> Result<usize, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut headers = vec![
        ("名称", 32.0),
        ("ふりがな", 24.0),
        ("種別", 18.0),
        ("サービス", 24.0),
        ("市区町村", 12.0),
        ("日常生活圏域", 12.0),
        ("住所", 36.0),
        ("電話番号", 15.0),
        ("FAX番号", 15.0),
        ("URL", 28.0),
        ("受付時間・休業日", 30.0),
        ("在宅医療の機能", 24.0),
        ("対応できる医療処置", 30.0),
        ("特色", 30.0),
        ("対応言語", 14.0),
        ("受入状況", 12.0),
    ];
    if edition == Edition::Professional {
        headers.extend([
            ("受入状況の時点", 17.0),
            ("空床", 8.0),
            ("ケアマネジャーからの連絡方法・時間", 48.0),
            ("担当者", 14.0),
            ("最終確認", 17.0),
            ("公的コード", 16.0),
        ]);
    }
    let mut categories: Vec<(u8, &'static str)> = entries.iter().map(|e| e.category()).collect();
    categories.sort();
    categories.dedup();
    let mut rows = 0;
    for (order, title) in categories {
        let sheet = book.add_worksheet();
        // Sheet names are at most 31 characters and may not hold some symbols.
        let name: String = title
            .chars()
            .filter(|c| !"[]:*?/\\（）".contains(*c))
            .take(31)
            .collect();
        sheet.set_name(name)?;
        for (col, (h, width)) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *h, &bold)?;
            sheet.set_column_width(col as u16, *width)?;
        }
        sheet.set_freeze_panes(1, 1)?;
        let mut row = 1u32;
        for x in entries.iter().filter(|x| x.category().0 == order) {
            let e = &x.entry;
            let mut values: Vec<String> = vec![
                e.name.clone(),
                e.kana.clone(),
                renkei_domain::OrgKind::from_code(&e.kind)
                    .map(|k| k.label("ja").to_string())
                    .unwrap_or_else(|| e.kind.clone()),
                x.services_text(),
                x.meta.municipality_name.clone(),
                e.area.clone(),
                e.address.clone(),
                x.field(edition, "phone", &e.phone).to_string(),
                x.field(edition, "fax", &e.fax).to_string(),
                x.field(edition, "url", &e.url).to_string(),
                x.field(edition, "hours", &e.hours).to_string(),
                x.functions_text(edition),
                x.procedures_text(edition, procedures),
                x.field(edition, "features", &e.features).to_string(),
                x.field(edition, "languages", &e.languages).to_string(),
                x.acceptance_text(edition).to_string(),
            ];
            if edition == Edition::Professional {
                values.extend([
                    e.acceptance_as_of
                        .map(|t| renkei_domain::Timestamp(t).to_jst_display())
                        .unwrap_or_default(),
                    e.vacant_beds.map(|b| b.to_string()).unwrap_or_default(),
                    x.windows_text(edition).join("\n"),
                    x.meta.contact_person.clone(),
                    e.confirmed_at
                        .map(|t| renkei_domain::Timestamp(t).to_jst_display())
                        .unwrap_or_default(),
                    x.meta.official_code.clone(),
                ]);
            }
            for (col, v) in values.iter().enumerate() {
                if !v.is_empty() {
                    sheet.write_string(row, col as u16, v)?;
                }
            }
            row += 1;
            rows += 1;
            if row >= 1_048_575 {
                break; // the xlsx row limit
            }
        }
    }
    if rows == 0 {
        book.add_worksheet()
            .write_string(0, 0, "該当する資源はありません")?;
    }
    book.save(path)?;
    Ok(rows)
}
