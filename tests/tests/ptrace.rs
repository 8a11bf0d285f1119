//! ptrace_may_access() and PTRACE_TRACEME across tasks with different flags:
//! every mechanism × direction × (world flags, child flags), checked against
//! the model's rule, independent of the generator.

use prctl_network_tests::check::require_series;
use prctl_network_tests::exec::ptrace_op;
use prctl_network_tests::fork::in_child;
use prctl_network_tests::model::{ptrace_access_by, traceme};
use prctl_network_tests::ops::{PtraceDir, PtraceHow};
use prctl_network_tests::outcome::Outcome;
use prctl_network_tests::sys;

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn ptrace_matrix() {
    require_series();
    use PtraceDir::*;
    use PtraceHow::*;
    let kinds = [
        (Attach, ParentToChild),
        (Seize, ParentToChild),
        (Seize, ChildToParent),
        (ProcMem, ParentToChild),
        (ProcMem, ChildToParent),
        (VmWritev, ParentToChild),
        (VmWritev, ChildToParent),
        (VmReadv, ParentToChild),
        (VmReadv, ChildToParent),
        (PidfdGetfd, ParentToChild),
        (PidfdGetfd, ChildToParent),
        (TraceMe, ChildToParent),
    ];
    let mut failures = Vec::new();
    for world_off in [false, true] {
        for child_off in [false, true] {
            let r = in_child(|| {
                let _ = sys::allow_any_ptracer();
                if world_off {
                    sys::restrict_self();
                }
                // The child of a restricted world inherits the restriction.
                let child_flags = u32::from(world_off || child_off);
                let world_flags = u32::from(world_off);
                // SAFETY: plain syscall.
                let devnull = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
                let mut out = String::new();
                for (how, dir) in kinds {
                    // The child restricts itself with nnp so it works unprivileged.
                    if child_off && !world_off {
                        sys::set_nnp();
                    }
                    let got = ptrace_op(how, dir, child_off, devnull);
                    let want = match (how, dir) {
                        (TraceMe, _) => traceme(world_flags, child_flags),
                        (_, ParentToChild) => ptrace_access_by(how, world_flags, child_flags),
                        (_, ChildToParent) => ptrace_access_by(how, child_flags, world_flags),
                    };
                    if got != want {
                        out.push_str(&format!(
                            "{how:?} {dir:?} world_flags={world_flags} child_flags={child_flags}: kernel {got:?}, model {want:?}\n"
                        ));
                    }
                }
                Ok(out)
            });
            match r {
                Ok(s) if s.is_empty() => {}
                Ok(s) => failures.push(s),
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.concat());
}

/// PTRACE_TRACEME after the parent restricted itself (the only way the
/// parent can be more restricted than its child): EPERM.
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn traceme_after_parent_restricts_is_denied() {
    require_series();
    let r = in_child(|| {
        let (go_r, go_w) = sys::pipe();
        // SAFETY: the child only makes plain syscalls and _exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            sys::close(go_w);
            let mut b = [0u8; 1];
            // SAFETY: one writable byte; wait for the parent to restrict.
            unsafe { libc::read(go_r, b.as_mut_ptr().cast(), 1) };
            let code = match sys::outcome(unsafe { libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) }) {
                Outcome::Ok(_) => 0,
                Outcome::Err(e) => e,
                Outcome::Skipped => 255,
            };
            unsafe { libc::_exit(code) };
        }
        sys::close(go_r);
        sys::restrict_self();
        sys::write_all(go_w, b"g");
        let st = sys::wait_exit(pid);
        let want = traceme(1, 0);
        let got = if libc::WEXITSTATUS(st) == 0 {
            Outcome::Ok(0)
        } else {
            Outcome::Err(libc::WEXITSTATUS(st))
        };
        if got == want {
            Ok(String::new())
        } else {
            Err(format!("PTRACE_TRACEME of an unrestricted child of a restricted parent: kernel {got:?}, model {want:?}"))
        }
    });
    r.unwrap();
}

/// A thread group can always access itself: a restricted thread reads the
/// memory of its own process although another thread is unrestricted.
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn own_thread_group_is_always_accessible() {
    require_series();
    in_child(|| {
        // An unrestricted thread exists while the main thread restricts.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let _ = rx.recv();
            sys::get_network(0, 0, 0, 0)
        });
        sys::restrict_self();
        let mut local = [0u8; 1];
        let remote = [5u8; 1];
        let liov = libc::iovec {
            iov_base: local.as_mut_ptr().cast(),
            iov_len: 1,
        };
        let riov = libc::iovec {
            iov_base: remote.as_ptr() as *mut libc::c_void,
            iov_len: 1,
        };
        // SAFETY: both iovecs describe one valid byte of this process.
        let r = unsafe { libc::process_vm_readv(libc::getpid(), &liov, 1, &riov, 1, 0) };
        // SAFETY: plain syscall.
        let fd = unsafe { libc::open(c"/proc/self/mem".as_ptr(), libc::O_RDWR) };
        let _ = tx.send(());
        let other = t.join().map_err(|_| "thread panicked")?;
        if r != 1 || fd < 0 {
            return Err(format!(
                "self access denied: readv={r} open={fd} errno={}",
                sys::errno()
            ));
        }
        if other != Outcome::Ok(0) {
            return Err(format!("the other thread's flags changed: {other:?}"));
        }
        Ok(String::new())
    })
    .unwrap();
}
