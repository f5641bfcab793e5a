//! The one error type of `calc`: what is wrong and where (a JSON path such as
//! `positions[3].entry_price`, or empty for the document as a whole), so a front end can show
//! the field next to the message.

/// Why a calc input was refused or could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.shown())]
pub struct CalcError {
    /// JSON path of the field, e.g. `positions[1].side`; empty when no field is concerned
    /// (a syntax error, which gives its line and column in `message` instead).
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl CalcError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }

    fn shown(&self) -> String {
        if self.path.is_empty() { self.message.clone() } else { format!("{}: {}", self.path, self.message) }
    }
}

/// `result.at(path)?`: any displayable error becomes a [`CalcError`] naming `path`.
pub(crate) trait At<T> {
    fn at(self, path: &str) -> Result<T, CalcError>;
}

impl<T, E: std::fmt::Display> At<T> for Result<T, E> {
    fn at(self, path: &str) -> Result<T, CalcError> {
        self.map_err(|e| CalcError::new(path, e.to_string()))
    }
}
