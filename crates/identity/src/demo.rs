//! The demo region (DOMAIN.md §10): one city and four towns, a municipal
//! hospital with a liaison office, a dozen clinics, two visiting-nursing
//! stations, care-management offices, a 地域包括支援センター, the
//! 連携支援センター run by the medical association, and a fire department,
//! with one account per role. Every name is invented; municipality codes use
//! prefecture number 99, which does not exist, so they can never be mistaken
//! for real ones.
//!
//! Identity loads its part (region, municipalities, organisations, users)
//! through its own service, so every row is audited like real use; the
//! other capabilities' demo loaders find these through the published
//! service functions. Loaded only by `renkei serve --demo` into an empty
//! database. Demo accounts can sign in only while the server runs with
//! `--demo`.

use crate::{
    mfa, Actor, Credential, Identity, IdentityError, NewMunicipality, NewOrganisation, NewUser,
    Principal, RequestContext,
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
        "demo-liaison",
        "連携室 ひろみ",
        "professional",
        "msw",
        Some("みどり野市立総合病院"),
        "専門職（病院の地域連携室） / Professional (hospital liaison)",
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
    (
        "demo-watcher",
        "見守 正子",
        "watcher",
        "other",
        None,
        "民生委員 / Community watcher",
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

/// Loads identity's part of the demo region: the region, its
/// municipalities and organisations, and one pre-enrolled account per role.
pub async fn load(identity: &Identity) -> Result<String, IdentityError> {
    let actor = actor();
    let ctx = context();
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
    let mut users = 0;
    for (username, name, role, profession, org, _) in USERS {
        let org_ids = org
            .and_then(|o| orgs.iter().find(|(n, _)| n == o))
            .map(|(_, id)| vec![*id])
            .unwrap_or_default();
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
        users += 1;
    }
    Ok(format!(
        "demo region: {} municipalities, {} organisations, {users} accounts",
        MUNICIPALITIES.len(),
        ORGANISATIONS.len()
    ))
}

/// Whether the demo can be (or has been) loaded into this database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoState {
    /// The demo region is there: nothing to load.
    Loaded,
    /// The database is empty: every capability loads its demo data.
    Empty,
}

/// The demo goes only into an empty database; one holding other data is
/// never touched.
pub async fn state(identity: &Identity) -> Result<DemoState, IdentityError> {
    if identity.region_by_code(DEMO_REGION).await?.is_some() {
        return Ok(DemoState::Loaded);
    }
    if !identity.is_empty().await? {
        return Err(IdentityError::Conflict(
            "--demo loads demo data only into an empty database, and this one already holds other data; \
             point RENKEI_DATABASE_URL at a new file, e.g. sqlite://./data/demo.db"
                .into(),
        ));
    }
    Ok(DemoState::Empty)
}

/// The actor every demo loader writes as.
pub fn actor() -> Actor {
    Actor::Cli {
        os_user: "demo-loader".into(),
    }
}

/// The request context of the demo loaders' audit records.
pub fn context() -> RequestContext {
    RequestContext {
        source_addr: "demo".into(),
        user_agent: "renkei serve --demo".into(),
    }
}

/// A demo account as signed in, for the other capabilities' demo loaders
/// (they write as the demo's people). Refuses anyone who is not a demo
/// account.
pub async fn principal(identity: &Identity, username: &str) -> Result<Principal, IdentityError> {
    let user = crate::store::user_by_username(identity.db(), username)
        .await?
        .filter(|u| u.is_demo)
        .ok_or(IdentityError::NotFound)?;
    let org_ids = crate::store::org_ids_of_user(identity.db(), user.id).await?;
    Ok(crate::service::principal(
        &user,
        org_ids,
        Credential::Session {
            csrf_token: String::new(),
        },
    ))
}
