//! A synthetic national dataset in the official CSV formats, for benchmarks
//! and load tests: plausible names, kana, addresses and coordinates over all
//! 47 prefectures and a realistic number of municipalities. Deterministic for
//! a given seed (its own SplitMix64, so output never changes with a crate
//! upgrade). Every name is invented.

pub mod prefectures;

use std::fmt::Write as _;

use renkei_domain::LocalGovernmentCode;

pub use prefectures::PREFECTURES;

pub use renkei_domain::seeded::Rng;

/// (kanji, kana) syllables that make place names.
const PLACE_PARTS: &[(&str, &str)] = &[
    ("青", "あお"),
    ("赤", "あか"),
    ("朝", "あさ"),
    ("東", "ひがし"),
    ("西", "にし"),
    ("南", "みなみ"),
    ("北", "きた"),
    ("大", "おお"),
    ("小", "こ"),
    ("中", "なか"),
    ("上", "かみ"),
    ("下", "しも"),
    ("山", "やま"),
    ("川", "かわ"),
    ("田", "た"),
    ("野", "の"),
    ("原", "はら"),
    ("沢", "さわ"),
    ("浜", "はま"),
    ("島", "しま"),
    ("岡", "おか"),
    ("森", "もり"),
    ("松", "まつ"),
    ("竹", "たけ"),
    ("梅", "うめ"),
    ("桜", "さくら"),
    ("花", "はな"),
    ("月", "つき"),
    ("日", "ひ"),
    ("若", "わか"),
    ("宮", "みや"),
    ("坂", "さか"),
    ("城", "しろ"),
    ("石", "いし"),
    ("井", "い"),
    ("谷", "たに"),
    ("津", "つ"),
    ("泉", "いずみ"),
    ("緑", "みどり"),
    ("白", "しら"),
    ("黒", "くろ"),
    ("新", "しん"),
];

const BRAND: &[(&str, &str)] = &[
    ("ひまわり", "ひまわり"),
    ("あおぞら", "あおぞら"),
    ("さくら", "さくら"),
    ("けやき", "けやき"),
    ("すずらん", "すずらん"),
    ("ふれあい", "ふれあい"),
    ("やすらぎ", "やすらぎ"),
    ("なごみ", "なごみ"),
    ("ほほえみ", "ほほえみ"),
    ("こもれび", "こもれび"),
    ("あんしん", "あんしん"),
    ("いきいき", "いきいき"),
    ("ゆうあい", "ゆうあい"),
    ("はなみずき", "はなみずき"),
    ("つばさ", "つばさ"),
    ("ケアセンター", "けあせんたー"),
    ("ライフ", "らいふ"),
    ("ハート", "はーと"),
    ("グリーン", "ぐりーん"),
    ("サンライズ", "さんらいず"),
];

const CHO: &[&str] = &[
    "本町",
    "中央",
    "栄町",
    "緑町",
    "旭町",
    "幸町",
    "寿町",
    "駅前",
    "新町",
    "元町",
    "昭和町",
    "若葉",
    "桜台",
    "東町",
    "西町",
];

/// A synthetic municipality.
#[derive(Debug, Clone)]
pub struct Municipality {
    pub code: String,
    pub name: String,
    pub kana: String,
    pub prefecture: usize,
    pub lat: f64,
    pub lon: f64,
    pub weight: u64,
}

fn place_name(rng: &mut Rng) -> (String, String) {
    let n = 2 + rng.below(2) as usize;
    let mut kanji = String::new();
    let mut kana = String::new();
    for _ in 0..n {
        let (k, r) = rng.pick(PLACE_PARTS);
        kanji.push_str(k);
        kana.push_str(r);
    }
    (kanji, kana)
}

