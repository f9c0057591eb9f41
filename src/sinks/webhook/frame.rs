//! The spool's on-disk framing. A segment file is an 8-byte magic header followed by
//! entries, each `len: u32 LE | crc32(payload): u32 LE | payload` where the payload is
//! one record's JSON. A torn write (SIGKILL, power loss, full disk) leaves a short or
//! mismatching last entry, which the reader reports instead of returning garbage.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

/// First bytes of every segment file (format version 1).
pub const MAGIC: &[u8; 8] = b"VSSPOOL1";
/// Bytes before the first entry of a segment.
pub const HEADER_LEN: u64 = MAGIC.len() as u64;
/// Bytes of an entry's length and checksum.
pub const FRAME_OVERHEAD: usize = 8;
/// No record is anywhere near this; a larger length field means a damaged entry.
pub const MAX_ENTRY: usize = 64 << 20;

/// CRC-32 (IEEE 802.3, reflected, as zlib and PNG use), table-driven.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut c = !0u32;
    for &b in bytes {
        c = TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// Append one framed entry to `out`.
pub fn encode(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// What `FrameReader::next` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// An intact entry; its payload is in the caller's buffer.
    Entry,
    /// The data ends exactly here.
    End,
    /// The data ends inside an entry: a torn write.
    Torn,
    /// An impossible length or a checksum mismatch.
    Corrupt,
}

/// Reads framed entries from `pos` up to `limit` (a segment's known valid length, or its
/// file length when scanning for the valid prefix).
pub struct FrameReader<R> {
    inner: BufReader<R>,
    pub pos: u64,
    limit: u64,
}

impl<R: Read> FrameReader<R> {
    /// `inner` must be positioned at `pos`.
    pub fn new(inner: R, pos: u64, limit: u64) -> FrameReader<R> {
        FrameReader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            pos,
            limit,
        }
    }

    /// The next entry's payload into `payload` (replacing its contents). On anything but
    /// `Entry`, `pos` stays at the start of the bad or missing entry.
    pub fn next(&mut self, payload: &mut Vec<u8>) -> io::Result<Next> {
        let left = self.limit.saturating_sub(self.pos);
        if left == 0 {
            return Ok(Next::End);
        }
        if left < FRAME_OVERHEAD as u64 {
            return Ok(Next::Torn);
        }
        let mut head = [0u8; FRAME_OVERHEAD];
        self.inner.read_exact(&mut head)?;
        let len = u32::from_le_bytes(head[0..4].try_into().unwrap()) as usize;
        let crc = u32::from_le_bytes(head[4..8].try_into().unwrap());
        if len == 0 || len > MAX_ENTRY {
            return Ok(Next::Corrupt);
        }
        if left < (FRAME_OVERHEAD + len) as u64 {
            return Ok(Next::Torn);
        }
        payload.clear();
        payload.resize(len, 0);
        self.inner.read_exact(payload)?;
        if crc32(payload) != crc {
            return Ok(Next::Corrupt);
        }
        self.pos += (FRAME_OVERHEAD + len) as u64;
        Ok(Next::Entry)
    }
}

/// Length of the valid prefix of the segment file at `path` (header included): what
/// follows it is a torn or damaged tail. 0 when even the header is missing or wrong.
pub fn valid_prefix(path: &Path) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let mut magic = [0u8; MAGIC.len()];
    if len < HEADER_LEN || f.read_exact(&mut magic).is_err() || &magic != MAGIC {
        return Ok(0);
    }
    let mut r = FrameReader::new(f, HEADER_LEN, len);
    let mut payload = Vec::new();
    while r.next(&mut payload)? == Next::Entry {}
    Ok(r.pos)
}
