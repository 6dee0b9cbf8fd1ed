//! Big seeded estates for benchmarks: N projects × M pipelines × K credentials, with a realistic
//! mix of pipeline kinds, sources, parameters and credential types.
//!
//! Everything about project `i` is derived from its own ChaCha stream (`seed`, stream `i`), so the
//! dump and the `JENKINS_HOME` are generated project by project and streamed to disk: memory use
//! does not grow with the estate.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use ksdm_model::v21::{CredentialMeta, Membership, Project};
use ksdm_model::v30::{
    Discarder, DiscoverPrFromForks, GitCloneOption, GitSource, GithubSource, MultiBranchPipeline,
    MultibranchJobTrigger, NoScmPipeline, Parameter, PipelineSpec, RemoteTrigger, SingleSvnSource,
    SvnSource, TimerTrigger, TYPE_MULTI_BRANCH, TYPE_PIPELINE,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::folder_xml::{folder_config_xml, SampleCredential, SampleCredentialKind};
use crate::home_root::write_home_root;
use crate::mysqldump::{write_dump, DumpOptions};
use crate::v21_xml::{jenkins_resaved, pipeline_config_xml, ResaveOptions};
use crate::{write_file, EstateError};

/// Size and shape of a synthetic estate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticOptions {
    /// Number of projects (MySQL rows; about 2 % are soft-deleted and have no folder).
    pub projects: usize,
    /// Pipelines per active project.
    pub pipelines_per_project: usize,
    /// Jenkins credentials per active project.
    pub credentials_per_project: usize,
    /// Number of workspaces the projects are spread over (at least 1).
    pub workspaces: usize,
    /// Seed of all random choices.
    pub seed: u64,
    /// Whether `project.workspace` exists in the dump.
    pub workspace_column: bool,
}

impl Default for SyntheticOptions {
    fn default() -> Self {
        SyntheticOptions {
            projects: 100,
            pipelines_per_project: 20,
            credentials_per_project: 5,
            workspaces: 10,
            seed: 2_1_1,
            workspace_column: true,
        }
    }
}

/// What [`write_synthetic`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyntheticSummary {
    /// Project rows (active and deleted).
    pub projects: usize,
    /// Project folders written.
    pub folders: usize,
    /// Pipeline `config.xml` files written.
    pub pipelines: usize,
    /// Folder credentials written.
    pub credentials: usize,
}

/// Everything about one project, derived from its own random stream.
struct SynthProject {
    row: Project,
    members: Vec<Membership>,
    credential_rows: Vec<CredentialMeta>,
}

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890";
const USERS: [&str; 12] = [
    "admin", "alice", "bob", "carol", "dave", "erin", "frank", "gina", "henry", "ivan", "judy",
    "ken",
];
const ROLES: [&str; 4] = ["owner", "maintainer", "developer", "reporter"];

fn project_rng(opts: &SyntheticOptions, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    rng.set_stream(index as u64 + 1);
    rng
}

/// A mixed-case id shaped like v2.1's, unique even after lower-casing (the index is encoded in
/// base 36).
fn project_id(rng: &mut ChaCha8Rng, index: usize) -> String {
    let mut id = String::from("project-");
    for _ in 0..6 {
        id.push(ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())] as char);
    }
    let mut n = index;
    let mut tail = [b'0'; 6];
    for slot in tail.iter_mut().rev() {
        *slot = b"0123456789abcdefghijklmnopqrstuvwxyz"[n % 36];
        n /= 36;
    }
    id.extend(tail.iter().map(|&b| b as char));
    id
}

fn credential_id(k: usize) -> String {
    match k % 5 {
        0 => format!("git-cred-{k}"),
        1 => format!("deploy-ssh-{k}"),
        2 => format!("token-{k}"),
        3 => format!("kubeconfig-{k}"),
        _ => format!("Legacy_Cred_{k}"),
    }
}

