//! Counting the threads of the calling process.
//!
//! The restriction lives in each thread's credentials: it covers the calling
//! thread and the threads and children it creates afterwards, but not
//! threads that already exist.

use std::fs;

/// Number of threads in the calling process, counted from the entries of
/// `/proc/self/task`; `None` when `/proc` is not available (e.g. not
/// mounted in a chroot or container).
///
/// ```
/// let n = prctl_network::thread_count();
/// assert!(n.map_or(true, |n| n >= 1));
/// ```
pub fn thread_count() -> Option<usize> {
    let dir = fs::read_dir("/proc/self/task").ok()?;
    let mut n = 0;
    for entry in dir {
        entry.ok()?;
        n += 1;
    }
    // An empty or unreadable listing cannot be right: we are a thread.
    (n > 0).then_some(n)
}

/// Which threads of the process a restriction covers.
///
/// ```
/// use prctl_network::ThreadScope;
///
/// let scope = ThreadScope::from_count(Some(3));
/// assert_eq!(scope, ThreadScope::ThisThreadOnly { other_threads: 2 });
/// assert_eq!(ThreadScope::from_count(Some(1)), ThreadScope::WholeProcess);
/// assert_eq!(ThreadScope::from_count(None), ThreadScope::Unknown);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadScope {
    /// Every thread of the process, and everything they start later, is
    /// covered: the kernel restricted them all (`PR_NETWORK_TSYNC`), or the
    /// caller was the only thread.
    WholeProcess,
    /// Other threads existed and keep their network access; only the
    /// calling thread (and what it starts later) is covered.
    ThisThreadOnly {
        /// How many other threads are not covered.
        other_threads: usize,
    },
    /// The thread count could not be read (`/proc` unavailable): other
    /// threads may exist and not be covered.
    Unknown,
}

impl ThreadScope {
    /// The scope for a process with `threads` threads (`None`: unknown).
    pub fn from_count(threads: Option<usize>) -> Self {
        match threads {
            None => ThreadScope::Unknown,
            Some(0 | 1) => ThreadScope::WholeProcess,
            Some(n) => ThreadScope::ThisThreadOnly {
                other_threads: n - 1,
            },
        }
    }

    /// Whether the whole process is known to be covered.
    ///
    /// ```
    /// assert!(prctl_network::ThreadScope::WholeProcess.is_whole_process());
    /// assert!(!prctl_network::ThreadScope::Unknown.is_whole_process());
    /// ```
    pub fn is_whole_process(self) -> bool {
        self == ThreadScope::WholeProcess
    }
}
