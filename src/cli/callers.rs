//! `pult search` and `pult callers`: finding requests and keeping caller cards from a shell.

use std::path::Path;

use clap::Subcommand;

use super::out::{self, say};
use super::{connect, parse_id, CliError};
use crate::domain::caller::{CallerCard, CallerId};
use crate::service::{Command, Hit, Reply};

#[derive(Debug, Subcommand)]
pub enum CallersAction {
    /// Все карточки (телефоны и почта — только тем, кто регистрирует обращения)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Две карточки — один человек: обращения второй переходят к первой
    /// (руководитель Службы, администратор системы)
    Merge {
        /// Карточка, которая остаётся
        kept: String,
        /// Карточка, которая присоединяется к ней
        merged: String,
    },
    /// Часть обращений карточки — другого человека: они переходят на новую карточку
    /// (руководитель Службы, администратор системы)
    Split {
        /// Карточка, с которой звонил другой человек
        card: String,
        /// Номера его обращений через запятую: 12,15
        #[arg(long, value_delimiter = ',', required = true)]
        requests: Vec<String>,
    },
}

pub fn search(dir: &Path, words: &[String], json: bool) -> Result<(), CliError> {
    let mut client = connect(dir)?;
    let Reply::Found { found } = client.call(Command::Search {
        query: words.join(" "),
    })?
    else {
        return Err(CliError::Unexpected);
    };
    if json {
        let hits: Vec<_> = found.hits.iter().map(hit_json).collect();
        return out::json(&serde_json::json!({ "total": found.total, "hits": hits }));
    }
    if found.hits.is_empty() {
        say!("{}", tr!("print.nothing_found"))?;
    }
    for hit in &found.hits {
        say!(
            "{:<8} {:<16} {} — {}",
            hit.id.to_string(),
            hit.status.label(),
            hit.name,
            hit.snippet
        )?;
    }
    if found.total > found.hits.len() {
        say!("{}", tr!("print.found_total", total = found.total))?;
    }
    Ok(())
}

fn hit_json(hit: &Hit) -> serde_json::Value {
    serde_json::json!({
        "id": hit.id.0,
        "status": hit.status.key(),
        "category": hit.category,
        "queue": hit.queue,
        "received_at": hit.received_at.to_utc().to_rfc3339(),
        "name": hit.name,
        "snippet": hit.snippet,
    })
}

fn card_line(card: &CallerCard) -> String {
    let contacts: Vec<String> = card
        .phones
        .iter()
        .map(|phone| phone.display())
        .chain(card.emails.iter().map(|email| email.to_string()))
        .collect();
    let requests: Vec<String> = card.requests.iter().map(|id| id.to_string()).collect();
    let contacts = if contacts.is_empty() {
        tr!("print.contacts_hidden").to_string()
    } else {
        contacts.join(", ")
    };
    format!(
        "{:>6}  {}  {contacts}  {}",
        card.id.0,
        card.describe(),
        tr!("print.card_requests", ids = requests.join(" "))
    )
}

fn card_json(card: &CallerCard) -> serde_json::Value {
    serde_json::json!({
        "id": card.id.0,
        "name": card.name,
        "role": card.role,
        "class": card.class.map(|class| class.to_string()),
        "phones": card.phones.iter().map(|phone| phone.e164()).collect::<Vec<_>>(),
        "emails": card.emails.iter().map(|email| email.as_str()).collect::<Vec<_>>(),
        "requests": card.requests.iter().map(|id| id.0).collect::<Vec<_>>(),
    })
}

pub fn callers(dir: &Path, action: CallersAction) -> Result<(), CliError> {
    let mut client = connect(dir)?;
    match action {
        CallersAction::List { json } => {
            let mut cards = Vec::new();
            let mut after = None;
            loop {
                let Reply::Callers { cards: page, more } =
                    client.call(Command::ListCallers { after })?
                else {
                    return Err(CliError::Unexpected);
                };
                after = page.last().map(|card| card.id);
                cards.extend(page);
                if !more || after.is_none() {
                    break;
                }
            }
            if json {
                let values: Vec<_> = cards.iter().map(card_json).collect();
                out::json(&serde_json::Value::Array(values))?;
            } else if cards.is_empty() {
                say!("{}", tr!("print.no_cards"))?;
            } else {
                for card in &cards {
                    say!("{}", card_line(card))?;
                }
            }
        }
        CallersAction::Merge { kept, merged } => {
            let kept = CallerId(parse_id(&kept)?);
            let merged = CallerId(parse_id(&merged)?);
            let Reply::Caller { card: Some(card) } =
                client.call(Command::MergeCallers { kept, merged })?
            else {
                return Err(CliError::Unexpected);
            };
            say!("{}", tr!("print.merged", card = card_line(&card)))?;
        }
        CallersAction::Split { card, requests } => {
            let card = CallerId(parse_id(&card)?);
            let requests = requests
                .iter()
                .map(|id| parse_id(id).map(crate::domain::request::RequestId))
                .collect::<Result<Vec<_>, _>>()?;
            let Reply::Caller { card: Some(new) } =
                client.call(Command::SplitCaller { card, requests })?
            else {
                return Err(CliError::Unexpected);
            };
            say!("{}", tr!("print.split", card = card_line(&new)))?;
        }
    }
    Ok(())
}
