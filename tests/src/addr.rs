//! Symbolic socket addresses and their byte encoding.
//!
//! Generated operations name addresses symbolically ("the world's TCP
//! fixture port", "fresh pathname #2", "abstract name of the dgram
//! fixture") so that a sequence means the same thing in the oracle world and
//! in the restricted world, although each has its own directory, abstract
//! names and ephemeral port. [`Addr::encode`] turns one into the exact bytes
//! and length handed to the kernel; the model decides on those same bytes.

use std::fmt;

/// Largest address the kernel copies in (`sizeof(struct sockaddr_storage)`).
pub const SOCKADDR_STORAGE: u32 = 128;

/// Per-world facts needed to encode symbolic addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrCtx {
    /// Directory of the world's pathname sockets (absolute).
    pub dir: String,
    /// World tag used in abstract names (same length in every world of a case).
    pub tag: String,
    /// Port of the world's fixtures (TCP and UDP, v4 and v6, all on this port).
    pub port: u16,
}

impl AddrCtx {
    /// Pathname of a [`PathRef`].
    pub fn path(&self, p: PathRef) -> String {
        match p {
            PathRef::FixtureStream => format!("{}/fs", self.dir),
            PathRef::FixtureDgram => format!("{}/fd", self.dir),
            PathRef::Fresh(k) => format!("{}/p{k}", self.dir),
            PathRef::Missing => format!("{}/missing", self.dir),
        }
    }

    /// Abstract name (without the leading NUL) of a [`NameRef`].
    pub fn abstract_name(&self, n: NameRef) -> String {
        match n {
            NameRef::FixtureStream => format!("pn-{}-as", self.tag),
            NameRef::FixtureDgram => format!("pn-{}-ad", self.tag),
            NameRef::Fresh(k) => format!("pn-{}-a{k}", self.tag),
            NameRef::Empty => String::new(),
        }
    }

    fn port_of(&self, p: PortRef) -> u16 {
        match p {
            PortRef::Fixture => self.port,
            PortRef::Zero => 0,
        }
    }
}

/// An inet port.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PortRef {
    /// The world's fixture port (TCP listener and UDP socket on it).
    Fixture,
    /// Port 0.
    Zero,
}

/// A pathname in the world's directory.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PathRef {
    /// Bound, listening `SOCK_STREAM` fixture.
    FixtureStream,
    /// Bound `SOCK_DGRAM` fixture.
    FixtureDgram,
    /// A name nothing uses at the start (`p0`..`p3`).
    Fresh(u8),
    /// A name nothing ever binds.
    Missing,
}

/// An abstract-namespace name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NameRef {
    /// Listening `SOCK_STREAM` fixture.
    FixtureStream,
    /// Bound `SOCK_DGRAM` fixture.
    FixtureDgram,
    /// A name nothing uses at the start.
    Fresh(u8),
    /// The empty abstract name: `sun_path = "\0"`, length 3.
    Empty,
}

/// A symbolic socket address.
#[derive(Clone, PartialEq, Eq)]
pub enum Addr {
    /// `sockaddr_in` (16 bytes), loopback or any.
    Inet4 {
        /// 127.0.0.1 if true, 0.0.0.0 otherwise.
        loopback: bool,
        /// Port.
        port: PortRef,
    },
    /// `sockaddr_in6` (28 bytes), `::1` or `::`.
    Inet6 {
        /// ::1 if true, :: otherwise.
        loopback: bool,
        /// Port.
        port: PortRef,
    },
    /// Pathname `sockaddr_un`, length up to and including the NUL.
    UnixPath(PathRef),
    /// Abstract `sockaddr_un`: NUL then the name, no trailing NUL.
    UnixAbstract(NameRef),
    /// `sockaddr_un` with only the family: length 2 (autobind / empty).
    UnixUnnamed,
    /// A NULL pointer with this length.
    Null {
        /// Length argument.
        len: u32,
    },
    /// Malformed: `family` then `fill` bytes, with an arbitrary length
    /// (short, long, > 128, "negative").
    Raw {
        /// `sa_family`.
        family: u16,
        /// Length argument.
        len: u32,
        /// Every byte after the family.
        fill: u8,
    },
    /// A well-formed address passed with another length.
    Truncated {
        /// The address.
        addr: Box<Addr>,
        /// Length argument.
        len: u32,
    },
}

/// An address as the kernel receives it.
#[repr(C, align(8))]
#[derive(Clone)]
pub struct Encoded {
    /// The bytes (longer than any length we pass, so even bogus lengths
    /// never fault unless `null`).
    pub buf: [u8; 256],
    /// The length argument (`socklen_t`; the kernel reads it as `int`).
    pub len: u32,
    /// Pass a NULL pointer instead of `buf`.
    pub null: bool,
}

impl Encoded {
    fn new() -> Encoded {
        Encoded {
            buf: [0; 256],
            len: 0,
            null: false,
        }
    }

    /// Pointer argument.
    pub fn ptr(&self) -> *const libc::sockaddr {
        if self.null {
            std::ptr::null()
        } else {
            self.buf.as_ptr().cast()
        }
    }

