//! One file's module scopes, `use` trees and paths, made absolute.

use crate::tokens::{ident, tokenize, Tok};
use std::collections::{BTreeMap, BTreeSet};

/// `lib.rs` → [], `a/mod.rs` → [a], `a/b.rs` → [a, b].
pub(crate) fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// What a module's scope brings in: `name → absolute path` (uses and child modules), whether
/// a use is a re-export the file does not use itself, and the modules it glob-imports.
#[derive(Default, Clone)]
pub(crate) struct Scope {
    pub(crate) names: BTreeMap<String, Vec<String>>,
    /// Names defined by `use` (only these are followed when resolving through a module).
    pub(crate) used_names: BTreeSet<String>,
    pub(crate) globs: Vec<Vec<String>>,
}

/// One file, tokenized, with its `#[path]` module declarations.
pub(crate) struct Parsed {
    pub(crate) rel: String,
    pub(crate) toks: Vec<Tok>,
    /// `(module path, file relative to this file's folder)` for each `#[path = "…"] mod x;`.
    pub(crate) path_mods: Vec<(Vec<String>, String)>,
}

/// A `use` leaf: the scope it is in, the name it brings in (None for a glob), the path as
/// written, and whether it is `pub`.
pub(crate) struct UseLeaf {
    pub(crate) scope: Vec<String>,
    pub(crate) name: Option<String>,
    pub(crate) path: Vec<String>,
    pub(crate) public: bool,
}

impl Parsed {
    pub(crate) fn new(rel: &str, text: &str) -> Parsed {
        let toks = tokenize(text);
        let base = module_of(rel);
        let mut path_mods = Vec::new();
        for i in 0..toks.len() {
            if toks[i..].starts_with(&[Tok::Punct('#'), Tok::Punct('['), ident("path")]) {
                if let (Some(Tok::Str(file)), Some(Tok::Ident(name))) = (
                    toks.get(i + 4),
                    toks[i..].iter().skip_while(|t| **t != ident("mod")).nth(1),
                ) {
                    let mut module = base.clone();
                    module.push(name.clone());
                    path_mods.push((module, file.clone()));
                }
            }
        }
        Parsed {
            rel: rel.to_string(),
            toks,
            path_mods,
        }
    }

    /// Walks the tokens keeping track of inline modules; calls `at` at each token with the
    /// module path it is in.
    pub(crate) fn walk(&self, base: &[String], mut at: impl FnMut(usize, &[String]) -> usize) {
        let mut module = base.to_vec();
        let mut opened: Vec<usize> = Vec::new(); // brace depth at which an inline mod opened
        let mut depth = 0usize;
        let mut i = 0;
        while i < self.toks.len() {
            match &self.toks[i] {
                Tok::Ident(k) if k == "mod" => {
                    if let (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) =
                        (self.toks.get(i + 1), self.toks.get(i + 2))
                    {
                        module.push(name.clone());
                        depth += 1;
                        opened.push(depth);
                        i += 3;
                        continue;
                    }
                }
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    if opened.last() == Some(&depth) {
                        opened.pop();
                        module.pop();
                    }
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
            let skip = at(i, &module);
            i += skip.max(1);
        }
    }

    pub(crate) fn uses(&self, base: &[String]) -> (Vec<UseLeaf>, Vec<(usize, usize)>) {
        let mut leaves = Vec::new();
        let mut spans = Vec::new();
        self.walk(base, |i, module| {
            if self.toks[i] != ident("use") {
                return 1;
            }
            let public = i > 0
                && (self.toks[i - 1] == ident("pub")
                    || (self.toks[i - 1] == Tok::Punct(')')
                        && self.toks[..i]
                            .iter()
                            .rev()
                            .take(5)
                            .any(|t| *t == ident("pub"))));
            let mut j = i + 1;
            let mut raw = Vec::new();
            use_tree(&self.toks, &mut j, Vec::new(), &mut raw);
            for (path, name) in raw {
                leaves.push(UseLeaf {
                    scope: module.to_vec(),
                    name,
                    path,
                    public,
                });
            }
            spans.push((i, j));
            j - i
        });
        (leaves, spans)
    }

    /// The scopes this file defines, with names from `use` and child modules.
    pub(crate) fn scopes(&self, base: &[String]) -> Vec<(Vec<String>, Scope)> {
        let mut scopes: BTreeMap<Vec<String>, Scope> = BTreeMap::new();
        scopes.insert(base.to_vec(), Scope::default());
        self.walk(base, |i, module| {
            scopes.entry(module.to_vec()).or_default();
            if self.toks[i] == ident("mod") {
                if let Some(Tok::Ident(name)) = self.toks.get(i + 1) {
                    let mut child = module.to_vec();
                    child.push(name.clone());
                    scopes
                        .entry(module.to_vec())
                        .or_default()
                        .names
                        .insert(name.clone(), child);
                }
            }
            1
        });
        let (leaves, _) = self.uses(base);
        let children = scopes.clone();
        for leaf in leaves {
            let Some(path) = resolve_use(&leaf, &children) else {
                continue;
            };
            let scope = scopes.entry(leaf.scope.clone()).or_default();
            match leaf.name {
                Some(name) => {
                    scope.names.insert(name.clone(), path);
                    scope.used_names.insert(name);
                }
                None => scope.globs.push(path),
            }
        }
        scopes.into_iter().collect()
    }

    /// Every path this file refers to, as an absolute path, with the text that made it.
    pub(crate) fn references(
        &self,
        base: &[String],
        scopes: &BTreeMap<Vec<String>, Scope>,
    ) -> Vec<(Vec<String>, String)> {
        let (leaves, spans) = self.uses(base);
        let in_use = |i: usize| spans.iter().any(|&(a, b)| a <= i && i < b);
        let mut out = Vec::new();
        let mut used_outside_uses = BTreeSet::new();
        let mut paths = Vec::new();
        self.walk(base, |i, module| {
            if in_use(i) {
                return 1;
            }
            let Tok::Ident(first) = &self.toks[i] else {
                return 1;
            };
            if i > 0 && self.toks[i - 1] == Tok::PathSep {
                return 1;
            }
            used_outside_uses.insert(first.clone());
            let mut segs = vec![first.clone()];
            let mut j = i + 1;
            while self.toks.get(j) == Some(&Tok::PathSep) {
                match self.toks.get(j + 1) {
                    Some(Tok::Ident(s)) => {
                        segs.push(s.clone());
                        j += 2;
                    }
                    _ => break,
                }
            }
            if segs.len() > 1 {
                paths.push((module.to_vec(), segs));
            }
            j - i
        });
        for leaf in &leaves {
            let Some(path) = resolve_use(leaf, scopes) else {
                continue; // another crate
            };
            let Some(name) = &leaf.name else {
                out.push((path.clone(), format!("use {}::*", path.join("::"))));
                continue;
            };
            // A re-export of a descendant the file does not use itself is its face, no use.
            let descendant = path.starts_with(&leaf.scope) && path.len() > leaf.scope.len();
            if leaf.public && descendant && !used_outside_uses.contains(name) {
                continue;
            }
            out.push((path.clone(), format!("use {}", path.join("::"))));
        }
        for (module, segs) in paths {
            let text = segs.join("::");
            let abs = match absolute(&segs, &module) {
                Some(abs) => Some(abs),
                None => lookup(scopes, &module, &segs[0]).map(|prefix| {
                    let mut abs = prefix.clone();
                    abs.extend_from_slice(&segs[1..]);
                    abs
                }),
            };
            if let Some(abs) = abs {
                out.push((abs, text));
            }
        }
        out
    }
}

/// A use path made absolute: `crate::`/`super::`/`self::`, or starting at a child module
/// (Rust 2018's uniform paths); None for another crate's.
pub(crate) fn resolve_use(
    leaf: &UseLeaf,
    scopes: &BTreeMap<Vec<String>, Scope>,
) -> Option<Vec<String>> {
    if let Some(abs) = absolute(&leaf.path, &leaf.scope) {
        return Some(abs);
    }
    let first = leaf.path.first()?;
    let child = scopes.get(&leaf.scope)?.names.get(first)?;
    if scopes.get(&leaf.scope)?.used_names.contains(first) {
        return None; // only child modules here, not other uses
    }
    let mut abs = child.clone();
    abs.extend_from_slice(&leaf.path[1..]);
    Some(abs)
}

/// A name in a scope: its own names, then what its globs bring in.
pub(crate) fn lookup<'a>(
    scopes: &'a BTreeMap<Vec<String>, Scope>,
    module: &[String],
    name: &str,
) -> Option<&'a Vec<String>> {
    let scope = scopes.get(module)?;
    if let Some(p) = scope.names.get(name) {
        return Some(p);
    }
    scope
        .globs
        .iter()
        .find_map(|g| scopes.get(g).and_then(|s| s.names.get(name)))
}

