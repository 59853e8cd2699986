//! Finding the data directory, reading its policy and initialising a fresh store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Service, ServiceError};
use crate::domain::policy::{Policy, DEFAULT_POLICY_TOML};
use crate::domain::staff::{Role, Staff};
use crate::domain::time::Clock;
use crate::os::OsUser;
use crate::store::Store;

/// The policy file inside a data directory; the copy there is the one in force.
pub const POLICY_FILE: &str = "policy.toml";

/// `--data`, then `PULT_DATA` (both arrive as `explicit`), then the platform data directory.
pub fn data_dir(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit.or_else(|| {
        directories::ProjectDirs::from("", "", "pult").map(|dirs| dirs.data_dir().to_path_buf())
    })
}

/// Reads the data directory's policy, writing the shipped one there on the first start.
pub fn load_policy(dir: &Path) -> Result<Policy, ServiceError> {
    let path = dir.join(POLICY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::write(&path, DEFAULT_POLICY_TOML).map_err(|source| {
                ServiceError::PolicyFile {
                    path: path.clone(),
                    source,
                }
            })?;
            DEFAULT_POLICY_TOML.to_string()
        }
        Err(source) => return Err(ServiceError::PolicyFile { path, source }),
    };
    Policy::parse(&text).map_err(|source| ServiceError::Policy { path, source })
}

/// Opens the store in `dir` with its policy; a fresh store makes `first_user` its admin,
/// operator and head, so a new machine works at once.
pub fn open_service(
    dir: &Path,
    clock: Arc<dyn Clock>,
    first_user: &OsUser,
) -> Result<Service, ServiceError> {
    let store = Store::open(dir)?;
    let policy = load_policy(dir)?;
    if !store.is_initialized()? {
        store.initialize(&first_staff(first_user))?;
    }
    Ok(Service::new(store, policy, clock))
}

fn first_staff(user: &OsUser) -> Staff {
    Staff {
        login: user.login.clone(),
        name: user.full_name.clone(),
        roles: vec![Role::Admin, Role::Operator, Role::Head],
        vendor_rep: false,
        disabled: false,
    }
}
