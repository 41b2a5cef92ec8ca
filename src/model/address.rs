//! Terraform resource addresses, printed exactly as terraform prints them:
//! `module.net.aws_subnet.app[1]`, `aws_instance.worker["a"]`.

use std::fmt;

/// The key of one `count` (integer) or `for_each` (string) instance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            // terraform quotes for_each keys with HCL string escaping.
            InstanceKey::Str(s) => {
                write!(f, "[\"")?;
                for c in s.chars() {
                    match c {
                        '"' => write!(f, "\\\"")?,
                        '\\' => write!(f, "\\\\")?,
                        '\n' => write!(f, "\\n")?,
                        c => write!(f, "{c}")?,
                    }
                }
                write!(f, "\"]")
            }
        }
    }
}

/// One `module.NAME[KEY]` step of a module path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<InstanceKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Managed,
    Data,
}

/// A resource instance address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub module: Vec<ModuleStep>,
    pub mode: Mode,
    pub resource_type: String,
    pub name: String,
    pub key: Option<InstanceKey>,
}

impl Address {
    pub fn managed(resource_type: impl Into<String>, name: impl Into<String>) -> Address {
        Address {
            module: Vec::new(),
            mode: Mode::Managed,
            resource_type: resource_type.into(),
            name: name.into(),
            key: None,
        }
    }

    pub fn with_key(mut self, key: InstanceKey) -> Address {
        self.key = Some(key);
        self
    }

    pub fn in_module(mut self, name: impl Into<String>, key: Option<InstanceKey>) -> Address {
        self.module.push(ModuleStep {
            name: name.into(),
            key,
        });
        self
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.module {
            write!(f, "module.{}", step.name)?;
            if let Some(k) = &step.key {
                write!(f, "{k}")?;
            }
            write!(f, ".")?;
        }
        if self.mode == Mode::Data {
            write!(f, "data.")?;
        }
        write!(f, "{}.{}", self.resource_type, self.name)?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_terraform() {
        let a = Address::managed("aws_subnet", "app")
            .with_key(InstanceKey::Int(1))
            .in_module("net", None);
        assert_eq!(a.to_string(), "module.net.aws_subnet.app[1]");
        let b = Address::managed("aws_instance", "worker").with_key(InstanceKey::Str("a".into()));
        assert_eq!(b.to_string(), "aws_instance.worker[\"a\"]");
        let c = Address::managed("aws_vpc", "x")
            .in_module("a", Some(InstanceKey::Str("k\"q".into())))
            .in_module("b", Some(InstanceKey::Int(0)));
        assert_eq!(c.to_string(), "module.a[\"k\\\"q\"].module.b[0].aws_vpc.x");
    }
}
