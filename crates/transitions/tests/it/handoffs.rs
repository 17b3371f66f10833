//! Admissions and discharges on SQLite and PostgreSQL: the rule in force
//! (versioned, scoped to the region or a municipality, shared by another
//! region), screening, the admission form from pre-fill to the hospital's
//! acknowledgement with its fee tier, FAX delivery logged by hand, the
//! hospital seeing only what was handed to it, the discharge contact log
//! and its tier, readmission, and the month's compliance report against
//! hand-computed counts.

use std::sync::Arc;

use renkei_care::model::{ConsentInput, PatientInput, SummaryFields, TimelineQuery};
use renkei_care::{Care, CareConfig};
use renkei_directory::live::LiveIndex;
use renkei_directory::model::NewLocalEntry;
use renkei_directory::service::{Directory, DirectoryConfig};
use renkei_domain::care::CareLevel;
use renkei_domain::transitions::{
    AdmissionFeeTier, Criterion, DischargeFeeTier, FormKind, FormStatus, RuleBody,
};
use renkei_domain::{EntryId, OrgId, PatientId, StayId, Timestamp};
use renkei_identity::service_types::SessionState;
use renkei_identity::{
    Actor, Identity, IdentityConfig, NewMunicipality, NewOrganisation, NewUser, Principal,
    RequestContext,
};
use renkei_mail::CapturingMailer;
use renkei_store::audit::{self, AuditQuery, Verification};
use renkei_store::{both_backends, Db, ServiceError};
use renkei_transitions::model::{
    AdmissionInput, ConferenceInput, ConferenceRecord, ContactInput, DeliveryInput, Timeliness,
    Viewer,
};
use renkei_transitions::Transitions;

fn ctx() -> RequestContext {
    RequestContext {
        source_addr: "127.0.0.1".into(),
        user_agent: "transitions-test".into(),
    }
}

/// A Japan-time moment "YYYY-MM-DD HH:MM".
fn at(s: &str) -> Timestamp {
    let t = renkei_domain::transitions::parse_local_datetime(s).expect(s);
    let ms = t
        .assume_offset(renkei_domain::timestamp::JST)
        .unix_timestamp_nanos()
        / 1_000_000;
    Timestamp(ms as i64)
}

const CITY: &str = "131016";
const TOWN: &str = "131024";

struct World {
    care: Care,
    transitions: Transitions,
    hospital: EntryId,
    fax_hospital: EntryId,
    admin: Principal,
    officer: Principal,
    cm: Principal,
    doctor: Principal,
    liaison: Principal,
    other_liaison: Principal,
    outsider: Principal,
    foreign_admin: Principal,
    /// The region's support centre (在宅医療・介護連携支援センター).
    coordinator: Principal,
    /// The directory's live index, for offices the tasks list.
    live: LiveIndex,
    /// What care e-mailed (the discharge-day notice).
    care_mail: Arc<CapturingMailer>,
    db: Db,
}

async fn user(
    identity: &Identity,
    name: &str,
    role: &str,
    profession: &str,
    region: i64,
    orgs: Vec<i64>,
) -> Principal {
    let cli = Actor::Cli {
        os_user: "test".into(),
    };
    identity
        .create_user(
            &cli,
            &NewUser {
                region_id: Some(region),
                username: name.into(),
                display_name: format!("{name}さん"),
                email: format!("{name}@example.jp"),
                role: role.into(),
                profession: profession.into(),
                password: "correct horse battery".into(),
                org_ids: orgs,
                ..Default::default()
            },
            &ctx(),
        )
        .await
        .unwrap();
    let login = identity
        .login(name, "correct horse battery", &ctx())
        .await
        .unwrap();
    match identity.session(&login.session_token).await.unwrap() {
        Some(SessionState::Active(p)) => p,
        _ => panic!("no active session"),
    }
}

async fn world(db: &Db) -> World {
    let identity = Identity::new(
        db.clone(),
        IdentityConfig {
            require_mfa: false,
            ..IdentityConfig::default()
        },
    );
    let cli = Actor::Cli {
        os_user: "test".into(),
    };
    let region = identity
        .create_region(&cli, "r1", "第一圏域", false, &ctx())
        .await
        .unwrap();
    let other = identity
        .create_region(&cli, "r2", "第二圏域", false, &ctx())
        .await
        .unwrap();
    for (code, name) in [(CITY, "千代田区"), (TOWN, "中央区")] {
        identity
            .create_municipality(
                &cli,
                &NewMunicipality {
                    region_id: Some(region),
                    code: code.into(),
                    name: name.into(),
                    kana: String::new(),
                    population: None,
                },
                &ctx(),
            )
            .await
            .unwrap();
    }
    let mut orgs = Vec::new();
    for (name, kind, r) in [
        ("さくら診療所", "clinic", region),
        ("ひかり居宅介護支援", "care_management", region),
        ("第一市立病院", "hospital", region),
        ("第二総合病院", "hospital", region),
        ("よその病院", "hospital", other),
    ] {
        orgs.push(
            identity
                .create_organisation(
                    &cli,
                    &NewOrganisation {
                        region_id: Some(r),
                        kind: kind.into(),
                        name: name.into(),
                        ..Default::default()
                    },
                    &ctx(),
                )
                .await
                .unwrap(),
        );
    }
    let live = LiveIndex::empty();
    let directory = Directory::new(
        db.clone(),
        live.clone(),
        Arc::new(CapturingMailer::default()),
        DirectoryConfig::default(),
    );
    let mut tx = db.begin().await.unwrap();
    let entry = |name: &str, org: Option<i64>| NewLocalEntry {
        kind: "hospital".into(),
        name: name.into(),
        kana: String::new(),
        municipality_code: CITY.into(),
        municipality_name: "千代田区".into(),
        org_id: org.map(OrgId),
        ..NewLocalEntry::default()
    };
    let now = Timestamp(0);
    let hospital = renkei_directory::fixtures::insert_local_entry(
        &mut tx,
        &entry("第一市立病院", Some(orgs[2])),
        now,
    )
    .await
    .unwrap();
    let fax_hospital =
        renkei_directory::fixtures::insert_local_entry(&mut tx, &entry("となり町病院", None), now)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    let care_mail = Arc::new(CapturingMailer::default());
    let care = Care::new(db.clone(), care_mail.clone(), CareConfig::default());
    let transitions = Transitions::new(db.clone(), care.clone(), directory);
    World {
        admin: user(&identity, "admin", "region_admin", "other", region, vec![]).await,
        officer: user(
            &identity,
            "officer",
            "municipal_officer",
            "municipal_officer",
            region,
            vec![],
        )
        .await,
        cm: user(
            &identity,
            "cm_ito",
            "professional",
            "care_manager",
            region,
            vec![orgs[1]],
        )
        .await,
        doctor: user(
            &identity,
            "doctor",
            "professional",
            "doctor",
            region,
            vec![orgs[0]],
        )
        .await,
        liaison: user(
            &identity,
            "liaison",
            "professional",
            "msw",
            region,
            vec![orgs[2]],
        )
        .await,
        other_liaison: user(
            &identity,
            "liaison2",
            "professional",
            "msw",
            region,
            vec![orgs[3]],
        )
        .await,
        outsider: user(
            &identity,
            "nurse",
            "professional",
            "nurse",
            region,
            vec![orgs[0]],
        )
        .await,
        foreign_admin: user(&identity, "admin2", "region_admin", "other", other, vec![]).await,
        coordinator: user(&identity, "centre", "coordinator", "other", region, vec![]).await,
        live,
        care_mail,
        db: db.clone(),
        care,
        transitions,
        hospital,
        fax_hospital,
    }
}

