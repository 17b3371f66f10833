//! The demo region (DOMAIN.md §10): one city and four towns, a municipal
//! hospital with a liaison office, a dozen clinics, two visiting-nursing
//! stations, care-management offices, a 地域包括支援センター, the
//! 連携支援センター run by the medical association, and a fire department.
//! Every name is invented; municipality codes use prefecture number 99,
//! which does not exist, so they can never be mistaken for real ones.
//!
//! Loaded only by `renkei serve --demo` into an empty database. Demo accounts
//! can sign in only while the server runs with `--demo`.

use rand::Rng;
use renkei_domain::{OrgId, RegionId, UserId};
use renkei_identity::{
    mfa, Actor, Credential, Identity, NewMunicipality, NewOrganisation, NewUser, Principal,
    RequestContext,
};

/// The one password of every demo account (printed at start-up).
pub const DEMO_PASSWORD: &str = "renkei-demo-2026";
pub const DEMO_REGION: &str = "demo";

/// A demo log-in, printed at start-up and shown on the login page.
pub struct DemoLogin {
    pub role_label: &'static str,
    pub username: &'static str,
}

const MUNICIPALITIES: &[(&str, &str, &str, i64)] = &[
    ("99201", "みどり野市", "みどりのし", 21_000),
    ("99341", "あおば町", "あおばちょう", 8_400),
    ("99342", "さくら川町", "さくらがわちょう", 5_200),
    ("99343", "ひがし浜町", "ひがしはまちょう", 3_300),
    ("99344", "やまなみ町", "やまなみちょう", 1_900),
];

