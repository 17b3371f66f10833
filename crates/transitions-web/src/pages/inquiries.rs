//! Requests to the municipality to name an admitted person's care manager
//! (担当ケアマネ照会): the hospital asks, the municipality answers.

use renkei_domain::transitions::InquiryStatus;
use renkei_domain::Role;
use renkei_transitions::model::{Inquiry, InquiryAnswer, InquiryInput};

use super::*;

#[derive(Template)]
#[template(path = "transitions/inquiries.html")]
struct InquiriesPage {
    l: Layout,
    /// The municipality's (or the support centre's) view: answer forms.
    answering: bool,
    may_ask: bool,
    /// Each request with whether it is overdue, and its due time.
    list: Vec<(Inquiry, bool, String)>,
    municipalities: Vec<(String, String)>,
    form: FormData,
    errors: ValidationErrors,
}

async fn inquiries_page(
    req: &Req<'_>,
    form: FormData,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let t = &req.state.transitions;
    let list = t
        .inquiries(req.p, req.rc)
        .await?
        .into_iter()
        .map(|i| {
            let overdue = i.status == InquiryStatus::Open && req.now.millis() > i.due_at;
            let due = Timestamp(i.due_at).to_jst_display();
            (i, overdue, due)
        })
        .collect();
    let status = renkei_web_kit::page::form_status(&errors);
    let page = InquiriesPage {
        l: Layout::new(
            req.ctx,
            req.ctx.lang.tr("担当ケアマネ照会", "Care manager requests"),
        ),
        answering: matches!(req.p.role, Role::MunicipalOfficer | Role::Coordinator),
        may_ask: matches!(req.p.role, Role::Professional | Role::Coordinator),
        list,
        municipalities: t.municipalities(req.p).await?,
        form,
        errors,
    };
    render(&page, status)
}

pub async fn inquiries(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    inquiries_page(
        &Req::new(&state, &p, &ctx, &rc),
        FormData::default(),
        ValidationErrors::new(),
    )
    .await
}

pub async fn ask(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let input = InquiryInput {
        municipality_code: form.get("municipality_code").to_string(),
        hospital_name: form.get("hospital_name").to_string(),
        person_name: form.get("person_name").to_string(),
        person_kana: form.get("person_kana").to_string(),
        birth_date: form.get("birth_date").to_string(),
        insured_number: form.get("insured_number").to_string(),
        address: form.get("address").to_string(),
        admitted_on: form.get("admitted_on").to_string(),
        note: form.get("note").to_string(),
    };
    let result = state
        .transitions
        .ask_for_care_manager(&p, &rc, &input, req.now)
        .await;
    refuse_or(
        result,
        |_| Redirect::to("/transitions/inquiries").into_response(),
        |errors| inquiries_page(&req, form.clone(), errors),
    )
    .await
}

pub async fn answer(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let input = InquiryAnswer {
        inquiry_id: form.opt_i64("inquiry_id")?.unwrap_or(0),
        office: form.get("office").to_string(),
        care_manager: form.get("care_manager").to_string(),
        note: form.get("note").to_string(),
    };
    let result = state
        .transitions
        .answer_inquiry(&p, &rc, &input, req.now)
        .await;
    refuse_or(
        result,
        |_| Redirect::to("/transitions/inquiries").into_response(),
        |errors| inquiries_page(&req, FormData::default(), errors),
    )
    .await
}