/// Municipalities for every prefecture, with valid 全国地方公共団体コード.
pub fn municipalities(seed: u64) -> Vec<Municipality> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for (pi, p) in PREFECTURES.iter().enumerate() {
        for m in 0..p.municipalities {
            let (base, kana) = place_name(&mut rng);
            let (suffix, suffix_kana, number) = match m {
                x if x < p.municipalities / 3 => ("市", "し", 201 + x),
                x if x % 5 == 0 => ("村", "むら", 500 + x),
                x => ("町", "まち", 300 + x),
            };
            let five = format!("{:02}{:03}", p.code, number % 1000);
            let code = LocalGovernmentCode::parse(&five)
                .map(|c| c.as_str().to_string())
                .unwrap_or(five);
            let spread = 0.35 + 0.25 * rng.signed_unit().abs();
            out.push(Municipality {
                code,
                name: format!("{base}{suffix}"),
                kana: format!("{kana}{suffix_kana}"),
                prefecture: pi,
                lat: p.lat + rng.signed_unit() * spread,
                lon: p.lon + rng.signed_unit() * spread * 1.2,
                weight: if suffix == "市" {
                    6
                } else if suffix == "町" {
                    2
                } else {
                    1
                },
            });
        }
    }
    out
}

/// Rows per care service code for the national dataset (about 300,000 in
/// all at scale 1.0), roughly in the proportions of the real files.
pub const CARE_VOLUME: &[(&str, u32)] = &[
    ("110", 35_000),
    ("120", 1_700),
    ("130", 16_000),
    ("140", 5_500),
    ("150", 24_000),
    ("155", 90),
    ("160", 8_000),
    ("170", 7_000),
    ("210", 11_500),
    ("220", 3_500),
    ("230", 300),
    ("551", 500),
    ("320", 14_000),
    ("331", 5_000),
    ("332", 300),
    ("334", 800),
    ("335", 50),
    ("336", 10),
    ("337", 30),
    ("361", 300),
    ("362", 50),
    ("364", 30),
    ("410", 7_000),
    ("430", 37_000),
    ("510", 8_400),
    ("520", 4_200),
    ("530", 100),
    ("540", 2_500),
    ("550", 900),
    ("710", 200),
    ("720", 3_000),
    ("730", 5_700),
    ("760", 1_300),
    ("770", 1_000),
    ("780", 19_500),
    // The rest: offices that appear in a second service file.
];

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

const HEADER: &str = "都道府県コード又は市町村コード,No,都道府県名,市区町村名,事業所名,事業所名カナ,サービスの種類,住所,方書（ビル名等）,緯度,経度,電話番号,FAX番号,法人番号,法人の名称,事業所番号,利用可能曜日,利用可能曜日特記事項,定員,URL,高齢者の方と障害者の方が同時一体的に利用できるサービス,介護保険の通常の指定基準を満たしている,障害福祉の通常の指定基準を満たしている,備考";

/// The synthetic national care and medical files at `scale` (1.0 is the
/// national size), imported through the importers as `operator` at the
/// command line: the directory's declared synthetic-data generator
/// (`renkei bench populate`). Says what it imported.
pub async fn populate(
    db: &renkei_store::Db,
    scale: f64,
    seed: u64,
    operator: &str,
    now: renkei_domain::Timestamp,
) -> Result<String, renkei_store::StoreError> {
    let by = renkei_identity::Actor::Cli {
        os_user: operator.to_string(),
    };
    // Generated data is dated at the moment asked for.
    let clock = renkei_domain::ManualClock::at(now);
    let mut done = Vec::new();
    for (what, files) in [
        ("care offices", care_files(seed, scale)),
        ("medical facilities", medical_files(seed, scale)),
    ] {
        let report = if what == "care offices" {
            crate::import::import_care_offices(db, &files, None, &by, &clock).await?
        } else {
            crate::import::import_medical(db, &files, None, &by, &clock).await?
        };
        if !report.refused.is_empty() {
            return Err(renkei_store::StoreError::Invalid(report.refused.join("; ")));
        }
        done.push(format!("{} {what}", report.created + report.updated));
    }
    Ok(format!("{} imported", done.join(", ")))
}

