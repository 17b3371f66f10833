//! An in-process Renkei with one signed-in session per role, for the web
//! tests. Requests go through the full middleware stack via `oneshot`.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use renkei_identity::service_types::{NextStep, SessionState};
use renkei_identity::*;
use renkei_store::testing::TestDb;
use renkei_store::Backend;
use renkei_web::{AppState, WebConfig};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// Who makes a request in the matrix: the personas the capabilities'
/// matrix rows name.
pub use renkei_web::Persona as Who;

fn role_of(who: Who) -> Option<&'static str> {
    Some(match who {
        Who::SystemAdmin => "system_admin",
        Who::RegionAdmin => "region_admin",
        Who::MunicipalOfficer => "municipal_officer",
        Who::Coordinator => "coordinator",
        Who::Professional | Who::PendingMfa => "professional",
        Who::Family => "family",
        Who::Ems => "ems",
        Who::Watcher => "watcher",
        Who::Anonymous => return None,
    })
}

pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub struct World {
    pub _db: TestDb,
    pub state: AppState,
    pub identity: Identity,
    pub app: Router,
    /// Every route the app serves, with its matrix row.
    pub rows: Vec<renkei_web::MatrixRow>,
    pub region: i64,
    pub other_region: i64,
    pub org: i64,
    pub target_user: i64,
    pub foreign_user: i64,
    /// A directory entry maintained by `org`, and a pending change to it.
    pub entry: renkei_domain::EntryId,
    pub change_request: renkei_domain::ChangeRequestId,
    /// A patient whose team is the Professional (lead, attending doctor)
    /// and the Family user; an urgent post with a PDF and a group.
    pub patient: renkei_domain::PatientId,
    pub post: renkei_domain::PostId,
    pub attachment: renkei_domain::AttachmentId,
    pub group: renkei_domain::SpaceId,
    pub consent: renkei_domain::ConsentId,
    /// A post with vital signs and a photo that no matrix row changes.
    pub vitals_post: renkei_domain::PostId,
    pub image: renkei_domain::AttachmentId,
    /// A stay of the test patient at a hospital not on Renkei, recorded by
    /// the Professional, and the region's rule set.
    pub stay: renkei_domain::StayId,
    pub rule_set: renkei_domain::RuleSetId,
    /// The stay's task for the team (the admission was terminal).
    pub task: renkei_domain::HandoffTaskId,
    /// A document the team attached to the patient.
    pub document: renkei_domain::DocumentId,
    /// The test patient's emergency record, a live link of its card, and
    /// that link's token.
    pub emergency_record: renkei_domain::EmergencyRecordId,
    pub emergency_link: renkei_domain::EmergencyLinkId,
    pub card_token: String,
    pub disaster: renkei_domain::DisasterId,
    pub equipment: renkei_domain::EquipmentId,
    pub sessions: Vec<(Who, Session)>,
}

pub fn ctx() -> RequestContext {
    RequestContext {
        source_addr: "127.0.0.1".into(),
        user_agent: "web-test".into(),
    }
}

pub async fn create_user(
    identity: &Identity,
    username: &str,
    role: &str,
    region: Option<i64>,
    orgs: Vec<i64>,
) -> i64 {
    identity
        .create_user(
            &Actor::Cli {
                os_user: "test".into(),
            },
            &NewUser {
                region_id: region,
                username: username.into(),
                display_name: format!("{username} 様"),
                role: role.into(),
                profession: "other".into(),
                password: PASSWORD.into(),
                org_ids: orgs,
                ..Default::default()
            },
            &ctx(),
        )
        .await
        .expect("create user")
}

/// Logs in fully (enrolling TOTP where the role requires it).
pub async fn sign_in(identity: &Identity, username: &str) -> Session {
    let r = identity
        .login(username, PASSWORD, &ctx())
        .await
        .expect("login");
    if r.next == NextStep::Enrol {
        let e = identity.begin_enrolment(&r.session_token).await.unwrap();
        let (signed_in, _codes) = identity
            .confirm_enrolment(
                &r.session_token,
                &mfa::current_code(&e.secret).unwrap(),
                &ctx(),
            )
            .await
            .unwrap();
        return session_of(identity, signed_in).await;
    }
    session_of(identity, r.session_token).await
}

