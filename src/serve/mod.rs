//! `glossa serve` and `glossa build --watch`: build, watch the inputs,
//! rebuild after every batch of changes through [`crate::output::session::Session`]
//! (the same code path as `glossa build`), and — when serving — serve the
//! output directory with live reload and an in-page error overlay.
//!
//! Crates, and why:
//! - **axum + tokio** for HTTP: what Zola's `serve` uses, well kept, and it
//!   gives routing and server-sent events (the live-reload stream, on the
//!   same port as the pages). Default features are off; only HTTP/1 is
//!   compiled. The accept loop is `http::serve`, over hyper (axum's own
//!   sets no header-read deadline and no bound on connections).
//! - **notify + notify-debouncer-full**: the standard cross-platform file
//!   watcher; the debouncer turns an editor's save (temp file, rename,
//!   chmod) or a burst of fifty writes into one batch, and merges renames.
//! - **open**: starts the user's browser on every platform (`--open`).
//!
//! Files are served from disk (the output dir the session writes), so what
//! the preview shows is byte for byte what `build` produces, except for the
//! live-reload `<script>` added to HTML responses on the way out.
//!
//! On top of the pipeline: the preview server.

pub mod annotate;
pub mod http;
pub mod live;
pub mod watch;

use std::io::{self, IsTerminal};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::BuildOptions;
use crate::config::{Config, normalise_base_url};
use crate::output::session::{Outcome, Session};
pub use live::{Event, Live};

/// How long the watcher lets a file's events settle before rebuilding: an
/// editor's save (temp file, rename, chmod) takes a few milliseconds, and a
/// longer burst of changes that spills over gives one more rebuild, never a
/// wrong one. Measured from the write, a reload arrives ~20–30 ms after this
/// on an edit the graph can patch (`examples/serve_latency.rs`).
pub const DEBOUNCE: Duration = Duration::from_millis(20);

/// How `glossa serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    /// Output dir, drafts; `base_url` overrides the default
    /// `http://INTERFACE:PORT/`.
    pub build: BuildOptions,
    pub interface: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// Open the site in the default browser once it is up.
    pub open: bool,
    /// Colour in the terminal's diagnostics.
    pub color: bool,
    /// How long the watcher waits for a burst of changes to settle.
    pub debounce: Duration,
    /// The header-read deadline and the bound on open connections.
    pub limits: http::Limits,
    /// No annotate mode: pages are served as built, and the annotator's
    /// endpoints answer 403 (`--read-only`). Annotate mode is off anyway on
    /// an interface other than loopback.
    pub read_only: bool,
}

impl ServeOptions {
    pub fn new(root: impl Into<PathBuf>) -> ServeOptions {
        ServeOptions {
            root: root.into(),
            build: BuildOptions::default(),
            interface: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 1111,
            open: false,
            color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            debounce: DEBOUNCE,
            limits: http::Limits::default(),
            read_only: false,
        }
    }
}

/// The base URL a preview uses when none is given: the address it listens
/// on (an unspecified interface becomes 127.0.0.1), like `zola serve`.
pub fn default_base_url(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        addr.ip()
    };
    match ip {
        IpAddr::V4(v4) => format!("http://{v4}:{}/", addr.port()),
        IpAddr::V6(v6) => format!("http://[{v6}]:{}/", addr.port()),
    }
}

/// A running preview server; [`Server::stop`] (or dropping it) shuts it down.
pub struct Server {
    addr: SocketAddr,
    base_url: String,
    root_path: String,
    output_dir: PathBuf,
    live: Arc<Live>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The site's base URL as built (`http://127.0.0.1:PORT/` by default).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `/` or `/sub/`: every page is under it.
    pub fn root_path(&self) -> &str {
        &self.root_path
    }

    /// The URL of the home page on this server.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.root_path)
    }

    pub fn output_dir(&self) -> &Path {
        &self.output_dir
    }

    /// The event hub: what the rebuild loop sends to open pages.
    pub fn live(&self) -> &Arc<Live> {
        &self.live
    }

    /// The HTTP connections open now (at most `limits.max_connections`).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Stops watching and serving and waits for both to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.live.shutdown.send(true);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Binds `interface:port`; when the port is taken, says so and takes a
/// free one.
fn bind(interface: IpAddr, port: u16) -> io::Result<TcpListener> {
    match TcpListener::bind((interface, port)) {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == io::ErrorKind::AddrInUse && port != 0 => {
            let l = TcpListener::bind((interface, 0))?;
            eprintln!(
                "Port {port} is already in use; using port {} instead.",
                l.local_addr()?.port()
            );
            Ok(l)
        }
        Err(e) => Err(e),
    }
}

