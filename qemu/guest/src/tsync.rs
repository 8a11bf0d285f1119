//! The cost of one thread-synchronising call: `PR_SET_NETWORK` with
//! `PR_NETWORK_TSYNC` against seccomp's `SECCOMP_FILTER_FLAG_TSYNC`, on the
//! same sets of sibling threads (`--tsync-rounds N`, `--tsync-sets LIST`).
//!
//! One sample = one forked child (both restrictions are irreversible): it
//! sets `no_new_privs`, starts the set's sibling threads and waits until
//! they are where the set says (sleeping: all blocked in `read()` on a pipe,
//! checked in `/proc/self/task/*/stat`; busy: all spinning in user space),
//! sleeps 100 ms (so that the previous sample's freed threads and filters
//! are not charged to this one), then times the one call with `rdtsc` and checks that every sibling ended
//! up restricted (`PR_GET_NETWORK` = 1, or `PR_GET_SECCOMP` = 2), the caller
//! too. Under `-icount` the ticks are guest instructions of both vCPUs: what
//! the call costs the machine, the siblings' task_works (prctl_network) and
//! the scheduling of busy siblings included.
//!
//! ```text
//! BENCH-TSYNC boot=T1 mech=prctl set=256s threads=256 busy=0 round=2 ticks=1234567 asleep=256
//! ```

use crate::bench::{
    check, errno, error, module_flags, seccomp_filter_with, skip, ticks, wait_child,
};
use crate::pid1::emit;
use prctl_network_sys::{
    prctl_get_network, prctl_set_network_options, PR_NETWORK_OFF, PR_NETWORK_TSYNC,
};
use prctl_network_vm_protocol::{Event, TsyncSample};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Sibling threads of one sample: `n` of them, sleeping in `read()` or
/// spinning in user space (`busy`). Written `256s` / `16b`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ThreadSet {
    pub n: usize,
    pub busy: bool,
}

impl ThreadSet {
    pub fn parse(s: &str) -> Option<ThreadSet> {
        let (num, busy) = match s.as_bytes().last()? {
            b's' => (&s[..s.len() - 1], false),
            b'b' => (&s[..s.len() - 1], true),
            _ => (s, false),
        };
        Some(ThreadSet {
            n: num.parse().ok()?,
            busy,
        })
    }
    pub fn label(self) -> String {
        format!("{}{}", self.n, if self.busy { 'b' } else { 's' })
    }
}

/// Sleep before the timed call, in ms (25 ticks at HZ=250).
const SETTLE_MS: u64 = 100;

/// The sets of the issue: 1, 16, 256, 1024 sleeping siblings and 16 busy
/// ones; 0 (the caller alone) as the base of the per-thread cost.
pub const DEFAULT_SETS: &str = "0s,1s,16s,256s,1024s,16b";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mech {
    /// `prctl(PR_SET_NETWORK, PR_NETWORK_OFF, PR_NETWORK_TSYNC, 0, 0)`
    Prctl,
    /// `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, d's filter)`
    Seccomp,
}

impl Mech {
    pub fn name(self) -> &'static str {
        match self {
            Mech::Prctl => "prctl",
            Mech::Seccomp => "seccomp",
        }
    }
    fn call(self) -> Result<(), String> {
        match self {
            Mech::Prctl => check(
                prctl_set_network_options(PR_NETWORK_OFF, PR_NETWORK_TSYNC),
                "PR_SET_NETWORK(PR_NETWORK_TSYNC)",
            )
            .map(drop),
            Mech::Seccomp => seccomp_filter_with(true),
        }
    }
    /// Is the calling thread under the restriction?
    fn restricted(self) -> bool {
        match self {
            Mech::Prctl => prctl_get_network() == 1,
            // SAFETY: prctl with integer arguments.
            Mech::Seccomp => unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) == 2 },
        }
    }
}

/// How many of the given threads are in state `S` (interruptible sleep).
fn asleep(tids: &[i32]) -> usize {
    tids.iter()
        .filter(|t| {
            std::fs::read_to_string(format!("/proc/self/task/{t}/stat"))
                .ok()
                // "tid (comm) S ...": the state follows the last ')'.
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, r)| r.trim_start().starts_with('S'))
                })
                .unwrap_or(false)
        })
        .count()
}

