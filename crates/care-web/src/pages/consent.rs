//! Consent (同意): the records, recording a new one with the signed form, and
//! withdrawal.

use super::*;

pub struct ConsentShown {
    pub id: ConsentId,
    pub active: bool,
    pub obtained_on: String,
    pub obtained_by: String,
    pub signer: String,
    pub covers: Vec<String>,
    pub form_id: Option<AttachmentId>,
    pub recorded: String,
    pub withdrawn: String,
    pub withdrawal_reason: String,
}

#[derive(Template)]
#[template(path = "care/consent.html")]
struct ConsentPage {
    l: Layout,
    patient: PatientHeader,
    consents: Vec<ConsentShown>,
    may_record: bool,
    organisations: Vec<(OrgId, String)>,
    professions: Vec<(&'static str, &'static str)>,
    errors: ValidationErrors,
    just_registered: bool,
    today: String,
}

#[derive(Deserialize)]
pub struct NewParam {
    #[serde(default)]
    new: Option<String>,
}

/// The consent page of patient `id`, showing `errors` (answered with 422
/// when there are some); `just_registered` greets a new patient.
async fn consent_page(
    req: &Req<'_>,
    id: PatientId,
    errors: ValidationErrors,
    just_registered: bool,
) -> Result<Response, WebError> {
    let ctx = req.ctx;
    let lang = ctx.lang.code();
    let v = req
        .state
        .care
        .consent_view(req.p, req.rc, id, req.now)
        .await?;
    let org_name = |o: OrgId| {
        v.organisations
            .iter()
            .find(|(i, _)| *i == o)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("#{o}"))
    };
    let consents = v
        .consents
        .iter()
        .map(|c| {
            let mut covers: Vec<String> =
                c.coverage.org_ids.iter().copied().map(org_name).collect();
            covers.extend(
                c.coverage
                    .professions
                    .iter()
                    .map(|x| x.label(lang).to_string()),
            );
            if c.coverage.family {
                covers.push(ctx.lang.tr("家族", "Family").into());
            }
            ConsentShown {
                id: c.id,
                active: c.active(),
                obtained_on: c.obtained_on.clone(),
                obtained_by: c.obtained_by.clone(),
                signer: c.signer.clone(),
                covers,
                form_id: c.form_attachment_id,
                recorded: format!(
                    "{} {}",
                    Timestamp(c.recorded_at).to_jst_display(),
                    c.recorded_by_name
                ),
                withdrawn: c
                    .withdrawn_at
                    .map(|t| Timestamp(t).to_jst_display())
                    .unwrap_or_default(),
                withdrawal_reason: c.withdrawal_reason.clone(),
            }
        })
        .collect();
    let page = ConsentPage {
        l: Layout::new(ctx, ctx.lang.tr("同意", "Consent")),
        patient: header_of(lang, &v.patient),
        consents,
        may_record: v.may_record,
        organisations: v.organisations.clone(),
        professions: Profession::ALL
            .iter()
            .filter(|x| {
                !matches!(
                    x,
                    Profession::Family | Profession::MunicipalOfficer | Profession::Ems
                )
            })
            .map(|x| (x.code(), x.label(lang)))
            .collect(),
        errors,
        just_registered,
        today: req.now.to_jst_display().chars().take(10).collect(),
    };
    let status = form_status(&page.errors);
    render(&page, status)
}

pub async fn consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    Query(n): Query<NewParam>,
) -> Result<Response, WebError> {
    consent_page(
        &Req::new(&state, &p, &ctx, &rc),
        id,
        ValidationErrors::new(),
        n.new.is_some(),
    )
    .await
}

pub async fn record_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: UploadForm,
) -> Result<Response, WebError> {
    let f = &form.fields;
    let input = ConsentInput {
        covers_orgs: f
            .all("covers_orgs")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        covers_professions: f
            .all("covers_professions")
            .iter()
            .map(|s| s.to_string())
            .collect(),
        covers_family: f.get("covers_family") == "on",
        obtained_on: f.get("obtained_on").into(),
        obtained_by: f.get("obtained_by").into(),
        signer: f.get("signer").into(),
    };
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = if !form.file_errors.is_empty() {
        Err(CareError::Validation(form.file_errors.clone()))
    } else {
        let signed = form.files.into_iter().next();
        state
            .care
            .record_consent(&p, &rc, id, &input, signed, req.now)
            .await
    };
    refuse_or(
        result,
        |_| Redirect::to(&format!("/patients/{id}/team")).into_response(),
        |errors| consent_page(&req, id, errors, false),
    )
    .await
}

pub async fn withdraw_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .care
        .withdraw_consent(&p, &rc, id, form.get("reason"), req.now)
        .await;
    refuse_or(
        result,
        |()| Redirect::to(&format!("/patients/{id}/consent")).into_response(),
        |errors| consent_page(&req, id, errors, false),
    )
    .await
}
