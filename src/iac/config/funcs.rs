//! The terraform functions driftgate evaluates statically, as hcl-rs [`FuncDef`]s.
//!
//! Each follows terraform's documented behaviour for known arguments. A function terraform
//! has and this list lacks makes its expression unknown, never wrong. `jsonencode` matters
//! most: IAM policies are written with it, and it must produce terraform's exact text (keys
//! sorted, Go's HTML-safe string escaping, integers without a fraction).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use hcl::Value;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};

use super::eval::number;

type R = Result<Value, String>;

macro_rules! functions {
    ($($name:literal => $f:ident),* $(,)?) => {
        /// Every function of this module, by its terraform name.
        pub(super) const NAMES: &[&str] = &[$($name),*];

        /// Declares every function of this module in `ctx`.
        pub(super) fn declare(ctx: &mut Context<'_>) {
            $(ctx.declare_func($name, FuncDef::builder().variadic_param(ParamType::Any).build($f));)*
        }
    };
}

functions! {
    "abs" => abs, "base64decode" => base64decode, "base64encode" => base64encode,
    "ceil" => ceil, "chomp" => chomp, "cidrhost" => cidrhost, "cidrsubnet" => cidrsubnet,
    "coalesce" => coalesce, "coalescelist" => coalescelist, "compact" => compact,
    "concat" => concat, "contains" => contains, "distinct" => distinct, "element" => element,
    "endswith" => endswith, "flatten" => flatten, "floor" => floor, "format" => format,
    "index" => index, "join" => join, "jsondecode" => jsondecode, "jsonencode" => jsonencode,
    "keys" => keys, "length" => length, "lookup" => lookup, "lower" => lower, "max" => max,
    "merge" => merge, "min" => min, "one" => one, "range" => range, "replace" => replace,
    "reverse" => reverse, "slice" => slice, "sort" => sort, "split" => split,
    "startswith" => startswith, "strrev" => strrev, "substr" => substr, "sum" => sum,
    "title" => title, "tobool" => tobool, "tolist" => tolist, "tomap" => tomap,
    "tonumber" => tonumber, "toset" => toset, "tostring" => tostring, "trim" => trim,
    "trimprefix" => trimprefix, "trimspace" => trimspace, "trimsuffix" => trimsuffix,
    "upper" => upper, "values" => values, "zipmap" => zipmap,
}

// ---- argument helpers ---------------------------------------------------------------------

fn arity(args: &FuncArgs, n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!("expected {n} arguments, got {}", args.len()))
    }
}

fn string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(number_text(n)),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("expected a string, got {other}")),
    }
}

fn float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| "bad number".to_string()),
        Value::String(s) => s.trim().parse().map_err(|_| format!("not a number: {s:?}")),
        other => Err(format!("expected a number, got {other}")),
    }
}

fn int(v: &Value) -> Result<i64, String> {
    let f = float(v)?;
    if f.fract() == 0.0 {
        Ok(f as i64)
    } else {
        Err(format!("expected a whole number, got {f}"))
    }
}

fn num(f: f64) -> R {
    number(f)
        .map(Value::Number)
        .ok_or_else(|| "number out of range".to_string())
}

fn list(v: &Value) -> Result<&[Value], String> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(format!("expected a list, got {other}")),
    }
}

fn object(v: &Value) -> Result<&hcl::Map<String, Value>, String> {
    match v {
        Value::Object(o) => Ok(o),
        other => Err(format!("expected a map, got {other}")),
    }
}

fn number_text(n: &hcl::Number) -> String {
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i.to_string(),
        (None, Some(f)) => crate::model::format_number(f),
        _ => n.to_string(),
    }
}

fn text(s: String) -> R {
    Ok(Value::String(s))
}

fn str1(args: &FuncArgs) -> Result<String, String> {
    arity(args, 1)?;
    string(&args[0])
}

/// Terraform's order for set elements and map keys: numbers by value, strings lexically.
fn order(a: &Value, b: &Value) -> Ordering {
    super::eval::from_hcl(a.clone()).cmp(&super::eval::from_hcl(b.clone()))
}

