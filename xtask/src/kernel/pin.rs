//! The kernel pin: the `BASE` file of the kernel line (`patches/BASE`,
//! `patches/7.3/BASE`), `key = value` lines. It is the only place the
//! kernel version and checksums live.

use crate::util::Result;
use anyhow::bail;
use std::collections::BTreeMap;

pub struct Pin {
    map: BTreeMap<String, String>,
    path: std::path::PathBuf,
}

impl Pin {
    pub fn load() -> Result<Pin> {
        let path = crate::kernel::line::current().dir().join("BASE");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let mut map = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                bail!("{}:{}: expected `key = value`", path.display(), n + 1);
            };
            map.insert(k.trim().to_string(), v.trim().to_string());
        }
        Ok(Pin { map, path })
    }

    /// Whether the pin has `key` (a Debian-only line has no vanilla keys).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Result<&str> {
        match self.map.get(key) {
            Some(v) => Ok(v),
            None => bail!("{} has no `{key}`", self.path.display()),
        }
    }
}
