//! ACP (人生会議) and the end of life (看取り). A region keeps its own
//! notebook template (わたしの想い, マイライフノート …), versioned; a
//! resident's ACP record is versioned too, every version kept with a
//! snapshot of its sections, and only the sections a template marks as
//! medical reach the ambulance crew's sheet. A death is recorded once,
//! in the place categories of vital statistics and with how it was
//! certified, so the indicators count 在宅看取り apart from home deaths.

use renkei_domain::emergency::{Certification, DeathPlace, WishMet};
use renkei_domain::{AcpVersionId, DeathRecordId, RegionId};

use super::*;
use crate::model::{
    AcpAnswer, AcpInput, AcpSectionDef, AcpTemplate, AcpTemplateInput, AcpVersion, AcpView,
    DeathCounts, DeathInput, DeathRecord,
};

/// The most sections a template has, and the most choices a section.
const MAX_SECTIONS: usize = 30;
const MAX_CHOICES: usize = 10;

fn section(key: &str, title: &str, hint: &str, choices: &[&str], ems: bool) -> AcpSectionDef {
    AcpSectionDef {
        key: key.into(),
        title: title.into(),
        hint: hint.into(),
        choices: choices.iter().map(|c| c.to_string()).collect(),
        ems,
    }
}

/// Renkei's template until a region saves its own: the medical wishes an
/// ambulance crew needs, the spokesperson, and the non-medical sections
/// towns' notebooks carry (never on the crew's sheet).
pub fn builtin_acp_template() -> AcpTemplate {
    let places = ["自宅", "施設", "病院", "まだ決めていない"];
    AcpTemplate {
        id: None,
        name: "わたしの想い（Renkei 標準）".into(),
        sections: vec![
            section(
                "s1",
                "延命治療（心肺蘇生・人工呼吸器など）についての希望",
                "DNAR（心肺蘇生を行わない）の指示がある場合は、主治医名とあわせて書いてください。",
                &[
                    "希望する",
                    "希望しない",
                    "医師と相談して決めたい",
                    "まだ決めていない",
                ],
                true,
            ),
            section("s2", "療養したい場所", "", &places, true),
            section("s3", "最期を迎えたい場所", "", &places, true),
            section(
                "s4",
                "代わりに決めてほしい人（代理意思決定者）",
                "氏名・続柄・連絡先",
                &[],
                true,
            ),
            section(
                "s5",
                "大切にしていること・してほしくないこと",
                "",
                &[],
                false,
            ),
            section("s6", "成年後見・財産の管理", "", &[], false),
            section("s7", "葬儀・お墓のこと", "", &[], false),
        ],
    }
}

impl Emergency {
    /// The region's ACP template in force: its latest saved one, else the
    /// built-in one.
    pub async fn acp_template(&self, region: RegionId) -> Result<AcpTemplate, EmergencyError> {
        Ok(match store::latest_template(&self.db, region).await? {
            Some((id, name, sections)) => AcpTemplate {
                id: Some(id),
                name,
                sections: serde_json::from_str(&sections).map_err(|e| {
                    ServiceError::Store(renkei_store::StoreError::Invalid(format!(
                        "ACP template {id}: {e}"
                    )))
                })?,
            },
            None => builtin_acp_template(),
        })
    }

    /// Whether the user keeps the region's ACP template: the support
    /// centre and the region's administrator.
    pub fn keeps_acp_template(p: &Principal) -> bool {
        matches!(p.role, Role::Coordinator | Role::RegionAdmin) && p.region_id.is_some()
    }

    /// Whether the user prints the blank template for residents and reads
    /// it: those who keep it, the municipality and the professionals.
    pub fn prints_acp_blank(p: &Principal) -> bool {
        Self::keeps_acp_template(p)
            || (matches!(p.role, Role::Professional | Role::MunicipalOfficer)
                && p.region_id.is_some())
    }

