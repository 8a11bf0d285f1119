//! The best-effort fallback's seccomp filter: a hand-written classic BPF
//! program of a dozen instructions.
//!
//! ```text
//!     ld  [arch]               ; seccomp_data.arch
//!     jeq #AUDIT_ARCH_<target>, 1, 0
//!     ret #KILL_PROCESS        ; foreign ABI (i386 on x86_64, arm32 on arm64)
//!     ld  [nr]
//!     and #~__X32_SYSCALL_BIT  ; x86_64 only: x32 shares these numbers
//!     jeq #SYS_socket, check
//!     jeq #SYS_socketpair, check
//!     jeq #SYS_io_uring_setup, deny    ; and io_uring_enter/register
//!     jeq #SYS_ptrace, deny            ; and process_vm_readv/writev,
//!     ...                              ; pidfd_getfd, x32's own numbers
//!     jeq #SYS_request_key, deny, allow
//! check:
//!     ld  [args[0] low word]   ; the family, an int for the kernel
//!     jeq #AF_UNIX, allow, deny
//! allow:
//!     ret #ALLOW
//! deny:
//!     ret #ERRNO(EPERM)
//! ```
//!
//! A foreign system call ABI is killed rather than allowed because its
//! numbers differ (i386 even multiplexes sockets through `socketcall()`),
//! so the filter could not recognise socket creation there.
//! `io_uring_setup()`, `io_uring_enter()` and `io_uring_register()` are
//! denied because io_uring can create and connect sockets
//! (`IORING_OP_SOCKET`) without the system calls seccomp sees: no new
//! ring, and no submission to a ring opened before or received over a
//! unix socket. An `IORING_SETUP_SQPOLL` ring's kernel thread submits
//! without `io_uring_enter()` while it is awake, which no filter can stop.
//! `ptrace()`, `process_vm_readv()`, `process_vm_writev()` and
//! `pidfd_getfd()` are denied because through another process, or its
//! sockets, the confined one would use that process's network access; the
//! filter cannot tell a confined target from another, so it denies them
//! all (`/proc/PID/mem` is an `open()`: Landlock's domain covers it, where
//! there is one). `request_key()` is denied because a key type with an
//! upcall (`dns_resolver`) has the kernel start `/sbin/request-key`,
//! unrestricted, to look up a name the caller chose: a DNS query out.

#![cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code, unused_imports)
)]

use libc::{sock_filter, sock_fprog};

use nix::errno::Errno;

use crate::error::Error;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7; // AUDIT_ARCH_AARCH64

// Classic BPF opcodes (linux/bpf_common.h): class | size/op | mode/src.
const BPF_LD: u16 = 0x00;
const BPF_ALU: u16 = 0x04;
const BPF_JMP: u16 = 0x05;
const BPF_RET: u16 = 0x06;
const BPF_W: u16 = 0x00;
const BPF_ABS: u16 = 0x20;
const BPF_AND: u16 = 0x50;
const BPF_JEQ: u16 = 0x10;
const BPF_K: u16 = 0x00;
const BPF_LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
const BPF_JMP_JEQ_K: u16 = BPF_JMP | BPF_JEQ | BPF_K;
const BPF_ALU_AND_K: u16 = BPF_ALU | BPF_AND | BPF_K;
const BPF_RET_K: u16 = BPF_RET | BPF_K;

// offsetof(struct seccomp_data, ...)
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
#[cfg(target_endian = "little")]
const OFF_ARG0_LOW: u32 = 16;
#[cfg(target_endian = "big")]
const OFF_ARG0_LOW: u32 = 20;

const fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// System calls the filter refuses with `EPERM` whatever their arguments.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn denied_syscalls() -> Vec<u32> {
    let mut nrs = vec![
        libc::SYS_io_uring_setup as u32,
        libc::SYS_io_uring_enter as u32,
        libc::SYS_io_uring_register as u32,
        libc::SYS_ptrace as u32,
        libc::SYS_process_vm_readv as u32,
        libc::SYS_process_vm_writev as u32,
        libc::SYS_pidfd_getfd as u32,
        libc::SYS_request_key as u32,
    ];
    if cfg!(target_arch = "x86_64") {
        // x32 has its own numbers for these three (arch/x86/entry/syscalls/
        // syscall_64.tbl: 521 ptrace, 539/540 process_vm_readv/writev).
        nrs.extend([521, 539, 540]);
    }
    nrs
}

