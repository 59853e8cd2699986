//! The website door, attacked from the outside: a real `pult server` on a temp directory, a
//! real `pult web` on loopback (in this process, on a clock the test moves) and HTTP/1.1
//! spoken over TCP as any client would (and as broken and hostile ones do).

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pult::domain::request::{Channel, RequestId, Status};
use pult::domain::time::{Clock, ManualClock, Timestamp};
use pult::domain::website::{text_version, WEBSITE_LOGIN};
use pult::net::client::{handshake, Client, ClientError, Launch};
use pult::net::protocol::{read_server_msg, write_frame, ClientMsg, Mode, ServerMsg};
use pult::net::server::{start, ServerHandle};
use pult::service::website::{WebForm, CONSENT_FILE};
use pult::service::{Command, FailureKind, Reply};
use pult::web::limits::Rate;
use pult::web::{WebConfig, WebHandle};

use common::people::me;

/// A server and a website door on one temp directory, both on the test's clock.
struct Site {
    dir: tempfile::TempDir,
    clock: ManualClock,
    server: Option<ServerHandle>,
    web: WebHandle,
}

fn config(dir: &Path) -> WebConfig {
    let mut config = WebConfig::new("127.0.0.1:0".parse().expect("address"), dir);
    config.header_timeout = Duration::from_millis(800);
    config.body_timeout = Duration::from_millis(800);
    config
}

impl Site {
    fn open() -> Site {
        Site::open_with(|_| {})
    }

    fn open_with(adjust: impl FnOnce(&mut WebConfig)) -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = ManualClock::new(Timestamp(1_795_000_000_000));
        let server = start(dir.path(), Arc::new(clock.clone()), &me()).expect("server starts");
        let mut config = config(dir.path());
        adjust(&mut config);
        let web = pult::web::start(config, Arc::new(clock.clone()), false).expect("web starts");
        Site {
            dir,
            clock,
            server: Some(server),
            web,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.web.addr
    }

    fn client(&self) -> Client {
        Client::connect(self.dir.path(), &Launch::Never).expect("a protocol client")
    }

    fn request(&self, id: u64) -> pult::domain::request::Request {
        match self
            .client()
            .call(Command::ShowRequest { id: RequestId(id) })
        {
            Ok(Reply::Request { request }) => request,
            other => panic!("request {id}: {other:?}"),
        }
    }

    fn stored(&self) -> usize {
        match self.client().call(Command::ListRequests {
            status: None,
            after: None,
        }) {
            Ok(Reply::Requests { requests, .. }) => requests.len(),
            other => panic!("list: {other:?}"),
        }
    }

    /// A form given out now, then the time a person takes to fill it.
    fn token(&self) -> String {
        let page = get(self.addr(), "/");
        assert_eq!(page.status, 200, "{}", page.body);
        let token = token_of(&page.body);
        self.clock.advance_millis(20_000);
        token
    }
}

/// One HTTP/1.1 exchange, the connection closed after it.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

fn exchange(addr: SocketAddr, raw: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect to pult web");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    stream.write_all(raw).expect("send");
    read_answer(&mut stream)
}

/// Reads one answer: its head, then as much body as it announced (or all until closed).
fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok());
            if length.is_some_and(|length| bytes.len() >= end + 4 + length) {
                break;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(read) => bytes.extend_from_slice(&chunk[..read]),
        }
    }
    let text = String::from_utf8_lossy(&bytes).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

fn post_with(addr: SocketAddr, path: &str, extra: &str, body: &str) -> Answer {
    exchange(
        addr,
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n{extra}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn post(addr: SocketAddr, path: &str, body: &str) -> Answer {
    post_with(addr, path, "", body)
}

fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn token_of(page: &str) -> String {
    let at = page
        .find("name=\"token\" value=\"")
        .expect("the form has a token")
        + "name=\"token\" value=\"".len();
    page[at..].chars().take_while(|c| *c != '"').collect()
}

fn filled<'a>(token: &'a str, description: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("name", "Петрова Анна Ивановна"),
        ("role", "parent"),
        ("class", "5а"),
        ("category", "ejournal"),
        ("description", description),
        ("phone", "8 (912) 345-67-89"),
        ("email", ""),
        ("consent", "yes"),
        ("website", ""),
    ]
}

