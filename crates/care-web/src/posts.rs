//! Writing and showing posts on the web: the upload form (files checked by
//! `renkei_care::attachments`), reading a post form, and the card a post
//! is drawn as on the timeline.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use renkei_care::attachments::{self, CheckedUpload};
use renkei_care::model::{PostInput, PostView};
use renkei_domain::care::{parse_number, vital_sign, PostCategory, PostKind, Vitals, VITAL_SIGNS};
use renkei_domain::{AttachmentId, PostId, Timestamp, ValidationErrors};

use crate::CareState;
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::FormData;
use renkei_web_kit::WebError;

/// A submitted form that may carry files: `multipart/form-data` (with
/// files) or `application/x-www-form-urlencoded` (without).
pub struct UploadForm {
    pub fields: FormData,
    pub files: Vec<CheckedUpload>,
    /// Refused files, as field errors on `files`.
    pub file_errors: ValidationErrors,
}

impl FromRequest<CareState> for UploadForm {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &CareState) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let fields = FormData::from_request(req, state).await?;
            return Ok(UploadForm {
                fields,
                files: Vec::new(),
                file_errors: ValidationErrors::new(),
            });
        }
        let max = state.care.config().max_attachment_bytes;
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| WebError::BadRequest(e.body_text()))?;
        let mut fields = Vec::new();
        let mut files = Vec::new();
        let mut file_errors = ValidationErrors::new();
        let mut uploads: Vec<(String, String, Vec<u8>)> = Vec::new();
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(WebError::PayloadTooLarge)
                }
                Err(e) => return Err(WebError::BadRequest(e.body_text())),
            };
            let name = field.name().unwrap_or("").to_string();
            if let Some(filename) = field.file_name().map(str::to_string) {
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        WebError::PayloadTooLarge
                    } else {
                        WebError::BadRequest(e.body_text())
                    }
                })?;
                // A file input left empty still sends an empty part.
                if filename.is_empty() && bytes.is_empty() {
                    continue;
                }
                uploads.push((name, filename, bytes.to_vec()));
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| WebError::BadRequest(e.body_text()))?;
                fields.push((name, text));
            }
        }
        // Checked together: one pixel budget per request, images decoded on
        // the blocking pool (never on the async runtime).
        let mut names = Vec::with_capacity(uploads.len());
        let mut to_check = Vec::with_capacity(uploads.len());
        for (field, filename, data) in uploads {
            names.push((field, filename.clone()));
            to_check.push((filename, data));
        }
        let checked = attachments::check_all(to_check, max).await;
        for ((field, filename), result) in names.into_iter().zip(checked) {
            match result {
                Ok(f) => files.push(f),
                Err(e) => file_errors.add(
                    &field,
                    "file",
                    &format!(
                        "{}: {}",
                        attachments::clean_filename(&filename),
                        e.message_ja()
                    ),
                    &format!(
                        "{}: {}",
                        attachments::clean_filename(&filename),
                        e.message_en()
                    ),
                ),
            }
        }
        Ok(UploadForm {
            fields: FormData(fields),
            files,
            file_errors,
        })
    }
}

/// Reads a post from form fields: `category`, `body`, `vital_<code>`,
/// `urgent`, `ack_role`, `reply_to`, `idempotency_key`, `confirm_unusual`.
pub fn post_input(f: &FormData) -> Result<PostInput, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut vitals = Vitals::default();
    for v in VITAL_SIGNS {
        let field = format!("vital_{}", v.code);
        match parse_number(f.get(&field)) {
            Ok(x) => vitals.set(v.code, x),
            Err(_) => errors.add(
                &field,
                "number",
                &format!("{}は数字で入力してください。", v.label_ja),
                &format!("{} must be a number.", v.label_en),
            ),
        }
    }
    let reply_to = match f.get("reply_to").trim() {
        "" => None,
        s => match s.parse::<PostId>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(
                    "reply_to",
                    "number",
                    "返信先が正しくありません。",
                    "Bad reply target.",
                );
                None
            }
        },
    };
    errors.into_result()?;
    let category = match f.get("category") {
        "" if !vitals.is_empty() => PostCategory::Vitals.code().to_string(),
        "" => PostCategory::Other.code().to_string(),
        c => c.to_string(),
    };
    Ok(PostInput {
        category,
        body: f.get("body").replace("\r\n", "\n"),
        vitals,
        urgent: f.get("urgent") == "on" || f.get("urgent") == "true",
        ack_role: f.get("ack_role").to_string(),
        reply_to,
        idempotency_key: f.get("idempotency_key").trim().to_string(),
        confirm_unusual: f.get("confirm_unusual") == "on",
    })
}

/// "2時間15分" / "2 h 15 min": how long an urgent post has waited.
pub fn waited(lang: Lang, since_ms: i64, now_ms: i64) -> String {
    let minutes = ((now_ms - since_ms).max(0)) / 60_000;
    let (h, m) = (minutes / 60, minutes % 60);
    if h == 0 {
        lang.tr(&format!("{m}分"), &format!("{m} min")).to_string()
    } else {
        lang.tr(&format!("{h}時間{m}分"), &format!("{h} h {m} min"))
            .to_string()
    }
}

/// One vital sign on a card.
pub struct VitalShown {
    pub label: &'static str,
    pub value: String,
    pub unusual: bool,
}

