//! What PID 1 does before either mode runs, written once: the console line,
//! mounts, network interfaces, the CRNG, and the power-off at the end.
//! The modes choose what to set up and how to report a failure (test mode
//! as `VMTEST FAIL init::<step>` lines, bench mode as
//! `BENCH-ERROR ... op=setup` lines).

use prctl_network_vm_protocol::Event;
use std::ffi::CString;
use std::io::Write;
use std::time::{Duration, Instant};

/// One console line in a single write(2), so that kernel messages (and the
/// forked bench children's lines) cannot split it.
pub fn emit(event: &Event) {
    let mut s = event.to_string();
    s.push('\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

pub fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL in strings we build")
}

/// A failed system call: what was attempted, and errno.
pub struct SysError {
    pub what: String,
    pub err: std::io::Error,
}

impl SysError {
    /// `what` failed with the current errno.
    pub fn last(what: impl Into<String>) -> SysError {
        SysError {
            what: what.into(),
            err: std::io::Error::last_os_error(),
        }
    }
}

impl std::fmt::Display for SysError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.err)
    }
}

/// One filesystem to mount (its target directory is created first).
pub struct Mount {
    pub source: &'static str,
    pub target: &'static str,
    pub fstype: &'static str,
    pub flags: libc::c_ulong,
    /// mount options; "" passes none
    pub data: &'static str,
}

impl Mount {
    pub fn mount(&self) -> Result<(), std::io::Error> {
        let _ = std::fs::create_dir_all(self.target);
        let (s, t, f, d) = (
            cstr(self.source),
            cstr(self.target),
            cstr(self.fstype),
            cstr(self.data),
        );
        let data = if self.data.is_empty() {
            std::ptr::null()
        } else {
            d.as_ptr().cast()
        };
        // SAFETY: valid NUL-terminated strings (or NULL data) that outlive the call.
        let r = unsafe { libc::mount(s.as_ptr(), t.as_ptr(), f.as_ptr(), self.flags, data) };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

/// A datagram socket of `family` (closed on drop).
struct Socket(libc::c_int);

impl Socket {
    fn new(family: libc::c_int) -> Result<Socket, SysError> {
        // SAFETY: a plain socket() call.
        let fd = unsafe { libc::socket(family, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(SysError::last("socket"));
        }
        Ok(Socket(fd))
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: our own descriptor.
        unsafe { libc::close(self.0) };
    }
}

/// Sets `IFF_UP | IFF_RUNNING` on the interface `name`, keeping its other
/// flags.
pub fn if_up(name: &str) -> Result<(), SysError> {
    let sock = Socket::new(libc::AF_INET)?;
    // SAFETY: ioctls on a zeroed ifreq holding a NUL-terminated name.
    unsafe {
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        if libc::ioctl(sock.0, libc::SIOCGIFFLAGS, &mut ifr) != 0 {
            return Err(SysError::last(format!("SIOCGIFFLAGS {name}")));
        }
        ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(sock.0, libc::SIOCSIFFLAGS, &ifr) != 0 {
            return Err(SysError::last(format!("SIOCSIFFLAGS {name}")));
        }
    }
    Ok(())
}

/// `lo` up, then a datagram to 127.0.0.1 must come back.
pub fn loopback() -> Result<(), String> {
    if_up("lo").map_err(|e| e.to_string())?;
    let s = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let addr = s.local_addr().map_err(|e| e.to_string())?;
    s.send_to(b"ping", addr)
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut buf = [0u8; 8];
    let (n, _) = s
        .recv_from(&mut buf)
        .map_err(|e| format!("recv on {addr}: {e}"))?;
    if &buf[..n] != b"ping" {
        return Err("loopback returned garbage".into());
    }
    Ok(())
}

/// A second interface for the path tests: `dummy0` up, with a routable
/// IPv6 prefix (2001:db8::1/64, documentation space), so that the
/// redirection tests can send to 2001:db8::77 (out of `dummy0`, where it
/// vanishes) and a sniffer on `dummy0` sees where a packet went. (A prefix
/// on `lo` would become a reject route.)
pub fn dummy0_v6() -> Result<(), SysError> {
    if_up("dummy0")?;
    let sock = Socket::new(libc::AF_INET6)?;
    // SAFETY: an ioctl on a zeroed in6_ifreq.
    unsafe {
        let mut req: libc::in6_ifreq = std::mem::zeroed();
        req.ifr6_addr.s6_addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        req.ifr6_prefixlen = 64;
        req.ifr6_ifindex = libc::if_nametoindex(c"dummy0".as_ptr()) as libc::c_int;
        if libc::ioctl(sock.0, libc::SIOCSIFADDR, &req) != 0 {
            return Err(SysError::last("SIOCSIFADDR dummy0 2001:db8::1/64"));
        }
    }
    Ok(())
}

/// A TCG guest has few entropy sources: until the CRNG is ready, anything
/// that polls /dev/random (the getrandom crate's fallback, used by
/// proptest's seeding) blocks forever. A blocking getrandom(2) makes the
/// kernel generate jitter entropy and initialise the CRNG now. Returns
/// whether it worked (the error otherwise) and how long it took.
pub fn crng_ready() -> (Result<(), std::io::Error>, Duration) {
    let t = Instant::now();
    let mut seed = [0u8; 32];
    // SAFETY: writing into a local buffer.
    let r = unsafe { libc::getrandom(seed.as_mut_ptr().cast(), seed.len(), 0) };
    let result = if r < 0 {
        Err(std::io::Error::last_os_error())
    } else if r as usize != seed.len() {
        Err(std::io::Error::other(format!(
            "{r} of {} bytes",
            seed.len()
        )))
    } else {
        Ok(())
    };
    (result, t.elapsed())
}

/// CPUs online.
pub fn cpus() -> libc::c_long {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }
}

/// Sync and reboot: under QEMU `-no-reboot` this ends the VM.
pub fn power_off() -> ! {
    // SAFETY: sync and reboot have no memory arguments.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_AUTOBOOT);
    }
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}
