//! Import: the `import {}` block and the `resource {}` block terraform needs to take an
//! unmanaged object into its state, generated from the observed attributes (pure).
//!
//! Which attributes are written is the resource type's spec: every attribute it compares,
//! unless the object has the attribute's default (or nothing), so that `terraform plan` shows
//! the import and no change. Related objects that terraform manages as their own resources
//! are generated too, so the imported set is complete: an IAM role's inline policies
//! (`aws_iam_role_policy`) and attached managed policies (`aws_iam_role_policy_attachment`).
//! A security group's rules are written as its `ingress` / `egress` blocks, grouped by
//! port range, protocol and description as the provider reads them.
//!
//! Arguments the provider needs that are not compared come from the spec's import-only
//! attributes (`import_only = true`): an identity attribute, a value the import id fixes, or
//! one the provider never reads back (written with `lifecycle { ignore_changes = [...] }`).
//!
//! A secret is never written as a literal: it becomes a reference to a sensitive variable
//! (declared in the same text), whose value the user supplies (`TF_VAR_...`). An import-only
//! value the cloud did not return becomes a required variable the same way (not sensitive):
//! `terraform plan` stops and names it until it is set.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::model::{Drift, Value};
use crate::plan_file::edit::{key, literal, quote};
use crate::spec::{Compare, ResourceSpec};

/// The generated text, and the variables a person must set before `terraform plan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub address: String,
    pub text: String,
    pub variables: Vec<String>,
}

/// Attributes terraform manages through separate resources, generated as those.
const RELATED: &[&str] = &["inline_policy", "managed_policy_arns"];

/// The blocks that import the unmanaged object `d` as `TYPE.name`. `raw` is the object as
/// the cloud returned it, when the observation is at hand: IAM documents are written from it
/// (the finding holds their canonical form, lower-cased actions and all).
pub fn generate(
    spec: &ResourceSpec,
    d: &Drift,
    raw: Option<&crate::model::Attributes>,
    name: &str,
) -> Result<Generated, String> {
    if let Some(why) = &spec.no_import {
        return Err(format!(
            "terraform cannot import {}: {why}",
            d.resource_type
        ));
    }
    let shown = d
        .observed
        .as_ref()
        .ok_or("the scan kept no observed attributes for it")?;
    let observed = &with_raw_documents(spec, shown, raw);
    let address = format!("{}.{name}", d.resource_type);
    let mut out = String::new();
    let mut vars = Vars {
        prefix: name.to_string(),
        declared: BTreeSet::new(),
        unobserved: BTreeMap::new(),
    };
    let id = spec.import_id_of(observed, &d.id)?;
    writeln!(
        out,
        "import {{\n  to = {address}\n  id = {}\n}}\n",
        quote(&id)
    )
    .ok();
    writeln!(
        out,
        "resource {} {} {{",
        quote(&d.resource_type),
        quote(name)
    )
    .ok();
    let (import_only, lifecycle) = import_only_arguments(spec, observed, raw, &mut vars)?;
    out.push_str(&resource_body(spec, observed, import_only, &mut vars));
    out.push_str(&lifecycle);
    out.push_str("}\n");
    related(&mut out, &mut vars, d, observed, &address, name);
    let mut text = String::new();
    for var in &vars.declared {
        if let Some(attr) = vars.unobserved.get(var) {
            writeln!(
                text,
                "variable {} {{\n  description = \"`{attr}` of {address}, which the cloud does not return: set TF_VAR_{var}.\"\n}}\n",
                quote(var),
            )
            .ok();
            continue;
        }
        writeln!(
            text,
            "variable {} {{\n  description = \"A secret of {}, imported by driftgate: set TF_VAR_{var}.\"\n  type        = string\n  sensitive   = true\n}}\n",
            quote(var),
            address
        )
        .ok();
    }
    text.push_str(&out);
    Ok(Generated {
        address,
        text,
        variables: vars.declared.into_iter().collect(),
    })
}