fn synth_project(opts: &SyntheticOptions, index: usize) -> (SynthProject, ChaCha8Rng) {
    let mut rng = project_rng(opts, index);
    let id = project_id(&mut rng, index);
    let deleted = rng.random_bool(0.02);
    let creator = USERS[1 + rng.random_range(0..USERS.len() - 1)];
    let day = 1 + index % 28;
    let time = format!(
        "2020-{:02}-{day:02} {:02}:{:02}:{:02}",
        1 + index % 12,
        index % 24,
        index % 60,
        (index * 7) % 60
    );
    let row = Project {
        project_id: id.clone(),
        name: format!("project-{index}"),
        description: if rng.random_bool(0.5) {
            String::new()
        } else {
            format!("Synthetic project #{index} — it's \"big\"")
        },
        creator: creator.to_owned(),
        create_time: time.clone(),
        status: if deleted { "deleted" } else { "active" }.to_owned(),
        visibility: "private".to_owned(),
        extra: String::new(),
        workspace: Some(format!("workspace-{}", index % opts.workspaces.max(1))),
    };
    let mut members = Vec::new();
    if !deleted {
        members.push(Membership {
            username: creator.to_owned(),
            project_id: id.clone(),
            role: "owner".to_owned(),
            status: "active".to_owned(),
            grant_by: creator.to_owned(),
        });
        for _ in 0..rng.random_range(0..4) {
            let user = USERS[rng.random_range(0..USERS.len())];
            if members.iter().any(|m: &Membership| m.username == user) {
                continue;
            }
            members.push(Membership {
                username: user.to_owned(),
                project_id: id.clone(),
                role: ROLES[rng.random_range(0..ROLES.len())].to_owned(),
                status: "active".to_owned(),
                grant_by: creator.to_owned(),
            });
        }
    }
    let mut credential_rows = Vec::new();
    for k in 0..opts.credentials_per_project {
        // About 10 % were created in the Jenkins UI and have no row.
        if rng.random_bool(0.9) {
            credential_rows.push(CredentialMeta {
                project_id: id.clone(),
                credential_id: credential_id(k),
                domain: "_".to_owned(),
                creator: creator.to_owned(),
                create_time: time.clone(),
            });
        }
    }
    if rng.random_bool(0.05) {
        credential_rows.push(CredentialMeta {
            project_id: id.clone(),
            credential_id: "deleted-in-jenkins".to_owned(),
            domain: "_".to_owned(),
            creator: creator.to_owned(),
            create_time: time,
        });
    }
    (
        SynthProject {
            row,
            members,
            credential_rows,
        },
        rng,
    )
}

fn synth_credential<R: Rng>(rng: &mut R, k: usize) -> SampleCredential {
    let id = credential_id(k);
    let token: String = (0..32)
        .map(|_| ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())] as char)
        .collect();
    let kind = match k % 5 {
        0 | 4 => SampleCredentialKind::UsernamePassword {
            username: format!("user{k}"),
            password: token,
        },
        1 => SampleCredentialKind::Ssh {
            username: "git".to_owned(),
            passphrase: if rng.random_bool(0.3) {
                Some(format!("pass-{token}"))
            } else {
                None
            },
            private_key: format!(
                "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
                token.repeat(12)
            ),
        },
        2 => SampleCredentialKind::SecretText { secret: token },
        _ => SampleCredentialKind::Kubeconfig {
            content: format!(
                "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: {token}\n"
            ),
        },
    };
    SampleCredential {
        id,
        description: format!("synthetic credential {k}"),
        kind,
    }
}

fn pick<'a, R: Rng>(rng: &mut R, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn jenkinsfile<R: Rng>(rng: &mut R, name: &str) -> String {
    let mut f = format!(
        "pipeline {{\n  agent {{ node {{ label '{}' }} }}\n  stages {{\n",
        pick(rng, &["base", "maven", "nodejs", "go"])
    );
    for stage in 0..rng.random_range(1..6) {
        f.push_str(&format!(
            "    stage('step-{stage}') {{\n      steps {{\n        sh 'make {name}-{stage} && echo \"<done> & ok\"'\n      }}\n    }}\n"
        ));
    }
    f.push_str("  }\n}\n");
    f
}

