//! The demo's admissions and discharges: the region's rule (みどり野圏域
//! 入退院支援ルール, adopted for the whole region); the care manager's
//! first patient admitted to the city hospital twenty days ago, the
//! admission information sent the same day and acknowledged by the
//! hospital's liaison office, the discharge told five days ahead, a phone
//! call and a pre-discharge conference logged, home again five days ago;
//! and the second patient admitted to the neighbouring town's hospital
//! (not on Renkei) last night, its information still to be given.
//!
//! Everything goes through the service, each step at the moment it would
//! have happened (the service takes the time as a parameter).

use renkei_domain::transitions::{Criterion, Route, RouteCase, RuleBody};
use renkei_domain::{care::DementiaIndependence, EntryId, Timestamp};
use renkei_identity::{demo, Identity};
use renkei_store::{ServiceError, StoreError};

use crate::forms::Content;
use crate::model::{AdmissionInput, ContactInput};
use crate::{Transitions, TransitionsError};

fn failed(what: &str, e: impl std::fmt::Display) -> TransitionsError {
    ServiceError::Store(StoreError::Invalid(format!("demo {what}: {e}")))
}

/// A Japan-time wall clock moment `days` before `now`'s day at hh:mm.
fn local(now: Timestamp, days: i64, hh: u8, mm: u8) -> (String, Timestamp) {
    let day = now.jst_date() - time::Duration::days(days);
    let at = time::PrimitiveDateTime::new(
        day,
        time::Time::from_hms(hh, mm, 0).unwrap_or(time::Time::MIDNIGHT),
    );
    (
        format!(
            "{} {:02}:{:02}",
            renkei_domain::transitions::format_date(day),
            hh,
            mm
        ),
        Timestamp::from_jst(at),
    )
}

/// The demo region's rule body.
pub fn demo_rule() -> RuleBody {
    RuleBody {
        admission_info_within_days: 3,
        discharge_notice_days_before: 3,
        follow_up_days: 14,
        readmission_within_days: 30,
        screening: vec![
            Criterion::LivesAlone { daytime: true },
            Criterion::OlderCouple,
            Criterion::CareLevelAtLeast {
                level: renkei_domain::care::CareLevel::Care3,
            },
            Criterion::MedicalProcedures,
            Criterion::DementiaAtLeast {
                level: DementiaIndependence::IIb,
            },
            Criterion::NoCareManager,
            Criterion::Terminal,
        ],
        required_forms: vec!["national_admission".into(), "national_discharge".into()],
        hub: String::new(),
        hub_entry_id: None,
        routes: vec![
            Route {
                case: RouteCase::NoHomeDoctor,
                to: "みどり野在宅医療・介護連携支援センター".into(),
                respond_within_days: 2,
                steps: vec![
                    "病院の地域連携室が支援センターに連絡する".into(),
                    "支援センターが訪問診療医を調整する".into(),
                ],
            },
            Route {
                case: RouteCase::CareManagerUnknown,
                to: "みどり野市 長寿介護課".into(),
                respond_within_days: 1,
                steps: vec![
                    "病院が被保険者番号を添えて照会する".into(),
                    "長寿介護課が担当事業所を回答する".into(),
                ],
            },
            Route {
                case: RouteCase::NoCareManager,
                to: "地域包括支援センター".into(),
                respond_within_days: 3,
                steps: vec![
                    "要介護認定の申請を家族と行う".into(),
                    "受け入れ可能な居宅介護支援事業所を地域資源から探す".into(),
                ],
            },
            Route {
                case: RouteCase::HighMedicalNeed,
                to: "主治医・訪問看護・薬局・リハ職".into(),
                respond_within_days: 0,
                steps: vec!["退院前カンファレンスに多職種を招く".into()],
            },
        ],
        summary_due_days: 14,
        conference_checklist: renkei_domain::transitions::default_conference_checklist(),
        commentary: "みどり野圏域の病院と居宅介護支援事業所が合意した入退院時の連携ルールです。入院を知った日から3日以内に入院時情報提供書を病院へ、病院は退院の3日前までに担当ケアマネジャーへ連絡します。".into(),
    }
}

