//! Streaming archives: tar → gzip → (age) → temporary file, hashed as written; and the way
//! back: file → (age) → gunzip → untar, refusing unsafe entries.
//!
//! Nothing here holds a whole archive in memory: entries stream from their source file (or the
//! caller's buffer for one Jenkins file) through the layers into a temporary file.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::crypto::{describe_decrypt_error, BoxedRecipient, DecryptionKey};
use crate::error::BackupError;

/// A file ready to upload: its temporary file, size and SHA-256 (of the stored bytes).
#[derive(Debug)]
pub(crate) struct Sealed {
    /// The temporary file (deleted on drop).
    pub file: NamedTempFile,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

/// A writer that counts and hashes what passes through.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Flushes and returns `(inner, size, hex sha256)`.
    pub(crate) fn finish(mut self) -> io::Result<(W, u64, String)> {
        self.inner.flush()?;
        Ok((self.inner, self.count, hex::encode(self.hasher.finalize())))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        self.hasher.update(written);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The bottom of the stack: plain or age-encrypted, into a hashed buffered file.
enum SealSink {
    Plain(HashingWriter<io::BufWriter<File>>),
    Age(age::stream::StreamWriter<HashingWriter<io::BufWriter<File>>>),
}

impl Write for SealSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            SealSink::Plain(w) => w.write(buf),
            SealSink::Age(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            SealSink::Plain(w) => w.flush(),
            SealSink::Age(w) => w.flush(),
        }
    }
}

impl SealSink {
    fn open(file: File, recipients: Option<&[BoxedRecipient]>) -> io::Result<SealSink> {
        let hashed = HashingWriter::new(io::BufWriter::with_capacity(256 * 1024, file));
        match recipients {
            None => Ok(SealSink::Plain(hashed)),
            Some(list) => {
                let encryptor = age::Encryptor::with_recipients(
                    list.iter().map(|r| r.as_ref() as &dyn age::Recipient),
                )
                .map_err(|e| io::Error::other(format!("age encryption setup failed: {e}")))?;
                Ok(SealSink::Age(encryptor.wrap_output(hashed)?))
            }
        }
    }

    fn finish(self) -> io::Result<(u64, String)> {
        let hashed = match self {
            SealSink::Plain(w) => w,
            SealSink::Age(w) => w.finish()?,
        };
        let (buffered, size, sha) = hashed.finish()?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok((size, sha))
    }
}

/// Writes a tar.gz archive (optionally age-encrypted) into a temporary file.
pub(crate) struct ArchiveWriter {
    name: String,
    temp: NamedTempFile,
    tar: tar::Builder<GzEncoder<SealSink>>,
    mtime: u64,
}

