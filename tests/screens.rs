//! Snapshots of the real screens (ratatui TestBackend + insta) at 80×24 and 160×48 with a
//! fixed clock, and a sweep of small and odd sizes that must never panic.

mod common;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use pult::domain::call_form::CallDraft;
use pult::domain::deadline::DeadlinePolicy;
use pult::domain::lifecycle::{self};
use pult::domain::request::{CallerRole, Category, Request, RequestId};
use pult::domain::staff::Role;
use pult::domain::time::Timestamp;
use pult::domain::validate::{Email, Phone, SchoolClass};
use pult::service::Event;
use pult::tui::app::{update, App, Msg};
use pult::tui::view::view;

use common::people::staff;

use common::screens::*;

#[test]
fn board_80x24() {
    insta::assert_snapshot!(render(&app(None), 80, 24));
}

#[test]
fn board_160x48() {
    insta::assert_snapshot!(render(&app(None), 160, 48));
}

#[test]
fn board_narrow_shows_one_pane_at_a_time() {
    let mut app = app(None);
    insta::assert_snapshot!("narrow_incoming", render(&app, 60, 20));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("narrow_timers", render(&app, 60, 20));
}

#[test]
fn form_80x24_with_reasons_beside_the_fields() {
    insta::assert_snapshot!(render(&filled_form(), 80, 24));
}

#[test]
fn form_160x48() {
    insta::assert_snapshot!(render(&filled_form(), 160, 48));
}

