//! `lcli simulate` as the acceptance runs it, and a kill -9 in the middle of a run
//! on disk followed by a resume.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn simulate(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lcli"))
        .arg("simulate")
        .args(args)
        .output()
        .expect("lcli runs");
    assert!(
        out.status.success(),
        "lcli simulate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The numbers of the final `finalized_epoch=F justified_epoch=J head_slot=S` line.
fn summary(stdout: &str) -> (u64, u64, u64) {
    let last = stdout.lines().last().expect("output");
    let value = |key: &str| -> u64 {
        last.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {last:?}"))
            .parse()
            .expect("a number")
    };
    (
        value("finalized_epoch"),
        value("justified_epoch"),
        value("head_slot"),
    )
}

#[test]
fn full_participation_finalizes_and_half_participation_does_not() {
    let out = simulate(&["--preset", "minimal", "--validators", "64", "--epochs", "8"]);
    let (finalized, justified, head_slot) = summary(&out);
    assert!(finalized >= 6, "{out}");
    assert_eq!(justified, 7);
    assert_eq!(head_slot, 64);
    assert_eq!(out.lines().filter(|l| l.starts_with("epoch ")).count(), 8);

    let out = simulate(&[
        "--validators",
        "64",
        "--epochs",
        "8",
        "--participation",
        "0.5",
    ]);
    assert_eq!(summary(&out).0, 0, "{out}");
}

#[test]
fn skipped_slots_and_a_fork_still_finalize() {
    let out = simulate(&[
        "--validators",
        "64",
        "--epochs",
        "7",
        "--skip-slots",
        "9,10,17",
        "--fork-at",
        "20",
    ]);
    assert!(out.contains("fork at slot 20"), "{out}");
    assert!(summary(&out).0 >= 4, "{out}");
}

#[test]
fn a_run_killed_mid_way_resumes_from_its_database() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("simulate-kill");
    let _ = std::fs::remove_dir_all(&dir);
    let datadir = dir.to_str().expect("utf8");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lcli"))
        .args([
            "simulate",
            "--validators",
            "64",
            "--epochs",
            "1000",
            "--datadir",
            datadir,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("lcli runs");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if line.expect("line").starts_with("epoch 4:") {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    let out = simulate(&["--validators", "64", "--epochs", "10", "--datadir", datadir]);
    assert!(out.starts_with("resumed: head_slot="), "{out}");
    let (finalized, justified, head_slot) = summary(&out);
    assert_eq!(head_slot, 80);
    assert_eq!(justified, 9, "{out}");
    assert!(finalized >= 8, "{out}");
}
