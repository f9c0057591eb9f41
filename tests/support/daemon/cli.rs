//! One-shot CLI runs (`vinstream check`, `normalize`, …) with a deadline.

use super::{wait, CLI_TIMEOUT};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

/// Runs `bin args…` to completion (stdin null, output captured), with a 60 s deadline.
pub fn run_cli(bin: &Path, args: &[&str]) -> Output {
    run_cli_with(Command::new(bin).args(args), CLI_TIMEOUT)
}

/// Runs a prepared command to completion with a deadline; kills it and panics on timeout.
pub fn run_cli_with(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {:?}: {e}", cmd.get_program()));
    fn slurp(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    }
    let out = slurp(child.stdout.take().unwrap());
    let err = slurp(child.stderr.take().unwrap());
    let status = wait::try_until(timeout, || child.try_wait().expect("try_wait"));
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{:?} {:?} did not finish within {timeout:?}",
            cmd.get_program(),
            cmd.get_args().collect::<Vec<_>>()
        );
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}
