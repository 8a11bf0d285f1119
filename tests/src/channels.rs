//! The routes beyond the socket calls (patch 0003 of the series):
//! socket options, control messages, payload-addressed sockets, `listen()`
//! autobind. Pure tables and rules, no system calls.
//!
//! [`SOCKOPTS`] classifies every option name of the socket levels the guest
//! kernel has, as its uapi headers define them; [`HEADERS`] says where those
//! names live, and `tests/channels.rs` fails when a header of the pinned
//! kernel defines one the table does not classify, so that an option a new
//! kernel adds cannot slip by unjudged.

/// What the LSM does to `setsockopt(level, optname)` by a restricted task
/// on a socket other than an `AF_UNIX` one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `EPERM`: the option changes where the traffic goes or how, or gives
    /// the socket a new inbound endpoint.
    Deny,
    /// Unchanged: the kernel answers as for an unrestricted task.
    Allow,
}

/// `SOL_SOCKET`.
pub const SOL_SOCKET: i32 = 1;
/// `SOL_IP`.
pub const SOL_IP: i32 = 0;
/// `SOL_IPV6`.
pub const SOL_IPV6: i32 = 41;
/// `SOL_TCP`.
pub const SOL_TCP: i32 = 6;
/// `SOL_UDP`.
pub const SOL_UDP: i32 = 17;
/// `SOL_UDPLITE` (UDP takes its options at this level too).
pub const SOL_UDPLITE: i32 = 136;
/// `SOL_PACKET`.
pub const SOL_PACKET: i32 = 263;
/// `SOL_RAW`.
pub const SOL_RAW: i32 = 255;
/// `SOL_SCTP`.
pub const SOL_SCTP: i32 = 132;

/// One option name at one level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockOpt {
    /// The `level` argument.
    pub level: i32,
    /// The name in the uapi header.
    pub name: &'static str,
    /// Its value.
    pub optname: i32,
    /// What the LSM does with it.
    pub verdict: Verdict,
}

macro_rules! opts {
    ($level:expr; $($name:ident = $v:expr => $verdict:ident),* $(,)?) => {
        &[$(SockOpt { level: $level, name: stringify!($name), optname: $v, verdict: Verdict::$verdict }),*]
    };
}

