//! Older files are converted on open: format 1 (ids as keys) and format 2 (an entry per
//! id by sequence number) to format 3 (rows of ids by sequence number).

use super::*;
use redb::{ReadableDatabase, TableDefinition};

/// The names of a file's generation tables, sorted.
fn generation_tables(dir: &Path) -> Vec<String> {
    let db = Database::open(dir.join(FILE_NAME)).unwrap();
    let txn = db.begin_read().unwrap();
    let format = txn.open_table(META).unwrap().get("format").unwrap();
    assert_eq!(format.map(|v| v.value()), Some(FORMAT));
    let mut names: Vec<String> = txn
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_string())
        .filter(|n| n.contains('.'))
        .collect();
    names.sort();
    names
}

#[test]
fn a_format_1_window_is_converted_on_open() {
    // the layout format 1 wrote: ids as keys, in generations `ids.{n}`
    let dir = tempfile::tempdir().unwrap();
    let at = to_ms(t(0));
    {
        let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            for (k, v) in [("format", 1), ("next_seq", 5), ("floor", 1)] {
                meta.insert(k, v).unwrap();
            }
            let mut gens = txn.open_table(GENS).unwrap();
            gens.insert(0, 0).unwrap();
            gens.insert(1, 3).unwrap();
            txn.open_table(BATCHES).unwrap().insert(0, at).unwrap();
            let def = |n: &'static str| -> TableDefinition<'static, &'static str, (u64, u64)> {
                TableDefinition::new(n)
            };
            let mut g0 = txn.open_table(def("ids.0")).unwrap();
            for (id, seq) in [("a", 0), ("b", 1), ("c", 2)] {
                g0.insert(id, (seq, at)).unwrap();
            }
            let mut g1 = txn.open_table(def("ids.1")).unwrap();
            for (id, seq) in [("d", 3), ("e", 4)] {
                g1.insert(id, (seq, at)).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    let mut w = DedupWindow::open(dir.path(), HOUR, 10).unwrap();
    assert_eq!(w.len(), 4);
    let all = ["a", "b", "c", "d", "e", "f"];
    assert_eq!(
        w.delivered(&all, t(1)).unwrap(),
        [false, true, true, true, true, false]
    );
    w.record(&["b", "f", "a"], t(2)).unwrap();
    assert_eq!(w.len(), 6);
    drop(w);
    let w = DedupWindow::open(dir.path(), HOUR, 10).unwrap();
    assert!(all_delivered(&w, &all, t(3)));
    drop(w);
    assert_eq!(generation_tables(dir.path()), ["rows.0", "rows.1"]);
}

/// Format 2 as it wrote: `log.{n}`, seq → (id, recorded-at). 150 live ids from three
/// `record` calls (two recorded-ats), and a stale one below the floor.
#[test]
fn a_format_2_window_is_converted_on_open_into_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (at1, at2) = (to_ms(t(0)), to_ms(t(1)));
    let v = ids(151, "hm");
    {
        let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            for (k, val) in [("format", 2), ("next_seq", 151), ("floor", 1)] {
                meta.insert(k, val).unwrap();
            }
            let mut gens = txn.open_table(GENS).unwrap();
            gens.insert(0, 0).unwrap();
            gens.insert(1, 100).unwrap();
            let mut batches = txn.open_table(BATCHES).unwrap();
            batches.insert(0, at1).unwrap();
            batches.insert(70, at2).unwrap();
            let def = |n: &'static str| -> TableDefinition<'static, u64, (&'static str, u64)> {
                TableDefinition::new(n)
            };
            let mut g0 = txn.open_table(def("log.0")).unwrap();
            let mut g1 = txn.open_table(def("log.1")).unwrap();
            for (seq, id) in v.iter().enumerate() {
                let seq = seq as u64;
                let at = if seq < 70 { at1 } else { at2 };
                let g = if seq < 100 { &mut g0 } else { &mut g1 };
                g.insert(seq, (id.as_str(), at)).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    let mut w = DedupWindow::open(dir.path(), HOUR, 1_000).unwrap();
    assert_eq!(w.len(), 150);
    assert!(none_delivered(&w, &refs(&v[..1]), t(2)));
    assert!(all_delivered(&w, &refs(&v[1..]), t(2)));
    w.record(&["new", v[5].as_str()], t(3)).unwrap();
    assert_eq!(w.len(), 151);
    drop(w);
    assert_eq!(generation_tables(dir.path()), ["rows.0", "rows.1"]);
    // rows hold consecutive ids of one recorded-at, at most ROW_IDS, none across a
    // generation: 1..65 and 65..70 (at1), 70..100 (at2), 100..151, then the new id
    let db = Database::open(dir.path().join(FILE_NAME)).unwrap();
    let txn = db.begin_read().unwrap();
    let mut rows = Vec::new();
    for name in ["rows.0", "rows.1"] {
        let table = txn.open_table(tables::row_table(name)).unwrap();
        for r in table.iter().unwrap() {
            let (start, v) = r.unwrap();
            rows.push((start.value(), row::len(v.value().0)));
        }
    }
    assert_eq!(rows, [(1, 64), (65, 5), (70, 30), (100, 51), (151, 1)]);
    drop((txn, db));
    let w = DedupWindow::open(dir.path(), HOUR, 1_000).unwrap();
    assert!(all_delivered(&w, &refs(&v[1..]), t(4)));
    assert!(all_delivered(&w, &["new"], t(4)));
}
