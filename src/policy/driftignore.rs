//! `.driftignore`, driftctl's ignore file, read so teams can migrate.
//!
//! The format, as driftctl reads it:
//! - one entry per line: `resource_type.resource_id` (the cloud id, not the terraform
//!   address), or `resource_type.resource_id.path.to.attribute` to ignore one attribute's drift;
//! - `*` matches any run of characters (dots included): `aws_iam_role.*`,
//!   `aws_iam_user.*.tags.*`; an entry also covers everything under it (`aws_s3_bucket.b`
//!   ignores the bucket's attribute drifts too);
//! - `\` escapes the next character: `aws_s3_bucket.my\.dotted\.bucket`, `\\` is a backslash;
//! - `!` at the start negates: the entry un-ignores what it matches; the last matching line
//!   wins, as in `.gitignore`;
//! - lines starting with `#` are comments; blank lines are skipped; surrounding whitespace is
//!   trimmed. A `#` later in a line is part of the pattern (driftctl has no inline comments).

use crate::model::{IgnoreMatch, Path};
use crate::policy::pattern::{Pattern, dotted};

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    negated: bool,
    /// The line as written (without `!`).
    text: String,
    /// The pattern itself, and `pattern.*` unless it already ends in `*`.
    patterns: Vec<Pattern>,
    source: String,
}

impl Entry {
    fn is_match(&self, s: &str) -> bool {
        self.patterns.iter().any(|p| p.is_match(s))
    }
}

/// A parsed `.driftignore`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriftIgnore {
    entries: Vec<Entry>,
}

impl DriftIgnore {
    /// Parses the file; `name` is used in ignore sources (`.driftignore:3`). Never fails:
    /// a line that is not a valid pattern is skipped, as driftctl does.
    pub fn parse(name: &str, text: &str) -> DriftIgnore {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, body) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim_start()),
                None => (false, line),
            };
            if body.is_empty() {
                continue;
            }
            let mut patterns = Vec::new();
            let mut texts = vec![body.to_string()];
            if !body.ends_with('*') {
                texts.push(format!("{body}.*"));
            }
            for t in &texts {
                if let Ok(p) = Pattern::with_escapes(t) {
                    patterns.push(p);
                }
            }
            if patterns.is_empty() {
                continue;
            }
            entries.push(Entry {
                negated,
                text: body.to_string(),
                patterns,
                source: format!("{name}:{}", i + 1),
            });
        }
        DriftIgnore { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The last entry matching `s`, when it is not a negation.
    fn decide(&self, s: &str) -> Option<IgnoreMatch> {
        let e = self.entries.iter().rev().find(|e| e.is_match(s))?;
        (!e.negated).then(|| IgnoreMatch {
            pattern: e.text.clone(),
            reason: None,
            owner: None,
            expires: None,
            source: e.source.clone(),
        })
    }

    /// Whether the whole resource `type.id` is ignored, and by which line.
    pub fn resource(&self, resource_type: &str, id: &str) -> Option<IgnoreMatch> {
        self.decide(&format!("{resource_type}.{id}"))
    }

    /// Whether the drift of one attribute (`type.id.path.to.attr`) is ignored.
    pub fn change(&self, resource_type: &str, id: &str, path: &Path) -> Option<IgnoreMatch> {
        self.decide(&format!("{resource_type}.{id}.{}", dotted(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r"# resources created by hand, accepted
aws_iam_role.ci-runner
aws_s3_bucket.my\.dotted\.bucket

aws_iam_user.*
!aws_iam_user.alice
aws_instance.i-0abc.tags.*
aws_security_group.*.description
   aws_vpc.vpc-1   
aws_iam_policy.arn:aws:iam::1:policy/a#b
";

    fn d() -> DriftIgnore {
        DriftIgnore::parse(".driftignore", FILE)
    }

    #[test]
    fn comments_blanks_and_sources() {
        let d = d();
        assert_eq!(d.len(), 8);
        let m = d.resource("aws_iam_role", "ci-runner").unwrap();
        assert_eq!(m.source, ".driftignore:2");
        assert_eq!(m.pattern, "aws_iam_role.ci-runner");
        assert!(m.reason.is_none());
        assert!(d.resource("aws_iam_role", "ci-runner-2").is_none());
        assert!(
            d.resource("aws_vpc", "vpc-1").is_some(),
            "whitespace is trimmed"
        );
        assert!(
            d.resource("aws_iam_policy", "arn:aws:iam::1:policy/a#b")
                .is_some(),
            "# inside a line is part of the pattern"
        );
    }

    #[test]
    fn escaped_dots_and_wildcards() {
        let d = d();
        assert!(d.resource("aws_s3_bucket", "my.dotted.bucket").is_some());
        assert!(d.resource("aws_iam_user", "bob").is_some());
        assert!(d.resource("aws_iam_user", "team.x").is_some());
    }

    #[test]
    fn negation_last_match_wins() {
        let d = d();
        assert!(d.resource("aws_iam_user", "alice").is_none());
        let re = DriftIgnore::parse("x", "!aws_iam_user.alice\naws_iam_user.*\n");
        assert!(re.resource("aws_iam_user", "alice").is_some());
    }

    #[test]
    fn attribute_level_entries() {
        let d = d();
        assert!(d.resource("aws_instance", "i-0abc").is_none());
        let tag = Path::root("tags").key("team");
        assert!(d.change("aws_instance", "i-0abc", &tag).is_some());
        assert!(
            d.change("aws_instance", "i-0abc", &Path::root("instance_type"))
                .is_none()
        );
        assert!(
            d.change("aws_security_group", "sg-1", &Path::root("description"))
                .is_some()
        );
        // A resource entry covers its attributes.
        assert!(
            d.change("aws_iam_role", "ci-runner", &Path::root("tags").key("x"))
                .is_some()
        );
    }
}
