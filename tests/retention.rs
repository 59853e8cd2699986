//! Letting go (issue 15): the personal data of requests closed longer ago than the policy's
//! `[retention]` keeps is destroyed, record by record, with the act of destruction and the
//! extract of the event log; what the reports count stays, so past periods' figures are what
//! they were; search no longer finds the destroyed names.

mod common;
#[path = "common/report_fixture.rs"]
mod report_fixture;

use chrono::NaiveDate;

use pult::domain::audit::AuditAction;
use pult::domain::change::Change;
use pult::domain::request::{Category, Channel, Request, RequestId, ReturnChannel};
use pult::domain::retention::{destroyed, is_destroyed};
use pult::domain::time::{ManualClock, Timestamp};
use pult::service::{Command, Reply, Service};

use common::calls::valid_call;
use common::service::open_as_first_user;

const DAY_MS: i64 = 24 * 3600 * 1000;

#[test]
fn the_report_fixtures_figures_are_the_same_once_every_closed_request_is_destroyed() {
    let requests = report_fixture::requests();
    let left: Vec<Request> = requests
        .iter()
        .map(|request| {
            if request.status.is_open() {
                request.clone()
            } else {
                destroyed(request)
            }
        })
        .collect();
    assert!(left.iter().any(is_destroyed));
    let policy = report_fixture::policy();
    let date = NaiveDate::from_ymd_opt(2026, 11, 11).expect("date");
    let daily = |requests: &[Request]| {
        pult::report::daily(
            requests,
            date,
            report_fixture::moscow(),
            report_fixture::now(),
            &policy,
            report_fixture::senders(),
        )
    };
    let (before, after) = (daily(&requests), daily(&left));
    assert_eq!(after.figures, before.figures);
    let weekly = |requests: &[Request]| {
        pult::report::weekly(
            requests,
            2026,
            46,
            report_fixture::moscow(),
            report_fixture::now(),
            &policy,
            None,
        )
        .expect("W46")
    };
    let (before, after) = (weekly(&requests), weekly(&left));
    assert_eq!(after.totals, before.totals);
    assert_eq!(after.previous, before.previous);
    assert_eq!(after.days, before.days);
    assert_eq!(after.top_categories, before.top_categories);
}

struct Desk {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    service: Service,
    clock: ManualClock,
    first: pult::domain::staff::Staff,
}

fn desk() -> Desk {
    let dir = tempfile::tempdir().expect("temp dir");
    // the shipped policy keeps a closed request's personal data a year, the psychologist's three
    std::fs::write(dir.path().join("policy.toml"), common::clock_policy()).expect("policy");
    let clock = ManualClock::new(Timestamp(1_763_000_000_000));
    let (service, mut first) = open_as_first_user(dir.path(), &clock);
    first.roles.extend([
        pult::domain::staff::Role::Ejournal,
        pult::domain::staff::Role::Psych,
    ]);
    service.seed().put_staff(&first).expect("roles");
    Desk {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        service,
        clock,
        first,
    }
}

impl Desk {
    fn call(&self, name: &str, phone: &str, category: Category) -> Request {
        let mut draft = valid_call(name, category, None);
        draft.phone = phone.into();
        draft.description = format!("{name} не может войти в дневник");
        match self.service.execute(
            &self.first,
            Command::LogCall {
                draft,
                channel: Channel::Phone,
            },
        ) {
            Ok((Reply::Logged { request }, _)) => request,
            other => panic!("{other:?}"),
        }
    }

    fn change(&self, id: RequestId, change: Change) {
        let done = self
            .service
            .execute(&self.first, Command::Change { id, change });
        assert!(done.is_ok(), "{done:?}");
    }

