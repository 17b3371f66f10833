//! The region's admission and discharge rules (入退院支援ルール): the list
//! with the shared rules of other bodies and the region's adoptions, a new
//! rule set or version from a form, adoption, and the printable rulebook
//! generated from the rule data.

use renkei_domain::transitions::{Criterion, Route, RouteCase, RuleBody, RuleScope};
use renkei_domain::{EntryId, RuleSetId};
use renkei_transitions::forms::{sections_text, Template};

use renkei_domain::transitions::FormKind;

use super::*;

/// A rule set as the list shows it.
pub struct RuleSetRow {
    pub id: RuleSetId,
    pub name: String,
    pub publisher: String,
    pub shared: bool,
    /// Version, effective from, note.
    pub versions: Vec<(i64, String, String)>,
}

#[derive(Template)]
#[template(path = "transitions/rules.html")]
struct RulesPage {
    l: Layout,
    own: Vec<RuleSetRow>,
    shared: Vec<RuleSetRow>,
    adoptions: Vec<(String, String, String, String)>,
    may_edit: bool,
    default_body: RuleFormValues,
    /// (code, kind label, name, sections as text)
    templates: Vec<(String, &'static str, String, String)>,
    /// Every national field of each kind: (kind label, [(key, label)]).
    catalogue: Vec<(&'static str, Vec<(&'static str, &'static str)>)>,
    kinds: Vec<(&'static str, &'static str)>,
    today: String,
    errors: ValidationErrors,
}

/// The rule form's values (one text box per list, one line per item).
pub struct RuleFormValues {
    pub admission_info_within_days: u32,
    pub discharge_notice_days_before: u32,
    pub follow_up_days: u32,
    pub readmission_within_days: u32,
    pub summary_due_days: u32,
    /// One item per line.
    pub conference_checklist: String,
    /// One criterion per line, as JSON objects (the screen shows their
    /// labels beside).
    pub screening: Vec<(String, bool)>,
    pub hub: String,
    /// The hub's directory entry number, or empty.
    pub hub_entry_id: String,
    /// The required sheet of each kind.
    pub forms: Vec<FormChoice>,
    pub routes: Vec<(&'static str, &'static str, String, u32, String)>,
    pub commentary: String,
}

/// Which sheet a rule uses for one kind of form.
pub struct FormChoice {
    pub kind: &'static str,
    pub label: &'static str,
    /// The chosen template's code.
    pub chosen: String,
    /// Every (code, name) of that kind.
    pub options: Vec<(String, String)>,
}

/// The criteria a form offers, each with its code.
fn criteria_offered() -> Vec<Criterion> {
    use renkei_domain::care::{CareLevel, DementiaIndependence};
    vec![
        Criterion::AgeAtLeast { years: 75 },
        Criterion::AgeAtLeast { years: 85 },
        Criterion::CareLevelAtLeast {
            level: CareLevel::Care1,
        },
        Criterion::CareLevelAtLeast {
            level: CareLevel::Care3,
        },
        Criterion::LivesAlone { daytime: false },
        Criterion::LivesAlone { daytime: true },
        Criterion::OlderCouple,
        Criterion::MedicalProcedures,
        Criterion::DementiaAtLeast {
            level: DementiaIndependence::IIa,
        },
        Criterion::DementiaAtLeast {
            level: DementiaIndependence::IIb,
        },
        Criterion::NoCareManager,
        Criterion::NoHomeDoctor,
        Criterion::Terminal,
    ]
}

fn form_values(lang: Lang, body: &RuleBody, templates: &[Template]) -> RuleFormValues {
    RuleFormValues {
        forms: FormKind::ALL
            .iter()
            .map(|kind| {
                let of_kind: Vec<(String, String)> = templates
                    .iter()
                    .filter(|t| t.kind == *kind)
                    .map(|t| (t.code.clone(), t.name.clone()))
                    .collect();
                let chosen = body
                    .required_forms
                    .iter()
                    .find(|c| of_kind.iter().any(|(code, _)| code == *c))
                    .cloned()
                    .unwrap_or_else(|| Template::national(*kind).code);
                FormChoice {
                    kind: kind.code(),
                    label: kind.label(lang.code()),
                    chosen,
                    options: of_kind,
                }
            })
            .collect(),
        admission_info_within_days: body.admission_info_within_days,
        discharge_notice_days_before: body.discharge_notice_days_before,
        follow_up_days: body.follow_up_days,
        readmission_within_days: body.readmission_within_days,
        summary_due_days: body.summary_due_days,
        conference_checklist: body.conference_checklist.join("\n"),
        screening: criteria_offered()
            .into_iter()
            .map(|c| {
                let on = body.screening.contains(&c);
                let label = if lang == Lang::En {
                    c.label_en()
                } else {
                    c.label_ja()
                };
                (
                    format!("{}|{label}", serde_json::to_string(&c).unwrap_or_default()),
                    on,
                )
            })
            .collect(),
        hub: body.hub.clone(),
        hub_entry_id: body.hub_entry_id.map(|e| e.to_string()).unwrap_or_default(),
        routes: RouteCase::ALL
            .iter()
            .map(|case| {
                let r = body.route(*case);
                (
                    case.code(),
                    case.label(lang.code()),
                    r.map(|r| r.to.clone()).unwrap_or_default(),
                    r.map(|r| r.respond_within_days).unwrap_or(0),
                    r.map(|r| r.steps.join("\n")).unwrap_or_default(),
                )
            })
            .collect(),
        commentary: body.commentary.clone(),
    }
}

/// A rule body from the rule form.
fn body_of(form: &FormData) -> Result<RuleBody, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut days = |name: &str, label: &str| -> u32 {
        match form.get(name).trim().parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                errors.add(
                    name,
                    "number",
                    &format!("{label}は日数（数字）で入力してください。"),
                    "Give a number of days.",
                );
                0
            }
        }
    };
    let admission_info_within_days = days("admission_info_within_days", "入院時情報提供の期限");
    let discharge_notice_days_before = days("discharge_notice_days_before", "退院連絡の日数");
    let follow_up_days = days("follow_up_days", "退院後フォローの期間");
    let readmission_within_days = days("readmission_within_days", "再入院とみなす日数");
    let summary_due_days = days("summary_due_days", "退院サマリーの返却期限");
    let screening = form
        .all("screening")
        .iter()
        .filter_map(|v| serde_json::from_str::<Criterion>(v.split('|').next().unwrap_or("")).ok())
        .collect();
    let mut routes = Vec::new();
    for case in RouteCase::ALL {
        let to = form
            .get(&format!("route_{}_to", case.code()))
            .trim()
            .to_string();
        if to.is_empty() {
            continue;
        }
        routes.push(Route {
            case: *case,
            to,
            respond_within_days: form
                .get(&format!("route_{}_days", case.code()))
                .trim()
                .parse()
                .unwrap_or(0),
            steps: form
                .get(&format!("route_{}_steps", case.code()))
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
        });
    }
    let hub_entry = form.get("hub_entry_id").trim();
    let hub_entry_id = if hub_entry.is_empty() {
        None
    } else if let Ok(n) = hub_entry.parse::<i64>() {
        Some(EntryId(n))
    } else {
        errors.add(
            "hub_entry_id",
            "number",
            "拠点の地域資源番号は数字で入力してください。",
            "Give the hub's directory entry number.",
        );
        None
    };
    errors.clone().into_result()?;
    Ok(RuleBody {
        admission_info_within_days,
        discharge_notice_days_before,
        follow_up_days,
        readmission_within_days,
        summary_due_days,
        conference_checklist: form
            .get("conference_checklist")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        screening,
        required_forms: FormKind::ALL
            .iter()
            .map(|k| {
                let chosen = form.get(&format!("form_{}", k.code())).trim();
                if chosen.is_empty() {
                    Template::national(*k).code
                } else {
                    chosen.to_string()
                }
            })
            .collect(),
        hub: form.get("hub").trim().to_string(),
        hub_entry_id,
        routes,
        commentary: form
            .get("commentary")
            .replace("\r\n", "\n")
            .trim()
            .to_string(),
    })
}

