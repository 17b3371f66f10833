//! The audit trail page and its CSV export.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use renkei_domain::{Timestamp, ValidationErrors};
use renkei_identity::Actor;
use renkei_store::audit::{AuditQuery, AuditRecord};
use serde::{Deserialize, Serialize};

use crate::IdentityState;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::page::{form_status, render};
use renkei_web_kit::Layout;
use renkei_web_kit::WebError;

/// The filter form, as sent in the query string.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub patient: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
}

impl AuditFilter {
    /// The store query; dates are days in Japan time, `until` inclusive.
    pub fn to_query(&self, limit: i64) -> Result<AuditQuery, ValidationErrors> {
        let mut v = ValidationErrors::new();
        let mut day = |field: &str, value: &str| -> Option<Timestamp> {
            if value.trim().is_empty() {
                return None;
            }
            let t = Timestamp::from_jst_date(value);
            if t.is_none() {
                v.add(
                    field,
                    "date",
                    "日付は YYYY-MM-DD の形式で入力してください。",
                    "Enter dates as YYYY-MM-DD.",
                );
            }
            t
        };
        let from = day("from", &self.from);
        let until = day("until", &self.until).map(|t| t.plus_seconds(86_400));
        v.into_result()?;
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(AuditQuery {
            region_id: None,
            actor_username: opt(&self.user).map(|u| u.to_lowercase()),
            patient_id: opt(&self.patient),
            action: opt(&self.action),
            from,
            until,
            before_seq: self.before,
            limit,
        })
    }
}

struct Row {
    seq: i64,
    action_label: &'static str,
    outcome_label: &'static str,
    time: String,
    actor: String,
    role: String,
    action: String,
    object: String,
    patient: String,
    outcome: String,
    source: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "identity/audit.html")]
struct AuditPage {
    l: Layout,
    q: AuditFilter,
    rows: Vec<Row>,
    errors: ValidationErrors,
    query_string: String,
    older_link: Option<String>,
}

const PAGE: i64 = 100;

/// People read labels; the filter and the CSV keep the stable codes.
fn action_label(code: &str, lang: Lang) -> &'static str {
    let (ja, en) = match code {
        "login" => ("ログイン", "Log-in"),
        "login.mfa" => ("確認コードによる認証", "Second factor"),
        "logout" => ("ログアウト", "Log-out"),
        "account.lock" => ("アカウントのロック", "Account locked"),
        "mfa.enrol" => ("二要素認証の設定", "2FA set up"),
        "user.create" => ("利用者の登録", "User created"),
        "user.disable" => ("利用停止", "User disabled"),
        "user.enable" => ("利用再開", "User enabled"),
        "user.unlock" => ("ロック解除", "User unlocked"),
        "user.mfa_reset" => ("二要素認証のリセット", "2FA reset"),
        "user.password_set" => ("パスワードの設定", "Password set"),
        "organisation.create" => ("事業所・機関の登録", "Organisation created"),
        "municipality.create" => ("市区町村の登録", "Municipality created"),
        "region.create" => ("圏域の登録", "Region created"),
        "api_token.create" => ("APIトークンの作成", "API token created"),
        "api_token.revoke" => ("APIトークンの無効化", "API token revoked"),
        "audit.export" => ("監査ログの出力", "Audit exported"),
        _ => ("", ""),
    };
    lang.tr(ja, en)
}

fn outcome_label(code: &str, lang: Lang) -> &'static str {
    match code {
        "success" => lang.tr("成功", "Success"),
        "failure" => lang.tr("失敗", "Failure"),
        "denied" => lang.tr("拒否", "Denied"),
        _ => "",
    }
}

pub async fn page(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    CurrentUser(p): CurrentUser,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, WebError> {
    let actor = Actor::User(p);
    let (records, errors) = match filter.to_query(PAGE) {
        Ok(q) => (
            state.identity.search_audit(&actor, q).await?,
            ValidationErrors::new(),
        ),
        Err(v) => {
            // Authorise before showing even the empty page.
            state
                .identity
                .search_audit(
                    &actor,
                    AuditQuery {
                        limit: 1,
                        ..Default::default()
                    },
                )
                .await?;
            (Vec::new(), v)
        }
    };
    let older_link = (records.len() as i64 == PAGE)
        .then(|| records.last().map(|r| r.seq))
        .flatten()
        .map(|seq| {
            let mut next = filter.clone();
            next.before = Some(seq);
            format!(
                "/admin/audit?{}",
                serde_urlencoded::to_string(&next).unwrap_or_default()
            )
        });
    let mut plain = filter.clone();
    plain.before = None;
    let rows = records
        .into_iter()
        .map(|r| Row {
            action_label: action_label(&r.action, ctx.lang),
            outcome_label: outcome_label(&r.outcome, ctx.lang),
            seq: r.seq,
            time: r.time().to_jst_display(),
            actor: r.actor_username,
            role: r.role,
            action: r.action,
            object: format!("{} {}", r.object_kind, r.object_id),
            patient: r.patient_id.unwrap_or_default(),
            outcome: r.outcome,
            source: r.source_addr,
            reason: r.reason,
        })
        .collect();
    let status = form_status(&errors);
    render(
        &AuditPage {
            l: Layout::new(&ctx, ctx.lang.tr("監査ログ", "Audit trail")),
            query_string: serde_urlencoded::to_string(&plain).unwrap_or_default(),
            q: filter,
            rows,
            errors,
            older_link,
        },
        status,
    )
}

/// CSV (UTF-8 with BOM, so Excel opens Japanese text correctly). The export
/// itself is audited.
pub async fn export_csv(
    State(state): State<IdentityState>,
    Ctx(rc): Ctx,
    CurrentUser(p): CurrentUser,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, WebError> {
    let actor = Actor::User(p);
    let q = filter.to_query(100_000).map_err(WebError::Validation)?;
    let records = state.identity.search_audit(&actor, q).await?;
    state
        .identity
        .record(
            &actor,
            &rc,
            "audit.export",
            "audit_trail",
            &format!("{} records", records.len()),
        )
        .await?;
    let bytes = to_csv(&records).map_err(|e| WebError::Internal(e.to_string()))?;
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"renkei-audit.csv\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

fn to_csv(records: &[AuditRecord]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record([
            "seq",
            "time_utc",
            "time_jst",
            "actor",
            "role",
            "org_id",
            "action",
            "object_kind",
            "object_id",
            "patient_id",
            "outcome",
            "source_addr",
            "user_agent",
            "reason",
            "hash",
        ])?;
        for r in records {
            // Usernames and user agents are typed by anonymous callers:
            // every cell is made formula-safe.
            let cells = [
                r.seq.to_string(),
                r.time().to_rfc3339(),
                r.time().to_jst_display(),
                r.actor_username.clone(),
                r.role.clone(),
                r.org_id.map(|o| o.to_string()).unwrap_or_default(),
                r.action.clone(),
                r.object_kind.clone(),
                r.object_id.clone(),
                r.patient_id.clone().unwrap_or_default(),
                r.outcome.clone(),
                r.source_addr.clone(),
                r.user_agent.clone(),
                r.reason.clone(),
                r.hash.clone(),
            ];
            w.write_record(
                cells
                    .iter()
                    .map(|c| renkei_domain::text::csv_safe(c).into_owned()),
            )?;
        }
        w.flush()?;
    }
    Ok(out)
}
