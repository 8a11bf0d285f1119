//! `cargo xtask initramfs`: static guest /init, the Rust test executables
//! and binaries, the kselftests of the patched tree, busybox, packed into a
//! newc cpio written here (root ownership and the setuid bit without fakeroot).
//!
//! Layout: `/init`, `/bin/busybox` (+ applet links), `/usr/bin/<bins>`
//! (pn-suid-probe setuid root), `/tests/rust/<test-name>`,
//! `/tests/kselftest/<name>`, `/dev/console`, `/proc`, `/sys`, `/tmp`,
//! `/etc/{passwd,group,hosts}`.
//! Each binary is also reachable at its host build path (a symlink), so
//! `env!("CARGO_BIN_EXE_<name>")` compiled into a test still works in the VM.

use crate::cache;
use crate::host_deps;
use crate::kernel::Kernel;
use crate::util::{project_root, say, Result, Step};
use crate::vm::cpio::Cpio;
use anyhow::bail;
use cargo_metadata::{Message, TargetKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const TARGET: &str = "x86_64-unknown-linux-gnu";
const SETUID_BINS: &[&str] = &["pn-suid-probe"];
/// Binaries the VM cannot do without (the tests exec pn-suid-probe,
/// nonet and pn-unix-client).
const REQUIRED_BINS: &[&str] = &["init", "pn-suid-probe", "nonet", "pn-unix-client"];
/// Binaries expected in /usr/bin; a missing one is reported, not fatal.
const EXPECTED_BINS: &[&str] = &["nonet"];
const TEST_PACKAGES: &[&str] = &[
    "prctl-network",
    "prctl-network-nonet",
    "prctl-network-tests",
];
/// The guest crate: its binary `init` is /init.
const GUEST_PACKAGE: &str = "prctl-network-vm-guest";

pub struct Initramfs {
    pub path: PathBuf,
}

/// Separate target dir for the static build so it does not thrash the host build cache.
pub fn vm_target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d).join("vm"),
        None => project_root().join("target/vm"),
    }
}

pub(crate) fn cargo(sub: &str) -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    // Static, and without debuginfo: with it the test executables are ~40 MB
    // each and the initramfs (held twice in guest RAM while unpacking) ~500 MB.
    // Symbols stay, so panics and backtraces still name functions.
    flags.push_str(" -C target-feature=+crt-static -C strip=debuginfo");
    c.arg(sub)
        .current_dir(project_root())
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", flags.trim())
        .env("CARGO_TARGET_DIR", vm_target_dir())
        .args([
            "--target",
            TARGET,
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit()); // compiler errors and progress stay visible
    c
}

/// Test executables that make no system call the series changes: the pure
/// reference-model tests (`tests/tests/model.rs`). `cargo test --workspace`
/// runs them on the host; in the VM they only cost time (about 50 s of TCG
/// for root and uid 1000, half of a warm `vm-test`).
const HOST_ONLY_TESTS: &[&str] = &["model"];

/// One compiler-artifact message, the fields we need.
pub(crate) struct Artifact {
    pub(crate) name: String,
    pub(crate) executable: String,
    test: bool,
    pub(crate) bin: bool,
}

/// The compiler artifacts with an executable among cargo's
/// `--message-format=json` messages (one a line; other lines are passed over).
fn parse_artifacts(stdout: &[u8]) -> Vec<Artifact> {
    Message::parse_stream(stdout)
        .filter_map(|m| match m {
            Ok(Message::CompilerArtifact(a)) => Some(a),
            _ => None,
        })
        .filter_map(|a| {
            Some(Artifact {
                executable: a.executable?.into_string(),
                test: a.profile.test,
                bin: a.target.is_kind(TargetKind::Bin),
                name: a.target.name,
            })
        })
        .collect()
}

pub(crate) fn run_cargo(mut c: Command, what: &str) -> Result<Vec<Artifact>> {
    let out = c.output().map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}); see the compiler output above",
            out.status
        );
    }
    Ok(parse_artifacts(&out.stdout))
}

/// `foo-0123456789abcdef` -> `foo`
fn test_name(exe: &Path) -> String {
    let f = exe
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    match f.rsplit_once('-') {
        Some((n, h)) if h.len() == 16 && h.chars().all(|c| c.is_ascii_hexdigit()) => n.to_string(),
        _ => f,
    }
}

/// Builds the guest's programs, the kselftests, and packs them with busybox
/// into `<cache>/run/initramfs.cpio`.
pub fn build(kernel: &Kernel) -> Result<Initramfs> {
    host_deps::ensure(&[host_deps::INITRAMFS])?;
    require_test_crates()?;
    let tests = test_executables()?;
    let bins = binaries()?;
    let kselftests = build_kselftests(kernel)?;
    let path = pack(kernel, &bins, &tests, &kselftests)?;
    Ok(Initramfs { path })
}

