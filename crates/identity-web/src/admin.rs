//! Administration of organisations and users.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use renkei_domain::people::Permission;
use renkei_domain::{OrgKind, Profession, Role, ValidationErrors};
use renkei_identity::{Actor, IdentityError, NewOrganisation, NewUser, Principal};
use serde::Deserialize;

use crate::IdentityState;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::page::{form_status, render};
use renkei_web_kit::FormData;
use renkei_web_kit::Layout;
use renkei_web_kit::WebError;

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

struct OrgRow {
    region: String,
    name: String,
    kana: String,
    kind: &'static str,
    municipality: String,
    address: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "identity/organisations.html")]
struct OrgsPage {
    l: Layout,
    orgs: Vec<OrgRow>,
    show_region: bool,
    can_manage: bool,
    regions: Vec<(i64, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    municipalities: Vec<(i64, String)>,
    form: FormData,
    errors: ValidationErrors,
}

/// System administrators choose a region in forms; everyone else acts in their own.
async fn region_choices(
    state: &IdentityState,
    p: &Principal,
) -> Result<Vec<(i64, String)>, WebError> {
    if p.region_scope().is_some() {
        return Ok(Vec::new());
    }
    Ok(state
        .identity
        .list_regions(&Actor::User(p.clone()))
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect())
}

async fn orgs_page(
    state: &IdentityState,
    ctx: &PageCtx,
    p: Principal,
    form: FormData,
    errors: ValidationErrors,
    flash: Option<&'static str>,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let actor = Actor::User(p.clone());
    let listed = state.identity.list_organisations(&actor).await?;
    let munis = state.identity.list_municipalities(&actor).await?;
    let regions = state.identity.list_regions(&actor).await?;
    let orgs = listed
        .into_iter()
        .map(|o| OrgRow {
            region: regions
                .iter()
                .find(|r| r.id == o.region_id)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            kind: o.kind().map(|k| k.label(lang)).unwrap_or("—"),
            municipality: munis
                .iter()
                .find(|m| Some(m.id) == o.municipality_id)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            name: o.name,
            kana: o.kana,
            address: o.address,
            phone: o.phone,
        })
        .collect();
    let mut l = Layout::new(ctx, ctx.lang.tr("事業所・機関", "Organisations"));
    if let Some(msg) = flash {
        l = l.with_flash("success", msg);
    }
    let status = form_status(&errors);
    render(
        &OrgsPage {
            l,
            orgs,
            show_region: p.region_scope().is_none(),
            can_manage: p.role.may(Permission::ManageOrganisations),
            regions: region_choices(state, &p).await?,
            kinds: OrgKind::ALL
                .iter()
                .map(|k| (k.code(), k.label(lang)))
                .collect(),
            municipalities: munis
                .iter()
                .map(|m| (m.id, format!("{}（{}）", m.name, m.code)))
                .collect(),
            form,
            errors,
        },
        status,
    )
}

pub async fn organisations(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    CurrentUser(p): CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let flash = done.done.map(|_| {
        ctx.lang
            .tr("事業所・機関を登録しました。", "Organisation registered.")
    });
    orgs_page(
        &state,
        &ctx,
        p,
        FormData::default(),
        ValidationErrors::new(),
        flash,
    )
    .await
}

pub async fn create_organisation(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    CurrentUser(p): CurrentUser,
    form: FormData,
) -> Result<Response, WebError> {
    let new = NewOrganisation {
        region_id: form.opt_i64("region_id")?,
        kind: form.get("kind").to_string(),
        name: form.get("name").to_string(),
        kana: form.get("kana").to_string(),
        municipality_id: form.opt_i64("municipality_id")?,
        address: form.get("address").to_string(),
        phone: form.get("phone").to_string(),
    };
    match state
        .identity
        .create_organisation(&Actor::User(p.clone()), &new, &rc)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/organisations?done=1").into_response()),
        Err(IdentityError::Validation(v)) => orgs_page(&state, &ctx, p, form, v, None).await,
        Err(e) => Err(e.into()),
    }
}

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    profession: &'static str,
    mfa: bool,
    locked: bool,
    disabled: bool,
    is_self: bool,
}

#[derive(Template)]
#[template(path = "identity/users.html")]
struct UsersPage {
    l: Layout,
    users: Vec<UserRow>,
    regions: Vec<(i64, String)>,
    roles: Vec<(&'static str, &'static str)>,
    professions: Vec<(&'static str, &'static str)>,
    orgs: Vec<(i64, String)>,
    form: FormData,
    errors: ValidationErrors,
}

