//! Static evaluation of configuration expressions: what can be known without a plan.
//!
//! Literals, arrays and objects are walked here, so one unknown element leaves its siblings
//! known. References to `var.*`, `local.*`, `count.index` and `each.*` are resolved directly
//! (a partly unknown local stays partly unknown). Everything else (templates, operators,
//! conditionals, `for` expressions, function calls) goes to hcl-rs's evaluator with a context
//! holding only the fully known variables and locals and the functions of [`super::funcs`]:
//! when it fails (a reference to a resource, a data source, a module output, an unknown
//! function), the value is [`Value::Unknown`]. Nothing is guessed.

use std::collections::BTreeMap;

use hcl::eval::{Context, Evaluate};
use hcl::{Expression, ObjectKey, TraversalOperator};

use crate::model::{Secret, Value};

use super::funcs;

/// The names in scope for one module instance (and, per resource instance, `count`/`each`).
#[derive(Clone)]
pub(super) struct Scope {
    vars: BTreeMap<String, Value>,
    locals: BTreeMap<String, Value>,
    count: Option<Value>,
    each: Option<Value>,
    ctx: Context<'static>,
}

impl Scope {
    /// A scope with no names, for literal-only places (variable defaults, `.tfvars`).
    pub fn empty() -> Scope {
        Scope::new(BTreeMap::new(), BTreeMap::new())
    }

    pub fn new(vars: BTreeMap<String, Value>, locals: BTreeMap<String, Value>) -> Scope {
        let mut ctx = Context::new();
        funcs::declare(&mut ctx);
        let mut scope = Scope {
            vars,
            locals,
            count: None,
            each: None,
            ctx,
        };
        scope.ctx.declare_var("var", known_object(&scope.vars));
        scope.ctx.declare_var("local", known_object(&scope.locals));
        scope
    }

    /// The same scope with `count.index` set.
    pub fn with_count(&self, index: i64) -> Scope {
        let mut s = self.clone();
        let obj = BTreeMap::from([("index".to_string(), Value::from(index))]);
        s.ctx.declare_var("count", known_object(&obj));
        s.count = Some(Value::Map(obj));
        s
    }

    /// The same scope with `each.key` and `each.value` set.
    pub fn with_each(&self, key: &str, value: Value) -> Scope {
        let mut s = self.clone();
        let obj = BTreeMap::from([
            ("key".to_string(), Value::str(key)),
            ("value".to_string(), value),
        ]);
        s.ctx.declare_var("each", known_object(&obj));
        s.each = Some(Value::Map(obj));
        s
    }

    pub fn eval(&self, expr: &Expression) -> Value {
        match expr {
            Expression::Null => Value::Null,
            Expression::Bool(b) => Value::Bool(*b),
            Expression::Number(n) => n.as_f64().map_or(Value::Unknown, Value::Number),
            Expression::String(s) => Value::String(s.clone()),
            Expression::Array(items) => Value::List(items.iter().map(|e| self.eval(e)).collect()),
            Expression::Object(object) => {
                let mut map = BTreeMap::new();
                for (key, value) in object {
                    let key = match key {
                        ObjectKey::Identifier(id) => id.to_string(),
                        ObjectKey::Expression(e) => match self.eval(e).scalar_text() {
                            Some(k) => k,
                            None => return Value::Unknown,
                        },
                        _ => return Value::Unknown,
                    };
                    map.insert(key, self.eval(value));
                }
                Value::Map(map)
            }
            Expression::Parenthesis(inner) => self.eval(inner),
            Expression::Variable(v) => self.root(v.as_str()).unwrap_or_else(|| self.hcl(expr)),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => match self.root(v.as_str()) {
                    Some(root) => self
                        .traverse(root, &t.operators)
                        .unwrap_or_else(|| self.hcl(expr)),
                    None => self.hcl(expr),
                },
                _ => self.hcl(expr),
            },
            _ => self.hcl(expr),
        }
    }

    /// The value of a root name this scope resolves itself.
    fn root(&self, name: &str) -> Option<Value> {
        match name {
            "var" => Some(Value::Map(self.vars.clone())),
            "local" => Some(Value::Map(self.locals.clone())),
            "count" => Some(self.count.clone().unwrap_or(Value::Unknown)),
            "each" => Some(self.each.clone().unwrap_or(Value::Unknown)),
            _ => None,
        }
    }

    /// Follows attribute and index steps. `None` for splats (left to hcl-rs).
    fn traverse(&self, mut value: Value, ops: &[TraversalOperator]) -> Option<Value> {
        let mut sensitive = false;
        for op in ops {
            if let Value::Sensitive(Secret::Clear(inner)) = value {
                sensitive = true;
                value = *inner;
            }
            if matches!(value, Value::Unknown | Value::Sensitive(_)) {
                return Some(Value::Unknown);
            }
            let next = match op {
                TraversalOperator::GetAttr(id) => value.get(id.as_str()).cloned(),
                TraversalOperator::LegacyIndex(i) => value.get(&i.to_string()).cloned(),
                TraversalOperator::Index(e) => match self.eval(e) {
                    Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => {
                        value.as_list().and_then(|l| l.get(n as usize)).cloned()
                    }
                    Value::String(s) => match &value {
                        Value::Map(m) => m.get(&s).cloned(),
                        Value::List(l) => s.parse::<usize>().ok().and_then(|i| l.get(i)).cloned(),
                        _ => None,
                    },
                    _ => None,
                },
                TraversalOperator::AttrSplat | TraversalOperator::FullSplat => return None,
            };
            // A missing key or index is an error in terraform; here it is just not known.
            value = next.unwrap_or(Value::Unknown);
        }
        Some(if sensitive && !matches!(value, Value::Unknown) {
            Value::sensitive(value)
        } else {
            value
        })
    }

    fn hcl(&self, expr: &Expression) -> Value {
        match expr.evaluate(&self.ctx) {
            Ok(v) => from_hcl(v),
            Err(_) => Value::Unknown,
        }
    }
}

