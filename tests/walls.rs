//! The walls of issue 9: what holds when a console stops reading, connections flood the
//! socket, the disk fills, the power goes or the store's files are read or damaged directly.
//! Each test reproduces the fault on a real server on a temp directory.

mod common;

mod walls {
    pub mod support;

    mod damaged;
    mod disk;
    mod files;
    mod flood;
    mod power;
    mod stuck_console;
}