impl ArchiveWriter {
    /// Starts archive `name` (its name in the backup, for errors) in `temp_dir`.
    pub(crate) fn create(
        temp_dir: &Path,
        name: &str,
        recipients: Option<&[BoxedRecipient]>,
        mtime: u64,
    ) -> Result<ArchiveWriter, BackupError> {
        let temp = NamedTempFile::new_in(temp_dir)
            .map_err(|e| BackupError::io("creating a temporary file in", temp_dir, e))?;
        let file = temp
            .reopen()
            .map_err(|e| BackupError::io("opening", temp.path(), e))?;
        let sink = SealSink::open(file, recipients).map_err(|e| archive_err(name, e))?;
        let gz = GzEncoder::new(sink, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        tar.mode(tar::HeaderMode::Deterministic);
        Ok(ArchiveWriter {
            name: name.to_string(),
            temp,
            tar,
            mtime,
        })
    }

    /// Adds one regular file from memory at relative `path` (mode 0600).
    pub(crate) fn append_bytes(&mut self, path: &str, bytes: &[u8]) -> Result<(), BackupError> {
        check_relative(&self.name, path)?;
        let mut header = self.header(bytes.len() as u64);
        self.tar.append_data(&mut header, path, bytes).map_err(|e| {
            archive_err(
                &self.name,
                io::Error::new(e.kind(), format!("adding {path}: {e}")),
            )
        })
    }

    /// Adds every regular file under `base/rel` (recursively, in name order) with its path
    /// relative to `base`. Symbolic links and special files are refused (never silently left out).
    pub(crate) fn append_tree(&mut self, base: &Path, rel: &str) -> Result<u64, BackupError> {
        let mut count = 0;
        let mut stack = vec![PathBuf::from(rel)];
        while let Some(dir_rel) = stack.pop() {
            let dir = base.join(&dir_rel);
            let mut children: Vec<_> = std::fs::read_dir(&dir)
                .map_err(|e| BackupError::io("reading folder", &dir, e))?
                .collect::<Result<_, _>>()
                .map_err(|e| BackupError::io("reading folder", &dir, e))?;
            children.sort_by_key(|c| c.file_name());
            // Directories are pushed in reverse so they pop in name order.
            let mut subdirs = Vec::new();
            for child in children {
                let path = child.path();
                let file_type = child
                    .file_type()
                    .map_err(|e| BackupError::io("inspecting", &path, e))?;
                let child_rel = dir_rel.join(child.file_name());
                if file_type.is_dir() {
                    subdirs.push(child_rel);
                } else if file_type.is_file() {
                    let rel_str = child_rel.to_str().ok_or_else(|| BackupError::Archive {
                        name: self.name.clone(),
                        reason: format!("file name {} is not UTF-8", path.display()),
                    })?;
                    let rel_str = rel_str.replace(std::path::MAIN_SEPARATOR, "/");
                    let file =
                        File::open(&path).map_err(|e| BackupError::io("opening", &path, e))?;
                    let len = file
                        .metadata()
                        .map_err(|e| BackupError::io("inspecting", &path, e))?
                        .len();
                    let mut header = self.header(len);
                    // take(len): a file growing while read cannot corrupt the archive.
                    self.tar
                        .append_data(&mut header, &rel_str, file.take(len))
                        .map_err(|e| BackupError::io("archiving", &path, e))?;
                    count += 1;
                } else {
                    return Err(BackupError::Archive {
                        name: self.name.clone(),
                        reason: format!(
                            "{} is a link or special file; only regular files are backed up",
                            path.display()
                        ),
                    });
                }
            }
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(count)
    }

    fn header(&self, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(self.mtime);
        header
    }

    /// Finishes all layers, fsyncs, and returns the sealed file.
    pub(crate) fn finish(self) -> Result<Sealed, BackupError> {
        let name = self.name;
        let gz = self.tar.into_inner().map_err(|e| archive_err(&name, e))?;
        let sink = gz.finish().map_err(|e| archive_err(&name, e))?;
        let (size, sha256) = sink.finish().map_err(|e| archive_err(&name, e))?;
        Ok(Sealed {
            file: self.temp,
            size,
            sha256,
        })
    }
}

/// Copies `reader` into a new temporary file in `temp_dir`, hashing it (no encryption).
pub(crate) fn seal_plain(temp_dir: &Path, reader: impl Read) -> Result<Sealed, BackupError> {
    seal(temp_dir, reader, None)
}

/// Copies `reader` into a new temporary file in `temp_dir`, age-encrypted to `recipients` when
/// given, hashing the stored bytes.
pub(crate) fn seal(
    temp_dir: &Path,
    mut reader: impl Read,
    recipients: Option<&[BoxedRecipient]>,
) -> Result<Sealed, BackupError> {
    let temp = NamedTempFile::new_in(temp_dir)
        .map_err(|e| BackupError::io("creating a temporary file in", temp_dir, e))?;
    let file = temp
        .reopen()
        .map_err(|e| BackupError::io("opening", temp.path(), e))?;
    let mut sink =
        SealSink::open(file, recipients).map_err(|e| BackupError::io("writing", temp.path(), e))?;
    io::copy(&mut reader, &mut sink).map_err(|e| BackupError::io("writing", temp.path(), e))?;
    let (size, sha256) = sink
        .finish()
        .map_err(|e| BackupError::io("writing", temp.path(), e))?;
    Ok(Sealed {
        file: temp,
        size,
        sha256,
    })
}

/// Size and hex SHA-256 of a local file, streamed.
pub(crate) fn hash_file(path: &Path) -> Result<(u64, String), BackupError> {
    let mut file = File::open(path).map_err(|e| BackupError::io("opening", path, e))?;
    let mut hasher = HashingWriter::new(io::sink());
    io::copy(&mut file, &mut hasher).map_err(|e| BackupError::io("reading", path, e))?;
    let (_, size, sha) = hasher
        .finish()
        .map_err(|e| BackupError::io("reading", path, e))?;
    Ok((size, sha))
}

/// Opens a stored file for reading its content: decrypts when `encrypted` (age authenticates
/// each chunk as it is read, so damage shows as a read error). `run_id`/`name` label errors.
pub(crate) fn open_stored(
    run_id: &str,
    name: &str,
    path: &Path,
    encrypted: bool,
    key: Option<&DecryptionKey>,
) -> Result<Box<dyn Read + Send>, BackupError> {
    let file = File::open(path).map_err(|e| BackupError::io("opening", path, e))?;
    let reader = BufReader::with_capacity(256 * 1024, file);
    Ok(if encrypted {
        let key = key.ok_or_else(|| BackupError::KeyRequired {
            run_id: run_id.to_string(),
            name: name.to_string(),
        })?;
        let stream = key.decrypt(reader).map_err(|e| BackupError::Decrypt {
            run_id: run_id.to_string(),
            name: name.to_string(),
            reason: describe_decrypt_error(&e),
        })?;
        Box::new(stream)
    } else {
        Box::new(reader)
    })
}

/// Opens a stored archive for reading its tar stream: decrypts when `encrypted`.
/// `run_id`/`name` label errors.
fn open_tar_stream(
    run_id: &str,
    name: &str,
    path: &Path,
    encrypted: bool,
    key: Option<&DecryptionKey>,
) -> Result<Box<dyn Read>, BackupError> {
    let plain = open_stored(run_id, name, path, encrypted, key)?;
    Ok(Box::new(GzDecoder::new(plain)))
}

/// Reads a stored file that is not an archive to its end, decrypting it when `encrypted`
/// (age authenticates every chunk). Returns the plaintext size.
pub(crate) fn check_sealed(
    run_id: &str,
    name: &str,
    path: &Path,
    encrypted: bool,
    key: Option<&DecryptionKey>,
) -> Result<u64, BackupError> {
    let mut stream = open_stored(run_id, name, path, encrypted, key)?;
    io::copy(&mut stream, &mut io::sink()).map_err(|e| damaged(run_id, name, e))
}

/// Reads a stored archive to its very end (decrypting if needed), checking every layer:
/// age authentication, gzip CRC, tar structure. Returns the number of entries.
pub(crate) fn check_archive(
    run_id: &str,
    name: &str,
    path: &Path,
    encrypted: bool,
    key: Option<&DecryptionKey>,
) -> Result<u64, BackupError> {
    let stream = open_tar_stream(run_id, name, path, encrypted, key)?;
    let mut archive = tar::Archive::new(stream);
    let mut count = 0;
    let entries = archive.entries().map_err(|e| damaged(run_id, name, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(run_id, name, e))?;
        safe_entry_path(name, &entry)?;
        io::copy(&mut entry, &mut io::sink()).map_err(|e| damaged(run_id, name, e))?;
        count += 1;
    }
    io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(|e| damaged(run_id, name, e))?;
    Ok(count)
}

/// Unpacks a stored archive into `dir` (which the caller made and owns), refusing absolute
/// paths, `..`, links and special files. Returns `(files, bytes)` written.
pub(crate) fn unpack_archive(
    run_id: &str,
    name: &str,
    path: &Path,
    encrypted: bool,
    key: Option<&DecryptionKey>,
    dir: &Path,
) -> Result<(u64, u64), BackupError> {
    let stream = open_tar_stream(run_id, name, path, encrypted, key)?;
    let mut archive = tar::Archive::new(stream);
    let (mut files, mut bytes) = (0u64, 0u64);
    let entries = archive.entries().map_err(|e| damaged(run_id, name, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(run_id, name, e))?;
        let rel = safe_entry_path(name, &entry)?;
        let target = dir.join(&rel);
        if entry.header().entry_type() == tar::EntryType::Directory {
            std::fs::create_dir_all(&target)
                .map_err(|e| BackupError::io("creating folder", &target, e))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| BackupError::io("creating folder", parent, e))?;
        }
        let mut out = create_private_file(&target)?;
        let n = io::copy(&mut entry, &mut out).map_err(|e| damaged(run_id, name, e))?;
        out.sync_all()
            .map_err(|e| BackupError::io("writing", &target, e))?;
        files += 1;
        bytes += n;
    }
    io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(|e| damaged(run_id, name, e))?;
    Ok((files, bytes))
}

pub(crate) fn create_private_file(path: &Path) -> Result<File, BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| BackupError::io("creating", path, e))
}

