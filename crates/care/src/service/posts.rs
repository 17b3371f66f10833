//! Posts: writing (checked, idempotent, group-committed), acknowledging
//! urgent posts, receipts, edits, withdrawal, attachments and the vital
//! signs of a patient.

use super::*;

/// A post as its checks found it.
struct CheckedPost {
    category: PostCategory,
    /// Who must acknowledge (urgent posts only).
    ack_role: Option<TeamRole>,
    mentions: Vec<UserId>,
}

/// Whether an idempotency key is 8–100 characters of A–Z, a–z, 0–9, `-`, `_`.
pub(super) fn valid_key(key: &str) -> bool {
    (8..=100).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Care {
    /// Validates a post: category, text, vital signs (with the plausibility
    /// confirmation), urgency and mentions. Returns the mentioned user ids.
    fn validate_post(
        &self,
        row: &store::AccessRow,
        input: &PostInput,
        members: &[Member],
        uploads: usize,
    ) -> Result<CheckedPost, CareError> {
        let mut e = ValidationErrors::new();
        let category = PostCategory::from_code(&input.category);
        if category.is_none() {
            e.add(
                "category",
                "choice",
                "分類を選んでください。",
                "Choose a category.",
            );
        }
        let body_len = input.body.chars().count();
        if input.body.trim().is_empty() && input.vitals.is_empty() && uploads == 0 {
            e.add(
                "body",
                "required",
                "本文・バイタル・添付のいずれかを入力してください。",
                "Write something, add vital signs or attach a file.",
            );
        }
        if body_len > 10_000 {
            e.add(
                "body",
                "too_long",
                "本文は10,000文字以内です。",
                "At most 10,000 characters.",
            );
        }
        if row.patient_id.is_none() && !input.vitals.is_empty() {
            e.add(
                "vital_temperature",
                "no_patient_information",
                "このグループは患者情報を扱いません。バイタルは患者のタイムラインに書いてください。",
                "This group carries no patient information; post vital signs in the patient's timeline.",
            );
        }
        let warnings = input.vitals.check(&mut e);
        if !input.confirm_unusual {
            for (code, ja, en) in warnings.0 {
                e.add(&format!("vital_{code}"), "unusual", &ja, &en);
            }
        }
        let ack_role = if input.urgent {
            TeamRole::from_code(&input.ack_role)
        } else {
            None
        };
        if input.urgent {
            match ack_role {
                None => e.add(
                    "ack_role",
                    "required",
                    "確認してほしい役割を選んでください。",
                    "Choose who must acknowledge.",
                ),
                Some(role) => {
                    let present = members.iter().any(|m| {
                        m.status == MemberStatus::Active && acknowledges(role, m.team_role)
                    });
                    if !present {
                        e.add(
                            "ack_role",
                            "absent",
                            &format!("このチームに「{}」のメンバーがいません。", role.label_ja()),
                            &format!("Nobody in this team is {}.", role.label_en()),
                        );
                    }
                }
            }
        }
        let mut mentions = Vec::new();
        for name in mention_names(&input.body) {
            match members
                .iter()
                .find(|m| m.status == MemberStatus::Active && username_matches(m, &name))
            {
                Some(m) => mentions.push(m.user_id),
                None => e.add(
                    "body",
                    "mention",
                    &format!("@{name} はこのチームのメンバーではありません。"),
                    &format!("@{name} is not a member of this team."),
                ),
            }
        }
        match category {
            Some(category) if e.is_empty() => Ok(CheckedPost {
                category,
                ack_role,
                mentions,
            }),
            // An unknown category added its field error.
            _ => Err(CareError::Validation(e)),
        }
    }

    /// Posts to a space. A retry with the same idempotency key and the same
    /// content returns the first post; the same key with different content
    /// is a conflict. The answer comes only after the commit.
    pub async fn post(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        input: PostInput,
        uploads: Vec<CheckedUpload>,
        now: Timestamp,
    ) -> Result<PostOutcome, CareError> {
        let (row, access) = self.require(p, ctx, space_id, "post.create", now).await?;
        if !access.may_write() {
            return Err(self.deny(p, ctx, &row, "post.create").await);
        }
        if !valid_key(&input.idempotency_key) {
            return Err(invalid(
                "idempotency_key",
                "invalid",
                "送信キーが正しくありません。画面を読み込み直してください。",
                "Idempotency key must be 8–100 characters of A–Z, a–z, 0–9, '-' or '_'.",
            ));
        }
        let members = store::members(&self.db, space_id).await?;
        let checked = self.validate_post(&row, &input, &members, uploads.len())?;
        if let Some(parent) = input.reply_to {
            match store::post(&self.db, parent).await? {
                Some(pp) if pp.space_id == space_id && pp.reply_to.is_none() => {}
                _ => {
                    return Err(invalid(
                        "reply_to",
                        "unknown",
                        "返信先の投稿が見つかりません。",
                        "The post replied to was not found.",
                    ))
                }
            }
        }
        let vitals = input.vitals.rounded();
        let mut hasher = Sha256::new();
        hasher.update(input.category.as_bytes());
        hasher.update([0]);
        hasher.update(input.body.as_bytes());
        hasher.update([0]);
        let vitals_json = serde_json::to_string(&vitals)
            .map_err(|e| StoreError::Invalid(format!("vital signs as JSON: {e}")))?;
        hasher.update(vitals_json.as_bytes());
        hasher.update(
            format!("|{}|{}|{:?}", input.urgent, input.ack_role, input.reply_to).as_bytes(),
        );
        for u in &uploads {
            hasher.update(u.sha256.as_bytes());
        }
        let request_hash = hex::encode(hasher.finalize());
        let team_role = access.team_role().unwrap_or(TeamRole::Other);
        let new_post = store::NewPost {
            space_id,
            author_id: p.user_id,
            author_role: PostAuthorRole::Team(team_role),
            kind: PostKind::Post,
            category: checked.category,
            search_text: fold(&input.body),
            body: input.body.clone(),
            reply_to: input.reply_to,
            vitals,
            urgent: input.urgent,
            ack_role: checked.ack_role,
            idempotency_key: Some(input.idempotency_key.clone()),
            request_hash: request_hash.clone(),
            mentions: checked.mentions,
        };
        let audit_entry = space_audit(p, ctx, "post.create", &row, Some(&access));
        let author = p.user_id;
        let key = input.idempotency_key.clone();
        enum Done {
            New(PostId),
            Duplicate(PostId),
            KeyReused,
        }
        let done = self
            .batcher
            .run(move |tx| {
                Box::pin(async move {
                    if let Some(existing) = store::post_by_key(tx, author, &key).await? {
                        return Ok(
                            if existing.request_hash == request_hash
                                && existing.space_id == new_post.space_id
                            {
                                Done::Duplicate(existing.id)
                            } else {
                                Done::KeyReused
                            },
                        );
                    }
                    let id = store::insert_post(tx, &new_post, now).await?;
                    for u in &uploads {
                        store::insert_attachment(
                            tx,
                            &store::NewAttachment {
                                space_id: new_post.space_id,
                                post_id: Some(id),
                                purpose: AttachmentPurpose::Post,
                                media_type: u.media_type,
                                sha256: &u.sha256,
                                filename: &u.filename,
                                data: &u.data,
                                thumbnail: u.thumbnail.as_deref(),
                                uploaded_by: author,
                            },
                            now,
                        )
                        .await?;
                    }
                    audit::append(tx, &about(audit_entry, "post", id)).await?;
                    Ok(Done::New(id))
                })
            })
            .await?;
        match done {
            Done::New(id) => {
                if input.urgent {
                    self.notify_urgent(space_id, row.patient_id, author);
                }
                Ok(PostOutcome {
                    post_id: id,
                    duplicate: false,
                })
            }
            Done::Duplicate(id) => Ok(PostOutcome {
                post_id: id,
                duplicate: true,
            }),
            Done::KeyReused => Err(CareError::Conflict(
                "this idempotency key was already used for a different post".into(),
            )),
        }
    }

    /// E-mails the team about an urgent post: a link, never patient content.
    pub(super) fn notify_urgent(
        &self,
        space_id: SpaceId,
        patient_id: Option<PatientId>,
        author: UserId,
    ) {
        let db = self.db.clone();
        let mailer = self.mailer.clone();
        let link = match patient_id {
            Some(pid) => format!("{}/patients/{pid}", self.config.public_url),
            None => format!("{}/groups/{space_id}", self.config.public_url),
        };
        tokio::spawn(async move {
            let recipients = match store::urgent_recipients(&db, space_id, author).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "urgent recipients");
                    return;
                }
            };
            for r in recipients {
                let mail = Mail {
                    to: r.email.clone(),
                    subject: "【Renkei】至急の確認依頼があります / Urgent post".into(),
                    body: format!(
                        "担当チームに至急の確認依頼が投稿されました。内容は Renkei にログインしてご確認ください。\n\
                         An urgent post needs your attention. Sign in to Renkei to read it.\n\n{link}\n"
                    ),
                };
                if let Err(e) = mailer.send(mail).await {
                    tracing::warn!(error = %e, user = %r.user_id, "urgent mail not sent");
                }
            }
        });
    }

    pub(super) async fn post_and_access(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        action: &str,
        now: Timestamp,
    ) -> Result<(Post, store::AccessRow, Access), CareError> {
        let post = store::post(&self.db, post_id)
            .await?
            .ok_or(CareError::NotFound)?;
        let (row, access) = self.require(p, ctx, post.space_id, action, now).await?;
        Ok((post, row, access))
    }

    /// Acknowledges an urgent post: only a member holding the named role
    /// (a 副主治医 covers for the 主治医).
    pub async fn acknowledge(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.acknowledge", now)
            .await?;
        let allowed = post.urgent
            && access
                .team_role()
                .is_some_and(|r| post.ack_role.is_some_and(|a| acknowledges(a, r)));
        if !allowed {
            return Err(self.deny(p, ctx, &row, "post.acknowledge").await);
        }
        if post.acked_at.is_some() {
            return Err(CareError::Conflict("already acknowledged".into()));
        }
        let e = about(
            space_audit(p, ctx, "post.acknowledge", &row, Some(&access)),
            "post",
            post_id,
        );
        let user = p.user_id;
        let done = self
            .batcher
            .run(move |tx| {
                Box::pin(async move {
                    if !store::acknowledge(tx, post_id, user, now).await? {
                        return Ok(false);
                    }
                    store::mark_read(tx, user, &[post_id], now).await?;
                    audit::append(tx, &e).await?;
                    Ok(true)
                })
            })
            .await?;
        if !done {
            return Err(CareError::Conflict("already acknowledged".into()));
        }
        Ok(post.space_id)
    }

    /// Marks one post read (the API's explicit receipt).
    pub async fn mark_read(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.read", now)
            .await?;
        if !access.may_write() {
            return Err(self.deny(p, ctx, &row, "post.read").await);
        }
        let e = about(
            space_audit(p, ctx, "post.read", &row, Some(&access)),
            "post",
            post.id,
        );
        let user = p.user_id;
        self.batcher
            .run(move |tx| {
                Box::pin(async move {
                    store::mark_read(tx, user, &[post_id], now).await?;
                    audit::append(tx, &e).await?;
                    Ok(())
                })
            })
            .await?;
        Ok(())
    }

    /// A post with its receipts, replies and earlier versions (audited).
    pub async fn post_detail(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<PostDetail, CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.read", now)
            .await?;
        let replies = store::replies(&self.db, &[post.id]).await?;
        let members = store::members(&self.db, post.space_id).await?;
        let (_, mut views) = self
            .views(p, &access, &members, vec![post], replies, Vec::new())
            .await?;
        let view = views.pop().ok_or(CareError::NotFound)?;
        // A withdrawn post's earlier texts are its author's alone; the team
        // sees the marker and the reason. The versions stay in the database
        // and the audit trail records every edit and the withdrawal.
        let versions = if view.post.withdrawn_at.is_some() && view.post.author_id != p.user_id {
            Vec::new()
        } else {
            store::post_versions(&self.db, &[post_id])
                .await?
                .into_iter()
                .map(|(_, v)| v)
                .collect()
        };
        let e = about(
            space_audit(p, ctx, "post.read", &row, Some(&access)),
            "post",
            post_id,
        );
        self.audit(vec![e]).await?;
        Ok(PostDetail {
            view,
            versions,
            space_id: row.space_id,
            patient_id: row.patient_id,
        })
    }

    /// The author edits a post; the earlier text stays as a visible version.
    pub async fn edit_post(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        input: PostInput,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.edit", now)
            .await?;
        if post.author_id != p.user_id || post.kind != PostKind::Post || !access.may_write() {
            return Err(self.deny(p, ctx, &row, "post.edit").await);
        }
        if post.withdrawn_at.is_some() {
            return Err(CareError::Conflict("the post was withdrawn".into()));
        }
        let members = store::members(&self.db, post.space_id).await?;
        // The urgency of a post is not editable; only its content is checked.
        let check = PostInput {
            urgent: false,
            ..input.clone()
        };
        let attachments = store::attachments_of_posts(&self.db, &[post_id])
            .await?
            .len();
        let checked = self.validate_post(&row, &check, &members, attachments)?;
        let vitals = input.vitals.rounded();
        let mut tx = self.db.begin().await?;
        let current = store::post_in_tx(&mut tx, post_id)
            .await?
            .ok_or(CareError::NotFound)?;
        store::edit_post(
            &mut tx,
            &current,
            &store::PostEdit {
                category: checked.category,
                body: &input.body,
                search_text: &fold(&input.body),
                vitals: &vitals,
            },
            p.user_id,
            now,
        )
        .await?;
        let e = about(
            space_audit(p, ctx, "post.edit", &row, Some(&access)),
            "post",
            post_id,
        );
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(post.space_id)
    }

    /// Withdraws a post (its author, or the team lead): the text leaves the
    /// timeline, a marker stays, and the audit trail says who and why.
    pub async fn withdraw_post(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        reason: &str,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.withdraw", now)
            .await?;
        let mine = post.author_id == p.user_id;
        if !access.may_write() || post.kind != PostKind::Post || !(mine || access.is_lead()) {
            return Err(self.deny(p, ctx, &row, "post.withdraw").await);
        }
        if reason.trim().is_empty() {
            return Err(invalid(
                "reason",
                "required",
                "取り消しの理由を入力してください。",
                "Give a reason.",
            ));
        }
        let mut tx = self.db.begin().await?;
        if !store::withdraw_post(&mut tx, post_id, p.user_id, reason.trim(), now).await? {
            return Err(CareError::Conflict("already withdrawn".into()));
        }
        let mut e = about(
            space_audit(p, ctx, "post.withdraw", &row, Some(&access)),
            "post",
            post_id,
        );
        e.reason = reason.trim().to_string();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(post.space_id)
    }

    /// Who has read a post, and when.
    pub async fn receipts(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, CareError> {
        Ok(self.post_detail(p, ctx, post_id, now).await?.view.receipts)
    }

    /// An attachment's bytes (audited). Consent forms are for professionals.
    pub async fn attachment(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: AttachmentId,
        thumbnail: bool,
        now: Timestamp,
    ) -> Result<(AttachmentMeta, Vec<u8>), CareError> {
        let meta = store::attachment_meta(&self.db, id)
            .await?
            .ok_or(CareError::NotFound)?;
        let (row, access) = self
            .require(p, ctx, meta.space_id, "attachment.read", now)
            .await?;
        if meta.purpose == AttachmentPurpose::Consent && !access.sees_clinical() {
            return Err(self.deny(p, ctx, &row, "attachment.read").await);
        }
        if let Some(post_id) = meta.post_id {
            if let Some(post) = store::post(&self.db, post_id).await? {
                if post.withdrawn_at.is_some() {
                    return Err(CareError::NotFound);
                }
            }
        }
        let bytes = store::attachment_bytes(&self.db, id, thumbnail)
            .await?
            .ok_or(CareError::NotFound)?;
        let e = about(
            space_audit(p, ctx, "attachment.read", &row, Some(&access)),
            "attachment",
            id,
        );
        self.audit(vec![e]).await?;
        Ok((meta, bytes))
    }

    /// Posts with vital signs of the last `days` days, for the charts.
    pub async fn vitals(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        days: i64,
        now: Timestamp,
    ) -> Result<(Patient, Vec<Post>), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "vitals.read", now)
            .await?;
        if !access.sees_vitals() {
            return Err(self.deny(p, ctx, &row, "vitals.read").await);
        }
        let since = now.plus_seconds(-days.clamp(1, 3650) * 86_400);
        let posts = store::vitals_since(&self.db, patient.space_id, since).await?;
        self.audit(vec![space_audit(
            p,
            ctx,
            "vitals.read",
            &row,
            Some(&access),
        )])
        .await?;
        Ok((patient, posts))
    }
}
