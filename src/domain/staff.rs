//! Staff accounts and the roles of the regulation (§2.2).

use serde::{Deserialize, Serialize};

/// A role a staff member holds; one person may hold several. Never reorder: the index is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    SiteAdmin,
    Ejournal,
    Tech,
    Psych,
    Head,
    Director,
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Operator,
        Role::SiteAdmin,
        Role::Ejournal,
        Role::Tech,
        Role::Psych,
        Role::Head,
        Role::Director,
        Role::Admin,
    ];

    /// The key used in files and on the command line (`site_admin`).
    pub fn key(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::SiteAdmin => "site_admin",
            Role::Ejournal => "ejournal",
            Role::Tech => "tech",
            Role::Psych => "psych",
            Role::Head => "head",
            Role::Director => "director",
            Role::Admin => "admin",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Operator => tr!("role.operator"),
            Role::SiteAdmin => tr!("role.site_admin"),
            Role::Ejournal => tr!("role.ejournal"),
            Role::Tech => tr!("role.tech"),
            Role::Psych => tr!("role.psych"),
            Role::Head => tr!("role.head"),
            Role::Director => tr!("role.director"),
            Role::Admin => tr!("role.admin"),
        }
    }

    /// The short word in the title bar.
    pub fn short(self) -> &'static str {
        match self {
            Role::Operator => tr!("role.short.operator"),
            Role::SiteAdmin => tr!("role.short.site_admin"),
            Role::Ejournal => tr!("role.short.ejournal"),
            Role::Tech => tr!("role.short.tech"),
            Role::Psych => tr!("role.short.psych"),
            Role::Head => tr!("role.short.head"),
            Role::Director => tr!("role.director"),
            Role::Admin => tr!("role.short.admin"),
        }
    }

    /// Logs and routes requests (§3.1.1–3.1.2); the head may too.
    pub fn dispatches(self) -> bool {
        matches!(self, Role::Operator | Role::SiteAdmin | Role::Head)
    }
}

/// One account per person, tied to an OS login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub login: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub vendor_rep: bool,
    pub disabled: bool,
}

impl Staff {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn can_dispatch(&self) -> bool {
        !self.disabled && self.roles.iter().any(|role| role.dispatches())
    }

    /// `Иванова Анна Сергеевна` → `Иванова А. С.`
    pub fn short_name(&self) -> String {
        short_name(&self.name)
    }

    /// The role named in the title bar: the dispatching one first.
    pub fn main_role(&self) -> Option<Role> {
        [Role::Operator, Role::SiteAdmin, Role::Head]
            .into_iter()
            .find(|role| self.has(*role))
            .or_else(|| self.roles.first().copied())
    }
}

pub fn short_name(full: &str) -> String {
    let mut words = full.split_whitespace();
    let Some(surname) = words.next() else {
        return String::new();
    };
    let initials: Vec<String> = words
        .filter_map(|word| word.chars().next())
        .map(|letter| format!("{letter}."))
        .collect();
    if initials.is_empty() {
        surname.to_string()
    } else {
        format!("{surname} {}", initials.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_name_keeps_surname_and_initials() {
        assert_eq!(short_name("Иванова Анна Сергеевна"), "Иванова А. С.");
        assert_eq!(short_name("Козлов"), "Козлов");
        assert_eq!(short_name("  "), "");
    }

    #[test]
    fn only_operator_site_admin_and_head_dispatch() {
        let mut staff = Staff {
            login: "x".into(),
            name: "X".into(),
            roles: vec![Role::Tech, Role::Psych],
            vendor_rep: false,
            disabled: false,
        };
        assert!(!staff.can_dispatch());
        staff.roles.push(Role::SiteAdmin);
        assert!(staff.can_dispatch());
        staff.disabled = true;
        assert!(!staff.can_dispatch());
    }
}
