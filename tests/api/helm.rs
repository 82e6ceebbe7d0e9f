//! The Helm chart (deploy/helm/org-invites) and the image (Dockerfile) run
//! for real: `helm template` with the production example, then the binary
//! started exactly as the rendered Deployment says (the image's entrypoint
//! and the container's args; env from the ConfigMap and Secrets; the
//! Secrets' files where the volumes mount them) against this test's
//! Postgres and fakecloud. Helm comes from scripts/test.sh
//! (ORG_INVITES_TEST_HELM).
use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use org_invites::{
    auth::{token_line, Role},
    proto::v1::{
        invitation_service_client::InvitationServiceClient, ListHandshakesRequest,
        ListSubscriptionsRequest, SubscriptionKind,
    },
    startup::LIVENESS_SERVICE,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::{Child, ChildStderr},
};
use tonic::{
    transport::{Certificate, Channel, ClientTlsConfig},
    Code,
};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::{binary::BIN, helpers::*, traces::start_collector};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/helm/org-invites");
/// Where the Dockerfile installs the binary (the image's entrypoint).
const IMAGE_BIN: &str = "/usr/local/bin/org-invites";

/// Secret name → key → contents: what the cluster would hold.
type Secrets = HashMap<String, BTreeMap<String, String>>;

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string"))
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| text(s).into())
        .collect()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap()
}

/// `helm template` of the chart with `args` (-f FILE, --set K=V): every
/// manifest, or helm's error.
fn render(args: &[&str]) -> Result<Vec<Value>, String> {
    let helm = std::env::var("ORG_INVITES_TEST_HELM")
        .expect("ORG_INVITES_TEST_HELM is unset: run the tests with scripts/test.sh");
    let out = Command::new(helm)
        .args([
            "template",
            "org-invites",
            CHART,
            "--namespace",
            "org-invites",
        ])
        .args(args)
        .output()
        .expect("helm runs");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let yaml = String::from_utf8(out.stdout).unwrap();
    Ok(serde_norway::Deserializer::from_str(&yaml)
        .map(|doc| Value::deserialize(doc).expect("helm renders YAML"))
        .filter(|v| !v.is_null())
        .collect())
}

fn find<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let doc = docs.iter().find(|d| d["kind"] == kind);
    doc.unwrap_or_else(|| panic!("no {kind} rendered"))
}

/// The Dockerfile's last stage as a container runtime reads it: its ENV,
/// ENTRYPOINT and CMD.
fn image_config() -> (Vec<(String, String)>, Vec<String>, Vec<String>) {
    let dockerfile = read("Dockerfile").replace("\\\n", " ");
    let (_, stage) = dockerfile.rsplit_once("\nFROM ").expect("a FROM line");
    let (mut env, mut entrypoint, mut cmd) = (Vec::new(), Vec::new(), Vec::new());
    for line in stage.lines().map(str::trim) {
        match line.split_once(' ') {
            Some(("ENV", pairs)) => env.extend(pairs.split_whitespace().map(|kv| {
                let (k, v) = kv.split_once('=').expect("ENV K=V");
                (k.to_string(), v.to_string())
            })),
            Some(("ENTRYPOINT", list)) => entrypoint = texts(&serde_json::from_str(list).unwrap()),
            Some(("CMD", list)) => cmd = texts(&serde_json::from_str(list).unwrap()),
            _ => {}
        }
    }
    (env, entrypoint, cmd)
}

