//! README command 1 (`scripts/dev.sh`) as a newcomer meets it: a port
//! already taken is named and nothing starts; a service that fails to start
//! or dies leaves no Postgres, no fakecloud and no temp dir behind.
use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::{TcpListener, TcpStream},
    process::{Child, Command},
};

use crate::{binary::BIN, helpers::eventually};

/// How long the stack may take to come up, or to go.
const WITHIN: Duration = Duration::from_secs(120);

struct DevSh {
    child: Child,
    /// stdout and stderr lines so far, both.
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
    env_file: std::path::PathBuf,
}

async fn free_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().to_string()
}

impl DevSh {
    async fn start(listen: &str, args: &[&str]) -> Self {
        Self::start_with(listen, args, &[]).await
    }

    async fn start_with(listen: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let env_file = std::env::temp_dir().join(format!("dev-env-{}", uuid::Uuid::new_v4()));
        let mut child = Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/dev.sh"))
            .args(args)
            .envs(env.iter().copied())
            .env("ORG_INVITES_LISTEN", listen)
            .env("ORG_INVITES_METRICS_LISTEN", free_addr().await)
            .env("ORG_INVITES_DEV_ENV", &env_file)
            .env("ORG_INVITES_BIN", BIN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("bash runs");
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let _ = tx.send(line);
                }
            });
        }
        Self {
            child,
            lines,
            seen: Vec::new(),
            env_file,
        }
    }

    /// Reads output until a line contains `needle`; that line.
    async fn wait_for(&mut self, needle: &str) -> String {
        let found = tokio::time::timeout(WITHIN, async {
            while let Some(line) = self.lines.recv().await {
                self.seen.push(line.clone());
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            _ => panic!("no line with {needle:?}; output:\n{}", self.seen.join("\n")),
        }
    }

    /// SIGTERM, as a terminal's Ctrl-C would do with SIGINT, then `exits`.
    async fn stop(self) -> (Option<i32>, String, Option<Stack>) {
        let pid = self.child.id().expect("still running").to_string();
        assert!(std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        self.exits().await
    }

    /// Waits for the script to end: its exit code and all its output.
    async fn exits(mut self) -> (Option<i32>, String, Option<Stack>) {
        let status = tokio::time::timeout(WITHIN, self.child.wait())
            .await
            .expect("dev.sh ends")
            .unwrap();
        while let Ok(Some(line)) =
            tokio::time::timeout(Duration::from_secs(5), self.lines.recv()).await
        {
            self.seen.push(line);
        }
        let out = self.seen.join("\n");
        assert!(!self.env_file.exists(), "the env file is left behind");
        let stack = Stack::from_output(&out);
        (status.code(), out, stack)
    }
}

/// What dev.sh said it started.
#[derive(Debug)]
struct Stack {
    data_dir: String,
    postgres: String,
    fakecloud: String,
}

impl Stack {
    /// From the lines dev.sh prints as Postgres and fakecloud come up.
    fn from_output(out: &str) -> Option<Self> {
        let pg = out.lines().find(|l| l.contains("postgres ready on"))?;
        let postgres = pg.split("ready on ").nth(1)?.split(' ').next()?.to_string();
        let data_dir = pg
            .split("(data in ")
            .nth(1)?
            .trim_end_matches(')')
            .to_string();
        let fc = out.lines().find(|l| l.contains("fakecloud ready on"))?;
        let fakecloud = fc
            .split("ready on http://")
            .nth(1)?
            .split(' ')
            .next()?
            .to_string();
        Some(Self {
            data_dir,
            postgres,
            fakecloud,
        })
    }
}

/// Nothing dev.sh started is left: its temp dir is gone and neither
/// Postgres nor fakecloud answers on its port.
async fn assert_nothing_left(stack: &Stack) {
    let data = std::path::Path::new(&stack.data_dir);
    assert!(!data.exists(), "{} is left behind", stack.data_dir);
    assert!(
        !data.parent().unwrap().exists(),
        "the stack's temp dir is left behind"
    );
    for addr in [&stack.postgres, &stack.fakecloud] {
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "something still answers on {addr}: {stack:?}"
        );
    }
}

#[tokio::test]
async fn a_listen_port_already_taken_is_named_and_nothing_starts() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dev = DevSh::start(&addr, &[]).await;
    let (code, out, stack) = dev.exits().await;
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "cannot listen on {addr} (--listen / ORG_INVITES_LISTEN): address already in use"
        )),
        "{out}"
    );
    assert!(stack.is_none(), "nothing was started: {out}");
}