#[test]
fn form_asks_before_throwing_away_what_was_typed() {
    let mut app = filled_form();
    key(&mut app, KeyCode::Esc);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn route_offer_after_saving() {
    let mut app = app(None);
    let saved = request(
        127,
        1,
        "Петрова Анна",
        CallerRole::Parent,
        Some("5А"),
        Category::Ejournal,
    );
    update(
        &mut app,
        Msg::Event(Event::RequestChanged {
            request: saved,
            by: "ivanova".into(),
        }),
        NOW,
    );
    app.screen = pult::tui::app::Screen::RouteOffer { id: RequestId(127) };
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn help_lists_every_key() {
    let mut app = app(None);
    key(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 80, 40);
    insta::assert_snapshot!(screen);
    // an operator's board: new call and the route digits, not the head's or a specialist's
    assert!(
        screen.contains("Клавиши: Главный экран") || screen.contains("Клавиши:"),
        "{screen}"
    );
    assert!(screen.contains("1-4"), "{screen}");
    for theirs in ["согласовать", "взять в работу", "переоткрыть"]
    {
        assert!(
            !screen.contains(theirs),
            "«{theirs}» is not an operator's:\n{screen}"
        );
    }
}

#[test]
fn help_is_the_keys_of_the_window_and_of_the_persons_roles() {
    // a specialist's board: their work, no new call, no routing digits
    let mut specialist = specialist_app();
    key(&mut specialist, KeyCode::Char('?'));
    let screen = render(&specialist, 80, 40);
    assert!(screen.contains("взять"), "{screen}");
    assert!(!screen.contains("1-4"), "{screen}");
    assert!(!screen.contains("звонок"), "{screen}");
    key(&mut specialist, KeyCode::Esc);
    assert!(matches!(specialist.screen, pult::tui::app::Screen::Board));

    // the form's help (F1: «?» is typed there) has the choice digits; Esc is back in the form
    let mut form = filled_form();
    key(&mut form, KeyCode::F(1));
    let screen = render(&form, 80, 40);
    insta::assert_snapshot!("help_of_the_form", screen);
    assert!(screen.contains("роль обратившегося"), "{screen}");
    assert!(screen.contains("1-6"), "{screen}");
    assert!(!screen.contains("направить"), "{screen}");
    key(&mut form, KeyCode::Esc);
    let back = render(&form, 80, 24);
    assert!(back.contains("Петрова Анна Ивановна"), "{back}");

    // the detail's help has its own keys and the changes this person may make
    let mut head = head_with_a_pending_extension();
    key(&mut head, KeyCode::Tab);
    key(&mut head, KeyCode::Enter);
    key(&mut head, KeyCode::Char('?'));
    let screen = render(&head, 80, 40);
    assert!(screen.contains("согласовать"), "{screen}");
    assert!(screen.contains("переоткрыть"), "{screen}");
}

#[test]
fn detail_of_the_selected_request() {
    let mut app = app(None);
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn a_restored_draft_opens_the_form_with_a_note() {
    let draft = CallDraft {
        answered_at: Some(Timestamp(NOW.0 - 120_000)),
        name: "Сидоров Пётр".into(),
        description: "нет звука".into(),
        ..CallDraft::default()
    };
    let screen = render(&app(Some(draft)), 80, 24);
    assert!(screen.contains("Сидоров Пётр"), "{screen}");
    assert!(
        screen.contains("Восстановлен несохранённый звонок от 14:30"),
        "{screen}"
    );
}

#[test]
fn countdowns_move_with_the_clock_and_overdue_counts_up_with_a_minus() {
    let mut app = app(None);
    let before = render(&app, 80, 24);
    assert!(before.contains("00:00"), "{before}");
    update(&mut app, Msg::Tick, Timestamp(NOW.0 + 65_000));
    let after = render(&app, 80, 24);
    assert!(after.contains("-01:05!"), "{after}");
}

#[test]
fn every_screen_survives_every_small_size() {
    let mut apps = vec![app(None), filled_form()];
    let mut help = app(None);
    key(&mut help, KeyCode::Char('?'));
    apps.push(help);
    let mut detail = app(None);
    key(&mut detail, KeyCode::Enter);
    apps.push(detail);
    for app in &apps {
        for width in (0..=100).step_by(3) {
            for height in 0..=30 {
                let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
                terminal.draw(|frame| view(frame, app)).unwrap();
            }
        }
    }
}

#[test]
fn the_heads_board_opens_on_the_queues_with_overdue_ones_first() {
    let mut welcome = welcome(None);
    welcome.me = staff("belova", "Белова Ольга Николаевна", &[Role::Head]);
    let app = app_from(welcome);
    let screen = render(&app, 80, 24);
    insta::assert_snapshot!(screen);
    // queue 2 (tech) and 4 (head) have overdue requests: they come first, numbers kept
    let tech = screen.find("2 Техн.").unwrap();
    let ejournal = screen.find("1 ЭЖД").unwrap();
    assert!(tech < ejournal, "{screen}");
}

fn specialist_app() -> App {
    let mut welcome = welcome(None);
    welcome.me = staff("kozlov", "Козлов Андрей Петрович", &[Role::Tech]);
    app_from(welcome)
}

#[test]
fn a_specialists_board_shows_their_queue_and_their_keys() {
    let screen = render(&specialist_app(), 80, 24);
    insta::assert_snapshot!(screen);
    assert!(screen.contains("Моя очередь 1"), "{screen}");
    assert!(screen.contains("№120"), "{screen}");
    assert!(screen.contains("t взять"), "{screen}");
}

#[test]
fn closing_asks_for_the_result_and_offers_the_callers_channels() {
    let mut app = specialist_app();
    key(&mut app, KeyCode::Char('c'));
    let screen = render(&app, 80, 24);
    insta::assert_snapshot!(screen);
    assert!(screen.contains("Закрыть с результатом · №120"), "{screen}");
    assert!(
        screen.contains("сообщили по телефону +7 912 345-67-89"),
        "{screen}"
    );
    assert!(screen.contains("написали на petrova@mail.ru"), "{screen}");
}

#[test]
fn a_request_routed_into_my_queue_rings_once_and_says_so() {
    use pult::tui::app::Effect;
    let mut app = specialist_app();
    let policy = DeadlinePolicy::default();
    let fresh = request(
        130,
        1,
        "Егорова Дарья",
        CallerRole::Student,
        Some("7Г"),
        Category::Technical,
    );
    let routed = lifecycle::route(&fresh, "tech", &policy, NOW).unwrap();
    let effects = update(
        &mut app,
        Msg::Event(Event::RequestChanged {
            request: routed.clone(),
            by: "ivanova".into(),
        }),
        NOW,
    );
    assert_eq!(effects, vec![Effect::Bell]);
    assert!(render(&app, 80, 24).contains("№130 направлено в вашу очередь"));
    // the same state again (e.g. a note elsewhere) does not ring
    let effects = update(
        &mut app,
        Msg::Event(Event::RequestChanged {
            request: routed,
            by: "ivanova".into(),
        }),
        NOW,
    );
    assert!(effects.is_empty());
}

/// Sends a key and returns the token of the command it sent, if it sent one.
fn key_sending(app: &mut App, code: KeyCode) -> Option<(u64, pult::service::Command)> {
    use pult::tui::app::Effect;
    let effects = update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), NOW);
    effects.into_iter().find_map(|effect| match effect {
        Effect::Send { token, command } => Some((token, command)),
        Effect::Bell => None,
    })
}

fn reply(app: &mut App, token: u64, reply: pult::service::Reply) {
    update(
        app,
        Msg::Reply {
            token,
            result: Ok(reply),
        },
        NOW,
    );
}

fn card() -> pult::domain::caller::CallerCard {
    pult::domain::caller::CallerCard {
        id: pult::domain::caller::CallerId(7),
        name: "Петрова Анна Ивановна".into(),
        role: CallerRole::Parent,
        class: Some(SchoolClass::parse("5А").unwrap()),
        phones: vec![Phone::parse("8 912 345-67-89").unwrap()],
        emails: vec![Email::parse("petrova@mail.ru").unwrap()],
        requests: vec![RequestId(88), RequestId(124)],
    }
}

#[test]
fn detail_with_the_timeline_and_the_callers_earlier_requests() {
    use pult::service::{Command, Detail, Hit, Reply};
    use pult::store::{AuditAction, AuditEvent};
    let mut app = app(None);
    let (token, command) = key_sending(&mut app, KeyCode::Enter).expect("asks the server");
    assert_eq!(command, Command::OpenDetail { id: RequestId(124) });
    let shown = app.open.get(RequestId(124)).unwrap().clone();
    let mut earlier = request(
        88,
        60 * 24 * 9,
        "Петрова Анна Ивановна",
        CallerRole::Parent,
        Some("5А"),
        Category::Ejournal,
    );
    earlier.status = pult::domain::request::Status::Resolved;
    let detail = Detail {
        request: shown,
        timeline: vec![AuditEvent {
            at: Timestamp(NOW.0 - 30 * 60_000),
            actor: "ivanova".into(),
            request: RequestId(124),
            action: AuditAction::Logged,
        }],
        caller: Some(card()),
        earlier: vec![Hit::of(&earlier)],
    };
    reply(
        &mut app,
        token,
        Reply::Detail {
            detail: Box::new(detail),
        },
    );
    insta::assert_snapshot!(render(&app, 100, 30));
    // Esc goes back to the board
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.screen, pult::tui::app::Screen::Board));
}

