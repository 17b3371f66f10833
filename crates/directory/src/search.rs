//! In-process search over the whole directory, the same for the
//! professional UI, the JSON API and the public map.
//!
//! Text: every entry's folded search key (name, kana, address, 診療科目;
//! see `renkei_domain::text::fold`) is cut into character bigrams; a
//! query's words are cut the same way, their posting lists intersected
//! (shortest first) and the survivors checked with a substring test, so
//! results are exact. Results rank by relevance tier (exact name, prefix,
//! name or kana contains, the rest), then kana order. Distance: an R-tree
//! (rstar) yields entries nearest first, so "near + filter" pages stop as
//! soon as a page is full. The index changes in place, one entry at a time
//! ([`Index::upsert`]), and is built whole only after large imports.

use std::collections::HashMap;

use renkei_domain::directory::{
    minutes_of, speciality_bit, week_is_open, ContactWindow, LocalMoment, WeekSession, WeeklyHours,
    ALL_SPECIALITIES, HOME_CARE_FUNCTIONS, PUBLIC_FIELD_CHOICES, STAFF_QUALIFICATIONS,
};
use renkei_domain::text::fold;
use renkei_domain::EntryId;
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use serde::{Deserialize, Serialize};

/// What an entry looks like in search results. Which of these fields the
/// public may see is decided per entry (`public_mask`) and applied by the
/// interfaces; the index itself serves professionals.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Entry {
    pub id: EntryId,
    pub name: String,
    pub kana: String,
    pub kind: String,
    pub services: Vec<String>,
    pub address: String,
    pub municipality_code: String,
    /// 都道府県コード (2 digits).
    pub prefecture_code: String,
    /// 診療科目コード the entry offers.
    pub specialities: Vec<String>,
    /// 診療科目 names, ";"-separated.
    pub departments: String,
    /// The facility's week, for "open now" (compact: the full schedule is
    /// read from the database for one entry's page).
    #[serde(skip)]
    pub weekly_hours: WeeklyHours,
    pub phone: String,
    pub url: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub fax: String,
    pub email: String,
    pub hours: String,
    pub features: String,
    pub languages: String,
    /// 日常生活圏域 (daily-life area).
    pub area: String,
    /// Home-care function codes (`HOME_CARE_FUNCTIONS`).
    pub functions: Vec<String>,
    /// Procedure codes (`directory_procedures`).
    pub procedures: Vec<String>,
    /// Professionals only.
    pub contact_windows: Vec<ContactWindow>,
    /// How many professionals the office has, as it tells.
    pub staff_count: Option<i64>,
    /// `STAFF_QUALIFICATIONS` codes its staff hold.
    pub staff_qualifications: Vec<String>,
    pub acceptance: String,
    pub acceptance_note: String,
    pub acceptance_as_of: Option<i64>,
    pub vacant_beds: Option<i64>,
    pub confirmed_at: Option<i64>,
    /// Bits of `PUBLIC_FIELD_CHOICES` the entry shows to the public.
    pub public_mask: u16,
    /// Consent to publish: without it the entry is not on the public map.
    pub published: bool,
}

/// The bit of a public-field choice (`PUBLIC_FIELD_CHOICES`).
pub fn public_bit(field: &str) -> u16 {
    PUBLIC_FIELD_CHOICES
        .iter()
        .position(|(f, _, _)| *f == field)
        .map(|i| 1u16 << i)
        .unwrap_or(0)
}

/// The public-field mask of a comma-separated list.
pub fn public_mask_of(fields: &str) -> u16 {
    fields
        .split(',')
        .map(|f| public_bit(f.trim()))
        .fold(0, |a, b| a | b)
}

impl Entry {
    /// Whether the public may see `field` of this entry.
    pub fn is_public(&self, field: &str) -> bool {
        self.public_mask & public_bit(field) != 0
    }
}

/// The acceptance status values (受入状況).
pub const ACCEPTANCE: &[&str] = &["accepting", "waiting_list", "full", "unknown"];

#[derive(Clone, Copy, PartialEq)]
struct Point {
    idx: u32,
    /// On the unit sphere, in f32: 16 bytes a point instead of 32 (7 MB
    /// less nationally). f32 places a point on the sphere within a metre,
    /// which is as exact as the distances shown (to 0.1 km) need.
    xyz: [f32; 3],
}

impl RTreeObject for Point {
    type Envelope = AABB<[f32; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for Point {
    fn distance_2(&self, p: &[f32; 3]) -> f32 {
        (self.xyz[0] - p[0]).powi(2) + (self.xyz[1] - p[1]).powi(2) + (self.xyz[2] - p[2]).powi(2)
    }
}

const EARTH_KM: f64 = 6371.0;

/// A point on the unit sphere: straight-line order there is great-circle order.
fn unit_xyz(lat: f64, lon: f64) -> [f64; 3] {
    let (la, lo) = (lat.to_radians(), lon.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

/// [`unit_xyz`] as the R-tree holds it.
fn tree_xyz(lat: f64, lon: f64) -> [f32; 3] {
    let [x, y, z] = unit_xyz(lat, lon);
    [x as f32, y as f32, z as f32]
}

/// Gives freed heap pages back to the system after a build: loading the
/// rows leaves hundreds of megabytes free but still counted in RSS.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory held by the allocator.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Great-circle distance in km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_KM * h.sqrt().asin()
}

/// The filters of a search.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub text: Option<String>,
    pub kind: Option<String>,
    pub service: Option<String>,
    pub accepting: bool,
    pub municipality: Option<String>,
    pub function: Option<String>,
    pub procedure: Option<String>,
    pub area: Option<String>,
    /// "Can be contacted now": the weekday (1 = Monday) and minute of the
    /// day in Japan time that a contact window must cover.
    pub contactable_at: Option<(u8, u16)>,
    /// A public search: only entries with consent to publish, and filters
    /// on a field match only where that field is public.
    pub public: bool,
    pub near: Option<(f64, f64)>,
    pub radius_km: Option<f64>,
    /// Only these entries (a FHIR `identifier` search combined with the
    /// other parameters).
    pub ids: Option<Vec<EntryId>>,
    /// Any of these kinds (besides `kind`).
    pub kinds: Vec<String>,
    /// Any of these 診療科目コード.
    pub specialities: Vec<String>,
    /// 都道府県コード.
    pub prefecture: Option<String>,
    /// A qualification one of the staff holds (`STAFF_QUALIFICATIONS`).
    pub qualification: Option<String>,
    /// Only entries in these municipalities or among these entries: a
    /// region's own and the outside ones it lists.
    pub within: Option<(Vec<String>, Vec<EntryId>)>,
    /// Open at this moment (its consultation hours, closures and holidays).
    pub open_at: Option<LocalMoment>,
    /// Resume after this cursor (from [`Page::next_after`]; searches
    /// without `near` only).
    pub after: Option<Cursor>,
    pub offset: usize,
    pub limit: usize,
}

/// One result: a copy of the entry (pages are small; the index keeps its
/// entries packed).
#[derive(Debug, Clone)]
pub struct Hit {
    pub entry: Entry,
    pub distance_km: Option<f64>,
}

pub struct Page {
    pub items: Vec<Hit>,
    /// The offset of the next page, when there is one.
    pub next_offset: Option<usize>,
    /// For a search in index order (no `near`): the position to resume
    /// after for the next page ([`Query::after`]), which pages to the end
    /// at the same cost as the first page.
    pub next_after: Option<Cursor>,
    /// How many entries match: exact when `total_exact`, otherwise an
    /// estimate from the first candidates.
    pub total: usize,
    pub total_exact: bool,
}

/// Up to this many candidates a search counts its total exactly (walking
/// its lists together); beyond, it estimates from [`COUNT_SAMPLE`] of them.
const COUNT_EXACTLY: usize = 10_000;

/// Candidates sampled for an estimated total.
const COUNT_SAMPLE: usize = 1_000;

/// With text to verify (folding each candidate's fields): exact up to
/// this many candidates, and this many sampled beyond.
const COUNT_VERIFIED_EXACTLY: usize = 200;

/// A string stored in the index's arena.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Span {
    start: u32,
    len: u32,
}

/// One entry, packed: every text lives in one arena, codes are interned.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Packed {
    id: EntryId,
    name: Span,
    kana: Span,
    address: Span,
    municipality_code: Span,
    phone: Span,
    url: Span,
    /// fax, email, hours, features, languages, area, the acceptance note,
    /// 診療科目 names and 都道府県コード, joined by U+001F: most entries
    /// have none of them.
    extra: Span,
    /// Start and count in `code_pool` (services, then procedures).
    services: (u32, u16),
    procedures: u8,
    /// Start and count in `windows`.
    windows: (u32, u8),
    /// 診療科目 codes after the procedures in `code_pool`.
    specialities: u8,
    /// Start and count in `sessions`: the facility's distinct sessions.
    sessions: (u32, u16),
    /// Closures as [`WeeklyHours`] keeps them.
    closed_days: u8,
    closed_weeks: u64,
    closed_on_holidays: bool,
    kind: u16,
    acceptance: u8,
    functions: u8,
    public_mask: u16,
    published: bool,
    vacant_beds: i32,
    lat: f64,
    lon: f64,
    acceptance_as_of: Option<i64>,
    confirmed_at: Option<i64>,
    /// False once the entry left the directory: its slot stays (positions
    /// do not move) but no list names it.
    live: bool,
    /// Bits of `STAFF_QUALIFICATIONS`; the count, -1 when not told.
    qualifications: u16,
    staff_count: i16,
}

impl Packed {
    /// The entry's text in the arena (contact-window notes aside).
    fn spans_mut(&mut self) -> [&mut Span; 7] {
        [
            &mut self.name,
            &mut self.kana,
            &mut self.address,
            &mut self.municipality_code,
            &mut self.phone,
            &mut self.url,
            &mut self.extra,
        ]
    }

    /// How many arena bytes its text takes (contact-window notes aside).
    fn text_len(mut self) -> usize {
        self.spans_mut().iter().map(|s| s.len as usize).sum()
    }
}

/// The arena and pools while [`Index::compact`] copies what live entries
/// use out of the old ones (`old_*`) into new ones.
struct Repacking {
    arena: String,
    pool: Vec<u16>,
    sessions: Vec<WeekSession>,
    windows: Vec<PackedWindow>,
    old_arena: String,
    old_pool: Vec<u16>,
    old_sessions: Vec<WeekSession>,
    old_windows: Vec<PackedWindow>,
}

impl Repacking {
    /// Copies `p`'s text and pool runs and points it at the copies.
    fn repack(&mut self, p: &mut Packed) {
        let old_arena = &self.old_arena;
        let arena = &mut self.arena;
        let mut copy = |span: Span| -> Span {
            push(
                arena,
                &old_arena[span.start as usize..(span.start + span.len) as usize],
            )
        };
        for span in p.spans_mut() {
            *span = copy(*span);
        }
        let (start, count) = p.services;
        let codes = count as usize + p.procedures as usize + p.specialities as usize;
        let new_start = self.pool.len() as u32;
        self.pool
            .extend_from_slice(&self.old_pool[start as usize..start as usize + codes]);
        p.services = (new_start, count);
        let (start, count) = p.sessions;
        let new_start = self.sessions.len() as u32;
        self.sessions
            .extend_from_slice(&self.old_sessions[start as usize..start as usize + count as usize]);
        p.sessions = (new_start, count);
        let (start, count) = p.windows;
        let new_start = self.windows.len() as u32;
        for w in &self.old_windows[start as usize..start as usize + count as usize] {
            self.windows.push(PackedWindow {
                note: copy(w.note),
                ..*w
            });
        }
        p.windows = (new_start, count);
    }
}

/// A contact window, packed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct PackedWindow {
    days: u8,
    from: u16,
    to: u16,
    method: u16,
    note: Span,
}

impl PackedWindow {
    fn unpack(&self, names: &[String], arena: &str) -> ContactWindow {
        let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        ContactWindow {
            method: names[self.method as usize].clone(),
            weekdays: (1..=7).filter(|d| self.days & (1 << d) != 0).collect(),
            from: hhmm(self.from),
            to: hhmm(self.to),
            note: arena[self.note.start as usize..(self.note.start + self.note.len) as usize]
                .to_string(),
        }
    }

    fn as_window(&self) -> ContactWindow {
        let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        ContactWindow {
            method: String::new(),
            weekdays: (1..=7).filter(|d| self.days & (1 << d) != 0).collect(),
            from: hhmm(self.from),
            to: hhmm(self.to),
            note: String::new(),
        }
    }
}

fn qualification_bit(code: &str) -> u16 {
    STAFF_QUALIFICATIONS
        .iter()
        .position(|(c, _, _)| *c == code)
        .map(|i| 1u16 << i)
        .unwrap_or(0)
}

fn function_bit(code: &str) -> u8 {
    HOME_CARE_FUNCTIONS
        .iter()
        .position(|(c, _, _)| *c == code)
        .map(|i| 1u8 << i)
        .unwrap_or(0)
}

/// Where a keyset page resumes: after `position` within relevance tier
/// `tier` (0 exact name, 1 name prefix, 2 name or kana contains, 3 the
/// rest; a search without text has only tier 3). Written `p<tier>.<position>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub tier: u8,
    pub position: u32,
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "p{}.{}", self.tier, self.position)
    }
}

