//! A home read from a directory: size-limited file reads and the folder listing.

use super::*;

/// Reads a file of at most `limit` bytes: `None` when it does not exist, `Some(Err(reason))`
/// when it is bigger (never read past the limit, whatever its size claims).
pub(super) fn read_limited(
    path: &Path,
    limit: u64,
) -> Result<Option<Result<Vec<u8>, String>>, HomeError> {
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
pub(super) fn read_needed(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, HomeError> {
    read_limited(path, limit)?
        .transpose()
        .map_err(|reason| HomeError::Refused {
            path: path.display().to_string(),
            reason,
        })
}

/// Sorted names of the subdirectories of `dir` (empty when `dir` does not exist).
pub(super) fn list_dirs(dir: &Path) -> Result<Vec<String>, HomeError> {
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

pub(super) fn read_dir_folder(root: &Path, name: String) -> Result<JenkinsFolder, HomeError> {
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
