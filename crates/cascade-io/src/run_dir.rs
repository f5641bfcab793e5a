//! Run directories that are whole or absent.
//!
//! A run is written into a temporary sibling directory (`.NAME.tmp-PID`), closed by a
//! `manifest.json` written last (every file's size, SHA-256 and row count, the seed, the
//! scenario's hash and the program version), and only then put in place: swapped with an
//! existing run in one step where the file system can (Linux `renameat2(RENAME_EXCHANGE)`), else
//! by two renames. A run killed at any moment leaves the old complete run or the new complete
//! one under the name — never a mix of files from two runs — and the next write removes the
//! temporary leftovers. [`verify_manifest`] is what readers check before trusting a directory.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::IoError;
use crate::files::write_atomic;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// One file of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// File name inside the run directory.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
    /// Data rows, for the CSV tables.
    pub rows: Option<u64>,
}

/// What a complete run directory holds, written last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Version of the program that wrote it.
    pub program_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// The sweep's run number (the tables' `run_id`); 0 for a single run and in manifests
    /// written before the field existed.
    #[serde(default)]
    pub run_id: u64,
    /// SHA-256 of the scenario text, when it was written with the run.
    pub scenario_sha256: Option<String>,
    /// Every other file, in a fixed order.
    pub files: Vec<ManifestEntry>,
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> IoError {
    let path = path.to_path_buf();
    move |source| IoError::File { path, action, source }
}

/// SHA-256 and size of a file.
fn digest(path: &Path) -> Result<(String, u64), IoError> {
    let mut f = File::open(path).map_err(io(path, "reading"))?;
    let mut h = Sha256::new();
    let mut buf = vec![0_u8; 1 << 16];
    let mut n = 0_u64;
    loop {
        let k = f.read(&mut buf).map_err(io(path, "reading"))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex(&h.finalize()), n))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of some bytes, lower-case hex.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The directory's name and its parent (`.` for a bare name).
fn split(dir: &Path) -> Result<(PathBuf, String), IoError> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| IoError::File {
        path: dir.to_path_buf(),
        action: "naming the run directory",
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path has no final name"),
    })?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// Refuses an output path that exists and is not a directory — before any work is done.
///
/// # Errors
/// [`IoError::File`] naming the path.
pub fn check_run_dir_target(dir: &Path) -> Result<(), IoError> {
    if dir.exists() && !dir.is_dir() {
        return Err(IoError::File {
            path: dir.to_path_buf(),
            action: "using it as the run directory",
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a file (not a directory) is there",
            ),
        });
    }
    Ok(())
}

/// Removes temporary siblings of `dir` left by runs that were killed (`.NAME.tmp-*`,
/// `.NAME.old-*`), except this process's own.
fn clean_stale(parent: &Path, name: &str) -> Result<(), IoError> {
    let Ok(entries) = fs::read_dir(parent) else { return Ok(()) };
    let mine = std::process::id().to_string();
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let stale = [format!(".{name}.tmp-"), format!(".{name}.old-")]
            .iter()
            .any(|p| n.strip_prefix(p.as_str()).is_some_and(|pid| pid != mine));
        if stale {
            fs::remove_dir_all(e.path()).map_err(io(&e.path(), "removing a stale temporary run"))?;
        }
    }
    Ok(())
}

