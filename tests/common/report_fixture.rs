//! The reports' fixture (tests/reports.rs, tests/report_screens.rs): 33 requests with
//! hand-chosen times in Moscow time (UTC+03:00) — 27 in ISO week 2026-W46 (Mon 9 – Sun 15
//! November), 5 in the week before (W45, 2–8 November) and 3 on the morning of Monday
//! 16 November, when the reports are made (NOW = 16.11.2026 10:00).
//!
//! Each request's comment gives its step times: route = received → routed, take = routed →
//! taken, resolve = received → resolved. The limits are the shipped policy's: 30 min, 30 min,
//! 24 h. The expected figures in tests/reports.rs are counted by hand from these comments.
//!
//! A teacher, Гусева, is named mid-sentence in three descriptions (203, 211, 222): a name the
//! recurring words must leave out although it recurs.

#![allow(dead_code)]

use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};

use pult::domain::deadline::DeadlinePolicy;
use pult::domain::lifecycle::{self, Intake};
use pult::domain::policy::{Policy, DEFAULT_POLICY_TOML};
use pult::domain::request::{
    Caller, CallerRole, Category, Channel, Request, RequestId, Resolution, ReturnChannel,
};
use pult::domain::time::Timestamp;
use pult::domain::validate::{Email, Phone, SchoolClass};
use pult::report::{daily, weekly, DailyReport, WeeklyReport};

use CallerRole::{Parent, Student, Teacher};
use Category::{Ejournal, Equipment, LessonQuality, Other, Psych, Technical};
use Channel::{Other as OtherChannel, Phone as ByPhone, Web};

pub fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("UTC+03:00")
}

/// `day` November 2026, `hour`:`minute` Moscow time.
pub fn at(day: u32, hour: u32, minute: u32) -> Timestamp {
    let local = moscow()
        .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .single()
        .expect("a valid November 2026 time");
    Timestamp::from_utc(local.with_timezone(&Utc))
}

/// Monday 16.11.2026 10:00 Moscow time: W46 is the last full week.
pub fn now() -> Timestamp {
    at(16, 10, 0)
}

/// The shipped policy on the clock: the fixture's figures were counted by hand in clock time
/// (`policy_in_hours` counts the same week in the shipped hours).
pub fn policy() -> Policy {
    Policy {
        hours: None,
        ..policy_in_hours()
    }
}

/// The shipped policy as it is, with the school's hours and the production calendar.
pub fn policy_in_hours() -> Policy {
    Policy::parse(DEFAULT_POLICY_TOML).expect("the shipped policy")
}

pub fn senders() -> Vec<String> {
    vec![
        "Иванова Анна Сергеевна (специалист горячей линии)".into(),
        "Петров Пётр Петрович (администратор сайта)".into(),
    ]
}

/// The head's proposals: a `;` and a line break, for the CSV's quoting.
pub fn proposals() -> String {
    "Провести для родителей инструктаж по входу в электронный дневник; \
     проверить видеосвязь в кабинетах.\nДоговориться с поставщиком о сроках ответа."
        .into()
}

/// A caller as the form records them.
struct Who {
    name: &'static str,
    role: CallerRole,
    class: Option<&'static str>,
    phone: Option<&'static str>,
    email: Option<&'static str>,
}

const fn who(
    name: &'static str,
    role: CallerRole,
    class: Option<&'static str>,
    phone: Option<&'static str>,
    email: Option<&'static str>,
) -> Who {
    Who {
        name,
        role,
        class,
        phone,
        email,
    }
}

