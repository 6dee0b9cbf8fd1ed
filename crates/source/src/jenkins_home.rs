//! Reader of a `JENKINS_HOME`: a directory, or a `.tar`/`.tar.gz`/`.tgz` of one, streamed.
//!
//! Only these files are read: `secrets/master.key`, `secrets/hudson.util.Secret`,
//! `jobs/<item>/config.xml` and `jobs/<item>/jobs/<child>/config.xml` (plus any single file
//! asked for with [`JenkinsHome::read_file`]). Everything else (`builds/`, multibranch
//! `branches/`, `indexing/`, workspaces, deeper nesting) is skipped without being read.
//!
//! Archives are never unpacked to disk and never held in memory as a whole:
//! * gzip is detected by its magic bytes (any extension); plain tar by the `.tar` extension or
//!   the `ustar` magic;
//! * the root is the directory holding `jobs/<item>/config.xml` (or `secrets/master.key`), so
//!   leading components such as `./` or `jenkins_home/` are found; it is the first such
//!   directory in archive order whose path has no `jobs`/`secrets` component (so
//!   `config-history/jobs/…` of the JobConfigHistory plugin is not mistaken for it);
//! * [`JenkinsHome::folders`] on an archive does a header-only pass first (seeking over data
//!   for a plain `.tar`; a decompressing read for gzip; shared with and cached by
//!   [`JenkinsHome::folder_names`]) that records, per top-level item, the position of its last
//!   `config.xml` entry. The second, streaming pass yields each item right after that entry.
//!   For the usual archive (entries of a directory are contiguous) this means one item in
//!   memory at a time; for archives whose entries are not contiguous (e.g. made from a file list
//!   such as `jobs/*/config.xml jobs/*/jobs/*/config.xml`) the small `config.xml` files of the
//!   items not yet complete are buffered, so items are still merged correctly.
//!
//! Items are yielded in name order for a directory and in archive order for a tar; child jobs
//! are always in name order. A later tar entry for the same path replaces an earlier one (as
//! `tar -x` does).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ksdm_model::limits::{human_size, MAX_JENKINS_FILE_BYTES, MAX_KEY_FILE_BYTES};
use ksdm_model::v21::{JenkinsFolder, JenkinsKeys, RefusedFile};

/// Why a Jenkins home (or a file in it) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// The path does not exist or cannot be opened.
    #[error("cannot open Jenkins home {path}: {source}")]
    Open {
        /// The home directory or archive.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The path is readable but does not look like a Jenkins home.
    #[error("{path} is not a Jenkins home: {reason}")]
    NotJenkinsHome {
        /// The directory or archive.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A file of a home directory cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The archive is corrupt, truncated or cannot be read.
    #[error("cannot read archive {archive}: {reason}")]
    Archive {
        /// The archive file.
        archive: PathBuf,
        /// What went wrong, naming the entry where known.
        reason: String,
    },
    /// A file the tool needs as a whole (a key file, or one asked for with
    /// [`JenkinsHome::read_file`]) is over its size limit or is not a regular file.
    #[error("cannot use {path}: {reason}")]
    Refused {
        /// The file (a path in the home, or `archive!entry`).
        path: String,
        /// Why (names the limit or the entry type).
        reason: String,
    },
    /// A relative path given to [`JenkinsHome::read_file`] is not acceptable.
    #[error("invalid path {rel:?} inside the Jenkins home: {reason}")]
    InvalidPath {
        /// The path as given.
        rel: String,
        /// Why it is refused.
        reason: &'static str,
    },
}

/// A `JENKINS_HOME` directory or archive, opened for reading.
pub struct JenkinsHome {
    source: Source,
    /// Header index of an archive, computed once on demand.
    index: Mutex<Option<Arc<TarIndex>>>,
}

impl std::fmt::Debug for JenkinsHome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsHome")
            .field("source", &self.source)
            .finish()
    }
}

#[derive(Debug, Clone)]
enum Source {
    Dir(PathBuf),
    Tar(TarSource),
}

