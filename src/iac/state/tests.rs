//! Unit tests of the state reader: addresses, modes, instances, sensitive paths, and every
//! kind of bad input with its code and span.

#![allow(clippy::result_large_err)] // see src/iac/state.rs

use super::*;
use miette::Diagnostic;
use proptest::prelude::*;

/// Written by terraform 1.11.4 (fixtures/states/tf111-terraform-data/main.tf): count,
/// for_each, nested modules with keys, a tainted instance, sensitive paths.
const TF111: &str = include_str!("../../../fixtures/states/tf111-terraform-data/terraform.tfstate");
const SAVED_PLAN: &[u8] = include_bytes!("../../../fixtures/states/bad/saved-plan.tfplan");
const SHOW_JSON: &str = include_str!("../../../fixtures/states/bad/show.json");
const V3: &str = include_str!("../../../fixtures/states/bad/v3-legacy.tfstate");

fn src() -> StateSource {
    StateSource("test.tfstate".into())
}

fn parse(text: &str) -> Result<RecordedState> {
    parse_state(&src(), text)
}

fn code(e: &Error) -> String {
    e.code().map(|c| c.to_string()).unwrap_or_default()
}

/// The first label's (offset, len).
fn span(e: &Error) -> Option<(usize, usize)> {
    let label = e.labels()?.next()?;
    Some((label.offset(), label.len()))
}

fn err_code(text: &str) -> String {
    match parse(text) {
        Ok(_) => "ok".into(),
        Err(e) => code(&e),
    }
}

fn addresses(state: &RecordedState) -> Vec<String> {
    state
        .resources
        .iter()
        .map(|r| r.address.to_string())
        .collect()
}

/// A v4 state with the given resources (JSON text of the array's elements).
fn v4(resources: &str) -> String {
    format!(
        r#"{{"version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "l-1",
            "outputs": {{}}, "resources": [{resources}]}}"#
    )
}

fn resource(module: Option<&str>, mode: &str, ty: &str, name: &str, instances: &str) -> String {
    let module = module
        .map(|m| format!(r#""module": {m:?},"#))
        .unwrap_or_default();
    format!(
        r#"{{{module} "mode": "{mode}", "type": "{ty}", "name": "{name}",
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{instances}]}}"#
    )
}

fn find<'a>(state: &'a RecordedState, address: &str) -> &'a RecordedResource {
    state
        .resources
        .iter()
        .find(|r| r.address.to_string() == address)
        .unwrap_or_else(|| panic!("no {address} in {:?}", addresses(state)))
}

fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, seg| {
        v.get(seg)
            .unwrap_or_else(|| panic!("no {seg} in {v:?} (path {path:?})"))
    })
}

/// Every string in `v` that is not under a `Sensitive`.
fn visible_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::List(l) => l.iter().for_each(|v| visible_strings(v, out)),
        Value::Map(m) => m.values().for_each(|v| visible_strings(v, out)),
        _ => {}
    }
}

// ---- a real state --------------------------------------------------------------------------

#[test]
fn reads_a_state_written_by_terraform_1_11() {
    let state = parse(TF111).unwrap();
    assert_eq!(state.terraform_version, "1.11.4");
    assert_eq!(state.lineage, "c6c5bfd0-24b8-75a3-f822-b1dda3a27bb4");
    assert_eq!(state.serial, 9);
    assert_eq!(state.source, src());
    // Exactly `terraform state list`, sorted.
    assert_eq!(
        addresses(&state),
        [
            "terraform_data.c[0]",
            "terraform_data.c[1]",
            "terraform_data.x",
            "terraform_data.y",
            r#"module.m["a\"q"].module.inner[0].terraform_data.leaf["k.1"]"#,
            r#"module.m["b"].module.inner[0].terraform_data.leaf["k.1"]"#,
        ]
    );
    let tainted = find(&state, "terraform_data.c[1]");
    assert_eq!(
        tainted.provider,
        r#"provider["terraform.io/builtin/terraform"]"#
    );
    assert_eq!(tainted.resource_type, "terraform_data");
    assert_eq!(tainted.schema_version, 0);
    assert_eq!(tainted.state, src());
    assert_eq!(tainted.id(), Some("36bf9feb-3770-23e5-e777-bd52241e84cd"));
    assert_eq!(
        at(&tainted.attributes["input"], &["value"]),
        &Value::Number(1.0)
    );
    assert!(tainted.attributes["triggers_replace"].is_null());
}

