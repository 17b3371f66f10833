//! The web settings every capability's pages read (from `renkei.toml` /
//! `RENKEI_*`).

use std::time::Duration;

/// Web settings, from `renkei.toml` / `RENKEI_*`.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Running with `--demo`: every page is marked DEMO.
    pub demo: bool,
    /// Send cookies with `Secure` (on by default; browsers accept it on
    /// http://localhost, so turning it off is only for unusual set-ups).
    pub cookie_secure: bool,
    /// Send `Strict-Transport-Security` (when served over TLS).
    pub hsts: bool,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Largest `multipart/form-data` body (posts with attachments, consent
    /// forms); each file is also held to the care capability's limit.
    pub max_upload_bytes: usize,
    /// Longest time a request may take.
    pub request_timeout: Duration,
    /// Take the client address from `Forwarded` / `X-Forwarded-For` (behind
    /// a reverse proxy).
    pub trust_proxy: bool,
    /// The one header the reverse proxies append the client address to.
    pub proxy_header: ProxyHeader,
    /// How many reverse proxies in front of Renkei append to that header:
    /// the client address is the entry that many places from the right.
    pub trusted_proxy_hops: usize,
    /// (role label, user name, password) of the demo accounts, shown on the
    /// login page under `--demo` only.
    pub demo_logins: Vec<(String, String, String)>,
    /// Public directory searches allowed per source address per minute.
    pub public_search_per_minute: u32,
    /// Base map tiles (`{z}/{x}/{y}`): 地理院タイル 標準地図 by default.
    pub map_tile_url: String,
    /// Attribution shown on the map for the tiles.
    pub map_attribution: String,
    /// The address users and FHIR clients reach Renkei at
    /// (`RENKEI_PUBLIC_URL`), for absolute links such as a FHIR Bundle's.
    pub public_url: String,
}

/// Which header carries the client address behind reverse proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For` (nginx `$proxy_add_x_forwarded_for`, most proxies).
    XForwardedFor,
    /// `Forwarded` (RFC 7239), its `for=` parameters.
    Forwarded,
}

impl ProxyHeader {
    /// The setting's value: `x-forwarded-for` or `forwarded`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }
}

/// 地理院タイル（標準地図）.
pub const GSI_TILES: &str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            demo: false,
            cookie_secure: true,
            hsts: false,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 32 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            trust_proxy: false,
            proxy_header: ProxyHeader::XForwardedFor,
            trusted_proxy_hops: 1,
            demo_logins: Vec::new(),
            map_tile_url: GSI_TILES.into(),
            public_url: "http://127.0.0.1:8080".into(),
            map_attribution:
                "<a href=\"https://maps.gsi.go.jp/development/ichiran.html\">地理院タイル</a>"
                    .into(),
            public_search_per_minute: 600,
        }
    }
}