// ---- encoding -----------------------------------------------------------------------------

fn jsonencode(args: FuncArgs) -> R {
    arity(&args, 1)?;
    let mut out = String::new();
    write_json(&args[0], &mut out)?;
    text(out)
}

fn write_json(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::String(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Go's `encoding/json` string escaping, which terraform's `jsonencode` uses: `<`, `>` and
/// `&` become `\u003c`, `\u003e`, `\u0026`; U+2028 and U+2029 are escaped too.
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn jsondecode(args: FuncArgs) -> R {
    let s = str1(&args)?;
    let json: serde_json::Value = serde_json::from_str(&s).map_err(|e| e.to_string())?;
    hcl::to_value(json).map_err(|e| e.to_string())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64encode(args: FuncArgs) -> R {
    let s = str1(&args)?;
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    text(out)
}

fn base64decode(args: FuncArgs) -> R {
    let s = str1(&args)?;
    let mut bytes = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = B64.iter().position(|&b| b == c).ok_or("invalid base64")? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| "not UTF-8".to_string())
}

// ---- strings ------------------------------------------------------------------------------

fn lower(args: FuncArgs) -> R {
    text(str1(&args)?.to_lowercase())
}

fn upper(args: FuncArgs) -> R {
    text(str1(&args)?.to_uppercase())
}

fn title(args: FuncArgs) -> R {
    let s = str1(&args)?;
    let mut out = String::new();
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    text(out)
}

fn trimspace(args: FuncArgs) -> R {
    text(str1(&args)?.trim().to_string())
}

fn chomp(args: FuncArgs) -> R {
    text(str1(&args)?.trim_end_matches(['\n', '\r']).to_string())
}

fn strrev(args: FuncArgs) -> R {
    text(str1(&args)?.chars().rev().collect())
}

fn trim(args: FuncArgs) -> R {
    arity(&args, 2)?;
    let cut: Vec<char> = string(&args[1])?.chars().collect();
    text(string(&args[0])?.trim_matches(cut.as_slice()).to_string())
}

fn trimprefix(args: FuncArgs) -> R {
    arity(&args, 2)?;
    let (s, p) = (string(&args[0])?, string(&args[1])?);
    text(s.strip_prefix(p.as_str()).unwrap_or(&s).to_string())
}

fn trimsuffix(args: FuncArgs) -> R {
    arity(&args, 2)?;
    let (s, p) = (string(&args[0])?, string(&args[1])?);
    text(s.strip_suffix(p.as_str()).unwrap_or(&s).to_string())
}

fn startswith(args: FuncArgs) -> R {
    arity(&args, 2)?;
    Ok(Value::Bool(
        string(&args[0])?.starts_with(&string(&args[1])?),
    ))
}

fn endswith(args: FuncArgs) -> R {
    arity(&args, 2)?;
    Ok(Value::Bool(string(&args[0])?.ends_with(&string(&args[1])?)))
}

fn replace(args: FuncArgs) -> R {
    arity(&args, 3)?;
    let (s, from, to) = (string(&args[0])?, string(&args[1])?, string(&args[2])?);
    if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
        return Err("regular expressions are not evaluated statically".into());
    }
    text(s.replace(&from, &to))
}

fn split(args: FuncArgs) -> R {
    arity(&args, 2)?;
    let (sep, s) = (string(&args[0])?, string(&args[1])?);
    if s.is_empty() {
        return Ok(Value::Array(vec![Value::String(String::new())]));
    }
    Ok(Value::Array(
        s.split(sep.as_str())
            .map(|p| Value::String(p.to_string()))
            .collect(),
    ))
}

fn join(args: FuncArgs) -> R {
    if args.len() < 2 {
        return Err("join needs a separator and at least one list".into());
    }
    let sep = string(&args[0])?;
    let mut parts = Vec::new();
    for l in &args[1..] {
        for v in list(l)? {
            parts.push(string(v)?);
        }
    }
    text(parts.join(&sep))
}

fn substr(args: FuncArgs) -> R {
    arity(&args, 3)?;
    let chars: Vec<char> = string(&args[0])?.chars().collect();
    let len = chars.len() as i64;
    let mut offset = int(&args[1])?;
    let length = int(&args[2])?;
    if offset < 0 {
        offset += len;
    }
    if offset < 0 || offset > len {
        return Err("offset out of range".into());
    }
    let end = if length < 0 {
        len
    } else {
        (offset + length).min(len)
    };
    text(chars[offset as usize..end as usize].iter().collect())
}

/// `format`: the verbs `%%`, `%s`, `%d`, `%v`, `%q`, `%t` and `%f` / `%.Nf`; anything else
/// is not evaluated.
fn format(args: FuncArgs) -> R {
    if args.is_empty() {
        return Err("format needs a format string".into());
    }
    let spec = string(&args[0])?;
    let mut rest = args[1..].iter();
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            precision = Some(digits.parse::<usize>().map_err(|_| "bad precision")?);
        }
        let verb = chars.next().ok_or("format string ends in %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = rest.next().ok_or("too few arguments for format")?;
        match verb {
            's' | 'v' => match arg {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => out.push_str(&string(arg)?),
                other => {
                    let mut json = String::new();
                    write_json(other, &mut json)?;
                    out.push_str(&json);
                }
            },
            'd' => out.push_str(&int(arg)?.to_string()),
            't' => match arg {
                Value::Bool(b) => out.push_str(&b.to_string()),
                _ => return Err("%t needs a bool".into()),
            },
            'q' => write_json_string(&string(arg)?, &mut out),
            'f' => out.push_str(&std::format!("{:.*}", precision.unwrap_or(6), float(arg)?)),
            other => {
                return Err(std::format!(
                    "format verb %{other} is not evaluated statically"
                ));
            }
        }
    }
    if rest.next().is_some() {
        return Err("too many arguments for format".into());
    }
    text(out)
}

