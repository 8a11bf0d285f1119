//! Hand-rolled argument parsing: the option set is small and fixed, so a
//! parser crate would cost more (build time, a dependency to justify) than
//! these ~80 lines. Accepts `--opt value`, `--opt=value` and `--flag`.

use crate::bail;
use crate::util::Result;

pub struct Args {
    rest: Vec<String>,
}

impl Args {
    pub fn new(rest: Vec<String>) -> Args {
        Args { rest }
    }

    pub fn help(&mut self) -> bool {
        self.flag("--help") | self.flag("-h")
    }

    pub fn flag(&mut self, name: &str) -> bool {
        let before = self.rest.len();
        self.rest.retain(|a| a != name);
        before != self.rest.len()
    }

    pub fn value(&mut self, name: &str) -> Result<Option<String>> {
        let prefix = format!("{name}=");
        let mut i = 0;
        let mut found = None;
        while i < self.rest.len() {
            if self.rest[i] == name {
                if i + 1 >= self.rest.len() {
                    bail!("{name} needs a value");
                }
                let v = self.rest.remove(i + 1);
                self.rest.remove(i);
                found = Some(v);
            } else if let Some(v) = self.rest[i].strip_prefix(&prefix) {
                found = Some(v.to_string());
                self.rest.remove(i);
            } else {
                i += 1;
            }
        }
        Ok(found)
    }

    pub fn parsed<T: std::str::FromStr>(&mut self, name: &str) -> Result<Option<T>> {
        match self.value(name)? {
            None => Ok(None),
            Some(v) => match v.parse() {
                Ok(t) => Ok(Some(t)),
                Err(_) => bail!("{name}: cannot parse {v:?}"),
            },
        }
    }

    pub fn finish(self) -> Result<()> {
        if let Some(a) = self.rest.first() {
            bail!("unexpected argument {a:?} (see --help)");
        }
        Ok(())
    }
}
