//! What both benchmarks share: the timing recorder and the synthetic stores.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pult::domain::call_form::CallDraft;
use pult::domain::deadline::DeadlinePolicy;
use pult::domain::lifecycle::{self, Intake};
use pult::domain::request::{
    Caller, CallerRole, Category, Channel, Request, RequestId, Resolution, ReturnChannel,
};
use pult::domain::staff::Staff;
use pult::domain::time::{Clock, SystemClock, Timestamp, MINUTE_MS};
use pult::domain::validate::{Email, Phone, SchoolClass};
use pult::os::OsUser;
use pult::service::setup::open_service;

pub const BIG_STORED: u64 = 1_000_000;
pub const BIG_OPEN: u64 = 1_000;

/// Per-iteration times of every benchmark, kept to compute the ratios at the end.
#[derive(Default, Clone)]
pub struct Recorder(Arc<Mutex<BTreeMap<&'static str, Vec<f64>>>>);

impl Recorder {
    /// Times `iters` runs of `routine` and records the mean of this sample.
    pub fn measure(&self, name: &'static str, iters: u64, mut routine: impl FnMut()) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            routine();
        }
        let elapsed = start.elapsed();
        if let Ok(mut samples) = self.0.lock() {
            samples
                .entry(name)
                .or_default()
                .push(elapsed.as_nanos() as f64 / iters.max(1) as f64);
        }
        elapsed
    }

    /// Records a sample measured elsewhere: `total` over `iters` runs.
    pub fn record(&self, name: &'static str, total: Duration, iters: u64) {
        if let Ok(mut samples) = self.0.lock() {
            samples
                .entry(name)
                .or_default()
                .push(total.as_nanos() as f64 / iters.max(1) as f64);
        }
    }

    pub fn median(&self, name: &str) -> f64 {
        let samples = self.0.lock().map(|s| s.get(name).cloned()).ok().flatten();
        let mut samples = samples.unwrap_or_default();
        samples.sort_by(|a, b| a.total_cmp(b));
        samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

pub fn bench_user() -> OsUser {
    OsUser {
        uid: 0,
        login: "bench".into(),
        full_name: "Оператор Бенчмарков".into(),
    }
}

pub fn caller(index: u64) -> Caller {
    Caller {
        name: format!("Петрова Анна Ивановна {index}"),
        role: CallerRole::Parent,
        class: Some(SchoolClass::parse("5А").unwrap()),
        phone: Some(Phone::parse("8 912 345-67-89").unwrap()),
        email: Some(Email::parse("petrova@mail.ru").unwrap()),
    }
}

pub fn draft(answered_at: Timestamp) -> CallDraft {
    CallDraft {
        answered_at: Some(answered_at),
        name: "Петрова Анна Ивановна".into(),
        role: Some(CallerRole::Parent),
        class: "5А".into(),
        category: Some(Category::Ejournal),
        // a realistic record: with its caller it encodes to about 600 bytes
        description: "Не открывается электронный дневник: после ввода пароля снова \
            появляется страница входа, в другом браузере то же самое. Ребёнок не видит \
            домашнее задание на завтра по трём предметам, просим помочь сегодня."
            .into(),
        phone: "8 912 345-67-89".into(),
        email: "petrova@mail.ru".into(),
        caller_card: None,
        acknowledge: false,
    }
}

/// A request of the synthetic history: the last `open` of `count` are open, the rest closed.
pub fn synthetic(index: u64, count: u64, open: u64, now: Timestamp) -> Request {
    let policy = DeadlinePolicy::default();
    let received = Timestamp(now.0 - (count - index) as i64 * MINUTE_MS);
    let request = lifecycle::receive(
        RequestId(index + 1),
        Intake {
            channel: Channel::Phone,
            received_at: received,
            logged_by: "bench".into(),
            caller: caller(index),
            category: Category::Ejournal,
            description: "Не открывается электронный дневник, пишет «ошибка входа».".into(),
            consent: None,
        },
        &policy,
    );
    let routed = lifecycle::route(&request, "ejournal", &policy, received.plus_minutes(5))
        .expect("route a new request");
    if index >= count - open {
        return if index % 2 == 0 { request } else { routed };
    }
    let taken = lifecycle::take(&routed, "smirnova", received.plus_minutes(10)).expect("take");
    lifecycle::resolve(
        &taken,
        Resolution {
            text: "Сбросили пароль.".into(),
            returned_by: ReturnChannel::Phone,
            at: received.plus_minutes(60),
        },
    )
    .expect("resolve")
}

/// The store with `BIG_STORED` requests, built once and reused between runs.
pub fn big_store() -> PathBuf {
    store_with("store-1m", BIG_STORED, BIG_OPEN)
}

/// A store under `target/bench-data/NAME` with `count` requests, the last `open` of them open,
/// built once (a `READY` file marks it done). The OS user running the benchmark has an
/// account there, so a server on it lets this process in.
pub fn store_with(name: &str, count: u64, open: u64) -> PathBuf {
    let now = SystemClock.now();
    store_of(name, count, |index| synthetic(index, count, open, now))
}

/// A store under `target/bench-data/NAME` of `count` requests made by `make`, built once.
pub fn store_of(name: &str, count: u64, make: impl Fn(u64) -> Request) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(name);
    let ready = dir.join("READY");
    if ready.is_file() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "building a store of {count} requests in {} (once)…",
        dir.display()
    );
    let started = Instant::now();
    let service = open_service(&dir, Arc::new(SystemClock), &bench_user()).expect("open");
    if let Some(me) = pult::os::current_os_user() {
        service
            .seed()
            .put_staff(&Staff {
                login: me.login,
                name: "Запускающий Бенчмарки".into(),
                roles: vec![pult::domain::staff::Role::Operator],
                vendor_rep: false,
                disabled: false,
            })
            .expect("staff");
    }
    let chunk = 20_000;
    let mut first = 0;
    while first < count {
        let records: Vec<Request> = (first..(first + chunk).min(count)).map(&make).collect();
        service.seed().import_requests(&records).expect("import");
        first += chunk;
    }
    service.seed().flush().expect("flush");
    drop(service);
    std::fs::write(&ready, b"ok").expect("marker");
    eprintln!("built in {:.0} s", started.elapsed().as_secs_f64());
    dir
}

