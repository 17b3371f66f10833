//! `renkei bench care-generate` and `renkei bench care`: the synthetic
//! prefecture, and in-process latency of the care hot paths (first
//! timeline page, "my unread", sustained post creation).

use std::sync::Arc;
use std::time::{Duration, Instant};

use renkei_care::model::{PostInput, TimelineQuery};
use renkei_care::synthetic::{self, Scale};
use renkei_care::{Care, CareConfig};
use renkei_domain::{OrgId, PatientId, Profession, RegionId, Role, SpaceId, Timestamp, UserId};
use renkei_identity::{Credential, Principal, RequestContext};
use renkei_store::Db;

const ROLES: &[&str] = &[
    "doctor",
    "nurse",
    "care_manager",
    "pharmacist",
    "care_worker",
    "therapist",
];
const ORGANISATIONS: i64 = 600;

fn principal(user: UserId) -> Principal {
    let n = user.0;
    Principal {
        user_id: user,
        username: format!("pro{n:05}"),
        display_name: format!("職員{n:05}"),
        role: Role::Professional,
        profession: ROLES[(n % 6) as usize].parse().unwrap_or(Profession::Other),
        region_id: Some(RegionId(1)),
        org_ids: vec![OrgId((n % ORGANISATIONS) + 1)],
        credential: Credential::Session {
            csrf_token: String::new(),
        },
        mfa_enabled: true,
        is_demo: false,
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        source_addr: "127.0.0.1".into(),
        user_agent: "renkei bench care".into(),
    }
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub(crate) fn summary(label: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "| {label} | {} | {:.2} | {:.2} | {:.2} |",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(0.0)
    );
}

pub async fn generate(
    db: &Db,
    scale: Scale,
    seed: u64,
    sample_out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let hash = renkei_identity::password::hash(synthetic::BENCH_PASSWORD).await?;
    let g = synthetic::generate(db, scale, seed, &hash, Timestamp::now()).await?;
    println!(
        "generated in {:.1} s: {} professionals, {} patients, {} team members, {} posts, {} read receipts",
        started.elapsed().as_secs_f64(),
        g.users,
        g.patients,
        g.members,
        g.posts,
        g.receipts
    );
    println!(
        "sample user {} is on {} teams",
        g.sample_username,
        g.sample_patients.len()
    );
    if let Some(path) = sample_out {
        let ids: Vec<String> = g.sample_patients.iter().map(|i| i.to_string()).collect();
        std::fs::write(path, format!("{}\n{}\n", g.sample_username, ids.join(" ")))?;
    }
    Ok(())
}

/// A generated patient's team: its space and its members' user ids.
async fn team_of(db: &Db, patient: i64) -> anyhow::Result<(SpaceId, Vec<UserId>)> {
    Ok(synthetic::team(db, PatientId(patient)).await?)
}

pub async fn measure(
    db: &Db,
    samples: usize,
    seconds: u64,
    concurrency: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let care = Care::new(
        db.clone(),
        Arc::new(renkei_mail::CapturingMailer::default()),
        CareConfig::default(),
    );
    let (patients, users) = synthetic::counts(db).await?;
    anyhow::ensure!(
        patients > 0,
        "no patients: run `renkei bench care-generate` first"
    );
    let mut rng = renkei_domain::seeded::Rng::new(seed);
    let mut next = move |n: i64| rng.below(n as u64) as i64 + 1;
    println!("| path | samples | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");

    // First timeline page, as a random member of a random patient's team.
    let mut ms = Vec::with_capacity(samples);
    for _ in 0..samples {
        let p = next(patients);
        let (space, team) = team_of(db, p).await?;
        let user = team[(next(team.len() as i64) - 1) as usize];
        let t = Instant::now();
        let v = care
            .timeline(
                &principal(user),
                &ctx(),
                space,
                TimelineQuery::default(),
                Timestamp::now(),
            )
            .await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(!v.posts.is_empty(), "patient {p} has no posts");
    }
    summary(
        "first timeline page (20 posts, receipts written, audited)",
        ms,
    );

    // "My unread across all my patients".
    let mut ms = Vec::with_capacity(samples);
    let mut teams = 0usize;
    for _ in 0..samples {
        let u = UserId(next(users.max(1)));
        let t = Instant::now();
        let cards = care.my_spaces(&principal(u), &ctx()).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        teams += cards.len();
    }
    summary(
        &format!(
            "my unread across my patients (avg {:.1} teams)",
            teams as f64 / samples as f64
        ),
        ms,
    );

    // Sustained post creation: `concurrency` writers for `seconds`.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut handles = Vec::new();
    for w in 0..concurrency {
        let care = care.clone();
        let db = db.clone();
        let mut rng = renkei_domain::seeded::Rng::new(seed ^ (w as u64 + 1));
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let p = rng.below(patients as u64) as i64 + 1;
                let (space, team) = team_of(&db, p).await?;
                let user = team[rng.below(team.len() as u64) as usize];
                n += 1;
                let input = PostInput {
                    category: "vitals".into(),
                    body: "訪問時バイタル。著変なし。".into(),
                    vitals: renkei_domain::care::Vitals {
                        temperature: Some(36.5),
                        pulse: Some(72.0),
                        ..Default::default()
                    },
                    idempotency_key: format!("bench-{w}-{n:012}"),
                    ..Default::default()
                };
                let t = Instant::now();
                care.post(
                    &principal(user),
                    &ctx(),
                    space,
                    input,
                    Vec::new(),
                    Timestamp::now(),
                )
                .await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(lat)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let count = all.len();
    summary(
        &format!("post creation, {concurrency} writers (group commit)"),
        all,
    );
    println!();
    println!(
        "posts created: {count} in {elapsed:.1} s = **{:.0} posts/s** sustained",
        count as f64 / elapsed
    );
    Ok(())
}
