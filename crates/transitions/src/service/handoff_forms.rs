//! The handoff forms: read (pre-filled for the team, opened by the hospital), saved, sent in Renkei or logged as FAX or phone, acknowledged.

use super::*;

impl Transitions {
    // ------------------------------------------------------------- forms

    /// A form to read or fill in. The team gets a draft pre-filled from
    /// the record, summary, team and latest vital signs when none is saved;
    /// the hospital sees only a form that was sent, and its first opening
    /// is recorded.
    pub async fn form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        kind: FormKind,
        now: Timestamp,
    ) -> Result<FormView, TransitionsError> {
        let stay = self.stay_row(id).await?;
        let viewer = self.viewer(p, ctx, &stay, now).await?;
        let saved = store::form(&self.db, id, kind).await?;
        let (form, content) = match (viewer, saved) {
            (Viewer::Hospital, Some(f))
                if f.status != FormStatus::Draft && kind == FormKind::Admission =>
            {
                let mut f = f;
                if f.status == FormStatus::Sent {
                    let mut tx = self.db.begin().await?;
                    if store::mark_opened(&mut tx, f.id, now).await? {
                        f.status = FormStatus::Opened;
                        f.opened_at = Some(now.millis());
                    }
                    tx.commit().await?;
                }
                let content = f.content();
                (f, content)
            }
            (Viewer::Hospital, _) => return Err(TransitionsError::NotFound),
            (Viewer::Team, Some(f)) => {
                let content = f.content();
                (f, content)
            }
            (Viewer::Team, None) => {
                let content = self.prefill(p, ctx, &stay, kind, now).await?;
                let draft = HandoffForm {
                    id: renkei_domain::HandoffFormId(0),
                    stay_id: id,
                    kind,
                    template: self.template_for(&stay, kind).await?.code,
                    content: String::new(),
                    status: FormStatus::Draft,
                    created_by: p.user_id,
                    created_at: now.millis(),
                    updated_at: now.millis(),
                    sent_at: None,
                    channel: None,
                    informed_on: None,
                    received_by: String::new(),
                    opened_at: None,
                    acknowledged_at: None,
                    hospital_note: String::new(),
                    hospital_note_at: None,
                };
                (draft, content)
            }
        };
        self.audit(vec![audit_entry(
            p,
            ctx,
            &format!("form.{}.read", kind.code()),
            "stay",
            id,
            Some(stay.patient_id),
        )])
        .await?;
        let template = if form.id.0 == 0 {
            self.template_for(&stay, kind).await?
        } else {
            self.template_of_form(&form).await?
        };
        Ok(FormView {
            template,
            stay,
            viewer,
            form,
            content,
        })
    }

    /// What the team already knows, in the form's national fields.
    pub(super) async fn prefill(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        stay: &Stay,
        kind: FormKind,
        now: Timestamp,
    ) -> Result<Content, TransitionsError> {
        let mut c = Content::new();
        let mut put = |k: &str, v: String| {
            if !v.trim().is_empty() {
                c.insert(k.to_string(), v);
            }
        };
        let admitted_on = stay.admitted_on().to_string();
        if kind == FormKind::Discharge {
            put("admitted_on", admitted_on);
            put("ward", format!("{} {}", stay.hospital_name, stay.ward));
            if let Some(d) = &stay.planned_discharge_on {
                put("discharge_planned_on", d.clone());
            }
            return Ok(c);
        }
        let (patient, _) = self.care.patient(p, ctx, stay.patient_id, now).await?;
        let r = &patient.record;
        put("filled_on", format_date(now.jst_date()));
        put("admitted_on", admitted_on);
        put("hospital", stay.hospital_name.clone());
        put("name", r.name.clone());
        put("kana", r.kana.clone());
        put("birth_date", r.birth_date.clone());
        put("address", r.address.clone());
        put("phone", r.phone.clone());
        put("care_level", r.care_level.label_ja().to_string());
        if !r.care_level_from.is_empty() || !r.care_level_to.is_empty() {
            put(
                "care_level_period",
                format!("{}〜{}", r.care_level_from, r.care_level_to),
            );
        }
        put(
            "care_application",
            r.care_application.label_ja().to_string(),
        );
        if let Some(v) = r.independence_physical {
            put("independence_physical", v.code().to_string());
        }
        if let Some(v) = r.independence_dementia {
            put("independence_dementia", v.code().to_string());
        }
        if let Some(h) = r.household {
            put("household", h.label_ja().to_string());
            put(
                "daytime_alone",
                if h == renkei_domain::care::Household::AloneDaytime {
                    "あり"
                } else {
                    "なし"
                }
                .to_string(),
            );
        }
        if let Some(k) = r.contacts.iter().find(|k| k.key_person) {
            put("key_person", format!("{}（{}）", k.name, k.relation));
            put("key_person_contact", k.phone.clone());
        }
        let team = self.care.team(p, ctx, patient.space_id, now).await?;
        let active = |role: TeamRole| {
            team.members
                .iter()
                .find(|m| m.team_role == role && m.status == MemberStatus::Active)
        };
        if let Some(cm) = active(TeamRole::CareManager) {
            put("care_manager", cm.display_name.clone());
            put("office", cm.org_name.clone().unwrap_or_default());
        }
        if let Some(doc) = active(TeamRole::AttendingDoctor) {
            put("family_doctor", doc.display_name.clone());
            put("family_clinic", doc.org_name.clone().unwrap_or_default());
            put("visit_style", "訪問診療".to_string());
        }
        let services: Vec<String> = team
            .members
            .iter()
            .filter(|m| {
                m.status == MemberStatus::Active && !matches!(m.team_role, TeamRole::Family)
            })
            .map(|m| {
                format!(
                    "{}: {}",
                    m.team_role.label_ja(),
                    m.org_name.clone().unwrap_or_else(|| m.display_name.clone())
                )
            })
            .collect();
        put("services_before", services.join("\n"));
        if let Ok(summary) = self.care.summary(p, ctx, stay.patient_id, now).await {
            if let Some(s) = summary.current {
                let SummaryFields {
                    diagnoses,
                    medicines,
                    allergies,
                    adl,
                    procedures,
                    notes,
                } = s.fields;
                put("diseases", diagnoses);
                put("medicines_taken", medicines);
                put("allergies", allergies);
                put("procedures_before", procedures);
                put("outlook_notes", [adl, notes].join("\n").trim().to_string());
            }
        }
        if let Ok((_, posts)) = self.care.vitals(p, ctx, stay.patient_id, 14, now).await {
            if let Some(latest) = posts.iter().max_by_key(|post| post.created_at) {
                let mut parts = Vec::new();
                if let Some(t) = latest.temperature {
                    parts.push(format!("体温 {t:.1}℃"));
                }
                if let (Some(s), Some(d)) = (latest.bp_systolic, latest.bp_diastolic) {
                    parts.push(format!("血圧 {s:.0}/{d:.0}"));
                }
                if let Some(v) = latest.pulse {
                    parts.push(format!("脈拍 {v:.0}"));
                }
                if let Some(v) = latest.spo2 {
                    parts.push(format!("SpO2 {v:.0}%"));
                }
                if !parts.is_empty() {
                    put(
                        "latest_vitals",
                        format!(
                            "{} {}",
                            Timestamp(latest.created_at).to_jst_display(),
                            parts.join(" ")
                        ),
                    );
                }
            }
        }
        Ok(c)
    }

    /// Saves a form the team writes (a sent admission form is final).
    pub async fn save_form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        kind: FormKind,
        raw: &Content,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        let saved = store::form(&self.db, id, kind).await?;
        if let Some(f) = &saved {
            if kind == FormKind::Admission && f.status != FormStatus::Draft {
                return Err(TransitionsError::Conflict(
                    "送付済みの入院時情報提供書は変更できません。".into(),
                ));
            }
        }
        // A form keeps the template it was first written in.
        let template = match &saved {
            Some(f) => f.template.clone(),
            None => self.template_for(&stay, kind).await?.code,
        };
        let content = forms::check_content(kind, raw).map_err(|problems| {
            let mut e = ValidationErrors::new();
            for (field, msg) in problems {
                e.add(&field, "field", &msg, &msg);
            }
            TransitionsError::Validation(e)
        })?;
        let json = json(&content)?;
        let mut tx = self.db.begin().await?;
        if store::save_form(&mut tx, id, kind, &template, &json, p.user_id, now)
            .await?
            .is_none()
        {
            return Err(TransitionsError::Conflict(
                "送付済みの入院時情報提供書は変更できません。".into(),
            ));
        }
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                &format!("form.{}.save", kind.code()),
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends the saved admission form to the hospital's liaison inbox in
    /// Renkei; the information is given today (Japan time).
    pub async fn send_admission_form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        let org = self
            .directory
            .receiving_organisation(stay.hospital_entry_id)
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
        let Some(org) = org else {
            return Err(invalid(
                "channel",
                "not_on_renkei",
                "この医療機関は Renkei で受け取れません。印刷して FAX などで送り、送付を記録してください。",
                "This hospital does not receive handoffs in Renkei: print or fax the form and log it.",
            ));
        };
        self.deliver(
            p,
            ctx,
            &stay,
            Some(org),
            ContactChannel::Renkei,
            now.jst_date(),
            "",
            now,
        )
        .await
    }

    /// Logs by hand how the admission form reached a hospital (FAX,
    /// phone, in person, post), and on which day.
    pub async fn log_admission_delivery(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        input: &DeliveryInput,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        let mut errors = ValidationErrors::new();
        let channel =
            ContactChannel::from_code(&input.channel).filter(|c| *c != ContactChannel::Renkei);
        if channel.is_none() {
            errors.add(
                "channel",
                "choice",
                "送付方法を選んでください。",
                "Choose how it was sent.",
            );
        }
        let day = parse_date(&input.informed_on);
        match day {
            None => errors.add(
                "informed_on",
                "date",
                "情報提供日を YYYY-MM-DD の形で入力してください。",
                "Give the day as YYYY-MM-DD.",
            ),
            Some(d) if d > now.jst_date() => errors.add(
                "informed_on",
                "future",
                "情報提供日に未来の日付は入力できません。",
                "The day cannot be in the future.",
            ),
            Some(_) => {}
        }
        errors.into_result()?;
        let (Some(channel), Some(day)) = (channel, day) else {
            return Err(TransitionsError::Forbidden);
        };
        self.deliver(
            p,
            ctx,
            &stay,
            None,
            channel,
            day,
            input.received_by.trim(),
            now,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn deliver(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        stay: &Stay,
        org: Option<OrgId>,
        channel: ContactChannel,
        day: time::Date,
        received_by: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let Some(form) = store::form(&self.db, stay.id, FormKind::Admission).await? else {
            return Err(invalid(
                "form",
                "unsaved",
                "先に入院時情報提供書を保存してください。",
                "Save the admission form first.",
            ));
        };
        if form.status != FormStatus::Draft {
            return Err(TransitionsError::Conflict(
                "この入院時情報提供書は送付済みです。".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        if org.is_some() {
            store::set_hospital_org(&mut tx, stay.id, org, now).await?;
        }
        if !store::mark_sent(
            &mut tx,
            form.id,
            channel,
            &format_date(day),
            received_by,
            p.user_id,
            now,
        )
        .await?
        {
            return Err(TransitionsError::Conflict(
                "この入院時情報提供書は送付済みです。".into(),
            ));
        }
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "form.admission.send",
                "stay",
                stay.id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The hospital confirms it has the admission form.
    pub async fn acknowledge_admission_form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let (stay, form) = self.sent_to_my_hospital(p, ctx, id, now).await?;
        if form.status == FormStatus::Acknowledged {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        store::mark_acknowledged(&mut tx, form.id, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "form.admission.acknowledge",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The stay and its admission sheet as sent to the user's hospital:
    /// its staff only (403 for the team), a sheet that left the draft.
    async fn sent_to_my_hospital(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        now: Timestamp,
    ) -> Result<(Stay, HandoffForm), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Hospital {
            return Err(TransitionsError::Forbidden);
        }
        let form = store::form(&self.db, id, FormKind::Admission)
            .await?
            .filter(|f| f.status != FormStatus::Draft)
            .ok_or(TransitionsError::NotFound)?;
        Ok((stay, form))
    }

    /// The hospital returns the admission sheet annotated with what has
    /// changed since admission (ADL, medication, the family's situation):
    /// the team reads it on the stay. The hospital's staff only, on a
    /// sheet sent to it; the latest note stands. Audited.
    pub async fn annotate_admission_form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        note: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let (stay, form) = self.sent_to_my_hospital(p, ctx, id, now).await?;
        let note = note.trim();
        if note.is_empty() {
            return Err(invalid(
                "hospital_note",
                "required",
                "入院後に変わった点を入力してください。",
                "Say what changed since admission.",
            ));
        }
        if note.chars().count() > 4000 {
            return Err(invalid(
                "hospital_note",
                "length",
                "返送メモは4000文字以内にしてください。",
                "Keep the note within 4,000 characters.",
            ));
        }
        let mut tx = self.db.begin().await?;
        if form.status != FormStatus::Acknowledged {
            store::mark_acknowledged(&mut tx, form.id, p.user_id, now).await?;
        }
        store::annotate(&mut tx, form.id, note, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "form.admission.annotate",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The saved forms of a patient's stays, for the team (FHIR
    /// Composition search). Audited like the stays list.
    pub async fn saved_forms_of_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<Vec<(Stay, HandoffForm, Template)>, TransitionsError> {
        let (_, lines) = self.stays_of_patient(p, ctx, patient_id, now).await?;
        let stays: Vec<Stay> = lines.into_iter().map(|l| l.stay).collect();
        let ids: Vec<StayId> = stays.iter().map(|s| s.id).collect();
        let forms = store::forms_of_stays(&self.db, &ids).await?;
        let mut out = Vec::new();
        for stay in stays {
            for f in forms.iter().filter(|f| f.stay_id == stay.id) {
                let template = self.template_of_form(f).await?;
                out.push((stay.clone(), f.clone(), template));
            }
        }
        let entries: Vec<AuditEntry> = out
            .iter()
            .map(|(stay, f, _)| {
                audit_entry(
                    p,
                    ctx,
                    &format!("form.{}.read", f.kind.code()),
                    "stay",
                    stay.id,
                    Some(stay.patient_id),
                )
            })
            .collect();
        if !entries.is_empty() {
            self.audit(entries).await?;
        }
        Ok(out)
    }
}