/// The filter program for the target architecture.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) fn program() -> Vec<sock_filter> {
    let checked = [libc::SYS_socket as u32, libc::SYS_socketpair as u32];
    let denied = denied_syscalls();
    let mut p = vec![
        stmt(BPF_LD_W_ABS, OFF_ARCH),
        jump(BPF_JMP_JEQ_K, AUDIT_ARCH, 1, 0),
        stmt(BPF_RET_K, libc::SECCOMP_RET_KILL_PROCESS),
        stmt(BPF_LD_W_ABS, OFF_NR),
    ];
    if cfg!(target_arch = "x86_64") {
        // x32 system calls come with arch X86_64 and nr | __X32_SYSCALL_BIT;
        // socket, socketpair and the others share the 64-bit numbers, but
        // for those in denied_syscalls().
        p.push(stmt(BPF_ALU_AND_K, !0x4000_0000));
    }
    // Offsets below are relative to the instruction after the jump.
    let check = checked.len() + denied.len();
    let (allow, deny) = (check + 2, check + 3);
    for (i, &nr) in checked.iter().enumerate() {
        p.push(jump(BPF_JMP_JEQ_K, nr, (check - i - 1) as u8, 0));
    }
    for (j, &nr) in denied.iter().enumerate() {
        let i = checked.len() + j;
        let jf = if j + 1 == denied.len() {
            allow - i - 1
        } else {
            0
        };
        p.push(jump(BPF_JMP_JEQ_K, nr, (deny - i - 1) as u8, jf as u8));
    }
    p.extend([
        // check:
        stmt(BPF_LD_W_ABS, OFF_ARG0_LOW),
        jump(BPF_JMP_JEQ_K, libc::AF_UNIX as u32, 0, 1), // -> allow / deny
        // allow:
        stmt(BPF_RET_K, libc::SECCOMP_RET_ALLOW),
        // deny:
        stmt(
            BPF_RET_K,
            libc::SECCOMP_RET_ERRNO | (libc::EPERM as u32 & libc::SECCOMP_RET_DATA),
        ),
    ]);
    p
}

/// Installs the filter on the calling thread, and with `all_threads` on
/// every thread of the process (`SECCOMP_FILTER_FLAG_TSYNC`, which also
/// gives them `no_new_privs` when the caller has it). Needs `no_new_privs`
/// or `CAP_SYS_ADMIN` ([`Error::NoNewPrivsRequired`] otherwise). Returns
/// `Ok(false)` when the kernel has no seccomp filter support (`EINVAL`,
/// `ENOSYS`) or the architecture has no filter.
///
/// TSYNC is all or nothing: when another thread has a filter stack that
/// is not an ancestor of the caller's, nothing is installed and the error
/// is [`Error::SeccompThreadsDiffer`] (`SECCOMP_FILTER_FLAG_TSYNC_ESRCH`,
/// Linux 5.7, makes the kernel say `ESRCH`; older kernels return the
/// thread's ID instead, which is reported as well).
pub(crate) fn install(all_threads: bool) -> Result<bool, Error> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let mut filter = program();
        let prog = sock_fprog {
            len: filter.len() as libc::c_ushort,
            filter: filter.as_mut_ptr(),
        };
        let seccomp = |flags: libc::c_ulong| {
            // SAFETY: prog points to a valid filter array that outlives the
            // call (the kernel copies it); the other arguments are integers.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER as libc::c_ulong,
                    flags,
                    &prog as *const sock_fprog,
                )
            };
            (r, Errno::last_raw())
        };
        let (mut r, mut errno) = if all_threads {
            seccomp(libc::SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH)
        } else {
            seccomp(0)
        };
        if all_threads && r < 0 && errno == libc::EINVAL {
            // Before Linux 5.7 TSYNC_ESRCH is unknown: a failing TSYNC then
            // returns the ID of the thread in the way.
            (r, errno) = seccomp(libc::SECCOMP_FILTER_FLAG_TSYNC);
        }
        if r == 0 {
            return Ok(true);
        }
        if r > 0 {
            return Err(Error::SeccompThreadsDiffer {
                thread: Some(r as libc::pid_t),
            });
        }
        match errno {
            libc::EINVAL | libc::ENOSYS => Ok(false),
            libc::EACCES => Err(Error::NoNewPrivsRequired),
            libc::ESRCH if all_threads => Err(Error::SeccompThreadsDiffer { thread: None }),
            errno => Err(Error::Os {
                operation: "seccomp(SECCOMP_SET_MODE_FILTER)",
                errno,
            }),
        }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = all_threads;
        Ok(false)
    }
}

