//! A key acts on the request the person chose: two consoles on one real service (a store on
//! a temp directory), each an `App` fed the events the other's changes make, as the server
//! would send them (`access::view_of`). The selection follows the request through every live
//! change and re-sort; when it leaves the list nothing is chosen, the status line says who did
//! what, and a key pressed then acts on nothing.

mod common;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use pult::domain::access::view_of;
use pult::domain::change::Change;
use pult::domain::request::{Category, Request, RequestId, Status};
use pult::domain::staff::{Role, Staff};
use pult::domain::time::{Clock, ManualClock, Timestamp, HOUR_MS};
use pult::net::client::ClientError;
use pult::service::{Command, Event, Reply, Service};
use pult::tui::app::{update, App, Effect, Msg, Pane, Screen};
use pult::tui::keymap::Keymap;
use pult::tui::theme::Theme;

use common::calls::{log_call, valid_call};
use common::people::staff;
use common::screens::{moscow, render, NOW};
use common::service::open_as_first_user;

/// One service and the consoles attached to it.
struct Desk {
    _dir: tempfile::TempDir,
    clock: ManualClock,
    service: Service,
    consoles: Vec<App>,
}

impl Desk {
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(NOW);
        let (service, _) = open_as_first_user(dir.path(), &clock);
        for (login, name, role) in [
            ("petrova", "Петрова Ольга Ивановна", Role::Operator),
            ("kozlov", "Козлов Андрей Петрович", Role::Tech),
            ("belova", "Белова Ольга Николаевна", Role::Head),
        ] {
            service
                .seed()
                .put_staff(&staff(login, name, &[role]))
                .unwrap();
        }
        Desk {
            _dir: dir,
            clock,
            service,
            consoles: Vec::new(),
        }
    }

    fn staff(&self, login: &str) -> Staff {
        self.service.identify(login).unwrap()
    }

    /// A console attached as `login`; returns its index.
    fn attach(&mut self, login: &str) -> usize {
        let welcome = self.service.welcome(&self.staff(login)).unwrap();
        self.consoles.push(App::new(
            welcome,
            Keymap::parse_with_override(None).unwrap(),
            Theme::monochrome(),
            self.clock.now(),
            moscow(),
        ));
        self.consoles.len() - 1
    }

    /// `login` changes a request from somewhere else (a console not under test).
    fn elsewhere(&mut self, login: &str, id: u64, change: Change) -> Request {
        let actor = self.staff(login);
        let command = Command::Change {
            id: RequestId(id),
            change,
        };
        match self.run(&actor, command) {
            Ok(Reply::Changed { request }) => request,
            other => panic!("{login}: {other:?}"),
        }
    }

    /// Runs a command as `actor` and tells every console of what changed.
    fn run(&mut self, actor: &Staff, command: Command) -> Result<Reply, ClientError> {
        match self.service.execute(actor, command) {
            Ok((reply, events)) => {
                for event in events {
                    self.broadcast(event);
                }
                Ok(reply)
            }
            Err(error) => Err(ClientError::Rejected(error.failure())),
        }
    }

    fn broadcast(&mut self, event: Event) {
        let policy = self.service.policy().clone();
        let now = self.clock.now();
        for app in &mut self.consoles {
            let seen = match &event {
                Event::RequestChanged { request, by } => match view_of(request, &app.me, &policy) {
                    Some(request) => Event::RequestChanged {
                        request,
                        by: by.clone(),
                    },
                    None => Event::RequestGone {
                        id: request.id,
                        by: by.clone(),
                    },
                },
                other => other.clone(),
            };
            update(app, Msg::Event(seen), now);
        }
    }

    /// A key pressed at console `at`; what it sends is run as that console's person. Returns
    /// the commands it sent.
    fn press(&mut self, at: usize, code: KeyCode) -> Vec<Command> {
        let now = self.clock.now();
        let effects = update(
            &mut self.consoles[at],
            Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
            now,
        );
        let mut sent = Vec::new();
        for effect in effects {
            if let Effect::Send { token, command } = effect {
                sent.push(command.clone());
                let actor = self.consoles[at].me.clone();
                let result = self.run(&actor, command);
                update(&mut self.consoles[at], Msg::Reply { token, result }, now);
            }
        }
        sent
    }

    fn chosen(&self, at: usize) -> Option<u64> {
        self.consoles[at]
            .selected_request()
            .map(|request| request.id.0)
    }

    fn status(&self, at: usize) -> String {
        self.consoles[at]
            .status_visible()
            .map(|status| status.text.clone())
            .unwrap_or_default()
    }

    /// A call logged by the operator now (the clock then moves a minute on).
    fn call(&mut self, name: &str, category: Category) -> u64 {
        let operator = self.staff("petrova");
        let request = log_call(
            &self.service,
            &operator,
            valid_call(name, category, Some(self.clock.now())),
        );
        self.clock.advance_millis(60_000);
        self.broadcast(Event::RequestChanged {
            request: request.clone(),
            by: operator.login.clone(),
        });
        request.id.0
    }

    /// Козлов closes `id` from his own console.
    fn resolved_by_kozlov(&mut self, id: u64) {
        let text = "Пароль сброшен".into();
        let returned_by = pult::domain::request::ReturnChannel::Phone;
        self.elsewhere(
            "kozlov",
            id,
            Change::Resolve {
                text,
                returned_by,
                message: None,
            },
        );
    }

    #[track_caller]
    fn says_closed_by_kozlov(&self, at: usize, id: u64) {
        let said = self.status(at);
        let expected = format!("№{id} закрыто с другого пульта: Козлов А. П.");
        assert!(said.starts_with(&expected), "{said}");
    }

    /// At console `at`: down the queues pane to `queue`, then Enter opens its list.
    fn open_queue_list(&mut self, at: usize, queue: &str) {
        while self.consoles[at].selected_queue().map(|q| q.key.as_str()) != Some(queue) {
            self.press(at, KeyCode::Down);
        }
        self.press(at, KeyCode::Enter);
    }

    /// Two technical calls, a minute apart, routed to the tech queue by the operator.
    fn two_technical_calls_routed(&mut self) -> [u64; 2] {
        let calls = [
            self.call("Волков Артём", Category::Technical),
            self.call("Сидоров Пётр", Category::Technical),
        ];
        for id in calls {
            let queue = "tech".into();
            self.elsewhere("petrova", id, Change::Route { queue });
        }
        calls
    }
}

