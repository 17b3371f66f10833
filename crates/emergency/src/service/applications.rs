//! A resident's own application (住民からの申し込み): a resident with no
//! account types their emergency information on a public form; it waits
//! for the support centre's desk, who confirms it with the resident (by
//! phone, at the counter) and accepts it as a record the desk keeps, or
//! declines it. Nothing typed on the public form reaches a record, a
//! card or the disaster list before the desk accepts it.

use renkei_domain::{ApplicationId, RegionId};

use super::*;
use crate::model::Application;

/// Applications one address may send an hour.
pub const APPLICATIONS_PER_HOUR: i64 = 5;

impl Emergency {
    /// Keeps a resident's application for the region's desk (anonymous,
    /// audited with the address; at most five an hour from one address).
    pub async fn apply(
        &self,
        region: RegionId,
        ctx: &RequestContext,
        input: &RecordInput,
        now: Timestamp,
    ) -> Result<ApplicationId, EmergencyError> {
        let mut input = input.clone();
        input.patient_id = None;
        let checked = check(&input)?;
        self.check_municipality(region, &checked.input.municipality_code)
            .await?;
        if store::applications_from_since(&self.db, &ctx.source_addr, now.plus_seconds(-3600))
            .await?
            >= APPLICATIONS_PER_HOUR
        {
            return Err(ServiceError::Conflict(
                "申し込みが続いています。しばらくしてから、または連携支援センターの窓口にお申し込みください。 \
                 Too many applications from here: try later, or ask the desk."
                    .into(),
            ));
        }
        let json = serde_json::to_string(&checked.input)
            .map_err(|e| ServiceError::Store(renkei_store::StoreError::Invalid(e.to_string())))?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_application(
            &mut tx,
            region,
            &json,
            &checked.input.name,
            &ctx.source_addr,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &AuditEntry {
                region_id: Some(region),
                actor_user_id: None,
                actor_username: "public-form".into(),
                role: "anonymous".into(),
                org_id: None,
                action: "emergency.apply".into(),
                object_kind: "emergency_application".into(),
                object_id: id.to_string(),
                patient_id: None,
                outcome: Some(Outcome::Success),
                source_addr: ctx.source_addr.clone(),
                user_agent: ctx.user_agent.clone(),
                reason: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    fn desk_region(p: &Principal) -> Result<RegionId, EmergencyError> {
        if !Self::keeps_unlinked(p, None) {
            return Err(ServiceError::Forbidden);
        }
        p.region_id.ok_or(ServiceError::Forbidden)
    }

    /// How many applications wait for the desk (a count: not audited).
    pub async fn pending_applications(&self, p: &Principal) -> Result<usize, EmergencyError> {
        let region = Self::desk_region(p)?;
        Ok(store::pending_applications(&self.db, region).await?.len())
    }

    /// The region's applications waiting for the desk (names shown:
    /// audited once).
    pub async fn applications(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<Application>, EmergencyError> {
        let region = Self::desk_region(p)?;
        let rows = store::pending_applications(&self.db, region).await?;
        if !rows.is_empty() {
            let mut e = audit_entry(p, ctx, "emergency.applications", region, None);
            e.object_kind = "region".into();
            e.reason = format!("{} pending", rows.len());
            self.audit(vec![e]).await?;
        }
        Ok(rows
            .into_iter()
            .map(|(id, _, input, at, _)| Application {
                id,
                input: serde_json::from_str(&input).unwrap_or_default(),
                submitted_at: at,
            })
            .collect())
    }

    /// Accepts an application the desk confirmed with the resident: it
    /// becomes a record the desk keeps (checked again), in the same
    /// transaction as the decision, so two clicks make one record.
    pub async fn accept_application(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: ApplicationId,
        now: Timestamp,
    ) -> Result<EmergencyRecordId, EmergencyError> {
        let region = Self::desk_region(p)?;
        let (_, _, input, _, status) = store::application(&self.db, region, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if status != "pending" {
            return Err(ServiceError::Conflict(
                "この申し込みは処理済みです。 Already decided.".into(),
            ));
        }
        let input: RecordInput = serde_json::from_str(&input)
            .map_err(|e| ServiceError::Store(renkei_store::StoreError::Invalid(e.to_string())))?;
        let checked = check(&input)?;
        self.check_municipality(region, &checked.input.municipality_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let record =
            store::insert_record(&mut tx, region, &checked.fields(), p.user_id, now).await?;
        if !store::decide_application(&mut tx, id, "accepted", p.user_id, Some(record), now).await?
        {
            return Err(ServiceError::Conflict(
                "この申し込みは処理済みです。 Already decided.".into(),
            ));
        }
        let mut e = audit_entry(p, ctx, "emergency.create", record, None);
        e.reason = format!("from the resident's application {id}");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Declines an application (a duplicate, a prank, someone outside the
    /// region). Audited; the application stays, marked declined.
    pub async fn decline_application(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: ApplicationId,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        let region = Self::desk_region(p)?;
        store::application(&self.db, region, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let mut tx = self.db.begin().await?;
        if !store::decide_application(&mut tx, id, "declined", p.user_id, None, now).await? {
            return Err(ServiceError::Conflict(
                "この申し込みは処理済みです。 Already decided.".into(),
            ));
        }
        let mut e = audit_entry(p, ctx, "emergency.apply_decline", id, None);
        e.object_kind = "emergency_application".into();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }
}
