//! Wildcard patterns for terraform addresses, resource types, ids and attribute paths.
//!
//! Only `*` (any run of characters, dots and slashes included) and `?` (one character) are
//! special; everything else is literal, so the brackets and quotes of an address like
//! `aws_instance.web["a"]` need no escaping. Matching is done by `globset`.

use globset::{Glob, GlobBuilder, GlobMatcher};

use crate::model::{Path, Segment};

#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Pattern {
    /// A pattern where `*` and `?` are the only wildcards.
    pub fn new(text: &str) -> Result<Pattern, globset::Error> {
        let mut glob = String::with_capacity(text.len() + 8);
        let mut literal = String::new();
        for c in text.chars() {
            if c == '*' || c == '?' {
                glob.push_str(&escape(&literal));
                literal.clear();
                glob.push(c);
            } else {
                literal.push(c);
            }
        }
        glob.push_str(&escape(&literal));
        Pattern::from_glob(text, &glob, false)
    }

    /// A pattern with backslash escapes (`\.` is a literal dot, `\\` a backslash), as
    /// `.driftignore` lines are written.
    pub fn with_escapes(text: &str) -> Result<Pattern, globset::Error> {
        let mut glob = String::new();
        let mut literal = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        literal.push(n);
                    }
                }
                '*' | '?' => {
                    glob.push_str(&escape(&literal));
                    literal.clear();
                    glob.push(c);
                }
                c => literal.push(c),
            }
        }
        glob.push_str(&escape(&literal));
        Pattern::from_glob(text, &glob, false)
    }

    fn from_glob(
        text: &str,
        glob: &str,
        case_insensitive: bool,
    ) -> Result<Pattern, globset::Error> {
        let g: Glob = GlobBuilder::new(glob)
            .literal_separator(false)
            .backslash_escape(false)
            .case_insensitive(case_insensitive)
            .build()?;
        Ok(Pattern {
            text: text.to_string(),
            matcher: g.compile_matcher(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.matcher.is_match(s)
    }

    /// An attribute path pattern matches a change at `path` when it matches the path or one of
    /// its ancestors (`tags` matches `tags.team`), in terraform's rendering
    /// (`tags["kubernetes.io/role"]`) or with every segment joined by dots
    /// (`tags.kubernetes.io/role`, `ingress.0.cidr_blocks`).
    pub fn matches_path(&self, path: &Path) -> bool {
        (1..=path.0.len()).any(|n| {
            let prefix = Path(path.0[..n].to_vec());
            self.is_match(&prefix.to_string()) || self.is_match(&dotted(&prefix))
        })
    }
}

/// A path with every segment joined by `.` (list indexes as numbers): driftctl's spelling.
pub fn dotted(path: &Path) -> String {
    path.0
        .iter()
        .map(|s| match s {
            Segment::Key(k) => k.clone(),
            Segment::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `text` as a glob matching exactly itself (backslash escapes are off: a backslash is put in
/// a class of its own, like globset's escape does for the other special characters).
fn escape(text: &str) -> String {
    globset::escape(text).replace('\\', "[\\]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_crosses_dots_and_brackets_are_literal() {
        let p = Pattern::new("module.prod.*").unwrap();
        assert!(p.is_match("module.prod.aws_instance.web"));
        assert!(p.is_match("module.prod.module.db.aws_instance.x[0]"));
        assert!(!p.is_match("module.stage.aws_instance.web"));
        let q = Pattern::new("aws_instance.web[\"a\"]").unwrap();
        assert!(q.is_match("aws_instance.web[\"a\"]"));
        assert!(!q.is_match("aws_instance.web[\"b\"]"));
        let r = Pattern::new("aws_iam_role.ci_?").unwrap();
        assert!(r.is_match("aws_iam_role.ci_1"));
        assert!(!r.is_match("aws_iam_role.ci_12"));
    }

    #[test]
    fn paths_match_by_ancestor_and_in_both_spellings() {
        let tags = Path::root("tags").key("kubernetes.io/role");
        assert!(Pattern::new("tags").unwrap().matches_path(&tags));
        assert!(Pattern::new("tags.*").unwrap().matches_path(&tags));
        assert!(
            Pattern::new("tags[\"kubernetes.io/role\"]")
                .unwrap()
                .matches_path(&tags)
        );
        assert!(!Pattern::new("tag").unwrap().matches_path(&tags));
        assert!(
            !Pattern::new("tags.team")
                .unwrap()
                .matches_path(&Path::root("tags"))
        );
        let deep = Path::root("ingress").index(0).key("cidr_blocks");
        assert!(Pattern::new("ingress.0.*").unwrap().matches_path(&deep));
        assert!(
            Pattern::new("ingress[0].cidr_blocks")
                .unwrap()
                .matches_path(&deep)
        );
    }

    #[test]
    fn escapes() {
        let p = Pattern::with_escapes(r"aws_s3_bucket.id\.with\.dots").unwrap();
        assert!(p.is_match("aws_s3_bucket.id.with.dots"));
        let b = Pattern::with_escapes(r"t.idwith\\").unwrap();
        assert!(b.is_match(r"t.idwith\"));
        let w = Pattern::with_escapes(r"t.a\*b").unwrap();
        assert!(w.is_match("t.a*b"));
        assert!(!w.is_match("t.axb"));
    }
}
