//! The compliance report of a month, for the rule-review meeting, and its
//! CSV (UTF-8 with a byte-order mark, so spreadsheet software in Japan
//! opens it as UTF-8).

use renkei_transitions::model::{ComplianceReport, ComplianceRow};

use super::*;

#[derive(Deserialize, Default)]
pub struct MonthQuery {
    #[serde(default)]
    pub month: String,
}

/// The month asked for, or the current one (Japan time).
fn month_or_now(q: &MonthQuery) -> String {
    let m = q.month.trim();
    if m.is_empty() {
        Timestamp::now()
            .to_jst_display()
            .get(..7)
            .unwrap_or("")
            .to_string()
    } else {
        m.to_string()
    }
}

#[derive(Template)]
#[template(path = "transitions/compliance.html")]
struct CompliancePage {
    l: Layout,
    month: String,
    totals: Vec<ComplianceRow>,
    r: ComplianceReport,
}

pub async fn compliance(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let month = month_or_now(&q);
    let r = state
        .transitions
        .compliance(&p, &rc, &month, Timestamp::now())
        .await?;
    ok(&CompliancePage {
        l: Layout::new(
            &ctx,
            ctx.lang.tr("入退院ルールの運用状況", "Handoff compliance"),
        ),
        month: r.month.clone(),
        totals: vec![r.total.clone()],
        r,
    })
}

const HEADER: &[&str] = &[
    "区分",
    "名称",
    "入院",
    "情報提供（Ⅰ）",
    "情報提供（Ⅱ）",
    "期限後",
    "未提供",
    "提供待ち",
    "退院調整要",
    "うち連絡あり",
    "退院",
    "退院連絡が期限内",
    "退院時の連絡",
    "うちカンファレンス",
    "退院サマリー依頼",
    "退院サマリー返却",
    "退院サマリー期限超過",
    "再入院",
];

fn csv_row(kind: &str, r: &ComplianceRow) -> Vec<String> {
    let n = |v: usize| v.to_string();
    vec![
        kind.to_string(),
        renkei_domain::text::csv_safe(&r.name).into_owned(),
        n(r.admissions),
        n(r.informed_one),
        n(r.informed_two),
        n(r.informed_late),
        n(r.informed_missing),
        n(r.informed_pending),
        n(r.needs_coordination),
        n(r.coordinated),
        n(r.discharges),
        n(r.discharge_notice_on_time),
        n(r.contacts),
        n(r.conferences),
        n(r.summaries_requested),
        n(r.summaries_returned),
        n(r.summaries_overdue),
        n(r.readmissions),
    ]
}

pub async fn compliance_csv(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let month = month_or_now(&q);
    let r = state
        .transitions
        .compliance(&p, &rc, &month, Timestamp::now())
        .await?;
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| WebError::Internal(e.to_string());
    w.write_record(HEADER).map_err(fail)?;
    w.write_record(csv_row("合計", &r.total)).map_err(fail)?;
    for row in &r.by_hospital {
        w.write_record(csv_row("医療機関", row)).map_err(fail)?;
    }
    for row in &r.by_office {
        w.write_record(csv_row("居宅介護支援事業所", row))
            .map_err(fail)?;
    }
    w.write_record([""]).map_err(fail)?;
    w.write_record(["退院調整漏れ", "入院日", "医療機関", "事業所", "理由"])
        .map_err(fail)?;
    for m in &r.missed {
        let safe = |v: &str| renkei_domain::text::csv_safe(v).into_owned();
        w.write_record([
            "".to_string(),
            safe(&m.admitted_on),
            safe(&m.hospital),
            safe(&m.office),
            safe(&m.reason_ja),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(bytes);
    Ok((
        StatusCode::OK,
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"handoff-compliance-{}.csv\"",
                    r.month
                ),
            ),
        ],
        body,
    )
        .into_response())
}

/// The report as an .xlsx workbook: the counts (total, by hospital, by
/// office) on one sheet, the missed handoffs on another.
pub async fn compliance_xlsx(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Response, WebError> {
    let month = month_or_now(&q);
    let r = state
        .transitions
        .compliance(&p, &rc, &month, Timestamp::now())
        .await?;
    let bytes = workbook(&r).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok((
        StatusCode::OK,
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"handoff-compliance-{}.xlsx\"",
                    r.month
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn workbook(r: &ComplianceReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let counts = book.add_worksheet();
    counts.set_name(format!("集計 {}", r.month))?;
    for (col, title) in HEADER.iter().enumerate() {
        counts.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    let rows = std::iter::once(("合計", &r.total))
        .chain(r.by_hospital.iter().map(|x| ("医療機関", x)))
        .chain(r.by_office.iter().map(|x| ("居宅介護支援事業所", x)));
    for (row, (kind, x)) in (1u32..).zip(rows) {
        for (col, value) in csv_row(kind, x).iter().enumerate() {
            match value.parse::<f64>() {
                Ok(n) if col >= 2 => counts.write_number(row, col as u16, n)?,
                _ => counts.write_string(row, col as u16, value)?,
            };
        }
    }
    counts.set_column_width(1, 28)?;
    let missed = book.add_worksheet();
    missed.set_name("退院調整漏れ")?;
    for (col, title) in ["入院日", "医療機関", "事業所", "理由"].iter().enumerate() {
        missed.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    for (i, m) in r.missed.iter().enumerate() {
        let row = i as u32 + 1;
        missed.write_string(row, 0, &m.admitted_on)?;
        missed.write_string(row, 1, &m.hospital)?;
        missed.write_string(row, 2, &m.office)?;
        missed.write_string(row, 3, &m.reason_ja)?;
    }
    missed.set_column_width(1, 28)?;
    missed.set_column_width(3, 48)?;
    book.save_to_buffer()
}
