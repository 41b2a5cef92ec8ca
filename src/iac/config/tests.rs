use crate::model::Address;
use std::path::PathBuf;

use super::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/config")
        .join(name)
}

/// A configuration directory made of the given files.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn load(files: &[(&str, &str)]) -> Configuration {
    let dir = dir_with(files);
    load_config(dir.path()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn resource<'a>(
    config: &'a Configuration,
    module: &[&str],
    ty: &str,
    name: &str,
) -> &'a ConfiguredResource {
    config
        .resources
        .iter()
        .find(|r| r.module_path == module && r.resource_type == ty && r.name == name)
        .unwrap_or_else(|| panic!("no {module:?} {ty}.{name}"))
}

fn s(v: &str) -> Value {
    Value::str(v)
}

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Renders a diagnostic as a user sees it, without colour.
fn render(err: &Error) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, err)
        .expect("renders");
    out
}

#[test]
fn probe_configuration_reads_every_block_with_its_line() {
    let config = load_config(&fixture("probe")).expect("loads");
    let found: Vec<String> = config
        .resources
        .iter()
        .map(|r| format!("{}.{} {}", r.resource_type, r.name, r.source))
        .collect();
    assert_eq!(
        found,
        [
            "aws_iam_access_key.k main.tf:113",
            "aws_iam_policy.p main.tf:92",
            "aws_iam_role.app main.tf:79",
            "aws_iam_role_policy.app_inline main.tf:87",
            "aws_iam_role_policy_attachment.a main.tf:96",
            "aws_iam_user.u main.tf:100",
            "aws_iam_user_policy.up main.tf:104",
            "aws_iam_user_policy_attachment.ua main.tf:109",
            "aws_instance.worker main.tf:71",
            "aws_security_group.db main.tf:46",
            "aws_security_group.web main.tf:29",
            "aws_security_group_rule.db_in main.tf:51",
            "aws_subnet.app main.tf:22",
            "aws_vpc.main main.tf:17",
            "aws_vpc_security_group_egress_rule.db_all main.tf:66",
            "aws_vpc_security_group_ingress_rule.db_https main.tf:59",
        ]
    );
    assert_eq!(config.backend, None);

    let role = resource(&config, &[], "aws_iam_role", "app");
    assert_eq!(
        role.attributes["assume_role_policy"],
        s(
            r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}],"Version":"2012-10-17"}"#
        )
    );
    let attachment = resource(&config, &[], "aws_iam_role_policy_attachment", "a");
    assert_eq!(attachment.attributes["role"], Value::Unknown);

    let subnet = resource(&config, &[], "aws_subnet", "app");
    assert!(subnet.has_count_or_for_each);
    assert_eq!(subnet.attributes["cidr_block"], Value::Unknown);
    let instances = subnet.instances.as_ref().expect("count = 2 is known");
    assert_eq!(instances.len(), 2);
    assert_eq!(
        instances[&Some(InstanceKey::Int(1))]["cidr_block"],
        s("10.0.1.0/24")
    );
    assert_eq!(
        instances[&Some(InstanceKey::Int(1))]["tags"],
        map(&[("Name", s("app-1"))])
    );

    let worker = resource(&config, &[], "aws_instance", "worker");
    let instances = worker
        .instances
        .as_ref()
        .expect("for_each over a literal set");
    assert_eq!(
        instances[&Some(InstanceKey::Str("a".into()))]["tags"],
        map(&[("Name", s("worker-a"))])
    );

    let web = resource(&config, &[], "aws_security_group", "web");
    assert!(web.block_attributes.contains("ingress"));
    assert_eq!(
        web.attributes["ingress"],
        Value::List(vec![map(&[
            ("cidr_blocks", Value::from(vec!["10.0.0.0/8"])),
            ("from_port", Value::from(443)),
            ("protocol", s("tcp")),
            ("to_port", Value::from(443)),
        ])])
    );
}

