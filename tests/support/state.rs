//! A terraform v4 state read test-side, independently of driftgate's reader: managed resource
//! instances by address, for live tests that must know what terraform recorded.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;

/// Address (`module.vpc.aws_subnet.public[0]`, `module.app.aws_instance.this["a"]`) ->
/// attributes, with the instance's `sensitive_attributes` under `__sensitive_attributes`.
pub fn recorded(state: &Path) -> Result<BTreeMap<String, Json>, String> {
    let text = std::fs::read_to_string(state).map_err(|e| e.to_string())?;
    let doc: Json = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for r in doc["resources"]
        .as_array()
        .ok_or("state has no resources")?
    {
        if r["mode"] != "managed" {
            continue;
        }
        let prefix = r["module"]
            .as_str()
            .map(|m| format!("{m}."))
            .unwrap_or_default();
        for i in r["instances"]
            .as_array()
            .ok_or("resource without instances")?
        {
            let key = match &i["index_key"] {
                Json::Null => String::new(),
                Json::Number(n) => format!("[{n}]"),
                Json::String(s) => format!("[{s:?}]"),
                other => return Err(format!("odd index_key {other}")),
            };
            let address = format!(
                "{prefix}{}.{}{key}",
                r["type"].as_str().unwrap_or("?"),
                r["name"].as_str().unwrap_or("?")
            );
            let mut attrs = i["attributes"].clone();
            attrs["__sensitive_attributes"] = i["sensitive_attributes"].clone();
            out.insert(address, attrs);
        }
    }
    Ok(out)
}

/// The resource type of an address: the first `aws_...` step after any `module.NAME[KEY].`.
pub fn resource_type(address: &str) -> &str {
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        // module.NAME or module.NAME["key"], then a dot.
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let mut tail = &after[end..];
        if tail.starts_with('[') {
            tail = tail.find("].").map(|i| &tail[i + 1..]).unwrap_or("");
        }
        rest = tail.strip_prefix('.').unwrap_or(tail);
    }
    rest.split('.').next().unwrap_or("")
}

#[test]
fn resource_type_skips_module_steps() {
    assert_eq!(resource_type("aws_vpc.main"), "aws_vpc");
    assert_eq!(
        resource_type("module.vpc.aws_subnet.public[0]"),
        "aws_subnet"
    );
    assert_eq!(
        resource_type("module.a[\"x.y\"].module.b.aws_instance.this[\"a\"]"),
        "aws_instance"
    );
}
