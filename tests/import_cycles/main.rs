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

mod graph;
mod parse;
mod tokens;

use graph::Graph;
use std::collections::BTreeSet;
use std::path::Path;

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
