//! Which cluster: the bundled sample never reaches a cluster unless `--kubeconfig` is given
//! explicitly (not through `$KUBECONFIG`), and every command that writes to a cluster names the
//! API server and context before its first request.

mod cluster_support;
mod common;

use cluster_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_with_kubeconfig_env_opens_no_connection() {
    let h = Harness::start(default_options()).await;
    let kc = h.kc();
    let env = [("KUBECONFIG", kc.as_str())];

    let out = h.run_env(&["migrate", "--sample"], &env).await;
    let (stdout, _) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(4),
        "the sample fails one item, nothing else\n{}",
        show(&out)
    );
    assert!(
        stdout.contains("only with an explicit --kubeconfig"),
        "{}",
        show(&out)
    );
    assert!(!stdout.contains("cluster: "), "{}", show(&out));

    for cmd in ["plan", "verify"] {
        let out = h.run_env(&[cmd, "--sample"], &env).await;
        assert_eq!(out.status.code(), Some(2), "{cmd}\n{}", show(&out));
        assert!(
            texts(&out)
                .1
                .contains("--kubeconfig FILE is given explicitly"),
            "{}",
            show(&out)
        );
    }
    let out = h.run_env(&["migrate", "--sample", "--dry-run"], &env).await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));

    assert!(
        h.server.requests().is_empty(),
        "the test API server was contacted: {:?}",
        h.server.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_commands_print_the_server_and_context_first() {
    let h = Harness::start(default_options()).await;
    let out = h
        .run(&[
            "migrate",
            "--sample",
            "--exclude",
            BROKEN_PROJECT,
            "--kubeconfig",
            &h.kc(),
            "--namespace-timeout",
            "20s",
        ])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let (stdout, _) = texts(&out);
    let url = h.server.url();
    let line = stdout
        .lines()
        .position(|l| l.starts_with("cluster: ") && l.contains(url.trim_end_matches('/')));
    let applied = stdout
        .lines()
        .position(|l| l.starts_with("[5-6/6] applied"));
    assert!(line.is_some() && line < applied, "{}", show(&out));
    assert!(stdout.contains("(context "), "{}", show(&out));
}