// ---- conversions --------------------------------------------------------------------------

fn tostring(args: FuncArgs) -> R {
    arity(&args, 1)?;
    match &args[0] {
        Value::Null => Ok(Value::Null),
        v => text(string(v)?),
    }
}

fn tonumber(args: FuncArgs) -> R {
    arity(&args, 1)?;
    match &args[0] {
        Value::Null => Ok(Value::Null),
        v => num(float(v)?),
    }
}

fn tobool(args: FuncArgs) -> R {
    arity(&args, 1)?;
    match &args[0] {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" => Ok(Value::Bool(true)),
        Value::String(s) if s == "false" => Ok(Value::Bool(false)),
        other => Err(std::format!("cannot convert {other} to bool")),
    }
}

fn tolist(args: FuncArgs) -> R {
    arity(&args, 1)?;
    list(&args[0]).map(|l| Value::Array(l.to_vec()))
}

fn tomap(args: FuncArgs) -> R {
    arity(&args, 1)?;
    object(&args[0]).map(|o| Value::Object(o.clone()))
}

/// Sets come out in terraform's order (sorted), without duplicates.
fn toset(args: FuncArgs) -> R {
    arity(&args, 1)?;
    let mut items = list(&args[0])?.to_vec();
    items.sort_by(order);
    items.dedup();
    Ok(Value::Array(items))
}

// ---- collections --------------------------------------------------------------------------

fn length(args: FuncArgs) -> R {
    arity(&args, 1)?;
    let n = match &args[0] {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        other => return Err(std::format!("length of {other}")),
    };
    num(n as f64)
}

