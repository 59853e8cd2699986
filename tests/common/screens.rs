//! The console's screens as the snapshot tests draw them: a fixed clock, a welcome with
//! requests in every state, an app made from it, and keys pressed into it.

#![allow(dead_code)]

use chrono::FixedOffset;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use pult::domain::call_form::CallDraft;
use pult::domain::deadline::DeadlinePolicy;
use pult::domain::lifecycle::{self, Intake};
use pult::domain::policy::Policy;
use pult::domain::request::{Caller, CallerRole, Category, Channel, Request, RequestId};
use pult::domain::staff::Role;
use pult::domain::time::Timestamp;
use pult::domain::validate::{Email, Phone, SchoolClass};
use pult::service::Welcome;
use pult::tui::app::{update, App, Msg};
use pult::tui::keymap::Keymap;
use pult::tui::theme::Theme;
use pult::tui::view::view;

use super::people::staff;

/// 28.11.2026 14:32:00 Moscow time (a Saturday).
pub const NOW: Timestamp = Timestamp(1_795_865_520_000);

pub fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).unwrap()
}

pub fn request(
    id: u64,
    minutes_ago: i64,
    name: &str,
    role: CallerRole,
    class: Option<&str>,
    category: Category,
) -> Request {
    lifecycle::receive(
        RequestId(id),
        Intake {
            channel: Channel::Phone,
            received_at: Timestamp(NOW.0 - minutes_ago * 60_000),
            logged_by: "ivanova".into(),
            caller: Caller {
                name: name.into(),
                role,
                class: class.map(|c| SchoolClass::parse(c).unwrap()),
                phone: Some(Phone::parse("8 912 345-67-89").unwrap()),
                email: Some(Email::parse("petrova@mail.ru").unwrap()),
            },
            category,
            description: "Не открывается электронный дневник, пишет «ошибка входа».".into(),
            consent: None,
        },
        &DeadlinePolicy::default(),
    )
}

pub fn welcome(draft: Option<CallDraft>) -> Welcome {
    // the fixture's deadlines are on the clock (a test puts hours in where it shows them)
    let policy = Policy::parse(&super::clock_policy()).unwrap();
    let deadlines = policy.deadlines;
    let routed = |r: Request, queue: &str, minutes_ago: i64| {
        lifecycle::route(
            &r,
            queue,
            &deadlines,
            Timestamp(NOW.0 - minutes_ago * 60_000),
        )
        .unwrap()
    };
    let open = vec![
        request(
            124,
            30,
            "Петрова Анна Ивановна",
            CallerRole::Parent,
            Some("5А"),
            Category::Ejournal,
        ),
        request(
            125,
            12,
            "Сидоров Пётр",
            CallerRole::Student,
            Some("9Б"),
            Category::Technical,
        ),
        request(
            126,
            2,
            "Кузнецова Ирина Владимировна",
            CallerRole::Teacher,
            None,
            Category::LessonQuality,
        ),
        routed(
            request(
                120,
                50,
                "Волков Артём",
                CallerRole::Student,
                Some("11А"),
                Category::Technical,
            ),
            "tech",
            40,
        ),
        routed(
            request(
                118,
                70,
                "Лебедева Наталья",
                CallerRole::Parent,
                Some("2В"),
                Category::Psych,
            ),
            "psych",
            20,
        ),
        routed(
            request(
                101,
                1_505,
                "Громова Татьяна",
                CallerRole::Teacher,
                None,
                Category::Other,
            ),
            "head",
            1_400,
        ),
    ];
    Welcome {
        me: staff("ivanova", "Иванова Анна Сергеевна", &[Role::Operator]),
        policy,
        staff: vec![
            staff("ivanova", "Иванова Анна Сергеевна", &[Role::Operator]),
            staff("smirnova", "Смирнова Елена Викторовна", &[Role::Ejournal]),
            staff("kozlov", "Козлов Андрей Петрович", &[Role::Tech]),
            staff("orlova", "Орлова Мария Александровна", &[Role::Psych]),
            staff("belova", "Белова Ольга Николаевна", &[Role::Head]),
        ],
        open,
        draft,
        mail: None,
    }
}

pub fn app(draft: Option<CallDraft>) -> App {
    app_from(welcome(draft))
}

/// The console as it opens on `welcome` at `NOW`, Moscow time, default keys.
pub fn app_from(welcome: Welcome) -> App {
    App::new(
        welcome,
        Keymap::parse_with_override(None).unwrap(),
        Theme::monochrome(),
        NOW,
        moscow(),
    )
}

pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| view(frame, app)).unwrap();
    terminal.backend().to_string()
}

pub fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), NOW);
}

pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub fn filled_form() -> App {
    let mut app = app(None);
    key(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Петрова Анна Ивановна");
    key(&mut app, KeyCode::Tab);
    // a choice's digit moves on by itself
    type_text(&mut app, "3");
    type_text(&mut app, "5а");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "2");
    type_text(&mut app, "Не открывается дневник");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "8 912 345");
    app
}