/// The service fails at start (here, TLS files that do not exist) after
/// the stack is up: the stack goes with it.
#[tokio::test]
async fn a_service_that_fails_to_start_takes_its_stack_down() {
    let addr = free_addr().await;
    let dev = DevSh::start(
        &addr,
        &[
            "--tls-cert-file",
            "/nonexistent/cert.pem",
            "--tls-key-file",
            "/nonexistent/key.pem",
        ],
    )
    .await;
    let (code, out, stack) = dev.exits().await;
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("org-invites failed"), "{out}");
    assert_nothing_left(&stack.expect("the stack had started")).await;
}

#[tokio::test]
async fn a_service_killed_after_serving_takes_its_stack_down() {
    let addr = free_addr().await;
    let mut dev = DevSh::start(&addr, &[]).await;
    dev.wait_for("database reachable and migrated: SERVING")
        .await;
    let service = service_pid(dev.child.id().unwrap()).expect("the service runs under dev.sh");
    // kill -9: the service gets no chance to clean anything up.
    assert!(std::process::Command::new("kill")
        .args(["-9", &service.to_string()])
        .status()
        .unwrap()
        .success());
    let (code, out, stack) = dev.exits().await;
    assert_ne!(code, Some(0), "{out}");
    assert_nothing_left(&stack.expect("the stack had started")).await;
}

/// The `org-invites serve` process among `parent`'s children.
fn service_pid(parent: u32) -> Option<u32> {
    child_with(parent, "serve")
}

/// The lifecycle walkthrough in docs/api.md on the local stack: scripts/clock.sh
/// moves fakecloud's clock, and the invitation expires.
#[tokio::test]
async fn the_local_stacks_clock_moves_an_invitation_to_its_expiry() {
    let addr = free_addr().await;
    let mut dev = DevSh::start(&addr, &[]).await;
    dev.wait_for("database reachable and migrated: SERVING")
        .await;
    let id = crate::cli::invite_id_at(&addr, &crate::helpers::random_account_id()).await;

    let clock = std::process::Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/clock.sh"))
        .arg("+16d")
        .env("ORG_INVITES_DEV_ENV", &dev.env_file)
        .output()
        .unwrap();
    assert!(
        clock.status.success(),
        "{}",
        String::from_utf8_lossy(&clock.stderr)
    );
    let watch = tokio::time::timeout(
        WITHIN,
        tokio::process::Command::new(BIN)
            .args(["watch", &id, "--output", "json"])
            .env("ORG_INVITES_ENDPOINT", format!("http://{addr}"))
            .output(),
    )
    .await
    .expect("the watch ends")
    .unwrap();
    let printed = String::from_utf8_lossy(&watch.stdout);
    assert_eq!(watch.status.code(), Some(5), "EXPIRED: {printed}");
    assert!(printed.contains("\"EXPIRED\""), "{printed}");
    // Ctrl-C's way out (the INT and TERM traps): the stack goes with it.
    let (_, out, stack) = dev.stop().await;
    assert_nothing_left(&stack.unwrap_or_else(|| panic!("the stack had started: {out}"))).await;
}

