//! Registering a patient and editing the basic record (基本情報).

use super::*;

#[derive(Template)]
#[template(path = "care/patient_form.html")]
struct PatientFormPage {
    l: Layout,
    action: String,
    new: bool,
    f: PatientInput,
    contacts: Vec<Contact>,
    errors: ValidationErrors,
    orgs: Vec<(OrgId, String)>,
    org_id: Option<OrgId>,
    team_role: String,
    sexes: &'static [Sex],
    levels: &'static [CareLevel],
    applications: &'static [CareApplication],
    households: &'static [Household],
    physical: &'static [PhysicalIndependence],
    dementia: &'static [DementiaIndependence],
    roles: Vec<TeamRole>,
}

impl PatientFormPage {
    /// Whether `id` is the organisation chosen.
    fn is_org(&self, id: &OrgId) -> bool {
        self.org_id == Some(*id)
    }
}

/// The record as the form sent it. The form's fields are named as the
/// record's (a field left out is empty); the contacts are rows of three.
fn patient_input(f: &FormData) -> Result<PatientInput, WebError> {
    let mut fields = match serde_json::to_value(PatientInput::default()) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => return Err(WebError::Internal("the patient form's fields".into())),
    };
    for (name, value) in fields.iter_mut() {
        if let serde_json::Value::String(text) = value {
            *text = f.get(name).to_string();
        }
    }
    let mut input: PatientInput = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    input.contacts = (0..3)
        .map(|i| Contact {
            name: f.get(&format!("contact_{i}_name")).to_string(),
            relation: f.get(&format!("contact_{i}_relation")).to_string(),
            phone: f.get(&format!("contact_{i}_phone")).to_string(),
            key_person: f.get(&format!("contact_{i}_key")) == "on",
            emergency: f.get(&format!("contact_{i}_emergency")) == "on",
        })
        .collect();
    Ok(input)
}

fn padded(mut c: Vec<Contact>) -> Vec<Contact> {
    while c.len() < 3 {
        c.push(Contact::default());
    }
    c
}

async fn my_orgs(state: &CareState, p: &Principal) -> Result<Vec<(OrgId, String)>, WebError> {
    let orgs = state.identity.organisations_of(p).await?;
    Ok(orgs.into_iter().map(|o| (OrgId(o.id), o.name)).collect())
}

fn professional_roles() -> Vec<TeamRole> {
    TeamRole::ALL
        .iter()
        .copied()
        .filter(|r| *r != TeamRole::Family)
        .collect()
}

/// Which form of the record a page shows.
enum PatientForm {
    /// Registering a patient: the user's organisations, the one chosen and
    /// the user's role in the new team.
    New {
        orgs: Vec<(OrgId, String)>,
        org_id: Option<OrgId>,
        team_role: String,
    },
    /// The basic record of a registered patient.
    Edit(PatientId),
}

/// The form showing `f` with `errors` (answered with 422 when there are
/// some).
fn patient_form(
    ctx: &PageCtx,
    which: PatientForm,
    f: PatientInput,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let (title, action, new, orgs, org_id, team_role) = match which {
        PatientForm::New {
            orgs,
            org_id,
            team_role,
        } => (
            ctx.lang.tr("患者の登録", "Register a patient"),
            "/patients/new".to_string(),
            true,
            orgs,
            org_id,
            team_role,
        ),
        PatientForm::Edit(id) => (
            ctx.lang.tr("基本情報", "Basic information"),
            format!("/patients/{id}/profile"),
            false,
            Vec::new(),
            None,
            String::new(),
        ),
    };
    let status = form_status(&errors);
    render(
        &PatientFormPage {
            l: Layout::new(ctx, title),
            action,
            new,
            contacts: padded(f.contacts.clone()),
            f,
            errors,
            orgs,
            org_id,
            team_role,
            sexes: Sex::ALL,
            levels: CareLevel::ALL,
            applications: CareApplication::ALL,
            households: Household::ALL,
            physical: PhysicalIndependence::ALL,
            dementia: DementiaIndependence::ALL,
            roles: professional_roles(),
        },
        status,
    )
}

pub async fn new_patient_form(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::RegisterPatients) {
        return Err(WebError::Forbidden);
    }
    let orgs = my_orgs(&state, &p).await?;
    let org_id = orgs.first().map(|o| o.0);
    patient_form(
        &ctx,
        PatientForm::New {
            orgs,
            org_id,
            team_role: TeamRole::CareManager.code().into(),
        },
        PatientInput {
            care_level: CareLevel::None.code().into(),
            care_application: CareApplication::NotApplied.code().into(),
            ..Default::default()
        },
        ValidationErrors::new(),
    )
}

pub async fn create_patient(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let input = patient_input(&form)?;
    let org_id = form.opt_i64("org_id")?.map(OrgId);
    let team_role = form.get("team_role").to_string();
    let result = state
        .care
        .register_patient(&p, &rc, org_id, &team_role, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |id| Redirect::to(&format!("/patients/{id}/consent?new=1")).into_response(),
        |errors| async {
            let orgs = my_orgs(&state, &p).await?;
            let which = PatientForm::New {
                orgs,
                org_id,
                team_role,
            };
            patient_form(&ctx, which, input, errors)
        },
    )
    .await
}

pub async fn profile_form(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Response, WebError> {
    let (patient, access) = state.care.patient(&p, &rc, id, Timestamp::now()).await?;
    if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
        return Err(WebError::Forbidden);
    }
    patient_form(
        &ctx,
        PatientForm::Edit(id),
        PatientInput::from(&patient.record),
        ValidationErrors::new(),
    )
}

pub async fn update_profile(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: FormData,
) -> Result<Response, WebError> {
    let input = patient_input(&form)?;
    let result = state
        .care
        .update_patient(&p, &rc, id, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |()| Redirect::to(&format!("/patients/{id}/summary")).into_response(),
        |errors| async { patient_form(&ctx, PatientForm::Edit(id), input, errors) },
    )
    .await
}
