//! A home read from a `.tar`, `.tar.gz` or `.tgz` archive: header index, item accumulation, limits.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct TarSource {
    pub(super) path: PathBuf,
    pub(super) gzip: bool,
    /// Normalised components before `jobs/` (empty for a root-level home).
    pub(super) prefix: Vec<String>,
}

/// What the header pass learns about the top-level items of an archive.
#[derive(Debug, Default)]
pub(super) struct TarIndex {
    pub(super) names: BTreeSet<String>,
    /// Entry ordinal → items complete after that entry.
    pub(super) yield_at: HashMap<u64, Vec<String>>,
}

/// Accumulates one item of an archive.
#[derive(Default)]
pub(super) struct ItemAcc {
    pub(super) config: Option<Vec<u8>>,
    pub(super) jobs: BTreeMap<String, Vec<u8>>,
    /// Refused files by child job (`None` = the folder's own `config.xml`).
    pub(super) refused: BTreeMap<Option<String>, String>,
}

impl ItemAcc {
    pub(super) fn into_folder(self, name: String) -> JenkinsFolder {
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
    pub(super) fn put(&mut self, job: Option<String>, read: Result<Vec<u8>, String>) {
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
pub(super) enum EntryKind {
    File,
    Dir,
    /// A symlink, hard link, device, FIFO or other non-file entry (its name).
    Other(&'static str),
}

impl EntryKind {
    pub(super) fn of(t: tar::EntryType) -> Self {
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
pub(super) fn too_large(size: u64, limit: u64) -> String {
    format!(
        "it is {size} bytes, more than {} (the most this tool reads for such a file); it was not read",
        human_size(limit)
    )
}

impl TarSource {
    pub(super) fn archive_err(&self, reason: String) -> HomeError {
        HomeError::Archive {
            archive: self.path.clone(),
            reason,
        }
    }

    pub(super) fn open_file(&self) -> Result<BufReader<File>, HomeError> {
        let file = File::open(&self.path).map_err(|source| HomeError::Open {
            path: self.path.clone(),
            source,
        })?;
        Ok(BufReader::with_capacity(1 << 16, file))
    }

    /// A fresh decompressed reader over the archive.
    pub(super) fn reader(&self) -> Result<Box<dyn Read + Send>, HomeError> {
        let file = self.open_file()?;
        Ok(if self.gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        })
    }

    /// The path of an entry relative to the home root, or `None` if outside it.
    pub(super) fn relative<'a>(&self, comps: &'a [&'a str]) -> Option<&'a [&'a str]> {
        if comps.len() < self.prefix.len() || comps.iter().zip(&self.prefix).any(|(a, b)| a != b) {
            return None;
        }
        Some(&comps[self.prefix.len()..])
    }

    /// One pass over all entries; `f` gets the entry ordinal, its path relative to the root
    /// (entries outside the root are skipped) and the entry; it returns `false` to stop.
    pub(super) fn for_each<F>(&self, headers_only: bool, mut f: F) -> Result<(), HomeError>
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

    pub(super) fn drive<R: Read, F>(
        &self,
        entries: tar::Entries<'_, R>,
        f: &mut F,
    ) -> Result<(), HomeError>
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
    pub(super) fn read_limited(
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
    pub(super) fn read_needed(
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
    pub(super) fn read_entry(
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

    pub(super) fn build_index(&self) -> Result<TarIndex, HomeError> {
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
    pub(super) fn stream(
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

/// Detects the compression and the root prefix of an archive.
pub(super) fn open_archive(path: &Path) -> Result<TarSource, HomeError> {
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
