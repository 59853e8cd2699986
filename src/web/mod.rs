//! `pult web`: the website form (Appendix 1) over HTTP, the one part of pult that faces the
//! public internet. It is a client of `pult server` like a console, with a connection that may
//! only submit a website request and read a request's public status (`Mode::Web`): it holds
//! no store, so a flaw on the HTTP side can read or change nothing else.
//!
//! `door` is that connection; `routes` the pages' handlers and the walls around them (sizes,
//! timeouts, rates, origins, the form's token, the headers); `urlencoded` reads a posted
//! form; `pages` draws them.

mod door;
pub mod limits;
pub mod pages;
mod routes;
pub mod token;
mod urlencoded;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::Semaphore;

pub use door::{Door, DoorError};
use limits::Rate;

use crate::domain::policy::{Policy, ServiceInfo, DEFAULT_POLICY_TOML};
use crate::domain::time::Clock;
use crate::net::client::Launch;
use crate::service::setup::POLICY_FILE;
use crate::service::website::{SiteText, WebInfo};

/// How long a client may take to send its request's headers, and then its body.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest form accepted (a 4,000-letter description in Cyrillic, percent-encoded, is
/// about 24 KiB).
pub const FORM_LIMIT: usize = 48 * 1024;
/// Connections open at once; past it, new ones wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 4_096;

#[derive(Debug, Clone)]
pub struct WebConfig {
    pub listen: SocketAddr,
    pub data: PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The school site's origin, when the form is shown in a frame there.
    pub frame_ancestor: Option<String>,
    /// The origin the form is reached at from outside (`https://help.school.ru`), for the
    /// forged-post check and the button's link; else the request's own Host.
    pub public_url: Option<String>,
    /// Posts of the form (and, apart, status lookups) per client address and for everyone.
    pub per_address: Rate,
    pub total: Rate,
    /// Whether the door may start the server when none answers (the first time only).
    pub launch: Launch,
    /// How long a client may take to send its headers, then its body.
    pub header_timeout: Duration,
    pub body_timeout: Duration,
}

impl WebConfig {
    pub fn new(listen: SocketAddr, data: &Path) -> WebConfig {
        WebConfig {
            listen,
            data: data.to_path_buf(),
            trusted_proxies: Vec::new(),
            frame_ancestor: None,
            public_url: None,
            per_address: Rate::per_minutes(10, 10),
            total: Rate::per_minutes(300, 1),
            launch: Launch::Never,
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
        }
    }
}

#[derive(Debug, Error)]
pub enum WebError {
    #[error("{}", tr!("web.error.listen", address = .address, error = .source))]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("{}", tr!("web.error.runtime", error = .0))]
    Runtime(std::io::Error),
    #[error("{}", tr!("web.error.random", error = .0))]
    Random(std::io::Error),
    #[error("{}", tr!("web.error.frame_ancestor", value = .0))]
    FrameAncestor(String),
}

/// A running website door (for tests and `run`): its address, and `stop`.
pub struct WebHandle {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WebHandle {
    pub fn stop(mut self) {
        self.shut();
    }

    /// Waits until the door stops by itself (a signal).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn shut(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for WebHandle {
    fn drop(&mut self) {
        self.shut();
    }
}

/// Binds `config.listen` and serves the form on a runtime of its own until stopped (or, with
/// `signals`, until SIGTERM or SIGINT).
pub fn start(
    config: WebConfig,
    clock: Arc<dyn Clock>,
    signals: bool,
) -> Result<WebHandle, WebError> {
    check_frame_ancestor(config.frame_ancestor.as_deref())?;
    crate::os::raise_descriptor_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // one: a page's work is short, and two workers cost more in waking each other than
        // they gain (76 µs of CPU a submission against 44–60 µs, `cargo bench --bench web`)
        .worker_threads(1)
        .thread_name("pult-web")
        .enable_all()
        .build()
        .map_err(WebError::Runtime)?;
    let listener = {
        let _inside = runtime.enter();
        listen(config.listen).map_err(|source| WebError::Listen {
            address: config.listen,
            source,
        })?
    };
    let addr = listener.local_addr().map_err(WebError::Runtime)?;
    let site = routes::Site::new(&config, clock).map_err(WebError::Random)?;
    let header_timeout = config.header_timeout;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("pult-web-main".into())
        .spawn(move || {
            runtime.block_on(async move {
                let site = Arc::new(site);
                site.warm_up().await;
                let until = async move {
                    if signals {
                        wait_for_signal(stopped).await;
                    } else {
                        let _ = stopped.await;
                    }
                };
                let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
                routes::serve(listener, site, connections, header_timeout, until).await;
            });
            // connections still open are dropped with the runtime
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(WebError::Runtime)?;
    Ok(WebHandle {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn wait_for_signal(stopped: tokio::sync::oneshot::Receiver<()>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        let _ = stopped.await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = stopped => {}
    }
}

/// Connections a burst may open before they are accepted (std's 128 overflowed at a
/// thousand at once: the kernel drops the rest and each client waits a second to retry).
const BACKLOG: u32 = 1_024;

fn listen(address: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // a restart may bind again while the last run's connections linger in TIME_WAIT
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(BACKLOG)
}

/// `frame-ancestors` takes an origin, nothing that could end the header's directive.
fn check_frame_ancestor(value: Option<&str>) -> Result<(), WebError> {
    let Some(value) = value else { return Ok(()) };
    let origin_like = (value.starts_with("https://") || value.starts_with("http://"))
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:/".contains(c))
        && value.len() < 200;
    if origin_like {
        Ok(())
    } else {
        Err(WebError::FrameAncestor(value.to_string()))
    }
}

/// What the pages show before the server has answered once: the policy's name and hotline
/// when the data directory's policy can be read, else the shipped ones.
pub fn fallback_info(data: &Path) -> WebInfo {
    let empty = || SiteText {
        version: String::new(),
        text: String::new(),
    };
    let policy = std::fs::read_to_string(data.join(POLICY_FILE))
        .ok()
        .and_then(|text| Policy::parse(&text).ok())
        .or_else(|| Policy::parse(DEFAULT_POLICY_TOML).ok());
    match policy {
        Some(policy) => WebInfo::of(&policy, empty(), empty()),
        None => WebInfo {
            service: ServiceInfo::default(),
            categories: Vec::new(),
            deadlines: Default::default(),
            consent: empty(),
            privacy: empty(),
            zone: None,
        },
    }
}
