use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};

use super::*;
use crate::iac::config::load_config;
use crate::model::{Address, SourceLocation, StateSource};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/config")
        .join(name)
}

fn config_of(files: &[(&str, &str)]) -> Configuration {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    load_config(dir.path()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap()),
        serde_json::Value::String(s) => Value::str(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(json_value).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), json_value(v))).collect())
        }
    }
}

/// Just enough of a v4 state reader for these tests (root module resources; top-level
/// sensitive attributes wrapped), so they do not depend on `iac::state`.
fn recorded_from(path: &FsPath) -> Vec<RecordedResource> {
    let text = std::fs::read_to_string(path).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for r in state["resources"].as_array().unwrap() {
        if r["mode"] != "managed" {
            continue;
        }
        let ty = r["type"].as_str().unwrap();
        for inst in r["instances"].as_array().unwrap() {
            let mut address = Address::managed(ty, r["name"].as_str().unwrap());
            address.key = match &inst["index_key"] {
                serde_json::Value::Number(n) => Some(InstanceKey::Int(n.as_i64().unwrap())),
                serde_json::Value::String(s) => Some(InstanceKey::Str(s.clone())),
                _ => None,
            };
            let Value::Map(mut attributes) = json_value(&inst["attributes"]) else {
                panic!("attributes")
            };
            for p in inst["sensitive_attributes"].as_array().unwrap() {
                if let Some(name) = p[0]["value"].as_str()
                    && let Some(v) = attributes.get_mut(name)
                {
                    *v = Value::sensitive(v.clone());
                }
            }
            out.push(RecordedResource {
                address,
                resource_type: ty.to_string(),
                provider: r["provider"].as_str().unwrap().to_string(),
                state: StateSource(path.display().to_string()),
                schema_version: 0,
                attributes,
            });
        }
    }
    out
}

