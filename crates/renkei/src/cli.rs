//! Command-line interface.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};
use renkei_directory::service::DirectoryError;
use renkei_domain::SystemClock;
use renkei_identity::{Actor, Identity, IdentityError, NewOrganisation, NewUser, RequestContext};
use renkei_store::audit::{self, anchor, Verification};
use renkei_store::{Db, DbOptions};

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "renkei",
    version,
    about = "Renkei (連携): home medical and care coordination platform / 在宅医療・介護連携推進事業のための基盤"
)]
pub struct Cli {
    /// Settings file (default: ./renkei.toml if present, or $RENKEI_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (default: SQLite at ./data/renkei.db, http://127.0.0.1:8080).
    Serve {
        /// Load the demo region into an empty database and mark every page DEMO.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organisations (事業所・機関).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage regions (連携圏域).
    #[command(subcommand)]
    Region(RegionCommand),
    /// Manage municipalities (市区町村).
    #[command(subcommand)]
    Municipality(MunicipalityCommand),
    /// Write a consistent copy of the SQLite database while the server runs
    /// (PostgreSQL: use pg_dump, see docs/operations.md).
    Backup {
        /// The new file to write.
        path: PathBuf,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import national open data into the resource directory.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export the resource directory.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Directory reference data.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Benchmark helpers (see docs/benchmarks.md).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Fill an empty database (RENKEI_DATABASE_URL) with every capability's
    /// synthetic data, in registration order: the directory's national
    /// files, care's prefecture. Deterministic per seed.
    Populate {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 1.0 = the benchmarks' size (national files, a prefecture); 0.01
        /// is a quick run.
        #[arg(long, default_value_t = 0.01)]
        scale: f64,
    },
    /// Write the synthetic national open data in the published layouts into a
    /// directory: the care files (jigyosho_<code>.csv, one per service, about
    /// 300,000 rows at scale 1.0) and, under medical/, the eight files of the
    /// medical set (about 206,000 facilities and 1.27 million 診療科目 rows).
    /// Deterministic per seed.
    Generate {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 1.0 = national scale.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// Write the synthetic prefecture (professionals, patients in teams,
    /// posts with receipts) into an empty database (RENKEI_DATABASE_URL).
    CareGenerate {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 30_000)]
        professionals: i64,
        #[arg(long, default_value_t = 100_000)]
        patients: i64,
        #[arg(long, default_value_t = 5_000_000)]
        posts: i64,
        /// Write the HTTP benchmark's user name and its patient ids here.
        #[arg(long)]
        sample_out: Option<PathBuf>,
    },
    /// Time the directory's live index on the database: the full build, an
    /// edit put in place (read the entry, update the index), and saving and
    /// reading the snapshot that start-up uses.
    Index {
        /// Edits to time.
        #[arg(long, default_value_t = 1000)]
        edits: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Time the care hot paths in-process on the generated prefecture.
    Care {
        /// Samples per read path.
        #[arg(long, default_value_t = 2000)]
        samples: usize,
        /// Seconds of sustained post creation.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent writers.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Time opening an emergency card's link in-process (p50/p99 against a
    /// baseline read in the same run), on an empty database
    /// (RENKEI_DATABASE_URL) it fills with `records` residents, each with a
    /// verified record and a card.
    Emergency {
        #[arg(long, default_value_t = 2000)]
        records: usize,
        #[arg(long, default_value_t = 2000)]
        samples: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Then a town of this many residents with a record each (written
        /// in bulk), whose disaster list is timed (0: none).
        #[arg(long, default_value_t = 50_000)]
        town: usize,
    },
    /// Load the directory from the database into the search index and time
    /// each query shape in-process (p50/p99 over seeded random queries).
    Search {
        /// Queries per shape.
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum DirectoryCommand {
    /// Add a medical procedure to the list entries can offer (the seed list
    /// is DOMAIN.md §3; a region adds what it needs).
    AddProcedure {
        /// A short code: lower-case letters, digits and _, e.g. `nasal_feeding`.
        code: String,
        /// The name shown to users, e.g. 経鼻経管栄養.
        name: String,
    },
    /// List the procedures.
    Procedures,
    /// Look for entries that list one facility twice (the national files,
    /// the municipal lists and local entries): pairs of confidence 95 or
    /// more are merged at once, the others wait for the coordinator's
    /// review at /directory/same-facility. Imports run it too.
    Match,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The directory as the municipal standard CSV (医療機関一覧 or
    /// 介護サービス事業所一覧), an xlsx workbook, or the printed guidebook
    /// (HTML, or PDF through chromium when --out ends in .pdf).
    Directory {
        /// csv, xlsx or booklet
        #[arg(long)]
        format: String,
        /// Where to write (created or replaced).
        #[arg(long)]
        out: PathBuf,
        /// public (consented entries, public fields only) or professional.
        #[arg(long, default_value = "public")]
        edition: String,
        /// Only this region's municipalities (region code).
        #[arg(long)]
        region: Option<String>,
        /// Only these municipalities (6-digit codes); repeatable.
        #[arg(long)]
        municipality: Vec<String>,
        /// With --format csv: medical (医療機関一覧) or care (介護サービス事業所一覧).
        #[arg(long, default_value = "medical")]
        dataset: String,
        /// The booklet's title.
        #[arg(long, default_value = "医療・介護資源ガイドブック")]
        title: String,
        /// With --format booklet: print only the areas whose pages differ
        /// from this earlier edition (its number, printed when it was
        /// made), as replacement pages for a ring binder. Every booklet is
        /// recorded as a new edition.
        #[arg(long)]
        changed_since: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// The national care open data (介護サービス情報公表システム): one
    /// `jigyosho_<service code>.csv` per service, UTF-8, UTF-8 with BOM or
    /// Shift_JIS. Re-importing updates by 事業所番号 and never overwrites
    /// locally maintained fields.
    ///
    /// Import safety: every file is checked before anything is written. A
    /// file that cannot be read or lacks the 事業所番号/事業所名 header is
    /// refused; so is a file with no valid row, and a service whose valid
    /// rows fall below half of its last accepted import. A refused run
    /// changes nothing and exits with status 5. Offices a file no longer
    /// lists are only marked as disappeared; their local fields are kept.
    CareOffices {
        /// The CSV files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only offices of this prefecture (two digits, e.g. 13).
        #[arg(long)]
        prefecture: Option<String>,
        /// How many rejected rows to print (all are counted).
        #[arg(long, default_value_t = 50)]
        show: usize,
        /// Accept a file with no valid row, or a service that lost more
        /// than half of its offices since the last import (they really
        /// closed). Unreadable files and wrong headers are refused even so.
        #[arg(long)]
        allow_mass_removal: bool,
    },
    /// The national medical open data (医療情報ネット), the files of the set:
    /// 01-1_hospital_facility_info_*.csv with 01-2_hospital_speciality_hours_*.csv,
    /// 02-1/02-2 clinic_…, 03-1/03-2 dental_…, 04_maternity_home_…, 05_pharmacy_…
    /// (unzipped). Import a speciality-and-hours file together with its facility
    /// file: its 診療科目 and hours join the facilities of the same ID.
    /// Re-importing updates by the 13-digit ID.
    ///
    /// Import safety as for care-offices: a file with the wrong header or
    /// no valid row, or a kind of facility whose valid rows fall below half
    /// of its last accepted import, is refused (exit status 5, nothing
    /// changed).
    Medical {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only facilities of this prefecture (two digits, e.g. 13).
        #[arg(long)]
        prefecture: Option<String>,
        #[arg(long, default_value_t = 50)]
        show: usize,
        /// Accept a file with no valid row, or a kind of facility that lost
        /// more than half of its entries since the last import.
        #[arg(long)]
        allow_mass_removal: bool,
    },
    /// The municipal standard datasets 医療機関一覧 and 介護サービス事業所一覧
    /// (自治体標準オープンデータセット); which one a file is, is read from
    /// its header. Offices of the listed municipalities that a file no
    /// longer lists are marked as gone. Import safety as for care-offices,
    /// per municipality (exit status 5, nothing changed).
    MunicipalStandard {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, default_value_t = 50)]
        show: usize,
        /// Accept a file with no valid row, or a municipality that lost
        /// more than half of its entries since the last import.
        #[arg(long)]
        allow_mass_removal: bool,
    },
    /// 国民の祝日・休日: the Cabinet Office's syukujitsu.csv (Shift_JIS or
    /// UTF-8). Replaces the public holidays of every year the file covers
    /// ("open now" and "open at" use them); other years keep theirs. A file
    /// with a line that is not a date, or none at all, changes nothing (exit
    /// status 5).
    Holidays { file: PathBuf },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Without --password-stdin a random password is printed.
    Create {
        #[arg(long)]
        username: String,
        /// Full name shown to others.
        #[arg(long)]
        name: String,
        /// system_admin, region_admin, municipal_officer, coordinator, professional, family, ems
        #[arg(long)]
        role: String,
        /// doctor, dentist, pharmacist, nurse, therapist, care_manager, care_worker, msw,
        /// public_health_nurse, coordinator, municipal_officer, ems, family, other
        #[arg(long, default_value = "other")]
        profession: String,
        /// Region code (not for system_admin).
        #[arg(long)]
        region: Option<String>,
        /// Organisation id (repeatable).
        #[arg(long = "org")]
        orgs: Vec<i64>,
        #[arg(long, default_value = "")]
        email: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Disable a user and end their sessions.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Lift a lock-out after repeated failed logins.
    Unlock { username: String },
    /// Remove a user's TOTP and recovery codes; they enrol again at next login.
    ResetMfa { username: String },
    /// Set a new password (read from standard input).
    SetPassword { username: String },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organisation.
    Create {
        #[arg(long)]
        region: String,
        /// hospital, clinic, home_care_clinic, dental_clinic, pharmacy, visiting_nursing,
        /// care_management, care_service, community_care_centre, support_centre, municipality,
        /// fire_department, health_centre, association, life_support, consultation_desk
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        kana: String,
        /// 全国地方公共団体コード of its municipality (5 or 6 digits).
        #[arg(long)]
        municipality: Option<String>,
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long, default_value = "")]
        phone: String,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
enum RegionCommand {
    /// Create a region.
    Create {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List regions.
    List,
}

#[derive(Subcommand)]
enum MunicipalityCommand {
    /// Add a municipality to a region (code check digit is verified).
    Create {
        #[arg(long)]
        region: String,
        /// 全国地方公共団体コード, 5 digits or 6 with check digit.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        kana: String,
        #[arg(long)]
        population: Option<i64>,
    },
    /// List municipalities.
    List,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit non-zero at the first edited, deleted or
    /// reordered record (3), or at an invalid anchor file (4).
    Verify {
        /// Also require the chain to pass through every signed checkpoint in
        /// this anchor file (one JSON line each), which catches the newest
        /// records deleted or the chain rewritten and recomputed.
        #[arg(long, value_name = "FILE")]
        anchor: Option<PathBuf>,
        /// The public key(s) the checkpoints must be signed with (PEM;
        /// repeatable, e.g. after a key change). Default: the configured
        /// audit_key_file.
        #[arg(long = "public-key", value_name = "FILE")]
        public_keys: Vec<PathBuf>,
    },
    /// Generate an Ed25519 signing key for checkpoints: FILE (mode 0600) and
    /// its public key FILE.pub for auditors. Keep FILE outside the database
    /// and its backups, then set audit_key_file (RENKEI_AUDIT_KEY_FILE).
    Keygen {
        /// The new key file (never overwritten).
        path: PathBuf,
    },
    /// Sign a checkpoint of the audit trail now and append it to the anchor file.
    Checkpoint,
    /// Print the public key of the configured audit_key_file (PEM), for auditors.
    PublicKey,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("renkei: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("renkei: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("renkei: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// The SQLite writer's page cache of CLI commands: a national import's
/// peak RSS stays within its 300 MB (docs/benchmarks.md).
const CLI_WRITE_CACHE_MIB: u32 = 64;

async fn open(config: &Config, migrate: bool) -> anyhow::Result<Db> {
    let mut options = DbOptions::new(config.database_url.clone());
    options.max_connections = config.db_max_connections;
    // Commands write in bulk (imports) and exit: a larger writer cache
    // costs them memory only while they run.
    options.write_cache_mib = Some(CLI_WRITE_CACHE_MIB);
    let db = Db::connect(&options).await?;
    if migrate {
        db.migrate().await?;
    }
    Ok(db)
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading the password from standard input")?;
    Ok(s.trim_end_matches(['\n', '\r']).to_string())
}

fn show(e: IdentityError) -> anyhow::Error {
    match e {
        IdentityError::Validation(v) => anyhow!(
            "{}",
            v.0.iter()
                .map(|f| format!("{}: {} ({})", f.field, f.message_en, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        IdentityError::NotFound => anyhow!("not found"),
        other => anyhow!(other),
    }
}

/// The directory service for a command: no search index (commands do not
/// search) and no mail.
fn directory_service(db: Db, config: &Config) -> renkei_directory::service::Directory {
    renkei_directory::service::Directory::new(
        db,
        renkei_directory::live::LiveIndex::empty(),
        std::sync::Arc::new(renkei_mail::NoMailer),
        config.directory.clone(),
    )
}

fn show_directory(e: DirectoryError) -> anyhow::Error {
    match e {
        DirectoryError::Validation(v) => anyhow!(
            "{}",
            v.0.iter()
                .map(|f| format!("{}: {} ({})", f.field, f.message_en, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        DirectoryError::Forbidden => anyhow!("not allowed"),
        other => anyhow!(other),
    }
}

async fn region_id(identity: &Identity, code: &str) -> anyhow::Result<i64> {
    identity
        .region_by_code(code)
        .await
        .map_err(show)?
        .map(|r| r.id)
        .ok_or_else(|| anyhow!("no region with code {code:?} (see `renkei region list`)"))
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    let actor = Actor::Cli { os_user: os_user() };
    let ctx = RequestContext::cli();
    match command {
        Command::Serve { demo } => {
            crate::serve::serve(config, demo).await?;
        }
        Command::Migrate => {
            let db = open(&config, true).await?;
            println!(
                "database is at schema version {}",
                db.schema_version().await?
            );
        }
        Command::Backup { path } => {
            let db = open(&config, false).await?;
            // The checkpoint comes first so that the copy holds every record
            // it covers (and the checkpoint itself).
            let mut code = ExitCode::SUCCESS;
            if db.backend() == renkei_store::Backend::Sqlite && !path.exists() {
                code = backup_checkpoint(&config, &db).await?;
            }
            db.backup_to(&path).await?;
            println!("backup written to {}", path.display());
            return Ok(code);
        }
        Command::Audit(cmd) => return audit_command(&config, cmd).await,
        Command::Bench(BenchCommand::Populate { seed, scale }) => {
            if !(scale > 0.0 && scale <= 10.0) {
                bail!("--scale must be above 0 and at most 10, got {scale}");
            }
            let db = open(&config, true).await?;
            let identity = Identity::new(db.clone(), config.identity.clone());
            if !identity.is_empty().await? {
                bail!("bench populate writes into an empty database only; point RENKEI_DATABASE_URL at a new one");
            }
            let state = renkei_web::AppState::with_services(
                identity,
                config.web.clone(),
                std::sync::Arc::new(renkei_mail::NoMailer),
                config.capability_settings(),
            );
            let run = renkei_web::Synthetic {
                seed,
                scale,
                now: renkei_domain::Timestamp::now(),
                operator: os_user(),
            };
            for (capability, generate) in renkei_web::assemble(state).synthetic {
                let started = std::time::Instant::now();
                let summary = generate(run.clone())
                    .await
                    .map_err(|e| anyhow!("{capability}: {e}"))?;
                println!(
                    "{capability}: {summary} ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Command::Bench(BenchCommand::Generate { out, seed, scale }) => {
            if !(scale > 0.0 && scale <= 10.0) {
                bail!("--scale must be above 0 and at most 10, got {scale}");
            }
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let mut rows = 0usize;
            for (name, bytes) in renkei_directory::synthetic::care_files(seed, scale) {
                rows += bytes.iter().filter(|b| **b == b'\n').count() - 1;
                std::fs::write(out.join(&name), bytes)
                    .with_context(|| format!("writing {name}"))?;
            }
            let medical_dir = out.join("medical");
            std::fs::create_dir_all(&medical_dir)
                .with_context(|| format!("creating {}", medical_dir.display()))?;
            let mut medical_rows = 0usize;
            for (name, bytes) in renkei_directory::synthetic::medical_files(seed, scale) {
                medical_rows += bytes.iter().filter(|b| **b == b'\n').count() - 1;
                std::fs::write(medical_dir.join(&name), bytes)
                    .with_context(|| format!("writing {name}"))?;
            }
            println!(
                "wrote {rows} care-service rows into {} and {medical_rows} medical rows (facilities and 診療科目) into {}",
                out.display(),
                medical_dir.display()
            );
        }
        Command::Bench(BenchCommand::Search { queries, seed }) => {
            let db = open(&config, true).await?;
            crate::bench::search(&db, queries, seed).await?;
        }
        Command::Bench(BenchCommand::Emergency {
            records,
            samples,
            seed,
            town,
        }) => {
            let db = open(&config, true).await?;
            crate::bench_emergency::measure(&db, records, samples.max(1), seed, town).await?;
        }
        Command::Bench(BenchCommand::Index { edits, seed }) => {
            let db = open(&config, true).await?;
            crate::bench::index(&db, edits, seed).await?;
        }
        Command::Bench(BenchCommand::CareGenerate {
            seed,
            professionals,
            patients,
            posts,
            sample_out,
        }) => {
            let db = open(&config, true).await?;
            let identity = renkei_identity::Identity::new(db.clone(), config.identity.clone());
            if !identity.is_empty().await? {
                bail!("care-generate writes into an empty database only; point RENKEI_DATABASE_URL at a new one");
            }
            if professionals < 6 || patients < 1 || posts < 1 {
                bail!("--professionals must be at least 6, --patients and --posts at least 1");
            }
            let scale = renkei_care::synthetic::Scale {
                professionals,
                patients,
                posts,
                ..Default::default()
            };
            crate::bench_care::generate(&db, scale, seed, sample_out.as_deref()).await?;
        }
        Command::Bench(BenchCommand::Care {
            samples,
            seconds,
            concurrency,
            seed,
        }) => {
            let db = open(&config, true).await?;
            crate::bench_care::measure(&db, samples, seconds, concurrency.max(1), seed).await?;
        }
        Command::Import(ImportCommand::Holidays { file }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let db = open(&config, true).await?;
            let report = renkei_directory::import::holidays::import_holidays(
                &db,
                &name,
                &bytes,
                &actor,
                &SystemClock,
            )
            .await?;
            println!("read {name} ({})", report.encoding);
            for r in &report.rejected {
                println!("  {r}");
            }
            if let Some(reason) = &report.refused {
                eprintln!("IMPORT REFUSED, nothing was changed: {reason}");
                return Ok(ExitCode::from(5));
            }
            println!(
                "{} holidays for {:?} replace what those years had; a running server uses them at its next directory refresh",
                report.holidays, report.years
            );
        }
        Command::Import(cmd) => {
            let (files, prefecture, show, allow_mass_removal) = match &cmd {
                ImportCommand::CareOffices {
                    files,
                    prefecture,
                    show,
                    allow_mass_removal,
                }
                | ImportCommand::Medical {
                    files,
                    prefecture,
                    show,
                    allow_mass_removal,
                } => (files, prefecture.clone(), *show, *allow_mass_removal),
                ImportCommand::MunicipalStandard {
                    files,
                    show,
                    allow_mass_removal,
                } => (files, None, *show, *allow_mass_removal),
                // Matched by the arm above.
                ImportCommand::Holidays { .. } => {
                    bail!("internal: holidays reached the file imports")
                }
            };
            if let Some(p) = &prefecture {
                if p.len() != 2 || !p.chars().all(|c| c.is_ascii_digit()) {
                    bail!("--prefecture must be two digits such as 13, got {p:?}");
                }
            }
            use renkei_directory::import::{self as import, ImportFile, ImportOptions};
            // Files are streamed by the importer, not read into memory here.
            let inputs: Vec<ImportFile<'_>> = files.iter().map(ImportFile::path).collect();
            if matches!(cmd, ImportCommand::CareOffices { .. }) {
                for f in &inputs {
                    if import::care_offices::service_code_from_name(&f.name).is_none() {
                        eprintln!("note: {} is not named jigyosho_<code>.csv; the service is taken from the サービスの種類 column", f.name);
                    }
                }
            }
            let options = ImportOptions {
                prefecture,
                allow_mass_removal,
            };
            let db = open(&config, true).await?;
            let started = std::time::Instant::now();
            let reports = match cmd {
                ImportCommand::CareOffices { .. } => {
                    vec![
                        import::import_care_office_files(
                            &db,
                            &inputs,
                            &options,
                            &actor,
                            &SystemClock,
                        )
                        .await?,
                    ]
                }
                ImportCommand::Medical { .. } => {
                    vec![
                        import::import_medical_files(&db, &inputs, &options, &actor, &SystemClock)
                            .await?,
                    ]
                }
                ImportCommand::Holidays { .. } => Vec::new(),
                ImportCommand::MunicipalStandard { .. } => {
                    import::import_municipal_standard_files(
                        &db,
                        &inputs,
                        &options,
                        &actor,
                        &SystemClock,
                    )
                    .await?
                }
            };
            for report in &reports {
                print_import_report(report, show);
            }
            println!("({:.1} s)", started.elapsed().as_secs_f64());
            if let Some(refused) = reports.iter().find(|r| !r.refused.is_empty()) {
                eprintln!("IMPORT REFUSED, nothing was changed:");
                for reason in &refused.refused {
                    eprintln!("  {reason}");
                }
                return Ok(ExitCode::from(5));
            }
            // The same facility from another source (a municipal list, a
            // local entry) is matched with what this import brought.
            if !reports.is_empty() {
                let directory = directory_service(db, &config);
                let found = directory
                    .find_same_facilities(&actor, &ctx, &SystemClock)
                    .await
                    .map_err(show_directory)?;
                print_match_run(&found);
            }
        }
        Command::Export(ExportCommand::Directory {
            format,
            out,
            edition,
            region,
            municipality,
            dataset,
            title,
            changed_since,
        }) => {
            use renkei_directory::export::{self, Edition};
            let edition = Edition::parse(&edition).ok_or_else(|| {
                anyhow!("--edition must be public or professional, got {edition:?}")
            })?;
            let db = open(&config, true).await?;
            let mut codes: Vec<String> = Vec::new();
            for m in &municipality {
                let code = renkei_domain::LocalGovernmentCode::parse(m)
                    .map_err(|e| anyhow!("--municipality {m:?}: {e}"))?;
                codes.push(code.as_str().to_string());
            }
            if let Some(r) = &region {
                let identity = Identity::new(db.clone(), config.identity.clone());
                let id = region_id(&identity, r).await?;
                codes.extend(
                    identity
                        .list_municipalities(&actor)
                        .await
                        .map_err(show)?
                        .into_iter()
                        .filter(|m| m.region_id == id)
                        .map(|m| m.code),
                );
                if codes.is_empty() {
                    bail!("region {r:?} has no municipalities (see `renkei municipality create`)");
                }
            }
            let entries = export::load(&db, &codes, edition).await?;
            let procedures = export::procedures(&db).await?;
            let written = match format.as_str() {
                "csv" => {
                    let dataset = match dataset.as_str() {
                        "medical" => export::csv_standard::Dataset::Medical,
                        "care" => export::csv_standard::Dataset::Care,
                        other => bail!("--dataset must be medical or care, got {other:?}"),
                    };
                    let mut file = std::io::BufWriter::new(
                        std::fs::File::create(&out)
                            .with_context(|| format!("creating {}", out.display()))?,
                    );
                    export::csv_standard::write(&entries, dataset, edition, &mut file)?
                }
                "xlsx" => export::xlsx::write(&entries, edition, &procedures, &out)
                    .map_err(|e| anyhow!("writing {}: {e}", out.display()))?,
                "booklet" => {
                    if entries.len() > 20_000 {
                        bail!(
                            "{} entries are too many for a printed booklet; choose --region or --municipality",
                            entries.len()
                        );
                    }
                    let scope = codes.join(",");
                    let previous = match changed_since {
                        None => None,
                        Some(n) => {
                            let e = export::booklet_edition(&db, n).await?.ok_or_else(|| {
                                anyhow!("--changed-since {n}: no such booklet edition")
                            })?;
                            if e.edition != edition || e.scope != scope {
                                bail!(
                                    "--changed-since {n}: that edition covered other entries (edition or --region/--municipality differ)"
                                );
                            }
                            Some(e)
                        }
                    };
                    let now = renkei_domain::Timestamp::now();
                    let since = previous.as_ref().map(|e| export::booklet::Since {
                        label: format!("第{}版（{}）", e.id, e.created_at.to_jst_display()),
                        pages: &e.pages,
                    });
                    let rendered =
                        export::booklet::render(&entries, edition, &title, &procedures, now, since)
                            .map_err(|e| anyhow!("booklet: {e}"))?;
                    let is_pdf = out.extension().is_some_and(|e| e == "pdf");
                    if is_pdf {
                        print_pdf(&rendered.html, &out)?;
                    } else {
                        std::fs::write(&out, &rendered.html)
                            .with_context(|| format!("writing {}", out.display()))?;
                    }
                    let number = export::record_booklet_edition(
                        &db,
                        &title,
                        edition,
                        &scope,
                        &rendered.pages,
                        &actor.username(),
                        now,
                    )
                    .await?;
                    println!(
                        "booklet edition {number}: {} of {} areas printed{}",
                        rendered.printed_areas,
                        rendered.pages.len(),
                        if previous.is_some() {
                            " (replacement pages)"
                        } else {
                            ""
                        }
                    );
                    entries.len()
                }
                other => bail!("--format must be csv, xlsx or booklet, got {other:?}"),
            };
            println!("wrote {written} entries to {}", out.display());
        }
        Command::Directory(DirectoryCommand::AddProcedure { code, name }) => {
            // Through the service, which checks the code and name and
            // writes the audit record with the procedure.
            let directory = directory_service(open(&config, true).await?, &config);
            directory
                .add_procedure(&actor, &code, &name, &ctx, renkei_domain::Timestamp::now())
                .await
                .map_err(|e| match e {
                    DirectoryError::Conflict(m) => {
                        anyhow!("{m} (see `renkei directory procedures`)")
                    }
                    other => show_directory(other),
                })?;
            println!(
                "procedure {code} ({}) added; servers pick it up within 15 s",
                name.trim()
            );
        }
        Command::Directory(DirectoryCommand::Match) => {
            let directory = directory_service(open(&config, true).await?, &config);
            let started = std::time::Instant::now();
            let found = directory
                .find_same_facilities(&actor, &ctx, &SystemClock)
                .await
                .map_err(show_directory)?;
            print_match_run(&found);
            println!("({:.1} s)", started.elapsed().as_secs_f64());
        }
        Command::Directory(DirectoryCommand::Procedures) => {
            let directory = directory_service(open(&config, true).await?, &config);
            for (code, name) in directory.procedures().await.map_err(show_directory)? {
                println!("{code}\t{name}");
            }
        }
        Command::Region(cmd) => {
            let identity = Identity::new(open(&config, true).await?, config.identity.clone());
            match cmd {
                RegionCommand::Create { code, name } => {
                    let id = identity
                        .create_region(&actor, &code, &name, false, &ctx)
                        .await
                        .map_err(show)?;
                    println!("region {code} created (id {id})");
                }
                RegionCommand::List => {
                    for r in identity.list_regions(&actor).await.map_err(show)? {
                        println!(
                            "{}\t{}\t{}{}",
                            r.id,
                            r.code,
                            r.name,
                            if r.is_demo { "\t(demo)" } else { "" }
                        );
                    }
                }
            }
        }
        Command::Municipality(cmd) => {
            let identity = Identity::new(open(&config, true).await?, config.identity.clone());
            match cmd {
                MunicipalityCommand::Create {
                    region,
                    code,
                    name,
                    kana,
                    population,
                } => {
                    let region = region_id(&identity, &region).await?;
                    let new = renkei_identity::NewMunicipality {
                        region_id: Some(region),
                        code,
                        name: name.clone(),
                        kana,
                        population,
                    };
                    let id = identity
                        .create_municipality(&actor, &new, &ctx)
                        .await
                        .map_err(show)?;
                    println!("municipality {name} created (id {id})");
                }
                MunicipalityCommand::List => {
                    for m in identity.list_municipalities(&actor).await.map_err(show)? {
                        println!("{}\t{}\t{}\tregion {}", m.id, m.code, m.name, m.region_id);
                    }
                }
            }
        }
        Command::Org(cmd) => {
            let identity = Identity::new(open(&config, true).await?, config.identity.clone());
            match cmd {
                OrgCommand::Create {
                    region,
                    kind,
                    name,
                    kana,
                    municipality,
                    address,
                    phone,
                } => {
                    let region = region_id(&identity, &region).await?;
                    let municipality_id = match municipality {
                        Some(code) => {
                            let code = renkei_domain::LocalGovernmentCode::parse(&code)
                                .map_err(|e| anyhow!("--municipality: {e}"))?;
                            let list = identity.list_municipalities(&actor).await.map_err(show)?;
                            Some(
                                list.iter()
                                    .find(|m| m.region_id == region && m.code == code.as_str())
                                    .map(|m| m.id)
                                    .ok_or_else(|| {
                                        anyhow!("--municipality: {code} is not in this region")
                                    })?,
                            )
                        }
                        None => None,
                    };
                    let new = NewOrganisation {
                        region_id: Some(region),
                        kind,
                        name: name.clone(),
                        kana,
                        municipality_id,
                        address,
                        phone,
                    };
                    let id = identity
                        .create_organisation(&actor, &new, &ctx)
                        .await
                        .map_err(show)?;
                    println!("organisation {name} created (id {id})");
                }
                OrgCommand::List => {
                    for o in identity.list_organisations(&actor).await.map_err(show)? {
                        println!("{}\tregion {}\t{}\t{}", o.id, o.region_id, o.kind, o.name);
                    }
                }
            }
        }
        Command::User(cmd) => {
            let identity = Identity::new(open(&config, true).await?, config.identity.clone());
            user_command(&identity, &actor, &ctx, cmd).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The configured signing key, if any.
fn audit_key(config: &Config) -> anyhow::Result<Option<anchor::AuditKey>> {
    let Some(path) = &config.audit.key_file else {
        return Ok(None);
    };
    let key = anchor::AuditKey::load(path).context("audit_key_file (RENKEI_AUDIT_KEY_FILE)")?;
    if let Some(warning) = anchor::key_permission_warning(path) {
        eprintln!("warning: {warning}");
    }
    Ok(Some(key))
}

const NO_KEY: &str = "audit_key_file (RENKEI_AUDIT_KEY_FILE) is not set, so no checkpoint is \
    written and the audit trail is not anchored outside the database; create a key with \
    `renkei audit keygen FILE` (see docs/operations.md)";

/// Signs a checkpoint and reports it; exit code 3 when the chain is broken.
async fn write_checkpoint(
    config: &Config,
    db: &Db,
    key: &anchor::AuditKey,
    source: &str,
) -> anyhow::Result<ExitCode> {
    let file = config.audit.anchor_file.as_deref();
    match anchor::checkpoint(db, key, file, source, false).await? {
        anchor::CheckpointOutcome::Written(c) | anchor::CheckpointOutcome::Unchanged(c) => {
            println!(
                "audit checkpoint: records 1–{} signed by key {}, appended to {}",
                c.seq,
                c.key_id,
                file.map(|f| f.display().to_string())
                    .unwrap_or_else(|| "(no anchor file)".into())
            );
            println!("{}", c.to_line());
            Ok(ExitCode::SUCCESS)
        }
        anchor::CheckpointOutcome::Refused { seq, problem } => {
            eprintln!("AUDIT TRAIL BROKEN at record {seq}: {problem}; no checkpoint was signed");
            Ok(ExitCode::from(3))
        }
    }
}

/// The checkpoint `renkei backup` writes before copying.
async fn backup_checkpoint(config: &Config, db: &Db) -> anyhow::Result<ExitCode> {
    let Some(key) = audit_key(config)? else {
        eprintln!("warning: {NO_KEY}");
        return Ok(ExitCode::SUCCESS);
    };
    if db.schema_version().await? < anchor::CHECKPOINT_SCHEMA_VERSION {
        eprintln!(
            "warning: the database predates audit checkpoints (run `renkei migrate`); no checkpoint written"
        );
        return Ok(ExitCode::SUCCESS);
    }
    write_checkpoint(config, db, &key, "backup").await
}

async fn audit_command(config: &Config, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Keygen { path } => {
            let key = anchor::write_new_key(&path)?;
            println!(
                "audit signing key {} written to {} (mode 0600); public key in {}",
                key.public().id(),
                path.display(),
                anchor::public_key_path(&path).display()
            );
            println!("set audit_key_file = {:?} (or RENKEI_AUDIT_KEY_FILE) and keep the file out of database backups", path.display().to_string());
        }
        AuditCommand::PublicKey => {
            let key = audit_key(config)?.ok_or_else(|| anyhow!("{NO_KEY}"))?;
            print!("{}", key.public().to_pem());
        }
        AuditCommand::Checkpoint => {
            let key = audit_key(config)?.ok_or_else(|| anyhow!("{NO_KEY}"))?;
            let db = open(config, true).await?;
            return write_checkpoint(config, &db, &key, "cli").await;
        }
        AuditCommand::Verify {
            anchor: anchor_file,
            public_keys,
        } => {
            let db = open(config, false).await?;
            if db.schema_version().await? == 0 {
                bail!("the database has no Renkei schema yet");
            }
            // The anchor's signatures are checked first: a forged line is
            // reported as such, whatever the database holds.
            let checkpoints = match &anchor_file {
                None => None,
                Some(file) => {
                    let keys = if public_keys.is_empty() {
                        let key = audit_key(config)?.ok_or_else(|| {
                            anyhow!("--anchor needs --public-key FILE or a configured audit_key_file (RENKEI_AUDIT_KEY_FILE)")
                        })?;
                        vec![key.public().clone()]
                    } else {
                        public_keys
                            .iter()
                            .map(|p| anchor::PublicKey::load(p).context("--public-key"))
                            .collect::<anyhow::Result<Vec<_>>>()?
                    };
                    let text = std::fs::read_to_string(file)
                        .with_context(|| format!("reading the anchor file {}", file.display()))?;
                    match anchor::check_anchor(&text, &keys) {
                        anchor::AnchorFile::Valid(list) => Some((file, list)),
                        anchor::AnchorFile::Invalid { line, problem } => {
                            eprintln!(
                                "ANCHOR FILE INVALID: {}{}: {problem}",
                                file.display(),
                                if line > 0 {
                                    format!(" line {line}")
                                } else {
                                    String::new()
                                }
                            );
                            return Ok(ExitCode::from(4));
                        }
                    }
                }
            };
            let result = match &checkpoints {
                Some((_, list)) => anchor::verify_anchored(&db, list).await?,
                None => audit::verify(&db).await?,
            };
            match result {
                Verification::Intact { records, head_hash } => {
                    println!("audit trail intact: {records} records, head {head_hash}");
                    match &checkpoints {
                        Some((file, list)) => {
                            let newest = list.iter().map(|(_, c)| c).max_by_key(|c| (c.seq, c.at));
                            if let Some(c) = newest {
                                println!(
                                    "anchor {}: {} signed checkpoints hold; the newest covers records 1–{} \
                                     (signed {} by key {}); {} later records are protected by the chain only",
                                    file.display(),
                                    list.len(),
                                    c.seq,
                                    c.time().to_rfc3339(),
                                    c.key_id,
                                    records - c.seq
                                );
                            }
                        }
                        None => println!(
                            "no anchor was checked: the chain alone cannot show that the newest records were \
                             deleted or the whole chain rewritten; use --anchor FILE"
                        ),
                    }
                }
                Verification::Broken { seq, problem } => {
                    eprintln!("AUDIT TRAIL BROKEN at record {seq}: {problem}");
                    return Ok(ExitCode::from(3));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn user_command(
    identity: &Identity,
    actor: &Actor,
    ctx: &RequestContext,
    cmd: UserCommand,
) -> anyhow::Result<()> {
    let lookup = async |username: &str| {
        identity
            .user_by_username(actor, username)
            .await
            .map_err(show)
    };
    match cmd {
        UserCommand::Create {
            username,
            name,
            role,
            profession,
            region,
            orgs,
            email,
            password_stdin,
        } => {
            let region_id = match region {
                Some(code) => Some(region_id(identity, &code).await?),
                None => None,
            };
            let (password, generated) = if password_stdin {
                (read_password()?, false)
            } else {
                (crate::demo::random_password(), true)
            };
            let new = NewUser {
                region_id,
                username: username.clone(),
                display_name: name,
                email,
                role,
                profession,
                password: password.clone(),
                org_ids: orgs,
                is_demo: false,
            };
            let id = identity.create_user(actor, &new, ctx).await.map_err(show)?;
            println!("user {username} created (id {id})");
            if generated {
                println!("initial password: {password}");
            }
        }
        UserCommand::List => {
            for u in identity.list_users(actor).await.map_err(show)? {
                let state = if u.disabled {
                    "disabled"
                } else if u.locked {
                    "locked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\t{}\tmfa={}\t{}",
                    u.id,
                    u.username,
                    u.role,
                    u.display_name,
                    if u.mfa_enabled { "on" } else { "off" },
                    state
                );
            }
        }
        UserCommand::Disable { username } => {
            let u = lookup(&username).await?;
            let ended = identity
                .disable_user(actor, u.id, ctx)
                .await
                .map_err(show)?;
            println!("user {username} disabled; {}", ended_text(ended));
        }
        UserCommand::Enable { username } => {
            let u = lookup(&username).await?;
            let ended = identity.enable_user(actor, u.id, ctx).await.map_err(show)?;
            println!(
                "user {username} enabled; {}; they sign in afresh",
                ended_text(ended)
            );
        }
        UserCommand::Unlock { username } => {
            let u = lookup(&username).await?;
            identity.unlock_user(actor, u.id, ctx).await.map_err(show)?;
            println!("user {username} unlocked");
        }
        UserCommand::ResetMfa { username } => {
            let u = lookup(&username).await?;
            let ended = identity.reset_mfa(actor, u.id, ctx).await.map_err(show)?;
            println!(
                "two-factor authentication of {username} reset; {}; they enrol again at next login",
                ended_text(ended)
            );
        }
        UserCommand::SetPassword { username } => {
            let u = lookup(&username).await?;
            let password = read_password()?;
            let ended = identity
                .set_password(actor, u.id, &password, ctx)
                .await
                .map_err(show)?;
            println!("password of {username} set; {}", ended_text(ended));
        }
    }
    Ok(())
}

/// What an account-recovery step ended, for the operator.
fn ended_text(e: renkei_identity::CredentialsEnded) -> String {
    format!(
        "{} sessions ended and {} API tokens revoked",
        e.sessions, e.api_tokens
    )
}

fn print_match_run(run: &renkei_directory::same_facility::MatchRun) {
    println!(
        "same facility: {} entries compared in {} prefectures; {} pairs await review at /directory/same-facility, {} merged automatically ({} decided before)",
        run.entries_compared,
        run.prefectures,
        run.proposed,
        run.merged_automatically,
        run.decided_before
    );
}

fn print_import_report(report: &renkei_directory::import::ImportReport, show: usize) {
    for (name, encoding) in &report.files {
        println!("read {name} ({encoding})");
    }
    for r in report.rejected.iter().take(show) {
        println!("rejected {r}");
    }
    if report.rejected_total > show {
        println!(
            "… and {} more rejected rows",
            report.rejected_total - show.min(report.rejected_total)
        );
    }
    for w in report.warnings.iter().take(show) {
        println!("warning  {w}");
    }
    if report.warnings_total > show {
        println!(
            "… and {} more warnings",
            report.warnings_total - show.min(report.warnings_total)
        );
    }
    if report.municipality_missing > 0 {
        println!(
            "municipality: {} entries had no usable code; {} placed by their address against the national list (match rate {:.1} %), {} left without",
            report.municipality_missing,
            report.municipality_from_address,
            100.0 * report.municipality_from_address as f64 / report.municipality_missing as f64,
            report.municipality_missing - report.municipality_from_address
        );
    }
    for c in report.changes.iter().take(show) {
        println!(
            "changed  {} {}: {}",
            c.official_code,
            c.name,
            c.fields.join(", ")
        );
    }
    for (code, name) in report.disappeared.iter().take(show) {
        println!("gone     {code} {name}");
    }
    println!(
        "rows read {}, accepted {}, rejected {}, outside --prefecture {}; entries created {}, updated {}, unchanged {}, disappeared {}",
        report.rows_read,
        report.rows_accepted,
        report.rejected_total,
        report.rows_outside_filter,
        report.created,
        report.updated,
        report.unchanged,
        report.disappeared_total,
    );
    for reason in &report.refused {
        println!("refused  {reason}");
    }
}

/// Prints HTML to PDF with the system's chromium (headless), so the
/// booklet is the same document a browser would print.
fn print_pdf(html: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("booklet.html");
    std::fs::write(&page, html)?;
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let out_abs = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir()?.join(out)
    };
    let status = std::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", out_abs.display()),
            &format!("file://{}", page.display()),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| {
            format!("running {chromium} (set CHROMIUM to its path, or write .html)")
        })?;
    if !status.success() || !out_abs.exists() {
        bail!("{chromium} could not print the booklet ({status}); write .html and print it from a browser");
    }
    Ok(())
}
