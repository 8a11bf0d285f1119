//! Executing generated sequences against the kernel.
//!
//! A *world* is a forked child of the test process that sets up fixtures
//! (inet/inet6 TCP+UDP sockets on one port of lo, pathname and abstract
//! `AF_UNIX` stream listeners and dgram sockets, an unrestricted helper that
//! hands out sockets over SCM_RIGHTS), runs the operations in its main
//! thread and ships the outcomes back through a pipe.
//!
//! Each case runs two worlds one after the other: the *oracle*, which skips
//! every restricting prctl and so is an unrestricted process doing the same
//! socket operations, and the *subject*, which runs everything. Both get a
//! directory, abstract names and a fixture port of their own, with names of
//! equal length, so symbolic addresses encode alike.

//! Fixtures, the donor, the forks and the tracing accesses use `nix`. The
//! operations under test stay raw `libc`: the model generates any family,
//! type, protocol, socket option and control message, and malformed
//! address lengths, which nix's typed wrappers cannot express on purpose.

use std::ffi::CString;
use std::fs::File;
use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::mpsc;

use nix::cmsg_space;
use nix::fcntl::OFlag;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::ptrace;
use nix::sys::signal::{kill, Signal};
use nix::sys::socket::{
    bind, getsockname, listen, recvmsg, sendmsg, socket, socketpair, AddressFamily, Backlog,
    ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, SockaddrIn, SockaddrIn6,
    UnixAddr,
};
use nix::sys::uio::{process_vm_readv, process_vm_writev, RemoteIoVec};
use nix::unistd::{getpid, pipe2, Pid};

use crate::addr::{AddrCtx, Encoded, NameRef, PathRef};
use crate::fork;
use crate::ops::{Op, PtraceDir, PtraceHow, ThreadAction, NSLOTS, NTHREADS};
use crate::outcome::Outcome;
use crate::probe;
use crate::sys::{self, errno, nix_outcome, outcome, Exit};

/// Which world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Unrestricted: restricting prctls are skipped.
    Oracle,
    /// Runs every operation.
    Subject,
}

/// What a world reports.
#[derive(Clone, Debug)]
pub struct WorldResult {
    /// The world's address context.
    pub ctx: AddrCtx,
    /// One outcome per operation.
    pub outcomes: Vec<Outcome>,
}

/// A byte other processes read and write with process_vm_readv/writev.
static TARGET: AtomicU8 = AtomicU8::new(0);
static CASE: AtomicU32 = AtomicU32::new(0);

/// A fresh case number (distinct directories and abstract names).
pub fn next_case() -> u32 {
    CASE.fetch_add(1, Ordering::Relaxed)
}

/// Directory and abstract-name tag of a world (pure function of the test
/// process pid, the case number and the role: equal lengths for both roles).
pub fn world_names(case: u32, role: Role) -> (String, String) {
    let r = match role {
        Role::Oracle => 'o',
        Role::Subject => 's',
    };
    let tag = format!("{}-{case:06}-{r}", std::process::id());
    let base = std::env::temp_dir();
    let dir = base.join(format!("pn-{tag}"));
    (dir.to_string_lossy().into_owned(), tag)
}

struct Parked {
    tx: mpsc::Sender<ThreadAction>,
    rx: mpsc::Receiver<Outcome>,
}

struct World {
    role: Role,
    ctx: AddrCtx,
    slots: [i32; NSLOTS],
    donor: i32,
    donor_pid: libc::pid_t,
    threads: Vec<Option<Parked>>,
    devnull: i32,
    probe: Option<CString>,
    _fixtures: Vec<i32>,
}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL in path")
}

fn sock(family: AddressFamily, ty: SockType) -> Result<OwnedFd, String> {
    socket(family, ty, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| format!("socket({family:?}, {ty:?}): {e}"))
}

fn backlog() -> Backlog {
    Backlog::new(64).expect("64 is a valid backlog")
}

