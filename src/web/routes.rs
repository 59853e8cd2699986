//! The website's handlers and the walls around them: every connection has a header-read
//! deadline, every body a size and a time limit, every post a rate, an origin check and a
//! token; every page the same strict headers.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use maud::Markup;
use tokio::net::TcpListener;
use tokio::sync::{RwLock, Semaphore};
use tower::ServiceExt;

use super::door::{Door, DoorError};
use super::limits::{client_address, Limited, Limiter};
use super::pages::{self, FormPage, Typed};
use super::token::{Signer, TokenError};
use super::urlencoded;
use super::{fallback_info, WebConfig, FORM_LIMIT};
use crate::domain::call_form::Field;
use crate::domain::request::{CallerRole, Category, RequestId};
use crate::domain::time::Clock;
use crate::service::website::{WebForm, WebInfo};
use crate::service::{FailureKind, Reply};

/// How long the pages trust what the server last said of the service (its name, hotline,
/// types and consent texts).
const INFO_FRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// Everything the handlers share.
pub(super) struct Site {
    door: Door,
    signer: Signer,
    clock: Arc<dyn Clock>,
    submits: Limiter,
    lookups: Limiter,
    trusted: Vec<IpAddr>,
    public_url: Option<String>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    /// A page's headers, `headers` among them, made once: a page clones them.
    page_headers: HeaderMap,
    /// Shared by every page, not copied (it holds the consent texts).
    info: RwLock<(Option<Instant>, Arc<WebInfo>)>,
    body_timeout: std::time::Duration,
}

/// The peer of the connection a request came on.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

impl Site {
    pub(super) fn new(config: &WebConfig, clock: Arc<dyn Clock>) -> std::io::Result<Site> {
        let frame = match &config.frame_ancestor {
            Some(origin) => format!("frame-ancestors {origin}"),
            None => "frame-ancestors 'none'".to_string(),
        };
        let csp = format!(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             base-uri 'none'; {frame}"
        );
        let mut headers = vec![
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                header::HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
            ),
            (
                header::HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
        ];
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.push((header::CONTENT_SECURITY_POLICY, value));
        }
        if config.frame_ancestor.is_none() {
            headers.push((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")));
        }
        let mut page_headers = HeaderMap::with_capacity(headers.len() + 2);
        page_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        page_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in &headers {
            page_headers.insert(name.clone(), value.clone());
        }
        Ok(Site {
            door: Door::new(&config.data, config.launch.clone()),
            signer: Signer::new()?,
            clock,
            submits: Limiter::new(config.per_address, config.total),
            lookups: Limiter::new(config.per_address, config.total),
            trusted: config.trusted_proxies.clone(),
            public_url: config.public_url.clone(),
            headers,
            page_headers,
            info: RwLock::new((None, Arc::new(fallback_info(&config.data)))),
            body_timeout: config.body_timeout,
        })
    }

    /// Asks the server once at start (and starts it, where this door may).
    pub(super) async fn warm_up(&self) {
        let _ = self.fresh_info().await;
    }

    /// What the server says of the service now, or why it cannot be asked (with what it
    /// said last, for the page that says so).
    async fn fresh_info(&self) -> Result<Arc<WebInfo>, Arc<WebInfo>> {
        {
            let info = self.info.read().await;
            if info.0.is_some_and(|at| at.elapsed() < INFO_FRESH) {
                return Ok(Arc::clone(&info.1));
            }
        }
        match self.door.call(crate::service::Command::WebInfo).await {
            Ok(Reply::WebInfo { info }) => {
                let info = Arc::new(*info);
                let mut kept = self.info.write().await;
                *kept = (Some(Instant::now()), Arc::clone(&info));
                Ok(info)
            }
            _ => {
                let mut kept = self.info.write().await;
                kept.0 = None;
                Err(Arc::clone(&kept.1))
            }
        }
    }

    /// The last known info, asked again when stale; a server down leaves it as it was.
    async fn any_info(&self) -> Arc<WebInfo> {
        match self.fresh_info().await {
            Ok(info) | Err(info) => info,
        }
    }

    async fn forget_info(&self) {
        self.info.write().await.0 = None;
    }

    fn page(&self, status: StatusCode, markup: Markup) -> Response {
        let mut response = Response::new(Body::from(markup.into_string()));
        *response.status_mut() = status;
        *response.headers_mut() = self.page_headers.clone();
        response
    }

    fn secure(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }

    fn trouble(&self, info: &WebInfo, status: StatusCode, title: &str, what: &str) -> Response {
        self.page(status, pages::trouble(info, title, what))
    }

    fn server_down(&self, info: &WebInfo) -> Response {
        self.trouble(
            info,
            StatusCode::SERVICE_UNAVAILABLE,
            tr!("web.down.title"),
            tr!("web.down.text"),
        )
    }

    fn limited(&self, info: &WebInfo, limited: Limited) -> Response {
        let what = match limited {
            Limited::Address => tr!("web.limited.address"),
            Limited::Everyone => tr!("web.limited.everyone"),
        };
        let mut response = self.trouble(
            info,
            StatusCode::TOO_MANY_REQUESTS,
            tr!("web.limited.title"),
            what,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        response
    }

    fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok());
        client_address(peer.ip(), forwarded, &self.trusted)
    }

