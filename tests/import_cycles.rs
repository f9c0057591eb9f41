//! No import cycle among the files of `src/` (issue 20).
//!
//! A cycle between files means neither can be read, changed or tested without the other;
//! whatever the two share belongs in a module both depend on. This test derives the
//! file-level import graph from the source text (no compiler involved) and fails on every
//! strongly connected component of more than one file, naming the paths that make the edges.
//!
//! The rule, precisely:
//! - A node is a file under `src/` (`src/main.rs`, the binary, is left out: nothing imports it).
//! - `mod x;` (and `#[path] mod x;`) declares a child: **not** an edge. Neither is a parent
//!   re-exporting a child's item (`pub use child::Item;`) as long as the parent's own code does
//!   not use that name: a re-export is the module's face, not a use.
//! - Every other path is an edge from the file it is written in to the file that **defines**
//!   what it names: `use` statements, and paths in code (and in macro bodies) that start with
//!   `crate::`, `$crate::`, `super::`, `self::`, a name brought in by a `use`, or a child
//!   module's name. A child using its parent's items (`super::Item`) is an edge to the parent.
//! - A path is resolved along the module tree to the deepest module that is a file; a name
//!   that file only re-exports is followed to where it comes from, so `super::Session` from
//!   `mqtt/driver.rs` points at `mqtt/session.rs`, not at `mqtt/mod.rs`.
//! - A glob (`use super::*;`) is an edge to the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[test]
fn no_import_cycle_among_the_files_of_src() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = Graph::of_tree(&root);
    assert!(
        graph.edges.len() > 100,
        "the import graph of src/ looks empty ({} edges): the parser broke",
        graph.edges.len()
    );
    let cycles = graph.cycles();
    let mut report = String::new();
    for cycle in &cycles {
        report.push_str(&format!("cycle among {} files:\n", cycle.len()));
        for (from, to, why) in graph.edges_within(cycle) {
            report.push_str(&format!("  {from} -> {to}  ({why})\n"));
        }
    }
    assert!(cycles.is_empty(), "import cycles in src/:\n{report}");
}

/// The checker itself finds a cycle, follows re-exports and ignores `mod` declarations.
#[test]
fn the_checker_sees_a_cycle_and_no_false_one() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod a;\npub mod b;\n");
    // a/mod.rs re-exports its children and defines `Shared`, which child `one` uses.
    write(
        "a/mod.rs",
        "mod one;\nmod two;\npub use one::One;\npub struct Shared;\n",
    );
    write(
        "a/one.rs",
        "use super::Shared;\npub struct One(Shared);\nfn f() { super::two::g(); }\n",
    );
    // `two` names `One` through the parent's re-export: an edge to one.rs, not to mod.rs.
    write(
        "a/two.rs",
        "// crate::b::nothing in a comment\npub fn g() { let _ = \"crate::b::x\"; }\nfn h(_: super::One) {}\n",
    );
    write(
        "b.rs",
        "use crate::a;\npub fn x() -> a::Shared { a::Shared }\n",
    );
    let graph = Graph::of_tree(dir.path());
    let edges: BTreeSet<(String, String)> = graph
        .edges
        .iter()
        .map(|(f, t, _)| (f.clone(), t.clone()))
        .collect();
    let e = |f: &str, t: &str| (f.to_string(), t.to_string());
    assert!(edges.contains(&e("a/one.rs", "a/mod.rs")), "{edges:?}");
    assert!(edges.contains(&e("a/one.rs", "a/two.rs")), "{edges:?}");
    assert!(edges.contains(&e("a/two.rs", "a/one.rs")), "{edges:?}");
    assert!(edges.contains(&e("b.rs", "a/mod.rs")), "{edges:?}");
    assert!(!edges.contains(&e("a/mod.rs", "a/one.rs")), "{edges:?}");
    assert!(!edges.contains(&e("a/two.rs", "b.rs")), "{edges:?}");
    assert!(!edges.contains(&e("lib.rs", "a/mod.rs")), "{edges:?}");
    assert_eq!(
        graph.cycles(),
        vec![vec!["a/one.rs".to_string(), "a/two.rs".to_string()]]
    );
}

/// Files (by path relative to the root) and the edges between them, with the path that
/// makes each edge.
struct Graph {
    edges: BTreeSet<(String, String, String)>,
}

