//! Tests of `client::watch`.
use super::*;

use pb::{HandshakeState as S, OnboardingStatus as O};

/// The exit code once a wait on `h` is over; `None` while it goes on.
fn exit_code(h: &pb::Handshake) -> Option<u8> {
    match after(h) {
        After::Wait => None,
        After::Exit(code) => Some(code),
        After::Follow(id) => panic!("follows {id}"),
    }
}

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

fn renewing(state: S, renewal: pb::Renewal) -> pb::Handshake {
    pb::Handshake {
        id: "h-old00000".into(),
        renewal: Some(renewal),
        ..handshake(state, None)
    }
}

fn renewal(left: i32, to: &str, reason: &str) -> pb::Renewal {
    pb::Renewal {
        renewals_left: left,
        renewed_to: to.into(),
        reason: reason.into(),
        ..Default::default()
    }
}

#[test]
fn an_expired_handshake_renewed_as_another_is_followed() {
    let renewed = renewing(S::Expired, renewal(1, "h-new00000", "expired; sent again"));
    assert_eq!(after(&renewed), After::Follow("h-new00000".into()));
    // Even with renewals left after it (the chain goes on from the new one).
    let renewed = renewing(S::Expired, renewal(3, "h-new00000", ""));
    assert_eq!(after(&renewed), After::Follow("h-new00000".into()));
    // One that names itself is not followed round in a circle.
    let circle = renewing(S::Expired, renewal(1, "h-old00000", ""));
    assert_eq!(after(&circle), After::Exit(exit::EXPIRED));
}

#[test]
fn an_expired_handshake_whose_renewal_is_to_come_is_waited_on() {
    // Expired, the renewal pass has not run yet.
    assert_eq!(
        after(&renewing(S::Expired, renewal(1, "", ""))),
        After::Wait
    );
    // Waiting for a free slot in the daily quota.
    let mut waiting = renewal(1, "", "the daily invitation quota is used up");
    waiting.waiting_until = Some(prost_types::Timestamp {
        seconds: 1,
        nanos: 0,
    });
    assert_eq!(after(&renewing(S::Expired, waiting)), After::Wait);
    assert_eq!(
        Seen::of(&renewing(S::Expired, renewal(1, "", ""))).describe("h-1"),
        "h-1 EXPIRED, renewal to come"
    );
}

#[test]
fn an_expiry_without_a_renewal_ends_with_5() {
    let expired = |r| exit_code(&renewing(S::Expired, r));
    // The last of its chain, or one the server could not send again.
    assert_eq!(expired(renewal(0, "", "")), Some(exit::EXPIRED));
    let given_up = pb::Renewal {
        given_up: true,
        ..renewal(1, "", "expired; could not be sent again: ...")
    };
    assert_eq!(expired(given_up), Some(exit::EXPIRED));
    // A reason alone (the server says why it waits, say) is no verdict.
    let explained = renewal(1, "", "expired; sending again");
    assert_eq!(after(&renewing(S::Expired, explained)), After::Wait);
    // A renewal changes nothing for the other ends, nor while it is open.
    for (state, code) in [
        (S::Accepted, Some(exit::SUCCESS)),
        (S::Declined, Some(exit::DECLINED)),
        (S::Canceled, Some(exit::CANCELED)),
        (S::Open, None),
    ] {
        assert_eq!(exit_code(&renewing(state, renewal(2, "", ""))), code);
    }
    // A renewed one whose onboarding is still settling waits for it first.
    let mut h = renewing(S::Expired, renewal(1, "h-new00000", ""));
    h.onboarding = Some(pb::Onboarding {
        status: O::Pending as i32,
        ..Default::default()
    });
    assert_eq!(after(&h), After::Wait);
    h.onboarding.as_mut().unwrap().status = O::NotApplicable as i32;
    assert_eq!(after(&h), After::Follow("h-new00000".into()));
}

#[test]
fn a_warning_or_a_renewal_alone_is_news() {
    let open = handshake(S::Open, None);
    let mut warned = open.clone();
    warned.expiry_warning_time = Some(prost_types::Timestamp::default());
    assert_ne!(Seen::of(&open), Seen::of(&warned));
    assert_eq!(Seen::of(&warned).describe("h-1"), "h-1 OPEN, expiring soon");
    let expired = renewing(S::Expired, renewal(1, "", ""));
    let renewed = renewing(S::Expired, renewal(1, "h-new00000", "sent again"));
    assert_ne!(Seen::of(&expired), Seen::of(&renewed));
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
