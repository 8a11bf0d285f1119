//! ptrace_may_access() and PTRACE_TRACEME across tasks with different flags:
//! every mechanism × direction × (world flags, child flags), checked against
//! the model's rule, independent of the generator.

use std::fs::File;
use std::io::{Read, Write};

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
                let devnull = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open("/dev/null")
                    .map_or(-1, std::os::fd::IntoRawFd::into_raw_fd);
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
        let (go_r, go_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2");
        let (mut go_r, mut go_w) = (File::from(go_r), File::from(go_w));
        // SAFETY: the child only makes plain syscalls and _exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            drop(go_w);
            // Wait for the parent to restrict.
            let _ = go_r.read(&mut [0u8; 1]);
            let code = match sys::nix_outcome(nix::sys::ptrace::traceme()) {
                Outcome::Ok(_) => 0,
                Outcome::Err(e) => e,
                Outcome::Skipped => 255,
            };
            sys::exit_child(code);
        }
        drop(go_r);
        sys::restrict_self();
        let _ = go_w.write_all(b"g");
        let st = sys::wait_exit(pid);
        let want = traceme(1, 0);
        let got = match st {
            sys::Exit::Code(0) => Outcome::Ok(0),
            sys::Exit::Code(e) => Outcome::Err(e),
            sys::Exit::Signal(s) => Outcome::Err(-s),
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
        let r = nix::sys::uio::process_vm_readv(
            nix::unistd::getpid(),
            &mut [std::io::IoSliceMut::new(&mut local)],
            &[nix::sys::uio::RemoteIoVec {
                base: remote.as_ptr() as usize,
                len: 1,
            }],
        );
        let mem = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/proc/self/mem");
        let _ = tx.send(());
        let other = t.join().map_err(|_| "thread panicked")?;
        if r != Ok(1) || mem.is_err() {
            return Err(format!("self access denied: readv={r:?} open={mem:?}"));
        }
        if other != Outcome::Ok(0) {
            return Err(format!("the other thread's flags changed: {other:?}"));
        }
        Ok(String::new())
    })
    .unwrap();
}