/// A patient of the care manager (lead) with the doctor on the team under
/// a consent covering the clinic.
async fn patient(w: &World, name: &str, care_level: &str, now: Timestamp) -> PatientId {
    let c = ctx();
    let pid = w
        .care
        .register_patient(
            &w.cm,
            &c,
            None,
            "care_manager",
            &PatientInput {
                name: name.into(),
                kana: "かんじゃ".into(),
                birth_date: "1940-05-02".into(),
                sex: "female".into(),
                address: "千代田区1-1".into(),
                care_level: care_level.into(),
                care_application: "certified".into(),
                household: "with_family".into(),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    let space = w.care.patient_space(pid).await.unwrap();
    w.care
        .record_consent(
            &w.cm,
            &c,
            pid,
            &ConsentInput {
                covers_orgs: vec![w.doctor.org_ids[0]],
                covers_professions: vec![],
                covers_family: false,
                obtained_on: "2026-10-01".into(),
                obtained_by: "ケアマネジャー".into(),
                signer: "本人".into(),
            },
            None,
            now,
        )
        .await
        .unwrap();
    w.care
        .invite(&w.cm, &c, space, "doctor", "attending_doctor", now)
        .await
        .unwrap();
    w.care.accept(&w.doctor, &c, space, now).await.unwrap();
    pid
}

fn admission(hospital: EntryId, admitted_at: &str) -> AdmissionInput {
    AdmissionInput {
        hospital_entry_id: hospital.0,
        ward: "3階西".into(),
        admitted_at: admitted_at.into(),
        outside_hours: None,
        reported_via: "family".into(),
        municipality_code: CITY.into(),
        area: String::new(),
        terminal: false,
    }
}

fn contact(on: &str, conference: bool) -> ContactInput {
    ContactInput {
        contacted_on: on.into(),
        channel: if conference { "visit" } else { "phone" }.into(),
        informant_profession: "医療ソーシャルワーカー".into(),
        informant_name: "連携室 太郎".into(),
        conference,
        note: String::new(),
    }
}

/// The region's rule from 2026-11-01: care level 3 and up needs
/// coordination; discharge told 3 days ahead.
async fn region_rule(w: &World) {
    let body = RuleBody {
        screening: vec![Criterion::CareLevelAtLeast {
            level: CareLevel::Care3,
        }],
        ..RuleBody::default()
    };
    w.transitions
        .create_rule_set(
            &w.admin,
            &ctx(),
            "第一圏域ルール",
            "第一圏域在宅医療・介護連携推進協議会",
            false,
            &body,
            "2026-11-01",
            true,
            at("2026-10-30 09:00"),
        )
        .await
        .unwrap();
}

both_backends!(
    admission_to_acknowledgement_and_discharge,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        region_rule(&w).await;
        let before = at("2026-12-01 09:00");
        let pid = patient(&w, "入院 花子", "care3", before).await;

        // Monday 10:30, in the office's hours: the care manager records it.
        let now = at("2026-12-07 11:00");
        let stay = w
            .transitions
            .record_admission(
                &w.cm,
                &c,
                pid,
                &admission(w.hospital, "2026-12-07T10:30"),
                now,
            )
            .await
            .unwrap();
        let view = w.transitions.stay(&w.cm, &c, stay, now).await.unwrap();
        assert_eq!(view.viewer, Viewer::Team);
        assert!(view.stay.needs_coordination);
        assert_eq!(view.stay.screening_labels(), ["要介護3以上"]);
        assert!(!view.stay.outside_hours);
        assert_eq!(
            view.admission_deadlines,
            ("2026-12-07".into(), "2026-12-09".into())
        );
        assert_eq!(view.rule.as_ref().map(|r| r.version), Some(1));
        // The team hears of it on the timeline.
        let timeline = w
            .care
            .patient_timeline(
                &w.doctor,
                &c,
                pid,
                TimelineQuery {
                    limit: 20,
                    ..Default::default()
                },
                now,
            )
            .await
            .unwrap();
        assert!(
            timeline
                .posts
                .iter()
                .any(|p| p.post.body.contains("【入院】第一市立病院")),
            "the admission is posted to the team"
        );

        // Nobody else sees the stay; the hospital sees it but not the unsent form.
        for stranger in [&w.outsider, &w.other_liaison, &w.admin] {
            let err = w
                .transitions
                .stay(stranger, &c, stay, now)
                .await
                .unwrap_err();
            assert!(
                matches!(err, ServiceError::NotFound),
                "{}: {err:?}",
                stranger.username
            );
        }
        assert_eq!(
            w.transitions
                .stay(&w.liaison, &c, stay, now)
                .await
                .unwrap()
                .viewer,
            Viewer::Hospital
        );
        assert!(matches!(
            w.transitions
                .form(&w.liaison, &c, stay, FormKind::Admission, now)
                .await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            w.transitions
                .log_contact(&w.liaison, &c, stay, &contact("2026-12-07", false), now)
                .await,
            Err(ServiceError::Forbidden)
        ));

        // The draft is pre-filled from the record and the team.
        let draft = w
            .transitions
            .form(&w.cm, &c, stay, FormKind::Admission, now)
            .await
            .unwrap();
        assert_eq!(
            draft.content.get("name").map(String::as_str),
            Some("入院 花子")
        );
        assert_eq!(
            draft.content.get("care_level").map(String::as_str),
            Some("要介護3")
        );
        assert_eq!(
            draft.content.get("hospital").map(String::as_str),
            Some("第一市立病院")
        );
        assert_eq!(
            draft.content.get("family_doctor").map(String::as_str),
            Some("doctorさん")
        );
        assert_eq!(
            draft.content.get("admitted_on").map(String::as_str),
            Some("2026-12-07")
        );
        // Bad values are refused field by field.
        let mut bad = draft.content.clone();
        bad.insert("adl_moving".into(), "だいたい自立".into());
        assert!(matches!(
            w.transitions
                .save_form(&w.cm, &c, stay, FormKind::Admission, &bad, now)
                .await,
            Err(ServiceError::Validation(_))
        ));
        let mut content = draft.content.clone();
        content.insert("adl_moving".into(), "見守り".into());
        // Sending before saving is refused with a reason.
        assert!(matches!(
            w.transitions
                .send_admission_form(&w.cm, &c, stay, now)
                .await,
            Err(ServiceError::Validation(_))
        ));
        w.transitions
            .save_form(&w.cm, &c, stay, FormKind::Admission, &content, now)
            .await
            .unwrap();
        // The hospital does not see the draft, not even through the stay.
        let before_send = w.transitions.stay(&w.liaison, &c, stay, now).await.unwrap();
        assert!(before_send.admission_form.is_none());
        let sent = at("2026-12-07 15:00");
        w.transitions
            .send_admission_form(&w.cm, &c, stay, sent)
            .await
            .unwrap();
        assert!(matches!(
            w.transitions
                .save_form(&w.cm, &c, stay, FormKind::Admission, &content, sent)
                .await,
            Err(ServiceError::Conflict(_))
        ));

        // The liaison opens it (recorded once) and acknowledges it.
        let opened = at("2026-12-07 15:20");
        let seen = w
            .transitions
            .form(&w.liaison, &c, stay, FormKind::Admission, opened)
            .await
            .unwrap();
        assert_eq!(seen.form.status, FormStatus::Opened);
        assert_eq!(
            seen.content.get("adl_moving").map(String::as_str),
            Some("見守り")
        );
        w.transitions
            .acknowledge_admission_form(&w.liaison, &c, stay, at("2026-12-07 15:25"))
            .await
            .unwrap();
        let inbox = w.transitions.hospital_inbox(&w.liaison, &c).await.unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].admission_status, Some(FormStatus::Acknowledged));
        assert_eq!(inbox[0].admission_tier, Some(AdmissionFeeTier::One));
        assert!(w
            .transitions
            .hospital_inbox(&w.other_liaison, &c)
            .await
            .unwrap()
            .is_empty());
        // The hospital returns the sheet annotated with what changed; the
        // team reads it and cannot write it.
        let later = at("2026-12-08 09:00");
        assert!(matches!(
            w.transitions
                .annotate_admission_form(&w.liaison, &c, stay, "  ", later)
                .await,
            Err(ServiceError::Validation(_))
        ));
        assert!(matches!(
            w.transitions
                .annotate_admission_form(&w.cm, &c, stay, "歩行器", later)
                .await,
            Err(ServiceError::Forbidden)
        ));
        w.transitions
            .annotate_admission_form(&w.liaison, &c, stay, "入院後は歩行器で見守り", later)
            .await
            .unwrap();
        let view = w.transitions.stay(&w.cm, &c, stay, later).await.unwrap();
        let returned = view.admission_form.as_ref().unwrap();
        assert_eq!(returned.hospital_note, "入院後は歩行器で見守り");
        assert_eq!(returned.hospital_note_at, Some(later.millis()));

        // Discharge: told on the 10th for the 14th (4 days ahead ≥ 3); a phone
        // call and a conference logged; discharged on the 14th.
        w.transitions
            .plan_discharge(&w.liaison, &c, stay, "2026-12-14", at("2026-12-10 10:00"))
            .await
            .unwrap();
        // The hospital schedules the pre-discharge conference; the care
        // manager records it as held: it is a conference contact.
        let conference = w
            .transitions
            .schedule_conference(
                &w.liaison,
                &c,
                stay,
                &ConferenceInput {
                    scheduled_at: "2026-12-12T14:00".into(),
                    place: "3階西 面談室".into(),
                    online: false,
                    invited: "主治医\n訪問看護\n\n".into(),
                },
                at("2026-12-10 10:05"),
            )
            .await
            .unwrap();
        assert!(matches!(
            w.transitions
                .schedule_conference(&w.cm, &c, stay, &ConferenceInput::default(), at("2026-12-10 10:05"))
                .await,
            Err(ServiceError::Validation(v)) if v.0.len() == 2
        ));
        let scheduled = w
            .transitions
            .stay(&w.cm, &c, stay, at("2026-12-10 10:10"))
            .await
            .unwrap();
        assert_eq!(scheduled.conferences.len(), 1);
        assert_eq!(scheduled.conferences[0].invited, "主治医\n訪問看護");
        let items = scheduled.conferences[0].items();
        assert_eq!(items.len(), RuleBody::default().conference_checklist.len());
        let record = ConferenceRecord {
            conference_id: conference.0,
            held_on: "2026-12-12".into(),
            attended: "主治医 doctorさん\n病棟看護師".into(),
            confirmed: vec![
                items[0].0.clone(),
                items[2].0.clone(),
                "ないはずの項目".into(),
            ],
            minutes: "自宅退院の方針を確認".into(),
        };
        w.transitions
            .record_conference(&w.cm, &c, stay, &record, at("2026-12-12 16:00"))
            .await
            .unwrap();
        assert!(matches!(
            w.transitions
                .record_conference(&w.cm, &c, stay, &record, at("2026-12-12 16:00"))
                .await,
            Err(ServiceError::Conflict(_))
        ));
        let held = w
            .transitions
            .stay(&w.cm, &c, stay, at("2026-12-12 16:05"))
            .await
            .unwrap();
        let confirmed: Vec<bool> = held.conferences[0]
            .items()
            .iter()
            .map(|(_, d)| *d)
            .collect();
        assert_eq!(confirmed.iter().filter(|d| **d).count(), 2);
        assert!(confirmed[0] && confirmed[2]);
        assert!(held
            .contacts
            .iter()
            .any(|k| k.conference && k.contacted_on == "2026-12-12"));
        for (on, conference) in [("2026-12-10", false), ("2026-12-12", false)] {
            w.transitions
                .log_contact(
                    &w.cm,
                    &c,
                    stay,
                    &contact(on, conference),
                    at("2026-12-12 18:00"),
                )
                .await
                .unwrap();
        }
        let bad_contact = ContactInput {
            informant_name: String::new(),
            ..contact("2026-12-31", false)
        };
        assert!(matches!(
            w.transitions.log_contact(&w.cm, &c, stay, &bad_contact, at("2026-12-12 18:00")).await,
            Err(ServiceError::Validation(v)) if v.0.len() == 2
        ));
        w.transitions
            .record_discharge(&w.liaison, &c, stay, "2026-12-14", at("2026-12-14 11:00"))
            .await
            .unwrap();
        let view = w
            .transitions
            .stay(&w.cm, &c, stay, at("2026-12-14 12:00"))
            .await
            .unwrap();
        assert_eq!(view.counted_contacts, (2, 1));
        assert_eq!(view.discharge_tier, Some(DischargeFeeTier::TwoB));
        assert_eq!(view.discharge_notice_on_time, Some(true));
        assert_eq!(view.admission_tier, Some(AdmissionFeeTier::One));
        assert_eq!(
            view.fee_rules
                .as_ref()
                .map(|f| f.admission_units(AdmissionFeeTier::One)),
            Some(250)
        );

        // The team asks for the discharge summary; it is overdue 14 days
        // after discharge (below, in the report) until it comes back.
        w.transitions
            .request_summary(&w.cm, &c, stay, at("2026-12-14 12:00"))
            .await
            .unwrap();
        assert!(matches!(
            w.transitions
                .request_summary(&w.liaison, &c, stay, at("2026-12-14 12:00"))
                .await,
            Err(ServiceError::Forbidden)
        ));

        // A discharge is recorded once; an admission inside a finished
        // stay is refused; the hospital never sees the team's contact log.
        assert!(matches!(
            w.transitions
                .record_discharge(&w.cm, &c, stay, "2026-12-15", at("2026-12-15 11:00"))
                .await,
            Err(ServiceError::Conflict(_))
        ));
        assert!(matches!(
            w.transitions
                .record_admission(
                    &w.cm,
                    &c,
                    pid,
                    &admission(w.hospital, "2026-12-10T10:00"),
                    at("2026-12-15 11:00")
                )
                .await,
            Err(ServiceError::Validation(_))
        ));
        let hospital_view = w
            .transitions
            .stay(&w.liaison, &c, stay, at("2026-12-15 11:00"))
            .await
            .unwrap();
        assert!(hospital_view.contacts.is_empty() && hospital_view.discharge_form.is_none());
        assert!(
            hospital_view.admission_form.is_some(),
            "the sent sheet is the hospital's to read"
        );

        // Back in hospital within 30 days: a readmission.
        let again = w
            .transitions
            .record_admission(
                &w.cm,
                &c,
                pid,
                &admission(w.hospital, "2026-12-20T22:00"),
                at("2026-12-20 22:30"),
            )
            .await
            .unwrap();
        let view = w
            .transitions
            .stay(&w.cm, &c, again, at("2026-12-20 22:30"))
            .await
            .unwrap();
        assert_eq!(view.stay.readmission_of, Some(stay));
        assert!(view.stay.outside_hours, "22:00 is after closing");

        // Every step is in the audit trail, and the chain holds.
        let records = audit::search(
            &db,
            &AuditQuery {
                patient_id: Some(pid.to_string()),
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
        for action in [
            "stay.create",
            "form.admission.save",
            "form.admission.send",
            "form.admission.read",
            "form.admission.acknowledge",
            "form.admission.annotate",
            "stay.plan_discharge",
            "stay.contact",
            "stay.discharge",
            "stays.inbox",
        ] {
            assert!(
                actions.contains(&action),
                "{action} missing from {actions:?}"
            );
        }
        assert!(records
            .iter()
            .any(|r| r.action == "stay.read" && r.outcome == "denied"));
        assert!(matches!(
            audit::verify(&db).await.unwrap(),
            Verification::Intact { .. }
        ));

        // The month's report, by hand: two admissions (one (Ⅰ), one missing
        // after its deadline of the 23rd), both flagged, one coordinated; one
        // discharge told on time with two contacts and a conference; one
        // readmission; one missed handoff.
        let report = w
            .transitions
            .compliance(&w.officer, &c, "2026-12", at("2026-12-29 09:00"))
            .await
            .unwrap();
        let t = &report.total;
        assert_eq!(
            (
                t.admissions,
                t.informed_one,
                t.informed_two,
                t.informed_late,
                t.informed_missing,
                t.informed_pending
            ),
            (2, 1, 0, 0, 1, 0)
        );
        assert_eq!((t.needs_coordination, t.coordinated), (2, 1));
        assert_eq!(
            (
                t.discharges,
                t.discharge_notice_on_time,
                t.contacts,
                t.conferences
            ),
            (1, 1, 2, 1)
        );
        assert_eq!(t.readmissions, 1);
        assert_eq!(report.by_hospital.len(), 1);
        assert_eq!(report.by_office[0].name, "ひかり居宅介護支援");
        assert_eq!(
            (
                t.summaries_requested,
                t.summaries_returned,
                t.summaries_overdue
            ),
            (1, 0, 1)
        );
        let reasons: Vec<&str> = report.missed.iter().map(|m| m.reason_ja.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.starts_with("入院時情報提供なし")));
        assert!(reasons.iter().any(|r| r.starts_with("退院サマリー未返却")));
        // It comes back: no longer overdue.
        w.transitions
            .record_summary_returned(
                &w.liaison,
                &c,
                stay,
                "2026-12-29",
                "退院時サマリー 2枚（FAX）",
                at("2026-12-29 10:00"),
            )
            .await
            .unwrap();
        let report = w
            .transitions
            .compliance(&w.officer, &c, "2026-12", at("2026-12-29 11:00"))
            .await
            .unwrap();
        assert_eq!(
            (
                report.total.summaries_returned,
                report.total.summaries_overdue
            ),
            (1, 0)
        );
        assert_eq!(report.missed.len(), 1);
        let _ = Timeliness::One;
        // Earlier, the second admission was still pending.
        let early = w
            .transitions
            .compliance(&w.officer, &c, "2026-12", at("2026-12-21 09:00"))
            .await
            .unwrap();
        assert_eq!(
            (early.total.informed_missing, early.total.informed_pending),
            (0, 1)
        );
        // Professionals do not see the region's report.
        assert!(matches!(
            w.transitions
                .compliance(&w.cm, &c, "2026-12", at("2026-12-28 09:00"))
                .await,
            Err(ServiceError::Forbidden)
        ));
    }
);