#[test]
fn real_sensitive_paths_hide_exactly_the_secret() {
    let state = parse(TF111).unwrap();
    // input = { tags = { secret = var.secret, plain = "p" }, list = ["a", var.secret],
    //           "odd key" = var.secret }: get_attr steps, and an index step with a number.
    let x = &find(&state, "terraform_data.x").attributes["input"];
    assert!(at(x, &["value", "tags", "secret"]).is_sensitive());
    assert_eq!(at(x, &["value", "tags", "plain"]), &Value::str("p"));
    assert!(at(x, &["value", "list", "1"]).is_sensitive());
    assert_eq!(at(x, &["value", "list", "0"]), &Value::str("a"));
    assert!(at(x, &["value", "odd key"]).is_sensitive());
    // input = tomap({ secret = var.secret, plain = "p" }): an index step with a string key.
    let y = &find(&state, "terraform_data.y").attributes["input"];
    assert!(at(y, &["value", "secret"]).is_sensitive());
    assert_eq!(at(y, &["value", "plain"]), &Value::str("p"));
    // Nowhere in `input` is the secret visible. (`terraform_data.output` is computed by the
    // provider from `input`, and terraform records no sensitive path for it: we read what
    // terraform recorded, and masking on output is `mask`'s job.)
    for r in &state.resources {
        let mut strings = Vec::new();
        visible_strings(&r.attributes["input"], &mut strings);
        assert!(
            !strings.iter().any(|s| s == "hunter2"),
            "{} leaks",
            r.address
        );
    }
}

// ---- addresses, modes, instances -----------------------------------------------------------

