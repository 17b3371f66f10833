//! One facility, one entry (同一施設の名寄せ): the same clinic arrives from
//! the municipal standard dataset (keyed by its 医療機関コード), from the
//! national files (keyed by their 13-digit ID) and sometimes as a local
//! entry the coordinator made before either was imported. Codes of
//! different systems cannot be compared, so pairs are found by what the
//! sources share: telephone number, name, address, position and 法人番号,
//! each adding to a confidence the coordinator reads. Only entries of the
//! same kind are compared.
//!
//! This module is the matching itself: pure functions over
//! [`MatchRow`]s, with no database or clock. The service that runs it,
//! stores the pairs and merges or splits entries is
//! [`crate::service::Directory::find_same_facilities`] and its neighbours.

use std::collections::HashMap;

use renkei_domain::text::fold;
use renkei_domain::{EntryId, SameFacilityPairId};

use crate::model::LOCAL_SOURCE;

/// A pair at or above this confidence is merged by the matching run
/// itself (same name, telephone and address or position, same kind); the
/// coordinator sees it among the merged pairs and can split it.
pub const MERGE_AUTOMATICALLY_AT: u8 = 95;

/// A pair at or above this confidence is proposed to the coordinator.
pub const PROPOSE_AT: u8 = 60;

/// What the matching compares of an entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MatchRow {
    pub id: EntryId,
    pub source: String,
    pub kind: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub corporate_number: String,
    pub municipality_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// One reason two entries look like the same facility (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The same telephone number (digits, 10 or more).
    SamePhone,
    /// The same name once width, kana, spaces and 異体字 are folded.
    SameName,
    /// One name contains the other (a corporation's name before the
    /// clinic's, 「医療法人社団 桜会 さくら内科」 and 「さくら内科」).
    NameContains,
    /// The same address once numbers and 丁目/番地/号 are folded.
    SameAddress,
    /// Positions within 50 m.
    Nearby,
    /// The same 法人番号.
    SameCorporateNumber,
    /// Both carry a 法人番号 and they differ: a strong sign of two
    /// facilities.
    OtherCorporateNumber,
}

impl Evidence {
    pub const ALL: [Evidence; 7] = [
        Evidence::SamePhone,
        Evidence::SameName,
        Evidence::NameContains,
        Evidence::SameAddress,
        Evidence::Nearby,
        Evidence::SameCorporateNumber,
        Evidence::OtherCorporateNumber,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Evidence::SamePhone => "same_phone",
            Evidence::SameName => "same_name",
            Evidence::NameContains => "name_contains",
            Evidence::SameAddress => "same_address",
            Evidence::Nearby => "nearby",
            Evidence::SameCorporateNumber => "same_corporate_number",
            Evidence::OtherCorporateNumber => "other_corporate_number",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// How much it adds to (or takes from) the confidence, in points.
    fn weight(self) -> i32 {
        match self {
            Evidence::SameName => 45,
            Evidence::SamePhone => 35,
            Evidence::NameContains => 35,
            Evidence::SameAddress => 25,
            Evidence::Nearby => 15,
            Evidence::SameCorporateNumber => 10,
            Evidence::OtherCorporateNumber => -60,
        }
    }

    /// Japanese label for the coordinator's review page.
    pub fn label(self) -> &'static str {
        match self {
            Evidence::SamePhone => "電話番号が同じ",
            Evidence::SameName => "名称が同じ",
            Evidence::NameContains => "名称の一方が他方を含む",
            Evidence::SameAddress => "所在地が同じ",
            Evidence::Nearby => "位置が50m以内",
            Evidence::SameCorporateNumber => "法人番号が同じ",
            Evidence::OtherCorporateNumber => "法人番号が異なる",
        }
    }
}

/// Two entries that look like one facility.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The lower id first.
    pub a: EntryId,
    pub b: EntryId,
    /// 0–100.
    pub confidence: u8,
    pub evidence: Vec<Evidence>,
}

