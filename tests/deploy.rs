//! The deployment recipes in `docs/deploy/` and the release workflow that
//! makes the binaries they download (`.github/workflows/release.yml`, made
//! by dist from the `[workspace.metadata.dist]` table of `Cargo.toml`),
//! tested as far as a machine without GitHub or Netlify allows.
//!
//! Their YAML and TOML are parsed and their structure checked: triggers,
//! permissions, the order of the steps, the names and paths they hand each
//! other. Then the recipes run for real against a copy of the example site,
//! their shell as GitHub and Netlify run it, with stand-ins for what is not
//! on this machine:
//!
//! - `curl` serves a release from a folder, laid out as dist lays it out:
//!   `glossa-TARGET.tar.xz` holding `glossa-TARGET/glossa`, and beside it
//!   `glossa-TARGET.tar.xz.sha256` in the `sha256sum` format;
//! - `cargo` (the fallback compile) records its arguments, which must be
//!   flags the real `cargo install` has, and installs the glossa under test;
//! - the workflow's `uses:` steps (checkout, cache, configure-pages,
//!   upload-pages-artifact) are played by [`Actions`], with actions/cache's
//!   rules for keys and restore keys; Netlify's cache utility by a few lines
//!   of Node given to the recipe's build plugin, which run it as Netlify does.
//!
//! Each recipe then deploys twice, the second time in a fresh copy of the
//! site with the cache restored: that deploy must draw no card again (and on
//! GitHub, where the last output is cached too, render no page again).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const GLOSSA: &str = env!("CARGO_BIN_EXE_glossa");
const VERSION: &str = env!("CARGO_PKG_VERSION");

const PAGES: &str = "docs/deploy/github-pages.yml";
const NETLIFY: &str = "docs/deploy/netlify.toml";
const RELEASE: &str = ".github/workflows/release.yml";

/// When the stand-in release's binary was made.
fn release_time() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600)
}

