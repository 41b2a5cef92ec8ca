//! The terraform configuration (*desired*): `.tf` files read with hcl-rs, local modules
//! followed, values evaluated as far as they are statically known.
//!
//! What comes out is a [`Configuration`]: every resource block with its location (for
//! findings' `source`), its `lifecycle { ignore_changes }`, and its attributes as
//! [`Value`]s, with [`Value::Unknown`] wherever the value is only known after apply. The
//! pure comparison with the state lives in `diff::pending`.

// `crate::Error` carries spans and sources, so `Result` is large (as elsewhere in the crate).
#![allow(clippy::result_large_err)]

mod eval;
mod funcs;
mod parse;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path as FsPath, PathBuf};

use hcl::edit::Span;
use hcl::edit::structure as edit;
use hcl::{Expression, TraversalOperator};

pub use crate::model::desired::{
    Backend, Configuration, ConfiguredResource, IgnoreChanges, ModuleNotFollowed, contains_unknown,
};

use crate::model::{Attributes, InstanceKey, Mode, Path, SourceLocation, Value};
use crate::{Error, Result};

use eval::Scope;
use parse::ParsedFile;

/// The names of the terraform functions evaluated statically (for docs and `--help`).
pub const FUNCTIONS: &[&str] = funcs::NAMES;

/// Reads the configuration in `dir`: the root module's `*.tf` files (sorted),
/// `terraform.tfvars` and `*.auto.tfvars` (and their `.json` forms), local module calls
/// followed recursively.
pub fn load_config(dir: &FsPath) -> Result<Configuration> {
    let mut loader = Loader::default();
    loader.load_module(dir, "", &[], None, false, 0)?;
    let mut config = Configuration {
        resources: loader.resources,
        backend: loader.backend,
        modules_not_followed: loader.modules_not_followed,
        notes: loader.notes,
        imports: loader.imports,
        secrets: {
            let mut s = loader.secrets;
            s.sort();
            s.dedup();
            s
        },
    };
    config.imports.sort_by(|a, b| {
        (&a.to, &a.source.file, a.source.line).cmp(&(&b.to, &b.source.file, b.source.line))
    });
    config.resources.sort_by(|a, b| {
        (&a.module_path, a.mode, &a.resource_type, &a.name).cmp(&(
            &b.module_path,
            b.mode,
            &b.resource_type,
            &b.name,
        ))
    });
    config
        .modules_not_followed
        .sort_by(|a, b| a.module_path.cmp(&b.module_path));
    Ok(config)
}

/// How deep local module calls may nest (a module that calls itself would never end).
const MAX_MODULE_DEPTH: usize = 32;

/// Meta-arguments of a resource block: not attributes.
const META_ATTRIBUTES: &[&str] = &["count", "for_each", "provider", "depends_on"];
const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];
/// Arguments of a module block that are not input variables.
const MODULE_META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

#[derive(Default)]
struct Loader {
    resources: Vec<ConfiguredResource>,
    backend: Option<Backend>,
    modules_not_followed: Vec<ModuleNotFollowed>,
    notes: Vec<String>,
    imports: Vec<crate::model::desired::ConfiguredImport>,
    secrets: Vec<String>,
}

/// The blocks of one module that matter here, with where they are.
#[derive(Default)]
struct ModuleBlocks {
    /// name -> (default expression, sensitive)
    variables: BTreeMap<String, (Option<Expression>, bool)>,
    locals: Vec<(String, Expression)>,
    resources: Vec<(Mode, usize, edit::Block)>,
    modules: Vec<(usize, edit::Block)>,
    terraform: Vec<(usize, edit::Block)>,
    imports: Vec<(usize, edit::Block)>,
}

impl Loader {
    fn load_module(
        &mut self,
        dir: &FsPath,
        rel_dir: &str,
        module_path: &[String],
        inputs: Option<BTreeMap<String, Value>>,
        repeated: bool,
        depth: usize,
    ) -> Result<()> {
        let files = tf_files(dir)?;
        if files.is_empty() && module_path.is_empty() {
            return Err(Error::ConfigEmpty {
                path: dir.display().to_string(),
            });
        }
        let mut parsed = Vec::new();
        for name in files {
            let rel = join_rel(rel_dir, &name);
            let text = read(&dir.join(&name), &rel)?;
            parsed.push(parse::parse_file(&rel, text)?);
        }

        let mut blocks = ModuleBlocks::default();
        for (i, file) in parsed.iter().enumerate() {
            collect(&mut blocks, i, &file.body);
        }

        let given = match inputs {
            Some(inputs) => inputs,
            None => self.tfvars(dir)?,
        };
        let scope = self.scope(&blocks, &given);
        if module_path.is_empty() {
            self.root_blocks(&parsed, &blocks);
        }

        for (mode, file, block) in &blocks.resources {
            let file = &parsed[*file];
            if let Some(r) = configured(&scope, file, block, *mode, module_path, repeated) {
                self.resources.push(r);
            }
        }

        for (file, block) in &blocks.modules {
            let file = &parsed[*file];
            self.module_call(
                &scope,
                dir,
                rel_dir,
                file,
                block,
                module_path,
                repeated,
                depth,
            )?;
        }
        Ok(())
    }

