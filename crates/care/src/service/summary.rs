//! The shared summary (在宅サマリー): read, and saved as a new version.

use super::*;

impl Care {
    /// When something last happened to a patient that makes their
    /// emergency information (緊急時情報) doubtful: the shared summary's
    /// latest version, the latest 服薬 post, and when the current care
    /// manager joined. Times only, no content, so emergency can judge a
    /// record's freshness for whoever holds the record; no audit entry,
    /// as nothing about the patient leaves the service.
    pub async fn change_marks(&self, patient_id: PatientId) -> Result<ChangeMarks, CareError> {
        let space = self.space_of_patient(patient_id).await?;
        let (summary_at, medication_post_at, care_manager_since) =
            store::change_marks(&self.db, patient_id, space.space_id).await?;
        Ok(ChangeMarks {
            summary_at,
            medication_post_at,
            care_manager_since,
        })
    }

    pub async fn summary(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<SummaryView, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "summary.read", now)
            .await?;
        if !access.sees_clinical() {
            return Err(self.deny(p, ctx, &row, "summary.read").await);
        }
        let history = store::summaries(&self.db, patient_id).await?;
        self.audit(vec![space_audit(
            p,
            ctx,
            "summary.read",
            &row,
            Some(&access),
        )])
        .await?;
        Ok(SummaryView {
            patient,
            access,
            current: history.first().cloned(),
            history,
        })
    }

    /// Saves a new version of the summary. `base_version` is the version the
    /// writer started from; if someone saved in between, the save is refused
    /// so nobody overwrites a colleague's change unseen.
    pub async fn save_summary(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        base_version: i64,
        fields: &SummaryFields,
        now: Timestamp,
    ) -> Result<i64, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "summary.update", now)
            .await?;
        if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(self.deny(p, ctx, &row, "summary.update").await);
        }
        let mut e = ValidationErrors::new();
        for (field, value) in [
            ("diagnoses", &fields.diagnoses),
            ("medicines", &fields.medicines),
            ("allergies", &fields.allergies),
            ("adl", &fields.adl),
            ("procedures", &fields.procedures),
            ("notes", &fields.notes),
        ] {
            if value.chars().count() > 5_000 {
                e.add(
                    field,
                    "too_long",
                    "5,000文字以内で入力してください。",
                    "At most 5,000 characters.",
                );
            }
        }
        e.into_result()?;
        let current = store::summaries(&self.db, patient_id)
            .await?
            .first()
            .map(|s| s.version)
            .unwrap_or(0);
        if current != base_version {
            return Err(CareError::Conflict(format!(
                "the summary was changed by someone else (now version {current}); reload and apply your change again"
            )));
        }
        let version = current + 1;
        let mut tx = self.db.begin().await?;
        store::insert_summary(&mut tx, patient_id, version, fields, p.user_id, now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    CareError::Conflict("the summary was changed at the same moment; reload".into())
                }
                other => CareError::Store(other),
            })?;
        let mut a = space_audit(p, ctx, "summary.update", &row, Some(&access));
        a.reason = format!("version {version}");
        audit::append(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(version)
    }
}