both_backends!(a_hospital_not_on_renkei_gets_it_by_fax, |db| async move {
    let w = world(&db).await;
    let c = ctx();
    region_rule(&w).await;
    let pid = patient(&w, "ファクス 太郎", "care1", at("2026-12-01 09:00")).await;
    // Friday 19:00: after hours, so Saturday still earns (Ⅰ).
    let stay = w
        .transitions
        .record_admission(
            &w.cm,
            &c,
            pid,
            &admission(w.fax_hospital, "2026-12-11T19:00"),
            at("2026-12-11 20:00"),
        )
        .await
        .unwrap();
    let view = w
        .transitions
        .stay(&w.cm, &c, stay, at("2026-12-11 20:00"))
        .await
        .unwrap();
    assert!(
        !view.stay.needs_coordination,
        "care level 1 is below the rule's criterion"
    );
    assert!(view.stay.outside_hours);
    assert_eq!(
        view.admission_deadlines,
        ("2026-12-12".into(), "2026-12-14".into())
    );
    let draft = w
        .transitions
        .form(&w.cm, &c, stay, FormKind::Admission, at("2026-12-12 09:00"))
        .await
        .unwrap();
    w.transitions
        .save_form(
            &w.cm,
            &c,
            stay,
            FormKind::Admission,
            &draft.content,
            at("2026-12-12 09:00"),
        )
        .await
        .unwrap();
    let err = w
        .transitions
        .send_admission_form(&w.cm, &c, stay, at("2026-12-12 09:00"))
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Validation(_)), "{err:?}");
    let future = DeliveryInput {
        channel: "fax".into(),
        informed_on: "2026-12-13".into(),
        received_by: String::new(),
    };
    assert!(matches!(
        w.transitions
            .log_admission_delivery(&w.cm, &c, stay, &future, at("2026-12-12 09:10"))
            .await,
        Err(ServiceError::Validation(_))
    ));
    w.transitions
        .log_admission_delivery(
            &w.cm,
            &c,
            stay,
            &DeliveryInput {
                channel: "fax".into(),
                informed_on: "2026-12-12".into(),
                received_by: "病棟看護師 山本".into(),
            },
            at("2026-12-12 09:10"),
        )
        .await
        .unwrap();
    let view = w
        .transitions
        .stay(&w.cm, &c, stay, at("2026-12-12 09:10"))
        .await
        .unwrap();
    assert_eq!(view.admission_tier, Some(AdmissionFeeTier::One));
    let form = view.admission_form.expect("form");
    assert_eq!(form.status, FormStatus::Sent);
    assert_eq!(form.received_by, "病棟看護師 山本");
    // No hospital organisation: nobody but the team sees the stay.
    assert!(matches!(
        w.transitions
            .stay(&w.liaison, &c, stay, at("2026-12-12 09:10"))
            .await,
        Err(ServiceError::NotFound)
    ));
});

