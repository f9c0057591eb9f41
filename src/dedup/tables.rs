//! The window's tables on disk (format 3, see the module docs of `dedup`), and the names
//! and types of the older formats that `migrate.rs` converts. Shared by the window, its
//! reader, recording and migration, none of which imports another for them.

use redb::TableDefinition;

/// A generation of ids in rows (`row.rs`): first seq of a row → (its ids, recorded-at ms).
/// Named `rows.{n}`.
pub(super) type RowTable<'a> = TableDefinition<'a, u64, (&'static [u8], u64)>;
/// generation number → first seq.
pub(super) const GENS: TableDefinition<u64, u64> = TableDefinition::new("gens");
/// first seq of a `record` call → its recorded-at ms.
pub(super) const BATCHES: TableDefinition<u64, u64> = TableDefinition::new("batches");
/// `format`, `next_seq`, `floor`, `instance`.
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(super) const FORMAT: u64 = 3;

/// Generations a full window spans: evicted ids linger on disk up to
/// `capacity / GENERATIONS`.
pub(super) const GENERATIONS: u64 = 2;

pub(super) fn row_table(name: &str) -> RowTable<'_> {
    TableDefinition::new(name)
}

pub(super) fn gen_name(n: u64) -> String {
    format!("rows.{n}")
}

/// A generation's table name in `format`, 1 to [`FORMAT`].
pub(super) fn gen_name_in(format: u64, n: u64) -> String {
    match format {
        1 => format!("ids.{n}"),
        2 => format!("log.{n}"),
        _ => gen_name(n),
    }
}

/// A format-1 generation: id → (seq, recorded-at ms).
pub(super) type Format1<'a> = TableDefinition<'a, &'static str, (u64, u64)>;
/// A format-2 generation: seq → (id, recorded-at ms).
pub(super) type Format2<'a> = TableDefinition<'a, u64, (&'static str, u64)>;
