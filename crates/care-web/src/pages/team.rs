//! A patient's team or a group's members: invitations, accepting, leaving,
//! the lead, and the family's view.

use super::*;

pub struct MemberShown {
    pub user_id: UserId,
    pub name: String,
    pub username: String,
    pub profession: String,
    pub org: String,
    pub role: String,
    pub is_lead: bool,
    /// Invited, not yet joined (the others listed are active).
    pub invited: bool,
    pub since: String,
}

#[derive(Template)]
#[template(path = "care/team.html")]
struct TeamPage {
    l: Layout,
    base: String,
    is_group: bool,
    title: String,
    members: Vec<MemberShown>,
    candidates: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    may_invite: bool,
    is_lead: bool,
    is_member: bool,
    family_summary_open: bool,
    consent_line: String,
    errors: ValidationErrors,
}

/// The team page of `space`, whose pages live under `base`, showing
/// `errors` (answered with 422 when there are some).
async fn team_page(
    req: &Req<'_>,
    space: SpaceId,
    base: String,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let ctx = req.ctx;
    let lang = ctx.lang.code();
    let v = req.state.care.team(req.p, req.rc, space, req.now).await?;
    let is_group = v.space.kind == SpaceKind::Group;
    let title = match &v.patient {
        Some(pt) => pt.record.name.clone(),
        None => v.space.name.clone(),
    };
    let members = v
        .members
        .iter()
        .filter(|m| m.status.holds_place())
        .map(|m| MemberShown {
            user_id: m.user_id,
            name: m.display_name.clone(),
            username: m.username.clone(),
            profession: m.profession.label(lang).to_string(),
            org: m.org_name.clone().unwrap_or_default(),
            role: if is_group {
                String::new()
            } else {
                m.team_role.label(lang).to_string()
            },
            is_lead: m.is_lead,
            invited: m.status == MemberStatus::Invited,
            since: Timestamp(m.accepted_at.unwrap_or(m.invited_at)).to_jst_display(),
        })
        .collect();
    let consent_line = match &v.consent {
        Some(c) => format!(
            "{} {}（{}）",
            ctx.lang.tr("同意取得日", "Consent in force since"),
            c.obtained_on,
            c.obtained_by
        ),
        None if is_group => String::new(),
        None => ctx
            .lang
            .tr(
                "有効な同意がありません。登録した事業所の職員だけが閲覧できます。",
                "No consent in force: only the registering organisation has access.",
            )
            .to_string(),
    };
    let page = TeamPage {
        l: Layout::new(ctx, ctx.lang.tr("チーム", "Team")),
        base,
        is_group,
        title,
        members,
        candidates: v
            .candidates
            .iter()
            .map(|u| {
                let prof = u.profession.label(lang);
                (
                    u.username.clone(),
                    format!("{}（{}）", u.display_name, prof),
                )
            })
            .collect(),
        roles: TeamRole::ALL
            .iter()
            .map(|r| (r.code(), r.label(lang)))
            .collect(),
        may_invite: v.access.may_write() && v.access.team_role() != Some(TeamRole::Family),
        is_lead: v.access.is_lead(),
        is_member: v.access.may_write(),
        family_summary_open: v.space.family_summary_open,
        consent_line,
        errors,
    };
    let status = form_status(&page.errors);
    render(&page, status)
}

