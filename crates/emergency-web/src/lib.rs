//! Emergency's web side (急変時): the records a user keeps with their
//! freshness, a record's page (verify, edit, the card's links and who
//! opened them), the printable card with its QR code, the read-only sheet
//! a card's link opens on a phone (`/e/{token}`, no sign-in, no script),
//! and the JSON API under `/api/v1/emergency`. Rules live in
//! `renkei_emergency`; [`capability`] declares all of this for the
//! assembly.

// The edge: handlers read the clock and pass the moment down to the
// services (clippy.toml forbids reading it below the edge).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod api;
pub mod fhir;
pub mod fhir_resources;
pub mod pages;

use std::sync::Arc;

use renkei_domain::{Role, Timestamp};
use renkei_emergency::Emergency;
use renkei_identity::{Identity, Principal, RequestContext};
use renkei_web_kit::capability::BoxFuture;
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::limit::RateLimiter;
use renkei_web_kit::routes::audience::EVERYONE;
use renkei_web_kit::routes::Persona;
use renkei_web_kit::{
    Capability, HomeItem, HomeItems, Job, NavEntry, PatientItem, PatientItems, RouteTable, Urgency,
    WebConfig,
};
use utoipa::OpenApi;

/// What emergency's handlers need.
#[derive(Clone)]
pub struct EmergencyState(Arc<Inner>);

pub struct Inner {
    pub identity: Identity,
    pub config: WebConfig,
    pub emergency: Emergency,
    /// Openings of card links per source address and minute.
    pub card_limiter: RateLimiter,
    /// Transport reports per EMS user and minute.
    pub transport_limiter: RateLimiter,
}

impl EmergencyState {
    pub fn new(identity: Identity, config: WebConfig, emergency: Emergency) -> Self {
        Self(Arc::new(Inner {
            identity,
            config,
            emergency,
            card_limiter: RateLimiter::default(),
            transport_limiter: RateLimiter::default(),
        }))
    }
}

impl std::ops::Deref for EmergencyState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

use Persona::*;
/// Who keeps records: the team's professionals, the desk (the support
/// centre) for residents without a team, and the watchers (民生委員・見守り
/// サポーター) for the residents the desk assigned to them, and family
/// members for the relative they registered without a team.
const KEEPERS: &[Persona] = &[Coordinator, Professional, Watcher, Family];
/// Who reads and writes the test patient's record: the team's
/// professionals. (A family member reads it only when care lets family
/// see clinical records, which the world's family member may not.)
const PRO: &[Persona] = &[Professional];
/// Who reads the region's freshness dashboard (counts, no names).
const DASHBOARD: &[Persona] = &[RegionAdmin, MunicipalOfficer, Coordinator];
/// Who runs the region's disaster list (the desk; the municipal officer
/// too once two-factor sign-in is on, which the matrix's officer is not).
const DISASTER_RUNNERS: &[Persona] = &[Coordinator];
/// Who sees a disaster list: those who run it, and professionals (their
/// own residents).
const DISASTER_READERS: &[Persona] = &[Coordinator, Professional, Watcher];
/// Who sets the region's verification interval.
const SETTINGS_KEEPERS: &[Persona] = &[Coordinator, RegionAdmin];
/// The support centre's desk: assigns watchers to residents.
const DESK: &[Persona] = &[Coordinator];
/// Who keeps the region's ACP template.
const TEMPLATE_KEEPERS: &[Persona] = &[Coordinator, RegionAdmin];
/// Who reads and prints the blank template.
const TEMPLATE_READERS: &[Persona] = &[Coordinator, RegionAdmin, MunicipalOfficer, Professional];
/// Who confirms the test patient's safety: the team, and the desk (the
/// record is on the region's list by consent); a watcher only for the
/// residents assigned, which the test patient is not.
const SAFETY: &[Persona] = &[Coordinator, Professional];
/// Who agrees that a neighbouring region's EMS may search: the region's
/// administrator.
const AGREEMENT_KEEPERS: &[Persona] = &[RegionAdmin];
/// Who records a transport through a card: an ambulance crew.
const CREW: &[Persona] = &[Ems];
/// Openings of one card's link per source address and minute.
pub const CARD_OPENINGS_PER_MINUTE: u32 = 30;
/// Transport reports one EMS user sends a minute (pages and API).
pub const TRANSPORTS_PER_MINUTE: u32 = 10;

