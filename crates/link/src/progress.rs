//! Progress bars on stderr: drawn only when stderr is a terminal, so logs and tests stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A factory for progress bars; [`Progress::hidden`] draws nothing (library use).
#[derive(Debug, Clone)]
pub struct Progress {
    visible: bool,
}

impl Progress {
    /// Bars drawn to stderr when it is a terminal.
    pub fn stderr() -> Self {
        Self {
            visible: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }
    /// No bars.
    pub fn hidden() -> Self {
        Self { visible: false }
    }

    /// A bar for a step; a spinner with a count when the total is not known.
    pub fn bar(&self, step: &str, total: Option<u64>) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = match total {
            Some(n) => {
                let b = ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(
                    "{msg:>12} [{bar:30}] {human_pos}/{human_len} {elapsed}",
                ) {
                    b.set_style(style.progress_chars("=> "));
                }
                b
            }
            None => {
                let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                if let Ok(style) =
                    ProgressStyle::with_template("{msg:>12} {spinner} {human_pos} {elapsed}")
                {
                    b.set_style(style);
                }
                b
            }
        };
        bar.set_message(step.to_owned());
        bar
    }
}