impl Match {
    pub fn evidence_codes(&self) -> String {
        self.evidence
            .iter()
            .map(|e| e.code())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The digits of a telephone number before any extension, if it is a
/// whole number (10 or more digits).
fn phone_key(phone: &str) -> Option<String> {
    let main = phone.split("内線").next().unwrap_or_default();
    let digits: String = main
        .chars()
        .map(renkei_domain::codes::fold_fullwidth_digit)
        .filter(char::is_ascii_digit)
        .collect();
    (digits.len() >= 10).then_some(digits)
}

/// A name folded for comparison, without brackets and punctuation.
fn name_key(name: &str) -> String {
    fold(name).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// An address folded for comparison: kanji numerals become digits, and
/// 丁目/番地/番/号/の and dashes become one separator. The prefecture is
/// dropped (one source writes it, another does not).
fn address_key(address: &str) -> String {
    let folded = fold(address);
    let without_prefecture = match folded.find(['都', '道', '府', '県']) {
        // 都道府県 names are 2–3 characters before the suffix (北海道 has
        // 道 third); a longer head is not a prefecture.
        Some(i) if folded[..i].chars().count() <= 3 => &folded[i + '県'.len_utf8()..],
        _ => folded.as_str(),
    };
    let mut out = String::with_capacity(without_prefecture.len());
    let mut chars = without_prefecture.chars().peekable();
    while let Some(c) = chars.next() {
        let mapped = match c {
            '一' => Some('1'),
            '二' => Some('2'),
            '三' => Some('3'),
            '四' => Some('4'),
            '五' => Some('5'),
            '六' => Some('6'),
            '七' => Some('7'),
            '八' => Some('8'),
            '九' => Some('9'),
            _ => None,
        };
        if let Some(d) = mapped {
            out.push(d);
            continue;
        }
        // 十: 十二 is 12, 二十 is 20, 二十三 is 23, 十 alone is 10.
        if c == '十' {
            let before = out.chars().last().is_some_and(|p| p.is_ascii_digit());
            let after = chars
                .peek()
                .is_some_and(|n| "一二三四五六七八九".contains(*n));
            match (before, after) {
                (true, true) => {}
                (true, false) => out.push('0'),
                (false, true) => out.push('1'),
                (false, false) => out.push_str("10"),
            }
            continue;
        }
        match c {
            '丁' if chars.peek() == Some(&'目') => {
                chars.next();
                out.push('-');
            }
            '番' => {
                if chars.peek() == Some(&'地') {
                    chars.next();
                }
                out.push('-');
            }
            '号' | 'の' | '-' | 'ー' | '‐' | '−' | '―' | '–' => out.push('-'),
            c if c.is_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The folded keys of one row, computed once per run.
struct Keys {
    phone: Option<String>,
    name: String,
    address: String,
}

impl Keys {
    fn of(r: &MatchRow) -> Self {
        Self {
            phone: phone_key(&r.phone),
            name: name_key(&r.name),
            address: address_key(&r.address),
        }
    }
}

/// Whether two sources can hold the same facility twice: entries of one
/// imported source are distinct by their code; local entries may repeat.
fn comparable_sources(a: &str, b: &str) -> bool {
    a != b || a == LOCAL_SOURCE
}

/// Compares two entries; `None` when nothing suggests one facility.
fn compare(a: (&MatchRow, &Keys), b: (&MatchRow, &Keys)) -> Option<Match> {
    let ((ra, ka), (rb, kb)) = (a, b);
    // Entries of different kinds are different listings even of one
    // building: a hospital and the visiting-nursing station in it, or a
    // clinic and the care service it runs (みなし指定), share a telephone,
    // an address and often a name, and each answers its own searches.
    if ra.kind != rb.kind {
        return None;
    }
    let mut evidence = Vec::new();
    if ka.phone.is_some() && ka.phone == kb.phone {
        evidence.push(Evidence::SamePhone);
    }
    let shorter = ka.name.chars().count().min(kb.name.chars().count());
    if !ka.name.is_empty() && ka.name == kb.name {
        evidence.push(Evidence::SameName);
    } else if shorter >= 4 && (ka.name.contains(&kb.name) || kb.name.contains(&ka.name)) {
        evidence.push(Evidence::NameContains);
    }
    let shorter_address = ka.address.chars().count().min(kb.address.chars().count());
    if shorter_address >= 6
        && (ka.address.ends_with(&kb.address) || kb.address.ends_with(&ka.address))
    {
        evidence.push(Evidence::SameAddress);
    } else if let (Some(la), Some(oa), Some(lb), Some(ob)) = (ra.lat, ra.lon, rb.lat, rb.lon) {
        if crate::search::distance_km((la, oa), (lb, ob)) <= 0.05 {
            evidence.push(Evidence::Nearby);
        }
    }
    // Nothing but a shared corporation or a shared kind is no match.
    if evidence.is_empty() {
        return None;
    }
    if !ra.corporate_number.is_empty() && !rb.corporate_number.is_empty() {
        evidence.push(if ra.corporate_number == rb.corporate_number {
            Evidence::SameCorporateNumber
        } else {
            Evidence::OtherCorporateNumber
        });
    }
    let points: i32 = evidence.iter().map(|e| e.weight()).sum();
    let confidence = points.clamp(0, 100) as u8;
    let (a, b) = if ra.id < rb.id {
        (ra.id, rb.id)
    } else {
        (rb.id, ra.id)
    };
    Some(Match {
        a,
        b,
        confidence,
        evidence,
    })
}

/// The pairs among `rows` (one prefecture's entries) at or above
/// [`PROPOSE_AT`], each pair once, highest confidence first.
///
/// Only entries that share a telephone number or a folded name are
/// compared (a blocking key each), so a prefecture of 40,000 entries takes
/// milliseconds, not the 800 million comparisons of every pair.
pub fn find_matches(rows: &[MatchRow]) -> Vec<Match> {
    let keys: Vec<Keys> = rows.iter().map(Keys::of).collect();
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(p) = &k.phone {
            blocks.entry(format!("t{p}")).or_default().push(i);
        }
        if !k.name.is_empty() {
            blocks.entry(format!("n{}", k.name)).or_default().push(i);
        }
        if k.address.chars().count() >= 6 {
            blocks.entry(format!("a{}", k.address)).or_default().push(i);
        }
    }
    let mut seen: HashMap<(EntryId, EntryId), Match> = HashMap::new();
    for members in blocks.values() {
        // A block this large is a shared switchboard or a chain's name,
        // not one facility: comparing every pair in it finds nothing the
        // other keys would not.
        if members.len() < 2 || members.len() > 50 {
            continue;
        }
        for (n, &i) in members.iter().enumerate() {
            for &j in &members[n + 1..] {
                if !comparable_sources(&rows[i].source, &rows[j].source) {
                    continue;
                }
                let key = if rows[i].id < rows[j].id {
                    (rows[i].id, rows[j].id)
                } else {
                    (rows[j].id, rows[i].id)
                };
                if seen.contains_key(&key) {
                    continue;
                }
                if let Some(m) = compare((&rows[i], &keys[i]), (&rows[j], &keys[j])) {
                    if m.confidence >= PROPOSE_AT {
                        seen.insert(key, m);
                    }
                }
            }
        }
    }
    let mut out: Vec<Match> = seen.into_values().collect();
    out.sort_by(|x, y| y.confidence.cmp(&x.confidence).then(x.a.cmp(&y.a)));
    out
}

/// Which entry of a merged pair stays listed: the one its organisation
/// maintains or the coordinator confirmed (its local fields are the ones
/// people keep), else the national file's (it carries specialities and
/// hours), else the older.
pub fn keep_of(a: &KeepFacts, b: &KeepFacts) -> EntryId {
    let rank = |f: &KeepFacts| {
        (
            !(f.maintained || f.confirmed),
            // An entry without a municipality would drop the facility out
            // of its region's lists.
            !f.placed,
            f.source != crate::import::MEDICAL_SOURCE,
            f.id,
        )
    };
    if rank(a) <= rank(b) {
        a.id
    } else {
        b.id
    }
}

/// What decides which entry of a pair is kept.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeepFacts {
    pub id: EntryId,
    pub source: String,
    pub maintained: bool,
    pub confirmed: bool,
    /// Has a municipality code.
    pub placed: bool,
}

/// Where a recorded pair stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairStatus {
    /// Found, waiting for the coordinator.
    Proposed,
    /// One entry lists both (by the coordinator, or by the matching run
    /// at [`MERGE_AUTOMATICALLY_AT`]).
    Merged,
    /// Two facilities, as the coordinator decided.
    Rejected,
    /// Merged once and split again by the coordinator.
    Split,
}

impl PairStatus {
    pub const ALL: [PairStatus; 4] = [
        PairStatus::Proposed,
        PairStatus::Merged,
        PairStatus::Rejected,
        PairStatus::Split,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PairStatus::Proposed => "proposed",
            PairStatus::Merged => "merged",
            PairStatus::Rejected => "rejected",
            PairStatus::Split => "split",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One side of a pair as the coordinator compares it.
#[derive(Debug, Clone)]
pub struct PairSide {
    pub id: EntryId,
    pub source: String,
    pub official_code: String,
    pub kind: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub municipality_name: String,
    pub corporate_number: String,
    pub merged_into: Option<EntryId>,
}

/// A recorded pair with both entries.
#[derive(Debug, Clone)]
pub struct Pair {
    pub id: SameFacilityPairId,
    pub a: PairSide,
    pub b: PairSide,
    pub confidence: u8,
    pub evidence: Vec<Evidence>,
    pub status: PairStatus,
    pub found_at: i64,
    pub decided_at: Option<i64>,
    /// `None` with a decision: the matching run merged it.
    pub decided_by_name: Option<String>,
    /// The entry kept listed (the suggestion while proposed).
    pub keep: EntryId,
}

/// The coordinator's review: pairs waiting and pairs merged.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub proposed: Vec<Pair>,
    pub merged: Vec<Pair>,
}

/// What a matching run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchRun {
    pub prefectures: usize,
    pub entries_compared: usize,
    /// Pairs found at or above [`PROPOSE_AT`] (new or still waiting).
    pub proposed: usize,
    pub merged_automatically: usize,
    /// Pairs found again that the coordinator had decided already.
    pub decided_before: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, source: &str, kind: &str, name: &str, address: &str, phone: &str) -> MatchRow {
        MatchRow {
            id: EntryId(id),
            source: source.into(),
            kind: kind.into(),
            name: name.into(),
            address: address.into(),
            phone: phone.into(),
            corporate_number: String::new(),
            municipality_code: String::new(),
            lat: None,
            lon: None,
        }
    }

    #[test]
    fn addresses_fold_numbers_and_prefectures() {
        assert_eq!(
            address_key("東京都港区芝公園四丁目2番8号"),
            address_key("港区芝公園4-2-8")
        );
        assert_eq!(
            address_key("北海道札幌市中央区北1条西2丁目"),
            "札幌市中央区北1条西2"
        );
        assert_ne!(
            address_key("港区芝公園4-2-8"),
            address_key("港区芝公園4-2-9")
        );
        assert_eq!(address_key("中央町十二番地二十三"), "中央町12-23");
        assert_eq!(address_key("中央町十番地"), "中央町10");
    }

    #[test]
    fn the_same_clinic_from_two_sources_is_merged_automatically() {
        let rows = [
            row(
                1,
                "medical_open_data",
                "clinic",
                "医療法人社団桜会 さくら内科クリニック",
                "東京都港区芝公園四丁目2番8号",
                "03-1234-5678",
            ),
            row(
                2,
                "medical_institution_code",
                "clinic",
                "さくら内科クリニック",
                "港区芝公園4-2-8",
                "０３（１２３４）５６７８",
            ),
        ];
        let found = find_matches(&rows);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].evidence,
            vec![
                Evidence::SamePhone,
                Evidence::NameContains,
                Evidence::SameAddress
            ]
        );
        // 35 + 35 + 25: merged without review.
        assert!(found[0].confidence >= MERGE_AUTOMATICALLY_AT);
        // Without the telephone (the town lists the corporation's number),
        // the name and the address still propose it: 35 + 25.
        let mut other_phone = rows.clone();
        other_phone[1].phone = "03-9999-0000".into();
        assert_eq!(find_matches(&other_phone)[0].confidence, 60);
        let exact = [
            row(
                1,
                "medical_open_data",
                "clinic",
                "さくら内科クリニック",
                "港区芝公園4-2-8",
                "03-1234-5678",
            ),
            row(
                2,
                "medical_institution_code",
                "clinic",
                "さくら内科 クリニック",
                "東京都港区芝公園四丁目2番8号",
                "03-1234-5678",
            ),
        ];
        assert!(find_matches(&exact)[0].confidence >= MERGE_AUTOMATICALLY_AT);
    }