/// Bind inet TCP listener + UDP socket on 127.0.0.1:P and [::1]:P (v6 only
/// if available); returns P and the descriptors.
fn inet_fixtures() -> Result<(u16, Vec<i32>), String> {
    for _ in 0..32 {
        let mut fds = Vec::new();
        let tcp = sock(AddressFamily::Inet, SockType::Stream)?;
        bind(tcp.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, 0))
            .map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
        let port = getsockname::<SockaddrIn>(tcp.as_raw_fd())
            .map_err(|e| format!("getsockname: {e}"))?
            .port();
        let _ = listen(&tcp, backlog());
        fds.push(tcp);
        let udp = sock(AddressFamily::Inet, SockType::Datagram)?;
        if bind(udp.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, port)).is_err() {
            continue; // both closed on drop
        }
        fds.push(udp);
        // IPv6: same port, best effort (the oracle world meets the same).
        let v6 = SockaddrIn6::from(SocketAddrV6::new(Ipv6Addr::LOCALHOST, port, 0, 0));
        for ty in [SockType::Stream, SockType::Datagram] {
            if let Ok(fd) = sock(AddressFamily::Inet6, ty) {
                if bind(fd.as_raw_fd(), &v6).is_ok() {
                    if ty == SockType::Stream {
                        let _ = listen(&fd, backlog());
                    }
                    fds.push(fd);
                }
            }
        }
        return Ok((port, fds.into_iter().map(IntoRawFd::into_raw_fd).collect()));
    }
    Err("no free fixture port found".into())
}

/// A unix socket bound to `name`: abstract if it starts with NUL, else a
/// pathname.
fn unix_fixture(ty: SockType, name: &[u8], listen_too: bool) -> Result<i32, String> {
    let fd = sock(AddressFamily::Unix, ty)?;
    let addr = match name.split_first() {
        Some((0, abstract_name)) => UnixAddr::new_abstract(abstract_name),
        _ => UnixAddr::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name)),
    };
    addr.and_then(|a| bind(fd.as_raw_fd(), &a))
        .map_err(|e| format!("bind unix {:?}: {e}", String::from_utf8_lossy(name)))?;
    if listen_too {
        let _ = listen(&fd, backlog());
    }
    Ok(fd.into_raw_fd())
}

/// The donor: an unrestricted process that creates sockets on request and
/// passes them back over SCM_RIGHTS.
fn spawn_donor() -> Result<(i32, libc::pid_t), String> {
    let (parent, child) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| format!("socketpair: {e}"))?;
    // SAFETY: the child loops on simple syscalls and _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err("fork donor".into());
    }
    if pid == 0 {
        drop(parent);
        let mut requests = File::from(child.try_clone().expect("dup"));
        loop {
            let mut req = [0u8; 12];
            if requests.read_exact(&mut req).is_err() {
                sys::exit_child(0);
            }
            let word = |i: usize| i32::from_ne_bytes(req[4 * i..4 * i + 4].try_into().unwrap());
            // Any family, type and protocol the model asks for: raw.
            // SAFETY: plain syscall.
            let fd = unsafe { libc::socket(word(0), word(1) | libc::SOCK_CLOEXEC, word(2)) };
            let err: i32 = if fd < 0 { errno() } else { 0 };
            send_with_fd(
                child.as_raw_fd(),
                &err.to_ne_bytes(),
                if fd >= 0 { Some(fd) } else { None },
            );
            sys::close(fd);
        }
    }
    drop(child);
    Ok((parent.into_raw_fd(), pid))
}

fn send_with_fd(sock: i32, data: &[u8], fd: Option<i32>) {
    let fds: Vec<i32> = fd.into_iter().collect();
    let cmsgs: Vec<ControlMessage> = if fds.is_empty() {
        Vec::new()
    } else {
        vec![ControlMessage::ScmRights(&fds)]
    };
    let _ = sendmsg::<()>(sock, &[IoSlice::new(data)], &cmsgs, MsgFlags::empty(), None);
}

/// Receive 4 bytes of errno and maybe a descriptor.
fn recv_with_fd(sock: i32) -> Result<(i32, Option<i32>), i32> {
    let mut data = [0u8; 4];
    let mut iov = [IoSliceMut::new(&mut data)];
    let mut cbuf = cmsg_space!(i32);
    let msg = recvmsg::<()>(sock, &mut iov, Some(&mut cbuf), MsgFlags::MSG_CMSG_CLOEXEC)
        .map_err(|e| e as i32)?;
    if msg.bytes != 4 {
        return Err(errno());
    }
    let fd = msg.cmsgs().ok().and_then(|mut c| {
        c.find_map(|m| match m {
            ControlMessageOwned::ScmRights(fds) => fds.first().copied(),
            _ => None,
        })
    });
    Ok((i32::from_ne_bytes(data), fd))
}