/// The import-only attributes (`import_only = true`): each its `value` template filled from
/// the observed attributes, else the observed value (the raw observation's first: the finding
/// keeps only identity and compared attributes), else a required variable `terraform plan`
/// asks for. With them, the `lifecycle` block for those the provider never reads back.
fn import_only_arguments(
    spec: &ResourceSpec,
    observed: &crate::model::Attributes,
    raw: Option<&crate::model::Attributes>,
    vars: &mut Vars,
) -> Result<(Vec<(String, String)>, String), String> {
    let mut all = raw.cloned().unwrap_or_default();
    // The finding's view wins where both have the attribute (masked as the scan masked it).
    all.extend(observed.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut ignored = Vec::new();
    for attr in &spec.import_only {
        let fill = |t: &Value| -> Result<Value, String> {
            let t = t.as_str().unwrap_or_default();
            crate::spec::fill(t, &all, str::to_string).map(Value::String)
        };
        let value = match &attr.import_value {
            Some(Value::List(l)) => {
                Some(Value::List(l.iter().map(fill).collect::<Result<_, _>>()?))
            }
            Some(t) => Some(fill(t)?),
            None => all.get(&attr.name).filter(|v| !is_empty(v)).cloned(),
        };
        // What the provider never reads back is ignored, written or not: terraform would
        // otherwise plan to change (or replace) the object for it.
        if attr.ignore_changes {
            ignored.push(attr.name.clone());
        }
        let text = match value {
            Some(v) => vars.literal(&attr.name, &v),
            None if attr.import_optional => continue,
            None => vars.placeholder(&attr.name),
        };
        lines.push((attr.name.clone(), text));
    }
    let mut lifecycle = String::new();
    if !ignored.is_empty() {
        writeln!(
            lifecycle,
            "\n  lifecycle {{\n    ignore_changes = [{}]\n  }}",
            ignored.join(", ")
        )
        .ok();
    }
    Ok((lines, lifecycle))
}

/// The name of the `resource` block that imports `d`: its spec's `import_name` filled from
/// the observed attributes, else the id's last segment (as [`super::terraform_name`]). In a
/// name template, a value that names a parent (`label(attribute, value)`: the parent's name in
/// the state, when the state records it) becomes that name; an ARN its last segment; a boolean
/// the attribute's name when true and nothing when false; a one-item list its item. Deterministic: the same object and
/// state give the same name. Unique per object where its identity is: a plan makes names that
/// still collide unique (`_2`, `_3` ...).
pub fn resource_name(
    spec: &ResourceSpec,
    d: &Drift,
    label: &dyn Fn(&str, &str) -> Option<String>,
) -> String {
    let from_template = spec.import_name.as_deref().and_then(|template| {
        let observed = d.observed.as_ref()?;
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}')?;
            let (attr, v) = crate::spec::alternatives(&after[..close])
                .find_map(|n| observed.get(n).filter(|v| !is_empty(v)).map(|v| (n, v)))?;
            // A one-item list (a rule's one source) is its item.
            let v = match v {
                Value::List(l) if l.len() == 1 => &l[0],
                v => v,
            };
            match v {
                Value::Bool(true) => out.push_str(attr),
                Value::Bool(false) => {}
                v => {
                    let text = v.scalar_text()?;
                    let shown =
                        label(attr, &text).unwrap_or_else(|| match text.strip_prefix("arn:") {
                            Some(arn) => arn.rsplit(['/', ':']).next().unwrap_or(arn).to_string(),
                            None => text.clone(),
                        });
                    out.push_str(&shown);
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Some(identifier(&out))
    });
    from_template.unwrap_or_else(|| super::terraform_name(&d.id))
}

/// A terraform identifier from any text: every run of characters other than letters and
/// digits one `_`, none at either end; one that would start with a digit (or be empty) starts
/// with `_`.
pub fn identifier(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, '_');
    }
    out
}

/// Every argument imports may write for `spec`, and whether as nested blocks: the compared
/// attributes [`written`] and the import-only ones.
pub fn arguments(spec: &ResourceSpec) -> Vec<&crate::spec::AttributeSpec> {
    spec.attributes
        .iter()
        .filter(|a| written(a))
        .chain(&spec.import_only)
        .collect()
}

/// The observed attributes, with IAM documents as the cloud returned them (`raw`) rather than
/// in their canonical form, where neither side holds a secret.
fn with_raw_documents(
    spec: &ResourceSpec,
    shown: &crate::model::Attributes,
    raw: Option<&crate::model::Attributes>,
) -> crate::model::Attributes {
    let mut observed = shown.clone();
    let Some(raw) = raw else {
        return observed;
    };
    for attr in &spec.attributes {
        let documents = matches!(
            attr.compare,
            Compare::IamPolicyDocument | Compare::InlinePolicies
        );
        match (raw.get(&attr.name), shown.get(&attr.name)) {
            (Some(r), Some(s))
                if documents && !s.contains_sensitive() && !r.contains_sensitive() =>
            {
                observed.insert(attr.name.clone(), r.clone());
            }
            _ => {}
        }
    }
    observed
}

/// Whether imports write `attr` into the generated `resource` block (when the object has a
/// value other than its default): not when the provider computes it (`computed = true`), nor
/// when terraform manages it through a related resource, generated apart.
pub fn written(attr: &crate::spec::AttributeSpec) -> bool {
    !attr.computed && !RELATED.contains(&attr.name.as_str())
}