pub struct FileShown {
    pub id: AttachmentId,
    pub filename: String,
    pub is_image: bool,
    pub size: String,
}

pub struct ReceiptShown {
    pub name: String,
    pub at: String,
}

/// A post as its card shows it.
pub struct PostCard {
    pub id: PostId,
    pub author: String,
    pub author_profession: String,
    pub author_role: String,
    pub category: String,
    pub category_label: String,
    pub body: String,
    pub created: String,
    pub edited: bool,
    pub version: i64,
    pub withdrawn: bool,
    pub withdrawn_reason: String,
    pub notice: bool,
    pub vitals: Vec<VitalShown>,
    pub urgent: bool,
    pub ack_role: String,
    pub acked_by: String,
    pub acked_at: String,
    pub waited: String,
    pub receipts: Vec<ReceiptShown>,
    pub files: Vec<FileShown>,
    pub replies: Vec<PostCard>,
    pub may_ack: bool,
    pub may_edit: bool,
    pub may_withdraw: bool,
    pub mentions_me: bool,
    pub reply_to: Option<PostId>,
}

pub fn vitals_shown(lang: Lang, v: &Vitals) -> Vec<VitalShown> {
    let mut out = Vec::new();
    if let (Some(s), Some(d)) = (v.bp_systolic, v.bp_diastolic) {
        let unusual =
            vital_sign("bp_systolic").is_some_and(|x| s < x.plausible.0 || s > x.plausible.1);
        out.push(VitalShown {
            label: lang.tr("血圧", "BP"),
            value: format!("{s:.0}/{d:.0} mmHg"),
            unusual,
        });
    }
    for sign in VITAL_SIGNS {
        if sign.code == "bp_systolic" || sign.code == "bp_diastolic" {
            continue;
        }
        if let Some(x) = v.get(sign.code) {
            out.push(VitalShown {
                label: sign.label(lang.code()),
                value: format!(
                    "{} {}",
                    renkei_care::chart::format_value(x, sign.decimals),
                    sign.unit
                ),
                unusual: x < sign.plausible.0 || x > sign.plausible.1,
            });
        }
    }
    out
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub fn post_card(lang: Lang, v: &PostView, now_ms: i64) -> PostCard {
    let p = &v.post;
    let code = lang.code();
    let withdrawn = p.withdrawn_at.is_some();
    PostCard {
        id: p.id,
        author: p.author_name.clone(),
        author_profession: p.author_profession.label(code).to_string(),
        author_role: p.author_role.label(code).to_string(),
        category: p.category.code().to_string(),
        category_label: p.category.label(code).to_string(),
        body: if withdrawn {
            String::new()
        } else {
            p.body.clone()
        },
        created: Timestamp(p.created_at).to_jst_display(),
        edited: p.version > 1,
        version: p.version,
        withdrawn,
        withdrawn_reason: p.withdrawn_reason.clone(),
        notice: p.kind == PostKind::Notice,
        vitals: if withdrawn {
            Vec::new()
        } else {
            vitals_shown(lang, &p.vitals())
        },
        urgent: p.urgent,
        ack_role: p.ack_role.map_or("", |r| r.label(code)).to_string(),
        acked_by: p.acked_by_name.clone().unwrap_or_default(),
        acked_at: p
            .acked_at
            .map(|t| Timestamp(t).to_jst_display())
            .unwrap_or_default(),
        waited: if p.urgent && p.acked_at.is_none() {
            waited(lang, p.created_at, now_ms)
        } else {
            String::new()
        },
        receipts: v
            .receipts
            .iter()
            .map(|r| ReceiptShown {
                name: r.display_name.clone(),
                at: Timestamp(r.read_at).to_jst_display(),
            })
            .collect(),
        files: v
            .attachments
            .iter()
            .map(|a| FileShown {
                id: a.id,
                filename: a.filename.clone(),
                is_image: a.has_thumbnail,
                size: size_label(a.size),
            })
            .collect(),
        replies: v
            .replies
            .iter()
            .map(|r| post_card(lang, r, now_ms))
            .collect(),
        may_ack: v.may_ack,
        may_edit: v.may_edit,
        may_withdraw: v.may_withdraw,
        mentions_me: v.mentions_me,
        reply_to: p.reply_to,
    }
}

/// The care pages are for those who join teams or may break the glass;
/// administrators and municipal officers have no patients.
pub fn require_care_role(p: &renkei_identity::Principal) -> Result<(), WebError> {
    use renkei_domain::people::Permission;
    if p.role.may(Permission::JoinCareTeams) || p.role.may(Permission::BreakGlass) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

/// A fresh idempotency key for a form.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_time_in_both_languages() {
        assert_eq!(waited(Lang::Ja, 0, 135 * 60_000), "2時間15分");
        assert_eq!(waited(Lang::En, 0, 5 * 60_000), "5 min");
    }

    #[test]
    fn form_numbers_and_defaults() {
        let f = FormData(vec![
            ("vital_temperature".into(), "３８．２".into()),
            ("idempotency_key".into(), "abcdefgh".into()),
        ]);
        let p = post_input(&f).unwrap();
        assert_eq!(p.vitals.temperature, Some(38.2));
        assert_eq!(p.category, "vitals");
        let bad = FormData(vec![("vital_pulse".into(), "速い".into())]);
        assert_eq!(post_input(&bad).unwrap_err().0[0].field, "vital_pulse");
    }
}