// Repeat callers in W46 (4): Петрова by one phone (209, 212, 216); Волков by email and by
// phone, linked through 224 which gives both (202, 220, 224); Сидоров by one email written
// in two cases (218, 221); Кузнецова by one phone written two ways (225, 226). Смирнов calls
// once in W46 (217) and once in W45 (193): not a repeat caller of W46.
const PETROVA: Who = who(
    "Петрова Анна Ивановна",
    Parent,
    Some("5А"),
    Some("8 912 345-67-89"),
    None,
);
const VOLKOV_WEB: Who = who(
    "Волков Денис Андреевич",
    Student,
    Some("9Б"),
    None,
    Some("volkov.d@yandex.ru"),
);
const VOLKOV_BOTH: Who = who(
    "Волков Денис Андреевич",
    Student,
    Some("9Б"),
    Some("+7 (916) 555-12-34"),
    Some("volkov.d@yandex.ru"),
);
const VOLKOV_PHONE: Who = who(
    "Волков Денис Андреевич",
    Student,
    Some("9Б"),
    Some("8 916 555 12 34"),
    None,
);
const SIDOROV: Who = who(
    "Сидоров Павел Олегович",
    Parent,
    Some("8В"),
    None,
    Some("sidorov@mail.ru"),
);
const SIDOROV_CAPS: Who = who(
    "Сидоров Павел Олегович",
    Parent,
    Some("8В"),
    None,
    Some("Sidorov@Mail.ru"),
);
const KUZNETSOVA: Who = who(
    "Кузнецова Ирина Сергеевна",
    Parent,
    Some("3А"),
    Some("8 (903) 111-22-33"),
    None,
);
const KUZNETSOVA_E164: Who = who(
    "Кузнецова Ирина Сергеевна",
    Parent,
    Some("3А"),
    Some("+7 903 111 22 33"),
    None,
);
const SMIRNOV: Who = who(
    "Смирнов Олег Викторович",
    Teacher,
    None,
    Some("8 926 700-10-20"),
    None,
);

fn call(
    id: u64,
    at: Timestamp,
    channel: Channel,
    category: Category,
    who: &Who,
    text: &str,
) -> Request {
    let caller = Caller {
        name: who.name.into(),
        role: who.role,
        class: who.class.map(|c| SchoolClass::parse(c).expect("class")),
        phone: who.phone.map(|p| Phone::parse(p).expect("phone")),
        email: who.email.map(|e| Email::parse(e).expect("email")),
    };
    lifecycle::receive(
        RequestId(id),
        Intake {
            channel,
            received_at: at,
            logged_by: "ivanova".into(),
            caller,
            category,
            description: text.into(),
            consent: None,
        },
        &DeadlinePolicy::default(),
    )
}

/// The lifecycle moves, chained.
trait Moves: Sized {
    fn routed(self, queue: &str, at: Timestamp) -> Request;
    fn taken(self, assignee: &str, at: Timestamp) -> Request;
    fn resolved(self, at: Timestamp) -> Request;
    fn cancelled(self, at: Timestamp) -> Request;
    fn escalated(self, at: Timestamp) -> Request;
    fn vendor_answered(self, at: Timestamp) -> Request;
    fn extension_asked(self, until: Timestamp, at: Timestamp) -> Request;
    fn extension_decided(self, approve: bool, at: Timestamp) -> Request;
}

impl Moves for Request {
    fn routed(self, queue: &str, at: Timestamp) -> Request {
        lifecycle::route(&self, queue, &DeadlinePolicy::default(), at).expect("route")
    }
    fn taken(self, assignee: &str, at: Timestamp) -> Request {
        lifecycle::take(&self, assignee, at).expect("take")
    }
    fn resolved(self, at: Timestamp) -> Request {
        let returned_by = if self.caller.phone.is_some() {
            ReturnChannel::Phone
        } else {
            ReturnChannel::Email
        };
        let result = Resolution {
            text: "Помогли, обратившийся подтвердил.".into(),
            returned_by,
            at,
        };
        lifecycle::resolve(&self, result).expect("resolve")
    }
    fn cancelled(self, at: Timestamp) -> Request {
        lifecycle::cancel(&self, "дубликат или спам", at).expect("cancel")
    }
    fn escalated(self, at: Timestamp) -> Request {
        lifecycle::escalate(&self, "kozlov", "Ошибка платформы у ученика", "VS-1", at)
            .expect("escalate")
    }
    fn vendor_answered(self, at: Timestamp) -> Request {
        lifecycle::vendor_answered(&self, "Исправлено на стороне платформы", at).expect("answer")
    }
    fn extension_asked(self, until: Timestamp, at: Timestamp) -> Request {
        let who = self.assignee.clone().unwrap_or_default();
        lifecycle::ask_extension(&self, &who, "ждём ответа", until, at).expect("ask")
    }
    fn extension_decided(self, approve: bool, at: Timestamp) -> Request {
        lifecycle::decide_extension(&self, "belova", approve, "", at).expect("decide")
    }
}