/// One sample, in a forked child: the BENCH-TSYNC line, or BENCH-ERROR.
fn sample(mech: Mech, set: ThreadSet, round: u32, boot: &str) -> Result<Event, String> {
    // SAFETY: prctl with integer arguments.
    check(
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
        "PR_SET_NO_NEW_PRIVS",
    )?;
    let mut fds = [0; 2];
    // SAFETY: a two-int array for pipe2.
    check(
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) },
        "pipe2",
    )?;
    let (rfd, wfd) = (fds[0], fds[1]);
    let started = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(set.n)));
    let mut handles = Vec::with_capacity(set.n);
    for i in 0..set.n {
        let (started, stop, tids) = (started.clone(), stop.clone(), tids.clone());
        let h = std::thread::Builder::new()
            .stack_size(64 << 10)
            .spawn(move || {
                // SAFETY: gettid has no preconditions.
                let tid = unsafe { libc::gettid() };
                tids.lock().expect("not poisoned").push(tid);
                started.fetch_add(1, Ordering::SeqCst);
                if set.busy {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                } else {
                    let mut b = [0u8; 1];
                    // Returns 0 at EOF, when the caller closes the write end.
                    // SAFETY: reading into a stack buffer.
                    while unsafe { libc::read(rfd, b.as_mut_ptr().cast(), 1) } < 0
                        && errno() == libc::EINTR
                    {}
                }
                mech.restricted()
            })
            .map_err(|e| format!("thread {i}: {e}"))?;
        handles.push(h);
    }
    while started.load(Ordering::SeqCst) < set.n {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let tids = tids.lock().expect("not poisoned").clone();
    let mut sleeping = asleep(&tids);
    if !set.busy {
        for _ in 0..200 {
            if sleeping == set.n {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            sleeping = asleep(&tids);
        }
    }
    // As `settle()` for the ops, and longer: the previous sample's child
    // and its up to 1024 threads are freed after RCU grace periods, which
    // would otherwise land in this call. Busy siblings spin meanwhile,
    // spread over both vCPUs by now.
    std::thread::sleep(std::time::Duration::from_millis(SETTLE_MS));
    let t0 = ticks();
    let r = mech.call();
    let t1 = ticks();
    let caller_ok = mech.restricted();
    stop.store(true, Ordering::SeqCst);
    // SAFETY: closing our own pipe ends.
    unsafe {
        libc::close(wfd);
    }
    let mut siblings_ok = 0;
    for h in handles {
        siblings_ok += usize::from(h.join().unwrap_or(false));
    }
    // SAFETY: closing our own pipe end.
    unsafe {
        libc::close(rfd);
    }
    r?;
    if !caller_ok || siblings_ok != set.n {
        return Err(format!(
            "after the call: caller restricted {caller_ok}, {siblings_ok} of {} siblings restricted",
            set.n
        ));
    }
    Ok(Event::Tsync(TsyncSample {
        boot: boot.to_string(),
        mech: mech.name().to_string(),
        set: set.label(),
        threads: set.n,
        busy: set.busy,
        round,
        ticks: t1 - t0,
        asleep: sleeping,
    }))
}

/// The exit code of a sample child that printed its own `BENCH-ERROR`.
const REPORTED: i32 = 1;

/// The exit code of a sample child that panicked (the panic message went
/// to stderr, no `BENCH-ERROR`).
const PANICKED: i32 = 101;

/// The `BENCH-ERROR` message the parent owes for a sample child's wait
/// status: none when it exited 0 or after its own `BENCH-ERROR`
/// ([`REPORTED`]); `wait status <status>` when it was killed by a signal,
/// panicked or exited with another code.
fn unreported_failure(status: libc::c_int) -> Option<String> {
    if libc::WIFEXITED(status) && matches!(libc::WEXITSTATUS(status), 0 | REPORTED) {
        None
    } else {
        Some(format!("wait status {status:#x}"))
    }
}

/// Runs one sample in a forked child; false on any error (printed).
fn run_sample(mech: Mech, set: ThreadSet, round: u32, boot: &str) -> bool {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    // SAFETY: the parent is single-threaded, so the child may run Rust code.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // A panic must not unwind into the parent's frames in the child.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sample(mech, set, round, boot)
        }));
        let code = match result {
            Ok(Ok(line)) => {
                emit(&line);
                0
            }
            Ok(Err(e)) => {
                error(boot, "tsync", format!("{}-{}", mech.name(), set.label()), e);
                REPORTED
            }
            Err(_) => PANICKED,
        };
        let _ = std::io::stdout().flush();
        // SAFETY: leave the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    if pid < 0 {
        error(boot, "tsync", "fork", std::io::Error::last_os_error());
        return false;
    }
    let st = match wait_child(pid) {
        Ok(st) => st,
        Err(e) => {
            error(boot, "tsync", "child", format!("waitpid: {e}"));
            return false;
        }
    };
    if let Some(msg) = unreported_failure(st) {
        error(boot, "tsync", "child", msg);
    }
    libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0
}