async fn users_page(
    state: &IdentityState,
    ctx: &PageCtx,
    p: Principal,
    form: FormData,
    errors: ValidationErrors,
    flash: Option<&'static str>,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let actor = Actor::User(p.clone());
    let users = state
        .identity
        .list_users(&actor)
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            is_self: u.id == p.user_id.0,
            username: u.username,
            display_name: u.display_name,
            role: u.role.label(lang),
            profession: u.profession.label(lang),
            mfa: u.mfa_enabled,
            locked: u.locked,
            disabled: u.disabled,
        })
        .collect();
    let orgs = state
        .identity
        .list_organisations(&actor)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let roles = Role::ALL
        .iter()
        .filter(|r| **r != Role::SystemAdmin || p.role == Role::SystemAdmin)
        .map(|r| (r.code(), r.label(lang)))
        .collect();
    let mut l = Layout::new(ctx, ctx.lang.tr("利用者管理", "Users"));
    if let Some(msg) = flash {
        l = l.with_flash("success", msg);
    }
    let status = form_status(&errors);
    render(
        &UsersPage {
            l,
            users,
            regions: region_choices(state, &p).await?,
            roles,
            professions: Profession::ALL
                .iter()
                .map(|r| (r.code(), r.label(lang)))
                .collect(),
            orgs,
            form,
            errors,
        },
        status,
    )
}

pub async fn users(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    CurrentUser(p): CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let flash = done.done.map(|d| match d.as_str() {
        "created" => ctx.lang.tr("利用者を登録しました。", "User registered."),
        "credentials_ended" => ctx.lang.tr(
            "利用者の設定を変更しました。この利用者のログイン中のセッションはすべて終了し、APIトークンはすべて無効になりました。",
            "User updated. All of this user's sessions have ended and all their API tokens are revoked.",
        ),
        _ => ctx.lang.tr("利用者の設定を変更しました。", "User updated."),
    });
    users_page(
        &state,
        &ctx,
        p,
        FormData::default(),
        ValidationErrors::new(),
        flash,
    )
    .await
}

pub async fn create_user(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    CurrentUser(p): CurrentUser,
    form: FormData,
) -> Result<Response, WebError> {
    let org_ids = form
        .all("org_ids")
        .iter()
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| WebError::BadRequest("org_ids must be numbers".into()))
        })
        .collect::<Result<Vec<i64>, WebError>>()?;
    let new = NewUser {
        region_id: form.opt_i64("region_id")?,
        username: form.get("username").to_string(),
        display_name: form.get("display_name").to_string(),
        email: form.get("email").to_string(),
        role: form.get("role").to_string(),
        profession: form.get("profession").to_string(),
        password: form.get("password").to_string(),
        org_ids,
        is_demo: false,
    };
    match state
        .identity
        .create_user(&Actor::User(p.clone()), &new, &rc)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/users?done=created").into_response()),
        Err(IdentityError::Validation(v)) => users_page(&state, &ctx, p, form, v, None).await,
        Err(e) => Err(e.into()),
    }
}

/// The per-user buttons: disable, enable, unlock, reset MFA.
pub async fn user_action(
    state: IdentityState,
    rc: renkei_identity::RequestContext,
    p: Principal,
    id: i64,
    action: &str,
) -> Result<Response, WebError> {
    let actor = Actor::User(p);
    // Disable, enable and MFA reset end the user's sessions and revoke their
    // API tokens (the page's notice says so).
    let done = match action {
        "disable" => {
            state.identity.disable_user(&actor, id, &rc).await?;
            "credentials_ended"
        }
        "enable" => {
            state.identity.enable_user(&actor, id, &rc).await?;
            "credentials_ended"
        }
        "unlock" => {
            state.identity.unlock_user(&actor, id, &rc).await?;
            "updated"
        }
        "reset-mfa" => {
            state.identity.reset_mfa(&actor, id, &rc).await?;
            "credentials_ended"
        }
        _ => return Err(WebError::NotFound),
    };
    Ok(Redirect::to(&format!("/admin/users?done={done}")).into_response())
}

macro_rules! user_action_handler {
    ($name:ident, $action:literal) => {
        pub async fn $name(
            State(state): State<IdentityState>,
            Ctx(rc): Ctx,
            CurrentUser(p): CurrentUser,
            Path(id): Path<i64>,
        ) -> Result<Response, WebError> {
            user_action(state, rc, p, id, $action).await
        }
    };
}

user_action_handler!(disable_user, "disable");
user_action_handler!(enable_user, "enable");
user_action_handler!(unlock_user, "unlock");
user_action_handler!(reset_mfa, "reset-mfa");
