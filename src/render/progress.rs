//! The progress bar of an observation, on stderr, so stdout stays the report alone.
//!
//! The caller decides whether it shows (`enabled`: stderr is a terminal and not in CI); a
//! disabled bar accepts the same calls and draws nothing. The provider reports its progress
//! as "N tasks planned" and "task X done"; the command maps those events onto [`ScanProgress::planned`]
//! and [`ScanProgress::done`]. Share it across tasks in an `Arc`.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const TEMPLATE: &str = "{spinner} observing [{bar:30}] {pos}/{len} {wide_msg}";

#[derive(Debug)]
pub struct ScanProgress {
    bar: ProgressBar,
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
        ScanProgress { bar }
    }

    /// `tasks` more tasks will run (may be called more than once; the totals add up).
    pub fn planned(&self, tasks: usize) {
        self.bar.inc_length(tasks as u64);
    }

    /// One task finished (successfully or with a gap); `task` names it, e.g. `ec2 us-east-1 vpcs`.
    pub fn done(&self, task: &str) {
        self.bar.set_message(task.to_string());
        self.bar.inc(1);
    }

    /// Removes the bar from the terminal; call before printing the report.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Tasks done and tasks planned so far.
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
