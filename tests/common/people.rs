//! Who acts in the tests: OS users and staff accounts.

// Every test binary compiles this module and each uses only some of it.
#![allow(dead_code)]

use pult::domain::staff::{Role, Staff};
use pult::os::{current_os_user, OsUser};

/// The OS user running the test (the one a real server and console see).
pub fn me() -> OsUser {
    current_os_user().expect("the tests run as some OS user")
}

/// A made-up OS user `ivanova`: the first to open a fresh store, so its admin, operator and
/// head.
pub fn first_os_user() -> OsUser {
    OsUser {
        uid: 1000,
        login: "ivanova".into(),
        full_name: "Иванова Анна Сергеевна".into(),
    }
}

/// An enabled account with `roles`, not the vendor's representative.
pub fn staff(login: &str, name: &str, roles: &[Role]) -> Staff {
    Staff {
        login: login.into(),
        name: name.into(),
        roles: roles.to_vec(),
        vendor_rep: false,
        disabled: false,
    }
}

/// An account whose name is made from its login («Сотрудник <login>»), for tests in which
/// the name does not matter.
pub fn staff_member(login: &str, roles: &[Role]) -> Staff {
    staff(login, &format!("Сотрудник {login}"), roles)
}