fn merge(args: FuncArgs) -> R {
    let mut out = hcl::Map::new();
    for arg in args.iter() {
        if arg.is_null() {
            continue;
        }
        for (k, v) in object(arg)? {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

fn concat(args: FuncArgs) -> R {
    let mut out = Vec::new();
    for arg in args.iter() {
        out.extend_from_slice(list(arg)?);
    }
    Ok(Value::Array(out))
}

fn flatten(args: FuncArgs) -> R {
    fn go(items: &[Value], out: &mut Vec<Value>) {
        for item in items {
            match item {
                Value::Array(inner) => go(inner, out),
                other => out.push(other.clone()),
            }
        }
    }
    arity(&args, 1)?;
    let mut out = Vec::new();
    go(list(&args[0])?, &mut out);
    Ok(Value::Array(out))
}

fn distinct(args: FuncArgs) -> R {
    arity(&args, 1)?;
    let mut out: Vec<Value> = Vec::new();
    for v in list(&args[0])? {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(Value::Array(out))
}

fn compact(args: FuncArgs) -> R {
    arity(&args, 1)?;
    Ok(Value::Array(
        list(&args[0])?
            .iter()
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .cloned()
            .collect(),
    ))
}

fn reverse(args: FuncArgs) -> R {
    arity(&args, 1)?;
    Ok(Value::Array(
        list(&args[0])?.iter().rev().cloned().collect(),
    ))
}

fn sort(args: FuncArgs) -> R {
    arity(&args, 1)?;
    let mut items = list(&args[0])?
        .iter()
        .map(string)
        .collect::<Result<Vec<_>, _>>()?;
    items.sort();
    Ok(Value::Array(items.into_iter().map(Value::String).collect()))
}

fn keys(args: FuncArgs) -> R {
    arity(&args, 1)?;
    let sorted: BTreeMap<&String, &Value> = object(&args[0])?.iter().collect();
    Ok(Value::Array(
        sorted
            .into_keys()
            .map(|k| Value::String(k.clone()))
            .collect(),
    ))
}

fn values(args: FuncArgs) -> R {
    arity(&args, 1)?;
    let sorted: BTreeMap<&String, &Value> = object(&args[0])?.iter().collect();
    Ok(Value::Array(sorted.into_values().cloned().collect()))
}

fn lookup(args: FuncArgs) -> R {
    if args.len() != 2 && args.len() != 3 {
        return Err("lookup takes 2 or 3 arguments".into());
    }
    let key = string(&args[1])?;
    match object(&args[0])?.get(&key) {
        Some(v) => Ok(v.clone()),
        None => args
            .get(2)
            .cloned()
            .ok_or_else(|| std::format!("no key {key:?}")),
    }
}

fn element(args: FuncArgs) -> R {
    arity(&args, 2)?;
    let items = list(&args[0])?;
    if items.is_empty() {
        return Err("element of an empty list".into());
    }
    let i = int(&args[1])?;
    if i < 0 {
        return Err("negative index".into());
    }
    Ok(items[(i as usize) % items.len()].clone())
}

fn index(args: FuncArgs) -> R {
    arity(&args, 2)?;
    let i = list(&args[0])?
        .iter()
        .position(|v| *v == args[1])
        .ok_or("value not in list")?;
    num(i as f64)
}

fn contains(args: FuncArgs) -> R {
    arity(&args, 2)?;
    Ok(Value::Bool(list(&args[0])?.contains(&args[1])))
}

fn coalesce(args: FuncArgs) -> R {
    args.iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "no non-null, non-empty argument".to_string())
}

fn coalescelist(args: FuncArgs) -> R {
    for arg in args.iter() {
        if !list(arg)?.is_empty() {
            return Ok(arg.clone());
        }
    }
    Err("no non-empty list".into())
}

fn zipmap(args: FuncArgs) -> R {
    arity(&args, 2)?;
    let (ks, vs) = (list(&args[0])?, list(&args[1])?);
    if ks.len() != vs.len() {
        return Err("zipmap lists differ in length".into());
    }
    let mut out = hcl::Map::new();
    for (k, v) in ks.iter().zip(vs) {
        out.insert(string(k)?, v.clone());
    }
    Ok(Value::Object(out))
}

fn one(args: FuncArgs) -> R {
    arity(&args, 1)?;
    match list(&args[0])? {
        [] => Ok(Value::Null),
        [v] => Ok(v.clone()),
        _ => Err("one() of more than one element".into()),
    }
}

fn slice(args: FuncArgs) -> R {
    arity(&args, 3)?;
    let items = list(&args[0])?;
    let (start, end) = (int(&args[1])?, int(&args[2])?);
    if start < 0 || end < start || end as usize > items.len() {
        return Err("slice out of range".into());
    }
    Ok(Value::Array(items[start as usize..end as usize].to_vec()))
}

fn range(args: FuncArgs) -> R {
    let nums = args.iter().map(float).collect::<Result<Vec<_>, _>>()?;
    let (start, end, step) = match nums.as_slice() {
        [e] => (0.0, *e, 1.0),
        [s, e] => (*s, *e, if s <= e { 1.0 } else { -1.0 }),
        [s, e, st] => (*s, *e, *st),
        _ => return Err("range takes 1 to 3 arguments".into()),
    };
    if step == 0.0 {
        return Err("range step of zero".into());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        if out.len() >= 1024 {
            return Err("range too long".into());
        }
        out.push(num(x)?);
        x += step;
    }
    Ok(Value::Array(out))
}

// ---- numbers ------------------------------------------------------------------------------

fn abs(args: FuncArgs) -> R {
    arity(&args, 1)?;
    num(float(&args[0])?.abs())
}

fn ceil(args: FuncArgs) -> R {
    arity(&args, 1)?;
    num(float(&args[0])?.ceil())
}

fn floor(args: FuncArgs) -> R {
    arity(&args, 1)?;
    num(float(&args[0])?.floor())
}

fn extreme(args: &FuncArgs, pick: fn(f64, f64) -> f64) -> R {
    let nums = args.iter().map(float).collect::<Result<Vec<_>, _>>()?;
    let first = *nums.first().ok_or("needs at least one number")?;
    num(nums.into_iter().fold(first, pick))
}

fn min(args: FuncArgs) -> R {
    extreme(&args, f64::min)
}

fn max(args: FuncArgs) -> R {
    extreme(&args, f64::max)
}

fn sum(args: FuncArgs) -> R {
    arity(&args, 1)?;
    let nums = list(&args[0])?
        .iter()
        .map(float)
        .collect::<Result<Vec<_>, _>>()?;
    if nums.is_empty() {
        return Err("sum of an empty list".into());
    }
    num(nums.into_iter().sum())
}

// ---- IP networks (IPv4) -------------------------------------------------------------------

fn parse_cidr(s: &str) -> Result<(u32, u32), String> {
    let (addr, len) = s.split_once('/').ok_or("not a CIDR prefix")?;
    let ip: std::net::Ipv4Addr = addr.parse().map_err(|_| "only IPv4 is evaluated")?;
    let len: u32 = len.parse().map_err(|_| "bad prefix length")?;
    if len > 32 {
        return Err("bad prefix length".into());
    }
    Ok((u32::from(ip), len))
}

fn mask(len: u32) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - len) }
}