    /// The module's scope: its input variables (given, or their defaults; a sensitive one's
    /// texts kept to mask) and its locals.
    fn scope(&mut self, blocks: &ModuleBlocks, given: &BTreeMap<String, Value>) -> Scope {
        let literal = Scope::empty();
        let mut vars = BTreeMap::new();
        for (name, (default, sensitive)) in &blocks.variables {
            let value = match (given.get(name), default) {
                (Some(v), _) => v.clone(),
                (None, Some(d)) => literal.eval(d),
                (None, None) => Value::Unknown,
            };
            let value = if *sensitive && value != Value::Unknown {
                crate::mask::scalar_texts(&value, &mut self.secrets);
                Value::sensitive(value)
            } else {
                value
            };
            vars.insert(name.clone(), value);
        }

        // Locals may refer to each other in any order: evaluate until nothing changes.
        let mut locals: BTreeMap<String, Value> = blocks
            .locals
            .iter()
            .map(|(n, _)| (n.clone(), Value::Unknown))
            .collect();
        for _ in 0..=blocks.locals.len() {
            let scope = Scope::new(vars.clone(), locals.clone());
            let next: BTreeMap<String, Value> = blocks
                .locals
                .iter()
                .map(|(n, e)| (n.clone(), scope.eval(e)))
                .collect();
            if next == locals {
                break;
            }
            locals = next;
        }
        Scope::new(vars, locals)
    }

