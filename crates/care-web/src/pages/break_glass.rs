//! Break-glass (緊急アクセス): the form and the request.

use super::*;

#[derive(Template)]
#[template(path = "care/break_glass.html")]
struct BreakGlassPage {
    l: Layout,
    form: FormData,
    reasons: Vec<(&'static str, &'static str)>,
    minutes: i64,
    per_day: i64,
    errors: ValidationErrors,
    limited: bool,
}

fn break_glass_page(
    state: &CareState,
    ctx: &PageCtx,
    form: FormData,
    errors: ValidationErrors,
    limited: bool,
) -> BreakGlassPage {
    let lang = ctx.lang.code();
    BreakGlassPage {
        l: Layout::new(ctx, ctx.lang.tr("緊急アクセス", "Emergency access")),
        form,
        reasons: BreakGlassReason::ALL
            .iter()
            .map(|r| (r.code(), r.label(lang)))
            .collect(),
        minutes: state.care.config().break_glass_minutes,
        per_day: state.care.config().break_glass_per_day,
        errors,
        limited,
    }
}

pub async fn break_glass_form(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::BreakGlass) {
        return Err(WebError::Forbidden);
    }
    ok(&break_glass_page(
        &state,
        &ctx,
        FormData::default(),
        ValidationErrors::new(),
        false,
    ))
}

pub async fn break_glass(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let request = BreakGlassRequest::from_fields(
        form.get("insured_number"),
        form.get("name"),
        form.get("birth_date"),
        form.get("reason_code"),
        form.get("explanation"),
    );
    let outcome = match request {
        Ok(r) => state.care.break_glass(&p, &rc, &r, Timestamp::now()).await,
        Err(e) => {
            if !p.role.may(Permission::BreakGlass) {
                return Err(WebError::Forbidden);
            }
            Err(e)
        }
    };
    if let Err(CareError::Limited(_)) = outcome {
        return render(
            &break_glass_page(&state, &ctx, form, ValidationErrors::new(), true),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    refuse_or(
        outcome,
        |pid| Redirect::to(&format!("/patients/{pid}")).into_response(),
        |errors| async {
            let page = break_glass_page(&state, &ctx, form, errors, false);
            render(&page, StatusCode::UNPROCESSABLE_ENTITY)
        },
    )
    .await
}
