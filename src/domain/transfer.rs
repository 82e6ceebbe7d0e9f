//! Billing transfers (InviteOrganizationToTransferResponsibility, November
//! 2025): one organization's management account invites another's to pay
//! its bill from a month's first day. The transfer (`rt-...`) rides on a
//! TRANSFER_RESPONSIBILITY handshake.
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use sha2::Digest as _;

use super::{
    FieldViolation, Handshake, HandshakeId, InviteTarget, Notes, RequestId, Resource, ResourceType,
    Tags,
};

/// How long before the start the invitation must be accepted (AWS: 24 h).
pub const ACCEPT_BEFORE_START: Duration = Duration::hours(24);

/// A transfer's id: `rt-` then 8 to 32 lowercase letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransferId(String);

impl TransferId {
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        let ok = s.strip_prefix("rt-").is_some_and(|rest| {
            (8..=32).contains(&rest.len())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldViolation::new(
                "id",
                "a transfer id is rt- followed by 8 to 32 lowercase letters or digits",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! aws_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $aws:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &[$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $aws),+ }
            }

            pub fn from_aws(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

aws_enum!(
    /// A transfer's status, as AWS names it.
    TransferStatus {
        Requested => "REQUESTED",
        Accepted => "ACCEPTED",
        Declined => "DECLINED",
        Canceled => "CANCELED",
        Expired => "EXPIRED",
        Withdrawn => "WITHDRAWN",
    }
);

aws_enum!(
    /// Which of AWS's list calls reports a transfer: OUTBOUND when this
    /// organization asked another to pay its bill, INBOUND when asked.
    TransferDirection {
        Inbound => "INBOUND",
        Outbound => "OUTBOUND",
    }
);

impl TransferStatus {
    /// Still an open invitation: the other side may accept or decline.
    pub fn is_open(self) -> bool {
        self == Self::Requested
    }
}

/// One side of a transfer: a management account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participant {
    pub account_id: Option<String>,
    pub email: Option<String>,
}

/// A transfer as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: TransferId,
    pub arn: String,
    pub name: String,
    /// Only BILLING exists.
    pub kind: String,
    pub status: TransferStatus,
    pub source: Participant,
    pub target: Participant,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    /// AWS names it while the invitation is open, and drops it after.
    pub active_handshake_id: Option<HandshakeId>,
}

impl Transfer {
    /// The last moment the other side can accept.
    pub fn accept_deadline(&self) -> DateTime<Utc> {
        self.start_time - ACCEPT_BEFORE_START
    }
}

/// A transfer as this service records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub transfer: Transfer,
    pub direction: TransferDirection,
    pub request_id: Option<RequestId>,
    pub requested_by: Option<String>,
    pub deadline_warning_time: Option<DateTime<Utc>>,
    pub history: Vec<(TransferStatus, DateTime<Utc>)>,
    pub version: i64,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEventKind {
    StatusChange,
    DeadlineSoon,
}

impl TransferEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StatusChange => "STATUS_CHANGE",
            Self::DeadlineSoon => "DEADLINE_SOON",
        }
    }

    pub fn from_db(s: &str) -> Self {
        if s == "DEADLINE_SOON" {
            Self::DeadlineSoon
        } else {
            Self::StatusChange
        }
    }
}

/// A recorded change of a transfer, in commit order.
#[derive(Debug, Clone)]
pub struct TransferEvent {
    pub event_id: i64,
    pub kind: TransferEventKind,
    /// None for the first sighting.
    pub previous_status: Option<TransferStatus>,
    pub record: TransferRecord,
    pub observe_time: DateTime<Utc>,
}

/// A transfer's name (InviteTransfer's `source_name`, RenameTransfer's
/// `name`): 1 to 128 printable ASCII characters, AWS's `^[ -~]+$`.
pub fn parse_transfer_name(field: &str, s: &str) -> Result<String, FieldViolation> {
    if (1..=128).contains(&s.len()) && s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        Ok(s.to_string())
    } else {
        Err(FieldViolation::new(
            field,
            format!("{field} must be 1 to 128 printable ASCII characters"),
        ))
    }
}

