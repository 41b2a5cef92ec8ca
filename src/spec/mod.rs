//! Resource specs: what driftgate knows about each terraform resource type.
//!
//! One HCL file per type under `providers/` (embedded in the binary) says how a recorded
//! resource and an observed object are matched (identity), which attributes are compared and
//! how (a closed list of named [`Compare`] modes implemented in `normalize`), which values equal
//! absence (defaults), which attributes other resource types manage instead (`managed_by`), and
//! which resource an object belongs to (`parent`). Logic a spec cannot say becomes a named
//! compare mode in Rust, never an expression language. See docs/providers.md.

use std::collections::BTreeMap;

use hcl::eval::Evaluate;

use crate::error::{Error, Result};
use crate::model::{Attributes, Value};

/// The embedded spec files, by path under `providers/`, sorted: derived from the directory by
/// `build.rs`, so a type's spec file is its registration.
pub const SPEC_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/spec_files.rs"));

/// How an attribute's two sides are brought to one canonical form before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Compare {
    /// Equal as values (after defaults).
    Exact,
    /// A list whose order and duplicates do not matter.
    Set,
    /// A tag map: `tags_all` preferred on the recorded side, `aws:` tags dropped, null = `{}`.
    TagMap,
    /// An IAM policy document compared by meaning.
    IamPolicyDocument,
    /// Security group rule blocks, compared as a set of single-source rules.
    SgRules,
    /// An IP protocol: `6` = `tcp`, `all` = `-1`.
    IpProtocol,
    /// A port of an `aws_security_group_rule`: 0 for protocol `-1`, whatever EC2 reports.
    Port,
    /// A role's `inline_policy` blocks: a set by name, documents compared by meaning.
    InlinePolicies,
    /// A route table's `route` blocks: a set of routes, each only its destination and targets
    /// that have a value (null and `""` are one).
    Routes,
    /// A network ACL's `ingress`/`egress` entries: a set, protocols as numbers, ports and ICMP
    /// fields only where the protocol gives them meaning.
    NaclEntries,
    /// A network ACL entry's protocol as its number: `tcp` = `6`, `all` = `-1`.
    NaclProtocol,
    /// A network ACL entry's port: the number for TCP and UDP, 0 otherwise.
    NaclPort,
    /// A network ACL entry's ICMP type or code: the number for ICMP/ICMPv6, 0 otherwise.
    NaclIcmp,
    /// An HTTPS URL whose `https://` is optional: an OIDC provider's `url`, which AWS (and so
    /// the state) holds without it and the provider's configuration needs with it.
    HttpsUrl,
}

impl Compare {
    pub const ALL: &[(&str, Compare)] = &[
        ("exact", Compare::Exact),
        ("set", Compare::Set),
        ("tag_map", Compare::TagMap),
        ("iam_policy_document", Compare::IamPolicyDocument),
        ("sg_rules", Compare::SgRules),
        ("ip_protocol", Compare::IpProtocol),
        ("port", Compare::Port),
        ("inline_policies", Compare::InlinePolicies),
        ("routes", Compare::Routes),
        ("nacl_entries", Compare::NaclEntries),
        ("nacl_protocol", Compare::NaclProtocol),
        ("nacl_port", Compare::NaclPort),
        ("nacl_icmp", Compare::NaclIcmp),
        ("https_url", Compare::HttpsUrl),
    ];

    pub fn name(self) -> &'static str {
        name_in(Compare::ALL, self).unwrap_or("exact")
    }
}

/// How a changed attribute is put back to its recorded value: the inverse of the provider's
/// mapping, named from a closed list and implemented in `planner::aws` (the SDK operations each
/// one plans). An attribute with no `revert` is `immutable` (terraform replaces the resource)
/// or left to `terraform apply -target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Revert {
    /// Tags: ec2:CreateTags/DeleteTags, iam:TagRole/UntagRole (and User, Policy).
    Tags,
    /// A security group's inline `ingress`/`egress`: authorize and revoke the difference.
    SgRules,
    /// An `aws_security_group_rule`'s source lists: authorize and revoke the difference.
    SgRuleSources,
    /// An `aws_vpc_security_group_*_rule`: ec2:ModifySecurityGroupRules.
    VpcSgRule,
    /// ec2:ModifyVpcAttribute.
    VpcAttribute,
    /// ec2:ModifySubnetAttribute.
    SubnetAttribute,
    /// ec2:ModifyInstanceAttribute on a running instance (no stop).
    InstanceAttribute,
    /// ec2:MonitorInstances/UnmonitorInstances.
    InstanceMonitoring,
    /// ec2:StopInstances, ModifyInstanceAttribute, StartInstances: interrupts the workload.
    InstanceAttributeStopped,
    /// iam:UpdateAssumeRolePolicy.
    AssumeRolePolicy,
    /// iam:UpdateRole (description, max session duration).
    UpdateRole,
    /// iam:PutRolePermissionsBoundary/DeleteRolePermissionsBoundary (and User).
    PermissionsBoundary,
    /// iam:PutRolePolicy/PutUserPolicy of an inline policy resource's document.
    InlinePolicyDocument,
    /// A role's `inline_policy` blocks: put the recorded ones, delete the others.
    InlinePolicies,
    /// A role's `managed_policy_arns`: attach the recorded ones, detach the others.
    ManagedPolicyArns,
    /// iam:CreatePolicyVersion as default (deleting the oldest non-default version at five).
    PolicyVersion,
    /// iam:UpdateUser (path).
    UpdateUser,
    /// A revert a resource unit provides (`UnitRevert`), by the name its spec uses. Any
    /// snake_case name outside the list above; `spec::tests::coherence` checks that a unit of
    /// the type's service provides it.
    Unit(&'static str),
}

