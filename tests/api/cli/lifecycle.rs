//! An invitation's whole life through the client: onboarding, an open
//! invitation reused, the quota, renewal.
use std::{process::Stdio, time::Duration};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::*;
use crate::helpers::*;

/// Each JSON document a `--wait` or `watch` printed, in order.
fn documents(stdout: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("JSON documents on stdout ({e}):\n{stdout}"))
}

/// `(State, Onboarding.Status)` of each document's handshake.
fn progress(docs: &[Value]) -> Vec<(String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
    docs.iter()
        .map(|d| {
            let h = &d["Handshake"];
            (text(&h["State"]), text(&h["Onboarding"]["Status"]))
        })
        .collect()
}

#[tokio::test]
async fn wait_follows_onboarding_to_complete_and_the_account_lands_in_its_ou() {
    let app = spawn_app().await;
    let account = random_account_id();
    app.aws
        .create_role(&account, "OrgInvitesAccept", None)
        .await;
    let ou = app.aws.create_ou("Workloads").await;
    let target = format!("Id={account},Type=ACCOUNT");
    let run = cli(
        &app,
        &[
            "invite",
            "--target",
            &target,
            "--destination-parent-id",
            &ou,
            "--accept-role",
            "OrgInvitesAccept",
            "--wait",
        ],
    )
    .await;
    let out = ok(run);
    let docs = documents(&out);
    let seen = progress(&docs);

    // OPEN, then ACCEPTED, then the onboarding statuses, then COMPLETE: in
    // this order, each printed once. Only what changed between the invite's
    // answer and the watch's start may be folded into one message.
    let order = [
        ("OPEN", "PENDING"),
        ("OPEN", "ACCEPTING"),
        ("ACCEPTED", "ACCEPTING"),
        ("ACCEPTED", "PLACING"),
        ("ACCEPTED", "TAGGING"),
        ("ACCEPTED", "COMPLETE"),
    ];
    let rank = |(s, o): &(String, String)| {
        order
            .iter()
            .position(|(ws, wo)| s == ws && o == wo)
            .unwrap_or_else(|| panic!("unexpected {s}/{o} in {seen:?}\n{out}"))
    };
    let ranks: Vec<usize> = seen.iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(ranks.first(), Some(&0), "the invite's answer: {seen:?}");
    assert_eq!(ranks.last(), Some(&5), "{seen:?}");
    for status in ["PLACING", "TAGGING"] {
        assert!(
            seen.iter().any(|(s, o)| s == "ACCEPTED" && o == status),
            "{status} in {seen:?}"
        );
    }
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["Kind"].as_str()).collect();
    assert!(kinds.contains(&"STATE_CHANGE"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"ONBOARDING"), "{kinds:?}");

    let last = &docs.last().unwrap()["Handshake"]["Onboarding"];
    assert_eq!(last["Spec"]["DestinationParentId"], ou.as_str(), "{last}");
    assert_eq!(
        last["Spec"]["AcceptRole"],
        format!("arn:aws:iam::{account}:role/OrgInvitesAccept").as_str()
    );
    assert_eq!(last["Spec"]["OnAcceptFailure"], "LEAVE_OPEN", "{last}");
    assert_eq!(last["ParentId"], ou.as_str(), "{last}");
    let steps = last["Steps"].as_array().expect("Steps");
    let names: Vec<&str> = steps.iter().map(|s| s["Step"].as_str().unwrap()).collect();
    assert_eq!(names, ["ACCEPT", "PLACE", "TAG"], "{last}");
    assert!(
        steps
            .iter()
            .all(|s| s["EndTimestamp"].is_f64() && s.get("Error").is_none()),
        "{last}"
    );
    assert_eq!(
        app.aws.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );

    // get shows the same object, in every format.
    let id = docs[0]["Handshake"]["Id"].as_str().unwrap();
    let table = ok(cli(&app, &["get", id, "--output", "table"]).await);
    assert!(
        table.contains("Onboarding") && table.contains("COMPLETE"),
        "{table}"
    );
    let width = table.lines().next().unwrap().len();
    assert!(table.lines().all(|l| l.len() == width), "{table}");
    let text = ok(cli(&app, &["get", id, "--output", "text"]).await);
    assert!(
        text.contains(&format!("ONBOARDING\t{ou}\tCOMPLETE\n")),
        "{text}"
    );
    // Settled: watch prints it once and exits 0.
    let run = cli(
        &app,
        &[
            "watch",
            id,
            "--query",
            "Handshake.Onboarding.Status",
            "--output",
            "text",
        ],
    )
    .await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "COMPLETE\n"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn wait_exits_6_when_onboarding_fails_whether_the_invitation_stays_open_or_not() {
    let app = spawn_app().await;
    let root = app.aws.root_id().await;
    for (policy, state) in [(None, "OPEN"), (Some("cancel"), "CANCELED")] {
        let account = random_account_id();
        let target = format!("Id={account},Type=ACCOUNT");
        let mut args = vec![
            "invite",
            "--target",
            &target,
            "--destination-parent-id",
            &root,
            "--accept-role",
            "NoSuchRole",
            "--wait",
        ];
        if let Some(p) = policy {
            args.extend(["--on-accept-failure", p]);
        }
        let run = cli(&app, &args).await;
        assert_eq!(
            run.code, 6,
            "{policy:?}\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        let docs = documents(&run.stdout);
        assert_eq!(
            progress(&docs).last().unwrap(),
            &(state.to_string(), "FAILED".to_string()),
            "{policy:?}: {:?}",
            progress(&docs)
        );
        let onboarding = &docs.last().unwrap()["Handshake"]["Onboarding"];
        let accept = &onboarding["Steps"][0];
        assert_eq!(accept["Step"], "ACCEPT", "{onboarding}");
        let error = accept["Error"]["AwsError"].as_str().unwrap_or_default();
        assert!(error.starts_with("AccessDenied"), "{onboarding}");

        // watch says the same of it at once, even while it is still OPEN
        // (where the server's stream would go on).
        let id = docs[0]["Handshake"]["Id"].as_str().unwrap();
        let run = cli(
            &app,
            &[
                "watch",
                id,
                "--query",
                "Handshake.State",
                "--output",
                "text",
            ],
        )
        .await;
        assert_eq!(run.code, 6, "{policy:?}: {}", run.stderr);
        assert_eq!(run.stdout, format!("{state}\n"), "{policy:?}");
    }
}

#[tokio::test]
async fn if_open_exists_return_existing_prints_the_open_invitation_and_sends_nothing() {
    let app = spawn_app().await;
    let account = random_account_id();
    let target = format!("Id={account},Type=ACCOUNT");
    let invite = |how: &'static str| {
        let target = target.clone();
        let app = &app;
        async move {
            let args = [
                "invite",
                "--target",
                &target,
                "--if-open-exists",
                how,
                "--query",
                "Handshake.Id",
                "--output",
                "text",
            ];
            ok(cli(app, &args).await).trim().to_string()
        }
    };
    let first = invite("return-existing").await;
    assert!(first.starts_with("h-"), "{first}");
    let second = invite("return-existing").await;
    assert_eq!(second, first, "the same open invitation");
    // Upper case, through --cli-input-json, as the skeleton spells it.
    let input = format!(
        r#"{{"Target": {{"Id": "{account}", "Type": "ACCOUNT"}}, "IfOpenExists": "RETURN_EXISTING"}}"#
    );
    let third = ok(cli(
        &app,
        &[
            "invite",
            "--cli-input-json",
            &input,
            "--query",
            "Handshake.Id",
        ],
    )
    .await);
    assert_eq!(third.trim(), format!("\"{first}\""));
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);

    // fail (the default) is AWS's DuplicateHandshake, nothing sent.
    let run = cli(
        &app,
        &["invite", "--target", &target, "--if-open-exists", "fail"],
    )
    .await;
    assert_eq!(run.code, 254, "{}", run.stderr);
    assert!(
        run.stderr.contains("gRPC status: ALREADY_EXISTS"),
        "{}",
        run.stderr
    );
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);
}

