//! What `--generate-cli-skeleton` printed and nobody filled in reads as
//! unset, so that its output fed back through `--cli-input-json`/`-yaml`
//! with only some members filled asks for just those (the AWS CLI's
//! documented workflow).
//!
//! The rule is about shapes, not about members, so that every nested block
//! a request grows is covered without a change here:
//! - a nested structure (a member's, or a list item's) whose every member
//!   still holds its placeholder is absent; a list left with no items by
//!   that is absent too;
//! - a top-level string without fixed values left `""` is unset, and so
//!   is a top-level timestamp left at the skeleton's 1970-01-01T00:00:00
//!   (no call here means the epoch).
//!
//! Values from a fixed set (`ACCOUNT`, `FAIL`) are the skeleton's first
//! choice and mean what they say on their own, so at the top level they
//! stay; inside an untouched block they are part of its placeholders.
use serde_json::{Map, Value};

use super::{
    schema::{skeleton, Member, Shape},
    timestamp,
};

/// `input` (the parameters of a command of shape `shape`) with the
/// skeleton's untouched placeholders taken out.
pub fn remove(input: &mut Map<String, Value>, shape: &Shape) {
    if let Shape::Structure { members, .. } = shape {
        remove_in(input, members, true);
    }
}

fn remove_in(map: &mut Map<String, Value>, members: &[Member], top: bool) {
    for m in members {
        let Some(value) = map.get_mut(m.name) else {
            continue;
        };
        let unset = match (m.shape, value) {
            (Shape::Structure { members, .. }, Value::Object(inner)) => {
                if untouched_structure(inner, members) {
                    true
                } else {
                    remove_in(inner, members, false);
                    false
                }
            }
            (Shape::List { member, .. }, Value::Array(items)) if !items.is_empty() => {
                if let Shape::Structure { members, .. } = member {
                    items.retain(|item| !untouched(item, member));
                    for item in items.iter_mut() {
                        if let Value::Object(inner) = item {
                            remove_in(inner, members, false);
                        }
                    }
                }
                items.is_empty()
            }
            (Shape::String { values, .. }, Value::String(s)) => {
                top && values.is_empty() && s.is_empty()
            }
            (Shape::Timestamp { .. }, Value::String(s)) => top && s == timestamp::PLACEHOLDER,
            _ => false,
        };
        if unset {
            map.remove(m.name);
        }
    }
}

/// Whether `value` is still what the skeleton printed for `shape`.
fn untouched(value: &Value, shape: &Shape) -> bool {
    match (shape, value) {
        (Shape::Structure { members, .. }, Value::Object(map)) => untouched_structure(map, members),
        (Shape::List { member, .. }, Value::Array(items)) => {
            !items.is_empty() && items.iter().all(|i| untouched(i, member))
        }
        (shape, value) => *value == skeleton(shape),
    }
}

