//! Attachments: the files of posts and the signed consent forms.

use super::*;
use renkei_store::{read, write};

const ATTACHMENT_META: &str =
    "SELECT id, space_id, post_id, purpose, media_type, size, sha256, filename, \
    (thumbnail IS NOT NULL) AS has_thumbnail, uploaded_by, uploaded_at FROM care_attachments";

pub struct NewAttachment<'a> {
    pub space_id: SpaceId,
    pub post_id: Option<PostId>,
    pub purpose: AttachmentPurpose,
    pub media_type: &'a str,
    pub sha256: &'a str,
    pub filename: &'a str,
    pub data: &'a [u8],
    pub thumbnail: Option<&'a [u8]>,
    pub uploaded_by: UserId,
}

pub async fn insert_attachment(
    tx: &mut Tx,
    a: &NewAttachment<'_>,
    now: Timestamp,
) -> Result<AttachmentId, StoreError> {
    let id: AttachmentId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_attachments (space_id, post_id, purpose, media_type, size, sha256, filename, data, \
             thumbnail, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(a.space_id)
        .bind(a.post_id)
        .bind(a.purpose)
        .bind(a.media_type)
        .bind(a.data.len() as i64)
        .bind(a.sha256)
        .bind(a.filename)
        .bind(a.data)
        .bind(a.thumbnail)
        .bind(a.uploaded_by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

pub async fn attachments_of_posts(
    db: &Db,
    post_ids: &[PostId],
) -> Result<Vec<AttachmentMeta>, StoreError> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{ATTACHMENT_META} WHERE post_id IN ({}) ORDER BY id",
        id_list(post_ids)
    );
    Ok(read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?))
}

pub async fn attachment_meta(
    db: &Db,
    id: AttachmentId,
) -> Result<Option<AttachmentMeta>, StoreError> {
    let sql = format!("{ATTACHMENT_META} WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

/// The stored bytes (or the thumbnail).
pub async fn attachment_bytes(
    db: &Db,
    id: AttachmentId,
    thumbnail: bool,
) -> Result<Option<Vec<u8>>, StoreError> {
    let sql = if thumbnail {
        "SELECT thumbnail FROM care_attachments WHERE id = $1"
    } else {
        "SELECT data FROM care_attachments WHERE id = $1"
    };
    let bytes: Option<Option<Vec<u8>>> = read!(db, |c| {
        sqlx::query_scalar(sql).bind(id).fetch_optional(c).await?
    });
    Ok(bytes.flatten())
}
