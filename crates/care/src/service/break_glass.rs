//! Break-glass (緊急アクセス): time-limited, read-only, audited access for those
//! outside the team, and the notice to the region's watchers.

use super::*;

impl Care {
    /// Emergency access for a coordinator or EMS user who knows whom they
    /// look for (insured number or patient id): a reason is required, the
    /// access is read-only and time-limited, the team sees a notice in the
    /// timeline and gets an e-mail, and the audit record is flagged.
    pub async fn break_glass(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        request: &BreakGlassRequest,
        now: Timestamp,
    ) -> Result<PatientId, CareError> {
        if !p.role.may(Permission::BreakGlass) {
            return Err(CareError::Forbidden);
        }
        let region = p.region_scope().ok_or(CareError::Forbidden)?;
        let (insured, name_key, birth_date, reason) = request.check()?;
        // The attempt is recorded (committed) before it is counted, so that
        // parallel requests cannot all slip under the limit: each counts at
        // least every attempt committed before its own.
        let mut tx = self.db.begin().await?;
        let attempt = store::insert_break_glass_attempt(&mut tx, p.user_id, now, false).await?;
        tx.commit().await?;
        let since = now.plus_seconds(-86_400);
        let attempts = store::break_glass_attempts_since(&self.db, p.user_id, since).await?;
        if attempts > self.config.break_glass_per_day {
            let mut a = audit_entry(p, ctx, "patient.break_glass", "patient", 0);
            a.outcome = Some(Outcome::Denied);
            a.reason = format!(
                "limit of {} a day reached: {reason}",
                self.config.break_glass_per_day
            );
            self.audit(vec![a]).await?;
            return Err(CareError::Limited(self.config.break_glass_per_day));
        }
        let found = store::find_patients_for_break_glass(
            &self.db,
            region,
            &insured,
            &name_key,
            &birth_date,
        )
        .await?;
        let patient = match found.as_slice() {
            [one] => one.clone(),
            many => {
                let mut tx = self.db.begin().await?;
                let mut a = audit_entry(p, ctx, "patient.break_glass", "patient", 0);
                a.outcome = Some(Outcome::Failure);
                a.reason = format!(
                    "{} for the identification given: {reason}",
                    if many.is_empty() {
                        "no patient"
                    } else {
                        "several patients"
                    }
                );
                audit::append(&mut tx, &a).await?;
                tx.commit().await?;
                return Err(if many.is_empty() {
                    invalid(
                        "insured_number",
                        "not_found",
                        "該当する患者が見つかりません。被保険者番号、または氏名と生年月日を確かめてください。",
                        "No patient matches. Check the insured number, or the name and birth date.",
                    )
                } else {
                    invalid(
                        "insured_number",
                        "ambiguous",
                        "氏名と生年月日が同じ患者が複数います。被保険者番号で探してください。",
                        "Several patients share this name and birth date. Use the insured number.",
                    )
                });
            }
        };
        let expires = now.plus_seconds(self.config.break_glass_minutes * 60);
        let mut tx = self.db.begin().await?;
        store::mark_break_glass_attempt_found(&mut tx, attempt).await?;
        let id = store::insert_break_glass(&mut tx, patient.id, p.user_id, &reason, now, expires)
            .await?;
        let body = format!(
            "緊急アクセス: {}（{}）が {} まで閲覧しています。理由: {}\nBreak-glass access by {} until {}. Reason: {}",
            p.display_name,
            p.role.label_ja(),
            expires.to_jst_display(),
            reason,
            p.display_name,
            expires.to_jst_display(),
            reason
        );
        store::insert_post(
            &mut tx,
            &store::NewPost {
                space_id: patient.space_id,
                author_id: p.user_id,
                author_role: PostAuthorRole::BreakGlass,
                kind: PostKind::Notice,
                category: PostCategory::Other,
                search_text: fold(&body),
                body,
                reply_to: None,
                vitals: Vitals::default(),
                urgent: false,
                ack_role: None,
                idempotency_key: None,
                request_hash: String::new(),
                mentions: Vec::new(),
            },
            now,
        )
        .await?;
        let mut a = audit_entry(p, ctx, "patient.break_glass", "patient", patient.id);
        a.patient_id = Some(patient.id.to_string());
        a.reason = format!("break-glass #{id}: {reason}");
        audit::append(&mut tx, &a).await?;
        tx.commit().await?;
        self.notify_urgent(patient.space_id, Some(patient.id), p.user_id);
        self.notify_break_glass_watchers(region, p, id, request.reason_code, now);
        Ok(patient.id)
    }

    /// Tells the region's coordinators and administrators of a break-glass
    /// use: who, when and why (the reason category), never which patient,
    /// since e-mail carries no patient information. They find the record in
    /// the audit trail by its number.
    fn notify_break_glass_watchers(
        &self,
        region_id: RegionId,
        p: &Principal,
        id: BreakGlassId,
        reason: BreakGlassReason,
        at: Timestamp,
    ) {
        let db = self.db.clone();
        let mailer = self.mailer.clone();
        let who = format!("{}（{}）", p.display_name, p.role.label_ja());
        let link = format!(
            "{}/admin/audit?action=patient.break_glass",
            self.config.public_url
        );
        let actor = p.user_id;
        tokio::spawn(async move {
            let recipients = match store::break_glass_watchers(
                &db,
                region_id,
                BREAK_GLASS_WATCHERS,
                actor,
            )
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "break-glass watchers");
                    return;
                }
            };
            for r in recipients {
                let mail = Mail {
                    to: r.email.clone(),
                    subject: format!("【Renkei】緊急アクセスが使われました #{id} / Break-glass access used"),
                    body: format!(
                        "圏域内で緊急アクセスが使われました。\n利用者: {who}\n日時: {}\n理由の分類: {}\n記録番号: #{id}\n\n\
                         Break-glass access was used in your region by {who} at {} ({}), record #{id}.\n\n{link}\n",
                        at.to_jst_display(),
                        reason.label_ja(),
                        at.to_jst_display(),
                        reason.label_en(),
                    ),
                };
                if let Err(e) = mailer.send(mail).await {
                    tracing::warn!(error = %e, user = %r.user_id, "break-glass notice not sent");
                }
            }
        });
    }

    pub async fn active_break_glass(
        &self,
        p: &Principal,
        now: Timestamp,
    ) -> Result<Vec<BreakGlassAccess>, CareError> {
        Ok(store::active_break_glass(&self.db, p.user_id, now).await?)
    }
}