fn recorded(address: Address, attrs: &[(&str, Value)]) -> RecordedResource {
    RecordedResource {
        resource_type: address.resource_type.clone(),
        address,
        provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
        state: StateSource("terraform.tfstate".into()),
        schema_version: 0,
        attributes: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

fn all(_: &str, _: &str) -> bool {
    true
}

fn identity(_: &str, _: &str, v: &Value, _: &Attributes) -> Value {
    v.clone()
}

/// Stands in for the spec's `iam_policy_document` normalizer: a policy document compares as
/// its JSON tree (the provider records AWS's key order, `jsonencode` sorts keys).
fn policy_tree(_: &str, attr: &str, v: &Value, _: &Attributes) -> Value {
    match (attr, v) {
        ("policy" | "assume_role_policy", Value::String(text)) => serde_json::from_str(text)
            .map(|json: serde_json::Value| json_value(&json))
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

/// One line per item: kind, address, path, desired -> recorded, source.
fn lines(items: &[Pending]) -> Vec<String> {
    items
        .iter()
        .map(|p| {
            let mut line = format!("{} {}", p.kind, p.address);
            if let Some(path) = &p.path {
                line.push_str(&format!(" {path}: {} -> {}", p.desired, p.recorded));
            }
            match &p.source {
                Some(s) => line.push_str(&format!(" @{s}")),
                None => line.push_str(" @-"),
            }
            line
        })
        .collect()
}

fn s(v: &str) -> Value {
    Value::str(v)
}

#[test]
fn probe_as_applied_has_nothing_pending() {
    let config = load_config(&fixture("probe")).unwrap();
    let state = recorded_from(&fixture("probe/terraform.tfstate"));
    assert_eq!(state.len(), 17);
    // Without the policy normalizer, the documents differ in key order only.
    let raw = pending(&config, &state, &all, &identity);
    assert_eq!(
        raw.iter().map(|p| p.address.as_str()).collect::<Vec<_>>(),
        ["aws_iam_role_policy.app_inline", "aws_iam_user_policy.up"]
    );
    let items = pending(&config, &state, &all, &policy_tree);
    assert_eq!(lines(&items), Vec::<String>::new());
}

#[test]
fn probe_edited_lists_exactly_what_was_edited() {
    let config = load_config(&fixture("probe-edited")).unwrap();
    let state = recorded_from(&fixture("probe/terraform.tfstate"));
    let items = pending(&config, &state, &all, &policy_tree);
    assert_eq!(
        lines(&items),
        [
            r#"attribute_differs aws_iam_role_policy.app_inline policy.Statement[0].Action: ["s3:GetObject", "s3:PutObject"] -> ["s3:GetObject"] @main.tf:87"#,
            "not_yet_created aws_iam_user.ci @main.tf:109",
            "no_longer_configured aws_iam_user_policy_attachment.ua @-",
            r#"attribute_differs aws_instance.worker["a"] instance_type: "t3.large" -> "t3.micro" @main.tf:71"#,
            r#"attribute_differs aws_vpc.main tags.team: "platform" -> "core" @main.tf:17"#,
        ]
    );
    let created = &items[1];
    assert_eq!(created.resource_type, "aws_iam_user");
    assert_eq!(created.desired.get("name"), Some(&s("ci")));
    assert_eq!(
        created.source,
        Some(SourceLocation {
            file: "main.tf".into(),
            line: 109
        })
    );
}

#[test]
fn only_compared_attributes_count() {
    let config = load_config(&fixture("probe-edited")).unwrap();
    let state = recorded_from(&fixture("probe/terraform.tfstate"));
    let compared = |ty: &str, attr: &str| !(ty == "aws_instance" && attr == "instance_type");
    let items = pending(&config, &state, &compared, &policy_tree);
    assert!(
        !lines(&items).iter().any(|l| l.contains("instance_type")),
        "{:?}",
        lines(&items)
    );
    assert_eq!(items.len(), 4);
}

#[test]
fn both_sides_go_through_the_same_normalization() {
    let config = config_of(&[(
        "main.tf",
        "resource \"aws_iam_user\" \"u\" {\n  name = \"Deploy\"\n  path = \"/a/\"\n}\n",
    )]);
    let state = [recorded(
        Address::managed("aws_iam_user", "u"),
        &[("name", s("deploy")), ("path", s("/b/"))],
    )];
    // Without normalization, both differ.
    assert_eq!(pending(&config, &state, &all, &identity).len(), 2);
    // A normalizer that folds case for `name` on both sides leaves only `path`.
    let fold = |_: &str, attr: &str, v: &Value, _: &Attributes| match (attr, v) {
        ("name", Value::String(s)) => Value::str(s.to_lowercase()),
        _ => v.clone(),
    };
    let items = pending(&config, &state, &all, &fold);
    assert_eq!(
        lines(&items),
        [r#"attribute_differs aws_iam_user.u path: "/a/" -> "/b/" @main.tf:1"#]
    );
}

#[test]
fn ignore_changes_paths_and_all_are_not_pending() {
    let config = config_of(&[(
        "main.tf",
        r#"resource "aws_instance" "a" {
  ami           = "ami-new"
  instance_type = "t3.large"
  tags          = { Name = "new", team = "new" }
  lifecycle {
    ignore_changes = [ami, tags["Name"]]
  }
}
resource "aws_instance" "b" {
  ami = "ami-new"
  lifecycle {
    ignore_changes = all
  }
}
"#,
    )]);
    let old = |name: &str| {
        recorded(
            Address::managed("aws_instance", name),
            &[
                ("ami", s("ami-old")),
                ("instance_type", s("t3.micro")),
                (
                    "tags",
                    Value::Map(BTreeMap::from([
                        ("Name".to_string(), s("old")),
                        ("team".to_string(), s("old")),
                    ])),
                ),
            ],
        )
    };
    let items = pending(&config, &[old("a"), old("b")], &all, &identity);
    assert_eq!(
        lines(&items),
        [
            r#"attribute_differs aws_instance.a instance_type: "t3.large" -> "t3.micro" @main.tf:1"#,
            r#"attribute_differs aws_instance.a tags.team: "new" -> "old" @main.tf:1"#,
        ]
    );
}

#[test]
fn count_changes_add_and_remove_instances() {
    let config = config_of(&[(
        "main.tf",
        r#"variable "n" {
  default = 3
}
resource "aws_subnet" "s" {
  count      = var.n
  cidr_block = "10.0.${count.index}.0/24"
}
resource "aws_subnet" "t" {
  count      = 1
  cidr_block = "10.1.0.0/24"
}
resource "aws_subnet" "u" {
  count      = length(data.aws_availability_zones.all.names)
  cidr_block = "10.2.0.0/24"
}
"#,
    )]);
    let sub = |name: &str, i: i64, cidr: &str| {
        recorded(
            Address::managed("aws_subnet", name).with_key(InstanceKey::Int(i)),
            &[("cidr_block", s(cidr))],
        )
    };
    let state = [
        sub("s", 0, "10.0.0.0/24"),
        sub("s", 1, "10.0.9.0/24"),
        sub("t", 0, "10.1.0.0/24"),
        sub("t", 1, "10.1.1.0/24"),
        sub("u", 0, "10.2.0.0/24"),
    ];
    let items = pending(&config, &state, &all, &identity);
    assert_eq!(
        lines(&items),
        [
            r#"attribute_differs aws_subnet.s[1] cidr_block: "10.0.1.0/24" -> "10.0.9.0/24" @main.tf:4"#,
            "not_yet_created aws_subnet.s[2] @main.tf:4",
            "no_longer_configured aws_subnet.t[1] @main.tf:8",
            // `u`'s count is unknown: nothing is said about instances it may create.
        ]
    );
}

#[test]
fn adding_or_removing_count_is_terraforms_implicit_move() {
    let config = config_of(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  count = 1\n  cidr_block = \"10.0.0.0/16\"\n}\n\
         resource \"aws_vpc\" \"b\" {\n  cidr_block = \"10.1.0.0/16\"\n}\n",
    )]);
    let state = [
        recorded(
            Address::managed("aws_vpc", "a"),
            &[("cidr_block", s("10.0.0.0/16"))],
        ),
        recorded(
            Address::managed("aws_vpc", "b").with_key(InstanceKey::Int(0)),
            &[("cidr_block", s("10.1.0.0/16"))],
        ),
    ];
    assert_eq!(
        lines(&pending(&config, &state, &all, &identity)),
        Vec::<String>::new()
    );
}

#[test]
fn unknown_values_are_skipped_and_scalars_compare_as_terraform_converts() {
    let config = config_of(&[(
        "main.tf",
        r#"resource "aws_security_group_rule" "r" {
  security_group_id = aws_security_group.g.id
  from_port         = "443"
  to_port           = 443
  self              = "false"
  description       = ""
  cidr_blocks       = [var.nope, "10.0.0.0/8"]
  tags              = { a = "x", b = aws_vpc.v.id }
}
"#,
    )]);
    let state = [recorded(
        Address::managed("aws_security_group_rule", "r"),
        &[
            ("security_group_id", s("sg-1")),
            ("from_port", Value::from(443)),
            ("to_port", Value::from(443)),
            ("self", Value::Bool(false)),
            ("description", Value::Null),
            (
                "cidr_blocks",
                Value::from(vec!["10.9.9.9/32", "10.0.0.0/8"]),
            ),
            (
                "tags",
                Value::Map(BTreeMap::from([
                    ("a".to_string(), s("y")),
                    ("b".to_string(), s("vpc-1")),
                ])),
            ),
        ],
    )];
    assert_eq!(
        lines(&pending(&config, &state, &all, &identity)),
        [r#"attribute_differs aws_security_group_rule.r tags.a: "x" -> "y" @main.tf:1"#]
    );
}

#[test]
fn sensitive_recorded_values_stay_wrapped() {
    let config = config_of(&[(
        "main.tf",
        "resource \"aws_db_instance\" \"d\" {\n  password = \"new-password\"\n  username = \"admin\"\n}\n",
    )]);
    let state = [recorded(
        Address::managed("aws_db_instance", "d"),
        &[
            ("password", Value::sensitive(s("old-password"))),
            ("username", Value::sensitive(s("admin"))),
        ],
    )];
    let items = pending(&config, &state, &all, &identity);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].path, Some(Path::root("password")));
    assert_eq!(items[0].desired, Value::sensitive(s("new-password")));
    assert_eq!(items[0].recorded, Value::sensitive(s("old-password")));
    assert_eq!(
        lines(&items),
        ["attribute_differs aws_db_instance.d password: (sensitive) -> (sensitive) @main.tf:1"]
    );
}

