//! The input shapes of the `subscriptions` and `deliveries` commands. A
//! subscription is named by its id in the subscriptions file; an event by
//! its EventId, as `deliveries list` prints it.
use super::{member, Shape};

pub const DELIVERY_STATES: &[&str] = &["PENDING", "DELIVERED", "DEAD"];

static SUBSCRIPTION_ID_MEMBER: Shape = Shape::String {
    doc: "The subscription id, as in the subscriptions file: 1 to 64 of a-z 0-9 -.",
    values: &[],
};

/// `subscriptions list` takes no parameters.
pub static SUBSCRIPTIONS_LIST: Shape = Shape::Structure {
    doc: "",
    members: &[],
};

pub static SUBSCRIPTION_ID: Shape = Shape::Structure {
    doc: "",
    members: &[member("SubscriptionId", &SUBSCRIPTION_ID_MEMBER, true)],
};

pub static DELIVERIES_LIST: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("SubscriptionId", &SUBSCRIPTION_ID_MEMBER, true),
        member(
            "States",
            &Shape::List {
                doc: "Only deliveries in one of these states.",
                member: &Shape::String {
                    doc: "A delivery's state.",
                    values: DELIVERY_STATES,
                },
            },
            false,
        ),
    ],
};

pub static DELIVERIES_REDELIVER: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("SubscriptionId", &SUBSCRIPTION_ID_MEMBER, true),
        member(
            "EventIds",
            &Shape::List {
                doc: "The events to deliver again, by EventId.",
                member: &Shape::Integer {
                    doc: "An EventId, as deliveries list prints it.",
                    min: 1,
                    max: i64::MAX,
                },
            },
            true,
        ),
    ],
};
