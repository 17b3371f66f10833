//! A synthetic prefecture for the care benchmarks: professionals in
//! organisations, patients under consent in teams averaging six members,
//! and millions of posts (10 % with vital signs, 1 % urgent) with read
//! receipts, written straight into care's tables in large batches; the
//! region, its organisations and the professionals are identity's, written by
//! `renkei_identity::seed`. Deterministic per seed. Only the benchmarks call
//! this (`renkei bench care-generate`, and `renkei bench populate` through
//! care's declared generator, [`populate`]), on an empty database.

use renkei_domain::care::{
    CareLevel, MemberStatus, PostCategory, PostKind, Sex, SpaceKind, TeamRole,
};
use renkei_domain::seeded::Rng;
use renkei_domain::text::fold;
use renkei_domain::{OrgKind, PatientId, Profession, RegionId, Role, SpaceId, Timestamp, UserId};
use renkei_identity::seed::{self, SeedOrganisation, SeedPerson, SeedRegion};
use renkei_store::{read, write, Backend, Db, StoreError, Tx};

use crate::store;

/// How big the prefecture is.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub organisations: i64,
    pub professionals: i64,
    pub patients: i64,
    pub members_per_team: i64,
    pub posts: i64,
}

impl Default for Scale {
    fn default() -> Self {
        Self {
            organisations: 600,
            professionals: 30_000,
            patients: 100_000,
            members_per_team: 6,
            posts: 5_000_000,
        }
    }
}

impl Scale {
    /// The default (a prefecture) times `factor`, never below what a team
    /// needs (six professionals, one patient, one post).
    pub fn times(factor: f64) -> Self {
        let full = Scale::default();
        let of = |n: i64, least: i64| ((n as f64 * factor).round() as i64).max(least);
        Self {
            organisations: of(full.organisations, 1),
            professionals: of(full.professionals, full.members_per_team),
            patients: of(full.patients, 1),
            members_per_team: full.members_per_team,
            posts: of(full.posts, 1),
        }
    }
}

/// The password of every generated professional (benchmarks sign in with it).
pub const BENCH_PASSWORD: &str = "a long bench password";

/// The synthetic prefecture at `factor` of the benchmark's size, every
/// professional's password being [`BENCH_PASSWORD`]: care's declared
/// synthetic-data generator (`renkei bench populate`).
pub async fn populate(
    db: &Db,
    factor: f64,
    seed: u64,
    now: Timestamp,
) -> Result<Generated, StoreError> {
    let hash = renkei_identity::password::hash(BENCH_PASSWORD)
        .await
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    generate(db, Scale::times(factor), seed, &hash, now).await
}

/// What was written, and one user the HTTP benchmark signs in as.
#[derive(Debug, Clone)]
pub struct Generated {
    pub users: i64,
    pub patients: i64,
    pub members: i64,
    pub posts: i64,
    pub receipts: i64,
    /// The generated region.
    pub region: RegionId,
    pub sample_username: String,
    pub sample_patients: Vec<PatientId>,
}

const TEXTS: &[&str] = &[
    "定期訪問。食事は7割、水分もとれています。",
    "入浴介助を実施。皮膚トラブルなし。",
    "服薬カレンダーを確認、飲み忘れなし。",
    "夜間の排泄はポータブルトイレで自立。",
    "デイサービスでの様子：レクリエーションに参加。",
    "家族より、最近よく眠れているとのこと。",
    "歩行器で室内移動、ふらつきなし。",
    "仙骨部の発赤は改善傾向。",
    "訪問リハ：立ち上がり練習10回。",
    "次回の担当者会議の日程を調整中です。",
];

/// Team role and profession of the professionals whose index is i mod 6.
const ROLES: &[(&str, Profession)] = &[
    ("attending_doctor", Profession::Doctor),
    ("visiting_nurse", Profession::Nurse),
    ("care_manager", Profession::CareManager),
    ("pharmacist", Profession::Pharmacist),
    ("helper", Profession::CareWorker),
    ("rehab", Profession::Therapist),
];

/// Rows per INSERT statement and statements per transaction.
const ROWS_PER_STATEMENT: usize = 250;
const ROWS_PER_TX: usize = 50_000;

async fn exec(tx: &mut Tx, sql: &str) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(sql).execute(&mut *c).await?;
    });
    Ok(())
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}"))
        .unwrap_or_else(|| "NULL".into())
}

