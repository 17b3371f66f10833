//! What care hands another capability that has authorised its reader by
//! its own rule: emergency's card link, held by an ambulance crew that is
//! not on the team. The caller audits the use; care writes the notice the
//! team reads on the timeline.

use super::*;

impl Care {
    /// The patient and the active members of their team, for a capability
    /// that already decided its reader may act for the patient (emergency:
    /// an EMS user holding the patient's card link, who records where the
    /// ambulance took them). No audit entry here: the caller writes one
    /// for the use it authorised.
    pub async fn patient_and_team_for_outside(
        &self,
        patient_id: PatientId,
    ) -> Result<(Patient, Vec<Member>), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let members = store::members(&self.db, patient.space_id)
            .await?
            .into_iter()
            .filter(|m| m.status == MemberStatus::Active)
            .collect();
        Ok((patient, members))
    }

    /// A notice on the patient's timeline from someone outside the team
    /// (`author_role` says who: an ambulance crew's transport report), in
    /// the caller's transaction so it stands or falls with the record it
    /// tells of; urgent, for the care manager (else the attending doctor)
    /// to acknowledge. The caller then tells the team as of an urgent post.
    pub async fn post_outside_notice(
        &self,
        tx: &mut renkei_store::Tx,
        patient_id: PatientId,
        author: UserId,
        author_role: PostAuthorRole,
        body: &str,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        // Someone must be able to acknowledge an urgent notice, or it stays
        // open for ever: the care manager, else the attending doctor, else
        // the first active member's role; with nobody, it is not urgent.
        let members = store::members(&self.db, patient.space_id).await?;
        let active: Vec<TeamRole> = members
            .iter()
            .filter(|m| m.status == MemberStatus::Active && m.team_role != TeamRole::Family)
            .map(|m| m.team_role)
            .collect();
        let ack_role = [TeamRole::CareManager, TeamRole::AttendingDoctor]
            .into_iter()
            .find(|r| active.contains(r))
            .or_else(|| active.first().copied());
        store::insert_post(
            tx,
            &store::NewPost {
                space_id: patient.space_id,
                author_id: author,
                author_role,
                kind: PostKind::Notice,
                category: PostCategory::Other,
                search_text: fold(body),
                body: body.to_string(),
                reply_to: None,
                vitals: Vitals::default(),
                urgent: ack_role.is_some(),
                ack_role,
                idempotency_key: None,
                request_hash: String::new(),
                mentions: Vec::new(),
            },
            now,
        )
        .await?;
        Ok(patient.space_id)
    }

    /// Tells the team of an urgent notice written with
    /// [`Care::post_outside_notice`], once its transaction committed.
    pub fn notify_outside_notice(&self, space_id: SpaceId, patient_id: PatientId, author: UserId) {
        self.notify_urgent(space_id, Some(patient_id), author);
    }
}
