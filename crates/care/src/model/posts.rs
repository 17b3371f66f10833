//! Posts: what is written, what is read back, versions, receipts and
//! attachments.

use super::*;

/// A new post.
#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub category: String,
    pub body: String,
    pub vitals: Vitals,
    pub urgent: bool,
    pub ack_role: String,
    pub reply_to: Option<PostId>,
    pub idempotency_key: String,
    /// The writer confirmed values outside the plausible range.
    pub confirm_unusual: bool,
}

/// What posting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostOutcome {
    pub post_id: PostId,
    /// The same key was already used for this exact post: nothing new was
    /// written (a retry over a bad link).
    pub duplicate: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Post {
    pub id: PostId,
    pub space_id: SpaceId,
    pub author_id: UserId,
    pub author_name: String,
    pub author_profession: Profession,
    pub author_role: PostAuthorRole,
    pub kind: PostKind,
    pub category: PostCategory,
    pub body: String,
    pub reply_to: Option<PostId>,
    pub temperature: Option<f64>,
    pub bp_systolic: Option<f64>,
    pub bp_diastolic: Option<f64>,
    pub pulse: Option<f64>,
    pub spo2: Option<f64>,
    pub respiration: Option<f64>,
    pub weight: Option<f64>,
    pub glucose: Option<f64>,
    pub pain: Option<f64>,
    pub has_vitals: bool,
    pub urgent: bool,
    pub ack_role: Option<TeamRole>,
    pub acked_by: Option<UserId>,
    pub acked_by_name: Option<String>,
    pub acked_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by: Option<UserId>,
    pub withdrawn_reason: String,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    /// Whether any reply or attachment exists, so that a page asks for
    /// replies and attachments only when there are some.
    pub has_replies: bool,
    pub has_attachments: bool,
    /// Who has read the post, as `user:millis,…` (timeline queries only;
    /// see [`Post::readers`]).
    #[sqlx(default)]
    pub read_by: Option<String>,
}

impl Post {
    /// The post without its structured vital signs (for readers who may not
    /// see them; see `Access::sees_vitals`).
    pub fn without_vitals(mut self) -> Self {
        self.temperature = None;
        self.bp_systolic = None;
        self.bp_diastolic = None;
        self.pulse = None;
        self.spo2 = None;
        self.respiration = None;
        self.weight = None;
        self.glucose = None;
        self.pain = None;
        self.has_vitals = false;
        self
    }

    /// The (user, read at) pairs of `read_by`, earliest first.
    pub fn readers(&self) -> Vec<(UserId, i64)> {
        parse_readers(self.read_by.as_deref().unwrap_or_default())
    }

    pub fn vitals(&self) -> Vitals {
        Vitals {
            temperature: self.temperature,
            bp_systolic: self.bp_systolic,
            bp_diastolic: self.bp_diastolic,
            pulse: self.pulse,
            spo2: self.spo2,
            respiration: self.respiration,
            weight: self.weight,
            glucose: self.glucose,
            pain: self.pain,
        }
    }
}

/// `user:millis,…` as (user, read at) pairs, earliest first.
fn parse_readers(read_by: &str) -> Vec<(UserId, i64)> {
    let mut out: Vec<(UserId, i64)> = read_by
        .split(',')
        .filter_map(|pair| {
            let (user, at) = pair.split_once(':')?;
            Some((user.trim().parse().ok()?, at.trim().parse().ok()?))
        })
        .collect();
    out.sort_by_key(|&(user, at)| (at, user));
    out
}

/// An earlier version of an edited post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostVersion {
    pub version: i64,
    pub category: PostCategory,
    pub body: String,
    /// Stored as JSON; the store reads it apart.
    #[sqlx(skip)]
    pub vitals: Vitals,
    pub written_by: UserId,
    pub written_by_name: String,
    pub written_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Receipt {
    pub post_id: PostId,
    pub user_id: UserId,
    pub display_name: String,
    pub read_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttachmentMeta {
    pub id: AttachmentId,
    pub space_id: SpaceId,
    pub post_id: Option<PostId>,
    pub purpose: AttachmentPurpose,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub filename: String,
    pub has_thumbnail: bool,
    pub uploaded_by: UserId,
    pub uploaded_at: i64,
}

/// One post with what its card shows.
#[derive(Debug, Clone)]
pub struct PostView {
    pub post: Post,
    pub replies: Vec<PostView>,
    pub receipts: Vec<Receipt>,
    pub attachments: Vec<AttachmentMeta>,
    pub mentions_me: bool,
    pub may_ack: bool,
    pub may_edit: bool,
    pub may_withdraw: bool,
}

/// One post with what its page shows: the card, the earlier versions the
/// reader may see, and whose space it is in.
#[derive(Debug, Clone)]
pub struct PostDetail {
    pub view: PostView,
    pub versions: Vec<PostVersion>,
    pub space_id: SpaceId,
    /// `None` for a group's post.
    pub patient_id: Option<PatientId>,
}

#[cfg(test)]
mod tests {
    use super::parse_readers;
    use renkei_domain::UserId;

    #[test]
    fn readers_come_earliest_first_and_nothing_reads_as_no_one() {
        assert_eq!(
            parse_readers("7:300,3:100,5:300"),
            vec![(UserId(3), 100), (UserId(5), 300), (UserId(7), 300)]
        );
        assert!(parse_readers("").is_empty());
        assert_eq!(parse_readers("x:1,4:2,9"), vec![(UserId(4), 2)]);
    }
}