impl std::str::FromStr for Cursor {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (tier, position) = s.strip_prefix('p').ok_or(())?.split_once('.').ok_or(())?;
        let tier: u8 = tier.parse().map_err(|_| ())?;
        (tier <= 3)
            .then_some(())
            .ok_or(())
            .and_then(|_| position.parse().map_err(|_| ()))
            .map(|position| Cursor { tier, position })
    }
}

/// One word of a text search, folded. Words are ANDed; a word that folds
/// to digits only (`1`, but also `①` or `１`) matches whole numbers only,
/// so `①` does not find every entry with a 1 in its address.
#[derive(Debug, Clone)]
struct Word {
    folded: String,
    whole_number: bool,
}

impl Word {
    /// Whether a candidate must be checked against the text: the posting
    /// lists of a word of one or two characters are exact (the bigram is
    /// the word), a longer word's bigrams may be apart, and a number must
    /// stand whole.
    fn needs_verifying(&self) -> bool {
        self.whole_number || self.folded.chars().nth(2).is_some()
    }

    fn found_in(&self, hay: &str) -> bool {
        if !self.whole_number {
            return hay.contains(&self.folded);
        }
        let bytes = hay.as_bytes();
        hay.match_indices(&self.folded).any(|(at, w)| {
            let before = at.checked_sub(1).map(|b| bytes[b]);
            let after = bytes.get(at + w.len()).copied();
            !before.is_some_and(|b| b.is_ascii_digit())
                && !after.is_some_and(|b| b.is_ascii_digit())
        })
    }
}

/// The words of a text query (split on spaces, full-width ones too).
fn words_of(text: Option<&str>) -> Vec<Word> {
    text.map(|t| {
        t.split_whitespace()
            .map(fold)
            .filter(|w| !w.is_empty())
            .map(|folded| Word {
                whole_number: folded.bytes().all(|b| b.is_ascii_digit()),
                folded,
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The positions in any of `lists`, in order: the one list itself when
/// there is one, merged otherwise.
fn union_of<'a>(lists: Vec<&'a Vec<u32>>) -> std::borrow::Cow<'a, [u32]> {
    match lists.as_slice() {
        [] => std::borrow::Cow::Borrowed(&[][..]),
        [one] => std::borrow::Cow::Borrowed(one.as_slice()),
        _ => {
            let mut v: Vec<u32> = lists.into_iter().flatten().copied().collect();
            v.sort_unstable();
            v.dedup();
            std::borrow::Cow::Owned(v)
        }
    }
}

/// The positions in every one of `lists` (shortest first), in order: the
/// shortest list walked, each other list's cursor moved forward by a
/// search over what is left of it.
fn intersection<'a>(lists: &'a [List<'a>]) -> impl Iterator<Item = u32> + 'a {
    let (first, others) = lists
        .split_first()
        .map_or((None, &[][..]), |(f, o)| (Some(*f), o));
    let mut cursors = vec![0usize; others.len()];
    first
        .into_iter()
        .flat_map(|f| f.positions_from(0))
        .filter(move |&i| {
            others.iter().zip(cursors.iter_mut()).all(|(l, c)| {
                let rest = &l.values[*c..];
                *c += rest.partition_point(|v| l.key(*v) < i);
                l.values.get(*c).is_some_and(|v| l.key(*v) == i)
            })
        })
}

/// A posting list: positions in ascending order. Text lists are tagged:
/// each value is `position << 1 | 1 when the text occurs in the name or kana`,
/// which ranks "kana and name before address" without a second index.
#[derive(Clone, Copy)]
struct List<'a> {
    values: &'a [u32],
    tagged: bool,
}

impl<'a> List<'a> {
    fn plain(values: &'a [u32]) -> Self {
        List {
            values,
            tagged: false,
        }
    }

    fn text(values: &'a [u32]) -> Self {
        List {
            values,
            tagged: true,
        }
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    fn key(&self, v: u32) -> u32 {
        if self.tagged {
            v >> 1
        } else {
            v
        }
    }

    /// The value stored for position `i`, when the list has it.
    fn find(&self, i: u32) -> Option<u32> {
        let k = self.values.partition_point(|v| self.key(*v) < i);
        self.values.get(k).copied().filter(|v| self.key(*v) == i)
    }

    fn contains(&self, i: u32) -> bool {
        self.find(i).is_some()
    }

    /// Positions from `start` on.
    fn positions_from(self, start: u32) -> impl Iterator<Item = u32> + 'a {
        let k = self.values.partition_point(|v| self.key(*v) < start);
        let tagged = self.tagged;
        self.values[k..]
            .iter()
            .map(move |v| if tagged { v >> 1 } else { *v })
    }
}

/// Adds position `value` (tagged or not) to a sorted list; appending is the
/// common case (a build adds positions in order).
fn post(list: &mut Vec<u32>, value: u32, tagged: bool) {
    let key = |v: u32| if tagged { v >> 1 } else { v };
    let at = key(value);
    match list.last() {
        None => list.push(value),
        Some(last) if key(*last) < at => list.push(value),
        Some(_) => {
            let k = list.partition_point(|v| key(*v) < at);
            if list.get(k).is_some_and(|v| key(*v) == at) {
                list[k] = value;
            } else {
                list.insert(k, value);
            }
        }
    }
}

/// Removes position `at` from a sorted list.
fn unpost(list: &mut Vec<u32>, at: u32, tagged: bool) {
    let key = |v: u32| if tagged { v >> 1 } else { v };
    let k = list.partition_point(|v| key(*v) < at);
    if list.get(k).is_some_and(|v| key(*v) == at) {
        list.remove(k);
    }
}

/// One posting list of the index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ListKey {
    Bigram((char, char)),
    Unigram(char),
    Start((char, char)),
    Kind(String),
    Service(String),
    Municipality(String),
    Function(String),
    Procedure(String),
    Area(String),
    Prefecture(String),
    Speciality(String),
    Accepting,
    WithWindows,
}

impl ListKey {
    /// Text lists hold `position << 1 | in_name`; the others positions.
    fn tagged(&self) -> bool {
        matches!(self, ListKey::Bigram(_) | ListKey::Unigram(_))
    }
}

/// The lists entry `e` at position `i` is in, with the value each holds
/// for it: what `write_slot` posts and `unlist` takes out.
/// Two sorted lists without the values they share (each shared value
/// once from each side).
fn without_common(a: Vec<u32>, b: Vec<u32>) -> (Vec<u32>, Vec<u32>) {
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    let (mut x, mut y) = (0, 0);
    while x < a.len() && y < b.len() {
        match a[x].cmp(&b[y]) {
            std::cmp::Ordering::Less => {
                only_a.push(a[x]);
                x += 1;
            }
            std::cmp::Ordering::Greater => {
                only_b.push(b[y]);
                y += 1;
            }
            std::cmp::Ordering::Equal => {
                x += 1;
                y += 1;
            }
        }
    }
    only_a.extend_from_slice(&a[x..]);
    only_b.extend_from_slice(&b[y..]);
    (only_a, only_b)
}

fn memberships(e: &Entry, i: u32) -> Vec<(ListKey, u32)> {
    let keys = text_keys(&e.name, &e.kana, &e.address, &e.departments);
    let mut out = Vec::with_capacity(keys.bigrams.len() + keys.unigrams.len() + 16);
    for (b, in_name) in keys.bigrams {
        out.push((ListKey::Bigram(b), i << 1 | in_name as u32));
    }
    for (c, in_name) in keys.unigrams {
        out.push((ListKey::Unigram(c), i << 1 | in_name as u32));
    }
    for st in keys.starts {
        out.push((ListKey::Start(st), i));
    }
    out.push((ListKey::Kind(e.kind.clone()), i));
    for sv in &e.services {
        out.push((ListKey::Service(sv.clone()), i));
    }
    if !e.municipality_code.is_empty() {
        out.push((ListKey::Municipality(e.municipality_code.clone()), i));
    }
    if e.acceptance == "accepting" {
        out.push((ListKey::Accepting, i));
    }
    for f in &e.functions {
        out.push((ListKey::Function(f.clone()), i));
    }
    for pr in &e.procedures {
        out.push((ListKey::Procedure(pr.clone()), i));
    }
    if !e.area.is_empty() {
        out.push((ListKey::Area(e.area.clone()), i));
    }
    if !e.prefecture_code.is_empty() {
        out.push((ListKey::Prefecture(e.prefecture_code.clone()), i));
    }
    for c in e.specialities.iter().take(u8::MAX as usize) {
        out.push((ListKey::Speciality(c.clone()), i));
    }
    let windows = e
        .contact_windows
        .iter()
        .take(u8::MAX as usize)
        .filter(|w| minutes_of(&w.from).is_some() && minutes_of(&w.to).is_some())
        .count();
    if windows > 0 {
        out.push((ListKey::WithWindows, i));
    }
    out
}

/// The text keys of one entry: its bigrams and characters (each marked
/// when it occurs in the name or kana) and the first two characters of its
/// name and of its kana (for exact and prefix matches).
struct TextKeys {
    bigrams: Vec<((char, char), bool)>,
    unigrams: Vec<(char, bool)>,
    starts: Vec<(char, char)>,
}

fn text_keys(name: &str, kana: &str, address: &str, departments: &str) -> TextKeys {
    let key: Vec<char> = search_key(name, kana, address, departments)
        .chars()
        .collect();
    let folded_names = [fold(name), fold(kana)];
    let mut name_bigrams: Vec<(char, char)> = Vec::new();
    let mut name_chars: Vec<char> = Vec::new();
    let mut starts = Vec::new();
    for n in &folded_names {
        let chars: Vec<char> = n.chars().collect();
        name_bigrams.extend(chars.windows(2).map(|w| (w[0], w[1])));
        name_chars.extend(&chars);
        if chars.len() >= 2 {
            starts.push((chars[0], chars[1]));
        }
    }
    name_bigrams.sort_unstable();
    name_chars.sort_unstable();
    starts.sort_unstable();
    starts.dedup();
    let mut bigrams: Vec<(char, char)> = key.windows(2).map(|w| (w[0], w[1])).collect();
    bigrams.sort_unstable();
    bigrams.dedup();
    let mut unigrams = key;
    unigrams.sort_unstable();
    unigrams.dedup();
    TextKeys {
        bigrams: bigrams
            .into_iter()
            .map(|b| (b, name_bigrams.binary_search(&b).is_ok()))
            .collect(),
        unigrams: unigrams
            .into_iter()
            .map(|c| (c, name_chars.binary_search(&c).is_ok()))
            .collect(),
        starts,
    }
}

/// The folded text an entry is searched by: name, kana, address and
/// 診療科目 names (`fold` drops the spaces between them).
fn search_key(name: &str, kana: &str, address: &str, departments: &str) -> String {
    fold(&format!("{name} {kana} {address} {departments}"))
}

/// The search index. Built whole from the database, then kept in step by
/// [`Index::upsert`] and [`Index::remove`] in place: an edit changes the
/// lists of that one entry. An entry keeps its position while it lives;
/// entries added after the build take the next positions, so they list
/// after the others of their tier until the next full build puts them in
/// kana order.
#[derive(Serialize, Deserialize)]
pub struct Index {
    arena: String,
    /// Entries in kana order (as built), so every posting list is also in
    /// result order.
    entries: Vec<Packed>,
    service_pool: Vec<u16>,
    windows: Vec<PackedWindow>,
    names: Vec<String>,
    /// Tagged lists (see [`List`]).
    bigrams: HashMap<(char, char), Vec<u32>>,
    unigrams: HashMap<char, Vec<u32>>,
    /// Entries whose folded name or kana starts with these two characters.
    name_starts: HashMap<(char, char), Vec<u32>>,
    by_kind: HashMap<String, Vec<u32>>,
    by_service: HashMap<String, Vec<u32>>,
    by_municipality: HashMap<String, Vec<u32>>,
    by_function: HashMap<String, Vec<u32>>,
    by_procedure: HashMap<String, Vec<u32>>,
    by_area: HashMap<String, Vec<u32>>,
    by_prefecture: HashMap<String, Vec<u32>>,
    by_speciality: HashMap<String, Vec<u32>>,
    /// Every entry's distinct sessions, marked with the specialities that
    /// keep each.
    sessions: Vec<WeekSession>,
    accepting: Vec<u32>,
    with_windows: Vec<u32>,
    /// Rebuilt from the entries' positions when a snapshot is read.
    #[serde(skip)]
    tree: RTree<Point>,
    by_id: IdSlots,
    /// Live entries (slots of removed ones stay in `entries`).
    live: usize,
    /// Arena bytes and pool slots no entry uses any more (left by edits);
    /// `compact` drops them.
    garbage: usize,
    /// Entries added after the others since the index was last in kana
    /// order (`compact` puts them in place).
    #[serde(default)]
    appended: usize,
}

/// The posting maps of the index, whatever their key: `compact` walks
/// every list of each.
trait PostingMap {
    fn each_list(&mut self, f: &mut dyn FnMut(&mut Vec<u32>));
}

impl<K> PostingMap for HashMap<K, Vec<u32>> {
    fn each_list(&mut self, f: &mut dyn FnMut(&mut Vec<u32>)) {
        for list in self.values_mut() {
            f(list);
        }
        self.retain(|_, list| !list.is_empty());
    }
}

/// Entry id → slot. The database's ids are dense from 1, so up to
/// [`IdSlots::DENSE_IDS`] they index a vector of 4-byte slots (1.8 MB for
/// the national directory, where a hash map took about 8.5 MB with its
/// spare capacity); a larger id, which no real directory reaches, goes to
/// a map.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct IdSlots {
    dense: Vec<u32>,
    sparse: HashMap<EntryId, u32>,
}

impl IdSlots {
    const DENSE_IDS: usize = 8_000_000;
    const NONE: u32 = u32::MAX;

    fn dense_index(id: EntryId) -> Option<usize> {
        usize::try_from(id.0).ok().filter(|i| *i < Self::DENSE_IDS)
    }

    fn get(&self, id: EntryId) -> Option<u32> {
        match Self::dense_index(id) {
            Some(i) => self.dense.get(i).copied().filter(|s| *s != Self::NONE),
            None => self.sparse.get(&id).copied(),
        }
    }

    fn insert(&mut self, id: EntryId, slot: u32) {
        match Self::dense_index(id) {
            Some(i) => {
                if i >= self.dense.len() {
                    self.dense.resize(i + 1, Self::NONE);
                }
                self.dense[i] = slot;
            }
            None => {
                self.sparse.insert(id, slot);
            }
        }
    }

    fn remove(&mut self, id: EntryId) -> Option<u32> {
        match Self::dense_index(id) {
            Some(i) => {
                let slot = self.get(id)?;
                self.dense[i] = Self::NONE;
                Some(slot)
            }
            None => self.sparse.remove(&id),
        }
    }

    fn shrink_to_fit(&mut self) {
        self.dense.shrink_to_fit();
        self.sparse.shrink_to_fit();
    }
}

/// Below this many candidates a near query without a radius ranks the
/// candidates itself instead of walking the R-tree outwards.
const RANK_CANDIDATES_BELOW: usize = 20_000;

/// Below this many candidates a near query with a radius measures each
/// candidate rather than asking the R-tree for everything in the circle.
const SCAN_CANDIDATES_BELOW: usize = 2_000;

/// Up to this radius a near query takes everything in the circle from the
/// R-tree (a dense city's 30 km holds tens of thousands of entries, each
/// checked in well under a microsecond); beyond, it walks outwards.
const RANGE_QUERY_KM: f64 = 50.0;

fn push(arena: &mut String, s: &str) -> Span {
    let start = arena.len() as u32;
    arena.push_str(s);
    Span {
        start,
        len: s.len() as u32,
    }
}

fn intern(names: &mut Vec<String>, value: &str) -> u16 {
    match names.iter().position(|n| n == value) {
        Some(i) => i as u16,
        None => {
            names.push(value.to_string());
            (names.len() - 1) as u16
        }
    }
}

/// What a search checks entry by entry, interned once per search: the
/// kinds when several are checked through the packed kind, and the
/// specialities whose sessions "open at" asks about.
struct Checks {
    kinds: Vec<u16>,
    specialities: Vec<u16>,
}

/// The lists a search intersects: all of them, shortest first, and the
/// text ones among them (for ranking).
struct Lists<'a> {
    all: Vec<List<'a>>,
    text: Vec<List<'a>>,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            arena: String::new(),
            entries: Vec::new(),
            service_pool: Vec::new(),
            windows: Vec::new(),
            names: ACCEPTANCE.iter().map(|s| s.to_string()).collect(),
            bigrams: HashMap::new(),
            unigrams: HashMap::new(),
            name_starts: HashMap::new(),
            by_kind: HashMap::new(),
            by_service: HashMap::new(),
            by_municipality: HashMap::new(),
            by_function: HashMap::new(),
            by_procedure: HashMap::new(),
            by_area: HashMap::new(),
            by_prefecture: HashMap::new(),
            by_speciality: HashMap::new(),
            sessions: Vec::new(),
            accepting: Vec::new(),
            with_windows: Vec::new(),
            tree: RTree::new(),
            by_id: IdSlots::default(),
            live: 0,
            garbage: 0,
            appended: 0,
        }
    }
}