both_backends!(rules_are_versioned_scoped_and_shared, |db| async move {
    let w = world(&db).await;
    let c = ctx();
    region_rule(&w).await;
    let rules = w.transitions.rules(&w.admin).await.unwrap();
    let set = rules.own[0].0.id;
    // A version may not take effect in the past.
    let stricter = RuleBody {
        screening: vec![Criterion::AgeAtLeast { years: 75 }],
        ..RuleBody::default()
    };
    assert!(matches!(
        w.transitions
            .add_rule_version(
                &w.admin,
                &c,
                set,
                &stricter,
                "2026-12-01",
                "",
                at("2026-12-05 09:00")
            )
            .await,
        Err(ServiceError::Validation(_))
    ));
    // An invalid body is refused with its problems.
    let broken = RuleBody {
        readmission_within_days: 0,
        ..RuleBody::default()
    };
    assert!(matches!(
        w.transitions
            .add_rule_version(
                &w.admin,
                &c,
                set,
                &broken,
                "2026-12-15",
                "",
                at("2026-12-05 09:00")
            )
            .await,
        Err(ServiceError::Validation(_))
    ));
    // Professionals may not edit rules.
    assert!(matches!(
        w.transitions
            .add_rule_version(
                &w.cm,
                &c,
                set,
                &stricter,
                "2026-12-15",
                "",
                at("2026-12-05 09:00")
            )
            .await,
        Err(ServiceError::Forbidden)
    ));
    assert_eq!(
        w.transitions
            .add_rule_version(
                &w.admin,
                &c,
                set,
                &stricter,
                "2026-12-15",
                "年齢基準へ",
                at("2026-12-05 09:00")
            )
            .await
            .unwrap(),
        2
    );
    let region = w.admin.region_id.unwrap();
    let v = |on: &'static str, muni: &'static str| {
        let t = &w.transitions;
        async move {
            t.rule_in_force(region, muni, "", on)
                .await
                .unwrap()
                .map(|r| (r.name, r.version))
        }
    };
    assert_eq!(v("2026-10-31", CITY).await, None, "before the rule");
    assert_eq!(
        v("2026-12-14", CITY).await,
        Some(("第一圏域ルール".into(), 1))
    );
    assert_eq!(
        v("2026-12-15", CITY).await,
        Some(("第一圏域ルール".into(), 2))
    );

    // Another region's shared rule, adopted for one municipality only.
    let shared = w
        .transitions
        .create_rule_set(
            &w.foreign_admin,
            &c,
            "保健所共通ルール",
            "第二保健所",
            true,
            &RuleBody::default(),
            "2026-12-01",
            false,
            at("2026-11-20 09:00"),
        )
        .await
        .unwrap();
    let view = w.transitions.rules(&w.admin).await.unwrap();
    assert!(view.shared_by_others.iter().any(|s| s.id == shared));
    assert!(matches!(
        w.transitions
            .adopt(
                &w.admin,
                &c,
                shared,
                "municipality",
                "999999",
                "2026-12-20",
                at("2026-12-05 09:00")
            )
            .await,
        Err(ServiceError::Validation(_))
    ));
    w.transitions
        .adopt(
            &w.admin,
            &c,
            shared,
            "municipality",
            TOWN,
            "2026-12-20",
            at("2026-12-05 09:00"),
        )
        .await
        .unwrap();
    assert_eq!(
        v("2026-12-19", TOWN).await,
        Some(("第一圏域ルール".into(), 2))
    );
    assert_eq!(
        v("2026-12-20", TOWN).await,
        Some(("保健所共通ルール".into(), 1))
    );
    assert_eq!(
        v("2026-12-20", CITY).await,
        Some(("第一圏域ルール".into(), 2))
    );

    // Each stay keeps the version in force on its admission day.
    let pid = patient(&w, "規則 花子", "care3", at("2026-12-01 09:00")).await;
    let early = w
        .transitions
        .record_admission(
            &w.cm,
            &c,
            pid,
            &admission(w.hospital, "2026-12-07T10:00"),
            at("2026-12-07 11:00"),
        )
        .await
        .unwrap();
    // A second admission while the first has no discharge is refused.
    let refused = w
        .transitions
        .record_admission(
            &w.cm,
            &c,
            pid,
            &admission(w.hospital, "2026-12-16T10:00"),
            at("2026-12-16 11:00"),
        )
        .await;
    assert!(
        matches!(&refused, Err(ServiceError::Validation(v)) if v.0[0].code == "still_in_hospital"),
        "{refused:?}"
    );
    w.transitions
        .record_discharge(&w.cm, &c, early, "2026-12-10", at("2026-12-10 15:00"))
        .await
        .unwrap();
    let late = w
        .transitions
        .record_admission(
            &w.cm,
            &c,
            pid,
            &admission(w.hospital, "2026-12-16T10:00"),
            at("2026-12-16 11:00"),
        )
        .await
        .unwrap();
    let early = w
        .transitions
        .stay(&w.cm, &c, early, at("2026-12-16 11:00"))
        .await
        .unwrap();
    let late = w
        .transitions
        .stay(&w.cm, &c, late, at("2026-12-16 11:00"))
        .await
        .unwrap();
    assert_eq!(early.rule.map(|r| r.version), Some(1));
    assert_eq!(early.stay.screening_labels(), ["要介護3以上"]);
    assert_eq!(late.rule.map(|r| r.version), Some(2));
    assert_eq!(late.stay.screening_labels(), ["75歳以上"]);
    let _ = StayId(0);
    let _ = SummaryFields::default();
});