#[test]
fn local_modules_tfvars_locals_and_backend() {
    let config = load_config(&fixture("modules")).expect("loads");

    let role = resource(&config, &[], "aws_iam_role", "app");
    // *.auto.tfvars beat terraform.tfvars, which beats the default; locals in any order.
    assert_eq!(role.attributes["name"], s("acme-prod-app"));
    assert_eq!(role.attributes["description"], Value::Unknown);
    assert_eq!(
        role.attributes["tags"],
        map(&[
            ("Name", s("APP")),
            ("env", s("prod")),
            ("owner", s("platform"))
        ])
    );
    assert_eq!(role.source.to_string(), "main.tf:48");

    let vpc = resource(&config, &["net"], "aws_vpc", "this");
    assert_eq!(vpc.source.to_string(), "modules/net/main.tf:10");
    assert_eq!(vpc.attributes["cidr_block"], s("10.9.0.0/16"));
    assert_eq!(
        vpc.attributes["tags"],
        map(&[
            ("Name", s("acme-prod-vpc")),
            ("env", s("prod")),
            ("owner", s("platform"))
        ])
    );

    let subnets = resource(&config, &["net"], "aws_subnet", "this");
    let cidrs: Vec<(Option<InstanceKey>, Value)> = subnets
        .instances
        .as_ref()
        .expect("count from a module argument")
        .iter()
        .map(|(k, a)| (k.clone(), a["cidr_block"].clone()))
        .collect();
    assert_eq!(
        cidrs,
        [
            (Some(InstanceKey::Int(0)), s("10.9.0.0/24")),
            (Some(InstanceKey::Int(1)), s("10.9.1.0/24")),
        ]
    );

    // A module called from a module, with `../`.
    let user = resource(&config, &["net", "inner"], "aws_iam_user", "svc");
    assert_eq!(user.source.to_string(), "modules/shared/main.tf:3");
    assert_eq!(user.attributes["name"], s("acme-prod-vpc-svc"));
    let address = Address::managed("aws_iam_user", "svc")
        .in_module("net", None)
        .in_module("inner", None);
    assert_eq!(config.find(&address).map(|r| &r.source), Some(&user.source));

    assert_eq!(
        config.modules_not_followed,
        [ModuleNotFollowed {
            module_path: vec!["consul".into()],
            source: Some("hashicorp/consul/aws".into()),
            location: SourceLocation {
                file: "main.tf".into(),
                line: 43
            },
        }]
    );
    assert!(config.is_inside_unfollowed_module(&["consul".into(), "x".into()]));

    let backend = config.backend.as_ref().expect("backend");
    assert_eq!(
        backend,
        &Backend::S3 {
            bucket: Some("acme-tfstate".into()),
            key: Some("network/terraform.tfstate".into()),
            region: Some("eu-west-1".into()),
            workspace_key_prefix: Some("ws".into()),
        }
    );
    assert_eq!(
        backend.s3_state_uri("default").as_deref(),
        Some("s3://acme-tfstate/network/terraform.tfstate")
    );
    assert_eq!(
        backend.s3_state_uri("blue").as_deref(),
        Some("s3://acme-tfstate/ws/blue/network/terraform.tfstate")
    );
}

#[test]
fn addresses_match_their_block_whatever_the_instance_keys() {
    let config = load(&[
        (
            "main.tf",
            "module \"app\" {\n  source   = \"./app\"\n  for_each = toset([\"x\"])\n}\n",
        ),
        (
            "app/main.tf",
            "resource \"aws_instance\" \"web\" {\n  count = 1\n  ami = \"ami-1\"\n}\n",
        ),
    ]);
    let address = Address::managed("aws_instance", "web")
        .with_key(InstanceKey::Int(0))
        .in_module("app", Some(InstanceKey::Str("x".into())));
    assert_eq!(address.to_string(), "module.app[\"x\"].aws_instance.web[0]");
    let found = config.find(&address).expect("found");
    assert_eq!(found.source.to_string(), "app/main.tf:1");
    assert!(found.in_repeated_module);
    assert_eq!(
        found.instances, None,
        "a repeated module's instances are not known"
    );
    assert_eq!(found.attributes["ami"], s("ami-1"));

    assert!(
        config
            .find(&Address::managed("aws_instance", "web"))
            .is_none()
    );
    let mut data = address.clone();
    data.mode = Mode::Data;
    assert!(config.find(&data).is_none());
}

