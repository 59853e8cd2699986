//! `pult mail test` and `pult mail status`: checking the school's mail settings, and what the
//! outbox holds.

use std::path::Path;

use clap::Subcommand;

use super::out::{self, say};
use super::{connect, CliError};
use crate::domain::mail::{MailState, Outgoing};
use crate::domain::time::{Clock, SystemClock, Timestamp};
use crate::service::mail::MailSetup;
use crate::service::setup::load_policy;
use crate::service::{Command, Reply};

#[derive(Debug, Subcommand)]
pub enum MailAction {
    /// Отправить пробное письмо на ADDRESS и напечатать ответ почтового сервера
    Test {
        /// Адрес получателя
        address: String,
    },
    /// Исходящие письма: ждут отправки, доставлены, не доставлены — с причинами
    Status {
        /// Вывести JSON (для скриптов)
        #[arg(long)]
        json: bool,
    },
}

pub fn run(dir: &Path, action: MailAction) -> Result<(), CliError> {
    match action {
        MailAction::Test { address } => test(dir, &address),
        MailAction::Status { json } => status(dir, json),
    }
}

/// Sends from this process with the data directory's settings (its password file is the
/// server's user's: run it as that user).
fn test(dir: &Path, address: &str) -> Result<(), CliError> {
    let policy = load_policy(dir)?;
    let setup = MailSetup::load(dir, &policy)
        .map_err(|error| CliError::Mail(error.to_string()))?
        .ok_or_else(|| CliError::Mail(tr!("cli.mail.not_set_up", dir = dir.display())))?;
    if !crate::service::mail::sendable(address.trim()) {
        return Err(CliError::Mail(tr!(
            "cli.mail.bad_address",
            address = address
        )));
    }
    let now = SystemClock.now();
    match crate::net::mail::send_test(&setup, address, now) {
        Ok(reply) => {
            say!(
                "{}",
                tr!(
                    "cli.mail.sent",
                    host = setup.smtp.host,
                    port = setup.smtp.port,
                    reply = reply
                )
            )?;
            Ok(())
        }
        Err(reason) => Err(CliError::Mail(tr!(
            "cli.mail.refused",
            host = setup.smtp.host,
            port = setup.smtp.port,
            reason = reason
        ))),
    }
}

fn status(dir: &Path, json: bool) -> Result<(), CliError> {
    let mut client = connect(dir)?;
    let Reply::Outbox { messages, set_up } = client.call(Command::MailStatus)? else {
        return Err(CliError::Unexpected);
    };
    if json {
        let values: Vec<_> = messages.iter().map(message_json).collect();
        return out::json(&serde_json::json!({ "set_up": set_up, "messages": values }));
    }
    if !set_up {
        say!("{}", tr!("cli.mail.status_not_set_up"))?;
    }
    if messages.is_empty() {
        say!("{}", tr!("cli.mail.empty"))?;
    }
    for message in &messages {
        let when = |at: Timestamp| super::print::local(at, "%d.%m.%Y %H:%M");
        let state = match &message.state {
            MailState::Waiting { next_at } => {
                tr!("cli.mail.waiting", at = when(*next_at)).to_string()
            }
            MailState::Delivered { at, .. } => {
                tr!("cli.mail.delivered", at = when(*at)).to_string()
            }
            MailState::Failed { at, .. } => tr!("cli.mail.failed", at = when(*at)).to_string(),
        };
        say!(
            "{:<6} {:<8} {:<14} {} — {}",
            message.seq,
            message.request.to_string(),
            message.kind.label(),
            &message.to,
            state
        )?;
        if let Some(words) = message.last_words() {
            say!(
                "       {}",
                tr!(
                    "cli.mail.attempts",
                    count = message.attempts.len(),
                    words = words
                )
            )?;
        }
    }
    Ok(())
}

fn message_json(message: &Outgoing) -> serde_json::Value {
    let at = |at: Timestamp| at.to_rfc3339();
    let (state_at, reason) = match &message.state {
        MailState::Waiting { next_at } => (at(*next_at), None),
        MailState::Delivered { at: when, reply } => (at(*when), Some(reply.clone())),
        MailState::Failed { at: when, reason } => (at(*when), Some(reason.clone())),
    };
    serde_json::json!({
        "seq": message.seq,
        "request": message.request.0,
        "kind": message.kind,
        "to": message.to,
        "message_id": message.message_id,
        "queued_at": at(message.queued_at),
        "state": message.state.key(),
        "state_at": state_at,
        "words": reason,
        "attempts": message.attempts.len(),
    })
}