/// The crates whose tests the VM runs must be there.
fn require_test_crates() -> Result<()> {
    let root = project_root();
    for (pkg, dir) in [
        ("prctl-network", "prctl-network"),
        ("prctl-network-nonet", "nonet"),
        ("prctl-network-tests", "tests"),
    ] {
        if !root.join(dir).join("Cargo.toml").exists() {
            bail!(
                "the {pkg} crate ({}/Cargo.toml) is missing: the VM runs its tests",
                root.join(dir).display()
            );
        }
    }
    Ok(())
}

/// The static test executables of [`TEST_PACKAGES`] (`cargo test
/// --no-run`), the host-only ones left out.
fn test_executables() -> Result<Vec<Artifact>> {
    let step = Step::start(
        "initramfs",
        format!("static test executables (cargo test --no-run --target {TARGET})"),
    );
    let mut c = cargo("test");
    c.arg("--no-run");
    for p in TEST_PACKAGES {
        c.args(["-p", p]);
    }
    let tests: Vec<Artifact> = run_cargo(c, "cargo test --no-run")?
        .into_iter()
        .filter(|a| {
            a.test && !HOST_ONLY_TESTS.contains(&test_name(Path::new(&a.executable)).as_str())
        })
        .collect();
    step.done(format!(
        "{} test executable(s); host-only, left out: {}",
        tests.len(),
        HOST_ONLY_TESTS.join(", ")
    ));
    Ok(tests)
}

/// The static binaries of [`TEST_PACKAGES`] and the guest's /init
/// (`cargo build --bins`): name -> executable. A missing
/// [`REQUIRED_BINS`] one is an error, a missing [`EXPECTED_BINS`] one a
/// warning.
fn binaries() -> Result<BTreeMap<String, String>> {
    let step = Step::start("initramfs", "static binaries (cargo build --bins)");
    let mut c = cargo("build");
    c.arg("--bins");
    for p in TEST_PACKAGES.iter().chain([GUEST_PACKAGE].iter()) {
        c.args(["-p", p]);
    }
    let bin_map: BTreeMap<String, String> = run_cargo(c, "cargo build --bins")?
        .into_iter()
        .filter(|a| a.bin && !a.test)
        .map(|a| (a.name, a.executable))
        .collect();
    for r in REQUIRED_BINS {
        if !bin_map.contains_key(*r) {
            bail!("binary `{r}` was not built (expected from packages {TEST_PACKAGES:?} / {GUEST_PACKAGE})");
        }
    }
    for e in EXPECTED_BINS {
        if !bin_map.contains_key(*e) {
            say(
                "initramfs",
                format!(
                    "WARNING: binary `{e}` was not built; /usr/bin/{e} will be missing in the VM"
                ),
            );
        }
    }
    step.done(format!(
        "bins: {}",
        bin_map.keys().cloned().collect::<Vec<_>>().join(" ")
    ));
    Ok(bin_map)
}

type Archive = Cpio<std::io::BufWriter<std::fs::File>>;

/// Writes the cpio (to a `.partial` file, renamed when complete), in this
/// order: the skeleton, /init, busybox, /usr/bin, the Rust tests, the uapi
/// headers, the kselftests.
fn pack(
    kernel: &Kernel,
    bins: &BTreeMap<String, String>,
    tests: &[Artifact],
    kselftests: &[PathBuf],
) -> Result<PathBuf> {
    let step = Step::start("initramfs", "writing the cpio");
    let run = cache::dir().join("run");
    std::fs::create_dir_all(&run)?;
    let path = run.join("initramfs.cpio");
    let tmp = run.join("initramfs.cpio.partial");
    let mut a = Cpio::new(std::io::BufWriter::new(std::fs::File::create(&tmp)?));
    skeleton(&mut a)?;
    a.file("init", 0o755, 0, 0, &read(&bins["init"])?)?;
    busybox(&mut a)?;
    usr_bin(&mut a, bins)?;
    rust_tests(&mut a, tests)?;
    uapi_headers(&mut a, kernel)?;
    for k in kselftests {
        let name = k.file_name().unwrap().to_string_lossy();
        a.file(&format!("tests/kselftest/{name}"), 0o755, 0, 0, &read(k)?)?;
    }
    a.finish()?;
    std::fs::rename(&tmp, &path)?;
    let size = path.metadata()?.len();
    step.done(format!(
        "{} ({:.1} MB: {} rust test program(s), {} kselftest(s))",
        path.display(),
        size as f64 / 1e6,
        tests.len(),
        kselftests.len()
    ));
    Ok(path)
}

