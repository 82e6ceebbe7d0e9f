//! Durations on the command line: `250ms`, `30s`, `5m`, `1h`, `90d`.
use std::time::Duration;

/// A bare number is seconds. Values too large for a duration are refused,
/// not wrapped.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let too_large = || format!("{s:?} is too large a duration");
    let n: u64 = num.parse().map_err(|e: std::num::ParseIntError| {
        if *e.kind() == std::num::IntErrorKind::PosOverflow {
            too_large()
        } else {
            format!("{s:?} is not a duration like 30s, 500ms, 5m or 1h")
        }
    })?;
    let seconds_per = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?} (use ms, s, m, h or d)"
            ))
        }
    };
    n.checked_mul(seconds_per)
        .map(Duration::from_secs)
        .ok_or_else(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("5w").is_err());
    }

    #[test]
    fn durations_too_large_are_refused_not_wrapped() {
        let err = parse_duration("99999999999999999d").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = parse_duration("99999999999999999999999s").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        assert_eq!(
            parse_duration("213503982334601d"),
            Ok(Duration::from_secs(213_503_982_334_601 * 86400))
        );
    }
}