#[test]
fn in_incoming_the_choice_stays_on_its_request_and_a_route_elsewhere_leaves_nothing_chosen() {
    let mut desk = Desk::new();
    let first = desk.call("Волков Артём", Category::Technical);
    let second = desk.call("Сидоров Пётр", Category::Technical);
    let third = desk.call("Лебедева Наталья", Category::Technical);
    let me = desk.attach("petrova");
    assert_eq!(
        desk.chosen(me),
        Some(first),
        "the console opens on the first row"
    );
    desk.press(me, KeyCode::Down);
    assert_eq!(desk.chosen(me), Some(second));

    // another console routes the request above: the rows move, the choice does not
    desk.elsewhere(
        "ivanova",
        first,
        Change::Route {
            queue: "tech".into(),
        },
    );
    assert_eq!(desk.chosen(me), Some(second));

    // and then the chosen one: nothing is chosen, the status line says who did what
    desk.elsewhere(
        "ivanova",
        second,
        Change::Route {
            queue: "tech".into(),
        },
    );
    assert_eq!(desk.chosen(me), None);
    assert_eq!(
        desk.status(me),
        format!(
            "№{second} направлено в Техн. с другого пульта: Иванова А. С. — \
             ничего не выбрано (↑/↓ — выбрать)"
        )
    );
    assert!(
        !render(&desk.consoles[me], 80, 24).contains('▶'),
        "nothing is highlighted"
    );
    // a route key now acts on nothing: №{third} stays in Входящие
    assert!(desk.press(me, KeyCode::Char('2')).is_empty());
    assert!(desk.press(me, KeyCode::Char('r')).is_empty());
    let left = desk.consoles[me].open.get(RequestId(third)).unwrap();
    assert_eq!(left.status, Status::New);
    // the first move chooses the row where the selection was
    desk.press(me, KeyCode::Down);
    assert_eq!(desk.chosen(me), Some(third));
}