    /// A post from a page of another site is refused: by the browser's own word
    /// (`Sec-Fetch-Site`), else by its `Origin`. A client that sends neither still needs a
    /// token this door gave out.
    fn same_origin(&self, headers: &HeaderMap) -> bool {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        if let Some(site) = text("sec-fetch-site") {
            return matches!(site, "same-origin" | "none");
        }
        let Some(origin) = text("origin") else {
            return true;
        };
        let origin = origin.trim_end_matches('/');
        if let Some(public) = &self.public_url {
            if public.trim_end_matches('/') == origin {
                return true;
            }
        }
        match text("host") {
            Some(host) => origin == format!("http://{host}") || origin == format!("https://{host}"),
            None => false,
        }
    }
}

pub(super) fn router(site: Arc<Site>) -> Router {
    Router::new()
        .route("/", get(form_page).post(submit))
        .route("/status", get(status_page).post(lookup))
        .route("/consent", get(consent_page))
        .route("/privacy", get(privacy_page))
        .route("/style.css", get(style))
        .fallback(not_found)
        .with_state(site)
}

/// Accepts connections until `until` ends; each is served by hyper with a header deadline.
pub(super) async fn serve(
    listener: TcpListener,
    site: Arc<Site>,
    connections: Arc<Semaphore>,
    header_timeout: std::time::Duration,
    until: impl Future<Output = ()>,
) {
    let app = router(site);
    tokio::pin!(until);
    loop {
        let Ok(permit) = Arc::clone(&connections).acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut until => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(_) => {
                // out of descriptors: let some connections end first
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        // An answer hyper writes in more than one piece must not wait for the client's
        // delayed ACK (Nagle); a socket that refuses the option is still served.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(Peer(peer));
                    app.clone().oneshot(request.map(Body::new))
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(FORM_LIMIT.max(16 * 1024))
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

async fn form_page(State(site): State<Arc<Site>>) -> Response {
    let info = match site.fresh_info().await {
        Ok(info) => info,
        Err(info) => return site.server_down(&info),
    };
    fresh_form(
        &site,
        &info,
        &Typed::default(),
        Vec::new(),
        None,
        StatusCode::OK,
    )
}

/// The form with a new token, the values kept and the reasons beside their fields.
fn fresh_form(
    site: &Site,
    info: &WebInfo,
    typed: &Typed,
    errors: Vec<(&'static str, String)>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    match site.signer.issue(site.clock.now()) {
        Ok(token) => form_again(site, info, typed, errors, notice, status, token),
        Err(_) => site.server_down(info),
    }
}

/// The form shown again with the token it was sent with: it is still the same form (its
/// key names the one request it may make, and its fill time runs from when it was opened).
fn form_again(
    site: &Site,
    info: &WebInfo,
    typed: &Typed,
    errors: Vec<(&'static str, String)>,
    notice: Option<String>,
    status: StatusCode,
    token: String,
) -> Response {
    site.page(
        status,
        pages::form(&FormPage {
            info,
            typed,
            errors,
            notice,
            token,
        }),
    )
}

/// A post that passes the walls every post meets (its rate, its origin), and its body as
/// pairs; or the page that refuses it (over the rate, another site's, a wrong type, too
/// large, too slow).
async fn accept_post(
    site: &Site,
    rate: &Limiter,
    peer: SocketAddr,
    request: Request<Body>,
) -> Result<(Arc<WebInfo>, Vec<(String, String)>), Response> {
    let info = site.any_info().await;
    if let Err(limited) = rate.take(site.client(peer, request.headers()), site.clock.now()) {
        return Err(site.limited(&info, limited));
    }
    if !site.same_origin(request.headers()) {
        return Err(site.trouble(
            &info,
            StatusCode::FORBIDDEN,
            tr!("web.refused.title"),
            tr!("web.refused.origin"),
        ));
    }
    let pairs = read_form(site, &info, request).await?;
    Ok((info, pairs))
}

/// A post's body as pairs, or the page that refuses it (wrong type, too large, too slow).
async fn read_form(
    site: &Site,
    info: &WebInfo,
    request: Request<Body>,
) -> Result<Vec<(String, String)>, Response> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.split(';').next().is_some_and(|kind| {
                kind.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        return Err(closing(site.trouble(
            info,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            tr!("web.refused.title"),
            tr!("web.refused.content_type"),
        )));
    }
    let too_large = || {
        closing(site.trouble(
            info,
            StatusCode::PAYLOAD_TOO_LARGE,
            tr!("web.refused.title"),
            tr!("web.refused.too_large"),
        ))
    };
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > FORM_LIMIT as u64) {
        return Err(too_large());
    }
    let body = request.into_body();
    let bytes =
        match tokio::time::timeout(site.body_timeout, axum::body::to_bytes(body, FORM_LIMIT)).await
        {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => return Err(too_large()),
            Err(_) => {
                return Err(site.trouble(
                    info,
                    StatusCode::REQUEST_TIMEOUT,
                    tr!("web.refused.title"),
                    tr!("web.refused.slow"),
                ))
            }
        };
    Ok(urlencoded::pairs(&bytes, 64))
}

/// A refusal before the body was read whole: the connection ends with it (what is left of
/// the body must not be read as the next request).
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or("")
}

/// Longest a field may arrive (the domain's checks say what is right within it).
fn bounded(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

fn typed_of(pairs: &[(String, String)]) -> Typed {
    Typed {
        name: bounded(first(pairs, "name"), 400),
        role: bounded(first(pairs, "role"), 20),
        class: bounded(first(pairs, "class"), 40),
        category: bounded(first(pairs, "category"), 40),
        description: bounded(
            first(pairs, "description"),
            crate::domain::validate::MAX_DESCRIPTION + 1,
        ),
        phone: bounded(first(pairs, "phone"), 80),
        email: bounded(first(pairs, "email"), 400),
        consent: first(pairs, "consent") == "yes",
    }
}

fn html_name(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::Role => "role",
        Field::Class => "class",
        Field::Category => "category",
        Field::Description => "description",
        Field::Phone => "phone",
        Field::Email => "email",
    }
}

/// The request the form as typed makes, named by its key.
fn web_form(typed: &Typed, info: &WebInfo, key: [u8; 16]) -> WebForm {
    WebForm {
        name: typed.name.clone(),
        role: CallerRole::from_key(&typed.role),
        class: typed.class.clone(),
        category: Category::from_key(&typed.category),
        description: typed.description.clone(),
        phone: typed.phone.clone(),
        email: typed.email.clone(),
        consent_version: typed.consent.then(|| info.consent.version.clone()),
        key,
    }
}

/// What the domain's check finds wrong with `form`, each reason with its field's name.
fn reasons(form: &WebForm) -> Vec<(&'static str, String)> {
    match form.draft().check() {
        Ok(_) => Vec::new(),
        Err(found) => found
            .errors
            .iter()
            .map(|(field, error)| (html_name(*field), error.to_string()))
            .collect(),
    }
}

async fn submit(
    State(site): State<Arc<Site>>,
    Extension(Peer(peer)): Extension<Peer>,
    request: Request<Body>,
) -> Response {
    let (info, pairs) = match accept_post(&site, &site.submits, peer, request).await {
        Ok(accepted) => accepted,
        Err(refused) => return refused,
    };
    let now = site.clock.now();
    let typed = typed_of(&pairs);
    let token = bounded(first(&pairs, "token"), 200);
    let key = match site.signer.check(&token, now) {
        Ok(key) => key,
        Err(TokenError::Forged) => {
            return site.trouble(
                &info,
                StatusCode::FORBIDDEN,
                tr!("web.refused.title"),
                tr!("web.refused.token"),
            )
        }
        Err(TokenError::Stale) => {
            let notice = Some(tr!("web.form.stale").to_string());
            return fresh_form(&site, &info, &typed, Vec::new(), notice, StatusCode::OK);
        }
        Err(TokenError::TooQuick) => {
            let notice = Some(tr!("web.form.too_quick").to_string());
            let status = StatusCode::OK;
            return form_again(&site, &info, &typed, Vec::new(), notice, status, token);
        }
    };
    if !first(&pairs, "website").is_empty() {
        let notice = Some(tr!("web.form.trap_filled").to_string());
        let status = StatusCode::BAD_REQUEST;
        return form_again(&site, &info, &typed, Vec::new(), notice, status, token);
    }
    let form = web_form(&typed, &info, key);
    if !typed.consent {
        let mut errors = reasons(&form);
        errors.push(("consent", tr!("web.form.consent_required").to_string()));
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_again(&site, &info, &typed, errors, None, status, token);
    }
    // the server checks the form (the console's own check, in the domain) before anything
    // is stored; the reasons beside the fields are looked for only when it did not take it
    let refused_form = || reasons(&web_form(&typed, &info, key));
    let again = |errors, notice, status| {
        form_again(&site, &info, &typed, errors, notice, status, token.clone())
    };
    match site
        .door
        .call(crate::service::Command::SubmitWeb { form })
        .await
    {
        Ok(Reply::Submitted { receipt }) => site.page(StatusCode::OK, pages::sent(&info, &receipt)),
        Ok(_) => site.server_down(&info),
        Err(DoorError::Refused(failure)) if failure.kind == FailureKind::Form => {
            let errors = refused_form();
            let notice = errors.is_empty().then_some(failure.message);
            again(errors, notice, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(DoorError::Refused(failure)) if failure.kind == FailureKind::Consent => {
            // the school changed the text: show the new one to be agreed to (the server
            // asks for the consent before it checks the fields: their reasons too)
            site.forget_info().await;
            let info = site.any_info().await;
            let mut errors = refused_form();
            errors.push(("consent", failure.message));
            let mut typed = typed.clone();
            typed.consent = false;
            form_again(
                &site,
                &info,
                &typed,
                errors,
                None,
                StatusCode::CONFLICT,
                token.clone(),
            )
        }
        Err(error) => {
            if matches!(error, DoorError::Unreachable(_)) {
                site.forget_info().await;
            }
            // a form with mistakes is shown with them, whatever kept the server from checking it
            let errors = refused_form();
            if !errors.is_empty() {
                return again(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
            }
            match error {
                DoorError::Refused(failure) => site.trouble(
                    &info,
                    StatusCode::SERVICE_UNAVAILABLE,
                    tr!("web.down.title"),
                    &tr!("web.not_saved", why = failure.message),
                ),
                DoorError::Unreachable(_) => site.server_down(&info),
            }
        }
    }
}

async fn status_page(State(site): State<Arc<Site>>, RawQuery(query): RawQuery) -> Response {
    let info = site.any_info().await;
    let number = urlencoded::pairs(query.unwrap_or_default().as_bytes(), 64)
        .into_iter()
        .find(|(name, _)| name == "number")
        .map(|(_, number)| bounded(&number, 20))
        .unwrap_or_default();
    site.page(StatusCode::OK, pages::status_form(&info, &number, None))
}

async fn lookup(
    State(site): State<Arc<Site>>,
    Extension(Peer(peer)): Extension<Peer>,
    request: Request<Body>,
) -> Response {
    let (info, pairs) = match accept_post(&site, &site.lookups, peer, request).await {
        Ok(accepted) => accepted,
        Err(refused) => return refused,
    };
    let number_typed = bounded(first(&pairs, "number"), 20);
    let contact = bounded(first(&pairs, "contact"), 254);
    let number = number_typed
        .trim()
        .trim_start_matches('№')
        .trim()
        .parse::<u64>()
        .ok();
    let not_found = |site: &Site| {
        site.page(
            StatusCode::OK,
            pages::status_form(&info, &number_typed, Some(tr!("web.status.not_found"))),
        )
    };
    let Some(number) = number else {
        return not_found(&site);
    };
    let command = crate::service::Command::PublicStatus {
        id: RequestId(number),
        contact,
    };
    match site.door.call(command).await {
        Ok(Reply::PublicStatus {
            status: Some(status),
        }) => site.page(StatusCode::OK, pages::status(&info, &status)),
        Ok(_) => not_found(&site),
        Err(_) => {
            site.forget_info().await;
            site.server_down(&info)
        }
    }
}

async fn consent_page(State(site): State<Arc<Site>>) -> Response {
    text_page(&site, true).await
}

async fn privacy_page(State(site): State<Arc<Site>>) -> Response {
    text_page(&site, false).await
}

async fn text_page(site: &Site, consent: bool) -> Response {
    let info = match site.fresh_info().await {
        Ok(info) => info,
        Err(info) => return site.server_down(&info),
    };
    let (title, text) = if consent {
        (tr!("web.consent.title"), &info.consent.text)
    } else {
        (tr!("web.privacy.title"), &info.privacy.text)
    };
    site.page(StatusCode::OK, pages::text(&info, title, text))
}

async fn style(State(site): State<Arc<Site>>) -> Response {
    let mut response = pages::STYLE.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=3600"),
    );
    site.secure(headers);
    response
}

async fn not_found(State(site): State<Arc<Site>>, method: Method) -> Response {
    let info = site.any_info().await;
    let status = if method == Method::GET || method == Method::HEAD {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::METHOD_NOT_ALLOWED
    };
    site.trouble(
        &info,
        status,
        tr!("web.not_found.title"),
        tr!("web.not_found.text"),
    )
}
