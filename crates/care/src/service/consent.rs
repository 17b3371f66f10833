//! Consent (同意): recording and withdrawing it, and who it lets in.

use super::*;

impl Care {
    /// Members acting for the registering organisation record and withdraw
    /// consent (they obtained it); so may the team lead.
    fn may_manage_consent(&self, row: &store::AccessRow, access: &Access) -> bool {
        access.may_write()
            && access.team_role() != Some(TeamRole::Family)
            && (access.is_lead()
                || (row.member_org_id.is_some() && row.member_org_id == row.registering_org_id))
    }

    pub async fn consent_view(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<ConsentView, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.consent.read", now)
            .await?;
        let consents = store::consents(&self.db, patient_id).await?;
        let may_record = self.may_manage_consent(&row, &access);
        let organisations = self.region_organisations(row.region_id).await?;
        self.audit(vec![space_audit(
            p,
            ctx,
            "patient.consent.read",
            &row,
            Some(&access),
        )])
        .await?;
        Ok(ConsentView {
            patient,
            access,
            consents,
            may_record,
            organisations,
        })
    }

    async fn region_organisations(
        &self,
        region_id: RegionId,
    ) -> Result<Vec<(OrgId, String)>, CareError> {
        Ok(store::region_organisations(&self.db, region_id).await?)
    }

    pub async fn record_consent(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        input: &ConsentInput,
        form: Option<CheckedUpload>,
        now: Timestamp,
    ) -> Result<ConsentId, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.consent.record", now)
            .await?;
        if !self.may_manage_consent(&row, &access) {
            return Err(self.deny(p, ctx, &row, "patient.consent.record").await);
        }
        let mut e = ValidationErrors::new();
        crate::model::check_date(
            &mut e,
            "obtained_on",
            &input.obtained_on,
            true,
            "同意取得日",
            "Date obtained",
        );
        if let Some(d) = Timestamp::from_jst_date(input.obtained_on.trim()) {
            if d.millis() > now.millis() {
                e.add(
                    "obtained_on",
                    "future",
                    "同意取得日が未来の日付です。",
                    "The date is in the future.",
                );
            }
        }
        e.require(
            "obtained_by",
            &input.obtained_by,
            "同意を取得した人",
            "Obtained by",
        );
        let orgs: Vec<(OrgId, String)> = self.region_organisations(row.region_id).await?;
        for o in &input.covers_orgs {
            if !orgs.iter().any(|(id, _)| id == o) {
                e.add(
                    "covers_orgs",
                    "unknown",
                    "この圏域の事業所を選んでください。",
                    "Choose organisations of this region.",
                );
                break;
            }
        }
        for prof in &input.covers_professions {
            if Profession::from_code(prof).is_none() {
                e.add(
                    "covers_professions",
                    "unknown",
                    "職種の選択が正しくありません。",
                    "Unknown profession.",
                );
                break;
            }
        }
        if input.covers_orgs.is_empty()
            && input.covers_professions.is_empty()
            && !input.covers_family
        {
            e.add(
                "covers_orgs",
                "empty",
                "同意の範囲（事業所・職種・家族）を一つ以上選んでください。",
                "Choose at least one organisation, profession or family.",
            );
        }
        e.into_result()?;
        let coverage = Coverage {
            org_ids: input.covers_orgs.clone(),
            professions: input
                .covers_professions
                .iter()
                .filter_map(|c| Profession::from_code(c))
                .collect(),
            family: input.covers_family,
        };
        let mut tx = self.db.begin().await?;
        let form_id = match &form {
            Some(f) => Some(
                store::insert_attachment(
                    &mut tx,
                    &store::NewAttachment {
                        space_id: patient.space_id,
                        post_id: None,
                        purpose: AttachmentPurpose::Consent,
                        media_type: f.media_type,
                        sha256: &f.sha256,
                        filename: &f.filename,
                        data: &f.data,
                        thumbnail: f.thumbnail.as_deref(),
                        uploaded_by: p.user_id,
                    },
                    now,
                )
                .await?,
            ),
            None => None,
        };
        // A new consent replaces the one in force.
        store::withdraw_consents(&mut tx, patient_id, p.user_id, "superseded", now).await?;
        let id = store::insert_consent(
            &mut tx,
            &store::NewConsent {
                patient_id,
                coverage: &coverage,
                obtained_on: input.obtained_on.trim(),
                obtained_by: input.obtained_by.trim(),
                signer: input.signer.trim(),
                form_attachment_id: form_id,
                recorded_by: p.user_id,
            },
            now,
        )
        .await?;
        let entry = about(
            space_audit(p, ctx, "patient.consent.record", &row, Some(&access)),
            "consent",
            id,
        );
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Withdraws consent: from this moment only the registering
    /// organisation's members see the patient. Nothing is deleted.
    pub async fn withdraw_consent(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.consent.withdraw", now)
            .await?;
        if !self.may_manage_consent(&row, &access) {
            return Err(self.deny(p, ctx, &row, "patient.consent.withdraw").await);
        }
        if reason.trim().is_empty() {
            return Err(invalid(
                "reason",
                "required",
                "撤回の理由（本人の申し出など）を入力してください。",
                "Give the reason for the withdrawal.",
            ));
        }
        let mut tx = self.db.begin().await?;
        let n =
            store::withdraw_consents(&mut tx, patient_id, p.user_id, reason.trim(), now).await?;
        if n == 0 {
            return Err(CareError::Conflict("no consent is in force".into()));
        }
        let mut entry = space_audit(p, ctx, "patient.consent.withdraw", &row, Some(&access));
        entry.reason = reason.trim().to_string();
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn consents(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<Vec<Consent>, CareError> {
        Ok(self.consent_view(p, ctx, patient_id, now).await?.consents)
    }
}