#[test]
fn addresses_for_modules_count_and_for_each() {
    let inst = |key: &str| {
        format!(r#"{{"index_key": {key}, "schema_version": 1, "attributes": {{"id": "x"}}}}"#)
    };
    let text = v4(&[
        resource(
            Some("module.net"),
            "managed",
            "aws_subnet",
            "app",
            &[inst("0"), inst("1")].join(","),
        ),
        resource(
            None,
            "managed",
            "aws_instance",
            "worker",
            &[inst(r#""a""#), inst(r#""b c""#)].join(","),
        ),
        resource(
            Some(r#"module.a["x"].module.b[0]"#),
            "managed",
            "aws_vpc",
            "x",
            r#"{"schema_version": 1, "attributes": {"id": "vpc-1"}}"#,
        ),
        resource(
            Some(r#"module.k["$${lit} %%{t} \\ \n"]"#),
            "managed",
            "aws_vpc",
            "y",
            r#"{"schema_version": 1, "attributes": {"id": "vpc-2"}}"#,
        ),
    ]
    .join(","));
    let state = parse(&text).unwrap();
    let all = addresses(&state);
    for want in [
        "module.net.aws_subnet.app[0]",
        "module.net.aws_subnet.app[1]",
        r#"aws_instance.worker["a"]"#,
        r#"aws_instance.worker["b c"]"#,
        r#"module.a["x"].module.b[0].aws_vpc.x"#,
    ] {
        assert!(all.iter().any(|a| a == want), "{want} not in {all:?}");
    }
    let nested = find(&state, r#"module.a["x"].module.b[0].aws_vpc.x"#);
    assert_eq!(
        nested.address.module,
        vec![
            ModuleStep {
                name: "a".into(),
                key: Some(InstanceKey::Str("x".into()))
            },
            ModuleStep {
                name: "b".into(),
                key: Some(InstanceKey::Int(0))
            },
        ]
    );
    // HCL escapes in module keys are decoded.
    let escaped = state
        .resources
        .iter()
        .find(|r| r.address.name == "y")
        .unwrap();
    assert_eq!(
        escaped.address.module[0].key,
        Some(InstanceKey::Str("${lit} %{t} \\ \n".into()))
    );
}

#[test]
fn float_index_keys_are_count_keys() {
    let text = v4(&resource(
        None,
        "managed",
        "aws_subnet",
        "a",
        r#"{"index_key": 2.0, "attributes": {}}"#,
    ));
    assert_eq!(addresses(&parse(&text).unwrap()), ["aws_subnet.a[2]"]);
}

#[test]
fn data_sources_are_dropped() {
    let text = v4(&[
        resource(
            None,
            "data",
            "aws_ami",
            "ubuntu",
            r#"{"schema_version": 0, "attributes": {"id": "ami-1"}}"#,
        ),
        resource(
            Some("module.m"),
            "data",
            "aws_vpc",
            "d",
            r#"{"schema_version": 0, "attributes": {"id": "vpc-1"}}"#,
        ),
        resource(
            None,
            "managed",
            "aws_vpc",
            "main",
            r#"{"schema_version": 1, "attributes": {"id": "vpc-2"}}"#,
        ),
    ]
    .join(","));
    let state = parse(&text).unwrap();
    assert_eq!(addresses(&state), ["aws_vpc.main"]);
    assert_eq!(state.resources[0].schema_version, 1);
}

#[test]
fn deposed_objects_are_skipped_tainted_kept() {
    let text = v4(&[
        resource(
            None,
            "managed",
            "aws_instance",
            "web",
            r#"{"schema_version": 1, "attributes": {"id": "i-new"}},
               {"deposed": "00000001", "schema_version": 1, "attributes": {"id": "i-old"}}"#,
        ),
        // Only a deposed object left: nothing current to compare.
        resource(
            None,
            "managed",
            "aws_instance",
            "gone",
            r#"{"deposed": "0000000a", "schema_version": 1, "attributes": {"id": "i-gone"}}"#,
        ),
        resource(
            None,
            "managed",
            "aws_instance",
            "sick",
            r#"{"status": "tainted", "schema_version": 1, "attributes": {"id": "i-sick"}}"#,
        ),
    ]
    .join(","));
    let state = parse(&text).unwrap();
    assert_eq!(addresses(&state), ["aws_instance.sick", "aws_instance.web"]);
    assert_eq!(find(&state, "aws_instance.web").id(), Some("i-new"));
    assert_eq!(find(&state, "aws_instance.sick").id(), Some("i-sick"));
}

#[test]
fn unknown_fields_are_tolerated() {
    let text = r#"{
      "version": 4, "terraform_version": "1.14.0", "serial": 1, "lineage": "l",
      "outputs": {"o": {"value": 1, "type": "number", "sensitive": true}},
      "check_results": [{"object_kind": "resource", "config_addr": "aws_vpc.main", "status": "pass", "objects": []}],
      "some_future_field": {"nested": [1, 2, 3]},
      "resources": [{
        "mode": "managed", "type": "aws_vpc", "name": "main", "each": "list",
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "future_resource_field": true,
        "instances": [{
          "index_key": 0, "schema_version": 1,
          "attributes": {"id": "vpc-1", "cidr_block": "10.0.0.0/16", "enable_dns_support": true,
                         "tags": {"Name": "main"}, "ipv6_netmask_length": 0},
          "identity_schema_version": 0,
          "identity": {"id": "vpc-1", "account_id": "123456789012", "region": "us-east-1"},
          "sensitive_attributes": [], "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjEifQ==",
          "dependencies": ["aws_vpc.other"], "create_before_destroy": true,
          "future_instance_field": null
        }]
      }]
    }"#;
    let state = parse(text).unwrap();
    let vpc = find(&state, "aws_vpc.main[0]");
    assert_eq!(vpc.attributes["cidr_block"], Value::str("10.0.0.0/16"));
    assert_eq!(vpc.attributes["enable_dns_support"], Value::Bool(true));
    assert_eq!(vpc.attributes["ipv6_netmask_length"], Value::Number(0.0));
    assert_eq!(at(&vpc.attributes["tags"], &["Name"]), &Value::str("main"));
    assert_eq!(vpc.region(), None);
}

#[test]
fn minimal_and_null_fields_are_accepted() {
    let state = parse(r#"{"version": 4}"#).unwrap();
    assert!(state.resources.is_empty());
    let state = parse(
        r#"{"version": 4, "serial": null, "lineage": null, "terraform_version": null,
            "resources": [{"mode": "managed", "type": "aws_vpc", "name": "a", "provider": null,
                           "instances": [{"schema_version": null, "attributes": null}]}]}"#,
    )
    .unwrap();
    assert_eq!(state.serial, 0);
    assert!(state.resources[0].attributes.is_empty());
}

#[test]
fn legacy_flat_attributes_are_expanded() {
    // The shape terraform 0.12 kept for objects upgraded from a v3 state.
    let text = v4(&resource(
        None,
        "managed",
        "aws_security_group",
        "sg",
        r#"{"schema_version": 0, "attributes_flat": {
              "id": "sg-1", "tags.%": "2", "tags.Name": "web", "tags.kubernetes.io/role": "x",
              "ingress.#": "2", "ingress.2541437006.from_port": "443",
              "ingress.2541437006.cidr_blocks.#": "1", "ingress.2541437006.cidr_blocks.0": "0.0.0.0/0",
              "ingress.10.from_port": "80", "ingress.10.cidr_blocks.#": "0",
              "names.#": "2", "names.0": "a", "names.1": "b"}}"#,
    ));
    let state = parse(&text).unwrap();
    let a = &find(&state, "aws_security_group.sg").attributes;
    assert_eq!(a["id"], Value::str("sg-1"));
    assert_eq!(at(&a["tags"], &["kubernetes.io/role"]), &Value::str("x"));
    assert_eq!(at(&a["tags"], &["Name"]), &Value::str("web"));
    assert_eq!(a["names"], Value::from(vec!["a", "b"]));
    let ingress = a["ingress"].as_list().unwrap();
    assert_eq!(ingress.len(), 2);
    assert_eq!(at(&ingress[0], &["from_port"]), &Value::str("80"));
    assert_eq!(at(&ingress[0], &["cidr_blocks"]), &Value::List(vec![]));
    assert_eq!(
        at(&ingress[1], &["cidr_blocks", "0"]),
        &Value::str("0.0.0.0/0")
    );
}

// ---- sensitive attributes ------------------------------------------------------------------

fn with_sensitive(attributes: &str, sensitive: &str) -> Attributes {
    let text = v4(&resource(
        None,
        "managed",
        "aws_db_instance",
        "db",
        &format!(
            r#"{{"schema_version": 2, "attributes": {attributes}, "sensitive_attributes": {sensitive}}}"#
        ),
    ));
    parse(&text).unwrap().resources.remove(0).attributes
}

const ATTRS: &str = r#"{"id": "db-1", "password": "pw", "username": "admin",
    "tags": {"secret": "s", "team": "t"}, "list": ["a", "b"], "set": [{"k": "v"}],
    "nested": [{"inner": {"token": "tok", "keep": "k"}}], "none": null}"#;

#[test]
fn sensitive_paths_wrap_attributes_map_keys_and_list_elements() {
    let a = with_sensitive(
        ATTRS,
        r#"[[{"type": "get_attr", "value": "password"}],
            [{"type": "get_attr", "value": "tags"}, {"type": "index", "value": {"value": "secret", "type": "string"}}],
            [{"type": "get_attr", "value": "list"}, {"type": "index", "value": {"value": 1, "type": "number"}}],
            [{"type": "get_attr", "value": "nested"}, {"type": "index", "value": {"value": 0, "type": "number"}},
             {"type": "get_attr", "value": "inner"}, {"type": "get_attr", "value": "token"}],
            [{"type": "get_attr", "value": "none"}]]"#,
    );
    assert_eq!(a["password"], Value::sensitive(Value::str("pw")));
    assert_eq!(a["username"], Value::str("admin"));
    assert_eq!(
        at(&a["tags"], &["secret"]),
        &Value::sensitive(Value::str("s"))
    );
    assert_eq!(at(&a["tags"], &["team"]), &Value::str("t"));
    assert_eq!(at(&a["list"], &["1"]), &Value::sensitive(Value::str("b")));
    assert_eq!(at(&a["list"], &["0"]), &Value::str("a"));
    assert!(at(&a["nested"], &["0", "inner", "token"]).is_sensitive());
    assert_eq!(at(&a["nested"], &["0", "inner", "keep"]), &Value::str("k"));
    // There is nothing to hide in null.
    assert!(a["none"].is_null());
    assert_eq!(a["id"], Value::str("db-1"));
}

#[test]
fn sensitive_paths_that_cannot_be_followed_hide_more_never_less() {
    // A set element is indexed by its whole value; a newer terraform may write step types we
    // do not know; a path may not fit the value. Each hides where it stops.
    let a = with_sensitive(
        ATTRS,
        r#"[[{"type": "get_attr", "value": "set"}, {"type": "index", "value": {"value": {"k": "v"}, "type": ["object", {"k": "string"}]}}],
            [{"type": "get_attr", "value": "tags"}, {"type": "future_step", "value": "?"}],
            [{"type": "get_attr", "value": "list"}, {"type": "index", "value": {"value": 7, "type": "number"}}]]"#,
    );
    assert!(a["set"].is_sensitive());
    assert!(a["tags"].is_sensitive());
    assert!(a["list"].is_sensitive());
    assert_eq!(a["password"], Value::str("pw"));
}

