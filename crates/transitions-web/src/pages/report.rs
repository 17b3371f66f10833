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
        r.name.clone(),
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
        w.write_record(["", &m.admitted_on, &m.hospital, &m.office, &m.reason_ja])
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
