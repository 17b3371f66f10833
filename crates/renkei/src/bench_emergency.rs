//! `renkei bench emergency`: in-process latency of opening a card's link
//! (the sheet an ambulance crew reads: the token's lookup, the opening
//! kept, the audit record, the freshness judged), against a baseline read
//! measured in the same run, on a fresh database of `records` residents
//! with a card each.

use std::sync::Arc;
use std::time::Instant;

use renkei_care::{Care, CareConfig};
use renkei_directory::live::LiveIndex;
use renkei_directory::service::{Directory, DirectoryConfig};
use renkei_domain::{Profession, RegionId, Role, Timestamp, UserId};
use renkei_emergency::model::RecordInput;
use renkei_emergency::Emergency;
use renkei_identity::{Actor, Credential, Identity, IdentityConfig, NewMunicipality, NewUser};
use renkei_identity::{Principal, RequestContext};
use renkei_store::Db;

use crate::bench_care::summary;

fn ctx() -> RequestContext {
    RequestContext {
        source_addr: "127.0.0.1".into(),
        user_agent: "renkei bench emergency".into(),
    }
}

pub async fn measure(
    db: &Db,
    records: usize,
    samples: usize,
    seed: u64,
    town: usize,
) -> anyhow::Result<()> {
    let identity = Identity::new(db.clone(), IdentityConfig::default());
    anyhow::ensure!(
        identity.is_empty().await?,
        "bench emergency writes into an empty database only; point RENKEI_DATABASE_URL at a new one"
    );
    let cli = Actor::Cli {
        os_user: "bench".into(),
    };
    let region = identity
        .create_region(&cli, "bench", "ベンチ圏域", false, &ctx())
        .await?;
    identity
        .create_municipality(
            &cli,
            &NewMunicipality {
                region_id: Some(region),
                code: "99201".into(),
                name: "ベンチ市".into(),
                kana: String::new(),
                population: None,
            },
            &ctx(),
        )
        .await?;
    let desk_id = identity
        .create_user(
            &cli,
            &NewUser {
                region_id: Some(region),
                username: "bench-desk".into(),
                display_name: "窓口".into(),
                email: String::new(),
                role: "coordinator".into(),
                profession: "coordinator".into(),
                password: "bench-password-2026".into(),
                ..Default::default()
            },
            &ctx(),
        )
        .await?;
    let desk = Principal {
        user_id: UserId(desk_id),
        username: "bench-desk".into(),
        display_name: "窓口".into(),
        role: Role::Coordinator,
        profession: Profession::Coordinator,
        region_id: Some(RegionId(region)),
        org_ids: Vec::new(),
        credential: Credential::Session {
            csrf_token: String::new(),
        },
        mfa_enabled: true,
        is_demo: false,
    };
    let mail = Arc::new(renkei_mail::CapturingMailer::default());
    let care = Care::new(db.clone(), mail.clone(), CareConfig::default());
    let directory = Directory::new(
        db.clone(),
        LiveIndex::empty(),
        mail.clone(),
        DirectoryConfig::default(),
    );
    let transitions = renkei_transitions::Transitions::new(db.clone(), care.clone(), directory);
    let emergency = Emergency::new(db.clone(), care, transitions, mail, "http://127.0.0.1");

    // The code as identity stored it (with its check digit).
    let city = emergency
        .municipalities(RegionId(region))
        .await?
        .first()
        .map(|(c, _)| c.clone())
        .ok_or_else(|| anyhow::anyhow!("no municipality"))?;
    let started = Instant::now();
    let now = Timestamp::now();
    let mut tokens = Vec::with_capacity(records);
    for n in 0..records {
        let input = RecordInput {
            name: format!("住民 {n:06}"),
            kana: format!("じゅうみん {n:06}"),
            birth_date: "1940-01-01".into(),
            address: format!("ベンチ市 本町{n}"),
            municipality_code: city.clone(),
            family_doctor: "ベンチ診療所".into(),
            diseases: "高血圧\n慢性心不全".into(),
            medicines: "アムロジピン錠5mg 1錠 朝\nフロセミド錠20mg 1錠 朝".into(),
            allergies: "ペニシリン系".into(),
            contacts: "長女 090-0000-0000".into(),
            devices: if n % 5 == 0 {
                vec!["oxygen".into()]
            } else {
                vec![]
            },
            lives_alone: n % 3 == 0,
            ..RecordInput::default()
        };
        let id = emergency.create_record(&desk, &ctx(), &input, now).await?;
        emergency.verify(&desk, &ctx(), id, now).await?;
        tokens.push(
            emergency
                .create_link(&desk, &ctx(), id, false, now)
                .await?
                .token,
        );
    }
    println!(
        "{records} residents with a verified record and a card each, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("| path | samples | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");

    let mut rng = renkei_domain::seeded::Rng::new(seed);
    // Baseline: one indexed read through a service (the region's
    // municipalities), the floor of any request that reads the database.
    let mut base = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        let m = emergency.municipalities(RegionId(region)).await?;
        base.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(m.len() == 1);
    }
    let base_p50 = median(&base);
    summary("baseline: one indexed read (municipalities)", base);

    let crew = RequestContext {
        source_addr: "198.51.100.1".into(),
        user_agent: "renkei bench emergency (crew)".into(),
    };
    let mut open = Vec::with_capacity(samples);
    for _ in 0..samples {
        let token = &tokens[rng.below(tokens.len() as u64) as usize];
        let t = Instant::now();
        let sheet = emergency.open_link(token, &crew, Timestamp::now()).await?;
        open.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(sheet.freshness.is_current());
    }
    let open_p50 = median(&open);
    summary(
        "open a card's link (lookup, opening kept, audited, freshness)",
        open,
    );

    let mut wrong = Vec::with_capacity(samples);
    for n in 0..samples {
        let token = format!("{:0>43}", n);
        let t = Instant::now();
        let r = emergency.open_link(&token, &crew, Timestamp::now()).await;
        wrong.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(r.is_err());
    }
    summary("a wrong token (lookup, not found)", wrong);
    println!(
        "\nopen a card's link p50 = {:.1} × the baseline read's p50",
        open_p50 / base_p50.max(1e-9)
    );
    if town > 0 {
        disaster_list(db, &emergency, &desk, &city, town).await?;
    }
    Ok(())
}

