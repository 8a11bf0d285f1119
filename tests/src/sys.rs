//! Thin raw-syscall helpers shared by the kernel-facing modules.
//!
//! Everything here returns the kernel's answer as an [`Outcome`]: no
//! interpretation, so the comparison with the model stays honest.

use crate::abi::{PR_GET_NETWORK, PR_SET_NETWORK};
use crate::outcome::Outcome;

/// The calling thread's `errno`.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A raw syscall result (`-1` + errno convention) as an [`Outcome`].
pub fn outcome(r: libc::c_long) -> Outcome {
    if r < 0 {
        Outcome::Err(errno())
    } else {
        Outcome::Ok(r)
    }
}

/// `prctl(option, a2, a3, a4, a5)` with full 64-bit arguments.
pub fn prctl_raw(option: i32, a2: u64, a3: u64, a4: u64, a5: u64) -> Outcome {
    // SAFETY: only called with PR_SET_NETWORK / PR_GET_NETWORK and the
    // integer-only options below, none of which dereference its arguments.
    let r = unsafe {
        libc::syscall(
            libc::SYS_prctl,
            option as libc::c_long,
            a2 as libc::c_ulong,
            a3 as libc::c_ulong,
            a4 as libc::c_ulong,
            a5 as libc::c_ulong,
        )
    };
    outcome(r)
}

/// `prctl(PR_SET_NETWORK, flags, a3, a4, a5)`.
pub fn set_network(flags: u64, a3: u64, a4: u64, a5: u64) -> Outcome {
    prctl_raw(PR_SET_NETWORK, flags, a3, a4, a5)
}

/// `prctl(PR_GET_NETWORK, a2, a3, a4, a5)`.
pub fn get_network(a2: u64, a3: u64, a4: u64, a5: u64) -> Outcome {
    prctl_raw(PR_GET_NETWORK, a2, a3, a4, a5)
}

/// `prctl(PR_SET_NETWORK, PR_NETWORK_OFF, 0, 0, 0)`.
pub fn set_off() -> Outcome {
    set_network(1, 0, 0, 0)
}

/// `prctl(PR_SET_NETWORK, PR_NETWORK_OFF, PR_NETWORK_TSYNC, 0, 0)`: every
/// thread of the process.
pub fn set_off_tsync() -> Outcome {
    set_network(1, crate::abi::PR_NETWORK_TSYNC, 0, 0)
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)`.
pub fn set_nnp() -> Outcome {
    prctl_raw(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}

/// `prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY)`: let Yama allow any
/// process of ours to attach, so that only the LSM under test decides.
pub fn allow_any_ptracer() -> Outcome {
    // PR_SET_PTRACER_ANY is (unsigned long)-1.
    prctl_raw(libc::PR_SET_PTRACER, u64::MAX, 0, 0, 0)
}

/// NNP first, then PR_NETWORK_OFF; panics if either fails. For tests that
/// just need "a restricted process", as root or not.
pub fn restrict_self() {
    assert_eq!(set_nnp(), Outcome::Ok(0), "PR_SET_NO_NEW_PRIVS");
    let r = set_off();
    assert_eq!(
        r,
        Outcome::Ok(0),
        "PR_SET_NETWORK(PR_NETWORK_OFF) failed: does this kernel carry the prctl-network series?"
    );
}

const CAP_V3: u32 = 0x2008_0522;
const CAP_SYS_ADMIN: u32 = 21;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn capget() -> [CapData; 2] {
    let mut hdr = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and a 2-element data array as capget(2) expects for v3.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()) };
    assert_eq!(r, 0, "capget: {}", std::io::Error::last_os_error());
    data
}

/// Does the calling thread have CAP_SYS_ADMIN in its effective set?
pub fn has_sys_admin() -> bool {
    capget()[0].effective & (1 << CAP_SYS_ADMIN) != 0
}

/// Drop CAP_SYS_ADMIN from the calling thread's effective set (permitted
/// unchanged, so dumpability does not change).
pub fn drop_sys_admin() -> Outcome {
    let mut data = capget();
    data[0].effective &= !(1 << CAP_SYS_ADMIN);
    let mut hdr = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    // SAFETY: as in capget().
    let r = unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) };
    outcome(r)
}

/// `socket(AF_INET, SOCK_DGRAM, 0)`, closed again: `Ok(0)` or the errno.
pub fn try_inet_socket() -> Outcome {
    // SAFETY: plain syscall.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Outcome::Err(errno());
    }
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    Outcome::Ok(0)
}

/// Wait for `pid` to end (looping over ptrace stops and EINTR); returns the
/// raw wait status.
pub fn wait_exit(pid: libc::pid_t) -> i32 {
    loop {
        let mut status = 0;
        // SAFETY: plain syscall.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if r < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            panic!("waitpid({pid}): {}", std::io::Error::last_os_error());
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            return status;
        }
    }
}

/// Human-readable wait status.
pub fn describe_status(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exit code {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("status {status:#x}")
    }
}

/// `pipe2(O_CLOEXEC)`.
pub fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

/// Write all of `buf` to `fd` (best effort; used in children).
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: buf is valid for its length.
        let r = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if r < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return;
        }
        buf = &buf[r as usize..];
    }
}

/// Read `fd` to EOF.
pub fn read_to_end(fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: buf is valid for its length.
        let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if r < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            break;
        }
        if r == 0 {
            break;
        }
        out.extend_from_slice(&buf[..r as usize]);
    }
    out
}

/// Close a descriptor, ignoring errors.
pub fn close(fd: i32) {
    if fd >= 0 {
        // SAFETY: closing a descriptor we own.
        unsafe { libc::close(fd) };
    }
}
