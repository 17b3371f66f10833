//! The home page: each user's work list. Every registered capability says
//! what needs this user now ([`renkei_web_kit::HomeItems`]): urgent posts
//! and invitations, change requests to review, entries nobody has
//! confirmed; the most urgent come first. Below it, the user's menu and
//! who they are signed in as.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use renkei_domain::Timestamp;
use renkei_identity::Actor;
use renkei_web_kit::auth::Ctx;
use renkei_web_kit::page::ok;
use renkei_web_kit::{CurrentUser, HomeItem, Layout, PageCtx, WebError};

use crate::routes::Assembled;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    p: renkei_identity::Principal,
    role: &'static str,
    profession: &'static str,
    region: String,
    orgs: Vec<String>,
    items: Vec<HomeItem>,
    /// A capability could not say what it has (logged); the list may be short.
    incomplete: bool,
}

pub async fn home(
    State(state): State<Assembled>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    CurrentUser(p): CurrentUser,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let identity = &state.app.identity;
    let region = match p.region_id {
        Some(id) => identity
            .list_regions(&Actor::User(p.clone()))
            .await?
            .into_iter()
            .find(|r| r.id == id.0)
            .map(|r| r.name)
            .unwrap_or_default(),
        None => ctx.lang.tr("なし", "None").to_string(),
    };
    let orgs = identity
        .organisations_of(&p)
        .await?
        .into_iter()
        .map(|o| o.name)
        .collect();
    let now = Timestamp::now();
    let mut items = Vec::new();
    let mut incomplete = false;
    for source in state.home.iter() {
        match source.items(&p, &rc, ctx.lang, now).await {
            Ok(more) => items.extend(more),
            Err(e) => {
                tracing::warn!(error = %e, "home items");
                incomplete = true;
            }
        }
    }
    // Most urgent first; the order within one urgency is the capability's.
    items.sort_by_key(|i| i.urgency);
    ok(&HomePage {
        l: Layout::new(&ctx, ctx.lang.tr("ホーム", "Home")),
        role: p.role.label(lang),
        profession: p.profession.label(lang),
        region,
        orgs,
        items,
        incomplete,
        p,
    })
}
