//! ACP (人生会議) pages: a resident's versions and the form for a new
//! one, the region's template and its blank print for residents, and the
//! end-of-life record with the region's counts.

use super::*;
use renkei_domain::emergency::{Certification, DeathPlace, WishMet};
use renkei_emergency::model::{
    AcpAnswerInput, AcpInput, AcpSectionDef, AcpTemplate, AcpTemplateInput, AcpView, DeathCounts,
    DeathInput,
};

/// A section of the form: its definition and the answer it starts with.
type FormSection = (AcpSectionDef, String, String);

#[derive(Template)]
#[template(path = "emergency/acp.html")]
struct AcpPage {
    l: Layout,
    v: AcpView,
    sections: Vec<FormSection>,
    discussed_on: String,
    participants: String,
    errors: ValidationErrors,
}

fn acp_page(
    ctx: &PageCtx,
    v: AcpView,
    input: Option<&AcpInput>,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let latest = v.versions.first();
    let sections = v
        .template
        .sections
        .iter()
        .map(|s| {
            let (choice, text) = match input {
                Some(i) => i
                    .answers
                    .iter()
                    .find(|a| a.key == s.key)
                    .map(|a| (a.choice.clone(), a.text.clone()))
                    .unwrap_or_default(),
                // A new version starts from the latest answer of the same
                // section title (the template may have changed since).
                None => latest
                    .and_then(|l| l.answers.iter().find(|a| a.title == s.title))
                    .map(|a| (a.choice.clone(), a.text.clone()))
                    .unwrap_or_default(),
            };
            (s.clone(), choice, text)
        })
        .collect();
    let (discussed_on, participants) = match input {
        Some(i) => (i.discussed_on.clone(), i.participants.clone()),
        None => (
            Timestamp::now().jst_date().to_string(),
            latest.map(|l| l.participants.clone()).unwrap_or_default(),
        ),
    };
    let page = AcpPage {
        l: Layout::new(
            ctx,
            &format!("{} {}", ctx.lang.tr("人生会議（ACP）", "ACP"), v.name),
        ),
        sections,
        discussed_on,
        participants,
        v,
        errors: errors.clone(),
    };
    render(&page, form_status(&errors))
}

pub async fn acp(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
) -> Result<Response, WebError> {
    let v = state.emergency.acp(&p, &rc, id, Timestamp::now()).await?;
    acp_page(&ctx, v, None, ValidationErrors::new())
}

fn acp_input(form: &FormData, template: &AcpTemplate) -> AcpInput {
    AcpInput {
        template_id: Some(form.get("template_id").trim().parse().unwrap_or(-1)),
        discussed_on: form.get("discussed_on").to_string(),
        participants: form.get("participants").to_string(),
        answers: template
            .sections
            .iter()
            .map(|s| AcpAnswerInput {
                key: s.key.clone(),
                choice: form.get(&format!("choice_{}", s.key)).to_string(),
                text: form.get(&format!("text_{}", s.key)).to_string(),
            })
            .collect(),
    }
}

