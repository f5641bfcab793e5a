//! The targets file of `cascade calibrate`: free parameters, target bands, the reference market,
//! an optional real price path and optional published per-market drops. Unknown keys, wrong types, unknown figure names and
//! inconsistent bounds are errors naming the file, the field and (where the TOML parser knows
//! it) the line and column.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use cascade_sim::fit::{Band, Figure, Param, PriceField, PublishedDrop, ReferenceMarket, Target};
use serde::Deserialize;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    market: Option<MarketSpec>,
    #[serde(default)]
    params: Vec<ParamSpec>,
    #[serde(default)]
    targets: Vec<TargetSpec>,
    #[serde(default)]
    price_path: Option<PathSpec>,
    #[serde(default)]
    drops: Option<DropsSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DropsSpec {
    #[serde(default = "one")]
    weight: f64,
    #[serde(default = "mark")]
    price: String,
    /// Where the published drops come from (shown in the report).
    #[serde(default)]
    source: Option<String>,
    markets: Vec<DropSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DropSpec {
    venue: String,
    symbol: String,
    drop_pct: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MarketSpec {
    venue: String,
    symbol: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamSpec {
    /// One value's path, or with `factor_of` the factor's name.
    #[serde(default)]
    path: Option<String>,
    /// Paths whose written values the parameter multiplies (a factor; `path` names it).
    #[serde(default)]
    factor_of: Option<Vec<String>>,
    lo: f64,
    hi: f64,
    #[serde(default)]
    integer: bool,
    #[serde(default)]
    log: bool,
    /// A path that gives or takes what the parameter gains or loses (shares summing to 1).
    #[serde(default)]
    balance: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetSpec {
    figure: String,
    band: [f64; 2],
    #[serde(default = "one")]
    weight: f64,
    #[serde(default)]
    scale: Option<f64>,
    /// Where the published figure comes from (shown in the report).
    #[serde(default)]
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathSpec {
    file: String,
    #[serde(default = "one")]
    weight: f64,
    #[serde(default = "mark")]
    price: String,
}

fn one() -> f64 {
    1.0
}

fn mark() -> String {
    "mark".into()
}

/// A real price path to compare the reference market with.
#[derive(Debug, Clone)]
pub struct PricePathSpec {
    /// The Binance 1-minute kline CSV, resolved from the targets file's directory.
    pub file: PathBuf,
    /// Weight of the RMSE term.
    pub weight: f64,
    /// Simulated price compared.
    pub price: PriceField,
}

/// Published per-market drops to compare the simulated ones with.
#[derive(Debug, Clone)]
pub struct DropsTerm {
    /// The markets and their published drops, in file order.
    pub markets: Vec<PublishedDrop>,
    /// Weight of the RMSE term.
    pub weight: f64,
    /// Simulated price compared.
    pub price: PriceField,
    /// Where the published drops come from, if given.
    pub source: Option<String>,
}

/// A target with where its band comes from.
#[derive(Debug, Clone)]
pub struct NamedTarget {
    /// The target.
    pub target: Target,
    /// Source of the published figure, if given.
    pub source: Option<String>,
}

/// A checked targets file.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The reference market (default `binance` / `BTCUSDT`).
    pub market: ReferenceMarket,
    /// Free parameters, in file order.
    pub params: Vec<Param>,
    /// Targets, in file order.
    pub targets: Vec<NamedTarget>,
    /// The price path term, if any.
    pub price_path: Option<PricePathSpec>,
    /// The published drops term, if any.
    pub drops: Option<DropsTerm>,
}

impl Targets {
    /// Whether the counterfactual run is needed (amplification targeted with weight > 0).
    #[must_use]
    pub fn needs_counterfactual(&self) -> bool {
        self.targets.iter().any(|t| t.target.figure == Figure::Amplification && t.target.weight > 0.0)
    }
}

/// 1-based line and column of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Reads and checks a targets file.
///
/// # Errors
/// Naming the file and the field: unreadable file, malformed TOML, unknown key, wrong type,
/// unknown figure, bad band or bounds, weight not finite and ≥ 0, no parameter, no target
/// and no price path.
pub fn read(path: &Path) -> anyhow::Result<Targets> {
    let src = cascade_io::read_text(path, "reading the targets file")?;
    let name = path.display();
    let root = toml::de::DeTable::parse(&src).map_err(|e| {
        let at = e.span().map(|s| line_col(&src, s.start));
        let at = at.map_or(String::new(), |(l, c)| format!(" line {l}, column {c}:"));
        anyhow!("{name}:{at} malformed TOML: {}", e.message())
    })?;
    let file: File = serde_path_to_error::deserialize(toml::de::Deserializer::from(root)).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let at = inner.span().map(|s| line_col(&src, s.start));
        let at = at.map_or(String::new(), |(l, c)| format!(" line {l}, column {c},"));
        anyhow!("{name}:{at} field `{field}`: {}", inner.message())
    })?;
    let field_err = |field: String, problem: String| anyhow!("{name}: field `{field}`: {problem}");
    let market = file.market.map_or_else(
        || ReferenceMarket { venue: "binance".into(), symbol: "BTCUSDT".into() },
        |m| ReferenceMarket { venue: m.venue, symbol: m.symbol },
    );
    if file.params.is_empty() {
        return Err(field_err("params".into(), "no [[params]]: nothing to fit".into()));
    }
    let mut params = Vec::new();
    for (i, p) in file.params.iter().enumerate() {
        let Some(path) = &p.path else {
            return Err(field_err(
                format!("params[{i}].path"),
                "missing: a value's path, or a factor's name".into(),
            ));
        };
        let param = match &p.factor_of {
            None => Param::new(path, p.lo, p.hi, p.integer, p.log),
            Some(_) if p.integer => {
                return Err(field_err(
                    format!("params[{i}].integer"),
                    "a factor is not a whole number".into(),
                ));
            }
            Some(paths) => Param::factor(path, paths, p.lo, p.hi, p.log),
        }
        .and_then(|q| match &p.balance {
            Some(b) => q.balanced_by(b),
            None => Ok(q),
        })
        .map_err(|e| field_err(format!("params[{i}]"), e.to_string()))?;
        if params.iter().any(|q: &Param| q.path == param.path) {
            return Err(field_err(format!("params[{i}].path"), format!("`{path}` is listed twice")));
        }
        let written = |q: &Param| -> Vec<String> {
            if q.is_factor() {
                q.factor_of.iter().map(|(p, _)| p.clone()).collect()
            } else {
                std::iter::once(q.path.clone()).chain(q.balance.iter().map(|(b, _)| b.clone())).collect()
            }
        };
        let mine = written(&param);
        if let Some(twice) = params.iter().flat_map(written).find(|x| mine.contains(x)) {
            return Err(field_err(
                format!("params[{i}]"),
                format!("`{twice}` is already moved by another parameter"),
            ));
        }
        params.push(param);
    }
    let mut targets = Vec::new();
    for (i, t) in file.targets.into_iter().enumerate() {
        let figure = Figure::from_name(&t.figure).ok_or_else(|| {
            let names: Vec<&str> = Figure::ALL.iter().map(|f| f.name()).collect();
            field_err(
                format!("targets[{i}].figure"),
                format!("unknown figure `{}`; known: {}", t.figure, names.join(", ")),
            )
        })?;
        let band = Band::new(t.band[0], t.band[1], t.scale)
            .map_err(|e| field_err(format!("targets[{i}].band"), e))?;
        check_weight(t.weight).map_err(|e| field_err(format!("targets[{i}].weight"), e))?;
        targets.push(NamedTarget { target: Target { figure, band, weight: t.weight }, source: t.source });
    }
    let price_path = match file.price_path {
        None => None,
        Some(p) => {
            let price = price_field(&p.price).map_err(|e| field_err("price_path.price".into(), e))?;
            check_weight(p.weight).map_err(|e| field_err("price_path.weight".into(), e))?;
            let dir = path.parent().unwrap_or_else(|| Path::new(""));
            Some(PricePathSpec { file: dir.join(&p.file), weight: p.weight, price })
        }
    };
    let drops = match file.drops {
        None => None,
        Some(d) => {
            let price = price_field(&d.price).map_err(|e| field_err("drops.price".into(), e))?;
            check_weight(d.weight).map_err(|e| field_err("drops.weight".into(), e))?;
            if d.markets.is_empty() {
                return Err(field_err("drops.markets".into(), "empty: list at least one market".into()));
            }
            let mut markets: Vec<PublishedDrop> = Vec::with_capacity(d.markets.len());
            for (i, m) in d.markets.into_iter().enumerate() {
                if !(m.drop_pct > 0.0 && m.drop_pct <= 100.0) {
                    return Err(field_err(
                        format!("drops.markets[{i}].drop_pct"),
                        format!("{} is not in (0, 100]", m.drop_pct),
                    ));
                }
                if markets.iter().any(|q| q.venue == m.venue && q.symbol == m.symbol) {
                    return Err(field_err(
                        format!("drops.markets[{i}]"),
                        format!("{} {} is listed twice", m.venue, m.symbol),
                    ));
                }
                markets.push(PublishedDrop { venue: m.venue, symbol: m.symbol, drop_pct: m.drop_pct });
            }
            Some(DropsTerm { markets, weight: d.weight, price, source: d.source })
        }
    };
    if targets.is_empty() && price_path.is_none() && drops.is_none() {
        return Err(field_err(
            "targets".into(),
            "no [[targets]], no [price_path] and no [drops]: nothing to fit to".into(),
        ));
    }
    Ok(Targets { market, params, targets, price_path, drops })
}

fn price_field(name: &str) -> Result<PriceField, String> {
    match name {
        "mark" => Ok(PriceField::Mark),
        "last" => Ok(PriceField::Last),
        other => Err(format!("`{other}`: expected `mark` or `last`")),
    }
}

fn check_weight(w: f64) -> Result<(), String> {
    if w.is_finite() && w >= 0.0 { Ok(()) } else { Err(format!("{w} is not finite and ≥ 0")) }
}
