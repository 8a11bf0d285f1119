//! The reference model: pure Rust, no syscalls. Written from
//! the specification, `Documentation/userspace-api/prctl-network.rst` (in `patches/0004-*`), and
//! the README's semantics tables, rule by rule.
//!
//! * [`Creds`] is one task's state (flags word, no_new_privs, whether it has
//!   CAP_SYS_ADMIN in its user namespace) with the prctl rules.
//! * The free functions are the per-hook rules: [`socket_create`],
//!   [`address_rule`], [`ptrace_access`], [`traceme`], [`uring_personality`].
//! * [`Model`] tracks a whole generated sequence (main thread, parked
//!   threads, socket slots) and predicts each [`Op`].

use crate::abi::{PR_NETWORK_ALL_FLAGS, PR_NETWORK_OFF, PR_NETWORK_TSYNC};
use crate::addr::{AddrCtx, Encoded, SOCKADDR_STORAGE};
use crate::channels;
use crate::ops::{AddrSyscall, Op, PtraceDir, PtraceHow, ThreadAction, NSLOTS, NTHREADS};
use crate::outcome::{Outcome, Prediction};
use crate::probe;

/// `AF_MAX` of the pinned kernel (6.12: `AF_MCTP` = 45 is the last family).
pub const AF_MAX: i32 = 46;
/// `SOCK_MAX` (`SOCK_PACKET` + 1).
pub const SOCK_MAX: i32 = 11;
/// `SOCK_TYPE_MASK`.
pub const SOCK_TYPE_MASK: i32 = 0xf;

/// One task's credentials as far as the LSM is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Creds {
    /// The LSM flags word (`PR_NETWORK_OFF` or 0).
    pub flags: u32,
    /// `PR_SET_NO_NEW_PRIVS` has been set.
    pub nnp: bool,
    /// `ns_capable(current_user_ns(), CAP_SYS_ADMIN)`.
    pub sys_admin: bool,
}

impl Creds {
    /// A fresh, unrestricted task.
    pub fn new(sys_admin: bool) -> Creds {
        Creds {
            flags: 0,
            nnp: false,
            sys_admin,
        }
    }

    /// Is `PR_NETWORK_OFF` set?
    pub fn restricted(&self) -> bool {
        self.flags as u64 & PR_NETWORK_OFF != 0
    }

    /// `prctl(PR_SET_NETWORK, flags, a3, a4, a5)`: the five steps of
    /// the specification in their order; commits on success. `a3` holds
    /// the options ([`PR_NETWORK_TSYNC`]); what that option does to the
    /// sibling threads is [`Model`]'s business, this is the caller's part.
    pub fn set_network(&mut self, flags: u64, a3: u64, a4: u64, a5: u64) -> Outcome {
        let all = PR_NETWORK_ALL_FLAGS;
        if flags & !all != 0 {
            return Outcome::Err(libc::EINVAL);
        }
        if a3 & !PR_NETWORK_TSYNC != 0 || a4 != 0 || a5 != 0 {
            return Outcome::Err(libc::EINVAL);
        }
        let cur = self.flags as u64;
        if cur & !flags != 0 {
            return Outcome::Err(libc::EPERM);
        }
        if flags == cur && a3 & PR_NETWORK_TSYNC == 0 {
            return Outcome::Ok(0);
        }
        if !self.nnp && !self.sys_admin {
            return Outcome::Err(libc::EACCES);
        }
        self.flags = flags as u32;
        Outcome::Ok(0)
    }

    /// `prctl(PR_GET_NETWORK, a2, a3, a4, a5)`.
    pub fn get_network(&self, a2: u64, a3: u64, a4: u64, a5: u64) -> Outcome {
        if a2 != 0 || a3 != 0 || a4 != 0 || a5 != 0 {
            return Outcome::Err(libc::EINVAL);
        }
        Outcome::Ok(self.flags as i64)
    }
}

