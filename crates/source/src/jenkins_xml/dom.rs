//! TODO(helper): dom