impl Revert {
    pub const ALL: &[(&str, Revert)] = &[
        ("tags", Revert::Tags),
        ("sg_rules", Revert::SgRules),
        ("sg_rule_sources", Revert::SgRuleSources),
        ("vpc_sg_rule", Revert::VpcSgRule),
        ("vpc_attribute", Revert::VpcAttribute),
        ("subnet_attribute", Revert::SubnetAttribute),
        ("instance_attribute", Revert::InstanceAttribute),
        ("instance_monitoring", Revert::InstanceMonitoring),
        (
            "instance_attribute_stopped",
            Revert::InstanceAttributeStopped,
        ),
        ("assume_role_policy", Revert::AssumeRolePolicy),
        ("update_role", Revert::UpdateRole),
        ("permissions_boundary", Revert::PermissionsBoundary),
        ("inline_policy_document", Revert::InlinePolicyDocument),
        ("inline_policies", Revert::InlinePolicies),
        ("managed_policy_arns", Revert::ManagedPolicyArns),
        ("policy_version", Revert::PolicyVersion),
        ("update_user", Revert::UpdateUser),
    ];

    pub fn name(self) -> &'static str {
        if let Revert::Unit(name) = self {
            return name;
        }
        name_in(Revert::ALL, self).unwrap_or("tags")
    }

    /// A name from the closed list, or a unit's revert.
    fn parse(file: &str, name: &str) -> Result<Revert> {
        if let Some((_, r)) = Revert::ALL.iter().find(|(n, _)| *n == name) {
            return Ok(*r);
        }
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return named(file, "revert", Revert::ALL, name);
        }
        Ok(Revert::Unit(intern(name)))
    }
}

/// A unit revert's name with the static lifetime [`Revert`] needs (each distinct name is kept
/// once for the life of the process; there are a few dozen).
fn intern(name: &str) -> &'static str {
    use std::collections::BTreeSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// How a missing resource is re-created through the SDK (`recreate = "..."` on the resource);
/// without one, a missing resource is left to `terraform apply -target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recreate {
    /// Authorize every source of an `aws_security_group_rule`.
    SgRuleSources,
    /// iam:AttachRolePolicy/AttachUserPolicy.
    AttachPolicy,
    /// iam:PutRolePolicy/PutUserPolicy.
    InlinePolicy,
}

impl Recreate {
    pub const ALL: &[(&str, Recreate)] = &[
        ("sg_rule_sources", Recreate::SgRuleSources),
        ("attach_policy", Recreate::AttachPolicy),
        ("inline_policy", Recreate::InlinePolicy),
    ];

    pub fn name(self) -> &'static str {
        name_in(Recreate::ALL, self).unwrap_or("inline_policy")
    }
}

