//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f` in a forked child so that restrictions it applies (no_new_privs,
/// PR_SET_NETWORK, seccomp, Landlock) never reach the test process. The
/// child's panic message is sent back over a pipe and the parent panics
/// with it, so a failing check fails the test.
pub fn in_child<F: FnOnce()>(f: F) {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid array of two ints.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: the child only runs `f` and then _exit()s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: fds[1] is the pipe's write end, owned by us.
        let mut w = unsafe { std::fs::File::from_raw_fd(fds[1]) };
        let code = match catch_unwind(AssertUnwindSafe(f)) {
            Ok(()) => 0,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "non-string panic".into());
                let _ = w.write_all(msg.as_bytes());
                101
            }
        };
        // SAFETY: _exit skips atexit handlers and the harness' state.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: closing our copy of the write end; the read end is ours.
    unsafe { libc::close(fds[1]) };
    let mut r = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    let mut msg = String::new();
    let _ = r.read_to_string(&mut msg);
    let mut status = 0;
    // SAFETY: pid is our child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed (wait status {status:#x}): {msg}"
    );
}

pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap()
}

pub fn no_new_privs() -> bool {
    // SAFETY: integer arguments only.
    let r = unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0usize, 0usize, 0usize, 0usize) };
    assert!(r >= 0);
    r == 1
}

/// Whether the kernel has the series (raw PR_GET_NETWORK, independent of
/// the crate under test).
pub fn kernel_has_series() -> bool {
    let r = prctl_network_sys::prctl_get_network();
    if r == -1 {
        assert_eq!(errno(), libc::EINVAL, "PR_GET_NETWORK failed otherwise");
    }
    r != -1
}

/// Whether CAP_SYS_ADMIN is in the effective set (/proc/self/status CapEff).
pub fn has_cap_sys_admin() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .expect("CapEff line")
        .trim();
    let caps = u64::from_str_radix(hex, 16).expect("CapEff hex");
    const CAP_SYS_ADMIN: u32 = 21;
    caps & (1 << CAP_SYS_ADMIN) != 0
}

/// socket(); Ok(fd) or Err(errno).
pub fn socket(family: i32, ty: i32) -> Result<i32, i32> {
    // SAFETY: plain integers.
    let fd = unsafe { libc::socket(family, ty | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(fd)
    }
}

/// socketpair(AF_UNIX, SOCK_STREAM); checks data flows both ways.
pub fn unix_socketpair_works() -> Result<(), i32> {
    let mut sv = [0; 2];
    // SAFETY: sv is a valid array of two ints.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            sv.as_mut_ptr(),
        )
    };
    if r != 0 {
        return Err(errno());
    }
    // SAFETY: both fds were just created and are owned here.
    let (mut a, mut b) = unsafe {
        (
            std::os::unix::net::UnixStream::from_raw_fd(sv[0]),
            std::os::unix::net::UnixStream::from_raw_fd(sv[1]),
        )
    };
    a.write_all(b"ping").unwrap();
    let mut buf = [0; 4];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    Ok(())
}

/// Starts a thread that blocks until the returned sender is dropped or
/// sent to; returns its join handle.
pub fn park_thread() -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        let _ = rx.recv();
    });
    (tx, h)
}

/// The running kernel's Landlock ABI version, asked directly (0: none).
pub fn landlock_abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_ulong = 1;
    // SAFETY: a NULL attr with size 0 and the VERSION flag only queries.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if r < 0 {
        0
    } else {
        r as i32
    }
}

/// The `Seccomp:` mode of /proc/self/status (0 none, 2 filter).
pub fn seccomp_mode() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Seccomp:"))
        .expect("Seccomp line")
        .trim()
        .parse()
        .unwrap()
}

/// 127.0.0.1:`port` as a `sockaddr_in`.
pub fn loopback_v4(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    }
}

/// `connect()` (or with `bind`, `bind()`) a socket to 127.0.0.1:port; Ok
/// or Err(errno).
fn addr_call_inet(fd: i32, port: u16, bind: bool) -> Result<(), i32> {
    let addr = loopback_v4(port);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let ptr = (&addr as *const libc::sockaddr_in).cast();
    // SAFETY: addr is a valid sockaddr_in of the given length.
    let r = unsafe {
        if bind {
            libc::bind(fd, ptr, len)
        } else {
            libc::connect(fd, ptr, len)
        }
    };
    if r == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// connect() a socket to 127.0.0.1:port; Ok or Err(errno).
pub fn connect_inet(fd: i32, port: u16) -> Result<(), i32> {
    addr_call_inet(fd, port, false)
}

/// bind() a socket to 127.0.0.1:port; Ok or Err(errno).
pub fn bind_inet(fd: i32, port: u16) -> Result<(), i32> {
    addr_call_inet(fd, port, true)
}

/// An `AF_UNIX` address with `name` as its path bytes (a leading NUL:
/// abstract; empty: just the family, i.e. autobind), and its length.
pub fn abstract_addr(name: &[u8]) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: zeroed sockaddr_un is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (i, b) in name.iter().enumerate() {
        addr.sun_path[i] = *b as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + name.len();
    (addr, len as libc::socklen_t)
}
