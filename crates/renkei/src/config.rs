//! Configuration: `renkei.toml` (or the file named by `--config` /
//! `RENKEI_CONFIG`), then `RENKEI_*` environment variables, which win.
//!
//! A wrong value stops start-up with a message that names the key and the
//! accepted values; an unknown key is an error too, because a misspelt
//! setting that is silently ignored is how insecure defaults survive.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use renkei_identity::IdentityConfig;
use renkei_web::WebConfig;
use serde::Deserialize;

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

fn err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_string(),
        message: message.into(),
    }
}

/// The settings file. Every key is optional; unknown keys are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub session_idle_minutes: Option<i64>,
    pub session_absolute_hours: Option<i64>,
    pub require_mfa: Option<bool>,
    pub lockout_threshold: Option<i64>,
    pub cookie_secure: Option<bool>,
    pub public_url: Option<String>,
    pub trust_proxy: Option<bool>,
    pub trusted_proxy_hops: Option<usize>,
    pub proxy_header: Option<String>,
    pub lockout_minutes: Option<i64>,
    pub max_body_bytes: Option<usize>,
    pub request_timeout_secs: Option<u64>,
    pub db_max_connections: Option<u32>,
    pub log_format: Option<String>,
    pub log: Option<String>,
    pub public_search_per_minute: Option<u32>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub map_tile_url: Option<String>,
    pub map_attribution: Option<String>,
    pub directory_confirm_days: Option<i64>,
    pub directory_index_file: Option<String>,
    pub break_glass_minutes: Option<i64>,
    pub break_glass_per_day: Option<i64>,
    pub max_attachment_mb: Option<usize>,
    pub digest_hour: Option<u32>,
    pub audit_key_file: Option<String>,
    pub audit_anchor_file: Option<String>,
    pub audit_checkpoint_minutes: Option<u64>,
}

/// Environment variable ↔ file key. The variable list is also the list of
/// accepted `RENKEI_*` names.
const ENV_KEYS: &[(&str, &str)] = &[
    ("RENKEI_DATABASE_URL", "database_url"),
    ("RENKEI_LISTEN", "listen"),
    ("RENKEI_SESSION_IDLE_MINUTES", "session_idle_minutes"),
    ("RENKEI_SESSION_ABSOLUTE_HOURS", "session_absolute_hours"),
    ("RENKEI_REQUIRE_MFA", "require_mfa"),
    ("RENKEI_LOCKOUT_THRESHOLD", "lockout_threshold"),
    ("RENKEI_COOKIE_SECURE", "cookie_secure"),
    ("RENKEI_PUBLIC_URL", "public_url"),
    ("RENKEI_TRUST_PROXY", "trust_proxy"),
    ("RENKEI_TRUSTED_PROXY_HOPS", "trusted_proxy_hops"),
    ("RENKEI_PROXY_HEADER", "proxy_header"),
    ("RENKEI_LOCKOUT_MINUTES", "lockout_minutes"),
    ("RENKEI_MAX_BODY_BYTES", "max_body_bytes"),
    ("RENKEI_REQUEST_TIMEOUT_SECS", "request_timeout_secs"),
    ("RENKEI_DB_MAX_CONNECTIONS", "db_max_connections"),
    ("RENKEI_LOG_FORMAT", "log_format"),
    ("RENKEI_LOG", "log"),
    (
        "RENKEI_PUBLIC_SEARCH_PER_MINUTE",
        "public_search_per_minute",
    ),
    ("RENKEI_SMTP_URL", "smtp_url"),
    ("RENKEI_MAIL_FROM", "mail_from"),
    ("RENKEI_MAP_TILE_URL", "map_tile_url"),
    ("RENKEI_MAP_ATTRIBUTION", "map_attribution"),
    ("RENKEI_DIRECTORY_CONFIRM_DAYS", "directory_confirm_days"),
    ("RENKEI_DIRECTORY_INDEX_FILE", "directory_index_file"),
    ("RENKEI_BREAK_GLASS_MINUTES", "break_glass_minutes"),
    ("RENKEI_BREAK_GLASS_PER_DAY", "break_glass_per_day"),
    ("RENKEI_MAX_ATTACHMENT_MB", "max_attachment_mb"),
    ("RENKEI_DIGEST_HOUR", "digest_hour"),
    ("RENKEI_AUDIT_KEY_FILE", "audit_key_file"),
    ("RENKEI_AUDIT_ANCHOR_FILE", "audit_anchor_file"),
    (
        "RENKEI_AUDIT_CHECKPOINT_MINUTES",
        "audit_checkpoint_minutes",
    ),
];