fn random_parameters<R: Rng>(rng: &mut R) -> Vec<Parameter> {
    let types = ["string", "choice", "text", "boolean", "file", "password"];
    (0..rng.random_range(0..5))
        .map(|i| {
            let t = pick(rng, &types);
            let default_value = match t {
                "choice" => "a\nb\nc".to_owned(),
                "boolean" => if rng.random_bool(0.5) {
                    "true"
                } else {
                    "false"
                }
                .to_owned(),
                "file" => String::new(),
                _ => format!("value-{i}"),
            };
            Parameter {
                name: format!("P{i}_{t}"),
                default_value,
                type_: t.to_owned(),
                description: format!("parameter {i}"),
            }
        })
        .collect()
}

/// A random pipeline spec named `name`, referring to credentials in `credential_ids`.
fn random_spec<R: Rng>(rng: &mut R, name: &str, credential_ids: &[String]) -> PipelineSpec {
    let cred = if credential_ids.is_empty() {
        String::new()
    } else {
        credential_ids[rng.random_range(0..credential_ids.len())].clone()
    };
    let discarder = rng.random_bool(0.5).then(|| Discarder {
        days_to_keep: rng.random_range(1..30).to_string(),
        num_to_keep: rng.random_range(1..50).to_string(),
    });
    if rng.random_bool(0.6) {
        let p = NoScmPipeline {
            name: name.to_owned(),
            description: if rng.random_bool(0.5) {
                format!("Pipeline {name}")
            } else {
                String::new()
            },
            discarder,
            parameters: random_parameters(rng),
            disable_concurrent: rng.random_bool(0.3),
            timer_trigger: rng.random_bool(0.2).then(|| TimerTrigger {
                cron: "H H * * *".to_owned(),
                interval: String::new(),
            }),
            remote_trigger: rng.random_bool(0.1).then(|| RemoteTrigger {
                token: format!("tok-{name}"),
            }),
            jenkinsfile: jenkinsfile(rng, name),
        };
        return PipelineSpec {
            type_: TYPE_PIPELINE.to_owned(),
            pipeline: Some(p),
            multi_branch_pipeline: None,
        };
    }
    let mut m = MultiBranchPipeline {
        name: name.to_owned(),
        description: String::new(),
        discarder,
        timer_trigger: rng.random_bool(0.4).then(|| TimerTrigger {
            cron: String::new(),
            interval: pick(rng, &["300000", "3600000", "86400000"]).to_owned(),
        }),
        script_path: "Jenkinsfile".to_owned(),
        multibranch_job_trigger: rng.random_bool(0.1).then(|| MultibranchJobTrigger {
            create_action_job_to_trigger: "notify".to_owned(),
            delete_action_job_to_trigger: String::new(),
        }),
        ..Default::default()
    };
    let clone = rng.random_bool(0.5).then(|| GitCloneOption {
        shallow: rng.random_bool(0.5),
        timeout: 10,
        depth: 1,
    });
    let gh = |rng: &mut R| GithubSource {
        owner: "org".to_owned(),
        repo: name.to_owned(),
        credential_id: cred.clone(),
        discover_branches: 1,
        discover_pr_from_origin: 2,
        discover_pr_from_forks: rng.random_bool(0.8).then_some(DiscoverPrFromForks {
            strategy: 2,
            trust: 2,
        }),
        git_clone_option: clone.clone(),
        ..Default::default()
    };
    match rng.random_range(0..10) {
        0..=4 => {
            m.source_type = "git".to_owned();
            m.git_source = Some(GitSource {
                url: format!("https://git.example.com/org/{name}.git"),
                credential_id: cred.clone(),
                discover_branches: true,
                git_clone_option: clone.clone(),
                ..Default::default()
            });
        }
        5..=6 => {
            m.source_type = "github".to_owned();
            m.github_source = Some(gh(rng));
        }
        7 => {
            m.source_type = "bitbucket_server".to_owned();
            let mut s = gh(rng);
            s.api_uri = "https://bitbucket.example.com".to_owned();
            m.bitbucket_server_source = Some(s);
        }
        8 => {
            m.source_type = "svn".to_owned();
            m.svn_source = Some(SvnSource {
                remote: format!("svn://svn.example.com/{name}"),
                credential_id: cred.clone(),
                includes: "trunk,branches/*".to_owned(),
                ..Default::default()
            });
        }
        _ => {
            m.source_type = "single_svn".to_owned();
            m.single_svn_source = Some(SingleSvnSource {
                remote: format!("svn://svn.example.com/{name}/trunk"),
                credential_id: cred,
                ..Default::default()
            });
        }
    }
    PipelineSpec {
        type_: TYPE_MULTI_BRANCH.to_owned(),
        pipeline: None,
        multi_branch_pipeline: Some(m),
    }
}