#[derive(Debug, Clone)]
struct TarSource {
    path: PathBuf,
    gzip: bool,
    /// Normalised components before `jobs/` (empty for a root-level home).
    prefix: Vec<String>,
}

/// What the header pass learns about the top-level items of an archive.
#[derive(Debug, Default)]
struct TarIndex {
    names: BTreeSet<String>,
    /// Entry ordinal → items complete after that entry.
    yield_at: HashMap<u64, Vec<String>>,
}

/// A path inside the home, classified.
#[derive(Debug, PartialEq, Eq)]
enum Rel {
    MasterKey,
    HudsonSecret,
    /// `jobs/<item>` itself or something below it that is not read.
    Item(String),
    /// `jobs/<item>/config.xml`.
    ItemConfig(String),
    /// `jobs/<item>/jobs/<child>/config.xml`.
    ChildConfig(String, String),
    Other,
}

const MASTER_KEY: &str = "secrets/master.key";
const HUDSON_SECRET: &str = "secrets/hudson.util.Secret";

fn classify(comps: &[&str]) -> Rel {
    match comps {
        ["secrets", "master.key"] => Rel::MasterKey,
        ["secrets", "hudson.util.Secret"] => Rel::HudsonSecret,
        ["jobs", item, "config.xml"] => Rel::ItemConfig((*item).to_string()),
        ["jobs", item, "jobs", child, "config.xml"] => {
            Rel::ChildConfig((*item).to_string(), (*child).to_string())
        }
        ["jobs", item, ..] => Rel::Item((*item).to_string()),
        _ => Rel::Other,
    }
}