async fn rules_page(req: &Req<'_>, errors: ValidationErrors) -> Result<Response, WebError> {
    let lang = req.ctx.lang;
    let t = &req.state.transitions;
    let view = t.rules(req.p).await?;
    let names: std::collections::HashMap<RuleSetId, String> = view
        .own
        .iter()
        .map(|(s, _)| (s.id, s.name.clone()))
        .chain(view.shared_by_others.iter().map(|s| (s.id, s.name.clone())))
        .collect();
    let municipalities = t.municipalities(req.p).await?;
    let templates = t.templates(req.p).await?;
    let status = renkei_web_kit::page::form_status(&errors);
    let page = RulesPage {
        templates: templates
            .iter()
            .map(|tp| {
                (
                    tp.code.clone(),
                    tp.kind.label(lang.code()),
                    tp.name.clone(),
                    sections_text(tp),
                )
            })
            .collect(),
        catalogue: FormKind::ALL
            .iter()
            .map(|k| {
                (
                    k.label(lang.code()),
                    renkei_transitions::forms::sections(*k)
                        .iter()
                        .flat_map(|s| s.fields.iter())
                        .map(|f| (f.key, f.ja))
                        .collect(),
                )
            })
            .collect(),
        kinds: FormKind::ALL
            .iter()
            .map(|k| (k.code(), k.label(lang.code())))
            .collect(),
        l: Layout::new(
            req.ctx,
            lang.tr("入退院支援ルール", "Admission and discharge rules"),
        ),
        own: view
            .own
            .iter()
            .map(|(s, versions)| RuleSetRow {
                id: s.id,
                name: s.name.clone(),
                publisher: s.publisher.clone(),
                shared: s.shared,
                versions: versions
                    .iter()
                    .map(|v| (v.version, v.effective_from.clone(), v.note.clone()))
                    .collect(),
            })
            .collect(),
        shared: view
            .shared_by_others
            .iter()
            .map(|s| RuleSetRow {
                id: s.id,
                name: s.name.clone(),
                publisher: s.publisher.clone(),
                shared: true,
                versions: Vec::new(),
            })
            .collect(),
        adoptions: view
            .adoptions
            .iter()
            .map(|a| {
                let scope = match a.scope {
                    RuleScope::Municipality => municipalities
                        .iter()
                        .find(|(c, _)| *c == a.scope_code)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_else(|| a.scope_code.clone()),
                    RuleScope::Area => a.scope_code.clone(),
                    RuleScope::Region => String::new(),
                };
                (
                    a.scope.label(lang.code()).to_string(),
                    scope,
                    names.get(&a.rule_set_id).cloned().unwrap_or_default(),
                    a.adopted_from.clone(),
                )
            })
            .collect(),
        may_edit: view.may_edit,
        default_body: form_values(lang, &RuleBody::default(), &templates),
        today: req.now.to_jst_display().get(..10).unwrap_or("").to_string(),
        errors,
    };
    render(&page, status)
}