/// Builds the site, starts watching and serving, and returns at once. The
/// first build's failure does not stop it: the error shows in the terminal
/// and in every page until an edit fixes it.
pub fn start(opts: ServeOptions) -> io::Result<Server> {
    let listener = bind(opts.interface, opts.port)?;
    let addr = listener.local_addr()?;
    if !opts.interface.is_loopback() {
        eprintln!(
            "warning: listening on {} makes the preview reachable from other machines; \
             it is a development server, not meant to be exposed",
            opts.interface
        );
    }
    let base_url = normalise_base_url(opts.build.base_url.as_deref().unwrap_or(&default_base_url(addr)));
    let root_path = Config {
        base_url: base_url.clone(),
        ..Config::default()
    }
    .root_path();
    let build = BuildOptions {
        base_url: Some(base_url.clone()),
        ..opts.build.clone()
    };
    let mut session = Session::watching(&opts.root, build);
    let output_dir = session.output_dir().to_path_buf();
    let live = Arc::new(Live::default());
    let stop = Arc::new(AtomicBool::new(false));

    first_build(&mut session, &live, opts.color);
    let watcher = watch::Watch::new(&opts.root, &output_dir, opts.debounce).map_err(io::Error::other)?;
    let annotate = annotate::Mode::new(&opts, watcher.jobs())?;
    let rebuilder = {
        let (live, stop, color) = (live.clone(), stop.clone(), opts.color);
        std::thread::Builder::new()
            .name("glossa-rebuild".into())
            .spawn(move || rebuild_loop(session, watcher, Some(&live), &stop, color))?
    };

    listener.set_nonblocking(true)?;
    let app = Arc::new(http::App {
        out: output_dir.clone(),
        root_path: root_path.clone(),
        live: live.clone(),
        hosts: http::Hosts::new(opts.interface, addr.port()),
        annotate,
    });
    let connections = Arc::new(AtomicUsize::new(0));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("glossa-http")
        .enable_all()
        .build()?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    let stopped = live.shutdown.subscribe();
    let (limits, open) = (opts.limits, connections.clone());
    let server = std::thread::Builder::new().name("glossa-serve".into()).spawn(move || {
        runtime.block_on(http::serve(listener, http::router(app), limits, stopped, open));
        runtime.shutdown_timeout(Duration::from_secs(1));
    })?;

    let shown = if addr.ip().is_unspecified() {
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let url = format!("http://{shown}{root_path}");
    eprintln!("Serving {} at {url} (Ctrl-C to stop)", output_dir.display());
    if opts.open
        && let Err(e) = open::that_detached(&url)
    {
        eprintln!("warning: cannot open a browser: {e}");
    }
    Ok(Server {
        addr,
        base_url,
        root_path,
        output_dir,
        live,
        stop,
        threads: vec![rebuilder, server],
        connections,
    })
}

/// `glossa build --watch`: the rebuild loop without a server.
pub struct Watching {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watching {
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Builds once, then rebuilds after every batch of changes until stopped.
pub fn watch_and_build(root: &Path, build: BuildOptions, color: bool, debounce: Duration) -> io::Result<Watching> {
    let mut session = Session::watching(root, build);
    first_build(&mut session, &Live::default(), color);
    let watcher = watch::Watch::new(root, session.output_dir(), debounce).map_err(io::Error::other)?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("glossa-rebuild".into())
            .spawn(move || rebuild_loop(session, watcher, None, &stop, color))?
    };
    eprintln!("Watching {} for changes (Ctrl-C to stop)", root.display());
    Ok(Watching {
        stop,
        thread: Some(thread),
    })
}

fn first_build(session: &mut Session, live: &Live, color: bool) {
    let event = rebuild(session, &[], color);
    if let Event::Error { .. } = event {
        eprintln!("Fix the files above and the site rebuilds by itself.");
    }
    live.send(event);
}

/// Work for the rebuild loop (the annotator's requests), run between two
/// rebuilds with the session: see [`watch::Jobs`].
pub type Job = Box<dyn FnOnce(&mut Rebuilder<'_>) + Send>;

/// What a [`Job`] gets: the session (its kept graph, its root) and a way to
/// rebuild at once, telling open pages as a watcher-driven rebuild does.
pub struct Rebuilder<'a> {
    pub session: &'a mut Session,
    live: Option<&'a Live>,
    color: bool,
}

impl Rebuilder<'_> {
    /// Rebuilds after `changed` (input paths relative to the root) and
    /// tells open pages; the event they got.
    ///
    /// Only the edited files' pages are written by then when the edit is
    /// patched; the loop writes the rest once the job is done.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Event {
        settle(self.session, self.live, self.color);
        let event = rebuild(self.session, changed, self.color);
        tell(self.session, self.live, event.clone());
        event
    }
}