    fn closed(&self, name: &str, phone: &str, category: Category) -> Request {
        let request = self.call(name, phone, category);
        let queue = if category == Category::Psych {
            "psych"
        } else {
            "ejournal"
        };
        self.change(
            request.id,
            Change::Route {
                queue: queue.into(),
            },
        );
        self.change(request.id, Change::Take);
        self.change(
            request.id,
            Change::Note {
                kind: pult::domain::request::NoteKind::Internal,
                text: format!("{name} просила перезвонить"),
            },
        );
        self.change(
            request.id,
            Change::Resolve {
                text: format!("{name}: пароль сброшен"),
                returned_by: ReturnChannel::Phone,
                message: None,
            },
        );
        self.request(request.id)
    }

    fn request(&self, id: RequestId) -> Request {
        self.service
            .records()
            .request(id)
            .expect("reads")
            .expect("kept")
    }

    fn retention(
        &self,
        apply: bool,
    ) -> (
        pult::domain::retention::RetentionPlan,
        Option<pult::service::retention::ActFiles>,
    ) {
        match self.service.execute(
            &self.first,
            Command::Retention {
                apply,
                offset_seconds: 3 * 3600,
            },
        ) {
            Ok((Reply::Retention { plan, act }, _)) => (plan.expect("a policy"), act),
            other => panic!("{other:?}"),
        }
    }

    fn daily(&self, day: NaiveDate) -> pult::report::PeriodFigures {
        match self.service.execute(
            &self.first,
            Command::DailyReport {
                date: Some(day),
                offset_seconds: 3 * 3600,
            },
        ) {
            Ok((Reply::Daily { report }, _)) => report.figures,
            other => panic!("{other:?}"),
        }
    }

