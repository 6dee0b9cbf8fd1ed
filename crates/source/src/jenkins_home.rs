//! TODO(helper): jenkins_home
