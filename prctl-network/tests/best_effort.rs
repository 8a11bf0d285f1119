//! Best-effort mode on a kernel *without* the prctl-network series (the
//! development host): seccomp + Landlock fallback. On a kernel with the
//! series these checks do not apply (best-effort takes the prctl path,
//! tested in tests/kernel.rs). Each test forks.

mod common;

use common::{
    abstract_addr, bind_inet, connect_inet, errno, in_child, kernel_has_series, landlock_abi,
    loopback_v4, no_new_privs, park_thread, seccomp_mode, socket, unix_socketpair_works,
};
use prctl_network::{set_off_best_effort, Enforcement, Error, Restriction, Status, ThreadScope};

/// The fallback report of a best-effort status (which must be partial).
fn fallback_of(status: &Status) -> &prctl_network::Fallback {
    match &status.enforcement {
        Enforcement::PartiallyEnforced(fb) => fb,
        _ => panic!("expected PartiallyEnforced, got {status:?}"),
    }
}

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
        let fb = fallback_of(&status);
        assert!(fb.seccomp_socket_filter, "{fb:?}");
        let ll = cfg!(feature = "landlock");
        assert_eq!(fb.landlock_abi, if ll { abi } else { 0 });
        assert_eq!(fb.landlock_domain, ll && abi >= 1, "{fb:?}");
        // SAFETY: geteuid() cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        assert_eq!(fb.uid0, root);
        assert_eq!(status.to_string().contains("as uid 0"), root, "{status}");
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
fn best_effort_covers_threads_started_before() {
    if !without_series() {
        return;
    }
    in_child(|| {
        // A #[tokio::main]-style process: a worker exists before the
        // restriction, and tries sockets only afterwards.
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let (done, done_rx) = std::sync::mpsc::channel();
        let worker = std::thread::spawn(move || {
            go_rx.recv().unwrap();
            done.send(socket(libc::AF_INET, libc::SOCK_DGRAM)).unwrap();
        });
        let status = set_off_best_effort().expect("best effort with a thread running");
        let fb = fallback_of(&status);
        assert_eq!(fb.seccomp_threads, ThreadScope::WholeProcess, "{fb:?}");
        // The effect, in the thread that existed before: no new socket.
        go.send(()).unwrap();
        assert_eq!(done_rx.recv().unwrap(), Err(libc::EPERM));
        worker.join().unwrap();
        // Landlock covers the worker only from ABI 8 on; before, the
        // Status says so by mechanism and overall.
        let abi = landlock_abi();
        let landlock_all = !fb.landlock_domain || abi >= 8;
        let expect = if landlock_all {
            ThreadScope::WholeProcess
        } else {
            ThreadScope::ThisThreadOnly { other_threads: 1 }
        };
        assert_eq!(fb.landlock_threads, expect, "{fb:?}");
        assert_eq!(status.threads, expect, "{status:?}");
        let text = status.to_string();
        assert_eq!(
            text.contains("what Landlock denies, in the 1 other thread(s)"),
            !landlock_all,
            "{text}"
        );
        assert!(
            !text.contains("everything the seccomp filter denies"),
            "{text}"
        );
    });
}

#[test]
fn this_thread_only_refuses_other_threads_before_changing_anything() {
    if !without_series() {
        return;
    }
    in_child(|| {
        let nnp = no_new_privs();
        let (tx, h) = park_thread();
        let err = Restriction::new()
            .best_effort(true)
            .all_threads(false)
            .restrict()
            .unwrap_err();
        assert_eq!(err, Error::MultiThreaded { threads: 2 });
        assert!(err.to_string().contains("drop all_threads(false)"), "{err}");
        assert_eq!(no_new_privs(), nnp);
        assert_eq!(seccomp_mode(), 0);

        // Allowed: applied to this thread only, and reported.
        let status = Restriction::new()
            .best_effort(true)
            .all_threads(false)
            .require_single_thread(false)
            .restrict()
            .expect("restrict with threads allowed");
        assert_eq!(
            status.threads,
            ThreadScope::ThisThreadOnly { other_threads: 1 }
        );
        let text = status.to_string();
        assert!(
            text.contains("everything the seccomp filter denies, in the 1 other thread(s)"),
            "{text}"
        );
        assert_eq!(socket(libc::AF_INET, libc::SOCK_DGRAM), Err(libc::EPERM));
        drop(tx);
        h.join().unwrap();
    });
}