/// (kind, name, kana, municipality index, address, phone)
const ORGANISATIONS: &[(&str, &str, &str, usize, &str, &str)] = &[
    (
        "hospital",
        "みどり野市立総合病院",
        "みどりのしりつそうごうびょういん",
        0,
        "みどり野市中央1-1-1",
        "0999-10-1000",
    ),
    (
        "support_centre",
        "みどり野在宅医療・介護連携支援センター",
        "みどりのざいたくいりょうかいごれんけいしえんせんたー",
        0,
        "みどり野市中央2-3-4 医師会館内",
        "0999-10-2000",
    ),
    (
        "association",
        "みどり野郡医師会",
        "みどりのぐんいしかい",
        0,
        "みどり野市中央2-3-4",
        "0999-10-2001",
    ),
    (
        "municipality",
        "みどり野市 長寿介護課",
        "みどりのし ちょうじゅかいごか",
        0,
        "みどり野市役所本町1-1",
        "0999-10-0001",
    ),
    (
        "community_care_centre",
        "みどり野市地域包括支援センター",
        "みどりのしちいきほうかつしえんせんたー",
        0,
        "みどり野市本町1-5",
        "0999-10-3000",
    ),
    (
        "fire_department",
        "みどり野広域消防本部",
        "みどりのこういきしょうぼうほんぶ",
        0,
        "みどり野市消防町1-1",
        "0999-10-0119",
    ),
    (
        "home_care_clinic",
        "あおぞら在宅クリニック",
        "あおぞらざいたくくりにっく",
        0,
        "みどり野市東町3-2",
        "0999-11-0001",
    ),
    (
        "home_care_clinic",
        "さくら川ファミリークリニック",
        "さくらがわふぁみりーくりにっく",
        2,
        "さくら川町本通り5",
        "0999-12-0001",
    ),
    (
        "home_care_clinic",
        "やまなみ診療所",
        "やまなみしんりょうじょ",
        4,
        "やまなみ町中郷12",
        "0999-14-0001",
    ),
    (
        "clinic",
        "みどり野内科医院",
        "みどりのないかいいん",
        0,
        "みどり野市西町1-8",
        "0999-11-0002",
    ),
    (
        "clinic",
        "ひかり整形外科",
        "ひかりせいけいげか",
        0,
        "みどり野市駅前2-1",
        "0999-11-0003",
    ),
    (
        "clinic",
        "あおば中央クリニック",
        "あおばちゅうおうくりにっく",
        1,
        "あおば町中央1-2",
        "0999-13-0001",
    ),
    (
        "clinic",
        "あおば眼科",
        "あおばがんか",
        1,
        "あおば町中央3-4",
        "0999-13-0002",
    ),
    (
        "clinic",
        "ひがし浜こども・内科クリニック",
        "ひがしはまこども・ないかくりにっく",
        3,
        "ひがし浜町港通り7",
        "0999-15-0001",
    ),
    (
        "clinic",
        "すずらん皮膚科",
        "すずらんひふか",
        0,
        "みどり野市北町4-4",
        "0999-11-0004",
    ),
    (
        "clinic",
        "もみじ心療内科",
        "もみじしんりょうないか",
        0,
        "みどり野市南町2-9",
        "0999-11-0005",
    ),
    (
        "clinic",
        "さくら川耳鼻科",
        "さくらがわじびか",
        2,
        "さくら川町桜台1-1",
        "0999-12-0002",
    ),
    (
        "clinic",
        "ひがし浜診療所",
        "ひがしはましんりょうじょ",
        3,
        "ひがし浜町本町3",
        "0999-15-0002",
    ),
    (
        "dental_clinic",
        "みどり野訪問歯科",
        "みどりのほうもんしか",
        0,
        "みどり野市東町5-5",
        "0999-11-0010",
    ),
    (
        "pharmacy",
        "ひまわり薬局 中央店",
        "ひまわりやっきょく ちゅうおうてん",
        0,
        "みどり野市中央1-3",
        "0999-11-0020",
    ),
    (
        "pharmacy",
        "あおば在宅薬局",
        "あおばざいたくやっきょく",
        1,
        "あおば町中央2-2",
        "0999-13-0020",
    ),
    (
        "visiting_nursing",
        "みどり野訪問看護ステーション",
        "みどりのほうもんかんごすてーしょん",
        0,
        "みどり野市本町2-2",
        "0999-11-0030",
    ),
    (
        "visiting_nursing",
        "あおば・さくら訪問看護ステーション",
        "あおば・さくらほうもんかんごすてーしょん",
        1,
        "あおば町西1-9",
        "0999-13-0030",
    ),
    (
        "care_management",
        "みどり野居宅介護支援事業所",
        "みどりのきょたくかいごしえんじぎょうしょ",
        0,
        "みどり野市本町3-1",
        "0999-11-0040",
    ),
    (
        "care_management",
        "ケアプランセンターあおば",
        "けあぷらんせんたーあおば",
        1,
        "あおば町中央4-1",
        "0999-13-0040",
    ),
    (
        "care_management",
        "さくら川ケアマネジメント",
        "さくらがわけあまねじめんと",
        2,
        "さくら川町本通り8",
        "0999-12-0040",
    ),
    (
        "care_management",
        "ひがし浜・やまなみ居宅支援",
        "ひがしはま・やまなみきょたくしえん",
        3,
        "ひがし浜町本町9",
        "0999-15-0040",
    ),
    (
        "care_service",
        "デイサービスみどりの風",
        "でいさーびすみどりのかぜ",
        0,
        "みどり野市北町1-1",
        "0999-11-0050",
    ),
];

/// (username, display name, role, profession, organisation name, role label)
type UserRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

const USERS: &[UserRow] = &[
    (
        "demo-admin",
        "管理 太郎",
        "system_admin",
        "other",
        None,
        "システム管理者 / System admin",
    ),
    (
        "demo-region-admin",
        "圏域 花子",
        "region_admin",
        "other",
        Some("みどり野在宅医療・介護連携支援センター"),
        "圏域管理者 / Region admin",
    ),
    (
        "demo-officer",
        "市役 一郎",
        "municipal_officer",
        "municipal_officer",
        Some("みどり野市 長寿介護課"),
        "市区町村担当 / Municipal officer",
    ),
    (
        "demo-coordinator",
        "連携 さくら",
        "coordinator",
        "coordinator",
        Some("みどり野在宅医療・介護連携支援センター"),
        "コーディネーター / Coordinator",
    ),
    (
        "demo-doctor",
        "青空 健",
        "professional",
        "doctor",
        Some("あおぞら在宅クリニック"),
        "専門職（医師） / Professional (doctor)",
    ),
    (
        "demo-nurse",
        "看護 みどり",
        "professional",
        "nurse",
        Some("みどり野訪問看護ステーション"),
        "専門職（看護師） / Professional (nurse)",
    ),
    (
        "demo-caremanager",
        "支援 誠",
        "professional",
        "care_manager",
        Some("みどり野居宅介護支援事業所"),
        "専門職（ケアマネ） / Professional (care manager)",
    ),
    (
        "demo-pharmacist",
        "調剤 ゆう",
        "professional",
        "pharmacist",
        Some("あおば在宅薬局"),
        "専門職（薬剤師） / Professional (pharmacist)",
    ),
    (
        "demo-family",
        "家族 和子",
        "family",
        "family",
        None,
        "家族 / Family member",
    ),
    (
        "demo-ems",
        "救急 勇",
        "ems",
        "ems",
        Some("みどり野広域消防本部"),
        "消防・救急 / EMS",
    ),
];