/// `linux/seccomp.h` (Linux 5.7); not in every libc release.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const SECCOMP_FILTER_FLAG_TSYNC_ESRCH: libc::c_ulong = 1 << 4;

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod tests {
    use super::*;

    /// Every jump lands inside the program, and every path ends in a
    /// return: the kernel would reject the filter otherwise, but this
    /// catches an off-by-one in the offsets before that.
    #[test]
    fn jumps_stay_in_program_and_end_in_ret() {
        let p = program();
        for (i, ins) in p.iter().enumerate() {
            if ins.code == BPF_JMP_JEQ_K {
                for off in [ins.jt, ins.jf] {
                    let target = i + 1 + off as usize;
                    assert!(target < p.len(), "jump at {i} leaves the program");
                }
            }
        }
        assert_eq!(p.last().unwrap().code, BPF_RET_K);
    }

    /// Runs the classic BPF program on a seccomp_data, as the kernel does.
    fn run(p: &[sock_filter], nr: u32, arch: u32, arg0: u64) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&nr.to_ne_bytes());
        data[4..8].copy_from_slice(&arch.to_ne_bytes());
        data[16..24].copy_from_slice(&arg0.to_ne_bytes());
        let (mut a, mut pc) = (0u32, 0usize);
        loop {
            let ins = p[pc];
            pc += 1;
            match ins.code {
                BPF_LD_W_ABS => {
                    let o = ins.k as usize;
                    a = u32::from_ne_bytes(data[o..o + 4].try_into().unwrap());
                }
                BPF_ALU_AND_K => a &= ins.k,
                BPF_JMP_JEQ_K => pc += if a == ins.k { ins.jt } else { ins.jf } as usize,
                BPF_RET_K => return ins.k,
                c => panic!("unexpected opcode {c:#x}"),
            }
        }
    }

    #[test]
    fn filter_decisions() {
        let p = program();
        let deny = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
        let allow = libc::SECCOMP_RET_ALLOW;
        let s = libc::SYS_socket as u32;
        let sp = libc::SYS_socketpair as u32;
        let af_unix = libc::AF_UNIX as u64;
        let af_inet = libc::AF_INET as u64;
        assert_eq!(run(&p, s, AUDIT_ARCH, af_unix), allow);
        assert_eq!(run(&p, s, AUDIT_ARCH, af_inet), deny);
        assert_eq!(run(&p, s, AUDIT_ARCH, libc::AF_INET6 as u64), deny);
        assert_eq!(run(&p, sp, AUDIT_ARCH, af_unix), allow);
        assert_eq!(run(&p, sp, AUDIT_ARCH, af_inet), deny);
        // The kernel reads the family as an int: high bits are ignored.
        assert_eq!(run(&p, s, AUDIT_ARCH, (1 << 32) | af_unix), allow);
        assert_eq!(run(&p, s, AUDIT_ARCH, (1 << 32) | af_inet), deny);
        for nr in [
            libc::SYS_io_uring_setup,
            libc::SYS_io_uring_enter,
            libc::SYS_io_uring_register,
            libc::SYS_ptrace,
            libc::SYS_process_vm_readv,
            libc::SYS_process_vm_writev,
            libc::SYS_pidfd_getfd,
            libc::SYS_request_key,
        ] {
            assert_eq!(run(&p, nr as u32, AUDIT_ARCH, 0), deny, "nr {nr}");
        }
        assert_eq!(run(&p, libc::SYS_pidfd_open as u32, AUDIT_ARCH, 0), allow);
        assert_eq!(run(&p, libc::SYS_connect as u32, AUDIT_ARCH, 3), allow);
        assert_eq!(run(&p, libc::SYS_read as u32, AUDIT_ARCH, af_inet), allow);
        // Foreign ABI: killed.
        assert_eq!(
            run(&p, s, 0x4000_0003, af_unix),
            libc::SECCOMP_RET_KILL_PROCESS
        );
        if cfg!(target_arch = "x86_64") {
            // x32 socket(AF_INET) is denied too.
            assert_eq!(run(&p, 0x4000_0000 | s, AUDIT_ARCH, af_inet), deny);
            assert_eq!(run(&p, 0x4000_0000 | s, AUDIT_ARCH, af_unix), allow);
            // x32's own ptrace and process_vm_* numbers.
            for nr in [521, 539, 540] {
                assert_eq!(run(&p, 0x4000_0000 | nr, AUDIT_ARCH, 0), deny, "x32 {nr}");
            }
        }
    }
}
