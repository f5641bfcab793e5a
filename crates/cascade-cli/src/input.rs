//! Reading a command's input file, or standard input for `-`.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// The text of `file`, or of standard input when `file` is `-`; bytes that are not UTF-8 are
/// an error naming their line and column.
///
/// # Errors
/// The file (or standard input) cannot be read; the message names it.
pub fn read_file_or_stdin(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).context("cannot read standard input")?;
        Ok(cascade_io::utf8_text(bytes, Path::new("standard input"))?)
    } else {
        Ok(cascade_io::read_text(Path::new(file), "reading")?)
    }
}
