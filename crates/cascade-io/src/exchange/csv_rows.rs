//! Streaming typed rows out of an exchange CSV: one record in memory at a time, the header line
//! recognised when there is one, each row handed to its dataset's parser ([`Record`]).
//!
//! Header detection: the archives changed over time (Binance's USD-M files gained a header line
//! around 2022; its spot files have none). A first line whose first cell is not a number is
//! taken for a header and must match one of the dataset's layouts column for column (else the
//! file is refused, naming the first column that differs); otherwise the file has no header and
//! its layout is chosen by the number of fields. Must never: skip a row, or guess a layout that
//! two of a dataset's layouts share by field count (the first listed wins, and layouts are
//! listed so that this cannot happen).

use std::io::Read;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::error::IoError;
use crate::exchange::cells::Cells;
use crate::exchange::source::DataFile;

/// A dataset's row type: its accepted layouts and how one record becomes a row.
pub trait Record: Sized {
    /// The dataset's name in messages, e.g. `Binance aggTrades`.
    const DATASET: &'static str;
    /// The layouts a file may follow: column names in order, as the header line spells them.
    const LAYOUTS: &'static [&'static [&'static str]];
    /// Whether a file must start with a header line (layouts that cannot be told apart, or a
    /// format that always has one).
    const HEADER_REQUIRED: bool = false;

    /// Parses one record laid out as `cells.names`.
    ///
    /// # Errors
    /// [`IoError::Cell`] naming the bad column.
    fn parse(cells: &Cells<'_>) -> Result<Self, IoError>;

    /// The row's time, Unix milliseconds UTC.
    fn time_ms(&self) -> i64;
}

/// An iterator of a dataset's rows over an opened file (see the module doc). Stops after the
/// first error.
pub struct Rows<'a, T> {
    name: PathBuf,
    reader: csv::Reader<Box<dyn Read + 'a>>,
    record: csv::StringRecord,
    layout: Option<&'static [&'static str]>,
    header: bool,
    row: u64,
    done: bool,
    _row: PhantomData<T>,
}

impl<'a, T: Record> Rows<'a, T> {
    /// Rows of `file` read as dataset `T`.
    ///
    /// # Errors
    /// As [`DataFile::reader`].
    pub fn new(file: &'a mut DataFile) -> Result<Self, IoError> {
        let name = file.name().to_path_buf();
        let stream = file.reader()?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(stream);
        Ok(Self {
            name,
            reader,
            record: csv::StringRecord::new(),
            layout: None,
            header: false,
            row: 0,
            done: false,
            _row: PhantomData,
        })
    }

    /// The layout the file follows, once the first record has been read.
    #[must_use]
    pub fn layout(&self) -> Option<&'static [&'static str]> {
        self.layout
    }

    /// Whether the file had a header line (known once the first record has been read).
    #[must_use]
    pub fn had_header(&self) -> bool {
        self.header
    }

    /// The name errors show.
    #[must_use]
    pub fn name(&self) -> &Path {
        &self.name
    }

    fn next_row(&mut self) -> Result<Option<T>, IoError> {
        let more = self.reader.read_record(&mut self.record).map_err(|e| {
            let line = e.position().map_or(self.row + 1, csv::Position::line);
            let message = match e.kind() {
                csv::ErrorKind::Io(io) => format!("the data stops short: {io}"),
                _ => format!("unreadable record: {e}"),
            };
            IoError::Cell { path: self.name.clone(), row: self.row + 1, line, field: "-".into(), message }
        })?;
        if !more {
            if self.layout.is_none() && T::HEADER_REQUIRED {
                return Err(self.header_error("the file is empty".into()));
            }
            return Ok(None);
        }
        let line = self.record.position().map_or(self.row + 1, csv::Position::line);
        if self.layout.is_none() {
            let first = self.record.get(0).unwrap_or("").trim_start_matches('\u{feff}').trim();
            let numeric = first.starts_with(|c: char| c.is_ascii_digit() || c == '-');
            if numeric {
                if T::HEADER_REQUIRED {
                    return Err(self.header_error(format!(
                        "line 1 is data (`{first}`), but {} files start with a header line: {}",
                        T::DATASET,
                        T::LAYOUTS[0].join(",")
                    )));
                }
                let n = self.record.len();
                self.layout =
                    Some(T::LAYOUTS.iter().copied().find(|l| l.len() == n).ok_or_else(|| IoError::Cell {
                        path: self.name.clone(),
                        row: 1,
                        line,
                        field: "-".into(),
                        message: format!(
                            "{n} fields and no header line; a {} row has {}",
                            T::DATASET,
                            layouts_text::<T>()
                        ),
                    })?);
            } else {
                self.layout = Some(self.match_header()?);
                self.header = true;
                return self.next_row();
            }
        }
        self.row += 1;
        let names = self.layout.unwrap_or(T::LAYOUTS[0]);
        if self.record.len() != names.len() {
            return Err(IoError::Cell {
                path: self.name.clone(),
                row: self.row,
                line,
                field: "-".into(),
                message: format!(
                    "{} fields where this file's rows have {} ({})",
                    self.record.len(),
                    names.len(),
                    names.join(",")
                ),
            });
        }
        let cells = Cells { file: &self.name, row: self.row, line, names, record: &self.record };
        T::parse(&cells).map(Some)
    }

    /// The layout whose columns the header record spells, or an error naming the first column
    /// that differs from the closest layout.
    fn match_header(&self) -> Result<&'static [&'static str], IoError> {
        let got: Vec<&str> = self
            .record
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { c.trim_start_matches('\u{feff}') } else { c })
            .map(str::trim)
            .collect();
        if let Some(l) = T::LAYOUTS
            .iter()
            .copied()
            .find(|l| l.len() == got.len() && l.iter().zip(&got).all(|(a, b)| a == b))
        {
            return Ok(l);
        }
        let closest = T::LAYOUTS
            .iter()
            .copied()
            .max_by_key(|l| {
                (l.iter().zip(&got).take_while(|(a, b)| a == b).count(), usize::from(l.len() == got.len()))
            })
            .unwrap_or(T::LAYOUTS[0]);
        let message = match closest.iter().zip(&got).position(|(a, b)| a != b) {
            Some(i) => format!(
                "column {} is `{}` where a {} header has `{}` (expected {})",
                i + 1,
                got[i],
                T::DATASET,
                closest[i],
                layouts_text::<T>()
            ),
            None => format!(
                "{} columns where a {} header has {} (expected {})",
                got.len(),
                T::DATASET,
                closest.len(),
                layouts_text::<T>()
            ),
        };
        Err(self.header_error(message))
    }

    fn header_error(&self, message: String) -> IoError {
        IoError::Header { path: self.name.clone(), message }
    }
}

/// The dataset's layouts for messages: `a,b,c` or `a,b,c | a,b,c,d`.
fn layouts_text<T: Record>() -> String {
    T::LAYOUTS.iter().map(|l| l.join(",")).collect::<Vec<_>>().join(" | ")
}

impl<T: Record> Iterator for Rows<'_, T> {
    type Item = Result<T, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_row() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
