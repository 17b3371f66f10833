//! The shared summary (在宅サマリー) with the basic record, its history, and
//! saving a new version.

use super::*;

#[derive(Template)]
#[template(path = "care/summary.html")]
struct SummaryPage {
    l: Layout,
    patient: PatientHeader,
    basics: Vec<(&'static str, String)>,
    contacts: Vec<Contact>,
    current: SummaryFields,
    version: i64,
    changed: String,
    history: Vec<(i64, String, String, SummaryFields)>,
    may_edit: bool,
    errors: ValidationErrors,
    conflict: bool,
}

fn basics(lang: Lang, p: &renkei_care::model::Patient) -> Vec<(&'static str, String)> {
    let f = &p.record;
    let level = f.care_level.label(lang.code());
    let application = f.care_application.label(lang.code());
    let validity = if f.care_level_from.is_empty() && f.care_level_to.is_empty() {
        String::new()
    } else {
        format!("{}〜{}", f.care_level_from, f.care_level_to)
    };
    vec![
        (
            lang.tr("生年月日", "Birth date"),
            format!(
                "{}（{}{}）",
                f.birth_date,
                age(&f.birth_date),
                lang.tr("歳", "")
            ),
        ),
        (lang.tr("性別", "Sex"), f.sex.label(lang.code()).to_string()),
        (lang.tr("住所", "Address"), f.address.clone()),
        (lang.tr("電話", "Phone"), f.phone.clone()),
        (
            lang.tr("被保険者番号", "Insured person number"),
            f.insured_number.clone(),
        ),
        (
            lang.tr("要介護度", "Care level"),
            format!("{level} {validity} {application}")
                .trim()
                .to_string(),
        ),
        (
            lang.tr("障害高齢者の日常生活自立度", "Independence (physical)"),
            f.independence_physical.map_or("", |x| x.code()).to_string(),
        ),
        (
            lang.tr("認知症高齢者の日常生活自立度", "Independence (dementia)"),
            f.independence_dementia.map_or("", |x| x.code()).to_string(),
        ),
        (
            lang.tr("世帯", "Household"),
            f.household.map_or("", |h| h.label(lang.code())).to_string(),
        ),
    ]
}

/// What the summary's form shows: the current version, or a draft the
/// service refused (with its field errors, or because someone saved in
/// between).
enum Draft {
    Current,
    Refused(SummaryFields, ValidationErrors),
    Conflict(SummaryFields),
}

/// The summary page: 200, 422 for a refused draft, 409 for one that lost
/// the race to another save.
async fn summary_page(req: &Req<'_>, id: PatientId, draft: Draft) -> Result<Response, WebError> {
    let ctx = req.ctx;
    let lang = ctx.lang.code();
    let v = req.state.care.summary(req.p, req.rc, id, req.now).await?;
    let (draft, errors, conflict, status) = match draft {
        Draft::Current => (None, ValidationErrors::new(), false, StatusCode::OK),
        Draft::Refused(fields, errors) => (
            Some(fields),
            errors,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Draft::Conflict(fields) => (
            Some(fields),
            ValidationErrors::new(),
            true,
            StatusCode::CONFLICT,
        ),
    };
    let current = v
        .current
        .as_ref()
        .map(|c| c.fields.clone())
        .unwrap_or_default();
    let page = SummaryPage {
        l: Layout::new(ctx, ctx.lang.tr("共有サマリー", "Shared summary")),
        patient: header_of(lang, &v.patient),
        basics: basics(ctx.lang, &v.patient),
        contacts: v.patient.record.contacts.clone(),
        version: v.current.as_ref().map(|c| c.version).unwrap_or(0),
        changed: v
            .current
            .as_ref()
            .map(|c| {
                format!(
                    "{} {}",
                    Timestamp(c.changed_at).to_jst_display(),
                    c.changed_by_name
                )
            })
            .unwrap_or_default(),
        current: draft.unwrap_or(current),
        history: v
            .history
            .iter()
            .map(|h| {
                (
                    h.version,
                    h.changed_by_name.clone(),
                    Timestamp(h.changed_at).to_jst_display(),
                    h.fields.clone(),
                )
            })
            .collect(),
        may_edit: v.access.may_write() && v.access.team_role() != Some(TeamRole::Family),
        errors,
        conflict,
    };
    render(&page, status)
}

pub async fn summary(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Response, WebError> {
    summary_page(&Req::new(&state, &p, &ctx, &rc), id, Draft::Current).await
}

pub fn summary_fields(f: &FormData) -> SummaryFields {
    let t = |n: &str| f.get(n).replace("\r\n", "\n").trim().to_string();
    SummaryFields {
        diagnoses: t("diagnoses"),
        medicines: t("medicines"),
        allergies: t("allergies"),
        adl: t("adl"),
        procedures: t("procedures"),
        notes: t("notes"),
    }
}

pub async fn save_summary(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: FormData,
) -> Result<Response, WebError> {
    let fields = summary_fields(&form);
    let base = form.opt_i64("version")?.unwrap_or(0);
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .care
        .save_summary(&p, &rc, id, base, &fields, req.now)
        .await;
    if let Err(CareError::Conflict(_)) = result {
        return summary_page(&req, id, Draft::Conflict(fields)).await;
    }
    refuse_or(
        result,
        |_| Redirect::to(&format!("/patients/{id}/summary")).into_response(),
        |errors| summary_page(&req, id, Draft::Refused(fields, errors)),
    )
    .await
}