    /// The root module's `terraform` blocks (the backend) and `import` blocks (only valid
    /// in the root module).
    fn root_blocks(&mut self, parsed: &[ParsedFile], blocks: &ModuleBlocks) {
        for (file, block) in &blocks.terraform {
            self.backend_from(&parsed[*file], block);
        }
        // `import` blocks are only valid in the root module.
        for (file, block) in &blocks.imports {
            let file = &parsed[*file];
            let body: hcl::Body = block.body.clone().into();
            let to = body
                .attributes()
                .find(|a| a.key.as_str() == "to")
                .and_then(|a| address_of(&a.expr));
            if let Some(to) = to {
                self.imports.push(crate::model::desired::ConfiguredImport {
                    to,
                    source: SourceLocation {
                        file: file.rel.clone(),
                        line: block.span().map_or(1, |s| file.line_of(s.start)),
                    },
                });
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn module_call(
        &mut self,
        scope: &Scope,
        dir: &FsPath,
        rel_dir: &str,
        file: &ParsedFile,
        block: &edit::Block,
        module_path: &[String],
        repeated: bool,
        depth: usize,
    ) -> Result<()> {
        let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
            return Ok(());
        };
        let mut call_path = module_path.to_vec();
        call_path.push(name.clone());
        let location = SourceLocation {
            file: file.rel.clone(),
            line: block.span().map_or(1, |s| file.line_of(s.start)),
        };
        let mut body: hcl::Body = block.body.clone().into();
        parse::dedup_body(&mut body);
        let source_attr = block.body.get_attribute("source");
        let source = body
            .attributes()
            .find(|a| a.key.as_str() == "source")
            .and_then(|a| match &a.expr {
                Expression::String(s) => Some(s.clone()),
                _ => None,
            });
        let local = source
            .as_deref()
            .filter(|s| s.starts_with("./") || s.starts_with("../") || *s == "." || *s == "..");
        let Some(local) = local else {
            self.modules_not_followed.push(ModuleNotFollowed {
                module_path: call_path,
                source,
                location,
            });
            return Ok(());
        };
        let span = source_attr
            .and_then(|a| a.value.span())
            .map(|s| file.span(s));
        let module_error = |reason: String, help: &str| Error::ConfigModule {
            path: file.rel.clone(),
            name: name.clone(),
            reason,
            help: help.to_string(),
            line: span.map(|s| {
                let at = s.offset().min(file.text.len());
                file.text.as_bytes()[..at]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            }),
            span,
        };
        if depth >= MAX_MODULE_DEPTH {
            return Err(module_error(
                format!("local modules nest more than {MAX_MODULE_DEPTH} deep"),
                "a module that calls itself, directly or through others, never ends",
            ));
        }
        let child_dir: PathBuf = dir.join(local);
        if !child_dir.is_dir() {
            return Err(module_error(
                format!("local source `{local}` is not a directory"),
                "the path is relative to the directory of the file that calls the module",
            ));
        }
        let mut inputs = BTreeMap::new();
        for attr in body.attributes() {
            if !MODULE_META.contains(&attr.key.as_str()) {
                inputs.insert(attr.key.to_string(), scope.eval(&attr.expr));
            }
        }
        let repeated = repeated
            || body
                .attributes()
                .any(|a| matches!(a.key.as_str(), "count" | "for_each"));
        let child_rel = join_rel(rel_dir, local);
        self.load_module(
            &child_dir,
            &child_rel,
            &call_path,
            Some(inputs),
            repeated,
            depth + 1,
        )
    }

    /// Root variable values from `terraform.tfvars`, `terraform.tfvars.json` and
    /// `*.auto.tfvars(.json)` in lexical order, later files winning, as terraform loads them.
    fn tfvars(&mut self, dir: &FsPath) -> Result<BTreeMap<String, Value>> {
        let mut names = vec![
            "terraform.tfvars".to_string(),
            "terraform.tfvars.json".to_string(),
        ];
        let mut auto: Vec<String> = list_dir(dir)?
            .into_iter()
            .filter(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
            .collect();
        auto.sort();
        names.extend(auto);
        let mut values = BTreeMap::new();
        let literal = Scope::empty();
        for name in names {
            let path = dir.join(&name);
            if !path.is_file() {
                continue;
            }
            let text = read(&path, &name)?;
            if name.ends_with(".json") {
                let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                    let offset = offset_of(&text, e.line(), e.column());
                    parse::syntax_error(&name, &text, offset, &e.to_string())
                })?;
                if let serde_json::Value::Object(map) = json {
                    for (k, v) in map {
                        values.insert(k, from_json(v));
                    }
                }
            } else {
                let parsed = parse::parse_file(&name, text)?;
                let mut body: hcl::Body = parsed.body.into();
                parse::dedup_body(&mut body);
                for attr in body.attributes() {
                    values.insert(attr.key.to_string(), literal.eval(&attr.expr));
                }
            }
        }
        Ok(values)
    }

    fn backend_from(&mut self, file: &ParsedFile, terraform: &edit::Block) {
        for block in terraform.body.blocks() {
            if block.ident.as_str() != "backend" {
                continue;
            }
            let Some(kind) = block.labels.first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            let mut body: hcl::Body = block.body.clone().into();
            parse::dedup_body(&mut body);
            let line = block.span().map_or(1, |s| file.line_of(s.start));
            let mut field = |name: &str| -> Option<String> {
                let attr = body.attributes().find(|a| a.key.as_str() == name)?;
                match &attr.expr {
                    Expression::String(s) => Some(s.clone()),
                    _ => {
                        self.notes.push(format!(
                            "{}:{line}: backend \"{kind}\" `{name}` is not a literal string; \
                             it is not used to find the state",
                            file.rel
                        ));
                        None
                    }
                }
            };
            let backend = match kind.as_str() {
                "s3" => Backend::S3 {
                    bucket: field("bucket"),
                    key: field("key"),
                    region: field("region"),
                    workspace_key_prefix: field("workspace_key_prefix"),
                },
                "local" => Backend::Local {
                    path: field("path"),
                },
                _ => Backend::Other { kind: kind.clone() },
            };
            if matches!(backend, Backend::S3 { .. }) && backend.s3_state_uri("default").is_none() {
                self.notes.push(format!(
                    "{}:{line}: backend \"s3\" does not say its bucket and key (partial \
                     configuration?); give the state with `--state s3://BUCKET/KEY`",
                    file.rel
                ));
            }
            self.backend = Some(backend);
        }
    }
}

/// An `import` block's `to` (a reference such as `aws_iam_role.rogue`,
/// `aws_instance.web["a"]` or `module.app.aws_vpc.main[0]`) as terraform prints the address;
/// `None` for anything else (a `for_each` import's `each.key` index, say).
fn address_of(expr: &Expression) -> Option<String> {
    use hcl::expr::TraversalOperator as Op;
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let mut out = root.as_str().to_string();
    for op in &t.operators {
        match op {
            Op::GetAttr(id) => {
                out.push('.');
                out.push_str(id.as_str());
            }
            Op::Index(Expression::Number(n)) => out.push_str(&format!("[{n}]")),
            Op::LegacyIndex(n) => out.push_str(&format!("[{n}]")),
            Op::Index(Expression::String(s)) => {
                out.push_str(&format!("[{}]", serde_json::Value::from(s.as_str())))
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Sorts a module's top-level blocks into what the loader needs.
fn collect(blocks: &mut ModuleBlocks, file: usize, body: &edit::Body) {
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        match (block.ident.as_str(), labels.as_slice()) {
            ("variable", [name]) => {
                let mut b: hcl::Body = block.body.clone().into();
                parse::dedup_body(&mut b);
                let mut default = None;
                let mut sensitive = false;
                for attr in b.attributes() {
                    match attr.key.as_str() {
                        "default" => default = Some(attr.expr.clone()),
                        "sensitive" => sensitive = attr.expr == Expression::Bool(true),
                        _ => {}
                    }
                }
                blocks
                    .variables
                    .insert((*name).to_string(), (default, sensitive));
            }
            ("locals", []) => {
                let mut b: hcl::Body = block.body.clone().into();
                parse::dedup_body(&mut b);
                for attr in b.attributes() {
                    blocks
                        .locals
                        .push((attr.key.to_string(), attr.expr.clone()));
                }
            }
            ("resource", [_, _]) => blocks.resources.push((Mode::Managed, file, block.clone())),
            ("data", [_, _]) => blocks.resources.push((Mode::Data, file, block.clone())),
            ("module", [_]) => blocks.modules.push((file, block.clone())),
            ("terraform", []) => blocks.terraform.push((file, block.clone())),
            ("import", []) => blocks.imports.push((file, block.clone())),
            _ => {}
        }
    }
}

/// One resource block, evaluated.
fn configured(
    scope: &Scope,
    file: &ParsedFile,
    block: &edit::Block,
    mode: Mode,
    module_path: &[String],
    repeated: bool,
) -> Option<ConfiguredResource> {
    let resource_type = block.labels.first()?.as_str().to_string();
    let name = block.labels.get(1)?.as_str().to_string();
    let line = block.span().map_or(1, |s| file.line_of(s.start));
    let mut body: hcl::Body = block.body.clone().into();
    parse::dedup_body(&mut body);

    let meta = |key: &str| {
        body.attributes()
            .find(|a| a.key.as_str() == key)
            .map(|a| &a.expr)
    };
    let count = meta("count");
    let for_each = meta("for_each");
    let has_count_or_for_each = count.is_some() || for_each.is_some();

    let (attributes, block_attributes) = eval_body(scope, &body, true);
    let instances = if repeated {
        None
    } else if let Some(count) = count {
        match scope.eval(count) {
            Value::Number(n) if n >= 0.0 && n.fract() == 0.0 && n < 100_000.0 => Some(
                (0..n as i64)
                    .map(|i| {
                        let (attrs, _) = eval_body(&scope.with_count(i), &body, true);
                        (Some(InstanceKey::Int(i)), attrs)
                    })
                    .collect(),
            ),
            _ => None,
        }
    } else if let Some(for_each) = for_each {
        let entries: Option<Vec<(String, Value)>> = match scope.eval(for_each) {
            Value::Map(m) if !contains_unknown(&Value::Map(m.clone())) => {
                Some(m.into_iter().collect())
            }
            Value::List(l) => l
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Some((s.clone(), Value::String(s))),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        entries.map(|entries| {
            entries
                .into_iter()
                .map(|(k, v)| {
                    let (attrs, _) = eval_body(&scope.with_each(&k, v), &body, true);
                    (Some(InstanceKey::Str(k)), attrs)
                })
                .collect()
        })
    } else {
        Some(BTreeMap::from([(None, attributes.clone())]))
    };

    let mut ignore_changes = IgnoreChanges::None;
    let mut ignore_changes_source = None;
    for lifecycle in block
        .body
        .blocks()
        .filter(|b| b.ident.as_str() == "lifecycle")
    {
        let mut lb: hcl::Body = lifecycle.body.clone().into();
        parse::dedup_body(&mut lb);
        if let Some(attr) = lb.attributes().find(|a| a.key.as_str() == "ignore_changes") {
            ignore_changes = parse_ignore_changes(&attr.expr);
            ignore_changes_source = Some(SourceLocation {
                file: file.rel.clone(),
                line: lifecycle.span().map_or(line, |s| file.line_of(s.start)),
            });
        }
    }

    Some(ConfiguredResource {
        module_path: module_path.to_vec(),
        mode,
        resource_type,
        name,
        source: SourceLocation {
            file: file.rel.clone(),
            line,
        },
        has_count_or_for_each,
        in_repeated_module: repeated,
        ignore_changes,
        ignore_changes_source,
        attributes,
        block_attributes,
        instances,
    })
}

/// A block body as attributes; nested blocks become lists of maps. At the top level of a
/// resource, meta-arguments are left out and the names of block-valued attributes returned.
fn eval_body(scope: &Scope, body: &hcl::Body, top: bool) -> (Attributes, BTreeSet<String>) {
    let mut attrs = Attributes::new();
    let mut blocks = BTreeSet::new();
    for attr in body.attributes() {
        if top && META_ATTRIBUTES.contains(&attr.key.as_str()) {
            continue;
        }
        attrs.insert(attr.key.to_string(), scope.eval(&attr.expr));
    }
    let mut dynamic = BTreeSet::new();
    for block in body.blocks() {
        let ident = block.identifier.as_str();
        if top && META_BLOCKS.contains(&ident) {
            continue;
        }
        if ident == "dynamic" {
            // Generated blocks: their number and content are not static here.
            if let Some(label) = block.labels.first() {
                let label = label.as_str().to_string();
                attrs.insert(label.clone(), Value::Unknown);
                blocks.insert(label.clone());
                dynamic.insert(label);
            }
            continue;
        }
        if dynamic.contains(ident) {
            continue;
        }
        let (inner, _) = eval_body(scope, &block.body, false);
        blocks.insert(ident.to_string());
        match attrs
            .entry(ident.to_string())
            .or_insert_with(|| Value::List(Vec::new()))
        {
            Value::List(items) => items.push(Value::Map(inner)),
            other => *other = Value::Unknown,
        }
    }
    (attrs, blocks)
}

fn parse_ignore_changes(expr: &Expression) -> IgnoreChanges {
    match expr {
        Expression::Variable(v) if v.as_str() == "all" => IgnoreChanges::All,
        Expression::String(s) if s == "all" => IgnoreChanges::All,
        Expression::Array(items) => {
            IgnoreChanges::Paths(items.iter().filter_map(expr_to_path).collect())
        }
        _ => IgnoreChanges::None,
    }
}

/// `tags["Name"]`, `ebs_block_device[0].volume_size`, or the legacy quoted `"tags"`.
fn expr_to_path(expr: &Expression) -> Option<Path> {
    match expr {
        Expression::Variable(v) => Some(Path::root(v.as_str())),
        Expression::String(s) => expr_to_path(&s.parse::<Expression>().ok()?),
        Expression::Traversal(t) => {
            let mut path = expr_to_path(&t.expr)?;
            for op in &t.operators {
                path = match op {
                    TraversalOperator::GetAttr(k) => path.key(k.as_str()),
                    TraversalOperator::LegacyIndex(i) => path.index(*i as usize),
                    TraversalOperator::Index(Expression::String(s)) => path.key(s.clone()),
                    TraversalOperator::Index(Expression::Number(n)) => {
                        path.index(n.as_u64()? as usize)
                    }
                    _ => return None,
                };
            }
            Some(path)
        }
        _ => None,
    }
}

fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => n.as_f64().map_or(Value::Unknown, Value::Number),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::List(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.into_iter().map(|(k, v)| (k, from_json(v))).collect())
        }
    }
}

/// The byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

fn read(path: &FsPath, rel: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
        path: rel.to_string(),
        source,
    })
}

fn list_dir(dir: &FsPath) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::ConfigRead {
        path: dir.display().to_string(),
        source,
    })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ConfigRead {
            path: dir.display().to_string(),
            source,
        })?;
        if entry.path().is_file()
            && let Some(name) = entry.file_name().to_str()
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// The `*.tf` files of a directory, sorted (terraform's order; `*.tf.json` is not read).
fn tf_files(dir: &FsPath) -> Result<Vec<String>> {
    Ok(list_dir(dir)?
        .into_iter()
        .filter(|n| n.ends_with(".tf") && !n.starts_with('.'))
        .collect())
}

/// `base` joined with a relative path, `.` and `..` resolved lexically, `/`-separated:
/// the path as the user would write it from the configuration directory.
fn join_rel(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests;