const SEND_FLAGS: i32 = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;

impl World {
    fn setup(role: Role, case: u32, probe: Option<&str>) -> Result<World, String> {
        let (dir, tag) = world_names(case, role);
        std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {dir}: {e}"))?;
        std::env::set_current_dir(&dir).map_err(|e| format!("chdir {dir}: {e}"))?;
        let _ = sys::allow_any_ptracer();
        let devnull = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_or(-1, IntoRawFd::into_raw_fd);
        let (port, mut fixtures) = inet_fixtures()?;
        // Pathnames are relative to the world's directory, so that even
        // truncated or malformed names stay inside it.
        let ctx = AddrCtx {
            dir: ".".into(),
            tag,
            port,
        };
        let p = |r| ctx.path(r).into_bytes();
        let a = |n| {
            let mut v = vec![0u8];
            v.extend_from_slice(ctx.abstract_name(n).as_bytes());
            v
        };
        fixtures.push(unix_fixture(
            SockType::Stream,
            &p(PathRef::FixtureStream),
            true,
        )?);
        fixtures.push(unix_fixture(
            SockType::Datagram,
            &p(PathRef::FixtureDgram),
            false,
        )?);
        fixtures.push(unix_fixture(
            SockType::Stream,
            &a(NameRef::FixtureStream),
            true,
        )?);
        fixtures.push(unix_fixture(
            SockType::Datagram,
            &a(NameRef::FixtureDgram),
            false,
        )?);
        let (donor, donor_pid) = spawn_donor()?;
        Ok(World {
            role,
            ctx,
            slots: [-1; NSLOTS],
            donor,
            donor_pid,
            threads: (0..NTHREADS).map(|_| None).collect(),
            devnull,
            probe: probe.map(cstr),
            _fixtures: fixtures,
        })
    }

    fn take_slot(&mut self, s: usize) {
        sys::close(self.slots[s]);
        self.slots[s] = -1;
    }