impl Index {
    /// An index of `entries`, in kana order.
    pub fn build(mut entries: Vec<Entry>) -> Index {
        entries.sort_by(|a, b| a.kana.cmp(&b.kana).then(a.id.cmp(&b.id)));
        let mut index = Index::default();
        for e in &entries {
            index.append(e);
        }
        drop(entries);
        index.finish();
        index
    }

    /// Adds an entry after the others: a build streams its entries in
    /// kana order through here (see `store::build_index`).
    pub fn append(&mut self, e: &Entry) {
        if let Some(i) = self.by_id.get(e.id) {
            self.replace(i, e);
            return;
        }
        let i = self.entries.len() as u32;
        self.write_slot(i, e, false);
    }

    /// Ends a build: trims the lists and gives freed memory back.
    pub fn finish(&mut self) {
        self.arena.shrink_to_fit();
        self.service_pool.shrink_to_fit();
        self.windows.shrink_to_fit();
        self.sessions.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.by_id.shrink_to_fit();
        for list in self.bigrams.values_mut() {
            list.shrink_to_fit();
        }
        for list in self.unigrams.values_mut() {
            list.shrink_to_fit();
        }
        self.bigrams.shrink_to_fit();
        self.unigrams.shrink_to_fit();
        self.plant_tree();
        release_free_memory();
    }

    /// (Re)builds the R-tree from the entries' positions.
    fn plant_tree(&mut self) {
        let points: Vec<Point> = (0..self.entries.len() as u32)
            .filter(|i| self.entries[*i as usize].live)
            .filter_map(|i| {
                self.position(i).map(|(lat, lon)| Point {
                    idx: i,
                    xyz: tree_xyz(lat, lon),
                })
            })
            .collect();
        self.tree = RTree::bulk_load(points);
    }

    /// Puts `e` in the index in place: an edit replaces the entry's lists,
    /// a new entry takes the next position.
    pub fn upsert(&mut self, e: &Entry) {
        match self.by_id.get(e.id) {
            Some(i) => self.replace(i, e),
            None => {
                let i = self.entries.len() as u32;
                self.write_slot(i, e, true);
                self.appended += 1;
            }
        }
    }

    /// Applies what the database now holds for `id`: the entry, or `None`
    /// when it left the directory.
    pub fn apply(&mut self, id: EntryId, entry: Option<&Entry>) {
        match entry {
            Some(e) => self.upsert(e),
            None => self.remove(id),
        }
    }

    /// Takes an entry out of the index (it left the directory).
    pub fn remove(&mut self, id: EntryId) {
        if let Some(i) = self.by_id.remove(id) {
            self.unlist(i);
            self.entries[i as usize].live = false;
            self.live -= 1;
        }
    }

    /// Runs `f` on one posting list (made when missing); a list left
    /// empty is dropped.
    fn with_list(&mut self, key: &ListKey, f: impl FnOnce(&mut Vec<u32>)) {
        fn on<K: std::hash::Hash + Eq + Clone>(
            map: &mut HashMap<K, Vec<u32>>,
            k: &K,
            f: impl FnOnce(&mut Vec<u32>),
        ) {
            let list = map.entry(k.clone()).or_default();
            f(list);
            if list.is_empty() {
                map.remove(k);
            }
        }
        match key {
            ListKey::Bigram(b) => on(&mut self.bigrams, b, f),
            ListKey::Unigram(c) => on(&mut self.unigrams, c, f),
            ListKey::Start(st) => on(&mut self.name_starts, st, f),
            ListKey::Kind(k) => on(&mut self.by_kind, k, f),
            ListKey::Service(k) => on(&mut self.by_service, k, f),
            ListKey::Municipality(k) => on(&mut self.by_municipality, k, f),
            ListKey::Function(k) => on(&mut self.by_function, k, f),
            ListKey::Procedure(k) => on(&mut self.by_procedure, k, f),
            ListKey::Area(k) => on(&mut self.by_area, k, f),
            ListKey::Prefecture(k) => on(&mut self.by_prefecture, k, f),
            ListKey::Speciality(k) => on(&mut self.by_speciality, k, f),
            ListKey::Accepting => f(&mut self.accepting),
            ListKey::WithWindows => f(&mut self.with_windows),
        }
    }

    /// Applies many changes at once (a page of a large import): each
    /// posting list they touch is rewritten once, instead of one insertion
    /// or removal in the middle of it per entry, which would make a
    /// national import quadratic.
    pub fn apply_batch(&mut self, changes: &[(EntryId, Option<Entry>)]) {
        // Per list: the values the changed entries leave and take.
        let mut out: HashMap<ListKey, Vec<u32>> = HashMap::new();
        let mut into: HashMap<ListKey, Vec<u32>> = HashMap::new();
        for (id, entry) in changes {
            let existing = self.by_id.get(*id);
            let mut previous = None;
            // An entry that stays where it was keeps its point in the
            // R-tree (removing and inserting it again costs time, and
            // leaves the tree less packed than its build did).
            let mut stays_put = false;
            if let Some(i) = existing {
                let old = self.entry(i);
                for (key, value) in memberships(&old, i) {
                    out.entry(key).or_default().push(value);
                }
                stays_put = entry
                    .as_ref()
                    .is_some_and(|e| (e.lat, e.lon) == (old.lat, old.lon));
                if !stays_put {
                    self.unpoint(i);
                }
                self.discard(i);
                self.entries[i as usize].live = false;
                self.live -= 1;
                previous = Some(self.entries[i as usize]);
            }
            match (entry, existing) {
                (Some(e), Some(i)) => {
                    for (key, value) in memberships(e, i) {
                        into.entry(key).or_default().push(value);
                    }
                    self.pack(i, e, !stays_put, previous);
                }
                (Some(e), None) => {
                    let i = self.entries.len() as u32;
                    for (key, value) in memberships(e, i) {
                        into.entry(key).or_default().push(value);
                    }
                    self.pack(i, e, true, None);
                    self.appended += 1;
                }
                (None, Some(_)) => {
                    self.by_id.remove(*id);
                }
                (None, None) => {}
            }
        }
        let keys: Vec<ListKey> = out.keys().chain(into.keys()).cloned().collect();
        for key in keys {
            let mut removed = out.remove(&key).unwrap_or_default();
            let mut added = into.remove(&key).unwrap_or_default();
            // An entry that stays in a list as it was (most of an edited
            // entry's lists: a new phone number leaves its name's bigrams
            // alone) costs that list nothing.
            removed.sort_unstable();
            added.sort_unstable();
            let (removed, added) = without_common(removed, added);
            if removed.is_empty() && added.is_empty() {
                continue;
            }
            let tagged = key.tagged();
            let at = move |v: &u32| if tagged { *v >> 1 } else { *v };
            // Positions, ascending as the values are (a tag is the low bit).
            let removed: Vec<u32> = removed.iter().map(at).collect();
            self.with_list(&key, |list| {
                if !removed.is_empty() {
                    list.retain(|v| removed.binary_search(&at(v)).is_err());
                }
                let in_order = match (list.last(), added.first()) {
                    (Some(last), Some(first)) => at(last) < at(first),
                    _ => true,
                };
                list.extend(added);
                if !in_order {
                    list.sort_unstable_by_key(at);
                    list.dedup_by_key(|v| at(v));
                }
            });
        }
    }

    fn replace(&mut self, i: u32, e: &Entry) {
        self.unlist(i);
        self.live -= 1;
        self.write_slot(i, e, true);
    }

    /// Removes position `i` from every list it is in, computing its keys
    /// from what the index stored (as `write_slot` computed them).
    fn unlist(&mut self, i: u32) {
        let old = self.entry(i);
        for (key, _) in memberships(&old, i) {
            self.with_list(&key, |list| unpost(list, i, key.tagged()));
        }
        self.unplace(i);
    }

    /// Takes slot `i` out of the R-tree and counts what it leaves unused
    /// in the arena and pools (its lists are the caller's).
    fn unplace(&mut self, i: u32) {
        self.unpoint(i);
        self.discard(i);
    }

    /// Takes slot `i`'s point out of the R-tree.
    fn unpoint(&mut self, i: u32) {
        if let Some((lat, lon)) = self.position(i) {
            self.tree.remove(&Point {
                idx: i,
                xyz: tree_xyz(lat, lon),
            });
        }
    }

    /// Counts what slot `i` leaves unused in the arena and pools.
    fn discard(&mut self, i: u32) {
        let p = self.entries[i as usize];
        self.garbage += p.text_len()
            + p.services.1 as usize
            + p.procedures as usize
            + p.specialities as usize
            + p.sessions.1 as usize
            + p.windows.1 as usize;
    }

    /// Writes `e` at position `i` (the next one, or an existing slot whose
    /// lists were emptied) and lists it. `in_place` when the index is
    /// already serving: the R-tree takes the point now rather than at
    /// `finish`.
    fn write_slot(&mut self, i: u32, e: &Entry, in_place: bool) {
        for (key, value) in memberships(e, i) {
            let tagged = key.tagged();
            self.with_list(&key, |list| post(list, value, tagged));
        }
        self.pack(i, e, in_place, None);
    }

