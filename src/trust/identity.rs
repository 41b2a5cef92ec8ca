//! Who someone is, as the machine knows it (never as they say): the AWS principal STS
//! returns, the CI's identity, the OS user. Pure: `cli` reads the environment, `ops` asks STS.

/// The AWS principal an ARN names, in the form that stays the same across sessions: an STS
/// assumed-role ARN `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION` is the role
/// `arn:aws:iam::ACCT:role/ROLE` (another session name is the same identity), and a role's
/// path is dropped (`role/team/ROLE` is `role/ROLE`, as an assumed-role ARN shows it).
/// Anything else is returned trimmed.
pub fn principal(arn: &str) -> String {
    let arn = arn.trim();
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return arn.to_string();
    }
    let (partition, service, account, resource) = (parts[1], parts[2], parts[4], parts[5]);
    let role = match (service, resource.split_once('/')) {
        ("sts", Some(("assumed-role", rest))) => rest.split('/').next(),
        ("iam", Some(("role", rest))) => rest.rsplit('/').next(),
        _ => None,
    };
    match role {
        Some(role) if !role.is_empty() => format!("arn:{partition}:iam::{account}:role/{role}"),
        _ => arn.to_string(),
    }
}

/// The CI's identity of whoever triggered the job: `github:OWNER/REPO:ACTOR` (GitHub
/// Actions: GITHUB_ACTOR, GITHUB_REPOSITORY), `gitlab:GROUP/PROJECT:LOGIN` (GitLab:
/// GITLAB_USER_LOGIN, CI_PROJECT_PATH); `None` elsewhere. Empty values count as unset.
pub fn ci(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let get = |name: &str| {
        env(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if let (Some(actor), Some(repo)) = (get("GITHUB_ACTOR"), get("GITHUB_REPOSITORY")) {
        return Some(format!("github:{repo}:{actor}"));
    }
    if let (Some(login), Some(project)) = (get("GITLAB_USER_LOGIN"), get("CI_PROJECT_PATH")) {
        return Some(format!("gitlab:{project}:{login}"));
    }
    None
}

/// The OS user: USER, LOGNAME or USERNAME.
pub fn os_user(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"].into_iter().find_map(|n| {
        env(n)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// Whether two CI identities are the same person (case-insensitive: GitHub and GitLab
/// logins are).
pub fn same_ci(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assumed_role_session_is_its_role() {
        let a = principal("arn:aws:sts::123456789012:assumed-role/deploy/alice-laptop");
        let b = principal("arn:aws:sts::123456789012:assumed-role/deploy/other-session");
        assert_eq!(a, "arn:aws:iam::123456789012:role/deploy");
        assert_eq!(a, b);
        assert_eq!(principal("arn:aws:iam::123456789012:role/team/deploy"), a);
        assert_eq!(
            principal("arn:aws-cn:sts::1:assumed-role/r/s"),
            "arn:aws-cn:iam::1:role/r"
        );
        assert_eq!(
            principal(" arn:aws:iam::123456789012:user/carol "),
            "arn:aws:iam::123456789012:user/carol"
        );
        assert_ne!(
            principal("arn:aws:sts::123456789012:assumed-role/other/s"),
            a
        );
        assert_eq!(principal("not an arn"), "not an arn");
    }

    #[test]
    fn ci_identity_names_the_repository_and_the_actor() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let gh = env(&[
            ("GITHUB_ACTOR", "carol"),
            ("GITHUB_REPOSITORY", "acme/infra"),
        ]);
        assert_eq!(ci(&gh).as_deref(), Some("github:acme/infra:carol"));
        let gl = env(&[("GITLAB_USER_LOGIN", "dan"), ("CI_PROJECT_PATH", "g/p")]);
        assert_eq!(ci(&gl).as_deref(), Some("gitlab:g/p:dan"));
        let half = env(&[("GITHUB_ACTOR", "carol")]);
        assert_eq!(ci(&half), None);
        let empty = env(&[("GITHUB_ACTOR", " "), ("GITHUB_REPOSITORY", "a/b")]);
        assert_eq!(ci(&empty), None);
        assert!(same_ci(
            "github:acme/infra:Carol",
            "github:acme/infra:carol"
        ));
    }
}