/// A second municipality of `town` residents with a record each, written
/// in bulk; its disaster list (the desk's, on screen) timed from the
/// service call to the print view's HTML and the CSV, five times.
async fn disaster_list(
    db: &Db,
    emergency: &Emergency,
    desk: &Principal,
    city: &str,
    town: usize,
) -> anyhow::Result<()> {
    use renkei_emergency::model::{DisasterScope, DisasterUse};
    let region = desk.region_id.ok_or_else(|| anyhow::anyhow!("no region"))?;
    let started = Instant::now();
    // The card residents above live in the same municipality; the town's
    // list is cut by its own areas, so both are counted.
    let on_list = renkei_emergency::synthetic::residents(
        db,
        region,
        city,
        desk.user_id,
        town,
        Timestamp::now(),
    )
    .await?;
    println!(
        "\na town of {town} residents with a record each ({on_list} on the disaster list), written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("| disaster list of the municipality | residents listed | service ms | + print HTML ms | + CSV ms | total ms |");
    println!("|---|---|---|---|---|---|");
    let scope = DisasterScope {
        municipality: city.to_string(),
        area: String::new(),
    };
    let mut totals = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let list = emergency
            .disaster_list(desk, &ctx(), &scope, DisasterUse::Screen)
            .await?;
        let service = t.elapsed().as_secs_f64() * 1000.0;
        let listed = list.lines.len();
        let csv_list = list.clone();
        let t2 = Instant::now();
        let html = renkei_emergency_web::pages::print_html(list, "ベンチ市".into(), String::new())?;
        let print = t2.elapsed().as_secs_f64() * 1000.0;
        let t3 = Instant::now();
        let csv = renkei_emergency::export::disaster_csv(&csv_list)?;
        let csv_ms = t3.elapsed().as_secs_f64() * 1000.0;
        let total = t.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(html.len() > listed && csv.len() > listed);
        println!("| run | {listed} | {service:.0} | {print:.0} | {csv_ms:.0} | {total:.0} |");
        totals.push(total);
    }
    println!(
        "\ndisaster list of a {town}-resident town: median {:.0} ms end to end (target < 1000 ms)",
        median(&totals)
    );
    Ok(())
}

fn median(ms: &[f64]) -> f64 {
    let mut v = ms.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    crate::bench_care::percentile(&v, 0.5)
}
