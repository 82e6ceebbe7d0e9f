//! The README and `docs/` against what they describe: every metric the
//! service registers is in the metrics table, every script is listed, every
//! relative link resolves, the README stays short and opens with the two
//! commands, and its tour runs on a real server as it shows.
use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use crate::{binary::BIN, helpers::*};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md and every page under docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![Path::new(ROOT).join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// Where `path` sits in the repository, for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The lines outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// Each fenced block: its language and its lines.
fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut open: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        match (line.trim_start().strip_prefix("```"), open.take()) {
            (Some(lang), None) => open = Some((lang.trim().to_string(), Vec::new())),
            (Some(_), Some(block)) => out.push(block),
            (None, Some((lang, mut lines))) => {
                lines.push(line.to_string());
                open = Some((lang, lines));
            }
            (None, None) => {}
        }
    }
    out
}

/// The text of the `## ` section whose heading starts with `heading`.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text
        .find(&format!("\n## {heading}"))
        .unwrap_or_else(|| panic!("a section \"## {heading}\""))
        + 1;
    let rest = &text[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 4);
    &rest[..end]
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces
/// as hyphens, a repeated one numbered.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for line in prose(text) {
        let Some(title) = line
            .strip_prefix('#')
            .map(|t| t.trim_start_matches('#'))
            .and_then(|t| t.strip_prefix(' '))
        else {
            continue;
        };
        let slug: String = title
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let n = seen.entry(slug.clone()).or_default();
        out.insert(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    out
}

/// Each inline link's target, outside code (fenced or in backticks).
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Code spans (which may wrap a line) hold examples, not links.
    let plain: String = prose(text).join("\n").split('`').step_by(2).collect();
    let mut rest = plain.as_str();
    while let Some(i) = rest.find("](") {
        let after = &rest[i + 2..];
        let end = after.find(')').unwrap_or(after.len());
        out.push(after[..end].to_string());
        rest = &after[end..];
    }
    out
}

#[test]
fn every_relative_link_in_the_readme_and_docs_leads_somewhere() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = read(&page);
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = match link.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (link.as_str(), None),
            };
            let target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link} (no such file)", shown(&page)));
                continue;
            }
            if let Some(anchor) = anchor {
                let headings = if target.extension().is_some_and(|x| x == "md") {
                    anchors(&read(&target))
                } else {
                    BTreeSet::new()
                };
                if !headings.contains(anchor) {
                    broken.push(format!(
                        "{}: {link} (no heading #{anchor} in {}; it has {headings:?})",
                        shown(&page),
                        shown(&target)
                    ));
                }
            }
        }
    }
    assert!(checked > 20, "links were found: {checked}");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_links_every_page_under_docs() {
    let readme = read(&Path::new(ROOT).join("README.md"));
    let linked: BTreeSet<String> = links(&readme).into_iter().collect();
    for page in pages().iter().skip(1) {
        let name = format!("docs/{}", page.file_name().unwrap().to_string_lossy());
        assert!(
            linked.contains(&name),
            "README.md links {name}; it links {linked:?}"
        );
    }
}

#[test]
fn the_readme_is_short_and_opens_with_the_two_commands() {
    let readme = read(&Path::new(ROOT).join("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= 220,
        "README.md has {lines} lines; the rest belongs in docs/"
    );

    // Before any section: the title, what the service is, then the commands.
    let before_sections = &readme[..readme.find("\n## ").expect("sections")];
    let (lang, commands) = blocks(before_sections)
        .into_iter()
        .next()
        .expect("a code block before the first section");
    assert_eq!(lang, "sh");
    let programs: Vec<&str> = commands
        .iter()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(
        programs,
        ["scripts/dev.sh", "scripts/test.sh"],
        "{commands:#?}"
    );
    assert!(commands[0].contains("# 1.") && commands[1].contains("# 2."));
    let opening = before_sections.find("```").unwrap();
    assert!(
        before_sections[..opening].lines().count() <= 8,
        "the commands come right after what the service is"
    );
    for program in programs {
        assert!(Path::new(ROOT).join(program).is_file(), "{program}");
    }
    // CI runs command 2 and nothing else.
    let ci = read(&Path::new(ROOT).join(".ci/run"));
    let run: Vec<&str> = ci
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| !l.starts_with("set ") && !l.starts_with("cd "))
        .collect();
    assert_eq!(run, ["exec bash scripts/test.sh"], "{ci}");
}

#[test]
fn the_scripts_table_lists_every_script_and_nothing_else() {
    let readme = read(&Path::new(ROOT).join("README.md"));
    let table = section(&readme, "Scripts");
    let mut listed = BTreeSet::new();
    for row in table.lines().filter(|l| l.starts_with("| `scripts/")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let name = cells[0].trim_start_matches("| ").trim_matches('`');
        let what = cells.get(1).map_or("", |c| c.trim_end_matches(" |").trim());
        assert!(
            what.split_whitespace().count() >= 5,
            "{name} is described: {row}"
        );
        assert!(listed.insert(name.to_string()), "{name} listed twice");
    }
    let present: BTreeSet<String> = std::fs::read_dir(Path::new(ROOT).join("scripts"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| format!("scripts/{}", e.file_name().to_string_lossy()))
        .collect();
    assert_eq!(
        listed,
        present,
        "README.md's Scripts table against scripts/: missing {:?}, gone {:?}",
        present.difference(&listed).collect::<Vec<_>>(),
        listed.difference(&present).collect::<Vec<_>>()
    );
}

/// Each series name `/metrics` shows, with its type: counters with
/// `_total`, histograms by their base name. A labelled family shows only
/// once it has a series, so one is recorded in each that starts empty.
fn registered() -> BTreeMap<String, String> {
    use org_invites::{
        domain::HandshakeState,
        metrics::{Metrics, WatchMethod},
    };
    let metrics = Metrics::new();
    metrics.set_handshake_counts(&[(HandshakeState::Open, 1)]);
    metrics.invitation(Ok(()));
    metrics.declare_aws_operations(["DescribeHandshake"]);
    metrics.aws_call("DescribeHandshake", Ok(()), Duration::ZERO);
    let _stream = metrics.watch_stream(WatchMethod::WatchHandshake);
    metrics.rpc("GetHandshake", "OK", Duration::ZERO);
    metrics.declare_subscription("hooks");
    metrics.delivered_after(Duration::ZERO);
    let text = metrics.encode();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
        let name = match kind {
            "counter" => format!("{name}_total"),
            _ => name.to_string(),
        };
        out.insert(name, kind.to_string());
    }
    out
}

