//! `pn-suid-probe`: installed setuid-root in the test VM.
//!
//! Prints its real and effective uid, `PR_GET_NETWORK` and whether
//! `socket(AF_INET)` works, and exits with the code of
//! `prctl_network_tests::probe::report()` (bit 0: restricted, bit 1:
//! `socket(AF_INET)` got `EPERM`, bit 2: euid 0, bit 3: ruid 0, bit 4:
//! unexpected error), so the exec tests can check the restriction survives
//! a setuid exec and that with no_new_privs the euid is not elevated.

fn main() {
    let code = prctl_network_tests::probe::report();
    let (ruid, euid) = (nix::unistd::getuid(), nix::unistd::geteuid());
    let get = prctl_network_tests::sys::get_network(0, 0, 0, 0);
    let sock = prctl_network_tests::sys::try_inet_socket();
    println!("ruid={ruid} euid={euid} PR_GET_NETWORK={get:?} socket(AF_INET)={sock:?} code={code}");
    println!("{}", prctl_network_tests::probe::describe(code));
    std::process::exit(code as i32);
}