/// The container's env as the kubelet resolves it: `value`, or `valueFrom`
/// a rendered ConfigMap or one of `secrets`.
fn resolve_env(container: &Value, docs: &[Value], secrets: &Secrets) -> Vec<(String, String)> {
    assert!(
        container.get("envFrom").is_none(),
        "envFrom: resolve it here"
    );
    let mut env = Vec::new();
    for e in container["env"].as_array().unwrap() {
        let (name, from) = (text(&e["name"]).to_string(), &e["valueFrom"]);
        let value = if let Some(v) = e["value"].as_str() {
            Some(v.to_string())
        } else if let Some(r) = from.get("configMapKeyRef") {
            let cm = docs
                .iter()
                .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == r["name"]);
            cm.and_then(|cm| cm["data"][text(&r["key"])].as_str().map(str::to_string))
        } else if let Some(r) = from.get("secretKeyRef") {
            let secret = secrets.get(text(&r["name"]));
            secret.and_then(|s| s.get(text(&r["key"])).cloned())
        } else {
            panic!("{name}: cannot resolve {e}")
        };
        match value {
            Some(v) => env.push((name, v)),
            None if from
                .as_object()
                .unwrap()
                .values()
                .all(|r| r["optional"] == true) => {}
            None => panic!("{name}: {from} names nothing rendered or given"),
        }
    }
    env
}

/// `value` as the container sees it when it starts with a mount path: the
/// same path under `root`.
fn rebase(value: &str, mounts: &[String], root: &Path) -> Option<String> {
    let m = mounts
        .iter()
        .find(|m| value.starts_with(&format!("{m}/")))?;
    let under = root.join(m.trim_start_matches('/'));
    Some(format!("{}{}", under.display(), &value[m.len()..]))
}

/// Writes each mounted volume under `root` as the kubelet would (a Secret's
/// or a rendered ConfigMap's keys, or its `items`, as files; paths in a
/// ConfigMap's files that point into a mount moved under `root` too) and
/// returns the mount paths.
fn mount_volumes(
    pod: &Value,
    container: &Value,
    docs: &[Value],
    secrets: &Secrets,
    root: &Path,
) -> Vec<String> {
    let all = container["volumeMounts"].as_array().unwrap();
    let mounts: Vec<String> = all.iter().map(|m| text(&m["mountPath"]).into()).collect();
    for m in all {
        let dir = root.join(text(&m["mountPath"]).trim_start_matches('/'));
        std::fs::create_dir_all(&dir).unwrap();
        let volumes = pod["volumes"].as_array().unwrap();
        let volume = volumes.iter().find(|v| v["name"] == m["name"]).unwrap();
        let (source, name, data): (_, _, BTreeMap<String, String>) =
            if let Some(s) = volume.get("secret") {
                let name = text(&s["secretName"]);
                let data = secrets.get(name);
                (
                    s,
                    name,
                    data.unwrap_or_else(|| panic!("no Secret {name}")).clone(),
                )
            } else if let Some(c) = volume.get("configMap") {
                let name = text(&c["name"]);
                let cm = docs
                    .iter()
                    .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == name)
                    .unwrap_or_else(|| panic!("no ConfigMap {name} rendered"));
                let data = cm["data"].as_object().unwrap().iter().map(|(k, v)| {
                    let lines = text(v).split('\n').map(|line| {
                        let words = line.split(' ');
                        let words = words.map(|w| rebase(w, &mounts, root).unwrap_or(w.into()));
                        words.collect::<Vec<_>>().join(" ")
                    });
                    (k.clone(), lines.collect::<Vec<_>>().join("\n"))
                });
                (c, name, data.collect())
            } else {
                assert!(volume.get("emptyDir").is_some(), "{volume}: mount it here");
                continue;
            };
        let items: Vec<(&str, &str)> = match source["items"].as_array() {
            Some(items) => items
                .iter()
                .map(|i| (text(&i["key"]), text(&i["path"])))
                .collect(),
            None => data.keys().map(|k| (k.as_str(), k.as_str())).collect(),
        };
        for (key, file) in items {
            let contents = data
                .get(key)
                .unwrap_or_else(|| panic!("no {key} in {name}"));
            std::fs::write(dir.join(file), contents).unwrap();
        }
    }
    mounts
}

/// The rendered Deployment's container as the kubelet starts it.
struct Booting {
    /// The image's entrypoint and the container's args.
    argv: Vec<String>,
    /// The image's env under the pod's; each *_LISTEN port a declared
    /// container port moved to a free one; mounted paths moved under the
    /// root.
    env: BTreeMap<String, String>,
    /// Container port → the free port it moved to.
    ports: HashMap<u16, u16>,
}

