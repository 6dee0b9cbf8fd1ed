//! [`LocalStore`]: backups in a local folder.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::error::StoreError;
use crate::store::{check_key, BackupStore, ObjectInfo};

/// A store in a local folder: key `a/b` is file `<root>/a/b`. Writes go to a hidden temporary
/// file in the target folder, are fsynced and then renamed, so a file is whole or absent.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        check_key(key)?;
        Ok(key.split('/').fold(self.root.clone(), |p, s| p.join(s)))
    }
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn put_blocking(source: &Path, target: &Path) -> Result<(), StoreError> {
    let parent = target.parent().ok_or_else(|| StoreError::InvalidKey {
        key: target.display().to_string(),
        reason: "no parent folder".into(),
    })?;
    std::fs::create_dir_all(parent).map_err(io_err("creating folder", parent))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".ksdm-upload-")
        .tempfile_in(parent)
        .map_err(io_err("creating a temporary file in", parent))?;
    let mut input = std::fs::File::open(source).map_err(io_err("opening", source))?;
    std::io::copy(&mut input, temp.as_file_mut()).map_err(io_err("writing", temp.path()))?;
    temp.as_file()
        .sync_all()
        .map_err(io_err("syncing", temp.path()))?;
    temp.persist(target).map_err(|e| StoreError::Io {
        action: "renaming into",
        path: target.to_path_buf(),
        source: e.error,
    })?;
    // Make the rename durable.
    if let Ok(dir) = std::fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}

fn list_blocking(root: &Path, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(io_err("reading folder", &dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err("reading folder", &dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            // Hidden files are in-flight uploads (or not ours).
            if name.starts_with('.') {
                continue;
            }
            let key = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let file_type = entry
                .file_type()
                .map_err(io_err("inspecting", &entry.path()))?;
            if file_type.is_dir() {
                // Only descend where the prefix can still match.
                let dir_key = format!("{key}/");
                if dir_key.starts_with(prefix) || prefix.starts_with(&dir_key) {
                    stack.push((entry.path(), key));
                }
            } else if file_type.is_file() && key.starts_with(prefix) {
                let size = entry
                    .metadata()
                    .map_err(io_err("inspecting", &entry.path()))?
                    .len();
                out.push(ObjectInfo { key, size });
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Io {
            action: "running",
            path: PathBuf::from("<local store task>"),
            source: std::io::Error::other(e.to_string()),
        })?
}

#[async_trait]
impl BackupStore for LocalStore {
    fn describe(&self) -> String {
        format!("local folder {}", self.root.display())
    }

    async fn put_file(&self, key: &str, source: &Path) -> Result<(), StoreError> {
        let target = self.path_of(key)?;
        let source = source.to_path_buf();
        blocking(move || put_blocking(&source, &target)).await
    }

    async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError> {
        let path = self.path_of(key)?;
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Err(StoreError::NotFound {
                key: key.to_string(),
                store: self.describe(),
            });
        }
        let dest = dest.to_path_buf();
        blocking(move || std::fs::copy(&path, &dest).map_err(io_err("copying", &path))).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        blocking(move || list_blocking(&root, &prefix)).await
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let path = self.path_of(key)?;
        tokio::fs::try_exists(&path)
            .await
            .map_err(io_err("inspecting", &path))
    }
}
