//! Derives the registries a resource type would otherwise be listed in by hand (issue 15: "a
//! type is one unit"). Adding a type means adding files; nothing central is edited:
//!
//! - `spec_files.rs`: every `providers/<provider>/<service>/<type>.hcl`, embedded, sorted
//!   (`spec::SPEC_FILES`).
//! - `<service>_units.rs`, for each directory `src/provider/aws/<service>/`: one `mod` per
//!   `.rs` file in it (each a unit: its listing, its conversion, its samples) and `UNITS`, the
//!   sorted list of their `UNIT` constants (`provider::aws::ec2::UNITS`, ...).
//!
//! Paths are absolute, so the generated files can be `include!`d from anywhere.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));

    let providers = root.join("providers");
    println!("cargo:rerun-if-changed={}", providers.display());
    let mut specs = Vec::new();
    for provider in sorted_entries(&providers) {
        for service in sorted_entries(&provider) {
            println!("cargo:rerun-if-changed={}", service.display());
            for file in sorted_entries(&service) {
                if file.extension().is_some_and(|e| e == "hcl") {
                    specs.push(file);
                }
            }
        }
    }
    let mut text = String::from("&[\n");
    for file in &specs {
        let relative = file
            .strip_prefix(&providers)
            .expect("under providers/")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            text,
            "    ({relative:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    text.push(']');
    write_if_changed(&out.join("spec_files.rs"), &text);

    let services = root.join("src/provider/aws");
    println!("cargo:rerun-if-changed={}", services.display());
    for service in sorted_entries(&services) {
        if !service.is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", service.display());
        let name = service.file_name().unwrap().to_string_lossy().into_owned();
        let units: Vec<PathBuf> = sorted_entries(&service)
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "rs"))
            .collect();
        let mut text = String::new();
        for unit in &units {
            writeln!(
                text,
                "#[path = {:?}]\npub mod {};",
                unit.display().to_string(),
                stem(unit)
            )
            .unwrap();
        }
        text.push_str(
            "\n/// Every unit of this service, sorted by file name (derived by build.rs).\n",
        );
        text.push_str("pub static UNITS: &[&Unit] = &[\n");
        for unit in &units {
            writeln!(text, "    &{}::UNIT,", stem(unit)).unwrap();
        }
        text.push_str("];\n");
        write_if_changed(&out.join(format!("{name}_units.rs")), &text);
    }
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(read) => read.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    entries.sort();
    entries
}

/// Leaves an unchanged file alone, so its mtime does not rebuild the crate.
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).expect("OUT_DIR is writable");
    }
}
