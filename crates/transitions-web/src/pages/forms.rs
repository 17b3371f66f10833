//! The handoff forms: filled in on a tablet (the team, while a draft),
//! read by the hospital, and printed on A4 in the sheet's order for FAX.

use renkei_transitions::forms::{Content, FieldKind};

use super::*;

/// One field as a form or a print shows it.
pub struct FieldView {
    pub key: &'static str,
    pub label: &'static str,
    /// "text", "long", "date" or "choice".
    pub kind: &'static str,
    pub choices: &'static [&'static str],
    pub value: String,
}

pub struct SectionView {
    pub title: String,
    pub fields: Vec<FieldView>,
}

fn sections(
    template: &renkei_transitions::forms::Template,
    lang: Lang,
    content: &Content,
) -> Vec<SectionView> {
    template
        .layout()
        .into_iter()
        .map(|(title, fields)| SectionView {
            title: title.to_string(),
            fields: fields
                .into_iter()
                .map(|f| FieldView {
                    key: f.key,
                    label: lang.tr(f.ja, f.en),
                    kind: match f.kind {
                        FieldKind::Text => "text",
                        FieldKind::Long => "long",
                        FieldKind::Date => "date",
                        FieldKind::Choice(_) => "choice",
                    },
                    choices: match f.kind {
                        FieldKind::Choice(c) => c,
                        _ => &[],
                    },
                    value: content.get(f.key).cloned().unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "transitions/form.html")]
struct FormPage {
    l: Layout,
    stay_id: StayId,
    kind: &'static str,
    title: &'static str,
    patient: String,
    hospital: String,
    editable: bool,
    status: String,
    sections: Vec<SectionView>,
    errors: ValidationErrors,
}

async fn form_page(
    req: &Req<'_>,
    id: StayId,
    kind: FormKind,
    refused: Option<(Content, ValidationErrors)>,
) -> Result<Response, WebError> {
    let lang = req.ctx.lang;
    let v = req
        .state
        .transitions
        .form(req.p, req.rc, id, kind, req.now)
        .await?;
    let editable = v.viewer == Viewer::Team
        && (kind == FormKind::Discharge
            || v.form.status == renkei_domain::transitions::FormStatus::Draft);
    let (content, errors) = refused.unwrap_or((v.content.clone(), ValidationErrors::new()));
    let status = renkei_web_kit::page::form_status(&errors);
    let page = FormPage {
        l: Layout::new(req.ctx, kind.label(lang.code())),
        stay_id: id,
        kind: kind.code(),
        title: kind.label(lang.code()),
        patient: v.stay.patient_name.clone(),
        hospital: v.stay.hospital_name.clone(),
        editable,
        status: v.form.status.label(lang.code()).to_string(),
        sections: sections(&v.template, lang, &content),
        errors,
    };
    render(&page, status)
}

pub async fn form(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path((id, kind)): Path<(StayId, String)>,
) -> Result<Response, WebError> {
    let kind = kind_of(&kind)?;
    form_page(&Req::new(&state, &p, &ctx, &rc), id, kind, None).await
}

pub async fn save_form(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path((id, kind)): Path<(StayId, String)>,
    form: FormData,
) -> Result<Response, WebError> {
    let kind = kind_of(&kind)?;
    let req = Req::new(&state, &p, &ctx, &rc);
    let content: Content = form
        .0
        .iter()
        .filter(|(k, _)| k != "csrf" && k != "then")
        .map(|(k, v)| (k.clone(), v.replace("\r\n", "\n")))
        .collect();
    let result = state
        .transitions
        .save_form(&p, &rc, id, kind, &content, req.now)
        .await;
    let then_send = form.get("then") == "send";
    refuse_or(
        result,
        |_| {
            let to = if then_send {
                format!("/stays/{id}#send")
            } else {
                format!("/stays/{id}")
            };
            Redirect::to(&to).into_response()
        },
        |errors| form_page(&req, id, kind, Some((content.clone(), errors))),
    )
    .await
}

#[derive(Template)]
#[template(path = "transitions/form_print.html")]
struct PrintPage {
    lang: &'static str,
    title: &'static str,
    patient: String,
    hospital: String,
    printed: String,
    sections: Vec<SectionView>,
}

/// The A4 print layout: every field of the sheet in its order, filled in
/// or with room to write by hand, so a copy that comes back by FAX can be
/// keyed in field by field.
pub async fn print_form(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path((id, kind)): Path<(StayId, String)>,
) -> Result<Response, WebError> {
    let kind = kind_of(&kind)?;
    let lang = ctx.lang;
    let v = state
        .transitions
        .form(&p, &rc, id, kind, Timestamp::now())
        .await?;
    ok(&PrintPage {
        lang: lang.code(),
        title: kind.label_ja(),
        patient: v.stay.patient_name.clone(),
        hospital: v.stay.hospital_name.clone(),
        printed: Timestamp::now().to_jst_display(),
        sections: sections(&v.template, Lang::Ja, &v.content),
    })
}
