//! Stewardship by category, on the web: the coordinator's page that makes
//! an association steward of one kind of entry (医師会 for clinics, 歯科医師会
//! for dental clinics, 薬剤師会 for pharmacies), and ends it. What a
//! steward's members then do is on their own pages: "my entries" lists the
//! category's overdue entries, the review page their change requests.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use renkei_domain::{OrgId, OrgKind, Timestamp};
use renkei_identity::{Actor, Principal};
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::page::render;
use renkei_web_kit::{FormData, Layout, WebError};

use crate::pages::kind_label;
use crate::DirectoryState;

struct StewardRow {
    org_id: OrgId,
    org_name: String,
    kind: String,
    kind_label: String,
    granted: String,
}

#[derive(Template)]
#[template(path = "directory/stewards.html")]
struct StewardsPage {
    l: Layout,
    rows: Vec<StewardRow>,
    orgs: Vec<(OrgId, String)>,
    kinds: Vec<(&'static str, String)>,
}

async fn stewards_response(
    state: &DirectoryState,
    ctx: &PageCtx,
    p: Principal,
    flash: Option<(&'static str, &'static str)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let actor = Actor::User(p);
    let lang = ctx.lang;
    let rows = state
        .directory_service
        .stewardships(&actor)
        .await?
        .into_iter()
        .map(|s| StewardRow {
            org_id: s.org_id,
            org_name: s.org_name,
            kind_label: kind_label(lang, &s.kind),
            kind: s.kind,
            granted: match s.granted_by_name {
                Some(who) => format!("{} {who}", s.granted_at.to_jst_display()),
                None => s.granted_at.to_jst_display(),
            },
        })
        .collect();
    let orgs = state
        .identity
        .list_organisations(&actor)
        .await?
        .into_iter()
        .map(|o| (OrgId(o.id), o.name))
        .collect();
    let kinds = OrgKind::ALL
        .iter()
        .map(|k| (k.code(), k.label(lang.code()).to_string()))
        .collect();
    let mut l = Layout::new(
        ctx,
        lang.tr("カテゴリ別の管理（関係団体）", "Stewardship by category"),
    );
    if let Some((kind, message)) = flash {
        l = l.with_flash(kind, message);
    }
    render(
        &StewardsPage {
            l,
            rows,
            orgs,
            kinds,
        },
        status,
    )
}

/// The region's stewardships and the form to grant one.
pub async fn stewards(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    stewards_response(&state, &ctx, p, None, StatusCode::OK).await
}

/// Grants (`on=1`) or ends (`on=0`) a stewardship.
pub async fn set_steward(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let lang = ctx.lang;
    let Ok(org) = form.get("org_id").parse::<OrgId>() else {
        let message = lang.tr("団体を選んでください。", "Choose an organisation.");
        return stewards_response(
            &state,
            &ctx,
            p,
            Some(("error", message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let on = form.get("on") != "0";
    match state
        .directory_service
        .set_stewardship(
            &Actor::User(p.clone()),
            org,
            form.get("kind"),
            on,
            &rc,
            Timestamp::now(),
        )
        .await
    {
        Ok(_) => {
            let message = if on {
                lang.tr(
                    "管理を任せました。団体の職員がこの種別の掲載を確認・修正できます。",
                    "Stewardship granted: the organisation's staff review and confirm entries of this kind.",
                )
            } else {
                lang.tr("管理の委任を終了しました。", "Stewardship ended.")
            };
            stewards_response(&state, &ctx, p, Some(("success", message)), StatusCode::OK).await
        }
        Err(renkei_directory::service::DirectoryError::Validation(v)) => {
            let message = if v.0.iter().any(|e| e.field == "kind") {
                lang.tr("資源の種別を選んでください。", "Choose a kind of entry.")
            } else {
                lang.tr(
                    "その団体はこの圏域に登録されていません。",
                    "That organisation is not registered in this region.",
                )
            };
            stewards_response(
                &state,
                &ctx,
                p,
                Some(("error", message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
