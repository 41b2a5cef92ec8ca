//! The progress bar of an observation, on stderr, so stdout stays the report alone.
//!
//! The caller decides whether it shows (`enabled`: stderr is a terminal and not in CI); a
//! disabled bar accepts the same calls and draws nothing. The provider reports its progress
//! in two phases: listings ("N tasks planned", "task X done") and then per-object reads ("N
//! reads planned", "one read done"); the command maps those events onto
//! [`ScanProgress::planned`], [`ScanProgress::done`], [`ScanProgress::reads_planned`] and
//! [`ScanProgress::read_done`]. The line shows both counts, e.g.
//! `listings 7/7 · reads 120/300 · ec2 us-east-1 vpcs`, so a 10,000-resource scan never looks
//! hung. Share it across tasks in an `Arc`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const TEMPLATE: &str = "{spinner} observing [{bar:30}] {elapsed} {wide_msg}";

#[derive(Debug, Default)]
struct Counts {
    tasks: AtomicU64,
    tasks_done: AtomicU64,
    reads: AtomicU64,
    reads_done: AtomicU64,
}

#[derive(Debug)]
pub struct ScanProgress {
    bar: ProgressBar,
    counts: Counts,
}

impl ScanProgress {
    /// A bar on stderr when `enabled`, otherwise a hidden one.
    pub fn new(enabled: bool) -> ScanProgress {
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
            bar.set_style(style.progress_chars("=> "));
        }
        if enabled {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        ScanProgress {
            bar,
            counts: Counts::default(),
        }
    }

    /// `tasks` more tasks will run (may be called more than once; the totals add up).
    pub fn planned(&self, tasks: usize) {
        self.counts.tasks.fetch_add(tasks as u64, Ordering::Relaxed);
        self.bar.inc_length(tasks as u64);
        self.show(None);
    }

    /// One task finished (successfully or with a gap); `task` names it, e.g. `ec2 us-east-1 vpcs`.
    pub fn done(&self, task: &str) {
        self.counts.tasks_done.fetch_add(1, Ordering::Relaxed);
        self.bar.inc(1);
        self.show(Some(task));
    }

    /// `reads` more per-object reads will be made (after the listings of their region).
    pub fn reads_planned(&self, reads: usize) {
        self.counts.reads.fetch_add(reads as u64, Ordering::Relaxed);
        self.bar.inc_length(reads as u64);
        self.show(None);
    }

    /// One per-object read finished.
    pub fn read_done(&self) {
        self.counts.reads_done.fetch_add(1, Ordering::Relaxed);
        self.bar.inc(1);
        // Redrawing the message on every read of thousands is wasted work; every 25th will do.
        let done = self.counts.reads_done.load(Ordering::Relaxed);
        if done.is_multiple_of(25) || done == self.counts.reads.load(Ordering::Relaxed) {
            self.show(None);
        }
    }

    /// The line's text: both phases' counts, then the last task done.
    pub fn line(&self, last: Option<&str>) -> String {
        let c = &self.counts;
        let mut line = format!(
            "listings {}/{}",
            c.tasks_done.load(Ordering::Relaxed),
            c.tasks.load(Ordering::Relaxed)
        );
        let reads = c.reads.load(Ordering::Relaxed);
        if reads > 0 {
            line.push_str(&format!(
                " · reads {}/{reads}",
                c.reads_done.load(Ordering::Relaxed)
            ));
        }
        if let Some(task) = last {
            line.push_str(&format!(" · {task}"));
        }
        line
    }

    fn show(&self, last: Option<&str>) {
        if !self.bar.is_hidden() {
            self.bar.set_message(self.line(last));
        }
    }

    /// Removes the bar from the terminal; call before printing the report.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Steps done and steps planned so far (listing tasks and per-object reads together).
    pub fn counts(&self) -> (u64, u64) {
        (self.bar.position(), self.bar.length().unwrap_or(0))
    }
}

impl Drop for ScanProgress {
    fn drop(&mut self) {
        // Dropped without `finish` (an early return on an error): clear the line anyway, so
        // the error message starts on a clean line.
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_across_plans() {
        let p = ScanProgress::new(false);
        p.planned(3);
        p.planned(2);
        p.done("ec2 us-east-1 vpcs");
        p.done("iam global");
        assert_eq!(p.counts(), (2, 5));
        p.finish();
    }

    #[test]
    fn the_line_shows_both_phases() {
        let p = ScanProgress::new(false);
        p.planned(2);
        assert_eq!(p.line(None), "listings 0/2");
        p.done("ec2 us-east-1 subnets");
        p.reads_planned(4);
        p.read_done();
        assert_eq!(
            p.line(Some("ec2 us-east-1 vpcs")),
            "listings 1/2 · reads 1/4 · ec2 us-east-1 vpcs"
        );
        assert_eq!(p.counts(), (2, 6));
    }

    #[test]
    fn is_shared_across_threads() {
        let p = std::sync::Arc::new(ScanProgress::new(false));
        p.planned(8);
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let p = p.clone();
                std::thread::spawn(move || p.done(&format!("task {i}")))
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(p.counts(), (8, 8));
    }
}