/// Every option name of `asm-generic/socket.h` (`SOL_SOCKET`).
pub const SOL_SOCKET_OPTS: &[SockOpt] = opts![SOL_SOCKET;
    SO_DEBUG = 1 => Allow, SO_REUSEADDR = 2 => Allow, SO_TYPE = 3 => Allow,
    SO_ERROR = 4 => Allow, SO_DONTROUTE = 5 => Deny, SO_BROADCAST = 6 => Allow,
    SO_SNDBUF = 7 => Allow, SO_RCVBUF = 8 => Allow, SO_SNDBUFFORCE = 32 => Allow,
    SO_RCVBUFFORCE = 33 => Allow, SO_KEEPALIVE = 9 => Allow, SO_OOBINLINE = 10 => Allow,
    SO_NO_CHECK = 11 => Allow, SO_PRIORITY = 12 => Allow, SO_LINGER = 13 => Allow,
    SO_BSDCOMPAT = 14 => Allow, SO_REUSEPORT = 15 => Allow, SO_PASSCRED = 16 => Allow,
    SO_PEERCRED = 17 => Allow, SO_RCVLOWAT = 18 => Allow, SO_SNDLOWAT = 19 => Allow,
    SO_RCVTIMEO_OLD = 20 => Allow, SO_SNDTIMEO_OLD = 21 => Allow,
    SO_SECURITY_AUTHENTICATION = 22 => Allow, SO_SECURITY_ENCRYPTION_TRANSPORT = 23 => Allow,
    SO_SECURITY_ENCRYPTION_NETWORK = 24 => Allow, SO_BINDTODEVICE = 25 => Deny,
    SO_ATTACH_FILTER = 26 => Allow, SO_DETACH_FILTER = 27 => Allow, SO_PEERNAME = 28 => Allow,
    SO_TIMESTAMP_OLD = 29 => Allow, SO_ACCEPTCONN = 30 => Allow, SO_PEERSEC = 31 => Allow,
    SO_PASSSEC = 34 => Allow, SO_TIMESTAMPNS_OLD = 35 => Allow, SO_MARK = 36 => Deny,
    SO_TIMESTAMPING_OLD = 37 => Allow, SO_PROTOCOL = 38 => Allow, SO_DOMAIN = 39 => Allow,
    SO_RXQ_OVFL = 40 => Allow, SO_WIFI_STATUS = 41 => Allow, SO_PEEK_OFF = 42 => Allow,
    SO_NOFCS = 43 => Allow, SO_LOCK_FILTER = 44 => Allow, SO_SELECT_ERR_QUEUE = 45 => Allow,
    SO_BUSY_POLL = 46 => Allow, SO_MAX_PACING_RATE = 47 => Allow, SO_BPF_EXTENSIONS = 48 => Allow,
    SO_INCOMING_CPU = 49 => Allow, SO_ATTACH_BPF = 50 => Allow,
    SO_ATTACH_REUSEPORT_CBPF = 51 => Allow, SO_ATTACH_REUSEPORT_EBPF = 52 => Allow,
    SO_CNX_ADVICE = 53 => Allow, SO_MEMINFO = 55 => Allow, SO_INCOMING_NAPI_ID = 56 => Allow,
    SO_COOKIE = 57 => Allow, SO_PEERGROUPS = 59 => Allow, SO_ZEROCOPY = 60 => Allow,
    SO_TXTIME = 61 => Allow, SO_BINDTOIFINDEX = 62 => Deny, SO_TIMESTAMP_NEW = 63 => Allow,
    SO_TIMESTAMPNS_NEW = 64 => Allow, SO_TIMESTAMPING_NEW = 65 => Allow,
    SO_RCVTIMEO_NEW = 66 => Allow, SO_SNDTIMEO_NEW = 67 => Allow,
    SO_DETACH_REUSEPORT_BPF = 68 => Allow, SO_PREFER_BUSY_POLL = 69 => Allow,
    SO_BUSY_POLL_BUDGET = 70 => Allow, SO_NETNS_COOKIE = 71 => Allow, SO_BUF_LOCK = 72 => Allow,
    SO_RESERVE_MEM = 73 => Allow, SO_TXREHASH = 74 => Allow, SO_RCVMARK = 75 => Allow,
    SO_PASSPIDFD = 76 => Allow, SO_PEERPIDFD = 77 => Allow, SO_DEVMEM_LINEAR = 78 => Allow,
    SO_DEVMEM_DMABUF = 79 => Allow, SO_DEVMEM_DONTNEED = 80 => Allow,
    // Linux 7.x (the 7.3 line): receive-side and local AF_UNIX behaviour,
    // nothing that addresses a peer. Unknown to 6.12 (ENOPROTOOPT there):
    // see LATER_KERNELS.
    SO_RCVPRIORITY = 82 => Allow, SO_PASSRIGHTS = 83 => Allow, SO_INQ = 84 => Allow,
    SO_RIGHTS_NOTRUNC = 85 => Allow,
];

/// Table entries that only later kernel lines define (the 7.3 line's
/// headers have them, 6.12's do not): the completeness test accepts their
/// absence from the headers, and checks their value where they are defined.
pub const LATER_KERNELS: &[&str] = &[
    "SO_RCVPRIORITY",
    "SO_PASSRIGHTS",
    "SO_INQ",
    "SO_RIGHTS_NOTRUNC",
    "TCP_RTO_MAX_MS",
    "TCP_RTO_MIN_US",
    "TCP_DELACK_MAX_US",
];