/// Stopped while it builds fakecloud the first time (an empty cache), dev.sh
/// takes the build with it instead of leaving `cargo install` running.
#[tokio::test]
async fn stopping_during_the_first_fakecloud_build_stops_the_build() {
    let cache = std::env::temp_dir().join(format!("dev-cache-{}", uuid::Uuid::new_v4()));
    let cache_arg = cache.to_str().unwrap().to_string();
    let mut dev = DevSh::start_with(
        &free_addr().await,
        &[],
        &[("ORG_INVITES_CACHE", cache_arg.as_str())],
    )
    .await;
    dev.wait_for("building fakecloud").await;
    let script = dev.child.id().unwrap();
    let install = eventually(WITHIN, "cargo install to run under dev.sh", || async {
        child_with(script, &cache_arg)
    })
    .await;
    let (code, out, _) = dev.stop().await;
    assert_ne!(code, Some(0), "{out}");
    let what = format!("cargo install ({install}) to stop; dev.sh said:\n{out}");
    eventually(WITHIN, &what, || async {
        (!running(install)).then_some(())
    })
    .await;
    let _ = std::fs::remove_dir_all(&cache);
}

/// A child of `parent` whose command line contains `words`.
fn child_with(parent: u32, words: &str) -> Option<u32> {
    let children =
        std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).ok()?;
    children
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(words))
                .unwrap_or(false)
        })
}

/// Whether `pid` runs (a zombie waiting to be reaped does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

