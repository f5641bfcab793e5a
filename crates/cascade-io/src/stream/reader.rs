//! Reads stream events from JSON lines, skipping (and counting) the lines it cannot read, and
//! able to follow a file that is still being written.

use std::collections::VecDeque;
use std::io::BufRead;

use cascade_watch::StreamEvent;
use serde::Serialize;

use super::parse::{LineError, parse_line};

/// What the reader has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadStats {
    /// Lines read (blank ones included).
    pub lines: u64,
    /// Events read.
    pub events: u64,
    /// Lines or array elements skipped as malformed (bad JSON, missing or bad field).
    pub malformed: u64,
    /// Events of another type, skipped.
    pub unsupported: u64,
}

/// One step of the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled {
    /// An event.
    Event(StreamEvent),
    /// A line (or an element of an array line) that was skipped, and why.
    Skipped {
        /// Line number, 1-based.
        line: u64,
        /// Why.
        error: LineError,
    },
    /// No complete line available: the end of the input, or, when following, of what has
    /// been written so far (poll again later).
    End,
}

/// A reader of JSON lines of events. Never stops on a bad line: it returns
/// [`Polled::Skipped`] and counts it.
#[derive(Debug)]
pub struct StreamReader<R> {
    inner: R,
    buf: Vec<u8>,
    line: u64,
    pending: VecDeque<Polled>,
    stats: ReadStats,
    follow: bool,
}

impl<R: BufRead> StreamReader<R> {
    /// Reads from `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(512),
            line: 0,
            pending: VecDeque::new(),
            stats: ReadStats::default(),
            follow: false,
        }
    }

    /// When following, a last line without its newline is taken as still being written: it
    /// is kept and completed by later reads instead of being parsed.
    #[must_use]
    pub fn following(mut self, follow: bool) -> Self {
        self.follow = follow;
        self
    }

    /// What has been read so far.
    #[must_use]
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// The next event, skipped line, or the end of what is available.
    ///
    /// # Errors
    /// The operating system's read error.
    pub fn poll(&mut self) -> std::io::Result<Polled> {
        loop {
            if let Some(p) = self.pending.pop_front() {
                return Ok(p);
            }
            let n = self.inner.read_until(b'\n', &mut self.buf)?;
            let complete = self.buf.last() == Some(&b'\n');
            if n == 0 && self.buf.is_empty() {
                return Ok(Polled::End);
            }
            if !complete && self.follow {
                return Ok(Polled::End);
            }
            self.line += 1;
            self.stats.lines += 1;
            let mut end = self.buf.len();
            while end > 0 && matches!(self.buf[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            let (line, stats, pending) = (self.line, &mut self.stats, &mut self.pending);
            parse_line(&self.buf[..end], &mut |r| {
                pending.push_back(match r {
                    Ok(e) => {
                        stats.events += 1;
                        Polled::Event(e)
                    }
                    Err(error) => {
                        if error.unsupported {
                            stats.unsupported += 1;
                        } else {
                            stats.malformed += 1;
                        }
                        Polled::Skipped { line, error }
                    }
                });
            });
            self.buf.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"e":"markPriceUpdate","E":1000,"s":"BTCUSDT","p":"100"}"#;

    #[test]
    fn bad_lines_are_skipped_counted_and_named() {
        let text = format!("{GOOD}\nnot json\n\n{{\"e\":\"trade\"}}\r\n{GOOD}\r\n{{\"e\":\"aggTrade\"");
        let mut r = StreamReader::new(text.as_bytes());
        let mut got = Vec::new();
        loop {
            match r.poll().unwrap() {
                Polled::End => break,
                p => got.push(p),
            }
        }
        assert!(matches!(got[0], Polled::Event(_)));
        assert!(matches!(&got[1], Polled::Skipped { line: 2, error } if error.column == Some(2)));
        assert!(matches!(&got[2], Polled::Skipped { line: 4, error } if error.unsupported));
        assert!(matches!(got[3], Polled::Event(_)));
        // The last line has no newline: not following, it is read (and is cut short).
        assert!(matches!(&got[4], Polled::Skipped { line: 6, error } if !error.unsupported));
        assert_eq!(got.len(), 5);
        assert_eq!(r.stats(), ReadStats { lines: 6, events: 2, malformed: 2, unsupported: 1 });
    }

    /// Following a file being written: a half-written line waits for its end.
    #[test]
    fn following_waits_for_the_rest_of_a_line() {
        let (a, b) = GOOD.split_at(20);
        let mut src = std::io::Cursor::new(Vec::new());
        src.get_mut().extend_from_slice(a.as_bytes());
        let mut r = StreamReader::new(src).following(true);
        assert_eq!(r.poll().unwrap(), Polled::End);
        r.inner.get_mut().extend_from_slice(format!("{b}\n").as_bytes());
        assert!(matches!(r.poll().unwrap(), Polled::Event(_)));
        assert_eq!(r.poll().unwrap(), Polled::End);
        assert_eq!(r.stats().malformed, 0);
    }
}