    /// Writes `e`'s fields at position `i` (the arena, pools, the slot and
    /// the R-tree); its lists are the caller's. `previous` is what the slot
    /// held before an edit: text and pool runs that did not change are
    /// kept where they are, so a national import that changes one field of
    /// every entry leaves little garbage behind. `insert_point`: the R-tree
    /// takes the entry's point now (an index already serving, where the
    /// point is not there yet) rather than at `finish`.
    fn pack(&mut self, i: u32, e: &Entry, insert_point: bool, previous: Option<Packed>) {
        let mut codes: Vec<u16> =
            Vec::with_capacity(e.services.len() + e.procedures.len() + e.specialities.len());
        for s in &e.services {
            codes.push(intern(&mut self.names, s));
        }
        for p in &e.procedures {
            codes.push(intern(&mut self.names, p));
        }
        let specialities = e.specialities.len().min(u8::MAX as usize);
        for code in e.specialities.iter().take(specialities) {
            codes.push(intern(&mut self.names, code));
        }
        let mut reused = 0usize;
        let services_start = match previous {
            Some(p) if self.codes_of(&p) == codes.as_slice() => {
                reused += codes.len();
                p.services.0
            }
            _ => {
                let start = self.service_pool.len() as u32;
                self.service_pool.extend_from_slice(&codes);
                start
            }
        };
        // The facility's distinct sessions, each with its specialities'
        // bits (the entry's specialities in the order packed above).
        let session_count = e.weekly_hours.sessions.len().min(u16::MAX as usize) as u16;
        let sessions = &e.weekly_hours.sessions[..session_count as usize];
        let sessions_start = match previous {
            Some(p) if self.sessions_in(p.sessions) == sessions => {
                reused += sessions.len();
                p.sessions.0
            }
            _ => {
                let start = self.sessions.len() as u32;
                self.sessions.extend_from_slice(sessions);
                start
            }
        };
        let windows_start = self.windows.len() as u32;
        for w in e.contact_windows.iter().take(u8::MAX as usize) {
            let (Some(from), Some(to)) = (minutes_of(&w.from), minutes_of(&w.to)) else {
                continue;
            };
            let method = intern(&mut self.names, &w.method);
            let note = push(&mut self.arena, &w.note);
            self.windows.push(PackedWindow {
                days: w.weekdays.iter().fold(0u8, |m, d| m | (1u8 << (d & 7))),
                from,
                to,
                method,
                note,
            });
        }
        let window_count = (self.windows.len() as u32 - windows_start) as u8;
        let extra = [
            e.fax.as_str(),
            &e.email,
            &e.hours,
            &e.features,
            &e.languages,
            &e.area,
            &e.acceptance_note,
            &e.departments,
            &e.prefecture_code,
        ];
        let extra = if extra.iter().all(|x| x.is_empty()) {
            Span::default()
        } else {
            // The fields are told apart by U+001F: one typed into a
            // field must not shift the others into its place.
            let fields: Vec<String> = extra.iter().map(|x| x.replace('\u{1f}', " ")).collect();
            self.keep_or_push(
                previous.map(|p| p.extra),
                &fields.join("\u{1f}"),
                &mut reused,
            )
        };
        let was = |f: fn(&Packed) -> Span| previous.map(|p| f(&p));
        let packed = Packed {
            id: e.id,
            name: self.keep_or_push(was(|p| p.name), &e.name, &mut reused),
            kana: self.keep_or_push(was(|p| p.kana), &e.kana, &mut reused),
            address: self.keep_or_push(was(|p| p.address), &e.address, &mut reused),
            municipality_code: self.keep_or_push(
                was(|p| p.municipality_code),
                &e.municipality_code,
                &mut reused,
            ),
            phone: self.keep_or_push(was(|p| p.phone), &e.phone, &mut reused),
            url: self.keep_or_push(was(|p| p.url), &e.url, &mut reused),
            extra,
            services: (services_start, e.services.len() as u16),
            procedures: e.procedures.len() as u8,
            windows: (windows_start, window_count),
            specialities: specialities as u8,
            sessions: (sessions_start, session_count),
            closed_days: e.weekly_hours.closed_days,
            closed_weeks: e.weekly_hours.closed_weeks,
            closed_on_holidays: e.weekly_hours.closed_on_holidays,
            kind: intern(&mut self.names, &e.kind),
            acceptance: ACCEPTANCE
                .iter()
                .position(|a| *a == e.acceptance)
                .unwrap_or(ACCEPTANCE.len() - 1) as u8,
            functions: e.functions.iter().fold(0, |m, f| m | function_bit(f)),
            public_mask: e.public_mask,
            published: e.published,
            vacant_beds: e
                .vacant_beds
                .map(|v| v.clamp(0, i32::MAX as i64) as i32)
                .unwrap_or(-1),
            lat: e.lat.unwrap_or(f64::NAN),
            lon: e.lon.unwrap_or(f64::NAN),
            acceptance_as_of: e.acceptance_as_of,
            confirmed_at: e.confirmed_at,
            live: true,
            qualifications: e
                .staff_qualifications
                .iter()
                .fold(0, |m, q| m | qualification_bit(q)),
            staff_count: e
                .staff_count
                .map(|n| n.clamp(0, i16::MAX as i64) as i16)
                .unwrap_or(-1),
        };
        // What `unplace` counted as garbage but stays in use.
        self.garbage = self.garbage.saturating_sub(reused);
        if i as usize == self.entries.len() {
            self.entries.push(packed);
        } else {
            self.entries[i as usize] = packed;
        }
        self.by_id.insert(e.id, i);
        self.live += 1;
        if insert_point {
            if let (Some(lat), Some(lon)) = (e.lat, e.lon) {
                self.tree.insert(Point {
                    idx: i,
                    xyz: tree_xyz(lat, lon),
                });
            }
        }
    }

    /// Whether the bytes and slots left unused by in-place edits have piled
    /// up (a quarter of the index and at least 16 MB), or entries added
    /// out of kana order have (a quarter of them and at least 1,000): the
    /// live index then compacts it.
    pub fn worth_compacting(&self) -> bool {
        let size = self.arena.len() + self.service_pool.len();
        self.garbage > (16 << 20).max(size / 4) || self.appended > 1_000usize.max(self.live / 4)
    }

    /// Drops what in-place edits left behind (old text in the arena, old
    /// code, session and window slots, the slots of removed entries) and
    /// puts the entries back in kana order (new ones were appended), in
    /// place: the live entries' parts are copied into buffers of their own
    /// size and the old ones freed one by one, and every posting list is
    /// renumbered where it lies, so this needs the arena and the entry
    /// table once more at most, never a second index. A large import
    /// applied entry by entry ends with this instead of a whole build.
    /// Keyset cursors of earlier pages do not survive it (they are
    /// positions).
    pub fn compact(&mut self) {
        let dead_slots = self.entries.len() - self.live;
        if self.garbage == 0 && self.appended == 0 && dead_slots == 0 {
            return; // nothing to drop or put in order
        }
        if self.appended == 0 && dead_slots <= self.live / 64 {
            // Nothing out of kana order and few removed slots: only the
            // garbage goes, and every position (so every list, the ids and
            // the R-tree) stays. The slots go at the next full compaction.
            self.drop_garbage();
            return;
        }
        // The kana order a build streams in (bytewise, then id).
        let mut order: Vec<u32> = (0..self.entries.len() as u32)
            .filter(|i| self.entries[*i as usize].live)
            .collect();
        order.sort_by(|a, b| {
            let (pa, pb) = (&self.entries[*a as usize], &self.entries[*b as usize]);
            self.text(pa.kana)
                .cmp(self.text(pb.kana))
                .then(pa.id.cmp(&pb.id))
        });
        let mut new_pos = vec![u32::MAX; self.entries.len()];
        for (n, old) in order.iter().enumerate() {
            new_pos[*old as usize] = n as u32;
        }

        let mut parts = self.take_parts();
        let mut entries: Vec<Packed> = Vec::with_capacity(order.len());
        for old in &order {
            let mut p = self.entries[*old as usize];
            parts.repack(&mut p);
            entries.push(p);
        }
        self.put_parts(parts);
        self.entries = entries;

        // Every list names positions: renumbered where it lies, re-sorted.
        let renumber = |list: &mut Vec<u32>, tagged: bool| {
            list.retain_mut(|v| {
                let (at, tag) = if tagged { (*v >> 1, *v & 1) } else { (*v, 0) };
                match new_pos.get(at as usize).copied() {
                    Some(n) if n != u32::MAX => {
                        *v = if tagged { n << 1 | tag } else { n };
                        true
                    }
                    _ => false,
                }
            });
            list.sort_unstable();
            list.shrink_to_fit();
        };
        for list in self.bigrams.values_mut() {
            renumber(list, true);
        }
        for list in self.unigrams.values_mut() {
            renumber(list, true);
        }
        for map in [
            &mut self.name_starts as &mut dyn PostingMap,
            &mut self.by_kind,
            &mut self.by_service,
            &mut self.by_municipality,
            &mut self.by_function,
            &mut self.by_procedure,
            &mut self.by_area,
            &mut self.by_prefecture,
            &mut self.by_speciality,
        ] {
            map.each_list(&mut |list| renumber(list, false));
        }
        renumber(&mut self.accepting, false);
        renumber(&mut self.with_windows, false);
        drop(new_pos);
        self.by_id = IdSlots::default();
        for (n, p) in self.entries.iter().enumerate() {
            self.by_id.insert(p.id, n as u32);
        }
        self.garbage = 0;
        self.appended = 0;
        self.finish();
    }

    /// What [`Index::compact`] does when no entry is out of kana order:
    /// each live entry's text and pool runs copied into buffers of their
    /// own size, in place in the entry table; a removed entry's slot keeps
    /// nothing. Needs the live text once more while it copies, not the
    /// entry table or the lists.
    fn drop_garbage(&mut self) {
        let mut parts = self.take_parts();
        for p in self.entries.iter_mut() {
            if p.live {
                parts.repack(p);
            } else {
                for span in p.spans_mut() {
                    *span = Span::default();
                }
                p.services = (0, 0);
                (p.procedures, p.specialities) = (0, 0);
                p.sessions = (0, 0);
                p.windows = (0, 0);
            }
        }
        self.put_parts(parts);
        self.garbage = 0;
        self.arena.shrink_to_fit();
        self.service_pool.shrink_to_fit();
        self.sessions.shrink_to_fit();
        self.windows.shrink_to_fit();
        release_free_memory();
    }

    /// The arena and pools, handed to a [`Repacking`] that copies what
    /// live entries use into new ones of that size.
    fn take_parts(&mut self) -> Repacking {
        let live_bytes = self.arena.len().saturating_sub(self.garbage);
        Repacking {
            arena: String::with_capacity(live_bytes),
            pool: Vec::with_capacity(self.service_pool.len()),
            sessions: Vec::with_capacity(self.sessions.len()),
            windows: Vec::with_capacity(self.windows.len()),
            old_arena: std::mem::take(&mut self.arena),
            old_pool: std::mem::take(&mut self.service_pool),
            old_sessions: std::mem::take(&mut self.sessions),
            old_windows: std::mem::take(&mut self.windows),
        }
    }

    fn put_parts(&mut self, parts: Repacking) {
        self.arena = parts.arena;
        self.service_pool = parts.pool;
        self.sessions = parts.sessions;
        self.windows = parts.windows;
    }

    fn text(&self, span: Span) -> &str {
        &self.arena[span.start as usize..(span.start + span.len) as usize]
    }

    /// `old` when it holds `s` already (counting its bytes in `reused`),
    /// otherwise `s` appended to the arena.
    fn keep_or_push(&mut self, old: Option<Span>, s: &str, reused: &mut usize) -> Span {
        match old {
            Some(span) if self.text(span) == s => {
                *reused += span.len as usize;
                span
            }
            _ => push(&mut self.arena, s),
        }
    }

    /// A packed entry's services, procedures and 診療科目 codes.
    fn codes_of(&self, p: &Packed) -> &[u16] {
        let (start, count) = p.services;
        let n = count as usize + p.procedures as usize + p.specialities as usize;
        &self.service_pool[start as usize..start as usize + n]
    }

    fn sessions_in(&self, (start, count): (u32, u16)) -> &[WeekSession] {
        &self.sessions[start as usize..start as usize + count as usize]
    }

    /// One field of the `extra` span.
    fn extra_field(&self, i: u32, n: usize) -> &str {
        self.text(self.entries[i as usize].extra)
            .split('\u{1f}')
            .nth(n)
            .unwrap_or("")
    }

    /// The sessions of entry `i` as the index keeps them.
    fn sessions_of(&self, i: u32) -> &[WeekSession] {
        self.sessions_in(self.entries[i as usize].sessions)
    }

    /// The week of entry `i` as the index keeps it.
    fn weekly_hours(&self, i: u32) -> WeeklyHours {
        let p = &self.entries[i as usize];
        WeeklyHours {
            sessions: self.sessions_of(i).to_vec(),
            closed_days: p.closed_days,
            closed_weeks: p.closed_weeks,
            closed_on_holidays: p.closed_on_holidays,
        }
    }