#[test]
fn nested_blocks_compare_on_the_fields_they_name() {
    let rule = |port: i64| {
        Value::Map(BTreeMap::from([
            ("cidr_blocks".to_string(), Value::from(vec!["10.0.0.0/8"])),
            ("description".to_string(), s("")),
            ("from_port".to_string(), Value::from(port)),
            ("ipv6_cidr_blocks".to_string(), Value::List(vec![])),
            ("protocol".to_string(), s("tcp")),
            ("self".to_string(), Value::Bool(false)),
            ("to_port".to_string(), Value::from(port)),
        ]))
    };
    let state = [recorded(
        Address::managed("aws_security_group", "g"),
        &[("ingress", Value::List(vec![rule(443), rule(22)]))],
    )];
    let block = |port: i64| {
        format!(
            "  ingress {{\n    from_port = {port}\n    to_port = {port}\n    protocol = \"tcp\"\n    cidr_blocks = [\"10.0.0.0/8\"]\n  }}\n"
        )
    };
    // Same rules, other order, fewer fields named: nothing pending.
    let same = config_of(&[(
        "main.tf",
        &format!(
            "resource \"aws_security_group\" \"g\" {{\n{}{}}}\n",
            block(22),
            block(443)
        ),
    )]);
    assert_eq!(
        lines(&pending(&same, &state, &all, &identity)),
        Vec::<String>::new()
    );
    // One port changed: the attribute is pending.
    let changed = config_of(&[(
        "main.tf",
        &format!(
            "resource \"aws_security_group\" \"g\" {{\n{}{}}}\n",
            block(22),
            block(8443)
        ),
    )]);
    let items = pending(&changed, &state, &all, &identity);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].path, Some(Path::root("ingress")));
}

