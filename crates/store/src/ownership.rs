//! Boundaries that hold: a test that fails when a capability's SQL names a
//! table another capability owns.
//!
//! The owner map comes from the migrations: `NNNN_<capability>[_…].sql`
//! owns every table it creates, and every view it creates is *published*
//! by that capability (its documented read model, e.g. identity's
//! `identity_people`; see `renkei_identity::read_model`).
//!
//! The rule, checked against every string literal in the sources of the
//! crates (every crate but `store`, see `checked_crates`):
//!
//! - a crate may name its own capability's tables and any published view;
//! - it names no other capability's table, in SQL or as a bare table name
//!   (the way `format!`-built SQL and `setval` loops name tables);
//! - the audit trail's tables (`audit_log`, `audit_head`,
//!   `audit_checkpoints`, owned by `store`) are named by no capability:
//!   everyone appends through `renkei_store::audit::{append, append_alone}`
//!   and reads through `audit::search`/`verify`, which keep the hash chain
//!   whole. The same goes for any later table of `store`.
//!
//! Migrations are held to the same rule, except that a foreign key
//! (`REFERENCES other (id)`) may point at another capability's table:
//! that is integrity, not a read. A published view's name starts with its
//! owner's name (`identity_…`), so a reader of any query sees whose it is.
//!
//! A literal counts as SQL when it holds an upper-case SQL keyword
//! (`SELECT`, `FROM`, `JOIN`, …; the code writes keywords upper-case and
//! messages in sentence case). Single-quoted SQL strings and `a.b` column
//! references inside it are not table names. This is a lint, not a parser:
//! it cannot see a table name assembled from pieces, and it says so by
//! failing on bare table-name literals too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::migrations::{POSTGRES, SQLITE};

/// The crates whose sources are checked: every crate under `crates/` but
/// `store` (which owns the audit trail and runs the migrations). A crate
/// belongs to the capability its name says (`care` and `care-web` to
/// `care`, as migration file names spell it); a crate of no capability
/// with migrations (the kit, the assembly, the binary, the shared
/// libraries) may name no table at all. So a new capability is checked
/// from its first commit, with nothing to register here.
fn checked_crates(capabilities: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(crates_dir()).unwrap_or_else(|e| panic!("crates/: {e}"));
    for entry in entries.flatten() {
        let dir = entry.file_name().to_string_lossy().to_string();
        if dir == "store" || !entry.path().join("src").is_dir() {
            continue;
        }
        let base = dir.strip_suffix("-web").unwrap_or(&dir);
        let capability = if capabilities.contains(&base) {
            base.to_string()
        } else {
            NO_TABLES.to_string()
        };
        out.push((dir, capability));
    }
    out.sort();
    out
}

/// Migration owners whose tables the `store` crate itself keeps: the audit
/// trail (`0001_store_audit`, `0007_audit_checkpoints`).
const STORE_OWNED: &[&str] = &["store", "audit"];

/// The owner name of crates that own no table.
const NO_TABLES: &str = "(none)";

/// Words that make a string literal SQL.
const SQL_KEYWORDS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "FROM",
    "JOIN",
    "INTO",
    "WHERE",
    "VALUES",
    "TABLE",
    "VIEW",
    "EXISTS",
    "REFERENCES",
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    capability: String,
    /// A published view (anyone may read it) rather than a private table.
    published: bool,
}

/// `0009_care_break_glass_attempts` → `care`.
fn capability_of(migration: &str) -> &str {
    let rest = migration.split_once('_').map_or(migration, |(_, r)| r);
    rest.split('_').next().unwrap_or(rest)
}

/// SQL without `--` comments and with every single-quoted string blanked,
/// so neither can look like a table name.
fn sql_code(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '\'' => {
                // '' inside a string is an escaped quote: the string goes on.
                loop {
                    match chars.next() {
                        None => break,
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                        }
                        Some('\'') => break,
                        Some(_) => {}
                    }
                }
                out.push_str("''");
            }
            c => out.push(c),
        }
    }
    out
}

