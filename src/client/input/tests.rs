//! Tests of `client::input`.
use super::*;
use serde_json::json;

fn target(raw: &str) -> Result<Value, CliError> {
    let mut input = Input::new(&schema::INVITE, None, None).unwrap();
    input.set_flag("Target", "--target", raw)?;
    let v: Value = input.finish()?;
    Ok(v["Target"].clone())
}

fn tags(raw: &[&str]) -> Result<Value, CliError> {
    let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
    let mut input = Input::new(&schema::INVITE, None, None).unwrap();
    input.set_flag("Target", "--target", "Id=123456789012,Type=ACCOUNT")?;
    input.set_list_flag("Tags", "--tags", &raw)?;
    let v: Value = input.finish()?;
    Ok(v["Tags"].clone())
}

fn usage(e: Result<Value, CliError>) -> String {
    match e {
        Err(CliError::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

fn temp_file(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("cli-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    format!("file://{}", path.display())
}

#[test]
fn the_pages_shorthand_targets_parse() {
    assert_eq!(
        target("Id=123456789012,Type=ACCOUNT").unwrap(),
        json!({"Id": "123456789012", "Type": "ACCOUNT"})
    );
    assert_eq!(
        target("Id=diego@example.com,Type=EMAIL").unwrap(),
        json!({"Id": "diego@example.com", "Type": "EMAIL"})
    );
}

#[test]
fn the_pages_json_target_parses() {
    assert_eq!(
        target(r#"{"Type": "EMAIL", "Id": "juan@example.com"}"#).unwrap(),
        json!({"Id": "juan@example.com", "Type": "EMAIL"})
    );
    assert_eq!(
        target(r#"  {"Type": "ACCOUNT", "Id": "123456789012"}"#).unwrap()["Id"],
        "123456789012"
    );
}

#[test]
fn a_target_can_come_from_a_file_in_either_syntax() {
    let json_file = temp_file(
        "target.json",
        r#"{"Type": "EMAIL", "Id": "juan@example.com"}"#,
    );
    assert_eq!(target(&json_file).unwrap()["Id"], "juan@example.com");
    let shorthand_file = temp_file("target.txt", "Id=123456789012,Type=ACCOUNT\n");
    assert_eq!(target(&shorthand_file).unwrap()["Type"], "ACCOUNT");
}

#[test]
fn shorthand_tags_are_one_argv_item_each() {
    assert_eq!(
        tags(&["Key=a,Value=b", "Key=c,Value="]).unwrap(),
        json!([{"Key": "a", "Value": "b"}, {"Key": "c", "Value": ""}])
    );
}

#[test]
fn json_tags_are_one_list() {
    assert_eq!(
        tags(&[r#"[{"Key":"a","Value":"b"}]"#]).unwrap(),
        json!([{"Key": "a", "Value": "b"}])
    );
    assert_eq!(
        tags(&[r#"{"Key":"a","Value":"b"}"#, "Key=c,Value=d"]).unwrap(),
        json!([{"Key": "a", "Value": "b"}, {"Key": "c", "Value": "d"}])
    );
    let file = temp_file("tags.json", r#"[{"Key":"team","Value":"core"}]"#);
    assert_eq!(tags(&[&file]).unwrap()[0]["Value"], "core");
}

#[test]
fn a_string_value_can_come_from_a_file() {
    let file = temp_file("notes.txt", "Welcome aboard.");
    let mut input = Input::new(&schema::INVITE, None, None).unwrap();
    input
        .set_flag("Target", "--target", "Id=123456789012,Type=ACCOUNT")
        .unwrap();
    input.set_flag("Notes", "--notes", &file).unwrap();
    let v: Value = input.finish().unwrap();
    assert_eq!(v["Notes"], "Welcome aboard.");
}

#[test]
fn bad_targets_are_usage_errors_that_name_the_problem() {
    let m = usage(target("Id=123456789012"));
    assert!(
        m.contains("Missing required parameter in Target: \"Type\""),
        "{m}"
    );
    let m = usage(target("Id=1,Type=PERSON"));
    assert!(
        m.contains("valid values: ACCOUNT, ORGANIZATION, EMAIL"),
        "{m}"
    );
    let m = usage(target("Id=1,Type=ACCOUNT,Foo=bar"));
    assert!(m.contains("Unknown parameter in Target: \"Foo\""), "{m}");
    let m = usage(target("Id=1,Id=2"));
    assert!(
        m.starts_with("Error parsing parameter '--target': Second instance"),
        "{m}"
    );
    let m = usage(target(r#"{"Id": 1"#));
    assert!(
        m.contains("Invalid JSON:") && m.contains("JSON received: {\"Id\": 1"),
        "{m}"
    );
    let m = usage(target(r#"{"Id": 123456789012, "Type": "ACCOUNT"}"#));
    assert!(m.contains("Invalid type for parameter Target.Id"), "{m}");
    let m = usage(target("123456789012"));
    assert!(m.contains("Expected: '='"), "{m}");
    let m = usage(target("file:///nonexistent/target.json"));
    assert!(
        m.contains("Unable to load paramfile file:///nonexistent/target.json"),
        "{m}"
    );
}

#[test]
fn bad_tags_are_usage_errors() {
    let m = usage(tags(&["Key=a,Value=b", "Key=c"]));
    assert!(
        m.contains("Missing required parameter in Tags[1]: \"Value\""),
        "{m}"
    );
    let m = usage(tags(&["Key=a,Value=b,Value=c"]));
    assert!(m.contains("Second instance of key \"Value\""), "{m}");
    let m = usage(tags(&[r#"[{"Key":"a","Value":null}]"#]));
    assert!(
        m.contains("Invalid type for parameter Tags[0].Value"),
        "{m}"
    );
}

#[test]
fn command_line_values_override_cli_input_json() {
    let json = r#"{"Target": {"Id": "111111111111", "Type": "ACCOUNT"}, "Notes": "from json"}"#;
    let mut input = Input::new(&schema::INVITE, Some(json), None).unwrap();
    input.set_flag("Notes", "--notes", "from flag").unwrap();
    let v: Value = input.finish().unwrap();
    assert_eq!(v["Target"]["Id"], "111111111111");
    assert_eq!(v["Notes"], "from flag");
}

#[test]
fn cli_input_yaml_reads_the_same_parameters() {
    let yaml = "Target:\n  Id: '111111111111'\n  Type: ACCOUNT\nTags:\n- Key: a\n  Value: ''\n";
    let input = Input::new(&schema::INVITE, None, Some(yaml)).unwrap();
    let v: Value = input.finish().unwrap();
    assert_eq!(v["Tags"], json!([{"Key": "a", "Value": ""}]));
}

#[test]
fn bad_cli_input_is_a_usage_error() {
    assert!(matches!(
        Input::new(&schema::INVITE, Some("[1]"), None),
        Err(CliError::Usage(_))
    ));
    assert!(matches!(
        Input::new(&schema::INVITE, Some("{"), None),
        Err(CliError::Usage(_))
    ));
    let input = Input::new(&schema::INVITE, Some(r#"{"Bogus": 1}"#), None).unwrap();
    let m = usage(input.finish::<Value>());
    assert!(m.contains("Unknown parameter in input: \"Bogus\""), "{m}");
    assert!(
        m.contains("Missing required parameter in input: \"Target\""),
        "{m}"
    );
}