pub async fn rules(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    rules_page(&Req::new(&state, &p, &ctx, &rc), ValidationErrors::new()).await
}

pub async fn create_rule_set(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    if !renkei_transitions::Transitions::may_edit_rules(&p) {
        return Err(WebError::Forbidden);
    }
    let req = Req::new(&state, &p, &ctx, &rc);
    let body = match body_of(&form) {
        Ok(b) => b,
        Err(errors) => return rules_page(&req, errors).await,
    };
    let result = state
        .transitions
        .create_rule_set(
            &p,
            &rc,
            form.get("name"),
            form.get("publisher"),
            form.get("shared") == "on",
            &body,
            form.get("effective_from"),
            form.get("adopt") == "on",
            req.now,
        )
        .await;
    refuse_or(
        result,
        |id| Redirect::to(&format!("/transitions/rules/{id}")).into_response(),
        |errors| rules_page(&req, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "transitions/rulebook.html")]
struct RulebookPage {
    l: Layout,
    id: RuleSetId,
    name: String,
    publisher: String,
    version: i64,
    effective_from: String,
    note: String,
    body: RuleBody,
    screening: Vec<String>,
    /// Case, to, days, steps.
    routes: Vec<(String, String, u32, Vec<String>)>,
    history: Vec<(i64, String, String)>,
    may_edit: bool,
    /// A region editor may adopt any rule set it can read.
    can_adopt: bool,
    values: RuleFormValues,
    scopes: Vec<(&'static str, &'static str)>,
    municipalities: Vec<(String, String)>,
    today: String,
    errors: ValidationErrors,
}

async fn rulebook_page(
    req: &Req<'_>,
    id: RuleSetId,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let lang = req.ctx.lang;
    let t = &req.state.transitions;
    let (set, versions) = t.rule_set(req.p, id).await?;
    let current = versions
        .iter()
        .filter(|v| v.effective_from.as_str() <= req.now.to_jst_display().get(..10).unwrap_or(""))
        .max_by(|a, b| (&a.effective_from, a.version).cmp(&(&b.effective_from, b.version)))
        .or_else(|| versions.last())
        .cloned();
    let Some(current) = current else {
        return Err(WebError::NotFound);
    };
    let body = current.body();
    let status = renkei_web_kit::page::form_status(&errors);
    let page = RulebookPage {
        l: Layout::new(req.ctx, &set.name),
        id,
        name: set.name.clone(),
        publisher: set.publisher.clone(),
        version: current.version,
        effective_from: current.effective_from.clone(),
        note: current.note.clone(),
        screening: body
            .screening
            .iter()
            .map(|c| {
                if lang == Lang::En {
                    c.label_en()
                } else {
                    c.label_ja()
                }
            })
            .collect(),
        routes: body
            .routes
            .iter()
            .map(|r| {
                (
                    r.case.label(lang.code()).to_string(),
                    r.to.clone(),
                    r.respond_within_days,
                    r.steps.clone(),
                )
            })
            .collect(),
        history: versions
            .iter()
            .map(|v| (v.version, v.effective_from.clone(), v.note.clone()))
            .collect(),
        may_edit: req
            .p
            .role
            .may(renkei_domain::people::Permission::EditHandoffRules)
            && set.region_id.0 == req.p.region_id.map(|r| r.0).unwrap_or(-1),
        can_adopt: req
            .p
            .role
            .may(renkei_domain::people::Permission::EditHandoffRules),
        values: form_values(lang, &body, &t.templates(req.p).await?),
        scopes: RuleScope::ALL
            .iter()
            .map(|s| (s.code(), s.label(lang.code())))
            .collect(),
        municipalities: t.municipalities(req.p).await?,
        today: req.now.to_jst_display().get(..10).unwrap_or("").to_string(),
        body,
        errors,
    };
    render(&page, status)
}

pub async fn rulebook(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<RuleSetId>,
) -> Result<Response, WebError> {
    rulebook_page(
        &Req::new(&state, &p, &ctx, &rc),
        id,
        ValidationErrors::new(),
    )
    .await
}

pub async fn add_rule_version(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<RuleSetId>,
    form: FormData,
) -> Result<Response, WebError> {
    if !renkei_transitions::Transitions::may_edit_rules(&p) {
        return Err(WebError::Forbidden);
    }
    let req = Req::new(&state, &p, &ctx, &rc);
    let body = match body_of(&form) {
        Ok(b) => b,
        Err(errors) => return rulebook_page(&req, id, errors).await,
    };
    let result = state
        .transitions
        .add_rule_version(
            &p,
            &rc,
            id,
            &body,
            form.get("effective_from"),
            form.get("note"),
            req.now,
        )
        .await;
    refuse_or(
        result,
        |_| Redirect::to(&format!("/transitions/rules/{id}")).into_response(),
        |errors| rulebook_page(&req, id, errors),
    )
    .await
}

pub async fn adopt(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<RuleSetId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    // A municipality is chosen from the list; an area is named.
    let scope = form.get("scope");
    let scope_code = if scope == RuleScope::Area.code() {
        form.get("area_name")
    } else {
        form.get("scope_code")
    };
    let result = state
        .transitions
        .adopt(
            &p,
            &rc,
            id,
            scope,
            scope_code,
            form.get("adopted_from"),
            req.now,
        )
        .await;
    refuse_or(
        result,
        |_| Redirect::to("/transitions/rules").into_response(),
        |errors| rules_page(&req, errors),
    )
    .await
}

pub async fn create_template(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .transitions
        .create_template(
            &p,
            &rc,
            form.get("kind"),
            form.get("name"),
            &form.get("sections").replace("\r\n", "\n"),
            req.now,
        )
        .await;
    refuse_or(
        result,
        |_| Redirect::to("/transitions/rules#templates").into_response(),
        |errors| rules_page(&req, errors),
    )
    .await
}