    /// Saves a new version of the region's template (the earlier ones and
    /// every record written with them stay as they were). Audited.
    pub async fn save_acp_template(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        input: &AcpTemplateInput,
        now: Timestamp,
    ) -> Result<renkei_domain::AcpTemplateId, EmergencyError> {
        if !Self::keeps_acp_template(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = p.region_id.ok_or(ServiceError::Forbidden)?;
        let mut errors = renkei_domain::ValidationErrors::new();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.add(
                "name",
                "required",
                "様式の名前を100文字以内で入力してください（例: わたしの想い）。",
                "Name the template (at most 100 characters).",
            );
        }
        let mut sections = Vec::new();
        for s in &input.sections {
            let title = s.title.trim();
            if title.is_empty() {
                continue;
            }
            let choices: Vec<String> = s
                .choices
                .iter()
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            if title.chars().count() > 100
                || s.hint.chars().count() > 300
                || choices.len() > MAX_CHOICES
                || choices.iter().any(|c| c.chars().count() > 50)
            {
                errors.add(
                    "sections",
                    "too_long",
                    "項目名は100文字、説明は300文字、選択肢は10個・各50文字までです。",
                    "Titles up to 100 characters, hints 300, at most 10 choices of 50.",
                );
                break;
            }
            sections.push(AcpSectionDef {
                key: format!("s{}", sections.len() + 1),
                title: title.to_string(),
                hint: s.hint.trim().to_string(),
                choices,
                ems: s.ems,
            });
        }
        if sections.is_empty() || sections.len() > MAX_SECTIONS {
            errors.add(
                "sections",
                "count",
                "項目を1〜30個入力してください。",
                "Give 1 to 30 sections.",
            );
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let json = serde_json::to_string(&sections)
            .map_err(|e| ServiceError::Store(renkei_store::StoreError::Invalid(e.to_string())))?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_template(&mut tx, region, name, &json, p.user_id, now).await?;
        let mut e = audit_entry(p, ctx, "emergency.acp_template", id, None);
        e.object_kind = "acp_template".into();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }

    fn version_of(record: EmergencyRecordId, row: store::VersionRow) -> AcpVersion {
        let (id, version, template_name, answers, participants, discussed_on, by, at) = row;
        AcpVersion {
            id,
            record_id: record,
            version,
            template_name,
            answers: serde_json::from_str(&answers).unwrap_or_default(),
            participants,
            discussed_on,
            written_by_name: by,
            written_at: at,
        }
    }

    /// A resident's ACP: the region's template and every version, newest
    /// first. The record's team (or the desk) reads it; audited.
    pub async fn acp(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        now: Timestamp,
    ) -> Result<AcpView, EmergencyError> {
        let record = self.row(id).await?;
        let may_write = self.access(p, ctx, &record, now).await?;
        let template = self.acp_template(record.region_id).await?;
        let versions = store::versions(&self.db, id)
            .await?
            .into_iter()
            .map(|row| Self::version_of(id, row))
            .collect();
        let mut e = audit_entry(p, ctx, "emergency.acp_read", id, record.patient_id);
        e.reason = "ACP versions".into();
        self.audit(vec![e]).await?;
        Ok(AcpView {
            record_id: id,
            name: record.name,
            template,
            versions,
            may_write,
        })
    }

    /// The newest ACP version of a record (for the sheet and the record's
    /// page; the caller has already authorised and audited the reader).
    pub(super) async fn latest_acp(
        &self,
        id: EmergencyRecordId,
    ) -> Result<Option<AcpVersion>, EmergencyError> {
        Ok(store::latest_version(&self.db, id)
            .await?
            .map(|row| Self::version_of(id, row)))
    }

    /// Writes a new ACP version against the region's template in force:
    /// the day it was discussed (not in the future), who took part, an
    /// answer per section (a choice from the section's list and/or
    /// words). The earlier versions stay. Audited.
    pub async fn save_acp(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        input: &AcpInput,
        now: Timestamp,
    ) -> Result<(AcpVersionId, i64), EmergencyError> {
        let record = self.row(id).await?;
        if !self.access(p, ctx, &record, now).await? || p.role == Role::Watcher {
            // A watcher checks the sheet; the ACP is the team's or the desk's.
            return Err(ServiceError::Forbidden);
        }
        if store::death_of(&self.db, id).await?.is_some() {
            return Err(ServiceError::Conflict(
                "亡くなった方の記録です。 The death of this resident is recorded.".into(),
            ));
        }
        let template = self.acp_template(record.region_id).await?;
        let in_force = template.id.map(|t| t.0).unwrap_or(0);
        if input.template_id.is_some_and(|t| t != in_force) {
            return Err(invalid(
                "answers",
                "template_changed",
                "入力中に地域の様式が更新されました。新しい様式でもう一度入力してください。",
                "The region's template changed meanwhile: answer the new one.",
            ));
        }
        let mut errors = renkei_domain::ValidationErrors::new();
        let discussed = input.discussed_on.trim();
        match parse_date(discussed) {
            Some(d) if d <= now.jst_date() => {}
            Some(_) => errors.add(
                "discussed_on",
                "future",
                "話し合った日は今日までの日付にしてください。",
                "The day discussed cannot be in the future.",
            ),
            None => errors.add(
                "discussed_on",
                "date",
                "話し合った日を YYYY-MM-DD の形で入力してください。",
                "Give the day discussed as YYYY-MM-DD.",
            ),
        }
        let participants = input.participants.trim();
        if participants.is_empty() || participants.chars().count() > 500 {
            errors.add(
                "participants",
                "required",
                "話し合いに参加した人を500文字以内で入力してください（例: 本人、長女、主治医）。",
                "Say who took part (at most 500 characters).",
            );
        }
        let mut answers = Vec::new();
        for s in &template.sections {
            let given = input.answers.iter().find(|a| a.key == s.key);
            let choice = given.map(|a| a.choice.trim()).unwrap_or_default();
            let text = given.map(|a| a.text.trim()).unwrap_or_default();
            if !choice.is_empty() && !s.choices.iter().any(|c| c == choice) {
                errors.add(
                    &format!("answer_{}", s.key),
                    "choice",
                    &format!("「{}」は選択肢から選んでください。", s.title),
                    "Choose from the list.",
                );
            }
            if text.chars().count() > 2_000 {
                errors.add(
                    &format!("answer_{}", s.key),
                    "too_long",
                    "2,000文字以内で入力してください。",
                    "At most 2,000 characters.",
                );
            }
            answers.push(AcpAnswer {
                key: s.key.clone(),
                title: s.title.clone(),
                ems: s.ems,
                choice: choice.to_string(),
                text: text.to_string(),
            });
        }
        if input
            .answers
            .iter()
            .any(|a| !template.sections.iter().any(|s| s.key == a.key))
        {
            errors.add(
                "answers",
                "unknown",
                "様式にない項目があります。画面を読み込み直してください。",
                "An answer names a section the template does not have.",
            );
        }
        if answers
            .iter()
            .all(|a| a.choice.is_empty() && a.text.is_empty())
        {
            errors.add(
                "answers",
                "required",
                "少なくとも1つの項目に記入してください。",
                "Answer at least one section.",
            );
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let json = serde_json::to_string(&answers)
            .map_err(|e| ServiceError::Store(renkei_store::StoreError::Invalid(e.to_string())))?;
        let mut tx = self.db.begin().await?;
        let (vid, version) = store::insert_version(
            &mut tx,
            id,
            &template.name,
            &json,
            participants,
            discussed,
            p.user_id,
            now,
        )
        .await?;
        let mut e = audit_entry(p, ctx, "emergency.acp_write", id, record.patient_id);
        e.reason = format!("ACP version {version}");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok((vid, version))
    }

    // ------------------------------------------------------ end of life

    /// The record's death, if recorded (its team reads it with the record).
    pub async fn death(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        now: Timestamp,
    ) -> Result<Option<DeathRecord>, EmergencyError> {
        let record = self.row(id).await?;
        self.access(p, ctx, &record, now).await?;
        Ok(store::death_of(&self.db, id).await?)
    }

    /// Records a resident's death, once: the day (not in the future), the
    /// place in vital statistics' categories, how it was certified, the
    /// attending doctor, whether EMS was called and whether the wish about
    /// the place was met. The record then leaves the reminders, the
    /// freshness count and the disaster list. Audited.
    pub async fn record_death(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        input: &DeathInput,
        now: Timestamp,
    ) -> Result<DeathRecordId, EmergencyError> {
        let record = self.row(id).await?;
        if !self.access(p, ctx, &record, now).await? || p.role == Role::Watcher {
            // A death is recorded by the team or the desk, not a watcher.
            return Err(ServiceError::Forbidden);
        }
        let mut errors = renkei_domain::ValidationErrors::new();
        let died_on = input.died_on.trim();
        match parse_date(died_on) {
            Some(d) if d <= now.jst_date() => {}
            _ => errors.add(
                "died_on",
                "date",
                "亡くなった日を今日までの日付で入力してください（YYYY-MM-DD）。",
                "Give the day of death (YYYY-MM-DD, not in the future).",
            ),
        }
        let place = DeathPlace::from_code(input.place.trim());
        if place.is_none() {
            errors.add(
                "place",
                "choice",
                "亡くなった場所を選んでください。",
                "Choose the place of death.",
            );
        }
        let certified = Certification::from_code(input.certified_by.trim());
        if certified.is_none() {
            errors.add(
                "certified_by",
                "choice",
                "死亡診断・検案の別を選んでください。",
                "Choose how the death was certified.",
            );
        }
        let wish = WishMet::from_code(input.wish_met.trim());
        if wish.is_none() {
            errors.add(
                "wish_met",
                "choice",
                "場所の希望がかなったかを選んでください。",
                "Choose whether the wish about the place was met.",
            );
        }
        for (field, value, max) in [
            ("attending_doctor", &input.attending_doctor, 200),
            ("note", &input.note, 2_000),
        ] {
            if value.trim().chars().count() > max {
                errors.add(
                    field,
                    "too_long",
                    &format!("{max}文字以内で入力してください。"),
                    "Too long.",
                );
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let (Some(place), Some(certified_by), Some(wish_met)) = (place, certified, wish) else {
            return Err(ServiceError::Forbidden);
        };
        if store::death_of(&self.db, id).await?.is_some() {
            return Err(ServiceError::Conflict(
                "この方の看取りの記録はすでにあります。 The death is already recorded.".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        let did = store::insert_death(
            &mut tx,
            &store::NewDeath {
                record_id: id,
                region_id: record.region_id,
                municipality_code: &record.municipality_code,
                died_on,
                place,
                certified_by,
                attending_doctor: input.attending_doctor.trim(),
                ems_called: input.ems_called,
                wish_met,
                note: input.note.trim(),
            },
            p.user_id,
            now,
        )
        .await?;
        let mut e = audit_entry(p, ctx, "emergency.death", id, record.patient_id);
        e.reason = format!("{} {}", place.code(), certified_by.code());
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(did)
    }

    /// End-of-life counts per municipality for the fiscal year (April to
    /// March) starting in `fiscal_year`: counts only, for the municipality,
    /// the support centre and the region's administrator. Audited once.
    pub async fn death_counts(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        fiscal_year: i32,
    ) -> Result<Vec<DeathCounts>, EmergencyError> {
        if !Self::reads_dashboard(p) {
            return Err(ServiceError::Forbidden);
        }
        if !(2000..=2100).contains(&fiscal_year) {
            return Err(invalid(
                "fiscal_year",
                "range",
                "年度は2000〜2100で指定してください。",
                "The fiscal year is 2000 to 2100.",
            ));
        }
        let region = p.region_id.ok_or(ServiceError::Forbidden)?;
        let from = format!("{fiscal_year:04}-04-01");
        let until = format!("{:04}-04-01", fiscal_year + 1);
        let mut lines: Vec<DeathCounts> = store::municipalities(&self.db, region)
            .await?
            .into_iter()
            .map(|(code, name)| DeathCounts {
                municipality_code: code,
                municipality_name: name,
                by_place: DeathPlace::ALL
                    .iter()
                    .map(|d| (d.code().to_string(), d.label_ja().to_string(), 0))
                    .collect(),
                ..DeathCounts::default()
            })
            .collect();
        for d in store::deaths_between(&self.db, region, &from, &until).await? {
            let Some(line) = lines
                .iter_mut()
                .find(|l| l.municipality_code == d.municipality_code)
            else {
                continue;
            };
            line.deaths += 1;
            if d.place.is_home() {
                line.home_deaths += 1;
                if d.certified_by.is_certified_by_doctor() {
                    line.home_certified += 1;
                } else {
                    line.home_police += 1;
                }
            }
            if let Some(slot) = line.by_place.iter_mut().find(|s| s.0 == d.place.code()) {
                slot.2 += 1;
            }
            if d.ems_called {
                line.ems_called += 1;
            }
            match d.wish_met {
                WishMet::Met => line.wish_met += 1,
                WishMet::NotMet => line.wish_not_met += 1,
                WishMet::NoWish => line.no_wish += 1,
            }
        }
        let mut e = audit_entry(p, ctx, "emergency.death_counts", region, None);
        e.object_kind = "region".into();
        e.reason = format!("FY{fiscal_year}");
        self.audit(vec![e]).await?;
        Ok(lines)
    }
}

impl Emergency {
    /// For FHIR: a team patient's emergency record and every ACP version,
    /// for the team members who read the record (audited as one read);
    /// "not found" for anyone else and for a patient without a record.
    pub async fn documents_of_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientId,
        now: Timestamp,
    ) -> Result<(EmergencyRecord, Vec<AcpVersion>), EmergencyError> {
        let record = store::record_of_patient(&self.db, patient)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.access(p, ctx, &record, now).await?;
        let versions = store::versions(&self.db, record.id)
            .await?
            .into_iter()
            .map(|row| Self::version_of(record.id, row))
            .collect();
        let mut e = audit_entry(p, ctx, "emergency.read", record.id, record.patient_id);
        e.reason = "FHIR DocumentReference".into();
        self.audit(vec![e]).await?;
        Ok((record, versions))
    }
}

impl Emergency {
    /// The care patient a FHIR document id names (`emergency-{record}`,
    /// `acp-{version}`), if any: the caller then reads through
    /// [`Emergency::documents_of_patient`], which decides and audits.
    pub async fn patient_of_document(&self, id: &str) -> Result<Option<PatientId>, EmergencyError> {
        let record = if let Some(n) = id.strip_prefix("emergency-") {
            match n.parse::<EmergencyRecordId>() {
                Ok(r) => store::record(&self.db, r).await?,
                Err(_) => None,
            }
        } else if let Some(n) = id.strip_prefix("acp-") {
            match n.parse::<AcpVersionId>() {
                Ok(v) => match store::record_of_version(&self.db, v).await? {
                    Some(r) => store::record(&self.db, r).await?,
                    None => None,
                },
                Err(_) => None,
            }
        } else {
            None
        };
        Ok(record.and_then(|r| r.patient_id))
    }
}
