//! What `driftgate approve` and `driftgate keygen` tell the person at the terminal, on stderr
//! (the token, the denial and the policy's line for a new key go to stdout through
//! [`super::emit`]): the summary the approver signs with the warnings `apply` would act on,
//! the trust root it is signed under, and the line after signing. `ops::approve` gives the
//! facts as data (who signs, what the trust root says); nothing here reads a key or a root.

use crate::mask::{clean, clean_text};
use crate::model::plan::Plan;

/// The trust root an approval is signed under, as the approver is shown it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustShown<'a> {
    /// A root is pinned here.
    Pinned {
        version: u64,
        digest: &'a str,
        /// Whether the plan was made under this root (its `trust_root` input is its digest).
        plan_made_under_it: bool,
        /// The root's name for the approver when the root says they are the plan's author
        /// (by key, AWS principal or CI identity).
        signer_is_author: Option<&'a str>,
    },
    /// None is pinned here; the plan was made under this one.
    NotPinned { planned: &'a str },
    /// None is pinned, and the plan was made under none.
    None,
}

/// The summary the approver signs, the warning when `signer` (the key's name) is the plan's
/// author by name, and the trust root it is signed under (with the warnings `apply` would
/// refuse on).
pub fn summary(plan: &Plan, signer: &str, trust: TrustShown<'_>) {
    eprint!(
        "{}",
        clean_text(&super::plan_summary::approval_summary(plan))
    );
    if signer.eq_ignore_ascii_case(plan.author.actor.trim()) {
        eprintln!(
            "warning: you ({}) are this plan's author: `apply` will refuse your approval of it",
            clean(signer)
        );
    }
    for line in trust_lines(trust) {
        eprintln!("{}", clean(&line));
    }
}

/// The lines about the trust root (see [`summary`]).
fn trust_lines(trust: TrustShown<'_>) -> Vec<String> {
    match trust {
        TrustShown::Pinned {
            version,
            digest,
            plan_made_under_it,
            signer_is_author,
        } => {
            let mut out = vec![format!("Trust root: version {version} ({digest})")];
            if !plan_made_under_it {
                out.push(
                    "warning: this plan was not made under the pinned trust root: `apply` will refuse it"
                        .into(),
                );
            }
            if let Some(name) = signer_is_author {
                out.push(format!(
                    "warning: the trust root says you ({name}) are this plan's author (key, AWS principal or CI identity): `apply` will refuse your approval of it"
                ));
            }
            out
        }
        TrustShown::NotPinned { planned } => {
            vec![format!("Trust root: {planned} (not pinned here)")]
        }
        TrustShown::None => vec!["Trust root: none".into()],
    }
}

/// After signing an approval: who approved until when, and the command it is for (`plan_file`
/// already quoted as a shell word). The token follows on stdout.
pub fn approved(signer: &str, expires: &str, plan_file: &str) {
    super::notice::line(&format!(
        "Approved by {signer} until {expires}. Give this token to whoever runs `driftgate apply {plan_file} --approve TOKEN`:"
    ));
}

/// After signing a denial. The denial follows on stdout.
pub fn denied(signer: &str, reason: &str) {
    super::notice::line(&format!("Denied by {signer}: {reason}"));
}

/// After `keygen` wrote the private key to `path` (its policy line is on stdout).
pub fn key_written(path: &str) {
    super::notice::line(&format!(
        "Private key written to {path} (mode 0600; keep it secret). Add the line above to `approvers` in the policy's `approval` block."
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trust_root_lines_say_what_apply_would_refuse() {
        let pinned = |under, author| TrustShown::Pinned {
            version: 3,
            digest: "sha256:ab",
            plan_made_under_it: under,
            signer_is_author: author,
        };
        assert_eq!(
            trust_lines(pinned(true, None)),
            ["Trust root: version 3 (sha256:ab)"]
        );
        let all = trust_lines(pinned(false, Some("alice")));
        assert_eq!(all.len(), 3);
        assert!(all[1].contains("not made under the pinned trust root"));
        assert!(all[2].contains("says you (alice) are this plan's author"));
        assert_eq!(
            trust_lines(TrustShown::NotPinned {
                planned: "sha256:cd"
            }),
            ["Trust root: sha256:cd (not pinned here)"]
        );
        assert_eq!(trust_lines(TrustShown::None), ["Trust root: none"]);
    }
}
