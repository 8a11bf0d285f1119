//! Host tests of the reference model: pure, no kernel involved. They pin the
//! model to the specification (`prctl-network.rst`) rule by rule, check invariants over generated
//! sequences, and check that the comparison really fails on a mismatch.

use prctl_network_tests::addr::{Addr, AddrCtx, NameRef, PathRef, PortRef};
use prctl_network_tests::check::compare;
use prctl_network_tests::exec::{world_names, Role};
use prctl_network_tests::model::{
    address_rule, names_abstract, ptrace_access, socket_create, traceme, AddrVerdict, Creds, Env,
    Model,
};
use prctl_network_tests::ops::{self, AddrSyscall, Op, PtraceDir, PtraceHow, Slot, ThreadAction};
use prctl_network_tests::outcome::{Outcome, Prediction};
use prctl_network_tests::{probe, runner, uring};

use libc::{EACCES, EAFNOSUPPORT, EBADF, EFAULT, EINVAL, EPERM};

const OK: Outcome = Outcome::Ok(0);
fn err(e: i32) -> Outcome {
    Outcome::Err(e)
}

fn ctx() -> AddrCtx {
    AddrCtx {
        dir: "/tmp/pn-1234-000001-s".into(),
        tag: "1234-000001-s".into(),
        port: 40000,
    }
}

fn plain() -> Creds {
    Creds::new(false)
}

fn restricted() -> Creds {
    Creds {
        flags: 1,
        nnp: true,
        sys_admin: false,
    }
}

// ------------------------------------------------------------ prctl rules

#[test]
fn set_network_unknown_flag_bits_are_einval_in_any_state() {
    for c in [plain(), restricted(), Creds::new(true)] {
        for flags in [2u64, 3, 1 << 31, 1 << 32, (1 << 32) | 1, u64::MAX] {
            assert_eq!(
                c.clone().set_network(flags, 0, 0, 0),
                err(EINVAL),
                "{c:?} flags {flags:#x}"
            );
        }
    }
}

#[test]
fn set_network_nonzero_trailing_args_are_einval_before_eperm_and_eacces() {
    // Step 2 precedes step 3 (a restricted task clearing) and step 5.
    // In a3 only PR_NETWORK_TSYNC (1) is known.
    assert_eq!(restricted().set_network(0, 2, 0, 0), err(EINVAL));
    assert_eq!(restricted().set_network(0, u64::MAX, 0, 0), err(EINVAL));
    assert_eq!(restricted().set_network(0, 1, 0, 0), err(EPERM));
    assert_eq!(plain().set_network(1, 0, 0, 1), err(EINVAL));
    assert_eq!(plain().set_network(1, 0, u64::MAX, 0), err(EINVAL));
}

#[test]
fn set_network_is_irrevocable_and_eperm_needs_no_privilege_check() {
    let mut c = restricted();
    c.nnp = false; // even without nnp the answer is EPERM, not EACCES
    assert_eq!(c.set_network(0, 0, 0, 0), err(EPERM));
    assert!(c.restricted());
}

#[test]
fn set_network_noop_needs_no_privilege() {
    assert_eq!(plain().set_network(0, 0, 0, 0), OK);
    let mut c = restricted();
    c.nnp = false;
    assert_eq!(c.set_network(1, 0, 0, 0), OK);
}

#[test]
fn set_network_needs_nnp_or_cap_sys_admin() {
    let mut c = plain();
    assert_eq!(c.set_network(1, 0, 0, 0), err(EACCES));
    assert!(!c.restricted(), "a failed set must not commit");
    c.nnp = true;
    assert_eq!(c.set_network(1, 0, 0, 0), OK);
    assert!(c.restricted());
    let mut root = Creds::new(true);
    assert_eq!(root.set_network(1, 0, 0, 0), OK);
    assert!(root.restricted());
}