#[test]
fn other_sensitive_shapes_are_understood() {
    // A single step instead of a path, and a bare attribute name.
    let a = with_sensitive(
        ATTRS,
        r#"[{"type": "get_attr", "value": "password"}, "tags.secret", "username"]"#,
    );
    assert!(a["password"].is_sensitive());
    assert!(a["username"].is_sensitive());
    assert!(at(&a["tags"], &["secret"]).is_sensitive());
    assert_eq!(at(&a["tags"], &["team"]), &Value::str("t"));
    // A mask tree like `terraform show -json`'s sensitive_values.
    let a = with_sensitive(
        ATTRS,
        r#"{"password": true, "username": false, "tags": {"secret": true}, "list": [false, true]}"#,
    );
    assert!(a["password"].is_sensitive());
    assert_eq!(a["username"], Value::str("admin"));
    assert!(at(&a["tags"], &["secret"]).is_sensitive());
    assert_eq!(at(&a["list"], &["0"]), &Value::str("a"));
    assert!(at(&a["list"], &["1"]).is_sensitive());
}

#[test]
fn unreadable_sensitive_paths_hide_everything_but_the_id() {
    for unreadable in [
        "true",
        "[42]",
        "[[]]",
        r#"[[{"type": "index", "value": 0}]]"#,
    ] {
        let a = with_sensitive(ATTRS, unreadable);
        assert_eq!(a["id"], Value::str("db-1"), "{unreadable}");
        for (k, v) in &a {
            assert!(
                k == "id" || v.is_sensitive() || v.is_null(),
                "{unreadable}: {k} = {v:?}"
            );
        }
    }
}