/// The name a closed list (`ALL`) gives a value.
fn name_in<T: PartialEq>(all: &[(&'static str, T)], value: T) -> Option<&'static str> {
    all.iter().find(|(_, v)| *v == value).map(|(n, _)| *n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Regional,
    Global,
}

/// `managed_by "TYPE" { via = "ATTR", where = {...} }`: when a recorded resource of TYPE whose
/// ATTR equals this resource's id (and whose attributes match `where`) exists, this attribute
/// belongs to it and is not compared here.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedBy {
    pub resource_type: String,
    pub via: String,
    pub filter: BTreeMap<String, Value>,
}

/// `parent "TYPE" { via = "ATTR", attribute = "NAME", where = {...} }`: this object belongs to
/// the TYPE resource whose id is in ATTR; when given, the parent's attribute NAME already
/// describes it (so an unrecorded object is a change of the parent, not an unmanaged object,
/// unless another resource type manages that attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct Parent {
    pub resource_type: String,
    pub via: String,
    pub attribute: Option<String>,
    pub filter: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttributeSpec {
    pub name: String,
    pub compare: Compare,
    /// The value that equals absence (null, `""`, `[]`, `{}`).
    pub default: Option<Value>,
    /// The provider marks it sensitive: never printed, fingerprinted in recorded observations.
    pub sensitive: bool,
    pub managed_by: Vec<ManagedBy>,
    /// How a change is put back in place (`revert = "..."`), when the SDK can.
    pub revert: Option<Revert>,
    /// Changing it replaces the resource (`immutable = true`): a revert is
    /// `terraform apply -replace`.
    pub immutable: bool,
    /// Its value costs one call per object (`read = "recorded"`): a scan reads it only for
    /// objects a state records, where the comparison needs it; an unmanaged object's value is
    /// read only when the whole object is wanted (`plan`, whose imports write it).
    pub read_recorded_only: bool,
    /// The provider computes it (`computed = true`): compared, but not an argument, so the
    /// configuration `plan`'s imports generate leaves it out (terraform rejects a value for it).
    pub computed: bool,
    /// The provider's schema has a nested block, not an argument (`block = true`): imports
    /// write each item of the observed list as a `NAME { ... }` block.
    pub block: bool,
    /// Written on import, never compared (`import_only = true`): an argument the provider
    /// requires (or takes) that is not a compared attribute, such as an identity attribute
    /// (`subnet_id` of an ACL association), a value the import id fixes (an SSH key's
    /// `encoding`) or one the provider never reads back (a key pair's `public_key`). Kept in
    /// [`ResourceSpec::import_only`], never in [`ResourceSpec::attributes`].
    pub import_only: bool,
    /// What an import-only attribute is written as (`value = "{id}"`, `value = ["{group}"]`):
    /// a [`fill`] template (or a list of them) over the observed attributes, instead of the
    /// observed value of the same name.
    pub import_value: Option<Value>,
    /// The provider never reads it back (`ignore_changes = true`, import-only): written with
    /// `lifecycle { ignore_changes = [NAME] }`, so that the value written cannot plan a change
    /// (a key pair's `public_key`, which terraform would otherwise replace the key pair for).
    pub ignore_changes: bool,
    /// An import-only attribute some objects do not have (`optional = true`: an association's
    /// `subnet_id` or `gateway_id`): left out when absent, instead of a required variable.
    pub import_optional: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSpec {
    pub resource_type: String,
    pub file: String,
    pub service: String,
    pub scope: Scope,
    /// Attributes whose values, joined by `identity_separator`, identify an object on both sides.
    /// A part may name alternatives, `a|b`: the first of them with a value (a route's
    /// destination is its IPv4 CIDR, its IPv6 CIDR or its prefix list).
    pub identity: Vec<String>,
    pub identity_separator: String,
    /// Attributes that each stand for one more object (one EC2 rule per CIDR block).
    pub identity_fanout: Vec<String>,
    pub parents: Vec<Parent>,
    /// Sorted by name.
    pub attributes: Vec<AttributeSpec>,
    /// How a missing resource is re-created through the SDK (`recreate = "..."`).
    pub recreate: Option<Recreate>,
    /// The id terraform's `import {}` takes, in the provider's documented format, as a
    /// [`fill`] template over the observed attributes (`import_id = "{route_table_id}_{destination_cidr_block}"`).
    /// `None`: the identity.
    pub import_id: Option<String>,
    /// The AWS CLI command that removes an unmanaged object, a [`fill`] template whose values
    /// are shell-quoted (`delete = "aws ec2 delete-vpc --vpc-id {id}"`). `None`: a person
    /// deletes it by hand.
    pub delete: Option<String>,
    /// The name of the `resource` block an import writes, as a [`fill`] template over the
    /// observed attributes (`import_name = "{route_table_id}_{destination_cidr_block}"`), for
    /// types whose id alone makes a poor name (a route's `rtb-1_0.0.0.0/0`). A value naming a
    /// parent (its `via`) becomes the parent's name in the state when the state records it;
    /// an ARN becomes its last segment; a boolean the attribute's name when true, nothing when
    /// false. `None`: the id's last segment (`sg-0abc` → `sg_0abc`, a role's ARN → its name).
    pub import_name: Option<String>,
    /// Attributes written on import and never compared (`attribute "X" { import_only = true }`),
    /// sorted by name.
    pub import_only: Vec<AttributeSpec>,
    /// Why terraform cannot import this type with configuration (`no_import = "..."`): the
    /// provider has no importer for it. `plan` never writes import blocks for it.
    pub no_import: Option<String>,
    /// Observed attributes that are never compared but travel with a finding, so that the
    /// policy can judge it (`context = ["policy"]`: the document of the policy an attachment
    /// attaches). Shown with an unmanaged object and with a changed one's observed side.
    pub context: Vec<String>,
}

/// The names of an identity part or template placeholder that names alternatives (`a|b`).
pub fn alternatives(part: &str) -> impl Iterator<Item = &str> {
    part.split('|')
}

impl ResourceSpec {
    /// Every attribute the identity names (each alternative of a part).
    pub fn identity_names(&self) -> impl Iterator<Item = &str> {
        self.identity.iter().flat_map(|p| alternatives(p))
    }

    pub fn attribute(&self, name: &str) -> Option<&AttributeSpec> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The id `import {}` takes for an object with these observed attributes and this
    /// identity (`id`): the spec's `import_id` template filled, else the identity.
    pub fn import_id_of(
        &self,
        observed: &Attributes,
        id: &str,
    ) -> std::result::Result<String, String> {
        match &self.import_id {
            Some(template) => fill(template, observed, str::to_string),
            None => Ok(id.to_string()),
        }
    }
}

/// All specs, by resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    specs: BTreeMap<String, ResourceSpec>,
}

impl Registry {
    /// The specs embedded in this binary.
    pub fn builtin() -> Result<Registry> {
        Registry::from_sources(SPEC_FILES.iter().copied())
    }

    pub fn from_sources<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Registry> {
        let mut specs = BTreeMap::new();
        for (file, text) in files {
            let spec = parse_spec(file, text)?;
            if specs.contains_key(&spec.resource_type) {
                return Err(spec_error(
                    file,
                    format!("`{}` is specified twice", spec.resource_type),
                ));
            }
            specs.insert(spec.resource_type.clone(), spec);
        }
        Ok(Registry { specs })
    }

    pub fn get(&self, resource_type: &str) -> Option<&ResourceSpec> {
        self.specs.get(resource_type)
    }

    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.specs.keys().map(String::as_str)
    }

    pub fn specs(&self) -> impl Iterator<Item = &ResourceSpec> {
        self.specs.values()
    }

    /// The markdown table of supported types in docs/supported-resources.md.
    pub fn supported_types_markdown(&self) -> String {
        let mut out = String::from(
            "# Supported resource types\n\n\
             Generated from `providers/` by `cargo test` (set `DRIFTGATE_BLESS=1` to rewrite).\n\
             Attributes not listed are computed or not observable and are never compared.\n\
             An attribute marked *recorded only* costs one API call per object (`read = \"recorded\"`):\n\
             a scan reads it for the objects a state records, `plan` and `observe` for every object.\n\n\
             | type | service | identity | compared attributes |\n|---|---|---|---|\n",
        );
        for s in self.specs.values() {
            let attrs: Vec<String> = s
                .attributes
                .iter()
                .map(|a| {
                    let mut notes: Vec<&str> = Vec::new();
                    if a.compare != Compare::Exact {
                        notes.push(a.compare.name());
                    }
                    if a.read_recorded_only {
                        notes.push("*recorded only*");
                    }
                    if notes.is_empty() {
                        format!("`{}`", a.name)
                    } else {
                        format!("`{}` ({})", a.name, notes.join("; "))
                    }
                })
                .collect();
            // Alternatives (`a|b`) in words: a `|` would split the table's cell.
            let mut identity = s
                .identity
                .iter()
                .map(|p| p.replace('|', " or "))
                .collect::<Vec<_>>()
                .join(&s.identity_separator);
            if !s.identity_fanout.is_empty() {
                identity.push_str(&format!(" + one of {}", s.identity_fanout.join(", ")));
            }
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                s.resource_type,
                s.service,
                identity,
                if attrs.is_empty() {
                    "(identity only)".to_string()
                } else {
                    attrs.join(", ")
                }
            ));
        }
        let no_import: Vec<String> = self
            .specs
            .values()
            .filter_map(|s| {
                let why = s.no_import.as_ref()?;
                Some(format!("- `{}`: {why}.\n", s.resource_type))
            })
            .collect();
        if !no_import.is_empty() {
            out.push_str(
                "\n## Not imported\n\n\
                 `plan` writes no import blocks for these types (the action stays `manual`):\n\n",
            );
            out.extend(no_import);
        }
        out
    }
}

