//! The wire protocol: length-prefixed frames carrying bincode-encoded messages, a versioned
//! handshake, and hard limits so a hostile or broken peer costs one connection, never the
//! server.
//!
//! Frame: a 4-byte big-endian length, then that many bytes of one message.
//! Handshake: the client sends `ClientMsg::Hello`; the server answers `ServerMsg::Welcome`
//! or `ServerMsg::Refused` and closes. `Hello` and `Refused` keep their places (variant 0)
//! in every version, so two versions can always tell each other what differs.

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::service::{Command, Event, Failure, Reply, Welcome};

/// Bumped whenever a message's shape changes. 2: search, caller cards, the request detail,
/// reports (a console of version 2 would be cut off by a server of version 1 at its first
/// search; with the bump both say which versions they are). 4: a refused command's reply
/// carries a `Failure` (its kind and the sentence) instead of the sentence alone. 5: every
/// change to a request is `Command::Change` (a `domain::change::Change`), a change's reply is
/// `Reply::Changed`, and the audit log knows a type's change. 6: the client says its
/// language (`ClientMsg::Language`). 7: events name who made the change; the head's reassign
/// carries a comment (and its audit action keeps it); `pult import` (`Command::Import`,
/// `Reply::Imported`) and `Command::EnableStaff`. 8: the website door (`Mode::Web`, its
/// commands and replies), the consent a website request records, the policy's `[service]`.
/// 9: mail — a result's edited message, the outbox (`Command::MailStatus`, `Reply::Outbox`),
/// a result that did not get through, the mail lines of a timeline, the console's template
/// and a call's acknowledgement; the policy's `[hours]`. 10: the hours' emergency contacts
/// and imported calendar years, the after-hours notice of a website receipt, the school's
/// zone in `WebInfo`, deadlines counted again (`AuditAction::DeadlinesRecounted`); backups
/// (`Command::Backup`, `Command::BackupStatus`, `Reply::Backup`).
/// tests/wire_golden.rs holds every message's encoding and fails when it changes without a bump.
pub const PROTOCOL_VERSION: u32 = 10;

/// Largest frame a client may send (a call form with a 4,000-character description is ~10 KiB).
pub const MAX_CLIENT_FRAME: usize = 256 * 1024;

/// Largest frame the server sends (a welcome carries every open request).
pub const MAX_SERVER_FRAME: usize = 64 * 1024 * 1024;

/// What a client wants from this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// A console: the open requests now, then every change as it happens.
    Attach,
    /// A script: commands and replies only.
    Commands,
    /// The website door (`pult web`): the website's own commands and their replies only,
    /// whoever its OS user is (see `Command::is_website`).
    Web,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMsg {
    Hello {
        protocol_version: u32,
        program_version: String,
        mode: Mode,
    },
    Command {
        id: u64,
        command: Command,
    },
    Ping {
        id: u64,
    },
    /// The language this client reads (`ru`, `en`): the server words its answers in it.
    /// Sent right after the welcome; until then, and for an unknown code, the server's own.
    Language {
        code: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// The connection is refused (unknown user, other version…): the sentence says why.
    Refused {
        reason: String,
    },
    Welcome {
        program_version: String,
        welcome: Option<Box<Welcome>>,
    },
    Reply {
        id: u64,
        result: Result<Reply, Failure>,
    },
    Event {
        event: Event,
    },
    Pong {
        id: u64,
    },
    /// The server ends this connection: shutting down (`reconnect`: try again later) or
    /// the account was disabled (do not).
    Goodbye {
        reason: String,
        reconnect: bool,
    },
}

#[derive(Debug, Error)]
pub enum FrameError {
    #[error("{}", tr!("frame.closed"))]
    Closed,
    #[error("{}", tr!("frame.too_large", announced = .announced, limit = .limit))]
    TooLarge { announced: usize, limit: usize },
    #[error("{}", tr!("frame.malformed", error = .0))]
    Malformed(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

fn config<const LIMIT: usize>() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<LIMIT>()
}

/// Encodes one message as a whole frame (length prefix included).
pub fn encode_frame<T: Serialize>(message: &T) -> Result<Vec<u8>, FrameError> {
    let mut frame = vec![0u8; 4];
    bincode::serde::encode_into_std_write(message, &mut frame, config::<MAX_SERVER_FRAME>())
        .map_err(|error| FrameError::Malformed(error.to_string()))?;
    let length = u32::try_from(frame.len() - 4).map_err(|_| FrameError::TooLarge {
        announced: frame.len() - 4,
        limit: u32::MAX as usize,
    })?;
    frame[..4].copy_from_slice(&length.to_be_bytes());
    Ok(frame)
}

/// How many bytes `message` takes in a frame's body (to fill a frame without passing a limit).
pub fn encoded_len<T: Serialize>(message: &T) -> Result<usize, FrameError> {
    Ok(encode_frame(message)?.len() - 4)
}

pub fn write_frame<T: Serialize>(writer: &mut impl Write, message: &T) -> Result<(), FrameError> {
    writer.write_all(&encode_frame(message)?)?;
    writer.flush()?;
    Ok(())
}

/// Reads one frame's body; never allocates more than `limit` bytes for it.
pub fn read_frame(reader: &mut impl Read, limit: usize) -> Result<Vec<u8>, FrameError> {
    let mut prefix = [0u8; 4];
    match reader.read_exact(&mut prefix) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(FrameError::Closed)
        }
        Err(error) => return Err(error.into()),
    }
    let announced = u32::from_be_bytes(prefix) as usize;
    if announced > limit {
        return Err(FrameError::TooLarge { announced, limit });
    }
    let mut body = vec![0u8; announced];
    reader.read_exact(&mut body).map_err(|error| {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            FrameError::Closed
        } else {
            error.into()
        }
    })?;
    Ok(body)
}

