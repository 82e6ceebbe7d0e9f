//! Tests of `--targets-file`: each format, the tag forms, and bad rows
//! named by line (CSV) or item (JSON, YAML) and field.
use std::path::Path;

use serde_json::json;

use super::*;

fn csv(text: &str) -> Result<Value, Problem> {
    parse(text, Format::Csv)
}

fn problem(r: Result<Value, Problem>) -> String {
    r.expect_err("a bad file").to_string()
}

#[test]
fn a_csv_with_the_optional_columns_reads_as_the_targets_list() {
    let text = "Id,Type,Notes,Tags\n\
                111122223333,ACCOUNT,\"Welcome, Juan\",team=core;env=\n\
                diego@example.com,email,,\n";
    assert_eq!(
        csv(text).unwrap(),
        json!([
            {"Id": "111122223333", "Type": "ACCOUNT", "Notes": "Welcome, Juan",
             "Tags": [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": ""}]},
            {"Id": "diego@example.com", "Type": "EMAIL"},
        ])
    );
}

#[test]
fn a_csv_needs_only_id_and_type_in_any_order_and_case() {
    let text = "\u{feff}type , ID\nACCOUNT, 111122223333\n\nACCOUNT,444455556666\n";
    assert_eq!(
        csv(text).unwrap(),
        json!([
            {"Id": "111122223333", "Type": "ACCOUNT"},
            {"Id": "444455556666", "Type": "ACCOUNT"},
        ])
    );
}

#[test]
fn a_bad_csv_row_is_named_by_its_line_and_field() {
    let bad = [
        (
            "Id,Type\n111122223333,ACCOUNT\n444455556666,ACCT\n",
            "line 3, Type: \"ACCT\" is not one of ACCOUNT, ORGANIZATION, EMAIL",
        ),
        ("Id,Type\n,ACCOUNT\n", "line 2, Id: empty"),
        (
            "Id,Type,Tags\n111122223333,ACCOUNT,team\n",
            "line 2, Tags: \"team\" is not key=value",
        ),
        (
            "Id,Type\n111122223333,ACCOUNT\n444455556666\n",
            "line 3: 1 fields where the header has 2",
        ),
        (
            "Id,Kind\n111122223333,ACCOUNT\n",
            "line 1: unknown column \"Kind\"; the columns are Id, Type, Notes, Tags",
        ),
        (
            "Id,Notes\n111122223333,hi\n",
            "line 1: the header must name the columns Id and Type (and Notes, Tags if wanted)",
        ),
        ("Id,Type\n", "the file: it lists no targets"),
    ];
    for (text, want) in bad {
        assert_eq!(problem(csv(text)), want, "{text}");
    }
}

#[test]
fn a_json_list_takes_tags_as_the_aws_list_or_the_csv_string() {
    let text = r#"[
        {"Id": "111122223333", "Type": "ACCOUNT", "Tags": [{"Key": "team", "Value": "core"}]},
        {"Id": "diego@example.com", "Type": "EMAIL", "Notes": "Hola", "Tags": "env=prod"}
    ]"#;
    assert_eq!(
        parse(text, Format::Json).unwrap(),
        json!([
            {"Id": "111122223333", "Type": "ACCOUNT", "Tags": [{"Key": "team", "Value": "core"}]},
            {"Id": "diego@example.com", "Type": "EMAIL", "Notes": "Hola",
             "Tags": [{"Key": "env", "Value": "prod"}]},
        ])
    );
}

#[test]
fn a_yaml_list_reads_the_same_and_an_unquoted_account_id_is_kept() {
    let text = "- Id: 111122223333\n  Type: ACCOUNT\n  Tags:\n    - Key: team\n      Value: core\n\
                - Id: diego@example.com\n  Type: EMAIL\n  Tags: env=prod;tier=\n";
    assert_eq!(
        parse(text, Format::Yaml).unwrap(),
        json!([
            {"Id": "111122223333", "Type": "ACCOUNT", "Tags": [{"Key": "team", "Value": "core"}]},
            {"Id": "diego@example.com", "Type": "EMAIL",
             "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "tier", "Value": ""}]},
        ])
    );
}

#[test]
fn a_bad_json_or_yaml_item_is_named_by_its_number_and_field() {
    let json_bad = [
        (
            r#"[{"Id": "111122223333", "Type": "ACCOUNT"}, {"Type": "ACCOUNT"}]"#,
            "item 2, Id: missing",
        ),
        (
            r#"[{"Id": "111122223333", "Type": "ACCOUNT", "Tags": [{"Key": "a"}]}]"#,
            "item 1, Tags: tag 1 is not {\"Key\": \"...\", \"Value\": \"...\"}",
        ),
        (
            r#"[{"Id": "111122223333", "Type": "ACCOUNT", "Team": "core"}]"#,
            "item 1: unknown member \"Team\"; the members are Id, Type, Notes, Tags",
        ),
        (
            r#"{"Id": "111122223333", "Type": "ACCOUNT"}"#,
            "the file: expected a list of {Id, Type, Notes, Tags}",
        ),
    ];
    for (text, want) in json_bad {
        assert_eq!(problem(parse(text, Format::Json)), want, "{text}");
    }
    let yaml = "- Id: 11122223333\n  Type: ACCOUNT\n";
    assert_eq!(
        problem(parse(yaml, Format::Yaml)),
        "item 1, Id: 11122223333 is a number; quote account ids"
    );
    let broken = problem(parse("[{\"Id\": ", Format::Json));
    assert!(broken.starts_with("the file: invalid JSON: "), "{broken}");
    assert!(broken.contains("line 1"), "{broken}");
}

#[test]
fn the_format_comes_from_the_extension_else_from_the_content() {
    let of = |name: &str, text: &str| format_of(Path::new(name), text);
    assert_eq!(of("a.CSV", "[not json"), Format::Csv);
    assert_eq!(of("a.json", "Id,Type"), Format::Json);
    assert_eq!(of("a.yml", ""), Format::Yaml);
    assert_eq!(of("a.yaml", ""), Format::Yaml);
    assert_eq!(of("targets", "  [\n{}]"), Format::Json);
    assert_eq!(of("targets", "# accounts\n- Id: x\n"), Format::Yaml);
    assert_eq!(of("targets", "---\n- Id: x\n"), Format::Yaml);
    assert_eq!(of("targets.txt", "Id,Type\n1,ACCOUNT\n"), Format::Csv);
}

#[test]
fn a_file_that_cannot_be_read_or_parsed_is_a_usage_error_and_says_nothing_was_sent() {
    let Err(CliError::Usage(m)) = read("/nonexistent/targets.csv") else {
        panic!("a usage error")
    };
    assert!(
        m.starts_with("Cannot read --targets-file /nonexistent/targets.csv"),
        "{m}"
    );
    let dir = std::env::temp_dir().join(format!("targets-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.csv");
    std::fs::write(&path, "Id,Type\n111122223333,NOPE\n").unwrap();
    let Err(CliError::Usage(m)) = read(&format!("file://{}", path.display())) else {
        panic!("a usage error")
    };
    assert!(m.contains("bad.csv: line 2, Type: "), "{m}");
    assert!(m.ends_with("; nothing was sent"), "{m}");
}
