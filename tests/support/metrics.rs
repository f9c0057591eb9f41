//! Reading the daemon's `/metrics` text in tests.

/// The value of the first series whose line starts with `line_start` (a metric name with
/// its labels), if any.
pub fn metric(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