/// A transfer's start: the first day of a month at 00:00:00 UTC, after `now`.
pub fn parse_start_time(
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, FieldViolation> {
    let field = "start_time";
    let first_of_month = start.day() == 1
        && start.hour() == 0
        && start.minute() == 0
        && start.second() == 0
        && start.nanosecond() == 0;
    if !first_of_month {
        return Err(FieldViolation::new(
            field,
            "start_time must be the first day of a month at 00:00:00 UTC",
        ));
    }
    if start <= now {
        return Err(FieldViolation::new(
            field,
            "start_time must be in the future",
        ));
    }
    Ok(start)
}

/// A withdrawal's end: the last second of a month (23:59:59 UTC).
pub fn parse_end_time(end: DateTime<Utc>) -> Result<DateTime<Utc>, FieldViolation> {
    let next = end + Duration::seconds(1);
    let midnight = next.hour() == 0 && next.minute() == 0 && next.second() == 0;
    if next.day() == 1 && midnight && next.nanosecond() == 0 {
        Ok(end)
    } else {
        Err(FieldViolation::new(
            "end_time",
            "end_time must be the last second of a month (23:59:59 UTC)",
        ))
    }
}

/// What InviteTransfer asks for, validated.
#[derive(Debug, Clone)]
pub struct TransferInvite {
    pub target: InviteTarget,
    pub start_time: DateTime<Utc>,
    pub source_name: String,
    pub notes: Notes,
    pub tags: Tags,
    pub request_id: Option<RequestId>,
    pub requested_by: Option<String>,
}

impl TransferInvite {
    /// What the request asks AWS for, so a request_id used again for
    /// something else can be told apart (requested_by is not part of it).
    pub fn digest(&self) -> String {
        let tags: Vec<String> = self
            .tags
            .iter()
            .map(|t| format!("{}={}", t.key, t.value))
            .collect();
        let text = format!(
            "{}|{}|{}|{}|{}|{}",
            self.target.kind().as_str(),
            self.target.id().to_lowercase(),
            self.start_time.timestamp(),
            self.source_name,
            self.notes.as_str(),
            tags.join(",")
        );
        format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
    }

    /// Whether `t` is the transfer this request made: the same target,
    /// start and name (AWS allows one open transfer invitation per target).
    pub fn made(&self, t: &Transfer) -> bool {
        let target = self.target.id();
        let same_target = t
            .target
            .account_id
            .as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(target))
            || t.target
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(target));
        same_target && t.start_time == self.start_time && t.name == self.source_name
    }
}

/// The transfer a TRANSFER_RESPONSIBILITY handshake carries, from its
/// RESPONSIBILITY_TRANSFER resource.
pub fn transfer_of(h: &Handshake) -> Option<TransferId> {
    fn find(rs: &[Resource]) -> Option<&str> {
        rs.iter().find_map(|r| {
            if r.kind == ResourceType::ResponsibilityTransfer {
                Some(r.value.as_str())
            } else {
                find(&r.resources)
            }
        })
    }
    find(&h.resources).and_then(|v| TransferId::parse(v).ok())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
    }

    #[test]
    fn a_start_is_a_future_first_of_the_month_at_midnight() {
        let now = at(2026, 12, 7, 12, 0, 0);
        assert!(parse_start_time(at(2027, 2, 1, 0, 0, 0), now).is_ok());
        assert!(parse_start_time(at(2027, 1, 1, 0, 0, 0), now).is_ok());
        for bad in [
            at(2027, 2, 2, 0, 0, 0),
            at(2027, 2, 1, 0, 0, 1),
            at(2027, 2, 1, 1, 0, 0),
            at(2026, 12, 1, 0, 0, 0),
        ] {
            assert!(parse_start_time(bad, now).is_err(), "{bad}");
        }
        let fraction = at(2027, 2, 1, 0, 0, 0) + Duration::milliseconds(5);
        assert!(parse_start_time(fraction, now).is_err());
    }

    #[test]
    fn an_end_is_a_months_last_second() {
        assert!(parse_end_time(at(2027, 2, 28, 23, 59, 59)).is_ok());
        assert!(parse_end_time(at(2028, 2, 29, 23, 59, 59)).is_ok());
        assert!(parse_end_time(at(2027, 2, 27, 23, 59, 59)).is_err());
        assert!(parse_end_time(at(2027, 3, 1, 0, 0, 0)).is_err());
    }

    #[test]
    fn names_are_printable_ascii_up_to_128() {
        assert!(parse_transfer_name("source_name", "Acme billing ~ 2027").is_ok());
        assert!(parse_transfer_name("source_name", &"a".repeat(128)).is_ok());
        for bad in ["", &"a".repeat(129), "tab\there", "née"] {
            assert!(parse_transfer_name("source_name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_are_rt_and_8_to_32_lowercase() {
        assert!(TransferId::parse("rt-abcd1234").is_ok());
        for bad in [
            "rt-abc",
            "rt-ABCD1234",
            "h-abcd1234",
            &format!("rt-{}", "a".repeat(33)),
        ] {
            assert!(TransferId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn statuses_and_directions_round_trip() {
        for s in TransferStatus::ALL {
            assert_eq!(TransferStatus::from_aws(s.as_str()), Some(*s));
        }
        for d in TransferDirection::ALL {
            assert_eq!(TransferDirection::from_aws(d.as_str()), Some(*d));
        }
        assert_eq!(TransferStatus::from_aws("NOPE"), None);
    }
}