/// Decodes a frame body that must hold exactly one message.
pub fn decode_body<T: DeserializeOwned, const LIMIT: usize>(body: &[u8]) -> Result<T, FrameError> {
    let (message, used) = bincode::serde::decode_from_slice(body, config::<LIMIT>())
        .map_err(|error| FrameError::Malformed(error.to_string()))?;
    if used != body.len() {
        return Err(FrameError::Malformed(tr!(
            "frame.extra_bytes",
            count = body.len() - used
        )));
    }
    Ok(message)
}

/// What the server does with a client's frame body.
pub fn decode_client(body: &[u8]) -> Result<ClientMsg, FrameError> {
    decode_body::<ClientMsg, MAX_CLIENT_FRAME>(body)
}

pub fn decode_server(body: &[u8]) -> Result<ServerMsg, FrameError> {
    decode_body::<ServerMsg, MAX_SERVER_FRAME>(body)
}

pub fn read_client_msg(reader: &mut impl Read) -> Result<ClientMsg, FrameError> {
    decode_client(&read_frame(reader, MAX_CLIENT_FRAME)?)
}

pub fn read_server_msg(reader: &mut impl Read) -> Result<ServerMsg, FrameError> {
    decode_server(&read_frame(reader, MAX_SERVER_FRAME)?)
}

/// The sentence for a client and a server of different protocol versions.
pub fn version_mismatch(client: u32, client_program: &str, server_program: &str) -> String {
    tr!(
        "frame.version_mismatch",
        client_program = client_program,
        client = client,
        server_program = server_program,
        server = PROTOCOL_VERSION
    )
}

pub fn program_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips() {
        let message = ClientMsg::Ping { id: 7 };
        let frame = encode_frame(&message).unwrap();
        let body = read_frame(&mut frame.as_slice(), MAX_CLIENT_FRAME).unwrap();
        assert_eq!(decode_client(&body).unwrap(), message);
    }

    #[test]
    fn an_oversized_length_is_refused_before_allocating() {
        let frame = [0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(matches!(
            read_frame(&mut frame.as_slice(), MAX_CLIENT_FRAME),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn hello_stays_the_first_variant() {
        // The handshake must stay readable by every version: variant 0, version first.
        let hello = ClientMsg::Hello {
            protocol_version: 1,
            program_version: "x".into(),
            mode: Mode::Attach,
        };
        let frame = encode_frame(&hello).unwrap();
        assert_eq!(&frame[4..6], &[0, 1]);
        let refused = encode_frame(&ServerMsg::Refused { reason: "r".into() }).unwrap();
        assert_eq!(frame[4], 0);
        assert_eq!(refused[4], 0);
    }
}