/// The words of SQL code, each with the character just before it (to tell
/// `u.id` from `users`).
fn words(code: &str) -> Vec<(char, String)> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut before = ' ';
    let mut last = ' ';
    for c in code.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if word.is_empty() {
                before = last;
            }
            word.push(c);
        } else if !word.is_empty() {
            out.push((before, std::mem::take(&mut word)));
        }
        last = c;
    }
    if !word.is_empty() {
        out.push((before, word));
    }
    out
}

/// Table names (not column references) in SQL code, each with the keyword
/// before it (upper-cased).
fn names(code: &str) -> Vec<(String, String)> {
    let w = words(code);
    let mut out = Vec::new();
    for (i, (before, word)) in w.iter().enumerate() {
        if *before == '.' {
            continue;
        }
        let previous = i
            .checked_sub(1)
            .map(|p| w[p].1.to_ascii_uppercase())
            .unwrap_or_default();
        out.push((previous, word.clone()));
    }
    out
}

/// The owner map of one backend's migrations: every table and view created,
/// by its name.
fn owner_map(migrations: &[(i64, &str, &str)]) -> Result<BTreeMap<String, Owner>, String> {
    let mut map = BTreeMap::new();
    for (_, name, sql) in migrations {
        let capability = capability_of(name).to_string();
        let w: Vec<String> = words(&sql_code(sql)).into_iter().map(|(_, w)| w).collect();
        let upper: Vec<String> = w.iter().map(|x| x.to_ascii_uppercase()).collect();
        let mut i = 0;
        while i < w.len() {
            let created = match upper[i].as_str() {
                "CREATE" => {
                    let mut j = i + 1;
                    if upper.get(j).map(String::as_str) == Some("OR") {
                        j += 2; // OR REPLACE
                    }
                    match upper.get(j).map(String::as_str) {
                        Some("TABLE") => Some((j + 1, false)),
                        Some("VIEW") => Some((j + 1, true)),
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some((mut j, published)) = created {
                if upper.get(j).map(String::as_str) == Some("IF") {
                    j += 3; // IF NOT EXISTS
                }
                let Some(table) = w.get(j) else {
                    return Err(format!("{name}: CREATE without a name"));
                };
                let owner = Owner {
                    capability: capability.clone(),
                    published,
                };
                if let Some(before) = map.insert(table.clone(), owner) {
                    return Err(format!(
                        "{name} creates {table}, which {} already created",
                        before.capability
                    ));
                }
                if published && !table.starts_with(&format!("{capability}_")) {
                    return Err(format!(
                        "{name} publishes the view {table}; a view's name starts with its owner's ({capability}_…)"
                    ));
                }
                i = j;
            }
            i += 1;
        }
    }
    Ok(map)
}

/// What `capability` may not name in `sql`: (table, its owner).
fn foreign_tables(
    sql: &str,
    capability: &str,
    map: &BTreeMap<String, Owner>,
    allow_references: bool,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (previous, name) in names(&sql_code(sql)) {
        if allow_references && previous == "REFERENCES" {
            continue;
        }
        if let Some(owner) = map.get(&name) {
            if !owner.published
                && owner.capability != capability
                && !out.iter().any(|(t, _)| *t == name)
            {
                out.push((name, owner.capability.clone()));
            }
        }
    }
    out
}

fn looks_like_sql(literal: &str) -> bool {
    words(literal)
        .iter()
        .any(|(_, w)| SQL_KEYWORDS.contains(&w.as_str()))
}

/// The string literals of Rust source, with the line each starts on.
/// Comments (doc comments too) are skipped; `"…"`, `b"…"`, `r"…"`,
/// `r#"…"#` and `br#"…"#` are read; char literals and lifetimes are told
/// apart so a `'"'` does not open a string.
fn string_literals(source: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if at(i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == '*' => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '\'' => {
                // 'x', '\n', '\'' and '\u{…}' are chars; 'a (no closing
                // quote right after one char) is a lifetime or label.
                if at(i + 1) == '\\' {
                    i += 3;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if at(i + 2) == '\'' {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            '"' => {
                let start = line;
                let (text, next, lines) = cooked(&chars, i + 1);
                out.push((start, text));
                line += lines;
                i = next;
            }
            c if c.is_alphabetic() || c == '_' => {
                let begin = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let ident: String = chars[begin..i].iter().collect();
                match (ident.as_str(), at(i)) {
                    ("r" | "br", '"' | '#') => {
                        let mut hashes = 0;
                        while at(i) == '#' {
                            hashes += 1;
                            i += 1;
                        }
                        if at(i) != '"' {
                            continue;
                        }
                        i += 1;
                        let start = line;
                        let mut text = String::new();
                        while i < chars.len() {
                            if chars[i] == '"' && (1..=hashes).all(|h| at(i + h) == '#') {
                                i += 1 + hashes;
                                break;
                            }
                            if chars[i] == '\n' {
                                line += 1;
                            }
                            text.push(chars[i]);
                            i += 1;
                        }
                        out.push((start, text));
                    }
                    ("b", '"') => {
                        let start = line;
                        let (text, next, lines) = cooked(&chars, i + 1);
                        out.push((start, text));
                        line += lines;
                        i = next;
                    }
                    ("b", '\'') => {
                        i += 1;
                        while i < chars.len() && chars[i] != '\'' {
                            if chars[i] == '\\' {
                                i += 1;
                            }
                            i += 1;
                        }
                        i += 1;
                    }
                    _ => {}
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// A `"…"` string from just after its opening quote: its text (escapes
/// kept as written, a `\` line continuation dropped with the next line's
/// indentation), where the code goes on, and how many lines it spans.
fn cooked(chars: &[char], mut i: usize) -> (String, usize, usize) {
    let mut text = String::new();
    let mut lines = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => return (text, i + 1, lines),
            '\\' if chars.get(i + 1) == Some(&'\n') => {
                lines += 1;
                i += 2;
                while i < chars.len() && chars[i].is_whitespace() {
                    if chars[i] == '\n' {
                        lines += 1;
                    }
                    i += 1;
                }
            }
            '\\' => {
                // \n, \t, \" and the like: a space is as good for the lint.
                text.push(' ');
                i += 2;
            }
            c => {
                if c == '\n' {
                    lines += 1;
                }
                text.push(c);
                i += 1;
            }
        }
    }
    (text, i, lines)
}

/// Every violation in one source file, as printable lines.
fn check_source(
    file: &str,
    source: &str,
    capability: &str,
    map: &BTreeMap<String, Owner>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (line, literal) in string_literals(source) {
        let bare = literal.trim();
        let foreign = if looks_like_sql(&literal) {
            foreign_tables(&literal, capability, map, false)
        } else {
            match map.get(bare) {
                Some(o) if !o.published && o.capability != capability => {
                    vec![(bare.to_string(), o.capability.clone())]
                }
                _ => Vec::new(),
            }
        };
        for (table, owner) in foreign {
            let excerpt: String = bare.chars().take(90).collect();
            out.push(format!(
                "{file}:{line}: {capability} names {owner}'s table {table} in \"{excerpt}\""
            ));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn both_backends_have_the_same_owners() {
    let sqlite = owner_map(SQLITE).unwrap_or_else(|e| panic!("sqlite: {e}"));
    let postgres = owner_map(POSTGRES).unwrap_or_else(|e| panic!("postgres: {e}"));
    assert_eq!(sqlite, postgres);
    let views: Vec<&String> = sqlite
        .iter()
        .filter(|(_, o)| o.published)
        .map(|(t, _)| t)
        .collect();
    assert!(
        views.len() >= 4 && views.iter().all(|v| v.starts_with("identity_")),
        "identity's read model is published: {views:?}"
    );
    assert_eq!(
        sqlite.get("users").map(|o| o.capability.as_str()),
        Some("identity")
    );
    assert_eq!(
        sqlite.get("audit_log").map(|o| o.capability.as_str()),
        Some("store")
    );
}

#[test]
fn migrations_touch_only_their_own_tables() {
    let map = owner_map(SQLITE).unwrap_or_else(|e| panic!("{e}"));
    let mut problems = Vec::new();
    for list in [SQLITE, POSTGRES] {
        for (_, name, sql) in list {
            for (table, owner) in foreign_tables(sql, capability_of(name), &map, true) {
                problems.push(format!("{name} names {owner}'s table {table}"));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn capabilities_name_only_their_own_tables_and_published_views() {
    let map = owner_map(SQLITE).unwrap_or_else(|e| panic!("{e}"));
    let capabilities: Vec<&str> = map.values().map(|o| o.capability.as_str()).collect();
    let mut problems = Vec::new();
    let mut files_read = 0;
    let checked = checked_crates(&capabilities);
    for capability in &capabilities {
        assert!(
            STORE_OWNED.contains(capability) || checked.iter().any(|(_, c)| c == capability),
            "no crate is named after the capability {capability} of the migrations"
        );
    }
    for (dir, capability) in &checked {
        let src = crates_dir().join(dir).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        files.sort();
        assert!(!files.is_empty(), "{} has no sources", src.display());
        for path in files {
            let source = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let shown = match path.strip_prefix(crates_dir()) {
                Ok(p) => format!("crates/{}", p.display()),
                Err(_) => path.display().to_string(),
            };
            problems.extend(check_source(&shown, &source, capability, &map));
            files_read += 1;
        }
    }
    assert!(files_read > 10, "only {files_read} files read");
    assert!(
        problems.is_empty(),
        "a capability reads another through its published views or its service, never its tables:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_lint_sees_what_it_should_and_nothing_else() {
    let map = owner_map(SQLITE).unwrap_or_else(|e| panic!("{e}"));
    let source = r####"
        //! Reads the users table (a comment: not SQL).
        /// `SELECT * FROM users` in a doc comment is not code either.
        const A: &str = "SELECT m.id FROM care_members m JOIN users u ON u.id = m.user_id";
        const B: &str = "SELECT id FROM identity_people WHERE role = 'users'";
        const C: &str = r#"INSERT INTO audit_log (seq) VALUES (1)"#;
        fn f<'a>(x: &'a str) -> char { let _ = x; '"' }
        const D: &str = "Choose one of your organisations.";
        const E: &str = "SELECT p.id FROM care_posts p \
            LEFT JOIN organisations o ON o.id = p.author_id";
        const F: [&str; 2] = ["care_posts", "sessions"];
        const G: &str = "SELECT u.users FROM identity_people u";
        const H: &[u8] = br"DELETE FROM patients";
    "####;
    let found = check_source("x.rs", source, "care", &map);
    let tables: Vec<&str> = found
        .iter()
        .filter_map(|f| f.split("'s table ").nth(1))
        .filter_map(|t| t.split(' ').next())
        .collect();
    assert_eq!(
        tables,
        ["users", "audit_log", "organisations", "sessions"],
        "{found:#?}"
    );
    assert!(found[0].starts_with("x.rs:4: care names identity's table users"));
    assert!(found[2].starts_with("x.rs:9: "), "{}", found[2]);
    // In a migration a foreign key may point anywhere; anything else may not.
    assert_eq!(
        foreign_tables(
            "CREATE TABLE care_x (u BIGINT REFERENCES users (id)); UPDATE organisations SET name = ''",
            "care",
            &map,
            true
        ),
        [("organisations".to_string(), "identity".to_string())]
    );
    // Another capability naming care's table is caught the same way.
    assert_eq!(check_source("y.rs", source, "directory", &map).len(), 8);
}