/// Sends `event` to open pages, holding the requests for the pages the
/// rebuild has yet to write.
fn tell(session: &Session, live: Option<&Live>, event: Event) {
    if let Some(live) = live {
        live.hold(session.deferred());
        live.send(event);
    }
}

/// Writes what the last rebuild left (the pages an edit changes besides
/// its own), releases the requests waiting for them and says so.
fn settle(session: &mut Session, live: Option<&Live>, color: bool) {
    let started = Instant::now();
    let Some(outcome) = session.finish() else { return };
    let event = report(outcome, started, color, true);
    if let Some(live) = live {
        live.release();
        live.send(event);
    }
}

fn rebuild_loop(mut session: Session, mut watcher: watch::Watch, live: Option<&Live>, stop: &AtomicBool, color: bool) {
    let mut last = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let Some(batch) = watcher.next(Duration::from_millis(100)) else {
            // a second without edits: write what the next start reuses
            if last.elapsed() > Duration::from_secs(1) {
                session.flush();
            }
            continue;
        };
        let changed = match batch {
            watch::Batch::Changed(paths) if paths.is_empty() => continue,
            watch::Batch::Changed(paths) => {
                let shown: Vec<String> = paths.iter().take(3).map(|p| p.display().to_string()).collect();
                let more = if paths.len() > 3 {
                    format!(" and {} more", paths.len() - 3)
                } else {
                    String::new()
                };
                eprintln!("Change detected: {}{more}", shown.join(", "));
                paths
            }
            watch::Batch::Rescan => {
                eprintln!("Change detected (events were lost; rescanning everything)");
                // Every input root: a folder in `changed` means "anything
                // below it may have changed".
                let mut all: Vec<PathBuf> = watch::INPUT_DIRS.iter().map(PathBuf::from).collect();
                all.push(PathBuf::from(crate::config::FILE));
                all
            }
            watch::Batch::Error(e) => {
                eprintln!("warning: the file watcher reported: {e}");
                continue;
            }
            watch::Batch::Job(job) => {
                job(&mut Rebuilder {
                    session: &mut session,
                    live,
                    color,
                });
                settle(&mut session, live, color);
                last = Instant::now();
                continue;
            }
        };
        let event = rebuild(&mut session, &changed, color);
        tell(&session, live, event);
        settle(&mut session, live, color);
        last = Instant::now();
    }
}

/// One rebuild (the edited files' pages first when it is a patch: see
/// [`Session::rebuild_first`]), reported in the terminal; the event for
/// open pages.
fn rebuild(session: &mut Session, changed: &[PathBuf], color: bool) -> Event {
    let started = Instant::now();
    report(session.rebuild_first(changed), started, color, false)
}

/// A rebuild's outcome in the terminal, and the event for open pages;
/// `rest`: the pages a rebuild left, written now.
fn report(outcome: Outcome, started: Instant, color: bool, rest: bool) -> Event {
    match outcome {
        Outcome::Built {
            pages,
            rendered,
            changed,
            removed,
            diags,
            sources,
            ..
        } => {
            if !diags.is_empty() {
                eprint!("{}", diags.render(&sources, color));
            }
            let ms = started.elapsed().as_millis();
            if rest {
                eprintln!(
                    "  and the pages it changes in {ms} ms ({rendered} rendered; files: {} written)",
                    changed.len()
                );
                return Event::Written { changed };
            }
            eprintln!(
                "Built {pages} pages in {ms} ms ({rendered} rendered; files: {} written, {} removed)",
                changed.len(),
                removed.len()
            );
            let mut all = changed;
            all.extend(removed);
            Event::Reload { changed: all }
        }
        Outcome::Failed { diags, sources } => {
            eprint!("{}", diags.render(&sources, color));
            eprintln!(
                "Build failed ({}); the last good output stays as it was.",
                diags.summary()
            );
            Event::Error {
                text: diags.render(&sources, false),
            }
        }
    }
}
