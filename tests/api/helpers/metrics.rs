//! Prometheus scrapes of a test's app, and series read from them.
use super::{http_request, TestApp};

/// One `/metrics` scrape of `app` (started with `AppOptions::http`).
pub async fn scrape(app: &TestApp) -> String {
    let (status, headers, body) =
        http_request(app.http_addr.unwrap(), "GET", "/metrics", &[], b"").await;
    assert!(status.contains("200"), "{status}");
    assert!(headers.contains("openmetrics-text"), "{headers}");
    String::from_utf8(body).unwrap()
}

/// The value of one series in a scrape, exactly as named with its labels.
pub fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}
