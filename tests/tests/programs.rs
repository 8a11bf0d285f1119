//! Real programs beside the generated cases: busybox `nc`/`wget` under the
//! restriction (run by `nonet`, the crate's command), the X11 case (a
//! pathname AF_UNIX server keeps serving a restricted client, in-process and
//! as a program under `nonet`), a TCP connection made before the
//! restriction, and unrestricted processes on lo working as before.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use prctl_network_tests::check::require_series;
use prctl_network_tests::fork::{expect_eq, in_child};
use prctl_network_tests::outcome::Outcome;
use prctl_network_tests::sys;

const BUSYBOX: &str = "/bin/busybox";
const NONET: &str = "/usr/bin/nonet";

/// A tiny HTTP server on 127.0.0.1 counting the connections it accepted.
fn http_server() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n");
        }
    });
    (port, count)
}

/// Run a command (restricted or not) with a timeout; exit code (or -1 if
/// killed) and stdout+stderr.
fn run(argv: &[&str], restricted: bool, stdin: &[u8]) -> (i32, String) {
    let mut cmd = if restricted {
        assert!(
            std::path::Path::new(NONET).exists(),
            "{NONET} missing in the VM"
        );
        let mut c = Command::new(NONET);
        c.arg("--").args(argv);
        c
    } else {
        let mut c = Command::new(argv[0]);
        c.args(&argv[1..]);
        c
    };
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {argv:?}: {e}"));
    let mut sin = child.stdin.take().unwrap();
    let _ = sin.write_all(stdin);
    drop(sin);
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut out);
    let _ = child.stderr.take().unwrap().read_to_string(&mut out);
    (code, out)
}

fn busybox() {
    assert!(
        std::path::Path::new(BUSYBOX).exists(),
        "{BUSYBOX} missing in the VM"
    );
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn busybox_nc_and_wget_fail_when_restricted_and_work_otherwise() {
    require_series();
    busybox();
    in_child(|| {
        let (port, count) = http_server();
        let url = format!("http://127.0.0.1:{port}/");
        let p = port.to_string();
        // Restricted: no connection reaches the server.
        let (code, out) = run(&[BUSYBOX, "wget", "-q", "-O", "-", &url], true, b"");
        if code == 0 || out.contains("hello") {
            return Err(format!(
                "restricted wget succeeded: exit {code}, output {out:?}"
            ));
        }
        let (code, out) = run(&[BUSYBOX, "nc", "127.0.0.1", &p], true, b"ping\n");
        if code == 0 || out.contains("hello") {
            return Err(format!(
                "restricted nc succeeded: exit {code}, output {out:?}"
            ));
        }
        expect_eq(
            "connections accepted from restricted programs",
            count.load(Ordering::SeqCst),
            0,
        )?;
        // Unrestricted: everything works as before.
        let (code, out) = run(&[BUSYBOX, "wget", "-q", "-O", "-", &url], false, b"");
        if code != 0 || !out.contains("hello") {
            return Err(format!(
                "unrestricted wget failed: exit {code}, output {out:?}"
            ));
        }
        let (code, out) = run(&[BUSYBOX, "nc", "127.0.0.1", &p], false, b"ping\n");
        if !out.contains("hello") {
            return Err(format!(
                "unrestricted nc failed: exit {code}, output {out:?}"
            ));
        }
        expect_eq(
            "connections accepted from unrestricted programs",
            count.load(Ordering::SeqCst),
            2,
        )?;
        Ok(String::new())
    })
    .unwrap();
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn restricted_shell_pipeline_cannot_reach_lo() {
    require_series();
    busybox();
    in_child(|| {
        let (port, count) = http_server();
        let script = format!("echo ping | {BUSYBOX} nc 127.0.0.1 {port}; {BUSYBOX} wget -q -O - http://127.0.0.1:{port}/; exit 0");
        let (_, out) = run(&[BUSYBOX, "sh", "-c", &script], true, b"");
        if out.contains("hello") {
            return Err(format!("a restricted shell's children reached the server: {out:?}"));
        }
        expect_eq("connections accepted", count.load(Ordering::SeqCst), 0)?;
        Ok(String::new())
    })
    .unwrap();
}

/// The X11 case: a server on a pathname AF_UNIX socket (unrestricted) still
/// serves a restricted client; the same server under an abstract name is
/// out of reach.
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn pathname_unix_server_serves_restricted_client() {
    require_series();
    in_child(|| {
        let dir = std::env::temp_dir().join(format!("pn-x11-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let path = dir.join("X0");
        let l = UnixListener::bind(&path).map_err(|e| format!("bind {path:?}: {e}"))?;
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let mut buf = [0u8; 64];
                let n = s.read(&mut buf).unwrap_or(0);
                let mut reply = b"ack:".to_vec();
                reply.extend_from_slice(&buf[..n]);
                let _ = s.write_all(&reply);
            }
        });
        // Abstract listener of the same "display".
        let abs_name = format!("pn-x11-{}", std::process::id());
        let mut abs = vec![0u8];
        abs.extend_from_slice(abs_name.as_bytes());
        let (sun, len) = prctl_network_tests::addr::sockaddr_un(&abs);
        // SAFETY: plain syscalls on a valid sockaddr_un.
        let afd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
        unsafe {
            libc::bind(afd, (&sun as *const libc::sockaddr_un).cast(), len);
            libc::listen(afd, 8);
        }
        let p2 = path.clone();
        let r = in_child(move || {
            sys::restrict_self();
            let mut c = UnixStream::connect(&p2)
                .map_err(|e| format!("restricted connect to {p2:?}: {e}"))?;
            c.write_all(b"hello").map_err(|e| e.to_string())?;
            let mut buf = [0u8; 64];
            let n = c.read(&mut buf).map_err(|e| e.to_string())?;
            expect_eq("reply", &buf[..n], &b"ack:hello"[..])?;
            // SAFETY: plain syscalls.
            let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
            let r = sys::outcome(unsafe {
                libc::connect(fd, (&sun as *const libc::sockaddr_un).cast(), len)
            } as i64);
            expect_eq(
                "restricted connect to the abstract name",
                r,
                Outcome::Err(libc::EPERM),
            )?;
            Ok(String::new())
        });
        let _ = std::fs::remove_dir_all(&dir);
        r.map(|_| String::new())
    })
    .unwrap();
}

/// `nonet -- pn-unix-client PATH` (a local client program, as an X11 or
/// D-Bus client is) talks to a pathname AF_UNIX server; the same program
/// cannot reach an abstract name, and without `nonet` it can.
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn nonet_unix_client_program_reaches_pathname_server_only() {
    require_series();
    let client = "/usr/bin/pn-unix-client";
    assert!(
        std::path::Path::new(client).exists(),
        "{client} missing in the VM"
    );
    let tag = format!("pn-nonet-unix-{}", std::process::id());
    let path = std::env::temp_dir().join(&tag);
    let _ = std::fs::remove_file(&path);
    let serve = |l: UnixListener| {
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf);
                let mut reply = b"ack:".to_vec();
                reply.extend_from_slice(&buf);
                let _ = s.write_all(&reply);
            }
        })
    };
    serve(UnixListener::bind(&path).unwrap());
    use std::os::linux::net::SocketAddrExt;
    let abs = std::os::unix::net::SocketAddr::from_abstract_name(tag.as_bytes()).unwrap();
    serve(UnixListener::bind_addr(&abs).unwrap());
    let p = path.to_str().unwrap();
    let at = format!("@{tag}");

    let r = run(&[client, p, "hello"], true, b"");
    assert_eq!(r, (0, "ack:hello".to_string()), "nonet -- {client} {p}");
    let (code, out) = run(&[client, &at, "hello"], true, b"");
    assert_eq!(code, 1, "nonet -- {client} {at}: {out}");
    assert!(out.contains("Operation not permitted"), "{out}");
    // The same program, unrestricted, reaches the abstract server: the
    // denial above is the restriction, not a broken client.
    let r = run(&[client, &at, "hi"], false, b"");
    assert_eq!(r, (0, "ack:hi".to_string()), "{client} {at}");
    let _ = std::fs::remove_file(&path);
}

