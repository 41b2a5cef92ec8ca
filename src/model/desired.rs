//! The *desired* side as data: the terraform configuration's resource blocks, their
//! locations, `lifecycle { ignore_changes }` and statically known attributes, the backend.
//! `iac::config` reads `.tf` files into these types; the pure stages (`diff::pending`,
//! `policy::grade`, `plan`) read them from here, so no arrow runs from the core back up to
//! a reader.

use std::collections::{BTreeMap, BTreeSet};

use super::{Address, Attributes, InstanceKey, Mode, Path, Secret, SourceLocation, Value};

/// The terraform configuration of one working directory, local modules included.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Configuration {
    /// Sorted by module path, mode, type, name.
    pub resources: Vec<ConfiguredResource>,
    /// The root module's `terraform { backend "..." {} }`.
    pub backend: Option<Backend>,
    /// Module calls whose source is not a local directory (registry, git, ...): their
    /// resources are not in `resources`.
    pub modules_not_followed: Vec<ModuleNotFollowed>,
    /// Things the reader could not take into account, for the report's notes.
    pub notes: Vec<String>,
    /// The root module's `import { to = ADDRESS, id = "..." }` blocks: a resource block they
    /// name is not "not yet created" but to be imported by terraform.
    pub imports: Vec<ConfiguredImport>,
    /// The texts of every value of a variable marked `sensitive` (from tfvars, module inputs
    /// or the default), sorted: scrubbed from anything shown that quotes the configuration
    /// (an edit's diff).
    pub secrets: Vec<String>,
}

/// One `import` block (terraform 1.5+): `to` as terraform prints the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredImport {
    pub to: String,
    pub source: SourceLocation,
}

impl Configuration {
    /// The resource block an address belongs to, ignoring instance keys:
    /// `module.app["x"].aws_instance.web[0]` is block `aws_instance.web` of module call
    /// `app`.
    pub fn find(&self, address: &Address) -> Option<&ConfiguredResource> {
        self.resources.iter().find(|r| r.matches(address))
    }

    /// Whether a module path lies inside a module call that was not followed, so that the
    /// absence of a resource there says nothing.
    pub fn is_inside_unfollowed_module(&self, module_path: &[String]) -> bool {
        self.modules_not_followed
            .iter()
            .any(|m| module_path.starts_with(&m.module_path))
    }
}

/// One `resource` or `data` block.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfiguredResource {
    /// The module call names from the root: `["app", "net"]` for `module.app.module.net`.
    pub module_path: Vec<String>,
    pub mode: Mode,
    pub resource_type: String,
    pub name: String,
    /// The block's first line.
    pub source: SourceLocation,
    /// The block has `count` or `for_each`.
    pub has_count_or_for_each: bool,
    /// Some enclosing module call has `count` or `for_each`.
    pub in_repeated_module: bool,
    pub ignore_changes: IgnoreChanges,
    /// The `lifecycle` block that holds `ignore_changes`: the reason given for ignored
    /// changes.
    pub ignore_changes_source: Option<SourceLocation>,
    /// Attributes as configured, evaluated without `count.index` / `each` (unknown there).
    /// Nested blocks are lists of maps (see `block_attributes`). Meta-arguments (`count`,
    /// `for_each`, `provider`, `depends_on`, `lifecycle`, provisioners) are left out.
    pub attributes: Attributes,
    /// Attributes written as nested blocks (`ingress { ... }`): they name only some of the
    /// fields the provider records, so compare them as partial objects.
    pub block_attributes: BTreeSet<String>,
    /// The instances, when their set is statically known: the key (`None` without
    /// count/for_each) and the attributes evaluated for that instance. `None` when the set
    /// depends on something unknown, or on an enclosing module's `count`/`for_each`.
    pub instances: Option<BTreeMap<Option<InstanceKey>, Attributes>>,
}

impl ConfiguredResource {
    /// Whether `address` is an instance of this block (instance keys ignored).
    pub fn matches(&self, address: &Address) -> bool {
        self.mode == address.mode
            && self.resource_type == address.resource_type
            && self.name == address.name
            && self.module_path.len() == address.module.len()
            && self
                .module_path
                .iter()
                .zip(&address.module)
                .all(|(a, b)| *a == b.name)
    }

    /// The address of one instance (module steps without keys).
    pub fn address(&self, key: Option<InstanceKey>) -> Address {
        let mut a = Address {
            module: Vec::new(),
            mode: self.mode,
            resource_type: self.resource_type.clone(),
            name: self.name.clone(),
            key,
        };
        for m in &self.module_path {
            a = a.in_module(m.clone(), None);
        }
        a
    }
}

/// `lifecycle { ignore_changes = ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    /// `ignore_changes = all`.
    All,
    /// `ignore_changes = [tags["Name"], ami]`.
    Paths(Vec<Path>),
}

impl IgnoreChanges {
    /// Whether a change at `path` is ignored: the path is, or lies under, an ignored one.
    pub fn ignores(&self, path: &Path) -> bool {
        match self {
            IgnoreChanges::None => false,
            IgnoreChanges::All => true,
            IgnoreChanges::Paths(paths) => paths.iter().any(|p| path.0.starts_with(&p.0)),
        }
    }
}

/// The root module's backend, as far as its literals say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `backend "s3"`; a field that is absent (partial configuration given to `terraform
    /// init -backend-config`) or not a literal is `None`, with a note.
    S3 {
        bucket: Option<String>,
        key: Option<String>,
        region: Option<String>,
        workspace_key_prefix: Option<String>,
    },
    /// `backend "local"` (`path` relative to the configuration directory).
    Local { path: Option<String> },
    /// Any other backend, by type.
    Other { kind: String },
}

impl Backend {
    /// The state's `s3://bucket/key` for a workspace, as terraform's S3 backend places it:
    /// `key` for `default`, `<workspace_key_prefix or env:>/<workspace>/<key>` otherwise.
    pub fn s3_state_uri(&self, workspace: &str) -> Option<String> {
        let Backend::S3 {
            bucket: Some(bucket),
            key: Some(key),
            workspace_key_prefix,
            ..
        } = self
        else {
            return None;
        };
        if workspace == "default" {
            Some(format!("s3://{bucket}/{key}"))
        } else {
            let prefix = workspace_key_prefix.as_deref().unwrap_or("env:");
            Some(format!("s3://{bucket}/{prefix}/{workspace}/{key}"))
        }
    }
}

/// A module call whose source is not a local path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleNotFollowed {
    /// The path of the call itself: `["app"]` for `module "app"` in the root.
    pub module_path: Vec<String>,
    /// `source` as written (or `None` when not a literal).
    pub source: Option<String>,
    pub location: SourceLocation,
}

/// Whether a value holds [`Value::Unknown`] anywhere (inside a secret too).
pub fn contains_unknown(value: &Value) -> bool {
    match value {
        Value::Unknown => true,
        Value::List(l) => l.iter().any(contains_unknown),
        Value::Map(m) => m.values().any(contains_unknown),
        Value::Sensitive(Secret::Clear(inner)) => contains_unknown(inner),
        _ => false,
    }
}
