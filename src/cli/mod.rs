//! The command line: parsing, reaching the server, and printing for people and scripts.

// Everything printed goes through `out`, which cleans what people typed.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod backup;
mod calendar;
mod callers;
mod console;
pub mod help;
pub mod import;
pub mod json;
mod mail;
mod out;
mod print;
mod report;
mod retention;
mod server;
mod web;

use crate::lang::{self, Lang};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use thiserror::Error;

use crate::demo::{self, DemoError};
use crate::domain::policy::Policy;
use crate::domain::request::{Request, RequestId, Status};
use crate::domain::staff::{Role, Staff};
use crate::net::client::{Client, ClientError, Launch};
use crate::net::server::ServerError;
use crate::os::current_os_user;
use crate::service::setup::data_dir;
use crate::service::{Command, Reply, ServiceError};
use crate::store::StoreError;
use crate::tui::keymap::KeymapError;
use out::say;

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

    /// Язык: ru или en (иначе PULT_LANG, иначе LC_ALL / LC_MESSAGES / LANG; по умолчанию ru)
    #[arg(long, global = true, value_name = "LANG", value_parser = parse_lang)]
    pub lang: Option<Lang>,

    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Открыть пульт (то же, что pult без команды)
    Console,
    /// Запустить сервер хранилища (обычно его запускает первый pult сам)
    Server,
    /// Заполнить новое хранилище демонстрационными сотрудниками и обращениями
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
    /// Всё, что записано об обращении, включая просмотры (руководитель Службы)
    History {
        /// Номер обращения (124 или №124)
        id: String,
    },
    /// Все обращения к поставщику платформы с ответами (представитель, руководитель)
    Vendor,
    /// Найти обращения, открытые и закрытые: номер, ФИО, телефон, почта или слова описания
    Search {
        #[arg(required = true)]
        words: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Отчёты: ежедневный руководителю Службы, еженедельный анализ директору
    Report {
        #[command(subcommand)]
        action: report::ReportAction,
    },
    /// Карточки обратившихся: список, объединение двух карточек одного человека
    Callers {
        #[command(subcommand)]
        action: callers::CallersAction,
    },
    /// Зарегистрировать обращения из файла: CSV журнала (приложение 2) или JSON pult list --json
    Import {
        /// Файл CSV или JSON; «-» — стандартный ввод
        file: String,
        /// Вывести итог в JSON (для скриптов)
        #[arg(long)]
        json: bool,
    },
    /// Форма обращения на сайте школы (приложение 1): HTTP-сервер, клиент сервера pult
    Web {
        /// Адрес и порт, на которых принимать соединения
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Адрес обратного прокси (nginx), которому верить в X-Forwarded-For; можно несколько
        #[arg(long = "trusted-proxy", value_name = "IP")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Адрес сайта школы, если форма показывается в его фрейме (https://school.ru)
        #[arg(long = "frame-ancestor", value_name = "URL")]
        frame_ancestor: Option<String>,
        /// Адрес формы снаружи (https://help.school.ru): для проверки источника и кнопки
        #[arg(long = "public-url", value_name = "URL")]
        public_url: Option<String>,
        /// Отправок формы с одного адреса за 10 минут (и столько же проверок состояния)
        #[arg(long = "per-address", value_name = "N", default_value_t = 10)]
        per_address: u32,
        /// Отправок формы со всех адресов вместе за минуту
        #[arg(long = "total", value_name = "N", default_value_t = 300)]
        total: u32,
        /// Напечатать HTML кнопки «Поддержка обучения в дистанционный период» для сайта школы
        #[arg(long)]
        snippet: bool,
    },
    /// Почта: пробное письмо, исходящие письма и их судьба
    Mail {
        #[command(subcommand)]
        action: mail::MailAction,
    },
    /// Резервная копия всего хранилища, сделанная работающим сервером (администратор системы)
    Backup(backup::BackupArgs),
    /// Персональные данные закрытых обращений, срок хранения которых истёк: что уничтожить, и --apply
    Retention {
        /// Уничтожить их и составить акт (руководитель Службы, администратор системы)
        #[arg(long)]
        apply: bool,
    },
    /// Восстановить хранилище из резервной копии в пустой каталог данных (--data)
    Restore {
        /// Файл резервной копии
        file: PathBuf,
        /// Файл с паролем зашифрованной копии (права 0600; иначе PULT_BACKUP_PASSPHRASE)
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Производственный календарь: загрузить новый год из публикации, какие годы известны
    Calendar {
        #[command(subcommand)]
        action: calendar::CalendarAction,
    },
    /// Учётные записи сотрудников (администратор системы)
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffAction {
    /// Добавить сотрудника: LOGIN — его имя пользователя в ОС
    Add {
        login: String,
        /// ФИО полностью
        #[arg(long)]
        name: String,
        /// Роли через запятую: operator, site_admin, ejournal, tech, psych, head, director, admin
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// Единственный представитель для обращений к поставщику платформы
        #[arg(long)]
        vendor_rep: bool,
    },
    /// Все учётные записи
    List,
    /// Отключить учётную запись (её пульты отключаются)
    Disable { login: String },
    /// Включить отключённую учётную запись снова
    Enable { login: String },
}

#[derive(Debug, Error)]
pub enum CliError {
    #[error("{}", tr!("cli.no_os_user"))]
    NoOsUser,
    #[error("{}", tr!("cli.no_data_dir"))]
    NoDataDir,
    #[error("{}", tr!("cli.no_store", dir = .dir.display()))]
    NoStore { dir: PathBuf },
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("{0}")]
    Server(#[from] ServerError),
    #[error("{0}")]
    Keymap(#[from] KeymapError),
    #[error("{0}")]
    Demo(#[from] DemoError),
    #[error("{}", tr!("cli.unknown_status", status = .0))]
    UnknownStatus(String),
    #[error("{0}")]
    Calendar(String),
    #[error("{0}")]
    Backup(String),
    #[error("{}", tr!("cli.unknown_role", role = .0))]
    UnknownRole(String),
    #[error("{}", tr!("cli.bad_id", text = .0))]
    BadId(String),
    #[error("{}", tr!("cli.unreadable", ids = .0.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")))]
    Unreadable(Vec<RequestId>),
    #[error("{}", tr!("cli.not_a_terminal"))]
    NotATerminal,
    #[error("{}", tr!("cli.terminal", error = .0))]
    Terminal(#[from] std::io::Error),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{}", tr!("cli.bad_week", text = .0))]
    BadWeek(String),
    #[error("{0}")]
    Mail(String),
    #[error("{}", tr!("cli.bad_date", text = .0))]
    BadDate(String),
    #[error("{}", tr!("cli.write", path = .path.display(), source = .source))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Import(#[from] import::ImportError),
    #[error("{0}")]
    Web(#[from] crate::web::WebError),
    #[error("{}", tr!("cli.unexpected"))]
    Unexpected,
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        CliError::Service(ServiceError::from(error))
    }
}

/// Clients start the server from the same binary when none answers.
fn launch() -> Launch {
    std::env::current_exe().map_or(Launch::Never, Launch::Exe)
}

/// A script's connection to the server of `dir`. Only the console, `server` and `demo` make
/// a store: here the server is started only for a store that exists, so a mistyped `--data`
/// is named instead of becoming a new store with a server left running in it.
fn connect(dir: &Path) -> Result<Client, CliError> {
    let launch = if dir.join("db").exists() {
        launch()
    } else {
        Launch::Never
    };
    Client::connect(dir, &launch).map_err(|error| match error {
        ClientError::NotRunning { .. } => CliError::NoStore {
            dir: dir.to_path_buf(),
        },
        other => other.into(),
    })
}

/// Commands that print for a pipe end quietly when the reader goes (`pult list | head`), as
/// shell tools do, instead of failing on the broken pipe.
fn end_quietly_on_closed_pipe() {
    // SAFETY: restores the default action of one signal before any thread is started here.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The program: parses the command line, runs it, and says what went wrong (through `out`,
/// like everything it prints: clap's messages echo what was typed).
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    lang::set(
        help::lang_asked(&args).unwrap_or_else(|| Lang::from_env(|name| std::env::var(name).ok())),
    );
    let parsed = help::localized(Cli::command())
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => {
            let text = error.render().to_string();
            let _ = if error.use_stderr() {
                out::stderr(&text)
            } else {
                out::stdout(&text)
            };
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = out::tell!("pult: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    match Lang::parse(text) {
        Some(lang) if lang.code() == text => Ok(lang),
        _ => Err("ru или en".to_string()),
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    if let Some(chosen) = cli.lang {
        lang::set(chosen);
    }
    let dir = data_dir(cli.data).ok_or(CliError::NoDataDir)?;
    if !matches!(
        cli.command,
        None | Some(CliCommand::Console) | Some(CliCommand::Server)
    ) {
        end_quietly_on_closed_pipe();
    }
    match cli.command.unwrap_or(CliCommand::Console) {
        CliCommand::Console => console::run(&dir, launch()),
        CliCommand::Server => {
            let user = current_os_user().ok_or(CliError::NoOsUser)?;
            server::run(&dir, &user)
        }
        CliCommand::Web {
            listen,
            trusted_proxies,
            frame_ancestor,
            public_url,
            per_address,
            total,
            snippet,
        } => {
            let mut config = crate::web::WebConfig::new(listen, &dir);
            config.trusted_proxies = trusted_proxies;
            config.frame_ancestor = frame_ancestor;
            config.public_url = public_url;
            config.per_address = crate::web::limits::Rate::per_minutes(per_address, 10);
            config.total = crate::web::limits::Rate::per_minutes(total, 1);
            if snippet {
                web::snippet(&dir, &config)
            } else {
                web::run(&dir, config, launch())
            }
        }
        CliCommand::Demo => {
            let user = current_os_user().ok_or(CliError::NoOsUser)?;
            let summary = demo::fill(&dir, &user)?;
            say!("{summary}")?;
            say!("Откройте пульт: pult --data {}", dir.display())?;
            Ok(())
        }
        CliCommand::List { status, json } => {
            let status = status
                .map(|key| Status::from_key(&key).ok_or(CliError::UnknownStatus(key)))
                .transpose()?;
            let mut client = connect(&dir)?;
            let (requests, unreadable) = all_requests(&mut client, status)?;
            if json {
                let values: Vec<_> = requests.iter().map(json::request).collect();
                out::json(&serde_json::Value::Array(values))?;
            } else {
                print::list(&policy(&mut client)?, &requests)?;
            }
            if unreadable.is_empty() {
                Ok(())
            } else {
                Err(CliError::Unreadable(unreadable))
            }
        }
        CliCommand::Show { id, json } => {
            let id = RequestId(parse_id(&id)?);
            let mut client = connect(&dir)?;
            let Reply::Request { request } = client.call(Command::ShowRequest { id })? else {
                return Err(CliError::Unexpected);
            };
            if json {
                let Reply::History { events } = client.call(Command::Timeline { id })? else {
                    return Err(CliError::Unexpected);
                };
                let mut value = json::request(&request);
                value["timeline"] = json::timeline(&events);
                out::json(&value)
            } else {
                Ok(print::show(&policy(&mut client)?, &request)?)
            }
        }
        CliCommand::History { id } => {
            let id = RequestId(parse_id(&id)?);
            let mut client = connect(&dir)?;
            let Reply::History { events } = client.call(Command::History { id })? else {
                return Err(CliError::Unexpected);
            };
            Ok(print::history(&policy(&mut client)?, &events)?)
        }
        CliCommand::Vendor => {
            let mut client = connect(&dir)?;
            let Reply::Requests { requests, .. } = client.call(Command::VendorHistory)? else {
                return Err(CliError::Unexpected);
            };
            Ok(print::vendor_history(&requests)?)
        }
        CliCommand::Staff { action } => staff(&dir, action),
        CliCommand::Mail { action } => mail::run(&dir, action),
        CliCommand::Calendar { action } => calendar::run(&dir, action),
        CliCommand::Backup(args) => backup::backup(&dir, args),
        CliCommand::Restore {
            file,
            passphrase_file,
        } => backup::restore_into(&dir, &file, passphrase_file.as_deref()),
        CliCommand::Retention { apply } => retention::run(&dir, apply),
        CliCommand::Search { words, json } => callers::search(&dir, &words, json),
        CliCommand::Callers { action } => callers::callers(&dir, action),
        CliCommand::Report { action } => report::run(&dir, action),
        CliCommand::Import { file, json } => import::run(&dir, &file, json),
    }
}

fn staff(dir: &Path, action: StaffAction) -> Result<(), CliError> {
    let mut client = connect(dir)?;
    match action {
        StaffAction::Add {
            login,
            name,
            roles,
            vendor_rep,
        } => {
            let roles = roles
                .iter()
                .map(|key| {
                    Role::from_key(key.trim()).ok_or_else(|| CliError::UnknownRole(key.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let staff = Staff {
                login,
                name,
                roles,
                vendor_rep,
                disabled: false,
            };
            let Reply::Staff { staff } = client.call(Command::AddStaff { staff })? else {
                return Err(CliError::Unexpected);
            };
            for member in &staff {
                say!("Добавлен сотрудник: {}", print::staff_line(member))?;
            }
        }
        StaffAction::List => {
            let Reply::Staff { staff } = client.call(Command::ListStaff)? else {
                return Err(CliError::Unexpected);
            };
            for member in &staff {
                say!("{}", print::staff_line(member))?;
            }
        }
        StaffAction::Disable { login } => {
            let Reply::Staff { staff } = client.call(Command::DisableStaff { login })? else {
                return Err(CliError::Unexpected);
            };
            for member in &staff {
                say!("Отключена учётная запись: {}", print::staff_line(member))?;
            }
        }
        StaffAction::Enable { login } => {
            let Reply::Staff { staff } = client.call(Command::EnableStaff { login })? else {
                return Err(CliError::Unexpected);
            };
            for member in &staff {
                say!(
                    "{}",
                    tr!("cli.staff_enabled", who = print::staff_line(member))
                )?;
            }
        }
    }
    Ok(())
}

fn policy(client: &mut Client) -> Result<Policy, CliError> {
    match client.call(Command::GetPolicy)? {
        Reply::Policy { policy } => Ok(policy),
        _ => Err(CliError::Unexpected),
    }
}

/// Every request (of one status), page by page, and the stored records that do not read.
fn all_requests(
    client: &mut Client,
    status: Option<Status>,
) -> Result<(Vec<Request>, Vec<RequestId>), CliError> {
    let mut all = Vec::new();
    let mut damaged = Vec::new();
    let mut after = None;
    loop {
        let Reply::Requests {
            requests,
            more,
            unreadable,
        } = client.call(Command::ListRequests { status, after })?
        else {
            return Err(CliError::Unexpected);
        };
        after = requests.last().map(|request| request.id);
        all.extend(requests);
        damaged.extend(unreadable);
        if !more || after.is_none() {
            return Ok((all, damaged));
        }
    }
}

fn parse_id(text: &str) -> Result<u64, CliError> {
    text.trim()
        .trim_start_matches('№')
        .trim()
        .parse()
        .map_err(|_| CliError::BadId(text.to_string()))
}