/// The directories, /dev/console and the files of /etc.
fn skeleton(a: &mut Archive) -> Result<()> {
    for d in [
        "bin",
        "usr/bin",
        "tests/rust",
        "tests/kselftest",
        "dev",
        "proc",
        "sys",
        "etc",
        "root",
        "mnt",
    ] {
        a.dir(d, 0o755)?;
    }
    a.dir("tmp", 0o1777)?;
    // The kernel opens /dev/console for /init's stdio before /init can mount devtmpfs.
    a.chardev("dev/console", 0o600, 5, 1)?;
    a.file(
        "etc/passwd",
        0o644,
        0,
        0,
        b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n",
    )?;
    a.file("etc/group", 0o644, 0, 0, b"root:x:0:\nuser:x:1000:\n")?;
    a.file(
        "etc/hosts",
        0o644,
        0,
        0,
        b"127.0.0.1 localhost\n::1 localhost\n",
    )?;
    a.file(
        "etc/nsswitch.conf",
        0o644,
        0,
        0,
        b"passwd: files\ngroup: files\nhosts: files\n",
    )?;
    Ok(())
}

/// The host's /bin/busybox and a link for each of its applets but `init`
/// and `linuxrc` (our /init is the Rust one).
fn busybox(a: &mut Archive) -> Result<()> {
    a.file("bin/busybox", 0o755, 0, 0, &read("/bin/busybox")?)?;
    for applet in busybox_applets()? {
        if applet != "busybox" && applet != "init" && applet != "linuxrc" {
            a.symlink(&format!("bin/{applet}"), "busybox")?;
        }
    }
    Ok(())
}

/// Every binary but init in /usr/bin ([`SETUID_BINS`] setuid root), and a
/// link at its host build path.
fn usr_bin(a: &mut Archive, bins: &BTreeMap<String, String>) -> Result<()> {
    for (name, exe) in bins {
        if name == "init" {
            continue;
        }
        let mode = if SETUID_BINS.contains(&name.as_str()) {
            0o4755
        } else {
            0o755
        };
        a.file(&format!("usr/bin/{name}"), mode, 0, 0, &read(exe)?)?;
        a.symlink(exe, &format!("/usr/bin/{name}"))?;
    }
    Ok(())
}

/// The test executables in /tests/rust, by test name (a repeated name gets
/// `-2`, `-3`, ...).
fn rust_tests(a: &mut Archive, tests: &[Artifact]) -> Result<()> {
    let mut used = std::collections::BTreeSet::new();
    for t in tests {
        // A binary's unit tests share the binary's name with an integration
        // test of the same name: call them `<bin>-bin`.
        let base = test_name(Path::new(&t.executable));
        let base = if t.bin { format!("{base}-bin") } else { base };
        let mut name = base.clone();
        let mut n = 1;
        while !used.insert(name.clone()) {
            n += 1;
            name = format!("{base}-{n}");
        }
        a.file(
            &format!("tests/rust/{name}"),
            0o755,
            0,
            0,
            &read(&t.executable)?,
        )?;
    }
    Ok(())
}

/// The uapi headers of the socket levels, from the patched tree's
/// `make headers`: tests/tests/channels.rs checks that its option table
/// (tests/src/channels.rs, HEADERS) classifies every option they define.
fn uapi_headers(a: &mut Archive, kernel: &Kernel) -> Result<()> {
    let include = kernel.build.join("usr/include");
    for dir in [
        "usr/include",
        "usr/include/linux",
        "usr/include/asm-generic",
    ] {
        a.dir(dir, 0o755)?;
    }
    for h in UAPI_HEADERS {
        a.file(
            &format!("usr/include/{h}"),
            0o644,
            0,
            0,
            &read(include.join(h))?,
        )?;
    }
    Ok(())
}

/// The uapi headers that define the socket options of the levels the
/// guest has (the list `tests/src/channels.rs` HEADERS reads).
const UAPI_HEADERS: &[&str] = &[
    "asm-generic/socket.h",
    "linux/in.h",
    "linux/in6.h",
    "linux/tcp.h",
    "linux/udp.h",
    "linux/if_packet.h",
    "linux/icmp.h",
    "linux/sctp.h",
];

fn read(p: impl AsRef<Path>) -> Result<Vec<u8>> {
    let p = p.as_ref();
    std::fs::read(p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))
}