/// Variables that are not settings of the server.
const ENV_OTHER: &[&str] = &["RENKEI_CONFIG"];

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    pub identity: IdentityConfig,
    pub web: WebConfig,
    pub db_max_connections: u32,
    pub log_json: bool,
    pub log_filter: String,
    /// Where the settings file was read from, if any.
    pub source: Option<PathBuf>,
    /// SMTP server (lettre URL); without it no e-mail is sent.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub directory: renkei_directory::service::DirectoryConfig,
    pub care: renkei_care::CareConfig,
    /// Signed checkpoints of the audit trail.
    pub audit: AuditAnchorConfig,
}

/// Where the audit trail is anchored outside the database (see
/// docs/security.md, "Anchoring the audit trail").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchorConfig {
    /// The Ed25519 signing key (PKCS#8 PEM); without it nothing is anchored.
    pub key_file: Option<PathBuf>,
    /// Where checkpoints are appended, one JSON line each: the setting, or
    /// `audit-anchors.jsonl` beside the key file.
    pub anchor_file: Option<PathBuf>,
    /// How often `serve` writes a checkpoint (when the head has moved).
    pub checkpoint_interval: Duration,
}

impl Config {
    /// Every capability's settings, as the assembly takes them.
    pub fn capability_settings(&self) -> renkei_web::Settings {
        renkei_web::Settings {
            directory: self.directory.clone(),
            care: self.care.clone(),
        }
    }