#[test]
fn search_shows_the_latest_answer_and_opens_the_detail() {
    use pult::service::{Command, Found, Hit, Reply};
    let mut app = app(None);
    key(&mut app, KeyCode::Char('/'));
    let mut sent = Vec::new();
    for c in "петр".chars() {
        sent.push(key_sending(&mut app, KeyCode::Char(c)).expect("each keystroke asks"));
    }
    assert_eq!(
        sent.last().unwrap().1,
        Command::Search {
            query: "петр".into()
        }
    );
    let mut closed = request(
        88,
        60 * 24 * 9,
        "Петрова Анна Ивановна",
        CallerRole::Parent,
        Some("5А"),
        Category::Ejournal,
    );
    closed.status = pult::domain::request::Status::Resolved;
    let hits = vec![
        Hit::of(app.open.get(RequestId(124)).unwrap()),
        Hit::of(app.open.get(RequestId(125)).unwrap()),
        Hit::of(&closed),
    ];
    // an answer to an older keystroke is dropped
    reply(
        &mut app,
        sent[0].0,
        Reply::Found {
            found: Found {
                hits: Vec::new(),
                total: 0,
                partial: false,
            },
        },
    );
    reply(
        &mut app,
        sent[3].0,
        Reply::Found {
            found: Found {
                hits,
                total: 3,
                partial: false,
            },
        },
    );
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    insta::assert_snapshot!(render(&app, 100, 24));
    let (_, command) = key_sending(&mut app, KeyCode::Enter).expect("opens the detail");
    assert_eq!(command, Command::OpenDetail { id: RequestId(88) });
    // Esc from that detail goes back to the search as it was
    key(&mut app, KeyCode::Esc);
    assert!(render(&app, 100, 24).contains("Найдено: 3"));
}

/// A new form with a whole phone typed; the lookup it sends.
fn phone_typed_in_a_new_form(app: &mut App) -> (u64, pult::service::Command) {
    key(app, KeyCode::Char('n'));
    for _ in 0..5 {
        key(app, KeyCode::Tab);
    }
    let mut asked = None;
    for c in "89123456789".chars() {
        if let Some(sent) = key_sending(app, KeyCode::Char(c)) {
            asked = Some(sent);
        }
    }
    asked.expect("a whole phone is looked up")
}

#[test]
fn the_form_offers_a_known_caller_and_one_key_fills_them_in() {
    use pult::service::{Command, Reply};
    let mut app = app(None);
    let (token, command) = phone_typed_in_a_new_form(&mut app);
    assert_eq!(
        command,
        Command::FindCaller {
            phone: Some("+79123456789".into()),
            email: None
        }
    );
    reply(
        &mut app,
        token,
        Reply::People {
            cards: vec![card()],
        },
    );
    insta::assert_snapshot!(render(&app, 80, 24));
    key(&mut app, KeyCode::F(2));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Петрова Анна Ивановна"), "{screen}");
    assert!(screen.contains("5А"), "{screen}");
    assert!(screen.contains("petrova@mail.ru"), "{screen}");
    // the call goes on the card taken
    let pult::tui::app::Screen::Form(form) = &app.screen else {
        panic!("not the form");
    };
    assert_eq!(form.draft().caller_card, Some(card().id));
}

