//! ksdm-backup (in progress).
