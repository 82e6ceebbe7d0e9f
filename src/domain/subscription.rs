//! Subscriptions (`--subscriptions-file`): where recorded events are pushed,
//! validated whole at start and at every reload. An error names the
//! subscription and the field; a secret is never shown.
use std::{collections::HashSet, net::IpAddr, path::Path, sync::LazyLock};

use regex::Regex;
use serde::Deserialize;

use super::{EventKind, HandshakeEvent, HandshakeState, TransferEvent, TransferEventKind};

static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9-]{1,64}$").expect("regex"));
const SECRET_PREFIX: &str = "whsec_";
const DEFAULT_SOURCE: &str = "org-invites";

/// A webhook signing key (the bytes after `whsec_`, base64-decoded).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    pub fn from_key(key: Vec<u8>) -> Self {
        Self(key)
    }

    pub fn key(&self) -> &[u8] {
        &self.0
    }

    fn parse(line: &str) -> Option<Self> {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let key = STANDARD.decode(line.strip_prefix(SECRET_PREFIX)?).ok()?;
        (!key.is_empty()).then_some(Self(key))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Webhook {
        url: String,
        /// One, or two while rotating: each signs.
        secrets: Vec<Secret>,
    },
    EventBridge {
        /// A name or an ARN.
        event_bus: String,
        source: String,
    },
}

impl Endpoint {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Webhook { .. } => "WEBHOOK",
            Self::EventBridge { .. } => "EVENTBRIDGE",
        }
    }

    /// What ListSubscriptions shows: the URL without its query (which may
    /// hold a token), or the bus.
    pub fn shown(&self) -> String {
        match self {
            Self::Webhook { url, .. } => url.split(['?', '#']).next().unwrap_or_default().into(),
            Self::EventBridge { event_bus, .. } => event_bus.clone(),
        }
    }
}

/// Which events a subscription takes; empty lists match everything.
/// `kinds` names handshake kinds (STATE_CHANGE, ...) and transfer kinds
/// (TRANSFER_STATUS_CHANGE, TRANSFER_DEADLINE_SOON); naming any limits
/// both logs to the kinds named. `states` are handshake states: a filter
/// with states takes no transfer events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kinds: Vec<EventKind>,
    pub transfer_kinds: Vec<TransferEventKind>,
    pub states: Vec<HandshakeState>,
}

impl Filter {
    fn any_kind(&self) -> bool {
        self.kinds.is_empty() && self.transfer_kinds.is_empty()
    }

    pub fn matches(&self, e: &HandshakeEvent) -> bool {
        (self.any_kind() || self.kinds.contains(&e.kind))
            && (self.states.is_empty() || self.states.contains(&e.record.handshake.state))
    }