#[test]
fn several_people_on_one_phone_are_offered_and_a_digit_takes_one() {
    use pult::service::{Command, Reply};
    let mut app = app(None);
    let (token, command) = phone_typed_in_a_new_form(&mut app);
    assert!(matches!(command, Command::FindCaller { .. }));
    let mother = pult::domain::caller::CallerCard {
        name: "Петрова Светлана Юрьевна".into(),
        ..card()
    };
    let son = pult::domain::caller::CallerCard {
        id: pult::domain::caller::CallerId(9),
        name: "Петров Иван".into(),
        role: CallerRole::Student,
        emails: Vec::new(),
        requests: vec![RequestId(130)],
        ..card()
    };
    reply(
        &mut app,
        token,
        Reply::People {
            cards: vec![mother, son],
        },
    );
    let screen = render(&app, 100, 30);
    insta::assert_snapshot!("several_people_on_one_phone", screen);
    assert!(
        screen.contains("на этом номере: 1 Петрова С. Ю., родитель 5А; 2 Петров И., ученик 5А"),
        "{screen}"
    );
    key(&mut app, KeyCode::F(2));
    assert!(render(&app, 100, 30).contains("Кто звонит? 1 Петрова С. Ю."));
    key(&mut app, KeyCode::Char('2'));
    let pult::tui::app::Screen::Form(form) = &app.screen else {
        panic!("not the form");
    };
    assert_eq!(form.name.text(), "Петров Иван");
    assert_eq!(
        form.draft().caller_card,
        Some(pult::domain::caller::CallerId(9))
    );
    // the digit was a choice, not typed into the phone
    assert_eq!(form.phone.text(), "89123456789");
}

#[test]
fn help_scrolls_on_a_small_terminal() {
    let mut app = app(None);
    key(&mut app, KeyCode::Char('?'));
    let top = render(&app, 80, 14);
    for _ in 0..80 {
        key(&mut app, KeyCode::Char('j'));
    }
    let bottom = render(&app, 80, 14);
    assert!(!top.contains("русской раскладке"), "{top}");
    assert!(bottom.contains("русской раскладке"), "{bottom}");
}

#[test]
fn a_request_becoming_overdue_rings_once_and_is_named() {
    use pult::tui::app::Effect;
    let mut app = app(None);
    // №124's route-by is at NOW; a second later it is overdue
    let effects = update(&mut app, Msg::Tick, Timestamp(NOW.0 + 1_000));
    assert!(effects.contains(&Effect::Bell), "{effects:?}");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Просрочено: №124"), "{screen}");
    let effects = update(&mut app, Msg::Tick, Timestamp(NOW.0 + 2_000));
    assert!(!effects.contains(&Effect::Bell), "{effects:?}");
}

fn app_as(roles: &[Role]) -> App {
    let mut welcome = welcome(None);
    welcome.me.roles = roles.to_vec();
    app_from(welcome)
}

fn daily_report(app: &App, date: chrono::NaiveDate) -> pult::report::DailyReport {
    let open: Vec<Request> = app.open.incoming(0).cloned().collect::<Vec<_>>();
    pult::report::daily(
        &open,
        date,
        moscow(),
        NOW,
        &app.policy,
        vec!["Иванова Анна Сергеевна".into()],
    )
}

#[test]
fn f5_opens_the_daily_report_and_arrows_walk_the_days() {
    use pult::service::{Command, Reply};
    let mut app = app(None);
    let (token, command) = key_sending(&mut app, KeyCode::F(5)).expect("asks for the report");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    assert_eq!(
        command,
        Command::DailyReport {
            date: Some(today),
            offset_seconds: 3 * 3600
        }
    );
    assert!(render(&app, 80, 24).contains("составляется"));
    let report = daily_report(&app, today);
    reply(
        &mut app,
        token,
        Reply::Daily {
            report: Box::new(report),
        },
    );
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Ежедневный отчёт"), "{screen}");
    // the operator reads no weekly analysis: Tab asks for nothing
    assert!(key_sending(&mut app, KeyCode::Tab).is_none());
    let (_, command) = key_sending(&mut app, KeyCode::Left).expect("the day before");
    assert_eq!(
        command,
        Command::DailyReport {
            date: today.pred_opt(),
            offset_seconds: 3 * 3600
        }
    );
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.screen, pult::tui::app::Screen::Board));
}

