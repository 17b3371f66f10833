//! What the FHIR endpoints read: patients, posts, consents and teams, each
//! read audited.

use super::*;

impl Care {
    /// Every patient the user may see now, with the access (for FHIR
    /// searches). The search is audited once, naming how many were returned.
    pub async fn accessible_patients(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<(Patient, Access)>, CareError> {
        let rows = store::my_spaces(&self.db, p.user_id).await?;
        let mut ids: Vec<SpaceId> = rows
            .iter()
            .filter(|r| r.status == MemberStatus::Active && r.patient_id.is_some())
            .map(|r| r.space_id)
            .collect();
        for b in store::active_break_glass(&self.db, p.user_id, now).await? {
            if let Some(pt) = store::patient(&self.db, b.patient_id).await? {
                ids.push(pt.space_id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for space in ids {
            if let (_, Some(a)) = self.access(p, space, now).await? {
                if let Some(pt) = store::patient_by_space(&self.db, space).await? {
                    out.push((pt, a));
                }
            }
        }
        let mut e = audit_entry(p, ctx, "fhir.search", "patient_list", p.user_id);
        e.reason = format!("{} patients", out.len());
        self.audit(vec![e]).await?;
        Ok(out)
    }

    /// One page of a patient's posts (newest first) and how many there
    /// are, for FHIR Communication: what the reader's access shows of each.
    pub async fn patient_posts_page(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        limit: usize,
        offset: usize,
        now: Timestamp,
    ) -> Result<(Patient, Vec<Post>, usize), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "fhir.read", now)
            .await?;
        let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let (posts, total) =
            store::posts_page(&self.db, patient.space_id, as_i64(limit), as_i64(offset)).await?;
        self.audit(vec![space_audit(p, ctx, "fhir.read", &row, Some(&access))])
            .await?;
        let total = usize::try_from(total).unwrap_or(0);
        Ok((patient, shown_to(&access, p, posts), total))
    }

    /// Every post with vital signs of a patient (newest first), for FHIR
    /// Observation: only for those who see clinical records.
    pub async fn patient_vitals(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(Patient, Vec<Post>), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "fhir.read", now)
            .await?;
        if !access.sees_clinical() {
            return Err(self.deny(p, ctx, &row, "fhir.read").await);
        }
        let posts = store::posts_with_vitals(&self.db, patient.space_id).await?;
        self.audit(vec![space_audit(p, ctx, "fhir.read", &row, Some(&access))])
            .await?;
        Ok((patient, posts))
    }

    /// The names of organisations (for FHIR references' displays); an
    /// organisation that does not exist is left out.
    pub async fn organisation_names(
        &self,
        ids: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, String>, CareError> {
        Ok(store::organisation_names(&self.db, ids).await?)
    }

    /// One post by id (FHIR Communication/Observation read).
    pub async fn post_for_fhir(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<(Patient, Post, Access), CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "fhir.read", now)
            .await?;
        let patient = store::patient_by_space(&self.db, post.space_id)
            .await?
            .ok_or(CareError::NotFound)?;
        let e = about(
            space_audit(p, ctx, "fhir.read", &row, Some(&access)),
            "post",
            post_id,
        );
        self.audit(vec![e]).await?;
        let post = shown_to(&access, p, vec![post])
            .pop()
            .ok_or(CareError::NotFound)?;
        Ok((patient, post, access))
    }

    /// One consent by id with its patient.
    pub async fn consent_for_fhir(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        consent_id: ConsentId,
        now: Timestamp,
    ) -> Result<(Patient, Consent), CareError> {
        let consent = store::consent(&self.db, consent_id)
            .await?
            .ok_or(CareError::NotFound)?;
        let patient = self.space_of_patient(consent.patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "fhir.read", now)
            .await?;
        let e = about(
            space_audit(p, ctx, "fhir.read", &row, Some(&access)),
            "consent",
            consent_id,
        );
        self.audit(vec![e]).await?;
        Ok((patient, consent))
    }

    /// Members of a patient's team (FHIR CareTeam).
    pub async fn team_for_fhir(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(Patient, Vec<Member>), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "fhir.read", now)
            .await?;
        let members = store::members(&self.db, patient.space_id).await?;
        self.audit(vec![space_audit(p, ctx, "fhir.read", &row, Some(&access))])
            .await?;
        Ok((patient, members))
    }
}