/// The entry's path if it is a plain relative path of a regular file or folder.
fn safe_entry_path<R: Read>(name: &str, entry: &tar::Entry<'_, R>) -> Result<PathBuf, BackupError> {
    let raw = entry.path_bytes();
    let shown = String::from_utf8_lossy(&raw).into_owned();
    let unsafe_entry = |reason| BackupError::UnsafeEntry {
        name: name.to_string(),
        path: shown.clone(),
        reason,
    };
    match entry.header().entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::Directory => {}
        _ => return Err(unsafe_entry("only regular files and folders are restored")),
    }
    let path = entry
        .path()
        .map_err(|_| unsafe_entry("the path is not valid"))?;
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_entry("the path contains '..'")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_entry("the path is absolute"))
            }
        }
    }
    if clean.as_os_str().is_empty() {
        return Err(unsafe_entry("the path is empty"));
    }
    Ok(clean)
}

/// Checks a relative `/`-separated path before it goes into an archive.
fn check_relative(name: &str, path: &str) -> Result<(), BackupError> {
    if crate::layout::is_safe_relative_path(path) {
        Ok(())
    } else {
        Err(BackupError::UnsafeEntry {
            name: name.to_string(),
            path: path.to_string(),
            reason: "only relative paths without '.', '..' or empty segments are archived",
        })
    }
}