#[test]
fn the_head_writes_the_weeks_proposals_in_the_reports_window() {
    use pult::service::{Command, Reply};
    let mut app = app_as(&[Role::Head]);
    key_sending(&mut app, KeyCode::F(5)).expect("daily");
    let (token, command) = key_sending(&mut app, KeyCode::Tab).expect("weekly");
    assert_eq!(
        command,
        Command::WeeklyReport {
            week: Some((2026, 47)),
            offset_seconds: 3 * 3600
        }
    );
    let report = pult::report::weekly(&[], 2026, 47, moscow(), NOW, &app.policy, None).unwrap();
    reply(
        &mut app,
        token,
        Reply::Weekly {
            report: Box::new(report),
        },
    );
    key(&mut app, KeyCode::Char('p'));
    type_text(&mut app, "Провести вебинар для родителей");
    assert!(render(&app, 100, 30).contains("Предложения директору"));
    let effects = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        NOW,
    );
    let Some(pult::tui::app::Effect::Send { token, command }) = effects.into_iter().next() else {
        panic!("saves")
    };
    assert_eq!(
        command,
        Command::SaveProposals {
            year: 2026,
            week: 47,
            text: "Провести вебинар для родителей".into()
        }
    );
    let effects = update(
        &mut app,
        Msg::Reply {
            token,
            result: Ok(Reply::Done),
        },
        NOW,
    );
    // kept: the analysis is asked for again, with the proposals in it
    assert!(matches!(
        effects.as_slice(),
        [pult::tui::app::Effect::Send {
            command: Command::WeeklyReport { .. },
            ..
        }]
    ));
}

#[test]
fn the_directors_console_opens_on_the_weeks_analysis() {
    use pult::service::Command;
    let mut app = app_as(&[Role::Director]);
    assert!(matches!(app.screen, pult::tui::app::Screen::Report(_)));
    let effects = update(&mut app, Msg::Tick, Timestamp(NOW.0 + 1_000));
    assert!(effects.iter().any(|effect| matches!(
        effect,
        pult::tui::app::Effect::Send {
            command: Command::WeeklyReport { .. },
            ..
        }
    )));
}

#[test]
fn the_heads_board_says_when_the_server_stops_saving_and_when_it_saves_again() {
    let mut welcome = welcome(None);
    welcome.me = staff("belova", "Белова Ольга Николаевна", &[Role::Head]);
    let mut app = app_from(welcome);
    update(
        &mut app,
        Msg::Event(Event::StoreState {
            trouble: Some("диск сервера заполнен".into()),
        }),
        NOW,
    );
    let screen = render(&app, 80, 24);
    insta::assert_snapshot!(screen);
    assert!(screen.contains("СЕРВЕР НЕ СОХРАНЯЕТ ИЗМЕНЕНИЯ"), "{screen}");
    assert!(screen.contains("диск сервера заполнен"), "{screen}");
    update(
        &mut app,
        Msg::Event(Event::StoreState { trouble: None }),
        NOW,
    );
    let screen = render(&app, 80, 24);
    assert!(!screen.contains("НЕ СОХРАНЯЕТ"), "{screen}");
    assert!(
        screen.contains("Сервер снова сохраняет изменения"),
        "{screen}"
    );
}

#[test]
fn a_reconnected_console_forgets_the_old_servers_trouble() {
    let mut app = app(None);
    update(
        &mut app,
        Msg::Event(Event::StoreState {
            trouble: Some("диск сервера заполнен".into()),
        }),
        NOW,
    );
    update(&mut app, Msg::Reconnected(Box::new(welcome(None))), NOW);
    // a server still unable to save sends its state again after the welcome
    assert!(!render(&app, 80, 24).contains("НЕ СОХРАНЯЕТ"));
}

#[test]
fn changing_the_type_offers_the_other_types_and_then_the_new_suggested_queue() {
    use pult::domain::change::Change;
    use pult::service::{Command, Reply};
    let mut app = app(None);
    let selected = app
        .selected_request()
        .expect("a request in Входящие")
        .clone();
    assert_eq!(selected.category, Category::Ejournal);
    key(&mut app, KeyCode::Char('i'));
    let prompt = render(&app, 80, 24);
    insta::assert_snapshot!(prompt);
    assert!(prompt.contains("Изменить тип обращения"), "{prompt}");
    assert!(
        !prompt.contains("проблема с ЭЖД"),
        "its own type is not offered: {prompt}"
    );
    // 1 is the first other type: technical problems
    key(&mut app, KeyCode::Char('1'));
    let (token, command) = key_sending(&mut app, KeyCode::Enter).expect("asks the server");
    assert_eq!(
        command,
        Command::Change {
            id: selected.id,
            change: Change::ChangeType {
                category: Category::Technical
            }
        }
    );
    let mut retyped = selected.clone();
    retyped.category = Category::Technical;
    reply(&mut app, token, Reply::Changed { request: retyped });
    let offer = render(&app, 80, 24);
    insta::assert_snapshot!(offer);
    assert!(
        matches!(app.screen, pult::tui::app::Screen::RouteOffer { id } if id == selected.id),
        "{offer}"
    );
    // Enter routes to the queue the new type suggests
    let (_, routed) = key_sending(&mut app, KeyCode::Enter).expect("routes");
    assert_eq!(
        routed,
        Command::Change {
            id: selected.id,
            change: Change::Route {
                queue: "tech".into()
            }
        }
    );
}

