//! A server that binds and listens first, then drops the network, then
//! accepts: connections to the listening socket it already has still
//! arrive, but it can open no new channel (no outgoing connection, no new
//! listening port).
//!
//! Run it with `cargo run --example server`. It listens on an ephemeral
//! port of 127.0.0.1, restricts itself, and then (to be self-contained)
//! has a child process it forked *before* the restriction connect once:
//! the connection is accepted and answered. On a stock kernel
//! `set_off()` fails with `Error::Unsupported`; the example then says it
//! serves *unrestricted* and goes on, which a real server should only do
//! if that is acceptable (see `best_effort.rs` for a fallback).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

fn main() -> std::io::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--client") {
        return client(&std::env::args().nth(2).expect("address"));
    }

    // 1. Set up every channel the server needs while it still can.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("listening on {addr}");

    // The client runs in a process started before the restriction, so it
    // keeps its network access (the restriction is inherited only by what
    // starts afterwards).
    let mut client = Command::new(std::env::current_exe()?)
        .args(["--client", &addr.to_string()])
        .spawn()?;

    // 2. Drop the network. The listening socket stays usable: accept()
    //    takes new connections to it, because they arrive on a channel the
    //    server opened before.
    match prctl_network::set_off() {
        Ok(status) => println!("restricted: {status}"),
        Err(prctl_network::Error::Unsupported) => {
            println!("kernel lacks PR_SET_NETWORK: serving UNRESTRICTED")
        }
        Err(e) => return Err(e.into()),
    }

    // 3. Serve. A new outgoing connection now fails with EPERM (on a
    //    stock kernel: with "connection refused", port 9 being closed).
    if let Err(e) = TcpStream::connect("127.0.0.1:9") {
        println!("a new outgoing connection from the server: {e}");
    }
    let (mut conn, peer) = listener.accept()?;
    let mut request = [0; 5];
    conn.read_exact(&mut request)?;
    conn.write_all(b"pong\n")?;
    println!("served {peer}: {:?}", String::from_utf8_lossy(&request));
    drop(conn); // the client reads to the end
    client.wait()?;
    Ok(())
}

fn client(addr: &str) -> std::io::Result<()> {
    // The listener exists already: connect at once.
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(b"ping\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    println!("client got {reply:?}");
    Ok(())
}
