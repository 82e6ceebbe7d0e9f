//! The golden fixtures: JSON as each release wrote it must keep reading as
//! the same domain value, and this release must write what the newest
//! fixture holds (so the release before it, which reads that form, can read
//! what this one writes).
use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::{
    canonical, StoredOnboarding, StoredParty, StoredRecord, StoredRenewal, StoredResource,
    StoredSpec, StoredTag,
};
use crate::domain::{
    HandshakeAction, HandshakeRecord, HandshakeState, OnAcceptFailure, Onboarding, OnboardingSpec,
    OnboardingStatus, Party, PartyType, Renewal, Resource, ResourceType, Step,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stored")
}

/// Every release's fixture directory, oldest first.
fn releases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("tests/fixtures/stored exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort_by_key(|p| version_of(p));
    assert!(!dirs.is_empty(), "no fixture releases");
    dirs
}

fn version_of(dir: &Path) -> Vec<u32> {
    let name = dir.file_name().unwrap().to_str().unwrap();
    name.split('.')
        .map(|n| {
            n.parse()
                .unwrap_or_else(|_| panic!("{name} is not a version"))
        })
        .collect()
}

fn read(dir: &Path, name: &str) -> Value {
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn decode<S: DeserializeOwned>(value: Value) -> S {
    serde_json::from_value(value).expect("stored JSON decodes")
}

fn record_of(value: Value) -> HandshakeRecord {
    decode::<StoredRecord>(value).try_into().ok().unwrap()
}

fn onboarding_of(value: Value) -> Onboarding {
    decode::<StoredOnboarding>(value).try_into().ok().unwrap()
}

fn spec_of(value: Value) -> OnboardingSpec {
    decode::<StoredSpec>(value).try_into().ok().unwrap()
}

fn renewal_of(value: Value) -> Renewal {
    decode::<StoredRenewal>(value).try_into().ok().unwrap()
}

fn parties_of(value: Value) -> Vec<Party> {
    decode::<Vec<StoredParty>>(value)
        .into_iter()
        .map(Into::into)
        .collect()
}

fn resources_of(value: Value) -> Vec<Resource> {
    decode::<Vec<StoredResource>>(value)
        .into_iter()
        .map(Into::into)
        .collect()
}

fn tags_of(value: Value) -> crate::domain::Tags {
    super::tags_of(decode::<Vec<StoredTag>>(value))
}

fn json<S: Serialize>(stored: S) -> Value {
    serde_json::to_value(stored).unwrap()
}

#[test]
fn every_release_fixture_reads_as_the_canonical_value() {
    let record = canonical::record();
    for dir in releases() {
        assert_eq!(record_of(read(&dir, "snapshot")), record, "{dir:?}");
        assert_eq!(
            onboarding_of(read(&dir, "onboarding")),
            canonical::onboarding()
        );
        assert_eq!(spec_of(read(&dir, "intent_onboarding")), canonical::spec());
        assert_eq!(renewal_of(read(&dir, "renewal")), canonical::renewal());
        assert_eq!(parties_of(read(&dir, "parties")), record.handshake.parties);
        assert_eq!(
            resources_of(read(&dir, "resources")),
            record.handshake.resources
        );
        assert_eq!(tags_of(read(&dir, "tags")), canonical::tags());
    }
}

/// This release's stored form of each canonical value, by fixture name.
fn written() -> Vec<(&'static str, Value)> {
    let record = canonical::record();
    let h = &record.handshake;
    vec![
        ("snapshot", json(StoredRecord::from(&record))),
        (
            "onboarding",
            json(StoredOnboarding::from(&canonical::onboarding())),
        ),
        (
            "intent_onboarding",
            json(StoredSpec::from(&canonical::spec())),
        ),
        ("renewal", json(StoredRenewal::from(&canonical::renewal()))),
        (
            "parties",
            json(h.parties.iter().map(StoredParty::from).collect::<Vec<_>>()),
        ),
        (
            "resources",
            json(
                h.resources
                    .iter()
                    .map(StoredResource::from)
                    .collect::<Vec<_>>(),
            ),
        ),
        ("tags", json(super::stored_tags(&canonical::tags()))),
    ]
}

/// A release's fixtures are written once, when its version is set:
/// `ORG_INVITES_WRITE_FIXTURES=1 cargo test --lib store::stored` writes
/// `tests/fixtures/stored/<version>/`; commit them, and never edit them.
#[test]
fn this_release_writes_what_its_own_fixtures_hold() {
    let version = env!("CARGO_PKG_VERSION");
    let own = fixtures().join(version);
    if std::env::var_os("ORG_INVITES_WRITE_FIXTURES").is_some() && !own.exists() {
        std::fs::create_dir_all(&own).unwrap();
        for (name, value) in written() {
            let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
            std::fs::write(own.join(format!("{name}.json")), text).unwrap();
        }
    }
    assert_eq!(
        releases().last(),
        Some(&own),
        "the newest fixtures are not release {version}'s: \
         ORG_INVITES_WRITE_FIXTURES=1 cargo test --lib store::stored writes them"
    );
    for (name, value) in written() {
        assert_eq!(value, read(&own, name), "{name} differs from {own:?}");
    }
}

/// Adds a field no release knows to every object in `value`.
fn with_unknown_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(with_unknown_fields);
            map.insert(
                "added_by_a_later_release".into(),
                serde_json::json!({"x": [1]}),
            );
        }
        Value::Array(items) => items.iter_mut().for_each(with_unknown_fields),
        _ => {}
    }
}

