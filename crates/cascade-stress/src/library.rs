//! The scenario library of `cascade stress`: short names for the shipped scenarios a book is
//! usually tried against. Any other scenario file can be named by its path instead.

/// One library scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibraryEntry {
    /// Short name.
    pub name: &'static str,
    /// File, relative to the repository's `scenarios/` directory.
    pub file: &'static str,
    /// Overrides applied to the file (`cascade run --set` syntax), e.g. a reduction.
    pub sets: &'static [(&'static str, &'static str)],
    /// What it is, with any reduction stated.
    pub description: &'static str,
    /// Tried when no scenario is named.
    pub default: bool,
}

/// The library.
pub const LIBRARY: &[LibraryEntry] = &[
    LibraryEntry {
        name: "shock",
        file: "stress/shock-btc20-alts50.toml",
        sets: &[],
        description: "BTC −20% and ETH −50% over 2 minutes from t = 5 min, binance + okx, 2,000 leveraged accounts",
        default: true,
    },
    LibraryEntry {
        name: "outage",
        file: "stress/venue-outage.toml",
        sets: &[],
        description: "the shock with the transfer network down (stuck transfers) from 4 to 40 minutes",
        default: true,
    },
    LibraryEntry {
        name: "nov-21-replay",
        file: "stress/nov-21-btc-replay.toml",
        sets: &[],
        description: "BTC replayed from Binance 1-minute closes, 21 Nov 2025 07:15-08:29 UTC; ETH follows a random walk",
        default: true,
    },
    LibraryEntry {
        name: "depeg",
        file: "stress/depeg.toml",
        sets: &[],
        description: "collateral depeg (USDe on binance's own thin book) after BTC −14% / ETH −20% over a minute \
                      at 5 min; binance + bybit (BTC, ETH) + okx (BTC)",
        default: true,
    },
    LibraryEntry {
        name: "oct-10-reduced",
        file: "oct-10-2025.toml",
        sets: &[("run.scale", "0.01")],
        description: "the 10 Oct 2025 reference scenario at run.scale 0.01 (48,000 accounts, every market \
                      amount x 0.01: depth, flows, funds); the full scale (`oct-10-2025`, ~35 s and 3 GB a \
                      run) is too slow for a margin solve",
        default: false,
    },
    LibraryEntry {
        name: "oct-10-2025",
        file: "oct-10-2025.toml",
        sets: &[],
        description: "the 10 Oct 2025 reference scenario at full scale (~35 s and 3 GB a run; a solve repeats it)",
        default: false,
    },
];

/// Names tried when none is given.
#[must_use]
pub fn default_names() -> Vec<String> {
    LIBRARY.iter().filter(|e| e.default).map(|e| e.name.to_string()).collect()
}

/// The library entry called `name`.
#[must_use]
pub fn entry(name: &str) -> Option<&'static LibraryEntry> {
    LIBRARY.iter().find(|e| e.name == name)
}