    /// Whether entry `i` is open at `m`, in one of the specialities the
    /// search asks for if it asks for any (the search's hot path: no
    /// allocation); an entry without hours is never "open now".
    fn open_at(&self, i: u32, m: LocalMoment, checks: &Checks) -> bool {
        let p = &self.entries[i as usize];
        let sessions = self.sessions_of(i);
        let specialities = if checks.specialities.is_empty() {
            ALL_SPECIALITIES
        } else {
            let (start, count) = p.services;
            let from = start as usize + count as usize + p.procedures as usize;
            self.service_pool[from..from + p.specialities as usize]
                .iter()
                .enumerate()
                .filter(|(_, code)| checks.specialities.contains(code))
                .fold(0, |bits, (k, _)| bits | speciality_bit(k))
        };
        !sessions.is_empty()
            && week_is_open(
                sessions,
                p.closed_days,
                p.closed_weeks,
                p.closed_on_holidays,
                m,
                specialities,
            )
    }

    fn position(&self, i: u32) -> Option<(f64, f64)> {
        let p = &self.entries[i as usize];
        (!p.lat.is_nan() && !p.lon.is_nan()).then_some((p.lat, p.lon))
    }

    /// The entry at index position `i`, unpacked.
    fn entry(&self, i: u32) -> Entry {
        let p = &self.entries[i as usize];
        let (start, count) = p.services;
        let codes = |from: usize, n: usize| -> Vec<String> {
            self.service_pool[from..from + n]
                .iter()
                .map(|s| self.names[*s as usize].clone())
                .collect()
        };
        let extra_text = self.text(p.extra);
        let mut extra = extra_text.split('\u{1f}').map(str::to_string);
        let mut next = || extra.next().unwrap_or_default();
        let (fax, email, hours, features, languages, area, acceptance_note) =
            (next(), next(), next(), next(), next(), next(), next());
        let (departments, prefecture_code) = (next(), next());
        let specialities_start = start as usize + count as usize + p.procedures as usize;
        let (wstart, wcount) = p.windows;
        Entry {
            id: p.id,
            name: self.text(p.name).to_string(),
            kana: self.text(p.kana).to_string(),
            kind: self.names[p.kind as usize].clone(),
            services: codes(start as usize, count as usize),
            procedures: codes(start as usize + count as usize, p.procedures as usize),
            specialities: codes(specialities_start, p.specialities as usize),
            departments,
            prefecture_code,
            weekly_hours: self.weekly_hours(i),
            address: self.text(p.address).to_string(),
            municipality_code: self.text(p.municipality_code).to_string(),
            phone: self.text(p.phone).to_string(),
            url: self.text(p.url).to_string(),
            lat: self.position(i).map(|x| x.0),
            lon: self.position(i).map(|x| x.1),
            fax,
            email,
            hours,
            features,
            languages,
            area,
            functions: HOME_CARE_FUNCTIONS
                .iter()
                .enumerate()
                .filter(|(b, _)| p.functions & (1 << b) != 0)
                .map(|(_, (c, _, _))| c.to_string())
                .collect(),
            contact_windows: self.windows[wstart as usize..wstart as usize + wcount as usize]
                .iter()
                .map(|w| w.unpack(&self.names, &self.arena))
                .collect(),
            acceptance: ACCEPTANCE[p.acceptance as usize].to_string(),
            acceptance_note,
            acceptance_as_of: p.acceptance_as_of,
            vacant_beds: (p.vacant_beds >= 0).then_some(p.vacant_beds as i64),
            confirmed_at: p.confirmed_at,
            public_mask: p.public_mask,
            published: p.published,
            staff_count: (p.staff_count >= 0).then_some(p.staff_count as i64),
            staff_qualifications: STAFF_QUALIFICATIONS
                .iter()
                .enumerate()
                .filter(|(b, _)| p.qualifications & (1 << b) != 0)
                .map(|(_, (c, _, _))| c.to_string())
                .collect(),
        }
    }

    /// Whether one of the entry's contact windows covers the moment.
    fn contactable(&self, i: u32, (weekday, minute): (u8, u16)) -> bool {
        let (start, count) = self.entries[i as usize].windows;
        self.windows[start as usize..start as usize + count as usize]
            .iter()
            .any(|w| w.as_window().is_open(weekday, minute))
    }

    /// Whether a public search may match entry `i` on the filters it uses.
    fn publicly_matches(&self, i: u32, q: &Query) -> bool {
        let mask = self.entries[i as usize].public_mask;
        let needs = |used: bool, field: &str| !used || mask & public_bit(field) != 0;
        needs(q.accepting, "acceptance")
            && needs(q.function.is_some(), "functions")
            && needs(q.procedure.is_some(), "procedures")
            && needs(q.qualification.is_some(), "staff")
            // "Open now" would tell hours the entry keeps to professionals.
            && needs(q.open_at.is_some(), "hours")
    }

