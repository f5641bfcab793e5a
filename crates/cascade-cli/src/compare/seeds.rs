//! The `--seeds` syntax of `cascade compare`: `A..B` (both ends included, `A..=B` too), a
//! single seed `N`, or a comma list of those (`1..10,42`). Seeds keep the order written and must
//! not repeat.

/// Most seeds one comparison may ask for (each is one run per policy).
pub const MAX_SEEDS: u64 = 100_000;

fn number(s: &str, whole: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| {
        format!(
            "--seeds `{whole}`: `{}` is not a seed (a whole number ≥ 0); expected e.g. 1..50, 7 or 1..10,42",
            s.trim()
        )
    })
}

/// The seeds `spec` names, in order.
///
/// # Errors
/// A message quoting the argument: not a number, an empty or reversed range, a repeated seed,
/// more than [`MAX_SEEDS`].
pub fn parse_seeds(spec: &str) -> Result<Vec<u64>, String> {
    let mut out: Vec<u64> = Vec::new();
    if spec.trim().is_empty() {
        return Err("--seeds is empty; expected e.g. 1..50, 7 or 1..10,42".into());
    }
    for part in spec.split(',') {
        let (lo, hi) = match part.split_once("..") {
            Some((a, b)) => {
                let b = b.strip_prefix('=').unwrap_or(b);
                (number(a, spec)?, number(b, spec)?)
            }
            None => {
                let n = number(part, spec)?;
                (n, n)
            }
        };
        if hi < lo {
            return Err(format!(
                "--seeds `{spec}`: the range {lo}..{hi} is empty (both ends are included: write {hi}..{lo})"
            ));
        }
        if (out.len() as u64).saturating_add(hi - lo).saturating_add(1) > MAX_SEEDS {
            return Err(format!("--seeds `{spec}`: more than {MAX_SEEDS} seeds"));
        }
        out.extend(lo..=hi);
    }
    let mut sorted = out.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("--seeds `{spec}`: seed {} is named twice", w[0]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_both_ends() {
        assert_eq!(parse_seeds("1..3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_seeds("1..=3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_seeds("7"), Ok(vec![7]));
        assert_eq!(parse_seeds("5..5"), Ok(vec![5]));
        assert_eq!(parse_seeds("1..2, 9"), Ok(vec![1, 2, 9]));
        assert_eq!(parse_seeds("1..50").map(|v| v.len()), Ok(50));
    }

    #[test]
    fn bad_syntax_is_refused_with_the_argument_quoted() {
        let e = parse_seeds("1-50").unwrap_err();
        assert!(e.contains("`1-50`") && e.contains("not a seed"), "{e}");
        assert!(parse_seeds("5..1").unwrap_err().contains("empty"));
        assert!(parse_seeds("").unwrap_err().contains("empty"));
        assert!(parse_seeds("1..x").unwrap_err().contains("`x` is not a seed"));
        assert!(parse_seeds("1..3,2").unwrap_err().contains("seed 2 is named twice"));
        assert!(parse_seeds("0..100000").unwrap_err().contains("more than"));
        assert!(parse_seeds("-1..3").is_err());
    }
}