/// `rounds` rounds over every (set, mechanism), the order rotating.
pub fn bench(rounds: u32, sets: &[ThreadSet], boot: &str) -> bool {
    let mut mechs = vec![Mech::Seccomp];
    if module_flags().is_some() {
        mechs.insert(0, Mech::Prctl);
    } else {
        skip(
            boot,
            "tsync",
            "the module is not enabled in this boot (seccomp only)",
        );
    }
    let jobs: Vec<(Mech, ThreadSet)> = sets
        .iter()
        .flat_map(|&s| mechs.iter().map(move |&m| (m, s)))
        .collect();
    let mut ok = true;
    for round in 0..rounds {
        for i in 0..jobs.len() {
            let (m, s) = jobs[(i + round as usize) % jobs.len()];
            ok &= run_sample(m, s, round, boot);
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_sets() {
        assert_eq!(
            ThreadSet::parse("256s"),
            Some(ThreadSet {
                n: 256,
                busy: false
            })
        );
        assert_eq!(
            ThreadSet::parse("16b"),
            Some(ThreadSet { n: 16, busy: true })
        );
        assert_eq!(ThreadSet::parse("4"), Some(ThreadSet { n: 4, busy: false }));
        assert_eq!(ThreadSet::parse("x"), None);
        assert_eq!(ThreadSet::parse(""), None);
        let all: Vec<String> = DEFAULT_SETS
            .split(',')
            .map(|s| ThreadSet::parse(s).expect("valid").label())
            .collect();
        assert_eq!(all.join(","), DEFAULT_SETS);
    }

    #[test]
    fn a_child_failure_without_its_own_message_is_reported() {
        let exited = |code: i32| code << 8;
        assert_eq!(unreported_failure(exited(0)), None);
        assert_eq!(unreported_failure(exited(REPORTED)), None, "it printed one");
        assert_eq!(
            unreported_failure(exited(PANICKED)),
            Some("wait status 0x6500".into())
        );
        assert_eq!(
            unreported_failure(exited(2)),
            Some("wait status 0x200".into())
        );
        // Killed by SIGKILL, by SIGSEGV with a core.
        assert_eq!(
            unreported_failure(libc::SIGKILL),
            Some("wait status 0x9".into())
        );
        assert_eq!(
            unreported_failure(libc::SIGSEGV | 0x80),
            Some("wait status 0x8b".into())
        );
    }

    #[test]
    fn a_real_child_killed_by_a_signal_is_reported() {
        // SAFETY: the child only raises a signal.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            unsafe {
                libc::raise(libc::SIGKILL);
                libc::_exit(0);
            }
        }
        let st = wait_child(pid).expect("our child");
        assert!(libc::WIFSIGNALED(st));
        assert_eq!(unreported_failure(st), Some(format!("wait status {st:#x}")));
        assert!(wait_child(pid).is_err(), "no second wait");
    }
}