#[test]
fn get_network_rejects_any_nonzero_arg() {
    assert_eq!(plain().get_network(0, 0, 0, 0), OK);
    assert_eq!(restricted().get_network(0, 0, 0, 0), Outcome::Ok(1));
    for i in 0..4 {
        let mut a = [0u64; 4];
        a[i] = 1 << (13 * i);
        assert_eq!(
            restricted().get_network(a[0], a[1], a[2], a[3]),
            err(EINVAL)
        );
    }
}

// ------------------------------------------------------------ socket rule

#[test]
fn restricted_socket_denies_every_family_but_unix_compiled_in_or_not() {
    let r = restricted();
    for family in 0..46 {
        for ty in [
            libc::SOCK_STREAM,
            libc::SOCK_DGRAM,
            libc::SOCK_RAW,
            10, /* SOCK_PACKET */
            0,
        ] {
            let p = socket_create(&r, family, ty, 0);
            if family == libc::AF_UNIX {
                assert_eq!(p, Prediction::SameAsUnrestricted);
            } else {
                assert_eq!(p, Prediction::Deny, "family {family} type {ty}");
            }
            assert_eq!(
                socket_create(&plain(), family, ty, 0),
                Prediction::SameAsUnrestricted
            );
        }
    }
}

#[test]
fn socket_early_checks_come_first_and_in_order() {
    let r = restricted();
    // Unknown type flags -> EINVAL even with an invalid family.
    assert_eq!(
        socket_create(&r, 99, libc::SOCK_DGRAM | 0x100, 0),
        Prediction::Kernel(EINVAL)
    );
    assert_eq!(
        socket_create(&r, libc::AF_INET, -1, 0),
        Prediction::Kernel(EINVAL)
    );
    // Family out of range -> EAFNOSUPPORT, before the type range check.
    for f in [-1, 46, 47, i32::MAX] {
        assert_eq!(
            socket_create(&r, f, 15, 0),
            Prediction::Kernel(EAFNOSUPPORT)
        );
        assert_eq!(
            socket_create(&plain(), f, 1, 0),
            Prediction::Kernel(EAFNOSUPPORT)
        );
    }
    // Type >= SOCK_MAX -> EINVAL, also for AF_UNIX and before the LSM.
    for t in 11..16 {
        assert_eq!(
            socket_create(&r, libc::AF_INET, t, 0),
            Prediction::Kernel(EINVAL)
        );
        assert_eq!(
            socket_create(&r, libc::AF_UNIX, t | libc::SOCK_CLOEXEC, 0),
            Prediction::Kernel(EINVAL)
        );
    }
    // Valid flags do not change the decision.
    let t = libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    assert_eq!(socket_create(&r, libc::AF_INET6, t, 0), Prediction::Deny);
}

// ----------------------------------------------------------- address rule

fn verdict(restricted: bool, fam: i32, call: AddrSyscall, a: &Addr) -> AddrVerdict {
    address_rule(restricted, fam, call, Some(&a.encode(&ctx())))
}

#[test]
fn address_rule_table() {
    use AddrSyscall::*;
    use AddrVerdict::*;
    let unix = libc::AF_UNIX;
    let inet = libc::AF_INET;
    let path = Addr::UnixPath(PathRef::Fresh(1));
    let abs = Addr::UnixAbstract(NameRef::Fresh(1));
    let empty_abs = Addr::UnixAbstract(NameRef::Empty);
    let in4 = Addr::Inet4 {
        loopback: true,
        port: PortRef::Fixture,
    };
    for call in [Bind, Connect, SendTo, SendMsg] {
        // Unrestricted: nothing is denied.
        for a in [&path, &abs, &Addr::UnixUnnamed, &in4] {
            assert_eq!(verdict(false, unix, call, a), Allow);
            assert_eq!(verdict(false, inet, call, a), Allow);
        }
        // Restricted, AF_UNIX socket.
        assert_eq!(verdict(true, unix, call, &path), Allow, "{call:?}");
        assert_eq!(verdict(true, unix, call, &abs), Deny, "{call:?}");
        assert_eq!(verdict(true, unix, call, &empty_abs), Deny, "{call:?}");
        assert_eq!(
            verdict(true, unix, call, &Addr::UnixUnnamed),
            Deny,
            "{call:?} len 2"
        );
        assert_eq!(
            verdict(true, unix, call, &in4),
            Allow,
            "wrong family on AF_UNIX: kernel's error"
        );
        // Restricted, any other socket, any address, even AF_UNIX or AF_UNSPEC.
        for a in [
            &path,
            &abs,
            &in4,
            &Addr::Raw {
                family: 0,
                len: 16,
                fill: 0,
            },
        ] {
            assert_eq!(verdict(true, inet, call, a), Deny, "{call:?} {a:?}");
            assert_eq!(
                verdict(true, libc::AF_NETLINK, call, a),
                Deny,
                "{call:?} {a:?}"
            );
        }
    }
}

