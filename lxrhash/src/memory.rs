//! Where a table's bytes live, which decides how fast it hashes.
//!
//! Every lookup is a random read into the whole table, so each one also needs a TLB entry
//! for its page: with 4 KiB pages a 1 GiB table needs 262,144 of them, and page walks add
//! ~60% to a load's latency (reference/lxrhash.md §6). Two placements:
//! - [`Placement::Private`] (the default): anonymous memory on huge pages, filled from the
//!   cache file: reserved ones (`MAP_HUGETLB`) when the host has set aside a pool
//!   (`vm.nr_hugepages`), else transparent ones (`MADV_HUGEPAGE`; the usual `madvise` THP
//!   mode only gives huge pages on request). Each process holds its own copy.
//! - [`Placement::Shared`]: the cache file mapped read-only. Every process on the host
//!   shares the page cache's single copy, at the price of 4 KiB pages (file-backed memory
//!   is not given huge pages on ordinary filesystems). `pegnet-miner bench` measures both.

use std::fs::File;
use std::io;

use memmap2::{Advice, Mmap, MmapMut, MmapOptions};

/// How a loaded table is held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// A private copy on huge pages: fastest hashing, one copy per process.
    #[default]
    Private,
    /// The cache file mapped read-only: one copy per host, slower lookups.
    Shared,
}

/// The owner of a table's bytes.
pub(crate) enum Memory {
    Anonymous(MmapMut),
    File(Mmap),
}

impl Memory {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Memory::Anonymous(m) => m,
            Memory::File(m) => m,
        }
    }

    /// Whether the kernel backs any of it with huge pages (from `/proc/self/smaps`).
    pub(crate) fn huge_page_bytes(&self) -> Option<u64> {
        let start = self.as_slice().as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut in_region = false;
        let mut total = None;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                in_region = (lo..hi).contains(&start);
                continue;
            }
            if !in_region {
                continue;
            }
            // Transparent huge pages, or pages from the reserved hugetlb pool.
            for field in ["AnonHugePages:", "Private_Hugetlb:", "Shared_Hugetlb:"] {
                if let Some(kb) = line.strip_prefix(field) {
                    let kb: u64 = kb.trim().trim_end_matches("kB").trim().parse().ok()?;
                    total = Some(total.unwrap_or(0) + kb * 1024);
                }
            }
        }
        total
    }
}

/// Explicit huge pages are 2 MiB on x86-64 (`MAP_HUGE_2MB`, `1 << 21`).
const HUGE_PAGE_BITS: u8 = 21;

/// `len` bytes of zeroed anonymous memory on huge pages if the kernel can give them.
///
/// First from the reserved pool (`MAP_HUGETLB`, `vm.nr_hugepages`): those pages exist
/// before the table asks, so filling 1 GiB takes a tenth of a second however fragmented
/// memory is. Without a large enough pool that mapping fails at once (hugetlb memory is
/// reserved when mapped), and the memory is instead advised as transparent huge pages
/// before it is touched, so the first writes fault in 2 MiB pages: as fast when the kernel
/// has free 2 MiB blocks, slower (it compacts memory first) when it has not.
pub(crate) fn anonymous(len: usize) -> io::Result<MmapMut> {
    let huge = 1usize << HUGE_PAGE_BITS;
    if len >= huge
        && len.is_multiple_of(huge)
        && let Ok(m) = MmapOptions::new()
            .len(len)
            .huge(Some(HUGE_PAGE_BITS))
            .map_anon()
    {
        return Ok(m);
    }
    let m = MmapMut::map_anon(len)?;
    // Without THP (a kernel built without it, or `never`) this fails and the table simply
    // uses small pages: slower, still correct.
    m.advise(Advice::HugePage).ok();
    Ok(m)
}

/// The file mapped read-only.
pub(crate) fn map_file(file: &File) -> io::Result<Mmap> {
    // SAFETY: the mapping is read-only and private to this table; the cache file is only ever
    // replaced by rename (a new inode), never written in place, so the mapped bytes do not
    // change under us. A truncating writer would be a bug of another program, and the
    // balance check on load catches a damaged file.
    let m = unsafe { MmapOptions::new().map(file)? };
    m.advise(Advice::HugePage).ok();
    Ok(m)
}