    #[test]
    fn a_hospital_and_its_nursing_station_are_not_one_facility() {
        let rows = [
            row(
                1,
                "medical_open_data",
                "hospital",
                "みなと病院",
                "港区芝1-1-1",
                "03-1111-2222",
            ),
            row(
                2,
                "care_open_data",
                "visiting_nursing",
                "みなと病院訪問看護ステーション",
                "港区芝1-1-1",
                "03-1111-2222",
            ),
        ];
        // Same telephone and address, a name inside the other: still two
        // listings, because the kinds differ.
        assert!(find_matches(&rows).is_empty());
    }

    #[test]
    fn different_corporations_and_one_source_do_not_match() {
        let mut a = row(
            1,
            "medical_open_data",
            "clinic",
            "中央クリニック",
            "港区芝1-1-1",
            "",
        );
        let mut b = row(
            2,
            "medical_institution_code",
            "clinic",
            "中央クリニック",
            "港区芝1-1-1",
            "",
        );
        a.corporate_number = "1234567890123".into();
        b.corporate_number = "9876543210987".into();
        assert!(find_matches(&[a.clone(), b.clone()]).is_empty());
        b.corporate_number = a.corporate_number.clone();
        assert_eq!(find_matches(&[a.clone(), b.clone()])[0].confidence, 80);
        // Two entries of one imported source are two facilities by their codes.
        b.source = a.source.clone();
        assert!(find_matches(&[a, b]).is_empty());
    }

    #[test]
    fn the_entry_kept_is_the_maintained_one_then_the_national_one() {
        let f = |id, source: &str, maintained| KeepFacts {
            id: EntryId(id),
            source: source.into(),
            maintained,
            confirmed: false,
            placed: true,
        };
        assert_eq!(
            keep_of(
                &f(1, "medical_open_data", false),
                &f(2, "medical_institution_code", true)
            ),
            EntryId(2)
        );
        assert_eq!(
            keep_of(
                &f(3, "medical_institution_code", false),
                &f(2, "medical_open_data", false)
            ),
            EntryId(2)
        );
    }
}