#[test]
fn address_rule_length_edge_cases() {
    use AddrSyscall::*;
    use AddrVerdict::*;
    let unix = libc::AF_UNIX;
    let abs = Addr::UnixAbstract(NameRef::Fresh(1));
    let trunc = |len| Addr::Truncated {
        addr: Box::new(abs.clone()),
        len,
    };
    // Length 1: too short to name anything, not abstract.
    assert_eq!(verdict(true, unix, Bind, &trunc(1)), Allow);
    // Length 2: autobind / empty name, abstract.
    assert_eq!(verdict(true, unix, Connect, &trunc(2)), Deny);
    // Length 3 with NUL first: abstract.
    assert_eq!(verdict(true, unix, SendTo, &trunc(3)), Deny);
    // Length 0 bind on an inet socket: still an address op, denied.
    assert_eq!(verdict(true, libc::AF_INET, Bind, &trunc(0)), Deny);
    // Length 0 on sends means "no address".
    assert_eq!(verdict(true, libc::AF_INET, SendTo, &trunc(0)), Allow);
    assert_eq!(verdict(true, libc::AF_INET, SendMsg, &trunc(0)), Allow);
    // > 128 and negative: the kernel's EINVAL first, restricted or not...
    for call in [Bind, Connect, SendTo] {
        for r in [true, false] {
            assert_eq!(verdict(r, libc::AF_INET, call, &trunc(129)), Kernel(EINVAL));
            assert_eq!(verdict(r, unix, call, &trunc(u32::MAX)), Kernel(EINVAL));
        }
    }
    // ...except sendmsg, which clamps msg_namelen to 128.
    assert_eq!(verdict(true, unix, SendMsg, &trunc(200)), Deny);
    assert_eq!(verdict(true, libc::AF_INET, SendMsg, &trunc(129)), Deny);
    assert_eq!(verdict(false, libc::AF_INET, SendMsg, &trunc(129)), Allow);
    assert_eq!(
        verdict(true, unix, SendMsg, &trunc(0x8000_0000)),
        Kernel(EINVAL)
    );
    // NULL: EFAULT for bind/connect with a length, "no address" for sends.
    let null = Addr::Null { len: 16 };
    assert_eq!(verdict(true, libc::AF_INET, Bind, &null), Kernel(EFAULT));
    assert_eq!(verdict(true, libc::AF_INET, SendTo, &null), Allow);
    assert_eq!(verdict(true, libc::AF_INET, SendMsg, &null), Allow);
    assert_eq!(
        verdict(true, libc::AF_INET, Connect, &Addr::Null { len: 0 }),
        Deny
    );
    assert_eq!(verdict(true, unix, Connect, &Addr::Null { len: 0 }), Allow);
    // No address at all.
    assert_eq!(address_rule(true, libc::AF_INET, SendTo, None), Allow);
}

#[test]
fn abstract_detection_on_bytes() {
    let u = (libc::AF_UNIX as u16).to_ne_bytes();
    assert!(names_abstract(&[u[0], u[1]], 2));
    assert!(names_abstract(&[u[0], u[1], 0, b'x'], 4));
    assert!(!names_abstract(&[u[0], u[1], b'/', 0], 4));
    assert!(!names_abstract(&[u[0], u[1], 0], 1));
    assert!(!names_abstract(&[2, 0, 0, 0], 4));
    assert!(!names_abstract(&[u[0], u[1], 0], -1));
}

