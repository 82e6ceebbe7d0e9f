//! Unit tests of onboarding's progress rules (`onboarding_progress.rs`).
use super::*;
use crate::domain::{AcceptRole, ParentId};

fn spec(role: bool) -> OnboardingSpec {
    OnboardingSpec {
        destination: ParentId::parse("r-abcd").unwrap(),
        accept_role: role.then(|| AcceptRole::parse("Role", "111122223333").unwrap()),
        external_id: None,
        on_accept_failure: OnAcceptFailure::LeaveOpen,
        leave_previous_organization: false,
    }
}

fn error() -> StepError {
    StepError {
        aws_error: "AccessDenied".into(),
        reason: None,
        message: "no".into(),
    }
}

#[test]
fn with_a_role_it_accepts_then_places_then_tags() {
    let now = Utc::now();
    let mut o = Onboarding::new(spec(true));
    assert_eq!(o.next(HandshakeState::Open), Next::Run(Step::Accept));
    o.attempt(Step::Accept, now);
    assert_eq!(o.status, OnboardingStatus::Accepting);
    o.succeeded(now);
    assert_eq!(o.status, OnboardingStatus::Placing);
    // The handshake is recorded ACCEPTED with the acceptance.
    assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Place));
    o.attempt(Step::Place, now);
    o.succeeded(now);
    assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Tag));
    o.attempt(Step::Tag, now);
    o.succeeded(now);
    assert_eq!(o.status, OnboardingStatus::Complete);
    assert_eq!(o.next(HandshakeState::Accepted), Next::Wait);
    let steps: Vec<Step> = o.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::Accept, Step::Place, Step::Tag]);
}

#[test]
fn without_a_role_it_waits_for_a_person_to_accept() {
    let o = Onboarding::new(spec(false));
    assert_eq!(o.next(HandshakeState::Open), Next::Wait);
    assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Place));
}

#[test]
fn retries_count_attempts_on_one_step_record() {
    let now = Utc::now();
    let mut o = Onboarding::new(spec(false));
    o.attempt(Step::Place, now);
    o.will_retry(error(), now);
    o.attempt(Step::Place, now);
    assert_eq!(o.attempts(), 2);
    assert_eq!(o.steps.len(), 1);
    assert!(o.steps[0].error.is_some());
    o.succeeded(now);
    assert_eq!(o.steps[0].error, None);
    assert_eq!(o.retry_at, None);
}

#[test]
fn a_failed_acceptance_leaves_the_rest_to_a_person_who_accepts() {
    let now = Utc::now();
    let mut o = Onboarding::new(spec(true));
    o.attempt(Step::Accept, now);
    o.failed(error(), now);
    assert_eq!(o.status, OnboardingStatus::Failed);
    assert!(!o.cancels_on_failure(), "LEAVE_OPEN");
    assert_eq!(o.next(HandshakeState::Open), Next::Wait);
    assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Place));
    assert!(!o.is_done(HandshakeState::Accepted), "placement goes on");
    assert_eq!(o.next(HandshakeState::Expired), Next::Wait, "FAILED stays");
    assert!(o.is_done(HandshakeState::Expired));
}

#[test]
fn an_invitation_that_ends_otherwise_makes_it_not_applicable() {
    let o = Onboarding::new(spec(true));
    for state in [
        HandshakeState::Declined,
        HandshakeState::Canceled,
        HandshakeState::Expired,
    ] {
        assert_eq!(o.next(state), Next::NotApplicable);
    }
}

#[test]
fn a_step_found_done_by_the_next_leader_is_closed_when_the_next_begins() {
    let now = Utc::now();
    let mut o = Onboarding::new(spec(true));
    o.attempt(Step::Accept, now);
    o.will_retry(error(), now);
    // The leader stopped here; AWS shows the handshake ACCEPTED.
    assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Place));
    let later = now + chrono::Duration::seconds(5);
    o.attempt(Step::Place, later);
    let accept = &o.steps[0];
    assert_eq!(accept.end_time, Some(later));
    assert_eq!(accept.error, None, "found done: it succeeded");
    o.succeeded(later);
    o.attempt(Step::Tag, later);
    o.succeeded(later);
    assert_eq!(o.status, OnboardingStatus::Complete);
    assert!(
        o.steps.iter().all(|s| s.end_time.is_some()),
        "{:?}",
        o.steps
    );
}

