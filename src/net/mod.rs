//! Moving messages between consoles and the server over the data directory's Unix socket.

pub mod client;
mod link;
mod log;
pub mod mail;
pub mod peer;
pub mod protocol;
pub mod server;
pub mod server_files;