/// Every option name of `linux/in.h` at `SOL_IP`.
pub const SOL_IP_OPTS: &[SockOpt] = opts![SOL_IP;
    IP_TOS = 1 => Allow, IP_TTL = 2 => Allow, IP_HDRINCL = 3 => Deny, IP_OPTIONS = 4 => Deny,
    IP_ROUTER_ALERT = 5 => Deny, IP_RECVOPTS = 6 => Allow, IP_RETOPTS = 7 => Allow,
    IP_PKTINFO = 8 => Allow, IP_PKTOPTIONS = 9 => Allow, IP_MTU_DISCOVER = 10 => Allow,
    IP_RECVERR = 11 => Allow, IP_RECVTTL = 12 => Allow, IP_RECVTOS = 13 => Allow,
    IP_MTU = 14 => Allow, IP_FREEBIND = 15 => Allow, IP_IPSEC_POLICY = 16 => Deny,
    IP_XFRM_POLICY = 17 => Deny, IP_PASSSEC = 18 => Allow, IP_TRANSPARENT = 19 => Deny,
    IP_ORIGDSTADDR = 20 => Allow, IP_MINTTL = 21 => Allow, IP_NODEFRAG = 22 => Allow,
    IP_CHECKSUM = 23 => Allow, IP_BIND_ADDRESS_NO_PORT = 24 => Allow,
    IP_RECVFRAGSIZE = 25 => Allow, IP_RECVERR_RFC4884 = 26 => Allow,
    IP_MULTICAST_IF = 32 => Deny, IP_MULTICAST_TTL = 33 => Allow, IP_MULTICAST_LOOP = 34 => Allow,
    IP_ADD_MEMBERSHIP = 35 => Deny, IP_DROP_MEMBERSHIP = 36 => Allow,
    IP_UNBLOCK_SOURCE = 37 => Deny, IP_BLOCK_SOURCE = 38 => Allow,
    IP_ADD_SOURCE_MEMBERSHIP = 39 => Deny, IP_DROP_SOURCE_MEMBERSHIP = 40 => Allow,
    IP_MSFILTER = 41 => Deny, MCAST_JOIN_GROUP = 42 => Deny, MCAST_BLOCK_SOURCE = 43 => Allow,
    MCAST_UNBLOCK_SOURCE = 44 => Deny, MCAST_LEAVE_GROUP = 45 => Allow,
    MCAST_JOIN_SOURCE_GROUP = 46 => Deny, MCAST_LEAVE_SOURCE_GROUP = 47 => Allow,
    MCAST_MSFILTER = 48 => Deny, IP_MULTICAST_ALL = 49 => Allow, IP_UNICAST_IF = 50 => Deny,
    IP_LOCAL_PORT_RANGE = 51 => Allow, IP_PROTOCOL = 52 => Allow,
];

/// Every option name of `linux/in6.h` at `SOL_IPV6`, and the `MCAST_*` of
/// `linux/in.h`, which IPv6 takes too.
pub const SOL_IPV6_OPTS: &[SockOpt] = opts![SOL_IPV6;
    IPV6_ADDRFORM = 1 => Allow, IPV6_2292PKTINFO = 2 => Allow, IPV6_2292HOPOPTS = 3 => Deny,
    IPV6_2292DSTOPTS = 4 => Deny, IPV6_2292RTHDR = 5 => Deny, IPV6_2292PKTOPTIONS = 6 => Deny,
    IPV6_CHECKSUM = 7 => Allow, IPV6_2292HOPLIMIT = 8 => Allow, IPV6_NEXTHOP = 9 => Deny,
    IPV6_AUTHHDR = 10 => Allow, IPV6_FLOWINFO = 11 => Allow, IPV6_UNICAST_HOPS = 16 => Allow,
    IPV6_MULTICAST_IF = 17 => Deny, IPV6_MULTICAST_HOPS = 18 => Allow,
    IPV6_MULTICAST_LOOP = 19 => Allow, IPV6_ADD_MEMBERSHIP = 20 => Deny,
    IPV6_DROP_MEMBERSHIP = 21 => Allow, IPV6_ROUTER_ALERT = 22 => Deny,
    IPV6_MTU_DISCOVER = 23 => Allow, IPV6_MTU = 24 => Allow, IPV6_RECVERR = 25 => Allow,
    IPV6_V6ONLY = 26 => Allow, IPV6_JOIN_ANYCAST = 27 => Deny, IPV6_LEAVE_ANYCAST = 28 => Allow,
    IPV6_MULTICAST_ALL = 29 => Allow, IPV6_ROUTER_ALERT_ISOLATE = 30 => Allow,
    IPV6_RECVERR_RFC4884 = 31 => Allow, IPV6_FLOWLABEL_MGR = 32 => Deny,
    IPV6_FLOWINFO_SEND = 33 => Allow, IPV6_IPSEC_POLICY = 34 => Deny,
    IPV6_XFRM_POLICY = 35 => Deny, IPV6_HDRINCL = 36 => Deny, IPV6_RECVPKTINFO = 49 => Allow,
    IPV6_PKTINFO = 50 => Deny, IPV6_RECVHOPLIMIT = 51 => Allow, IPV6_HOPLIMIT = 52 => Allow,
    IPV6_RECVHOPOPTS = 53 => Allow, IPV6_HOPOPTS = 54 => Deny, IPV6_RTHDRDSTOPTS = 55 => Deny,
    IPV6_RECVRTHDR = 56 => Allow, IPV6_RTHDR = 57 => Deny, IPV6_RECVDSTOPTS = 58 => Allow,
    IPV6_DSTOPTS = 59 => Deny, IPV6_RECVPATHMTU = 60 => Allow, IPV6_PATHMTU = 61 => Allow,
    IPV6_DONTFRAG = 62 => Allow, IPV6_USE_MIN_MTU = 63 => Allow, IPV6_RECVTCLASS = 66 => Allow,
    IPV6_TCLASS = 67 => Allow, IPV6_AUTOFLOWLABEL = 70 => Allow,
    IPV6_ADDR_PREFERENCES = 72 => Allow, IPV6_MINHOPCOUNT = 73 => Allow,
    IPV6_ORIGDSTADDR = 74 => Allow, IPV6_TRANSPARENT = 75 => Deny, IPV6_UNICAST_IF = 76 => Deny,
    IPV6_RECVFRAGSIZE = 77 => Allow, IPV6_FREEBIND = 78 => Allow,
    MCAST_JOIN_GROUP = 42 => Deny, MCAST_BLOCK_SOURCE = 43 => Allow,
    MCAST_UNBLOCK_SOURCE = 44 => Deny, MCAST_LEAVE_GROUP = 45 => Allow,
    MCAST_JOIN_SOURCE_GROUP = 46 => Deny, MCAST_LEAVE_SOURCE_GROUP = 47 => Allow,
    MCAST_MSFILTER = 48 => Deny,
];