    /// How many entries the index lists.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn get(&self, id: EntryId) -> Option<Entry> {
        self.by_id.get(id).map(|i| self.entry(i))
    }

    /// The posting lists every result must be in; `None` when one of them is
    /// empty, so nothing can match.
    fn lists<'a>(
        &'a self,
        q: &Query,
        words: &[Word],
        only: Option<&'a [u32]>,
        unions: &[&'a [u32]],
    ) -> Option<Lists<'a>> {
        let mut all: Vec<List> = Vec::new();
        let mut text: Vec<List> = Vec::new();
        if let Some(only) = only {
            if only.is_empty() {
                return None;
            }
            all.push(List::plain(only));
        }
        for w in words {
            let chars: Vec<char> = w.folded.chars().collect();
            if chars.len() == 1 {
                text.push(List::text(self.unigrams.get(&chars[0])?));
            } else {
                for pair in chars.windows(2) {
                    text.push(List::text(self.bigrams.get(&(pair[0], pair[1]))?));
                }
            }
        }
        all.extend(&text);
        let mut plain = |list: Option<&'a Vec<u32>>| -> Option<()> {
            all.push(List::plain(list?));
            Some(())
        };
        if let Some(k) = &q.kind {
            plain(self.by_kind.get(k))?;
        }
        if let Some(s) = &q.service {
            plain(self.by_service.get(s))?;
        }
        if let Some(m) = &q.municipality {
            plain(self.by_municipality.get(m))?;
        }
        if let Some(f) = &q.function {
            plain(self.by_function.get(f))?;
        }
        if let Some(p) = &q.procedure {
            plain(self.by_procedure.get(p))?;
        }
        if let Some(a) = &q.area {
            plain(self.by_area.get(a))?;
        }
        if let Some(p) = &q.prefecture {
            plain(self.by_prefecture.get(p))?;
        }
        if q.accepting {
            plain(Some(&self.accepting))?;
        }
        if q.contactable_at.is_some() {
            plain(Some(&self.with_windows))?;
        }
        for union in unions {
            if union.is_empty() {
                return None;
            }
            all.push(List::plain(union));
        }
        all.sort_by_key(|l| l.len());
        all.dedup_by(|a, b| std::ptr::eq(a.values, b.values));
        Some(Lists { all, text })
    }

    /// Whether entry `i` is in every list of `others`, passes the checks
    /// lists cannot make, and contains every word.
    fn matches(&self, i: u32, others: &[List], words: &[Word], q: &Query, checks: &Checks) -> bool {
        self.entries[i as usize].live
            && (checks.kinds.is_empty() || checks.kinds.contains(&self.entries[i as usize].kind))
            && others.iter().all(|l| l.contains(i))
            && q.qualification.as_deref().is_none_or(|code| {
                self.entries[i as usize].qualifications & qualification_bit(code) != 0
            })
            && q.contactable_at.is_none_or(|at| self.contactable(i, at))
            && q.open_at.is_none_or(|m| self.open_at(i, m, checks))
            && (!q.public || (self.entries[i as usize].published && self.publicly_matches(i, q)))
            && (!words.iter().any(Word::needs_verifying) || self.text_matches(i, words))
    }

    /// Whether every word that needs it is in one of entry `i`'s fields
    /// (name, kana, address, 診療科目), folding a field only when the
    /// words before it did not settle the question: most hits are in the
    /// name, so most candidates fold one short field.
    fn text_matches(&self, i: u32, words: &[Word]) -> bool {
        let p = &self.entries[i as usize];
        let fields = [
            self.text(p.name),
            self.text(p.kana),
            self.text(p.address),
            self.extra_field(i, 7),
        ];
        let mut folded: [Option<String>; 4] = Default::default();
        words.iter().filter(|w| w.needs_verifying()).all(|w| {
            (0..fields.len()).any(|f| {
                let text = folded[f].get_or_insert_with(|| fold(fields[f]));
                w.found_in(text)
            })
        })
    }

    /// The relevance tier of entry `i` for `words`: 0 its name or kana is
    /// the text, 1 starts with it, 2 contains every word, 3 the words are
    /// only in the address or 診療科目. The tags of the text lists rule
    /// out tiers 0–2 before any folding.
    fn tier(&self, i: u32, words: &[Word], text_lists: &[List]) -> u8 {
        if words.is_empty()
            || !text_lists
                .iter()
                .all(|l| l.find(i).is_some_and(|v| v & 1 == 1))
        {
            return 3;
        }
        let p = &self.entries[i as usize];
        let names = [fold(self.text(p.name)), fold(self.text(p.kana))];
        // Tiers 0 and 1 only for the words `ranked` walks them for: one
        // word of two characters or more, not a number (a number's prefix
        // would be "12" in "123").
        if let [word] = words {
            let w = word.folded.as_str();
            let ranks_prefix = !word.whole_number && w.chars().nth(1).is_some();
            if ranks_prefix && names.iter().any(|n| n == w) {
                return 0;
            }
            if ranks_prefix && names.iter().any(|n| n.starts_with(w)) {
                return 1;
            }
        }
        if words.iter().all(|w| names.iter().any(|n| w.found_in(n))) {
            2
        } else {
            3
        }
    }

    pub fn search(&self, q: &Query) -> Page {
        let limit = q.limit.clamp(1, 200);
        let wanted = q.offset + limit + 1;
        let words = words_of(q.text.as_deref());
        let only: Option<Vec<u32>> = q.ids.as_ref().map(|ids| {
            let mut v: Vec<u32> = ids.iter().filter_map(|id| self.by_id.get(*id)).collect();
            v.sort_unstable();
            v.dedup();
            v
        });
        // "Any of these" filters: one sorted list each, borrowed when it is
        // one list, merged only when it must be.
        let union = union_of;
        let specialities = (!q.specialities.is_empty()).then(|| {
            union(
                q.specialities
                    .iter()
                    .filter_map(|c| self.by_speciality.get(c))
                    .collect(),
            )
        });
        let within = q.within.as_ref().map(|(codes, ids)| {
            let mut v: Vec<u32> = codes
                .iter()
                .filter_map(|c| self.by_municipality.get(c))
                .flatten()
                .copied()
                .chain(ids.iter().filter_map(|id| self.by_id.get(*id)))
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        });
        // Several kinds ("medical": hundreds of thousands of entries) are
        // checked entry by entry through the packed kind when another list
        // (or the R-tree, for a near search) gives the candidates; merged
        // into one list only when nothing else does. One kind is its list.
        let kind_lists: Vec<&Vec<u32>> =
            q.kinds.iter().filter_map(|k| self.by_kind.get(k)).collect();
        let others: Vec<&[u32]> = [specialities.as_deref(), within.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let other_candidates = q.near.is_some()
            || self
                .lists(q, &words, only.as_deref(), &others)
                .is_none_or(|l| !l.all.is_empty());
        let check_kinds = kind_lists.len() > 1 && other_candidates;
        let kinds = (!q.kinds.is_empty() && !check_kinds).then(|| union(kind_lists));
        let interned = |codes: &[String]| -> Vec<u16> {
            codes
                .iter()
                .filter_map(|k| self.names.iter().position(|n| n == k))
                .map(|p| p as u16)
                .collect()
        };
        let checks = Checks {
            kinds: if check_kinds {
                interned(&q.kinds)
            } else {
                Vec::new()
            },
            specialities: interned(&q.specialities),
        };
        let unions: Vec<&[u32]> = others.into_iter().chain(kinds.as_deref()).collect();
        let Some(lists) = self.lists(q, &words, only.as_deref(), &unions) else {
            return Page {
                items: Vec::new(),
                next_offset: None,
                next_after: None,
                total: 0,
                total_exact: true,
            };
        };
        let mut hits: Vec<(u32, Option<f64>, u8)> = Vec::with_capacity(wanted.min(1024));
        // Near searches that look at every candidate count them exactly as
        // they go; the others count separately.
        let mut counted: Option<usize> = None;
        match q.near {
            None => self.ranked(q, &words, &checks, &lists, wanted, &mut hits),
            Some((lat, lon)) => {
                let radius = q.radius_km.unwrap_or(f64::INFINITY);
                let origin = unit_xyz(lat, lon);
                let chord_limit = if radius.is_finite() {
                    let c = 2.0
                        * (radius / (2.0 * EARTH_KM))
                            .min(std::f64::consts::FRAC_PI_2)
                            .sin();
                    c * c
                } else {
                    f64::INFINITY
                };
                let km = |d2: f64| 2.0 * EARTH_KM * (d2.sqrt() / 2.0).min(1.0).asin();
                let origin_in_tree = [origin[0] as f32, origin[1] as f32, origin[2] as f32];
                let nearest_first = |mut found: Vec<(u32, f64)>, hits: &mut Vec<_>| {
                    if found.len() > wanted {
                        found.select_nth_unstable_by(wanted, |a, b| a.1.total_cmp(&b.1));
                        found.truncate(wanted);
                    }
                    found.sort_by(|a, b| a.1.total_cmp(&b.1));
                    hits.extend(found.into_iter().map(|(i, d2)| (i, Some(km(d2)), 3)));
                };
                match lists.all.split_first() {
                    // A short list: every candidate's distance (cheap, and
                    // outside the radius nothing else needs checking).
                    Some((first, others))
                        if first.len() < SCAN_CANDIDATES_BELOW
                            || (!radius.is_finite() && first.len() < RANK_CANDIDATES_BELOW) =>
                    {
                        let found: Vec<(u32, f64)> = first
                            .positions_from(0)
                            .filter_map(|i| {
                                let (la, lo) = self.position(i)?;
                                let p = unit_xyz(la, lo);
                                let d2 = (p[0] - origin[0]).powi(2)
                                    + (p[1] - origin[1]).powi(2)
                                    + (p[2] - origin[2]).powi(2);
                                (d2 <= chord_limit).then_some((i, d2))
                            })
                            .filter(|(i, _)| self.matches(*i, others, &words, q, &checks))
                            .collect();
                        counted = Some(found.len());
                        nearest_first(found, &mut hits);
                    }
                    // A radius over a long list: what the R-tree holds
                    // within it, every one checked, so the total is exact.
                    _ if radius <= RANGE_QUERY_KM => {
                        let found: Vec<(u32, f64)> = self
                            .tree
                            .locate_within_distance(origin_in_tree, chord_limit as f32)
                            .filter(|p| self.matches(p.idx, &lists.all, &words, q, &checks))
                            .map(|p| (p.idx, f64::from(p.distance_2(&origin_in_tree))))
                            .collect();
                        counted = Some(found.len());
                        nearest_first(found, &mut hits);
                    }
                    // No radius, or a wide one: walk outwards until the
                    // page is full (the total is then estimated).
                    _ => {
                        for (p, d2) in self
                            .tree
                            .nearest_neighbor_iter_with_distance_2(&origin_in_tree)
                        {
                            let d2 = f64::from(d2);
                            if d2 > chord_limit {
                                break;
                            }
                            if self.matches(p.idx, &lists.all, &words, q, &checks) {
                                hits.push((p.idx, Some(km(d2)), 3));
                                if hits.len() >= wanted {
                                    break;
                                }
                            }
                        }
                    }
                }
            }
        }
        let (total, total_exact) = match counted {
            Some(n) => (n, true),
            // The page did not fill: every match is in hand.
            None if hits.len() < wanted && q.after.is_none() => (hits.len(), true),
            None => {
                let (n, exact) = self.count(q, &words, &checks, &lists.all);
                // An estimate is never below what is in hand.
                (n.max(hits.len().min(q.offset + limit)), exact)
            }
        };
        let next_offset = (hits.len() > q.offset + limit).then_some(q.offset + limit);
        let next_after = if q.near.is_none() && next_offset.is_some() {
            hits.get(q.offset + limit - 1).map(|(i, _, tier)| Cursor {
                tier: *tier,
                position: *i,
            })
        } else {
            None
        };
        let items = hits
            .into_iter()
            .skip(q.offset)
            .take(limit)
            .map(|(i, d, _)| Hit {
                entry: self.entry(i),
                distance_km: d,
            })
            .collect();
        Page {
            items,
            next_offset,
            next_after,
            total,
            total_exact,
        }
    }

    /// A search without `near`, by relevance: tier by tier (see
    /// [`Index::tier`]), each in index (kana) order, stopping as soon as the
    /// page is full. Tiers 0 and 1 walk only the entries whose name or kana
    /// starts like the text.
    fn ranked(
        &self,
        q: &Query,
        words: &[Word],
        checks: &Checks,
        lists: &Lists,
        wanted: usize,
        hits: &mut Vec<(u32, Option<f64>, u8)>,
    ) {
        let starts: Option<List> = match words {
            [word] if !word.whole_number => {
                let mut chars = word.folded.chars();
                match (chars.next(), chars.next()) {
                    (Some(a), Some(b)) => Some(List::plain(
                        self.name_starts.get(&(a, b)).map_or(&[], |l| l),
                    )),
                    _ => None,
                }
            }
            _ => None,
        };
        let tiers: &[u8] = match (words.is_empty(), starts.is_some()) {
            (true, _) => &[3],
            (false, true) => &[0, 1, 2, 3],
            (false, false) => &[2, 3],
        };
        let (from_tier, from_position) = q
            .after
            .map_or((0, 0), |c| (c.tier, c.position.saturating_add(1)));
        for &tier in tiers.iter().filter(|t| **t >= from_tier) {
            let start = if tier == from_tier { from_position } else { 0 };
            let (candidates, others): (Box<dyn Iterator<Item = u32>>, &[List]) =
                match (tier, starts, lists.all.split_first()) {
                    (0 | 1, Some(starts), _) => {
                        (Box::new(starts.positions_from(start)), &lists.all)
                    }
                    (_, _, Some((first, others))) => {
                        (Box::new(first.positions_from(start)), others)
                    }
                    (_, _, None) => (Box::new(start..self.entries.len() as u32), &[]),
                };
            for i in candidates {
                if self.tier(i, words, &lists.text) == tier
                    && self.matches(i, others, words, q, checks)
                {
                    hits.push((i, None, tier));
                    if hits.len() >= wanted {
                        return;
                    }
                }
            }
        }
    }

    /// How many entries match `q`: exactly while that is cheap (a short
    /// candidate list), otherwise estimated from an even sample of the
    /// candidates (marked as an estimate). A search answers in about a
    /// millisecond, so the count may not read a prefecture's entries one by
    /// one, and text that must be verified (words of three characters and
    /// more) is folded for a few hundred candidates at most.
    fn count(&self, q: &Query, words: &[Word], checks: &Checks, lists: &[List]) -> (usize, bool) {
        let unfiltered = lists.is_empty()
            && checks.kinds.is_empty()
            && words.is_empty()
            && q.qualification.is_none()
            && q.contactable_at.is_none()
            && q.open_at.is_none()
            && !q.public
            && q.near.is_none();
        if unfiltered {
            return (self.live, true);
        }
        let radius = q.radius_km.unwrap_or(f64::INFINITY);
        let within = |i: u32| match q.near {
            None => true,
            Some(origin) => self
                .position(i)
                .is_some_and(|p| distance_km(origin, p) <= radius),
        };
        let verifies = words.iter().any(Word::needs_verifying);
        let exact_up_to = if verifies {
            COUNT_VERIFIED_EXACTLY
        } else {
            COUNT_EXACTLY
        };
        let population = lists.first().map_or(self.entries.len(), |l| l.len());
        if population <= exact_up_to && !lists.is_empty() {
            let n = intersection(lists)
                .filter(|i| within(*i) && self.matches(*i, &[], words, q, checks))
                .count();
            return (n, true);
        }
        // A sample of the first list (or of every position), each checked
        // against everything.
        let samples = if verifies {
            COUNT_VERIFIED_EXACTLY
        } else {
            COUNT_SAMPLE
        };
        let (first, others): (Option<&List>, &[List]) = match lists.split_first() {
            Some((first, others)) => (Some(first), others),
            None => (None, &[]),
        };
        // Positions drawn by a fixed xorshift sequence: an even stride
        // would line up with regular patterns in the data (every second
        // entry open on Mondays) and count all or none of them.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut scanned = 0usize;
        let mut matched = 0usize;
        for _ in 0..samples.min(population) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = (x % population as u64) as usize;
            let i = match first {
                Some(l) => l.key(l.values[k]),
                None => k as u32,
            };
            scanned += 1;
            if within(i) && self.matches(i, others, words, q, checks) {
                matched += 1;
            }
        }
        (matched * population / scanned.max(1), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_changes_leaves_the_index_a_build_would_make() {
        let mut index = index();
        let mut edited = index.get(EntryId(1)).expect("entry 1");
        edited.name = "みどり訪問看護 本店".into();
        edited.acceptance = "full".into();
        edited.services = vec!["130".into(), "110".into()];
        let added = entry(
            10,
            "あいうえ薬局",
            "あいうえやっきょく",
            "pharmacy",
            &[],
            Some((35.6, 139.7)),
            "accepting",
        );
        index.apply_batch(&[
            (EntryId(1), Some(edited.clone())),
            (EntryId(3), None),
            (EntryId(10), Some(added.clone())),
            (EntryId(99), None),
        ]);
        let mut rest: Vec<Entry> = [2, 4]
            .iter()
            .filter_map(|i| index.get(EntryId(*i)))
            .collect();
        rest.extend([edited, added]);
        let built = Index::build(rest);
        index.compact();
        let queries = [
            Query {
                text: Some("訪問看護".into()),
                ..Query::default()
            },
            Query {
                text: Some("本店".into()),
                ..Query::default()
            },
            Query {
                service: Some("110".into()),
                ..Query::default()
            },
            Query {
                accepting: true,
                ..Query::default()
            },
            Query {
                kind: Some("pharmacy".into()),
                ..Query::default()
            },
            Query {
                near: Some((35.6, 139.7)),
                ..Query::default()
            },
        ];
        for q in queries {
            let q = Query { limit: 20, ..q };
            let ids = |i: &Index| -> Vec<EntryId> {
                i.search(&q).items.into_iter().map(|h| h.entry.id).collect()
            };
            assert_eq!(ids(&index), ids(&built), "{q:?}");
        }
        assert_eq!(index.len(), 4);
    }

    #[test]
    fn an_edit_keeps_in_place_what_did_not_change() {
        let mut index = index();
        let (arena, pool, sessions) = (
            index.arena.len(),
            index.service_pool.len(),
            index.sessions.len(),
        );
        let before: Vec<Entry> = (1..=4).filter_map(|i| index.get(EntryId(i))).collect();
        // A re-import that gives every entry a new telephone number.
        let changes: Vec<(EntryId, Option<Entry>)> = before
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.phone = format!("{}9", e.phone);
                (e.id, Some(e))
            })
            .collect();
        index.apply_batch(&changes);
        let old_phones: usize = before.iter().map(|e| e.phone.len()).sum();
        // Only the new numbers are new text; codes and sessions stay.
        assert_eq!(index.arena.len(), arena + old_phones + before.len());
        assert_eq!(index.garbage, old_phones);
        assert_eq!(
            (index.service_pool.len(), index.sessions.len()),
            (pool, sessions)
        );
        let built = Index::build(changes.iter().filter_map(|(_, e)| e.clone()).collect());
        // The edited index answers as a build of the same entries does, and
        // holds every entry's fields, before and after compacting.
        let agrees_with_a_build = |index: &Index, when: &str| {
            let text = |t: &str| Query {
                text: Some(t.into()),
                limit: 20,
                ..Query::default()
            };
            let near = Query {
                near: Some((35.69, 139.77)),
                limit: 20,
                ..Query::default()
            };
            for q in [text("訪問看護"), text("あおば"), text("9"), near] {
                let ids = |i: &Index| -> Vec<EntryId> {
                    i.search(&q).items.into_iter().map(|h| h.entry.id).collect()
                };
                assert_eq!(ids(index), ids(&built), "{q:?} {when}");
            }
            for e in &before {
                let now = index.get(e.id).expect("still there");
                assert_eq!(
                    (now.phone, now.name, now.kana, now.address, now.services),
                    (
                        format!("{}9", e.phone),
                        e.name.clone(),
                        e.kana.clone(),
                        e.address.clone(),
                        e.services.clone()
                    ),
                    "{when}"
                );
            }
        };
        agrees_with_a_build(&index, "after the batch");
        // Compacting drops the old numbers and moves no entry: every list,
        // id and point stays where it was.
        let positions: Vec<Option<u32>> = before.iter().map(|e| index.by_id.get(e.id)).collect();
        index.compact();
        assert_eq!(
            (index.garbage, index.arena.len()),
            (0, arena + before.len())
        );
        assert_eq!(
            positions,
            before
                .iter()
                .map(|e| index.by_id.get(e.id))
                .collect::<Vec<_>>()
        );
        agrees_with_a_build(&index, "after compacting");
    }

    #[test]
    fn compacting_keeps_every_answer_and_drops_what_edits_left() {
        let searched = |index: &Index, text: &str| -> Vec<EntryId> {
            index
                .search(&Query {
                    text: Some(text.into()),
                    limit: 10,
                    ..Query::default()
                })
                .items
                .into_iter()
                .map(|h| h.entry.id)
                .collect()
        };
        let mut index = index();
        let before: Vec<Entry> = (1..=3).filter_map(|i| index.get(EntryId(i))).collect();
        // Edits leave their old text behind; a removal leaves a slot.
        for round in 0..50 {
            let mut e = before[0].clone();
            e.name = format!("みどり訪問看護ステーション{round}");
            e.features = "夜間も対応".repeat(round % 3);
            index.upsert(&e);
        }
        index.remove(EntryId(3));
        // A new entry goes after the others, out of kana order.
        index.upsert(&entry(
            10,
            "あいうえ訪問看護",
            "あいうえほうもんかんご",
            "visiting_nursing",
            &["130"],
            Some((35.69, 139.77)),
            "accepting",
        ));
        assert!(index.garbage > 0);
        // Positions: the new entry after the others.
        let positions = |index: &Index| -> Vec<Option<u32>> {
            [1, 2, 3, 4, 10]
                .iter()
                .map(|i| index.by_id.get(EntryId(*i)))
                .collect()
        };
        assert_eq!(
            positions(&index),
            vec![Some(3), Some(0), None, Some(2), Some(4)],
            "appended last"
        );
        let arena_before = index.arena.len();
        let answers: Vec<Vec<EntryId>> = ["ステーション49", "あおば", "さくら", "あいうえ"]
            .iter()
            .map(|t| searched(&index, t))
            .collect();
        // Entries compare by how they print (Entry has no PartialEq).
        let read_all = |index: &Index| -> Vec<String> {
            (1..=3)
                .map(|i| format!("{:?}", index.get(EntryId(i))))
                .collect()
        };
        let entries = read_all(&index);
        index.compact();
        assert_eq!(index.garbage, 0);
        // The arena holds the live entries' text and nothing else.
        let live_text: usize = index
            .entries
            .iter()
            .filter(|p| p.live)
            .map(|p| {
                p.text_len()
                    + index.windows
                        [p.windows.0 as usize..(p.windows.0 + p.windows.1 as u32) as usize]
                        .iter()
                        .map(|w| w.note.len as usize)
                        .sum::<usize>()
            })
            .sum();
        assert_eq!(index.arena.len(), live_text);
        assert!(index.arena.len() < arena_before);
        assert_eq!(
            ["ステーション49", "あおば", "さくら", "あいうえ"]
                .iter()
                .map(|t| searched(&index, t))
                .collect::<Vec<_>>(),
            answers
        );
        // Back in kana order, the removed entry's slot gone.
        assert_eq!(
            positions(&index),
            vec![Some(3), Some(1), None, Some(2), Some(0)]
        );
        assert_eq!(index.entries.len(), 4);
        assert_eq!(index.len(), 4);
        assert_eq!(read_all(&index), entries);
        assert_eq!(
            entries[1],
            format!("{:?}", Some(before[1].clone())),
            "an untouched entry reads as it was"
        );
        // Edits after compacting still work.
        let mut e = before[1].clone();
        e.name = "あおば訪問看護 新館".into();
        index.upsert(&e);
        assert_eq!(searched(&index, "新館"), vec![EntryId(2)]);
    }

    fn entry(
        id: i64,
        name: &str,
        kana: &str,
        kind: &str,
        services: &[&str],
        at: Option<(f64, f64)>,
        acceptance: &str,
    ) -> Entry {
        Entry {
            id: EntryId(id),
            name: name.into(),
            kana: kana.into(),
            kind: kind.into(),
            services: services.iter().map(|s| s.to_string()).collect(),
            address: "東京都千代田区".into(),
            municipality_code: "131016".into(),
            phone: String::new(),
            url: String::new(),
            lat: at.map(|p| p.0),
            lon: at.map(|p| p.1),
            acceptance: acceptance.into(),
            published: true,
            ..Entry::default()
        }
    }

    fn index() -> Index {
        Index::build(vec![
            entry(
                1,
                "みどり訪問看護ステーション",
                "みどりほうもんかんご",
                "visiting_nursing",
                &["130"],
                Some((35.68, 139.76)),
                "accepting",
            ),
            entry(
                2,
                "ｱｵﾊﾞ訪問看護",
                "あおばほうもんかんご",
                "visiting_nursing",
                &["130"],
                Some((35.70, 139.80)),
                "full",
            ),
            entry(
                3,
                "さくらヘルパー",
                "さくらへるぱー",
                "care_service",
                &["110"],
                Some((35.69, 139.77)),
                "accepting",
            ),
            entry(
                4,
                "座標なし訪問看護",
                "ざひょうなし",
                "visiting_nursing",
                &["130"],
                None,
                "accepting",
            ),
        ])
    }

    fn ids(index: &Index, q: Query) -> Vec<i64> {
        index
            .search(&Query { limit: 50, ..q })
            .items
            .iter()
            .map(|h| h.entry.id.0)
            .collect()
    }

    fn text(t: &str) -> Query {
        Query {
            text: Some(t.into()),
            ..Query::default()
        }
    }

    #[test]
    fn text_ranks_exact_then_prefix_then_name_then_address() {
        let mut in_sakura_town = entry(
            1,
            "あおば内科",
            "あおばないか",
            "clinic",
            &[],
            None,
            "unknown",
        );
        in_sakura_town.address = "さくら町1-2".into();
        let index = Index::build(vec![
            in_sakura_town,
            entry(
                2,
                "みなみさくら診療所",
                "みなみさくらしんりょうじょ",
                "clinic",
                &[],
                None,
                "unknown",
            ),
            entry(
                3,
                "さくら内科",
                "さくらないか",
                "clinic",
                &[],
                None,
                "unknown",
            ),
            entry(4, "さくら", "さくら", "clinic", &[], None, "unknown"),
            entry(
                5,
                "いろは医院",
                "いろはいいん",
                "clinic",
                &[],
                None,
                "unknown",
            ),
        ]);
        // Kana order alone would give 1, 5, 4, 3, 2.
        assert_eq!(ids(&index, text("さくら")), vec![4, 3, 2, 1]);
        // Kana matches rank like the name: サクラ (katakana) folds to さくら.
        assert_eq!(ids(&index, text("サクラ")), vec![4, 3, 2, 1]);
        // A keyset cursor walks the tiers in the same order, one by one.
        let mut after = None;
        let mut walked = Vec::new();
        loop {
            let page = index.search(&Query {
                text: Some("さくら".into()),
                after,
                limit: 1,
                ..Query::default()
            });
            walked.extend(page.items.iter().map(|h| h.entry.id.0));
            match page.next_after {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!(walked, vec![4, 3, 2, 1]);
        assert_eq!(
            "p2.7".parse::<Cursor>(),
            Ok(Cursor {
                tier: 2,
                position: 7
            })
        );
        assert!("p9.1".parse::<Cursor>().is_err());
    }

    #[test]
    fn one_character_and_number_words_find_names_that_start_with_them() {
        let index = Index::build(vec![
            entry(
                1,
                "眼科クリニック",
                "がんかくりにっく",
                "clinic",
                &[],
                None,
                "unknown",
            ),
            entry(
                2,
                "中央眼科",
                "ちゅうおうがんか",
                "clinic",
                &[],
                None,
                "unknown",
            ),
            entry(
                3,
                "123クリニック",
                "ひふみくりにっく",
                "clinic",
                &[],
                None,
                "unknown",
            ),
        ]);
        let mut found = ids(&index, text("眼"));
        found.sort();
        assert_eq!(
            found,
            vec![1, 2],
            "a name that starts with the one character too"
        );
        assert_eq!(index.search(&text("眼")).total, 2);
        assert_eq!(ids(&index, text("12")), Vec::<i64>::new(), "12 is not 123");
    }

    #[test]
    fn words_are_anded_and_numbers_match_whole() {
        let mut first = entry(
            1,
            "第1病院",
            "だいいちびょういん",
            "hospital",
            &[],
            None,
            "unknown",
        );
        first.address = "千代田区".into();
        let mut twelve = entry(
            2,
            "第12病院",
            "だいじゅうにびょういん",
            "hospital",
            &[],
            None,
            "unknown",
        );
        twelve.address = "港区".into();
        let mut circled = entry(
            3,
            "みどり①クリニック",
            "みどりくりにっく",
            "clinic",
            &[],
            None,
            "unknown",
        );
        circled.address = "千代田区".into();
        let index = Index::build(vec![first, twelve, circled]);
        // ① folds to 1 and finds only a whole 1, not the 1 of 12.
        let mut found = ids(&index, text("①"));
        found.sort();
        assert_eq!(found, vec![1, 3]);
        assert_eq!(ids(&index, text("12")), vec![2]);
        // Two words: both must be there, in any field.
        let mut found = ids(&index, text("千代田　病院"));
        found.sort();
        assert_eq!(found, vec![1]);
        assert_eq!(ids(&index, text("港区 クリニック")), Vec::<i64>::new());
    }

    #[test]
    fn edits_change_the_index_in_place() {
        let mut index = index();
        let before = index.len();
        // An edit: renamed, moved, now full, another service.
        let mut edited = entry(
            3,
            "つばさヘルパー",
            "つばさへるぱー",
            "care_service",
            &["120"],
            Some((35.0, 135.0)),
            "full",
        );
        edited.municipality_code = "271004".into();
        index.upsert(&edited);
        assert_eq!(index.len(), before);
        assert_eq!(ids(&index, text("さくら")), Vec::<i64>::new());
        assert_eq!(ids(&index, text("つばさ")), vec![3]);
        assert_eq!(
            ids(
                &index,
                Query {
                    service: Some("110".into()),
                    ..Query::default()
                }
            ),
            Vec::<i64>::new()
        );
        assert_eq!(
            ids(
                &index,
                Query {
                    service: Some("120".into()),
                    ..Query::default()
                }
            ),
            vec![3]
        );
        assert_eq!(
            ids(
                &index,
                Query {
                    municipality: Some("271004".into()),
                    ..Query::default()
                }
            ),
            vec![3]
        );
        assert!(!ids(
            &index,
            Query {
                accepting: true,
                ..Query::default()
            }
        )
        .contains(&3));
        let nearest = ids(
            &index,
            Query {
                near: Some((35.0, 135.0)),
                ..Query::default()
            },
        );
        assert_eq!(nearest.first(), Some(&3));
        // A new entry lists at once; a removed one is gone from every list.
        index.upsert(&entry(
            9,
            "新規訪問看護",
            "しんきほうもんかんご",
            "visiting_nursing",
            &["130"],
            Some((35.68, 139.76)),
            "accepting",
        ));
        assert_eq!(index.len(), before + 1);
        assert!(ids(&index, text("訪問看護")).contains(&9));
        index.remove(EntryId(1));
        assert_eq!(index.len(), before);
        assert!(!ids(&index, text("訪問看護")).contains(&1));
        assert!(!ids(
            &index,
            Query {
                near: Some((35.68, 139.76)),
                ..Query::default()
            }
        )
        .contains(&1));
        let all = index.search(&Query {
            limit: 50,
            ..Query::default()
        });
        assert_eq!((all.items.len(), all.total), (before, before));
        // The same index, built whole, answers the same.
        let rebuilt = Index::build(
            (0..index.entries.len() as u32)
                .filter(|i| index.entries[*i as usize].live)
                .map(|i| index.entry(i))
                .collect(),
        );
        for q in [
            text("訪問"),
            text("へるぱー"),
            Query {
                kind: Some("visiting_nursing".into()),
                ..Query::default()
            },
        ] {
            let mut a = ids(&index, q.clone());
            let mut b = ids(&rebuilt, q);
            a.sort();
            b.sort();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn variant_kanji_find_each_other() {
        let index = Index::build(vec![
            entry(
                1,
                "髙橋内科",
                "たかはしないか",
                "clinic",
                &[],
                None,
                "unknown",
            ),
            entry(
                2,
                "山崎医院",
                "やまざきいいん",
                "clinic",
                &[],
                None,
                "unknown",
            ),
        ]);
        let found = |text: &str| -> Vec<i64> {
            index
                .search(&Query {
                    text: Some(text.into()),
                    limit: 10,
                    ..Query::default()
                })
                .items
                .iter()
                .map(|h| h.entry.id.0)
                .collect()
        };
        assert_eq!(found("高橋"), vec![1]);
        assert_eq!(found("髙橋"), vec![1]);
        assert_eq!(found("山﨑"), vec![2]);
    }

    #[test]
    fn totals_are_exact_or_estimated_and_keyset_pages_reach_the_end() {
        let monday = renkei_domain::directory::Schedule {
            sessions: vec![renkei_domain::directory::Session {
                speciality: String::new(),
                day: 1,
                from: "09:00".into(),
                to: "12:00".into(),
            }],
            ..renkei_domain::directory::Schedule::default()
        }
        .weekly_hours(&[]);
        let entries: Vec<Entry> = (0..30_000)
            .map(|n| {
                let mut e = entry(
                    n,
                    &format!("診療所{n:05}"),
                    &format!("しんりょうじょ{n:05}"),
                    "clinic",
                    &[],
                    None,
                    "unknown",
                );
                if n % 2 == 0 {
                    e.weekly_hours = monday.clone();
                }
                e
            })
            .collect();
        let index = Index::build(entries);
        // Every entry: exact without scanning.
        let all = index.search(&Query {
            limit: 10,
            ..Query::default()
        });
        assert_eq!((all.total, all.total_exact), (30_000, true));
        // Open on a Monday morning: half, estimated from a sample.
        let open = index.search(&Query {
            kinds: vec!["clinic".into()],
            open_at: Some(LocalMoment {
                weekday: 1,
                minute: 600,
                week_of_month: 1,
                holiday: false,
            }),
            limit: 10,
            ..Query::default()
        });
        assert!(!open.total_exact);
        assert!((14_000..=16_000).contains(&open.total), "{}", open.total);
        // A text search of 120 matches: exact, and keyset pages of 50 reach
        // every one once, past where an offset would have to count.
        let q = Query {
            text: Some("診療所0001".into()),
            limit: 50,
            ..Query::default()
        };
        let first = index.search(&q);
        assert_eq!((first.total, first.total_exact), (10, true));
        let q = Query {
            kinds: vec!["clinic".into()],
            limit: 200,
            ..Query::default()
        };
        let mut seen = std::collections::HashSet::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = index.search(&Query { after, ..q.clone() });
            for h in &page.items {
                assert!(seen.insert(h.entry.id), "{:?} twice", h.entry.id);
            }
            pages += 1;
            match page.next_after {
                Some(a) => after = Some(a),
                None => break,
            }
        }
        assert_eq!((seen.len(), pages), (30_000, 150));
    }

    #[test]
    fn speciality_prefecture_kinds_and_open_at_filter() {
        use renkei_domain::directory::Session;
        let clinic =
            |id: i64, name: &str, prefecture: &str, specialities: &[&str], closed_sunday: bool| {
                let mut e = entry(
                    id,
                    name,
                    name,
                    "clinic",
                    &[],
                    Some((35.68, 139.76)),
                    "unknown",
                );
                e.prefecture_code = prefecture.into();
                e.specialities = specialities.iter().map(|s| s.to_string()).collect();
                e.departments = if specialities.contains(&"01001") {
                    "内科".into()
                } else {
                    "眼科".into()
                };
                e.weekly_hours = renkei_domain::directory::Schedule {
                    sessions: (1..=7)
                        .map(|day| Session {
                            speciality: String::new(),
                            day,
                            from: "09:00".into(),
                            to: "12:00".into(),
                        })
                        .collect(),
                    closed_weekdays: if closed_sunday { vec![7] } else { vec![] },
                    closed_on_holidays: true,
                    ..renkei_domain::directory::Schedule::default()
                }
                .weekly_hours(&e.specialities);
                e
            };
        // Internal medicine in the morning, orthopaedics (15001) in the
        // afternoon: "open now" for a speciality is its own sessions.
        let mut two_sessions = clinic(5, "ふたばクリニック", "13", &["01001", "15001"], false);
        let session = |speciality: &str, from: &str, to: &str| Session {
            speciality: speciality.into(),
            day: 1,
            from: from.into(),
            to: to.into(),
        };
        two_sessions.weekly_hours = renkei_domain::directory::Schedule {
            sessions: vec![
                session("01001", "09:00", "12:00"),
                session("15001", "14:00", "18:00"),
            ],
            closed_on_holidays: true,
            ..renkei_domain::directory::Schedule::default()
        }
        .weekly_hours(&two_sessions.specialities);
        let mut pharmacy = entry(
            4,
            "さくら薬局",
            "さくらやっきょく",
            "pharmacy",
            &[],
            None,
            "unknown",
        );
        pharmacy.prefecture_code = "13".into();
        let index = Index::build(vec![
            clinic(1, "みどりクリニック", "13", &["01001"], true),
            clinic(2, "あおば眼科", "13", &["05001"], false),
            clinic(3, "大阪内科", "27", &["01001"], false),
            pharmacy,
            two_sessions,
        ]);
        let ids = |q: Query| -> Vec<i64> {
            let mut v: Vec<i64> = index
                .search(&Query { limit: 50, ..q })
                .items
                .iter()
                .map(|h| h.entry.id.0)
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            ids(Query {
                specialities: vec!["01001".into()],
                ..Query::default()
            }),
            vec![1, 3, 5]
        );
        assert_eq!(
            ids(Query {
                specialities: vec!["01001".into()],
                prefecture: Some("13".into()),
                ..Query::default()
            }),
            vec![1, 5]
        );
        // 内科 as text finds the clinics that offer it, not only by name.
        assert_eq!(
            ids(Query {
                text: Some("内科".into()),
                ..Query::default()
            }),
            vec![1, 3, 5]
        );
        assert_eq!(
            ids(Query {
                kinds: vec!["pharmacy".into(), "hospital".into()],
                ..Query::default()
            }),
            vec![4]
        );
        let at = |weekday: u8, minute: u16, holiday: bool| LocalMoment {
            weekday,
            minute,
            week_of_month: 1,
            holiday,
        };
        // Monday 10:00: every clinic; the pharmacy has no hours, so it is
        // never "open now".
        assert_eq!(
            ids(Query {
                open_at: Some(at(1, 600, false)),
                ..Query::default()
            }),
            vec![1, 2, 3, 5]
        );
        // Monday 15:00: ふたば is open, but not for internal medicine.
        let afternoon = |specialities: &[&str]| {
            ids(Query {
                open_at: Some(at(1, 900, false)),
                specialities: specialities.iter().map(|s| s.to_string()).collect(),
                ..Query::default()
            })
        };
        assert_eq!(afternoon(&[]), vec![5]);
        assert_eq!(afternoon(&["01001"]), Vec::<i64>::new());
        assert_eq!(afternoon(&["15001"]), vec![5]);
        assert_eq!(afternoon(&["01001", "15001"]), vec![5]);
        assert_eq!(
            ids(Query {
                open_at: Some(at(1, 600, false)),
                specialities: vec!["15001".into()],
                ..Query::default()
            }),
            Vec::<i64>::new(),
            "orthopaedics is not open in the morning"
        );
        // Sunday 10:00: みどり closes on Sundays.
        assert_eq!(
            ids(Query {
                open_at: Some(at(7, 600, false)),
                ..Query::default()
            }),
            vec![2, 3]
        );
        // A holiday, and 13:00: all closed.
        assert!(ids(Query {
            open_at: Some(at(1, 600, true)),
            ..Query::default()
        })
        .is_empty());
        assert!(ids(Query {
            open_at: Some(at(1, 780, false)),
            ..Query::default()
        })
        .is_empty());
        // The entry keeps its specialities and prefecture through the index.
        let one = index.get(EntryId(1)).unwrap();
        assert_eq!(
            (
                one.specialities,
                one.prefecture_code.as_str(),
                one.departments.as_str()
            ),
            (vec!["01001".to_string()], "13", "内科")
        );
    }

    #[test]
    fn text_ignores_width_and_kana() {
        let idx = index();
        let ids = |q: &str| -> Vec<i64> {
            let mut v: Vec<i64> = idx
                .search(&Query {
                    text: Some(q.into()),
                    limit: 10,
                    ..Default::default()
                })
                .items
                .iter()
                .map(|h| h.entry.id.0)
                .collect();
            v.sort();
            v
        };
        assert_eq!(ids("訪問看護"), vec![1, 2, 4]);
        assert_eq!(
            ids("アオバ"),
            vec![2],
            "half-width name found by full-width katakana"
        );
        assert_eq!(ids("ﾐﾄﾞﾘ"), vec![1], "half-width query finds hiragana kana");
        assert_eq!(ids("ヘルパー"), vec![3]);
        assert_eq!(ids("存在しない"), Vec::<i64>::new());
        assert_eq!(
            ids("ご"),
            vec![1, 2],
            "one-character queries use the unigram lists"
        );
    }

    #[test]
    fn near_is_nearest_first_with_filters_and_radius() {
        let idx = index();
        let page = idx.search(&Query {
            near: Some((35.68, 139.76)),
            limit: 10,
            ..Default::default()
        });
        let ids: Vec<i64> = page.items.iter().map(|h| h.entry.id.0).collect();
        assert_eq!(
            ids,
            vec![1, 3, 2],
            "entries without coordinates are not placed"
        );
        assert!(page.items[0].distance_km.unwrap() < 0.01);
        let d = page
            .items
            .iter()
            .map(|h| h.distance_km.unwrap())
            .collect::<Vec<_>>();
        assert!(d.windows(2).all(|w| w[0] <= w[1]));
        let filtered = idx.search(&Query {
            near: Some((35.70, 139.80)),
            service: Some("130".into()),
            accepting: true,
            limit: 10,
            ..Default::default()
        });
        let unknown = idx.search(&Query {
            near: Some((35.70, 139.80)),
            service: Some("999".into()),
            limit: 10,
            ..Default::default()
        });
        assert!(unknown.items.is_empty());
        assert_eq!(
            filtered
                .items
                .iter()
                .map(|h| h.entry.id.0)
                .collect::<Vec<_>>(),
            vec![1]
        );
        let close = idx.search(&Query {
            near: Some((35.68, 139.76)),
            radius_km: Some(1.0),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(close.items.len(), 1);
        let text_near = idx.search(&Query {
            near: Some((35.70, 139.80)),
            text: Some("看護".into()),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(
            text_near
                .items
                .iter()
                .map(|h| h.entry.id.0)
                .collect::<Vec<_>>(),
            vec![2, 1]
        );
    }

    #[test]
    fn pages_follow_each_other() {
        let idx = index();
        let first = idx.search(&Query {
            limit: 2,
            ..Default::default()
        });
        assert_eq!(first.items.len(), 2);
        let next = first.next_offset.expect("more");
        let second = idx.search(&Query {
            limit: 2,
            offset: next,
            ..Default::default()
        });
        assert_eq!(second.items.len(), 2);
        assert!(second.next_offset.is_none());
        let all: Vec<i64> = first
            .items
            .iter()
            .chain(second.items.iter())
            .map(|h| h.entry.id.0)
            .collect();
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 4);
    }

    #[test]
    fn contactable_now_follows_the_windows_in_japan_time() {
        let window = |days: &[u8], from: &str, to: &str| ContactWindow {
            method: "phone".into(),
            weekdays: days.to_vec(),
            from: from.into(),
            to: to.into(),
            note: String::new(),
        };
        let mut lunch = entry(1, "昼の診療所", "ひる", "clinic", &[], None, "unknown");
        lunch.contact_windows = vec![window(&[1, 3], "13:00", "14:00")];
        let mut night = entry(
            2,
            "夜間の訪問看護",
            "よる",
            "visiting_nursing",
            &[],
            None,
            "unknown",
        );
        night.contact_windows = vec![window(&[5], "22:00", "06:00")];
        let none = entry(3, "窓口なし", "なし", "clinic", &[], None, "unknown");
        let idx = Index::build(vec![lunch, night, none]);
        let at = |weekday: u8, hhmm: u16| -> Vec<i64> {
            idx.search(&Query {
                contactable_at: Some((weekday, hhmm)),
                limit: 10,
                ..Default::default()
            })
            .items
            .iter()
            .map(|h| h.entry.id.0)
            .collect()
        };
        assert_eq!(at(1, 13 * 60 + 30), vec![1], "Monday 13:30");
        assert_eq!(at(1, 14 * 60), Vec::<i64>::new(), "the end is exclusive");
        assert_eq!(at(2, 13 * 60 + 30), Vec::<i64>::new(), "not on Tuesday");
        assert_eq!(at(5, 23 * 60), vec![2], "Friday night");
        assert_eq!(
            at(6, 5 * 60),
            vec![2],
            "Saturday 05:00 is still Friday's night window"
        );
        assert_eq!(at(6, 7 * 60), Vec::<i64>::new());
        // The windows come back unpacked as they were stored.
        let e = idx.get(EntryId(1)).unwrap();
        assert_eq!(e.contact_windows, vec![window(&[1, 3], "13:00", "14:00")]);
    }

    #[test]
    fn public_searches_respect_consent_and_field_visibility() {
        let mut open = entry(
            1,
            "公開する診療所",
            "こうかい",
            "clinic",
            &[],
            None,
            "accepting",
        );
        open.public_mask = public_mask_of("phone,acceptance,functions");
        open.functions = vec!["home_visit".into()];
        let mut private_acceptance = entry(
            2,
            "受入は非公開",
            "ひこうかい",
            "clinic",
            &[],
            None,
            "accepting",
        );
        private_acceptance.public_mask = public_mask_of("phone");
        private_acceptance.functions = vec!["home_visit".into()];
        let mut unpublished = entry(
            3,
            "掲載に同意なし",
            "どういなし",
            "clinic",
            &[],
            None,
            "accepting",
        );
        unpublished.published = false;
        let idx = Index::build(vec![open, private_acceptance, unpublished]);
        let ids = |q: Query| -> Vec<i64> {
            let mut v: Vec<i64> = idx.search(&q).items.iter().map(|h| h.entry.id.0).collect();
            v.sort();
            v
        };
        let public = |q: Query| Query {
            public: true,
            limit: 10,
            ..q
        };
        assert_eq!(
            ids(public(Query::default())),
            vec![1, 2],
            "no consent, not public"
        );
        assert_eq!(
            ids(public(Query {
                accepting: true,
                ..Default::default()
            })),
            vec![1],
            "filtering on a private field must not reveal it"
        );
        assert_eq!(
            ids(public(Query {
                function: Some("home_visit".into()),
                ..Default::default()
            })),
            vec![1]
        );
        assert_eq!(
            ids(Query {
                accepting: true,
                limit: 10,
                ..Default::default()
            }),
            vec![1, 2, 3],
            "professionals see everything"
        );
        let e = idx.get(EntryId(1)).unwrap();
        assert!(e.is_public("acceptance") && e.is_public("phone") && !e.is_public("fax"));
    }

    #[test]
    fn distance_is_great_circle() {
        // Tokyo station to Osaka station ≈ 403 km.
        let d = distance_km((35.681, 139.767), (34.702, 135.496));
        assert!((d - 403.0).abs() < 5.0, "{d}");
    }
}