fn cidrsubnet(args: FuncArgs) -> R {
    arity(&args, 3)?;
    let (base, len) = parse_cidr(&string(&args[0])?)?;
    let (newbits, netnum) = (int(&args[1])?, int(&args[2])?);
    let new_len = len as i64 + newbits;
    if newbits < 0 || new_len > 32 || netnum < 0 || netnum >= (1i64 << newbits) {
        return Err("cidrsubnet out of range".into());
    }
    let new_len = new_len as u32;
    let net = (base & mask(len)) | (netnum as u32).checked_shl(32 - new_len).unwrap_or(0);
    text(std::format!("{}/{new_len}", std::net::Ipv4Addr::from(net)))
}

fn cidrhost(args: FuncArgs) -> R {
    arity(&args, 2)?;
    let (base, len) = parse_cidr(&string(&args[0])?)?;
    let host = int(&args[1])?;
    let size = 1i64 << (32 - len);
    let host = if host < 0 { size + host } else { host };
    if host < 0 || host >= size {
        return Err("cidrhost out of range".into());
    }
    text(std::net::Ipv4Addr::from((base & mask(len)) | host as u32).to_string())
}

#[cfg(test)]
mod tests {
    use hcl::eval::Evaluate;

    use super::*;

    fn eval(src: &str) -> Result<Value, String> {
        let mut ctx = Context::new();
        declare(&mut ctx);
        let expr: hcl::Expression = src.parse().map_err(|e| std::format!("{e}"))?;
        expr.evaluate(&ctx).map_err(|e| e.to_string())
    }

