//! Professional groups, which carry no patient information.

use super::*;

impl Care {
    /// Creates a regional professional group (no patient information).
    pub async fn create_group(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        name: &str,
        description: &str,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        if !p.role.may(Permission::ProfessionalGroups) {
            return Err(CareError::Forbidden);
        }
        let region = p.region_scope().ok_or(CareError::Forbidden)?;
        let mut e = ValidationErrors::new();
        e.require("name", name, "グループ名", "Group name");
        if name.chars().count() > 100 {
            e.add(
                "name",
                "too_long",
                "100文字以内で入力してください。",
                "At most 100 characters.",
            );
        }
        e.into_result()?;
        let mut tx = self.db.begin().await?;
        let space = store::insert_space(
            &mut tx,
            region,
            SpaceKind::Group,
            name.trim(),
            description.trim(),
            p.user_id,
            now,
        )
        .await?;
        store::upsert_member(
            &mut tx,
            &store::NewMember {
                space_id: space,
                user_id: p.user_id,
                org_id: p.org_ids.first().copied(),
                team_role: TeamRole::Other,
                is_lead: true,
                status: MemberStatus::Active,
                invited_by: None,
            },
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "group.create", "care_group", space),
        )
        .await?;
        tx.commit().await?;
        Ok(space)
    }

    /// Whether a space is a group (not a patient).
    pub async fn is_group(&self, space_id: SpaceId) -> Result<bool, CareError> {
        Ok(store::space(&self.db, space_id)
            .await?
            .ok_or(CareError::NotFound)?
            .kind
            == SpaceKind::Group)
    }
}
