//! Rows as a newer release would store them, read by this one on two
//! replicas: unknown fields are ignored, unknown enum values show as
//! UNSPECIFIED, and a row that cannot be read at all costs only itself
//! (skipped by lists and streams, counted, INTERNAL on its own Get).
use std::collections::HashSet;

use org_invites::proto::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::helpers::*;

/// Every handshake ListHandshakes shows, a page of one at a time.
async fn list_all(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    let mut page_token = String::new();
    for _ in 0..100 {
        let page = app
            .client
            .clone()
            .list_handshakes(pb::ListHandshakesRequest {
                page_size: 1,
                page_token,
                ..Default::default()
            })
            .await
            .expect("ListHandshakes works")
            .into_inner();
        ids.extend(page.handshakes.into_iter().map(|h| h.id));
        if page.next_page_token.is_empty() {
            return ids;
        }
        page_token = page.next_page_token;
    }
    panic!("ListHandshakes never ended: {ids:?}");
}

/// What a newer release writes: a field this one does not know in every
/// JSON column of `id`'s rows, and enum values no release has.
async fn store_as_a_newer_release(db: &PgPool, id: &str, request_id: &str) {
    let added = r#"{"added_by_a_later_release": {"x": [1]}}"#;
    sqlx::query(
        "UPDATE handshakes SET
             parties = (SELECT jsonb_agg(p || $2::jsonb) FROM jsonb_array_elements(parties) p),
             resources = (SELECT coalesce(jsonb_agg(r || $2::jsonb), '[]')
                          FROM jsonb_array_elements(resources) r),
             tags = (SELECT jsonb_agg(t || $2::jsonb) FROM jsonb_array_elements(tags) t),
             onboarding = jsonb_set(onboarding || $2::jsonb, '{status}', '\"DANCING\"'),
             renewal = renewal || $2::jsonb
         WHERE id = $1",
    )
    .bind(id)
    .bind(added)
    .execute(db)
    .await
    .unwrap();
    // The organization party's kind, one no release has.
    sqlx::query(
        "UPDATE handshakes SET parties = jsonb_set(parties, '{0,kind}', '\"Galaxy\"')
         WHERE id = $1 AND parties->0->>'kind' = 'Organization'",
    )
    .bind(id)
    .execute(db)
    .await
    .unwrap();
    let done = sqlx::query(
        "UPDATE invite_requests SET
             tags = (SELECT jsonb_agg(t || $2::jsonb) FROM jsonb_array_elements(tags) t),
             onboarding = onboarding || $2::jsonb,
             renewal = renewal || $2::jsonb
         WHERE request_id = $1",
    )
    .bind(request_id)
    .bind(added)
    .execute(db)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 1, "the intent is there");
}

/// Appends an event as a later release would, and announces it as every
/// writer does; returns its event id.
async fn append_event(db: &PgPool, id: &str, kind: &str, snapshot: &str) -> i64 {
    sqlx::query_scalar(
        "WITH e AS (
             INSERT INTO handshake_events (handshake_id, previous_state, state, version, snapshot, kind)
             SELECT id, state, state, version, $3::jsonb, $2 FROM handshakes WHERE id = $1
             RETURNING event_id)
         SELECT e.event_id FROM e, LATERAL pg_notify('org_invites_events', e.event_id::text)",
    )
    .bind(id)
    .bind(kind)
    .bind(snapshot)
    .fetch_one(db)
    .await
    .unwrap()
}

/// The events of `stream` up to and including the one where `until` holds.
async fn events_until(
    stream: &mut tonic::Streaming<pb::HandshakeEvent>,
    until: impl Fn(&pb::HandshakeEvent) -> bool,
) -> Vec<pb::HandshakeEvent> {
    let mut seen = Vec::new();
    loop {
        let e = next_event(stream).await.expect("the stream goes on");
        let last = until(&e);
        seen.push(e);
        if last {
            return seen;
        }
    }
}

fn id_of(e: &pb::HandshakeEvent) -> &str {
    &e.handshake.as_ref().unwrap().id
}

fn event_ids(events: &[pb::HandshakeEvent]) -> Vec<i64> {
    events.iter().map(|e| e.event_id).collect()
}

fn in_order(events: &[pb::HandshakeEvent]) -> bool {
    events.windows(2).all(|w| w[0].event_id < w[1].event_id)
}

fn undecodable(scrape: &str, table: &str) -> f64 {
    metric_value(
        scrape,
        &format!("org_invites_undecodable_rows_total{{table=\"{table}\"}}"),
    )
    .unwrap_or_else(|| panic!("the {table} series is declared"))
}