/// The README's campaign, as written there, on the local stack dev.sh
/// starts with the README's quota: every account ends COMPLETE in the OU,
/// the one from a second organization too, and the watch exits 0.
#[tokio::test]
async fn the_readmes_campaign_runs_as_shown_on_the_local_stack() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## A campaign")
        .nth(1)
        .expect("the README has its campaign section");
    let mut blocks = section
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap());
    let dev_args: Vec<&str> = blocks
        .next()
        .unwrap()
        .trim()
        .strip_prefix("scripts/dev.sh ")
        .expect("the first block starts the stack")
        .split_whitespace()
        .collect();
    let script = blocks.next().expect("the campaign block");
    let addr = free_addr().await;
    let mut dev = DevSh::start(&addr, &dev_args).await;
    dev.wait_for("database reachable and migrated: SERVING")
        .await;
    let work = std::env::temp_dir().join(format!("readme-campaign-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&work).unwrap();
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let ran = tokio::time::timeout(
        Duration::from_secs(300),
        Command::new("bash")
            .args(["-euo", "pipefail", "-c"])
            .arg(format!(
                "cd {root}; cd {work}; ln -s {root}/scripts scripts; {script}",
                root = env!("CARGO_MANIFEST_DIR"),
                work = work.display()
            ))
            .env("PATH", path)
            .env("ORG_INVITES_DEV_ENV", &dev.env_file)
            .env("ORG_INVITES_ENDPOINT", format!("http://{addr}"))
            .output(),
    )
    .await
    .expect("the campaign ends")
    .unwrap();
    let printed = String::from_utf8_lossy(&ran.stdout);
    assert_eq!(
        ran.status.code(),
        Some(0),
        "{printed}\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let list = Command::new(BIN)
        .args(["campaign", "list", "--output", "text"])
        .args([
            "--query",
            "Campaigns[0].[State, Counts.Complete, Counts.Total]",
        ])
        .env("ORG_INVITES_ENDPOINT", format!("http://{addr}"))
        .output()
        .await
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    let words: Vec<&str> = listed.split_whitespace().collect();
    assert_eq!(words, ["DONE", "5", "5"], "{printed}");
    let _ = std::fs::remove_dir_all(&work);
    let (_, out, stack) = dev.stop().await;
    assert_nothing_left(&stack.unwrap_or_else(|| panic!("the stack had started: {out}"))).await;
}

/// The README's events section on the local stack: dev.sh's receiver
/// prints the two signed CloudEvents of an invitation accepted, and
/// `deliveries list` shows both DELIVERED.
#[tokio::test]
async fn the_readmes_events_reach_the_local_receiver_signed_and_delivered() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Events pushed")
        .nth(1)
        .expect("the README has its events section");
    let script = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the events block");
    let addr = free_addr().await;
    let mut dev = DevSh::start(&addr, &[]).await;
    dev.wait_for("database reachable and migrated: SERVING")
        .await;
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let env_file = dev.env_file.clone();
    let run = |script: String| {
        let (path, env_file) = (path.clone(), env_file.clone());
        let addr = addr.clone();
        async move {
            Command::new("bash")
                .args(["-euo", "pipefail", "-c"])
                .arg(format!("cd {}; {script}", env!("CARGO_MANIFEST_DIR")))
                .env("PATH", path)
                .env("ORG_INVITES_DEV_ENV", env_file)
                .env("ORG_INVITES_ENDPOINT", format!("http://{addr}"))
                .output()
                .await
                .unwrap()
        }
    };
    // The subscription takes the events recorded after it first appears.
    eventually(WITHIN, "the receiver's subscription recorded", || async {
        let out = run(
            "org-invites subscriptions list --query 'Subscriptions[0].Id' --output text".into(),
        )
        .await;
        String::from_utf8_lossy(&out.stdout)
            .contains("local-receiver")
            .then_some(())
    })
    .await;
    let (body, last) = script.trim_end().rsplit_once('\n').unwrap();
    let ran = run(body.to_string()).await;
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let first = dev
        .wait_for("[receiver] orginvites.handshake.v1.state_change")
        .await;
    let second = dev
        .wait_for("[receiver] orginvites.handshake.v1.state_change")
        .await;
    for line in [&first, &second] {
        assert!(line.contains("signature verified"), "{line}");
    }
    let listed = eventually(WITHIN, "both DELIVERED", || async {
        let out = run(last.to_string()).await;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        (text.matches("DELIVERED").count() == 2).then_some(text)
    })
    .await;
    assert!(
        listed.contains("orginvites.handshake.v1.state_change"),
        "{listed}"
    );
    let (_, out, stack) = dev.stop().await;
    assert_nothing_left(&stack.unwrap_or_else(|| panic!("the stack had started: {out}"))).await;
}

/// The README's billing transfer on the local stack: a second organization
/// from scripts/member.sh, invited with the CLI, accepted as itself, and
/// listed ACCEPTED once a sweep saw it.
#[tokio::test]
async fn the_readmes_billing_transfer_is_sent_accepted_and_listed_on_the_local_stack() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## A billing transfer")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the README has its billing transfer section");
    let blocks: Vec<&str> = section
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert_eq!(blocks.len(), 2, "send-and-accept, then list");
    let addr = free_addr().await;
    let mut dev = DevSh::start(&addr, &[]).await;
    dev.wait_for("database reachable and migrated: SERVING")
        .await;
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let run = |script: String| {
        let (path, env_file, addr) = (path.clone(), dev.env_file.clone(), addr.clone());
        async move {
            Command::new("bash")
                .args(["-euo", "pipefail", "-c"])
                .arg(format!("cd {}; {script}", env!("CARGO_MANIFEST_DIR")))
                .env("PATH", path)
                .env("ORG_INVITES_DEV_ENV", env_file)
                .env("ORG_INVITES_ENDPOINT", format!("http://{addr}"))
                .output()
                .await
                .unwrap()
        }
    };
    let sent = run(blocks[0].to_string()).await;
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let listed = eventually(WITHIN, "the transfer listed ACCEPTED", || async {
        let out = run(blocks[1].to_string()).await;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.contains("ACCEPTED").then_some(text)
    })
    .await;
    assert!(listed.starts_with("rt-"), "{listed}");
    assert!(listed.contains("Acme billing"), "{listed}");
    // The other direction: the second organization invites this one.
    let invited = run("scripts/member.sh invite-transfer 'Other payer'".into()).await;
    let handshake = String::from_utf8_lossy(&invited.stdout).trim().to_string();
    assert!(handshake.starts_with("h-"), "{invited:?}");
    let inbound = "org-invites list-inbound-responsibility-transfers --type BILLING \
        --query 'ResponsibilityTransfers[].[Name,Status,ActiveHandshakeId]' --output text";
    let listed = eventually(WITHIN, "the inbound transfer listed", || async {
        let out = run(inbound.to_string()).await;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.contains("Other payer").then_some(text)
    })
    .await;
    assert!(listed.contains(&handshake), "{listed}");
    let (_, out, stack) = dev.stop().await;
    assert_nothing_left(&stack.unwrap_or_else(|| panic!("the stack had started: {out}"))).await;
}
