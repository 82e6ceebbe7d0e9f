//! Billing transfers at the edge: requests parsed into domain values (every
//! bad field one violation, nothing sent), records mapped to proto.
use chrono::{DateTime, Utc};

use super::{
    convert::timestamp,
    parse::{decode_token, encode_position, optional_request_id, target_of},
};
use crate::{
    domain::{
        parse_end_time, parse_start_time, parse_transfer_name, FieldViolation, Notes, Participant,
        TransferDirection, TransferEvent, TransferEventKind, TransferId, TransferInvite,
        TransferRecord, TransferStatus, Violations,
    },
    proto::v1 as pb,
    service::Position,
    store::TransferQuery,
    watch::encode_transfer_token,
};

fn time_of(t: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?)
}

pub fn parse_invite_transfer(
    req: pb::InviteTransferRequest,
    requested_by: Option<String>,
    now: DateTime<Utc>,
) -> Result<TransferInvite, Violations> {
    let mut v = Violations::default();
    match pb::ResponsibilityTransferType::try_from(req.r#type) {
        Ok(pb::ResponsibilityTransferType::Billing) => {}
        _ => v.push(FieldViolation::new("type", "type must be BILLING")),
    }
    let target = target_of(req.target.as_ref(), &mut v);
    let start_time = match req.start_time.as_ref().and_then(time_of) {
        None => {
            v.push(FieldViolation::new(
                "start_time",
                "start_time is required: the first day of a month at 00:00:00 UTC",
            ));
            None
        }
        Some(t) => v.take(parse_start_time(t, now)),
    };
    let source_name = v.take(parse_transfer_name("source_name", &req.source_name));
    let notes = v.take(Notes::parse(&req.notes));
    let tags = super::campaigns::tags_of(&req.tags, "", &mut v);
    let request_id = optional_request_id(&req.request_id, &mut v);
    match (target, start_time, source_name, notes, tags) {
        (Some(target), Some(start_time), Some(source_name), Some(notes), Some(tags))
            if v.is_empty() =>
        {
            Ok(TransferInvite {
                target,
                start_time,
                source_name,
                notes,
                tags,
                request_id,
                requested_by,
            })
        }
        _ => Err(v),
    }
}

pub fn parse_transfer_id(id: &str) -> Result<TransferId, Violations> {
    TransferId::parse(id).map_err(|e| Violations(vec![e]))
}

pub fn parse_name(name: &str) -> Result<String, Violations> {
    parse_transfer_name("name", name).map_err(|e| Violations(vec![e]))
}

pub fn parse_end(
    end: Option<&prost_types::Timestamp>,
) -> Result<Option<DateTime<Utc>>, Violations> {
    let Some(end) = end else { return Ok(None) };
    let bad = |e: FieldViolation| Violations(vec![e]);
    let t = time_of(end).ok_or_else(|| bad(FieldViolation::new("end_time", "not a time")))?;
    parse_end_time(t).map(Some).map_err(bad)
}

pub fn direction_from_proto(raw: i32) -> Option<Option<TransferDirection>> {
    match pb::TransferDirection::try_from(raw).ok()? {
        pb::TransferDirection::Unspecified => Some(None),
        pb::TransferDirection::Inbound => Some(Some(TransferDirection::Inbound)),
        pb::TransferDirection::Outbound => Some(Some(TransferDirection::Outbound)),
    }
}

fn status_from_proto(raw: i32) -> Option<TransferStatus> {
    use pb::ResponsibilityTransferStatus as P;
    Some(match P::try_from(raw).ok()? {
        P::Unspecified => return None,
        P::Requested => TransferStatus::Requested,
        P::Accepted => TransferStatus::Accepted,
        P::Declined => TransferStatus::Declined,
        P::Canceled => TransferStatus::Canceled,
        P::Expired => TransferStatus::Expired,
        P::Withdrawn => TransferStatus::Withdrawn,
    })
}

