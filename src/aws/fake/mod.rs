//! An in-process Organizations for throttling and fault tests and for the
//! benchmarks: handshakes in memory, AWS's page size, AWS's request rates
//! (exceeding them answers TooManyRequests), and faults on demand; and an
//! event bus (`bus`) that fails single entries. The real SDK path is
//! tested against fakecloud; this never replaces that.
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    time::Instant,
};

use chrono::Utc;

mod bus;
mod calls;
mod org;

use super::AwsError;
use crate::domain::{
    AccountId, Handshake, HandshakeAction, HandshakeId, HandshakeState, Party, PartyType, Tag,
};
pub use bus::FakeEventBus;
pub use org::ROOT;

/// The fake organization's management account (its handshake ARNs name it).
const MANAGEMENT_ACCOUNT: &str = "123456789012";
/// AWS's page size for ListHandshakesForOrganization.
const PAGE: usize = 20;

/// A per-operation token bucket, as AWS enforces it.
struct Limit {
    per_second: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Limit {
    fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst,
            tokens: burst,
            at: Instant::now(),
        }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.per_second)
            .min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Default)]
pub struct CallCounts {
    pub list: AtomicUsize,
    pub describe: AtomicUsize,
    pub invite: AtomicUsize,
    pub cancel: AtomicUsize,
    pub throttled: AtomicUsize,
    pub accept: AtomicUsize,
    pub move_account: AtomicUsize,
    pub tag: AtomicUsize,
    pub leave: AtomicUsize,
}

/// When AWS refuses an account that belongs to another organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedAt {
    /// InviteAccountToOrganization refuses (as fakecloud does, and AWS
    /// did before direct transfers).
    Invite,
    /// The invitation is sent; AcceptHandshake refuses.
    Accept,
}

struct State {
    handshakes: BTreeMap<String, Handshake>,
    list_limit: Option<Limit>,
    describe_limit: Option<Limit>,
    invite_limit: Option<Limit>,
    cancel_limit: Option<Limit>,
    /// When each InviteAccountToOrganization call arrived.
    invite_times: Vec<Instant>,
    /// Empty pages served before each real page (AWS may do this).
    empty_pages_before: usize,
    /// Ids List leaves out (Describe still finds them).
    hidden: std::collections::HashSet<String>,
    /// The next this-many calls fail with a 5xx ServiceException...
    fail_next: usize,
    /// ...after this many more calls went through.
    fail_after: usize,
    next_id: u64,
    org: org::Org,
    /// Accounts that belong to another organization, and where AWS refuses them.
    elsewhere: BTreeMap<String, RefusedAt>,
    /// What LeaveOrganization answers instead of leaving, if set.
    leave_refusal: Option<AwsError>,
}

pub struct FakeOrganizations {
    state: Mutex<State>,
    pub calls: CallCounts,
}

