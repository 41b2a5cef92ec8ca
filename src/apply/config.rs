//! The executor's writes to the user's files: a [`Call::ConfigEdit`] of the terraform
//! configuration (accept, import). The file must hash as planned before the edit and the
//! result as planned after it (the edit is `plan_file::edit`, the same code the planner showed the
//! diff with); the new content is written to a temporary file beside it and renamed over it,
//! so a crash leaves the old file or the new one, never half of one.

use std::io::Write;
use std::path::Path;

use crate::model::plan::Call;
use crate::plan_file::edit;

/// Carries out one configuration edit in `dir`; the error says what a person reads.
pub fn run(dir: &Path, call: &Call) -> Result<(), String> {
    let Call::ConfigEdit {
        file,
        before_sha256,
        after_sha256,
        edit: what,
        ..
    } = call
    else {
        return Err("not a configuration edit".into());
    };
    if Path::new(file).is_absolute() || file.split(['/', '\\']).any(|p| p == "..") {
        return Err(format!("{file} lies outside the configuration directory"));
    }
    let path = dir.join(file);
    let current = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("{file}: {e}")),
    };
    if current.as_deref().map(edit::sha256) != *before_sha256 {
        return Err(format!("{file} changed since planning; plan again"));
    }
    let after = edit::apply(current.as_deref(), what)
        .map_err(|r| format!("{file}:{}: {}", r.line, r.reason))?;
    if edit::sha256(&after) != *after_sha256 {
        return Err(format!(
            "editing {file} would not give the planned content; plan again"
        ));
    }
    let tmp = dir.join(format!(".{}.driftgate-tmp", file.replace(['/', '\\'], "_")));
    // The edited file keeps the original's permissions (a new file gets the default). The
    // temporary file is created anew, never opened through whatever is at its name (a
    // leftover of a crash is removed first; a symlink there is replaced, not followed).
    let permissions = std::fs::metadata(&path).ok().map(|m| m.permissions());
    let write = || -> std::io::Result<()> {
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(after.as_bytes())?;
        if let Some(permissions) = &permissions {
            f.set_permissions(permissions.clone())?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{file}: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::ConfigEdit;

    fn append(before: Option<&str>, text: &str) -> Call {
        let after = edit::apply(before, &ConfigEdit::Append { text: text.into() }).unwrap();
        Call::ConfigEdit {
            file: "imports.tf".into(),
            before_sha256: before.map(edit::sha256),
            after_sha256: edit::sha256(&after),
            edit: ConfigEdit::Append { text: text.into() },
            diff: String::new(),
        }
    }

    #[test]
    fn writes_only_onto_the_planned_file() {
        let dir = tempfile::tempdir().unwrap();
        let call = append(None, "import {}\n");
        run(dir.path(), &call).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("imports.tf")).unwrap(),
            "import {}\n"
        );
        // The file exists now: the same edit (planned onto no file) is refused.
        let err = run(dir.path(), &call).unwrap_err();
        assert!(err.contains("changed since planning"), "{err}");
        // An edit planned onto this content applies.
        run(dir.path(), &append(Some("import {}\n"), "b\n")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("imports.tf")).unwrap(),
            "import {}\n\nb\n"
        );
        let mut outside = append(None, "x");
        if let Call::ConfigEdit { file, .. } = &mut outside {
            *file = "../x.tf".into();
        }
        assert!(run(dir.path(), &outside).unwrap_err().contains("outside"));
    }

    /// The edited file keeps its mode (a private 0600 file stays private), and a leftover
    /// temporary file (a symlink pointing elsewhere, say) is replaced, never written through.
    #[cfg(unix)]
    #[test]
    fn keeps_the_file_mode_and_never_writes_through_the_temporary_name() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("imports.tf");
        std::fs::write(&file, "a\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "untouched").unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(".imports.tf.driftgate-tmp"))
            .unwrap();
        run(dir.path(), &append(Some("a\n"), "b\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "a\n\nb\n");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "untouched");
    }
}
