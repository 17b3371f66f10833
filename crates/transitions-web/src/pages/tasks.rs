//! The work handoffs create (連携タスク): the inboxes of the support
//! centre, a hub and the team, one task's page with what helps to act on
//! it (care-management offices by acceptance, the roles the team lacks),
//! and closing it with what was done.

use renkei_domain::HandoffTaskId;
use renkei_transitions::model::{HandoffTask, TaskDoneInput, TaskView};

use super::*;

#[derive(Template)]
#[template(path = "transitions/tasks.html")]
struct TasksPage {
    l: Layout,
    /// Each task with whether it is overdue.
    list: Vec<(HandoffTask, bool)>,
}

pub async fn tasks(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    let now = Timestamp::now();
    let today = now.to_jst_display().get(..10).unwrap_or("").to_string();
    let list = state
        .transitions
        .tasks(&p, &rc, now)
        .await?
        .into_iter()
        .map(|t| {
            let overdue = t.overdue(&today);
            (t, overdue)
        })
        .collect();
    let page = TasksPage {
        l: Layout::new(&ctx, ctx.lang.tr("連携タスク", "Handoff tasks")),
        list,
    };
    ok(&page)
}

#[derive(Template)]
#[template(path = "transitions/task.html")]
struct TaskPage {
    l: Layout,
    v: TaskView,
    overdue: bool,
    admitted: String,
    steps: Vec<String>,
    /// Care-management offices: id, name, phone, acceptance in words.
    offices: Vec<(i64, String, String, &'static str)>,
    form: FormData,
    errors: ValidationErrors,
}

async fn task_page(
    req: &Req<'_>,
    id: HandoffTaskId,
    form: FormData,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let v = req
        .state
        .transitions
        .task(req.p, req.rc, id, req.now)
        .await?;
    let today = req.now.to_jst_display().get(..10).unwrap_or("").to_string();
    let status = renkei_web_kit::page::form_status(&errors);
    let page = TaskPage {
        l: Layout::new(
            req.ctx,
            &format!(
                "{} {}",
                v.task.patient_name,
                v.task.kind.label(req.ctx.lang.code())
            ),
        ),
        overdue: v.task.overdue(&today),
        admitted: v.task.admitted_local.replace('T', " "),
        steps: v.task.steps(),
        offices: v
            .offices
            .iter()
            .map(|(id, name, phone, acceptance)| {
                let (ja, en) = renkei_domain::directory::acceptance_labels(acceptance);
                (id.0, name.clone(), phone.clone(), req.ctx.lang.tr(ja, en))
            })
            .collect(),
        v,
        form,
        errors,
    };
    render(&page, status)
}

pub async fn task(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<HandoffTaskId>,
) -> Result<Response, WebError> {
    task_page(
        &Req::new(&state, &p, &ctx, &rc),
        id,
        FormData::default(),
        ValidationErrors::new(),
    )
    .await
}

pub async fn close_task(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<HandoffTaskId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let input = TaskDoneInput {
        outcome: form.get("outcome").to_string(),
        chosen_entry_id: form.opt_i64("chosen_entry_id")?,
    };
    let result = state
        .transitions
        .close_task(&p, &rc, id, &input, req.now)
        .await;
    refuse_or(
        result,
        |_| Redirect::to(&format!("/transitions/tasks/{id}")).into_response(),
        |errors| task_page(&req, id, form.clone(), errors),
    )
    .await
}
