//! The Jenkins files of a run, kept while the estate is read so that the backup holds exactly
//! the files that were converted without reading Jenkins a second time.
//!
//! Files are appended to one file in a private temporary folder (mode 0700: the files include
//! Jenkins' key files) as `[u32 path length][path][u64 size][bytes]` records, and read back as
//! a stream for the backup. Memory stays flat however big the estate is.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use ksdm_model::v21::{JenkinsFile, JenkinsFolder};

/// Why the spool could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("temporary copy of the Jenkins files {}: {source}", path.display())]
pub struct SpoolError {
    /// The spool file.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// An append-only copy of the Jenkins files read by this run. Thread-safe.
pub struct Spool {
    _dir: tempfile::TempDir,
    path: PathBuf,
    writer: Mutex<Option<BufWriter<File>>>,
    first_error: Mutex<Option<String>>,
    files: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Spool {
    /// A new, empty spool in the system's temporary folder.
    pub fn new() -> Result<Self, SpoolError> {
        let dir = tempfile::Builder::new()
            .prefix("ksdm-jenkins-files-")
            .tempdir()
            .map_err(|source| SpoolError {
                path: std::env::temp_dir(),
                source,
            })?;
        let path = dir.path().join("files.bin");
        let file = File::create(&path).map_err(|source| SpoolError {
            path: path.clone(),
            source,
        })?;
        Ok(Spool {
            _dir: dir,
            path,
            writer: Mutex::new(Some(BufWriter::new(file))),
            first_error: Mutex::new(None),
            files: Default::default(),
        })
    }

    /// Appends one file. A write failure is remembered and reported by [`Spool::finish`].
    pub fn add(&self, path: &str, bytes: &[u8]) {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let Some(w) = guard.as_mut() else { return };
        let result = (|| {
            w.write_all(&(path.len() as u32).to_le_bytes())?;
            w.write_all(path.as_bytes())?;
            w.write_all(&(bytes.len() as u64).to_le_bytes())?;
            w.write_all(bytes)
        })();
        match result {
            Ok(()) => {
                self.files
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => {
                self.first_error
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert(e.to_string());
                *guard = None;
            }
        }
    }

    /// Appends a folder's `config.xml` and its jobs' `config.xml` files.
    pub fn add_folder(&self, f: &JenkinsFolder) {
        if let Some(c) = &f.config_xml {
            self.add(&format!("jobs/{}/config.xml", f.name), c);
        }
        for (job, bytes) in &f.jobs {
            self.add(&format!("jobs/{}/jobs/{job}/config.xml", f.name), bytes);
        }
    }

    /// How many files were added.
    pub fn len(&self) -> u64 {
        self.files.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// True when no file was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes the spool for writing; the files are then read back with [`Spool::files`].
    pub fn finish(&self) -> Result<(), SpoolError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut w) = guard.take() {
            w.flush().map_err(|source| SpoolError {
                path: self.path.clone(),
                source,
            })?;
        }
        if let Some(e) = self
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Err(SpoolError {
                path: self.path.clone(),
                source: std::io::Error::other(e),
            });
        }
        Ok(())
    }

    /// The files in the order they were added, streamed from disk (call [`Spool::finish`]
    /// first).
    pub fn files(&self) -> Result<SpoolFiles, SpoolError> {
        let file = File::open(&self.path).map_err(|source| SpoolError {
            path: self.path.clone(),
            source,
        })?;
        Ok(SpoolFiles {
            reader: BufReader::new(file),
            path: self.path.clone(),
            done: false,
        })
    }
}

/// A digest of a run's inputs: the MySQL rows as backed up, every Jenkins file of the spool
/// (path and bytes), and `plan` (the options that shape the output). Two runs with the same
/// digest convert the same data the same way, so a retried Job reuses the first one's backup.
pub fn input_digest(mysql_json: &[u8], spool: &Spool, plan: &str) -> Result<String, SpoolError> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(plan.as_bytes());
    part(mysql_json);
    for f in spool.files()? {
        let f = f.map_err(|e| SpoolError {
            path: spool.path.clone(),
            source: std::io::Error::other(e),
        })?;
        part(f.path.as_bytes());
        part(&f.bytes);
    }
    Ok(hex::encode(h.finalize()))
}

/// The files of a [`Spool`], one at a time.
pub struct SpoolFiles {
    reader: BufReader<File>,
    path: PathBuf,
    done: bool,
}

impl SpoolFiles {
    fn read_one(&mut self) -> std::io::Result<Option<JenkinsFile>> {
        let mut len = [0u8; 4];
        match self.reader.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut path = vec![0u8; u32::from_le_bytes(len) as usize];
        self.reader.read_exact(&mut path)?;
        let mut size = [0u8; 8];
        self.reader.read_exact(&mut size)?;
        let mut bytes = vec![0u8; u64::from_le_bytes(size) as usize];
        self.reader.read_exact(&mut bytes)?;
        let path = String::from_utf8(path).map_err(std::io::Error::other)?;
        Ok(Some(JenkinsFile { path, bytes }))
    }
}

impl Iterator for SpoolFiles {
    type Item = Result<JenkinsFile, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_one() {
            Ok(Some(f)) => Some(Ok(f)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(format!("{}: {e}", self.path.display())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_come_back_in_order_and_byte_for_byte() {
        let spool = Spool::new().unwrap();
        spool.add("secrets/master.key", b"k\0ey");
        spool.add_folder(&JenkinsFolder {
            name: "p".into(),
            config_xml: Some(b"<folder/>".to_vec()),
            jobs: vec![("a".into(), vec![1, 2, 3]), ("b".into(), Vec::new())],
            unreadable_jobs: vec![("c".into(), "403".into())],
            refused: Vec::new(),
        });
        spool.finish().unwrap();
        assert_eq!(spool.len(), 4);
        let files: Vec<JenkinsFile> = spool.files().unwrap().map(Result::unwrap).collect();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "secrets/master.key",
                "jobs/p/config.xml",
                "jobs/p/jobs/a/config.xml",
                "jobs/p/jobs/b/config.xml"
            ]
        );
        assert_eq!(files[0].bytes, b"k\0ey");
        assert_eq!(files[2].bytes, [1, 2, 3]);
    }
}
