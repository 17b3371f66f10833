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
/// in eight repeats an office of another service file (one office, several
/// services), and the usual blemishes appear: full-width digits, missing
/// coordinates, e-mail in the URL column, 定員 0.
pub fn care_files(seed: u64, scale: f64) -> Vec<(String, Vec<u8>)> {
    let munis = municipalities(seed);
    let total_weight: u64 = munis.iter().map(|m| m.weight).sum();
    let mut rng = Rng::new(seed.wrapping_add(1));
    let mut files = Vec::new();
    let mut office_serial: Vec<u64> = vec![0; 48];
    // Offices created so far, for repeats across services: (number, muni index, name, kana).
    let mut offices: Vec<(String, usize, String, String)> = Vec::new();
    for (code, volume) in CARE_VOLUME {
        let service = renkei_domain::directory::care_service_name(code).unwrap_or("介護サービス");
        let rows = ((*volume as f64) * scale * 1.28).round() as u64;
        let mut text = String::with_capacity(rows as usize * 260);
        text.push('\u{feff}');
        text.push_str(HEADER);
        text.push_str("\r\n");
        for n in 0..rows {
            let repeat = !offices.is_empty() && rng.below(8) == 0;
            let (number, mi, name, kana) = if repeat {
                offices[rng.below(offices.len() as u64) as usize].clone()
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
                offices.push((number.clone(), mi, name.clone(), kana.clone()));
                (number, mi, name, kana)
            };
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
                "{},{},{},{},{},{},{},{},,{},{},{},,{:013},{},{},月火水木金,,{},{},,○,,\r\n",
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
                capacity,
                url
            );
        }
        files.push((format!("jigyosho_{code}.csv"), text.into_bytes()));
    }
    files
}

const MEDICAL_HEADER: &str = "ID,正式名称,正式名称（フリガナ）,略称,略称（フリガナ）,英語表記（ローマ字表記）,機関区分,都道府県コード,市区町村コード,所在地,所在地座標（緯度）,所在地座標（経度）,案内用ホームページアドレス,案内用電子メールアドレス,案内用電話番号,病床数";

/// The medical facility files by kind: (file prefix, 機関区分, count at
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
        "05_pharmacy_facility_info",
        5,
        61_000,
        &[("薬局", "やっきょく"), ("調剤薬局", "ちょうざいやっきょく")],
    ),
];

/// The national medical open data facility files (about 204,000 facilities
/// at scale 1.0): 13-digit IDs, 5-digit municipality codes as published,
/// and the same blemishes as the care files.
pub fn medical_files(seed: u64, scale: f64) -> Vec<(String, Vec<u8>)> {
    let munis = municipalities(seed);
    let total_weight: u64 = munis.iter().map(|m| m.weight).sum();
    let mut rng = Rng::new(seed.wrapping_add(2));
    let mut files = Vec::new();
    let mut serial: u64 = 0;
    for (prefix, class, volume, suffixes) in MEDICAL_VOLUME {
        let rows = ((*volume as f64) * scale).round() as u64;
        let mut text = String::with_capacity(rows as usize * 240);
        text.push('\u{feff}');
        text.push_str(MEDICAL_HEADER);
        text.push_str("\r\n");
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
            let (lat, lon) = if rng.below(40) == 0 {
                (String::new(), String::new())
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
            let beds = match class {
                1 => 20 + rng.below(600),
                2 if rng.below(10) == 0 => 1 + rng.below(19),
                _ => 0,
            };
            let phone = format!(
                "0{}-{:03}-{:04}",
                10 + rng.below(89),
                rng.below(1000),
                rng.below(10_000)
            );
            let _ = write!(
                text,
                "{id},{},{},,,,{class},{:02},{},{},{lat},{lon},{url},,{phone},{beds}\r\n",
                csv_field(&name),
                csv_field(&kana),
                p.code,
                &m.code[..5],
                csv_field(&address),
            );
        }
        files.push((format!("{prefix}_20261101.csv"), text.into_bytes()));
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
        assert_eq!(files.len(), 4);
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
        for (name, bytes) in care_files(3, 0.005) {
            let parsed = crate::import::care_offices::parse(&name, &bytes);
            assert!(
                parsed.rejects.is_empty(),
                "{name}: {:?}",
                &parsed.rejects[..parsed.rejects.len().min(3)]
            );
            assert!(!parsed.rows.is_empty());
        }
    }
}