/// Does `a` have a flag `b` lacks (`prctl_network_exceeds`)?
pub fn exceeds(a: u32, b: u32) -> bool {
    a & !b != 0
}

/// `socket(family, type, protocol)` / `socketpair(...)` by a task with
/// `creds`: the kernel's early checks, then the LSM rule.
pub fn socket_create(creds: &Creds, family: i32, ty: i32, _protocol: i32) -> Prediction {
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) != 0 {
        return Prediction::Kernel(libc::EINVAL);
    }
    if !(0..AF_MAX).contains(&family) {
        return Prediction::Kernel(libc::EAFNOSUPPORT);
    }
    if (ty & SOCK_TYPE_MASK) >= SOCK_MAX {
        return Prediction::Kernel(libc::EINVAL);
    }
    if creds.restricted() && family != libc::AF_UNIX {
        return Prediction::Deny;
    }
    Prediction::SameAsUnrestricted
}

/// Does the address name the abstract `AF_UNIX` namespace (or autobind)?
/// `len >= 2 && sun_family == AF_UNIX && (len == 2 || sun_path[0] == 0)`.
pub fn names_abstract(bytes: &[u8], len: i32) -> bool {
    if len < 2 || bytes.len() < 2 {
        return false;
    }
    if u16::from_ne_bytes([bytes[0], bytes[1]]) != libc::AF_UNIX as u16 {
        return false;
    }
    len == 2 || bytes.get(2) == Some(&0)
}

/// Verdict of the address rule for one address-carrying call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrVerdict {
    /// The kernel rejects the arguments before the LSM sees them.
    Kernel(i32),
    /// The LSM denies (`EPERM`).
    Deny,
    /// Unchanged behaviour.
    Allow,
}

/// `bind`/`connect`/`sendto`/`sendmsg` with `addr` (None: no address at
/// all) on a socket of `sock_family`, by a task that is `restricted`.
pub fn address_rule(
    restricted: bool,
    sock_family: i32,
    call: AddrSyscall,
    addr: Option<&Encoded>,
) -> AddrVerdict {
    let Some(e) = addr else {
        // bind/connect always pass an address; for sends, none = unchanged.
        return AddrVerdict::Allow;
    };
    let mut len = e.len_int();
    match call {
        AddrSyscall::Bind | AddrSyscall::Connect => {
            if len < 0 || len as u32 > SOCKADDR_STORAGE {
                return AddrVerdict::Kernel(libc::EINVAL);
            }
            if e.null && len > 0 {
                return AddrVerdict::Kernel(libc::EFAULT);
            }
        }
        AddrSyscall::SendTo => {
            if e.null {
                // sendto(..., NULL, n) is "no address".
                return AddrVerdict::Allow;
            }
            if len < 0 || len as u32 > SOCKADDR_STORAGE {
                return AddrVerdict::Kernel(libc::EINVAL);
            }
            if len == 0 {
                return AddrVerdict::Allow;
            }
        }
        AddrSyscall::SendMsg => {
            if e.null {
                // msg_name == NULL: msg_namelen is ignored.
                return AddrVerdict::Allow;
            }
            if len < 0 {
                return AddrVerdict::Kernel(libc::EINVAL);
            }
            // __copy_msghdr() clamps, it does not reject.
            len = len.min(SOCKADDR_STORAGE as i32);
            if len == 0 {
                return AddrVerdict::Allow;
            }
        }
    }
    if !restricted {
        return AddrVerdict::Allow;
    }
    if sock_family != libc::AF_UNIX {
        return AddrVerdict::Deny;
    }
    let n = (len.max(0) as usize).min(e.buf.len());
    if names_abstract(&e.buf[..n], len) {
        return AddrVerdict::Deny;
    }
    AddrVerdict::Allow
}