#[tokio::test]
async fn quota_shows_pending_invitations_and_member_accounts_as_aws_counts_them() {
    let app = spawn_app().await;
    invite_id(&app, &random_account_id()).await;
    let members = app
        .aws
        .management_client()
        .list_accounts()
        .send()
        .await
        .unwrap()
        .accounts()
        .len();
    // The polling replica counts the members after its first sweep.
    let quota = eventually(Duration::from_secs(30), "MemberAccounts", || async {
        let out = ok(cli(&app, &["quota"]).await);
        let v: Value = serde_json::from_str(&out).expect("JSON on stdout");
        if v["Quota"].get("MemberAccounts").is_some() {
            return Ok(v);
        }
        assert!(
            v["Quota"].get("MemberAccountsTimestamp").is_none(),
            "no time before a count: {out}"
        );
        Err(out)
    })
    .await;
    let q = &quota["Quota"];
    assert_eq!(q["MemberAccounts"], members, "{quota}");
    assert_eq!(q["PendingInvitations"], 1, "{quota}");
    assert_eq!(q["Used"], 1, "{quota}");
    assert_eq!(q["Remaining"], q["Limit"].as_i64().unwrap() - 1, "{quota}");
    assert_eq!(q["WindowSeconds"], 86400, "{quota}");
    assert!(q["NextSlotTimestamp"].is_f64(), "{quota}");
    assert!(q["MemberAccountsTimestamp"].is_f64(), "{quota}");

    let text = ok(cli(
        &app,
        &[
            "quota",
            "--query",
            "[Quota.PendingInvitations, Quota.MemberAccounts]",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(text, format!("1\t{members}\n"));
    let table = ok(cli(&app, &["quota", "--output", "table"]).await);
    assert!(table.contains("GetInvitationQuota"), "{table}");
    assert!(table.contains("PendingInvitations"), "{table}");
    let skeleton = ok(cli(&app, &["quota", "--generate-cli-skeleton", "output"]).await);
    let v: Value = serde_json::from_str(&skeleton).unwrap();
    assert!(
        v["Quota"].get("MemberAccountsTimestamp").is_some(),
        "{skeleton}"
    );
}

#[tokio::test]
async fn watch_follows_an_expired_invitation_to_its_renewal_and_exits_5_when_that_expires() {
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(fakecloud),
            ..AppOptions::default()
        },
    )
    .await;
    let account = random_account_id();
    let target = format!("Id={account},Type=ACCOUNT");
    let first = ok(cli(
        &app,
        &[
            "invite",
            "--target",
            &target,
            "--max-renewals",
            "1",
            "--query",
            "Handshake.Id",
            "--output",
            "text",
        ],
    )
    .await)
    .trim()
    .to_string();

    // One line per message: id, state, kind, the renewal's link.
    let query = "[Handshake.Id, Handshake.State, Kind, Handshake.Renewal.RenewedTo]";
    let mut child = command(
        &app,
        &["watch", &first, "--query", query, "--output", "text"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let stderr = child.stderr.take().unwrap();
    let stderr = tokio::spawn(async move {
        let mut s = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut BufReader::new(stderr), &mut s)
            .await
            .unwrap();
        s
    });
    let mut seen = vec![next_line(&mut lines).await];
    assert_eq!(seen[0], format!("{first}\tOPEN\tNone\tNone"));

    // The first expires and is renewed; the watch goes on with the renewal.
    clock.set("+16d");
    let renewal = loop {
        let line = next_line(&mut lines).await;
        seen.push(line.clone());
        if !line.starts_with(&first) {
            break line.split('\t').next().unwrap().to_string();
        }
    };
    assert_ne!(renewal, first);
    assert_eq!(
        seen.last().unwrap(),
        &format!("{renewal}\tOPEN\tNone\tNone")
    );

    // The renewal expires too, with no renewal left.
    clock.set("+32d");
    while let Some(line) = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("a line or the end within 30 s")
        .unwrap()
    {
        seen.push(line);
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits once the renewal expired")
        .unwrap();
    let stderr = stderr.await.unwrap();
    assert_eq!(status.code(), Some(5), "{seen:#?}\n{stderr}");
    let of = |id: &str| -> Vec<String> {
        seen.iter()
            .filter(|l| l.starts_with(&format!("{id}\t")))
            .map(|l| l.split_once('\t').unwrap().1.to_string())
            .collect()
    };
    let old = of(&first);
    assert_eq!(old.first().unwrap(), "OPEN\tNone\tNone", "{seen:#?}");
    assert_eq!(
        old.last().unwrap(),
        &format!("EXPIRED\tRENEWAL\t{renewal}"),
        "{seen:#?}"
    );
    let new = of(&renewal);
    assert_eq!(new.first().unwrap(), "OPEN\tNone\tNone", "{seen:#?}");
    assert_eq!(
        new.last().unwrap(),
        "EXPIRED\tSTATE_CHANGE\tNone",
        "{seen:#?}"
    );
    assert_eq!(old.len() + new.len(), seen.len(), "{seen:#?}");
    assert!(
        stderr.contains(&format!(
            "note: {first} expired and was renewed as {renewal}; following it"
        )),
        "{stderr}"
    );
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 2);
}
