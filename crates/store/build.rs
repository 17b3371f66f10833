//! Lists the migration files for `src/migrations.rs`, so a capability adds
//! a migration by adding its two files (`migrations/{sqlite,postgres}/
//! NNNN_<capability>.sql`) and nothing else: the version is the number in
//! the name, and both backends must have the same names.

use std::fmt::Write as _;
use std::path::Path;

fn names(backend: &str) -> Vec<String> {
    let dir = Path::new("migrations").join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().to_string_lossy().to_string();
            name.strip_suffix(".sql").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must hold the same files"
    );
    let mut list = String::from("migrations! {\n");
    let mut last = 0;
    for name in &sqlite {
        let version: i64 = name
            .split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("migration {name}: the name starts with its number"));
        assert!(
            version > last,
            "migration {name}: numbers rise by file name, each once"
        );
        last = version;
        let _ = writeln!(list, "    {version} => \"{name}\",");
    }
    list.push_str("}\n");
    let _ = writeln!(
        list,
        "/// The highest schema version this binary knows.\npub const LATEST_SCHEMA_VERSION: i64 = {last};"
    );
    let out = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    std::fs::write(Path::new(&out).join("migration_list.rs"), list)
        .unwrap_or_else(|e| panic!("{out}: {e}"));
}