/// An object of the fully known entries (unknown and sensitive ones left out, so any
/// expression using them fails and becomes unknown).
fn known_object(values: &BTreeMap<String, Value>) -> hcl::Value {
    let mut map = hcl::Map::new();
    for (k, v) in values {
        if let Some(v) = to_hcl(v) {
            map.insert(k.clone(), v);
        }
    }
    hcl::Value::Object(map)
}

/// A model value as an hcl-rs value; `None` when any part is unknown or sensitive.
pub(super) fn to_hcl(value: &Value) -> Option<hcl::Value> {
    Some(match value {
        Value::Null => hcl::Value::Null,
        Value::Bool(b) => hcl::Value::Bool(*b),
        Value::Number(n) => hcl::Value::Number(number(*n)?),
        Value::String(s) => hcl::Value::String(s.clone()),
        Value::List(l) => hcl::Value::Array(l.iter().map(to_hcl).collect::<Option<_>>()?),
        Value::Map(m) => hcl::Value::Object(
            m.iter()
                .map(|(k, v)| Some((k.clone(), to_hcl(v)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Sensitive(_) | Value::Unknown => return None,
    })
}

/// Integers stay integers, so templates print `1`, not `1.0`.
pub(super) fn number(n: f64) -> Option<hcl::Number> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Some(hcl::Number::from(n as i64))
    } else {
        hcl::Number::from_f64(n)
    }
}

pub(super) fn from_hcl(value: hcl::Value) -> Value {
    match value {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(b),
        hcl::Value::Number(n) => n.as_f64().map_or(Value::Unknown, Value::Number),
        hcl::Value::String(s) => Value::String(s),
        hcl::Value::Array(items) => Value::List(items.into_iter().map(from_hcl).collect()),
        hcl::Value::Object(map) => {
            Value::Map(map.into_iter().map(|(k, v)| (k, from_hcl(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_in(scope: &Scope, src: &str) -> Value {
        let expr: Expression = src.parse().expect("expression parses");
        scope.eval(&expr)
    }

    fn scope() -> Scope {
        let vars = BTreeMap::from([
            ("env".to_string(), Value::str("prod")),
            ("n".to_string(), Value::from(3)),
            ("id".to_string(), Value::Unknown),
            ("pw".to_string(), Value::sensitive(Value::str("hunter2"))),
        ]);
        let locals = BTreeMap::from([(
            "tags".to_string(),
            Value::Map(BTreeMap::from([
                ("team".to_string(), Value::str("core")),
                ("owner".to_string(), Value::Unknown),
            ])),
        )]);
        Scope::new(vars, locals)
    }

    #[test]
    fn literals_variables_and_templates() {
        let s = scope();
        assert_eq!(eval_in(&s, "\"app-${var.env}\""), Value::str("app-prod"));
        assert_eq!(eval_in(&s, "var.n + 1"), Value::from(4));
        assert_eq!(eval_in(&s, "var.env == \"prod\" ? 2 : 1"), Value::from(2));
        assert_eq!(
            eval_in(&s, "[for x in [1, 2]: x * var.n]"),
            Value::from(vec![3, 6])
        );
        assert_eq!(eval_in(&s, "local.tags.team"), Value::str("core"));
        assert_eq!(eval_in(&s, "local.tags[\"team\"]"), Value::str("core"));
    }

    #[test]
    fn unknowns_stay_local_and_are_never_guessed() {
        let s = scope();
        assert_eq!(eval_in(&s, "aws_vpc.main.id"), Value::Unknown);
        assert_eq!(eval_in(&s, "data.aws_ami.x.id"), Value::Unknown);
        assert_eq!(eval_in(&s, "\"${var.id}-x\""), Value::Unknown);
        assert_eq!(eval_in(&s, "nosuchfunction(1)"), Value::Unknown);
        assert_eq!(eval_in(&s, "count.index"), Value::Unknown);
        let v = eval_in(&s, "{ a = 1, b = aws_vpc.main.id }");
        assert_eq!(v.get("a"), Some(&Value::from(1)));
        assert_eq!(v.get("b"), Some(&Value::Unknown));
        // A partly unknown local stays partly unknown when referenced directly...
        assert_eq!(
            eval_in(&s, "local.tags").get("team"),
            Some(&Value::str("core"))
        );
        // ...and is unknown inside a larger expression.
        assert_eq!(eval_in(&s, "merge(local.tags, {})"), Value::Unknown);
    }

    #[test]
    fn sensitive_variables_stay_wrapped() {
        let s = scope();
        assert!(eval_in(&s, "var.pw").is_sensitive());
        assert_eq!(eval_in(&s, "\"${var.pw}\""), Value::Unknown);
    }

    #[test]
    fn count_and_each() {
        let s = scope().with_count(1);
        assert_eq!(
            eval_in(&s, "\"10.0.${count.index}.0/24\""),
            Value::str("10.0.1.0/24")
        );
        let s = scope().with_each("a", Value::str("a"));
        assert_eq!(
            eval_in(&s, "\"worker-${each.key}\""),
            Value::str("worker-a")
        );
        assert_eq!(eval_in(&s, "each.value"), Value::str("a"));
    }
}
