//! The identities file: one `ROLE NAME CREDENTIAL` per line, where the
//! credential is the SHA-256 (hex) of a bearer token, or `cn:NAME` /
//! `san:NAME` for an mTLS client certificate. The file holds no secret.
use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What an identity may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Get, List, Watch*, GetInvitationQuota.
    Reader,
    /// And InviteAccount, CancelHandshake.
    Inviter,
    /// Everything.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reader" => Some(Self::Reader),
            "inviter" => Some(Self::Inviter),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Inviter => "inviter",
            Self::Admin => "admin",
        }
    }
}

/// Who is calling: recorded as `requested_by` / `canceled_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub role: Role,
}

#[derive(Clone, PartialEq, Eq)]
enum Credential {
    TokenSha256([u8; 32]),
    CertCommonName(String),
    CertSubjectAltName(String),
}

// Hashes are not secrets, but there is no reason to print them either.
impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TokenSha256(_) => f.write_str("TokenSha256(..)"),
            Self::CertCommonName(n) => write!(f, "CertCommonName({n})"),
            Self::CertSubjectAltName(n) => write!(f, "CertSubjectAltName({n})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    identity: Identity,
    credential: Credential,
}

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identities {
    entries: Vec<Entry>,
}

impl Identities {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries: Vec<Entry> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = |msg: String| format!("line {}: {msg}", n + 1);
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [role, name, credential] = fields[..] else {
                return Err(at(format!(
                    "expected `ROLE NAME CREDENTIAL`, found {} fields",
                    fields.len()
                )));
            };
            let role = Role::parse(role)
                .ok_or_else(|| at(format!("unknown role {role:?} (reader, inviter or admin)")))?;
            if name.len() > 128 || !name.chars().all(|c| c.is_ascii_graphic()) {
                return Err(at("NAME must be 1 to 128 printable ASCII characters".into()));
            }
            let credential = parse_credential(credential).map_err(at)?;
            if entries.iter().any(|e| e.credential == credential) {
                return Err(at(format!("the credential of {name} is listed twice")));
            }
            entries.push(Entry {
                identity: Identity {
                    name: name.to_string(),
                    role,
                },
                credential,
            });
        }
        Ok(Self { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The identity whose token this is. Every stored hash is compared, each
    /// in constant time, so timing says nothing about which one matched.
    pub fn by_token(&self, token: &str) -> Option<&Identity> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for e in &self.entries {
            if let Credential::TokenSha256(hash) = &e.credential {
                if bool::from(hash.ct_eq(&digest)) {
                    found = Some(&e.identity);
                }
            }
        }
        found
    }

    /// The identity a client certificate with these names maps to.
    pub fn by_certificate(
        &self,
        common_names: &[String],
        alt_names: &[String],
    ) -> Option<&Identity> {
        self.entries.iter().find_map(|e| match &e.credential {
            Credential::CertCommonName(n) if common_names.contains(n) => Some(&e.identity),
            Credential::CertSubjectAltName(n) if alt_names.contains(n) => Some(&e.identity),
            _ => None,
        })
    }
}

fn parse_credential(s: &str) -> Result<Credential, String> {
    if let Some(cn) = s.strip_prefix("cn:") {
        return non_empty(cn).map(Credential::CertCommonName);
    }
    if let Some(san) = s.strip_prefix("san:") {
        return non_empty(san).map(Credential::CertSubjectAltName);
    }
    let bytes = decode_hex(s).ok_or_else(|| {
        "CREDENTIAL must be the SHA-256 of a token as 64 hex digits \
         (`printf %s \"$TOKEN\" | sha256sum`), or cn:NAME / san:NAME for a client certificate"
            .to_string()
    })?;
    Ok(Credential::TokenSha256(bytes))
}

fn non_empty(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("a certificate name after cn: or san: is required".into())
    } else {
        Ok(s.to_string())
    }
}

fn decode_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// The line to put in the file for `token` (used by tests and docs/operations.md).
pub fn token_line(role: Role, name: &str, token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{} {name} {hex}", role.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_map_to_their_identity_and_nothing_else() {
        let text = format!(
            "# comment\n\n{}\n{}  # trailing comment\nadmin ops cn:ops.example\n",
            token_line(Role::Reader, "dash", "t-read"),
            token_line(Role::Inviter, "factory", "t-invite"),
        );
        let ids = Identities::parse(&text).unwrap();
        assert_eq!(ids.len(), 3);
        assert_eq!(ids.by_token("t-read").unwrap().name, "dash");
        assert_eq!(ids.by_token("t-invite").unwrap().role, Role::Inviter);
        assert!(ids.by_token("t-other").is_none());
        assert!(ids.by_token("").is_none());
        let cn = ids.by_certificate(&["ops.example".into()], &[]).unwrap();
        assert_eq!((cn.name.as_str(), cn.role), ("ops", Role::Admin));
        assert!(ids
            .by_certificate(&["x".into()], &["ops.example".into()])
            .is_none());
    }

    #[test]
    fn bad_lines_name_their_line_number() {
        let cases = [
            ("reader dash", "line 1: expected"),
            ("\nwriter dash cn:x", "line 2: unknown role"),
            ("reader dash abc", "line 1: CREDENTIAL must be"),
            ("reader dash cn:", "line 1: a certificate name"),
            (
                "reader a cn:x\nreader b cn:x",
                "line 2: the credential of b is listed twice",
            ),
        ];
        for (text, want) in cases {
            let err = Identities::parse(text).unwrap_err();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn roles_are_ordered_by_what_they_allow() {
        assert!(Role::Reader < Role::Inviter && Role::Inviter < Role::Admin);
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    /// The production example in docs/operations.md must stay a valid file.
    #[test]
    fn the_shipped_example_parses_and_maps_its_tokens() {
        let text = include_str!("../../deploy/identities.example");
        let ids = Identities::parse(text).unwrap();
        assert_eq!(
            ids.by_token("reader-example-token").unwrap().role,
            Role::Reader
        );
        assert_eq!(
            ids.by_token("inviter-example-token").unwrap().role,
            Role::Inviter
        );
    }
}
