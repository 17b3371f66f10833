//! The care team: who is on it, invitations, leaving, the lead, and the
//! family's view of the summary.

use super::*;

impl Care {
    pub async fn team(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        now: Timestamp,
    ) -> Result<TeamView, CareError> {
        let (row, access) = self.require(p, ctx, space_id, "team.read", now).await?;
        let space = store::space(&self.db, space_id)
            .await?
            .ok_or(CareError::NotFound)?;
        let patient = match row.patient_id {
            Some(_) => store::patient_by_space(&self.db, space_id).await?,
            None => None,
        };
        let members = store::members(&self.db, space_id).await?;
        let consent = match row.patient_id {
            Some(pid) => store::consents(&self.db, pid)
                .await?
                .into_iter()
                .find(|c| c.active()),
            None => None,
        };
        let candidates = if access.may_write() && access.team_role() != Some(TeamRole::Family) {
            // The same rule as `invite`: a patient's team takes the roles
            // that may join care teams, a group those of professional groups.
            let permission = match row.patient_id {
                Some(_) => Permission::JoinCareTeams,
                None => Permission::ProfessionalGroups,
            };
            store::region_users(&self.db, row.region_id, &roles_that_may(permission))
                .await?
                .into_iter()
                .filter(|u| {
                    !members
                        .iter()
                        .any(|m| m.user_id == u.id && m.status.holds_place())
                })
                .collect()
        } else {
            Vec::new()
        };
        self.audit(vec![space_audit(p, ctx, "team.read", &row, Some(&access))])
            .await?;
        Ok(TeamView {
            space,
            patient,
            access,
            members,
            consent,
            candidates,
        })
    }