/// Every option name of `linux/tcp.h` (`SOL_TCP`).
pub const SOL_TCP_OPTS: &[SockOpt] = opts![SOL_TCP;
    TCP_NODELAY = 1 => Allow, TCP_MAXSEG = 2 => Allow, TCP_CORK = 3 => Allow,
    TCP_KEEPIDLE = 4 => Allow, TCP_KEEPINTVL = 5 => Allow, TCP_KEEPCNT = 6 => Allow,
    TCP_SYNCNT = 7 => Allow, TCP_LINGER2 = 8 => Allow, TCP_DEFER_ACCEPT = 9 => Allow,
    TCP_WINDOW_CLAMP = 10 => Allow, TCP_INFO = 11 => Allow, TCP_QUICKACK = 12 => Allow,
    TCP_CONGESTION = 13 => Allow, TCP_MD5SIG = 14 => Allow,
    TCP_THIN_LINEAR_TIMEOUTS = 16 => Allow, TCP_THIN_DUPACK = 17 => Allow,
    TCP_USER_TIMEOUT = 18 => Allow, TCP_REPAIR = 19 => Deny, TCP_REPAIR_QUEUE = 20 => Deny,
    TCP_QUEUE_SEQ = 21 => Deny, TCP_REPAIR_OPTIONS = 22 => Deny, TCP_FASTOPEN = 23 => Allow,
    TCP_TIMESTAMP = 24 => Allow, TCP_NOTSENT_LOWAT = 25 => Allow, TCP_CC_INFO = 26 => Allow,
    TCP_SAVE_SYN = 27 => Allow, TCP_SAVED_SYN = 28 => Allow, TCP_REPAIR_WINDOW = 29 => Deny,
    TCP_FASTOPEN_CONNECT = 30 => Allow, TCP_ULP = 31 => Allow, TCP_MD5SIG_EXT = 32 => Allow,
    TCP_FASTOPEN_KEY = 33 => Allow, TCP_FASTOPEN_NO_COOKIE = 34 => Allow,
    TCP_ZEROCOPY_RECEIVE = 35 => Allow, TCP_INQ = 36 => Allow, TCP_TX_DELAY = 37 => Allow,
    TCP_AO_ADD_KEY = 38 => Allow, TCP_AO_DEL_KEY = 39 => Allow, TCP_AO_INFO = 40 => Allow,
    TCP_AO_GET_KEYS = 41 => Allow, TCP_AO_REPAIR = 42 => Deny, TCP_IS_MPTCP = 43 => Allow,
    // Linux 7.x: retransmission and delayed-ACK timers of the connection.
    TCP_RTO_MAX_MS = 44 => Allow, TCP_RTO_MIN_US = 45 => Allow, TCP_DELACK_MAX_US = 46 => Allow,
];

