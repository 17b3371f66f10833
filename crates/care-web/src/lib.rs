//! Care's web side (情報共有の支援): the pages of patients, teams, the
//! timeline, the summary, consent, break-glass, groups and notification
//! settings, the JSON API under `/api/v1/patients/…`, and the FHIR Patient,
//! CareTeam, Communication, Observation and Consent. Rules live in
//! `renkei_care`; [`capability`] declares all of this for the assembly.

// The edge: handlers read the clock and pass the moment down to the
// services (clippy.toml forbids reading it below the edge).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod api;
pub mod fhir;
pub mod fhir_resources;
pub mod pages;
pub mod posts;

use std::sync::Arc;
use std::time::Duration;

use renkei_care::Care;
use renkei_directory::service::Directory;
use renkei_domain::care::MemberStatus;
use renkei_domain::people::Permission;
use renkei_domain::Timestamp;
use renkei_identity::{Identity, Principal, RequestContext};
use renkei_interop::FhirResource;
use renkei_web_kit::capability::BoxFuture;
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::routes::audience::{NOBODY, SIGNED_IN};
use renkei_web_kit::routes::{Persona, RowOrder};
use renkei_web_kit::{
    Capability, HomeItem, HomeItems, Job, NavEntry, RouteTable, Synthetic, Urgency, WebConfig,
};
use utoipa::OpenApi;

/// What care's handlers need.
#[derive(Clone)]
pub struct CareState(Arc<Inner>);

pub struct Inner {
    pub identity: Identity,
    pub config: WebConfig,
    /// Patients, teams, the timeline and the summary.
    pub care: Care,
    /// The directory, read for what it publishes: which entry is an
    /// organisation's (the target of FHIR Organization references).
    pub directory: Directory,
}

impl CareState {
    pub fn new(identity: Identity, config: WebConfig, care: Care, directory: Directory) -> Self {
        Self(Arc::new(Inner {
            identity,
            config,
            care,
            directory,
        }))
    }
}

impl std::ops::Deref for CareState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

use Persona::*;
/// Who may open care pages at all (teams or break-glass).
const CARE_USERS: &[Persona] = &[Coordinator, Professional, Family, Ems];
/// Who may register patients and create groups.
const REGISTRARS: &[Persona] = &[Coordinator, Professional];
/// The test patient's team: the Professional (lead, 主治医) and the Family
/// user. Nobody else, whatever their role, sees the patient.
const TEAM: &[Persona] = &[Professional, Family];
/// The team's professionals (not family).
const TEAM_PRO: &[Persona] = &[Professional];
/// Break-glass roles.
const BREAK_GLASS: &[Persona] = &[Coordinator, Ems];