    /// Invites a user. The invitee must be of the same region, may join care
    /// teams, and (for a patient) be covered by the consent in force unless
    /// they belong to the registering organisation.
    pub async fn invite(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        invitee: &str,
        team_role: &str,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, access) = self.require(p, ctx, space_id, "team.invite", now).await?;
        if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(self.deny(p, ctx, &row, "team.invite").await);
        }
        let user = match invitee.trim().parse::<UserId>() {
            Ok(id) => store::user(&self.db, id).await?,
            Err(_) => store::user_by_username(&self.db, invitee.trim()).await?,
        };
        let Some(user) = user.filter(|u| !u.disabled && u.region_id == Some(row.region_id)) else {
            return Err(invalid(
                "invitee",
                "unknown",
                "この圏域の利用者を選んでください。",
                "Choose a user of this region.",
            ));
        };
        let (role, profession) = (user.role, user.profession);
        let is_group = row.patient_id.is_none();
        let team_role = if is_group {
            TeamRole::Other
        } else {
            match TeamRole::from_code(team_role) {
                Some(t) => t,
                None => {
                    return Err(invalid(
                        "team_role",
                        "choice",
                        "チームでの役割を選んでください。",
                        "Choose a team role.",
                    ))
                }
            }
        };
        let allowed = if is_group {
            role.may(Permission::ProfessionalGroups)
        } else {
            role.may(Permission::JoinCareTeams)
        };
        if !allowed {
            return Err(invalid(
                "invitee",
                "role",
                "この利用者はチームに参加できない権限です。",
                "This user's role cannot join teams.",
            ));
        }
        if !is_group && ((role == Role::Family) != (team_role == TeamRole::Family)) {
            return Err(invalid(
                "team_role",
                "family",
                "家族の利用者は役割「家族」で、専門職は家族以外の役割で招待してください。",
                "Family users join as family; professionals in a professional role.",
            ));
        }
        let orgs = store::user_orgs(&self.db, user.id).await?;
        // The organisation the member acts for: none for family; the
        // registering one if they belong to it; else one the consent names;
        // else their first. Coverage is then checked once for that choice.
        let coverage = match row.patient_id {
            Some(pid) => self.coverage(pid).await?,
            None => None,
        };
        let named = |o: &OrgId| coverage.as_ref().is_some_and(|c| c.org_ids.contains(o));
        let org_id = match role {
            Role::Family => None,
            _ => row
                .registering_org_id
                .filter(|reg| orgs.contains(reg))
                .or_else(|| orgs.iter().copied().find(named))
                .or_else(|| orgs.first().copied()),
        };
        if let Some(reg) = row.registering_org_id {
            if !access::covered(coverage.as_ref(), reg, org_id, profession, team_role) {
                return Err(invalid(
                    "invitee",
                    "not_consented",
                    "この方は本人の同意の範囲に含まれていません。先に同意の範囲を更新してください。",
                    "The patient's consent does not cover this person; update the consent first.",
                ));
            }
        }
        if let Some(m) = store::member(&self.db, space_id, user.id).await? {
            if m.status.holds_place() {
                return Err(CareError::Conflict("already a member or invited".into()));
            }
        }
        let mut tx = self.db.begin().await?;
        store::upsert_member(
            &mut tx,
            &store::NewMember {
                space_id,
                user_id: user.id,
                org_id,
                team_role,
                is_lead: false,
                status: MemberStatus::Invited,
                invited_by: Some(p.user_id),
            },
            now,
        )
        .await?;
        let mut e = space_audit(p, ctx, "team.invite", &row, Some(&access));
        e.reason = format!("user {} as {}", user.id, team_role.code());
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The invitee accepts (only their own invitation).
    pub async fn accept(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, _) = self.access(p, space_id, now).await?;
        if row.member_status.is_none() {
            return Err(self.conceal(p, ctx, &row, "team.accept").await);
        }
        if row.member_status != Some(MemberStatus::Invited) {
            return Err(self.deny(p, ctx, &row, "team.accept").await);
        }
        if let (Some(pid), Some(reg)) = (row.patient_id, row.registering_org_id) {
            let coverage = self.coverage(pid).await?;
            let role = row.team_role.unwrap_or(TeamRole::Other);
            if !access::covered(
                coverage.as_ref(),
                reg,
                row.member_org_id,
                p.profession,
                role,
            ) {
                return Err(invalid(
                    "consent",
                    "not_consented",
                    "本人の同意の範囲が変わったため、参加できません。",
                    "The patient's consent no longer covers you.",
                ));
            }
        }
        let mut tx = self.db.begin().await?;
        store::set_member_status(&mut tx, space_id, p.user_id, MemberStatus::Active, now).await?;
        audit::append(&mut tx, &space_audit(p, ctx, "team.accept", &row, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Leaving (or declining an invitation) ends access at once. The lead
    /// hands over first unless nobody else is left.
    pub async fn leave(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        confirm: bool,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, _) = self.access(p, space_id, now).await?;
        let Some(status) = row.member_status else {
            return Err(self.conceal(p, ctx, &row, "team.leave").await);
        };
        if !status.holds_place() {
            return Err(self.deny(p, ctx, &row, "team.leave").await);
        }
        if !confirm {
            return Err(invalid(
                "confirm",
                "required",
                "確認にチェックを入れてください。",
                "Tick the confirmation.",
            ));
        }
        if row.is_lead == Some(true) {
            let others = store::members(&self.db, space_id)
                .await?
                .into_iter()
                .filter(|m| m.status == MemberStatus::Active && m.user_id != p.user_id)
                .count();
            if others > 0 {
                return Err(invalid(
                    "confirm",
                    "lead",
                    "チームリーダーは、先に他のメンバーにリーダーを交代してから退出してください。",
                    "Hand the lead to another member before leaving.",
                ));
            }
        }
        let invited = status == MemberStatus::Invited;
        let new_status = if invited {
            MemberStatus::Declined
        } else {
            MemberStatus::Left
        };
        let mut tx = self.db.begin().await?;
        store::set_member_status(&mut tx, space_id, p.user_id, new_status, now).await?;
        audit::append(
            &mut tx,
            &space_audit(
                p,
                ctx,
                if invited {
                    "team.decline"
                } else {
                    "team.leave"
                },
                &row,
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The lead hands the lead to another active member.
    pub async fn set_lead(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        user_id: UserId,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, access) = self.require(p, ctx, space_id, "team.lead", now).await?;
        if !access.is_lead() {
            return Err(self.deny(p, ctx, &row, "team.lead").await);
        }
        let target = store::member(&self.db, space_id, user_id).await?;
        match target {
            Some(m) if m.status == MemberStatus::Active && m.team_role != TeamRole::Family => {}
            _ => {
                return Err(invalid(
                    "user_id",
                    "not_member",
                    "リーダーはチームの専門職メンバーから選んでください。",
                    "Choose a professional member of the team.",
                ))
            }
        }
        let mut tx = self.db.begin().await?;
        store::set_lead(&mut tx, space_id, user_id).await?;
        let mut e = space_audit(p, ctx, "team.lead", &row, Some(&access));
        e.reason = format!("lead to user {user_id}");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The lead opens (or closes) the clinical summary to family members.
    pub async fn set_family_summary(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        open: bool,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, access) = self
            .require(p, ctx, space_id, "team.family_summary", now)
            .await?;
        if !access.is_lead() || row.patient_id.is_none() {
            return Err(self.deny(p, ctx, &row, "team.family_summary").await);
        }
        let mut tx = self.db.begin().await?;
        store::set_family_summary_open(&mut tx, space_id, open).await?;
        let mut e = space_audit(p, ctx, "team.family_summary", &row, Some(&access));
        e.reason = if open {
            "opened to family"
        } else {
            "closed to family"
        }
        .into();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }
}