/// The option names of `linux/udp.h`, at `$level`.
macro_rules! udp_opts {
    ($level:expr) => {
        opts![$level;
            UDP_CORK = 1 => Allow, UDP_ENCAP = 100 => Deny, UDP_NO_CHECK6_TX = 101 => Allow,
            UDP_NO_CHECK6_RX = 102 => Allow, UDP_SEGMENT = 103 => Allow, UDP_GRO = 104 => Allow,
        ]
    };
}

/// Every option name of `linux/udp.h` (`SOL_UDP`).
pub const SOL_UDP_OPTS: &[SockOpt] = udp_opts!(SOL_UDP);

/// The same names at `SOL_UDPLITE`, which `udp_setsockopt()` takes too.
pub const SOL_UDPLITE_OPTS: &[SockOpt] = udp_opts!(SOL_UDPLITE);

/// Every option name of `linux/if_packet.h` (`SOL_PACKET`).
pub const SOL_PACKET_OPTS: &[SockOpt] = opts![SOL_PACKET;
    PACKET_ADD_MEMBERSHIP = 1 => Deny, PACKET_DROP_MEMBERSHIP = 2 => Allow,
    PACKET_RECV_OUTPUT = 3 => Allow, PACKET_RX_RING = 5 => Allow, PACKET_STATISTICS = 6 => Allow,
    PACKET_COPY_THRESH = 7 => Allow, PACKET_AUXDATA = 8 => Allow, PACKET_ORIGDEV = 9 => Allow,
    PACKET_VERSION = 10 => Allow, PACKET_HDRLEN = 11 => Allow, PACKET_RESERVE = 12 => Allow,
    PACKET_TX_RING = 13 => Allow, PACKET_LOSS = 14 => Allow, PACKET_VNET_HDR = 15 => Allow,
    PACKET_TX_TIMESTAMP = 16 => Allow, PACKET_TIMESTAMP = 17 => Allow, PACKET_FANOUT = 18 => Deny,
    PACKET_TX_HAS_OFF = 19 => Allow, PACKET_QDISC_BYPASS = 20 => Allow,
    PACKET_ROLLOVER_STATS = 21 => Allow, PACKET_FANOUT_DATA = 22 => Deny,
    PACKET_IGNORE_OUTGOING = 23 => Allow, PACKET_VNET_HDR_SZ = 24 => Allow,
];

/// `SOL_RAW`: `ICMP_FILTER` of `linux/icmp.h` (IPv4), and the two IPv6 raw
/// socket options that IPv6 also takes at this level.
pub const SOL_RAW_OPTS: &[SockOpt] = opts![SOL_RAW;
    ICMP_FILTER = 1 => Allow, IPV6_CHECKSUM = 7 => Allow, IPV6_HDRINCL = 36 => Deny,
];

