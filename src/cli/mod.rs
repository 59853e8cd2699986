//! The command line: parsing, opening the service, and printing for people and scripts.

mod console;
pub mod json;
mod print;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use thiserror::Error;

use crate::demo::{self, DemoError};
use crate::domain::request::{RequestId, Status};
use crate::domain::time::SystemClock;
use crate::service::identity::{current_os_user, OsUser};
use crate::service::setup::{data_dir, open_service};
use crate::service::{Service, ServiceError};
use crate::store::StoreError;
use crate::tui::keymap::KeymapError;

#[derive(Debug, Parser)]
#[command(
    name = "pult",
    version,
    about = "Пульт диспетчера службы сопровождения дистанционного обучения",
    long_about = None
)]
pub struct Cli {
    /// Каталог данных (иначе PULT_DATA, иначе каталог данных пользователя)
    #[arg(long, global = true, env = "PULT_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Открыть пульт (то же, что pult без команды)
    Console,
    /// Заполнить пустое хранилище демонстрационными сотрудниками и обращениями
    Demo,
    /// Список обращений
    List {
        /// Только со статусом: new, routed, in_work, waiting_vendor, resolved, cancelled
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// Вывести JSON (для скриптов)
        #[arg(long)]
        json: bool,
    },
    /// Одно обращение по номеру
    Show {
        /// Номер обращения (124 или №124)
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Error)]
pub enum CliError {
    #[error("не удалось определить пользователя операционной системы")]
    NoOsUser,
    #[error("не найден каталог данных: укажите его через --data DIR или PULT_DATA")]
    NoDataDir,
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Keymap(#[from] KeymapError),
    #[error("{0}")]
    Demo(#[from] DemoError),
    #[error("неизвестный статус «{0}»: new, routed, in_work, waiting_vendor, resolved, cancelled")]
    UnknownStatus(String),
    #[error("«{0}» — не номер обращения (пример: 124)")]
    BadId(String),
    #[error("обращения №{0} нет")]
    NoSuchRequest(u64),
    #[error("пульту нужен терминал; для скриптов есть pult list и pult show")]
    NotATerminal,
    #[error("терминал: {0}")]
    Terminal(#[from] std::io::Error),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        CliError::Service(ServiceError::from(error))
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    let user = current_os_user().ok_or(CliError::NoOsUser)?;
    let dir = data_dir(cli.data).ok_or(CliError::NoDataDir)?;
    let open = || open_service(&dir, Arc::new(SystemClock), &user);
    match cli.command.unwrap_or(CliCommand::Console) {
        CliCommand::Console => console::run(open()?, &user),
        CliCommand::Demo => {
            let summary = demo::fill(&dir, &user)?;
            println!("{summary}");
            println!("Откройте пульт: pult --data {}", dir.display());
            Ok(())
        }
        CliCommand::List { status, json } => {
            let service = open()?;
            identify(&service, &user)?;
            let status = status
                .map(|key| Status::from_key(&key).ok_or(CliError::UnknownStatus(key)))
                .transpose()?;
            let requests = service
                .store()
                .all_requests(status)
                .collect::<Result<Vec<_>, _>>()?;
            if json {
                let values: Vec<_> = requests.iter().map(json::request).collect();
                println!("{}", serde_json::to_string_pretty(&values)?);
            } else {
                print::list(&service, &requests);
            }
            Ok(())
        }
        CliCommand::Show { id, json } => {
            let service = open()?;
            identify(&service, &user)?;
            let number = parse_id(&id)?;
            let request = service
                .store()
                .request(RequestId(number))?
                .ok_or(CliError::NoSuchRequest(number))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json::request(&request))?
                );
            } else {
                print::show(&service, &request);
            }
            Ok(())
        }
    }
}

fn identify(service: &Service, user: &OsUser) -> Result<(), CliError> {
    service.identify(&user.login)?;
    Ok(())
}

fn parse_id(text: &str) -> Result<u64, CliError> {
    text.trim()
        .trim_start_matches('№')
        .trim()
        .parse()
        .map_err(|_| CliError::BadId(text.to_string()))
}