    /// Loads `explicit` (or `RENKEI_CONFIG`, or `./renkei.toml` if present)
    /// and the process environment.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let path = explicit
            .map(Path::to_path_buf)
            .or_else(|| {
                env.iter()
                    .find(|(k, _)| k == "RENKEI_CONFIG")
                    .map(|(_, v)| PathBuf::from(v))
            })
            .or_else(|| Some(PathBuf::from("renkei.toml")).filter(|p| p.exists()));
        let file = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| err("config file", format!("cannot read {}: {e}", p.display())))?;
                parse_file(&text).map_err(|e| ConfigError {
                    key: format!("{} {}", p.display(), e.key),
                    message: e.message,
                })?
            }
            None => FileConfig::default(),
        };
        let mut config = Self::from_sources(file, &env)?;
        config.source = path;
        Ok(config)
    }

    /// Combines a parsed file with environment variables (which win).
    pub fn from_sources(
        mut file: FileConfig,
        env: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        for (name, value) in env.iter().filter(|(k, _)| k.starts_with("RENKEI_")) {
            if name.starts_with("RENKEI_TEST_") || ENV_OTHER.contains(&name.as_str()) {
                continue;
            }
            let Some((_, key)) = ENV_KEYS.iter().find(|(n, _)| n == name) else {
                let accepted: Vec<&str> = ENV_KEYS
                    .iter()
                    .map(|(n, _)| *n)
                    .chain(ENV_OTHER.iter().copied())
                    .collect();
                return Err(err(
                    name,
                    format!("unknown setting; accepted: {}", accepted.join(", ")),
                ));
            };
            apply_env(&mut file, name, key, value)?;
        }

        let database_url = file
            .database_url
            .unwrap_or_else(|| "sqlite://./data/renkei.db".into());
        let scheme_ok = database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://");
        if !scheme_ok {
            return Err(err(
                "database_url (RENKEI_DATABASE_URL)",
                format!("{:?} is not supported; accepted: sqlite://PATH (e.g. sqlite://./data/renkei.db) or postgres://USER@HOST:PORT/DB", renkei_store::redact(&database_url)),
            ));
        }
        let listen_text = file.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            err("listen (RENKEI_LISTEN)", format!("{listen_text:?} is not an address; accepted: IP:PORT such as 127.0.0.1:8080 or 0.0.0.0:8080"))
        })?;
        let idle = in_range(
            "session_idle_minutes (RENKEI_SESSION_IDLE_MINUTES)",
            file.session_idle_minutes.unwrap_or(30),
            1,
            1440,
        )?;
        let absolute = in_range(
            "session_absolute_hours (RENKEI_SESSION_ABSOLUTE_HOURS)",
            file.session_absolute_hours.unwrap_or(12),
            1,
            72,
        )?;
        let lockout = in_range(
            "lockout_threshold (RENKEI_LOCKOUT_THRESHOLD)",
            file.lockout_threshold.unwrap_or(5),
            3,
            20,
        )?;
        let max_body = file.max_body_bytes.unwrap_or(1024 * 1024);
        if !(1024..=100 * 1024 * 1024).contains(&max_body) {
            return Err(err(
                "max_body_bytes (RENKEI_MAX_BODY_BYTES)",
                format!("{max_body} is out of range; accepted: 1024 to 104857600"),
            ));
        }
        let timeout = file.request_timeout_secs.unwrap_or(30);
        if !(1..=600).contains(&timeout) {
            return Err(err(
                "request_timeout_secs (RENKEI_REQUEST_TIMEOUT_SECS)",
                format!("{timeout} is out of range; accepted: 1 to 600"),
            ));
        }
        let log_json = match file.log_format.as_deref().unwrap_or("text") {
            "text" => false,
            "json" => true,
            other => {
                return Err(err(
                    "log_format (RENKEI_LOG_FORMAT)",
                    format!("{other:?}; accepted: text, json"),
                ))
            }
        };
        let public_url = file.public_url.unwrap_or_default();
        let public_url_ok = public_url.is_empty()
            || public_url.starts_with("http://")
            || public_url.starts_with("https://");
        if !public_url_ok {
            return Err(err(
                "public_url (RENKEI_PUBLIC_URL)",
                format!("{public_url:?}; accepted: an http:// or https:// URL"),
            ));
        }
        let map_tile_url = file
            .map_tile_url
            .unwrap_or_else(|| renkei_web::GSI_TILES.to_string());
        if !(map_tile_url.starts_with("https://") || map_tile_url.starts_with("http://"))
            || !map_tile_url.contains("{z}")
        {
            return Err(err(
                "map_tile_url (RENKEI_MAP_TILE_URL)",
                format!("{map_tile_url:?}; accepted: an http(s) URL with {{z}}, {{x}} and {{y}}"),
            ));
        }
        let confirm_days = file.directory_confirm_days.unwrap_or(365);
        if !(7..=3650).contains(&confirm_days) {
            return Err(err(
                "directory_confirm_days (RENKEI_DIRECTORY_CONFIRM_DAYS)",
                format!("{confirm_days}; accepted: 7 to 3650"),
            ));
        }
        let break_glass = file.break_glass_minutes.unwrap_or(60);
        if !(5..=720).contains(&break_glass) {
            return Err(err(
                "break_glass_minutes (RENKEI_BREAK_GLASS_MINUTES)",
                format!("{break_glass}; accepted: 5 to 720"),
            ));
        }
        let ranged = |value: i64, range: std::ops::RangeInclusive<i64>, name: &str| {
            if range.contains(&value) {
                Ok(value)
            } else {
                Err(err(
                    name,
                    format!("{value}; accepted: {} to {}", range.start(), range.end()),
                ))
            }
        };
        let break_glass_per_day = ranged(
            file.break_glass_per_day.unwrap_or(5),
            1..=100,
            "break_glass_per_day (RENKEI_BREAK_GLASS_PER_DAY)",
        )?;
        let lockout_minutes = ranged(
            file.lockout_minutes.unwrap_or(15),
            1..=24 * 60,
            "lockout_minutes (RENKEI_LOCKOUT_MINUTES)",
        )?;
        let proxy_hops = ranged(
            file.trusted_proxy_hops.unwrap_or(1) as i64,
            1..=16,
            "trusted_proxy_hops (RENKEI_TRUSTED_PROXY_HOPS)",
        )? as usize;
        let proxy_header = match file.proxy_header.as_deref() {
            None => renkei_web::ProxyHeader::XForwardedFor,
            Some(v) => renkei_web::ProxyHeader::from_code(v).ok_or_else(|| {
                err(
                    "proxy_header (RENKEI_PROXY_HEADER)",
                    format!("{v:?}; accepted: x-forwarded-for, forwarded"),
                )
            })?,
        };
        let attachment_mb = file.max_attachment_mb.unwrap_or(10);
        if !(1..=100).contains(&attachment_mb) {
            return Err(err(
                "max_attachment_mb (RENKEI_MAX_ATTACHMENT_MB)",
                format!("{attachment_mb}; accepted: 1 to 100"),
            ));
        }
        let digest_hour = file.digest_hour.unwrap_or(7);
        if digest_hour > 23 {
            return Err(err(
                "digest_hour (RENKEI_DIGEST_HOUR)",
                format!("{digest_hour}; accepted: 0 to 23"),
            ));
        }
        let audit_minutes = file.audit_checkpoint_minutes.unwrap_or(10);
        if !(1..=1440).contains(&audit_minutes) {
            return Err(err(
                "audit_checkpoint_minutes (RENKEI_AUDIT_CHECKPOINT_MINUTES)",
                format!("{audit_minutes}; accepted: 1 to 1440"),
            ));
        }
        let audit_key_file = file
            .audit_key_file
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from);
        let audit_anchor_file = match file.audit_anchor_file.filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(PathBuf::from(p)),
            None => audit_key_file.as_ref().map(|k| {
                k.parent()
                    .unwrap_or_else(|| Path::new(""))
                    .join("audit-anchors.jsonl")
            }),
        };
        if audit_anchor_file.is_some() && audit_key_file.is_none() {
            return Err(err(
                "audit_anchor_file (RENKEI_AUDIT_ANCHOR_FILE)",
                "needs audit_key_file (RENKEI_AUDIT_KEY_FILE): checkpoints are signed; create a key with `renkei audit keygen FILE`",
            ));
        }
        let smtp_url = file.smtp_url.filter(|u| !u.is_empty());
        if let Some(u) = &smtp_url {
            if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
                return Err(err(
                    "smtp_url (RENKEI_SMTP_URL)",
                    "accepted: smtp://host:587, smtp://host:587?tls=required or smtps://user:pass@host:465".to_string(),
                ));
            }
        }
        let db_max = file.db_max_connections.unwrap_or(8);
        if !(1..=200).contains(&db_max) {
            return Err(err(
                "db_max_connections (RENKEI_DB_MAX_CONNECTIONS)",
                format!("{db_max}; accepted: 1 to 200"),
            ));
        }
        Ok(Config {
            database_url,
            listen,
            identity: IdentityConfig {
                session_idle_secs: idle * 60,
                session_absolute_secs: absolute * 3600,
                lockout_threshold: lockout,
                lockout_base_secs: lockout_minutes * 60,
                require_mfa: file.require_mfa.unwrap_or(true),
                ..IdentityConfig::default()
            },
            web: WebConfig {
                cookie_secure: file.cookie_secure.unwrap_or(true),
                hsts: public_url.starts_with("https://"),
                max_body_bytes: max_body,
                request_timeout: Duration::from_secs(timeout),
                trust_proxy: file.trust_proxy.unwrap_or(false),
                trusted_proxy_hops: proxy_hops,
                proxy_header,
                public_search_per_minute: file.public_search_per_minute.unwrap_or(600),
                map_tile_url,
                map_attribution: file
                    .map_attribution
                    .unwrap_or_else(|| WebConfig::default().map_attribution),
                // Room for a few attachments and the form around them.
                max_upload_bytes: attachment_mb * 1024 * 1024 * 3 + 1024 * 1024,
                public_url: if public_url.is_empty() {
                    format!("http://{listen}")
                } else {
                    public_url.clone()
                },
                ..WebConfig::default()
            },
            care: renkei_care::CareConfig {
                public_url: if public_url.is_empty() {
                    format!("http://{listen}")
                } else {
                    public_url.clone()
                },
                break_glass_minutes: break_glass,
                break_glass_per_day,
                max_attachment_bytes: attachment_mb * 1024 * 1024,
                digest_hour,
                ..renkei_care::CareConfig::default()
            },
            audit: AuditAnchorConfig {
                key_file: audit_key_file,
                anchor_file: audit_anchor_file,
                checkpoint_interval: Duration::from_secs(audit_minutes * 60),
            },
            smtp_url,
            mail_from: file
                .mail_from
                .unwrap_or_else(|| "renkei@localhost".to_string()),
            directory: renkei_directory::service::DirectoryConfig {
                confirm_every_days: confirm_days,
                index_snapshot: file
                    .directory_index_file
                    .filter(|p| !p.trim().is_empty())
                    .map(std::path::PathBuf::from),
                public_url: if public_url.is_empty() {
                    format!("http://{listen}")
                } else {
                    public_url.clone()
                },
                ..Default::default()
            },
            db_max_connections: db_max,
            log_json,
            log_filter: file
                .log
                .unwrap_or_else(|| "info,sqlx=warn,tower_http=info".into()),
            source: None,
        })
    }
}