both_backends!(the_office_week_decides_outside_hours, |db| async move {
    let w = world(&db).await;
    let c = ctx();
    let pid = patient(&w, "週末 花子", "care2", at("2026-12-01 09:00")).await;
    let office = w.cm.org_ids[0];
    let mut week = renkei_domain::transitions::BusinessCalendar {
        open_days: [true, true, true, true, true, true, false],
        opens: "09:00".into(),
        closes: "18:00".into(),
        ..Default::default()
    };
    // Not one of the care manager's offices; an impossible week.
    assert!(matches!(
        w.transitions
            .save_office_calendar(
                &w.cm,
                &c,
                w.doctor.org_ids[0],
                &week,
                at("2026-12-01 09:00")
            )
            .await,
        Err(ServiceError::Validation(_))
    ));
    week.opens = "19:00".into();
    assert!(matches!(
        w.transitions
            .save_office_calendar(&w.cm, &c, office, &week, at("2026-12-01 09:00"))
            .await,
        Err(ServiceError::Validation(_))
    ));
    week.opens = "09:00".into();
    w.transitions
        .save_office_calendar(&w.cm, &c, office, &week, at("2026-12-01 09:00"))
        .await
        .unwrap();
    let mine = w.transitions.my_office_calendars(&w.cm).await.unwrap();
    assert_eq!(mine[0].2, week);
    // Saturday 10:00 is in this office's hours: (Ⅰ) ends that day.
    let stay = w
        .transitions
        .record_admission(
            &w.cm,
            &c,
            pid,
            &admission(w.hospital, "2026-12-12T10:00"),
            at("2026-12-12 10:30"),
        )
        .await
        .unwrap();
    let view = w
        .transitions
        .stay(&w.cm, &c, stay, at("2026-12-12 10:30"))
        .await
        .unwrap();
    assert!(!view.stay.outside_hours);
    assert_eq!(
        view.admission_deadlines,
        ("2026-12-12".into(), "2026-12-14".into())
    );
});

both_backends!(
    a_regional_sheet_is_used_where_the_rule_requires_it,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        region_rule(&w).await;
        // A sheet that names a field the national sample does not have is
        // refused, with the line.
        let refused = w
            .transitions
            .create_template(
                &w.admin,
                &c,
                "admission",
                "壊れた様式",
                "# 基本\nnosuch\n",
                at("2026-12-01 09:00"),
            )
            .await;
        assert!(
            matches!(&refused, Err(ServiceError::Validation(v)) if v.0[0].message.contains("nosuch")),
            "{refused:?}"
        );
        assert!(matches!(
            w.transitions
                .create_template(
                    &w.cm,
                    &c,
                    "admission",
                    "様式",
                    "# 基本\nname\n",
                    at("2026-12-01 09:00")
                )
                .await,
            Err(ServiceError::Forbidden)
        ));
        let code = w
        .transitions
        .create_template(
            &w.admin,
            &c,
            "admission",
            "第一圏域 情報連携シート",
            "# 基本情報\nname\nkana\n# 介護保険情報\ncare_level\n# 日常生活情報（口腔・食形態）\nmeal_form\ndentures\n",
            at("2026-12-01 09:00"),
        )
        .await
        .unwrap();
        let templates = w.transitions.templates(&w.cm).await.unwrap();
        assert_eq!(templates.len(), 3, "two national samples and the region's");
        // From the 10th, the rule requires it.
        let set = w.transitions.rules(&w.admin).await.unwrap().own[0].0.id;
        let body = RuleBody {
            screening: vec![Criterion::CareLevelAtLeast {
                level: CareLevel::Care3,
            }],
            required_forms: vec![code.clone(), "national_discharge".into()],
            ..RuleBody::default()
        };
        w.transitions
            .add_rule_version(
                &w.admin,
                &c,
                set,
                &body,
                "2026-12-10",
                "地域様式へ",
                at("2026-12-01 09:00"),
            )
            .await
            .unwrap();
        let pid = patient(&w, "様式 花子", "care3", at("2026-12-01 09:00")).await;
        let stay = w
            .transitions
            .record_admission(
                &w.cm,
                &c,
                pid,
                &admission(w.hospital, "2026-12-11T10:00"),
                at("2026-12-11 11:00"),
            )
            .await
            .unwrap();
        let draft = w
            .transitions
            .form(&w.cm, &c, stay, FormKind::Admission, at("2026-12-11 11:00"))
            .await
            .unwrap();
        assert_eq!(draft.template.code, code);
        let titles: Vec<&str> = draft.template.layout().iter().map(|(t, _)| *t).collect();
        assert_eq!(
            titles,
            ["基本情報", "介護保険情報", "日常生活情報（口腔・食形態）"]
        );
        // Pre-fill works the same: national keys.
        assert_eq!(
            draft.content.get("care_level").map(String::as_str),
            Some("要介護3")
        );
        w.transitions
            .save_form(
                &w.cm,
                &c,
                stay,
                FormKind::Admission,
                &draft.content,
                at("2026-12-11 11:05"),
            )
            .await
            .unwrap();
        let saved = w
            .transitions
            .form(&w.cm, &c, stay, FormKind::Admission, at("2026-12-11 11:06"))
            .await
            .unwrap();
        assert_eq!(saved.form.template, code);
        assert_eq!(saved.template.sections.len(), 3);
        // The discharge record stays national.
        let discharge = w
            .transitions
            .form(&w.cm, &c, stay, FormKind::Discharge, at("2026-12-11 11:06"))
            .await
            .unwrap();
        assert_eq!(discharge.template.code, "national_discharge");
    }
);

both_backends!(
    the_municipality_names_an_unknown_care_manager,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        region_rule(&w).await;
        let ask = renkei_transitions::model::InquiryInput {
            municipality_code: CITY.into(),
            hospital_name: "第一市立病院".into(),
            person_name: "照会 太郎".into(),
            birth_date: "1938-02-03".into(),
            insured_number: "0000012345".into(),
            admitted_on: "2026-12-07".into(),
            ..Default::default()
        };
        let bad = renkei_transitions::model::InquiryInput {
            municipality_code: "999999".into(),
            birth_date: "昭和13年".into(),
            ..ask.clone()
        };
        assert!(matches!(
            w.transitions.ask_for_care_manager(&w.liaison, &c, &bad, at("2026-12-07 12:00")).await,
            Err(ServiceError::Validation(v)) if v.0.len() == 2
        ));
        let id = w
            .transitions
            .ask_for_care_manager(&w.liaison, &c, &ask, at("2026-12-07 12:00"))
            .await
            .unwrap();
        // The hospital sees what it asked; another hospital sees nothing; the
        // municipality sees the region's, due in the default two days.
        let mine = w.transitions.inquiries(&w.liaison, &c).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].due_at, at("2026-12-09 12:00").millis());
        assert!(w
            .transitions
            .inquiries(&w.other_liaison, &c)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            w.transitions.inquiries(&w.officer, &c).await.unwrap().len(),
            1
        );
        let answer = renkei_transitions::model::InquiryAnswer {
            inquiry_id: id.0,
            office: "ひかり居宅介護支援".into(),
            care_manager: "伊藤".into(),
            note: String::new(),
        };
        // Naming a person needs two-factor sign-in, whatever the role needs
        // otherwise; professionals do not answer.
        assert!(matches!(
            w.transitions.answer_inquiry(&w.officer, &c, &answer, at("2026-12-08 09:00")).await,
            Err(ServiceError::Validation(v)) if v.0[0].code == "mfa"
        ));
        assert!(matches!(
            w.transitions
                .answer_inquiry(&w.cm, &c, &answer, at("2026-12-08 09:00"))
                .await,
            Err(ServiceError::Forbidden)
        ));
        let officer = Principal {
            mfa_enabled: true,
            ..w.officer.clone()
        };
        w.transitions
            .answer_inquiry(&officer, &c, &answer, at("2026-12-08 09:00"))
            .await
            .unwrap();
        assert!(matches!(
            w.transitions
                .answer_inquiry(&officer, &c, &answer, at("2026-12-08 09:05"))
                .await,
            Err(ServiceError::Conflict(_))
        ));
        let answered = &w.transitions.inquiries(&w.liaison, &c).await.unwrap()[0];
        assert_eq!(answered.answer_office, "ひかり居宅介護支援");
        assert!(answered.answered_at.is_some_and(|t| t <= answered.due_at));
        let records = audit::search(
            &db,
            &AuditQuery {
                action: Some("inquiry.answer".into()),
                limit: 10,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(records.len(), 1);
    }
);

