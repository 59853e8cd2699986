//! Staff accounts: one per person (§ accounts-and-roles), managed by the system admin.

use super::{Service, ServiceError};
use crate::domain::access::{may_do, Operation};
use crate::domain::staff::Staff;
use crate::domain::validate::{bounded, MAX_LOGIN, MAX_NAME};

fn folded(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace('ё', "е")
}

/// `Фамилия И. О. (login: roles)`, to show an account in a sentence.
pub fn describe(staff: &Staff) -> String {
    let roles: Vec<&str> = staff.roles.iter().map(|role| role.short()).collect();
    let state = if staff.disabled {
        tr!("staff.disabled_mark")
    } else {
        ""
    };
    format!(
        "{} ({}: {}{state})",
        staff.name,
        staff.login,
        roles.join(", ")
    )
}

/// Adds an account; a login or a full name that already exists is refused with that account.
pub fn add(service: &Service, actor: &Staff, mut staff: Staff) -> Result<Staff, ServiceError> {
    may_do(actor, Operation::ManageStaff, service.policy())?;
    staff.login = staff.login.trim().to_string();
    staff.name = staff.name.split_whitespace().collect::<Vec<_>>().join(" ");
    staff.roles.sort();
    staff.roles.dedup();
    let login_ok = !staff.login.is_empty()
        && staff
            .login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !login_ok {
        return Err(ServiceError::BadStaff {
            reason: tr!("staff.bad_login").into(),
        });
    }
    bounded(tr!("staff.field.login"), &staff.login, MAX_LOGIN)?;
    bounded(tr!("staff.field.name"), &staff.name, MAX_NAME)?;
    if staff.name.is_empty() {
        return Err(ServiceError::BadStaff {
            reason: tr!("staff.no_name").into(),
        });
    }
    if staff.roles.is_empty() {
        return Err(ServiceError::BadStaff {
            reason: tr!("staff.no_roles").into(),
        });
    }
    let existing = service.store.all_staff()?;
    if let Some(same) = existing
        .iter()
        .find(|other| other.login == staff.login || folded(&other.name) == folded(&staff.name))
    {
        return Err(ServiceError::StaffExists {
            existing: describe(same),
        });
    }
    if staff.vendor_rep {
        if let Some(rep) = existing
            .iter()
            .find(|other| other.vendor_rep && !other.disabled)
        {
            return Err(ServiceError::BadStaff {
                reason: tr!("staff.vendor_rep_taken", who = describe(rep)),
            });
        }
    }
    staff.disabled = false;
    service.store.put_staff(&staff)?;
    Ok(staff)
}

/// The stored account of `login`, or the refusal that names it.
fn account(service: &Service, login: &str) -> Result<Staff, ServiceError> {
    service
        .store
        .staff_member(login)?
        .ok_or_else(|| ServiceError::NoAccount {
            login: login.to_string(),
        })
}

/// Disables an account; its consoles are disconnected by the server.
pub fn disable(service: &Service, actor: &Staff, login: &str) -> Result<Staff, ServiceError> {
    may_do(actor, Operation::ManageStaff, service.policy())?;
    if actor.login == login {
        return Err(ServiceError::BadStaff {
            reason: tr!("staff.not_yourself").into(),
        });
    }
    let mut staff = account(service, login)?;
    staff.disabled = true;
    service.store.put_staff(&staff)?;
    Ok(staff)
}

/// Enables a disabled account again (undoes `disable`): its person may connect again.
pub fn enable(service: &Service, actor: &Staff, login: &str) -> Result<Staff, ServiceError> {
    may_do(actor, Operation::ManageStaff, service.policy())?;
    let mut staff = account(service, login)?;
    if staff.vendor_rep {
        // one representative at a time: another may have been named while this one was off
        let other = service
            .store
            .all_staff()?
            .into_iter()
            .find(|other| other.vendor_rep && !other.disabled && other.login != staff.login);
        if let Some(rep) = other {
            return Err(ServiceError::BadStaff {
                reason: tr!("staff.vendor_rep_taken", who = describe(&rep)),
            });
        }
    }
    staff.disabled = false;
    service.store.put_staff(&staff)?;
    Ok(staff)
}