/// Whether `attrs` satisfy a `where = { key = value }` filter.
pub fn filter_matches(filter: &BTreeMap<String, Value>, attrs: &Attributes) -> bool {
    filter.iter().all(|(k, v)| attrs.get(k) == Some(v))
}

fn spec_error(file: &str, reason: impl Into<String>) -> Error {
    Error::Spec {
        file: file.to_string(),
        reason: reason.into(),
    }
}

/// One top-level key of a spec's `resource` block.
fn spec_key(file: &str, spec: &mut ResourceSpec, key: &str, v: &Value) -> Result<()> {
    match key {
        "service" => spec.service = string(file, "service", v)?,
        "scope" => {
            spec.scope = match string(file, "scope", v)?.as_str() {
                "regional" => Scope::Regional,
                "global" => Scope::Global,
                other => return Err(spec_error(file, format!("unknown scope `{other}`"))),
            }
        }
        "identity" => spec.identity = strings(file, "identity", v)?,
        "identity_separator" => spec.identity_separator = string(file, "identity_separator", v)?,
        "identity_fanout" => spec.identity_fanout = strings(file, "identity_fanout", v)?,
        "recreate" => {
            let name = string(file, "recreate", v)?;
            spec.recreate = Some(named(file, "recreate", Recreate::ALL, &name)?);
        }
        "import_id" => spec.import_id = Some(template(file, "import_id", v)?),
        "import_name" => spec.import_name = Some(template(file, "import_name", v)?),
        "delete" => spec.delete = Some(template(file, "delete", v)?),
        "context" => spec.context = strings(file, "context", v)?,
        "no_import" => spec.no_import = Some(string(file, "no_import", v)?),
        other => return Err(spec_error(file, format!("unknown key `{other}`"))),
    }
    Ok(())
}

