//! Best-effort mode: what to do when the kernel lacks `PR_SET_NETWORK`.

use crate::error::Error;
use crate::status::{Enforcement, Fallback};
use crate::threads::ThreadScope;
use crate::{landlock_fallback, seccomp};

/// Installs the seccomp filter, then the Landlock domain, on the calling
/// thread, and with `all_threads` on every thread where the kernel can
/// (seccomp's TSYNC; Landlock's from ABI 8), and reports what is in place.
/// `others` is the scope of a mechanism that covers the calling thread
/// only. `no_new_privs` has been set by the caller if requested; without
/// it both need `CAP_SYS_ADMIN`.
pub(crate) fn apply(
    all_threads: bool,
    others: impl Fn() -> ThreadScope,
) -> Result<Enforcement, Error> {
    let io_uring_rings_before = io_uring_rings();
    let seccomp_socket_filter = seccomp::install(all_threads)?;
    let landlock = landlock_fallback::restrict(all_threads)?;
    let fallback = Fallback {
        seccomp_socket_filter,
        landlock_tcp: landlock.tcp,
        landlock_abstract_unix: landlock.abstract_unix,
        landlock_domain: landlock.domain,
        landlock_abi: landlock.abi,
        seccomp_threads: if all_threads {
            ThreadScope::WholeProcess
        } else {
            others()
        },
        landlock_threads: if landlock.all_threads || !landlock.domain {
            ThreadScope::WholeProcess
        } else {
            others()
        },
        uid0: nix::unistd::geteuid().is_root(),
        io_uring_rings_before,
    };
    Ok(if fallback.any() {
        Enforcement::PartiallyEnforced(fallback)
    } else {
        Enforcement::NotEnforced
    })
}

/// How many io_uring rings the process holds (`anon_inode:[io_uring]`
/// descriptors in `/proc/self/fd`); `None` when that cannot be read.
pub(crate) fn io_uring_rings() -> Option<usize> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(
        dir.filter_map(Result::ok)
            .filter(|e| {
                std::fs::read_link(e.path()).is_ok_and(|t| t.as_os_str() == "anon_inode:[io_uring]")
            })
            .count(),
    )
}
