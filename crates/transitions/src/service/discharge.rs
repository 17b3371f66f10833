//! Discharge: the planned day, the discharge itself, the contact log, the discharge summary and pre-discharge conferences.

use super::*;

impl Transitions {
    // --------------------------------------------------------- discharge

    /// The planned discharge day, told by the hospital (or noted by the
    /// team when the hospital phoned): the day it was told is kept, so the
    /// report can say whether it came the rule's days ahead.
    pub async fn plan_discharge(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        on: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        self.viewer(p, ctx, &stay, now).await?;
        let Some(day) = parse_date(on) else {
            return Err(invalid(
                "planned_discharge_on",
                "date",
                "退院予定日を YYYY-MM-DD の形で入力してください。",
                "Give the planned discharge day as YYYY-MM-DD.",
            ));
        };
        if format_date(day).as_str() < stay.admitted_on() {
            return Err(invalid(
                "planned_discharge_on",
                "before_admission",
                "退院予定日は入院日以降にしてください。",
                "The discharge cannot be before the admission.",
            ));
        }
        let body = self
            .rule_of_stay(&stay)
            .await?
            .map(|r| r.body)
            .unwrap_or_default();
        let mut tx = self.db.begin().await?;
        store::plan_discharge(&mut tx, id, &format_date(day), p.user_id, now).await?;
        self.add_hub_task(&mut tx, &stay, &body, day, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "stay.plan_discharge",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        // The care manager (and the home doctor) hear of it by e-mail too,
        // with a link and the day, never the patient's name: the rule's
        // notice days start now.
        // The day is saved whatever happens to the mail.
        let space = match self.care.patient_space(stay.patient_id).await {
            Ok(space) => space,
            Err(e) => {
                tracing::warn!(error = %e, stay = %id, "discharge notice not mailed");
                return Ok(());
            }
        };
        self.care.notify_team(
            space,
            &[TeamRole::CareManager, TeamRole::AttendingDoctor],
            p.user_id,
            TeamNotice {
                subject: "退院予定日の連絡 / Discharge day told".into(),
                text: format!(
                    "担当の患者さんの退院予定日（{}）が {} から連絡されました。退院前の調整は Renkei でご確認ください。\n\
                     A patient of yours is to be discharged on {}. Sign in to Renkei to prepare.",
                    format_date(day),
                    stay.hospital_name,
                    format_date(day),
                ),
                path: format!("/stays/{id}"),
            },
        );
        Ok(())
    }

    /// The day the patient left hospital.
    pub async fn record_discharge(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        on: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        let viewer = self.viewer(p, ctx, &stay, now).await?;
        if let Some(d) = &stay.discharged_on {
            return Err(TransitionsError::Conflict(format!(
                "退院日（{d}）は記録済みです。"
            )));
        }
        let Some(day) = parse_date(on) else {
            return Err(invalid(
                "discharged_on",
                "date",
                "退院日を YYYY-MM-DD の形で入力してください。",
                "Give the discharge day as YYYY-MM-DD.",
            ));
        };
        if format_date(day).as_str() < stay.admitted_on() || day > now.jst_date() {
            return Err(invalid(
                "discharged_on",
                "range",
                "退院日は入院日から今日までの日付にしてください。",
                "The discharge day must be between the admission and today.",
            ));
        }
        let body = self
            .rule_of_stay(&stay)
            .await?
            .map(|r| r.body)
            .unwrap_or_default();
        let mut tx = self.db.begin().await?;
        store::record_discharge(&mut tx, id, &format_date(day), now).await?;
        Self::add_follow_up_task(&mut tx, &stay, &body, day, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "stay.discharge", "stay", id, Some(stay.patient_id)),
        )
        .await?;
        tx.commit().await?;
        // The team hears of it, with the follow-up period of the rule.
        if viewer == Viewer::Team {
            let until = format_date(day + Duration::days(i64::from(body.follow_up_days)));
            let post = PostInput {
                category: "other".into(),
                body: format!(
                    "【退院】{} を {} に退院。退院後のフォロー期間は {} まで（{}日）。",
                    stay.hospital_name,
                    format_date(day),
                    until,
                    body.follow_up_days
                ),
                idempotency_key: format!("transitions-discharge-{id}"),
                ..PostInput::default()
            };
            let (patient, _) = self.care.patient(p, ctx, stay.patient_id, now).await?;
            if let Err(e) = self
                .care
                .post(p, ctx, patient.space_id, post, Vec::new(), now)
                .await
            {
                tracing::warn!(error = %e, stay = %id, "could not tell the team of a discharge");
            }
        }
        Ok(())
    }