/// [`address_rule`], and a send without an address on a socket whose
/// payload picks the destination ([`channels::payload_addressed`]), which a
/// restricted task may not make.
pub fn send_rule(
    restricted: bool,
    sock_family: i32,
    sock_type: i32,
    call: AddrSyscall,
    addr: Option<&Encoded>,
) -> AddrVerdict {
    let v = address_rule(restricted, sock_family, call, addr);
    let is_send = !matches!(call, AddrSyscall::Bind | AddrSyscall::Connect);
    if v == AddrVerdict::Allow
        && restricted
        && is_send
        && sock_family != libc::AF_UNIX
        && channels::payload_addressed(sock_family, sock_type)
    {
        return AddrVerdict::Deny;
    }
    v
}

/// `ptrace_may_access()` decision of the LSM (`tracer`'s flags must be a
/// subset of `target`'s; a thread group can always access itself). For a
/// multi-threaded target, `target` is what every task sharing its memory
/// has ([`Model::world_every`]): the kernel judges the process by its least
/// restricted thread.
pub fn ptrace_access(tracer: u32, target: u32, same_thread_group: bool) -> Outcome {
    if same_thread_group || !exceeds(tracer, target) {
        Outcome::Ok(0)
    } else {
        Outcome::Err(libc::EPERM)
    }
}

/// How a mechanism reports a `ptrace_may_access()` refusal. The LSM hook
/// returns `EPERM`, but `ptrace_may_access()` is a yes/no question and each
/// caller picks its errno: `/proc/PID/mem` goes through `mm_access()`, which
/// answers `EACCES` (process_vm_readv/writev map that back to `EPERM`;
/// PTRACE_ATTACH/SEIZE and pidfd_getfd() say `EPERM`).
pub fn access_denied_errno(how: PtraceHow) -> i32 {
    match how {
        PtraceHow::ProcMem => libc::EACCES,
        _ => libc::EPERM,
    }
}

/// A cross-task access by `how`: [`ptrace_access`] with the mechanism's
/// errno.
pub fn ptrace_access_by(how: PtraceHow, tracer: u32, target: u32) -> Outcome {
    match ptrace_access(tracer, target, false) {
        Outcome::Err(_) => Outcome::Err(access_denied_errno(how)),
        o => o,
    }
}

/// `PTRACE_TRACEME`: the parent's flags must be a subset of the caller's.
/// For a multi-threaded parent, `parent` is what any of its threads has
/// ([`Model::world_any`]): any of them can drive the tracer.
pub fn traceme(parent: u32, caller: u32) -> Outcome {
    if exceeds(parent, caller) {
        Outcome::Err(libc::EPERM)
    } else {
        Outcome::Ok(0)
    }
}

/// An io_uring request submitted with a personality whose creds carry
/// `personality` flags, by a submitter with `submitter` flags.
pub fn uring_personality(submitter: u32, personality: u32) -> Result<(), i32> {
    if exceeds(submitter, personality) {
        Err(libc::EPERM)
    } else {
        Ok(())
    }
}

/// Facts about the machine the model needs (not about the LSM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Env {
    /// Real uid of the test process.
    pub ruid: u32,
    /// Effective uid of the test process.
    pub euid: u32,
    /// The test process has CAP_SYS_ADMIN.
    pub sys_admin: bool,
    /// The setuid probe, if found: `Some(true)` if it is setuid-root.
    pub probe_setuid_root: Option<bool>,
    /// A major module (SELinux, AppArmor, Smack, TOMOYO) that the LSM
    /// order puts before prctl_network, if any. It is asked first and may
    /// refuse a malformed address with its own errno (SELinux: `EINVAL`)
    /// where this module would say `EPERM`: see "Stacking" in the docs.
    pub earlier_lsm: Option<String>,
}

impl Env {
    /// Probe code a task with `creds` reports (see [`probe`]).
    pub fn probe_code(&self, creds: &Creds, euid: u32) -> i64 {
        probe::expected_code(creds.restricted(), euid == 0, self.ruid == 0) as i64
    }
}

