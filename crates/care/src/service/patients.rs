//! Registering patients, their basic record, and the lists of the user's
//! patients and groups.

use super::*;

impl Care {
    /// Registers a patient for one of the user's organisations; the user
    /// becomes the team lead in `team_role`.
    pub async fn register_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        org_id: Option<OrgId>,
        team_role: &str,
        input: &PatientInput,
        now: Timestamp,
    ) -> Result<PatientId, CareError> {
        if !p.role.may(Permission::RegisterPatients) {
            return Err(CareError::Forbidden);
        }
        let region = p.region_scope().ok_or(CareError::Forbidden)?;
        let org = match org_id {
            Some(o) => o,
            None => p.org_ids.first().copied().ok_or_else(|| {
                invalid(
                    "org_id",
                    "no_organisation",
                    "患者を登録するには事業所に所属している必要があります。",
                    "You must belong to an organisation to register patients.",
                )
            })?,
        };
        let mut errors = ValidationErrors::new();
        if !p.org_ids.contains(&org) {
            errors.add(
                "org_id",
                "not_member",
                "所属している事業所を選んでください。",
                "Choose one of your organisations.",
            );
        }
        let role = TeamRole::from_code(team_role);
        if role.is_none() || role == Some(TeamRole::Family) {
            errors.add(
                "team_role",
                "choice",
                "チームでの役割を選んでください。",
                "Choose your role in the team.",
            );
        }
        let fields = match input.check(now) {
            Ok(f) => Some(f),
            Err(v) => {
                errors.0.extend(v.0);
                None
            }
        };
        errors.into_result()?;
        let (Some(fields), Some(role)) = (fields, role) else {
            return Err(CareError::Forbidden);
        };
        let mut tx = self.db.begin().await?;
        let space =
            store::insert_space(&mut tx, region, SpaceKind::Patient, "", "", p.user_id, now)
                .await?;
        let id =
            store::insert_patient(&mut tx, space, region, org, p.user_id, &fields, now).await?;
        store::upsert_member(
            &mut tx,
            &store::NewMember {
                space_id: space,
                user_id: p.user_id,
                org_id: Some(org),
                team_role: role,
                is_lead: true,
                status: MemberStatus::Active,
                invited_by: None,
            },
            now,
        )
        .await?;
        let mut e = audit_entry(p, ctx, "patient.create", "patient", id);
        e.patient_id = Some(id.to_string());
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A patient's basic record (audited read).
    pub async fn patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(Patient, Access), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.read", now)
            .await?;
        self.audit(vec![space_audit(
            p,
            ctx,
            "patient.read",
            &row,
            Some(&access),
        )])
        .await?;
        Ok((patient, access))
    }

    pub async fn update_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        input: &PatientInput,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.update", now)
            .await?;
        if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(self.deny(p, ctx, &row, "patient.update").await);
        }
        let fields = input.check(now)?;
        let mut tx = self.db.begin().await?;
        store::update_patient(&mut tx, patient_id, &fields, now).await?;
        audit::append(
            &mut tx,
            &space_audit(p, ctx, "patient.update", &row, Some(&access)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's patients, groups and invitations with unread counts. Only
    /// spaces the user may see right now are listed (a withdrawn consent
    /// removes the patient from other organisations' lists at once); the
    /// listing itself is audited because it shows patient names.
    pub async fn my_spaces(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<SpaceCard>, CareError> {
        let cards = self.visible_spaces(p).await?;
        self.audit_listing(p, ctx, &cards, "patients listed")
            .await?;
        Ok(cards)
    }

    /// The ids of the patients whose teams the user is an active member of
    /// and may see right now (as [`Care::my_spaces`] decides), for other
    /// capabilities' lists of the user's patients. Ids only, so nothing to
    /// audit here: the caller audits what it shows.
    pub async fn visible_patients(
        &self,
        p: &Principal,
        _ctx: &RequestContext,
    ) -> Result<Vec<PatientId>, CareError> {
        Ok(self
            .visible_spaces(p)
            .await?
            .into_iter()
            .filter(|c| c.status == MemberStatus::Active)
            .filter_map(|c| c.patient_id)
            .collect())
    }

    /// The spaces that need the user now, for the home page's work list:
    /// invitations to answer (shown without the patient's name, as on the
    /// patients page, until accepted) and spaces with unacknowledged urgent
    /// or unread posts. Audited like a listing, counting only the patients
    /// the work list names.
    pub async fn work_list(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<SpaceCard>, CareError> {
        let cards: Vec<SpaceCard> = self
            .visible_spaces(p)
            .await?
            .into_iter()
            .filter(|c| c.status == MemberStatus::Invited || c.urgent_open > 0 || c.unread > 0)
            .map(|mut c| {
                // An invitee learns whose team it is by accepting.
                if c.status == MemberStatus::Invited && c.patient_id.is_some() {
                    c.name.clear();
                    c.kana.clear();
                }
                c
            })
            .collect();
        let named: Vec<SpaceCard> = cards
            .iter()
            .filter(|c| c.status != MemberStatus::Invited)
            .cloned()
            .collect();
        self.audit_listing(p, ctx, &named, "patients on the work list")
            .await?;
        Ok(cards)
    }

    /// One audit record for a list that shows patient names.
    async fn audit_listing(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        cards: &[SpaceCard],
        what: &str,
    ) -> Result<(), CareError> {
        let shown_patients = cards.iter().filter(|c| c.patient_id.is_some()).count();
        if shown_patients > 0 {
            let mut e = audit_entry(p, ctx, "patient.list", "patient_list", p.user_id);
            e.reason = format!("{shown_patients} {what}");
            self.audit(vec![e]).await?;
        }
        Ok(())
    }

    /// The spaces the user may see right now (see [`Care::my_spaces`]).
    async fn visible_spaces(&self, p: &Principal) -> Result<Vec<SpaceCard>, CareError> {
        let rows = store::my_spaces(&self.db, p.user_id).await?;
        let mut cards = Vec::with_capacity(rows.len());
        for r in rows {
            let visible = match (r.patient_id, r.registering_org_id) {
                (Some(_), Some(reg)) => {
                    let role = r.team_role;
                    if r.member_org_id == Some(reg) {
                        true
                    } else if r.consent_id.is_none() {
                        false
                    } else {
                        // A consent whose stored coverage does not parse is
                        // logged by the store and hides this one patient,
                        // not the user's whole list.
                        match r.coverage() {
                            Ok(c) => access::covered(
                                c.as_ref(),
                                reg,
                                r.member_org_id,
                                p.profession,
                                role,
                            ),
                            Err(_) => false,
                        }
                    }
                }
                _ => true,
            };
            if !visible {
                continue;
            }
            cards.push(SpaceCard {
                space_id: r.space_id,
                kind: r.kind,
                name: r.patient_name.unwrap_or(r.space_name),
                kana: r.patient_kana.unwrap_or_default(),
                patient_id: r.patient_id,
                status: r.status,
                team_role: r.team_role,
                is_lead: r.is_lead,
                unread: r.unread,
                urgent_open: r.urgent_open,
                last_post_at: r.last_post_at,
            });
        }
        Ok(cards)
    }
}