fn routes() -> RouteTable<EmergencyState> {
    RouteTable::new()
        // pages
        .get("/emergency", pages::list, KEEPERS)
        .get("/emergency/new", pages::new_record, PRO)
        .sample("/emergency/new?patient={patient}")
        .conceals()
        .post("/emergency/records", pages::create_record, PRO)
        .body("patient_id={patient}&name=")
        .conceals()
        .get("/emergency/records/{id}", pages::record, PRO)
        .sample("/emergency/records/{emergency_record}")
        .conceals()
        .get("/emergency/records/{id}/edit", pages::edit_record, PRO)
        .sample("/emergency/records/{emergency_record}/edit")
        .conceals()
        .post("/emergency/records/{id}", pages::update_record, PRO)
        .sample("/emergency/records/{emergency_record}")
        .body("name=")
        .conceals()
        .post("/emergency/records/{id}/verify", pages::verify, PRO)
        .sample("/emergency/records/{emergency_record}/verify")
        .conceals()
        .post("/emergency/records/{id}/links", pages::create_link, PRO)
        .sample("/emergency/records/{emergency_record}/links")
        .conceals()
        .post(
            "/emergency/records/{id}/links/{link}/revoke",
            pages::revoke_link,
            PRO,
        )
        .sample("/emergency/records/{emergency_record}/links/{emergency_link}/revoke")
        .conceals()
        .get("/emergency/freshness", pages::freshness, DASHBOARD)
        .post(
            "/emergency/settings",
            pages::save_settings,
            SETTINGS_KEEPERS,
        )
        .body("verify_months=6")
        .post(
            "/emergency/records/{id}/watchers",
            pages::assign_watcher,
            DESK,
        )
        .sample("/emergency/records/{emergency_record}/watchers")
        .body("user_id=")
        .post(
            "/emergency/records/{id}/watchers/{user}/end",
            pages::end_watcher,
            DESK,
        )
        .sample("/emergency/records/{emergency_record}/watchers/{user}/end")
        // ACP and the end of life
        .get("/emergency/records/{id}/acp", pages::acp, PRO)
        .sample("/emergency/records/{emergency_record}/acp")
        .conceals()
        .post("/emergency/records/{id}/acp", pages::save_acp, PRO)
        .sample("/emergency/records/{emergency_record}/acp")
        .body("participants=")
        .conceals()
        .get("/emergency/records/{id}/death", pages::death_form, PRO)
        .sample("/emergency/records/{emergency_record}/death")
        .conceals()
        .post("/emergency/records/{id}/death", pages::record_death, PRO)
        .sample("/emergency/records/{emergency_record}/death")
        .body("place=")
        .conceals()
        .get(
            "/emergency/acp-template",
            pages::acp_template,
            TEMPLATE_KEEPERS,
        )
        .post(
            "/emergency/acp-template",
            pages::save_acp_template,
            TEMPLATE_KEEPERS,
        )
        .body("rows=0&name=")
        .get(
            "/emergency/acp-template/print",
            pages::acp_blank,
            TEMPLATE_READERS,
        )
        .get("/emergency/deaths", pages::deaths, DASHBOARD)
        // The disaster list
        .get("/emergency/disaster", pages::disaster, DISASTER_READERS)
        .get(
            "/emergency/disaster/print",
            pages::disaster_print,
            DISASTER_RUNNERS,
        )
        .get(
            "/emergency/disaster.csv",
            pages::disaster_csv,
            DISASTER_RUNNERS,
        )
        .post(
            "/emergency/disasters",
            pages::start_disaster,
            DISASTER_RUNNERS,
        )
        .body("name=")
        .post(
            "/emergency/disasters/{id}/close",
            pages::close_disaster,
            DISASTER_RUNNERS,
        )
        .sample("/emergency/disasters/{disaster}/close")
        .post(
            "/emergency/records/{id}/safety",
            pages::confirm_safety,
            SAFETY,
        )
        .sample("/emergency/records/{emergency_record}/safety")
        .body("status=")
        .conceals()
        .post(
            "/emergency/equipment",
            pages::add_equipment,
            DISASTER_RUNNERS,
        )
        .body("place=")
        .post(
            "/emergency/equipment/{id}",
            pages::update_equipment,
            DISASTER_RUNNERS,
        )
        .sample("/emergency/equipment/{equipment}")
        .body("place=")
        // EMS search without the card (break-glass), and the agreements
        // with neighbouring regions.
        .get("/emergency/search", pages::search_form, CREW)
        .post("/emergency/search", pages::search, CREW)
        .body("name=")
        .get(
            "/emergency/agreements",
            pages::agreements,
            AGREEMENT_KEEPERS,
        )
        .post("/emergency/agreements", pages::agree, AGREEMENT_KEEPERS)
        .body("region_code=")
        .post(
            "/emergency/agreements/{id}/end",
            pages::end_agreement,
            AGREEMENT_KEEPERS,
        )
        .sample("/emergency/agreements/0/end")
        // A resident's own application: the public form, and the desk.
        .get("/emergency/apply", pages::apply_form, EVERYONE)
        .sample("/emergency/apply?region=r1")
        .post("/emergency/apply", pages::apply, EVERYONE)
        .body("region=r1&name=")
        .get("/emergency/applications", pages::applications, DESK)
        .post(
            "/emergency/applications/{id}/accept",
            pages::accept_application,
            DESK,
        )
        .sample("/emergency/applications/0/accept")
        .post(
            "/emergency/applications/{id}/decline",
            pages::decline_application,
            DESK,
        )
        .sample("/emergency/applications/0/decline")
        // The card's link: anyone holding the card, no sign-in.
        .get("/e/{token}", pages::card_sheet, EVERYONE)
        .sample("/e/{card_token}")
        // Back from EMS: the crew, signed in, through the card's link.
        .get("/e/{token}/transport", pages::transport_form, CREW)
        .sample("/e/{card_token}/transport")
        .post("/e/{token}/transport", pages::record_transport, CREW)
        .sample("/e/{card_token}/transport")
        .body("reason=")
        // FHIR
        .get(
            "/fhir/DocumentReference",
            fhir::search_document_reference,
            PRO,
        )
        .sample("/fhir/DocumentReference?patient={patient}")
        .conceals()
        .get(
            "/fhir/DocumentReference/{id}",
            fhir::read_document_reference,
            PRO,
        )
        .sample("/fhir/DocumentReference/emergency-{emergency_record}")
        .conceals()
        // JSON API
        .get("/api/v1/emergency/records", api::list, KEEPERS)
        .post("/api/v1/emergency/records", api::create, PRO)
        .body(r#"{"patient_id":{patient},"name":""}"#)
        .conceals()
        .get("/api/v1/emergency/freshness", api::freshness, DASHBOARD)
        .get("/api/v1/emergency/records/{id}", api::get, PRO)
        .sample("/api/v1/emergency/records/{emergency_record}")
        .conceals()
        .post("/api/v1/emergency/records/{id}/verify", api::verify, PRO)
        .sample("/api/v1/emergency/records/{emergency_record}/verify")
        .body("{}")
        .conceals()
        .get(
            "/api/v1/emergency/disaster",
            api::disaster,
            DISASTER_READERS,
        )
        .post("/api/v1/emergency/records/{id}/safety", api::safety, SAFETY)
        .sample("/api/v1/emergency/records/{emergency_record}/safety")
        .body(r#"{"status":""}"#)
        .conceals()
        .post(
            "/api/v1/emergency/equipment",
            api::add_equipment,
            DISASTER_RUNNERS,
        )
        .body(r#"{"place":""}"#)
        .get("/api/v1/emergency/records/{id}/acp", api::acp, PRO)
        .sample("/api/v1/emergency/records/{emergency_record}/acp")
        .conceals()
        .post("/api/v1/emergency/records/{id}/acp", api::save_acp, PRO)
        .sample("/api/v1/emergency/records/{emergency_record}/acp")
        .body(r#"{"participants":""}"#)
        .conceals()
        .post(
            "/api/v1/emergency/records/{id}/death",
            api::record_death,
            PRO,
        )
        .sample("/api/v1/emergency/records/{emergency_record}/death")
        .body(r#"{"place":""}"#)
        .conceals()
        .get(
            "/api/v1/emergency/acp-template",
            api::acp_template,
            TEMPLATE_READERS,
        )
        .post(
            "/api/v1/emergency/acp-template",
            api::save_acp_template,
            TEMPLATE_KEEPERS,
        )
        .body(r#"{"name":""}"#)
        .get("/api/v1/emergency/deaths", api::deaths, DASHBOARD)
        .sample("/api/v1/emergency/deaths?fiscal_year=2026")
        .post("/api/v1/emergency/search", api::search, CREW)
        .body(r#"{"name":""}"#)
        .post("/api/v1/emergency/transports", api::transport, CREW)
        .body(r#"{"token":"","reason":""}"#)
}

#[derive(OpenApi)]
#[openapi(paths(
    api::list,
    api::create,
    api::get,
    api::verify,
    api::freshness,
    api::disaster,
    api::safety,
    api::add_equipment,
    api::transport,
    api::acp,
    api::save_acp,
    api::acp_template,
    api::save_acp_template,
    api::record_death,
    api::deaths,
    api::search
))]
struct EmergencyApi;

/// The home page's emergency items: records due for verification and
/// cards opened in the last day (counts only, so no names leave).
struct EmergencyHome(EmergencyState);

impl HomeItems for EmergencyHome {
    fn items<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
        lang: Lang,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<HomeItem>, String>> {
        Box::pin(async move {
            if !matches!(
                p.role,
                Role::Professional | Role::Coordinator | Role::Family | Role::Watcher
            ) {
                return Ok(Vec::new());
            }
            let (due, opened) = self
                .0
                .emergency
                .home_counts(p, ctx, now)
                .await
                .map_err(|e| e.to_string())?;
            let mut items = Vec::new();
            if opened > 0 {
                items.push(HomeItem {
                    urgency: Urgency::Urgent,
                    title: lang
                        .tr(
                            &format!("緊急時情報カードが開かれました（{opened}件、24時間以内）"),
                            &format!("{opened} emergency cards opened in the last day"),
                        )
                        .to_string(),
                    detail: lang
                        .tr(
                            "救急隊・病院がカードを読み取りました。搬送先を確認してください。",
                            "An ambulance crew or a hospital read the card: check where the person went.",
                        )
                        .to_string(),
                    href: "/emergency".into(),
                });
            }
            if due > 0 {
                items.push(HomeItem {
                    urgency: Urgency::Due,
                    title: lang
                        .tr(
                            &format!("確認が必要な緊急時情報が {due} 件あります"),
                            &format!("{due} emergency records need verifying"),
                        )
                        .to_string(),
                    detail: lang
                        .tr(
                            "退院・サマリーの変更・服薬の投稿・担当の交代、または定期確認の期限です。",
                            "A discharge, a summary change, a medication post, a new care manager, or the regular check.",
                        )
                        .to_string(),
                    href: "/emergency".into(),
                });
            }
            Ok(items)
        })
    }
}

/// The lines on a care patient's page: the emergency record's freshness
/// and the newest ACP version's medical wishes.
struct EmergencyOnPatientPage(EmergencyState);

impl PatientItems for EmergencyOnPatientPage {
    fn items<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
        patient: renkei_domain::PatientId,
        lang: Lang,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<PatientItem>, String>> {
        Box::pin(async move {
            let Some((id, freshness, acp)) = self
                .0
                .emergency
                .patient_page_line(p, ctx, patient, now)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(Vec::new());
            };
            let mut items = vec![PatientItem {
                title: lang.tr("緊急時情報", "Emergency information").to_string(),
                detail: if freshness.is_current() {
                    lang.tr("確認済", "Current").to_string()
                } else {
                    format!("{}（{}）", lang.tr("要確認", "Due"), freshness.reasons_ja())
                },
                href: format!("/emergency/records/{id}"),
            }];
            if let Some(v) = acp {
                let wishes: Vec<String> = v.ems_summary().iter().map(|a| a.display()).collect();
                items.push(PatientItem {
                    title: format!("{}（{}）", lang.tr("人生会議", "ACP"), v.discussed_on),
                    detail: wishes.join(" / "),
                    href: format!("/emergency/records/{id}/acp"),
                });
            }
            Ok(items)
        })
    }
}

/// Everything emergency contributes to the assembly.
pub fn capability(state: EmergencyState) -> Capability {
    let mut cap = Capability::new(
        "emergency",
        routes().with_state(state.clone()),
        EmergencyApi::openapi(),
    );
    cap.nav = vec![
        NavEntry {
            href: "/emergency",
            ja: "緊急時情報",
            en: "Emergency info",
            order: 35,
            shown_to: |p| {
                matches!(
                    p.role,
                    Role::Professional | Role::Coordinator | Role::Family | Role::Watcher
                )
            },
        },
        NavEntry {
            href: "/emergency/disaster",
            ja: "災害時の名簿",
            en: "Disaster list",
            order: 36,
            shown_to: Emergency::reads_disaster_list,
        },
        NavEntry {
            href: "/emergency/search",
            ja: "救急隊による検索",
            en: "EMS search",
            order: 37,
            shown_to: Emergency::searches_by_name,
        },
        NavEntry {
            href: "/emergency/agreements",
            ja: "救急隊の検索の協定",
            en: "EMS search agreements",
            order: 65,
            shown_to: Emergency::keeps_agreements,
        },
        NavEntry {
            href: "/emergency/deaths",
            ja: "看取りの集計",
            en: "End-of-life counts",
            order: 63,
            shown_to: Emergency::reads_dashboard,
        },
        NavEntry {
            href: "/emergency/acp-template",
            ja: "人生会議の様式",
            en: "ACP template",
            order: 64,
            shown_to: Emergency::keeps_acp_template,
        },
        NavEntry {
            href: "/emergency/freshness",
            ja: "緊急時情報の鮮度",
            en: "Emergency info freshness",
            order: 62,
            shown_to: Emergency::reads_dashboard,
        },
    ];
    cap.fhir = vec![fhir::DOCUMENT_REFERENCE];
    cap.home = Some(Arc::new(EmergencyHome(state.clone())));
    cap.patient = Some(Arc::new(EmergencyOnPatientPage(state.clone())));
    let reminders = state.clone();
    cap.jobs = vec![Job {
        name: "emergency reminders",
        every: std::time::Duration::from_secs(3600),
        first_run_at_start: false,
        run: Arc::new(move |now: Timestamp| {
            let state = reminders.clone();
            Box::pin(async move {
                match state.emergency.send_reminders(now).await {
                    Ok((0, 0)) => Ok(String::new()),
                    Ok((sent, failed)) => {
                        Ok(format!("emergency reminders: {sent} sent, {failed} failed"))
                    }
                    Err(e) => Err(e.to_string()),
                }
            })
        }),
    }];
    let demo = state.clone();
    cap.demo = Some(Arc::new(move |now| {
        let state = demo.clone();
        Box::pin(async move {
            renkei_emergency::demo::load(&state.emergency, &state.identity, now)
                .await
                .map_err(|e| e.to_string())
        })
    }));
    cap
}
