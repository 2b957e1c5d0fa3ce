//! Lab processes die with the process that started them, however it dies (even `kill -9`).
//!
//! Each child asks the kernel for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`), between
//! fork and exec. Two traps, both handled here:
//!
//! - The kernel sends that signal when the parent *thread* that forked exits, not the
//!   process. Tokio may run a task on any worker, and blocking-pool threads end when idle,
//!   so children are forked on one dedicated thread that lives as long as the process.
//! - The parent may die before the child asked: the child then checks `getppid()` against
//!   the parent's pid, after asking, and exits instead of running unowned.
//!
//! Why `pre_exec` rather than `setpriv --pdeathsig KILL` from util-linux: `setpriv` cannot
//! close the second race (it sets the signal and execs, never checking its parent), and the
//! lab would need one more tool on every machine. The price is the one `unsafe` block below,
//! so the cli crate lints `unsafe_code = "deny"` (cli/Cargo.toml) instead of the workspace's
//! `forbid`, and this is the only place that allows it.
//!
//! The children also stay in their owner's process group (for the supervisor, its own, as
//! `lab up` starts it), which `lab down` signals as a last resort.

use std::io;
use std::sync::{OnceLock, mpsc};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use tokio::process::{Child, Command};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

struct Job {
    command: Command,
    runtime: Handle,
    reply: oneshot::Sender<io::Result<Child>>,
}

/// Never dropped, so the spawner thread outlives every child it forks.
static SPAWNER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();

/// Spawns `command` as a child that is SIGKILLed when this process dies.
pub async fn spawn(mut command: Command) -> io::Result<Child> {
    die_with_parent(&mut command);
    let (reply, answer) = oneshot::channel();
    let gone = || io::Error::other("the lab's spawner thread is gone");
    spawner().send(Job { command, runtime: Handle::current(), reply }).map_err(|_| gone())?;
    answer.await.map_err(|_| gone())?
}

fn spawner() -> &'static mpsc::Sender<Job> {
    SPAWNER.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("lab-spawner".into())
            .spawn(move || {
                for mut job in queue {
                    // The child's pipes and reaping belong to the caller's runtime.
                    let _runtime = job.runtime.enter();
                    let _ = job.reply.send(job.command.spawn());
                }
            })
            .expect("starting the lab's spawner thread");
        jobs
    })
}

#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    let parent = nix::unistd::getpid();
    let hook = move || -> io::Result<()> {
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
        if nix::unistd::getppid() != parent {
            // Orphaned before the signal was armed: do not run unowned.
            return Err(Errno::ESRCH.into());
        }
        Ok(())
    };
    // SAFETY: `pre_exec` runs `hook` in the forked child before exec, where only
    // async-signal-safe work is sound (another thread may have held a lock at fork). `hook`
    // makes two system calls, prctl(2) and getppid(2), and builds its errors from raw errno
    // values: it allocates nothing, takes no lock and touches no shared state.
    unsafe {
        command.pre_exec(hook);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A child forked on the thread that asked would be SIGKILLed when that thread ends.
    #[tokio::test]
    async fn a_child_outlives_the_thread_that_asked_for_it() {
        let runtime = Handle::current();
        let asking = std::thread::spawn(move || {
            runtime.block_on(async {
                let mut command = Command::new("sleep");
                command.arg("60").kill_on_drop(true);
                spawn(command).await
            })
        });
        let mut child = asking.join().expect("the asking thread").expect("spawning sleep");
        let ended = tokio::time::timeout(Duration::from_millis(500), child.wait()).await;
        assert!(ended.is_err(), "the child died with the thread that asked for it: {ended:?}");
        child.kill().await.unwrap();
    }
}