/// `io_uring_enter(ring, 0, 0, 0)`: Ok or Err(errno).
fn io_uring_enter(ring: i32) -> Result<(), i32> {
    // SAFETY: no submissions, no completions waited for, no signal mask.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_enter,
            ring,
            0,
            0,
            0,
            std::ptr::null::<u8>(),
            0,
        )
    };
    if r < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

#[test]
fn io_uring_ring_opened_before_is_refused_and_sqpoll_named() {
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
        let ring = ring as i32;
        assert_eq!(io_uring_enter(ring), Ok(()), "control: the ring works");
        let status = set_off_best_effort().expect("best-effort restriction");
        let fb = fallback_of(&status);
        // No submission reaches the ring any more, nor a registration.
        assert_eq!(io_uring_enter(ring), Err(libc::EPERM));
        // SAFETY: IORING_UNREGISTER_BUFFERS (1) with no argument.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                ring,
                1,
                std::ptr::null::<u8>(),
                0,
            )
        };
        assert_eq!((r, errno()), (-1, libc::EPERM), "io_uring_register");
        assert_eq!(fb.io_uring_rings_before, Some(1), "{fb:?}");
        let text = status.to_string();
        assert!(
            text.contains(
                "SQPOLL io_uring ring received later or among the 1 ring(s) opened before"
            ),
            "{text}"
        );
    });
    // Control: without a ring, only rings received later are named.
    in_child(|| {
        let status = set_off_best_effort().expect("best-effort restriction");
        let fb = fallback_of(&status);
        assert_eq!(fb.io_uring_rings_before, Some(0), "{fb:?}");
        let text = status.to_string();
        assert!(!text.contains("opened before"), "{text}");
        assert!(
            text.contains("SQPOLL io_uring ring received later"),
            "{text}"
        );
    });
}

/// Tries `PTRACE_ATTACH`, `process_vm_readv()`, `pidfd_getfd()` and
/// opening `/proc/PID/mem` for writing on `pid`; the errno of each (0: it
/// worked, and was undone).
fn reach(pid: libc::pid_t) -> [i32; 4] {
    let mut out = [0; 4];
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
        let path = std::ffi::CString::new(format!("/proc/{pid}/mem")).unwrap();
        let mem = libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if mem < 0 {
            out[3] = errno();
        } else {
            libc::close(mem);
        }
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
        assert_eq!(reach(pid), [0; 4], "control (Yama ptrace_scope?)");
        let status = set_off_best_effort().expect("best-effort restriction");
        let fb = fallback_of(&status);
        let text = status.to_string();
        assert!(
            text.contains("ptrace, process_vm_readv/writev and pidfd_getfd denied (seccomp)"),
            "{text}"
        );
        let got = reach(pid);
        assert_eq!(got[..3], [libc::EPERM; 3]);
        // /proc/PID/mem is an open(): the Landlock domain's ptrace rule
        // (mm_access() answers EACCES), or named as open.
        assert_eq!(
            fb.landlock_domain,
            cfg!(feature = "landlock") && landlock_abi() >= 1
        );
        if fb.landlock_domain {
            assert_eq!(got[3], libc::EACCES);
            assert!(
                text.contains("opening their /proc/PID/mem denied (Landlock)"),
                "{text}"
            );
        } else {
            assert_eq!(got[3], 0);
            assert!(
                text.contains("writing /proc/PID/mem of processes outside"),
                "{text}"
            );
        }
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
        assert_eq!(before.network_off(), None, "{before}");
        let status = set_off_best_effort().expect("best-effort restriction");
        assert!(!status.is_complete(), "{status}");
        let after = prctl_network::observe();
        // The fallback leaves channels open: never a verdict without the
        // kernel flag, only what was observed.
        assert_eq!(after.network_off(), None, "{after}");
        assert!(after.inet_socket_refused && after.seccomp_filter && after.no_new_privs);
        assert!(
            after
                .to_string()
                .starts_with("network: unknown (the kernel lacks PR_SET_NETWORK"),
            "{after}"
        );
    });
}