fn parse_spec(file: &str, text: &str) -> Result<ResourceSpec> {
    let body = hcl::parse(text).map_err(|e| spec_error(file, e.to_string()))?;
    let mut blocks = body.blocks();
    let block = blocks
        .next()
        .filter(|b| b.identifier() == "resource")
        .ok_or_else(|| spec_error(file, "expected one `resource \"TYPE\" { ... }` block"))?;
    if blocks.next().is_some() || body.attributes().next().is_some() {
        return Err(spec_error(file, "expected exactly one `resource` block"));
    }
    let resource_type = single_label(file, block)?;
    let mut spec = ResourceSpec {
        resource_type: resource_type.clone(),
        file: file.to_string(),
        service: String::new(),
        scope: Scope::Regional,
        identity: vec!["id".into()],
        identity_separator: "/".into(),
        identity_fanout: Vec::new(),
        parents: Vec::new(),
        attributes: Vec::new(),
        recreate: None,
        import_id: None,
        import_name: None,
        delete: None,
        import_only: Vec::new(),
        no_import: None,
        context: Vec::new(),
    };
    for attr in block.body.attributes() {
        let v = eval(file, &attr.expr)?;
        spec_key(file, &mut spec, attr.key.as_str(), &v)?;
    }
    for b in block.body.blocks() {
        match b.identifier() {
            "attribute" => spec.attributes.push(parse_attribute(file, b)?),
            "parent" => spec.parents.push(parse_parent(file, b)?),
            other => return Err(spec_error(file, format!("unknown block `{other}`"))),
        }
    }
    if spec.service.is_empty() {
        return Err(spec_error(file, "`service` is required"));
    }
    if spec.identity.is_empty() {
        return Err(spec_error(
            file,
            "`identity` must name at least one attribute",
        ));
    }
    spec.attributes.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = spec.attributes.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(spec_error(
            file,
            format!("attribute `{}` is specified twice", w[0].name),
        ));
    }
    // Import-only attributes are not compared: kept apart, so that everything that compares
    // (diff, the shown attributes, the docs table) reads `attributes` alone.
    let (import_only, compared): (Vec<_>, Vec<_>) = std::mem::take(&mut spec.attributes)
        .into_iter()
        .partition(|a| a.import_only);
    spec.attributes = compared;
    spec.import_only = import_only;
    if spec.no_import.is_some() && !spec.import_only.is_empty() {
        return Err(spec_error(
            file,
            "`no_import` and `import_only` attributes contradict each other",
        ));
    }
    let expected = format!("{resource_type}.hcl");
    if !file.ends_with(&expected) {
        return Err(spec_error(
            file,
            format!("the file for `{resource_type}` must be named `{expected}`"),
        ));
    }
    Ok(spec)
}

/// A [`fill`] template: a string whose `{name}` placeholders are well formed.
fn template(file: &str, key: &str, v: &Value) -> Result<String> {
    let text = string(file, key, v)?;
    placeholders(&text).map_err(|e| spec_error(file, format!("`{key}`: {e}")))?;
    Ok(text)
}

/// The `{name}` placeholders of a template, in order.
fn placeholders(template: &str) -> std::result::Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in {template:?}"))?;
        let name = &after[..close];
        if alternatives(name).any(|n| {
            n.is_empty()
                || !n
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }) {
            return Err(format!(
                "`{{{name}}}` is not an attribute name in {template:?}"
            ));
        }
        names.push(name);
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unopened `}}` in {template:?}"));
    }
    Ok(names)
}