impl Graph {
    fn of_tree(root: &Path) -> Graph {
        let mut files = Vec::new();
        collect_rs(root, root, &mut files);
        let parsed: Vec<Parsed> = files
            .iter()
            .map(|rel| {
                let text = std::fs::read_to_string(root.join(rel)).unwrap();
                Parsed::new(rel, &text)
            })
            .collect();
        // Which file holds which module: by the path's shape, then `#[path]` declarations.
        let mut module_file: BTreeMap<Vec<String>, String> = BTreeMap::new();
        for p in &parsed {
            module_file.insert(module_of(&p.rel), p.rel.clone());
        }
        for p in &parsed {
            for (module, target) in &p.path_mods {
                let dir = Path::new(&p.rel).parent().unwrap_or(Path::new(""));
                let target = dir.join(target).to_string_lossy().replace('\\', "/");
                if module_file.values().any(|f| *f == target) {
                    module_file.retain(|_, f| *f != target);
                    module_file.insert(module.clone(), target);
                }
            }
        }
        let file_module: BTreeMap<String, Vec<String>> = module_file
            .iter()
            .map(|(m, f)| (f.clone(), m.clone()))
            .collect();
        // Every scope (module path) of every file: its aliases and globs.
        let mut scopes: BTreeMap<Vec<String>, Scope> = BTreeMap::new();
        let mut parsed_by_file = BTreeMap::new();
        for p in &parsed {
            let Some(base) = file_module.get(&p.rel) else {
                continue; // a file no module declares (there is none; main.rs is left out)
            };
            for (inner, scope) in p.scopes(base) {
                scopes.insert(inner, scope);
            }
            parsed_by_file.insert(p.rel.clone(), (p, base.clone()));
        }
        let resolver = Resolver {
            module_file: &module_file,
            scopes: &scopes,
        };
        let mut edges = BTreeSet::new();
        for (rel, (p, base)) in &parsed_by_file {
            for (target, why) in p.references(base, &scopes) {
                if let Some(to) = resolver.file_of(&target, 0) {
                    if to != *rel {
                        edges.insert((rel.clone(), to, why));
                    }
                }
            }
        }
        Graph { edges }
    }

    /// Strongly connected components of more than one file, each sorted, in file order.
    fn cycles(&self) -> Vec<Vec<String>> {
        let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (f, t, _) in &self.edges {
            next.entry(f).or_default().push(t);
            next.entry(t).or_default();
        }
        // Kosaraju: order by finish time, then walk the reversed graph.
        let mut order = Vec::new();
        let mut seen = BTreeSet::new();
        for &start in next.keys() {
            if !seen.insert(start) {
                continue;
            }
            let mut stack = vec![(start, 0usize)];
            while let Some((node, i)) = stack.pop() {
                if let Some(&succ) = next[node].get(i) {
                    stack.push((node, i + 1));
                    if seen.insert(succ) {
                        stack.push((succ, 0));
                    }
                } else {
                    order.push(node);
                }
            }
        }
        let mut prev: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (f, t, _) in &self.edges {
            prev.entry(t).or_default().push(f);
        }
        let mut assigned = BTreeSet::new();
        let mut components = Vec::new();
        for &start in order.iter().rev() {
            if !assigned.insert(start) {
                continue;
            }
            let mut component = vec![start.to_string()];
            let mut stack = vec![start];
            while let Some(node) = stack.pop() {
                for &p in prev.get(node).map(Vec::as_slice).unwrap_or(&[]) {
                    if assigned.insert(p) {
                        component.push(p.to_string());
                        stack.push(p);
                    }
                }
            }
            if component.len() > 1 {
                component.sort();
                components.push(component);
            }
        }
        components.sort();
        components
    }

    fn edges_within<'a>(
        &'a self,
        files: &'a [String],
    ) -> impl Iterator<Item = (&'a str, &'a str, &'a str)> + 'a {
        self.edges
            .iter()
            .filter(|(f, t, _)| files.contains(f) && files.contains(t))
            .map(|(f, t, w)| (f.as_str(), t.as_str(), w.as_str()))
    }
}

fn collect_rs(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_rs(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy();
            let rel = rel.replace('\\', "/");
            if rel != "main.rs" {
                out.push(rel);
            }
        }
    }
}

/// `lib.rs` → [], `a/mod.rs` → [a], `a/b.rs` → [a, b].
fn module_of(rel: &str) -> Vec<String> {
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
struct Scope {
    names: BTreeMap<String, Vec<String>>,
    /// Names defined by `use` (only these are followed when resolving through a module).
    used_names: BTreeSet<String>,
    globs: Vec<Vec<String>>,
}

struct Resolver<'a> {
    module_file: &'a BTreeMap<Vec<String>, String>,
    scopes: &'a BTreeMap<Vec<String>, Scope>,
}