/// A TCP connection made before the restriction keeps working both ways;
/// new channels do not.
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn tcp_connection_made_before_restriction_keeps_working() {
    require_series();
    in_child(|| {
        let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let _ = s.write_all(b"welcome");
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let up: Vec<u8> = buf[..n].iter().map(u8::to_ascii_uppercase).collect();
                    let _ = s.write_all(&up);
                }
            }
        });
        in_child(move || {
            let mut c = TcpStream::connect(addr).map_err(|e| e.to_string())?;
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            sys::restrict_self();
            let mut buf = [0u8; 64];
            let n = c
                .read(&mut buf)
                .map_err(|e| format!("read after restriction: {e}"))?;
            expect_eq("server to client", &buf[..n], &b"welcome"[..])?;
            for msg in [&b"abc"[..], b"second round"] {
                c.write_all(msg)
                    .map_err(|e| format!("write after restriction: {e}"))?;
                let n = c.read(&mut buf).map_err(|e| e.to_string())?;
                expect_eq("echo", buf[..n].to_vec(), msg.to_ascii_uppercase())?;
            }
            // New channels: denied.
            expect_eq(
                "new inet socket",
                sys::try_inet_socket(),
                Outcome::Err(libc::EPERM),
            )?;
            let e = TcpStream::connect(addr)
                .map(|_| ())
                .map_err(|e| e.raw_os_error());
            expect_eq("new TCP connection", e, Err(Some(libc::EPERM)))?;
            Ok(String::new())
        })
        .map(|_| String::new())
    })
    .unwrap();
}

/// Unrestricted processes are unaffected, also after (and beside) a
/// restricted sibling: inet, inet6, abstract and pathname unix on lo.
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn unrestricted_processes_work_as_before() {
    require_series();
    in_child(|| {
        // A restricted sibling first.
        in_child(|| {
            sys::restrict_self();
            Ok(String::new())
        })?;
        let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let a = l.local_addr().unwrap();
        let c = TcpStream::connect(a).map_err(|e| format!("tcp: {e}"))?;
        drop((c, l));
        if let Ok(l6) = TcpListener::bind("[::1]:0") {
            TcpStream::connect(l6.local_addr().unwrap()).map_err(|e| format!("tcp6: {e}"))?;
        }
        let u = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let v = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        u.send_to(b"x", v.local_addr().unwrap())
            .map_err(|e| format!("udp sendto: {e}"))?;
        let abs = format!("\0pn-unr-{}", std::process::id());
        let (sun, len) = prctl_network_tests::addr::sockaddr_un(abs.as_bytes());
        // SAFETY: plain syscalls on a valid sockaddr_un.
        let r = unsafe {
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
            libc::bind(fd, (&sun as *const libc::sockaddr_un).cast(), len)
        };
        expect_eq("abstract bind", r, 0)?;
        expect_eq(
            "PR_GET_NETWORK",
            sys::get_network(0, 0, 0, 0),
            Outcome::Ok(0),
        )?;
        Ok(String::new())
    })
    .unwrap();
}