/// Every request of the fixture, W45 first.
#[rustfmt::skip]
pub fn requests() -> Vec<Request> {
    vec![
        // ---- W45, 2–8 November: the week before -------------------------------------------
        // route 0:10, take 0:20, resolve 2:00
        call(191, at(2, 10, 0), ByPhone, Ejournal, &who("Зайцева Вера Павловна", Parent, Some("4А"), Some("8 912 000-11-22"), None),
            "Пароль от дневника не подходит.")
            .routed("ejournal", at(2, 10, 10)).taken("smirnova", at(2, 10, 30)).resolved(at(2, 12, 0)),
        // route 0:20, take 0:20, resolve 22:00
        call(192, at(3, 11, 0), Web, Technical, &who("Борисов Глеб Андреевич", Student, Some("10Б"), None, Some("borisov.g@mail.ru")),
            "Видеосвязь не работает, пароль не подходит.")
            .routed("tech", at(3, 11, 20)).taken("kozlov", at(3, 11, 40)).resolved(at(4, 9, 0)),
        // route 0:10, take 0:40 (late), resolve 5:00
        call(193, at(4, 9, 30), ByPhone, Technical, &SMIRNOV, "Пароль от платформы не подходит.")
            .routed("tech", at(4, 9, 40)).taken("kozlov", at(4, 10, 20)).resolved(at(4, 14, 30)),
        // route 0:10, take 0:10, resolve 19:00
        call(194, at(5, 15, 0), ByPhone, Psych, &who("Тихонова Дарья Сергеевна", Parent, Some("2В"), Some("8 917 765-43-21"), None),
            "Дочь испытывает тревожность, плохо спит.")
            .routed("psych", at(5, 15, 10)).taken("orlova", at(5, 15, 20)).resolved(at(6, 10, 0)),
        // route 0:10, take 0:20, open since (resolve-by 7.11 12:00; more time denied)
        call(195, at(6, 12, 0), ByPhone, Equipment, &who("Григорьев Олег Ильич", Parent, Some("7В"), Some("8 910 123-00-99"), None),
            "Нужен планшет для уроков.")
            .routed("head", at(6, 12, 10)).taken("belova", at(6, 12, 30))
            .extension_asked(at(9, 12, 0), at(7, 10, 0)).extension_decided(false, at(7, 11, 0)),

        // ---- W46, Monday 9 November -------------------------------------------------------
        // route 0:10, take 0:15, resolve 1:25
        call(201, at(9, 9, 5), ByPhone, Ejournal, &who("Морозова Елена Павловна", Parent, Some("6Б"), Some("8 915 200-30-40"), None),
            "Не открывается электронный дневник, пишет ошибку входа.")
            .routed("ejournal", at(9, 9, 15)).taken("smirnova", at(9, 9, 30)).resolved(at(9, 10, 30)),
        // route 0:50 (late), take 0:15, resolve 5:00
        call(202, at(9, 10, 40), Web, Technical, &VOLKOV_WEB,
            "Не работает видеосвязь на уроке, пропадает звук.")
            .routed("tech", at(9, 11, 30)).taken("kozlov", at(9, 11, 45)).resolved(at(9, 15, 40)),
        // route 0:20, take 0:50 (late), resolve 22:00
        call(203, at(9, 12, 0), ByPhone, LessonQuality, &who("Лебедева Татьяна Юрьевна", Teacher, None, None, Some("lebedeva.t@school.ru")),
            "Урок прошёл без трансляции, учитель Гусева не смогла подключиться.")
            .routed("head", at(9, 12, 20)).taken("belova", at(9, 13, 10)).resolved(at(10, 10, 0)),
        // route 0:10, take 0:10, resolve 26:00 (late)
        call(204, at(9, 16, 0), ByPhone, Psych, &who("Соколова Марина Игоревна", Parent, Some("4В"), Some("8 917 111-00-01"), None),
            "Сын испытывает тревожность из-за контрольной, плачет по вечерам.")
            .routed("psych", at(9, 16, 10)).taken("orlova", at(9, 16, 20)).resolved(at(10, 18, 0)),

        // ---- Tuesday 10 November ----------------------------------------------------------
        // route 0:10, take 0:20, resolve 24:40 (late: waited for the vendor)
        call(205, at(10, 8, 50), ByPhone, Technical, &who("Новиков Артём Ильич", Student, Some("10А"), Some("8 905 123-45-67"), None),
            "Пароль от платформы не подходит, видеосвязь не запускается.")
            .routed("tech", at(10, 9, 0)).taken("kozlov", at(10, 9, 20))
            .escalated(at(10, 9, 40)).vendor_answered(at(11, 9, 0)).resolved(at(11, 9, 30)),
        // route 0:05, take 0:20, resolve 3:00
        call(206, at(10, 11, 0), Web, Ejournal, &who("Фёдорова Светлана Андреевна", Parent, Some("2Б"), None, Some("fedorova.s@gmail.com")),
            "В электронном дневнике не видны оценки за неделю.")
            .routed("ejournal", at(10, 11, 5)).taken("smirnova", at(10, 11, 25)).resolved(at(10, 14, 0)),
        // route 0:10, take 0:20, resolve 22:00
        call(207, at(10, 14, 30), ByPhone, Psych, &who("Михайлова Наталья Петровна", Parent, Some("7А"), Some("8 925 333-44-55"), None),
            "Дочь испытывает тревожность, замкнулась, просит поддержки.")
            .routed("psych", at(10, 14, 40)).taken("orlova", at(10, 15, 0)).resolved(at(11, 12, 30)),
        // route 13:30 (late: overnight), take 0:30 (just in time), resolve 23:00
        call(208, at(10, 19, 0), Web, Equipment, &who("Егоров Максим Сергеевич", Student, Some("11Б"), None, Some("egorov.max@mail.ru")),
            "Нет ноутбука для дистанционного обучения, нужен ноутбук от школы.")
            .routed("head", at(11, 8, 30)).taken("belova", at(11, 9, 0)).resolved(at(11, 18, 0)),

        // ---- Wednesday 11 November: the daily report's day --------------------------------
        // route 0:10, take 0:15, resolve 1:30
        call(209, at(11, 8, 10), ByPhone, Ejournal, &PETROVA,
            "Электронный дневник не показывает домашнее задание, учитель Марина Петровна не отвечает.")
            .routed("ejournal", at(11, 8, 20)).taken("smirnova", at(11, 8, 35)).resolved(at(11, 9, 40)),
        // route 0:45 (late), take 0:15, resolve 27:00 (late: waited for the vendor)
        call(210, at(11, 9, 0), Web, Technical, &who("Павлов Кирилл Дмитриевич", Student, Some("8А"), None, Some("pavlov.k@yandex.ru")),
            "Платформа выдаёт ошибку при загрузке домашнего задания, видеосвязь тоже зависает.")
            .routed("tech", at(11, 9, 45)).taken("kozlov", at(11, 10, 0))
            .escalated(at(11, 10, 30)).vendor_answered(at(12, 11, 0)).resolved(at(12, 12, 0)),
        // route 0:10, take 1:05 (late), resolve 47:00 (late: more time approved, but not 24 h)
        call(211, at(11, 10, 15), ByPhone, LessonQuality, &who("Захарова Людмила Викторовна", Teacher, None, Some("8 903 777-88-99"), None),
            "Нет доступа к записи урока, который вела Гусева, ученики жалуются.")
            .routed("head", at(11, 10, 25)).taken("belova", at(11, 11, 30))
            .extension_asked(at(13, 12, 0), at(11, 16, 0)).extension_decided(true, at(11, 17, 0))
            .resolved(at(13, 9, 15)),
        // a duplicate, cancelled before routing: received, but in no step
        call(212, at(11, 12, 0), ByPhone, Ejournal, &PETROVA,
            "Повторный звонок: электронный дневник так и не открывается.")
            .cancelled(at(11, 12, 5)),
        // route 0:10, take 0:20, open (resolve-by 12.11 13:20; more time denied)
        call(213, at(11, 13, 20), OtherChannel, Other, &who("Голубев Никита Романович", Student, Some("11А"), None, Some("golubev.n@list.ru")),
            "Не пришла справка об обучении, пароль от почты утерян.")
            .routed("head", at(11, 13, 30)).taken("belova", at(11, 13, 50))
            .extension_asked(at(14, 13, 20), at(12, 10, 0)).extension_decided(false, at(12, 11, 0)),
        // route 0:10, take 0:50 (late), open (resolve-by 12.11 15:40)
        call(214, at(11, 15, 40), ByPhone, Psych, &who("Виноградова Юлия Олеговна", Parent, Some("6А"), Some("8 926 444-55-66"), None),
            "Ребёнок испытывает тревожность, отказывается выходить из комнаты.")
            .routed("psych", at(11, 15, 50)).taken("orlova", at(11, 16, 40)),
        // route 9:30 (late: overnight), never taken (take-by 12.11 08:30)
        call(215, at(11, 22, 30), Web, Technical, &who("Комаров Игорь Алексеевич", Student, Some("9А"), None, Some("komarov.i@mail.ru")),
            "Видеосвязь не подключается, пароль сброшен, ошибка авторизации.")
            .routed("tech", at(12, 8, 0)),

        // ---- Thursday 12 November ---------------------------------------------------------
        // route 0:10, take 0:20, resolve 3:00
        call(216, at(12, 9, 10), ByPhone, Ejournal, &PETROVA,
            "Оценки в электронном дневнике пропали после обновления.")
            .routed("ejournal", at(12, 9, 20)).taken("smirnova", at(12, 9, 40)).resolved(at(12, 12, 10)),
        // route 0:20, take 0:15, resolve 5:00
        call(217, at(12, 10, 0), ByPhone, Technical, &SMIRNOV,
            "Видеосвязь обрывается каждые десять минут, ошибка соединения.")
            .routed("tech", at(12, 10, 20)).taken("kozlov", at(12, 10, 35)).resolved(at(12, 15, 0)),
        // route 0:10, take 0:50 (late), resolve 21:00
        call(218, at(12, 13, 0), Web, Ejournal, &SIDOROV,
            "Не могу войти в электронный дневник, пароль не принимается.")
            .routed("ejournal", at(12, 13, 10)).taken("smirnova", at(12, 14, 0)).resolved(at(13, 10, 0)),
        // route 0:10, take 0:15, resolve 18:30
        call(219, at(12, 17, 30), ByPhone, Psych, &who("Киселёва Анастасия Викторовна", Parent, Some("1Б"), Some("8 910 222-33-44"), None),
            "Тревожность и бессонница у ребёнка, просит поддержки.")
            .routed("psych", at(12, 17, 40)).taken("orlova", at(12, 17, 55)).resolved(at(13, 12, 0)),

        // ---- Friday 13 November -----------------------------------------------------------
        // route 0:10, take 0:20, resolve 2:00
        call(220, at(13, 8, 30), ByPhone, Technical, &VOLKOV_PHONE,
            "Пароль от платформы сбросился, видеосвязь не открывается.")
            .routed("tech", at(13, 8, 40)).taken("kozlov", at(13, 9, 0)).resolved(at(13, 10, 30)),
        // route 0:20, take 0:20, resolve 3:00
        call(221, at(13, 11, 0), Web, Other, &SIDOROV_CAPS,
            "Вопрос о расписании дистанционных занятий на следующую неделю.")
            .routed("head", at(13, 11, 20)).taken("belova", at(13, 11, 40)).resolved(at(13, 14, 0)),
        // route 0:50 (late), take 0:20, open (resolve-by 14.11 14:00)
        call(222, at(13, 14, 0), ByPhone, LessonQuality, &who("Макаров Сергей Владимирович", Teacher, None, Some("8 916 909-08-07"), None),
            "Ученики не слышат, что говорит Гусева на уроке, ошибка звука.")
            .routed("head", at(13, 14, 50)).taken("belova", at(13, 15, 10)),
        // route 0:10, never taken (take-by 13.11 17:00)
        call(223, at(13, 16, 20), ByPhone, Equipment, &who("Андреева Галина Фёдоровна", Parent, Some("2А"), Some("8 915 606-07-08"), None),
            "Нужна веб-камера для дистанционных уроков, своей нет.")
            .routed("head", at(13, 16, 30)),

        // ---- Saturday 14 November ---------------------------------------------------------
        // route 0:40 (late), take 0:20, resolve 3:00
        call(224, at(14, 10, 0), Web, Technical, &VOLKOV_BOTH,
            "Ошибка при входе на платформу, пароль верный.")
            .routed("tech", at(14, 10, 40)).taken("kozlov", at(14, 11, 0)).resolved(at(14, 13, 0)),
        // never routed (route-by 14.11 13:00)
        call(225, at(14, 12, 30), Web, Ejournal, &KUZNETSOVA,
            "Электронный дневник показывает чужие оценки."),

        // ---- Sunday 15 November -----------------------------------------------------------
        // route 0:10, take 0:20, resolve 1:00
        call(226, at(15, 11, 0), ByPhone, Ejournal, &KUZNETSOVA_E164,
            "Повторно: электронный дневник показывает чужие оценки, пароль меняли.")
            .routed("ejournal", at(15, 11, 10)).taken("smirnova", at(15, 11, 30)).resolved(at(15, 12, 0)),
        // spam, cancelled
        call(227, at(15, 20, 0), Web, Other, &who("Иванов Иван", Student, Some("5А"), None, Some("promo@spam.example.com")),
            "Реклама курсов, перейдите по ссылке site.example/promo")
            .cancelled(at(15, 20, 10)),

        // ---- Monday 16 November, before NOW (10:00) ---------------------------------------
        // not routed, route-by 09:30: 0:30 late at NOW
        call(228, at(16, 9, 0), ByPhone, Ejournal, &who("Полякова Алина Романовна", Parent, Some("6В"), Some("8 929 111-22-33"), None),
            "Пароль от дневника не подходит."),
        // routed 09:25, take-by 09:55: 0:05 late at NOW
        call(229, at(16, 9, 20), Web, Technical, &who("Жуков Степан Игоревич", Student, Some("7Б"), None, Some("zhukov.s@mail.ru")),
            "Видеосвязь не работает, пароль не подходит.")
            .routed("tech", at(16, 9, 25)),
        // not routed, route-by 10:15: not late yet
        call(230, at(16, 9, 45), ByPhone, Other, &who("Титова Вера Олеговна", Teacher, None, Some("8 903 999-00-11"), None),
            "Пароль от почты не подходит."),
    ]
}

/// The daily report of Wednesday 11 November 2026, made at `now()`.
pub fn wednesday() -> DailyReport {
    let date = NaiveDate::from_ymd_opt(2026, 11, 11).expect("date");
    daily(&requests(), date, moscow(), now(), &policy(), senders())
}

/// The weekly analysis of 2026-W46 with the head's proposals, made at `now()`.
pub fn week_46() -> WeeklyReport {
    weekly(
        &requests(),
        2026,
        46,
        moscow(),
        now(),
        &policy(),
        Some(proposals()),
    )
    .expect("W46 exists")
}