/// Loads the transitions part of the demo (after identity, directory and
/// care).
pub async fn load(
    service: &Transitions,
    identity: &Identity,
    now: Timestamp,
) -> Result<String, TransitionsError> {
    let principal = |name: &'static str| async move {
        demo::principal(identity, name)
            .await
            .map_err(|e| failed(name, e))
    };
    let ctx = &demo::context();
    let admin = principal("demo-region-admin").await?;
    let cm = principal("demo-caremanager").await?;
    let liaison = principal("demo-liaison").await?;
    // The city hospital is the directory entry the liaison's organisation
    // maintains; the neighbouring town's is the entry the region lists.
    let directory = service.directory();
    let hospital_org = liaison
        .org_ids
        .first()
        .copied()
        .ok_or_else(|| failed("liaison", "no organisation"))?;
    let hospital: EntryId = *directory
        .entries_of_organisations(&[hospital_org])
        .await
        .map_err(|e| failed("hospital", e))?
        .get(&hospital_org)
        .ok_or_else(|| failed("hospital", "no entry"))?;
    let neighbour_hospital = directory
        .region_resources(&renkei_identity::Actor::User(admin.clone()))
        .await
        .map_err(|e| failed("region", e))?
        .and_then(|r| r.listed.first().copied());

    let (_, a_month_ago) = local(now, 30, 9, 0);
    let (first_day, _) = local(now, 30, 0, 0);
    service
        .create_rule_set(
            &admin,
            ctx,
            "みどり野圏域 入退院支援ルール",
            "みどり野在宅医療・介護連携推進協議会",
            true,
            &demo_rule(),
            &first_day[..10],
            true,
            a_month_ago,
        )
        .await?;

    let patients = service
        .care()
        .my_spaces(&cm, ctx)
        .await
        .map_err(|e| failed("patient list", e))?;
    // The care demo's main patient (her team's week) has the finished
    // stay; the other patient is in hospital now.
    let main = patients
        .iter()
        .find(|c| c.name == "緑川 ハナ")
        .or_else(|| patients.first())
        .and_then(|c| c.patient_id);
    let Some(first) = main else {
        return Ok("transitions: no demo patient".into());
    };
    let mut patient_ids = patients
        .iter()
        .filter_map(|c| c.patient_id)
        .filter(|id| *id != first);

    // The first patient: admitted twenty days ago at 10:30, information
    // sent in Renkei the same afternoon, opened and acknowledged by the
    // liaison.
    let (admitted, at) = local(now, 20, 10, 30);
    let stay = service
        .record_admission(
            &cm,
            ctx,
            first,
            &AdmissionInput {
                hospital_entry_id: hospital.0,
                ward: "4階東病棟".into(),
                admitted_at: admitted,
                outside_hours: None,
                reported_via: "family".into(),
                municipality_code: String::new(),
                area: String::new(),
                terminal: false,
            },
            at.plus_seconds(3600),
        )
        .await?;
    let sent_at = at.plus_seconds(5 * 3600);
    let draft = service
        .form(&cm, ctx, stay, crate::forms::FormKind::Admission, sent_at)
        .await?;
    let mut content: Content = draft.content;
    for (k, v) in [
        ("hospital_contact", "地域連携室 連携室 ひろみ"),
        ("housing", "戸建て"),
        ("copay", "1割"),
        ("main_carer", "長女（同市内在住・60代）"),
        ("wishes_patient", "自宅で猫と暮らし続けたい"),
        ("wishes_family", "退院後も自宅で。週末は長女が泊まる"),
        ("carer_capacity", "一部"),
        ("abuse_suspected", "なし"),
        ("wish_discharge_conference", "希望あり"),
        ("adl_moving", "見守り"),
        ("moving_aids", "歩行器"),
        ("adl_eating", "自立"),
        ("meal_form", "きざみ"),
        ("medicine_manager", "他者による管理"),
        ("adherence", "時々飲み忘れ"),
    ] {
        content.insert(k.into(), v.into());
    }
    service
        .save_form(
            &cm,
            ctx,
            stay,
            crate::forms::FormKind::Admission,
            &content,
            sent_at,
        )
        .await?;
    service.send_admission_form(&cm, ctx, stay, sent_at).await?;
    let opened = sent_at.plus_seconds(40 * 60);
    service
        .form(
            &liaison,
            ctx,
            stay,
            crate::forms::FormKind::Admission,
            opened,
        )
        .await?;
    service
        .acknowledge_admission_form(&liaison, ctx, stay, opened.plus_seconds(120))
        .await?;
    let (planned, _) = local(now, 5, 0, 0);
    let (_, told) = local(now, 10, 14, 0);
    service
        .plan_discharge(&liaison, ctx, stay, &planned[..10], told)
        .await?;
    for (days, conference, note) in [
        (9, false, "退院予定日と退院前カンファレンスの日程調整"),
        (
            6,
            true,
            "退院前カンファレンス（病棟看護師・理学療法士・訪問看護・主治医）",
        ),
    ] {
        let (day, at) = local(now, days, 16, 0);
        service
            .log_contact(
                &cm,
                ctx,
                stay,
                &ContactInput {
                    contacted_on: day[..10].to_string(),
                    channel: if conference { "visit" } else { "phone" }.into(),
                    informant_profession: "医療ソーシャルワーカー".into(),
                    informant_name: "連携室 ひろみ".into(),
                    conference,
                    note: note.into(),
                },
                at,
            )
            .await?;
    }
    let (_, left) = local(now, 5, 11, 0);
    service
        .record_discharge(&liaison, ctx, stay, &planned[..10], left)
        .await?;

    // The second patient: admitted last night to the neighbouring town's
    // hospital, which is not on Renkei; the information is still to go.
    // Terminal care: the team has a task to widen itself.
    let mut second_stay = None;
    if let (Some(second), Some(neighbour)) = (patient_ids.next(), neighbour_hospital) {
        let (admitted, at) = local(now, 1, 21, 10);
        second_stay = Some(
            service
                .record_admission(
                    &cm,
                    ctx,
                    second,
                    &AdmissionInput {
                        hospital_entry_id: neighbour.0,
                        ward: String::new(),
                        admitted_at: admitted,
                        outside_hours: None,
                        reported_via: "care_manager".into(),
                        municipality_code: String::new(),
                        area: String::new(),
                        terminal: true,
                    },
                    at.plus_seconds(600),
                )
                .await?,
        );
    }
    Ok(format!(
        "transitions: 1 rule set, {} stays",
        1 + usize::from(second_stay.is_some())
    ))
}