/// A block with something in it, all of it placeholders. Members the user
/// deleted from the skeleton do not make it touched; an empty `{}` was
/// never the skeleton's, and is left for the schema to judge.
fn untouched_structure(map: &Map<String, Value>, members: &[Member]) -> bool {
    !map.is_empty()
        && map.iter().all(|(k, v)| {
            members
                .iter()
                .find(|m| m.name == k)
                .is_some_and(|m| untouched(v, m.shape))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::client::schema::{
        BY_ID, INVITE, LIST, TRANSFER_INVITE, TRANSFER_WITHDRAW, WATCH_ALL,
    };

    fn removed(v: Value, shape: &Shape) -> Value {
        let Value::Object(mut map) = v else {
            panic!("an object")
        };
        remove(&mut map, shape);
        Value::Object(map)
    }

    #[test]
    fn an_untouched_skeleton_asks_for_nothing_but_its_fixed_choices() {
        // Every command's: nothing made up is sent for what was not filled.
        assert_eq!(
            removed(skeleton(&INVITE), &INVITE),
            json!({"IfOpenExists": "FAIL"})
        );
        assert_eq!(removed(skeleton(&BY_ID), &BY_ID), json!({}));
        assert_eq!(
            removed(skeleton(&LIST), &LIST),
            json!({"States": ["REQUESTED"]})
        );
        assert_eq!(
            removed(skeleton(&WATCH_ALL), &WATCH_ALL),
            json!({"States": ["REQUESTED"]})
        );
    }

    #[test]
    fn an_untouched_timestamp_is_unset_and_a_filled_one_stays() {
        assert_eq!(
            removed(skeleton(&TRANSFER_INVITE), &TRANSFER_INVITE),
            json!({"Type": "BILLING"})
        );
        let mut v = skeleton(&TRANSFER_WITHDRAW);
        v["Id"] = json!("rt-abcdefgh");
        assert_eq!(
            removed(v.clone(), &TRANSFER_WITHDRAW),
            json!({"Id": "rt-abcdefgh"})
        );
        v["EndTimestamp"] = json!("2027-06-30T23:59:59Z");
        assert_eq!(removed(v.clone(), &TRANSFER_WITHDRAW), v);
    }

    #[test]
    fn a_skeleton_with_target_notes_and_tags_filled_asks_for_just_those() {
        let mut v = skeleton(&INVITE);
        v["Target"] = json!({"Id": "123456789012", "Type": "ACCOUNT"});
        v["Notes"] = json!("welcome");
        v["Tags"] = json!([{"Key": "team", "Value": ""}]);
        assert_eq!(
            removed(v, &INVITE),
            json!({"Target": {"Id": "123456789012", "Type": "ACCOUNT"},
                   "Notes": "welcome",
                   "Tags": [{"Key": "team", "Value": ""}],
                   "IfOpenExists": "FAIL"})
        );
    }

    #[test]
    fn a_block_with_anything_filled_in_is_kept_as_written() {
        let mut v = skeleton(&INVITE);
        v["Onboarding"]["DestinationParentId"] = json!("ou-ab12-cdef3456");
        v["Renewal"]["MaxRenewals"] = json!(2);
        let out = removed(v, &INVITE);
        assert_eq!(
            out["Onboarding"],
            json!({"DestinationParentId": "ou-ab12-cdef3456", "AcceptRole": "",
                   "ExternalId": "", "OnAcceptFailure": "LEAVE_OPEN",
                   "LeavePreviousOrganization": false})
        );
        assert_eq!(out["Renewal"], json!({"MaxRenewals": 2}));
        // A choice other than the placeholder is filled in, too.
        let out = removed(
            json!({"Onboarding": {"OnAcceptFailure": "CANCEL"}}),
            &INVITE,
        );
        assert_eq!(out, json!({"Onboarding": {"OnAcceptFailure": "CANCEL"}}));
    }

    #[test]
    fn a_block_trimmed_by_hand_but_never_filled_is_absent() {
        let out = removed(
            json!({"Onboarding": {"OnAcceptFailure": "LEAVE_OPEN"}, "Renewal": {}}),
            &INVITE,
        );
        // `{}` is not the skeleton's; the schema says what is missing.
        assert_eq!(out, json!({"Renewal": {}}));
    }

    #[test]
    fn only_untouched_tags_are_dropped() {
        let v = json!({"Tags": [{"Key": "", "Value": ""}, {"Key": "a", "Value": ""}]});
        assert_eq!(
            removed(v, &INVITE),
            json!({"Tags": [{"Key": "a", "Value": ""}]})
        );
        // An empty list was written that way, not left over.
        assert_eq!(removed(json!({"Tags": []}), &INVITE), json!({"Tags": []}));
    }

    #[test]
    fn empty_strings_inside_a_filled_block_stay() {
        // A tag's empty Value is a value; only the top level's "" is unset.
        let v = json!({"Target": {"Id": "", "Type": "EMAIL"}, "RequestId": ""});
        assert_eq!(
            removed(v, &INVITE),
            json!({"Target": {"Id": "", "Type": "EMAIL"}})
        );
    }
}
