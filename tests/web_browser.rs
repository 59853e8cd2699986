//! The website form (Appendix 1) in a real browser: Debian's Chromium, headless, driven over
//! WebDriver (`chromedriver` on loopback, through fantoccini) at a phone's width of 360 px.
//!
//! Each test starts a real server on a temp directory and a real `pult web` on 127.0.0.1:0 in
//! this process, and its own chromedriver (with its own Chromium and a fresh profile). Fields
//! are found the way a person finds them, by their labels' text. The form's minimum fill time
//! is passed by moving the door's clock (a `ManualClock`), not by sleeping.
//!
//! Without `/usr/bin/chromium` or `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`; CI installs them), or when chromedriver does not start, a test says why
//! and skips. chromedriver and its browser run in a process group of their own, ended by a
//! `Drop` guard, also when a test panics.

mod common;

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tempfile::TempDir;

use pult::domain::time::{Clock, ManualClock, SystemClock};
use pult::net::client::Launch;
use pult::net::server::ServerHandle;
use pult::web::token::MIN_FILL_MS;
use pult::web::{WebConfig, WebHandle};

use common::people::me;
use common::{path_str, shell_quote, Tmux, EXITED, POLL, PULT_BUILT, TIMEOUT};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The phone emulated: narrower than headless Chrome lets a window be (about 500 px).
const PHONE_WIDTH: i64 = 360;

// ---------------------------------------------------------------------------------------------
// chromedriver and its browser