fn as_the_kubelet_would(docs: &[Value], secrets: &Secrets, root: &Path) -> Booting {
    let pod = &find(docs, "Deployment")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let (image_env, entrypoint, cmd) = image_config();
    let mut argv = container.get("command").map_or(entrypoint, texts);
    argv.extend(container.get("args").map_or(cmd, texts));
    assert_eq!(argv[..2], [IMAGE_BIN, "serve"], "the image's binary serves");

    let mounts = mount_volumes(pod, container, docs, secrets, root);
    let mut ports: HashMap<u16, u16> = HashMap::new();
    let mut env: BTreeMap<String, String> = image_env.into_iter().collect();
    for (name, mut value) in resolve_env(container, docs, secrets) {
        if name.ends_with("_LISTEN") {
            let (host, port) = value.rsplit_once(':').unwrap();
            let port: u16 = port.parse().unwrap();
            let declared = container["ports"].as_array().unwrap();
            assert!(
                declared.iter().any(|p| p["containerPort"] == port),
                "{name}: {port}?"
            );
            value = format!("{host}:{}", ports.entry(port).or_insert_with(free_port));
        }
        env.insert(name, rebase(&value, &mounts, root).unwrap_or(value));
    }
    Booting { argv, env, ports }
}

/// Runs the binary as `booting` says until it logs that it listens: the
/// process and the rest of its log; or its whole log if it exits (or stays
/// silent for a minute) first.
async fn boot(booting: &Booting) -> Result<(Child, Lines<BufReader<ChildStderr>>), String> {
    let mut child = tokio::process::Command::new(BIN)
        .args(&booting.argv[1..])
        .env_clear()
        .envs(&booting.env)
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    let listening = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            log.push_str(&line);
            log.push('\n');
            if line.contains("org-invites listening") {
                return true;
            }
        }
        false
    })
    .await;
    match listening {
        Ok(true) => Ok((child, lines)),
        _ => Err(log),
    }
}