#[test]
fn address_encodings() {
    let c = ctx();
    let e = Addr::UnixPath(PathRef::Fresh(2)).encode(&c);
    assert_eq!(e.len as usize, 2 + "/tmp/pn-1234-000001-s/p2".len() + 1);
    assert_eq!(&e.buf[2..5], b"/tm");
    let e = Addr::UnixAbstract(NameRef::Empty).encode(&c);
    assert_eq!((e.len, e.buf[2]), (3, 0));
    let e = Addr::Inet4 {
        loopback: true,
        port: PortRef::Fixture,
    }
    .encode(&c);
    assert_eq!(
        (e.len, e.family(), &e.buf[2..8]),
        (16, libc::AF_INET as u16, &[0x9c, 0x40, 127, 0, 0, 1][..])
    );
    let e = Addr::Inet6 {
        loopback: true,
        port: PortRef::Zero,
    }
    .encode(&c);
    assert_eq!((e.len, e.buf[23]), (28, 1));
    assert!(Addr::Null { len: 3 }.encode(&c).ptr().is_null());
}

#[test]
fn oracle_and_subject_worlds_have_equally_long_names() {
    for case in [0, 7, 123_456] {
        let (d1, t1) = world_names(case, Role::Oracle);
        let (d2, t2) = world_names(case, Role::Subject);
        assert_eq!((d1.len(), t1.len()), (d2.len(), t2.len()));
        assert_ne!(d1, d2);
    }
}

// ------------------------------------------------------------ task rules

#[test]
fn ptrace_and_traceme_rules() {
    assert_eq!(ptrace_access(0, 0, false), OK);
    assert_eq!(ptrace_access(0, 1, false), OK);
    assert_eq!(ptrace_access(1, 1, false), OK);
    assert_eq!(ptrace_access(1, 0, false), err(EPERM));
    assert_eq!(ptrace_access(1, 0, true), OK, "same thread group");
    use prctl_network_tests::model::ptrace_access_by;
    assert_eq!(
        ptrace_access_by(PtraceHow::ProcMem, 1, 0),
        err(libc::EACCES),
        "mm_access() says EACCES"
    );
    assert_eq!(ptrace_access_by(PtraceHow::VmReadv, 1, 0), err(EPERM));
    assert_eq!(ptrace_access_by(PtraceHow::PidfdGetfd, 1, 0), err(EPERM));
    assert_eq!(ptrace_access_by(PtraceHow::ProcMem, 0, 1), OK);
    assert_eq!(traceme(0, 1), OK);
    assert_eq!(traceme(1, 1), OK);
    assert_eq!(traceme(1, 0), err(EPERM));
}

fn env(root: bool) -> Env {
    Env {
        ruid: if root { 0 } else { 1000 },
        euid: if root { 0 } else { 1000 },
        sys_admin: root,
        probe_setuid_root: Some(true),
        earlier_lsm: None,
    }
}

fn predict_seq(model: &mut Model, ops: &[Op]) -> Vec<Prediction> {
    let c = ctx();
    ops.iter()
        .map(|op| {
            let p = model.predict(op, &c);
            // Pretend the oracle did whatever the prediction implies (Ok).
            let got = p.resolve(OK, OK);
            model.apply(op, p, got, OK);
            p
        })
        .collect()
}