/// Extras for benchmark estates that [`write_synthetic`] leaves out (its output stays as it was):
/// Jenkinsfiles of realistic size and a credential of the one type KubeSphere cannot migrate.
/// Drawn from their own random stream, so the rest of the estate is the same with or without.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Realism {
    /// Pads each inline Jenkinsfile to a size drawn log-uniformly from `min..=max` bytes (most
    /// small, some large, as in real estates); `None` = the short generated scripts only.
    pub jenkinsfile_bytes: Option<(usize, usize)>,
    /// Makes every fifth credential a secret file (`FileCredentialsImpl`), so every credential
    /// type Jenkins stores in a folder occurs.
    pub every_credential_type: bool,
}

impl Realism {
    /// Jenkinsfiles of 1–50 KB and every credential type: the benchmark estates.
    pub fn benchmark() -> Self {
        Realism {
            jenkinsfile_bytes: Some((1024, 50 * 1024)),
            every_credential_type: true,
        }
    }
}

/// Pads `script` (a generated declarative pipeline) with more stages up to `target` bytes.
fn pad_jenkinsfile<R: Rng>(rng: &mut R, script: &mut String, target: usize) {
    const CLOSE: &str = "  }\n}\n";
    if script.len() >= target || !script.ends_with(CLOSE) {
        return;
    }
    script.truncate(script.len() - CLOSE.len());
    let tools = [
        "mvn -B verify",
        "npm ci && npm test",
        "go test ./...",
        "make lint",
    ];
    let mut stage = 100;
    while script.len() + CLOSE.len() < target {
        let tool = pick(rng, &tools);
        let n: u32 = rng.random_range(0..1_000_000);
        script.push_str(&format!(
            "    stage('extra-{stage}') {{\n      steps {{\n        sh '{tool} -Dbuild.id={n}'\n        echo \"stage {stage} of the pipeline: {n} < limit && ok\"\n      }}\n    }}\n"
        ));
        stage += 1;
    }
    script.push_str(CLOSE);
}

/// Writes a synthetic estate: `dir/devops.sql` and `dir/jenkins_home/…`, streamed project by
/// project. Identical options give identical bytes.
pub fn write_synthetic(
    dir: &Path,
    opts: &SyntheticOptions,
) -> Result<SyntheticSummary, EstateError> {
    write_synthetic_with(dir, opts, &Realism::default())
}