    fn found(&self, query: &str) -> Vec<RequestId> {
        match self.service.execute(
            &self.first,
            Command::Search {
                query: query.into(),
            },
        ) {
            Ok((Reply::Found { found }, _)) => found.hits.iter().map(|hit| hit.id).collect(),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn what_is_due_is_destroyed_record_by_record_with_the_act_and_the_rest_kept() {
    let desk = desk();
    // a year and a day ago: two closed, one cancelled, one to the psychologist; one left open
    let petrova = desk.closed("Петрова Анна", "8 912 345-67-89", Category::Ejournal);
    let sidorov = desk.closed("Сидоров Пётр", "8 913 111-22-33", Category::Ejournal);
    let cancelled = desk.call("Кузнецова Ирина", "8 914 222-33-44", Category::Technical);
    desk.change(
        cancelled.id,
        Change::Cancel {
            reason: "дубль звонка Кузнецовой".into(),
        },
    );
    let psych = desk.closed("Волкова Дарья", "8 915 333-44-55", Category::Psych);
    let open = desk.call("Сидоров Пётр", "8 913 111-22-33", Category::Ejournal);
    let day = NaiveDate::from_ymd_opt(2025, 11, 13).expect("the day");
    let daily_before = desk.daily(day);
    assert_eq!(desk.found("Петрова"), vec![petrova.id]);

    desk.clock.set(Timestamp(1_763_000_000_000 + 366 * DAY_MS));
    let (plan, act) = desk.retention(false);
    assert!(act.is_none());
    let mut due = plan.requests.clone();
    due.sort();
    assert_eq!(due, vec![petrova.id, sidorov.id, cancelled.id]);
    assert!(!due.contains(&psych.id) && !due.contains(&open.id));
    // nothing was touched by looking
    assert_eq!(desk.request(petrova.id), petrova);

    let (plan, act) = desk.retention(true);
    let act = act.expect("an act");
    assert_eq!(act.destroyed, 3);
    assert_eq!(plan.requests.len(), 3);
    for id in [petrova.id, sidorov.id, cancelled.id] {
        let left = desk.request(id);
        assert!(is_destroyed(&left), "{left:?}");
        let text = format!("{left:?}");
        for personal in [
            "Петрова",
            "Сидоров",
            "Кузнецов",
            "912",
            "913",
            "914",
            "просила",
        ] {
            assert!(!text.contains(personal), "{id}: {personal} in {text}");
        }
        let events = desk.service.records().events_of(id).expect("events");
        assert!(!format!("{events:?}").contains("Кузнецовой"));
        assert!(matches!(
            events.last().map(|event| &event.action),
            Some(AuditAction::PersonalDataDestroyed { .. })
        ));
    }
    // kept: the psychologist's (three years) and the open one, as they were
    assert_eq!(desk.request(psych.id), psych);
    assert_eq!(desk.request(open.id).caller.name, "Сидоров Пётр");
    // the past day's figures are what they were
    let daily_after = desk.daily(day);
    assert_eq!(daily_after, daily_before);
    // the cards: Петрова's, with nothing else on it, is gone; Сидоров's keeps his open call
    let cards_on = |phone: &str| match desk.service.execute(
        &desk.first,
        Command::FindCaller {
            phone: Some(phone.into()),
            email: None,
        },
    ) {
        Ok((Reply::People { cards }, _)) => cards,
        other => panic!("{other:?}"),
    };
    assert!(cards_on("8 912 345-67-89").is_empty());
    let sidorov_cards = cards_on("8 913 111-22-33");
    assert_eq!(sidorov_cards.len(), 1);
    assert_eq!(sidorov_cards[0].requests, vec![open.id]);
    // search no longer finds the destroyed; the open request of the same caller still is
    assert!(desk.found("Петрова").is_empty());
    assert_eq!(desk.found("Сидоров"), vec![open.id]);
    // the act and the extract list exactly the destroyed requests
    let markdown = std::fs::read_to_string(&act.markdown).expect("the act");
    assert!(
        markdown.contains("Акт об уничтожении персональных данных"),
        "{markdown}"
    );
    assert!(
        markdown.contains("152-ФЗ") && markdown.contains("№ 179"),
        "{markdown}"
    );
    for id in [petrova.id, sidorov.id, cancelled.id] {
        assert!(markdown.contains(&id.to_string()), "{id}: {markdown}");
    }
    assert!(!markdown.contains(&psych.id.to_string()), "{markdown}");
    for personal in ["Петрова", "Кузнецовой", "912"] {
        assert!(!markdown.contains(personal), "{personal}: {markdown}");
    }
    let csv = std::fs::read_to_string(&act.csv).expect("the extract");
    let listed: std::collections::BTreeSet<String> = csv
        .lines()
        .filter_map(|line| line.split(';').next())
        .map(|cell| {
            cell.trim_matches(|c| c == '"' || c == '\u{feff}')
                .to_string()
        })
        .filter(|cell| cell.starts_with('№'))
        .collect();
    let expected: std::collections::BTreeSet<String> = [petrova.id, sidorov.id, cancelled.id]
        .iter()
        .map(|id| id.to_string())
        .collect();
    assert_eq!(listed, expected, "{csv}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&act.markdown).expect("act").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    assert!(act.markdown.starts_with(desk.dir.join("retention")));
    // applied again, nothing is left to destroy
    let (plan, act) = desk.retention(true);
    assert!(plan.requests.is_empty() && act.is_none());
    // and what is left is changed no more: a reopened one would gather new personal data
    // that would never be due again
    let reopened = desk.service.execute(
        &desk.first,
        Command::Change {
            id: petrova.id,
            change: Change::Reopen {
                reason: "перезвонила".into(),
            },
        },
    );
    let refused = reopened.expect_err("refused").to_string();
    assert!(refused.contains("уничтожены"), "{refused}");
    // only the head and the system admin see or destroy it
    let mut operator = desk.first.clone();
    operator.roles = vec![pult::domain::staff::Role::Operator];
    let denied = desk.service.execute(
        &operator,
        Command::Retention {
            apply: false,
            offset_seconds: 0,
        },
    );
    let denied = denied.expect_err("denied").to_string();
    assert!(denied.contains("руководитель Службы"), "{denied}");
}

#[test]
fn the_messages_their_servers_words_and_old_drafts_go_too() {
    let desk = desk();
    // mail set up to a server that is not there: the result waits in the outbox
    common::smtp::write_mail_toml(&desk.dir, common::smtp::free_port(), false);
    let setup = pult::service::mail::MailSetup::load(&desk.dir, desk.service.policy())
        .expect("mail.toml")
        .expect("set up");
    let Desk {
        _dir,
        dir,
        service,
        clock,
        first,
    } = desk;
    let desk = Desk {
        _dir,
        dir,
        service: service.with_mail(Some(setup)),
        clock,
        first,
    };
    let mut draft = valid_call("Громова Ольга", Category::Ejournal, None);
    draft.email = "gromova@mail.ru".into();
    draft.description = "Громова не может войти".into();
    let request = match desk.service.execute(
        &desk.first,
        Command::LogCall {
            draft,
            channel: Channel::Phone,
        },
    ) {
        Ok((Reply::Logged { request }, _)) => request,
        other => panic!("{other:?}"),
    };
    desk.change(
        request.id,
        Change::Route {
            queue: "ejournal".into(),
        },
    );
    desk.change(request.id, Change::Take);
    desk.change(
        request.id,
        Change::Resolve {
            text: "Громовой сбросили пароль".into(),
            returned_by: ReturnChannel::Email,
            message: None,
        },
    );
    let outbox = |desk: &Desk| match desk.service.execute(&desk.first, Command::MailStatus) {
        Ok((Reply::Outbox { messages, .. }, _)) => messages,
        other => panic!("{other:?}"),
    };
    let queued = outbox(&desk);
    assert_eq!(queued.len(), 1);
    assert!(queued[0].body.contains("Громовой"));
    // a draft left by someone a long time ago
    let old_draft = pult::domain::call_form::CallDraft {
        answered_at: Some(Timestamp(1_763_000_000_000)),
        ..valid_call("Белоусов Игорь", Category::Other, None)
    };
    let saved = desk
        .service
        .execute(&desk.first, Command::SaveDraft { draft: old_draft });
    assert!(saved.is_ok(), "{saved:?}");

    desk.clock.set(Timestamp(1_763_000_000_000 + 366 * DAY_MS));
    let (plan, act) = desk.retention(true);
    assert_eq!(plan.requests, vec![request.id]);
    assert_eq!(plan.drafts, vec![desk.first.login.clone()]);
    assert_eq!(act.expect("an act").drafts, 1);
    let left = outbox(&desk);
    assert_eq!(left.len(), 1, "the message stays, as a record");
    let text = format!("{:?}", left[0]);
    for personal in ["Громов", "gromova"] {
        assert!(!text.contains(personal), "{personal}: {text}");
    }
    assert!(desk
        .service
        .records()
        .draft(&desk.first.login)
        .expect("reads")
        .is_none());
}

#[test]
fn old_calls_imported_after_a_run_are_found_by_the_next() {
    let desk = desk();
    let first = desk.closed("Петрова Анна", "8 912 345-67-89", Category::Ejournal);
    desk.clock.set(Timestamp(1_763_000_000_000 + 366 * DAY_MS));
    let (plan, _) = desk.retention(true);
    assert_eq!(plan.requests, vec![first.id]);
    // the next run reads from where this one left off: nothing before it is left…
    let (plan, _) = desk.retention(false);
    assert!(plan.requests.is_empty());
    // …until calls closed long before it come in from elsewhere
    let mut old = first.clone();
    old.id = RequestId(first.id.0 + 10);
    old.caller.name = "Орлов Игорь".into();
    old.description = "Орлов не может войти в дневник".into();
    desk.service
        .seed()
        .import_requests(&[old.clone()])
        .expect("import");
    let (plan, act) = desk.retention(true);
    assert_eq!(plan.requests, vec![old.id]);
    assert_eq!(act.expect("an act").destroyed, 1);
    assert!(is_destroyed(&desk.request(old.id)));
}