both_backends!(
    a_hospitals_document_is_checked_and_attached,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        let pid = patient(&w, "文書 花子", "care2", at("2026-12-01 09:00")).await;
        let good = serde_json::json!({
            "resourceType": "Bundle",
            "type": "document",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:7f1d0e5e-0000-4000-8000-000000000002"},
            "timestamp": "2026-12-14T10:00:00+09:00",
            "entry": [
                {"fullUrl": "urn:uuid:c", "resource": {
                    "resourceType": "Composition", "status": "final",
                    "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5", "display": "Discharge summary"}]},
                    "subject": {"reference": "urn:uuid:p"},
                    "date": "2026-12-14T10:00:00+09:00",
                    "author": [{"display": "第一市立病院 内科"}],
                    "title": "退院時サマリー",
                    "section": [{"title": "経過", "text": {"status": "generated",
                        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>改善して退院</p></div>"}}]
                }},
                {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "name": [{"text": "文書 花子"}]}}
            ]
        });
        let bytes = serde_json::to_vec(&good).unwrap();
        // A stay that asked for its discharge summary.
        let stay = w
            .transitions
            .record_admission(
                &w.cm,
                &c,
                pid,
                &admission(w.hospital, "2026-12-02T10:00"),
                at("2026-12-02 11:00"),
            )
            .await
            .unwrap();
        w.transitions
            .record_discharge(&w.cm, &c, stay, "2026-12-10", at("2026-12-10 15:00"))
            .await
            .unwrap();
        w.transitions
            .request_summary(&w.cm, &c, stay, at("2026-12-10 15:05"))
            .await
            .unwrap();
        // Not the team's: as if it did not exist.
        assert!(matches!(
            w.transitions
                .import_document(&w.outsider, &c, pid, &bytes, at("2026-12-14 11:00"))
                .await,
            Err(ServiceError::NotFound)
        ));
        let mut broken = good.clone();
        broken["type"] = serde_json::json!("collection");
        broken["entry"][0]["resource"]["title"] = serde_json::json!("");
        let refused = w
            .transitions
            .import_document(
                &w.cm,
                &c,
                pid,
                &serde_json::to_vec(&broken).unwrap(),
                at("2026-12-14 11:00"),
            )
            .await;
        match refused {
            Err(ServiceError::Validation(v)) => {
                let fields: Vec<&str> = v.0.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["Bundle.type", "Composition.title"]);
            }
            other => panic!("{other:?}"),
        }
        w.transitions
            .import_document(&w.cm, &c, pid, &bytes, at("2026-12-14 11:00"))
            .await
            .unwrap();
        let docs = w
            .transitions
            .documents_of_patient(&w.doctor, &c, pid, at("2026-12-14 11:05"))
            .await
            .unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].title, "退院時サマリー");
        // The summary the stay asked for has come back, attached.
        let view = w
            .transitions
            .stay(&w.cm, &c, stay, at("2026-12-14 11:05"))
            .await
            .unwrap();
        assert_eq!(view.stay.summary_returned_on.as_deref(), Some("2026-12-14"));
        assert!(
            view.stay.summary_note.contains("退院時サマリー"),
            "{}",
            view.stay.summary_note
        );
        assert_eq!(
            docs[0].sections(),
            [("経過".to_string(), "改善して退院".to_string())]
        );
    }
);

