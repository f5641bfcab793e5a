//! `DIR/evaluations.jsonl`: one JSON line per finished evaluation, after a header line naming
//! the inputs (SHA-256 of the scenario, its assets' price files, the targets and the real price
//! file, the seeds). Appended and flushed
//! after every evaluation, so a killed calibration loses at most the evaluation under way;
//! `--resume` reads it back and the optimizer replays the logged objectives instead of running
//! the simulations again. Points are also stored as the bits of their floats, so a replay
//! compares and returns exactly what was computed.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde::{Deserialize, Serialize};

/// The first line: what the evaluations were computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Format version.
    pub version: u32,
    /// SHA-256 of the scenario file's text.
    pub scenario_sha256: String,
    /// SHA-256 of the price files the scenario's assets follow (`[[assets]] path`), in order.
    pub asset_files_sha256: Vec<String>,
    /// SHA-256 of the targets file's text.
    pub targets_sha256: String,
    /// SHA-256 of the real price file, when there is one.
    pub price_file_sha256: Option<String>,
    /// Seeds of every evaluation.
    pub seeds: Vec<u64>,
}

/// One finished evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// 1-based number.
    pub eval: usize,
    /// The optimizer's point (normalised parameters; may lie outside [0, 1]).
    pub x: Vec<f64>,
    /// The same, as the hexadecimal bits of each float (exact).
    pub x_bits: Vec<String>,
    /// Parameter values written into the scenario, in targets-file order.
    pub params: Vec<f64>,
    /// Per seed (seed order): every figure by name.
    pub figures: Vec<BTreeMap<String, f64>>,
    /// Per seed: RMSE of the relative minute path against the real one, percentage points.
    pub path_rmse: Vec<Option<f64>>,
    /// Per seed: RMSE of the simulated per-market drops against the published ones, percentage
    /// points (empty without `[drops]`; absent in logs written before it).
    #[serde(default)]
    pub drops_rmse: Vec<Option<f64>>,
    /// Per seed: the reference market's price at each whole minute.
    pub minute_path: Vec<Vec<Option<f64>>>,
    /// The objective (targets + path + drops + out-of-bounds penalty).
    pub objective: f64,
    /// Its bits, hexadecimal (exact).
    pub objective_bits: String,
    /// Penalty for a point outside the unit box (included in `objective`).
    pub penalty: f64,
    /// Why the scenario or a run was refused at this point (then `objective` is a penalty).
    pub error: Option<String>,
}

/// Hexadecimal bits of a float.
#[must_use]
pub fn bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

/// The float of hexadecimal bits.
pub fn from_bits(s: &str) -> anyhow::Result<f64> {
    u64::from_str_radix(s, 16).map(f64::from_bits).map_err(|_| anyhow!("`{s}` is not 16 hex digits"))
}

/// The open log.
pub struct Log {
    path: PathBuf,
    file: File,
}

impl Log {
    /// Opens `dir/evaluations.jsonl`: a new file with `header` when not resuming (an existing
    /// non-empty log is then an error, so no work is overwritten), or the existing log checked
    /// against `header`, returning its evaluations. A last line cut short by a kill is dropped.
    ///
    /// # Errors
    /// Unreadable or unwritable file, a header that differs (inputs changed), a bad line.
    pub fn open(dir: &Path, header: &Header, resume: bool) -> anyhow::Result<(Self, Vec<Evaluation>)> {
        let path = dir.join("evaluations.jsonl");
        let exists = path.metadata().map(|m| m.len() > 0).unwrap_or(false);
        if exists && !resume {
            bail!("{}: exists: pass --resume to continue it, or choose another --out", path.display());
        }
        let mut done = Vec::new();
        if exists {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("{}: reading", path.display()))?;
            let complete = text.ends_with('\n');
            let lines: Vec<&str> = text.lines().collect();
            let n = lines.len();
            let mut keep = 0usize;
            for (i, line) in lines.iter().enumerate() {
                let last_cut = i + 1 == n && !complete;
                if i == 0 {
                    let found: Header = serde_json::from_str(line).with_context(|| {
                        format!("{}: line 1: not a calibration log header", path.display())
                    })?;
                    if &found != header {
                        bail!(
                            "{}: written for other inputs (scenario, targets, price file or seeds changed): \
                             remove it or choose another --out",
                            path.display()
                        );
                    }
                } else {
                    match serde_json::from_str::<Evaluation>(line) {
                        Ok(e) if e.eval == i => done.push(e),
                        Ok(e) => {
                            bail!("{}: line {}: evaluation {} out of order", path.display(), i + 1, e.eval)
                        }
                        Err(_) if last_cut => {
                            eprintln!("{}: dropping line {} (cut short)", path.display(), i + 1);
                            break;
                        }
                        Err(e) => bail!("{}: line {}: {e}", path.display(), i + 1),
                    }
                }
                keep += line.len() + 1;
            }
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .with_context(|| format!("{}: opening", path.display()))?;
            file.set_len(keep as u64).with_context(|| format!("{}: truncating", path.display()))?;
            let mut log = Self { path, file };
            log.file = OpenOptions::new()
                .append(true)
                .open(&log.path)
                .with_context(|| format!("{}: opening", log.path.display()))?;
            return Ok((log, done));
        }
        let mut file = File::create(&path).with_context(|| format!("{}: creating", path.display()))?;
        writeln!(file, "{}", serde_json::to_string(header)?)
            .with_context(|| format!("{}: writing", path.display()))?;
        file.sync_data().with_context(|| format!("{}: syncing", path.display()))?;
        Ok((Self { path, file }, done))
    }

    /// Appends one evaluation and syncs it to disk.
    ///
    /// # Errors
    /// Unwritable file.
    pub fn append(&mut self, e: &Evaluation) -> anyhow::Result<()> {
        let line = serde_json::to_string(e)?;
        writeln!(self.file, "{line}").with_context(|| format!("{}: appending", self.path.display()))?;
        self.file.sync_data().with_context(|| format!("{}: syncing", self.path.display()))?;
        Ok(())
    }
}