/// Every option name of `linux/sctp.h` (`SOL_SCTP`). The address options
/// are also refused by the `sctp_bind_connect` hook when their arguments
/// are valid; the setsockopt hook refuses them first, whatever the
/// arguments.
pub const SOL_SCTP_OPTS: &[SockOpt] = opts![SOL_SCTP;
    SCTP_RTOINFO = 0 => Allow, SCTP_ASSOCINFO = 1 => Allow, SCTP_INITMSG = 2 => Allow,
    SCTP_NODELAY = 3 => Allow, SCTP_AUTOCLOSE = 4 => Allow,
    SCTP_SET_PEER_PRIMARY_ADDR = 5 => Deny, SCTP_PRIMARY_ADDR = 6 => Deny,
    SCTP_ADAPTATION_LAYER = 7 => Allow, SCTP_DISABLE_FRAGMENTS = 8 => Allow,
    SCTP_PEER_ADDR_PARAMS = 9 => Allow, SCTP_DEFAULT_SEND_PARAM = 10 => Allow,
    SCTP_EVENTS = 11 => Allow, SCTP_I_WANT_MAPPED_V4_ADDR = 12 => Allow, SCTP_MAXSEG = 13 => Allow,
    SCTP_STATUS = 14 => Allow, SCTP_GET_PEER_ADDR_INFO = 15 => Allow,
    SCTP_DELAYED_ACK_TIME = 16 => Allow, SCTP_CONTEXT = 17 => Allow,
    SCTP_FRAGMENT_INTERLEAVE = 18 => Allow, SCTP_PARTIAL_DELIVERY_POINT = 19 => Allow,
    SCTP_MAX_BURST = 20 => Allow, SCTP_AUTH_CHUNK = 21 => Allow, SCTP_HMAC_IDENT = 22 => Allow,
    SCTP_AUTH_KEY = 23 => Allow, SCTP_AUTH_ACTIVE_KEY = 24 => Allow,
    SCTP_AUTH_DELETE_KEY = 25 => Allow, SCTP_PEER_AUTH_CHUNKS = 26 => Allow,
    SCTP_LOCAL_AUTH_CHUNKS = 27 => Allow, SCTP_GET_ASSOC_NUMBER = 28 => Allow,
    SCTP_GET_ASSOC_ID_LIST = 29 => Allow, SCTP_AUTO_ASCONF = 30 => Allow,
    SCTP_PEER_ADDR_THLDS = 31 => Allow, SCTP_RECVRCVINFO = 32 => Allow,
    SCTP_RECVNXTINFO = 33 => Allow, SCTP_DEFAULT_SNDINFO = 34 => Allow,
    SCTP_AUTH_DEACTIVATE_KEY = 35 => Allow, SCTP_REUSE_PORT = 36 => Allow,
    SCTP_PEER_ADDR_THLDS_V2 = 37 => Allow, SCTP_SOCKOPT_BINDX_ADD = 100 => Deny,
    SCTP_SOCKOPT_BINDX_REM = 101 => Allow, SCTP_SOCKOPT_PEELOFF = 102 => Allow,
    SCTP_SOCKOPT_CONNECTX_OLD = 107 => Deny, SCTP_GET_PEER_ADDRS = 108 => Allow,
    SCTP_GET_LOCAL_ADDRS = 109 => Allow, SCTP_SOCKOPT_CONNECTX = 110 => Deny,
    SCTP_SOCKOPT_CONNECTX3 = 111 => Allow, SCTP_GET_ASSOC_STATS = 112 => Allow,
    SCTP_PR_SUPPORTED = 113 => Allow, SCTP_DEFAULT_PRINFO = 114 => Allow,
    SCTP_PR_ASSOC_STATUS = 115 => Allow, SCTP_PR_STREAM_STATUS = 116 => Allow,
    SCTP_RECONFIG_SUPPORTED = 117 => Allow, SCTP_ENABLE_STREAM_RESET = 118 => Allow,
    SCTP_RESET_STREAMS = 119 => Allow, SCTP_RESET_ASSOC = 120 => Allow,
    SCTP_ADD_STREAMS = 121 => Allow, SCTP_SOCKOPT_PEELOFF_FLAGS = 122 => Allow,
    SCTP_STREAM_SCHEDULER = 123 => Allow, SCTP_STREAM_SCHEDULER_VALUE = 124 => Allow,
    SCTP_INTERLEAVING_SUPPORTED = 125 => Allow, SCTP_SENDMSG_CONNECT = 126 => Allow,
    SCTP_EVENT = 127 => Allow, SCTP_ASCONF_SUPPORTED = 128 => Allow,
    SCTP_AUTH_SUPPORTED = 129 => Allow, SCTP_ECN_SUPPORTED = 130 => Allow,
    SCTP_EXPOSE_POTENTIALLY_FAILED_STATE = 131 => Allow,
    SCTP_REMOTE_UDP_ENCAPS_PORT = 132 => Deny, SCTP_PLPMTUD_PROBE_INTERVAL = 133 => Allow,
];

/// Every level's table.
pub const SOCKOPTS: &[&[SockOpt]] = &[
    SOL_SOCKET_OPTS,
    SOL_IP_OPTS,
    SOL_IPV6_OPTS,
    SOL_TCP_OPTS,
    SOL_UDP_OPTS,
    SOL_UDPLITE_OPTS,
    SOL_PACKET_OPTS,
    SOL_RAW_OPTS,
    SOL_SCTP_OPTS,
];

/// Where the option names of a level are defined: `#define PREFIX... N` in
/// `header` (relative to the uapi include directory), except the names
/// that start with one of `values` (value families: `IP_PMTUDISC_*`,
/// packet types, fanout modes...).
#[derive(Clone, Copy, Debug)]
pub struct HeaderSpec {
    /// The level.
    pub level: i32,
    /// The header, as `#include <...>` names it.
    pub header: &'static str,
    /// Prefixes of option names.
    pub prefixes: &'static [&'static str],
    /// Prefixes (or whole names) of defines that are values, not options.
    pub values: &'static [&'static str],
}