/// The Linux targets the recipes download, by `RUNNER_ARCH` / `uname -m`.
const LINUX: &[(&str, &str, &str)] = &[
    ("X64", "x86_64", "x86_64-unknown-linux-gnu"),
    ("ARM64", "aarch64", "aarch64-unknown-linux-gnu"),
];

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(REPO).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Value {
    serde_saphyr::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Copies `from` to `to` with modes and modification times (as a tar
/// archive of actions/cache keeps them).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    run_ok(Command::new("cp").arg("-a").arg(from).arg(to));
}

fn remove(p: &Path) {
    if p.is_dir() {
        std::fs::remove_dir_all(p).unwrap();
    } else if p.exists() {
        std::fs::remove_file(p).unwrap();
    }
}

/// A fresh copy of the example site at `dir` (what a checkout gives).
fn checkout(dir: &Path) {
    remove(dir);
    let copy = common::copy_site(&common::seed_root(), true);
    copy_tree(copy.path(), dir);
}

// ─── stand-ins ──────────────────────────────────────────────────────────────

/// The tools that are not on this machine, and a release to download.
struct Fakes {
    dir: PathBuf,
}

const FAKE_CURL: &str = r#"#!/bin/sh
# curl, for https://github.com/REPO/releases/download/TAG/NAME only: serves
# $FAKE_RELEASES/TAG/NAME, or fails as curl -f does on a 404.
out=; url=
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift ;;
    https://*) url="$1" ;;
  esac
  shift
done
echo "$url" >> "$FAKE_LOG/curl"
rel="${url#https://github.com/$FAKE_REPO/releases/download/}"
if [ "$rel" = "$url" ] || [ ! -f "$FAKE_RELEASES/$rel" ]; then
  echo "curl: (22) The requested URL returned error: 404" >&2
  exit 22
fi
cp "$FAKE_RELEASES/$rel" "${out:-${url##*/}}"
"#;

const FAKE_CARGO: &str = r#"#!/bin/sh
# cargo install, compiled long ago: records the arguments, installs the
# glossa under test into --root.
printf '%s\n' "$@" > "$FAKE_LOG/cargo"
root=
while [ $# -gt 0 ]; do
  case "$1" in --root) root="$2"; shift ;; esac
  shift
done
mkdir -p "$root/bin" && cp "$FAKE_LOG/../glossa" "$root/bin/glossa"
"#;

impl Fakes {
    fn new(dir: &Path) -> Fakes {
        let f = Fakes { dir: dir.to_path_buf() };
        for d in ["bin", "log", "releases"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        // The glossa a release carries: the binary under test, by a script
        // (archiving the binary itself would only cost time).
        f.script("glossa", &format!("#!/bin/sh\nexec '{GLOSSA}' \"$@\"\n"));
        f.script("bin/curl", FAKE_CURL);
        f.script("bin/cargo", FAKE_CARGO);
        f
    }

    fn script(&self, rel: &str, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.join(rel);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Publishes release `tag` with an archive for `target`, as dist makes
    /// it; returns the archive's path.
    fn release(&self, tag: &str, target: &str) -> PathBuf {
        let dir = self.dir.join("releases").join(tag);
        let name = format!("glossa-{target}");
        let stage = self.dir.join("stage").join(&name);
        std::fs::create_dir_all(&stage).unwrap();
        std::fs::copy(self.dir.join("glossa"), stage.join("glossa")).unwrap();
        std::fs::File::options()
            .write(true)
            .open(stage.join("glossa"))
            .unwrap()
            .set_modified(release_time())
            .unwrap();
        std::fs::write(stage.join("README.md"), "glossa\n").unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let archive = dir.join(format!("{name}.tar.xz"));
        run_ok(
            Command::new("tar")
                .arg("-cJf")
                .arg(&archive)
                .arg("-C")
                .arg(stage.parent().unwrap())
                .arg(&name),
        );
        self.write_checksum(&archive);
        archive
    }

    /// Puts another valid archive in place of `archive` (for `target`),
    /// leaving its `.sha256` as it was: a download that is not what the
    /// release says.
    fn replace(&self, archive: &Path, target: &str) {
        let name = format!("glossa-{target}");
        let stage = self.dir.join("stage");
        std::fs::write(stage.join(&name).join("NOTICE"), "not what was released\n").unwrap();
        run_ok(
            Command::new("tar")
                .arg("-cJf")
                .arg(archive)
                .arg("-C")
                .arg(&stage)
                .arg(&name),
        );
    }

    /// `NAME.sha256` beside `archive`, as dist writes it (`HASH *NAME`).
    fn write_checksum(&self, archive: &Path) {
        let hash = self.sha256(archive);
        let name = archive.file_name().unwrap().to_string_lossy();
        std::fs::write(
            archive.with_file_name(format!("{name}.sha256")),
            format!("{hash} *{name}\n\n"),
        )
        .unwrap();
    }

    fn sha256(&self, file: &Path) -> String {
        let out = run_ok(Command::new("sha256sum").arg(file));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    }

    fn unpublish(&self) {
        remove(&self.dir.join("releases"));
        std::fs::create_dir_all(self.dir.join("releases")).unwrap();
    }

    /// What the stand-in `tool` was asked since the last call.
    fn log(&self, tool: &str) -> String {
        let p = self.dir.join("log").join(tool);
        let s = std::fs::read_to_string(&p).unwrap_or_default();
        remove(&p);
        s
    }

    /// Environment for a recipe's shell: the stand-ins first on `PATH`.
    fn env(&self, repo: &str) -> Vec<(String, String)> {
        vec![
            (
                "PATH".into(),
                format!("{}:/usr/bin:/bin", self.dir.join("bin").display()),
            ),
            ("FAKE_LOG".into(), self.dir.join("log").display().to_string()),
            ("FAKE_RELEASES".into(), self.dir.join("releases").display().to_string()),
            ("FAKE_REPO".into(), repo.into()),
            ("NO_COLOR".into(), "1".into()),
        ]
    }
}

/// The cards a build drew into `.glossa-cache/cards/`: every card file with
/// its size and modification time (a card drawn again is written again).
fn card_files(site: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    let dir = site.join(".glossa-cache/cards");
    std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let m = e.metadata().unwrap();
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        (m.len(), m.modified().unwrap()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `Built N pages into DIR in … (R rendered; …)` line of a build: (N,
/// DIR, R).
fn built_line(output: &str) -> (usize, String, usize) {
    let line = output
        .lines()
        .rev()
        .find(|l| l.starts_with("Built "))
        .unwrap_or_else(|| panic!("no `Built …` line in:\n{output}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let pages = words[1].parse().unwrap();
    let dir = words[4].to_string();
    let rendered = line
        .split('(')
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    (pages, dir, rendered)
}

/// The published site at `public` was built for `base`: its home page links
/// its stylesheet under the base's path, and every card page it names is
/// there.
fn assert_published(public: &Path, base: &str) {
    let home = std::fs::read_to_string(public.join("index.html"))
        .unwrap_or_else(|e| panic!("{}: no home page: {e}", public.display()));
    let path = base
        .split_once("//")
        .map_or("/", |(_, r)| &r[r.find('/').unwrap_or(r.len())..]);
    assert!(
        home.contains(&format!("href=\"{path}style.css\"")),
        "the home page was not built for {base}"
    );
    assert!(
        home.contains(&format!("{base}card.png")),
        "no share image at {base}card.png"
    );
    let cards = walkdir::WalkDir::new(public)
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "card.png")
        .count();
    assert!(cards > 1, "only {cards} card.png in {}", public.display());
}

// ─── GitHub Actions, played ─────────────────────────────────────────────────

/// A GitHub-hosted runner for the Pages recipe's build job: a fresh
/// workspace and home each run, the step order and `if:` conditions as
/// written, and a cache store that outlives runs.
struct Actions {
    root: PathBuf,
    fakes: Fakes,
    /// actions/cache entries, oldest first: key → (paths, saved copies).
    cache: Vec<(String, Vec<String>, PathBuf)>,
    run_id: u32,
    /// `RUNNER_ARCH` of the next run.
    arch: &'static str,
}

/// What one run of the job did.
#[derive(Default)]
struct JobRun {
    /// The `name` (or `uses`) of each step that ran, in order.
    ran: Vec<String>,
    /// The step that failed, with its output.
    failed: Option<(String, String)>,
    /// The output of each `run` step, by name.
    output: HashMap<String, String>,
    /// Where upload-pages-artifact took the site from.
    artifact: Option<PathBuf>,
    /// `cache-hit` of each actions/cache step, by name.
    hits: HashMap<String, String>,
    /// The cards in the cache just before the build step, and just after.
    cards_before: BTreeMap<String, (u64, std::time::SystemTime)>,
    cards_after: BTreeMap<String, (u64, std::time::SystemTime)>,
}

/// The base URL configure-pages gives a project site (no trailing slash).
const PAGES_BASE: &str = "https://owner.github.io/site";

impl Actions {
    fn new(root: &Path) -> Actions {
        Actions {
            root: root.to_path_buf(),
            fakes: Fakes::new(&root.join("fakes")),
            cache: Vec::new(),
            run_id: 1000,
            arch: "X64",
        }
    }

    fn workspace(&self) -> PathBuf {
        self.root.join("work/site")
    }

    fn home(&self) -> PathBuf {
        self.root.join("work/home")
    }

    /// `${{ expr }}` in `s`, with what the run knows.
    fn substitute(&self, s: &str, ctx: &Ctx) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${{") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("}}").expect("unclosed ${{") + at;
            out.push_str(&self.value(rest[at + 3..end].trim(), ctx));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn value(&self, expr: &str, ctx: &Ctx) -> String {
        let parts: Vec<&str> = expr.split('.').collect();
        match parts.as_slice() {
            ["steps", id, "outputs", name] => ctx
                .outputs
                .get(*id)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
            ["env", name] => ctx.env.get(*name).cloned().unwrap_or_default(),
            ["github", "run_id"] => self.run_id.to_string(),
            ["runner", "os"] => "Linux".into(),
            ["runner", "arch"] => self.arch.into(),
            _ => panic!("the test does not know the expression `{expr}`: teach Actions::value"),
        }
    }

    /// An `if:` of comparisons joined by `&&`.
    fn condition(&self, expr: &str, ctx: &Ctx) -> bool {
        let expr = expr.trim().trim_start_matches("${{").trim_end_matches("}}");
        assert!(
            !expr.contains("||") && !expr.contains('('),
            "the test knows only `A == 'x' && B != 'y'` conditions, not `{expr}`"
        );
        expr.split("&&").all(|clause| {
            let (lhs, rhs, eq) = if let Some((l, r)) = clause.split_once("!=") {
                (l, r, false)
            } else if let Some((l, r)) = clause.split_once("==") {
                (l, r, true)
            } else {
                panic!("the test does not know the condition `{clause}`")
            };
            let lit = rhs.trim().trim_matches('\'');
            (self.value(lhs.trim(), ctx) == lit) == eq
        })
    }

    /// One run of the Pages recipe's `build` job, with the workflow's `env`
    /// and any `extra` environment on top.
    fn run(&mut self, workflow: &Value, extra: &[(&str, &str)]) -> JobRun {
        self.run_id += 1;
        let mut job = self.start(workflow, extra);
        for step in workflow["jobs"]["build"]["steps"].as_array().expect("build.steps") {
            let name = step["name"]
                .as_str()
                .or(step["uses"].as_str())
                .unwrap_or("?")
                .to_string();
            if let Some(cond) = step["if"].as_str()
                && !self.condition(cond, &job.ctx)
            {
                continue;
            }
            job.run.ran.push(name.clone());
            let id = step["id"].as_str().unwrap_or("").to_string();
            match step["uses"].as_str() {
                Some(uses) => self.play(uses, step, &name, &id, &mut job),
                None => {
                    if !self.shell(step, &name, &id, &mut job) {
                        return job.run;
                    }
                }
            }
        }
        // actions/cache's post step: a job that succeeded saves what it did
        // not restore exactly (a key, once saved, is never overwritten).
        for (key, paths) in std::mem::take(&mut job.saves) {
            self.save(&key, &paths, &job.ws, &job.home);
        }
        job.run
    }

    /// A fresh runner: empty workspace, home and temp folder.
    fn start(&self, workflow: &Value, extra: &[(&str, &str)]) -> Job {
        let (ws, home, temp) = (self.workspace(), self.home(), self.root.join("work/temp"));
        for d in [&ws, &home, &temp] {
            remove(d);
        }
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&temp).unwrap();
        let mut ctx = Ctx::default();
        for (k, v) in workflow["env"].as_object().into_iter().flatten() {
            ctx.env
                .insert(k.clone(), v.as_str().map_or(v.to_string(), str::to_string));
        }
        for (k, v) in extra {
            ctx.env.insert(k.to_string(), v.to_string());
        }
        Job {
            ctx,
            path_adds: Vec::new(),
            saves: Vec::new(),
            run: JobRun::default(),
            ws,
            home,
            temp,
        }
    }

    /// A `uses:` step, played.
    fn play(&mut self, uses: &str, step: &Value, name: &str, id: &str, job: &mut Job) {
        let with = &step["with"];
        match uses.split('@').next().unwrap() {
            "actions/checkout" => checkout(&job.ws),
            "actions/cache" => {
                let lines = |v: &Value| -> Vec<String> {
                    text(v)
                        .lines()
                        .map(|l| self.substitute(l.trim(), &job.ctx))
                        .filter(|l| !l.is_empty())
                        .collect()
                };
                let (paths, restore) = (lines(&with["path"]), lines(&with["restore-keys"]));
                let key = self.substitute(text(&with["key"]), &job.ctx);
                let hit = self.restore(&paths, &key, &restore, &job.ws, &job.home);
                job.ctx
                    .outputs
                    .entry(id.into())
                    .or_default()
                    .insert("cache-hit".into(), hit.to_string());
                job.run.hits.insert(name.into(), hit.to_string());
                if !hit {
                    job.saves.push((key, paths));
                }
            }
            "actions/configure-pages" => {
                job.ctx
                    .outputs
                    .entry(id.into())
                    .or_default()
                    .insert("base_url".into(), PAGES_BASE.into());
            }
            "actions/upload-pages-artifact" => {
                let p = job.ws.join(text(&with["path"]));
                assert!(
                    p.join("index.html").is_file(),
                    "{name}: nothing to publish at {}",
                    p.display()
                );
                job.run.artifact = Some(p);
            }
            other => panic!("{PAGES}: the test does not play `{other}`: teach Actions::play"),
        }
    }

    /// A `run:` step, as a hosted runner runs it (`bash -eo pipefail`, the
    /// step's outputs and `PATH` additions through `GITHUB_OUTPUT` and
    /// `GITHUB_PATH`). False when it failed.
    fn shell(&self, step: &Value, name: &str, id: &str, job: &mut Job) -> bool {
        let script = self.substitute(step["run"].as_str().expect("a step runs or uses"), &job.ctx);
        let output_file = job.temp.join(format!("output-{}", job.run.ran.len()));
        let path_file = job.temp.join(format!("path-{}", job.run.ran.len()));
        let mut env: Vec<(String, String)> = self.fakes.env(&job.ctx.env["GLOSSA_REPO"]);
        if !job.path_adds.is_empty() {
            let path = &mut env.iter_mut().find(|(k, _)| k == "PATH").unwrap().1;
            *path = format!("{}:{path}", job.path_adds.join(":"));
        }
        env.extend(job.ctx.env.clone());
        let is_build = script.contains("glossa build");
        if is_build {
            job.run.cards_before = card_files(&job.ws);
        }
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(&job.ws)
            .env_clear()
            .envs(env)
            .env("HOME", &job.home)
            .env("RUNNER_TEMP", &job.temp)
            .env("RUNNER_ARCH", self.arch)
            .env("RUNNER_OS", "Linux")
            .env("GITHUB_WORKSPACE", &job.ws)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_PATH", &path_file)
            .env("CI", "true")
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if is_build {
            job.run.cards_after = card_files(&job.ws);
        }
        job.run.output.insert(name.into(), said.clone());
        if !out.status.success() {
            job.run.failed = Some((name.into(), said));
            return false;
        }
        for line in std::fs::read_to_string(&output_file).unwrap_or_default().lines() {
            if let Some((k, v)) = line.split_once('=') {
                job.ctx.outputs.entry(id.into()).or_default().insert(k.into(), v.into());
            }
        }
        for line in std::fs::read_to_string(&path_file).unwrap_or_default().lines() {
            job.path_adds.insert(0, line.to_string());
        }
        true
    }

    fn local(p: &str, ws: &Path, home: &Path) -> PathBuf {
        match p.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => ws.join(p),
        }
    }

    fn restore(&self, paths: &[String], key: &str, restore_keys: &[String], ws: &Path, home: &Path) -> bool {
        // The exact key, else the newest entry matching the first restore
        // key that matches any; only entries made for the same paths.
        let same = |e: &&(String, Vec<String>, PathBuf)| e.1 == paths;
        let exact = self.cache.iter().filter(same).find(|e| e.0 == key);
        let entry = exact.or_else(|| {
            restore_keys.iter().find_map(|k| {
                self.cache
                    .iter()
                    .filter(same)
                    .rev()
                    .find(|e| e.0.starts_with(k.as_str()))
            })
        });
        if let Some((_, _, saved)) = entry {
            for (i, p) in paths.iter().enumerate() {
                let from = saved.join(i.to_string());
                if from.exists() {
                    let to = Self::local(p, ws, home);
                    remove(&to);
                    copy_tree(&from, &to);
                }
            }
        }
        exact.is_some()
    }

    fn save(&mut self, key: &str, paths: &[String], ws: &Path, home: &Path) {
        if self.cache.iter().any(|e| e.0 == key) {
            return;
        }
        let saved = self.root.join("cache").join(self.cache.len().to_string());
        std::fs::create_dir_all(&saved).unwrap();
        for (i, p) in paths.iter().enumerate() {
            let from = Self::local(p, ws, home);
            if from.exists() {
                copy_tree(&from, &saved.join(i.to_string()));
            }
        }
        self.cache.push((key.to_string(), paths.to_vec(), saved));
    }
}

/// One run of the job as it goes.
struct Job {
    ctx: Ctx,
    /// `GITHUB_PATH` additions, newest first.
    path_adds: Vec<String>,
    /// actions/cache entries to save when the job ends well.
    saves: Vec<(String, Vec<String>)>,
    run: JobRun,
    ws: PathBuf,
    home: PathBuf,
    temp: PathBuf,
}

#[derive(Default)]
struct Ctx {
    env: HashMap<String, String>,
    outputs: HashMap<String, HashMap<String, String>>,
}

fn step_index(steps: &[Value], what: &str, found: impl Fn(&Value) -> bool) -> usize {
    steps
        .iter()
        .position(found)
        .unwrap_or_else(|| panic!("{PAGES}: no step that {what}"))
}

fn uses(step: &Value, action: &str) -> bool {
    step["uses"]
        .as_str()
        .is_some_and(|u| u.split('@').next() == Some(action))
}

// ─── the GitHub Pages recipe ────────────────────────────────────────────────

#[test]
fn pages_recipe_is_a_pages_workflow() {
    let wf = yaml(PAGES);
    // triggers
    let on = &wf["on"];
    assert!(
        on["push"]["branches"]
            .as_array()
            .is_some_and(|b| b.iter().any(|x| x == "main")),
        "{PAGES}: not run on a push to main: {on}"
    );
    assert!(on.get("workflow_dispatch").is_some(), "{PAGES}: cannot be run by hand");
    // what Pages needs, and nothing to write to the repository
    let perms = &wf["permissions"];
    assert_eq!(perms["pages"], "write", "{PAGES}: permissions");
    assert_eq!(perms["id-token"], "write", "{PAGES}: permissions");
    assert_eq!(perms["contents"], "read", "{PAGES}: permissions");
    // the glossa it installs is this one
    assert_eq!(wf["env"]["GLOSSA_VERSION"], VERSION, "{PAGES}: pins another glossa");
    assert!(
        text(&wf["env"]["GLOSSA_REPO"]).ends_with("/glossa"),
        "{PAGES}: GLOSSA_REPO"
    );

    let steps = wf["jobs"]["build"]["steps"].as_array().expect("jobs.build.steps");
    let checkout = step_index(steps, "checks out", |s| uses(s, "actions/checkout"));
    let download = step_index(steps, "downloads glossa", |s| s["id"] == "download");
    let cache = step_index(steps, "restores .glossa-cache", |s| {
        uses(s, "actions/cache") && text(&s["with"]["path"]).lines().any(|l| l.trim() == ".glossa-cache")
    });
    let build = step_index(steps, "runs glossa build", |s| text(&s["run"]).contains("glossa build"));
    let upload = step_index(steps, "uploads the site", |s| uses(s, "actions/upload-pages-artifact"));
    assert!(
        checkout < download && download < build,
        "{PAGES}: glossa is installed after the build"
    );
    assert!(
        checkout < cache && cache < build,
        "{PAGES}: the cache is restored after the build"
    );
    assert!(build < upload, "{PAGES}: the site is uploaded before it is built");

    // The cache key is new each run (an actions/cache key is never saved
    // twice), and its restore key a prefix of it that finds the last one.
    let with = &steps[cache]["with"];
    let key = text(&with["key"]);
    assert!(
        key.contains("${{ github.run_id }}"),
        "{PAGES}: the cache key `{key}` is saved once, never updated"
    );
    let prefix = text(&with["restore-keys"]).trim();
    assert!(
        !prefix.is_empty() && key.starts_with(prefix),
        "{PAGES}: restore-keys `{prefix}` does not find earlier entries of `{key}`"
    );
    // The cache holds the output folder the build writes and uploads.
    let out_dir = text(&steps[upload]["with"]["path"]);
    assert!(
        text(&with["path"]).lines().any(|l| l.trim() == out_dir),
        "{PAGES}: the cache does not keep {out_dir}/, so the build manifest is of no use"
    );

    // The fallback compile runs only when the download did not install.
    for s in steps.iter().filter(|s| text(&s["run"]).contains("cargo install")) {
        assert!(
            text(&s["if"]).contains("steps.download.outputs.installed != 'true'"),
            "{PAGES}: `{}` compiles even when a binary was downloaded",
            s["name"]
        );
    }

    let deploy = &wf["jobs"]["deploy"];
    assert_eq!(deploy["needs"], "build", "{PAGES}: deploys before the build");
    assert_eq!(deploy["environment"]["name"], "github-pages");
    assert!(
        deploy["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| uses(s, "actions/deploy-pages")),
        "{PAGES}: deploys nothing"
    );
}

#[test]
fn pages_recipe_downloads_builds_and_reuses_its_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = yaml(PAGES);
    let mut gh = Actions::new(tmp.path());
    let tag = format!("v{VERSION}");
    for (_, _, target) in LINUX {
        gh.fakes.release(&tag, target);
    }

    // First deploy: glossa downloaded (and checked), nothing in the cache,
    // every card drawn.
    let first = gh.run(&wf, &[]);
    assert!(first.failed.is_none(), "first deploy failed: {:?}", first.failed);
    let curl = gh.fakes.log("curl");
    assert!(
        curl.contains(&format!(
            "/releases/download/{tag}/glossa-x86_64-unknown-linux-gnu.tar.xz\n"
        )),
        "the release archive was not downloaded:\n{curl}"
    );
    assert!(
        !first.ran.iter().any(|s| s == "Compile glossa"),
        "compiled although downloaded"
    );
    assert_eq!(gh.fakes.log("cargo"), "");
    let said = &first.output["Build"];
    let (pages, dir, rendered) = built_line(said);
    assert_eq!(rendered, pages, "{said}");
    let artifact = first.artifact.as_ref().expect("nothing uploaded");
    assert_eq!(
        artifact.canonicalize().unwrap(),
        gh.workspace().join(&dir).canonicalize().unwrap(),
        "the upload is not what the build wrote"
    );
    assert_published(artifact, &format!("{PAGES_BASE}/"));
    assert!(first.cards_before.is_empty());
    let drawn = first.cards_after.len();
    assert!(drawn > 1, "the first deploy drew {drawn} cards");

    // Second deploy: a fresh checkout with the cache restored draws no
    // card, and rewrites no page (the build manifest vouches for public/).
    let second = gh.run(&wf, &[]);
    assert!(second.failed.is_none(), "second deploy failed: {:?}", second.failed);
    assert_eq!(second.hits["Restore glossa's cache"], "false", "a run's key is new");
    assert_eq!(second.cards_before, first.cards_after, "the cache was not restored");
    assert_eq!(second.cards_after, second.cards_before, "cards were drawn again");
    let (_, _, rendered) = built_line(&second.output["Build"]);
    assert_eq!(rendered, 0, "pages were rendered again:\n{}", second.output["Build"]);
    assert_published(second.artifact.as_ref().unwrap(), &format!("{PAGES_BASE}/"));

    // The downloaded binary keeps the time the archive gives it, or the
    // manifest (tied to the executable's size and time) would never match.
    let stamp = std::fs::metadata(gh.home().join(".glossa/bin/glossa"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(stamp, release_time(), "the download step changed the binary's time");

    // Without the output in the cache entry (an older entry, or `public`
    // taken off the path): every page is rendered, but no card is drawn.
    let (_, _, saved) = gh.cache.last().unwrap().clone();
    remove(&saved.join("1"));
    let third = gh.run(&wf, &[]);
    assert!(third.failed.is_none(), "{:?}", third.failed);
    let (_, _, rendered) = built_line(&third.output["Build"]);
    assert_eq!(rendered, pages);
    assert_eq!(third.cards_before.len(), drawn);
    assert_eq!(third.cards_after, third.cards_before, "cards were drawn again");

    // And a card missing from the cache is drawn again, only that one (so
    // the checks above can fail).
    let (_, _, saved) = gh.cache.last().unwrap().clone();
    remove(&saved.join("1"));
    let gone = std::fs::read_dir(saved.join("0/cards"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::remove_file(&gone).unwrap();
    let fourth = gh.run(&wf, &[]);
    assert!(fourth.failed.is_none(), "{:?}", fourth.failed);
    let redrawn: Vec<String> = fourth
        .cards_after
        .iter()
        .filter(|(k, v)| fourth.cards_before.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(redrawn, [gone.file_name().unwrap().to_string_lossy().into_owned()]);
    assert_eq!(fourth.cards_after.len(), drawn);
}

#[test]
fn pages_recipe_checks_what_it_downloads() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = yaml(PAGES);
    let mut gh = Actions::new(tmp.path());
    let tag = format!("v{VERSION}");
    let archive = gh.fakes.release(&tag, "x86_64-unknown-linux-gnu");

    // an archive that is not the one its checksum names
    let good = std::fs::read(&archive).unwrap();
    gh.fakes.replace(&archive, "x86_64-unknown-linux-gnu");
    let run = gh.run(&wf, &[]);
    let (step, said) = run.failed.expect("a download that is not the release was used");
    assert_eq!(step, "Download glossa");
    assert!(said.contains("FAILED"), "{said}");
    assert!(!run.ran.iter().any(|s| s == "Build"));

    // the right archive, but not the bytes GLOSSA_SHA256 pins
    std::fs::write(&archive, &good).unwrap();
    let pinned = gh.fakes.sha256(&archive);
    let other = format!("{}0", &pinned[..63]);
    let other = if other == pinned {
        format!("{}1", &pinned[..63])
    } else {
        other
    };
    let run = gh.run(&wf, &[("GLOSSA_SHA256", &other)]);
    let (step, _) = run.failed.expect("an archive that is not the pinned one was used");
    assert_eq!(step, "Download glossa");
    // and the pinned bytes
    let run = gh.run(&wf, &[("GLOSSA_SHA256", &pinned)]);
    assert!(run.failed.is_none(), "{:?}", run.failed);
    assert!(run.ran.iter().any(|s| s == "Build"));

    // An ARM runner takes the aarch64 archive.
    gh.fakes.release(&tag, "aarch64-unknown-linux-gnu");
    gh.fakes.log("curl");
    gh.arch = "ARM64";
    let run = gh.run(&wf, &[]);
    assert!(run.failed.is_none(), "{:?}", run.failed);
    assert!(
        gh.fakes
            .log("curl")
            .contains("glossa-aarch64-unknown-linux-gnu.tar.xz\n")
    );
}

#[test]
fn pages_recipe_compiles_once_without_a_release() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = yaml(PAGES);
    let mut gh = Actions::new(tmp.path());
    gh.fakes.unpublish();

    let first = gh.run(&wf, &[]);
    assert!(first.failed.is_none(), "{:?}", first.failed);
    assert!(
        first.output["Download glossa"].contains("::warning::"),
        "no warning that glossa is compiled"
    );
    assert_eq!(first.hits["Restore compiled glossa"], "false");
    let args: Vec<String> = gh.fakes.log("cargo").lines().map(String::from).collect();
    assert_eq!(args.first().map(String::as_str), Some("install"), "{args:?}");
    let arg = |flag: &str| {
        let i = args
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("no {flag} in {args:?}"));
        args[i + 1].clone()
    };
    assert_eq!(arg("--git"), "https://github.com/OWNER/glossa");
    assert_eq!(arg("--tag"), format!("v{VERSION}"), "not the release's tag");
    assert_eq!(args.last().map(String::as_str), Some("glossa"));
    // every flag is one the real `cargo install` has
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let help = String::from_utf8(run_ok(Command::new(cargo).args(["install", "--help"])).stdout).unwrap();
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        assert!(
            help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
            "`cargo install` has no {flag}"
        );
    }
    assert_published(first.artifact.as_ref().unwrap(), &format!("{PAGES_BASE}/"));

    // The next run restores the compiled binary and does not compile.
    let second = gh.run(&wf, &[]);
    assert!(second.failed.is_none(), "{:?}", second.failed);
    assert_eq!(second.hits["Restore compiled glossa"], "true");
    assert!(!second.ran.iter().any(|s| s == "Compile glossa"), "compiled twice");
    assert_eq!(gh.fakes.log("cargo"), "");
    let (_, _, rendered) = built_line(&second.output["Build"]);
    assert_eq!(rendered, 0, "{}", second.output["Build"]);
}

// ─── Netlify ────────────────────────────────────────────────────────────────

/// Netlify's build events, in the order it fires them for a good build.
const NETLIFY_EVENTS: &[&str] = &["onPreBuild", "onBuild", "onPostBuild", "onSuccess", "onEnd"];

/// Runs a build plugin's handlers for `events` with Netlify's cache utility
/// played by copies into `store` (as Netlify's `cache-utils` does in CI: a
/// recursive copy, modification times not kept).
const PLUGIN_HARNESS: &str = r#"
const fs = require('fs'), path = require('path')
const [dir, store, ...events] = process.argv.slice(1)
const known = new Set(JSON.parse(process.env.NETLIFY_EVENTS))
const plugin = require(path.resolve(dir))
for (const name of Object.keys(plugin)) {
  if (!known.has(name) && name !== 'onError') throw new Error(`not a Netlify event: ${name}`)
}
const list = (paths) => (Array.isArray(paths) ? paths : [paths])
const files = (p) => fs.existsSync(p) && (!fs.statSync(p).isDirectory() || fs.readdirSync(p, { recursive: true }).length > 0)
const copy = (from, to) => { fs.rmSync(to, { recursive: true, force: true }); fs.cpSync(from, to, { recursive: true }) }
const cache = {
  restore: async (paths) => list(paths).map((p) => files(path.join(store, p)) && (copy(path.join(store, p), p), console.log(`restored ${p}`), true)).some(Boolean),
  save: async (paths) => list(paths).map((p) => files(p) && (copy(p, path.join(store, p)), console.log(`saved ${p}`), true)).some(Boolean),
}
;(async () => {
  for (const e of events) if (plugin[e]) await plugin[e]({ utils: { cache }, inputs: {}, constants: {} })
})().catch((e) => { console.error(e); process.exit(1) })
"#;

struct Netlify {
    fakes: Fakes,
    site: PathBuf,
    store: PathBuf,
    config: toml::Table,
}

impl Netlify {
    fn new(root: &Path) -> Netlify {
        let config: toml::Table = read(NETLIFY).parse().unwrap_or_else(|e| panic!("{NETLIFY}: {e}"));
        let store = root.join("netlify-cache");
        std::fs::create_dir_all(&store).unwrap();
        Netlify {
            fakes: Fakes::new(&root.join("fakes")),
            site: root.join("repo"),
            store,
            config,
        }
    }

    fn plugin_dir(&self) -> String {
        let plugins = self.config["plugins"].as_array().expect("[[plugins]]");
        assert_eq!(plugins.len(), 1, "{NETLIFY}: plugins");
        plugins[0]["package"].as_str().unwrap().to_string()
    }

    fn node(&self, events: &[&str]) -> Output {
        let out = Command::new("node")
            .arg("-e")
            .arg(PLUGIN_HARNESS)
            .arg(self.plugin_dir())
            .arg(&self.store)
            .args(events)
            .current_dir(&self.site)
            .env("NETLIFY_EVENTS", serde_json::to_string(NETLIFY_EVENTS).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the build plugin failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// One deploy in a fresh clone: the plugin's handlers around the build
    /// command, run as Netlify runs it (`bash -c`). Returns the command's
    /// output, or `Err` with it when it failed.
    fn deploy(&self, extra: &[(&str, &str)]) -> Result<String, String> {
        // the site's repository: the site, netlify.toml, the plugin's folder
        checkout(&self.site);
        std::fs::write(self.site.join("netlify.toml"), read(NETLIFY)).unwrap();
        copy_tree(&Path::new(REPO).join("docs/deploy/netlify"), &self.site.join("netlify"));
        self.node(&["onPreBuild"]);
        let build = &self.config["build"];
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(build["command"].as_str().expect("build.command"))
            .current_dir(&self.site)
            .env_clear()
            .envs(self.fakes.env(build["environment"]["GLOSSA_REPO"].as_str().unwrap()))
            .env("HOME", self.site.parent().unwrap().join("home"))
            .env("URL", "https://example.netlify.app");
        for (k, v) in build["environment"].as_table().expect("[build.environment]") {
            cmd.env(k, v.as_str().unwrap());
        }
        cmd.envs(extra.iter().copied());
        let out = cmd.output().unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            return Err(said);
        }
        self.node(&NETLIFY_EVENTS[1..]);
        Ok(said)
    }
}

fn have_node() -> bool {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: node is needed to run the Netlify build plugin"
        );
        eprintln!("skipped: node is not installed (the Netlify build plugin is JavaScript)");
    }
    found
}

#[test]
fn netlify_recipe_downloads_builds_and_reuses_its_cache() {
    if !have_node() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let n = Netlify::new(tmp.path());
    let build = &n.config["build"];
    assert_eq!(
        build["environment"]["GLOSSA_VERSION"].as_str(),
        Some(VERSION),
        "{NETLIFY}: pins another glossa"
    );
    let plugin = Path::new(REPO).join("docs/deploy").join(n.plugin_dir());
    assert!(
        plugin.join("manifest.yml").is_file() && plugin.join("index.js").is_file(),
        "{NETLIFY}: the plugin {} is not in docs/deploy/",
        plugin.display()
    );
    let manifest: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(plugin.join("manifest.yml")).unwrap()).unwrap();
    assert!(manifest["name"].is_string(), "the plugin's manifest.yml has no name");

    let tag = format!("v{VERSION}");
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    n.fakes.release(&tag, &target);

    // First deploy: downloaded, every card drawn, the cache saved after.
    let said = n.deploy(&[]).unwrap_or_else(|e| panic!("first deploy failed:\n{e}"));
    assert!(
        n.fakes
            .log("curl")
            .contains(&format!("/{tag}/glossa-{target}.tar.xz\n"))
    );
    let (pages, dir, rendered) = built_line(&said);
    assert_eq!(rendered, pages);
    assert_eq!(
        Some(dir.trim_start_matches("./")),
        build["publish"].as_str(),
        "{NETLIFY}: publish is not the build's output"
    );
    assert_published(&n.site.join(&dir), "https://example.netlify.app/");
    let drawn = card_files(&n.site);
    assert!(drawn.len() > 1);
    assert!(
        n.store.join(".glossa-cache/cards").is_dir(),
        "the plugin saved no cards"
    );

    // Second deploy, fresh clone: the plugin restores the binary (no
    // download) and the cards. Netlify's copy does not keep modification
    // times, so every saved card is marked (bytes after its end, and the
    // hash of its bytes in its name, `KEY-HASH.png`, made to match): a card
    // drawn again would be published without the mark.
    const MARK: &[u8] = b"(from the cache)";
    for e in std::fs::read_dir(n.store.join(".glossa-cache/cards"))
        .unwrap()
        .flatten()
    {
        let mut bytes = std::fs::read(e.path()).unwrap();
        bytes.extend_from_slice(MARK);
        let name = e.file_name().into_string().unwrap();
        let (key, _) = name.split_once('-').expect("a card cache entry is KEY-HASH.png");
        let marked = e
            .path()
            .with_file_name(format!("{key}-{:016x}.png", glossa::files::hash(&bytes)));
        std::fs::write(marked, bytes).unwrap();
        std::fs::remove_file(e.path()).unwrap();
    }
    let said = n.deploy(&[]).unwrap_or_else(|e| panic!("second deploy failed:\n{e}"));
    assert_eq!(n.fakes.log("curl"), "", "downloaded again");
    let (_, _, rendered) = built_line(&said);
    assert_eq!(rendered, pages, "(public/ is not cached on Netlify)");
    let published: Vec<PathBuf> = walkdir::WalkDir::new(n.site.join("public"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "card.png")
        .map(|e| e.into_path())
        .collect();
    assert!(published.len() >= drawn.len());
    let unmarked: Vec<&PathBuf> = published
        .iter()
        .filter(|p| !std::fs::read(p).unwrap().ends_with(MARK))
        .collect();
    assert!(unmarked.is_empty(), "drawn again: {unmarked:?}");
    assert_eq!(card_files(&n.site).len(), drawn.len());
}

#[test]
fn netlify_recipe_checks_what_it_downloads_and_compiles_without_a_release() {
    if !have_node() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let n = Netlify::new(tmp.path());
    let tag = format!("v{VERSION}");
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let archive = n.fakes.release(&tag, &target);

    // An archive that is not the released one fails the build before
    // anything is built.
    let good = std::fs::read(&archive).unwrap();
    n.fakes.replace(&archive, &target);
    let err = n.deploy(&[]).expect_err("a download that is not the release was used");
    assert!(err.contains("FAILED"), "{err}");
    assert!(!n.site.join("public").exists());
    // So does one that is not the pinned one.
    std::fs::write(&archive, &good).unwrap();
    let pinned = n.fakes.sha256(&archive);
    let other: String = pinned.chars().rev().collect();
    n.deploy(&[("GLOSSA_SHA256", &other)])
        .expect_err("not the pinned archive, used");
    n.deploy(&[("GLOSSA_SHA256", &pinned)])
        .unwrap_or_else(|e| panic!("{e}"));
    n.fakes.log("curl");

    // A cached glossa of another version is replaced.
    let old = n.store.join(".glossa/bin/glossa");
    std::fs::write(&old, "#!/bin/sh\necho glossa 0.0.1\n").unwrap();
    n.deploy(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        n.fakes.log("curl").contains(&format!("glossa-{target}.tar.xz")),
        "the old glossa was kept"
    );

    // No release: compiled, with the release's tag.
    n.fakes.unpublish();
    remove(&n.store.join(".glossa"));
    let said = n.deploy(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(said.contains("compiling glossa"), "{said}");
    let args: Vec<String> = n.fakes.log("cargo").lines().map(String::from).collect();
    let at = args.iter().position(|a| a == "--tag").expect("--tag");
    assert_eq!(args[at + 1], tag);
    assert_published(&n.site.join("public"), "https://example.netlify.app/");
}

// ─── the release workflow ───────────────────────────────────────────────────

/// A GitHub Actions filter pattern (`*`, `**`, `?`, `+`, `[0-9]`) matches
/// `s` whole.
fn filter_matches(pattern: &str, s: &str) -> bool {
    #[derive(Clone)]
    enum Atom {
        Star,
        DoubleStar,
        Class(Vec<(char, char)>),
        Lit(char),
    }
    let mut toks: Vec<(Atom, char)> = Vec::new(); // atom, quantifier (' ', '+', '?')
    let p: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < p.len() {
        let atom = match p[i] {
            '*' if p.get(i + 1) == Some(&'*') => {
                i += 1;
                Atom::DoubleStar
            }
            '*' => Atom::Star,
            '[' => {
                let end = p[i..].iter().position(|&c| c == ']').expect("unclosed [") + i;
                let mut set = Vec::new();
                let mut j = i + 1;
                while j < end {
                    if j + 2 < end && p[j + 1] == '-' {
                        set.push((p[j], p[j + 2]));
                        j += 3;
                    } else {
                        set.push((p[j], p[j]));
                        j += 1;
                    }
                }
                i = end;
                Atom::Class(set)
            }
            c => Atom::Lit(c),
        };
        i += 1;
        let q = match p.get(i) {
            Some(&q @ ('+' | '?')) => {
                i += 1;
                q
            }
            _ => ' ',
        };
        toks.push((atom, q));
    }
    fn one(a: &Atom, c: char) -> bool {
        match a {
            Atom::Class(set) => set.iter().any(|&(lo, hi)| lo <= c && c <= hi),
            Atom::Lit(l) => *l == c,
            _ => unreachable!(),
        }
    }
    fn go(toks: &[(Atom, char)], s: &[char]) -> bool {
        let Some(((atom, q), rest)) = toks.split_first() else {
            return s.is_empty();
        };
        match atom {
            Atom::DoubleStar => (0..=s.len()).any(|i| go(rest, &s[i..])),
            Atom::Star => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != '/')
                .any(|i| go(rest, &s[i..])),
            a => match q {
                '?' => go(rest, s) || (!s.is_empty() && one(a, s[0]) && go(rest, &s[1..])),
                '+' => (1..=s.len())
                    .take_while(|&i| one(a, s[i - 1]))
                    .any(|i| go(rest, &s[i..])),
                _ => !s.is_empty() && one(a, s[0]) && go(rest, &s[1..]),
            },
        }
    }
    go(&toks, &s.chars().collect::<Vec<_>>())
}

#[test]
fn filter_patterns_match_as_github_does() {
    let dist = "**[0-9]+.[0-9]+.[0-9]+*";
    for tag in ["v0.1.0", "0.1.0", "v1.22.333-rc.1", "glossa/v0.1.0"] {
        assert!(filter_matches(dist, tag), "{tag}");
    }
    for tag in ["v1.0", "latest", "v.1.0"] {
        assert!(!filter_matches(dist, tag), "{tag}");
    }
    assert!(filter_matches("v*", "v1") && !filter_matches("v*", "v1/2") && filter_matches("v**", "v1/2"));
    assert!(filter_matches("ab?c", "ac") && filter_matches("ab?c", "abc") && !filter_matches("ab?c", "abbc"));
}

/// The `[workspace.metadata.dist]` table of `Cargo.toml`.
fn dist_config() -> toml::Table {
    let cargo: toml::Table = read("Cargo.toml").parse().unwrap();
    cargo
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("dist"))
        .and_then(|d| d.as_table())
        .cloned()
        .expect("Cargo.toml has no [workspace.metadata.dist]")
}

/// The x86_64 Linux release binary — the one the recipes download — is built
/// with profile-guided optimisation and BOLT: the build job runs `bench/pgo
/// --profile` and `bench/bolt --install` before `dist build`, hands dist the
/// profile and the relocations BOLT needs in `RUSTFLAGS`, and bench/bolt-link as
/// the linker; the other targets' jobs skip it. The steps are
/// `.github/build-setup.yml`'s, as dist puts them in the workflow
/// (`github-build-setup`; run `dist generate`).
#[test]
fn release_builds_the_linux_binary_profile_guided() {
    const SETUP: &str = ".github/build-setup.yml";
    let dist = dist_config();
    assert_eq!(
        dist["github-build-setup"].as_str(),
        Some("../build-setup.yml"),
        "Cargo.toml's dist table does not name {SETUP}"
    );
    let setup = yaml(SETUP);
    let setup = setup.as_array().expect("build-setup.yml is a list of steps");
    let wf = yaml(RELEASE);
    let steps = wf["jobs"]["build-local-artifacts"]["steps"]
        .as_array()
        .expect("the build job's steps");
    let runs = |what: &str| {
        steps
            .iter()
            .position(|s| s["run"].as_str().is_some_and(|r| r.contains(what)))
            .unwrap_or_else(|| panic!("{RELEASE}: no build step runs `{what}`"))
    };
    let (build, pgo) = (runs("dist build"), runs("bench/pgo --profile"));
    assert!(pgo < build, "{RELEASE}: the profile is made after `dist build`");
    let step = &steps[pgo];
    assert!(
        setup
            .iter()
            .any(|s| s["name"] == step["name"] && s["run"] == step["run"] && s["if"] == step["if"]),
        "{RELEASE} does not have {SETUP}'s step as it is: run `dist generate`"
    );
    let only = step["if"].as_str().unwrap_or_default();
    assert!(
        only.contains("contains(matrix.targets, 'x86_64-unknown-linux-gnu')"),
        "{RELEASE}: the profile is not made on the x86_64 Linux job alone: {only:?}"
    );
    let run = text(&step["run"]);
    assert!(
        run.contains(
            r#"RUSTFLAGS=-Cprofile-use=$PWD/target/pgo/glossa.profdata -Clink-arg=-Wl,--emit-relocs" >> "$GITHUB_ENV""#
        ),
        "{RELEASE}: `dist build` is not given the profile and the relocations: {run}"
    );
    assert!(
        run.contains("bench/bolt --install")
            && run.contains(r#"CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=$PWD/bench/bolt-link" >> "$GITHUB_ENV""#),
        "{RELEASE}: `dist build` does not link with bench/bolt-link: {run}"
    );
    // bench/pgo writes the profile there, and the scripts parse.
    let script = read("bench/pgo");
    assert!(script.contains(r#"PGO=$PWD/$TARGET/pgo"#) && script.contains(r#""$PGO/glossa.profdata""#));
    for script in ["bench/pgo", "bench/bolt", "bench/bolt-link", "bench/train"] {
        let ok = Command::new("bash").args(["-n", script]).current_dir(REPO).status();
        assert!(ok.is_ok_and(|s| s.success()), "{script} does not parse");
    }
}

/// bench/bolt-link, the release's linker, links what is not the glossa binary
/// (build scripts, proc macros) as `cc` does, and leaves it alone: a program
/// linked through it runs. (Linking glossa itself runs llvm-bolt, which this
/// machine need not have: `bench/pgo` does that.)
#[test]
fn the_bolt_linker_links_other_programs_as_cc_does() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("main.rs");
    std::fs::write(&src, "fn main() { println!(\"linked: {}\", 6 * 7); }\n").unwrap();
    let exe = tmp.path().join("build_script_build-0123");
    let linker = Path::new(REPO).join("bench/bolt-link");
    let out = Command::new("rustc")
        .arg("-C")
        .arg(format!("linker={}", linker.display()))
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("rustc runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ran = Command::new(&exe).output().expect("the linked program runs");
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "linked: 42\n");
}

#[test]
fn release_workflow_builds_what_the_recipes_download() {
    let wf = yaml(RELEASE);
    let raw = read(RELEASE);
    let dist = dist_config();

    // It runs when this version's tag is pushed, and may make a release.
    let tags: Vec<&str> = wf["on"]["push"]["tags"]
        .as_array()
        .expect("release.yml does not run on tags")
        .iter()
        .map(text)
        .collect();
    let tag = format!("v{VERSION}");
    assert!(
        tags.iter().any(|p| filter_matches(p, &tag)),
        "{RELEASE}: {tag} does not start it ({tags:?})"
    );
    assert!(
        !tags.iter().any(|p| filter_matches(p, "main")),
        "{RELEASE}: runs on a tag that is no version"
    );
    assert_eq!(
        wf["permissions"]["contents"], "write",
        "{RELEASE}: cannot make a release"
    );

    // It is dist's, as the version Cargo.toml pins generates it (edit the
    // metadata and run `dist generate`, never the file).
    let pinned = dist["cargo-dist-version"].as_str().expect("cargo-dist-version");
    assert!(
        raw.starts_with("# This file was autogenerated by dist"),
        "{RELEASE}: not dist's"
    );
    assert!(
        raw.contains(&format!("/cargo-dist/releases/download/v{pinned}/")),
        "{RELEASE} was not generated by dist {pinned}: run `dist generate`"
    );
    assert_eq!(dist["ci"].as_str(), Some("github"));
    // The builds are the plan's, which are the metadata's targets.
    let build = &wf["jobs"]["build-local-artifacts"];
    assert!(
        text(&build["strategy"]["matrix"]).contains("fromJson(needs.plan.outputs.val).ci.github.artifacts_matrix"),
        "{RELEASE}: the builds are not dist's plan"
    );
    let host = &wf["jobs"]["host"];
    assert!(
        host["needs"]
            .as_array()
            .is_some_and(|n| n.iter().any(|j| j == "build-local-artifacts")),
        "{RELEASE}: the release does not wait for the builds"
    );

    // Every platform, and the archives the recipes download.
    let targets: Vec<&str> = dist["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    for t in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&t), "no {t} in Cargo.toml's dist targets");
    }
    assert_eq!(
        dist["unix-archive"].as_str(),
        Some(".tar.xz"),
        "the recipes download .tar.xz"
    );
    assert_eq!(
        dist["checksum"].as_str(),
        Some("sha256"),
        "the recipes check .sha256 files"
    );
    let pages = read(PAGES);
    let netlify = read(NETLIFY);
    for recipe in [&pages, &netlify] {
        assert!(recipe.contains(r#"archive="glossa-$target.tar.xz""#));
        assert!(recipe.contains("$archive.sha256"));
        assert!(recipe.contains(r#"--strip-components=1 "glossa-$target/glossa""#));
    }
    for (_, _, t) in LINUX {
        assert!(targets.contains(t), "the recipes download {t}, which no release has");
    }

    // With dist installed, its plan names those archives.
    let Ok(out) = Command::new("dist")
        .args(["plan", "--output-format=json", "--no-local-paths"])
        .current_dir(REPO)
        .output()
    else {
        eprintln!("skipped `dist plan`: dist is not installed (cargo install cargo-dist)");
        return;
    };
    assert!(
        out.status.success(),
        "dist plan:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("dist plan's JSON");
    let artifacts: Vec<&str> = plan["artifacts"]
        .as_object()
        .expect("artifacts")
        .keys()
        .map(String::as_str)
        .collect();
    for (_, _, t) in LINUX {
        for name in [format!("glossa-{t}.tar.xz"), format!("glossa-{t}.tar.xz.sha256")] {
            assert!(
                artifacts.contains(&name.as_str()),
                "dist plan makes no {name}: {artifacts:?}"
            );
        }
    }
}