pub async fn session_of(identity: &Identity, token: String) -> Session {
    let csrf = match identity.session(&token).await.unwrap() {
        Some(SessionState::Active(p)) => match p.credential {
            Credential::Session { csrf_token } => csrf_token,
            _ => unreachable!(),
        },
        Some(SessionState::NeedsMfa { csrf_token, .. })
        | Some(SessionState::NeedsEnrolment { csrf_token, .. }) => csrf_token,
        None => panic!("no session"),
    };
    Session {
        cookie: format!("renkei_session={token}"),
        csrf,
    }
}

pub async fn world(backend: Backend, config: WebConfig) -> World {
    let db = TestDb::new(backend).await;
    let identity = Identity::new(db.db.clone(), IdentityConfig::default());
    let cli = Actor::Cli {
        os_user: "test".into(),
    };
    let region = identity
        .create_region(&cli, "r1", "第一圏域", false, &ctx())
        .await
        .unwrap();
    let other_region = identity
        .create_region(&cli, "r2", "第二圏域", false, &ctx())
        .await
        .unwrap();
    let org = identity
        .create_organisation(
            &cli,
            &NewOrganisation {
                region_id: Some(region),
                kind: "clinic".into(),
                name: "第一診療所".into(),
                ..Default::default()
            },
            &ctx(),
        )
        .await
        .unwrap();
    let target_user = create_user(
        &identity,
        "target",
        "municipal_officer",
        Some(region),
        vec![org],
    )
    .await;
    let foreign_user = create_user(
        &identity,
        "foreign",
        "municipal_officer",
        Some(other_region),
        vec![],
    )
    .await;
    let mut sessions = Vec::new();
    for who in Who::ALL {
        let Some(role) = role_of(who) else {
            sessions.push((
                who,
                Session {
                    cookie: "renkei_csrf=anon-token".into(),
                    csrf: "anon-token".into(),
                },
            ));
            continue;
        };
        let username = format!("{who:?}").to_lowercase();
        let region_id = (who != Who::SystemAdmin).then_some(region);
        create_user(
            &identity,
            &username,
            role,
            region_id,
            if region_id.is_some() {
                vec![org]
            } else {
                vec![]
            },
        )
        .await;
        let session = if who == Who::PendingMfa {
            // Enrol once, then start a second login that stops at the code.
            sign_in(&identity, &username).await;
            let r = identity.login(&username, PASSWORD, &ctx()).await.unwrap();
            assert_eq!(r.next, NextStep::Mfa);
            session_of(&identity, r.session_token).await
        } else {
            sign_in(&identity, &username).await
        };
        sessions.push((who, session));
    }
    identity
        .create_municipality(
            &cli,
            &renkei_identity::NewMunicipality {
                region_id: Some(region),
                code: "131016".into(),
                name: "千代田区".into(),
                kana: "ちよだく".into(),
                population: None,
            },
            &ctx(),
        )
        .await
        .unwrap();
    let (entry, change_request) = {
        use renkei_directory::fixtures as ds;
        let now = renkei_domain::Timestamp::now();
        let mut tx = db.db.begin().await.unwrap();
        let entry = ds::insert_local_entry(
            &mut tx,
            &renkei_directory::model::NewLocalEntry {
                kind: "clinic".into(),
                name: "第一診療所".into(),
                municipality_code: "131016".into(),
                lat: Some(35.0),
                lon: Some(135.0),
                org_id: Some(renkei_domain::OrgId(org)),
                departments: String::new(),
                speciality_codes: String::new(),
                schedule: Default::default(),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        let request = ds::insert_change_request(
            &mut tx,
            entry,
            renkei_domain::UserId(target_user),
            &renkei_directory::model::LocalFields::default(),
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        (entry, request)
    };
    let state = AppState::new(identity.clone(), config);
    state
        .directory
        .refresh(&db.db, renkei_domain::Timestamp::now())
        .await
        .unwrap();
    let CareIds {
        patient,
        post,
        attachment,
        group,
        consent,
        vitals_post,
        image,
    } = care_world(&state, &identity, &sessions).await;
    let (stay, rule_set, task, document) =
        transitions_world(&state, &identity, &sessions, patient, &db.db).await;
    let (emergency_record, emergency_link, card_token, disaster, equipment) =
        emergency_world(&state, &identity, &sessions, patient).await;
    let assembly = renkei_web::assemble(state.clone());
    World {
        _db: db,
        state,
        identity,
        app: assembly.router,
        rows: assembly.rows,
        region,
        other_region,
        org,
        target_user,
        foreign_user,
        entry,
        change_request,
        patient,
        post,
        attachment,
        group,
        consent,
        vitals_post,
        image,
        stay,
        rule_set,
        task,
        document,
        emergency_record,
        emergency_link,
        card_token,
        disaster,
        equipment,
        sessions,
    }
}

/// The region's rule set (by the region administrator) and a stay of the
/// test patient at a hospital that is not on Renkei (so no matrix persona
/// is its hospital staff).
async fn transitions_world(
    state: &AppState,
    identity: &Identity,
    sessions: &[(Who, Session)],
    patient: renkei_domain::PatientId,
    db: &renkei_store::Db,
) -> (
    renkei_domain::StayId,
    renkei_domain::RuleSetId,
    renkei_domain::HandoffTaskId,
    renkei_domain::DocumentId,
) {
    let session = |w: Who| &sessions.iter().find(|(x, _)| *x == w).unwrap().1;
    let pro = principal_of(identity, session(Who::Professional)).await;
    let admin = principal_of(identity, session(Who::RegionAdmin)).await;
    let now = renkei_domain::Timestamp::now();
    let today = now.to_jst_display()[..10].to_string();
    let c = ctx();
    let rule_set = state
        .transitions
        .create_rule_set(
            &admin,
            &c,
            "試験圏域ルール",
            "試験協議会",
            false,
            &renkei_domain::transitions::RuleBody::default(),
            &today,
            true,
            now,
        )
        .await
        .unwrap();
    let hospital = {
        let mut tx = db.begin().await.unwrap();
        let id = renkei_directory::fixtures::insert_local_entry(
            &mut tx,
            &renkei_directory::model::NewLocalEntry {
                kind: "hospital".into(),
                name: "試験病院".into(),
                municipality_code: "131016".into(),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let stay = state
        .transitions
        .record_admission(
            &pro,
            &c,
            patient,
            &renkei_transitions::model::AdmissionInput {
                hospital_entry_id: hospital.0,
                admitted_at: format!("{today}T10:00"),
                reported_via: "family".into(),
                // Terminal: the team gets a task to widen itself.
                terminal: true,
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    // A saved admission sheet (a FHIR Composition), not sent: the hospital
    // is not on Renkei.
    let draft = state
        .transitions
        .form(
            &pro,
            &c,
            stay,
            renkei_domain::transitions::FormKind::Admission,
            now,
        )
        .await
        .unwrap();
    state
        .transitions
        .save_form(
            &pro,
            &c,
            stay,
            renkei_domain::transitions::FormKind::Admission,
            &draft.content,
            now,
        )
        .await
        .unwrap();
    let task = state
        .transitions
        .tasks(&pro, &c, now)
        .await
        .unwrap()
        .first()
        .map(|t| t.id)
        .expect("the terminal admission made a task");
    // A document the team attached: the world's `{document}`.
    let document = state
        .transitions
        .import_document(
            &pro,
            &c,
            patient,
            serde_json::json!({
                "resourceType": "Bundle", "type": "document",
                "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:00000000-0000-4000-8000-000000000001"},
                "timestamp": "2026-12-01T10:00:00+09:00",
                "entry": [
                    {"fullUrl": "urn:uuid:c", "resource": {"resourceType": "Composition", "status": "final",
                        "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
                        "subject": {"reference": "urn:uuid:p"}, "date": "2026-12-01T10:00:00+09:00",
                        "author": [{"display": "病院"}], "title": "退院時サマリー",
                        "section": [{"title": "経過", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">改善</div>"}}]}},
                    {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "name": [{"text": "患者"}]}}
                ]
            })
            .to_string()
            .as_bytes(),
            now,
        )
        .await
        .unwrap();
    (stay, rule_set, task, document)
}

/// The test patient's emergency record (by the lead professional) with a
/// card link.
async fn emergency_world(
    state: &AppState,
    identity: &Identity,
    sessions: &[(Who, Session)],
    patient: renkei_domain::PatientId,
) -> (
    renkei_domain::EmergencyRecordId,
    renkei_domain::EmergencyLinkId,
    String,
    renkei_domain::DisasterId,
    renkei_domain::EquipmentId,
) {
    let session = |w: Who| &sessions.iter().find(|(x, _)| *x == w).unwrap().1;
    let pro = principal_of(identity, session(Who::Professional)).await;
    let c = RequestContext {
        source_addr: "127.0.0.1".into(),
        user_agent: "matrix".into(),
    };
    let now = renkei_domain::Timestamp::now();
    let mut input = state
        .emergency
        .prefill(&pro, &c, patient, now)
        .await
        .unwrap();
    input.municipality_code = state
        .emergency
        .municipalities(pro.region_id.unwrap())
        .await
        .unwrap()[0]
        .0
        .clone();
    input.contacts = "長男 090-0000-0000".into();
    // On the region's disaster list by consent, so the desk confirms safety.
    input.disaster_share = true;
    let record = state
        .emergency
        .create_record(&pro, &c, &input, now)
        .await
        .unwrap();
    let link = state
        .emergency
        .create_link(&pro, &c, record, false, now)
        .await
        .unwrap();
    // The desk opens a disaster and registers a piece of equipment.
    let desk = principal_of(identity, session(Who::Coordinator)).await;
    let disaster = state
        .emergency
        .start_disaster(&desk, &c, "台風テスト", now)
        .await
        .unwrap();
    let equipment = state
        .emergency
        .save_equipment(
            &desk,
            &c,
            None,
            &renkei_emergency::model::EquipmentInput {
                municipality_code: input.municipality_code.clone(),
                kind: "satellite_phone".into(),
                label: "衛星電話".into(),
                place: "市役所 防災課".into(),
                quantity: 1,
                contact: String::new(),
            },
            now,
        )
        .await
        .unwrap();
    (record, link.id, link.token, disaster, equipment)
}

/// The signed-in principal behind a session.
pub async fn principal_of(identity: &Identity, session: &Session) -> Principal {
    let token = session
        .cookie
        .strip_prefix("renkei_session=")
        .expect("a session cookie");
    match identity.session(token).await.unwrap() {
        Some(SessionState::Active(p)) => p,
        _ => panic!("not an active session"),
    }
}

async fn care_world(state: &AppState, identity: &Identity, sessions: &[(Who, Session)]) -> CareIds {
    use renkei_care::model::PatientInput;
    use renkei_care::model::{ConsentInput, PostInput};
    let session = |w: Who| &sessions.iter().find(|(x, _)| *x == w).unwrap().1;
    let pro = principal_of(identity, session(Who::Professional)).await;
    let family = principal_of(identity, session(Who::Family)).await;
    let c = ctx();
    let patient = state
        .care
        .register_patient(
            &pro,
            &c,
            None,
            "attending_doctor",
            &PatientInput {
                name: "試験 花子".into(),
                kana: "しけん はなこ".into(),
                birth_date: "1940-01-02".into(),
                sex: "female".into(),
                insured_number: "1234567890".into(),
                ..Default::default()
            },
            renkei_domain::Timestamp::now(),
        )
        .await
        .unwrap();
    let consent = state
        .care
        .record_consent(
            &pro,
            &c,
            patient,
            &ConsentInput {
                covers_family: true,
                obtained_on: "2026-11-01".into(),
                obtained_by: "試験".into(),
                ..Default::default()
            },
            None,
            renkei_domain::Timestamp::now(),
        )
        .await
        .unwrap();
    let space = state.care.patient_space(patient).await.unwrap();
    state
        .care
        .invite(
            &pro,
            &c,
            space,
            "family",
            "family",
            renkei_domain::Timestamp::now(),
        )
        .await
        .unwrap();
    state
        .care
        .accept(&family, &c, space, renkei_domain::Timestamp::now())
        .await
        .unwrap();
    let pdf = renkei_care::attachments::check(
        "指示書.pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF".to_vec(),
        1 << 20,
    )
    .unwrap();
    let post = state
        .care
        .post(
            &pro,
            &c,
            space,
            PostInput {
                category: "vitals".into(),
                body: "発熱".into(),

                urgent: true,
                ack_role: "attending_doctor".into(),
                idempotency_key: "matrix-post-0001".into(),
                ..Default::default()
            },
            vec![pdf],
            renkei_domain::Timestamp::now(),
        )
        .await
        .unwrap()
        .post_id;
    let attachment = state
        .care
        .post_detail(&pro, &c, post, renkei_domain::Timestamp::now())
        .await
        .unwrap()
        .view
        .attachments[0]
        .id;
    // A second post that no matrix row edits: vital signs (FHIR
    // Observation) and a photo (thumbnail).
    let png = {
        let img = image::RgbImage::from_pixel(64, 48, image::Rgb([200, 40, 40]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let photo = renkei_care::attachments::check("創部.png", png, 1 << 20).unwrap();
    let vitals_post = state
        .care
        .post(
            &pro,
            &c,
            space,
            PostInput {
                category: "vitals".into(),
                body: "夕方の測定".into(),
                vitals: renkei_domain::care::Vitals {
                    temperature: Some(38.2),
                    ..Default::default()
                },
                idempotency_key: "matrix-post-0002".into(),
                ..Default::default()
            },
            vec![photo],
            renkei_domain::Timestamp::now(),
        )
        .await
        .unwrap()
        .post_id;
    let image = state
        .care
        .post_detail(&pro, &c, vitals_post, renkei_domain::Timestamp::now())
        .await
        .unwrap()
        .view
        .attachments[0]
        .id;
    let group = state
        .care
        .create_group(
            &pro,
            &c,
            "訪問看護連絡会",
            "",
            renkei_domain::Timestamp::now(),
        )
        .await
        .unwrap();
    CareIds {
        patient,
        post,
        attachment,
        group,
        consent,
        vitals_post,
        image,
    }
}

/// What the care part of the world made.
struct CareIds {
    patient: renkei_domain::PatientId,
    post: renkei_domain::PostId,
    attachment: renkei_domain::AttachmentId,
    group: renkei_domain::SpaceId,
    consent: renkei_domain::ConsentId,
    vitals_post: renkei_domain::PostId,
    image: renkei_domain::AttachmentId,
}

impl World {
    /// The world's ids by the names matrix rows use in their sample paths.
    pub fn ids(&self) -> Vec<(&'static str, String)> {
        vec![
            ("patient", self.patient.to_string()),
            ("post", self.post.to_string()),
            ("vitals_post", self.vitals_post.to_string()),
            ("attachment", self.attachment.to_string()),
            ("image", self.image.to_string()),
            ("consent", self.consent.to_string()),
            ("group", self.group.to_string()),
            ("entry", self.entry.to_string()),
            ("change_request", self.change_request.to_string()),
            ("user", self.target_user.to_string()),
            ("stay", self.stay.to_string()),
            ("rule_set", self.rule_set.to_string()),
            ("task", self.task.to_string()),
            ("document", self.document.to_string()),
            ("emergency_record", self.emergency_record.to_string()),
            ("emergency_link", self.emergency_link.to_string()),
            ("card_token", self.card_token.clone()),
            ("disaster", self.disaster.to_string()),
            ("equipment", self.equipment.to_string()),
        ]
    }

    /// A matrix row's body with the world's ids filled in (a FHIR
    /// document names its patient in the body).
    pub fn concrete_body(&self, row: &renkei_web::MatrixRow) -> Option<String> {
        row.body.map(|body| {
            let mut body = body.to_string();
            for (name, id) in self.ids() {
                body = body.replace(&format!("{{{name}}}"), &id);
            }
            body
        })
    }

    /// A matrix row's sample path with the world's ids filled in.
    pub fn concrete(&self, row: &renkei_web::MatrixRow) -> String {
        let mut path = row.sample_path().to_string();
        for (name, id) in self.ids() {
            path = path.replace(&format!("{{{name}}}"), &id);
        }
        path
    }

    pub fn session(&self, who: Who) -> &Session {
        &self
            .sessions
            .iter()
            .find(|(w, _)| *w == who)
            .expect("session")
            .1
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = res
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Reply {
        status,
        location,
        content_type,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A GET or a form/JSON POST as `session`, with its CSRF token.
pub fn request(method: &str, path: &str, session: &Session, body: Option<&str>) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, &session.cookie);
    let body = match (method, body) {
        ("GET", _) => Body::empty(),
        (_, Some(json)) if path.starts_with("/api/") => {
            b = b
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-csrf-token", &session.csrf);
            Body::from(json.to_string())
        }
        (_, Some(json)) if path.starts_with("/fhir/") => {
            b = b
                .header(header::CONTENT_TYPE, "application/fhir+json")
                .header("x-csrf-token", &session.csrf);
            Body::from(json.to_string())
        }
        (_, form) => {
            b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let mut f = format!("csrf={}", session.csrf);
            if let Some(extra) = form {
                f.push('&');
                f.push_str(extra);
            }
            Body::from(f)
        }
    };
    b.body(body).expect("request")
}
