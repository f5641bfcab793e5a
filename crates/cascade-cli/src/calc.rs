//! `cascade calc FILE`: a venue's margin calculator. Thin: reads the file (or standard input),
//! calls [`cascade_io::calc::calc`] (input format, validation and computation; see its module
//! documentation for the fields) and prints the result as JSON. `main` turns an error into
//! exit code 2; every input error names its JSON path or its line and column.

/// Arguments of `cascade calc`.
#[derive(clap::Args)]
pub struct CalcArgs {
    /// Input JSON file, or `-` to read standard input.
    file: String,
}

/// Reads the input, computes, prints the result as JSON on stdout.
///
/// # Errors
/// An unreadable file, malformed JSON (with line and column), or an invalid field (named).
pub fn run(args: &CalcArgs) -> anyhow::Result<()> {
    let text = crate::input::read_file_or_stdin(&args.file)?;
    let out = cascade_io::calc::calc_document(&text)?;
    crate::out::line(format_args!("{}", serde_json::to_string_pretty(&out)?))?;
    Ok(())
}