fn parse_file(text: &str) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        let accepted: Vec<&str> = ENV_KEYS.iter().map(|(_, k)| *k).collect();
        if message.contains("unknown field") {
            err(
                "",
                format!("{message}; accepted keys: {}", accepted.join(", ")),
            )
        } else {
            err("", message)
        }
    })
}

fn in_range(key: &str, value: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(err(
            key,
            format!("{value} is out of range; accepted: {min} to {max}"),
        ))
    }
}

fn apply_env(file: &mut FileConfig, name: &str, key: &str, value: &str) -> Result<(), ConfigError> {
    fn num<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ConfigError> {
        value
            .trim()
            .parse()
            .map_err(|_| err(name, format!("{value:?} is not a number")))
    }
    fn flag(name: &str, value: &str) -> Result<bool, ConfigError> {
        match value.trim() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(err(name, format!("{value:?}; accepted: true, false"))),
        }
    }
    let text = Some(value.to_string());
    match key {
        "database_url" => file.database_url = text,
        "listen" => file.listen = text,
        "session_idle_minutes" => file.session_idle_minutes = Some(num(name, value)?),
        "session_absolute_hours" => file.session_absolute_hours = Some(num(name, value)?),
        "require_mfa" => file.require_mfa = Some(flag(name, value)?),
        "lockout_threshold" => file.lockout_threshold = Some(num(name, value)?),
        "cookie_secure" => file.cookie_secure = Some(flag(name, value)?),
        "public_url" => file.public_url = text,
        "trust_proxy" => file.trust_proxy = Some(flag(name, value)?),
        "trusted_proxy_hops" => file.trusted_proxy_hops = Some(num(name, value)?),
        "proxy_header" => file.proxy_header = text,
        "lockout_minutes" => file.lockout_minutes = Some(num(name, value)?),
        "max_body_bytes" => file.max_body_bytes = Some(num(name, value)?),
        "request_timeout_secs" => file.request_timeout_secs = Some(num(name, value)?),
        "db_max_connections" => file.db_max_connections = Some(num(name, value)?),
        "log_format" => file.log_format = text,
        "log" => file.log = text,
        "public_search_per_minute" => file.public_search_per_minute = Some(num(name, value)?),
        "smtp_url" => file.smtp_url = text,
        "mail_from" => file.mail_from = text,
        "map_tile_url" => file.map_tile_url = text,
        "map_attribution" => file.map_attribution = text,
        "directory_confirm_days" => file.directory_confirm_days = Some(num(name, value)?),
        "directory_index_file" => file.directory_index_file = text,
        "break_glass_minutes" => file.break_glass_minutes = Some(num(name, value)?),
        "break_glass_per_day" => file.break_glass_per_day = Some(num(name, value)?),
        "max_attachment_mb" => file.max_attachment_mb = Some(num(name, value)?),
        "digest_hour" => file.digest_hour = Some(num(name, value)?),
        "audit_key_file" => file.audit_key_file = text,
        "audit_anchor_file" => file.audit_anchor_file = text,
        "audit_checkpoint_minutes" => file.audit_checkpoint_minutes = Some(num(name, value)?),
        _ => return Err(err(name, "not handled")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_configuration() {
        let c = Config::from_sources(FileConfig::default(), &[]).unwrap();
        assert_eq!(c.database_url, "sqlite://./data/renkei.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.identity.session_idle_secs, 1800);
        assert_eq!(c.identity.session_absolute_secs, 43_200);
        assert!(c.identity.require_mfa);
    }

    #[test]
    fn hardening_settings_are_read_and_checked() {
        let c = Config::from_sources(
            FileConfig::default(),
            &env(&[
                ("RENKEI_TRUSTED_PROXY_HOPS", "2"),
                ("RENKEI_LOCKOUT_MINUTES", "30"),
                ("RENKEI_BREAK_GLASS_PER_DAY", "3"),
                ("RENKEI_PROXY_HEADER", "Forwarded"),
            ]),
        )
        .unwrap();
        assert_eq!(c.web.proxy_header, renkei_web::ProxyHeader::Forwarded);
        assert_eq!(c.web.trusted_proxy_hops, 2);
        assert_eq!(c.identity.lockout_base_secs, 1800);
        assert_eq!(c.care.break_glass_per_day, 3);
        let d = Config::from_sources(FileConfig::default(), &[]).unwrap();
        assert_eq!(
            (
                d.web.trusted_proxy_hops,
                d.identity.lockout_base_secs,
                d.care.break_glass_per_day
            ),
            (1, 900, 5)
        );
        for (key, value) in [
            ("RENKEI_TRUSTED_PROXY_HOPS", "0"),
            ("RENKEI_LOCKOUT_MINUTES", "0"),
            ("RENKEI_BREAK_GLASS_PER_DAY", "1000"),
            ("RENKEI_PROXY_HEADER", "x-real-ip"),
        ] {
            let e = Config::from_sources(FileConfig::default(), &env(&[(key, value)])).unwrap_err();
            assert!(e.key.contains(key) && e.message.contains("accepted"), "{e}");
        }
    }

    #[test]
    fn unknown_file_key_is_named_with_accepted_keys() {
        let e = parse_file("listen = \"127.0.0.1:1\"\nsesion_idle_minutes = 5\n").unwrap_err();
        assert!(e.message.contains("sesion_idle_minutes"), "{e}");
        assert!(e.message.contains("session_idle_minutes"), "{e}");
    }

    #[test]
    fn unknown_env_key_is_named() {
        let e = Config::from_sources(FileConfig::default(), &env(&[("RENKEI_LISTN", "x")]))
            .unwrap_err();
        assert_eq!(e.key, "RENKEI_LISTN");
        assert!(e.message.contains("RENKEI_LISTEN"));
    }

    #[test]
    fn bad_database_url_lists_accepted_schemes() {
        let e = Config::from_sources(
            FileConfig::default(),
            &env(&[("RENKEI_DATABASE_URL", "mysql://root:secret@db/x")]),
        )
        .unwrap_err();
        assert!(e.key.contains("RENKEI_DATABASE_URL"));
        assert!(
            e.message.contains("sqlite://") && e.message.contains("postgres://"),
            "{e}"
        );
        assert!(
            !e.message.contains("secret"),
            "password must be redacted: {e}"
        );
    }

    #[test]
    fn env_wins_over_file_and_values_are_checked() {
        let file = parse_file("listen = \"127.0.0.1:9000\"\nsession_idle_minutes = 10\n").unwrap();
        let c = Config::from_sources(file, &env(&[("RENKEI_LISTEN", "0.0.0.0:8081")])).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:8081");
        assert_eq!(c.identity.session_idle_secs, 600);
        let e = Config::from_sources(
            FileConfig::default(),
            &env(&[("RENKEI_SESSION_IDLE_MINUTES", "0")]),
        )
        .unwrap_err();
        assert!(e.message.contains("1 to 1440"), "{e}");
        let e = Config::from_sources(
            FileConfig::default(),
            &env(&[("RENKEI_REQUIRE_MFA", "maybe")]),
        )
        .unwrap_err();
        assert!(e.message.contains("true, false"), "{e}");
        let e = Config::from_sources(
            FileConfig::default(),
            &env(&[("RENKEI_LISTEN", "localhost")]),
        )
        .unwrap_err();
        assert!(e.message.contains("127.0.0.1:8080"), "{e}");
    }

    #[test]
    fn audit_anchor_settings() {
        let c = Config::from_sources(FileConfig::default(), &[]).unwrap();
        assert_eq!(c.audit.key_file, None);
        assert_eq!(c.audit.anchor_file, None);
        assert_eq!(c.audit.checkpoint_interval, Duration::from_secs(600));
        let c = Config::from_sources(
            FileConfig::default(),
            &env(&[("RENKEI_AUDIT_KEY_FILE", "/etc/renkei/audit.key")]),
        )
        .unwrap();
        assert_eq!(
            c.audit.anchor_file.as_deref(),
            Some(Path::new("/etc/renkei/audit-anchors.jsonl"))
        );
        let file = parse_file(
            "audit_key_file = \"k.pem\"\naudit_anchor_file = \"/var/log/a.jsonl\"\naudit_checkpoint_minutes = 5\n",
        )
        .unwrap();
        let c = Config::from_sources(file, &[]).unwrap();
        assert_eq!(c.audit.key_file.as_deref(), Some(Path::new("k.pem")));
        assert_eq!(
            c.audit.anchor_file.as_deref(),
            Some(Path::new("/var/log/a.jsonl"))
        );
        assert_eq!(c.audit.checkpoint_interval, Duration::from_secs(300));
        let e = Config::from_sources(
            FileConfig::default(),
            &env(&[("RENKEI_AUDIT_CHECKPOINT_MINUTES", "0")]),
        )
        .unwrap_err();
        assert!(e.message.contains("1 to 1440"), "{e}");
        let e = Config::from_sources(
            FileConfig::default(),
            &env(&[("RENKEI_AUDIT_ANCHOR_FILE", "a.jsonl")]),
        )
        .unwrap_err();
        assert!(e.key.contains("RENKEI_AUDIT_ANCHOR_FILE"), "{e}");
    }
}