/// Model view of one socket slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotState {
    /// Address family of the socket.
    pub family: i32,
    /// Its type (`SOCK_*`, flags included).
    pub ty: i32,
    /// Its protocol (0 where not known, as for received sockets).
    pub proto: i32,
    /// Whether it has a local port (None: not known, e.g. after a connect
    /// or send that may have autobound it).
    pub bound: Option<bool>,
    /// Kernel state diverged from the oracle's (an op on it was denied
    /// here but did something in the oracle): "same as unrestricted"
    /// predictions about it can no longer be checked.
    pub tainted: bool,
}

/// The model of a whole world running a sequence of [`Op`]s.
#[derive(Clone, Debug)]
pub struct Model {
    /// Machine facts.
    pub env: Env,
    /// The world's main thread (which runs the sequence).
    pub main: Creds,
    /// Parked threads (created by `SpawnThread`).
    pub threads: [Option<Creds>; NTHREADS],
    /// Socket slots.
    pub slots: [Option<SlotState>; NSLOTS],
}

impl Model {
    /// The start state: unrestricted main thread, no threads, no sockets.
    pub fn new(env: Env) -> Model {
        let main = Creds::new(env.sys_admin);
        Model {
            env,
            main,
            threads: [None; NTHREADS],
            slots: [None; NSLOTS],
        }
    }

    fn slot_pred(&self, slot: usize, p: Prediction) -> Prediction {
        match (p, self.slots[slot]) {
            (Prediction::SameAsUnrestricted | Prediction::SameCappedAt(_), Some(s))
                if s.tainted =>
            {
                Prediction::Unchecked
            }
            _ => p,
        }
    }

    fn addr_pred(&self, slot: usize, call: AddrSyscall, e: Option<&Encoded>) -> Prediction {
        let Some(s) = self.slots[slot] else {
            return Prediction::Kernel(libc::EBADF);
        };
        let p = match send_rule(self.main.restricted(), s.family, s.ty, call, e) {
            AddrVerdict::Kernel(errno) => Prediction::Kernel(errno),
            AddrVerdict::Deny => Prediction::Deny,
            AddrVerdict::Allow => match self.unbound_send(s, call) {
                Some(p) => p,
                None => Prediction::SameAsUnrestricted,
            },
        };
        self.slot_pred(slot, p)
    }

    /// A send that [`send_rule`] allows, by a restricted task, on an
    /// IPv4/IPv6 socket without a port: denied (the kernel would autobind
    /// it), or not known when the port is not.
    fn unbound_send(&self, s: SlotState, call: AddrSyscall) -> Option<Prediction> {
        if !self.main.restricted() || matches!(call, AddrSyscall::Bind | AddrSyscall::Connect) {
            return None;
        }
        match channels::unbound_send_denied(s.family, s.bound) {
            Some(true) => Some(Prediction::Deny),
            Some(false) => None,
            None => Some(Prediction::Unchecked),
        }
    }