#[test]
fn inheritance_fork_thread_exec() {
    let off = Op::SetNetwork {
        flags: 1,
        a3: 0,
        a4: 0,
        a5: 0,
    };
    let mut m = Model::new(env(false));
    let p = predict_seq(
        &mut m,
        &[
            Op::SpawnThread { t: 0 },
            Op::NoNewPrivs,
            off.clone(),
            Op::Fork,
            Op::Thread,
            Op::InThread {
                t: 0,
                action: ThreadAction::Get,
            },
            Op::InThread {
                t: 0,
                action: ThreadAction::SetOff,
            },
            Op::Exec { nnp: false },
            Op::SpawnThread { t: 1 },
            Op::InThread {
                t: 1,
                action: ThreadAction::InetSocket,
            },
        ],
    );
    let code_off = probe::expected_code(true, false, false) as i64;
    assert_eq!(p[2], Prediction::Exact(OK));
    assert_eq!(
        p[3],
        Prediction::Exact(Outcome::Ok(code_off)),
        "fork inherits"
    );
    assert_eq!(
        p[4],
        Prediction::Exact(Outcome::Ok(code_off)),
        "new thread inherits"
    );
    assert_eq!(
        p[5],
        Prediction::Exact(OK),
        "thread made before the restriction keeps its own creds"
    );
    assert_eq!(
        p[6],
        Prediction::Exact(err(EACCES)),
        "old thread has no nnp (nnp is per thread) and no CAP_SYS_ADMIN"
    );
    // nnp is set in the world: the setuid probe does not get euid 0.
    assert_eq!(
        p[7],
        Prediction::Exact(Outcome::Ok(code_off)),
        "exec keeps flags, no euid 0"
    );
    assert_eq!(p[9], Prediction::Exact(err(EPERM)));
}

#[test]
fn tsync_needs_the_privilege_even_when_the_caller_has_the_flags() {
    let mut c = restricted();
    c.nnp = false;
    assert_eq!(c.set_network(1, 1, 0, 0), err(EACCES));
    let mut c = plain();
    assert_eq!(c.set_network(1, 1, 0, 0), err(EACCES));
    assert!(!c.restricted(), "a failed set must not commit");
    c.nnp = true;
    assert_eq!(c.set_network(1, 1, 0, 0), OK);
    assert!(c.restricted());
    assert_eq!(c.set_network(1, 1, 0, 0), OK, "again: still allowed");
}

#[test]
fn tsync_restricts_every_thread_and_gives_them_nnp() {
    let off_tsync = Op::SetNetwork {
        flags: 1,
        a3: 1,
        a4: 0,
        a5: 0,
    };
    let thread = |t: u8, action| Op::InThread { t, action };
    let mut m = Model::new(env(false));
    let p = predict_seq(
        &mut m,
        &[
            Op::SpawnThread { t: 0 },
            Op::NoNewPrivs,
            off_tsync.clone(),
            thread(0, ThreadAction::Get),
            thread(0, ThreadAction::InetSocket),
            Op::SpawnThread { t: 1 },
            thread(1, ThreadAction::Get),
        ],
    );
    assert_eq!(p[2], Prediction::Exact(OK));
    assert_eq!(p[3], Prediction::Exact(Outcome::Ok(1)), "old thread synced");
    assert_eq!(p[4], Prediction::Exact(err(EPERM)));
    assert_eq!(
        p[6],
        Prediction::Exact(Outcome::Ok(1)),
        "new thread inherits"
    );
    assert!(m.threads[0].unwrap().nnp, "the sibling got no_new_privs");

    // From a parked thread: the main thread and the other threads too.
    let mut m = Model::new(env(false));
    let p = predict_seq(
        &mut m,
        &[
            Op::SpawnThread { t: 0 },
            Op::SpawnThread { t: 1 },
            thread(0, ThreadAction::SetOffTsync),
            thread(0, ThreadAction::NoNewPrivs),
            thread(0, ThreadAction::SetOffTsync),
            Op::GetNetwork {
                a2: 0,
                a3: 0,
                a4: 0,
                a5: 0,
            },
            thread(1, ThreadAction::Get),
        ],
    );
    assert_eq!(p[2], Prediction::Exact(err(EACCES)), "thread without nnp");
    assert_eq!(p[4], Prediction::Exact(OK));
    assert_eq!(p[5], Prediction::Exact(Outcome::Ok(1)), "main synced");
    assert_eq!(p[6], Prediction::Exact(Outcome::Ok(1)), "sibling synced");
    assert!(m.main.nnp && m.threads[1].unwrap().nnp);
}