/// The headers the completeness test reads (the VM image carries them, from
/// the patched tree's `make headers`: see `xtask/src/initramfs.rs`).
pub const HEADERS: &[HeaderSpec] = &[
    HeaderSpec {
        level: SOL_SOCKET,
        header: "asm-generic/socket.h",
        prefixes: &["SO_"],
        values: &[],
    },
    HeaderSpec {
        level: SOL_IP,
        header: "linux/in.h",
        prefixes: &["IP_", "MCAST_"],
        values: &[
            "IP_PMTUDISC_",
            "IP_DEFAULT_",
            "MCAST_EXCLUDE",
            "MCAST_INCLUDE",
        ],
    },
    HeaderSpec {
        level: SOL_IPV6,
        header: "linux/in6.h",
        prefixes: &["IPV6_"],
        values: &[
            "IPV6_FL_",
            "IPV6_FLOWINFO_FLOWLABEL",
            "IPV6_FLOWINFO_PRIORITY",
            "IPV6_PRIORITY_",
            "IPV6_TLV_",
            "IPV6_PMTUDISC_",
            "IPV6_PREFER_SRC_",
        ],
    },
    HeaderSpec {
        level: SOL_IPV6,
        header: "linux/in.h",
        prefixes: &["MCAST_"],
        values: &["MCAST_EXCLUDE", "MCAST_INCLUDE"],
    },
    HeaderSpec {
        level: SOL_TCP,
        header: "linux/tcp.h",
        prefixes: &["TCP_"],
        values: &[
            "TCP_REPAIR_ON",
            "TCP_REPAIR_OFF",
            "TCP_MD5SIG_MAXKEYLEN",
            "TCP_MD5SIG_FLAG_",
            "TCP_AO_MAXKEYLEN",
            "TCP_RECEIVE_ZEROCOPY_FLAG_",
            // Linux 7.x: what TCP_INFO reports of AccECN options.
            "TCP_ACCECN_OPT_",
        ],
    },
    HeaderSpec {
        level: SOL_UDP,
        header: "linux/udp.h",
        prefixes: &["UDP_"],
        values: &["UDP_ENCAP_"],
    },
    HeaderSpec {
        level: SOL_UDPLITE,
        header: "linux/udp.h",
        prefixes: &["UDP_"],
        values: &["UDP_ENCAP_"],
    },
    HeaderSpec {
        level: SOL_PACKET,
        header: "linux/if_packet.h",
        prefixes: &["PACKET_"],
        values: &[
            "PACKET_HOST",
            "PACKET_BROADCAST",
            "PACKET_MULTICAST",
            "PACKET_OTHERHOST",
            "PACKET_OUTGOING",
            "PACKET_LOOPBACK",
            "PACKET_USER",
            "PACKET_KERNEL",
            "PACKET_FASTROUTE",
            "PACKET_FANOUT_HASH",
            "PACKET_FANOUT_LB",
            "PACKET_FANOUT_CPU",
            "PACKET_FANOUT_ROLLOVER",
            "PACKET_FANOUT_RND",
            "PACKET_FANOUT_QM",
            "PACKET_FANOUT_CBPF",
            "PACKET_FANOUT_EBPF",
            "PACKET_FANOUT_FLAG_",
            "PACKET_MR_",
        ],
    },
    HeaderSpec {
        level: SOL_RAW,
        header: "linux/icmp.h",
        prefixes: &["ICMP_FILTER"],
        values: &[],
    },
    HeaderSpec {
        level: SOL_SCTP,
        header: "linux/sctp.h",
        prefixes: &["SCTP_"],
        values: &[
            "SCTP_FUTURE_ASSOC",
            "SCTP_CURRENT_ASSOC",
            "SCTP_ALL_ASSOC",
            "SCTP_PR_SCTP_",
            "SCTP_ENABLE_RESET_",
            "SCTP_ENABLE_CHANGE_",
            "SCTP_ENABLE_STRRESET_",
            "SCTP_STREAM_RESET_",
            "SCTP_ASSOC_RESET_",
            "SCTP_ASSOC_CHANGE_",
            "SCTP_BINDX_",
        ],
    },
];