#[test]
fn ignore_changes_list_and_all() {
    let config = load(&[(
        "main.tf",
        r#"
resource "aws_instance" "a" {
  ami = "ami-1"
  lifecycle {
    ignore_changes = [ami, tags["Name"], ebs_block_device[0].volume_size, "user_data"]
  }
}

resource "aws_instance" "b" {
  ami = "ami-1"

  lifecycle {
    create_before_destroy = true
    ignore_changes        = all
  }
}

resource "aws_instance" "c" {
  ami = "ami-1"
}
"#,
    )]);
    let a = resource(&config, &[], "aws_instance", "a");
    assert_eq!(
        a.ignore_changes,
        IgnoreChanges::Paths(vec![
            Path::root("ami"),
            Path::root("tags").key("Name"),
            Path::root("ebs_block_device").index(0).key("volume_size"),
            Path::root("user_data"),
        ])
    );
    assert_eq!(
        a.ignore_changes_source.as_ref().unwrap().to_string(),
        "main.tf:4"
    );
    assert!(a.ignore_changes.ignores(&Path::root("tags").key("Name")));
    assert!(!a.ignore_changes.ignores(&Path::root("tags").key("team")));
    assert!(!a.ignore_changes.ignores(&Path::root("tags")));
    assert!(!a.attributes.contains_key("lifecycle"));

    let b = resource(&config, &[], "aws_instance", "b");
    assert_eq!(b.ignore_changes, IgnoreChanges::All);
    assert!(b.ignore_changes.ignores(&Path::root("anything")));
    assert_eq!(
        b.ignore_changes_source.as_ref().unwrap().to_string(),
        "main.tf:12"
    );

    let c = resource(&config, &[], "aws_instance", "c");
    assert_eq!(c.ignore_changes, IgnoreChanges::None);
    assert_eq!(c.ignore_changes_source, None);
}

#[test]
fn duplicate_object_keys_are_accepted_last_one_wins() {
    let config = load(&[(
        "main.tf",
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags = {
    Name = "first"
    team = "core"
    Name = "second"
    "Name" = "last"
  }
}

resource "aws_iam_policy" "p" {
  policy = jsonencode({ Version = "2012-10-17", Version = "2012-10-17", Statement = [] })
}
"#,
    )]);
    let vpc = resource(&config, &[], "aws_vpc", "main");
    assert_eq!(
        vpc.attributes["tags"],
        map(&[("Name", s("last")), ("team", s("core"))])
    );
    // The block after the renamed keys still has its own line.
    let p = resource(&config, &[], "aws_iam_policy", "p");
    assert_eq!(p.source.line, 12);
    assert_eq!(
        p.attributes["policy"],
        s(r#"{"Statement":[],"Version":"2012-10-17"}"#)
    );
}

#[test]
fn syntax_error_is_a_diagnostic_pointing_at_the_token() {
    let err = load_config(&fixture("broken")).expect_err("refused");
    assert!(
        matches!(&err, Error::ConfigSyntax { path, line: 3, column: 26, .. } if path == "main.tf"),
        "{err:?}"
    );
    insta::assert_snapshot!(render(&err));
}

#[test]
fn syntax_error_after_a_duplicate_key_points_into_the_file_as_written() {
    // The renamed key makes the parsed text longer; the span must still be the file's.
    let dir = dir_with(&[("main.tf", "x = { a = 1, a = 2 }\ny = [1 2]\n")]);
    let err = load_config(dir.path()).expect_err("refused");
    let Error::ConfigSyntax {
        line, column, span, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*line, *column), (2, 8));
    assert_eq!(span.offset(), "x = { a = 1, a = 2 }\ny = [1 ".len());
}

