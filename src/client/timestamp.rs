//! Timestamp parameters (`--start-timestamp`, `--end-timestamp`), read as
//! botocore reads them, so that a value copied from the AWS CLI's page
//! means the same here: epoch seconds (a number, or a string of one), or
//! ISO 8601, where a time without a zone is UTC and a date alone is its
//! midnight. Whether the moment suits the call is the server's to say.
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

/// What `--generate-cli-skeleton` shows for a timestamp, as the AWS CLI
/// does; left as it is, it reads as unset (`untouched`).
pub const PLACEHOLDER: &str = "1970-01-01T00:00:00";

/// The moment `v` names, or `None` when it names none.
pub fn parse(v: &Value) -> Option<prost_types::Timestamp> {
    let t = match v {
        Value::Number(n) => from_epoch(n.as_f64()?)?,
        Value::String(s) => from_text(s.trim())?,
        _ => return None,
    };
    Some(prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    })
}

fn from_text(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(secs) = s.parse::<f64>() {
        return from_epoch(secs);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Whole milliseconds at most, as the service's timestamps are printed,
/// so `1801440000.5` is half a second and not a float's neighbour.
fn from_epoch(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() {
        return None;
    }
    let millis = (secs * 1000.0).round();
    if millis.abs() > 1e17 {
        return None;
    }
    DateTime::from_timestamp_millis(millis as i64)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn seconds(v: Value) -> Option<(i64, i32)> {
        parse(&v).map(|t| (t.seconds, t.nanos))
    }

    const FEB_2027: i64 = 1_801_440_000;

    #[test]
    fn iso_8601_with_or_without_a_zone_and_a_date_alone_are_read_as_utc() {
        for given in [
            "2027-02-01T00:00:00Z",
            "2027-02-01T00:00:00+00:00",
            "2027-02-01T01:00:00+01:00",
            "2027-02-01T00:00:00",
            "2027-02-01 00:00:00",
            " 2027-02-01 ",
        ] {
            assert_eq!(seconds(json!(given)), Some((FEB_2027, 0)), "{given}");
        }
        assert_eq!(
            seconds(json!("2027-06-30T23:59:59.250Z")),
            Some((FEB_2027 + 150 * 86400 - 1, 250_000_000))
        );
    }

    #[test]
    fn epoch_seconds_are_read_from_a_number_or_a_string_of_one() {
        assert_eq!(seconds(json!(FEB_2027)), Some((FEB_2027, 0)));
        assert_eq!(seconds(json!("1801440000")), Some((FEB_2027, 0)));
        assert_eq!(seconds(json!(1801440000.5)), Some((FEB_2027, 500_000_000)));
    }

    #[test]
    fn anything_else_names_no_moment() {
        for bad in [
            json!("next month"),
            json!("2027-02-30"),
            json!("2027-02-01T25:00:00Z"),
            json!(""),
            json!("NaN"),
            json!("inf"),
            json!(1e300),
            json!(true),
            json!(null),
            json!(["2027-02-01"]),
        ] {
            assert_eq!(seconds(bad.clone()), None, "{bad}");
        }
    }

    #[test]
    fn the_skeletons_placeholder_is_a_timestamp() {
        assert_eq!(seconds(json!(PLACEHOLDER)), Some((0, 0)));
    }
}
