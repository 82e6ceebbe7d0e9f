//! The order of the members of each object printed as JSON or YAML: the
//! AWS model's, so that output reads like the AWS CLI's (serde_json's
//! objects, and JMESPath's results, come with keys sorted).
use serde::{ser::SerializeMap, ser::SerializeSeq, Serialize, Serializer};
use serde_json::Value;

/// The AWS model's member order, so JSON and YAML read like the AWS CLI's
/// (JMESPath results come back with keys sorted); unknown keys go last.
const KEY_ORDER: &[&str] = &[
    "Handshake",
    "Handshakes",
    "ResponsibilityTransfer",
    "ResponsibilityTransfers",
    "Quota",
    "Campaign",
    "Campaigns",
    "DisplayName",
    "Targets",
    "Subscription",
    "Subscriptions",
    "Deliveries",
    "PreviousState",
    "PreviousStatus",
    "ResumeToken",
    "ObservedTimestamp",
    "Kind",
    "NextToken",
    "Target",
    "Notes",
    "Tags",
    "RequestId",
    "HandshakeId",
    "SubscriptionId",
    "EventIds",
    "States",
    "TargetId",
    "Id",
    "Arn",
    "Parties",
    "State",
    "RequestedTimestamp",
    "ExpirationTimestamp",
    "Action",
    "Key",
    "Value",
    "Type",
    "Resources",
    "Onboarding",
    "Spec",
    "DestinationParentId",
    "AcceptRole",
    "ExternalId",
    "OnAcceptFailure",
    "LeavePreviousOrganization",
    "Status",
    "Steps",
    "Step",
    "StartTimestamp",
    "SourceName",
    "EndTimestamp",
    "Attempts",
    "Error",
    "AwsError",
    // A Renewal's members before its Reason (an Error's Reason is after
    // its AwsError); its WaitingUntil after.
    "RenewalsLeft",
    "RenewedFrom",
    "RenewedTo",
    "Reason",
    "Message",
    "ParentId",
    "ExpiryWarningTimestamp",
    "Renewal",
    "MaxRenewals",
    "IfOpenExists",
    "WaitingUntil",
    "Limit",
    "Used",
    "Remaining",
    "WindowSeconds",
    "NextSlotTimestamp",
    "PendingInvitations",
    "MemberAccounts",
    "MemberAccountsTimestamp",
    "CampaignId",
    "TransferId",
    "CancelOpenInvitations",
    "QuotaReserve",
    // A transfer's Source and Target, and its StatusHistory's items.
    "ManagementAccountId",
    "ManagementAccountEmail",
    "FirstSeenTimestamp",
];

/// The members of a campaign, of a campaign's target (as listed and as
/// given), of its counts, of a subscription, of a delivery and of a
/// transfer, which have orders of their own.
const CAMPAIGN_ORDER: &[&str] = &[
    "Id",
    "DisplayName",
    "State",
    "CreateTimestamp",
    "UpdateTimestamp",
    "RequestId",
    "RequestedBy",
    "QuotaReserve",
    "Notes",
    "Tags",
    "Onboarding",
    "Renewal",
    "IfOpenExists",
    "Counts",
    "NextSendTimestamp",
    "PauseReason",
];
const TARGET_ORDER: &[&str] = &[
    "Index",
    "Id",
    "Type",
    "Target",
    "State",
    "HandshakeId",
    "Reason",
    "UpdateTimestamp",
    "Notes",
    "Tags",
];
/// A subscription's and a delivery's members, as the issue lists them.
const SUBSCRIPTION_ORDER: &[&str] = &[
    "Id",
    "Kind",
    "Target",
    "State",
    "DisabledReason",
    "Backlog",
    "OldestUndeliveredTime",
    "LastSuccessTime",
    "LastError",
];
const DELIVERY_ORDER: &[&str] = &[
    "EventId",
    "CloudEventId",
    "HandshakeId",
    "Type",
    "State",
    "Attempts",
    "LastAttemptTime",
    "NextAttemptTime",
    "LastStatus",
    "LastError",
    "SubscriptionId",
];
/// A transfer's members: AWS's, then this service's.
const TRANSFER_ORDER: &[&str] = &[
    "Arn",
    "Name",
    "Id",
    "Type",
    "Status",
    "Source",
    "Target",
    "StartTimestamp",
    "EndTimestamp",
    "ActiveHandshakeId",
    "Direction",
    "AcceptDeadlineTimestamp",
    "DeadlineWarningTimestamp",
    "CreateTimestamp",
    "UpdateTimestamp",
    "RequestId",
    "RequestedBy",
    "StatusHistory",
];
const COUNT_ORDER: &[&str] = &[
    "Total", "Queued", "Skipped", "Invited", "Accepted", "Complete", "Failed", "Declined",
    "Canceled", "Expired",
];

/// The order of the members of an object that is the value of `key` (or
/// an item of its list).
fn order_under(key: &str) -> &'static [&'static str] {
    match key {
        "Campaign" | "Campaigns" => CAMPAIGN_ORDER,
        "Targets" => TARGET_ORDER,
        "Counts" => COUNT_ORDER,
        "Subscription" | "Subscriptions" => SUBSCRIPTION_ORDER,
        "Deliveries" => DELIVERY_ORDER,
        "ResponsibilityTransfer" | "ResponsibilityTransfers" => TRANSFER_ORDER,
        _ => KEY_ORDER,
    }
}

/// Serializes a JSON value with object keys in `KEY_ORDER` (or, under
/// the keys `order_under` names, in their own order).
pub struct Ordered<'a>(pub &'a Value);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        In(self.0, KEY_ORDER).serialize(s)
    }
}

/// A value whose object's keys go in this order.
struct In<'a>(&'a Value, &'static [&'static str]);

impl Serialize for In<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by_key(|k| {
                    let rank = self.1.iter().position(|o| o == k);
                    (rank.unwrap_or(usize::MAX), k.as_str())
                });
                let mut m = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    m.serialize_entry(k, &In(&map[k], order_under(k)))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&In(v, self.1))?;
                }
                seq.end()
            }
            scalar => scalar.serialize(s),
        }
    }
}
