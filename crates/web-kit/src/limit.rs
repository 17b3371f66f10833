//! Requests per minute per key (a source address), in this process: the
//! public, anonymous routes (the directory's resident search, a card's
//! emergency link) answer 429 past their budget.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Requests per minute per source address, in this process.
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn allow(&self, key: &str, per_minute: u32) -> bool {
        let Ok(mut windows) = self.windows.lock() else {
            return true;
        };
        let now = Instant::now();
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start).as_secs() < 60);
        }
        let slot = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(slot.0).as_secs() >= 60 {
            *slot = (now, 0);
        }
        slot.1 += 1;
        slot.1 <= per_minute
    }
}
