//! The demo region's directory (`renkei serve --demo`): one entry per
//! organisation of identity's demo region (linked to it, so its members
//! maintain it), with contact windows, functions, procedures and
//! acceptance status, plus life-support services and a consultation desk
//! of their own. Some entries are left unconfirmed so the freshness page
//! has something to show. The organisations are read through identity's
//! service; the entries are written by the directory's own store.

use renkei_domain::directory::ContactWindow;
use renkei_identity::{demo, Identity};
use renkei_store::{Db, ServiceError, StoreError};

use crate::model::{LocalFields, NewLocalEntry};
use crate::store;

/// Municipality centres of the fictional region: (lat, lon).
const CENTRES: [(f64, f64); 5] = [
    (36.3180, 139.2010),
    (36.3620, 139.1240),
    (36.2710, 139.0880),
    (36.2450, 139.3050),
    (36.4140, 139.0160),
];

/// The demo region's directory: one entry per organisation (linked to it,
/// so its members maintain it), with contact windows, functions,
/// procedures and acceptance status, plus life-support services and a
/// consultation desk of their own. Some entries are left unconfirmed so
/// the freshness page has something to show.
pub async fn load(
    db: &Db,
    identity: &Identity,
    now: renkei_domain::Timestamp,
) -> Result<String, ServiceError> {
    let actor = demo::actor();
    let refused =
        |e: renkei_identity::IdentityError| ServiceError::Store(StoreError::Invalid(e.to_string()));
    let region = identity
        .region_by_code(demo::DEMO_REGION)
        .await
        .map_err(refused)?
        .ok_or(ServiceError::NotFound)?;
    // In the order identity created them, which is the order of its demo lists.
    let mut munis: Vec<_> = identity
        .list_municipalities(&actor)
        .await
        .map_err(refused)?
        .into_iter()
        .filter(|m| m.region_id == region.id)
        .collect();
    munis.sort_by_key(|m| m.id);
    let mut orgs: Vec<_> = identity
        .list_organisations(&actor)
        .await
        .map_err(refused)?
        .into_iter()
        .filter(|o| o.region_id == region.id)
        .collect();
    orgs.sort_by_key(|o| o.id);
    let code_of = |i: usize| -> (String, String) {
        munis
            .get(i)
            .map(|m| (m.code.clone(), m.name.clone()))
            .unwrap_or_default()
    };
    let muni_index = |id: Option<i64>| -> usize {
        id.and_then(|id| munis.iter().position(|m| m.id == id))
            .unwrap_or(0)
            .min(CENTRES.len() - 1)
    };
    let window = |method: &str, days: &[u8], from: &str, to: &str, note: &str| ContactWindow {
        method: method.into(),
        weekdays: days.to_vec(),
        from: from.into(),
        to: to.into(),
        note: note.into(),
    };
    let mut tx = db.begin().await?;
    let entries = orgs.len();
    for (i, org) in orgs.iter().enumerate() {
        let (kind, name, kana, address, phone) = (
            org.kind.as_str(),
            org.name.as_str(),
            org.kana.as_str(),
            org.address.as_str(),
            org.phone.as_str(),
        );
        let muni = &muni_index(org.municipality_id);
        let (code, muni_name) = code_of(*muni);
        let (clat, clon) = CENTRES[*muni];
        // Spread the entries around their municipality's centre.
        let angle = i as f64 * 2.399;
        let r = 0.004 + 0.0016 * (i % 7) as f64;
        let org_id = Some(renkei_domain::OrgId(org.id));
        let id = store::insert_local_entry(
            &mut tx,
            &NewLocalEntry {
                kind: kind.to_string(),
                name: name.to_string(),
                kana: kana.to_string(),
                municipality_code: code,
                municipality_name: muni_name,
                address: address.to_string(),
                lat: Some(clat + r * angle.sin()),
                lon: Some(clon + r * 1.2 * angle.cos()),
                phone: phone.to_string(),
                url: String::new(),
                hours: match kind {
                    "hospital" => "月〜金 8:30〜17:00（救急は24時間）".into(),
                    "clinic" | "home_care_clinic" | "dental_clinic" => {
                        "月〜金 9:00〜12:00・15:00〜18:00、土 9:00〜12:00（日祝休診）".into()
                    }
                    "pharmacy" => "月〜土 9:00〜19:00".into(),
                    _ => "月〜金 8:30〜17:15".into(),
                },
                services: match kind {
                    "visiting_nursing" => vec!["130".into()],
                    "care_management" => vec!["430".into()],
                    "care_service" => vec!["150".into()],
                    _ => Vec::new(),
                },
                org_id,
                departments: demo_specialities(kind).0.into(),
                speciality_codes: demo_specialities(kind).1.into(),
                schedule: demo_schedule(kind),
                outside_region: false,
            },
            now,
        )
        .await?;
        let (functions, procedures, windows, acceptance): (
            &[&str],
            &[&str],
            Vec<ContactWindow>,
            &str,
        ) = match kind {
            "home_care_clinic" => (
                &["home_visit", "house_call", "h24", "end_of_life"],
                &[
                    "home_oxygen",
                    "tpn",
                    "iv_drip",
                    "pain_opioids",
                    "pressure_ulcer",
                    "urinary_catheter",
                ],
                vec![
                    window("phone", &[1, 3, 5], "13:00", "14:00", "医師が直接受けます"),
                    window(
                        "fax",
                        &[1, 2, 3, 4, 5],
                        "09:00",
                        "17:00",
                        "返信は翌診療日まで",
                    ),
                    window(
                        "timeline",
                        &[1, 2, 3, 4, 5, 6, 7],
                        "00:00",
                        "24:00",
                        "緊急でない連絡はRenkeiで",
                    ),
                ],
                if i % 2 == 0 {
                    "accepting"
                } else {
                    "waiting_list"
                },
            ),
            "clinic" => (
                if i % 3 == 0 { &["home_visit"] } else { &[] },
                &["insulin"],
                vec![window("fax", &[1, 2, 4, 5], "12:30", "13:30", "")],
                "unknown",
            ),
            "hospital" => (
                &["h24"],
                &["ventilator", "tracheostomy", "dialysis", "tpn", "suction"],
                vec![window(
                    "phone",
                    &[1, 2, 3, 4, 5],
                    "09:00",
                    "17:00",
                    "地域連携室",
                )],
                "waiting_list",
            ),
            "visiting_nursing" => (
                &["h24", "end_of_life"],
                &[
                    "tube_feeding",
                    "suction",
                    "home_oxygen",
                    "ventilator",
                    "stoma",
                    "urinary_catheter",
                    "pressure_ulcer",
                    "pain_opioids",
                ],
                vec![
                    window("phone", &[1, 2, 3, 4, 5], "08:30", "17:30", "管理者"),
                    window(
                        "phone",
                        &[1, 2, 3, 4, 5, 6, 7],
                        "17:30",
                        "08:30",
                        "緊急当番携帯",
                    ),
                ],
                if i == 21 { "accepting" } else { "full" },
            ),
            "pharmacy" => (
                &["h24"],
                &["tpn", "pain_opioids"],
                vec![window("phone", &[1, 2, 3, 4, 5, 6], "09:00", "19:00", "")],
                "accepting",
            ),
            "dental_clinic" => (
                &["home_visit"],
                &[],
                vec![window("phone", &[2, 4], "14:00", "16:00", "訪問歯科の相談")],
                "accepting",
            ),
            "care_management" => (
                &[],
                &[],
                vec![window("phone", &[1, 2, 3, 4, 5], "08:30", "17:30", "")],
                if i % 2 == 0 {
                    "accepting"
                } else {
                    "waiting_list"
                },
            ),
            _ => (&[], &[], Vec::new(), "unknown"),
        };
        store::write_local_fields(
            &mut tx,
            id,
            &LocalFields {
                functions: functions.iter().map(|s| s.to_string()).collect(),
                procedures: procedures.iter().map(|s| s.to_string()).collect(),
                contact_windows: windows,
                public_fields: renkei_domain::directory::DEFAULT_PUBLIC_FIELDS
                    .split(',')
                    .chain((kind == "care_management").then_some("staff"))
                    .map(str::to_string)
                    .collect(),
                // Public services only: the fire department is not a
                // resource residents look up on the map.
                publish_consent: kind != "fire_department",
                area: format!("{}圏域", code_of(*muni).1),
                // Care-management offices tell their care managers' number
                // and base qualifications; every other one has a nurse.
                staff_count: (kind == "care_management").then_some(2 + (i % 3) as i64),
                staff_qualifications: match (kind, i % 2) {
                    ("care_management", 0) => vec![
                        "chief_care_manager".into(),
                        "nurse".into(),
                        "care_worker".into(),
                    ],
                    ("care_management", _) => vec!["social_worker".into(), "care_worker".into()],
                    _ => Vec::new(),
                },
                // Hospitals hand over through their 地域連携室: in Renkei
                // when their staff use it, else by FAX.
                liaison_window: if kind == "hospital" {
                    renkei_domain::directory::LiaisonWindow {
                        department: "地域連携室（入退院支援）".into(),
                        phone: format!("0999-{:02}-2210", 20 + i),
                        fax: format!("0999-{:02}-2211", 20 + i),
                        weekdays: vec![1, 2, 3, 4, 5],
                        from: "08:30".into(),
                        to: "17:15".into(),
                        person: "退院支援看護師・MSW".into(),
                        channel: if org_id.is_some() { "renkei" } else { "fax" }.into(),
                    }
                } else {
                    Default::default()
                },
                ..LocalFields::default()
            },
            now,
        )
        .await?;
        if acceptance != "unknown" {
            // Every fourth status was set ten days ago: past the 7-day
            // deadline of stations and offices, so the coordinator's
            // freshness page and the lists have stale ones to show.
            let as_of = if i % 4 == 3 {
                now.plus_seconds(-10 * 86_400)
            } else {
                now
            };
            store::write_acceptance(&mut tx, id, acceptance, "", None, as_of).await?;
        }
    }
    // Entries of their own: life support and a consultation desk.
    // (kind, name, kana, services, municipality index, phone)
    type OwnEntry = (
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
        usize,
        &'static str,
    );
    let extra: &[OwnEntry] = &[
        (
            "life_support",
            "みどり野配食サービス「まごころ弁当」",
            "みどりのはいしょくさーびす まごころべんとう",
            &["L01"],
            0,
            "0999-10-5100",
        ),
        (
            "life_support",
            "あおば買い物支援バス",
            "あおばかいものしえんばす",
            &["L02"],
            1,
            "0999-20-5200",
        ),
        (
            "life_support",
            "訪問理美容さくら",
            "ほうもんりびようさくら",
            &["L03"],
            2,
            "0999-30-5300",
        ),
        (
            "consultation_desk",
            "ひがし浜町 福祉なんでも相談窓口",
            "ひがしはまちょう ふくしなんでもそうだんまどぐち",
            &[],
            3,
            "0999-40-5400",
        ),
    ];
    for (i, (kind, name, kana, services, muni, phone)) in extra.iter().enumerate() {
        let (code, muni_name) = code_of(*muni);
        let (clat, clon) = CENTRES[*muni];
        let id = store::insert_local_entry(
            &mut tx,
            &NewLocalEntry {
                kind: kind.to_string(),
                name: name.to_string(),
                kana: kana.to_string(),
                municipality_code: code,
                municipality_name: muni_name.clone(),
                address: format!("{muni_name}本町{}-{}", i + 2, i + 5),
                lat: Some(clat + 0.006),
                lon: Some(clon - 0.005),
                phone: phone.to_string(),
                url: String::new(),
                hours: "月〜金 9:00〜17:00".into(),
                services: services.iter().map(|s| s.to_string()).collect(),
                org_id: None,
                departments: String::new(),
                speciality_codes: String::new(),
                schedule: Default::default(),
                outside_region: false,
            },
            now,
        )
        .await?;
        store::write_local_fields(
            &mut tx,
            id,
            &LocalFields {
                public_fields: renkei_domain::directory::DEFAULT_PUBLIC_FIELDS
                    .split(',')
                    .map(str::to_string)
                    .collect(),
                publish_consent: true,
                ..LocalFields::default()
            },
            now,
        )
        .await?;
    }
    // A hospital in the neighbouring town that the region's residents use:
    // outside the region's municipalities, listed by the region.
    let (nclat, nclon) = CENTRES[4];
    let neighbour = store::insert_local_entry(
        &mut tx,
        &NewLocalEntry {
            kind: "hospital".into(),
            name: "となり町 山の上総合病院".into(),
            kana: "となりまち やまのうえそうごうびょういん".into(),
            // 99301: a town of the fictional prefecture outside the region.
            municipality_code: "993018".into(),
            municipality_name: "となり町".into(),
            address: "となり町山の上1-1".into(),
            lat: Some(nclat + 0.05),
            lon: Some(nclon - 0.04),
            phone: "0999-90-9000".into(),
            hours: "月〜土 8:30〜17:00（救急は24時間）".into(),
            ..NewLocalEntry::default()
        },
        now,
    )
    .await?;
    store::write_local_fields(
        &mut tx,
        neighbour,
        &LocalFields {
            public_fields: renkei_domain::directory::DEFAULT_PUBLIC_FIELDS
                .split(',')
                .map(str::to_string)
                .collect(),
            publish_consent: true,
            features: "圏域外ですが、北部の住民の多くが入院・外来で利用しています。".into(),
            ..LocalFields::default()
        },
        now,
    )
    .await?;
    store::set_region_listing(
        &mut tx,
        neighbour,
        renkei_domain::RegionId(region.id),
        true,
        None,
        now,
    )
    .await?;
    // The town's own 医療機関一覧 lists two of the demo's facilities again
    // (one facility, one entry): a clinic under its corporation's name
    // with the address in kanji numerals and the corporation's telephone,
    // which the matching proposes to the coordinator, and a pharmacy
    // written exactly as the entry, which it merges by itself. Nothing is matched until someone runs it.
    let mut duplicates = Vec::new();
    for (i, kind) in ["clinic", "pharmacy"].into_iter().enumerate() {
        let Some(org) = orgs.iter().find(|o| o.kind == kind) else {
            continue;
        };
        let (code, muni_name) = code_of(muni_index(org.municipality_id));
        let (name, address) = if kind == "clinic" {
            (
                format!("医療法人社団 {}", org.name),
                // 西町1-8 as the town writes it: 西町一丁目8番地.
                match org.address.split_once('-') {
                    Some((head, tail)) => format!(
                        "{}丁目{tail}番地",
                        head.replace('1', "一")
                            .replace('2', "二")
                            .replace('3', "三")
                    ),
                    None => org.address.clone(),
                },
            )
        } else {
            (org.name.clone(), org.address.clone())
        };
        duplicates.push((
            store::EntryFields {
                official_code: format!("091{:07}", 1001 + i),
                kind: kind.into(),
                name,
                prefecture_code: code.chars().take(2).collect(),
                municipality_code: code,
                municipality_name: muni_name,
                address,
                // The clinic's line is listed as the corporation's office.
                phone: if kind == "clinic" {
                    org.phone.replace("-0", "-9")
                } else {
                    org.phone.clone()
                },
                ..store::EntryFields::default()
            },
            String::new(),
        ));
    }
    store::insert_entries(
        &mut tx,
        crate::import::municipal::MEDICAL_CODE_SOURCE,
        &duplicates,
        now,
    )
    .await?;
    // The 診療科目 the demo's entries offer, so the search form lists them.
    let mut specialities = std::collections::BTreeMap::new();
    for kind in ["hospital", "clinic", "dental_clinic"] {
        let (names, codes) = demo_specialities(kind);
        for (name, code) in names.split(';').zip(codes.split(',')) {
            specialities.insert(code.to_string(), name.to_string());
        }
    }
    store::upsert_national_specialities(&mut tx, &specialities, now).await?;
    tx.commit().await?;
    Ok(format!("demo directory: {} entries", entries + extra.len()))
}

