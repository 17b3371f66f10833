//! The timeline: one page of a space's posts, with receipts written and the
//! reading audited.

use super::*;

impl Care {
    /// One page of a timeline. Shown posts are marked read and the reading
    /// is audited in one group-committed write before the page is returned.
    pub async fn timeline(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        q: TimelineQuery,
        now: Timestamp,
    ) -> Result<TimelineView, CareError> {
        let allowed = self.require(p, ctx, space_id, "timeline.read", now).await?;
        self.timeline_of(p, ctx, allowed, None, q, now).await
    }

    /// A patient's timeline, addressed by patient id: the patient is read
    /// once and handed on.
    pub async fn patient_timeline(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        q: TimelineQuery,
        now: Timestamp,
    ) -> Result<TimelineView, CareError> {
        let (row, access, patient) = self.access_to_patient(p, patient_id, now).await?;
        let access = match access {
            Some(a) => a,
            None => return Err(self.conceal(p, ctx, &row, "timeline.read").await),
        };
        self.timeline_of(p, ctx, (row, access), Some(patient), q, now)
            .await
    }

    /// A page of a timeline the caller may read (`allowed`: the access
    /// query's row and decision).
    async fn timeline_of(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        allowed: (store::AccessRow, Access),
        patient: Option<Patient>,
        mut q: TimelineQuery,
        now: Timestamp,
    ) -> Result<TimelineView, CareError> {
        let (row, access) = allowed;
        let space_id = row.space_id;
        if q.limit <= 0 {
            q.limit = self.config.page_size;
        }
        let limit = q.limit;
        q.limit += 1;
        if let Some(t) = &q.text {
            let folded = fold(t.trim());
            q.text = (!folded.is_empty()).then_some(folded);
        }
        let mut posts = store::timeline(&self.db, space_id, &q).await?;
        let next_before = if posts.len() as i64 > limit {
            posts.truncate(limit as usize);
            posts.last().map(|p| p.id)
        } else {
            None
        };
        let first_page =
            q.before.is_none() && q.text.is_none() && q.category == CategoryFilter::Any;
        let urgent = if first_page && row.open_urgent > 0 {
            store::open_urgent(&self.db, space_id).await?
        } else {
            Vec::new()
        };
        let search = q.text.is_some();
        let answered: Vec<PostId> = posts
            .iter()
            .filter(|p| p.has_replies)
            .map(|p| p.id)
            .collect();
        let replies = if search {
            Vec::new()
        } else {
            store::replies(&self.db, &answered).await?
        };
        let members = store::members(&self.db, space_id).await?;
        let (urgent, posts) = self
            .views(p, &access, &members, posts, replies, urgent)
            .await?;
        // Receipts: what this page showed, by a member (break-glass readers
        // leave no receipt: they are not part of the team's conversation).
        let mut shown: Vec<PostId> = Vec::new();
        // A read-only API token leaves no receipt: it may change nothing.
        if access.may_write() && p.may_write() {
            for v in urgent.iter().chain(posts.iter()) {
                if v.post.author_id != p.user_id
                    && !v.receipts.iter().any(|r| r.user_id == p.user_id)
                {
                    shown.push(v.post.id);
                }
                for r in &v.replies {
                    if r.post.author_id != p.user_id
                        && !r.receipts.iter().any(|x| x.user_id == p.user_id)
                    {
                        shown.push(r.post.id);
                    }
                }
            }
            shown.sort_unstable();
            shown.dedup();
        }
        let entry = space_audit(p, ctx, "timeline.read", &row, Some(&access));
        let user = p.user_id;
        self.batcher
            .run(move |tx| {
                Box::pin(async move {
                    store::mark_read(tx, user, &shown, now).await?;
                    audit::append(tx, &entry).await?;
                    Ok(())
                })
            })
            .await?;
        let patient = match (patient, row.patient_id) {
            (Some(pt), _) => Some(pt),
            (None, Some(_)) => store::patient_by_space(&self.db, space_id).await?,
            (None, None) => None,
        };
        Ok(TimelineView {
            space: row.space(),
            patient,
            consent_active: row.consent_id.is_some(),
            access,
            urgent,
            posts,
            next_before,
            members,
        })
    }

    pub(super) async fn views(
        &self,
        p: &Principal,
        access: &Access,
        members: &[Member],
        posts: Vec<Post>,
        replies: Vec<Post>,
        urgent: Vec<Post>,
    ) -> Result<(Vec<PostView>, Vec<PostView>), CareError> {
        let posts = shown_to(access, p, posts);
        let replies = shown_to(access, p, replies);
        let urgent = shown_to(access, p, urgent);
        let mut with_files: Vec<PostId> = posts
            .iter()
            .chain(replies.iter())
            .chain(urgent.iter())
            .filter(|p| p.has_attachments)
            .map(|p| p.id)
            .collect();
        with_files.sort_unstable();
        with_files.dedup();
        let attachments = store::attachments_of_posts(&self.db, &with_files).await?;
        // Readers are (or were) members: the team list names them.
        let names: HashMap<UserId, &str> = members
            .iter()
            .map(|m| (m.user_id, m.display_name.as_str()))
            .collect();
        let receipts_of = |post: &Post| -> Vec<Receipt> {
            post.readers()
                .into_iter()
                .map(|(user_id, read_at)| Receipt {
                    post_id: post.id,
                    user_id,
                    display_name: names.get(&user_id).copied().unwrap_or("—").to_string(),
                    read_at,
                })
                .collect()
        };
        let mut files: HashMap<PostId, Vec<AttachmentMeta>> = HashMap::new();
        for a in attachments {
            if let Some(pid) = a.post_id {
                files.entry(pid).or_default().push(a);
            }
        }
        let me = p.user_id;
        let my_handle = format!("@{}", p.username);
        let lead = access.is_lead();
        let role = access.team_role();
        let make = |post: Post| -> PostView {
            let mine = post.author_id == me && post.kind == PostKind::Post;
            let open = post.withdrawn_at.is_none();
            PostView {
                receipts: receipts_of(&post),
                attachments: if open {
                    files.get(&post.id).cloned().unwrap_or_default()
                } else {
                    Vec::new()
                },
                mentions_me: post.body.contains(&my_handle),
                may_ack: open
                    && post.urgent
                    && post.acked_at.is_none()
                    && role.is_some_and(|r| post.ack_role.is_some_and(|a| acknowledges(a, r))),
                may_edit: mine && open && access.may_write(),
                may_withdraw: open
                    && access.may_write()
                    && (mine || (lead && post.kind == PostKind::Post)),
                replies: Vec::new(),
                post,
            }
        };
        let mut reply_views: HashMap<PostId, Vec<PostView>> = HashMap::new();
        for r in replies {
            if let Some(parent) = r.reply_to {
                reply_views.entry(parent).or_default().push(make(r));
            }
        }
        let urgent_views = urgent.into_iter().map(&make).collect();
        let post_views = posts
            .into_iter()
            .map(|post| {
                let id = post.id;
                let mut v = make(post);
                v.replies = reply_views.remove(&id).unwrap_or_default();
                v
            })
            .collect();
        Ok((urgent_views, post_views))
    }
}
