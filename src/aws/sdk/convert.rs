//! SDK values → ours (errors, handshakes), and ours → the SDK's (an
//! invitation's party and tags).
use aws_config::retry::RetryConfig;
use aws_sdk_organizations::{
    error::{ProvideErrorMetadata, SdkError},
    types as sdk,
};
use chrono::{DateTime, Utc};
use tracing::warn;

use crate::{
    aws::{AwsError, AwsErrorKind},
    domain::{
        Handshake, HandshakeAction, HandshakeId, HandshakeState, InviteTarget, Party, PartyType,
        Resource, ResourceType, Tag,
    },
};

/// One conversion from the SDK's error to ours, for every Organizations
/// and STS operation.
pub(super) fn from_sdk<E>(err: SdkError<E, aws_smithy_runtime_api::http::Response>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    from_sdk_of("AWS Organizations", err)
}

/// The same, for `service`'s operations (named in the messages).
pub(super) fn from_sdk_of<E>(
    service: &str,
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match &err {
        SdkError::ServiceError(se) => {
            let meta = se.err();
            let code = meta.code().unwrap_or("Unknown");
            let reason = se.raw().body().bytes().and_then(reason_from_body);
            let mut e = AwsError::new(code, reason, meta.message().unwrap_or_default());
            if e.kind == AwsErrorKind::Other && se.raw().status().is_server_error() {
                e.kind = AwsErrorKind::Service;
            }
            e
        }
        SdkError::TimeoutError(_) => {
            warn!("an AWS call timed out (connect 3s, attempt 10s, operation 30s)");
            AwsError::with_kind(
                AwsErrorKind::Timeout,
                "Timeout",
                format!("no answer from {service} in time"),
            )
        }
        SdkError::DispatchFailure(d) if d.is_timeout() || d.is_io() => AwsError::with_kind(
            AwsErrorKind::Timeout,
            "DispatchFailure",
            format!("the connection to {service} failed"),
        ),
        SdkError::DispatchFailure(_) => AwsError::with_kind(
            AwsErrorKind::Unreachable,
            "DispatchFailure",
            format!("{service} could not be reached"),
        ),
        SdkError::ResponseError(_) => AwsError::with_kind(
            AwsErrorKind::Service,
            "ResponseError",
            format!("{service} sent an unreadable response"),
        ),
        _ => AwsError::with_kind(AwsErrorKind::Other, "SdkError", err.to_string()),
    }
}

/// awsJson errors carry `Reason` in the body; reading it here serves every
/// operation's error type alike.
fn reason_from_body(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("Reason")
        .or_else(|| v.get("reason"))
        .and_then(|r| r.as_str())
        .map(str::to_string)
}

pub(super) fn from_handshake(h: Option<&sdk::Handshake>) -> Result<Handshake, AwsError> {
    let h = h.ok_or_else(|| {
        AwsError::with_kind(
            AwsErrorKind::Service,
            "ResponseError",
            "response had no handshake",
        )
    })?;
    let id = HandshakeId::parse(h.id().unwrap_or_default()).map_err(|_| {
        AwsError::with_kind(
            AwsErrorKind::Service,
            "ResponseError",
            "AWS returned a malformed handshake id",
        )
    })?;
    Ok(Handshake {
        id,
        arn: h.arn().unwrap_or_default().to_string(),
        parties: h
            .parties()
            .iter()
            .map(|p| Party {
                id: p.id().to_string(),
                kind: PartyType::from_aws(p.r#type().as_str()),
            })
            .collect(),
        state: HandshakeState::from_aws(h.state().map(|s| s.as_str()).unwrap_or_default()),
        requested_time: h.requested_timestamp().and_then(to_chrono),
        expiration_time: h.expiration_timestamp().and_then(to_chrono),
        action: HandshakeAction::from_aws(h.action().map(|a| a.as_str()).unwrap_or_default()),
        resources: from_resources(h.resources()),
    })
}

fn from_resources(rs: &[sdk::HandshakeResource]) -> Vec<Resource> {
    rs.iter()
        .map(|r| Resource {
            kind: ResourceType::from_aws(r.r#type().map(|t| t.as_str()).unwrap_or_default()),
            value: r.value().unwrap_or_default().to_string(),
            resources: from_resources(r.resources()),
        })
        .collect()
}

fn build_error(e: impl std::fmt::Display) -> AwsError {
    AwsError::with_kind(AwsErrorKind::Other, "BuildError", e.to_string())
}

/// An invitation's target as the SDK's party.
pub(super) fn to_party(target: &InviteTarget) -> Result<sdk::HandshakeParty, AwsError> {
    let kind = match target.kind() {
        PartyType::Email => sdk::HandshakePartyType::Email,
        _ => sdk::HandshakePartyType::Account,
    };
    sdk::HandshakeParty::builder()
        .id(target.id())
        .r#type(kind)
        .build()
        .map_err(build_error)
}

pub(super) fn to_tags<'a>(tags: impl Iterator<Item = &'a Tag>) -> Result<Vec<sdk::Tag>, AwsError> {
    tags.map(|t| sdk::Tag::builder().key(&t.key).value(&t.value).build())
        .collect::<Result<_, _>>()
        .map_err(build_error)
}

/// For the invitations: never retried by the SDK, as a retry after an
/// unanswered attempt could meet our own handshake as a duplicate. The
/// caller looks the outcome up instead (the intent row), then decides.
pub(super) fn no_retries() -> aws_sdk_organizations::config::Builder {
    aws_sdk_organizations::config::Builder::default().retry_config(RetryConfig::disabled())
}

pub(super) fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_read_from_an_aws_json_error_body() {
        let body = br#"{"__type":"HandshakeConstraintViolationException","Message":"x","Reason":"HANDSHAKE_RATE_LIMIT_EXCEEDED"}"#;
        assert_eq!(
            reason_from_body(body).as_deref(),
            Some("HANDSHAKE_RATE_LIMIT_EXCEEDED")
        );
        assert_eq!(reason_from_body(b"not json"), None);
        assert_eq!(reason_from_body(br#"{"Message":"x"}"#), None);
    }

    #[test]
    fn sdk_timestamps_keep_their_fraction() {
        let t = aws_smithy_types::DateTime::from_fractional_secs(1481656459, 0.257);
        let c = to_chrono(&t).unwrap();
        assert_eq!(c.timestamp(), 1481656459);
        assert_eq!(c.timestamp_subsec_millis(), 257);
    }
}
