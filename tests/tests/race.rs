//! Concurrency: threads racing PR_SET_NETWORK against socket creation and
//! fork in one process. Each thread restricts itself at its own round (one
//! never does); after its prctl returned, every inet socket it creates must
//! be denied and every child it forks must be restricted; before, and in
//! the thread that never restricts, everything must work. No crash, no
//! leak of one thread's flags into another.
//!
//! Rounds per thread: `PN_RACE_ROUNDS` (default 300; fork every 16th round).

use std::sync::{Arc, Barrier};

use prctl_network_tests::check::require_series;
use prctl_network_tests::fork::in_child;
use prctl_network_tests::outcome::Outcome;
use prctl_network_tests::runner::env_number;
use prctl_network_tests::{probe, sys};

const THREADS: usize = 5;

fn unix_socket() -> Outcome {
    use nix::sys::socket::{AddressFamily, SockType};
    sys::try_socket(AddressFamily::Unix, SockType::Datagram)
}

fn worker(idx: usize, rounds: u64, barrier: Arc<Barrier>) -> Result<u64, String> {
    // Thread THREADS-1 never restricts; thread 0 restricts at once.
    let off_at = if idx == THREADS - 1 {
        u64::MAX
    } else {
        rounds * idx as u64 / THREADS as u64
    };
    let mut restricted = false;
    let mut denied = 0;
    barrier.wait();
    for r in 0..rounds {
        if r == off_at {
            let o = sys::set_off();
            if o != Outcome::Ok(0) {
                return Err(format!("thread {idx} round {r}: PR_SET_NETWORK {o:?}"));
            }
            restricted = true;
        }
        let want = if restricted {
            Outcome::Err(libc::EPERM)
        } else {
            Outcome::Ok(0)
        };
        let got = sys::try_inet_socket();
        if got != want {
            return Err(format!(
                "thread {idx} round {r} (restricted={restricted}): socket(AF_INET) {got:?}"
            ));
        }
        if got == Outcome::Err(libc::EPERM) {
            denied += 1;
        }
        let u = unix_socket();
        if u != Outcome::Ok(0) {
            return Err(format!("thread {idx} round {r}: socket(AF_UNIX) {u:?}"));
        }
        let g = sys::get_network(0, 0, 0, 0);
        if g != Outcome::Ok(restricted as i64) {
            return Err(format!("thread {idx} round {r}: PR_GET_NETWORK {g:?}"));
        }
        if r.is_multiple_of(16) {
            // SAFETY: the child computes its report and _exits.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                sys::exit_child(probe::report() as i32);
            }
            let st = sys::wait_exit(pid);
            let (e0, r0) = (
                nix::unistd::geteuid().is_root(),
                nix::unistd::getuid().is_root(),
            );
            let want = probe::expected_code(restricted, e0, r0) as i32;
            if st != sys::Exit::Code(want) {
                return Err(format!(
                    "thread {idx} round {r}: forked child {st} , want {}",
                    probe::describe(want as u8)
                ));
            }
        }
    }
    Ok(denied)
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn threads_race_set_off_against_socket_and_fork() {
    require_series();
    let rounds = env_number("PN_RACE_ROUNDS", 300);
    eprintln!("{THREADS} threads x {rounds} rounds (PN_RACE_ROUNDS overrides)");
    let out = in_child(|| {
        // nnp first (inherited by the threads), so this works unprivileged.
        sys::set_nnp();
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let b = barrier.clone();
                std::thread::spawn(move || worker(i, rounds, b))
            })
            .collect();
        let mut errors = Vec::new();
        let mut denied = 0;
        for h in handles {
            match h.join() {
                Ok(Ok(d)) => denied += d,
                Ok(Err(e)) => errors.push(e),
                Err(_) => errors.push("a worker panicked".into()),
            }
        }
        // The main thread never restricted itself.
        if sys::get_network(0, 0, 0, 0) != Outcome::Ok(0) {
            errors.push("the main thread got restricted by its threads".into());
        }
        if errors.is_empty() {
            Ok(format!("{denied} denials"))
        } else {
            Err(errors.join("\n"))
        }
    });
    eprintln!("{out:?}");
    out.unwrap();
}
