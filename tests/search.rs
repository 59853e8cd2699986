//! Search finds what it shows (issue 11): a phone found however it is written — as the form
//! takes it, as the card and `--json` show it, or a part of it — through the server's
//! `Command::Search` (what the console's `/` sends) and through `pult search`; a request's
//! number puts that request first.

mod common;

use std::path::Path;
use std::process::Command as Process;

use pult::domain::call_form::CallDraft;
use pult::domain::request::{CallerRole, Category, RequestId};
use pult::net::client::Client;
use pult::service::{Command, Reply};

use common::calls::log_call;
use common::service::{connect, open_as_me, serve};
use common::PULT_BUILT;

/// How the same number is written: as dictated, as the form and the card show it, a part of
/// it, and as `pult show --json` prints it.
const WRITTEN: [&str; 5] = [
    "+7 912 777-12-34",
    "8 (912) 777-12-34",
    "777-12-34",
    "+79127771234",
    "8 912 777-12-34",
];

fn call(name: &str, phone: &str, text: &str) -> CallDraft {
    CallDraft {
        answered_at: None,
        name: name.into(),
        role: Some(CallerRole::Parent),
        class: "5А".into(),
        category: Some(Category::Ejournal),
        description: text.into(),
        phone: phone.into(),
        email: String::new(),
        caller_card: None,
        acknowledge: false,
    }
}

fn search(client: &mut Client, query: &str) -> (Vec<RequestId>, usize) {
    match client.call(Command::Search {
        query: query.into(),
    }) {
        Ok(Reply::Found { found }) => (found.hits.iter().map(|hit| hit.id).collect(), found.total),
        other => panic!("{query}: {other:?}"),
    }
}

/// `pult search WORDS… --json`: the ids of the hits, in order.
fn pult_search(dir: &Path, words: &[&str]) -> Vec<u64> {
    let output = Process::new(PULT_BUILT)
        .env("PULT_LANG", "ru")
        .env("LANG", "C.UTF-8")
        .env_remove("PULT_DATA")
        .arg("--data")
        .arg(dir)
        .arg("search")
        .args(words)
        .arg("--json")
        .output()
        .expect("run pult search");
    assert!(
        output.status.success(),
        "pult search {words:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("pult search --json prints JSON");
    printed["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|hit| hit["id"].as_u64().expect("id"))
        .collect()
}

#[test]
fn a_phone_is_found_however_it_is_written_in_the_console_and_by_pult_search() {
    let dir = tempfile::tempdir().unwrap();
    let (wanted, others) = {
        let service = open_as_me(dir.path());
        let me = service.identify(&common::people::me().login).unwrap();
        let others = vec![
            log_call(
                &service,
                &me,
                call(
                    "Петрова Анна",
                    "8 912 345-67-89",
                    "Не видно оценок ученику 5А",
                ),
            )
            .id,
            // the same last seven digits in another region: found by the part only
            log_call(
                &service,
                &me,
                call("Орлов Игорь", "8 (495) 777-12-34", "Нет звука на уроке"),
            )
            .id,
        ];
        let wanted = log_call(
            &service,
            &me,
            call("Зайцева Ольга", "8 912 777-12-34", "Не открывается дневник"),
        );
        // stored as the card shows it, and as --json prints it
        let phone = wanted.caller.phone.clone().expect("a phone");
        assert_eq!(phone.to_string(), WRITTEN[0]);
        assert_eq!(phone.e164(), WRITTEN[3]);
        service.seed().flush().unwrap();
        (wanted.id, others)
    };
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    for written in WRITTEN {
        let (found, total) = search(&mut client, written);
        if written == "777-12-34" {
            assert_eq!(found, vec![wanted, others[1]], "{written}: newest first");
        } else {
            assert_eq!((found, total), (vec![wanted], 1), "{written}");
        }
    }
    // with a name, as an operator types when a parent calls back
    assert_eq!(
        search(&mut client, "зайцева 8 912 777-12-34").0,
        vec![wanted]
    );
    assert_eq!(search(&mut client, "+7 (912) 777").0, vec![wanted]);
    // words and numbers still work as before
    assert_eq!(search(&mut client, "912 345").0, vec![others[0]]);
    assert_eq!(
        search(&mut client, "5А").0,
        vec![others[0]],
        "a class is a word"
    );
    assert_eq!(search(&mut client, "оценок").0, vec![others[0]]);
    assert_eq!(search(&mut client, &format!("№{}", wanted.0)).0[0], wanted);
    assert!(search(&mut client, "+7 912 777-12-35").0.is_empty());

    // the same from a shell: quoted as one argument, or as the shell splits it
    for written in WRITTEN {
        let found = pult_search(dir.path(), &[written]);
        if written == "777-12-34" {
            assert_eq!(found, vec![wanted.0, others[1].0], "{written}");
        } else {
            assert_eq!(found, vec![wanted.0], "{written}");
        }
    }
    for written in WRITTEN.iter().filter(|written| **written != "777-12-34") {
        let words: Vec<&str> = written.split(' ').collect();
        assert_eq!(pult_search(dir.path(), &words), vec![wanted.0], "{written}");
    }
}

#[test]
fn a_number_puts_its_request_first_before_phones_that_contain_it() {
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<RequestId> = {
        let service = open_as_me(dir.path());
        let me = service.identify(&common::people::me().login).unwrap();
        let ids = (0..50)
            .map(|at| {
                // every other caller's phone contains 43, and so do later, newer requests
                let phone = if at % 2 == 0 {
                    format!("8 912 43{:01}-43-{:02}", at % 10, at)
                } else {
                    format!("8 912 000-00-{:02}", at)
                };
                log_call(
                    &service,
                    &me,
                    call(
                        &format!("Звонивший {}", common::calls::surname(at as u64)),
                        &phone,
                        &format!("Вопрос {at}"),
                    ),
                )
                .id
            })
            .collect();
        service.seed().flush().unwrap();
        ids
    };
    let forty_third = ids[42];
    assert_eq!(forty_third, RequestId(43), "numbered from 1");
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    for query in ["43", "№43", "№ 43", "#43"] {
        let (found, total) = search(&mut client, query);
        assert_eq!(found[0], forty_third, "{query}: {found:?}");
        assert!(
            total > 20,
            "{query}: the phones with 43 are found too ({total})"
        );
        // then the others, newest first
        let rest: Vec<RequestId> = found[1..].to_vec();
        let mut newest_first = rest.clone();
        newest_first.sort_by(|a, b| b.cmp(a));
        assert_eq!(rest, newest_first, "{query}");
    }
    assert_eq!(pult_search(dir.path(), &["№43"])[0], 43);
    assert_eq!(pult_search(dir.path(), &["43"])[0], 43);
}