pub async fn save_acp(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    form: FormData,
) -> Result<Response, WebError> {
    let now = Timestamp::now();
    let v = state.emergency.acp(&p, &rc, id, now).await?;
    let input = acp_input(&form, &v.template);
    let result = state.emergency.save_acp(&p, &rc, id, &input, now).await;
    refuse_or(
        result,
        |_| Redirect::to(&format!("/emergency/records/{id}/acp#current")).into_response(),
        |errors| async { acp_page(&ctx, v, Some(&input), errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "emergency/acp_template.html")]
struct TemplatePage {
    l: Layout,
    t: AcpTemplate,
    /// The rows of the form: the template's sections and blank ones to add.
    rows: Vec<(usize, AcpSectionDef)>,
    errors: ValidationErrors,
}

fn template_page(
    ctx: &PageCtx,
    t: AcpTemplate,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let mut rows: Vec<(usize, AcpSectionDef)> = t.sections.iter().cloned().enumerate().collect();
    for i in rows.len()..rows.len() + 3 {
        rows.push((
            i,
            AcpSectionDef {
                key: String::new(),
                title: String::new(),
                hint: String::new(),
                choices: Vec::new(),
                ems: false,
            },
        ));
    }
    let page = TemplatePage {
        l: Layout::new(ctx, ctx.lang.tr("人生会議の様式", "ACP template")),
        t,
        rows,
        errors: errors.clone(),
    };
    render(&page, form_status(&errors))
}

async fn region_template(state: &EmergencyState, p: &Principal) -> Result<AcpTemplate, WebError> {
    let region = p.region_id.ok_or(WebError::Forbidden)?;
    Ok(state.emergency.acp_template(region).await?)
}

pub async fn acp_template(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    if !Emergency::keeps_acp_template(&p) {
        return Err(WebError::Forbidden);
    }
    let t = region_template(&state, &p).await?;
    template_page(&ctx, t, ValidationErrors::new())
}

pub async fn save_acp_template(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let rows = form
        .get("rows")
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
        .min(40);
    let input = AcpTemplateInput {
        name: form.get("name").to_string(),
        sections: (0..rows)
            .map(|i| AcpSectionDef {
                key: String::new(),
                title: form.get(&format!("title_{i}")).to_string(),
                hint: form.get(&format!("hint_{i}")).to_string(),
                choices: form
                    .get(&format!("choices_{i}"))
                    .split(['/', '／', '、'])
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect(),
                ems: form.get(&format!("ems_{i}")) == "on",
            })
            .collect(),
    };
    let result = state
        .emergency
        .save_acp_template(&p, &rc, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |_| Redirect::to("/emergency/acp-template?saved=1").into_response(),
        |errors| async {
            let t = AcpTemplate {
                id: None,
                name: input.name.clone(),
                sections: input.sections.clone(),
            };
            template_page(&ctx, t, errors)
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "emergency/acp_blank.html")]
struct BlankPage {
    t: AcpTemplate,
}

/// The region's template as a blank notebook to print for residents (no
/// personal data, nothing audited).
pub async fn acp_blank(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, WebError> {
    if !Emergency::prints_acp_blank(&p) {
        return Err(WebError::Forbidden);
    }
    let t = region_template(&state, &p).await?;
    Ok(axum::response::Html(BlankPage { t }.render()?).into_response())
}

/// The death form's fields, parsed.
fn death_input(form: &FormData) -> DeathInput {
    DeathInput {
        died_on: form.get("died_on").to_string(),
        place: form.get("place").to_string(),
        certified_by: form.get("certified_by").to_string(),
        attending_doctor: form.get("attending_doctor").to_string(),
        ems_called: form.get("ems_called") == "on",
        wish_met: form.get("wish_met").to_string(),
        note: form.get("note").to_string(),
    }
}

#[derive(Template)]
#[template(path = "emergency/death.html")]
struct DeathPage {
    l: Layout,
    id: EmergencyRecordId,
    name: String,
    input: DeathInput,
    places: Vec<(&'static str, &'static str)>,
    certifications: Vec<(&'static str, &'static str)>,
    wishes: Vec<(&'static str, &'static str)>,
    /// The wish about the place of death in the newest ACP, if any.
    acp_place: String,
    errors: ValidationErrors,
}

async fn death_page(
    state: &EmergencyState,
    p: &Principal,
    rc: &renkei_identity::RequestContext,
    ctx: &PageCtx,
    id: EmergencyRecordId,
    input: DeathInput,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let v = state.emergency.acp(p, rc, id, Timestamp::now()).await?;
    if !v.may_write {
        return Err(WebError::Forbidden);
    }
    let lang = ctx.lang.code();
    let acp_place = v
        .versions
        .first()
        .and_then(|x| x.answers.iter().find(|a| a.title.contains("最期")))
        .map(|a| format!("{} {}", a.choice, a.text).trim().to_string())
        .unwrap_or_default();
    let page = DeathPage {
        l: Layout::new(ctx, ctx.lang.tr("看取りの記録", "End-of-life record")),
        id,
        name: v.name,
        input,
        places: DeathPlace::ALL
            .iter()
            .map(|x| (x.code(), x.label(lang)))
            .collect(),
        certifications: Certification::ALL
            .iter()
            .map(|x| (x.code(), x.label(lang)))
            .collect(),
        wishes: WishMet::ALL
            .iter()
            .map(|x| (x.code(), x.label(lang)))
            .collect(),
        acp_place,
        errors: errors.clone(),
    };
    render(&page, form_status(&errors))
}

pub async fn death_form(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
) -> Result<Response, WebError> {
    let input = DeathInput {
        died_on: Timestamp::now().jst_date().to_string(),
        ..DeathInput::default()
    };
    death_page(&state, &p, &rc, &ctx, id, input, ValidationErrors::new()).await
}

pub async fn record_death(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    form: FormData,
) -> Result<Response, WebError> {
    let input = death_input(&form);
    let result = state
        .emergency
        .record_death(&p, &rc, id, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |_| Redirect::to(&format!("/emergency/records/{id}")).into_response(),
        |errors| async { death_page(&state, &p, &rc, &ctx, id, input.clone(), errors).await },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    pub fiscal_year: Option<i32>,
}

#[derive(Template)]
#[template(path = "emergency/deaths.html")]
struct DeathsPage {
    l: Layout,
    fiscal_year: i32,
    lines: Vec<DeathCounts>,
    places: Vec<String>,
}

pub async fn deaths(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    // The fiscal year (April to March) today is in, unless one is asked.
    let today = Timestamp::now().jst_date();
    let current = if (today.month() as u8) < 4 {
        today.year() - 1
    } else {
        today.year()
    };
    let fiscal_year = q
        .fiscal_year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(current);
    let lines = state.emergency.death_counts(&p, &rc, fiscal_year).await?;
    ok(&DeathsPage {
        l: Layout::new(&ctx, ctx.lang.tr("看取りの集計", "End-of-life counts")),
        fiscal_year,
        places: DeathPlace::ALL
            .iter()
            .map(|x| x.label(ctx.lang.code()).to_string())
            .collect(),
        lines,
    })
}
