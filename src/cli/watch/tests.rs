//! Tests of `cli::watch`.
use super::*;

use pb::{HandshakeState as S, OnboardingStatus as O};

fn handshake(state: S, onboarding: Option<O>) -> pb::Handshake {
    pb::Handshake {
        state: state as i32,
        onboarding: onboarding.map(|o| pb::Onboarding {
            status: o as i32,
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn without_an_onboarding_each_terminal_state_has_its_own_exit_code() {
    let code = |s| exit_code(&handshake(s, None));
    assert_eq!(code(S::Accepted), Some(0));
    assert_eq!(code(S::Declined), Some(exit::DECLINED));
    assert_eq!(code(S::Canceled), Some(exit::CANCELED));
    assert_eq!(code(S::Expired), Some(exit::EXPIRED));
    assert_eq!(code(S::Open), None);
    assert_eq!(code(S::Requested), None);
    assert_eq!(code(S::Unspecified), None);
}

#[test]
fn with_an_onboarding_the_wait_ends_with_it() {
    let states = [
        S::Requested,
        S::Open,
        S::Accepted,
        S::Declined,
        S::Canceled,
        S::Expired,
    ];
    for state in states {
        let code = |o| exit_code(&handshake(state, Some(o)));
        for running in [O::Pending, O::Accepting, O::Placing, O::Tagging] {
            assert_eq!(code(running), None, "{state:?} {running:?}");
        }
        assert_eq!(code(O::Complete), Some(exit::SUCCESS), "{state:?}");
        // Even while the invitation stays open (LEAVE_OPEN), or was
        // cancelled for it (CANCEL).
        assert_eq!(code(O::Failed), Some(exit::ONBOARDING_FAILED), "{state:?}");
        // Not applicable: the terminal state's code, as without one.
        assert_eq!(
            code(O::NotApplicable),
            exit_code(&handshake(state, None)),
            "{state:?}"
        );
    }
    assert_eq!(exit::ONBOARDING_FAILED, 6);
    // A status this build does not know: the state decides.
    let mut h = handshake(S::Declined, Some(O::Pending));
    h.onboarding.as_mut().unwrap().status = 99;
    assert_eq!(exit_code(&h), Some(exit::DECLINED));
}

#[test]
fn a_change_of_onboarding_status_alone_is_news() {
    let accepting = handshake(S::Accepted, Some(O::Accepting));
    let placing = handshake(S::Accepted, Some(O::Placing));
    assert_ne!(Seen::of(&accepting), Seen::of(&placing));
    assert_eq!(Seen::of(&placing), Seen::of(&placing.clone()));
    assert_eq!(
        Seen::of(&placing).describe("h-1"),
        "h-1 ACCEPTED, onboarding PLACING"
    );
    assert_eq!(
        Seen::of(&handshake(S::Open, None)).describe("h-1"),
        "h-1 OPEN"
    );
}

#[tokio::test(start_paused = true)]
async fn unavailable_is_retried_five_times_in_a_row_and_a_message_starts_over() {
    let conn = super::super::conn::unconnected("http://127.0.0.1:9");
    let mut reconnects = Reconnects::new(&conn, "WatchHandshake");
    let restarting = || tonic::Status::unavailable("server shutting down");
    let ended = || CliError::Other("ended".into());
    for _ in 0..MAX_RECONNECTS {
        reconnects.after_status(restarting()).await.unwrap();
    }
    assert!(reconnects.after_status(restarting()).await.is_err());
    assert!(reconnects.after_end(ended).await.is_err());

    reconnects.reset();
    reconnects.after_end(ended).await.unwrap();
    reconnects.after_status(restarting()).await.unwrap();
    assert!(
        reconnects
            .after_status(tonic::Status::permission_denied("reader"))
            .await
            .is_err(),
        "only UNAVAILABLE is worth a reconnection"
    );
}
