//! TODO(helper): mysqldump