#[tokio::test]
async fn rows_a_newer_release_stored_are_read_or_skipped_one_by_one() {
    let fakecloud = Fakecloud::start().await;
    let db = fresh_database().await;
    let replica = |name: &str| AppOptions {
        database: Some(db.clone().application_name(name)),
        fakecloud: Some(fakecloud.clone()),
        http: true,
        ..Default::default()
    };
    let a = spawn_app_with(db.clone(), replica("replica-a")).await;
    let b = spawn_app_with(db.clone(), replica("replica-b")).await;
    let root = fakecloud.root_id().await;

    // `newer` has every JSON column set: tags, onboarding (waiting for a
    // person to accept) and renewal.
    let newer_account = random_account_id();
    let newer_request = pb::InviteAccountRequest {
        tags: vec![pb::Tag {
            key: "team".into(),
            value: "core".into(),
        }],
        request_id: uuid::Uuid::new_v4().to_string(),
        onboarding: Some(pb::OnboardingSpec {
            destination_parent_id: root,
            ..Default::default()
        }),
        renewal: Some(pb::RenewalSpec { max_renewals: 1 }),
        ..invite_account(&newer_account)
    };
    let newer = a.invite(newer_request.clone()).await.unwrap();
    let damaged = a
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let plain_account = random_account_id();
    let plain = a.invite(invite_account(&plain_account)).await.unwrap();
    let mut streams = [a.watch_all().await, b.watch_all().await];

    store_as_a_newer_release(&a.db, &newer.id, &newer_request.request_id).await;
    sqlx::query("UPDATE handshakes SET parties = '\"not a list\"' WHERE id = $1")
        .bind(&damaged.id)
        .execute(&a.db)
        .await
        .unwrap();
    let snapshot: String = sqlx::query_scalar(
        "SELECT jsonb_set(snapshot || '{\"added_by_a_later_release\": 1}',
                          '{onboarding,status}', '\"DANCING\"')::text
         FROM handshake_events WHERE handshake_id = $1 ORDER BY event_id DESC LIMIT 1",
    )
    .bind(&newer.id)
    .fetch_one(&a.db)
    .await
    .unwrap();
    // A release with a new event kind widens the kinds' CHECK first.
    sqlx::query("ALTER TABLE handshake_events DROP CONSTRAINT handshake_events_kind_check")
        .execute(&a.db)
        .await
        .unwrap();
    let unreadable_event = append_event(&a.db, &damaged.id, "STATE_CHANGE", "[1, 2]").await;
    let newer_event = append_event(&a.db, &newer.id, "CAMPAIGN_STEP", &snapshot).await;
    fakecloud.accept(&plain_account, &plain.id).await;

    // Both replicas move past the unreadable event, and deliver what came
    // before and after it, in order.
    for stream in &mut streams {
        let seen = events_until(stream, |e| {
            id_of(e) == plain.id && state_of(e) == pb::HandshakeState::Accepted
        })
        .await;
        assert!(in_order(&seen), "{:?}", event_ids(&seen));
        // (A stream opened "from now" may still replay the invitations'
        // own events, committed just before it opened.)
        assert!(!event_ids(&seen).contains(&unreadable_event));
        assert!(
            seen.iter()
                .all(|e| id_of(e) != damaged.id || e.event_id < unreadable_event),
            "{seen:?}"
        );
        let from_newer = seen
            .iter()
            .find(|e| e.event_id == newer_event)
            .expect("the newer release's event is delivered");
        assert_eq!(from_newer.kind(), pb::HandshakeEventKind::Unspecified);
        let h = from_newer.handshake.as_ref().unwrap();
        assert_eq!(
            h.onboarding.as_ref().unwrap().status(),
            pb::OnboardingStatus::Unspecified
        );
        assert_eq!(h.state(), pb::HandshakeState::Open);
    }

    // The newer handshake reads, showing what it does not know as UNSPECIFIED,
    // and keeps being followed on both replicas.
    let mut watches = [a.watch(&newer.id).await, b.watch(&newer.id).await];
    for (app, watch) in [&a, &b].into_iter().zip(&mut watches) {
        let got = app
            .get_handshake(&newer.id)
            .await
            .expect("Get of the newer row works");
        let first = next_event(watch).await.expect("the current state");
        for h in [&got, first.handshake.as_ref().unwrap()] {
            assert_eq!(
                h.onboarding.as_ref().unwrap().status(),
                pb::OnboardingStatus::Unspecified
            );
            let kinds: Vec<_> = h.parties.iter().map(|p| p.r#type()).collect();
            assert!(
                kinds.contains(&pb::HandshakePartyType::Unspecified),
                "{kinds:?}"
            );
            assert!(
                kinds.contains(&pb::HandshakePartyType::Account),
                "{kinds:?}"
            );
            assert_eq!(h.tags.len(), 1);
            assert_eq!(h.renewal.as_ref().unwrap().renewals_left, 1);
        }
    }
    fakecloud.accept(&newer_account, &newer.id).await;
    for watch in &mut watches {
        let seen = events_until(watch, |e| state_of(e) == pb::HandshakeState::Accepted).await;
        assert!(in_order(&seen), "{:?}", event_ids(&seen));
    }
    for stream in &mut streams {
        let seen = events_until(stream, |e| {
            id_of(e) == newer.id && state_of(e) == pb::HandshakeState::Accepted
        })
        .await;
        assert!(in_order(&seen), "{:?}", event_ids(&seen));
    }

    // The same InviteAccount again reads the newer intent: the same handshake.
    let again = b
        .invite(newer_request)
        .await
        .expect("the retry is answered");
    assert_eq!(again.id, newer.id);

    // Only the damaged handshake is lost to this release: its Get names it,
    // and lists go past it.
    for app in [&a, &b] {
        let err = app.get_handshake(&damaged.id).await.unwrap_err();
        assert_eq!(err.code(), Code::Internal);
        assert!(err.message().contains(&damaged.id), "{}", err.message());
        assert_eq!(error_info(&err).reason, "UNREADABLE_RECORD");
        assert!(app.get_handshake(&plain.id).await.is_ok());
        let listed: HashSet<_> = list_all(app).await.into_iter().collect();
        assert_eq!(listed, HashSet::from([newer.id.clone(), plain.id.clone()]));
    }
    for app in [&a, &b] {
        let scrape = scrape(app).await;
        assert!(undecodable(&scrape, "handshake_events") >= 1.0, "{scrape}");
        assert!(undecodable(&scrape, "handshakes") >= 1.0, "{scrape}");
        assert_eq!(undecodable(&scrape, "invite_requests"), 0.0);
    }
}