/// A syntax error names the place and, outside a string literal, the token; never the lines
/// around it, where a secret may be.
#[test]
fn syntax_errors_never_show_a_secret() {
    const SECRET: &str = "hunter2-Zx9Qp";
    for (file, text, token) in [
        (
            "terraform.tfvars",
            format!("db_password = \"{SECRET}\"\nb = [1 2]\n"),
            Some("2"),
        ),
        (
            "terraform.tfvars",
            format!("db_password = \"{SECRET}\n"),
            None,
        ),
        (
            "terraform.tfvars",
            format!("db_password = \"{SECRET}\" oops\n"),
            Some("oops"),
        ),
        (
            "terraform.tfvars",
            format!("x = <<EOT\n{SECRET} \"\nEOT\ny = [1 2]\n"),
            None,
        ),
        (
            "main.tf",
            format!("locals {{\n  p = \"{SECRET}\"\n  q = {{ a = 1 b = 2 }}\n}}\n"),
            Some("b"),
        ),
    ] {
        let mut files = vec![("main.tf", "variable \"db_password\" {}\nvariable \"b\" {}\nvariable \"x\" {}\nvariable \"y\" {}\n".to_string())];
        if file == "main.tf" {
            files[0].1 = text.clone();
        } else {
            files.push((file, text.clone()));
        }
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let dir = dir_with(&refs);
        let err = load_config(dir.path()).expect_err("refused");
        let Error::ConfigSyntax { token: t, path, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(path, file);
        let shown = render(&err);
        assert!(!shown.contains(SECRET), "{text}: {shown}");
        assert!(!format!("{err:?}").contains(SECRET), "{text}");
        if let Some(tok) = token {
            assert_eq!(t.as_deref(), Some(tok), "{text}: {shown}");
        }
    }
}

#[test]
fn syntax_error_in_tfvars() {
    let dir = dir_with(&[
        ("main.tf", "variable \"a\" {}\n"),
        ("terraform.tfvars", "a = \n"),
    ]);
    let err = load_config(dir.path()).expect_err("refused");
    assert!(
        matches!(&err, Error::ConfigSyntax { path, line: 1, .. } if path == "terraform.tfvars"),
        "{err:?}"
    );
}

#[test]
fn missing_local_module_is_a_diagnostic() {
    let dir = dir_with(&[("main.tf", "module \"net\" {\n  source = \"./nope\"\n}\n")]);
    let err = load_config(dir.path()).expect_err("refused");
    let Error::ConfigModule { name, span, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(name, "net");
    assert_eq!(
        span.map(|s| s.offset()),
        Some("module \"net\" {\n  source = ".len())
    );
}

#[test]
fn a_module_calling_itself_stops() {
    let dir = dir_with(&[("main.tf", "module \"me\" {\n  source = \"./\"\n}\n")]);
    let err = load_config(dir.path()).expect_err("refused");
    assert!(matches!(err, Error::ConfigModule { .. }), "{err:?}");
}

#[test]
fn a_directory_without_tf_files_is_refused() {
    let dir = dir_with(&[("README.md", "nothing here")]);
    let err = load_config(dir.path()).expect_err("refused");
    assert!(matches!(err, Error::ConfigEmpty { .. }), "{err:?}");
}

#[test]
fn nested_and_dynamic_blocks_and_meta_arguments() {
    let config = load(&[(
        "main.tf",
        r#"
variable "ports" {
  default = [80, 443]
}
resource "aws_security_group" "g" {
  provider   = aws.west
  depends_on = [aws_vpc.main]
  name       = "g"
  ingress {
    from_port = 22
    to_port   = 22
  }
  ingress {
    from_port = 80
    to_port   = 80
  }
  dynamic "egress" {
    for_each = var.ports
    content {
      from_port = egress.value
    }
  }
}
"#,
    )]);
    let g = resource(&config, &[], "aws_security_group", "g");
    let keys: Vec<&str> = g.attributes.keys().map(String::as_str).collect();
    assert_eq!(keys, ["egress", "ingress", "name"]);
    assert_eq!(g.attributes["egress"], Value::Unknown);
    assert_eq!(
        g.attributes["ingress"].as_list().map(<[Value]>::len),
        Some(2)
    );
    assert_eq!(
        g.block_attributes
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["egress", "ingress"]
    );
}

#[test]
fn sensitive_variables_stay_wrapped_and_unknown_for_each_is_not_expanded() {
    let config = load(&[(
        "main.tf",
        r#"
variable "password" {
  default   = "hunter2"
  sensitive = true
}
resource "aws_db_instance" "db" {
  password = var.password
}
resource "aws_iam_user" "u" {
  for_each = toset(data.external.names.result)
  name     = each.key
}
"#,
    )]);
    let db = resource(&config, &[], "aws_db_instance", "db");
    assert_eq!(db.attributes["password"], Value::sensitive(s("hunter2")));
    let u = resource(&config, &[], "aws_iam_user", "u");
    assert!(u.has_count_or_for_each);
    assert_eq!(u.instances, None);
    assert_eq!(u.attributes["name"], Value::Unknown);
}

#[test]
fn relative_paths_read_as_the_user_writes_them() {
    assert_eq!(join_rel("", "main.tf"), "main.tf");
    assert_eq!(join_rel("", "./modules/net"), "modules/net");
    assert_eq!(join_rel("modules/net", "../shared"), "modules/shared");
    assert_eq!(join_rel("", "../other"), "../other");
    assert_eq!(join_rel("../other", "../x/"), "../x");
}
