//! Standard output that a closed pipe does not turn into a panic: `cascade calc … | head -1`
//! is a normal way to use a command-line tool, so a reader that stops early ends the output
//! quietly instead of crashing (`println!` panics on a broken pipe).

use std::io::{ErrorKind, Write};

/// Writes `text` and a newline to standard output. A reader that has gone away (broken pipe) is
/// not an error: the output simply ends.
///
/// # Errors
/// Any other write failure.
pub fn line(text: impl std::fmt::Display) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