/// Whether imports write `attr` as nested blocks (`NAME { ... }`), not as an argument: the
/// provider's schema has a block there (`block = true`, or security group rules).
pub fn written_as_block(attr: &crate::spec::AttributeSpec) -> bool {
    attr.block || attr.compare == Compare::SgRules
}

/// The inside of the `resource` block: every observed attribute that is not empty, not the
/// provider's default and not managed through a related resource, aligned, then the nested
/// rule blocks. A secret becomes a variable (declared in `vars`). `import_only`: the
/// import-only arguments, aligned with the others in name order.
fn resource_body(
    spec: &ResourceSpec,
    observed: &crate::model::Attributes,
    import_only: Vec<(String, String)>,
    vars: &mut Vars,
) -> String {
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut blocks = String::new();
    for attr in &spec.attributes {
        let Some(v) = observed.get(&attr.name) else {
            continue;
        };
        if is_empty(v) || attr.default.as_ref() == Some(v) || !written(attr) {
            continue;
        }
        match attr.compare {
            _ if attr.block => {
                for b in v
                    .as_list()
                    .map(|l| l.to_vec())
                    .unwrap_or_else(|| vec![v.clone()])
                {
                    let Some(m) = b.as_map() else { continue };
                    writeln!(blocks, "\n  {} {{", attr.name).ok();
                    let inner: Vec<(String, String)> = m
                        .iter()
                        .filter(|(_, x)| !is_empty(x))
                        .map(|(k, x)| (key(k), vars.literal(k, x)))
                        .collect();
                    blocks.push_str(&aligned(&inner, "    "));
                    writeln!(blocks, "  }}").ok();
                }
            }
            Compare::SgRules => {
                for b in group_rules(v) {
                    writeln!(blocks, "\n  {} {{", attr.name).ok();
                    let inner: Vec<(String, String)> = b
                        .iter()
                        .filter(|(k, x)| {
                            !(is_empty(x) || *k == "self" && **x == Value::Bool(false))
                        })
                        .map(|(k, x)| (k.clone(), vars.literal(k, x)))
                        .collect();
                    blocks.push_str(&aligned(&inner, "    "));
                    writeln!(blocks, "  }}").ok();
                }
            }
            Compare::IamPolicyDocument => {
                lines.push((attr.name.clone(), document(vars, &attr.name, v)));
            }
            _ => {
                let text = match v {
                    Value::Map(m) if !m.is_empty() => {
                        let items: Vec<(String, String)> = m
                            .iter()
                            .map(|(k, x)| (key(k), vars.literal(k, x)))
                            .collect();
                        format!("{{\n{}  }}", aligned(&items, "    "))
                    }
                    _ => vars.literal(&attr.name, v),
                };
                lines.push((attr.name.clone(), text));
            }
        }
    }
    lines.extend(import_only);
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = aligned(&lines, "  ");
    out.push_str(&blocks);
    out
}

/// `key = value` lines with the `=` signs aligned, as `terraform fmt` writes them.
fn aligned(items: &[(String, String)], indent: &str) -> String {
    let width = items.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    items
        .iter()
        .map(|(k, v)| format!("{indent}{k:<width$} = {v}\n"))
        .collect()
}

/// Secrets become `var.NAME`; everything else a literal.
struct Vars {
    prefix: String,
    declared: BTreeSet<String>,
    /// The declared variables that stand for a value the cloud did not return (not a
    /// secret), with the attribute each is for.
    unobserved: BTreeMap<String, String>,
}

impl Vars {
    fn literal(&mut self, hint: &str, v: &Value) -> String {
        if let Some(l) = literal(v) {
            return l;
        }
        format!("var.{}", self.declare(hint))
    }

    /// A required variable for the import-only attribute `attr`, which the cloud did not
    /// return.
    fn placeholder(&mut self, attr: &str) -> String {
        let name = self.declare(attr);
        self.unobserved.insert(name.clone(), attr.to_string());
        format!("var.{name}")
    }