both_backends!(
    routing_cases_become_work_in_their_inboxes,
    |db| async move {
        use renkei_domain::transitions::{TaskInbox, TaskKind, TaskStatus};
        use renkei_transitions::model::TaskDoneInput;
        let w = world(&db).await;
        let c = ctx();
        let before = at("2026-11-20 09:00");
        // The hub every discharge goes to first: 第二総合病院, on Renkei.
        let (hub, full_office, open_office) = {
            let mut tx = w.db.begin().await.unwrap();
            let new = |kind: &str, name: &str, org: Option<OrgId>| NewLocalEntry {
                kind: kind.into(),
                name: name.into(),
                municipality_code: CITY.into(),
                municipality_name: "千代田区".into(),
                org_id: org,
                ..NewLocalEntry::default()
            };
            let hub = renkei_directory::fixtures::insert_local_entry(
                &mut tx,
                &new("hospital", "第二総合病院", Some(w.other_liaison.org_ids[0])),
                before,
            )
            .await
            .unwrap();
            let full = renkei_directory::fixtures::insert_local_entry(
                &mut tx,
                &new("care_management", "あおば居宅介護支援", None),
                before,
            )
            .await
            .unwrap();
            let open = renkei_directory::fixtures::insert_local_entry(
                &mut tx,
                &new("care_management", "みなと居宅介護支援", None),
                before,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            (hub, full, open)
        };
        renkei_directory::fixtures::set_acceptance(&w.db, full_office, "full", "", before)
            .await
            .unwrap();
        renkei_directory::fixtures::set_acceptance(&w.db, open_office, "accepting", "", before)
            .await
            .unwrap();
        w.live.refresh(&w.db, before).await.unwrap();
        let mut body = RuleBody {
            hub: String::new(),
            hub_entry_id: Some(EntryId(999_999)),
            ..RuleBody::default()
        };
        // A hub that is not in the directory is refused.
        let err = w
            .transitions
            .create_rule_set(
                &w.admin,
                &c,
                "圏域ルール",
                "協議会",
                false,
                &body,
                "2026-11-21",
                true,
                before,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, ServiceError::Validation(_)), "{err:?}");
        body.hub_entry_id = Some(hub);
        body.routes = vec![renkei_domain::transitions::Route {
            case: renkei_domain::transitions::RouteCase::NoCareManager,
            to: "第一圏域 連携支援センター".into(),
            respond_within_days: 2,
            steps: vec!["家族と介護保険を申請する".into()],
        }];
        w.transitions
            .create_rule_set(
                &w.admin,
                &c,
                "圏域ルール",
                "協議会",
                false,
                &body,
                "2026-11-21",
                true,
                before,
            )
            .await
            .unwrap();

        // A terminal patient of the care manager, with a doctor on the team.
        let terminal = patient(&w, "終末 一郎", "care2", before).await;
        let now = at("2026-12-01 10:00");
        let mut input = admission(w.hospital, "2026-12-01T09:00");
        input.terminal = true;
        let stay = w
            .transitions
            .record_admission(&w.cm, &c, terminal, &input, now)
            .await
            .unwrap();
        // The hospital's liaison window, as the directory keeps it, shows
        // on the stay.
        let window = renkei_domain::directory::LiaisonWindow {
            department: "地域連携室".into(),
            fax: "03-0000-0001".into(),
            channel: "fax".into(),
            ..Default::default()
        };
        let mut tx = w.db.begin().await.unwrap();
        renkei_directory::fixtures::write_local_fields(
            &mut tx,
            w.hospital,
            &renkei_directory::model::LocalFields {
                liaison_window: window.clone(),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let view = w.transitions.stay(&w.cm, &c, stay, now).await.unwrap();
        assert_eq!(view.liaison_window, window);
        let mine = w.transitions.tasks(&w.cm, &c, now).await.unwrap();
        assert_eq!(mine.len(), 1);
        let widen = &mine[0];
        assert_eq!(
            (widen.kind, widen.inbox, widen.due_on.as_str()),
            (TaskKind::WidenTeam, TaskInbox::Team, "2026-12-04")
        );
        let view = w.transitions.task(&w.cm, &c, widen.id, now).await.unwrap();
        assert_eq!(view.missing_roles, ["訪問看護", "薬剤師", "リハ"]);
        assert!(view.may_close);
        // Nobody off the team (or the support centre) sees the team's task.
        for who in [&w.outsider, &w.coordinator] {
            assert!(matches!(
                w.transitions.task(who, &c, widen.id, now).await,
                Err(ServiceError::NotFound)
            ));
        }
        assert!(matches!(
            w.transitions
                .close_task(&w.cm, &c, widen.id, &TaskDoneInput::default(), now)
                .await,
            Err(ServiceError::Validation(_))
        ));
        let done = TaskDoneInput {
            outcome: "訪問看護と薬局をチームに招待".into(),
            chosen_entry_id: None,
        };
        w.transitions
            .close_task(&w.cm, &c, widen.id, &done, now)
            .await
            .unwrap();
        assert!(matches!(
            w.transitions
                .close_task(&w.cm, &c, widen.id, &done, now)
                .await,
            Err(ServiceError::Conflict(_))
        ));

        // The hospital tells the discharge day: the hub's staff get it, due
        // the rule's 3 days ahead.
        w.transitions
            .plan_discharge(&w.liaison, &c, stay, "2026-12-10", now)
            .await
            .unwrap();
        let hub_tasks = w
            .transitions
            .tasks(&w.other_liaison, &c, now)
            .await
            .unwrap();
        assert_eq!(hub_tasks.len(), 1);
        assert_eq!(
            (
                hub_tasks[0].kind,
                hub_tasks[0].inbox,
                hub_tasks[0].due_on.as_str()
            ),
            (TaskKind::HubDischarge, TaskInbox::Hub, "2026-12-07")
        );
        assert_eq!(hub_tasks[0].recipient, "第二総合病院");
        // Told again: still one hub task.
        w.transitions
            .plan_discharge(&w.liaison, &c, stay, "2026-12-11", now)
            .await
            .unwrap();
        assert_eq!(
            w.transitions
                .tasks(&w.other_liaison, &c, now)
                .await
                .unwrap()
                .len(),
            1
        );

        // Discharged: the team's follow-up, due at the end of the rule's 14 days.
        let later = at("2026-12-11 15:00");
        w.transitions
            .record_discharge(&w.cm, &c, stay, "2026-12-11", later)
            .await
            .unwrap();
        let follow = w.transitions.tasks(&w.doctor, &c, later).await.unwrap();
        let follow: Vec<_> = follow
            .iter()
            .filter(|t| t.kind == TaskKind::FollowUp)
            .collect();
        assert_eq!(follow.len(), 1);
        assert_eq!(follow[0].due_on, "2026-12-25");
        assert_eq!(follow[0].status, TaskStatus::Open);

        // A doctor's patient with no care manager: the support centre helps
        // the family choose an office (accepting ones first).
        let no_cm = w
            .care
            .register_patient(
                &w.doctor,
                &c,
                None,
                "attending_doctor",
                &renkei_care::model::PatientInput {
                    name: "単身 花".into(),
                    kana: "たんしん はな".into(),
                    birth_date: "1938-01-02".into(),
                    sex: "female".into(),
                    address: "千代田区2-2".into(),
                    care_level: "support2".into(),
                    care_application: "certified".into(),
                    household: "alone".into(),
                    ..Default::default()
                },
                before,
            )
            .await
            .unwrap();
        w.transitions
            .record_admission(
                &w.doctor,
                &c,
                no_cm,
                &admission(w.fax_hospital, "2026-12-01T09:30"),
                now,
            )
            .await
            .unwrap();
        let centre = w.transitions.tasks(&w.coordinator, &c, now).await.unwrap();
        assert_eq!(centre.len(), 1);
        let find = &centre[0];
        assert_eq!(
            (
                find.kind,
                find.inbox,
                find.due_on.as_str(),
                find.recipient.as_str()
            ),
            (
                TaskKind::NoCareManager,
                TaskInbox::SupportCentre,
                "2026-12-03",
                "第一圏域 連携支援センター"
            )
        );
        assert_eq!(find.steps(), ["家族と介護保険を申請する"]);
        let view = w
            .transitions
            .task(&w.coordinator, &c, find.id, now)
            .await
            .unwrap();
        let offices: Vec<_> = view.offices.iter().map(|o| (o.0, o.3.as_str())).collect();
        assert_eq!(offices, [(open_office, "accepting"), (full_office, "full")]);
        // The doctor (the team) reads it but the support centre closes it.
        let doctors = w
            .transitions
            .task(&w.doctor, &c, find.id, now)
            .await
            .unwrap();
        assert!(!doctors.may_close);
        assert!(matches!(
            w.transitions
                .close_task(&w.doctor, &c, find.id, &done, now)
                .await,
            Err(ServiceError::Forbidden)
        ));
        // An office not on the list is refused; the listed one is recorded.
        let mut chosen = TaskDoneInput {
            outcome: "家族と申請、みなと居宅に依頼".into(),
            chosen_entry_id: Some(hub.0),
        };
        assert!(matches!(
            w.transitions
                .close_task(&w.coordinator, &c, find.id, &chosen, now)
                .await,
            Err(ServiceError::Validation(_))
        ));
        chosen.chosen_entry_id = Some(open_office.0);
        w.transitions
            .close_task(&w.coordinator, &c, find.id, &chosen, now)
            .await
            .unwrap();
        let closed = w
            .transitions
            .task(&w.coordinator, &c, find.id, now)
            .await
            .unwrap();
        assert_eq!(closed.task.status, TaskStatus::Done);
        assert_eq!(closed.chosen_name, "みなと居宅介護支援");

        // Every read and close is in the audit trail.
        let entries = audit::search(
            &db,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        for action in ["task.read", "task.close"] {
            assert!(entries.iter().any(|e| e.action == action), "{action}");
        }
        assert!(entries
            .iter()
            .any(|e| e.action == "task.read" && e.outcome == "denied"));
    }
);

both_backends!(
    no_home_doctor_lists_clinics_and_an_area_rule_judges_its_area,
    |db| async move {
        use renkei_domain::transitions::{RuleScope, TaskKind};
        let w = world(&db).await;
        let c = ctx();
        let before = at("2026-11-20 09:00");
        region_rule(&w).await;
        // The northern daily-life area agreed a stricter rule: care level 1
        // and up needs coordination.
        let north = RuleBody {
            screening: vec![Criterion::CareLevelAtLeast {
                level: CareLevel::Care1,
            }],
            ..RuleBody::default()
        };
        let north_set = w
            .transitions
            .create_rule_set(
                &w.admin,
                &c,
                "北部圏域ルール",
                "北部地域包括支援センター",
                false,
                &north,
                "2026-11-21",
                false,
                before,
            )
            .await
            .unwrap();
        w.transitions
            .adopt(
                &w.admin,
                &c,
                north_set,
                RuleScope::Area.code(),
                "北部圏域",
                "2026-11-21",
                before,
            )
            .await
            .unwrap();
        assert_eq!(
            w.transitions
                .adopted_areas(w.admin.region_id.unwrap())
                .await
                .unwrap(),
            ["北部圏域"]
        );
        // Two home-care clinics of the city, one accepting.
        let (busy, open) = {
            let mut tx = w.db.begin().await.unwrap();
            let new = |name: &str| NewLocalEntry {
                kind: "home_care_clinic".into(),
                name: name.into(),
                municipality_code: CITY.into(),
                municipality_name: "千代田区".into(),
                ..NewLocalEntry::default()
            };
            let busy = renkei_directory::fixtures::insert_local_entry(
                &mut tx,
                &new("いずみ在宅クリニック"),
                before,
            )
            .await
            .unwrap();
            let open = renkei_directory::fixtures::insert_local_entry(
                &mut tx,
                &new("さくら在宅診療所"),
                before,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            (busy, open)
        };
        renkei_directory::fixtures::set_acceptance(&w.db, busy, "full", "", before)
            .await
            .unwrap();
        renkei_directory::fixtures::set_acceptance(&w.db, open, "accepting", "", before)
            .await
            .unwrap();
        w.live.refresh(&w.db, before).await.unwrap();

        // The care manager's patient, care level 1, on oxygen at home and
        // with no home doctor.
        let pid = w
            .care
            .register_patient(
                &w.cm,
                &c,
                None,
                "care_manager",
                &PatientInput {
                    name: "在宅 酸素".into(),
                    kana: "ざいたく さんそ".into(),
                    birth_date: "1941-03-03".into(),
                    sex: "male".into(),
                    address: "千代田区3-3".into(),
                    care_level: "care1".into(),
                    care_application: "certified".into(),
                    household: "with_family".into(),
                    ..Default::default()
                },
                before,
            )
            .await
            .unwrap();
        w.care
            .save_summary(
                &w.cm,
                &c,
                pid,
                0,
                &SummaryFields {
                    procedures: "在宅酸素療法".into(),
                    ..Default::default()
                },
                before,
            )
            .await
            .unwrap();
        let now = at("2026-12-01 10:00");
        // An area the region has no rule for is refused.
        let mut input = admission(w.hospital, "2026-12-01T09:00");
        input.area = "南部圏域".into();
        assert!(matches!(
            w.transitions
                .record_admission(&w.cm, &c, pid, &input, now)
                .await,
            Err(ServiceError::Validation(_))
        ));
        input.area = "北部圏域".into();
        let stay = w
            .transitions
            .record_admission(&w.cm, &c, pid, &input, now)
            .await
            .unwrap();
        let view = w.transitions.stay(&w.cm, &c, stay, now).await.unwrap();
        // Judged by the area's rule (care level 1 needs coordination), not
        // the region's (care level 3).
        assert_eq!(view.stay.area, "北部圏域");
        assert_eq!(
            view.rule.as_ref().map(|r| r.name.as_str()),
            Some("北部圏域ルール")
        );
        assert!(view.stay.needs_coordination);

        // No home doctor but medical care: the support centre finds a
        // home-care clinic, accepting ones first.
        let centre = w.transitions.tasks(&w.coordinator, &c, now).await.unwrap();
        let find = centre
            .iter()
            .find(|t| t.kind == TaskKind::NoHomeDoctor)
            .expect("a no-home-doctor task");
        let task = w
            .transitions
            .task(&w.coordinator, &c, find.id, now)
            .await
            .unwrap();
        let clinics: Vec<_> = task.offices.iter().map(|o| (o.0, o.3.as_str())).collect();
        assert_eq!(clinics, [(open, "accepting"), (busy, "full")]);

        // Without an area the region's rule judges (care level 1 does not
        // need coordination there).
        let other = patient(&w, "市内 一郎", "care1", before).await;
        let stay = w
            .transitions
            .record_admission(
                &w.cm,
                &c,
                other,
                &admission(w.hospital, "2026-12-01T09:30"),
                now,
            )
            .await
            .unwrap();
        let view = w.transitions.stay(&w.cm, &c, stay, now).await.unwrap();
        assert_eq!(view.stay.area, "");
        assert_eq!(
            view.rule.as_ref().map(|r| r.name.as_str()),
            Some("第一圏域ルール")
        );
        assert!(!view.stay.needs_coordination);
    }
);

both_backends!(
    documents_come_back_through_fhir_and_the_discharge_day_is_mailed,
    |db| async move {
        let w = world(&db).await;
        let c = ctx();
        region_rule(&w).await;
        let before = at("2026-12-01 09:00");
        let pid = patient(&w, "文書 花子", "care3", before).await;
        let now = at("2026-12-07 11:00");
        let stay = w
            .transitions
            .record_admission(
                &w.cm,
                &c,
                pid,
                &admission(w.hospital, "2026-12-07T10:30"),
                now,
            )
            .await
            .unwrap();

        // The hospital tells the discharge day: the care manager and the
        // doctor are e-mailed a link, never the patient's name.
        w.transitions
            .plan_discharge(&w.liaison, &c, stay, "2026-12-20", now)
            .await
            .unwrap();
        let mut sent = Vec::new();
        for _ in 0..100 {
            sent = w.care_mail.sent();
            if sent.len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut to: Vec<_> = sent.iter().map(|m| m.to.as_str()).collect();
        to.sort();
        assert_eq!(to, ["cm_ito@example.jp", "doctor@example.jp"]);
        for m in &sent {
            assert!(m.subject.contains("退院予定日"), "{}", m.subject);
            assert!(m.body.contains("2026-12-20"), "{}", m.body);
            assert!(m.body.contains(&format!("/stays/{stay}")), "{}", m.body);
            assert!(!m.body.contains("文書 花子"), "{}", m.body);
        }
        // The team asks for the discharge summary.
        w.transitions
            .request_summary(&w.cm, &c, stay, now)
            .await
            .unwrap();

        // A discharge summary naming the patient by Renkei's id.
        let summary = |patient: Option<PatientId>| {
            let mut p =
                serde_json::json!({"resourceType": "Patient", "name": [{"text": "文書 花子"}]});
            if let Some(id) = patient {
                p["identifier"] = serde_json::json!([{"system": "urn:renkei:sid:patient", "value": id.to_string()}]);
            }
            serde_json::json!({
                "resourceType": "Bundle", "type": "document",
                "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:5e0b7a51-0000-4000-8000-000000000014"},
                "timestamp": "2026-12-20T10:00:00+09:00",
                "entry": [
                    {"fullUrl": "urn:uuid:c", "resource": {
                        "resourceType": "Composition", "status": "final",
                        "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
                        "subject": {"reference": "urn:uuid:p"}, "date": "2026-12-20T10:00:00+09:00",
                        "author": [{"display": "第一市立病院 内科"}], "title": "退院時サマリー",
                        "section": [{"title": "構造情報", "section": [
                            {"title": "入院中の経過", "text": {"status": "generated",
                                "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">肺炎は改善</div>"}}
                        ]}]
                    }},
                    {"fullUrl": "urn:uuid:p", "resource": p}
                ]
            })
            .to_string()
        };
        // Without Renkei's patient id the document cannot be placed.
        let err = w
            .transitions
            .import_fhir_document(&w.liaison, &c, summary(None).as_bytes(), now)
            .await
            .unwrap_err();
        match err {
            ServiceError::Validation(e) => {
                assert_eq!(e.0[0].field, "Patient.identifier");
            }
            other => panic!("{other:?}"),
        }
        // Another hospital's staff, and a professional off the team, learn
        // nothing.
        for who in [&w.other_liaison, &w.outsider] {
            assert!(matches!(
                w.transitions
                    .import_fhir_document(who, &c, summary(Some(pid)).as_bytes(), now)
                    .await,
                Err(ServiceError::NotFound)
            ));
        }
        // The hospital the patient stays in returns it: attached, and the
        // summary's return is recorded.
        let later = at("2026-12-20 10:30");
        let (patient, doc) = w
            .transitions
            .import_fhir_document(&w.liaison, &c, summary(Some(pid)).as_bytes(), later)
            .await
            .unwrap();
        assert_eq!(patient, pid);
        let view = w.transitions.stay(&w.cm, &c, stay, later).await.unwrap();
        assert_eq!(view.stay.summary_returned_on.as_deref(), Some("2026-12-20"));
        let docs = w
            .transitions
            .documents_of_patient(&w.cm, &c, pid, later)
            .await
            .unwrap();
        assert_eq!(docs.len(), 1);
        // The nested section (JP-CLINS's 構造情報) is read for its text.
        assert_eq!(
            docs[0].sections(),
            [("入院中の経過".to_string(), "肺炎は改善".to_string())]
        );
        // The team reads it back as received; the hospital cannot.
        let bundle = w
            .transitions
            .document_bundle(&w.cm, &c, doc, later)
            .await
            .unwrap();
        assert!(bundle.contains("18842-5"));
        assert!(matches!(
            w.transitions
                .document_bundle(&w.outsider, &c, doc, later)
                .await,
            Err(ServiceError::NotFound)
        ));
        // The team may post one too.
        w.transitions
            .import_fhir_document(&w.cm, &c, summary(Some(pid)).as_bytes(), later)
            .await
            .unwrap();
    }
);