/// The care open data files: (file name, UTF-8 text with BOM). About one row
/// in eight repeats an office of an earlier service file (one office, several
/// services: same number, name and address; never twice in one file),
/// 利用可能曜日 is written in day words as published, and the usual
/// blemishes appear: full-width digits, missing coordinates, e-mail in the
/// URL column, 定員 0.
pub fn care_files(seed: u64, scale: f64) -> Vec<(String, Vec<u8>)> {
    let munis = municipalities(seed);
    let total_weight: u64 = munis.iter().map(|m| m.weight).sum();
    let mut rng = Rng::new(seed.wrapping_add(1));
    let mut files = Vec::new();
    let mut office_serial: Vec<u64> = vec![0; 48];
    // Offices created so far, for repeats across services: (number, muni
    // index, name, kana, address, lat, lon). A repeat is the same office
    // (same number, place and name) offering another service.
    type Office = (String, usize, String, String, String, String, String);
    let mut offices: Vec<Office> = Vec::new();
    for (code, volume) in CARE_VOLUME {
        let service = renkei_domain::directory::care_service_name(code).unwrap_or("介護サービス");
        // At least one row: a file of the set without rows is refused.
        let rows = (((*volume as f64) * scale * 1.28).round() as u64).max(1);
        let mut text = String::with_capacity(rows as usize * 260);
        text.push('\u{feff}');
        text.push_str(HEADER);
        text.push_str("\r\n");
        // Only offices of earlier files repeat: an office number appears
        // once per service file, as in the published data.
        let earlier = offices.len();
        for n in 0..rows {
            let repeat = earlier > 0 && rng.below(8) == 0;
            let (number, mi, name, kana, address, lat, lon) = if repeat {
                offices[rng.below(earlier as u64) as usize].clone()
            } else {
                // Pick a municipality by weight (cities hold more offices).
                let mut target = rng.below(total_weight);
                let mut mi = 0;
                for (i, m) in munis.iter().enumerate() {
                    if target < m.weight {
                        mi = i;
                        break;
                    }
                    target -= m.weight;
                }
                let m = &munis[mi];
                let pref = PREFECTURES[m.prefecture].code;
                office_serial[pref as usize] += 1;
                let number = format!("{:02}7{:07}", pref, office_serial[pref as usize]);
                let (b, bk) = rng.pick(BRAND);
                let (place, place_kana) = place_name(&mut rng);
                let name = format!("{place}{b}{service}");
                let kana = format!("{place_kana}{bk}");
                let m = &munis[mi];
                let p = &PREFECTURES[m.prefecture];
                let address = format!(
                    "{}{}{}{}-{}-{}",
                    p.name,
                    m.name,
                    rng.pick(CHO),
                    1 + rng.below(9),
                    1 + rng.below(30),
                    1 + rng.below(20)
                );
                let (lat, lon) = if rng.below(40) == 0 {
                    (String::new(), String::new())
                } else {
                    (
                        format!("{:.6}", m.lat + rng.signed_unit() * 0.05),
                        format!("{:.6}", m.lon + rng.signed_unit() * 0.06),
                    )
                };
                let office = (number, mi, name, kana, address, lat, lon);
                offices.push(office.clone());
                office
            };
            let m = &munis[mi];
            let p = &PREFECTURES[m.prefecture];
            // 利用可能曜日 as the published files write it: day words,
            // comma-separated (so the CSV field is quoted).
            let days = match rng.below(4) {
                0 => "平日",
                1 => "平日,土曜日",
                2 => "平日,土曜日,日曜日",
                _ => "平日,土曜日,日曜日,祝日",
            };
            let phone = format!(
                "0{}-{:03}-{:04}",
                10 + rng.below(89),
                rng.below(1000),
                rng.below(10_000)
            );
            let url = match rng.below(10) {
                0 => format!("info{}@example.jp", rng.below(100_000)),
                1..=4 => format!("https://care{}.example.jp/", rng.below(1_000_000)),
                _ => String::new(),
            };
            let capacity = if rng.below(3) == 0 {
                0
            } else {
                5 + rng.below(95)
            };
            let number_text = if rng.below(50) == 0 {
                number
                    .chars()
                    .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
                    .collect()
            } else {
                number.clone()
            };
            let _ = write!(
                text,
                "{},{},{},{},{},{},{},{},,{},{},{},,{:013},{},{},{},,{},{},,○,,\r\n",
                m.code,
                n + 1,
                p.name,
                m.name,
                csv_field(&name),
                csv_field(&kana),
                service,
                csv_field(&address),
                lat,
                lon,
                phone,
                rng.below(10_000_000_000_000),
                csv_field(&format!("社会福祉法人{}会", rng.pick(BRAND).0)),
                number_text,
                csv_field(days),
                capacity,
                url
            );
        }
        files.push((format!("jigyosho_{code}.csv"), text.into_bytes()));
    }
    files
}