/// A running chromedriver, in a process group of its own with the Chromium it starts: on drop
/// the whole group is ended (SIGTERM, then SIGKILL), so a failing test leaves no browser.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    /// chromedriver on a free loopback port, once it accepts connections; `Err` says why the
    /// browser tests cannot run here.
    fn start(dir: &Path) -> Result<Driver, String> {
        if !Path::new(CHROMIUM).is_file() {
            return Err(format!(
                "chromium is not installed ({CHROMIUM} is missing; apt-get install chromium \
                 chromium-driver)"
            ));
        }
        if !Path::new(CHROMEDRIVER).is_file() {
            return Err(format!(
                "chromium-driver is not installed ({CHROMEDRIVER} is missing; apt-get install \
                 chromium chromium-driver)"
            ));
        }
        let port = free_port();
        let log = dir.join("chromedriver.log");
        let out =
            File::create(&log).map_err(|error| format!("create {}: {error}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|error| format!("open {} twice: {error}", log.display()))?;
        let child = {
            use std::os::unix::process::CommandExt;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                // its own group, to be ended whole with the browsers it starts
                .process_group(0)
                .spawn()
                .map_err(|error| format!("chromedriver does not start: {error}"))?
        };
        let mut driver = Driver { child, port, log };
        let started = Instant::now();
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(driver);
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                return Err(format!(
                    "chromedriver exited at once ({status}):\n{}",
                    driver.log_text()
                ));
            }
            if started.elapsed() > TIMEOUT {
                return Err(format!(
                    "chromedriver did not listen on port {port} within {TIMEOUT:?}:\n{}",
                    driver.log_text()
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A WebDriver session on headless Chromium emulating a 360-px phone, with a fresh
    /// profile under `dir`.
    async fn session(&self, dir: &Path) -> Client {
        let profile = dir.join("chromium-profile");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    // CI runs as root, where Chromium's sandbox cannot start
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", path_str(&profile)),
                ],
                "mobileEmulation": {
                    "deviceMetrics": { "width": PHONE_WIDTH, "height": 740, "pixelRatio": 2 }
                }
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("the capabilities are a JSON object")
        };
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url())
            .await
        {
            Ok(client) => client,
            Err(error) => panic!(
                "chromedriver started no Chromium session: {error}\nchromedriver's log:\n{}",
                self.log_text()
            ),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = -(self.child.id() as i32);
        // SAFETY: kill has no memory preconditions; the group is chromedriver's own, made
        // at its spawn, holding it and the browsers it started.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(POLL);
        }
        // whatever of the group is left (a browser that outlived its driver)
        // SAFETY: as above.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("chromedriver's log:\n{}", self.log_text());
        }
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind a loopback port to learn a free one")
}

// ---------------------------------------------------------------------------------------------
// pult: the server and the website door

/// A temp directory with a data directory (its server and `pult web` running in this
/// process) and an empty config directory for a console.
struct Site {
    // dropped in this order: the door, the server, the directory
    web: WebHandle,
    _server: ServerHandle,
    /// The door's clock: the form's token is timed by it.
    clock: ManualClock,
    root: TempDir,
}

impl Site {
    fn start() -> Site {
        let root = tempfile::Builder::new()
            .prefix("pult-browser-")
            .tempdir()
            .expect("create a temporary directory");
        let data = root.path().join("data");
        std::fs::create_dir(&data).expect("create the data directory");
        std::fs::create_dir(root.path().join("config")).expect("create the config directory");
        // the OS user running the test becomes the store's first admin, operator and head
        let server = pult::net::server::start(&data, Arc::new(SystemClock), &me())
            .expect("the server starts on the temp directory");
        let clock = ManualClock::new(SystemClock.now());
        let listen: SocketAddr = "127.0.0.1:0".parse().expect("a socket address");
        let mut config = WebConfig::new(listen, &data);
        config.launch = Launch::Never;
        let web = pult::web::start(config, Arc::new(clock.clone()), false)
            .expect("pult web starts on a loopback port");
        Site {
            web,
            _server: server,
            clock,
            root,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.web.addr)
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("config")
    }

    /// The time a person needs to fill the form passes (for the door's token).
    fn let_fill_time_pass(&self) {
        self.clock.advance_millis(MIN_FILL_MS + 1_000);
    }

    /// The console on this data directory, as in tests/e2e_tmux.rs: it reaches the server
    /// already running here; the shell behind it says how it ended.
    fn console_command(&self) -> String {
        format!(
            "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color XDG_CONFIG_HOME={} {} --data {}; \
             echo \"{EXITED} $?\"; sleep 600",
            shell_quote(path_str(&self.config())),
            shell_quote(PULT_BUILT),
            shell_quote(path_str(&self.data())),
        )
    }
}

/// The server, the door and chromedriver, or why the browser cannot be had (the test skips).
fn start_all() -> Option<(Site, Driver)> {
    let site = Site::start();
    match Driver::start(site.root.path()) {
        Ok(driver) => Some((site, driver)),
        Err(reason) => {
            eprintln!("skipped: {reason}");
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the WebDriver client")
}

// ---------------------------------------------------------------------------------------------
// The page, as a person sees it

/// An XPath string literal of `text` (no apostrophes in the texts looked for).
fn literal(text: &str) -> String {
    assert!(!text.contains('\''), "no apostrophe in {text:?}");
    format!("'{text}'")
}

/// The `<label>` whose text contains `text`.
async fn label(client: &Client, text: &str) -> Element {
    let xpath = format!("//label[contains(., {})]", literal(text));
    match client.find(Locator::XPath(&xpath)).await {
        Ok(label) => label,
        Err(error) => panic!(
            "no label «{text}» on the page ({error}); the page:\n{}",
            client.source().await.unwrap_or_default()
        ),
    }
}

/// The control a label whose text contains `text` is for (its `for`, then that id).
async fn field(client: &Client, text: &str) -> Element {
    let id = label(client, text)
        .await
        .attr("for")
        .await
        .expect("read the label's `for`")
        .unwrap_or_else(|| panic!("the label «{text}» names no field"));
    client
        .find(Locator::Id(&id))
        .await
        .unwrap_or_else(|error| panic!("no field #{id} for the label «{text}»: {error}"))
}

/// What a field holds now.
async fn value(element: &Element) -> String {
    element
        .prop("value")
        .await
        .expect("read a field's value")
        .unwrap_or_default()
}

async fn type_into(client: &Client, label_text: &str, text: &str) {
    field(client, label_text)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|error| panic!("type into «{label_text}»: {error}"));
}

async fn click_label(client: &Client, text: &str) {
    label(client, text)
        .await
        .click()
        .await
        .unwrap_or_else(|error| panic!("click the label «{text}»: {error}"));
}

/// The page's width and the viewport's: at 360 px nothing may need a sideways scroll.
async fn assert_no_sideways_scroll(client: &Client, page: &str) {
    let widths = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            Vec::new(),
        )
        .await
        .expect("measure the page");
    let width = |index: usize| {
        widths[index]
            .as_i64()
            .unwrap_or_else(|| panic!("a width in {widths}"))
    };
    let (scroll, inner) = (width(0), width(1));
    assert_eq!(
        inner, PHONE_WIDTH,
        "the browser emulates a {PHONE_WIDTH}-px phone ({page})"
    );
    assert!(
        scroll <= inner,
        "{page}: the page is {scroll} px wide in a {inner}-px window, so it scrolls sideways"
    );
}

/// Waits for an element (the page after a click may still be loading).
async fn wait_for(client: &Client, xpath: &str) -> Element {
    match client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::XPath(xpath))
        .await
    {
        Ok(element) => element,
        Err(error) => panic!(
            "{xpath} did not appear ({error}); the page:\n{}",
            client.source().await.unwrap_or_default()
        ),
    }
}

