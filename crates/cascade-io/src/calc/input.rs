//! The calc input document, read by serde derive: unknown fields, duplicate keys and wrong
//! types are refused with the JSON path of the field (`serde_path_to_error`), and numbers keep
//! their decimal text ([`Num`], through `RawValue`: never an `f64`).
//!
//! Every field is optional at this stage so that a missing required field and a `null` are
//! reported the same way, by name, when the position is validated (`prepare.rs`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor, value::MapAccessDeserializer};
use serde_json::value::RawValue;

use super::error::CalcError;

/// Deepest nesting of arrays and objects read (the schema uses three). Deeper documents are
/// refused in one pass before any parsing (a 20,000-deep array once overflowed the stack).
pub const MAX_DEPTH: usize = 32;

/// The whole document.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Venue name (`binance`, `bybit`, …).
    pub venue: Option<String>,
    /// `isolated` or `cross`.
    pub mode: Option<String>,
    /// The wallet (required in cross mode).
    pub wallet_balance: Option<Num>,
    /// At least one position.
    pub positions: Option<Vec<Object<PositionIn>>>,
    /// Several accounts, one per venue (each a document of its own); instead of the fields
    /// above, not with them.
    pub accounts: Option<Vec<Object<Input>>>,
}

/// One position as written; see the module documentation of `calc` for the fields.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields are the documented JSON keys.
pub struct PositionIn {
    pub symbol: Option<String>,
    pub side: Option<String>,
    pub size: Option<Num>,
    pub entry_price: Option<Num>,
    pub mark_price: Option<Num>,
    pub margin: Option<Num>,
    pub leverage: Option<Num>,
    pub mmr: Option<Num>,
    pub maintenance_amount: Option<Num>,
    pub max_leverage: Option<Num>,
    pub contract: Option<String>,
    pub contract_size: Option<Num>,
    pub taker_fee: Option<Num>,
}

/// A struct read only from a JSON object: serde derive would also take a struct from an
/// array of its fields in order (`["binance", "cross", …]`), a form nobody means.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A number as written, from a JSON number or a JSON string: its text, exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Num(pub String);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get();
        let kind = match text.as_bytes().first() {
            Some(b'"') => return serde_json::from_str::<String>(text).map(Num).map_err(de::Error::custom),
            Some(b'-' | b'0'..=b'9') => return Ok(Num(text.to_string())),
            Some(b't' | b'f') => "a boolean",
            Some(b'[') => "an array",
            Some(b'{') => "an object",
            _ => "something else",
        };
        Err(de::Error::custom(format!("expected a number, got {kind}")))
    }
}

impl Num {
    /// The exact decimal, or an error naming `path`. A value with more than 28 decimal
    /// places is refused rather than rounded (rounding could let a value too fine for any
    /// precision check pass as another number).
    ///
    /// # Errors
    /// Text that is not a decimal number, or cannot be held exactly.
    pub fn decimal(&self, path: &str) -> Result<Decimal, CalcError> {
        let text = self.0.trim();
        // A 60,000-digit value is named by its start and length, not echoed whole.
        let shown = match text.char_indices().nth(40) {
            Some((cut, _)) => format!("{}… ({} characters)", &text[..cut], text.chars().count()),
            None => text.to_string(),
        };
        if !cascade_engine::num::is_decimal_numeral(text) {
            return Err(CalcError::new(path, format!("`{shown}` is not a decimal number")));
        }
        if let Ok(d) = Decimal::from_str_exact(text) {
            return Ok(d.normalize());
        }
        if Decimal::from_str(text).is_ok() {
            return Err(CalcError::new(
                path,
                format!("`{shown}` has more digits than can be held exactly (at most 28 decimal places)"),
            ));
        }
        Decimal::from_scientific(text)
            .map(|d| d.normalize())
            .map_err(|_| CalcError::new(path, format!("`{shown}` is not a decimal number")))
    }
}

/// Deepest nesting of `[` and `{` in a JSON text, brackets inside strings not counted. A
/// single pass, so any input size is cheap.
#[must_use]
pub fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Reads the document. Errors name the JSON path (`positions[3].entry_price`), or for a
/// syntax error the line and column.
///
/// # Errors
/// Nesting deeper than [`MAX_DEPTH`], malformed JSON, a wrong type, an unknown field, a key
/// given twice.
pub fn read(text: &str) -> Result<Input, CalcError> {
    let depth = nesting_depth(text);
    if depth > MAX_DEPTH {
        return Err(CalcError::new(
            "",
            format!("invalid JSON: nested {depth} levels deep (at most {MAX_DEPTH})"),
        ));
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let parsed: Result<Object<Input>, _> = serde_path_to_error::deserialize(&mut *de);
    let Object(input) = parsed.map_err(|e| {
        let mut path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // A key given twice is reported on its object: name the key itself.
        if let Some(key) = message.strip_prefix("duplicate field `").and_then(|r| r.split('`').next()) {
            path = if path == "." { key.to_string() } else { format!("{path}.{key}") };
        }
        if inner.is_syntax() || inner.is_eof() {
            CalcError::new("", format!("invalid JSON: {message}"))
        } else if path == "." {
            CalcError::new("input", message)
        } else {
            CalcError::new(path, message)
        }
    })?;
    // Trailing text after the document is refused by serde_json (`trailing characters`).
    de.end().map_err(|e| CalcError::new("", format!("invalid JSON: {e}")))?;
    Ok(input)
}