fn busybox_applets() -> Result<Vec<String>> {
    let sh = xshell::Shell::new()?;
    let out = xshell::cmd!(sh, "/bin/busybox --list").quiet().read()?;
    Ok(out
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// The kselftests of the patched tree, built the kernel's way:
/// `make -C tools/testing/selftests TARGETS=prctl_network O=<build>` (the
/// build's installed headers via KHDR_INCLUDES), linked statically for the
/// initramfs with `USERLDFLAGS=-static`; the programs are what that build
/// leaves in `<build>/kselftest/prctl_network/`.
fn build_kselftests(kernel: &Kernel) -> Result<Vec<PathBuf>> {
    let dir = kernel.src.join("tools/testing/selftests/prctl_network");
    let out_dir = kernel.build.join("kselftest/prctl_network");
    if !dir.join("Makefile").exists() {
        if kernel.series.patches.is_empty() {
            say(
                "initramfs",
                format!(
                    "no kselftests: the series is empty ({} absent)",
                    dir.display()
                ),
            );
            return Ok(Vec::new());
        }
        bail!(
            "the series is applied but {} has no Makefile",
            dir.display()
        );
    }
    let step = Step::start(
        "initramfs",
        format!(
            "kselftests: make -C tools/testing/selftests TARGETS=prctl_network (log: {})",
            out_dir.join("make.log").display()
        ),
    );
    std::fs::create_dir_all(&out_dir)?;
    let log = out_dir.join("make.log");
    std::fs::write(&log, "")?;
    // make's own dependency tracking rebuilds only what changed.
    crate::kernel::make::run_logged(
        Command::new("make")
            .arg("-C")
            .arg(kernel.src.join("tools/testing/selftests"))
            .arg("TARGETS=prctl_network")
            .arg(format!("O={}", kernel.build.display()))
            .args(["V=1", "USERCFLAGS=-g", "USERLDFLAGS=-static"]),
        &log,
        "make kselftests",
    )?;
    let text = std::fs::read_to_string(&log)?;
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("warning:")).collect();
    if !warnings.is_empty() {
        say(
            "initramfs",
            format!("kselftest compiler warnings:\n{}", warnings.join("\n")),
        );
    }
    // TEST_GEN_PROGS of the Makefile: every *_test.c.
    let mut outs: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix("_test.c")
                .map(|stem| out_dir.join(format!("{stem}_test")))
        })
        .collect();
    outs.sort();
    if outs.is_empty() {
        bail!("{} has no *_test.c kselftests", dir.display());
    }
    for o in &outs {
        if !o.exists() {
            bail!(
                "make kselftests succeeded but {} is missing (see {})",
                o.display(),
                log.display()
            );
        }
    }
    step.done(format!(
        "{} kselftest(s) in {}",
        outs.len(),
        out_dir.display()
    ));
    Ok(outs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_messages() {
        let test = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/tests#prctl-network-tests@0.1.0","manifest_path":"/w/tests/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"model","src_path":"/w/tests/tests/model.rs","edition":"2021","doc":false,"doctest":false,"test":true},"profile":{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":true},"features":[],"filenames":["/t/model-0123456789abcdef"],"executable":"/t/model-0123456789abcdef","fresh":true}"#;
        let bin = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/prctl-network#0.1.0","manifest_path":"/w/prctl-network/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"pn-suid-probe","src_path":"/w/prctl-network/src/bin/pn-suid-probe.rs","edition":"2021","doc":true,"doctest":false,"test":true},"profile":{"opt_level":"0","debuginfo":0,"debug_assertions":true,"overflow_checks":true,"test":false},"features":[],"filenames":["/t/pn-suid-probe"],"executable":"/t/pn-suid-probe","fresh":false}"#;
        // A library: no executable, not an artifact we take.
        let lib = r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#anyhow@1.0.105","manifest_path":"/r/anyhow-1.0.105/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"anyhow","src_path":"/r/anyhow-1.0.105/src/lib.rs","edition":"2021","doc":true,"doctest":true,"test":true},"profile":{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":false},"features":["default","std"],"filenames":["/t/libanyhow-f77aca1cc65b8250.rlib"],"executable":null,"fresh":true}"#;
        let stream = format!(
            "{test}\n{lib}\nnot a message\n{bin}\n{{\"reason\":\"build-finished\",\"success\":true}}\n"
        );
        let v = parse_artifacts(stream.as_bytes());
        assert_eq!(v.len(), 2);
        assert!(v[0].test && !v[0].bin && v[0].name == "model");
        assert_eq!(test_name(Path::new(&v[0].executable)), "model");
        assert!(v[1].bin && !v[1].test && v[1].name == "pn-suid-probe");
        assert_eq!(v[1].executable, "/t/pn-suid-probe");
    }
}
