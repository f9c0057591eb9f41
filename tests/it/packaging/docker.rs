//! The Dockerfile read statically (CI has no Docker engine): its stages and instructions,
//! `COPY` arguments, `.dockerignore` matching, and the build context they select.

use super::{read, repo, text};
use std::collections::BTreeSet;
use std::process::Command;

#[derive(Debug)]
pub(super) struct Instruction {
    pub(super) line: usize,
    pub(super) op: String,
    pub(super) args: String,
}

#[derive(Debug)]
pub(super) struct Stage {
    pub(super) image: String,
    pub(super) name: Option<String>,
    pub(super) body: Vec<Instruction>,
}

/// Instructions grouped by stage: comments dropped, `\` continuations joined.
pub(super) fn parse_dockerfile(src: &str) -> Vec<Stage> {
    let mut instructions = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in src.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') || (line.is_empty() && pending.is_none()) {
            continue;
        }
        let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        if let Some(head) = line.strip_suffix('\\') {
            acc.push_str(head);
            acc.push(' ');
            pending = Some((start, acc));
        } else {
            acc.push_str(line);
            instructions.push((start, acc));
        }
    }
    assert!(pending.is_none(), "Dockerfile ends inside a continuation");

    let mut stages: Vec<Stage> = Vec::new();
    for (line, full) in instructions {
        let (op, args) = full.split_once(char::is_whitespace).unwrap_or((&full, ""));
        let (op, args) = (op.to_ascii_uppercase(), args.trim().to_owned());
        if op == "FROM" {
            let words: Vec<&str> = args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_] => None,
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                _ => panic!("Dockerfile:{line}: FROM {args}"),
            };
            stages.push(Stage {
                image: words[0].to_owned(),
                name,
                body: Vec::new(),
            });
        } else {
            stages
                .last_mut()
                .unwrap_or_else(|| panic!("Dockerfile:{line}: {op} before FROM"))
                .body
                .push(Instruction { line, op, args });
        }
    }
    stages
}

impl Stage {
    pub(super) fn all(&self, op: &'static str) -> impl Iterator<Item = &Instruction> + '_ {
        self.body.iter().filter(move |i| i.op == op)
    }
    pub(super) fn last(&self, op: &'static str) -> Option<&Instruction> {
        self.all(op).last()
    }
}

/// An exec-form (`["a", "b"]`) argument list.
pub(super) fn exec_form(ins: &Instruction) -> Vec<String> {
    serde_json::from_str(&ins.args)
        .unwrap_or_else(|e| panic!("Dockerfile:{}: {} not in exec form: {e}", ins.line, ins.op))
}

/// `COPY [--flag=v ...] src... dest`: (flags, sources, dest).
pub(super) fn copy_args(ins: &Instruction) -> (Vec<(String, String)>, Vec<String>, String) {
    let mut rest = ins.args.as_str();
    let mut flags = Vec::new();
    while let Some(after) = rest.strip_prefix("--") {
        let (flag, tail) = after.split_once(char::is_whitespace).unwrap_or((after, ""));
        let (k, v) = flag.split_once('=').unwrap_or((flag, ""));
        flags.push((k.to_owned(), v.to_owned()));
        rest = tail.trim_start();
    }
    let mut words: Vec<String> = if rest.starts_with('[') {
        serde_json::from_str(rest).unwrap()
    } else {
        rest.split_whitespace().map(str::to_owned).collect()
    };
    assert!(
        words.len() >= 2,
        "Dockerfile:{}: COPY {}",
        ins.line,
        ins.args
    );
    let dest = words.pop().unwrap();
    for w in words.iter().chain([&dest]) {
        assert!(
            !w.contains('$') && !w.contains(['*', '?', '[']),
            "Dockerfile:{}: this check does not expand variables or wildcards: {w}",
            ins.line
        );
    }
    (flags, words, dest)
}

/// Go's `filepath.Match` for one path segment: `*`, `?` and literal characters
/// (`[...]` classes are not used in this repository's .dockerignore).
pub(super) fn segment_matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment_matches(&pattern[1..], name)
                || (!name.is_empty() && segment_matches(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => segment_matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => segment_matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

pub(super) fn pattern_matches(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            pattern_matches(&pattern[1..], path)
                || (!path.is_empty() && pattern_matches(pattern, &path[1..]))
        }
        (Some(p), Some(n)) => {
            segment_matches(p.as_bytes(), n.as_bytes())
                && pattern_matches(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

/// Whether `.dockerignore` keeps `path` out of the build context: the last rule that
/// matches the path or one of its parent directories decides (`!` re-includes), as Docker does.
pub(super) fn docker_ignores(rules: &[(bool, Vec<String>)], path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    let mut ignored = false;
    for (negated, pattern) in rules {
        let pattern: Vec<&str> = pattern.iter().map(String::as_str).collect();
        let hit = (1..=segments.len()).any(|n| pattern_matches(&pattern, &segments[..n]));
        if hit {
            ignored = !negated;
        }
    }
    ignored
}

pub(super) fn dockerignore_rules() -> Vec<(bool, Vec<String>)> {
    read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (negated, p) = match l.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, l),
            };
            let p = p.trim_start_matches("./").trim_matches('/');
            (negated, p.split('/').map(str::to_owned).collect())
        })
        .collect()
}

/// The repository's files (tracked, or new and not git-ignored), as a fresh clone has them,
/// less those .dockerignore keeps out: the build context.
pub(super) fn build_context() -> BTreeSet<String> {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(repo())
        .output()
        .expect("git ls-files");
    assert!(out.status.success(), "git ls-files: {}", text(&out));
    let rules = dockerignore_rules();
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|p| !p.is_empty() && repo().join(p).is_file())
        .filter(|p| !docker_ignores(&rules, p))
        .map(str::to_owned)
        .collect()
}

/// Context files a COPY source brings: the file itself, or everything under the directory,
/// each with its path relative to the source.
pub(super) fn copied_by<'a>(
    context: &'a BTreeSet<String>,
    source: &str,
) -> Vec<(&'a str, &'a str)> {
    let source = source.trim_start_matches("./").trim_end_matches('/');
    context
        .iter()
        .filter_map(|f| {
            if f == source {
                Some((f.as_str(), f.rsplit('/').next().unwrap()))
            } else {
                f.strip_prefix(source)
                    .and_then(|r| r.strip_prefix('/'))
                    .map(|r| (f.as_str(), r))
            }
        })
        .collect()
}

pub(super) fn suite(image: &str) -> Option<&'static str> {
    ["bookworm", "trixie", "bullseye", "buster"]
        .into_iter()
        .find(|s| image.contains(s))
}

pub(super) fn version(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap_or(0))
}