    fn run(&mut self, op: &Op) -> Outcome {
        if self.role == Role::Oracle && !op.runs_in_oracle() {
            return Outcome::Skipped;
        }
        match op {
            Op::SetNetwork { flags, a3, a4, a5 } => sys::set_network(*flags, *a3, *a4, *a5),
            Op::GetNetwork { a2, a3, a4, a5 } => sys::get_network(*a2, *a3, *a4, *a5),
            Op::NoNewPrivs => sys::set_nnp().ok_as_zero(),
            Op::DropSysAdmin => sys::drop_sys_admin().ok_as_zero(),
            Op::Socket {
                slot,
                family,
                ty,
                proto,
            } => {
                self.take_slot(slot.0);
                // SAFETY: plain syscall.
                let fd = unsafe { libc::socket(*family, *ty, *proto) };
                if fd < 0 {
                    return Outcome::Err(errno());
                }
                self.slots[slot.0] = fd;
                Outcome::Ok(0)
            }
            Op::SocketPair {
                slot,
                family,
                ty,
                proto,
            } => {
                let other = (slot.0 + 1) % NSLOTS;
                self.take_slot(slot.0);
                self.take_slot(other);
                let mut sv = [-1; 2];
                // SAFETY: sv has room for two descriptors.
                let r = unsafe { libc::socketpair(*family, *ty, *proto, sv.as_mut_ptr()) };
                if r < 0 {
                    return Outcome::Err(errno());
                }
                self.slots[slot.0] = sv[0];
                self.slots[other] = sv[1];
                Outcome::Ok(0)
            }
            Op::Receive { slot, family, ty } => {
                self.take_slot(slot.0);
                let mut req = Vec::with_capacity(12);
                for w in [*family, *ty, 0i32] {
                    req.extend_from_slice(&w.to_ne_bytes());
                }
                let _ = send_bytes(self.donor, &req);
                match recv_with_fd(self.donor) {
                    Err(e) => Outcome::Err(e),
                    Ok((0, Some(fd))) => {
                        self.slots[slot.0] = fd;
                        Outcome::Ok(0)
                    }
                    Ok((0, None)) => Outcome::Err(-1),
                    Ok((e, _)) => Outcome::Err(e),
                }
            }
            Op::Bind { slot, addr } => {
                let e = addr.encode(&self.ctx);
                // SAFETY: e.ptr() is NULL or points to 256 readable bytes.
                outcome(unsafe { libc::bind(self.slots[slot.0], e.ptr(), e.len) } as libc::c_long)
            }
            Op::Connect { slot, addr } => {
                let e = addr.encode(&self.ctx);
                // SAFETY: as for bind.
                outcome(unsafe { libc::connect(self.slots[slot.0], e.ptr(), e.len) } as libc::c_long)
            }
            Op::Listen { slot } => {
                // SAFETY: plain syscall.
                outcome(unsafe { libc::listen(self.slots[slot.0], 64) } as libc::c_long)
            }
            Op::SendTo { slot, addr } => {
                let e = addr.as_ref().map(|a| a.encode(&self.ctx));
                let (p, l) = match &e {
                    Some(e) => (e.ptr(), e.len),
                    None => (std::ptr::null(), 0),
                };
                // SAFETY: one readable byte; p NULL or 256 readable bytes.
                let r = unsafe {
                    libc::sendto(
                        self.slots[slot.0],
                        b"x".as_ptr().cast(),
                        1,
                        SEND_FLAGS,
                        p,
                        l,
                    )
                };
                outcome(r as libc::c_long)
            }
            Op::SendMsg { slot, addr } => {
                let e = addr.as_ref().map(|a| a.encode(&self.ctx));
                let mut iov = libc::iovec {
                    iov_base: b"x".as_ptr() as *mut libc::c_void,
                    iov_len: 1,
                };
                let msg = msghdr(e.as_ref(), &mut iov);
                // SAFETY: msg points to valid buffers.
                outcome(
                    unsafe { libc::sendmsg(self.slots[slot.0], &msg, SEND_FLAGS) } as libc::c_long,
                )
            }
            Op::SendMmsg { slot, addrs } => {
                let enc: Vec<Option<Encoded>> = addrs
                    .iter()
                    .map(|a| a.as_ref().map(|a| a.encode(&self.ctx)))
                    .collect();
                let mut iovs: Vec<libc::iovec> = enc
                    .iter()
                    .map(|_| libc::iovec {
                        iov_base: b"x".as_ptr() as *mut libc::c_void,
                        iov_len: 1,
                    })
                    .collect();
                let mut msgs: Vec<libc::mmsghdr> = enc
                    .iter()
                    .zip(iovs.iter_mut())
                    .map(|(e, iov)| libc::mmsghdr {
                        msg_hdr: msghdr(e.as_ref(), iov),
                        msg_len: 0,
                    })
                    .collect();
                // SAFETY: msgs point to valid buffers.
                let r = unsafe {
                    libc::sendmmsg(
                        self.slots[slot.0],
                        msgs.as_mut_ptr(),
                        msgs.len() as u32,
                        SEND_FLAGS,
                    )
                };
                outcome(r as libc::c_long)
            }
            Op::Close { slot } => {
                if self.slots[slot.0] < 0 {
                    return Outcome::Skipped;
                }
                self.take_slot(slot.0);
                Outcome::Ok(0)
            }
            Op::Fork => {
                // SAFETY: the child only computes the report and _exits.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    sys::exit_child(probe::report() as i32);
                }
                exit_code(pid)
            }
            Op::Thread => match std::thread::spawn(probe::report).join() {
                Ok(c) => Outcome::Ok(c as i64),
                Err(_) => Outcome::Err(-1),
            },
            Op::SpawnThread { t } => {
                let t = *t as usize;
                if self.threads[t].is_some() {
                    return Outcome::Ok(1);
                }
                let (tx, trx) = mpsc::channel::<ThreadAction>();
                let (ttx, rx) = mpsc::channel::<Outcome>();
                std::thread::spawn(move || {
                    while let Ok(a) = trx.recv() {
                        let o = match a {
                            ThreadAction::Get => sys::get_network(0, 0, 0, 0),
                            ThreadAction::SetOff => sys::set_off(),
                            ThreadAction::SetOffTsync => sys::set_off_tsync(),
                            ThreadAction::NoNewPrivs => sys::set_nnp().ok_as_zero(),
                            ThreadAction::InetSocket => sys::try_inet_socket(),
                        };
                        if ttx.send(o).is_err() {
                            break;
                        }
                    }
                });
                self.threads[t] = Some(Parked { tx, rx });
                Outcome::Ok(0)
            }
            Op::InThread { t, action } => match &self.threads[*t as usize] {
                None => Outcome::Skipped,
                Some(p) => {
                    if p.tx.send(*action).is_err() {
                        return Outcome::Err(-1);
                    }
                    p.rx.recv().unwrap_or(Outcome::Err(-1))
                }
            },
            Op::Exec { nnp } => {
                let Some(probe) = self.probe.clone() else {
                    return Outcome::Skipped;
                };
                let devnull = self.devnull;
                // Raw between fork and exec: only async-signal-safe calls
                // without allocation (nix's execv builds its argv vector),
                // the world may have threads.
                // SAFETY: the child only makes syscalls before execv/_exit.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    unsafe {
                        if *nnp {
                            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                        }
                        libc::dup2(devnull, 1);
                        libc::dup2(devnull, 2);
                        let argv = [probe.as_ptr(), std::ptr::null()];
                        libc::execv(probe.as_ptr(), argv.as_ptr());
                        libc::_exit(127);
                    }
                }
                exit_code(pid)
            }
            Op::Ptrace {
                how,
                dir,
                child_off,
            } => ptrace_op(*how, *dir, *child_off, self.devnull),
            Op::SetSockOpt {
                slot,
                level,
                optname,
            } => {
                let zero: libc::c_int = 0;
                // SAFETY: four readable bytes.
                let r = unsafe {
                    libc::setsockopt(
                        self.slots[slot.0],
                        *level,
                        *optname,
                        (&zero as *const libc::c_int).cast(),
                        4,
                    )
                };
                outcome(r as libc::c_long)
            }
            Op::SendCmsg { slot, level, ty } => send_with_cmsg(self.slots[slot.0], *level, *ty),
            Op::Tiocsti => tiocsti(),
            Op::TunAttach => tun_attach(self.role),
            Op::SelfAccess => {
                if let Err(e) = open_rw("/proc/self/mem") {
                    return Outcome::Err(e);
                }
                match vm_rw(getpid().as_raw(), false) {
                    Outcome::Ok(_) => Outcome::Ok(0),
                    o => o,
                }
            }
        }
    }

    fn finish(self) {
        sys::close(self.donor);
        sys::wait_exit(self.donor_pid);
    }
}