/// A spec template filled from an object's attributes: each `{name}` becomes the attribute's
/// scalar text, passed through `quote` (a shell word for a command, as is for an id); `{a|b}`
/// the first of them with a value. An attribute that is absent, null or not a scalar is an
/// error naming it.
pub fn fill(
    template: &str,
    attributes: &Attributes,
    quote: impl Fn(&str) -> String,
) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    placeholders(template)?;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').unwrap_or(after.len());
        let name = &after[..close];
        let value = alternatives(name)
            .find_map(|n| {
                attributes
                    .get(n)
                    .and_then(Value::scalar_text)
                    .filter(|t| !t.is_empty())
            })
            .ok_or_else(|| format!("no `{name}` to fill {template:?}"))?;
        out.push_str(&quote(&value));
        rest = &after[(close + 1).min(after.len())..];
    }
    out.push_str(rest);
    Ok(out)
}

fn parse_attribute(file: &str, b: &hcl::Block) -> Result<AttributeSpec> {
    let name = single_label(file, b)?;
    let mut a = AttributeSpec {
        name,
        compare: Compare::Exact,
        default: None,
        sensitive: false,
        managed_by: Vec::new(),
        revert: None,
        immutable: false,
        read_recorded_only: false,
        computed: false,
        block: false,
        import_only: false,
        import_value: None,
        ignore_changes: false,
        import_optional: false,
    };
    let mut keys = Vec::new();
    for attr in b.body.attributes() {
        keys.push(attr.key.to_string());
        let v = eval(file, &attr.expr)?;
        match attr.key.as_str() {
            "compare" => {
                let name = string(file, "compare", &v)?;
                a.compare = Compare::ALL
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, c)| *c)
                    .ok_or_else(|| spec_error(file, format!("unknown compare mode `{name}`")))?;
            }
            "default" => a.default = Some(v),
            "sensitive" => a.sensitive = flag(file, "sensitive", &v)?,
            "revert" => {
                let name = string(file, "revert", &v)?;
                a.revert = Some(Revert::parse(file, &name)?);
            }
            "immutable" => a.immutable = flag(file, "immutable", &v)?,
            "computed" => a.computed = flag(file, "computed", &v)?,
            "block" => a.block = flag(file, "block", &v)?,
            "import_only" => a.import_only = flag(file, "import_only", &v)?,
            "ignore_changes" => a.ignore_changes = flag(file, "ignore_changes", &v)?,
            "optional" => a.import_optional = flag(file, "optional", &v)?,
            "value" => a.import_value = Some(import_value(file, v)?),
            "read" => match string(file, "read", &v)?.as_str() {
                "recorded" => a.read_recorded_only = true,
                "always" => a.read_recorded_only = false,
                other => {
                    return Err(spec_error(
                        file,
                        format!("`read` is \"recorded\" or \"always\", not `{other}`"),
                    ));
                }
            },
            other => {
                return Err(spec_error(
                    file,
                    format!("unknown key `{other}` in attribute `{}`", a.name),
                ));
            }
        }
    }
    check_import_keys(file, &a, &keys, b)?;
    for inner in b.body.blocks() {
        if inner.identifier() != "managed_by" {
            return Err(spec_error(
                file,
                format!("unknown block `{}` in attribute", inner.identifier()),
            ));
        }
        let resource_type = single_label(file, inner)?;
        let (via, filter, rest) = via_and_filter(file, inner)?;
        if let Some(k) = rest.keys().next() {
            return Err(spec_error(file, format!("unknown key `{k}` in managed_by")));
        }
        a.managed_by.push(ManagedBy {
            resource_type,
            via,
            filter,
        });
    }
    Ok(a)
}

/// A spec key whose value is a bool.
fn flag(file: &str, key: &str, v: &Value) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| spec_error(file, format!("`{key}` must be a bool")))
}

