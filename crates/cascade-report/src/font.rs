//! The embedded font: DejaVu Sans, compiled in from the `dejavu` crate and registered with
//! plotters as `sans-serif` once per process. No system font, fontconfig or freetype is used,
//! so charts render on a machine with no fonts installed.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Registers DejaVu Sans (regular and bold) as `sans-serif` if not done yet.
///
/// # Errors
/// A message if the font data were refused (it is the crate's own bundled file, so this would
/// be a packaging fault).
pub fn ensure() -> Result<(), String> {
    REGISTERED
        .get_or_init(|| {
            register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
                .and_then(|()| register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()))
                .map_err(|_| "the embedded DejaVu Sans font was refused".to_string())
        })
        .clone()
}