/// The fixture's №120 (tech), taken into work by Козлов, then changed by `then`.
fn with_120_taken(welcome: &mut pult::service::Welcome, then: impl FnOnce(Request) -> Request) {
    let at = welcome
        .open
        .iter()
        .position(|request| request.id == RequestId(120))
        .unwrap();
    let taken = lifecycle::take(&welcome.open[at], "kozlov", NOW).unwrap();
    welcome.open[at] = then(taken);
}

/// The head's board over the fixture, with №120 (tech, in work by Козлов) asking for 48 hours
/// more.
fn head_with_a_pending_extension() -> App {
    let mut welcome = welcome(None);
    welcome.me = staff("belova", "Белова Ольга Николаевна", &[Role::Head]);
    with_120_taken(&mut welcome, |taken| {
        let until = Timestamp(taken.deadlines.resolve_by.0 + 48 * 3_600_000);
        lifecycle::ask_extension(
            &taken,
            "kozlov",
            "ждём ответа поставщика платформы",
            until,
            NOW,
        )
        .unwrap()
    });
    app_from(welcome)
}

#[test]
fn the_heads_approval_dialog_shows_what_was_asked() {
    let mut app = head_with_a_pending_extension();
    // the timers pane lists the pending request first
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.selected_request().map(|r| r.id), Some(RequestId(120)));
    key(&mut app, KeyCode::Char('g'));
    let screen = render(&app, 80, 24);
    insta::assert_snapshot!(screen);
    assert!(screen.contains("Просит продлить на 48 ч: до"), "{screen}");
    assert!(screen.contains("(Козлов А. П.)"), "{screen}");
    assert!(
        screen.contains("Причина: ждём ответа поставщика платформы"),
        "{screen}"
    );
}

/// The footer's hints, as the pieces between double spaces.
fn footer_hints(screen: &str) -> Vec<String> {
    let footer = screen.lines().last().unwrap_or_default().trim_matches('"');
    footer
        .split("  ")
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn footer_hints_are_dropped_whole_least_important_first_at_every_width() {
    let screens: Vec<(&str, App)> = vec![
        ("operator", app(None)),
        ("specialist", specialist_app()),
        ("head", head_with_a_pending_extension()),
        ("prompt", {
            let mut app = head_with_a_pending_extension();
            key(&mut app, KeyCode::Tab);
            key(&mut app, KeyCode::Char('g'));
            app
        }),
    ];
    for (who, app) in &screens {
        let all = footer_hints(&render(app, 400, 24));
        for width in 80..=200 {
            let shown = footer_hints(&render(app, width, 24));
            assert!(
                !shown.is_empty() && all.starts_with(&shown),
                "{who} at {width} columns shows {shown:?}, not the first of {all:?}"
            );
        }
    }
}

#[test]
fn enter_on_a_queue_opens_its_list_most_urgent_first_with_filters_and_work_keys() {
    let mut app = head_with_a_pending_extension();
    // the head's board opens on the queues, overdue first: 4 Рук. on top
    assert_eq!(app.selected_queue().map(|q| q.key.as_str()), Some("head"));
    while app.selected_queue().map(|q| q.key.as_str()) != Some("tech") {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    insta::assert_snapshot!("queue_list_80x24", screen);
    assert!(
        screen.contains("Очередь «Технический специалист»"),
        "{screen}"
    );
    assert!(screen.contains("▶№120"), "{screen}");
    assert!(screen.contains("№120"), "{screen}");
    assert!(screen.contains("Козлов А. П."), "{screen}");
    assert!(screen.contains("g согласовать"), "{screen}");
    insta::assert_snapshot!("queue_list_160x48", render(&app, 160, 48));
    // only what is not taken yet: №120 is Козлов's
    key(&mut app, KeyCode::Char('p'));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("ещё не взятые"), "{screen}");
    assert!(!screen.contains("№120"), "{screen}");
    key(&mut app, KeyCode::Char('p'));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("исполнитель: Козлов А. П."), "{screen}");
    assert!(screen.contains("№120"), "{screen}");
    // Esc goes back to the board
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.screen, pult::tui::app::Screen::Board));
}

#[test]
fn a_queue_the_person_may_not_see_is_not_opened() {
    let mut app = specialist_app();
    key(&mut app, KeyCode::Tab);
    // the specialist's queues pane: 1 ЭЖД is not theirs to see
    assert_eq!(
        app.selected_queue().map(|q| q.key.as_str()),
        Some("ejournal")
    );
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.screen, pult::tui::app::Screen::Board));
    assert!(
        render(&app, 80, 24).contains("Обращения очереди «ЭЖД» вам не видны"),
        "{}",
        render(&app, 80, 24)
    );
}

