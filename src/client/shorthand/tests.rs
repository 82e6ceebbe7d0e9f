//! The shorthand parser against the page's examples and awscli's own answers.
use super::*;
use serde_json::json;

fn ok(s: &str) -> Value {
    parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

#[test]
fn the_pages_account_target_parses_into_id_and_type() {
    assert_eq!(
        ok("Id=123456789012,Type=ACCOUNT"),
        json!({"Id": "123456789012", "Type": "ACCOUNT"})
    );
}

#[test]
fn the_pages_email_target_keeps_the_at_sign_and_dots() {
    assert_eq!(
        ok("Id=diego@example.com,Type=EMAIL"),
        json!({"Id": "diego@example.com", "Type": "EMAIL"})
    );
}

#[test]
fn an_empty_value_at_the_end_is_an_empty_string() {
    assert_eq!(ok("Key=c,Value="), json!({"Key": "c", "Value": ""}));
}

#[test]
fn an_empty_value_in_the_middle_is_an_empty_string() {
    assert_eq!(ok("Value=,Key=c"), json!({"Value": "", "Key": "c"}));
}

#[test]
fn a_value_may_contain_equals_signs_and_spaces() {
    assert_eq!(
        ok("Key=a,Value=x=y z"),
        json!({"Key": "a", "Value": "x=y z"})
    );
}

#[test]
fn a_comma_without_a_following_key_makes_a_list() {
    assert_eq!(ok("a=b,c"), json!({"a": ["b", "c"]}));
    assert_eq!(ok("a=b,c,d=e"), json!({"a": ["b", "c"], "d": "e"}));
}

#[test]
fn escaped_and_quoted_commas_stay_in_the_value() {
    assert_eq!(ok(r"Value=a\,b"), json!({"Value": "a,b"}));
    assert_eq!(ok("Value=\"a,b\""), json!({"Value": "a,b"}));
    assert_eq!(ok("Value='it\\'s, ok'"), json!({"Value": "it's, ok"}));
}

#[test]
fn whitespace_around_separators_is_ignored() {
    assert_eq!(
        ok("Id = 123456789012 , Type = ACCOUNT"),
        json!({"Id": "123456789012", "Type": "ACCOUNT"})
    );
}

#[test]
fn brackets_and_braces_nest() {
    assert_eq!(
        ok("a=[b,c],d={e=f}"),
        json!({"a": ["b", "c"], "d": {"e": "f"}})
    );
}

#[test]
fn a_repeated_key_is_rejected_with_a_caret_under_it() {
    let e = parse("Id=1,Id=2").unwrap_err().to_string();
    assert_eq!(
        e,
        "Second instance of key \"Id\" encountered for input:\nId=1,Id=2\n     ^\n\
         This is often because there is a preceding \",\" instead of a space."
    );
}

#[test]
fn a_key_without_equals_is_rejected() {
    let e = parse("Id").unwrap_err().to_string();
    assert!(
        e.starts_with("Expected: '=', received: 'EOF' for input:\nId\n  ^"),
        "{e}"
    );
    let e = parse("Id=1,Type=ACCOUNT,").unwrap_err().to_string();
    assert!(e.starts_with("Expected: '<second>'"), "{e}");
    // As in awscli, a trailing word is a list item; the shape check
    // then rejects a list where a string belongs.
    assert_eq!(ok("Id=1,Type"), json!({"Id": ["1", "Type"]}));
}

#[test]
fn an_unterminated_quote_or_bracket_is_rejected() {
    assert!(parse("Id=\"abc").is_err());
    assert!(parse("Id=[a,b").is_err());
    assert!(parse("Id={a=b").is_err());
}

#[test]
fn key_at_equals_reads_a_file() {
    let dir = std::env::temp_dir().join(format!("shorthand-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("id.txt");
    std::fs::write(&path, "123456789012").unwrap();
    let v = ok(&format!("Id@=file://{},Type=ACCOUNT", path.display()));
    assert_eq!(v, json!({"Id": "123456789012", "Type": "ACCOUNT"}));
    // Without `@`, a file:// value is taken literally.
    assert_eq!(ok("Id=file://x"), json!({"Id": "file://x"}));
}

/// `testdata/shorthand.tsv`: inputs and what awscli's own parser made of
/// them (`ERR` where it refused).
#[test]
fn every_case_parses_as_awscli_parses_it() {
    for line in include_str!("../testdata/shorthand.tsv").lines() {
        let (input, want) = line.split_once('\t').unwrap();
        let input: String = serde_json::from_str(input).unwrap();
        match (parse(&input), want) {
            (Err(_), "ERR") => {}
            (Ok(got), want) if want != "ERR" => {
                let want: Value = serde_json::from_str(want).unwrap();
                assert_eq!(got, want, "{input:?}");
            }
            (got, want) => panic!("{input:?}: got {got:?}, awscli: {want}"),
        }
    }
}
