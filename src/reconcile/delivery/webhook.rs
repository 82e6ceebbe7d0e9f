//! One webhook attempt: POST the CloudEvent with the Standard Webhooks
//! headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`, one
//! `v1,` signature per secret), 10 s at most, no redirects, at most 64 KiB
//! of the answer read.
use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::schedule::Sent;
use crate::{domain::Secret, store::DueDelivery};

/// The most of a response body read (and dropped).
const MAX_BODY: usize = 64 * 1024;

/// The client every attempt uses: rustls on aws-lc-rs (the service's one
/// provider) with the system's roots.
pub fn client() -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("aws-lc-rs supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .dns_resolver(std::sync::Arc::new(NoMetadata))
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the webhook client builds")
}

/// Resolves a webhook's host, leaving out link-local and instance-metadata
/// addresses: the file refuses them as literals, and a name that resolves
/// to one (a DNS record changed after the file was read) is refused here.
struct NoMetadata;

impl reqwest::dns::Resolve for NoMetadata {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed = allowed(found);
            if allowed.is_empty() {
                return Err(
                    "the host resolves only to link-local or instance-metadata addresses".into(),
                );
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The addresses a webhook may be sent to.
fn allowed(found: impl Iterator<Item = std::net::SocketAddr>) -> Vec<std::net::SocketAddr> {
    found
        .filter(|a| !crate::domain::is_metadata(a.ip()))
        .collect()
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each secret,
/// space-separated.
pub fn signature(secrets: &[Secret], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .map(|s| {
            let mut mac = Hmac::<Sha256>::new_from_slice(s.key()).expect("HMAC takes any key");
            mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn post(http: &reqwest::Client, url: &str, secrets: &[Secret], d: &DueDelivery) -> Sent {
    let timestamp = chrono::Utc::now().timestamp();
    let sent = http
        .post(url)
        .header("content-type", "application/cloudevents+json")
        .header("webhook-id", &d.cloud_event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            signature(secrets, &d.cloud_event_id, timestamp, &d.body),
        )
        .body(d.body.clone())
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => {
            // The error's text may name the URL (and a token in its query).
            let why = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "the request failed"
            };
            return Sent::Failed {
                status: String::new(),
                error: why.into(),
                retry_after: None,
            };
        }
    };
    let status = response.status();
    let retry_after = matches!(status.as_u16(), 429 | 503)
        .then(|| retry_after(response.headers()))
        .flatten();
    let mut read = 0;
    while let Ok(Some(chunk)) = response.chunk().await {
        read += chunk.len();
        if read >= MAX_BODY {
            break;
        }
    }
    let code = status.as_u16().to_string();
    if status.is_success() {
        Sent::Delivered { status: code }
    } else if status.as_u16() == 410 {
        Sent::Gone {
            status: code,
            error: "HTTP 410 Gone: the receiver asked for no more".into(),
        }
    } else {
        Sent::Failed {
            error: format!("HTTP {code}"),
            status: code,
            retry_after,
        }
    }
}

/// Retry-After as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_addresses_are_left_out_of_a_resolution() {
        let found = [
            "169.254.169.254:0",
            "10.0.0.5:0",
            "[fd00:ec2::254]:0",
            "[fe80::1]:0",
        ]
        .map(|a| a.parse().unwrap());
        let kept: Vec<String> = allowed(found.into_iter())
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(kept, ["10.0.0.5:0"]);
    }

    #[test]
    fn the_signature_is_standard_webhooks_v1() {
        // The Standard Webhooks specification's example.
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let s = Secret::from_key(key);
        let sig = signature(
            &[s],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