fn archive_err(name: &str, e: io::Error) -> BackupError {
    BackupError::Archive {
        name: name.to_string(),
        reason: e.to_string(),
    }
}

pub(crate) fn damaged(run_id: &str, name: &str, e: io::Error) -> BackupError {
    BackupError::Corrupt {
        run_id: run_id.to_string(),
        name: name.to_string(),
        problem: format!("the archive cannot be read to its end: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_archive(
        dir: &Path,
        recipients: Option<&[BoxedRecipient]>,
        entries: &[(&str, &[u8])],
    ) -> Sealed {
        let mut w = ArchiveWriter::create(dir, "t.tar.gz", recipients, 0).unwrap();
        for (p, b) in entries {
            w.append_bytes(p, b).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn plain_archive_round_trip_and_hash() {
        let tmp = tempfile::tempdir().unwrap();
        let sealed = write_archive(tmp.path(), None, &[("a/b.txt", b"hello"), ("c.txt", b"x")]);
        assert_eq!(
            hash_file(sealed.file.path()).unwrap(),
            (sealed.size, sealed.sha256.clone())
        );
        assert_eq!(
            check_archive("r", "t", sealed.file.path(), false, None).unwrap(),
            2
        );
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        assert_eq!(
            unpack_archive("r", "t", sealed.file.path(), false, None, &out).unwrap(),
            (2, 6)
        );
        assert_eq!(std::fs::read(out.join("a/b.txt")).unwrap(), b"hello");
    }

    #[test]
    fn refuses_unsafe_paths_on_write() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = ArchiveWriter::create(tmp.path(), "t", None, 0).unwrap();
        for bad in ["../x", "/etc/passwd", "a//b", "./a", ""] {
            assert!(
                matches!(
                    w.append_bytes(bad, b"x"),
                    Err(BackupError::UnsafeEntry { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn refuses_unsafe_paths_on_read() {
        // A hand-made tar with a `..` entry and one with a symlink.
        let tmp = tempfile::tempdir().unwrap();
        for kind in ["dotdot", "symlink"] {
            let path = tmp.path().join(format!("{kind}.tar.gz"));
            let gz = GzEncoder::new(File::create(&path).unwrap(), flate2::Compression::fast());
            let mut b = tar::Builder::new(gz);
            let mut h = tar::Header::new_gnu();
            if kind == "dotdot" {
                h.set_size(1);
                h.set_entry_type(tar::EntryType::Regular);
                // set_path refuses "..", so write the name bytes directly.
                let name = b"../escape";
                h.as_old_mut().name[..name.len()].copy_from_slice(name);
                h.set_cksum();
                b.append(&h, &b"x"[..]).unwrap();
            } else {
                h.set_size(0);
                h.set_entry_type(tar::EntryType::Symlink);
                b.append_link(&mut h, "link", "/etc/passwd").unwrap();
            }
            b.into_inner().unwrap().finish().unwrap();
            let out = tmp.path().join(format!("out-{kind}"));
            std::fs::create_dir(&out).unwrap();
            let err = unpack_archive("r", "t", &path, false, None, &out).unwrap_err();
            assert!(
                matches!(err, BackupError::UnsafeEntry { .. }),
                "{kind}: {err}"
            );
            assert!(!tmp.path().join("escape").exists());
        }
    }

    #[test]
    fn scrypt_work_factor_above_what_the_tool_writes_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let pass = age::secrecy::SecretString::from("correct horse".to_owned());
        let protection = crate::Protection::Passphrase(pass.clone());
        // What the tool writes by default: exactly the cap.
        let recipients = protection.recipients(None).unwrap();
        let sealed = write_archive(tmp.path(), recipients.as_deref(), &[("a", b"1")]);
        let header = std::fs::read(sealed.file.path()).unwrap();
        let line = String::from_utf8_lossy(&header[..200])
            .lines()
            .find(|l| l.starts_with("-> scrypt "))
            .unwrap()
            .to_owned();
        assert!(line.ends_with(" 18"), "{line}");
        // A cheap archive whose header is then made to claim 2^19 (the stanza is checked before
        // any work is done, so the claim alone is refused).
        let recipients = protection.recipients(Some(2)).unwrap();
        let sealed = write_archive(tmp.path(), recipients.as_deref(), &[("a", b"1")]);
        let key = DecryptionKey::Passphrase(pass);
        assert_eq!(
            check_archive("r", "t", sealed.file.path(), true, Some(&key)).unwrap(),
            1
        );
        let mut bytes = std::fs::read(sealed.file.path()).unwrap();
        let at = bytes.windows(10).position(|w| w == b"-> scrypt ").unwrap();
        let eol = at + bytes[at..].iter().position(|&b| b == b'\n').unwrap();
        assert_eq!(&bytes[eol - 2..eol], b" 2");
        bytes.splice(eol - 1..eol, b"19".iter().copied());
        std::fs::write(sealed.file.path(), &bytes).unwrap();
        let started = std::time::Instant::now();
        let err = check_archive("r", "t", sealed.file.path(), true, Some(&key)).unwrap_err();
        assert!(matches!(err, BackupError::Decrypt { .. }), "{err}");
        assert!(err.to_string().contains("work"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn encrypted_archive_needs_the_right_key() {
        let tmp = tempfile::tempdir().unwrap();
        let (id, recipient) = crate::crypto::generate_identity();
        let recipients = crate::Protection::Recipients(vec![recipient])
            .recipients(None)
            .unwrap();
        let sealed = write_archive(
            tmp.path(),
            recipients.as_deref(),
            &[("secrets/master.key", b"k")],
        );
        let right = DecryptionKey::Identities(vec![id]);
        assert_eq!(
            check_archive("r", "t", sealed.file.path(), true, Some(&right)).unwrap(),
            1
        );
        let (other, _) = crate::crypto::generate_identity();
        let wrong = DecryptionKey::Identities(vec![other]);
        let err = check_archive("r", "t", sealed.file.path(), true, Some(&wrong)).unwrap_err();
        assert!(matches!(err, BackupError::Decrypt { .. }), "{err}");
        let err = check_archive("r", "t", sealed.file.path(), true, None).unwrap_err();
        assert!(matches!(err, BackupError::KeyRequired { .. }), "{err}");
    }
}