fn number_of(page: &str) -> u64 {
    let at = page.find("<strong>№").expect("a number on the page") + "<strong>№".len();
    page[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("a number")
}

#[test]
fn a_website_request_lands_in_incoming_with_its_deadlines_and_the_consent_given() {
    let site = Site::open();
    let token = site.token();
    let arrived = site.clock.now();
    let page = post(
        site.addr(),
        "/",
        &encode(&filled(&token, "Не открывается дневник")),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Обращение №1 принято"), "{}", page.body);
    assert!(
        page.body.contains("8 (800) 000-00-00"),
        "the hotline is shown"
    );
    assert!(page.body.contains("/status?number=1"));
    let request = site.request(1);
    assert_eq!(request.channel, Channel::Web);
    assert_eq!(request.status, Status::New);
    assert_eq!(request.logged_by, WEBSITE_LOGIN);
    assert_eq!(
        request.received_at, arrived,
        "route-by counts from its arrival"
    );
    assert_eq!(request.deadlines.route_by, arrived.plus_minutes(30));
    assert_eq!(
        request.caller.phone.as_ref().map(|p| p.e164()),
        Some("+79123456789")
    );
    let consent = request.consent.expect("the consent is recorded");
    let text = std::fs::read_to_string(site.dir.path().join(CONSENT_FILE)).expect("consent.txt");
    assert_eq!(consent.text_version, text_version(&text));
    assert_eq!(consent.given_at, arrived);
    let kept = site
        .dir
        .path()
        .join("consent-versions")
        .join(format!("{}.txt", consent.text_version));
    assert_eq!(
        std::fs::read_to_string(kept).expect("the version kept"),
        text
    );
    // the sent page gives the deadlines in the school's time: its zone, not this machine's
    let route_by = chrono::TimeZone::timestamp_millis_opt(
        &chrono_tz::Europe::Moscow,
        arrived.plus_minutes(30).0,
    )
    .single()
    .expect("a time")
    .format("%d.%m.%Y %H:%M")
    .to_string();
    assert!(page.body.contains(&route_by), "{route_by}: {}", page.body);
    // in the hours the page says nothing of them
    assert!(!page.body.contains("не работает"), "{}", page.body);
}

#[test]
fn a_request_sent_at_night_is_told_when_it_is_looked_at_and_the_psychologists_whom_to_call() {
    let site = Site::open();
    // Saturday 21 November 2026, 21:30 in Moscow: the service opens on Monday at 08:00
    site.clock.set(Timestamp(1_795_285_800_000));
    let token = site.token();
    let mut form = filled(&token, "Ребёнок плачет, не хочет заниматься");
    form.retain(|(name, _)| *name != "category");
    form.push(("category", "psych"));
    let page = post(site.addr(), "/", &encode(&form));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Обращение №1 принято"), "{}", page.body);
    assert!(
        page.body.contains(
            "Служба сейчас не работает. Обращение рассмотрят, когда она откроется: понедельник, 23.11, 08:00."
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("8-800-2000-122"), "{}", page.body);
    // another type of request is told when, without the helpline
    let token = site.token();
    let page = post(
        site.addr(),
        "/",
        &encode(&filled(&token, "Не открывается дневник")),
    );
    assert!(
        page.body.contains("Служба сейчас не работает"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("8-800-2000-122"), "{}", page.body);
}

#[test]
fn a_double_click_or_a_reload_makes_one_request() {
    let site = Site::open();
    let token = site.token();
    let body = encode(&filled(&token, "Не открывается дневник"));
    let first = post(site.addr(), "/", &body);
    let again = post(site.addr(), "/", &body);
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(number_of(&first.body), number_of(&again.body));
    assert_eq!(site.stored(), 1);
}

#[test]
fn every_field_is_checked_as_the_console_checks_it_with_the_reason_beside_it() {
    let site = Site::open();
    let token = site.token();
    let page = post(
        site.addr(),
        "/",
        &encode(&[
            ("token", &token),
            ("name", "Петрова 5А"),
            ("class", ""),
            ("description", ""),
            ("phone", "12-34"),
            ("email", "не почта"),
        ]),
    );
    assert_eq!(page.status, 422, "{}", page.body);
    for field in [
        "name",
        "role",
        "category",
        "description",
        "phone",
        "email",
        "consent",
    ] {
        assert!(
            page.body.contains(&format!("id=\"{field}-error\"")),
            "{field} has its reason: {}",
            page.body
        );
        assert!(
            page.body
                .contains(&format!("aria-describedby=\"{field}-error")),
            "{field}'s reason is tied to it"
        );
    }
    // the domain's own sentence for the same phone
    let reason = pult::domain::validate::Phone::parse("12-34")
        .expect_err("bad phone")
        .to_string();
    assert!(page.body.contains(&reason), "{reason}");
    // values kept, the first bad field focused
    assert!(page.body.contains("value=\"Петрова 5А\""));
    assert!(page.body.contains("value=\"12-34\""));
    let name_input = page.body.find("id=\"name\"").expect("name input");
    let autofocus = page.body.find("autofocus").expect("a field is focused");
    assert!(autofocus > name_input && autofocus < page.body.find("id=\"name-error\"").unwrap_or(0));
    assert_eq!(page.body.matches("autofocus").count(), 1);
    assert_eq!(site.stored(), 0);
    // the same form, fixed, goes through on its own token
    let fixed = post_fixed(&site, &page);
    assert_eq!(fixed.status, 200, "{}", fixed.body);
}

/// The form of `page` sent again, filled in right, on the token the page carries.
fn post_fixed(site: &Site, page: &Answer) -> Answer {
    post(
        site.addr(),
        "/",
        &encode(&filled(&token_of(&page.body), "Дневник")),
    )
}

/// A form with consent and mistakes in `name`, `phone` and `email`.
fn with_mistakes(token: &str) -> Vec<(&str, &str)> {
    let mut pairs = filled(token, "Не открывается дневник");
    for (name, value) in pairs.iter_mut() {
        match *name {
            "name" => *value = "Петрова 5А",
            "phone" => *value = "12-34",
            "email" => *value = "не почта",
            _ => {}
        }
    }
    pairs
}

fn has_reasons_beside(page: &Answer, fields: &[&str]) {
    for field in fields {
        assert!(
            page.body.contains(&format!("id=\"{field}-error\"")),
            "{field} has its reason: {}",
            page.body
        );
    }
}

#[test]
fn a_consented_form_with_mistakes_is_refused_by_the_server_and_shown_with_each_reason() {
    let site = Site::open();
    let token = site.token();
    let page = post(site.addr(), "/", &encode(&with_mistakes(&token)));
    assert_eq!(page.status, 422, "{}", page.body);
    has_reasons_beside(&page, &["name", "phone", "email"]);
    assert!(!page.body.contains("id=\"consent-error\""));
    assert!(page.body.contains("value=\"12-34\""));
    assert_eq!(site.stored(), 0);
    let fixed = post_fixed(&site, &page);
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    assert_eq!(site.stored(), 1);
}

#[test]
fn a_consent_text_changed_since_the_form_was_opened_is_asked_for_again_with_the_other_reasons() {
    let site = Site::open();
    let token = site.token();
    let path = site.dir.path().join(CONSENT_FILE);
    let text = std::fs::read_to_string(&path).expect("consent.txt");
    std::fs::write(&path, format!("{text}\n\nНовый пункт согласия.")).expect("a new text");
    let page = post(site.addr(), "/", &encode(&with_mistakes(&token)));
    assert_eq!(page.status, 409, "{}", page.body);
    has_reasons_beside(&page, &["name", "phone", "email", "consent"]);
    assert!(
        !page.body.contains("value=\"yes\" checked"),
        "to be agreed to again"
    );
    assert_eq!(site.stored(), 0);
    let sent = post_fixed(&site, &page);
    assert_eq!(sent.status, 200, "{}", sent.body);
    let consent = site.request(1).consent.expect("the consent is recorded");
    assert_eq!(
        consent.text_version,
        text_version(&std::fs::read_to_string(&path).expect("consent.txt"))
    );
}

#[test]
fn without_consent_nothing_is_sent_and_the_server_refuses_it_too() {
    let site = Site::open();
    let token = site.token();
    let mut pairs = filled(&token, "Не открывается дневник");
    pairs.retain(|(name, _)| *name != "consent");
    let page = post(site.addr(), "/", &encode(&pairs));
    assert_eq!(page.status, 422);
    assert!(page.body.contains("id=\"consent-error\""));
    assert!(!page.body.contains("consent\" value=\"yes\" checked"));
    assert_eq!(site.stored(), 0);
    // the server itself, asked by the website's connection without the consent
    let mut door = web_connection(site.dir.path());
    let form = WebForm {
        name: "Петрова Анна".into(),
        role: Some(pult::domain::request::CallerRole::Parent),
        class: "5А".into(),
        category: Some(pult::domain::request::Category::Ejournal),
        description: "Не открывается дневник".into(),
        phone: "+79123456789".into(),
        email: String::new(),
        consent_version: None,
        key: [1; 16],
    };
    let refused = door.call(Command::SubmitWeb { form: form.clone() });
    assert_eq!(kind(&refused), Some(FailureKind::Consent), "{refused:?}");
    let stale = door.call(Command::SubmitWeb {
        form: WebForm {
            consent_version: Some("0000000000000000".into()),
            ..form
        },
    });
    assert_eq!(kind(&stale), Some(FailureKind::Consent), "{stale:?}");
    assert_eq!(site.stored(), 0);
}

fn kind(answer: &Result<Reply, ClientError>) -> Option<FailureKind> {
    answer.as_ref().err().and_then(ClientError::kind)
}

/// The website door's own kind of connection, as `pult web` opens it.
struct WebConnection {
    stream: std::os::unix::net::UnixStream,
    next: u64,
}

impl WebConnection {
    fn call(&mut self, command: Command) -> Result<Reply, ClientError> {
        self.next += 1;
        write_frame(
            &mut self.stream,
            &ClientMsg::Command {
                id: self.next,
                command,
            },
        )
        .expect("send");
        loop {
            match read_server_msg(&mut self.stream).expect("answer") {
                ServerMsg::Reply { id, result } if id == self.next => {
                    return result.map_err(ClientError::Rejected)
                }
                _ => {}
            }
        }
    }
}

fn web_connection(dir: &Path) -> WebConnection {
    let mut stream = pult::net::client::connect(dir, &Launch::Never).expect("socket");
    handshake(&mut stream, Mode::Web).expect("a web connection");
    WebConnection { stream, next: 0 }
}

#[test]
fn the_website_connection_can_read_and_change_nothing_else() {
    let site = Site::open();
    let token = site.token();
    assert_eq!(
        post(site.addr(), "/", &encode(&filled(&token, "Дневник"))).status,
        200
    );
    let mut door = web_connection(site.dir.path());
    for command in [
        Command::ListRequests {
            status: None,
            after: None,
        },
        Command::ShowRequest { id: RequestId(1) },
        Command::Search {
            query: "Петрова".into(),
        },
        Command::ListStaff,
        Command::GetPolicy,
        Command::History { id: RequestId(1) },
        Command::DiscardDraft,
    ] {
        let answer = door.call(command.clone());
        assert_eq!(
            kind(&answer),
            Some(FailureKind::Denied),
            "{command:?}: {answer:?}"
        );
    }
    // and a staff member's connection may not pose as the website
    let mut staff = site.client();
    let posing = staff.call(Command::PublicStatus {
        id: RequestId(1),
        contact: "+79123456789".into(),
    });
    assert_eq!(kind(&posing), Some(FailureKind::Denied), "{posing:?}");
}

#[test]
fn the_status_page_answers_a_wrong_contact_as_a_number_that_does_not_exist() {
    let site = Site::open();
    let token = site.token();
    post(
        site.addr(),
        "/",
        &encode(&filled(&token, "Секретное описание")),
    );
    let right = post(
        site.addr(),
        "/status",
        &encode(&[("number", "1"), ("contact", "+7 912 345 67 89")]),
    );
    assert_eq!(right.status, 200);
    assert!(right.body.contains("Обращение №1"), "{}", right.body);
    assert!(right.body.contains("новое"));
    for private in ["Петрова", "Секретное", "912"] {
        assert!(!right.body.contains(private), "{private} is not shown");
    }
    let wrong = post(
        site.addr(),
        "/status",
        &encode(&[("number", "1"), ("contact", "+7 912 000 00 00")]),
    );
    let missing = post(
        site.addr(),
        "/status",
        &encode(&[("number", "1"), ("contact", "+7 912 000 00 00")]),
    );
    let nowhere = post(
        site.addr(),
        "/status",
        &encode(&[("number", "777"), ("contact", "+7 912 000 00 00")]),
    );
    assert_eq!(wrong.status, nowhere.status);
    assert_eq!(wrong.body, missing.body);
    assert_eq!(
        wrong.body.replace("value=\"1\"", ""),
        nowhere.body.replace("value=\"777\"", ""),
        "a wrong pair and a missing number read the same"
    );
}

#[test]
fn floods_of_posts_and_lookups_are_held_back_with_the_hotline_and_others_still_served() {
    let site = Site::open_with(|config| {
        config.per_address = Rate::per_minutes(3, 10);
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    });
    let as_client = |client: &str| format!("X-Forwarded-For: {client}\r\n");
    let lookup = encode(&[("number", "1"), ("contact", "+79120000000")]);
    for _ in 0..3 {
        let answer = post_with(site.addr(), "/status", &as_client("203.0.113.7"), &lookup);
        assert_eq!(answer.status, 200);
    }
    let held = post_with(site.addr(), "/status", &as_client("203.0.113.7"), &lookup);
    assert_eq!(held.status, 429);
    assert!(held.body.contains("8 (800) 000-00-00"), "{}", held.body);
    assert_eq!(held.header("retry-after"), Some("60"));
    // someone else behind the same proxy is still served, submissions have their own limit
    let other = post_with(site.addr(), "/status", &as_client("198.51.100.9"), &lookup);
    assert_eq!(other.status, 200);
    let token = site.token();
    let form = encode(&filled(&token, "Дневник"));
    let sent = post_with(site.addr(), "/", &as_client("203.0.113.7"), &form);
    assert_eq!(sent.status, 200, "{}", sent.body);
    // an hour later the address may look again
    site.clock.advance_minutes(60);
    let later = post_with(site.addr(), "/status", &as_client("203.0.113.7"), &lookup);
    assert_eq!(later.status, 200);
}

#[test]
fn forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_changes_nothing() {
    let site = Site::open_with(|config| config.per_address = Rate::per_minutes(2, 10));
    let lookup = encode(&[("number", "1"), ("contact", "+79120000000")]);
    for n in 0..2 {
        let forged = format!("X-Forwarded-For: 10.0.0.{n}\r\n");
        assert_eq!(
            post_with(site.addr(), "/status", &forged, &lookup).status,
            200
        );
    }
    let forged = "X-Forwarded-For: 10.0.0.99\r\n";
    assert_eq!(
        post_with(site.addr(), "/status", forged, &lookup).status,
        429
    );
}

#[test]
fn forged_posts_bots_and_stale_forms_are_refused_and_store_nothing() {
    let site = Site::open();
    let token = site.token();
    let form = encode(&filled(&token, "Дневник"));
    let cross = post_with(site.addr(), "/", "Sec-Fetch-Site: cross-site\r\n", &form);
    assert_eq!(cross.status, 403);
    let foreign = post_with(site.addr(), "/", "Origin: http://evil.example\r\n", &form);
    assert_eq!(foreign.status, 403);
    let opaque = post_with(site.addr(), "/", "Origin: null\r\n", &form);
    assert_eq!(opaque.status, 403);
    let own = format!(
        "Origin: http://{}\r\nSec-Fetch-Site: same-origin\r\n",
        site.addr()
    );
    // a token not given out here
    let forged = encode(&filled(&"ab".repeat(41), "Дневник"));
    assert_eq!(post_with(site.addr(), "/", &own, &forged).status, 403);
    // the honeypot filled
    let mut bot = filled(&token, "Дневник");
    bot.retain(|(name, _)| *name != "website");
    bot.push(("website", "http://spam.example"));
    let trapped = post_with(site.addr(), "/", &own, &encode(&bot));
    assert_eq!(trapped.status, 400);
    // sent within a second of opening
    let quick = get(site.addr(), "/");
    let hurried = post(
        site.addr(),
        "/",
        &encode(&filled(&token_of(&quick.body), "Д")),
    );
    assert_eq!(hurried.status, 200);
    assert!(hurried.body.contains("слишком быстро"), "{}", hurried.body);
    // opened three hours ago
    let old = get(site.addr(), "/");
    site.clock.advance_minutes(180);
    let stale = post(
        site.addr(),
        "/",
        &encode(&filled(&token_of(&old.body), "Д")),
    );
    assert!(stale.body.contains("слишком давно"), "{}", stale.body);
    assert_eq!(site.stored(), 0);
    // and a genuine post from its own page
    let form = encode(&filled(&site.token(), "Дневник"));
    assert_eq!(post_with(site.addr(), "/", &own, &form).status, 200);
    assert_eq!(site.stored(), 1);
}

#[test]
fn oversized_bodies_wrong_types_and_slow_clients_are_cut_off() {
    let site = Site::open();
    let huge = "д".repeat(40_000);
    let too_large = post(site.addr(), "/", &encode(&[("description", &huge)]));
    assert_eq!(too_large.status, 413);
    assert!(too_large.body.contains("8 (800) 000-00-00"));
    // a body bigger than it said
    let sneaky = exchange(
        site.addr(),
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
            60_000,
            "a".repeat(60_000)
        )
        .as_bytes(),
    );
    assert_eq!(sneaky.status, 413);
    let json = exchange(
        site.addr(),
        b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\
          Content-Length: 2\r\n\r\n{}",
    );
    assert_eq!(json.status, 415);
    // a body that never comes
    let mut slow = TcpStream::connect(site.addr()).expect("connect");
    // the refusal's head is what counts (hyper may hold its body while the request's is due)
    slow.set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    slow.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\nname=",
    )
    .expect("send");
    let started = Instant::now();
    let answer = read_answer(&mut slow);
    assert_eq!(answer.status, 408, "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // headers that never end: the connection is closed
    let mut trickle = TcpStream::connect(site.addr()).expect("connect");
    trickle
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    trickle
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .expect("send");
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = trickle.read_to_end(&mut rest);
    assert!(started.elapsed() < Duration::from_secs(5), "closed in time");
}

#[test]
fn a_slowloris_of_a_thousand_connections_does_not_stop_a_real_submission() {
    let site = Site::open_with(|config| {
        config.header_timeout = Duration::from_secs(20);
    });
    let attacker: IpAddr = "127.0.0.2".parse().expect("ip");
    let mut held = Vec::new();
    for _ in 0..1_000 {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        socket
            .bind(&SocketAddr::new(attacker, 0).into())
            .expect("bind 127.0.0.2");
        socket.connect(&site.addr().into()).expect("connect");
        let mut stream: TcpStream = socket.into();
        stream
            .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-a: ")
            .expect("start a request");
        held.push(stream);
    }
    let started = Instant::now();
    let token = site.token();
    let sent = post(site.addr(), "/", &encode(&filled(&token, "Дневник")));
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(held);
}

#[test]
fn with_the_server_down_the_page_says_so_with_the_hotline_and_keeps_nothing() {
    let mut site = Site::open();
    let token = site.token();
    if let Some(server) = site.server.take() {
        server.stop();
    }
    let sent = post(site.addr(), "/", &encode(&filled(&token, "Дневник")));
    assert_eq!(sent.status, 503, "{}", sent.body);
    assert!(sent.body.contains("8 (800) 000-00-00"));
    assert!(sent.body.contains("ничего не отправлено"));
    // a form with mistakes is shown with them all the same
    let mistaken = post(site.addr(), "/", &encode(&with_mistakes(&token)));
    assert_eq!(mistaken.status, 422, "{}", mistaken.body);
    has_reasons_beside(&mistaken, &["name", "phone", "email"]);
    let page = get(site.addr(), "/");
    assert_eq!(page.status, 503);
    // the server back: the same form goes through, once
    site.server = Some(start(site.dir.path(), Arc::new(site.clock.clone()), &me()).expect("again"));
    let sent = post(site.addr(), "/", &encode(&filled(&token, "Дневник")));
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(site.stored(), 1);
}

const HOSTILE: [&str; 5] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "=HYPERLINK(\"http://evil.example\",\"жми\")",
    "\u{1b}[31mкрасный\u{1b}[0m \u{202e}тсекс",
    "</textarea><svg onload=alert(1)>",
];

#[test]
fn hostile_text_is_escaped_on_every_page_and_plain_in_the_store_and_the_report() {
    let site = Site::open();
    let description = HOSTILE.join(" ");
    // shown back on a page with a refusal (no consent) and on the receipt
    let token = site.token();
    let mut pairs = filled(&token, &description);
    pairs.retain(|(name, _)| *name != "consent");
    pairs.push(("email", "\"><script>x</script>@mail.ru"));
    let refused = post(site.addr(), "/", &encode(&pairs));
    assert_eq!(refused.status, 422);
    let sent = post(site.addr(), "/", &encode(&filled(&token, &description)));
    assert_eq!(sent.status, 200, "{}", sent.body);
    for page in [&refused.body, &sent.body] {
        for raw in ["<script>", "<img", "<svg", "onerror=alert(1)>"] {
            assert!(!page.contains(raw), "{raw} came back unescaped");
        }
    }
    assert!(refused
        .body
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let request = site.request(1);
    assert!(
        !request
            .description
            .chars()
            .any(|c| c == '\u{1b}' || c == '\u{202e}'),
        "controls and bidi overrides are gone: {:?}",
        request.description
    );
    assert!(
        request.description.contains("<script>alert(1)</script>"),
        "kept as text"
    );
    // the daily report counts it by channel
    let report = match site.client().call(Command::DailyReport {
        date: None,
        offset_seconds: 0,
    }) {
        Ok(Reply::Daily { report }) => report,
        other => panic!("daily: {other:?}"),
    };
    let web = report
        .figures
        .received
        .by_channel
        .iter()
        .find(|tally| tally.key == Channel::Web)
        .map(|tally| tally.count);
    assert_eq!(web, Some(1));
}

#[test]
fn every_page_carries_the_strict_headers() {
    let site = Site::open_with(|config| {
        config.frame_ancestor = Some("https://school.example".into());
    });
    let token = site.token();
    let pages = [
        get(site.addr(), "/"),
        get(site.addr(), "/status?number=%3Cscript%3E"),
        get(site.addr(), "/consent"),
        get(site.addr(), "/privacy"),
        get(site.addr(), "/style.css"),
        get(site.addr(), "/nowhere"),
        post(site.addr(), "/", &encode(&filled(&token, "Дневник"))),
    ];
    for page in &pages {
        let csp = page.header("content-security-policy").unwrap_or("");
        assert!(csp.contains("default-src 'none'"), "{page:?}");
        assert!(csp.contains("frame-ancestors https://school.example"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert!(!page.body.contains("<script"), "no script on any page");
    }
    assert_eq!(pages[5].status, 404);
    assert!(!pages[1].body.contains("<script>"));
    assert!(pages[2].body.contains("152-ФЗ"), "the shipped consent text");
    // an origin that would end the directive is refused at start
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.frame_ancestor = Some("https://x; script-src *".into());
    let refused = pult::web::start(config, Arc::new(site.clock.clone()), false);
    assert!(refused.is_err());
}

#[test]
fn the_snippet_gives_the_button_with_the_hotline_and_a_bad_argument_a_sentence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pult = env!("CARGO_BIN_EXE_pult");
    let output = std::process::Command::new(pult)
        .args(["--data", common::path_str(dir.path())])
        .args([
            "web",
            "--snippet",
            "--public-url",
            "https://help.school.example/",
        ])
        .output()
        .expect("pult web --snippet");
    assert!(output.status.success());
    let html = String::from_utf8_lossy(&output.stdout);
    assert!(html.contains("Поддержка обучения в дистанционный период"));
    assert!(html.contains("href=\"https://help.school.example/\""));
    assert!(html.contains("8 (800) 000-00-00"));
    let output = std::process::Command::new(pult)
        .args(["--data", common::path_str(dir.path())])
        .args([
            "web",
            "--listen",
            "127.0.0.1:0",
            "--frame-ancestor",
            "javascript:alert(1)",
        ])
        .output()
        .expect("pult web");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("--frame-ancestor"), "{said}");
}