/// A listening TCP socket on 127.0.0.1 and its port.
fn tcp_listener() -> (i32, u16) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = l.local_addr().unwrap().port();
    (std::os::fd::IntoRawFd::into_raw_fd(l), port)
}

#[test]
fn tcp_fast_open_on_inherited_socket_is_denied_or_named() {
    if !without_series() {
        return;
    }
    in_child(|| {
        let (listener, port) = tcp_listener();
        // SAFETY: plain integers on our own descriptor.
        unsafe { libc::fcntl(listener, libc::F_SETFL, libc::O_NONBLOCK) };
        let tcp = socket(libc::AF_INET, libc::SOCK_STREAM).expect("AF_INET before");
        let status = set_off_best_effort().expect("best-effort restriction");
        let addr = loopback_v4(port);
        // SAFETY: addr is a valid sockaddr_in; one byte of payload.
        let r = unsafe {
            libc::sendto(
                tcp,
                b"x".as_ptr().cast(),
                1,
                libc::MSG_FASTOPEN,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as u32,
            )
        };
        let send_errno = if r < 0 { errno() } else { 0 };
        std::thread::sleep(std::time::Duration::from_millis(200));
        // The effect: did a connection arrive?
        // SAFETY: a non-blocking accept on our listener.
        let conn = unsafe { libc::accept(listener, std::ptr::null_mut(), std::ptr::null_mut()) };
        let text = status.to_string();
        if conn >= 0 {
            assert!(
                text.contains("TCP fast open (sendto with MSG_FASTOPEN) on inherited sockets")
                    || text.contains("plain TCP bind/connect on inherited sockets"),
                "a connection arrived through MSG_FASTOPEN (sendto errno {send_errno}) but the \
                 Status does not name it: {text}"
            );
        } else {
            assert_ne!(send_errno, 0, "no connection but sendto succeeded");
        }
    });
}