/// The query ListTransfers asks for; its filters' key (a page token
/// carries it, so it cannot be used with other filters).
pub fn parse_list(req: &pb::ListTransfersRequest) -> Result<(TransferQuery, String), Violations> {
    let mut v = Violations::default();
    let direction = direction_from_proto(req.direction).unwrap_or_else(|| {
        v.push(FieldViolation::new(
            "direction",
            "must be INBOUND or OUTBOUND",
        ));
        None
    });
    let mut statuses = Vec::new();
    for (i, raw) in req.statuses.iter().enumerate() {
        match status_from_proto(*raw) {
            Some(s) => statuses.push(s),
            None => v.push(FieldViolation::new(
                format!("statuses[{i}]"),
                "not a transfer status",
            )),
        }
    }
    let limit = super::campaigns::page_size(req.page_size, 50).unwrap_or_else(|bad| {
        v.0.extend(bad.0);
        50
    });
    let filter = format!(
        "{}|{}",
        direction.map_or("", |d| d.as_str()),
        statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    let before = if req.page_token.is_empty() {
        None
    } else {
        v.take(decode_token(&req.page_token, &filter))
            .map(|p| (p.create_time, p.id))
    };
    if !v.is_empty() {
        return Err(v);
    }
    Ok((
        TransferQuery {
            direction,
            statuses,
            before,
            limit,
        },
        filter,
    ))
}

/// The token after `last`, when the page was full.
pub fn next_page(last: Option<&TransferRecord>, full: bool, filter: &str) -> String {
    match last {
        Some(r) if full => {
            let cursor = Position {
                create_time: r.create_time,
                id: r.transfer.id.as_str().to_string(),
            };
            encode_position(&cursor, filter)
        }
        _ => String::new(),
    }
}

pub fn status_to_proto(s: TransferStatus) -> pb::ResponsibilityTransferStatus {
    use pb::ResponsibilityTransferStatus as P;
    match s {
        TransferStatus::Requested => P::Requested,
        TransferStatus::Accepted => P::Accepted,
        TransferStatus::Declined => P::Declined,
        TransferStatus::Canceled => P::Canceled,
        TransferStatus::Expired => P::Expired,
        TransferStatus::Withdrawn => P::Withdrawn,
    }
}

fn direction_to_proto(d: TransferDirection) -> pb::TransferDirection {
    match d {
        TransferDirection::Inbound => pb::TransferDirection::Inbound,
        TransferDirection::Outbound => pb::TransferDirection::Outbound,
    }
}

fn participant_to_proto(p: &Participant) -> pb::TransferParticipant {
    pb::TransferParticipant {
        management_account_id: p.account_id.clone().unwrap_or_default(),
        management_account_email: p.email.clone().unwrap_or_default(),
    }
}

pub fn transfer_to_proto(r: &TransferRecord) -> pb::ResponsibilityTransfer {
    let t = &r.transfer;
    pb::ResponsibilityTransfer {
        id: t.id.as_str().to_string(),
        arn: t.arn.clone(),
        name: t.name.clone(),
        r#type: pb::ResponsibilityTransferType::Billing as i32,
        status: status_to_proto(t.status) as i32,
        direction: direction_to_proto(r.direction) as i32,
        source: Some(participant_to_proto(&t.source)),
        target: Some(participant_to_proto(&t.target)),
        start_time: Some(timestamp(t.start_time)),
        end_time: t.end_time.map(timestamp),
        active_handshake_id: t
            .active_handshake_id
            .as_ref()
            .map(|h| h.as_str().to_string())
            .unwrap_or_default(),
        create_time: Some(timestamp(r.create_time)),
        update_time: Some(timestamp(r.update_time)),
        status_history: r
            .history
            .iter()
            .map(|(s, at)| pb::TransferStatusChange {
                status: status_to_proto(*s) as i32,
                first_seen_time: Some(timestamp(*at)),
            })
            .collect(),
        requested_by: r.requested_by.clone().unwrap_or_default(),
        accept_deadline_time: Some(timestamp(t.accept_deadline())),
        deadline_warning_time: r.deadline_warning_time.map(timestamp),
        request_id: r
            .request_id
            .as_ref()
            .map(|q| q.as_str().to_string())
            .unwrap_or_default(),
    }
}

pub fn event_to_proto(e: &TransferEvent) -> pb::TransferEvent {
    pb::TransferEvent {
        transfer: Some(transfer_to_proto(&e.record)),
        previous_status: e.previous_status.map_or(
            pb::ResponsibilityTransferStatus::Unspecified,
            status_to_proto,
        ) as i32,
        event_id: e.event_id,
        resume_token: encode_transfer_token(e.event_id),
        observe_time: Some(timestamp(e.observe_time)),
        kind: match e.kind {
            TransferEventKind::StatusChange => pb::TransferEventKind::StatusChange,
            TransferEventKind::DeadlineSoon => pb::TransferEventKind::DeadlineSoon,
        } as i32,
    }
}