    /// The length as the kernel's `int`.
    pub fn len_int(&self) -> i32 {
        self.len as i32
    }

    /// `sa_family` as the kernel would read it from the first two bytes.
    pub fn family(&self) -> u16 {
        u16::from_ne_bytes([self.buf[0], self.buf[1]])
    }
}

fn put_family(e: &mut Encoded, family: i32) {
    e.buf[..2].copy_from_slice(&(family as u16).to_ne_bytes());
}

impl Addr {
    /// The exact argument bytes for this address in a world.
    pub fn encode(&self, ctx: &AddrCtx) -> Encoded {
        let mut e = Encoded::new();
        match self {
            Addr::Inet4 { loopback, port } => {
                put_family(&mut e, libc::AF_INET);
                e.buf[2..4].copy_from_slice(&ctx.port_of(*port).to_be_bytes());
                if *loopback {
                    e.buf[4..8].copy_from_slice(&[127, 0, 0, 1]);
                }
                e.len = 16;
            }
            Addr::Inet6 { loopback, port } => {
                put_family(&mut e, libc::AF_INET6);
                e.buf[2..4].copy_from_slice(&ctx.port_of(*port).to_be_bytes());
                if *loopback {
                    e.buf[8 + 15] = 1;
                }
                e.len = 28;
            }
            Addr::UnixPath(p) => {
                put_family(&mut e, libc::AF_UNIX);
                let path = ctx.path(*p);
                let b = path.as_bytes();
                assert!(b.len() < 108, "socket path too long: {path}");
                e.buf[2..2 + b.len()].copy_from_slice(b);
                e.len = 2 + b.len() as u32 + 1;
            }
            Addr::UnixAbstract(n) => {
                put_family(&mut e, libc::AF_UNIX);
                let name = ctx.abstract_name(*n);
                let b = name.as_bytes();
                e.buf[3..3 + b.len()].copy_from_slice(b);
                e.len = 3 + b.len() as u32;
            }
            Addr::UnixUnnamed => {
                put_family(&mut e, libc::AF_UNIX);
                e.len = 2;
            }
            Addr::Null { len } => {
                e.null = true;
                e.len = *len;
            }
            Addr::Raw { family, len, fill } => {
                for b in e.buf[2..].iter_mut() {
                    *b = *fill;
                }
                e.buf[..2].copy_from_slice(&family.to_ne_bytes());
                e.len = *len;
            }
            Addr::Truncated { addr, len } => {
                e = addr.encode(ctx);
                e.len = *len;
            }
        }
        e
    }
}

impl fmt::Debug for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortRef::Fixture => write!(f, "fixture-port"),
            PortRef::Zero => write!(f, "0"),
        }
    }
}

impl fmt::Debug for PathRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathRef::FixtureStream => write!(f, "$dir/fs(stream listener)"),
            PathRef::FixtureDgram => write!(f, "$dir/fd(dgram)"),
            PathRef::Fresh(k) => write!(f, "$dir/p{k}"),
            PathRef::Missing => write!(f, "$dir/missing"),
        }
    }
}

impl fmt::Debug for NameRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameRef::FixtureStream => write!(f, "@as(stream listener)"),
            NameRef::FixtureDgram => write!(f, "@ad(dgram)"),
            NameRef::Fresh(k) => write!(f, "@a{k}"),
            NameRef::Empty => write!(f, "@\"\"(len 3)"),
        }
    }
}

impl fmt::Debug for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Inet4 { loopback, port } => {
                let h = if *loopback { "127.0.0.1" } else { "0.0.0.0" };
                write!(f, "inet {h}:{port:?}")
            }
            Addr::Inet6 { loopback, port } => {
                let h = if *loopback { "::1" } else { "::" };
                write!(f, "inet6 [{h}]:{port:?}")
            }
            Addr::UnixPath(p) => write!(f, "unix {p:?}"),
            Addr::UnixAbstract(n) => write!(f, "unix-abstract {n:?}"),
            Addr::UnixUnnamed => write!(f, "unix-unnamed(len 2)"),
            Addr::Null { len } => write!(f, "NULL len {}", *len as i32),
            Addr::Raw { family, len, fill } => {
                write!(
                    f,
                    "raw(family {family}, len {}, fill {fill:#04x})",
                    *len as i32
                )
            }
            Addr::Truncated { addr, len } => write!(f, "{addr:?} with len {}", *len as i32),
        }
    }
}

/// `struct sockaddr_in` for 127.0.0.1:`port`.
pub fn sockaddr_in_loopback(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    }
}

/// `struct sockaddr_un` for `name` (pathname if it doesn't start with NUL,
/// abstract otherwise) and its exact length.
pub fn sockaddr_un(name: &[u8]) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_un.
    let mut sun: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    assert!(name.len() < sun.sun_path.len());
    for (d, s) in sun.sun_path.iter_mut().zip(name) {
        *d = *s as libc::c_char;
    }
    let extra = if name.first() == Some(&0) { 0 } else { 1 };
    (sun, (2 + name.len() + extra) as libc::socklen_t)
}