#[test]
fn netlink_bind_on_inherited_socket_is_named() {
    if !without_series() {
        return;
    }
    in_child(|| {
        let nl = socket(libc::AF_NETLINK, libc::SOCK_RAW).expect("AF_NETLINK before");
        let status = set_off_best_effort().expect("best-effort restriction");
        // SAFETY: an all-zero sockaddr_nl is valid.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: addr is a valid sockaddr_nl of the given length.
        let r = unsafe {
            libc::bind(
                nl,
                (&addr as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        let text = status.to_string();
        if r == 0 {
            assert!(
                text.contains("bind/connect on inherited sockets that are not plain TCP"),
                "{text}"
            );
        }
        assert_eq!(r, 0, "errno {}: the fallback does not deny it", errno());
    });
}

#[test]
fn nesting_past_landlock_limit_says_so() {
    if !without_series() || !cfg!(feature = "landlock") || landlock_abi() < 1 {
        eprintln!("no Landlock domain here: nothing to nest");
        return;
    }
    in_child(|| {
        for layer in 1..=16 {
            let status = set_off_best_effort().unwrap_or_else(|e| panic!("layer {layer}: {e}"));
            assert!(!status.is_complete());
        }
        let err = set_off_best_effort().unwrap_err();
        assert_eq!(err, Error::LandlockNestingLimit);
        assert_eq!(err.raw_os_error(), Some(libc::E2BIG));
        assert!(err.to_string().contains("16 nested"), "{err}");
    });
}

/// `request_key("dns_resolver", name)`: the errno (0 if it returned a key).
fn request_dns_key() -> i32 {
    let ty = c"dns_resolver";
    let desc = c"prctl-network-test.invalid";
    // SAFETY: NUL-terminated strings; a NULL callout_info; the session
    // keyring's special ID.
    let r = unsafe {
        libc::syscall(
            libc::SYS_request_key,
            ty.as_ptr(),
            desc.as_ptr(),
            std::ptr::null::<libc::c_char>(),
            -3i32, // KEY_SPEC_SESSION_KEYRING
        )
    };
    if r < 0 {
        errno()
    } else {
        0
    }
}

#[test]
fn key_upcalls_are_denied() {
    if !without_series() {
        return;
    }
    in_child(|| {
        // Control: the call reaches the key subsystem (ENOKEY, ENOENT,
        // EKEYREJECTED... depending on the host's request-key setup).
        assert_ne!(request_dns_key(), libc::EPERM, "control");
        let status = set_off_best_effort().expect("best-effort restriction");
        assert_eq!(request_dns_key(), libc::EPERM);
        assert!(
            status.to_string().contains("request_key() denied"),
            "{status}"
        );
    });
}

#[test]
fn mptcp_on_inherited_socket_is_named() {
    if !without_series() {
        return;
    }
    in_child(|| {
        let (listener, port) = tcp_listener();
        // SAFETY: plain integers.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 262) };
        if fd < 0 {
            eprintln!(
                "no MPTCP in this kernel (errno {}): nothing to check",
                errno()
            );
            return;
        }
        let status = set_off_best_effort().expect("best-effort restriction");
        let connected = connect_inet(fd, port);
        let text = status.to_string();
        if connected.is_ok() {
            // The effect: the connection arrived.
            // SAFETY: a blocking accept on our listener, which has a
            // pending connection.
            let conn =
                unsafe { libc::accept(listener, std::ptr::null_mut(), std::ptr::null_mut()) };
            assert!(conn >= 0, "connect succeeded but nothing arrived");
            assert!(
                text.contains("not plain TCP (UDP, MPTCP"),
                "an inherited MPTCP socket connected but the Status does not name it: {text}"
            );
        }
    });
}

#[test]
fn landlock_claims_hold_where_made() {
    if !without_series() {
        return;
    }
    in_child(|| {
        // Made before: an abstract listener outside the domain, an
        // unbound TCP socket.
        let listener = socket(libc::AF_UNIX, libc::SOCK_STREAM).expect("AF_UNIX");
        let name = format!("\0prctl-network-be-{}", std::process::id());
        let (addr, len) = abstract_addr(name.as_bytes());
        // SAFETY: addr is valid for len bytes; plain integers.
        unsafe {
            assert_eq!(
                libc::bind(listener, (&addr as *const libc::sockaddr_un).cast(), len),
                0
            );
            assert_eq!(libc::listen(listener, 1), 0);
        }
        let tcp = socket(libc::AF_INET, libc::SOCK_STREAM).expect("AF_INET before");
        let status = set_off_best_effort().expect("best-effort restriction");
        let fb = fallback_of(&status);
        let text = status.to_string();
        // Abstract connect to the outside listener.
        let fd = socket(libc::AF_UNIX, libc::SOCK_STREAM).expect("AF_UNIX after");
        // SAFETY: addr is valid for len bytes.
        let r = unsafe { libc::connect(fd, (&addr as *const libc::sockaddr_un).cast(), len) };
        let connect = if r == 0 { 0 } else { errno() };
        if fb.landlock_abstract_unix {
            assert!(
                text.contains("outside abstract unix sockets denied"),
                "{text}"
            );
            assert_eq!(connect, libc::EPERM, "abstract connect");
        } else {
            assert!(
                text.contains("connecting to abstract unix sockets"),
                "{text}"
            );
            assert_eq!(connect, 0, "abstract connect without Landlock's scope");
        }
        // Plain TCP bind of the inherited socket.
        let bind = bind_inet(tcp, 0).err().unwrap_or(0);
        if fb.landlock_tcp {
            assert!(text.contains("plain TCP bind/connect denied"), "{text}");
            assert_eq!(bind, libc::EACCES, "TCP bind");
        } else {
            assert!(
                text.contains("plain TCP bind/connect on inherited sockets"),
                "{text}"
            );
            assert_eq!(bind, 0, "TCP bind without Landlock");
        }
    });
}
