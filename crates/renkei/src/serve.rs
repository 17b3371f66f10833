//! `renkei serve`.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;
use renkei_identity::Identity;
use renkei_store::{Db, DbOptions};
use renkei_web::AppState;

use crate::config::Config;

fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn serve(mut config: Config, demo: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    init_logging(&config);
    let mut options = DbOptions::new(config.database_url.clone());
    options.max_connections = config.db_max_connections;
    let db = Db::connect(&options).await?;
    db.migrate().await?;

    config.identity.demo_mode = demo;
    config.web.demo = demo;
    let identity = Identity::new(db.clone(), config.identity.clone());
    // The demo goes only into an empty database (or one that has it).
    let load_demo = if demo {
        let state = renkei_identity::demo::state(&identity).await?;
        let logins = renkei_identity::demo::logins();
        crate::demo::print_logins(&logins);
        config.web.demo_logins = logins
            .iter()
            .map(|l| {
                (
                    l.role_label.to_string(),
                    l.username.to_string(),
                    renkei_identity::demo::DEMO_PASSWORD.to_string(),
                )
            })
            .collect();
        state == renkei_identity::demo::DemoState::Empty
    } else {
        false
    };

    // Without SMTP the demo keeps its e-mail in memory (the freshness page
    // says so); a real server without SMTP refuses to pretend it sent any.
    let mailer: std::sync::Arc<dyn renkei_mail::Mailer> = match (&config.smtp_url, demo) {
        (None, true) => std::sync::Arc::new(renkei_mail::CapturingMailer::default()),
        (url, _) => renkei_mail::from_config(url.as_deref(), &config.mail_from)
            .map_err(|e| anyhow::anyhow!("smtp_url (RENKEI_SMTP_URL): {e}"))?,
    };
    let state = AppState::with_services(
        identity,
        config.web.clone(),
        mailer,
        config.capability_settings(),
    );
    // Every capability's background jobs (the directory index, the daily
    // digest, …), each in its own loop, given the time of each run.
    let assembly = renkei_web::assemble(state);
    if load_demo {
        // Every capability's demo data, in registration order (people
        // before the teams they are on).
        for (capability, loader) in &assembly.demo {
            let summary = loader(renkei_domain::Timestamp::now())
                .await
                .map_err(|e| anyhow::anyhow!("loading the {capability} demo data: {e}"))?;
            tracing::info!(capability, "{summary}");
        }
    }
    for (capability, job) in &assembly.jobs {
        spawn_job(capability, job.clone());
    }
    start_audit_checkpoints(&config, &db)?;
    let app = assembly.router;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (set RENKEI_LISTEN or `listen`)",
                config.listen
            )
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(
        listen = %addr,
        backend = db.backend().name(),
        database = %renkei_store::redact(&config.database_url),
        demo,
        startup_ms = started.elapsed().as_millis() as u64,
        "renkei ready"
    );
    println!(
        "Renkei is listening on http://{addr}/ ({} database{})",
        db.backend().name(),
        if demo { ", DEMO" } else { "" }
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    db.close().await;
    Ok(())
}

/// Runs `job` every `job.every` for as long as the server runs. A failed
/// run is logged and the next one comes at its time.
fn spawn_job(capability: &'static str, job: renkei_web::Job) {
    tokio::spawn(async move {
        if !job.first_run_at_start {
            tokio::time::sleep(job.every).await;
        }
        loop {
            match (job.run)(renkei_domain::Timestamp::now()).await {
                Ok(summary) if summary.is_empty() => {}
                Ok(summary) => tracing::info!(capability, job = job.name, "{summary}"),
                Err(e) => tracing::warn!(capability, job = job.name, error = %e, "job failed"),
            }
            tokio::time::sleep(job.every).await;
        }
    });
}

/// Signs a checkpoint of the audit trail at start and then every
/// `audit_checkpoint_minutes` when the head has moved, appending it to the
/// anchor file and logging it (so a log shipped elsewhere is a second
/// anchor). Without a key the server runs and says once that the trail is
/// not anchored; a key that is configured but unreadable stops start-up.
fn start_audit_checkpoints(config: &Config, db: &Db) -> anyhow::Result<()> {
    use renkei_store::audit::anchor::{self, AuditKey, CheckpointOutcome};
    let Some(key_file) = config.audit.key_file.clone() else {
        tracing::warn!(
            "audit_key_file (RENKEI_AUDIT_KEY_FILE) is not set: no signed checkpoints are written, so whoever \
             can write the database could delete the newest audit records or rewrite the chain undetected; \
             create a key with `renkei audit keygen FILE` (docs/operations.md)"
        );
        return Ok(());
    };
    let key = AuditKey::load(&key_file).context("audit_key_file (RENKEI_AUDIT_KEY_FILE)")?;
    if let Some(warning) = anchor::key_permission_warning(&key_file) {
        tracing::warn!("audit_key_file: {warning}");
    }
    let anchor_file = config.audit.anchor_file.clone();
    let interval = config.audit.checkpoint_interval;
    tracing::info!(
        key_id = key.public().id(),
        anchor_file = %anchor_file.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
        interval_secs = interval.as_secs(),
        "audit checkpoints on"
    );
    let db = db.clone();
    tokio::spawn(async move {
        loop {
            match anchor::checkpoint(&db, &key, anchor_file.as_deref(), "serve", true).await {
                Ok(CheckpointOutcome::Written(c)) => {
                    tracing::info!(seq = c.seq, checkpoint = %c.to_line(), "audit checkpoint")
                }
                Ok(CheckpointOutcome::Unchanged(_)) => {}
                Ok(CheckpointOutcome::Refused { seq, problem }) => tracing::error!(
                    seq,
                    problem = %problem,
                    "AUDIT TRAIL BROKEN: no checkpoint signed; run `renkei audit verify --anchor FILE`"
                ),
                Err(e) => tracing::error!(error = %e, "audit checkpoint failed"),
            }
            tokio::time::sleep(interval).await;
        }
    });
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