#[test]
fn a_request_returned_to_the_dispatcher_is_marked_in_incoming_with_its_reason() {
    let mut welcome = welcome(None);
    let policy = welcome.policy.clone();
    with_120_taken(&mut welcome, |taken| {
        pult::domain::change::Change::Return {
            reason: "это вопрос журнала".into(),
        }
        .apply(&taken, "kozlov", &policy, NOW)
        .unwrap()
    });
    let screen = render(&app_from(welcome), 160, 48);
    assert!(screen.contains("↩ это вопрос журнала"), "{screen}");
}

/// A specialist's console where mail is set up: the school's shipped result template.
fn specialist_with_mail() -> App {
    let mut welcome = welcome(None);
    welcome.me = staff("kozlov", "Козлов Андрей Петрович", &[Role::Tech]);
    let shipped = include_str!("../assets/mail/result.txt");
    welcome.mail = Some(pult::domain::mail::ConsoleMail {
        result: pult::domain::mail::Template::parse(shipped, "Ответ")
            .signed("Служба сопровождения", "8 (800) 100-20-30"),
        acknowledges: true,
    });
    app_from(welcome)
}

#[test]
fn closing_by_email_shows_the_message_that_will_go_and_sends_it_as_edited() {
    let mut app = specialist_with_mail();
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('2'));
    type_text(&mut app, "Пароль сброшен");
    let screen = render(&app, 100, 40);
    insta::assert_snapshot!(screen);
    assert!(
        screen.contains("Письмо (Tab — изменить): Ответ по обращению №120"),
        "{screen}"
    );
    assert!(screen.contains("Пароль сброшен"), "{screen}");
    assert!(
        screen.contains("Специалист: Козлов Андрей Петрович"),
        "{screen}"
    );
    // moving about the message changes nothing: it still follows the result line
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, ", войдите снова");
    let screen = render(&app, 100, 40);
    assert!(screen.contains("Пароль сброшен, войдите снова"), "{screen}");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::End);
    // the message itself edited: it no longer follows the result line
    type_text(&mut app, " Всего доброго!");
    let screen = render(&app, 100, 40);
    assert!(screen.contains("Всего доброго!"), "{screen}");
    let (_, command) = key_sending(&mut app, KeyCode::Enter).expect("sent");
    let pult::service::Command::Change {
        change:
            pult::domain::change::Change::Resolve {
                text,
                returned_by,
                message,
            },
        ..
    } = command
    else {
        panic!("{command:?}")
    };
    assert_eq!(text, "Пароль сброшен, войдите снова");
    assert_eq!(returned_by, pult::domain::request::ReturnChannel::Email);
    let message = message.expect("the message as shown");
    assert!(
        message.contains("Пароль сброшен, войдите снова"),
        "{message}"
    );
    assert!(message.ends_with("Всего доброго!"), "{message}");
}

#[test]
fn closing_by_phone_sends_no_message_and_without_mail_the_prompt_says_so() {
    let mut app = specialist_with_mail();
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('1'));
    type_text(&mut app, "Пароль сброшен");
    assert!(!render(&app, 100, 40).contains("Письмо"));
    let Some((_, pult::service::Command::Change { change, .. })) =
        key_sending(&mut app, KeyCode::Enter)
    else {
        panic!("nothing sent")
    };
    assert!(
        matches!(
            change,
            pult::domain::change::Change::Resolve { message: None, .. }
        ),
        "{change:?}"
    );
    let mut app = specialist_app();
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('2'));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Почта в pult не настроена: письмо с результатом отправьте сами"),
        "{screen}"
    );
}

#[test]
fn a_result_mail_did_not_deliver_is_work_on_the_board_with_a_timer_to_phone() {
    let mut welcome = welcome(None);
    welcome.me = staff("kozlov", "Козлов Андрей Петрович", &[Role::Tech]);
    with_120_taken(&mut welcome, |taken| {
        lifecycle::mail_undelivered(
            &taken,
            pult::domain::request::Undelivered {
                at: Timestamp(NOW.0 - 10 * 60_000),
                to: "petrova@mail.ru".into(),
                reason: "550 5.1.1 нет такого ящика".into(),
            },
        )
    });
    let mut head = welcome.clone();
    let app = app_from(welcome);
    let screen = render(&app, 80, 24);
    insta::assert_snapshot!(screen);
    assert!(
        screen.contains("письмо не доставлено — позвоните"),
        "{screen}"
    );
    assert!(screen.contains("позвонить"), "{screen}");
    head.me = staff("belova", "Белова Ольга Николаевна", &[Role::Head]);
    let screen = render(&app_from(head), 160, 48);
    assert!(screen.contains("позвонить"), "{screen}");
}