#[test]
fn setuid_exec_without_nnp_elevates_euid_only_when_unrestricted_user() {
    let mut m = Model::new(env(false));
    let p = predict_seq(&mut m, &[Op::Exec { nnp: false }, Op::Exec { nnp: true }]);
    let elevated = probe::expected_code(false, true, false) as i64;
    let plain = probe::expected_code(false, false, false) as i64;
    assert_eq!(
        p,
        vec![
            Prediction::Exact(Outcome::Ok(elevated)),
            Prediction::Exact(Outcome::Ok(plain))
        ]
    );
}

#[test]
fn ptrace_op_predictions() {
    let mut m = Model::new(env(true));
    let ops = [
        Op::Ptrace {
            how: PtraceHow::Seize,
            dir: PtraceDir::ChildToParent,
            child_off: true,
        },
        Op::Ptrace {
            how: PtraceHow::Attach,
            dir: PtraceDir::ParentToChild,
            child_off: true,
        },
        Op::Ptrace {
            how: PtraceHow::TraceMe,
            dir: PtraceDir::ChildToParent,
            child_off: true,
        },
        Op::DropSysAdmin,
        Op::SetNetwork {
            flags: 1,
            a3: 0,
            a4: 0,
            a5: 0,
        },
        Op::NoNewPrivs,
        Op::SetNetwork {
            flags: 1,
            a3: 0,
            a4: 0,
            a5: 0,
        },
        Op::Ptrace {
            how: PtraceHow::ProcMem,
            dir: PtraceDir::ParentToChild,
            child_off: false,
        },
        Op::Ptrace {
            how: PtraceHow::TraceMe,
            dir: PtraceDir::ChildToParent,
            child_off: false,
        },
        Op::SelfAccess,
    ];
    let p = predict_seq(&mut m, &ops);
    let x = Prediction::Exact;
    assert_eq!(
        p,
        vec![
            x(err(EPERM)),
            x(OK),
            x(OK),
            x(OK),
            x(err(EACCES)),
            x(OK),
            x(OK),
            x(OK),
            x(OK),
            x(OK)
        ]
    );
}

#[test]
fn slots_sockets_and_taint() {
    let c = ctx();
    let mut m = Model::new(env(true));
    let in4 = Addr::Inet4 {
        loopback: true,
        port: PortRef::Fixture,
    };
    let s0 = Slot(0);
    // Inet socket before the restriction, then restricted.
    let sock = Op::Socket {
        slot: s0,
        family: libc::AF_INET,
        ty: libc::SOCK_DGRAM,
        proto: 0,
    };
    let p = m.predict(&sock, &c);
    assert_eq!(p, Prediction::SameAsUnrestricted);
    m.apply(&sock, p, OK, OK);
    let off = Op::SetNetwork {
        flags: 1,
        a3: 0,
        a4: 0,
        a5: 0,
    };
    m.apply(&off, m.predict(&off, &c), OK, Outcome::Skipped);
    let conn = Op::Connect {
        slot: s0,
        addr: in4.clone(),
    };
    assert_eq!(
        m.predict(&conn, &c),
        Prediction::Deny,
        "inherited descriptors too"
    );
    // The oracle connected, the subject did not: its socket still has no
    // port, so a send without address is denied too (it would autobind),
    // whatever the oracle's socket does; a send with address is Deny.
    m.apply(&conn, Prediction::Deny, err(EPERM), OK);
    let send_none = Op::SendTo {
        slot: s0,
        addr: None,
    };
    assert_eq!(m.predict(&send_none, &c), Prediction::Deny);
    let send_to = Op::SendTo {
        slot: s0,
        addr: Some(in4),
    };
    assert_eq!(m.predict(&send_to, &c), Prediction::Deny);
    // Empty slots: EBADF.
    let bind1 = Op::Bind {
        slot: Slot(1),
        addr: Addr::UnixUnnamed,
    };
    assert_eq!(m.predict(&bind1, &c), Prediction::Kernel(EBADF));
    // sendmmsg on the port-less inet socket: its first message, without
    // address, is denied (autobind), so the call is.
    let mm = Op::SendMmsg {
        slot: s0,
        addrs: vec![None, Some(Addr::UnixAbstract(NameRef::FixtureDgram))],
    };
    assert_eq!(
        m.predict(&mm, &c),
        Prediction::Deny,
        "port-less inet socket"
    );
    let mut m2 = Model::new(env(true));
    let pair = Op::SocketPair {
        slot: Slot(2),
        family: libc::AF_UNIX,
        ty: libc::SOCK_DGRAM,
        proto: 0,
    };
    m2.apply(&pair, Prediction::SameAsUnrestricted, OK, OK);
    m2.apply(&off, Prediction::Exact(OK), OK, Outcome::Skipped);
    let mm = Op::SendMmsg {
        slot: Slot(3),
        addrs: vec![None, Some(Addr::UnixAbstract(NameRef::FixtureDgram)), None],
    };
    assert_eq!(m2.predict(&mm, &c), Prediction::SameCappedAt(1));
    assert_eq!(
        Prediction::SameCappedAt(1).resolve(Outcome::Ok(3), OK),
        Outcome::Ok(1)
    );
    let mm0 = Op::SendMmsg {
        slot: Slot(3),
        addrs: vec![Some(Addr::UnixUnnamed)],
    };
    assert_eq!(m2.predict(&mm0, &c), Prediction::Deny);
}

