//! Running the release binary (and the floors' shell tools) as child processes: wall time, CPU
//! time (the children's `cutime + cstime` from `/proc/self/stat`, exact once the child is
//! reaped), peak RSS (the child's `VmHWM`, sampled every 2 ms), and every output line with the
//! time it arrived.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one child run cost.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Wall seconds from spawn to exit.
    pub secs: f64,
    /// User + system CPU seconds of the child (and its children).
    pub cpu: f64,
    /// Peak resident set size in MiB (0 when not sampled).
    pub peak_mib: f64,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// stdout and stderr lines with the seconds since spawn at which each arrived.
    pub lines: Vec<(f64, String)>,
}

impl Run {
    /// Cores busy on average (CPU seconds / wall seconds).
    pub fn cores(&self) -> f64 {
        if self.secs > 0.0 {
            self.cpu / self.secs
        } else {
            0.0
        }
    }

    /// Arrival time of the first line containing `text`.
    pub fn line_at(&self, text: &str) -> Option<f64> {
        self.lines
            .iter()
            .find(|(_, l)| l.contains(text))
            .map(|(t, _)| *t)
    }

    /// The last lines, for a failure message.
    pub fn tail(&self) -> String {
        let n = self.lines.len();
        self.lines[n.saturating_sub(15)..]
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// What the watcher of a running child wants.
pub enum Tick {
    /// Keep going.
    Go,
    /// SIGKILL the child now.
    Kill,
}

/// The children's CPU seconds so far (fields 16 and 17 of `/proc/self/stat`, clock ticks of
/// 1/100 s: Linux' USER_HZ).
pub fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): cutime = field 16 → index 13, cstime = 17 → 14.
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(13) + ticks(14)) / 100.0
}

fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The release binary with `--no-progress` and a clean environment for the variables it reads.
pub fn tool(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ks-devops-migrate"));
    cmd.arg("--no-progress").args(args);
    for var in [
        "KSDM_LOG",
        "KUBECONFIG",
        "KSDM_BACKUP_PASSPHRASE",
        "KUBERNETES_SERVICE_HOST",
        "KSDM_JOURNAL_CONFIGMAP",
        "JOB_COMPLETION_INDEX",
        "POD_NAMESPACE",
        "MYSQL_PWD",
        "JENKINS_API_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `sh -c script`.
pub fn sh(script: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script);
    cmd
}

/// Runs `cmd` to the end.
pub fn run(cmd: Command) -> Run {
    run_watched(cmd, |_| Tick::Go)
}

/// Runs `cmd`, calling `watch(seconds since spawn)` every 2 ms; `Tick::Kill` kills the child.
pub fn run_watched(mut cmd: Command, mut watch: impl FnMut(f64) -> Tick) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let cpu_before = children_cpu();
    let start = Instant::now();
    let mut child: Child = cmd.spawn().expect("spawn a benchmark child");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|pipe| {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let t = start.elapsed().as_secs_f64();
                lines
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((t, line));
            }
        })
    })
    .collect();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for a benchmark child") {
            break status;
        }
        if let Tick::Kill = watch(start.elapsed().as_secs_f64()) {
            let _ = child.kill();
            break child.wait().expect("reap a killed child");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let secs = start.elapsed().as_secs_f64();
    for r in readers {
        let _ = r.join();
    }
    let mut lines = std::mem::take(
        &mut *lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    Run {
        secs,
        cpu: children_cpu() - cpu_before,
        peak_mib: peak as f64 / 1024.0,
        code: status.code().unwrap_or(-1),
        lines,
    }
}

/// Total size in bytes and number of files under `dir`.
pub fn tree_size(dir: &Path) -> (u64, u64) {
    let mut bytes = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else if let Ok(m) = e.metadata() {
                bytes += m.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

/// Every regular file under `dir`.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}