/// An import-only attribute's `value`: a template string, or a list of them.
fn import_value(file: &str, v: Value) -> Result<Value> {
    let templates = match &v {
        Value::String(t) => vec![t.as_str()],
        Value::List(l) => l.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let count = match &v {
        Value::List(l) => l.len(),
        _ => 1,
    };
    if templates.len() != count || templates.is_empty() {
        return Err(spec_error(
            file,
            "`value` must be a template string or a list of them",
        ));
    }
    for t in templates {
        placeholders(t).map_err(|e| spec_error(file, format!("`value`: {e}")))?;
    }
    Ok(v)
}

/// What an import-only attribute may say, and what only it may say.
fn check_import_keys(file: &str, a: &AttributeSpec, keys: &[String], b: &hcl::Block) -> Result<()> {
    const IMPORT_KEYS: &[&str] = &["import_only", "value", "ignore_changes", "optional", "read"];
    if a.import_only {
        if let Some(k) = keys.iter().find(|k| !IMPORT_KEYS.contains(&k.as_str())) {
            return Err(spec_error(
                file,
                format!(
                    "`{k}` has no meaning on the import-only attribute `{}` (it is never compared)",
                    a.name
                ),
            ));
        }
        if b.body.blocks().next().is_some() {
            return Err(spec_error(
                file,
                format!("the import-only attribute `{}` takes no blocks", a.name),
            ));
        }
    } else if let Some(k) = keys
        .iter()
        .find(|k| ["value", "ignore_changes", "optional"].contains(&k.as_str()))
    {
        return Err(spec_error(
            file,
            format!(
                "`{k}` is for import-only attributes: set `import_only = true` on `{}`",
                a.name
            ),
        ));
    }
    Ok(())
}

fn parse_parent(file: &str, b: &hcl::Block) -> Result<Parent> {
    let resource_type = single_label(file, b)?;
    let (via, filter, mut rest) = via_and_filter(file, b)?;
    let attribute = match rest.remove("attribute") {
        Some(v) => Some(string(file, "attribute", &v)?),
        None => None,
    };
    if let Some(k) = rest.keys().next() {
        return Err(spec_error(file, format!("unknown key `{k}` in parent")));
    }
    Ok(Parent {
        resource_type,
        via,
        attribute,
        filter,
    })
}

type Rest = BTreeMap<String, Value>;

fn via_and_filter(file: &str, b: &hcl::Block) -> Result<(String, BTreeMap<String, Value>, Rest)> {
    let mut via = None;
    let mut filter = BTreeMap::new();
    let mut rest = BTreeMap::new();
    for attr in b.body.attributes() {
        let v = eval(file, &attr.expr)?;
        match attr.key.as_str() {
            "via" => via = Some(string(file, "via", &v)?),
            "where" => match v {
                Value::Map(m) => filter = m,
                _ => return Err(spec_error(file, "`where` must be an object")),
            },
            other => {
                rest.insert(other.to_string(), v);
            }
        }
    }
    let via = via.ok_or_else(|| spec_error(file, format!("`{}` needs `via`", b.identifier())))?;
    Ok((via, filter, rest))
}

/// A name from one of the closed lists (`revert`, `recreate`).
fn named<T: Copy>(file: &str, key: &str, list: &[(&str, T)], name: &str) -> Result<T> {
    list.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let known: Vec<&str> = list.iter().map(|(n, _)| *n).collect();
            spec_error(
                file,
                format!("unknown {key} `{name}`; known: {}", known.join(", ")),
            )
        })
}

fn single_label(file: &str, b: &hcl::Block) -> Result<String> {
    match b.labels() {
        [l] => Ok(l.as_str().to_string()),
        _ => Err(spec_error(
            file,
            format!("`{}` takes exactly one label", b.identifier()),
        )),
    }
}

fn eval(file: &str, expr: &hcl::Expression) -> Result<Value> {
    let v = expr
        .evaluate(&hcl::eval::Context::new())
        .map_err(|e| spec_error(file, e.to_string()))?;
    Ok(from_hcl(v))
}

fn from_hcl(v: hcl::Value) -> Value {
    match v {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(b),
        hcl::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        hcl::Value::String(s) => Value::String(s),
        hcl::Value::Array(a) => Value::List(a.into_iter().map(from_hcl).collect()),
        hcl::Value::Object(o) => Value::Map(o.into_iter().map(|(k, v)| (k, from_hcl(v))).collect()),
    }
}

fn string(file: &str, key: &str, v: &Value) -> Result<String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| spec_error(file, format!("`{key}` must be a string")))
}

fn strings(file: &str, key: &str, v: &Value) -> Result<Vec<String>> {
    v.as_list()
        .and_then(|l| l.iter().map(|x| x.as_str().map(str::to_string)).collect())
        .ok_or_else(|| spec_error(file, format!("`{key}` must be a list of strings")))
}

