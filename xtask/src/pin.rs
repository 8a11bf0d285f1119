//! The kernel pin: `patches/BASE`, `key = value` lines. It is the only
//! place the kernel version and checksums live.

use crate::bail;
use crate::util::{project_root, Result};
use std::collections::BTreeMap;

pub struct Pin {
    map: BTreeMap<String, String>,
}

impl Pin {
    pub fn load() -> Result<Pin> {
        let path = project_root().join("patches/BASE");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
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
        Ok(Pin { map })
    }

    pub fn get(&self, key: &str) -> Result<&str> {
        match self.map.get(key) {
            Some(v) => Ok(v),
            None => bail!("patches/BASE has no `{key}`"),
        }
    }
}