    fn declare(&mut self, hint: &str) -> String {
        let base: String = format!("{}_{hint}", self.prefix)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let mut name = base.clone();
        let mut n = 2;
        while self.declared.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.declared.insert(name.clone());
        name
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// An IAM document as a heredoc of indented JSON: the provider compares documents by
/// meaning, so this plans no change.
fn document(vars: &mut Vars, hint: &str, v: &Value) -> String {
    // A document holding a secret anywhere is a sensitive variable, never written out (not
    // even as a fingerprint).
    if v.contains_sensitive() {
        return vars.literal(hint, v);
    }
    let json = match v {
        Value::String(s) => serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .and_then(|j| serde_json::to_string_pretty(&j).ok())
            .unwrap_or_else(|| s.clone()),
        Value::Map(_) | Value::List(_) => {
            serde_json::to_string_pretty(&crate::codec::encode(v, b"")).unwrap_or_default()
        }
        other => return vars.literal(hint, other),
    };
    // Nothing in a heredoc may read as a template.
    let body = json.replace("${", "$${").replace("%{", "%%{");
    format!("<<-EOT\n{}\n  EOT", indent(&body, "    "))
}

fn indent(s: &str, by: &str) -> String {
    s.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One block per source as observed, grouped back as the provider reads a permission: one
/// block per protocol, port range, description and `self`, its sources merged.
fn group_rules(v: &Value) -> Vec<BTreeMap<String, Value>> {
    let mut groups: BTreeMap<Vec<(String, Value)>, BTreeMap<String, Value>> = BTreeMap::new();
    for b in v.as_list().into_iter().flatten() {
        let Some(m) = b.as_map() else { continue };
        let id: Vec<(String, Value)> = ["protocol", "from_port", "to_port", "description", "self"]
            .iter()
            .filter_map(|k| m.get(*k).map(|x| (k.to_string(), x.clone())))
            .collect();
        let g = match groups.entry(id) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(m.clone());
                continue;
            }
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
        };
        for k in [
            "cidr_blocks",
            "ipv6_cidr_blocks",
            "prefix_list_ids",
            "security_groups",
        ] {
            let (Some(Value::List(into)), Some(Value::List(from))) = (g.get(k).cloned(), m.get(k))
            else {
                continue;
            };
            let mut merged = into;
            for x in from {
                if !merged.contains(x) {
                    merged.push(x.clone());
                }
            }
            merged.sort();
            g.insert(k.to_string(), Value::List(merged));
        }
    }
    groups.into_values().collect()
}

/// A security group's rules (`ingress` / `egress`) as the blocks `accept` writes in place of
/// the group's blocks, shaped as the provider will read them back: its read matches the
/// cloud's rules against the rules the state holds, so each recorded rule still in the cloud
/// is kept as written (with the sources the cloud still has); the sources no recorded rule
/// holds are grouped as the provider reads a permission (one block per protocol, port range,
/// description and `self`). Empty values and `self = false` are left out.
pub(crate) fn rule_blocks(recorded: &Value, observed: &Value) -> Value {
    let mut pool = source_pool(observed);
    let recorded = if recorded.contains_sensitive() {
        &Value::Null
    } else {
        recorded
    };
    let mut blocks = kept_rules(recorded, &mut pool);
    let rest: Vec<Value> = pool
        .into_iter()
        .map(|(id, kind, x)| {
            let mut m: BTreeMap<String, Value> = id.into_iter().collect();
            if !kind.is_empty() {
                m.insert(kind.to_string(), Value::List(vec![x]));
            }
            Value::Map(m)
        })
        .collect();
    blocks.extend(group_rules(&Value::List(rest)));
    Value::List(
        blocks
            .into_iter()
            .map(|b| {
                Value::Map(
                    b.into_iter()
                        .filter(|(k, x)| !(is_empty(x) || k == "self" && *x == Value::Bool(false)))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// A rule's protocol, ports, description and `self`: what the provider groups sources by.
type RuleFields = Vec<(String, Value)>;

/// The lists of sources a rule block may hold.
const SOURCES: [&str; 4] = [
    "cidr_blocks",
    "ipv6_cidr_blocks",
    "prefix_list_ids",
    "security_groups",
];

/// A rule's [`RuleFields`], with the provider's empty description and `self = false`.
fn rule_fields(m: &BTreeMap<String, Value>) -> RuleFields {
    ["protocol", "from_port", "to_port", "description", "self"]
        .iter()
        .map(|k| {
            let v = match m.get(*k) {
                None | Some(Value::Null) if *k == "description" => Value::str(""),
                None | Some(Value::Null) if *k == "self" => Value::Bool(false),
                v => v.cloned().unwrap_or(Value::Null),
            };
            (k.to_string(), v)
        })
        .collect()
}

/// Every observed source on its own: (rule fields, kind of source, source); a rule with no
/// source list (`self` only) is one entry of kind "".
fn source_pool(observed: &Value) -> Vec<(RuleFields, &'static str, Value)> {
    let mut pool = Vec::new();
    for m in observed
        .as_list()
        .into_iter()
        .flatten()
        .filter_map(Value::as_map)
    {
        let id = rule_fields(m);
        let before = pool.len();
        for k in SOURCES {
            for x in m.get(k).and_then(Value::as_list).into_iter().flatten() {
                pool.push((id.clone(), k, x.clone()));
            }
        }
        if pool.len() == before {
            pool.push((id, "", Value::Null));
        }
    }
    pool
}

/// Each recorded rule still in the cloud, as written, with the sources the cloud still has;
/// the sources it holds are taken out of `pool`.
fn kept_rules(
    recorded: &Value,
    pool: &mut Vec<(RuleFields, &'static str, Value)>,
) -> Vec<BTreeMap<String, Value>> {
    let mut blocks = Vec::new();
    for r in recorded
        .as_list()
        .into_iter()
        .flatten()
        .filter_map(Value::as_map)
    {
        let id = rule_fields(r);
        let mut take = |kind: &str, x: &Value| {
            pool.iter()
                .position(|(i, k, v)| *i == id && *k == kind && v == x)
                .map(|at| pool.remove(at))
                .is_some()
        };
        let mut kept = r.clone();
        let mut matched = false;
        let mut has_sources = false;
        for k in SOURCES {
            let Some(list) = r.get(k).and_then(Value::as_list) else {
                continue;
            };
            has_sources |= !list.is_empty();
            let still: Vec<Value> = list.iter().filter(|x| take(k, x)).cloned().collect();
            matched |= !still.is_empty();
            kept.insert(k.to_string(), Value::List(still));
        }
        if !has_sources {
            matched = take("", &Value::Null);
        }
        if matched {
            blocks.push(kept);
        }
    }
    blocks
}

/// Inline policies and policy attachments of a role, as their own resources.
fn related(
    out: &mut String,
    vars: &mut Vars,
    d: &Drift,
    observed: &crate::model::Attributes,
    address: &str,
    name: &str,
) {
    let owner = match d.resource_type.as_str() {
        "aws_iam_role" => "role",
        "aws_iam_user" => "user",
        _ => return,
    };
    let owner_name = observed
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(&d.id)
        .to_string();
    for p in observed
        .get("inline_policy")
        .and_then(Value::as_list)
        .into_iter()
        .flatten()
    {
        let Some(m) = p.as_map() else { continue };
        let Some(pname) = m.get("name").and_then(Value::as_str) else {
            continue;
        };
        let rname = super::terraform_name(&format!("{name}_{pname}"));
        let doc = m
            .get("policy")
            .map(|v| document(vars, &format!("{pname}_policy"), v))
            .unwrap_or_else(|| "null".into());
        writeln!(
            out,
            "\nimport {{\n  to = aws_iam_{owner}_policy.{rname}\n  id = {}\n}}\n\nresource \"aws_iam_{owner}_policy\" {} {{\n  name   = {}\n  policy = {doc}\n  {owner}   = {address}.name\n}}",
            quote(&format!("{owner_name}:{pname}")),
            quote(&rname),
            quote(pname),
        )
        .ok();
    }
    for arn in observed
        .get("managed_policy_arns")
        .and_then(Value::as_list)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let tail = arn.rsplit('/').next().unwrap_or(arn);
        let rname = super::terraform_name(&format!("{name}_{tail}"));
        writeln!(
            out,
            "\nimport {{\n  to = aws_iam_{owner}_policy_attachment.{rname}\n  id = {}\n}}\n\nresource \"aws_iam_{owner}_policy_attachment\" {} {{\n  {owner}       = {address}.name\n  policy_arn = {}\n}}",
            quote(&format!("{owner_name}/{arn}")),
            quote(&rname),
            quote(arn),
        )
        .ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DriftKind, Secret};
    use crate::spec::Registry;

    fn drift(ty: &str, id: &str, attrs: Vec<(&str, Value)>) -> Drift {
        Drift {
            kind: DriftKind::Unmanaged,
            resource_type: ty.into(),
            id: id.into(),
            address: None,
            state: None,
            region: Some("us-east-1".into()),
            changes: Vec::new(),
            observed: Some(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        }
    }

    /// What `generate` writes for an unmanaged `ty` observed with `attrs`, named `name`.
    fn generated(
        ty: &str,
        id: &str,
        attrs: Vec<(&str, Value)>,
        name: &str,
    ) -> Result<Generated, String> {
        let reg = Registry::builtin().unwrap();
        generate(reg.get(ty).unwrap(), &drift(ty, id, attrs), None, name)
    }

    fn rule(port: i64, cidr: &str, description: &str) -> Value {
        Value::Map(
            [
                ("cidr_blocks", Value::List(vec![Value::str(cidr)])),
                ("description", Value::str(description)),
                ("from_port", Value::Number(port as f64)),
                ("ipv6_cidr_blocks", Value::List(vec![])),
                ("prefix_list_ids", Value::List(vec![])),
                ("protocol", Value::str("tcp")),
                ("security_groups", Value::List(vec![])),
                ("self", Value::Bool(false)),
                ("to_port", Value::Number(port as f64)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        )
    }

    /// `accept` writes the rules as the provider reads them back: a recorded rule still in the
    /// cloud keeps its shape (with the sources the cloud still has), the new sources are
    /// grouped per protocol, ports and description.
    #[test]
    fn accepted_rules_keep_the_recorded_shape_and_group_the_new_sources() {
        let block = |port: i64, cidrs: &[&str], description: &str| {
            let mut m = rule(port, cidrs[0], description).as_map().unwrap().clone();
            m.insert(
                "cidr_blocks".into(),
                Value::List(cidrs.iter().map(|c| Value::str(*c)).collect()),
            );
            Value::Map(m)
        };
        let written = |port: i64, cidrs: &[&str], description: &str| {
            let mut m: BTreeMap<String, Value> = [
                ("from_port", Value::Number(port as f64)),
                ("to_port", Value::Number(port as f64)),
                ("protocol", Value::str("tcp")),
                (
                    "cidr_blocks",
                    Value::List(cidrs.iter().map(|c| Value::str(*c)).collect()),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            if !description.is_empty() {
                m.insert("description".into(), Value::str(description));
            }
            Value::Map(m)
        };
        let recorded = Value::List(vec![block(443, &["10.0.0.0/8", "10.2.0.0/16"], "")]);
        let observed = Value::List(vec![
            rule(443, "10.0.0.0/8", ""),
            rule(443, "10.2.0.0/16", ""),
            rule(443, "10.1.0.0/16", ""),
            rule(22, "0.0.0.0/0", "ssh"),
            rule(22, "10.9.0.0/16", "ssh"),
        ]);
        assert_eq!(
            rule_blocks(&recorded, &observed),
            Value::List(vec![
                written(443, &["10.0.0.0/8", "10.2.0.0/16"], ""),
                written(22, &["0.0.0.0/0", "10.9.0.0/16"], "ssh"),
                written(443, &["10.1.0.0/16"], ""),
            ])
        );
        // A source the cloud lost is dropped from its rule; a rule with none left, dropped.
        let observed = Value::List(vec![rule(443, "10.2.0.0/16", "")]);
        let recorded = Value::List(vec![
            block(443, &["10.0.0.0/8", "10.2.0.0/16"], ""),
            block(80, &["10.0.0.0/8"], ""),
        ]);
        assert_eq!(
            rule_blocks(&recorded, &observed),
            Value::List(vec![written(443, &["10.2.0.0/16"], "")])
        );
        // Nothing recorded: grouped as observed.
        assert_eq!(
            rule_blocks(
                &Value::Null,
                &Value::List(vec![rule(443, "10.0.0.0/8", "")])
            ),
            Value::List(vec![written(443, &["10.0.0.0/8"], "")])
        );
    }

    #[test]
    fn a_secret_becomes_a_sensitive_variable_and_defaults_are_left_out() {
        let g = generated(
            "aws_vpc",
            "vpc-0abc",
            vec![
                ("cidr_block", Value::str("10.9.0.0/16")),
                ("enable_dns_support", Value::Bool(true)),
                ("instance_tenancy", Value::str("default")),
                (
                    "tags",
                    Value::Map(
                        [
                            ("Name".to_string(), Value::str("x")),
                            (
                                "token".to_string(),
                                Value::Sensitive(Secret::Clear(Box::new(Value::str(
                                    "hunter2-secret",
                                )))),
                            ),
                        ]
                        .into_iter()
                        .collect(),
                    ),
                ),
            ],
            "vpc_0abc",
        )
        .unwrap();
        assert!(!g.text.contains("hunter2"), "{}", g.text);
        assert_eq!(g.variables, ["vpc_0abc_token"]);
        assert!(g.text.contains("token = var.vpc_0abc_token"), "{}", g.text);
        assert!(
            g.text.contains("variable \"vpc_0abc_token\" {"),
            "{}",
            g.text
        );
        assert!(g.text.contains("sensitive   = true"), "{}", g.text);
        assert!(
            g.text.contains("  cidr_block = \"10.9.0.0/16\"\n"),
            "{}",
            g.text
        );
        // At their defaults: not written.
        assert!(!g.text.contains("enable_dns_support"), "{}", g.text);
        assert!(!g.text.contains("instance_tenancy"), "{}", g.text);
    }

    /// What the provider computes is compared but never written: terraform rejects a
    /// configured `owner_id` ("Can't configure a value for ...").
    #[test]
    fn computed_attributes_are_left_out() {
        let reg = Registry::builtin().unwrap();
        let spec = reg.get("aws_internet_gateway").unwrap();
        assert!(spec.attribute("owner_id").unwrap().computed);
        let g = generated(
            "aws_internet_gateway",
            "igw-1",
            vec![
                ("vpc_id", Value::str("vpc-1")),
                ("owner_id", Value::str("123456789012")),
            ],
            "igw_1",
        )
        .unwrap();
        assert!(g.text.contains("  vpc_id = \"vpc-1\"\n"), "{}", g.text);
        assert!(!g.text.contains("owner_id"), "{}", g.text);
    }

    /// A nested block of the provider's schema is written as a block, one per observed item.
    #[test]
    fn block_attributes_are_written_as_blocks() {
        let side = |on: bool| {
            Value::List(vec![Value::Map(
                [(
                    "allow_remote_vpc_dns_resolution".to_string(),
                    Value::Bool(on),
                )]
                .into_iter()
                .collect(),
            )])
        };
        let g = generated(
            "aws_vpc_peering_connection",
            "pcx-1",
            vec![
                ("vpc_id", Value::str("vpc-1")),
                ("peer_vpc_id", Value::str("vpc-2")),
                ("accepter", side(true)),
                ("requester", side(false)),
            ],
            "p",
        )
        .unwrap();
        assert!(
            g.text
                .contains("\n  accepter {\n    allow_remote_vpc_dns_resolution = true\n  }\n"),
            "{}",
            g.text
        );
        assert!(!g.text.contains("accepter ="), "{}", g.text);
        // At its default: not written.
        assert!(!g.text.contains("requester"), "{}", g.text);
    }

    /// An unmanaged route's import names its table and destination, which the provider
    /// requires, besides its target.
    #[test]
    fn a_route_is_written_with_its_table_and_destination() {
        let g = generated(
            "aws_route",
            "rtb-1_0.0.0.0/0",
            vec![
                ("route_table_id", Value::str("rtb-1")),
                ("destination_cidr_block", Value::str("0.0.0.0/0")),
                ("gateway_id", Value::str("igw-1")),
            ],
            "r",
        )
        .unwrap();
        for line in [
            "  route_table_id         = \"rtb-1\"\n",
            "  destination_cidr_block = \"0.0.0.0/0\"\n",
            "  gateway_id             = \"igw-1\"\n",
        ] {
            assert!(g.text.contains(line), "{line:?} in {}", g.text);
        }
        assert!(g.text.contains("id = \"rtb-1_0.0.0.0/0\""), "{}", g.text);
    }

    /// A secret inside an IAM document (a condition value, say) makes the whole document a
    /// sensitive variable: neither the secret nor its fingerprint is written.
    #[test]
    fn a_document_holding_a_secret_is_a_sensitive_variable() {
        let secret = Value::Sensitive(Secret::Clear(Box::new(Value::str("hunter2-secret"))));
        let statement: BTreeMap<String, Value> = [
            ("Effect".to_string(), Value::str("Allow")),
            ("Action".to_string(), Value::str("s3:GetObject")),
            ("Resource".to_string(), secret),
        ]
        .into_iter()
        .collect();
        let doc: BTreeMap<String, Value> = [
            ("Version".to_string(), Value::str("2012-10-17")),
            (
                "Statement".to_string(),
                Value::List(vec![Value::Map(statement)]),
            ),
        ]
        .into_iter()
        .collect();
        let g = generated(
            "aws_iam_policy",
            "arn:aws:iam::123456789012:policy/p",
            vec![("name", Value::str("p")), ("policy", Value::Map(doc))],
            "p",
        )
        .unwrap();
        assert!(!g.text.contains("hunter2"), "{}", g.text);
        assert!(!g.text.contains("hmac"), "{}", g.text);
        assert!(!g.text.contains("sensitive\""), "{}", g.text);
        assert!(g.text.contains("policy = var.p_policy"), "{}", g.text);
        assert_eq!(g.variables, ["p_policy"]);
    }

    /// What the provider requires and does not compare is written from the spec's import-only
    /// attributes: an identity attribute, a value the import id fixes, one filled from the id.
    #[test]
    fn import_only_attributes_are_written_and_never_compared() {
        let reg = Registry::builtin().unwrap();
        let d = drift(
            "aws_iam_user_group_membership",
            "alice",
            vec![("user", Value::str("alice")), ("group", Value::str("ops"))],
        );
        let spec = reg.get("aws_iam_user_group_membership").unwrap();
        assert!(spec.attributes.is_empty(), "nothing of it is compared");
        let g = generate(spec, &d, None, "m").unwrap();
        assert!(g.text.contains("  groups = [\"ops\"]\n"), "{}", g.text);
        assert!(g.text.contains("  user   = \"alice\"\n"), "{}", g.text);
        assert!(g.text.contains("id = \"alice/ops\""), "{}", g.text);
        let g = generated(
            "aws_default_network_acl",
            "acl-1",
            vec![("id", Value::str("acl-1")), ("vpc_id", Value::str("vpc-1"))],
            "a",
        )
        .unwrap();
        assert!(
            g.text.contains("  default_network_acl_id = \"acl-1\"\n"),
            "{}",
            g.text
        );
        // One of two alternatives (`optional = true`): the other left out, no variable.
        let g = generated(
            "aws_route_table_association",
            "subnet-1",
            vec![
                ("subnet_id", Value::str("subnet-1")),
                ("route_table_id", Value::str("rtb-1")),
            ],
            "r",
        )
        .unwrap();
        assert!(
            g.text.contains("  subnet_id      = \"subnet-1\"\n"),
            "{}",
            g.text
        );
        assert!(!g.text.contains("gateway_id"), "{}", g.text);
        assert!(g.variables.is_empty(), "{:?}", g.variables);
    }

    /// A key pair's material, which the provider never reads back: written from the raw
    /// observation with `lifecycle { ignore_changes }`; when the cloud did not return it, a
    /// required variable that `terraform plan` asks for (not a sensitive one).
    #[test]
    fn a_value_the_provider_never_reads_back_is_ignored_and_one_not_observed_is_a_variable() {
        let reg = Registry::builtin().unwrap();
        let spec = reg.get("aws_key_pair").unwrap();
        let d = drift(
            "aws_key_pair",
            "key-1",
            vec![
                ("key_pair_id", Value::str("key-1")),
                ("key_name", Value::str("deploy")),
            ],
        );
        let mut raw = d.observed.clone().unwrap();
        raw.insert("public_key".into(), Value::str("ssh-ed25519 AAAA deploy"));
        let g = generate(spec, &d, Some(&raw), "deploy").unwrap();
        assert!(
            g.text
                .contains("  public_key = \"ssh-ed25519 AAAA deploy\"\n"),
            "{}",
            g.text
        );
        assert!(
            g.text
                .contains("\n  lifecycle {\n    ignore_changes = [public_key]\n  }\n}\n"),
            "{}",
            g.text
        );
        assert!(g.variables.is_empty());
        let g = generate(spec, &d, None, "deploy").unwrap();
        assert!(
            g.text.contains("  public_key = var.deploy_public_key\n"),
            "{}",
            g.text
        );
        assert_eq!(g.variables, ["deploy_public_key"]);
        assert!(
            g.text.contains("variable \"deploy_public_key\" {\n  description = \"`public_key` of aws_key_pair.deploy, which the cloud does not return: set TF_VAR_deploy_public_key.\"\n}\n"),
            "{}",
            g.text
        );
        assert!(!g.text.contains("sensitive"), "{}", g.text);
        // A login profile: nothing of the password is written, all of it ignored.
        let g = generated(
            "aws_iam_user_login_profile",
            "alice",
            vec![("user", Value::str("alice"))],
            "p",
        )
        .unwrap();
        assert!(
            g.text
                .contains("ignore_changes = [password_length, password_reset_required, pgp_key]"),
            "{}",
            g.text
        );
        assert!(!g.text.contains("password_length ="), "{}", g.text);
    }

    /// A type the provider cannot import gets no blocks: the action stays manual, saying why.
    #[test]
    fn a_type_the_provider_cannot_import_is_refused() {
        let err = generated(
            "aws_iam_policy_attachment",
            "arn:aws:iam::123456789012:policy/p",
            vec![(
                "policy_arn",
                Value::str("arn:aws:iam::123456789012:policy/p"),
            )],
            "p",
        )
        .unwrap_err();
        assert!(
            err.starts_with(
                "terraform cannot import aws_iam_policy_attachment: the provider has no importer"
            ),
            "{err}"
        );
    }

    #[test]
    fn rules_are_grouped_as_the_provider_reads_them() {
        let g = generated(
            "aws_security_group",
            "sg-1",
            vec![
                ("name", Value::str("web")),
                ("description", Value::str("Managed by Terraform")),
                (
                    "ingress",
                    Value::List(vec![
                        rule(443, "10.0.0.0/8", ""),
                        rule(443, "10.1.0.0/16", ""),
                        rule(443, "10.2.0.0/16", "office"),
                    ]),
                ),
            ],
            "sg_1",
        )
        .unwrap();
        assert_eq!(g.text.matches("ingress {").count(), 2, "{}", g.text);
        assert!(
            g.text
                .contains("cidr_blocks = [\"10.0.0.0/8\", \"10.1.0.0/16\"]"),
            "{}",
            g.text
        );
        assert!(g.text.contains("description = \"office\""), "{}", g.text);
        // The provider's default description is left out; `self = false` too.
        assert!(!g.text.contains("Managed by Terraform"), "{}", g.text);
        assert!(!g.text.contains("self"), "{}", g.text);
    }
}
