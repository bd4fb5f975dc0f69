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

/// dlmalloc's bytes in front of each chunk on wasm32 (its size word): a chunk of `n` bytes
/// serves `n - 4`.
const CHUNK_OVERHEAD_BYTES: usize = 4;
/// dlmalloc's smallest chunk on wasm32.
const CHUNK_MIN_BYTES: usize = 16;
/// The step between dlmalloc's chunk sizes (its alignment) on wasm32.
const CHUNK_STEP_BYTES: usize = 8;
/// Largest request the small-block cache serves (a 128-byte chunk): ids, amount texts, keys, the
/// ledger's short lists and boxed records are shorter; a longer one goes to dlmalloc directly.
const SMALL_BYTES_MAX: usize = 128 - CHUNK_OVERHEAD_BYTES;
/// Classes per alignment family: one per dlmalloc chunk size from 16 to 128 bytes, so that a
/// block of a class is the chunk dlmalloc makes for any request of the class anyway: the cache
/// costs no memory beyond the blocks it keeps (16-byte classes measured +13 % memory per ledger
/// in `bench/ledger-memory.mjs`, ids of up to 12 bytes taking 24-byte chunks).
const CLASSES: usize = (SMALL_BYTES_MAX + CHUNK_OVERHEAD_BYTES - CHUNK_MIN_BYTES) / CHUNK_STEP_BYTES + 1;
/// Most bytes of freed blocks one class keeps (5,461 blocks of 12 bytes, 528 of 124): all
/// classes of both families together keep at most 1.9 MiB from dlmalloc. A batch of 512 ledger
/// operations frees about 4,600 blocks of the smallest class at once (its outcomes' strings).
const CACHED_BYTES_PER_CLASS_MAX: usize = 64 * 1024;

/// Freed small blocks kept for the next request of their class, as LIFO lists threaded through
/// the blocks themselves (the first word of a free block points to the next): a request served
/// from here costs a few loads and stores instead of dlmalloc's bin search, and a free one
/// instead of its coalescing. Why: a ledger operation through the adapter allocates and frees
/// some 50 small blocks (ids, amount texts, the request's strings, the outcome's), and dlmalloc's
/// `malloc`, `free` and `memalign` were ~12 % of an `executeBatch` in a CPU profile (HACKING.md
/// "Ledger throughput").
///
/// Every request of at most [`SMALL_BYTES_MAX`] bytes with an alignment of at most 16 is served
/// as a whole block of its class, from the list or fresh from dlmalloc, and every such block goes
/// back to its list (or to dlmalloc when the list is full): a block's class follows from the
/// layout Rust hands back on `dealloc`, which is the layout it was allocated with. Two families:
/// alignment ≤ 8 (dlmalloc's own, its fast path) and 16 (`u128` amounts; dlmalloc's `memalign`).
struct SmallCache {
    /// The first free block of each class (null: empty); `[family * CLASSES + class]`.
    heads: [Cell<*mut u8>; 2 * CLASSES],
    /// Free blocks on each list.
    counts: [Cell<usize>; 2 * CLASSES],
}

/// The cache list of a layout (`None`: not a small block), and the class's block size and
/// alignment.
fn small_class(size: usize, align: usize) -> Option<(usize, usize, usize)> {
    if size > SMALL_BYTES_MAX || align > 2 * 8 {
        return None;
    }
    // The chunk dlmalloc makes for `size` bytes: the size word added, rounded up to its step,
    // at least its smallest chunk.
    let chunk = (size + CHUNK_OVERHEAD_BYTES).div_ceil(CHUNK_STEP_BYTES).max(CHUNK_MIN_BYTES / CHUNK_STEP_BYTES) * CHUNK_STEP_BYTES;
    let class = (chunk - CHUNK_MIN_BYTES) / CHUNK_STEP_BYTES;
    let (family, block_align) = if align <= 8 { (0, 8) } else { (1, 16) };
    Some((family * CLASSES + class, chunk - CHUNK_OVERHEAD_BYTES, block_align))
}

/// dlmalloc over [`GrowInSteps`] with the small-block cache in front, as the global allocator,
/// with the bytes it has handed out and not taken back (the leak test reads them: the memory's
/// size moves in steps of a MiB or more). Cached free blocks are not in use.
struct SteppedDlmalloc {
    heap: UnsafeCell<Dlmalloc<GrowInSteps>>,
    small: SmallCache,
    bytes_in_use: Cell<usize>,
}

impl SteppedDlmalloc {
    fn count(&self, added: usize, removed: usize) {
        self.bytes_in_use.set(self.bytes_in_use.get().wrapping_add(added).wrapping_sub(removed));
    }