#[test]
fn f3_ticks_the_acknowledgement_by_email_where_the_school_sends_them() {
    let mut welcome = welcome(None);
    welcome.mail = specialist_with_mail().mail;
    let mut ticked = app_from(welcome);
    key(&mut ticked, KeyCode::Char('n'));
    assert!(render(&ticked, 100, 40).contains("[ ] подтверждение на почту (F3)"));
    key(&mut ticked, KeyCode::F(3));
    let screen = render(&ticked, 100, 40);
    assert!(
        screen.contains("[x] подтверждение на почту (F3)"),
        "{screen}"
    );
    let pult::tui::app::Screen::Form(form) = &ticked.screen else {
        panic!("the form is open")
    };
    assert!(form.draft().acknowledge);
    // where the school does not send them, there is no tick and F3 says why
    let mut app = app(None);
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::F(3));
    let screen = render(&app, 100, 40);
    assert!(!screen.contains("подтверждение на почту"), "{screen}");
    assert!(
        screen.contains("подтверждения по почте не включены"),
        "{screen}"
    );
}

#[test]
fn outside_the_service_hours_the_timers_say_when_they_go_on() {
    let mut welcome = welcome(None);
    welcome.policy.hours = Some(pult::domain::hours::HoursFile {
        zone: "Europe/Moscow".into(),
        week: vec!["пн-пт 08:00-20:00".into()],
        production_calendar: true,
        closed: Vec::new(),
        service_time: vec!["route".into(), "take".into(), "resolve".into()],
        emergency: Vec::new(),
        calendars: Vec::new(),
    });
    // the fixture's now is Saturday 28 November 2026, 14:32
    let screen = render(&app_from(welcome.clone()), 100, 30);
    assert!(screen.contains("пауза до пн 08:00"), "{screen}");
    // on a working day's hours, the countdowns run
    welcome.policy.hours.as_mut().expect("hours").week = vec!["пн-вс 08:00-20:00".into()];
    let screen = render(&app_from(welcome), 100, 30);
    assert!(!screen.contains("пауза"), "{screen}");
    // without hours, as before
    assert!(!render(&app(None), 100, 30).contains("пауза"));
}

fn school_hours(emergency: &[&str]) -> pult::domain::hours::HoursFile {
    pult::domain::hours::HoursFile {
        zone: "Europe/Moscow".into(),
        week: vec!["пн-пт 08:00-20:00".into()],
        production_calendar: true,
        closed: Vec::new(),
        service_time: vec!["route".into(), "take".into(), "resolve".into()],
        emergency: emergency.iter().map(|line| line.to_string()).collect(),
        calendars: Vec::new(),
    }
}

#[test]
fn outside_the_service_hours_the_form_says_when_the_request_is_looked_at() {
    let mut welcome = welcome(None);
    welcome.policy.hours = Some(school_hours(&["Детский телефон доверия: 8-800-2000-122"]));
    let mut app = app_from(welcome);
    key(&mut app, KeyCode::Char('n'));
    let screen = render(&app, 120, 40);
    // Saturday 28 November 2026, 14:32: the service opens on Monday
    assert!(
        screen.contains("Служба сейчас не работает. Обращение рассмотрят, когда она откроется: понедельник, 30.11, 08:00."),
        "{screen}"
    );
    // the emergency contacts are for the psychologist's requests
    assert!(!screen.contains("8-800-2000-122"), "{screen}");
    let told = app.after_hours(Category::Psych).expect("closed").lines();
    assert_eq!(told[2], "— Детский телефон доверия: 8-800-2000-122");
    // in the hours the form says nothing of them
    let mut welcome = common::screens::welcome(None);
    let mut open = school_hours(&[]);
    open.week = vec!["пн-вс 00:00-24:00".into()];
    welcome.policy.hours = Some(open);
    let mut app = app_from(welcome);
    key(&mut app, KeyCode::Char('n'));
    assert!(!render(&app, 120, 40).contains("не работает"));
}

#[test]
fn a_deadline_in_a_year_the_calendar_only_predicts_is_on_the_clock_and_the_console_says_so() {
    let mut welcome = welcome(None);
    welcome.policy.hours = Some(school_hours(&[]));
    let app = app_from(welcome);
    // received on Thursday 30 December 2027 at 19:00 in Moscow: 24 working hours from it
    // would reach into 2028, which the data only predicts, so the clock counts (resolve-by
    // on the 31st, still 2027) — and the console names the year that did it
    let mut request = request(
        9,
        5,
        "Петрова",
        CallerRole::Parent,
        Some("5А"),
        Category::Ejournal,
    );
    request.received_at = Timestamp(1_830_182_400_000);
    request.deadlines.resolve_by = request.received_at.plus_hours(24);
    assert_eq!(app.clock_year(&request), Some(2028));
    // received now, in November 2026, everything it reaches is known
    request.received_at = NOW;
    assert_eq!(app.clock_year(&request), None);
}
