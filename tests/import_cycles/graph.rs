//! The file-level import graph of a source tree, and its cycles.

use crate::parse::{module_of, Parsed, Scope};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files (by path relative to the root) and the edges between them, with the path that
/// makes each edge.
pub(crate) struct Graph {
    pub(crate) edges: BTreeSet<(String, String, String)>,
}

impl Graph {
    pub(crate) fn of_tree(root: &Path) -> Graph {
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
    pub(crate) fn cycles(&self) -> Vec<Vec<String>> {
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

    pub(crate) fn edges_within<'a>(
        &'a self,
        files: &'a [String],
    ) -> impl Iterator<Item = (&'a str, &'a str, &'a str)> + 'a {
        self.edges
            .iter()
            .filter(|(f, t, _)| files.contains(f) && files.contains(t))
            .map(|(f, t, w)| (f.as_str(), t.as_str(), w.as_str()))
    }
}

pub(crate) fn collect_rs(root: &Path, dir: &Path, out: &mut Vec<String>) {
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

pub(crate) struct Resolver<'a> {
    pub(crate) module_file: &'a BTreeMap<Vec<String>, String>,
    pub(crate) scopes: &'a BTreeMap<Vec<String>, Scope>,
}

impl Resolver<'_> {
    /// The file that defines what the absolute path `target` names.
    pub(crate) fn file_of(&self, target: &[String], depth: usize) -> Option<String> {
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
