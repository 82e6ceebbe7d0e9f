//! The input shapes of the billing-transfer commands, as botocore's
//! organizations model has them (InviteOrganizationToTransferResponsibility
//! and the calls around it), plus what only this service takes: RequestId
//! as `invite` has it, a list's Statuses, and the watch's members.
//! `accept-handshake` and `decline-handshake` take `BY_ID`'s HandshakeId.
use super::{member, Shape, PARTY_TYPES, TAG};

pub const TRANSFER_TYPES: &[&str] = &["BILLING"];
/// In the AWS model's order.
pub const TRANSFER_STATUSES: &[&str] = &[
    "REQUESTED",
    "DECLINED",
    "CANCELED",
    "EXPIRED",
    "ACCEPTED",
    "WITHDRAWN",
];
pub const DIRECTIONS: &[&str] = &["INBOUND", "OUTBOUND"];

static TRANSFER_TYPE: Shape = Shape::String {
    doc: "The type of responsibility transferred; only BILLING exists.",
    values: TRANSFER_TYPES,
};
static TRANSFER_ID_MEMBER: Shape = Shape::String {
    doc: "The transfer id: rt- followed by 8 to 32 lowercase letters or digits.",
    values: &[],
};
static NAME: Shape = Shape::String {
    doc: "The transfer's name: 1 to 128 printable ASCII characters.",
    values: &[],
};
static TARGET: Shape = Shape::Structure {
    doc: "The other organization's management account, which is to pay: Type ACCOUNT with its 12-digit id, or Type EMAIL with its address.",
    members: &[
        member("Id", &Shape::String { doc: "The account id or email address.", values: &[] }, true),
        member("Type", &Shape::String { doc: "The type of party.", values: PARTY_TYPES }, true),
    ],
};

pub static TRANSFER_INVITE: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("Type", &TRANSFER_TYPE, true),
        member("Target", &TARGET, true),
        member("Notes", &Shape::String { doc: "Additional information to include in the invitation.", values: &[] }, false),
        member("StartTimestamp", &Shape::Timestamp { doc: "When the other organization starts paying: the first day of a month, 00:00:00 UTC (ISO 8601 or epoch seconds)." }, true),
        member("SourceName", &NAME, true),
        member("Tags", &Shape::List { doc: "Tags to attach to the transfer.", member: &TAG }, false),
        member("RequestId", &Shape::String { doc: "Makes retries safe: the same id returns the same transfer (1 to 64 of A-Z a-z 0-9 - _ . :).", values: &[] }, false),
    ],
};

pub static TRANSFER_ID: Shape = Shape::Structure {
    doc: "",
    members: &[member("Id", &TRANSFER_ID_MEMBER, true)],
};

/// Both lists: AWS asks for the Type even though BILLING is the only one.
/// Paging flags are not members, as for the other lists.
pub static TRANSFER_LIST: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("Type", &TRANSFER_TYPE, true),
        member(
            "Statuses",
            &Shape::List {
                doc: "Only transfers in one of these statuses.",
                member: &Shape::String {
                    doc: "A transfer's status.",
                    values: TRANSFER_STATUSES,
                },
            },
            false,
        ),
    ],
};

pub static TRANSFER_WITHDRAW: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("Id", &TRANSFER_ID_MEMBER, true),
        member(
            "EndTimestamp",
            &Shape::Timestamp {
                doc: "When the transfer ends: the last second of a month, 23:59:59 UTC; AWS's default when unset.",
            },
            false,
        ),
    ],
};

pub static TRANSFER_RENAME: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("Id", &TRANSFER_ID_MEMBER, true),
        member("Name", &NAME, true),
    ],
};

pub static WATCH_TRANSFERS: Shape = Shape::Structure {
    doc: "",
    members: &[
        member(
            "ResumeToken",
            &Shape::String {
                doc: "The ResumeToken of the last event seen: replay what came after it.",
                values: &[],
            },
            false,
        ),
        member(
            "Directions",
            &Shape::List {
                doc: "Only transfers in one of these directions.",
                member: &Shape::String {
                    doc: "INBOUND: another organization invited this one; OUTBOUND: this one invited another.",
                    values: DIRECTIONS,
                },
            },
            false,
        ),
    ],
};