// ---- bad input -----------------------------------------------------------------------------

#[test]
fn empty_files_are_empty() {
    assert_eq!(err_code(""), "driftgate::state::empty");
    assert_eq!(err_code(" \n\t\r\n"), "driftgate::state::empty");
}

#[test]
fn a_saved_plan_is_recognised() {
    let e = parse_state_bytes(&src(), SAVED_PLAN).unwrap_err();
    assert_eq!(code(&e), "driftgate::state::plan_file");
    let help = e.help().unwrap().to_string();
    assert!(
        help.contains("terraform state pull > terraform.tfstate"),
        "{help}"
    );
}

#[test]
fn show_json_is_recognised() {
    let e = parse(SHOW_JSON).unwrap_err();
    assert_eq!(code(&e), "driftgate::state::show_json");
    let (offset, len) = span(&e).unwrap();
    assert_eq!(&SHOW_JSON[offset..offset + len], "\"format_version\"");
    // The place, never the value found there.
    assert!(e.to_string().contains("line 1, column 2, at $"), "{e}");
    // Plan JSON too.
    let e = parse(r#"{"format_version": "1.2", "planned_values": {}, "resource_changes": []}"#)
        .unwrap_err();
    assert_eq!(code(&e), "driftgate::state::show_json");
}

#[test]
fn legacy_formats_say_how_to_upgrade() {
    let e = parse(V3).unwrap_err();
    assert_eq!(code(&e), "driftgate::state::legacy_version");
    let (offset, len) = span(&e).unwrap();
    assert_eq!(&V3[offset..offset + len], "3");
    let help = e.help().unwrap().to_string();
    assert!(
        help.contains("terraform state pull") && help.contains("0.12"),
        "{help}"
    );
    for v in [0, 1, 2] {
        let text = format!(r#"{{"version": {v}, "serial": 1, "modules": []}}"#);
        assert_eq!(err_code(&text), "driftgate::state::legacy_version", "v{v}");
    }
}

#[test]
fn newer_formats_are_refused() {
    let text = r#"{"version": 5, "terraform_version": "2.0.0", "resources": []}"#;
    let e = parse(text).unwrap_err();
    assert_eq!(code(&e), "driftgate::state::unsupported_version");
    assert!(e.help().unwrap().to_string().contains("terraform 2.0.0"));
    let (offset, len) = span(&e).unwrap();
    assert_eq!(&text[offset..offset + len], "5");
}

#[test]
fn garbage_is_not_json() {
    for text in [
        "hello world",
        "terraform.tfstate",
        "{version: 4}",
        "<html></html>",
        "{\"version\": 4} trailing",
    ] {
        assert_eq!(err_code(text), "driftgate::state::not_json", "{text:?}");
    }
    // Binary that is not a zip, and gzip.
    let e = parse_state_bytes(&src(), b"\x00\x01\xFF\xFEbinary").unwrap_err();
    assert_eq!(code(&e), "driftgate::state::not_json");
    assert_eq!(span(&e), Some((2, 3)), "the U+FFFD standing for byte 0xFF");
    let e = parse_state_bytes(&src(), b"\x1F\x8B\x08\x00\x00\x00\x00\x00").unwrap_err();
    assert!(e.to_string().contains("gzip"), "{e}");
}

#[test]
fn truncated_files_are_truncated() {
    for cut in [1, 100, TF111.len() / 2, TF111.len() - 3] {
        let e = parse(&TF111[..cut]).unwrap_err();
        assert_eq!(code(&e), "driftgate::state::truncated", "cut at {cut}");
        assert_eq!(span(&e), Some((cut, 0)));
    }
}

#[test]
fn json_that_is_not_a_state() {
    for text in [
        "[]",
        "{}",
        "42",
        "\"state\"",
        "null",
        "true",
        r#"{"serial": 1, "resources": []}"#,
    ] {
        assert_eq!(err_code(text), "driftgate::state::not_a_state", "{text}");
    }
    let e =
        parse(r#"{"serial": 1, "encrypted_data": "abc", "encryption_version": "v0"}"#).unwrap_err();
    assert!(e.to_string().contains("encrypted OpenTofu"), "{e}");
}

#[test]
fn v4_states_with_wrong_structure_are_invalid() {
    let cases: Vec<(String, &str)> = vec![
        (r#"{"version": "4"}"#.into(), r#""4""#),
        (r#"{"version": 4, "resources": {}}"#.into(), "{"),
        (
            v4(&resource(
                None,
                "managed",
                "aws_vpc",
                "a",
                r#"{"index_key": true, "attributes": {}}"#,
            )),
            "true",
        ),
        (
            v4(&resource(
                None,
                "managed",
                "aws_vpc",
                "a",
                r#"{"index_key": 1.5, "attributes": {}}"#,
            )),
            "1.5",
        ),
        (
            v4(&resource(
                None,
                "ephemeral",
                "aws_vpc",
                "a",
                r#"{"attributes": {}}"#,
            )),
            r#""ephemeral""#,
        ),
        (
            v4(&resource(
                None,
                "managed",
                "aws_vpc",
                "a",
                r#"{"status": "weird", "attributes": {}}"#,
            )),
            r#""weird""#,
        ),
        (
            v4(&resource(
                None,
                "managed",
                "aws_vpc",
                "a",
                r#"{"attributes": [1, 2]}"#,
            )),
            "[1, 2]",
        ),
        (
            v4(&resource(
                Some("modules.x"),
                "managed",
                "aws_vpc",
                "a",
                r#"{"attributes": {}}"#,
            )),
            r#""modules.x""#,
        ),
        (
            v4(&resource(
                Some(r#"module.x["unclosed]"#),
                "managed",
                "aws_vpc",
                "a",
                r#"{"attributes": {}}"#,
            )),
            r#""module.x[\"unclosed]""#,
        ),
        (
            v4(&resource(
                None,
                "managed",
                "aws_vpc",
                "a",
                r#"{"attributes": {}}, {"attributes": {}}"#,
            )),
            r#"{"attributes": {}}"#,
        ),
    ];
    for (text, at) in cases {
        let e = parse(&text).unwrap_err();
        assert_eq!(code(&e), "driftgate::state::parse", "{text}: {e}");
        let (offset, len) = span(&e).unwrap_or_else(|| panic!("no span for {text}"));
        assert!(
            text[offset..offset + len].starts_with(at),
            "{text}: span {:?}, want {at:?} ({e})",
            &text[offset..offset + len]
        );
    }
}

#[test]
fn syntax_errors_point_at_the_error() {
    let text = "{\n  \"version\": 4,\n  \"serial\": ?,\n  \"resources\": []\n}\n";
    let e = parse(text).unwrap_err();
    assert_eq!(code(&e), "driftgate::state::not_json");
    let (offset, len) = span(&e).unwrap();
    assert_eq!(&text[offset..offset + len], "?");
    assert!(
        e.to_string().contains("line 3, column 13, at $.serial"),
        "{e}"
    );
    // Multi-byte text before the error on the same line.
    let text = "{\"lineage\": \"é€\", \"version\": 4, x}";
    let e = parse(text).unwrap_err();
    let (offset, len) = span(&e).unwrap();
    assert_eq!(&text[offset..offset + len], "x");
    // A type error inside a v4 state has a position too.
    let text = "{\"version\": 4,\n \"serial\": \"nine\"}";
    let e = parse(text).unwrap_err();
    assert_eq!(code(&e), "driftgate::state::parse");
    let (offset, len) = span(&e).unwrap();
    assert_eq!(&text[offset..offset + len], "\"nine\"", "{e}");
    assert!(!e.to_string().contains("nine"), "a value is quoted: {e}");
    assert!(
        e.to_string().contains("line 2, column 12, at $.serial"),
        "{e}"
    );
    let text = "{\"version\": 4, \"serial\": -12}";
    let (offset, len) = span(&parse(text).unwrap_err()).unwrap();
    assert_eq!(&text[offset..offset + len], "-12");
}

#[test]
fn a_byte_order_mark_is_tolerated_and_spans_still_fit() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(TF111.as_bytes());
    assert_eq!(
        parse_state_bytes(&src(), &bytes).unwrap().resources.len(),
        6
    );
    let bad = b"\xEF\xBB\xBF{\"version\": 2}";
    let e = parse_state_bytes(&src(), bad).unwrap_err();
    assert_eq!(span(&e), Some((15, 1)));
}

#[test]
fn locate_finds_values_by_path() {
    let text = r#" {"a": [1, {"b\"": "x", "c": [true, {"d": null}]}], "e": {}} "#;
    let get = |path: &[Loc<'_>]| locate(text, path).map(|r| &text[r]);
    assert_eq!(get(&[Loc::Key("a"), Loc::Index(0)]), Some("1"));
    assert_eq!(
        get(&[Loc::Key("a"), Loc::Index(1), Loc::Key("b\"")]),
        Some(r#""x""#)
    );
    assert_eq!(
        get(&[
            Loc::Key("a"),
            Loc::Index(1),
            Loc::Key("c"),
            Loc::Index(1),
            Loc::Key("d")
        ]),
        Some("null")
    );
    assert_eq!(get(&[Loc::Key("e")]), Some("{}"));
    assert_eq!(get(&[Loc::Key("zz")]), None);
    assert_eq!(get(&[Loc::Key("a"), Loc::Index(5)]), None);
    assert_eq!(locate_key(text, "e").map(|r| &text[r]), Some(r#""e""#));
}

// ---- properties ----------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_state_bytes(&src(), &bytes);
    }

    #[test]
    fn never_panics_on_arbitrary_strings(text in ".{0,256}") {
        let _ = parse(&text);
    }

    #[test]
    fn never_panics_on_json_like_strings(text in r#"[\[\]{}":,0-9a-z\\ \n.-]{0,128}"#) {
        let _ = parse(&text);
        let _ = parse(&format!(r#"{{"version": 4, "resources": [{text}]}}"#));
    }

    #[test]
    fn truncations_of_a_valid_state_are_errors(cut in 0..TF111.len()) {
        // Only trailing whitespace may go: the rest always leaves a broken document.
        let kept = &TF111[..cut];
        if kept.trim_end().len() < TF111.trim_end().len() {
            prop_assert!(parse(kept).is_err());
        }
    }

    #[test]
    fn byte_flips_of_a_valid_state_never_panic(
        flips in proptest::collection::vec((0..TF111.len(), any::<u8>()), 1..4)
    ) {
        let mut bytes = TF111.as_bytes().to_vec();
        for (at, b) in flips {
            bytes[at] = b;
        }
        let _ = parse_state_bytes(&src(), &bytes);
    }
}

#[test]
fn json_paths_name_the_value_at_an_offset() {
    use super::json_path_at;
    let text = r#"{"resources": [{"a": 1}, {"instances": [{"attributes": {"tag key": "x"}}]}]}"#;
    let at = |needle: &str| json_path_at(text, text.find(needle).unwrap());
    assert_eq!(at("1}"), "$.resources[0].a");
    assert_eq!(
        at("\"x\""),
        r#"$.resources[1].instances[0].attributes["tag key"]"#
    );
    assert_eq!(json_path_at(text, 0), "$");
    // Cut short, or broken after the offset: the path of what was open there.
    assert_eq!(json_path_at(r#"{"a": [1, {"b": "#, 16), "$.a[1].b");
}

#[test]
fn type_errors_say_what_was_found_never_the_value() {
    let text = r#"{"version": 4, "serial": "hunter2, expected \"oops\""}"#;
    let e = parse(text).unwrap_err();
    let msg = e.to_string();
    assert!(!msg.contains("hunter2") && !msg.contains("oops"), "{msg}");
    assert!(msg.contains("found string, expected u64"), "{msg}");
    let e = parse(r#"{"version": "hunter2"}"#).unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = parse(r#"{"version": 4, "resources": [{"mode": "hunter2", "type": "t", "name": "n", "instances": []}]}"#)
        .unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(e.to_string().contains("at $.resources[0].mode"), "{e}");
}