/// `sendmsg()` of one byte, no address, one control message `(level, ty)`
/// carrying an `int` 1.
fn send_with_cmsg(fd: i32, level: i32, ty: i32) -> Outcome {
    #[repr(C, align(8))]
    struct Control([u8; 64]);
    let mut control = Control([0; 64]);
    let mut iov = libc::iovec {
        iov_base: b"x".as_ptr() as *mut libc::c_void,
        iov_len: 1,
    };
    let mut msg = msghdr(None, &mut iov);
    msg.msg_control = control.0.as_mut_ptr().cast();
    // SAFETY: CMSG_* compute sizes and walk our own 64-byte buffer, which
    // holds one header and an int.
    unsafe {
        msg.msg_controllen = libc::CMSG_SPACE(4) as _;
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = level;
        (*c).cmsg_type = ty;
        (*c).cmsg_len = libc::CMSG_LEN(4) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<libc::c_int>(), 1);
        outcome(libc::sendmsg(fd, &msg, SEND_FLAGS) as libc::c_long)
    }
}

/// `TIOCSTI` of one character into a fresh pseudo-terminal's slave (not a
/// controlling terminal: the kernel itself then wants CAP_SYS_ADMIN).
fn tiocsti() -> Outcome {
    let master = match posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC) {
        Ok(m) => m,
        Err(e) => return Outcome::Err(e as i32),
    };
    let name = match grantpt(&master)
        .and_then(|()| unlockpt(&master))
        .and_then(|()| ptsname_r(&master))
    {
        Ok(name) => name,
        Err(e) => return Outcome::Err(e as i32),
    };
    let slave = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(name)
    {
        Ok(f) => f,
        Err(e) => return Outcome::Err(e.raw_os_error().unwrap_or(-1)),
    };
    let c: libc::c_char = b'x' as libc::c_char;
    // nix has no TIOCSTI wrapper (its ioctl macros make unsafe functions
    // too). SAFETY: TIOCSTI reads one char from our own variable.
    outcome(unsafe { libc::ioctl(slave.as_raw_fd(), libc::TIOCSTI, &c) } as libc::c_long)
}

