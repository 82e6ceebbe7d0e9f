//! The Helm chart (deploy/helm/org-invites) and the image (Dockerfile) run
//! for real: `helm template` with the production example, then the binary
//! started exactly as the rendered Deployment says (the image's entrypoint
//! and the container's args; env from the ConfigMap and Secrets; the
//! Secrets' files where the volumes mount them) against this test's
//! Postgres and fakecloud. Helm comes from scripts/test.sh
//! (ORG_INVITES_TEST_HELM).
use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use org_invites::{
    auth::{token_line, Role},
    proto::v1::{invitation_service_client::InvitationServiceClient, ListHandshakesRequest},
    startup::LIVENESS_SERVICE,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
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

/// Writes each mounted volume under `root` as the kubelet would (a Secret's
/// keys, or its `items`, as files) and returns the mount paths.
fn mount_volumes(pod: &Value, container: &Value, secrets: &Secrets, root: &Path) -> Vec<String> {
    let mut mounts = Vec::new();
    for m in container["volumeMounts"].as_array().unwrap() {
        let path = text(&m["mountPath"]);
        let dir = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(&dir).unwrap();
        let volumes = pod["volumes"].as_array().unwrap();
        let volume = volumes.iter().find(|v| v["name"] == m["name"]).unwrap();
        if let Some(s) = volume.get("secret") {
            let name = text(&s["secretName"]);
            let data = secrets
                .get(name)
                .unwrap_or_else(|| panic!("no Secret {name}"));
            let items: Vec<(&str, &str)> = match s["items"].as_array() {
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
        } else {
            assert!(volume.get("emptyDir").is_some(), "{volume}: mount it here");
        }
        mounts.push(path.to_string());
    }
    mounts
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
    // cert-manager's layout), and AWS keys standing in for IRSA.
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
    });
    let root = std::env::temp_dir().join(format!("helm-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&root).unwrap();
    let overrides_file = root.join("test-values.yaml");
    std::fs::write(&overrides_file, overrides.to_string()).unwrap();
    let production = format!("{CHART}/values-production.example.yaml");
    let docs = render(&["-f", &production, "-f", overrides_file.to_str().unwrap()]).unwrap();

    let pod = &find(&docs, "Deployment")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let (image_env, entrypoint, cmd) = image_config();
    let mut argv = container.get("command").map_or(entrypoint, texts);
    argv.extend(container.get("args").map_or(cmd, texts));
    assert_eq!(argv[..2], [IMAGE_BIN, "serve"], "the image's binary serves");

    // The image's env under the pod's; each *_LISTEN port is a declared
    // container port and moves to a free one; mounted paths move under root.
    let mounts = mount_volumes(pod, container, &secrets, &root);
    let mut ports: HashMap<u16, u16> = HashMap::new();
    let mut env: BTreeMap<String, String> = image_env.into_iter().collect();
    for (name, mut value) in resolve_env(container, &docs, &secrets) {
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
        if let Some(m) = mounts.iter().find(|m| value.starts_with(&format!("{m}/"))) {
            let under = root.join(m.trim_start_matches('/'));
            value = format!("{}{}", under.display(), &value[m.len()..]);
        }
        env.insert(name, value);
    }
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

    let mut child = tokio::process::Command::new(BIN)
        .args(&argv[1..])
        .env_clear()
        .envs(&env)
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
    assert!(matches!(listening, Ok(true)), "{argv:?} {env:?}:\n{log}");
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
    ] {
        let err = render(&["--set", set]).expect_err(set);
        assert!(err.contains(says), "{set}: {err}");
    }
}

/// Every `serve` setting (each `[env: NAME=]` in `serve --help`) is a key
/// of `config` in values.schema.json, where the chart's own are marked.
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
    let names: Vec<&str> = help
        .split("[env: ")
        .skip(1)
        .map(|s| s.split(['=', ']']).next().unwrap())
        .collect();
    assert!(names.contains(&"ORG_INVITES_HEALTH_LISTEN"), "{help}");
    for name in names {
        assert!(
            config.contains_key(name),
            "{name}: add it to the chart's values.schema.json"
        );
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