#[test]
fn unknown_fields_at_every_level_are_ignored() {
    let newest = releases().pop().unwrap();
    let mut snapshot = read(&newest, "snapshot");
    with_unknown_fields(&mut snapshot);
    assert_eq!(record_of(snapshot), canonical::record());
    let mut renewal = read(&newest, "renewal");
    with_unknown_fields(&mut renewal);
    assert_eq!(renewal_of(renewal), canonical::renewal());
}

#[test]
fn enum_values_no_release_has_read_as_unspecified() {
    let newest = releases().pop().unwrap();
    let mut v = read(&newest, "snapshot");
    v["handshake"]["state"] = "Teleported".into();
    v["handshake"]["action"] = "Merge".into();
    v["handshake"]["parties"][0]["kind"] = "Galaxy".into();
    v["handshake"]["resources"][0]["kind"] = "Galaxy".into();
    v["history"][1]["state"] = "Teleported".into();
    v["onboarding"]["status"] = "DANCING".into();
    v["onboarding"]["steps"][0]["step"] = "DANCE".into();
    v["onboarding"]["spec"]["on_accept_failure"] = "SHRUG".into();
    let r = record_of(v);
    assert_eq!(r.handshake.state, HandshakeState::Unspecified);
    assert_eq!(r.handshake.action, HandshakeAction::Unspecified);
    assert_eq!(r.handshake.parties[0].kind, PartyType::Unspecified);
    assert_eq!(r.handshake.resources[0].kind, ResourceType::Unspecified);
    assert_eq!(r.history[1].state, HandshakeState::Unspecified);
    let o = r.onboarding.unwrap();
    assert_eq!(o.status, OnboardingStatus::Unspecified);
    assert_eq!(o.steps[0].step, Step::Unspecified);
    assert_eq!(o.spec.on_accept_failure, OnAcceptFailure::Unspecified);
    // What is known still reads.
    assert_eq!(o.steps[1].step, Step::Place);
    assert_eq!(r.handshake.parties[1].kind, PartyType::Account);
}

#[test]
fn a_value_of_the_wrong_shape_is_refused_not_guessed() {
    let wrong = [
        serde_json::json!("x"),
        serde_json::json!({"handshake": 7}),
        serde_json::json!({"handshake": {"id": "h-0000000002", "state": 3}}),
    ];
    for value in wrong {
        assert!(serde_json::from_value::<StoredRecord>(value).is_err());
    }
    let bad_id: StoredRecord = {
        let mut v = read(&releases().pop().unwrap(), "snapshot");
        v["handshake"]["id"] = "not-a-handshake".into();
        decode(v)
    };
    assert!(HandshakeRecord::try_from(bad_id).is_err());
}