/// [`write_synthetic`] with the benchmark extras of `realism`.
pub fn write_synthetic_with(
    dir: &Path,
    opts: &SyntheticOptions,
    realism: &Realism,
) -> Result<SyntheticSummary, EstateError> {
    let sql_path = dir.join("devops.sql");
    std::fs::create_dir_all(dir).map_err(|source| EstateError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let io_err = |source| EstateError::Io {
        path: sql_path.clone(),
        source,
    };
    let file = File::create(&sql_path).map_err(io_err)?;
    let mut w = BufWriter::new(file);
    let dump_opts = DumpOptions {
        workspace_column: opts.workspace_column,
        ..DumpOptions::default()
    };
    let n = opts.projects;
    write_dump(
        &mut w,
        &dump_opts,
        (0..n).map(|i| synth_project(opts, i).0.row),
        (0..n).flat_map(|i| synth_project(opts, i).0.credential_rows),
        (0..n).flat_map(|i| synth_project(opts, i).0.members),
    )
    .map_err(io_err)?;
    std::io::Write::flush(&mut w).map_err(io_err)?;

    let home = dir.join("jenkins_home");
    let mut key_rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let key = write_home_root(&home, &mut key_rng, &[], "ldap-admin")?;

    let mut summary = SyntheticSummary {
        projects: n,
        ..Default::default()
    };
    for i in 0..n {
        let (project, mut rng) = synth_project(opts, i);
        if !project.row.is_active() {
            continue;
        }
        let id = &project.row.project_id;
        // The extras' own stream: the rest of the estate does not change with them.
        let mut extra = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x005e_ed0f_e57a_7e00);
        extra.set_stream(i as u64);
        let credentials: Vec<SampleCredential> = (0..opts.credentials_per_project)
            .map(|k| {
                let c = synth_credential(&mut rng, k);
                if realism.every_credential_type && k % 5 == 4 {
                    SampleCredential {
                        kind: SampleCredentialKind::SecretFile {
                            file_name: format!("settings-{k}.xml"),
                            data: format!("<settings><id>{k}</id></settings>\n").into_bytes(),
                        },
                        ..c
                    }
                } else {
                    c
                }
            })
            .collect();
        let folder = home.join("jobs").join(id);
        let xml = folder_config_xml(&project.row.description, &credentials, &key, &mut rng);
        write_file(&folder.join("config.xml"), xml.as_bytes())?;
        summary.folders += 1;
        summary.credentials += credentials.len();
        let cred_ids: Vec<String> = credentials.iter().map(|c| c.id.clone()).collect();
        for j in 0..opts.pipelines_per_project {
            let name = if j % 17 == 16 {
                format!("Job_{j}")
            } else {
                format!("pipeline-{j}")
            };
            let mut spec = random_spec(&mut rng, &name, &cred_ids);
            if let (Some((min, max)), Some(p)) = (realism.jenkinsfile_bytes, spec.pipeline.as_mut())
            {
                let (lo, hi) = ((min.max(1) as f64).ln(), (max.max(min).max(1) as f64).ln());
                let target = extra.random_range(lo..=hi).exp() as usize;
                pad_jenkinsfile(&mut extra, &mut p.jenkinsfile, target);
            }
            let xml = match (&spec.pipeline, rng.random_bool(0.1)) {
                (Some(p), true) => jenkins_resaved(p, &ResaveOptions::default(), &key, &mut rng),
                _ => pipeline_config_xml(id, &spec).map_err(|source| EstateError::Generate {
                    project: id.clone(),
                    source,
                })?,
            };
            write_file(
                &folder.join("jobs").join(&name).join("config.xml"),
                xml.as_bytes(),
            )?;
            summary.pipelines += 1;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids_are_unique_after_lowercasing() {
        let opts = SyntheticOptions::default();
        let mut ids: Vec<String> = (0..2000)
            .map(|i| synth_project(&opts, i).0.row.project_id.to_lowercase())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 2000);
    }

    #[test]
    fn projects_are_reproducible() {
        let opts = SyntheticOptions::default();
        let a = synth_project(&opts, 7).0;
        let b = synth_project(&opts, 7).0;
        assert_eq!(a.row, b.row);
        assert_eq!(a.members, b.members);
        assert_eq!(a.credential_rows, b.credential_rows);
    }

    #[test]
    fn random_specs_always_generate() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for i in 0..500 {
            let spec = random_spec(&mut rng, &format!("p{i}"), &["c".to_owned()]);
            assert!(pipeline_config_xml("project-x", &spec).is_ok());
        }
    }
}
