//! Best-effort mode on a kernel *without* the prctl-network series (the
//! development host): seccomp + Landlock fallback. On a kernel with the
//! series these checks do not apply (best-effort takes the prctl path,
//! tested in tests/kernel.rs). Each test forks.

mod common;

use common::{
    connect_inet, errno, in_child, kernel_has_series, landlock_abi, no_new_privs, park_thread,
    seccomp_mode, socket, unix_socketpair_works,
};
use prctl_network::{set_off_best_effort, Enforcement, Error, Restriction, ThreadScope};

fn without_series() -> bool {
    if kernel_has_series() {
        eprintln!("kernel has PR_SET_NETWORK: best-effort takes the prctl path (tests/kernel.rs)");
        return false;
    }
    true
}

#[test]
fn fallback_denies_inet_sockets_keeps_unix_and_reports_partial() {
    if !without_series() {
        return;
    }
    in_child(|| {
        let abi = landlock_abi();
        // An inherited TCP socket, created before the restriction.
        let tcp = socket(libc::AF_INET, libc::SOCK_STREAM).expect("AF_INET before");
        assert_eq!(seccomp_mode(), 0);

        let status = set_off_best_effort().expect("best-effort restriction");
        let Enforcement::PartiallyEnforced(fb) = &status.enforcement else {
            panic!("expected PartiallyEnforced, got {status:?}");
        };
        assert!(fb.seccomp_socket_filter, "{fb:?}");
        let ll = cfg!(feature = "landlock");
        assert_eq!(fb.landlock_abi, if ll { abi } else { 0 });
        assert_eq!(fb.landlock_tcp, ll && abi >= 4, "{fb:?}");
        assert_eq!(fb.landlock_abstract_unix, ll && abi >= 6, "{fb:?}");
        assert_eq!(status.threads, ThreadScope::WholeProcess);
        assert!(status.no_new_privs && no_new_privs());
        assert!(!status.is_complete());
        assert!(
            status.to_string().contains("partially enforced"),
            "{status}"
        );
        assert!(status.to_string().contains("NOT enforced"), "{status}");
        assert_eq!(seccomp_mode(), 2);

        for (family, ty) in [
            (libc::AF_INET, libc::SOCK_STREAM),
            (libc::AF_INET, libc::SOCK_DGRAM),
            (libc::AF_INET6, libc::SOCK_STREAM),
            (libc::AF_NETLINK, libc::SOCK_RAW),
        ] {
            assert_eq!(socket(family, ty), Err(libc::EPERM), "family {family}");
        }
        // The kernel reads the family as an int; the filter must agree.
        // SAFETY: plain integers.
        let r = unsafe {
            libc::syscall(
                libc::SYS_socket,
                (1u64 << 32) | libc::AF_INET as u64,
                libc::SOCK_DGRAM,
                0,
            )
        };
        assert_eq!((r, errno()), (-1, libc::EPERM));

        let fd = socket(libc::AF_UNIX, libc::SOCK_STREAM).expect("AF_UNIX socket");
        // SAFETY: fd was just created.
        unsafe { libc::close(fd) };
        unix_socketpair_works().expect("socketpair(AF_UNIX)");

        // io_uring could create sockets behind seccomp's back.
        // SAFETY: a NULL params pointer; the call is denied before use.
        let r = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1, std::ptr::null_mut::<u8>()) };
        assert_eq!((r, errno()), (-1, libc::EPERM));

        // Landlock (ABI >= 4) also covers TCP connect on inherited sockets.
        if fb.landlock_tcp {
            assert_eq!(connect_inet(tcp, 9), Err(libc::EACCES));
        }
        // SAFETY: owned fd.
        unsafe { libc::close(tcp) };
    });
}

#[test]
fn strict_mode_reports_unsupported_and_changes_nothing() {
    if !without_series() {
        return;
    }
    in_child(|| {
        let nnp = no_new_privs();
        assert_eq!(
            Restriction::new().best_effort(false).restrict(),
            Err(Error::Unsupported)
        );
        assert_eq!(no_new_privs(), nnp);
        assert_eq!(seccomp_mode(), 0);
        let fd = socket(libc::AF_INET, libc::SOCK_DGRAM).expect("AF_INET still works");
        // SAFETY: owned fd.
        unsafe { libc::close(fd) };
    });
}

#[test]
fn best_effort_refuses_other_threads_before_changing_anything() {
    if !without_series() {
        return;
    }
    in_child(|| {
        let nnp = no_new_privs();
        let (tx, h) = park_thread();
        assert_eq!(
            set_off_best_effort(),
            Err(Error::MultiThreaded { threads: 2 })
        );
        assert_eq!(no_new_privs(), nnp);
        assert_eq!(seccomp_mode(), 0);

        // Allowed: applied to this thread only, and reported.
        let status = Restriction::new()
            .best_effort(true)
            .require_single_thread(false)
            .restrict()
            .expect("restrict with threads allowed");
        assert_eq!(
            status.threads,
            ThreadScope::ThisThreadOnly { other_threads: 1 }
        );
        assert!(status.to_string().contains("1 other thread"), "{status}");
        assert_eq!(socket(libc::AF_INET, libc::SOCK_DGRAM), Err(libc::EPERM));
        drop(tx);
        h.join().unwrap();
    });
}