    /// Predict `op` in the current state. `ctx` is the world's address
    /// context (addresses are judged on their exact bytes).
    pub fn predict(&self, op: &Op, ctx: &AddrCtx) -> Prediction {
        let exact = Prediction::Exact;
        match op {
            Op::SetNetwork { flags, a3, a4, a5 } => {
                exact(self.main.clone().set_network(*flags, *a3, *a4, *a5))
            }
            Op::GetNetwork { a2, a3, a4, a5 } => exact(self.main.get_network(*a2, *a3, *a4, *a5)),
            Op::NoNewPrivs => exact(Outcome::Ok(0)),
            Op::DropSysAdmin => exact(Outcome::Ok(0)),
            Op::Socket {
                family, ty, proto, ..
            }
            | Op::SocketPair {
                family, ty, proto, ..
            } => socket_create(&self.main, *family, *ty, *proto),
            Op::Receive { .. } => Prediction::SameAsUnrestricted,
            Op::Bind { slot, addr } => {
                self.addr_pred(slot.0, AddrSyscall::Bind, Some(&addr.encode(ctx)))
            }
            Op::Connect { slot, addr } => {
                self.addr_pred(slot.0, AddrSyscall::Connect, Some(&addr.encode(ctx)))
            }
            Op::SendTo { slot, addr } => {
                let e = addr.as_ref().map(|a| a.encode(ctx));
                self.addr_pred(slot.0, AddrSyscall::SendTo, e.as_ref())
            }
            Op::SendMsg { slot, addr } => {
                let e = addr.as_ref().map(|a| a.encode(ctx));
                self.addr_pred(slot.0, AddrSyscall::SendMsg, e.as_ref())
            }
            Op::SendMmsg { slot, addrs } => {
                let Some(s) = self.slots[slot.0] else {
                    return Prediction::Kernel(libc::EBADF);
                };
                // The first message the rule (or the kernel's early checks)
                // stops decides: at index 0 it is the call's error, later
                // it caps the count of messages sent.
                for (i, a) in addrs.iter().enumerate() {
                    let e = a.as_ref().map(|a| a.encode(ctx));
                    let v = send_rule(
                        self.main.restricted(),
                        s.family,
                        s.ty,
                        AddrSyscall::SendMsg,
                        e.as_ref(),
                    );
                    let v = match (v, self.unbound_send(s, AddrSyscall::SendMsg)) {
                        (AddrVerdict::Allow, Some(Prediction::Deny)) => AddrVerdict::Deny,
                        (AddrVerdict::Allow, Some(_)) => return Prediction::Unchecked,
                        (v, _) => v,
                    };
                    let stop = match v {
                        AddrVerdict::Allow => continue,
                        AddrVerdict::Deny => Prediction::Deny,
                        AddrVerdict::Kernel(errno) => Prediction::Kernel(errno),
                    };
                    if i == 0 {
                        return stop;
                    }
                    return self.slot_pred(slot.0, Prediction::SameCappedAt(i as i64));
                }
                self.slot_pred(slot.0, Prediction::SameAsUnrestricted)
            }
            Op::Listen { slot } => match self.slots[slot.0] {
                None => Prediction::Kernel(libc::EBADF),
                Some(s) if self.main.restricted() => {
                    match channels::listen_denied(s.family, s.ty, s.proto, s.bound) {
                        Some(true) => Prediction::Deny,
                        Some(false) => self.slot_pred(slot.0, Prediction::SameAsUnrestricted),
                        None => Prediction::Unchecked,
                    }
                }
                Some(_) => self.slot_pred(slot.0, Prediction::SameAsUnrestricted),
            },
            Op::SetSockOpt {
                slot,
                level,
                optname,
            } => match self.slots[slot.0] {
                None => Prediction::Kernel(libc::EBADF),
                Some(s) if self.main.restricted() => {
                    match channels::sockopt_verdict(s.family, *level, *optname) {
                        Some(channels::Verdict::Deny) => Prediction::Deny,
                        // Unknown options: the kernel lets them through,
                        // and answers as unrestricted.
                        Some(channels::Verdict::Allow) | None => {
                            self.slot_pred(slot.0, Prediction::SameAsUnrestricted)
                        }
                    }
                }
                Some(_) => self.slot_pred(slot.0, Prediction::SameAsUnrestricted),
            },
            Op::SendCmsg { slot, level, ty } => match self.slots[slot.0] {
                None => Prediction::Kernel(libc::EBADF),
                Some(s) => {
                    let v = send_rule(
                        self.main.restricted(),
                        s.family,
                        s.ty,
                        AddrSyscall::SendMsg,
                        None,
                    );
                    let denied = v == AddrVerdict::Deny
                        || (self.main.restricted()
                            && s.family != libc::AF_UNIX
                            && !channels::cmsg_keeps_destination(*level, *ty));
                    if denied {
                        Prediction::Deny
                    } else if let Some(p) = self.unbound_send(s, AddrSyscall::SendMsg) {
                        p
                    } else {
                        self.slot_pred(slot.0, Prediction::SameAsUnrestricted)
                    }
                }
            },
            Op::Tiocsti | Op::TunAttach => {
                if self.main.restricted() {
                    Prediction::Deny
                } else {
                    Prediction::SameAsUnrestricted
                }
            }
            Op::Close { slot } => match self.slots[slot.0] {
                None => exact(Outcome::Skipped),
                Some(_) => exact(Outcome::Ok(0)),
            },
            Op::Fork | Op::Thread => {
                exact(Outcome::Ok(self.env.probe_code(&self.main, self.env.euid)))
            }
            Op::SpawnThread { t } => exact(Outcome::Ok(self.threads[*t as usize].is_some() as i64)),
            Op::InThread { t, action } => {
                let Some(mut c) = self.threads[*t as usize] else {
                    return exact(Outcome::Skipped);
                };
                exact(match action {
                    ThreadAction::Get => c.get_network(0, 0, 0, 0),
                    ThreadAction::SetOff => c.set_network(1, 0, 0, 0),
                    ThreadAction::SetOffTsync => c.set_network(1, PR_NETWORK_TSYNC, 0, 0),
                    ThreadAction::NoNewPrivs => Outcome::Ok(0),
                    ThreadAction::InetSocket => {
                        if c.restricted() {
                            Outcome::Err(libc::EPERM)
                        } else {
                            Outcome::Ok(0)
                        }
                    }
                })
            }
            Op::Exec { nnp } => match self.env.probe_setuid_root {
                None => exact(Outcome::Skipped),
                Some(suid) => {
                    let nnp = self.main.nnp || *nnp;
                    let euid = if suid && !nnp { 0 } else { self.env.euid };
                    exact(Outcome::Ok(self.env.probe_code(&self.main, euid)))
                }
            },
            Op::Ptrace {
                how,
                dir,
                child_off,
            } => {
                // The child is forked by the main thread: one thread.
                let mut child = self.main;
                if *child_off {
                    let _ = child.set_network(1, 0, 0, 0);
                }
                exact(match (how, dir) {
                    (PtraceHow::TraceMe, _) => traceme(self.world_any(), child.flags),
                    (_, PtraceDir::ParentToChild) => {
                        ptrace_access_by(*how, self.main.flags, child.flags)
                    }
                    (_, PtraceDir::ChildToParent) => {
                        ptrace_access_by(*how, child.flags, self.world_every())
                    }
                })
            }
            Op::SelfAccess => exact(ptrace_access(self.main.flags, self.main.flags, true)),
        }
    }