/// `crate::`, `super::`, `self::` paths made absolute; None for anything else.
pub(crate) fn absolute(path: &[String], module: &[String]) -> Option<Vec<String>> {
    let mut abs;
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            abs = Vec::new();
            rest = &path[1..];
        }
        Some("self") => {
            abs = module.to_vec();
            rest = &path[1..];
        }
        Some("super") => {
            abs = module.to_vec();
            while rest.first().map(String::as_str) == Some("super") {
                abs.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    abs.extend_from_slice(rest);
    Some(abs)
}

/// Parses a use tree from `toks[*j]`, pushing `(path, name brought in)` leaves; a glob has
/// no name. Leaves `*j` after the tree (and its `;`).
pub(crate) fn use_tree(
    toks: &[Tok],
    j: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix;
    loop {
        match toks.get(*j) {
            Some(Tok::Ident(s)) => {
                *j += 1;
                if s == "self" && !path.is_empty() && toks.get(*j) != Some(&Tok::PathSep) {
                    let name = path.last().cloned();
                    let name = alias(toks, j).or(name);
                    out.push((path, name));
                    return;
                }
                path.push(s.clone());
                if toks.get(*j) == Some(&Tok::PathSep) {
                    *j += 1;
                    continue;
                }
                let name = alias(toks, j).or_else(|| path.last().cloned());
                out.push((path, name));
                return;
            }
            Some(Tok::Punct('*')) => {
                *j += 1;
                out.push((path, None));
                return;
            }
            Some(Tok::Punct('{')) => {
                *j += 1;
                while !matches!(toks.get(*j), Some(Tok::Punct('}')) | None) {
                    use_tree(toks, j, path.clone(), out);
                    if toks.get(*j) == Some(&Tok::Punct(',')) {
                        *j += 1;
                    }
                }
                *j += 1;
                return;
            }
            Some(Tok::PathSep) => *j += 1, // `use ::std::…`
            _ => return,
        }
    }
}

pub(crate) fn alias(toks: &[Tok], j: &mut usize) -> Option<String> {
    if toks.get(*j) == Some(&ident("as")) {
        if let Some(Tok::Ident(a)) = toks.get(*j + 1) {
            *j += 2;
            return Some(a.clone());
        }
    }
    None
}