/// Writes a run directory through `fill` (which writes the files into the directory it is
/// given and returns their names and row counts), adds the manifest, and puts it in place of
/// `dir` in one step. Returns the manifest.
///
/// # Errors
/// [`IoError`] naming the file; on failure nothing under `dir` has changed.
pub fn write_run_dir<F>(
    dir: &Path,
    scenario: &str,
    (seed, run_id): (u64, u64),
    scenario_text: Option<&str>,
    fill: F,
) -> Result<Manifest, IoError>
where
    F: FnOnce(&Path) -> Result<Vec<(String, Option<u64>)>, IoError>,
{
    check_run_dir_target(dir)?;
    let (parent, name) = split(dir)?;
    fs::create_dir_all(&parent).map_err(io(&parent, "creating the output directory"))?;
    clean_stale(&parent, &name)?;
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp, "removing an old temporary run"))?;
    }
    fs::create_dir(&tmp).map_err(io(&tmp, "creating the temporary run directory"))?;
    let result = fill_and_seal(&tmp, scenario, (seed, run_id), scenario_text, fill).and_then(|m| {
        put_in_place(&tmp, dir, &parent, &name)?;
        Ok(m)
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn fill_and_seal<F>(
    tmp: &Path,
    scenario: &str,
    (seed, run_id): (u64, u64),
    scenario_text: Option<&str>,
    fill: F,
) -> Result<Manifest, IoError>
where
    F: FnOnce(&Path) -> Result<Vec<(String, Option<u64>)>, IoError>,
{
    let written = fill(tmp)?;
    // Every file hashed at once (each on its own thread), listed in the order written.
    let digests: Vec<Result<(String, u64), IoError>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            written.iter().map(|(name, _)| s.spawn(move || digest(&tmp.join(name)))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    let mut files = Vec::with_capacity(written.len());
    for ((name, rows), d) in written.into_iter().zip(digests) {
        let (sha256, bytes) = d?;
        files.push(ManifestEntry { name, bytes, sha256, rows });
    }
    let manifest = Manifest {
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.to_string(),
        seed,
        run_id,
        scenario_sha256: scenario_text.map(|t| sha256_hex(t.as_bytes())),
        files,
    };
    let path = tmp.join(MANIFEST);
    write_atomic(&path, |path, w| {
        serde_json::to_writer_pretty(&mut *w, &manifest)
            .map_err(|source| IoError::Json { path: path.to_path_buf(), source })
    })?;
    File::open(tmp).and_then(|d| d.sync_all()).map_err(io(tmp, "syncing the run directory"))?;
    Ok(manifest)
}

/// Puts the finished `tmp` at `dir`: a one-step exchange with an existing run where supported,
/// else old run aside, new run in, old run removed.
fn put_in_place(tmp: &Path, dir: &Path, parent: &Path, name: &str) -> Result<(), IoError> {
    if !dir.exists() {
        return fs::rename(tmp, dir).map_err(io(dir, "renaming the run into place"));
    }
    let exchanged = rustix::fs::renameat_with(
        rustix::fs::CWD,
        tmp,
        rustix::fs::CWD,
        dir,
        rustix::fs::RenameFlags::EXCHANGE,
    );
    if exchanged.is_ok() {
        // `tmp` now holds the old run.
        return fs::remove_dir_all(tmp).map_err(io(tmp, "removing the replaced run"));
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    fs::rename(dir, &old).map_err(io(dir, "moving the old run aside"))?;
    fs::rename(tmp, dir).map_err(io(dir, "renaming the run into place"))?;
    fs::remove_dir_all(&old).map_err(io(&old, "removing the replaced run"))
}

/// Reads `dir`'s manifest and checks every file it lists against its size and SHA-256.
///
/// # Errors
/// [`IoError::Missing`] without a manifest (a run that did not finish, or was not written by
/// this program); [`IoError::Corrupt`] naming the first file that does not match.
pub fn verify_manifest(dir: &Path) -> Result<Manifest, IoError> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Err(IoError::Missing { path, what: "manifest" });
    }
    let text = fs::read_to_string(&path).map_err(io(&path, "reading"))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| IoError::Corrupt { path: path.clone(), reason: format!("not a manifest: {e}") })?;
    for f in &manifest.files {
        let p = dir.join(&f.name);
        if !p.exists() {
            return Err(IoError::Missing { path: p, what: "file listed in the manifest" });
        }
        let (sha256, bytes) = digest(&p)?;
        if bytes != f.bytes || sha256 != f.sha256 {
            return Err(IoError::Corrupt {
                path: p,
                reason: format!(
                    "{bytes} bytes with SHA-256 {sha256}, the manifest says {} bytes with {} (changed or from another run)",
                    f.bytes, f.sha256
                ),
            });
        }
        // The hashes prove the files are the ones listed; the manifest's other figures must
        // agree with them, or the manifest itself was edited.
        if let Some(rows) = f.rows {
            let counted = csv_rows(&p)?;
            if counted != rows {
                return Err(IoError::Corrupt {
                    path: path.clone(),
                    reason: format!("lists {rows} rows for {}, the file has {counted}", f.name),
                });
            }
        }
        if f.name == "scenario.toml"
            && let Some(expected) = &manifest.scenario_sha256
            && *expected != f.sha256
        {
            return Err(IoError::Corrupt {
                path: path.clone(),
                reason: format!(
                    "scenario_sha256 {expected} is not the SHA-256 of scenario.toml ({})",
                    f.sha256
                ),
            });
        }
    }
    Ok(manifest)
}

/// Data rows of a CSV file (header not counted).
fn csv_rows(path: &Path) -> Result<u64, IoError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| IoError::Corrupt { path: path.to_path_buf(), reason: format!("unreadable CSV: {e}") })?;
    let mut n = 0_u64;
    for r in rdr.records() {
        r.map_err(|e| IoError::Corrupt { path: path.to_path_buf(), reason: format!("unreadable CSV: {e}") })?;
        n += 1;
    }
    Ok(n)
}