/// A fresh directory standing for the container's filesystem.
fn container_root() -> PathBuf {
    let root = std::env::temp_dir().join(format!("helm-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&root).unwrap();
    root
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A container port given by number or by name.
fn port_number(container: &Value, port: &Value) -> u16 {
    let ports = container["ports"].as_array().unwrap();
    let named = ports.iter().find(|p| p["name"] == *port);
    let number = port.as_u64().or_else(|| named?["containerPort"].as_u64());
    number.expect("a container port") as u16
}

#[tokio::test]
async fn the_charts_deployment_runs_the_real_server_serving_health_and_refusing_strangers() {
    // reqwest (webhooks) brings rustls' ring beside aws-lc-rs, so rustls no
    // longer picks a provider itself: the collector's TLS names one.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let db = fresh_database().await;
    let fakecloud = Fakecloud::start().await;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    // A trace collector over TLS, its CA in a Secret of the operator's own
    // (extraVolumes), as values.yaml's example has it.
    let collector_cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (collector, mut spans) = start_collector(Some((
        collector_cert.cert.pem(),
        collector_cert.key_pair.serialize_pem(),
    )))
    .await;
    let (user, port, database) = (db.get_username(), db.get_port(), db.get_database().unwrap());
    // The Secrets values-production.example.yaml names (TLS in
    // cert-manager's layout; the webhook's signing secret, two while
    // rotating), and AWS keys standing in for IRSA.
    let webhook_secret = format!("{}\n{}\n", new_secret(), new_secret());
    let mut secrets = Secrets::new();
    for (name, key, contents) in [
        (
            "org-invites-database",
            "DATABASE_URL",
            format!("postgres://{user}@127.0.0.1:{port}/{database}"),
        ),
        (
            "org-invites-identities",
            "identities",
            token_line(Role::Reader, "dashboards", "reader-token"),
        ),
        ("org-invites-tls", "tls.crt", cert.cert.pem()),
        ("org-invites-tls", "tls.key", cert.key_pair.serialize_pem()),
        ("org-invites-tls", "ca.crt", cert.cert.pem()),
        ("aws-keys", "id", "test".into()),
        ("aws-keys", "secret", "test".into()),
        ("otel-collector-ca", "ca.crt", collector_cert.cert.pem()),
        ("org-invites-webhooks", "chat-ops", webhook_secret.clone()),
    ] {
        secrets
            .entry(name.into())
            .or_default()
            .insert(key.into(), contents);
    }
    let key = |name: &str, key: &str| json!({"name": name, "valueFrom": {"secretKeyRef": {"name": "aws-keys", "key": key}}});
    let value = |name: &str, value: &str| json!({"name": name, "value": value});
    let overrides = json!({
        "aws": {"endpointUrl": fakecloud.endpoint},
        "extraEnv": [
            key("AWS_ACCESS_KEY_ID", "id"),
            key("AWS_SECRET_ACCESS_KEY", "secret"),
            value("OTEL_EXPORTER_OTLP_ENDPOINT", &collector),
            value("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/otel/ca.crt"),
            value("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
        "extraVolumes": [{"name": "otel-ca", "secret": {"secretName": "otel-collector-ca"}}],
        "extraVolumeMounts": [{"name": "otel-ca", "mountPath": "/etc/otel", "readOnly": true}],
        "delivery": {"eventsSource": "urn:example:org-invites"},
    });
    let root = container_root();
    let overrides_file = root.join("test-values.yaml");
    std::fs::write(&overrides_file, overrides.to_string()).unwrap();
    let production = format!("{CHART}/values-production.example.yaml");
    let docs = render(&["-f", &production, "-f", overrides_file.to_str().unwrap()]).unwrap();

    // Nothing rendered holds a secret: the webhook's stays in its Secret.
    let rendered = serde_json::to_string(&docs).unwrap();
    assert!(!rendered.contains(&webhook_secret), "{rendered}");

    let pod = &find(&docs, "Deployment")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let booting = as_the_kubelet_would(&docs, &secrets, &root);
    let (env, ports) = (&booting.env, &booting.ports);
    let local = |name: &str| format!("127.0.0.1:{}", env[name].rsplit_once(':').unwrap().1);

    // Every probe asks the plaintext health port: startup and readiness for
    // service "", liveness for the one Postgres does not turn NOT_SERVING.
    let probe = &container["readinessProbe"]["grpc"];
    assert_eq!(
        container["startupProbe"]["grpc"], *probe,
        "startup asks what readiness asks"
    );
    assert_eq!(probe["service"].as_str().unwrap_or(""), "");
    let liveness = &container["livenessProbe"]["grpc"];
    assert_eq!(liveness["port"], probe["port"]);
    assert_eq!(liveness["service"], LIVENESS_SERVICE);
    let probe_port = ports[&port_number(container, &probe["port"])];
    assert_eq!(
        local("ORG_INVITES_HEALTH_LISTEN"),
        format!("127.0.0.1:{probe_port}")
    );

    let (_child, mut lines) = boot(&booting)
        .await
        .unwrap_or_else(|log| panic!("{:?} {env:?}:\n{log}", booting.argv));
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let health = Channel::from_shared(format!("http://127.0.0.1:{probe_port}"))
        .unwrap()
        .connect()
        .await
        .expect("the probes' port answers in plaintext");
    let request = HealthCheckRequest {
        service: String::new(),
    };
    let mut watch = HealthClient::new(health.clone())
        .watch(request)
        .await
        .unwrap()
        .into_inner();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let update = watch.message().await.unwrap().expect("health updates");
            if update.status == ServingStatus::Serving as i32 {
                return;
            }
        }
    })
    .await
    .expect("SERVING within 30 s");
    let alive = HealthClient::new(health)
        .check(HealthCheckRequest {
            service: LIVENESS_SERVICE.into(),
        })
        .await
        .expect("the liveness probe's service exists")
        .into_inner();
    assert_eq!(alive.status, ServingStatus::Serving as i32);

    // TLS from the cert-manager Secret; callers from the identities Secret.
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(cert.cert.pem()))
        .domain_name("localhost");
    let channel = Channel::from_shared(format!("https://{}", local("ORG_INVITES_LISTEN")))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .expect("gRPC over TLS");
    let mut client = InvitationServiceClient::new(channel);
    let err = client
        .list_handshakes(ListHandshakesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    let mut req = tonic::Request::new(ListHandshakesRequest::default());
    req.metadata_mut()
        .insert("authorization", "Bearer reader-token".parse().unwrap());
    client
        .list_handshakes(req)
        .await
        .expect("the identities file's reader lists");

    // The subscriptions from values, read from the mounted ConfigMap, the
    // webhook's secrets from the mounted Secret (or the start had failed).
    let mut req = tonic::Request::new(ListSubscriptionsRequest {});
    req.metadata_mut()
        .insert("authorization", "Bearer reader-token".parse().unwrap());
    let subscriptions = client
        .list_subscriptions(req)
        .await
        .expect("the reader lists subscriptions")
        .into_inner()
        .subscriptions;
    let mut got: Vec<_> = subscriptions
        .iter()
        .map(|s| (s.id.as_str(), s.kind(), s.target.as_str()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "chat-ops",
                SubscriptionKind::Webhook,
                "https://hooks.example.com/org-invites"
            ),
            ("org-bus", SubscriptionKind::Eventbridge, "org-invites"),
        ]
    );

    let metrics = local("ORG_INVITES_METRICS_LISTEN").parse().unwrap();
    let (status, _, body) = http_request(metrics, "GET", "/metrics", &[], b"").await;
    assert!(status.contains("200"), "{status}");
    assert!(String::from_utf8_lossy(&body).contains("org_invites_handshakes"));

    // Spans reach the collector, trusting the CA from the extra volume.
    tokio::time::timeout(Duration::from_secs(30), spans.recv())
        .await
        .expect("a span within 30 s over TLS")
        .expect("the collector runs");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_chart_turns_authentication_off_only_when_told_it_is_understood() {
    for set in [
        "extraArgs[0]=--insecure-no-auth",
        "config.ORG_INVITES_INSECURE_NO_AUTH=true",
    ] {
        let err = render(&["--set", set]).expect_err(set);
        assert!(
            err.contains("insecureNoAuth.iUnderstandAnyoneCanInvite"),
            "{err}"
        );
    }
    let settings = |docs: Vec<Value>| find(&docs, "ConfigMap")["data"].clone();
    let defaults = settings(render(&[]).unwrap());
    assert!(defaults.get("ORG_INVITES_INSECURE_NO_AUTH").is_none());
    assert!(defaults["ORG_INVITES_AUTH_TOKENS_FILE"].is_string());
    let off =
        settings(render(&["--set", "insecureNoAuth.iUnderstandAnyoneCanInvite=true"]).unwrap());
    assert_eq!(off["ORG_INVITES_INSECURE_NO_AUTH"], "true");
}

#[test]
fn wrong_values_fail_to_render_and_say_which() {
    for (set, says) in [
        ("replicas=two", "/replicas"),
        (
            "config.ORG_INVITES_POLL_INTERVAL=soon",
            "ORG_INVITES_POLL_INTERVAL",
        ),
        (
            "config.ORG_INVITES_POLL_INTERVALL=5s",
            "ORG_INVITES_POLL_INTERVALL",
        ),
        ("config.ORG_INVITES_LISTEN=0.0.0.0:1", "use ports.grpc"),
        (
            "terminationGracePeriodSeconds=30",
            "preStopSleepSeconds + 25",
        ),
        ("tls.requireClientCert=true", "tls.clientCA"),
        ("delivery.retrySchedule=soon", "/delivery/retrySchedule"),
        ("delivery.eventsSource=a b", "/delivery/eventsSource"),
        (
            "delivery.existingSecret=Webhooks",
            "/delivery/existingSecret",
        ),
        (
            "config.ORG_INVITES_SUBSCRIPTIONS_FILE=/etc/subs.yaml",
            "use delivery.subscriptions",
        ),
    ] {
        let err = render(&["--set", set]).expect_err(set);
        assert!(err.contains(says), "{set}: {err}");
    }

    // delivery.subscriptions, as the subscriptions file has them but for
    // secretKey (a key of delivery.existingSecret) instead of secret_file.
    let hook = json!({"url": "https://hooks.example.com/x", "secretKey": "chat-ops"});
    let bus = json!({"event_bus": "org-invites"});
    for (subscriptions, says) in [
        (
            json!([{"id": "Chat_Ops", "eventbridge": bus}]),
            "/delivery/subscriptions/0/id",
        ),
        (json!([{"id": "a"}]), "missing property 'webhook'"),
        (
            json!([{"id": "a", "webhook": hook, "eventbridge": bus}]),
            "/delivery/subscriptions/0': 'oneOf' failed",
        ),
        (
            json!([{"id": "a", "webhook": {"url": "https://x", "secret_file": "/etc/s"}}]),
            "secret_file",
        ),
        (
            json!([{"id": "a", "webhook": {"url": "https://x"}}]),
            "missing property 'secretKey'",
        ),
        (
            json!([{"id": "a", "eventbridge": {"event_bus": ""}}]),
            "/delivery/subscriptions/0/eventbridge/event_bus",
        ),
        (
            json!([{"id": "a", "eventbridge": bus, "filter": {"kinds": ["ACCEPTED"]}}]),
            "/delivery/subscriptions/0/filter/kinds/0",
        ),
        (
            json!([{"id": "a", "eventbridge": bus, "filters": {}}]),
            "filters",
        ),
        (
            json!([{"id": "a", "eventbridge": bus}, {"id": "a", "eventbridge": bus}]),
            "delivery.subscriptions[a]: id used twice",
        ),
        (
            json!([{"id": "a", "webhook": hook}]),
            "delivery.subscriptions[a].webhook.secretKey needs delivery.existingSecret",
        ),
    ] {
        let set = format!("delivery.subscriptions={subscriptions}");
        let err = render(&["--set-json", &set]).expect_err(&set);
        assert!(err.contains(says), "{set}: {err}");
    }
    let plain =
        json!([{"id": "a", "webhook": {"url": "http://hooks.internal/x", "secretKey": "k"}}]);
    let set = format!("delivery.subscriptions={plain}");
    let err = render(&["--set", "delivery.existingSecret=w", "--set-json", &set]).expect_err(&set);
    assert!(
        err.contains("delivery.subscriptions[a].webhook.url: http:// needs allow_plain_http: true"),
        "{err}"
    );
}

/// A webhook's secret the existing Secret does not hold, or not as
/// whsec_<base64>: the chart cannot see the Secret, so it renders, and the
/// server refuses to start, naming the subscription and the field.
#[tokio::test]
async fn a_webhook_secret_missing_from_the_existing_secret_stops_the_server_naming_the_field() {
    let delivery = json!({
        "existingSecret": "org-invites-webhooks",
        "subscriptions": [{
            "id": "chat-ops",
            "webhook": {"url": "https://hooks.example.com/x", "secretKey": "chat-ops"},
        }],
    });
    let docs = render(&["--set-json", &format!("delivery={delivery}")]).unwrap();
    let secret = new_secret();
    for (key, contents, says) in [
        ("other", secret.as_str(), "cannot be read"),
        ("chat-ops", "hunter2", "a secret is not whsec_<base64>"),
        ("chat-ops", "", "must hold one secret"),
    ] {
        let mut secrets = Secrets::new();
        for (name, key, contents) in [
            (
                "org-invites-database",
                "DATABASE_URL",
                "postgres://nobody@127.0.0.1:1/none",
            ),
            ("org-invites-identities", "identities", ""),
            ("org-invites-webhooks", key, contents),
        ] {
            let secret = secrets.entry(name.into()).or_default();
            secret.insert(key.into(), contents.into());
        }
        let root = container_root();
        let booting = as_the_kubelet_would(&docs, &secrets, &root);
        let log = boot(&booting)
            .await
            .expect_err("the server refuses to start");
        let says = format!("subscription chat-ops: webhook.secret_file: {says}");
        assert!(log.contains(&says), "{says}?\n{log}");
        assert!(!log.contains("hunter2"), "{log}");
        let _ = std::fs::remove_dir_all(&root);
    }
}

/// Every `serve` setting (each `[env: NAME=]` in `serve --help`) is a key
/// of `config` in values.schema.json, where the chart's own are marked; the
/// chart refuses those in `config`, and their flags in `extraArgs`, naming
/// the value that sets them.
#[test]
fn every_serve_setting_is_reachable_through_the_charts_values() {
    let help = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let schema: Value =
        serde_json::from_str(&read("deploy/helm/org-invites/values.schema.json")).unwrap();
    let config = schema["properties"]["config"]["properties"]
        .as_object()
        .unwrap();
    // (NAME, its flag): an option's first line names the flag, its help
    // the variable.
    let (mut settings, mut flag) = (Vec::new(), "");
    for line in help.lines().map(str::trim) {
        if line.starts_with('-') {
            let long = line.split_whitespace().find(|w| w.starts_with("--"));
            flag = long.expect("a long flag").trim_end_matches(',');
        }
        for env in line.split("[env: ").skip(1) {
            settings.push((env.split(['=', ']']).next().unwrap(), flag));
        }
    }
    let names: Vec<&str> = settings.iter().map(|(name, _)| *name).collect();
    for name in [
        "ORG_INVITES_HEALTH_LISTEN",
        "ORG_INVITES_SUBSCRIPTIONS_FILE",
        "ORG_INVITES_EVENTS_SOURCE",
        "ORG_INVITES_DELIVERY_RETRY_SCHEDULE",
    ] {
        assert!(names.contains(&name), "{name}?\n{help}");
    }
    let mut charts_own = Vec::new();
    for (name, flag) in settings {
        let entry = config
            .get(name)
            .unwrap_or_else(|| panic!("{name}: add it to the chart's values.schema.json"));
        let description = entry["description"].as_str().unwrap_or_default();
        let Some((from, _)) = description
            .strip_prefix("Set by the chart from ")
            .and_then(|d| d.split_once(". The chart refuses it here."))
        else {
            continue;
        };
        let set = format!("config.{name}=x");
        let err = render(&["--set", &set]).expect_err(&set);
        let says = format!("{name} is set by the chart: use {from}");
        assert!(err.contains(&says), "{set}: {says}?\n{err}");
        let set = format!("extraArgs[0]={flag}");
        let err = render(&["--set", &set]).expect_err(&set);
        let says = format!("{flag} is set by the chart: use {from}");
        assert!(err.contains(&says), "{set}: {says}?\n{err}");
        charts_own.push(name);
    }
    for name in [
        "ORG_INVITES_LISTEN",
        "ORG_INVITES_SUBSCRIPTIONS_FILE",
        "ORG_INVITES_EVENTS_SOURCE",
        "ORG_INVITES_DELIVERY_RETRY_SCHEDULE",
    ] {
        assert!(charts_own.contains(&name), "{name}: the chart's own?");
    }
}

/// The image's version, the chart's appVersion and the crate's agree, and
/// the image declares the ports the chart uses.
#[test]
fn the_image_the_chart_and_the_crate_agree() {
    let version = env!("CARGO_PKG_VERSION");
    let chart = read("deploy/helm/org-invites/Chart.yaml");
    assert!(
        chart.contains(&format!("appVersion: \"{version}\"")),
        "{chart}"
    );
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains(&format!("ARG VERSION={version}")));
    let values: Value =
        serde_norway::from_str(&read("deploy/helm/org-invites/values.yaml")).unwrap();
    let expose = dockerfile
        .lines()
        .find(|l| l.starts_with("EXPOSE "))
        .expect("EXPOSE");
    for port in ["grpc", "metrics", "health"] {
        let n = values["ports"][port].to_string();
        assert!(
            expose.split_whitespace().any(|p| p == n),
            "{port} {n} not in {expose}"
        );
    }
}