    /// Logs one contact of the discharge's contact log (the care manager
    /// received the hospital's information: by phone, FAX, in person, or
    /// at a conference).
    pub async fn log_contact(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        input: &ContactInput,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        let mut errors = ValidationErrors::new();
        let day = parse_date(&input.contacted_on);
        match day {
            None => errors.add(
                "contacted_on",
                "date",
                "日付を YYYY-MM-DD の形で入力してください。",
                "Give the day as YYYY-MM-DD.",
            ),
            Some(d) if d > now.jst_date() => errors.add(
                "contacted_on",
                "future",
                "未来の日付は記録できません。",
                "The day cannot be in the future.",
            ),
            Some(_) => {}
        }
        let channel = ContactChannel::from_code(&input.channel);
        if channel.is_none() {
            errors.add(
                "channel",
                "choice",
                "連絡方法を選んでください。",
                "Choose how.",
            );
        }
        errors.require(
            "informant_profession",
            &input.informant_profession,
            "情報提供者の職種",
            "Informant's profession",
        );
        errors.require(
            "informant_name",
            &input.informant_name,
            "情報提供者の氏名",
            "Informant's name",
        );
        errors.into_result()?;
        let (Some(day), Some(channel)) = (day, channel) else {
            return Err(TransitionsError::Forbidden);
        };
        let mut tx = self.db.begin().await?;
        store::insert_contact(
            &mut tx,
            id,
            &format_date(day),
            channel,
            input.informant_profession.trim(),
            input.informant_name.trim(),
            input.conference,
            input.note.trim(),
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "stay.contact", "stay", id, Some(stay.patient_id)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The team asks the hospital for the discharge summary (退院時サマリー);
    /// its return is then tracked.
    pub async fn request_summary(
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
        let mut tx = self.db.begin().await?;
        store::request_summary(&mut tx, id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "stay.summary_request",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The discharge summary came back (recorded by the team or the
    /// hospital), with a note of what came and where it is kept.
    pub async fn record_summary_returned(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        on: &str,
        note: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        self.viewer(p, ctx, &stay, now).await?;
        let day = parse_date(on)
            .filter(|d| *d <= now.jst_date() && format_date(*d).as_str() >= stay.admitted_on());
        let Some(day) = day else {
            return Err(invalid(
                "summary_returned_on",
                "date",
                "返却日は入院日から今日までの日付を YYYY-MM-DD の形で入力してください。",
                "Give the day it came back, between the admission and today.",
            ));
        };
        if note.chars().count() > 1000 {
            return Err(invalid(
                "summary_note",
                "length",
                "メモは1000文字以内で入力してください。",
                "At most 1000 characters.",
            ));
        }
        let mut tx = self.db.begin().await?;
        store::summary_returned(&mut tx, id, &format_date(day), note.trim(), now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "stay.summary_returned",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Schedules a pre-discharge conference (the team or the hospital);
    /// its checklist is the rule's in force for the stay.
    pub async fn schedule_conference(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        input: &crate::model::ConferenceInput,
        now: Timestamp,
    ) -> Result<renkei_domain::ConferenceId, TransitionsError> {
        let stay = self.stay_row(id).await?;
        self.viewer(p, ctx, &stay, now).await?;
        let mut errors = ValidationErrors::new();
        let at = parse_local_datetime(&input.scheduled_at);
        match at {
            None => errors.add(
                "scheduled_at",
                "datetime",
                "日時を入力してください（例: 2026-12-10 14:00）。",
                "Give the date and time.",
            ),
            Some(at) if format_date(at.date()).as_str() < stay.admitted_on() => errors.add(
                "scheduled_at",
                "before_admission",
                "カンファレンスの日時は入院日以降にしてください。",
                "The conference cannot be before the admission.",
            ),
            Some(_) => {}
        }
        if !input.online && input.place.trim().is_empty() {
            errors.add(
                "place",
                "required",
                "場所を入力するか、オンラインを選んでください。",
                "Give the place or choose online.",
            );
        }
        errors.into_result()?;
        let Some(at) = at else {
            return Err(TransitionsError::Forbidden);
        };
        let body = self
            .rule_of_stay(&stay)
            .await?
            .map(|r| r.body)
            .unwrap_or_default();
        let items: Vec<(String, bool)> = body
            .conference_checklist
            .iter()
            .map(|i| (i.clone(), false))
            .collect();
        let local = format!(
            "{}T{:02}:{:02}",
            format_date(at.date()),
            at.hour(),
            at.minute()
        );
        let invited: Vec<&str> = input
            .invited
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut tx = self.db.begin().await?;
        let cid = store::insert_conference(
            &mut tx,
            id,
            &local,
            input.place.trim(),
            input.online,
            &invited.join("\n"),
            &json(&items)?,
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "stay.conference", "stay", id, Some(stay.patient_id)),
        )
        .await?;
        tx.commit().await?;
        Ok(cid)
    }

    /// Records a held conference: who came, which checklist items were
    /// confirmed, the minutes. It is also one contact of the discharge's
    /// contact log, a conference, on the day it was held.
    pub async fn record_conference(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        input: &crate::model::ConferenceRecord,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        self.viewer(p, ctx, &stay, now).await?;
        let conference = store::conferences(&self.db, id)
            .await?
            .into_iter()
            .find(|c| c.id.0 == input.conference_id)
            .ok_or_else(|| {
                invalid(
                    "conference_id",
                    "conference",
                    "この入院のカンファレンスを選んでください。",
                    "Choose a conference of this stay.",
                )
            })?;
        if conference.status != renkei_domain::transitions::ConferenceStatus::Scheduled {
            return Err(TransitionsError::Conflict(
                "このカンファレンスは記録済みです。".into(),
            ));
        }
        let day = parse_date(&input.held_on)
            .filter(|d| *d <= now.jst_date() && format_date(*d).as_str() >= stay.admitted_on());
        let Some(day) = day else {
            return Err(invalid(
                "held_on",
                "date",
                "開催日は入院日から今日までの日付にしてください。",
                "The day held must be between the admission and today.",
            ));
        };
        let items: Vec<(String, bool)> = conference
            .items()
            .into_iter()
            .map(|(item, _)| {
                let done = input.confirmed.contains(&item);
                (item, done)
            })
            .collect();
        let channel = if conference.online {
            ContactChannel::Online
        } else {
            ContactChannel::Visit
        };
        let mut tx = self.db.begin().await?;
        let recorded = store::record_conference(
            &mut tx,
            conference.id,
            &format_date(day),
            input.attended.trim(),
            &json(&items)?,
            input.minutes.trim(),
            now,
        )
        .await?;
        if !recorded {
            return Err(TransitionsError::Conflict(
                "このカンファレンスは記録済みです。".into(),
            ));
        }
        store::insert_contact(
            &mut tx,
            id,
            &format_date(day),
            channel,
            "退院前カンファレンス",
            &stay.hospital_name,
            true,
            "",
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "stay.conference_held",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Transitions {
    /// The day of the patient's latest recorded discharge (YYYY-MM-DD),
    /// for emergency's freshness: a discharge makes the emergency
    /// information doubtful until it is verified again. The day only, no
    /// content and no audit entry; callers hold the record.
    pub async fn last_discharge_on(
        &self,
        patient_id: PatientId,
    ) -> Result<Option<String>, TransitionsError> {
        Ok(store::stays_of_patient(&self.db, patient_id)
            .await?
            .into_iter()
            .filter_map(|s| s.discharged_on)
            .max())
    }
}