/// The weekday prefixes of the national medical files, Monday first, then 祝.
const MED_DAYS: [&str; 8] = ["月", "火", "水", "木", "金", "土", "日", "祝"];

/// The header of a facility file (01-1, 02-1, 03-1) or, with `closure`
/// = 休業, the maternity file's first 57 columns: as published (13 columns,
/// 7 weekly and 35 nth-week closure flags, the holiday flag and the other
/// closures), then `beds`.
fn facility_header(closure: &str, beds: &[&str]) -> String {
    let mut h: Vec<String> = [
        "ID",
        "正式名称",
        "正式名称（フリガナ）",
        "略称",
        "略称（フリガナ）",
        "英語表記（ローマ字表記）",
        "機関区分",
        "都道府県コード",
        "市区町村コード",
        "所在地",
        "所在地座標（緯度）",
        "所在地座標（経度）",
        "案内用ホームページアドレス",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for d in &MED_DAYS[..7] {
        h.push(format!("毎週決まった曜日に{closure}（{d}）"));
    }
    for w in 1..=5 {
        for d in &MED_DAYS[..7] {
            h.push(format!("決まった週に{closure}（定期週）第{w}週（{d}）"));
        }
    }
    h.push(format!("祝日に{closure}"));
    h.push(format!("その他の{closure}日（gw、お盆等）"));
    h.extend(beds.iter().map(|s| s.to_string()));
    h.join(",")
}

const HOSPITAL_BEDS: &[&str] = &[
    "一般病床",
    "療養病床",
    "療養病床のうち医療保険適用",
    "療養病床のうち介護保険適用",
    "精神病床",
    "結核病床",
    "感染症病床",
    "合計病床数",
];
const CLINIC_BEDS: &[&str] = &[
    "一般病床",
    "療養病床",
    "療養病床のうち医療保険適用",
    "療養病床のうち介護保険適用",
    "合計病床数",
];

/// The header of the speciality-and-hours files (36 columns).
fn speciality_header() -> String {
    let mut h: Vec<String> = ["ID", "診療科目コード", "診療科目名", "診療時間帯"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for word in ["診療", "外来受付"] {
        for d in MED_DAYS {
            h.push(format!("{d}_{word}開始時間"));
            h.push(format!("{d}_{word}終了時間"));
        }
    }
    h.join(",")
}

/// The pharmacy file's header (128 columns; the fifth column's name is not
/// settled by the sources, see docs/data-sources.md).
fn pharmacy_header() -> String {
    let mut h: Vec<String> = [
        "ID",
        "名称",
        "フリガナ",
        "ローマ字",
        "機関区分",
        "都道府県コード",
        "市区町村コード",
        "所在地",
        "所在地座標（緯度）",
        "所在地座標（経度）",
        "薬局のホームページアドレス",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for d in MED_DAYS {
        h.push(format!("営業日（{d}）"));
    }
    for d in MED_DAYS {
        h.push(format!("定期閉店毎週（{d}）"));
    }
    for w in ["１", "２", "３", "４", "５"] {
        for d in &MED_DAYS[..7] {
            h.push(format!("定期閉店第{w}週（{d}）"));
        }
    }
    h.push("祝日".into());
    h.push("その他の閉店日（gw、お盆等）".into());
    for n in 1..=4 {
        for d in MED_DAYS {
            h.push(format!("{d}_開店時間帯{n}_開始時間"));
            h.push(format!("{d}_開店時間帯{n}_終了時間"));
        }
    }
    h.join(",")
}

/// The maternity file's header (153 columns).
fn maternity_header() -> String {
    let mut h = facility_header("休業", &[]);
    for word in ["就業", "外来受付"] {
        for n in 1..=3 {
            for d in MED_DAYS {
                let _ = write!(
                    h,
                    ",{d}_{word}時間帯{n}_開始時間,{d}_{word}時間帯{n}_終了時間"
                );
            }
        }
    }
    h
}

/// The medical facility files by kind: (file stem, 機関区分, count at
/// national scale, name suffixes).
type NameParts = &'static [(&'static str, &'static str)];

const MEDICAL_VOLUME: &[(&str, u8, u64, NameParts)] = &[
    (
        "01-1_hospital_facility_info",
        1,
        7_700,
        &[
            ("病院", "びょういん"),
            ("記念病院", "きねんびょういん"),
            ("中央病院", "ちゅうおうびょういん"),
        ],
    ),
    (
        "02-1_clinic_facility_info",
        2,
        80_000,
        &[
            ("内科クリニック", "ないかくりにっく"),
            ("診療所", "しんりょうじょ"),
            ("在宅クリニック", "ざいたくくりにっく"),
            ("医院", "いいん"),
            ("整形外科", "せいけいげか"),
        ],
    ),
    (
        "03-1_dental_facility_info",
        3,
        55_000,
        &[
            ("歯科医院", "しかいいん"),
            ("歯科クリニック", "しかくりにっく"),
        ],
    ),
    (
        "04_maternity_home",
        4,
        2_100,
        &[("助産院", "じょさんいん"), ("助産所", "じょさんじょ")],
    ),
    (
        "05_pharmacy",
        5,
        61_000,
        &[("薬局", "やっきょく"), ("調剤薬局", "ちょうざいやっきょく")],
    ),
];

/// 診療科目 of the synthetic files: (code, name) in the national files'
/// five-digit shape. Only 01001 内科 is a code seen in the real files;
/// the others are synthetic stand-ins until the 定義書's list is checked
/// in (docs/data-sources.md).
const SYNTHETIC_SPECIALITIES: &[(&str, &str)] = &[
    ("01001", "内科"),
    ("01002", "呼吸器内科"),
    ("01003", "循環器内科"),
    ("01004", "消化器内科"),
    ("01010", "小児科"),
    ("01020", "精神科"),
    ("02001", "外科"),
    ("02010", "整形外科"),
    ("02020", "脳神経外科"),
    ("03001", "皮膚科"),
    ("03010", "泌尿器科"),
    ("04001", "産婦人科"),
    ("05001", "眼科"),
    ("05010", "耳鼻いんこう科"),
    ("06001", "リハビリテーション科"),
    ("07001", "放射線科"),
    ("08001", "麻酔科"),
    ("09010", "救急科"),
];
const DENTAL_SPECIALITIES: &[(&str, &str)] = &[
    ("40001", "歯科"),
    ("40010", "小児歯科"),
    ("40020", "矯正歯科"),
    ("40030", "歯科口腔外科"),
];

/// One synthetic facility's week: closed weekdays (1–7), closed (week,
/// weekday), open on holidays, and its sessions per weekday (1–8).
struct Week {
    closed: Vec<u8>,
    closed_weeks: Vec<(u8, u8)>,
    holidays_open: bool,
    /// (weekday 1–8, from, to) of the morning and afternoon sessions.
    sessions: Vec<(u8, &'static str, &'static str)>,
}

fn synthetic_week(rng: &mut Rng, class: u8) -> Week {
    let hospital = class == 1;
    let pharmacy = class == 5;
    let mut closed = vec![7];
    let mut closed_weeks = Vec::new();
    let thursday_off = !hospital && rng.below(3) == 0;
    if !hospital && rng.below(4) == 0 {
        closed_weeks = vec![(2, 6), (4, 6)];
    }
    let saturday_afternoon = pharmacy || rng.below(4) == 0;
    let holidays_open = hospital && rng.below(5) == 0;
    if !holidays_open && rng.below(50) == 0 {
        // A few open on Sundays (a 休日当番 pharmacy, a weekend clinic).
        closed.clear();
    }
    let (am_from, am_to, pm_from, pm_to) = match rng.below(3) {
        0 => ("09:00", "12:00", "15:00", "18:00"),
        1 => ("08:30", "12:30", "14:00", "17:30"),
        _ => ("09:00", "13:00", "16:00", "19:00"),
    };
    let mut sessions = Vec::new();
    for d in 1..=7u8 {
        if closed.contains(&d) {
            continue;
        }
        sessions.push((d, am_from, am_to));
        if !(d == 4 && thursday_off) && (d != 6 || saturday_afternoon) {
            sessions.push((d, pm_from, pm_to));
        }
    }
    if holidays_open {
        sessions.push((8, am_from, am_to));
    }
    Week {
        closed,
        closed_weeks,
        holidays_open,
        sessions,
    }
}

/// The closure flags of a week as the national files write them (1 =
/// open, 0 = closed): 7 weekly, 35 nth-week, the holiday flag.
fn closure_flags(week: &Week, text: &mut String) {
    for d in 1..=7u8 {
        text.push_str(if week.closed.contains(&d) { ",0" } else { ",1" });
    }
    for w in 1..=5u8 {
        for d in 1..=7u8 {
            let shut = week.closed.contains(&d) || week.closed_weeks.contains(&(w, d));
            text.push_str(if shut { ",0" } else { ",1" });
        }
    }
    text.push_str(if week.holidays_open { ",1" } else { ",0" });
}

/// The national medical open data, the eight files of the set (about
/// 206,000 facilities and 1.27 million speciality rows at scale 1.0), in
/// their published layouts (docs/data-sources.md): 13-digit IDs whose
/// first two digits are the prefecture, the 2-digit 都道府県コード and
/// 3-digit 市区町村コード, closure flags with 1 = open, no position written
/// as 0.0,0.0, the pharmacy file's own headers, and the same blemishes as
/// the care files.
pub fn medical_files(seed: u64, scale: f64) -> Vec<(String, Vec<u8>)> {
    let munis = municipalities(seed);
    let total_weight: u64 = munis.iter().map(|m| m.weight).sum();
    let mut rng = Rng::new(seed.wrapping_add(2));
    let mut files = Vec::new();
    let mut serial: u64 = 0;
    for (stem, class, volume, suffixes) in MEDICAL_VOLUME {
        let rows = (((*volume as f64) * scale).round() as u64).max(1);
        let header = match class {
            1 => facility_header("休診", HOSPITAL_BEDS),
            2 => facility_header("休診", CLINIC_BEDS),
            3 => facility_header("休診", &[]),
            4 => maternity_header(),
            _ => pharmacy_header(),
        };
        let mut text = String::with_capacity(rows as usize * 400);
        text.push('\u{feff}');
        text.push_str(&header);
        text.push_str("\r\n");
        // The speciality-and-hours file of this kind (hospitals, clinics,
        // dental clinics).
        let mut specialities = String::new();
        if *class <= 3 {
            specialities.push('\u{feff}');
            specialities.push_str(&speciality_header());
            specialities.push_str("\r\n");
        }
        for _ in 0..rows {
            let mut target = rng.below(total_weight);
            let mut mi = 0;
            for (i, m) in munis.iter().enumerate() {
                if target < m.weight {
                    mi = i;
                    break;
                }
                target -= m.weight;
            }
            let m = &munis[mi];
            let p = &PREFECTURES[m.prefecture];
            serial += 1;
            let id = format!("{:02}{}{:010}", p.code, class, serial);
            let (suffix, suffix_kana) = rng.pick(suffixes);
            let (place, place_kana) = place_name(&mut rng);
            let (brand, brand_kana) = if rng.below(2) == 0 {
                ("", "")
            } else {
                *rng.pick(BRAND)
            };
            let name = format!("{place}{brand}{suffix}");
            let kana = katakana(&format!("{place_kana}{brand_kana}{suffix_kana}"));
            let address = format!(
                "{}{}{}{}-{}-{}",
                p.name,
                m.name,
                rng.pick(CHO),
                1 + rng.below(9),
                1 + rng.below(30),
                1 + rng.below(20)
            );
            // The national files write "no position" as 0.0, 0.0.
            let (lat, lon) = if rng.below(40) == 0 {
                ("0.0".to_string(), "0.0".to_string())
            } else {
                (
                    format!("{:.6}", m.lat + rng.signed_unit() * 0.05),
                    format!("{:.6}", m.lon + rng.signed_unit() * 0.06),
                )
            };
            let url = match rng.below(10) {
                0 => format!("info{}@example.jp", rng.below(100_000)),
                1..=5 => format!("https://med{}.example.jp/", rng.below(1_000_000)),
                _ => String::new(),
            };
            let week = synthetic_week(&mut rng, *class);
            let city = &m.code[2..5];
            match class {
                5 => {
                    let _ = write!(
                        text,
                        "{id},{},{},,5,{:02},{city},{},{lat},{lon},{url}",
                        csv_field(&name),
                        csv_field(&kana),
                        p.code,
                        csv_field(&address),
                    );
                    // 営業日 (1 = open), 定期閉店毎週 and 第n週 (1 = open),
                    // 祝日 (1 = open), other closures.
                    for d in 1..=8u8 {
                        let open = if d == 8 {
                            week.holidays_open
                        } else {
                            !week.closed.contains(&d)
                        };
                        text.push_str(if open { ",1" } else { ",0" });
                    }
                    for d in 1..=8u8 {
                        let open = if d == 8 {
                            week.holidays_open
                        } else {
                            !week.closed.contains(&d)
                        };
                        text.push_str(if open { ",1" } else { ",0" });
                    }
                    let mut flags = String::new();
                    closure_flags(&week, &mut flags);
                    // The 35 nth-week flags and the holiday flag.
                    let parts: Vec<&str> = flags.split(',').skip(8).collect();
                    text.push(',');
                    text.push_str(&parts.join(","));
                    text.push_str(",年末年始");
                    for n in 1..=4u8 {
                        for d in 1..=8u8 {
                            let slot = week
                                .sessions
                                .iter()
                                .filter(|(day, _, _)| *day == d)
                                .nth(usize::from(n - 1));
                            match slot {
                                Some((_, from, to)) => {
                                    let _ = write!(text, ",{from},{to}");
                                }
                                None => text.push_str(",,"),
                            }
                        }
                    }
                }
                _ => {
                    let _ = write!(
                        text,
                        "{id},{},{},,,,{class},{:02},{city},{},{lat},{lon},{url}",
                        csv_field(&name),
                        csv_field(&kana),
                        p.code,
                        csv_field(&address),
                    );
                    closure_flags(&week, &mut text);
                    text.push_str(if rng.below(3) == 0 {
                        ",年末年始（改行）お盆"
                    } else {
                        ","
                    });
                    match class {
                        1 => {
                            let general = 20 + rng.below(400);
                            let longterm = rng.below(200);
                            let _ = write!(
                                text,
                                ",{general},{longterm},{longterm},0,0,0,0,{}",
                                general + longterm
                            );
                        }
                        2 => {
                            let beds = if rng.below(10) == 0 {
                                1 + rng.below(19)
                            } else {
                                0
                            };
                            let _ = write!(text, ",{beds},0,0,0,{beds}");
                        }
                        4 => {
                            for n in 1..=3u8 {
                                for d in 1..=8u8 {
                                    match week
                                        .sessions
                                        .iter()
                                        .filter(|(day, _, _)| *day == d)
                                        .nth(usize::from(n - 1))
                                    {
                                        Some((_, from, to)) => {
                                            let _ = write!(text, ",{from},{to}");
                                        }
                                        None => text.push_str(",,"),
                                    }
                                }
                            }
                            // 外来受付時間帯: the same, not read.
                            text.push_str(&",".repeat(48));
                        }
                        _ => {}
                    }
                    if *class <= 3 {
                        let list = if *class == 3 {
                            DENTAL_SPECIALITIES
                        } else {
                            SYNTHETIC_SPECIALITIES
                        };
                        let count = match class {
                            1 => 10 + rng.below(40),
                            _ => 1 + rng.below(4) + u64::from(rng.below(3) == 0) * 4,
                        };
                        let first = rng.below(list.len() as u64) as usize;
                        for k in 0..(count as usize).min(list.len()) {
                            let (code, sname) = list[(first + k) % list.len()];
                            // Slot 1 is the morning, slot 2 the afternoon.
                            for (slot, morning) in [(1, true), (2, false)] {
                                let _ = write!(specialities, "{id},{code},{sname},{slot}");
                                for d in 1..=8u8 {
                                    let mut todays =
                                        week.sessions.iter().filter(|(day, _, _)| *day == d);
                                    let session = if morning {
                                        todays.next()
                                    } else {
                                        todays.nth(1)
                                    };
                                    match session {
                                        Some((_, from, to)) => {
                                            let _ = write!(specialities, ",{from},{to}");
                                        }
                                        None => specialities.push_str(",,"),
                                    }
                                }
                                // 外来受付: not read.
                                specialities.push_str(&",".repeat(16));
                                specialities.push_str("\r\n");
                            }
                        }
                    }
                }
            }
            text.push_str("\r\n");
        }
        let date = "20261201";
        files.push((format!("{stem}_{date}.csv"), text.into_bytes()));
        if *class <= 3 {
            let speciality_stem = stem
                .replace("-1_", "-2_")
                .replace("facility_info", "speciality_hours");
            files.push((
                format!("{speciality_stem}_{date}.csv"),
                specialities.into_bytes(),
            ));
        }
    }
    files
}

/// Hiragana to katakana, as the medical files spell フリガナ.
fn katakana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid() {
        let a = care_files(7, 0.01);
        let b = care_files(7, 0.01);
        assert_eq!(a, b, "same seed, same bytes");
        assert_ne!(care_files(8, 0.01), a);
        let munis = municipalities(7);
        assert!(munis.len() > 1_700, "{}", munis.len());
        for m in &munis {
            assert!(LocalGovernmentCode::parse(&m.code).is_ok(), "{}", m.code);
        }
        let prefs: std::collections::BTreeSet<usize> = munis.iter().map(|m| m.prefecture).collect();
        assert_eq!(prefs.len(), 47);
    }

    #[test]
    fn generated_medical_files_parse_cleanly() {
        let files = medical_files(3, 0.01);
        assert_eq!(files, medical_files(3, 0.01), "deterministic");
        assert_eq!(files.len(), 8, "the eight files of the national set");
        let mut rows = 0;
        for (name, bytes) in files {
            let parsed = crate::import::medical::parse(&name, &bytes);
            assert!(
                parsed.rejects.is_empty(),
                "{name}: {:?}",
                parsed.rejects.first()
            );
            rows += parsed.rows.len();
        }
        assert!(rows > 2_000, "{rows}");
    }

    #[test]
    fn generated_files_import_cleanly() {
        let files = care_files(3, 0.005);
        // One file per service code of the real set.
        assert_eq!(files.len(), renkei_domain::directory::CARE_SERVICES.len());
        let mut rows = 0;
        for (name, bytes) in files {
            let parsed = crate::import::care_offices::parse(&name, &bytes);
            assert!(
                parsed.rejects.is_empty(),
                "{name}: {:?}",
                &parsed.rejects[..parsed.rejects.len().min(3)]
            );
            rows += parsed.rows.len();
        }
        assert!(rows > 500, "{rows}");
    }
}