    pub fn matches_transfer(&self, e: &TransferEvent) -> bool {
        self.states.is_empty() && (self.any_kind() || self.transfer_kinds.contains(&e.kind))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub endpoint: Endpoint,
    pub filter: Filter,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    subscriptions: Vec<Raw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: String,
    webhook: Option<RawWebhook>,
    eventbridge: Option<RawEventBridge>,
    #[serde(default)]
    filter: RawFilter,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: String,
    secret_file: String,
    #[serde(default)]
    allow_plain_http: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEventBridge {
    event_bus: String,
    source: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    states: Vec<String>,
}

/// Parses a subscriptions file (YAML, of which JSON is a part); secret
/// files are read relative to nothing (paths as given).
pub fn parse_subscriptions(text: &str) -> Result<Vec<Subscription>, String> {
    parse_with(text, |p| std::fs::read_to_string(p))
}

pub fn parse_with(
    text: &str,
    read: impl Fn(&Path) -> std::io::Result<String>,
) -> Result<Vec<Subscription>, String> {
    let file: File = serde_norway::from_str(text).map_err(|e| format!("does not parse: {e}"))?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, raw) in file.subscriptions.into_iter().enumerate() {
        let name = if raw.id.is_empty() {
            format!("#{}", i + 1)
        } else {
            raw.id.clone()
        };
        let bad = |field: &str, why: &str| format!("subscription {name}: {field}: {why}");
        if !ID.is_match(&raw.id) {
            return Err(bad("id", "must be 1 to 64 of a-z 0-9 -"));
        }
        if !seen.insert(raw.id.clone()) {
            return Err(bad("id", "used twice"));
        }
        let endpoint = match (raw.webhook, raw.eventbridge) {
            (Some(w), None) => webhook(w, &read).map_err(|(f, why)| bad(f, &why))?,
            (None, Some(e)) => {
                if e.event_bus.is_empty() {
                    return Err(bad("eventbridge.event_bus", "is required"));
                }
                Endpoint::EventBridge {
                    event_bus: e.event_bus,
                    source: e.source.unwrap_or_else(|| DEFAULT_SOURCE.into()),
                }
            }
            _ => {
                return Err(bad(
                    "webhook",
                    "exactly one of webhook and eventbridge is required",
                ))
            }
        };
        let filter = filter(raw.filter).map_err(|(f, why)| bad(f, &why))?;
        out.push(Subscription {
            id: raw.id,
            endpoint,
            filter,
        });
    }
    Ok(out)
}

type FieldError = (&'static str, String);

fn webhook(
    w: RawWebhook,
    read: &impl Fn(&Path) -> std::io::Result<String>,
) -> Result<Endpoint, FieldError> {
    let url = w.url.trim();
    let (scheme, rest) = url.split_once("://").ok_or((
        "webhook.url",
        "must be an http:// or https:// URL".to_string(),
    ))?;
    match scheme {
        "https" => {}
        "http" if w.allow_plain_http => {}
        "http" => return Err(("webhook.url", "http:// needs allow_plain_http: true".into())),
        _ => return Err(("webhook.url", "must be an http:// or https:// URL".into())),
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err(("webhook.url", "names no host".into()));
    }
    if host.parse::<IpAddr>().is_ok_and(is_metadata) {
        return Err((
            "webhook.url",
            "a link-local or instance-metadata address is refused".into(),
        ));
    }
    let text = read(Path::new(&w.secret_file)).map_err(|e| {
        (
            "webhook.secret_file",
            format!("cannot be read: {}", e.kind()),
        )
    })?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() || lines.len() > 2 {
        return Err((
            "webhook.secret_file",
            "must hold one secret (two while rotating), whsec_<base64> each".into(),
        ));
    }
    let secrets = lines
        .iter()
        .map(|l| Secret::parse(l))
        .collect::<Option<Vec<_>>>()
        .ok_or((
            "webhook.secret_file",
            "a secret is not whsec_<base64>".to_string(),
        ))?;
    Ok(Endpoint::Webhook {
        url: url.to_string(),
        secrets,
    })
}

/// 169.254.0.0/16 (instance metadata, link-local) and fd00:ec2::254, and
/// IPv6 link-local.
pub fn is_metadata(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6 == "fd00:ec2::254"
                .parse::<std::net::Ipv6Addr>()
                .expect("address")
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

fn filter(raw: RawFilter) -> Result<Filter, FieldError> {
    let (mut kinds, mut transfer_kinds) = (Vec::new(), Vec::new());
    for k in &raw.kinds {
        match (k.strip_prefix("TRANSFER_"), EventKind::from_db(k)) {
            (Some("STATUS_CHANGE"), _) => transfer_kinds.push(TransferEventKind::StatusChange),
            (Some("DEADLINE_SOON"), _) => transfer_kinds.push(TransferEventKind::DeadlineSoon),
            (None, kind) if kind != EventKind::Unspecified => kinds.push(kind),
            _ => return Err(("filter.kinds", format!("unknown kind {k:?}"))),
        }
    }
    let states = raw
        .states
        .iter()
        .map(|s| match HandshakeState::from_aws(s) {
            HandshakeState::Unspecified => Err(("filter.states", format!("unknown state {s:?}"))),
            state => Ok(state),
        })
        .collect::<Result<_, _>>()?;
    Ok(Filter {
        kinds,
        transfer_kinds,
        states,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Subscription>, String> {
        parse_with(text, |p| match p.to_str() {
            Some("one") => Ok("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n".into()),
            Some("two") => Ok("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\nwhsec_c2Vjb25k\n".into()),
            Some("bad") => Ok("not-a-secret\n".into()),
            _ => Err(std::io::ErrorKind::NotFound.into()),
        })
    }

    #[test]
    fn a_valid_file_parses_with_both_kinds_and_a_filter() {
        let subs = parse(
            "subscriptions:
  - id: chat-ops
    webhook: {url: 'https://hooks.example.com/x?token=t', secret_file: two}
    filter: {kinds: [STATE_CHANGE], states: [ACCEPTED]}
  - id: org-bus
    eventbridge: {event_bus: org-invites}",
        )
        .unwrap();
        assert_eq!(subs.len(), 2);
        let Endpoint::Webhook { secrets, .. } = &subs[0].endpoint else {
            panic!()
        };
        assert_eq!(secrets.len(), 2);
        assert_eq!(subs[0].endpoint.shown(), "https://hooks.example.com/x");
        assert_eq!(subs[0].filter.kinds, [EventKind::StateChange]);
        let Endpoint::EventBridge { source, .. } = &subs[1].endpoint else {
            panic!()
        };
        assert_eq!(source, "org-invites");
        assert!(!format!("{subs:?}").contains("MfKQ"), "secrets never shown");
    }

    #[test]
    fn every_refusal_names_the_subscription_and_the_field() {
        let hook = |id: &str, url: &str, secret: &str| {
            format!("subscriptions:\n  - id: {id}\n    webhook: {{url: '{url}', secret_file: {secret}}}\n")
        };
        for (text, says) in [
            ("subscriptions: [".to_string(), "does not parse"),
            ("subscriptions:\n  - id: a\n    webhok: {}\n".into(), "does not parse"),
            (hook("Bad_Id", "https://x", "one"), "subscription Bad_Id: id"),
            (format!("{}{}", hook("a", "https://x", "one"), hook("a", "https://y", "one").replace("subscriptions:\n", "")), "subscription a: id: used twice"),
            (hook("a", "http://127.0.0.1:9/x", "one"), "subscription a: webhook.url: http:// needs allow_plain_http"),
            (hook("a", "https://169.254.169.254/latest", "one"), "subscription a: webhook.url: a link-local"),
            (hook("a", "https://[fd00:ec2::254]/", "one"), "subscription a: webhook.url: a link-local"),
            (hook("a", "https://x", "missing"), "subscription a: webhook.secret_file: cannot be read"),
            (hook("a", "https://x", "bad"), "subscription a: webhook.secret_file: a secret is not"),
            ("subscriptions:\n  - id: a\n    eventbridge: {event_bus: b}\n    filter: {kinds: [NOPE]}\n".into(), "subscription a: filter.kinds"),
        ] {
            let err = parse(&text).unwrap_err();
            assert!(err.contains(says), "{text}\n→ {err}");
            assert!(!err.contains("MfKQ"), "{err}");
        }
    }
}
