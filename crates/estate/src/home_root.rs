//! The top of a generated `JENKINS_HOME`: the key files and the root files every estate has.

use std::path::Path;

use ksdm_secret::SecretKey;
use rand::RngCore;

use crate::jenkins_misc::{self, ProjectRoles};
use crate::{write_file, EstateError};

/// Writes `secrets/master.key`, `secrets/hudson.util.Secret`, the root `config.xml` (role
/// mirror `roles`, LDAP manager password `ldap_password` encrypted with the new key) and
/// `jobs/init-job/config.xml` below `home`, and returns the derived key.
///
/// Draws from `rng`, in this order: 128 bytes of key seed, 256 bytes of `hudson.util.Secret`
/// payload, the 16-byte IV of the LDAP password.
pub(crate) fn write_home_root<R: RngCore + ?Sized>(
    home: &Path,
    rng: &mut R,
    roles: &[ProjectRoles],
    ldap_password: &str,
) -> Result<SecretKey, EstateError> {
    let mut seed = [0u8; 128];
    let mut payload = [0u8; 256];
    rng.fill_bytes(&mut seed);
    rng.fill_bytes(&mut payload);
    let (master_key, hudson_secret) = ksdm_secret::make_key_files(&seed, &payload);
    let key: SecretKey = ksdm_secret::derive_key(master_key.as_bytes(), &hudson_secret)
        .map_err(|e| EstateError::Key(e.to_string()))?;
    write_file(&home.join("secrets/master.key"), master_key.as_bytes())?;
    write_file(&home.join("secrets/hudson.util.Secret"), &hudson_secret)?;

    let mut iv = [0u8; 16];
    rng.fill_bytes(&mut iv);
    let ldap = ksdm_secret::encrypt_new_format(&key, ldap_password, iv);
    write_file(
        &home.join("config.xml"),
        jenkins_misc::root_config_xml(roles, &ldap).as_bytes(),
    )?;
    write_file(
        &home.join("jobs/init-job/config.xml"),
        jenkins_misc::init_job_xml().as_bytes(),
    )?;
    Ok(key)
}
