//! What pult asks of the operating system beyond files and sockets: who an OS account is,
//! and a thread's priority. The layers above call these; none of them calls libc itself.

use std::ffi::CStr;

/// An OS account, as the password database knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsUser {
    pub uid: u32,
    pub login: String,
    /// The GECOS full name, or the login when there is none.
    pub full_name: String,
}

/// The OS account running this process.
pub fn current_os_user() -> Option<OsUser> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    os_user_by_uid(uid)
}

/// Looks up an OS account by uid in the password database.
pub fn os_user_by_uid(uid: u32) -> Option<OsUser> {
    let mut buffer = vec![0u8; 4096];
    loop {
        // SAFETY: passwd is plain data; getpwuid_r writes into `entry` and `buffer`, which
        // outlive every pointer it returns, and we read those pointers only before reuse.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let code = unsafe {
            libc::getpwuid_r(
                uid,
                &mut entry,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut found,
            )
        };
        if code == libc::ERANGE && buffer.len() < (1 << 20) {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        if code != 0 || found.is_null() || entry.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name and pw_gecos point to NUL-terminated strings in `buffer`.
        let login = unsafe { CStr::from_ptr(entry.pw_name) }
            .to_string_lossy()
            .into_owned();
        let gecos = if entry.pw_gecos.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(entry.pw_gecos) }
                .to_string_lossy()
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let full_name = if gecos.is_empty() {
            login.clone()
        } else {
            gecos
        };
        return Some(OsUser {
            uid,
            login,
            full_name,
        });
    }
}

/// Puts the calling thread at the lowest CPU priority (best effort: a refusal changes
/// nothing), for work that must never slow down the consoles.
pub fn lowest_priority() {
    // SAFETY: gettid and setpriority only read their arguments; on Linux a thread id names
    // just this thread for PRIO_PROCESS.
    unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, 19);
    }
}

/// Gives the memory freed inside the process back to the system (glibc keeps it otherwise):
/// after reading the whole archive into the search index, the requests read and the arrays
/// outgrown while it grew are garbage worth ~100 MiB at a million requests.
pub fn release_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Lets this process open as many files as the system allows it (the soft limit up to the
/// hard one): every connection a server holds is a descriptor.
pub fn raise_descriptor_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit that outlives both calls.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_user_is_found() {
        let me = current_os_user().expect("the test runs as some user");
        assert!(!me.login.is_empty());
        assert_eq!(os_user_by_uid(me.uid), Some(me));
    }
}