#[test]
fn io_uring_ring_opened_before_is_named_not_enforced() {
    if !without_series() {
        return;
    }
    in_child(|| {
        // io_uring_setup(8 entries): a ring like an async runtime's.
        let mut params = [0u8; 120];
        // SAFETY: io_uring_setup writes at most sizeof(io_uring_params)
        // (120 bytes) into params.
        let ring = unsafe { libc::syscall(libc::SYS_io_uring_setup, 8, params.as_mut_ptr()) };
        assert!(ring >= 0, "io_uring_setup: errno {}", errno());
        let status = set_off_best_effort().expect("best-effort restriction");
        let Enforcement::PartiallyEnforced(fb) = &status.enforcement else {
            panic!("expected PartiallyEnforced, got {status:?}");
        };
        assert_eq!(fb.io_uring_rings_before, Some(1), "{fb:?}");
        let text = status.to_string();
        assert!(
            text.contains("sockets made through the 1 io_uring ring(s) opened before"),
            "{text}"
        );
    });
    // Control: without a ring, nothing of the kind is named.
    in_child(|| {
        let status = set_off_best_effort().expect("best-effort restriction");
        let Enforcement::PartiallyEnforced(fb) = &status.enforcement else {
            panic!("expected PartiallyEnforced, got {status:?}");
        };
        assert_eq!(fb.io_uring_rings_before, Some(0), "{fb:?}");
        assert!(!status.to_string().contains("opened before"), "{status}");
    });
}

/// Tries `PTRACE_ATTACH`, `process_vm_readv()` and `pidfd_getfd()` on
/// `pid`; the errno of each (0: it worked, and was undone).
fn reach(pid: libc::pid_t) -> [i32; 3] {
    let mut out = [0; 3];
    // SAFETY: plain system calls on our own buffers; an attach is undone.
    unsafe {
        if libc::ptrace(libc::PTRACE_ATTACH, pid, 0, 0) == 0 {
            let mut status = 0;
            libc::waitpid(pid, &mut status, libc::__WALL);
            libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0);
        } else {
            out[0] = errno();
        }
        let mut byte = 0u8;
        let local = libc::iovec {
            iov_base: (&mut byte as *mut u8).cast(),
            iov_len: 1,
        };
        let remote = libc::iovec {
            iov_base: (&TARGET as *const u8).cast_mut().cast(),
            iov_len: 1,
        };
        if libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 {
            out[1] = errno();
        }
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0);
        assert!(pidfd >= 0, "pidfd_open: errno {}", errno());
        let fd = libc::syscall(libc::SYS_pidfd_getfd, pidfd, 0, 0);
        if fd < 0 {
            out[2] = errno();
        } else {
            libc::close(fd as i32);
        }
        libc::close(pidfd as i32);
    }
    out
}

/// A byte at the same address in the forked child.
static TARGET: u8 = 7;

#[test]
fn fallback_denies_reaching_into_other_processes() {
    if !without_series() {
        return;
    }
    in_child(|| {
        // An unrestricted child, forked before, waiting to be reached.
        let (r, w) = {
            let mut fds = [0; 2];
            // SAFETY: fds has room for two descriptors.
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            (fds[0], fds[1])
        };
        // SAFETY: the child only blocks in read() and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let mut b = [0u8; 1];
            // SAFETY: b is one writable byte.
            unsafe {
                libc::close(w);
                libc::read(r, b.as_mut_ptr().cast(), 1);
                libc::_exit(0);
            }
        }
        // Control: before the restriction the parent reaches it.
        assert_eq!(reach(pid), [0, 0, 0], "control (Yama ptrace_scope?)");
        let status = set_off_best_effort().expect("best-effort restriction");
        assert!(
            status
                .to_string()
                .contains("ptrace, process_vm_readv/writev and pidfd_getfd denied"),
            "{status}"
        );
        assert_eq!(reach(pid), [libc::EPERM; 3]);
        // SAFETY: closing our pipe end releases the child.
        unsafe {
            libc::close(w);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
    });
}

#[test]
fn observe_reports_the_fallback_as_observed() {
    if !without_series() {
        return;
    }
    in_child(|| {
        let before = prctl_network::observe();
        assert_eq!(before.kernel_flag, None);
        assert!(!before.network_off(), "{before}");
        let status = set_off_best_effort().expect("best-effort restriction");
        assert!(!status.is_complete(), "{status}");
        let after = prctl_network::observe();
        assert!(after.network_off(), "{after}");
        assert!(after.inet_socket_denied && after.seccomp_filter && after.no_new_privs);
        assert!(
            after.to_string().contains("observed, not the kernel flag"),
            "{after}"
        );
    });
}
