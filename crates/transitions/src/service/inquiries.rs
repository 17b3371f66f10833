//! When nobody knows an admitted person's care manager (担当ケアマネ照会):
//! the hospital (or the support centre) asks the municipality's care
//! division, which holds the benefit records; the answer is due within the
//! rule's days for that case and is audited. Answering names a person, so
//! it needs a municipal officer (or coordinator) of the region who signs in
//! with two factors, whatever the role otherwise requires.

use renkei_domain::transitions::{InquiryStatus, RouteCase};
use renkei_domain::InquiryId;

use super::*;
use crate::model::{Inquiry, InquiryAnswer, InquiryInput};

/// Days for the answer when the rule in force sets none.
const DEFAULT_ANSWER_DAYS: u32 = 2;

/// Who answers: the municipality's care division, or the support centre.
fn answers(p: &Principal) -> bool {
    matches!(p.role, Role::MunicipalOfficer | Role::Coordinator)
}

impl Transitions {
    /// Asks the municipality to name the person's care manager. The answer
    /// is due within the days the rule in force sets for this case.
    pub async fn ask_for_care_manager(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        input: &InquiryInput,
        now: Timestamp,
    ) -> Result<InquiryId, TransitionsError> {
        if !professional(p) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let mut errors = ValidationErrors::new();
        errors.require("person_name", &input.person_name, "氏名", "Name");
        errors.require(
            "hospital_name",
            &input.hospital_name,
            "医療機関名",
            "Hospital",
        );
        if parse_date(&input.birth_date).is_none() {
            errors.add(
                "birth_date",
                "date",
                "生年月日を YYYY-MM-DD の形で入力してください。",
                "Give the date of birth as YYYY-MM-DD.",
            );
        }
        if parse_date(&input.admitted_on).is_none() {
            errors.add(
                "admitted_on",
                "date",
                "入院日を YYYY-MM-DD の形で入力してください。",
                "Give the admission day as YYYY-MM-DD.",
            );
        }
        let municipalities = store::municipalities(&self.db, region).await?;
        if !municipalities
            .iter()
            .any(|(c, _)| *c == input.municipality_code.trim())
        {
            errors.add(
                "municipality_code",
                "municipality",
                "住所地の市区町村を選んでください。",
                "Choose the person's municipality.",
            );
        }
        errors.into_result()?;
        let today = format_date(now.jst_date());
        let days = self
            .rule_in_force(region, input.municipality_code.trim(), "", &today)
            .await?
            .and_then(|r| {
                r.body
                    .route(RouteCase::CareManagerUnknown)
                    .map(|x| x.respond_within_days)
            })
            .filter(|d| *d > 0)
            .unwrap_or(DEFAULT_ANSWER_DAYS);
        let due_at = now.millis() + i64::from(days) * 86_400_000;
        let mut tx = self.db.begin().await?;
        let id = store::insert_inquiry(
            &mut tx,
            &store::NewInquiry {
                region_id: region,
                input,
                asked_by: p.user_id,
                asked_by_org: p.org_ids.first().copied(),
                due_at,
            },
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "inquiry.create", "inquiry", id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The requests the user may see: the region's, for the municipality
    /// and the support centre; those they asked, for everyone else.
    /// Audited, as they name people.
    pub async fn inquiries(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<Inquiry>, TransitionsError> {
        let list = if answers(p) {
            let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
            store::inquiries_of_region(&self.db, region).await?
        } else if professional(p) {
            store::inquiries_asked_by(&self.db, p.user_id).await?
        } else {
            return Err(TransitionsError::Forbidden);
        };
        if !list.is_empty() {
            let entries = list
                .iter()
                .map(|i| audit_entry(p, ctx, "inquiry.read", "inquiry", i.id, None))
                .collect();
            self.audit(entries).await?;
        }
        Ok(list)
    }

    /// The municipality's answer: the office and care manager on record,
    /// or none with what to do instead. Once; audited.
    pub async fn answer_inquiry(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        answer: &InquiryAnswer,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        if !answers(p) {
            return Err(TransitionsError::Forbidden);
        }
        // Two factors at sign-in: a session of an account with MFA (an API
        // token of such an account has not passed the second factor).
        let session = matches!(p.credential, renkei_identity::Credential::Session { .. });
        if !p.mfa_enabled || !session {
            return Err(invalid(
                "inquiry_id",
                "mfa",
                "照会に回答するには2段階認証の設定が必要です（アカウント画面で設定してください）。",
                "Answering needs two-factor sign-in: set it up on your account page.",
            ));
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let found = store::inquiry(&self.db, InquiryId(answer.inquiry_id))
            .await?
            .filter(|(_, r, _)| *r == region);
        let Some((inquiry, _, _)) = found else {
            return Err(invalid(
                "inquiry_id",
                "inquiry",
                "回答する照会を選んでください。",
                "Choose a request of your region.",
            ));
        };
        if answer.office.trim().is_empty() && answer.note.trim().is_empty() {
            return Err(invalid(
                "office",
                "required",
                "担当事業所を入力するか、担当がいない場合は対応をメモに書いてください。",
                "Name the office, or say in the note what to do when there is none.",
            ));
        }
        if inquiry.status == InquiryStatus::Answered {
            return Err(TransitionsError::Conflict(
                "この照会は回答済みです。".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        if !store::answer_inquiry(&mut tx, inquiry.id, answer, p.user_id, now).await? {
            return Err(TransitionsError::Conflict(
                "この照会は回答済みです。".into(),
            ));
        }
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "inquiry.answer", "inquiry", inquiry.id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
