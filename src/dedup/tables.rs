//! The window's tables on disk (format 2, see the module docs of `dedup`), and the names
//! of format 1's that `migrate.rs` converts. Shared by the window, its reader, recording
//! and migration, none of which imports another for them.

use redb::TableDefinition;

/// A generation of ids: seq → (id, recorded-at ms). Named `log.{n}`.
pub(super) type Log<'a> = TableDefinition<'a, u64, (&'static str, u64)>;
/// generation number → first seq.
pub(super) const GENS: TableDefinition<u64, u64> = TableDefinition::new("gens");
/// first seq of a `record` call → its recorded-at ms.
pub(super) const BATCHES: TableDefinition<u64, u64> = TableDefinition::new("batches");
/// `format`, `next_seq`, `floor`, `instance`.
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(super) const FORMAT: u64 = 2;

/// Generations a full window spans: evicted ids linger on disk up to
/// `capacity / GENERATIONS`.
pub(super) const GENERATIONS: u64 = 2;

pub(super) fn log_table(name: &str) -> Log<'_> {
    TableDefinition::new(name)
}

pub(super) fn gen_name(n: u64) -> String {
    format!("log.{n}")
}

pub(super) fn format_1_name(n: u64) -> String {
    format!("ids.{n}")
}
