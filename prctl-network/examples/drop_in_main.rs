//! Drop the network at the start of `main`, before doing any work.
//!
//! Run it with `cargo run --example drop_in_main`. On a kernel carrying the
//! prctl-network series it prints `network off`, then shows that a new TCP
//! connection is refused with `EPERM` while a filesystem `AF_UNIX` socket
//! still works. On a stock kernel `set_off()` fails with
//! `Error::Unsupported` and changes nothing (not even `no_new_privs`): the
//! example says so and exits with status 1, as a program that must not run
//! with network access should. See `best_effort.rs` for the alternative.

use std::net::TcpStream;
use std::os::unix::net::UnixDatagram;
use std::process::ExitCode;

fn main() -> ExitCode {
    // First thing: every thread of the process (there is only this one
    // yet) and everything it starts later loses the network for good.
    match prctl_network::set_off() {
        Ok(status) if status.is_complete() => println!("network off"),
        Ok(status) => {
            eprintln!("network off, but not everywhere: {status}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("refusing to run with network access: {e}");
            return ExitCode::FAILURE;
        }
    }

    // The work. New network channels are refused...
    match TcpStream::connect("127.0.0.1:9") {
        Err(e) => println!("connect to 127.0.0.1:9: {e}"),
        Ok(_) => println!("connect to 127.0.0.1:9 succeeded: not restricted?"),
    }
    // ...while AF_UNIX sockets (X11, D-Bus, a local socketpair) keep working.
    match UnixDatagram::pair().and_then(|(a, b)| {
        a.send(b"ping")?;
        let mut buf = [0; 4];
        b.recv(&mut buf).map(|n| n == 4)
    }) {
        Ok(true) => println!("AF_UNIX socketpair: works"),
        other => println!("AF_UNIX socketpair: {other:?}"),
    }
    ExitCode::SUCCESS
}