#[cfg(test)]
#[path = "tests/coherence.rs"]
mod coherence;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_file_parses_and_is_registered() {
        let registry = Registry::builtin().expect("builtin specs parse");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("providers");
        let mut on_disk = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "hcl") {
                    on_disk.push(
                        p.strip_prefix(&dir)
                            .unwrap()
                            .to_string_lossy()
                            .replace('\\', "/"),
                    );
                }
            }
        }
        on_disk.sort();
        let embedded: Vec<String> = SPEC_FILES.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(
            on_disk, embedded,
            "providers/ and spec::SPEC_FILES disagree"
        );
        assert_eq!(registry.types().count(), SPEC_FILES.len());
    }

    #[test]
    fn specs_reference_known_types_and_attributes() {
        let r = Registry::builtin().unwrap();
        for s in r.specs() {
            for p in &s.parents {
                let parent = r
                    .get(&p.resource_type)
                    .unwrap_or_else(|| panic!("{}: unknown parent", s.file));
                if let Some(a) = &p.attribute {
                    assert!(
                        parent.attribute(a).is_some(),
                        "{}: parent attribute {a}",
                        s.file
                    );
                }
            }
            for a in &s.attributes {
                for m in &a.managed_by {
                    assert!(
                        r.get(&m.resource_type).is_some(),
                        "{}: managed_by {}",
                        s.file,
                        m.resource_type
                    );
                }
            }
        }
    }

    #[test]
    fn reads_every_feature() {
        let r = Registry::builtin().unwrap();
        let sg = r.get("aws_security_group").unwrap();
        assert_eq!(sg.scope, Scope::Regional);
        let ingress = sg.attribute("ingress").unwrap();
        assert_eq!(ingress.compare, Compare::SgRules);
        assert_eq!(ingress.managed_by.len(), 2);
        assert_eq!(
            ingress.managed_by[0].filter.get("type"),
            Some(&Value::str("ingress"))
        );
        let rule = r.get("aws_vpc_security_group_ingress_rule").unwrap();
        assert_eq!(
            rule.attribute("from_port").unwrap().default,
            Some(Value::from(-1))
        );
        let sgr = r.get("aws_security_group_rule").unwrap();
        assert_eq!(sgr.identity_fanout.len(), 5);
        assert_eq!(sgr.parents.len(), 4);
        let rp = r.get("aws_iam_role_policy").unwrap();
        assert_eq!(rp.identity_separator, ":");
        assert_eq!(r.get("aws_iam_role").unwrap().scope, Scope::Global);
        assert_eq!(ingress.revert, Some(Revert::SgRules));
        assert!(sg.attribute("name").unwrap().immutable);
        assert_eq!(sgr.recreate, Some(Recreate::SgRuleSources));
        // Import-only attributes: kept apart from the compared ones.
        let key_pair = r.get("aws_key_pair").unwrap();
        assert!(key_pair.attribute("public_key").is_none());
        let public_key = &key_pair.import_only[0];
        assert_eq!(public_key.name, "public_key");
        assert!(public_key.import_only && public_key.ignore_changes);
        let membership = r.get("aws_iam_user_group_membership").unwrap();
        let groups = membership.import_only.iter().find(|a| a.name == "groups");
        assert_eq!(
            groups.and_then(|a| a.import_value.clone()),
            Some(Value::List(vec![Value::str("{group}")]))
        );
        assert!(
            r.get("aws_iam_policy_attachment")
                .unwrap()
                .no_import
                .is_some()
        );
    }

    #[test]
    fn rejects_bad_specs() {
        for (text, why) in [
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  bogus = 1\n}\n",
                "unknown key `bogus`",
            ),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  attribute \"a\" {\n    compare = \"fuzzy\"\n  }\n}\n",
                "unknown compare mode `fuzzy`",
            ),
            ("resource \"aws_x\" {\n}\n", "`service` is required"),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  parent \"aws_y\" {\n  }\n}\n",
                "needs `via`",
            ),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  attribute \"a\" {}\n  attribute \"a\" {}\n}\n",
                "specified twice",
            ),
            ("nonsense {", "HCL parse error"),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  attribute \"a\" {\n    revert = \"Magic!\"\n  }\n}\n",
                "unknown revert `Magic!`",
            ),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  recreate = \"magic\"\n}\n",
                "unknown recreate `magic`",
            ),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  attribute \"a\" {\n    immutable = \"yes\"\n  }\n}\n",
                "`immutable` must be a bool",
            ),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  attribute \"a\" {\n    import_only = true\n    compare = \"set\"\n  }\n}\n",
                "`compare` has no meaning on the import-only attribute `a`",
            ),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  attribute \"a\" {\n    value = \"{id}\"\n  }\n}\n",
                "`value` is for import-only attributes",
            ),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  attribute \"a\" {\n    import_only = true\n    value = \"{id\"\n  }\n}\n",
                "unclosed `{`",
            ),
            (
                "resource \"aws_x\" {\n  service = \"ec2\"\n  no_import = \"no\"\n  attribute \"a\" {\n    import_only = true\n  }\n}\n",
                "contradict",
            ),
        ] {
            let err = Registry::from_sources([("aws/x/aws_x.hcl", text)]).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("aws_x.hcl"), "{msg}");
            assert!(msg.contains(why), "expected `{why}` in: {msg}");
        }
    }

    #[test]
    fn supported_types_doc_is_current() {
        let generated = Registry::builtin().unwrap().supported_types_markdown();
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/supported-resources.md");
        if std::env::var_os("DRIFTGATE_BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/supported-resources.md is stale: run `DRIFTGATE_BLESS=1 cargo test --lib spec::`"
        );
    }
}
