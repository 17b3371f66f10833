//! `renkei serve --demo`: the demo accounts printed at start-up. The demo
//! data itself belongs to the capabilities (`renkei_identity::demo`,
//! `renkei_directory::demo`, `renkei_care::demo`), each registered with
//! the assembly and loaded in order by `serve`.

use rand::Rng;
use renkei_identity::demo::{DemoLogin, DEMO_PASSWORD};

/// A random password for `renkei user create` without `--password-stdin`.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

pub fn print_logins(logins: &[DemoLogin]) {
    println!();
    println!("================ Renkei DEMO ================");
    println!("デモ用アカウント / demo accounts (password: {DEMO_PASSWORD})");
    for l in logins {
        println!("  {:<20} {}", l.username, l.role_label);
    }
    println!("確認コードはデモ画面に表示されます / the 2FA code is shown on the demo's code page");
    println!("=============================================");
    println!();
}