    /// The world's threads: the main one and the parked ones.
    fn world_threads(&self) -> impl Iterator<Item = &Creds> {
        std::iter::once(&self.main).chain(self.threads.iter().flatten())
    }

    /// The restrictions every thread of the world has: what a tracer is
    /// judged against (a restricted thread beside unrestricted ones is no
    /// way in).
    pub fn world_every(&self) -> u32 {
        self.world_threads().fold(u32::MAX, |acc, c| acc & c.flags)
    }

    /// The restrictions any thread of the world has: what a child's
    /// `PTRACE_TRACEME` is judged against.
    pub fn world_any(&self) -> u32 {
        self.world_threads().fold(0, |acc, c| acc | c.flags)
    }

    /// A successful `PR_NETWORK_TSYNC` by any thread: every thread of the
    /// world (the main one and the parked ones) gets `flags`, and
    /// `no_new_privs` if the caller has it.
    fn sync_threads(&mut self, flags: u32, nnp: bool) {
        for c in std::iter::once(&mut self.main).chain(self.threads.iter_mut().flatten()) {
            c.flags |= flags;
            c.nnp |= nnp;
        }
    }

    /// Advance the state after `op` produced `got` (which equals the
    /// prediction resolved against the oracle, or the comparison already
    /// failed). `oracle` is the unrestricted world's outcome.
    pub fn apply(&mut self, op: &Op, pred: Prediction, got: Outcome, oracle: Outcome) {
        // A denial (or any exact prediction) where the oracle did something
        // else leaves the object in a different state than the oracle's.
        let diverged = !pred.uses_oracle() && pred != Prediction::Unchecked && got != oracle;
        let taint = |m: &mut Model, slot: usize| {
            if let Some(s) = m.slots[slot].as_mut() {
                s.tainted |= diverged || pred == Prediction::Unchecked;
            }
        };
        match op {
            Op::SetNetwork { flags, a3, a4, a5 } => {
                let ok = self.main.set_network(*flags, *a3, *a4, *a5) == Outcome::Ok(0);
                if ok && *a3 & PR_NETWORK_TSYNC != 0 {
                    self.sync_threads(self.main.flags, self.main.nnp);
                }
            }
            Op::GetNetwork { .. } => {}
            Op::NoNewPrivs => self.main.nnp = true,
            Op::DropSysAdmin => self.main.sys_admin = false,
            Op::Socket {
                slot, family, ty, ..
            }
            | Op::Receive { slot, family, ty } => {
                let proto = match op {
                    Op::Socket { proto, .. } => *proto,
                    _ => 0,
                };
                self.slots[slot.0] = match got {
                    Outcome::Ok(_) => Some(SlotState {
                        family: *family,
                        ty: *ty,
                        proto,
                        // The donor's sockets are fresh too, but say so
                        // only for our own.
                        bound: matches!(op, Op::Socket { .. }).then_some(false),
                        tainted: false,
                    }),
                    _ => None,
                };
            }
            Op::SocketPair {
                slot, family, ty, ..
            } => {
                let other = (slot.0 + 1) % NSLOTS;
                let s = match got {
                    Outcome::Ok(_) => Some(SlotState {
                        family: *family,
                        ty: *ty,
                        proto: 0,
                        bound: None,
                        tainted: false,
                    }),
                    _ => None,
                };
                self.slots[slot.0] = s;
                self.slots[other] = s;
            }
            Op::Bind { slot, .. }
            | Op::Connect { slot, .. }
            | Op::SendTo { slot, .. }
            | Op::SendMsg { slot, .. }
            | Op::SendMmsg { slot, .. }
            | Op::Listen { slot }
            | Op::SetSockOpt { slot, .. }
            | Op::SendCmsg { slot, .. } => {
                taint(self, slot.0);
                if let Some(s) = self.slots[slot.0].as_mut() {
                    s.bound = match (op, got) {
                        // Ours bound it, or failed without touching it.
                        (Op::Bind { .. } | Op::Listen { .. }, Outcome::Ok(_)) => Some(true),
                        (Op::Bind { .. } | Op::Listen { .. }, Outcome::Err(_)) => s.bound,
                        // The LSM's EPERM comes before any autobind.
                        (_, Outcome::Err(libc::EPERM)) => s.bound,
                        (Op::SetSockOpt { .. }, _) => s.bound,
                        // A connect or send may have autobound it.
                        _ => None,
                    };
                }
            }
            Op::Tiocsti | Op::TunAttach => {}
            Op::Close { slot } => self.slots[slot.0] = None,
            Op::Fork | Op::Thread | Op::Exec { .. } | Op::Ptrace { .. } | Op::SelfAccess => {}
            Op::SpawnThread { t } => {
                let t = *t as usize;
                if self.threads[t].is_none() {
                    self.threads[t] = Some(self.main);
                }
            }
            Op::InThread { t, action } => {
                let mut synced = None;
                if let Some(c) = self.threads[*t as usize].as_mut() {
                    match action {
                        ThreadAction::SetOff => {
                            let _ = c.set_network(1, 0, 0, 0);
                        }
                        ThreadAction::SetOffTsync => {
                            if c.set_network(1, PR_NETWORK_TSYNC, 0, 0) == Outcome::Ok(0) {
                                synced = Some((c.flags, c.nnp));
                            }
                        }
                        ThreadAction::NoNewPrivs => c.nnp = true,
                        ThreadAction::Get | ThreadAction::InetSocket => {}
                    }
                }
                if let Some((flags, nnp)) = synced {
                    self.sync_threads(flags, nnp);
                }
            }
        }
    }
}
