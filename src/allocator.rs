//! The global allocator: mimalloc, called the way its own bins are laid out.
//!
//! The `mimalloc` crate sends every allocation through `mi_malloc_aligned`. mimalloc 3
//! takes its plain path there only when the rounded block size is a power of two; any
//! other size (a 48-byte `Vec` of JSON members, say) goes to the over-allocating generic
//! path, at some 170 instructions a call. Under a drain that was a third of all
//! allocations and ~5,400 instructions per message (callgrind; docs/performance.md), and
//! it wastes memory (48 bytes in a 64-byte block). Upstream: purpleprotocol/mimalloc_rust
//! PR #170.
//!
//! A plain `mi_malloc` block is aligned to 8 bytes at least (a word), and to 16 when its
//! size is a multiple of 16 (bins above 16 bytes are 16-grained and a page's first block
//! is 16-aligned). So a layout with `align <= 8`, or `align == 16` and a size that is a
//! multiple of 16, takes the plain functions; any other goes to the aligned ones.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

pub struct MiMalloc;

/// mimalloc 3's `mi_option_purge_delay` (`mi_option_e` in its `include/mimalloc.h`). The
/// crate's `extended` bindings name options as mimalloc 2 numbered them, so the number is
/// kept here, and a test checks it by the option's default.
const PURGE_DELAY: std::ffi::c_int = 15;
/// How long freed memory stays committed before it goes back to the OS. mimalloc's
/// default is 1 s. In a drain, blocks are allocated on one thread and freed on another
/// (the MQTT driver, the pipeline, the committer), so pages fill and empty all the time:
/// a 100,000-message drain committed ~100 MiB in all, and with 1 s of it held its peak
/// RSS was 57–64 MiB against 46–52 MiB at 100 ms (docs/performance.md).
const PURGE_DELAY_MS: std::ffi::c_long = 100;

unsafe extern "C" {
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// Sets mimalloc's options; call first thing in `main`.
pub fn configure() {
    // SAFETY: setting an option only stores a number that mimalloc reads when it purges.
    unsafe { mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) }
}

/// Whether a plain mimalloc block of `size` bytes is aligned enough for `align`.
#[inline]
fn plain(size: usize, align: usize) -> bool {
    align <= 8 || (align == 16 && size.is_multiple_of(16))
}

// SAFETY: every function hands the layout's size (and, where plain blocks might not be
// aligned enough, its alignment) to mimalloc, and frees with `mi_free`, which takes
// blocks from either family.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout.size(), layout.align()) {
            unsafe { mi::mi_malloc(layout.size()) as *mut u8 }
        } else {
            unsafe { mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout.size(), layout.align()) {
            unsafe { mi::mi_zalloc(layout.size()) as *mut u8 }
        } else {
            unsafe { mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(new_size, layout.align()) {
            unsafe { mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8 }
        } else {
            unsafe {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Option 15 is the purge delay: nothing set it yet in this process, so it holds
    /// mimalloc's default for that option (1,000 ms, which no neighbouring option has),
    /// and `configure` sets it.
    #[test]
    fn the_purge_delay_is_the_option_configure_sets() {
        assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, 1_000);
        assert_eq!(
            unsafe { mi_option_get(PURGE_DELAY + 1) },
            0,
            "use_numa_nodes"
        );
        configure();
        assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, PURGE_DELAY_MS);
    }

    /// Every layout the rule sends to the plain functions gets a block aligned as asked,
    /// across the small bins and past them, freshly allocated, zeroed and reallocated.
    #[test]
    fn plain_blocks_are_aligned_as_the_layout_asks() {
        let a = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..=2048).chain([4095, 4096, 65_536, 1 << 20]) {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    continue;
                };
                unsafe {
                    let mut held = Vec::new();
                    // several blocks per bin, so that not only a page's first is checked
                    for _ in 0..3 {
                        let p = a.alloc(layout);
                        assert!(!p.is_null());
                        assert_eq!(p as usize % align, 0, "alloc size {size} align {align}");
                        let z = a.alloc_zeroed(layout);
                        assert_eq!(z as usize % align, 0, "zeroed size {size} align {align}");
                        assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                        held.push((p, z));
                    }
                    for (p, z) in held {
                        p.write_bytes(0xA5, size);
                        let grown = size * 3 / 2 + 1;
                        let r = a.realloc(p, layout, grown);
                        assert_eq!(
                            r as usize % align,
                            0,
                            "realloc {size}→{grown} align {align}"
                        );
                        assert!(std::slice::from_raw_parts(r, size)
                            .iter()
                            .all(|&b| b == 0xA5));
                        a.dealloc(r, Layout::from_size_align(grown, align).unwrap());
                        a.dealloc(z, layout);
                    }
                }
            }
        }
    }
}