pub fn logins() -> Vec<DemoLogin> {
    USERS
        .iter()
        .map(|u| DemoLogin {
            role_label: u.5,
            username: u.0,
        })
        .collect()
}

/// A random password for `renkei user create` without `--password-stdin`.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Loads the demo region if the database is empty. A database holding other
/// data is never touched.
pub async fn ensure_loaded(identity: &Identity) -> anyhow::Result<Vec<DemoLogin>> {
    if identity.region_by_code(DEMO_REGION).await?.is_some() {
        return Ok(logins());
    }
    if !identity.is_empty().await? {
        anyhow::bail!(
            "--demo loads demo data only into an empty database, and this one already holds other data; \
             point RENKEI_DATABASE_URL at a new file, e.g. sqlite://./data/demo.db"
        );
    }
    let actor = Actor::Cli {
        os_user: "demo-loader".into(),
    };
    let ctx = RequestContext {
        source_addr: "demo".into(),
        user_agent: "renkei serve --demo".into(),
    };
    let region = identity
        .create_region(
            &actor,
            DEMO_REGION,
            "みどり野広域連携圏（デモ）",
            true,
            &ctx,
        )
        .await?;
    let mut municipality_ids = Vec::new();
    for (code, name, kana, population) in MUNICIPALITIES {
        municipality_ids.push(
            identity
                .create_municipality(
                    &actor,
                    &NewMunicipality {
                        region_id: Some(region),
                        code: code.to_string(),
                        name: name.to_string(),
                        kana: kana.to_string(),
                        population: Some(*population),
                    },
                    &ctx,
                )
                .await?,
        );
    }
    let mut orgs = Vec::new();
    for (kind, name, kana, muni, address, phone) in ORGANISATIONS {
        let id = identity
            .create_organisation(
                &actor,
                &NewOrganisation {
                    region_id: Some(region),
                    kind: kind.to_string(),
                    name: name.to_string(),
                    kana: kana.to_string(),
                    municipality_id: municipality_ids.get(*muni).copied(),
                    address: address.to_string(),
                    phone: phone.to_string(),
                },
                &ctx,
            )
            .await?;
        orgs.push((name.to_string(), id));
    }
    load_directory(identity.db(), &orgs, &municipality_ids, identity, &actor).await?;
    let mut users = Vec::new();
    for (username, name, role, profession, org, _) in USERS {
        let org_ids = org
            .and_then(|o| orgs.iter().find(|(n, _)| n == o))
            .map(|(_, id)| vec![*id])
            .unwrap_or_default();
        let users_orgs = org_ids.clone();
        let id = identity
            .create_user(
                &actor,
                &NewUser {
                    region_id: (*role != "system_admin").then_some(region),
                    username: username.to_string(),
                    display_name: name.to_string(),
                    email: format!("{username}@demo.invalid"),
                    role: role.to_string(),
                    profession: profession.to_string(),
                    password: DEMO_PASSWORD.to_string(),
                    org_ids,
                    is_demo: true,
                },
                &ctx,
            )
            .await?;
        // Pre-enrolled so a newcomer can sign in without an authenticator
        // app: under --demo the code page shows the current code.
        identity
            .enrol_demo_secret(&actor, id, &mfa::new_secret(), &ctx)
            .await?;
        users.push(Principal {
            user_id: UserId(id),
            username: username.to_string(),
            display_name: name.to_string(),
            role: role.parse().map_err(anyhow::Error::msg)?,
            profession: profession.parse().map_err(anyhow::Error::msg)?,
            region_id: (*role != "system_admin").then_some(RegionId(region)),
            org_ids: users_orgs.into_iter().map(OrgId).collect(),
            credential: Credential::Session {
                csrf_token: String::new(),
            },
            mfa_enabled: true,
            is_demo: true,
        });
    }
    crate::demo_care::load(identity.db(), &users, &ctx).await?;
    Ok(logins())
}