#[test]
fn resources_of_unfollowed_modules_are_not_reported_gone() {
    let config = config_of(&[(
        "main.tf",
        "module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n",
    )]);
    let state = [
        recorded(
            Address::managed("aws_vpc", "this").in_module("vpc", None),
            &[],
        ),
        recorded(
            Address::managed("aws_vpc", "gone").in_module("old", None),
            &[],
        ),
    ];
    assert_eq!(
        lines(&pending(&config, &state, &all, &identity)),
        ["no_longer_configured module.old.aws_vpc.gone @-"]
    );
}

/// A resource block an `import` block names is to be imported, not "not yet created" (issue
/// 17): also for an instance of a `for_each` block; a block no import names is still not yet
/// created.
#[test]
fn an_import_block_makes_its_resource_to_be_imported() {
    let config = config_of(&[(
        "main.tf",
        r#"
import {
  to = aws_iam_role.rogue
  id = "rogue"
}
import {
  to = aws_instance.worker["a"]
  id = "i-0123"
}
resource "aws_iam_role" "rogue" {
  name = "rogue"
}
resource "aws_instance" "worker" {
  for_each      = toset(["a", "b"])
  instance_type = "t3.micro"
}
resource "aws_vpc" "new" {
  cidr_block = "10.9.0.0/16"
}
"#,
    )]);
    assert_eq!(
        config
            .imports
            .iter()
            .map(|i| i.to.as_str())
            .collect::<Vec<_>>(),
        ["aws_iam_role.rogue", "aws_instance.worker[\"a\"]"]
    );
    assert_eq!(config.imports[0].source.to_string(), "main.tf:2");
    let items = pending(&config, &[], &all, &identity);
    let kinds: Vec<(String, PendingKind)> =
        items.iter().map(|p| (p.address.clone(), p.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("aws_iam_role.rogue".to_string(), PendingKind::ToBeImported),
            (
                "aws_instance.worker[\"a\"]".to_string(),
                PendingKind::ToBeImported
            ),
            (
                "aws_instance.worker[\"b\"]".to_string(),
                PendingKind::NotYetCreated
            ),
            ("aws_vpc.new".to_string(), PendingKind::NotYetCreated),
        ]
    );
}
