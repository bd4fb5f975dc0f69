//! The global allocator of the WebAssembly build: Rust's own (std uses `dlmalloc` on wasm32),
//! with a memory source that grows the memory in steps instead of by what each request needs.
//!
//! Why: dlmalloc asks the system for more memory whenever its top chunk runs out, 64 KiB at a
//! time, and every `memory.grow` detaches the JS `ArrayBuffer` over the whole memory. In V8
//! (Node 20) one `memory.grow(1)` measured ~2 µs on a 16 MiB memory, ~60–110 µs at 32 MiB and
//! ~0.2 ms from 128 MiB up on an idle machine, 0.7–2 ms while other builds ran
//! (`node bench/memory-grow.mjs`; see HACKING.md "Memory growth"). A server that holds a million wallets in 1,024 ledgers (a 1–2 GiB memory) grew 64
//! KiB every few hundred operations: a quarter of its time was spent growing. Growing by an
//! eighth of the memory (at least [`GROW_PAGES_MIN`], at most [`GROW_PAGES_MAX`]) makes the
//! number of grows logarithmic in the size, for at most an eighth (or 64 MiB) left unused.
//!
//! Only for wasm32 without threads (the build has no `atomics`): one thread, so the allocator
//! needs no lock. Everything else about allocation is dlmalloc's, as in std.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::{Cell, UnsafeCell};
use core::ptr;

use dlmalloc::{Allocator, Dlmalloc};

/// A WebAssembly page.
const PAGE_BYTES: usize = 64 * 1024;
/// The least the memory grows by: 1 MiB (a small app grows a few times at most).
const GROW_PAGES_MIN: usize = 16;
/// The most the memory grows by beyond a request: 64 MiB (bounds what may stay unused).
const GROW_PAGES_MAX: usize = 1024;

/// The memory source: `memory.grow` by [`grow_pages`] pages.
struct GrowInSteps;

/// Pages to grow by for a request of `needed` pages when the memory has `current` pages.
fn grow_pages(needed: usize, current: usize) -> usize {
    needed.max((current / 8).clamp(GROW_PAGES_MIN, GROW_PAGES_MAX))
}

fn grow(pages: usize) -> Option<*mut u8> {
    let previous = wasm32::memory_grow(0, pages);
    (previous != usize::MAX).then(|| (previous * PAGE_BYTES) as *mut u8)
}

// SAFETY: regions come from `memory.grow`, are never handed out twice and are never released
// (`free` and `free_part` say so), as std's wasm32 source does.
unsafe impl Allocator for GrowInSteps {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let needed = size.div_ceil(PAGE_BYTES);
        let stepped = grow_pages(needed, wasm32::memory_size(0));
        // Near the 4 GiB limit the step may not fit where the request does: ask for that alone.
        for pages in [stepped, needed] {
            if let Some(base) = grow(pages) {
                let bytes = pages * PAGE_BYTES;
                // The last page of the address space: a Rust pointer may not wrap around to 0.
                if (base as usize).wrapping_add(bytes) == 0 {
                    return (base, bytes - 16, 0);
                }
                return (base, bytes, 0);
            }
        }
        (ptr::null_mut(), 0, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE_BYTES
    }
}

/// dlmalloc over [`GrowInSteps`], as the global allocator, with the bytes it has handed out and
/// not taken back (the leak test reads them: the memory's size moves in steps of a MiB or more).
struct SteppedDlmalloc {
    heap: UnsafeCell<Dlmalloc<GrowInSteps>>,
    bytes_in_use: Cell<usize>,
}

impl SteppedDlmalloc {
    fn count(&self, added: usize, removed: usize) {
        self.bytes_in_use.set(self.bytes_in_use.get().wrapping_add(added).wrapping_sub(removed));
    }
}

// SAFETY: this build runs on one thread (wasm32 without `atomics`), so the cells are never
// accessed concurrently.
unsafe impl Sync for SteppedDlmalloc {}

// SAFETY: each method forwards to dlmalloc with the layout the caller gave, as std's
// `GlobalAlloc` for wasm32 does; one thread, so the `&mut` from the cell is unique.
unsafe impl GlobalAlloc for SteppedDlmalloc {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = (*self.heap.get()).malloc(layout.size(), layout.align());
        if !ptr.is_null() {
            self.count(layout.size(), 0);
        }
        ptr
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = (*self.heap.get()).calloc(layout.size(), layout.align());
        if !ptr.is_null() {
            self.count(layout.size(), 0);
        }
        ptr
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        (*self.heap.get()).free(ptr, layout.size(), layout.align());
        self.count(0, layout.size());
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = (*self.heap.get()).realloc(ptr, layout.size(), layout.align(), new_size);
        if !moved.is_null() {
            self.count(new_size, layout.size());
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: SteppedDlmalloc = SteppedDlmalloc {
    heap: UnsafeCell::new(Dlmalloc::new_with_allocator(GrowInSteps)),
    bytes_in_use: Cell::new(0),
};

/// Bytes allocated and not freed, by the sizes Rust asked for (not dlmalloc's overhead).
pub(crate) fn bytes_in_use() -> usize {
    ALLOCATOR.bytes_in_use.get()
}