/// Splits an archive path into normalised components (`./`, `/` and empty parts dropped).
fn components(raw: &str) -> Vec<&str> {
    raw.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// The root prefix this entry reveals, if it is a root marker.
fn root_marker(comps: &[&str]) -> Option<Vec<String>> {
    let clean = |p: &[&str]| !p.iter().any(|c| *c == "jobs" || *c == "secrets");
    if let Some(i) = comps.iter().position(|c| *c == "jobs") {
        let rest = &comps[i..];
        let is_config = matches!(
            rest,
            ["jobs", _, "config.xml"] | ["jobs", _, "jobs", _, "config.xml"]
        );
        if is_config && clean(&comps[..i]) {
            return Some(comps[..i].iter().map(|c| (*c).to_string()).collect());
        }
    }
    let n = comps.len();
    if n >= 2
        && comps[n - 2] == "secrets"
        && matches!(comps[n - 1], "master.key" | "hudson.util.Secret")
        && clean(&comps[..n - 2])
    {
        return Some(comps[..n - 2].iter().map(|c| (*c).to_string()).collect());
    }
    None
}

/// Accumulates one item of an archive.
#[derive(Default)]
struct ItemAcc {
    config: Option<Vec<u8>>,
    jobs: BTreeMap<String, Vec<u8>>,
    /// Refused files by child job (`None` = the folder's own `config.xml`).
    refused: BTreeMap<Option<String>, String>,
}

impl ItemAcc {
    fn into_folder(self, name: String) -> JenkinsFolder {
        JenkinsFolder {
            name,
            config_xml: self.config,
            jobs: self.jobs.into_iter().collect(),
            unreadable_jobs: Vec::new(),
            refused: self
                .refused
                .into_iter()
                .map(|(job, reason)| RefusedFile { job, reason })
                .collect(),
        }
    }

    /// Records a read of `job`'s `config.xml` (`None` = the folder's own); a later entry for
    /// the same path replaces an earlier one, refused or not.
    fn put(&mut self, job: Option<String>, read: Result<Vec<u8>, String>) {
        match read {
            Ok(bytes) => {
                self.refused.remove(&job);
                match job {
                    None => self.config = Some(bytes),
                    Some(j) => {
                        self.jobs.insert(j, bytes);
                    }
                }
            }
            Err(reason) => {
                match &job {
                    None => self.config = None,
                    Some(j) => {
                        self.jobs.remove(j);
                    }
                }
                self.refused.insert(job, reason);
            }
        }
    }
}

/// What kind of archive entry a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    File,
    Dir,
    /// A symlink, hard link, device, FIFO or other non-file entry (its name).
    Other(&'static str),
}

impl EntryKind {
    fn of(t: tar::EntryType) -> Self {
        match t {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Other("a symbolic link"),
            tar::EntryType::Link => EntryKind::Other("a hard link"),
            tar::EntryType::Char => EntryKind::Other("a character device"),
            tar::EntryType::Block => EntryKind::Other("a block device"),
            tar::EntryType::Fifo => EntryKind::Other("a FIFO"),
            _ => EntryKind::Other("a special entry"),
        }
    }
}

/// Why a file over `limit` (of `size` bytes) is not read.
fn too_large(size: u64, limit: u64) -> String {
    format!(
        "it is {size} bytes, more than {} (the most this tool reads for such a file); it was not read",
        human_size(limit)
    )
}

impl TarSource {
    fn archive_err(&self, reason: String) -> HomeError {
        HomeError::Archive {
            archive: self.path.clone(),
            reason,
        }
    }

    fn open_file(&self) -> Result<BufReader<File>, HomeError> {
        let file = File::open(&self.path).map_err(|source| HomeError::Open {
            path: self.path.clone(),
            source,
        })?;
        Ok(BufReader::with_capacity(1 << 16, file))
    }

    /// A fresh decompressed reader over the archive.
    fn reader(&self) -> Result<Box<dyn Read + Send>, HomeError> {
        let file = self.open_file()?;
        Ok(if self.gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        })
    }

    /// The path of an entry relative to the home root, or `None` if outside it.
    fn relative<'a>(&self, comps: &'a [&'a str]) -> Option<&'a [&'a str]> {
        if comps.len() < self.prefix.len() || comps.iter().zip(&self.prefix).any(|(a, b)| a != b) {
            return None;
        }
        Some(&comps[self.prefix.len()..])
    }

    /// One pass over all entries; `f` gets the entry ordinal, its path relative to the root
    /// (entries outside the root are skipped) and the entry; it returns `false` to stop.
    fn for_each<F>(&self, headers_only: bool, mut f: F) -> Result<(), HomeError>
    where
        F: FnMut(u64, &[&str], &mut dyn Read, u64, EntryKind) -> Result<bool, HomeError>,
    {
        if headers_only && !self.gzip {
            let mut archive = tar::Archive::new(self.open_file()?);
            let entries = archive
                .entries_with_seek()
                .map_err(|e| self.archive_err(format!("not a tar archive: {e}")))?;
            return self.drive(entries, &mut f);
        }
        let mut archive = tar::Archive::new(self.reader()?);
        let entries = archive
            .entries()
            .map_err(|e| self.archive_err(format!("not a tar archive: {e}")))?;
        self.drive(entries, &mut f)
    }

    fn drive<R: Read, F>(&self, entries: tar::Entries<'_, R>, f: &mut F) -> Result<(), HomeError>
    where
        F: FnMut(u64, &[&str], &mut dyn Read, u64, EntryKind) -> Result<bool, HomeError>,
    {
        for (ordinal, entry) in (0u64..).zip(entries) {
            let mut entry = entry
                .map_err(|e| self.archive_err(format!("corrupt or truncated archive: {e}")))?;
            let path = entry
                .path()
                .map_err(|e| self.archive_err(format!("bad entry name: {e}")))?
                .to_string_lossy()
                .into_owned();
            let comps = components(&path);
            // The archive is never unpacked, so `..` could not escape anywhere; such an entry is
            // still not part of the home and is skipped.
            if comps.contains(&"..") {
                tracing::warn!(archive = %self.path.display(), entry = %path, "skipping an archive entry whose path contains `..`");
                continue;
            }
            let Some(rel) = self.relative(&comps) else {
                continue;
            };
            let kind = EntryKind::of(entry.header().entry_type());
            let size = entry.size();
            if !f(ordinal, rel, &mut entry, size, kind)? {
                break;
            }
        }
        Ok(())
    }

    /// Reads a file entry of at most `limit` bytes: `Ok(Err(reason))` when the entry is not a
    /// regular file or is over the limit (the item concerned fails alone).
    fn read_limited(
        &self,
        rel: &[&str],
        entry: &mut dyn Read,
        size: u64,
        kind: EntryKind,
        limit: u64,
    ) -> Result<Result<Vec<u8>, String>, HomeError> {
        if let EntryKind::Other(what) = kind {
            return Ok(Err(format!(
                "the archive entry is {what}, not a regular file; it was not followed"
            )));
        }
        if size > limit {
            return Ok(Err(too_large(size, limit)));
        }
        self.read_entry(rel, entry, size).map(Ok)
    }

    /// Like [`TarSource::read_limited`] for a file that is needed as a whole: a refusal is an
    /// error.
    fn read_needed(
        &self,
        rel: &[&str],
        entry: &mut dyn Read,
        size: u64,
        kind: EntryKind,
        limit: u64,
    ) -> Result<Vec<u8>, HomeError> {
        self.read_limited(rel, entry, size, kind, limit)?
            .map_err(|reason| HomeError::Refused {
                path: format!("{}!{}", self.path.display(), rel.join("/")),
                reason,
            })
    }

    /// Reads an entry's data fully (the caller checked its size), checking that the archive
    /// holds all of it.
    fn read_entry(
        &self,
        rel: &[&str],
        entry: &mut dyn Read,
        size: u64,
    ) -> Result<Vec<u8>, HomeError> {
        let mut buf = Vec::with_capacity(size.min(1 << 24) as usize);
        entry
            .take(size)
            .read_to_end(&mut buf)
            .map_err(|e| self.archive_err(format!("cannot read entry {}: {e}", rel.join("/"))))?;
        if (buf.len() as u64) < size {
            return Err(self.archive_err(format!(
                "entry {} is truncated ({} of {size} bytes)",
                rel.join("/"),
                buf.len()
            )));
        }
        Ok(buf)
    }

    fn build_index(&self) -> Result<TarIndex, HomeError> {
        let mut names = BTreeSet::new();
        let mut last: HashMap<String, u64> = HashMap::new();
        let mut has_config: BTreeSet<String> = BTreeSet::new();
        self.for_each(true, |ordinal, rel, _, _, kind| {
            let is_dir = kind == EntryKind::Dir;
            match classify(rel) {
                Rel::ItemConfig(item) | Rel::ChildConfig(item, _) => {
                    names.insert(item.clone());
                    has_config.insert(item.clone());
                    last.insert(item, ordinal);
                }
                // `jobs/<item>` as a plain file is not an item.
                Rel::Item(item) if rel.len() > 2 || is_dir => {
                    names.insert(item.clone());
                    if !has_config.contains(&item) {
                        last.insert(item, ordinal);
                    }
                }
                _ => {}
            }
            Ok(true)
        })?;
        let mut yield_at: HashMap<u64, Vec<String>> = HashMap::new();
        for (item, ordinal) in last {
            yield_at.entry(ordinal).or_default().push(item);
        }
        for v in yield_at.values_mut() {
            v.sort();
        }
        Ok(TarIndex { names, yield_at })
    }

    /// The streaming pass: sends every item once it is complete.
    fn stream(
        &self,
        index: &TarIndex,
        tx: &std::sync::mpsc::SyncSender<Result<JenkinsFolder, HomeError>>,
    ) {
        let mut open: HashMap<String, ItemAcc> = HashMap::new();
        let mut done: BTreeSet<String> = BTreeSet::new();
        let result = self.for_each(false, |ordinal, rel, entry, size, kind| {
            match classify(rel) {
                Rel::ItemConfig(item) if !done.contains(&item) && kind != EntryKind::Dir => {
                    let read = self.read_limited(rel, entry, size, kind, MAX_JENKINS_FILE_BYTES)?;
                    open.entry(item).or_default().put(None, read);
                }
                Rel::ChildConfig(item, child)
                    if !done.contains(&item) && kind != EntryKind::Dir =>
                {
                    let read = self.read_limited(rel, entry, size, kind, MAX_JENKINS_FILE_BYTES)?;
                    open.entry(item).or_default().put(Some(child), read);
                }
                _ => {}
            }
            if let Some(items) = index.yield_at.get(&ordinal) {
                for item in items {
                    let acc = open.remove(item).unwrap_or_default();
                    done.insert(item.clone());
                    if tx.send(Ok(acc.into_folder(item.clone()))).is_err() {
                        return Ok(false); // the consumer went away
                    }
                }
            }
            Ok(true)
        });
        if let Err(e) = result {
            let _ = tx.send(Err(e));
            return;
        }
        // Items the header pass did not place (the archive changed in between): send as read.
        let mut rest: Vec<_> = open.into_iter().collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, acc) in rest {
            done.insert(name.clone());
            if tx.send(Ok(acc.into_folder(name))).is_err() {
                return;
            }
        }
        for name in index.names.iter().filter(|n| !done.contains(*n)) {
            if tx
                .send(Ok(ItemAcc::default().into_folder(name.clone())))
                .is_err()
            {
                return;
            }
        }
    }
}

impl JenkinsHome {
    /// Opens a home directory or a `.tar`, `.tar.gz` or `.tgz` of one. For an archive this reads
    /// entry headers until the home's root is found.
    pub fn open(path: &Path) -> Result<Self, HomeError> {
        let meta = std::fs::metadata(path).map_err(|source| HomeError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let source = if meta.is_dir() {
            let markers = ["jobs", "secrets", "config.xml"];
            if !markers.iter().any(|m| path.join(m).exists()) {
                return Err(HomeError::NotJenkinsHome {
                    path: path.to_path_buf(),
                    reason: "it has no jobs/, secrets/ or config.xml".into(),
                });
            }
            Source::Dir(path.to_path_buf())
        } else {
            Source::Tar(open_archive(path)?)
        };
        Ok(Self {
            source,
            index: Mutex::new(None),
        })
    }

    /// Reads `secrets/master.key` and `secrets/hudson.util.Secret` (each `None` when absent).
    /// For an archive: one pass that reads only these two entries and stops once both are found.
    pub fn keys(&self) -> Result<JenkinsKeys, HomeError> {
        match &self.source {
            Source::Dir(root) => Ok(JenkinsKeys {
                master_key: read_needed(&root.join(MASTER_KEY), MAX_KEY_FILE_BYTES)?,
                hudson_util_secret: read_needed(&root.join(HUDSON_SECRET), MAX_KEY_FILE_BYTES)?,
            }),
            Source::Tar(t) => {
                let mut keys = JenkinsKeys::default();
                t.for_each(false, |_, rel, entry, size, kind| {
                    match classify(rel) {
                        Rel::MasterKey => {
                            keys.master_key =
                                Some(t.read_needed(rel, entry, size, kind, MAX_KEY_FILE_BYTES)?)
                        }
                        Rel::HudsonSecret => {
                            keys.hudson_util_secret =
                                Some(t.read_needed(rel, entry, size, kind, MAX_KEY_FILE_BYTES)?)
                        }
                        _ => {}
                    }
                    Ok(keys.master_key.is_none() || keys.hudson_util_secret.is_none())
                })?;
                Ok(keys)
            }
        }
    }

    /// Names of the top-level items under `jobs/` (project folders and others such as
    /// `init-job`), sorted. Directory: a `read_dir`; archive: a header-only pass (cached).
    pub fn folder_names(&self) -> Result<Vec<String>, HomeError> {
        match &self.source {
            Source::Dir(root) => list_dirs(&root.join("jobs")),
            Source::Tar(_) => Ok(self.tar_index()?.names.iter().cloned().collect()),
        }
    }

    /// Streams the top-level items one at a time with their `config.xml` and their child items'
    /// `config.xml` (see the module documentation for the archive strategy). A failure to read
    /// one item is an `Err` item for it (directory) or ends the stream with an `Err` (archive).
    pub fn folders(
        &self,
    ) -> Result<Box<dyn Iterator<Item = Result<JenkinsFolder, HomeError>> + Send + '_>, HomeError>
    {
        match &self.source {
            Source::Dir(root) => {
                let names = list_dirs(&root.join("jobs"))?;
                let root = root.clone();
                Ok(Box::new(
                    names
                        .into_iter()
                        .map(move |name| read_dir_folder(&root, name)),
                ))
            }
            Source::Tar(t) => {
                let index = self.tar_index()?;
                let t = t.clone();
                let (tx, rx) = std::sync::mpsc::sync_channel(2);
                std::thread::Builder::new()
                    .name("ksdm-jenkins-tar".into())
                    .spawn(move || t.stream(&index, &tx))
                    .map_err(|e| HomeError::Archive {
                        archive: self.archive_path(),
                        reason: format!("cannot start the reader thread: {e}"),
                    })?;
                Ok(Box::new(rx.into_iter()))
            }
        }
    }

    /// True for a `.tar`/`.tar.gz` home (read as one stream), false for a directory.
    pub fn is_archive(&self) -> bool {
        matches!(self.source, Source::Tar(_))
    }

    /// Reads one top-level item of a home *directory* by name (as [`JenkinsHome::folders`]
    /// yields it). An unreadable child job is listed in
    /// [`JenkinsFolder::unreadable_jobs`]; an unreadable folder `config.xml` or job list is an
    /// error. For an archive this is an error: archives are read as one stream.
    pub fn read_folder(&self, name: &str) -> Result<JenkinsFolder, HomeError> {
        match &self.source {
            Source::Dir(root) => read_dir_folder(root, name.to_string()),
            Source::Tar(t) => Err(HomeError::Archive {
                archive: t.path.clone(),
                reason: "items of an archive are read with folders(), not one by one".into(),
            }),
        }
    }

    /// Reads one file by its path relative to the home root (e.g. `config.xml`); `None` when it
    /// does not exist. For an archive this is a pass that stops at the file.
    pub fn read_file(&self, rel: &str) -> Result<Option<Vec<u8>>, HomeError> {
        let want = checked_rel(rel)?;
        match &self.source {
            Source::Dir(root) => {
                let mut p = root.clone();
                p.extend(&want);
                read_needed(&p, MAX_JENKINS_FILE_BYTES)
            }
            Source::Tar(t) => {
                let mut found = None;
                t.for_each(false, |_, comps, entry, size, kind| {
                    if kind != EntryKind::Dir && comps == want.as_slice() {
                        found = Some(t.read_needed(
                            comps,
                            entry,
                            size,
                            kind,
                            MAX_JENKINS_FILE_BYTES,
                        )?);
                        return Ok(false);
                    }
                    Ok(true)
                })?;
                Ok(found)
            }
        }
    }

    fn archive_path(&self) -> PathBuf {
        match &self.source {
            Source::Dir(p) => p.clone(),
            Source::Tar(t) => t.path.clone(),
        }
    }

    fn tar_index(&self) -> Result<Arc<TarIndex>, HomeError> {
        let Source::Tar(t) = &self.source else {
            return Ok(Arc::new(TarIndex::default()));
        };
        let mut guard = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ix) = guard.as_ref() {
            return Ok(ix.clone());
        }
        let ix = Arc::new(t.build_index()?);
        *guard = Some(ix.clone());
        Ok(ix)
    }
}

/// Detects the compression and the root prefix of an archive.
fn open_archive(path: &Path) -> Result<TarSource, HomeError> {
    let mut file = File::open(path).map_err(|source| HomeError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut head = [0u8; 512];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(HomeError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    let _ = file.rewind();
    let gzip = got >= 2 && head[..2] == [0x1f, 0x8b];
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let ustar = got >= 262 && &head[257..262] == b"ustar";
    if !gzip && !ustar && !name.ends_with(".tar") {
        return Err(HomeError::NotJenkinsHome {
            path: path.to_path_buf(),
            reason: "it is neither a directory nor a tar or gzip-compressed tar archive".into(),
        });
    }
    let mut src = TarSource {
        path: path.to_path_buf(),
        gzip,
        prefix: Vec::new(),
    };
    let mut prefix = None;
    src.for_each(true, |_, comps, _, _, _| {
        prefix = root_marker(comps);
        Ok(prefix.is_none())
    })?;
    match prefix {
        Some(p) => {
            tracing::debug!(archive = %path.display(), root = %p.join("/"), "Jenkins home root in archive");
            src.prefix = p;
            Ok(src)
        }
        None => Err(HomeError::NotJenkinsHome {
            path: path.to_path_buf(),
            reason: "the archive has no jobs/<item>/config.xml and no secrets/master.key".into(),
        }),
    }
}

/// Splits and checks a relative path given by a caller.
fn checked_rel(rel: &str) -> Result<Vec<&str>, HomeError> {
    let bad = |reason| HomeError::InvalidPath {
        rel: rel.to_string(),
        reason,
    };
    if rel.starts_with('/') || rel.contains('\\') {
        return Err(bad("must be relative with / separators"));
    }
    let comps = components(rel);
    if comps.is_empty() {
        return Err(bad("is empty"));
    }
    if comps.contains(&"..") {
        return Err(bad("must not contain .."));
    }
    Ok(comps)
}

/// Reads a file of at most `limit` bytes: `None` when it does not exist, `Some(Err(reason))`
/// when it is bigger (never read past the limit, whatever its size claims).
fn read_limited(path: &Path, limit: u64) -> Result<Option<Result<Vec<u8>, String>>, HomeError> {
    let read_err = |source| HomeError::Read {
        path: path.to_path_buf(),
        source,
    };
    // Checked before opening: opening a FIFO would block.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_err(source)),
    };
    if !meta.is_file() {
        return Ok(Some(Err("it is not a regular file".into())));
    }
    let file = File::open(path).map_err(read_err)?;
    if meta.len() > limit {
        return Ok(Some(Err(too_large(meta.len(), limit))));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(read_err)?;
    if buf.len() as u64 > limit {
        return Ok(Some(Err(too_large(buf.len() as u64, limit))));
    }
    Ok(Some(Ok(buf)))
}

/// [`read_limited`] for a file needed as a whole: a refusal is an error.
fn read_needed(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, HomeError> {
    read_limited(path, limit)?
        .transpose()
        .map_err(|reason| HomeError::Refused {
            path: path.display().to_string(),
            reason,
        })
}

/// Sorted names of the subdirectories of `dir` (empty when `dir` does not exist).
fn list_dirs(dir: &Path) -> Result<Vec<String>, HomeError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(HomeError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut names = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|source| HomeError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if !std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        match entry.file_name().into_string() {
            Ok(n) => names.push(n),
            Err(raw) => {
                tracing::warn!(path = %path.display(), name = ?raw, "skipping a Jenkins item whose name is not UTF-8")
            }
        }
    }
    names.sort();
    Ok(names)
}

fn read_dir_folder(root: &Path, name: String) -> Result<JenkinsFolder, HomeError> {
    let dir = root.join("jobs").join(&name);
    let mut acc = ItemAcc::default();
    if let Some(read) = read_limited(&dir.join("config.xml"), MAX_JENKINS_FILE_BYTES)? {
        acc.put(None, read);
    }
    let mut unreadable_jobs = Vec::new();
    for child in list_dirs(&dir.join("jobs"))? {
        let path = dir.join("jobs").join(&child).join("config.xml");
        // One unreadable job fails that job only, never its folder; one over a limit likewise.
        match read_limited(&path, MAX_JENKINS_FILE_BYTES) {
            Ok(Some(read)) => acc.put(Some(child), read),
            Ok(None) => {
                tracing::debug!(path = %path.display(), "child directory without config.xml is not a Jenkins item")
            }
            Err(e) => unreadable_jobs.push((child, e.to_string())),
        }
    }
    let mut folder = acc.into_folder(name);
    folder.unreadable_jobs = unreadable_jobs;
    Ok(folder)
}
