//! The input shapes of the `campaign` commands. A campaign's shared spec
//! (Notes, Tags, Onboarding, Renewal, IfOpenExists) has `invite`'s shapes,
//! and a target is `{Id, Type, Notes, Tags}`, as `--targets-file` lists it.
use super::{member, Shape, ONBOARDING, PARTY_TYPES, RENEWAL, TAG};

const TARGET_STATES: &[&str] = &[
    "QUEUED", "SKIPPED", "INVITED", "ACCEPTED", "COMPLETE", "FAILED", "DECLINED", "CANCELED",
    "EXPIRED",
];

/// IfOpenExists's values with a campaign's default first, so that the
/// skeleton's placeholder asks for what an unset value gets.
const IF_OPEN_EXISTS: &[&str] = &["RETURN_EXISTING", "FAIL"];

static TAGS: Shape = Shape::List {
    doc: "Tags to attach to the account when it joins the organization.",
    member: &TAG,
};

static CAMPAIGN_TARGET: Shape = Shape::Structure {
    doc: "One account to invite, with notes and tags of its own if wanted.",
    members: &[
        member(
            "Id",
            &Shape::String {
                doc: "The account id or email address.",
                values: &[],
            },
            true,
        ),
        member(
            "Type",
            &Shape::String {
                doc: "The type of party.",
                values: PARTY_TYPES,
            },
            true,
        ),
        member(
            "Notes",
            &Shape::String {
                doc: "Replaces the campaign's Notes for this account.",
                values: &[],
            },
            false,
        ),
        member(
            "Tags",
            &Shape::List {
                doc: "Added to the campaign's Tags; this value wins for the same key.",
                member: &TAG,
            },
            false,
        ),
    ],
};

static CAMPAIGN_ID_MEMBER: Shape = Shape::String {
    doc: "The campaign id: c- followed by 8 to 32 lowercase letters or digits.",
    values: &[],
};

pub static CAMPAIGN_CREATE: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("DisplayName", &Shape::String { doc: "The campaign's name, 1 to 128 characters.", values: &[] }, true),
        member("Targets", &Shape::List { doc: "The accounts to invite: 1 to 1000, none twice.", member: &CAMPAIGN_TARGET }, true),
        member("Notes", &Shape::String { doc: "Sent with every invitation whose target has no notes of its own.", values: &[] }, false),
        member("Tags", &TAGS, false),
        member("RequestId", &Shape::String { doc: "Makes retries safe: the same id returns the same campaign (1 to 64 of A-Z a-z 0-9 - _ . :).", values: &[] }, false),
        member("Onboarding", &ONBOARDING, false),
        member("Renewal", &RENEWAL, false),
        member("IfOpenExists", &Shape::String { doc: "When a target already has an open invitation: adopt it and send nothing new (the default), or fail that target.", values: IF_OPEN_EXISTS }, false),
        member("QuotaReserve", &Shape::Integer { doc: "Invitation slots of each quota window left to other callers.", min: 0, max: i32::MAX as i64 }, false),
    ],
};

pub static CAMPAIGN_ID: Shape = Shape::Structure {
    doc: "",
    members: &[member("CampaignId", &CAMPAIGN_ID_MEMBER, true)],
};

pub static CAMPAIGN_CANCEL: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("CampaignId", &CAMPAIGN_ID_MEMBER, true),
        member(
            "CancelOpenInvitations",
            &Shape::Boolean {
                doc: "Also cancel, in AWS, the campaign's invitations still open.",
            },
            false,
        ),
    ],
};

/// `campaign list` takes only paging flags, which the schema does not cover.
pub static CAMPAIGN_LIST: Shape = Shape::Structure {
    doc: "",
    members: &[],
};

pub static CAMPAIGN_TARGETS: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("CampaignId", &CAMPAIGN_ID_MEMBER, true),
        member(
            "States",
            &Shape::List {
                doc: "Only targets in one of these states.",
                member: &Shape::String {
                    doc: "A campaign target's state.",
                    values: TARGET_STATES,
                },
            },
            false,
        ),
    ],
};