pub fn print_logins(logins: &[DemoLogin]) {
    println!();
    println!("================ Renkei DEMO ================");
    println!("デモ用アカウント / demo accounts (password: {DEMO_PASSWORD})");
    for l in logins {
        println!("  {:<20} {}", l.username, l.role_label);
    }
    println!("確認コードはデモ画面に表示されます / the 2FA code is shown on the demo's code page");
    println!("=============================================");
    println!();
}

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
async fn load_directory(
    db: &renkei_store::Db,
    orgs: &[(String, i64)],
    municipality_ids: &[i64],
    identity: &Identity,
    actor: &Actor,
) -> anyhow::Result<()> {
    use renkei_directory::store::{self as ds, LocalFields, NewLocalEntry};
    use renkei_domain::directory::ContactWindow;
    let munis = identity.list_municipalities(actor).await?;
    let code_of = |i: usize| -> (String, String) {
        municipality_ids
            .get(i)
            .and_then(|id| munis.iter().find(|m| m.id == *id))
            .map(|m| (m.code.clone(), m.name.clone()))
            .unwrap_or_default()
    };
    let window = |method: &str, days: &[u8], from: &str, to: &str, note: &str| ContactWindow {
        method: method.into(),
        weekdays: days.to_vec(),
        from: from.into(),
        to: to.into(),
        note: note.into(),
    };
    let now = renkei_domain::Timestamp::now();
    let mut tx = db.begin().await?;
    for (i, (kind, name, kana, muni, address, phone)) in ORGANISATIONS.iter().enumerate() {
        let (code, muni_name) = code_of(*muni);
        let (clat, clon) = CENTRES[*muni];
        // Spread the entries around their municipality's centre.
        let angle = i as f64 * 2.399;
        let r = 0.004 + 0.0016 * (i % 7) as f64;
        let org_id = orgs.iter().find(|(n, _)| n == name).map(|(_, id)| *id);
        let id = ds::insert_local_entry(
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
                hours: match *kind {
                    "hospital" => "月〜金 8:30〜17:00（救急は24時間）".into(),
                    "clinic" | "home_care_clinic" | "dental_clinic" => {
                        "月〜金 9:00〜12:00・15:00〜18:00、土 9:00〜12:00（日祝休診）".into()
                    }
                    "pharmacy" => "月〜土 9:00〜19:00".into(),
                    _ => "月〜金 8:30〜17:15".into(),
                },
                services: match *kind {
                    "visiting_nursing" => vec!["130".into()],
                    "care_management" => vec!["430".into()],
                    "care_service" => vec!["150".into()],
                    _ => Vec::new(),
                },
                org_id,
            },
            now,
        )
        .await?;
        let (functions, procedures, windows, acceptance): (
            &[&str],
            &[&str],
            Vec<ContactWindow>,
            &str,
        ) = match *kind {
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
        ds::write_local_fields(
            &mut tx,
            id,
            &LocalFields {
                functions: functions.iter().map(|s| s.to_string()).collect(),
                procedures: procedures.iter().map(|s| s.to_string()).collect(),
                contact_windows: windows,
                public_fields: renkei_domain::directory::DEFAULT_PUBLIC_FIELDS
                    .split(',')
                    .map(str::to_string)
                    .collect(),
                // Public services only: the fire department is not a
                // resource residents look up on the map.
                publish_consent: *kind != "fire_department",
                area: format!("{}圏域", code_of(*muni).1),
                ..LocalFields::default()
            },
            now,
        )
        .await?;
        if acceptance != "unknown" {
            ds::write_acceptance(&mut tx, id, acceptance, "", None, now).await?;
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
        let id = ds::insert_local_entry(
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
            },
            now,
        )
        .await?;
        ds::write_local_fields(
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
    tx.commit().await?;
    Ok(())
}
