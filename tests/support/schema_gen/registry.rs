//! Schema documents and `$ref` resolution: every JSON file under a directory, by URL and by
//! embedded `$id`, and refs resolved against a base URL.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Schema documents by URL, plus every embedded `$id`.
pub struct Registry {
    docs: HashMap<String, Value>,
    /// embedded `$id` URL → (document URL, JSON pointer)
    embedded: HashMap<String, (String, String)>,
}

impl Registry {
    /// Every `*.json` below `dir`, keyed by its `file://` URL and by its (resolved) `$id`.
    pub fn load_dir(dir: &Path) -> Registry {
        let mut files = Vec::new();
        collect_json_files(dir, &mut files);
        files.sort();
        let mut reg = Registry {
            docs: HashMap::new(),
            embedded: HashMap::new(),
        };
        for file in files {
            let text = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let doc: Value = serde_json::from_slice(&text)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
            let file_url = format!("file://{}", file.display());
            let key = match doc.get("$id").and_then(Value::as_str) {
                Some(id) => strip_fragment(&resolve_url(&file_url, id)).to_string(),
                None => file_url.clone(),
            };
            let mut ids = Vec::new();
            collect_embedded_ids(&doc, &key, "", &mut ids);
            for (url, pointer) in ids {
                reg.embedded.insert(url, (key.clone(), pointer));
            }
            if key != file_url {
                reg.embedded.insert(file_url, (key.clone(), String::new()));
            }
            reg.docs.insert(key, doc);
        }
        reg
    }

    /// The document (or embedded schema) at `url` (no fragment).
    pub fn get(&self, url: &str) -> Option<&Value> {
        if let Some(d) = self.docs.get(url) {
            return Some(d);
        }
        let (doc, pointer) = self.embedded.get(url)?;
        self.docs.get(doc)?.pointer(pointer)
    }

    /// Resolve `reference` seen in a schema whose base URL is `base`: the new base and
    /// the target schema. Panics with the reference when it does not resolve.
    pub fn resolve<'a>(&'a self, base: &str, reference: &str) -> (String, &'a Value) {
        let (path, fragment) = match reference.split_once('#') {
            Some((p, f)) => (p, f),
            None => (reference, ""),
        };
        let doc_url = if path.is_empty() {
            strip_fragment(base).to_string()
        } else {
            resolve_url(base, path)
        };
        let (doc_url, doc) = match self.get(&doc_url) {
            Some(d) => (doc_url, d),
            None => self.by_path_suffix(&doc_url).unwrap_or_else(|| {
                panic!("$ref {reference:?} (from {base}): no document {doc_url}")
            }),
        };
        let target = if fragment.is_empty() {
            doc
        } else if fragment.starts_with('/') {
            doc.pointer(&percent_decode(fragment)).unwrap_or_else(|| {
                panic!("$ref {reference:?} (from {base}): no {fragment} in {doc_url}")
            })
        } else {
            panic!("$ref {reference:?}: plain-name fragments are not supported")
        };
        (doc_url, target)
    }

    /// A document whose URL ends with the same last two path segments: a fallback for
    /// refs written against a hosting path we did not reproduce.
    fn by_path_suffix(&self, url: &str) -> Option<(String, &Value)> {
        let segs: Vec<&str> = url.rsplit('/').take(2).collect();
        if segs.len() < 2 {
            return None;
        }
        let suffix = format!("/{}/{}", segs[1], segs[0]);
        let mut hits = self.docs.iter().filter(|(k, _)| k.ends_with(&suffix));
        let hit = hits.next()?;
        if hits.next().is_some() {
            return None;
        }
        Some((hit.0.clone(), hit.1))
    }
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn collect_embedded_ids(v: &Value, base: &str, pointer: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            let mut base = base.to_string();
            if !pointer.is_empty() {
                if let Some(id) = o.get("$id").and_then(Value::as_str) {
                    base = strip_fragment(&resolve_url(&base, id)).to_string();
                    out.push((base.clone(), pointer.to_string()));
                }
            }
            for (k, child) in o {
                // `enum`/`const` values are data, not schemas
                if k == "enum" || k == "const" {
                    continue;
                }
                let esc = k.replace('~', "~0").replace('/', "~1");
                collect_embedded_ids(child, &base, &format!("{pointer}/{esc}"), out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                collect_embedded_ids(child, base, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

pub(super) fn strip_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(u, _)| u)
}

/// RFC 3986 reference resolution, for the shapes schemas use: full URLs, absolute paths
/// (`/a/b.json`), relative paths (`../misc/x.json`, `x.json`, `./x.json`).
pub fn resolve_url(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return normalize_path_url(reference);
    }
    let base = strip_fragment(base);
    let (origin, base_path) = split_origin(base);
    if reference.is_empty() {
        return base.to_string();
    }
    if let Some(rest) = reference.strip_prefix("//") {
        let scheme = origin.split_once("://").map_or("https", |(s, _)| s);
        return normalize_path_url(&format!("{scheme}://{rest}"));
    }
    let path = if reference.starts_with('/') {
        reference.to_string()
    } else {
        let dir = base_path.rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/{reference}")
    };
    format!("{origin}{}", normalize_path(&path))
}

/// `scheme://authority` and the path of a URL (`""` origin for a bare path).
fn split_origin(url: &str) -> (&str, &str) {
    match url.find("://") {
        Some(i) => {
            let after = i + 3;
            match url[after..].find('/') {
                Some(j) => url.split_at(after + j),
                None => (url, ""),
            }
        }
        None => ("", url),
    }
}

fn normalize_path_url(url: &str) -> String {
    let (origin, path) = split_origin(url);
    format!("{origin}{}", normalize_path(path))
}

fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