impl Resolver<'_> {
    /// The file that defines what the absolute path `target` names.
    fn file_of(&self, target: &[String], depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        // The deepest module along the path that is a module we know (file or inline).
        let mut k = target.len();
        while k > 0 && !self.scopes.contains_key(&target[..k]) {
            k -= 1;
        }
        let module = &target[..k];
        if let (Some(next), Some(scope)) = (target.get(k), self.scopes.get(module)) {
            if scope.used_names.contains(next) {
                let mut via = scope.names[next].clone();
                via.extend_from_slice(&target[k + 1..]);
                if via != target {
                    return self.file_of(&via, depth + 1);
                }
            }
        }
        // The file holding that module (an inline module lives in its parent's file).
        let mut m = module.len();
        loop {
            if let Some(f) = self.module_file.get(&module[..m]) {
                return Some(f.clone());
            }
            if m == 0 {
                return None;
            }
            m -= 1;
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
    PathSep,
}

/// One file, tokenized, with its `#[path]` module declarations.
struct Parsed {
    rel: String,
    toks: Vec<Tok>,
    /// `(module path, file relative to this file's folder)` for each `#[path = "…"] mod x;`.
    path_mods: Vec<(Vec<String>, String)>,
}

/// A `use` leaf: the scope it is in, the name it brings in (None for a glob), the path as
/// written, and whether it is `pub`.
struct UseLeaf {
    scope: Vec<String>,
    name: Option<String>,
    path: Vec<String>,
    public: bool,
}

impl Parsed {
    fn new(rel: &str, text: &str) -> Parsed {
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
    fn walk(&self, base: &[String], mut at: impl FnMut(usize, &[String]) -> usize) {
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

    fn uses(&self, base: &[String]) -> (Vec<UseLeaf>, Vec<(usize, usize)>) {
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
    fn scopes(&self, base: &[String]) -> Vec<(Vec<String>, Scope)> {
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
    fn references(
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
fn resolve_use(leaf: &UseLeaf, scopes: &BTreeMap<Vec<String>, Scope>) -> Option<Vec<String>> {
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
fn lookup<'a>(
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
fn absolute(path: &[String], module: &[String]) -> Option<Vec<String>> {
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
fn use_tree(
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

fn alias(toks: &[Tok], j: &mut usize) -> Option<String> {
    if toks.get(*j) == Some(&ident("as")) {
        if let Some(Tok::Ident(a)) = toks.get(*j + 1) {
            *j += 2;
            return Some(a.clone());
        }
    }
    None
}

fn ident(s: &str) -> Tok {
    Tok::Ident(s.to_string())
}

/// Identifiers, `::`, string literals and single punctuation; comments, char literals and
/// lifetimes are dropped.
fn tokenize(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if c[i..].starts_with(&['/', '/']) {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i..].starts_with(&['/', '*']) {
            let mut depth = 0;
            while i < c.len() {
                if c[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if c[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some((s, next)) = string_at(&c, i) {
            toks.push(Tok::Str(s));
            i = next;
        } else if ch == '\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a).
            if c.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            if word == "r" && c.get(i) == Some(&'#') {
                continue; // r#ident: the ident follows the '#'
            }
            toks.push(Tok::Ident(word));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '.') {
                i += 1;
            }
        } else if c[i..].starts_with(&[':', ':']) {
            toks.push(Tok::PathSep);
            i += 2;
        } else {
            toks.push(Tok::Punct(ch));
            i += 1;
        }
    }
    toks
}

/// A string literal starting at `i` ("…", r"…", r#"…"#, b"…", br#"…"#, c"…"): its text and
/// the index after it.
fn string_at(c: &[char], i: usize) -> Option<(String, usize)> {
    let mut j = i;
    if matches!(c.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let raw = c.get(j) == Some(&'r');
    if raw {
        j += 1;
    }
    let mut hashes = 0;
    while raw && c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    let start = j;
    while j < c.len() {
        if !raw && c[j] == '\\' {
            j += 2;
            continue;
        }
        if c[j] == '"'
            && c[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&h| h == '#')
                .count()
                == hashes
        {
            let s = c[start..j].iter().collect();
            return Some((s, j + 1 + hashes));
        }
        j += 1;
    }
    Some((c[start..].iter().collect(), c.len()))
}
