//! `pn-unix-client ADDRESS MESSAGE`: connect a stream AF_UNIX socket to
//! ADDRESS (a filesystem path, or `@name` for an abstract name), send
//! MESSAGE, print the reply to stdout. On failure it prints the failing call
//! and errno to stderr and exits 1.
//!
//! The VM tests run it under `nonet` as the stand-in for an X11 or D-Bus
//! client: a program that only speaks to a local server, which must keep
//! working with the network off. (busybox has no AF_UNIX client applet.)

use std::io::{Read, Write};
use std::os::unix::net::{SocketAddr, UnixStream};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, msg] = args.as_slice() else {
        eprintln!("usage: pn-unix-client ADDRESS|@ABSTRACT MESSAGE");
        std::process::exit(2);
    };
    let stream = match addr.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name.as_bytes())
                .and_then(|a| UnixStream::connect_addr(&a))
        }
        None => UnixStream::connect(addr),
    };
    let mut s = match stream {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pn-unix-client: connect {addr}: {e}");
            std::process::exit(1);
        }
    };
    let mut reply = Vec::new();
    let r = s
        .write_all(msg.as_bytes())
        .and_then(|()| s.shutdown(std::net::Shutdown::Write))
        .and_then(|()| s.read_to_end(&mut reply));
    if let Err(e) = r {
        eprintln!("pn-unix-client: {addr}: {e}");
        std::process::exit(1);
    }
    std::io::stdout().write_all(&reply).unwrap();
}
