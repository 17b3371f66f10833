//! `renkei bench search`: in-process search latency per query shape.

use std::time::Instant;

use renkei_directory::search::{Index, Query};
use renkei_directory::synthetic::{Rng, PREFECTURES};
use renkei_store::Db;

/// A memory figure of this process in MB (`VmRSS`, `VmHWM`, …).
fn status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

const WORDS: &[&str] = &[
    "訪問",
    "看護",
    "ケア",
    "さくら",
    "ﾍﾙﾊﾟｰ",
    "デイ",
    "ひまわり",
    "介護",
    "センター",
    "みどり",
    "あおぞら",
    "居宅",
];
const SERVICES: &[&str] = &["110", "130", "150", "430", "780", "170"];

pub async fn search(db: &Db, queries: usize, seed: u64) -> anyhow::Result<()> {
    let rss_before = rss_mb();
    let started = Instant::now();
    let mut entries = renkei_directory::live::current_entries(db).await?;
    let loaded = started.elapsed();
    // Imported data carries no acceptance status; mark a seeded third of the
    // entries "accepting" so the accepting filter has something to find, as
    // it will once providers keep their status up to date.
    let mut marks = Rng::new(seed ^ 0xACCE);
    let mut marked = 0;
    for e in entries.iter_mut() {
        if marks.below(3) == 0 {
            e.acceptance = "accepting".into();
            marked += 1;
        }
    }
    let index = Index::build(entries);
    let built = started.elapsed();
    println!("({marked} entries marked accepting for this benchmark)");
    println!(
        "index: {} entries, loaded in {:.2} s, built in {:.2} s, RSS {:.0} MB → {:.0} MB",
        index.len(),
        loaded.as_secs_f64(),
        (built - loaded).as_secs_f64(),
        rss_before,
        rss_mb()
    );
    let mut rng = Rng::new(seed);
    let point = |rng: &mut Rng| {
        let p = &PREFECTURES[rng.below(PREFECTURES.len() as u64) as usize];
        (
            p.lat + rng.signed_unit() * 0.3,
            p.lon + rng.signed_unit() * 0.3,
        )
    };
    println!("| query shape | queries | p50 ms | p99 ms | max ms | mean results |");
    println!("|---|---|---|---|---|---|");
    for shape in [
        "text only",
        "text + filter",
        "near + filter",
        "near + text + filter + accepting",
    ] {
        let mut times = Vec::with_capacity(queries);
        let mut results = 0usize;
        for _ in 0..queries {
            let text = Some(rng.pick(WORDS).to_string());
            let service = Some(rng.pick(SERVICES).to_string());
            let q = match shape {
                "text only" => Query {
                    text,
                    limit: 20,
                    ..Default::default()
                },
                "text + filter" => Query {
                    text,
                    service,
                    limit: 20,
                    ..Default::default()
                },
                "near + filter" => Query {
                    near: Some(point(&mut rng)),
                    service,
                    limit: 20,
                    ..Default::default()
                },
                _ => Query {
                    near: Some(point(&mut rng)),
                    text,
                    service,
                    accepting: true,
                    radius_km: Some(30.0),
                    limit: 20,
                    ..Default::default()
                },
            };
            let t = Instant::now();
            let page = index.search(&q);
            results += page.items.len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "| {shape} | {queries} | {:.3} | {:.3} | {:.3} | {:.1} |",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0),
            results as f64 / queries as f64
        );
    }
    Ok(())
}

fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// `renkei bench index`: the live index's build, in-place edits and snapshot.
pub async fn index(db: &Db, edits: usize, seed: u64) -> anyhow::Result<()> {
    use renkei_directory::live::LiveIndex;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("directory.index");
    let live = LiveIndex::new(Some(file.clone()));
    let started = Instant::now();
    let how = live.refresh(db, renkei_domain::Timestamp::now()).await?;
    println!(
        "full build ({how:?}): {} entries in {:.2} s, RSS {:.0} MB, peak {:.0} MB",
        live.len(),
        started.elapsed().as_secs_f64(),
        rss_mb(),
        peak_rss_mb()
    );
    // Entries to edit: the first page of random words at random offsets.
    let mut rng = Rng::new(seed);
    let mut ids = Vec::new();
    while ids.len() < edits {
        let page = live.search(&Query {
            text: Some(WORDS[rng.below(WORDS.len() as u64) as usize].to_string()),
            offset: rng.below(5_000) as usize,
            limit: 50,
            ..Query::default()
        });
        if page.items.is_empty() {
            continue;
        }
        ids.extend(page.items.iter().map(|h| h.entry.id));
    }
    ids.truncate(edits);
    let mut ms = Vec::with_capacity(ids.len());
    for id in &ids {
        let t = Instant::now();
        live.reindex(db, *id).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "edit put in place (read the entry, update the index): {} edits, median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(0.0)
    );
    let t = Instant::now();
    live.save_snapshot().await?;
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!(
        "snapshot written: {:.0} MB in {:.2} s",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    drop(live);
    let t = Instant::now();
    let restarted = LiveIndex::new(Some(file));
    let how = restarted
        .refresh(db, renkei_domain::Timestamp::now())
        .await?;
    println!(
        "start from the snapshot ({how:?}): {} entries in {:.2} s",
        restarted.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
