//! Where a data directory's server lives: its socket, pid file and log, and who may reach it.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The files of the server of one data directory.
#[derive(Debug, Clone)]
pub struct ServerFiles {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub pid_file: PathBuf,
    pub log: PathBuf,
}

impl ServerFiles {
    pub fn new(dir: &Path) -> ServerFiles {
        ServerFiles {
            dir: dir.to_path_buf(),
            socket: dir.join("pult.sock"),
            pid_file: dir.join("server.pid"),
            log: dir.join("server.log"),
        }
    }

    /// The pid the running server wrote, if it can be read.
    pub fn running_pid(&self) -> Option<u32> {
        fs::read_to_string(&self.pid_file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }

    /// Who may connect: the owner always; the data directory's group too when the admin has
    /// opened the directory to it (`chgrp pult DIR; chmod 750 DIR`). Nobody else.
    pub fn restrict_socket(&self) -> io::Result<()> {
        let dir_meta = fs::metadata(&self.dir)?;
        let group_may_enter = dir_meta.mode() & 0o010 != 0;
        let mode = if group_may_enter { 0o660 } else { 0o600 };
        if group_may_enter {
            let socket = std::ffi::CString::new(self.socket.as_os_str().as_encoded_bytes())
                .map_err(|_| io::Error::other("socket path holds a NUL byte"))?;
            // SAFETY: a valid NUL-terminated path; -1 keeps the owner as it is.
            let code = unsafe { libc::chown(socket.as_ptr(), u32::MAX, dir_meta.gid()) };
            if code != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        fs::set_permissions(&self.socket, fs::Permissions::from_mode(mode))
    }
}
