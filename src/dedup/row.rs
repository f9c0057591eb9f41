//! A row of ids (format 3): the ids of consecutive sequence numbers, stored as one redb
//! value under the first one.
//!
//! Why: with one B-tree entry per id, redb's insert (search, leaf split, entry encoding)
//! cost ~5,900 instructions a drained message, a tenth of the daemon's work
//! (docs/performance.md). A row of up to [`ROW_IDS`] ids is one insert; a lookup finds the
//! row at or below a sequence number and picks the id out of it.
//!
//! Layout: the id count `n` (u32 little-endian), then `n` end offsets (u32 LE, into the
//! bytes that follow), then the ids' bytes one after another.

use redb::{ReadableTable, StorageError};

/// Ids a row holds at most: one redb insert per this many ids, while a row stays about
/// one page (4 KiB with High Mobility's ~67-byte ids), so confirming a candidate reads
/// no more than the entry format 2 would have put on that page.
pub(super) const ROW_IDS: usize = 64;

/// The row of `ids`, in order.
pub(super) fn encode(ids: &[&str]) -> Vec<u8> {
    let bytes: usize = ids.iter().map(|id| id.len()).sum();
    let mut out = Vec::with_capacity(4 + 4 * ids.len() + bytes);
    out.extend_from_slice(&to_u32(ids.len()).to_le_bytes());
    let mut end = 0;
    for id in ids {
        end += id.len();
        out.extend_from_slice(&to_u32(end).to_le_bytes());
    }
    for id in ids {
        out.extend_from_slice(id.as_bytes());
    }
    out
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("a row of at most ROW_IDS ids is far below 4 GiB")
}

fn word(row: &[u8], at: usize) -> Option<usize> {
    let b = row.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// How many ids `row` holds (0 for a damaged one).
pub(super) fn len(row: &[u8]) -> usize {
    word(row, 0)
        .filter(|&n| 4 + 4 * n <= row.len())
        .unwrap_or(0)
}

/// The `i`-th id of `row`; `None` past its end or where the row is damaged.
pub(super) fn get(row: &[u8], i: usize) -> Option<&[u8]> {
    let n = len(row);
    if i >= n {
        return None;
    }
    let data = 4 + 4 * n;
    let start = if i == 0 { 0 } else { word(row, 4 * i)? };
    let end = word(row, 4 * (i + 1))?;
    row.get(data + start..data + end)
}

/// Every id of `row`, in order (a damaged one ends early).
pub(super) fn ids(row: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    (0..len(row)).map_while(move |i| get(row, i))
}

/// Whether `table` (a generation, `tables.rs`) stores `id` at `seq`: its recorded-at if so.
pub(super) fn holds(
    table: &impl ReadableTable<u64, (&'static [u8], u64)>,
    seq: u64,
    id: &str,
) -> Result<Option<u64>, StorageError> {
    let Some(entry) = table.range(..=seq)?.next_back() else {
        return Ok(None);
    };
    let (start, v) = entry?;
    let (row, at) = v.value();
    let i = usize::try_from(seq - start.value()).unwrap_or(usize::MAX);
    Ok((get(row, i) == Some(id.as_bytes())).then_some(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_id_comes_back_in_its_place(v in prop::collection::vec(".{0,80}", 0..=ROW_IDS)) {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            let row = encode(&refs);
            prop_assert_eq!(len(&row), v.len());
            for (i, id) in v.iter().enumerate() {
                prop_assert_eq!(get(&row, i), Some(id.as_bytes()));
            }
            prop_assert_eq!(get(&row, v.len()), None);
            prop_assert_eq!(ids(&row).collect::<Vec<_>>(), refs.iter().map(|s| s.as_bytes()).collect::<Vec<_>>());
        }

        /// A cut-short or scribbled row (a bug or a bad disk) is read without a panic.
        #[test]
        fn a_damaged_row_never_panics(
            v in prop::collection::vec("[a-z]{1,20}", 1..=8),
            cut in 0usize..400,
            flip in 0usize..400,
        ) {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            let mut row = encode(&refs);
            if flip < row.len() {
                row[flip] ^= 0x5a;
            }
            row.truncate(cut.min(row.len()));
            for i in 0..10 {
                let _ = get(&row, i);
            }
            let _ = ids(&row).count();
        }
    }
}