/// The demo's 診療科目 of a kind of entry: (names, codes).
fn demo_specialities(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "hospital" => (
            "内科;外科;整形外科;リハビリテーション科",
            "01001,02001,02010,06001",
        ),
        "clinic" | "home_care_clinic" => ("内科;小児科", "01001,01010"),
        "dental_clinic" => ("歯科", "40001"),
        _ => ("", ""),
    }
}

/// Structured hours matching the demo's hours text, so "open now" has
/// something to find: clinics 9–12 and 15–18 on weekdays and 9–12 on
/// Saturdays, closed on Sundays and holidays, their 小児科 only in the
/// weekday afternoons (so "paediatrics open now" differs from the
/// clinic's hours); hospitals' outpatient 8:30–17:00 on weekdays;
/// pharmacies 9–19 Monday to Saturday.
fn demo_schedule(kind: &str) -> renkei_domain::directory::Schedule {
    use renkei_domain::directory::{Schedule, Session};
    let session = |day: u8, from: &str, to: &str| Session {
        speciality: String::new(),
        day,
        from: from.into(),
        to: to.into(),
    };
    let of = |speciality: &str, s: Session| Session {
        speciality: speciality.into(),
        ..s
    };
    let mut sessions = Vec::new();
    match kind {
        "clinic" | "home_care_clinic" => {
            for day in 1..=6 {
                sessions.push(of("01001", session(day, "09:00", "12:00")));
                if day <= 5 {
                    sessions.push(of("01001", session(day, "15:00", "18:00")));
                    sessions.push(of("01010", session(day, "15:00", "18:00")));
                }
            }
        }
        "dental_clinic" => {
            for day in 1..=6 {
                sessions.push(session(day, "09:00", "12:00"));
                if day <= 5 {
                    sessions.push(session(day, "15:00", "18:00"));
                }
            }
        }
        "hospital" => sessions.extend((1..=5).map(|day| session(day, "08:30", "17:00"))),
        "pharmacy" => sessions.extend((1..=6).map(|day| session(day, "09:00", "19:00"))),
        _ => return Schedule::default(),
    }
    Schedule {
        sessions,
        closed_weekdays: vec![7],
        closed_on_holidays: true,
        ..Schedule::default()
    }
}
