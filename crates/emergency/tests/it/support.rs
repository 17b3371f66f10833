//! The emergency tests' world: a region with one municipality, a clinic,
//! a care-management office, a hospital in the directory, and the people
//! who keep, read, run and report on emergency records.

use std::sync::Arc;

use renkei_care::model::{ConsentInput, PatientInput};
use renkei_care::{Care, CareConfig};
use renkei_directory::live::LiveIndex;
use renkei_directory::model::NewLocalEntry;
use renkei_directory::service::{Directory, DirectoryConfig};
use renkei_domain::{EntryId, PatientId, Timestamp};
use renkei_emergency::Emergency;
use renkei_identity::service_types::SessionState;
use renkei_identity::{
    Actor, Identity, IdentityConfig, NewMunicipality, NewOrganisation, NewUser, Principal,
    RequestContext,
};
use renkei_mail::CapturingMailer;
use renkei_store::Db;
use renkei_transitions::Transitions;

pub const CITY: &str = "131016";
pub const DAY: i64 = 24 * 3600;

pub fn ctx() -> RequestContext {
    RequestContext {
        source_addr: "192.0.2.7".into(),
        user_agent: "emergency-test".into(),
    }
}

pub struct World {
    pub identity: Identity,
    pub region: i64,
    pub care: Care,
    pub emergency: Emergency,
    pub transitions: Transitions,
    pub care_mail: Arc<CapturingMailer>,
    /// What emergency e-mailed (reminders).
    pub desk_mail: Arc<CapturingMailer>,
    pub cm: Principal,
    pub doctor: Principal,
    pub outsider: Principal,
    pub desk: Principal,
    pub officer: Principal,
    pub db: Db,
    /// An EMS user of the region (救急隊).
    pub ems: Principal,
    /// Two 民生委員 of the region: the desk assigns residents to them.
    pub watcher: Principal,
    pub other_watcher: Principal,
    /// The hospital in the directory an ambulance takes people to.
    pub hospital: EntryId,
}

pub async fn user(
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

pub async fn world(db: &Db) -> World {
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
    identity
        .create_municipality(
            &cli,
            &NewMunicipality {
                region_id: Some(region),
                code: CITY.into(),
                name: "千代田区".into(),
                kana: String::new(),
                population: None,
            },
            &ctx(),
        )
        .await
        .unwrap();
    let mut orgs = Vec::new();
    for (name, kind) in [
        ("さくら診療所", "clinic"),
        ("ひかり居宅介護支援", "care_management"),
        ("よその診療所", "clinic"),
    ] {
        orgs.push(
            identity
                .create_organisation(
                    &cli,
                    &NewOrganisation {
                        region_id: Some(region),
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
    let mail = Arc::new(CapturingMailer::default());
    let live = LiveIndex::empty();
    let directory = Directory::new(
        db.clone(),
        live.clone(),
        mail.clone(),
        DirectoryConfig::default(),
    );
    let mut tx = db.begin().await.unwrap();
    let hospital = renkei_directory::fixtures::insert_local_entry(
        &mut tx,
        &NewLocalEntry {
            kind: "hospital".into(),
            name: "第一市立病院".into(),
            municipality_code: CITY.into(),
            municipality_name: "千代田区".into(),
            ..NewLocalEntry::default()
        },
        Timestamp(0),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    live.refresh(db, Timestamp(0)).await.unwrap();
    let care_mail = Arc::new(CapturingMailer::default());
    let care = Care::new(db.clone(), care_mail.clone(), CareConfig::default());
    let transitions = Transitions::new(db.clone(), care.clone(), directory);
    let desk_mail = Arc::new(CapturingMailer::default());
    let emergency = Emergency::new(
        db.clone(),
        care.clone(),
        transitions.clone(),
        desk_mail.clone(),
        "https://renkei.example.jp",
    );
    World {
        identity: identity.clone(),
        region,
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
        outsider: user(
            &identity,
            "nurse",
            "professional",
            "nurse",
            region,
            vec![orgs[2]],
        )
        .await,
        desk: user(&identity, "desk", "coordinator", "other", region, vec![]).await,
        officer: user(
            &identity,
            "officer",
            "municipal_officer",
            "municipal_officer",
            region,
            vec![],
        )
        .await,
        ems: user(&identity, "ems", "ems", "ems", region, vec![]).await,
        watcher: user(&identity, "minsei", "watcher", "other", region, vec![]).await,
        other_watcher: user(&identity, "mimamori", "watcher", "other", region, vec![]).await,
        hospital,
        care,
        emergency,
        transitions,
        care_mail,
        desk_mail,
        db: db.clone(),
    }
}

/// The care manager's patient with the doctor on the team.
pub async fn patient(w: &World, now: Timestamp) -> PatientId {
    let c = ctx();
    let pid = w
        .care
        .register_patient(
            &w.cm,
            &c,
            None,
            "care_manager",
            &PatientInput {
                name: "緊急 花子".into(),
                kana: "きんきゅう はなこ".into(),
                birth_date: "1936-04-01".into(),
                sex: "female".into(),
                address: "千代田区1-1".into(),
                care_level: "care2".into(),
                care_application: "certified".into(),
                household: "alone".into(),
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
