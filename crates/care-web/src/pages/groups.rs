//! Professional groups: the list and creating one.

use super::*;

#[derive(Template)]
#[template(path = "care/groups.html")]
struct GroupsPage {
    l: Layout,
    groups: Vec<SpaceCard>,
    invitations: Vec<SpaceCard>,
    name: String,
    description: String,
    errors: ValidationErrors,
}

/// The user's groups and invitations, and the form for a new group showing
/// `form` with `errors` (answered with 422 when there are some).
async fn groups_page(
    req: &Req<'_>,
    form: &FormData,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let Req {
        state, p, ctx, rc, ..
    } = *req;
    if !p.role.may(Permission::ProfessionalGroups) {
        return Err(WebError::Forbidden);
    }
    let spaces: Vec<SpaceCard> = state
        .care
        .my_spaces(p, rc)
        .await?
        .into_iter()
        .filter(|s| s.kind == SpaceKind::Group)
        .collect();
    let (invitations, groups) = spaces
        .into_iter()
        .partition(|s| s.status == MemberStatus::Invited);
    let status = form_status(&errors);
    render(
        &GroupsPage {
            l: Layout::new(ctx, ctx.lang.tr("グループ", "Groups")),
            groups,
            invitations,
            name: form.get("name").into(),
            description: form.get("description").into(),
            errors,
        },
        status,
    )
}

pub async fn groups(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    groups_page(
        &Req::new(&state, &p, &ctx, &rc),
        &FormData::default(),
        ValidationErrors::new(),
    )
    .await
}

pub async fn create_group(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .care
        .create_group(&p, &rc, form.get("name"), form.get("description"), req.now)
        .await;
    refuse_or(
        result,
        |id| Redirect::to(&format!("/groups/{id}/members")).into_response(),
        |errors| groups_page(&req, &form, errors),
    )
    .await
}