/// Writes rows (already rendered as SQL tuples of numbers and quoted
/// literals from this module's own constants) into several tables through
/// one transaction at a time (SQLite has one writer), in batches.
struct Bulk<'a> {
    db: &'a Db,
    heads: Vec<String>,
    rows: Vec<Vec<String>>,
    written: Vec<i64>,
    tx: Option<Tx>,
    in_tx: usize,
}

impl<'a> Bulk<'a> {
    fn new(db: &'a Db, heads: &[&str]) -> Self {
        Self {
            db,
            heads: heads.iter().map(|h| h.to_string()).collect(),
            rows: heads
                .iter()
                .map(|_| Vec::with_capacity(ROWS_PER_STATEMENT))
                .collect(),
            written: heads.iter().map(|_| 0).collect(),
            tx: None,
            in_tx: 0,
        }
    }

    async fn push(&mut self, table: usize, row: String) -> Result<(), StoreError> {
        self.rows[table].push(row);
        if self.rows[table].len() >= ROWS_PER_STATEMENT {
            // Tables are listed parents first: their pending rows go in
            // before the rows that reference them.
            for t in 0..=table {
                self.flush(t).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, table: usize) -> Result<(), StoreError> {
        if self.rows[table].is_empty() {
            return Ok(());
        }
        if self.tx.is_none() {
            self.tx = Some(self.db.begin().await?);
        }
        let sql = format!(
            "{} VALUES {}",
            self.heads[table],
            self.rows[table].join(",")
        );
        if let Some(tx) = self.tx.as_mut() {
            exec(tx, &sql).await?;
        }
        self.in_tx += self.rows[table].len();
        self.written[table] += self.rows[table].len() as i64;
        self.rows[table].clear();
        if self.in_tx >= ROWS_PER_TX {
            // Rows of other tables may still wait; they only reference rows
            // already flushed (parents are pushed and flushed first).
            if let Some(tx) = self.tx.take() {
                tx.commit().await?;
            }
            self.in_tx = 0;
        }
        Ok(())
    }

    /// Flushes every table in order and commits; returns rows per table.
    async fn finish(mut self) -> Result<Vec<i64>, StoreError> {
        for t in 0..self.heads.len() {
            self.flush(t).await?;
        }
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(self.written)
    }
}

/// Generates the prefecture into an empty, migrated database, as of `now`
/// (the posts span the half year before it).
pub async fn generate(
    db: &Db,
    scale: Scale,
    seed: u64,
    password_hash: &str,
    now: Timestamp,
) -> Result<Generated, StoreError> {
    let mut rng = Rng::new(seed);
    let now = now.millis();
    let day = 86_400_000i64;
    let span = 180 * day;

    // The region, its organisations and its professionals belong to
    // identity, which writes them; care writes only its own tables.
    const KINDS: [OrgKind; 6] = [
        OrgKind::HomeCareSupportClinic,
        OrgKind::VisitingNursing,
        OrgKind::CareManagementOffice,
        OrgKind::Pharmacy,
        OrgKind::CareService,
        OrgKind::Clinic,
    ];
    let organisations: Vec<SeedOrganisation> = (1..=scale.organisations)
        .map(|o| SeedOrganisation {
            kind: KINDS[(o % 6) as usize],
            name: format!("事業所{o:04}"),
            kana: format!("じぎょうしょ{o:04}"),
        })
        .collect();
    // Professional u (1-based) works for organisation u % organisations.
    let people = (1..=scale.professionals).map(|u| SeedPerson {
        username: format!("pro{u:05}"),
        display_name: format!("職員{u:05}"),
        email: String::new(),
        role: Role::Professional,
        profession: ROLES[(u % ROLES.len() as i64) as usize].1,
        organisation: Some((u % scale.organisations) as usize),
    });
    let seeded = seed::bulk_people(
        db,
        SeedRegion {
            code: "bench",
            name: "負荷試験県",
        },
        &organisations,
        people,
        password_hash,
        Timestamp(now),
    )
    .await?;
    let region = seeded.region_id;
    let users_written = seeded.person_ids.len() as i64;
    let user_id = |u: i64| seeded.person_ids[(u - 1) as usize];
    let org_of = |u: i64| seeded.organisation_ids[(u % scale.organisations) as usize];

    // Teams: one professional per role, picked so each user lands in about
    // patients × members / professionals teams.
    let per_role = scale.professionals / ROLES.len() as i64;
    // Spaces and patients are flushed before the rows that reference them.
    let mut teams_bulk = Bulk::new(
        db,
        &[
            "INSERT INTO care_spaces (id, region_id, kind, created_by, created_at)",
            "INSERT INTO patients (id, space_id, region_id, registering_org_id, registered_by, name, kana, birth_date, sex, insured_number, care_level, created_at, updated_at)",
            "INSERT INTO care_consents (patient_id, covers_orgs, covers_professions, covers_family, obtained_on, obtained_by, recorded_by, recorded_at)",
            "INSERT INTO care_members (space_id, user_id, org_id, team_role, is_lead, status, invited_at, accepted_at, joined_after_post)",
        ],
    );
    let mut teams: Vec<[i64; 6]> = Vec::with_capacity(scale.patients as usize);
    let team_size = scale.members_per_team.clamp(2, 6) as usize;
    let mut sample = None;
    for p in 1..=scale.patients {
        let mut team = [0i64; 6];
        for (i, slot) in team.iter_mut().enumerate().take(team_size) {
            // Professionals whose index u has u % 6 == i hold role i.
            let k = rng.below(per_role as u64) as i64;
            *slot = k * ROLES.len() as i64 + i as i64;
            if *slot == 0 {
                *slot = ROLES.len() as i64;
            }
        }
        // `team` holds professionals' indices; the rows take their ids.
        let lead = user_id(team[2]);
        teams_bulk
            .push(
                0,
                format!(
                    "({p}, {region}, '{}', {lead}, {now})",
                    SpaceKind::Patient.code()
                ),
            )
            .await?;
        let level = [
            CareLevel::Care1,
            CareLevel::Care2,
            CareLevel::Care3,
            CareLevel::Care4,
            CareLevel::Care5,
            CareLevel::Support2,
        ][(p % 6) as usize]
            .code();
        teams_bulk
            .push(1, format!(
                "({p}, {p}, {region}, {}, {lead}, '患者{p:06}', 'かんじゃ{p:06}', '1940-01-01', '{}', '{:010}', '{level}', {now}, {now})",
                org_of(team[2]),
                if p % 2 == 0 { Sex::Female } else { Sex::Male }.code(),
                p
            ))
            .await?;
        let covered: Vec<String> = team[..team_size]
            .iter()
            .map(|u| org_of(*u).to_string())
            .collect();
        teams_bulk
            .push(
                2,
                format!(
                    "({p}, '[{}]', '[]', TRUE, '2026-04-01', 'bench', {lead}, {now})",
                    covered.join(",")
                ),
            )
            .await?;
        for (i, u) in team[..team_size].iter().enumerate() {
            teams_bulk
                .push(
                    3,
                    format!(
                        "({p}, {}, {}, '{}', {}, '{}', {now}, {now}, 0)",
                        user_id(*u),
                        org_of(*u),
                        ROLES[i].0,
                        if i == 2 { "TRUE" } else { "FALSE" },
                        MemberStatus::Active.code()
                    ),
                )
                .await?;
        }
        if sample.is_none() {
            sample = Some(team[0]);
        }
        // From here on, teams are kept as user ids.
        teams.push(team.map(|u| if u > 0 { user_id(u) } else { 0 }));
    }
    let written = teams_bulk.finish().await?;
    let (patients_written, members_written) = (written[1], written[3]);

    // Posts, oldest first, spread over half a year; one in twenty is a reply
    // to the patient's latest post. Each is read by its author and, except
    // the newest few per team, by one colleague.
    let mut posts = Bulk::new(
        db,
        &[
            "INSERT INTO care_posts (id, space_id, author_id, author_role, kind, category, body, search_text, temperature, \
             bp_systolic, bp_diastolic, pulse, spo2, has_vitals, urgent, ack_role, acked_by, acked_at, reply_to, created_at)",
            "INSERT INTO care_reads (post_id, user_id, read_at)",
        ],
    );
    let folded: Vec<String> = TEXTS.iter().map(|t| fold(t)).collect();
    // The newest top-level post of each patient: one post in twenty answers it.
    let mut last_top: Vec<i64> = vec![0; scale.patients as usize];
    for id in 1..=scale.posts {
        let p = rng.below(scale.patients as u64) as i64 + 1;
        let team = teams[(p - 1) as usize];
        let i = rng.below(team_size as u64) as usize;
        let author = team[i];
        let created = now - span + (span * id) / scale.posts;
        let parent = last_top[(p - 1) as usize];
        let reply_to = (parent > 0 && rng.below(20) == 0).then_some(parent);
        if reply_to.is_none() {
            last_top[(p - 1) as usize] = id;
        }
        let with_vitals = reply_to.is_none() && rng.below(10) == 0;
        let urgent = reply_to.is_none() && rng.below(100) == 0;
        let t = rng.below(TEXTS.len() as u64) as usize;
        let (temp, sys, dia, pulse, spo2) = if with_vitals {
            (
                Some(36.0 + rng.below(30) as f64 / 10.0),
                Some(110.0 + rng.below(50) as f64),
                Some(60.0 + rng.below(30) as f64),
                Some(60.0 + rng.below(40) as f64),
                Some(92.0 + rng.below(8) as f64),
            )
        } else {
            (None, None, None, None, None)
        };
        // Urgent posts of the last week are still open; older ones were
        // acknowledged by the team's doctor.
        let open = urgent && created > now - 7 * day;
        let (acked_by, acked_at) = if urgent && !open {
            (team[0].to_string(), (created + 1_800_000).to_string())
        } else {
            ("NULL".into(), "NULL".into())
        };
        posts
            .push(0, format!(
                "({id}, {p}, {author}, '{}', '{}', '{}', '{}', '{}', {}, {}, {}, {}, {}, {}, {}, '{}', {acked_by}, {acked_at}, {}, {created})",
                ROLES[i].0,
                PostKind::Post.code(),
                if with_vitals { PostCategory::Vitals } else { PostCategory::VisitReport }.code(),
                TEXTS[t],
                folded[t],
                opt(temp),
                opt(sys),
                opt(dia),
                opt(pulse),
                opt(spo2),
                if with_vitals { "TRUE" } else { "FALSE" },
                if urgent { "TRUE" } else { "FALSE" },
                if urgent { TeamRole::AttendingDoctor.code() } else { "" },
                reply_to.map_or_else(|| "NULL".to_string(), |r| r.to_string()),
            ))
            .await?;
        posts
            .push(1, format!("({id}, {author}, {created})"))
            .await?;
        if created < now - 2 * day {
            let other = team[(i + 1 + rng.below(team_size as u64 - 1) as usize) % team_size];
            posts
                .push(1, format!("({id}, {other}, {})", created + 3_600_000))
                .await?;
        }
    }
    let written = posts.finish().await?;
    let (posts_written, reads_written) = (written[0], written[1]);

    if db.backend() == Backend::Postgres {
        let mut tx = db.begin().await?;
        for table in [
            "care_spaces",
            "patients",
            "care_consents",
            "care_members",
            "care_posts",
        ] {
            exec(
                &mut tx,
                &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"),
            )
            .await?;
        }
        exec(&mut tx, "ANALYZE").await?;
        tx.commit().await?;
    } else {
        let mut tx = db.begin().await?;
        exec(&mut tx, "ANALYZE").await?;
        tx.commit().await?;
    }

    let sample_user = sample.unwrap_or(1);
    let sample_id = user_id(sample_user);
    let sample_patients: Vec<PatientId> = teams
        .iter()
        .enumerate()
        .filter(|(_, t)| t.contains(&sample_id))
        .map(|(i, _)| PatientId(i as i64 + 1))
        .collect();
    Ok(Generated {
        users: users_written,
        patients: patients_written,
        members: members_written,
        posts: posts_written,
        receipts: reads_written,
        region: RegionId(region),
        sample_username: format!("pro{sample_user:05}"),
        sample_patients,
    })
}

// ------------------------------------------------------------------ fixtures

/// The members' user ids of a generated patient's team and its space. A
/// benchmark fixture, like the generator: it reads the generated rows as
/// they are, not through the service's rules.
pub async fn team(db: &Db, patient: PatientId) -> Result<(SpaceId, Vec<UserId>), StoreError> {
    let space = store::patient(db, patient)
        .await?
        .ok_or(StoreError::NotFound)?
        .space_id;
    let members = store::members(db, space).await?;
    Ok((space, members.into_iter().map(|m| m.user_id).collect()))
}

/// (patients, people) in the database, from which the benchmark picks at
/// random (benchmark fixture).
pub async fn counts(db: &Db) -> Result<(i64, i64), StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM patients), (SELECT COUNT(*) FROM identity_people)",
        )
        .fetch_one(c)
        .await?
    }))
}
