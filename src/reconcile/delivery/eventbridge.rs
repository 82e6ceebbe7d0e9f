//! EventBridge attempts: the due deliveries of one subscription, ten to a
//! PutEvents call (the claim holds at most one per handshake, so a call
//! never reorders a handshake's events). Each entry is `Source` = the
//! subscription's source, `DetailType` = the CloudEvent type, `Detail` =
//! the whole CloudEvent, `Resources` = [the handshake ARN]. An entry AWS
//! fails with InternalFailure or ThrottlingException is tried again on the
//! retry schedule; any other entry error is final (DEAD).
use crate::{
    aws::{BusEntry, EntryResult, EventBus},
    store::{Attempted, DueDelivery},
};

use super::schedule::{RetrySchedule, Sent};

/// Sends `batch` (at most `aws::MAX_ENTRIES`, one subscription's) to
/// `event_bus` in one call; what each delivery's attempt came to, in order.
pub async fn put(
    bus: &dyn EventBus,
    schedule: &RetrySchedule,
    event_bus: &str,
    source: &str,
    batch: &[DueDelivery],
) -> Vec<Attempted> {
    let entries: Vec<BusEntry> = batch.iter().map(|d| entry(event_bus, source, d)).collect();
    let sent: Vec<Sent> = match bus.put_events(&entries).await {
        // The call failed whole (after the SDK's own retries, or refused
        // by the request budget): every entry waits for the schedule.
        Err(e) => batch
            .iter()
            .map(|_| Sent::Failed {
                status: e.code.clone(),
                error: format!("PutEvents failed: {e}"),
                retry_after: e.retry_after,
            })
            .collect(),
        Ok(results) => results.into_iter().map(sent).collect(),
    };
    batch
        .iter()
        .zip(sent)
        .map(|(d, s)| schedule.after(d.attempts, s))
        .collect()
}

fn sent(r: EntryResult) -> Sent {
    let transient = r.is_transient();
    match r {
        EntryResult::Accepted { .. } => Sent::Delivered {
            status: String::new(),
        },
        EntryResult::Failed { code, message } => {
            let error = format!("PutEvents entry failed: {code}: {message}");
            if transient {
                Sent::Failed {
                    status: code,
                    error,
                    retry_after: None,
                }
            } else {
                Sent::Refused {
                    status: code,
                    error,
                }
            }
        }
    }
}

fn entry(event_bus: &str, source: &str, d: &DueDelivery) -> BusEntry {
    BusEntry {
        event_bus: event_bus.to_string(),
        source: source.to_string(),
        detail_type: d.kind.clone(),
        detail: d.body.clone(),
        resources: handshake_arn(&d.body).into_iter().collect(),
    }
}

/// The handshake's ARN, from the CloudEvent's `data.handshake.arn` (the
/// proto3 JSON mapping of HandshakeEvent), or a transfer's, from
/// `data.transfer.arn`; None when it is not there.
fn handshake_arn(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let arn = v
        .pointer("/data/handshake/arn")
        .or_else(|| v.pointer("/data/transfer/arn"))?
        .as_str()?;
    (!arn.is_empty()).then(|| arn.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arn_comes_from_the_cloudevent_data() {
        let arn = "arn:aws:organizations::123456789012:handshake/o-abcdefghij/invite/h-abcdefgh12";
        let body = format!(
            r#"{{"type":"t","data":{{"handshake":{{"id":"h-abcdefgh12","arn":"{arn}"}}}}}}"#
        );
        assert_eq!(handshake_arn(&body).as_deref(), Some(arn));
        assert_eq!(handshake_arn(r#"{"data":{"handshake":{}}}"#), None);
        let transfer = r#"{"data":{"transfer":{"arn":"arn:aws:organizations::1:responsibilitytransfer/o-a/rt-b"}}}"#;
        assert!(handshake_arn(transfer).unwrap().ends_with("/rt-b"));
        assert_eq!(handshake_arn("not json"), None);
    }

    #[test]
    fn throttled_entries_are_retried_other_errors_are_final() {
        let failed = |code: &str| EntryResult::Failed {
            code: code.into(),
            message: "m".into(),
        };
        assert!(matches!(
            sent(failed("ThrottlingException")),
            Sent::Failed { .. }
        ));
        assert!(matches!(
            sent(failed("InternalFailure")),
            Sent::Failed { .. }
        ));
        let Sent::Refused { status, .. } = sent(failed("MalformedDetail")) else {
            panic!("final")
        };
        assert_eq!(status, "MalformedDetail");
        assert!(matches!(
            sent(EntryResult::Accepted {
                event_id: "e".into()
            }),
            Sent::Delivered { .. }
        ));
    }
}