// ----------------------------------------------- the comparison can fail

#[test]
fn compare_reports_a_kernel_that_ignores_the_restriction() {
    let ops = vec![
        Op::NoNewPrivs,
        Op::SetNetwork {
            flags: 1,
            a3: 0,
            a4: 0,
            a5: 0,
        },
        Op::Socket {
            slot: Slot(0),
            family: libc::AF_INET,
            ty: libc::SOCK_STREAM,
            proto: 0,
        },
    ];
    let e = env(false);
    let oracle = [OK, Outcome::Skipped, OK];
    // A correct kernel.
    compare(&ops, &e, &ctx(), &oracle, &[OK, OK, err(EPERM)]).unwrap();
    // A kernel without the hook.
    let r = compare(&ops, &e, &ctx(), &oracle, &[OK, OK, OK]);
    let msg = r.unwrap_err();
    assert!(
        msg.contains("MISMATCH") && msg.contains("socket(AF_INET, STREAM, 0)"),
        "{msg}"
    );
    // A kernel that lets prctl succeed without nnp.
    let r = compare(&ops[1..2], &e, &ctx(), &[Outcome::Skipped], &[OK]);
    assert!(r.unwrap_err().contains("EACCES"));
    // A kernel that denies AF_UNIX: the oracle says Ok.
    let unix = [Op::Socket {
        slot: Slot(0),
        family: libc::AF_UNIX,
        ty: libc::SOCK_STREAM,
        proto: 0,
    }];
    let mut seq = ops[..2].to_vec();
    seq.extend(unix);
    assert!(compare(&seq, &e, &ctx(), &oracle, &[OK, OK, err(EPERM)]).is_err());
}

#[test]
fn uring_personality_before_restriction_denies_even_nop() {
    let case = uring::UringCase {
        ring_before: true,
        personality: uring::Personality::Before,
        restrict: true,
        ops: vec![
            uring::UOp {
                kind: uring::Kind::Nop,
                async_: false,
                use_personality: true,
            },
            uring::UOp {
                kind: uring::Kind::Nop,
                async_: true,
                use_personality: false,
            },
            uring::UOp {
                kind: uring::Kind::Socket(libc::AF_UNIX),
                async_: true,
                use_personality: false,
            },
            uring::UOp {
                kind: uring::Kind::Connect(uring::Target::UnixPath),
                async_: true,
                use_personality: false,
            },
            uring::UOp {
                kind: uring::Kind::Bind(uring::Target::UnixAbstract),
                async_: true,
                use_personality: false,
            },
        ],
    };
    let c = ctx();
    let p: Vec<_> = (0..case.ops.len())
        .map(|i| uring::predict(&case, i, &c))
        .collect();
    assert_eq!(
        p,
        vec![
            Prediction::Deny,
            Prediction::Exact(OK),
            Prediction::SameAsUnrestricted,
            Prediction::SameAsUnrestricted,
            Prediction::Deny
        ]
    );
    let mut after = case.clone();
    after.personality = uring::Personality::After;
    assert_eq!(uring::predict(&after, 0, &c), Prediction::Exact(OK));
    assert_eq!(
        uring::predict(&after, 4, &c),
        Prediction::Deny,
        "personality creds carry the restriction"
    );
}