    /// A block of list `list` (`block` bytes aligned to `align`): the list's first, or dlmalloc's.
    ///
    /// # Safety
    /// One thread (see `Sync` below); `list`, `block`, `align` from [`small_class`].
    unsafe fn small_alloc(&self, list: usize, block: usize, align: usize) -> *mut u8 {
        if let (Some(head), Some(count)) = (self.small.heads.get(list), self.small.counts.get(list)) {
            let first = head.get();
            if !first.is_null() {
                // The first word of a free block is the next free block (written by small_free).
                head.set(first.cast::<*mut u8>().read());
                count.set(count.get() - 1);
                return first;
            }
        }
        (*self.heap.get()).malloc(block, align)
    }

    /// Takes back a block of list `list`: onto the list, or to dlmalloc when the list is full.
    ///
    /// # Safety
    /// `ptr` is a live block of list `list` (it was allocated with a layout of that class).
    unsafe fn small_free(&self, ptr: *mut u8, list: usize, block: usize, align: usize) {
        if let (Some(head), Some(count)) = (self.small.heads.get(list), self.small.counts.get(list)) {
            if (count.get() + 1) * block <= CACHED_BYTES_PER_CLASS_MAX {
                // At least 12 bytes, aligned to 8: room for the link.
                ptr.cast::<*mut u8>().write(head.get());
                head.set(ptr);
                count.set(count.get() + 1);
                return;
            }
        }
        (*self.heap.get()).free(ptr, block, align);
    }
}

// SAFETY: this build runs on one thread (wasm32 without `atomics`), so the cells are never
// accessed concurrently.
unsafe impl Sync for SteppedDlmalloc {}

// SAFETY: a small layout is always served and taken back as a whole block of its class (see
// `SmallCache`), any other forwards to dlmalloc with the layout the caller gave, as std's
// `GlobalAlloc` for wasm32 does; one thread, so the `&mut` from the cell is unique.
unsafe impl GlobalAlloc for SteppedDlmalloc {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = match small_class(layout.size(), layout.align()) {
            Some((list, block, align)) => self.small_alloc(list, block, align),
            None => (*self.heap.get()).malloc(layout.size(), layout.align()),
        };
        if !ptr.is_null() {
            self.count(layout.size(), 0);
        }
        ptr
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = match small_class(layout.size(), layout.align()) {
            Some((list, block, align)) => {
                // A cached block holds old bytes (and a link): cleared here.
                let ptr = self.small_alloc(list, block, align);
                if !ptr.is_null() {
                    ptr::write_bytes(ptr, 0, layout.size());
                }
                ptr
            }
            None => (*self.heap.get()).calloc(layout.size(), layout.align()),
        };
        if !ptr.is_null() {
            self.count(layout.size(), 0);
        }
        ptr
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match small_class(layout.size(), layout.align()) {
            Some((list, block, align)) => self.small_free(ptr, list, block, align),
            None => (*self.heap.get()).free(ptr, layout.size(), layout.align()),
        }
        self.count(0, layout.size());
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_class = small_class(layout.size(), layout.align());
        let new_class = small_class(new_size, layout.align());
        if old_class.is_none() && new_class.is_none() {
            let moved = (*self.heap.get()).realloc(ptr, layout.size(), layout.align(), new_size);
            if !moved.is_null() {
                self.count(new_size, layout.size());
            }
            return moved;
        }
        if old_class == new_class {
            // The block already has room for the new size.
            self.count(new_size, layout.size());
            return ptr;
        }
        // Into or out of the cache's classes, or between two of them: dlmalloc's realloc (it
        // may grow the chunk in place, as a growing buffer's often is) in the sizes of the
        // classes, so that a block of a class is still at least that class's size.
        let old_bytes = old_class.map_or(layout.size(), |(_, block, _)| block);
        let new_bytes = new_class.map_or(new_size, |(_, block, _)| block);
        let moved = (*self.heap.get()).realloc(ptr, old_bytes, layout.align(), new_bytes);
        if !moved.is_null() {
            self.count(new_size, layout.size());
        }
        moved
    }
}

/// An empty list head, for the array initialiser.
#[allow(clippy::declare_interior_mutable_const)]
const NO_BLOCK: Cell<*mut u8> = Cell::new(ptr::null_mut());
#[allow(clippy::declare_interior_mutable_const)]
const NO_COUNT: Cell<usize> = Cell::new(0);

#[global_allocator]
static ALLOCATOR: SteppedDlmalloc = SteppedDlmalloc {
    heap: UnsafeCell::new(Dlmalloc::new_with_allocator(GrowInSteps)),
    small: SmallCache { heads: [NO_BLOCK; 2 * CLASSES], counts: [NO_COUNT; 2 * CLASSES] },
    bytes_in_use: Cell::new(0),
};

/// Bytes allocated and not freed, by the sizes Rust asked for (not dlmalloc's overhead).
pub(crate) fn bytes_in_use() -> usize {
    ALLOCATOR.bytes_in_use.get()
}