#[test]
fn in_my_queue_an_approved_extension_re_sorts_the_list_and_the_choice_follows() {
    let mut desk = Desk::new();
    let [first, second] = desk.two_technical_calls_routed();
    for id in [first, second] {
        desk.elsewhere("kozlov", id, Change::Take);
    }
    let mine = desk.attach("kozlov");
    assert_eq!(desk.chosen(mine), Some(first), "soonest deadline first");
    desk.elsewhere(
        "kozlov",
        first,
        Change::AskExtension {
            reason: "ждём поставщика".into(),
            until: Timestamp(NOW.0 + 72 * HOUR_MS),
        },
    );
    desk.elsewhere(
        "belova",
        first,
        Change::DecideExtension {
            approve: true,
            note: String::new(),
        },
    );
    // №first now closes last: it moved to the second row, and stays chosen
    let app = &desk.consoles[mine];
    assert_eq!(app.highlighted(Pane::Incoming), Some(1));
    assert_eq!(desk.chosen(mine), Some(first));

    // the head moves it to another queue: it leaves this list, nothing is chosen
    desk.elsewhere(
        "belova",
        first,
        Change::Reassign {
            queue: "ejournal".into(),
            assignee: None,
            comment: String::new(),
        },
    );
    assert_eq!(desk.chosen(mine), None);
    assert!(
        desk.status(mine).contains("с другого пульта: Белова О. Н."),
        "{}",
        desk.status(mine)
    );
    // `c` (close) acts on nothing: no prompt opens for №second
    assert!(desk.press(mine, KeyCode::Char('c')).is_empty());
    assert!(matches!(desk.consoles[mine].screen, Screen::Board));
}

#[test]
fn in_the_heads_timers_a_request_closed_elsewhere_leaves_nothing_chosen() {
    let mut desk = Desk::new();
    let [_, second] = desk.two_technical_calls_routed();
    desk.elsewhere("kozlov", second, Change::Take);
    let head = desk.attach("belova");
    desk.press(head, KeyCode::Tab);
    assert_eq!(desk.consoles[head].focus, Pane::Timers);
    // choose the second, wherever its row is
    while desk.chosen(head) != Some(second) {
        desk.press(head, KeyCode::Down);
    }
    desk.elsewhere(
        "kozlov",
        second,
        Change::AskExtension {
            reason: "ждём поставщика".into(),
            until: Timestamp(NOW.0 + 72 * HOUR_MS),
        },
    );
    // a pending extension puts it first in the head's list: the choice follows
    assert_eq!(desk.consoles[head].highlighted(Pane::Timers), Some(0));
    assert_eq!(desk.chosen(head), Some(second));
    desk.resolved_by_kozlov(second);
    assert_eq!(desk.chosen(head), None);
    desk.says_closed_by_kozlov(head, second);
    // `m` (reassign) acts on nothing
    assert!(desk.press(head, KeyCode::Char('m')).is_empty());
    assert!(matches!(desk.consoles[head].screen, Screen::Board));
}

#[test]
fn in_the_heads_queue_list_the_choice_follows_and_a_request_closed_elsewhere_leaves_nothing() {
    let mut desk = Desk::new();
    let [first, second] = desk.two_technical_calls_routed();
    let head = desk.attach("belova");
    // the queues pane: down to Техн., Enter opens its list
    desk.open_queue_list(head, "tech");
    let chosen = |desk: &Desk| match &desk.consoles[head].screen {
        Screen::Queue(view) => view.chosen().map(|id| id.0),
        other => panic!("not the queue's list: {other:?}"),
    };
    assert_eq!(chosen(&desk), Some(first), "most urgent first");
    desk.press(head, KeyCode::Down);
    assert_eq!(chosen(&desk), Some(second));
    // the first is taken: its next deadline is a day away, it moves below; the choice stays
    desk.elsewhere("kozlov", first, Change::Take);
    assert_eq!(chosen(&desk), Some(second));
    desk.elsewhere("kozlov", second, Change::Take);
    desk.resolved_by_kozlov(second);
    assert_eq!(chosen(&desk), None);
    desk.says_closed_by_kozlov(head, second);
    // `m` (reassign) acts on nothing; the list stays open
    assert!(desk.press(head, KeyCode::Char('m')).is_empty());
    assert!(matches!(desk.consoles[head].screen, Screen::Queue(_)));
}

#[test]
fn a_prompt_opened_from_the_queue_list_goes_back_to_it() {
    let mut desk = Desk::new();
    let [first, _] = desk.two_technical_calls_routed();
    let head = desk.attach("belova");
    desk.open_queue_list(head, "tech");
    desk.press(head, KeyCode::Char('m'));
    assert!(matches!(desk.consoles[head].screen, Screen::Prompt(_)));
    desk.press(head, KeyCode::Char('1'));
    for c in "вопрос журнала".chars() {
        desk.press(head, KeyCode::Char(c));
    }
    let sent = desk.press(head, KeyCode::Enter);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(matches!(desk.consoles[head].screen, Screen::Queue(_)));
    assert_eq!(
        desk.status(head),
        format!("№{first} передано в очередь ЭЖД")
    );
}
