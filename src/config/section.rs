//! The face a component registry shows the config loader: `config/` parses the named
//! tables through it without knowing any provider or sink. Its own module so that the
//! table parsing (`tables.rs`) and the loader (`mod.rs`) both depend on it, not on each other.

use super::Problem;

/// The component types one section can hold: `[providers.NAME]` or `[sinks.NAME]`,
/// told apart by their `type`.
pub trait Section: Sized {
    /// `providers` or `sinks`.
    const NAME: &'static str;
    /// Every `type` it knows, for the error on an unknown one.
    const TYPES: &'static [&'static str];
    /// The table at `key` (`sinks.hook`) whose `type` is `kind`; `None` for a kind this
    /// section does not know.
    fn parse(kind: &str, key: &str, table: toml::Table) -> Option<Result<Self, Vec<Problem>>>;
    /// Checks beyond the schema, given every entry at once (entries may conflict).
    fn check(entries: &[(String, Self)], problems: &mut Vec<Problem>);
}
