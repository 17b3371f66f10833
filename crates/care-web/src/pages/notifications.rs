//! Notification settings.

use super::*;

#[derive(Template)]
#[template(path = "care/notifications.html")]
struct NotificationsPage {
    l: Layout,
    prefs: Preferences,
    saved: bool,
    has_email: bool,
}

#[derive(Deserialize)]
pub struct SavedParam {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn notifications(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Query(s): Query<SavedParam>,
) -> Result<Response, WebError> {
    let prefs = state.care.preferences(&p).await?;
    let has_email = !state.care.email_of(&p).await?.is_empty();
    ok(&NotificationsPage {
        l: Layout::new(&ctx, ctx.lang.tr("通知設定", "Notifications")),
        prefs,
        saved: s.saved.is_some(),
        has_email,
    })
}

pub async fn save_notifications(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let prefs = Preferences {
        email_urgent: form.get("email_urgent") == "on",
        email_digest: form.get("email_digest") == "on",
    };
    state.care.set_preferences(&p, &rc, prefs).await?;
    Ok(Redirect::to("/notifications?saved=1").into_response())
}