    fn ok(src: &str) -> Value {
        eval(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn jsonencode_writes_terraforms_text() {
        // The exact text terraform wrote into the probe state for this policy.
        assert_eq!(
            ok(
                r#"jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ec2:Describe*", Resource = "*" }] })"#
            ),
            Value::from(
                r#"{"Statement":[{"Action":"ec2:Describe*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#
            )
        );
        assert_eq!(
            ok(r#"jsonencode({ a = 1, b = 1.5, c = null, d = true, e = "<&>\n" })"#),
            Value::from(r#"{"a":1,"b":1.5,"c":null,"d":true,"e":"\u003c\u0026\u003e\n"}"#)
        );
        assert_eq!(
            ok(r#"jsondecode("{\"a\":[1,\"x\"]}").a[1]"#),
            Value::from("x")
        );
    }

    #[test]
    fn strings() {
        assert_eq!(ok(r#"lower("AbC")"#), Value::from("abc"));
        assert_eq!(ok(r#"upper("abc")"#), Value::from("ABC"));
        assert_eq!(ok(r#"title("hello world")"#), Value::from("Hello World"));
        assert_eq!(
            ok(r#"format("%s-%d %q %.1f %%", "a", 7, "x", 1.25)"#),
            Value::from("a-7 \"x\" 1.2 %")
        );
        assert_eq!(ok(r#"join(",", ["a", "b"])"#), Value::from("a,b"));
        assert_eq!(ok(r#"split(",", "a,b")"#), Value::from(vec!["a", "b"]));
        assert_eq!(ok(r#"replace("a-b-c", "-", "_")"#), Value::from("a_b_c"));
        assert!(eval(r#"replace("a1", "/[0-9]/", "")"#).is_err());
        assert_eq!(ok(r#"substr("hello", 1, 3)"#), Value::from("ell"));
        assert_eq!(ok(r#"trimspace("  x ")"#), Value::from("x"));
        assert_eq!(ok(r#"tostring(5)"#), Value::from("5"));
        assert_eq!(ok(r#"base64encode("hello")"#), Value::from("aGVsbG8="));
        assert_eq!(ok(r#"base64decode("aGVsbG8=")"#), Value::from("hello"));
    }

    #[test]
    fn collections() {
        assert_eq!(
            ok(r#"merge({ a = 1, b = 2 }, { b = 3 }, null)"#),
            ok(r#"{ a = 1, b = 3 }"#)
        );
        assert_eq!(
            ok(r#"concat(["a"], ["b", "c"])"#),
            Value::from(vec!["a", "b", "c"])
        );
        assert_eq!(ok(r#"toset(["b", "a", "b"])"#), Value::from(vec!["a", "b"]));
        assert_eq!(ok(r#"length({ a = 1 })"#), ok("1"));
        assert_eq!(ok(r#"keys({ b = 1, a = 2 })"#), Value::from(vec!["a", "b"]));
        assert_eq!(ok(r#"lookup({ a = "x" }, "b", "d")"#), Value::from("d"));
        assert_eq!(ok(r#"element(["a", "b"], 3)"#), Value::from("b"));
        assert_eq!(
            ok(r#"flatten([["a"], ["b", ["c"]]])"#),
            Value::from(vec!["a", "b", "c"])
        );
        assert_eq!(ok(r#"coalesce("", null, "x")"#), Value::from("x"));
        assert_eq!(ok(r#"compact(["a", "", null])"#), Value::from(vec!["a"]));
        assert_eq!(ok(r#"range(3)"#), ok("[0, 1, 2]"));
    }

    #[test]
    fn networks() {
        assert_eq!(
            ok(r#"cidrsubnet("10.0.0.0/16", 8, 2)"#),
            Value::from("10.0.2.0/24")
        );
        assert_eq!(ok(r#"cidrhost("10.0.1.0/24", 5)"#), Value::from("10.0.1.5"));
        assert!(eval(r#"cidrsubnet("10.0.0.0/16", 8, 256)"#).is_err());
    }

    #[test]
    fn names_are_unique_and_sorted() {
        let mut sorted = NAMES.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, NAMES);
    }
}