/// The LSM's verdict on `setsockopt(level, optname)` by a restricted task
/// on a socket of `family`, or `None` when the tables do not know the
/// option (the completeness test makes that a failure for the pinned
/// kernel's headers).
pub fn sockopt_verdict(family: i32, level: i32, optname: i32) -> Option<Verdict> {
    if family == libc::AF_UNIX {
        return Some(Verdict::Allow);
    }
    let mut found = SOCKOPTS
        .iter()
        .flat_map(|t| t.iter())
        .filter(|o| o.level == level && o.optname == optname);
    let first = found.next()?;
    // The same number under two names (none today) must get one verdict.
    debug_assert!(found.all(|o| o.verdict == first.verdict));
    Some(first.verdict)
}

/// The control messages a restricted task may put in a send on a socket
/// other than an `AF_UNIX` one: those that leave destination, path and
/// headers as the socket has them. Every other one is refused.
pub const CMSGS_KEEPING_DESTINATION: &[(i32, i32, &str)] = &[
    (SOL_SOCKET, 37, "SO_TIMESTAMPING_OLD"),
    (SOL_SOCKET, 65, "SO_TIMESTAMPING_NEW"),
    (SOL_SOCKET, 61, "SCM_TXTIME"),
    (SOL_IP, 2, "IP_TTL"),
    (SOL_IP, 1, "IP_TOS"),
    (SOL_IPV6, 52, "IPV6_HOPLIMIT"),
    (SOL_IPV6, 8, "IPV6_2292HOPLIMIT"),
    (SOL_IPV6, 67, "IPV6_TCLASS"),
    (SOL_IPV6, 62, "IPV6_DONTFRAG"),
    (SOL_IPV6, 11, "IPV6_FLOWINFO"),
    (SOL_UDP, 103, "UDP_SEGMENT"),
    (SOL_SCTP, 1, "SCTP_SNDRCV"),
    (SOL_SCTP, 2, "SCTP_SNDINFO"),
    (SOL_SCTP, 5, "SCTP_PRINFO"),
    (SOL_SCTP, 6, "SCTP_AUTHINFO"),
];

/// Is a control message `(level, type)` allowed in a restricted task's send
/// on a socket other than an `AF_UNIX` one?
pub fn cmsg_keeps_destination(level: i32, ty: i32) -> bool {
    CMSGS_KEEPING_DESTINATION
        .iter()
        .any(|&(l, t, _)| l == level && t == ty)
}

/// `SOCK_PACKET` (obsolete, but the kernel still takes it).
const SOCK_PACKET: i32 = 10;

/// Sockets whose payload, not their peer, says where a message goes: raw
/// and packet sockets, and netlink sockets. A restricted task sends on none.
pub fn payload_addressed(family: i32, ty: i32) -> bool {
    let ty = ty & crate::model::SOCK_TYPE_MASK;
    ty == libc::SOCK_RAW
        || ty == SOCK_PACKET
        || family == libc::AF_PACKET
        || family == libc::AF_NETLINK
}

/// `IPPROTO_MPTCP`.
pub const IPPROTO_MPTCP: i32 = 262;

/// Does `listen()` by a restricted task fail with `EPERM` on a socket of
/// `family`/`ty`/`proto` whose local port is `bound` (None: not known)?
/// `Some` verdict, or `None` when it depends on an unknown port. MPTCP
/// sockets may not listen at all (their port can be stale).
pub fn listen_denied(family: i32, ty: i32, proto: i32, bound: Option<bool>) -> Option<bool> {
    let ty = ty & crate::model::SOCK_TYPE_MASK;
    let can_listen = ty == libc::SOCK_STREAM || ty == libc::SOCK_SEQPACKET;
    if !is_inet(family) || !can_listen {
        return Some(false);
    }
    if proto == IPPROTO_MPTCP {
        return Some(true);
    }
    bound.map(|b| !b)
}

/// Is `family` IPv4 or IPv6?
pub fn is_inet(family: i32) -> bool {
    family == libc::AF_INET || family == libc::AF_INET6
}

/// Does a send without an address by a restricted task fail with `EPERM`
/// because the IPv4/IPv6 socket has no port (`bound`; None: not known), so
/// the kernel would autobind it? `None` when it depends on an unknown port.
pub fn unbound_send_denied(family: i32, bound: Option<bool>) -> Option<bool> {
    if !is_inet(family) {
        return Some(false);
    }
    bound.map(|b| !b)
}