/// Whether the part of `element` matching `css` is shown.
async fn shown(element: &Element, css: &str) -> bool {
    element
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css} inside: {error}"))
        .is_displayed()
        .await
        .expect("ask whether an element is shown")
}

/// Submits the form with its button.
async fn send(client: &Client) {
    client
        .find(Locator::XPath(
            "//button[contains(., 'Отправить обращение')]",
        ))
        .await
        .expect("the form has its button «Отправить обращение»")
        .click()
        .await
        .expect("click «Отправить обращение»");
}

const NAME: &str = "Соколова Мария Петровна";
const SURNAME: &str = "Соколова";
const CLASS: &str = "7Б";
const DESCRIPTION: &str = "Ребёнок не может войти в электронный дневник";
const PHONE: &str = "8 912 345-67-89";
const EMAIL: &str = "sokolova@example.ru";

/// A parent fills every field but the consent, finding each by its label.
async fn fill_as_parent(client: &Client) {
    type_into(client, "1. Укажите ФИО", NAME).await;
    click_label(client, "родителем").await;
    // the class's question follows the role: the parent's is shown, the pupil's hidden
    let class_label = label(client, "обучается Ваш ребенок (для родителя)").await;
    assert!(
        shown(&class_label, "span.for-parent").await,
        "a parent sees question 4 (the child's class)"
    );
    assert!(
        !shown(&class_label, "span.for-student").await,
        "a parent does not see question 3 (the pupil's own class)"
    );
    type_into(client, "обучается Ваш ребенок (для родителя)", CLASS).await;
    click_label(client, "проблема с ЭЖД").await;
    type_into(client, "6. Опишите Вашу проблему", DESCRIPTION).await;
    type_into(client, "7. Укажите телефон для обратной связи", PHONE).await;
    type_into(client, "8. Укажите адрес электронной почты", EMAIL).await;
    // the trap for bots stays empty when a person fills the form
    let trap = client
        .find(Locator::Id("website"))
        .await
        .expect("the form has its hidden field `website`");
    assert_eq!(value(&trap).await, "", "nobody typed into the hidden field");
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn a_parent_fills_the_site_form_in_a_real_browser_and_the_console_shows_it() {
    let Some((site, driver)) = start_all() else {
        return;
    };
    let number = runtime().block_on(async {
        let client = driver.session(site.root.path()).await;
        client.goto(&site.url()).await.expect("open the form");
        assert_no_sideways_scroll(&client, "the form").await;

        fill_as_parent(&client).await;
        click_label(
            &client,
            "Я даю согласие на обработку моих персональных данных",
        )
        .await;
        assert!(
            field(&client, "Я даю согласие")
                .await
                .is_selected()
                .await
                .expect("read the consent's box"),
            "clicking the consent's label ticks its box"
        );
        site.let_fill_time_pass();
        send(&client).await;

        // the receipt, or the form again with a note or the reasons (then say which)
        let answer = wait_for(&client, "//h1[contains(., 'принято')] | //*[@role='alert']").await;
        let title = answer.text().await.expect("read the receipt's title");
        if answer.tag_name().await.expect("read the answer's tag") != "h1" {
            panic!("the form was not accepted: «{title}»");
        }
        let number_text = client
            .find(Locator::XPath(
                "//p[contains(., 'Номер обращения:')]/strong",
            ))
            .await
            .expect("the receipt shows «Номер обращения:»")
            .text()
            .await
            .expect("read the number");
        let number: u64 = number_text
            .trim()
            .strip_prefix('№')
            .and_then(|digits| digits.parse().ok())
            .unwrap_or_else(|| panic!("the number «{number_text}» is №N"));
        assert_eq!(title, format!("Обращение №{number} принято"));
        assert_no_sideways_scroll(&client, "the receipt").await;
        client.close().await.expect("end the browser's session");
        number
    });

    // The request is in the console's Входящие, the caller's surname beside it.
    let tmux = Tmux::start(site.root.path(), "browser");
    let console = tmux.session("console", &site.console_command());
    let wanted = format!("№{number}");
    console.wait_until(
        &format!("Входящие with «{wanted}» and «{SURNAME}»"),
        |screen| {
            screen.contains("Входящие") && screen.contains(&wanted) && screen.contains(SURNAME)
        },
    );
    console.keys(&["q"]);
    console.wait_for_clean_exit();
    drop(driver);
}

#[test]
fn the_form_without_consent_says_why_next_to_the_checkbox_in_a_browser() {
    let Some((site, driver)) = start_all() else {
        return;
    };
    runtime().block_on(async {
        let client = driver.session(site.root.path()).await;
        client.goto(&site.url()).await.expect("open the form");
        fill_as_parent(&client).await;
        site.let_fill_time_pass();
        send(&client).await;

        // the reason, beside the box: in the consent's own field, and the box points to it
        let reason = wait_for(
            &client,
            "//input[@id='consent']/ancestor::div[contains(@class, 'consent')]\
             //*[@id='consent-error']",
        )
        .await;
        assert_eq!(
            reason.text().await.expect("read the reason"),
            "Без согласия на обработку персональных данных обращение через сайт не отправить: \
             отметьте его или позвоните на горячую линию."
        );
        assert!(
            reason
                .is_displayed()
                .await
                .expect("ask whether it is shown"),
            "the reason is shown"
        );
        let consent = field(&client, "Я даю согласие").await;
        let focused = client
            .active_element()
            .await
            .expect("ask which element has the focus")
            .attr("id")
            .await
            .expect("read the focused element's id");
        assert_eq!(
            focused.as_deref(),
            Some("consent"),
            "the form comes back with the focus on the one field to fix"
        );
        assert_eq!(
            consent
                .attr("aria-describedby")
                .await
                .expect("read aria-describedby")
                .as_deref(),
            Some("consent-error"),
            "the box is described by its reason"
        );
        assert!(
            !consent.is_selected().await.expect("read the consent's box"),
            "the box is still not ticked"
        );
        assert!(
            client
                .find(Locator::XPath("//h1[contains(., 'принято')]"))
                .await
                .is_err(),
            "nothing was sent"
        );

        // what was typed is all still there
        assert_eq!(value(&field(&client, "1. Укажите ФИО").await).await, NAME);
        assert!(
            field(&client, "родителем")
                .await
                .is_selected()
                .await
                .expect("read the role"),
            "the role stays «родителем»"
        );
        assert_eq!(
            value(&field(&client, "обучается Ваш ребенок").await).await,
            CLASS
        );
        assert!(
            field(&client, "проблема с ЭЖД")
                .await
                .is_selected()
                .await
                .expect("read the category"),
            "the category stays «проблема с ЭЖД»"
        );
        assert_eq!(
            value(&field(&client, "6. Опишите Вашу проблему").await).await,
            DESCRIPTION
        );
        assert_eq!(
            value(&field(&client, "7. Укажите телефон для обратной связи").await).await,
            PHONE
        );
        assert_eq!(
            value(&field(&client, "8. Укажите адрес электронной почты").await).await,
            EMAIL
        );
        assert_no_sideways_scroll(&client, "the form with its reasons").await;
        client.close().await.expect("end the browser's session");
    });
    drop(driver);
}
