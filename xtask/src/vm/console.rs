//! The one reader of a QEMU serial console: it starts QEMU with its stdout
//! and stderr on a pipe, copies every line to a log file, keeps the last
//! lines for a failure report, and hands the lines to the job one by one
//! until the VM exits or the deadline passes (then QEMU is killed).
//!
//! What the lines mean is the VM protocol's business
//! (`prctl_network_vm_protocol::Event`); this module only moves them.

use anyhow::{Context, Result};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How many console lines a failure report shows.
const TAIL: usize = 40;

/// A running VM and its console.
pub struct Console {
    child: Child,
    lines: Receiver<String>,
    log: std::fs::File,
    log_path: PathBuf,
    tail: VecDeque<String>,
    started: Instant,
    deadline: Instant,
    timed_out: bool,
}

impl Console {
    /// Starts `qemu` (a QEMU command line from [`super::qemu`]) with its
    /// console logged to `log_path`; the VM gets `timeout` in all.
    pub fn start(mut qemu: Command, log_path: &Path, timeout: Duration) -> Result<Console> {
        let log = std::fs::File::create(log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let (reader, writer) = std::io::pipe()?;
        qemu.stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer);
        let child = qemu.spawn().context("starting qemu-system-x86_64")?;
        drop(qemu); // it holds copies of the write end: EOF comes once QEMU exits
        let (tx, lines) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut r = BufReader::new(reader);
            let mut buf = Vec::new();
            while matches!(r.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                let s = String::from_utf8_lossy(&buf).replace('\r', "");
                if tx.send(s.trim_end_matches('\n').to_string()).is_err() {
                    break;
                }
                buf.clear();
            }
        });
        let started = Instant::now();
        Ok(Console {
            child,
            lines,
            log,
            log_path: log_path.to_path_buf(),
            tail: VecDeque::new(),
            started,
            deadline: started + timeout,
            timed_out: false,
        })
    }

    /// The next console line, already in the log; `None` once QEMU has
    /// closed the console or the deadline has passed ([`Console::timed_out`]).
    pub fn next_line(&mut self) -> Result<Option<String>> {
        if self.timed_out {
            return Ok(None);
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                writeln!(self.log, "{line}")?;
                if self.tail.len() == TAIL {
                    self.tail.pop_front();
                }
                self.tail.push_back(line.clone());
                Ok(Some(line))
            }
            Err(RecvTimeoutError::Timeout) => {
                self.timed_out = true;
                Ok(None)
            }
            Err(RecvTimeoutError::Disconnected) => Ok(None),
        }
    }

    /// Whether the deadline passed before the console closed.
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// Seconds since QEMU started.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The last console lines (at most 40), oldest first.
    pub fn tail(&self) -> impl Iterator<Item = &str> {
        self.tail.iter().map(String::as_str)
    }

    /// Waits for QEMU to exit, killing it first if the deadline passed.
    pub fn finish(&mut self) -> Result<ExitStatus> {
        if self.timed_out {
            let _ = self.child.kill(); // our own QEMU child, by pid
        }
        Ok(self.child.wait()?)
    }
}