const SURNAMES: [&str; 20] = [
    "Петрова",
    "Сидоров",
    "Кузнецова",
    "Волков",
    "Лебедева",
    "Громова",
    "Орлов",
    "Зайцева",
    "Николаев",
    "Белоусов",
    "Морозова",
    "Соколов",
    "Попова",
    "Васильев",
    "Новикова",
    "Фёдоров",
    "Михайлова",
    "Егоров",
    "Павлова",
    "Козлов",
];
const FIRST_NAMES: [&str; 10] = [
    "Анна",
    "Пётр",
    "Ирина",
    "Артём",
    "Наталья",
    "Ольга",
    "Игорь",
    "Дарья",
    "Сергей",
    "Алина",
];
const PROBLEMS: [&str; 12] = [
    "Не открывается электронный дневник, пишет «ошибка входа».",
    "Ссылка на урок математики не работает, ученик не может подключиться.",
    "Нет звука на онлайн-уроке английского языка, камера работает.",
    "В электронном журнале не видно оценок за последнюю неделю.",
    "Ребёнок не может сдать домашнее задание: кнопка загрузки неактивна.",
    "Учитель не выходит на связь, урок литературы не начался вовремя.",
    "Нужна консультация психолога: ребёнок тревожится перед контрольной.",
    "Сломался школьный ноутбук, выданный для дистанционного обучения.",
    "Платформа выдаёт ошибку 502 при входе в класс.",
    "Расписание в дневнике не совпадает с расписанием на сайте школы.",
    "Пароль от учётной записи не подходит после смены телефона.",
    "Видео урока зависает каждые несколько минут, интернет исправен.",
];

/// A request of a varied history for search: names, phones and problems differ.
pub fn varied(index: u64, count: u64, now: Timestamp) -> Request {
    let mut request = synthetic(index, count, 1_000.min(count), now);
    let surname = SURNAMES[(index % 20) as usize];
    let first = FIRST_NAMES[((index / 20) % 10) as usize];
    request.caller.name = format!("{surname} {first}");
    request.caller.phone = Phone::parse(&format!("8 9{:09}", 100_000_000 + index * 7)).ok();
    request.caller.email = Email::parse(&format!("parent{index}@school-mail.ru")).ok();
    request.description = PROBLEMS[(index % 12) as usize].to_string();
    request
}

/// The welcome an operator's console gets under `policy`, with `open` synthetic open
/// requests received before `now`.
pub fn operator_welcome(
    policy: pult::domain::policy::Policy,
    open: u64,
    now: Timestamp,
) -> pult::service::Welcome {
    pult::service::Welcome {
        me: Staff {
            login: "bench".into(),
            name: "Оператор Бенчмарков".into(),
            roles: vec![pult::domain::staff::Role::Operator],
            vendor_rep: false,
            disabled: false,
        },
        policy,
        staff: Vec::new(),
        open: (0..open).map(|i| synthetic(i, open, open, now)).collect(),
        draft: None,
        mail: None,
    }
}

/// The console drawn from `welcome` at `now`, in Moscow time.
pub fn console(welcome: pult::service::Welcome, now: Timestamp) -> pult::tui::app::App {
    pult::tui::app::App::new(
        welcome,
        pult::tui::keymap::Keymap::parse_with_override(None).expect("keymap"),
        pult::tui::theme::Theme::colored(),
        now,
        chrono::FixedOffset::east_opt(3 * 3600).expect("offset"),
    )
}
