//! Failover: how long after a replica dies its work is picked up.
//!
//! With real `org-invites serve` processes on one database and one
//! fakecloud, repeated `BENCH_FAILOVER_ROUNDS` times (10):
//! - **retry after kill -9**: replica A's InviteAccountToOrganization is
//!   caught in flight (alternately held before AWS and swallowed after AWS
//!   made the handshake), A is killed with -9, and the same request_id goes
//!   to replica B: the time from the kill to B's answer.
//! - **takeover after TERM / after KILL**: the polling replica is stopped,
//!   and the time from the signal to the other replica's first sweep (its
//!   "first sweep as the poller" log line, timed as it arrives) is taken;
//!   the stopped replica is started again before the next round.
//!
//! Needs `DATABASE_URL` and the fakecloud binary (`scripts/bench.sh
//! failover` provides both); `ORG_INVITES_BIN` (default: the release build).
mod common;
// Each bench uses a few of the helpers, not every one re-exported.
#[allow(dead_code, unused_imports)]
#[path = "../tests/api/helpers/mod.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../tests/api/logs.rs"]
mod logs;
#[allow(dead_code)]
#[path = "../tests/api/process.rs"]
mod process;

use std::time::Duration;

use helpers::{invite_account, random_account_id, Fakecloud};
use process::{poller_of, retry, serving, AwsGate, Catch, ReplicaSpec};
use tokio::time::Instant;

fn main() {
    let rounds: usize = std::env::var("BENCH_FAILOVER_ROUNDS").ok().map_or(10, |v| {
        v.parse().expect("BENCH_FAILOVER_ROUNDS is a number")
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fakecloud = Fakecloud::start().await;
        let db = common::fresh_database().await;
        let spec = ReplicaSpec {
            bin: std::env::var("ORG_INVITES_BIN")
                .unwrap_or_else(|_| "target/release/org-invites".into()),
            database_url: format!(
                "postgres://{}@{}:{}/{}",
                db.get_username(),
                db.get_host(),
                db.get_port(),
                db.get_database().unwrap()
            ),
            aws_endpoint: fakecloud.endpoint.clone(),
            args: Vec::new(),
            env: Vec::new(),
        };
        let retries = retry_after_kill(&fakecloud, &spec, rounds).await;
        let (term, kill) = takeovers(&spec, rounds).await;
        println!("\n| {rounds} rounds | median | worst |\n|---|---|---|");
        for (what, mut times) in [
            ("retry after kill -9, answered", retries),
            ("takeover after TERM (signal → first sweep)", term),
            ("takeover after KILL (signal → first sweep)", kill),
        ] {
            times.sort();
            let median = times[times.len() / 2];
            let worst = times[times.len() - 1];
            println!("| {what} | {median:.2?} | {worst:.2?} |");
        }
        common::drop_database(&db).await;
    });
}

/// Kill -9 of the replica whose call is in flight, then the retry on B.
async fn retry_after_kill(
    fakecloud: &Fakecloud,
    spec: &ReplicaSpec,
    rounds: usize,
) -> Vec<Duration> {
    let gate = AwsGate::start(&fakecloud.endpoint).await;
    let through_gate = ReplicaSpec {
        aws_endpoint: gate.endpoint.clone(),
        ..spec.clone()
    };
    let b = spec.start("replica-b").await;
    let mut to_b = serving(&b).await;
    let mut times = Vec::new();
    for round in 0..rounds {
        let a = through_gate.start(&format!("replica-a{round}")).await;
        let mut to_a = serving(&a).await;
        let account = random_account_id();
        let req = org_invites::proto::v1::InviteAccountRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            ..invite_account(&account)
        };
        let catch = if round % 2 == 0 {
            Catch::Swallow
        } else {
            Catch::Hold
        };
        gate.arm(catch);
        let call = tokio::spawn({
            let req = req.clone();
            async move { to_a.invite_account(req).await }
        });
        gate.caught().await;
        if catch == Catch::Swallow {
            while fakecloud.handshakes_for(&account).await.is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let killed = a.signal("KILL");
        let (h, _) = retry(&mut to_b, &req).await;
        times.push(killed.elapsed());
        let _ = call.await;
        a.exited().await;
        let made = fakecloud.handshakes_for(&account).await;
        assert_eq!(made.len(), 1, "round {round}: one invitation");
        assert_eq!(made[0].id(), Some(h.id.as_str()));
        eprintln!("retry after kill ({catch:?}): {:.2?}", times[round]);
    }
    times
}

/// Signal to first sweep on the other replica, for TERM and for KILL.
async fn takeovers(spec: &ReplicaSpec, rounds: usize) -> (Vec<Duration>, Vec<Duration>) {
    let started = Instant::now();
    let mut pair = poller_of(
        [spec.start("replica-x").await, spec.start("replica-y").await],
        started,
    )
    .await;
    pair.1
        .wait_for_log("this one stands by", started, Duration::from_secs(30))
        .await;
    let (mut term, mut kill) = (Vec::new(), Vec::new());
    for round in 0..2 * rounds {
        let (leader, other) = pair;
        let signal = if round % 2 == 0 { "TERM" } else { "KILL" };
        let name = leader.name.clone();
        let sent = leader.signal(signal);
        let (swept, _) = other
            .wait_for_log("first sweep as the poller", sent, Duration::from_secs(60))
            .await;
        let took = swept - sent;
        eprintln!("takeover after {signal}: {took:.2?}");
        if signal == "TERM" {
            &mut term
        } else {
            &mut kill
        }
        .push(took);
        leader.exited().await;
        let restarted = Instant::now();
        let back = spec.start(&name).await;
        serving(&back).await;
        // Steady state before the next signal: the restarted replica has
        // found the lock taken and waits its turn, as a long-running one does.
        back.wait_for_log("this one stands by", restarted, Duration::from_secs(30))
            .await;
        pair = (other, back);
    }
    (term, kill)
}