/// `open("/dev/net/tun")` and `TUNSETIFF` of a new, non-persistent TAP
/// device, named after the world (gone again when the file closes).
fn tun_attach(role: Role) -> Outcome {
    const TUNSETIFF: libc::c_ulong = 0x400454ca;
    const IFF_TAP: libc::c_short = 0x0002;
    const IFF_NO_PI: libc::c_short = 0x1000;
    #[repr(C)]
    struct IfReq {
        name: [u8; 16],
        flags: libc::c_short,
        pad: [u8; 22],
    }
    let r = match role {
        Role::Oracle => 'o',
        Role::Subject => 's',
    };
    let name = format!("pn{r}{}", getpid().as_raw() % 1_000_000);
    let mut req = IfReq {
        name: [0; 16],
        flags: IFF_TAP | IFF_NO_PI,
        pad: [0; 22],
    };
    req.name[..name.len()].copy_from_slice(name.as_bytes());
    // SAFETY: plain syscalls on our own descriptor and request.
    unsafe {
        let fd = libc::open(c"/dev/net/tun".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if fd < 0 {
            return Outcome::Err(errno());
        }
        let r = outcome(libc::ioctl(fd, TUNSETIFF, &mut req) as libc::c_long);
        sys::close(fd);
        r
    }
}

fn msghdr(e: Option<&Encoded>, iov: &mut libc::iovec) -> libc::msghdr {
    // SAFETY: all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(e) = e {
        msg.msg_name = e.ptr() as *mut libc::c_void;
        msg.msg_namelen = e.len;
    }
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg
}

fn exit_code(pid: libc::pid_t) -> Outcome {
    if pid < 0 {
        return Outcome::Err(errno());
    }
    match sys::wait_exit(pid) {
        Exit::Code(c) => Outcome::Ok(c as i64),
        Exit::Signal(sig) => Outcome::Err(-sig),
    }
}

/// One byte of process_vm_readv/writev into `pid`'s [`TARGET`].
fn vm_rw(pid: libc::pid_t, write: bool) -> Outcome {
    let mut local = [7u8; 1];
    // Same layout in a fork: TARGET is at the same address there.
    let remote = [RemoteIoVec {
        base: TARGET.as_ptr() as usize,
        len: 1,
    }];
    let pid = Pid::from_raw(pid);
    let r = if write {
        process_vm_writev(pid, &[IoSlice::new(&local)], &remote)
    } else {
        process_vm_readv(pid, &mut [IoSliceMut::new(&mut local)], &remote)
    };
    match r {
        Ok(n) => Outcome::Ok(n as i64),
        Err(e) => Outcome::Err(e as i32),
    }
}

/// `open(path, O_RDWR | O_CLOEXEC)`, closed again; the errno on failure.
fn open_rw(path: &str) -> Result<(), i32> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map(drop)
        .map_err(|e| e.raw_os_error().unwrap_or(-1))
}

/// Write `data` to a raw descriptor we keep (the donor's socket).
fn send_bytes(fd: i32, data: &[u8]) -> nix::Result<usize> {
    nix::sys::socket::send(fd, data, MsgFlags::empty())
}

