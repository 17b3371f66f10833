//! Back from EMS (救急搬送の報告): an ambulance crew that opened a card
//! records where it took the resident. For a team's patient this opens a
//! stay in transitions, whose notice the team reads on the timeline; for
//! a resident without a team, the desk person who keeps the record is
//! mailed. Every report is in the audit trail.

use renkei_domain::transitions::parse_local_datetime;
use renkei_domain::EntryId;
use renkei_transitions::model::AdmissionInput;

use super::*;
use crate::model::{Transport, TransportInput};

/// The longest reason a crew types.
const MAX_REASON: usize = 200;

impl Emergency {
    /// The card's record behind a live link: a wrong, revoked or rotated
    /// token is "not found", as for opening it.
    async fn live_record(&self, token: &str) -> Result<EmergencyRecord, EmergencyError> {
        if !is_token_shaped(token) {
            return Err(ServiceError::NotFound);
        }
        match store::link_by_hash(&self.db, &token_hash(token)).await? {
            Some((_, id, false)) => self.row(id).await,
            _ => Err(ServiceError::NotFound),
        }
    }

    /// Whether the user records transports: an EMS user of a region.
    pub fn reports_transports(p: &Principal) -> bool {
        p.role == Role::Ems && p.region_id.is_some()
    }

    /// What the transport form shows an EMS user holding the card: the
    /// resident's name and the transports already reported. Audited.
    pub async fn transport_form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        token: &str,
    ) -> Result<(String, Vec<Transport>), EmergencyError> {
        if !Self::reports_transports(p) {
            return Err(ServiceError::Forbidden);
        }
        let record = self.live_record(token).await?;
        let transports = store::transports(&self.db, record.id, 5).await?;
        let mut e = audit_entry(p, ctx, "emergency.read", record.id, record.patient_id);
        e.reason = "transport form (card link)".into();
        self.audit(vec![e]).await?;
        Ok((record.name, transports))
    }

    /// Hospitals and clinics by name, from the directory (the transport
    /// form's choice; the same list an admission names).
    pub fn find_hospitals(&self, text: &str, limit: usize) -> Vec<(EntryId, String, String)> {
        self.transitions.find_hospitals(text, limit)
    }

    /// Records a transport an EMS user reports through a card's live
    /// link: the hospital (a directory entry), when (not more than an hour
    /// ahead nor a week back) and a short reason. The report is kept and
    /// audited first, so it stands whatever follows; then, for a team's
    /// patient, transitions opens the stay and tells the team. When it
    /// cannot (the patient is already recorded as in hospital), the team is
    /// told by a notice all the same and the crew learns nothing of the
    /// earlier stay. For a resident without a team the keeper is mailed.
    /// A second report of the same record within half an hour is refused
    /// (a double submission, not a second ambulance), and a resident whose
    /// death is recorded takes none.
    pub async fn record_transport(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        token: &str,
        input: &TransportInput,
        now: Timestamp,
    ) -> Result<TransportId, EmergencyError> {
        if !Self::reports_transports(p) {
            return Err(ServiceError::Forbidden);
        }
        let record = self.live_record(token).await?;
        let reason = input.reason.trim().to_string();
        let mut errors = renkei_domain::ValidationErrors::new();
        let at = parse_local_datetime(input.transported_at.trim())
            .map(Timestamp::from_jst)
            .filter(|t| {
                t.millis() <= now.plus_seconds(3600).millis()
                    && t.millis() >= now.plus_seconds(-7 * 24 * 3600).millis()
            });
        if at.is_none() {
            errors.add(
                "transported_at",
                "datetime",
                "搬送日時を、1週間前から現在までの日時で入力してください（例: 2026-12-08 10:30）。",
                "Give the transport time, within the past week.",
            );
        }
        if reason.is_empty() {
            errors.add(
                "reason",
                "required",
                "搬送理由を短く入力してください。",
                "Give a short reason.",
            );
        } else if reason.chars().count() > MAX_REASON {
            errors.add(
                "reason",
                "too_long",
                "200文字以内で入力してください。",
                "At most 200 characters.",
            );
        }
        let hospital = self
            .transitions
            .hospital(EntryId(input.hospital_entry_id))
            .await?;
        if hospital.is_none() {
            errors.add(
                "hospital_entry_id",
                "hospital",
                "搬送先の医療機関を一覧から選んでください。",
                "Choose the hospital from the list.",
            );
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let (Some(at), Some((hospital_id, hospital_name))) = (at, hospital) else {
            return Err(ServiceError::Forbidden);
        };
        if store::death_of(&self.db, record.id).await?.is_some() {
            return Err(ServiceError::Conflict(
                "亡くなった方の記録です。 The death of this resident is recorded.".into(),
            ));
        }
        if let Some(last) = store::transports(&self.db, record.id, 1).await?.first() {
            if last.created_at > now.plus_seconds(-30 * 60).millis() {
                return Err(ServiceError::Conflict(
                    "この方の搬送は30分以内に記録済みです。 Already recorded in the last half hour."
                        .into(),
                ));
            }
        }
        let local = at.to_jst_display().replace(' ', "T");
        // The report first: acknowledged, it is kept whatever follows.
        let mut tx = self.db.begin().await?;
        let id = store::insert_transport(
            &mut tx,
            &store::NewTransport {
                record_id: record.id,
                hospital_entry_id: hospital_id.0,
                hospital_name: &hospital_name,
                transported_local: &local,
                reason: &reason,
                stay_id: None,
                reported_by: p.user_id,
            },
            now,
        )
        .await?;
        let mut e = audit_entry(p, ctx, "emergency.transport", record.id, record.patient_id);
        e.reason = format!("transport #{id} to entry {hospital_id}");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;

        let Some(pid) = record.patient_id else {
            self.tell_keeper_of_transport(&record, &hospital_name, &local)
                .await;
            return Ok(id);
        };
        let admission = AdmissionInput {
            hospital_entry_id: hospital_id.0,
            admitted_at: local.clone(),
            municipality_code: record.municipality_code.clone(),
            ..AdmissionInput::default()
        };
        match self
            .transitions
            .record_transport_admission(p, ctx, pid, &admission, &reason, now)
            .await
        {
            Ok(stay) => {
                // The stay stands and the team was told; linking it to the
                // report is a convenience, so a failure is logged only.
                if let Err(e) = self.link_stay(id, stay).await {
                    tracing::warn!(error = %e, transport = %id, "transport not linked to its stay");
                }
            }
            Err(err) => {
                // No stay (the patient is already recorded as in hospital,
                // or transitions refused it): the team hears of the
                // transport all the same, and sees why on its own pages.
                tracing::warn!(error = %err, transport = %id, "transport without a stay");
                let body = format!(
                    "【救急搬送】救急隊（{}）から: {} に搬送（{}）。理由: {}。入退院の記録は自動で作れませんでした（入院中の記録と重なるなど）。入退院の画面で確認してください。",
                    p.display_name,
                    hospital_name,
                    local.replace('T', " "),
                    reason
                );
                // The report is kept; a notice that fails is logged (the
                // team still sees the transport on the record's page).
                match self.notice_without_stay(pid, p.user_id, &body, now).await {
                    Ok(space) => self.care.notify_outside_notice(space, pid, p.user_id),
                    Err(e) => {
                        tracing::warn!(error = %e, transport = %id, "transport notice not posted")
                    }
                }
            }
        }
        Ok(id)
    }

    async fn link_stay(
        &self,
        id: TransportId,
        stay: renkei_domain::StayId,
    ) -> Result<(), EmergencyError> {
        let mut tx = self.db.begin().await?;
        store::set_transport_stay(&mut tx, id, stay).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn notice_without_stay(
        &self,
        patient: PatientId,
        author: UserId,
        body: &str,
        now: Timestamp,
    ) -> Result<renkei_domain::SpaceId, EmergencyError> {
        let mut tx = self.db.begin().await?;
        let space = self
            .care
            .post_outside_notice(
                &mut tx,
                patient,
                author,
                renkei_domain::care::PostAuthorRole::Ems,
                body,
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(space)
    }

    /// A record's latest transports (its page lists them).
    pub(super) async fn transports_of(
        &self,
        id: EmergencyRecordId,
    ) -> Result<Vec<Transport>, EmergencyError> {
        Ok(store::transports(&self.db, id, 10).await?)
    }

    /// Mails a team-less record's keeper that the resident was taken to
    /// hospital (a link and the hospital, no name); a failure is logged.
    async fn tell_keeper_of_transport(&self, record: &EmergencyRecord, hospital: &str, at: &str) {
        let at = at.replace('T', " ");
        self.mail_keeper(
            record,
            "救急搬送の報告 / Transport reported",
            &format!(
                "担当の方が救急搬送されました（{at} {hospital}）。\n\
                 A person you keep was taken to hospital ({at} {hospital})."
            ),
        )
        .await;
    }
}
