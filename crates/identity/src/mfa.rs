//! Time-based one-time passwords (RFC 6238) and recovery codes.
//!
//! The QR code is rendered as inline SVG by the server so that no image
//! library and no third-party service sees the secret.

use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::IdentityError;

/// Issuer shown in the authenticator app.
pub const ISSUER: &str = "Renkei";
/// Number of recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A new random secret, base32.
pub fn new_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

fn totp(secret_b32: &str, account: &str) -> Result<TOTP, IdentityError> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| IdentityError::Internal(format!("totp secret: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(ISSUER.to_string()),
        account.to_string(),
    )
    .map_err(|e| IdentityError::Internal(format!("totp: {e}")))
}

/// The `otpauth://` URL an authenticator app scans.
pub fn provisioning_url(secret_b32: &str, account: &str) -> Result<String, IdentityError> {
    Ok(totp(secret_b32, account)?.get_url())
}

/// The QR code of the provisioning URL, as an SVG document.
pub fn qr_svg(url: &str) -> Result<String, IdentityError> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| IdentityError::Internal(format!("qr: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

/// The current code, for the demo's MFA page hint and for tests.
pub fn current_code(secret_b32: &str) -> Result<String, IdentityError> {
    totp(secret_b32, "x")?
        .generate_current()
        .map_err(|e| IdentityError::Internal(format!("clock: {e}")))
}

/// Checks `code` against the steps around `now_secs` (one step of clock
/// skew either way) and returns the matching time step, which must be newer
/// than `last_step` so a code is never accepted twice.
pub fn check(
    secret_b32: &str,
    code: &str,
    now_secs: u64,
    last_step: i64,
) -> Result<Option<i64>, IdentityError> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(secret_b32, "x")?;
    let step_now = (now_secs / 30) as i64;
    for step in [step_now - 1, step_now, step_now + 1] {
        if step <= last_step || step < 0 {
            continue;
        }
        if t.generate((step as u64) * 30) == code {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// New recovery codes, `xxxx-xxxx` from an alphabet without look-alikes.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut s = String::with_capacity(9);
            for i in 0..8 {
                if i == 4 {
                    s.push('-');
                }
                s.push(char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]));
            }
            s
        })
        .collect()
}

/// How recovery codes (and API tokens and session cookies) are stored:
/// high-entropy secrets need a fast hash, not a password hash.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().to_lowercase().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_accepted_once_and_with_skew() {
        let secret = new_secret();
        let now = 1_800_000_000u64;
        let code = totp(&secret, "x").unwrap().generate(now);
        let step = check(&secret, &code, now, 0).unwrap().expect("accepted");
        assert_eq!(step, (now / 30) as i64);
        assert_eq!(
            check(&secret, &code, now, step).unwrap(),
            None,
            "replay refused"
        );
        assert!(
            check(&secret, &code, now + 30, 0).unwrap().is_some(),
            "one step of skew"
        );
        assert!(
            check(&secret, &code, now + 90, 0).unwrap().is_none(),
            "too old"
        );
        assert!(check(&secret, "12ab56", now, 0).unwrap().is_none());
    }

    #[test]
    fn qr_is_svg() {
        let url = provisioning_url(&new_secret(), "nurse1").unwrap();
        assert!(url.starts_with("otpauth://totp/Renkei:nurse1?"));
        assert!(qr_svg(&url).unwrap().contains("<svg"));
    }

    #[test]
    fn recovery_codes_are_distinct() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), RECOVERY_CODES);
    }
}