/// Each row of a metrics table in the README or docs/: name and type.
fn documented() -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for page in pages() {
        for row in read(&page).lines() {
            let Some(rest) = row.strip_prefix("| `org_invites_") else {
                continue;
            };
            let (name, rest) = rest.split_once('`').unwrap();
            let kind = rest
                .trim_start_matches(" | ")
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("")
                .to_string();
            let name = format!("org_invites_{name}");
            let at = shown(&page);
            if let Some((_, first)) = out.insert(name.clone(), (kind, at.clone())) {
                panic!("{name} has two rows: {first} and {at}");
            }
        }
    }
    out
}

#[test]
fn the_metrics_table_names_every_registered_series_with_its_type() {
    let registered = registered();
    // Every registration shows: one that does not yet is a family above to
    // record a series in.
    let registrations: usize = std::fs::read_dir(Path::new(ROOT).join("src/metrics"))
        .unwrap()
        .map(|e| read(&e.unwrap().path()).matches(".register(").count())
        .sum();
    assert_eq!(
        registered.len(),
        registrations,
        "src/metrics registers {registrations} series, /metrics shows {registered:?}"
    );
    let documented = documented();
    let missing: Vec<&String> = registered
        .keys()
        .filter(|n| !documented.contains_key(*n))
        .collect();
    let unknown: Vec<&String> = documented
        .keys()
        .filter(|n| !registered.contains_key(*n))
        .collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "registered but not in the docs' metrics table: {missing:?}; \
         in the table but not registered: {unknown:?}"
    );
    for (name, kind) in &registered {
        let (said, at) = &documented[name];
        assert_eq!(said, kind, "{name}'s type in {at}");
    }
}

/// What the README's tour adds to its invite to print one line per change.
const ONE_LINE_PER_CHANGE: &str =
    "--query '[Kind, Handshake.State, Handshake.Onboarding.Status]' --output text";

/// The README's tour, run as written (but for the line that puts the CLI
/// on the PATH: the test's binary is put there instead) against a real
/// server and fakecloud, prints what the README shows and exits 0.
#[tokio::test]
async fn the_readmes_tour_takes_an_invitation_to_onboarding_complete_as_it_shows() {
    let readme = read(&Path::new(ROOT).join("README.md"));
    let tour = section(&readme, "A tour");
    let flat = tour.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(ONE_LINE_PER_CHANGE), "{tour}");
    let tour_blocks = blocks(tour);
    let (_, commands) = tour_blocks
        .iter()
        .find(|(lang, b)| lang == "sh" && b.iter().any(|l| l.starts_with("org-invites invite")))
        .expect("the tour's commands");
    let (_, printed) = tour_blocks
        .iter()
        .find(|(lang, _)| lang == "text")
        .expect("what the tour prints");
    let mut script: Vec<String> = commands
        .iter()
        .filter(|l| !l.starts_with("export PATH="))
        .cloned()
        .collect();
    let last = script.last_mut().unwrap();
    assert!(last.trim_end().ends_with("--wait"), "{last}");
    last.push(' ');
    last.push_str(ONE_LINE_PER_CHANGE);

    let app = spawn_app().await;
    let env = std::env::temp_dir().join(format!("tour-env-{}", uuid::Uuid::new_v4()));
    std::fs::write(
        &env,
        format!("export AWS_ENDPOINT_URL={}\n", app.aws.endpoint),
    )
    .unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = tokio::time::timeout(
        Duration::from_secs(90),
        tokio::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script.join("\n")])
            .current_dir(ROOT)
            .env("PATH", path)
            .env("ORG_INVITES_DEV_ENV", &env)
            .env("ORG_INVITES_ENDPOINT", format!("http://{}", app.addr))
            .env_remove("ORG_INVITES_OUTPUT")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the tour ends within 90 s")
    .unwrap();
    let _ = std::fs::remove_file(&env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    // The OU's id and the role's ARN, then one line per change. A change
    // that lands between the invite's answer and the watch's start may be
    // folded into the next line; nothing else may differ from the README.
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("arn:aws:iam::"), "{stdout}");
    let changes = &lines[1..];
    let mut shown_lines = printed.iter().map(String::as_str);
    for line in changes {
        assert!(
            shown_lines.any(|s| s == *line),
            "{line:?} is not in the README's tour output (in its order):\n{stdout}"
        );
    }
    assert_eq!(
        changes.first(),
        printed.first().map(String::as_str).as_ref()
    );
    assert_eq!(changes.last(), printed.last().map(String::as_str).as_ref());
}