pub async fn patient_team(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Response, WebError> {
    let space = state.care.patient_space(id).await?;
    team_page(
        &Req::new(&state, &p, &ctx, &rc),
        space,
        format!("/patients/{id}"),
        ValidationErrors::new(),
    )
    .await
}

pub async fn group_members(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<SpaceId>,
) -> Result<Response, WebError> {
    if !state.care.is_group(id).await? {
        return Err(WebError::NotFound);
    }
    team_page(
        &Req::new(&state, &p, &ctx, &rc),
        id,
        format!("/groups/{id}"),
        ValidationErrors::new(),
    )
    .await
}

/// Whose team an action is about: a patient's (addressed by the patient)
/// or a group's (addressed by its space).
#[derive(Clone, Copy)]
enum TeamOf {
    Patient(PatientId),
    Group(SpaceId),
}

impl TeamOf {
    /// The team's space and where its pages live.
    async fn space_and_base(self, state: &CareState) -> Result<(SpaceId, String), WebError> {
        match self {
            TeamOf::Patient(id) => Ok((
                state.care.patient_space(id).await?,
                format!("/patients/{id}"),
            )),
            TeamOf::Group(id) if state.care.is_group(id).await? => {
                Ok((id, format!("/groups/{id}")))
            }
            TeamOf::Group(_) => Err(WebError::NotFound),
        }
    }

    /// The team page, and the list a member who left goes back to.
    fn pages(self, base: &str) -> (String, &'static str) {
        match self {
            TeamOf::Patient(_) => (format!("{base}/team"), "/patients"),
            TeamOf::Group(_) => (format!("{base}/members"), "/groups"),
        }
    }
}

/// What a team form asks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TeamAction {
    Invite,
    Accept,
    Leave,
    Lead,
    FamilySummary,
}

async fn team_action(
    req: &Req<'_>,
    team: TeamOf,
    action: TeamAction,
    form: FormData,
) -> Result<Response, WebError> {
    let Req {
        state, p, rc, now, ..
    } = *req;
    let (space, base) = team.space_and_base(state).await?;
    let result = match action {
        TeamAction::Invite => {
            state
                .care
                .invite(
                    p,
                    rc,
                    space,
                    form.get("invitee"),
                    form.get("team_role"),
                    now,
                )
                .await
        }
        TeamAction::Accept => state.care.accept(p, rc, space, now).await,
        TeamAction::Leave => {
            state
                .care
                .leave(p, rc, space, form.get("confirm") == "on", now)
                .await
        }
        // A missing choice is user 0, which the service refuses as "not a
        // member" after checking that the caller is the lead.
        TeamAction::Lead => {
            let user = UserId(form.opt_i64("user_id")?.unwrap_or(0));
            state.care.set_lead(p, rc, space, user, now).await
        }
        TeamAction::FamilySummary => {
            state
                .care
                .set_family_summary(p, rc, space, form.get("open") == "on", now)
                .await
        }
    };
    let (team_page_link, list) = team.pages(&base);
    let done = match action {
        TeamAction::Accept => base.clone(),
        TeamAction::Leave => list.to_string(),
        _ => team_page_link,
    };
    let joins_or_leaves = matches!(action, TeamAction::Accept | TeamAction::Leave);
    refuse_or(
        result,
        |()| Redirect::to(&done).into_response(),
        |errors| async move {
            match team_page(req, space, base, errors.clone()).await {
                // Leaving or accepting is refused: show why on the team
                // page when the user can still see it, otherwise as an
                // error.
                Err(_) if joins_or_leaves => Err(WebError::Validation(errors)),
                page => page,
            }
        },
    )
    .await
}

macro_rules! team_handler {
    ($name:ident, $id:ty, $team:ident, $action:ident) => {
        pub async fn $name(
            State(state): State<CareState>,
            CurrentUser(p): CurrentUser,
            ctx: PageCtx,
            Ctx(rc): Ctx,
            Path(id): Path<$id>,
            form: FormData,
        ) -> Result<Response, WebError> {
            let req = Req::new(&state, &p, &ctx, &rc);
            team_action(&req, TeamOf::$team(id), TeamAction::$action, form).await
        }
    };
}

team_handler!(patient_invite, PatientId, Patient, Invite);
team_handler!(patient_accept, PatientId, Patient, Accept);
team_handler!(patient_leave, PatientId, Patient, Leave);
team_handler!(patient_lead, PatientId, Patient, Lead);
team_handler!(patient_family_summary, PatientId, Patient, FamilySummary);
team_handler!(group_invite, SpaceId, Group, Invite);
team_handler!(group_accept, SpaceId, Group, Accept);
team_handler!(group_leave, SpaceId, Group, Leave);
