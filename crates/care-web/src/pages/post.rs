//! One post: its page with earlier versions, acknowledging, editing and
//! withdrawing it, and its attachments.

use super::*;

#[derive(Template)]
#[template(path = "care/post.html")]
struct PostPage {
    l: Layout,
    back: String,
    card: PostCard,
    versions: Vec<(i64, String, String, String, String)>,
    categories: Vec<(&'static str, &'static str)>,
    signs: Vec<SignField>,
    form: PostFormState,
    errors: ValidationErrors,
}

/// Where a space's pages live: the patient's timeline or the group's.
fn space_link(space_id: SpaceId, patient_id: Option<PatientId>) -> String {
    match patient_id {
        Some(pid) => format!("/patients/{pid}"),
        None => format!("/groups/{space_id}"),
    }
}

/// A post's page; its editing form shows `form` (or the post) with
/// `errors` (answered with 422 when there are some).
async fn post_page(
    req: &Req<'_>,
    id: PostId,
    form: Option<PostFormState>,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let ctx = req.ctx;
    let lang = ctx.lang.code();
    let PostDetail {
        view,
        versions,
        space_id,
        patient_id,
    } = req
        .state
        .care
        .post_detail(req.p, req.rc, id, req.now)
        .await?;
    let back = space_link(space_id, patient_id);
    let post = &view.post;
    let form = form.unwrap_or_else(|| PostFormState {
        category: post.category.code().to_string(),
        body: post.body.clone(),
        vitals: VITAL_SIGNS
            .iter()
            .map(|s| {
                (
                    s.code.to_string(),
                    post.vitals()
                        .get(s.code)
                        .map(|x| renkei_care::chart::format_value(x, s.decimals))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        key: new_key(),
        ..Default::default()
    });
    let versions = versions
        .into_iter()
        .map(|v| {
            let shown = crate::posts::vitals_shown(ctx.lang, &v.vitals)
                .into_iter()
                .map(|s| format!("{} {}", s.label, s.value))
                .collect::<Vec<_>>()
                .join("、");
            (
                v.version,
                v.written_by_name,
                Timestamp(v.written_at).to_jst_display(),
                v.body,
                shown,
            )
        })
        .collect();
    let page = PostPage {
        l: Layout::new(ctx, ctx.lang.tr("投稿", "Post")),
        back,
        card: post_card(ctx.lang, &view, req.now.millis()),
        versions,
        categories: PostCategory::ALL
            .iter()
            .map(|c| (c.code(), c.label(lang)))
            .collect(),
        signs: sign_fields(lang),
        form,
        errors,
    };
    let status = form_status(&page.errors);
    render(&page, status)
}

pub async fn post_detail(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PostId>,
) -> Result<Response, WebError> {
    post_page(
        &Req::new(&state, &p, &ctx, &rc),
        id,
        None,
        ValidationErrors::new(),
    )
    .await
}

async fn back_of_post(state: &CareState, space_id: SpaceId) -> Result<String, WebError> {
    Ok(space_link(
        space_id,
        state.care.patient_of_space(space_id).await?,
    ))
}

pub async fn acknowledge(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PostId>,
) -> Result<Response, WebError> {
    let space = state
        .care
        .acknowledge(&p, &rc, id, Timestamp::now())
        .await?;
    let back = back_of_post(&state, space).await?;
    Ok(Redirect::to(&format!("{back}#post-{id}")).into_response())
}

pub async fn edit_post(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PostId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = match post_input(&form) {
        Ok(input) => state.care.edit_post(&p, &rc, id, input, req.now).await,
        Err(e) => Err(CareError::Validation(e)),
    };
    refuse_or(
        result,
        |_| Redirect::to(&format!("/posts/{id}")).into_response(),
        |errors| {
            let st = PostFormState {
                key: new_key(),
                ..PostFormState::refused(&form, &errors)
            };
            post_page(&req, id, Some(st), errors)
        },
    )
    .await
}

pub async fn withdraw_post(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PostId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = match state
        .care
        .withdraw_post(&p, &rc, id, form.get("reason"), req.now)
        .await
    {
        Ok(space) => back_of_post(&state, space).await,
        Err(e) => Err(e.into()),
    };
    refuse_or(
        result,
        |back| Redirect::to(&back).into_response(),
        |errors| post_page(&req, id, None, errors),
    )
    .await
}

async fn send_attachment(
    state: CareState,
    p: Principal,
    rc: renkei_identity::RequestContext,
    id: AttachmentId,
    thumb: bool,
) -> Result<Response, WebError> {
    let (meta, bytes) = state
        .care
        .attachment(&p, &rc, id, thumb, Timestamp::now())
        .await?;
    let media = if thumb {
        "image/jpeg"
    } else {
        meta.media_type.as_str()
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media).map_err(|e| WebError::Internal(e.to_string()))?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // PDFs open in the browser's viewer; nothing here is ever run as a page.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    // Images and PDFs open in the browser; the sandbox CSP keeps them inert.
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&content_disposition("inline", &meta.filename))
            .unwrap_or_else(|_| HeaderValue::from_static("inline")),
    );
    Ok(r)
}

/// A `Content-Disposition` value (RFC 6266): an ASCII `filename` for old
/// clients and the exact name as `filename*` in UTF-8, percent-encoded as
/// RFC 8187 asks (a space is `%20`, never `+`).
pub fn content_disposition(disposition: &str, filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

pub async fn attachment(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<AttachmentId>,
) -> Result<Response, WebError> {
    send_attachment(state, p, rc, id, false).await
}

pub async fn thumbnail(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<AttachmentId>,
) -> Result<Response, WebError> {
    send_attachment(state, p, rc, id, true).await
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn names_are_encoded_as_rfc_6266_asks() {
        assert_eq!(
            content_disposition("inline", "処方 箋.pdf"),
            "inline; filename=\"____.pdf\"; filename*=UTF-8''%E5%87%A6%E6%96%B9%20%E7%AE%8B.pdf"
        );
        let v = content_disposition("inline", "a\"b;c.pdf");
        assert!(
            v.starts_with("inline; filename=\"a_b;c.pdf\"; filename*=UTF-8''a%22b%3Bc.pdf"),
            "{v}"
        );
    }
}
