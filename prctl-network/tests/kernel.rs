//! Tests that need a kernel with the prctl-network series. They are
//! ignored on the host and run in the VM (`cargo xtask vm-test`) with
//! `--include-ignored`, as root and as an unprivileged user; each checks
//! the outcome that is right for the credentials it runs with. Every body
//! runs in a forked child so the test process stays unrestricted.

mod common;

use common::{
    abstract_addr, bind_inet, errno, has_cap_sys_admin, in_child, no_new_privs, socket,
    unix_socketpair_works,
};
use prctl_network::{
    get, set_off, set_off_best_effort, Enforcement, Error, NetworkState, Restriction, ThreadScope,
};
use prctl_network_sys::{prctl_set_network, PR_NETWORK_OFF, PR_NETWORK_ON};

fn close(fd: i32) {
    // SAFETY: fd is owned by the caller and not used afterwards.
    unsafe { libc::close(fd) };
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn set_off_is_full_and_get_reports_off() {
    in_child(|| {
        assert_eq!(get(), Ok(NetworkState::ON));
        let status = set_off().expect("set_off");
        assert_eq!(status.enforcement, Enforcement::FullyEnforced);
        assert_eq!(status.threads, ThreadScope::WholeProcess);
        assert!(status.no_new_privs);
        assert!(status.is_complete());
        assert!(no_new_privs());
        assert_eq!(get(), Ok(NetworkState::OFF));
        assert!(get().unwrap().is_off());
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn new_non_unix_sockets_fail_with_eperm() {
    in_child(|| {
        // Control: the families work before the restriction.
        for (family, ty) in [
            (libc::AF_INET, libc::SOCK_DGRAM),
            (libc::AF_INET6, libc::SOCK_STREAM),
            (libc::AF_NETLINK, libc::SOCK_RAW),
        ] {
            if let Ok(fd) = socket(family, ty) {
                close(fd);
            }
        }
        let inet_before = socket(libc::AF_INET, libc::SOCK_STREAM).expect("AF_INET before");
        close(inet_before);
        let _ = set_off().expect("set_off");
        for (family, ty) in [
            (libc::AF_INET, libc::SOCK_STREAM),
            (libc::AF_INET, libc::SOCK_DGRAM),
            (libc::AF_INET6, libc::SOCK_STREAM),
            (libc::AF_NETLINK, libc::SOCK_RAW),
            (libc::AF_PACKET, libc::SOCK_DGRAM),
        ] {
            assert_eq!(socket(family, ty), Err(libc::EPERM), "family {family}");
        }
        let fd = socket(libc::AF_UNIX, libc::SOCK_STREAM).expect("AF_UNIX socket");
        close(fd);
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn unix_sockets_and_connected_sockets_keep_working() {
    in_child(|| {
        let mut sv = [0; 2];
        // SAFETY: valid array of two ints.
        let r = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0, sv.as_mut_ptr()) };
        assert_eq!(r, 0);
        let _ = set_off().expect("set_off");
        unix_socketpair_works().expect("socketpair(AF_UNIX) after set_off");
        // The pair made before the restriction still carries data.
        // SAFETY: valid buffers and fds.
        unsafe {
            assert_eq!(libc::send(sv[0], b"x".as_ptr().cast(), 1, 0), 1);
            let mut b = 0u8;
            assert_eq!(libc::recv(sv[1], (&mut b as *mut u8).cast(), 1, 0), 1);
            assert_eq!(b, b'x');
        }
        close(sv[0]);
        close(sv[1]);
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn inherited_inet_socket_cannot_bind() {
    in_child(|| {
        let fd = socket(libc::AF_INET, libc::SOCK_DGRAM).expect("AF_INET before");
        let _ = set_off().expect("set_off");
        assert_eq!(bind_inet(fd, 0), Err(libc::EPERM));
        close(fd);
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn abstract_unix_denied_pathname_unix_allowed() {
    in_child(|| {
        let _ = set_off().expect("set_off");
        let fd = socket(libc::AF_UNIX, libc::SOCK_DGRAM).expect("AF_UNIX");
        // SAFETY: zeroed sockaddr_un is valid.
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let name = b"\0prctl-network-test";
        for (i, b) in name.iter().enumerate() {
            addr.sun_path[i] = *b as libc::c_char;
        }
        let len = (std::mem::size_of::<libc::sa_family_t>() + name.len()) as libc::socklen_t;
        // SAFETY: addr is valid for len bytes.
        let r = unsafe { libc::bind(fd, (&addr as *const libc::sockaddr_un).cast(), len) };
        assert_eq!((r, errno()), (-1, libc::EPERM), "abstract bind");

        let dir = std::env::temp_dir().join(format!("prctl-network-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let listener = std::os::unix::net::UnixDatagram::bind(&dir).expect("pathname bind");
        drop(listener);
        let _ = std::fs::remove_file(&dir);
        close(fd);
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn restriction_is_irrevocable() {
    in_child(|| {
        let _ = set_off().expect("set_off");
        assert_eq!(prctl_set_network(PR_NETWORK_ON), -1);
        assert_eq!(errno(), libc::EPERM);
        // Setting it again is a no-op, not an error.
        assert_eq!(prctl_set_network(PR_NETWORK_OFF), 0);
        let again = set_off().expect("set_off twice");
        assert_eq!(again.enforcement, Enforcement::FullyEnforced);
        assert_eq!(get(), Ok(NetworkState::OFF));
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn without_no_new_privs_needs_cap_sys_admin() {
    in_child(|| {
        let nnp_before = no_new_privs();
        let result = Restriction::new().no_new_privs(false).restrict();
        if nnp_before {
            // no_new_privs set by the environment satisfies the kernel.
            let status = result.expect("no_new_privs already set");
            assert!(status.no_new_privs);
            assert_eq!(get(), Ok(NetworkState::OFF));
        } else if has_cap_sys_admin() {
            let status = result.expect("CAP_SYS_ADMIN may restrict without no_new_privs");
            assert!(!status.no_new_privs);
            assert!(!no_new_privs());
            assert_eq!(get(), Ok(NetworkState::OFF));
        } else {
            assert_eq!(result.unwrap_err(), Error::NoNewPrivsRequired);
            assert_eq!(get(), Ok(NetworkState::ON), "a refused restriction applied");
            assert!(!no_new_privs());
            // With the default (no_new_privs set first) it works.
            let status = set_off().expect("set_off with no_new_privs");
            assert!(status.no_new_privs);
            assert_eq!(get(), Ok(NetworkState::OFF));
        }
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn inherited_by_later_threads_and_children() {
    in_child(|| {
        let _ = set_off().expect("set_off");
        let in_thread = std::thread::spawn(|| (get(), socket(libc::AF_INET, libc::SOCK_DGRAM)))
            .join()
            .unwrap();
        assert_eq!(in_thread, (Ok(NetworkState::OFF), Err(libc::EPERM)));
        in_child(|| {
            assert_eq!(get(), Ok(NetworkState::OFF));
            assert_eq!(socket(libc::AF_INET, libc::SOCK_DGRAM), Err(libc::EPERM));
        });
    });
}

/// What a thread reports: its flags, whether it can make an inet socket
/// (`Err(errno)` if not), and its no_new_privs.
type ThreadReport = (Result<NetworkState, Error>, Result<(), i32>, bool);

/// A thread that waits for a go, then reports.
fn waiting_thread() -> (
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<ThreadReport>,
) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        rx.recv().unwrap();
        (
            get(),
            socket(libc::AF_INET, libc::SOCK_DGRAM).map(close),
            no_new_privs(),
        )
    });
    (tx, other)
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn set_off_covers_threads_that_already_exist() {
    in_child(|| {
        let (tx, other) = waiting_thread();
        let status = set_off().expect("set_off with a second thread");
        assert_eq!(status.threads, ThreadScope::WholeProcess);
        assert!(status.is_complete());
        assert_eq!(get(), Ok(NetworkState::OFF));
        tx.send(()).unwrap();
        // The kernel restricted the waiting thread and gave it
        // no_new_privs, as seccomp's TSYNC does.
        assert_eq!(
            other.join().unwrap(),
            (Ok(NetworkState::OFF), Err(libc::EPERM), true)
        );
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn this_thread_only_refused_with_threads_and_reported_when_allowed() {
    in_child(|| {
        let nnp_before = no_new_privs();
        let (tx, other) = waiting_thread();
        let this_thread = Restriction::new().all_threads(false);
        assert_eq!(
            this_thread.restrict(),
            Err(Error::MultiThreaded { threads: 2 })
        );
        assert_eq!(get(), Ok(NetworkState::ON), "refused restriction applied");
        assert_eq!(no_new_privs(), nnp_before, "refused restriction set NNP");

        let status = this_thread
            .require_single_thread(false)
            .restrict()
            .expect("restrict with threads allowed");
        assert_eq!(
            status.threads,
            ThreadScope::ThisThreadOnly { other_threads: 1 }
        );
        assert!(!status.is_complete());
        assert_eq!(get(), Ok(NetworkState::OFF));
        // The thread that already existed is not covered.
        tx.send(()).unwrap();
        assert_eq!(
            other.join().unwrap(),
            (Ok(NetworkState::ON), Ok(()), nnp_before)
        );
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn best_effort_takes_the_prctl_path() {
    in_child(|| {
        let status = set_off_best_effort().expect("best effort");
        assert_eq!(status.enforcement, Enforcement::FullyEnforced);
        assert!(status.is_complete());
        assert_eq!(get(), Ok(NetworkState::OFF));
        // No fallback was installed.
        assert_eq!(common::seccomp_mode(), 0);
        assert_eq!(socket(libc::AF_INET, libc::SOCK_DGRAM), Err(libc::EPERM));
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn autobind_and_abstract_connect_and_sendto_denied() {
    in_child(|| {
        // An abstract listener made before the restriction.
        let listener = socket(libc::AF_UNIX, libc::SOCK_DGRAM).expect("AF_UNIX");
        let name = format!("\0prctl-network-{}", std::process::id());
        let (addr, len) = abstract_addr(name.as_bytes());
        // SAFETY: addr is valid for len bytes.
        let r = unsafe { libc::bind(listener, (&addr as *const libc::sockaddr_un).cast(), len) };
        assert_eq!(r, 0, "abstract bind before the restriction");

        let _ = set_off().expect("set_off");
        let fd = socket(libc::AF_UNIX, libc::SOCK_DGRAM).expect("AF_UNIX");
        // Autobind: an address of just the family.
        let (auto, auto_len) = abstract_addr(b"");
        // SAFETY: valid for auto_len bytes.
        let r = unsafe { libc::bind(fd, (&auto as *const libc::sockaddr_un).cast(), auto_len) };
        assert_eq!((r, errno()), (-1, libc::EPERM), "autobind");
        // SAFETY: valid for len bytes.
        let r = unsafe { libc::connect(fd, (&addr as *const libc::sockaddr_un).cast(), len) };
        assert_eq!((r, errno()), (-1, libc::EPERM), "abstract connect");
        // SAFETY: valid buffer and address.
        let r = unsafe {
            libc::sendto(
                fd,
                b"x".as_ptr().cast(),
                1,
                0,
                (&addr as *const libc::sockaddr_un).cast(),
                len,
            )
        };
        assert_eq!((r, errno()), (-1, libc::EPERM), "abstract sendto");
        close(fd);
        close(listener);
    });
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn inherited_udp_connected_sends_but_sendto_denied() {
    in_child(|| {
        let connected = socket(libc::AF_INET, libc::SOCK_DGRAM).expect("AF_INET");
        common::connect_inet(connected, 9).expect("UDP connect before");
        let unconnected = socket(libc::AF_INET, libc::SOCK_DGRAM).expect("AF_INET");
        let _ = set_off().expect("set_off");
        // No address: the connected socket keeps working.
        // SAFETY: valid buffer.
        let r = unsafe { libc::send(connected, b"x".as_ptr().cast(), 1, 0) };
        assert_eq!(r, 1, "send on a connected socket: errno {}", errno());
        // With an address: denied, inherited descriptor or not.
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 9u16.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
            },
            sin_zero: [0; 8],
        };
        // SAFETY: valid buffer and address.
        let r = unsafe {
            libc::sendto(
                unconnected,
                b"x".as_ptr().cast(),
                1,
                0,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        assert_eq!((r, errno()), (-1, libc::EPERM), "sendto with an address");
        assert_eq!(common::connect_inet(unconnected, 9), Err(libc::EPERM));
        close(connected);
        close(unconnected);
    });
}
