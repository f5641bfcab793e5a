//! `cascade sweep merge`: shard directories joined into one sweep directory whose tables are
//! those an unsharded sweep would have written (same rows, same bytes).
//!
//! Refused: directories of different specs, a run present in two directories (overlapping
//! shards), runs missing from the union (an unfinished or absent shard: finish it first).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::SweepError;
use crate::figures::figure_defs;
use crate::journal::{RunRow, read_rows, write_rows};
use crate::output::PROGRAM_VERSION;
use crate::runner::{
    SweepOutcome, SweepState, journal_path, read_spec, read_state, spec_path, state_path, venues_of,
    write_outputs,
};

/// Merges the shard directories into `out_dir` (created; refused if it holds another sweep).
///
/// # Errors
/// [`SweepError::Mismatch`] naming the directory that does not fit; file errors.
pub fn merge(shard_dirs: &[PathBuf], out_dir: &Path) -> Result<SweepOutcome, SweepError> {
    let Some(first) = shard_dirs.first() else {
        return Err(SweepError::Option("merge: name at least one sweep directory".into()));
    };
    let spec = read_spec(first)?;
    let hash = spec.hash();
    let (venues, start) = venues_of(&spec)?;
    let defs = figure_defs(&venues);
    let mut rows: BTreeMap<u64, RunRow> = BTreeMap::new();
    let mut owner: BTreeMap<u64, usize> = BTreeMap::new();
    for (k, dir) in shard_dirs.iter().enumerate() {
        let mismatch = |problem: String| SweepError::Mismatch { dir: dir.clone(), problem };
        let state =
            read_state(dir)?.ok_or_else(|| mismatch("no sweep.json: not a sweep directory".into()))?;
        if state.spec_sha256 != hash {
            return Err(mismatch(format!(
                "holds another sweep than {} (spec hashes differ)",
                first.display()
            )));
        }
        for (id, row) in read_rows(&journal_path(dir), &defs, false)? {
            if let Some(&other) = owner.get(&id) {
                return Err(mismatch(format!(
                    "run {id} is also in {}: the shards overlap",
                    shard_dirs[other].display()
                )));
            }
            owner.insert(id, k);
            rows.insert(id, row);
        }
    }
    let planned = spec.run_count();
    if (rows.len() as u64) < planned {
        let missing: Vec<String> =
            (0..planned).filter(|id| !rows.contains_key(id)).take(5).map(|id| id.to_string()).collect();
        return Err(SweepError::Mismatch {
            dir: out_dir.to_path_buf(),
            problem: format!(
                "{} of {planned} runs are missing (run ids {}…): finish or add the missing shards",
                planned - rows.len() as u64,
                missing.join(", ")
            ),
        });
    }
    if let Some(old) = read_state(out_dir)?
        && old.spec_sha256 != hash
    {
        return Err(SweepError::Mismatch {
            dir: out_dir.to_path_buf(),
            problem: "holds another sweep".into(),
        });
    }
    std::fs::create_dir_all(out_dir)
        .map_err(crate::error::file_err(out_dir, "creating the output directory"))?;
    let state = SweepState {
        format: 1,
        name: spec.name.clone(),
        spec_sha256: hash,
        scenario_sha256: spec.scenario_hash(),
        program_version: PROGRAM_VERSION.into(),
        shard: None,
        runs_planned: planned,
    };
    cascade_io::compare::write_json(&spec_path(out_dir), &spec)?;
    write_rows(&journal_path(out_dir), &rows)?;
    cascade_io::compare::write_json(&state_path(out_dir), &state)?;
    let all: Vec<RunRow> = rows.into_values().collect();
    let files = write_outputs(&spec, out_dir, &defs, &all, start)?;
    Ok(SweepOutcome { out_dir: out_dir.to_path_buf(), planned, resumed: planned, ran: 0, files })
}
