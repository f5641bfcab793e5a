//! Reading a command's input file, or standard input for `-`.

use std::io::Read;

use anyhow::Context;

/// The text of `file`, or of standard input when `file` is `-`.
///
/// # Errors
/// The file (or standard input) cannot be read; the message names it.
pub fn read_file_or_stdin(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("cannot read standard input")?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))
    }
}
