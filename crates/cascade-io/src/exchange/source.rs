//! Opening an exchange data file as a byte stream, whatever it is wrapped in: a plain file, a zip
//! archive holding one CSV (Binance's public archive, `data.binance.vision`: every
//! `*.zip` there holds exactly one `*.csv` of the same name) or a gzip stream (Bybit's public
//! trading files, `*.csv.gz`). The wrapping is recognised by the file's first bytes, not its
//! name. Nothing is ever unpacked to disk: the entry is decompressed as it is read, so memory
//! stays bounded whatever the file's size.
//!
//! Must never: read a whole file into memory, or pick one entry of an archive that holds
//! several without saying so (it refuses such an archive, naming its entries).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::IoError;

/// First bytes of a zip archive's local file header.
const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";
/// First bytes of an empty zip archive (end-of-central-directory record only).
const ZIP_EMPTY_MAGIC: [u8; 4] = *b"PK\x05\x06";
/// First bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How a data file is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    /// Plain text.
    Plain,
    /// A zip archive with one file entry.
    Zip,
    /// A gzip stream.
    Gzip,
}

/// An opened data file: owns the file (and the archive's directory for a zip) so that
/// [`DataFile::reader`] can lend a decompressing stream over its one entry.
pub struct DataFile {
    /// The name shown in errors: the path, with `!entry` appended for a zip entry.
    name: PathBuf,
    /// The file on disk.
    path: PathBuf,
    inner: Inner,
}

enum Inner {
    Plain,
    Gzip,
    Zip { archive: Box<zip::ZipArchive<BufReader<File>>>, index: usize },
}

impl DataFile {
    /// Opens `path` and recognises its wrapping from its first bytes.
    ///
    /// # Errors
    /// [`IoError::Missing`] when there is no such file, [`IoError::File`] for other OS errors,
    /// [`IoError::Corrupt`] for a zip archive that cannot be read (truncated: its directory is
    /// at the end) or that holds no file or more than one.
    pub fn open(path: &Path) -> Result<Self, IoError> {
        let os = |action: &'static str| {
            let path = path.to_path_buf();
            move |source: std::io::Error| {
                if source.kind() == std::io::ErrorKind::NotFound {
                    IoError::Missing { path, what: "data file" }
                } else {
                    IoError::File { path, action, source }
                }
            }
        };
        let mut file = File::open(path).map_err(os("opening the data file"))?;
        let mut head = [0u8; 4];
        let mut got = 0;
        while got < head.len() {
            let n = file.read(&mut head[got..]).map_err(os("reading the data file"))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        let head = &head[..got];
        let inner = if head.starts_with(&ZIP_MAGIC) || head.starts_with(&ZIP_EMPTY_MAGIC) {
            Self::open_zip(path, File::open(path).map_err(os("opening the data file"))?)?
        } else if head.starts_with(&GZIP_MAGIC) {
            Inner::Gzip
        } else {
            Inner::Plain
        };
        let name = match &inner {
            Inner::Zip { archive, index } => {
                let entry = archive.name_for_index(*index).unwrap_or("?");
                PathBuf::from(format!("{}!{entry}", path.display()))
            }
            _ => path.to_path_buf(),
        };
        Ok(Self { name, path: path.to_path_buf(), inner })
    }

    fn open_zip(path: &Path, file: File) -> Result<Inner, IoError> {
        let corrupt = |reason: String| IoError::Corrupt { path: path.to_path_buf(), reason };
        let archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
            corrupt(format!(
                "not a readable zip archive (truncated or damaged: its directory is at the end): {e}"
            ))
        })?;
        let files: Vec<(usize, String)> = (0..archive.len())
            .filter_map(|i| archive.name_for_index(i).map(|n| (i, n.to_string())))
            .filter(|(_, n)| !n.ends_with('/'))
            .collect();
        match files.as_slice() {
            [(index, _)] => Ok(Inner::Zip { archive: Box::new(archive), index: *index }),
            [] => Err(corrupt("the zip archive holds no file".into())),
            many => Err(corrupt(format!(
                "the zip archive holds {} files ({}); an exchange archive holds one CSV",
                many.len(),
                many.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The name errors show: the path, and for a zip archive `path!entry`.
    #[must_use]
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// The file on disk.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file is wrapped.
    #[must_use]
    pub fn wrapping(&self) -> Wrapping {
        match self.inner {
            Inner::Plain => Wrapping::Plain,
            Inner::Gzip => Wrapping::Gzip,
            Inner::Zip { .. } => Wrapping::Zip,
        }
    }

    /// The name of the data inside: the zip entry's name, else the file name without a `.gz`.
    /// Format detection looks at it (`BTCUSDT-aggTrades-2025-10-10.csv`).
    #[must_use]
    pub fn inner_name(&self) -> String {
        match &self.inner {
            Inner::Zip { archive, index } => archive.name_for_index(*index).unwrap_or("").to_string(),
            _ => {
                let n = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                n.strip_suffix(".gz").map(str::to_string).unwrap_or(n)
            }
        }
    }

    /// A stream of the data's bytes from the start, decompressed as it is read (a zip entry's CRC
    /// is checked at its end: a damaged entry fails the last read). Each call starts over.
    ///
    /// # Errors
    /// [`IoError::File`] if the file cannot be re-read, [`IoError::Corrupt`] if the zip entry
    /// cannot be opened (unsupported compression, encrypted).
    pub fn reader(&mut self) -> Result<Box<dyn Read + '_>, IoError> {
        let open = || {
            File::open(&self.path).map_err(|source| IoError::File {
                path: self.path.clone(),
                action: "opening the data file",
                source,
            })
        };
        match &mut self.inner {
            Inner::Plain => Ok(Box::new(open()?)),
            Inner::Gzip => Ok(Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(open()?)))),
            Inner::Zip { archive, index } => {
                let entry = archive.by_index(*index).map_err(|e| IoError::Corrupt {
                    path: self.name.clone(),
                    reason: format!("cannot read the zip entry: {e}"),
                })?;
                Ok(Box::new(entry))
            }
        }
    }
}