/// Care's routes, each with its authorisation-matrix row. Routes that name
/// a patient, a post, an attachment or a group answer 404 to everyone off
/// the team (`conceals`), as for an id that does not exist.
fn routes() -> RouteTable<CareState> {
    RouteTable::new()
        // pages
        .get("/patients", pages::patients, CARE_USERS)
        .get("/patients/new", pages::new_patient_form, REGISTRARS)
        .post("/patients/new", pages::create_patient, REGISTRARS)
        .body("name=")
        .get(
            "/patients/break-glass",
            pages::break_glass_form,
            BREAK_GLASS,
        )
        .post("/patients/break-glass", pages::break_glass, BREAK_GLASS)
        .body("key=&reason=")
        .get("/patients/{id}", pages::patient_timeline, TEAM)
        .sample("/patients/{patient}")
        .conceals()
        .post("/patients/{id}/posts", pages::create_patient_post, TEAM)
        .sample("/patients/{patient}/posts")
        .body("idempotency_key=")
        .conceals()
        // Structured vital signs are clinical: not for family by default.
        .get("/patients/{id}/vitals", pages::vitals, TEAM_PRO)
        .sample("/patients/{patient}/vitals")
        .conceals()
        .get("/patients/{id}/summary", pages::summary, TEAM_PRO)
        .sample("/patients/{patient}/summary")
        .conceals()
        .post("/patients/{id}/summary", pages::save_summary, TEAM_PRO)
        .sample("/patients/{patient}/summary")
        .body("version=999")
        .conceals()
        .get("/patients/{id}/profile", pages::profile_form, TEAM_PRO)
        .sample("/patients/{patient}/profile")
        .conceals()
        .post("/patients/{id}/profile", pages::update_profile, TEAM_PRO)
        .sample("/patients/{patient}/profile")
        .body("name=")
        .conceals()
        .get("/patients/{id}/team", pages::patient_team, TEAM)
        .sample("/patients/{patient}/team")
        .conceals()
        .post(
            "/patients/{id}/team/invite",
            pages::patient_invite,
            TEAM_PRO,
        )
        .sample("/patients/{patient}/team/invite")
        .body("invitee=")
        .conceals()
        .post("/patients/{id}/team/accept", pages::patient_accept, NOBODY)
        .sample("/patients/{patient}/team/accept")
        .conceals()
        .post("/patients/{id}/team/leave", pages::patient_leave, TEAM)
        .sample("/patients/{patient}/team/leave")
        .conceals()
        .post("/patients/{id}/team/lead", pages::patient_lead, TEAM_PRO)
        .sample("/patients/{patient}/team/lead")
        .body("user_id=")
        .conceals()
        .post(
            "/patients/{id}/team/family-summary",
            pages::patient_family_summary,
            TEAM_PRO,
        )
        .sample("/patients/{patient}/team/family-summary")
        .conceals()
        .get("/patients/{id}/consent", pages::consent, TEAM)
        .sample("/patients/{patient}/consent")
        .conceals()
        .post("/patients/{id}/consent", pages::record_consent, TEAM_PRO)
        .sample("/patients/{patient}/consent")
        .body("obtained_on=")
        .conceals()
        .post(
            "/patients/{id}/consent/withdraw",
            pages::withdraw_consent,
            TEAM_PRO,
        )
        .sample("/patients/{patient}/consent/withdraw")
        .body("reason=")
        .conceals()
        .get("/posts/{id}", pages::post_detail, TEAM)
        .sample("/posts/{post}")
        .conceals()
        .post("/posts/{id}/ack", pages::acknowledge, TEAM_PRO)
        .sample("/posts/{post}/ack")
        .conceals()
        .post("/posts/{id}/edit", pages::edit_post, TEAM_PRO)
        .sample("/posts/{post}/edit")
        .body("body=")
        .conceals()
        .post("/posts/{id}/withdraw", pages::withdraw_post, TEAM_PRO)
        .sample("/posts/{post}/withdraw")
        .body("reason=")
        .conceals()
        .get("/attachments/{id}", pages::attachment, TEAM)
        .sample("/attachments/{attachment}")
        .conceals()
        .get("/attachments/{id}/thumbnail", pages::thumbnail, TEAM)
        .sample("/attachments/{image}/thumbnail")
        .conceals()
        .get("/groups", pages::groups, REGISTRARS)
        .post("/groups", pages::create_group, REGISTRARS)
        .body("name=")
        .get("/groups/{id}", pages::group_timeline, TEAM_PRO)
        .sample("/groups/{group}")
        .conceals()
        .post("/groups/{id}/posts", pages::create_group_post, TEAM_PRO)
        .sample("/groups/{group}/posts")
        .body("idempotency_key=")
        .conceals()
        .get("/groups/{id}/members", pages::group_members, TEAM_PRO)
        .sample("/groups/{group}/members")
        .conceals()
        .post("/groups/{id}/invite", pages::group_invite, TEAM_PRO)
        .sample("/groups/{group}/invite")
        .body("invitee=")
        .conceals()
        .post("/groups/{id}/accept", pages::group_accept, NOBODY)
        .sample("/groups/{group}/accept")
        .conceals()
        .post("/groups/{id}/leave", pages::group_leave, TEAM_PRO)
        .sample("/groups/{group}/leave")
        .conceals()
        .get("/notifications", pages::notifications, SIGNED_IN)
        .post("/notifications", pages::save_notifications, SIGNED_IN)
        .body("email_urgent=on&email_digest=on")
        // JSON API
        .get("/api/v1/patients", api::list_patients, CARE_USERS)
        .post("/api/v1/patients", api::create_patient, REGISTRARS)
        .body(r#"{"team_role":"","name":"","kana":"","birth_date":"","sex":""}"#)
        .get("/api/v1/patients/{id}", api::get_patient, TEAM)
        .sample("/api/v1/patients/{patient}")
        .conceals()
        .get("/api/v1/patients/{id}/consents", api::list_consents, TEAM)
        .sample("/api/v1/patients/{patient}/consents")
        .conceals()
        .post(
            "/api/v1/patients/{id}/consents",
            api::record_consent,
            TEAM_PRO,
        )
        .sample("/api/v1/patients/{patient}/consents")
        .body(r#"{"obtained_on":"","obtained_by":""}"#)
        .conceals()
        .post(
            "/api/v1/patients/{id}/consents/withdraw",
            api::withdraw_consent,
            TEAM_PRO,
        )
        .sample("/api/v1/patients/{patient}/consents/withdraw")
        .body(r#"{"reason":""}"#)
        .conceals()
        .get("/api/v1/patients/{id}/team", api::team, TEAM)
        .sample("/api/v1/patients/{patient}/team")
        .conceals()
        .post("/api/v1/patients/{id}/team", api::invite, TEAM_PRO)
        .sample("/api/v1/patients/{patient}/team")
        .body(r#"{"invitee":"","team_role":""}"#)
        .conceals()
        .post("/api/v1/patients/{id}/team/accept", api::accept, NOBODY)
        .sample("/api/v1/patients/{patient}/team/accept")
        .body("{}")
        .conceals()
        // Leaving through the API needs no confirmation: the lead is held
        // back (other members remain) but the family member really leaves,
        // so this runs after every other patient route.
        .post("/api/v1/patients/{id}/team/leave", api::leave, TEAM)
        .sample("/api/v1/patients/{patient}/team/leave")
        .body("{}")
        .conceals()
        .order(RowOrder::Late)
        .get("/api/v1/patients/{id}/posts", api::list_posts, TEAM)
        .sample("/api/v1/patients/{patient}/posts")
        .conceals()
        .post("/api/v1/patients/{id}/posts", api::create_post, TEAM)
        .sample("/api/v1/patients/{patient}/posts")
        .body(r#"{"category":""}"#)
        .conceals()
        .post(
            "/api/v1/patients/{id}/posts/{post}/acknowledge",
            api::acknowledge,
            TEAM_PRO,
        )
        .sample("/api/v1/patients/{patient}/posts/{post}/acknowledge")
        .body("{}")
        .conceals()
        .post(
            "/api/v1/patients/{id}/posts/{post}/read",
            api::mark_read,
            TEAM,
        )
        .sample("/api/v1/patients/{patient}/posts/{post}/read")
        .body("{}")
        .conceals()
        .get(
            "/api/v1/patients/{id}/posts/{post}/reads",
            api::receipts,
            TEAM,
        )
        .sample("/api/v1/patients/{patient}/posts/{post}/reads")
        .conceals()
        .get("/api/v1/patients/{id}/summary", api::summary, TEAM_PRO)
        .sample("/api/v1/patients/{patient}/summary")
        .conceals()
        .post("/api/v1/patients/{id}/summary", api::save_summary, TEAM_PRO)
        .sample("/api/v1/patients/{patient}/summary")
        .body(r#"{"base_version":999}"#)
        .conceals()
        .get("/api/v1/me/unread", api::unread, CARE_USERS)
        // FHIR
        .get("/fhir/Patient", fhir::search_patient, CARE_USERS)
        .get("/fhir/Patient/{id}", fhir::read_patient, TEAM)
        .sample("/fhir/Patient/{patient}")
        .conceals()
        .get("/fhir/CareTeam", fhir::search_care_team, TEAM)
        .sample("/fhir/CareTeam?patient={patient}")
        .conceals()
        .get("/fhir/CareTeam/{id}", fhir::read_care_team, TEAM)
        .sample("/fhir/CareTeam/{patient}")
        .conceals()
        .get("/fhir/Communication", fhir::search_communication, TEAM)
        .sample("/fhir/Communication?patient={patient}")
        .conceals()
        .get("/fhir/Communication/{id}", fhir::read_communication, TEAM)
        .sample("/fhir/Communication/{post}")
        .conceals()
        .get("/fhir/Observation", fhir::search_observation, TEAM_PRO)
        .sample("/fhir/Observation?patient={patient}")
        .conceals()
        .get("/fhir/Observation/{id}", fhir::read_observation, TEAM_PRO)
        .sample("/fhir/Observation/{vitals_post}-temperature")
        .conceals()
        .get("/fhir/Consent", fhir::search_consent, TEAM)
        .sample("/fhir/Consent?patient={patient}")
        .conceals()
        .get("/fhir/Consent/{id}", fhir::read_consent, TEAM)
        .sample("/fhir/Consent/{consent}")
        .conceals()
}

#[derive(OpenApi)]
#[openapi(paths(
    api::list_patients,
    api::create_patient,
    api::get_patient,
    api::list_consents,
    api::record_consent,
    api::withdraw_consent,
    api::team,
    api::invite,
    api::accept,
    api::leave,
    api::list_posts,
    api::create_post,
    api::acknowledge,
    api::mark_read,
    api::receipts,
    api::summary,
    api::save_summary,
    api::unread
))]
struct CareApi;

/// The FHIR resources care serves: patient data, only for the patient's
/// care team under consent (declared beside their handlers, which read
/// exactly these search parameters).
fn fhir_resources() -> Vec<FhirResource> {
    vec![
        fhir::PATIENT,
        fhir::CARE_TEAM,
        fhir::COMMUNICATION,
        fhir::OBSERVATION,
        fhir::CONSENT,
    ]
}

/// Care's part of a user's work list: urgent posts nobody has
/// acknowledged, invitations to answer, unread posts.
struct CareHome(CareState);

impl HomeItems for CareHome {
    fn items<'a>(
        &'a self,
        user: &'a Principal,
        ctx: &'a RequestContext,
        lang: Lang,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<HomeItem>, String>> {
        Box::pin(async move {
            if !(user.role.may(Permission::JoinCareTeams)
                || user.role.may(Permission::ProfessionalGroups))
            {
                return Ok(Vec::new());
            }
            let spaces = self
                .0
                .care
                .work_list(user, ctx)
                .await
                .map_err(|e| e.to_string())?;
            let mut items = Vec::new();
            for s in spaces {
                let invited = s.status == MemberStatus::Invited;
                // Invitations are answered on the lists (an invitee sees
                // nothing of the space until accepting, not even the
                // patient's name, which the patients page also withholds).
                let href = match s.patient_id {
                    Some(_) if invited => "/patients".to_string(),
                    Some(pid) => format!("/patients/{pid}"),
                    None if invited => "/groups".to_string(),
                    None => format!("/groups/{}", s.space_id),
                };
                if invited {
                    let team = match s.patient_id {
                        Some(pid) => lang
                            .tr(
                                &format!("患者チーム #{pid}"),
                                &format!("patient team #{pid}"),
                            )
                            .to_string(),
                        None => s.name.clone(),
                    };
                    items.push(HomeItem {
                        urgency: Urgency::Due,
                        title: lang
                            .tr(
                                &format!("{team} に招待されています"),
                                &format!("You are invited to {team}"),
                            )
                            .to_string(),
                        detail: lang
                            .tr("参加するかどうかを選んでください", "Accept or decline")
                            .into(),
                        href,
                    });
                } else if s.urgent_open > 0 {
                    items.push(HomeItem {
                        urgency: Urgency::Urgent,
                        title: lang
                            .tr(
                                &format!("{}：至急の投稿 {}件が未確認です", s.name, s.urgent_open),
                                &format!(
                                    "{}: {} urgent post(s) not yet acknowledged",
                                    s.name, s.urgent_open
                                ),
                            )
                            .to_string(),
                        detail: lang
                            .tr(
                                &format!("未読 {}件", s.unread),
                                &format!("{} unread", s.unread),
                            )
                            .to_string(),
                        href,
                    });
                } else if s.unread > 0 {
                    items.push(HomeItem {
                        urgency: Urgency::Info,
                        title: lang
                            .tr(
                                &format!("{}：未読の投稿 {}件", s.name, s.unread),
                                &format!("{}: {} unread post(s)", s.name, s.unread),
                            )
                            .to_string(),
                        detail: String::new(),
                        href,
                    });
                }
            }
            Ok(items)
        })
    }
}

/// Everything care contributes to the assembly.
pub fn capability(state: CareState) -> Capability {
    let mut cap = Capability::new(
        "care",
        routes().with_state(state.clone()),
        CareApi::openapi(),
    );
    cap.nav = vec![
        NavEntry {
            href: "/patients",
            ja: "担当患者",
            en: "Patients",
            order: 10,
            shown_to: |p| {
                p.role.may(Permission::JoinCareTeams) || p.role.may(Permission::BreakGlass)
            },
        },
        NavEntry {
            href: "/groups",
            ja: "グループ",
            en: "Groups",
            order: 20,
            shown_to: |p| p.role.may(Permission::ProfessionalGroups),
        },
    ];
    cap.fhir = fhir_resources();
    cap.home = Some(Arc::new(CareHome(state.clone())));
    let demo = state.clone();
    cap.demo = Some(Arc::new(move |now| {
        let state = demo.clone();
        Box::pin(async move {
            renkei_care::demo::load(&state.care, &state.identity, now)
                .await
                .map_err(|e| e.to_string())
        })
    }));
    // The synthetic prefecture: professionals, patients in teams, posts
    // with receipts (renkei_care::synthetic).
    let db = state.identity.db().clone();
    cap.synthetic = Some(Arc::new(move |run: Synthetic| {
        let db = db.clone();
        Box::pin(async move {
            let g = renkei_care::synthetic::populate(&db, run.scale, run.seed, run.now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "{} professionals, {} patients, {} team members, {} posts, {} read receipts; \
                 sign in as {} with the bench password",
                g.users, g.patients, g.members, g.posts, g.receipts, g.sample_username
            ))
        })
    }));
    // The daily digest of unread posts, at the configured hour (Japan
    // time); a restart the same day does not send it twice.
    let digest = state.clone();
    cap.jobs = vec![Job {
        name: "daily digest",
        every: Duration::from_secs(300),
        first_run_at_start: false,
        run: Arc::new(move |now: Timestamp| {
            let state = digest.clone();
            Box::pin(async move {
                let hour: u32 = now
                    .to_jst_display()
                    .get(11..13)
                    .and_then(|h| h.parse().ok())
                    .unwrap_or(99);
                if hour != state.care.config().digest_hour {
                    return Ok(String::new());
                }
                match state.care.send_digests(now).await {
                    Ok(run) if run.sent > 0 || run.failed > 0 => Ok(format!(
                        "daily digest: {} sent, {} failed",
                        run.sent, run.failed
                    )),
                    Ok(_) => Ok(String::new()),
                    Err(e) => Err(e.to_string()),
                }
            })
        }),
    }];
    cap
}