/// Perform one access to `pid`; `Ok(0)` or the errno.
fn access(how: PtraceHow, pid: libc::pid_t, devnull: i32) -> Outcome {
    let target = Pid::from_raw(pid);
    let r: Outcome = match how {
        PtraceHow::Attach => nix_outcome(ptrace::attach(target)),
        PtraceHow::Seize => nix_outcome(ptrace::seize(target, ptrace::Options::empty())),
        PtraceHow::TraceMe => nix_outcome(ptrace::traceme()),
        PtraceHow::ProcMem => match open_rw(&format!("/proc/{pid}/mem")) {
            Ok(()) => Outcome::Ok(0),
            Err(e) => Outcome::Err(e),
        },
        PtraceHow::VmWritev => vm_rw(pid, true),
        PtraceHow::VmReadv => vm_rw(pid, false),
        // nix has no pidfd_open/pidfd_getfd.
        // SAFETY: integer-only system calls; the descriptors are ours.
        PtraceHow::PidfdGetfd => unsafe {
            let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0);
            if pidfd < 0 {
                return Outcome::Err(errno());
            }
            let fd = libc::syscall(libc::SYS_pidfd_getfd, pidfd as i32, devnull, 0);
            let o = outcome(fd);
            sys::close(fd as i32);
            sys::close(pidfd as i32);
            o
        },
    };
    r.ok_as_zero()
}

/// Fork a child (optionally restricting itself) and access across.
pub fn ptrace_op(how: PtraceHow, dir: PtraceDir, child_off: bool, devnull: i32) -> Outcome {
    let world = getpid().as_raw();
    let (ready_r, ready_w) = pipe2(OFlag::O_CLOEXEC).expect("pipe2");
    let (go_r, go_w) = pipe2(OFlag::O_CLOEXEC).expect("pipe2");
    let (mut ready_r, mut ready_w) = (File::from(ready_r), File::from(ready_w));
    let mut go_r = File::from(go_r);
    let child_acts = how == PtraceHow::TraceMe || dir == PtraceDir::ChildToParent;
    // SAFETY: the child makes plain syscalls and _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Outcome::Err(errno());
    }
    let mut b = [0u8; 1];
    if pid == 0 {
        drop(ready_r);
        drop(go_w);
        if child_off {
            let _ = sys::set_off();
        }
        if child_acts {
            let code = match access(how, world, devnull) {
                Outcome::Ok(_) => 0,
                Outcome::Err(e) => e.clamp(1, 250),
                Outcome::Skipped => 251,
            };
            sys::exit_child(code);
        }
        let _ = ready_w.write_all(b"r");
        // Blocks until the parent closes go_w.
        let _ = go_r.read(&mut b);
        sys::exit_child(0);
    }
    drop(ready_w);
    drop(go_r);
    let result = if child_acts {
        match exit_code(pid) {
            Outcome::Ok(0) => Outcome::Ok(0),
            Outcome::Ok(e) => Outcome::Err(e as i32),
            o => o,
        }
    } else {
        let _ = ready_r.read(&mut b);
        let o = access(how, pid, devnull);
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        sys::wait_exit(pid);
        o
    };
    drop(go_w);
    result
}

/// Run `ops` in a fresh forked world; the parent gets the outcomes.
pub fn run_world(
    ops: &[Op],
    role: Role,
    case: u32,
    probe: Option<&str>,
) -> Result<WorldResult, String> {
    let (dir, _) = world_names(case, role);
    let res = fork::in_child(|| {
        let trace = crate::runner::verbose();
        let mut w = World::setup(role, case, probe)?;
        let mut out = format!("{}\n{}\n{}\n", w.ctx.port, w.ctx.dir, w.ctx.tag);
        for (i, op) in ops.iter().enumerate() {
            if trace {
                crate::runner::say(&format!("PN_TRACE case {case} {role:?} #{i} {op:?}"));
            }
            let o = w.run(op);
            out.push_str(&o.to_wire());
            out.push('\n');
        }
        w.finish();
        Ok(out)
    });
    let _ = std::fs::remove_dir_all(&dir);
    let text = res.map_err(|e| format!("{role:?} world failed: {e}"))?;
    let mut lines = text.lines();
    let mut next = || lines.next().ok_or("short world output").map(str::to_string);
    let port = next()?.parse().map_err(|_| "bad port line".to_string())?;
    let ctx = AddrCtx {
        port,
        dir: next()?,
        tag: next()?,
    };
    let outcomes = lines
        .map(|l| Outcome::from_wire(l).ok_or(format!("bad outcome line {l:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    if outcomes.len() != ops.len() {
        return Err(format!(
            "{role:?} world reported {} outcomes for {} ops",
            outcomes.len(),
            ops.len()
        ));
    }
    Ok(WorldResult { ctx, outcomes })
}
