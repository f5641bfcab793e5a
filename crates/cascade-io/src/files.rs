//! Reading scenario files and writing any file atomically (temporary file, then rename).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use cascade_sim::scenario::Scenario;

use crate::error::IoError;

/// Reads and validates a scenario file, and loads the kline file of every asset with a `path`
/// or a `lookback_path` (relative paths are taken from the scenario file's directory), checked against the run;
/// errors name the file, and for a bad scenario the line, column and field.
///
/// # Errors
/// [`IoError::File`] if it cannot be read, [`IoError::Scenario`] if it is not a valid scenario
/// or a price file does not fit the run, [`IoError::Input`] naming the `assets[i].path` field
/// when a price file is missing or bad.
pub fn read_scenario(path: &Path) -> Result<Scenario, IoError> {
    read_text(path, "reading the scenario").and_then(|src| read_scenario_text(&src, path))
}

/// Reads a text file; bytes that are not UTF-8 are an error naming their line and column (the
/// standard library's message gives no position).
///
/// # Errors
/// [`IoError::File`] if it cannot be read (`action` says what for), [`IoError::Corrupt`] with
/// the position of the first byte that is not UTF-8.
pub fn read_text(path: &Path, action: &'static str) -> Result<String, IoError> {
    let bytes =
        fs::read(path).map_err(|source| IoError::File { path: path.to_path_buf(), action, source })?;
    utf8_text(bytes, path)
}

/// `bytes` as text, or [`IoError::Corrupt`] naming `path` and the line and column (both from
/// 1, the column in characters) of the first byte that is not UTF-8.
///
/// # Errors
/// As said.
pub fn utf8_text(bytes: Vec<u8>, path: &Path) -> Result<String, IoError> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = &bytes[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |k| k + 1);
        let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
        IoError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("line {line}, column {column}: not UTF-8 text (byte 0x{:02x})", bytes[at]),
        }
    })
}

/// Reads and validates scenario text as if it were the file at `path` (errors name `path`;
/// relative kline `path`s are taken from its directory), e.g. a scenario edited in memory by
/// `cascade calibrate`. Same checks as [`read_scenario`].
///
/// # Errors
/// As [`read_scenario`], except reading `path` itself.
pub fn read_scenario_text(src: &str, path: &Path) -> Result<Scenario, IoError> {
    let origin = path.display().to_string();
    let mut scenario = Scenario::from_toml(src, &origin)?;
    let dir = path.parent().unwrap_or_else(|| Path::new(""));
    let mut paths = Vec::new();
    for (i, a) in scenario.assets.iter().enumerate() {
        let Some(file) = &a.path else { continue };
        let resolved = dir.join(file);
        let price_path = crate::klines::read_kline_path(&resolved).map_err(|source| IoError::Input {
            scenario: path.to_path_buf(),
            field: format!("assets[{i}].path"),
            value: file.clone(),
            problem: Box::new(source),
        })?;
        paths.push((i, price_path));
    }
    if !paths.is_empty() {
        scenario.attach_price_paths(paths, src, &origin)?;
    }
    let mut lookbacks = Vec::new();
    for (i, a) in scenario.assets.iter().enumerate() {
        let Some(file) = &a.lookback_path else { continue };
        let resolved = dir.join(file);
        let price_path = crate::klines::read_kline_path(&resolved).map_err(|source| IoError::Input {
            scenario: path.to_path_buf(),
            field: format!("assets[{i}].lookback_path"),
            value: file.clone(),
            problem: Box::new(source),
        })?;
        lookbacks.push((i, price_path));
    }
    if !lookbacks.is_empty() {
        scenario.attach_lookback_paths(lookbacks, src, &origin)?;
    }
    Ok(scenario)
}

/// A scenario with its `[policy]` table replaced by a policy file's content (`cascade compare
/// --policy`): the policy file is read against the policy schema alone (every unknown key
/// reported, in the policy file), spliced into the scenario text, and the result read like
/// [`read_scenario_text`]; problems the policy causes are reported in the policy file, with its
/// line and column. Returns the scenario and the spliced text.
///
/// # Errors
/// [`IoError::Scenario`] naming the policy file (or the scenario file for a problem outside
/// `[policy]`); as [`read_scenario_text`] otherwise.
pub fn read_scenario_with_policy(
    scenario_src: &str,
    scenario_path: &Path,
    policy_src: &str,
    policy_path: &Path,
) -> Result<(Scenario, String), IoError> {
    let (_, spliced) = cascade_sim::scenario::scenario_with_policy(
        scenario_src,
        &scenario_path.display().to_string(),
        policy_src,
        &policy_path.display().to_string(),
    )?;
    // Again with the file reader, for the kline files the scenario may name.
    let scenario = read_scenario_text(&spliced, scenario_path)?;
    Ok((scenario, spliced))
}

/// The temporary name `path` is written under: `.NAME.PID.tmp` in the same directory, so the
/// final rename stays on one file system and is atomic.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes `path` through `fill`, atomically: the bytes go to a temporary file in the same
/// directory, which is flushed, synced and renamed over `path` only if `fill` succeeded. On
/// failure the temporary file is removed and any previous `path` is left as it was.
///
/// # Errors
/// [`IoError::File`] for OS failures, or whatever `fill` returns (it is given the final path to
/// name in its errors).
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<(), IoError>
where
    F: FnOnce(&Path, &mut BufWriter<File>) -> Result<(), IoError>,
{
    let tmp = temp_path(path);
    let io = |action: &'static str| {
        let path = path.to_path_buf();
        move |source| IoError::File { path, action, source }
    };
    let file = File::create(&tmp).map_err(io("creating the temporary file"))?;
    let mut w = BufWriter::new(file);
    let result = fill(path, &mut w)
        .and_then(|()| w.flush().map_err(io("writing")))
        .and_then(|()| w.get_ref().sync_all().map_err(io("syncing")))
        .and_then(|()| fs::rename(&tmp, path).map_err(io("renaming the temporary file into place")));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "ab\ncé" then 0xFF: line 2, and column 3 counts `é` as one character (two bytes).
    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_position() {
        let mut bytes = "ab\ncé".as_bytes().to_vec();
        bytes.push(0xff);
        let err = utf8_text(bytes, Path::new("x.toml")).unwrap_err().to_string();
        assert_eq!(err, "x.toml: line 2, column 3: not UTF-8 text (byte 0xff)");
        assert_eq!(utf8_text(b"ok".to_vec(), Path::new("x")).unwrap(), "ok");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, |_, w| w.write_all(b"first").map_err(|e| panic!("{e}"))).unwrap();
        let err = write_atomic(&p, |path, w| {
            w.write_all(b"half").unwrap();
            Err(IoError::File {
                path: path.to_path_buf(),
                action: "testing",
                source: std::io::Error::other("boom"),
            })
        })
        .unwrap_err();
        assert!(err.to_string().contains("a.txt: testing: boom"), "{err}");
        assert_eq!(fs::read(&p).unwrap(), b"first");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["a.txt"]);
    }

    #[test]
    fn reading_a_scenario_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let e = read_scenario(&missing).unwrap_err();
        assert!(e.to_string().contains("nope.toml: reading the scenario"), "{e}");
        let bad = dir.path().join("bad.toml");
        fs::write(&bad, "[run]\nseed = \"x\"\n").unwrap();
        let e = read_scenario(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.toml:2:8: `run.seed`: invalid type"), "{e}");
        let good = dir.path().join("default.toml");
        fs::write(&good, cascade_sim::scenario::DEFAULT_TOML).unwrap();
        assert_eq!(read_scenario(&good).unwrap(), Scenario::builtin_default());
    }
}