// ------------------------------------------------- generated invariants

#[test]
fn model_invariants_over_generated_sequences() {
    runner::run(
        "model_invariants",
        256,
        (ops::sequence(40), proptest::bool::ANY),
        |(seq, root)| {
            let c = ctx();
            let mut m = Model::new(env(root));
            let mut was_restricted = false;
            for op in &seq {
                let before = m.main;
                // Who asked: a parked thread's PR_NETWORK_TSYNC restricts
                // the main thread on the strength of the caller's own
                // no_new_privs or CAP_SYS_ADMIN (as seccomp's TSYNC).
                let caller = match op {
                    Op::InThread { t, .. } => m.threads[*t as usize].unwrap_or(before),
                    _ => before,
                };
                let p = m.predict(op, &c);
                if !before.restricted() && matches!(p, Prediction::Deny) {
                    return Err(format!("unrestricted main thread got Deny for {op:?}"));
                }
                m.apply(op, p, p.resolve(OK, OK), OK);
                if was_restricted && !m.main.restricted() {
                    return Err(format!("restriction lifted by {op:?}"));
                }
                if m.main.flags & !1 != 0 {
                    return Err(format!("unknown flag bits committed by {op:?}"));
                }
                if !before.restricted() && m.main.restricted() && !(caller.nnp || caller.sys_admin)
                {
                    return Err(format!("restricted without nnp or CAP_SYS_ADMIN by {op:?}"));
                }
                was_restricted = m.main.restricted();
            }
            Ok(())
        },
    );
}

#[test]
fn outcome_wire_roundtrip() {
    runner::run("outcome_wire", 256, proptest::num::i64::ANY, |v| {
        for o in [Outcome::Ok(v), Outcome::Err(v as i32), Outcome::Skipped] {
            if Outcome::from_wire(&o.to_wire()) != Some(o) {
                return Err(format!("{o:?}"));
            }
        }
        Ok(())
    });
}

/// A major module ordered before prctl_network answers first (its errno,
/// e.g. SELinux's EINVAL for a malformed address): a denial then shows as
/// the unrestricted failure, and only then.
#[test]
fn earlier_module_may_answer_a_denial_first() {
    use prctl_network_tests::check::{agrees, earlier_lsm};
    use prctl_network_tests::outcome::{Outcome, Prediction};
    let distro = "lockdown,capability,landlock,yama,integrity,selinux,bpf,prctl_network";
    assert_eq!(earlier_lsm(distro).as_deref(), Some("selinux"));
    assert_eq!(earlier_lsm("landlock,yama,prctl_network\n"), None);
    assert_eq!(earlier_lsm("prctl_network,apparmor"), None);
    let mut e = env(true);
    let (deny, einval) = (Outcome::Err(EPERM), Outcome::Err(libc::EINVAL));
    assert!(!agrees(Prediction::Deny, deny, einval, einval, &e));
    e.earlier_lsm = Some("selinux".into());
    assert!(agrees(Prediction::Deny, deny, einval, einval, &e));
    // Never a success, nor another errno, nor for a non-denial.
    assert!(!agrees(
        Prediction::Deny,
        deny,
        Outcome::Ok(0),
        Outcome::Ok(0),
        &e
    ));
    assert!(!agrees(
        Prediction::Deny,
        deny,
        einval,
        Outcome::Err(libc::EACCES),
        &e
    ));
    let same = Prediction::SameAsUnrestricted;
    assert!(!agrees(same, Outcome::Ok(0), Outcome::Ok(0), einval, &e));
}