#[test]
fn an_onboarding_made_moot_ends_its_open_step() {
    let now = Utc::now();
    let mut o = Onboarding::new(spec(true));
    o.attempt(Step::Accept, now);
    o.will_retry(error(), now);
    assert_eq!(o.next(HandshakeState::Declined), Next::NotApplicable);
    o.not_applicable(now);
    assert_eq!(o.status, OnboardingStatus::NotApplicable);
    assert_eq!(o.steps[0].end_time, Some(now));
    assert!(o.steps[0].error.is_some(), "it did not succeed");
    assert_eq!(o.retry_at, None);
}

#[test]
fn a_status_from_a_later_release_is_left_alone() {
    let mut o = Onboarding::new(spec(true));
    o.status = OnboardingStatus::Unspecified;
    for state in [
        HandshakeState::Open,
        HandshakeState::Accepted,
        HandshakeState::Declined,
        HandshakeState::Unspecified,
    ] {
        assert_eq!(o.next(state), Next::Wait, "{state:?}");
        assert!(!o.is_done(state), "not final for this release");
    }
}

fn leaving_spec() -> OnboardingSpec {
    OnboardingSpec {
        leave_previous_organization: true,
        on_accept_failure: OnAcceptFailure::Cancel,
        ..spec(true)
    }
}

fn in_another_organization() -> StepError {
    StepError {
        aws_error: "HandshakeConstraintViolationException".into(),
        reason: Some(ALREADY_IN_AN_ORGANIZATION.into()),
        message: "member of another organization".into(),
    }
}

#[test]
fn an_acceptance_refused_for_another_organization_leaves_then_accepts_again() {
    let now = Utc::now();
    let mut o = Onboarding::new(leaving_spec());
    o.attempt(Step::Accept, now);
    o.must_leave(in_another_organization(), now);
    assert_eq!(o.status, OnboardingStatus::Accepting);
    assert_eq!(o.next(HandshakeState::Open), Next::Run(Step::Leave));
    o.attempt(Step::Leave, now);
    // A leader lost mid-leave: the next one leaves again (idempotent).
    assert_eq!(o.next(HandshakeState::Open), Next::Run(Step::Leave));
    o.attempt(Step::Leave, now);
    assert_eq!(o.attempts(), 2);
    o.succeeded(now);
    assert!(o.has_left());
    assert_eq!(o.next(HandshakeState::Open), Next::Run(Step::Accept));
    o.attempt(Step::Accept, now);
    o.succeeded(now);
    let steps: Vec<Step> = o.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::Accept, Step::Leave, Step::Accept]);
    assert_eq!(o.status, OnboardingStatus::Placing);
}

#[test]
fn without_the_flag_a_refusal_for_another_organization_is_no_reason_to_leave() {
    let now = Utc::now();
    let mut o = Onboarding::new(spec(true));
    o.attempt(Step::Accept, now);
    o.must_leave(in_another_organization(), now);
    assert_eq!(o.next(HandshakeState::Open), Next::Run(Step::Accept));
}

#[test]
fn a_refused_leave_follows_on_accept_failure() {
    let now = Utc::now();
    let mut o = Onboarding::new(leaving_spec());
    o.attempt(Step::Accept, now);
    o.must_leave(in_another_organization(), now);
    o.attempt(Step::Leave, now);
    o.failed(error(), now);
    assert_eq!(o.status, OnboardingStatus::Failed);
    assert!(o.cancels_on_failure());
}

#[test]
fn a_leave_before_the_invitation_is_its_first_step_and_ends_once_it_exists() {
    let now = Utc::now();
    let later = now + chrono::Duration::seconds(5);
    let first = StepRecord::leave_attempt(None, now);
    assert_eq!((first.step, first.attempts), (Step::Leave, 1));
    // Not ended (a crash after it began): the next attempt is the same record.
    let again = StepRecord::leave_attempt(Some(first), later);
    assert_eq!((again.attempts, again.start_time), (2, now));
    let o = Onboarding::after_leave(leaving_spec(), Some(again), later);
    assert_eq!(o.status, OnboardingStatus::Pending);
    assert_eq!(o.steps.len(), 1);
    assert_eq!(o.steps[0].end_time, Some(later), "found done");
    assert_eq!(o.next(HandshakeState::Open), Next::Run(Step::Accept));
    // One that succeeded is not reopened: a new leave is a new record.
    let mut done = StepRecord::begun(Step::Leave, now);
    done.end(now);
    assert_eq!(
        StepRecord::leave_attempt(Some(done), later).start_time,
        later
    );
}
