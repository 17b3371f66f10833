//! Transitions' web side (入退院支援): a patient's stays and recording an
//! admission, the stay page (screening, the admission form's way to the
//! hospital and its fee tier, the planned discharge, the contact log and
//! its tier), the handoff forms and their A4 print layout, the hospital's
//! list, the regional rules and their printable rulebook, the monthly
//! compliance report with its CSV, and the JSON API under `/api/v1/stays`.
//! Rules live in `renkei_transitions`; [`capability`] declares all of this
//! for the assembly.

// The edge: handlers read the clock and pass the moment down to the
// services (clippy.toml forbids reading it below the edge).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod api;
pub mod fhir;
pub mod fhir_resources;
pub mod pages;

use std::sync::Arc;

use renkei_domain::people::Permission;
use renkei_domain::transitions::FormStatus;
use renkei_domain::{Role, Timestamp};
use renkei_identity::{Identity, Principal, RequestContext};
use renkei_transitions::Transitions;
use renkei_web_kit::capability::BoxFuture;
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::routes::Persona;
use renkei_web_kit::{Capability, HomeItem, HomeItems, NavEntry, RouteTable, Urgency, WebConfig};
use utoipa::OpenApi;

/// What transitions' handlers need.
#[derive(Clone)]
pub struct TransitionsState(Arc<Inner>);

pub struct Inner {
    pub identity: Identity,
    pub config: WebConfig,
    pub transitions: Transitions,
}

impl TransitionsState {
    pub fn new(identity: Identity, config: WebConfig, transitions: Transitions) -> Self {
        Self(Arc::new(Inner {
            identity,
            config,
            transitions,
        }))
    }
}

impl std::ops::Deref for TransitionsState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

use Persona::*;
/// Who may open the stays list (a hospital's liaison office or anyone of
/// a care team: professionals and coordinators).
const PROFESSIONALS: &[Persona] = &[Coordinator, Professional];
/// The test patient's team's professionals: nobody else sees its stays
/// (the hospital a stay was handed to does, but the matrix world has no
/// hospital staff).
const TEAM_PRO: &[Persona] = &[Professional];
/// Who reads the regional rules and their rulebook.
const RULE_READERS: &[Persona] = &[
    RegionAdmin,
    MunicipalOfficer,
    Coordinator,
    Professional,
    Ems,
];
/// Who writes the region's rules and adopts shared ones.
const RULE_EDITORS: &[Persona] = &[RegionAdmin, Coordinator];
/// Who sees the region's compliance report (no patient names).
const REPORT_READERS: &[Persona] = &[RegionAdmin, MunicipalOfficer, Coordinator];
/// Who sees requests to name a care manager: those who ask (their own)
/// and those who answer (the region's).
const INQUIRY_READERS: &[Persona] = &[MunicipalOfficer, Coordinator, Professional];
/// The municipality's care division and the support centre answer them.
const ANSWERERS: &[Persona] = &[MunicipalOfficer, Coordinator];
/// Only the hospital's staff acknowledge an admission form; the matrix
/// world has none.
const HOSPITAL: &[Persona] = &[];

