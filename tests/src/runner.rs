//! proptest configuration shared by the property tests: case counts
//! (`PROPTEST_CASES` overrides every default), failure persistence that works
//! both in the source tree and in the VM (where the source tree does not
//! exist), and a runner that prints the minimal failing input and the seed.

use proptest::strategy::Strategy;
use proptest::test_runner::{
    Config, FailurePersistence, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError,
    TestRng, TestRunner,
};

/// Write a line to stderr directly: not through `eprintln!`, which the test
/// harness captures (and loses if the VM's timeout kills the program).
pub fn say(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// The run's seed: `$PN_SEED`, else from the clock and pid.
///
/// Not from the OS entropy pool (proptest's default): early in a VM booted
/// without an RNG device, `getrandom()` blocks until the pool is
/// initialised, which under TCG took longer than the harness's timeout.
pub fn seed() -> u64 {
    if let Some(s) = std::env::var("PN_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return s;
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ (u64::from(std::process::id()) << 32)
}

/// A ChaCha test RNG from a 64-bit seed (splitmix64 expansion).
pub fn rng_from(seed: u64) -> TestRng {
    let mut x = seed;
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// Progress output wanted (`PN_TRACE` set, or `pn_trace=1` on the kernel
/// command line)? Off by default: direct stderr writes land in the middle
/// of libtest's `test NAME ... ok` line, which the VM harness parses.
pub fn verbose() -> bool {
    std::env::var_os("PN_TRACE").is_some()
        || std::fs::read_to_string("/proc/cmdline").is_ok_and(|c| c.contains("pn_trace=1"))
}

/// `$PROPTEST_CASES` if set (and a number), else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// A number from the environment variable `var`, else `default`.
pub fn env_number(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn writable(path: &std::path::Path) -> bool {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .is_ok()
}

/// The failure-persistence file for property `name`: the committed
/// `tests/proptest-regressions/<name>.txt` when the source tree is there and
/// writable, else `$TMPDIR/pn-proptest-regressions-<name>.txt`.
pub fn persistence_path(name: &str) -> String {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("proptest-regressions")
        .join(format!("{name}.txt"));
    if src.parent().is_some_and(|d| d.is_dir()) && writable(&src) {
        return src.to_string_lossy().into_owned();
    }
    std::env::temp_dir()
        .join(format!("pn-proptest-regressions-{name}.txt"))
        .to_string_lossy()
        .into_owned()
}

/// The proptest config for property `name` with `default_cases`.
pub fn config(name: &str, default_cases: u32) -> Config {
    let path: &'static str = Box::leak(persistence_path(name).into_boxed_str());
    let persistence: Option<Box<dyn FailurePersistence>> = if writable(std::path::Path::new(path)) {
        Some(Box::new(FileFailurePersistence::Direct(path)))
    } else {
        None
    };
    Config {
        cases: cases(default_cases),
        failure_persistence: persistence,
        max_shrink_iters: 256,
        // Shrinking forks worlds: bound it in wall time too (ms), well
        // inside the VM harness's per-program timeout.
        max_shrink_time: 60_000,
        ..Config::default()
    }
}

/// Run property `name` over `strategy`; on failure panic with the minimal
/// failing input, the reason, and the persisted seed lines.
pub fn run<S, F>(name: &str, default_cases: u32, strategy: S, test: F)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
    F: Fn(S::Value) -> Result<(), String>,
{
    let cfg = config(name, default_cases);
    let path = persistence_path(name);
    let verbose = verbose();
    if verbose {
        say(&format!(
            "property {name}: {} cases (PROPTEST_CASES overrides); failures persisted in {path}",
            cfg.cases
        ));
    }
    let seed = seed();
    if verbose {
        say(&format!(
            "property {name}: seed {seed} (PN_SEED={seed} replays this run)"
        ));
    }
    let mut runner = TestRunner::new_with_rng(cfg, rng_from(seed));
    let start = std::time::Instant::now();
    let count = std::cell::Cell::new(0u64);
    let first_failure = std::cell::Cell::new(true);
    let res = runner.run(&strategy, |v| {
        let n = count.get() + 1;
        count.set(n);
        if verbose && n.is_multiple_of(16) {
            say(&format!(
                "property {name}: {n} runs, {:.1}s",
                start.elapsed().as_secs_f64()
            ));
        }
        let r = test(v);
        if let Err(e) = &r {
            if first_failure.replace(false) {
                // Shown even if the run is killed while shrinking.
                say(&format!(
                    "property {name}: first failure (run {n}), now shrinking:\n{e}"
                ));
            }
        }
        r.map_err(TestCaseError::fail)
    });
    match res {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => {
            let seeds = std::fs::read_to_string(&path).unwrap_or_default();
            let seeds: Vec<&str> = seeds.lines().filter(|l| l.starts_with("cc ")).collect();
            panic!(
                "property {name} failed (PN_SEED={seed} replays the run).\nminimal failing input: {value:#?}\n{reason}\n\
                 persisted seeds ({path}; copy into tests/proptest-regressions/{name}.txt to replay):\n{}",
                seeds.join("\n")
            );
        }
        Err(TestError::Abort(reason)) => panic!("property {name} aborted: {reason}"),
    }
}
