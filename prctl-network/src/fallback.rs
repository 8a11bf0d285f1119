//! Best-effort mode: what to do when the kernel lacks `PR_SET_NETWORK`.

use crate::{seccomp, Enforcement, Error, Fallback};

/// Installs the seccomp filter, then the Landlock ruleset, on the calling
/// thread, and reports what is in place. `no_new_privs` has been set by
/// the caller if requested; without it both need `CAP_SYS_ADMIN`.
pub(crate) fn apply() -> Result<Enforcement, Error> {
    let seccomp_socket_filter = seccomp::install()?;
    let landlock = crate::landlock_fallback::restrict()?;
    let fallback = Fallback {
        seccomp_socket_filter,
        landlock_tcp: landlock.tcp,
        landlock_abstract_unix: landlock.abstract_unix,
        landlock_abi: landlock.abi,
        io_uring_rings_before: io_uring_rings(),
    };
    Ok(if fallback.any() {
        Enforcement::PartiallyEnforced(fallback)
    } else {
        Enforcement::NotEnforced
    })
}

/// How many io_uring rings the process holds (`anon_inode:[io_uring]`
/// descriptors in `/proc/self/fd`); `None` when that cannot be read. The
/// seccomp filter stops new rings, not those: their `IORING_OP_SOCKET`
/// requests go round `socket()`.
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