fn routes() -> RouteTable<TransitionsState> {
    RouteTable::new()
        // pages
        .get("/stays", pages::stays, PROFESSIONALS)
        .get("/patients/{id}/stays", pages::patient_stays, TEAM_PRO)
        .sample("/patients/{patient}/stays")
        .conceals()
        .post("/patients/{id}/stays", pages::record_admission, TEAM_PRO)
        .sample("/patients/{patient}/stays")
        .body("admitted_at=")
        .conceals()
        .post("/patients/{id}/documents", pages::attach_document, TEAM_PRO)
        .sample("/patients/{patient}/documents")
        .body("x=")
        .conceals()
        .get("/stays/{id}", pages::stay, TEAM_PRO)
        .sample("/stays/{stay}")
        .conceals()
        .get("/stays/{id}/forms/{kind}", pages::form, TEAM_PRO)
        .sample("/stays/{stay}/forms/admission")
        .conceals()
        .post("/stays/{id}/forms/{kind}", pages::save_form, TEAM_PRO)
        .sample("/stays/{stay}/forms/admission")
        .body("adl_moving=x")
        .conceals()
        .get(
            "/stays/{id}/forms/{kind}/print",
            pages::print_form,
            TEAM_PRO,
        )
        .sample("/stays/{stay}/forms/admission/print")
        .conceals()
        .post("/stays/{id}/send", pages::send_form, TEAM_PRO)
        .sample("/stays/{stay}/send")
        .conceals()
        .post("/stays/{id}/delivery", pages::log_delivery, TEAM_PRO)
        .sample("/stays/{stay}/delivery")
        .body("channel=")
        .conceals()
        .post("/stays/{id}/acknowledge", pages::acknowledge, HOSPITAL)
        .sample("/stays/{stay}/acknowledge")
        .conceals()
        .post("/stays/{id}/annotate", pages::annotate, HOSPITAL)
        .sample("/stays/{stay}/annotate")
        .body("hospital_note=")
        .conceals()
        .post(
            "/stays/{id}/discharge-plan",
            pages::plan_discharge,
            TEAM_PRO,
        )
        .sample("/stays/{stay}/discharge-plan")
        .body("planned_discharge_on=")
        .conceals()
        .post("/stays/{id}/discharge", pages::record_discharge, TEAM_PRO)
        .sample("/stays/{stay}/discharge")
        .body("discharged_on=")
        .conceals()
        .post("/stays/{id}/contacts", pages::log_contact, TEAM_PRO)
        .sample("/stays/{stay}/contacts")
        .body("contacted_on=")
        .conceals()
        .post(
            "/stays/{id}/conferences",
            pages::schedule_conference,
            TEAM_PRO,
        )
        .sample("/stays/{stay}/conferences")
        .body("scheduled_at=")
        .conceals()
        .post(
            "/stays/{id}/conferences/record",
            pages::record_conference,
            TEAM_PRO,
        )
        .sample("/stays/{stay}/conferences/record")
        .body("conference_id=0")
        .conceals()
        .post(
            "/stays/{id}/summary/request",
            pages::request_summary,
            TEAM_PRO,
        )
        .sample("/stays/{stay}/summary/request")
        .conceals()
        .post(
            "/stays/{id}/summary/returned",
            pages::summary_returned,
            TEAM_PRO,
        )
        .sample("/stays/{stay}/summary/returned")
        .body("summary_returned_on=")
        .conceals()
        .get("/transitions/inquiries", pages::inquiries, INQUIRY_READERS)
        .post("/transitions/inquiries", pages::ask, PROFESSIONALS)
        .body("person_name=")
        .post("/transitions/inquiries/answer", pages::answer, ANSWERERS)
        .body("inquiry_id=0")
        .get("/transitions/tasks", pages::tasks, PROFESSIONALS)
        .get("/transitions/tasks/{id}", pages::task, TEAM_PRO)
        .sample("/transitions/tasks/{task}")
        .conceals()
        .post("/transitions/tasks/{id}/done", pages::close_task, TEAM_PRO)
        .sample("/transitions/tasks/{task}/done")
        .body("outcome=")
        .conceals()
        .get("/transitions/calendar", pages::calendar, PROFESSIONALS)
        .post("/transitions/calendar", pages::save_calendar, PROFESSIONALS)
        .body("org_id=0")
        .get("/transitions/rules", pages::rules, RULE_READERS)
        .post("/transitions/rules", pages::create_rule_set, RULE_EDITORS)
        .body("name=")
        .post(
            "/transitions/templates",
            pages::create_template,
            RULE_EDITORS,
        )
        .body("kind=")
        .get("/transitions/rules/{id}", pages::rulebook, RULE_READERS)
        .sample("/transitions/rules/{rule_set}")
        .post(
            "/transitions/rules/{id}/versions",
            pages::add_rule_version,
            RULE_EDITORS,
        )
        .sample("/transitions/rules/{rule_set}/versions")
        .body("effective_from=")
        .post("/transitions/rules/{id}/adopt", pages::adopt, RULE_EDITORS)
        .sample("/transitions/rules/{rule_set}/adopt")
        .body("scope=")
        .get("/transitions/compliance", pages::compliance, REPORT_READERS)
        .get(
            "/transitions/compliance.csv",
            pages::compliance_csv,
            REPORT_READERS,
        )
        .get(
            "/transitions/compliance.xlsx",
            pages::compliance_xlsx,
            REPORT_READERS,
        )
        // JSON API
        .get("/api/v1/stays", api::list_stays, PROFESSIONALS)
        .get("/api/v1/patients/{id}/stays", api::patient_stays, TEAM_PRO)
        .sample("/api/v1/patients/{patient}/stays")
        .conceals()
        .post(
            "/api/v1/patients/{id}/stays",
            api::record_admission,
            TEAM_PRO,
        )
        .sample("/api/v1/patients/{patient}/stays")
        .body(r#"{"hospital_entry_id":0,"admitted_at":"","reported_via":""}"#)
        .conceals()
        .get("/api/v1/patients/{id}/documents", api::documents, TEAM_PRO)
        .sample("/api/v1/patients/{patient}/documents")
        .conceals()
        .post(
            "/api/v1/patients/{id}/documents",
            api::attach_document,
            TEAM_PRO,
        )
        .sample("/api/v1/patients/{patient}/documents")
        .body("{}")
        .conceals()
        .get("/api/v1/stays/{id}", api::get_stay, TEAM_PRO)
        .sample("/api/v1/stays/{stay}")
        .conceals()
        .get("/api/v1/stays/{id}/forms/{kind}", api::get_form, TEAM_PRO)
        .sample("/api/v1/stays/{stay}/forms/admission")
        .conceals()
        .post("/api/v1/stays/{id}/forms/{kind}", api::save_form, TEAM_PRO)
        .sample("/api/v1/stays/{stay}/forms/admission")
        .body(r#"{"content":{"adl_moving":"x"}}"#)
        .conceals()
        .post("/api/v1/stays/{id}/send", api::send_form, TEAM_PRO)
        .sample("/api/v1/stays/{stay}/send")
        .body("{}")
        .conceals()
        .post("/api/v1/stays/{id}/delivery", api::log_delivery, TEAM_PRO)
        .sample("/api/v1/stays/{stay}/delivery")
        .body(r#"{"channel":"","informed_on":""}"#)
        .conceals()
        .post("/api/v1/stays/{id}/acknowledge", api::acknowledge, HOSPITAL)
        .sample("/api/v1/stays/{stay}/acknowledge")
        .body("{}")
        .conceals()
        .post("/api/v1/stays/{id}/annotate", api::annotate, HOSPITAL)
        .sample("/api/v1/stays/{stay}/annotate")
        .body(r#"{"note":""}"#)
        .conceals()
        .post(
            "/api/v1/stays/{id}/discharge-plan",
            api::plan_discharge,
            TEAM_PRO,
        )
        .sample("/api/v1/stays/{stay}/discharge-plan")
        .body(r#"{"on":""}"#)
        .conceals()
        .post(
            "/api/v1/stays/{id}/discharge",
            api::record_discharge,
            TEAM_PRO,
        )
        .sample("/api/v1/stays/{stay}/discharge")
        .body(r#"{"on":""}"#)
        .conceals()
        .post("/api/v1/stays/{id}/contacts", api::log_contact, TEAM_PRO)
        .sample("/api/v1/stays/{stay}/contacts")
        .body(r#"{"contacted_on":"","channel":"","informant_profession":"","informant_name":""}"#)
        .conceals()
        .post(
            "/api/v1/stays/{id}/conferences",
            api::schedule_conference,
            TEAM_PRO,
        )
        .sample("/api/v1/stays/{stay}/conferences")
        .body(r#"{"scheduled_at":""}"#)
        .conceals()
        .post(
            "/api/v1/stays/{id}/conferences/record",
            api::record_conference,
            TEAM_PRO,
        )
        .sample("/api/v1/stays/{stay}/conferences/record")
        .body(r#"{"conference_id":0,"held_on":""}"#)
        .conceals()
        .post(
            "/api/v1/stays/{id}/summary/request",
            api::request_summary,
            TEAM_PRO,
        )
        .sample("/api/v1/stays/{stay}/summary/request")
        .body("{}")
        .conceals()
        .post(
            "/api/v1/stays/{id}/summary/returned",
            api::summary_returned,
            TEAM_PRO,
        )
        .sample("/api/v1/stays/{stay}/summary/returned")
        .body(r#"{"on":""}"#)
        .conceals()
        .get(
            "/api/v1/transitions/compliance",
            api::compliance,
            REPORT_READERS,
        )
        .get("/api/v1/transitions/rules", api::rules, RULE_READERS)
        .get(
            "/api/v1/transitions/inquiries",
            api::inquiries,
            INQUIRY_READERS,
        )
        .post(
            "/api/v1/transitions/inquiries",
            api::ask_for_care_manager,
            PROFESSIONALS,
        )
        .body(r#"{"municipality_code":"","hospital_name":"","person_name":"","birth_date":"","admitted_on":""}"#)
        .post(
            "/api/v1/transitions/inquiries/answer",
            api::answer_inquiry,
            ANSWERERS,
        )
        .body(r#"{"inquiry_id":0}"#)
        .get("/api/v1/transitions/tasks", api::tasks, PROFESSIONALS)
        .get("/api/v1/transitions/tasks/{id}", api::task, TEAM_PRO)
        .sample("/api/v1/transitions/tasks/{task}")
        .conceals()
        .post(
            "/api/v1/transitions/tasks/{id}/done",
            api::close_task,
            TEAM_PRO,
        )
        .sample("/api/v1/transitions/tasks/{task}/done")
        .body(r#"{"outcome":""}"#)
        .conceals()
        // FHIR
        .get("/fhir/Composition", fhir::search_composition, TEAM_PRO)
        .sample("/fhir/Composition?patient={patient}")
        .conceals()
        .get("/fhir/Composition/{id}", fhir::read_composition, TEAM_PRO)
        .sample("/fhir/Composition/{stay}-admission")
        .conceals()
        .get("/fhir/Composition/{id}/$document", fhir::document, TEAM_PRO)
        .sample("/fhir/Composition/{stay}-admission/$document")
        .conceals()
        // A received document: the patient's team or the hospital of one
        // of the patient's stays attaches it (the world has no hospital
        // staff; the service tests and the browser cover them).
        .post("/fhir/Bundle", fhir::create_bundle, TEAM_PRO)
        .body(WORLD_DOCUMENT)
        .conceals()
        .get("/fhir/Bundle/{id}", fhir::read_bundle, TEAM_PRO)
        .sample("/fhir/Bundle/{document}")
        .conceals()
}

/// The matrix's document for `POST /fhir/Bundle`: a discharge summary
/// naming the world's patient by Renkei's id (`{patient}` is filled in).
const WORLD_DOCUMENT: &str = r#"{"resourceType":"Bundle","type":"document",
"identifier":{"system":"urn:ietf:rfc:3986","value":"urn:uuid:00000000-0000-4000-8000-0000000000aa"},
"timestamp":"2026-12-01T10:00:00+09:00",
"entry":[{"fullUrl":"urn:uuid:c","resource":{"resourceType":"Composition","status":"final",
"type":{"coding":[{"system":"http://loinc.org","code":"18842-5"}]},"subject":{"reference":"urn:uuid:p"},
"date":"2026-12-01T10:00:00+09:00","author":[{"display":"病院"}],"title":"退院時サマリー",
"section":[{"title":"経過","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">改善</div>"}}]}},
{"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","identifier":[{"system":"urn:renkei:sid:patient","value":"{patient}"}],"name":[{"text":"患者"}]}}]}"#;

#[derive(OpenApi)]
#[openapi(paths(
    api::list_stays,
    api::patient_stays,
    api::record_admission,
    api::get_stay,
    api::get_form,
    api::save_form,
    api::send_form,
    api::log_delivery,
    api::acknowledge,
    api::annotate,
    api::plan_discharge,
    api::record_discharge,
    api::log_contact,
    api::schedule_conference,
    api::record_conference,
    api::request_summary,
    api::summary_returned,
    api::compliance,
    api::rules,
    api::documents,
    api::attach_document,
    api::inquiries,
    api::ask_for_care_manager,
    api::answer_inquiry,
    api::tasks,
    api::task,
    api::close_task
))]
struct TransitionsApi;

/// Transitions' part of a user's work list: open handoff tasks, admission
/// information still to give, discharges within a week, forms a hospital
/// has not yet acknowledged.
struct TransitionsHome(TransitionsState);

impl HomeItems for TransitionsHome {
    fn items<'a>(
        &'a self,
        user: &'a Principal,
        ctx: &'a RequestContext,
        lang: Lang,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<HomeItem>, String>> {
        Box::pin(async move {
            if !matches!(user.role, Role::Professional | Role::Coordinator) {
                return Ok(Vec::new());
            }
            let lines = self
                .0
                .transitions
                .work_list(user, ctx, now)
                .await
                .map_err(|e| e.to_string())?;
            let mut items = Vec::new();
            let (open, overdue) = self
                .0
                .transitions
                .open_task_count(user, ctx, now)
                .await
                .map_err(|e| e.to_string())?;
            if open > 0 {
                items.push(HomeItem {
                    urgency: if overdue > 0 {
                        Urgency::Urgent
                    } else {
                        Urgency::Due
                    },
                    title: lang
                        .tr(
                            &format!("連携タスクが {open} 件あります"),
                            &format!("{open} handoff tasks to do"),
                        )
                        .to_string(),
                    detail: if overdue > 0 {
                        lang.tr(
                            &format!("うち {overdue} 件は期限超過"),
                            &format!("{overdue} overdue"),
                        )
                        .to_string()
                    } else {
                        String::new()
                    },
                    href: "/transitions/tasks".into(),
                });
            }
            for line in lines {
                let s = &line.stay;
                let href = format!("/stays/{}", s.id);
                let hospital_side = user.org_ids.iter().any(|o| s.hospital_org_id == Some(*o));
                let item = if hospital_side {
                    HomeItem {
                        urgency: Urgency::Due,
                        title: lang
                            .tr(
                                &format!("入院時情報提供書が届いています：{}", s.patient_name),
                                &format!("Admission information received: {}", s.patient_name),
                            )
                            .to_string(),
                        detail: lang.tr("受領を確認してください", "Acknowledge it").into(),
                        href,
                    }
                } else if matches!(line.admission_status, None | Some(FormStatus::Draft)) {
                    HomeItem {
                        urgency: Urgency::Urgent,
                        title: lang
                            .tr(
                                &format!(
                                    "{}：{} への入院時情報提供が未送付です",
                                    s.patient_name, s.hospital_name
                                ),
                                &format!(
                                    "{}: admission information for {} not yet given",
                                    s.patient_name, s.hospital_name
                                ),
                            )
                            .to_string(),
                        detail: lang
                            .tr(
                                &format!("入院 {}", s.admitted_local.replace('T', " ")),
                                &format!("admitted {}", s.admitted_local.replace('T', " ")),
                            )
                            .to_string(),
                        href,
                    }
                } else {
                    let on = s.planned_discharge_on.clone().unwrap_or_default();
                    HomeItem {
                        urgency: Urgency::Due,
                        title: lang
                            .tr(
                                &format!("{}：{} に退院予定", s.patient_name, on),
                                &format!("{}: discharge planned on {}", s.patient_name, on),
                            )
                            .to_string(),
                        detail: s.hospital_name.clone(),
                        href,
                    }
                };
                items.push(item);
            }
            Ok(items)
        })
    }
}

/// Everything transitions contributes to the assembly.
pub fn capability(state: TransitionsState) -> Capability {
    let mut cap = Capability::new(
        "transitions",
        routes().with_state(state.clone()),
        TransitionsApi::openapi(),
    );
    cap.nav = vec![
        NavEntry {
            href: "/stays",
            ja: "入退院",
            en: "Admissions",
            order: 30,
            shown_to: |p| matches!(p.role, Role::Professional | Role::Coordinator),
        },
        NavEntry {
            href: "/transitions/tasks",
            ja: "連携タスク",
            en: "Handoff tasks",
            order: 31,
            shown_to: |p| matches!(p.role, Role::Professional | Role::Coordinator),
        },
        NavEntry {
            href: "/transitions/inquiries",
            ja: "担当ケアマネ照会",
            en: "Care manager requests",
            order: 55,
            shown_to: |p| matches!(p.role, Role::MunicipalOfficer),
        },
        NavEntry {
            href: "/transitions/compliance",
            ja: "入退院ルールの運用状況",
            en: "Handoff compliance",
            order: 60,
            shown_to: |p| p.role.may(Permission::ViewHandoffCompliance),
        },
    ];
    cap.fhir = vec![fhir::COMPOSITION, fhir::BUNDLE];
    cap.home = Some(Arc::new(TransitionsHome(state.clone())));
    let demo = state.clone();
    cap.demo = Some(Arc::new(move |now| {
        let state = demo.clone();
        Box::pin(async move {
            renkei_transitions::demo::load(&state.transitions, &state.identity, now)
                .await
                .map_err(|e| e.to_string())
        })
    }));
    cap
}
