//! An office's business week (営業日・営業時間), which decides whether an
//! admission was outside business hours and so the admission fee tier.

use renkei_domain::transitions::BusinessCalendar;
use renkei_domain::OrgId;

use super::*;

/// One office on the page: its id, name, week, and the week's days as
/// (index, name, open).
pub struct OfficeWeek {
    pub id: OrgId,
    pub name: String,
    pub week: BusinessCalendar,
    pub days: Vec<(usize, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "transitions/calendar.html")]
struct CalendarPage {
    l: Layout,
    offices: Vec<OfficeWeek>,
    errors: ValidationErrors,
}

const DAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

async fn calendar_page(req: &Req<'_>, errors: ValidationErrors) -> Result<Response, WebError> {
    let offices = req
        .state
        .transitions
        .my_office_calendars(req.p)
        .await?
        .into_iter()
        .map(|(id, name, c)| {
            let days = DAYS
                .iter()
                .enumerate()
                .map(|(i, d)| (i, *d, c.open_days[i]))
                .collect();
            OfficeWeek {
                id,
                name,
                week: c,
                days,
            }
        })
        .collect();
    let status = renkei_web_kit::page::form_status(&errors);
    let page = CalendarPage {
        l: Layout::new(
            req.ctx,
            req.ctx
                .lang
                .tr("事業所の営業日・営業時間", "Office business week"),
        ),
        offices,
        errors,
    };
    render(&page, status)
}

pub async fn calendar(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    calendar_page(&Req::new(&state, &p, &ctx, &rc), ValidationErrors::new()).await
}

pub async fn save_calendar(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let org = OrgId(form.opt_i64("org_id")?.unwrap_or(0));
    let mut open_days = [false; 7];
    for d in form.all("open_day") {
        if let Ok(i) = d.parse::<usize>() {
            if i < 7 {
                open_days[i] = true;
            }
        }
    }
    let calendar = BusinessCalendar {
        open_days,
        opens: form.get("opens").to_string(),
        closes: form.get("closes").to_string(),
        closed_on_holidays: form.get("closed_on_holidays") == "on",
        closed_year_end: form.get("closed_year_end") == "on",
        closures: form
            .get("closures")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    };
    let result = state
        .transitions
        .save_office_calendar(&p, &rc, org, &calendar, req.now)
        .await;
    refuse_or(
        result,
        |_| Redirect::to("/transitions/calendar").into_response(),
        |errors| calendar_page(&req, errors),
    )
    .await
}
