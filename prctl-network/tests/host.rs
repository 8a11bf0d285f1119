//! Tests that run on any kernel; they are written for kernels *without*
//! the prctl-network series (the development host) and check the crate's
//! behaviour against the raw prctl() result, so they stay correct on a
//! patched kernel too. Each test forks so the test process stays clean.

mod common;

use common::{in_child, kernel_has_series, no_new_privs, park_thread};
use prctl_network::{
    get, is_supported, probe, set_off, thread_count, Error, NetworkState, Restriction, Support,
    ThreadScope,
};

#[test]
fn get_and_probe_agree_with_raw_prctl() {
    in_child(|| {
        let raw = prctl_network_sys::prctl_get_network();
        if raw == -1 {
            assert_eq!(common::errno(), libc::EINVAL);
            assert_eq!(get(), Err(Error::Unsupported));
            assert_eq!(probe(), Support::Missing);
            assert!(!is_supported());
        } else {
            let state = NetworkState::from_bits(raw as libc::c_uint as libc::c_ulong).unwrap();
            assert_eq!(get(), Ok(state));
            assert_eq!(probe(), Support::Available { state });
            assert!(is_supported());
        }
    });
}

#[test]
fn failed_set_off_on_unsupported_kernel_changes_nothing() {
    if kernel_has_series() {
        eprintln!("kernel has PR_SET_NETWORK: covered by tests/kernel.rs instead");
        return;
    }
    in_child(|| {
        let nnp_before = no_new_privs();
        assert_eq!(set_off().unwrap_err(), Error::Unsupported);
        assert_eq!(no_new_privs(), nnp_before, "set_off() changed no_new_privs");
        let e = Restriction::new()
            .require_single_thread(false)
            .restrict()
            .unwrap_err();
        assert_eq!(e, Error::Unsupported);
        assert_eq!(
            no_new_privs(),
            nnp_before,
            "restrict() changed no_new_privs"
        );
        if nnp_before {
            eprintln!("note: no_new_privs was already set by the environment");
        }
        // The process is otherwise unchanged: new sockets still work.
        let fd = common::socket(libc::AF_INET, libc::SOCK_DGRAM).expect("AF_INET socket");
        // SAFETY: fd was just created.
        unsafe { libc::close(fd) };
        let io: std::io::Error = e.into();
        assert_eq!(io.kind(), std::io::ErrorKind::Unsupported);
        // What `fn main() -> std::io::Result<()>` prints: the explanation.
        let shown = format!("{io:?}");
        assert!(shown.contains("kernel lacks PR_SET_NETWORK"), "{shown}");
        let inner = io.get_ref().and_then(|i| i.downcast_ref::<Error>());
        assert_eq!(inner.and_then(Error::raw_os_error), Some(libc::EINVAL));
    });
}

#[test]
fn unsupported_error_message_names_the_fix() {
    if kernel_has_series() {
        return;
    }
    in_child(|| {
        let msg = set_off().unwrap_err().to_string();
        assert!(msg.contains("kernel lacks PR_SET_NETWORK"), "{msg}");
        assert!(msg.contains("lsm="), "{msg}");
    });
}

#[test]
fn thread_count_sees_other_threads() {
    in_child(|| {
        // A forked child of the multi-threaded test harness has one thread.
        assert_eq!(thread_count(), Some(1));
        assert_eq!(
            ThreadScope::from_count(thread_count()),
            ThreadScope::WholeProcess
        );
        let (tx, h) = park_thread();
        assert_eq!(thread_count(), Some(2));
        assert_eq!(
            ThreadScope::from_count(thread_count()),
            ThreadScope::ThisThreadOnly { other_threads: 1 }
        );
        drop(tx);
        h.join().unwrap();
    });
}