impl Default for FakeOrganizations {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeOrganizations {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State {
                handshakes: BTreeMap::new(),
                list_limit: None,
                describe_limit: None,
                invite_limit: None,
                cancel_limit: None,
                invite_times: Vec::new(),
                empty_pages_before: 0,
                hidden: Default::default(),
                fail_next: 0,
                fail_after: 0,
                next_id: 1,
                org: org::Org::default(),
                elsewhere: BTreeMap::new(),
                leave_refusal: None,
            }),
            calls: CallCounts::default(),
        }
    }

    /// Throttles every operation at AWS's published rates (List 5/s burst
    /// 8, Describe 1/2, Invite 3/5, Cancel 2/3).
    pub fn with_aws_rates(self) -> Self {
        {
            let mut s = self.state.lock().unwrap();
            s.list_limit = Some(Limit::new(5.0, 8.0));
            s.describe_limit = Some(Limit::new(1.0, 2.0));
            s.invite_limit = Some(Limit::new(3.0, 5.0));
            s.cancel_limit = Some(Limit::new(2.0, 3.0));
        }
        self
    }

    /// Throttles InviteAccountToOrganization at `per_second`, burst `burst`.
    pub fn with_invite_rate(self, per_second: f64, burst: f64) -> Self {
        self.state.lock().unwrap().invite_limit = Some(Limit::new(per_second, burst));
        self
    }

    /// When each InviteAccountToOrganization call arrived, in order.
    pub fn invite_times(&self) -> Vec<Instant> {
        self.state.lock().unwrap().invite_times.clone()
    }

    /// Throttles List at `per_second`, burst `burst` (tighter than AWS, to
    /// make a sweep meet throttling).
    pub fn with_list_rate(self, per_second: f64, burst: f64) -> Self {
        self.state.lock().unwrap().list_limit = Some(Limit::new(per_second, burst));
        self
    }

    pub fn hide_from_list(&self, id: &HandshakeId) {
        self.state
            .lock()
            .unwrap()
            .hidden
            .insert(id.as_str().to_string());
    }

    pub fn empty_pages_before_each(&self, n: usize) {
        self.state.lock().unwrap().empty_pages_before = n;
    }

    pub fn fail_next_calls(&self, n: usize) {
        self.fail_calls_after(0, n);
    }

    /// Lets `ok` calls through, then fails the next `n` with a 5xx.
    pub fn fail_calls_after(&self, ok: usize, n: usize) {
        let mut s = self.state.lock().unwrap();
        s.fail_after = ok;
        s.fail_next = n;
    }

    /// Adds an OPEN invitation as if sent from the console; returns its id.
    pub fn add_open(&self, account_id: &str) -> HandshakeId {
        let mut s = self.state.lock().unwrap();
        let h = new_handshake(&mut s, PartyType::Account, account_id);
        let id = h.id.clone();
        s.handshakes.insert(id.as_str().to_string(), h);
        id
    }

    /// Moves a handshake to `state`, as the invited account or time would.
    pub fn set_state(&self, id: &HandshakeId, state: HandshakeState) {
        let mut s = self.state.lock().unwrap();
        let mut joined = None;
        if let Some(h) = s.handshakes.get_mut(id.as_str()) {
            h.state = state;
            if state == HandshakeState::Accepted {
                joined = h.guess_target().map(|p| p.id.clone());
            }
        }
        if let Some(account) = joined {
            s.org.join(&account);
        }
    }

    /// Forgets a handshake, as AWS does 30 days after it closes.
    pub fn forget(&self, id: &HandshakeId) {
        self.state.lock().unwrap().handshakes.remove(id.as_str());
    }

    /// An organizational unit that exists.
    pub fn add_ou(&self, id: &str) {
        self.state.lock().unwrap().org.add_ou(id);
    }

    pub fn remove_ou(&self, id: &str) {
        self.state.lock().unwrap().org.remove_ou(id);
    }

    /// A role the management account may assume.
    pub fn allow_role(&self, arn: &str) {
        self.state.lock().unwrap().org.allow_role(arn);
    }

    /// `account` belongs to another organization until it leaves it
    /// (LeaveOrganization through a role allowed with `allow_role`).
    pub fn member_elsewhere(&self, account: &str, refused_at: RefusedAt) {
        let mut s = self.state.lock().unwrap();
        s.elsewhere.insert(account.to_string(), refused_at);
    }

    /// Whether `account` still belongs to another organization.
    pub fn is_member_elsewhere(&self, account: &str) -> bool {
        self.state.lock().unwrap().elsewhere.contains_key(account)
    }

    /// LeaveOrganization answers `e` (and leaves nothing) from now on.
    pub fn refuse_leave(&self, e: AwsError) {
        self.state.lock().unwrap().leave_refusal = Some(e);
    }

    /// Where `account` is, once it joined.
    pub fn parent_of(&self, account: &str) -> Option<String> {
        let account = AccountId::parse(account).ok()?;
        self.state.lock().unwrap().org.parent_of(&account)
    }

    pub fn tags_of(&self, account: &str) -> Vec<Tag> {
        let account = AccountId::parse(account).expect("an account id");
        self.state.lock().unwrap().org.tags_of(&account)
    }

    pub fn total_calls(&self) -> usize {
        self.calls.list.load(Ordering::Relaxed)
            + self.calls.describe.load(Ordering::Relaxed)
            + self.calls.invite.load(Ordering::Relaxed)
            + self.calls.cancel.load(Ordering::Relaxed)
    }

    fn fault(&self, s: &mut State) -> Result<(), AwsError> {
        if s.fail_next > 0 && s.fail_after > 0 {
            s.fail_after -= 1;
        } else if s.fail_next > 0 {
            s.fail_next -= 1;
            return Err(AwsError::new("ServiceException", None, "injected 5xx"));
        }
        Ok(())
    }

    fn throttled(&self) -> AwsError {
        self.calls.throttled.fetch_add(1, Ordering::Relaxed);
        AwsError::new("TooManyRequestsException", None, "Rate exceeded")
    }
}

/// Moves an OPEN handshake to `to`, as AWS does for a cancel or an accept.
fn close(s: &mut State, id: &HandshakeId, to: HandshakeState) -> Result<Handshake, AwsError> {
    let h = s
        .handshakes
        .get_mut(id.as_str())
        .ok_or_else(|| AwsError::new("HandshakeNotFoundException", None, "no such handshake"))?;
    if h.state != HandshakeState::Open {
        return Err(AwsError::new(
            "InvalidHandshakeTransitionException",
            None,
            "not open",
        ));
    }
    h.state = to;
    Ok(h.clone())
}

/// AWS's refusal of an account that belongs to another organization.
fn in_another_organization() -> AwsError {
    AwsError::new(
        "HandshakeConstraintViolationException",
        Some(crate::aws::ALREADY_IN_AN_ORGANIZATION.into()),
        "the account is already a member of an organization",
    )
}

fn new_handshake(s: &mut State, kind: PartyType, target: &str) -> Handshake {
    let n = s.next_id;
    s.next_id += 1;
    let id = HandshakeId::parse(&format!("h-{n:010}")).expect("valid fake id");
    let now = Utc::now();
    Handshake {
        arn: format!(
            "arn:aws:organizations::123456789012:handshake/o-fakeorg000/invite/{}",
            id.as_str()
        ),
        id,
        parties: vec![
            Party {
                id: "o-fakeorg000".into(),
                kind: PartyType::Organization,
            },
            Party {
                id: target.into(),
                kind,
            },
        ],
        state: HandshakeState::Open,
        requested_time: Some(now),
        expiration_time: Some(now + chrono::Duration::days(15)),
        action: HandshakeAction::Invite,
        resources: vec![],
    }
}
