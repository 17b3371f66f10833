//! EMS search (救急隊による検索): an ambulance crew without the card finds
//! a person by name and birth date within its region, and within a
//! neighbouring region that agreed to it, giving a reason (break-glass).
//! Exactly one living resident must match; every search is kept, counted
//! against a daily limit and audited with its reason, and a found
//! person's team (or keeper) is told as for a card's opening.

use renkei_domain::care::BreakGlassReason;
use renkei_domain::text::fold;
use renkei_domain::RegionId;

use super::*;
use crate::model::EmsSearchInput;

/// Searches one EMS user makes a day.
pub const SEARCHES_PER_DAY: i64 = 10;
/// The shortest explanation of a search.
const MIN_EXPLANATION: usize = 10;

impl Emergency {
    /// Whether the user searches for people without the card.
    pub fn searches_by_name(p: &Principal) -> bool {
        p.role == Role::Ems && p.region_id.is_some()
    }

    /// Finds the one living resident the crew means and shows the sheet.
    pub async fn ems_search(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        input: &EmsSearchInput,
        now: Timestamp,
    ) -> Result<EmergencySheet, EmergencyError> {
        if !Self::searches_by_name(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = p.region_id.ok_or(ServiceError::Forbidden)?;
        let mut errors = renkei_domain::ValidationErrors::new();
        let name = fold(input.name.trim()).replace(' ', "");
        if name.is_empty() {
            errors.add(
                "name",
                "required",
                "氏名（またはふりがな）を入力してください。",
                "Give the name (or its kana).",
            );
        }
        let birth = input.birth_date.trim();
        if parse_date(birth).is_none() {
            errors.add(
                "birth_date",
                "date",
                "生年月日を YYYY-MM-DD の形で入力してください。",
                "Give the date of birth as YYYY-MM-DD.",
            );
        }
        let reason = BreakGlassReason::from_code(input.reason.trim());
        if reason.is_none() {
            errors.add(
                "reason",
                "choice",
                "検索の理由を選んでください。",
                "Choose the reason.",
            );
        }
        let explanation = input.explanation.trim();
        if explanation.chars().count() < MIN_EXPLANATION || explanation.chars().count() > 500 {
            errors.add(
                "explanation",
                "length",
                "状況を10〜500文字で入力してください（例: 路上で意識障害、本人が氏名と生年月日を述べた）。",
                "Say why in 10 to 500 characters.",
            );
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let Some(reason) = reason else {
            return Err(ServiceError::Forbidden);
        };
        let why = format!("{}: {explanation}", reason.code());
        // The day's searches so far (each is kept, found or not).
        let since = now.plus_seconds(-24 * 3600);
        if store::searches_since(&self.db, p.user_id, since).await? >= SEARCHES_PER_DAY {
            let mut e = audit_entry(p, ctx, "emergency.ems_search", region, None);
            e.object_kind = "region".into();
            e.outcome = Some(Outcome::Denied);
            e.reason = format!("limit of {SEARCHES_PER_DAY} a day reached: {why}");
            self.audit(vec![e]).await?;
            return Err(ServiceError::Limited(SEARCHES_PER_DAY));
        }
        let mut found = Vec::new();
        for r in store::searchable_regions(&self.db, region).await? {
            found.extend(
                store::records_born_on(&self.db, r, birth)
                    .await?
                    .into_iter()
                    .filter(|rec| {
                        fold(&rec.name).replace(' ', "") == name
                            || fold(&rec.kana).replace(' ', "") == name
                    }),
            );
        }
        let hint = fold(input.address.trim()).replace(' ', "");
        if found.len() > 1 && !hint.is_empty() {
            found.retain(|rec| fold(&rec.address).replace(' ', "").contains(&hint));
        }
        let one = match found.len() {
            1 => found.pop(),
            _ => None,
        };
        let mut tx = self.db.begin().await?;
        store::insert_search(
            &mut tx,
            p.user_id,
            one.as_ref().map(|r| r.id),
            reason.code(),
            now,
        )
        .await?;
        let mut e = match &one {
            Some(r) => audit_entry(p, ctx, "emergency.ems_search", r.id, r.patient_id),
            None => {
                let mut e = audit_entry(p, ctx, "emergency.ems_search", region, None);
                e.object_kind = "region".into();
                e.outcome = Some(Outcome::Failure);
                e
            }
        };
        e.reason = format!(
            "{why}{}",
            match found.len() {
                0 if one.is_none() => " (no match)",
                n if n > 1 => " (several match)",
                _ => "",
            }
        );
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        let Some(record) = one else {
            return Err(if found.len() > 1 {
                invalid(
                    "address",
                    "ambiguous",
                    "氏名と生年月日が同じ方が複数います。住所の一部も入力してください。",
                    "Several people share this name and birth date: add part of the address.",
                )
            } else {
                invalid(
                    "name",
                    "not_found",
                    "該当する方が見つかりません。氏名・生年月日を確かめてください。",
                    "Nobody matches: check the name and the birth date.",
                )
            });
        };
        self.tell_of_opening(&record, now, "救急隊による検索で表示されました")
            .await;
        self.sheet_of(record, now).await
    }

    /// The regions whose EMS may find this region's residents.
    pub async fn agreements(
        &self,
        p: &Principal,
    ) -> Result<Vec<(i64, RegionId, i64)>, EmergencyError> {
        if !Self::keeps_agreements(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = p.region_id.ok_or(ServiceError::Forbidden)?;
        Ok(store::agreements(&self.db, region).await?)
    }

    /// Whether the user agrees, for the region, to a neighbour's EMS
    /// searching its residents: the region's administrator.
    pub fn keeps_agreements(p: &Principal) -> bool {
        p.role == Role::RegionAdmin && p.region_id.is_some()
    }

    /// Lets a neighbouring region's EMS search this region's residents.
    /// Audited.
    pub async fn agree(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        ems_region: RegionId,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        if !Self::keeps_agreements(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = p.region_id.ok_or(ServiceError::Forbidden)?;
        if ems_region == region {
            return Err(invalid(
                "region",
                "own",
                "自分の圏域の救急隊はいつでも検索できます。隣接する圏域を指定してください。",
                "Your own EMS always searches: name a neighbouring region.",
            ));
        }
        if store::agreements(&self.db, region)
            .await?
            .iter()
            .any(|a| a.1 == ems_region)
        {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        store::insert_agreement(&mut tx, region, ems_region, p.user_id, now).await?;
        let mut e = audit_entry(p, ctx, "emergency.agreement", region, None);
        e.object_kind = "region".into();
        e.reason = format!("EMS of region {ems_region} may search");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends an agreement. Audited.
    pub async fn end_agreement(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: i64,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        if !Self::keeps_agreements(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = p.region_id.ok_or(ServiceError::Forbidden)?;
        let mut tx = self.db.begin().await?;
        if !store::end_agreement(&mut tx, region, id, now).await? {
            return Err(ServiceError::NotFound);
        }
        let mut e = audit_entry(p, ctx, "emergency.agreement_end", region, None);
        e.object_kind = "region".into();
        e.reason = format!("agreement {id} ended");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }
}
