//! Background threads: work a build starts early but needs late (the
//! output's listing, the last manifest's records), which it can hand a
//! lower priority once it knows the rest of the build has the cores busy.
//!
//! A build after one edit keeps both cores of a small machine busy for most
//! of its load, and leaves one idle in the serial stretches of linking; the
//! listing, on a thread of its own at the normal priority, took its share
//! of the busy part and so delayed the load. Lowered ([`Background::lower`]:
//! the thread's nice value raised to 19, Linux only), it runs mostly when a
//! core would otherwise idle. Elsewhere lowering does nothing.
//!
//! Foundation: shared by every stage of the pipeline.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// What the thread is, as far as lowering it goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not yet running.
    Starting,
    /// Lowered before it ran: it lowers itself when it starts.
    LowerWhenStarted,
    /// Running, as this thread id (0 where ids are not known).
    Running(i32),
    /// Running and lowered.
    Lowered,
    /// Done: its id may be another thread's now, so it is left alone.
    Finished,
}

/// A thread whose priority can be lowered while it runs.
pub struct Background<T> {
    thread: JoinHandle<T>,
    state: Arc<Mutex<State>>,
}

/// Starts `work` on a thread of its own, at the normal priority.
pub fn spawn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Background<T> {
    // (a thread starts at the priority of the thread that makes it: rayon's workers are made
    // now if they were not, so that a lowered thread's first parallel call cannot make them)
    let _ = rayon::current_num_threads();
    let state = Arc::new(Mutex::new(State::Starting));
    let shared = state.clone();
    let thread = std::thread::spawn(move || {
        {
            let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
            *s = match *s {
                State::LowerWhenStarted => {
                    lower_this_thread();
                    State::Lowered
                }
                _ => State::Running(this_thread_id()),
            };
        }
        let done = work();
        // (under the lock: `lower` never names a thread id once it may be reused)
        *shared.lock().unwrap_or_else(|e| e.into_inner()) = State::Finished;
        done
    });
    Background { thread, state }
}

impl<T> Background<T> {
    /// Lowers the thread's priority (see the module docs), if it has not finished.
    pub fn lower(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *s = match *s {
            State::Starting => State::LowerWhenStarted,
            State::Running(id) => {
                lower_thread(id);
                State::Lowered
            }
            other => other,
        };
    }

    /// Waits for the work's result (a panic there is resumed here).
    pub fn join(self) -> T {
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// The lowest priority a thread can be given without privileges.
#[cfg(target_os = "linux")]
const LOWEST: i32 = 19;

#[cfg(target_os = "linux")]
fn this_thread_id() -> i32 {
    rustix::thread::gettid().as_raw_nonzero().get()
}

#[cfg(target_os = "linux")]
fn lower_this_thread() {
    // (on Linux a priority is a thread's own: `None` is the calling thread)
    let _ = rustix::process::setpriority_process(None, LOWEST);
}

#[cfg(target_os = "linux")]
fn lower_thread(id: i32) {
    let _ = rustix::process::setpriority_process(rustix::process::Pid::from_raw(id), LOWEST);
}

#[cfg(not(target_os = "linux"))]
fn this_thread_id() -> i32 {
    0
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread() {}

#[cfg(not(target_os = "linux"))]
fn lower_thread(_: i32) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    fn nice_of_this_thread() -> i32 {
        rustix::process::getpriority_process(None).unwrap()
    }

    #[test]
    fn work_gives_its_result_lowered_or_not() {
        assert_eq!(spawn(|| 7).join(), 7);
        let b = spawn(|| 8);
        b.lower();
        assert_eq!(b.join(), 8);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_lowered_while_it_runs_or_before_it_starts_runs_at_the_lowest_priority() {
        // (a system that refuses a thread its own lower priority — some sandboxes — has nothing to test)
        let allowed = std::thread::spawn(|| rustix::process::setpriority_process(None, LOWEST).is_ok());
        if !allowed.join().unwrap() {
            return;
        }
        let before = nice_of_this_thread();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let b = spawn(move || {
            wait.recv().unwrap();
            nice_of_this_thread()
        });
        b.lower();
        go.send(()).unwrap();
        assert_eq!(b.join(), LOWEST);
        // (and only that thread)
        assert_eq!(nice_of_this_thread(), before);
        let untouched = spawn(nice_of_this_thread);
        assert_eq!(untouched.join(), before);
    }
}
